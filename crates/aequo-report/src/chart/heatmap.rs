//! A heat map of one metric over an intersection: rows are combinations of the first
//! attributes, columns the levels of the last one; each cell is coloured by how far its value
//! lies from the overall value, and cells with few rows are hatched.
//!
//! The colour scale is centred on the overall value and spans ± `extent` — the caller passes
//! the core's `to_overall` difference (the largest distance of any group from the overall), so
//! the most distant group takes the scale's end colour. The value printed in each cell is the
//! core's; the distance is used for the colour only.

use std::fmt::Write;

use super::{dark_at, diverging, esc, hatch_pattern, open_svg, px, shorten};
use crate::format::{count, lower_first, number};

const CELL_W: f64 = 74.0;
const CELL_H: f64 = 36.0;
const TOP: f64 = 52.0;
const MAX_LABEL: usize = 28;

/// One cell of a heat map.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatCell {
    /// The value, or `None` when undefined.
    pub value: Option<f64>,
    /// Its interval, if any.
    pub interval: Option<(f64, f64)>,
    /// Rows in the cell.
    pub rows: u64,
    /// Whether the cell is small (hatched).
    pub small: bool,
    /// Why the value is undefined.
    pub note: Option<String>,
}

/// A heat map of one metric over one intersection.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    /// A page-unique id (cleaned to `[a-z0-9_-]`).
    pub id: String,
    /// The visible title, also the accessible name.
    pub title: String,
    /// A sentence on what the chart shows beyond the generic part.
    pub description: String,
    /// The metric's name.
    pub metric_label: String,
    /// What rows are ("sex × race").
    pub row_header: String,
    /// What columns are ("age_band").
    pub col_header: String,
    /// Row labels.
    pub rows: Vec<String>,
    /// Column labels.
    pub cols: Vec<String>,
    /// `cells[row][col]`; `None` for a combination with no rows.
    pub cells: Vec<Vec<Option<HeatCell>>>,
    /// The overall value: the scale's centre.
    pub center: f64,
    /// Half the scale's width (> 0), e.g. the largest distance of any group from overall.
    pub extent: f64,
    /// What the interval is ("95% CI").
    pub interval_label: String,
    /// What "small" means ("fewer than 30 rows").
    pub small_label: String,
}

impl HeatMap {
    fn label_width(&self) -> f64 {
        let chars = self
            .rows
            .iter()
            .map(|r| r.chars().count().min(MAX_LABEL))
            .max()
            .unwrap_or(4)
            .max(self.row_header.chars().count().min(MAX_LABEL));
        (chars as f64 * 7.0 + 12.0).clamp(60.0, 220.0)
    }

    /// The chart's width in pixels.
    pub fn width(&self) -> f64 {
        (self.label_width() + self.cols.len() as f64 * CELL_W + 12.0).max(460.0)
    }

    /// The chart's height in pixels.
    pub fn height(&self) -> f64 {
        TOP + self.rows.len() as f64 * CELL_H + 78.0
    }

    /// The cell's position on the colour scale, in [-1, 1]. The subtraction places the cell on
    /// the scale; it is not a reported number.
    fn position(&self, v: f64) -> f64 {
        if self.extent > 0.0 {
            ((v - self.center) / self.extent).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    }

    fn full_description(&self) -> String {
        let filled = self.cells.iter().flatten().filter(|c| c.is_some()).count();
        let small = self
            .cells
            .iter()
            .flatten()
            .filter(|c| c.as_ref().is_some_and(|c| c.small))
            .count();
        let mut d = format!(
            "Heat map of {} over {} rows ({}) and {} columns ({}), {filled} cells with data. \
             Colour shows the value relative to the overall {}: orange below, purple above, \
             white close to it.",
            lower_first(&self.metric_label),
            self.rows.len(),
            self.row_header,
            self.cols.len(),
            self.col_header,
            number(self.center)
        );
        if small > 0 {
            let _ = write!(d, " {small} cells with {} are hatched.", self.small_label);
        }
        if !self.description.is_empty() {
            d.push(' ');
            d.push_str(&self.description);
        }
        d
    }

    /// The chart as an SVG element (valid inline in HTML and as a standalone file).
    pub fn svg(&self) -> String {
        let id = super::clean_id(&self.id);
        let (w, h) = (self.width(), self.height());
        let x0 = self.label_width();
        let mut s = open_svg(&id, w, h, &self.title, &self.full_description());
        let _ = write!(
            s,
            "<defs>{}<linearGradient id=\"{id}-scale\">",
            hatch_pattern(&format!("{id}-hatch"), "#333333")
        );
        for k in 0..=8 {
            let t = -1.0 + f64::from(k) * 0.25;
            let _ = write!(
                s,
                "<stop offset=\"{}%\" stop-color=\"{}\"/>",
                k * 100 / 8,
                diverging(t)
            );
        }
        let _ = write!(
            s,
            "</linearGradient></defs><rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\
             <text x=\"4\" y=\"17\" font-size=\"14\" font-weight=\"600\" fill=\"#111\">{}</text>",
            px(w),
            px(h),
            esc(&self.title)
        );
        // Headers.
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#444\" font-size=\"11\" font-style=\"italic\">{} ↓ · {} →</text>",
            px(x0 - 6.0),
            px(TOP - 8.0),
            esc(&shorten(&self.row_header, MAX_LABEL)),
            esc(&shorten(&self.col_header, 16))
        );
        for (j, c) in self.cols.iter().enumerate() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#111\"><title>{t}</title>{}</text>",
                px(x0 + (j as f64 + 0.5) * CELL_W),
                px(TOP - 8.0),
                esc(&shorten(c, 11)),
                t = esc(c)
            );
        }
        for (i, r) in self.rows.iter().enumerate() {
            let y = TOP + i as f64 * CELL_H;
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#111\"><title>{t}</title>{}</text>",
                px(x0 - 6.0),
                px(y + CELL_H / 2.0 + 4.0),
                esc(&shorten(r, MAX_LABEL)),
                t = esc(r)
            );
            for (j, cell) in self.cells.get(i).into_iter().flatten().enumerate() {
                let x = x0 + j as f64 * CELL_W;
                let (cx, cy) = (px(x + CELL_W / 2.0), y + CELL_H / 2.0);
                let rect = |fill: &str| {
                    format!(
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"2\"/>",
                        px(x),
                        px(y),
                        px(CELL_W),
                        px(CELL_H)
                    )
                };
                let name = format!("{} × {}", r, self.cols.get(j).map_or("", String::as_str));
                let Some(c) = cell else {
                    let _ = write!(
                        s,
                        "<g class=\"cell empty\"><title>{}: no rows</title>{}<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" fill=\"#888\" font-size=\"11\">no rows</text></g>",
                        esc(&name),
                        rect("#f0f0f0"),
                        px(cy + 4.0)
                    );
                    continue;
                };
                let mut tip = format!("{name}: ");
                match c.value {
                    Some(v) => tip.push_str(&number(v)),
                    None => tip.push_str(c.note.as_deref().unwrap_or("undefined")),
                }
                if let Some((lo, up)) = c.interval {
                    let _ = write!(
                        tip,
                        ", {} {}–{}",
                        self.interval_label,
                        number(lo),
                        number(up)
                    );
                }
                let _ = write!(tip, ", n = {}", count(c.rows));
                if c.small {
                    let _ = write!(tip, " ({})", self.small_label);
                }
                let t = c.value.map(|v| self.position(v));
                let fill = t.map_or_else(|| "#dddddd".to_owned(), diverging);
                let ink = if t.is_some_and(dark_at) {
                    "#ffffff"
                } else {
                    "#111111"
                };
                let _ = write!(
                    s,
                    "<g class=\"cell\"><title>{}</title>{}",
                    esc(&tip),
                    rect(&fill)
                );
                if c.small {
                    let _ = write!(
                        s,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"url(#{id}-hatch)\" opacity=\"0.45\"/>",
                        px(x + 1.0),
                        px(y + 1.0),
                        px(CELL_W - 2.0),
                        px(CELL_H - 2.0)
                    );
                }
                let _ = write!(
                    s,
                    "<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" fill=\"{ink}\" font-weight=\"600\">{}</text>\
                     <text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" fill=\"{ink}\" font-size=\"10\">n={}{}</text></g>",
                    px(cy - 1.0),
                    c.value.map_or_else(|| "undef.".to_owned(), number),
                    px(cy + 12.0),
                    count(c.rows),
                    if c.small { " †" } else { "" }
                );
            }
        }
        // Legend: the scale from "overall − extent" to "overall + extent", and the hatch.
        let ly = TOP + self.rows.len() as f64 * CELL_H + 18.0;
        let lw = 240.0;
        let lx = (x0 + self.cols.len() as f64 * CELL_W / 2.0 - lw / 2.0).max(8.0);
        let _ = write!(
            s,
            "<g class=\"legend\" aria-hidden=\"true\" font-size=\"11\" fill=\"#333\">\
             <rect x=\"{a}\" y=\"{b}\" width=\"{lw}\" height=\"10\" fill=\"url(#{id}-scale)\" stroke=\"#999\" stroke-width=\"0.5\"/>\
             <text x=\"{a}\" y=\"{c}\" text-anchor=\"start\">−{e}</text>\
             <text x=\"{m}\" y=\"{c}\" text-anchor=\"middle\">overall {o}</text>\
             <text x=\"{r}\" y=\"{c}\" text-anchor=\"end\">+{e}</text>\
             <text x=\"{bl}\" y=\"{d}\" text-anchor=\"end\">below</text>\
             <text x=\"{ab}\" y=\"{d}\" text-anchor=\"start\">above</text>",
            a = px(lx),
            b = px(ly),
            c = px(ly + 23.0),
            d = px(ly + 9.0),
            bl = px(lx - 4.0),
            ab = px(lx + lw + 4.0),
            m = px(lx + lw / 2.0),
            r = px(lx + lw),
            e = number(self.extent),
            o = number(self.center)
        );
        if self.cells.iter().flatten().flatten().any(|c| c.small) {
            let _ = write!(
                s,
                "<rect x=\"{a}\" y=\"{b}\" width=\"16\" height=\"12\" fill=\"#f7f7f7\" stroke=\"#999\" stroke-width=\"0.5\"/>\
                 <rect x=\"{a}\" y=\"{b}\" width=\"16\" height=\"12\" fill=\"url(#{id}-hatch)\" opacity=\"0.45\"/>\
                 <text x=\"{t}\" y=\"{c}\">† {}</text>",
                esc(&self.small_label),
                a = px(lx),
                b = px(ly + 32.0),
                t = px(lx + 22.0),
                c = px(ly + 42.0)
            );
        }
        s.push_str("</g></svg>");
        s
    }

    /// The same data as an HTML table (the chart's data fallback).
    pub fn table_html(&self) -> String {
        let mut s = format!(
            "<table class=\"chart-data\"><caption>{}</caption><thead><tr><th scope=\"col\">{} \\ {}</th>",
            esc(&self.title),
            esc(&self.row_header),
            esc(&self.col_header)
        );
        for c in &self.cols {
            let _ = write!(s, "<th scope=\"col\">{}</th>", esc(c));
        }
        s.push_str("</tr></thead><tbody>");
        for (i, r) in self.rows.iter().enumerate() {
            let _ = write!(s, "<tr><th scope=\"row\">{}</th>", esc(r));
            for cell in self.cells.get(i).into_iter().flatten() {
                match cell {
                    None => s.push_str("<td>no rows</td>"),
                    Some(c) => {
                        let _ = write!(
                            s,
                            "<td>{} <small>n={}{}</small></td>",
                            c.value.map_or_else(
                                || esc(c.note.as_deref().unwrap_or("undefined")),
                                number
                            ),
                            count(c.rows),
                            if c.small { " †" } else { "" }
                        );
                    }
                }
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> HeatMap {
        let cell = |v: f64, rows: u64| {
            Some(HeatCell {
                value: Some(v),
                interval: Some((v - 0.05, v + 0.05)),
                rows,
                small: rows < 30,
                note: None,
            })
        };
        HeatMap {
            id: "h".into(),
            title: "Selection rate: a × b".into(),
            description: String::new(),
            metric_label: "Selection rate".into(),
            row_header: "a".into(),
            col_header: "b".into(),
            rows: vec!["<script>".into(), "x & y".into()],
            cols: vec!["c1".into(), "c2".into()],
            cells: vec![
                vec![cell(0.2, 100), cell(0.5, 10)],
                vec![None, cell(0.35, 40)],
            ],
            center: 0.35,
            extent: 0.15,
            interval_label: "95% CI".into(),
            small_label: "fewer than 30 rows".into(),
        }
    }

    #[test]
    fn cells_are_coloured_by_distance_from_overall_and_small_ones_hatched() {
        let svg = map().svg();
        // 0.2 is the full extent below overall: the scale's orange end; 0.35 is the centre.
        assert!(svg.contains("fill=\"#b35806\""));
        assert!(svg.contains("fill=\"#f7f7f7\" stroke=\"#ffffff\""));
        assert!(svg.contains("fill=\"#542788\""));
        assert_eq!(svg.matches("url(#h-hatch)\" opacity").count(), 2); // one cell, one legend
        assert!(svg.contains("no rows"));
        assert!(svg.contains("3 cells with data"));
    }

    #[test]
    fn user_text_is_escaped() {
        let svg = map().svg();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("x &amp; y"));
        let t = map().table_html();
        assert!(!t.contains("<script>") && t.contains("x &amp; y"));
    }
}
