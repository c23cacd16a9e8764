//! The count tensor: what a tabular audit reduces its rows to.
//!
//! For binary classification a row contributes one to the (label, prediction) count of its *cell*,
//! the combination of its sensitive attributes' levels. The tensor is dense over the Cartesian
//! product of every attribute's levels, each attribute carrying an explicit [`Level::Missing`].
//! Every metric aequo reports is a function of these counts, so the reduction is one pass over the
//! data, its memory is independent of the row count, and partial tensors (from threads, files,
//! SQL partitions) [`merge`](CountTensor::merge) by addition.
//!
//! Invariants (checked by [`CountTensor::new`]): attribute names are unique; each attribute's
//! levels are unique, sorted in natural order (numbers numerically, then text), and end with
//! exactly one `Missing`. So two tensors over the same data have the same layout whatever order
//! the rows came in.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The name of a sensitive attribute (a column name in the input).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttributeName(pub String);

impl std::fmt::Display for AttributeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One level of a sensitive attribute: a value seen in the data, or the explicit missing level.
///
/// Serialised as the value's string, or `null` for missing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Level {
    /// A value as it appeared in the data (rendered as text).
    Value(String),
    /// The attribute was null/empty for the row.
    Missing,
}

impl Level {
    /// The level's text, `None` for missing.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Level::Value(s) => Some(s),
            Level::Missing => None,
        }
    }

    /// Natural order: numeric values numerically, then other text lexically, missing last.
    pub fn natural_cmp(&self, other: &Level) -> Ordering {
        match (self, other) {
            (Level::Missing, Level::Missing) => Ordering::Equal,
            (Level::Missing, _) => Ordering::Greater,
            (_, Level::Missing) => Ordering::Less,
            (Level::Value(a), Level::Value(b)) => {
                match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
                    (Ok(x), Ok(y)) if x.is_finite() && y.is_finite() => {
                        x.partial_cmp(&y).unwrap_or(Ordering::Equal).then(a.cmp(b))
                    }
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    _ => a.cmp(b),
                }
            }
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Level::Value(s) => f.write_str(s),
            Level::Missing => f.write_str("(missing)"),
        }
    }
}

impl Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_str().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(d)? {
            Some(s) => Level::Value(s),
            None => Level::Missing,
        })
    }
}

/// A sensitive attribute and its levels (canonical order, `Missing` last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// The attribute's name.
    pub name: AttributeName,
    /// Its levels, sorted naturally, ending with [`Level::Missing`].
    pub levels: Vec<Level>,
}

impl Attribute {
    /// An attribute over the given values: sorted, deduplicated, with `Missing` appended.
    pub fn new(name: impl Into<String>, values: impl IntoIterator<Item = Level>) -> Attribute {
        let mut levels: Vec<Level> = values
            .into_iter()
            .filter(|l| *l != Level::Missing)
            .collect();
        levels.sort_by(Level::natural_cmp);
        levels.dedup();
        levels.push(Level::Missing);
        Attribute {
            name: AttributeName(name.into()),
            levels,
        }
    }

    /// The position of a level, if the attribute has it.
    pub fn level_index(&self, level: &Level) -> Option<usize> {
        match level {
            Level::Missing => Some(self.levels.len() - 1),
            Level::Value(_) => self.levels.iter().position(|l| l == level),
        }
    }
}

/// The position of a cell in a tensor's dense layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellIndex(pub usize);

/// The levels that identify a group, one per attribute of its grouping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupKey(pub Vec<Level>);

impl GroupKey {
    /// Whether any attribute of the group is missing.
    pub fn has_missing(&self) -> bool {
        self.0.contains(&Level::Missing)
    }
}

impl std::fmt::Display for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" × ")?;
            }
            write!(f, "{l}")?;
        }
        Ok(())
    }
}

/// Confusion counts of one cell or group: (label, prediction) pairs, possibly weighted.
///
/// Serialised with the field names `tn`, `fp`, `fn`, `tp`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    /// Label 0, prediction 0.
    pub tn: f64,
    /// Label 0, prediction 1.
    pub fp: f64,
    /// Label 1, prediction 0.
    #[serde(rename = "fn")]
    pub fn_: f64,
    /// Label 1, prediction 1.
    pub tp: f64,
}

impl Confusion {
    /// From the `[tn, fp, fn, tp]` layout the tensor stores.
    pub fn from_array(a: [f64; 4]) -> Confusion {
        Confusion {
            tn: a[0],
            fp: a[1],
            fn_: a[2],
            tp: a[3],
        }
    }

    /// From unweighted counts.
    pub fn from_counts(a: [u64; 4]) -> Confusion {
        // Counts above 2^53 lose integer precision in f64; at that size the relative error is
        // below 1e-16, far under any reported digit.
        Confusion::from_array(a.map(|c| c as f64))
    }

    /// All rows.
    pub fn total(&self) -> f64 {
        self.tn + self.fp + self.fn_ + self.tp
    }

    /// Rows with label 1.
    pub fn positives(&self) -> f64 {
        self.tp + self.fn_
    }

    /// Rows with label 0.
    pub fn negatives(&self) -> f64 {
        self.tn + self.fp
    }

    /// Rows predicted 1.
    pub fn predicted_positives(&self) -> f64 {
        self.tp + self.fp
    }

    /// Rows predicted 0.
    pub fn predicted_negatives(&self) -> f64 {
        self.tn + self.fn_
    }

    /// Element-wise sum.
    pub fn add(&self, o: &Confusion) -> Confusion {
        Confusion {
            tn: self.tn + o.tn,
            fp: self.fp + o.fp,
            fn_: self.fn_ + o.fn_,
            tp: self.tp + o.tp,
        }
    }
}

/// The slot of a (label, prediction) pair in a cell's `[tn, fp, fn, tp]` array.
#[inline]
pub fn slot(label: bool, prediction: bool) -> usize {
    (usize::from(label) << 1) | usize::from(prediction)
}

/// Why a tensor cannot be built or combined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CountsError {
    /// Two attributes share a name.
    #[error("attribute '{0}' is given twice; name each sensitive attribute once")]
    DuplicateAttribute(String),
    /// Levels are not in canonical order or `Missing` is not last.
    #[error("levels of attribute '{0}' are not canonical (sorted, unique, missing last); build it with Attribute::new")]
    NonCanonicalLevels(String),
    /// The product of the attributes' levels is too large to hold densely.
    #[error("the sensitive attributes have {cells} combinations, more than the limit of {limit}; is a high-cardinality column (an id, a number) given as sensitive? bin it first")]
    TooManyCells {
        /// The number of cells requested.
        cells: u128,
        /// The limit.
        limit: usize,
    },
    /// One attribute has more distinct values than allowed.
    #[error("attribute '{attribute}' has more than {limit} distinct values; is it really a sensitive attribute? bin it or raise the limit")]
    TooManyLevels {
        /// The attribute.
        attribute: String,
        /// The limit.
        limit: usize,
    },
    /// Tensors with different attributes cannot be merged.
    #[error("cannot merge tensors over different attributes ({left} vs {right})")]
    AttributeMismatch {
        /// The left tensor's attribute names.
        left: String,
        /// The right tensor's attribute names.
        right: String,
    },
    /// Weighted and unweighted tensors cannot be merged.
    #[error("cannot merge a weighted tensor with an unweighted one")]
    WeightingMismatch,
    /// Score histograms with different bin edges cannot be merged.
    #[error("cannot merge tensors with different score bins")]
    ScoreBinMismatch,
    /// A weight that is negative or not finite.
    #[error("weight {0} is negative or not finite")]
    BadWeight(f64),
    /// A marginalisation named an attribute position that does not exist.
    #[error("attribute position {0} is out of range")]
    NoSuchAttribute(usize),
}

/// The largest number of cells a tensor may have by default (32 bytes each unweighted).
pub const DEFAULT_MAX_CELLS: usize = 1 << 22;

/// A histogram of scores per cell and label: the basis of score-based metrics (AUC, calibration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistogram {
    /// Bin edges, ascending; a score s falls in bin `#{e in edges : e <= s}`, so there are
    /// `edges.len() + 1` bins.
    pub edges: Vec<f64>,
    /// Counts laid out as `[cell][label][bin]`.
    pub counts: Vec<u64>,
}

impl ScoreHistogram {
    fn bins(&self) -> usize {
        self.edges.len() + 1
    }

    /// The bin a score falls in.
    pub fn bin_of(&self, score: f64) -> usize {
        self.edges.partition_point(|e| *e <= score)
    }
}

/// Dense (label, prediction) counts over every combination of the sensitive attributes' levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountTensor {
    attributes: Vec<Attribute>,
    #[serde(skip)]
    strides: Vec<usize>,
    /// `[tn, fp, fn, tp]` row counts per cell.
    counts: Vec<[u64; 4]>,
    /// Summed weights per cell, when the audit is weighted.
    weighted: Option<Vec<[f64; 4]>>,
    /// Summed squared weights per cell (for the variance of weighted estimates).
    weighted_sq: Option<Vec<[f64; 4]>>,
    /// Optional score histogram.
    scores: Option<ScoreHistogram>,
}

fn strides_of(attributes: &[Attribute]) -> Vec<usize> {
    let mut strides = vec![1; attributes.len()];
    for i in (0..attributes.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * attributes[i + 1].levels.len();
    }
    strides
}

fn cell_count(attributes: &[Attribute], limit: usize) -> Result<usize, CountsError> {
    let cells: u128 = attributes.iter().map(|a| a.levels.len() as u128).product();
    if cells > limit as u128 {
        return Err(CountsError::TooManyCells { cells, limit });
    }
    Ok(cells as usize)
}

impl CountTensor {
    /// An empty tensor over canonical attributes (see [`Attribute::new`]).
    pub fn new(attributes: Vec<Attribute>, weighted: bool) -> Result<CountTensor, CountsError> {
        for (i, a) in attributes.iter().enumerate() {
            if attributes[..i].iter().any(|b| b.name == a.name) {
                return Err(CountsError::DuplicateAttribute(a.name.0.clone()));
            }
            let canonical = Attribute::new(a.name.0.clone(), a.levels.iter().cloned());
            if canonical.levels != a.levels {
                return Err(CountsError::NonCanonicalLevels(a.name.0.clone()));
            }
        }
        let cells = cell_count(&attributes, DEFAULT_MAX_CELLS)?;
        Ok(CountTensor {
            strides: strides_of(&attributes),
            attributes,
            counts: vec![[0; 4]; cells],
            weighted: weighted.then(|| vec![[0.0; 4]; cells]),
            weighted_sq: weighted.then(|| vec![[0.0; 4]; cells]),
            scores: None,
        })
    }

    /// Adds a score histogram with the given ascending bin edges (empty, to be filled by
    /// [`add_score`](Self::add_score)).
    pub fn with_score_bins(mut self, edges: Vec<f64>) -> CountTensor {
        let bins = edges.len() + 1;
        self.scores = Some(ScoreHistogram {
            edges,
            counts: vec![0; self.counts.len() * 2 * bins],
        });
        self
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// Whether weighted counts are kept.
    pub fn is_weighted(&self) -> bool {
        self.weighted.is_some()
    }

    /// The score histogram, if any.
    pub fn scores(&self) -> Option<&ScoreHistogram> {
        self.scores.as_ref()
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether the tensor has no cells (only possible with an attribute of no levels, which
    /// canonical attributes never have).
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The cell of the given level positions (one per attribute).
    ///
    /// # Panics
    /// If `codes` has the wrong length or a position is out of range: callers derive codes from
    /// the tensor's own attributes.
    pub fn cell(&self, codes: &[usize]) -> CellIndex {
        assert_eq!(codes.len(), self.attributes.len(), "one code per attribute");
        let mut idx = 0;
        for ((c, s), a) in codes.iter().zip(&self.strides).zip(&self.attributes) {
            assert!(*c < a.levels.len(), "level position out of range");
            idx += c * s;
        }
        CellIndex(idx)
    }

    /// The level positions of a cell.
    pub fn codes(&self, cell: CellIndex) -> Vec<usize> {
        self.strides
            .iter()
            .zip(&self.attributes)
            .map(|(s, a)| (cell.0 / s) % a.levels.len())
            .collect()
    }

    /// The levels of a cell.
    pub fn key(&self, cell: CellIndex) -> GroupKey {
        GroupKey(
            self.codes(cell)
                .into_iter()
                .zip(&self.attributes)
                .map(|(c, a)| a.levels[c].clone())
                .collect(),
        )
    }

    /// Counts one unweighted row.
    pub fn add(&mut self, cell: CellIndex, label: bool, prediction: bool) {
        self.counts[cell.0][slot(label, prediction)] += 1;
    }

    /// Counts one row with a weight (the tensor must be weighted).
    pub fn add_weighted(
        &mut self,
        cell: CellIndex,
        label: bool,
        prediction: bool,
        weight: f64,
    ) -> Result<(), CountsError> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(CountsError::BadWeight(weight));
        }
        let s = slot(label, prediction);
        self.counts[cell.0][s] += 1;
        match (&mut self.weighted, &mut self.weighted_sq) {
            (Some(w), Some(w2)) => {
                w[cell.0][s] += weight;
                w2[cell.0][s] += weight * weight;
                Ok(())
            }
            _ => Err(CountsError::WeightingMismatch),
        }
    }

    /// Counts a score into the histogram (no-op without one).
    pub fn add_score(&mut self, cell: CellIndex, label: bool, score: f64) {
        if let Some(h) = &mut self.scores {
            let bins = h.bins();
            let b = h.bin_of(score);
            h.counts[(cell.0 * 2 + usize::from(label)) * bins + b] += 1;
        }
    }

    /// Adds `rows` scores of one label that fell in histogram bin `bin` of a cell: the
    /// pre-aggregated form of [`add_score`](Self::add_score) (e.g. from a SQL `GROUP BY` over
    /// the bin). A no-op without a histogram.
    ///
    /// # Panics
    /// If `bin` is not below the number of bins (`edges.len() + 1`): callers compute it from the
    /// tensor's own edges.
    pub fn add_score_counts(&mut self, cell: CellIndex, label: bool, bin: usize, rows: u64) {
        if let Some(h) = &mut self.scores {
            let bins = h.bins();
            assert!(bin < bins, "score bin out of range");
            h.counts[(cell.0 * 2 + usize::from(label)) * bins + bin] += rows;
        }
    }

    /// Adds pre-aggregated counts to a cell (e.g. from a SQL `GROUP BY`).
    pub fn add_counts(
        &mut self,
        cell: CellIndex,
        counts: [u64; 4],
        weighted: Option<([f64; 4], [f64; 4])>,
    ) -> Result<(), CountsError> {
        for (a, b) in self.counts[cell.0].iter_mut().zip(counts) {
            *a += b;
        }
        match (weighted, &mut self.weighted, &mut self.weighted_sq) {
            (None, None, None) => Ok(()),
            (Some((w, w2)), Some(sw), Some(sw2)) => {
                for k in 0..4 {
                    sw[cell.0][k] += w[k];
                    sw2[cell.0][k] += w2[k];
                }
                Ok(())
            }
            _ => Err(CountsError::WeightingMismatch),
        }
    }

    /// Unweighted `[tn, fp, fn, tp]` of a cell.
    pub fn counts(&self, cell: CellIndex) -> [u64; 4] {
        self.counts[cell.0]
    }

    /// Rows in a cell.
    pub fn rows(&self, cell: CellIndex) -> u64 {
        self.counts[cell.0].iter().sum()
    }

    /// Unweighted confusion of a cell.
    pub fn confusion_unweighted(&self, cell: CellIndex) -> Confusion {
        Confusion::from_counts(self.counts[cell.0])
    }

    /// Weighted confusion of a cell, if the tensor is weighted.
    pub fn confusion_weighted(&self, cell: CellIndex) -> Option<Confusion> {
        self.weighted
            .as_ref()
            .map(|w| Confusion::from_array(w[cell.0]))
    }

    /// Summed squared weights of a cell, if the tensor is weighted.
    pub fn weight_squares(&self, cell: CellIndex) -> Option<Confusion> {
        self.weighted_sq
            .as_ref()
            .map(|w| Confusion::from_array(w[cell.0]))
    }

    /// The confusion rates are computed from: weighted when weights were given, else counts.
    pub fn confusion(&self, cell: CellIndex) -> Confusion {
        self.confusion_weighted(cell)
            .unwrap_or_else(|| self.confusion_unweighted(cell))
    }

    /// All rows.
    pub fn total_rows(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Iterates over all cells.
    pub fn cells(&self) -> impl Iterator<Item = CellIndex> {
        (0..self.counts.len()).map(CellIndex)
    }

    /// Adds another tensor over the same attributes. Levels need not agree: the result has the
    /// union of both tensors' levels (see [`align`](Self::align)).
    pub fn merge(&mut self, other: &CountTensor) -> Result<(), CountsError> {
        let names = |t: &CountTensor| {
            t.attributes
                .iter()
                .map(|a| a.name.0.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        if self.attributes.len() != other.attributes.len()
            || self
                .attributes
                .iter()
                .zip(&other.attributes)
                .any(|(a, b)| a.name != b.name)
        {
            return Err(CountsError::AttributeMismatch {
                left: names(self),
                right: names(other),
            });
        }
        if self.is_weighted() != other.is_weighted() {
            return Err(CountsError::WeightingMismatch);
        }
        if self.scores.as_ref().map(|h| &h.edges) != other.scores.as_ref().map(|h| &h.edges) {
            return Err(CountsError::ScoreBinMismatch);
        }
        if self.attributes != other.attributes {
            let union: Vec<Attribute> = self
                .attributes
                .iter()
                .zip(&other.attributes)
                .map(|(a, b)| {
                    Attribute::new(a.name.0.clone(), a.levels.iter().chain(&b.levels).cloned())
                })
                .collect();
            let aligned_other = other.align(&union)?;
            *self = self.align(&union)?;
            return self.merge(&aligned_other);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            for k in 0..4 {
                a[k] += b[k];
            }
        }
        for (mine, theirs) in [
            (&mut self.weighted, &other.weighted),
            (&mut self.weighted_sq, &other.weighted_sq),
        ] {
            if let (Some(a), Some(b)) = (mine, theirs) {
                for (x, y) in a.iter_mut().zip(b) {
                    for k in 0..4 {
                        x[k] += y[k];
                    }
                }
            }
        }
        if let (Some(a), Some(b)) = (&mut self.scores, &other.scores) {
            for (x, y) in a.counts.iter_mut().zip(&b.counts) {
                *x += y;
            }
        }
        Ok(())
    }

    /// The same counts laid out over `target` attributes, which must have the same names and
    /// contain every level this tensor has (extra levels get zero counts).
    pub fn align(&self, target: &[Attribute]) -> Result<CountTensor, CountsError> {
        let mut out = CountTensor::new(target.to_vec(), self.is_weighted())?;
        if let Some(h) = &self.scores {
            out = out.with_score_bins(h.edges.clone());
        }
        let maps: Vec<Vec<usize>> = self
            .attributes
            .iter()
            .zip(target)
            .map(|(a, t)| {
                a.levels
                    .iter()
                    .map(|l| {
                        t.level_index(l)
                            .ok_or_else(|| CountsError::AttributeMismatch {
                                left: format!("{}={l}", a.name),
                                right: format!("levels of {}", t.name),
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<_, _>>()?;
        for cell in self.cells() {
            let codes: Vec<usize> = self
                .codes(cell)
                .iter()
                .zip(&maps)
                .map(|(c, m)| m[*c])
                .collect();
            let to = out.cell(&codes);
            out.copy_cell_from(self, cell, to);
        }
        Ok(out)
    }

    fn copy_cell_from(&mut self, src: &CountTensor, from: CellIndex, to: CellIndex) {
        for k in 0..4 {
            self.counts[to.0][k] += src.counts[from.0][k];
        }
        if let (Some(a), Some(b)) = (&mut self.weighted, &src.weighted) {
            for k in 0..4 {
                a[to.0][k] += b[from.0][k];
            }
        }
        if let (Some(a), Some(b)) = (&mut self.weighted_sq, &src.weighted_sq) {
            for k in 0..4 {
                a[to.0][k] += b[from.0][k];
            }
        }
        if let (Some(a), Some(b)) = (&mut self.scores, &src.scores) {
            let bins = a.bins();
            for j in 0..2 * bins {
                a.counts[to.0 * 2 * bins + j] += b.counts[from.0 * 2 * bins + j];
            }
        }
    }

    /// Sums out every attribute not in `keep` (positions, in the order given): the tensor of the
    /// marginal or lower-order intersectional groups.
    pub fn marginalize(&self, keep: &[usize]) -> Result<CountTensor, CountsError> {
        if let Some(&bad) = keep.iter().find(|&&k| k >= self.attributes.len()) {
            return Err(CountsError::NoSuchAttribute(bad));
        }
        let attrs: Vec<Attribute> = keep.iter().map(|&k| self.attributes[k].clone()).collect();
        let mut out = CountTensor::new(attrs, self.is_weighted())?;
        if let Some(h) = &self.scores {
            out = out.with_score_bins(h.edges.clone());
        }
        for cell in self.cells() {
            let codes = self.codes(cell);
            let kept: Vec<usize> = keep.iter().map(|&k| codes[k]).collect();
            let to = out.cell(&kept);
            out.copy_cell_from(self, cell, to);
        }
        Ok(out)
    }
}

/// Builds a tensor from rows whose attribute levels are not known in advance.
///
/// Levels get codes in the order they are first seen; the dense layout grows (doubling an
/// attribute's capacity and re-laying the counts out) when a new level exceeds it, which happens
/// O(log levels) times. [`finish`](TensorBuilder::finish) maps discovery order to canonical order.
#[derive(Debug, Clone)]
pub struct TensorBuilder {
    names: Vec<String>,
    dicts: Vec<HashMap<String, u32>>,
    values: Vec<Vec<Level>>,
    missing: Vec<Option<u32>>,
    capacity: Vec<usize>,
    strides: Vec<usize>,
    counts: Vec<[u64; 4]>,
    weighted: Option<WeightSums>,
    score_edges: Option<Vec<f64>>,
    scores: Vec<u64>,
    max_levels: usize,
}

/// Summed weights and summed squared weights per cell.
type WeightSums = (Vec<[f64; 4]>, Vec<[f64; 4]>);

/// The default limit on one attribute's distinct values.
pub const DEFAULT_MAX_LEVELS: usize = 10_000;

impl TensorBuilder {
    /// A builder for the named attributes.
    pub fn new(
        names: Vec<String>,
        weighted: bool,
        score_edges: Option<Vec<f64>>,
    ) -> Result<TensorBuilder, CountsError> {
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(CountsError::DuplicateAttribute(n.clone()));
            }
        }
        let k = names.len();
        let capacity = vec![2; k];
        let cells = 1usize << k;
        let bins = score_edges.as_ref().map_or(0, |e| e.len() + 1);
        let mut b = TensorBuilder {
            dicts: vec![HashMap::new(); k],
            values: vec![Vec::new(); k],
            missing: vec![None; k],
            strides: Vec::new(),
            capacity,
            counts: vec![[0; 4]; cells],
            weighted: weighted.then(|| (vec![[0.0; 4]; cells], vec![[0.0; 4]; cells])),
            scores: vec![0; cells * 2 * bins],
            score_edges,
            names,
            max_levels: DEFAULT_MAX_LEVELS,
        };
        b.strides = b.compute_strides(&b.capacity);
        Ok(b)
    }

    /// The attribute names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Each attribute's levels by code (discovery order): `levels()[a][code]`.
    pub fn levels(&self) -> &[Vec<Level>] {
        &self.values
    }

    /// Sets the limit on one attribute's distinct values.
    pub fn with_max_levels(mut self, max_levels: usize) -> TensorBuilder {
        self.max_levels = max_levels;
        self
    }

    fn compute_strides(&self, capacity: &[usize]) -> Vec<usize> {
        let mut strides = vec![1; capacity.len()];
        for i in (0..capacity.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * capacity[i + 1];
        }
        strides
    }

    /// The code of a value of attribute `attr` (`None` = missing), registering it if new.
    pub fn code(&mut self, attr: usize, value: Option<&str>) -> Result<u32, CountsError> {
        let existing = match value {
            None => self.missing[attr],
            Some(v) => self.dicts[attr].get(v).copied(),
        };
        if let Some(c) = existing {
            return Ok(c);
        }
        let code = self.values[attr].len();
        if code >= self.max_levels {
            return Err(CountsError::TooManyLevels {
                attribute: self.names[attr].clone(),
                limit: self.max_levels,
            });
        }
        let code32 = u32::try_from(code).map_err(|_| CountsError::TooManyLevels {
            attribute: self.names[attr].clone(),
            limit: self.max_levels,
        })?;
        match value {
            None => {
                self.missing[attr] = Some(code32);
                self.values[attr].push(Level::Missing);
            }
            Some(v) => {
                self.dicts[attr].insert(v.to_owned(), code32);
                self.values[attr].push(Level::Value(v.to_owned()));
            }
        }
        if code >= self.capacity[attr] {
            self.grow(attr)?;
        }
        Ok(code32)
    }

    fn grow(&mut self, attr: usize) -> Result<(), CountsError> {
        let mut capacity = self.capacity.clone();
        capacity[attr] *= 2;
        let cells: u128 = capacity.iter().map(|&c| c as u128).product();
        // Capacity is at most twice the levels seen per attribute; the limit on the real
        // product is checked in `finish` by CountTensor::new.
        if cells > (DEFAULT_MAX_CELLS as u128) << capacity.len().min(8) {
            return Err(CountsError::TooManyCells {
                cells,
                limit: DEFAULT_MAX_CELLS,
            });
        }
        let cells = cells as usize;
        let strides = self.compute_strides(&capacity);
        let bins = self.score_edges.as_ref().map_or(0, |e| e.len() + 1);
        let mut counts = vec![[0; 4]; cells];
        let mut weighted = self
            .weighted
            .as_ref()
            .map(|_| (vec![[0.0; 4]; cells], vec![[0.0; 4]; cells]));
        let mut scores = vec![0; cells * 2 * bins];
        for old in 0..self.counts.len() {
            let mut new = 0;
            for a in 0..capacity.len() {
                let c = (old / self.strides[a]) % self.capacity[a];
                new += c * strides[a];
            }
            counts[new] = self.counts[old];
            if let (Some((w, w2)), Some((ow, ow2))) = (&mut weighted, &self.weighted) {
                w[new] = ow[old];
                w2[new] = ow2[old];
            }
            for j in 0..2 * bins {
                scores[new * 2 * bins + j] = self.scores[old * 2 * bins + j];
            }
        }
        self.capacity = capacity;
        self.strides = strides;
        self.counts = counts;
        self.weighted = weighted;
        self.scores = scores;
        Ok(())
    }

    /// The current stride of each attribute in the dense layout: a row's slot is
    /// `Σ code × stride`. Valid until the next [`code`](Self::code) registers a new level.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Counts one row at a slot computed from [`strides`](Self::strides) (the column-wise form
    /// of [`add`](Self::add)).
    #[inline]
    pub fn add_at(
        &mut self,
        slot_index: usize,
        label: bool,
        prediction: bool,
        weight: Option<f64>,
    ) {
        let s = slot(label, prediction);
        self.counts[slot_index][s] += 1;
        if let (Some((w, w2)), Some(x)) = (&mut self.weighted, weight) {
            w[slot_index][s] += x;
            w2[slot_index][s] += x * x;
        }
    }

    /// Counts unweighted rows at their slots: row `i` at `slots[i]` with `labels[i]`,
    /// `predictions[i]` (a missing one counts as `false`; callers pass complete rows).
    pub fn add_all_at(
        &mut self,
        slots: &[usize],
        labels: &[Option<bool>],
        predictions: &[Option<bool>],
    ) {
        for ((&i, y), p) in slots.iter().zip(labels).zip(predictions) {
            self.counts[i][slot(y.unwrap_or_default(), p.unwrap_or_default())] += 1;
        }
    }

    /// The number of slots of the current layout (the product of the attributes' level
    /// counts). Valid until the next [`code`](Self::code) registers a new level.
    pub fn slots(&self) -> usize {
        self.counts.len()
    }

    /// Adds counts laid out flat, `[slot][tn, fp, fn, tp]` (a row of slot `s` at index
    /// `4s + 2·label + prediction`): a batch's histogram over the current layout. Entries past
    /// `4 × slots()` are ignored.
    pub fn add_flat(&mut self, flat: &[u64]) {
        for (total, batch) in self.counts.iter_mut().zip(flat.chunks_exact(4)) {
            for (t, b) in total.iter_mut().zip(batch) {
                *t += b;
            }
        }
    }

    /// Counts rows column-wise from 0/1 labels and predictions (checked by the caller to hold
    /// only 0 and 1), row `i` at slot `slot_of(i)` (from [`strides`](Self::strides)).
    #[inline]
    pub fn add_zero_one_with(
        &mut self,
        labels: &[i64],
        predictions: &[i64],
        mut slot_of: impl FnMut(usize) -> usize,
    ) {
        for (i, (&y, &p)) in labels.iter().zip(predictions).enumerate() {
            // (The mask keeps the index provably in range: no bounds check per row.)
            self.counts[slot_of(i)][((y as usize) << 1 | p as usize) & 3] += 1;
        }
    }

    /// Counts one row's score at a slot (the column-wise form of [`add_score`](Self::add_score)).
    #[inline]
    pub fn add_score_at(&mut self, slot_index: usize, label: bool, score: f64) {
        if let Some(edges) = &self.score_edges {
            let bins = edges.len() + 1;
            let b = edges.partition_point(|e| *e <= score);
            self.scores[(slot_index * 2 + usize::from(label)) * bins + b] += 1;
        }
    }

    /// The dense slot of a row with the given codes (from [`code`](Self::code)).
    #[inline]
    pub fn slot_of(&self, codes: &[u32]) -> usize {
        codes
            .iter()
            .zip(&self.strides)
            .map(|(&c, &s)| c as usize * s)
            .sum()
    }

    /// Counts one row.
    #[inline]
    pub fn add(&mut self, codes: &[u32], label: bool, prediction: bool, weight: Option<f64>) {
        let i = self.slot_of(codes);
        let s = slot(label, prediction);
        self.counts[i][s] += 1;
        if let (Some((w, w2)), Some(x)) = (&mut self.weighted, weight) {
            w[i][s] += x;
            w2[i][s] += x * x;
        }
    }

    /// Counts one row's score into the histogram (no-op without bins).
    #[inline]
    pub fn add_score(&mut self, codes: &[u32], label: bool, score: f64) {
        if let Some(edges) = &self.score_edges {
            let bins = edges.len() + 1;
            let b = edges.partition_point(|e| *e <= score);
            let i = self.slot_of(codes);
            self.scores[(i * 2 + usize::from(label)) * bins + b] += 1;
        }
    }

    /// The canonical tensor.
    ///
    /// Levels registered but never counted (a reader may register a whole dictionary at once)
    /// are left out, so the levels are those of the counted rows however they were registered.
    pub fn finish(self) -> Result<CountTensor, CountsError> {
        let k = self.names.len();
        let mut counted: Vec<Vec<bool>> =
            self.values.iter().map(|v| vec![false; v.len()]).collect();
        for (old, c) in self.counts.iter().enumerate() {
            if c.iter().any(|&x| x > 0) {
                for a in 0..k {
                    let code = (old / self.strides[a]) % self.capacity[a];
                    if let Some(u) = counted[a].get_mut(code) {
                        *u = true;
                    }
                }
            }
        }
        let attributes: Vec<Attribute> = self
            .names
            .iter()
            .zip(&self.values)
            .zip(&counted)
            .map(|((n, v), used)| {
                let kept = v
                    .iter()
                    .zip(used)
                    .filter(|(_, u)| **u)
                    .map(|(l, _)| l.clone());
                Attribute::new(n.clone(), kept)
            })
            .collect();
        let mut out = CountTensor::new(attributes, self.weighted.is_some())?;
        if let Some(e) = &self.score_edges {
            out = out.with_score_bins(e.clone());
        }
        let maps: Vec<Vec<usize>> = out
            .attributes
            .iter()
            .zip(&self.values)
            .map(|(a, vals)| {
                // An uncounted level maps nowhere; its cells hold no counts and are skipped.
                vals.iter()
                    .map(|l| a.level_index(l).unwrap_or(usize::MAX))
                    .collect()
            })
            .collect();
        let bins = self.score_edges.as_ref().map_or(0, |e| e.len() + 1);
        let mut codes = vec![0usize; k];
        'cells: for old in 0..self.counts.len() {
            for a in 0..k {
                let c = (old / self.strides[a]) % self.capacity[a];
                if c >= self.values[a].len() {
                    continue 'cells; // unused capacity
                }
                codes[a] = maps[a][c];
                if codes[a] == usize::MAX {
                    continue 'cells; // an uncounted level: nothing to move
                }
            }
            let to = out.cell(&codes).0;
            for s in 0..4 {
                out.counts[to][s] += self.counts[old][s];
            }
            if let (Some(w), Some(w2), Some((ow, ow2))) =
                (&mut out.weighted, &mut out.weighted_sq, &self.weighted)
            {
                for s in 0..4 {
                    w[to][s] += ow[old][s];
                    w2[to][s] += ow2[old][s];
                }
            }
            if let Some(h) = &mut out.scores {
                for j in 0..2 * bins {
                    h.counts[to * 2 * bins + j] += self.scores[old * 2 * bins + j];
                }
            }
        }
        Ok(out)
    }
}

impl CountTensor {
    /// Restores the derived layout after deserialisation.
    pub fn relayout(mut self) -> CountTensor {
        self.strides = strides_of(&self.attributes);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lv(s: &str) -> Level {
        Level::Value(s.to_owned())
    }

    #[test]
    fn registered_but_uncounted_levels_are_dropped() {
        let mut b = TensorBuilder::new(vec!["g".into()], false, None).unwrap();
        let a = b.code(0, Some("a")).unwrap();
        b.code(0, Some("never")).unwrap();
        b.add(&[a], true, true, None);
        let t = b.finish().unwrap();
        assert_eq!(t.attributes()[0].levels, vec![lv("a"), Level::Missing]);
        assert_eq!(t.total_rows(), 1);
    }

    #[test]
    fn levels_are_canonical_with_missing_last() {
        let a = Attribute::new("age", [lv("10"), Level::Missing, lv("9"), lv("x"), lv("9")]);
        assert_eq!(a.levels, vec![lv("9"), lv("10"), lv("x"), Level::Missing]);
    }

    #[test]
    fn cell_codes_round_trip() {
        let t = CountTensor::new(
            vec![
                Attribute::new("a", [lv("p"), lv("q")]),
                Attribute::new("b", [lv("x"), lv("y"), lv("z")]),
            ],
            false,
        )
        .unwrap();
        assert_eq!(t.len(), 3 * 4);
        for cell in t.cells() {
            assert_eq!(t.cell(&t.codes(cell)), cell);
        }
        assert_eq!(t.key(t.cell(&[1, 2])), GroupKey(vec![lv("q"), lv("z")]));
    }

    #[test]
    fn too_many_cells_is_an_error() {
        let big = |n: &str| Attribute::new(n, (0..5000).map(|i| lv(&i.to_string())));
        let err = CountTensor::new(vec![big("a"), big("b")], false).unwrap_err();
        assert!(matches!(err, CountsError::TooManyCells { .. }));
    }

    #[test]
    fn builder_grows_and_canonicalises() {
        let mut b = TensorBuilder::new(vec!["s".into(), "r".into()], true, None).unwrap();
        let rows = [
            ("m", Some("b"), true, true, 2.0),
            ("f", None, false, true, 1.0),
            ("x", Some("a"), true, false, 0.5),
            ("f", Some("c"), false, false, 1.5),
            ("m", Some("b"), true, true, 1.0),
        ];
        for (s, r, y, p, w) in rows {
            let c = [b.code(0, Some(s)).unwrap(), b.code(1, r).unwrap()];
            b.add(&c, y, p, Some(w));
        }
        let t = b.finish().unwrap();
        assert_eq!(
            t.attributes()[0].levels,
            vec![lv("f"), lv("m"), lv("x"), Level::Missing]
        );
        assert_eq!(
            t.attributes()[1].levels,
            vec![lv("a"), lv("b"), lv("c"), Level::Missing]
        );
        let mb = t.cell(&[1, 1]);
        assert_eq!(t.counts(mb), [0, 0, 0, 2]);
        assert_eq!(t.confusion_weighted(mb).unwrap().tp, 3.0);
        assert_eq!(t.weight_squares(mb).unwrap().tp, 5.0);
        assert_eq!(t.counts(t.cell(&[0, 3])), [0, 1, 0, 0]);
        assert_eq!(t.total_rows(), 5);
    }

    #[test]
    fn builder_limits_levels() {
        let mut b = TensorBuilder::new(vec!["id".into()], false, None)
            .unwrap()
            .with_max_levels(3);
        for i in 0..3 {
            b.code(0, Some(&i.to_string())).unwrap();
        }
        assert!(matches!(
            b.code(0, Some("3")),
            Err(CountsError::TooManyLevels { .. })
        ));
    }

    #[test]
    fn score_histogram_bins_and_marginalises() {
        let mut b =
            TensorBuilder::new(vec!["g".into(), "h".into()], false, Some(vec![0.5])).unwrap();
        for (g, h, y, s) in [
            ("a", "x", true, 0.7),
            ("a", "y", false, 0.2),
            ("b", "y", true, 0.5),
        ] {
            let c = [b.code(0, Some(g)).unwrap(), b.code(1, Some(h)).unwrap()];
            b.add(&c, y, s >= 0.5, None);
            b.add_score(&c, y, s);
        }
        let t = b.finish().unwrap();
        let m = t.marginalize(&[0]).unwrap();
        let h = m.scores().unwrap();
        // cell a: label0 bin0 = 1, label1 bin1 = 1; cell b: label1 bin1 = 1
        assert_eq!(&h.counts[0..4], &[1, 0, 0, 1]);
        assert_eq!(&h.counts[4..8], &[0, 0, 0, 1]);
    }

    #[test]
    fn score_counts_equal_repeated_scores() {
        let mut one_by_one = CountTensor::new(vec![Attribute::new("g", [lv("a"), lv("b")])], false)
            .unwrap()
            .with_score_bins(vec![0.25, 0.5]);
        let mut counted = one_by_one.clone();
        let b = one_by_one.cell(&[1]);
        for s in [0.1, 0.3, 0.3, 0.9] {
            one_by_one.add_score(b, true, s);
        }
        counted.add_score_counts(b, true, 0, 1);
        counted.add_score_counts(b, true, 1, 2);
        counted.add_score_counts(b, true, 2, 1);
        assert_eq!(one_by_one, counted);
    }

    /// A random tensor over 2 attributes with levels drawn from small alphabets.
    fn arb_rows() -> impl Strategy<Value = Vec<(u8, u8, bool, bool, u8)>> {
        prop::collection::vec(
            (0u8..4, 0u8..3, any::<bool>(), any::<bool>(), 0u8..5),
            0..60,
        )
    }

    fn build(rows: &[(u8, u8, bool, bool, u8)]) -> CountTensor {
        let mut b =
            TensorBuilder::new(vec!["a".into(), "b".into()], true, Some(vec![1.0, 3.0])).unwrap();
        for &(x, y, l, p, w) in rows {
            let xa = (x < 3).then(|| x.to_string());
            let c = [
                b.code(0, xa.as_deref()).unwrap(),
                b.code(1, Some(&format!("v{y}"))).unwrap(),
            ];
            b.add(&c, l, p, Some(f64::from(w)));
            b.add_score(&c, l, f64::from(w));
        }
        b.finish().unwrap()
    }

    fn merged(a: &CountTensor, b: &CountTensor) -> CountTensor {
        let mut m = a.clone();
        m.merge(b).unwrap();
        m
    }

    proptest! {
        #[test]
        fn merge_is_commutative(r1 in arb_rows(), r2 in arb_rows()) {
            let (a, b) = (build(&r1), build(&r2));
            prop_assert_eq!(merged(&a, &b), merged(&b, &a));
        }

        #[test]
        fn merge_is_associative(r1 in arb_rows(), r2 in arb_rows(), r3 in arb_rows()) {
            let (a, b, c) = (build(&r1), build(&r2), build(&r3));
            prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
        }

        #[test]
        fn merge_equals_building_from_concatenated_rows(r1 in arb_rows(), r2 in arb_rows()) {
            let all: Vec<_> = r1.iter().chain(&r2).copied().collect();
            prop_assert_eq!(merged(&build(&r1), &build(&r2)), build(&all));
        }

        #[test]
        fn row_order_does_not_matter(mut r in arb_rows()) {
            let a = build(&r);
            r.reverse();
            prop_assert_eq!(a, build(&r));
        }

        #[test]
        fn marginalisation_is_consistent(r in arb_rows()) {
            let t = build(&r);
            // Marginalising in two steps equals one step.
            let two_step = t.marginalize(&[1, 0]).unwrap().marginalize(&[1]).unwrap();
            prop_assert_eq!(two_step, t.marginalize(&[0]).unwrap());
            // Totals are preserved.
            let m = t.marginalize(&[]).unwrap();
            prop_assert_eq!(m.total_rows(), t.total_rows());
            prop_assert_eq!(m.len(), 1);
        }

        #[test]
        fn marginalisation_commutes_with_merge(r1 in arb_rows(), r2 in arb_rows()) {
            let (a, b) = (build(&r1), build(&r2));
            let lhs = merged(&a, &b).marginalize(&[1]).unwrap();
            let rhs = merged(&a.marginalize(&[1]).unwrap(), &b.marginalize(&[1]).unwrap());
            prop_assert_eq!(lhs, rhs);
        }
    }
}
