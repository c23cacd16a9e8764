//! One self-contained HTML file: the summary in plain words, bar charts per metric with
//! interval whiskers and the overall line, intersectional heat maps, sortable tables, and a
//! methods section, in the order a reviewer reads them.
//!
//! Self-contained means: no network, no CDN, no external file. Charts are inline SVG from
//! [`crate::chart`]; the stylesheet and a short script (sorting and filtering tables, opening
//! collapsed sections for print) are inlined; a Content-Security-Policy forbids every fetch, so
//! that even a mistake cannot make the page load anything. The page prints to PDF through its
//! print stylesheet.
//!
//! Score-based views: `score_curves` renders the table of score metrics by group (AUC, Brier,
//! calibration error, ABROCA); the ROC and reliability curves are in the result but not yet
//! drawn.

use std::fmt::Write;

use aequo_core::audit::{AuditResult, GroupResult};
use aequo_core::Metric;

use crate::figures::{bar_chart, heat_map};
use crate::format::{count, group, html as esc, interval, percent, short, slug, value};
use crate::page::shell;
use crate::view::{
    self, available, criterion_cells, grouping_name, metric_label, Span, Thresholds, Verdict,
    CRITERIA, HEATMAP_METRICS, TABLE_METRICS,
};

/// How to render HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlOptions {
    /// Groups with fewer rows than this are small: hatched in charts, marked † in tables.
    pub min_cell: u64,
    /// Tolerances the summary judges criteria by.
    pub thresholds: Thresholds,
    /// The page's title (default: "Fairness audit of SOURCE").
    pub title: Option<String>,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            min_cell: 30,
            thresholds: Thresholds::default(),
            title: None,
        }
    }
}

fn spans(p: &[Span]) -> String {
    let mut s = String::new();
    for x in p {
        match x {
            Span::Text(t) => s.push_str(&esc(t)),
            Span::Strong(t) => {
                let _ = write!(s, "<strong>{}</strong>", esc(t));
            }
            Span::Name(t) => {
                let _ = write!(s, "<span class=\"name\">{}</span>", esc(t));
            }
        }
    }
    s
}

fn figure(svg: &str, table: &str) -> String {
    format!(
        "<figure class=\"chart\">{svg}<details class=\"chart-data\"><summary>Data table</summary>{table}</details></figure>"
    )
}

/// Renders the result as one self-contained HTML page.
pub fn html(result: &AuditResult, opts: &HtmlOptions) -> String {
    let i = &result.input;
    let title = opts.title.clone().unwrap_or_else(|| {
        if i.source.is_empty() {
            "Fairness audit".to_owned()
        } else {
            format!("Fairness audit of {}", i.source)
        }
    });
    let mut body = String::new();
    let mut toc: Vec<(&str, &str)> = Vec::new();

    summary(&mut body, &mut toc, result, opts);
    metrics(&mut body, &mut toc, result, opts);
    intersections(&mut body, &mut toc, result, opts);
    if let Some(s) = score_curves(result) {
        body.push_str(&s);
        toc.push(("scores", "Scores"));
    }
    subgroups(&mut body, &mut toc, result);
    tables(&mut body, &mut toc, result, opts);
    reference(&mut body, &mut toc, result);
    inequality(&mut body, &mut toc, result);
    methods(&mut body, &mut toc, result, opts);

    let meta = format!(
        "aequo {} · schema {} · {} rows audited",
        esc(&result.aequo_version),
        esc(&result.schema),
        count(result.overall.rows)
    );
    shell(&result.aequo_version, &title, &meta, &toc, &body)
}

fn summary(
    out: &mut String,
    toc: &mut Vec<(&str, &str)>,
    result: &AuditResult,
    opts: &HtmlOptions,
) {
    toc.push(("summary", "Summary"));
    // The headline, then the criteria at a glance, then each finding in words.
    let paras = view::summary(result, &opts.thresholds, opts.min_cell);
    let (head, findings) = paras
        .split_first()
        .map_or((None, &[][..]), |(h, r)| (Some(h), r));
    out.push_str(
        "<section id=\"summary\" aria-labelledby=\"summary-h\"><h2 id=\"summary-h\">Summary</h2>\n",
    );
    if let Some(h) = head {
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", spans(h));
    }
    // Criteria × groupings.
    let t = &opts.thresholds;
    let _ = write!(
        out,
        "<div class=\"table-wrap\"><table id=\"criteria\" class=\"verdicts\"><caption class=\"hint\">Difference between the highest and the lowest group (ratio in parentheses); \
         holds when the difference is at most {} and the ratio at least {}.</caption><thead><tr><th scope=\"col\">Criterion</th>",
        short(t.difference),
        short(t.ratio)
    );
    for g in &result.groupings {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(&grouping_name(g)));
    }
    out.push_str("</tr></thead><tbody>");
    for def in &CRITERIA {
        let cells = criterion_cells(result, def, t);
        if cells.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}<br><small>{}</small></th>",
            esc(def.title),
            esc(def.what)
        );
        for g in &result.groupings {
            match cells.iter().find(|c| std::ptr::eq(c.grouping, g)) {
                Some(c) => {
                    let class = match c.verdict {
                        Verdict::Fails => "fails",
                        Verdict::Holds => "holds",
                        Verdict::Undefined => "undefined",
                    };
                    let mark = match c.verdict {
                        Verdict::Fails => "✗",
                        Verdict::Holds => "✓",
                        Verdict::Undefined => "–",
                    };
                    let _ = write!(
                        out,
                        "<td><span class=\"verdict {class}\">{mark} {}</span><br>{}</td>",
                        c.verdict.word(),
                        esc(&c.numbers())
                    );
                }
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>\n<ul class=\"findings\">");
    for p in findings {
        let _ = write!(out, "<li>{}</li>", spans(p));
    }
    out.push_str("</ul>\n</section>\n");
}

fn gslug(result: &AuditResult, gi: usize) -> String {
    format!(
        "g{}-{}",
        gi + 1,
        slug(
            &result.groupings[gi]
                .attributes
                .iter()
                .map(|a| a.0.as_str())
                .collect::<Vec<_>>()
                .join("-")
        )
    )
}

fn definition(result: &AuditResult, m: Metric) -> String {
    result
        .metrics
        .iter()
        .find(|i| i.id == m)
        .map_or_else(String::new, |i| {
            format!(
                "<p class=\"definition\"><code>{}</code> = {} — {}</p>",
                esc(i.id.id()),
                esc(&i.formula),
                esc(&i.source)
            )
        })
}

fn metrics(
    out: &mut String,
    toc: &mut Vec<(&str, &str)>,
    result: &AuditResult,
    opts: &HtmlOptions,
) {
    let ms = available(result, &TABLE_METRICS);
    if ms.is_empty() {
        return;
    }
    toc.push(("metrics", "Metrics by group"));
    let _ = writeln!(
        out,
        "<section id=\"metrics\" aria-labelledby=\"metrics-h\"><h2 id=\"metrics-h\">Metrics by group</h2>\
         <p class=\"hint\">Bars show each group's value, whiskers its {} interval, the dashed line the value over all rows. \
         Hatched bars are groups with fewer than {} rows.</p>",
        percent(result.confidence),
        opts.min_cell
    );
    for m in ms {
        let _ = write!(
            out,
            "<section class=\"metric\" id=\"m-{id}\" aria-labelledby=\"m-{id}-h\"><h3 id=\"m-{id}-h\">{}</h3>{}<div class=\"charts\">",
            esc(&metric_label(result, m)),
            definition(result, m),
            id = m.id()
        );
        let (marginal, deeper): (Vec<usize>, Vec<usize>) =
            (0..result.groupings.len()).partition(|&gi| result.groupings[gi].attributes.len() == 1);
        for gi in marginal {
            let c = bar_chart(
                result,
                gi,
                m,
                opts.min_cell,
                &format!("bar-{}-{}", m.id(), gslug(result, gi)),
            );
            out.push_str(&figure(&c.svg(), &c.table_html()));
        }
        out.push_str("</div>");
        if !deeper.is_empty() {
            let _ = write!(
                out,
                "<p class=\"print-only hint\">Bar charts by intersection are in the interactive page; the heat maps and tables below hold the same values.</p>\
                 <details class=\"more\"><summary>{} by intersection ({} grouping{})</summary><div class=\"charts\">",
                esc(&metric_label(result, m)),
                deeper.len(),
                if deeper.len() == 1 { "" } else { "s" }
            );
            for gi in deeper {
                let c = bar_chart(
                    result,
                    gi,
                    m,
                    opts.min_cell,
                    &format!("bar-{}-{}", m.id(), gslug(result, gi)),
                );
                out.push_str(&figure(&c.svg(), &c.table_html()));
            }
            out.push_str("</div></details>");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

fn intersections(
    out: &mut String,
    toc: &mut Vec<(&str, &str)>,
    result: &AuditResult,
    opts: &HtmlOptions,
) {
    let deeper: Vec<usize> = (0..result.groupings.len())
        .filter(|&gi| result.groupings[gi].attributes.len() > 1)
        .collect();
    let ms = available(result, &HEATMAP_METRICS);
    if deeper.is_empty() || ms.is_empty() {
        return;
    }
    toc.push(("intersections", "Intersections"));
    let _ = writeln!(
        out,
        "<section id=\"intersections\" aria-labelledby=\"intersections-h\"><h2 id=\"intersections-h\">Intersections</h2>\
         <p class=\"hint\">Each cell is one intersectional group, coloured by its value relative to the value over all rows \
         (orange below, purple above; the scale ends at the group farthest from overall). Hatched cells have fewer than {} rows.</p>",
        opts.min_cell
    );
    // The deepest intersection first and open; smaller ones collapsed.
    let mut order = deeper.clone();
    order.sort_by_key(|&gi| std::cmp::Reverse(result.groupings[gi].attributes.len()));
    for (n, gi) in order.into_iter().enumerate() {
        let name = grouping_name(&result.groupings[gi]);
        let _ = write!(
            out,
            "<details class=\"intersection print-open\"{}><summary>{}</summary><div class=\"charts\">",
            if n == 0 { " open" } else { "" },
            esc(&name)
        );
        for &m in &ms {
            if let Some(h) = heat_map(
                result,
                gi,
                m,
                opts.min_cell,
                &format!("heat-{}-{}", m.id(), gslug(result, gi)),
            ) {
                out.push_str(&figure(&h.svg(), &h.table_html()));
            }
        }
        out.push_str("</div></details>\n");
    }
    out.push_str("</section>\n");
}

/// Calibration and ROC curves by group, when the result carries score metrics. The audit
/// result has none yet (its tensor's score histograms are not summarised into it), so this
/// renders nothing; when it does, a curve component joins `crate::chart` and is drawn here.
fn score_curves(result: &AuditResult) -> Option<String> {
    let sc = result.scores.as_ref()?;
    let mut out = String::from(
        "<section id=\"scores\" aria-labelledby=\"scores-h\"><h2 id=\"scores-h\">Scores by group</h2>",
    );
    let _ = write!(out, "<p class=\"hint\">{}</p>", esc(&sc.method));
    html_table(
        &mut out,
        &crate::view::SCORE_HEADER,
        &crate::view::score_rows(sc),
    );
    out.push_str("<div class=\"charts\">");
    for g in sc.groupings.iter().filter(|g| g.attributes.len() == 1) {
        let name = g.attributes[0].0.clone();
        let roc = crate::chart::CurveChart {
            id: format!("roc-{name}"),
            title: format!("ROC curves by {name}"),
            description: "True positive rate against false positive rate as the threshold falls; the dashed diagonal is a random classifier.".into(),
            x_label: "False positive rate".into(),
            y_label: "True positive rate".into(),
            curves: g
                .groups
                .iter()
                .filter(|x| !x.roc.is_empty())
                .map(|x| crate::chart::Curve {
                    label: format!("{} (AUC {})", group(&x.key), value(&x.auc)),
                    points: x.roc.iter().map(|p| (p.fpr, p.tpr)).collect(),
                })
                .collect(),
        };
        if !roc.curves.is_empty() {
            out.push_str(&roc.svg());
        }
        let rel = crate::chart::CurveChart {
            id: format!("reliability-{name}"),
            title: format!("Calibration by {name}"),
            description: "Observed rate of positives against the mean predicted score in 10 equal-width bins; the dashed diagonal is perfect calibration.".into(),
            x_label: "Mean predicted score".into(),
            y_label: "Observed rate".into(),
            curves: g
                .groups
                .iter()
                .filter(|x| !x.reliability.is_empty())
                .map(|x| crate::chart::Curve {
                    label: group(&x.key),
                    points: x
                        .reliability
                        .iter()
                        .filter(|b| b.weight > 0.0)
                        .map(|b| (b.mean_predicted, b.observed_rate))
                        .collect(),
                })
                .collect(),
        };
        if !rel.curves.is_empty() {
            out.push_str(&rel.svg());
        }
    }
    out.push_str("</div></section>\n");
    Some(out)
}

fn subgroups(out: &mut String, toc: &mut Vec<(&str, &str)>, result: &AuditResult) {
    if result.subgroups.is_empty() {
        return;
    }
    toc.push(("subgroups", "Worst subgroups"));
    out.push_str(
        "<section id=\"subgroups\" aria-labelledby=\"subgroups-h\"><h2 id=\"subgroups-h\">Worst subgroups</h2>",
    );
    for sg in &result.subgroups {
        let _ = write!(
            out,
            "<h3>{} ({} is worse)</h3><p class=\"hint\">{}</p>",
            esc(sg.settings.metric.label()),
            esc(sg.settings.worse.id()),
            esc(&crate::view::subgroup_intro(sg))
        );
        if sg.slices.is_empty() {
            out.push_str("<p>No subgroup differs significantly from the rest.</p>");
        } else {
            html_table(
                out,
                &crate::view::SUBGROUP_HEADER,
                &crate::view::subgroup_rows(sg),
            );
        }
    }
    out.push_str("</section>\n");
}

/// A data table whose first column heads each row; every cell is escaped.
fn html_table<const N: usize>(out: &mut String, header: &[&str; N], rows: &[[String; N]]) {
    out.push_str("<div class=\"table-wrap\"><table class=\"data\"><thead><tr>");
    for h in header {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(&r[0]));
        for c in &r[1..] {
            let _ = write!(out, "<td>{}</td>", esc(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

fn group_row(x: &GroupResult, ms: &[Metric], min_cell: u64, foot: bool) -> String {
    let small = !foot && x.rows < min_cell;
    let mut s = format!(
        "<tr{}><th scope=\"row\">{}{}</th><td data-sort=\"{}\">{}</td>",
        if small { " class=\"small\"" } else { "" },
        esc(&group(&x.key)),
        if small { " †" } else { "" },
        x.rows,
        count(x.rows)
    );
    for &m in ms {
        match x.metric(m) {
            Some(e) => {
                let _ = write!(
                    s,
                    "<td data-sort=\"{}\">{}{}</td>",
                    e.value.get().map_or_else(String::new, |v| v.to_string()),
                    value(&e.value),
                    e.ci.as_ref().map_or_else(String::new, |ci| format!(
                        "<br><span class=\"ci\">{}</span>",
                        interval(ci)
                    ))
                );
            }
            None => s.push_str("<td></td>"),
        }
    }
    s.push_str("</tr>");
    s
}

fn tables(out: &mut String, toc: &mut Vec<(&str, &str)>, result: &AuditResult, opts: &HtmlOptions) {
    toc.push(("tables", "Tables"));
    let ms = available(result, &TABLE_METRICS);
    let _ = writeln!(
        out,
        "<section id=\"tables\" aria-labelledby=\"tables-h\"><h2 id=\"tables-h\">Tables</h2>\
         <p class=\"hint\">Every group with its {} interval under the value. Click a column to sort; type to filter groups. \
         † marks groups with fewer than {} rows. All metrics are in the JSON result.</p>",
        percent(result.confidence),
        opts.min_cell
    );
    for (gi, g) in result.groupings.iter().enumerate() {
        let id = format!("t-{}", gslug(result, gi));
        let name = grouping_name(g);
        let _ = write!(
            out,
            "<section class=\"grouping\" aria-labelledby=\"{id}-h\"><h3 id=\"{id}-h\">{}</h3>",
            esc(&name)
        );
        if g.empty_cells > 0 {
            let _ = write!(
                out,
                "<p class=\"hint\">{} combinations of levels have no rows and are not listed.</p>",
                g.empty_cells
            );
        }
        let _ = write!(
            out,
            "<input type=\"search\" class=\"filter\" data-table=\"{id}\" placeholder=\"Filter groups…\" aria-label=\"Filter groups of {}\">\
             <div class=\"table-wrap\"><table id=\"{id}\" class=\"sortable data\" aria-labelledby=\"{id}-h\"><thead><tr><th scope=\"col\"><button type=\"button\">Group</button></th>\
             <th scope=\"col\"><button type=\"button\">Rows</button></th>",
            esc(&name)
        );
        for &m in &ms {
            let _ = write!(
                out,
                "<th scope=\"col\"><button type=\"button\">{}</button></th>",
                esc(&metric_label(result, m))
            );
        }
        out.push_str("</tr></thead><tbody>");
        for x in &g.groups {
            out.push_str(&group_row(x, &ms, opts.min_cell, false));
        }
        out.push_str("</tbody><tfoot>");
        out.push_str(&group_row(&result.overall, &ms, opts.min_cell, true));
        out.push_str("</tfoot></table></div></section>\n");
    }
    out.push_str("</section>\n");
}

fn reference(out: &mut String, toc: &mut Vec<(&str, &str)>, result: &AuditResult) {
    if result.reference_comparisons.is_empty() {
        return;
    }
    toc.push(("reference", "Against the reference"));
    let names = [
        ("disparate_impact", "Disparate impact"),
        (
            "statistical_parity_difference",
            "Statistical parity difference",
        ),
        (
            "equal_opportunity_difference",
            "Equal opportunity difference",
        ),
        ("average_odds_difference", "Average odds difference"),
    ];
    out.push_str(
        "<section id=\"reference\" aria-labelledby=\"reference-h\"><h2 id=\"reference-h\">Against the reference level</h2>\
         <p class=\"hint\">AIF360 orientation: the unprivileged group minus (or over) the privileged one.</p>\
         <div class=\"table-wrap\"><table class=\"data\"><thead><tr><th scope=\"col\">Attribute</th><th scope=\"col\">Privileged</th>\
         <th scope=\"col\">Unprivileged</th><th scope=\"col\">Rows</th>",
    );
    for (_, label) in names {
        let _ = write!(out, "<th scope=\"col\">{label}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for c in &result.reference_comparisons {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{} / {}</td>",
            esc(&c.attribute.0),
            esc(&c.privileged.to_string()),
            c.unprivileged
                .as_ref()
                .map_or_else(|| "all others".to_owned(), |l| esc(&l.to_string())),
            count(c.rows_privileged),
            count(c.rows_unprivileged)
        );
        for (n, _) in names {
            let v = c
                .values
                .iter()
                .find(|v| v.name == n)
                .map_or_else(String::new, |v| value(&v.value));
            let _ = write!(out, "<td>{v}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></section>\n");
}

fn inequality(out: &mut String, toc: &mut Vec<(&str, &str)>, result: &AuditResult) {
    toc.push(("inequality", "Inequality"));
    let q = &result.inequality;
    let _ = write!(
        out,
        "<section id=\"inequality\" aria-labelledby=\"inequality-h\"><h2 id=\"inequality-h\">Inequality of benefit</h2>\
         <p>Over all rows, with AIF360's individual benefit b = ŷ − y + 1: Theil index <strong>{}</strong>, \
         coefficient of variation <strong>{}</strong>",
        value(&q.theil_index),
        value(&q.coefficient_of_variation)
    );
    for a in &q.generalized_entropy {
        let _ = write!(out, ", GE({}) {}", a.alpha, value(&a.value));
    }
    out.push_str(".</p>");
    if !q.between_all_groups.is_empty() {
        out.push_str("<ul>");
        for v in &q.between_all_groups {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(&v.name),
                value(&v.value)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>\n");
}

fn methods(
    out: &mut String,
    toc: &mut Vec<(&str, &str)>,
    result: &AuditResult,
    opts: &HtmlOptions,
) {
    toc.push(("methods", "Methods"));
    let i = &result.input;
    out.push_str(
        "<section id=\"methods\" aria-labelledby=\"methods-h\"><h2 id=\"methods-h\">Methods</h2><dl class=\"methods\">",
    );
    let mut item = |k: &str, v: String| {
        let _ = write!(out, "<dt>{k}</dt><dd>{v}</dd>");
    };
    item(
        "Data",
        if i.source.is_empty() {
            "not recorded".to_owned()
        } else {
            format!(
                "<code>{}</code>{}",
                esc(&i.source),
                if i.format.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", esc(&i.format))
                }
            )
        },
    );
    item(
        "Columns",
        format!(
            "label {}; prediction {}; weight {}",
            esc(&i.label),
            esc(&i.prediction),
            i.weight.as_deref().map_or_else(|| "none".to_owned(), esc)
        ),
    );
    let mut rows = format!(
        "{} read, {} audited",
        count(i.rows_read),
        count(i.rows_used)
    );
    if i.dropped.is_empty() {
        rows.push_str("; none dropped");
    }
    for d in &i.dropped {
        let _ = write!(rows, "; {} dropped: {}", count(d.rows), esc(&d.reason));
    }
    item("Rows", rows);
    for (a, n) in &i.missing_sensitive {
        if *n > 0 {
            item(
                &format!("Missing {}", esc(a)),
                format!(
                    "{} rows, reported as their own level and left out of disparities",
                    count(*n)
                ),
            );
        }
    }
    for a in &result.attributes {
        let levels: Vec<String> = a
            .levels
            .iter()
            .map(|(l, n)| format!("{} ({})", esc(&l.to_string()), count(*n)))
            .collect();
        let mut v = levels.join(", ");
        if let Some(r) = &a.reference {
            let _ = write!(v, "; reference level {}", esc(&r.to_string()));
        }
        item(&format!("Attribute {}", esc(&a.name.0)), v);
    }
    item(
        "Intervals",
        format!(
            "{} (confidence {})",
            esc(&result.interval_method),
            percent(result.confidence)
        ),
    );
    item(
        "Summary tolerances",
        format!(
            "a criterion holds when the between-groups difference is at most {} and the ratio at least {} \
             (AIF360's demo bands; a convention, not a test); groups with fewer than {} rows are marked small",
            short(opts.thresholds.difference),
            short(opts.thresholds.ratio),
            opts.min_cell
        ),
    );
    item(
        "Sample weights",
        if result.weighted {
            "used for rates"
        } else {
            "none"
        }
        .to_owned(),
    );
    item(
        "Software",
        format!(
            "aequo {}, result schema <code>{}</code>",
            esc(&result.aequo_version),
            esc(&result.schema)
        ),
    );
    for w in &i.warnings {
        item("Warning", esc(w));
    }
    out.push_str("</dl><h3>Metric definitions</h3><div class=\"table-wrap\"><table class=\"data definitions\"><thead><tr>\
                   <th scope=\"col\">Metric</th><th scope=\"col\">Id</th><th scope=\"col\">Formula</th><th scope=\"col\">Source</th></tr></thead><tbody>");
    for m in &result.metrics {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&m.label),
            esc(m.id.id()),
            esc(&m.formula),
            esc(&m.source)
        );
    }
    out.push_str("</tbody></table></div>");
    if !result.notes.is_empty() {
        out.push_str("<h3>Notes</h3><ul>");
        for n in &result.notes {
            let _ = write!(out, "<li>{}</li>", esc(n));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>\n");
}
