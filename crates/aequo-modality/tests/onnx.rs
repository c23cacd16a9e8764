//! ONNX multimodal classifiers (feature `onnx`): a plan run against an ONNX model with one input
//! per modality, compared with the Python model's own predictions. The model is scikit-learn's
//! LogisticRegression on digits (image) + a noisy digit token (text), written as ONNX with an
//! `image` and a `text` input by `crates/aequo-modality/oracle/onnx_fusion.py`; the reference
//! holds scikit-learn's `predict` and `decision_function` on the same held-out inputs, full and
//! with each modality zeroed.
//!
//! Needs `scripts/fixtures.sh onnx` (`models/digits_fusion.onnx`, `oracle/onnx_fusion.json`
//! under `$AEQUO_FIXTURES` or `<repo>/.cache/fixtures`); skipped plainly when absent.
#![cfg(feature = "onnx")]

use aequo_modality::bootstrap::BootstrapConfig;
use aequo_modality::onnx::OnnxClassifier;
use aequo_modality::plan::{
    align, run_plan, score, Manifest, Plan, PlanConfig, Prediction, ScoreConfig,
};
use aequo_modality::Modality;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

fn fixtures() -> Option<(PathBuf, Json)> {
    let root = std::env::var_os("AEQUO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../.cache/fixtures"
            ))
        });
    let model = root.join("models/digits_fusion.onnx");
    let reference = root.join("oracle/onnx_fusion.json");
    if !model.is_file() || !reference.is_file() {
        return None;
    }
    let r = serde_json::from_str(&std::fs::read_to_string(reference).ok()?).ok()?;
    Some((model, r))
}

/// A missing fixture skips the test, or fails it under `AEQUO_REQUIRE_FIXTURES` (CI).
fn skip() {
    assert!(
        std::env::var_os("AEQUO_REQUIRE_FIXTURES").is_none(),
        "the ONNX fixtures are missing and AEQUO_REQUIRE_FIXTURES is set; run scripts/fixtures.sh onnx"
    );
    println!("skipped: ONNX fixtures not present (run scripts/fixtures.sh onnx)");
}

fn manifest(reference: &Json, image_name: &str) -> Manifest {
    let lines: String = reference["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|it| {
            serde_json::json!({"id": it["id"], "label": it["label"].to_string(),
                "inputs": {image_name: it["image"], "text": it["text"]}})
            .to_string()
                + "\n"
        })
        .collect();
    Manifest::parse(Path::new("onnx_fusion.jsonl"), &lines).expect("manifest")
}

#[test]
fn onnx_predictions_match_the_python_model_and_feed_the_audit() {
    let Some((model_path, reference)) = fixtures() else {
        skip();
        return;
    };
    let plan = Plan::build(
        manifest(&reference, "image"),
        PlanConfig {
            permutations: 2,
            conflicts: false,
            seed: 1,
            ..PlanConfig::default()
        },
    )
    .expect("plan");
    let dims = OnnxClassifier::dims_from(&plan).expect("dims");
    assert_eq!(
        dims,
        vec![(Modality::new("image"), 64), (Modality::new("text"), 10)]
    );
    let mut clf = OnnxClassifier::load(&model_path, &dims, None, None).expect("loaded");
    let preds: Vec<Prediction> = run_plan(&plan, &mut clf).expect("run");
    let items = reference["items"].as_array().expect("items");
    let by = |cond: &str| -> Vec<&str> {
        preds
            .iter()
            .filter(|p| p.condition == cond)
            .map(|p| p.prediction.as_str())
            .collect()
    };
    for (cond, key) in [
        ("full", "full"),
        ("drop:text", "text_removed"),
        ("drop:image", "image_removed"),
    ] {
        let ours = by(cond);
        assert_eq!(ours.len(), items.len());
        let mismatches = ours
            .iter()
            .zip(items)
            .filter(|(o, it)| {
                it[key]["prediction"]
                    .as_u64()
                    .map(|c| c.to_string())
                    .as_deref()
                    != Some(**o)
            })
            .count();
        assert_eq!(
            mismatches, 0,
            "{cond}: {mismatches} predictions differ from scikit-learn"
        );
    }
    // The scores themselves: the `logits` output equals scikit-learn's decision_function.
    let logits = OnnxClassifier::load(&model_path, &dims, Some("logits"), None).expect("logits");
    let f32s = |v: &Json| -> Vec<f32> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect()
    };
    let mut worst = 0f32;
    for it in items {
        for (key, img, txt) in [
            ("full", true, true),
            ("text_removed", true, false),
            ("image_removed", false, true),
        ] {
            let t = logits
                .run(&[
                    img.then(|| f32s(&it["image"])),
                    txt.then(|| f32s(&it["text"])),
                ])
                .expect("run");
            let ours = t.as_slice::<f32>().expect("f32").to_vec();
            for (a, b) in ours.iter().zip(f32s(&it[key]["decision"])) {
                worst = worst.max((a - b).abs());
            }
        }
    }
    println!("largest |ONNX logit − scikit-learn decision_function| = {worst:e}");
    assert!(worst < 1e-4, "{worst}");
    // The audit of the ONNX model: it uses both modalities.
    let rows: Vec<_> = preds
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, p)| (i + 1, p))
        .collect();
    let answers = align(&plan, Path::new("onnx"), &rows).expect("aligned");
    let report = score(
        &plan,
        &answers,
        &ScoreConfig {
            bootstrap: BootstrapConfig {
                replicates: 100,
                seed: 2,
                level: 0.95,
            },
            ..ScoreConfig::default()
        },
    )
    .expect("scored");
    let image = report.perceptual[0]
        .score
        .unnormalised
        .get()
        .expect("defined");
    let text = report.perceptual[1]
        .score
        .unnormalised
        .get()
        .expect("defined");
    println!(
        "ONNX model: perceptual score image {image:.3}, text {text:.3} (n = {})",
        items.len()
    );
    assert!(image > 0.1 && text > 0.0);
}

#[test]
fn onnx_mismatches_are_clear_errors() {
    let Some((model_path, reference)) = fixtures() else {
        skip();
        return;
    };
    // A manifest modality the model does not take.
    let plan = Plan::build(manifest(&reference, "picture"), PlanConfig::default()).expect("plan");
    let dims = OnnxClassifier::dims_from(&plan).expect("dims");
    let e = OnnxClassifier::load(&model_path, &dims, None, None).expect_err("names");
    assert!(e.to_string().contains("`image`"), "{e}");
    // Wrong dimension, unknown output, not an ONNX file.
    let bad = vec![(Modality::new("image"), 63), (Modality::new("text"), 10)];
    let e = OnnxClassifier::load(&model_path, &bad, None, None).expect_err("dim");
    assert!(e.to_string().contains("[1, 63]"), "{e}");
    let good = vec![(Modality::new("image"), 64), (Modality::new("text"), 10)];
    let e =
        OnnxClassifier::load(&model_path, &good, Some("probabilities"), None).expect_err("output");
    assert!(e.to_string().contains("no output `probabilities`"), "{e}");
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.onnx");
    std::fs::write(&junk, b"not a model").expect("write");
    let e = OnnxClassifier::load(&junk, &good, None, None).expect_err("junk");
    assert!(e.to_string().contains("not a loadable ONNX model"), "{e}");
    // A feature vector of the wrong length at run time, and a class index without a name.
    let clf = OnnxClassifier::load(&model_path, &good, None, None).expect("ok");
    assert!(clf.run(&[Some(vec![0.0; 5]), None]).is_err());
    let plan = Plan::build(manifest(&reference, "image"), PlanConfig::default()).expect("plan");
    let mut named =
        OnnxClassifier::load(&model_path, &good, None, Some(vec!["zero".into()])).expect("ok");
    let e = run_plan(&plan, &mut named).expect_err("class names");
    assert!(e.to_string().contains("class names"), "{e}");
}

#[test]
fn cli_onnx_then_score() {
    let Some((model_path, reference)) = fixtures() else {
        skip();
        return;
    };
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: aequo_modality::cli::ModalityCommand,
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_string_lossy().to_string();
    let lines: String = reference["items"]
        .as_array()
        .expect("items")
        .iter()
        .take(60)
        .map(|it| {
            serde_json::json!({"id": it["id"], "label": it["label"].to_string(),
                "inputs": {"image": it["image"], "text": it["text"]}})
            .to_string()
                + "\n"
        })
        .collect();
    let manifest = format!("{d}/manifest.jsonl");
    std::fs::write(&manifest, lines).expect("manifest");
    let run = |args: &[&str]| {
        let mut v = vec!["x"];
        v.extend_from_slice(args);
        aequo_modality::cli::run(Cli::parse_from(v).cmd)
    };
    let model = model_path.to_string_lossy().to_string();
    run(&[
        "onnx",
        &manifest,
        "--model",
        &model,
        "--out",
        &d,
        "--permutations",
        "2",
    ])
    .expect("onnx run");
    let preds = format!("{d}/predictions.jsonl");
    run(&[
        "score",
        &manifest,
        &preds,
        "--out",
        &d,
        "--permutations",
        "2",
        "--replicates",
        "50",
    ])
    .expect("score");
    let report: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(report["perceptual"][0]["score"]["unnormalised"]["n"], 60);
    assert!(
        report["perceptual"][0]["score"]["unnormalised"]["value"]
            .as_f64()
            .expect("v")
            > 0.1
    );
    // Feature vectors are required: a manifest of image paths is refused with the reason.
    let paths = format!("{d}/paths.jsonl");
    std::fs::write(
        &paths,
        "{\"id\":\"a\",\"label\":\"1\",\"inputs\":{\"image\":\"a.png\",\"text\":\"one\"}}\n",
    )
    .expect("w");
    let e = run(&["onnx", &paths, "--model", &model, "--out", &d]).expect_err("paths");
    assert!(e.to_string().contains("not a feature vector"), "{e}");
}
