//! One streamed pass over a file into a count tensor.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use aequo_core::audit::{Dropped, InputSummary};
use aequo_core::counts::TensorBuilder;
use aequo_core::multiclass::{ClassConfusion, ClassIndex, Classes};
use aequo_core::regression::RegressionStats;
use aequo_core::score::{CellBuilder, CellTable, ExactScores, ScoreBins};
use aequo_core::CountTensor;
use arrow_array::{Array, RecordBatch};

use crate::error::DataError;
use crate::format::Format;
use crate::parallel;
use crate::read;
use crate::values::{as_text, is_missing_text, numeric, At, Binary, Keys, TextColumn};

/// Where the prediction comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Prediction {
    /// A column of predicted labels.
    Column(String),
    /// A score column, predicted positive when `score >= threshold`.
    Score {
        /// The score column.
        column: String,
        /// The decision threshold.
        threshold: f64,
    },
}

/// What to do with a row whose label, prediction, score or weight is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnMissing {
    /// Stop with an error naming the row.
    #[default]
    Error,
    /// Skip the row, and count it in the summary.
    Drop,
}

/// What to read from the input.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    /// The label column.
    pub label: String,
    /// The prediction.
    pub prediction: Prediction,
    /// Sensitive attribute columns.
    pub sensitive: Vec<String>,
    /// Optional sample-weight column.
    pub weight: Option<String>,
    /// The label's positive class, when not 0/1 or boolean.
    pub pos_label: Option<String>,
    /// The prediction's positive class (defaults to `pos_label`).
    pub pred_pos_label: Option<String>,
    /// Missing label/prediction/score/weight handling.
    pub on_missing: OnMissing,
    /// Extra text values that mean "missing" (besides null and the empty string).
    pub na_values: Vec<String>,
    /// The format, when not told by the extension.
    pub format: Option<Format>,
    /// Rows per record batch.
    pub batch_size: usize,
    /// Score-histogram bin edges, when a score is read.
    pub score_bins: Option<Vec<f64>>,
    /// Further (non-sensitive) columns counted as tensor attributes after the sensitive ones,
    /// for subgroup discovery.
    pub extra: Vec<ExtraColumn>,
    /// With a score column: keep every distinct score per cell and label, for exact AUC, ROC,
    /// Brier score and calibration by group. Memory grows with the distinct scores.
    pub exact_scores: bool,
    /// What kind of prediction is audited.
    pub task: Task,
}

/// The kind of prediction audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Task {
    /// Binary labels and predictions (or a score with a threshold): the count tensor.
    #[default]
    Binary,
    /// Numeric labels and predictions: per-cell regression sums and a histogram of the
    /// prediction over `bins` quantile bins (edges from the first record batch).
    Regression {
        /// Histogram bins of the prediction.
        bins: usize,
    },
    /// Class labels and predictions (any text): a K×K confusion per cell.
    Multiclass,
}

/// A non-sensitive column added to the tensor for subgroup discovery.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraColumn {
    /// The column.
    pub name: String,
    /// For a numeric column: the number of quantile bins (edges estimated from the first
    /// record batch, up to `batch_size` rows); `None`: use its values as levels.
    pub bins: Option<usize>,
}

impl ScanSpec {
    /// A spec with defaults for everything but the columns.
    pub fn new(
        label: impl Into<String>,
        prediction: Prediction,
        sensitive: Vec<String>,
    ) -> ScanSpec {
        ScanSpec {
            label: label.into(),
            prediction,
            sensitive,
            weight: None,
            pos_label: None,
            pred_pos_label: None,
            on_missing: OnMissing::Error,
            na_values: Vec::new(),
            format: None,
            batch_size: 64 * 1024,
            score_bins: None,
            extra: Vec::new(),
            exact_scores: false,
            task: Task::Binary,
        }
    }
}

/// The result of a scan: the tensor and what happened to the rows.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The counts.
    pub tensor: CountTensor,
    /// The input's summary (rows read, used, dropped, missing sensitive values, warnings).
    pub summary: InputSummary,
    /// Distinct scores per cell and label, when asked for (`ScanSpec::exact_scores`).
    pub scores: Option<CellTable<ExactScores>>,
    /// The smallest and largest score seen, with a score column.
    pub score_range: Option<(f64, f64)>,
    /// Regression sums per cell (`Task::Regression`).
    pub regression: Option<CellTable<RegressionStats>>,
    /// Multiclass confusions per cell and the class names by index (`Task::Multiclass`).
    pub multiclass: Option<(CellTable<ClassConfusion>, Vec<String>)>,
}

fn did_you_mean(column: &str, available: &[String]) -> String {
    let lower = column.to_lowercase();
    let close = available
        .iter()
        .find(|a| a.to_lowercase() == lower || edit_distance(&a.to_lowercase(), &lower) <= 2);
    close.map_or_else(String::new, |c| format!(" (did you mean '{c}'?)"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Reads `path` according to `spec` into a tensor, in one streamed pass.
pub fn scan(path: &Path, spec: &ScanSpec) -> Result<Scan, DataError> {
    scan_with(path, spec, &ScanOptions::default())
}

/// How a scan runs: threads and progress.
#[derive(Clone, Copy, Default)]
pub struct ScanOptions<'a> {
    /// Threads for formats read in parallel (Parquet row groups); 0 = one per core. The result
    /// does not depend on it.
    pub threads: usize,
    /// Told how far the scan has got.
    pub progress: Option<&'a dyn Progress>,
}

impl std::fmt::Debug for ScanOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What a progress display is told.
pub trait Progress: Sync {
    /// The work ahead: `total` units (rows or bytes).
    fn start(&self, total: u64, unit: ProgressUnit);
    /// `done` more units finished.
    fn advance(&self, done: u64);
}

/// The unit of [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    /// Rows (Parquet: the footer tells the total).
    Rows,
    /// Bytes of the file (text formats and Arrow IPC).
    Bytes,
}

/// The columns in their roles (label, prediction or score, weight, sensitive, discovery), each
/// column at most once.
pub(crate) fn roles(spec: &ScanSpec) -> Result<Vec<(&str, &'static str)>, DataError> {
    let (pred_col, pred_role) = match &spec.prediction {
        Prediction::Column(c) => (c.as_str(), "prediction"),
        Prediction::Score { column, .. } => (column.as_str(), "score"),
    };
    let mut roles: Vec<(&str, &'static str)> =
        vec![(spec.label.as_str(), "label"), (pred_col, pred_role)];
    if let Some(w) = &spec.weight {
        roles.push((w.as_str(), "weight"));
    }
    for s in &spec.sensitive {
        roles.push((s.as_str(), "sensitive attribute"));
    }
    for e in &spec.extra {
        roles.push((e.name.as_str(), "discovery column"));
    }
    for (i, (c, r)) in roles.iter().enumerate() {
        if let Some((_, first)) = roles[..i].iter().find(|(d, _)| d == c) {
            return Err(DataError::ColumnTwice {
                column: (*c).to_owned(),
                first,
                second: r,
            });
        }
    }
    Ok(roles)
}

/// Reads `path` according to `spec` into a tensor in one streamed pass, with `options`.
///
/// Parquet row groups are counted in parallel (one tensor per row group, merged in file order,
/// so that the result, weighted sums included, is the same for any number of threads); binary
/// audits only — regression, multiclass and exact scores read sequentially. Other formats decode
/// on one thread while another counts.
pub fn scan_with(path: &Path, spec: &ScanSpec, options: &ScanOptions) -> Result<Scan, DataError> {
    let format = match spec.format {
        Some(f) => f,
        None => Format::from_path(path)?,
    };
    let names = read::column_names(path, format)?;
    let find = |column: &str| -> Result<usize, DataError> {
        names
            .iter()
            .position(|n| n == column)
            .ok_or_else(|| DataError::UnknownColumn {
                path: path.to_owned(),
                column: column.to_owned(),
                hint: did_you_mean(column, &names),
                available: names.join(", "),
            })
    };

    let roles = roles(spec)?;
    let mut warnings = Vec::new();
    let mut indices = Vec::new();
    for (c, _) in &roles {
        let i = find(c)?;
        if names.iter().filter(|n| n == c).count() > 1 {
            warnings.push(format!(
                "column name '{c}' occurs {} times in the header; the first (position {}) is used",
                names.iter().filter(|n| n == c).count(),
                i + 1
            ));
        }
        indices.push(i);
    }
    let mut projection = indices.clone();
    projection.sort_unstable();
    projection.dedup();

    let score_edges = match &spec.prediction {
        Prediction::Score { .. } => spec.score_bins.clone(),
        Prediction::Column(_) => None,
    };
    let mut attribute_names = spec.sensitive.clone();
    attribute_names.extend(spec.extra.iter().map(|e| e.name.clone()));
    let new_counter = || Counter::new(path, spec, attribute_names.clone(), score_edges.clone());
    let exact = spec.exact_scores && matches!(spec.prediction, Prediction::Score { .. });
    let parallel = format == Format::Parquet && spec.task == Task::Binary && !exact;
    if parallel {
        let (tensor, state) = parallel::parquet(path, spec, &projection, options, &new_counter)?;
        let summary = summary_of(path, format, spec, state.totals(), warnings);
        return Ok(Scan {
            tensor,
            summary,
            scores: None,
            score_range: state.score_range,
            regression: None,
            multiclass: None,
        });
    }
    let mut counter = new_counter()?;
    if exact {
        counter.exact = Some(CellBuilder::<ExactScores>::new(()));
    }
    parallel::sequential(
        path,
        format,
        &names,
        &projection,
        spec,
        options,
        &mut counter,
    )?;
    let Counter {
        builder,
        state,
        exact,
        ..
    } = counter;
    let scores = match exact {
        Some(cb) => Some(cb.finish(builder.names(), builder.levels()).map_err(|e| {
            DataError::Malformed {
                path: path.to_owned(),
                format: format.name(),
                at: String::new(),
                message: e.to_string(),
            }
        })?),
        None => None,
    };
    if state.rows_read == 0 {
        return Err(DataError::NoRows {
            path: path.to_owned(),
        });
    }
    let builder_names = builder.names().to_vec();
    let builder_levels = builder.levels().to_vec();
    let tensor = builder.finish().map_err(|source| DataError::Counts {
        path: path.to_owned(),
        source,
    })?;
    let summary = summary_of(path, format, spec, state.totals(), warnings);
    let table_error = |e: aequo_core::score::TableError| DataError::Malformed {
        path: path.to_owned(),
        format: format.name(),
        at: String::new(),
        message: e.to_string(),
    };
    let regression = match state.regression {
        Some(rb) if matches!(spec.task, Task::Regression { .. }) => Some(
            rb.finish(builder_names.as_slice(), &builder_levels)
                .map_err(table_error)?,
        ),
        _ => None,
    };
    let multiclass = if spec.task == Task::Multiclass {
        // Classes in sorted order, so the output does not depend on the order rows came in.
        let k = state.class_names.len();
        let mut sorted = state.class_names.clone();
        sorted.sort();
        let to: Vec<ClassIndex> = state
            .class_names
            .iter()
            .map(|c| {
                ClassIndex(
                    sorted
                        .binary_search(c)
                        .expect("every class is in the sorted list"),
                )
            })
            .collect();
        let table = state
            .multiclass
            .finish(builder_names.as_slice(), &builder_levels)
            .map_err(table_error)?
            .map_shape(Classes(sorted.clone()), |c| {
                let mut full = c.clone();
                full.ensure_classes(k);
                full.remap(&to, k)
            });
        Some((table, sorted))
    } else {
        None
    };
    Ok(Scan {
        tensor,
        summary,
        scores,
        score_range: state.score_range,
        regression,
        multiclass,
    })
}

/// The rows' fate, for the summary.
struct Totals {
    rows_read: u64,
    rows_used: u64,
    dropped: BTreeMap<String, u64>,
    missing_sensitive: Vec<u64>,
}

fn summary_of(
    path: &Path,
    format: Format,
    spec: &ScanSpec,
    t: Totals,
    warnings: Vec<String>,
) -> InputSummary {
    let pred_pos = spec.pred_pos_label.as_ref().or(spec.pos_label.as_ref());
    InputSummary {
        source: path.display().to_string(),
        format: format.name().to_owned(),
        label: match &spec.pos_label {
            Some(p) => format!("{} (positive = {p})", spec.label),
            None => spec.label.clone(),
        },
        prediction: match &spec.prediction {
            Prediction::Column(c) => match pred_pos {
                Some(p) => format!("{c} (positive = {p})"),
                None => c.clone(),
            },
            Prediction::Score { column, threshold } => format!("{column} >= {threshold}"),
        },
        weight: spec.weight.clone(),
        rows_read: t.rows_read,
        rows_used: t.rows_used,
        dropped: t
            .dropped
            .into_iter()
            .map(|(reason, rows)| Dropped { reason, rows })
            .collect(),
        missing_sensitive: spec
            .sensitive
            .iter()
            .cloned()
            .zip(t.missing_sensitive)
            .collect(),
        warnings,
    }
}

/// One pass's accumulators: the tensor builder, the label and prediction readers, the rows'
/// fate and the per-cell tables of the other tasks. A parallel scan runs one per part.
pub(crate) struct Counter {
    builder: TensorBuilder,
    label: Binary,
    pred: Binary,
    state: State,
    exact: Option<CellBuilder<ExactScores>>,
}

impl Counter {
    fn new(
        path: &Path,
        spec: &ScanSpec,
        attribute_names: Vec<String>,
        score_edges: Option<Vec<f64>>,
    ) -> Result<Counter, DataError> {
        let builder = TensorBuilder::new(attribute_names, spec.weight.is_some(), score_edges)
            .map_err(|source| DataError::Counts {
                path: path.to_owned(),
                source,
            })?;
        Ok(Counter {
            builder,
            label: Binary::new("label", spec.pos_label.clone()),
            pred: Binary::new(
                "prediction",
                spec.pred_pos_label
                    .clone()
                    .or_else(|| spec.pos_label.clone()),
            ),
            state: State {
                rows_read: 0,
                rows_used: 0,
                dropped: BTreeMap::new(),
                missing_sensitive: vec![0; spec.sensitive.len()],
                edges: vec![None; spec.extra.len()],
                score_range: None,
                regression: None,
                classes: std::collections::HashMap::new(),
                class_names: Vec::new(),
                multiclass: CellBuilder::new(Classes(Vec::new())),
            },
            exact: None,
        })
    }

    /// Counts one batch whose first row is data row `row0 + 1` of the file.
    pub(crate) fn count(
        &mut self,
        batch: &RecordBatch,
        path: &Path,
        spec: &ScanSpec,
        row0: u64,
    ) -> Result<(), DataError> {
        count_batch(
            batch,
            path,
            spec,
            row0,
            &mut self.builder,
            &mut self.label,
            &mut self.pred,
            &mut self.state,
            self.exact.as_mut(),
        )
    }

    /// Sets the bin edges of binned discovery columns (fixed before a parallel pass).
    pub(crate) fn set_edges(&mut self, edges: Vec<Option<Vec<f64>>>) {
        self.state.edges = edges;
    }

    /// The bin edges of binned discovery columns fixed so far.
    pub(crate) fn edges(&self) -> &[Option<Vec<f64>>] {
        &self.state.edges
    }

    /// Rows read so far.
    pub(crate) fn rows_read(&self) -> u64 {
        self.state.rows_read
    }

    /// The binary tensor of a parallel part and the part's state.
    pub(crate) fn finish_part(self, path: &Path) -> Result<Part, DataError> {
        let tensor = self.builder.finish().map_err(|source| DataError::Counts {
            path: path.to_owned(),
            source,
        })?;
        Ok(Part {
            tensor,
            label: self.label,
            pred: self.pred,
            state: self.state,
        })
    }
}

/// What a part of a parallel scan counted.
pub(crate) struct Part {
    pub tensor: CountTensor,
    label: Binary,
    pred: Binary,
    state: State,
}

impl Part {
    /// Adds a later part (parts are merged in file order, so sums do not depend on threads).
    pub(crate) fn merge(&mut self, o: Part, path: &Path, spec: &ScanSpec) -> Result<(), DataError> {
        self.label.merge(&o.label, path, &spec.label)?;
        let pred_column = match &spec.prediction {
            Prediction::Column(c) | Prediction::Score { column: c, .. } => c,
        };
        self.pred.merge(&o.pred, path, pred_column)?;
        self.tensor
            .merge(&o.tensor)
            .map_err(|source| DataError::Counts {
                path: path.to_owned(),
                source,
            })?;
        let (a, b) = (&mut self.state, o.state);
        a.rows_read += b.rows_read;
        a.rows_used += b.rows_used;
        for (k, v) in b.dropped {
            *a.dropped.entry(k).or_insert(0) += v;
        }
        for (x, y) in a.missing_sensitive.iter_mut().zip(b.missing_sensitive) {
            *x += y;
        }
        a.score_range = match (a.score_range, b.score_range) {
            (Some((l1, h1)), Some((l2, h2))) => Some((l1.min(l2), h1.max(h2))),
            (x, None) | (None, x) => x,
        };
        Ok(())
    }

    /// The merged tensor and state.
    pub(crate) fn into_parts(self) -> (CountTensor, State) {
        (self.tensor, self.state)
    }
}

pub(crate) struct State {
    rows_read: u64,
    rows_used: u64,
    dropped: BTreeMap<String, u64>,
    missing_sensitive: Vec<u64>,
    /// Quantile bin edges of binned extra columns, fixed at the first batch.
    edges: Vec<Option<Vec<f64>>>,
    score_range: Option<(f64, f64)>,
    regression: Option<CellBuilder<RegressionStats>>,
    classes: std::collections::HashMap<String, usize>,
    class_names: Vec<String>,
    multiclass: CellBuilder<ClassConfusion>,
}

impl State {
    fn totals(&self) -> Totals {
        Totals {
            rows_read: self.rows_read,
            rows_used: self.rows_used,
            dropped: self.dropped.clone(),
            missing_sensitive: self.missing_sensitive.clone(),
        }
    }

    /// Rows read.
    pub(crate) fn rows_read(&self) -> u64 {
        self.rows_read
    }
}

/// Quantile edges (k − 1 interior, deduplicated) of the finite values.
fn quantile_edges(values: &[Option<f64>], k: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    v.sort_unstable_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..k)
        .filter_map(|i| v.get(i * v.len() / k).copied())
        .collect();
    edges.dedup();
    edges
}

/// The level of a value among bin edges: "q1: < a", "q2: a – b", …, "qk: ≥ z".
fn bin_label(x: f64, edges: &[f64]) -> String {
    let b = edges.partition_point(|e| *e <= x);
    let fmt = |e: f64| format!("{}", (e * 1000.0).round() / 1000.0);
    if edges.is_empty() {
        "q1: all".to_owned()
    } else if b == 0 {
        format!("q1: < {}", fmt(edges[0]))
    } else if b == edges.len() {
        format!("q{}: ≥ {}", b + 1, fmt(edges[b - 1]))
    } else {
        format!("q{}: {} – {}", b + 1, fmt(edges[b - 1]), fmt(edges[b]))
    }
}

fn column<'b>(batch: &'b RecordBatch, name: &str) -> &'b arrow_array::ArrayRef {
    let i = batch
        .schema()
        .index_of(name)
        .expect("the projection includes every role's column");
    batch.column(i)
}

/// Counts a binary batch whose rows all have their label, prediction and weight, column by
/// column: each attribute's codes for all rows, then each row's slot, then the counts.
#[allow(clippy::too_many_arguments)]
fn count_columns(
    path: &Path,
    builder: &mut TensorBuilder,
    state: &mut State,
    texts: &mut [TextColumn],
    na: &[String],
    yp: LabelsPredictions<'_>,
    scores: Option<Vec<Option<f64>>>,
    weights: Option<Vec<Option<f64>>>,
    n: usize,
) -> Result<(), DataError> {
    let code_error = |source| DataError::Counts {
        path: path.to_owned(),
        source,
    };
    // The usual case — every attribute a dictionary column with no missing value — in one
    // pass: a row's slot is the sum of its entries' code × stride, looked up per entry.
    if texts.iter().all(|t| matches!(t, TextColumn::Dict { .. })) {
        let mut fused = true;
        for (a, t) in texts.iter_mut().enumerate() {
            if t.dictionary(na, |v| builder.code(a, Some(v)).map_err(code_error))?
                .is_none()
            {
                fused = false;
                break;
            }
        }
        if fused {
            // Every level is registered: the strides are final for this batch.
            let strides = builder.strides().to_vec();
            let mut parts: Vec<(Vec<usize>, &Keys)> = Vec::with_capacity(texts.len());
            for (t, &stride) in texts.iter().zip(&strides) {
                let (codes, keys) = t.coded_dictionary().expect("coded above");
                parts.push((codes.iter().map(|&c| c as usize * stride).collect(), keys));
            }
            if let (None, None, LabelsPredictions::ZeroOne(y, p)) = (&weights, &scores, yp) {
                // The usual case of all: 0/1 integers, every key an Int32 dictionary key, up
                // to four attributes — one pass computes each row's slot and counts it.
                let keys: Vec<&[i32]> = parts
                    .iter()
                    .filter_map(|(_, k)| match k {
                        Keys::I32(k) => Some(&k[..]),
                        Keys::Positions(_) => None,
                    })
                    .collect();
                let mults: Vec<&[usize]> = parts.iter().map(|(m, _)| &m[..]).collect();
                if keys.len() == parts.len()
                    && fused_zero_one(builder, &keys, &mults, &y[..n], &p[..n])
                {
                    state.rows_used += n as u64;
                    state.rows_read += n as u64;
                    return Ok(());
                }
            }
            let (labels, preds) = yp.classes();
            let (labels, preds) = (&labels[..], &preds[..]);
            if weights.is_none() && scores.is_none() {
                // Unweighted, no score: slots attribute by attribute, then the counts.
                let mut slots = vec![0usize; n];
                for (mult, keys) in &parts {
                    match keys {
                        Keys::I32(k) => {
                            for (s, &k) in slots.iter_mut().zip(k.iter()) {
                                // Keys of non-null rows are valid positions (arrow checks).
                                *s += mult[k as usize];
                            }
                        }
                        Keys::Positions(k) => {
                            for (s, &k) in slots.iter_mut().zip(k.iter()) {
                                *s += mult[k];
                            }
                        }
                    }
                }
                builder.add_all_at(&slots, labels, preds);
                state.rows_used += n as u64;
                state.rows_read += n as u64;
                return Ok(());
            }
            let weights = weights.as_deref();
            for i in 0..n {
                let slot: usize = parts.iter().map(|(mult, keys)| mult[keys.get(i)]).sum();
                let (y, p) = (labels[i].unwrap_or_default(), preds[i].unwrap_or_default());
                builder.add_at(slot, y, p, weights.and_then(|w| w[i]));
                if let Some(s) = scores.as_ref().and_then(|s| s[i]) {
                    builder.add_score_at(slot, y, s);
                    state.score_range = Some(match state.score_range {
                        None => (s, s),
                        Some((lo, hi)) => (lo.min(s), hi.max(s)),
                    });
                }
            }
            state.rows_used += n as u64;
            state.rows_read += n as u64;
            return Ok(());
        }
    }
    let (labels, preds) = yp.classes();
    let (labels, preds) = (&labels[..], &preds[..]);
    let mut columns = vec![vec![0u32; n]; texts.len()];
    for (a, (t, codes)) in texts.iter_mut().zip(&mut columns).enumerate() {
        // Two closures register levels (values, and the missing level): they share the builder.
        let builder_cell = std::cell::RefCell::new(&mut *builder);
        let missing = t.levels(
            na,
            codes,
            |v| {
                builder_cell
                    .borrow_mut()
                    .code(a, Some(v))
                    .map_err(code_error)
            },
            || builder_cell.borrow_mut().code(a, None).map_err(code_error),
        )?;
        if a < state.missing_sensitive.len() {
            state.missing_sensitive[a] += missing;
        }
    }
    // Every level of the batch is registered: the strides are final for it.
    let mut slots = vec![0usize; n];
    for (codes, &stride) in columns.iter().zip(builder.strides()) {
        for (s, &c) in slots.iter_mut().zip(codes) {
            *s += c as usize * stride;
        }
    }
    for i in 0..n {
        let (y, p) = (labels[i].unwrap_or_default(), preds[i].unwrap_or_default());
        builder.add_at(slots[i], y, p, weights.as_ref().and_then(|w| w[i]));
    }
    if let Some(scores) = scores {
        for i in 0..n {
            if let Some(s) = scores[i] {
                builder.add_score_at(slots[i], labels[i].unwrap_or_default(), s);
                state.score_range = Some(match state.score_range {
                    None => (s, s),
                    Some((lo, hi)) => (lo.min(s), hi.max(s)),
                });
            }
        }
    }
    state.rows_used += n as u64;
    state.rows_read += n as u64;
    Ok(())
}

/// A batch's labels and predictions as [`count_columns`] takes them.
#[derive(Clone, Copy)]
enum LabelsPredictions<'a> {
    /// Parsed classes (`None` = missing).
    Parsed(&'a [Option<bool>], &'a [Option<bool>]),
    /// 0/1 integer columns without nulls, checked to hold only 0 and 1.
    ZeroOne(&'a [i64], &'a [i64]),
}

/// Labels or predictions as classes, borrowed or converted.
type BinaryClasses<'a> = Cow<'a, [Option<bool>]>;

impl<'a> LabelsPredictions<'a> {
    /// As classes: 0/1 integers (kept as they are for the fused pass) are converted for every
    /// other path.
    fn classes(self) -> (BinaryClasses<'a>, BinaryClasses<'a>) {
        let classes = |v: &[i64]| v.iter().map(|&x| Some(x == 1)).collect::<Vec<_>>();
        match self {
            LabelsPredictions::Parsed(l, p) => (Cow::Borrowed(l), Cow::Borrowed(p)),
            LabelsPredictions::ZeroOne(y, p) => (Cow::Owned(classes(y)), Cow::Owned(classes(p))),
        }
    }
}

/// Counts a batch whose attributes are all Int32-keyed dictionaries (`mults[a][key]` = the
/// key's code × the attribute's stride) and whose labels and predictions are 0/1: one pass,
/// specialised by the number of attributes so that the per-row sum is unrolled. `false` (and
/// nothing counted) for more than four attributes.
fn fused_zero_one(
    builder: &mut TensorBuilder,
    keys: &[&[i32]],
    mults: &[&[usize]],
    y: &[i64],
    p: &[i64],
) -> bool {
    fn run<const A: usize>(
        builder: &mut TensorBuilder,
        keys: &[&[i32]],
        mults: &[&[usize]],
        y: &[i64],
        p: &[i64],
    ) {
        let keys: [&[i32]; A] = std::array::from_fn(|a| &keys[a][..y.len()]);
        let mults: [&[usize]; A] = std::array::from_fn(|a| mults[a]);
        builder.add_zero_one_with(y, p, |i| {
            let mut slot = 0;
            for a in 0..A {
                // Keys of non-null rows are valid dictionary positions (arrow checks them).
                slot += mults[a][keys[a][i] as usize];
            }
            slot
        });
    }
    // Small dictionaries and tensors, the usual case: fixed-size tables, so every index is
    // masked into range and the loop has no bounds check. Larger ones take `run`.
    fn small<const A: usize>(
        builder: &mut TensorBuilder,
        keys: &[&[i32]],
        mults: &[&[usize]],
        y: &[i64],
        p: &[i64],
    ) {
        const KEYS: usize = 256;
        const CELLS: usize = 4096;
        let slots = builder.slots();
        if slots * 4 > CELLS || mults.iter().any(|m| m.len() > KEYS) {
            return run::<A>(builder, keys, mults, y, p);
        }
        let n = y.len().min(p.len());
        let (y, p) = (&y[..n], &p[..n]);
        let keys: [&[i32]; A] = std::array::from_fn(|a| &keys[a][..n]);
        // Each attribute's code × stride, times 4 (the flat layout's [tn, fp, fn, tp]).
        let tables: [[u16; KEYS]; A] = std::array::from_fn(|a| {
            let mut t = [0u16; KEYS];
            for (t, &m) in t.iter_mut().zip(mults[a]) {
                *t = (m * 4) as u16;
            }
            t
        });
        let mut flat = [0u64; CELLS];
        for i in 0..n {
            let mut at = ((y[i] as usize) << 1 | p[i] as usize) & 3;
            for a in 0..A {
                // Keys of non-null rows are valid dictionary positions (arrow checks them),
                // below KEYS here: the mask never changes one.
                at += tables[a][keys[a][i] as usize & (KEYS - 1)] as usize;
            }
            flat[at & (CELLS - 1)] += 1;
        }
        builder.add_flat(&flat);
    }
    match keys.len() {
        1 => small::<1>(builder, keys, mults, y, p),
        2 => small::<2>(builder, keys, mults, y, p),
        3 => small::<3>(builder, keys, mults, y, p),
        4 => small::<4>(builder, keys, mults, y, p),
        _ => return false,
    }
    true
}

/// The first missing required value of a row, as (column, role): label (or, for regression
/// and multiclass, label or prediction), prediction or score, weight.
fn missing_required(
    spec: &ScanSpec,
    binary: bool,
    label: bool,
    prediction: bool,
    weight: bool,
) -> Option<(&str, &'static str)> {
    if label {
        return Some((
            &spec.label,
            if binary {
                "label"
            } else {
                "label or prediction"
            },
        ));
    }
    if prediction {
        return Some(match &spec.prediction {
            Prediction::Column(c) => (c, "prediction"),
            Prediction::Score { column, .. } => (column, "score"),
        });
    }
    if weight {
        return spec.weight.as_deref().map(|w| (w, "weight"));
    }
    None
}

// The batch's inputs and the pass's accumulators; bundling them would only rename them.
#[allow(clippy::too_many_arguments)]
fn count_batch(
    batch: &RecordBatch,
    path: &Path,
    spec: &ScanSpec,
    row0: u64,
    builder: &mut TensorBuilder,
    label: &mut Binary,
    pred: &mut Binary,
    state: &mut State,
    mut exact: Option<&mut CellBuilder<ExactScores>>,
) -> Result<(), DataError> {
    let n = batch.num_rows();
    let at_of = |column| At { path, column, row0 };
    let na = &spec.na_values;

    // Regression and multiclass targets; for those tasks the binary label/prediction are unused.
    let mut targets: Vec<Option<(f64, f64)>> = Vec::new();
    let mut class_targets: Vec<Option<(usize, usize)>> = Vec::new();
    let pred_column = match &spec.prediction {
        Prediction::Column(c) | Prediction::Score { column: c, .. } => c,
    };
    match spec.task {
        Task::Binary => {}
        Task::Regression { bins } => {
            let y = numeric(column(batch, &spec.label), at_of(&spec.label), "label", na)?;
            let p = numeric(
                column(batch, pred_column),
                at_of(pred_column),
                "prediction",
                na,
            )?;
            if state.regression.is_none() {
                let edges = quantile_edges(&p, bins.max(2));
                let bins = ScoreBins::new(edges).map_err(|e| DataError::Malformed {
                    path: path.to_owned(),
                    format: "prediction",
                    at: String::new(),
                    message: e.to_string(),
                })?;
                state.regression = Some(CellBuilder::new(bins));
            }
            targets = y.iter().zip(&p).map(|(a, b)| a.zip(*b)).collect();
        }
        Task::Multiclass => {
            let y = as_text(column(batch, &spec.label), at_of(&spec.label), "label")?;
            let p = as_text(column(batch, pred_column), at_of(pred_column), "prediction")?;
            let mut class_of = |v: Option<&str>| -> Option<usize> {
                let v = v.map(str::trim).filter(|v| !is_missing_text(v, na))?;
                Some(match state.classes.get(v) {
                    Some(&c) => c,
                    None => {
                        state.class_names.push(v.to_owned());
                        state
                            .classes
                            .insert(v.to_owned(), state.class_names.len() - 1);
                        state.class_names.len() - 1
                    }
                })
            };
            class_targets = (0..n)
                .map(|i| {
                    let a = class_of((!y.is_null(i)).then(|| y.value(i)));
                    let b = class_of((!p.is_null(i)).then(|| p.value(i)));
                    a.zip(b)
                })
                .collect();
        }
    }
    let binary = spec.task == Task::Binary;
    // 0/1 integer labels and predictions, unweighted: counted as they are (no parsing).
    let fast = match &spec.prediction {
        Prediction::Column(c)
            if binary && spec.weight.is_none() && exact.is_none() && spec.extra.is_empty() =>
        {
            label
                .zero_one(column(batch, &spec.label))
                .zip(pred.zero_one(column(batch, c)))
        }
        _ => None,
    };
    if let Some((y, p)) = fast {
        let mut texts = spec
            .sensitive
            .iter()
            .map(|s| TextColumn::new(column(batch, s), at_of(s), "sensitive attribute"))
            .collect::<Result<Vec<_>, _>>()?;
        return count_columns(
            path,
            builder,
            state,
            &mut texts,
            na,
            LabelsPredictions::ZeroOne(y, p),
            None,
            None,
            n,
        );
    }
    let (labels, labels_complete) = if binary {
        label.parse_known(column(batch, &spec.label), at_of(&spec.label), na)?
    } else {
        (vec![Some(false); n], true)
    };
    let mut preds_complete = false;
    let (preds, scores) = match &spec.prediction {
        _ if !binary => (vec![Some(false); n], None),
        Prediction::Column(c) => {
            let (p, known) = pred.parse_known(column(batch, c), at_of(c), na)?;
            preds_complete = known;
            (p, None)
        }
        Prediction::Score {
            column: c,
            threshold,
        } => {
            let s = numeric(column(batch, c), at_of(c), "score", na)?;
            (
                s.iter().map(|x| x.map(|x| x >= *threshold)).collect(),
                Some(s),
            )
        }
    };
    let weights = match &spec.weight {
        Some(w) => {
            let v = numeric(column(batch, w), at_of(w), "weight", na)?;
            for (i, x) in v.iter().enumerate() {
                if let Some(x) = x {
                    if !(x.is_finite() && *x >= 0.0) {
                        return Err(DataError::BadValue {
                            path: path.to_owned(),
                            row: row0 + i as u64 + 1,
                            column: w.clone(),
                            value: x.to_string(),
                            problem: "a weight must be finite and not negative".into(),
                            hint: String::new(),
                        });
                    }
                }
            }
            Some(v)
        }
        None => None,
    };
    let mut texts = spec
        .sensitive
        .iter()
        .map(|s| TextColumn::new(column(batch, s), at_of(s), "sensitive attribute"))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, e) in spec.extra.iter().enumerate() {
        let array = column(batch, &e.name);
        match e.bins {
            None => texts.push(TextColumn::new(array, at_of(&e.name), "discovery column")?),
            Some(k) => {
                let v = numeric(array, at_of(&e.name), "binned discovery column", na)?;
                let edges = state.edges[i].get_or_insert_with(|| quantile_edges(&v, k.max(1)));
                let labels: arrow_array::StringArray =
                    v.iter().map(|x| x.map(|x| bin_label(x, edges))).collect();
                texts.push(TextColumn::Plain(labels));
            }
        }
    }

    let mut codes = vec![0u32; texts.len()];
    // Whether every row has its label, prediction and weight (the usual case): then no row
    // needs the per-row check below.
    let complete = binary
        && (labels_complete || labels.iter().all(Option::is_some))
        && (preds_complete || preds.iter().all(Option::is_some))
        && weights
            .as_ref()
            .is_none_or(|w| w.iter().all(Option::is_some));
    if complete && exact.is_none() {
        return count_columns(
            path,
            builder,
            state,
            &mut texts,
            na,
            LabelsPredictions::Parsed(&labels, &preds),
            scores,
            weights,
            n,
        );
    }
    for i in 0..n {
        if complete {
            // Skip the check of the required values.
        } else if let Some((col, role)) = missing_required(
            spec,
            binary,
            labels[i].is_none()
                || match spec.task {
                    Task::Binary => false,
                    Task::Regression { .. } => targets[i].is_none(),
                    Task::Multiclass => class_targets[i].is_none(),
                },
            preds[i].is_none(),
            weights.as_ref().is_some_and(|w| w[i].is_none()),
        ) {
            match spec.on_missing {
                OnMissing::Error => {
                    return Err(DataError::MissingValue {
                        path: path.to_owned(),
                        row: row0 + i as u64 + 1,
                        column: col.to_owned(),
                    })
                }
                OnMissing::Drop => {
                    *state
                        .dropped
                        .entry(format!("missing {role} ('{col}')"))
                        .or_insert(0) += 1;
                    continue;
                }
            }
        }
        for (a, t) in texts.iter_mut().enumerate() {
            let code_error = |source| DataError::Counts {
                path: path.to_owned(),
                source,
            };
            codes[a] = match t.level(i, na, |v| builder.code(a, Some(v)).map_err(code_error))? {
                Some(c) => c,
                None => {
                    if a < state.missing_sensitive.len() {
                        state.missing_sensitive[a] += 1;
                    }
                    builder.code(a, None).map_err(code_error)?
                }
            };
        }
        let w = weights.as_ref().and_then(|w| w[i]);
        match spec.task {
            Task::Binary => {}
            Task::Regression { .. } => {
                let (yv, pv) = targets[i].expect("missing targets were handled above");
                let rb = state
                    .regression
                    .as_mut()
                    .expect("created at the first batch");
                let (bins, stats) = rb.entry(&codes);
                let bins = bins.clone();
                stats
                    .add(&bins, yv, pv, w.unwrap_or(1.0))
                    .map_err(|e| DataError::BadValue {
                        path: path.to_owned(),
                        row: row0 + i as u64 + 1,
                        column: pred_column.clone(),
                        value: pv.to_string(),
                        problem: e.to_string(),
                        hint: String::new(),
                    })?;
                state.rows_used += 1;
                continue;
            }
            Task::Multiclass => {
                let (yc, pc) = class_targets[i].expect("missing targets were handled above");
                let k = state.class_names.len();
                let (_, conf) = state.multiclass.entry(&codes);
                conf.ensure_classes(k);
                conf.add(ClassIndex(yc), ClassIndex(pc), w.unwrap_or(1.0))
                    .map_err(|e| DataError::BadValue {
                        path: path.to_owned(),
                        row: row0 + i as u64 + 1,
                        column: pred_column.clone(),
                        value: String::new(),
                        problem: e.to_string(),
                        hint: String::new(),
                    })?;
                state.rows_used += 1;
                continue;
            }
        }
        let (y, p) = (labels[i].unwrap_or_default(), preds[i].unwrap_or_default());
        builder.add(&codes, y, p, w);
        if let Some(s) = scores.as_ref().and_then(|s| s[i]) {
            builder.add_score(&codes, y, s);
            state.score_range = Some(match state.score_range {
                None => (s, s),
                Some((lo, hi)) => (lo.min(s), hi.max(s)),
            });
            if let Some(cb) = exact.as_deref_mut() {
                let w = weights.as_ref().and_then(|w| w[i]).unwrap_or(1.0);
                cb.entry(&codes)
                    .1
                    .add(y, s, w)
                    .map_err(|e| DataError::BadValue {
                        path: path.to_owned(),
                        row: row0 + i as u64 + 1,
                        column: match &spec.prediction {
                            Prediction::Score { column, .. } => column.clone(),
                            Prediction::Column(c) => c.clone(),
                        },
                        value: s.to_string(),
                        problem: e.to_string(),
                        hint: String::new(),
                    })?;
            }
        }
        state.rows_used += 1;
    }
    state.rows_read += n as u64;
    Ok(())
}
