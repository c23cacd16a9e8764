//! Live mode: an ablation plan executed against an OpenAI-compatible vision-language Chat
//! Completions endpoint, through `aequo-probe`'s HTTP client (concurrency limit, rate limit,
//! timeouts, retries with backoff) and its run journal (append-only, fsynced, keyed by request
//! content hash: a rerun skips every request already answered, so an interrupted run resumes).
//!
//! Each plan [`Request`] becomes one chat turn: the image (if given) as an `image_url` content
//! part holding a base64 `data:` URL, then the text part, the prompt template with `{text}`
//! replaced by the item's text for this condition. Ablations come from the plan: a permuted
//! (swapped) image or text is another item's, a conflict input is the item's conflicting one,
//! and a removed image is rendered as [`ImageAblation`] says — omitted, a blank image of the
//! original's size, or uniform noise of that size (seeded per item); removed text is the empty
//! string. The answers are written as the predictions `aequo modality score` reads.
//!
//! The journal stores each request with its images as `aequo-image:sha256:<hex>` references
//! (the hash of the exact bytes sent), not the bytes: the key still changes with every pixel,
//! and the journal stays the size of the text, whatever the image sizes. The bytes are resolved
//! from the run's [`ImageStore`] when the request is sent.

use crate::error::{ModalityError, Result};
use crate::image::{EncodedImage, Image};
pub use crate::plan::write_predictions;
use crate::plan::{Plan, Prediction, Request};
use crate::value::Modality;
use aequo_probe::http::HttpBackend;
use aequo_probe::journal::{Journal, RunStats};
use aequo_probe::model::{Message, Mode, ModelBackend, Params, Request as ChatRequest, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How a removed image is shown to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageAblation {
    /// No image part at all.
    Omit,
    /// A constant image of the original's size ([`LiveConfig::blank_value`]).
    Blank,
    /// Uniform noise of the original's size, seeded per item.
    Noise,
}

impl std::str::FromStr for ImageAblation {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "omit" => Ok(Self::Omit),
            "blank" => Ok(Self::Blank),
            "noise" => Ok(Self::Noise),
            _ => Err(format!("`{s}`: use omit, blank or noise")),
        }
    }
}

/// Settings of a live run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveConfig {
    /// The manifest modality holding images (paths relative to the manifest, or data URLs).
    pub image_modality: Modality,
    /// The manifest modality holding text.
    pub text_modality: Modality,
    /// The user turn's text; `{text}` is replaced by the item's text under the condition.
    pub prompt: String,
    /// An optional system message.
    pub system: Option<String>,
    /// How a removed image is rendered.
    pub image_ablation: ImageAblation,
    /// Grey level of a blank image (every colour channel; alpha opaque).
    pub blank_value: u8,
    /// `max_tokens` of each request.
    pub max_tokens: usize,
    /// Seed sent with each request and of the noise images.
    pub seed: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            image_modality: Modality::new("image"),
            text_modality: Modality::new("text"),
            prompt: "{text}".into(),
            system: None,
            image_ablation: ImageAblation::Blank,
            blank_value: 0,
            max_tokens: 16,
            seed: 0,
        }
    }
}

const IMAGE_REF: &str = "aequo-image:sha256:";

/// The distinct images of a run, by the SHA-256 of their bytes.
#[derive(Debug, Default)]
pub struct ImageStore {
    by_digest: HashMap<String, EncodedImage>,
}

impl ImageStore {
    fn insert(&mut self, img: EncodedImage) -> String {
        let digest: String = Sha256::digest(&img.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.by_digest.entry(digest.clone()).or_insert(img);
        digest
    }

    /// The `data:` URL for a reference written into a journal request.
    pub fn resolve(&self, reference: &str) -> Option<String> {
        let digest = reference.strip_prefix(IMAGE_REF)?;
        self.by_digest.get(digest).map(EncodedImage::data_url)
    }

    /// Distinct images held.
    pub fn len(&self) -> usize {
        self.by_digest.len()
    }

    /// Whether no image is held.
    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }
}

/// The chat requests of a plan, in plan order, with the images they reference.
#[derive(Debug)]
pub struct LivePlan {
    /// (plan request, chat request) pairs.
    pub requests: Vec<(Request, ChatRequest)>,
    /// The images.
    pub images: Arc<ImageStore>,
}

struct Builder<'a> {
    plan: &'a Plan,
    cfg: &'a LiveConfig,
    base: PathBuf,
    store: ImageStore,
    /// Manifest value (path or data URL) → (digest, decoded size if needed).
    files: HashMap<String, String>,
    sizes: HashMap<String, (u32, u32, u8)>,
    blanks: HashMap<(u32, u32, u8), String>,
    item_index: HashMap<String, usize>,
}

fn invalid(message: String) -> ModalityError {
    ModalityError::InvalidInput { message }
}

impl Builder<'_> {
    fn image_value<'v>(&self, id: &str, v: &'v Json) -> Result<&'v str> {
        v.as_str().ok_or_else(|| {
            invalid(format!(
                "item `{id}`: the `{}` input is {v}, not a path or a data URL",
                self.cfg.image_modality
            ))
        })
    }

    fn encoded(&self, value: &str) -> Result<EncodedImage> {
        if value.starts_with("data:") {
            EncodedImage::from_data_url(value)
        } else {
            let p = Path::new(value);
            let path = if p.is_absolute() {
                p.to_path_buf()
            } else {
                self.base.join(p)
            };
            EncodedImage::read(&path)
        }
    }

    fn file(&mut self, value: &str) -> Result<String> {
        if let Some(d) = self.files.get(value) {
            return Ok(d.clone());
        }
        let img = self.encoded(value)?;
        let d = self.store.insert(img);
        self.files.insert(value.to_string(), d.clone());
        Ok(d)
    }

    fn size(&mut self, value: &str) -> Result<(u32, u32, u8)> {
        if let Some(s) = self.sizes.get(value) {
            return Ok(*s);
        }
        let img = self.encoded(value)?.decode(&short(value))?;
        let s = (img.width, img.height, img.channels);
        self.sizes.insert(value.to_string(), s);
        Ok(s)
    }

    /// The digest of the image shown when item `id`'s image is removed (None: omitted).
    fn removed(&mut self, id: &str) -> Result<Option<String>> {
        if self.cfg.image_ablation == ImageAblation::Omit {
            return Ok(None);
        }
        let i = self.item_index[id];
        let item = &self.plan.manifest.items[i];
        let own = item
            .inputs
            .get(&self.cfg.image_modality)
            .cloned()
            .unwrap_or_default();
        let own = self.image_value(id, &own)?.to_string();
        let (w, h, c) = self.size(&own)?;
        match self.cfg.image_ablation {
            ImageAblation::Blank => {
                if let Some(d) = self.blanks.get(&(w, h, c)) {
                    return Ok(Some(d.clone()));
                }
                let img = EncodedImage::png(&Image::filled(w, h, c, self.cfg.blank_value))?;
                let d = self.store.insert(img);
                self.blanks.insert((w, h, c), d.clone());
                Ok(Some(d))
            }
            ImageAblation::Noise => {
                let seed = self
                    .cfg
                    .seed
                    .wrapping_add((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let img = EncodedImage::png(&Image::noise(w, h, c, seed))?;
                Ok(Some(self.store.insert(img)))
            }
            ImageAblation::Omit => Ok(None),
        }
    }

    fn chat(&mut self, req: &Request, model: &str) -> Result<ChatRequest> {
        let id = req.id.0.as_str();
        let mut parts = Vec::new();
        if let Some(v) = req.inputs.get(&self.cfg.image_modality) {
            let digest = if v.is_null() {
                self.removed(id)?
            } else {
                let value = self.image_value(id, v)?.to_string();
                Some(self.file(&value)?)
            };
            if let Some(d) = digest {
                parts.push(
                    json!({"type": "image_url", "image_url": {"url": format!("{IMAGE_REF}{d}")}}),
                );
            }
        }
        let text = match req.inputs.get(&self.cfg.text_modality) {
            None | Some(Json::Null) => String::new(),
            Some(Json::String(s)) => s.clone(),
            Some(other) => {
                return Err(invalid(format!(
                    "item `{id}`: the `{}` input is {other}, not a string",
                    self.cfg.text_modality
                )))
            }
        };
        let rendered = self.cfg.prompt.replace("{text}", &text);
        if !rendered.trim().is_empty() || parts.is_empty() {
            parts.push(json!({"type": "text", "text": rendered}));
        }
        let mut messages = Vec::new();
        if let Some(s) = &self.cfg.system {
            messages.push(Message::system(s.clone()));
        }
        messages.push(Message::user(Json::Array(parts).to_string()));
        Ok(ChatRequest {
            model: model.to_string(),
            mode: Mode::Chat,
            messages,
            prefill: None,
            params: Params {
                max_tokens: self.cfg.max_tokens,
                temperature: 0.0,
                seed: self.cfg.seed,
                top_logprobs: 0,
            },
        })
    }
}

fn short(value: &str) -> String {
    if value.len() > 48 {
        format!("{}…", value.chars().take(40).collect::<String>())
    } else {
        value.to_string()
    }
}

/// Builds the chat request of every plan request, reading (and, for blank and noise ablations,
/// decoding) every image once. Fails before anything is sent when an image is missing or
/// unreadable or the manifest has a modality live mode cannot send.
pub fn prepare(plan: &Plan, cfg: &LiveConfig, model: &str) -> Result<LivePlan> {
    if !cfg.prompt.contains("{text}") && plan.manifest.modalities.contains(&cfg.text_modality) {
        return Err(ModalityError::InvalidConfig {
            message: format!(
                "the prompt has no `{{text}}` placeholder, so the `{}` modality would never reach the model; add `{{text}}` to --prompt",
                cfg.text_modality
            ),
        });
    }
    if let Some(m) = plan
        .manifest
        .modalities
        .iter()
        .find(|m| **m != cfg.image_modality && **m != cfg.text_modality)
    {
        return Err(ModalityError::InvalidConfig {
            message: format!(
                "live chat mode sends one image modality (`{}`) and one text modality (`{}`); the manifest also has `{m}` — rename it with --image-modality / --text-modality or score that model's predictions offline",
                cfg.image_modality, cfg.text_modality
            ),
        });
    }
    let base = plan
        .manifest
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut b = Builder {
        plan,
        cfg,
        base,
        store: ImageStore::default(),
        files: HashMap::new(),
        sizes: HashMap::new(),
        blanks: HashMap::new(),
        item_index: plan
            .manifest
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.0.clone(), i))
            .collect(),
    };
    let mut requests = Vec::new();
    for r in plan.requests() {
        let chat = b.chat(&r, model).map_err(|e| match e {
            ModalityError::InvalidInput { message } => invalid(format!(
                "{message} (condition `{}`, item `{}` of {})",
                r.condition,
                r.id,
                plan.manifest.path.display()
            )),
            other => other,
        })?;
        requests.push((r, chat));
    }
    Ok(LivePlan {
        requests,
        images: Arc::new(b.store),
    })
}

/// A [`ModelBackend`] that sends the chat requests of a [`LivePlan`] with their images
/// resolved into `data:` URLs.
#[derive(Debug)]
pub struct VisionChat {
    http: HttpBackend,
    images: Arc<ImageStore>,
}

impl VisionChat {
    /// Wraps a client.
    pub fn new(http: HttpBackend, images: Arc<ImageStore>) -> Self {
        Self { http, images }
    }

    /// The client (for its counters).
    pub fn http(&self) -> &HttpBackend {
        &self.http
    }

    fn body(&self, r: &ChatRequest) -> std::result::Result<Json, String> {
        let mut messages = Vec::new();
        for m in &r.messages {
            let role = serde_json::to_value(m.role).map_err(|e| e.to_string())?;
            let content = if m.role == aequo_probe::model::Role::User {
                let mut parts: Vec<Json> = serde_json::from_str(&m.content)
                    .map_err(|e| format!("a user turn is not a list of content parts ({e})"))?;
                for p in &mut parts {
                    if let Some(url) = p.pointer_mut("/image_url/url") {
                        let reference = url.as_str().unwrap_or_default().to_string();
                        *url = json!(self.images.resolve(&reference).ok_or_else(|| {
                            format!("image {reference} is not in this run's images")
                        })?);
                    }
                }
                Json::Array(parts)
            } else {
                json!(m.content)
            };
            messages.push(json!({"role": role, "content": content}));
        }
        Ok(json!({
            "model": r.model,
            "messages": messages,
            "max_tokens": r.params.max_tokens,
            "temperature": r.params.temperature,
            "seed": r.params.seed,
            "stream": false,
        }))
    }
}

impl ModelBackend for VisionChat {
    fn model_name(&self) -> &str {
        self.http.model_name()
    }

    fn generate(&self, request: &ChatRequest) -> aequo_probe::Result<Response> {
        let body = self
            .body(request)
            .map_err(aequo_probe::ProbeError::InvalidRequest)?;
        self.http.send_chat(body)
    }
}

/// What a live run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveOutcome {
    /// One prediction per plan request, in plan order.
    pub predictions: Vec<Prediction>,
    /// What the journal run did (sent, served from the journal).
    pub stats: RunStats,
}

/// Runs every request of `plan` not yet in `journal` through `backend` with `workers`
/// concurrent workers, then reads every answer from the journal. When any request fails
/// (after the client's retries) no prediction is returned: the error says how many failed and
/// that the completed ones are kept in the journal, so the same command resumes.
pub fn run_live(
    live: &LivePlan,
    backend: &dyn ModelBackend,
    journal: &Journal,
    workers: usize,
) -> Result<LiveOutcome> {
    let chats: Vec<ChatRequest> = live.requests.iter().map(|(_, c)| c.clone()).collect();
    let (stats, errors) = aequo_probe::journal::run(backend, journal, &chats, workers, &|_| {});
    if let Some((key, first)) = errors.first() {
        return Err(ModalityError::Live {
            message: format!(
                "{} of {} distinct requests failed (first, request {}: {first}); the {} answered are kept in {} — fix the cause and rerun the same command to resume",
                errors.len(),
                stats.distinct,
                &key.0[..12.min(key.0.len())],
                stats.generated + stats.from_journal,
                journal.path().display()
            ),
        });
    }
    let mut predictions = Vec::with_capacity(live.requests.len());
    for (r, c) in &live.requests {
        let resp = journal.get(&c.key()).ok_or_else(|| ModalityError::Live {
            message: format!(
                "the answer to condition `{}`, item `{}` is not in {} after the run",
                r.condition,
                r.id,
                journal.path().display()
            ),
        })?;
        predictions.push(Prediction {
            condition: r.condition.clone(),
            id: r.id.clone(),
            prediction: resp.text.trim().to_string(),
            label: None,
        });
    }
    Ok(LiveOutcome { predictions, stats })
}
