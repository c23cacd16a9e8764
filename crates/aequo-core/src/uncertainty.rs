//! Bootstrap intervals for everything an audit reports: group metrics, disparities, criteria
//! and the AIF360-oriented comparisons.
//!
//! A [`Plan`] mirrors the structure of an [`AuditResult`] (its groupings, their listed groups,
//! references) as flat index arrays, so that one replicate's statistics are computed from the
//! replicate cell counts without allocation-heavy result building. The aggregates reuse the
//! exact functions of [`crate::disparity`], so the replicates are computed by the same
//! definitions as the point estimates (a test checks they agree on the original counts).

use crate::audit::{AuditResult, GroupingResult};
use crate::bootstrap::{self, BootstrapOptions, Lanes, LANES};
use crate::counts::{Confusion, CountTensor, Level};
use crate::disparity;
use crate::folded;
use crate::interval::Interval;
use crate::metric::Metric;
use crate::value::Value;

/// Criteria computed per grouping and method, in this order.
pub(crate) const CRITERIA: [(&str, Option<&str>); 10] = [
    ("demographic_parity_difference", None),
    ("demographic_parity_ratio", None),
    ("equal_opportunity_difference", None),
    ("equal_opportunity_ratio", None),
    ("predictive_parity_difference", None),
    ("predictive_parity_ratio", None),
    ("equalized_odds_difference", Some("worst_case")),
    ("equalized_odds_difference", Some("mean")),
    ("equalized_odds_ratio", Some("worst_case")),
    ("equalized_odds_ratio", Some("mean")),
];

/// Comparison values computed per reference comparison, in this order.
pub(crate) const COMPARISONS: [&str; 6] = [
    "disparate_impact",
    "statistical_parity_difference",
    "equal_opportunity_difference",
    "average_odds_difference",
    "average_abs_odds_difference",
    "equalized_odds_difference",
];

struct GroupingPlan {
    /// Full cell → marginal cell.
    map: Vec<usize>,
    marginal_cells: usize,
    /// Marginal cell of each listed group, in the result's order.
    listed: Vec<usize>,
    /// Positions in `listed` of groups with no missing level.
    named: Vec<usize>,
    /// Position in `named` of the reference group.
    reference: Option<usize>,
    offset_groups: usize,
    offset_disparities: usize,
    offset_criteria: usize,
}

struct ComparisonPlan {
    /// Full cell → level position of the attribute.
    map: Vec<usize>,
    levels: usize,
    privileged: usize,
    /// The compared level, or all other non-missing levels.
    unprivileged: Vec<usize>,
    offset: usize,
}

/// The statistics of one audit, laid out flat.
pub(crate) struct Plan {
    metrics: Vec<Metric>,
    groupings: Vec<GroupingPlan>,
    comparisons: Vec<ComparisonPlan>,
    len: usize,
}

fn num(v: Value) -> f64 {
    v.get().unwrap_or(f64::NAN)
}

impl Plan {
    pub(crate) fn new(t: &CountTensor, r: &AuditResult) -> Plan {
        let attrs = t.attributes();
        let metrics: Vec<Metric> = r.metrics.iter().map(|m| m.id).collect();
        let m = metrics.len();
        let mut len = m; // overall metrics
        let mut groupings = Vec::new();
        for g in &r.groupings {
            let keep: Vec<usize> = g
                .attributes
                .iter()
                .map(|a| {
                    attrs
                        .iter()
                        .position(|x| x.name == *a)
                        .expect("grouping attributes are the tensor's")
                })
                .collect();
            let sizes: Vec<usize> = keep.iter().map(|&k| attrs[k].levels.len()).collect();
            let map = t
                .cells()
                .map(|c| {
                    let codes = t.codes(c);
                    keep.iter()
                        .zip(&sizes)
                        .fold(0, |acc, (&k, &s)| acc * s + codes[k])
                })
                .collect();
            let listed: Vec<usize> = g
                .groups
                .iter()
                .map(|gr| {
                    gr.key
                        .0
                        .iter()
                        .zip(&keep)
                        .zip(&sizes)
                        .fold(0, |acc, ((l, &k), &s)| {
                            acc * s
                                + attrs[k]
                                    .level_index(l)
                                    .expect("listed levels are the attribute's")
                        })
                })
                .collect();
            let named: Vec<usize> = (0..g.groups.len())
                .filter(|&i| !g.groups[i].has_missing)
                .collect();
            let reference = g
                .reference
                .as_ref()
                .and_then(|rk| named.iter().position(|&i| g.groups[i].key == *rk));
            let offset_groups = len;
            len += g.groups.len() * m;
            let offset_disparities = len;
            len += m * 6;
            let offset_criteria = len;
            len += 3 * CRITERIA.len();
            groupings.push(GroupingPlan {
                map,
                marginal_cells: sizes.iter().product(),
                listed,
                named,
                reference,
                offset_groups,
                offset_disparities,
                offset_criteria,
            });
        }
        let mut comparisons = Vec::new();
        for c in &r.reference_comparisons {
            let k = attrs
                .iter()
                .position(|x| x.name == c.attribute)
                .expect("compared attribute is the tensor's");
            let a = &attrs[k];
            let privileged = a
                .level_index(&c.privileged)
                .expect("privileged level exists");
            let unprivileged = match &c.unprivileged {
                Some(l) => vec![a.level_index(l).expect("unprivileged level exists")],
                None => (0..a.levels.len())
                    .filter(|&i| i != privileged && a.levels[i] != Level::Missing)
                    .collect(),
            };
            comparisons.push(ComparisonPlan {
                map: t.cells().map(|cell| t.codes(cell)[k]).collect(),
                levels: a.levels.len(),
                privileged,
                unprivileged,
                offset: len,
            });
            len += COMPARISONS.len();
        }
        Plan {
            metrics,
            groupings,
            comparisons,
            len,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Computes every statistic of [`LANES`] replicates at once (one lane each) from per-cell
    /// rate counts `[tn, fp, fn, tp]` and row totals (NaN = undefined). Each lane gets exactly
    /// the arithmetic of a single evaluation: the metrics' own definitions, then
    /// [`disparity::six_numbers`]' rules.
    ///
    /// On a CPU with AVX2 the same code runs compiled for it (4 lanes per instruction instead
    /// of SSE2's 2): the same operations in the same order, so the same numbers, bit for bit
    /// (tested); the release build itself stays portable. Calling that copy is `unsafe` only
    /// because it must not run on a CPU without AVX2, which is checked first.
    #[allow(unsafe_code)]
    pub(crate) fn compute(&self, rate: &[[Lanes; 4]], rows: &[Lanes], out: &mut [Lanes]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.compute_avx2(rate, rows, out) };
            return;
        }
        self.compute_portable(rate, rows, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn compute_avx2(&self, rate: &[[Lanes; 4]], rows: &[Lanes], out: &mut [Lanes]) {
        self.compute_portable(rate, rows, out);
    }

    /// [`compute`](Self::compute) for any CPU; inlined into the AVX2 copy.
    #[inline(always)]
    fn compute_portable(&self, rate: &[[Lanes; 4]], rows: &[Lanes], out: &mut [Lanes]) {
        let m = self.metrics.len();
        let mut all = [[0.0; LANES]; 4];
        let mut all_rows = [0.0; LANES];
        for (c, r) in rate.iter().zip(rows) {
            for k in 0..4 {
                add(&mut all[k], &c[k]);
            }
            add(&mut all_rows, r);
        }
        for (mi, &metric) in self.metrics.iter().enumerate() {
            out[mi] = metric_lanes(metric, &all, &all_rows);
        }
        let mut marg: Vec<[Lanes; 4]> = Vec::new();
        let mut marg_rows: Vec<Lanes> = Vec::new();
        let mut aggs: Vec<[Lanes; 6]> = Vec::with_capacity(m);
        for g in &self.groupings {
            marg.clear();
            marg.resize(g.marginal_cells, [[0.0; LANES]; 4]);
            marg_rows.clear();
            marg_rows.resize(g.marginal_cells, [0.0; LANES]);
            for (cell, &to) in g.map.iter().enumerate() {
                for k in 0..4 {
                    add(&mut marg[to][k], &rate[cell][k]);
                }
                add(&mut marg_rows[to], &rows[cell]);
            }
            for (j, &mc) in g.listed.iter().enumerate() {
                for (mi, &metric) in self.metrics.iter().enumerate() {
                    out[g.offset_groups + j * m + mi] =
                        metric_lanes(metric, &marg[mc], &marg_rows[mc]);
                }
            }
            aggs.clear();
            for mi in 0..m {
                let column = |j: usize| &out[g.offset_groups + g.named[j] * m + mi];
                let six =
                    disparity::six_numbers_lanes(g.named.len(), column, &out[mi], g.reference);
                for (q, x) in six.iter().enumerate() {
                    out[g.offset_disparities + mi * 6 + q] = *x;
                }
                aggs.push(six);
            }
            let pos = |metric: Metric| self.metrics.iter().position(|&x| x == metric);
            for method in 0..3 {
                let get = |metric: Metric, ratio: bool| {
                    pos(metric).map_or([f64::NAN; LANES], |mi| {
                        aggs[mi][method * 2 + usize::from(ratio)]
                    })
                };
                let (tpr_d, fpr_d) = (
                    get(Metric::TruePositiveRate, false),
                    get(Metric::FalsePositiveRate, false),
                );
                let (tpr_r, fpr_r) = (
                    get(Metric::TruePositiveRate, true),
                    get(Metric::FalsePositiveRate, true),
                );
                let at = g.offset_criteria + method * CRITERIA.len();
                out[at] = get(Metric::SelectionRate, false);
                out[at + 1] = get(Metric::SelectionRate, true);
                out[at + 2] = tpr_d;
                out[at + 3] = tpr_r;
                out[at + 4] = get(Metric::PositivePredictiveValue, false);
                out[at + 5] = get(Metric::PositivePredictiveValue, true);
                for l in 0..LANES {
                    let (td, fd, tr, fr) = (tpr_d[l], fpr_d[l], tpr_r[l], fpr_r[l]);
                    out[at + 6][l] = td.max(fd) + 0.0 * (td + fd); // NaN if either is NaN
                    out[at + 7][l] = (td + fd) / 2.0;
                    out[at + 8][l] = tr.min(fr) + 0.0 * (tr + fr);
                    out[at + 9][l] = (tr + fr) / 2.0;
                }
            }
        }
        let mut lv: Vec<([Lanes; 4], Lanes)> = Vec::new();
        for c in &self.comparisons {
            lv.clear();
            lv.resize(c.levels, ([[0.0; LANES]; 4], [0.0; LANES]));
            for (cell, &l) in c.map.iter().enumerate() {
                for k in 0..4 {
                    add(&mut lv[l].0[k], &rate[cell][k]);
                }
                add(&mut lv[l].1, &rows[cell]);
            }
            let mut u = ([[0.0; LANES]; 4], [0.0; LANES]);
            for &l in &c.unprivileged {
                for k in 0..4 {
                    add(&mut u.0[k], &lv[l].0[k]);
                }
                add(&mut u.1, &lv[l].1);
            }
            let p = &lv[c.privileged];
            let of = |m: Metric| (metric_lanes(m, &u.0, &u.1), metric_lanes(m, &p.0, &p.1));
            let (sr, tpr, fpr) = (
                of(Metric::SelectionRate),
                of(Metric::TruePositiveRate),
                of(Metric::FalsePositiveRate),
            );
            for l in 0..LANES {
                let (dt, df) = (tpr.0[l] - tpr.1[l], fpr.0[l] - fpr.1[l]);
                let di = if sr.1[l] == 0.0 {
                    f64::NAN
                } else {
                    sr.0[l] / sr.1[l]
                };
                let vals = [
                    di,
                    sr.0[l] - sr.1[l],
                    dt,
                    (df + dt) / 2.0,
                    (df.abs() + dt.abs()) / 2.0,
                    df.abs().max(dt.abs()) + 0.0 * (df + dt),
                ];
                for (q, v) in vals.into_iter().enumerate() {
                    out[c.offset + q][l] = v;
                }
            }
        }
    }
}

#[inline(always)]
fn add(to: &mut Lanes, x: &Lanes) {
    for (t, x) in to.iter_mut().zip(x) {
        *t += x;
    }
}

/// A metric on every lane, NaN where undefined: [`Metric::evaluate`]'s definitions. Each
/// fraction is evaluated under its own arm, where the metric is a constant, so the lane loop is
/// straight-line code the compiler vectorises.
#[inline(always)]
fn metric_lanes(metric: Metric, c: &[Lanes; 4], rows: &Lanes) -> Lanes {
    #[inline(always)]
    fn lanes(c: &[Lanes; 4], fraction: impl Fn(&Confusion) -> Option<(f64, f64)>) -> Lanes {
        let mut out = [f64::NAN; LANES];
        for (l, o) in out.iter_mut().enumerate() {
            let (n, d) = fraction(&Confusion::from_array([c[0][l], c[1][l], c[2][l], c[3][l]]))
                .unwrap_or((f64::NAN, f64::NAN));
            *o = if d != 0.0 { n / d } else { f64::NAN };
        }
        out
    }
    use Metric as M;
    match metric {
        M::Count => std::array::from_fn(|l| rows[l] as u64 as f64),
        M::BalancedAccuracy => std::array::from_fn(|l| {
            let conf = Confusion::from_array([c[0][l], c[1][l], c[2][l], c[3][l]]);
            let (positives, negatives) = (conf.positives(), conf.negatives());
            if positives == 0.0 || negatives == 0.0 {
                f64::NAN
            } else {
                0.5 * (conf.tp / positives + conf.tn / negatives)
            }
        }),
        M::BaseRate => lanes(c, |x| M::BaseRate.fraction(x)),
        M::SelectionRate => lanes(c, |x| M::SelectionRate.fraction(x)),
        M::TruePositiveRate => lanes(c, |x| M::TruePositiveRate.fraction(x)),
        M::FalsePositiveRate => lanes(c, |x| M::FalsePositiveRate.fraction(x)),
        M::FalseNegativeRate => lanes(c, |x| M::FalseNegativeRate.fraction(x)),
        M::TrueNegativeRate => lanes(c, |x| M::TrueNegativeRate.fraction(x)),
        M::PositivePredictiveValue => lanes(c, |x| M::PositivePredictiveValue.fraction(x)),
        M::NegativePredictiveValue => lanes(c, |x| M::NegativePredictiveValue.fraction(x)),
        M::FalseDiscoveryRate => lanes(c, |x| M::FalseDiscoveryRate.fraction(x)),
        M::FalseOmissionRate => lanes(c, |x| M::FalseOmissionRate.fraction(x)),
        M::Accuracy => lanes(c, |x| M::Accuracy.fraction(x)),
        M::ErrorRate => lanes(c, |x| M::ErrorRate.fraction(x)),
        M::F1 => lanes(c, |x| M::F1.fraction(x)),
    }
}

/// Whether a group metric takes its interval from the bootstrap. Unweighted proportions keep
/// their Wilson interval: at small n or near 0 and 1 the percentile bootstrap of a proportion
/// collapses (a group with 28 of 28 positives gets [1, 1]), while Wilson keeps its coverage.
fn bootstrapped(metric: Metric, weighted: bool) -> bool {
    metric != Metric::Count && (weighted || !metric.is_proportion())
}

/// One metric's between-group gap in a grouping of two groups: the [`crate::folded`] intervals
/// of its difference and ratio, and the (signed estimate, standard error) behind each, the
/// ratio's on the log scale.
#[derive(Clone, Copy, Default)]
struct Folded {
    difference: Option<Interval>,
    ratio: Option<Interval>,
    difference_gap: Option<(f64, f64)>,
    log_ratio_gap: Option<(f64, f64)>,
}

/// For a grouping of exactly two groups, each metric's [`Folded`] gap, from the replicates of
/// the signed contrasts; empty where they do not apply (the percentile interval stays).
fn folded_cis(
    g: &GroupingResult,
    plan: &GroupingPlan,
    m: usize,
    reps: &bootstrap::Replicates,
    level: f64,
) -> Vec<Folded> {
    let [j0, j1] = plan.named[..] else {
        return vec![Folded::default(); m];
    };
    (0..m)
        .map(|mi| {
            let col = |j: usize| plan.offset_groups + j * m + mi;
            let (c0, c1) = (col(j0), col(j1));
            let est = |j: usize| num(g.groups[j].metrics[mi].value);
            let contrast = |f: fn(f64) -> f64| -> Vec<f64> {
                match (reps.column(c1), reps.column(c0)) {
                    (Some(a), Some(b)) => a.zip(b).map(|(x, y)| f(x) - f(y)).collect(),
                    _ => Vec::new(),
                }
            };
            // Every metric but the count lies in [0, 1], and so does a gap between two groups.
            let bound = if g.groups[j0].metrics[mi].metric == Metric::Count {
                f64::INFINITY
            } else {
                1.0
            };
            let difference_gap = folded::gap_estimate(&mut contrast(|x| x), est(j1) - est(j0));
            let log_ratio_gap =
                folded::gap_estimate(&mut contrast(f64::ln), est(j1).ln() - est(j0).ln());
            Folded {
                difference: difference_gap
                    .map(|(e, s)| folded::folded_normal_interval(e, s, level))
                    .map(|i| Interval {
                        lower: i.lower.min(bound),
                        upper: i.upper.min(bound),
                    }),
                ratio: log_ratio_gap
                    .map(|(e, s)| folded::folded_normal_interval(e, s, level))
                    .map(|i| Interval {
                        lower: (-i.upper).exp(),
                        upper: (-i.lower).exp(),
                    }),
                difference_gap,
                log_ratio_gap,
            }
        })
        .collect()
}

/// The equalized-odds worst case of a grouping of two groups, as difference and as ratio.
type WorstCase = [Option<Interval>; 2];

/// The interval of the equalized-odds worst case, the larger of the TPR and FPR gaps, from the
/// two gaps' estimates and standard errors ([`folded::worst_case_interval`]: the gaps come from
/// disjoint rows, label 1 and label 0, so they are independent); the ratio's on the log scale.
fn worst_case(metrics: &[Metric], folded: &[Folded], level: f64) -> WorstCase {
    let of = |metric: Metric| {
        metrics
            .iter()
            .position(|&x| x == metric)
            .and_then(|mi| folded.get(mi))
    };
    let (Some(tpr), Some(fpr)) = (of(Metric::TruePositiveRate), of(Metric::FalsePositiveRate))
    else {
        return [None, None];
    };
    if tpr.difference_gap.is_none() && tpr.log_ratio_gap.is_none() {
        return [None, None];
    }
    let interval = |a: Option<(f64, f64)>, b: Option<(f64, f64)>| {
        a.zip(b)
            .map(|(a, b)| folded::worst_case_interval(a, b, level))
            .filter(|i| i.lower.is_finite() && i.upper.is_finite())
    };
    // The two searches take milliseconds each: side by side.
    let (difference, ratio) = std::thread::scope(|scope| {
        let difference = scope.spawn(|| interval(tpr.difference_gap, fpr.difference_gap));
        let ratio = interval(tpr.log_ratio_gap, fpr.log_ratio_gap);
        (difference.join().unwrap_or(None), ratio)
    });
    [
        // Rates: the gap lies in [0, 1].
        difference.map(|i| Interval {
            lower: i.lower.min(1.0),
            upper: i.upper.min(1.0),
        }),
        ratio.map(|i| Interval {
            lower: (-i.upper).exp(),
            upper: (-i.lower).exp(),
        }),
    ]
}

fn set_group_cis(
    g: &mut GroupingResult,
    plan: &GroupingPlan,
    m: usize,
    weighted: bool,
    ci: &dyn Fn(usize) -> Option<Interval>,
    folded: &[Folded],
) {
    for (j, group) in g.groups.iter_mut().enumerate() {
        for (mi, e) in group.metrics.iter_mut().enumerate().take(m) {
            if bootstrapped(e.metric, weighted) {
                e.ci = ci(plan.offset_groups + j * m + mi);
            }
        }
    }
    for (mi, d) in g.disparities.iter_mut().enumerate().take(m) {
        let f = folded.get(mi).copied().unwrap_or_default();
        let (fd, fr) = (f.difference, f.ratio);
        d.between_groups.difference.ci = fd.or_else(|| ci(plan.offset_disparities + mi * 6));
        d.between_groups.ratio.ci = fr.or_else(|| ci(plan.offset_disparities + mi * 6 + 1));
        d.to_overall.difference.ci = ci(plan.offset_disparities + mi * 6 + 2);
        d.to_overall.ratio.ci = ci(plan.offset_disparities + mi * 6 + 3);
        if let Some(tr) = &mut d.to_reference {
            tr.difference.ci = ci(plan.offset_disparities + mi * 6 + 4);
            tr.ratio.ci = ci(plan.offset_disparities + mi * 6 + 5);
        }
    }
}

/// Bootstraps every statistic of `r` and attaches percentile intervals to it.
pub(crate) fn attach(t: &CountTensor, r: &mut AuditResult, options: &BootstrapOptions) {
    let plan = Plan::new(t, r);
    let n = plan.len();
    let level = r.confidence;
    // The folded-normal regions are prepared while the replicates are drawn.
    let two_groups = options.gaps == bootstrap::GapInterval::Folded
        && plan.groupings.iter().any(|g| g.named.len() == 2);
    let m = plan.metrics.len();
    let weighted = t.is_weighted();
    // The replicates kept: every statistic that may take a percentile interval (the
    // candidates), and the group metrics of two-group groupings (their contrasts give the folded
    // intervals).
    let mut keep = vec![false; n];
    let no_folded = vec![Vec::new(); r.groupings.len()];
    {
        let keep = std::cell::RefCell::new(&mut keep);
        assign(r, &plan, &no_folded, weighted, &[], &|s| {
            keep.borrow_mut()[s] = true;
            None
        });
    }
    let candidates: Vec<usize> = (0..n).filter(|&s| keep[s]).collect();
    if options.gaps == bootstrap::GapInterval::Folded {
        for g in &plan.groupings {
            if let [j0, j1] = g.named[..] {
                for mi in 0..m {
                    keep[g.offset_groups + j0 * m + mi] = true;
                    keep[g.offset_groups + j1 * m + mi] = true;
                }
            }
        }
    }
    let keep: Vec<usize> = (0..n).filter(|&s| keep[s]).collect();
    let reps = std::thread::scope(|scope| {
        if two_groups {
            scope.spawn(|| folded::prepare(level));
        }
        bootstrap::run(t, options, n, &keep, |rate, rows, out| {
            plan.compute(rate, rows, out)
        })
    });
    // The two-group gaps' intervals (folded, then the worst case) on one thread while the
    // percentile intervals of every candidate are computed on the others; those a gap's
    // interval replaces are simply not used.
    let fell_back = std::sync::Mutex::new(Vec::new());
    let ((folded, worst), cis) = std::thread::scope(|scope| {
        let gaps = scope.spawn(|| {
            let folded: Vec<Vec<Folded>> = r
                .groupings
                .iter()
                .zip(&plan.groupings)
                .map(|(g, gp)| match options.gaps {
                    bootstrap::GapInterval::Folded => folded_cis(g, gp, m, &reps, level),
                    bootstrap::GapInterval::Percentile => Vec::new(),
                })
                .collect();
            let worst: Vec<WorstCase> = folded
                .iter()
                .map(|f| worst_case(&plan.metrics, f, level))
                .collect();
            (folded, worst)
        });
        let cis = if options.bca {
            // BCa where it is defined, the percentile interval (marked) where it is not.
            let (estimate, acceleration) = jackknife(t, &plan);
            let bca = |s: usize| reps.bca_interval(s, estimate[s], acceleration[s], level);
            reps.intervals(&candidates, options.threads, |s| {
                bca(s).or_else(|| {
                    let ci = reps.percentile_interval(s, level);
                    if ci.is_some() {
                        if let Ok(mut f) = fell_back.lock() {
                            f.push(s);
                        }
                    }
                    ci
                })
            })
        } else {
            reps.percentile_intervals(&candidates, level, options.threads)
        };
        (gaps.join().expect("gap interval worker panicked"), cis)
    });
    let mut fell_back = fell_back.into_inner().unwrap_or_default();
    fell_back.sort_unstable();
    let used = std::cell::Cell::new((0usize, 0usize));
    assign(r, &plan, &folded, weighted, &worst, &|s| {
        let (n, percentile) = used.get();
        if cis[s].is_some() {
            used.set((
                n + 1,
                percentile + usize::from(fell_back.binary_search(&s).is_ok()),
            ));
        }
        cis[s]
    });
    let (used, percentile) = used.get();
    r.interval_method = format!(
        "{}percentile bootstrap at {}% for {}: {} replicates of the count tensor drawn by the Poisson bootstrap (seed {}){}{}; no interval where over 5% of replicates are undefined",
        if weighted { "" } else { "Wilson score interval for group proportions; " },
        r.confidence * 100.0,
        if weighted { "every number" } else { "disparities, criteria, comparisons, F1 and balanced accuracy" },
        options.replicates,
        options.seed,
        if t.is_weighted() {
            ", weighted sums by the moment-matched compound Poisson (scaled Poisson with mean Σw and variance Σw²)"
        } else {
            ""
        },
        match options.gaps {
            bootstrap::GapInterval::Folded => "; for a grouping of two groups, the gap between them (difference |m₁ − m₀| and ratio, the criteria built on one metric, and the equalized-odds worst case, the larger of the TPR and FPR gaps, by the Neyman construction of the larger of two folded normals) takes the Feldman–Cousins interval of a folded normal instead, its standard error the replicates' interquartile range / 1.349 (a percentile interval of a folded gap over-covers near zero)",
            bootstrap::GapInterval::Percentile => "",
        }
    );
    if options.bca {
        r.interval_method = r
            .interval_method
            .replacen("percentile bootstrap", "BCa bootstrap", 1);
        r.interval_method.push_str(&format!(
            "; BCa is the bias-corrected and accelerated interval (Efron 1987): z₀ from the share of replicates below the estimate, ties counting half, and the acceleration from the jackknife, one row deleted from each cell × label × prediction slot{}; where it is undefined (all replicates on one side of the estimate, or a deletion leaves the statistic undefined) the percentile interval stands in: {percentile} of {used}",
            if weighted { " with the slot's mean weight" } else { "" }
        ));
    }
}

/// Attaches to `r` the interval `ci` gives for each statistic of `plan` that takes one, and the
/// two-group gaps' `folded` intervals where they exist.
fn assign(
    r: &mut AuditResult,
    plan: &Plan,
    folded: &[Vec<Folded>],
    weighted: bool,
    worst: &[WorstCase],
    ci: &dyn Fn(usize) -> Option<Interval>,
) {
    let m = plan.metrics.len();
    for (mi, e) in r.overall.metrics.iter_mut().enumerate().take(m) {
        if bootstrapped(e.metric, weighted) {
            e.ci = ci(mi);
        }
    }
    for ((g, gp), f) in r.groupings.iter_mut().zip(&plan.groupings).zip(folded) {
        set_group_cis(g, gp, m, weighted, ci, f);
    }
    let methods = [
        crate::disparity::Method::BetweenGroups,
        crate::disparity::Method::ToOverall,
        crate::disparity::Method::ToReference,
    ];
    for c in &mut r.criteria {
        let Some((gi, _)) = r
            .groupings
            .iter()
            .enumerate()
            .find(|(_, g)| g.attributes == c.grouping)
        else {
            continue;
        };
        let method = methods
            .iter()
            .position(|x| *x == c.method)
            .expect("three methods");
        if let Some(k) = CRITERIA
            .iter()
            .position(|(n, a)| *n == c.name && *a == c.agg.as_deref())
        {
            // The two-group gaps of one metric (not the equalized-odds aggregates) take the
            // folded interval their disparity got.
            let of_metric = [
                Metric::SelectionRate,
                Metric::TruePositiveRate,
                Metric::PositivePredictiveValue,
            ];
            let gap = |metric: Metric, ratio: bool| {
                plan.metrics
                    .iter()
                    .position(|&x| x == metric)
                    .and_then(|mi| folded.get(gi).and_then(|f| f.get(mi)))
                    .and_then(|f| if ratio { f.ratio } else { f.difference })
            };
            let between = c.method == crate::disparity::Method::BetweenGroups;
            let f = match k {
                0..6 if between => gap(of_metric[k / 2], k % 2 == 1),
                6 | 8 if between => worst.get(gi).and_then(|w| w[usize::from(k == 8)]),
                _ => None,
            };
            // A criterion built on one metric is that metric's disparity: the same replicates,
            // read from the disparity's column.
            let g = &plan.groupings[gi];
            let column = match k {
                0..6 => plan
                    .metrics
                    .iter()
                    .position(|&x| x == of_metric[k / 2])
                    .map(|mi| g.offset_disparities + mi * 6 + method * 2 + k % 2),
                _ => None,
            };
            c.ci =
                f.or_else(|| ci(column.unwrap_or(g.offset_criteria + method * CRITERIA.len() + k)));
        }
    }
    for (rc, cp) in r.reference_comparisons.iter_mut().zip(&plan.comparisons) {
        for v in &mut rc.values {
            if let Some(k) = COMPARISONS.iter().position(|n| *n == v.name) {
                v.ci = ci(cp.offset + k);
            }
        }
    }
}

/// Every statistic's estimate and its jackknife acceleration, BCa's a = Σ dᵢ³ / (6 (Σ dᵢ²)^{3/2})
/// with dᵢ = θ̄ − θ₍ᵢ₎ over the rows i, θ₍ᵢ₎ the statistic without row i (Efron 1987, eq. 6.6;
/// `scipy.stats.bootstrap`'s). On the tensor the rows of one slot (cell × label × prediction)
/// leave the same θ₍ᵢ₎, so it takes one evaluation per non-empty slot, weighted by its rows,
/// [`LANES`] at a time. A weighted slot loses its mean weight with the row. NaN where a deletion
/// leaves the statistic undefined or it does not vary.
fn jackknife(t: &CountTensor, plan: &Plan) -> (Vec<f64>, Vec<f64>) {
    let rate: Vec<[f64; 4]> = t
        .cells()
        .map(|c| {
            let x = t.confusion(c);
            [x.tn, x.fp, x.fn_, x.tp]
        })
        .collect();
    let counts: Vec<[u64; 4]> = t.cells().map(|c| t.counts(c)).collect();
    let rows: Vec<f64> = counts
        .iter()
        .map(|n| n.iter().sum::<u64>() as f64)
        .collect();
    let slots: Vec<(usize, usize)> = (0..counts.len())
        .flat_map(|c| (0..4).map(move |k| (c, k)))
        .filter(|&(c, k)| counts[c][k] > 0)
        .collect();
    let mut block_rate: Vec<[Lanes; 4]> = rate.iter().map(|c| c.map(|x| [x; LANES])).collect();
    let mut block_rows: Vec<Lanes> = rows.iter().map(|&r| [r; LANES]).collect();
    let mut out = vec![[f64::NAN; LANES]; plan.len()];
    plan.compute(&block_rate, &block_rows, &mut out);
    let estimate: Vec<f64> = out.iter().map(|x| x[0]).collect();
    // Σ nᵢ eᵢ^p for p = 1, 2, 3 with eᵢ = θ₍ᵢ₎ − θ̂ (shifted by the estimate for accuracy).
    let mut sums = vec![[0.0f64; 3]; plan.len()];
    for block in slots.chunks(LANES) {
        for (l, &(c, k)) in block.iter().enumerate() {
            block_rate[c][k][l] -= rate[c][k] / counts[c][k] as f64;
            block_rows[c][l] -= 1.0;
        }
        plan.compute(&block_rate, &block_rows, &mut out);
        for (l, &(c, k)) in block.iter().enumerate() {
            block_rate[c][k][l] = rate[c][k];
            block_rows[c][l] = rows[c];
            let n = counts[c][k] as f64;
            for (sum, (x, e)) in sums.iter_mut().zip(out.iter().zip(&estimate)) {
                let d = x[l] - e;
                sum[0] += n * d;
                sum[1] += n * d * d;
                sum[2] += n * d * d * d;
            }
        }
    }
    let total: f64 = rows.iter().sum();
    let acceleration = sums
        .iter()
        .map(|&[s1, s2, s3]| {
            // Central moments about the jackknife mean θ̄ = θ̂ + s1 / N; dᵢ = −(eᵢ − s1 / N).
            let m = s1 / total;
            let c2 = s2 - total * m * m;
            let c3 = s3 - 3.0 * m * s2 + 2.0 * total * m * m * m;
            let a = -c3 / (6.0 * c2.powf(1.5));
            if c2 > 0.0 && a.is_finite() {
                a
            } else {
                f64::NAN
            }
        })
        .collect();
    (estimate, acceleration)
}

/// The plan's statistics on the original counts (for the consistency test).
#[cfg(test)]
pub(crate) fn point_statistics(t: &CountTensor, r: &AuditResult) -> (Vec<f64>, Plan) {
    let plan = Plan::new(t, r);
    let (estimate, _) = jackknife(t, &plan);
    (estimate, plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{audit, AuditOptions, InputSummary};
    use crate::counts::TensorBuilder;

    fn tensor(weighted: bool) -> CountTensor {
        let mut b = TensorBuilder::new(vec!["sex".into(), "race".into()], weighted, None).unwrap();
        let mut state = 12345u64;
        for i in 0..3000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (state >> 33) as u32;
            let sex = if r % 2 == 0 { Some("f") } else { Some("m") };
            let race = match r % 7 {
                0 => None,
                1 | 2 => Some("b"),
                3 => Some("c"),
                _ => Some("a"),
            };
            let y = (r >> 3) % 3 == 0;
            let p = (r >> 5) % 4 == 0 || (y && race == Some("a"));
            let c = [b.code(0, sex).unwrap(), b.code(1, race).unwrap()];
            b.add(&c, y, p, weighted.then_some(0.5 + (i % 3) as f64));
        }
        b.finish().unwrap()
    }

    /// The AVX2 copy of the evaluator gives the portable one's numbers bit for bit, on random
    /// replicates with empty cells (and so undefined metrics).
    #[test]
    fn compiled_for_avx2_or_not_the_statistics_are_equal() {
        let t = tensor(false);
        let opts = AuditOptions {
            reference: vec![("sex".into(), "m".into())],
            bootstrap: None,
            ..AuditOptions::default()
        };
        let r = audit(&t, InputSummary::default(), &opts).unwrap();
        let (_, plan) = point_statistics(&t, &r);
        let mut state = 5u64;
        let mut draw = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = state >> 33;
            if r % 5 == 0 {
                0.0
            } else {
                (r % 40) as f64
            }
        };
        for _ in 0..50 {
            let rate: Vec<[Lanes; 4]> = (0..t.len())
                .map(|_| std::array::from_fn(|_| std::array::from_fn(|_| draw())))
                .collect();
            let rows: Vec<Lanes> = rate
                .iter()
                .map(|c| std::array::from_fn(|l| c[0][l] + c[1][l] + c[2][l] + c[3][l]))
                .collect();
            let mut portable = vec![[0.0; LANES]; plan.len()];
            let mut dispatched = vec![[1.0; LANES]; plan.len()];
            plan.compute_portable(&rate, &rows, &mut portable);
            plan.compute(&rate, &rows, &mut dispatched);
            let bits =
                |v: &[Lanes]| -> Vec<u64> { v.iter().flatten().map(|x| x.to_bits()).collect() };
            assert_eq!(bits(&portable), bits(&dispatched));
            assert!(portable.iter().flatten().any(|x| x.is_nan()));
        }
        #[cfg(target_arch = "x86_64")]
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("this CPU has no AVX2: only the portable evaluator was run");
        }
    }

    /// Rows of a small audit: (sex, race, label, prediction, weight).
    fn small_rows() -> Vec<(&'static str, &'static str, bool, bool, f64)> {
        let mut state = 77u64;
        (0..150)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (state >> 33) as u32;
                let sex = if i % 2 == 0 { "f" } else { "m" };
                let race = ["a", "b", "c"][i % 3];
                let y = r % 3 == 0;
                let p = (r >> 4) % 2 == 0 || (y && sex == "f");
                (sex, race, y, p, 1.0 + f64::from(r % 4))
            })
            .collect()
    }

    fn small_tensor(rows: &[(&str, &str, bool, bool, f64)], weighted: bool) -> CountTensor {
        let mut b = TensorBuilder::new(vec!["sex".into(), "race".into()], weighted, None).unwrap();
        for &(sex, race, y, p, w) in rows {
            let c = [
                b.code(0, Some(sex)).unwrap(),
                b.code(1, Some(race)).unwrap(),
            ];
            b.add(&c, y, p, weighted.then_some(w));
        }
        b.finish().unwrap()
    }

    /// The acceleration from one evaluation per slot equals the jackknife done row by row, each
    /// row deleted and the audit rerun (for a weighted audit, rows of one slot with equal
    /// weights, as the slot's mean weight assumes).
    #[test]
    fn slot_jackknife_equals_the_row_by_row_jackknife() {
        for weighted in [false, true] {
            let mut rows = small_rows();
            if weighted {
                // Equal weights within a slot: the weight depends on the slot only.
                for r in &mut rows {
                    r.4 = 1.0 + f64::from(u8::from(r.2)) + 2.0 * f64::from(u8::from(r.3));
                }
            }
            let t = small_tensor(&rows, weighted);
            let opts = AuditOptions {
                bootstrap: None,
                ..AuditOptions::default()
            };
            let r = audit(&t, InputSummary::default(), &opts).unwrap();
            let plan = Plan::new(&t, &r);
            let (estimate, acceleration) = jackknife(&t, &plan);
            let m = plan.metrics.len();
            let sr = plan
                .metrics
                .iter()
                .position(|&x| x == Metric::SelectionRate)
                .unwrap();
            let f1 = plan.metrics.iter().position(|&x| x == Metric::F1).unwrap();
            // (statistic, its value in an audit result)
            type Read = Box<dyn Fn(&AuditResult) -> f64>;
            let g = &plan.groupings[0];
            let checks: Vec<(usize, Read)> = vec![
                (
                    g.offset_disparities + sr * 6,
                    Box::new(move |x: &AuditResult| {
                        num(x.groupings[0].disparities[sr]
                            .between_groups
                            .difference
                            .value)
                    }),
                ),
                (
                    g.offset_disparities + f1 * 6 + 3,
                    Box::new(move |x: &AuditResult| {
                        num(x.groupings[0].disparities[f1].to_overall.ratio.value)
                    }),
                ),
                (
                    g.offset_groups + m + f1,
                    Box::new(
                        move |x: &AuditResult| num(x.groupings[0].groups[1].metrics[f1].value),
                    ),
                ),
            ];
            for (s, read) in &checks {
                assert!((read(&r) - estimate[*s]).abs() < 1e-12);
                let thetas: Vec<f64> = (0..rows.len())
                    .map(|i| {
                        let mut without = rows.clone();
                        without.remove(i);
                        let ti = small_tensor(&without, weighted);
                        read(&audit(&ti, InputSummary::default(), &opts).unwrap())
                    })
                    .collect();
                let mean = thetas.iter().sum::<f64>() / thetas.len() as f64;
                let d2: f64 = thetas.iter().map(|x| (mean - x).powi(2)).sum();
                let d3: f64 = thetas.iter().map(|x| (mean - x).powi(3)).sum();
                let want = d3 / (6.0 * d2.powf(1.5));
                assert!(
                    (acceleration[*s] - want).abs() < 1e-9 * want.abs().max(1e-3),
                    "statistic {s} weighted {weighted}: {} vs {want}",
                    acceleration[*s]
                );
                assert!(want.abs() > 1e-6, "a test case with no skew: {want}");
            }
        }
    }

    /// Every metric on lanes is bit for bit [`Metric::evaluate`], zero denominators included.
    #[test]
    fn metric_lanes_are_evaluate_bit_for_bit() {
        let mut state = 99u64;
        let mut draw = |zero_often: bool| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = state >> 33;
            if zero_often && r % 3 == 0 {
                0.0
            } else {
                (r % 50) as f64
            }
        };
        for round in 0..200 {
            let c: [Lanes; 4] =
                std::array::from_fn(|_| std::array::from_fn(|_| draw(round % 2 == 0)));
            let rows: Lanes = std::array::from_fn(|l| c[0][l] + c[1][l] + c[2][l] + c[3][l]);
            for metric in Metric::ALL {
                let lanes = metric_lanes(metric, &c, &rows);
                for l in 0..LANES {
                    let conf = Confusion::from_array([c[0][l], c[1][l], c[2][l], c[3][l]]);
                    let want = num(metric.evaluate(&conf, rows[l] as u64));
                    assert!(
                        want.to_bits() == lanes[l].to_bits()
                            || (want.is_nan() && lanes[l].is_nan()),
                        "{metric} lane {l}: {} vs {want}",
                        lanes[l]
                    );
                }
            }
        }
    }

    /// The fast evaluator must reproduce every point estimate of the audit exactly.
    #[test]
    fn plan_reproduces_the_audit_point_estimates() {
        for weighted in [false, true] {
            let t = tensor(weighted);
            let opts = AuditOptions {
                reference: vec![("sex".into(), "m".into()), ("race".into(), "a".into())],
                bootstrap: None,
                ..AuditOptions::default()
            };
            let r = audit(&t, InputSummary::default(), &opts).unwrap();
            let (stats, plan) = point_statistics(&t, &r);
            let same = |what: &str, v: Value, s: f64| match v {
                Value::Defined(x) => assert!(
                    (x - s).abs() <= 1e-12 * x.abs().max(1.0),
                    "{what}: {x} vs {s}"
                ),
                Value::Undefined(_) => assert!(s.is_nan(), "{what}: undefined vs {s}"),
            };
            let m = plan.metrics.len();
            for (mi, e) in r.overall.metrics.iter().enumerate() {
                same("overall", e.value, stats[mi]);
            }
            let mut checked = 0;
            for (g, gp) in r.groupings.iter().zip(&plan.groupings) {
                for (j, grp) in g.groups.iter().enumerate() {
                    for (mi, e) in grp.metrics.iter().enumerate() {
                        same(
                            &format!("{} {}", grp.key, e.metric),
                            e.value,
                            stats[gp.offset_groups + j * m + mi],
                        );
                        checked += 1;
                    }
                }
                for (mi, d) in g.disparities.iter().enumerate() {
                    let base = gp.offset_disparities + mi * 6;
                    same("bg d", d.between_groups.difference.value, stats[base]);
                    same("bg r", d.between_groups.ratio.value, stats[base + 1]);
                    same("to d", d.to_overall.difference.value, stats[base + 2]);
                    same("to r", d.to_overall.ratio.value, stats[base + 3]);
                    if let Some(tr) = &d.to_reference {
                        same("tr d", tr.difference.value, stats[base + 4]);
                        same("tr r", tr.ratio.value, stats[base + 5]);
                    }
                    checked += 4;
                }
            }
            let methods = [
                crate::disparity::Method::BetweenGroups,
                crate::disparity::Method::ToOverall,
                crate::disparity::Method::ToReference,
            ];
            for c in &r.criteria {
                let gi = r
                    .groupings
                    .iter()
                    .position(|g| g.attributes == c.grouping)
                    .unwrap();
                let mi = methods.iter().position(|x| *x == c.method).unwrap();
                let k = CRITERIA
                    .iter()
                    .position(|(n, a)| *n == c.name && *a == c.agg.as_deref())
                    .unwrap();
                same(
                    &c.name,
                    c.value,
                    stats[plan.groupings[gi].offset_criteria + mi * CRITERIA.len() + k],
                );
                checked += 1;
            }
            for (rc, cp) in r.reference_comparisons.iter().zip(&plan.comparisons) {
                for v in &rc.values {
                    if let Some(k) = COMPARISONS.iter().position(|n| *n == v.name) {
                        same(&v.name, v.value, stats[cp.offset + k]);
                        checked += 1;
                    }
                }
            }
            assert!(checked > 500, "{checked}");
        }
    }

    #[test]
    fn intervals_are_attached_and_cover_the_estimate() {
        let t = tensor(false);
        let opts = AuditOptions {
            reference: vec![("sex".into(), "m".into())],
            bootstrap: Some(BootstrapOptions {
                replicates: 200,
                seed: 3,
                threads: 2,
                ..BootstrapOptions::default()
            }),
            ..AuditOptions::default()
        };
        let r = audit(&t, InputSummary::default(), &opts).unwrap();
        assert!(r.interval_method.contains("200 replicates"));
        let sex = r.grouping(&["sex"]).unwrap();
        let sr = sex
            .disparities
            .iter()
            .find(|d| d.metric == Metric::SelectionRate)
            .unwrap();
        let ci = sr.between_groups.difference.ci.unwrap();
        let v = sr.between_groups.difference.value.get().unwrap();
        assert!(ci.lower <= v && v <= ci.upper, "{ci:?} {v}");
        let eo = r
            .criteria
            .iter()
            .find(|c| {
                c.name == "equalized_odds_difference" && c.agg.as_deref() == Some("worst_case")
            })
            .unwrap();
        assert!(eo.ci.is_some());
        assert!(r.reference_comparisons[0].values[0].ci.is_some());
        // same seed, same intervals
        let again = audit(&t, InputSummary::default(), &opts).unwrap();
        assert_eq!(again, r);
    }
}
