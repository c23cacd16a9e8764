//! `aequo audit`: scan a file into a count tensor, audit it, render the result.

use std::path::PathBuf;

use aequo_core::audit::{audit, AuditOptions, Rule};
use aequo_core::bootstrap::BootstrapOptions;
use aequo_core::subgroup::{MinSupport, SubgroupOptions, Worse};
use aequo_core::Metric;
use aequo_data::{scan_with, Format, OnMissing, Prediction, Scan, ScanOptions, ScanSpec};
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use crate::output;
use crate::progress;

use crate::output::OutputFormat;

/// The kind of prediction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TaskKind {
    /// Binary labels and predictions.
    Binary,
    /// Numeric labels and predictions.
    Regression,
    /// Class labels and predictions.
    Multiclass,
}

/// How intervals are computed.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CiMethod {
    /// Percentile bootstrap (Poisson resampling of the count tensor) for every number.
    Bootstrap,
    /// Bias-corrected and accelerated (BCa) bootstrap: the same replicates, the acceleration
    /// from the jackknife over the tensor's slots.
    Bca,
    /// Wilson score intervals for group proportions only.
    Wilson,
}

/// The interval of a two-group gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GapMethod {
    /// Feldman–Cousins interval of a folded normal.
    Folded,
    /// Percentile of the replicates' max − min.
    Percentile,
}

/// A switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

/// What to do with rows whose label, prediction, score or weight is missing.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MissingPolicy {
    /// Stop with an error naming the row.
    Error,
    /// Skip such rows and report how many.
    Drop,
}

/// Arguments of `aequo audit`.
#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("prediction").required(true).args(["pred", "score"]))]
pub struct AuditArgs {
    /// The input file (CSV, TSV, Parquet, Arrow IPC or NDJSON); not given with --sql.
    #[cfg_attr(feature = "sql", arg(required_unless_present = "sql"))]
    #[cfg_attr(not(feature = "sql"), arg(required = true))]
    pub file: Option<PathBuf>,
    /// The label (ground truth) column.
    #[arg(long)]
    pub label: String,
    /// What is predicted: binary labels (or a score with --threshold), numbers (regression),
    /// or classes (multiclass, audited one-vs-rest per class).
    #[arg(long, value_enum, default_value_t = TaskKind::Binary)]
    pub task: TaskKind,
    /// The predicted-label column.
    #[arg(long)]
    pub pred: Option<String>,
    /// A score column; the prediction is `score >= --threshold`.
    #[arg(long, requires = "threshold")]
    pub score: Option<String>,
    /// Decision threshold for --score.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Sensitive attribute columns, comma-separated; every marginal and intersection is audited.
    #[arg(long, value_delimiter = ',', required = true)]
    pub sensitive: Vec<String>,
    /// A sample-weight column (rates become weighted, as Fairlearn's sample_weight).
    #[arg(long)]
    pub weight: Option<String>,
    /// The label's positive class, when it is not 0/1 or true/false.
    #[arg(long)]
    pub pos_label: Option<String>,
    /// The prediction's positive class (defaults to --pos-label).
    #[arg(long)]
    pub pred_pos_label: Option<String>,
    /// Reference ("privileged") level, as ATTRIBUTE=VALUE; may be repeated.
    #[arg(long = "reference", value_name = "ATTRIBUTE=VALUE")]
    pub reference: Vec<String>,
    /// Metrics to report, comma-separated (default: all). E.g. selection_rate,tpr,fpr.
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
    /// Named rules to evaluate, e.g. four-fifths (never applied unless asked for).
    #[arg(long = "rule", value_name = "RULE")]
    pub rules: Vec<String>,
    /// Largest intersection to evaluate, in number of attributes (default: all).
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// Confidence level of intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Interval method: percentile bootstrap over the count tensor for every number, its BCa
    /// variant (bias-corrected and accelerated), or Wilson intervals for group proportions
    /// only.
    #[arg(long, value_enum, default_value_t = CiMethod::Bootstrap)]
    pub ci: CiMethod,
    /// Interval of the gap between the two groups of a two-level attribute: `folded` (the
    /// Feldman–Cousins interval of a folded normal, calibrated at every gap size) or
    /// `percentile` (the percentile of the replicates' max − min, as Fairlearn's bootstrap;
    /// conservative when the gap is near zero).
    #[arg(long, value_enum, default_value_t = GapMethod::Folded)]
    pub gap_interval: GapMethod,
    /// Bootstrap replicates.
    #[arg(long = "boot", default_value_t = 1000)]
    pub replicates: usize,
    /// Seed of the bootstrap (the same seed gives the same intervals).
    #[arg(long, default_value_t = 0x5EED)]
    pub seed: u64,
    /// Threads for the scan (Parquet row groups) and the bootstrap (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Hypothesis tests of every group against the rest and the reference, with Holm and
    /// Benjamini–Hochberg adjustment across the audit.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub tests: OnOff,
    /// Groups with fewer rows are flagged as small in every output.
    #[arg(long, default_value_t = 30)]
    pub min_cell: u64,
    /// Withhold the numbers of groups with fewer rows than this (privacy).
    #[arg(long)]
    pub suppress_below: Option<u64>,
    /// With --score: AUC, Brier score, calibration and ROC curves by group, exact (every
    /// distinct score is kept per group and label; memory grows with the distinct scores).
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub score_metrics: OnOff,
    /// Search for the worst subgroups on a metric, as METRIC or METRIC:lower|higher|either
    /// (which direction is worse); may be repeated. E.g. --discover selection_rate:lower.
    #[arg(long = "discover", value_name = "METRIC[:DIRECTION]")]
    pub discover: Vec<String>,
    /// Non-sensitive columns the search may condition on, comma-separated; NAME:K bins a
    /// numeric column into K quantile bins (edges from the first batch).
    #[arg(long, value_delimiter = ',', value_name = "COLUMN[:K]")]
    pub discover_columns: Vec<String>,
    /// Largest number of conditions in a discovered subgroup.
    #[arg(long, default_value_t = 3)]
    pub discover_depth: usize,
    /// Smallest subgroup searched: a row count, or a fraction of rows below 1 (default: the
    /// larger of 30 rows and 1%).
    #[arg(long)]
    pub min_support: Option<f64>,
    /// Subgroups reported per metric.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Missing label/prediction/score/weight: stop with an error, or drop the row.
    #[arg(long, value_enum, default_value_t = MissingPolicy::Error)]
    pub on_missing: MissingPolicy,
    /// Extra text meaning "missing" (besides empty and null); may be repeated, e.g. --na '?'.
    #[arg(long = "na", value_name = "TEXT")]
    pub na_values: Vec<String>,
    /// The input's format, when the file name does not tell it.
    #[arg(long)]
    pub input_format: Option<String>,
    /// Audit the result of this SQL query instead of a file, run by DataFusion (or Ballista,
    /// see --cluster); its tables are named with --table. See docs/sql.md.
    #[cfg(feature = "sql")]
    #[arg(long, value_name = "QUERY", conflicts_with = "file")]
    pub sql: Option<String>,
    /// A table of the --sql query: NAME=PATH, a file or a directory of files (repeatable).
    #[cfg(feature = "sql")]
    #[arg(long = "table", value_name = "NAME=PATH", requires = "sql")]
    pub tables: Vec<String>,
    /// Run the --sql query on Ballista: 'standalone' (a scheduler and an executor in this
    /// process) or a running cluster's scheduler, df://HOST:PORT.
    #[cfg(feature = "ballista")]
    #[arg(long, value_name = "standalone|df://HOST:PORT", requires = "sql")]
    pub cluster: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the output here instead of to stdout (`-`: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No status messages.
    #[arg(long, short)]
    pub quiet: bool,
}

impl AuditArgs {
    fn spec(&self) -> anyhow::Result<ScanSpec> {
        let prediction = match (&self.pred, &self.score, self.threshold) {
            (Some(p), None, None) => Prediction::Column(p.clone()),
            (None, Some(s), Some(t)) => {
                if !t.is_finite() {
                    bail!("--threshold must be a finite number, not {t}");
                }
                Prediction::Score {
                    column: s.clone(),
                    threshold: t,
                }
            }
            (Some(_), _, Some(_)) => bail!("--threshold goes with --score, not --pred"),
            _ => bail!("give either --pred COLUMN, or --score COLUMN with --threshold T"),
        };
        let mut spec = ScanSpec::new(self.label.clone(), prediction, self.sensitive.clone());
        spec.weight = self.weight.clone();
        spec.pos_label = self.pos_label.clone();
        spec.pred_pos_label = self.pred_pos_label.clone();
        spec.on_missing = match self.on_missing {
            MissingPolicy::Error => OnMissing::Error,
            MissingPolicy::Drop => OnMissing::Drop,
        };
        spec.na_values = self.na_values.clone();
        spec.exact_scores = self.score_metrics == OnOff::On;
        spec.task = match self.task {
            TaskKind::Binary => aequo_data::Task::Binary,
            TaskKind::Regression => aequo_data::Task::Regression { bins: 200 },
            TaskKind::Multiclass => aequo_data::Task::Multiclass,
        };
        if self.task != TaskKind::Binary && self.pred.is_none() {
            bail!(
                "--task {:?} needs --pred COLUMN (a score and threshold are for binary audits)",
                self.task
            );
        }
        for c in &self.discover_columns {
            let (name, bins) = match c.rsplit_once(':') {
                Some((n, k)) => {
                    let k: usize = k
                        .parse()
                        .ok()
                        .filter(|k| *k >= 2)
                        .with_context(|| format!("--discover-columns '{c}': the bin count after ':' must be a whole number ≥ 2"))?;
                    (n.to_owned(), Some(k))
                }
                None => (c.clone(), None),
            };
            spec.extra.push(aequo_data::ExtraColumn { name, bins });
        }
        spec.format = match &self.input_format {
            None => None,
            Some(f) => Some(Format::from_name(f).with_context(|| {
                format!("unknown --input-format '{f}'; use csv, tsv, parquet, arrow or ndjson")
            })?),
        };
        Ok(spec)
    }

    fn discovery(&self) -> anyhow::Result<Vec<SubgroupOptions>> {
        self.discover
            .iter()
            .map(|d| {
                let (m, w) = match d.split_once(':') {
                    Some((m, w)) => (m, Some(w)),
                    None => (d.as_str(), None),
                };
                let metric = Metric::from_id(m)
                    .filter(|m| m.is_proportion())
                    .with_context(|| format!("--discover '{d}': '{m}' is not a proportion metric (e.g. selection_rate, tpr, fpr, error_rate)"))?;
                let worse = match w {
                    None => None,
                    Some(w) => Some(Worse::from_id(w).with_context(|| {
                        format!("--discover '{d}': the direction must be lower, higher or either")
                    })?),
                };
                let min_support = match self.min_support {
                    None => MinSupport::Auto,
                    Some(x) if x > 0.0 && x < 1.0 => MinSupport::Fraction(x),
                    Some(x) if x >= 1.0 && x.fract() == 0.0 => MinSupport::Rows(x as u64),
                    Some(x) => bail!("--min-support {x}: give a row count (≥ 1) or a fraction below 1"),
                };
                Ok(SubgroupOptions {
                    metric,
                    worse,
                    max_depth: self.discover_depth,
                    min_support,
                    top_k: self.top,
                    confidence: self.confidence,
                    sensitive: self.sensitive.clone(),
                    ..SubgroupOptions::default()
                })
            })
            .collect()
    }

    fn options(&self) -> anyhow::Result<AuditOptions> {
        let bootstrap = match self.ci {
            CiMethod::Wilson => None,
            CiMethod::Bootstrap | CiMethod::Bca if self.replicates == 0 => None,
            CiMethod::Bootstrap | CiMethod::Bca => Some(BootstrapOptions {
                replicates: self.replicates,
                seed: self.seed,
                threads: self
                    .threads
                    .unwrap_or_else(|| BootstrapOptions::default().threads)
                    .max(1),
                gaps: match self.gap_interval {
                    GapMethod::Folded => aequo_core::bootstrap::GapInterval::Folded,
                    GapMethod::Percentile => aequo_core::bootstrap::GapInterval::Percentile,
                },
                bca: matches!(self.ci, CiMethod::Bca),
            }),
        };
        let mut o = AuditOptions {
            confidence: self.confidence,
            max_depth: self.max_depth,
            min_cell: self.min_cell,
            bootstrap,
            tests: self.tests == OnOff::On,
            ..AuditOptions::default()
        };
        if !self.metrics.is_empty() {
            o.metrics = self
                .metrics
                .iter()
                .map(|m| {
                    Metric::from_id(m).with_context(|| {
                        format!(
                            "unknown metric '{m}'; known metrics: {}",
                            Metric::ALL.map(Metric::id).join(", ")
                        )
                    })
                })
                .collect::<anyhow::Result<_>>()?;
        }
        for r in &self.reference {
            let Some((a, v)) = r.split_once('=') else {
                bail!("--reference '{r}' must be ATTRIBUTE=VALUE, e.g. race=White");
            };
            o.reference.push((a.trim().to_owned(), v.trim().to_owned()));
        }
        for r in &self.rules {
            o.rules.push(
                Rule::from_id(r)
                    .with_context(|| format!("unknown rule '{r}'; known rules: four-fifths"))?,
            );
        }
        if self.max_depth == Some(0) {
            bail!("--max-depth must be at least 1");
        }
        Ok(o)
    }
}

/// Runs `aequo audit`.
pub fn run(a: &AuditArgs) -> anyhow::Result<()> {
    let spec = a.spec()?;
    let options = a.options()?;
    let discovery = a.discovery()?;
    if a.task != TaskKind::Binary {
        return run_task(a, &spec);
    }
    let s = scan_file(a, &spec)?;
    // The scan counts discovery columns as attributes after the sensitive ones; the audit's
    // groupings are over the sensitive attributes only.
    let k = a.sensitive.len();
    let sensitive_tensor = if spec.extra.is_empty() {
        None
    } else {
        Some(s.tensor.marginalize(&(0..k).collect::<Vec<_>>())?)
    };
    let mut result = audit(
        sensitive_tensor.as_ref().unwrap_or(&s.tensor),
        s.summary,
        &options,
    )
    .with_context(|| format!("cannot audit {}", a.input_name()))?;
    for d in &discovery {
        result.subgroups.push(
            aequo_core::subgroup::discover(&s.tensor, d)
                .with_context(|| format!("cannot search subgroups on {}", d.metric))?,
        );
    }
    if let Some(table) = &s.scores {
        let probabilities = s.score_range.is_some_and(|(lo, hi)| lo >= 0.0 && hi <= 1.0);
        result
            .add_score_metrics(table, probabilities)
            .context("cannot compute score metrics")?;
    }
    if let Some(k) = a.suppress_below {
        result.suppress_below(k);
    }
    output::render(&result, a.format, a.out.as_deref(), a.quiet)
}

/// Scans the input file with a progress bar (on a terminal, unless `--quiet`).
fn scan_file(a: &AuditArgs, spec: &ScanSpec) -> anyhow::Result<Scan> {
    #[cfg(feature = "sql")]
    if let Some(query) = &a.sql {
        return scan_query(a, query, spec);
    }
    let file = a.file.as_deref().context("give the input file")?;
    let bar = progress::ScanBar::new(a.quiet);
    let options = ScanOptions {
        threads: a.threads.unwrap_or(0),
        progress: Some(&bar),
    };
    let s = scan_with(file, spec, &options);
    bar.finish();
    Ok(s?)
}

impl AuditArgs {
    /// The input as the user named it: the file, or the SQL query.
    fn input_name(&self) -> String {
        #[cfg(feature = "sql")]
        if let Some(query) = &self.sql {
            return format!("the query '{query}'");
        }
        self.file
            .as_deref()
            .map_or_else(String::new, |f| f.display().to_string())
    }
}

/// Runs `--sql` on DataFusion, or on Ballista with `--cluster`.
#[cfg(feature = "sql")]
fn scan_query(a: &AuditArgs, query: &str, spec: &ScanSpec) -> anyhow::Result<Scan> {
    use aequo_data::{scan_sql, Engine, SqlSource};
    let mut tables = Vec::new();
    for t in &a.tables {
        let Some((name, path)) = t.split_once('=') else {
            bail!("--table '{t}' must be NAME=PATH, e.g. loans=data/loans.parquet");
        };
        tables.push((name.trim().to_owned(), PathBuf::from(path.trim())));
    }
    #[cfg(feature = "ballista")]
    let engine = match a.cluster.as_deref() {
        None => Engine::DataFusion,
        Some("standalone") => Engine::BallistaStandalone,
        Some(url) => Engine::BallistaRemote(url.to_owned()),
    };
    #[cfg(not(feature = "ballista"))]
    let engine = Engine::DataFusion;
    // Exact per-score counts (AUC, ROC, calibration by group) cannot come out of a GROUP BY of
    // bounded size; the thresholded audit and the score histogram can.
    let mut spec = spec.clone();
    let dropped_score_metrics =
        spec.exact_scores && matches!(spec.prediction, Prediction::Score { .. });
    spec.exact_scores = false;
    let source = SqlSource {
        tables,
        query: query.to_owned(),
        engine,
    };
    let mut s = scan_sql(&source, &spec)?;
    if dropped_score_metrics {
        s.summary.warnings.push(
            "score metrics by group (AUC, ROC, calibration) are not computed for a --sql source; audit a file for them".into(),
        );
    }
    Ok(s)
}

/// Regression and multiclass audits: JSON or a terminal table.
fn run_task(a: &AuditArgs, spec: &ScanSpec) -> anyhow::Result<()> {
    if !matches!(a.format, OutputFormat::Table | OutputFormat::Json) {
        bail!("--task {:?} renders as --format table or json (HTML and Markdown are for binary audits so far)", a.task);
    }
    let s = scan_file(a, spec)?;
    let text = match (s.regression, s.multiclass) {
        (Some(table), _) => {
            let r = aequo_core::tasks::regression_audit(&table, s.summary)?;
            match a.format {
                OutputFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                _ => aequo_report::regression_table(&r),
            }
        }
        (_, Some((table, classes))) => {
            let r = aequo_core::tasks::multiclass_audit(&table, &classes, s.summary)?;
            match a.format {
                OutputFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                _ => aequo_report::multiclass_table(&r),
            }
        }
        _ => bail!("{}: no rows to audit", a.input_name()),
    };
    output::emit(&text, a.out.as_deref(), a.quiet)
}
