//! Live mode end to end against a real HTTP server with a real model: the digits late-fusion
//! classifier trained in Rust, served as an OpenAI-compatible vision-language endpoint that
//! decodes the PNG data URL and reads the digit word in the text. The live audit must equal the
//! offline audit of the same classifier on the original feature vectors, and survive an
//! interrupted run (journal), 500s, garbage bodies, dropped connections, a server that is down
//! and unreadable images — with clear errors and no lost or wrong prediction.
//!
//! Built with feature `live` (on in a workspace build through aequo-cli's `probe`;
//! `cargo test -p aequo-modality --features live` alone). Needs `digits.csv.gz` from `scripts/fixtures.sh digits` (under `$AEQUO_FIXTURES` or
//! `<repo>/.cache/fixtures`, in `data/`); skipped plainly when absent.

#![cfg(feature = "live")]

use aequo_modality::bootstrap::BootstrapConfig;
use aequo_modality::fusion::{load_digits, train_digits, DigitsFusion, DigitsTraining};
use aequo_modality::live::{
    prepare, run_live, write_predictions, ImageAblation, LiveConfig, VisionChat,
};
use aequo_modality::plan::{
    align, read_predictions, run_plan, score, Manifest, Plan, PlanConfig, Prediction, Request,
    ScoreConfig,
};
use aequo_modality::report::ModalityReport;
use aequo_modality::serve::{Fault, VisionServer};
use aequo_probe::http::{HttpBackend, HttpConfig};
use aequo_probe::journal::Journal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

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

/// A missing fixture skips the test, or fails it under `AEQUO_REQUIRE_FIXTURES` (CI).
fn skip() {
    assert!(
        std::env::var_os("AEQUO_REQUIRE_FIXTURES").is_none(),
        "digits.csv.gz is missing and AEQUO_REQUIRE_FIXTURES is set; run scripts/fixtures.sh digits"
    );
    println!("skipped: digits.csv.gz not present (run scripts/fixtures.sh digits)");
}

struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    model: DigitsFusion,
    plan: Plan,
    /// Offline predictions of the same classifier on the original feature vectors.
    offline: Vec<Prediction>,
}

const PROMPT: &str = "Which digit is shown? Caption: {text}";

fn setup(digits: &Path, items: usize, permutations: usize) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_path_buf();
    let summary = train_digits(
        digits,
        &d,
        &DigitsTraining {
            text_corruption: 0.5,
            train_items: 1200,
            manifest_items: items,
            seed: 3,
        },
    )
    .expect("trained");
    println!("{summary}");
    let model: DigitsFusion =
        serde_json::from_str(&std::fs::read_to_string(d.join("model.json")).expect("model.json"))
            .expect("model json");
    let plan = Plan::build(
        Manifest::read(&d.join("manifest.jsonl")).expect("manifest"),
        PlanConfig {
            permutations,
            conflicts: false,
            seed: 5,
            ..PlanConfig::default()
        },
    )
    .expect("plan");
    // Offline: the classifier on the digits' own feature vectors (no PNG, no HTTP); the text
    // input is the one-hot of the caption's word; a removed input is absent.
    let (x, _) = load_digits(digits).expect("digits");
    let m = model.model.clone();
    let mut runner = |r: &Request| -> aequo_modality::Result<String> {
        let image = match &r.inputs[&aequo_modality::Modality::new("image")] {
            serde_json::Value::Null => None,
            v => {
                let idx: usize = v
                    .as_str()
                    .and_then(|p| p.strip_prefix("img/d"))
                    .and_then(|p| p.strip_suffix(".png"))
                    .and_then(|p| p.parse().ok())
                    .expect("img/d<i>.png");
                Some(x[idx].clone())
            }
        };
        let text = r.inputs[&aequo_modality::Modality::new("text")]
            .as_str()
            .and_then(DigitsFusion::text_features);
        Ok(m.predict(&[image.as_deref(), text.as_deref()]).to_string())
    };
    let offline = run_plan(&plan, &mut runner).expect("offline run");
    Setup {
        _dir: dir,
        dir: d,
        model,
        plan,
        offline,
    }
}

fn client(url: &str, retries: u32) -> HttpBackend {
    let mut c = HttpConfig::new(url, "aequo-digits-fusion");
    c.concurrency = 4;
    c.timeout = Duration::from_secs(10);
    c.max_retries = retries;
    c.backoff_base = Duration::from_millis(5);
    c.backoff_max = Duration::from_millis(50);
    HttpBackend::new(c)
}

fn live_cfg(ablation: ImageAblation) -> LiveConfig {
    LiveConfig {
        prompt: PROMPT.into(),
        image_ablation: ablation,
        ..LiveConfig::default()
    }
}

fn audit(plan: &Plan, preds: &[Prediction], path: &Path) -> ModalityReport {
    write_predictions(path, preds).expect("write");
    let rows = read_predictions(path).expect("read back");
    let answers = align(plan, path, &rows).expect("aligned");
    score(
        plan,
        &answers,
        &ScoreConfig {
            bootstrap: BootstrapConfig {
                replicates: 200,
                seed: 1,
                level: 0.95,
            },
            ..ScoreConfig::default()
        },
    )
    .expect("scored")
}

#[test]
fn live_audit_of_a_served_model_matches_its_offline_audit() {
    let Some(digits) = digits_path() else {
        skip();
        return;
    };
    let s = setup(&digits, 120, 2);
    let server = VisionServer::start(Arc::new(s.model.clone()), "127.0.0.1:0").expect("server");
    let live = prepare(
        &s.plan,
        &live_cfg(ImageAblation::Blank),
        "aequo-digits-fusion",
    )
    .expect("prepared");
    let backend = VisionChat::new(client(&server.url(), 2), live.images.clone());
    let journal = Journal::open(&s.dir.join("journal.jsonl")).expect("journal");
    let out = run_live(&live, &backend, &journal, 4).expect("live run");
    assert_eq!(out.predictions.len(), live.requests.len());
    // Identical requests (e.g. `none`: a blank image and no caption, for every item) are sent
    // once; the server answered exactly the distinct ones.
    assert!(out.stats.distinct < live.requests.len(), "{:?}", out.stats);
    assert_eq!(out.stats.generated, out.stats.distinct);
    assert_eq!(server.answered(), out.stats.distinct);
    // A blank (all-zero) image is the model's removed input, so live equals offline exactly.
    let mismatches: Vec<_> = out
        .predictions
        .iter()
        .zip(&s.offline)
        .filter(|(a, b)| a != b)
        .take(3)
        .collect();
    assert!(mismatches.is_empty(), "live ≠ offline: {mismatches:?}");
    let live_report = audit(&s.plan, &out.predictions, &s.dir.join("live.jsonl"));
    let offline_report = audit(&s.plan, &s.offline, &s.dir.join("offline.jsonl"));
    assert_eq!(live_report, offline_report);
    let image = &live_report.perceptual[0];
    assert_eq!(image.modality.as_str(), "image");
    let ps = &image.score.unnormalised;
    println!(
        "live perceptual score image: {:?} (n = {}), text: {:?}; Shapley {:?}",
        ps.value,
        ps.n,
        live_report.perceptual[1].score.unnormalised.value,
        live_report.shapley.as_ref().map(|s| &s.phi)
    );
    assert_eq!(ps.n, 120);
    assert!(ps.get().expect("defined") > 0.2, "the model uses the image");
    assert!(ps.interval.as_ref().expect("interval").low > 0.0);
    assert!(
        live_report.perceptual[1]
            .score
            .unnormalised
            .get()
            .expect("defined")
            > 0.0
    );
    // A rerun is served entirely from the journal.
    let before = server.answered();
    let again = run_live(&live, &backend, &journal, 2).expect("rerun");
    assert_eq!(again.predictions, out.predictions);
    assert_eq!(
        (again.stats.generated, again.stats.from_journal),
        (0, out.stats.distinct)
    );
    assert_eq!(server.answered(), before);
    // Noise instead of a blank: different requests for removed images, and a noise image is
    // not the model's removed input, so some answers under `drop:image` change.
    let noisy = prepare(
        &s.plan,
        &live_cfg(ImageAblation::Noise),
        "aequo-digits-fusion",
    )
    .expect("prepared");
    let backend = VisionChat::new(client(&server.url(), 2), noisy.images.clone());
    let j2 = Journal::open(&s.dir.join("journal-noise.jsonl")).expect("journal");
    let n = run_live(&noisy, &backend, &j2, 4).expect("noise run");
    let changed = n
        .predictions
        .iter()
        .zip(&out.predictions)
        .filter(|(a, b)| a.condition == "drop:image" && a.prediction != b.prediction)
        .count();
    assert!(changed > 0);
    assert!(n
        .predictions
        .iter()
        .zip(&out.predictions)
        .filter(|(a, _)| a.condition == "full")
        .all(|(a, b)| a == b));
}

#[test]
fn an_interrupted_run_resumes_and_faults_lose_no_prediction() {
    let Some(digits) = digits_path() else {
        skip();
        return;
    };
    let s = setup(&digits, 30, 1);
    let server = VisionServer::start(Arc::new(s.model.clone()), "127.0.0.1:0").expect("server");
    let live = prepare(
        &s.plan,
        &live_cfg(ImageAblation::Blank),
        "aequo-digits-fusion",
    )
    .expect("prepared");
    let path = s.dir.join("journal.jsonl");
    // Seven requests hit a 500 and the client may not retry: the run stops with a clear error,
    // and everything else is kept.
    server.inject(std::iter::repeat_n(Fault::ServerError, 7));
    let journal = Journal::open(&path).expect("journal");
    let backend = VisionChat::new(client(&server.url(), 0), live.images.clone());
    let e = run_live(&live, &backend, &journal, 3).expect_err("500s without retries");
    let msg = e.to_string();
    assert!(msg.contains("7 of") && msg.contains("rerun"), "{msg}");
    assert!(msg.contains("500"), "{msg}");
    let distinct = journal.len() + 7;
    drop(journal);
    // A crash mid-append leaves a torn last line; opening the journal cuts it off.
    let mut text = std::fs::read_to_string(&path).expect("journal text");
    text.push_str("{\"key\":\"0123");
    std::fs::write(&path, text).expect("tear");
    let journal = Journal::open(&path).expect("reopened");
    assert!(journal.repaired_bytes > 0);
    let answered = server.answered();
    // Resume through garbage bodies, a dropped connection and more 500s, with retries.
    server.inject([
        Fault::Garbage,
        Fault::Drop,
        Fault::ServerError,
        Fault::Garbage,
    ]);
    let backend = VisionChat::new(client(&server.url(), 5), live.images.clone());
    let out = run_live(&live, &backend, &journal, 2).expect("resumed");
    assert_eq!((out.stats.generated, out.stats.distinct), (7, distinct));
    assert_eq!(server.answered(), answered + 7);
    assert!(backend.http().counters().retries >= 4);
    assert_eq!(out.predictions, s.offline, "no prediction lost or changed");
    // A server slower than the client's timeout: the attempt is abandoned and retried.
    let slow = Journal::open(&s.dir.join("slow.jsonl")).expect("journal");
    server.inject([Fault::Delay(Duration::from_millis(800))]);
    let mut c = HttpConfig::new(server.url(), "aequo-digits-fusion");
    c.timeout = Duration::from_millis(300);
    c.max_retries = 3;
    c.backoff_base = Duration::from_millis(5);
    let backend = VisionChat::new(HttpBackend::new(c), live.images.clone());
    let out = run_live(&live, &backend, &slow, 1).expect("timeout retried");
    assert!(backend.http().counters().retries >= 1);
    assert_eq!(out.predictions, s.offline);
    // Garbage every time: the client gives up with the cause, never invents an answer.
    let fresh = Journal::open(&s.dir.join("j3.jsonl")).expect("journal");
    server.inject(std::iter::repeat_n(Fault::Garbage, 1000));
    let backend = VisionChat::new(client(&server.url(), 1), live.images.clone());
    let e = run_live(&live, &backend, &fresh, 2).expect_err("garbage");
    assert!(e.to_string().contains("malformed response"), "{e}");
}

#[test]
fn bad_endpoints_and_bad_images_are_clear_errors() {
    let Some(digits) = digits_path() else {
        skip();
        return;
    };
    let s = setup(&digits, 6, 1);
    let live = prepare(&s.plan, &live_cfg(ImageAblation::Blank), "m").expect("prepared");
    // Nothing listens on a port that was just freed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let backend = VisionChat::new(
        client(&format!("http://127.0.0.1:{port}/v1"), 1),
        live.images.clone(),
    );
    let j = Journal::open(&s.dir.join("down.jsonl")).expect("journal");
    let e = run_live(&live, &backend, &j, 2).expect_err("down");
    assert!(e.to_string().contains("gave up"), "{e}");
    assert!(j.is_empty());
    // An image file that is not a PNG: a blank of its size cannot be made (error before any
    // request); with omitted images it is sent, and the server's 400 comes back verbatim.
    let manifest = std::fs::read_to_string(s.dir.join("manifest.jsonl")).expect("manifest");
    let first_img = s
        .dir
        .join("img")
        .join(format!("{}.png", s.plan.manifest.items[0].id.0.as_str()));
    std::fs::write(&first_img, b"GIF89a not a png").expect("overwrite");
    let e = prepare(&s.plan, &live_cfg(ImageAblation::Blank), "m").expect_err("bad png");
    assert!(e.to_string().contains("not a readable PNG"), "{e}");
    let omit = prepare(&s.plan, &live_cfg(ImageAblation::Omit), "m").expect("omit needs no decode");
    let server = VisionServer::start(Arc::new(s.model.clone()), "127.0.0.1:0").expect("server");
    let backend = VisionChat::new(client(&server.url(), 1), omit.images.clone());
    let j = Journal::open(&s.dir.join("bad.jsonl")).expect("journal");
    let e = run_live(&omit, &backend, &j, 2).expect_err("400");
    assert!(
        e.to_string().contains("400") && e.to_string().contains("PNG"),
        "{e}"
    );
    // A missing image file and a broken data URL are reported with the item before sending.
    let first_id = s.plan.manifest.items[0].id.0.clone();
    for (bad, expect) in [
        ("img/missing.png", "missing.png"),
        ("data:image/png;base64,@@", "invalid base64"),
        ("img/x.bmp", "unknown image type"),
    ] {
        let edited = manifest.replacen(&format!("img/{first_id}.png"), bad, 1);
        let mp = s.dir.join("edited.jsonl");
        std::fs::write(&mp, edited).expect("write");
        let plan = Plan::build(
            Manifest::read(&mp).expect("manifest"),
            s.plan.config.clone(),
        )
        .expect("plan");
        let e = prepare(&plan, &live_cfg(ImageAblation::Omit), "m").expect_err(bad);
        assert!(e.to_string().contains(expect), "{bad}: {e}");
    }
    // A prompt without {text} would silently drop the text modality.
    let cfg = LiveConfig {
        prompt: "Which digit?".into(),
        ..LiveConfig::default()
    };
    assert!(prepare(&s.plan, &cfg, "m").is_err());
}

#[test]
fn cli_train_serve_run_then_score() {
    let Some(digits) = digits_path() else {
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
    let run = |args: &[&str]| {
        let mut v = vec!["x"];
        v.extend_from_slice(args);
        aequo_modality::cli::run(Cli::parse_from(v).cmd)
    };
    run(&[
        "train-digits",
        digits.to_str().expect("utf-8"),
        "--out",
        &d,
        "--manifest-items",
        "40",
    ])
    .expect("train");
    let model: DigitsFusion = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("model.json")).expect("model"),
    )
    .expect("json");
    let server = VisionServer::start(Arc::new(model), "127.0.0.1:0").expect("server");
    let url = server.url();
    let manifest = format!("{d}/manifest.jsonl");
    let plan_opts = ["--permutations", "2", "--no-conflicts"];
    let mut args = vec![
        "run",
        &manifest,
        "--endpoint",
        &url,
        "--model",
        "aequo-digits-fusion",
        "--journal",
    ];
    let journal = format!("{d}/journal.jsonl");
    args.extend([journal.as_str(), "--out", &d, "--prompt", PROMPT]);
    args.extend(plan_opts);
    run(&args).expect("live run");
    let preds = format!("{d}/predictions.jsonl");
    let mut args = vec![
        "score",
        &manifest,
        &preds,
        "--out",
        &d,
        "--replicates",
        "50",
    ];
    args.extend(plan_opts);
    run(&args).expect("score");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.json")).expect("report"),
    )
    .expect("json");
    let ps = &report["perceptual"][0];
    assert_eq!(ps["modality"], "image");
    assert!(
        ps["score"]["unnormalised"]["value"]
            .as_f64()
            .expect("number")
            > 0.0
    );
    assert_eq!(ps["score"]["unnormalised"]["n"], 40);
}
