//! Runs the `aequo modality` subcommands without the `aequo` binary:
//! `cargo run -p aequo-modality --example modality -- <plan|score|synth|xmod|blind-faith> …`.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "modality",
    about = "aequo modality subcommands (standalone example)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: aequo_modality::cli::ModalityCommand,
}

fn main() -> anyhow::Result<()> {
    aequo_modality::cli::run(Cli::parse().cmd)
}
