//! The result of a modality audit: one serde type with a schema version, rendered to JSON and
//! Markdown. Renderers only format; every number comes from the metric modules.

use crate::bootstrap::BootstrapConfig;
use crate::conflict::{NormalisedAccuracy, TextPreference};
use crate::need::NeedSummary;
use crate::perceptual::{PerceptualScore, Reading};
use crate::robustness::RobustnessCurve;
use crate::shapley::ShapleyAttribution;
use crate::value::{Estimate, Modality};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Schema version of [`ModalityReport`].
pub const SCHEMA: &str = "aequo.modality/1";

/// Accuracy under one condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionAccuracy {
    /// Condition name.
    pub condition: String,
    /// Accuracy.
    pub accuracy: Estimate,
}

/// Perceptual score of one modality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerceptualEntry {
    /// The permuted modality.
    pub modality: Modality,
    /// The score.
    pub score: PerceptualScore,
    /// Per data subset (manifest `group`), for the marginal reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_subset: Option<BTreeMap<String, PerceptualScore>>,
}

/// Conflict preference of one modality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictEntry {
    /// The modality carrying the conflicting input ("text" in the paper).
    pub modality: Modality,
    /// Preference statuses and ratios.
    pub preference: TextPreference,
    /// Accuracy under the conflicting input relative to the full input.
    pub normalised_accuracy: NormalisedAccuracy,
}

/// A modality audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModalityReport {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The modalities.
    pub modalities: Vec<Modality>,
    /// Items in the manifest.
    pub items: usize,
    /// The bootstrap used for every interval.
    pub bootstrap: BootstrapConfig,
    /// Accuracy per condition.
    pub conditions: Vec<ConditionAccuracy>,
    /// Perceptual scores.
    pub perceptual: Vec<PerceptualEntry>,
    /// Shapley attribution (when every subset was run).
    pub shapley: Option<ShapleyAttribution>,
    /// Modality need (when single-modality and leave-one-out conditions were run).
    pub need: Option<NeedSummary>,
    /// Conflict preference per modality with conflicting inputs.
    pub conflict: Vec<ConflictEntry>,
    /// Missing-modality curves.
    pub robustness: Vec<RobustnessCurve>,
}

impl ModalityReport {
    /// An empty report.
    pub fn new(modalities: Vec<Modality>, items: usize, bootstrap: &BootstrapConfig) -> Self {
        Self {
            schema: SCHEMA.into(),
            modalities,
            items,
            bootstrap: *bootstrap,
            conditions: Vec::new(),
            perceptual: Vec::new(),
            shapley: None,
            need: None,
            conflict: Vec::new(),
            robustness: Vec::new(),
        }
    }

    /// The JSON rendering.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The Markdown summary.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let mods: Vec<&str> = self.modalities.iter().map(Modality::as_str).collect();
        let _ = writeln!(s, "# Modality reliance\n");
        let _ = writeln!(
            s,
            "{} items, modalities: {}. Intervals: {:.0}% item bootstrap, {} replicates, seed {}.\n",
            self.items,
            mods.join(", "),
            self.bootstrap.level * 100.0,
            self.bootstrap.replicates,
            self.bootstrap.seed
        );
        let _ = writeln!(
            s,
            "## Accuracy per condition\n\n| condition | accuracy |\n|---|---|"
        );
        for c in &self.conditions {
            let _ = writeln!(s, "| `{}` | {} |", c.condition, c.accuracy);
        }
        if !self.perceptual.is_empty() {
            let _ = writeln!(s, "\n## Perceptual score (accuracy drop when a modality is permuted across items)\n\n| modality | reading | unnormalised | normalised | permutations |\n|---|---|---|---|---|");
            for p in &self.perceptual {
                let reading = match &p.score.reading {
                    Reading::Marginal => "marginal".to_string(),
                    Reading::WithinGroupPermutation(g) => format!("within {g}"),
                    Reading::ModalityConditional => "modality-conditional".to_string(),
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} |",
                    p.modality,
                    reading,
                    p.score.unnormalised,
                    p.score.normalised,
                    p.score.per_permutation.len()
                );
            }
        }
        if let Some(sh) = &self.shapley {
            let _ = writeln!(s, "\n## Shapley attribution of accuracy\n\nv(all) = {:.4}, v(none) = {:.4}{}.\n\n| modality | φ | share |\n|---|---|---|", sh.full_value, sh.empty_value, if sh.empty_observed { "" } else { " (not run; set to 0)" });
            for ((m, phi), share) in sh.modalities.iter().zip(&sh.phi).zip(&sh.share) {
                let _ = writeln!(
                    s,
                    "| {m} | {phi} | {} |",
                    share.map_or("—".into(), |v| format!("{v:.3}"))
                );
            }
        }
        if let Some(need) = &self.need {
            let _ = writeln!(s, "\n## Modality need\n\nSolvable from at least one modality alone: {}.\n\n| modality | solvable alone | mean leave-one-out MIS |\n|---|---|---|", need.solvable_from_one);
            for ((m, a), mis) in need
                .modalities
                .iter()
                .zip(&need.solvable_alone)
                .zip(&need.mean_mis)
            {
                let _ = writeln!(s, "| {m} | {a} | {mis} |");
            }
            let _ = writeln!(s, "\n| class | fraction |\n|---|---|");
            for (c, f) in &need.class_fraction {
                let _ = writeln!(s, "| {c} | {f} |");
            }
        }
        for c in &self.conflict {
            let t = &c.preference;
            let _ = writeln!(
                s,
                "\n## Conflict preference: `{}`\n\nPreference ratio for the conflicting `{}` input: {} (same {}, follows it {}, follows the rest {}, both {}, neither {}, undefined {}). Normalised accuracy under the conflicting input: {}.",
                c.modality, c.modality, t.text_preference_ratio, t.counts.same, t.counts.text, t.counts.image, t.counts.both, t.counts.neither, t.counts.undefined, c.normalised_accuracy.normalised
            );
        }
        if !self.robustness.is_empty() {
            let _ = writeln!(
                s,
                "\n## Missing-modality robustness\n\n| modality | rate | accuracy |\n|---|---|---|"
            );
            for r in &self.robustness {
                for p in &r.points {
                    let _ = writeln!(s, "| {} | {} | {} |", r.modality, p.rate, p.accuracy);
                }
                let _ = writeln!(s, "| {} | AUC | {} |", r.modality, r.auc);
            }
        }
        s
    }
}
