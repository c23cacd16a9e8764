//! The commands' behaviour: synth writes what it says, demo runs end to end, outputs parse.

use std::process::Command;

use crate::{aequo, text};

#[test]
fn synth_writes_rows_and_truth() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("s.csv");
    let truth = dir.path().join("t.json");
    let o = aequo(&[
        "synth",
        "--rows",
        "1000",
        "--out",
        data.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--seed",
        "3",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let csv = std::fs::read_to_string(&data).unwrap();
    assert_eq!(csv.lines().count(), 1001);
    assert!(csv.starts_with("applicant_id,sex,race,age_band,region,income,repaid,score,approved"));
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    assert_eq!(t["schema"], "aequo.synth-truth/1");
    // same seed, same table
    let again = dir.path().join("s2.csv");
    assert!(aequo(&[
        "synth",
        "--rows",
        "1000",
        "--out",
        again.to_str().unwrap(),
        "--seed",
        "3",
        "-q"
    ])
    .status
    .success());
    assert_eq!(
        std::fs::read(&data).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let o = aequo(&[
        "demo",
        "--dir",
        dir.path().to_str().unwrap(),
        "--rows",
        "50000",
    ]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stdout.contains("sex × race × age_band"), "{stdout}");
    assert!(stdout.contains("truth"), "{stdout}");
    if crate::fixtures("demo on COMPAS", "data/compas-scores-two-years.csv").is_some() {
        assert!(dir.path().join("compas-report.html").exists());
    }
    let r: aequo_core::AuditResult =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("audit.json")).unwrap())
            .unwrap();
    assert_eq!(r.schema, aequo_core::audit::SCHEMA);
    assert_eq!(r.input.rows_used, 50_000);
    assert_eq!(r.groupings.len(), 7);
}

#[test]
fn json_output_round_trips_and_table_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("s.parquet");
    assert!(aequo(&[
        "synth",
        "--rows",
        "5000",
        "--out",
        data.to_str().unwrap(),
        "-q"
    ])
    .status
    .success());
    let base = [
        "audit",
        data.to_str().unwrap(),
        "--label",
        "repaid",
        "--score",
        "score",
        "--threshold",
        "0.5",
        "--sensitive",
        "sex,race",
    ];
    let mut json_args = base.to_vec();
    json_args.extend(["--format", "json"]);
    let o = aequo(&json_args);
    assert!(o.status.success());
    let r: aequo_core::AuditResult = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r.input.prediction, "score >= 0.5");
    assert_eq!(r.groupings.len(), 3);
    // The same bytes with one scan thread, and no progress bar when stderr is not a terminal.
    let mut one_thread = json_args.clone();
    one_thread.extend(["--threads", "1"]);
    let o1 = aequo(&one_thread);
    assert_eq!(o1.stdout, o.stdout);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = aequo(&base);
    let (stdout, _) = text(&o);
    assert!(
        stdout.contains("Criteria (between groups") && stdout.contains("female × Black"),
        "{stdout}"
    );
    // --out - is stdout, as for most tools: the same bytes, and no file named "-".
    let mut dash = json_args.clone();
    dash.extend(["--out", "-"]);
    let o_dash = Command::new(env!("CARGO_BIN_EXE_aequo"))
        .args(&dash)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o_dash.status.success());
    assert_eq!(o_dash.stdout, o1.stdout);
    assert!(!dir.path().join("-").exists());
    // --out writes the file and says so
    let out = dir.path().join("r/audit.json");
    json_args.extend(["--out", out.to_str().unwrap()]);
    let o = aequo(&json_args);
    assert!(o.status.success());
    assert!(text(&o).1.contains("wrote"));
    assert!(out.exists());
}

#[test]
fn html_and_markdown_outputs_and_report_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("s.parquet");
    assert!(aequo(&[
        "synth",
        "--rows",
        "3000",
        "--out",
        data.to_str().unwrap(),
        "-q"
    ])
    .status
    .success());
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let base = [
        "audit",
        data.to_str().unwrap(),
        "--label",
        "repaid",
        "--pred",
        "approved",
        "--sensitive",
        "sex,race",
        "-q",
    ];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let o = aequo(&args);
        assert!(o.status.success(), "{:?}", text(&o));
        o
    };
    run(&["--format", "html", "--out", &p("r.html")]);
    let html = std::fs::read_to_string(p("r.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    run(&["--format", "md", "--out", &p("r.md")]);
    let md = std::fs::read_to_string(p("r.md")).unwrap();
    assert!(
        md.contains("## Summary") && md.contains("r-charts/"),
        "{md}"
    );
    assert!(dir.path().join("r-charts").read_dir().unwrap().count() > 0);
    let o = run(&["--format", "md"]);
    assert!(text(&o).0.contains("## Summary"));
    run(&["--format", "json", "--out", &p("r.json")]);
    // aequo report renders a saved result identically to the direct render
    let o = aequo(&[
        "report",
        &p("r.json"),
        "--format",
        "html",
        "--out",
        &p("again.html"),
        "-q",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(std::fs::read_to_string(p("again.html")).unwrap(), html);
    // with a score and a subgroup search, the page has their sections
    let o = aequo(&[
        "audit",
        data.to_str().unwrap(),
        "--label",
        "repaid",
        "--score",
        "score",
        "--threshold",
        "0.5",
        "--sensitive",
        "sex,race",
        "--discover",
        "selection_rate",
        "--discover-columns",
        "region",
        "--format",
        "html",
        "--out",
        &p("s.html"),
        "-q",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let page = std::fs::read_to_string(p("s.html")).unwrap();
    assert!(page.contains("id=\"scores\"") && page.contains("id=\"subgroups\""));
    let scores = &page[page.find("id=\"scores\"").unwrap()..];
    assert!(scores.contains("ROC curves by sex") && scores.contains("Calibration by race"));
    assert!(
        scores.matches("<polyline").count() >= 14,
        "ROC and calibration curves for 2 + 5 groups"
    );
    let o = aequo(&[
        "audit",
        data.to_str().unwrap(),
        "--label",
        "repaid",
        "--score",
        "score",
        "--threshold",
        "0.5",
        "--sensitive",
        "sex,race",
        "--discover",
        "selection_rate",
        "--discover-columns",
        "region",
        "--format",
        "md",
        "--boot",
        "50",
    ]);
    let md = text(&o).0;
    assert!(
        md.contains("## Scores by group") && md.contains("## Worst subgroups on Selection rate"),
        "{md}"
    );
    // a file that is not a result is refused clearly
    std::fs::write(p("bad.json"), "{\"schema\": \"something/9\"}").unwrap();
    let o = aequo(&["report", &p("bad.json")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o)
        .1
        .contains("has schema 'something/9', but this aequo reads 'aequo.audit/2'"));
}

#[test]
fn discovery_finds_the_planted_subgroup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("s.parquet");
    assert!(aequo(&[
        "synth",
        "--rows",
        "100000",
        "--out",
        data.to_str().unwrap(),
        "-q"
    ])
    .status
    .success());
    let o = aequo(&[
        "audit",
        data.to_str().unwrap(),
        "--label",
        "repaid",
        "--pred",
        "approved",
        "--sensitive",
        "sex,race,age_band",
        "--discover",
        "selection_rate:lower",
        "--discover-columns",
        "region,income:4",
        "--format",
        "json",
        "--boot",
        "0",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let r: aequo_core::AuditResult = serde_json::from_slice(&o.stdout).unwrap();
    // the audit's groupings stay over the sensitive attributes
    assert_eq!(r.groupings.len(), 7);
    let sg = &r.subgroups[0];
    assert!(sg.slices_tested > 100);
    let planted = sg.slices.iter().position(|s| {
        let d = s.describe();
        d.contains("age_band = 65+") && d.contains("region = south")
    });
    assert!(
        planted.is_some(),
        "{:?}",
        sg.slices.iter().map(|s| s.describe()).collect::<Vec<_>>()
    );
    // the planted intersection of the sensitive attributes is found too
    assert!(sg
        .slices
        .iter()
        .any(|s| s.describe().starts_with("sex = female ∧ race = Black")));
    assert!(sg.slices.iter().all(|s| s.p_bh < 0.05 && s.effect < 0.0));
}

#[test]
fn discovery_on_compas_reports_its_top_slices() {
    let Some(root) = crate::fixtures(
        "COMPAS subgroup discovery",
        "data/compas-scores-two-years.csv",
    ) else {
        return;
    };
    let file = root.join("data/compas-scores-two-years.csv");
    let o = aequo(&[
        "audit",
        file.to_str().unwrap(),
        "--label",
        "two_year_recid",
        "--score",
        "decile_score",
        "--threshold",
        "5",
        "--sensitive",
        "race,sex",
        "--discover",
        "fpr:higher",
        "--discover-columns",
        "age_cat,c_charge_degree",
        "--boot",
        "0",
    ]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.contains("Worst subgroups on fpr (higher is worse"),
        "{stdout}"
    );
    let section = stdout.split("Worst subgroups").nth(1).unwrap();
    assert!(section.contains("race = African-American"), "{section}");
}

#[test]
fn regression_audit_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.csv");
    std::fs::write(
        &f,
        "g,y,p\na,1.0,1.5\na,2.0,2.0\nb,3.0,1.0\nb,4.0,4.5\nb,,1\n",
    )
    .unwrap();
    let o = aequo(&[
        "audit",
        f.to_str().unwrap(),
        "--task",
        "regression",
        "--label",
        "y",
        "--pred",
        "p",
        "--sensitive",
        "g",
        "--on-missing",
        "drop",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["schema"], "aequo.regression/1");
    let groups = r["groupings"][0]["groups"].as_array().unwrap();
    let metric = |g: &serde_json::Value, id: &str| {
        g["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m[0] == id)
            .unwrap()[1]
            .as_f64()
            .unwrap()
    };
    // a: |1 − 1.5|, |2 − 2| → MAE 0.25, RMSE √(0.25/2); b: |3 − 1|, |4 − 4.5| → 1.25, √(4.25/2)
    assert!((metric(&groups[0], "mean_absolute_error") - 0.25).abs() < 1e-12);
    assert!((metric(&groups[1], "root_mean_squared_error") - (4.25f64 / 2.0).sqrt()).abs() < 1e-12);
    // bounded group loss (absolute) = the worse group's MAE
    assert!(
        (r["groupings"][0]["bounded_group_loss"][0]["value"]
            .as_f64()
            .unwrap()
            - 1.25)
            .abs()
            < 1e-12
    );
    // distribution distances of the predictions: a = {1.5, 2}, b = {1, 4.5}: KS 0.5, W1 1.5
    let d = &groups[0]["parity"]["to_rest"];
    assert!(
        (d["kolmogorov_smirnov"]["value"].as_f64().unwrap() - 0.5).abs() < 1e-9,
        "{d}"
    );
    assert!(
        (d["wasserstein"]["value"].as_f64().unwrap() - 1.5).abs() < 1e-9,
        "{d}"
    );
    assert_eq!(r["input"]["rows_used"], 4);
}

#[test]
fn multiclass_audit_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.csv");
    std::fs::write(
        &f,
        "g,y,p\na,cat,cat\na,dog,cat\nb,bird,bird\nb,cat,dog\nb,dog,dog\n",
    )
    .unwrap();
    let o = aequo(&[
        "audit",
        f.to_str().unwrap(),
        "--task",
        "multiclass",
        "--label",
        "y",
        "--pred",
        "p",
        "--sensitive",
        "g",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["classes"], serde_json::json!(["bird", "cat", "dog"]));
    let a = &r["groupings"][0]["groups"][0];
    assert!((a["accuracy"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    // group a, class cat one-vs-rest: tp 1 (cat→cat), fp 1 (dog→cat) → TPR 1, FPR 1, PPV 0.5
    let cat = &a["classes"][1]["metrics"];
    let get = |id: &str| cat.as_array().unwrap().iter().find(|m| m[0] == id).unwrap()[1].clone();
    assert_eq!(get("tpr"), 1.0);
    assert_eq!(get("fpr"), 1.0);
    assert_eq!(get("ppv"), 0.5);
    // bird never appears in group a: its TPR is undefined, not 0
    let bird = &a["classes"][0]["metrics"];
    assert!(bird
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m[0] == "tpr")
        .unwrap()[1]["undefined"]
        .is_object());
    // a score is for binary audits
    let o = aequo(&[
        "audit",
        f.to_str().unwrap(),
        "--task",
        "multiclass",
        "--label",
        "y",
        "--score",
        "p",
        "--threshold",
        "1",
        "--sensitive",
        "g",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("needs --pred"));
}

#[test]
fn modality_commands_are_mounted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = aequo(&["modality", "synth", "--out", d, "--items", "200"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let out = dir.path().join("r");
    let o = aequo(&[
        "modality",
        "score",
        &format!("{d}/manifest.jsonl"),
        &format!("{d}/predictions.jsonl"),
        "--out",
        out.to_str().unwrap(),
        "--replicates",
        "50",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["schema"], "aequo.modality/1");
}

#[test]
fn probe_commands_are_mounted() {
    let o = aequo(&["probe", "suites"]);
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.contains("decisions") && stdout.contains("bbq"),
        "{stdout}"
    );
}

/// `aequo probe plan`, responses journaled by "another tool", then `aequo probe score --html`:
/// the page shows the JSON's recommendation means with their intervals; an unwritable `--html`
/// path is an error naming the file.
#[cfg(feature = "probe")]
#[test]
fn probe_score_writes_an_html_page() {
    use aequo_probe::journal::Journal;
    use aequo_probe::model::{FinishReason, Request, Response};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plan = d.join("plan.jsonl");
    let common = [
        "--suite",
        "recommendations",
        "--axes",
        "gender",
        "--limit",
        "2",
        "--model-name",
        "elsewhere",
    ];
    let mut args = vec!["probe", "plan"];
    args.extend(common);
    args.extend(["--out", plan.to_str().unwrap()]);
    let o = aequo(&args);
    assert!(o.status.success(), "{:?}", text(&o));
    let journal_path = d.join("j.jsonl");
    let journal = Journal::open(&journal_path).unwrap();
    let lines = std::fs::read_to_string(&plan).unwrap();
    let first_template = {
        let l: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
        l["probe"]["template"].clone()
    };
    for l in lines.lines() {
        let l: serde_json::Value = serde_json::from_str(l).unwrap();
        let request: Request = serde_json::from_value(l["probe"]["request"].clone()).unwrap();
        let female_first =
            l["probe"]["value"] == "female" && l["probe"]["template"] == first_template;
        let text = if female_first {
            "1. Up\n2. Alien\n3. Amelie"
        } else {
            "1. Alien\n2. Heat\n3. Up"
        };
        let r = Response {
            text: text.into(),
            tokens: vec![],
            finish_reason: FinishReason::Stop,
            prompt_tokens: None,
        };
        journal.append(&request, &r).unwrap();
    }
    drop(journal);
    let (out, html) = (d.join("r.json"), d.join("r.html"));
    let score_to = |html: &std::path::Path, replicates: &str| {
        let mut args = vec!["probe", "score"];
        args.extend(common);
        args.extend([
            "--journal",
            journal_path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
            "--replicates",
            replicates,
            "--no-encoder",
        ]);
        aequo(&args)
    };
    let o = score_to(&html, "50");
    assert!(o.status.success(), "{:?}", text(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    let female = r["recommendation_summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["value"] == "female")
        .unwrap();
    // Jaccard 1/2 in one template and 1 in the other: 0.75 with the interval [0.5, 1].
    assert_eq!(female["jaccard"]["value"], 0.75);
    assert!(page.contains("+0.750 [+0.500, +1.000]"), "{page}");
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"));
    // An unwritable destination is reported, naming it.
    let bad = d.join("no-such-dir").join("r.html");
    let o = score_to(&bad, "10");
    assert!(!o.status.success());
    let (_, stderr) = text(&o);
    assert!(
        stderr.contains("writing") && stderr.contains("no-such-dir"),
        "{stderr}"
    );
}

/// `--sql "SELECT * FROM t" --table t=FILE` audits the same counts as the file itself.
#[cfg(feature = "sql")]
#[test]
fn sql_source_audits_the_same_groups_as_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("s.parquet");
    let file = data.to_str().unwrap();
    assert!(aequo(&["synth", "--rows", "20000", "--out", file, "-q"])
        .status
        .success());
    let table = format!("t={file}");
    let columns = [
        "--label",
        "repaid",
        "--sensitive",
        "sex,race,age_band",
        "--format",
        "json",
    ];
    for prediction in [
        &["--pred", "approved"][..],
        &[
            "--score",
            "score",
            "--threshold",
            "0.4",
            "--score-metrics",
            "off",
        ][..],
    ] {
        let run = |input: &[&str]| -> aequo_core::AuditResult {
            let mut args = vec!["audit"];
            args.extend(input);
            args.extend(columns);
            args.extend(prediction);
            let o = aequo(&args);
            assert!(o.status.success(), "{args:?}: {:?}", text(&o));
            serde_json::from_slice(&o.stdout).unwrap()
        };
        let from_file = run(&[file]);
        let from_sql = run(&["--sql", "SELECT * FROM t", "--table", &table]);
        assert_eq!(from_sql.input.source, "SELECT * FROM t");
        assert_eq!(from_sql.input.format, "sql (datafusion)");
        assert_eq!(from_sql.input.rows_used, 20_000);
        assert_eq!(from_file.groupings.len(), 7);
        for (f, s) in from_file.groupings.iter().zip(&from_sql.groupings) {
            let counts = |g: &aequo_core::audit::GroupingResult| {
                g.groups
                    .iter()
                    .map(|g| (g.key.to_string(), g.confusion))
                    .collect::<Vec<_>>()
            };
            assert_eq!(counts(f), counts(s));
        }
        // Same counts, same seed: every number of the audit is the same.
        assert_eq!(
            serde_json::to_value(&from_file.groupings).unwrap(),
            serde_json::to_value(&from_sql.groupings).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&from_file.criteria).unwrap(),
            serde_json::to_value(&from_sql.criteria).unwrap()
        );
    }

    // The query, not the file, is what is audited; a bad --table is a clear error.
    let o = aequo(&[
        "audit",
        "--sql",
        "SELECT * FROM t WHERE sex = 'female'",
        "--table",
        &table,
        "--label",
        "repaid",
        "--pred",
        "approved",
        "--sensitive",
        "race",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let r: aequo_core::AuditResult = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r.input.rows_used > 9_000 && r.input.rows_used < 11_000);
    let o = aequo(&[
        "audit",
        "--sql",
        "SELECT * FROM t",
        "--table",
        file,
        "--label",
        "repaid",
        "--pred",
        "approved",
        "--sensitive",
        "race",
    ]);
    let (_, stderr) = text(&o);
    assert!(
        !o.status.success() && stderr.contains("NAME=PATH"),
        "{stderr}"
    );
}
