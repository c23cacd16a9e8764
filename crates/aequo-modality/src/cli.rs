//! The `aequo modality` subcommands, mounted by the `aequo` binary:
//! `plan` (write the conditions), `score` (read predictions back, write the report),
//! `synth` (a synthetic data set with known reliance, optionally with the reference model's
//! predictions), `xmod` (cross-modal consistency from XModBench-style result files) and
//! `blind-faith` (Text Preference Ratio from blind-faith-in-text answer files), `run` (the plan
//! executed live against an OpenAI-compatible vision-language endpoint), `serve` and
//! `train-digits` (the digits late-fusion model as such an endpoint).
//!
//! Every command writes JSON with a `schema` field (`aequo.modality/1`, `aequo.modality.plan/1`,
//! `aequo.modality.xmod/1`, `aequo.modality.conflict/1`) and a Markdown summary, and prints the
//! Markdown.

use crate::answer::Cleaning;
use crate::bootstrap::BootstrapConfig;
use crate::conflict::{normalised_accuracy, text_preference};
use crate::fusion::{train_digits, DigitsFusion, DigitsTraining};
use crate::io::blind_faith::{load_model, paired_scores, statuses, Scorer, TextSource};
use crate::io::xmodbench::read_model;
#[cfg(feature = "live")]
use crate::live::{prepare, run_live, ImageAblation, LiveConfig, VisionChat};
use crate::plan::{
    align, read_predictions, score, Manifest, PermuteWithin, Plan, PlanConfig, ScoreConfig,
    PLAN_SCHEMA,
};
use crate::report::ModalityReport;
use crate::serve::VisionServer;
use crate::synth::manifest::{answer, manifest_lines};
use crate::synth::{ChannelSpec, LinearFusion, StructureMix, SynthConfig, SynthDataset};
#[cfg(feature = "live")]
use crate::value::Modality;
use crate::xmod::{cross_modal_consistency, Aggregation, UnansweredPolicy, XmodConfig, XmodReport};
#[cfg(feature = "live")]
use aequo_probe::http::{HttpBackend, HttpConfig};
#[cfg(feature = "live")]
use aequo_probe::journal::Journal;
use anyhow::Context;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
#[cfg(feature = "live")]
use std::time::Duration;

/// Options that define a plan (the same for `plan` and `score`).
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// Seeded permutations per modality for the perceptual score.
    #[arg(long, default_value_t = 5)]
    pub permutations: usize,
    /// Also permute within `label` or `group` (label-conditional perceptual score).
    #[arg(long, value_parser = ["label", "group"])]
    pub within: Option<String>,
    /// Do not plan every modality subset (no Shapley attribution).
    #[arg(long)]
    pub no_shapley: bool,
    /// Rates for missing-modality curves, comma separated (e.g. 0.25,0.5,1).
    #[arg(long, value_delimiter = ',')]
    pub missing_rates: Vec<f64>,
    /// Do not plan conflict conditions.
    #[arg(long)]
    pub no_conflicts: bool,
    /// Also permute every subset of two or more modalities jointly (subset and
    /// modality-conditional perceptual scores).
    #[arg(long)]
    pub joint_permutations: bool,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl PlanArgs {
    fn config(&self) -> PlanConfig {
        PlanConfig {
            permutations: self.permutations,
            within: self.within.as_deref().map(|w| {
                if w == "label" {
                    PermuteWithin::Label
                } else {
                    PermuteWithin::Group
                }
            }),
            shapley: !self.no_shapley,
            missing_rates: self.missing_rates.clone(),
            conflicts: !self.no_conflicts,
            joint_permutations: self.joint_permutations,
            seed: self.seed,
        }
    }
}

/// Bootstrap options.
#[derive(Debug, Clone, clap::Args)]
pub struct BootArgs {
    /// Bootstrap replicates (0: no intervals).
    #[arg(long, default_value_t = 1000)]
    pub replicates: usize,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 0)]
    pub bootstrap_seed: u64,
    /// Interval coverage.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
}

impl BootArgs {
    fn config(&self) -> BootstrapConfig {
        BootstrapConfig {
            replicates: self.replicates,
            seed: self.bootstrap_seed,
            level: self.level,
        }
    }
}

/// Options of a live run against an OpenAI-compatible vision-language endpoint.
#[cfg(feature = "live")]
#[derive(Debug, Clone, clap::Args)]
pub struct LiveArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080/v1 (requests go to /chat/completions).
    #[arg(long)]
    pub endpoint: String,
    /// Model name sent in requests.
    #[arg(long)]
    pub model: String,
    /// Environment variable holding the API key (sent as a bearer token when set).
    #[arg(long, default_value = "OPENAI_API_KEY")]
    pub api_key_env: String,
    /// The user turn's text; `{text}` is replaced by the item's text under each condition.
    #[arg(long, default_value = "{text}")]
    pub prompt: String,
    /// A system message.
    #[arg(long)]
    pub system: Option<String>,
    /// How a removed image is shown: omit (no image part), blank (constant image of the
    /// original's size) or noise (uniform noise of that size, seeded per item).
    #[arg(long, default_value = "blank", value_parser = ["omit", "blank", "noise"])]
    pub image_ablation: String,
    /// Grey level of blank images.
    #[arg(long, default_value_t = 0)]
    pub blank_value: u8,
    /// The manifest modality holding images (paths relative to the manifest, or data URLs).
    #[arg(long, default_value = "image")]
    pub image_modality: String,
    /// The manifest modality holding text.
    #[arg(long, default_value = "text")]
    pub text_modality: String,
    /// max_tokens of each request.
    #[arg(long, default_value_t = 16)]
    pub max_tokens: usize,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Request starts per second at most.
    #[arg(long)]
    pub rps: Option<f64>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 120.0)]
    pub timeout: f64,
    /// Retries per request on timeouts, dropped connections, 429, 5xx and malformed responses.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
}

#[cfg(feature = "live")]
impl LiveArgs {
    fn config(&self, seed: u64) -> anyhow::Result<LiveConfig> {
        Ok(LiveConfig {
            image_modality: Modality::new(self.image_modality.clone()),
            text_modality: Modality::new(self.text_modality.clone()),
            prompt: self.prompt.clone(),
            system: self.system.clone(),
            image_ablation: self
                .image_ablation
                .parse::<ImageAblation>()
                .map_err(anyhow::Error::msg)?,
            blank_value: self.blank_value,
            max_tokens: self.max_tokens,
            seed,
        })
    }

    fn http(&self) -> HttpBackend {
        let mut c = HttpConfig::new(self.endpoint.clone(), self.model.clone());
        c.api_key = std::env::var(&self.api_key_env).ok();
        c.concurrency = self.concurrency.max(1);
        c.requests_per_second = self.rps;
        c.timeout = Duration::from_secs_f64(self.timeout.max(0.001));
        c.max_retries = self.retries;
        HttpBackend::new(c)
    }
}

/// `aequo modality …`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ModalityCommand {
    /// Write the ablation plan (plan.json, requests.jsonl) for a JSONL manifest.
    Plan {
        /// The manifest: one {"id", "label", "inputs": {modality: value}} per line.
        manifest: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Plan options.
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Score the model's predictions for a plan; writes report.json and report.md.
    Score {
        /// The manifest the plan was made from.
        manifest: PathBuf,
        /// Predictions: JSONL {"condition", "id", "prediction"}, or CSV / Parquet (by extension) with those columns.
        predictions: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// The plan options used with `plan` (they must match).
        #[command(flatten)]
        plan: PlanArgs,
        /// Bootstrap options.
        #[command(flatten)]
        boot: BootArgs,
        /// Compare answers with labels case-sensitively.
        #[arg(long)]
        case_sensitive: bool,
        /// Also write the report as a self-contained HTML page (charts with intervals, tables,
        /// methods) to this file; rendered by the `aequo` binary.
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Run the plan live against an OpenAI-compatible vision-language endpoint (images as data
    /// URLs), through a resumable journal; writes predictions.jsonl for `score`.
    #[cfg(feature = "live")]
    Run {
        /// The manifest: one {"id", "label", "inputs": {"image": path, "text": …}} per line.
        manifest: PathBuf,
        /// The run journal (JSONL; a rerun skips every request already answered).
        #[arg(long)]
        journal: PathBuf,
        /// Output directory (predictions.jsonl, run.md).
        #[arg(long)]
        out: PathBuf,
        /// Plan options (pass the same to `score`).
        #[command(flatten)]
        plan: PlanArgs,
        /// Endpoint and request options.
        #[command(flatten)]
        live: Box<LiveArgs>,
    },
    /// Run the plan against an ONNX classifier whose inputs are named after the modalities
    /// (feature vectors; a removed modality is zeros); writes predictions.jsonl for `score`.
    #[cfg(feature = "onnx")]
    Onnx {
        /// The manifest: inputs are feature vectors (JSON arrays of numbers).
        manifest: PathBuf,
        /// The ONNX model.
        #[arg(long)]
        model: PathBuf,
        /// Output directory (predictions.jsonl).
        #[arg(long)]
        out: PathBuf,
        /// The output to read: an integer class index, or float scores (arg-max)
        /// [default: `label` if present, else the first output].
        #[arg(long)]
        output: Option<String>,
        /// Class names by index, comma separated [default: the index].
        #[arg(long, value_delimiter = ',')]
        classes: Vec<String>,
        /// Plan options (pass the same to `score`).
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Serve a trained digits late-fusion model (JSON from `train-digits`) as an
    /// OpenAI-compatible vision-language endpoint.
    Serve {
        /// The model file.
        model: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
    },
    /// Train the digits late-fusion model (scikit-learn's digits as the image channel, a noisy
    /// digit word as the text channel) and write it as JSON, with a manifest of held-out items
    /// (PNG images and captions) to run it on.
    TrainDigits {
        /// digits.csv.gz (from `scripts/fixtures.sh digits`).
        digits: PathBuf,
        /// Output directory: model.json, manifest.jsonl, img/*.png.
        #[arg(long)]
        out: PathBuf,
        /// Probability that the text names a random digit instead of the true one.
        #[arg(long, default_value_t = 0.5)]
        text_corruption: f64,
        /// Items used for training (the rest form the manifest).
        #[arg(long, default_value_t = 1200)]
        train_items: usize,
        /// Held-out items written to the manifest (at most the rest).
        #[arg(long, default_value_t = 200)]
        manifest_items: usize,
        /// Seed of the split, the text noise and the initial weights.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Generate a synthetic two-channel data set with known reliance α on the first channel;
    /// writes manifest.jsonl, the plan and the reference model's predictions.
    Synth {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Items.
        #[arg(long, default_value_t = 1000)]
        items: usize,
        /// Classes.
        #[arg(long, default_value_t = 2)]
        classes: usize,
        /// Reliance of the reference model on the first channel (image).
        #[arg(long, default_value_t = 0.7)]
        alpha: f64,
        /// Signal strength of the image and text channels.
        #[arg(long, value_delimiter = ',', default_value = "1,1")]
        signal: Vec<f64>,
        /// Seed of the data.
        #[arg(long, default_value_t = 0)]
        data_seed: u64,
        /// Plan options.
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Cross-modal consistency from a directory of `<task>_<context>_<candidate>.json` files.
    Xmod {
        /// The model's result directory.
        dir: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Tasks to leave out (repeatable).
        #[arg(long)]
        exclude: Vec<String>,
        /// Count unanswered items as wrong instead of leaving them out.
        #[arg(long)]
        count_unanswered_wrong: bool,
        /// Pool items over a family's tasks instead of averaging task accuracies.
        #[arg(long)]
        pooled: bool,
        /// Also write a self-contained HTML page (accuracy per direction with intervals,
        /// imbalance, disparity, item consistency) to this file; rendered by the `aequo` binary.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Bootstrap options.
        #[command(flatten)]
        boot: BootArgs,
    },
    /// Text Preference Ratio and normalised accuracy from a blind-faith-in-text model directory.
    BlindFaith {
        /// The model's output directory.
        dir: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Per-item scorer: vqa (single-reference substring match) or anls (DocVQA).
        #[arg(long, default_value = "vqa", value_parser = ["vqa", "anls", "exact"])]
        scorer: String,
        /// Read at most this many rows per file.
        #[arg(long)]
        limit: Option<usize>,
        /// Bootstrap options.
        #[command(flatten)]
        boot: BootArgs,
    },
}

fn write(dir: &Path, name: &str, text: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let p = dir.join(name);
    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
}

/// Renderers of self-contained HTML pages (supplied by the `aequo` binary, which links
/// `aequo-report`).
#[derive(Debug, Clone, Copy)]
pub struct HtmlRenderers {
    /// The page of a `score` report.
    pub report: fn(&ModalityReport) -> String,
    /// The page of an `xmod` report; the path is the result directory read.
    pub xmod: fn(&XmodReport, &Path) -> String,
}

/// Runs one subcommand; `--html` is refused (use [`run_with`] with renderers).
pub fn run(cmd: ModalityCommand) -> anyhow::Result<()> {
    run_with(cmd, None)
}

fn html_target(html: &Option<PathBuf>, renderers: Option<HtmlRenderers>) -> anyhow::Result<()> {
    if html.is_some() && renderers.is_none() {
        anyhow::bail!(
            "--html is rendered by the `aequo` binary (aequo-report); run `aequo modality … --html FILE`"
        );
    }
    Ok(())
}

fn write_html(path: &Path, page: &str) -> anyhow::Result<()> {
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))
}

/// Runs one subcommand, rendering `--html` pages with `renderers`.
pub fn run_with(cmd: ModalityCommand, renderers: Option<HtmlRenderers>) -> anyhow::Result<()> {
    match cmd {
        ModalityCommand::Plan {
            manifest,
            out,
            plan,
        } => {
            let m = Manifest::read(&manifest)?;
            let p = Plan::build(m, plan.config())?;
            p.write(&out)?;
            let md = format!(
                "# Ablation plan\n\nschema `{PLAN_SCHEMA}`; {} items × {} conditions = {} requests in `{}`.\n",
                p.manifest.items.len(),
                p.conditions.len(),
                p.conditions.iter().map(|c| c.sources.len()).sum::<usize>(),
                out.join("requests.jsonl").display()
            );
            write(&out, "plan.md", &md)?;
            println!("{md}");
        }
        ModalityCommand::Score {
            manifest,
            predictions,
            out,
            plan,
            boot,
            case_sensitive,
            html: html_out,
        } => {
            html_target(&html_out, renderers)?;
            let p = Plan::build(Manifest::read(&manifest)?, plan.config())?;
            let rows = read_predictions(&predictions)?;
            let answers = align(&p, &predictions, &rows)?;
            let cfg = ScoreConfig {
                bootstrap: boot.config(),
                case_insensitive: !case_sensitive,
                cleaning: Cleaning::BlindFaith,
            };
            let report = score(&p, &answers, &cfg)?;
            write(&out, "report.json", &(report.to_json() + "\n"))?;
            let md = report.to_markdown();
            write(&out, "report.md", &md)?;
            if let (Some(path), Some(r)) = (&html_out, renderers) {
                write_html(path, &(r.report)(&report))?;
            }
            println!("{md}");
        }
        #[cfg(feature = "live")]
        ModalityCommand::Run {
            manifest,
            journal,
            out,
            plan,
            live,
        } => {
            let p = Plan::build(Manifest::read(&manifest)?, plan.config())?;
            let cfg = live.config(plan.seed)?;
            let http = live.http();
            let prepared = prepare(&p, &cfg, &live.model)?;
            let j = Journal::open(&journal)
                .with_context(|| format!("opening the journal {}", journal.display()))?;
            let images = prepared.images.len();
            let backend = VisionChat::new(http, prepared.images.clone());
            let outcome = run_live(&prepared, &backend, &j, live.concurrency.max(1))?;
            let preds = out.join("predictions.jsonl");
            crate::plan::write_predictions(&preds, &outcome.predictions)?;
            let c = backend.http().counters();
            let md = format!(
                "# Live run\n\nModel `{}` at {}: {} requests ({} distinct, {} distinct images, removed images {}), {} sent now ({} attempts, {} retries), {} from the journal `{}`.\nWrote `{}`; score with `aequo modality score {} {}` and the same plan options.\n",
                live.model,
                live.endpoint,
                outcome.predictions.len(),
                outcome.stats.distinct,
                images,
                live.image_ablation,
                outcome.stats.generated,
                c.attempts,
                c.retries,
                outcome.stats.from_journal,
                journal.display(),
                preds.display(),
                manifest.display(),
                preds.display()
            );
            write(&out, "run.md", &md)?;
            println!("{md}");
        }
        #[cfg(feature = "onnx")]
        ModalityCommand::Onnx {
            manifest,
            model,
            out,
            output,
            classes,
            plan,
        } => {
            let p = Plan::build(Manifest::read(&manifest)?, plan.config())?;
            let dims = crate::onnx::OnnxClassifier::dims_from(&p)?;
            let mut clf = crate::onnx::OnnxClassifier::load(
                &model,
                &dims,
                output.as_deref(),
                (!classes.is_empty()).then_some(classes),
            )?;
            let preds = crate::plan::run_plan(&p, &mut clf)?;
            let path = out.join("predictions.jsonl");
            crate::plan::write_predictions(&path, &preds)?;
            println!(
                "{} predictions of {} written to {}",
                preds.len(),
                model.display(),
                path.display()
            );
        }
        ModalityCommand::Serve { model, listen } => {
            let text = std::fs::read_to_string(&model)
                .with_context(|| format!("reading {}", model.display()))?;
            let m: DigitsFusion = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a digits model from `aequo modality train-digits`",
                    model.display()
                )
            })?;
            let m = DigitsFusion::new(m.model, m.name)?;
            let server = VisionServer::start(Arc::new(m), &listen)?;
            println!("serving {} at {}", model.display(), server.url());
            server.wait();
        }
        ModalityCommand::TrainDigits {
            digits,
            out,
            text_corruption,
            train_items,
            manifest_items,
            seed,
        } => {
            let summary = train_digits(
                &digits,
                &out,
                &DigitsTraining {
                    text_corruption,
                    train_items,
                    manifest_items,
                    seed,
                },
            )?;
            write(&out, "train.md", &summary)?;
            println!("{summary}");
        }
        ModalityCommand::Synth {
            out,
            items,
            classes,
            alpha,
            signal,
            data_seed,
            plan,
        } => {
            let s = |i: usize| signal.get(i).copied().unwrap_or(1.0);
            let config = SynthConfig {
                classes,
                items,
                channels: vec![
                    ChannelSpec::new("image", s(0), 1.0),
                    ChannelSpec::new("text", s(1), 1.0),
                ],
                mix: StructureMix::redundant(),
                shortcut: None,
                seed: data_seed,
            };
            let ds = SynthDataset::generate(&config)?;
            let lines: String = manifest_lines(&ds, Some(1))
                .iter()
                .map(|l| l.to_string() + "\n")
                .collect();
            write(&out, "manifest.jsonl", &lines)?;
            let manifest = Manifest::parse(&out.join("manifest.jsonl"), &lines)?;
            let p = Plan::build(manifest, plan.config())?;
            p.write(&out)?;
            let model = LinearFusion::alpha(alpha);
            let preds: String = p
                .requests()
                .map(|r| {
                    serde_json::to_string(&answer(&model, &config.channels, &r)).unwrap_or_default()
                        + "\n"
                })
                .collect();
            write(&out, "predictions.jsonl", &preds)?;
            let md = format!(
                "# Synthetic data set\n\n{items} items, {classes} classes, channels image (signal {}) and text (signal {}), reference model reliance α = {alpha} on image.\nWrote manifest.jsonl, plan.json, requests.jsonl and predictions.jsonl to `{}`; score with `aequo modality score {}/manifest.jsonl {}/predictions.jsonl --out …` and the same plan options.\n",
                s(0),
                s(1),
                out.display(),
                out.display(),
                out.display()
            );
            write(&out, "synth.md", &md)?;
            println!("{md}");
        }
        ModalityCommand::Xmod {
            dir,
            out,
            exclude,
            count_unanswered_wrong,
            pooled,
            html,
            boot,
        } => {
            html_target(&html, renderers)?;
            let files = read_model(&dir)?;
            let data: Vec<_> = files.into_iter().map(|f| f.data).collect();
            let config = XmodConfig {
                unanswered: if count_unanswered_wrong {
                    UnansweredPolicy::CountWrong
                } else {
                    UnansweredPolicy::Exclude
                },
                aggregation: if pooled {
                    Aggregation::PooledItems
                } else {
                    Aggregation::MeanOfTasks
                },
                exclude_tasks: exclude,
            };
            let r = cross_modal_consistency(&data, &config, &boot.config())?;
            let json =
                serde_json::json!({"schema": "aequo.modality.xmod/1", "source": dir, "report": r});
            write(
                &out,
                "xmod.json",
                &(serde_json::to_string_pretty(&json)? + "\n"),
            )?;
            let mut md = String::from("# Cross-modal consistency\n\n| family |");
            for d in &r.directions {
                let _ = write!(md, " {} |", d.short());
            }
            md.push_str(" avg | σ (sample) |\n|---|");
            md.push_str(&"---|".repeat(r.directions.len() + 2));
            md.push('\n');
            for f in r.families.iter().chain(std::iter::once(&r.overall)) {
                let _ = write!(md, "| {} |", f.family);
                for e in &f.per_direction {
                    let _ = write!(
                        md,
                        " {} |",
                        e.get().map_or("—".into(), |v| format!("{v:.1}"))
                    );
                }
                let _ = writeln!(
                    md,
                    " {} | {} |",
                    f.average.get().map_or("—".into(), |v| format!("{v:.1}")),
                    f.sd_sample.get().map_or("—".into(), |v| format!("{v:.1}"))
                );
            }
            for i in &r.imbalance {
                let _ = writeln!(md, "\nImbalance {}↔{}: {}", i.first, i.second, i.delta);
            }
            for d in &r.disparity {
                let _ = writeln!(md, "\nDisparity {} vs {}: {}", d.first, d.second, d.value);
            }
            let _ = writeln!(
                md,
                "\nItem consistency ({} items in all directions): same outcome {}",
                r.item_consistency.items, r.item_consistency.consistent
            );
            write(&out, "xmod.md", &md)?;
            if let (Some(path), Some(rs)) = (&html, renderers) {
                write_html(path, &(rs.xmod)(&r, &dir))?;
            }
            println!("{md}");
        }
        ModalityCommand::BlindFaith {
            dir,
            out,
            scorer,
            limit,
            boot,
        } => {
            let runs = load_model(&dir, limit)?;
            let scorer = match scorer.as_str() {
                "anls" => Scorer::Anls,
                "exact" => Scorer::DocvqaExact,
                _ => Scorer::VqaSubstring,
            };
            let cfg = boot.config();
            let mut entries = Vec::new();
            let mut md = String::from("# Text preference (blind faith in text)\n\n| text | TPR | accuracy base | accuracy with text | normalised |\n|---|---|---|---|---|\n");
            for source in TextSource::ALL {
                let st: Vec<_> = statuses(&runs, source, Cleaning::BlindFaith)
                    .into_iter()
                    .map(|(_, s)| s)
                    .collect();
                let t = text_preference(&st, &cfg);
                let (base, with) = paired_scores(&runs.base, &runs.with_image[&source], scorer);
                let na = normalised_accuracy(&base, &with, &cfg)?;
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} |",
                    source.name(),
                    t.text_preference_ratio,
                    na.base_accuracy,
                    na.corrupted_accuracy,
                    na.normalised
                );
                entries.push(
                    serde_json::json!({"text": source, "preference": t, "normalised_accuracy": na}),
                );
            }
            let json = serde_json::json!({"schema": "aequo.modality.conflict/1", "source": dir, "scorer": scorer, "conditions": entries});
            write(
                &out,
                "blind_faith.json",
                &(serde_json::to_string_pretty(&json)? + "\n"),
            )?;
            write(&out, "blind_faith.md", &md)?;
            println!("{md}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: ModalityCommand,
    }

    #[test]
    fn synth_then_score_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_string_lossy().to_string();
        let cli = Cli::parse_from([
            "x",
            "synth",
            "--out",
            &d,
            "--items",
            "200",
            "--permutations",
            "2",
            "--missing-rates",
            "0.5",
        ]);
        run(cli.cmd).expect("synth");
        let cli = Cli::parse_from([
            "x",
            "score",
            &format!("{d}/manifest.jsonl"),
            &format!("{d}/predictions.jsonl"),
            "--out",
            &d,
            "--permutations",
            "2",
            "--missing-rates",
            "0.5",
            "--replicates",
            "20",
        ]);
        run(cli.cmd).expect("score");
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("report.json")).expect("report"),
        )
        .expect("json");
        assert_eq!(json["schema"], "aequo.modality/1");
        assert!(json["shapley"]["phi"].is_array());
        // Plan options that differ from the ones used for the predictions are caught.
        let cli = Cli::parse_from([
            "x",
            "score",
            &format!("{d}/manifest.jsonl"),
            &format!("{d}/predictions.jsonl"),
            "--out",
            &d,
            "--permutations",
            "3",
        ]);
        let e = run(cli.cmd).expect_err("mismatch");
        assert!(e.to_string().contains("permute"), "{e}");
    }
}
