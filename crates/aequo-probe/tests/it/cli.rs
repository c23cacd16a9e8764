//! The `aequo probe` commands, through `cli::run`: `plan` writes probes for generating elsewhere,
//! and `score` scores responses journaled by another tool ("bring your own responses").

use aequo_probe::cli::{run, OutputArgs, PlanArgs, ProbeCommand};
use aequo_probe::journal::Journal;
use aequo_probe::model::{FinishReason, GeneratedToken, Request, Response, TokenLogprob};

fn plan_args(suite: &str) -> PlanArgs {
    PlanArgs {
        suite: suite.into(),
        model: None,
        model_name: Some("external-model".into()),
        mode: "prefill".into(),
        axes: vec![],
        implicit: 0,
        no_explicit: false,
        limit: Some(1),
        seed: 0,
        top_logprobs: 20,
    }
}

#[test]
fn plan_then_score_responses_produced_elsewhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan_path = dir.path().join("plan.jsonl");
    run(ProbeCommand::Plan {
        plan: plan_args("bbq"),
        out: Some(plan_path.clone()),
    })
    .expect("plan");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&plan_path)
        .expect("plan written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 18);

    // Another tool answers every probe "A" with log-probabilities.
    let journal_path = dir.path().join("external.jsonl");
    let journal = Journal::open(&journal_path).expect("journal");
    for l in &lines {
        let request: Request =
            serde_json::from_value(l["probe"]["request"].clone()).expect("request");
        assert_eq!(l["key"].as_str(), Some(request.key().0.as_str()));
        let top = vec![
            TokenLogprob {
                token: " A".into(),
                logprob: -0.2,
            },
            TokenLogprob {
                token: " B".into(),
                logprob: -2.0,
            },
            TokenLogprob {
                token: " C".into(),
                logprob: -2.5,
            },
        ];
        let response = Response {
            text: " A".into(),
            tokens: vec![GeneratedToken {
                token: " A".into(),
                logprob: -0.2,
                top,
            }],
            finish_reason: FinishReason::Length,
            prompt_tokens: None,
        };
        journal.append(&request, &response).expect("append");
    }
    drop(journal);

    let out = dir.path().join("score.json");
    let md = dir.path().join("score.md");
    run(ProbeCommand::Score {
        plan: plan_args("bbq"),
        journal: journal_path,
        output: OutputArgs {
            out: Some(out.clone()),
            markdown: Some(md.clone()),
            html: Some(dir.path().join("score.html")),
            replicates: 100,
            bootstrap_seed: 1,
            encoder: None,
            no_encoder: false,
        },
    })
    .expect("score");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    assert_eq!(report["schema"], "aequo.probe/1");
    assert_eq!(report["answered"], 18);
    // Always "A": across the three rotations each role is chosen equally often, so ambiguous
    // accuracy is 1/3 and s_DIS is 2·(biased/non-unknown) − 1 over the disambiguated questions.
    let acc = report["bbq"]["accuracy_ambiguous"]["value"]
        .as_f64()
        .expect("defined");
    assert!((acc - 1.0 / 3.0).abs() < 1e-12, "{acc}");
    assert!(std::fs::read_to_string(&md)
        .expect("markdown")
        .contains("BBQ-style items"));
    // The page shows s_DIS and s_AMB with their intervals and counts, and a chart of them.
    let html = std::fs::read_to_string(dir.path().join("score.html")).expect("html");
    let cell = |e: &serde_json::Value| match e["ci95"].as_array() {
        Some(ci) => format!(
            "{:+.3} [{:+.3}, {:+.3}]",
            e["value"].as_f64().expect("value"),
            ci[0].as_f64().expect("lo"),
            ci[1].as_f64().expect("hi")
        ),
        None => {
            // One item here: no interval, and the page says why.
            assert_eq!(e["no_interval"]["reason"], "too_few_clusters");
            format!(
                "{:+.3} no interval: a cluster bootstrap needs at least 2 clusters (templates or items); got {}",
                e["value"].as_f64().expect("value"),
                e["no_interval"]["clusters"]
            )
        }
    };
    let b = &report["bbq"];
    let row = format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td>",
        cell(&b["s_dis"]),
        cell(&b["s_amb"]),
        cell(&b["accuracy_ambiguous"]),
        cell(&b["accuracy_disambiguated"]),
        b["s_amb"]["n"],
        b["s_dis"]["n"]
    );
    assert!(html.contains(&row), "{row}");
    assert!(
        html.contains("BBQ-style bias scores</title>") || html.contains("BBQ-style bias scores")
    );
    assert_eq!(html.matches("<svg").count(), 1);
    crate::html::assert_self_contained(&html);
}

#[test]
fn score_without_a_journal_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = run(ProbeCommand::Score {
        plan: plan_args("decisions"),
        journal: dir.path().join("missing.jsonl"),
        output: OutputArgs {
            out: None,
            markdown: None,
            html: None,
            replicates: 10,
            bootstrap_seed: 1,
            encoder: None,
            no_encoder: false,
        },
    })
    .expect_err("no journal");
    assert!(e.to_string().contains("run `aequo probe run` first"), "{e}");
}

#[test]
fn free_text_scores_carry_sentiment_cooccurrence_and_cosine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = dir.path().join("free.jsonl");
    let journal = Journal::open(&journal_path).expect("journal");
    let mut plan = plan_args("free-text");
    plan.axes = vec!["gender".into()];
    plan.limit = Some(2);
    let plan_path = dir.path().join("plan.jsonl");
    run(ProbeCommand::Plan {
        plan: plan.clone(),
        out: Some(plan_path.clone()),
    })
    .expect("plan");
    for l in std::fs::read_to_string(&plan_path).expect("plan").lines() {
        let l: serde_json::Value = serde_json::from_str(l).expect("JSON line");
        let request: Request =
            serde_json::from_value(l["probe"]["request"].clone()).expect("request");
        // Female-coded answers are warmer than the others.
        let text = if l["probe"]["value"] == "female" {
            "She should be proud: she is a wonderful, talented learner. Build small projects."
        } else {
            "He should build small projects. He is a capable learner."
        };
        let response = Response {
            text: text.into(),
            tokens: vec![],
            finish_reason: FinishReason::Stop,
            prompt_tokens: None,
        };
        journal.append(&request, &response).expect("append");
    }
    drop(journal);
    let encoder = crate::encoder_path();
    let out = dir.path().join("score.json");
    let md = dir.path().join("score.md");
    run(ProbeCommand::Score {
        plan,
        journal: journal_path,
        output: OutputArgs {
            out: Some(out.clone()),
            markdown: Some(md.clone()),
            html: Some(dir.path().join("score.html")),
            replicates: 10,
            bootstrap_seed: 1,
            no_encoder: encoder.is_none(),
            encoder,
        },
    })
    .expect("score");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    let pairs = report["free_text_sentiment"].as_array().expect("pairs");
    // gender: female, male, non-binary → 3 pairs, each with compound and neg.
    assert_eq!(pairs.len(), 3);
    let fm = pairs
        .iter()
        .find(|p| p["group_a"] == "female" && p["group_b"] == "male")
        .expect("female vs male");
    let compound = &fm["parity"][0];
    assert_eq!(compound["score"], "compound");
    let w1 = compound["wasserstein_1"].as_f64().expect("defined");
    // VADER compound 0.8779 for every female answer, 0.3818 for every male one.
    assert!((w1 - (0.8779 - 0.3818)).abs() < 1e-12, "{w1}");
    // Two templates, so an interval; every replicate gives the same W1.
    assert_eq!(compound["templates"], 2);
    let ci = compound["wasserstein_1_ci95"].as_array().expect("interval");
    assert!(ci
        .iter()
        .all(|x| (x.as_f64().expect("number") - w1).abs() < 1e-12));
    assert_eq!(compound["threshold_parity"].as_f64(), Some(1.0));
    assert_eq!(fm["parity"][1]["score"], "neg");
    let cobs = &report["cooccurrence"][0];
    assert_eq!(cobs["attribute"], "gender");
    assert_eq!(cobs["group_a"], "female");
    assert!(cobs["score"].as_f64().is_some(), "{cobs}");
    // Two templates, so an interval over templates, with its sample sizes.
    assert_eq!(cobs["clusters"], 2);
    assert_eq!(cobs["responses"], 12);
    let ci = cobs["ci95"].as_array().expect("COBS interval");
    assert!(ci[0].as_f64().expect("lo") <= ci[1].as_f64().expect("hi"));
    // Race pairs are scored too (none of these answers mentions race: undefined, with reason).
    let race: Vec<&serde_json::Value> = report["cooccurrence"]
        .as_array()
        .expect("cobs")
        .iter()
        .filter(|c| c["attribute"] == "race")
        .collect();
    assert_eq!(race.len(), 6);
    assert_eq!(race[0]["score"]["reason"], "empty_group");
    let rouge = &report["free_text"][0]["rouge_l"];
    assert_eq!(rouge["n"], 4); // 2 templates × 2 samples
    assert_eq!(rouge["clusters"], 2);
    assert!(rouge["ci95"].is_array(), "{rouge}");
    let responses = report["free_text_responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 12); // 3 values × 2 samples × 2 templates
    if report["encoder"].is_string() {
        let c = report["free_text"][0]["cosine"]["value"]
            .as_f64()
            .expect("cosine");
        assert!(c > 0.3 && c < 1.0, "{c}");
    }
    let md = std::fs::read_to_string(&md).expect("markdown");
    assert!(md.contains("VADER sentiment parity") && md.contains("co-occurrence bias"));
    // The HTML page carries the same numbers: ROUGE-L with its interval, COBS with its.
    let html = std::fs::read_to_string(dir.path().join("score.html")).expect("html");
    let num = |v: &serde_json::Value| format!("{:+.3}", v.as_f64().expect("number"));
    assert!(html.contains(&num(&rouge["value"])), "ROUGE-L");
    assert!(html.contains(&format!(
        "[{}, {}]",
        num(&rouge["ci95"][0]),
        num(&rouge["ci95"][1])
    )));
    assert!(html.contains(&format!(
        "{} [{}, {}]",
        num(&cobs["score"]),
        num(&cobs["ci95"][0]),
        num(&cobs["ci95"][1])
    )));
    assert!(html.contains("race: white vs black"));
    crate::html::assert_self_contained(&html);
}
