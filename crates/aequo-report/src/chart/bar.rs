//! Horizontal bars, one per group, with interval whiskers and a dashed overall line.
//!
//! Horizontal because group labels (intersections such as "female × Black × 18-29") are long
//! and read best left-aligned beside their bar. The value axis starts at zero so bar lengths
//! stay honest; its end is the next round number above the largest value or interval bound.

use std::fmt::Write;

use super::{esc, hatch_pattern, open_svg, px, shorten, OKABE_ITO};
use crate::format::{count, lower_first, number, short};

const WIDTH: f64 = 550.0;
const ROW: f64 = 20.0;
const BAR: f64 = 12.0;
const TOP: f64 = 46.0;
const RIGHT: f64 = 112.0;
const MAX_LABEL: usize = 28;

/// One group's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The group's label (user data; escaped when drawn).
    pub label: String,
    /// The value, or `None` when undefined.
    pub value: Option<f64>,
    /// The interval around the value, if any.
    pub interval: Option<(f64, f64)>,
    /// Rows in the group.
    pub rows: u64,
    /// Whether the group is small (drawn hatched and pale).
    pub small: bool,
    /// Why the value is undefined, shown instead of a bar.
    pub note: Option<String>,
}

/// A bar chart of one metric over the groups of one grouping.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// A page-unique id (cleaned to `[a-z0-9_-]`).
    pub id: String,
    /// The visible title, also the accessible name.
    pub title: String,
    /// A sentence on what the chart shows beyond the generic part (e.g. its extremes).
    pub description: String,
    /// The value axis' name ("Selection rate").
    pub axis_label: String,
    /// What the whiskers are ("95% CI").
    pub interval_label: String,
    /// What "small" means ("fewer than 30 rows").
    pub small_label: String,
    /// The bars, in the order drawn.
    pub bars: Vec<Bar>,
    /// The overall value, drawn as a dashed line, with its label.
    pub reference: Option<(String, f64)>,
}

/// The next "nice" number ≥ x (1, 2, 2.5, 5 × a power of ten).
pub(crate) fn nice_ceil(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= x * (1.0 - 1e-12) {
            return m * mag;
        }
    }
    10.0 * mag
}

impl BarChart {
    fn domain(&self) -> f64 {
        let mut hi: f64 = 0.0;
        for b in &self.bars {
            for x in [b.value, b.interval.map(|i| i.1)].into_iter().flatten() {
                hi = hi.max(x);
            }
        }
        if let Some((_, r)) = &self.reference {
            hi = hi.max(*r);
        }
        nice_ceil(hi)
    }

    fn label_width(&self) -> f64 {
        let chars = self
            .bars
            .iter()
            .map(|b| b.label.chars().count().min(MAX_LABEL))
            .max()
            .unwrap_or(4);
        // About 7 px per character at 12 px: wide enough for the longest label shown.
        (chars as f64 * 7.0 + 12.0).clamp(60.0, 220.0)
    }

    /// The chart's height in pixels.
    pub fn height(&self) -> f64 {
        TOP + self.bars.len() as f64 * ROW + 52.0
    }

    fn full_description(&self) -> String {
        let mut d = format!(
            "Horizontal bar chart of {} for {} group{}",
            lower_first(&self.axis_label),
            self.bars.len(),
            if self.bars.len() == 1 { "" } else { "s" }
        );
        if self.bars.iter().any(|b| b.interval.is_some()) {
            let _ = write!(d, "; whiskers show the {}", self.interval_label);
        }
        if let Some((label, v)) = &self.reference {
            let _ = write!(d, "; the dashed line is {label} ({})", number(*v));
        }
        d.push('.');
        let small = self.bars.iter().filter(|b| b.small).count();
        if small > 0 {
            let _ = write!(
                d,
                " {small} group{} with {} {} hatched.",
                if small == 1 { "" } else { "s" },
                self.small_label,
                if small == 1 { "is" } else { "are" }
            );
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
        let (w, h) = (WIDTH, self.height());
        let x0 = self.label_width();
        let x1 = w - RIGHT;
        let hi = self.domain();
        let x = |v: f64| x0 + (v.clamp(0.0, hi) / hi) * (x1 - x0);
        let bottom = TOP + self.bars.len() as f64 * ROW;
        let blue = OKABE_ITO[5];
        let vermillion = OKABE_ITO[6];
        let mut s = open_svg(&id, w, h, &self.title, &self.full_description());
        let _ = write!(
            s,
            "<defs>{}</defs><rect width=\"{w}\" height=\"{}\" fill=\"#ffffff\"/>",
            hatch_pattern(&format!("{id}-hatch"), "#ffffff"),
            px(h)
        );
        let _ = write!(
            s,
            "<text x=\"4\" y=\"17\" font-size=\"14\" font-weight=\"600\" fill=\"#111\">{}</text>",
            esc(&self.title)
        );
        // Grid and axis.
        let step = nice_ceil(hi / 5.0);
        let ticks = (hi / step).round() as usize;
        s.push_str("<g class=\"axis\" aria-hidden=\"true\">");
        for k in 0..=ticks {
            let v = step * k as f64;
            let _ = write!(
                s,
                "<line x1=\"{a}\" x2=\"{a}\" y1=\"{t}\" y2=\"{b}\" stroke=\"#e3e3e3\"/>\
                 <text x=\"{a}\" y=\"{ty}\" text-anchor=\"middle\" fill=\"#444\" font-size=\"11\">{}</text>",
                short(v),
                a = px(x(v)),
                t = px(TOP - 4.0),
                b = px(bottom),
                ty = px(bottom + 14.0)
            );
        }
        let _ = write!(
            s,
            "<line x1=\"{a}\" x2=\"{b}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#888\"/>\
             <text x=\"{m}\" y=\"{ly}\" text-anchor=\"middle\" fill=\"#333\" font-size=\"11\">{}</text></g>",
            esc(&self.axis_label),
            a = px(x0),
            b = px(x1),
            y = px(bottom),
            m = px((x0 + x1) / 2.0),
            ly = px(bottom + 28.0)
        );
        // Bars.
        for (i, b) in self.bars.iter().enumerate() {
            let y = TOP + i as f64 * ROW;
            let cy = y + ROW / 2.0;
            let mut tip = format!("{}: ", b.label);
            match b.value {
                Some(v) => tip.push_str(&number(v)),
                None => tip.push_str(b.note.as_deref().unwrap_or("undefined")),
            }
            if let Some((lo, up)) = b.interval {
                let _ = write!(
                    tip,
                    ", {} {}–{}",
                    self.interval_label,
                    number(lo),
                    number(up)
                );
            }
            let _ = write!(tip, ", n = {}", count(b.rows));
            if b.small {
                let _ = write!(tip, " ({})", self.small_label);
            }
            let _ = write!(
                s,
                "<g class=\"bar\"><title>{}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#111\">{}</text>",
                esc(&tip),
                px(x0 - 6.0),
                px(cy + 4.0),
                esc(&shorten(&b.label, MAX_LABEL))
            );
            match b.value {
                Some(v) => {
                    let bw = (x(v) - x0).max(0.5);
                    let _ =
                        write!(
                        s,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{BAR}\" fill=\"{blue}\"{}/>",
                        px(x0),
                        px(cy - BAR / 2.0),
                        px(bw),
                        if b.small { " fill-opacity=\"0.55\"" } else { "" }
                    );
                    if b.small {
                        let _ = write!(
                            s,
                            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{BAR}\" fill=\"url(#{id}-hatch)\"/>",
                            px(x0),
                            px(cy - BAR / 2.0),
                            px(bw)
                        );
                    }
                }
                None => {
                    let _ = write!(
                        s,
                        "<text x=\"{}\" y=\"{}\" fill=\"#666\" font-style=\"italic\">{}</text>",
                        px(x0 + 4.0),
                        px(cy + 4.0),
                        esc(b.note.as_deref().unwrap_or("undefined"))
                    );
                }
            }
            if let (Some(_), Some((lo, up))) = (b.value, b.interval) {
                let (a, c) = (px(x(lo)), px(x(up)));
                let _ = write!(
                    s,
                    "<path d=\"M{a} {t}V{u}M{a} {m}H{c}M{c} {t}V{u}\" stroke=\"#222\" stroke-width=\"1.3\" fill=\"none\"/>",
                    t = px(cy - 4.0),
                    u = px(cy + 4.0),
                    m = px(cy)
                );
            }
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" fill=\"#111\">{}<tspan fill=\"#666\" font-size=\"11\"> n={}{}</tspan></text></g>",
                px(x1 + 8.0),
                px(cy + 4.0),
                b.value.map_or_else(|| "—".to_owned(), number),
                count(b.rows),
                if b.small { " †" } else { "" }
            );
        }
        if let Some((label, v)) = &self.reference {
            let rx = px(x(*v));
            let _ = write!(
                s,
                "<g class=\"overall\"><title>{t}</title><line x1=\"{rx}\" x2=\"{rx}\" y1=\"{}\" y2=\"{}\" \
                 stroke=\"{vermillion}\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\
                 <text x=\"{rx}\" y=\"{}\" text-anchor=\"middle\" fill=\"{vermillion}\" font-size=\"11\">{t}</text></g>",
                px(TOP - 8.0),
                px(bottom),
                px(TOP - 11.0),
                t = esc(&format!("{label} {}", number(*v)))
            );
        }
        // Legend.
        let ly = px(h - 8.0);
        let _ = write!(
            s,
            "<g class=\"legend\" aria-hidden=\"true\" font-size=\"11\" fill=\"#333\">\
             <path d=\"M{a} {t}V{u}M{a} {m}H{b}M{b} {t}V{u}\" stroke=\"#222\" stroke-width=\"1.3\"/>\
             <text x=\"{c}\" y=\"{ly}\">{}</text>",
            esc(&self.interval_label),
            a = px(x0),
            b = px(x0 + 18.0),
            c = px(x0 + 24.0),
            t = px(h - 16.0),
            u = px(h - 8.0),
            m = px(h - 12.0),
        );
        if self.bars.iter().any(|b| b.small) {
            let _ = write!(
                s,
                "<rect x=\"{a}\" y=\"{t}\" width=\"14\" height=\"10\" fill=\"{blue}\" fill-opacity=\"0.55\"/>\
                 <rect x=\"{a}\" y=\"{t}\" width=\"14\" height=\"10\" fill=\"url(#{id}-hatch)\"/>\
                 <text x=\"{c}\" y=\"{ly}\">† {}</text>",
                esc(&self.small_label),
                a = px(x0 + 110.0),
                c = px(x0 + 130.0),
                t = px(h - 17.0),
            );
        }
        s.push_str("</g></svg>");
        s
    }

    /// The same data as an HTML table (the chart's data fallback).
    pub fn table_html(&self) -> String {
        let mut s = format!(
            "<table class=\"chart-data\"><caption>{}</caption><thead><tr><th scope=\"col\">Group</th>\
             <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">Rows</th></tr></thead><tbody>",
            esc(&self.title),
            esc(&self.axis_label),
            esc(&self.interval_label)
        );
        for b in &self.bars {
            let _ = write!(
                s,
                "<tr><th scope=\"row\">{}{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&b.label),
                if b.small { " †" } else { "" },
                b.value
                    .map_or_else(|| esc(b.note.as_deref().unwrap_or("undefined")), number),
                b.interval.map_or_else(String::new, |(l, u)| format!(
                    "{}–{}",
                    number(l),
                    number(u)
                )),
                count(b.rows)
            );
        }
        if let Some((label, v)) = &self.reference {
            let _ = write!(
                s,
                "<tr class=\"overall\"><th scope=\"row\">{}</th><td>{}</td><td></td><td></td></tr>",
                esc(label),
                number(*v)
            );
        }
        s.push_str("</tbody></table>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> BarChart {
        BarChart {
            id: "t1".into(),
            title: "Selection rate by <x> & y".into(),
            description: String::new(),
            axis_label: "Selection rate".into(),
            interval_label: "95% CI".into(),
            small_label: "fewer than 30 rows".into(),
            bars: vec![
                Bar {
                    label: "<script>alert(1)</script>".into(),
                    value: Some(0.25),
                    interval: Some((0.2, 0.31)),
                    rows: 120,
                    small: false,
                    note: None,
                },
                Bar {
                    label: "A & B".into(),
                    value: Some(0.4),
                    interval: Some((0.1, 0.8)),
                    rows: 12,
                    small: true,
                    note: None,
                },
                Bar {
                    label: "none".into(),
                    value: None,
                    interval: None,
                    rows: 3,
                    small: true,
                    note: Some("undefined (0/0)".into()),
                },
            ],
            reference: Some(("overall".into(), 0.3)),
        }
    }

    #[test]
    fn user_text_is_escaped() {
        let svg = chart().svg();
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("A &amp; B"));
        assert!(!svg.contains("A & B"));
        let t = chart().table_html();
        assert!(!t.contains("<script") && t.contains("A &amp; B"));
    }

    #[test]
    fn has_a_text_alternative_and_every_bar() {
        let svg = chart().svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"t1\""));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"Selection rate by &lt;x&gt; &amp; y\""));
        assert!(svg.contains("<desc id=\"t1-desc\">Horizontal bar chart of selection rate for 3 groups; whiskers show the 95% CI; the dashed line is overall (0.300). 2 groups with fewer than 30 rows are hatched.</desc>"));
        assert_eq!(svg.matches("<g class=\"bar\">").count(), 3);
        assert!(svg.contains("undefined (0/0)"));
        assert!(svg.contains("url(#t1-hatch)"));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn domain_is_the_next_round_number() {
        assert_eq!(chart().domain(), 1.0);
        assert_eq!(nice_ceil(0.43), 0.5);
        assert_eq!(nice_ceil(0.2), 0.2);
        assert_eq!(nice_ceil(0.21), 0.25);
        assert_eq!(nice_ceil(0.0), 1.0);
        assert_eq!(nice_ceil(7.0), 10.0);
    }
}
