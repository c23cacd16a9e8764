//! From the result to chart components: which groups, values, intervals and extremes a chart
//! shows. Shared by the Markdown and the HTML reports so that both draw the same charts.

use aequo_core::audit::{AuditResult, GroupResult, GroupingResult};
use aequo_core::{Level, Metric, Value};

use crate::chart::{Bar, BarChart, HeatCell, HeatMap};
use crate::format::{group, percent, value};
use crate::view::{grouping_name, metric_label};

fn interval_label(result: &AuditResult) -> String {
    format!("{} CI", percent(result.confidence))
}

fn small_label(min_cell: u64) -> String {
    format!("fewer than {min_cell} rows")
}

fn note(v: &Value) -> Option<String> {
    match v {
        Value::Defined(_) => None,
        Value::Undefined(u) => Some(u.to_string()),
    }
}

fn overall_value(result: &AuditResult, m: Metric) -> Option<f64> {
    result.overall.metric(m).and_then(|e| e.value.get())
}

/// "Lowest: A (0.2); highest: B (0.4); gap 0.2, as the core reports between groups."
fn extremes_sentence(g: &GroupingResult, m: Metric) -> String {
    let Some(d) = g.disparities.iter().find(|d| d.metric == m) else {
        return String::new();
    };
    let diff = &d.between_groups.difference;
    let find = |k| g.groups.iter().find(|x| &x.key == k);
    match diff.groups.as_slice() {
        [lo, hi] => {
            let v = |x: Option<&GroupResult>| {
                x.and_then(|x| x.metric(m))
                    .map_or_else(String::new, |e| value(&e.value))
            };
            format!(
                "Lowest: {} ({}); highest: {} ({}); difference {}.",
                group(lo),
                v(find(lo)),
                group(hi),
                v(find(hi)),
                value(&diff.value)
            )
        }
        _ => String::new(),
    }
}

/// A bar chart of one metric over the groups of one grouping.
pub(crate) fn bar_chart(
    result: &AuditResult,
    gi: usize,
    m: Metric,
    min_cell: u64,
    id: &str,
) -> BarChart {
    let g = &result.groupings[gi];
    let label = metric_label(result, m);
    BarChart {
        id: id.to_owned(),
        title: format!("{label} by {}", grouping_name(g)),
        description: extremes_sentence(g, m),
        axis_label: label,
        interval_label: interval_label(result),
        small_label: small_label(min_cell),
        bars: g
            .groups
            .iter()
            .map(|x| {
                let e = x.metric(m);
                Bar {
                    label: group(&x.key),
                    value: e.and_then(|e| e.value.get()),
                    interval: e.and_then(|e| e.ci).map(|i| (i.lower, i.upper)),
                    rows: x.rows,
                    small: x.rows < min_cell,
                    note: e.and_then(|e| note(&e.value)),
                }
            })
            .collect(),
        reference: overall_value(result, m).map(|v| ("overall".to_owned(), v)),
    }
}

/// The levels of an attribute that have rows, in the result's order.
fn levels(result: &AuditResult, name: &str) -> Vec<Level> {
    result
        .attributes
        .iter()
        .find(|a| a.name.0 == name)
        .map(|a| {
            a.levels
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(l, _)| l.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// A heat map of one metric over an intersection (a grouping of two or more attributes);
/// `None` for a single attribute or when the overall value is undefined.
pub(crate) fn heat_map(
    result: &AuditResult,
    gi: usize,
    m: Metric,
    min_cell: u64,
    id: &str,
) -> Option<HeatMap> {
    let g = &result.groupings[gi];
    let k = g.attributes.len();
    if k < 2 {
        return None;
    }
    let center = overall_value(result, m)?;
    let d = g.disparities.iter().find(|d| d.metric == m);
    // The scale's half-width is the core's `to_overall` difference: the largest distance of a
    // named group from the overall value.
    let extent = d
        .and_then(|d| d.to_overall.difference.value.get())
        .unwrap_or(0.0);
    let per_attr: Vec<Vec<Level>> = g.attributes.iter().map(|a| levels(result, &a.0)).collect();
    let cols = per_attr[k - 1].clone();
    // Rows: the Cartesian product of the first k − 1 attributes' levels, in order.
    let mut prefixes: Vec<Vec<Level>> = vec![Vec::new()];
    for ls in &per_attr[..k - 1] {
        prefixes = prefixes
            .into_iter()
            .flat_map(|p| {
                ls.iter().map(move |l| {
                    let mut q = p.clone();
                    q.push(l.clone());
                    q
                })
            })
            .collect();
    }
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    for p in prefixes {
        let row: Vec<Option<HeatCell>> = cols
            .iter()
            .map(|c| {
                let mut key = p.clone();
                key.push(c.clone());
                g.groups.iter().find(|x| x.key.0 == key).map(|x| {
                    let e = x.metric(m);
                    HeatCell {
                        value: e.and_then(|e| e.value.get()),
                        interval: e.and_then(|e| e.ci).map(|i| (i.lower, i.upper)),
                        rows: x.rows,
                        small: x.rows < min_cell,
                        note: e.and_then(|e| note(&e.value)),
                    }
                })
            })
            .collect();
        if row.iter().any(Option::is_some) {
            rows.push(
                p.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" × "),
            );
            cells.push(row);
        }
    }
    let label = metric_label(result, m);
    let to_overall = d.map_or_else(String::new, |d| {
        let far = d
            .to_overall
            .difference
            .groups
            .first()
            .map_or_else(String::new, |k| format!(" ({})", group(k)));
        format!(
            "The farthest group from overall is {} away{far}.",
            value(&d.to_overall.difference.value)
        )
    });
    Some(HeatMap {
        id: id.to_owned(),
        title: format!("{label}: {}", grouping_name(g)),
        description: format!("{} {to_overall}", extremes_sentence(g, m))
            .trim()
            .to_owned(),
        metric_label: label,
        row_header: g.attributes[..k - 1]
            .iter()
            .map(|a| a.0.as_str())
            .collect::<Vec<_>>()
            .join(" × "),
        col_header: g.attributes[k - 1].0.clone(),
        rows,
        cols: cols.iter().map(ToString::to_string).collect(),
        cells,
        center,
        extent,
        interval_label: interval_label(result),
        small_label: small_label(min_cell),
    })
}
