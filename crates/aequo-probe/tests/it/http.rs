//! The OpenAI-compatible client against a real HTTP server on loopback: the in-process server
//! answering from the embedded model, and the same server with injected faults.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aequo_probe::http::{HttpBackend, HttpConfig};
use aequo_probe::journal::{run, Journal};
use aequo_probe::model::{
    FinishReason, GeneratedToken, Message, Mode, ModelBackend, Params, Request, Response,
    TokenLogprob,
};
use aequo_probe::serve::{Completer, Fault, ModelServer};
use aequo_probe::suite::DECISION_PREFILL;

use crate::model;

/// Answers instantly with a fixed yes/no distribution and records concurrency.
#[derive(Default)]
struct Fake {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    delay_ms: u64,
}

impl Fake {
    fn answer(&self, text: &str) -> Response {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(self.delay_ms));
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Response {
            text: format!("yes to {}", text.len()),
            tokens: vec![GeneratedToken {
                token: "yes".into(),
                logprob: -0.25,
                top: vec![
                    TokenLogprob {
                        token: "yes".into(),
                        logprob: -0.25,
                    },
                    TokenLogprob {
                        token: "no".into(),
                        logprob: -1.5,
                    },
                ],
            }],
            finish_reason: FinishReason::Length,
            prompt_tokens: Some(3),
        }
    }
}

impl Completer for Fake {
    fn name(&self) -> &str {
        "fake"
    }
    fn chat(&self, r: &Request) -> aequo_probe::Result<Response> {
        Ok(self.answer(&r.messages[0].content))
    }
    fn complete(&self, prompt: &str, _: &Params) -> aequo_probe::Result<Response> {
        Ok(self.answer(prompt))
    }
}

fn request(i: usize, mode: Mode) -> Request {
    Request {
        model: "fake".into(),
        mode,
        messages: vec![Message::user(format!("Should we approve applicant {i}?"))],
        prefill: (mode == Mode::Prefill).then(|| DECISION_PREFILL.to_string()),
        params: Params {
            max_tokens: 1,
            ..Params::default()
        },
    }
}

fn fast_config(url: String) -> HttpConfig {
    let mut c = HttpConfig::new(url, "fake");
    c.timeout = Duration::from_millis(400);
    c.backoff_base = Duration::from_millis(5);
    c.backoff_max = Duration::from_millis(50);
    c
}

#[test]
fn every_fault_is_retried_and_no_response_is_lost() {
    let server = ModelServer::start(Arc::new(Fake::default()), "127.0.0.1:0").expect("server");
    server.faults.push([
        Fault::Delay(Duration::from_millis(1500)),
        Fault::TooManyRequests(0.02),
        Fault::ServerError,
        Fault::Malformed,
        Fault::Drop,
    ]);
    let client = HttpBackend::new(fast_config(server.url()));
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("j.jsonl")).expect("journal");
    let plan: Vec<Request> = (0..3).map(|i| request(i, Mode::Chat)).collect();
    let (stats, errors) = run(&client, &journal, &plan, 1, &|_| {});
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(stats.generated, 3);
    assert_eq!(journal.len(), 3);
    let c = client.counters();
    assert_eq!((c.attempts, c.retries), (8, 5));
    let r = journal.get(&plan[0].key()).expect("journaled");
    assert_eq!(r.tokens[0].top.len(), 2);
    assert_eq!(
        r.text,
        format!("yes to {}", plan[0].messages[0].content.len())
    );
}

#[test]
fn exhausted_retries_and_client_errors_are_reported() {
    let server = ModelServer::start(Arc::new(Fake::default()), "127.0.0.1:0").expect("server");
    server
        .faults
        .push([Fault::ServerError, Fault::ServerError, Fault::ServerError]);
    let mut cfg = fast_config(server.url());
    cfg.max_retries = 2;
    let client = HttpBackend::new(cfg);
    let e = client
        .generate(&request(0, Mode::Chat))
        .expect_err("three 500s exhaust two retries");
    assert!(e.to_string().contains("gave up after 3 attempts"), "{e}");
    // A 404 is the caller's fault: reported at once, not retried.
    let client = HttpBackend::new(fast_config(format!("http://{}/nope", server.addr())));
    let e = client.generate(&request(0, Mode::Chat)).expect_err("404");
    assert!(e.to_string().contains("404"), "{e}");
    assert_eq!(client.counters().attempts, 1);
}

#[test]
fn concurrency_and_rate_limits_hold() {
    let fake = Arc::new(Fake {
        delay_ms: 30,
        ..Fake::default()
    });
    let server = ModelServer::start(fake.clone(), "127.0.0.1:0").expect("server");
    let mut cfg = fast_config(server.url());
    cfg.concurrency = 2;
    cfg.requests_per_second = Some(100.0);
    let client = HttpBackend::new(cfg);
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("j.jsonl")).expect("journal");
    let plan: Vec<Request> = (0..10).map(|i| request(i, Mode::Prefill)).collect();
    let t = Instant::now();
    let (stats, errors) = run(&client, &journal, &plan, 5, &|_| {});
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(stats.generated, 10);
    assert!(fake.max_in_flight.load(Ordering::SeqCst) <= 2);
    // 10 starts at most 100/s apart take at least 90 ms.
    assert!(t.elapsed() >= Duration::from_millis(90));
}

#[test]
fn client_reproduces_the_embedded_model_through_the_server() {
    let Some(m) = model() else { return };
    let server = ModelServer::start(m.clone(), "127.0.0.1:0").expect("server");
    let mut cfg = HttpConfig::new(server.url(), m.model_name());
    cfg.default_system = m.default_system().map(str::to_string);
    let client = HttpBackend::new(cfg);
    for mode in [Mode::Prefill, Mode::Chat] {
        let mut req = request(1, mode);
        req.model = m.model_name().into();
        let direct = m.generate(&req).expect("embedded");
        let via_http = client.generate(&req).expect("http");
        assert_eq!(direct.text, via_http.text, "{mode:?}");
        let sorted = |r: &Response| {
            let mut v: Vec<(String, u64)> = r.tokens[0]
                .top
                .iter()
                .map(|t| (t.token.clone(), t.logprob.to_bits()))
                .collect();
            v.sort();
            v
        };
        // Distinct token ids can decode to the same text; the legacy map keeps one of them.
        let (a, b) = (sorted(&direct), sorted(&via_http));
        assert!(b.iter().all(|x| a.contains(x)), "{mode:?}: {a:?} vs {b:?}");
        assert_eq!(direct.tokens[0].logprob, via_http.tokens[0].logprob);
    }
}
