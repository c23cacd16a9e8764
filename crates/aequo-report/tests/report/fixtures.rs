//! Audit results to render.

use std::sync::OnceLock;

use aequo_core::audit::{Dropped, InputSummary, Rule};
use aequo_core::counts::TensorBuilder;
use aequo_core::{audit, AuditOptions, AuditResult};
use aequo_data::synth;
use aequo_data::{scan, Prediction, ScanSpec};

/// Rows of the synthetic audit: few enough that some of its 40 intersectional cells fall below
/// 30 rows, so small cells are exercised.
pub const SYNTH_ROWS: u64 = 4_000;

/// The synthetic lending data (sex × race × age band = 2 × 5 × 4 = 40 cells, planted bias
/// against women, Black and Hispanic applicants, and their intersection), written as Parquet,
/// scanned and audited with reference levels and the four-fifths rule.
pub fn synthetic() -> &'static AuditResult {
    static R: OnceLock<AuditResult> = OnceLock::new();
    R.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("synthetic-lending.parquet");
        synth::write(&path, SYNTH_ROWS, 7, |_| {}).expect("synthetic data is written");
        let spec = ScanSpec::new(
            "repaid",
            Prediction::Column("approved".into()),
            vec!["sex".into(), "race".into(), "age_band".into()],
        );
        let s = scan(&path, &spec).expect("synthetic data scans");
        // The temporary path would make snapshots differ run to run.
        let input = InputSummary {
            source: "synthetic-lending.parquet".into(),
            ..s.summary
        };
        let opts = AuditOptions {
            reference: vec![
                ("sex".into(), "male".into()),
                ("race".into(), "White".into()),
            ],
            rules: vec![Rule::FourFifths],
            ..AuditOptions::default()
        };
        audit(&s.tensor, input, &opts).expect("the synthetic audit runs")
    })
}

/// Level and attribute names that are markup, with an undefined rate and a missing level.
pub const HOSTILE_LEVELS: [&str; 3] = [
    "<script>window.__pwned=1</script>",
    "A & B",
    "\"><img src=x onerror=\"window.__pwned=2\">",
];

/// A small result whose names try to break out of HTML and Markdown.
pub fn hostile() -> AuditResult {
    let mut b = TensorBuilder::new(vec!["grp <b>".into(), "a|b & c".into()], false, None)
        .expect("distinct attribute names");
    // (first attribute, second attribute, label, prediction, rows)
    type Rows<'a> = (Option<&'a str>, Option<&'a str>, bool, bool, usize);
    let rows: &[Rows<'_>] = &[
        (Some(HOSTILE_LEVELS[0]), Some("x*y_z"), true, true, 30),
        (Some(HOSTILE_LEVELS[0]), Some("x*y_z"), false, false, 25),
        (
            Some(HOSTILE_LEVELS[0]),
            Some("[link](http://e.invalid)"),
            true,
            false,
            9,
        ),
        (
            Some(HOSTILE_LEVELS[0]),
            Some("[link](http://e.invalid)"),
            false,
            true,
            6,
        ),
        (Some(HOSTILE_LEVELS[1]), Some("x*y_z"), true, true, 20),
        (Some(HOSTILE_LEVELS[1]), Some("x*y_z"), false, true, 20),
        // no actual positives: the true positive rate is undefined for this cell
        (
            Some(HOSTILE_LEVELS[2]),
            Some("[link](http://e.invalid)"),
            false,
            false,
            12,
        ),
        (None, Some("x*y_z"), true, false, 3),
    ];
    for &(a, c, y, p, n) in rows {
        let codes = [b.code(0, a).unwrap(), b.code(1, c).unwrap()];
        for _ in 0..n {
            b.add(&codes, y, p, None);
        }
    }
    let t = b.finish().expect("a tensor");
    let input = InputSummary {
        source: "data/<evil> & `co`.csv".into(),
        format: "csv".into(),
        label: "y".into(),
        prediction: "ŷ".into(),
        weight: None,
        rows_read: 130,
        rows_used: 125,
        dropped: vec![Dropped {
            reason: "label missing <null>".into(),
            rows: 5,
        }],
        missing_sensitive: [("grp <b>".to_owned(), 3)].into_iter().collect(),
        warnings: vec!["column 'ŷ' read as <bool>".into()],
    };
    audit(&t, input, &AuditOptions::default()).expect("the hostile audit runs")
}
