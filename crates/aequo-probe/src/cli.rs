//! The `aequo probe` subcommands, mounted by the `aequo` binary. Generation (`run`) and scoring
//! (`score`) are separate commands; `plan` writes the probes as JSON Lines for users who generate
//! responses elsewhere; `serve-model` serves the embedded model over an OpenAI-compatible API;
//! `suites` lists the built-in suites.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use std::time::Duration;

use crate::counterfactual::{builtin_lexicons, parse_lexicons, Swapper};
use crate::embedded::{default_model_path, EmbeddedModel};
use crate::embedding::{default_encoder_path, SentenceEncoder};
use crate::http::{HttpBackend, HttpConfig};
use crate::journal::{run as run_journal, Journal};
use crate::metrics::Bootstrap;
use crate::model::{Mode, ModelBackend};
use crate::score::{score_with, ScoreOptions};
use crate::serve::ModelServer;
use crate::suite::{ExpandOptions, Probe, Suite, BUILTIN_SUITES};

/// How a suite is expanded into requests; `run`, `score` and `plan` must agree on these to
/// address the same journal entries.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// Built-in suite name (decisions, bbq, scores, recommendations, free-text), a suite YAML file, or an
    /// import: `discrim-eval:FILE.jsonl` or `bbq-jsonl:FILE.jsonl`.
    #[arg(long, default_value = "decisions")]
    pub suite: String,
    /// GGUF model file of the embedded backend [default: the SmolLM2 fixture].
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Model name written into requests [default: the model file's stem].
    #[arg(long)]
    pub model_name: Option<String>,
    /// `prefill` (chat template applied client-side plus an assistant prefill, so the next token
    /// is the answer) or `chat` (plain chat turn).
    #[arg(long, default_value = "prefill", value_parser = ["prefill", "chat"])]
    pub mode: String,
    /// Axes to vary (comma-separated) [default: all].
    #[arg(long, value_delimiter = ',')]
    pub axes: Vec<String>,
    /// Number of implicit cues per value to use besides the explicit form.
    #[arg(long, default_value_t = 0)]
    pub implicit: usize,
    /// Leave out the explicit form.
    #[arg(long)]
    pub no_explicit: bool,
    /// Use only the first N templates / items.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Base seed of sampled questions.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Alternatives requested per generated token.
    #[arg(long, default_value_t = 20)]
    pub top_logprobs: usize,
}

impl PlanArgs {
    fn model_path(&self) -> PathBuf {
        self.model.clone().unwrap_or_else(default_model_path)
    }

    fn model_name(&self) -> String {
        self.model_name.clone().unwrap_or_else(|| {
            self.model_path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "embedded".into())
        })
    }

    fn expand(&self) -> anyhow::Result<(Suite, Vec<Probe>)> {
        let options = self.options();
        let imported = |name: &str, axes: Vec<crate::suite::Axis>| Suite {
            name: name.into(),
            description: format!("imported from {}", self.suite),
            axes,
            templates: vec![],
            bbq: vec![],
        };
        if let Some(p) = self.suite.strip_prefix("discrim-eval:") {
            let probes = crate::import::discrim_eval(std::path::Path::new(p), &options)?;
            return Ok((
                imported("discrim-eval", crate::import::discrim_eval_axes()),
                probes,
            ));
        }
        if let Some(p) = self.suite.strip_prefix("bbq-jsonl:") {
            let probes = crate::import::bbq(std::path::Path::new(p), &options)?;
            return Ok((imported("bbq-jsonl", crate::suite::builtin_axes()), probes));
        }
        let suite = Suite::load(&self.suite)?;
        let probes = suite.expand(&options);
        Ok((suite, probes))
    }

    fn options(&self) -> ExpandOptions {
        ExpandOptions {
            model: self.model_name(),
            mode: if self.mode == "chat" {
                Mode::Chat
            } else {
                Mode::Prefill
            },
            axes: self.axes.clone(),
            explicit: !self.no_explicit,
            implicit: self.implicit,
            limit: self.limit,
            seed: self.seed,
            top_logprobs: self.top_logprobs,
        }
    }
}

/// The HTTP backend's options.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1; requests use
    /// --model-name as the model.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Environment variable holding the API key.
    #[arg(long, default_value = "OPENAI_API_KEY")]
    pub api_key_env: String,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Request starts per second at most.
    #[arg(long)]
    pub rps: Option<f64>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 120.0)]
    pub timeout: f64,
    /// Retries per request on timeouts, 429, 5xx and malformed responses.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// System prompt the server's chat template inserts, for prefill prompts rendered here.
    #[arg(long)]
    pub default_system: Option<String>,
}

/// Output options of `score`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Write the JSON result here [default: stdout].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write a Markdown summary here.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Write a self-contained HTML page here (charts inline, nothing fetched).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Bootstrap replicates.
    #[arg(long, default_value_t = 1000)]
    pub replicates: usize,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 20231206)]
    pub bootstrap_seed: u64,
    /// Sentence-encoder directory (sentence-transformers layout, BERT) for the free-text cosine
    /// similarity [default: the all-MiniLM-L6-v2 fixture, skipped with a notice when absent].
    #[arg(long)]
    pub encoder: Option<PathBuf>,
    /// Do not compute embedding cosine similarity.
    #[arg(long, conflicts_with = "encoder")]
    pub no_encoder: bool,
}

impl OutputArgs {
    /// The sentence encoder to use: the one named (an error if it does not load), else the
    /// default fixture when present.
    fn load_encoder(&self) -> anyhow::Result<Option<SentenceEncoder>> {
        if self.no_encoder {
            return Ok(None);
        }
        let (path, explicit) = match &self.encoder {
            Some(p) => (p.clone(), true),
            None => (default_encoder_path(), false),
        };
        if !explicit && !path.exists() {
            eprintln!(
                "note: sentence encoder {} is absent, so free-text cosine similarity is not computed (run scripts/fixtures.sh models, or pass --encoder)",
                path.display()
            );
            return Ok(None);
        }
        let enc = SentenceEncoder::load(&path)
            .with_context(|| format!("loading the sentence encoder {}", path.display()))?;
        Ok(Some(enc))
    }
}

/// `aequo probe …`
#[derive(Debug, clap::Subcommand)]
pub enum ProbeCommand {
    /// Generate: send every probe of a suite not yet in the journal to the model and journal the
    /// responses (resumable; identical requests are served from the journal).
    Run {
        /// Suite expansion.
        #[command(flatten)]
        plan: PlanArgs,
        /// The run journal (JSON Lines, appended to).
        #[arg(long, default_value = "aequo-probe.journal.jsonl")]
        journal: PathBuf,
        /// Concurrent requests.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Inference threads of the embedded model [default: AEQUO_THREADS, else all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// OpenAI-compatible server (base URL including /v1) instead of the embedded model.
        #[command(flatten)]
        http: HttpArgs,
    },
    /// Serve a GGUF model over an OpenAI-compatible HTTP API (chat and completions, logprobs).
    ServeModel {
        /// GGUF model file [default: the SmolLM2 fixture].
        #[arg(long)]
        model: Option<PathBuf>,
        /// Address to listen on (loopback by default).
        #[arg(long, default_value = "127.0.0.1:8089")]
        listen: String,
        /// Inference threads [default: AEQUO_THREADS, else all cores].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Score: compute the probe metrics from a journal (no model is called).
    Score {
        /// Suite expansion (must match the run).
        #[command(flatten)]
        plan: PlanArgs,
        /// The run journal.
        #[arg(long, default_value = "aequo-probe.journal.jsonl")]
        journal: PathBuf,
        /// Output.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Write the probes of a suite (id, meaning, request, key) as JSON Lines, for generating
    /// responses elsewhere and scoring them with `score`.
    Plan {
        /// Suite expansion.
        #[command(flatten)]
        plan: PlanArgs,
        /// Output file [default: stdout].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Word-swap counterfactuals of your prompts (one per line): JSON Lines with one variant per
    /// group for each prompt that mentions the attribute (prompts that do not are reported as
    /// satisfying fairness through unawareness).
    Counterfactual {
        /// Text file, one prompt per line.
        #[arg(long)]
        input: PathBuf,
        /// Attribute lexicon: a built-in name (gender, race).
        #[arg(long, default_value = "gender")]
        attribute: String,
        /// Lexicon YAML file replacing the built-in lexicons.
        #[arg(long)]
        lexicons: Option<PathBuf>,
    },
    /// List the built-in suites.
    Suites,
}

/// Runs a probe subcommand.
pub fn run(cmd: ProbeCommand) -> anyhow::Result<()> {
    match cmd {
        ProbeCommand::Run {
            plan,
            journal,
            workers,
            threads,
            http,
        } => {
            let (_, probes) = plan.expand()?;
            let model: Arc<dyn ModelBackend> = match &http.endpoint {
                Some(url) => {
                    let mut c = HttpConfig::new(url.clone(), plan.model_name());
                    c.api_key = std::env::var(&http.api_key_env).ok();
                    c.concurrency = http.concurrency;
                    c.requests_per_second = http.rps;
                    c.timeout = Duration::from_secs_f64(http.timeout.max(0.001));
                    c.max_retries = http.retries;
                    c.default_system = http.default_system.clone();
                    Arc::new(HttpBackend::new(c))
                }
                None => {
                    let path = plan.model_path();
                    let mut m = EmbeddedModel::load(&path).with_context(|| {
                        format!("loading the embedded model {}", path.display())
                    })?;
                    if let Some(t) = threads {
                        m = m.with_threads(t)?;
                    }
                    Arc::new(m)
                }
            };
            let j = Journal::open(&journal)?;
            let requests: Vec<_> = probes.iter().map(|p| p.request.clone()).collect();
            let started = std::time::Instant::now();
            let (stats, errors) = run_journal(model.as_ref(), &j, &requests, workers, &|_| {});
            let secs = started.elapsed().as_secs_f64();
            let summary = serde_json::json!({
                "schema": crate::score::SCHEMA,
                "command": "run",
                "suite": plan.suite,
                "model": plan.model_name(),
                "journal": journal,
                "stats": stats,
                "seconds": secs,
                "errors": errors.iter().map(|(k, e)| serde_json::json!({"key": k, "error": e.to_string()})).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&summary)?);
            if !errors.is_empty() {
                anyhow::bail!(
                    "{} of {} requests failed; rerun the same command to retry them",
                    errors.len(),
                    stats.distinct
                );
            }
            Ok(())
        }
        ProbeCommand::Score {
            plan,
            journal,
            output,
        } => {
            let (suite, probes) = plan.expand()?;
            if !journal.exists() {
                anyhow::bail!(
                    "journal {} does not exist; run `aequo probe run` first or pass --journal",
                    journal.display()
                );
            }
            let j = Journal::open(&journal)?;
            let encoder = if probes
                .iter()
                .any(|p| matches!(p.kind, crate::suite::ProbeKind::FreeText { .. }))
            {
                output.load_encoder()?
            } else {
                None
            };
            let report = score_with(
                &suite.name,
                &plan.model_name(),
                &probes,
                &suite.axes(),
                &j,
                Bootstrap {
                    replicates: output.replicates,
                    seed: output.bootstrap_seed,
                },
                ScoreOptions {
                    encoder: encoder.as_ref(),
                },
            );
            let json = serde_json::to_string_pretty(&report)?;
            match &output.out {
                Some(p) => std::fs::write(p, json + "\n")
                    .with_context(|| format!("writing {}", p.display()))?,
                None => println!("{json}"),
            }
            if let Some(p) = &output.markdown {
                std::fs::write(p, report.to_markdown())
                    .with_context(|| format!("writing {}", p.display()))?;
            }
            if let Some(p) = &output.html {
                std::fs::write(p, report.to_html())
                    .with_context(|| format!("writing {}", p.display()))?;
            }
            Ok(())
        }
        ProbeCommand::Plan { plan, out } => {
            let (_, probes) = plan.expand()?;
            let mut w: Box<dyn Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("creating {}", p.display()))?,
                )),
                None => Box::new(std::io::stdout().lock()),
            };
            for p in &probes {
                let line = serde_json::json!({"key": p.request.key(), "probe": p});
                writeln!(w, "{line}")?;
            }
            w.flush()?;
            Ok(())
        }
        ProbeCommand::ServeModel {
            model,
            listen,
            threads,
        } => {
            let path = model.unwrap_or_else(default_model_path);
            let mut m = EmbeddedModel::load(&path)
                .with_context(|| format!("loading the embedded model {}", path.display()))?;
            if let Some(t) = threads {
                m = m.with_threads(t)?;
            }
            let name = m.model_name().to_string();
            let server = ModelServer::start(Arc::new(m), &listen)?;
            eprintln!(
                "serving {name} at {} (POST /chat/completions, /completions; Ctrl-C stops)",
                server.url()
            );
            server.wait();
            Ok(())
        }
        ProbeCommand::Counterfactual {
            input,
            attribute,
            lexicons,
        } => {
            let all = match &lexicons {
                Some(p) => {
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    parse_lexicons(&text, &p.display().to_string())?
                }
                None => builtin_lexicons(),
            };
            let names: Vec<String> = all.iter().map(|l| l.name.clone()).collect();
            let lexicon = all
                .into_iter()
                .find(|l| l.name == attribute)
                .with_context(|| {
                    format!(
                        "no lexicon named {attribute}; available: {}",
                        names.join(", ")
                    )
                })?;
            let swapper = Swapper::new(lexicon)?;
            let text = std::fs::read_to_string(&input)
                .with_context(|| format!("reading {}", input.display()))?;
            let mut out = std::io::stdout().lock();
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let cf = swapper.counterfactuals(line);
                let v = serde_json::json!({
                    "line": i + 1, "prompt": line, "attribute": attribute,
                    "mentions_attribute": !cf.is_empty(), "counterfactuals": cf,
                });
                writeln!(out, "{v}")?;
            }
            Ok(())
        }
        ProbeCommand::Suites => {
            for (name, _) in BUILTIN_SUITES {
                let s = Suite::builtin(name)?;
                println!(
                    "{name}\t{} templates, {} BBQ items\t{}",
                    s.templates.len(),
                    s.bbq.len(),
                    s.description
                );
            }
            Ok(())
        }
    }
}
