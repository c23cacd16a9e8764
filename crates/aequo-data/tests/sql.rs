//! The SQL path (DataFusion, and Ballista's standalone cluster) counts the same tensor as the
//! embedded scan of the same rows — DESIGN principle 6 — and fails where it fails.
#![cfg(feature = "sql")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aequo_core::Level;
use aequo_data::{
    scan, scan_sql, synth, DataError, Engine, OnMissing, Prediction, Scan, ScanSpec, SqlSource,
    Task,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};

const ROWS: usize = 50_000;

/// Synthetic rows with the columns every test needs. Row `i` (its `id`) decides the planted
/// irregularities, so a filtered copy keeps them:
/// * `race`: null when id % 53 == 0, the empty string when id % 71 == 0 (both missing);
/// * `w`: integer-valued weights 1–3 (so that float sums are exact in any order);
/// * `repaid_gap`, `score_gap`, `w_gap`: the same columns with nulls (and NaN scores);
/// * `repaid_txt`/`approved_txt`: yes/no and Y/N; `flag`: the prediction as a boolean;
/// * `repaid3`: yes/no and one "maybe".
struct Fixture {
    batch: RecordBatch,
}

impl Fixture {
    fn new() -> Fixture {
        let base = synth::chunk(11, 0, ROWS);
        let ids: Vec<i64> = base
            .column_by_name("applicant_id")
            .unwrap()
            .as_primitive::<Int64Type>()
            .values()
            .to_vec();
        let text = |name: &str| {
            base.column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let int = |name: &str| {
            base.column_by_name(name)
                .unwrap()
                .as_primitive::<Int64Type>()
                .values()
                .to_vec()
        };
        let float = |name: &str| {
            base.column_by_name(name)
                .unwrap()
                .as_primitive::<Float64Type>()
                .values()
                .to_vec()
        };
        let race = text("race");
        let (repaid, approved, score) = (int("repaid"), int("approved"), float("score"));
        let race: StringArray = ids
            .iter()
            .enumerate()
            .map(|(i, id)| match id {
                id if id % 53 == 0 => None,
                id if id % 71 == 0 => Some(""),
                _ => Some(race.value(i)),
            })
            .collect();
        let w: Vec<f64> = ids.iter().map(|id| (1 + id % 3) as f64).collect();
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("id", Arc::new(Int64Array::from(ids.clone()))),
            ("sex", Arc::new(text("sex"))),
            ("race", Arc::new(race)),
            ("age_band", Arc::new(text("age_band"))),
            ("region", Arc::new(text("region"))),
            ("income", base.column_by_name("income").unwrap().clone()),
            ("repaid", Arc::new(Int64Array::from(repaid.clone()))),
            ("approved", Arc::new(Int64Array::from(approved.clone()))),
            ("score", Arc::new(Float64Array::from(score.clone()))),
            ("w", Arc::new(Float64Array::from(w.clone()))),
            (
                // Scores on a grid of tenths, so that many lie exactly on a threshold or a bin
                // edge; and some are -0.0, which IEEE comparison treats as 0.0 but arrow's total
                // order as below it.
                "score_r",
                Arc::new(
                    ids.iter()
                        .zip(&score)
                        .map(|(id, s)| {
                            if id % 61 == 0 {
                                -0.0
                            } else {
                                (s * 10.0).round() / 10.0
                            }
                        })
                        .collect::<Float64Array>(),
                ),
            ),
            (
                "repaid_gap",
                Arc::new(
                    ids.iter()
                        .zip(&repaid)
                        .map(|(id, y)| (id % 89 != 0).then_some(*y))
                        .collect::<Int64Array>(),
                ),
            ),
            (
                "score_gap",
                Arc::new(
                    ids.iter()
                        .zip(&score)
                        .map(|(id, s)| match id {
                            id if id % 97 == 0 => Some(f64::NAN),
                            id if id % 101 == 0 => None,
                            _ => Some(*s),
                        })
                        .collect::<Float64Array>(),
                ),
            ),
            (
                "w_gap",
                Arc::new(
                    ids.iter()
                        .zip(&w)
                        .map(|(id, w)| (id % 113 != 0).then_some(*w))
                        .collect::<Float64Array>(),
                ),
            ),
            (
                "repaid_txt",
                Arc::new(
                    repaid
                        .iter()
                        .map(|y| Some(if *y == 1 { "yes" } else { "no" }))
                        .collect::<StringArray>(),
                ),
            ),
            (
                "approved_txt",
                Arc::new(
                    approved
                        .iter()
                        .map(|p| Some(if *p == 1 { "Y" } else { "N" }))
                        .collect::<StringArray>(),
                ),
            ),
            (
                "flag",
                Arc::new(
                    approved
                        .iter()
                        .map(|p| Some(*p == 1))
                        .collect::<BooleanArray>(),
                ),
            ),
            (
                "repaid3",
                Arc::new(
                    ids.iter()
                        .zip(&repaid)
                        .map(|(id, y)| {
                            Some(match (id, y) {
                                (12_345, _) => "maybe",
                                (_, 1) => "yes",
                                _ => "no",
                            })
                        })
                        .collect::<StringArray>(),
                ),
            ),
        ];
        Fixture {
            batch: RecordBatch::try_from_iter(columns).unwrap(),
        }
    }

    /// The rows for which `keep(row)` holds.
    fn filtered(&self, keep: impl Fn(usize) -> bool) -> RecordBatch {
        let mask: BooleanArray = (0..self.batch.num_rows()).map(|i| Some(keep(i))).collect();
        let columns: Vec<(String, ArrayRef)> = self
            .batch
            .schema()
            .fields()
            .iter()
            .zip(self.batch.columns())
            .map(|(f, c)| (f.name().clone(), filter(c, &mask)))
            .collect();
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn text(&self, column: &str, row: usize) -> &str {
        self.batch
            .column_by_name(column)
            .unwrap()
            .as_string::<i32>()
            .value(row)
    }

    fn float(&self, column: &str, row: usize) -> f64 {
        self.batch
            .column_by_name(column)
            .unwrap()
            .as_primitive::<Float64Type>()
            .value(row)
    }
}

/// Keeps the rows of a column where `mask` is true (the arrays this file builds only).
fn filter(column: &ArrayRef, mask: &BooleanArray) -> ArrayRef {
    let keep: Vec<usize> = mask
        .iter()
        .enumerate()
        .filter(|(_, m)| m.unwrap_or(false))
        .map(|(i, _)| i)
        .collect();
    if let Some(a) = column.as_string_opt::<i32>() {
        return Arc::new(
            keep.iter()
                .map(|&i| (!arrow_array::Array::is_null(a, i)).then(|| a.value(i)))
                .collect::<StringArray>(),
        );
    }
    if let Some(a) = column.as_primitive_opt::<Int64Type>() {
        return Arc::new(
            keep.iter()
                .map(|&i| (!arrow_array::Array::is_null(a, i)).then(|| a.value(i)))
                .collect::<Int64Array>(),
        );
    }
    if let Some(a) = column.as_primitive_opt::<Float64Type>() {
        return Arc::new(
            keep.iter()
                .map(|&i| (!arrow_array::Array::is_null(a, i)).then(|| a.value(i)))
                .collect::<Float64Array>(),
        );
    }
    let a = column.as_boolean();
    Arc::new(
        keep.iter()
            .map(|&i| (!arrow_array::Array::is_null(a, i)).then(|| a.value(i)))
            .collect::<BooleanArray>(),
    )
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let f = std::fs::File::create(path).unwrap();
    // Several row groups, so that DataFusion reads the file in parallel partitions.
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(8_192))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

fn write_csv(path: &Path, batch: &RecordBatch) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = arrow_csv::Writer::new(f);
    w.write(batch).unwrap();
}

struct Files {
    _dir: tempfile::TempDir,
    fixture: Fixture,
    parquet: PathBuf,
    dir: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let parquet = dir.path().join("t.parquet");
    write_parquet(&parquet, &fixture.batch);
    Files {
        dir: dir.path().to_owned(),
        _dir: dir,
        fixture,
        parquet,
    }
}

fn source(tables: &[(&str, &Path)], query: &str, engine: Engine) -> SqlSource {
    SqlSource {
        tables: tables
            .iter()
            .map(|(n, p)| ((*n).to_owned(), p.to_path_buf()))
            .collect(),
        query: query.to_owned(),
        engine,
    }
}

fn all_of(path: &Path, engine: Engine) -> SqlSource {
    source(&[("t", path)], "SELECT * FROM t", engine)
}

fn spec() -> ScanSpec {
    let mut s = ScanSpec::new(
        "repaid",
        Prediction::Column("approved".into()),
        vec!["sex".into(), "race".into(), "age_band".into()],
    );
    s.weight = Some("w".into());
    s
}

fn score_spec() -> ScanSpec {
    let mut s = spec();
    s.prediction = Prediction::Score {
        column: "score".into(),
        threshold: 0.5,
    };
    s.score_bins = Some((1..10).map(|i| f64::from(i) / 10.0).collect());
    s
}

/// The SQL scan agrees with the embedded one in everything but where the rows came from.
fn assert_same(sql: &Scan, embedded: &Scan) {
    assert_eq!(sql.tensor, embedded.tensor);
    let (a, b) = (&sql.summary, &embedded.summary);
    assert_eq!(a.rows_read, b.rows_read);
    assert_eq!(a.rows_used, b.rows_used);
    assert_eq!(a.dropped, b.dropped);
    assert_eq!(a.missing_sensitive, b.missing_sensitive);
    assert_eq!(a.label, b.label);
    assert_eq!(a.prediction, b.prediction);
    assert_eq!(a.weight, b.weight);
    assert_eq!(sql.score_range, embedded.score_range);
}

fn sql_err(source: &SqlSource, spec: &ScanSpec) -> DataError {
    match scan_sql(source, spec) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn datafusion_counts_the_same_tensor_as_the_embedded_scan() {
    let f = files();
    let embedded = scan(&f.parquet, &spec()).unwrap();
    let sql = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &spec()).unwrap();
    assert_same(&sql, &embedded);
    assert_eq!(sql.summary.format, "sql (datafusion)");
    assert_eq!(sql.summary.source, "SELECT * FROM t");
    // The comparison is not vacuous: every row, weighted, with missing races counted.
    let t = &sql.tensor;
    assert_eq!(t.total_rows(), ROWS as u64);
    assert!(t.is_weighted());
    let race = &t.attributes()[1];
    assert_eq!(race.levels.len(), 6, "five races and missing");
    let missing_races = ROWS.div_ceil(53) + ROWS.div_ceil(71) - ROWS.div_ceil(53 * 71);
    assert_eq!(sql.summary.missing_sensitive["race"], missing_races as u64);
}

#[test]
fn score_threshold_and_histogram_bins() {
    let f = files();
    let embedded = scan(&f.parquet, &score_spec()).unwrap();
    let sql = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &score_spec()).unwrap();
    assert_same(&sql, &embedded);
    let h = sql.tensor.scores().unwrap();
    assert_eq!(h.edges.len(), 9);
    assert_eq!(h.counts.iter().sum::<u64>(), ROWS as u64);
    assert!(h.counts.iter().filter(|&&c| c > 0).count() > 100);
    assert_eq!(sql.summary.prediction, "score >= 0.5");
    // A threshold on a bin edge and one between edges.
    for threshold in [0.3, 0.437] {
        let mut s = score_spec();
        s.prediction = Prediction::Score {
            column: "score".into(),
            threshold,
        };
        let embedded = scan(&f.parquet, &s).unwrap();
        let sql = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &s).unwrap();
        assert_same(&sql, &embedded);
    }
}

#[test]
fn scores_on_the_threshold_and_on_bin_edges() {
    let f = files();
    for (threshold, edges) in [
        (
            0.5,
            (1..10).map(|i| f64::from(i) / 10.0).collect::<Vec<_>>(),
        ),
        (0.0, vec![-0.0, 0.0, 0.5]),
        (-0.0, vec![0.0, 0.3]),
    ] {
        let mut s = score_spec();
        s.prediction = Prediction::Score {
            column: "score_r".into(),
            threshold,
        };
        s.score_bins = Some(edges);
        let embedded = scan(&f.parquet, &s).unwrap();
        let sql = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &s).unwrap();
        assert_same(&sql, &embedded);
    }
}

#[test]
fn a_where_clause_equals_the_embedded_scan_of_the_filtered_rows() {
    let f = files();
    let keep = |i: usize| {
        f.fixture.text("region", i) == "south" && f.fixture.float("income", i) > 30_000.0
    };
    let filtered = f.dir.join("south.parquet");
    let subset = f.fixture.filtered(keep);
    write_parquet(&filtered, &subset);
    let expected_rows = subset.num_rows() as u64;
    assert!(expected_rows > 1_000 && expected_rows < ROWS as u64 / 4);

    let query = "SELECT * FROM t WHERE region = 'south' AND income > 30000";
    for s in [spec(), score_spec()] {
        let embedded = scan(&filtered, &s).unwrap();
        let sql = scan_sql(&source(&[("t", &f.parquet)], query, Engine::DataFusion), &s).unwrap();
        assert_same(&sql, &embedded);
        assert_eq!(sql.summary.rows_read, expected_rows);
    }
}

#[test]
fn string_and_boolean_labels() {
    let f = files();
    let mut s = spec();
    s.label = "repaid_txt".into();
    s.pos_label = Some("yes".into());
    s.prediction = Prediction::Column("approved_txt".into());
    s.pred_pos_label = Some("Y".into());
    let embedded = scan(&f.parquet, &s).unwrap();
    let sql = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &s).unwrap();
    assert_same(&sql, &embedded);
    assert_eq!(sql.summary.label, "repaid_txt (positive = yes)");
    // The same counts as the 0/1 columns they were made from.
    let numeric = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &spec()).unwrap();
    assert_eq!(sql.tensor, numeric.tensor);

    let mut s = spec();
    s.prediction = Prediction::Column("flag".into());
    let sql = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &s).unwrap();
    assert_same(&sql, &scan(&f.parquet, &s).unwrap());
    assert_eq!(sql.tensor, numeric.tensor);
}

#[test]
fn missing_values_are_dropped_and_reported_like_the_embedded_scan() {
    let f = files();
    let mut s = score_spec();
    s.label = "repaid_gap".into();
    s.prediction = Prediction::Score {
        column: "score_gap".into(),
        threshold: 0.5,
    };
    s.weight = Some("w_gap".into());
    s.on_missing = OnMissing::Drop;
    let embedded = scan(&f.parquet, &s).unwrap();
    let sql = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &s).unwrap();
    assert_same(&sql, &embedded);
    let reasons: Vec<&str> = sql
        .summary
        .dropped
        .iter()
        .map(|d| d.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "missing label ('repaid_gap')",
            "missing score ('score_gap')",
            "missing weight ('w_gap')"
        ]
    );
    let dropped: u64 = sql.summary.dropped.iter().map(|d| d.rows).sum();
    assert_eq!(sql.summary.rows_used + dropped, ROWS as u64);
    // A label is missing in every 89th row.
    assert_eq!(sql.summary.dropped[0].rows, ROWS.div_ceil(89) as u64);
}

#[test]
fn a_missing_label_is_an_error_naming_the_column() {
    let f = files();
    let mut s = spec();
    s.label = "repaid_gap".into();
    match sql_err(&all_of(&f.parquet, Engine::DataFusion), &s) {
        DataError::SqlMissingValue { column, rows } => {
            assert_eq!(column, "repaid_gap");
            assert_eq!(rows, ROWS.div_ceil(89) as u64);
        }
        e => panic!("unexpected error: {e}"),
    }
    // The embedded scan refuses the same input.
    assert!(matches!(
        scan(&f.parquet, &s),
        Err(DataError::MissingValue { .. })
    ));
}

#[test]
fn errors_name_the_column_and_the_problem() {
    let f = files();
    let all = all_of(&f.parquet, Engine::DataFusion);

    // A column the query does not return.
    let narrow = source(
        &[("t", &f.parquet)],
        "SELECT sex, race, age_band, repaid, w FROM t",
        Engine::DataFusion,
    );
    let e = sql_err(&narrow, &spec());
    assert!(
        matches!(&e, DataError::SqlUnknownColumn { column, available, .. }
            if column == "approved" && available == "sex, race, age_band, repaid, w"),
        "{e}"
    );
    let mut s = spec();
    s.sensitive[0] = "Sex".into();
    let e = sql_err(&all, &s).to_string();
    assert!(
        e.contains("'Sex'") && e.contains("did you mean 'sex'"),
        "{e}"
    );

    // A label with a third value.
    let mut s = spec();
    s.label = "repaid3".into();
    s.pos_label = Some("yes".into());
    s.pred_pos_label = Some("1".into());
    let e = sql_err(&all, &s);
    assert!(
        matches!(&e, DataError::SqlNotBinary { column, values, .. }
            if column == "repaid3" && values.contains("maybe")),
        "{e}"
    );
    assert!(matches!(
        scan(&f.parquet, &s),
        Err(DataError::NotBinary { .. })
    ));

    // Text labels without a positive class.
    let mut s = spec();
    s.label = "repaid_txt".into();
    let e = sql_err(&all, &s).to_string();
    assert!(e.contains("repaid_txt") && e.contains("--pos-label"), "{e}");

    // A bad query, an unknown table, a missing file.
    let e = sql_err(
        &source(&[("t", &f.parquet)], "SELEC * FROM t", Engine::DataFusion),
        &spec(),
    );
    assert!(
        matches!(
            e,
            DataError::Sql {
                engine: "datafusion",
                ..
            }
        ),
        "{e}"
    );
    let e = sql_err(
        &source(
            &[("t", &f.parquet)],
            "SELECT * FROM nope",
            Engine::DataFusion,
        ),
        &spec(),
    );
    assert!(e.to_string().contains("nope"), "{e}");
    let gone = f.dir.join("gone.parquet");
    let e = sql_err(&all_of(&gone, Engine::DataFusion), &spec());
    assert!(matches!(e, DataError::Io { .. }), "{e}");
    // Writing through the query is refused.
    let e = sql_err(
        &source(
            &[("t", &f.parquet)],
            "CREATE TABLE x AS SELECT * FROM t",
            Engine::DataFusion,
        ),
        &spec(),
    );
    assert!(matches!(e, DataError::Sql { .. }), "{e}");

    // No rows.
    let e = sql_err(
        &source(
            &[("t", &f.parquet)],
            "SELECT * FROM t WHERE id < 0",
            Engine::DataFusion,
        ),
        &spec(),
    );
    assert!(matches!(e, DataError::SqlNoRows { .. }), "{e}");

    // A column in two roles.
    let mut s = spec();
    s.weight = Some("sex".into());
    assert!(matches!(sql_err(&all, &s), DataError::ColumnTwice { .. }));

    // A negative weight.
    let negative = source(
        &[("t", &f.parquet)],
        "SELECT sex, race, age_band, repaid, approved, CASE WHEN id = 7 THEN -2.0 ELSE w END AS w FROM t",
        Engine::DataFusion,
    );
    let e = sql_err(&negative, &spec());
    assert!(
        matches!(&e, DataError::SqlBadValue { column, value, .. } if column == "w" && value == "-2"),
        "{e}"
    );
}

#[test]
fn unsupported_parts_of_the_spec_are_errors() {
    let f = files();
    let all = all_of(&f.parquet, Engine::DataFusion);
    let mut s = score_spec();
    s.exact_scores = true;
    assert!(matches!(
        sql_err(&all, &s),
        DataError::SqlUnsupported { .. }
    ));
    let mut s = spec();
    s.task = Task::Multiclass;
    assert!(matches!(
        sql_err(&all, &s),
        DataError::SqlUnsupported { .. }
    ));
    let mut s = spec();
    s.task = Task::Regression { bins: 10 };
    assert!(matches!(
        sql_err(&all, &s),
        DataError::SqlUnsupported { .. }
    ));
    let mut s = spec();
    s.extra = vec![aequo_data::ExtraColumn {
        name: "income".into(),
        bins: Some(4),
    }];
    let e = sql_err(&all, &s).to_string();
    assert!(e.contains("income"), "{e}");
}

#[test]
fn discovery_columns_are_counted_like_the_embedded_scan() {
    let f = files();
    let mut s = spec();
    s.extra = vec![aequo_data::ExtraColumn {
        name: "region".into(),
        bins: None,
    }];
    let embedded = scan(&f.parquet, &s).unwrap();
    let sql = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &s).unwrap();
    assert_same(&sql, &embedded);
    assert_eq!(sql.tensor.attributes().len(), 4);
}

#[test]
fn a_join_of_a_parquet_and_a_csv_table() {
    let f = files();
    // People in Parquet, the model's outputs in CSV; the join equals the one-file scan.
    let people = f.dir.join("people.parquet");
    let b = &f.fixture.batch;
    let pick = |names: &[&str]| {
        RecordBatch::try_from_iter(
            names
                .iter()
                .map(|n| (*n, b.column_by_name(n).unwrap().clone())),
        )
        .unwrap()
    };
    write_parquet(&people, &pick(&["id", "sex", "race", "age_band"]));
    let outputs = f.dir.join("outputs.csv");
    write_csv(&outputs, &pick(&["id", "repaid", "approved", "score", "w"]));
    let query = "SELECT p.sex, p.race, p.age_band, o.repaid, o.approved, o.score, o.w \
                 FROM people p JOIN outputs o ON p.id = o.id";
    let src = source(
        &[("people", &people), ("outputs", &outputs)],
        query,
        Engine::DataFusion,
    );
    for s in [spec(), score_spec()] {
        let embedded = scan(&f.parquet, &s).unwrap();
        assert_same(&scan_sql(&src, &s).unwrap(), &embedded);
    }
}

#[test]
fn a_csv_table_equals_the_embedded_scan_of_the_csv() {
    let f = files();
    let csv = f.dir.join("t.csv");
    write_csv(&csv, &f.fixture.batch);
    let mut s = score_spec();
    s.label = "repaid_txt".into();
    s.pos_label = Some("yes".into());
    let embedded = scan(&csv, &s).unwrap();
    let sql = scan_sql(&all_of(&csv, Engine::DataFusion), &s).unwrap();
    assert_same(&sql, &embedded);
    // Empty and null races are both missing in a CSV file.
    assert_eq!(
        sql.tensor.attributes()[1].levels.last(),
        Some(&Level::Missing)
    );
}

#[cfg(feature = "ballista")]
mod ballista {
    use super::*;

    #[test]
    fn standalone_cluster_counts_the_same_tensor() {
        let f = files();
        let embedded = scan(&f.parquet, &spec()).unwrap();
        let datafusion = scan_sql(&all_of(&f.parquet, Engine::DataFusion), &spec()).unwrap();
        let ballista = scan_sql(&all_of(&f.parquet, Engine::BallistaStandalone), &spec()).unwrap();
        assert_same(&ballista, &embedded);
        assert_eq!(ballista.tensor, datafusion.tensor);
        assert_eq!(ballista.summary.format, "sql (ballista)");
    }

    #[test]
    fn standalone_cluster_with_scores_a_where_clause_and_dropped_rows() {
        let f = files();
        let keep = |i: usize| f.fixture.text("region", i) != "north";
        let filtered = f.dir.join("not-north.parquet");
        write_parquet(&filtered, &f.fixture.filtered(keep));
        let mut s = score_spec();
        s.label = "repaid_gap".into();
        s.weight = Some("w_gap".into());
        s.on_missing = OnMissing::Drop;
        let query = "SELECT * FROM t WHERE region <> 'north'";
        let embedded = scan(&filtered, &s).unwrap();
        let ballista = scan_sql(
            &source(&[("t", &f.parquet)], query, Engine::BallistaStandalone),
            &s,
        )
        .unwrap();
        assert_same(&ballista, &embedded);
        assert_eq!(ballista.summary.dropped.len(), 2);
    }

    #[test]
    fn errors_are_the_same_on_every_engine() {
        let f = files();
        let mut s = spec();
        s.label = "repaid3".into();
        s.pos_label = Some("no".into());
        s.pred_pos_label = Some("1".into());
        let messages: Vec<String> = [Engine::DataFusion, Engine::BallistaStandalone]
            .into_iter()
            .map(|e| sql_err(&all_of(&f.parquet, e), &s).to_string())
            .collect();
        assert_eq!(messages[0], messages[1]);
        assert!(messages[0].contains("(no, yes, maybe)"), "{}", messages[0]);
    }

    #[test]
    fn a_remote_cluster_needs_a_df_address() {
        let f = files();
        let e = sql_err(
            &all_of(&f.parquet, Engine::BallistaRemote("localhost:50050".into())),
            &spec(),
        );
        assert!(e.to_string().contains("df://"), "{e}");
        // Nothing listens on port 1.
        let e = sql_err(
            &all_of(
                &f.parquet,
                Engine::BallistaRemote("df://localhost:1".into()),
            ),
            &spec(),
        );
        assert!(
            e.to_string()
                .contains("cannot reach a Ballista scheduler at df://localhost:1"),
            "{e}"
        );
    }
}
