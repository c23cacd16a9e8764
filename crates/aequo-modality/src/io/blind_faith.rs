//! The answer files of "Words or Vision: Do Vision-Language Models Have Blind Faith in Text?"
//! (github d-ailin/blind-faith-in-text, `raw_code/outputs/<dataset>/<model>/*.jsonl`).
//!
//! One directory per model holds seven runs: the base run (image + question,
//! `t=0_seed=0.jsonl`) and, for each text source — match (`supp_stat`), corruption
//! (`contradict_stat`), irrelevance (`irrel_wikitext`) — one run with the image and the text and
//! one without the image (`intype=wo-img`). Rows whose answers or log-probabilities are the string
//! `"Error"` are skipped, and a row limit counts kept rows, as the authors' `eval_one_file.py` does.

use super::{json_id, read_to_string};
use crate::answer::{anls, docvqa_exact, vqa_substring_match, Cleaning};
use crate::conflict::{preference_status, PreferenceStatus};
use crate::error::{ModalityError, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The text injected beside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// Text supporting the right answer (`supp_stat`).
    Match,
    /// Text supporting a wrong answer (`contradict_stat`).
    Corruption,
    /// Irrelevant text (`irrel_wikitext`).
    Irrelevance,
}

impl TextSource {
    /// All three, in the paper's order.
    pub const ALL: [TextSource; 3] = [
        TextSource::Corruption,
        TextSource::Match,
        TextSource::Irrelevance,
    ];

    fn tag(self) -> &'static str {
        match self {
            TextSource::Match => "textsrc=supp_stat",
            TextSource::Corruption => "textsrc=contradict_stat",
            TextSource::Irrelevance => "textsrc=irrel_wikitext",
        }
    }
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            TextSource::Match => "match",
            TextSource::Corruption => "corruption",
            TextSource::Irrelevance => "irrelevance",
        }
    }
}

/// One answer row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The question id (numbers rendered as text).
    pub question_id: String,
    /// The model's answer.
    pub output: String,
    /// The reference answers.
    pub answers: Vec<String>,
}

#[derive(Deserialize)]
struct RawRow {
    question_id: serde_json::Value,
    output: serde_json::Value,
    answers: serde_json::Value,
    #[serde(default)]
    logprobs: serde_json::Value,
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::Array(a) => {
            // The authors' "fix bug": a list holding one list is flattened.
            if a.len() == 1 {
                if let serde_json::Value::Array(inner) = &a[0] {
                    return inner.iter().map(json_id).collect();
                }
            }
            a.iter().map(json_id).collect()
        }
        other => vec![json_id(other)],
    }
}

/// Reads one answer file, keeping at most `limit` rows.
pub fn read_rows(path: &Path, limit: Option<usize>) -> Result<Vec<Row>> {
    let text = read_to_string(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let raw: RawRow = serde_json::from_str(line).map_err(|e| ModalityError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message: format!(
                "not a blind-faith answer row ({e}); expected question_id, output and answers"
            ),
        })?;
        let error = serde_json::Value::String("Error".into());
        if raw.answers == error || raw.logprobs == error {
            continue;
        }
        out.push(Row {
            question_id: json_id(&raw.question_id),
            output: match raw.output {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            },
            answers: strings(&raw.answers),
        });
    }
    Ok(out)
}

/// The seven runs of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRuns {
    /// Image + question.
    pub base: Vec<Row>,
    /// Image + question + text, per text source.
    pub with_image: BTreeMap<TextSource, Vec<Row>>,
    /// Question + text without the image, per text source.
    pub text_only: BTreeMap<TextSource, Vec<Row>>,
}

fn find(dir: &Path, source: TextSource, with_image: bool) -> Result<PathBuf> {
    let entries = std::fs::read_dir(dir).map_err(|e| ModalityError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.ends_with(".jsonl")
            && name.contains(source.tag())
            && name.contains("intype=wo-img") != with_image
        {
            return Ok(e.path());
        }
    }
    Err(ModalityError::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no run for text source `{}` {} the image; expected a file name containing `{}`",
                source.name(),
                if with_image { "with" } else { "without" },
                source.tag()
            ),
        ),
    })
}

/// Loads the runs of the model directory `dir`, at most `limit` kept rows per file.
pub fn load_model(dir: &Path, limit: Option<usize>) -> Result<ModelRuns> {
    let base = read_rows(&dir.join("t=0_seed=0.jsonl"), limit)?;
    let mut with_image = BTreeMap::new();
    let mut text_only = BTreeMap::new();
    for s in TextSource::ALL {
        with_image.insert(s, read_rows(&find(dir, s, true)?, limit)?);
        text_only.insert(s, read_rows(&find(dir, s, false)?, limit)?);
    }
    Ok(ModelRuns {
        base,
        with_image,
        text_only,
    })
}

/// Per-item conflict statuses for one text source: combined = image + text, text-only = the run
/// without the image, image-only = the base run; items present in all three, in the order of the
/// combined run.
pub fn statuses(
    runs: &ModelRuns,
    source: TextSource,
    cleaning: Cleaning,
) -> Vec<(String, PreferenceStatus)> {
    let empty = Vec::new();
    let both = runs.with_image.get(&source).unwrap_or(&empty);
    let text: HashMap<&str, &Row> = runs
        .text_only
        .get(&source)
        .unwrap_or(&empty)
        .iter()
        .map(|r| (r.question_id.as_str(), r))
        .collect();
    let image: HashMap<&str, &Row> = runs
        .base
        .iter()
        .map(|r| (r.question_id.as_str(), r))
        .collect();
    let mut seen = HashSet::new();
    both.iter()
        .filter_map(|r| {
            let t = text.get(r.question_id.as_str())?;
            let v = image.get(r.question_id.as_str())?;
            seen.insert(r.question_id.as_str()).then(|| {
                (
                    r.question_id.clone(),
                    preference_status(&r.output, &t.output, &v.output, cleaning),
                )
            })
        })
        .collect()
}

/// How an answer is scored against the references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scorer {
    /// Single-reference VQA match, blind-faith substring rule.
    VqaSubstring,
    /// DocVQA ANLS (threshold 0.5).
    Anls,
    /// DocVQA exact match.
    DocvqaExact,
}

impl Scorer {
    /// Scores one row.
    pub fn score(self, row: &Row) -> f64 {
        match self {
            Scorer::VqaSubstring => vqa_substring_match(&row.output, &row.answers),
            Scorer::Anls => anls(&row.output, &row.answers),
            Scorer::DocvqaExact => docvqa_exact(&row.output, &row.answers),
        }
    }
}

/// Paired per-item scores of the base run and of `run`, over the ids present in both.
pub fn paired_scores(base: &[Row], run: &[Row], scorer: Scorer) -> (Vec<f64>, Vec<f64>) {
    let other: HashMap<&str, &Row> = run.iter().map(|r| (r.question_id.as_str(), r)).collect();
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut seen = HashSet::new();
    for r in base {
        if let Some(o) = other.get(r.question_id.as_str()) {
            if seen.insert(r.question_id.as_str()) {
                a.push(scorer.score(r));
                b.push(scorer.score(o));
            }
        }
    }
    (a, b)
}
