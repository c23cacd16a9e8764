//! Benchmark of the embedded backend: load time, prompt processing and generation tokens/s.
//!
//! `cargo run --release -p aequo-probe --example embedded_bench [-- MODEL.gguf|- [as-stored|q8_0]]`

use std::time::{Duration, Instant};

use aequo_probe::embedded::{default_model_path, EmbeddedModel, Weights};
use aequo_probe::model::{Message, Mode, ModelBackend, Params, Request};

/// CPU time (user + system) of this process so far, all threads, from `/proc/self/stat`
/// (Linux; clock ticks of 1/100 s). `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

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
    let (t, c) = (Instant::now(), cpu_time());
    let r1 = m.generate(&req(1))?;
    let prompt_cpu = cpu_time().zip(c).map(|(a, b)| a - b);
    let prompt_time = t.elapsed();
    let prompt_tokens = r1.prompt_tokens.unwrap_or(0);
    println!(
        "prompt: {prompt_tokens} tokens in {prompt_time:.2?} ({:.1} tok/s)",
        prompt_tokens as f64 / prompt_time.as_secs_f64()
    );
    let n = 64;
    let (t, c) = (Instant::now(), cpu_time());
    let r = m.generate(&req(n))?;
    let gen_time = t.elapsed().saturating_sub(prompt_time);
    let gen_cpu = cpu_time()
        .zip(c)
        .zip(prompt_cpu)
        .map(|((a, b), p)| (a - b).saturating_sub(p));
    println!(
        "generation: {} tokens in {gen_time:.2?} ({:.1} tok/s)",
        r.tokens.len(),
        (r.tokens.len().saturating_sub(1)) as f64 / gen_time.as_secs_f64()
    );
    if let (Some(p), Some(g)) = (prompt_cpu, gen_cpu) {
        println!(
            "cpu: prompt {p:.2?}, generation {g:.2?} ({:.1} generated tokens per CPU-second)",
            (r.tokens.len().saturating_sub(1)) as f64 / g.as_secs_f64().max(1e-9)
        );
    }
    println!("text: {:?}", r.text);
    Ok(())
}
