//! aequo-probe's single integration-test binary. Where new tests belong:
//!
//! * `cli` — the subcommands (plan, score of responses produced elsewhere);
//! * `embedded` — the embedded GGUF backend on the real fixture model (tokenizer, generation);
//! * `http` — the OpenAI-compatible client against the in-process server, with fault injection;
//! * `end_to_end` — built-in suites run on the embedded model, through the journal, scored;
//! * `journal_kill` — crash safety of the run journal (SIGKILL mid-run);
//! * `oracle` — metrics against reference implementations' outputs;
//! * `html` — the HTML page of `score --html` against its JSON; `browser` — that page in
//!   headless Chromium (skipped without it unless `AEQUO_REQUIRE_BROWSER=1`).
//!
//! Tests that need the fixture model skip with a message when it is absent, and fail instead when
//! `AEQUO_REQUIRE_FIXTURES=1` (as CI sets it after fetching the fixtures).

mod browser;
mod cli;
mod embedded;
mod end_to_end;
mod html;
mod http;
mod journal_kill;
mod oracle;

use std::sync::{Arc, OnceLock};

use aequo_probe::embedded::{default_model_path, EmbeddedModel};
use aequo_probe::embedding::{default_encoder_path, SentenceEncoder};

/// The fixture model, loaded once per test binary; `None` (with a message) when it is absent.
pub fn model() -> Option<Arc<EmbeddedModel>> {
    static M: OnceLock<Option<Arc<EmbeddedModel>>> = OnceLock::new();
    M.get_or_init(|| {
        let path = default_model_path();
        if !path.exists() {
            if std::env::var("AEQUO_REQUIRE_FIXTURES").as_deref() == Ok("1") {
                panic!(
                    "fixture model {} is missing and AEQUO_REQUIRE_FIXTURES=1; run scripts/fixtures.sh models",
                    path.display()
                );
            }
            eprintln!(
                "skipping: fixture model {} is absent (run scripts/fixtures.sh models)",
                path.display()
            );
            return None;
        }
        // One inference thread: the harness already runs tests in parallel, and oversubscribed
        // candle workers stall each other.
        Some(Arc::new(
            EmbeddedModel::load(&path)
                .and_then(|m| m.with_threads(1))
                .expect("the fixture model loads"),
        ))
    })
    .clone()
}

/// The fixture sentence encoder's directory, `None` (with a message) when it is absent; fails
/// instead under `AEQUO_REQUIRE_FIXTURES=1`.
pub fn encoder_path() -> Option<std::path::PathBuf> {
    let path = default_encoder_path();
    if path.join("model.safetensors").exists() {
        return Some(path);
    }
    if std::env::var("AEQUO_REQUIRE_FIXTURES").as_deref() == Ok("1") {
        panic!(
            "fixture encoder {} is missing and AEQUO_REQUIRE_FIXTURES=1; run scripts/fixtures.sh models",
            path.display()
        );
    }
    eprintln!(
        "skipping: fixture encoder {} is absent (run scripts/fixtures.sh models)",
        path.display()
    );
    None
}

/// The fixture sentence encoder, loaded once per test binary.
pub fn encoder() -> Option<Arc<SentenceEncoder>> {
    static E: OnceLock<Option<Arc<SentenceEncoder>>> = OnceLock::new();
    E.get_or_init(|| {
        encoder_path()
            .map(|p| Arc::new(SentenceEncoder::load(&p).expect("the fixture encoder loads")))
    })
    .clone()
}
