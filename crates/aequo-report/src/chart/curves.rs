//! Curves on the unit square, one per group: ROC curves (TPR against FPR) and reliability
//! curves (observed rate against mean predicted score), each with its diagonal reference
//! (a random classifier; perfect calibration).

use std::fmt::Write;

use super::{esc, open_svg, px, OKABE_ITO};

const SIZE: f64 = 300.0;
const LEFT: f64 = 46.0;
const TOP: f64 = 30.0;
const LEGEND: f64 = 250.0;

/// One group's curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The group's label (user data; escaped).
    pub label: String,
    /// Points (x, y) in [0, 1]², in drawing order.
    pub points: Vec<(f64, f64)>,
}

/// Several groups' curves on the unit square.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveChart {
    /// A page-unique id.
    pub id: String,
    /// Title, also the accessible name.
    pub title: String,
    /// What the chart shows (its text alternative adds each curve's label and point count).
    pub description: String,
    /// The x axis' name.
    pub x_label: String,
    /// The y axis' name.
    pub y_label: String,
    /// The curves (at most 8 get distinct colours; more reuse them).
    pub curves: Vec<Curve>,
}

impl CurveChart {
    /// The chart as standalone SVG.
    pub fn svg(&self) -> String {
        let id = super::clean_id(&self.id);
        let (w, h) = (LEFT + SIZE + 20.0 + LEGEND, TOP + SIZE + 46.0);
        let desc = format!(
            "{} Curves: {}.",
            self.description,
            self.curves
                .iter()
                .map(|c| format!("{} ({} points)", c.label, c.points.len()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut s = open_svg(&id, w, h, &self.title, &desc);
        let x = |v: f64| LEFT + v.clamp(0.0, 1.0) * SIZE;
        let y = |v: f64| TOP + (1.0 - v.clamp(0.0, 1.0)) * SIZE;
        let _ = write!(
            s,
            "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/><text x=\"4\" y=\"17\" font-size=\"14\" font-weight=\"600\" fill=\"#111\">{}</text>",
            px(w),
            px(h),
            esc(&self.title)
        );
        s.push_str("<g class=\"axis\" aria-hidden=\"true\">");
        for k in 0..=5 {
            let v = f64::from(k) / 5.0;
            let _ = write!(
                s,
                "<line x1=\"{a}\" x2=\"{a}\" y1=\"{t}\" y2=\"{b}\" stroke=\"#e3e3e3\"/><line x1=\"{l}\" x2=\"{r}\" y1=\"{c}\" y2=\"{c}\" stroke=\"#e3e3e3\"/>\
                 <text x=\"{a}\" y=\"{ty}\" text-anchor=\"middle\" fill=\"#444\" font-size=\"11\">{v}</text>\
                 <text x=\"{tx}\" y=\"{cy}\" text-anchor=\"end\" fill=\"#444\" font-size=\"11\">{v}</text>",
                a = px(x(v)),
                t = px(TOP),
                b = px(TOP + SIZE),
                l = px(LEFT),
                r = px(LEFT + SIZE),
                c = px(y(v)),
                ty = px(TOP + SIZE + 14.0),
                tx = px(LEFT - 4.0),
                cy = px(y(v) + 4.0),
                v = v
            );
        }
        let _ = write!(
            s,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\" font-size=\"11\">{}</text>\
             <text transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\" font-size=\"11\">{}</text></g>",
            px(x(0.0)),
            px(y(0.0)),
            px(x(1.0)),
            px(y(1.0)),
            px(LEFT + SIZE / 2.0),
            px(TOP + SIZE + 32.0),
            esc(&self.x_label),
            px(TOP + SIZE / 2.0),
            esc(&self.y_label)
        );
        for (i, c) in self.curves.iter().enumerate() {
            let colour = OKABE_ITO[(i + 5) % OKABE_ITO.len()];
            let points: String = c
                .points
                .iter()
                .map(|(a, b)| format!("{},{}", px(x(*a)), px(y(*b))))
                .collect::<Vec<_>>()
                .join(" ");
            let _ = write!(
                s,
                "<polyline points=\"{points}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polyline>\
                 <line x1=\"{lx}\" x2=\"{lx2}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"3\"/>\
                 <text x=\"{tx}\" y=\"{ty}\" fill=\"#222\" font-size=\"11\">{}</text>",
                esc(&c.label),
                esc(&super::shorten(&c.label, 36)),
                lx = px(LEFT + SIZE + 20.0),
                lx2 = px(LEFT + SIZE + 38.0),
                ly = px(TOP + 8.0 + 16.0 * i as f64),
                tx = px(LEFT + SIZE + 44.0),
                ty = px(TOP + 12.0 + 16.0 * i as f64)
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_curve_with_escaped_labels_and_a_text_alternative() {
        let c = CurveChart {
            id: "roc race".into(),
            title: "ROC by race".into(),
            description: "True against false positive rate.".into(),
            x_label: "False positive rate".into(),
            y_label: "True positive rate".into(),
            curves: vec![
                Curve {
                    label: "a<script>".into(),
                    points: vec![(0.0, 0.0), (0.2, 0.7), (1.0, 1.0)],
                },
                Curve {
                    label: "b & c".into(),
                    points: vec![(0.0, 0.0), (1.0, 1.0)],
                },
            ],
        };
        let svg = c.svg();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("role=\"img\"") && svg.contains("<desc"));
        assert!(
            !svg.contains("<script>")
                && svg.contains("a&lt;script&gt;")
                && svg.contains("b &amp; c")
        );
        assert!(svg.contains("a&lt;script&gt; (3 points)"));
        // (0.2, 0.7) lands at x = 46 + 0.2·300, y = 30 + 0.3·300
        assert!(svg.contains("106,120"));
    }
}
