//! Attention-based text dominance: MDI and AEI (Wu, Tang, Zheng, Jiang, "When Language Overrules:
//! Revealing Text Dominance in MLLMs", arXiv 2508.10552; definitions as re-implemented by two
//! independent third-party codes, reference/modality.md §1c).
//!
//! From the attention mass `A_T` on text (instruction) tokens and `A_O` on the other modality's
//! tokens — attention of the generated tokens to the prompt tokens, averaged over heads,
//! row-normalised, summed over output tokens, averaged over a layer group — and the token counts
//! `|T|`, `|O|`:
//! * **MDI** `= (A_T / |T|) / (A_O / |O|)`: > 1 text dominance, < 1 non-text dominance;
//! * **AEI_T** `= P_T / Q_T` with `P_T = A_T / (A_T + A_O)`, `Q_T = |T| / (|T| + |O|)`; likewise
//!   **AEI_O**; `MDI = AEI_T / AEI_O`.
//!
//! The masses are supplied by the caller (aequo runs no model here). [`mass_from_rows`] sums
//! attention rows over a token mask, optionally zeroing the first (BOS, attention-sink) column as
//! one re-implementation does. The resolution-stratified DSMD variant is not implemented.

use crate::bootstrap::{estimate, BootstrapConfig};
use crate::value::{Estimate, Undefined, Value};
use serde::{Deserialize, Serialize};

/// Attention masses and token counts of one sample (or a layer group).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AttentionMass {
    /// Attention mass on text tokens, `A_T`.
    pub text_mass: f64,
    /// Attention mass on the other modality's tokens, `A_O`.
    pub other_mass: f64,
    /// Number of text tokens `|T|`.
    pub text_tokens: usize,
    /// Number of other tokens `|O|`.
    pub other_tokens: usize,
}

/// MDI and AEI of one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionIndices {
    /// Modality dominance index.
    pub mdi: Value,
    /// Attention efficiency of text tokens.
    pub aei_text: Value,
    /// Attention efficiency of the other tokens.
    pub aei_other: Value,
}

fn mdi_of(m: &AttentionMass) -> Option<f64> {
    let t = m.text_mass / m.text_tokens as f64;
    let o = m.other_mass / m.other_tokens as f64;
    (m.text_tokens > 0 && m.other_tokens > 0 && o > 0.0).then(|| t / o)
}

fn aei_of(mass: f64, total_mass: f64, tokens: usize, total_tokens: usize) -> Option<f64> {
    (total_mass > 0.0 && tokens > 0)
        .then(|| (mass / total_mass) / (tokens as f64 / total_tokens as f64))
}

/// MDI and AEI of one sample.
pub fn attention_indices(m: &AttentionMass) -> AttentionIndices {
    let total = m.text_mass + m.other_mass;
    let tokens = m.text_tokens + m.other_tokens;
    let zero = |num: f64| Undefined::ZeroDenominator {
        numerator: num,
        denominator: 0.0,
    };
    AttentionIndices {
        mdi: Value::from_option(mdi_of(m), zero(m.text_mass)),
        aei_text: Value::from_option(
            aei_of(m.text_mass, total, m.text_tokens, tokens),
            zero(m.text_mass),
        ),
        aei_other: Value::from_option(
            aei_of(m.other_mass, total, m.other_tokens, tokens),
            zero(m.other_mass),
        ),
    }
}

/// Mean MDI over samples with an item-bootstrap interval (samples with undefined MDI skipped).
pub fn mean_mdi(samples: &[AttentionMass], cfg: &BootstrapConfig) -> Estimate {
    let v: Vec<Option<f64>> = samples.iter().map(mdi_of).collect();
    estimate(samples.len(), cfg, Undefined::NoItems, |w| {
        let (mut s, mut t) = (0.0, 0.0);
        for (x, wi) in v.iter().zip(w) {
            if let Some(x) = x {
                s += x * *wi as f64;
                t += *wi as f64;
            }
        }
        (t > 0.0).then(|| s / t)
    })
}

/// Sums attention rows (one per generated token, over the prompt tokens) into masses, after
/// row-normalising each row; `is_text[j]` marks text tokens; `zero_first` drops column 0 (BOS).
pub fn mass_from_rows(rows: &[Vec<f64>], is_text: &[bool], zero_first: bool) -> AttentionMass {
    let mut m = AttentionMass {
        text_mass: 0.0,
        other_mass: 0.0,
        text_tokens: is_text
            .iter()
            .enumerate()
            .filter(|(j, t)| **t && !(zero_first && *j == 0))
            .count(),
        other_tokens: is_text
            .iter()
            .enumerate()
            .filter(|(j, t)| !(**t || zero_first && *j == 0))
            .count(),
    };
    for row in rows {
        let kept: Vec<(usize, f64)> = row
            .iter()
            .copied()
            .enumerate()
            .filter(|(j, _)| !(zero_first && *j == 0) && *j < is_text.len())
            .collect();
        let sum: f64 = kept.iter().map(|(_, a)| a).sum();
        if sum <= 0.0 {
            continue;
        }
        for (j, a) in kept {
            if is_text[j] {
                m.text_mass += a / sum;
            } else {
                m.other_mass += a / sum;
            }
        }
    }
    let total = m.text_mass + m.other_mass;
    if total > 0.0 {
        m.text_mass /= total;
        m.other_mass /= total;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_fixture() {
        // |T| = 20, |O| = 576, A_T = 0.7 → MDI 67.2, AEI_T 20.86, AEI_O 0.3104 (reference §5.6).
        let m = AttentionMass {
            text_mass: 0.7,
            other_mass: 0.3,
            text_tokens: 20,
            other_tokens: 576,
        };
        let i = attention_indices(&m);
        let mdi = i.mdi.get().expect("d");
        assert!((mdi - 67.2).abs() < 1e-9);
        assert!((i.aei_text.get().expect("d") - 20.86).abs() < 0.005);
        assert!((i.aei_other.get().expect("d") - 0.3104).abs() < 0.0001);
        assert!((mdi - i.aei_text.get().expect("d") / i.aei_other.get().expect("d")).abs() < 1e-9);
    }

    #[test]
    fn zero_other_mass_is_undefined() {
        let m = AttentionMass {
            text_mass: 1.0,
            other_mass: 0.0,
            text_tokens: 2,
            other_tokens: 2,
        };
        assert!(attention_indices(&m).mdi.get().is_none());
        assert!(mean_mdi(&[m], &BootstrapConfig::none()).get().is_none());
    }

    #[test]
    fn rows_are_normalised_and_bos_dropped() {
        let rows = vec![vec![10.0, 1.0, 3.0], vec![0.0, 2.0, 2.0]];
        let m = mass_from_rows(&rows, &[true, true, false], true);
        // Row 1 without BOS: 1/4 text, 3/4 other; row 2: 1/2, 1/2 → text 0.75/2.
        assert!((m.text_mass - 0.375).abs() < 1e-12);
        assert_eq!((m.text_tokens, m.other_tokens), (1, 1));
    }
}
