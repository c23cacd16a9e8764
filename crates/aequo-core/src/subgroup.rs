//! Worst-subgroup discovery: which conjunction of attribute levels does a model treat worst?
//!
//! A *slice* is a conjunction `attr₁ = v₁ ∧ attr₂ = v₂ ∧ …` over the tensor's attributes — the
//! sensitive ones and any other categorical or binned column the scan put into the tensor. The
//! search walks the lattice of slices up to a depth (default 3) **on the count tensor**: for each
//! set of attributes it marginalises the tensor once, and every cell of that marginal is a slice;
//! the slice's *complement* is the total minus the slice. No row is read twice, so the cost is
//! independent of the row count (DESIGN.md, principle 1).
//!
//! This is the idea of FairVis (Cabrera et al., 2019, "FairVis: Visual Analytics for Discovering
//! Intersectional Bias in Machine Learning") and of SliceFinder (Chung et al., 2019, "Automated
//! Data Slicing for Model Validation", ICDE): compare each slice with its counterpart (its
//! complement), keep slices that are large enough and significant, rank them by effect size.
//! SliceFinder controls false discoveries with α-investing over its search order; here every
//! slice that is tested is corrected for together with Benjamini–Hochberg, so the correction
//! does not depend on the order of the walk and the report states how many slices it covered.
//!
//! For each tested slice the search reports:
//!
//! - support (rows) and the metric's value with a Wilson score interval
//!   ([`crate::interval::wilson`]);
//! - the complement's value, and the **effect** `value(slice) − value(complement)` with
//!   Newcombe's hybrid score interval for a difference of proportions (Newcombe 1998, "Interval
//!   estimation for the difference between independent proportions", Stat. Med. 17, method 10):
//!   `L = δ − √((p₁ − l₁)² + (u₂ − p₂)²)`, `U = δ + √((u₁ − p₁)² + (p₂ − l₂)²)`, where `(lᵢ, uᵢ)`
//!   are the Wilson intervals of the two proportions;
//! - a standardised effect, **Cohen's h** = `2 asin √p₁ − 2 asin √p₂` (Cohen 1988, §6.2): like the
//!   difference it does not grow with the sample, unlike z;
//! - the pooled two-proportion z statistic `z = (p₁ − p₂) / √(p̂ (1 − p̂) (1/n₁ + 1/n₂))` with
//!   `p̂ = (x₁ + x₂) / (n₁ + n₂)`, and a two-sided p-value: from the normal tail, or from
//!   **Fisher's exact test** (two-sided, summing the tables at most as probable as the observed
//!   one, as `scipy.stats.fisher_exact`) when the data are unweighted and an expected count of the
//!   2×2 table (slice/complement × counted/not counted by the metric's numerator) is below 5;
//! - `p_bh`, the Benjamini–Hochberg adjusted p-value across **all slices tested** (not only those
//!   shown). BH controls the false discovery rate under independence or positive regression
//!   dependence (Benjamini & Yekutieli 2001); nested slices are positively dependent, which is
//!   the usual justification for using it in slice search. For an attribute with two levels,
//!   `a = x` and `a = y` are the same comparison seen from both sides; both are tested and
//!   counted, which only makes the correction slightly conservative.
//!
//! **What is a proportion here.** The metric must be a proportion of rows
//! ([`Metric::is_proportion`]): its numerator and denominator are counts of rows (e.g. the false
//! positive rate counts false positives among actual negatives, so `n` in the test is the number
//! of actual negatives in the slice, not its rows). With sample weights the rates are weighted
//! and the tests and intervals use Kish's effective sample size `n_eff = (Σw)² / Σw²` over the
//! metric's denominator rows — an approximation, labelled as such in the report.
//!
//! **Pruning that keeps results exact.** Support is anti-monotone: a slice has at most as many
//! rows as any of its parents (the slices with one condition fewer). So a candidate is generated
//! only when every parent reached the minimum support (Apriori, Agrawal & Srikant 1994), and a
//! set of attributes is not marginalised at all when one of its subsets had no slice with enough
//! support. Every slice skipped this way has fewer rows than the minimum and would not have been
//! tested; the exhaustive walk ([`SubgroupOptions::prune`] = false) returns the same report
//! except for the count of slices skipped for support. Optionally (on by default) a slice with
//! exactly as many rows as one of its parents is skipped (its extra condition removes no row: it
//! is the same set of rows under a longer name) — such a slice is not tested, but still generates
//! children, so this choice changes nothing else.
//!
//! **Ranking.** The user says which direction is worse ([`Worse`]: lower selection rate, higher
//! false positive rate, …; each metric has a default). Among slices significant after BH
//! (`p_bh ≤ α`) whose effect points the worse way, slices are ranked by the size of the effect
//! ([`RankBy`]), then a redundancy filter ([`Redundancy`]) drops a slice that a parent already
//! explains, and the first `top_k` are reported.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::counts::{AttributeName, Confusion, CountTensor, Level};
use crate::hypothesis::{self, TestKind};
use crate::interval::{wilson, Interval};
use crate::metric::Metric;
use crate::value::Value;

/// Which direction of the effect disadvantages a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Worse {
    /// A lower value is worse (selection rate when prediction 1 is the favourable outcome, true
    /// positive rate, accuracy, precision, …).
    Lower,
    /// A higher value is worse (false positive rate, error rate; selection rate when prediction 1
    /// is the unfavourable outcome, e.g. "high risk").
    Higher,
    /// Any difference: slices are ranked by its absolute size.
    Either,
}

impl Worse {
    /// The default for a metric: `Higher` for the error rates (FPR, FNR, FDR, FOR, error rate),
    /// `Lower` for every other rate. For the selection rate this assumes that prediction 1 is the
    /// favourable outcome (a loan granted); pass `Higher` when it is not.
    pub fn default_for(metric: Metric) -> Worse {
        match metric {
            Metric::FalsePositiveRate
            | Metric::FalseNegativeRate
            | Metric::FalseDiscoveryRate
            | Metric::FalseOmissionRate
            | Metric::ErrorRate => Worse::Higher,
            _ => Worse::Lower,
        }
    }

    /// The identifier used in outputs and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Worse::Lower => "lower",
            Worse::Higher => "higher",
            Worse::Either => "either",
        }
    }

    /// Parses `lower`, `higher` or `either` (also `low`, `high`, `both`, `any`).
    pub fn from_id(s: &str) -> Option<Worse> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lower" | "low" => Some(Worse::Lower),
            "higher" | "high" => Some(Worse::Higher),
            "either" | "both" | "any" => Some(Worse::Either),
            _ => None,
        }
    }

    /// The effect turned so that positive means "worse for the slice": `−d` for `Lower`, `d` for
    /// `Higher`, `|d|` for `Either`.
    pub fn orient(self, difference: f64) -> f64 {
        match self {
            Worse::Lower => -difference,
            Worse::Higher => difference,
            Worse::Either => difference.abs(),
        }
    }
}

/// The smallest slice (in rows) that is tested.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinSupport {
    /// `max(30, ⌈1% of all rows⌉)`: 30 rows is the usual floor for a normal approximation to be
    /// worth reporting; 1% keeps the number of tests on large data sets proportionate.
    Auto,
    /// A number of rows (at least 1: a conjunction with no rows is not a subgroup).
    Rows(u64),
    /// A fraction of all rows, rounded up (at least 1 row).
    Fraction(f64),
}

impl MinSupport {
    /// The minimum in rows for a data set of `total` rows.
    pub fn resolve(self, total: u64) -> u64 {
        let pct = |f: f64| (f * total as f64).ceil() as u64;
        match self {
            MinSupport::Auto => pct(0.01).max(30),
            MinSupport::Rows(r) => r,
            MinSupport::Fraction(f) => pct(f),
        }
        .max(1)
    }
}

/// The rule that drops a slice its parent already explains.
///
/// Slice S is dropped when some parent P (S with one condition removed) is itself among the
/// significant, worse-direction slices, **and** S keeps nearly all of P's rows,
/// `rows(S) ≥ (1 − row_tolerance) · rows(P)`, **and** S is not materially worse,
/// `effect(S) ≤ effect(P) + effect_tolerance` (effects oriented so that larger is worse, in the
/// metric's units). Parents are compared before any slice is dropped, so the rule does not depend
/// on the order it is applied in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Redundancy {
    /// Share of the parent's rows the slice may lose and still count as "the same rows"
    /// (default 0.05).
    pub row_tolerance: f64,
    /// How much worse (metric units) the slice must be than the parent to be kept anyway
    /// (default 0.01, one percentage point).
    pub effect_tolerance: f64,
}

impl Default for Redundancy {
    fn default() -> Self {
        Redundancy {
            row_tolerance: 0.05,
            effect_tolerance: 0.01,
        }
    }
}

/// How significant slices are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    /// The effect (difference slice − complement), oriented by [`Worse`].
    Effect,
    /// The bound of the effect's interval nearest to no effect, oriented by [`Worse`]: the
    /// effect the data are confident of. Favours large slices over small noisy ones.
    ConservativeEffect,
}

impl RankBy {
    /// The identifier used in outputs and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            RankBy::Effect => "effect",
            RankBy::ConservativeEffect => "conservative_effect",
        }
    }

    /// Parses an identifier.
    pub fn from_id(s: &str) -> Option<RankBy> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "effect" => Some(RankBy::Effect),
            "conservative_effect" | "conservative" | "bound" => Some(RankBy::ConservativeEffect),
            _ => None,
        }
    }
}

/// What the search looks for and how.
#[derive(Debug, Clone, PartialEq)]
pub struct SubgroupOptions {
    /// The metric compared between slice and complement; must be a proportion of rows
    /// ([`Metric::is_proportion`]). Default: selection rate.
    pub metric: Metric,
    /// Which direction is worse; `None` = [`Worse::default_for`] the metric.
    pub worse: Option<Worse>,
    /// Largest number of conditions in a slice (default 3; clamped to the number of attributes).
    pub max_depth: usize,
    /// Smallest slice tested (default [`MinSupport::Auto`]).
    pub min_support: MinSupport,
    /// Number of slices reported (default 10).
    pub top_k: usize,
    /// False discovery rate at which a slice counts as significant after Benjamini–Hochberg
    /// (default 0.05).
    pub alpha: f64,
    /// Two-sided confidence level of the intervals (default 0.95).
    pub confidence: f64,
    /// Whether a slice may contain an attribute's missing level (default false).
    pub include_missing: bool,
    /// Names of the sensitive attributes among the tensor's attributes (marked in the output).
    pub sensitive: Vec<String>,
    /// Test only slices with at least one sensitive attribute (default false). Other slices are
    /// still walked, since their children may contain one.
    pub require_sensitive: bool,
    /// Skip a slice with exactly as many rows as one of its parents (default true).
    pub skip_no_row_reduction: bool,
    /// The redundancy filter; `None` turns it off.
    pub redundancy: Option<Redundancy>,
    /// How significant slices are ranked (default [`RankBy::Effect`]).
    pub rank_by: RankBy,
    /// Support-based pruning (default true). `false` walks every slice exhaustively: the report
    /// is the same except for the count of slices skipped for support (for verification).
    pub prune: bool,
}

impl Default for SubgroupOptions {
    fn default() -> Self {
        SubgroupOptions {
            metric: Metric::SelectionRate,
            worse: None,
            max_depth: 3,
            min_support: MinSupport::Auto,
            top_k: 10,
            alpha: 0.05,
            confidence: 0.95,
            include_missing: false,
            sensitive: Vec::new(),
            require_sensitive: false,
            skip_no_row_reduction: true,
            redundancy: Some(Redundancy::default()),
            rank_by: RankBy::Effect,
            prune: true,
        }
    }
}

/// Why a search cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubgroupError {
    /// The metric is not a proportion of rows.
    #[error("subgroup discovery compares proportions of rows; '{0}' is not one (use e.g. selection_rate, fpr, error_rate)")]
    UnsupportedMetric(Metric),
    /// A bad confidence level.
    #[error("confidence level {0} must be between 0 and 1 (e.g. 0.95)")]
    BadConfidence(f64),
    /// A bad false discovery rate.
    #[error("false discovery rate {0} must be above 0 and at most 1 (e.g. 0.05)")]
    BadAlpha(f64),
    /// A bad minimum support fraction.
    #[error("minimum support fraction {0} must be between 0 and 1 (e.g. 0.01)")]
    BadSupport(f64),
    /// A bad redundancy tolerance.
    #[error("redundancy tolerances must be finite and non-negative, row tolerance below 1")]
    BadRedundancy,
    /// Depth zero.
    #[error("the maximum depth must be at least 1")]
    ZeroDepth,
    /// A sensitive attribute that is not in the tensor.
    #[error("sensitive attribute '{name}' is not among the tensor's attributes ({available})")]
    UnknownAttribute {
        /// The name given.
        name: String,
        /// The tensor's attributes.
        available: String,
    },
}

/// One condition of a slice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Condition {
    /// The attribute.
    pub attribute: AttributeName,
    /// Its level (`null` = missing).
    pub level: Level,
    /// Whether the attribute is one of the sensitive attributes.
    pub sensitive: bool,
}

/// How a slice's p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestMethod {
    /// Pooled two-proportion z test, two-sided normal tail.
    TwoProportionZ,
    /// Fisher's exact test, two-sided (unweighted data, an expected count below 5).
    FisherExact,
}

/// A tested slice and its comparison with its complement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    /// The conjunction, in the tensor's attribute order.
    pub conditions: Vec<Condition>,
    /// Rows in the slice (its support).
    pub rows: u64,
    /// Summed weight of the slice, when weighted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// The metric's numerator in the slice (e.g. false positives; weighted when weighted).
    pub numerator: f64,
    /// The metric's denominator in the slice (e.g. actual negatives; weighted when weighted).
    pub denominator: f64,
    /// The metric on the slice.
    pub value: f64,
    /// Wilson interval of `value`.
    pub ci: Interval,
    /// Rows outside the slice.
    pub complement_rows: u64,
    /// The metric on the complement.
    pub complement_value: f64,
    /// Wilson interval of `complement_value`.
    pub complement_ci: Interval,
    /// `value − complement_value`.
    pub effect: f64,
    /// Newcombe's hybrid score interval of `effect`.
    pub effect_ci: Interval,
    /// Cohen's h, `2 asin √value − 2 asin √complement_value`.
    pub cohen_h: f64,
    /// The pooled two-proportion z statistic.
    pub z: f64,
    /// How `p` was computed.
    pub test: TestMethod,
    /// Two-sided p-value of slice vs complement.
    pub p: f64,
    /// Benjamini–Hochberg adjusted p-value across all slices tested.
    pub p_bh: f64,
}

impl Slice {
    /// The conjunction as text: `race = Black ∧ sex = F`.
    pub fn describe(&self) -> String {
        self.conditions
            .iter()
            .map(|c| format!("{} = {}", c.attribute, c.level))
            .collect::<Vec<_>>()
            .join(" ∧ ")
    }
}

/// Why a slice was not tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Fewer rows than the minimum support. With pruning this counts only the candidates that
    /// were generated (all parents large enough); their children were not generated.
    BelowSupport,
    /// The slice holds every row, so there is no complement to compare with.
    CoversAllRows,
    /// As many rows as a parent: the extra condition removes no row.
    NoRowReduction,
    /// No sensitive attribute in the slice, and one was required.
    NoSensitiveAttribute,
    /// The metric is undefined in the slice (zero denominator, e.g. no actual negatives for FPR).
    MetricUndefinedInSlice,
    /// The metric is undefined in the complement.
    MetricUndefinedInComplement,
}

impl SkipReason {
    /// Every reason, in report order.
    pub const ALL: [SkipReason; 6] = [
        SkipReason::BelowSupport,
        SkipReason::CoversAllRows,
        SkipReason::NoRowReduction,
        SkipReason::NoSensitiveAttribute,
        SkipReason::MetricUndefinedInSlice,
        SkipReason::MetricUndefinedInComplement,
    ];
}

/// How many slices were skipped for one reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipCount {
    /// Why.
    pub reason: SkipReason,
    /// How many slices.
    pub slices: u64,
}

/// The settings a report was computed with, resolved (defaults filled in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupSettings {
    /// The metric.
    pub metric: Metric,
    /// Which direction is worse.
    pub worse: Worse,
    /// Largest number of conditions.
    pub max_depth: usize,
    /// Smallest slice tested, in rows.
    pub min_support_rows: u64,
    /// How that minimum was chosen.
    pub min_support: MinSupport,
    /// Slices reported at most.
    pub top_k: usize,
    /// False discovery rate.
    pub alpha: f64,
    /// Confidence level of intervals.
    pub confidence: f64,
    /// Whether missing levels may appear in a slice.
    pub include_missing: bool,
    /// The attributes searched over, in tensor order.
    pub attributes: Vec<AttributeName>,
    /// Which of them are sensitive.
    pub sensitive: Vec<AttributeName>,
    /// Whether a slice must contain a sensitive attribute.
    pub require_sensitive: bool,
    /// Whether slices with as many rows as a parent are skipped.
    pub skip_no_row_reduction: bool,
    /// The redundancy filter, if on.
    pub redundancy: Option<Redundancy>,
    /// The ranking.
    pub rank_by: RankBy,
    /// Whether rates are weighted.
    pub weighted: bool,
    /// The test, in words.
    pub test: String,
    /// The multiple-testing correction, in words.
    pub correction: String,
    /// The interval of a slice's value, in words.
    pub value_interval: String,
    /// The interval of the effect, in words.
    pub effect_interval: String,
}

/// The result of a worst-subgroup search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupReport {
    /// The settings, resolved.
    pub settings: SubgroupSettings,
    /// All rows.
    pub total_rows: u64,
    /// The metric on all rows.
    pub overall: Value,
    /// Slices tested: the family Benjamini–Hochberg corrected over.
    pub slices_tested: u64,
    /// Slices not tested, by reason (every reason listed, zero counts included).
    pub skipped: Vec<SkipCount>,
    /// Tested slices with `p_bh ≤ alpha`, either direction.
    pub significant: u64,
    /// Of those, the ones whose effect points the worse way.
    pub significant_worse: u64,
    /// Of those, the ones dropped by the redundancy filter.
    pub redundant: u64,
    /// The top slices, worst first.
    pub slices: Vec<Slice>,
    /// How to read the numbers.
    pub notes: Vec<String>,
}

impl SubgroupReport {
    /// The count of slices skipped for a reason.
    pub fn skipped_for(&self, reason: SkipReason) -> u64 {
        self.skipped
            .iter()
            .find(|s| s.reason == reason)
            .map_or(0, |s| s.slices)
    }
}

// ---------------------------------------------------------------------------------------------
// The search.

/// What a slice's statistics need from its rows: rows, the metric's numerator and denominator
/// (unweighted, as row counts; and as used for the rate, weighted when weighted), the summed
/// squared weights of the denominator rows (for Kish's effective n) and the summed weight.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Acc {
    rows: u64,
    num_rows: u64,
    den_rows: u64,
    num: f64,
    den: f64,
    den_sq: f64,
    weight: f64,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        self.rows += o.rows;
        self.num_rows += o.num_rows;
        self.den_rows += o.den_rows;
        self.num += o.num;
        self.den += o.den;
        self.den_sq += o.den_sq;
        self.weight += o.weight;
    }

    /// `self − o`, for the complement; float sums are clamped at zero against rounding.
    fn minus(&self, o: &Acc) -> Acc {
        Acc {
            rows: self.rows - o.rows,
            num_rows: self.num_rows - o.num_rows,
            den_rows: self.den_rows - o.den_rows,
            num: (self.num - o.num).max(0.0),
            den: (self.den - o.den).max(0.0),
            den_sq: (self.den_sq - o.den_sq).max(0.0),
            weight: (self.weight - o.weight).max(0.0),
        }
    }
}

/// The non-empty cells of the tensor, each reduced to what the statistics need, with level
/// codes stored per attribute. Marginalising this list is the same sum as
/// [`CountTensor::marginalize`] but skips empty cells, copies no score histogram and adds only
/// three integers per cell (seven numbers when weighted) — the search marginalises once per
/// attribute set, so this is its hot loop.
struct Cells {
    codes: Vec<Vec<u32>>,
    /// `[rows, numerator rows, denominator rows]` per cell.
    counts: Vec<[u64; 3]>,
    /// `[numerator, denominator, denominator squares, weight]` per cell, when weighted.
    weights: Option<Vec<[f64; 4]>>,
    total: Acc,
}

fn fraction(metric: Metric, c: &Confusion) -> (f64, f64) {
    metric
        .fraction(c)
        .expect("discover checks that the metric is a proportion, hence a fraction")
}

fn cells_of(tensor: &CountTensor, metric: Metric) -> Cells {
    let dims: Vec<usize> = tensor.attributes().iter().map(|a| a.levels.len()).collect();
    let k = dims.len();
    // The tensor's dense layout: row-major, the last attribute fastest.
    let mut strides = vec![1; k];
    for i in (0..k.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * dims[i + 1];
    }
    let mut codes = vec![Vec::new(); k];
    let mut counts = Vec::new();
    let mut weights = tensor.is_weighted().then(Vec::new);
    let mut total = Acc::default();
    for cell in tensor.cells() {
        let rows = tensor.rows(cell);
        if rows == 0 {
            continue;
        }
        let (num_rows, den_rows) = fraction(metric, &tensor.confusion_unweighted(cell));
        let mut a = Acc {
            rows,
            num_rows: num_rows as u64,
            den_rows: den_rows as u64,
            num: num_rows,
            den: den_rows,
            den_sq: den_rows,
            weight: rows as f64,
        };
        if let (Some(ws), Some(w), Some(w2)) = (
            &mut weights,
            tensor.confusion_weighted(cell),
            tensor.weight_squares(cell),
        ) {
            (a.num, a.den) = fraction(metric, &w);
            a.den_sq = fraction(metric, &w2).1;
            a.weight = w.total();
            ws.push([a.num, a.den, a.den_sq, a.weight]);
        }
        for i in 0..k {
            codes[i].push(((cell.0 / strides[i]) % dims[i]) as u32);
        }
        counts.push([a.rows, a.num_rows, a.den_rows]);
        total.add(&a);
    }
    Cells {
        codes,
        counts,
        weights,
        total,
    }
}

/// The marginal of one attribute set: dense over the product of its attributes' levels.
struct Marginal {
    strides: Vec<usize>,
    acc: Vec<Acc>,
    /// Whether each cell reached the minimum support (and may have children).
    frequent: Vec<bool>,
}

impl Marginal {
    fn new(cells: &Cells, attrs: &[usize], dims: &[usize]) -> Marginal {
        let mut strides = vec![1; attrs.len()];
        for i in (0..attrs.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * dims[attrs[i + 1]];
        }
        let size: usize = attrs.iter().map(|&a| dims[a]).product();
        let cols: Vec<&[u32]> = attrs.iter().map(|&a| cells.codes[a].as_slice()).collect();
        // The marginal cell of every tensor cell; the common depths are spelled out so that the
        // loop has no inner loop.
        let n = cells.counts.len();
        let index: Vec<usize> = match (cols.as_slice(), strides.as_slice()) {
            ([], _) => vec![0; n],
            ([a], _) => a.iter().map(|&x| x as usize).collect(),
            ([a, b], [sa, _]) => (0..n).map(|j| a[j] as usize * sa + b[j] as usize).collect(),
            ([a, b, c], [sa, sb, _]) => (0..n)
                .map(|j| a[j] as usize * sa + b[j] as usize * sb + c[j] as usize)
                .collect(),
            _ => (0..n)
                .map(|j| {
                    cols.iter()
                        .zip(&strides)
                        .map(|(c, s)| c[j] as usize * s)
                        .sum()
                })
                .collect(),
        };
        let mut counts = vec![[0u64; 3]; size];
        for (&i, c) in index.iter().zip(&cells.counts) {
            for (t, x) in counts[i].iter_mut().zip(c) {
                *t += x;
            }
        }
        let mut acc: Vec<Acc> = counts
            .iter()
            .map(|&[rows, num_rows, den_rows]| Acc {
                rows,
                num_rows,
                den_rows,
                num: num_rows as f64,
                den: den_rows as f64,
                den_sq: den_rows as f64,
                weight: rows as f64,
            })
            .collect();
        if let Some(ws) = &cells.weights {
            for a in &mut acc {
                (a.num, a.den, a.den_sq, a.weight) = (0.0, 0.0, 0.0, 0.0);
            }
            for (&i, w) in index.iter().zip(ws) {
                let a = &mut acc[i];
                a.num += w[0];
                a.den += w[1];
                a.den_sq += w[2];
                a.weight += w[3];
            }
        }
        Marginal {
            strides,
            frequent: vec![false; size],
            acc,
        }
    }
}

/// A tested slice before ranking.
struct Tested {
    /// (attribute position, level position), in attribute order.
    conditions: Vec<(usize, usize)>,
    slice: Slice,
}

/// Every subset of `0..k` of size `d`, lexicographically.
fn combinations(k: usize, d: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if d > k {
        return out;
    }
    let mut idx: Vec<usize> = (0..d).collect();
    loop {
        out.push(idx.clone());
        let mut i = d;
        while i > 0 && idx[i - 1] == k - d + i - 1 {
            i -= 1;
        }
        if i == 0 {
            return out;
        }
        idx[i - 1] += 1;
        for j in i..d {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

struct Search<'a> {
    tensor: &'a CountTensor,
    options: &'a SubgroupOptions,
    worse: Worse,
    min_rows: u64,
    sensitive: Vec<bool>,
    skipped: HashMap<SkipReason, u64>,
    tested: Vec<Tested>,
}

impl Search<'_> {
    fn skip(&mut self, reason: SkipReason) {
        *self.skipped.entry(reason).or_insert(0) += 1;
    }

    fn walk(&mut self, cells: &Cells) {
        let attrs = self.tensor.attributes();
        let k = attrs.len();
        let dims: Vec<usize> = attrs.iter().map(|a| a.levels.len()).collect();
        let depth = self.options.max_depth.min(k);
        let mut root = Marginal::new(cells, &[], &dims);
        root.frequent[0] = true;
        let mut previous: HashMap<Vec<usize>, Marginal> = HashMap::from([(Vec::new(), root)]);
        for d in 1..=depth {
            let mut current = HashMap::new();
            for set in combinations(k, d) {
                let parent_sets: Vec<Vec<usize>> = (0..d)
                    .map(|j| [&set[..j], &set[j + 1..]].concat())
                    .collect();
                // With pruning, a set whose subsets had no large-enough slice is never
                // marginalised: every one of its slices has a parent below support.
                let Some(parents) = parent_sets
                    .iter()
                    .map(|p| previous.get(p))
                    .collect::<Option<Vec<&Marginal>>>()
                else {
                    continue;
                };
                let mut m = Marginal::new(cells, &set, &dims);
                self.visit(&set, &dims, &parents, cells, &mut m);
                if !self.options.prune || m.frequent.iter().any(|&f| f) {
                    current.insert(set, m);
                }
            }
            previous = current;
        }
    }

    /// Decides and tests every slice of one attribute set.
    fn visit(
        &mut self,
        set: &[usize],
        dims: &[usize],
        parents: &[&Marginal],
        cells: &Cells,
        m: &mut Marginal,
    ) {
        let d = set.len();
        let mut codes = vec![0usize; d];
        for idx in 0..m.acc.len() {
            let a = m.acc[idx];
            if a.rows == 0 {
                continue;
            }
            for i in 0..d {
                codes[i] = (idx / m.strides[i]) % dims[set[i]];
            }
            if !self.options.include_missing
                && codes.iter().zip(set).any(|(&c, &s)| c == dims[s] - 1)
            {
                continue; // not a slice under these options
            }
            // The parents' cells: drop condition j.
            let parent_cells: Vec<usize> = (0..d)
                .map(|j| {
                    let mut p = 0;
                    let mut pi = 0;
                    for i in 0..d {
                        if i != j {
                            p += codes[i] * parents[j].strides[pi];
                            pi += 1;
                        }
                    }
                    p
                })
                .collect();
            if self.options.prune
                && parent_cells
                    .iter()
                    .zip(parents)
                    .any(|(&p, m)| !m.frequent[p])
            {
                continue; // below support, since a parent is
            }
            if a.rows < self.min_rows {
                self.skip(SkipReason::BelowSupport);
                continue;
            }
            m.frequent[idx] = true;
            if a.rows == cells.total.rows {
                self.skip(SkipReason::CoversAllRows);
                continue;
            }
            if self.options.skip_no_row_reduction
                && parent_cells
                    .iter()
                    .zip(parents)
                    .any(|(&p, m)| m.acc[p].rows == a.rows)
            {
                self.skip(SkipReason::NoRowReduction);
                continue;
            }
            if self.options.require_sensitive && !set.iter().any(|&s| self.sensitive[s]) {
                self.skip(SkipReason::NoSensitiveAttribute);
                continue;
            }
            let conditions: Vec<(usize, usize)> =
                set.iter().copied().zip(codes.iter().copied()).collect();
            match self.compare(&a, &cells.total.minus(&a), &conditions) {
                Ok(slice) => self.tested.push(Tested { conditions, slice }),
                Err(reason) => self.skip(reason),
            }
        }
    }

    /// Slice against complement.
    fn compare(
        &self,
        s: &Acc,
        c: &Acc,
        conditions: &[(usize, usize)],
    ) -> Result<Slice, SkipReason> {
        let weighted = self.tensor.is_weighted();
        // A zero weighted denominator that rounding left slightly above zero is zero.
        let tiny = 1e-12 * cells_scale(s, c);
        let defined = |a: &Acc| a.den_rows > 0 && a.den > tiny;
        if !defined(s) {
            return Err(SkipReason::MetricUndefinedInSlice);
        }
        if !defined(c) {
            return Err(SkipReason::MetricUndefinedInComplement);
        }
        let (p1, p2) = (s.num / s.den, c.num / c.den);
        // Effective sample sizes: the denominators themselves when unweighted, Kish's n_eff
        // when weighted.
        let n_eff = |a: &Acc| {
            if weighted {
                a.den * a.den / a.den_sq
            } else {
                a.den
            }
        };
        let (n1, n2) = (n_eff(s), n_eff(c));
        let (x1, x2) = (p1 * n1, p2 * n2);
        let level = self.options.confidence;
        let (Some(ci), Some(complement_ci)) = (wilson(x1, n1, level), wilson(x2, n2, level)) else {
            return Err(SkipReason::MetricUndefinedInSlice);
        };
        // Wilson's bounds at p = 0 or 1 can round to just inside the estimate; widen to it.
        let hold = |i: Interval, p: f64| Interval {
            lower: i.lower.min(p),
            upper: i.upper.max(p),
        };
        let (ci, complement_ci) = (hold(ci, p1), hold(complement_ci, p2));
        let effect = p1 - p2;
        let effect_ci = newcombe(p1, ci, p2, complement_ci);
        let z = hypothesis::two_proportion_z(x1, n1, x2, n2)
            .and_then(|t| t.statistic)
            .unwrap_or(0.0);
        // Weighted counts have no exact law: the z test on them. Unweighted: Fisher's exact test
        // when an expected count is below 5, the z test otherwise (`hypothesis`).
        let result = if weighted {
            hypothesis::two_proportion_z(x1, n1, x2, n2)
        } else {
            hypothesis::compare_proportions(s.num_rows, s.den_rows, c.num_rows, c.den_rows)
        };
        let Some(result) = result else {
            return Err(SkipReason::MetricUndefinedInSlice);
        };
        let (test, p) = match result.kind {
            TestKind::FisherExact => (TestMethod::FisherExact, result.p_value),
            _ => (TestMethod::TwoProportionZ, result.p_value),
        };
        let attrs = self.tensor.attributes();
        Ok(Slice {
            conditions: conditions
                .iter()
                .map(|&(a, l)| Condition {
                    attribute: attrs[a].name.clone(),
                    level: attrs[a].levels[l].clone(),
                    sensitive: self.sensitive[a],
                })
                .collect(),
            rows: s.rows,
            weight: weighted.then_some(s.weight),
            numerator: s.num,
            denominator: s.den,
            value: p1,
            ci,
            complement_rows: c.rows,
            complement_value: p2,
            complement_ci,
            effect,
            effect_ci,
            cohen_h: 2.0 * p1.sqrt().asin() - 2.0 * p2.sqrt().asin(),
            z,
            test,
            p,
            p_bh: p,
        })
    }

    /// The ranking score: larger is worse.
    fn score(&self, s: &Slice) -> f64 {
        match self.options.rank_by {
            RankBy::Effect => self.worse.orient(s.effect),
            RankBy::ConservativeEffect => {
                let (lo, hi) = (s.effect_ci.lower, s.effect_ci.upper);
                match self.worse {
                    Worse::Lower => -hi,
                    Worse::Higher => lo,
                    Worse::Either => (-hi).max(lo),
                }
            }
        }
    }
}

fn cells_scale(s: &Acc, c: &Acc) -> f64 {
    (s.den + c.den).max(1.0)
}

/// Searches the tensor's slices for those where `options.metric` is worst compared with the
/// rest of the data (see the module documentation for every formula).
///
/// An empty tensor, or one where no slice reaches the minimum support, gives a report with no
/// slices, not an error.
pub fn discover(
    tensor: &CountTensor,
    options: &SubgroupOptions,
) -> Result<SubgroupReport, SubgroupError> {
    let metric = options.metric;
    if !metric.is_proportion() {
        return Err(SubgroupError::UnsupportedMetric(metric));
    }
    if !(options.confidence > 0.0 && options.confidence < 1.0) {
        return Err(SubgroupError::BadConfidence(options.confidence));
    }
    if !(options.alpha > 0.0 && options.alpha <= 1.0) {
        return Err(SubgroupError::BadAlpha(options.alpha));
    }
    if let MinSupport::Fraction(f) = options.min_support {
        if !(f > 0.0 && f <= 1.0) {
            return Err(SubgroupError::BadSupport(f));
        }
    }
    if let Some(r) = options.redundancy {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if !(ok(r.row_tolerance) && r.row_tolerance < 1.0 && ok(r.effect_tolerance)) {
            return Err(SubgroupError::BadRedundancy);
        }
    }
    if options.max_depth == 0 {
        return Err(SubgroupError::ZeroDepth);
    }
    let attrs = tensor.attributes();
    let mut sensitive = vec![false; attrs.len()];
    for name in &options.sensitive {
        let i = attrs
            .iter()
            .position(|a| a.name.0 == *name)
            .ok_or_else(|| SubgroupError::UnknownAttribute {
                name: name.clone(),
                available: attrs
                    .iter()
                    .map(|a| a.name.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        sensitive[i] = true;
    }

    let cells = cells_of(tensor, metric);
    let worse = options.worse.unwrap_or_else(|| Worse::default_for(metric));
    let total_rows = cells.total.rows;
    let mut search = Search {
        tensor,
        options,
        worse,
        min_rows: options.min_support.resolve(total_rows),
        sensitive,
        skipped: HashMap::new(),
        tested: Vec::new(),
    };
    search.walk(&cells);

    // Benjamini–Hochberg over every tested slice.
    let p: Vec<f64> = search.tested.iter().map(|t| t.slice.p).collect();
    for (t, q) in search
        .tested
        .iter_mut()
        .zip(hypothesis::benjamini_hochberg(&p))
    {
        t.slice.p_bh = q;
    }
    let significant: Vec<&Tested> = search
        .tested
        .iter()
        .filter(|t| t.slice.p_bh <= options.alpha)
        .collect();
    let mut candidates: Vec<(&Tested, f64)> = significant
        .iter()
        .filter(|t| worse.orient(t.slice.effect) > 0.0)
        .map(|&t| (t, search.score(&t.slice)))
        .collect();
    // Worst first; ties by p, then shorter conjunctions, then attribute and level order, so the
    // output is deterministic.
    candidates.sort_by(|(a, sa), (b, sb)| {
        sb.total_cmp(sa)
            .then(a.slice.p.total_cmp(&b.slice.p))
            .then(a.conditions.len().cmp(&b.conditions.len()))
            .then(a.conditions.cmp(&b.conditions))
    });
    let significant_worse = candidates.len() as u64;
    let kept: Vec<&Tested> = match options.redundancy {
        None => candidates.iter().map(|(t, _)| *t).collect(),
        Some(rule) => {
            let by_conditions: HashMap<&[(usize, usize)], &Tested> = candidates
                .iter()
                .map(|(t, _)| (t.conditions.as_slice(), *t))
                .collect();
            candidates
                .iter()
                .map(|(t, _)| *t)
                .filter(|t| !redundant(t, &by_conditions, rule, worse))
                .collect()
        }
    };
    let redundant_count = significant_worse - kept.len() as u64;
    let slices: Vec<Slice> = kept
        .into_iter()
        .take(options.top_k)
        .map(|t| t.slice.clone())
        .collect();

    let overall = Value::ratio(cells.total.num, cells.total.den);
    let slices_tested = search.tested.len() as u64;
    let weighted = tensor.is_weighted();
    let n_word = if weighted {
        "Kish's effective n of the metric's denominator rows (weighted: an approximation)"
    } else {
        "the metric's denominator rows"
    };
    let settings = SubgroupSettings {
        metric,
        worse,
        max_depth: options.max_depth.min(attrs.len()),
        min_support_rows: search.min_rows,
        min_support: options.min_support,
        top_k: options.top_k,
        alpha: options.alpha,
        confidence: options.confidence,
        include_missing: options.include_missing,
        attributes: attrs.iter().map(|a| a.name.clone()).collect(),
        sensitive: attrs
            .iter()
            .zip(&search.sensitive)
            .filter(|(_, &s)| s)
            .map(|(a, _)| a.name.clone())
            .collect(),
        require_sensitive: options.require_sensitive,
        skip_no_row_reduction: options.skip_no_row_reduction,
        redundancy: options.redundancy,
        rank_by: options.rank_by,
        weighted,
        test: if weighted {
            format!("pooled two-proportion z test, two-sided, with n = {n_word}")
        } else {
            format!(
                "pooled two-proportion z test, two-sided, with n = {n_word}; Fisher's exact test \
                 (two-sided) when an expected count is below 5"
            )
        },
        correction: format!(
            "Benjamini–Hochberg across all {slices_tested} slices tested, at false discovery \
             rate {}",
            options.alpha
        ),
        value_interval: format!("Wilson score interval, n = {n_word}"),
        effect_interval: "Newcombe's hybrid score interval (method 10) from the two Wilson \
                          intervals"
            .into(),
    };
    let notes = vec![
        format!(
            "effect = {m}(slice) − {m}(rest of the data); worse = {w} {m}",
            m = metric.id(),
            w = worse.id()
        ),
        format!(
            "p_bh is adjusted across all {slices_tested} slices tested (not only those shown); a \
             slice is reported when p_bh ≤ {} and its effect points the worse way",
            options.alpha
        ),
        format!(
            "slices have at least {} rows and at most {} conditions{}",
            search.min_rows,
            settings.max_depth,
            if options.include_missing {
                ""
            } else {
                "; missing levels are not used in slices"
            }
        ),
    ];
    let skipped = SkipReason::ALL
        .iter()
        .map(|&reason| SkipCount {
            reason,
            slices: search.skipped.get(&reason).copied().unwrap_or(0),
        })
        .collect();
    Ok(SubgroupReport {
        settings,
        total_rows,
        overall,
        slices_tested,
        skipped,
        significant: significant.len() as u64,
        significant_worse,
        redundant: redundant_count,
        slices,
        notes,
    })
}

/// The redundancy rule of [`Redundancy`]: some candidate parent with nearly the same rows and
/// at least as bad an effect, up to the tolerance.
fn redundant(
    t: &Tested,
    candidates: &HashMap<&[(usize, usize)], &Tested>,
    rule: Redundancy,
    worse: Worse,
) -> bool {
    let d = t.conditions.len();
    (0..d).any(|j| {
        let parent = [&t.conditions[..j], &t.conditions[j + 1..]].concat();
        candidates.get(parent.as_slice()).is_some_and(|p| {
            t.slice.rows as f64 >= (1.0 - rule.row_tolerance) * p.slice.rows as f64
                && worse.orient(t.slice.effect)
                    <= worse.orient(p.slice.effect) + rule.effect_tolerance
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Statistics: the tests and adjustments are `hypothesis`'s; Newcombe's interval is here.

/// Newcombe's hybrid score interval for `p1 − p2` from the Wilson intervals of each.
fn newcombe(p1: f64, ci1: Interval, p2: f64, ci2: Interval) -> Interval {
    let d = p1 - p2;
    Interval {
        lower: d - ((p1 - ci1.lower).powi(2) + (ci2.upper - p2).powi(2)).sqrt(),
        upper: d + ((ci1.upper - p1).powi(2) + (p2 - ci2.lower).powi(2)).sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn newcombe_matches_the_paper() {
        // Newcombe (1998), Table II, example (a): 56/70 − 48/80, method 10: 0.0524 to 0.3339.
        let (p1, p2) = (56.0 / 70.0, 48.0 / 80.0);
        let ci = newcombe(
            p1,
            wilson(56.0, 70.0, 0.95).unwrap(),
            p2,
            wilson(48.0, 80.0, 0.95).unwrap(),
        );
        close(ci.lower, 0.0524, 1e-4);
        close(ci.upper, 0.3339, 1e-4);
    }

    #[test]
    fn combinations_in_order() {
        assert_eq!(
            combinations(4, 2),
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
        assert_eq!(combinations(2, 3), Vec::<Vec<usize>>::new());
        assert_eq!(combinations(3, 0), vec![Vec::<usize>::new()]);
    }
}
