//! `aequo probe score --html`: the page shows the numbers of the JSON result — every decision
//! gap with its interval and sample sizes, every p-value with its adjustments — and fetches
//! nothing.

use std::path::Path;

use aequo_probe::cli::{run, OutputArgs, PlanArgs, ProbeCommand};
use aequo_probe::journal::Journal;
use aequo_probe::model::{FinishReason, GeneratedToken, Request, Response, TokenLogprob};
use serde_json::Value;

/// Fails unless the page is free of anything fetched from elsewhere.
pub fn assert_self_contained(html: &str) {
    let lower = html.to_lowercase();
    for bad in [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href='http",
        "src=\"//",
        "href=\"//",
        "url(http",
        "url(//",
        "@import",
        "<link",
        "<script src",
        "<iframe",
    ] {
        assert!(!lower.contains(bad), "the page references {bad}");
    }
    assert!(lower.starts_with("<!doctype html"), "a full page");
}

pub fn plan(suite: &str, limit: usize) -> PlanArgs {
    PlanArgs {
        suite: suite.into(),
        model: None,
        model_name: Some("external-model".into()),
        mode: "prefill".into(),
        axes: vec!["gender".into(), "age".into()],
        implicit: 0,
        no_explicit: false,
        limit: Some(limit),
        seed: 0,
        top_logprobs: 20,
    }
}

/// Journals a yes/no answer for every decision probe: P(yes) depends on the value and, a
/// little, on the template, so gaps are non-zero and vary between templates.
pub fn journal_decisions(dir: &Path, plan_args: &PlanArgs) -> std::path::PathBuf {
    let plan_path = dir.join("plan.jsonl");
    run(ProbeCommand::Plan {
        plan: plan_args.clone(),
        out: Some(plan_path.clone()),
    })
    .expect("plan");
    let journal_path = dir.join("j.jsonl");
    let journal = Journal::open(&journal_path).expect("journal");
    for (i, l) in std::fs::read_to_string(&plan_path)
        .expect("plan")
        .lines()
        .enumerate()
    {
        let l: Value = serde_json::from_str(l).expect("JSON line");
        let request: Request =
            serde_json::from_value(l["probe"]["request"].clone()).expect("request");
        let value = l["probe"]["value"].as_str().unwrap_or("");
        let shift = match value {
            "female" => 0.15,
            "non-binary" => -0.1,
            "20" => 0.1,
            "80" => -0.2,
            _ => 0.0,
        };
        let p = (0.5 + shift + 0.05 * ((i * 7 % 5) as f64 - 2.0)).clamp(0.05, 0.95);
        let top = vec![
            TokenLogprob {
                token: " Yes".into(),
                logprob: (p * 0.9).ln(),
            },
            TokenLogprob {
                token: " No".into(),
                logprob: ((1.0 - p) * 0.9).ln(),
            },
        ];
        let response = Response {
            text: " Yes".into(),
            tokens: vec![GeneratedToken {
                token: " Yes".into(),
                logprob: top[0].logprob,
                top,
            }],
            finish_reason: FinishReason::Length,
            prompt_tokens: None,
        };
        journal.append(&request, &response).expect("append");
    }
    journal_path
}

/// Scores `plan_args` from `journal` into JSON and HTML; returns both.
pub fn score(dir: &Path, plan_args: PlanArgs, journal: std::path::PathBuf) -> (Value, String) {
    let (out, html) = (dir.join("score.json"), dir.join("score.html"));
    run(ProbeCommand::Score {
        plan: plan_args,
        journal,
        output: OutputArgs {
            out: Some(out.clone()),
            markdown: None,
            html: Some(html.clone()),
            replicates: 200,
            bootstrap_seed: 3,
            encoder: None,
            no_encoder: true,
        },
    })
    .expect("score");
    let report = serde_json::from_str(&std::fs::read_to_string(&out).expect("json")).expect("JSON");
    (report, std::fs::read_to_string(&html).expect("html"))
}

fn signed(v: &Value) -> String {
    format!("{:+.3}", v.as_f64().expect("number"))
}

fn p(v: &Value) -> String {
    let p = v.as_f64().expect("p");
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

#[test]
fn the_html_page_shows_every_number_of_the_json_and_fetches_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = plan("decisions", 4);
    let journal = journal_decisions(dir.path(), &args);
    let (report, html) = score(dir.path(), args, journal);
    assert_self_contained(&html);
    // The JSON says how its intervals were computed.
    let how = report["interval_method"].as_str().expect("interval method");
    assert!(
        how.contains("cluster bootstrap") && how.contains("no_interval"),
        "{how}"
    );
    let decision = report["decision"].as_array().expect("decision rows");
    assert_eq!(decision.len(), 2); // gender and age, explicit form
    let mut checked = 0;
    for row in decision {
        let heading = format!(
            "{} ({}) vs {}",
            row["axis"].as_str().expect("axis"),
            row["form"].as_str().expect("form"),
            row["baseline"].as_str().expect("baseline")
        );
        assert!(html.contains(&heading), "{heading}");
        for g in row["groups"].as_array().expect("groups") {
            let d = &g["difference"];
            let cell = format!(
                "{} [{}, {}]",
                signed(&d["value"]),
                signed(&d["ci95"][0]),
                signed(&d["ci95"][1])
            );
            assert!(html.contains(&cell), "{cell}");
            // The row: the gap, then n and templates, then the three p-values.
            let t = &g["test"];
            let tail = format!(
                "{cell}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                d["n"],
                d["clusters"],
                p(&t["p_value"]),
                p(&t["p_holm"]),
                p(&t["p_bh"])
            );
            assert!(html.contains(&tail), "{tail}");
            checked += 1;
        }
        for e in row["mixed_effects"]["effects"].as_array().expect("mixed") {
            let cells = format!(
                "<td>{}</td><td>{}</td><td>{}</td>",
                p(&e["p_value"]),
                p(&e["p_holm"]),
                p(&e["p_bh"])
            );
            assert!(html.contains(&cells), "{cells}");
        }
    }
    assert!(checked >= 3, "{checked}");
    // A chart per decision row, with whiskers, and the methods section.
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("id=\"methods\""));
    assert!(html.contains(&format!(
        "{} tests: {} paired, {} Wald",
        report["corrections"]["family_size"],
        report["corrections"]["paired_tests"],
        report["corrections"]["wald_tests"]
    )));
}

#[test]
fn user_text_in_the_report_is_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = plan("decisions", 2);
    args.model_name = Some("<script>window.__pwned=1</script>".into());
    let journal = journal_decisions(dir.path(), &args);
    let (_, html) = score(dir.path(), args, journal);
    assert!(!html.contains("<script>window.__pwned"));
    assert!(html.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"));
}
