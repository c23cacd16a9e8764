//! The embedded backend: a llama-architecture GGUF model (by default SmolLM2-135M-Instruct from
//! the fixtures) run in-process with candle on the CPU, so that probing works offline.
//!
//! The model file is read through `std::io::Read` (no memory map: the workspace forbids
//! `unsafe`, and a 100 MB model loads in well under a second either way). The tokenizer is rebuilt
//! from the same file's metadata ([`crate::tokenizer`]); prompts use the ChatML template that the
//! GGUF's `tokenizer.chat_template` describes, including its default system prompt when the
//! conversation has none, so that the embedded model sees exactly what llama.cpp's server would
//! show it.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use rand::{Rng, SeedableRng};

use crate::error::{ProbeError, Result};
use crate::model::{
    render_chatml, FinishReason, GeneratedToken, ModelBackend, Params, Request, Response,
    TokenLogprob,
};
use crate::tokenizer::{BpeTokenizer, TokenId};

/// File name of the default model inside `<fixtures>/models/`.
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The system prompt SmolLM2's chat template inserts when the conversation has none.
const SMOLLM_DEFAULT_SYSTEM: &str =
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// Where the default model is expected: `$AEQUO_MODEL`, else
/// `${AEQUO_FIXTURES:-<repo>/.cache/fixtures}/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
pub fn default_model_path() -> PathBuf {
    if let Some(p) = std::env::var_os("AEQUO_MODEL") {
        return PathBuf::from(p);
    }
    let fixtures = match std::env::var_os("AEQUO_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/fixtures"),
    };
    fixtures.join("models").join(DEFAULT_MODEL_FILE)
}

/// A GGUF model loaded in memory.
#[derive(Debug, Clone)]
pub struct EmbeddedModel {
    name: String,
    weights: ModelWeights,
    tokenizer: BpeTokenizer,
    context_length: usize,
    default_system: Option<String>,
    stop: Vec<TokenId>,
    pool: Arc<rayon::ThreadPool>,
}

/// How the weights are held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Weights {
    /// As stored in the file.
    AsStored,
    /// Q4_1 tensors requantized to Q8_0 at load time. candle 0.11 has no SIMD kernel for Q4_1
    /// (its dot product is scalar) but an AVX2 one for Q8_0; the Q4_1 values are representable
    /// to within Q8_0's rounding, so log-probabilities move by far less than the 0.1 nats that
    /// separate candle from llama.cpp, while inference runs several times faster.
    #[default]
    Q8_0,
}

impl EmbeddedModel {
    /// Loads a llama-architecture GGUF file with the default in-memory weights ([`Weights::Q8_0`]).
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, Weights::default())
    }

    /// Loads a llama-architecture GGUF file.
    pub fn load_with(path: &Path, weights: Weights) -> Result<Self> {
        let model_err = |reason: String| ProbeError::Model {
            path: path.to_path_buf(),
            reason,
        };
        let file = File::open(path).map_err(|e| model_err(e.to_string()))?;
        let mut reader = BufReader::new(file);
        let content =
            gguf_file::Content::read(&mut reader).map_err(|e| model_err(e.to_string()))?;
        let arch = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        if arch != "llama" {
            return Err(model_err(format!("architecture is {arch:?}, not llama")));
        }
        let context_length = content
            .metadata
            .get("llama.context_length")
            .and_then(|v| v.to_u32().ok())
            .unwrap_or(2048) as usize;
        let template = content
            .metadata
            .get("tokenizer.chat_template")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        let default_system = template
            .contains(SMOLLM_DEFAULT_SYSTEM)
            .then(|| SMOLLM_DEFAULT_SYSTEM.to_string());
        let tokenizer = BpeTokenizer::from_gguf(&content)?;
        let mut stop = vec![tokenizer.eos];
        for s in ["<|im_end|>", "<|endoftext|>"] {
            if let Some(id) = tokenizer.special(s) {
                stop.push(id);
            }
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "embedded".into());
        let weights = match weights {
            Weights::AsStored => ModelWeights::from_gguf(content, &mut reader, &Device::Cpu),
            Weights::Q8_0 => requantized(&content, &mut reader).and_then(|buf| {
                let mut cursor = std::io::Cursor::new(buf);
                let content = gguf_file::Content::read(&mut cursor)?;
                ModelWeights::from_gguf(content, &mut cursor, &Device::Cpu)
            }),
        }
        .map_err(|e| model_err(e.to_string()))?;
        Ok(EmbeddedModel {
            name,
            weights,
            tokenizer,
            context_length,
            default_system,
            stop,
            pool: thread_pool(default_threads())?,
        })
    }

    /// Runs inference on `threads` threads (default: `AEQUO_THREADS`, else all cores). On a
    /// machine shared with other work, or when several probes run concurrently, fewer threads are
    /// faster: candle synchronises its workers at every operation, and a descheduled worker stalls
    /// all of them (measured: 16.5 vs 1.4 tokens/s, 1 vs 2 threads, under a load of 10 on 2 cores).
    pub fn with_threads(mut self, threads: usize) -> Result<Self> {
        self.pool = thread_pool(threads)?;
        Ok(self)
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &BpeTokenizer {
        &self.tokenizer
    }

    /// Renders the ChatML prompt for a request: the conversation, then the opened assistant turn
    /// (and the prefill in [`crate::model::Mode::Prefill`]).
    pub fn render_prompt(&self, request: &Request) -> Result<String> {
        render_chatml(request, self.default_system.as_deref())
    }

    /// The system prompt the model's chat template inserts when there is none.
    pub fn default_system(&self) -> Option<&str> {
        self.default_system.as_deref()
    }

    /// Log-probabilities of the next token after `prompt` tokens, over the whole vocabulary.
    pub fn next_token_logprobs(&self, prompt: &[TokenId]) -> Result<Vec<f64>> {
        self.pool.install(|| {
            let mut w = self.weights.clone();
            let input = Tensor::new(prompt, &Device::Cpu)?.unsqueeze(0)?;
            let logits = w.forward(&input, 0)?.squeeze(0)?.to_vec1::<f32>()?;
            Ok(log_softmax(&logits))
        })
    }

    fn top_k(&self, logprobs: &[f64], k: usize) -> Vec<TokenLogprob> {
        if k == 0 {
            return Vec::new();
        }
        let mut idx: Vec<usize> = (0..logprobs.len()).collect();
        let k = k.min(idx.len());
        idx.select_nth_unstable_by(k - 1, |a, b| logprobs[*b].total_cmp(&logprobs[*a]));
        idx.truncate(k);
        idx.sort_by(|a, b| logprobs[*b].total_cmp(&logprobs[*a]));
        idx.into_iter()
            .map(|i| TokenLogprob {
                token: self.tokenizer.token_text(i as TokenId),
                logprob: logprobs[i],
            })
            .collect()
    }
}

fn default_threads() -> usize {
    std::env::var("AEQUO_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

fn thread_pool(threads: usize) -> Result<Arc<rayon::ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("aequo-embedded-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| ProbeError::Inference(format!("cannot start inference threads: {e}")))
}

/// Rewrites the GGUF in memory with every Q4_1 tensor requantized to Q8_0.
fn requantized<R: std::io::Read + std::io::Seek>(
    content: &gguf_file::Content,
    reader: &mut R,
) -> candle_core::Result<Vec<u8>> {
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors = Vec::with_capacity(names.len());
    for name in &names {
        let t = content.tensor(reader, name, &Device::Cpu)?;
        let t = if t.dtype() == GgmlDType::Q4_1 {
            QTensor::quantize(&t.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)?
        } else {
            t
        };
        tensors.push((name.as_str(), t));
    }
    let mut keys: Vec<&String> = content.metadata.keys().collect();
    keys.sort();
    let metadata: Vec<(&str, &gguf_file::Value)> = keys
        .iter()
        .map(|k| (k.as_str(), &content.metadata[*k]))
        .collect();
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &refs)?;
    Ok(out.into_inner())
}

/// Numerically stable log-softmax in f64.
fn log_softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = logits.iter().map(|l| (*l as f64 - max).exp()).sum();
    let lse = max + sum.ln();
    logits.iter().map(|l| *l as f64 - lse).collect()
}

/// Greedy argmax, or a draw from softmax(logprob / temperature).
fn choose(logprobs: &[f64], temperature: f64, rng: &mut rand::rngs::StdRng) -> usize {
    if temperature <= 0.0 {
        return logprobs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap_or(0);
    }
    let max = logprobs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logprobs
        .iter()
        .map(|l| ((l - max) / temperature).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        u -= w;
        if u <= 0.0 {
            return i;
        }
    }
    weights.len() - 1
}

impl ModelBackend for EmbeddedModel {
    fn model_name(&self) -> &str {
        &self.name
    }

    fn generate(&self, request: &Request) -> Result<Response> {
        let prompt = self.render_prompt(request)?;
        self.complete(&prompt, &request.params)
    }
}

impl EmbeddedModel {
    /// Continues a raw prompt (control-token strings such as `<|im_start|>` are honoured), as a
    /// completions endpoint does.
    pub fn complete(&self, prompt: &str, params: &Params) -> Result<Response> {
        self.pool.install(|| self.complete_here(prompt, params))
    }

    fn complete_here(&self, prompt: &str, params: &Params) -> Result<Response> {
        let ids = self.tokenizer.encode(prompt);
        let max_tokens = params.max_tokens;
        if ids.len() + max_tokens > self.context_length {
            return Err(ProbeError::InvalidRequest(format!(
                "prompt of {} tokens plus max_tokens {max_tokens} exceeds the context of {}",
                ids.len(),
                self.context_length
            )));
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(params.seed);
        let mut w = self.weights.clone();
        let input = Tensor::new(ids.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
        let mut logits = w.forward(&input, 0)?.squeeze(0)?.to_vec1::<f32>()?;
        let mut out_ids = Vec::new();
        let mut tokens = Vec::new();
        let mut finish = FinishReason::Length;
        for (step, pos) in (0..max_tokens).zip(ids.len()..) {
            let lp = log_softmax(&logits);
            let next = choose(&lp, params.temperature, &mut rng);
            let id = next as TokenId;
            if self.stop.contains(&id) {
                finish = FinishReason::Stop;
                break;
            }
            tokens.push(GeneratedToken {
                token: self.tokenizer.token_text(id),
                logprob: lp[next],
                top: self.top_k(&lp, params.top_logprobs),
            });
            out_ids.push(id);
            if step + 1 == max_tokens {
                break;
            }
            let input = Tensor::new(&[id], &Device::Cpu)?.unsqueeze(0)?;
            logits = w.forward(&input, pos)?.squeeze(0)?.to_vec1::<f32>()?;
        }
        Ok(Response {
            text: self.tokenizer.decode(&out_ids),
            tokens,
            finish_reason: finish,
            prompt_tokens: Some(ids.len()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_softmax_normalises() {
        let lp = log_softmax(&[1.0, 2.0, 3.0]);
        let s: f64 = lp.iter().map(|l| l.exp()).sum();
        assert!((s - 1.0).abs() < 1e-12);
    }

    #[test]
    fn seeded_sampling_is_reproducible_and_greedy_is_argmax() {
        let lp = log_softmax(&[0.0, 0.1, 0.2, 0.3]);
        let mut a = rand::rngs::StdRng::seed_from_u64(7);
        let mut b = rand::rngs::StdRng::seed_from_u64(7);
        let xa: Vec<usize> = (0..20).map(|_| choose(&lp, 1.0, &mut a)).collect();
        let xb: Vec<usize> = (0..20).map(|_| choose(&lp, 1.0, &mut b)).collect();
        assert_eq!(xa, xb);
        assert!(xa.iter().collect::<std::collections::HashSet<_>>().len() > 1);
        assert_eq!(choose(&lp, 0.0, &mut a), 3);
    }
}
