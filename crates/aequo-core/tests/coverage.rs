//! Coverage of aequo's bootstrap intervals on simulated data with known truth.
//!
//! Two groups with known confusion probabilities; each simulated data set draws `n` rows per
//! group, is audited with the Poisson bootstrap, and we record whether the 95% percentile
//! intervals of the selection-rate difference, the TPR ratio and the equalized-odds worst case
//! (all `between_groups`) contain the true population value.
//!
//! * `coverage_quick` runs in the test suite (debug): 200 data sets × 200 replicates, and checks
//!   coverage is in a band wide enough for that Monte-Carlo size (±4.5 binomial sd around 95%).
//! * `coverage_study` is the study reported in BENCHMARKS.md (1000 data sets × 1000 replicates
//!   per scenario): `cargo test --release -p aequo-core --test coverage -- --ignored --nocapture`.

use aequo_core::audit::{audit, AuditOptions, InputSummary};
use aequo_core::bootstrap::BootstrapOptions;
use aequo_core::counts::TensorBuilder;
use aequo_core::{Confusion, Metric};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A group's population: base rate, TPR, FPR.
#[derive(Clone, Copy)]
struct Pop {
    base: f64,
    tpr: f64,
    fpr: f64,
}

impl Pop {
    fn confusion(self) -> Confusion {
        Confusion {
            tp: self.base * self.tpr,
            fn_: self.base * (1.0 - self.tpr),
            fp: (1.0 - self.base) * self.fpr,
            tn: (1.0 - self.base) * (1.0 - self.fpr),
        }
    }
}

struct Scenario {
    name: &'static str,
    groups: [(Pop, usize); 2],
}

fn truths(s: &Scenario) -> [f64; 3] {
    let v = |m: Metric, i: usize| m.evaluate(&s.groups[i].0.confusion(), 0).get().unwrap();
    let sr = (v(Metric::SelectionRate, 0) - v(Metric::SelectionRate, 1)).abs();
    let (t0, t1) = (
        v(Metric::TruePositiveRate, 0),
        v(Metric::TruePositiveRate, 1),
    );
    let tpr_ratio = t0.min(t1) / t0.max(t1);
    let eo = (t0 - t1)
        .abs()
        .max((v(Metric::FalsePositiveRate, 0) - v(Metric::FalsePositiveRate, 1)).abs());
    [sr, tpr_ratio, eo]
}

/// Coverage of [SR difference, TPR ratio, EO worst case] over `datasets` simulated data sets.
fn coverage(s: &Scenario, datasets: usize, replicates: usize, seed: u64) -> [f64; 3] {
    let truth = truths(s);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut hits = [0usize; 3];
    for d in 0..datasets {
        let mut b = TensorBuilder::new(vec!["g".into()], false, None).unwrap();
        for (gi, (pop, n)) in s.groups.iter().enumerate() {
            let code = [b.code(0, Some(if gi == 0 { "a" } else { "b" })).unwrap()];
            for _ in 0..*n {
                let y = rng.random::<f64>() < pop.base;
                let p = rng.random::<f64>() < if y { pop.tpr } else { pop.fpr };
                b.add(&code, y, p, None);
            }
        }
        let t = b.finish().unwrap();
        let opts = AuditOptions {
            metrics: vec![
                Metric::SelectionRate,
                Metric::TruePositiveRate,
                Metric::FalsePositiveRate,
            ],
            bootstrap: Some(BootstrapOptions {
                replicates,
                seed: seed ^ d as u64,
                threads: 2,
                ..BootstrapOptions::default()
            }),
            tests: false,
            ..AuditOptions::default()
        };
        let r = audit(&t, InputSummary::default(), &opts).unwrap();
        let g = &r.groupings[0];
        let disp = |m: Metric| g.disparities.iter().find(|x| x.metric == m).unwrap();
        let eo = r
            .criteria
            .iter()
            .find(|c| {
                c.name == "equalized_odds_difference"
                    && c.agg.as_deref() == Some("worst_case")
                    && c.method == aequo_core::disparity::Method::BetweenGroups
            })
            .unwrap();
        let cis = [
            disp(Metric::SelectionRate).between_groups.difference.ci,
            disp(Metric::TruePositiveRate).between_groups.ratio.ci,
            eo.ci,
        ];
        for k in 0..3 {
            if let Some(ci) = cis[k] {
                if ci.lower <= truth[k] && truth[k] <= ci.upper {
                    hits[k] += 1;
                }
            }
        }
    }
    hits.map(|h| h as f64 / datasets as f64)
}

/// Group a: selection rate 0.33, TPR 0.75, FPR 0.15; group b: 0.425, 0.55, 0.30. True gaps:
/// selection rate 0.095, TPR ratio 0.733, equalized odds (worst case) 0.20. The last scenario
/// has (nearly) no selection-rate gap (0.015), where a max − min statistic is biased away from
/// 0 and its percentile interval is not reliable; it is reported, not asserted.
fn scenarios() -> Vec<Scenario> {
    let pop = |base, tpr, fpr| Pop { base, tpr, fpr };
    let (a, b) = (pop(0.30, 0.75, 0.15), pop(0.50, 0.55, 0.30));
    let (c, d) = (pop(0.40, 0.70, 0.20), pop(0.50, 0.55, 0.28));
    let s = |name, g: [(Pop, usize); 2]| Scenario { name, groups: g };
    vec![
        s("100 + 100 rows", [(a, 100), (b, 100)]),
        s("200 + 800 rows", [(a, 200), (b, 800)]),
        s("1000 + 1000 rows", [(a, 1000), (b, 1000)]),
        s(
            "near-zero selection-rate gap, 1000 + 1000 rows",
            [(c, 1000), (d, 1000)],
        ),
        s("no gap at all, 100 + 100 rows", [(a, 100), (a, 100)]),
        // Equal TPRs, FPRs 1.5 standard errors apart (one gap 0, the other 1–2 standard
        // errors): where the worst case's interval was most conservative in the normal model
        // with monotone lower ends alone (97.3% exactly; the EO row read 97.0%, seed 7: 96.7%).
        // folded::worst_case_interval's corner (an intersection–union upper end that spends α
        // where one gap is 0) brings the normal model to 95.0–95.9% there; the EO row reads
        // 94.8% (seed 7: 95.2%).
        s(
            "FPR gap only (0.10), 100 + 100 rows",
            [(a, 100), (pop(0.30, 0.75, 0.25), 100)],
        ),
    ]
}

#[test]
fn coverage_quick() {
    // 200 data sets: a binomial sd of sqrt(.95 × .05 / 200) = 1.5 points; allow 4.5 sd.
    let s = &scenarios()[1];
    let c = coverage(s, 200, 200, 11);
    for (k, name) in ["SR difference", "TPR ratio", "EO worst case"]
        .iter()
        .enumerate()
    {
        assert!(
            (0.95 - c[k]).abs() < 4.5 * (0.95f64 * 0.05 / 200.0).sqrt(),
            "{name}: coverage {}",
            c[k]
        );
    }
}

#[test]
#[ignore = "the full coverage study; run in release and read its output"]
fn coverage_study() {
    println!("| scenario | SR difference | TPR ratio | EO worst case |");
    println!("|---|---|---|---|");
    // AEQUO_COVERAGE_SEED and AEQUO_COVERAGE_DATASETS vary the study (default 2026 and 4000).
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (seed, datasets) = (
        env("AEQUO_COVERAGE_SEED", 2026),
        env("AEQUO_COVERAGE_DATASETS", 4000) as usize,
    );
    for s in scenarios() {
        let t = std::time::Instant::now();
        let c = coverage(&s, datasets, 1000, seed);
        println!(
            "| {} | {:.1}% | {:.1}% | {:.1}% |   ({:.1} s; truth {:?})",
            s.name,
            100.0 * c[0],
            100.0 * c[1],
            100.0 * c[2],
            t.elapsed().as_secs_f64(),
            truths(&s)
        );
    }
}
