//! Validation on real model outputs published by the benchmarks' authors, read from
//! `../shared/reference-data` beside the repository. Each test prints
//! "skipped: … not present" and passes when the data is absent.

use aequo_modality::answer::Cleaning;
use aequo_modality::bootstrap::BootstrapConfig;
use aequo_modality::conflict::{normalised_accuracy, text_preference, StatusCounts};
use aequo_modality::io::blind_faith::{load_model, paired_scores, statuses, Scorer, TextSource};
use std::path::PathBuf;

fn reference_data() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference-data"));
    p.is_dir().then_some(p)
}

fn blind_faith_dir(sub: &str) -> Option<PathBuf> {
    let d = reference_data()?.join("blind-faith-in-text/raw_code/outputs/lmms-lab").join(sub);
    d.is_dir().then_some(d)
}

const VQAV2_MODELS: [(&str, &str); 4] = [
    ("LLaVA-1.5-7B", "llava-hf-llava-1.5-7b-hf"),
    ("LLaVA-1.6-7B", "llava-hf-llava-v1.6-vicuna-7b-hf"),
    ("Claude 3.7 Sonnet", "claude-3-7-sonnet-20250219"),
    ("GPT-4.1-mini", "gpt-4.1-mini-2025-04-14"),
];

/// Status counts printed by the authors' notebook `raw_code/notebooks/performance_models.ipynb`
/// (first 500 rows per file, `get_modality_prefer_score`): (model dir, source, counts
/// same/text/image/both/neither/undefined, coarse image ratio).
const AUTHORS_500: [(&str, TextSource, [usize; 6], f64); 9] = [
    ("llava-hf-llava-v1.6-vicuna-7b-hf", TextSource::Corruption, [58, 360, 53, 13, 4, 12], 0.13291357833611356),
    ("llava-hf-llava-v1.6-vicuna-7b-hf", TextSource::Match, [341, 123, 17, 13, 2, 4], 0.1531960595686086),
    ("llava-hf-llava-v1.6-vicuna-7b-hf", TextSource::Irrelevance, [143, 16, 306, 12, 16, 7], 0.9292926052656592),
    ("gpt-4.1-mini-2025-04-14", TextSource::Corruption, [34, 81, 151, 155, 12, 67], 0.628155229189979),
    ("gpt-4.1-mini-2025-04-14", TextSource::Match, [143, 162, 58, 110, 10, 17], 0.35515210546120246),
    ("gpt-4.1-mini-2025-04-14", TextSource::Irrelevance, [56, 22, 232, 127, 13, 50], 0.8033969426803351),
    ("claude-3-7-sonnet-20250219", TextSource::Corruption, [8, 32, 204, 227, 2, 27], 0.7217078606926836),
    ("claude-3-7-sonnet-20250219", TextSource::Match, [93, 92, 104, 193, 4, 14], 0.5385852034177157),
    ("claude-3-7-sonnet-20250219", TextSource::Irrelevance, [17, 8, 240, 203, 9, 23], 0.7747088301079035),
];

#[test]
fn blind_faith_status_counts_match_the_authors_notebook() {
    let Some(dir) = blind_faith_dir("VQAv2") else {
        println!("skipped: ../shared/reference-data/blind-faith-in-text not present");
        return;
    };
    for (model, source, c, coarse) in AUTHORS_500 {
        let runs = load_model(&dir.join(model), Some(500)).expect("readable");
        let st: Vec<_> = statuses(&runs, source, Cleaning::BlindFaith).into_iter().map(|(_, s)| s).collect();
        let t = text_preference(&st, &BootstrapConfig::none());
        let expected = StatusCounts { same: c[0], text: c[1], image: c[2], both: c[3], neither: c[4], undefined: c[5] };
        assert_eq!(t.counts, expected, "{model} {source:?}");
        let got = t.coarse_image_ratio.get().expect("defined");
        assert!((got - coarse).abs() < 1e-9, "{model} {source:?}: coarse {got} vs {coarse}");
    }
}

#[test]
fn blind_faith_text_preference_and_normalised_accuracy_per_model() {
    let cfg = BootstrapConfig { replicates: 200, seed: 1, level: 0.95 };
    let mut printed = false;
    for (sub, models, scorer) in [
        ("VQAv2", &VQAV2_MODELS[..], Scorer::VqaSubstring),
        (
            "DocVQA/DocVQA",
            &[("LLaVA-1.5-7B", "llava-hf-llava-1.5-7b-hf"), ("LLaVA-1.6-7B", "llava-hf-llava-v1.6-vicuna-7b-hf")][..],
            Scorer::Anls,
        ),
    ] {
        let Some(dir) = blind_faith_dir(sub) else {
            println!("skipped: ../shared/reference-data/blind-faith-in-text/{sub} not present");
            continue;
        };
        for (name, model) in models {
            let runs = load_model(&dir.join(model), None).expect("readable");
            for source in TextSource::ALL {
                let st: Vec<_> = statuses(&runs, source, Cleaning::BlindFaith).into_iter().map(|(_, s)| s).collect();
                let t = text_preference(&st, &cfg);
                let (base, cond) = paired_scores(&runs.base, &runs.with_image[&source], scorer);
                let na = normalised_accuracy(&base, &cond, &cfg).expect("paired");
                let tpr = t.text_preference_ratio.get().expect("defined");
                assert!((0.0..=1.0).contains(&tpr));
                println!(
                    "{sub:<14} {name:<18} {:<11} TPR {} | acc base {} with text {} | norm {}",
                    source.name(),
                    t.text_preference_ratio,
                    na.base_accuracy,
                    na.corrupted_accuracy,
                    na.normalised
                );
                printed = true;
            }
        }
    }
    if !printed {
        println!("skipped: ../shared/reference-data/blind-faith-in-text not present");
    }
}
