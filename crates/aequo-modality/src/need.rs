//! Item-level modality need, after the Modality Importance Score (MIS; Park et al., arXiv
//! 2408.12763), and the dataset-level summary: which fraction of a benchmark is solvable from one
//! modality alone ("Text Takes Over", DAVE).
//!
//! With `perf_i(S) = 1[answer of item i correct when only the modalities in S are given]`:
//! * **MIS (leave-one-out reading)** `MIS_i^m = perf_i(M) − perf_i(M ∖ {m})` ∈ {−1, 0, 1}:
//!   positive — `m` is needed; zero — not needed; negative — `m` interferes. The paper's
//!   aggregation over the sets of subsets including / excluding `m` could not be verified; this
//!   crate fixes the leave-one-out pair and documents it.
//! * **Need class** from the full input and each single modality alone:
//!   [`NeedClass::AnyOne`] every single modality suffices (modality-agnostic);
//!   [`NeedClass::OnlyFrom`] exactly one does (unimodal); [`NeedClass::Several`] some but not all;
//!   [`NeedClass::Complementary`] the full input is right but no single modality is (needs ≥ 2);
//!   [`NeedClass::Interference`] a single modality is right but the full input is wrong;
//!   [`NeedClass::Unsolved`] neither.

use crate::bootstrap::{estimate, weighted_mean, BootstrapConfig};
use crate::error::{check_len, ModalityError, Result};
use crate::value::{Estimate, Modality, Undefined};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an item needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "class", content = "modality", rename_all = "snake_case")]
pub enum NeedClass {
    /// Every single modality alone suffices.
    AnyOne,
    /// Exactly this modality alone suffices.
    OnlyFrom(Modality),
    /// Several but not all single modalities suffice.
    Several,
    /// Only a combination of modalities suffices.
    Complementary,
    /// A single modality is right but the full input is wrong.
    Interference,
    /// Wrong with the full input and with every single modality.
    Unsolved,
}

impl NeedClass {
    /// A short stable name (`only_from:text`).
    pub fn name(&self) -> String {
        match self {
            NeedClass::AnyOne => "any_one".into(),
            NeedClass::OnlyFrom(m) => format!("only_from:{m}"),
            NeedClass::Several => "several".into(),
            NeedClass::Complementary => "complementary".into(),
            NeedClass::Interference => "interference".into(),
            NeedClass::Unsolved => "unsolved".into(),
        }
    }
}

/// The need of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemNeed {
    /// Leave-one-out MIS per modality.
    pub mis: Vec<i8>,
    /// Correct with each modality alone.
    pub alone: Vec<bool>,
    /// Correct with the full input.
    pub full: bool,
    /// The class.
    pub class: NeedClass,
}

/// Dataset summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedSummary {
    /// The modalities.
    pub modalities: Vec<Modality>,
    /// Fraction of items per class.
    pub class_fraction: BTreeMap<String, Estimate>,
    /// Fraction solvable from each modality alone.
    pub solvable_alone: Vec<Estimate>,
    /// Fraction solvable from at least one single modality.
    pub solvable_from_one: Estimate,
    /// Mean leave-one-out MIS per modality.
    pub mean_mis: Vec<Estimate>,
}

/// Correctness with the full input, with each modality alone and without each modality.
pub struct NeedInputs<'a> {
    /// Full input.
    pub full: &'a [bool],
    /// `alone[m]`: only modality `m` given.
    pub alone: &'a [Vec<bool>],
    /// `without[m]`: every modality but `m` given.
    pub without: &'a [Vec<bool>],
}

/// Per-item need and the dataset summary.
pub fn modality_need(
    modalities: &[Modality],
    inputs: &NeedInputs<'_>,
    cfg: &BootstrapConfig,
) -> Result<(Vec<ItemNeed>, NeedSummary)> {
    let k = modalities.len();
    let n = inputs.full.len();
    if k == 0 {
        return Err(ModalityError::InvalidConfig {
            message: "modality need needs at least one modality".into(),
        });
    }
    check_len("single-modality conditions", k, inputs.alone.len())?;
    check_len("leave-one-out conditions", k, inputs.without.len())?;
    for c in inputs.alone.iter().chain(inputs.without) {
        check_len("a condition's correctness", n, c.len())?;
    }
    let items: Vec<ItemNeed> = (0..n)
        .map(|i| {
            let full = inputs.full[i];
            let alone: Vec<bool> = inputs.alone.iter().map(|c| c[i]).collect();
            let mis = inputs
                .without
                .iter()
                .map(|c| full as i8 - c[i] as i8)
                .collect();
            let count = alone.iter().filter(|b| **b).count();
            let class = match (full, count) {
                (false, 0) => NeedClass::Unsolved,
                (false, _) => NeedClass::Interference,
                (true, 0) => NeedClass::Complementary,
                (true, c) if c == k => NeedClass::AnyOne,
                (true, 1) => {
                    let m = alone.iter().position(|b| *b).unwrap_or(0);
                    NeedClass::OnlyFrom(modalities[m].clone())
                }
                (true, _) => NeedClass::Several,
            };
            ItemNeed {
                mis,
                alone,
                full,
                class,
            }
        })
        .collect();
    let mut names: Vec<String> = vec![
        NeedClass::AnyOne.name(),
        NeedClass::Several.name(),
        NeedClass::Complementary.name(),
        NeedClass::Interference.name(),
        NeedClass::Unsolved.name(),
    ];
    names.extend(
        modalities
            .iter()
            .map(|m| NeedClass::OnlyFrom(m.clone()).name()),
    );
    let class_names: Vec<String> = items.iter().map(|it| it.class.name()).collect();
    let class_fraction = names
        .into_iter()
        .map(|name| {
            let ind: Vec<f64> = class_names
                .iter()
                .map(|c| (*c == name) as u8 as f64)
                .collect();
            let e = estimate(n, cfg, Undefined::NoItems, |w| weighted_mean(&ind, w));
            (name, e)
        })
        .collect();
    let solvable_alone = (0..k)
        .map(|m| {
            let v: Vec<f64> = items.iter().map(|it| it.alone[m] as u8 as f64).collect();
            estimate(n, cfg, Undefined::NoItems, |w| weighted_mean(&v, w))
        })
        .collect();
    let one: Vec<f64> = items
        .iter()
        .map(|it| it.alone.iter().any(|b| *b) as u8 as f64)
        .collect();
    let solvable_from_one = estimate(n, cfg, Undefined::NoItems, |w| weighted_mean(&one, w));
    let mean_mis = (0..k)
        .map(|m| {
            let v: Vec<f64> = items.iter().map(|it| it.mis[m] as f64).collect();
            estimate(n, cfg, Undefined::NoItems, |w| weighted_mean(&v, w))
        })
        .collect();
    Ok((
        items,
        NeedSummary {
            modalities: modalities.to_vec(),
            class_fraction,
            solvable_alone,
            solvable_from_one,
            mean_mis,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::*;

    #[test]
    fn oracle_structure_is_recovered_exactly() {
        let ds = SynthDataset::generate(&SynthConfig {
            classes: 3,
            items: 600,
            channels: vec![
                ChannelSpec::new("image", 1.0, 1.0),
                ChannelSpec::new("text", 1.0, 1.0),
                ChannelSpec::new("audio", 1.0, 1.0),
            ],
            mix: StructureMix {
                redundant: 1.0,
                unique: vec![1.0, 1.0, 1.0],
                synergistic: 1.0,
            },
            shortcut: None,
            seed: 4,
        })
        .expect("valid");
        let cond = |mask: u32| -> Vec<bool> {
            ds.items
                .iter()
                .map(|it| oracle_prediction(it, 3, mask) == it.label)
                .collect()
        };
        let full = cond(0b111);
        let alone: Vec<Vec<bool>> = (0..3).map(|m| cond(1 << m)).collect();
        let without: Vec<Vec<bool>> = (0..3).map(|m| cond(0b111 & !(1 << m))).collect();
        let (items, summary) = modality_need(
            &ds.modalities(),
            &NeedInputs {
                full: &full,
                alone: &alone,
                without: &without,
            },
            &BootstrapConfig::none(),
        )
        .expect("ok");
        for (it, need) in ds.items.iter().zip(&items) {
            let expected = match it.structure {
                Structure::Redundant => NeedClass::AnyOne,
                Structure::Unique(m) => NeedClass::OnlyFrom(ds.config.channels[m].modality.clone()),
                Structure::Synergistic => NeedClass::Complementary,
                Structure::Conflict(_) => unreachable!(),
            };
            assert_eq!(need.class, expected);
            if let Structure::Unique(m) = it.structure {
                assert_eq!(need.mis[m], 1);
            }
            if it.structure == Structure::Synergistic {
                assert_eq!(need.mis, vec![1, 1, 0]);
            }
        }
        let red = ds
            .items
            .iter()
            .filter(|i| i.structure == Structure::Redundant)
            .count() as f64
            / 600.0;
        assert_eq!(summary.class_fraction["any_one"].get(), Some(red));
    }

    #[test]
    fn hand_computed_interference() {
        let (items, _) = modality_need(
            &[Modality::new("a"), Modality::new("b")],
            &NeedInputs {
                full: &[false],
                alone: &[vec![true], vec![false]],
                without: &[vec![false], vec![true]],
            },
            &BootstrapConfig::none(),
        )
        .expect("ok");
        assert_eq!(items[0].class, NeedClass::Interference);
        assert_eq!(items[0].mis, vec![0, -1]);
    }
}
