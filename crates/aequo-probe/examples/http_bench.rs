//! HTTP client overhead: requests/s of the OpenAI-compatible client against the in-process server
//! answering instantly with a canned response (no model), over loopback.
//!
//! `cargo run --release -p aequo-probe --example http_bench [-- N WORKERS]`

use std::sync::Arc;
use std::time::Instant;

use aequo_probe::http::{HttpBackend, HttpConfig};
use aequo_probe::journal::{run, Journal};
use aequo_probe::model::{
    FinishReason, GeneratedToken, Message, Mode, Params, Request, Response, TokenLogprob,
};
use aequo_probe::serve::{Completer, ModelServer};

struct Canned;

impl Canned {
    fn answer() -> Response {
        Response {
            text: "yes".into(),
            tokens: vec![GeneratedToken {
                token: "yes".into(),
                logprob: -0.1,
                top: (0..20)
                    .map(|i| TokenLogprob {
                        token: format!("t{i}"),
                        logprob: -(i as f64),
                    })
                    .collect(),
            }],
            finish_reason: FinishReason::Length,
            prompt_tokens: Some(100),
        }
    }
}

impl Completer for Canned {
    fn name(&self) -> &str {
        "canned"
    }
    fn chat(&self, _: &Request) -> aequo_probe::Result<Response> {
        Ok(Self::answer())
    }
    fn complete(&self, _: &str, _: &Params) -> aequo_probe::Result<Response> {
        Ok(Self::answer())
    }
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let workers: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4);
    let server = ModelServer::start(Arc::new(Canned), "127.0.0.1:0")?;
    let mut cfg = HttpConfig::new(server.url(), "canned");
    cfg.concurrency = workers;
    let client = HttpBackend::new(cfg);
    let dir = std::env::temp_dir().join(format!("aequo-http-bench-{}", std::process::id()));
    let journal = Journal::open(&dir.join("j.jsonl"))?;
    let plan: Vec<Request> = (0..n)
        .map(|i| Request {
            model: "canned".into(),
            mode: Mode::Chat,
            messages: vec![Message::user(format!("request {i}"))],
            prefill: None,
            params: Params::default(),
        })
        .collect();
    let t = Instant::now();
    let (stats, errors) = run(&client, &journal, &plan, workers, &|_| {});
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} requests ({} failed) with {workers} workers in {secs:.2}s: {:.0} requests/s including the fsynced journal",
        stats.generated,
        errors.len(),
        stats.generated as f64 / secs
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
