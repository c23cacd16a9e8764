//! Modality-contrastive re-scoring of answer options from supplied logits (inference-time
//! mitigation; reference/modality.md §3).
//!
//! * **VCD** (Leng et al., CVPR 2024; github DAMO-NLP-SG/VCD `vcd_utils/vcd_sample.py`):
//!   `z_cd = (1 + α)·z_full − α·z_ablated`, with the adaptive plausibility cut: options with
//!   `p_full(k) < β · max_j p_full(j)` (equivalently `z_k < log β + max_j z_j`) are excluded.
//!   Defaults `α = 1`, `β = 0.1`. With `z_ablated` the logits without the *image*, VCD raises the
//!   weight of the image evidence; for the linear reference model the re-scored logits are
//!   exactly `(1 + α)·w_img·g_img + w_text·g_text`.
//! * **Dynamic contrastive decoding** (Zhu et al., arXiv 2410.03659,
//!   `src/inference_time/post_hoc_contrastive_decoding.py`): if the unimodal answers agree keep
//!   them; else with confidences `c_t = max softmax(z_t)`, `c_v = max softmax(z_v)`, answer
//!   `argmax(c_t z_t − c_v z_v)` when `c_t > c_v`, otherwise `argmax(c_v z_v − c_t z_t)`.

use crate::bootstrap::{estimate, weighted_accuracy, weighted_mean, BootstrapConfig};
use crate::error::{check_len, ModalityError, Result};
use crate::synth::argmax;
use crate::value::{Estimate, Undefined};
use serde::{Deserialize, Serialize};

/// VCD re-scored logits; excluded options are `None`.
pub fn vcd_scores(
    full: &[f64],
    ablated: &[f64],
    alpha: f64,
    beta: f64,
) -> Result<Vec<Option<f64>>> {
    check_len("ablated logits", full.len(), ablated.len())?;
    if full.is_empty() || !(0.0..=1.0).contains(&beta) {
        return Err(ModalityError::InvalidConfig {
            message: "VCD needs at least one option and beta in [0, 1]".into(),
        });
    }
    let max = full.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let cut = if beta > 0.0 {
        beta.ln() + max
    } else {
        f64::NEG_INFINITY
    };
    Ok(full
        .iter()
        .zip(ablated)
        .map(|(f, a)| (*f >= cut).then(|| (1.0 + alpha) * f - alpha * a))
        .collect())
}

/// The VCD choice: argmax over the plausible options.
pub fn vcd_choice(full: &[f64], ablated: &[f64], alpha: f64, beta: f64) -> Result<usize> {
    let s = vcd_scores(full, ablated, alpha, beta)?;
    let mut best: Option<(usize, f64)> = None;
    for (k, v) in s.iter().enumerate() {
        if let Some(v) = v {
            if best.is_none_or(|(_, b)| *v > b) {
                best = Some((k, *v));
            }
        }
    }
    // The option with the largest full logit always passes the cut.
    Ok(best.map(|(k, _)| k).unwrap_or_else(|| argmax(full)))
}

fn max_softmax(z: &[f64]) -> f64 {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = z.iter().map(|x| (x - m).exp()).sum();
    1.0 / s
}

/// The dynamic (confidence-weighted) contrastive choice from text-only and vision-only logits.
pub fn dynamic_choice(z_text: &[f64], z_vision: &[f64]) -> Result<usize> {
    check_len("vision logits", z_text.len(), z_vision.len())?;
    if z_text.is_empty() {
        return Err(ModalityError::InvalidConfig {
            message: "no answer options".into(),
        });
    }
    let (at, av) = (argmax(z_text), argmax(z_vision));
    if at == av {
        return Ok(at);
    }
    let (ct, cv) = (max_softmax(z_text), max_softmax(z_vision));
    let z: Vec<f64> = if ct > cv {
        z_text
            .iter()
            .zip(z_vision)
            .map(|(t, v)| ct * t - cv * v)
            .collect()
    } else {
        z_text
            .iter()
            .zip(z_vision)
            .map(|(t, v)| cv * v - ct * t)
            .collect()
    };
    Ok(argmax(&z))
}

/// One item's logits for re-scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogitItem {
    /// Logits with every modality.
    pub full: Vec<f64>,
    /// Logits with the modality to amplify removed (VCD's `z_ablated`).
    pub ablated: Vec<f64>,
    /// The correct option.
    pub label: usize,
}

/// Accuracy before and after re-scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rescoring {
    /// Accuracy of `argmax z_full`.
    pub before: Estimate,
    /// Accuracy after re-scoring.
    pub after: Estimate,
    /// Fraction of items whose answer changed.
    pub changed: Estimate,
}

/// VCD over a set of items.
pub fn vcd_rescoring(
    items: &[LogitItem],
    alpha: f64,
    beta: f64,
    cfg: &BootstrapConfig,
) -> Result<Rescoring> {
    let mut before = Vec::with_capacity(items.len());
    let mut after = Vec::with_capacity(items.len());
    let mut changed = Vec::with_capacity(items.len());
    for it in items {
        let b = argmax(&it.full);
        let a = vcd_choice(&it.full, &it.ablated, alpha, beta)?;
        before.push(b == it.label);
        after.push(a == it.label);
        changed.push(f64::from(u8::from(a != b)));
    }
    let n = items.len();
    Ok(Rescoring {
        before: estimate(n, cfg, Undefined::NoItems, |w| {
            weighted_accuracy(&before, w)
        }),
        after: estimate(n, cfg, Undefined::NoItems, |w| weighted_accuracy(&after, w)),
        changed: estimate(n, cfg, Undefined::NoItems, |w| weighted_mean(&changed, w)),
    })
}

/// One item's unimodal logits for the dynamic variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnimodalLogits {
    /// Logits from the text-only run.
    pub text: Vec<f64>,
    /// Logits from the vision-only run.
    pub vision: Vec<f64>,
    /// The correct option.
    pub label: usize,
}

/// Accuracy of the text-only answer (`before`) and of the dynamic contrastive answer (`after`).
pub fn dynamic_rescoring(items: &[UnimodalLogits], cfg: &BootstrapConfig) -> Result<Rescoring> {
    let mut before = Vec::with_capacity(items.len());
    let mut after = Vec::with_capacity(items.len());
    let mut changed = Vec::with_capacity(items.len());
    for it in items {
        let b = argmax(&it.text);
        let a = dynamic_choice(&it.text, &it.vision)?;
        before.push(b == it.label);
        after.push(a == it.label);
        changed.push(f64::from(u8::from(a != b)));
    }
    let n = items.len();
    Ok(Rescoring {
        before: estimate(n, cfg, Undefined::NoItems, |w| {
            weighted_accuracy(&before, w)
        }),
        after: estimate(n, cfg, Undefined::NoItems, |w| weighted_accuracy(&after, w)),
        changed: estimate(n, cfg, Undefined::NoItems, |w| weighted_mean(&changed, w)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::*;

    #[test]
    fn hand_computed_vcd() {
        // full (2, 1, −5), ablated (2, 0, 0), α = 1: z_cd = (2, 2, −10); the third option is cut
        // (p ratio e^{-7} < 0.1); tie → first.
        let s = vcd_scores(&[2.0, 1.0, -5.0], &[2.0, 0.0, 0.0], 1.0, 0.1).expect("ok");
        assert_eq!(s, vec![Some(2.0), Some(2.0), None]);
        assert_eq!(
            vcd_choice(&[2.0, 1.0, -5.0], &[3.0, 0.0, 0.0], 1.0, 0.1).expect("ok"),
            1
        );
        // Without the cut the implausible option can win.
        assert_eq!(
            vcd_choice(&[2.0, 1.0, -1.0], &[2.0, 1.0, -9.0], 1.0, 0.0).expect("ok"),
            2
        );
        assert_eq!(
            vcd_choice(&[2.0, 1.0, -1.0], &[2.0, 1.0, -9.0], 1.0, 0.1).expect("ok"),
            0
        );
        assert!(vcd_scores(&[1.0], &[], 1.0, 0.1).is_err());
    }

    #[test]
    fn hand_computed_dynamic() {
        assert_eq!(dynamic_choice(&[3.0, 0.0], &[2.0, 0.0]).expect("ok"), 0);
        // Text confident on 0, vision unsure on 1: c_t > c_v → argmax(c_t z_t − c_v z_v) = 0.
        assert_eq!(
            dynamic_choice(&[4.0, 0.0, 0.0], &[0.0, 0.5, 0.0]).expect("ok"),
            0
        );
        // Vision confident on 1, text unsure on 0.
        assert_eq!(
            dynamic_choice(&[0.5, 0.0, 0.0], &[0.0, 4.0, 0.0]).expect("ok"),
            1
        );
    }

    #[test]
    fn dynamic_rescoring_hand_computed() {
        let items = vec![
            UnimodalLogits {
                text: vec![4.0, 0.0],
                vision: vec![0.0, 0.5],
                label: 0,
            },
            UnimodalLogits {
                text: vec![0.5, 0.0],
                vision: vec![0.0, 4.0],
                label: 1,
            },
            UnimodalLogits {
                text: vec![1.0, 0.0],
                vision: vec![2.0, 0.0],
                label: 1,
            },
        ];
        let r = dynamic_rescoring(&items, &BootstrapConfig::none()).expect("ok");
        assert!((r.before.get().expect("d") - 1.0 / 3.0).abs() < 1e-12);
        assert!((r.after.get().expect("d") - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.changed.get().expect("d") - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn vcd_accuracy_on_conflicts_rises_monotonically_in_alpha_as_closed_form() {
        // Conflict set: image carries the label, text carries another class. VCD with the image
        // removed as `z_ablated` is exactly the linear model with image weight (1 + α)·w_img.
        let config = SynthConfig {
            classes: 2,
            items: 5000,
            channels: vec![
                ChannelSpec::new("image", 1.0, 1.0),
                ChannelSpec::new("text", 1.0, 1.0),
            ],
            mix: StructureMix::redundant(),
            shortcut: None,
            seed: 21,
        };
        let ds = SynthDataset::conflict_set(&config, 0b10).expect("valid");
        let model = LinearFusion::alpha(0.3);
        let items: Vec<LogitItem> = (0..ds.items.len())
            .map(|i| LogitItem {
                full: model.logits(&ds, i, &[Source::Own, Source::Own]),
                ablated: model.logits(&ds, i, &[Source::Removed, Source::Own]),
                label: ds.items[i].label,
            })
            .collect();
        let mut last = 0.0;
        for alpha in [0.0, 0.5, 1.0, 2.0, 4.0] {
            let r = vcd_rescoring(&items, alpha, 0.0, &BootstrapConfig::none()).expect("ok");
            let after = r.after.get().expect("d");
            let w = [(1.0 + alpha) * 0.3, 0.7];
            let exact = closed_form::follow_probability(&config.channels, &w, 0b01);
            assert!(
                (after - exact).abs() < 0.02,
                "alpha {alpha}: {after} vs {exact}"
            );
            assert!(after >= last);
            last = after;
        }
    }
}
