//! Readers of published model outputs, used to validate the metrics on real data: the
//! blind-faith-in-text answer files and the XModBench per-item result files. These convert file
//! formats into the per-item inputs of the metric modules; they decide nothing.

pub mod blind_faith;
pub mod xmodbench;

use crate::error::{ModalityError, Result};
use std::path::Path;

pub(crate) fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| ModalityError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn json_id(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
