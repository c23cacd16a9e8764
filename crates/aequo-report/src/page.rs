//! A self-contained HTML page for audits other than the tabular one (probes, modality reliance):
//! the same shell, stylesheet, script and Content-Security-Policy as
//! [`crate::html`](mod@crate::html), with the body made of sections that the caller writes.
//!
//! ```
//! use aequo_report::page::{escape, table, Page};
//!
//! let mut page = Page::new("Probe of model-x", "aequo 0.1 · 2 400 responses");
//! let rows = vec![vec!["female".to_owned(), "0.61 [0.55, 0.66]".to_owned()]];
//! page.section("decision", "Decision gaps", table(&["Group", "P(yes)"], &rows));
//! let html = page.render();
//! assert!(html.contains("<h2 id=\"decision-h\">Decision gaps</h2>"));
//! assert!(html.contains(&escape("0.61 [0.55, 0.66]")));
//! ```
//!
//! Callers pass body HTML they built with [`escape`], [`table`], [`figure`] and the SVG charts of
//! [`crate::chart`]; [`Page::render`] escapes titles and headings itself.

use std::fmt::Write;

use crate::format::{html as esc, slug};

pub(crate) const STYLE: &str = include_str!("html/style.css");
pub(crate) const SCRIPT: &str = include_str!("html/script.js");

/// Forbids every fetch: only the inline style and script run, images only from `data:`.
pub(crate) const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    esc(s)
}

/// A chart with its numbers behind a disclosure, as the tabular report shows them: `svg` from
/// one of [`crate::chart`]'s charts, `table_html` from [`table`].
pub fn figure(svg: &str, table_html: &str) -> String {
    format!(
        "<figure class=\"chart\">{svg}<details class=\"chart-data\"><summary>Data table</summary>{table_html}</details></figure>"
    )
}

/// A sortable data table; every header and cell is escaped.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut s =
        String::from("<div class=\"table-wrap\"><table class=\"sortable data\"><thead><tr>");
    for h in headers {
        let _ = write!(
            s,
            "<th scope=\"col\"><button type=\"button\">{}</button></th>",
            esc(h)
        );
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            if i == 0 {
                let _ = write!(s, "<th scope=\"row\">{}</th>", esc(c));
            } else {
                let _ = write!(s, "<td>{}</td>", esc(c));
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

/// One section of a [`Page`].
#[derive(Debug, Clone, PartialEq)]
struct Section {
    id: String,
    heading: String,
    body: String,
}

/// A self-contained HTML page: a title, a line of metadata under it, a table of contents and
/// sections.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    title: String,
    meta: String,
    sections: Vec<Section>,
}

impl Page {
    /// A page with `title` (the `<title>` and the heading) and `meta`, one line of plain text
    /// under the heading (tool version, schema, sample sizes).
    pub fn new(title: &str, meta: &str) -> Page {
        Page {
            title: title.to_owned(),
            meta: meta.to_owned(),
            sections: Vec::new(),
        }
    }

    /// Appends a section. `id` is made a valid fragment (and unique on the page); `heading` is
    /// plain text; `body_html` is HTML the caller built (escape its text with [`escape`]).
    pub fn section(&mut self, id: &str, heading: &str, body_html: String) -> &mut Page {
        let mut id = slug(id);
        if id.is_empty() {
            id = "section".to_owned();
        }
        let base = id.clone();
        let mut k = 2;
        while self.sections.iter().any(|s| s.id == id) {
            id = format!("{base}-{k}");
            k += 1;
        }
        self.sections.push(Section {
            id,
            heading: heading.to_owned(),
            body: body_html,
        });
        self
    }

    /// The page as one HTML document.
    pub fn render(&self) -> String {
        let toc: Vec<(&str, &str)> = self
            .sections
            .iter()
            .map(|s| (s.id.as_str(), s.heading.as_str()))
            .collect();
        let mut body = String::new();
        for s in &self.sections {
            let _ = write!(
                body,
                "<section id=\"{id}\" aria-labelledby=\"{id}-h\"><h2 id=\"{id}-h\">{h}</h2>\n{b}</section>\n",
                id = s.id,
                h = esc(&s.heading),
                b = s.body
            );
        }
        shell(
            env!("CARGO_PKG_VERSION"),
            &self.title,
            &esc(&self.meta),
            &toc,
            &body,
        )
    }
}

/// The document around a report's body (made by aequo `version`): head (CSP, style), header with `meta_html` under the
/// title, the table of contents (ids and plain-text names), the body, footer and script.
pub(crate) fn shell(
    version: &str,
    title: &str,
    meta_html: &str,
    toc: &[(&str, &str)],
    body: &str,
) -> String {
    let v = esc(version);
    let t = esc(title);
    let mut s = String::with_capacity(body.len() + STYLE.len() + SCRIPT.len() + 4096);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"generator\" content=\"aequo {v}\">\n<title>{t}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>{t}</h1><p class=\"meta\">{meta_html}</p></header>\n\
         <nav aria-label=\"Contents\"><ol>"
    );
    for (id, name) in toc {
        let _ = write!(s, "<li><a href=\"#{id}\">{}</a></li>", esc(name));
    }
    s.push_str("</ol></nav>\n<main>\n");
    s.push_str(body);
    let _ = write!(
        s,
        "</main>\n<footer>Generated by aequo {v}. Every number is the audit result's own; this page recomputes none.</footer>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_makes_ids_unique() {
        let mut p = Page::new("A <b> title", "n = 3 & more");
        p.section("decision gaps", "Gaps <1>", "<p>x</p>".to_owned());
        p.section("Decision gaps", "Again", String::new());
        let h = p.render();
        assert!(h.contains("<title>A &lt;b&gt; title</title>"), "{h}");
        assert!(h.contains("n = 3 &amp; more"));
        assert!(
            h.contains("<h2 id=\"decision_gaps-h\">Gaps &lt;1&gt;</h2>"),
            "{h}"
        );
        assert!(h.contains("<section id=\"decision_gaps-2\""), "{h}");
        assert!(h.contains("<li><a href=\"#decision_gaps-2\">Again</a></li>"));
        assert!(h.contains(CSP));
        assert!(!h.contains("src=\"http") && !h.contains("href=\"http"));
    }

    #[test]
    fn table_escapes_cells_and_marks_row_headers() {
        let t = table(&["Group", "Rate"], &[vec!["a<b".into(), "0.5 & 1".into()]]);
        assert!(
            t.contains("<th scope=\"row\">a&lt;b</th><td>0.5 &amp; 1</td>"),
            "{t}"
        );
        assert!(t.contains("<button type=\"button\">Rate</button>"));
    }
}
