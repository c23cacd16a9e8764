//! `aequo demo`: the whole tabular audit on synthetic data with a known answer.

use std::path::PathBuf;

use aequo_core::audit::{audit, AuditOptions};
use aequo_core::disparity::Method;
use aequo_data::{scan, synth, Prediction, ScanSpec};
use anyhow::Context;
use clap::Args;

use crate::output;
use crate::progress;

/// Arguments of `aequo demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Where to write the data and the results.
    #[arg(long, default_value = "aequo-demo")]
    pub dir: PathBuf,
    /// Rows of synthetic data.
    #[arg(long, default_value_t = 200_000)]
    pub rows: u64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// No status messages.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `aequo demo`.
pub fn run(a: &DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.dir)
        .with_context(|| format!("cannot create {}", a.dir.display()))?;
    let data = a.dir.join("lending.parquet");
    output::note(
        a.quiet,
        &format!(
            "1/3 generating {} synthetic loan applications with planted bias → {}",
            a.rows,
            data.display()
        ),
    );
    let pb = progress::bar(a.rows, "generating", a.quiet);
    synth::write(&data, a.rows, a.seed, |d| pb.set_position(d))?;
    pb.finish_and_clear();
    std::fs::write(a.dir.join("truth.json"), crate::synth::truth_json() + "\n")?;

    output::note(
        a.quiet,
        "2/3 auditing sex × race × age_band (label: repaid, prediction: approved)",
    );
    let spec = ScanSpec::new(
        "repaid",
        Prediction::Column("approved".into()),
        vec!["sex".into(), "race".into(), "age_band".into()],
    );
    let s = scan(&data, &spec)?;
    let options = AuditOptions {
        reference: vec![
            ("sex".into(), "male".into()),
            ("race".into(), "White".into()),
        ],
        rules: vec![aequo_core::audit::Rule::FourFifths],
        ..AuditOptions::default()
    };
    let result = audit(&s.tensor, s.summary, &options)?;
    output::emit(
        &aequo_report::json(&result),
        Some(&a.dir.join("audit.json")),
        a.quiet,
    )?;
    output::render(
        &result,
        output::OutputFormat::Html,
        Some(&a.dir.join("report.html")),
        a.quiet,
    )?;
    output::render(
        &result,
        output::OutputFormat::Md,
        Some(&a.dir.join("report.md")),
        a.quiet,
    )?;
    output::emit(&aequo_report::table(&result), None, a.quiet)?;

    output::note(a.quiet, "\n3/3 planted truth vs what the audit found (demographic parity difference, between groups)");
    let mut rows = Vec::new();
    for (g, names) in [
        (vec![0], vec!["sex"]),
        (vec![1], vec!["race"]),
        (vec![0, 1], vec!["sex", "race"]),
    ] {
        let truth: Vec<aequo_core::Value> = synth::truth(&g)
            .iter()
            .map(|(_, c)| aequo_core::Metric::SelectionRate.evaluate(c, 0))
            .collect();
        let t = aequo_core::disparity::between_groups(&truth).0.value;
        let found = result
            .criteria
            .iter()
            .find(|c| {
                c.name == "demographic_parity_difference"
                    && c.method == Method::BetweenGroups
                    && c.grouping
                        .iter()
                        .map(|x| x.0.as_str())
                        .eq(names.iter().copied())
            })
            .map(|c| c.value);
        rows.push(format!(
            "  {:<14} truth {:.4}   audit {}",
            names.join(" × "),
            t.get().unwrap_or(f64::NAN),
            found
                .and_then(aequo_core::Value::get)
                .map_or_else(|| "undefined".to_owned(), |v| format!("{v:.4}"))
        ));
    }
    output::emit(&(rows.join("\n") + "\n"), None, a.quiet)?;
    let compas = compas(a)?;
    output::note(
        a.quiet,
        &format!(
            "results: {} (report.html, report.md, audit.json, truth.json{})",
            a.dir.display(),
            if compas { ", compas-report.html" } else { "" }
        ),
    );
    Ok(())
}

/// With the fixtures present (`scripts/fixtures.sh tabular`), also audits the real COMPAS data
/// (race × sex, prediction = decile score ≥ 5) into `compas-report.html`. Returns whether it did.
fn compas(a: &DemoArgs) -> anyhow::Result<bool> {
    let root = std::env::var_os("AEQUO_FIXTURES")
        .map_or_else(|| PathBuf::from(".cache/fixtures"), PathBuf::from);
    let file = root.join("data/compas-scores-two-years.csv");
    if !file.exists() {
        output::note(
            a.quiet,
            "(COMPAS not audited: run scripts/fixtures.sh tabular to fetch it)",
        );
        return Ok(false);
    }
    output::note(
        a.quiet,
        &format!(
            "\nalso auditing COMPAS ({}), race × sex, decile_score >= 5",
            file.display()
        ),
    );
    let spec = ScanSpec::new(
        "two_year_recid",
        Prediction::Score {
            column: "decile_score".into(),
            threshold: 5.0,
        },
        vec!["race".into(), "sex".into()],
    );
    let s = scan(&file, &spec)?;
    let options = AuditOptions {
        reference: vec![
            ("race".into(), "Caucasian".into()),
            ("sex".into(), "Female".into()),
        ],
        rules: vec![aequo_core::audit::Rule::FourFifths],
        ..AuditOptions::default()
    };
    let result = audit(&s.tensor, s.summary, &options)?;
    output::render(
        &result,
        output::OutputFormat::Html,
        Some(&a.dir.join("compas-report.html")),
        a.quiet,
    )?;
    Ok(true)
}
