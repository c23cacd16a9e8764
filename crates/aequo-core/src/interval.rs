//! Closed-form intervals for proportions.
//!
//! Until the bootstrap (which covers every metric and disparity) runs, a group's proportion
//! metrics carry the Wilson score interval (Wilson 1927; recommended over the Wald interval by
//! Brown, Cai & DasGupta 2001 for its coverage at small n and near 0 or 1).

use serde::{Deserialize, Serialize};

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// The standard normal quantile for a two-sided confidence level (0 < level < 1), by
/// Acklam's rational approximation (relative error below 1.15e-9).
pub fn normal_quantile(p: f64) -> f64 {
    // Acklam's coefficients.
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let plow = 0.02425;
    if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// The Wilson score interval for `successes` out of `n` at a two-sided `level` (e.g. 0.95).
/// `None` when n = 0.
pub fn wilson(successes: f64, n: f64, level: f64) -> Option<Interval> {
    if n <= 0.0 {
        return None;
    }
    let z = normal_quantile(0.5 + level / 2.0);
    let p = successes / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(Interval {
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles() {
        // scipy.stats.norm.ppf
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-6);
        assert!((normal_quantile(0.5)).abs() < 1e-9);
        assert!((normal_quantile(0.005) + 2.575_829_303_548_901).abs() < 1e-6);
    }

    #[test]
    fn wilson_by_hand() {
        // statsmodels proportion_confint(7, 20, method="wilson") = (0.1812..., 0.5671...)
        let i = wilson(7.0, 20.0, 0.95).unwrap();
        assert!((i.lower - 0.181_192_3).abs() < 1e-4, "{i:?}");
        assert!((i.upper - 0.567_146_3).abs() < 1e-4, "{i:?}");
        let zero = wilson(0.0, 10.0, 0.95).unwrap();
        assert_eq!(zero.lower, 0.0);
        assert!(zero.upper > 0.2 && zero.upper < 0.35);
        assert!(wilson(0.0, 0.0, 0.95).is_none());
    }
}
