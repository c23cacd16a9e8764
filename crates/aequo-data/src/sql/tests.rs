//! The local plan's integer key against the raw `GROUP BY` (Ballista's plan) on the same rows:
//! the same tensor, summary and errors, whichever types the columns have.

use std::path::Path;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int32Array,
    Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray, UInt16Array,
    UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};

use super::key::{layout, Candidate, Interner};
use super::{scan_sql_grouped, Engine, Grouping, SqlSource};
use crate::error::DataError;
use crate::scan::{OnMissing, Prediction, Scan, ScanSpec};

const ROWS: usize = 24_000;
/// Files the rows are split into: several partitions, so that several threads share the
/// interner.
const FILES: usize = 4;

/// A deterministic stream of pseudo-random numbers.
fn mix(i: usize, salt: u64) -> u64 {
    let mut x = (i as u64 ^ salt.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 32)
}

/// Text values: short (inline in a string view) and long, two spellings of one level (`a`,
/// `" a"`), the empty string, and nulls.
const TEXTS: [Option<&str>; 8] = [
    Some("a"),
    Some(" a"),
    Some("b"),
    Some("a value longer than twelve bytes"),
    Some("another value longer than twelve"),
    Some(""),
    None,
    Some("twelve bytes"),
];

fn text(i: usize, salt: u64) -> Option<&'static str> {
    TEXTS[(mix(i, salt) % TEXTS.len() as u64) as usize]
}

fn batch() -> RecordBatch {
    let rows = 0..ROWS;
    let pick = |i: usize, salt: u64, n: u64| mix(i, salt) % n;
    let dict_values = StringArray::from(vec![Some("x"), None, Some("y z"), Some("x2")]);
    let dict_keys: Int32Array = rows
        .clone()
        .map(|i| (pick(i, 4, 9) != 0).then(|| pick(i, 5, 4) as i32))
        .collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "g_text",
            Arc::new(rows.clone().map(|i| text(i, 1)).collect::<StringArray>()),
        ),
        (
            "g_view",
            Arc::new(
                rows.clone()
                    .map(|i| text(i, 2))
                    .collect::<StringViewArray>(),
            ),
        ),
        (
            "g_large",
            Arc::new(
                rows.clone()
                    .map(|i| text(i, 3))
                    .collect::<LargeStringArray>(),
            ),
        ),
        (
            "g_dict",
            Arc::new(
                DictionaryArray::<Int32Type>::try_new(dict_keys, Arc::new(dict_values)).unwrap(),
            ),
        ),
        (
            "g_int",
            Arc::new(
                rows.clone()
                    .map(|i| (pick(i, 6, 11) != 0).then(|| pick(i, 7, 7) as i32 - 3))
                    .collect::<Int32Array>(),
            ),
        ),
        (
            "g_uint",
            Arc::new(
                rows.clone()
                    .map(|i| Some(pick(i, 8, 5) as u16 * 1000))
                    .collect::<UInt16Array>(),
            ),
        ),
        (
            "g_bool",
            Arc::new(
                rows.clone()
                    .map(|i| (pick(i, 9, 13) != 0).then(|| pick(i, 10, 2) == 1))
                    .collect::<BooleanArray>(),
            ),
        ),
        (
            // A wide range (not the small-range table) of 20 values.
            "g_big",
            Arc::new(
                rows.clone()
                    .map(|i| Some((pick(i, 11, 20) as i64 - 10) << 40))
                    .collect::<Int64Array>(),
            ),
        ),
        (
            // 1500 values: more than a narrow field holds.
            "g_many",
            Arc::new(
                rows.clone()
                    .map(|i| Some(pick(i, 12, 1500) as i64))
                    .collect::<Int64Array>(),
            ),
        ),
        (
            // 10,001 values: one more level than an attribute may have.
            "g_id",
            Arc::new(
                rows.clone()
                    .map(|i| Some(format!("id{}", i % 10_001)))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "g_float",
            Arc::new(
                rows.clone()
                    .map(|i| Some(pick(i, 13, 4) as f64 / 2.0))
                    .collect::<Float64Array>(),
            ),
        ),
        (
            "g_date",
            Arc::new(
                rows.clone()
                    .map(|i| Some(pick(i, 14, 3) as i32))
                    .collect::<Date32Array>(),
            ),
        ),
        (
            "y",
            Arc::new(
                rows.clone()
                    .map(|i| (pick(i, 15, 31) != 0).then(|| pick(i, 16, 2) as i64))
                    .collect::<Int64Array>(),
            ),
        ),
        (
            "y_text",
            Arc::new(
                rows.clone()
                    .map(|i| Some(if pick(i, 17, 2) == 1 { "yes" } else { " no" }))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "y_float",
            Arc::new(
                rows.clone()
                    .map(|i| Some(pick(i, 18, 2) as f64))
                    .collect::<Float64Array>(),
            ),
        ),
        (
            "p",
            Arc::new(
                rows.clone()
                    .map(|i| (pick(i, 19, 37) != 0).then(|| pick(i, 20, 2)))
                    .collect::<UInt64Array>(),
            ),
        ),
        (
            "p_bool",
            Arc::new(
                rows.clone()
                    .map(|i| (pick(i, 21, 41) != 0).then(|| pick(i, 22, 2) == 1))
                    .collect::<BooleanArray>(),
            ),
        ),
        (
            "p_float",
            Arc::new(
                rows.clone()
                    .map(|i| Some(pick(i, 23, 2) as f64))
                    .collect::<Float64Array>(),
            ),
        ),
        (
            "score",
            Arc::new(
                rows.clone()
                    .map(|i| (pick(i, 24, 43) != 0).then(|| pick(i, 25, 21) as f64 / 20.0))
                    .collect::<Float64Array>(),
            ),
        ),
        (
            // Integer-valued, so that sums are exact in any order.
            "w",
            Arc::new(
                rows.clone()
                    .map(|i| (pick(i, 26, 47) != 0).then(|| (1 + pick(i, 27, 3)) as f64))
                    .collect::<Float64Array>(),
            ),
        ),
    ];
    let schema = Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

/// The rows cut into [`FILES`] parts, one per file.
fn parts(batch: &RecordBatch) -> impl Iterator<Item = RecordBatch> + '_ {
    let per_file = ROWS.div_ceil(FILES);
    (0..FILES).map(move |f| batch.slice(f * per_file, per_file.min(ROWS - f * per_file)))
}

/// The rows as Arrow IPC files (which keep every column's type as it is) in a directory.
fn write(dir: &Path) -> std::path::PathBuf {
    let batch = batch();
    let table = dir.join("t");
    std::fs::create_dir(&table).unwrap();
    for (f, part) in parts(&batch).enumerate() {
        let file = std::fs::File::create(table.join(format!("part-{f}.arrow"))).unwrap();
        let mut w = arrow_ipc::writer::FileWriter::try_new(file, &part.schema()).unwrap();
        // Batches of 1000 rows: many calls of the key function per partition.
        for start in (0..part.num_rows()).step_by(1000) {
            w.write(&part.slice(start, 1000.min(part.num_rows() - start)))
                .unwrap();
        }
        w.finish().unwrap();
    }
    table
}

/// The rows as Parquet files in a directory: the first with its text dictionary-encoded (the
/// writer's default), so that the local engine reads text as dictionaries, and the others with
/// dictionaries off, so that the Parquet reader meets plain pages for them too.
fn write_parquet(dir: &Path) -> std::path::PathBuf {
    let batch = batch();
    let table = dir.join("pq");
    std::fs::create_dir(&table).unwrap();
    for (f, part) in parts(&batch).enumerate() {
        let props = parquet::file::properties::WriterProperties::builder()
            .set_dictionary_enabled(f == 0)
            .set_max_row_group_row_count(Some(2000))
            .build();
        let file = std::fs::File::create(table.join(format!("part-{f}.parquet"))).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, part.schema(), Some(props)).unwrap();
        w.write(&part).unwrap();
        w.close().unwrap();
    }
    table
}

fn spec(sensitive: &[&str], label: &str, prediction: &str) -> ScanSpec {
    let mut s = ScanSpec::new(
        label,
        Prediction::Column(prediction.into()),
        sensitive.iter().map(|s| (*s).to_owned()).collect(),
    );
    s.on_missing = OnMissing::Drop;
    s
}

/// The scan by the local plan, which grouping it ran, and the scan by the raw plan.
fn both(
    table: &Path,
    query: &str,
    spec: &ScanSpec,
) -> (Result<(Scan, Grouping), DataError>, Result<Scan, DataError>) {
    let source = SqlSource {
        tables: vec![("t".into(), table.to_owned())],
        query: query.into(),
        engine: Engine::DataFusion,
    };
    let keyed = scan_sql_grouped(&source, spec, Grouping::Key);
    let raw = scan_sql_grouped(&source, spec, Grouping::Raw).map(|(scan, grouping)| {
        assert_eq!(grouping, Grouping::Raw);
        scan
    });
    (keyed, raw)
}

/// Asserts that both plans count the same, and that the local one ran `expected`.
fn assert_same(table: &Path, query: &str, spec: &ScanSpec, expected: Grouping) -> Scan {
    let (keyed, raw) = both(table, query, spec);
    let (keyed, grouping) = keyed.unwrap();
    let raw = raw.unwrap();
    assert_eq!(grouping, expected);
    assert_eq!(keyed.tensor, raw.tensor);
    assert_eq!(keyed.summary, raw.summary);
    assert_eq!(keyed.score_range, raw.score_range);
    assert!(keyed.summary.rows_used > 0);
    keyed
}

#[test]
fn text_columns_of_every_kind_count_the_same_as_the_raw_group_by() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path());
    let spec = spec(&["g_text", "g_view", "g_large", "g_dict"], "y", "p");
    let scan = assert_same(&table, "SELECT * FROM t", &spec, Grouping::Key);
    // Nulls, the empty string and " a" ~ "a" are read as the embedded scan reads them.
    assert!(scan.summary.missing_sensitive.iter().all(|(_, n)| *n > 0));
    assert!(!scan.summary.dropped.is_empty());
}

#[test]
fn integer_boolean_and_text_outcomes_count_the_same_as_the_raw_group_by() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path());
    let mut s = spec(&["g_int", "g_uint", "g_bool", "g_big"], "y_text", "p_bool");
    s.pos_label = Some("yes".into());
    s.pred_pos_label = Some("true".into());
    assert_same(&table, "SELECT * FROM t", &s, Grouping::Key);
}

#[test]
fn a_score_with_threshold_bins_weights_and_a_where_clause() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path());
    let mut s = spec(&["g_view", "g_int"], "y", "p");
    s.prediction = Prediction::Score {
        column: "score".into(),
        threshold: 0.5,
    };
    s.score_bins = Some(vec![0.25, 0.5, 0.75]);
    s.weight = Some("w".into());
    s.extra = vec![crate::scan::ExtraColumn {
        name: "g_dict".into(),
        bins: None,
    }];
    let scan = assert_same(
        &table,
        "SELECT * FROM t WHERE g_uint <> 3000",
        &s,
        Grouping::Key,
    );
    assert!(scan.score_range.is_some());
}

#[test]
fn columns_of_other_types_are_grouped_raw_next_to_the_key_or_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path());
    // A float and a date attribute beside a keyed text one.
    let s = spec(&["g_float", "g_text", "g_date"], "y", "p");
    assert_same(&table, "SELECT * FROM t", &s, Grouping::Key);
    // Nothing the key can hold: the raw plan.
    let s = spec(&["g_float", "g_date"], "y_float", "p_float");
    assert_same(&table, "SELECT * FROM t", &s, Grouping::Raw);
}

#[test]
fn a_column_with_more_values_than_its_field_falls_back_to_the_raw_plan() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path());
    // Five wide attributes share 52 bits, 10 bits (1023 values) each, and g_many has 1500.
    let s = spec(&["g_text", "g_many", "g_dict", "g_int", "g_uint"], "y", "p");
    assert_same(&table, "SELECT * FROM t", &s, Grouping::Raw);
    // Alone, it fits its field.
    let s = spec(&["g_many"], "y", "p");
    assert_same(&table, "SELECT * FROM t", &s, Grouping::Key);
}

#[test]
fn too_many_levels_is_the_same_error_with_and_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path());
    // Outcomes without nulls, so that no row (and no level) is dropped. g_id alone is keyed at
    // 20 bits; among six wide attributes at 10 bits it overflows, and the raw plan runs.
    for sensitive in [
        vec!["g_id"],
        vec!["g_text", "g_id", "g_view", "g_large", "g_int", "g_uint"],
    ] {
        let s = spec(&sensitive, "y_float", "p_float");
        let (keyed, raw) = both(&table, "SELECT * FROM t", &s);
        let keyed = keyed.map(|_| ()).unwrap_err().to_string();
        let raw = raw.map(|_| ()).unwrap_err().to_string();
        assert_eq!(keyed, raw);
        assert!(
            keyed.contains("g_id") && keyed.contains("10000 distinct"),
            "{keyed}"
        );
    }
}

/// Every batch's keys decode back into its rows' values, and one interner gives the same keys
/// to the same rows in batches of any size.
#[test]
fn keys_decode_into_the_values_they_were_made_from() {
    let batch = batch();
    let names = [
        "g_view", "g_big", "y", "p", "g_text", "g_dict", "g_bool", "g_int",
    ];
    let arrays: Vec<ArrayRef> = names
        .iter()
        .map(|n| Arc::clone(batch.column_by_name(n).unwrap()))
        .collect();
    let candidates: Vec<Candidate> = names
        .iter()
        .zip(&arrays)
        .map(|(n, a)| Candidate {
            name: (*n).to_owned(),
            data_type: a.data_type().clone(),
            attribute: n.starts_with("g_"),
            values: None,
        })
        .collect();
    let fields = layout(&candidates);
    assert_eq!(fields.len(), names.len(), "every column is keyed");
    let interner = Interner::new(fields);
    let mut all = Vec::new();
    for size in [200, 5000, ROWS] {
        let mut keys = Vec::new();
        for start in (0..ROWS).step_by(size) {
            let len = size.min(ROWS - start);
            let part: Vec<ArrayRef> = arrays.iter().map(|a| a.slice(start, len)).collect();
            keys.extend(interner.keys(&part).unwrap());
        }
        all.push(keys);
    }
    assert_eq!(all[0], all[1]);
    assert_eq!(all[0], all[2]);
    let keys = UInt64Array::from(all.swap_remove(0));
    let decoded = interner.decode(&keys).unwrap();
    for ((name, original), decoded) in names.iter().zip(&arrays).zip(&decoded) {
        let want = match original.data_type() {
            DataType::Dictionary(_, v) => arrow_cast::cast(original, v).unwrap(),
            _ => Arc::clone(original),
        };
        assert_eq!(want.as_ref(), decoded.as_ref(), "column {name}");
    }
}

/// The keys are made a chunk of rows at a time: batches of lengths around the chunk's (1024
/// rows), with nulls on both sides of its boundaries, get the keys that their rows get one by
/// one, and decode back into their values. The columns take every way of reading codes: string
/// views (inline and not, more distinct values than the cache has slots), integers of two
/// values, of one, of a small range and of a wide one (with values other than their own in the
/// null slots), an all-null column, and text read up front.
#[test]
fn keys_are_the_same_across_the_chunks_of_a_batch() {
    let rows = 3 * 1024 + 1;
    // Nulls at the ends of chunks, at the starts of the next ones, and scattered.
    let null = |i: usize| i % 1024 == 1023 || i % 1024 == 0 && i > 0 || mix(i, 30) % 7 == 0;
    let valid = |i: usize| !null(i);
    let nulls = || arrow_buffer::NullBuffer::from((0..rows).map(valid).collect::<Vec<_>>());
    let view: ArrayRef = Arc::new(
        (0..rows)
            .map(|i| {
                valid(i).then(|| match mix(i, 31) % 3 {
                    0 => format!("v{}", mix(i, 32) % 300),
                    1 => format!("a longer value, number {}", mix(i, 33) % 5),
                    _ => "x".to_owned(),
                })
            })
            .collect::<StringViewArray>(),
    );
    // Values other than 0 and 1 in the null slots, which must not be read.
    let two: ArrayRef = Arc::new(Int64Array::new(
        (0..rows)
            .map(|i| {
                if valid(i) {
                    (mix(i, 34) % 2) as i64
                } else {
                    99
                }
            })
            .collect(),
        Some(nulls()),
    ));
    let one: ArrayRef = Arc::new(Int64Array::new(
        (0..rows).map(|i| if valid(i) { 7 } else { -1 }).collect(),
        Some(nulls()),
    ));
    let small: ArrayRef = Arc::new(
        (0..rows)
            .map(|i| valid(i).then(|| (mix(i, 35) % 5) as u16 * 1000))
            .collect::<UInt16Array>(),
    );
    let wide: ArrayRef = Arc::new(
        (0..rows)
            .map(|i| Some(mix(i, 36) % 300 * 0x1_0000_0001))
            .collect::<UInt64Array>(),
    );
    let all_null: ArrayRef = Arc::new(StringViewArray::from(vec![None::<&str>; rows]));
    let text: ArrayRef = Arc::new(
        (0..rows)
            .map(|i| valid(i).then(|| format!("t{}", mix(i, 37) % 4)))
            .collect::<StringArray>(),
    );
    // Dictionaries: a null entry, rows null by their key, and keys at the null rows that name
    // an entry (read through the entries' table) or none (read by the checked path).
    let entries: ArrayRef = Arc::new(StringArray::from(vec![
        Some("d0"),
        None,
        Some("a dictionary entry longer than twelve"),
        Some("d3"),
    ]));
    let dictionary = |at_null: i32| -> ArrayRef {
        let keys = Int32Array::new(
            (0..rows)
                .map(|i| {
                    if valid(i) {
                        (mix(i, 38) % 4) as i32
                    } else {
                        at_null
                    }
                })
                .collect(),
            Some(nulls()),
        );
        Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::clone(&entries)).unwrap())
    };
    check_chunks(
        rows,
        vec![view, two, one, small, wide, all_null, text],
        &[1, 2],
    );
    // Keys of another type: read through their positions.
    let int16: ArrayRef = Arc::new(
        arrow_cast::cast(
            &dictionary(2),
            &DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8)),
        )
        .unwrap(),
    );
    check_chunks(rows, vec![dictionary(2), dictionary(77), int16], &[]);
}

/// The keys of `arrays` made from slices of every length at both ends equal those made row by
/// row, and decode into the values; the columns at `outcomes` get outcome fields.
fn check_chunks(rows: usize, arrays: Vec<ArrayRef>, outcomes: &[usize]) {
    let candidates: Vec<Candidate> = arrays
        .iter()
        .enumerate()
        .map(|(i, a)| Candidate {
            name: format!("c{i}"),
            data_type: a.data_type().clone(),
            // Outcome fields are 6 bits: so that all fit in the key.
            attribute: !outcomes.contains(&i),
            values: None,
        })
        .collect();
    let fields = layout(&candidates);
    assert_eq!(fields.len(), arrays.len(), "every column is keyed");
    let interner = Interner::new(fields);
    let one_by_one: Vec<u64> = (0..rows)
        .flat_map(|i| {
            let row: Vec<ArrayRef> = arrays.iter().map(|a| a.slice(i, 1)).collect();
            interner.keys(&row).unwrap()
        })
        .collect();
    for len in [1, 1023, 1024, 1025, 2 * 1024 + 1, rows] {
        for start in [0, rows - len] {
            let part: Vec<ArrayRef> = arrays.iter().map(|a| a.slice(start, len)).collect();
            let keys = interner.keys(&part).unwrap();
            assert_eq!(
                keys,
                one_by_one[start..start + len],
                "{len} rows from row {start}"
            );
        }
    }
    let decoded = interner.decode(&UInt64Array::from(one_by_one)).unwrap();
    for (i, (original, decoded)) in arrays.iter().zip(&decoded).enumerate() {
        let want = arrow_cast::cast(original, decoded.data_type()).unwrap();
        assert_eq!(want.as_ref(), decoded.as_ref(), "column {i}");
    }
}

#[test]
fn parquet_text_read_as_dictionaries_counts_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let ipc = write(dir.path());
    let pq = write_parquet(dir.path());
    let mut spec = spec(&["g_text", "g_view", "g_large", "g_dict"], "y_text", "p");
    spec.pos_label = Some("yes".into());
    spec.pred_pos_label = Some("1".into());
    for query in [
        "SELECT * FROM t",
        // Functions, comparisons and a filter on the dictionary-typed columns.
        "SELECT lower(g_text) AS g_text, g_view || '!' AS g_view, g_large, \
         CASE WHEN g_dict = 'x' THEN 'ex' ELSE g_dict END AS g_dict, g_id, y_text, p \
         FROM t WHERE g_text <> 'b' AND g_id NOT IN ('id7', 'id8', 'id9', 'id10', 'id11')",
    ] {
        let from_ipc = assert_same(&ipc, query, &spec, Grouping::Key);
        let from_parquet = assert_same(&pq, query, &spec, Grouping::Key);
        assert_eq!(from_parquet.tensor, from_ipc.tensor, "{query}");
        assert_eq!(from_parquet.summary, from_ipc.summary, "{query}");
    }
}

#[test]
fn the_parquet_reader_is_asked_for_dictionaries() {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::datasource::physical_plan::ParquetSource;
    use datafusion::datasource::source::DataSourceExec;

    use super::dictionary::{dictionary_columns, dictionary_type};
    use super::{context, register};

    let dir = tempfile::tempdir().unwrap();
    let pq = write_parquet(dir.path());
    // The text columns of the dictionary-encoded file; none of the plain ones.
    let columns = dictionary_columns(&pq.join("part-0.parquet"));
    for c in ["g_text", "g_view", "g_id", "y_text"] {
        assert!(columns.contains(c), "{c} in {columns:?}");
    }
    assert!(!columns.contains("g_large"), "LargeUtf8 is left as it is");
    assert!(dictionary_columns(&pq.join("part-1.parquet")).is_empty());
    assert!(dictionary_columns(&dir.path().join("no such file")).is_empty());

    let runtime = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    runtime.block_on(async {
        let ctx = context(&Engine::DataFusion).await.unwrap();
        register(&ctx, &Engine::DataFusion, "t", &pq, None)
            .await
            .unwrap();
        let schema = ctx.table_provider("t").await.unwrap().schema();
        let type_of = |c: &str| schema.field_with_name(c).unwrap().data_type().clone();
        assert_eq!(type_of("g_text"), dictionary_type());
        assert_eq!(type_of("g_view"), dictionary_type());
        // DataFusion's string view: its file type is LargeUtf8, which is not read as a dictionary.
        assert_eq!(type_of("g_large"), DataType::Utf8View);
        assert_eq!(type_of("g_int"), DataType::Int32);

        let df = ctx.sql("SELECT g_text, g_view, y FROM t").await.unwrap();
        let plan = df.clone().create_physical_plan().await.unwrap();
        let mut files = 0;
        plan.apply(|node| {
            if let Some((config, _)) = node
                .downcast_ref::<DataSourceExec>()
                .and_then(|e| e.downcast_to_file_source::<ParquetSource>())
            {
                for file in config.file_groups.iter().flat_map(|g| g.iter()) {
                    let schema = file.arrow_schema.as_ref().expect("a file schema");
                    let field = schema.field_with_name("g_text").unwrap();
                    assert_eq!(field.data_type(), &dictionary_type());
                    files += 1;
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .unwrap();
        assert!(files >= FILES, "{files} file ranges");
        let batches = df.collect().await.unwrap();
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), ROWS);
        for b in &batches {
            assert_eq!(b.column(0).data_type(), &dictionary_type());
        }
    });
}

#[test]
fn dictionary_columns_join_and_union_with_text_columns() {
    let dir = tempfile::tempdir().unwrap();
    let ipc = write(dir.path());
    let pq = write_parquet(dir.path());
    let spec = spec(&["g_text", "g_view", "g_dict"], "y", "p");
    // `t` is the Parquet table (dictionaries) or the same rows from Arrow files (text), `u`
    // always the Arrow files.
    let run = |t: &Path, query: &str| {
        let source = SqlSource {
            tables: vec![("t".into(), t.to_owned()), ("u".into(), ipc.clone())],
            query: query.into(),
            engine: Engine::DataFusion,
        };
        scan_sql_grouped(&source, &spec, Grouping::Key).unwrap().0
    };
    for query in [
        "SELECT t.* FROM t JOIN (SELECT DISTINCT g_view AS k FROM u WHERE g_view <> 'b') v \
         ON t.g_text = v.k",
        "SELECT g_text, g_view, g_dict, y, p FROM t \
         UNION ALL SELECT g_view, g_text, g_dict, y, p FROM u",
    ] {
        let dictionaries = run(&pq, query);
        let text = run(&ipc, query);
        assert!(text.summary.rows_used > 0, "{query}");
        assert_eq!(dictionaries.tensor, text.tensor, "{query}");
        assert_eq!(dictionaries.summary, text.summary, "{query}");
    }
}
