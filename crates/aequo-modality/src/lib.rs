//! # aequo-modality
//!
//! Modality reliance of multimodal models (issue 7): does a model use every input it is given,
//! or does it lean on one (typically text) and ignore another? The crate measures it from the
//! model's answers under *conditions* — the full input, a modality removed, permuted across
//! items, every modality subset, conflicting modalities — and reports each number with its
//! sample size and an item-bootstrap interval.
//!
//! Layout (metric modules are pure functions over per-item correctness or answers; I/O lives in
//! [`io`] and [`plan`]):
//! * [`synth`] — synthetic multimodal data with planted ground truth, the test bed of every metric;
//! * [`perceptual`] — perceptual score (unnormalised, normalised, per subset, both conditional readings);
//! * [`shapley`] — exact Shapley attribution over ≤ 6 modalities, on accuracy and per item;
//! * [`need`] — item-level modality need (MIS-style) and the dataset summary;
//! * [`conflict`] — Text Preference Ratio with the blind-faith soft-match rules, normalised accuracy;
//! * [`answer`] — answer normalisation and scoring (VQA, DocVQA ANLS, Levenshtein);
//! * [`xmod`] — cross-modal consistency (XModBench): per-direction accuracy, imbalance, disparity, σ;
//! * [`attention`] — MDI and AEI from attention masses;
//! * [`robustness`] — missing-modality robustness curves;
//! * [`contrastive`] — modality-contrastive re-scoring (VCD and the dynamic variant);
//! * [`fusion`] — a small late-fusion classifier trained by gradient descent, for audits of a real trained model;
//! * `live` (feature `live`) — live mode: a plan run against an OpenAI-compatible vision-language endpoint through `aequo-probe`'s client and journal; [`image`] — PNG, data URLs, blank and noise images; [`serve`] — an OpenAI-compatible vision server over a local model;
//! * `onnx` (feature `onnx`) — plans run against ONNX classifiers with one input per modality (tract);
//! * [`plan`] — ablation plans from a manifest, predictions read back, scoring into a [`report::ModalityReport`];
//! * [`io`] — readers of published result files (blind-faith-in-text, XModBench);
//! * [`bootstrap`], [`value`], [`error`] — shared machinery;
//! * [`cli`] — the `aequo modality` subcommands.

#![warn(missing_docs)]

pub mod answer;
pub mod attention;
pub mod bootstrap;
pub mod cli;
pub mod conflict;
pub mod contrastive;
pub mod error;
pub mod fusion;
pub mod image;
pub mod io;
#[cfg(feature = "live")]
pub mod live;
pub mod need;
#[cfg(feature = "onnx")]
pub mod onnx;
pub mod perceptual;
pub mod plan;
pub mod report;
pub mod robustness;
pub mod serve;
pub mod shapley;
pub mod synth;
pub mod value;
pub mod xmod;

pub use error::{ModalityError, Result};
pub use value::{Estimate, Interval, ItemId, Modality, Undefined, Value};
