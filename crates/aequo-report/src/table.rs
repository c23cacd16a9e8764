//! The terminal view: a summary of criteria, then one table per grouping.

use std::fmt::Write;

use aequo_core::audit::{AuditResult, GroupResult};
use aequo_core::disparity::Method;
use aequo_core::Metric;

use crate::text::{count, grid, group, num, num_ci, value_ci};

/// The metrics shown in terminal tables (all are in the JSON).
const SHOWN: [Metric; 7] = [
    Metric::Count,
    Metric::BaseRate,
    Metric::SelectionRate,
    Metric::TruePositiveRate,
    Metric::FalsePositiveRate,
    Metric::PositivePredictiveValue,
    Metric::Accuracy,
];

fn shown(result: &AuditResult) -> Vec<Metric> {
    SHOWN
        .into_iter()
        .filter(|m| result.metrics.iter().any(|i| i.id == *m))
        .collect()
}

fn row(g: &GroupResult, metrics: &[Metric]) -> Vec<String> {
    let mut r = vec![if g.small {
        format!("{} †", group(&g.key))
    } else {
        group(&g.key)
    }];
    for m in metrics {
        r.push(g.metric(*m).map_or_else(String::new, |e| {
            if *m == Metric::Count {
                count(&e.value)
            } else {
                num_ci(e)
            }
        }));
    }
    r
}

/// Renders the result for a terminal.
pub fn table(result: &AuditResult) -> String {
    let mut out = String::new();
    let i = &result.input;
    let _ = writeln!(out, "aequo audit of {} ({})", i.source, i.format);
    let _ = writeln!(
        out,
        "label: {}   prediction: {}{}",
        i.label,
        i.prediction,
        i.weight
            .as_ref()
            .map_or_else(String::new, |w| format!("   weight: {w}"))
    );
    let _ = write!(out, "rows: {} read, {} audited", i.rows_read, i.rows_used);
    for d in &i.dropped {
        let _ = write!(out, ", {} dropped ({})", d.rows, d.reason);
    }
    out.push('\n');
    for (attr, n) in &i.missing_sensitive {
        if *n > 0 {
            let _ = writeln!(out, "missing {attr}: {n} rows (reported as its own level)");
        }
    }
    for w in &i.warnings {
        let _ = writeln!(out, "warning: {w}");
    }

    out.push_str("\nCriteria (between groups: largest vs smallest group)\n");
    let header: Vec<String> = [
        "grouping",
        "demographic parity diff",
        "ratio",
        "equalized odds diff",
        "equal opportunity diff",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut rows = Vec::new();
    for g in &result.groupings {
        let name = g
            .attributes
            .iter()
            .map(|a| a.0.as_str())
            .collect::<Vec<_>>()
            .join(" × ");
        let find = |n: &str, agg: Option<&str>| {
            result
                .criteria
                .iter()
                .find(|c| {
                    c.name == n
                        && c.grouping == g.attributes
                        && c.method == Method::BetweenGroups
                        && c.agg.as_deref() == agg
                })
                .map_or_else(String::new, |c| value_ci(c.value, c.ci))
        };
        rows.push(vec![
            name,
            find("demographic_parity_difference", None),
            find("demographic_parity_ratio", None),
            find("equalized_odds_difference", Some("worst_case")),
            find("equal_opportunity_difference", None),
        ]);
    }
    out.push_str(&grid(&header, &rows));

    let metrics = shown(result);
    for g in &result.groupings {
        let name = g
            .attributes
            .iter()
            .map(|a| a.0.as_str())
            .collect::<Vec<_>>()
            .join(" × ");
        let _ = writeln!(
            out,
            "\n{name}{}",
            if g.empty_cells > 0 {
                format!(" ({} empty combinations not shown)", g.empty_cells)
            } else {
                String::new()
            }
        );
        let mut header = vec!["group".to_owned()];
        header.extend(metrics.iter().map(|m| m.id().to_owned()));
        let mut rows: Vec<Vec<String>> = g.groups.iter().map(|x| row(x, &metrics)).collect();
        rows.push(row(&result.overall, &metrics));
        out.push_str(&grid(&header, &rows));
    }
    if !result.reference_comparisons.is_empty() {
        out.push_str(
            "\nAgainst the reference level (AIF360 orientation: unprivileged vs privileged)\n",
        );
        let names = [
            "disparate_impact",
            "statistical_parity_difference",
            "equal_opportunity_difference",
            "average_odds_difference",
        ];
        let mut header = vec![
            "attribute".to_owned(),
            "privileged".to_owned(),
            "unprivileged".to_owned(),
        ];
        header.extend(names.iter().map(|s| (*s).to_owned()));
        let rows: Vec<Vec<String>> = result
            .reference_comparisons
            .iter()
            .map(|c| {
                let mut r = vec![
                    c.attribute.0.clone(),
                    c.privileged.to_string(),
                    c.unprivileged
                        .as_ref()
                        .map_or_else(|| "all others".to_owned(), ToString::to_string),
                ];
                for n in names {
                    r.push(
                        c.values
                            .iter()
                            .find(|v| v.name == n)
                            .map_or_else(String::new, |v| num(&v.value)),
                    );
                }
                r
            })
            .collect();
        out.push_str(&grid(&header, &rows));
    }
    for r in &result.rules {
        let name = r
            .grouping
            .iter()
            .map(|a| a.0.as_str())
            .collect::<Vec<_>>()
            .join(" × ");
        let verdict = match r.holds {
            Some(true) => "holds".to_owned(),
            Some(false) => format!(
                "violated by {}",
                r.below
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "cannot be evaluated".to_owned(),
        };
        let _ = writeln!(out, "\nfour-fifths rule on {name}: {verdict}");
    }
    if !result.tests.is_empty() {
        let holm = result.tests.iter().filter(|t| t.p_holm < 0.05).count();
        let bh = result.tests.iter().filter(|t| t.p_bh < 0.05).count();
        let _ = writeln!(
            out,
            "\nTests: {} comparisons; {holm} significant at 0.05 after Holm, {bh} after Benjamini–Hochberg",
            result.tests.len()
        );
        let mut strongest: Vec<&aequo_core::audit::GroupTest> =
            result.tests.iter().filter(|t| t.p_holm < 0.05).collect();
        strongest.sort_by(|a, b| a.test.p_value.total_cmp(&b.test.p_value));
        for t in strongest.iter().take(5) {
            let what = match t.against {
                aequo_core::audit::Against::Rest => format!("{} vs the rest", t.group),
                aequo_core::audit::Against::Reference => format!("{} vs the reference", t.group),
                aequo_core::audit::Against::AllGroups => "all groups".to_owned(),
            };
            let grouping = t
                .grouping
                .iter()
                .map(|a| a.0.as_str())
                .collect::<Vec<_>>()
                .join(" × ");
            let _ = writeln!(
                out,
                "  {grouping}: {what} on {}: p_holm = {:.2e}",
                t.metric, t.p_holm
            );
        }
    }
    if let Some(sc) = &result.scores {
        out.push_str(
            "\nScores by group (AUC; Brier and calibration error when scores are probabilities)\n",
        );
        out.push_str(&rows_grid(
            &crate::view::SCORE_HEADER,
            crate::view::score_rows(sc),
        ));
    }
    for sg in &result.subgroups {
        let _ = writeln!(
            out,
            "\nWorst subgroups on {} ({} is worse): {}",
            sg.settings.metric,
            sg.settings.worse.id(),
            crate::view::subgroup_intro(sg)
        );
        if sg.slices.is_empty() {
            out.push_str("  none significant\n");
        } else {
            out.push_str(&rows_grid(
                &crate::view::SUBGROUP_HEADER,
                crate::view::subgroup_rows(sg),
            ));
        }
    }
    let small: usize = result
        .groupings
        .iter()
        .map(|g| g.groups.iter().filter(|x| x.small).count())
        .sum();
    if small > 0 {
        let _ = writeln!(
            out,
            "\n† {small} groups have fewer than {} rows: read their numbers with their intervals",
            result.min_cell
        );
    }
    let _ = writeln!(out, "\nintervals: {}", result.interval_method);
    out
}

fn rows_grid<const N: usize>(header: &[&str; N], rows: Vec<[String; N]>) -> String {
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let rows: Vec<Vec<String>> = rows.into_iter().map(Vec::from).collect();
    grid(&header, &rows)
}
