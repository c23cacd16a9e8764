//! Audits of regression and multiclass predictions (fairlearn #1313, #1212).
//!
//! The same shape as the binary audit, over the per-cell summaries of [`crate::regression`] and
//! [`crate::multiclass`]: every non-empty subset of the sensitive attributes is a grouping; each
//! group gets its metrics; disparities are `between_groups` differences and ratios computed by
//! [`crate::disparity`]. Regression adds bounded group loss and distribution distances of the
//! prediction (demographic parity of a continuous prediction); multiclass reports every binary
//! metric one-vs-rest per class, and macro averages.

use serde::{Deserialize, Serialize};

use crate::audit::{AggregateResult, InputSummary};
use crate::counts::{AttributeName, GroupKey};
use crate::disparity;
use crate::metric::Metric;
use crate::multiclass::{ClassConfusion, ClassIndex, MacroAverage};
use crate::regression::{
    bounded_group_loss, continuous_parity, BoundedGroupLoss, ContinuousParity, Loss,
    RegressionMetric, RegressionStats,
};
use crate::score::{CellTable, TableError};
use crate::value::Value;

/// Schema of [`RegressionAudit`].
pub const REGRESSION_SCHEMA: &str = "aequo.regression/1";
/// Schema of [`MulticlassAudit`].
pub const MULTICLASS_SCHEMA: &str = "aequo.multiclass/1";

fn between(values: &[Value], keys: &[GroupKey]) -> (AggregateResult, AggregateResult) {
    let (d, r) = disparity::between_groups(values);
    let res = |a: &disparity::Aggregate| AggregateResult {
        value: a.value,
        groups: a.extremes.map_or_else(Vec::new, |(lo, hi)| {
            vec![keys[lo].clone(), keys[hi].clone()]
        }),
        ci: None,
    };
    (res(&d), res(&r))
}

/// A regression group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionGroup {
    /// The group's levels.
    pub key: GroupKey,
    /// Rows.
    pub rows: u64,
    /// `(metric id, value)` for every [`RegressionMetric`].
    pub metrics: Vec<(RegressionMetric, Value)>,
    /// Distribution distances of its predictions to the rest and to everyone.
    pub parity: ContinuousParity,
}

/// A metric's spread across the groups of a grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Which metric (an id).
    pub metric: String,
    /// max − min over groups with no missing level.
    pub difference: AggregateResult,
    /// min / max.
    pub ratio: AggregateResult,
}

/// One grouping of a regression audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionGrouping {
    /// The attributes crossed.
    pub attributes: Vec<AttributeName>,
    /// Groups with rows.
    pub groups: Vec<RegressionGroup>,
    /// Bounded group loss, absolute and squared.
    pub bounded_group_loss: Vec<BoundedGroupLoss>,
    /// Spread of MAE, RMSE and mean prediction across groups (a ratio of signed mean errors
    /// would mean nothing, so mean error is reported per group only).
    pub spread: Vec<Spread>,
}

/// The audit of a regression model's predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionAudit {
    /// [`REGRESSION_SCHEMA`].
    pub schema: String,
    /// The input.
    pub input: InputSummary,
    /// All rows.
    pub overall: RegressionGroup,
    /// Every grouping.
    pub groupings: Vec<RegressionGrouping>,
    /// How to read it.
    pub notes: Vec<String>,
}

fn regression_group(
    key: GroupKey,
    s: &RegressionStats,
    parity: ContinuousParity,
) -> RegressionGroup {
    RegressionGroup {
        key,
        rows: s.rows,
        metrics: RegressionMetric::ALL
            .iter()
            .map(|m| (*m, m.evaluate(s)))
            .collect(),
        parity,
    }
}

/// Audits per-cell regression sums.
pub fn regression_audit(
    table: &CellTable<RegressionStats>,
    input: InputSummary,
) -> Result<RegressionAudit, TableError> {
    let bins = table.shape().clone();
    let total = table.total();
    let overall_parity = continuous_parity(&bins, std::slice::from_ref(&total)).remove(0);
    let overall = regression_group(GroupKey(Vec::new()), &total, overall_parity);
    let mut groupings = Vec::new();
    for subset in crate::audit::subsets(table.attributes().len(), table.attributes().len()) {
        let t = table.marginalize(&subset)?;
        let cells: Vec<_> = t.cells().filter(|c| t.get(*c).rows > 0).collect();
        let stats: Vec<RegressionStats> = cells.iter().map(|c| t.get(*c).clone()).collect();
        let parity = continuous_parity(&bins, &stats);
        let groups: Vec<RegressionGroup> = cells
            .iter()
            .zip(&stats)
            .zip(parity)
            .map(|((c, s), p)| regression_group(t.key(*c), s, p))
            .collect();
        let named: Vec<usize> = (0..groups.len())
            .filter(|&i| !groups[i].key.has_missing())
            .collect();
        let keys: Vec<GroupKey> = named.iter().map(|&i| groups[i].key.clone()).collect();
        let named_stats: Vec<RegressionStats> = named.iter().map(|&i| stats[i].clone()).collect();
        let spread = [
            RegressionMetric::MeanAbsoluteError,
            RegressionMetric::RootMeanSquaredError,
            RegressionMetric::MeanPrediction,
        ]
        .iter()
        .map(|m| {
            let values: Vec<Value> = named_stats.iter().map(|s| m.evaluate(s)).collect();
            let (difference, ratio) = between(&values, &keys);
            Spread {
                metric: m.id().to_owned(),
                difference,
                ratio,
            }
        })
        .collect();
        groupings.push(RegressionGrouping {
            attributes: subset
                .iter()
                .map(|&i| table.attributes()[i].name.clone())
                .collect(),
            bounded_group_loss: vec![
                bounded_group_loss(&named_stats, Loss::Absolute),
                bounded_group_loss(&named_stats, Loss::Squared),
            ],
            spread,
            groups,
        });
    }
    Ok(RegressionAudit {
        schema: REGRESSION_SCHEMA.to_owned(),
        input,
        overall,
        groupings,
        notes: vec![
            "bounded group loss = the largest group's mean loss (Agarwal et al. 2019; Fairlearn's mean_absolute_error_group_max for the absolute loss)".to_owned(),
            "parity: Kolmogorov–Smirnov and Wasserstein-1 distances between a group's predictions and the rest's, from histograms of the prediction; `lower`/`upper` bound the exact value".to_owned(),
            "spread and bounded group loss leave out groups with a missing level".to_owned(),
        ],
    })
}

/// One class's one-vs-rest metrics in a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class.
    pub class: String,
    /// `(metric, value)` one-vs-rest.
    pub metrics: Vec<(Metric, Value)>,
}

/// A multiclass group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MulticlassGroup {
    /// The group's levels.
    pub key: GroupKey,
    /// Rows.
    pub rows: u64,
    /// Share of rows whose predicted class is the label.
    pub accuracy: Value,
    /// One-vs-rest metrics per class.
    pub classes: Vec<ClassMetrics>,
    /// Macro averages over classes (classes where a metric is undefined are left out and listed).
    pub macro_average: Vec<MacroAverage>,
}

/// One grouping of a multiclass audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MulticlassGrouping {
    /// The attributes crossed.
    pub attributes: Vec<AttributeName>,
    /// Groups with rows.
    pub groups: Vec<MulticlassGroup>,
    /// Spread across groups (no missing level) of accuracy and, per class, of each metric:
    /// `metric` is `accuracy` or `CLASS:METRIC`.
    pub spread: Vec<Spread>,
}

/// The audit of a multiclass model's predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MulticlassAudit {
    /// [`MULTICLASS_SCHEMA`].
    pub schema: String,
    /// The input.
    pub input: InputSummary,
    /// The classes, in index order.
    pub classes: Vec<String>,
    /// All rows.
    pub overall: MulticlassGroup,
    /// Every grouping.
    pub groupings: Vec<MulticlassGrouping>,
    /// How to read it.
    pub notes: Vec<String>,
}

/// The binary metrics reported one-vs-rest per class.
pub const MULTICLASS_METRICS: [Metric; 5] = [
    Metric::SelectionRate,
    Metric::TruePositiveRate,
    Metric::FalsePositiveRate,
    Metric::PositivePredictiveValue,
    Metric::F1,
];

fn multiclass_group(key: GroupKey, c: &ClassConfusion, classes: &[String]) -> MulticlassGroup {
    MulticlassGroup {
        key,
        rows: c.total_rows(),
        accuracy: c.accuracy(),
        classes: classes
            .iter()
            .enumerate()
            .map(|(i, name)| ClassMetrics {
                class: name.clone(),
                metrics: MULTICLASS_METRICS
                    .iter()
                    .map(|m| (*m, c.metric(*m, ClassIndex(i))))
                    .collect(),
            })
            .collect(),
        macro_average: MULTICLASS_METRICS
            .iter()
            .map(|m| c.macro_average(*m))
            .collect(),
    }
}

/// Audits per-cell multiclass confusions; `classes` names the class indices.
pub fn multiclass_audit(
    table: &CellTable<ClassConfusion>,
    classes: &[String],
    input: InputSummary,
) -> Result<MulticlassAudit, TableError> {
    let overall = multiclass_group(GroupKey(Vec::new()), &table.total(), classes);
    let mut groupings = Vec::new();
    for subset in crate::audit::subsets(table.attributes().len(), table.attributes().len()) {
        let t = table.marginalize(&subset)?;
        let groups: Vec<MulticlassGroup> = t
            .cells()
            .filter(|c| t.get(*c).total_rows() > 0)
            .map(|c| multiclass_group(t.key(c), t.get(c), classes))
            .collect();
        let named: Vec<&MulticlassGroup> = groups.iter().filter(|g| !g.key.has_missing()).collect();
        let keys: Vec<GroupKey> = named.iter().map(|g| g.key.clone()).collect();
        let mut spread = Vec::new();
        let (difference, ratio) =
            between(&named.iter().map(|g| g.accuracy).collect::<Vec<_>>(), &keys);
        spread.push(Spread {
            metric: "accuracy".into(),
            difference,
            ratio,
        });
        for (ci, class) in classes.iter().enumerate() {
            for (mi, m) in MULTICLASS_METRICS.iter().enumerate() {
                let values: Vec<Value> =
                    named.iter().map(|g| g.classes[ci].metrics[mi].1).collect();
                let (difference, ratio) = between(&values, &keys);
                spread.push(Spread {
                    metric: format!("{class}:{}", m.id()),
                    difference,
                    ratio,
                });
            }
        }
        groupings.push(MulticlassGrouping {
            attributes: subset
                .iter()
                .map(|&i| table.attributes()[i].name.clone())
                .collect(),
            groups,
            spread,
        });
    }
    Ok(MulticlassAudit {
        schema: MULTICLASS_SCHEMA.to_owned(),
        input,
        classes: classes.to_vec(),
        overall,
        groupings,
        notes: vec![
            "each class is audited one-vs-rest with the binary metric definitions; a 0/0 rate is undefined, not 0".to_owned(),
            "macro averages leave out classes where the metric is undefined and list them (scikit-learn's default counts them as 0)".to_owned(),
        ],
    })
}
