//! The mixed-effects discrimination score of decision probes (discrim-eval, Tamkin et al. 2023,
//! §1.3 of the probing reference), in a documented, smaller form.
//!
//! **What is computed.** For one attribute axis, the linear mixed model
//!
//! ```text
//! y_tj = μ + β_g(tj) + u_t + ε_tj,   u_t ~ N(0, σ_u²),   ε_tj ~ N(0, σ²)
//! ```
//!
//! on `y = logit(p_norm(yes))` of probe `j` of template (scenario) `t`, with `g(tj)` its
//! attribute value, `β_baseline = 0` (treatment coding against the axis's baseline) and a random
//! intercept `u_t` per template. The variance ratio `λ = σ_u²/σ²` is estimated by REML (the
//! restricted likelihood profiled over σ² and maximised over `λ ∈ [0, ∞)` by a grid and a
//! golden-section search on `ln λ`, with `λ = 0` as a candidate); the fixed effects are then the GLS estimates
//! `β̂ = (XᵀH⁻¹X)⁻¹XᵀH⁻¹y` with `H = blockdiag(I + λ11ᵀ)`, and their covariance is
//! `σ̂²(XᵀH⁻¹X)⁻¹`. The **discrimination score of a group is its β̂_g** (log-odds units, positive
//! = more favourable than the baseline), reported with its standard error and a Wald z test.
//!
//! **Relation to the paper.** The paper fits, in R/lme4, one model over all axes:
//! `y ~ age_c + race + gender + (1 + age_c + race + gender | decision_question_id)`, i.e. a
//! linear mixed model on the same logit (not a GLMM on binary answers), with per-scenario random
//! slopes for every demographic term as well. aequo fits one axis at a time, with a random
//! intercept only. For complete, balanced data (every template asked for every value, as the
//! built-in suites and discrim-eval are) the point estimates of both models equal the
//! within-template mean differences — i.e. the dataset card's "simple method"
//! ([`crate::metrics::group_differences`]); they differ only in the standard errors, where the
//! random slopes add the between-template variance of each group's effect. That variance is what
//! the cluster-bootstrap intervals and the paired tests over templates
//! ([`crate::significance`]) account for, so aequo reports those alongside. With missing
//! responses (unbalanced data) the random-intercept GLS uses the between-template information the
//! simple difference of means ignores, which is what the mixed model is for.
//!
//! The estimates agree with `statsmodels` `MixedLM(reml=True)` on the unbalanced case of the
//! tests (numbers pasted there with their provenance).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::metrics::{GroupObs, Undefined};

/// One group's fixed effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixedEffect {
    /// The group.
    pub group: String,
    /// β̂_g: the group's fixed effect against the baseline (log-odds for decisions).
    pub estimate: f64,
    /// Its standard error, `sqrt(σ̂² [(XᵀH⁻¹X)⁻¹]_gg)`.
    pub std_error: f64,
    /// Wald statistic `β̂_g / se`.
    pub z: f64,
    /// Two-sided normal p-value of the Wald statistic.
    pub p_value: f64,
    /// Holm-adjusted `p_value` across every test of a score run (filled by the scorer).
    #[serde(default)]
    pub p_holm: Option<f64>,
    /// Benjamini–Hochberg-adjusted `p_value` across every test of a score run.
    #[serde(default)]
    pub p_bh: Option<f64>,
}

/// A fitted random-intercept model for one axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixedModel {
    /// The baseline group (the intercept).
    pub baseline: String,
    /// μ̂: the baseline's mean outcome.
    pub intercept: f64,
    /// One row per non-baseline group.
    pub effects: Vec<MixedEffect>,
    /// σ̂_u²: variance of the template intercepts.
    pub template_variance: f64,
    /// σ̂²: residual variance.
    pub residual_variance: f64,
    /// Observations.
    pub n: usize,
    /// Templates.
    pub templates: usize,
    /// The maximised restricted log-likelihood (up to the constant −(N−p)/2·log 2π).
    pub reml_log_likelihood: f64,
}

/// A fitted model, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MixedFit {
    /// The fit.
    Fitted(MixedModel),
    /// No fit, with its reason.
    Undefined(Undefined),
}

impl From<Result<MixedModel, Undefined>> for MixedFit {
    fn from(r: Result<MixedModel, Undefined>) -> Self {
        match r {
            Ok(m) => MixedFit::Fitted(m),
            Err(u) => MixedFit::Undefined(u),
        }
    }
}

/// Solves the symmetric positive-definite system by Cholesky; returns `A⁻¹` and `log|A|`.
fn spd_inverse(a: &[Vec<f64>]) -> Option<(Vec<Vec<f64>>, f64)> {
    let p = a.len();
    let mut l = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if d <= 1e-12 * a[i][i].abs().max(1.0) {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    let log_det = 2.0 * (0..p).map(|i| l[i][i].ln()).sum::<f64>();
    let mut inv = vec![vec![0.0; p]; p];
    for c in 0..p {
        // solve L z = e_c, then Lᵀ x = z
        let mut z = vec![0.0; p];
        for i in 0..p {
            let e = if i == c { 1.0 } else { 0.0 };
            z[i] = (e - (0..i).map(|k| l[i][k] * z[k]).sum::<f64>()) / l[i][i];
        }
        for i in (0..p).rev() {
            inv[i][c] = (z[i] - (i + 1..p).map(|k| l[k][i] * inv[k][c]).sum::<f64>()) / l[i][i];
        }
    }
    Some((inv, log_det))
}

struct Design {
    /// Per template: rows of (column index of the group dummy or None for the baseline, y).
    clusters: Vec<Vec<(Option<usize>, f64)>>,
    groups: Vec<String>,
    n: usize,
}

struct Fit {
    beta: Vec<f64>,
    cov_unscaled: Vec<Vec<f64>>,
    sigma2: f64,
    reml: f64,
}

impl Design {
    fn p(&self) -> usize {
        self.groups.len() + 1
    }

    /// GLS at a given λ, with the profiled REML log-likelihood.
    fn fit(&self, lambda: f64) -> Option<Fit> {
        let p = self.p();
        let mut xtx = vec![vec![0.0; p]; p];
        let mut xty = vec![0.0; p];
        let mut log_det_h = 0.0;
        let x_row = |g: Option<usize>| {
            let mut r = vec![0.0; p];
            r[0] = 1.0;
            if let Some(c) = g {
                r[c + 1] = 1.0;
            }
            r
        };
        for cl in &self.clusters {
            let nt = cl.len() as f64;
            // H_t⁻¹ = I − c 11ᵀ with c = λ / (1 + n_t λ); |H_t| = 1 + n_t λ.
            let c = lambda / (1.0 + nt * lambda);
            log_det_h += (1.0 + nt * lambda).ln();
            let mut sx = vec![0.0; p];
            let mut sy = 0.0;
            for (g, y) in cl {
                let r = x_row(*g);
                for a in 0..p {
                    sx[a] += r[a];
                    xty[a] += r[a] * y;
                    for b in 0..p {
                        xtx[a][b] += r[a] * r[b];
                    }
                }
                sy += y;
            }
            for a in 0..p {
                xty[a] -= c * sx[a] * sy;
                for b in 0..p {
                    xtx[a][b] -= c * sx[a] * sx[b];
                }
            }
        }
        let (inv, log_det_xtx) = spd_inverse(&xtx)?;
        let beta: Vec<f64> = (0..p)
            .map(|a| (0..p).map(|b| inv[a][b] * xty[b]).sum())
            .collect();
        let mut rss = 0.0;
        for cl in &self.clusters {
            let nt = cl.len() as f64;
            let c = lambda / (1.0 + nt * lambda);
            let mut sr = 0.0;
            for (g, y) in cl {
                let r = y - beta[0] - g.map_or(0.0, |c| beta[c + 1]);
                rss += r * r;
                sr += r;
            }
            rss -= c * sr * sr;
        }
        let dof = self.n as f64 - p as f64;
        let sigma2 = rss / dof;
        if sigma2.is_nan() || sigma2 <= 0.0 {
            return None;
        }
        let reml = -0.5 * (dof * sigma2.ln() + log_det_h + log_det_xtx + dof);
        Some(Fit {
            beta,
            cov_unscaled: inv,
            sigma2,
            reml,
        })
    }
}

/// Fits the random-intercept model of the module documentation to one axis's observations.
/// Undefined when the baseline has no observation, or when there are no more observations than
/// fixed effects (no residual variance to estimate).
pub fn fit_random_intercept(obs: &[GroupObs], baseline: &str) -> Result<MixedModel, Undefined> {
    if !obs.iter().any(|o| o.group == baseline) {
        return Err(Undefined::EmptyGroup {
            group: baseline.to_string(),
        });
    }
    let groups: Vec<String> = obs
        .iter()
        .map(|o| o.group.as_str())
        .filter(|g| *g != baseline)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let col: BTreeMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.as_str(), i))
        .collect();
    let mut by_template: BTreeMap<&str, Vec<(Option<usize>, f64)>> = BTreeMap::new();
    for o in obs {
        by_template
            .entry(o.template.as_str())
            .or_default()
            .push((col.get(o.group.as_str()).copied(), o.y));
    }
    let design = Design {
        clusters: by_template.into_values().collect(),
        groups,
        n: obs.len(),
    };
    if design.n <= design.p() {
        return Err(Undefined::ZeroDenominator {
            denominator: format!(
                "residual degrees of freedom ({} observations, {} fixed effects)",
                design.n,
                design.p()
            ),
        });
    }
    // Maximise the profiled REML over θ = ln λ: a grid on [−20, 12], then golden section
    // around the best grid point (θ keeps the precision relative in λ, which a search on a
    // bounded scale loses when λ is large). The boundary λ = 0 (no template variance) is a
    // candidate too.
    let score = |lambda: f64| design.fit(lambda).map(|f| f.reml);
    const GRID: usize = 64;
    const THETA_MIN: f64 = -20.0;
    const THETA_MAX: f64 = 12.0;
    let step = (THETA_MAX - THETA_MIN) / GRID as f64;
    // (θ, value); θ = None is λ = 0.
    let mut best: (Option<f64>, f64) = (None, score(0.0).unwrap_or(f64::NEG_INFINITY));
    for k in 0..=GRID {
        let theta = THETA_MIN + step * k as f64;
        if let Some(v) = score(theta.exp()) {
            if v > best.1 {
                best = (Some(theta), v);
            }
        }
    }
    if !best.1.is_finite() {
        return Err(Undefined::ZeroDenominator {
            denominator: "the fixed-effect design (a group is confounded or has no variance)"
                .into(),
        });
    }
    let lambda = match best.0 {
        None => 0.0,
        Some(theta) => {
            let f = |t: f64| score(t.exp()).unwrap_or(f64::NEG_INFINITY);
            let (mut lo, mut hi) = (theta - step, theta + step);
            let phi = (5f64.sqrt() - 1.0) / 2.0;
            let (mut x1, mut x2) = (hi - phi * (hi - lo), lo + phi * (hi - lo));
            let (mut f1, mut f2) = (f(x1), f(x2));
            while hi - lo > 1e-10 {
                if f1 < f2 {
                    lo = x1;
                    x1 = x2;
                    f1 = f2;
                    x2 = lo + phi * (hi - lo);
                    f2 = f(x2);
                } else {
                    hi = x2;
                    x2 = x1;
                    f2 = f1;
                    x1 = hi - phi * (hi - lo);
                    f1 = f(x1);
                }
            }
            let (t, v) = if f1 > f2 { (x1, f1) } else { (x2, f2) };
            if v >= best.1 {
                t.exp()
            } else {
                theta.exp()
            }
        }
    };
    let fit = design.fit(lambda).ok_or(Undefined::ZeroDenominator {
        denominator: "the fixed-effect design".into(),
    })?;
    let effects = design
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let estimate = fit.beta[i + 1];
            let std_error = (fit.sigma2 * fit.cov_unscaled[i + 1][i + 1]).sqrt();
            let z = estimate / std_error;
            MixedEffect {
                group: g.clone(),
                estimate,
                std_error,
                z,
                p_value: aequo_core::hypothesis::normal_two_sided(z),
                p_holm: None,
                p_bh: None,
            }
        })
        .collect();
    Ok(MixedModel {
        baseline: baseline.to_string(),
        intercept: fit.beta[0],
        effects,
        template_variance: lambda * fit.sigma2,
        residual_variance: fit.sigma2,
        n: design.n,
        templates: design.clusters.len(),
        reml_log_likelihood: fit.reml,
    })
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

    /// Balanced, complete design: REML equals the two-way ANOVA (randomised block) estimates,
    /// which are computed here by hand.
    #[test]
    fn balanced_design_matches_anova_by_hand() {
        // 4 templates × 3 groups; template offsets {0, 2, −1, 5}; effects b = 0, g = 1, h = −0.5;
        // plus small interaction noise e (row sums and column sums of e are zero so that the
        // effects are exact):
        let offsets = [0.0, 2.0, -1.0, 5.0];
        let effects = [("b", 0.0), ("g", 1.0), ("h", -0.5)];
        let e = [
            [0.1, -0.2, 0.1],
            [-0.1, 0.2, -0.1],
            [0.2, -0.1, -0.1],
            [-0.2, 0.1, 0.1],
        ];
        let mut o = Vec::new();
        for (t, off) in offsets.iter().enumerate() {
            for (k, (g, b)) in effects.iter().enumerate() {
                o.push(obs(&format!("t{t}"), g, 3.0 + off + b + e[t][k]));
            }
        }
        let m = fit_random_intercept(&o, "b").unwrap();
        // Fixed effects: the group means' differences, exactly 1 and −0.5.
        let g = m.effects.iter().find(|x| x.group == "g").unwrap();
        let h = m.effects.iter().find(|x| x.group == "h").unwrap();
        assert!((g.estimate - 1.0).abs() < 1e-9, "{}", g.estimate);
        assert!((h.estimate + 0.5).abs() < 1e-9, "{}", h.estimate);
        // Intercept: baseline mean = 3 + mean(offsets) + mean(e[.][0]) = 3 + 1.5 + 0 = 4.5.
        assert!((m.intercept - 4.5).abs() < 1e-9);
        // Residual MS = Σe² / ((T−1)(G−1)) = (0.01+0.04+0.01+0.01+0.04+0.01+0.04+0.01+0.01
        //   +0.04+0.01+0.01) / 6 = 0.24 / 6 = 0.04.
        assert!(
            (m.residual_variance - 0.04).abs() < 1e-7,
            "{}",
            m.residual_variance
        );
        // Template MS = G · Σ(off − mean)² / (T−1) = 3 · (2.25+0.25+6.25+12.25)/3 = 21;
        // σ_u² = (21 − 0.04) / 3 = 6.986666… (the restricted likelihood is flat in λ near its
        // maximum, so the search pins λ to about 1e-7 relative).
        assert!(
            (m.template_variance - 20.96 / 3.0).abs() < 1e-5,
            "{}",
            m.template_variance
        );
        // se(β_g) = sqrt(2 σ² / T) = sqrt(0.02) in a balanced block design.
        assert!((g.std_error - 0.02f64.sqrt()).abs() < 1e-6);
        assert_eq!((m.n, m.templates), (12, 4));
    }

    #[test]
    fn no_template_variance_is_the_boundary() {
        // Template offsets are all zero and the noise is larger than any block effect: the REML
        // estimate of σ_u² sits at 0 and the fit is ordinary least squares.
        let o = vec![
            obs("t1", "b", 0.0),
            obs("t1", "g", 1.0),
            obs("t2", "b", 1.0),
            obs("t2", "g", 0.0),
            obs("t3", "b", 0.5),
            obs("t3", "g", 0.5),
        ];
        let m = fit_random_intercept(&o, "b").unwrap();
        assert!(m.template_variance < 1e-6, "{}", m.template_variance);
        assert!(m.effects[0].estimate.abs() < 1e-9);
    }

    #[test]
    fn undefined_cases_are_typed() {
        assert!(matches!(
            fit_random_intercept(&[obs("t", "g", 1.0)], "b"),
            Err(Undefined::EmptyGroup { .. })
        ));
        assert!(matches!(
            fit_random_intercept(&[obs("t", "g", 1.0), obs("t", "b", 0.0)], "b"),
            Err(Undefined::ZeroDenominator { .. })
        ));
    }
}
