//! What a report says, decided once for the Markdown and the HTML renderers.
//!
//! This module reads an [`AuditResult`] and picks what a reviewer reads first: for each named
//! criterion and grouping, its difference and ratio (as the core computed them), a verdict
//! against the report's [`Thresholds`], and the two groups that decide it (as the core named
//! them). The plain-words summary is built here as [`Span`]s, so that both renderers say the
//! same sentences and only the markup differs. Nothing here computes a metric: values are looked
//! up, compared with thresholds and with each other, and formatted.

use aequo_core::audit::{AuditResult, CriterionResult, GroupResult, GroupingResult};
use aequo_core::disparity::Method;
use aequo_core::{GroupKey, Metric, Value};

use crate::format::{count, group, interval, lower_first, number, percent, short, value};

/// The tolerances a report's summary judges criteria by.
///
/// The core reports differences and ratios without judging them; a report has to say in plain
/// words whether a criterion holds. The defaults are the bands of AIF360's interactive demo
/// (a difference within ±0.1 and a ratio of at least 0.8 count as fair), a convention rather than
/// a statistical test; every report states the tolerances it used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Largest difference (between the highest and the lowest group) that still holds.
    pub difference: f64,
    /// Smallest ratio (lowest over highest group) that still holds.
    pub ratio: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            difference: 0.1,
            ratio: 0.8,
        }
    }
}

/// A named criterion as the summary presents it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CriterionDef {
    /// The prefix of the core's criterion names (`{name}_difference`, `{name}_ratio`).
    pub name: &'static str,
    /// Its title.
    pub title: &'static str,
    /// What it asks for, in plain words.
    pub what: &'static str,
    /// The metrics it compares (equalized odds: the worse of two).
    pub metrics: &'static [Metric],
    /// The core's `agg` for criteria that combine metrics.
    pub agg: Option<&'static str>,
}

/// The criteria a summary reports, in reading order.
pub(crate) const CRITERIA: [CriterionDef; 4] = [
    CriterionDef {
        name: "demographic_parity",
        title: "Demographic parity",
        what: "selection rates equal across groups",
        metrics: &[Metric::SelectionRate],
        agg: None,
    },
    CriterionDef {
        name: "equal_opportunity",
        title: "Equal opportunity",
        what: "true positive rates equal across groups",
        metrics: &[Metric::TruePositiveRate],
        agg: None,
    },
    CriterionDef {
        name: "equalized_odds",
        title: "Equalized odds",
        what: "true and false positive rates both equal across groups; the worse of the two counts",
        metrics: &[Metric::TruePositiveRate, Metric::FalsePositiveRate],
        agg: Some("worst_case"),
    },
    CriterionDef {
        name: "predictive_parity",
        title: "Predictive parity",
        what: "precision equal across groups",
        metrics: &[Metric::PositivePredictiveValue],
        agg: None,
    },
];

/// Metrics in tables and bar charts, when the result has them.
pub(crate) const TABLE_METRICS: [Metric; 6] = [
    Metric::BaseRate,
    Metric::SelectionRate,
    Metric::TruePositiveRate,
    Metric::FalsePositiveRate,
    Metric::PositivePredictiveValue,
    Metric::Accuracy,
];

/// Metrics drawn as intersectional heat maps, when the result has them.
pub(crate) const HEATMAP_METRICS: [Metric; 3] = [
    Metric::SelectionRate,
    Metric::TruePositiveRate,
    Metric::FalsePositiveRate,
];

/// The subset of `wanted` that the result reports.
pub(crate) fn available(result: &AuditResult, wanted: &[Metric]) -> Vec<Metric> {
    wanted
        .iter()
        .copied()
        .filter(|m| result.metrics.iter().any(|i| i.id == *m))
        .collect()
}

/// A metric's human name as the result documents it.
pub(crate) fn metric_label(result: &AuditResult, m: Metric) -> String {
    result
        .metrics
        .iter()
        .find(|i| i.id == m)
        .map_or_else(|| m.label().to_owned(), |i| i.label.clone())
}

/// "sex × race".
pub(crate) fn grouping_name(g: &GroupingResult) -> String {
    g.attributes
        .iter()
        .map(|a| a.0.as_str())
        .collect::<Vec<_>>()
        .join(" × ")
}

/// Whether a criterion holds on one grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Within both tolerances.
    Holds,
    /// Outside a tolerance.
    Fails,
    /// The core could not compute it.
    Undefined,
}

impl Verdict {
    /// One word.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Fails => "fails",
            Verdict::Undefined => "undefined",
        }
    }
}

/// A criterion on one grouping.
#[derive(Debug, Clone)]
pub(crate) struct CriterionCell<'a> {
    /// The grouping.
    pub grouping: &'a GroupingResult,
    /// The difference between groups, as the core computed it.
    pub difference: Value,
    /// Its bootstrap interval, when the audit computed one.
    pub difference_ci: Option<aequo_core::interval::Interval>,
    /// The ratio, as the core computed it.
    pub ratio: Option<Value>,
    /// Against the thresholds.
    pub verdict: Verdict,
    /// The metric that decides it (for equalized odds, the one with the larger difference).
    pub metric: Metric,
    /// The lowest and the highest group on that metric, as the core named them.
    pub extremes: Option<(&'a GroupResult, &'a GroupResult)>,
}

impl CriterionCell<'_> {
    /// The difference with its interval and the ratio in parentheses ("0.088 [0.06–0.12]
    /// (0.838)"); when undefined, why
    /// ("(1 group(s) with a value)").
    pub fn numbers(&self) -> String {
        match self.difference {
            Value::Undefined(u) => u
                .to_string()
                .trim_start_matches("undefined")
                .trim()
                .to_owned(),
            d => {
                let mut s = value(&d);
                if let Some(ci) = &self.difference_ci {
                    s.push_str(&format!(
                        " [{}–{}]",
                        value(&Value::Defined(ci.lower)),
                        value(&Value::Defined(ci.upper))
                    ));
                }
                if let Some(r) = &self.ratio {
                    s.push_str(&format!(" ({})", value(r)));
                }
                s
            }
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn find_criterion<'a>(
    result: &'a AuditResult,
    g: &GroupingResult,
    name: &str,
    agg: Option<&str>,
) -> Option<&'a CriterionResult> {
    result.criteria.iter().find(|c| {
        c.name == name
            && c.grouping == g.attributes
            && c.method == Method::BetweenGroups
            && c.agg.as_deref() == agg
    })
}

fn find_group<'a>(g: &'a GroupingResult, key: &GroupKey) -> Option<&'a GroupResult> {
    g.groups.iter().find(|x| x.key == *key)
}

/// The between-groups difference of a metric on a grouping, as the core computed it.
fn between(g: &GroupingResult, m: Metric) -> Option<&aequo_core::audit::AggregateResult> {
    g.disparities
        .iter()
        .find(|d| d.metric == m)
        .map(|d| &d.between_groups.difference)
}

/// A criterion on every grouping of the result (empty when the result lacks its metrics).
pub(crate) fn criterion_cells<'a>(
    result: &'a AuditResult,
    def: &CriterionDef,
    t: &Thresholds,
) -> Vec<CriterionCell<'a>> {
    let mut out = Vec::new();
    for g in &result.groupings {
        let Some(d) = find_criterion(result, g, &format!("{}_difference", def.name), def.agg)
        else {
            continue;
        };
        let ratio =
            find_criterion(result, g, &format!("{}_ratio", def.name), def.agg).map(|c| c.value);
        // The deciding metric: the one whose between-groups difference is largest (a comparison
        // of values the core computed).
        let metric = def
            .metrics
            .iter()
            .copied()
            .max_by(|a, b| {
                let v = |m| {
                    between(g, m)
                        .and_then(|x| x.value.get())
                        .unwrap_or(f64::MIN)
                };
                v(*a).total_cmp(&v(*b))
            })
            .expect("every criterion compares at least one metric");
        let extremes = between(g, metric).and_then(|a| match a.groups.as_slice() {
            [lo, hi] => Some((find_group(g, lo)?, find_group(g, hi)?)),
            _ => None,
        });
        let verdict = match (d.value.get(), ratio.and_then(Value::get)) {
            (None, _) => Verdict::Undefined,
            (Some(diff), r) => {
                if diff <= t.difference && r.is_none_or(|r| r >= t.ratio) {
                    Verdict::Holds
                } else {
                    Verdict::Fails
                }
            }
        };
        out.push(CriterionCell {
            grouping: g,
            difference: d.value,
            difference_ci: d.ci,
            ratio,
            verdict,
            metric,
            extremes,
        });
    }
    out
}

/// A piece of a sentence: the renderers escape and mark it up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Span {
    /// Plain text written by aequo.
    Text(String),
    /// Emphasised text written by aequo (a criterion's name, a verdict).
    Strong(String),
    /// A name from the data (a group, a grouping): set apart.
    Name(String),
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// A group's value with its interval and size: "0.412, 95% CI 0.389–0.436, n = 1,208".
pub(crate) fn estimate_words(
    result: &AuditResult,
    g: &GroupResult,
    m: Metric,
    min_cell: u64,
) -> String {
    let mut s = g
        .metric(m)
        .map_or_else(|| "not computed".to_owned(), |e| value(&e.value));
    if let Some(ci) = g.metric(m).and_then(|e| e.ci.as_ref()) {
        s.push_str(&format!(
            ", {} CI {}",
            percent(result.confidence),
            interval(ci)
        ));
    }
    s.push_str(&format!(", n = {}", count(g.rows)));
    if g.rows < min_cell {
        s.push_str(", a small group");
    }
    s
}

/// The plain-words summary: one paragraph per item.
pub(crate) fn summary(result: &AuditResult, t: &Thresholds, min_cell: u64) -> Vec<Vec<Span>> {
    let mut out = Vec::new();
    let i = &result.input;
    let attrs: Vec<String> = result.attributes.iter().map(|a| a.name.0.clone()).collect();
    let groups: usize = result.groupings.iter().map(|g| g.groups.len()).sum();
    let mut p = vec![
        text(format!("{} rows", count(result.overall.rows))),
        text(if i.source.is_empty() {
            String::new()
        } else {
            " from ".to_owned()
        }),
    ];
    if !i.source.is_empty() {
        p.push(Span::Name(i.source.clone()));
    }
    p.push(text(format!(
        " audited over {} sensitive attribute{} (",
        attrs.len(),
        if attrs.len() == 1 { "" } else { "s" }
    )));
    for (k, a) in attrs.iter().enumerate() {
        if k > 0 {
            p.push(text(", "));
        }
        p.push(Span::Name(a.clone()));
    }
    p.push(text(format!(
        "): {}, {}. A criterion holds here when the gap between the highest and the lowest group is at most {} and their ratio at least {}.",
        plural(result.groupings.len(), "grouping", "groupings"),
        plural(groups, "group", "groups"),
        short(t.difference),
        short(t.ratio)
    )));
    let dropped: u64 = i.dropped.iter().map(|d| d.rows).sum();
    if dropped > 0 {
        p.push(text(format!(
            " {} rows were dropped (see Methods).",
            count(dropped)
        )));
    }
    out.push(p);

    for def in &CRITERIA {
        let cells = criterion_cells(result, def, t);
        if cells.is_empty() {
            continue;
        }
        let fails = cells.iter().filter(|c| c.verdict == Verdict::Fails).count();
        let holds = cells.iter().filter(|c| c.verdict == Verdict::Holds).count();
        let mut p = vec![
            Span::Strong(def.title.to_owned()),
            text(format!(" ({}): ", def.what)),
            Span::Strong(if fails > 0 {
                format!(
                    "fails on {fails} of {}",
                    plural(cells.len(), "grouping", "groupings")
                )
            } else if holds > 0 {
                if holds == 1 {
                    "holds on its only grouping".to_owned()
                } else {
                    format!("holds on all {holds} groupings")
                }
            } else {
                "cannot be evaluated".to_owned()
            }),
        ];
        if fails > 0 && holds > 0 {
            p.push(text(format!(", holds on {holds}")));
        }
        p.push(text("."));
        // The largest gap: a comparison of the core's values.
        let worst = cells
            .iter()
            .filter(|c| c.difference.is_defined())
            .max_by(|a, b| {
                let v = |c: &CriterionCell<'_>| c.difference.get().unwrap_or(f64::MIN);
                v(a).total_cmp(&v(b))
            });
        if let Some(w) = worst {
            p.push(text(format!(
                " Largest gap {} within ",
                value(&w.difference)
            )));
            p.push(Span::Name(grouping_name(w.grouping)));
            if let Some((lo, hi)) = w.extremes {
                let label = lower_first(&metric_label(result, w.metric));
                p.push(text(format!(" on {label}: ")));
                p.push(Span::Name(group(&lo.key)));
                p.push(text(format!(
                    " ({}) against ",
                    estimate_words(result, lo, w.metric, min_cell)
                )));
                p.push(Span::Name(group(&hi.key)));
                p.push(text(format!(
                    " ({})",
                    estimate_words(result, hi, w.metric, min_cell)
                )));
            }
            if let Some(r) = w.ratio {
                p.push(text(format!("; ratio {}", value(&r))));
            }
            p.push(text("."));
        }
        let marginal: Vec<&CriterionCell<'_>> = cells
            .iter()
            .filter(|c| c.grouping.attributes.len() == 1)
            .collect();
        if !marginal.is_empty() {
            p.push(text(" By attribute: "));
            for (k, c) in marginal.iter().enumerate() {
                if k > 0 {
                    p.push(text(", "));
                }
                p.push(Span::Name(grouping_name(c.grouping)));
                p.push(text(match c.verdict {
                    Verdict::Undefined => format!(" undefined {}", c.numbers()),
                    v => format!(" {} ({})", value(&c.difference), v.word()),
                }));
            }
            p.push(text("."));
        }
        out.push(p);
    }

    // The four-fifths rule, when asked for: one line over all groupings, naming for each
    // violation the group with the lowest ratio (the rest are in the tables).
    if !result.rules.is_empty() {
        let name = |r: &aequo_core::audit::RuleResult| {
            r.grouping
                .iter()
                .map(|a| a.0.as_str())
                .collect::<Vec<_>>()
                .join(" × ")
        };
        let mut p = vec![Span::Strong("Four-fifths rule".to_owned())];
        let holds: Vec<_> = result
            .rules
            .iter()
            .filter(|r| r.holds == Some(true))
            .collect();
        let violated: Vec<_> = result
            .rules
            .iter()
            .filter(|r| r.holds == Some(false))
            .collect();
        let unknown: Vec<_> = result.rules.iter().filter(|r| r.holds.is_none()).collect();
        let mut first = true;
        let mut clause = |p: &mut Vec<Span>, words: &str| {
            p.push(text(if first {
                format!(": {words} ")
            } else {
                format!("; {words} ")
            }));
            first = false;
        };
        if !holds.is_empty() {
            clause(&mut p, "holds on");
            for (k, r) in holds.iter().enumerate() {
                if k > 0 {
                    p.push(text(", "));
                }
                p.push(Span::Name(name(r)));
            }
        }
        if !violated.is_empty() {
            clause(&mut p, "violated on");
            for (k, r) in violated.iter().enumerate() {
                if k > 0 {
                    p.push(text(", "));
                }
                p.push(Span::Name(name(r)));
                // The group with the lowest ratio: a comparison of the core's ratios.
                let lowest = r
                    .below
                    .iter()
                    .filter_map(|key| {
                        r.ratios
                            .iter()
                            .find(|(x, _)| x == key)
                            .and_then(|(_, v)| v.get().map(|v| (key, v)))
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                p.push(text(format!(
                    " ({} of {} groups",
                    r.below.len(),
                    r.ratios.len()
                )));
                if let Some((key, v)) = lowest {
                    p.push(text(", lowest "));
                    p.push(Span::Name(group(key)));
                    p.push(text(format!(" at {}", number(v))));
                }
                p.push(text(")"));
            }
        }
        if !unknown.is_empty() {
            clause(&mut p, "cannot be evaluated on");
            for (k, r) in unknown.iter().enumerate() {
                if k > 0 {
                    p.push(text(", "));
                }
                p.push(Span::Name(name(r)));
            }
        }
        p.push(text(format!(
            ". A group's selection rate below {} of the highest group's is evidence of adverse impact under US employment guidelines.",
            result.rules.first().map_or_else(String::new, |r| short(r.threshold))
        )));
        out.push(p);
    }

    // Small groups: their numbers are uncertain, and the reader should know where they are.
    let small: Vec<(String, usize, usize)> = result
        .groupings
        .iter()
        .map(|g| {
            (
                grouping_name(g),
                g.groups.iter().filter(|x| x.rows < min_cell).count(),
                g.groups.len(),
            )
        })
        .filter(|(_, s, _)| *s > 0)
        .collect();
    if !small.is_empty() {
        let mut p = vec![Span::Strong("Small groups".to_owned()), text(": ")];
        for (k, (name, s, n)) in small.iter().enumerate() {
            if k > 0 {
                p.push(text("; "));
            }
            p.push(text(format!("{s} of {n} in ")));
            p.push(Span::Name(name.clone()));
        }
        p.push(text(format!(
            " have fewer than {min_cell} rows; their values are uncertain (hatched in charts, marked † in tables)."
        )));
        out.push(p);
    }
    if result.weighted {
        out.push(vec![text(if result.interval_method.starts_with("none") {
            "Rates use sample weights; no intervals are computed for weighted rates."
        } else {
            "Rates use sample weights; their intervals come from the moment-matched compound-Poisson bootstrap."
        })]);
    }
    out
}

/// Column names of the score-metrics table.
pub(crate) const SCORE_HEADER: [&str; 7] = [
    "group",
    "negatives",
    "positives",
    "AUC",
    "Brier",
    "calibration error",
    "ABROCA vs rest",
];

/// The score-metrics table (marginal groups, then overall), as plain text cells: every renderer
/// lays out and escapes the same rows.
pub(crate) fn score_rows(sc: &aequo_core::audit::ScoreMetrics) -> Vec<[String; 7]> {
    let opt = |v: &Option<Value>| v.as_ref().map_or_else(|| "–".to_owned(), value);
    let row = |x: &aequo_core::audit::ScoreGroup, abroca: String| {
        [
            group(&x.key),
            count(x.rows[0]),
            count(x.rows[1]),
            value(&x.auc),
            opt(&x.brier),
            opt(&x.ece),
            abroca,
        ]
    };
    let mut rows: Vec<[String; 7]> = sc
        .groupings
        .iter()
        .filter(|g| g.attributes.len() == 1)
        .flat_map(|g| g.groups.iter().map(|x| row(x, opt(&x.abroca_vs_rest))))
        .collect();
    rows.push(row(&sc.overall, "–".to_owned()));
    rows
}

/// Column names of a worst-subgroups table.
pub(crate) const SUBGROUP_HEADER: [&str; 6] =
    ["subgroup", "rows", "value", "rest", "difference", "p (BH)"];

/// What a subgroup search did, in one sentence.
pub(crate) fn subgroup_intro(sg: &aequo_core::subgroup::SubgroupReport) -> String {
    let st = &sg.settings;
    format!(
        "{} slices of up to {} conditions with at least {} rows were tested; shown are those significant ({}), ranked by their gap to the rest.",
        count(sg.slices_tested),
        st.max_depth,
        count(st.min_support_rows),
        st.correction
    )
}

/// A subgroup search's slices as plain text cells.
pub(crate) fn subgroup_rows(sg: &aequo_core::subgroup::SubgroupReport) -> Vec<[String; 6]> {
    sg.slices
        .iter()
        .map(|x| {
            [
                x.describe(),
                count(x.rows),
                format!("{:.3} ({:.3}–{:.3})", x.value, x.ci.lower, x.ci.upper),
                format!("{:.3}", x.complement_value),
                format!(
                    "{:+.3} ({:+.3} to {:+.3})",
                    x.effect, x.effect_ci.lower, x.effect_ci.upper
                ),
                format!("{:.1e}", x.p_bh),
            ]
        })
        .collect()
}
