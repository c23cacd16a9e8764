//! Exact Shapley attribution over modalities (up to six: `2^6 = 64` coalitions).
//!
//! `φ_m = Σ_{S ⊆ M∖{m}} |S|!(n−|S|−1)!/n! · [v(S ∪ {m}) − v(S)]`, `n = |M|`.
//!
//! * **on accuracy** — `v(S)` = accuracy when only the modalities in `S` are given (the others
//!   removed: zero / blank / empty), as in BalanceBenchmark `balancemm/evaluation/modalitys.py`;
//!   `v(∅)` is the accuracy with every modality removed when that condition was run, else 0;
//! * **per item** — `v_i(S) = 1[prediction correct]` (BalanceBenchmark's sample-level variant, with
//!   `v_i(∅) = 0` when the empty condition was not run). By linearity the mean of the per-item
//!   values equals the accuracy attribution.
//!
//! Efficiency: `Σ_m φ_m = v(M) − v(∅)`. Coalitions are bit masks over the modality order.

use crate::bootstrap::{estimate, BootstrapConfig};
use crate::error::{check_len, ModalityError, Result};
use crate::value::{Estimate, Modality, Undefined};
use serde::{Deserialize, Serialize};

/// The most modalities exact enumeration accepts.
pub const MAX_MODALITIES: usize = 6;

fn factorial(n: usize) -> f64 {
    (1..=n).map(|x| x as f64).product()
}

/// Exact Shapley values of the `k` players for a value function over coalition masks.
pub fn exact_shapley<F>(k: usize, v: F) -> Result<Vec<f64>>
where
    F: Fn(u32) -> f64,
{
    if k > MAX_MODALITIES {
        return Err(ModalityError::TooManyModalities {
            count: k,
            max: MAX_MODALITIES,
        });
    }
    let values: Vec<f64> = (0..(1u32 << k)).map(&v).collect();
    Ok(shapley_from_table(k, &values))
}

fn shapley_from_table(k: usize, values: &[f64]) -> Vec<f64> {
    let nf = factorial(k);
    (0..k)
        .map(|m| {
            let bit = 1u32 << m;
            (0..(1u32 << k))
                .filter(|s| s & bit == 0)
                .map(|s| {
                    let size = s.count_ones() as usize;
                    let weight = factorial(size) * factorial(k - size - 1) / nf;
                    weight * (values[(s | bit) as usize] - values[s as usize])
                })
                .sum()
        })
        .collect()
}

/// Attribution of accuracy to modalities, with intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapleyAttribution {
    /// The modalities, in coalition-bit order.
    pub modalities: Vec<Modality>,
    /// `φ_m` per modality.
    pub phi: Vec<Estimate>,
    /// `v(M)`: accuracy with every modality.
    pub full_value: f64,
    /// `v(∅)` used (observed or 0).
    pub empty_value: f64,
    /// Whether `v(∅)` was observed (true) or set to 0 (false).
    pub empty_observed: bool,
    /// `|φ_m| / Σ|φ|` per modality (MM-SHAP-style share).
    pub share: Vec<Option<f64>>,
}

/// Per-item correctness under every coalition: `by_mask[s]` is the correctness vector when only
/// the modalities of mask `s` are given. `by_mask[0]` may be `None` (the all-removed condition
/// was not run; `v(∅) = 0`).
pub fn shapley_on_accuracy(
    modalities: &[Modality],
    by_mask: &[Option<Vec<bool>>],
    cfg: &BootstrapConfig,
) -> Result<ShapleyAttribution> {
    let k = modalities.len();
    if k > MAX_MODALITIES {
        return Err(ModalityError::TooManyModalities {
            count: k,
            max: MAX_MODALITIES,
        });
    }
    check_len("coalition conditions", 1 << k, by_mask.len())?;
    let full = by_mask[(1 << k) - 1]
        .as_ref()
        .ok_or_else(|| ModalityError::ConditionAbsent {
            condition: "full".into(),
            metric: "Shapley attribution".into(),
        })?;
    let n = full.len();
    for (s, c) in by_mask.iter().enumerate().skip(1) {
        match c {
            Some(c) => check_len("a coalition condition", n, c.len())?,
            None => {
                return Err(ModalityError::ConditionAbsent {
                    condition: format!("coalition mask {s:#b}"),
                    metric: "Shapley attribution".into(),
                })
            }
        }
    }
    let table = |w: &[u32]| -> Option<Vec<f64>> {
        let total: u64 = w.iter().map(|&x| x as u64).sum();
        if total == 0 {
            return None;
        }
        Some(
            by_mask
                .iter()
                .map(|c| match c {
                    None => 0.0,
                    Some(c) => {
                        c.iter()
                            .zip(w)
                            .filter(|(b, _)| **b)
                            .map(|(_, &wi)| wi as u64)
                            .sum::<u64>() as f64
                            / total as f64
                    }
                })
                .collect(),
        )
    };
    let ones = vec![1u32; n];
    let point = table(&ones).unwrap_or_else(|| vec![0.0; 1 << k]);
    let phi: Vec<Estimate> = (0..k)
        .map(|m| {
            estimate(n, cfg, Undefined::NoItems, |w| {
                table(w).map(|t| shapley_from_table(k, &t)[m])
            })
        })
        .collect();
    let abs_sum: f64 = phi.iter().filter_map(|e| e.get()).map(f64::abs).sum();
    let share = phi
        .iter()
        .map(|e| e.get().filter(|_| abs_sum > 0.0).map(|v| v.abs() / abs_sum))
        .collect();
    Ok(ShapleyAttribution {
        modalities: modalities.to_vec(),
        phi,
        full_value: point[(1 << k) - 1],
        empty_value: point[0],
        empty_observed: by_mask[0].is_some(),
        share,
    })
}

/// Per-item Shapley values (`items × modalities`) of correctness.
pub fn shapley_per_item(k: usize, by_mask: &[Option<Vec<bool>>]) -> Result<Vec<Vec<f64>>> {
    if k > MAX_MODALITIES {
        return Err(ModalityError::TooManyModalities {
            count: k,
            max: MAX_MODALITIES,
        });
    }
    check_len("coalition conditions", 1 << k, by_mask.len())?;
    let n = by_mask[(1 << k) - 1].as_ref().map(Vec::len).unwrap_or(0);
    (0..n)
        .map(|i| {
            let table: Vec<f64> = by_mask
                .iter()
                .map(|c| match c {
                    Some(c) => c.get(i).map(|b| *b as u8 as f64).unwrap_or(0.0),
                    None => 0.0,
                })
                .collect();
            Ok(shapley_from_table(k, &table))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::*;

    #[test]
    fn hand_computed_two_players() {
        // v(∅)=0, v(A)=0.6, v(B)=0.2, v(AB)=0.9 → φ_A = ½(0.6) + ½(0.7) = 0.65, φ_B = 0.25.
        let v = [0.0, 0.6, 0.2, 0.9];
        let phi = exact_shapley(2, |s| v[s as usize]).expect("ok");
        assert!((phi[0] - 0.65).abs() < 1e-12 && (phi[1] - 0.25).abs() < 1e-12);
    }

    #[test]
    fn efficiency_and_too_many() {
        let phi =
            exact_shapley(5, |s| (s.count_ones() as f64).powi(2) + (s & 1) as f64).expect("ok");
        assert!((phi.iter().sum::<f64>() - (25.0 + 1.0)).abs() < 1e-9);
        assert!(exact_shapley(7, |_| 0.0).is_err());
    }

    #[test]
    fn linear_model_logit_recovers_closed_form() {
        // For a linear logit model with removed channels contributing 0 (baseline b = 0),
        // φ_m of the true-class logit is exactly w_m · g_m(x_m)_y.
        let ds = SynthDataset::generate(&SynthConfig {
            classes: 3,
            items: 20,
            channels: vec![
                ChannelSpec::new("image", 1.0, 0.7),
                ChannelSpec::new("text", 0.5, 1.0),
                ChannelSpec::new("audio", 2.0, 2.0),
            ],
            mix: StructureMix::redundant(),
            shortcut: None,
            seed: 1,
        })
        .expect("valid");
        let model = LinearFusion {
            weights: vec![0.5, 0.3, 0.2],
        };
        for i in 0..ds.items.len() {
            let y = ds.items[i].label;
            let v = |s: u32| {
                let src: Vec<Source> = (0..3)
                    .map(|m| {
                        if s & (1 << m) != 0 {
                            Source::Own
                        } else {
                            Source::Removed
                        }
                    })
                    .collect();
                model.logits(&ds, i, &src)[y]
            };
            let phi = exact_shapley(3, v).expect("ok");
            for (m, spec) in ds.config.channels.iter().enumerate() {
                let exact = model.weights[m] * spec.signal / spec.noise.powi(2)
                    * ds.items[i].features[m][y];
                assert!((phi[m] - exact).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn oracle_unique_items_attribute_to_their_channel() {
        let ds = SynthDataset::generate(&SynthConfig {
            classes: 4,
            items: 400,
            channels: vec![
                ChannelSpec::new("image", 1.0, 1.0),
                ChannelSpec::new("text", 1.0, 1.0),
            ],
            mix: StructureMix {
                redundant: 0.0,
                unique: vec![3.0, 1.0],
                synergistic: 0.0,
            },
            shortcut: None,
            seed: 2,
        })
        .expect("valid");
        let by_mask: Vec<Option<Vec<bool>>> = (0..4u32)
            .map(|s| {
                Some(
                    ds.items
                        .iter()
                        .map(|it| oracle_prediction(it, 4, s) == it.label)
                        .collect(),
                )
            })
            .collect();
        let a =
            shapley_on_accuracy(&ds.modalities(), &by_mask, &BootstrapConfig::none()).expect("ok");
        let frac_image = ds
            .items
            .iter()
            .filter(|it| it.structure == Structure::Unique(0))
            .count() as f64
            / 400.0;
        assert!((a.phi[0].get().expect("d") - frac_image).abs() < 1e-12);
        assert!((a.phi[1].get().expect("d") - (1.0 - frac_image)).abs() < 1e-12);
        let per_item = shapley_per_item(2, &by_mask).expect("ok");
        let mean0 = per_item.iter().map(|r| r[0]).sum::<f64>() / 400.0;
        assert!((mean0 - frac_image).abs() < 1e-12);
    }

    #[test]
    fn synergy_splits_equally() {
        // v(AB) = 1, v(A) = v(B) = v(∅) = 0 → φ = ½ each.
        let by_mask = vec![
            Some(vec![false]),
            Some(vec![false]),
            Some(vec![false]),
            Some(vec![true]),
        ];
        let a = shapley_on_accuracy(
            &[Modality::new("a"), Modality::new("b")],
            &by_mask,
            &BootstrapConfig::none(),
        )
        .expect("ok");
        assert_eq!(a.phi[0].get(), Some(0.5));
        assert_eq!(a.share[1], Some(0.5));
    }

    #[test]
    fn missing_coalition_is_an_error() {
        let by_mask = vec![None, Some(vec![true]), None, Some(vec![true])];
        assert!(shapley_on_accuracy(
            &[Modality::new("a"), Modality::new("b")],
            &by_mask,
            &BootstrapConfig::none()
        )
        .is_err());
    }
}
