//! Reading every format into the same tensor, and every class of bad input into a clear error.

use std::io::Write;
use std::path::{Path, PathBuf};

use aequo_core::audit::{audit, AuditOptions};
use aequo_core::{GroupKey, Level, Metric};
use aequo_data::{scan, DataError, Format, OnMissing, Prediction, ScanSpec};

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        p
    }
}

const CSV: &str = "id,sex,race,y,p,score,w\n\
1,f,a,1,1,0.9,1.5\n\
2,f,a,1,0,0.2,1\n\
3,f,,0,0,0.1,2\n\
4,m,b,1,1,0.8,1\n\
5,m,b,0,1,0.7,0.5\n\
6,m,a,0,0,0.4,1\n\
7,x,b,0,1,0.6,1\n";

fn spec() -> ScanSpec {
    let mut s = ScanSpec::new(
        "y",
        Prediction::Column("p".into()),
        vec!["sex".into(), "race".into()],
    );
    s.batch_size = 3; // several batches even for tiny files
    s
}

fn err(path: &Path, spec: &ScanSpec) -> String {
    let e: DataError = scan(path, spec).unwrap_err();
    e.to_string()
}

/// Writes the CSV's rows in another format through arrow, with native types.
fn convert(csv: &Path, out: &Path, format: Format) {
    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let text = std::fs::read_to_string(csv).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let s = |i: usize| -> ArrayRef {
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| (!r[i].is_empty()).then_some(r[i]))
                .collect::<Vec<_>>(),
        ))
    };
    let int = |i: usize| -> ArrayRef {
        Arc::new(Int64Array::from(
            rows.iter()
                .map(|r| r[i].parse::<i64>().unwrap())
                .collect::<Vec<_>>(),
        ))
    };
    let float = |i: usize| -> ArrayRef {
        Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| r[i].parse::<f64>().unwrap())
                .collect::<Vec<_>>(),
        ))
    };
    let batch = RecordBatch::try_from_iter(vec![
        ("id", int(0)),
        ("sex", s(1)),
        ("race", s(2)),
        ("y", int(3)),
        ("p", int(4)),
        ("score", float(5)),
        ("w", float(6)),
    ])
    .unwrap();
    let f = std::fs::File::create(out).unwrap();
    match format {
        Format::Parquet => {
            let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
        }
        Format::Arrow => {
            let mut w = arrow_ipc::writer::FileWriter::try_new(f, &batch.schema()).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
        Format::Ndjson => {
            let mut w = arrow_json::LineDelimitedWriter::new(f);
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
        _ => unreachable!(),
    }
}

#[test]
fn every_format_gives_the_same_tensor() {
    let d = Dir::new();
    let csv = d.file("t.csv", CSV);
    let base = scan(&csv, &spec()).unwrap();
    assert_eq!(base.summary.rows_read, 7);
    assert_eq!(base.summary.missing_sensitive["race"], 1);
    let tsv = d.file("t.tsv", &CSV.replace(',', "\t"));
    assert_eq!(scan(&tsv, &spec()).unwrap().tensor, base.tensor);
    for (name, format) in [
        ("t.parquet", Format::Parquet),
        ("t.arrow", Format::Arrow),
        ("t.ndjson", Format::Ndjson),
    ] {
        let out = d.0.path().join(name);
        convert(&csv, &out, format);
        let s = scan(&out, &spec()).unwrap();
        assert_eq!(s.tensor, base.tensor, "{name}");
        assert_eq!(s.summary.rows_used, 7, "{name}");
    }
}

#[test]
fn counts_are_right_by_hand() {
    let d = Dir::new();
    let s = scan(&d.file("t.csv", CSV), &spec()).unwrap();
    let t = &s.tensor;
    let lv = |x: &str| Level::Value(x.into());
    assert_eq!(
        t.attributes()[0].levels,
        vec![lv("f"), lv("m"), lv("x"), Level::Missing]
    );
    // f × a: (1,1) and (1,0) → tp 1, fn 1
    assert_eq!(t.counts(t.cell(&[0, 0])), [0, 0, 1, 1]);
    // f × missing race: (0,0) → tn
    assert_eq!(t.counts(t.cell(&[0, 2])), [1, 0, 0, 0]);
    let r = audit(t, s.summary.clone(), &AuditOptions::default()).unwrap();
    let sex = r.grouping(&["sex"]).unwrap();
    let m = sex
        .groups
        .iter()
        .find(|g| g.key == GroupKey(vec![lv("m")]))
        .unwrap();
    assert_eq!(
        m.metric(Metric::SelectionRate).unwrap().value.get(),
        Some(2.0 / 3.0)
    );
}

#[test]
fn score_threshold_and_weights() {
    let d = Dir::new();
    let mut sp = spec();
    sp.prediction = Prediction::Score {
        column: "score".into(),
        threshold: 0.5,
    };
    sp.weight = Some("w".into());
    sp.score_bins = Some(vec![0.25, 0.5, 0.75]);
    let s = scan(&d.file("t.csv", CSV), &sp).unwrap();
    assert!(s.tensor.is_weighted());
    // scores >= 0.5 are rows 1,4,5,7 — the same as column p
    let base = scan(&d.file("u.csv", CSV), &spec()).unwrap();
    let t = &s.tensor;
    for c in t.cells() {
        assert_eq!(t.counts(c), base.tensor.counts(c));
    }
    let fa = t.cell(&[0, 0]);
    assert_eq!(t.confusion_weighted(fa).unwrap().tp, 1.5);
    assert_eq!(s.summary.prediction, "score >= 0.5");
    assert!(t.scores().is_some());
}

#[test]
fn string_labels_with_pos_label() {
    let d = Dir::new();
    let f = d.file(
        "s.csv",
        "g,y,p\na,good,good\na,bad,good\nb,bad,bad\nb,good,bad\n",
    );
    let mut sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["g".into()]);
    sp.pos_label = Some("good".into());
    let s = scan(&f, &sp).unwrap();
    let t = &s.tensor;
    assert_eq!(t.counts(t.cell(&[0])), [0, 1, 0, 1]);
    assert_eq!(t.counts(t.cell(&[1])), [1, 0, 1, 0]);
    // without it, the error says what to do
    let sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["g".into()]);
    let e = err(&f, &sp);
    assert!(
        e.contains("row 1, column 'y'") && e.contains("--pos-label"),
        "{e}"
    );
}

#[test]
fn missing_file() {
    let e = err(Path::new("/nonexistent/x.csv"), &spec());
    assert!(e.contains("cannot read /nonexistent/x.csv"), "{e}");
}

#[test]
fn unknown_format() {
    let d = Dir::new();
    let e = err(&d.file("t.xyz", CSV), &spec());
    assert!(e.contains("--input-format"), "{e}");
}

#[test]
fn unknown_column_suggests_a_name() {
    let d = Dir::new();
    let mut sp = spec();
    sp.sensitive = vec!["Sex".into()];
    let e = err(&d.file("t.csv", CSV), &sp);
    assert!(
        e.contains("no column named 'Sex' (did you mean 'sex'?)"),
        "{e}"
    );
    assert!(e.contains("the columns are: id, sex, race"), "{e}");
}

#[test]
fn wrong_type_and_unparseable_value() {
    let d = Dir::new();
    let mut sp = spec();
    sp.prediction = Prediction::Score {
        column: "sex".into(),
        threshold: 0.5,
    };
    sp.sensitive = vec!["race".into()];
    let e = err(&d.file("t.csv", CSV), &sp);
    assert!(
        e.contains("row 1, column 'sex': the score is not a number (value: f)"),
        "{e}"
    );
    // a boolean column cannot be a score
    let out = d.0.path().join("b.parquet");
    {
        use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let batch = RecordBatch::try_from_iter(vec![
            ("g", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
            ("y", Arc::new(Int64Array::from(vec![0, 1])) as ArrayRef),
            (
                "s",
                Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
            ),
        ])
        .unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(&out).unwrap(),
            batch.schema(),
            None,
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }
    let sp = ScanSpec::new(
        "y",
        Prediction::Score {
            column: "s".into(),
            threshold: 0.5,
        },
        vec!["g".into()],
    );
    let e = err(&out, &sp);
    assert!(
        e.contains("column 's' has type Boolean, which cannot be used as score"),
        "{e}"
    );
}

#[test]
fn malformed_row() {
    let d = Dir::new();
    let f = d.file("t.csv", "sex,y,p\nf,1,1\nm,0\nf,0,0\n");
    let sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["sex".into()]);
    let e = err(&f, &sp);
    assert!(
        e.contains("malformed csv input") && e.contains("t.csv"),
        "{e}"
    );
    let bad = d.file("bad.parquet", "this is not parquet");
    let e = err(&bad, &sp);
    assert!(e.contains("malformed parquet input"), "{e}");
}

#[test]
fn empty_and_header_only_files() {
    let d = Dir::new();
    let e = err(&d.file("e.csv", ""), &spec());
    assert!(e.ends_with("the file is empty"), "{e}");
    let e = err(&d.file("h.csv", "id,sex,race,y,p,score,w\n"), &spec());
    assert!(e.ends_with("the file has no data rows"), "{e}");
}

#[test]
fn label_with_three_values() {
    let d = Dir::new();
    let f = d.file("t.csv", "g,y,p\na,0,1\nb,1,0\na,2,1\n");
    let sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["g".into()]);
    let e = err(&f, &sp);
    assert!(
        e.contains("row 3, column 'y': the label must be 0/1 or true/false (value: 2)"),
        "{e}"
    );
    let f = d.file("u.csv", "g,y,p\na,yes,1\nb,no,0\na,maybe,1\n");
    let mut sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["g".into()]);
    sp.pos_label = Some("yes".into());
    sp.pred_pos_label = Some("1".into());
    let e = err(&f, &sp);
    assert!(
        e.contains(
            "row 3, column 'y': the label has more than two distinct values (yes, no, maybe)"
        ),
        "{e}"
    );
}

#[test]
fn missing_labels_error_or_drop() {
    let d = Dir::new();
    let f = d.file("t.csv", "g,y,p\na,1,1\nb,,0\na,0,\nb,1,1\n");
    let mut sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["g".into()]);
    let e = err(&f, &sp);
    assert!(
        e.contains("row 2, column 'y': value is missing; pass --on-missing drop"),
        "{e}"
    );
    sp.on_missing = OnMissing::Drop;
    let s = scan(&f, &sp).unwrap();
    assert_eq!((s.summary.rows_read, s.summary.rows_used), (4, 2));
    let dropped: u64 = s.summary.dropped.iter().map(|d| d.rows).sum();
    assert_eq!(dropped, 2);
    assert!(s
        .summary
        .dropped
        .iter()
        .any(|d| d.reason == "missing label ('y')"));
}

#[test]
fn all_rows_of_an_attribute_missing() {
    let d = Dir::new();
    let f = d.file("t.csv", "g,y,p\n,1,1\n,0,0\n");
    let sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["g".into()]);
    let s = scan(&f, &sp).unwrap();
    let e = audit(&s.tensor, s.summary, &AuditOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("sensitive attribute 'g' is missing in all 2 rows"),
        "{e}"
    );
}

#[test]
fn bad_weights_and_duplicate_roles() {
    let d = Dir::new();
    let f = d.file("t.csv", "g,y,p,w\na,1,1,1\nb,0,0,-2\n");
    let mut sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["g".into()]);
    sp.weight = Some("w".into());
    let e = err(&f, &sp);
    assert!(
        e.contains("row 2, column 'w': a weight must be finite and not negative (value: -2)"),
        "{e}"
    );
    let sp = ScanSpec::new("y", Prediction::Column("y".into()), vec!["g".into()]);
    let e = err(&f, &sp);
    assert!(
        e.contains("column 'y' is given as both label and prediction"),
        "{e}"
    );
}

#[test]
fn na_values_and_whitespace() {
    let d = Dir::new();
    let f = d.file("t.csv", "g,y,p\n a ,1,1\n?,0,0\na,0,1\n");
    let mut sp = ScanSpec::new("y", Prediction::Column("p".into()), vec!["g".into()]);
    sp.na_values = vec!["?".into()];
    let s = scan(&f, &sp).unwrap();
    assert_eq!(s.summary.missing_sensitive["g"], 1);
    assert_eq!(s.tensor.attributes()[0].levels.len(), 2); // "a" and missing
}
