//! Counterfactual probing of language models for social bias (issue 6).
//!
//! The same prompt is asked many times with one demographic detail changed, and the answers are
//! compared with honest statistics. The crate is organised along the pipeline, with generation
//! and scoring kept apart (DESIGN principle 4):
//!
//! * [`model`] — the one model interface ([`model::ModelBackend`]), requests and responses;
//! * [`embedded`] — the in-process GGUF backend (candle), with [`tokenizer`] rebuilt from the GGUF;
//! * [`http`] — the OpenAI-compatible client; [`serve`] — an OpenAI-compatible server over a
//!   local model (and the client's fault-injection harness);
//! * [`decision`] — reading yes/no, letters and scores off next-token log-probabilities;
//! * [`journal`] — the append-only, fsynced run journal keyed by request content hash;
//! * [`suite`] — probe suites as YAML data, expanded into probes; [`import`] — discrim-eval and
//!   BBQ JSONL files; [`counterfactual`] — word-swap counterfactuals of users' own prompts;
//! * [`metrics`] — probe metric definitions with cluster-bootstrap intervals; [`mixed`] — the
//!   mixed-effects discrimination score; [`significance`] — paired tests over templates with
//!   Holm / Benjamini–Hochberg correction; [`sentiment`] — VADER sentiment parity;
//!   [`cooccurrence`] — the co-occurrence bias score; [`embedding`] — all-MiniLM-L6-v2 sentence
//!   embeddings (candle BERT) for cosine similarity; [`score`] — from a journal to a report
//!   (JSON, Markdown); [`html`] — the report as a self-contained HTML page;
//! * [`cli`] — the `aequo probe` subcommands.

pub mod cli;
pub mod cooccurrence;
pub mod counterfactual;
pub mod decision;
pub mod embedded;
pub mod embedding;
pub mod error;
pub mod html;
pub mod http;
pub mod import;
pub mod journal;
pub mod metrics;
pub mod mixed;
pub mod model;
pub mod score;
pub mod sentiment;
pub mod serve;
pub mod significance;
pub mod suite;
pub mod tokenizer;

pub use error::{ProbeError, Result};
