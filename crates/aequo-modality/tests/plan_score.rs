//! End to end on synthetic data: manifest → plan → reference-model predictions → score, with the
//! planted reliance recovered; and every bad prediction file rejected with a clear error.

use aequo_modality::bootstrap::BootstrapConfig;
use aequo_modality::plan::{
    align, read_predictions, score, Manifest, PermuteWithin, Plan, PlanConfig, Prediction,
    ScoreConfig,
};
use aequo_modality::synth::manifest::{answer, manifest_lines};
use aequo_modality::synth::{
    closed_form, ChannelSpec, LinearFusion, StructureMix, SynthConfig, SynthDataset,
};
use aequo_modality::ModalityError;
use std::path::Path;

fn setup(items: usize, alpha: f64) -> (SynthDataset, Plan, Vec<Prediction>, LinearFusion) {
    let ds = SynthDataset::generate(&SynthConfig {
        classes: 2,
        items,
        channels: vec![
            ChannelSpec::new("image", 1.0, 1.0),
            ChannelSpec::new("text", 1.0, 1.0),
        ],
        mix: StructureMix::redundant(),
        shortcut: None,
        seed: 31,
    })
    .expect("valid");
    let text: String = manifest_lines(&ds, Some(1))
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();
    let manifest = Manifest::parse(Path::new("synthetic.jsonl"), &text).expect("valid manifest");
    let plan = Plan::build(
        manifest,
        PlanConfig {
            permutations: 3,
            within: Some(PermuteWithin::Label),
            missing_rates: vec![0.5, 1.0],
            joint_permutations: true,
            ..PlanConfig::default()
        },
    )
    .expect("plan");
    let model = LinearFusion::alpha(alpha);
    let preds = plan
        .requests()
        .map(|r| answer(&model, &ds.config.channels, &r))
        .collect();
    (ds, plan, preds, model)
}

fn rows(preds: &[Prediction]) -> Vec<(usize, Prediction)> {
    preds
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, p)| (i + 1, p))
        .collect()
}

#[test]
fn planted_reliance_is_recovered_end_to_end() {
    let (ds, plan, preds, model) = setup(3000, 0.8);
    let answers = align(&plan, Path::new("p.jsonl"), &rows(&preds)).expect("aligned");
    let cfg = ScoreConfig {
        bootstrap: BootstrapConfig {
            replicates: 50,
            seed: 2,
            level: 0.95,
        },
        ..ScoreConfig::default()
    };
    let report = score(&plan, &answers, &cfg).expect("scored");
    let ch = &ds.config.channels;
    let w = &model.weights;
    let p_image = report
        .perceptual
        .iter()
        .find(|p| p.modality.as_str() == "image" && p.by_subset.is_some())
        .expect("image score");
    let exact = closed_form::accuracy(ch, w, 0b11) - closed_form::permuted_accuracy(ch, w, 0b01);
    assert!((p_image.score.unnormalised.get().expect("d") - exact).abs() < 0.03);
    let p_text = report
        .perceptual
        .iter()
        .find(|p| p.modality.as_str() == "text" && p.by_subset.is_some())
        .expect("text score");
    assert!(
        p_image.score.unnormalised.get() > p_text.score.unnormalised.get(),
        "image (α = 0.8) is relied on more"
    );
    // Modality-conditional reading: with text already permuted, additionally permuting the
    // image costs acc(text permuted) − acc(both permuted) = permuted_accuracy(text) − ½.
    let cond = report
        .perceptual
        .iter()
        .find(|p| p.modality.as_str() == "image|text")
        .expect("conditional reading");
    let exact_cond = closed_form::permuted_accuracy(ch, w, 0b10) - 0.5;
    assert!(
        (cond.score.unnormalised.get().expect("d") - exact_cond).abs() < 0.03,
        "{:?} vs {exact_cond}",
        cond.score.unnormalised
    );
    let sh = report.shapley.as_ref().expect("all subsets planned");
    let exact_phi_image = 0.5 * (closed_form::accuracy(ch, w, 0b01) - 0.5)
        + 0.5 * (closed_form::accuracy(ch, w, 0b11) - closed_form::accuracy(ch, w, 0b10));
    assert!(
        (sh.phi[0].get().expect("d") - exact_phi_image).abs() < 0.03,
        "{:?} vs {exact_phi_image}",
        sh.phi[0]
    );
    assert!(report.need.is_some());
    let conflict = report.conflict.first().expect("text conflicts planned");
    let follow = closed_form::follow_probability(ch, w, 0b10);
    // With unimodal noise the status-based ratio is not exactly the follow probability, but the
    // model that relies on the image (α = 0.8) must prefer the image.
    assert!(conflict.preference.text_preference_ratio.get().expect("d") < 0.5 && follow < 0.5);
    assert_eq!(report.robustness.len(), 2);
    let md = report.to_markdown();
    assert!(md.contains("Perceptual score") && md.contains("Shapley"));
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["schema"], "aequo.modality/1");
}

#[test]
fn missing_condition_is_reported() {
    let (_, plan, mut preds, _) = setup(20, 0.5);
    preds.retain(|p| !(p.condition == "drop:text" && p.id.0 == "s7"));
    let e = align(&plan, Path::new("p.jsonl"), &rows(&preds)).expect_err("missing");
    assert!(
        matches!(&e, ModalityError::MissingCondition { condition, missing: 1, example, .. } if condition == "drop:text" && example == "s7")
    );
    assert!(
        e.to_string()
            .contains("run the model on every row of the plan"),
        "{e}"
    );
}

#[test]
fn duplicate_rows_are_reported() {
    let (_, plan, mut preds, _) = setup(20, 0.5);
    preds.push(preds[3].clone());
    let e = align(&plan, Path::new("p.jsonl"), &rows(&preds)).expect_err("duplicate");
    assert!(
        matches!(e, ModalityError::DuplicateId { first_line: 4, .. }),
        "{e}"
    );
}

#[test]
fn label_mismatch_unknown_condition_and_item_are_reported() {
    let (_, plan, preds, _) = setup(20, 0.5);
    let mut bad = preds.clone();
    bad[0].label = Some("not-the-label".into());
    let e = align(&plan, Path::new("p.jsonl"), &rows(&bad)).expect_err("label");
    assert!(
        matches!(e, ModalityError::LabelMismatch { line: 1, .. }),
        "{e}"
    );
    let mut bad = preds.clone();
    bad[0].condition = "drop:smell".into();
    assert!(matches!(
        align(&plan, Path::new("p"), &rows(&bad)),
        Err(ModalityError::UnknownCondition { .. })
    ));
    let mut bad = preds;
    bad[0].id.0 = "nope".into();
    assert!(matches!(
        align(&plan, Path::new("p"), &rows(&bad)),
        Err(ModalityError::UnknownItem { .. })
    ));
}

#[test]
fn jsonl_and_csv_predictions_read_the_same() {
    let (_, plan, preds, _) = setup(10, 0.5);
    let dir = tempfile::tempdir().expect("tempdir");
    let jsonl = dir.path().join("p.jsonl");
    let csv = dir.path().join("p.csv");
    std::fs::write(
        &jsonl,
        preds
            .iter()
            .map(|p| serde_json::to_string(p).expect("json") + "\n")
            .collect::<String>(),
    )
    .expect("write");
    let mut c = String::from("condition,id,prediction\n");
    for p in &preds {
        c.push_str(&format!("\"{}\",{},{}\n", p.condition, p.id, p.prediction));
    }
    std::fs::write(&csv, c).expect("write");
    let a = align(&plan, &jsonl, &read_predictions(&jsonl).expect("jsonl")).expect("aligned");
    let b = align(&plan, &csv, &read_predictions(&csv).expect("csv")).expect("aligned");
    assert_eq!(a, b);
    // The same rows as Parquet, with the id as an integer column.
    let pq = dir.path().join("p.parquet");
    write_parquet(&pq, &preds, true);
    let c = align(&plan, &pq, &read_predictions(&pq).expect("parquet")).expect("aligned");
    assert_eq!(a, c);
    write_parquet(&pq, &preds, false);
    let e = read_predictions(&pq).unwrap_err().to_string();
    assert!(e.contains("needs columns condition, id, prediction"), "{e}");
    std::fs::write(&pq, "not parquet").expect("write");
    assert!(read_predictions(&pq)
        .unwrap_err()
        .to_string()
        .contains("not a Parquet file"));
    std::fs::write(&csv, "cond,id\nx,y\n").expect("write");
    assert!(matches!(
        read_predictions(&csv),
        Err(ModalityError::Parse { .. })
    ));
}

/// Writes predictions as Parquet: condition, id (as integers when they all parse), prediction;
/// without the prediction column when `with_prediction` is false.
fn write_parquet(path: &Path, preds: &[Prediction], with_prediction: bool) {
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let ids: Option<Vec<i64>> = preds.iter().map(|p| p.id.0.parse().ok()).collect();
    let id: ArrayRef = match ids {
        Some(v) => Arc::new(Int64Array::from(v)),
        None => Arc::new(StringArray::from_iter_values(
            preds.iter().map(|p| p.id.0.clone()),
        )),
    };
    let mut cols: Vec<(&str, ArrayRef)> = vec![
        (
            "condition",
            Arc::new(StringArray::from_iter_values(
                preds.iter().map(|p| p.condition.clone()),
            )),
        ),
        ("id", id),
    ];
    if with_prediction {
        cols.push((
            "prediction",
            Arc::new(StringArray::from_iter_values(
                preds.iter().map(|p| p.prediction.clone()),
            )),
        ));
    }
    let batch = RecordBatch::try_from_iter(cols).expect("batch");
    let f = std::fs::File::create(path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}
