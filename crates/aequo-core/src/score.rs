//! Score-based metrics by group: ROC AUC, ROC curves, ABROCA, Brier score, expected calibration
//! error and reliability curves (issue 3, item 4).
//!
//! Like the count tensor, everything here is computed from per-cell summaries that **merge by
//! addition**, so one streamed pass fills them, partial summaries from threads or partitions add
//! up, and marginal and intersectional groups are sums of cells. Two summaries of a cell's scores
//! exist, per label (0 and 1):
//!
//! * [`BinnedScores`] — per bin of fixed [`ScoreBins`]: the summed weight and the summed
//!   weighted score, and per label the summed weighted squared score. Memory is
//!   O(cells × bins). AUC treats two scores in the same bin as tied, so it is exact up to ties
//!   within a bin; the bound on that error is returned with the value ([`AucEstimate`]). Brier is
//!   exact (it needs only the sums); calibration is exact when its bins are a coarsening of the
//!   score bins.
//! * [`ExactScores`] — per distinct score value, its summed weight (a sorted map). Memory grows
//!   with the number of distinct scores per cell and label (16 bytes of score and weight an
//!   entry plus the B-tree's node overhead): a logistic model's scores are nearly all
//!   distinct, so a cell holds about one entry per row; a decile score holds ten. Every quantity is then exact, AUC included, with ties counted ½
//!   as in `sklearn.metrics.roc_auc_score`.
//!
//! A group's metrics are computed from a [`ScoreDistribution`], which either summary turns into
//! (after merging the cells of the group). Cells live in a [`CellTable`], a dense table laid out
//! exactly like [`CountTensor`] (same attributes, same cell index),
//! which also holds the regression and multiclass summaries of the sibling modules.
//!
//! **Bins** are left-closed like the tensor's histogram: with ascending edges e₀ < … < e_{m−1},
//! a score s falls in bin #{i : eᵢ ≤ s}, so bin 0 is (−∞, e₀), bin i is [e_{i−1}, eᵢ) and the
//! last is [e_{m−1}, ∞). scikit-learn's `calibration_curve` closes its bins on the right
//! (`np.searchsorted(bins[1:-1], y_prob)`), so a score lying exactly on an inner edge goes one
//! bin lower there; elsewhere the two agree.
//!
//! **Use in a scan and an audit.** A scan keeps one table (or, while levels are still being
//! discovered, one [`CellBuilder`] keyed by the tensor builder's codes) beside the count tensor,
//! and per row calls `add` on the row's cell: `ExactScores::add(label, score, weight)` or
//! `BinnedScores::add(&bins, label, score, weight)` (via [`CellTable::parts_mut`] /
//! [`CellBuilder::entry`]). The audit marginalises the table with the same attribute positions
//! as the tensor, and per group calls `distribution()` and then [`ScoreDistribution::auc`],
//! [`roc`](ScoreDistribution::roc), [`brier`](ScoreDistribution::brier),
//! [`expected_calibration_error`](ScoreDistribution::expected_calibration_error),
//! [`reliability`](ScoreDistribution::reliability), and [`abroca`] against
//! [`CellTable::rest`] or a reference group. A bootstrap replicate is
//! [`CellTable::map_cells`] with the summaries' `resample`.
//!
//! **Undefined values** carry their reason ([`Undefined`]): AUC, the ROC curve and ABROCA need
//! both classes in the group ([`Undefined::MissingClass`]); Brier and calibration need at least
//! one row ([`Undefined::EmptyGroup`]). No NaN leaves this module.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::counts::{Attribute, CellIndex, CountTensor, CountsError, GroupKey, ScoreHistogram};
use crate::value::{Undefined, Value};

// ------------------------------------------------------------------------------ errors ---

/// Why a score summary cannot be built, filled or combined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    /// A score that is NaN or infinite.
    #[error("score {0} is not a finite number; drop or impute such rows before the audit")]
    NotFinite(f64),
    /// A weight that is negative or not finite.
    #[error("weight {0} is negative or not finite")]
    BadWeight(f64),
    /// Bin edges that are not finite and strictly ascending.
    #[error("bin edge {index} ({value}) is not finite or not above the previous edge; edges must be finite and strictly ascending")]
    BadEdges {
        /// Position of the offending edge.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// Zero bins were asked for.
    #[error("the number of bins must be at least 1")]
    ZeroBins,
    /// Calibration bins that cut through a bin of the binned summary.
    #[error("calibration bin edge {edge} falls inside a score bin; calibration bins must be a coarsening of the score bins (every calibration edge a score edge)")]
    BinsNotNested {
        /// The calibration edge that is not a score edge.
        edge: f64,
    },
    /// A distribution built from counts alone (the tensor's histogram) has no score sums.
    #[error("this score summary holds counts only (no score sums); Brier score and calibration need a BinnedScores or ExactScores summary")]
    CountsOnly,
}

/// Why a [`CellTable`] cannot be built or combined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// A layout problem (attributes, levels, cell limit), as for the count tensor.
    #[error(transparent)]
    Counts(#[from] CountsError),
    /// Two tables whose cells have different shapes (bin edges, classes).
    #[error("cannot merge tables whose cells have different shapes (bin edges or classes differ)")]
    ShapeMismatch,
    /// A group key with a level the table does not have.
    #[error("level '{level}' of attribute '{attribute}' is not in the table")]
    UnknownLevel {
        /// The attribute.
        attribute: String,
        /// The level.
        level: String,
    },
}

// ------------------------------------------------------------------------- cell table ---

/// A summary kept per cell that merges by addition (a commutative monoid whose identity is
/// [`empty`](CellStats::empty)).
pub trait CellStats: Clone + std::fmt::Debug + PartialEq {
    /// What every cell of a table shares and two tables must agree on to merge: bin edges,
    /// class names, or `()`.
    type Shape: Clone + std::fmt::Debug + PartialEq;

    /// The summary of no rows.
    fn empty(shape: &Self::Shape) -> Self;

    /// Adds another cell's summary (of the same shape) into this one.
    fn merge(&mut self, other: &Self);
}

/// A dense table of per-cell summaries over the Cartesian product of the sensitive attributes'
/// levels, laid out exactly as [`CountTensor`]: the same canonical [`Attribute`]s (checked by
/// building an empty tensor), row-major with the last attribute fastest, so a [`CellIndex`] of
/// the tensor addresses the same cell here. It merges (aligning differing level sets to their
/// union) and marginalises like the tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "S: Serialize, S::Shape: Serialize",
    deserialize = "S: Deserialize<'de>, S::Shape: Deserialize<'de>"
))]
pub struct CellTable<S: CellStats> {
    attributes: Vec<Attribute>,
    shape: S::Shape,
    cells: Vec<S>,
}

impl<S: CellStats> CellTable<S> {
    /// An empty table over canonical attributes (see [`Attribute::new`]).
    pub fn new(attributes: Vec<Attribute>, shape: S::Shape) -> Result<CellTable<S>, TableError> {
        // The tensor's constructor checks names, canonical levels and the cell limit.
        let layout = CountTensor::new(attributes.clone(), false)?;
        let cells = vec![S::empty(&shape); layout.len()];
        Ok(CellTable {
            attributes,
            shape,
            cells,
        })
    }

    /// An empty table with the same attributes as a tensor.
    pub fn like(tensor: &CountTensor, shape: S::Shape) -> Result<CellTable<S>, TableError> {
        CellTable::new(tensor.attributes().to_vec(), shape)
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// What every cell shares (bin edges, classes).
    pub fn shape(&self) -> &S::Shape {
        &self.shape
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the table has no cells (canonical attributes always give at least one).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn strides(&self) -> Vec<usize> {
        let mut strides = vec![1; self.attributes.len()];
        for i in (0..self.attributes.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * self.attributes[i + 1].levels.len();
        }
        strides
    }

    /// The cell of the given level positions (one per attribute).
    ///
    /// # Panics
    /// If `codes` has the wrong length or a position is out of range (as
    /// [`CountTensor::cell`]).
    pub fn cell(&self, codes: &[usize]) -> CellIndex {
        assert_eq!(codes.len(), self.attributes.len(), "one code per attribute");
        let mut idx = 0;
        for ((c, s), a) in codes.iter().zip(self.strides()).zip(&self.attributes) {
            assert!(*c < a.levels.len(), "level position out of range");
            idx += c * s;
        }
        CellIndex(idx)
    }

    /// The level positions of a cell.
    pub fn codes(&self, cell: CellIndex) -> Vec<usize> {
        self.strides()
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

    /// The cell of a group key (one level per attribute).
    pub fn cell_of(&self, key: &GroupKey) -> Result<CellIndex, TableError> {
        let codes = key
            .0
            .iter()
            .zip(&self.attributes)
            .map(|(l, a)| {
                a.level_index(l).ok_or_else(|| TableError::UnknownLevel {
                    attribute: a.name.0.clone(),
                    level: l.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if codes.len() != self.attributes.len() {
            return Err(TableError::Counts(CountsError::NoSuchAttribute(
                codes.len(),
            )));
        }
        Ok(self.cell(&codes))
    }

    /// Iterates over all cells.
    pub fn cells(&self) -> impl Iterator<Item = CellIndex> {
        (0..self.cells.len()).map(CellIndex)
    }

    /// A cell's summary.
    pub fn get(&self, cell: CellIndex) -> &S {
        &self.cells[cell.0]
    }

    /// A cell's summary, to add rows to.
    pub fn get_mut(&mut self, cell: CellIndex) -> &mut S {
        &mut self.cells[cell.0]
    }

    /// The shape and a cell's summary, mutably: what the `add` methods of the summaries take.
    pub fn parts_mut(&mut self, cell: CellIndex) -> (&S::Shape, &mut S) {
        (&self.shape, &mut self.cells[cell.0])
    }

    /// A table of the same layout with every cell transformed, e.g. by a summary's `resample`
    /// for one bootstrap replicate.
    pub fn map_cells(&self, mut f: impl FnMut(&S) -> S) -> CellTable<S> {
        CellTable {
            attributes: self.attributes.clone(),
            shape: self.shape.clone(),
            cells: self.cells.iter().map(&mut f).collect(),
        }
    }

    /// A table of the same layout holding another kind of summary (or the same kind with
    /// another shape, e.g. classes remapped to a union), each cell converted by `f`.
    pub fn map_shape<T: CellStats>(&self, shape: T::Shape, f: impl FnMut(&S) -> T) -> CellTable<T> {
        CellTable {
            attributes: self.attributes.clone(),
            shape,
            cells: self.cells.iter().map(f).collect(),
        }
    }

    /// Adds a summary into the cell of a group key (e.g. a partial summary a scan kept by key).
    pub fn add_at(&mut self, key: &GroupKey, stats: &S) -> Result<(), TableError> {
        let c = self.cell_of(key)?;
        self.cells[c.0].merge(stats);
        Ok(())
    }

    /// The merged summary of all cells: the whole population.
    pub fn total(&self) -> S {
        let mut t = S::empty(&self.shape);
        for c in &self.cells {
            t.merge(c);
        }
        t
    }

    /// The merged summary of every cell but one: "the rest" of a group.
    pub fn rest(&self, cell: CellIndex) -> S {
        let mut t = S::empty(&self.shape);
        for (i, c) in self.cells.iter().enumerate() {
            if i != cell.0 {
                t.merge(c);
            }
        }
        t
    }

    /// Adds another table over the same attribute names and shape. Levels need not agree: the
    /// result has the union of both tables' levels (as [`CountTensor::merge`]).
    pub fn merge(&mut self, other: &CellTable<S>) -> Result<(), TableError> {
        let names = |t: &CellTable<S>| {
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
            }
            .into());
        }
        if self.shape != other.shape {
            return Err(TableError::ShapeMismatch);
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
            let aligned = other.align(&union)?;
            *self = self.align(&union)?;
            return self.merge(&aligned);
        }
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            a.merge(b);
        }
        Ok(())
    }

    /// The same summaries laid out over `target` attributes, which must have the same names and
    /// contain every level this table has (extra levels get empty cells).
    pub fn align(&self, target: &[Attribute]) -> Result<CellTable<S>, TableError> {
        let mut out = CellTable::<S>::new(target.to_vec(), self.shape.clone())?;
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
            out.cells[to.0].merge(&self.cells[cell.0]);
        }
        Ok(out)
    }

    /// Sums out every attribute not in `keep` (positions, in the order given), as
    /// [`CountTensor::marginalize`].
    pub fn marginalize(&self, keep: &[usize]) -> Result<CellTable<S>, TableError> {
        if let Some(&bad) = keep.iter().find(|&&k| k >= self.attributes.len()) {
            return Err(CountsError::NoSuchAttribute(bad).into());
        }
        let attrs: Vec<Attribute> = keep.iter().map(|&k| self.attributes[k].clone()).collect();
        let mut out = CellTable::<S>::new(attrs, self.shape.clone())?;
        for cell in self.cells() {
            let codes = self.codes(cell);
            let kept: Vec<usize> = keep.iter().map(|&k| codes[k]).collect();
            let to = out.cell(&kept);
            out.cells[to.0].merge(&self.cells[cell.0]);
        }
        Ok(out)
    }
}

/// Per-cell summaries of a scan whose attribute levels are not known in advance, keyed by the
/// level codes a [`TensorBuilder`](crate::counts::TensorBuilder) hands out (discovery order).
/// Memory is one entry per combination seen. [`finish`](CellBuilder::finish) maps the codes to
/// levels and lays the summaries out as a [`CellTable`] in canonical order, like
/// `TensorBuilder::finish`; tables from several threads then [`merge`](CellTable::merge).
#[derive(Debug, Clone)]
pub struct CellBuilder<S: CellStats> {
    shape: S::Shape,
    cells: std::collections::HashMap<Vec<u32>, S>,
}

impl<S: CellStats> CellBuilder<S> {
    /// An empty builder whose cells share `shape`.
    pub fn new(shape: S::Shape) -> CellBuilder<S> {
        CellBuilder {
            shape,
            cells: std::collections::HashMap::new(),
        }
    }

    /// The shape and the summary of the cell with these codes (created empty on first sight):
    /// what the summaries' `add` methods take.
    pub fn entry(&mut self, codes: &[u32]) -> (&S::Shape, &mut S) {
        if !self.cells.contains_key(codes) {
            self.cells.insert(codes.to_vec(), S::empty(&self.shape));
        }
        let cell = self
            .cells
            .get_mut(codes)
            .expect("inserted above when absent");
        (&self.shape, cell)
    }

    /// The table over attributes `names`, where `levels[a][code]` is the level that attribute
    /// a's code stands for (the builder's dictionary, in discovery order).
    pub fn finish(
        self,
        names: &[String],
        levels: &[Vec<crate::counts::Level>],
    ) -> Result<CellTable<S>, TableError> {
        let attributes: Vec<Attribute> = names
            .iter()
            .zip(levels)
            .map(|(n, l)| Attribute::new(n.clone(), l.iter().cloned()))
            .collect();
        let mut table = CellTable::<S>::new(attributes, self.shape)?;
        for (codes, stats) in &self.cells {
            let key = codes
                .iter()
                .zip(levels)
                .map(|(&c, l)| {
                    l.get(c as usize)
                        .cloned()
                        .ok_or(TableError::Counts(CountsError::NoSuchAttribute(c as usize)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            table.add_at(&GroupKey(key), stats)?;
        }
        Ok(table)
    }
}

// ------------------------------------------------------------------------------- bins ---

/// Fixed score bins: ascending finite edges; a score s falls in bin #{e ∈ edges : e ≤ s}, so
/// there are `edges.len() + 1` bins (the same rule as the tensor's [`ScoreHistogram`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct ScoreBins {
    edges: Vec<f64>,
}

impl TryFrom<Vec<f64>> for ScoreBins {
    type Error = ScoreError;
    fn try_from(edges: Vec<f64>) -> Result<ScoreBins, ScoreError> {
        ScoreBins::new(edges)
    }
}

impl From<ScoreBins> for Vec<f64> {
    fn from(b: ScoreBins) -> Vec<f64> {
        b.edges
    }
}

impl ScoreBins {
    /// Bins with the given edges, which must be finite and strictly ascending.
    pub fn new(edges: Vec<f64>) -> Result<ScoreBins, ScoreError> {
        for (i, &e) in edges.iter().enumerate() {
            if !e.is_finite() || (i > 0 && e <= edges[i - 1]) {
                return Err(ScoreError::BadEdges { index: i, value: e });
            }
        }
        Ok(ScoreBins { edges })
    }

    /// `bins` equal-width bins over [0, 1]: inner edges i/bins for i = 1 … bins−1 (scores below 0
    /// fall in the first bin, scores of 1 and above in the last). Each edge is the correctly
    /// rounded i/bins, so the edges of `equal_width(10)` are also edges of `equal_width(1000)`
    /// and the finer bins coarsen exactly into the wider ones.
    pub fn equal_width(bins: usize) -> Result<ScoreBins, ScoreError> {
        if bins == 0 {
            return Err(ScoreError::ZeroBins);
        }
        ScoreBins::new((1..bins).map(|i| i as f64 / bins as f64).collect())
    }

    /// The edges.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// Number of bins (`edges.len() + 1`).
    pub fn bins(&self) -> usize {
        self.edges.len() + 1
    }

    /// The bin a score falls in.
    pub fn bin_of(&self, score: f64) -> usize {
        self.edges.partition_point(|e| *e <= score)
    }

    /// Lower edge of a bin (`None` for the first, unbounded below).
    pub fn lower(&self, bin: usize) -> Option<f64> {
        bin.checked_sub(1).map(|i| self.edges[i])
    }

    /// Upper edge of a bin (`None` for the last, unbounded above).
    pub fn upper(&self, bin: usize) -> Option<f64> {
        self.edges.get(bin).copied()
    }
}

// ---------------------------------------------------------------------------- summaries ---

fn check(score: f64, weight: f64) -> Result<(), ScoreError> {
    if !score.is_finite() {
        return Err(ScoreError::NotFinite(score));
    }
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(ScoreError::BadWeight(weight));
    }
    Ok(())
}

/// One cell's scores in fixed bins, per label: summed weight and summed weighted score per bin,
/// and the summed weighted squared score. Unweighted rows have weight 1, so the weights are
/// counts. Merges by addition; the bins are the table's [shape](CellStats::Shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinnedScores {
    /// Rows per label (unweighted).
    pub rows: [u64; 2],
    /// Summed weight, `[label][bin]`.
    pub weight: [Vec<f64>; 2],
    /// Summed weight × score, `[label][bin]`.
    pub score_sum: [Vec<f64>; 2],
    /// Summed weight × score², per label.
    pub score_sq_sum: [f64; 2],
}

impl BinnedScores {
    /// The summary of no rows over the given bins.
    pub fn new(bins: &ScoreBins) -> BinnedScores {
        let z = || vec![0.0; bins.bins()];
        BinnedScores {
            rows: [0; 2],
            weight: [z(), z()],
            score_sum: [z(), z()],
            score_sq_sum: [0.0; 2],
        }
    }

    /// Counts one row (weight 1 when unweighted).
    pub fn add(
        &mut self,
        bins: &ScoreBins,
        label: bool,
        score: f64,
        weight: f64,
    ) -> Result<(), ScoreError> {
        check(score, weight)?;
        let l = usize::from(label);
        let b = bins.bin_of(score);
        self.rows[l] += 1;
        self.weight[l][b] += weight;
        self.score_sum[l][b] += weight * score;
        self.score_sq_sum[l] += weight * score * score;
        Ok(())
    }

    /// One bootstrap replicate: each (label, bin) weight w is replaced by `draw(w)` (for
    /// unweighted data, a Poisson(w) draw: DESIGN.md principle 2) and the bin's score sums are
    /// scaled with it, which keeps each bin's mean score — an approximation (the resampled rows
    /// of a bin are taken at the bin's mean), exact for AUC and ROC, which use only the weights.
    /// Rows are scaled likewise and rounded.
    pub fn resample(&self, draw: &mut impl FnMut(f64) -> f64) -> BinnedScores {
        let mut out = self.clone();
        for l in 0..2 {
            let mut sq_scale_num = 0.0;
            for b in 0..self.weight[l].len() {
                let w = self.weight[l][b];
                if w == 0.0 {
                    continue;
                }
                let r = draw(w);
                out.weight[l][b] = r;
                out.score_sum[l][b] = self.score_sum[l][b] * r / w;
                sq_scale_num += r;
            }
            let total: f64 = self.weight[l].iter().sum();
            let scale = if total > 0.0 {
                sq_scale_num / total
            } else {
                0.0
            };
            out.score_sq_sum[l] = self.score_sq_sum[l] * scale;
            out.rows[l] = (self.rows[l] as f64 * scale).round() as u64;
        }
        out
    }

    /// The distribution metrics are computed from.
    pub fn distribution(&self, bins: &ScoreBins) -> ScoreDistribution {
        let mut atoms = Vec::new();
        for b in 0..bins.bins() {
            let w = [self.weight[0][b], self.weight[1][b]];
            if w[0] == 0.0 && w[1] == 0.0 {
                continue;
            }
            atoms.push(Atom {
                lo: bins.lower(b).unwrap_or(f64::NEG_INFINITY),
                hi: bins.upper(b).unwrap_or(f64::INFINITY),
                weight: w,
                score_sum: [self.score_sum[0][b], self.score_sum[1][b]],
            });
        }
        ScoreDistribution {
            atoms,
            exact: false,
            sums: true,
            rows: self.rows,
            score_sq_sum: self.score_sq_sum,
        }
    }
}

impl CellStats for BinnedScores {
    type Shape = ScoreBins;

    fn empty(shape: &ScoreBins) -> BinnedScores {
        BinnedScores::new(shape)
    }

    fn merge(&mut self, o: &BinnedScores) {
        for l in 0..2 {
            self.rows[l] += o.rows[l];
            self.score_sq_sum[l] += o.score_sq_sum[l];
            for (a, b) in self.weight[l].iter_mut().zip(&o.weight[l]) {
                *a += b;
            }
            for (a, b) in self.score_sum[l].iter_mut().zip(&o.score_sum[l]) {
                *a += b;
            }
        }
    }
}

/// A finite score as a map key, ordered numerically; −0.0 is stored as 0.0 so the two compare
/// equal (as they do for scikit-learn).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key(f64);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// One cell's scores exactly: per label, a sorted map from each distinct score to its summed
/// weight (its count when unweighted). Memory grows with the number of distinct scores (see the
/// module docs); in exchange AUC, ROC, Brier and calibration are exact. Merges by addition.
/// Serialised as `{"rows": [n0, n1], "scores": [[[score, weight], …], […]]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(into = "ExactRepr", from = "ExactRepr")]
pub struct ExactScores {
    rows: [u64; 2],
    maps: [BTreeMap<Key, f64>; 2],
}

#[derive(Serialize, Deserialize)]
struct ExactRepr {
    rows: [u64; 2],
    scores: [Vec<(f64, f64)>; 2],
}

impl From<ExactScores> for ExactRepr {
    fn from(e: ExactScores) -> ExactRepr {
        let list = |m: &BTreeMap<Key, f64>| m.iter().map(|(k, w)| (k.0, *w)).collect();
        ExactRepr {
            rows: e.rows,
            scores: [list(&e.maps[0]), list(&e.maps[1])],
        }
    }
}

impl From<ExactRepr> for ExactScores {
    fn from(r: ExactRepr) -> ExactScores {
        let mut e = ExactScores {
            rows: r.rows,
            ..ExactScores::default()
        };
        for (l, list) in r.scores.iter().enumerate() {
            for &(s, w) in list {
                if s.is_finite() {
                    *e.maps[l].entry(Key(s + 0.0)).or_insert(0.0) += w;
                }
            }
        }
        e
    }
}

impl ExactScores {
    /// The summary of no rows.
    pub fn new() -> ExactScores {
        ExactScores::default()
    }

    /// Counts one row (weight 1 when unweighted).
    pub fn add(&mut self, label: bool, score: f64, weight: f64) -> Result<(), ScoreError> {
        check(score, weight)?;
        let l = usize::from(label);
        self.rows[l] += 1;
        // `+ 0.0` turns −0.0 into +0.0.
        *self.maps[l].entry(Key(score + 0.0)).or_insert(0.0) += weight;
        Ok(())
    }

    /// Rows per label (unweighted).
    pub fn rows(&self) -> [u64; 2] {
        self.rows
    }

    /// One bootstrap replicate: each (label, distinct score) weight w is replaced by `draw(w)`
    /// (for unweighted data a Poisson(w) draw, which is exactly the Poisson bootstrap of those
    /// rows: DESIGN.md principle 2); entries drawn as 0 are dropped. Exact for every metric here.
    /// `rows` become the rounded replicate totals.
    pub fn resample(&self, draw: &mut impl FnMut(f64) -> f64) -> ExactScores {
        let mut out = ExactScores::default();
        for l in 0..2 {
            let mut total = 0.0;
            for (k, w) in &self.maps[l] {
                let r = draw(*w);
                if r > 0.0 {
                    out.maps[l].insert(*k, r);
                    total += r;
                }
            }
            out.rows[l] = total.round() as u64;
        }
        out
    }

    /// Distinct scores held per label (what the memory grows with).
    pub fn distinct(&self) -> [usize; 2] {
        [self.maps[0].len(), self.maps[1].len()]
    }

    /// The distribution metrics are computed from.
    pub fn distribution(&self) -> ScoreDistribution {
        let mut atoms: Vec<Atom> = Vec::with_capacity(self.maps[0].len() + self.maps[1].len());
        let mut a = self.maps[0].iter().peekable();
        let mut b = self.maps[1].iter().peekable();
        let mut sq = [0.0; 2];
        loop {
            let ka = a.peek().map(|(k, _)| **k);
            let kb = b.peek().map(|(k, _)| **k);
            let order = match (ka, kb) {
                (None, None) => break,
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
            };
            let (s, w) = match order {
                Ordering::Less => {
                    let (k, w) = a.next().expect("peeked");
                    (k.0, [*w, 0.0])
                }
                Ordering::Greater => {
                    let (k, w) = b.next().expect("peeked");
                    (k.0, [0.0, *w])
                }
                Ordering::Equal => {
                    let (k, wa) = a.next().expect("peeked");
                    let (_, wb) = b.next().expect("peeked");
                    (k.0, [*wa, *wb])
                }
            };
            sq[0] += w[0] * s * s;
            sq[1] += w[1] * s * s;
            atoms.push(Atom {
                lo: s,
                hi: s,
                weight: w,
                score_sum: [w[0] * s, w[1] * s],
            });
        }
        ScoreDistribution {
            atoms,
            exact: true,
            sums: true,
            rows: self.rows,
            score_sq_sum: sq,
        }
    }
}

impl CellStats for ExactScores {
    type Shape = ();

    fn empty(_: &()) -> ExactScores {
        ExactScores::default()
    }

    fn merge(&mut self, o: &ExactScores) {
        for l in 0..2 {
            self.rows[l] += o.rows[l];
            for (k, w) in &o.maps[l] {
                *self.maps[l].entry(*k).or_insert(0.0) += w;
            }
        }
    }
}

// ------------------------------------------------------------------------ distribution ---

/// A run of scores the summary cannot tell apart: one distinct value (exact mode, lo = hi) or
/// one bin [lo, hi) (binned mode; infinite ends for the outer bins — internal only).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Atom {
    lo: f64,
    hi: f64,
    weight: [f64; 2],
    score_sum: [f64; 2],
}

/// A group's scores per label, ascending, as either summary describes them: what every score
/// metric is computed from. Build it with [`ExactScores::distribution`],
/// [`BinnedScores::distribution`] or [`ScoreDistribution::from_histogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDistribution {
    atoms: Vec<Atom>,
    exact: bool,
    sums: bool,
    rows: [u64; 2],
    score_sq_sum: [f64; 2],
}

/// ROC AUC with the bound on its error from scores the summary cannot tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AucEstimate {
    /// AUC, or why it is undefined.
    pub value: Value,
    /// |AUC − exact AUC| ≤ `tie_bound`. 0 in exact mode (genuine ties count ½, as scikit-learn
    /// does); in binned mode ½ Σ_b w⁺_b w⁻_b / (W⁺ W⁻), half the share of positive×negative
    /// pairs that fall in the same bin.
    pub tie_bound: f64,
}

/// A point of a ROC curve: the rates when rows with score ≥ `threshold` are predicted positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// The threshold (a distinct score in exact mode, a bin's lower edge in binned mode);
    /// `None` where no finite threshold gives the point: the start (0, 0), where no row is
    /// predicted positive, and in binned mode the lowest bin, whose lower edge is −∞.
    pub threshold: Option<f64>,
    /// False-positive rate.
    pub fpr: f64,
    /// True-positive rate.
    pub tpr: f64,
}

/// One bin of a reliability curve (calibration plot).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// The bin's position in the calibration bins.
    pub bin: usize,
    /// Its lower edge (`None` = unbounded).
    pub lower: Option<f64>,
    /// Its upper edge (`None` = unbounded).
    pub upper: Option<f64>,
    /// Summed weight of its rows (their count when unweighted).
    pub weight: f64,
    /// Mean predicted score, Σ w s / Σ w (scikit-learn's `prob_pred`).
    pub mean_predicted: f64,
    /// Observed rate of label 1, Σ w y / Σ w (scikit-learn's `prob_true`).
    pub observed_rate: f64,
}

impl ScoreDistribution {
    /// The score distribution of a cell of the tensor's histogram: counts only, so AUC and ROC
    /// (with the binned tie bound) but no Brier score or calibration ([`ScoreError::CountsOnly`]).
    pub fn from_histogram(h: &ScoreHistogram, cell: CellIndex) -> ScoreDistribution {
        let bins = h.edges.len() + 1;
        let at = |label: usize, b: usize| h.counts[(cell.0 * 2 + label) * bins + b];
        let mut atoms = Vec::new();
        let mut rows = [0; 2];
        for b in 0..bins {
            let c = [at(0, b), at(1, b)];
            rows[0] += c[0];
            rows[1] += c[1];
            if c == [0, 0] {
                continue;
            }
            atoms.push(Atom {
                lo: b.checked_sub(1).map_or(f64::NEG_INFINITY, |i| h.edges[i]),
                hi: h.edges.get(b).copied().unwrap_or(f64::INFINITY),
                weight: c.map(|x| x as f64),
                score_sum: [0.0; 2],
            });
        }
        ScoreDistribution {
            atoms,
            exact: false,
            sums: false,
            rows,
            score_sq_sum: [0.0; 2],
        }
    }

    /// Whether the distribution holds every distinct score (exact mode).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Rows per label (unweighted).
    pub fn rows(&self) -> [u64; 2] {
        self.rows
    }

    /// Summed weight of label-0 rows, W⁻ (their count when unweighted).
    pub fn negatives(&self) -> f64 {
        self.atoms.iter().map(|a| a.weight[0]).sum()
    }

    /// Summed weight of label-1 rows, W⁺.
    pub fn positives(&self) -> f64 {
        self.atoms.iter().map(|a| a.weight[1]).sum()
    }

    fn both_classes(&self) -> Result<(f64, f64), Undefined> {
        let (n, p) = (self.negatives(), self.positives());
        if n == 0.0 && p == 0.0 {
            Err(Undefined::EmptyGroup)
        } else if n == 0.0 || p == 0.0 {
            Err(Undefined::MissingClass {
                positives: p,
                negatives: n,
            })
        } else {
            Ok((n, p))
        }
    }

    /// ROC AUC: the probability that a random positive scores above a random negative, ties
    /// counted ½ (weighted by the rows' weights):
    ///
    /// `AUC = Σ_{i: y=1} Σ_{j: y=0} wᵢ wⱼ (1[sᵢ > sⱼ] + ½ 1[sᵢ = sⱼ]) / (W⁺ W⁻)`,
    ///
    /// computed in one ascending sweep as Σ_v w⁺_v (W⁻_{<v} + ½ w⁻_v) / (W⁺ W⁻). This is
    /// `sklearn.metrics.roc_auc_score` (the trapezoidal area under the ROC curve equals the
    /// Mann–Whitney statistic with ties ½; Hanley & McNeil 1982). In binned mode a bin is one
    /// value, and [`AucEstimate::tie_bound`] bounds the error. Undefined unless both classes
    /// have positive weight.
    pub fn auc(&self) -> AucEstimate {
        let (n, p) = match self.both_classes() {
            Ok(x) => x,
            Err(u) => {
                return AucEstimate {
                    value: Value::Undefined(u),
                    tie_bound: 0.0,
                }
            }
        };
        let mut below = 0.0;
        let mut sum = 0.0;
        let mut ties = 0.0;
        for a in &self.atoms {
            sum += a.weight[1] * (below + 0.5 * a.weight[0]);
            ties += a.weight[1] * a.weight[0];
            below += a.weight[0];
        }
        let pairs = n * p;
        AucEstimate {
            value: Value::Defined((sum / pairs).clamp(0.0, 1.0)),
            tie_bound: if self.exact { 0.0 } else { 0.5 * ties / pairs },
        }
    }

    /// The ROC curve: (0, 0), then one point per distinct score (exact) or non-empty bin
    /// (binned), from the highest down, each with the rates of predicting positive every row
    /// scoring at least that much; ends at (1, 1). Consecutive points are joined by straight
    /// lines (ties make diagonal segments), so the trapezoidal area under these points is
    /// [`auc`](Self::auc). Like `sklearn.metrics.roc_curve(drop_intermediate=False)` without its
    /// leading +∞ threshold. Undefined unless both classes have positive weight.
    pub fn roc(&self) -> Result<Vec<RocPoint>, Undefined> {
        let (n, p) = self.both_classes()?;
        let mut points = Vec::with_capacity(self.atoms.len() + 1);
        points.push(RocPoint {
            threshold: None,
            fpr: 0.0,
            tpr: 0.0,
        });
        let (mut fp, mut tp) = (0.0, 0.0);
        for a in self.atoms.iter().rev() {
            fp += a.weight[0];
            tp += a.weight[1];
            points.push(RocPoint {
                threshold: a.lo.is_finite().then_some(a.lo),
                fpr: (fp / n).min(1.0),
                tpr: (tp / p).min(1.0),
            });
        }
        // Summation order can leave the last point a rounding error short of (1, 1).
        if let Some(last) = points.last_mut() {
            last.fpr = 1.0;
            last.tpr = 1.0;
        }
        Ok(points)
    }

    /// The ROC curve without the points in the middle of straight runs, as
    /// `sklearn.metrics.roc_curve` with its default `drop_intermediate=True`: after (0, 0), a
    /// point is kept when it is the first or last of [`roc`](Self::roc)'s points or when the
    /// second difference of the cumulative false or true positives there is not zero. The area
    /// under it is the same; a logistic model's curve shrinks to a fraction of its points, which
    /// is what a report should draw.
    pub fn roc_thinned(&self) -> Result<Vec<RocPoint>, Undefined> {
        let full = self.roc()?;
        // Cumulative weights from the top, as scikit-learn's second differences are taken on
        // counts, not on rates.
        let mut cum = Vec::with_capacity(self.atoms.len());
        let (mut fp, mut tp) = (0.0, 0.0);
        for a in self.atoms.iter().rev() {
            fp += a.weight[0];
            tp += a.weight[1];
            cum.push((fp, tp));
        }
        let n = cum.len();
        let mut out = vec![full[0]];
        for i in 0..n {
            let keep = i == 0
                || i + 1 == n
                || cum[i + 1].0 - 2.0 * cum[i].0 + cum[i - 1].0 != 0.0
                || cum[i + 1].1 - 2.0 * cum[i].1 + cum[i - 1].1 != 0.0;
            if keep {
                out.push(full[i + 1]);
            }
        }
        Ok(out)
    }

    /// Brier score: the weighted mean squared difference between score and label,
    /// Σ wᵢ (sᵢ − yᵢ)² / Σ wᵢ = (Σ w s² − 2 Σ_{y=1} w s + W⁺) / W (Brier 1950;
    /// `sklearn.metrics.brier_score_loss`). Exact in both modes (it needs only sums). Meaningful
    /// for scores that are probabilities; scikit-learn rejects scores outside [0, 1], aequo
    /// computes the formula regardless. Undefined for an empty group.
    pub fn brier(&self) -> Result<Value, ScoreError> {
        if !self.sums {
            return Err(ScoreError::CountsOnly);
        }
        let (n, p) = (self.negatives(), self.positives());
        let w = n + p;
        if w == 0.0 {
            return Ok(Value::Undefined(Undefined::EmptyGroup));
        }
        let pos_sum: f64 = self.atoms.iter().map(|a| a.score_sum[1]).sum();
        let sq = self.score_sq_sum[0] + self.score_sq_sum[1];
        Ok(Value::Defined(((sq - 2.0 * pos_sum + p) / w).max(0.0)))
    }

    /// The reliability curve over calibration bins: for each non-empty bin, its weight, mean
    /// predicted score and observed rate of label 1 (`sklearn.calibration.calibration_curve`
    /// with `strategy="uniform"` when `bins` is [`ScoreBins::equal_width`], except that aequo's
    /// bins are closed on the left, see the module docs). In binned mode the calibration bins
    /// must coarsen the score bins ([`ScoreError::BinsNotNested`]). An empty group has no bins.
    pub fn reliability(&self, bins: &ScoreBins) -> Result<Vec<ReliabilityBin>, ScoreError> {
        if !self.sums {
            return Err(ScoreError::CountsOnly);
        }
        let m = bins.bins();
        let mut w = vec![[0.0f64; 2]; m];
        let mut s = vec![0.0f64; m];
        for a in &self.atoms {
            let b = bins.bin_of(a.lo);
            if !self.exact {
                // Every calibration edge e with lo < e < hi would cut this score bin.
                let below_hi = bins.edges.partition_point(|e| *e < a.hi);
                if below_hi != b {
                    return Err(ScoreError::BinsNotNested {
                        edge: bins.edges[b],
                    });
                }
            }
            w[b][0] += a.weight[0];
            w[b][1] += a.weight[1];
            s[b] += a.score_sum[0] + a.score_sum[1];
        }
        Ok((0..m)
            .filter_map(|b| {
                let total = w[b][0] + w[b][1];
                (total > 0.0).then(|| ReliabilityBin {
                    bin: b,
                    lower: bins.lower(b),
                    upper: bins.upper(b),
                    weight: total,
                    mean_predicted: s[b] / total,
                    observed_rate: w[b][1] / total,
                })
            })
            .collect())
    }

    /// Expected calibration error over calibration bins B_1 … B_M:
    ///
    /// ECE = Σ_b (W_b / W) |ȳ_b − s̄_b|,
    ///
    /// with W_b the bin's weight, ȳ_b its observed rate of label 1 and s̄_b its mean score
    /// (Naeini, Cooper & Hauskrecht 2015, "Obtaining well calibrated probabilities using
    /// Bayesian binning", AAAI; the form of Guo et al. 2017, "On calibration of modern neural
    /// networks", eq. 3). The usual choice is [`ScoreBins::equal_width`]`(10)` or `(15)`; the
    /// value depends on the bins, so report them with it. Undefined for an empty group.
    pub fn expected_calibration_error(&self, bins: &ScoreBins) -> Result<Value, ScoreError> {
        let curve = self.reliability(bins)?;
        let total: f64 = curve.iter().map(|b| b.weight).sum();
        if total == 0.0 {
            return Ok(Value::Undefined(Undefined::EmptyGroup));
        }
        Ok(Value::Defined(
            curve
                .iter()
                .map(|b| b.weight / total * (b.observed_rate - b.mean_predicted).abs())
                .sum(),
        ))
    }
}

/// ABROCA, the absolute area between two groups' ROC curves (Gardner, Brooks & Baker 2019,
/// "Evaluating the fairness of predictive student models through slicing analysis", LAK):
///
/// ABROCA = ∫₀¹ |ROC_a(t) − ROC_b(t)| dt,
///
/// with each ROC curve the piecewise-linear function of the false-positive rate t through the
/// points of [`ScoreDistribution::roc`]. Gardner et al. evaluate the integral on a grid of
/// 10,000 interpolated points; aequo integrates the piecewise-linear difference exactly (each
/// piece split where the curves cross). 0 for identical curves, at most 1. Undefined unless both
/// groups have both classes.
pub fn abroca(a: &ScoreDistribution, b: &ScoreDistribution) -> Value {
    let (ra, rb) = match (a.roc(), b.roc()) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(u), _) | (_, Err(u)) => return Value::Undefined(u),
    };
    let pa: Vec<(f64, f64)> = ra.iter().map(|p| (p.fpr, p.tpr)).collect();
    let pb: Vec<(f64, f64)> = rb.iter().map(|p| (p.fpr, p.tpr)).collect();
    Value::Defined(area_between(&pa, &pb).clamp(0.0, 1.0))
}

/// ∫₀¹ |f − g| for two piecewise-linear curves through points ascending in x from (0, ·) to
/// (1, ·); vertical runs (several points at one x) count as jumps.
fn area_between(f: &[(f64, f64)], g: &[(f64, f64)]) -> f64 {
    let mut xs: Vec<f64> = f.iter().chain(g).map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut total = 0.0;
    for w in xs.windows(2) {
        let (x0, x1) = (w[0], w[1]);
        let (f0, f1) = on_piece(f, x0, x1);
        let (g0, g1) = on_piece(g, x0, x1);
        total += abs_linear_integral(f0 - g0, f1 - g1, x1 - x0);
    }
    total
}

/// The values at x0 (from the right) and x1 (from the left) of the piece of a curve spanning
/// [x0, x1], where no point of the curve lies strictly between.
fn on_piece(c: &[(f64, f64)], x0: f64, x1: f64) -> (f64, f64) {
    // The last point at or before x0 (the top of a vertical run) and the one after it.
    let j = c.partition_point(|p| p.0 <= x0).saturating_sub(1);
    let k = (j + 1).min(c.len() - 1);
    let ((xa, ya), (xb, yb)) = (c[j], c[k]);
    if xb <= xa {
        return (ya, ya);
    }
    let at = |x: f64| ya + (yb - ya) * (x - xa) / (xb - xa);
    (at(x0), at(x1))
}

/// ∫ |d(x)| over an interval of width `w` where d is linear from d0 to d1.
pub(crate) fn abs_linear_integral(d0: f64, d1: f64, w: f64) -> f64 {
    if d0 * d1 >= 0.0 {
        0.5 * w * (d0.abs() + d1.abs())
    } else {
        // Two triangles meeting at the crossing point.
        0.5 * w * (d0 * d0 + d1 * d1) / (d0.abs() + d1.abs())
    }
}
