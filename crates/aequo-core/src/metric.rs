//! Metric definitions over confusion counts.
//!
//! Each metric is defined once, here: its identifier, its formula, its source, and its
//! evaluation on a group's [`Confusion`]. Renderers, the CLI and tests refer to these
//! definitions and never redo the arithmetic. Most of them are *linear-fractional* in the
//! counts (a ratio of two linear functions, the observation behind fairret): see
//! [`Metric::fraction`].
//!
//! **Zero denominators.** Fairlearn computes rates through scikit-learn's
//! `confusion_matrix(normalize="true")`, which turns 0/0 into 0.0 (so a group with no actual
//! positives gets a true-positive rate of 0, not "unknown"); `precision_score` and `f1_score`
//! do the same with `zero_division=0`. aequo returns [`Value::Undefined`] with the numerator and
//! denominator instead, and leaves such groups out of disparities (saying so). Balanced accuracy
//! is undefined when a class is absent (scikit-learn averages the recall of the classes present).

use serde::{Deserialize, Serialize};

use crate::counts::Confusion;
use crate::value::{Undefined, Value};

/// A group metric of binary classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Rows in the group (unweighted, as Fairlearn's `count`).
    Count,
    /// Share of rows with label 1 (prevalence).
    BaseRate,
    /// Share of rows predicted 1.
    SelectionRate,
    /// TP / (TP + FN), recall, sensitivity.
    #[serde(rename = "tpr")]
    TruePositiveRate,
    /// FP / (FP + TN).
    #[serde(rename = "fpr")]
    FalsePositiveRate,
    /// FN / (FN + TP).
    #[serde(rename = "fnr")]
    FalseNegativeRate,
    /// TN / (TN + FP), specificity.
    #[serde(rename = "tnr")]
    TrueNegativeRate,
    /// TP / (TP + FP), precision.
    #[serde(rename = "ppv")]
    PositivePredictiveValue,
    /// TN / (TN + FN).
    #[serde(rename = "npv")]
    NegativePredictiveValue,
    /// FP / (TP + FP).
    #[serde(rename = "fdr")]
    FalseDiscoveryRate,
    /// FN / (FN + TN).
    #[serde(rename = "for")]
    FalseOmissionRate,
    /// (TP + TN) / n.
    Accuracy,
    /// (FP + FN) / n.
    ErrorRate,
    /// (TPR + TNR) / 2.
    BalancedAccuracy,
    /// 2TP / (2TP + FP + FN).
    F1,
}

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Metric; 15] = [
        Metric::Count,
        Metric::BaseRate,
        Metric::SelectionRate,
        Metric::TruePositiveRate,
        Metric::FalsePositiveRate,
        Metric::FalseNegativeRate,
        Metric::TrueNegativeRate,
        Metric::PositivePredictiveValue,
        Metric::NegativePredictiveValue,
        Metric::FalseDiscoveryRate,
        Metric::FalseOmissionRate,
        Metric::Accuracy,
        Metric::ErrorRate,
        Metric::BalancedAccuracy,
        Metric::F1,
    ];

    /// The short identifier used in outputs and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Metric::Count => "count",
            Metric::BaseRate => "base_rate",
            Metric::SelectionRate => "selection_rate",
            Metric::TruePositiveRate => "tpr",
            Metric::FalsePositiveRate => "fpr",
            Metric::FalseNegativeRate => "fnr",
            Metric::TrueNegativeRate => "tnr",
            Metric::PositivePredictiveValue => "ppv",
            Metric::NegativePredictiveValue => "npv",
            Metric::FalseDiscoveryRate => "fdr",
            Metric::FalseOmissionRate => "for",
            Metric::Accuracy => "accuracy",
            Metric::ErrorRate => "error_rate",
            Metric::BalancedAccuracy => "balanced_accuracy",
            Metric::F1 => "f1",
        }
    }

    /// A human name.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Count => "Count",
            Metric::BaseRate => "Base rate",
            Metric::SelectionRate => "Selection rate",
            Metric::TruePositiveRate => "True positive rate",
            Metric::FalsePositiveRate => "False positive rate",
            Metric::FalseNegativeRate => "False negative rate",
            Metric::TrueNegativeRate => "True negative rate",
            Metric::PositivePredictiveValue => "Precision (PPV)",
            Metric::NegativePredictiveValue => "Negative predictive value",
            Metric::FalseDiscoveryRate => "False discovery rate",
            Metric::FalseOmissionRate => "False omission rate",
            Metric::Accuracy => "Accuracy",
            Metric::ErrorRate => "Error rate",
            Metric::BalancedAccuracy => "Balanced accuracy",
            Metric::F1 => "F1 score",
        }
    }

    /// The formula over confusion counts (n = TP + FP + FN + TN).
    pub fn formula(self) -> &'static str {
        match self {
            Metric::Count => "n",
            Metric::BaseRate => "(TP + FN) / n",
            Metric::SelectionRate => "(TP + FP) / n",
            Metric::TruePositiveRate => "TP / (TP + FN)",
            Metric::FalsePositiveRate => "FP / (FP + TN)",
            Metric::FalseNegativeRate => "FN / (FN + TP)",
            Metric::TrueNegativeRate => "TN / (TN + FP)",
            Metric::PositivePredictiveValue => "TP / (TP + FP)",
            Metric::NegativePredictiveValue => "TN / (TN + FN)",
            Metric::FalseDiscoveryRate => "FP / (TP + FP)",
            Metric::FalseOmissionRate => "FN / (FN + TN)",
            Metric::Accuracy => "(TP + TN) / n",
            Metric::ErrorRate => "(FP + FN) / n",
            Metric::BalancedAccuracy => "(TP / (TP + FN) + TN / (TN + FP)) / 2",
            Metric::F1 => "2 TP / (2 TP + FP + FN)",
        }
    }

    /// Where the definition comes from.
    pub fn source(self) -> &'static str {
        match self {
            Metric::Count => "fairlearn.metrics.count",
            Metric::BaseRate => "AIF360 BinaryLabelDatasetMetric.base_rate",
            Metric::SelectionRate => "fairlearn.metrics.selection_rate",
            Metric::TruePositiveRate => "fairlearn.metrics.true_positive_rate",
            Metric::FalsePositiveRate => "fairlearn.metrics.false_positive_rate",
            Metric::FalseNegativeRate => "fairlearn.metrics.false_negative_rate",
            Metric::TrueNegativeRate => "fairlearn.metrics.true_negative_rate",
            Metric::PositivePredictiveValue => "sklearn.metrics.precision_score",
            Metric::NegativePredictiveValue => {
                "AIF360 ClassificationMetric.negative_predictive_value"
            }
            Metric::FalseDiscoveryRate => "AIF360 ClassificationMetric.false_discovery_rate",
            Metric::FalseOmissionRate => "AIF360 ClassificationMetric.false_omission_rate",
            Metric::Accuracy => "sklearn.metrics.accuracy_score",
            Metric::ErrorRate => "AIF360 ClassificationMetric.error_rate",
            Metric::BalancedAccuracy => "sklearn.metrics.balanced_accuracy_score",
            Metric::F1 => "sklearn.metrics.f1_score",
        }
    }

    /// Parses an identifier, accepting common aliases (`recall`, `precision`, …).
    pub fn from_id(s: &str) -> Option<Metric> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        let alias = match s.as_str() {
            "recall" | "sensitivity" | "true_positive_rate" => "tpr",
            "specificity" | "true_negative_rate" => "tnr",
            "false_positive_rate" => "fpr",
            "false_negative_rate" => "fnr",
            "precision" | "positive_predictive_value" => "ppv",
            "negative_predictive_value" => "npv",
            "false_discovery_rate" => "fdr",
            "false_omission_rate" => "for",
            "prevalence" => "base_rate",
            "n" => "count",
            other => other,
        };
        Metric::ALL.into_iter().find(|m| m.id() == alias)
    }

    /// Whether the metric is a proportion of rows (so a binomial interval applies).
    pub fn is_proportion(self) -> bool {
        !matches!(self, Metric::Count | Metric::BalancedAccuracy | Metric::F1)
    }

    /// For linear-fractional metrics: (numerator, denominator) over the confusion counts.
    pub fn fraction(self, c: &Confusion) -> Option<(f64, f64)> {
        let n = c.total();
        Some(match self {
            Metric::BaseRate => (c.positives(), n),
            Metric::SelectionRate => (c.predicted_positives(), n),
            Metric::TruePositiveRate => (c.tp, c.positives()),
            Metric::FalsePositiveRate => (c.fp, c.negatives()),
            Metric::FalseNegativeRate => (c.fn_, c.positives()),
            Metric::TrueNegativeRate => (c.tn, c.negatives()),
            Metric::PositivePredictiveValue => (c.tp, c.predicted_positives()),
            Metric::NegativePredictiveValue => (c.tn, c.predicted_negatives()),
            Metric::FalseDiscoveryRate => (c.fp, c.predicted_positives()),
            Metric::FalseOmissionRate => (c.fn_, c.predicted_negatives()),
            Metric::Accuracy => (c.tp + c.tn, n),
            Metric::ErrorRate => (c.fp + c.fn_, n),
            Metric::F1 => (2.0 * c.tp, 2.0 * c.tp + c.fp + c.fn_),
            Metric::Count | Metric::BalancedAccuracy => return None,
        })
    }

    /// The metric's value on a group. `rows` is the group's unweighted row count (used by
    /// [`Metric::Count`]); `c` holds the counts rates are computed from (weighted when the audit
    /// is weighted, as Fairlearn's `sample_weight`).
    pub fn evaluate(self, c: &Confusion, rows: u64) -> Value {
        match self {
            Metric::Count => Value::Defined(rows as f64),
            Metric::BalancedAccuracy => {
                if c.positives() == 0.0 || c.negatives() == 0.0 {
                    Value::Undefined(Undefined::MissingClass {
                        positives: c.positives(),
                        negatives: c.negatives(),
                    })
                } else {
                    Value::Defined(0.5 * (c.tp / c.positives() + c.tn / c.negatives()))
                }
            }
            m => {
                let (num, den) = m.fraction(c).expect("every other metric is a fraction");
                Value::ratio(num, den)
            }
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TN=50, FP=10, FN=5, TP=35 (n=100), computed by hand.
    fn c() -> Confusion {
        Confusion {
            tn: 50.0,
            fp: 10.0,
            fn_: 5.0,
            tp: 35.0,
        }
    }

    fn v(m: Metric) -> f64 {
        m.evaluate(&c(), 100).get().unwrap()
    }

    #[test]
    fn hand_computed_values() {
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        close(v(Metric::Count), 100.0);
        close(v(Metric::BaseRate), 0.40);
        close(v(Metric::SelectionRate), 0.45);
        close(v(Metric::TruePositiveRate), 35.0 / 40.0);
        close(v(Metric::FalsePositiveRate), 10.0 / 60.0);
        close(v(Metric::FalseNegativeRate), 5.0 / 40.0);
        close(v(Metric::TrueNegativeRate), 50.0 / 60.0);
        close(v(Metric::PositivePredictiveValue), 35.0 / 45.0);
        close(v(Metric::NegativePredictiveValue), 50.0 / 55.0);
        close(v(Metric::FalseDiscoveryRate), 10.0 / 45.0);
        close(v(Metric::FalseOmissionRate), 5.0 / 55.0);
        close(v(Metric::Accuracy), 0.85);
        close(v(Metric::ErrorRate), 0.15);
        close(
            v(Metric::BalancedAccuracy),
            (35.0 / 40.0 + 50.0 / 60.0) / 2.0,
        );
        close(v(Metric::F1), 70.0 / 85.0);
    }

    #[test]
    fn complements_add_to_one() {
        for (a, b) in [
            (Metric::TruePositiveRate, Metric::FalseNegativeRate),
            (Metric::FalsePositiveRate, Metric::TrueNegativeRate),
            (Metric::PositivePredictiveValue, Metric::FalseDiscoveryRate),
            (Metric::NegativePredictiveValue, Metric::FalseOmissionRate),
            (Metric::Accuracy, Metric::ErrorRate),
        ] {
            assert!((v(a) + v(b) - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn no_positives_makes_recall_undefined_not_zero() {
        let c = Confusion {
            tn: 3.0,
            fp: 1.0,
            fn_: 0.0,
            tp: 0.0,
        };
        assert_eq!(
            Metric::TruePositiveRate.evaluate(&c, 4),
            Value::Undefined(Undefined::ZeroDenominator {
                numerator: 0.0,
                denominator: 0.0
            })
        );
        assert!(matches!(
            Metric::BalancedAccuracy.evaluate(&c, 4),
            Value::Undefined(Undefined::MissingClass { .. })
        ));
        // but rates conditioned on what exists are fine
        assert_eq!(
            Metric::FalsePositiveRate.evaluate(&c, 4),
            Value::Defined(0.25)
        );
    }

    #[test]
    fn empty_group_has_count_zero_and_no_rates() {
        let c = Confusion::default();
        assert_eq!(Metric::Count.evaluate(&c, 0), Value::Defined(0.0));
        for m in Metric::ALL.into_iter().filter(|m| *m != Metric::Count) {
            assert!(!m.evaluate(&c, 0).is_defined(), "{m}");
        }
    }

    #[test]
    fn serialises_as_its_id() {
        for m in Metric::ALL {
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.id())
            );
        }
    }

    #[test]
    fn ids_round_trip_and_aliases_parse() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_id(m.id()), Some(m));
        }
        assert_eq!(Metric::from_id("Recall"), Some(Metric::TruePositiveRate));
        assert_eq!(
            Metric::from_id("precision"),
            Some(Metric::PositivePredictiveValue)
        );
        assert_eq!(Metric::from_id("nonsense"), None);
    }
}
