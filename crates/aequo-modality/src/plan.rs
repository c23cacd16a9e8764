//! Ablation plans: from a manifest of items, the conditions a model must be run under; the
//! model's answers read back and scored into a [`ModalityReport`].
//!
//! **Manifest** (JSONL, one item per line):
//! `{"id": "q1", "label": "cat", "group": "colour", "inputs": {"image": "img/1.png", "text": "…"},
//!   "conflict": {"text": "a caption that supports a wrong answer"}}` — `group` and `conflict`
//! are optional; every item must have the same modalities in `inputs` (a path, a text, a feature
//! vector: any JSON value, passed through untouched).
//!
//! **Conditions** (stable names):
//! * coalitions — `full`, `drop:<m>` (one modality removed), `keep:<a>+<b>` (only these given),
//!   `none` (all removed); with `shapley` every subset is planned, otherwise full, each drop and
//!   each single modality alone (`keep:<m>`);
//! * `permute:<m>#<k>` — modality `m` replaced by that of another item under the `k`-th seeded
//!   permutation (`permute:<m>@<group>#<k>` when permuted within label or group);
//! * `permute:<a>+<b>#<k>` — with `joint_permutations`, the modalities of a subset permuted with
//!   one shared permutation (subset score, modality-conditional reading);
//! * `missing:<m>@<rate>` — `m` removed for a seeded, nested subset of `⌈rate·n⌉` items;
//! * `conflict:<m>` — `m` replaced by the item's conflicting input, `conflict-only:<m>` — the
//!   conflicting input alone (the other modalities removed).
//!
//! **Requests** (JSONL, one per condition × item): `{"condition", "id", "inputs": {m: value or
//! null}, "ablation": {m: "own" | "removed" | "from:<id>" | "conflict"}}`. A removed input is
//! `null`; the runner renders it as its modality's blank (empty text, blank image, silence, zero
//! vector). The label is not in the request.
//!
//! **Predictions** (JSONL `{"condition", "id", "prediction"[, "label"]}` or CSV with those
//! columns): one per request. Answers are compared with labels after trimming; ids and
//! conditions are checked against the plan.
//!
//! A runner turns each [`Request`] into a prediction string between [`Plan::requests`] and
//! [`score`], without changing either: the user's own model behind a [`Runner`], an ONNX
//! classifier (`onnx`, feature `onnx`), or an OpenAI-compatible vision-language endpoint
//! (`live`, feature `live`, through `aequo-probe`'s client and journal).

use crate::answer::Cleaning;
use crate::bootstrap::{estimate, weighted_accuracy, BootstrapConfig};
use crate::conflict::{normalised_accuracy, preference_status, text_preference};
use crate::error::{ModalityError, Result};
use crate::need::{modality_need, NeedInputs};
use crate::perceptual::{
    modality_conditional_score, perceptual_score, perceptual_score_by_subset, Reading,
};
use crate::report::{ConditionAccuracy, ConflictEntry, ModalityReport, PerceptualEntry, SCHEMA};
use crate::robustness::robustness_curve;
use crate::shapley::{shapley_on_accuracy, MAX_MODALITIES};
use crate::synth::permutation;
use crate::value::{ItemId, Modality, Undefined};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Schema of the plan file.
pub const PLAN_SCHEMA: &str = "aequo.modality.plan/1";

/// One manifest item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Unique id.
    pub id: ItemId,
    /// The correct answer.
    pub label: String,
    /// Optional data subset (question type, answer type…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Inputs per modality.
    pub inputs: BTreeMap<Modality, serde_json::Value>,
    /// Conflicting inputs per modality, if any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conflict: BTreeMap<Modality, serde_json::Value>,
}

/// A parsed manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// The modalities, sorted.
    pub modalities: Vec<Modality>,
    /// The items, in file order.
    pub items: Vec<Item>,
}

fn parse_err(path: &Path, line: usize, message: String) -> ModalityError {
    ModalityError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    }
}

impl Manifest {
    /// Parses manifest text.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let mut items: Vec<Item> = Vec::new();
        let mut first_line: HashMap<ItemId, usize> = HashMap::new();
        let mut modalities: Option<Vec<Modality>> = None;
        for (i, line) in text.lines().enumerate() {
            let ln = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let item: Item = serde_json::from_str(line).map_err(|e| {
                parse_err(path, ln, format!("not a manifest item ({e}); expected {{\"id\", \"label\", \"inputs\": {{modality: value}}}}"))
            })?;
            let mods: Vec<Modality> = item.inputs.keys().cloned().collect();
            match &modalities {
                None => {
                    if mods.is_empty() || mods.len() > MAX_MODALITIES {
                        return Err(parse_err(
                            path,
                            ln,
                            format!(
                                "{} modalities in `inputs`; use between 1 and {MAX_MODALITIES}",
                                mods.len()
                            ),
                        ));
                    }
                    modalities = Some(mods);
                }
                Some(known) => {
                    let names = || {
                        known
                            .iter()
                            .map(|m| m.0.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    if let Some(m) = mods
                        .iter()
                        .chain(item.conflict.keys())
                        .find(|m| !known.contains(m))
                    {
                        return Err(ModalityError::UnknownModality {
                            path: path.to_path_buf(),
                            line: ln,
                            modality: m.0.clone(),
                            known: names(),
                        });
                    }
                    if let Some(m) = known.iter().find(|m| !mods.contains(m)) {
                        return Err(parse_err(
                            path,
                            ln,
                            format!(
                                "item `{}` has no input for modality `{m}`; every item needs {}",
                                item.id,
                                names()
                            ),
                        ));
                    }
                }
            }
            if let Some(first) = first_line.get(&item.id) {
                return Err(ModalityError::DuplicateId {
                    path: path.to_path_buf(),
                    line: ln,
                    first_line: *first,
                    id: item.id.0.clone(),
                    what: "a manifest",
                });
            }
            first_line.insert(item.id.clone(), ln);
            items.push(item);
        }
        let modalities = modalities.ok_or_else(|| {
            parse_err(
                path,
                1,
                "the manifest has no items; add one JSON object per line".into(),
            )
        })?;
        // Conflict keys of the first item are checked here (the loop checks later items).
        if let Some(first) = items.first() {
            if let Some(m) = first.conflict.keys().find(|m| !modalities.contains(m)) {
                return Err(ModalityError::UnknownModality {
                    path: path.to_path_buf(),
                    line: first_line.get(&first.id).copied().unwrap_or(1),
                    modality: m.0.clone(),
                    known: modalities
                        .iter()
                        .map(|m| m.0.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            modalities,
            items,
        })
    }

    /// Reads a manifest file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ModalityError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }
}

/// Inside which variable permutations are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermuteWithin {
    /// Items with the same label.
    Label,
    /// Items with the same `group`.
    Group,
}

/// What to plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanConfig {
    /// Seeded permutations per modality (`K`); 0 for none.
    pub permutations: usize,
    /// Also plan permutations within label or group (in addition to the marginal ones).
    pub within: Option<PermuteWithin>,
    /// Plan every modality subset (for Shapley).
    pub shapley: bool,
    /// Rates for missing-modality curves (empty for none).
    pub missing_rates: Vec<f64>,
    /// Plan conflict conditions for items that carry conflicting inputs.
    pub conflicts: bool,
    /// Also permute every subset of two or more modalities jointly (one shared permutation):
    /// subset perceptual scores and the modality-conditional reading.
    #[serde(default)]
    pub joint_permutations: bool,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for PlanConfig {
    fn default() -> Self {
        Self {
            permutations: 5,
            within: None,
            shapley: true,
            missing_rates: Vec::new(),
            conflicts: true,
            joint_permutations: false,
            seed: 0,
        }
    }
}

/// Where one modality's input comes from in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The item's own input.
    Own,
    /// Removed.
    Removed,
    /// The input of another item (index into the manifest).
    Item(usize),
    /// The item's conflicting input.
    Conflict,
}

/// What a condition does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConditionKind {
    /// Only the modalities of the mask are given.
    Coalition {
        /// Bit mask over the manifest's modality order.
        mask: u32,
    },
    /// One modality permuted across items.
    Permute {
        /// The modality.
        modality: Modality,
        /// `label` or `group` for within-group permutations.
        within: Option<String>,
        /// Which of the `K` permutations.
        replicate: usize,
    },
    /// Several modalities permuted jointly (one shared permutation).
    PermuteJoint {
        /// Bit mask of the permuted modalities.
        mask: u32,
        /// Which of the `K` permutations.
        replicate: usize,
    },
    /// One modality removed for a fraction of items.
    Missing {
        /// The modality.
        modality: Modality,
        /// The fraction.
        rate: f64,
    },
    /// One modality replaced by the conflicting input (`alone`: the others removed).
    Conflict {
        /// The modality.
        modality: Modality,
        /// Whether the other modalities are removed.
        alone: bool,
    },
}

/// A planned condition with the source of every input of every item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// Its stable name.
    pub name: String,
    /// What it does.
    pub kind: ConditionKind,
    /// Items planned (conflict conditions only cover items with a conflicting input).
    #[serde(skip)]
    pub sources: Vec<(usize, Vec<Source>)>,
}

/// An ablation plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The manifest it was built from.
    pub manifest: Manifest,
    /// The configuration.
    pub config: PlanConfig,
    /// The conditions, in a stable order.
    pub conditions: Vec<Condition>,
}

/// One request: run the model on this item under this condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Condition name.
    pub condition: String,
    /// Item id.
    pub id: ItemId,
    /// Resolved inputs (`null` when removed).
    pub inputs: BTreeMap<Modality, serde_json::Value>,
    /// How each input was obtained.
    pub ablation: BTreeMap<Modality, String>,
}

fn coalition_name(mods: &[Modality], mask: u32) -> String {
    let all = (1u32 << mods.len()) - 1;
    if mask == all {
        return "full".into();
    }
    if mask == 0 {
        return "none".into();
    }
    if mods.len() > 1 && (all & !mask).count_ones() == 1 {
        let m = (all & !mask).trailing_zeros() as usize;
        return format!("drop:{}", mods[m]);
    }
    let names: Vec<&str> = (0..mods.len())
        .filter(|m| mask & (1 << m) != 0)
        .map(|m| mods[m].as_str())
        .collect();
    format!("keep:{}", names.join("+"))
}

fn mix(seed: u64, a: u64, b: u64) -> u64 {
    // SplitMix64-style mixing so that each condition gets an independent, reproducible stream.
    let mut z =
        seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Plan {
    /// Builds the plan.
    pub fn build(manifest: Manifest, config: PlanConfig) -> Result<Self> {
        if config
            .missing_rates
            .iter()
            .any(|r| !(0.0..=1.0).contains(r))
        {
            return Err(ModalityError::InvalidConfig {
                message: "missing rates must be in [0, 1]".into(),
            });
        }
        let mods = manifest.modalities.clone();
        let k = mods.len();
        let n = manifest.items.len();
        let all = (1u32 << k) - 1;
        let mut conditions = Vec::new();
        let mut masks: Vec<u32> = if config.shapley {
            (0..=all).rev().collect()
        } else {
            let mut v = vec![all];
            v.extend((0..k).map(|m| all & !(1 << m)));
            v.extend((0..k).map(|m| 1u32 << m));
            v
        };
        masks.dedup();
        let mut seen = std::collections::BTreeSet::new();
        for mask in masks {
            if !seen.insert(mask) {
                continue;
            }
            let src = |_: usize| {
                (0..k)
                    .map(|m| {
                        if mask & (1 << m) != 0 {
                            Source::Own
                        } else {
                            Source::Removed
                        }
                    })
                    .collect::<Vec<_>>()
            };
            conditions.push(Condition {
                name: coalition_name(&mods, mask),
                kind: ConditionKind::Coalition { mask },
                sources: (0..n).map(|i| (i, src(i))).collect(),
            });
        }
        let groups: Vec<Option<String>> = match config.within {
            None => vec![None],
            Some(PermuteWithin::Label) => vec![None, Some("label".into())],
            Some(PermuteWithin::Group) => vec![None, Some("group".into())],
        };
        for (mi, m) in mods.iter().enumerate() {
            for within in &groups {
                for r in 0..config.permutations {
                    let perm = match within.as_deref() {
                        None => permutation(n, mix(config.seed, 1 + mi as u64, r as u64)),
                        Some(var) => {
                            let key = |i: usize| -> String {
                                let it = &manifest.items[i];
                                if var == "label" {
                                    it.label.clone()
                                } else {
                                    it.group.clone().unwrap_or_default()
                                }
                            };
                            let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
                            for i in 0..n {
                                by.entry(key(i)).or_default().push(i);
                            }
                            let mut perm: Vec<usize> = (0..n).collect();
                            for (g, (_, idx)) in by.iter().enumerate() {
                                let p = permutation(
                                    idx.len(),
                                    mix(config.seed, 1000 + mi as u64 * 97 + g as u64, r as u64),
                                );
                                for (a, b) in idx.iter().zip(&p) {
                                    perm[*a] = idx[*b];
                                }
                            }
                            perm
                        }
                    };
                    let name = match within {
                        None => format!("permute:{m}#{r}"),
                        Some(v) => format!("permute:{m}@{v}#{r}"),
                    };
                    conditions.push(Condition {
                        name,
                        kind: ConditionKind::Permute {
                            modality: m.clone(),
                            within: within.clone(),
                            replicate: r,
                        },
                        sources: (0..n)
                            .map(|i| {
                                (
                                    i,
                                    (0..k)
                                        .map(|j| {
                                            if j == mi {
                                                Source::Item(perm[i])
                                            } else {
                                                Source::Own
                                            }
                                        })
                                        .collect(),
                                )
                            })
                            .collect(),
                    });
                }
            }
        }
        if config.joint_permutations {
            for mask in 1..=all {
                if mask.count_ones() < 2 {
                    continue;
                }
                for r in 0..config.permutations {
                    let perm = permutation(n, mix(config.seed, 9000 + u64::from(mask), r as u64));
                    let names: Vec<&str> = (0..k)
                        .filter(|j| mask & (1 << j) != 0)
                        .map(|j| mods[j].as_str())
                        .collect();
                    conditions.push(Condition {
                        name: format!("permute:{}#{r}", names.join("+")),
                        kind: ConditionKind::PermuteJoint { mask, replicate: r },
                        sources: (0..n)
                            .map(|i| {
                                (
                                    i,
                                    (0..k)
                                        .map(|j| {
                                            if mask & (1 << j) != 0 {
                                                Source::Item(perm[i])
                                            } else {
                                                Source::Own
                                            }
                                        })
                                        .collect(),
                                )
                            })
                            .collect(),
                    });
                }
            }
        }
        for (mi, m) in mods.iter().enumerate() {
            let order = permutation(n, mix(config.seed, 5000 + mi as u64, 0));
            let mut rank = vec![0usize; n];
            for (r, &i) in order.iter().enumerate() {
                rank[i] = r;
            }
            for &rate in &config.missing_rates {
                let cut = (rate * n as f64).ceil() as usize;
                conditions.push(Condition {
                    name: format!("missing:{m}@{rate}"),
                    kind: ConditionKind::Missing {
                        modality: m.clone(),
                        rate,
                    },
                    sources: (0..n)
                        .map(|i| {
                            (
                                i,
                                (0..k)
                                    .map(|j| {
                                        if j == mi && rank[i] < cut {
                                            Source::Removed
                                        } else {
                                            Source::Own
                                        }
                                    })
                                    .collect(),
                            )
                        })
                        .collect(),
                });
            }
        }
        if config.conflicts {
            for (mi, m) in mods.iter().enumerate() {
                let with: Vec<usize> = (0..n)
                    .filter(|i| manifest.items[*i].conflict.contains_key(m))
                    .collect();
                if with.is_empty() {
                    continue;
                }
                for alone in [false, true] {
                    conditions.push(Condition {
                        name: if alone {
                            format!("conflict-only:{m}")
                        } else {
                            format!("conflict:{m}")
                        },
                        kind: ConditionKind::Conflict {
                            modality: m.clone(),
                            alone,
                        },
                        sources: with
                            .iter()
                            .map(|&i| {
                                (
                                    i,
                                    (0..k)
                                        .map(|j| {
                                            if j == mi {
                                                Source::Conflict
                                            } else if alone {
                                                Source::Removed
                                            } else {
                                                Source::Own
                                            }
                                        })
                                        .collect(),
                                )
                            })
                            .collect(),
                    });
                }
            }
        }
        Ok(Self {
            manifest,
            config,
            conditions,
        })
    }

    /// Every request of the plan, condition by condition.
    pub fn requests(&self) -> impl Iterator<Item = Request> + '_ {
        let mods = &self.manifest.modalities;
        self.conditions.iter().flat_map(move |c| {
            c.sources.iter().map(move |(i, src)| {
                let item = &self.manifest.items[*i];
                let mut inputs = BTreeMap::new();
                let mut ablation = BTreeMap::new();
                for (m, s) in mods.iter().zip(src) {
                    let (value, how) = match s {
                        Source::Own => (
                            item.inputs.get(m).cloned().unwrap_or_default(),
                            "own".to_string(),
                        ),
                        Source::Removed => (serde_json::Value::Null, "removed".to_string()),
                        Source::Item(j) => {
                            let other = &self.manifest.items[*j];
                            (
                                other.inputs.get(m).cloned().unwrap_or_default(),
                                format!("from:{}", other.id),
                            )
                        }
                        Source::Conflict => (
                            item.conflict.get(m).cloned().unwrap_or_default(),
                            "conflict".to_string(),
                        ),
                    };
                    inputs.insert(m.clone(), value);
                    ablation.insert(m.clone(), how);
                }
                Request {
                    condition: c.name.clone(),
                    id: item.id.clone(),
                    inputs,
                    ablation,
                }
            })
        })
    }

    /// The plan summary written beside the requests.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "schema": PLAN_SCHEMA,
            "manifest": self.manifest.path,
            "modalities": self.manifest.modalities,
            "items": self.manifest.items.len(),
            "config": self.config,
            "conditions": self.conditions.iter().map(|c| serde_json::json!({"name": c.name, "items": c.sources.len(), "kind": c.kind})).collect::<Vec<_>>(),
        })
    }

    /// Writes `plan.json` and `requests.jsonl` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ModalityError::Io {
                path: path.clone(),
                source,
            }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let p = dir.join("plan.json");
        let text = serde_json::to_string_pretty(&self.summary()).unwrap_or_default();
        std::fs::write(&p, text + "\n").map_err(io(&p))?;
        let r = dir.join("requests.jsonl");
        let mut out = String::new();
        for req in self.requests() {
            out.push_str(&serde_json::to_string(&req).unwrap_or_default());
            out.push('\n');
        }
        std::fs::write(&r, out).map_err(io(&r))
    }
}

/// Something that answers plan requests one by one: the user's own model behind a function, or
/// an ONNX classifier (feature `onnx`). (The live endpoint runner, `live::run_live`,
/// runs requests concurrently through a journal instead.) A removed input arrives as `null` with
/// ablation `"removed"`; the runner renders its modality's blank.
pub trait Runner {
    /// Answers one request with the model's prediction.
    fn answer(&mut self, request: &Request) -> Result<String>;
}

impl<F> Runner for F
where
    F: FnMut(&Request) -> Result<String>,
{
    fn answer(&mut self, request: &Request) -> Result<String> {
        self(request)
    }
}

/// Runs every request of the plan through `runner`, in plan order.
pub fn run_plan<R: Runner + ?Sized>(plan: &Plan, runner: &mut R) -> Result<Vec<Prediction>> {
    plan.requests()
        .map(|r| {
            let prediction = runner.answer(&r)?;
            Ok(Prediction {
                condition: r.condition,
                id: r.id,
                prediction,
                label: None,
            })
        })
        .collect()
}

/// One prediction row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Condition name.
    pub condition: String,
    /// Item id.
    pub id: ItemId,
    /// The model's answer.
    pub prediction: String,
    /// The label, if the file repeats it (checked against the manifest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

fn json_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Splits one CSV record (RFC 4180 quoting; no embedded newlines).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Reads a Parquet file of predictions (columns `condition`, `id`, `prediction`, optionally
/// `label`, of any type that casts to text) as (row, prediction); rows are numbered from 1.
fn read_parquet_predictions(path: &Path) -> Result<Vec<(usize, Prediction)>> {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    let file = std::fs::File::open(path).map_err(|source| ModalityError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |row: usize, e: &dyn std::fmt::Display| parse_err(path, row, e.to_string());
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(0, &format!("not a Parquet file ({e})")))?
        .build()
        .map_err(|e| bad(0, &e))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| bad(rows.len() + 1, &e))?;
        let text = |name: &str| -> Result<Option<arrow_array::ArrayRef>> {
            let Ok(i) = batch.schema().index_of(name) else {
                return Ok(None);
            };
            arrow_cast::cast(batch.column(i), &arrow_schema::DataType::Utf8)
                .map(Some)
                .map_err(|e| bad(0, &format!("column '{name}' cannot be read as text ({e})")))
        };
        let (Some(c), Some(i), Some(p)) = (text("condition")?, text("id")?, text("prediction")?)
        else {
            return Err(bad(
                0,
                &"a Parquet predictions file needs columns condition, id, prediction (and optionally label)",
            ));
        };
        let l = text("label")?;
        let (c, i, p) = (
            c.as_string::<i32>(),
            i.as_string::<i32>(),
            p.as_string::<i32>(),
        );
        for r in 0..batch.num_rows() {
            let row = rows.len() + 1;
            let get = |a: &arrow_array::StringArray, what: &str| {
                if a.is_null(r) {
                    Err(bad(row, &format!("the {what} is missing")))
                } else {
                    Ok(a.value(r).to_owned())
                }
            };
            let label = l
                .as_ref()
                .map(|l| l.as_string::<i32>())
                .filter(|l| !l.is_null(r))
                .map(|l| l.value(r).to_owned());
            rows.push((
                row,
                Prediction {
                    condition: get(c, "condition")?,
                    id: ItemId(get(i, "id")?),
                    prediction: get(p, "prediction")?,
                    label,
                },
            ));
        }
    }
    Ok(rows)
}

/// Reads predictions as (line, row): JSONL, CSV when the file name ends in `.csv`, Parquet when
/// it ends in `.parquet` (then "line" is the 1-based row).
pub fn read_predictions(path: &Path) -> Result<Vec<(usize, Prediction)>> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return read_parquet_predictions(path);
    }
    let text = std::fs::read_to_string(path).map_err(|source| ModalityError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut rows = Vec::new();
    if is_csv {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let header = lines
            .next()
            .map(|(_, l)| csv_fields(l.trim_end_matches('\r')))
            .unwrap_or_default();
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        let (c, i, p) = match (col("condition"), col("id"), col("prediction")) {
            (Some(c), Some(i), Some(p)) => (c, i, p),
            _ => {
                return Err(parse_err(
                    path,
                    1,
                    "CSV header needs columns condition, id, prediction (and optionally label)"
                        .into(),
                ))
            }
        };
        let l = col("label");
        for (n, line) in lines {
            let f = csv_fields(line.trim_end_matches('\r'));
            let get = |k: usize| {
                f.get(k).cloned().ok_or_else(|| {
                    parse_err(
                        path,
                        n + 1,
                        format!("{} fields, the header has {}", f.len(), header.len()),
                    )
                })
            };
            rows.push((
                n + 1,
                Prediction {
                    condition: get(c)?,
                    id: ItemId(get(i)?),
                    prediction: get(p)?,
                    label: l.and_then(|k| f.get(k).cloned()),
                },
            ));
        }
    } else {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| parse_err(path, n + 1, format!("not JSON ({e})")))?;
            let field = |k: &str| v.get(k).map(json_string);
            let (Some(condition), Some(id), Some(prediction)) =
                (field("condition"), field("id"), field("prediction"))
            else {
                return Err(parse_err(
                    path,
                    n + 1,
                    "a prediction row needs condition, id and prediction".into(),
                ));
            };
            rows.push((
                n + 1,
                Prediction {
                    condition,
                    id: ItemId(id),
                    prediction,
                    label: field("label"),
                },
            ));
        }
    }
    Ok(rows)
}

/// Scoring options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreConfig {
    /// Bootstrap.
    pub bootstrap: BootstrapConfig,
    /// Compare answers case-insensitively.
    pub case_insensitive: bool,
    /// Cleaning for conflict-status comparisons.
    pub cleaning: Cleaning,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        Self {
            bootstrap: BootstrapConfig::default(),
            case_insensitive: true,
            cleaning: Cleaning::BlindFaith,
        }
    }
}

/// Answers per condition, item-aligned with the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    /// `answers[c][i]`: answer of item `i` under condition `c` (None where the condition does
    /// not cover the item).
    pub by_condition: Vec<Vec<Option<String>>>,
}

/// Checks predictions against the plan: every row known, no duplicates, labels agree, every
/// planned (condition, item) present.
pub fn align(plan: &Plan, path: &Path, rows: &[(usize, Prediction)]) -> Result<Answers> {
    let cond_index: HashMap<&str, usize> = plan
        .conditions
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let item_index: HashMap<&ItemId, usize> = plan
        .manifest
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (&it.id, i))
        .collect();
    let n = plan.manifest.items.len();
    let mut by_condition = vec![vec![None; n]; plan.conditions.len()];
    let mut first: HashMap<(usize, usize), usize> = HashMap::new();
    for (line, p) in rows {
        let Some(&c) = cond_index.get(p.condition.as_str()) else {
            let known: Vec<&str> = plan
                .conditions
                .iter()
                .take(6)
                .map(|c| c.name.as_str())
                .collect();
            return Err(ModalityError::UnknownCondition {
                path: path.to_path_buf(),
                line: *line,
                condition: p.condition.clone(),
                known: format!("{}, …", known.join(", ")),
            });
        };
        let Some(&i) = item_index.get(&p.id) else {
            return Err(ModalityError::UnknownItem {
                path: path.to_path_buf(),
                line: *line,
                id: p.id.0.clone(),
            });
        };
        if let Some(l) = &p.label {
            let expected = &plan.manifest.items[i].label;
            if l.trim() != expected.trim() {
                return Err(ModalityError::LabelMismatch {
                    path: path.to_path_buf(),
                    line: *line,
                    id: p.id.0.clone(),
                    expected: expected.clone(),
                    got: l.clone(),
                });
            }
        }
        if let Some(f) = first.insert((c, i), *line) {
            return Err(ModalityError::DuplicateId {
                path: path.to_path_buf(),
                line: *line,
                first_line: f,
                id: format!("{} under {}", p.id, p.condition),
                what: "a prediction file",
            });
        }
        by_condition[c][i] = Some(p.prediction.clone());
    }
    for (c, cond) in plan.conditions.iter().enumerate() {
        let missing: Vec<usize> = cond
            .sources
            .iter()
            .map(|(i, _)| *i)
            .filter(|i| by_condition[c][*i].is_none())
            .collect();
        if let Some(&first_missing) = missing.first() {
            return Err(ModalityError::MissingCondition {
                path: path.to_path_buf(),
                condition: cond.name.clone(),
                missing: missing.len(),
                expected: cond.sources.len(),
                example: plan.manifest.items[first_missing].id.0.clone(),
            });
        }
    }
    Ok(Answers { by_condition })
}

/// Scores aligned answers into a report.
pub fn score(plan: &Plan, answers: &Answers, cfg: &ScoreConfig) -> Result<ModalityReport> {
    let items = &plan.manifest.items;
    let n = items.len();
    let mods = &plan.manifest.modalities;
    let k = mods.len();
    let all = (1u32 << k) - 1;
    let boot = &cfg.bootstrap;
    let eq = |a: &str, b: &str| {
        if cfg.case_insensitive {
            a.trim().eq_ignore_ascii_case(b.trim())
        } else {
            a.trim() == b.trim()
        }
    };
    let correct: Vec<Vec<bool>> = answers
        .by_condition
        .iter()
        .map(|col| {
            col.iter()
                .zip(items)
                .map(|(a, it)| a.as_deref().is_some_and(|a| eq(a, &it.label)))
                .collect()
        })
        .collect();
    let find = |name: &str| plan.conditions.iter().position(|c| c.name == name);
    let coalition = |mask: u32| find(&coalition_name(mods, mask)).map(|c| correct[c].clone());
    let mut report = ModalityReport::new(mods.clone(), n, boot);
    for (c, cond) in plan.conditions.iter().enumerate() {
        let idx: Vec<usize> = cond.sources.iter().map(|(i, _)| *i).collect();
        let v: Vec<bool> = idx.iter().map(|&i| correct[c][i]).collect();
        report.conditions.push(ConditionAccuracy {
            condition: cond.name.clone(),
            accuracy: estimate(v.len(), boot, Undefined::NoItems, |w| {
                weighted_accuracy(&v, w)
            }),
        });
    }
    let full = coalition(all).ok_or_else(|| ModalityError::ConditionAbsent {
        condition: "full".into(),
        metric: "every modality metric".into(),
    })?;
    let groups: Option<Vec<String>> = items.iter().map(|it| it.group.clone()).collect();
    for m in mods {
        for within in [None, Some("label"), Some("group")] {
            let perms: Vec<Vec<bool>> = plan
                .conditions
                .iter()
                .enumerate()
                .filter(|(_, c)| matches!(&c.kind, ConditionKind::Permute { modality, within: w, .. } if modality == m && w.as_deref() == within))
                .map(|(i, _)| correct[i].clone())
                .collect();
            if perms.is_empty() {
                continue;
            }
            let reading = within.map_or(Reading::Marginal, |w| {
                Reading::WithinGroupPermutation(w.into())
            });
            let score = perceptual_score(&full, &perms, reading, boot)?;
            let by_subset = match (&groups, within) {
                (Some(g), None) => Some(perceptual_score_by_subset(&full, &perms, g, boot)?),
                _ => None,
            };
            report.perceptual.push(PerceptualEntry {
                modality: m.clone(),
                score,
                by_subset,
            });
        }
    }
    // Joint permutations: subset scores, and the modality-conditional reading
    // P_{m|S'} = E[acc(D^π_{S'})] − E[acc(D^π_{S' ∪ {m}})].
    let permuted_by_mask = |mask: u32| -> Vec<Vec<bool>> {
        plan.conditions
            .iter()
            .enumerate()
            .filter(|(_, c)| match &c.kind {
                ConditionKind::PermuteJoint { mask: m2, .. } => *m2 == mask,
                ConditionKind::Permute {
                    modality,
                    within: None,
                    ..
                } => {
                    mask.count_ones() == 1
                        && mods.get(mask.trailing_zeros() as usize) == Some(modality)
                }
                _ => false,
            })
            .map(|(i, _)| correct[i].clone())
            .collect()
    };
    for mask in 1..=all {
        if mask.count_ones() < 2 {
            continue;
        }
        let joint = permuted_by_mask(mask);
        if joint.is_empty() {
            continue;
        }
        let names: Vec<&str> = (0..k)
            .filter(|j| mask & (1 << j) != 0)
            .map(|j| mods[j].as_str())
            .collect();
        let score = perceptual_score(&full, &joint, Reading::Marginal, boot)?;
        report.perceptual.push(PerceptualEntry {
            modality: Modality(names.join("+")),
            score,
            by_subset: None,
        });
        for m in 0..k {
            if mask & (1 << m) == 0 {
                continue;
            }
            let base = permuted_by_mask(mask & !(1 << m));
            if base.is_empty() {
                continue;
            }
            let rest: Vec<&str> = names
                .iter()
                .copied()
                .filter(|x| *x != mods[m].as_str())
                .collect();
            let score = modality_conditional_score(&base, &joint, boot)?;
            report.perceptual.push(PerceptualEntry {
                modality: Modality(format!("{}|{}", mods[m], rest.join("+"))),
                score,
                by_subset: None,
            });
        }
    }
    let masks: Vec<Option<Vec<bool>>> = (0..=all).map(coalition).collect();
    if masks.iter().skip(1).all(Option::is_some) && k >= 2 {
        report.shapley = Some(shapley_on_accuracy(mods, &masks, boot)?);
    }
    let alone: Option<Vec<Vec<bool>>> = (0..k).map(|m| coalition(1 << m)).collect();
    let without: Option<Vec<Vec<bool>>> = (0..k).map(|m| coalition(all & !(1 << m))).collect();
    if let (Some(alone), Some(without)) = (alone, without) {
        if k >= 2 {
            let (_, summary) = modality_need(
                mods,
                &NeedInputs {
                    full: &full,
                    alone: &alone,
                    without: &without,
                },
                boot,
            )?;
            report.need = Some(summary);
        }
    }
    for (mi, m) in mods.iter().enumerate() {
        let (Some(cb), Some(ca)) = (
            find(&format!("conflict:{m}")),
            find(&format!("conflict-only:{m}")),
        ) else {
            continue;
        };
        let Some(other) = find(&coalition_name(mods, all & !(1 << mi))) else {
            continue;
        };
        let idx: Vec<usize> = plan.conditions[cb]
            .sources
            .iter()
            .map(|(i, _)| *i)
            .collect();
        let get = |c: usize, i: usize| answers.by_condition[c][i].clone().unwrap_or_default();
        let statuses: Vec<_> = idx
            .iter()
            .map(|&i| preference_status(&get(cb, i), &get(ca, i), &get(other, i), cfg.cleaning))
            .collect();
        let base: Vec<f64> = idx.iter().map(|&i| f64::from(u8::from(full[i]))).collect();
        let corrupted: Vec<f64> = idx
            .iter()
            .map(|&i| f64::from(u8::from(correct[cb][i])))
            .collect();
        report.conflict.push(ConflictEntry {
            modality: m.clone(),
            preference: text_preference(&statuses, boot),
            normalised_accuracy: normalised_accuracy(&base, &corrupted, boot)?,
        });
    }
    for m in mods {
        let mut by_rate: Vec<(f64, Vec<bool>)> = plan
            .conditions
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match &c.kind {
                ConditionKind::Missing { modality, rate } if modality == m => {
                    Some((*rate, correct[i].clone()))
                }
                _ => None,
            })
            .collect();
        if by_rate.is_empty() {
            continue;
        }
        if !by_rate.iter().any(|(r, _)| *r == 0.0) {
            by_rate.push((0.0, full.clone()));
        }
        if by_rate.len() >= 2 {
            report
                .robustness
                .push(robustness_curve(m.clone(), &by_rate, boot)?);
        }
    }
    debug_assert_eq!(report.schema, SCHEMA);
    Ok(report)
}

/// Writes predictions as JSONL (`{"condition", "id", "prediction"}` per line).
pub fn write_predictions(path: &Path, predictions: &[Prediction]) -> Result<()> {
    let mut out = String::new();
    for p in predictions {
        out.push_str(&serde_json::to_string(p).unwrap_or_default());
        out.push('\n');
    }
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(|source| ModalityError::Io {
            path: d.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, out).map_err(|source| ModalityError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let text = (0..6)
            .map(|i| format!(r#"{{"id":"q{i}","label":"{}","group":"g{}","inputs":{{"image":"img{i}.png","text":"t{i}"}},"conflict":{{"text":"wrong{i}"}}}}"#, i % 2, i % 3))
            .collect::<Vec<_>>()
            .join("\n");
        Manifest::parse(Path::new("m.jsonl"), &text).expect("valid")
    }

    #[test]
    fn condition_names_and_counts() {
        let plan = Plan::build(
            manifest(),
            PlanConfig {
                permutations: 2,
                within: Some(PermuteWithin::Label),
                missing_rates: vec![0.5],
                ..PlanConfig::default()
            },
        )
        .expect("ok");
        let names: Vec<&str> = plan.conditions.iter().map(|c| c.name.as_str()).collect();
        for expected in [
            "full",
            "drop:image",
            "drop:text",
            "none",
            "permute:image#0",
            "permute:text@label#1",
            "missing:image@0.5",
            "conflict:text",
            "conflict-only:text",
        ] {
            assert!(names.contains(&expected), "{expected} not in {names:?}");
        }
        // Within-label permutations only swap items with the same label.
        let c = plan
            .conditions
            .iter()
            .find(|c| c.name == "permute:image@label#0")
            .expect("planned");
        for (i, src) in &c.sources {
            if let Source::Item(j) = src[0] {
                assert_eq!(plan.manifest.items[*i].label, plan.manifest.items[j].label);
            }
        }
        let reqs: Vec<Request> = plan.requests().collect();
        let r = reqs
            .iter()
            .find(|r| r.condition == "drop:image")
            .expect("request");
        assert_eq!(r.inputs[&Modality::new("image")], serde_json::Value::Null);
        assert_eq!(r.ablation[&Modality::new("text")], "own");
        let joint = Plan::build(
            manifest(),
            PlanConfig {
                permutations: 1,
                joint_permutations: true,
                ..PlanConfig::default()
            },
        )
        .expect("ok");
        let c = joint
            .conditions
            .iter()
            .find(|c| c.name == "permute:image+text#0")
            .expect("joint planned");
        for (_, src) in &c.sources {
            assert_eq!(src[0], src[1], "one shared permutation");
        }
        let again = Plan::build(manifest(), plan.config.clone()).expect("ok");
        assert_eq!(again.conditions, plan.conditions);
    }

    #[test]
    fn manifest_errors() {
        let dup = "{\"id\":\"a\",\"label\":\"1\",\"inputs\":{\"x\":1}}\n{\"id\":\"a\",\"label\":\"1\",\"inputs\":{\"x\":2}}";
        assert!(matches!(
            Manifest::parse(Path::new("m"), dup),
            Err(ModalityError::DuplicateId { line: 2, .. })
        ));
        let unknown = "{\"id\":\"a\",\"label\":\"1\",\"inputs\":{\"x\":1}}\n{\"id\":\"b\",\"label\":\"1\",\"inputs\":{\"x\":2,\"y\":3}}";
        let e = Manifest::parse(Path::new("m"), unknown).expect_err("unknown");
        assert!(
            matches!(e, ModalityError::UnknownModality { ref modality, .. } if modality == "y")
        );
        assert!(e.to_string().contains("unknown modality `y`"));
        let unknown_conflict =
            "{\"id\":\"a\",\"label\":\"1\",\"inputs\":{\"x\":1},\"conflict\":{\"z\":1}}";
        assert!(matches!(
            Manifest::parse(Path::new("m"), unknown_conflict),
            Err(ModalityError::UnknownModality { .. })
        ));
        assert!(Manifest::parse(Path::new("m"), "").is_err());
    }

    #[test]
    fn closure_runner_answers_every_request() {
        let plan = Plan::build(
            manifest(),
            PlanConfig {
                permutations: 1,
                ..PlanConfig::default()
            },
        )
        .expect("ok");
        let mut calls = 0;
        let preds = run_plan(&plan, &mut |r: &Request| -> Result<String> {
            calls += 1;
            Ok(if r.inputs.values().all(|v| !v.is_null()) {
                "1".into()
            } else {
                "0".into()
            })
        })
        .expect("ran");
        assert_eq!(preds.len(), plan.requests().count());
        let answers = align(
            &plan,
            Path::new("p"),
            &preds.into_iter().enumerate().collect::<Vec<_>>(),
        )
        .expect("aligned");
        let report = score(
            &plan,
            &answers,
            &ScoreConfig {
                bootstrap: BootstrapConfig::none(),
                ..ScoreConfig::default()
            },
        )
        .expect("scored");
        assert_eq!(report.conditions[0].condition, "full");
        assert!(calls > 0);
    }

    #[test]
    fn csv_fields_quote() {
        assert_eq!(csv_fields(r#"a,"b,c","d""e""#), vec!["a", "b,c", "d\"e"]);
    }
}
