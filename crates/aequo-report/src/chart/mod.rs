//! Small SVG chart components, one per kind of chart: [`BarChart`] (a value per group with
//! interval whiskers and an overall line), [`CurveChart`] (ROC and reliability curves by group)
//! and [`HeatMap`] (an intersection's cells coloured by
//! distance from the overall value, small cells hatched).
//!
//! Each component is plain data in, SVG text out, with no dependency on the report around it:
//! the HTML report inlines them, the Markdown report writes them as files, and a web UI can
//! reuse them. Every chart carries its own text alternative: `role="img"`, an `aria-label`, a
//! `<title>` and a `<desc>` that says what the chart shows and its extremes, and
//! [`BarChart::table_html`] / [`HeatMap::table_html`] give the same data as an HTML table.
//! Every piece of text is escaped: labels come from user data.
//!
//! Colours are colour-blind safe: bars and lines use the Okabe–Ito palette, and heat maps a
//! diverging orange–purple scale (ColorBrewer PuOr), which stays distinguishable under the
//! common colour-vision deficiencies and in greyscale (lightness runs monotonically from the
//! centre to both ends). Styling is done with presentation attributes rather than a stylesheet,
//! so a chart looks the same inlined in a page or opened as a standalone file.

mod bar;
mod curves;
mod heatmap;

pub use bar::{Bar, BarChart};
pub use curves::{Curve, CurveChart};
pub use heatmap::{HeatCell, HeatMap};

use crate::format::html as esc;

/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"): black, orange, sky
/// blue, bluish green, yellow, blue, vermillion, reddish purple.
pub const OKABE_ITO: [&str; 8] = [
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
];

/// The fonts charts ask for: the system UI font, then fonts present on most Linux machines.
pub(crate) const FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', 'Liberation Sans', 'DejaVu Sans', Arial, sans-serif";

/// ColorBrewer PuOr (7 classes), from orange (below) through near-white to purple (above).
const DIVERGING: [(u8, u8, u8); 7] = [
    (0xb3, 0x58, 0x06),
    (0xf1, 0xa3, 0x40),
    (0xfe, 0xe0, 0xb6),
    (0xf7, 0xf7, 0xf7),
    (0xd8, 0xda, 0xeb),
    (0x99, 0x8e, 0xc3),
    (0x54, 0x27, 0x88),
];

/// The diverging colour for a position `t` in [-1, 1] (clamped): -1 orange, 0 near-white,
/// +1 purple, interpolated linearly between the ColorBrewer stops.
pub fn diverging(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let x = (t + 1.0) / 2.0 * (DIVERGING.len() - 1) as f64;
    let i = (x.floor() as usize).min(DIVERGING.len() - 2);
    let f = x - i as f64;
    let (a, b) = (DIVERGING[i], DIVERGING[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// Whether text on the diverging colour at `t` should be white for contrast. The orange end
/// stays light enough for black text (contrast ≥ 4.4:1 even at #b35806) almost to its end; the
/// purple end turns dark sooner.
pub(crate) fn dark_at(t: f64) -> bool {
    t.is_finite() && !(-0.95..=0.75).contains(&t)
}

/// An id usable in SVG and HTML (`[a-z0-9_-]`, starting with a letter).
pub(crate) fn clean_id(id: &str) -> String {
    let s = crate::format::slug(id);
    if s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s
    } else {
        format!("c{s}")
    }
}

/// The opening `<svg>` tag with the text alternative, `<title>` and `<desc>`.
pub(crate) fn open_svg(id: &str, width: f64, height: f64, title: &str, desc: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" class=\"chart\" role=\"img\" \
         viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         aria-label=\"{t}\" aria-describedby=\"{id}-desc\" font-family=\"{FONT}\" font-size=\"12\">\
         <title id=\"{id}-title\">{t}</title><desc id=\"{id}-desc\">{d}</desc>",
        t = esc(title),
        d = esc(desc),
    )
}

/// A diagonal-hatch pattern definition with the given id, drawn over a fill.
pub(crate) fn hatch_pattern(id: &str, colour: &str) -> String {
    format!(
        "<pattern id=\"{id}\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"none\"/>\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"{colour}\" stroke-width=\"2\"/></pattern>"
    )
}

/// A label shortened to `max` characters with an ellipsis (the full text stays in the
/// element's `<title>` and in the data table).
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A coordinate with at most one decimal, to keep the SVG small.
pub(crate) fn px(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_scale_ends_and_centre() {
        assert_eq!(diverging(-1.0), "#b35806");
        assert_eq!(diverging(0.0), "#f7f7f7");
        assert_eq!(diverging(1.0), "#542788");
        assert_eq!(diverging(5.0), "#542788");
        assert_eq!(diverging(f64::NAN), "#f7f7f7");
    }

    #[test]
    fn ids_and_labels() {
        assert_eq!(clean_id("1 <x>"), "c1__x_");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
        assert_eq!(px(1.26), "1.3");
        assert_eq!(px(2.0), "2");
    }
}
