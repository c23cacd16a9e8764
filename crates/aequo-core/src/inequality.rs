//! Inequality of individual benefit: the generalized entropy index and its decomposition.
//!
//! Speicher et al. (KDD 2018), as implemented by AIF360 0.6.1
//! (`ClassificationMetric.generalized_entropy_index`, `shared/reference/group-fairness.md` §2.2):
//! each row's benefit is b = ŷ − y + 1 ∈ {0, 1, 2} (a false negative gets 0, a correct
//! prediction 1, a false positive 2), μ = mean(b), and
//!
//! * GE(α) = 1 / (n α (α − 1)) · Σ_i [(b_i/μ)^α − 1] for α ∉ {0, 1};
//! * GE(1) = Theil index = (1/n) Σ_i (b_i/μ) ln(b_i/μ), with 0 ln 0 = 0;
//! * GE(0) = −(1/n) Σ_i ln(b_i/μ), undefined when some b_i = 0.
//!
//! Because b takes three values, GE is a function of a group's confusion counts
//! (#b=0 = FN, #b=1 = TP + TN, #b=2 = FP). The index decomposes exactly over any partition into
//! groups: GE = between + within, where *between* replaces every b_i by its group's mean
//! (AIF360's `between_group_generalized_entropy_index`) and
//! within = Σ_g (n_g/n)(μ_g/μ)^α GE_g. Like AIF360 these use unweighted counts.

use serde::{Deserialize, Serialize};

use crate::counts::Confusion;
use crate::value::{Undefined, Value};

/// GE(α) of a population given as (count, benefit) atoms.
fn ge_atoms(atoms: &[(f64, f64)], alpha: f64) -> Value {
    let n: f64 = atoms.iter().map(|(w, _)| w).sum();
    if n == 0.0 {
        return Value::Undefined(Undefined::EmptyGroup);
    }
    let mu = atoms.iter().map(|(w, b)| w * b).sum::<f64>() / n;
    if mu == 0.0 {
        return Value::ratio(0.0, 0.0);
    }
    let terms = atoms.iter().filter(|(w, _)| *w > 0.0);
    let s: f64 = if alpha == 1.0 {
        terms
            .map(|(w, b)| {
                let r = b / mu;
                if r == 0.0 {
                    0.0
                } else {
                    w * r * r.ln()
                }
            })
            .sum::<f64>()
            / n
    } else if alpha == 0.0 {
        let mut s = 0.0;
        for (w, b) in terms {
            if *b == 0.0 {
                return Value::Undefined(Undefined::LogOfZero);
            }
            s -= w * (b / mu).ln();
        }
        s / n
    } else {
        terms
            .map(|(w, b)| w * ((b / mu).powf(alpha) - 1.0))
            .sum::<f64>()
            / (n * alpha * (alpha - 1.0))
    };
    Value::Defined(s)
}

fn atoms(c: &Confusion) -> [(f64, f64); 3] {
    [(c.fn_, 0.0), (c.tp + c.tn, 1.0), (c.fp, 2.0)]
}

/// GE(α) of one population.
pub fn generalized_entropy(c: &Confusion, alpha: f64) -> Value {
    ge_atoms(&atoms(c), alpha)
}

/// The Theil index, GE(1).
pub fn theil(c: &Confusion) -> Value {
    generalized_entropy(c, 1.0)
}

/// The coefficient of variation of b, sqrt(2 GE(2)) (AIF360 `coefficient_of_variation`).
pub fn coefficient_of_variation(c: &Confusion) -> Value {
    generalized_entropy(c, 2.0).map(|g| (2.0 * g).sqrt())
}

/// Mean benefit of a group, μ_g = (TP + TN + 2 FP) / n_g.
fn mean_benefit(c: &Confusion) -> Option<f64> {
    let n = c.total();
    (n > 0.0).then(|| (c.tp + c.tn + 2.0 * c.fp) / n)
}

/// Between-group GE(α) over a partition into groups (each row's benefit replaced by its
/// group's mean benefit). Empty groups contribute nothing.
pub fn between_groups(groups: &[Confusion], alpha: f64) -> Value {
    let atoms: Vec<(f64, f64)> = groups
        .iter()
        .filter_map(|c| mean_benefit(c).map(|m| (c.total(), m)))
        .collect();
    ge_atoms(&atoms, alpha)
}

/// The exact decomposition of GE(α) over a partition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decomposition {
    /// α.
    pub alpha: f64,
    /// GE(α) of the whole population.
    pub total: Value,
    /// Between-group component.
    pub between: Value,
    /// Within-group component, Σ_g (n_g/n)(μ_g/μ)^α GE_g(α).
    pub within: Value,
}

/// Decomposes GE(α) over a partition into groups.
pub fn decompose(groups: &[Confusion], alpha: f64) -> Decomposition {
    let all = groups.iter().fold(Confusion::default(), |a, c| a.add(c));
    let total = generalized_entropy(&all, alpha);
    let between = between_groups(groups, alpha);
    let n = all.total();
    let within = match mean_benefit(&all) {
        Some(mu) if mu > 0.0 => {
            let mut s = 0.0;
            let mut undefined = None;
            for c in groups.iter().filter(|c| c.total() > 0.0) {
                let mu_g = mean_benefit(c).unwrap_or(0.0);
                let share = (c.total() / n) * (mu_g / mu).powf(alpha);
                if share == 0.0 {
                    continue; // a group with zero mean benefit carries zero weight (α > 0)
                }
                match generalized_entropy(c, alpha) {
                    Value::Defined(g) => s += share * g,
                    Value::Undefined(u) => undefined = Some(u),
                }
            }
            match undefined {
                Some(u) => Value::Undefined(u),
                None => Value::Defined(s),
            }
        }
        _ => Value::ratio(0.0, 0.0),
    };
    Decomposition {
        alpha,
        total,
        between,
        within,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(tn: f64, fp: f64, fn_: f64, tp: f64) -> Confusion {
        Confusion { tn, fp, fn_, tp }
    }

    /// Per-row reference: the formula applied literally to an expanded benefit vector.
    fn literal(b: &[f64], alpha: f64) -> f64 {
        let n = b.len() as f64;
        let mu = b.iter().sum::<f64>() / n;
        if alpha == 1.0 {
            b.iter()
                .map(|x| {
                    if *x == 0.0 {
                        0.0
                    } else {
                        (x / mu) * (x / mu).ln()
                    }
                })
                .sum::<f64>()
                / n
        } else {
            b.iter().map(|x| (x / mu).powf(alpha) - 1.0).sum::<f64>() / (n * alpha * (alpha - 1.0))
        }
    }

    fn expand(c: &Confusion) -> Vec<f64> {
        let mut v = vec![0.0; c.fn_ as usize];
        v.extend(vec![1.0; (c.tp + c.tn) as usize]);
        v.extend(vec![2.0; c.fp as usize]);
        v
    }

    #[test]
    fn matches_the_literal_formula() {
        let c = conf(40.0, 7.0, 11.0, 22.0);
        for alpha in [0.5, 1.0, 2.0, 3.0] {
            let got = generalized_entropy(&c, alpha).get().unwrap();
            let want = literal(&expand(&c), alpha);
            assert!((got - want).abs() < 1e-13, "alpha {alpha}: {got} vs {want}");
        }
    }

    #[test]
    fn perfect_classifier_has_zero_inequality() {
        let c = conf(10.0, 0.0, 0.0, 5.0);
        assert_eq!(theil(&c), Value::Defined(0.0));
        assert_eq!(generalized_entropy(&c, 2.0), Value::Defined(0.0));
    }

    #[test]
    fn alpha_zero_with_a_false_negative_is_undefined() {
        assert_eq!(
            generalized_entropy(&conf(1.0, 0.0, 1.0, 1.0), 0.0),
            Value::Undefined(Undefined::LogOfZero)
        );
    }

    #[test]
    fn decomposition_is_exact() {
        let groups = [
            conf(40.0, 7.0, 11.0, 22.0),
            conf(5.0, 9.0, 1.0, 30.0),
            conf(12.0, 0.0, 6.0, 2.0),
        ];
        for alpha in [0.5, 1.0, 2.0, 3.0] {
            let d = decompose(&groups, alpha);
            let (t, b, w) = (
                d.total.get().unwrap(),
                d.between.get().unwrap(),
                d.within.get().unwrap(),
            );
            assert!((t - b - w).abs() < 1e-13, "alpha {alpha}: {t} != {b} + {w}");
            // between equals the literal formula on group means
            let mut means = Vec::new();
            for g in &groups {
                let mu = (g.tp + g.tn + 2.0 * g.fp) / g.total();
                means.extend(vec![mu; g.total() as usize]);
            }
            assert!((b - literal(&means, alpha)).abs() < 1e-13);
        }
    }

    #[test]
    fn coefficient_of_variation_is_sd_over_mean() {
        let c = conf(40.0, 7.0, 11.0, 22.0);
        let b = expand(&c);
        let n = b.len() as f64;
        let mu = b.iter().sum::<f64>() / n;
        let sd = (b.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / n).sqrt();
        let got = coefficient_of_variation(&c).get().unwrap();
        assert!((got - sd / mu).abs() < 1e-13);
    }
}
