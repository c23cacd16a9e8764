//! Benchmark of the embedded backend: load time, prompt processing and generation tokens/s.
//!
//! `cargo run --release -p aequo-probe --example embedded_bench [-- MODEL.gguf|- [as-stored|q8_0]]`

use std::time::Instant;

use aequo_probe::embedded::{default_model_path, EmbeddedModel, Weights};
use aequo_probe::model::{Message, Mode, ModelBackend, Params, Request};

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .filter(|a| a != "-")
        .map(Into::into)
        .unwrap_or_else(default_model_path);
    let weights = match std::env::args().nth(2).as_deref() {
        Some("as-stored") => Weights::AsStored,
        _ => Weights::Q8_0,
    };
    let t = Instant::now();
    let m = EmbeddedModel::load_with(&path, weights)?;
    println!("weights: {weights:?}");
    println!("load: {:.2?}", t.elapsed());
    let req = |max_tokens| Request {
        model: m.model_name().into(),
        mode: Mode::Chat,
        messages: vec![Message::user(
            "Write a short paragraph about the history of bread making.",
        )],
        prefill: None,
        params: Params {
            max_tokens,
            temperature: 0.0,
            seed: 0,
            top_logprobs: 0,
        },
    };
    let t = Instant::now();
    let r1 = m.generate(&req(1))?;
    let prompt_time = t.elapsed();
    let prompt_tokens = r1.prompt_tokens.unwrap_or(0);
    println!(
        "prompt: {prompt_tokens} tokens in {prompt_time:.2?} ({:.1} tok/s)",
        prompt_tokens as f64 / prompt_time.as_secs_f64()
    );
    let n = 64;
    let t = Instant::now();
    let r = m.generate(&req(n))?;
    let gen_time = t.elapsed().saturating_sub(prompt_time);
    println!(
        "generation: {} tokens in {gen_time:.2?} ({:.1} tok/s)",
        r.tokens.len(),
        (r.tokens.len().saturating_sub(1)) as f64 / gen_time.as_secs_f64()
    );
    println!("text: {:?}", r.text);
    Ok(())
}
