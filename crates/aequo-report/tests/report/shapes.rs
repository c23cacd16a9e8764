//! Results of other shapes than the synthetic audit: read back from JSON (`aequo report
//! RESULT.json`), weighted (no intervals), a single attribute (no intersections), a metric
//! undefined on a group.

use aequo_core::audit::InputSummary;
use aequo_core::counts::TensorBuilder;
use aequo_core::{audit, AuditOptions, AuditResult};
use aequo_report::{html, json, markdown, HtmlOptions, MarkdownOptions};

use crate::fixtures::synthetic;
use crate::outline::outline;

#[test]
fn a_result_read_back_from_json_renders_the_same() {
    let r = synthetic();
    let back: AuditResult = serde_json::from_str(&json(r)).unwrap();
    assert_eq!(
        html(&back, &HtmlOptions::default()),
        html(r, &HtmlOptions::default())
    );
    assert_eq!(
        markdown(&back, &MarkdownOptions::default()),
        markdown(r, &MarkdownOptions::default())
    );
}

/// One attribute, weighted rows, a group with no actual positives.
fn weighted_single() -> AuditResult {
    let mut b = TensorBuilder::new(vec!["region".into()], true, None).unwrap();
    let rows: &[(&str, bool, bool, f64, usize)] = &[
        ("north", true, true, 2.0, 40),
        ("north", false, false, 1.0, 40),
        ("north", false, true, 0.5, 10),
        ("south", false, false, 1.5, 20),
        ("south", false, true, 1.0, 5),
    ];
    for &(level, y, p, w, n) in rows {
        let c = [b.code(0, Some(level)).unwrap()];
        for _ in 0..n {
            b.add(&c, y, p, Some(w));
        }
    }
    audit(
        &b.finish().unwrap(),
        InputSummary::default(),
        &AuditOptions {
            // The path without intervals: weighted rates with the bootstrap off.
            bootstrap: None,
            ..AuditOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn weighted_single_attribute_result() {
    let r = weighted_single();
    assert!(r.weighted);
    let page = html(&r, &HtmlOptions::default());
    // No intersections, so no heat maps and no intersection section.
    assert!(!page.contains("id=\"intersections\""));
    assert_eq!(page.matches("<svg ").count(), 6);
    // Weighted rates carry no intervals: no whiskers, and the summary says why.
    assert!(!page.contains("stroke-width=\"1.3\" fill=\"none\""));
    assert!(page.contains("no intervals are computed for weighted rates"));
    // south has no actual positives: its true positive rate is undefined, drawn as a note.
    assert!(page.contains("undefined (0/0)"), "{page}");
    insta::assert_snapshot!("weighted_single_html_outline", outline(&page));
    let md = markdown(&r, &MarkdownOptions::default()).markdown;
    insta::assert_snapshot!("weighted_single_md", md);
}
