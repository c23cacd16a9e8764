//! A synthetic multimodal data set with known ground truth: the test bed of every metric here
//! (reference/modality.md §5).
//!
//! Each item has a label `y ∈ {0..K}` and one feature vector per channel (modality) in `R^K`:
//! `x_m = s_m · e_c + σ_m · ε`, `ε ~ N(0, I)`, where `c` is the class the channel *carries* for
//! this item (or `s_m = 0`, pure noise, when it carries none). The information structure of an
//! item is planted:
//! * **redundant** — every channel carries `y`;
//! * **unique(m)** — only channel `m` carries `y`, the others are noise;
//! * **synergistic** — channels 0 and 1 carry `a` and `b` with `(a + b) mod K = y`: neither alone
//!   says anything about `y`, both together determine it.
//!
//! A text-shortcut knob adds a "keyword" class to one channel that equals `y` with probability
//! `ρ` and is uniform otherwise. Conflict items carry class `a` in one channel set and `b ≠ a` in
//! the rest.
//!
//! Reference models with known reliance need no training: [`LinearFusion`] sums per-channel
//! oracle log-likelihood scores `g_m(x)_k = s_m x_k / σ_m²` with weights `w_m` (the reliance), and
//! [`oracle_prediction`] answers from the planted structure (correct exactly when the present
//! channels determine `y`). For two classes the accuracies of `LinearFusion` under ablation,
//! permutation and conflict have closed forms ([`closed_form`]), against which the estimators
//! are tested.

use crate::value::{ItemId, Modality};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// One channel of the generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelSpec {
    /// Its modality name.
    pub modality: Modality,
    /// Signal strength `s_m` (distance of the class mean from the origin).
    pub signal: f64,
    /// Noise standard deviation `σ_m` (> 0).
    pub noise: f64,
}

impl ChannelSpec {
    /// A channel named `name` with signal `s` and noise `σ`.
    pub fn new(name: &str, signal: f64, noise: f64) -> Self {
        Self {
            modality: Modality::new(name),
            signal,
            noise,
        }
    }
    /// Signal-to-noise ratio `s² / σ²`.
    pub fn snr(&self) -> f64 {
        (self.signal / self.noise).powi(2)
    }
}

/// The planted information structure of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "channel", rename_all = "snake_case")]
pub enum Structure {
    /// Every channel carries the label.
    Redundant,
    /// Only this channel carries the label.
    Unique(usize),
    /// Channels 0 and 1 together determine the label; neither alone does.
    Synergistic,
    /// Conflict item: the channels in the mask carry `conflict_class`, the others carry `y`.
    Conflict(u32),
}

/// Proportions of the structures (normalised internally).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureMix {
    /// Weight of redundant items.
    pub redundant: f64,
    /// Weight of items unique to each channel (one entry per channel, or empty).
    pub unique: Vec<f64>,
    /// Weight of synergistic items (needs at least two channels).
    pub synergistic: f64,
}

impl StructureMix {
    /// Only redundant items.
    pub fn redundant() -> Self {
        Self {
            redundant: 1.0,
            unique: Vec::new(),
            synergistic: 0.0,
        }
    }
}

/// A keyword shortcut in one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortcut {
    /// Channel index that carries the keyword.
    pub channel: usize,
    /// Probability that the keyword equals the label (uniform otherwise).
    pub rho: f64,
}

/// Configuration of the generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthConfig {
    /// Number of classes `K` (≥ 2).
    pub classes: usize,
    /// Number of items.
    pub items: usize,
    /// The channels.
    pub channels: Vec<ChannelSpec>,
    /// The structure mix.
    pub mix: StructureMix,
    /// Optional keyword shortcut.
    pub shortcut: Option<Shortcut>,
    /// Seed of the `StdRng`.
    pub seed: u64,
}

/// One generated item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthItem {
    /// Its id (`"s{index}"`).
    pub id: ItemId,
    /// Its label.
    pub label: usize,
    /// Its planted structure.
    pub structure: Structure,
    /// The class each channel carries (`None`: pure noise).
    pub carried: Vec<Option<usize>>,
    /// One feature vector of length `K` per channel.
    pub features: Vec<Vec<f64>>,
    /// The keyword of the shortcut channel, if any.
    pub keyword: Option<usize>,
}

/// A generated data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthDataset {
    /// The configuration it was generated from.
    pub config: SynthConfig,
    /// The items.
    pub items: Vec<SynthItem>,
}

fn standard_normal(rng: &mut StdRng) -> f64 {
    // Box–Muller; rand_distr is not needed for one distribution.
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn features_for(
    rng: &mut StdRng,
    spec: &ChannelSpec,
    k: usize,
    carried: Option<usize>,
) -> Vec<f64> {
    (0..k)
        .map(|j| {
            let mean = if carried == Some(j) { spec.signal } else { 0.0 };
            mean + spec.noise * standard_normal(rng)
        })
        .collect()
}

impl SynthDataset {
    /// Generates a data set; the same config gives the same items.
    pub fn generate(config: &SynthConfig) -> crate::Result<Self> {
        validate(config)?;
        let k = config.classes;
        let m = config.channels.len();
        let mut rng = StdRng::seed_from_u64(config.seed);
        let mut weights = vec![config.mix.redundant];
        weights.extend(config.mix.unique.iter().copied());
        weights.push(config.mix.synergistic);
        let total: f64 = weights.iter().sum();
        let mut items = Vec::with_capacity(config.items);
        for i in 0..config.items {
            let label = rng.random_range(0..k);
            let mut r = rng.random::<f64>() * total;
            let mut pick = weights.len() - 1;
            for (j, w) in weights.iter().enumerate() {
                if r < *w {
                    pick = j;
                    break;
                }
                r -= w;
            }
            let structure = if pick == 0 {
                Structure::Redundant
            } else if pick <= config.mix.unique.len() {
                Structure::Unique(pick - 1)
            } else {
                Structure::Synergistic
            };
            let carried: Vec<Option<usize>> = match structure {
                Structure::Redundant => vec![Some(label); m],
                Structure::Unique(c) => (0..m).map(|j| (j == c).then_some(label)).collect(),
                Structure::Synergistic => {
                    let a = rng.random_range(0..k);
                    let b = (label + k - a) % k;
                    (0..m)
                        .map(|j| match j {
                            0 => Some(a),
                            1 => Some(b),
                            _ => None,
                        })
                        .collect()
                }
                Structure::Conflict(_) => unreachable!("conflicts are built by conflict_set"),
            };
            let features = config
                .channels
                .iter()
                .zip(&carried)
                .map(|(spec, c)| features_for(&mut rng, spec, k, *c))
                .collect();
            let keyword = config.shortcut.as_ref().map(|s| {
                if rng.random::<f64>() < s.rho {
                    label
                } else {
                    rng.random_range(0..k)
                }
            });
            items.push(SynthItem {
                id: ItemId(format!("s{i}")),
                label,
                structure,
                carried,
                features,
                keyword,
            });
        }
        Ok(Self {
            config: config.clone(),
            items,
        })
    }

    /// A conflict set: for each item the channels in `mask` carry a class `b ≠ y` and the others
    /// carry `y`; the label is `y` (the answer of the unmasked channels).
    pub fn conflict_set(config: &SynthConfig, mask: u32) -> crate::Result<Self> {
        validate(config)?;
        let k = config.classes;
        let mut rng = StdRng::seed_from_u64(config.seed);
        let items = (0..config.items)
            .map(|i| {
                let label = rng.random_range(0..k);
                let other = (label + 1 + rng.random_range(0..k - 1)) % k;
                let carried: Vec<Option<usize>> = (0..config.channels.len())
                    .map(|j| Some(if mask & (1 << j) != 0 { other } else { label }))
                    .collect();
                let features = config
                    .channels
                    .iter()
                    .zip(&carried)
                    .map(|(spec, c)| features_for(&mut rng, spec, k, *c))
                    .collect();
                SynthItem {
                    id: ItemId(format!("c{i}")),
                    label,
                    structure: Structure::Conflict(mask),
                    carried,
                    features,
                    keyword: None,
                }
            })
            .collect();
        Ok(Self {
            config: config.clone(),
            items,
        })
    }

    /// Labels of all items.
    pub fn labels(&self) -> Vec<usize> {
        self.items.iter().map(|i| i.label).collect()
    }

    /// Modality names of the channels.
    pub fn modalities(&self) -> Vec<Modality> {
        self.config
            .channels
            .iter()
            .map(|c| c.modality.clone())
            .collect()
    }
}

fn validate(config: &SynthConfig) -> crate::Result<()> {
    let bad = |message: String| Err(crate::ModalityError::InvalidConfig { message });
    if config.classes < 2 {
        return bad(format!("classes is {}; use at least 2", config.classes));
    }
    if config.channels.is_empty() || config.channels.len() > 6 {
        return bad(format!(
            "{} channels; use between 1 and 6",
            config.channels.len()
        ));
    }
    if config
        .channels
        .iter()
        .any(|c| c.noise.is_nan() || c.noise <= 0.0 || !c.signal.is_finite())
    {
        return bad("every channel needs noise > 0 and a finite signal".into());
    }
    if !config.mix.unique.is_empty() && config.mix.unique.len() != config.channels.len() {
        return bad("mix.unique needs one weight per channel, or none".into());
    }
    if config.mix.synergistic > 0.0 && config.channels.len() < 2 {
        return bad("synergistic items need at least two channels".into());
    }
    let all = std::iter::once(config.mix.redundant)
        .chain(config.mix.unique.iter().copied())
        .chain(std::iter::once(config.mix.synergistic));
    if all.clone().any(|w| w < 0.0 || !w.is_finite()) || all.sum::<f64>() <= 0.0 {
        return bad("structure weights must be non-negative with a positive sum".into());
    }
    if let Some(s) = &config.shortcut {
        if s.channel >= config.channels.len() || !(0.0..=1.0).contains(&s.rho) {
            return bad("shortcut needs a valid channel index and rho in [0, 1]".into());
        }
    }
    Ok(())
}

/// Where a channel's input comes from in an ablation condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The item's own input.
    Own,
    /// Removed (zero features: the oracle score of a zero vector is zero).
    Removed,
    /// Another item's input (a permutation).
    From(usize),
}

/// A linear late-fusion reference model with known reliance: `z_k = Σ_m w_m g_m(x_m)_k` with the
/// oracle per-channel score `g_m(x)_k = s_m x_k / σ_m²` (the class-dependent part of the Gaussian
/// log-likelihood). A removed channel contributes 0; ties go to the lowest class index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearFusion {
    /// Reliance weight per channel.
    pub weights: Vec<f64>,
}

impl LinearFusion {
    /// Two-channel model `α·g_0 + (1 − α)·g_1`.
    pub fn alpha(alpha: f64) -> Self {
        Self {
            weights: vec![alpha, 1.0 - alpha],
        }
    }

    /// Logits for item `i` with channel sources `sources`.
    pub fn logits(&self, ds: &SynthDataset, i: usize, sources: &[Source]) -> Vec<f64> {
        let k = ds.config.classes;
        let mut z = vec![0.0; k];
        for (m, spec) in ds.config.channels.iter().enumerate() {
            let x = match sources.get(m).copied().unwrap_or(Source::Own) {
                Source::Own => &ds.items[i].features[m],
                Source::From(j) => &ds.items[j].features[m],
                Source::Removed => continue,
            };
            let c = self.weights.get(m).copied().unwrap_or(0.0) * spec.signal
                / (spec.noise * spec.noise);
            for (zk, xk) in z.iter_mut().zip(x) {
                *zk += c * xk;
            }
        }
        z
    }

    /// The predicted class (argmax of the logits).
    pub fn predict(&self, ds: &SynthDataset, i: usize, sources: &[Source]) -> usize {
        argmax(&self.logits(ds, i, sources))
    }

    /// Per-item correctness of the model on all items under the given sources per item.
    pub fn correctness<F>(&self, ds: &SynthDataset, mut sources: F) -> Vec<bool>
    where
        F: FnMut(usize) -> Vec<Source>,
    {
        (0..ds.items.len())
            .map(|i| self.predict(ds, i, &sources(i)) == ds.items[i].label)
            .collect()
    }
}

/// Index of the largest value (the first on ties).
pub fn argmax(z: &[f64]) -> usize {
    let mut best = 0;
    for (j, v) in z.iter().enumerate() {
        if *v > z[best] {
            best = j;
        }
    }
    best
}

/// The prediction of the structure oracle for `item` when the channels in `present` (bit mask)
/// are given: the label if the present channels determine it, otherwise the fixed wrong answer
/// `(y + 1) mod K`. Gives exact ground truth for modality-need and Shapley tests.
pub fn oracle_prediction(item: &SynthItem, classes: usize, present: u32) -> usize {
    let has = |m: usize| present & (1 << m) != 0;
    let determined = match item.structure {
        Structure::Redundant => present != 0,
        Structure::Unique(m) => has(m),
        Structure::Synergistic => has(0) && has(1),
        Structure::Conflict(_) => false,
    };
    if determined {
        item.label
    } else {
        (item.label + 1) % classes
    }
}

/// A seeded uniform random permutation of `0..n` (Fisher–Yates).
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// Closed forms for two classes and [`LinearFusion`] on redundant items.
///
/// With `K = 2` the logit difference towards the true class is a sum of independent channel
/// terms `T_m ~ N(± w_m r_m, 2 w_m² r_m)`, `r_m = s_m²/σ_m²` (the sign is + when the channel
/// carries the true class). Hence every accuracy below is a normal CDF.
pub mod closed_form {
    use super::ChannelSpec;

    /// Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7).
    pub fn phi(x: f64) -> f64 {
        let z = x / std::f64::consts::SQRT_2;
        let t = 1.0 / (1.0 + 0.327_591_1 * z.abs());
        let y = 1.0
            - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736)
                * t
                + 0.254_829_592)
                * t
                * (-z * z).exp();
        let erf = if z >= 0.0 { y } else { -y };
        0.5 * (1.0 + erf)
    }

    fn parts(channels: &[ChannelSpec], w: &[f64], mask: u32) -> (f64, f64) {
        let mut mean = 0.0;
        let mut var = 0.0;
        for (m, c) in channels.iter().enumerate() {
            if mask & (1 << m) != 0 {
                let r = c.snr();
                mean += w[m] * r;
                var += 2.0 * w[m] * w[m] * r;
            }
        }
        (mean, var)
    }

    /// Accuracy with only the channels in `present` given (others removed); a tie (no channel)
    /// counts as accuracy ½.
    pub fn accuracy(channels: &[ChannelSpec], w: &[f64], present: u32) -> f64 {
        let (mean, var) = parts(channels, w, present);
        if var == 0.0 {
            return 0.5;
        }
        phi(mean / var.sqrt())
    }

    /// Accuracy when the channels in `permuted` are taken from an independent random item
    /// (balanced labels: the permuted channels agree with the label with probability ½).
    pub fn permuted_accuracy(channels: &[ChannelSpec], w: &[f64], permuted: u32) -> f64 {
        let all = (1u32 << channels.len()) - 1;
        let (a, va) = parts(channels, w, all & !permuted);
        let (b, vb) = parts(channels, w, permuted);
        let sd = (va + vb).sqrt();
        if sd == 0.0 {
            return 0.5;
        }
        0.5 * phi((a + b) / sd) + 0.5 * phi((a - b) / sd)
    }

    /// Probability of following the channels in `mask` on a conflict item where they carry one
    /// class and the other channels carry the other.
    pub fn follow_probability(channels: &[ChannelSpec], w: &[f64], mask: u32) -> f64 {
        let all = (1u32 << channels.len()) - 1;
        let (a, va) = parts(channels, w, all & !mask);
        let (b, vb) = parts(channels, w, mask);
        phi((b - a) / (va + vb).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(n: usize) -> SynthConfig {
        SynthConfig {
            classes: 2,
            items: n,
            channels: vec![
                ChannelSpec::new("image", 1.0, 1.0),
                ChannelSpec::new("text", 1.0, 1.0),
            ],
            mix: StructureMix::redundant(),
            shortcut: None,
            seed: 3,
        }
    }

    #[test]
    fn phi_matches_known_values() {
        assert!((closed_form::phi(0.0) - 0.5).abs() < 1e-7);
        assert!((closed_form::phi(1.959_964) - 0.975).abs() < 1e-6);
        assert!((closed_form::phi(-1.0) - 0.158_655_25).abs() < 1e-6);
    }

    #[test]
    fn seeded_and_reproducible() {
        let a = SynthDataset::generate(&cfg(50)).expect("valid");
        let b = SynthDataset::generate(&cfg(50)).expect("valid");
        assert_eq!(a, b);
    }

    #[test]
    fn full_accuracy_matches_closed_form() {
        let ds = SynthDataset::generate(&cfg(20_000)).expect("valid");
        let model = LinearFusion::alpha(0.7);
        let acc = model.correctness(&ds, |_| vec![Source::Own, Source::Own]);
        let emp = acc.iter().filter(|c| **c).count() as f64 / acc.len() as f64;
        let exact = closed_form::accuracy(&ds.config.channels, &model.weights, 0b11);
        // Binomial standard error at n = 20000 is < 0.0035.
        assert!((emp - exact).abs() < 0.011, "{emp} vs {exact}");
    }

    #[test]
    fn synergy_needs_both_channels() {
        let mut c = cfg(200);
        c.classes = 4;
        c.mix = StructureMix {
            redundant: 0.0,
            unique: vec![],
            synergistic: 1.0,
        };
        let ds = SynthDataset::generate(&c).expect("valid");
        for it in &ds.items {
            let (a, b) = (it.carried[0].expect("a"), it.carried[1].expect("b"));
            assert_eq!((a + b) % 4, it.label);
            assert_eq!(oracle_prediction(it, 4, 0b11), it.label);
            assert_ne!(oracle_prediction(it, 4, 0b01), it.label);
        }
    }

    #[test]
    fn shortcut_keyword_matches_label_at_planted_rate() {
        let mut c = cfg(20_000);
        c.classes = 4;
        c.shortcut = Some(Shortcut {
            channel: 1,
            rho: 0.6,
        });
        let ds = SynthDataset::generate(&c).expect("valid");
        let hits = ds
            .items
            .iter()
            .filter(|i| i.keyword == Some(i.label))
            .count() as f64
            / 20_000.0;
        // P(keyword = y) = ρ + (1 − ρ)/K = 0.7; binomial SE ≈ 0.0032.
        assert!((hits - 0.7).abs() < 0.012, "{hits}");
    }

    #[test]
    fn bad_config_is_rejected() {
        let mut c = cfg(10);
        c.classes = 1;
        assert!(SynthDataset::generate(&c).is_err());
        let mut c = cfg(10);
        c.mix.unique = vec![1.0];
        assert!(SynthDataset::generate(&c).is_err());
    }
}

/// Writing a synthetic data set as a manifest and answering plan requests with a reference
/// model: the offline end-to-end path (`aequo modality synth`) and its tests.
pub mod manifest {
    use super::*;
    use crate::plan::{Prediction, Request};

    /// Manifest lines for the data set: inputs are the feature vectors; labels are class
    /// indices as text; when `conflict` names a channel, each item also carries a conflicting
    /// input for it (features drawn from another class, seeded).
    pub fn manifest_lines(ds: &SynthDataset, conflict: Option<usize>) -> Vec<serde_json::Value> {
        let k = ds.config.classes;
        let mut rng = StdRng::seed_from_u64(ds.config.seed ^ 0xC0FF_EE00);
        ds.items
            .iter()
            .map(|it| {
                let inputs: serde_json::Map<String, serde_json::Value> = ds
                    .config
                    .channels
                    .iter()
                    .zip(&it.features)
                    .map(|(c, f)| (c.modality.0.clone(), serde_json::json!(f)))
                    .collect();
                let mut line = serde_json::json!({
                    "id": it.id,
                    "label": it.label.to_string(),
                    "group": format!("{:?}", it.structure).to_lowercase(),
                    "inputs": inputs,
                });
                if let Some(c) = conflict {
                    let spec = &ds.config.channels[c];
                    let other = (it.label + 1 + rng.random_range(0..k - 1)) % k;
                    let f = features_for(&mut rng, spec, k, Some(other));
                    line["conflict"] = serde_json::json!({ spec.modality.0.clone(): f });
                }
                line
            })
            .collect()
    }

    /// Answers one request with the reference model: inputs are feature vectors or `null`.
    pub fn answer(model: &LinearFusion, channels: &[ChannelSpec], request: &Request) -> Prediction {
        let mut z: Vec<f64> = Vec::new();
        for (m, spec) in channels.iter().enumerate() {
            let Some(serde_json::Value::Array(x)) = request.inputs.get(&spec.modality) else {
                continue;
            };
            if z.is_empty() {
                z = vec![0.0; x.len()];
            }
            let c = model.weights.get(m).copied().unwrap_or(0.0) * spec.signal
                / (spec.noise * spec.noise);
            for (zk, xk) in z.iter_mut().zip(x) {
                *zk += c * xk.as_f64().unwrap_or(0.0);
            }
        }
        let pred = if z.is_empty() { 0 } else { argmax(&z) };
        Prediction {
            condition: request.condition.clone(),
            id: request.id.clone(),
            prediction: pred.to_string(),
            label: None,
        }
    }
}
