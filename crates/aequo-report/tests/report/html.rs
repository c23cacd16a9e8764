//! The HTML page: outline snapshots, escaping, self-containment and size.

use aequo_report::{html, HtmlOptions};

use crate::fixtures::{hostile, synthetic, HOSTILE_LEVELS};
use crate::outline::outline;

#[test]
fn synthetic_html_outline() {
    let page = html(synthetic(), &HtmlOptions::default());
    insta::assert_snapshot!("synthetic_html_outline", outline(&page));
}

#[test]
fn hostile_html_outline_and_escaping() {
    let page = html(&hostile(), &HtmlOptions::default());
    // Our own script is the only one; the names appear only escaped.
    assert_eq!(page.matches("<script").count(), 1);
    assert_eq!(page.matches("<img").count(), 0);
    assert!(page.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;"));
    assert!(page.contains("A &amp; B"));
    assert!(!page.contains("A & B"));
    for level in HOSTILE_LEVELS {
        assert!(!page.contains(level), "{level} appears unescaped");
    }
    insta::assert_snapshot!("hostile_html_outline", outline(&page));
}

#[test]
fn page_is_self_contained() {
    let page = html(synthetic(), &HtmlOptions::default());
    // The only URL is the SVG namespace, which is a name, not a fetch.
    let without_ns = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in [
        "http://", "https://", "src=", "@import", "url(http", "<link", "<iframe",
    ] {
        assert!(!without_ns.contains(needle), "the page contains {needle}");
    }
    assert!(
        page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
}

#[test]
fn forty_cell_audit_stays_under_two_megabytes() {
    let r = synthetic();
    let cells = r.grouping(&["sex", "race", "age_band"]).unwrap();
    assert_eq!(cells.groups.len(), 40);
    let page = html(r, &HtmlOptions::default());
    assert!(page.len() < 2 * 1024 * 1024, "{} bytes", page.len());
    eprintln!("synthetic report: {} bytes", page.len());
}

#[test]
fn every_chart_has_a_text_alternative_and_a_data_table() {
    let page = html(synthetic(), &HtmlOptions::default());
    let svgs = page.matches("<svg ").count();
    assert_eq!(
        svgs,
        7 * 6 + 4 * 3,
        "bar charts for 7 groupings × 6 metrics, heat maps for 4 × 3"
    );
    assert_eq!(page.matches("role=\"img\"").count(), svgs);
    assert_eq!(page.matches("<desc id=").count(), svgs);
    assert_eq!(page.matches("<table class=\"chart-data\">").count(), svgs);
    assert_eq!(page.matches("aria-describedby=").count(), svgs);
}
