//! Regression fairness by group (issue 3, item 6): error metrics, bounded group loss and
//! demographic parity of a continuous prediction.
//!
//! A regression audit reduces rows to a [`RegressionStats`] per cell of the sensitive attributes,
//! kept in a [`CellTable`](crate::score::CellTable) laid out like the count tensor: the row
//! count and, weighted (weight 1 when unweighted), Σw, Σw·y, Σw·ŷ, Σw·|y − ŷ|, Σw·(y − ŷ)², and a
//! histogram of ŷ over fixed [`ScoreBins`] (summed weight and summed w·ŷ per bin, plus the
//! smallest and largest ŷ). Summaries merge by addition (the extremes by min/max), so the scan is
//! one pass and marginal groups are sums of cells.
//!
//! **Group metrics** ([`RegressionMetric`]) are ratios of those sums: MAE, MSE, RMSE, mean
//! prediction, mean label, mean error — scikit-learn's `mean_absolute_error`,
//! `mean_squared_error`, `root_mean_squared_error` with `sample_weight`, as Fairlearn's
//! `MetricFrame` disaggregates them. **Bounded group loss** (Agarwal, Dudík & Wu 2019) is the
//! largest group mean loss ([`bounded_group_loss`]).
//!
//! **Demographic parity of a continuous prediction** asks that ŷ be independent of the group
//! (Agarwal et al. 2019, §2: P[f(X) ≥ z | A = a] = P[f(X) ≥ z] for all z), which Fairlearn's user
//! guide describes but does not implement (fairlearn #1313). aequo measures the distance between
//! a group's distribution of ŷ and the rest's (or everyone's) by Kolmogorov–Smirnov and
//! Wasserstein-1 ([`distribution_distance`]). From a histogram both are known only up to where
//! the rows lie inside each bin, so each comes as an estimate with a guaranteed interval
//! ([`Bounded`]); the estimate places each group's mass in a bin at that group's mean ŷ in the
//! bin, which is exact when every bin holds a single distinct value.

use serde::{Deserialize, Serialize};

use crate::score::{CellStats, ScoreBins, ScoreError};
use crate::value::{Undefined, Value};

/// One cell's (or group's) regression sums. Unweighted rows have weight 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionStats {
    /// Rows (unweighted).
    pub rows: u64,
    /// Σ w.
    pub weight: f64,
    /// Σ w·y.
    pub label_sum: f64,
    /// Σ w·ŷ.
    pub prediction_sum: f64,
    /// Σ w·|y − ŷ|.
    pub abs_error_sum: f64,
    /// Σ w·(y − ŷ)².
    pub sq_error_sum: f64,
    /// Σ w per bin of ŷ (the table's [`ScoreBins`]).
    pub hist_weight: Vec<f64>,
    /// Σ w·ŷ per bin of ŷ.
    pub hist_sum: Vec<f64>,
    /// Smallest ŷ seen (`None` before any row).
    pub min_prediction: Option<f64>,
    /// Largest ŷ seen.
    pub max_prediction: Option<f64>,
}

impl RegressionStats {
    /// The summary of no rows, with a histogram over `bins`.
    pub fn new(bins: &ScoreBins) -> RegressionStats {
        RegressionStats {
            rows: 0,
            weight: 0.0,
            label_sum: 0.0,
            prediction_sum: 0.0,
            abs_error_sum: 0.0,
            sq_error_sum: 0.0,
            hist_weight: vec![0.0; bins.bins()],
            hist_sum: vec![0.0; bins.bins()],
            min_prediction: None,
            max_prediction: None,
        }
    }

    /// Counts one row: label y, prediction ŷ, weight (1 when unweighted).
    pub fn add(
        &mut self,
        bins: &ScoreBins,
        label: f64,
        prediction: f64,
        weight: f64,
    ) -> Result<(), ScoreError> {
        for v in [label, prediction] {
            if !v.is_finite() {
                return Err(ScoreError::NotFinite(v));
            }
        }
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(ScoreError::BadWeight(weight));
        }
        let e = label - prediction;
        self.rows += 1;
        self.weight += weight;
        self.label_sum += weight * label;
        self.prediction_sum += weight * prediction;
        self.abs_error_sum += weight * e.abs();
        self.sq_error_sum += weight * e * e;
        let b = bins.bin_of(prediction);
        self.hist_weight[b] += weight;
        self.hist_sum[b] += weight * prediction;
        self.min_prediction = Some(
            self.min_prediction
                .map_or(prediction, |m| m.min(prediction)),
        );
        self.max_prediction = Some(
            self.max_prediction
                .map_or(prediction, |m| m.max(prediction)),
        );
        Ok(())
    }

    /// The mean loss of the group under `loss`.
    pub fn mean_loss(&self, loss: Loss) -> Value {
        match loss {
            Loss::Absolute => RegressionMetric::MeanAbsoluteError.evaluate(self),
            Loss::Squared => RegressionMetric::MeanSquaredError.evaluate(self),
        }
    }
}

impl CellStats for RegressionStats {
    type Shape = ScoreBins;

    fn empty(shape: &ScoreBins) -> RegressionStats {
        RegressionStats::new(shape)
    }

    fn merge(&mut self, o: &RegressionStats) {
        self.rows += o.rows;
        self.weight += o.weight;
        self.label_sum += o.label_sum;
        self.prediction_sum += o.prediction_sum;
        self.abs_error_sum += o.abs_error_sum;
        self.sq_error_sum += o.sq_error_sum;
        for (a, b) in self.hist_weight.iter_mut().zip(&o.hist_weight) {
            *a += b;
        }
        for (a, b) in self.hist_sum.iter_mut().zip(&o.hist_sum) {
            *a += b;
        }
        self.min_prediction = match (self.min_prediction, o.min_prediction) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_prediction = match (self.max_prediction, o.max_prediction) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// A group metric of regression, each a ratio of [`RegressionStats`] sums over W = Σ w.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegressionMetric {
    /// Rows in the group (unweighted).
    Count,
    /// Σ w·y / W.
    MeanLabel,
    /// Σ w·ŷ / W.
    MeanPrediction,
    /// Σ w·(ŷ − y) / W: positive when the model over-predicts.
    MeanError,
    /// Σ w·|y − ŷ| / W.
    MeanAbsoluteError,
    /// Σ w·(y − ŷ)² / W.
    MeanSquaredError,
    /// √(Σ w·(y − ŷ)² / W).
    RootMeanSquaredError,
}

impl RegressionMetric {
    /// Every metric, in report order.
    pub const ALL: [RegressionMetric; 7] = [
        RegressionMetric::Count,
        RegressionMetric::MeanLabel,
        RegressionMetric::MeanPrediction,
        RegressionMetric::MeanError,
        RegressionMetric::MeanAbsoluteError,
        RegressionMetric::MeanSquaredError,
        RegressionMetric::RootMeanSquaredError,
    ];

    /// The short identifier used in outputs.
    pub fn id(self) -> &'static str {
        match self {
            RegressionMetric::Count => "count",
            RegressionMetric::MeanLabel => "mean_label",
            RegressionMetric::MeanPrediction => "mean_prediction",
            RegressionMetric::MeanError => "mean_error",
            RegressionMetric::MeanAbsoluteError => "mae",
            RegressionMetric::MeanSquaredError => "mse",
            RegressionMetric::RootMeanSquaredError => "rmse",
        }
    }

    /// The formula over the sums (W = Σ w).
    pub fn formula(self) -> &'static str {
        match self {
            RegressionMetric::Count => "n",
            RegressionMetric::MeanLabel => "Σ w y / W",
            RegressionMetric::MeanPrediction => "Σ w ŷ / W",
            RegressionMetric::MeanError => "Σ w (ŷ − y) / W",
            RegressionMetric::MeanAbsoluteError => "Σ w |y − ŷ| / W",
            RegressionMetric::MeanSquaredError => "Σ w (y − ŷ)² / W",
            RegressionMetric::RootMeanSquaredError => "√(Σ w (y − ŷ)² / W)",
        }
    }

    /// Where the definition comes from.
    pub fn source(self) -> &'static str {
        match self {
            RegressionMetric::Count => "fairlearn.metrics.count",
            RegressionMetric::MeanLabel => "mean of y_true (numpy.average with sample_weight)",
            RegressionMetric::MeanPrediction => "fairlearn.metrics.mean_prediction",
            RegressionMetric::MeanError => "mean signed error (numpy.average of y_pred − y_true)",
            RegressionMetric::MeanAbsoluteError => "sklearn.metrics.mean_absolute_error",
            RegressionMetric::MeanSquaredError => "sklearn.metrics.mean_squared_error",
            RegressionMetric::RootMeanSquaredError => "sklearn.metrics.root_mean_squared_error",
        }
    }

    /// The metric's value on a group; undefined for a group of no rows (or zero total weight).
    pub fn evaluate(self, s: &RegressionStats) -> Value {
        if self == RegressionMetric::Count {
            return Value::Defined(s.rows as f64);
        }
        if s.rows == 0 {
            return Value::Undefined(Undefined::EmptyGroup);
        }
        let ratio = |num: f64| Value::ratio(num, s.weight);
        match self {
            RegressionMetric::Count => unreachable!("handled above"),
            RegressionMetric::MeanLabel => ratio(s.label_sum),
            RegressionMetric::MeanPrediction => ratio(s.prediction_sum),
            RegressionMetric::MeanError => ratio(s.prediction_sum - s.label_sum),
            RegressionMetric::MeanAbsoluteError => ratio(s.abs_error_sum),
            RegressionMetric::MeanSquaredError => ratio(s.sq_error_sum),
            RegressionMetric::RootMeanSquaredError => ratio(s.sq_error_sum).map(f64::sqrt),
        }
    }
}

/// The loss of a bounded-group-loss constraint (Fairlearn's `AbsoluteLoss`, `SquareLoss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// ℓ(y, ŷ) = |y − ŷ|.
    Absolute,
    /// ℓ(y, ŷ) = (y − ŷ)².
    Squared,
}

/// Bounded group loss: the worst group's mean loss and which group it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundedGroupLoss {
    /// The loss averaged within each group.
    pub loss: Loss,
    /// max_g E[ℓ(Y, ŷ) | A = g], or why undefined (no group has rows).
    pub value: Value,
    /// Position of the worst group among those given.
    pub worst: Option<usize>,
    /// Each group's mean loss.
    pub by_group: Vec<Value>,
    /// Positions of groups left out (no rows).
    pub excluded: Vec<usize>,
}

/// Bounded group loss (Agarwal, Dudík & Wu 2019, "Fair regression: quantitative definitions and
/// reduction-based algorithms", ICML, §2): a predictor satisfies it at level ζ when
/// E[ℓ(Y, f(X)) | A = a] ≤ ζ for every group a; the audit reports the smallest such ζ,
/// max_a E[ℓ | A = a] (Fairlearn's `mean_absolute_error_group_max` for the absolute loss). Empty
/// groups are left out and listed.
pub fn bounded_group_loss(groups: &[RegressionStats], loss: Loss) -> BoundedGroupLoss {
    let by_group: Vec<Value> = groups.iter().map(|g| g.mean_loss(loss)).collect();
    let mut worst: Option<(usize, f64)> = None;
    let mut excluded = Vec::new();
    for (i, v) in by_group.iter().enumerate() {
        match v.get() {
            Some(x) if worst.is_none_or(|(_, w)| x > w) => worst = Some((i, x)),
            Some(_) => {}
            None => excluded.push(i),
        }
    }
    BoundedGroupLoss {
        loss,
        value: worst.map_or(
            Value::Undefined(Undefined::TooFewGroups { defined: 0 }),
            |(_, x)| Value::Defined(x),
        ),
        worst: worst.map(|(i, _)| i),
        by_group,
        excluded,
    }
}

/// A distance known from histograms only up to where the rows lie within bins: an estimate and
/// an interval that is guaranteed to contain the exact value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounded {
    /// The estimate (each group's mass in a bin placed at its mean ŷ in that bin).
    pub value: f64,
    /// The exact value is at least this.
    pub lower: f64,
    /// The exact value is at most this.
    pub upper: f64,
}

impl Bounded {
    /// The largest possible error of the estimate: max(value − lower, upper − value).
    pub fn binning_error(&self) -> f64 {
        (self.value - self.lower).max(self.upper - self.value)
    }
}

/// How far apart two groups' distributions of the prediction are.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DistributionDistance {
    /// Kolmogorov–Smirnov distance sup_z |F_a(z) − F_b(z)| of the weighted empirical CDFs
    /// (`scipy.stats.ks_2samp(...).statistic` when unweighted). In [0, 1].
    pub kolmogorov_smirnov: Bounded,
    /// Wasserstein-1 (earth mover's) distance ∫ |F_a(z) − F_b(z)| dz
    /// (`scipy.stats.wasserstein_distance`, weights as `u_weights`, `v_weights`). In units of ŷ.
    pub wasserstein: Bounded,
}

/// The distance between two groups' distributions of ŷ, from their histograms over `bins`
/// (the table's shape): demographic parity of a continuous prediction (fairlearn #1313).
///
/// Let F_a, F_b be the weighted empirical CDFs. At every bin edge they are known exactly; inside
/// bin b (clipped to the smallest and largest ŷ of the two groups, so the outer bins are finite)
/// each CDF rises from its value at the bin's start to its value at the bin's end. Hence, with
/// [a₀, a₁], [b₀, b₁] those ranges and w_b the bin's width:
///
/// * KS ≥ max over edges |F_a − F_b|, and KS ≤ max over bins max(|a₁ − b₀|, |b₁ − a₀|);
/// * W1 ≥ Σ_b w_b · max(0, a₀ − b₁, b₀ − a₁), and W1 ≤ Σ_b w_b · max(|a₁ − b₀|, |b₁ − a₀|).
///
/// The estimates put each group's mass in a bin at its mean ŷ there (Σ w ŷ / Σ w in the bin)
/// and compute KS and W1 of those point masses exactly; they lie within the bounds and are exact
/// when each bin holds one distinct value. Finer bins tighten the bounds. Undefined when either
/// group has no weight.
///
/// # Panics
/// If `a` or `b` was not built over `bins` (their histograms have another length).
pub fn distribution_distance(
    bins: &ScoreBins,
    a: &RegressionStats,
    b: &RegressionStats,
) -> Result<DistributionDistance, Undefined> {
    if a.weight <= 0.0 || b.weight <= 0.0 {
        return Err(Undefined::EmptyGroup);
    }
    let lo = match (a.min_prediction, b.min_prediction) {
        (Some(x), Some(y)) => x.min(y),
        _ => return Err(Undefined::EmptyGroup),
    };
    let hi = match (a.max_prediction, b.max_prediction) {
        (Some(x), Some(y)) => x.max(y),
        _ => return Err(Undefined::EmptyGroup),
    };
    let (wa, wb) = (a.weight, b.weight);
    let (mut fa, mut fb) = (0.0f64, 0.0f64);
    let mut ks_lower = 0.0f64;
    let mut ks_upper = 0.0f64;
    let mut ks_est = 0.0f64;
    let (mut w_lower, mut w_upper, mut w_est) = (0.0, 0.0, 0.0);
    for bin in 0..bins.bins() {
        let start = bins.lower(bin).map_or(lo, |e| e.max(lo));
        let end = bins.upper(bin).map_or(hi, |e| e.min(hi));
        let (ma, mb) = (a.hist_weight[bin] / wa, b.hist_weight[bin] / wb);
        let (a0, b0) = (fa, fb);
        let (a1, b1) = ((fa + ma).min(1.0), (fb + mb).min(1.0));
        let width = (end - start).max(0.0);
        // Bounds.
        let widest = (a1 - b0).abs().max((b1 - a0).abs());
        let gap = (a0 - b1).max(b0 - a1).max(0.0);
        if ma > 0.0 || mb > 0.0 {
            ks_upper = ks_upper.max(widest);
        }
        w_upper += width * widest;
        w_lower += width * gap;
        // Estimate: point masses at each group's mean in the bin.
        let pa = (ma > 0.0).then(|| (a.hist_sum[bin] / a.hist_weight[bin]).clamp(start, end));
        let pb = (mb > 0.0).then(|| (b.hist_sum[bin] / b.hist_weight[bin]).clamp(start, end));
        let (mut x, mut da) = (start, a0 - b0);
        let mut steps: Vec<(f64, bool)> = Vec::with_capacity(2);
        if let Some(p) = pa {
            steps.push((p, true));
        }
        if let Some(p) = pb {
            steps.push((p, false));
        }
        steps.sort_by(|s, t| s.0.total_cmp(&t.0));
        ks_est = ks_est.max(da.abs());
        let mut cur = (a0, b0);
        for (i, &(p, is_a)) in steps.iter().enumerate() {
            w_est += (p - x) * da.abs();
            x = p;
            if is_a {
                cur.0 = a1;
            } else {
                cur.1 = b1;
            }
            da = cur.0 - cur.1;
            // Both groups stepping at one point is one step of the difference. Means of equal
            // values can differ in the last bits (Σ w ŷ / Σ w rounds), hence the tolerance.
            let tolerance = 1e-9 * p.abs().max(1.0);
            if steps.get(i + 1).is_none_or(|next| next.0 - p > tolerance) {
                ks_est = ks_est.max(da.abs());
            }
        }
        w_est += (end - x).max(0.0) * da.abs();
        fa = a1;
        fb = b1;
        // The CDFs at the bin's end are exact.
        if bin + 1 < bins.bins() {
            ks_lower = ks_lower.max((fa - fb).abs());
        }
    }
    let ks_upper = ks_upper.max(ks_lower).min(1.0);
    Ok(DistributionDistance {
        kolmogorov_smirnov: Bounded {
            value: ks_est.clamp(ks_lower, ks_upper),
            lower: ks_lower,
            upper: ks_upper,
        },
        wasserstein: Bounded {
            value: w_est.clamp(w_lower, w_upper),
            lower: w_lower,
            upper: w_upper,
        },
    })
}

/// A distribution distance or why it has none; serialised like [`Value`]: the distance's
/// object when defined, `{"undefined": {"reason": …}}` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Distance {
    /// Both groups have rows.
    Defined(DistributionDistance),
    /// Why not.
    Undefined {
        /// The reason.
        undefined: Undefined,
    },
}

impl Distance {
    /// The distance, if defined.
    pub fn get(&self) -> Option<&DistributionDistance> {
        match self {
            Distance::Defined(d) => Some(d),
            Distance::Undefined { .. } => None,
        }
    }
}

impl From<Result<DistributionDistance, Undefined>> for Distance {
    fn from(r: Result<DistributionDistance, Undefined>) -> Distance {
        match r {
            Ok(d) => Distance::Defined(d),
            Err(undefined) => Distance::Undefined { undefined },
        }
    }
}

/// A group's demographic-parity distances for a continuous prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContinuousParity {
    /// Against all other groups together.
    pub to_rest: Distance,
    /// Against the whole population (the group included).
    pub to_overall: Distance,
}

/// [`distribution_distance`] of each group against the rest and against everyone; `groups` are
/// the cells of one grouping (e.g. a marginalised [`CellTable`](crate::score::CellTable)), which
/// together make up the population.
pub fn continuous_parity(bins: &ScoreBins, groups: &[RegressionStats]) -> Vec<ContinuousParity> {
    let mut total = RegressionStats::new(bins);
    for g in groups {
        total.merge(g);
    }
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut rest = RegressionStats::new(bins);
            for (j, h) in groups.iter().enumerate() {
                if j != i {
                    rest.merge(h);
                }
            }
            ContinuousParity {
                to_rest: distribution_distance(bins, g, &rest).into(),
                to_overall: distribution_distance(bins, g, &total).into(),
            }
        })
        .collect()
}
