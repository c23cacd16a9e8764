//! Intervals for the size of a gap, |δ|, when its sign is not the question.
//!
//! A two-group audit reports the gap between the higher and the lower group: |δ| for a
//! difference δ = m₁ − m₀, exp(−|ln ρ|) for a ratio ρ = m₁ / m₀. The percentile bootstrap of such
//! a folded statistic over-covers when the true gap is within about two standard errors of zero
//! (the replicates fold at zero as well; aequo's coverage study measured 97–98% at a nominal 95%
//! for groups of 100 rows, see BENCHMARKS.md), and the bias-corrected bootstrap under-covers
//! (87% in the same setting).
//!
//! Here the estimate δ̂ is taken as normal with mean δ and standard error s, so that |δ̂| follows
//! a folded normal whose only parameter is θ = |δ|; the interval is the Neyman construction for
//! θ with Feldman & Cousins' likelihood-ratio ordering (Phys. Rev. D 57, 3873, 1998): for each θ,
//! the acceptance region holds the values x of |δ̂| with the highest f(x; θ) / f(x; θ̂(x)) up to
//! the confidence level, and the interval is every θ whose region holds the observed |δ̂|. It
//! covers θ at the nominal level for every θ ≥ 0 (up to the normal approximation), is never
//! empty, and tends to |δ̂| ± z·s away from zero. s is read from the bootstrap replicates of the
//! *signed* contrast: their central interval's width divided by 2z, which keeps the percentile
//! interval's width where the gap is far from zero and ignores outlying replicates.
//!
//! The regions are computed once per confidence level, on a grid of θ in standard-error units
//! (steps of 0.05 up to 10; x on steps of 0.01; the coverage test integrates the result), and inverted by linear interpolation.

use std::sync::{Arc, Mutex};

use crate::bootstrap::two_quantiles;
use crate::interval::{normal_quantile, Interval};

/// Grid step of θ (standard errors).
const THETA_STEP: f64 = 0.05;
/// Largest θ on the grid.
const THETA_MAX: f64 = 10.0;
/// Grid step of x = |δ̂| / s.
const X_STEP: f64 = 0.01;
/// Largest x on the grid.
const X_MAX: f64 = 16.0;
/// From this x on, the interval is x ± z: the θ involved are at least 5 standard errors from
/// zero, where the regions are those of a normal mean (to 0.02 standard errors, tested).
const X_NORMAL: f64 = 7.0;

/// Acceptance regions [x₁(θ), x₂(θ)] on the θ grid, for one confidence level.
struct Regions {
    level: f64,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

fn density(x: f64, theta: f64) -> f64 {
    let g = |u: f64| (-0.5 * u * u).exp();
    g(x - theta) + g(x + theta)
}

/// The maximum-likelihood θ ≥ 0 for one observation x of a unit folded normal: 0 for x ≤ 1,
/// otherwise the positive root of θ = x·tanh(x·θ).
fn theta_hat(x: f64) -> f64 {
    if x <= 1.0 {
        return 0.0;
    }
    let mut t = x;
    for _ in 0..200 {
        let next = x * (x * t).tanh();
        if (next - t).abs() < 1e-12 {
            return next;
        }
        t = next;
    }
    t
}

impl Regions {
    fn new(level: f64) -> Regions {
        let nx = (X_MAX / X_STEP) as usize;
        let xs: Vec<f64> = (0..nx).map(|i| (i as f64 + 0.5) * X_STEP).collect();
        let best: Vec<f64> = xs.iter().map(|&x| density(x, theta_hat(x))).collect();
        let nt = (THETA_MAX / THETA_STEP).round() as usize + 1;
        let mut lower = Vec::with_capacity(nt);
        let mut upper = Vec::with_capacity(nt);
        // Unit-normal density constant: f(x; θ) above omits 1/√(2π); the mass uses it.
        let c = X_STEP / (2.0 * std::f64::consts::PI).sqrt();
        for i in 0..nt {
            let theta = i as f64 * THETA_STEP;
            // The ratio rises to 1 where θ̂(x) = θ (within a unit of θ; on [0, 1] for θ = 0)
            // and falls on both sides: the highest-ratio set is an interval grown from its
            // maximum one grid cell at a time, evaluating only the cells it takes or compares.
            let p = |j: usize| density(xs[j], theta);
            let r = |j: usize| p(j) / best[j];
            // (θ̂(x) = θ at x ≈ max(θ, 1) + [−0.05, 0.3]: 1.08 for θ = 0.5, 1.2 for 1, 2.0 for 2.)
            let centre = theta.max(1.0);
            let from = ((centre - 0.1) / X_STEP) as usize;
            let to = (((centre + 0.4) / X_STEP) as usize).min(nx - 1);
            let mut start = from;
            let mut r_start = r(from);
            for j in from + 1..=to {
                let rj = r(j);
                if rj > r_start {
                    start = j;
                    r_start = rj;
                }
            }
            let (mut a, mut b) = (start, start);
            let mut mass = p(start) * c;
            let (mut r_left, mut r_right) = (
                if a > 0 { r(a - 1) } else { f64::NEG_INFINITY },
                if b + 1 < nx {
                    r(b + 1)
                } else {
                    f64::NEG_INFINITY
                },
            );
            while mass < level && (a > 0 || b + 1 < nx) {
                if r_left >= r_right {
                    a -= 1;
                    mass += p(a) * c;
                    r_left = if a > 0 { r(a - 1) } else { f64::NEG_INFINITY };
                } else {
                    b += 1;
                    mass += p(b) * c;
                    r_right = if b + 1 < nx {
                        r(b + 1)
                    } else {
                        f64::NEG_INFINITY
                    };
                }
            }
            let lo = if a == 0 { 0.0 } else { xs[a] - X_STEP / 2.0 };
            lower.push(lo);
            upper.push(xs[b] + X_STEP / 2.0);
        }
        Regions {
            level,
            lower,
            upper,
        }
    }

    /// The interval for θ given x, both in standard-error units.
    fn invert(&self, x: f64) -> (f64, f64) {
        // θ_L: where the upper edge x₂(θ) reaches x (0 if x is inside the region of θ = 0).
        let theta_at = |edges: &[f64], x: f64| -> f64 {
            // Last grid θ whose edge is ≤ x, then interpolate to the next.
            let k = edges.partition_point(|&e| e <= x);
            if k == 0 {
                return 0.0;
            }
            if k >= edges.len() {
                return THETA_MAX;
            }
            let (e0, e1) = (edges[k - 1], edges[k]);
            let frac = if e1 > e0 { (x - e0) / (e1 - e0) } else { 0.0 };
            ((k - 1) as f64 + frac) * THETA_STEP
        };
        let lo = if x <= self.upper[0] {
            0.0
        } else {
            theta_at(&self.upper, x)
        };
        let hi = theta_at(&self.lower, x);
        (lo, hi.max(lo))
    }
}

fn regions(level: f64) -> Arc<Regions> {
    static CACHE: Mutex<Vec<Arc<Regions>>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = cache.iter().find(|r| r.level == level) {
        return r.clone();
    }
    let r = Arc::new(Regions::new(level));
    cache.push(r.clone());
    r
}

/// Computes (and caches) the regions of a confidence level ahead of [`folded_interval`], e.g.
/// on a thread of its own while the bootstrap runs.
pub fn prepare(level: f64) {
    regions(level);
}

/// The interval for |δ| from the observed signed contrast `estimate` and `standard_error` > 0.
pub fn folded_normal_interval(estimate: f64, standard_error: f64, level: f64) -> Interval {
    let x = estimate.abs() / standard_error;
    let (lo, hi) = if x >= X_NORMAL {
        let z = normal_quantile(0.5 + level / 2.0);
        ((x - z).max(0.0), x + z)
    } else {
        regions(level).invert(x)
    };
    Interval {
        lower: lo * standard_error,
        upper: hi * standard_error,
    }
}

/// The interval for |δ| from bootstrap replicates of the signed contrast δ* (non-finite ones
/// are undefined) and the observed contrast. `None` when the estimate is undefined, when over 5%
/// of the replicates are, or when the replicates do not vary (callers then fall back to the
/// percentile interval).
pub fn folded_interval(replicates: &mut Vec<f64>, estimate: f64, level: f64) -> Option<Interval> {
    let total = replicates.len();
    replicates.retain(|x| x.is_finite());
    if !estimate.is_finite()
        || replicates.is_empty()
        || (replicates.len() as f64) < 0.95 * total as f64
    {
        return None;
    }
    let a = (1.0 - level) / 2.0;
    let (lo, hi) = two_quantiles(replicates, a, 1.0 - a);
    let s = (hi - lo) / (2.0 * normal_quantile(1.0 - a));
    if !(s > 0.0 && s.is_finite()) {
        return None;
    }
    Some(folded_normal_interval(estimate, s, level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_monotone_and_start_at_the_half_normal() {
        let r = regions(0.95);
        // θ = 0: the folded normal is the half-normal; its 95% region is [0, 1.96].
        assert_eq!(r.lower[0], 0.0);
        assert!((r.upper[0] - 1.959_964).abs() < 0.005, "{}", r.upper[0]);
        for w in r.lower.windows(2) {
            assert!(w[1] >= w[0]);
        }
        for w in r.upper.windows(2) {
            assert!(w[1] >= w[0]);
        }
        // Far from zero the regions are θ ± 1.96.
        let k = (6.0 / THETA_STEP).round() as usize;
        assert!((r.lower[k] - (6.0 - 1.96)).abs() < 0.01, "{}", r.lower[k]);
        assert!((r.upper[k] - (6.0 + 1.96)).abs() < 0.01, "{}", r.upper[k]);
    }

    #[test]
    fn intervals_near_zero_and_far_from_it() {
        // At |δ̂| = 0 the interval is [0, u] with u > 0, never empty.
        let i = folded_normal_interval(0.0, 1.0, 0.95);
        assert_eq!(i.lower, 0.0);
        assert!(i.upper > 1.5 && i.upper < 1.8, "{i:?}");
        // Far away: δ̂ ± 1.96 s, and continuous across the switch to the normal form.
        let i = folded_normal_interval(-3.0, 0.5, 0.95);
        assert!((i.lower - (3.0 - 0.98)).abs() < 1e-3 && (i.upper - (3.0 + 0.98)).abs() < 1e-3);
        let below = folded_normal_interval(X_NORMAL - 1e-6, 1.0, 0.95);
        let above = folded_normal_interval(X_NORMAL, 1.0, 0.95);
        assert!(
            (below.lower - above.lower).abs() < 0.02,
            "{below:?} {above:?}"
        );
        assert!(
            (below.upper - above.upper).abs() < 0.02,
            "{below:?} {above:?}"
        );
        // The interval grows with |δ̂|.
        let mut prev = folded_normal_interval(0.0, 1.0, 0.95);
        for k in 1..60 {
            let i = folded_normal_interval(k as f64 * 0.1, 1.0, 0.95);
            assert!(
                i.lower >= prev.lower && i.upper >= prev.upper,
                "{k}: {i:?} {prev:?}"
            );
            prev = i;
        }
    }

    /// The construction's coverage, computed exactly by integrating over x on a fine grid:
    /// for each θ, the probability that the interval of |δ̂| holds θ.
    #[test]
    fn covers_at_the_nominal_level_for_every_gap() {
        for &level in &[0.9, 0.95] {
            for k in 0..=30 {
                let theta = k as f64 * 0.2;
                let dx = 0.001;
                let mut cover = 0.0;
                let mut x: f64 = dx / 2.0;
                while x < theta + 9.0 {
                    let i = folded_normal_interval(x, 1.0, level);
                    if i.lower <= theta && theta <= i.upper {
                        cover += density(x, theta) * dx / (2.0 * std::f64::consts::PI).sqrt();
                    }
                    x += dx;
                }
                assert!(
                    (cover - level).abs() < 0.006,
                    "level {level}, θ = {theta}: coverage {cover}"
                );
            }
        }
    }

    #[test]
    fn from_replicates() {
        // Replicates of a contrast centred at 0.3 with s = 0.05: six standard errors from zero,
        // so 0.3 ± 1.96 s.
        let z = normal_quantile(0.975);
        let mut reps: Vec<f64> = (1..2000)
            .map(|i| 0.3 + 0.05 * normal_quantile(i as f64 / 2000.0))
            .collect();
        let i = folded_interval(&mut reps, -0.3, 0.95).unwrap();
        assert!((i.lower - (0.3 - 0.05 * z)).abs() < 1e-3, "{i:?}");
        assert!((i.upper - (0.3 + 0.05 * z)).abs() < 1e-3, "{i:?}");
        // Three standard errors out, the folded construction's lower end is above the normal
        // one's (1.36 vs 1.04 standard errors; the mirrored mass sits near zero).
        let mut near: Vec<f64> = reps.iter().map(|x| 2.0 * (x - 0.3) + 0.3).collect();
        let i = folded_interval(&mut near, 0.3, 0.95).unwrap();
        assert!(
            (i.lower / 0.1 - 1.36).abs() < 0.02 && (i.upper / 0.1 - 4.96).abs() < 0.02,
            "{i:?}"
        );
        // Undefined estimate, too many undefined replicates, no variation: no interval.
        let mut r2 = reps.clone();
        assert!(folded_interval(&mut r2, f64::NAN, 0.95).is_none());
        let mut r3: Vec<f64> = reps
            .iter()
            .enumerate()
            .map(|(k, &x)| if k % 10 == 0 { f64::NAN } else { x })
            .collect();
        assert!(folded_interval(&mut r3, 0.3, 0.95).is_none());
        let mut r4 = vec![0.2; 100];
        assert!(folded_interval(&mut r4, 0.2, 0.95).is_none());
    }
}
