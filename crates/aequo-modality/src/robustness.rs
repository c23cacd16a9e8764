//! Missing-modality robustness curves: accuracy as a growing fraction `r` of items lose one
//! modality (removed for a seeded random subset of `⌈r·n⌉` items, the plan's `drop:<m>@<r>`
//! conditions; nested subsets, so the curve is monotone in expectation).
//!
//! Reported per rate with an item-bootstrap interval, plus the normalised area under the curve
//! `AUC = (1/r_max) ∫ acc(r) dr` (trapezoids) and the drop `acc(0) − acc(r_max)`. For a model
//! whose accuracy without `m` is `a_0` and with it `a_1`, the curve is the line
//! `acc(r) = (1 − r) a_1 + r a_0` in expectation.

use crate::bootstrap::{estimate, weighted_accuracy, BootstrapConfig};
use crate::error::{check_len, ModalityError, Result};
use crate::value::{Estimate, Modality, Undefined};
use serde::{Deserialize, Serialize};

/// One point of a curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Fraction of items with the modality removed.
    pub rate: f64,
    /// Accuracy at that rate.
    pub accuracy: Estimate,
}

/// A robustness curve for one modality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustnessCurve {
    /// The modality removed.
    pub modality: Modality,
    /// Points by increasing rate.
    pub points: Vec<CurvePoint>,
    /// Normalised area under the curve.
    pub auc: Estimate,
    /// `acc(first rate) − acc(last rate)`.
    pub drop: Estimate,
}

/// Builds the curve from per-item correctness at each rate.
pub fn robustness_curve(
    modality: Modality,
    by_rate: &[(f64, Vec<bool>)],
    cfg: &BootstrapConfig,
) -> Result<RobustnessCurve> {
    if by_rate.len() < 2 {
        return Err(ModalityError::InvalidConfig {
            message: "a robustness curve needs at least two rates; plan rates such as 0, 0.5, 1"
                .into(),
        });
    }
    let mut pts: Vec<&(f64, Vec<bool>)> = by_rate.iter().collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pts[0].1.len();
    for p in &pts {
        check_len("a rate's correctness", n, p.1.len())?;
    }
    let points = pts
        .iter()
        .map(|(r, c)| CurvePoint {
            rate: *r,
            accuracy: estimate(n, cfg, Undefined::NoItems, |w| weighted_accuracy(c, w)),
        })
        .collect();
    let (r0, r1) = (pts[0].0, pts[pts.len() - 1].0);
    let auc = estimate(
        n,
        cfg,
        Undefined::ZeroDenominator {
            numerator: 0.0,
            denominator: r1 - r0,
        },
        |w| {
            let accs: Option<Vec<f64>> = pts.iter().map(|(_, c)| weighted_accuracy(c, w)).collect();
            let accs = accs?;
            let area: f64 = pts
                .windows(2)
                .zip(accs.windows(2))
                .map(|(p, a)| (p[1].0 - p[0].0) * (a[0] + a[1]) / 2.0)
                .sum();
            (r1 > r0).then(|| area / (r1 - r0))
        },
    );
    let (first, last) = (&pts[0].1, &pts[pts.len() - 1].1);
    let drop = estimate(n, cfg, Undefined::NoItems, |w| {
        Some(weighted_accuracy(first, w)? - weighted_accuracy(last, w)?)
    });
    Ok(RobustnessCurve {
        modality,
        points,
        auc,
        drop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::*;

    #[test]
    fn hand_computed() {
        let c = robustness_curve(
            Modality::new("image"),
            &[
                (1.0, vec![false, false, true, false]),
                (0.0, vec![true, true, true, false]),
                (0.5, vec![true, false, true, false]),
            ],
            &BootstrapConfig::none(),
        )
        .expect("ok");
        // acc 0.75, 0.5, 0.25 → AUC = (0.625 + 0.375)/2 = 0.5, drop 0.5
        assert_eq!(c.auc.get(), Some(0.5));
        assert_eq!(c.drop.get(), Some(0.5));
        assert_eq!(c.points[0].rate, 0.0);
    }

    #[test]
    fn synthetic_curve_is_linear_between_full_and_removed() {
        let ds = SynthDataset::generate(&SynthConfig {
            classes: 2,
            items: 6000,
            channels: vec![
                ChannelSpec::new("image", 1.5, 1.0),
                ChannelSpec::new("text", 0.8, 1.0),
            ],
            mix: StructureMix::redundant(),
            shortcut: None,
            seed: 12,
        })
        .expect("valid");
        let model = LinearFusion::alpha(0.6);
        let order = permutation(6000, 77);
        let mut rank = vec![0usize; 6000];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let rates = [0.0, 0.25, 0.5, 0.75, 1.0];
        let by_rate: Vec<(f64, Vec<bool>)> = rates
            .iter()
            .map(|&r| {
                let cut = (r * 6000.0_f64).ceil() as usize;
                (
                    r,
                    model.correctness(&ds, |i| {
                        vec![
                            if rank[i] < cut {
                                Source::Removed
                            } else {
                                Source::Own
                            },
                            Source::Own,
                        ]
                    }),
                )
            })
            .collect();
        let c = robustness_curve(Modality::new("image"), &by_rate, &BootstrapConfig::none())
            .expect("ok");
        let a1 = closed_form::accuracy(&ds.config.channels, &model.weights, 0b11);
        let a0 = closed_form::accuracy(&ds.config.channels, &model.weights, 0b10);
        for p in &c.points {
            let exact = (1.0 - p.rate) * a1 + p.rate * a0;
            assert!(
                (p.accuracy.get().expect("d") - exact).abs() < 0.02,
                "{} {:?} {exact}",
                p.rate,
                p.accuracy
            );
        }
        assert!((c.auc.get().expect("d") - (a0 + a1) / 2.0).abs() < 0.02);
    }

    #[test]
    fn one_rate_is_an_error() {
        assert!(robustness_curve(
            Modality::new("x"),
            &[(0.0, vec![true])],
            &BootstrapConfig::none()
        )
        .is_err());
    }
}
