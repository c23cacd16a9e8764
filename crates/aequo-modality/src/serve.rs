//! An OpenAI-compatible vision-language server over a local model: `POST /v1/chat/completions`
//! with `image_url` content parts (base64 `data:` URLs) and text parts, non-streaming, plus
//! `GET /v1/models`. It decodes every image, gathers the text of the conversation, and answers
//! with the model's prediction. Live mode is tested against it with a real trained model
//! ([`crate::fusion::DigitsFusion`]), and `aequo modality serve` exposes it.
//!
//! For tests it injects faults — a 500, a 200 with a garbage body, a dropped connection, a
//! delay — each consumed by one incoming request, in order (the pattern of `aequo-probe`'s
//! text server).

use crate::error::Result;
use crate::image::{EncodedImage, Image};
use serde_json::{json, Value as Json};
use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A model that answers from text and images.
pub trait VisionModel: Send + Sync {
    /// The model name reported.
    fn name(&self) -> &str;
    /// The answer to a conversation with this text (text parts joined by newlines) and images.
    fn answer(&self, text: &str, images: &[Image]) -> Result<String>;
}

/// A fault to inject into one response.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Sleep before answering normally.
    Delay(Duration),
    /// Answer 500.
    ServerError,
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Close the connection without answering.
    Drop,
}

/// A running server; stops when dropped.
pub struct VisionServer {
    server: Arc<tiny_http::Server>,
    addr: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    requests: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
}

impl std::fmt::Debug for VisionServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisionServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl VisionServer {
    /// Starts serving on `addr` (`127.0.0.1:0` for a free port).
    pub fn start(model: Arc<dyn VisionModel>, addr: &str) -> Result<Self> {
        let server = tiny_http::Server::http(addr).map_err(|e| crate::ModalityError::Live {
            message: format!("cannot listen on {addr}: {e}; choose another --listen address"),
        })?;
        let sock = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| crate::ModalityError::Live {
                message: "the server has no IP address".into(),
            })?;
        let server = Arc::new(server);
        let faults: Arc<Mutex<VecDeque<Fault>>> = Arc::default();
        let requests = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(AtomicUsize::new(0));
        let (s, f, n, a) = (
            server.clone(),
            faults.clone(),
            requests.clone(),
            answered.clone(),
        );
        let thread = std::thread::spawn(move || {
            while let Ok(req) = s.recv() {
                n.fetch_add(1, Ordering::SeqCst);
                let fault = f.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let (m, a) = (model.clone(), a.clone());
                std::thread::spawn(move || {
                    if handle(m.as_ref(), req, fault) {
                        a.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Ok(VisionServer {
            server,
            addr: sock,
            thread: Some(thread),
            faults,
            requests,
            answered,
        })
    }

    /// Base URL for clients: `http://{addr}/v1`.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues faults for the next requests.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(faults);
    }

    /// Requests received (including faulted ones).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Chat requests answered with a model prediction.
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }

    /// Blocks until the server stops (it never does on its own; for the CLI).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for VisionServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn respond_json(req: tiny_http::Request, status: u16, body: &Json) {
    if let Ok(header) =
        tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
    {
        let _ = req.respond(
            tiny_http::Response::from_string(body.to_string())
                .with_status_code(status)
                .with_header(header),
        );
    }
}

fn error_body(message: &str) -> Json {
    json!({"error": {"message": message, "type": "invalid_request_error"}})
}

/// Text and decoded images of a chat body's messages.
pub fn read_messages(body: &Json) -> std::result::Result<(String, Vec<Image>), String> {
    let messages = body
        .get("messages")
        .and_then(Json::as_array)
        .ok_or("`messages` is missing or not a list")?;
    let mut text = Vec::new();
    let mut images = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        match m.get("content") {
            Some(Json::String(s)) => text.push(s.clone()),
            Some(Json::Array(parts)) => {
                for (j, p) in parts.iter().enumerate() {
                    match p.get("type").and_then(Json::as_str) {
                        Some("text") => text.push(
                            p.get("text")
                                .and_then(Json::as_str)
                                .ok_or(format!("messages[{i}].content[{j}] has no text"))?
                                .to_string(),
                        ),
                        Some("image_url") => {
                            let url = p.pointer("/image_url/url").and_then(Json::as_str).ok_or(
                                format!("messages[{i}].content[{j}] has no image_url.url"),
                            )?;
                            let img = EncodedImage::from_data_url(url)
                                .and_then(|e| e.decode(&format!("messages[{i}].content[{j}]")))
                                .map_err(|e| e.to_string())?;
                            images.push(img);
                        }
                        other => {
                            return Err(format!(
                                "messages[{i}].content[{j}] has unsupported type {other:?}"
                            ))
                        }
                    }
                }
            }
            _ => return Err(format!("messages[{i}] has no content")),
        }
    }
    Ok((text.join("\n"), images))
}

/// Answers one request; returns whether the model answered it.
fn handle(model: &dyn VisionModel, mut req: tiny_http::Request, fault: Option<Fault>) -> bool {
    match fault {
        Some(Fault::Delay(d)) => std::thread::sleep(d),
        Some(Fault::ServerError) => {
            respond_json(req, 500, &error_body("injected failure"));
            return false;
        }
        Some(Fault::Garbage) => {
            let _ = req.respond(tiny_http::Response::from_string("<html>502 Bad Gateway"));
            return false;
        }
        Some(Fault::Drop) => {
            let mut w = req.into_writer();
            let _ = w.flush();
            return false;
        }
        None => {}
    }
    let url = req.url().split('?').next().unwrap_or("").to_string();
    if req.method() == &tiny_http::Method::Get && url == "/v1/models" {
        let body = json!({"object": "list", "data": [{"id": model.name(), "object": "model"}]});
        respond_json(req, 200, &body);
        return false;
    }
    if url != "/v1/chat/completions" {
        respond_json(req, 404, &error_body("unknown endpoint"));
        return false;
    }
    let mut text = String::new();
    if req.as_reader().read_to_string(&mut text).is_err() {
        respond_json(req, 400, &error_body("the body is not UTF-8"));
        return false;
    }
    let body: Json = match serde_json::from_str(&text) {
        Ok(b) => b,
        Err(e) => {
            respond_json(req, 400, &error_body(&format!("invalid JSON: {e}")));
            return false;
        }
    };
    let (prompt, images) = match read_messages(&body) {
        Ok(x) => x,
        Err(e) => {
            respond_json(req, 400, &error_body(&e));
            return false;
        }
    };
    match model.answer(&prompt, &images) {
        Ok(answer) => {
            let body = json!({
                "id": "chatcmpl-aequo", "object": "chat.completion", "created": 0,
                "model": model.name(),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                             "finish_reason": "stop", "logprobs": null}],
            });
            respond_json(req, 200, &body);
            true
        }
        Err(e) => {
            respond_json(req, 400, &error_body(&e.to_string()));
            false
        }
    }
}
