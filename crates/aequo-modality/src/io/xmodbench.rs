//! XModBench per-item result files: `benchmark/results/<model>/<task>_<context>_<candidate>.json`
//! with `score`, `correct_count`, `all_count` and `results: {"<i>": {response, is_correct,
//! index, …}}`. An item whose `response` is null has no answer (it is not in `all_count`).
//!
//! Task names map to the published families: `perception_*` → Perception, `spatial_*` → Spatial,
//! `temporal_*` → Temporal, `speech_*` → Linguistic, `external_*` → Knowledge.

use super::read_to_string;
use crate::error::{ModalityError, Result};
use crate::xmod::{Direction, TaskDirection};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

const MODALITIES: [&str; 3] = ["audio", "vision", "text"];

/// The family of a task name, after the published table.
pub fn family_of(task: &str) -> &'static str {
    match task.split('_').next().unwrap_or("") {
        "perception" => "Perception",
        "spatial" => "Spatial",
        "temporal" => "Temporal",
        "speech" => "Linguistic",
        "external" => "Knowledge",
        _ => "Other",
    }
}

#[derive(Deserialize)]
struct RawFile {
    correct_count: Option<u64>,
    all_count: Option<u64>,
    results: BTreeMap<String, RawItem>,
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    response: serde_json::Value,
    #[serde(default)]
    is_correct: Option<bool>,
    #[serde(default)]
    index: Option<u64>,
}

/// One file, with the counts it declares.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultFile {
    /// The parsed outcomes.
    pub data: TaskDirection,
    /// `correct_count` as declared.
    pub declared_correct: Option<u64>,
    /// `all_count` as declared.
    pub declared_answered: Option<u64>,
}

/// Splits `<task>_<context>_<candidate>` into its parts.
pub fn split_name(stem: &str) -> Option<(String, Direction)> {
    for c in MODALITIES {
        for d in MODALITIES {
            if c == d {
                continue;
            }
            let suffix = format!("_{c}_{d}");
            if let Some(task) = stem.strip_suffix(&suffix) {
                return Some((task.to_string(), Direction::new(c, d)));
            }
        }
    }
    None
}

/// Reads one result file.
pub fn read_file(path: &Path) -> Result<ResultFile> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let (task, direction) = split_name(&stem).ok_or_else(|| ModalityError::Parse {
        path: path.to_path_buf(),
        line: 1,
        message: "file name is not `<task>_<context>_<candidate>.json` with audio, vision or text"
            .into(),
    })?;
    let raw: RawFile =
        serde_json::from_str(&read_to_string(path)?).map_err(|e| ModalityError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("not an XModBench result file ({e})"),
        })?;
    let mut items: Vec<(u64, Option<bool>)> = raw
        .results
        .iter()
        .map(|(k, v)| {
            let idx = v.index.or_else(|| k.parse().ok()).unwrap_or(0);
            let outcome = (!v.response.is_null()).then(|| v.is_correct.unwrap_or(false));
            (idx, outcome)
        })
        .collect();
    items.sort_by_key(|(i, _)| *i);
    Ok(ResultFile {
        data: TaskDirection {
            family: family_of(&task).to_string(),
            task,
            direction,
            items,
        },
        declared_correct: raw.correct_count,
        declared_answered: raw.all_count,
    })
}

/// Reads every result file of a model directory, sorted by file name.
pub fn read_model(dir: &Path) -> Result<Vec<ResultFile>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|source| ModalityError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read_file(p)).collect()
}
