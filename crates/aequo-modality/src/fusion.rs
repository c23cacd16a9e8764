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

/// The words the digits model's text channel reads, by class.
pub const DIGIT_WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// The digits late-fusion model behind a vision-language interface: an 8×8 image (scikit-learn's
/// digits, 17 grey levels) as the image head's 64 inputs and the first digit word of the text
/// ([`DIGIT_WORDS`]) as the text head's one-hot; an absent image or text is a removed input.
/// Served by [`crate::serve::VisionServer`], it is the real model the live tests audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigitsFusion {
    /// The trained model: head 0 the image (64 inputs), head 1 the text (10 inputs), 10 classes.
    pub model: LateFusion,
    /// The name it answers under.
    pub name: String,
}

impl DigitsFusion {
    /// Wraps a trained model, checking its shape.
    pub fn new(model: LateFusion, name: impl Into<String>) -> crate::Result<Self> {
        let dims: Vec<usize> = model.heads.iter().map(|h| h.dim).collect();
        if model.classes != 10 || dims != [64, 10] {
            return Err(crate::ModalityError::InvalidConfig {
                message: format!(
                    "a digits model has 10 classes and heads of 64 (image) and 10 (text) inputs; this one has {} classes and heads {dims:?}",
                    model.classes
                ),
            });
        }
        Ok(Self {
            model,
            name: name.into(),
        })
    }

    /// The image of 64 pixel intensities in `[0, 1]` (the model's image features), as 8-bit grey.
    pub fn digit_image(pixels: &[f64]) -> crate::image::Image {
        crate::image::Image {
            width: 8,
            height: 8,
            channels: 1,
            data: pixels
                .iter()
                .map(|p| (p.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect(),
        }
    }

    /// The image features: 8×8 pixels, grey level quantised to the digits' 17 levels, in `[0, 1]`.
    pub fn image_features(img: &crate::image::Image) -> crate::Result<Vec<f64>> {
        if img.width != 8 || img.height != 8 {
            return Err(crate::ModalityError::InvalidInput {
                message: format!(
                    "the digits model reads 8×8 images, got {}×{}",
                    img.width, img.height
                ),
            });
        }
        Ok((0..64)
            .map(|i| (img.luma(i) * 16.0 / 255.0).round() / 16.0)
            .collect())
    }

    /// The text features: the one-hot of the first digit word, `None` when there is none.
    pub fn text_features(text: &str) -> Option<Vec<f64>> {
        let lower = text.to_lowercase();
        let class = lower
            .split(|c: char| !c.is_alphanumeric())
            .find_map(|w| DIGIT_WORDS.iter().position(|d| *d == w))?;
        Some((0..10).map(|c| f64::from(u8::from(c == class))).collect())
    }
}

impl crate::serve::VisionModel for DigitsFusion {
    fn name(&self) -> &str {
        &self.name
    }

    fn answer(&self, text: &str, images: &[crate::image::Image]) -> crate::Result<String> {
        let image = match images {
            [] => None,
            [img] => Some(Self::image_features(img)?),
            more => {
                return Err(crate::ModalityError::InvalidInput {
                    message: format!("the digits model reads one image, got {}", more.len()),
                })
            }
        };
        let text = Self::text_features(text);
        Ok(self
            .model
            .predict(&[image.as_deref(), text.as_deref()])
            .to_string())
    }
}

/// Reads scikit-learn's `digits.csv.gz` (64 pixel intensities 0–16 and the label per line) as
/// features in `[0, 1]` and labels.
pub fn load_digits(path: &std::path::Path) -> crate::Result<(Vec<Vec<f64>>, Vec<usize>)> {
    use std::io::Read;
    let io = |source| crate::ModalityError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).map_err(io)?)
        .read_to_string(&mut text)
        .map_err(io)?;
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| crate::ModalityError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        let v: Vec<f64> = line
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| bad(format!("not a number ({e})")))?;
        if v.len() != 65 || v[..64].iter().any(|p| !(0.0..=16.0).contains(p)) {
            return Err(bad(format!(
                "{} values; a digits row has 64 pixels in 0..=16 and a label",
                v.len()
            )));
        }
        let label = v[64];
        if !(0.0..10.0).contains(&label) || label.fract() != 0.0 {
            return Err(bad(format!("label {label} is not a digit")));
        }
        y.push(label as usize);
        x.push(v[..64].iter().map(|p| p / 16.0).collect());
    }
    Ok((x, y))
}

/// Options of [`train_digits`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigitsTraining {
    /// Probability that the text names a random digit.
    pub text_corruption: f64,
    /// Items used for training.
    pub train_items: usize,
    /// Held-out items written to the manifest.
    pub manifest_items: usize,
    /// Seed of the split, the text noise and the initial weights.
    pub seed: u64,
}

/// Trains the digits late-fusion model on a seeded split of `digits.csv.gz` with a noisy digit
/// word as text, and writes `model.json` ([`DigitsFusion`]), `manifest.jsonl` of held-out items
/// (`img/<id>.png` and the caption `"the caption says <word>"`) and returns a Markdown summary
/// (held-out accuracy with its n).
pub fn train_digits(
    digits: &std::path::Path,
    out: &std::path::Path,
    opts: &DigitsTraining,
) -> crate::Result<String> {
    let (x, y) = load_digits(digits)?;
    let n = x.len();
    if opts.train_items == 0
        || opts.train_items >= n
        || !(0.0..=1.0).contains(&opts.text_corruption)
    {
        return Err(crate::ModalityError::InvalidConfig {
            message: format!(
                "train items must be between 1 and {} (the file has {n}) and the text corruption in [0, 1]",
                n.saturating_sub(1)
            ),
        });
    }
    let order = crate::synth::permutation(n, opts.seed);
    let text = noisy_label_channel(&y, 10, opts.text_corruption, opts.seed.wrapping_add(1));
    let (tr, rest) = order.split_at(opts.train_items);
    let pick = |idx: &[usize], v: &[Vec<f64>]| idx.iter().map(|&i| v[i].clone()).collect();
    let model = train(
        &[pick(tr, &x), pick(tr, &text)],
        &tr.iter().map(|&i| y[i]).collect::<Vec<_>>(),
        10,
        &TrainConfig {
            epochs: 60,
            learning_rate: 1.0,
            l2: 1e-4,
            seed: opts.seed,
        },
    )?;
    let held = &rest[..opts.manifest_items.min(rest.len())];
    let io = |path: std::path::PathBuf| {
        move |source| crate::ModalityError::Io {
            path: path.clone(),
            source,
        }
    };
    let img_dir = out.join("img");
    std::fs::create_dir_all(&img_dir).map_err(io(img_dir.clone()))?;
    let mut lines = String::new();
    let mut correct = 0usize;
    for &i in held {
        let id = format!("d{i}");
        let png = DigitsFusion::digit_image(&x[i]).encode_png()?;
        let p = img_dir.join(format!("{id}.png"));
        std::fs::write(&p, png).map_err(io(p.clone()))?;
        let word = DIGIT_WORDS[argmax(&text[i])];
        let item = serde_json::json!({"id": id, "label": y[i].to_string(),
            "inputs": {"image": format!("img/{id}.png"), "text": format!("the caption says {word}")}});
        lines.push_str(&(item.to_string() + "\n"));
        correct += usize::from(model.predict(&[Some(&x[i]), Some(&text[i])]) == y[i]);
    }
    let mp = out.join("manifest.jsonl");
    std::fs::write(&mp, lines).map_err(io(mp.clone()))?;
    let fusion = DigitsFusion::new(model, "aequo-digits-fusion")?;
    let model_path = out.join("model.json");
    std::fs::write(
        &model_path,
        serde_json::to_string(&fusion).unwrap_or_default() + "\n",
    )
    .map_err(io(model_path.clone()))?;
    Ok(format!(
        "# Digits late-fusion model\n\nTrained on {} of {n} digits (text corruption {}); held-out accuracy {correct}/{} = {:.3} on the manifest's items.\nWrote `{}`, `{}` and {} images.\n",
        tr.len(),
        opts.text_corruption,
        held.len(),
        correct as f64 / held.len().max(1) as f64,
        model_path.display(),
        mp.display(),
        held.len()
    ))
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
