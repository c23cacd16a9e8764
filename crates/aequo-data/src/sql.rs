//! SQL sources: the audit planned as one `GROUP BY` and run by DataFusion, locally or on a
//! Ballista cluster.
//!
//! The user's tables (Parquet, CSV/TSV, NDJSON, Arrow IPC files or directories of them) are
//! registered by name and the user's query becomes the input of one aggregation grouped by
//!
//! * each sensitive (and discovery) column, raw,
//! * the raw label, and the raw prediction — or, for a score, the decision `score >= threshold`
//!   and the score's histogram bin,
//! * whether the weight is missing,
//!
//! with `COUNT(*)`, `SUM(w)`, `SUM(w * w)` and the extremes of score and weight.
//!
//! On Ballista only built-in expressions and aggregates are used, because an executor can only
//! run what its binary was built with: the plan groups by the raw columns as listed. Locally
//! (the in-process DataFusion engine) the same aggregation groups by one `UInt64` instead, the
//! scalar function `aequo_key` of the `key` module: each grouping column whose type it can intern
//! (text, string views, integers, booleans, dictionaries of text or integers) gets a small code
//! per distinct raw value from an interner shared by the query's partitions, and the codes are
//! packed into the key. DataFusion's `GROUP BY` over several raw columns (string views
//! especially) spends most of the query comparing and hashing them; one integer is a cheaper
//! group. The key is injective, so the groups are exactly the raw plan's: after the query each
//! key is decoded back into its raw values and the rows are sorted as the raw plan's query sorts
//! them, so everything below sees the same grouped rows either way. A column of another type is
//! grouped raw next to the key (with none keyable, the raw plan runs); a column with more
//! distinct raw values than its field of bits holds stops the keyed query and the raw plan runs
//! instead — the same result, the same errors (too many levels included), never a truncated
//! code.
//!
//! The result has one row per distinct combination — at most cells × label
//! values × prediction values × bins, a few thousand — and is turned into the count tensor here,
//! with the embedded scan's own code: levels are read with the same text conversion, labels and
//! predictions with the same `Binary` rules (0/1, booleans, `pos_label`, an error for a third
//! value), the same missing-value handling and drop reasons, and the tensor's levels are put in
//! the same canonical order ([`Attribute::new`]). So for the same rows both
//! paths produce equal tensors (for weights, up to the order of floating-point additions; exact
//! for integer-valued weights), which the tests check.
//!
//! Locally, dictionary-encoded Parquet text columns are also read as dictionaries (the
//! `dictionary` module), so that the key codes each dictionary entry once per batch instead of
//! looking up every row's string.
//!
//! Grouping by the raw values, not by text cast in SQL, is deliberate: it leaves the conversion
//! to text (and so the spelling of every level) to the same arrow-cast call as the embedded
//! scan, and groups by a number are cheaper than by its text.
//!
//! What is not supported: exact scores, regression and multiclass tasks and binned discovery
//! columns (their bin edges come from the first record batch, which has no meaning in SQL) —
//! each is a clear [`DataError::SqlUnsupported`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aequo_core::audit::{Dropped, InputSummary};
use aequo_core::counts::{slot, Attribute, CountsError, Level, DEFAULT_MAX_LEVELS};
use aequo_core::CountTensor;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SortOptions};
use datafusion::arrow::compute::{
    concat_batches, lexsort_to_indices, take_record_batch, SortColumn,
};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::options::ArrowReadOptions;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::functions::expr_fn::{btrim, isnan};
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{max, min, sum};
use datafusion::logical_expr::ExprSchemable;
use datafusion::prelude::{
    cast, col, ident, lit, when, CsvReadOptions, Expr, JsonReadOptions, ParquetReadOptions,
    SQLOptions, SessionContext,
};

use crate::error::DataError;
use crate::format::Format;
use crate::scan::{OnMissing, Prediction, Scan, ScanSpec, Task};
use crate::values::{as_text, is_missing_text, At, Binary};

mod dictionary;
mod key;
#[cfg(test)]
mod tests;

/// Which engine runs the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// DataFusion in this process, on all cores.
    DataFusion,
    /// A Ballista scheduler and executor started in this process, talking gRPC and Arrow Flight
    /// over loopback: the distributed path on one machine (needs the `ballista` feature).
    BallistaStandalone,
    /// A running Ballista cluster, by its scheduler's address `df://host:port` (needs the
    /// `ballista` feature). The table paths must be readable by every executor.
    BallistaRemote(String),
}

impl Engine {
    fn name(&self) -> &'static str {
        match self {
            Engine::DataFusion => "datafusion",
            Engine::BallistaStandalone | Engine::BallistaRemote(_) => "ballista",
        }
    }
}

/// A query over named files.
#[derive(Debug, Clone)]
pub struct SqlSource {
    /// Tables by name: a file, or a directory of files of one format. The format is told by
    /// the extension (`ScanSpec::format` when it does not tell).
    pub tables: Vec<(String, PathBuf)>,
    /// The query whose result is audited (one `SELECT`; DDL and DML are refused).
    pub query: String,
    /// Where it runs.
    pub engine: Engine,
}

/// Stands in for a file path in the errors of the shared value parsers, which are translated
/// into the SQL errors before they leave this module.
const QUERY_PATH: &str = "query";

/// Runs `source`'s query and counts its result according to `spec`, like
/// [`crate::scan`](fn@crate::scan) does for a file: the same tensor, summary and errors for the
/// same rows.
pub fn scan_sql(source: &SqlSource, spec: &ScanSpec) -> Result<Scan, DataError> {
    // A Ballista executor runs only the functions its binary was built with: no `aequo_key`.
    let grouping = match source.engine {
        Engine::DataFusion => Grouping::Key,
        Engine::BallistaStandalone | Engine::BallistaRemote(_) => Grouping::Raw,
    };
    scan_sql_grouped(source, spec, grouping).map(|(scan, _)| scan)
}

/// [`scan_sql`] with the grouping asked for (`Key` only on the local engine), and the grouping
/// that ran: `Raw` when asked, or when the key could not be used.
pub(crate) fn scan_sql_grouped(
    source: &SqlSource,
    spec: &ScanSpec,
    grouping: Grouping,
) -> Result<(Scan, Grouping), DataError> {
    check_supported(spec)?;
    check_engine(&source.engine)?;
    let roles = roles(spec)?;
    let plan = Plan::new(spec, roles);
    // The runtime lives on its own thread so that a caller already inside a tokio runtime (the
    // server) does not hit "cannot start a runtime from within a runtime".
    let (grouped, grouping) = std::thread::scope(|s| {
        s.spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("aequo-sql")
                .build()
                .map_err(|e| DataError::Sql {
                    engine: source.engine.name(),
                    message: format!("cannot start the async runtime: {e}"),
                })?;
            let out = runtime.block_on(run(source, spec, &plan, grouping));
            // A standalone Ballista leaves its scheduler and executor tasks behind; do not wait
            // for them.
            runtime.shutdown_timeout(Duration::from_secs(1));
            out
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    count(source, spec, &plan, grouped.as_slice()).map(|scan| (scan, grouping))
}

fn check_supported(spec: &ScanSpec) -> Result<(), DataError> {
    let unsupported = |what: &str, hint: &str| {
        Err(DataError::SqlUnsupported {
            what: what.to_owned(),
            hint: hint.to_owned(),
        })
    };
    match spec.task {
        Task::Binary => {}
        Task::Regression { .. } => {
            return unsupported(
                "a regression audit",
                "write the query's result to a Parquet file and audit that file",
            )
        }
        Task::Multiclass => {
            return unsupported(
                "a multiclass audit",
                "write the query's result to a Parquet file and audit that file",
            )
        }
    }
    if spec.exact_scores && matches!(spec.prediction, Prediction::Score { .. }) {
        return unsupported(
            "exact scores (per-score counts for exact AUC and calibration)",
            "use score bins, or audit a file",
        );
    }
    if let Some(e) = spec.extra.iter().find(|e| e.bins.is_some()) {
        return unsupported(
            &format!("binning the discovery column '{}' into quantiles", e.name),
            "bin it in the query (a CASE expression) and give the binned column",
        );
    }
    if let (Prediction::Score { .. }, Some(edges)) = (&spec.prediction, &spec.score_bins) {
        if !edges.windows(2).all(|w| w[0] <= w[1]) {
            return unsupported(
                "score bin edges that do not ascend",
                "give the edges in ascending order",
            );
        }
    }
    Ok(())
}

fn check_engine(engine: &Engine) -> Result<(), DataError> {
    let needs_ballista = !matches!(engine, Engine::DataFusion);
    if needs_ballista && !cfg!(feature = "ballista") {
        return Err(DataError::SqlUnsupported {
            what: "running on Ballista".into(),
            hint:
                "this build of aequo has no Ballista support; build it with the 'ballista' feature"
                    .into(),
        });
    }
    if let Engine::BallistaRemote(url) = engine {
        if !url.starts_with("df://") {
            return Err(DataError::Sql {
                engine: "ballista",
                message: format!(
                    "'{url}' is not a Ballista scheduler address; give df://HOST:PORT (the scheduler listens on port 50050 by default)"
                ),
            });
        }
    }
    Ok(())
}

/// The columns in their roles, each at most once (the embedded scan's check).
fn roles(spec: &ScanSpec) -> Result<Vec<(String, &'static str)>, DataError> {
    Ok(crate::scan::roles(spec)?
        .into_iter()
        .map(|(c, r)| (c.to_owned(), r))
        .collect())
}

/// The names of the aggregation's columns, and what the spec asks of them.
struct Plan {
    /// Sensitive then discovery columns, grouped as `a0`, `a1`, ….
    attributes: Vec<String>,
    score_edges: Option<Vec<f64>>,
    threshold: Option<f64>,
    roles: Vec<(String, &'static str)>,
}

impl Plan {
    fn new(spec: &ScanSpec, roles: Vec<(String, &'static str)>) -> Plan {
        let mut attributes = spec.sensitive.clone();
        attributes.extend(spec.extra.iter().map(|e| e.name.clone()));
        let (threshold, score_edges) = match &spec.prediction {
            Prediction::Score { threshold, .. } => (Some(*threshold), spec.score_bins.clone()),
            Prediction::Column(_) => (None, None),
        };
        Plan {
            attributes,
            score_edges,
            threshold,
            roles,
        }
    }
}

async fn context(engine: &Engine) -> Result<SessionContext, DataFusionError> {
    match engine {
        Engine::DataFusion => {
            let state = SessionStateBuilder::new()
                .with_default_features()
                .with_physical_optimizer_rule(Arc::new(dictionary::DictionaryPages))
                .build();
            Ok(SessionContext::new_with_state(state))
        }
        #[cfg(feature = "ballista")]
        Engine::BallistaStandalone => {
            use ballista::prelude::SessionContextExt;
            SessionContext::standalone().await
        }
        #[cfg(feature = "ballista")]
        Engine::BallistaRemote(url) => {
            use ballista::prelude::SessionContextExt;
            SessionContext::remote(url).await
        }
        #[cfg(not(feature = "ballista"))]
        _ => unreachable!("check_engine refuses Ballista engines without the feature"),
    }
}

/// The table's first file: itself, or a directory's first file (by name, recursively) that
/// DataFusion lists with `ext`.
fn first_file(path: &Path, ext: &str) -> PathBuf {
    let mut at = path.to_owned();
    while at.is_dir() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            break;
        };
        let mut entries: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_dir()
                    || p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(ext))
            })
            .collect();
        entries.sort();
        match entries.into_iter().next() {
            Some(next) => at = next,
            None => break,
        }
    }
    at
}

/// The format of a table: by its extension, or for a directory by its first file's; the
/// extension (with its dot) is what DataFusion lists files by.
fn table_format(path: &Path, fallback: Option<Format>) -> Result<(Format, String), DataError> {
    let meta = std::fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })?;
    let file = if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| DataError::Io {
                path: path.to_owned(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && Format::from_path(p).is_ok())
            .collect();
        entries.sort();
        entries
            .into_iter()
            .next()
            .unwrap_or_else(|| path.to_owned())
    } else {
        path.to_owned()
    };
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map_or_else(String::new, |e| format!(".{e}"));
    match Format::from_path(&file).ok().or(fallback) {
        Some(f) => Ok((f, extension)),
        None => Err(DataError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
}

async fn register(
    ctx: &SessionContext,
    engine: &Engine,
    name: &str,
    path: &Path,
    fallback: Option<Format>,
) -> Result<(), DataError> {
    let (format, ext) = table_format(path, fallback)?;
    let location = path.to_str().ok_or_else(|| DataError::SqlTable {
        name: name.to_owned(),
        path: path.to_owned(),
        message: "the path is not valid UTF-8".into(),
    })?;
    let result = match format {
        Format::Parquet => {
            let options = ParquetReadOptions::default().file_extension(&ext);
            let result = ctx.register_parquet(name, location, options.clone()).await;
            if result.is_ok() && *engine == Engine::DataFusion {
                // Dictionary-encoded text columns read as dictionaries (see [`dictionary`]):
                // the table registered again with a schema that asks for them.
                let first = first_file(path, &ext);
                let columns = dictionary::dictionary_columns(&first);
                let provider = ctx.table_provider(name).await;
                if let Ok(Some(schema)) =
                    provider.map(|p| dictionary::dictionary_schema(p.schema().as_ref(), &columns))
                {
                    let _ = ctx.deregister_table(name);
                    let dictionaries = options.clone().schema(&schema);
                    match ctx.register_parquet(name, location, dictionaries).await {
                        Ok(()) => Ok(()),
                        // Not worth failing over: the table as DataFusion reads it by default.
                        Err(_) => ctx.register_parquet(name, location, options).await,
                    }
                } else {
                    result
                }
            } else {
                result
            }
        }
        Format::Csv | Format::Tsv => {
            let delimiter = if format == Format::Tsv { b'\t' } else { b',' };
            let options = CsvReadOptions::new()
                .has_header(true)
                .delimiter(delimiter)
                .file_extension(&ext);
            ctx.register_csv(name, location, options).await
        }
        Format::Ndjson => {
            let options = JsonReadOptions {
                file_extension: &ext,
                ..JsonReadOptions::default()
            };
            ctx.register_json(name, location, options).await
        }
        Format::Arrow => {
            let options = ArrowReadOptions {
                file_extension: &ext,
                ..ArrowReadOptions::default()
            };
            ctx.register_arrow(name, location, options).await
        }
    };
    result.map_err(|e| DataError::SqlTable {
        name: name.to_owned(),
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// The column's values as `f64`, with the embedded scan's rules: numbers cast, text trimmed and
/// parsed, the empty string and `na_values` missing, NaN missing.
fn numeric_expr(
    column: &str,
    data_type: &DataType,
    role: &'static str,
    na: &[String],
) -> Result<Expr, DataError> {
    let is_numeric =
        |t: &DataType| t.is_numeric() || matches!(t, DataType::Dictionary(_, v) if v.is_numeric());
    let is_text = |t: &DataType| {
        matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
            || matches!(t, DataType::Dictionary(_, v)
                if matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View))
    };
    let null = || lit(ScalarValue::Float64(None));
    let x = if is_numeric(data_type) {
        cast(ident(column), DataType::Float64)
    } else if is_text(data_type) {
        let text = btrim(vec![cast(ident(column), DataType::Utf8)]);
        let mut missing = text.clone().eq(lit(""));
        if !na.is_empty() {
            missing = missing.or(text
                .clone()
                .in_list(na.iter().map(|v| lit(v.as_str())).collect(), false));
        }
        when(missing, null())
            .otherwise(cast(text, DataType::Float64))
            .map_err(|e| engine_error("datafusion", e))?
    } else {
        return Err(DataError::SqlWrongType {
            column: column.to_owned(),
            found: data_type.to_string(),
            role,
            hint: "give a numeric column (or text holding numbers)".into(),
        });
    };
    // DataFusion's comparisons treat -0.0 as 0.0, as Rust's do (a test pins it); NaN, which
    // sorts above every number in arrow's total order, is missing as in the embedded scan.
    when(isnan(x.clone()), null())
        .otherwise(x)
        .map_err(|e| engine_error("datafusion", e))
}

fn engine_error(engine: &'static str, e: DataFusionError) -> DataError {
    DataError::Sql {
        engine,
        message: e.to_string(),
    }
}

/// Runs the query and the aggregation; the grouped rows in one batch (none without rows).
async fn run(
    source: &SqlSource,
    spec: &ScanSpec,
    plan: &Plan,
    grouping: Grouping,
) -> Result<(Option<RecordBatch>, Grouping), DataError> {
    let engine = source.engine.name();
    // A remote context connects lazily: an unreachable scheduler shows up at the first query.
    let fail = |e: DataFusionError| {
        match &source.engine {
        Engine::BallistaRemote(url) if e.to_string().contains("connect") => DataError::Sql {
            engine,
            message: format!(
                "cannot reach a Ballista scheduler at {url} ({e}); is one running there? (see docs/sql.md)"
            ),
        },
        _ => engine_error(engine, e),
    }
    };
    let ctx = context(&source.engine).await.map_err(fail)?;
    for (name, path) in &source.tables {
        register(&ctx, &source.engine, name, path, spec.format).await?;
    }
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let input = ctx
        .sql_with_options(&source.query, options)
        .await
        .map_err(fail)?;

    let fields: Vec<(String, DataType)> = input
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    let type_of = |column: &str| -> Result<DataType, DataError> {
        fields
            .iter()
            .find(|(n, _)| n == column)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| {
                let lower = column.to_lowercase();
                let hint = fields
                    .iter()
                    .find(|(n, _)| n.to_lowercase() == lower)
                    .map_or_else(String::new, |(n, _)| format!(" (did you mean '{n}'?)"));
                DataError::SqlUnknownColumn {
                    column: column.to_owned(),
                    hint,
                    available: fields
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            })
    };
    let mut types = Vec::new();
    for (c, _) in &plan.roles {
        types.push(type_of(c)?);
    }

    // Projection: every role under a fixed name, so that no user column name can collide.
    let mut select: Vec<Expr> = plan
        .attributes
        .iter()
        .enumerate()
        .map(|(i, a)| ident(a).alias(format!("a{i}")))
        .collect();
    select.push(ident(&spec.label).alias("y"));
    match &spec.prediction {
        Prediction::Column(c) => select.push(ident(c).alias("p")),
        Prediction::Score { column, .. } => {
            select.push(numeric_expr(column, &types[1], "score", &spec.na_values)?.alias("s"));
        }
    }
    if let Some(w) = &spec.weight {
        select.push(numeric_expr(w, &types[2], "weight", &spec.na_values)?.alias("w"));
    }

    // The grouping columns in order, each by its name in the result and its expression.
    let mut keys: Vec<(String, Expr)> = (0..plan.attributes.len())
        .map(|i| (format!("a{i}"), col(format!("a{i}"))))
        .collect();
    keys.push(("y".into(), col("y")));
    let mut aggregates = vec![count_all().unalias().alias("n")];
    // For the integer key: the number of values of a score bin (null aside).
    let mut bins = None;
    match plan.threshold {
        None => keys.push(("p".into(), col("p"))),
        Some(t) => {
            // A null score gives a null decision: the missing-score rows.
            keys.push(("d".into(), col("s").gt_eq(lit(t))));
            if let Some(edges) = &plan.score_edges {
                // The bin is the number of edges at or below the score, which is what
                // `partition_point` finds among ascending edges.
                let bin = edges
                    .iter()
                    .map(|e| cast(col("s").gt_eq(lit(*e)), DataType::Int32))
                    .reduce(|a, b| a + b)
                    .unwrap_or_else(|| lit(0i32));
                keys.push(("b".into(), bin));
                bins = Some(edges.len() + 1);
            }
            aggregates.push(min(col("s")).alias("smin"));
            aggregates.push(max(col("s")).alias("smax"));
        }
    }
    if spec.weight.is_some() {
        keys.push(("wmissing".into(), col("w").is_null()));
        aggregates.push(sum(col("w")).alias("sw"));
        aggregates.push(sum(col("w") * col("w")).alias("sw2"));
        aggregates.push(min(col("w")).alias("wmin"));
        aggregates.push(max(col("w")).alias("wmax"));
    }
    let input = input.select(select).map_err(fail)?;
    if grouping == Grouping::Key {
        match keyed(&input, &keys, bins, &aggregates, plan.attributes.len()).await {
            Keyed::Done(out) => return out.map(|b| (b, Grouping::Key)).map_err(fail),
            // A column with more distinct values than its field: the raw plan counts it (or
            // fails) as if the key had never been tried.
            Keyed::Overflowed | Keyed::NoKey => {}
        }
    }
    let group: Vec<Expr> = keys.iter().map(|(k, e)| e.clone().alias(k)).collect();
    // Sorted, so that the groups are read in the same order on every run and engine: which of
    // several bad values an error names does not depend on the engine's partitioning.
    let order = keys.iter().map(|(k, _)| col(k).sort(true, false)).collect();
    let batches = input
        .aggregate(group, aggregates)
        .and_then(|df| df.sort(order))
        .map_err(fail)?
        .collect()
        .await
        .map_err(fail)?;
    one_batch(&batches)
        .map(|b| (b, Grouping::Raw))
        .map_err(fail)
}

/// Which `GROUP BY` a local query ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grouping {
    /// By the integer key of [`key`] (with any column it cannot hold, raw, next to it).
    Key,
    /// By the raw columns: Ballista's plan, and the local fallback.
    Raw,
}

/// The outcome of the keyed plan.
enum Keyed {
    Done(Result<Option<RecordBatch>, DataFusionError>),
    Overflowed,
    NoKey,
}

/// The results' batches as one (none without rows).
fn one_batch(batches: &[RecordBatch]) -> Result<Option<RecordBatch>, DataFusionError> {
    match batches {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        [first, ..] => Ok(Some(concat_batches(&first.schema(), batches)?)),
    }
}

/// The local plan: `GROUP BY aequo_key(…)` (and any column the key cannot hold), then the key
/// decoded back into the raw columns and the rows sorted as the raw plan's query sorts them.
async fn keyed(
    input: &DataFrame,
    keys: &[(String, Expr)],
    bins: Option<usize>,
    aggregates: &[Expr],
    attributes: usize,
) -> Keyed {
    let mut candidates = Vec::with_capacity(keys.len());
    for (i, (name, e)) in keys.iter().enumerate() {
        let Ok(data_type) = e.get_type(input.schema()) else {
            // Let the raw plan report it.
            return Keyed::NoKey;
        };
        candidates.push(key::Candidate {
            name: name.clone(),
            data_type,
            attribute: i < attributes,
            values: (name == "b").then_some(bins).flatten(),
        });
    }
    let fields = key::layout(&candidates);
    if fields.is_empty() {
        return Keyed::NoKey;
    }
    let interner = Arc::new(key::Interner::new(fields));
    let keyed_names: Vec<&str> = interner.fields().iter().map(|f| f.name.as_str()).collect();
    let arguments = keys
        .iter()
        .filter(|(k, _)| keyed_names.contains(&k.as_str()))
        .map(|(_, e)| e.clone())
        .collect();
    let mut group = vec![key::KeyFunction::udf(Arc::clone(&interner))
        .call(arguments)
        .alias(KEY)];
    group.extend(
        keys.iter()
            .filter(|(k, _)| !keyed_names.contains(&k.as_str()))
            .map(|(k, e)| e.clone().alias(k)),
    );
    let collected = match input.clone().aggregate(group, aggregates.to_vec()) {
        Ok(df) => df.collect().await,
        Err(e) => Err(e),
    };
    let batches = match collected {
        Ok(b) => b,
        Err(_) if interner.overflowed() => return Keyed::Overflowed,
        Err(e) => return Keyed::Done(Err(e)),
    };
    Keyed::Done(decode(&interner, keys, &batches))
}

/// The name of the key in the grouped result.
const KEY: &str = "aequo_key";

/// The keyed plan's result with the key replaced by the raw columns it stands for, sorted by
/// the raw grouping columns as the raw plan's query sorts them (ascending, nulls last).
fn decode(
    interner: &key::Interner,
    keys: &[(String, Expr)],
    batches: &[RecordBatch],
) -> Result<Option<RecordBatch>, DataFusionError> {
    let Some(batch) = one_batch(batches)? else {
        return Ok(None);
    };
    let key = batch
        .column_by_name(KEY)
        .and_then(|k| k.as_primitive_opt::<UInt64Type>())
        .ok_or_else(|| DataFusionError::Internal("the grouped result has no key".into()))?;
    let decoded = interner.decode(key)?;
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, column) in interner.fields().iter().zip(decoded) {
        fields.push(Field::new(
            f.name.as_str(),
            column.data_type().clone(),
            true,
        ));
        columns.push(column);
    }
    let schema = batch.schema();
    for (f, column) in schema.fields().iter().zip(batch.columns()) {
        if f.name() != KEY {
            fields.push(f.as_ref().clone());
            columns.push(Arc::clone(column));
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    let order = keys
        .iter()
        .map(|(k, _)| {
            let values = batch.column_by_name(k).cloned().ok_or_else(|| {
                DataFusionError::Internal(format!("the grouped result has no column {k}"))
            })?;
            Ok(SortColumn {
                values,
                options: Some(SortOptions {
                    descending: false,
                    nulls_first: false,
                }),
            })
        })
        .collect::<Result<Vec<_>, DataFusionError>>()?;
    let indices = lexsort_to_indices(&order, None)?;
    Ok(Some(take_record_batch(&batch, &indices)?))
}

/// The embedded scan's errors about a value, without the row (a grouped result has none).
fn from_value_error(e: DataError) -> DataError {
    match e {
        DataError::BadValue {
            column,
            value,
            problem,
            hint,
            ..
        } => DataError::SqlBadValue {
            column,
            value,
            problem,
            hint,
        },
        DataError::NotBinary {
            column,
            role,
            values,
            ..
        } => DataError::SqlNotBinary {
            column,
            role,
            values,
        },
        DataError::WrongType {
            column,
            found,
            role,
            hint,
            ..
        } => DataError::SqlWrongType {
            column,
            found,
            role,
            hint,
        },
        other => other,
    }
}

fn output<'b>(batch: &'b RecordBatch, name: &str) -> &'b ArrayRef {
    batch
        .column_by_name(name)
        .expect("the aggregation names every output column")
}

fn floats(batch: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    output(batch, name)
        .as_primitive::<Float64Type>()
        .iter()
        .collect()
}

/// The levels of one attribute in the order they are met, each with its code; the same limit
/// on distinct levels as the embedded scan's `TensorBuilder`.
struct LevelCodes {
    name: String,
    codes: HashMap<Option<String>, u32>,
    seen: Vec<Level>,
}

impl LevelCodes {
    fn new(name: &str) -> LevelCodes {
        LevelCodes {
            name: name.to_owned(),
            codes: HashMap::new(),
            seen: Vec::new(),
        }
    }

    fn code(&mut self, value: Option<&str>) -> Result<u32, CountsError> {
        if let Some(&c) = self.codes.get(&value.map(str::to_owned)) {
            return Ok(c);
        }
        let too_many = || CountsError::TooManyLevels {
            attribute: self.name.clone(),
            limit: DEFAULT_MAX_LEVELS,
        };
        if self.seen.len() >= DEFAULT_MAX_LEVELS {
            return Err(too_many());
        }
        let code = u32::try_from(self.seen.len()).map_err(|_| too_many())?;
        self.seen.push(match value {
            Some(v) => Level::Value(v.to_owned()),
            None => Level::Missing,
        });
        self.codes.insert(value.map(str::to_owned), code);
        Ok(code)
    }
}

/// One row of the grouped result that is counted.
struct Group {
    codes: Vec<u32>,
    label: bool,
    prediction: bool,
    bin: Option<usize>,
    rows: u64,
    weights: Option<(f64, f64)>,
}

/// Turns the grouped rows into the scan's tensor and summary.
fn count(
    source: &SqlSource,
    spec: &ScanSpec,
    plan: &Plan,
    batches: &[RecordBatch],
) -> Result<Scan, DataError> {
    let counts_error = |source: CountsError| DataError::SqlCounts { source };
    let mut levels: Vec<LevelCodes> = plan
        .attributes
        .iter()
        .map(|name| LevelCodes::new(name))
        .collect();
    let mut label = Binary::new("label", spec.pos_label.clone());
    let mut pred = Binary::new(
        "prediction",
        spec.pred_pos_label
            .clone()
            .or_else(|| spec.pos_label.clone()),
    );
    let (pred_column, pred_role) = match &spec.prediction {
        Prediction::Column(c) => (c, "prediction"),
        Prediction::Score { column, .. } => (column, "score"),
    };
    let na = &spec.na_values;
    let at = |column| At {
        path: Path::new(QUERY_PATH),
        column,
        row0: 0,
    };

    let mut rows_read = 0u64;
    let mut rows_used = 0u64;
    let mut dropped: BTreeMap<String, u64> = BTreeMap::new();
    // Rows missing a required value under `OnMissing::Error`, by role priority.
    let mut missing = [0u64; 3];
    let mut missing_sensitive = vec![0u64; spec.sensitive.len()];
    let mut score_range: Option<(f64, f64)> = None;
    let mut groups = Vec::new();
    let mut bad_weight: Option<f64> = None;
    for batch in batches {
        let n = batch.num_rows();
        let rows = output(batch, "n").as_primitive::<Int64Type>();
        let texts = (0..plan.attributes.len())
            .map(|a| {
                as_text(
                    output(batch, &format!("a{a}")),
                    at(&plan.attributes[a]),
                    if a < spec.sensitive.len() {
                        "sensitive attribute"
                    } else {
                        "discovery column"
                    },
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(from_value_error)?;
        let labels = label
            .parse(output(batch, "y"), at(&spec.label), na)
            .map_err(from_value_error)?;
        let preds: Vec<Option<bool>> = match plan.threshold {
            None => pred
                .parse(output(batch, "p"), at(pred_column), na)
                .map_err(from_value_error)?,
            Some(_) => output(batch, "d").as_boolean().iter().collect(),
        };
        let bins: Option<Vec<Option<i32>>> = plan.score_edges.as_ref().map(|_| {
            output(batch, "b")
                .as_primitive::<Int32Type>()
                .iter()
                .collect()
        });
        let score_extremes = plan
            .threshold
            .map(|_| (floats(batch, "smin"), floats(batch, "smax")));
        let weights = spec.weight.as_ref().map(|_| {
            let missing: Vec<Option<bool>> =
                output(batch, "wmissing").as_boolean().iter().collect();
            (
                missing,
                floats(batch, "sw"),
                floats(batch, "sw2"),
                floats(batch, "wmin"),
                floats(batch, "wmax"),
            )
        });
        if let Some((_, _, _, lo, hi)) = &weights {
            // As the embedded scan, every weight is checked, also those of dropped rows.
            for x in lo.iter().chain(hi).flatten() {
                if !(x.is_finite() && *x >= 0.0) && bad_weight.is_none() {
                    bad_weight = Some(*x);
                }
            }
        }
        for i in 0..n {
            let group_rows = u64::try_from(rows.value(i)).unwrap_or(0);
            rows_read += group_rows;
            let weight_missing = weights.as_ref().is_some_and(|w| w.0[i].unwrap_or(false));
            let required = [
                (labels[i].is_none(), &spec.label, "label"),
                (preds[i].is_none(), pred_column, pred_role),
                (
                    weight_missing,
                    spec.weight.as_ref().unwrap_or(&spec.label),
                    "weight",
                ),
            ];
            if let Some(k) = required.iter().position(|(m, _, _)| *m) {
                match spec.on_missing {
                    OnMissing::Error => missing[k] += group_rows,
                    OnMissing::Drop => {
                        let (_, column, role) = required[k];
                        *dropped
                            .entry(format!("missing {role} ('{column}')"))
                            .or_insert(0) += group_rows;
                    }
                }
                continue;
            }
            let mut codes = vec![0u32; texts.len()];
            for (a, t) in texts.iter().enumerate() {
                let v = if t.is_null(i) {
                    None
                } else {
                    let v = t.value(i).trim();
                    (!is_missing_text(v, na)).then_some(v)
                };
                if v.is_none() && a < missing_sensitive.len() {
                    missing_sensitive[a] += group_rows;
                }
                codes[a] = levels[a].code(v).map_err(counts_error)?;
            }
            if let Some((lo, hi)) = &score_extremes {
                if let (Some(lo), Some(hi)) = (lo[i], hi[i]) {
                    score_range = Some(match score_range {
                        None => (lo, hi),
                        Some((a, b)) => (a.min(lo), b.max(hi)),
                    });
                }
            }
            groups.push(Group {
                codes,
                label: labels[i].unwrap_or_default(),
                prediction: preds[i].unwrap_or_default(),
                bin: bins
                    .as_ref()
                    .and_then(|b| b[i])
                    .and_then(|b| usize::try_from(b).ok()),
                rows: group_rows,
                weights: weights
                    .as_ref()
                    .map(|w| (w.1[i].unwrap_or(0.0), w.2[i].unwrap_or(0.0))),
            });
            rows_used += group_rows;
        }
    }
    if let (Some(x), Some(w)) = (bad_weight, &spec.weight) {
        return Err(DataError::SqlBadValue {
            column: w.clone(),
            value: x.to_string(),
            problem: "a weight must be finite and not negative".into(),
            hint: String::new(),
        });
    }
    if rows_read == 0 {
        return Err(DataError::SqlNoRows {
            query: source.query.clone(),
        });
    }
    let columns = [
        &spec.label,
        pred_column,
        spec.weight.as_ref().unwrap_or(&spec.label),
    ];
    if let Some(k) = missing.iter().position(|&m| m > 0) {
        return Err(DataError::SqlMissingValue {
            column: columns[k].clone(),
            rows: missing[k],
        });
    }

    // The levels of the counted rows, in canonical order (`Attribute::new`, as the embedded
    // scan's `TensorBuilder::finish`), and the groups' codes mapped into them.
    let attributes: Vec<Attribute> = levels
        .iter()
        .map(|l| Attribute::new(l.name.clone(), l.seen.iter().cloned()))
        .collect();
    let mut tensor = CountTensor::new(attributes, spec.weight.is_some()).map_err(counts_error)?;
    if let Some(edges) = &plan.score_edges {
        tensor = tensor.with_score_bins(edges.clone());
    }
    let maps: Vec<Vec<usize>> = tensor
        .attributes()
        .iter()
        .zip(&levels)
        .map(|(attribute, l)| {
            l.seen
                .iter()
                .map(|level| {
                    attribute
                        .level_index(level)
                        .expect("the attribute was made from these levels")
                })
                .collect()
        })
        .collect();
    let mut cell_codes = vec![0usize; maps.len()];
    for g in &groups {
        for (a, &c) in g.codes.iter().enumerate() {
            cell_codes[a] = maps[a][c as usize];
        }
        let cell = tensor.cell(&cell_codes);
        let s = slot(g.label, g.prediction);
        let mut counts = [0u64; 4];
        counts[s] = g.rows;
        let weighted = g.weights.map(|(w, w2)| {
            let (mut sw, mut sw2) = ([0.0; 4], [0.0; 4]);
            sw[s] = w;
            sw2[s] = w2;
            (sw, sw2)
        });
        tensor
            .add_counts(cell, counts, weighted)
            .map_err(counts_error)?;
        if let Some(b) = g.bin {
            tensor.add_score_counts(cell, g.label, b, g.rows);
        }
    }

    let summary = InputSummary {
        source: source.query.clone(),
        format: format!("sql ({})", source.engine.name()),
        label: match &label.pos_label {
            Some(p) => format!("{} (positive = {p})", spec.label),
            None => spec.label.clone(),
        },
        prediction: match &spec.prediction {
            Prediction::Column(c) => match &pred.pos_label {
                Some(p) => format!("{c} (positive = {p})"),
                None => c.clone(),
            },
            Prediction::Score { column, threshold } => format!("{column} >= {threshold}"),
        },
        weight: spec.weight.clone(),
        rows_read,
        rows_used,
        dropped: dropped
            .into_iter()
            .map(|(reason, rows)| Dropped { reason, rows })
            .collect(),
        missing_sensitive: spec
            .sensitive
            .iter()
            .cloned()
            .zip(missing_sensitive)
            .collect(),
        warnings: Vec::new(),
    };
    Ok(Scan {
        tensor,
        summary,
        scores: None,
        score_range,
        regression: None,
        multiclass: None,
    })
}
