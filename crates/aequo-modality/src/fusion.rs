//! A small late-fusion classifier trained in Rust with plain full-batch gradient descent (no ML
//! framework): one linear soft-max head per modality, logits summed,
//! `z = Σ_m (W_m x_m + b_m)`, cross-entropy loss with L2 on the weights. It is the "real trained
//! model" of issue 7: trained on a semi-real two-modality set (scikit-learn's digits as the image
//! channel and a noisy label token as the text channel), whose reliance the audit then measures.
//!
//! A removed modality is a zero input (its head then contributes only its bias), the same
//! convention as BalanceBenchmark's zero padding.

use crate::synth::argmax;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// One linear head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearHead {
    /// Input dimension.
    pub dim: usize,
    /// Weights, `classes × dim`, row-major.
    pub weights: Vec<f64>,
    /// Biases, one per class.
    pub bias: Vec<f64>,
}

/// Training options.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Full-batch gradient steps.
    pub epochs: usize,
    /// Step size.
    pub learning_rate: f64,
    /// L2 penalty on the weights.
    pub l2: f64,
    /// Seed of the initial weights.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 150,
            learning_rate: 0.5,
            l2: 1e-4,
            seed: 0,
        }
    }
}

/// A trained late-fusion model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LateFusion {
    /// Classes.
    pub classes: usize,
    /// One head per modality.
    pub heads: Vec<LinearHead>,
}

impl LateFusion {
    /// Logits; `None` marks a removed modality.
    pub fn logits(&self, inputs: &[Option<&[f64]>]) -> Vec<f64> {
        let mut z = vec![0.0; self.classes];
        for (h, x) in self.heads.iter().zip(inputs) {
            for (c, zc) in z.iter_mut().enumerate() {
                *zc += h.bias[c];
                if let Some(x) = x {
                    let row = &h.weights[c * h.dim..(c + 1) * h.dim];
                    *zc += row.iter().zip(*x).map(|(w, v)| w * v).sum::<f64>();
                }
            }
        }
        z
    }

    /// The predicted class.
    pub fn predict(&self, inputs: &[Option<&[f64]>]) -> usize {
        argmax(&self.logits(inputs))
    }
}

fn softmax_in_place(z: &mut [f64]) {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
}

/// Trains the model: `features[m][i]` is item `i`'s input for modality `m`.
pub fn train(
    features: &[Vec<Vec<f64>>],
    labels: &[usize],
    classes: usize,
    cfg: &TrainConfig,
) -> crate::Result<LateFusion> {
    let n = labels.len();
    if n == 0 || classes < 2 || features.is_empty() || labels.iter().any(|y| *y >= classes) {
        return Err(crate::ModalityError::InvalidConfig {
            message: "training needs items, at least two classes, one modality and labels below the class count".into(),
        });
    }
    for f in features {
        crate::error::check_len("a modality's features", n, f.len())?;
    }
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut heads: Vec<LinearHead> = features
        .iter()
        .map(|f| {
            let dim = f.first().map(Vec::len).unwrap_or(0);
            LinearHead {
                dim,
                weights: (0..classes * dim)
                    .map(|_| (rng.random::<f64>() - 0.5) * 0.01)
                    .collect(),
                bias: vec![0.0; classes],
            }
        })
        .collect();
    let mut p = vec![0.0; classes];
    for _ in 0..cfg.epochs {
        let mut grads: Vec<(Vec<f64>, Vec<f64>)> = heads
            .iter()
            .map(|h| (vec![0.0; h.weights.len()], vec![0.0; classes]))
            .collect();
        for i in 0..n {
            let inputs: Vec<Option<&[f64]>> =
                features.iter().map(|f| Some(f[i].as_slice())).collect();
            p.iter_mut().for_each(|v| *v = 0.0);
            for (h, x) in heads.iter().zip(&inputs) {
                let x = x.unwrap_or(&[]);
                for (c, pc) in p.iter_mut().enumerate() {
                    *pc += h.bias[c]
                        + h.weights[c * h.dim..(c + 1) * h.dim]
                            .iter()
                            .zip(x)
                            .map(|(w, v)| w * v)
                            .sum::<f64>();
                }
            }
            softmax_in_place(&mut p);
            p[labels[i]] -= 1.0;
            for ((gw, gb), (h, x)) in grads.iter_mut().zip(heads.iter().zip(&inputs)) {
                let x = x.unwrap_or(&[]);
                for (c, d) in p.iter().enumerate() {
                    gb[c] += d;
                    if *d != 0.0 {
                        for (g, v) in gw[c * h.dim..(c + 1) * h.dim].iter_mut().zip(x) {
                            *g += d * v;
                        }
                    }
                }
            }
        }
        for (h, (gw, gb)) in heads.iter_mut().zip(&grads) {
            for (w, g) in h.weights.iter_mut().zip(gw) {
                *w -= cfg.learning_rate * (g / n as f64 + cfg.l2 * *w);
            }
            for (b, g) in h.bias.iter_mut().zip(gb) {
                *b -= cfg.learning_rate * g / n as f64;
            }
        }
    }
    Ok(LateFusion { classes, heads })
}

/// A noisy label-token channel: the one-hot of the true class with probability `1 − corruption`,
/// else of a uniformly drawn class (seeded).
pub fn noisy_label_channel(
    labels: &[usize],
    classes: usize,
    corruption: f64,
    seed: u64,
) -> Vec<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    labels
        .iter()
        .map(|&y| {
            let t = if rng.random::<f64>() < corruption {
                rng.random_range(0..classes)
            } else {
                y
            };
            (0..classes).map(|c| f64::from(u8::from(c == t))).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_toy_problem_and_rejects_bad_input() {
        let labels: Vec<usize> = (0..200).map(|i| i % 2).collect();
        let x: Vec<Vec<f64>> = labels
            .iter()
            .map(|&y| vec![if y == 1 { 1.0 } else { -1.0 }, 0.3])
            .collect();
        let m = train(
            std::slice::from_ref(&x),
            &labels,
            2,
            &TrainConfig {
                epochs: 50,
                ..TrainConfig::default()
            },
        )
        .expect("ok");
        let acc = x
            .iter()
            .zip(&labels)
            .filter(|(x, y)| m.predict(&[Some(x.as_slice())]) == **y)
            .count();
        assert_eq!(acc, 200);
        assert!(train(&[x], &[0, 1], 2, &TrainConfig::default()).is_err());
    }
}
