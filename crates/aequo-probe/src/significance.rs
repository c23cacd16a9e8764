//! Tests of the probe metrics' group-vs-baseline effects, paired over templates, and their
//! correction for multiple comparisons across a run (DESIGN principle 2).
//!
//! Probes of one template differ only in the attribute, so a group's effect is measured within
//! templates: for template `t`, `d_t = mean_{probes of g in t} y − mean_{probes of baseline in t} y`
//! over the templates where both were answered. Two tests of `H0: E[d] = 0`:
//!
//! * **paired t test** — `t = d̄ / (s_d / √n)`, `n − 1` degrees of freedom, two-sided (Student;
//!   `scipy.stats.ttest_rel`);
//! * **sign-flip permutation test** — under H0 each `d_t` is symmetric about 0, so the signs are
//!   exchangeable: `p = #{s ∈ {±1}ⁿ : |Σ s_t d_t| ≥ |Σ d_t|} / 2ⁿ` (exact for n ≤ 16; above that
//!   from 20,000 random sign vectors of a seeded generator, with the `(k + 1)/(B + 1)` estimate).
//!
//! The paired t p-values of every comparison of a run (all axes, forms and question kinds) are
//! adjusted together by Holm (family-wise error) and Benjamini–Hochberg (false discovery rate) with
//! `aequo_core::hypothesis`.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::metrics::GroupObs;

/// A paired test of one group against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedTest {
    /// Templates with both the group and the baseline answered.
    pub templates: usize,
    /// Mean within-template difference `d̄`.
    pub mean_difference: f64,
    /// The t statistic (`None` when every `d_t` is equal, so the standard error is 0).
    pub t: Option<f64>,
    /// Degrees of freedom, `n − 1`.
    pub df: usize,
    /// Two-sided paired t p-value (1 when `d̄ = 0` with no spread; 0 when `d̄ ≠ 0` with none).
    pub p_value: f64,
    /// Two-sided sign-flip permutation p-value.
    pub p_permutation: f64,
    /// Holm-adjusted `p_value` across the run (filled by [`adjust`]).
    pub p_holm: Option<f64>,
    /// Benjamini–Hochberg-adjusted `p_value` across the run (filled by [`adjust`]).
    pub p_bh: Option<f64>,
}

/// The within-template differences `d_t` of `group` against `baseline`, in template order.
pub fn template_differences(obs: &[GroupObs], group: &str, baseline: &str) -> Vec<f64> {
    let mut per: BTreeMap<&str, [(f64, usize); 2]> = BTreeMap::new();
    for o in obs {
        let slot = if o.group == group {
            0
        } else if o.group == baseline {
            1
        } else {
            continue;
        };
        let e = &mut per.entry(o.template.as_str()).or_default()[slot];
        e.0 += o.y;
        e.1 += 1;
    }
    per.values()
        .filter(|[a, b]| a.1 > 0 && b.1 > 0)
        .map(|[a, b]| a.0 / a.1 as f64 - b.0 / b.1 as f64)
        .collect()
}

/// Two-sided paired t test on the differences: `(t, df, p)`; `None` with fewer than 2.
pub fn paired_t(d: &[f64]) -> Option<(Option<f64>, usize, f64)> {
    let n = d.len();
    if n < 2 {
        return None;
    }
    let mean = d.iter().sum::<f64>() / n as f64;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let se = (var / n as f64).sqrt();
    // Differences equal to within rounding: no spread to scale by.
    if se <= 1e-12 * mean.abs().max(1e-300) || se == 0.0 {
        let p = if mean == 0.0 { 1.0 } else { 0.0 };
        return Some((None, n - 1, p));
    }
    let t = mean / se;
    let dist = StudentsT::new(0.0, 1.0, (n - 1) as f64).expect("df ≥ 1 is a valid Student t");
    let p = (2.0 * dist.cdf(-t.abs())).min(1.0);
    Some((Some(t), n - 1, p))
}

/// Two-sided sign-flip permutation p-value of `Σ d_t` (see the module documentation).
pub fn sign_flip_p(d: &[f64], seed: u64) -> f64 {
    let n = d.len();
    let observed = d.iter().sum::<f64>().abs();
    // Ties within rounding count as at least as extreme.
    let tol = 1e-12 * d.iter().map(|x| x.abs()).sum::<f64>().max(1e-300);
    if n <= 16 {
        let total = 1u32 << n;
        let extreme = (0..total)
            .filter(|mask| {
                let s: f64 = d
                    .iter()
                    .enumerate()
                    .map(|(i, x)| if (mask >> i) & 1 == 1 { -x } else { *x })
                    .sum();
                s.abs() >= observed - tol
            })
            .count();
        extreme as f64 / total as f64
    } else {
        const B: usize = 20_000;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let extreme = (0..B)
            .filter(|_| {
                let s: f64 = d
                    .iter()
                    .map(|x| if rng.random::<bool>() { -x } else { *x })
                    .sum();
                s.abs() >= observed - tol
            })
            .count();
        (extreme + 1) as f64 / (B + 1) as f64
    }
}

/// Both tests of `group` against `baseline`; `None` with fewer than two paired templates.
pub fn paired_test(obs: &[GroupObs], group: &str, baseline: &str, seed: u64) -> Option<PairedTest> {
    let d = template_differences(obs, group, baseline);
    let (t, df, p_value) = paired_t(&d)?;
    Some(PairedTest {
        templates: d.len(),
        mean_difference: d.iter().sum::<f64>() / d.len() as f64,
        t,
        df,
        p_value,
        p_permutation: sign_flip_p(&d, seed),
        p_holm: None,
        p_bh: None,
    })
}

/// Adjusts the paired t p-values of all `tests` together (Holm and Benjamini–Hochberg over the
/// whole family, `aequo_core::hypothesis`), writing `p_holm` and `p_bh`.
pub fn adjust(tests: &mut [&mut PairedTest]) {
    let p: Vec<f64> = tests.iter().map(|t| t.p_value).collect();
    let holm = aequo_core::hypothesis::holm(&p);
    let bh = aequo_core::hypothesis::benjamini_hochberg(&p);
    for (i, t) in tests.iter_mut().enumerate() {
        t.p_holm = Some(holm[i]);
        t.p_bh = Some(bh[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(t: &str, g: &str, y: f64) -> GroupObs {
        GroupObs {
            template: t.into(),
            group: g.into(),
            y,
        }
    }

    #[test]
    fn paired_t_hand_computed() {
        // d = [1, 2, 3]: mean 2, s² = 1, se = 1/√3, t = 2√3 = 3.4641016…, df 2.
        let (t, df, p) = paired_t(&[1.0, 2.0, 3.0]).unwrap();
        assert!((t.unwrap() - 2.0 * 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(df, 2);
        // Student t with 2 df: P(|T| ≥ t) = 1 − t/√(t² + 2) = 1 − 3.4641/√14 = 0.07417990…
        // (closed form of the 2-df CDF; scipy.stats.ttest_rel([1,2,3],[0,0,0]) gives the same).
        assert!(
            (p - (1.0 - 2.0 * 3f64.sqrt() / 14f64.sqrt())).abs() < 1e-10,
            "{p}"
        );
        assert!(paired_t(&[1.0]).is_none());
        assert_eq!(paired_t(&[0.5, 0.5, 0.5]), Some((None, 2, 0.0)));
        assert_eq!(paired_t(&[0.0, 0.0]), Some((None, 1, 1.0)));
    }

    #[test]
    fn sign_flip_exact_hand_computed() {
        // d = [1, 2, 3], Σ = 6: of the 8 sign vectors only all-plus and all-minus reach |6|.
        assert!((sign_flip_p(&[1.0, 2.0, 3.0], 1) - 0.25).abs() < 1e-12);
        // d = [1, −1]: every vector has |Σ| ≥ 0 → 1.
        assert_eq!(sign_flip_p(&[1.0, -1.0], 1), 1.0);
        // Monte Carlo branch: 20 equal positive differences → only 2 of 2²⁰ vectors are as
        // extreme; the estimate is (k + 1)/(B + 1) with k almost surely 0.
        let p = sign_flip_p(&[1.0; 20], 7);
        assert!(p < 1e-3, "{p}");
    }

    #[test]
    fn differences_are_within_template() {
        let o = vec![
            obs("t1", "b", 0.0),
            obs("t1", "g", 1.0),
            obs("t1", "g", 3.0), // two samples of g in t1: mean 2
            obs("t2", "b", 5.0),
            obs("t2", "g", 4.0),
            obs("t3", "g", 9.0), // no baseline in t3: left out
        ];
        assert_eq!(template_differences(&o, "g", "b"), vec![2.0, -1.0]);
        let t = paired_test(&o, "g", "b", 1).unwrap();
        assert_eq!(t.templates, 2);
        assert!((t.mean_difference - 0.5).abs() < 1e-12);
    }

    #[test]
    fn adjustment_uses_the_whole_family() {
        let mk = |p: f64| PairedTest {
            templates: 3,
            mean_difference: 0.0,
            t: None,
            df: 2,
            p_value: p,
            p_permutation: p,
            p_holm: None,
            p_bh: None,
        };
        let (mut a, mut b, mut c) = (mk(0.01), mk(0.04), mk(0.03));
        adjust(&mut [&mut a, &mut b, &mut c]);
        // Holm: sorted 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.04·1, 0.06) = 0.06.
        assert!((a.p_holm.unwrap() - 0.03).abs() < 1e-12);
        assert!((c.p_holm.unwrap() - 0.06).abs() < 1e-12);
        assert!((b.p_holm.unwrap() - 0.06).abs() < 1e-12);
        // BH: 0.04·3/3 = 0.04, min(0.03·3/2, 0.04) = 0.04, 0.01·3/1 = 0.03.
        assert!((b.p_bh.unwrap() - 0.04).abs() < 1e-12);
        assert!((c.p_bh.unwrap() - 0.04).abs() < 1e-12);
        assert!((a.p_bh.unwrap() - 0.03).abs() < 1e-12);
    }
}
