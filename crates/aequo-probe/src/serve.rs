//! `aequo probe serve-model`: an OpenAI-compatible HTTP server answering from a local model
//! (by default the embedded GGUF), so that any OpenAI-compatible tool can probe it and so that the
//! HTTP client is tested against real model output. It serves `POST /v1/chat/completions`
//! (chat shape, `bytes: null` like llama.cpp) and `POST /v1/completions` (legacy logprobs shape),
//! non-streaming, plus `GET /v1/models`.
//!
//! For tests it can inject faults — a delay, 429 with `Retry-After`, 500, a malformed body, a
//! dropped connection — each consumed by one incoming request, in order.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::embedded::EmbeddedModel;
use crate::error::{ProbeError, Result};
use crate::model::{Message, Mode, ModelBackend, Params, Request, Response};

/// What a server answers from.
pub trait Completer: Send + Sync {
    /// The model name reported.
    fn name(&self) -> &str;
    /// Answers a chat request.
    fn chat(&self, request: &Request) -> Result<Response>;
    /// Continues a raw prompt.
    fn complete(&self, prompt: &str, params: &Params) -> Result<Response>;
}

impl Completer for EmbeddedModel {
    fn name(&self) -> &str {
        self.model_name()
    }
    fn chat(&self, request: &Request) -> Result<Response> {
        self.generate(request)
    }
    fn complete(&self, prompt: &str, params: &Params) -> Result<Response> {
        EmbeddedModel::complete(self, prompt, params)
    }
}

/// A fault to inject into one response.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Sleep before answering normally.
    Delay(Duration),
    /// Answer 429 with this `Retry-After` (seconds).
    TooManyRequests(f64),
    /// Answer 500.
    ServerError,
    /// Answer 200 with a truncated JSON body.
    Malformed,
    /// Close the connection without answering.
    Drop,
}

/// Faults waiting to be injected, consumed one per request.
#[derive(Debug, Default)]
pub struct Faults(Mutex<VecDeque<Fault>>);

impl Faults {
    /// Queues faults for the next requests.
    pub fn push(&self, faults: impl IntoIterator<Item = Fault>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(faults);
    }
    fn next(&self) -> Option<Fault> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
    }
}

/// A running server; stops when dropped.
pub struct ModelServer {
    server: Arc<tiny_http::Server>,
    addr: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
    /// Faults to inject.
    pub faults: Arc<Faults>,
    /// Requests received.
    pub requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl std::fmt::Debug for ModelServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl ModelServer {
    /// Starts serving on `addr` (e.g. `127.0.0.1:0` for a free port).
    pub fn start(model: Arc<dyn Completer>, addr: &str) -> Result<Self> {
        let server = tiny_http::Server::http(addr).map_err(|e| {
            ProbeError::Server(format!(
                "cannot listen on {addr}: {e}; choose another --listen address"
            ))
        })?;
        let sock = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| ProbeError::Server("the server has no IP address".into()))?;
        let server = Arc::new(server);
        let faults = Arc::new(Faults::default());
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s, f, n) = (server.clone(), faults.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            while let Ok(req) = s.recv() {
                n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (m, fault) = (model.clone(), f.next());
                std::thread::spawn(move || handle(m.as_ref(), req, fault));
            }
        });
        Ok(ModelServer {
            server,
            addr: sock,
            thread: Some(thread),
            faults,
            requests,
        })
    }

    /// The socket address served.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Base URL for clients: `http://{addr}/v1`.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Blocks until the server stops (it never does on its own; for the CLI).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn respond_json(req: tiny_http::Request, status: u16, body: &Json) {
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
        .expect("static header is valid");
    let _ = req.respond(
        tiny_http::Response::from_string(body.to_string())
            .with_status_code(status)
            .with_header(header),
    );
}

fn error_body(message: &str) -> Json {
    json!({"error": {"message": message, "type": "invalid_request_error"}})
}

fn handle(model: &dyn Completer, mut req: tiny_http::Request, fault: Option<Fault>) {
    match fault {
        Some(Fault::Delay(d)) => std::thread::sleep(d),
        Some(Fault::TooManyRequests(secs)) => {
            let h = tiny_http::Header::from_bytes(&b"Retry-After"[..], secs.to_string().as_bytes())
                .expect("numeric header is valid");
            let _ = req.respond(
                tiny_http::Response::from_string("{\"error\":{\"message\":\"rate limited\"}}")
                    .with_status_code(429)
                    .with_header(h),
            );
            return;
        }
        Some(Fault::ServerError) => return respond_json(req, 500, &error_body("injected failure")),
        Some(Fault::Malformed) => {
            let _ = req.respond(tiny_http::Response::from_string(
                "{\"choices\": [{\"text\": \"ye",
            ));
            return;
        }
        Some(Fault::Drop) => {
            let mut w = req.into_writer();
            let _ = w.flush();
            return;
        }
        None => {}
    }
    let url = req.url().split('?').next().unwrap_or("").to_string();
    if req.method() == &tiny_http::Method::Get && url == "/v1/models" {
        let body = json!({"object": "list", "data": [{"id": model.name(), "object": "model"}]});
        return respond_json(req, 200, &body);
    }
    let mut text = String::new();
    if req.as_reader().read_to_string(&mut text).is_err() {
        return respond_json(req, 400, &error_body("the body is not UTF-8"));
    }
    let body: Json = match serde_json::from_str(&text) {
        Ok(b) => b,
        Err(e) => return respond_json(req, 400, &error_body(&format!("invalid JSON: {e}"))),
    };
    let params = Params {
        max_tokens: body.get("max_tokens").and_then(Json::as_u64).unwrap_or(16) as usize,
        temperature: body
            .get("temperature")
            .and_then(Json::as_f64)
            .unwrap_or(0.0),
        seed: body.get("seed").and_then(Json::as_u64).unwrap_or(0),
        top_logprobs: 0,
    };
    let result = if url == "/v1/chat/completions" {
        let messages: Vec<Message> = match body.get("messages").cloned().map(serde_json::from_value)
        {
            Some(Ok(m)) => m,
            _ => return respond_json(req, 400, &error_body("messages are missing or invalid")),
        };
        let wants = body
            .get("logprobs")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        let k = body.get("top_logprobs").and_then(Json::as_u64).unwrap_or(0) as usize;
        let request = Request {
            model: model.name().into(),
            mode: Mode::Chat,
            messages,
            prefill: None,
            params: Params {
                top_logprobs: if wants { k.max(1) } else { 0 },
                ..params
            },
        };
        model
            .chat(&request)
            .map(|r| chat_body(model.name(), &r, wants))
    } else if url == "/v1/completions" {
        let Some(prompt) = body.get("prompt").and_then(Json::as_str) else {
            return respond_json(req, 400, &error_body("prompt is missing"));
        };
        let k = body.get("logprobs").and_then(Json::as_u64).unwrap_or(0) as usize;
        model
            .complete(
                prompt,
                &Params {
                    top_logprobs: k,
                    ..params
                },
            )
            .map(|r| completion_body(model.name(), &r, k > 0))
    } else {
        return respond_json(req, 404, &error_body("unknown endpoint"));
    };
    match result {
        Ok(b) => respond_json(req, 200, &b),
        Err(e) => respond_json(req, 500, &error_body(&e.to_string())),
    }
}

fn finish(r: &Response) -> &'static str {
    match r.finish_reason {
        crate::model::FinishReason::Stop => "stop",
        crate::model::FinishReason::Length => "length",
    }
}

fn usage(r: &Response) -> Json {
    let p = r.prompt_tokens.unwrap_or(0);
    json!({"prompt_tokens": p, "completion_tokens": r.tokens.len(), "total_tokens": p + r.tokens.len()})
}

fn chat_body(model: &str, r: &Response, logprobs: bool) -> Json {
    let lp = logprobs.then(|| {
        json!({"content": r.tokens.iter().map(|t| json!({
            "token": t.token, "logprob": t.logprob, "bytes": null,
            "top_logprobs": t.top.iter().map(|a| json!({"token": a.token, "logprob": a.logprob, "bytes": null})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>()})
    });
    json!({
        "id": "chatcmpl-aequo", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": r.text},
                     "finish_reason": finish(r), "logprobs": lp}],
        "usage": usage(r),
    })
}

fn completion_body(model: &str, r: &Response, logprobs: bool) -> Json {
    let lp = logprobs.then(|| {
        json!({
            "tokens": r.tokens.iter().map(|t| t.token.clone()).collect::<Vec<_>>(),
            "token_logprobs": r.tokens.iter().map(|t| t.logprob).collect::<Vec<_>>(),
            "top_logprobs": r.tokens.iter().map(|t| {
                t.top.iter().map(|a| (a.token.clone(), json!(a.logprob))).collect::<serde_json::Map<_, _>>()
            }).collect::<Vec<_>>(),
        })
    });
    json!({
        "id": "cmpl-aequo", "object": "text_completion", "created": 0, "model": model,
        "choices": [{"index": 0, "text": r.text, "finish_reason": finish(r), "logprobs": lp}],
        "usage": usage(r),
    })
}
