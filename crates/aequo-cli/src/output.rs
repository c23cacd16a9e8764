//! All user-facing output goes through here: results to stdout or a file, messages to stderr.

use std::io::Write;
use std::path::Path;

use aequo_core::AuditResult;
use anyhow::Context;
use clap::ValueEnum;

/// `out`, except that `-` means stdout (`None`), as for most command-line tools.
fn destination(out: Option<&Path>) -> Option<&Path> {
    out.filter(|p| p.as_os_str() != "-")
}

/// Writes `text` to `out`, or to stdout when `out` is `None` or `-`.
pub fn emit(text: &str, out: Option<&Path>, quiet: bool) -> anyhow::Result<()> {
    match destination(out) {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create directory {}", dir.display()))?;
            }
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            note(quiet, &format!("wrote {}", path.display()));
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// A progress or status message on stderr, unless quiet.
pub fn note(quiet: bool, msg: &str) {
    if !quiet {
        let _ = writeln!(std::io::stderr(), "{msg}");
    }
}

/// Prints an error with its whole cause chain.
pub fn error(e: &anyhow::Error) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {e}");
    for cause in e.chain().skip(1) {
        let _ = writeln!(err, "  caused by: {cause}");
    }
}

/// How to render the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned tables for a terminal.
    Table,
    /// The full result as JSON (schema aequo.audit/2, see docs/schema.md).
    Json,
    /// Markdown for pull requests and model cards (charts as linked SVG files with --out).
    Md,
    /// A self-contained HTML report with charts (no network needed to open it).
    Html,
}

/// Renders an audit result in `format` to `out` (or stdout: `None` or `-`).
pub fn render(
    result: &AuditResult,
    format: OutputFormat,
    out: Option<&Path>,
    quiet: bool,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => emit(&aequo_report::table(result), out, quiet),
        OutputFormat::Json => emit(&aequo_report::json(result), out, quiet),
        OutputFormat::Html => emit(
            &aequo_report::html(result, &aequo_report::HtmlOptions::default()),
            out,
            quiet,
        ),
        OutputFormat::Md => match destination(out) {
            None => emit(
                &aequo_report::markdown(result, &aequo_report::MarkdownOptions::default()).markdown,
                None,
                quiet,
            ),
            Some(path) => {
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("report");
                let opts = aequo_report::MarkdownOptions {
                    chart_dir: Some(format!("{stem}-charts").into()),
                    ..aequo_report::MarkdownOptions::default()
                };
                let md = aequo_report::markdown(result, &opts);
                md.write(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                note(
                    quiet,
                    &format!("wrote {} and {} charts", path.display(), md.charts.len()),
                );
                Ok(())
            }
        },
    }
}
