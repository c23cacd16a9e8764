//! The tabular audit: every marginal and intersectional group, its metrics, disparities, named
//! fairness criteria and inequality indices, gathered into one serde [`AuditResult`].
//!
//! The audit reads only a [`CountTensor`]. For attributes A, B, C it evaluates every non-empty
//! subset ("grouping"): A, B, C, A×B, A×C, B×C, A×B×C, each by marginalising the tensor.
//! Groups with a missing level are reported but kept out of disparities and criteria (a
//! disparity is a statement about named groups); `to_overall` compares against all rows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bootstrap::BootstrapOptions;
use crate::counts::{AttributeName, Confusion, CountTensor, CountsError, GroupKey, Level};
use crate::disparity::{self, Aggregate, Method};
use crate::hypothesis::{self, TestResult};
use crate::inequality::{self, Decomposition};
use crate::interval::{wilson, Interval};
use crate::metric::Metric;
use crate::value::{Undefined, Value};

/// The schema identifier written into every audit result. Bump it on any breaking change to the
/// JSON shape (docs/schema.md describes it).
pub const SCHEMA: &str = "aequo.audit/2";

/// What an audit computes beyond the tensor itself.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Metrics to report (default: all).
    pub metrics: Vec<Metric>,
    /// Reference ("privileged") level per attribute, for `to_reference` disparities and the
    /// AIF360-oriented comparisons.
    pub reference: Vec<(String, String)>,
    /// Confidence level of intervals.
    pub confidence: f64,
    /// α values of the generalized entropy index reported besides Theil (α = 1).
    pub ge_alphas: Vec<f64>,
    /// Named rules to evaluate (never applied by default).
    pub rules: Vec<Rule>,
    /// Largest intersection to evaluate (number of attributes); `None` = all.
    pub max_depth: Option<usize>,
    /// Groups with fewer rows are flagged `small` in every output.
    pub min_cell: u64,
    /// Bootstrap intervals for every metric, disparity and criterion (`None`: Wilson intervals
    /// for group proportions only).
    pub bootstrap: Option<BootstrapOptions>,
    /// Hypothesis tests of each group against the rest and the reference, and of all groups
    /// jointly, with Holm and Benjamini–Hochberg adjustment across the whole audit.
    pub tests: bool,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            metrics: Metric::ALL.to_vec(),
            reference: Vec::new(),
            confidence: 0.95,
            ge_alphas: vec![0.5, 2.0, 3.0],
            rules: Vec::new(),
            max_depth: None,
            min_cell: 30,
            bootstrap: Some(BootstrapOptions::default()),
            tests: true,
        }
    }
}

/// A named decision rule, applied only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The "four-fifths rule" of the US Uniform Guidelines on Employee Selection Procedures
    /// (29 CFR 1607.4(D)): a selection rate for any group below four-fifths of the highest
    /// group's rate is evidence of adverse impact. A rule of thumb from US employment law, not
    /// a general fairness test (Fairlearn's user guide calls it an abstraction trap).
    FourFifths,
}

impl Rule {
    /// Parses a rule identifier.
    pub fn from_id(s: &str) -> Option<Rule> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "four_fifths" | "4/5" | "80_percent" => Some(Rule::FourFifths),
            _ => None,
        }
    }
}

/// Why an audit cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuditError {
    /// No rows reached the audit.
    #[error("no rows to audit; check the input file and the --on-missing setting")]
    NoRows,
    /// A reference was given for an attribute that is not sensitive.
    #[error("--reference names attribute '{0}', which is not among the sensitive attributes")]
    UnknownAttribute(String),
    /// A reference level that does not occur in the data.
    #[error("reference level '{level}' does not occur in attribute '{attribute}'; levels are: {available}")]
    UnknownReferenceLevel {
        /// The attribute.
        attribute: String,
        /// The level asked for.
        level: String,
        /// The levels that exist.
        available: String,
    },
    /// A sensitive attribute with no value in any row.
    #[error("sensitive attribute '{attribute}' is missing in all {rows} rows; check the column name or the file")]
    AttributeAllMissing {
        /// The attribute.
        attribute: String,
        /// Rows audited.
        rows: u64,
    },
    /// A bad confidence level.
    #[error("confidence level {0} must be between 0 and 1 (e.g. 0.95)")]
    BadConfidence(f64),
    /// From the tensor.
    #[error(transparent)]
    Counts(#[from] CountsError),
}

/// Where the rows came from and what happened to them (filled by the data layer).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    /// The file or query.
    pub source: String,
    /// Its format.
    pub format: String,
    /// The label column and how it was read.
    pub label: String,
    /// The prediction column, or score column and threshold.
    pub prediction: String,
    /// The weight column, if any.
    pub weight: Option<String>,
    /// Rows read from the source.
    pub rows_read: u64,
    /// Rows that reached the tensor.
    pub rows_used: u64,
    /// Rows dropped, by reason.
    pub dropped: Vec<Dropped>,
    /// Rows whose sensitive attribute was missing, per attribute.
    pub missing_sensitive: BTreeMap<String, u64>,
    /// Anything the user should know about how the input was read.
    pub warnings: Vec<String>,
}

/// Rows dropped for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    /// Why.
    pub reason: String,
    /// How many.
    pub rows: u64,
}

/// A metric's documented definition, carried in every result so it can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricInfo {
    /// Identifier.
    pub id: Metric,
    /// Human name.
    pub label: String,
    /// Formula over confusion counts.
    pub formula: String,
    /// Source definition.
    pub source: String,
}

/// One metric's value on one group, with its interval where one is computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Which metric.
    pub metric: Metric,
    /// The value or why it is undefined.
    pub value: Value,
    /// The interval (method in [`AuditResult::interval_method`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
}

/// A group (or the whole population) and its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    /// The group's levels, one per attribute of its grouping (empty for the overall row).
    pub key: GroupKey,
    /// Rows in the group.
    pub rows: u64,
    /// Summed weight, when weighted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// Unweighted confusion counts.
    pub confusion: Confusion,
    /// Weighted confusion counts, when weighted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weighted_confusion: Option<Confusion>,
    /// Whether any attribute of the key is missing (such groups are left out of disparities).
    pub has_missing: bool,
    /// Whether the group has fewer rows than the audit's minimum cell size.
    #[serde(default)]
    pub small: bool,
    /// Whether its numbers were withheld (`--suppress-below`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
    /// The metrics.
    pub metrics: Vec<Estimate>,
}

impl GroupResult {
    /// The estimate of a metric, if computed.
    pub fn metric(&self, m: Metric) -> Option<&Estimate> {
        self.metrics.iter().find(|e| e.metric == m)
    }
}

/// An aggregate over groups and the groups that decide it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateResult {
    /// The aggregate value.
    pub value: Value,
    /// For `between_groups`: [lowest, highest]; otherwise the group farthest from the comparison
    /// point (the overall value or the reference group's).
    pub groups: Vec<GroupKey>,
    /// Its interval (bootstrap), when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
}

/// A difference and a ratio by one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffRatio {
    /// The difference.
    pub difference: AggregateResult,
    /// The ratio.
    pub ratio: AggregateResult,
}

/// A metric's disparities within one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDisparity {
    /// Which metric.
    pub metric: Metric,
    /// Largest vs smallest group.
    pub between_groups: DiffRatio,
    /// Against all rows.
    pub to_overall: DiffRatio,
    /// Against the reference group, when every attribute of the grouping has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_reference: Option<DiffRatio>,
    /// Groups left out because the metric is undefined on them.
    pub excluded: Vec<GroupKey>,
}

/// One grouping (a marginal attribute or an intersection) and its groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupingResult {
    /// The attributes crossed.
    pub attributes: Vec<AttributeName>,
    /// Groups with at least one row.
    pub groups: Vec<GroupResult>,
    /// Combinations of (non-missing) levels with no rows (not listed in `groups`).
    pub empty_cells: usize,
    /// The reference group, when every attribute has a reference level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<GroupKey>,
    /// Disparities per metric.
    pub disparities: Vec<MetricDisparity>,
}

/// A named fairness criterion's value on one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    /// e.g. `demographic_parity_difference`.
    pub name: String,
    /// The attributes crossed.
    pub grouping: Vec<AttributeName>,
    /// How groups were compared.
    pub method: Method,
    /// For equalized odds: `worst_case` or `mean` over TPR and FPR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agg: Option<String>,
    /// The value.
    pub value: Value,
    /// Its interval (bootstrap), when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
}

/// AIF360-oriented comparison of an unprivileged group against the privileged (reference)
/// level of one attribute: differences are unprivileged − privileged, ratios unprivileged /
/// privileged (not folded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceComparison {
    /// The attribute.
    pub attribute: AttributeName,
    /// Its reference level.
    pub privileged: Level,
    /// The compared level; `null` = every non-missing level other than the reference.
    pub unprivileged: Option<Level>,
    /// Rows in the privileged group.
    pub rows_privileged: u64,
    /// Rows in the unprivileged group.
    pub rows_unprivileged: u64,
    /// The comparisons, by AIF360 name.
    pub values: Vec<NamedValue>,
}

/// A named number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedValue {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// Its interval (bootstrap), when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
}

impl NamedValue {
    /// A named value without an interval.
    pub fn new(name: &str, value: Value) -> NamedValue {
        NamedValue {
            name: name.to_owned(),
            value,
            ci: None,
        }
    }
}

/// A GE(α) value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlphaValue {
    /// α.
    pub alpha: f64,
    /// GE(α).
    pub value: Value,
}

/// Inequality of individual benefit (AIF360's b = ŷ − y + 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InequalityResult {
    /// Theil index, GE(1), over all rows.
    pub theil_index: Value,
    /// sqrt(2 GE(2)).
    pub coefficient_of_variation: Value,
    /// GE(α) for the requested α.
    pub generalized_entropy: Vec<AlphaValue>,
    /// Between-group GE over every combination of all sensitive attributes (AIF360
    /// `between_all_groups_*`), α = 1 and 2, and the coefficient of variation.
    pub between_all_groups: Vec<NamedValue>,
    /// Between/within decomposition over each grouping, α = 1 and 2.
    pub decompositions: Vec<GroupingDecomposition>,
}

/// The GE decomposition over one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupingDecomposition {
    /// The attributes crossed.
    pub grouping: Vec<AttributeName>,
    /// One per α.
    pub decompositions: Vec<Decomposition>,
}

/// The outcome of a named rule on one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// Which rule.
    pub rule: Rule,
    /// The attributes crossed.
    pub grouping: Vec<AttributeName>,
    /// The group with the highest selection rate.
    pub highest: Option<GroupKey>,
    /// Each group's selection rate over the highest.
    pub ratios: Vec<(GroupKey, Value)>,
    /// Groups below the threshold.
    pub below: Vec<GroupKey>,
    /// The threshold (0.8).
    pub threshold: f64,
    /// Whether no group is below the threshold (`null` when it cannot be evaluated).
    pub holds: Option<bool>,
}

/// A sensitive attribute as audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeSummary {
    /// Its name.
    pub name: AttributeName,
    /// Its levels with their row counts (missing last).
    pub levels: Vec<(Level, u64)>,
    /// The reference level, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Level>,
}

/// Everything a tabular audit reports: rendered as JSON, Markdown, terminal tables and HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditResult {
    /// [`SCHEMA`].
    pub schema: String,
    /// The aequo version that computed it.
    pub aequo_version: String,
    /// The input and what happened to its rows.
    pub input: InputSummary,
    /// Whether rates use sample weights.
    pub weighted: bool,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// How intervals were computed.
    pub interval_method: String,
    /// The sensitive attributes.
    pub attributes: Vec<AttributeSummary>,
    /// Definitions of the metrics reported.
    pub metrics: Vec<MetricInfo>,
    /// All rows.
    pub overall: GroupResult,
    /// Every grouping.
    pub groupings: Vec<GroupingResult>,
    /// Named criteria.
    pub criteria: Vec<CriterionResult>,
    /// AIF360-oriented comparisons against reference levels.
    pub reference_comparisons: Vec<ReferenceComparison>,
    /// Inequality indices.
    pub inequality: InequalityResult,
    /// Named rules, when requested.
    pub rules: Vec<RuleResult>,
    /// Minimum cell size: groups with fewer rows are flagged `small`.
    #[serde(default)]
    pub min_cell: u64,
    /// Hypothesis tests, with p-values adjusted across all of them.
    #[serde(default)]
    pub tests: Vec<GroupTest>,
    /// Score-based metrics by group, with a score column (see [`AuditResult::add_score_metrics`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<ScoreMetrics>,
    /// Worst-subgroup discovery, one report per metric searched (see [`crate::subgroup`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subgroups: Vec<crate::subgroup::SubgroupReport>,
    /// How to read the numbers.
    pub notes: Vec<String>,
}

/// What a group is compared with in a hypothesis test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Against {
    /// All rows not in the group.
    Rest,
    /// The reference group of the grouping.
    Reference,
    /// Every named group of the grouping at once (χ² test of independence).
    AllGroups,
}

/// One hypothesis test of a proportion metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupTest {
    /// The attributes crossed.
    pub grouping: Vec<AttributeName>,
    /// The metric (a proportion).
    pub metric: Metric,
    /// The group tested (empty for `all_groups`).
    pub group: GroupKey,
    /// What it is compared with.
    pub against: Against,
    /// The test and its raw p-value.
    pub test: TestResult,
    /// Holm-adjusted p-value (family-wise error over every test of the audit).
    pub p_holm: f64,
    /// Benjamini–Hochberg-adjusted p-value (false discovery rate over every test of the audit).
    pub p_bh: f64,
}

impl AuditResult {
    /// Withholds every number of groups with fewer than `k` rows (for privacy): their metrics,
    /// counts and tests are removed and marked suppressed, and disparities keep only their
    /// values over all groups. The result says so in its notes.
    pub fn suppress_below(&mut self, k: u64) {
        let mut suppressed = 0usize;
        for g in &mut self.groupings {
            for grp in g.groups.iter_mut().filter(|x| x.rows < k) {
                suppressed += 1;
                grp.rows = 0;
                grp.weight = None;
                grp.confusion = Confusion::default();
                grp.weighted_confusion = None;
                grp.suppressed = true;
                for e in &mut grp.metrics {
                    e.value = Value::Undefined(Undefined::Suppressed { below: k });
                    e.ci = None;
                }
            }
            let hidden: Vec<GroupKey> = g
                .groups
                .iter()
                .filter(|x| x.suppressed)
                .map(|x| x.key.clone())
                .collect();
            for d in &mut g.disparities {
                for a in [
                    &mut d.between_groups.difference,
                    &mut d.between_groups.ratio,
                    &mut d.to_overall.difference,
                    &mut d.to_overall.ratio,
                ] {
                    a.groups.retain(|x| !hidden.contains(x));
                }
            }
            self.tests
                .retain(|t| !(t.grouping == g.attributes && hidden.contains(&t.group)));
        }
        if suppressed > 0 {
            self.notes.push(format!(
                "{suppressed} groups with fewer than {k} rows are suppressed: their numbers are withheld, though disparities over all groups still include them"
            ));
        }
    }

    /// The grouping over exactly these attributes, in this order.
    pub fn grouping(&self, attributes: &[&str]) -> Option<&GroupingResult> {
        self.groupings.iter().find(|g| {
            g.attributes.len() == attributes.len()
                && g.attributes.iter().zip(attributes).all(|(a, b)| a.0 == *b)
        })
    }
}

/// Every non-empty subset of `0..k` of size ≤ `max`, by size then lexicographically.
pub(crate) fn subsets(k: usize, max: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for size in 1..=k.min(max) {
        let mut idx: Vec<usize> = (0..size).collect();
        loop {
            out.push(idx.clone());
            let mut i = size;
            while i > 0 && idx[i - 1] == k - size + i - 1 {
                i -= 1;
            }
            if i == 0 {
                break;
            }
            idx[i - 1] += 1;
            for j in i..size {
                idx[j] = idx[j - 1] + 1;
            }
        }
    }
    out
}

struct Ctx<'a> {
    tensor: &'a CountTensor,
    options: &'a AuditOptions,
    reference: Vec<Option<Level>>,
}

impl Ctx<'_> {
    fn group(
        &self,
        key: GroupKey,
        rows: u64,
        unweighted: Confusion,
        weighted: Option<Confusion>,
    ) -> GroupResult {
        let c = weighted.unwrap_or(unweighted);
        let metrics = self
            .options
            .metrics
            .iter()
            .map(|&m| {
                let value = m.evaluate(&c, rows);
                let ci = if weighted.is_none() && m.is_proportion() && value.is_defined() {
                    m.fraction(&c)
                        .and_then(|(num, den)| wilson(num, den, self.options.confidence))
                } else {
                    None
                };
                Estimate {
                    metric: m,
                    value,
                    ci,
                }
            })
            .collect();
        GroupResult {
            small: rows < self.options.min_cell,
            suppressed: false,
            has_missing: key.has_missing(),
            key,
            rows,
            weight: weighted.map(|w| w.total()),
            confusion: unweighted,
            weighted_confusion: weighted,
            metrics,
        }
    }

    fn groups_of(&self, t: &CountTensor) -> (Vec<GroupResult>, usize) {
        let mut groups = Vec::new();
        let mut empty = 0;
        for cell in t.cells() {
            let rows = t.rows(cell);
            if rows == 0 {
                // Every attribute has a missing level; its empty combinations are not news.
                if !t.key(cell).has_missing() {
                    empty += 1;
                }
                continue;
            }
            groups.push(self.group(
                t.key(cell),
                rows,
                t.confusion_unweighted(cell),
                t.confusion_weighted(cell),
            ));
        }
        (groups, empty)
    }
}

fn agg_result(a: &Aggregate, keys: &[&GroupKey]) -> AggregateResult {
    let groups = match a.extremes {
        Some((lo, hi)) if lo == hi => vec![keys[lo].clone()],
        Some((lo, hi)) => vec![keys[lo].clone(), keys[hi].clone()],
        None => Vec::new(),
    };
    AggregateResult {
        value: a.value,
        groups,
        ci: None,
    }
}

fn diff_ratio((d, r): &(Aggregate, Aggregate), keys: &[&GroupKey]) -> DiffRatio {
    DiffRatio {
        difference: agg_result(d, keys),
        ratio: agg_result(r, keys),
    }
}

/// Runs the audit on a tensor. `input` describes where the counts came from.
pub fn audit(
    tensor: &CountTensor,
    input: InputSummary,
    options: &AuditOptions,
) -> Result<AuditResult, AuditError> {
    if !(options.confidence > 0.0 && options.confidence < 1.0) {
        return Err(AuditError::BadConfidence(options.confidence));
    }
    let total_rows = tensor.total_rows();
    if total_rows == 0 {
        return Err(AuditError::NoRows);
    }
    let attrs = tensor.attributes();
    let k = attrs.len();

    // Level counts per attribute, and the all-missing check.
    let mut attributes = Vec::with_capacity(k);
    for (i, a) in attrs.iter().enumerate() {
        let m = tensor.marginalize(&[i])?;
        let levels: Vec<(Level, u64)> = m
            .cells()
            .map(|c| (a.levels[c.0].clone(), m.rows(c)))
            .filter(|(l, n)| *n > 0 || *l == Level::Missing)
            .collect();
        if levels.iter().all(|(l, n)| *l == Level::Missing || *n == 0) {
            return Err(AuditError::AttributeAllMissing {
                attribute: a.name.0.clone(),
                rows: total_rows,
            });
        }
        attributes.push(AttributeSummary {
            name: a.name.clone(),
            levels,
            reference: None,
        });
    }

    // References.
    let mut reference: Vec<Option<Level>> = vec![None; k];
    for (name, level) in &options.reference {
        let i = attrs
            .iter()
            .position(|a| a.name.0 == *name)
            .ok_or_else(|| AuditError::UnknownAttribute(name.clone()))?;
        let l = Level::Value(level.clone());
        let present = attributes[i].levels.iter().any(|(x, n)| *x == l && *n > 0);
        if !present {
            return Err(AuditError::UnknownReferenceLevel {
                attribute: name.clone(),
                level: level.clone(),
                available: attributes[i]
                    .levels
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(l, _)| l.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        attributes[i].reference = Some(l.clone());
        reference[i] = Some(l);
    }

    let ctx = Ctx {
        tensor,
        options,
        reference,
    };
    let all = tensor.marginalize(&[])?;
    let whole = all.cells().next().expect("a scalar tensor has one cell");
    let overall = ctx.group(
        GroupKey(Vec::new()),
        all.rows(whole),
        all.confusion_unweighted(whole),
        all.confusion_weighted(whole),
    );

    let mut groupings = Vec::new();
    let mut criteria = Vec::new();
    let mut rules = Vec::new();
    let mut decompositions = Vec::new();
    for subset in subsets(k, options.max_depth.unwrap_or(k)) {
        let t = ctx.tensor.marginalize(&subset)?;
        let names: Vec<AttributeName> = subset.iter().map(|&i| attrs[i].name.clone()).collect();
        let (groups, empty_cells) = ctx.groups_of(&t);
        let reference_key = subset
            .iter()
            .map(|&i| ctx.reference[i].clone())
            .collect::<Option<Vec<Level>>>()
            .map(GroupKey);
        let named: Vec<&GroupResult> = groups.iter().filter(|g| !g.has_missing).collect();
        let keys: Vec<&GroupKey> = named.iter().map(|g| &g.key).collect();
        let ref_pos = reference_key
            .as_ref()
            .and_then(|r| keys.iter().position(|k| *k == r));

        let mut disparities = Vec::new();
        let mut by_metric: BTreeMap<Metric, [(Aggregate, Aggregate); 3]> = BTreeMap::new();
        for &m in &options.metrics {
            let values: Vec<Value> = named
                .iter()
                .map(|g| {
                    g.metric(m)
                        .map_or(Value::Undefined(Undefined::EmptyGroup), |e| e.value)
                })
                .collect();
            let overall_value = overall
                .metric(m)
                .map_or(Value::Undefined(Undefined::EmptyGroup), |e| e.value);
            let bg = disparity::between_groups(&values);
            let to = disparity::to_overall(&values, overall_value);
            let tr = ref_pos.map(|r| disparity::to_reference(&values, r));
            disparities.push(MetricDisparity {
                metric: m,
                between_groups: diff_ratio(&bg, &keys),
                to_overall: diff_ratio(&to, &keys),
                to_reference: tr.as_ref().map(|x| diff_ratio(x, &keys)),
                excluded: bg.0.excluded.iter().map(|&i| keys[i].clone()).collect(),
            });
            let unavailable = || {
                let u = Aggregate {
                    value: Value::Undefined(Undefined::ReferenceUndefined),
                    extremes: None,
                    excluded: Vec::new(),
                };
                (u.clone(), u)
            };
            by_metric.insert(m, [bg, to, tr.unwrap_or_else(unavailable)]);
        }
        criteria.extend(named_criteria(&names, &by_metric, ref_pos.is_some()));
        if options.rules.contains(&Rule::FourFifths) {
            rules.push(four_fifths(&names, &named));
        }
        decompositions.push(GroupingDecomposition {
            grouping: names.clone(),
            decompositions: [1.0, 2.0]
                .iter()
                .map(|&a| {
                    let confs: Vec<Confusion> =
                        t.cells().map(|c| t.confusion_unweighted(c)).collect();
                    inequality::decompose(&confs, a)
                })
                .collect(),
        });
        groupings.push(GroupingResult {
            attributes: names,
            groups,
            empty_cells,
            reference: reference_key,
            disparities,
        });
    }

    let reference_comparisons = reference_comparisons(&ctx)?;
    let total = overall.confusion;
    let cells: Vec<Confusion> = tensor
        .cells()
        .map(|c| tensor.confusion_unweighted(c))
        .collect();
    let inequality = InequalityResult {
        theil_index: inequality::theil(&total),
        coefficient_of_variation: inequality::coefficient_of_variation(&total),
        generalized_entropy: options
            .ge_alphas
            .iter()
            .map(|&alpha| AlphaValue {
                alpha,
                value: inequality::generalized_entropy(&total, alpha),
            })
            .collect(),
        between_all_groups: vec![
            NamedValue::new(
                "between_all_groups_theil_index",
                inequality::between_groups(&cells, 1.0),
            ),
            NamedValue::new(
                "between_all_groups_generalized_entropy_index",
                inequality::between_groups(&cells, 2.0),
            ),
            NamedValue::new(
                "between_all_groups_coefficient_of_variation",
                inequality::between_groups(&cells, 2.0).map(|g| (2.0 * g).sqrt()),
            ),
        ],
        decompositions,
    };

    let mut notes = vec![
        "rates of a group with a zero denominator are undefined (Fairlearn reports 0.0); such groups are left out of disparities and listed under `excluded`".to_owned(),
        "groups with a missing attribute level are reported but left out of disparities and criteria; `to_overall` compares against all rows".to_owned(),
        "inequality indices (Theil, GE) use unweighted counts, as AIF360 does".to_owned(),
    ];
    if tensor.is_weighted() {
        notes.push("rates use sample weights (Fairlearn's sample_weight); `count` is the unweighted row count; no closed-form intervals for weighted rates".to_owned());
    }
    Ok(AuditResult {
        schema: SCHEMA.to_owned(),
        aequo_version: env!("CARGO_PKG_VERSION").to_owned(),
        input,
        weighted: tensor.is_weighted(),
        confidence: options.confidence,
        interval_method: if tensor.is_weighted() {
            "none for weighted rates".to_owned()
        } else {
            format!(
                "Wilson score interval at {}% for proportions (per group, not adjusted for multiple comparisons)",
                options.confidence * 100.0
            )
        },
        attributes,
        metrics: options
            .metrics
            .iter()
            .map(|&m| MetricInfo {
                id: m,
                label: m.label().to_owned(),
                formula: m.formula().to_owned(),
                source: m.source().to_owned(),
            })
            .collect(),
        overall,
        groupings,
        criteria,
        reference_comparisons,
        inequality,
        rules,
        min_cell: options.min_cell,
        tests: Vec::new(),
        scores: None,
        subgroups: Vec::new(),
        notes,
    })
    .map(|mut r| {
        if options.tests {
            r.tests = group_tests(&r);
            r.notes.push(format!(
                "{} hypothesis tests (two-proportion z, Fisher's exact where an expected count is below 5, χ² across groups) on unweighted counts; p_holm and p_bh are adjusted across all of them",
                r.tests.len()
            ));
        }
        if let Some(b) = &options.bootstrap {
            crate::uncertainty::attach(tensor, &mut r, b);
        }
        r
    })
}

/// Tests every named group of every grouping against the rest and the reference, and all
/// groups jointly, for each proportion metric; adjusts all p-values together.
fn group_tests(r: &AuditResult) -> Vec<GroupTest> {
    let mut out = Vec::new();
    let all = r.overall.confusion;
    for g in &r.groupings {
        let named: Vec<&GroupResult> = g.groups.iter().filter(|x| !x.has_missing).collect();
        let reference = g
            .reference
            .as_ref()
            .and_then(|k| named.iter().find(|x| x.key == *k));
        for m in r.metrics.iter().map(|i| i.id).filter(|m| m.is_proportion()) {
            let frac = |c: &Confusion| m.fraction(c).map(|(x, n)| (x as u64, n as u64));
            let mut rows = Vec::new();
            for grp in &named {
                let Some((x, n)) = frac(&grp.confusion) else {
                    continue;
                };
                rows.push((x as f64, n as f64));
                let rest = Confusion {
                    tn: all.tn - grp.confusion.tn,
                    fp: all.fp - grp.confusion.fp,
                    fn_: all.fn_ - grp.confusion.fn_,
                    tp: all.tp - grp.confusion.tp,
                };
                let mut push = |against, test: Option<TestResult>| {
                    if let Some(test) = test {
                        out.push(GroupTest {
                            grouping: g.attributes.clone(),
                            metric: m,
                            group: grp.key.clone(),
                            against,
                            test,
                            p_holm: f64::NAN,
                            p_bh: f64::NAN,
                        });
                    }
                };
                if let Some((x2, n2)) = frac(&rest) {
                    push(Against::Rest, hypothesis::compare_proportions(x, n, x2, n2));
                }
                if let Some(rf) = reference.filter(|rf| rf.key != grp.key) {
                    if let Some((x2, n2)) = frac(&rf.confusion) {
                        push(
                            Against::Reference,
                            hypothesis::compare_proportions(x, n, x2, n2),
                        );
                    }
                }
            }
            if let Some(test) = hypothesis::chi_squared(&rows) {
                out.push(GroupTest {
                    grouping: g.attributes.clone(),
                    metric: m,
                    group: GroupKey(Vec::new()),
                    against: Against::AllGroups,
                    test,
                    p_holm: f64::NAN,
                    p_bh: f64::NAN,
                });
            }
        }
    }
    let p: Vec<f64> = out.iter().map(|t| t.test.p_value).collect();
    for ((t, h), b) in out
        .iter_mut()
        .zip(hypothesis::holm(&p))
        .zip(hypothesis::benjamini_hochberg(&p))
    {
        t.p_holm = h;
        t.p_bh = b;
    }
    out
}

fn named_criteria(
    names: &[AttributeName],
    by_metric: &BTreeMap<Metric, [(Aggregate, Aggregate); 3]>,
    has_reference: bool,
) -> Vec<CriterionResult> {
    let methods: &[(usize, Method)] = if has_reference {
        &[
            (0, Method::BetweenGroups),
            (1, Method::ToOverall),
            (2, Method::ToReference),
        ]
    } else {
        &[(0, Method::BetweenGroups), (1, Method::ToOverall)]
    };
    let mut out = Vec::new();
    let mut push = |name: &str, method: Method, agg: Option<&str>, value: Value| {
        out.push(CriterionResult {
            name: name.to_owned(),
            grouping: names.to_vec(),
            method,
            agg: agg.map(str::to_owned),
            value,
            ci: None,
        });
    };
    for &(mi, method) in methods {
        let get = |m: Metric| by_metric.get(&m).map(|a| (a[mi].0.value, a[mi].1.value));
        for (crit, metric) in [
            ("demographic_parity", Metric::SelectionRate),
            ("equal_opportunity", Metric::TruePositiveRate),
            ("predictive_parity", Metric::PositivePredictiveValue),
        ] {
            if let Some((d, r)) = get(metric) {
                push(&format!("{crit}_difference"), method, None, d);
                push(&format!("{crit}_ratio"), method, None, r);
            }
        }
        if let (Some((dt, rt)), Some((df, rf))) = (
            get(Metric::TruePositiveRate),
            get(Metric::FalsePositiveRate),
        ) {
            push(
                "equalized_odds_difference",
                method,
                Some("worst_case"),
                dt.zip(df, |a, b| Value::Defined(a.max(b))),
            );
            push(
                "equalized_odds_difference",
                method,
                Some("mean"),
                dt.zip(df, |a, b| Value::Defined((a + b) / 2.0)),
            );
            push(
                "equalized_odds_ratio",
                method,
                Some("worst_case"),
                rt.zip(rf, |a, b| Value::Defined(a.min(b))),
            );
            push(
                "equalized_odds_ratio",
                method,
                Some("mean"),
                rt.zip(rf, |a, b| Value::Defined((a + b) / 2.0)),
            );
        }
    }
    out
}

fn four_fifths(names: &[AttributeName], named: &[&GroupResult]) -> RuleResult {
    const THRESHOLD: f64 = 0.8;
    let sr = |g: &GroupResult| {
        g.metric(Metric::SelectionRate).map_or_else(
            || Metric::SelectionRate.evaluate(&g.weighted_confusion.unwrap_or(g.confusion), g.rows),
            |e| e.value,
        )
    };
    let highest = named
        .iter()
        .filter_map(|g| sr(g).get().map(|v| (g, v)))
        .fold(None::<(&&GroupResult, f64)>, |best, (g, v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((g, v)),
        });
    let Some((top, top_rate)) = highest else {
        return RuleResult {
            rule: Rule::FourFifths,
            grouping: names.to_vec(),
            highest: None,
            ratios: Vec::new(),
            below: Vec::new(),
            threshold: THRESHOLD,
            holds: None,
        };
    };
    let ratios: Vec<(GroupKey, Value)> = named
        .iter()
        .map(|g| {
            (
                g.key.clone(),
                sr(g).zip(Value::Defined(top_rate), Value::ratio),
            )
        })
        .collect();
    let below: Vec<GroupKey> = ratios
        .iter()
        .filter(|(_, r)| r.get().is_some_and(|x| x < THRESHOLD))
        .map(|(k, _)| k.clone())
        .collect();
    RuleResult {
        rule: Rule::FourFifths,
        grouping: names.to_vec(),
        highest: Some(top.key.clone()),
        holds: (top_rate > 0.0).then_some(below.is_empty()),
        ratios,
        below,
        threshold: THRESHOLD,
    }
}

fn reference_comparisons(ctx: &Ctx<'_>) -> Result<Vec<ReferenceComparison>, AuditError> {
    let mut out = Vec::new();
    for (i, attr) in ctx.tensor.attributes().iter().enumerate() {
        let Some(privileged) = &ctx.reference[i] else {
            continue;
        };
        let m = ctx.tensor.marginalize(&[i])?;
        let p_cell = m.cell(&[attr.level_index(privileged).expect("validated reference")]);
        let (p_rows, p_c) = (m.rows(p_cell), m.confusion(p_cell));
        let p_unweighted = m.confusion_unweighted(p_cell);
        let mut rest = (0u64, Confusion::default(), Confusion::default());
        let mut cmp = Vec::new();
        for cell in m.cells() {
            let level = &attr.levels[cell.0];
            if cell == p_cell || *level == Level::Missing || m.rows(cell) == 0 {
                continue;
            }
            let (rows, c, cu) = (
                m.rows(cell),
                m.confusion(cell),
                m.confusion_unweighted(cell),
            );
            rest = (rest.0 + rows, rest.1.add(&c), rest.2.add(&cu));
            cmp.push((Some(level.clone()), rows, c, None));
        }
        cmp.push((None, rest.0, rest.1, Some(rest.2)));
        for (unprivileged, rows, u, u_unweighted) in cmp {
            let rate = |m: Metric, c: &Confusion, n: u64| m.evaluate(c, n);
            let sr = (
                rate(Metric::SelectionRate, &u, rows),
                rate(Metric::SelectionRate, &p_c, p_rows),
            );
            let tpr = (
                rate(Metric::TruePositiveRate, &u, rows),
                rate(Metric::TruePositiveRate, &p_c, p_rows),
            );
            let fpr = (
                rate(Metric::FalsePositiveRate, &u, rows),
                rate(Metric::FalsePositiveRate, &p_c, p_rows),
            );
            let diff = |(a, b): (Value, Value)| a.zip(b, |x, y| Value::Defined(x - y));
            let mut values = vec![
                NamedValue::new("disparate_impact", sr.0.zip(sr.1, Value::ratio)),
                NamedValue::new("statistical_parity_difference", diff(sr)),
                NamedValue::new("equal_opportunity_difference", diff(tpr)),
                NamedValue::new(
                    "average_odds_difference",
                    diff(fpr).zip(diff(tpr), |a, b| Value::Defined((a + b) / 2.0)),
                ),
                NamedValue::new(
                    "average_abs_odds_difference",
                    diff(fpr).zip(diff(tpr), |a, b| Value::Defined((a.abs() + b.abs()) / 2.0)),
                ),
                NamedValue::new(
                    "equalized_odds_difference",
                    diff(fpr).zip(diff(tpr), |a, b| Value::Defined(a.abs().max(b.abs()))),
                ),
            ];
            // Between-group indices partition the rows, so they are defined for the
            // privileged-vs-rest split only (AIF360 gives rows outside both groups a benefit of
            // 0, which makes its number for a single unprivileged level a different quantity).
            if let Some(uu) = u_unweighted {
                let parts = [p_unweighted, uu];
                let ge2 = inequality::between_groups(&parts, 2.0);
                values.push(NamedValue::new(
                    "between_group_theil_index",
                    inequality::between_groups(&parts, 1.0),
                ));
                values.push(NamedValue::new(
                    "between_group_generalized_entropy_index",
                    ge2,
                ));
                values.push(NamedValue::new(
                    "between_group_coefficient_of_variation",
                    ge2.map(|g| (2.0 * g).sqrt()),
                ));
            }
            out.push(ReferenceComparison {
                attribute: attr.name.clone(),
                privileged: privileged.clone(),
                unprivileged,
                rows_privileged: p_rows,
                rows_unprivileged: rows,
                values,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::TensorBuilder;

    #[test]
    fn subsets_enumerate_every_grouping() {
        assert_eq!(
            subsets(3, 3),
            vec![
                vec![0],
                vec![1],
                vec![2],
                vec![0, 1],
                vec![0, 2],
                vec![1, 2],
                vec![0, 1, 2]
            ]
        );
        assert_eq!(subsets(3, 1), vec![vec![0], vec![1], vec![2]]);
    }

    /// Sex × race, 16 rows, computed by hand below.
    fn tensor() -> CountTensor {
        let rows: &[(&str, &str, bool, bool)] = &[
            ("f", "a", true, true),
            ("f", "a", true, false),
            ("f", "a", false, false),
            ("f", "b", true, true),
            ("f", "b", false, true),
            ("f", "b", false, false),
            ("m", "a", true, true),
            ("m", "a", true, true),
            ("m", "a", false, true),
            ("m", "a", false, false),
            ("m", "b", true, true),
            ("m", "b", false, true),
            ("m", "b", false, true),
            ("m", "b", true, false),
            ("m", "b", false, false),
            ("m", "b", false, false),
        ];
        let mut b = TensorBuilder::new(vec!["sex".into(), "race".into()], false, None).unwrap();
        for &(s, r, y, p) in rows {
            let c = [b.code(0, Some(s)).unwrap(), b.code(1, Some(r)).unwrap()];
            b.add(&c, y, p, None);
        }
        b.finish().unwrap()
    }

    fn value(g: &GroupingResult, key: &[&str], m: Metric) -> f64 {
        g.groups
            .iter()
            .find(|x| {
                x.key
                    .0
                    .iter()
                    .map(|l| l.as_str().unwrap())
                    .eq(key.iter().copied())
            })
            .unwrap()
            .metric(m)
            .unwrap()
            .value
            .get()
            .unwrap()
    }

    #[test]
    fn hand_computed_audit() {
        let opts = AuditOptions {
            reference: vec![("sex".into(), "m".into())],
            rules: vec![Rule::FourFifths],
            ..AuditOptions::default()
        };
        let r = audit(&tensor(), InputSummary::default(), &opts).unwrap();
        assert_eq!(r.groupings.len(), 3);
        let sex = r.grouping(&["sex"]).unwrap();
        // f: 6 rows, predicted positive 3 → SR 0.5; m: 10 rows, predicted positive 6 → 0.6
        assert_eq!(value(sex, &["f"], Metric::SelectionRate), 0.5);
        assert_eq!(value(sex, &["m"], Metric::SelectionRate), 0.6);
        // f: positives 3 (tp 2) → TPR 2/3; m: positives 4 (tp 3) → 0.75
        assert!((value(sex, &["f"], Metric::TruePositiveRate) - 2.0 / 3.0).abs() < 1e-15);
        // FPR f: negatives 3, fp 1 → 1/3; m: negatives 6, fp 3 → 1/2
        let sr = sex
            .disparities
            .iter()
            .find(|d| d.metric == Metric::SelectionRate)
            .unwrap();
        assert!((sr.between_groups.difference.value.get().unwrap() - 0.1).abs() < 1e-12);
        assert!((sr.between_groups.ratio.value.get().unwrap() - 0.5 / 0.6).abs() < 1e-12);
        // overall SR = 9/16; f is farthest
        assert!((sr.to_overall.difference.value.get().unwrap() - (0.5625 - 0.5)).abs() < 1e-12);
        let eo = r
            .criteria
            .iter()
            .find(|c| {
                c.name == "equalized_odds_difference"
                    && c.grouping.len() == 1
                    && c.grouping[0].0 == "sex"
                    && c.method == Method::BetweenGroups
                    && c.agg.as_deref() == Some("worst_case")
            })
            .unwrap();
        // TPR diff 0.75 − 2/3 = 1/12; FPR diff 1/2 − 1/3 = 1/6 → worst 1/6
        assert!((eo.value.get().unwrap() - 1.0 / 6.0).abs() < 1e-12);
        // AIF360 orientation, unprivileged f vs privileged m
        let di = r
            .reference_comparisons
            .iter()
            .find(|c| c.unprivileged.is_some())
            .unwrap();
        let get = |n: &str| {
            di.values
                .iter()
                .find(|v| v.name == n)
                .unwrap()
                .value
                .get()
                .unwrap()
        };
        assert!((get("disparate_impact") - 0.5 / 0.6).abs() < 1e-12);
        assert!((get("statistical_parity_difference") + 0.1).abs() < 1e-12);
        assert!(
            (get("average_odds_difference") - ((1.0 / 3.0 - 0.5) + (2.0 / 3.0 - 0.75)) / 2.0).abs()
                < 1e-12
        );
        // four-fifths on sex: 0.5/0.6 = 0.83 ≥ 0.8 → holds; on sex × race it does not:
        // f×a selects 1/3, m×a 3/4 → 0.44
        assert_eq!(r.rules[0].holds, Some(true));
        assert_eq!(r.rules[2].holds, Some(false));
        assert_eq!(r.rules.len(), 3);
        // intersections: 4 cells, none empty
        let x = r.grouping(&["sex", "race"]).unwrap();
        assert_eq!(x.groups.len(), 4);
        assert_eq!(x.empty_cells, 0); // the 5 empty cells all involve a missing level
        assert!(!r.criteria.is_empty());
    }

    #[test]
    fn unknown_reference_level_is_an_error() {
        let opts = AuditOptions {
            reference: vec![("sex".into(), "x".into())],
            ..AuditOptions::default()
        };
        let e = audit(&tensor(), InputSummary::default(), &opts).unwrap_err();
        assert!(e.to_string().contains("levels are: f, m"), "{e}");
        let opts = AuditOptions {
            reference: vec![("age".into(), "x".into())],
            ..AuditOptions::default()
        };
        assert!(matches!(
            audit(&tensor(), InputSummary::default(), &opts),
            Err(AuditError::UnknownAttribute(_))
        ));
    }

    #[test]
    fn all_missing_attribute_is_an_error() {
        let mut b = TensorBuilder::new(vec!["sex".into()], false, None).unwrap();
        let c = [b.code(0, None).unwrap()];
        b.add(&c, true, true, None);
        let t = b.finish().unwrap();
        assert!(matches!(
            audit(&t, InputSummary::default(), &AuditOptions::default()),
            Err(AuditError::AttributeAllMissing { .. })
        ));
    }

    #[test]
    fn result_round_trips_through_json() {
        let r = audit(&tensor(), InputSummary::default(), &AuditOptions::default()).unwrap();
        let s = serde_json::to_string(&r).unwrap();
        let back: AuditResult = serde_json::from_str(&s).unwrap();
        assert_eq!(back, r);
    }
}

/// Score-based metrics of one group (from the exact distinct-score table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreGroup {
    /// The group's levels (empty for all rows).
    pub key: GroupKey,
    /// Rows with label 0 and 1.
    pub rows: [u64; 2],
    /// ROC AUC (ties count ½, as `sklearn.metrics.roc_auc_score`), exact.
    pub auc: Value,
    /// Brier score (only when scores are probabilities in [0, 1]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brier: Option<Value>,
    /// Expected calibration error over 10 equal-width bins (only for probabilities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ece: Option<Value>,
    /// ABROCA: the area between this group's ROC curve and that of all other rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abroca_vs_rest: Option<Value>,
    /// The ROC curve (thinned to its corners), for marginal groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roc: Vec<crate::score::RocPoint>,
    /// The reliability curve over 10 equal-width bins, for marginal groups of probabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reliability: Vec<crate::score::ReliabilityBin>,
}

/// Score-based metrics of every group of one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreGrouping {
    /// The attributes crossed.
    pub attributes: Vec<AttributeName>,
    /// One per group of the grouping (in the grouping's order).
    pub groups: Vec<ScoreGroup>,
    /// Largest minus smallest AUC among named groups (`between_groups`).
    pub auc_difference: Value,
}

/// Score-based metrics of an audit with a score column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreMetrics {
    /// How they were computed.
    pub method: String,
    /// All rows.
    pub overall: ScoreGroup,
    /// Per grouping.
    pub groupings: Vec<ScoreGrouping>,
}

impl AuditResult {
    /// Adds AUC, Brier score, calibration error, ABROCA and ROC/reliability curves per group,
    /// from a table of distinct scores over attributes that include every audited attribute
    /// (extra discovery attributes are summed out). `probabilities`: whether the scores lie in
    /// [0, 1], so that Brier and calibration are meaningful.
    pub fn add_score_metrics(
        &mut self,
        table: &crate::score::CellTable<crate::score::ExactScores>,
        probabilities: bool,
    ) -> Result<(), crate::score::TableError> {
        use crate::score::{abroca, ScoreBins, ScoreDistribution};
        let bins = ScoreBins::equal_width(10).expect("10 equal-width bins are valid");
        let one = |key: GroupKey,
                   d: &ScoreDistribution,
                   rest: Option<&ScoreDistribution>,
                   curves: bool| ScoreGroup {
            key,
            rows: d.rows(),
            auc: d.auc().value,
            brier: probabilities
                .then(|| d.brier().unwrap_or(Value::Undefined(Undefined::EmptyGroup))),
            ece: probabilities.then(|| {
                d.expected_calibration_error(&bins)
                    .unwrap_or(Value::Undefined(Undefined::EmptyGroup))
            }),
            abroca_vs_rest: rest.map(|r| abroca(d, r)),
            roc: if curves {
                d.roc_thinned().unwrap_or_default()
            } else {
                Vec::new()
            },
            reliability: if curves && probabilities {
                d.reliability(&bins).unwrap_or_default()
            } else {
                Vec::new()
            },
        };
        let overall = one(
            GroupKey(Vec::new()),
            &table.total().distribution(),
            None,
            true,
        );
        let mut groupings = Vec::new();
        for g in &self.groupings {
            let keep: Vec<usize> = g
                .attributes
                .iter()
                .map(|a| {
                    table.attributes().iter().position(|x| x.name == *a).ok_or(
                        crate::score::TableError::Counts(CountsError::AttributeMismatch {
                            left: a.0.clone(),
                            right: "score table".into(),
                        }),
                    )
                })
                .collect::<Result<_, _>>()?;
            let t = table.marginalize(&keep)?;
            let curves = keep.len() == 1;
            let mut groups = Vec::new();
            for grp in &g.groups {
                let cell = t.cell_of(&grp.key)?;
                let d = t.get(cell).distribution();
                let rest = t.rest(cell).distribution();
                groups.push(one(grp.key.clone(), &d, Some(&rest), curves));
            }
            let named: Vec<Value> = groups
                .iter()
                .zip(&g.groups)
                .filter(|(_, x)| !x.has_missing)
                .map(|(s, _)| s.auc)
                .collect();
            groupings.push(ScoreGrouping {
                attributes: g.attributes.clone(),
                auc_difference: disparity::between_groups(&named).0.value,
                groups,
            });
        }
        self.scores = Some(ScoreMetrics {
            method: format!(
                "exact: every distinct score kept per group and label; AUC counts ties ½ (as scikit-learn){}",
                if probabilities {
                    "; Brier score and expected calibration error over 10 equal-width bins on [0, 1]"
                } else {
                    "; scores outside [0, 1] are not probabilities, so no Brier score or calibration"
                }
            ),
            overall,
            groupings,
        });
        Ok(())
    }
}
