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
}
