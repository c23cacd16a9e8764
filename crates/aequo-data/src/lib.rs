//! # aequo-data
//!
//! The edge between files and the pure core: reads CSV, Parquet, Arrow IPC and NDJSON in record
//! batches (never the whole file), finds the label, prediction (or score), weight and sensitive
//! columns by name, and counts every row into an [`aequo_core::CountTensor`]. Every error names
//! the file, the row, the column and the value. [`synth`] writes realistic tables with planted
//! disparities whose true values are known, for demos and for testing that audits recover them.
//! With the `sql` feature, `sql::scan_sql` counts the result of a SQL query, run by DataFusion
//! (or by Ballista, with the `ballista` feature), into the same tensor as a scan of a file.

#![warn(missing_docs)]

pub mod alloc;
pub mod error;
pub mod format;
mod parallel;
mod read;
pub mod scan;
#[cfg(feature = "sql")]
pub mod sql;
pub mod synth;
mod values;

pub use error::DataError;
pub use format::Format;
pub use scan::{
    scan, scan_with, ExtraColumn, OnMissing, Prediction, Progress, ProgressUnit, Scan, ScanOptions,
    ScanSpec, Task,
};
#[cfg(feature = "sql")]
pub use sql::{scan_sql, Engine, SqlSource};
