//! The item bootstrap: resample the evaluation items with replacement, recompute the statistic
//! on each replicate, report the percentile interval.
//!
//! Every modality metric is a function of per-item quantities (correctness under each condition,
//! an answer status), so a replicate is fully described by the *multiplicity* of each item in it.
//! Statistics receive those multiplicities as weights (`w_i ∈ {0, 1, 2, …}`, `Σ w_i = n`); the
//! point estimate is the same function with all weights 1. Keeping conditions paired by item
//! (the same item drawn for the full and the ablated run) is what makes the intervals of
//! differences such as the perceptual score tight.
//!
//! The resampling is local to `aequo-modality`: `aequo-core`'s Poisson bootstrap draws weights
//! for count cells, while modality metrics pair conditions item by item, so a replicate must
//! draw items; the quantile rule is the core's ([`quantile_sorted`]).

use crate::value::{Estimate, Interval, Undefined, Value};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// How many replicates, with which seed, for which coverage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootstrapConfig {
    /// Replicates; 0 disables intervals.
    pub replicates: usize,
    /// Seed of the `StdRng` that draws the replicates.
    pub seed: u64,
    /// Nominal coverage of the percentile interval, in (0, 1).
    pub level: f64,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            replicates: 1000,
            seed: 0,
            level: 0.95,
        }
    }
}

impl BootstrapConfig {
    /// No intervals, point estimates only.
    pub fn none() -> Self {
        Self {
            replicates: 0,
            ..Self::default()
        }
    }
}

/// Linear-interpolation quantile (type 7, `numpy.quantile`'s default) of sorted values:
/// `aequo-core`'s rule, `None` for an empty slice.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    (!sorted.is_empty()).then(|| aequo_core::bootstrap::quantile_sorted(sorted, q.clamp(0.0, 1.0)))
}

/// Percentile interval of `stat` over item-bootstrap replicates of `n` items; `None` when
/// intervals are disabled, there are no items, or the statistic was never defined.
pub fn item_bootstrap<F>(n: usize, cfg: &BootstrapConfig, mut stat: F) -> Option<Interval>
where
    F: FnMut(&[u32]) -> Option<f64>,
{
    if cfg.replicates == 0 || n == 0 {
        return None;
    }
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut weights = vec![0u32; n];
    let mut values = Vec::with_capacity(cfg.replicates);
    for _ in 0..cfg.replicates {
        weights.iter_mut().for_each(|w| *w = 0);
        for _ in 0..n {
            weights[rng.random_range(0..n)] += 1;
        }
        if let Some(v) = stat(&weights) {
            if v.is_finite() {
                values.push(v);
            }
        }
    }
    values.sort_by(f64::total_cmp);
    let alpha = (1.0 - cfg.level) / 2.0;
    let low = quantile_sorted(&values, alpha)?;
    let high = quantile_sorted(&values, 1.0 - alpha)?;
    Some(Interval {
        low,
        high,
        level: cfg.level,
        replicates: cfg.replicates,
        defined_replicates: values.len(),
        seed: cfg.seed,
    })
}

/// The point estimate (all weights 1) and the bootstrap interval of a weighted statistic.
pub fn estimate<F>(n: usize, cfg: &BootstrapConfig, reason: Undefined, mut stat: F) -> Estimate
where
    F: FnMut(&[u32]) -> Option<f64>,
{
    let ones = vec![1u32; n];
    let value = if n == 0 {
        Value::Undefined(Undefined::NoItems)
    } else {
        Value::from_option(stat(&ones), reason)
    };
    let interval = if value.get().is_some() {
        item_bootstrap(n, cfg, stat)
    } else {
        None
    };
    Estimate { value, n, interval }
}

/// Weighted mean of per-item values; `None` when the weights sum to zero.
pub fn weighted_mean(values: &[f64], w: &[u32]) -> Option<f64> {
    let mut s = 0.0;
    let mut t = 0.0;
    for (v, &wi) in values.iter().zip(w) {
        s += v * wi as f64;
        t += wi as f64;
    }
    (t > 0.0).then(|| s / t)
}

/// Weighted accuracy of per-item correctness.
pub fn weighted_accuracy(correct: &[bool], w: &[u32]) -> Option<f64> {
    let mut s = 0u64;
    let mut t = 0u64;
    for (&c, &wi) in correct.iter().zip(w) {
        if c {
            s += wi as u64;
        }
        t += wi as u64;
    }
    (t > 0).then(|| s as f64 / t as f64)
}

/// Calls `f` once per replicate with that replicate's item multiplicities (the same draws as
/// [`item_bootstrap`] for the same seed). Used when many statistics share one expensive
/// per-replicate table.
pub fn for_each_replicate<F>(n: usize, cfg: &BootstrapConfig, mut f: F)
where
    F: FnMut(&[u32]),
{
    if cfg.replicates == 0 || n == 0 {
        return;
    }
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut weights = vec![0u32; n];
    for _ in 0..cfg.replicates {
        weights.iter_mut().for_each(|w| *w = 0);
        for _ in 0..n {
            weights[rng.random_range(0..n)] += 1;
        }
        f(&weights);
    }
}

/// The percentile interval of replicate values (non-finite values dropped).
pub fn percentile_interval(mut values: Vec<f64>, cfg: &BootstrapConfig) -> Option<Interval> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let alpha = (1.0 - cfg.level) / 2.0;
    Some(Interval {
        low: quantile_sorted(&values, alpha)?,
        high: quantile_sorted(&values, 1.0 - alpha)?,
        level: cfg.level,
        replicates: cfg.replicates,
        defined_replicates: values.len(),
        seed: cfg.seed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn same_seed_same_interval_and_covers_point() {
        let correct: Vec<bool> = (0..200).map(|i| i % 3 != 0).collect();
        let cfg = BootstrapConfig {
            replicates: 300,
            seed: 7,
            level: 0.95,
        };
        let a = estimate(200, &cfg, Undefined::NoItems, |w| {
            weighted_accuracy(&correct, w)
        });
        let b = estimate(200, &cfg, Undefined::NoItems, |w| {
            weighted_accuracy(&correct, w)
        });
        assert_eq!(a, b);
        let i = a.interval.clone().expect("interval");
        let p = a.get().expect("defined");
        assert!(i.low < p && p < i.high, "{i:?} {p}");
        // Binomial standard error ≈ 0.033; the 95% interval is about ±0.065 wide.
        assert!((i.high - i.low) > 0.08 && (i.high - i.low) < 0.18);
    }

    #[test]
    fn empty_is_undefined() {
        let e = estimate(0, &BootstrapConfig::default(), Undefined::NoItems, |_| {
            Some(1.0)
        });
        assert_eq!(e.value, Value::Undefined(Undefined::NoItems));
        assert!(e.interval.is_none());
    }
}
