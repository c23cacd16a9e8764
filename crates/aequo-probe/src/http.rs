//! The OpenAI-compatible HTTP backend (vLLM, llama.cpp's `llama-server`, Ollama, hosted APIs).
//!
//! [`Mode::Chat`] requests go to `POST {base}/chat/completions`; [`Mode::Prefill`] requests are
//! rendered client-side with the ChatML template plus the prefill and sent to
//! `POST {base}/completions` (DESIGN principle 5: that is how a decision probe makes the next token
//! the answer on servers that do not accept an assistant prefill in chat). Log-probabilities are
//! requested (`logprobs`, `top_logprobs`) and parsed from both the chat shape
//! (`logprobs.content[].top_logprobs[]`, `bytes` may be `null` as llama.cpp sends it) and the
//! legacy completions shape (`tokens`, `token_logprobs`, `top_logprobs` as maps).
//!
//! Robustness: at most `concurrency` requests in flight, request starts spaced by a client-side
//! rate limit, a per-request timeout, and retries with exponential backoff and jitter (from a
//! seeded generator) on timeouts, dropped connections, 429 (honouring `Retry-After`), 5xx and
//! malformed bodies. Other 4xx are the caller's fault and are reported at once.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{json, Value as Json};

use crate::error::{ProbeError, Result};
use crate::model::{
    render_chatml, FinishReason, GeneratedToken, Mode, ModelBackend, Request, Response,
    TokenLogprob,
};

/// Settings of the HTTP backend.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Base URL including `/v1`, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Model name sent in requests.
    pub model: String,
    /// Bearer token (read from the environment by the CLI, never from files).
    pub api_key: Option<String>,
    /// Maximum requests in flight.
    pub concurrency: usize,
    /// Maximum request starts per second (`None` = unlimited).
    pub requests_per_second: Option<f64>,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay; doubles each retry.
    pub backoff_base: Duration,
    /// Longest backoff delay (and longest honoured `Retry-After`).
    pub backoff_max: Duration,
    /// Seed of the jitter generator.
    pub seed: u64,
    /// System prompt inserted when rendering prefill prompts client-side without one (SmolLM2's
    /// template inserts its own; match the server's chat template).
    pub default_system: Option<String>,
}

impl HttpConfig {
    /// Defaults for a server at `base_url` serving `model`.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        HttpConfig {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            model: model.into(),
            api_key: None,
            concurrency: 4,
            requests_per_second: None,
            timeout: Duration::from_secs(120),
            max_retries: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            seed: 0,
            default_system: None,
        }
    }
}

/// Counters of what the client did (for tests and run summaries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpCounters {
    /// Attempts sent.
    pub attempts: u64,
    /// Retries made.
    pub retries: u64,
}

/// The OpenAI-compatible client.
#[derive(Debug)]
pub struct HttpBackend {
    config: HttpConfig,
    agent: ureq::Agent,
    in_flight: Mutex<usize>,
    slot_freed: Condvar,
    next_start: Mutex<Instant>,
    jitter: Mutex<rand::rngs::StdRng>,
    counters: Mutex<HttpCounters>,
}

/// Outcome of one attempt.
enum Attempt {
    Done(Response),
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    Fail(ProbeError),
}

impl HttpBackend {
    /// A client with the given settings.
    pub fn new(config: HttpConfig) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        HttpBackend {
            jitter: Mutex::new(rand::rngs::StdRng::seed_from_u64(config.seed)),
            config,
            agent,
            in_flight: Mutex::new(0),
            slot_freed: Condvar::new(),
            next_start: Mutex::new(Instant::now()),
            counters: Mutex::new(HttpCounters::default()),
        }
    }

    /// What the client has done so far.
    pub fn counters(&self) -> HttpCounters {
        self.counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn acquire(&self) {
        let mut n = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        while *n >= self.config.concurrency.max(1) {
            n = self.slot_freed.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n += 1;
    }

    fn release(&self) {
        let mut n = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        *n -= 1;
        self.slot_freed.notify_one();
    }

    fn pace(&self) {
        let Some(rps) = self.config.requests_per_second.filter(|r| *r > 0.0) else {
            return;
        };
        let interval = Duration::from_secs_f64(1.0 / rps);
        let wait = {
            let mut next = self.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + interval;
            start - now
        };
        std::thread::sleep(wait);
    }

    fn backoff(&self, retry: u32, after: Option<Duration>) -> Duration {
        if let Some(a) = after {
            return a.min(self.config.backoff_max);
        }
        let exp = self
            .config
            .backoff_base
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.config.backoff_max);
        // "Equal jitter": half fixed, half uniform, so that retries of many workers spread out.
        let u: f64 = self
            .jitter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .random();
        exp.mul_f64(0.5 + 0.5 * u)
    }

    /// Sends a Chat Completions body built by the caller (e.g. with image content parts, which
    /// [`Request`]'s plain-text messages cannot carry) through the same concurrency limit, rate
    /// limit, timeout and retries as [`ModelBackend::generate`]. `model` is set to the
    /// configured model when the body has none.
    pub fn send_chat(&self, mut body: Json) -> Result<Response> {
        if body.get("model").is_none() {
            body["model"] = json!(self.config.model);
        }
        let url = format!("{}/chat/completions", self.config.base_url);
        self.send(&url, &body)
    }

    fn send(&self, url: &str, body: &Json) -> Result<Response> {
        let mut retry = 0u32;
        loop {
            self.acquire();
            self.pace();
            self.counters
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .attempts += 1;
            let outcome = self.attempt(url, body);
            self.release();
            match outcome {
                Attempt::Done(r) => return Ok(r),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry { reason, after } => {
                    if retry >= self.config.max_retries {
                        return Err(ProbeError::Server(format!(
                            "{url}: gave up after {} attempts, last: {reason}; check that the server is up or raise --retries",
                            retry + 1
                        )));
                    }
                    std::thread::sleep(self.backoff(retry, after));
                    retry += 1;
                    self.counters
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .retries += 1;
                }
            }
        }
    }

    fn body(&self, request: &Request) -> Result<(String, Json)> {
        let p = &request.params;
        let mut body = json!({
            "model": self.config.model,
            "max_tokens": p.max_tokens,
            "temperature": p.temperature,
            "seed": p.seed,
            "stream": false,
        });
        match request.mode {
            Mode::Chat => {
                body["messages"] = serde_json::to_value(&request.messages)
                    .map_err(|e| ProbeError::InvalidRequest(e.to_string()))?;
                if p.top_logprobs > 0 {
                    body["logprobs"] = json!(true);
                    body["top_logprobs"] = json!(p.top_logprobs);
                }
                Ok((format!("{}/chat/completions", self.config.base_url), body))
            }
            Mode::Prefill => {
                body["prompt"] = json!(render_chatml(
                    request,
                    self.config.default_system.as_deref()
                )?);
                if p.top_logprobs > 0 {
                    body["logprobs"] = json!(p.top_logprobs);
                }
                Ok((format!("{}/completions", self.config.base_url), body))
            }
        }
    }

    fn attempt(&self, url: &str, body: &Json) -> Attempt {
        let mut req = self
            .agent
            .post(url)
            .header("Content-Type", "application/json");
        if let Some(k) = &self.config.api_key {
            req = req.header("Authorization", format!("Bearer {k}"));
        }
        let mut resp = match req.send(body.to_string()) {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry {
                    reason: format!("transport: {e}"),
                    after: None,
                }
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        let text = match resp.body_mut().read_to_string() {
            Ok(t) => t,
            Err(e) => {
                return Attempt::Retry {
                    reason: format!("reading the body: {e}"),
                    after: None,
                }
            }
        };
        match status {
            200..=299 => match serde_json::from_str::<Json>(&text)
                .map_err(|e| e.to_string())
                .and_then(|j| parse_response(&j))
            {
                Ok(r) => Attempt::Done(r),
                Err(e) => Attempt::Retry {
                    reason: format!("malformed response: {e}"),
                    after: None,
                },
            },
            429 => Attempt::Retry {
                reason: "429 rate limited".into(),
                after: retry_after,
            },
            500..=599 => Attempt::Retry {
                reason: format!("{status} server error: {}", truncate(&text)),
                after: retry_after,
            },
            _ => Attempt::Fail(ProbeError::Server(format!(
                "{url} answered {status}: {}; check the model name, the API key and the request parameters",
                truncate(&text)
            ))),
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

impl ModelBackend for HttpBackend {
    fn model_name(&self) -> &str {
        &self.config.model
    }

    fn generate(&self, request: &Request) -> Result<Response> {
        let (url, body) = self.body(request)?;
        self.send(&url, &body)
    }
}

fn lp_entry(v: &Json) -> Option<TokenLogprob> {
    Some(TokenLogprob {
        token: v.get("token")?.as_str()?.to_string(),
        logprob: v.get("logprob")?.as_f64()?,
    })
}

/// Parses a chat or completions response body (non-streaming).
pub fn parse_response(j: &Json) -> std::result::Result<Response, String> {
    let choice = j
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or("no choices[0]")?;
    let text = choice
        .get("message")
        .and_then(|m| m.get("content"))
        .or_else(|| choice.get("text"))
        .and_then(Json::as_str)
        .ok_or("no message.content or text")?
        .to_string();
    let finish_reason = match choice.get("finish_reason").and_then(Json::as_str) {
        Some("length") => FinishReason::Length,
        _ => FinishReason::Stop,
    };
    let mut tokens = Vec::new();
    if let Some(lp) = choice.get("logprobs").filter(|l| !l.is_null()) {
        if let Some(content) = lp.get("content").and_then(Json::as_array) {
            for t in content {
                let first = lp_entry(t).ok_or("a logprobs.content entry lacks token/logprob")?;
                let top = t
                    .get("top_logprobs")
                    .and_then(Json::as_array)
                    .map(|a| a.iter().filter_map(lp_entry).collect())
                    .unwrap_or_default();
                tokens.push(GeneratedToken {
                    token: first.token,
                    logprob: first.logprob,
                    top,
                });
            }
        } else if let Some(toks) = lp.get("tokens").and_then(Json::as_array) {
            let lps = lp.get("token_logprobs").and_then(Json::as_array);
            let tops = lp.get("top_logprobs").and_then(Json::as_array);
            for (i, t) in toks.iter().enumerate() {
                let token = t
                    .as_str()
                    .ok_or("a logprobs.tokens entry is not a string")?;
                let logprob = lps
                    .and_then(|a| a.get(i))
                    .and_then(Json::as_f64)
                    .ok_or("logprobs.token_logprobs is missing an entry")?;
                let mut top: Vec<TokenLogprob> = tops
                    .and_then(|a| a.get(i))
                    .and_then(Json::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| {
                                Some(TokenLogprob {
                                    token: k.clone(),
                                    logprob: v.as_f64()?,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                top.sort_by(|a, b| b.logprob.total_cmp(&a.logprob));
                tokens.push(GeneratedToken {
                    token: token.to_string(),
                    logprob,
                    top,
                });
            }
        }
    }
    let prompt_tokens = j
        .get("usage")
        .and_then(|u| u.get("prompt_tokens"))
        .and_then(Json::as_u64)
        .map(|n| n as usize);
    Ok(Response {
        text,
        tokens,
        finish_reason,
        prompt_tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_llama_cpp_chat_logprobs_with_null_bytes() {
        let j: Json = serde_json::from_str(
            r#"{"choices":[{"index":0,"finish_reason":"length","message":{"role":"assistant","content":"Yes"},
            "logprobs":{"content":[{"token":"Yes","logprob":-0.1,"bytes":null,
            "top_logprobs":[{"token":"Yes","logprob":-0.1,"bytes":null},{"token":"No","logprob":-2.5,"bytes":[78,111]}]}]}}],
            "usage":{"prompt_tokens":52,"completion_tokens":1,"total_tokens":53}}"#,
        )
        .unwrap();
        let r = parse_response(&j).unwrap();
        assert_eq!(r.text, "Yes");
        assert_eq!(r.tokens[0].top.len(), 2);
        assert_eq!(r.prompt_tokens, Some(52));
        assert_eq!(r.finish_reason, FinishReason::Length);
    }

    #[test]
    fn parses_legacy_completions_logprobs() {
        let j: Json = serde_json::from_str(
            r#"{"choices":[{"text":"yes","finish_reason":"length","logprobs":{"tokens":["yes"],"token_logprobs":[-0.2],
            "top_logprobs":[{"no":-1.9,"yes":-0.2}]}}]}"#,
        )
        .unwrap();
        let r = parse_response(&j).unwrap();
        assert_eq!(r.tokens[0].top[0].token, "yes");
        assert!(parse_response(&json!({"choices": []})).is_err());
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let mut c = HttpConfig::new("http://127.0.0.1:1/v1", "m");
        c.backoff_base = Duration::from_millis(100);
        c.backoff_max = Duration::from_millis(350);
        let b = HttpBackend::new(c);
        let d0 = b.backoff(0, None);
        assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
        let d3 = b.backoff(3, None);
        assert!(d3 >= Duration::from_millis(175) && d3 <= Duration::from_millis(350));
        assert_eq!(
            b.backoff(0, Some(Duration::from_millis(7))),
            Duration::from_millis(7)
        );
        assert_eq!(
            b.backoff(0, Some(Duration::from_secs(99))),
            Duration::from_millis(350)
        );
    }
}
