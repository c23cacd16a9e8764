//! Errors of reading input, each naming the file, row, column and value involved.

use std::path::PathBuf;

/// Why an input could not be read into a tensor.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file's format could not be told from its name.
    #[error("{path}: cannot tell the format from the file name; give --input-format csv|tsv|parquet|arrow|ndjson")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file has no content (no header, no rows).
    #[error("{path}: the file is empty")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file has columns but no data rows.
    #[error("{path}: the file has no data rows")]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// A named column does not exist.
    #[error("{path}: no column named '{column}'{hint}; the columns are: {available}")]
    UnknownColumn {
        /// The file.
        path: PathBuf,
        /// The name asked for.
        column: String,
        /// A "did you mean" hint (may be empty).
        hint: String,
        /// The columns that exist.
        available: String,
    },
    /// The same column is given two roles.
    #[error("column '{column}' is given as both {first} and {second}")]
    ColumnTwice {
        /// The column.
        column: String,
        /// Its first role.
        first: &'static str,
        /// Its second role.
        second: &'static str,
    },
    /// The format's reader failed (malformed file or row).
    #[error("{path}: malformed {format} input{at}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The format.
        format: &'static str,
        /// Where, when known (e.g. " after row 1024").
        at: String,
        /// The reader's message.
        message: String,
    },
    /// A value that cannot be used in its role.
    #[error("{path}, row {row}, column '{column}': {problem} (value: {value}){hint}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based data row.
        row: u64,
        /// The column.
        column: String,
        /// The offending value.
        value: String,
        /// What is wrong.
        problem: String,
        /// What to do (may be empty).
        hint: String,
    },
    /// A missing label, prediction, score or weight under `--on-missing error`.
    #[error("{path}, row {row}, column '{column}': value is missing; pass --on-missing drop to skip such rows (they are counted and reported)")]
    MissingValue {
        /// The file.
        path: PathBuf,
        /// 1-based data row.
        row: u64,
        /// The column.
        column: String,
    },
    /// A column whose type cannot serve its role.
    #[error("{path}: column '{column}' has type {found}, which cannot be used as {role}; {hint}")]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// Its type.
        found: String,
        /// Its role.
        role: &'static str,
        /// What would work.
        hint: String,
    },
    /// A binary column with more than two distinct values.
    #[error("{path}, row {row}, column '{column}': the {role} has more than two distinct values ({values}); a binary audit needs exactly two — binarise the column first (or give --pos-label and keep only two values)")]
    NotBinary {
        /// The file.
        path: PathBuf,
        /// 1-based data row where the third value appeared.
        row: u64,
        /// The column.
        column: String,
        /// Its role.
        role: &'static str,
        /// The values seen.
        values: String,
    },
    /// The tensor could not hold the data.
    #[error("{path}: {source}")]
    Counts {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: aequo_core::counts::CountsError,
    },
    /// Writing output failed.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
    /// The SQL engine (DataFusion or Ballista) could not plan or run the query; its message.
    #[error("sql ({engine}): {message}")]
    Sql {
        /// "datafusion" or "ballista".
        engine: &'static str,
        /// The engine's message.
        message: String,
    },
    /// A table of a SQL source could not be registered.
    #[error("cannot register table '{name}' from {path}: {message}")]
    SqlTable {
        /// The table's name in the query.
        name: String,
        /// Its file (or directory of files).
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A column the audit needs is not in the query's result.
    #[error("the query's result has no column named '{column}'{hint}; its columns are: {available} (unquoted SQL identifiers are lowercased: write \"Name\" for a column with capitals)")]
    SqlUnknownColumn {
        /// The name asked for.
        column: String,
        /// A "did you mean" hint (may be empty).
        hint: String,
        /// The columns of the result.
        available: String,
    },
    /// A value of the query's result that cannot be used in its role.
    #[error("query result, column '{column}': {problem} (value: {value}){hint}")]
    SqlBadValue {
        /// The column.
        column: String,
        /// The offending value.
        value: String,
        /// What is wrong.
        problem: String,
        /// What to do (may be empty).
        hint: String,
    },
    /// A column of the query's result whose type cannot serve its role.
    #[error(
        "query result: column '{column}' has type {found}, which cannot be used as {role}; {hint}"
    )]
    SqlWrongType {
        /// The column.
        column: String,
        /// Its type.
        found: String,
        /// Its role.
        role: &'static str,
        /// What would work.
        hint: String,
    },
    /// A binary column of the query's result with more than two distinct values.
    #[error("query result, column '{column}': the {role} has more than two distinct values ({values}); a binary audit needs exactly two — binarise the column first (a CASE in the query), or give --pos-label and keep only two values")]
    SqlNotBinary {
        /// The column.
        column: String,
        /// Its role.
        role: &'static str,
        /// The values seen.
        values: String,
    },
    /// Missing labels, predictions, scores or weights in the query's result under
    /// `--on-missing error`.
    #[error("query result, column '{column}': {rows} rows have no value; pass --on-missing drop to skip such rows (they are counted and reported), or filter them in the query")]
    SqlMissingValue {
        /// The column.
        column: String,
        /// How many rows miss it.
        rows: u64,
    },
    /// The query returned no rows.
    #[error("the query returned no rows: {query}")]
    SqlNoRows {
        /// The query.
        query: String,
    },
    /// The query's result could not be counted into a tensor.
    #[error("query result: {source}")]
    SqlCounts {
        /// The cause.
        source: aequo_core::counts::CountsError,
    },
    /// A part of the audit that a SQL source does not support (yet).
    #[error("{what} is not supported with a SQL source; {hint}")]
    SqlUnsupported {
        /// What was asked for.
        what: String,
        /// What to do instead.
        hint: String,
    },
}
