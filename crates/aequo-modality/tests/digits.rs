//! A real trained model: a late-fusion classifier trained in Rust on scikit-learn's digits (the
//! image channel) plus a noisy label token (the text channel). The audit must find that the
//! model leans on text when text is reliable and on the image when text is noisy.
//!
//! Needs `digits.csv.gz` from `scripts/fixtures.sh digits` (under `$AEQUO_FIXTURES` or
//! `<repo>/.cache/fixtures`, in `data/`); skipped plainly when absent.

use aequo_modality::bootstrap::BootstrapConfig;
use aequo_modality::fusion::{noisy_label_channel, train, LateFusion, TrainConfig};
use aequo_modality::perceptual::{perceptual_score, Reading};
use aequo_modality::shapley::shapley_on_accuracy;
use aequo_modality::synth::permutation;
use aequo_modality::Modality;
use std::io::Read;
use std::path::PathBuf;

fn digits_path() -> Option<PathBuf> {
    let root = std::env::var_os("AEQUO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../.cache/fixtures"
            ))
        });
    let p = root.join("data/digits.csv.gz");
    p.is_file().then_some(p)
}

fn load(path: &PathBuf) -> (Vec<Vec<f64>>, Vec<usize>) {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open digits"))
        .read_to_string(&mut text)
        .expect("gzip");
    let mut x = Vec::new();
    let mut y = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Vec<f64> = line
            .split(',')
            .map(|s| s.trim().parse::<f64>().expect("number"))
            .collect();
        assert_eq!(v.len(), 65, "64 pixels and a label");
        y.push(v[64] as usize);
        x.push(v[..64].iter().map(|p| p / 16.0).collect());
    }
    (x, y)
}

struct Audit {
    text_score: f64,
    image_score: f64,
    phi_text: f64,
    phi_image: f64,
    accuracy: f64,
}

fn audit(model: &LateFusion, image: &[Vec<f64>], text: &[Vec<f64>], labels: &[usize]) -> Audit {
    let n = labels.len();
    let run =
        |img: &dyn Fn(usize) -> Option<usize>, txt: &dyn Fn(usize) -> Option<usize>| -> Vec<bool> {
            (0..n)
                .map(|i| {
                    let a = img(i).map(|j| image[j].as_slice());
                    let b = txt(i).map(|j| text[j].as_slice());
                    model.predict(&[a, b]) == labels[i]
                })
                .collect()
        };
    let full = run(&|i| Some(i), &|i| Some(i));
    let cfg = BootstrapConfig::none();
    let perm = |m: usize| -> Vec<Vec<bool>> {
        (0..3)
            .map(|r| {
                let p = permutation(n, 40 + r);
                if m == 0 {
                    run(&|i| Some(p[i]), &|i| Some(i))
                } else {
                    run(&|i| Some(i), &|i| Some(p[i]))
                }
            })
            .collect()
    };
    let image_score = perceptual_score(&full, &perm(0), Reading::Marginal, &cfg)
        .expect("ok")
        .unnormalised
        .get()
        .expect("d");
    let text_score = perceptual_score(&full, &perm(1), Reading::Marginal, &cfg)
        .expect("ok")
        .unnormalised
        .get()
        .expect("d");
    let by_mask = vec![
        Some(run(&|_| None, &|_| None)),
        Some(run(&|i| Some(i), &|_| None)),
        Some(run(&|_| None, &|i| Some(i))),
        Some(full.clone()),
    ];
    let sh = shapley_on_accuracy(
        &[Modality::new("image"), Modality::new("text")],
        &by_mask,
        &cfg,
    )
    .expect("ok");
    Audit {
        text_score,
        image_score,
        phi_image: sh.phi[0].get().expect("d"),
        phi_text: sh.phi[1].get().expect("d"),
        accuracy: full.iter().filter(|c| **c).count() as f64 / n as f64,
    }
}

#[test]
fn reliance_follows_the_reliability_of_the_text_channel() {
    let Some(path) = digits_path() else {
        println!("skipped: digits.csv.gz not present (run scripts/fixtures.sh digits)");
        return;
    };
    let (x, y) = load(&path);
    assert_eq!(x.len(), 1797);
    let order = permutation(x.len(), 7);
    let (train_idx, test_idx) = order.split_at(1200);
    let pick =
        |idx: &[usize], v: &[Vec<f64>]| idx.iter().map(|&i| v[i].clone()).collect::<Vec<_>>();
    let labels = |idx: &[usize]| idx.iter().map(|&i| y[i]).collect::<Vec<_>>();
    let mut results = Vec::new();
    for corruption in [0.0, 0.9] {
        let text_all = noisy_label_channel(&y, 10, corruption, 11);
        let model = train(
            &[pick(train_idx, &x), pick(train_idx, &text_all)],
            &labels(train_idx),
            10,
            &TrainConfig {
                epochs: 60,
                learning_rate: 1.0,
                l2: 1e-4,
                seed: 1,
            },
        )
        .expect("trained");
        let a = audit(
            &model,
            &pick(test_idx, &x),
            &pick(test_idx, &text_all),
            &labels(test_idx),
        );
        println!(
            "text corruption {corruption}: test accuracy {:.3}; perceptual score image {:.3}, text {:.3}; Shapley φ image {:.3}, text {:.3}",
            a.accuracy, a.image_score, a.text_score, a.phi_image, a.phi_text
        );
        results.push(a);
    }
    let (clean, noisy) = (&results[0], &results[1]);
    assert!(
        clean.accuracy > 0.85 && noisy.accuracy > 0.85,
        "both models learn digits"
    );
    assert!(
        clean.text_score > noisy.text_score + 0.1,
        "reliable text is relied on"
    );
    assert!(
        noisy.image_score > clean.image_score,
        "noisy text shifts reliance to the image"
    );
    assert!(clean.phi_text > noisy.phi_text + 0.3 && noisy.phi_image > noisy.phi_text);
}
