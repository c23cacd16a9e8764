//! Conflict preference: which modality does the model follow when its inputs disagree?
//!
//! **Text Preference Ratio** (Deng, Cao, Chen, Hooi, "Words or Vision: Do Vision-Language Models
//! Have Blind Faith in Text?", CVPR 2025; code github d-ailin/blind-faith-in-text,
//! `raw_code/utils/metrics.py::get_modality_prefer_score`, read and re-implemented). Three runs
//! per item: both modalities (`a_vt`), text only (`a_t`), image only (`a_v`); only items present
//! in all three count. After cleaning ([`Cleaning`]) each item gets a status:
//! * `same` if `a_vt = a_t = a_v`; `text` if `a_vt = a_t ≠ a_v`; `image` if `a_vt = a_v ≠ a_t`;
//! * otherwise soft scores `s_t = sim(a_t, a_vt)`, `s_v = sim(a_v, a_vt)` ([`similarity`]):
//!   `both` if both > 0, `neither` if both = 0, `undefined` if exactly one is 0.
//!
//! `TPR = #text / (#text + #image)` (the code's `img_text_ratio` is `1 − TPR`); the coarse variant
//! averages an image score over the text (0), image (1) and both (raw `s_v`, as the code appends
//! it) items: `coarse image ratio = mean`, `coarse TPR = 1 − coarse image ratio`.
//!
//! **Normalised accuracy** under corrupted text: `Norm = Acc_corrupt / Acc_base` (reported ×100 in
//! the paper; GPT-4o VQAv2 70.75/78.39 = 90.25). Items paired; ratio of means with an item
//! bootstrap.
//!
//! "text" names the modality whose injected input is tested and "image" the other; the same
//! functions serve any pair (audio vs text, a synthetic channel pair).

use crate::answer::{similarity, Cleaning};
use crate::bootstrap::{estimate, weighted_mean, BootstrapConfig};
use crate::error::{check_len, Result};
use crate::value::{Estimate, Undefined};
use serde::{Deserialize, Serialize};

/// The status of one conflict item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PreferenceStatus {
    /// All three answers agree.
    Same,
    /// The combined answer equals the text-only answer (and not the image-only one).
    Text,
    /// The combined answer equals the image-only answer (and not the text-only one).
    Image,
    /// Soft match to both.
    Both {
        /// `sim(a_v, a_vt)`.
        image_score: f64,
        /// `sim(a_t, a_vt)`.
        text_score: f64,
    },
    /// Soft match to neither.
    Neither,
    /// Soft match to exactly one (not counted in either ratio).
    Undefined {
        /// `sim(a_v, a_vt)`.
        image_score: f64,
        /// `sim(a_t, a_vt)`.
        text_score: f64,
    },
}

/// Status of one item from its three answers.
pub fn preference_status(
    both: &str,
    text_only: &str,
    image_only: &str,
    cleaning: Cleaning,
) -> PreferenceStatus {
    let vt = cleaning.apply(both);
    let t = cleaning.apply(text_only);
    let v = cleaning.apply(image_only);
    let eq_t = vt == t;
    let eq_v = vt == v;
    if eq_t && eq_v {
        return PreferenceStatus::Same;
    }
    if eq_t {
        return PreferenceStatus::Text;
    }
    if eq_v {
        return PreferenceStatus::Image;
    }
    let text_score = similarity(&t, &vt);
    let image_score = similarity(&v, &vt);
    if text_score > 0.0 && image_score > 0.0 {
        PreferenceStatus::Both {
            image_score,
            text_score,
        }
    } else if text_score == 0.0 && image_score == 0.0 {
        PreferenceStatus::Neither
    } else {
        PreferenceStatus::Undefined {
            image_score,
            text_score,
        }
    }
}

/// Counts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    /// `same`.
    pub same: usize,
    /// `text`.
    pub text: usize,
    /// `image`.
    pub image: usize,
    /// `both`.
    pub both: usize,
    /// `neither`.
    pub neither: usize,
    /// `undefined`.
    pub undefined: usize,
}

/// Text preference of a set of conflict items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextPreference {
    /// Status counts.
    pub counts: StatusCounts,
    /// Items (present in all three runs).
    pub n: usize,
    /// `#text / (#text + #image)`.
    pub text_preference_ratio: Estimate,
    /// `1 − TPR` (the code's `img_text_ratio`).
    pub image_text_ratio: Estimate,
    /// Mean image score over text, image and both items (the code's `corse_img_text_ratio`).
    pub coarse_image_ratio: Estimate,
}

fn indicator(statuses: &[PreferenceStatus], f: impl Fn(&PreferenceStatus) -> f64) -> Vec<f64> {
    statuses.iter().map(f).collect()
}

/// Text Preference Ratio and its companions.
pub fn text_preference(statuses: &[PreferenceStatus], cfg: &BootstrapConfig) -> TextPreference {
    let mut counts = StatusCounts::default();
    for s in statuses {
        match s {
            PreferenceStatus::Same => counts.same += 1,
            PreferenceStatus::Text => counts.text += 1,
            PreferenceStatus::Image => counts.image += 1,
            PreferenceStatus::Both { .. } => counts.both += 1,
            PreferenceStatus::Neither => counts.neither += 1,
            PreferenceStatus::Undefined { .. } => counts.undefined += 1,
        }
    }
    let n = statuses.len();
    let is_text = indicator(statuses, |s| {
        f64::from(u8::from(matches!(s, PreferenceStatus::Text)))
    });
    let is_image = indicator(statuses, |s| {
        f64::from(u8::from(matches!(s, PreferenceStatus::Image)))
    });
    let ratio = |num: &[f64], w: &[u32]| -> Option<f64> {
        let t = weighted_mean(&is_text, w)?;
        let i = weighted_mean(&is_image, w)?;
        let a = weighted_mean(num, w)?;
        (t + i > 0.0).then(|| a / (t + i))
    };
    let zero = Undefined::ZeroDenominator {
        numerator: 0.0,
        denominator: 0.0,
    };
    let text_preference_ratio = estimate(n, cfg, zero.clone(), |w| ratio(&is_text, w));
    let image_text_ratio = estimate(n, cfg, zero.clone(), |w| ratio(&is_image, w));
    let coarse_member = indicator(statuses, |s| {
        f64::from(u8::from(matches!(
            s,
            PreferenceStatus::Text | PreferenceStatus::Image | PreferenceStatus::Both { .. }
        )))
    });
    let coarse_value = indicator(statuses, |s| match s {
        PreferenceStatus::Image => 1.0,
        PreferenceStatus::Both { image_score, .. } => *image_score,
        _ => 0.0,
    });
    let coarse_image_ratio = estimate(n, cfg, zero, |w| {
        let m = weighted_mean(&coarse_member, w)?;
        (m > 0.0).then(|| weighted_mean(&coarse_value, w).unwrap_or(0.0) / m)
    });
    TextPreference {
        counts,
        n,
        text_preference_ratio,
        image_text_ratio,
        coarse_image_ratio,
    }
}

/// Accuracy under corrupted input relative to the base accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalisedAccuracy {
    /// Mean per-item score of the base condition.
    pub base_accuracy: Estimate,
    /// Mean per-item score under the corrupted condition.
    pub corrupted_accuracy: Estimate,
    /// `corrupted / base` (×100 gives the paper's "Norm").
    pub normalised: Estimate,
}

/// Normalised accuracy from paired per-item scores in [0, 1].
pub fn normalised_accuracy(
    base: &[f64],
    corrupted: &[f64],
    cfg: &BootstrapConfig,
) -> Result<NormalisedAccuracy> {
    check_len("corrupted-condition scores", base.len(), corrupted.len())?;
    let n = base.len();
    let base_accuracy = estimate(n, cfg, Undefined::NoItems, |w| weighted_mean(base, w));
    let corrupted_accuracy = estimate(n, cfg, Undefined::NoItems, |w| weighted_mean(corrupted, w));
    let normalised = estimate(
        n,
        cfg,
        Undefined::ZeroDenominator {
            numerator: corrupted_accuracy.get().unwrap_or(0.0),
            denominator: 0.0,
        },
        |w| {
            let b = weighted_mean(base, w)?;
            (b > 0.0).then(|| weighted_mean(corrupted, w).unwrap_or(0.0) / b)
        },
    );
    Ok(NormalisedAccuracy {
        base_accuracy,
        corrupted_accuracy,
        normalised,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::*;

    #[test]
    fn statuses_hand_computed() {
        let c = Cleaning::BlindFaith;
        assert_eq!(
            preference_status("Yes.", "Yes", "Yes", c),
            PreferenceStatus::Same
        );
        assert_eq!(
            preference_status("Four.", "Four.", "Three cans.", c),
            PreferenceStatus::Text
        );
        assert_eq!(
            preference_status("One", "Three", "One.", c),
            PreferenceStatus::Image
        );
        // Case matters under the executed blind-faith cleaning.
        // Case matters under the executed blind-faith cleaning: "yes" vs "Yes" is a soft 2/3,
        // "yes" vs "No" is 0, so exactly one soft score is zero: undefined.
        assert_eq!(
            preference_status("yes", "Yes", "No", c),
            PreferenceStatus::Undefined {
                image_score: 0.0,
                text_score: 1.0 - 1.0 / 3.0
            }
        );
        assert_eq!(
            preference_status("abc", "xyz", "qrs", c),
            PreferenceStatus::Neither
        );
        assert_eq!(
            preference_status("red", "dark red", "blue", c),
            PreferenceStatus::Undefined {
                image_score: 0.0,
                text_score: 1.0
            }
        );
    }

    #[test]
    fn ratios_hand_computed() {
        let s = vec![
            PreferenceStatus::Text,
            PreferenceStatus::Text,
            PreferenceStatus::Text,
            PreferenceStatus::Image,
            PreferenceStatus::Same,
            PreferenceStatus::Both {
                image_score: 0.5,
                text_score: 1.0,
            },
            PreferenceStatus::Neither,
        ];
        let t = text_preference(&s, &BootstrapConfig::none());
        assert_eq!(t.text_preference_ratio.get(), Some(0.75));
        assert_eq!(t.image_text_ratio.get(), Some(0.25));
        // coarse: text 0, 0, 0, image 1, both 0.5 → 1.5 / 5
        assert!((t.coarse_image_ratio.get().expect("d") - 0.3).abs() < 1e-12);
        assert_eq!(t.counts.same, 1);
        let empty = text_preference(&[PreferenceStatus::Same], &BootstrapConfig::none());
        assert!(empty.text_preference_ratio.get().is_none());
    }

    #[test]
    fn normalised_accuracy_hand_computed() {
        let r = normalised_accuracy(
            &[1.0, 1.0, 0.0, 1.0],
            &[1.0, 0.0, 0.0, 0.5],
            &BootstrapConfig::none(),
        )
        .expect("ok");
        assert_eq!(r.normalised.get(), Some(0.5));
        assert!(
            normalised_accuracy(&[0.0], &[1.0], &BootstrapConfig::none())
                .expect("ok")
                .normalised
                .get()
                .is_none()
        );
        assert!(normalised_accuracy(&[0.0], &[], &BootstrapConfig::none()).is_err());
    }

    #[test]
    fn synthetic_tpr_recovers_follow_probability_and_is_monotone() {
        // Strong channels (SNR 25) so each unimodal answer is its carried class (error < 3e-4);
        // then TPR equals the probability of following the text channel in the combined input.
        let config = SynthConfig {
            classes: 2,
            items: 4000,
            channels: vec![
                ChannelSpec::new("image", 5.0, 1.0),
                ChannelSpec::new("text", 5.0, 1.0),
            ],
            mix: StructureMix::redundant(),
            shortcut: None,
            seed: 8,
        };
        let ds = SynthDataset::conflict_set(&config, 0b10).expect("valid");
        let mut last = 2.0;
        for alpha in [0.44, 0.48, 0.5, 0.52, 0.56] {
            let model = LinearFusion::alpha(alpha);
            let statuses: Vec<PreferenceStatus> = (0..ds.items.len())
                .map(|i| {
                    let p = |s: Vec<Source>| model.predict(&ds, i, &s).to_string();
                    preference_status(
                        &p(vec![Source::Own, Source::Own]),
                        &p(vec![Source::Removed, Source::Own]),
                        &p(vec![Source::Own, Source::Removed]),
                        Cleaning::Verbatim,
                    )
                })
                .collect();
            let tpr = text_preference(&statuses, &BootstrapConfig::none())
                .text_preference_ratio
                .get()
                .expect("d");
            let exact = closed_form::follow_probability(&config.channels, &model.weights, 0b10);
            assert!(
                (tpr - exact).abs() < 0.03,
                "alpha {alpha}: {tpr} vs {exact}"
            );
            assert!(tpr < last);
            last = tpr;
        }
    }
}
