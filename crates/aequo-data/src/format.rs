//! Input formats and how they are recognised.

use std::path::Path;

use crate::error::DataError;

/// A supported input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC, file or stream format (`.arrow`, `.feather`, `.ipc`).
    Arrow,
    /// Newline-delimited JSON, one object per line.
    Ndjson,
}

impl Format {
    /// Parses a format name.
    pub fn from_name(s: &str) -> Option<Format> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "parquet" | "pq" => Format::Parquet,
            "arrow" | "ipc" | "feather" | "arrows" => Format::Arrow,
            "ndjson" | "jsonl" | "json" => Format::Ndjson,
            _ => return None,
        })
    }

    /// Recognises a format from a file's extension.
    pub fn from_path(path: &Path) -> Result<Format, DataError> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::from_name)
            .ok_or_else(|| DataError::UnknownFormat {
                path: path.to_owned(),
            })
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
            Format::Ndjson => "ndjson",
        }
    }
}
