//! Markdown for pull requests and model cards: the plain-words summary, the criteria by
//! grouping, a table per grouping with intervals, and a methods section. With
//! [`MarkdownOptions::chart_dir`] set, charts are returned as SVG files to be written beside
//! the Markdown and linked from it; [`MarkdownOutput::write`] does that (the only I/O here).

use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

use aequo_core::audit::{AuditResult, GroupResult};
use aequo_core::Metric;

use crate::figures::{bar_chart, heat_map};
use crate::format::{count, group, interval, md, percent, slug, value};
use crate::view::{
    self, available, criterion_cells, grouping_name, metric_label, Span, Thresholds, CRITERIA,
    HEATMAP_METRICS, TABLE_METRICS,
};

/// How to render Markdown.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkdownOptions {
    /// Where chart files go, relative to the Markdown file (e.g. `report-charts`); links use
    /// this path. `None`: no charts.
    pub chart_dir: Option<PathBuf>,
    /// Groups with fewer rows than this are marked small (†).
    pub min_cell: u64,
    /// Tolerances the summary judges criteria by.
    pub thresholds: Thresholds,
    /// The document's title (default: "Fairness audit of SOURCE").
    pub title: Option<String>,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            chart_dir: None,
            min_cell: 30,
            thresholds: Thresholds::default(),
            title: None,
        }
    }
}

/// A chart to be written beside the Markdown.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// Its path relative to the Markdown file: `chart_dir/NAME.svg` (names are slugs, so the
    /// file stays inside `chart_dir` whatever the data's names are).
    pub path: PathBuf,
    /// A standalone SVG document.
    pub svg: String,
}

/// Rendered Markdown and the chart files it links to.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkdownOutput {
    /// The Markdown text.
    pub markdown: String,
    /// Charts to write, relative to the Markdown file's directory (empty without `chart_dir`).
    pub charts: Vec<ChartFile>,
}

impl MarkdownOutput {
    /// Writes the Markdown to `path` and each chart relative to `path`'s directory, creating
    /// the chart directory.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let base = path.parent().unwrap_or(Path::new(""));
        for c in &self.charts {
            let p = base.join(&c.path);
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&p, &c.svg)?;
        }
        std::fs::write(path, &self.markdown)
    }
}

/// Spans as Markdown: aequo's text as is, names from the data escaped and set in italics.
fn spans(p: &[Span]) -> String {
    let mut s = String::new();
    for x in p {
        match x {
            Span::Text(t) => s.push_str(&md(t)),
            Span::Strong(t) => {
                let _ = write!(s, "**{}**", md(t));
            }
            Span::Name(t) => {
                let _ = write!(s, "*{}*", md(t));
            }
        }
    }
    s
}

/// A path as a link target: `/`-separated, with characters that would end the link encoded.
fn link(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect();
    let mut out = String::new();
    for c in parts.join("/").chars() {
        match c {
            ' ' | '(' | ')' | '<' | '>' | '[' | ']' | '%' | '"' | '\'' | '\\' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn cell(g: &GroupResult, m: Metric) -> String {
    let Some(e) = g.metric(m) else {
        return String::new();
    };
    let mut s = value(&e.value);
    if let Some(ci) = &e.ci {
        let _ = write!(s, " ({})", interval(ci));
    }
    s
}

fn standalone(svg: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n")
}

/// Renders the result as Markdown, with chart files when `opts.chart_dir` is set.
pub fn markdown(result: &AuditResult, opts: &MarkdownOptions) -> MarkdownOutput {
    let mut out = String::new();
    let mut charts = Vec::new();
    let i = &result.input;
    let title = opts.title.clone().unwrap_or_else(|| {
        if i.source.is_empty() {
            "Fairness audit".to_owned()
        } else {
            format!("Fairness audit of {}", i.source)
        }
    });
    let _ = writeln!(out, "# {}\n", md(&title));
    let _ = writeln!(
        out,
        "*aequo {} · schema {} · {} rows audited*\n",
        md(&result.aequo_version),
        md(&result.schema),
        count(result.overall.rows)
    );

    // The headline, then the criteria at a glance, then each finding in words.
    out.push_str("## Summary\n\n");
    let paras = view::summary(result, &opts.thresholds, opts.min_cell);
    let (head, findings) = paras
        .split_first()
        .map_or((None, &[][..]), |(h, r)| (Some(h), r));
    if let Some(h) = head {
        let _ = writeln!(out, "{}\n", spans(h));
    }
    let t = &opts.thresholds;
    let _ = writeln!(
        out,
        "Difference between the highest and the lowest group (ratio in parentheses); \
         a criterion holds when the difference is at most {} and the ratio at least {}.\n",
        md(&crate::format::short(t.difference)),
        md(&crate::format::short(t.ratio))
    );
    out.push_str("| criterion |");
    for g in &result.groupings {
        let _ = write!(out, " {} |", md(&grouping_name(g)));
    }
    out.push_str("\n|---|");
    for _ in &result.groupings {
        out.push_str("---|");
    }
    out.push('\n');
    for def in &CRITERIA {
        let cells = criterion_cells(result, def, t);
        if cells.is_empty() {
            continue;
        }
        let _ = write!(out, "| {} |", md(def.title));
        for g in &result.groupings {
            match cells.iter().find(|c| std::ptr::eq(c.grouping, g)) {
                Some(c) => {
                    let mark = match c.verdict {
                        view::Verdict::Fails => "**fails**",
                        view::Verdict::Holds => "holds",
                        view::Verdict::Undefined => "undefined",
                    };
                    let _ = write!(out, " {mark} {} |", md(&c.numbers()));
                }
                None => out.push_str(" |"),
            }
        }
        out.push('\n');
    }
    out.push('\n');
    for p in findings {
        let _ = writeln!(out, "- {}", spans(p));
    }
    out.push('\n');

    // Groups.
    let metrics = available(result, &TABLE_METRICS);
    let heat = available(result, &HEATMAP_METRICS);
    let ci = percent(result.confidence);
    let _ = writeln!(
        out,
        "## Groups\n\nEach value is followed by its {ci} interval where one is computed. Intervals: {}. \
         † marks groups with fewer than {} rows.\n",
        md(&result.interval_method),
        opts.min_cell
    );
    for (gi, g) in result.groupings.iter().enumerate() {
        let name = grouping_name(g);
        let _ = writeln!(out, "### {}\n", md(&name));
        if let Some(dir) = &opts.chart_dir {
            let gslug = format!(
                "g{}-{}",
                gi + 1,
                slug(
                    &g.attributes
                        .iter()
                        .map(|a| a.0.as_str())
                        .collect::<Vec<_>>()
                        .join("-")
                )
            );
            let mut images = Vec::new();
            if g.attributes.len() == 1 {
                for &m in &metrics {
                    let id = format!("bar-{}-{gslug}", m.id());
                    let c = bar_chart(result, gi, m, opts.min_cell, &id);
                    images.push((c.title.clone(), id, c.svg()));
                }
            } else {
                for &m in &heat {
                    let id = format!("heat-{}-{gslug}", m.id());
                    if let Some(h) = heat_map(result, gi, m, opts.min_cell, &id) {
                        images.push((h.title.clone(), id, h.svg()));
                    }
                }
            }
            for (alt, id, svg) in images {
                let path = dir.join(format!("{id}.svg"));
                let _ = writeln!(out, "![{}]({})", md(&alt), link(&path));
                charts.push(ChartFile {
                    path,
                    svg: standalone(&svg),
                });
            }
            out.push('\n');
        }
        if g.empty_cells > 0 {
            let _ = writeln!(
                out,
                "{} combinations of levels have no rows and are not listed.\n",
                g.empty_cells
            );
        }
        out.push_str("| group | rows |");
        for &m in &metrics {
            let _ = write!(out, " {} |", md(&metric_label(result, m)));
        }
        out.push_str("\n|---|---:|");
        for _ in &metrics {
            out.push_str("---:|");
        }
        out.push('\n');
        for x in g.groups.iter().chain(std::iter::once(&result.overall)) {
            let label = if x.key.0.is_empty() {
                "**overall**".to_owned()
            } else {
                md(&group(&x.key))
            };
            let _ = write!(
                out,
                "| {label}{} | {} |",
                if x.rows < opts.min_cell && !x.key.0.is_empty() {
                    " †"
                } else {
                    ""
                },
                count(x.rows)
            );
            for &m in &metrics {
                let _ = write!(out, " {} |", cell(x, m));
            }
            out.push('\n');
        }
        out.push('\n');
    }

    if !result.reference_comparisons.is_empty() {
        out.push_str(
            "## Against the reference level\n\nAIF360 orientation: unprivileged minus (or over) privileged.\n\n\
             | attribute | privileged | unprivileged | rows (priv. / unpriv.) | disparate impact | statistical parity difference | equal opportunity difference | average odds difference |\n\
             |---|---|---|---:|---:|---:|---:|---:|\n",
        );
        for c in &result.reference_comparisons {
            let get = |n: &str| {
                c.values
                    .iter()
                    .find(|v| v.name == n)
                    .map_or_else(String::new, |v| value(&v.value))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} / {} | {} | {} | {} | {} |",
                md(&c.attribute.0),
                md(&c.privileged.to_string()),
                c.unprivileged
                    .as_ref()
                    .map_or_else(|| "all others".to_owned(), |l| md(&l.to_string())),
                count(c.rows_privileged),
                count(c.rows_unprivileged),
                get("disparate_impact"),
                get("statistical_parity_difference"),
                get("equal_opportunity_difference"),
                get("average_odds_difference"),
            );
        }
        out.push('\n');
    }

    if let Some(sc) = &result.scores {
        let _ = writeln!(out, "## Scores by group\n\n{}.\n", md(&sc.method));
        md_table(
            &mut out,
            &crate::view::SCORE_HEADER,
            &crate::view::score_rows(sc),
        );
    }
    for sg in &result.subgroups {
        let _ = writeln!(
            out,
            "## Worst subgroups on {} ({} is worse)\n\n{}\n",
            md(sg.settings.metric.label()),
            sg.settings.worse.id(),
            md(&crate::view::subgroup_intro(sg))
        );
        if sg.slices.is_empty() {
            out.push_str("No subgroup differs significantly from the rest.\n\n");
        } else {
            md_table(
                &mut out,
                &crate::view::SUBGROUP_HEADER,
                &crate::view::subgroup_rows(sg),
            );
        }
    }

    let q = &result.inequality;
    let _ = writeln!(
        out,
        "## Inequality of benefit\n\nOver all rows, with AIF360's benefit b = ŷ − y + 1: Theil index {}, \
         coefficient of variation {}.",
        value(&q.theil_index),
        value(&q.coefficient_of_variation)
    );
    for a in &q.generalized_entropy {
        let _ = write!(out, " GE({}) {}.", a.alpha, value(&a.value));
    }
    out.push_str("\n\n");

    methods(&mut out, result, opts);
    MarkdownOutput {
        markdown: out,
        charts,
    }
}

fn methods(out: &mut String, result: &AuditResult, opts: &MarkdownOptions) {
    let i = &result.input;
    out.push_str("## Methods\n\n");
    let _ = writeln!(
        out,
        "- **Data:** {}{}",
        if i.source.is_empty() {
            "(not recorded)".to_owned()
        } else {
            md(&i.source)
        },
        if i.format.is_empty() {
            String::new()
        } else {
            format!(" ({})", md(&i.format))
        }
    );
    let _ = writeln!(
        out,
        "- **Label:** {}; **prediction:** {}; **weight:** {}",
        md(&i.label),
        md(&i.prediction),
        i.weight.as_deref().map_or_else(|| "none".to_owned(), md)
    );
    let _ = write!(
        out,
        "- **Rows:** {} read, {} audited",
        count(i.rows_read),
        count(i.rows_used)
    );
    for d in &i.dropped {
        let _ = write!(out, "; {} dropped: {}", count(d.rows), md(&d.reason));
    }
    out.push('\n');
    for (a, n) in &i.missing_sensitive {
        if *n > 0 {
            let _ = writeln!(
                out,
                "- **Missing {}:** {} rows, reported as their own level and left out of disparities",
                md(a),
                count(*n)
            );
        }
    }
    for a in &result.attributes {
        let _ = write!(out, "- **Attribute {}:** ", md(&a.name.0));
        let levels: Vec<String> = a
            .levels
            .iter()
            .map(|(l, n)| format!("{} ({})", md(&l.to_string()), count(*n)))
            .collect();
        out.push_str(&levels.join(", "));
        if let Some(r) = &a.reference {
            let _ = write!(out, "; reference level {}", md(&r.to_string()));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "- **Intervals:** {} (confidence {})",
        md(&result.interval_method),
        percent(result.confidence)
    );
    let _ = writeln!(
        out,
        "- **Summary tolerances:** a criterion holds when the between-groups difference is at most {} and the ratio at least {} (AIF360's demo bands; a convention, not a test). Groups with fewer than {} rows are marked small.",
        crate::format::short(opts.thresholds.difference),
        crate::format::short(opts.thresholds.ratio),
        opts.min_cell
    );
    let _ = writeln!(
        out,
        "- **Sample weights:** {}",
        if result.weighted {
            "used for rates"
        } else {
            "none"
        }
    );
    let _ = writeln!(
        out,
        "- **Software:** aequo {}, result schema `{}`",
        md(&result.aequo_version),
        result.schema.replace('`', "'")
    );
    for w in &i.warnings {
        let _ = writeln!(out, "- **Warning:** {}", md(w));
    }
    out.push_str(
        "\n### Metric definitions\n\n| metric | id | formula | source |\n|---|---|---|---|\n",
    );
    for m in &result.metrics {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            md(&m.label),
            m.id.id(),
            md(&m.formula),
            md(&m.source)
        );
    }
    if !result.notes.is_empty() {
        out.push_str("\n### Notes\n\n");
        for n in &result.notes {
            let _ = writeln!(out, "- {}", md(n));
        }
    }
}

/// A Markdown table, first column left-aligned, the others right-aligned; cells escaped.
fn md_table<const N: usize>(out: &mut String, header: &[&str; N], rows: &[[String; N]]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(N - 1));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| md(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_stay_relative_and_encode_what_would_end_them() {
        assert_eq!(link(Path::new("charts/a.svg")), "charts/a.svg");
        assert_eq!(
            link(Path::new("my charts (1)/a.svg")),
            "my%20charts%20%281%29/a.svg"
        );
    }
}
