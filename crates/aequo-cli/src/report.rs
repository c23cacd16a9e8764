//! `aequo report`: render a saved audit result (JSON) in another format.

use std::path::PathBuf;

use aequo_core::AuditResult;
use anyhow::{bail, Context};
use clap::Args;

use crate::output::{self, OutputFormat};

/// Arguments of `aequo report`.
#[derive(Args)]
pub struct ReportArgs {
    /// A result written by `aequo audit --format json`.
    pub result: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Html)]
    pub format: OutputFormat,
    /// Write the output here instead of to stdout (`-`: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No status messages.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `aequo report`.
pub fn run(a: &ReportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&a.result)
        .with_context(|| format!("cannot read {}", a.result.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", a.result.display()))?;
    let schema = value
        .get("schema")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    if schema != aequo_core::audit::SCHEMA {
        bail!(
            "{} has schema '{schema}', but this aequo reads '{}'; re-run the audit with this version",
            a.result.display(),
            aequo_core::audit::SCHEMA
        );
    }
    let result: AuditResult = serde_json::from_value(value).with_context(|| {
        format!(
            "{} is not a valid {} result",
            a.result.display(),
            aequo_core::audit::SCHEMA
        )
    })?;
    output::render(&result, a.format, a.out.as_deref(), a.quiet)
}
