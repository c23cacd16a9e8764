//! Hypothesis tests for differences between groups, and multiple-testing correction.
//!
//! An intersectional audit compares dozens or hundreds of groups over several metrics; reported
//! one by one at α = 0.05, some "significant" gaps are noise. aequo tests each group against the
//! rest of the population and against the reference group, and every grouping's groups jointly,
//! then adjusts *all* p-values of the audit together by Holm (family-wise error) and
//! Benjamini–Hochberg (false discovery rate).
//!
//! * Two-proportion z test, pooled variance (e.g. Agresti, *Categorical Data Analysis*, §3.1.5;
//!   `statsmodels.stats.proportion.proportions_ztest`), two-sided.
//! * Fisher's exact test for a 2×2 table, two-sided as in `scipy.stats.fisher_exact`: the sum of
//!   the probabilities of all tables with the same margins no more likely than the observed one
//!   (relative tolerance 1e-7). Used instead of z when an expected count is below 5.
//! * Pearson's χ² test of independence for a k×2 table (`scipy.stats.chi2_contingency` without
//!   continuity correction, which scipy applies only to 2×2 tables).
//! * Holm (1979) step-down and Benjamini–Hochberg (1995) step-up adjusted p-values, as
//!   `statsmodels.stats.multitest.multipletests(method="holm" | "fdr_bh")`.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::erf::erfc;
use statrs::function::gamma::ln_gamma;

/// Which test produced a p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Two-proportion z test (pooled).
    TwoProportionZ,
    /// Fisher's exact test (2×2).
    FisherExact,
    /// Pearson's χ² test of independence (k×2).
    ChiSquared,
}

/// A test's statistic and p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test.
    pub kind: TestKind,
    /// z, χ², or (Fisher) the odds ratio; `None` when it is infinite or undefined.
    pub statistic: Option<f64>,
    /// Degrees of freedom (χ² only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// The two-sided normal tail probability P(|Z| ≥ |z|).
pub fn normal_two_sided(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// Two-proportion z test of x1/n1 against x2/n2 with pooled variance. `None` when a sample is
/// empty or the pooled proportion is 0 or 1 (no variance: the proportions are equal).
pub fn two_proportion_z(x1: f64, n1: f64, x2: f64, n2: f64) -> Option<TestResult> {
    if n1 <= 0.0 || n2 <= 0.0 {
        return None;
    }
    let p = (x1 + x2) / (n1 + n2);
    let var = p * (1.0 - p) * (1.0 / n1 + 1.0 / n2);
    if var <= 0.0 {
        return Some(TestResult {
            kind: TestKind::TwoProportionZ,
            statistic: Some(0.0),
            df: None,
            p_value: 1.0,
        });
    }
    let z = (x1 / n1 - x2 / n2) / var.sqrt();
    Some(TestResult {
        kind: TestKind::TwoProportionZ,
        statistic: Some(z),
        df: None,
        p_value: normal_two_sided(z),
    })
}

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// Fisher's exact test of the 2×2 table [[a, b], [c, d]] (counts), two-sided.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> TestResult {
    let (r1, c1, n) = (a + b, a + c, a + b + c + d);
    let lo = c1.saturating_sub(n - r1);
    let hi = r1.min(c1);
    let (r1f, c1f, nf) = (r1 as f64, c1 as f64, n as f64);
    let ln_denom = ln_choose(nf, c1f);
    let pmf =
        |x: u64| (ln_choose(r1f, x as f64) + ln_choose(nf - r1f, c1f - x as f64) - ln_denom).exp();
    let p_obs = pmf(a);
    let mut p = 0.0;
    for x in lo..=hi {
        let px = pmf(x);
        if px <= p_obs * (1.0 + 1e-7) {
            p += px;
        }
    }
    let odds = if b == 0 || c == 0 {
        None
    } else {
        Some((a as f64 * d as f64) / (b as f64 * c as f64))
    };
    TestResult {
        kind: TestKind::FisherExact,
        statistic: odds,
        df: None,
        p_value: p.min(1.0),
    }
}

/// Pearson's χ² test of independence for rows of (successes, trials). Rows with no trials are
/// ignored. `None` when fewer than two rows remain or a column total is zero.
pub fn chi_squared(rows: &[(f64, f64)]) -> Option<TestResult> {
    let rows: Vec<(f64, f64)> = rows.iter().copied().filter(|(_, n)| *n > 0.0).collect();
    if rows.len() < 2 {
        return None;
    }
    let n: f64 = rows.iter().map(|r| r.1).sum();
    let s: f64 = rows.iter().map(|r| r.0).sum();
    if s <= 0.0 || s >= n {
        return None;
    }
    let mut stat = 0.0;
    for (x, m) in &rows {
        let e1 = m * s / n;
        let e0 = m * (n - s) / n;
        stat += (x - e1).powi(2) / e1 + ((m - x) - e0).powi(2) / e0;
    }
    let df = (rows.len() - 1) as f64;
    let p = ChiSquared::new(df).map(|d| d.sf(stat)).unwrap_or(f64::NAN);
    Some(TestResult {
        kind: TestKind::ChiSquared,
        statistic: Some(stat),
        df: Some(df),
        p_value: p,
    })
}

/// Tests x1/n1 against x2/n2: Fisher's exact test when any expected count of the 2×2 table is
/// below 5 (Cochran's rule), the two-proportion z test otherwise.
pub fn compare_proportions(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<TestResult> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (n, s) = ((n1 + n2) as f64, (x1 + x2) as f64);
    let min_expected = [
        n1 as f64 * s / n,
        n1 as f64 * (n - s) / n,
        n2 as f64 * s / n,
        n2 as f64 * (n - s) / n,
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min);
    if min_expected < 5.0 {
        Some(fisher_exact(x1, n1 - x1, x2, n2 - x2))
    } else {
        two_proportion_z(x1 as f64, n1 as f64, x2 as f64, n2 as f64)
    }
}

/// Holm step-down adjusted p-values (same order as the input).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in idx.iter().enumerate() {
        let adj = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

/// Benjamini–Hochberg step-up adjusted p-values (same order as the input).
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running: f64 = 1.0;
    for rank in (0..m).rev() {
        let i = idx[rank];
        // m / rank ≥ 1 is formed first so that rounding never gives an adjusted p below p.
        let adj = (p[i] * (m as f64 / (rank + 1) as f64)).min(1.0);
        running = running.min(adj);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1e-300), "{a} vs {b}");
    }

    // Expected values from scipy 1.15.3 / statsmodels 0.14.4, printed by
    // oracle/hypothesis_reference.py.
    #[test]
    fn z_test_matches_statsmodels() {
        // proportions_ztest([30, 45], [100, 110])
        let r = two_proportion_z(30.0, 100.0, 45.0, 110.0).unwrap();
        close(r.statistic.unwrap(), -1.647_771_681_742_2, 1e-12);
        close(r.p_value, 0.099_399_532_161_655_74, 1e-9);
    }

    #[test]
    fn fisher_matches_scipy() {
        // scipy.stats.fisher_exact([[8, 2], [1, 5]]) → (20.0, 0.034965034965034975)
        let r = fisher_exact(8, 2, 1, 5);
        close(r.p_value, 0.034_965_034_965_034_975, 1e-9);
        assert_eq!(r.statistic, Some(20.0));
        close(
            fisher_exact(3, 1, 1, 3).p_value,
            0.485_714_285_714_285_65,
            1e-9,
        );
        let r = fisher_exact(5, 0, 0, 5);
        close(r.p_value, 0.007_936_507_936_507_938, 1e-9);
        assert_eq!(r.statistic, None); // infinite odds ratio
        let r = fisher_exact(40, 60, 55, 45);
        close(r.p_value, 0.047_165_485_383_019_31, 1e-9);
        close(r.statistic.unwrap(), 0.545_454_545_454_545_4, 1e-12);
    }

    #[test]
    fn chi_squared_matches_scipy() {
        // chi2_contingency([[10, 20], [20, 20], [30, 10]], correction=False)
        let r = chi_squared(&[(10.0, 30.0), (20.0, 40.0), (30.0, 40.0)]).unwrap();
        close(r.statistic.unwrap(), 12.527_777_777_777_78, 1e-12);
        close(r.p_value, 0.001_903_827_607_695_494_3, 1e-9);
        assert_eq!(r.df, Some(2.0));
        assert!(chi_squared(&[(1.0, 2.0)]).is_none());
    }

    #[test]
    fn adjustments_match_statsmodels() {
        let p = [0.01, 0.04, 0.03, 0.005, 0.2];
        // multipletests(p, method="holm")[1]
        let h = holm(&p);
        for (a, b) in h.iter().zip([0.04, 0.09, 0.09, 0.025, 0.2]) {
            close(*a, b, 1e-12);
        }
        // multipletests(p, method="fdr_bh")[1]
        let bh = benjamini_hochberg(&p);
        for (a, b) in bh.iter().zip([0.025, 0.05, 0.05, 0.025, 0.2]) {
            close(*a, b, 1e-12);
        }
    }

    #[test]
    fn small_expected_counts_use_fisher() {
        assert_eq!(
            compare_proportions(2, 5, 9, 10).unwrap().kind,
            TestKind::FisherExact
        );
        assert_eq!(
            compare_proportions(200, 500, 300, 600).unwrap().kind,
            TestKind::TwoProportionZ
        );
        assert!(compare_proportions(0, 0, 3, 4).is_none());
    }
}
