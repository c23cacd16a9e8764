//! The one model interface (DESIGN principle 5): every backend — the embedded GGUF model, an
//! OpenAI-compatible server — takes a [`Request`] and returns a [`Response`] with the generated
//! text and, per generated token, its log-probability and the top-k alternatives.
//!
//! A request is either a plain chat turn ([`Mode::Chat`], what `/v1/chat/completions` does: the
//! server applies the chat template and the answer starts wherever the model likes) or a
//! completion with the chat template applied client-side and an assistant prefill
//! ([`Mode::Prefill`], `/v1/completions`): the latter forces the next token to be the decision,
//! which is why decision probes support both and record how much probability mass they covered.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;

/// Who speaks a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// System instructions.
    System,
    /// The user.
    User,
    /// The model.
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: String,
}

impl Message {
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: Role::User,
            content: content.into(),
        }
    }
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            role: Role::System,
            content: content.into(),
        }
    }
}

/// How the prompt reaches the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Chat completion: the backend applies the chat template and opens the assistant turn.
    #[default]
    Chat,
    /// Completion of the client-side chat template followed by `prefill` inside the assistant
    /// turn.
    Prefill,
}

/// Decoding parameters. Part of the request's content hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Maximum number of tokens to generate.
    pub max_tokens: usize,
    /// Sampling temperature; 0 means greedy decoding.
    pub temperature: f64,
    /// Seed of the sampler (ignored when greedy).
    pub seed: u64,
    /// How many alternatives to report per generated token (0 = none).
    pub top_logprobs: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_tokens: 1,
            temperature: 0.0,
            seed: 0,
            top_logprobs: 20,
        }
    }
}

/// A request to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The model's name as the backend knows it.
    pub model: String,
    /// Chat or prefilled completion.
    pub mode: Mode,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Text that opens the assistant's turn ([`Mode::Prefill`] only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    /// Decoding parameters.
    pub params: Params,
}

/// Content hash of a request: SHA-256 over its canonical JSON (model, mode, messages, prefill,
/// parameters). Two requests with the same hash are the same question to the same model.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestKey(pub String);

impl std::fmt::Display for RequestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Request {
    /// The request's content hash.
    pub fn key(&self) -> RequestKey {
        // serde_json writes struct fields in declaration order, so the encoding is canonical.
        let bytes = serde_json::to_vec(self).expect("a request always serialises");
        let digest = Sha256::digest(&bytes);
        RequestKey(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// Renders the ChatML prompt of a request: `default_system` first when the conversation has no
/// system message (as SmolLM2's template does), each message as
/// `<|im_start|>{role}\n{content}<|im_end|>\n`, then the opened assistant turn and, in
/// [`Mode::Prefill`], the prefill.
pub fn render_chatml(request: &Request, default_system: Option<&str>) -> Result<String> {
    let mut s = String::new();
    if request.messages.first().map(|m| m.role) != Some(Role::System) {
        if let Some(sys) = default_system {
            s.push_str(&format!("<|im_start|>system\n{sys}<|im_end|>\n"));
        }
    }
    for Message { role, content } in &request.messages {
        let role = match role {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        s.push_str(&format!("<|im_start|>{role}\n{content}<|im_end|>\n"));
    }
    s.push_str("<|im_start|>assistant\n");
    match (request.mode, &request.prefill) {
        (Mode::Prefill, Some(p)) => s.push_str(p),
        (Mode::Chat, Some(_)) => {
            return Err(crate::error::ProbeError::InvalidRequest(
                "a prefill needs mode = prefill; chat mode cannot start the assistant's turn"
                    .into(),
            ))
        }
        _ => {}
    }
    Ok(s)
}

/// A token with its log-probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenLogprob {
    /// The token's text.
    pub token: String,
    /// Natural-log probability under the model (before sampling adjustments).
    pub logprob: f64,
}

/// One generated token, with the alternatives the backend reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedToken {
    /// The token that was generated.
    pub token: String,
    /// Its log-probability.
    pub logprob: f64,
    /// The most likely tokens at this position, most likely first.
    pub top: Vec<TokenLogprob>,
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// An end-of-turn token.
    Stop,
    /// `max_tokens` reached.
    Length,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The generated text (without the prefill).
    pub text: String,
    /// Per generated token, when the backend reports log-probabilities.
    #[serde(default)]
    pub tokens: Vec<GeneratedToken>,
    /// Why generation stopped.
    pub finish_reason: FinishReason,
    /// Number of prompt tokens, when known.
    #[serde(default)]
    pub prompt_tokens: Option<usize>,
}

/// A language model reachable by aequo.
pub trait ModelBackend: Send + Sync {
    /// The model name written into requests.
    fn model_name(&self) -> &str;
    /// Answers one request.
    fn generate(&self, request: &Request) -> Result<Response>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_every_part() {
        let base = Request {
            model: "m".into(),
            mode: Mode::Chat,
            messages: vec![Message::user("hi")],
            prefill: None,
            params: Params::default(),
        };
        let k = base.key();
        assert_eq!(k, base.clone().key());
        assert_eq!(k.0.len(), 64);
        let mut r = base.clone();
        r.params.seed = 1;
        assert_ne!(r.key(), k);
        let mut r = base.clone();
        r.mode = Mode::Prefill;
        assert_ne!(r.key(), k);
        let mut r = base.clone();
        r.messages[0].content.push(' ');
        assert_ne!(r.key(), k);
        let mut r = base;
        r.model = "n".into();
        assert_ne!(r.key(), k);
    }
}
