//! Multiclass fairness by group (issue 3, item 6): one-vs-rest group metrics from a K×K
//! confusion per cell.
//!
//! A multiclass audit reduces rows to a [`ClassConfusion`] per cell of the sensitive attributes
//! (kept in a [`CellTable`](crate::score::CellTable) laid out like the count tensor, whose shape
//! is the [`Classes`]): the (label, prediction) counts over K classes, weighted (weight 1 when
//! unweighted) and unweighted. Confusions merge by addition.
//!
//! Every binary group metric extends to class c **one-vs-rest**: class c is "positive", every
//! other class "negative", giving an ordinary binary [`Confusion`]
//! (`TP = m[c][c]`, `FN = Σ_{p≠c} m[c][p]`, `FP = Σ_{l≠c} m[l][c]`, TN = the rest), on which
//! [`Metric::evaluate`] is used unchanged, so the definitions, undefined cases and sources are
//! those of [`Metric`]. This is `sklearn.metrics.multilabel_confusion_matrix`; TPR per class is
//! `recall_score(average=None)`, PPV `precision_score(average=None)`, selection rate the share of
//! rows predicted c. Fairlearn's rate metrics raise on multiclass labels (fairlearn #1212).
//!
//! **Averages**: the macro average is the unweighted mean over classes of the defined per-class
//! values (`recall_score(average="macro", zero_division=np.nan)`: undefined classes are left out
//! and listed, not counted as 0 as scikit-learn's default `zero_division="warn"` does); the
//! micro average evaluates the metric on the sum of the K one-vs-rest confusions.

use serde::{Deserialize, Serialize};

use crate::counts::Confusion;
use crate::metric::Metric;
use crate::score::CellStats;
use crate::value::{Undefined, Value};

/// A class's position among the [`Classes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClassIndex(pub usize);

/// The class names, in index order: the shape of a table of [`ClassConfusion`]s.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Classes(pub Vec<String>);

impl Classes {
    /// Number of classes K.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no classes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The index of a class name.
    pub fn index(&self, name: &str) -> Option<ClassIndex> {
        self.0.iter().position(|c| c == name).map(ClassIndex)
    }

    /// The name of a class.
    pub fn name(&self, c: ClassIndex) -> Option<&str> {
        self.0.get(c.0).map(String::as_str)
    }
}

/// Why a row cannot be counted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MulticlassError {
    /// A class index beyond the classes.
    #[error("class index {index} is out of range; there are {classes} classes")]
    NoSuchClass {
        /// The index given.
        index: usize,
        /// K.
        classes: usize,
    },
    /// A weight that is negative or not finite.
    #[error("weight {0} is negative or not finite")]
    BadWeight(f64),
}

/// A K×K confusion of one cell or group: counts of (label, prediction) class pairs, laid out
/// `[label × K + prediction]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassConfusion {
    classes: usize,
    /// Unweighted counts.
    rows: Vec<u64>,
    /// Summed weights (equal to the counts when unweighted).
    weight: Vec<f64>,
}

impl ClassConfusion {
    /// The confusion of no rows over K classes.
    pub fn new(classes: usize) -> ClassConfusion {
        ClassConfusion {
            classes,
            rows: vec![0; classes * classes],
            weight: vec![0.0; classes * classes],
        }
    }

    /// Number of classes K.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Counts one row (weight 1 when unweighted).
    pub fn add(
        &mut self,
        label: ClassIndex,
        prediction: ClassIndex,
        weight: f64,
    ) -> Result<(), MulticlassError> {
        for c in [label, prediction] {
            if c.0 >= self.classes {
                return Err(MulticlassError::NoSuchClass {
                    index: c.0,
                    classes: self.classes,
                });
            }
        }
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(MulticlassError::BadWeight(weight));
        }
        let i = label.0 * self.classes + prediction.0;
        self.rows[i] += 1;
        self.weight[i] += weight;
        Ok(())
    }

    /// Grows the confusion to `classes` classes (new rows and columns empty); no-op when it
    /// already has as many. A scan that discovers classes as it reads calls this before counting
    /// a row with a new class index, then [`remap`](Self::remap)s to the final class order.
    pub fn ensure_classes(&mut self, classes: usize) {
        if classes <= self.classes {
            return;
        }
        let to: Vec<ClassIndex> = (0..self.classes).map(ClassIndex).collect();
        *self = self.remap(&to, classes);
    }

    /// The same counts over `classes` classes with old class i moved to `to[i]` (e.g. from the
    /// order a scan discovered classes in to sorted order, or into a union of classes).
    ///
    /// # Panics
    /// If `to` does not have one entry per current class or an entry is out of range (the caller
    /// builds the map from its own dictionaries).
    pub fn remap(&self, to: &[ClassIndex], classes: usize) -> ClassConfusion {
        assert_eq!(to.len(), self.classes, "one target per class");
        let mut out = ClassConfusion::new(classes);
        for l in 0..self.classes {
            for p in 0..self.classes {
                let (a, b) = (to[l].0, to[p].0);
                assert!(a < classes && b < classes, "class target out of range");
                out.rows[a * classes + b] += self.rows[l * self.classes + p];
                out.weight[a * classes + b] += self.weight[l * self.classes + p];
            }
        }
        out
    }

    /// One bootstrap replicate: each (label, prediction) weight w becomes `draw(w)` (for
    /// unweighted data a Poisson(w) draw, exactly the Poisson bootstrap: DESIGN.md principle 2);
    /// the unweighted counts become the rounded draws.
    pub fn resample(&self, draw: &mut impl FnMut(f64) -> f64) -> ClassConfusion {
        let weight: Vec<f64> = self
            .weight
            .iter()
            .map(|&w| if w > 0.0 { draw(w) } else { 0.0 })
            .collect();
        ClassConfusion {
            classes: self.classes,
            rows: weight.iter().map(|w| w.round() as u64).collect(),
            weight,
        }
    }

    /// Unweighted count of (label, prediction).
    pub fn count(&self, label: ClassIndex, prediction: ClassIndex) -> u64 {
        self.rows[label.0 * self.classes + prediction.0]
    }

    /// Summed weight of (label, prediction).
    pub fn weight(&self, label: ClassIndex, prediction: ClassIndex) -> f64 {
        self.weight[label.0 * self.classes + prediction.0]
    }

    /// All rows (unweighted).
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().sum()
    }

    fn ovr<T: Copy + std::ops::Add<Output = T> + Default>(m: &[T], k: usize, c: usize) -> [T; 4] {
        let (mut tn, mut fp, mut fn_, mut tp) =
            (T::default(), T::default(), T::default(), T::default());
        for l in 0..k {
            for p in 0..k {
                let x = m[l * k + p];
                match (l == c, p == c) {
                    (true, true) => tp = tp + x,
                    (true, false) => fn_ = fn_ + x,
                    (false, true) => fp = fp + x,
                    (false, false) => tn = tn + x,
                }
            }
        }
        [tn, fp, fn_, tp]
    }

    /// The binary confusion of class `c` against the rest (weighted; equal to the counts when
    /// unweighted).
    pub fn one_vs_rest(&self, c: ClassIndex) -> Confusion {
        Confusion::from_array(Self::ovr(&self.weight, self.classes, c.0))
    }

    /// The unweighted binary confusion of class `c` against the rest.
    pub fn one_vs_rest_counts(&self, c: ClassIndex) -> [u64; 4] {
        Self::ovr(&self.rows, self.classes, c.0)
    }

    /// A binary metric of class `c` against the rest, by [`Metric::evaluate`].
    pub fn metric(&self, metric: Metric, c: ClassIndex) -> Value {
        metric.evaluate(&self.one_vs_rest(c), self.total_rows())
    }

    /// The metric for every class, in class order.
    pub fn per_class(&self, metric: Metric) -> Vec<Value> {
        (0..self.classes)
            .map(|c| self.metric(metric, ClassIndex(c)))
            .collect()
    }

    /// The macro average: the mean of the defined per-class values, with the classes left out.
    pub fn macro_average(&self, metric: Metric) -> MacroAverage {
        let mut sum = 0.0;
        let mut defined = 0;
        let mut excluded = Vec::new();
        for (c, v) in self.per_class(metric).into_iter().enumerate() {
            match v.get() {
                Some(x) => {
                    sum += x;
                    defined += 1;
                }
                None => excluded.push(ClassIndex(c)),
            }
        }
        MacroAverage {
            metric,
            value: if defined == 0 {
                Value::Undefined(Undefined::TooFewGroups { defined: 0 })
            } else {
                Value::Defined(sum / defined as f64)
            },
            classes: defined,
            excluded,
        }
    }

    /// The micro average: the metric on the sum of the K one-vs-rest confusions (for TPR and
    /// PPV this is the accuracy).
    pub fn micro_average(&self, metric: Metric) -> Value {
        let total = (0..self.classes)
            .map(|c| self.one_vs_rest(ClassIndex(c)))
            .fold(Confusion::default(), |a, b| a.add(&b));
        metric.evaluate(&total, self.total_rows())
    }

    /// Multiclass accuracy: `Σ_c m[c][c] / Σ m` (weighted); undefined for an empty group.
    pub fn accuracy(&self) -> Value {
        let total: f64 = self.weight.iter().sum();
        if self.total_rows() == 0 {
            return Value::Undefined(Undefined::EmptyGroup);
        }
        let diagonal: f64 = (0..self.classes)
            .map(|c| self.weight[c * self.classes + c])
            .sum();
        Value::ratio(diagonal, total)
    }
}

impl CellStats for ClassConfusion {
    type Shape = Classes;

    fn empty(shape: &Classes) -> ClassConfusion {
        ClassConfusion::new(shape.len())
    }

    fn merge(&mut self, o: &ClassConfusion) {
        // Tables check that their classes agree; a confusion with fewer classes is one whose
        // extra rows and columns are empty.
        if o.classes > self.classes {
            self.ensure_classes(o.classes);
        } else if o.classes < self.classes {
            let mut grown = o.clone();
            grown.ensure_classes(self.classes);
            return self.merge(&grown);
        }
        for (a, b) in self.rows.iter_mut().zip(&o.rows) {
            *a += b;
        }
        for (a, b) in self.weight.iter_mut().zip(&o.weight) {
            *a += b;
        }
    }
}

/// A macro average over classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroAverage {
    /// The binary metric averaged.
    pub metric: Metric,
    /// The mean over the classes where the metric is defined, or why undefined (no such class).
    pub value: Value,
    /// How many classes were averaged.
    pub classes: usize,
    /// Classes left out because their value is undefined.
    pub excluded: Vec<ClassIndex>,
}
