//! Terminal tables for regression and multiclass audits.

use std::fmt::Write;

use aequo_core::regression::{Distance, RegressionMetric};
use aequo_core::tasks::{MulticlassAudit, RegressionAudit, MULTICLASS_METRICS};

use crate::text::{grid, group, num};

fn header(out: &mut String, i: &aequo_core::audit::InputSummary, kind: &str) {
    let _ = writeln!(out, "aequo {kind} audit of {} ({})", i.source, i.format);
    let _ = writeln!(out, "label: {}   prediction: {}", i.label, i.prediction);
    let _ = write!(out, "rows: {} read, {} audited", i.rows_read, i.rows_used);
    for d in &i.dropped {
        let _ = write!(out, ", {} dropped ({})", d.rows, d.reason);
    }
    out.push('\n');
}

/// A regression audit for a terminal.
pub fn regression_table(r: &RegressionAudit) -> String {
    let mut out = String::new();
    header(&mut out, &r.input, "regression");
    let shown = [
        RegressionMetric::Count,
        RegressionMetric::MeanLabel,
        RegressionMetric::MeanPrediction,
        RegressionMetric::MeanAbsoluteError,
        RegressionMetric::RootMeanSquaredError,
    ];
    let value = |g: &aequo_core::tasks::RegressionGroup, m: RegressionMetric| {
        g.metrics
            .iter()
            .find(|(x, _)| *x == m)
            .map_or_else(String::new, |(_, v)| match m {
                RegressionMetric::Count => format!("{}", g.rows),
                _ => num(v),
            })
    };
    for gr in &r.groupings {
        let name = gr
            .attributes
            .iter()
            .map(|a| a.0.as_str())
            .collect::<Vec<_>>()
            .join(" × ");
        let _ = writeln!(out, "\n{name}");
        let mut h: Vec<String> = vec!["group".into()];
        h.extend(shown.iter().map(|m| m.id().to_owned()));
        h.push("KS vs rest".into());
        h.push("W1 vs rest".into());
        let mut rows: Vec<Vec<String>> = gr
            .groups
            .iter()
            .map(|g| {
                let mut row = vec![group(&g.key)];
                row.extend(shown.iter().map(|m| value(g, *m)));
                match &g.parity.to_rest {
                    Distance::Defined(d) => {
                        row.push(format!("{:.4}", d.kolmogorov_smirnov.value));
                        row.push(format!("{:.4}", d.wasserstein.value));
                    }
                    Distance::Undefined { .. } => {
                        row.extend(["undef".to_owned(), "undef".to_owned()])
                    }
                }
                row
            })
            .collect();
        let mut o = vec!["overall".to_owned()];
        o.extend(shown.iter().map(|m| value(&r.overall, *m)));
        o.extend(["".to_owned(), "".to_owned()]);
        rows.push(o);
        out.push_str(&grid(&h, &rows));
        for b in &gr.bounded_group_loss {
            let _ = writeln!(out, "bounded group loss ({:?}): {}", b.loss, num(&b.value));
        }
        for s in &gr.spread {
            let _ = writeln!(
                out,
                "{} spread: difference {}  ratio {}",
                s.metric,
                num(&s.difference.value),
                num(&s.ratio.value)
            );
        }
    }
    out
}

/// A multiclass audit for a terminal.
pub fn multiclass_table(r: &MulticlassAudit) -> String {
    let mut out = String::new();
    header(&mut out, &r.input, "multiclass");
    let _ = writeln!(out, "classes: {}", r.classes.join(", "));
    for gr in &r.groupings {
        let name = gr
            .attributes
            .iter()
            .map(|a| a.0.as_str())
            .collect::<Vec<_>>()
            .join(" × ");
        let _ = writeln!(out, "\n{name} (one-vs-rest per class)");
        let mut h: Vec<String> = vec![
            "group".into(),
            "rows".into(),
            "accuracy".into(),
            "class".into(),
        ];
        h.extend(MULTICLASS_METRICS.iter().map(|m| m.id().to_owned()));
        let mut rows = Vec::new();
        for g in gr.groups.iter().chain(std::iter::once(&r.overall)) {
            for (ci, c) in g.classes.iter().enumerate() {
                let mut row = if ci == 0 {
                    vec![
                        if g.key.0.is_empty() {
                            "overall".to_owned()
                        } else {
                            group(&g.key)
                        },
                        g.rows.to_string(),
                        num(&g.accuracy),
                    ]
                } else {
                    vec![String::new(), String::new(), String::new()]
                };
                row.push(c.class.clone());
                row.extend(c.metrics.iter().map(|(_, v)| num(v)));
                rows.push(row);
            }
        }
        out.push_str(&grid(&h, &rows));
        if let Some(s) = gr.spread.iter().find(|s| s.metric == "accuracy") {
            let _ = writeln!(
                out,
                "accuracy spread: difference {}  ratio {}",
                num(&s.difference.value),
                num(&s.ratio.value)
            );
        }
    }
    out
}
