//! The parallel Parquet scan against the sequential CSV scan of the same rows: the same tensor
//! and tallies for any number of threads, the same first error, and honest progress.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aequo_data::{
    scan, scan_with, DataError, ExtraColumn, OnMissing, Prediction, Progress, ProgressUnit,
    ScanOptions, ScanSpec,
};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};

/// One synthetic row; `None` is a missing value.
#[derive(Clone)]
struct Row {
    sex: Option<&'static str>,
    race: Option<&'static str>,
    age: i64,
    y: Option<i64>,
    p: bool,
    score: f64,
    w: f64,
}

/// A small deterministic generator (SplitMix64), so the data need no external crate.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn rows(n: usize, integer_weights: bool) -> Vec<Row> {
    let mut r = Mix(7);
    let sexes = [Some("female"), Some("male"), Some(" male "), None, Some("")];
    let races = [Some("a"), Some("b"), Some("c"), Some("NA"), None];
    (0..n)
        .map(|_| {
            let sex = sexes[[0, 0, 1, 1, 2, 3, 4][r.below(7) as usize]];
            let race = races[r.below(5) as usize];
            let score = r.below(1000) as f64 / 1000.0;
            Row {
                sex,
                race,
                age: 18 + r.below(70) as i64,
                y: Some(i64::from(r.below(3) == 0)),
                p: score >= 0.6,
                score,
                w: if integer_weights {
                    1.0 + r.below(3) as f64
                } else {
                    0.1 + r.below(1000) as f64 / 337.0
                },
            }
        })
        .collect()
}

fn write_csv(rows: &[Row], path: &Path) {
    let mut s = String::from("sex,race,age,y,p,score,w\n");
    for r in rows {
        s += &format!(
            "{},{},{},{},{},{},{}\n",
            r.sex.unwrap_or(""),
            r.race.unwrap_or(""),
            r.age,
            r.y.map_or(String::new(), |y| y.to_string()),
            r.p,
            r.score,
            r.w
        );
    }
    std::fs::write(path, s).unwrap();
}

/// Parquet with small row groups, so that even a small file has many parts.
fn write_parquet(rows: &[Row], path: &Path, row_group: usize) {
    let batch = RecordBatch::try_from_iter(vec![
        (
            "sex",
            Arc::new(rows.iter().map(|r| r.sex).collect::<StringArray>()) as ArrayRef,
        ),
        (
            "race",
            Arc::new(rows.iter().map(|r| r.race).collect::<StringArray>()),
        ),
        (
            "age",
            Arc::new(rows.iter().map(|r| r.age).collect::<Int64Array>()),
        ),
        (
            "y",
            Arc::new(rows.iter().map(|r| r.y).collect::<Int64Array>()),
        ),
        (
            "p",
            Arc::new(rows.iter().map(|r| Some(r.p)).collect::<BooleanArray>()),
        ),
        (
            "score",
            Arc::new(rows.iter().map(|r| r.score).collect::<Float64Array>()),
        ),
        (
            "w",
            Arc::new(rows.iter().map(|r| r.w).collect::<Float64Array>()),
        ),
    ])
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(row_group))
        .build();
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn files(rows: &[Row], dir: &Path) -> (PathBuf, PathBuf) {
    let (csv, pq) = (dir.join("t.csv"), dir.join("t.parquet"));
    write_csv(rows, &csv);
    write_parquet(rows, &pq, 997);
    (csv, pq)
}

fn spec() -> ScanSpec {
    let mut s = ScanSpec::new(
        "y",
        Prediction::Score {
            column: "score".into(),
            threshold: 0.6,
        },
        vec!["sex".into(), "race".into()],
    );
    s.weight = Some("w".into());
    s.score_bins = Some(vec![0.25, 0.5, 0.75]);
    s.na_values = vec!["NA".into()];
    s.batch_size = 700;
    s
}

fn with_threads(
    path: &Path,
    spec: &ScanSpec,
    threads: usize,
) -> Result<aequo_data::Scan, DataError> {
    scan_with(
        path,
        spec,
        &ScanOptions {
            threads,
            progress: None,
        },
    )
}

#[test]
fn parallel_parquet_equals_sequential_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, pq) = files(&rows(20_000, true), dir.path());
    let mut sp = spec();
    sp.extra = vec![ExtraColumn {
        name: "age".into(),
        bins: None,
    }];
    let base = scan(&csv, &sp).unwrap();
    for threads in [1, 2, 3, 8] {
        let s = with_threads(&pq, &sp, threads).unwrap();
        // Integer weights: every sum is exact, so the tensors are identical.
        assert_eq!(s.tensor, base.tensor, "{threads} threads");
        assert_eq!(s.summary.rows_read, 20_000);
        assert_eq!(s.summary.rows_used, base.summary.rows_used);
        assert_eq!(s.summary.missing_sensitive, base.summary.missing_sensitive);
        assert_eq!(s.score_range, base.score_range);
    }
    // " male " is trimmed to "male"; "" and NA are missing.
    let sex = &base.tensor.attributes()[0];
    assert_eq!(
        sex.levels.len(),
        3,
        "female, male, missing: {:?}",
        sex.levels
    );
    assert!(base.summary.missing_sensitive["sex"] > 0);
}

#[test]
fn weighted_sums_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, pq) = files(&rows(12_000, false), dir.path());
    let one = with_threads(&pq, &spec(), 1).unwrap();
    for threads in [2, 5] {
        // Bit for bit: parts are merged in file order.
        assert_eq!(
            with_threads(&pq, &spec(), threads).unwrap().tensor,
            one.tensor
        );
    }
    // Against the row-by-row sums of the CSV scan: equal up to rounding.
    let csv = scan(&csv, &spec()).unwrap().tensor;
    for c in csv.cells() {
        assert_eq!(csv.counts(c), one.tensor.counts(c));
        let (a, b) = (
            csv.confusion_weighted(c).unwrap(),
            one.tensor.confusion_weighted(c).unwrap(),
        );
        for (x, y) in [(a.tp, b.tp), (a.fp, b.fp), (a.fn_, b.fn_), (a.tn, b.tn)] {
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{x} vs {y}");
        }
    }
}

#[test]
fn binned_discovery_columns_get_the_same_edges() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, pq) = files(&rows(9_000, true), dir.path());
    let mut sp = spec();
    sp.extra = vec![ExtraColumn {
        name: "age".into(),
        bins: Some(4),
    }];
    let base = scan(&csv, &sp).unwrap();
    let par = with_threads(&pq, &sp, 2).unwrap();
    assert_eq!(par.tensor, base.tensor);
    // Four quantile bins and the explicit missing level.
    assert_eq!(
        par.tensor.attributes()[2].levels.len(),
        5,
        "{:?}",
        par.tensor.attributes()[2].levels
    );
}

#[test]
fn the_first_error_is_reported_as_a_sequential_reader_would() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = rows(15_000, true);
    // A missing label in row group 9 and another in row group 13.
    data[9_100].y = None;
    data[13_500].y = None;
    let (csv, pq) = files(&data, dir.path());
    let expected = scan(&csv, &spec()).unwrap_err().to_string();
    assert!(expected.contains("row 9101, column 'y'"), "{expected}");
    for threads in [1, 2, 4] {
        let e = with_threads(&pq, &spec(), threads).unwrap_err().to_string();
        assert!(e.contains("row 9101, column 'y': value is missing"), "{e}");
    }
    // Dropping them: the same tallies as the sequential scan.
    let mut sp = spec();
    sp.on_missing = OnMissing::Drop;
    let (a, b) = (scan(&csv, &sp).unwrap(), with_threads(&pq, &sp, 3).unwrap());
    assert_eq!(a.tensor, b.tensor);
    assert_eq!(a.summary.dropped, b.summary.dropped);
    assert_eq!(b.summary.rows_used, 14_998);
}

#[test]
fn a_third_label_value_in_another_row_group_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = rows(8_000, true);
    // Labels 1/0 with --pos-label 1: the negative class is 0; a 2 appears in row group 6 only.
    data[6_500].y = Some(2);
    let (csv, pq) = files(&data, dir.path());
    let mut sp = spec();
    sp.pos_label = Some("1".into());
    let seq = scan(&csv, &sp).unwrap_err().to_string();
    assert!(seq.contains("row 6501, column 'y'"), "{seq}");
    for threads in [1, 3] {
        let e = with_threads(&pq, &sp, threads).unwrap_err().to_string();
        assert!(
            e.contains(
                "row 6501, column 'y': the label has more than two distinct values (1, 0, 2)"
            ),
            "{e}"
        );
    }
}

struct Tally {
    total: AtomicU64,
    done: AtomicU64,
    rows: std::sync::Mutex<Option<ProgressUnit>>,
}

impl Progress for Tally {
    fn start(&self, total: u64, unit: ProgressUnit) {
        self.total.store(total, Ordering::SeqCst);
        *self.rows.lock().unwrap() = Some(unit);
    }
    fn advance(&self, done: u64) {
        self.done.fetch_add(done, Ordering::SeqCst);
    }
}

#[test]
fn progress_adds_up_to_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, pq) = files(&rows(5_000, true), dir.path());
    for (path, unit) in [(&pq, ProgressUnit::Rows), (&csv, ProgressUnit::Bytes)] {
        let t = Tally {
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            rows: std::sync::Mutex::new(None),
        };
        scan_with(
            path,
            &spec(),
            &ScanOptions {
                threads: 2,
                progress: Some(&t),
            },
        )
        .unwrap();
        assert_eq!(*t.rows.lock().unwrap(), Some(unit));
        let total = t.total.load(Ordering::SeqCst);
        assert!(total > 0);
        assert_eq!(t.done.load(Ordering::SeqCst), total, "{path:?}");
    }
}

#[test]
fn a_level_seen_only_in_dropped_rows_is_not_a_level() {
    // "other" is in row group 9's dictionary, but its only row has no label and is dropped:
    // whole dictionaries are registered at once, and uncounted levels must not survive.
    let dir = tempfile::tempdir().unwrap();
    let mut data = rows(12_000, true);
    data[9_100].sex = Some("other");
    data[9_100].y = None;
    let (csv, pq) = files(&data, dir.path());
    let mut sp = spec();
    sp.on_missing = OnMissing::Drop;
    let (a, b) = (scan(&csv, &sp).unwrap(), with_threads(&pq, &sp, 2).unwrap());
    assert_eq!(a.tensor, b.tensor);
    let sex = &b.tensor.attributes()[0];
    assert!(
        !sex.levels.iter().any(|l| l.as_str() == Some("other")),
        "{:?}",
        sex.levels
    );
}

#[test]
fn dictionary_columns_without_missing_values_count_the_same() {
    // No missing sensitive value: the Parquet scan takes the fused one-pass loop (dictionary
    // entries × strides), the CSV scan the column-wise one.
    let dir = tempfile::tempdir().unwrap();
    let mut data = rows(10_000, true);
    for (i, r) in data.iter_mut().enumerate() {
        r.sex = Some(if i % 3 == 0 { "female" } else { " male " });
        r.race = Some(["a", "b", "c"][(i / 7) % 3]);
    }
    let (csv, pq) = files(&data, dir.path());
    let base = scan(&csv, &spec()).unwrap();
    for threads in [1, 3] {
        let s = with_threads(&pq, &spec(), threads).unwrap();
        assert_eq!(s.tensor, base.tensor);
        assert_eq!(s.score_range, base.score_range);
    }
    assert_eq!(base.tensor.total_rows(), 10_000);
    assert_eq!(base.summary.missing_sensitive["race"], 0);
    // Unweighted, with a prediction column: the counting loop without weights or scores.
    let mut sp = spec();
    sp.weight = None;
    sp.score_bins = None;
    sp.prediction = Prediction::Column("p".into());
    let base = scan(&csv, &sp).unwrap();
    assert!(!base.tensor.is_weighted());
    assert_eq!(with_threads(&pq, &sp, 2).unwrap().tensor, base.tensor);
}

/// The usual file of all — 0/1 integer label and prediction, text attributes without missing
/// values — is counted in one fused pass (per number of attributes, up to four; more take the
/// general path). Each must give the CSV scan's tensor.
#[test]
fn zero_one_integers_with_dictionary_attributes_equal_the_csv_scan() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Mix(11);
    let n = 9_000;
    // a6's 300 levels take the pass past its fixed-size tables (256 keys, 1024 slots).
    let names = ["a1", "a2", "a3", "a4", "a5", "a6"];
    let levels = [3u64, 5, 2, 4, 3, 300];
    let cols: Vec<Vec<String>> = levels
        .iter()
        .map(|&k| (0..n).map(|_| format!("v{}", r.below(k))).collect())
        .collect();
    let y: Vec<i64> = (0..n).map(|_| (r.below(3) == 0) as i64).collect();
    let p: Vec<i64> = (0..n).map(|_| (r.below(2) == 0) as i64).collect();
    let mut csv = names.join(",") + ",y,p\n";
    for i in 0..n {
        for c in &cols {
            csv += &c[i];
            csv.push(',');
        }
        csv += &format!("{},{}\n", y[i], p[i]);
    }
    let csv_path = dir.path().join("z.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let mut fields: Vec<(&str, ArrayRef)> = names
        .iter()
        .zip(&cols)
        .map(|(n, c)| (*n, Arc::new(StringArray::from(c.clone())) as ArrayRef))
        .collect();
    fields.push(("y", Arc::new(Int64Array::from(y.clone()))));
    fields.push(("p", Arc::new(Int64Array::from(p.clone()))));
    let batch = RecordBatch::try_from_iter(fields).unwrap();
    let pq = dir.path().join("z.parquet");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(1000))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&pq).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let mut chosen: Vec<Vec<&str>> = (1..=5).map(|k| names[..k].to_vec()).collect();
    chosen.push(vec!["a6", "a2"]);
    for attributes in chosen {
        let k = attributes.len();
        let sp = ScanSpec::new(
            "y",
            Prediction::Column("p".into()),
            attributes.iter().map(|s| s.to_string()).collect(),
        );
        let base = scan(&csv_path, &sp).unwrap();
        let total: u64 = base
            .tensor
            .cells()
            .map(|c| base.tensor.counts(c).iter().sum::<u64>())
            .sum();
        assert_eq!(total, n as u64);
        for threads in [1, 3] {
            let s = with_threads(&pq, &sp, threads).unwrap();
            assert_eq!(s.tensor, base.tensor, "{k} attributes, {threads} threads");
            assert_eq!(s.summary.rows_used, n as u64);
        }
    }
}
