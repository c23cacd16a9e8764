//! The `aequo` command: a thin shell over the library crates. It parses arguments, calls the
//! libraries, and prints; every number it shows was computed by `aequo-core`.

mod audit;
mod demo;
mod modality_html;
mod output;
mod progress;
mod report;
mod synth;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// aequo measures and reduces bias in AI models and the data that trains and evaluates them.
#[derive(Parser)]
#[command(name = "aequo", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit predictions in a file for group and intersectional fairness.
    Audit(Box<audit::AuditArgs>),
    /// Render a saved audit result (JSON) as HTML, Markdown or a table.
    Report(report::ReportArgs),
    /// Write a synthetic lending table with planted, known disparities.
    Synth(synth::SynthArgs),
    /// Generate synthetic data, audit it end to end, and compare with the planted truth.
    Demo(demo::DemoArgs),
    /// Modality reliance of multimodal models: ablation plans, scoring, published benchmarks.
    #[command(subcommand)]
    Modality(aequo_modality::cli::ModalityCommand),
    /// Counterfactual probing of language models for social bias: run suites, score journals.
    #[cfg(feature = "probe")]
    #[command(subcommand)]
    Probe(aequo_probe::cli::ProbeCommand),
}

fn main() -> ExitCode {
    aequo_data::alloc::tune_for_scans();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Audit(a) => audit::run(&a),
        Command::Report(a) => report::run(&a),
        Command::Synth(a) => synth::run(&a),
        Command::Demo(a) => demo::run(&a),
        Command::Modality(c) => aequo_modality::cli::run_with(c, Some(modality_html::RENDERERS)),
        #[cfg(feature = "probe")]
        Command::Probe(c) => aequo_probe::cli::run(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`aequo audit … | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            output::error(&e);
            ExitCode::FAILURE
        }
    }
}
