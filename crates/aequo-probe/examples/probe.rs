//! A stand-alone `aequo probe` for development until the `aequo` binary mounts
//! [`aequo_probe::cli::ProbeCommand`]: `cargo run -p aequo-probe --example probe -- run --suite bbq`.

use clap::Parser;

/// aequo probe (development entry point).
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: aequo_probe::cli::ProbeCommand,
}

fn main() -> anyhow::Result<()> {
    aequo_probe::cli::run(Cli::parse().cmd)
}
