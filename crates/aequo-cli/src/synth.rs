//! `aequo synth`: write a synthetic table with planted disparities, and optionally its truth.

use std::path::PathBuf;

use aequo_core::disparity;
use aequo_core::{Metric, Value};
use aequo_data::synth;
use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::output;
use crate::progress;

/// Arguments of `aequo synth`.
#[derive(Args)]
pub struct SynthArgs {
    /// Rows to generate.
    #[arg(long, default_value_t = 100_000)]
    pub rows: u64,
    /// Output file: .parquet, .csv or .arrow.
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed (the same seed gives the same table).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the true (population) metric values of every group as JSON.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// No progress or status messages.
    #[arg(long, short)]
    pub quiet: bool,
}

/// True values of one group.
#[derive(Serialize)]
struct TrueGroup {
    group: Vec<String>,
    share: f64,
    metrics: std::collections::BTreeMap<&'static str, Value>,
}

/// True values of one grouping.
#[derive(Serialize)]
struct TrueGrouping {
    attributes: Vec<&'static str>,
    groups: Vec<TrueGroup>,
    /// Largest minus smallest true selection rate (demographic parity difference).
    demographic_parity_difference: Value,
}

/// The planted truth of the generator, as JSON.
pub fn truth_json() -> String {
    const METRICS: [Metric; 6] = [
        Metric::BaseRate,
        Metric::SelectionRate,
        Metric::TruePositiveRate,
        Metric::FalsePositiveRate,
        Metric::PositivePredictiveValue,
        Metric::Accuracy,
    ];
    let groupings: Vec<Vec<usize>> = vec![
        vec![0],
        vec![1],
        vec![2],
        vec![0, 1],
        vec![0, 2],
        vec![1, 2],
        vec![0, 1, 2],
    ];
    let out: Vec<TrueGrouping> = groupings
        .iter()
        .map(|g| {
            let groups: Vec<TrueGroup> = synth::truth(g)
                .into_iter()
                .map(|(k, c)| TrueGroup {
                    group: k.0.iter().map(ToString::to_string).collect(),
                    share: c.total(),
                    metrics: METRICS
                        .iter()
                        .map(|&m| (m.id(), m.evaluate(&c, 0)))
                        .collect(),
                })
                .collect();
            let sr: Vec<Value> = groups
                .iter()
                .map(|x| x.metrics[Metric::SelectionRate.id()])
                .collect();
            TrueGrouping {
                attributes: g.iter().map(|&i| synth::ATTRIBUTES[i].name).collect(),
                demographic_parity_difference: disparity::between_groups(&sr).0.value,
                groups,
            }
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "schema": "aequo.synth-truth/1",
        "note": "population values of the generator (closed form), not sample estimates",
        "groupings": out,
    }))
    .expect("truth serialises")
}

/// Runs `aequo synth`.
pub fn run(a: &SynthArgs) -> anyhow::Result<()> {
    let pb = progress::bar(a.rows, "generating", a.quiet);
    synth::write(&a.out, a.rows, a.seed, |done| pb.set_position(done))?;
    pb.finish_and_clear();
    output::note(
        a.quiet,
        &format!("wrote {} rows to {}", a.rows, a.out.display()),
    );
    if let Some(t) = &a.truth {
        std::fs::write(t, truth_json() + "\n")
            .with_context(|| format!("cannot write {}", t.display()))?;
        output::note(
            a.quiet,
            &format!("wrote the planted truth to {}", t.display()),
        );
    }
    Ok(())
}
