//! Regression group metrics (`aequo_core::regression`): hand-computed cases, laws (merging,
//! the binning bounds of KS and W1 against brute force), and reference checks against
//! scikit-learn and scipy (`oracle/score_reference.py`).

use std::path::PathBuf;

use aequo_core::regression::{
    bounded_group_loss, continuous_parity, distribution_distance, Loss, RegressionMetric,
    RegressionStats,
};
use aequo_core::score::{CellStats, ScoreBins};
use aequo_core::{Undefined, Value};
use proptest::prelude::*;

fn stats(bins: &ScoreBins, rows: &[(f64, f64, f64)]) -> RegressionStats {
    let mut s = RegressionStats::new(bins);
    for &(y, p, w) in rows {
        s.add(bins, y, p, w).unwrap();
    }
    s
}

fn one_bin() -> ScoreBins {
    ScoreBins::new(vec![]).unwrap()
}

#[test]
fn group_metrics_by_hand() {
    // (y, ŷ, w): errors −1, 0, 2 with weights 1, 1, 2; W = 4.
    let s = stats(
        &one_bin(),
        &[(1.0, 2.0, 1.0), (3.0, 3.0, 1.0), (2.0, 0.0, 2.0)],
    );
    let v = |m: RegressionMetric| m.evaluate(&s).get().unwrap();
    assert_eq!(v(RegressionMetric::Count), 3.0);
    assert_eq!(v(RegressionMetric::MeanLabel), 2.0);
    assert_eq!(v(RegressionMetric::MeanPrediction), 1.25);
    assert_eq!(v(RegressionMetric::MeanError), -0.75);
    assert_eq!(v(RegressionMetric::MeanAbsoluteError), 1.25);
    assert_eq!(v(RegressionMetric::MeanSquaredError), 2.25);
    assert_eq!(v(RegressionMetric::RootMeanSquaredError), 1.5);
}

#[test]
fn empty_groups_and_zero_weights_are_undefined() {
    let empty = RegressionStats::new(&one_bin());
    assert_eq!(
        RegressionMetric::Count.evaluate(&empty),
        Value::Defined(0.0)
    );
    for m in RegressionMetric::ALL.into_iter().skip(1) {
        assert_eq!(
            m.evaluate(&empty),
            Value::Undefined(Undefined::EmptyGroup),
            "{m:?}"
        );
    }
    let zero_weight = stats(&one_bin(), &[(1.0, 2.0, 0.0)]);
    assert!(matches!(
        RegressionMetric::MeanAbsoluteError.evaluate(&zero_weight),
        Value::Undefined(Undefined::ZeroDenominator { .. })
    ));
    let bins = one_bin();
    assert_eq!(
        distribution_distance(&bins, &empty, &stats(&bins, &[(0.0, 1.0, 1.0)])),
        Err(Undefined::EmptyGroup)
    );
    let mut s = RegressionStats::new(&bins);
    assert!(s.add(&bins, f64::NAN, 1.0, 1.0).is_err());
    assert!(s.add(&bins, 1.0, f64::INFINITY, 1.0).is_err());
    assert!(s.add(&bins, 1.0, 1.0, -2.0).is_err());
}

#[test]
fn bounded_group_loss_by_hand() {
    let bins = one_bin();
    let a = stats(&bins, &[(1.0, 2.0, 1.0), (3.0, 3.0, 1.0), (2.0, 0.0, 2.0)]);
    let b = stats(&bins, &[(1.0, 1.5, 1.0), (0.0, -0.5, 1.0)]);
    let empty = RegressionStats::new(&bins);
    let groups = [a, empty, b];
    let abs = bounded_group_loss(&groups, Loss::Absolute);
    assert_eq!(abs.value, Value::Defined(1.25));
    assert_eq!(abs.worst, Some(0));
    assert_eq!(abs.excluded, vec![1]);
    let sq = bounded_group_loss(&groups, Loss::Squared);
    assert_eq!(sq.value, Value::Defined(2.25));
    assert_eq!(sq.by_group[2], Value::Defined(0.25));
    let none = bounded_group_loss(&[RegressionStats::new(&bins)], Loss::Absolute);
    assert_eq!(
        none.value,
        Value::Undefined(Undefined::TooFewGroups { defined: 0 })
    );
}

#[test]
fn distribution_distances_by_hand() {
    // a = {0, 1}, b = {1, 1}; one value per bin, so the estimates are exact:
    // F_a − F_b = ½ on [0, 1), 0 elsewhere: KS = ½, W1 = ½.
    let bins = ScoreBins::new(vec![0.5, 1.5]).unwrap();
    let a = stats(&bins, &[(0.0, 0.0, 1.0), (0.0, 1.0, 1.0)]);
    let b = stats(&bins, &[(0.0, 1.0, 1.0), (0.0, 1.0, 1.0)]);
    let d = distribution_distance(&bins, &a, &b).unwrap();
    assert_eq!(d.kolmogorov_smirnov.value, 0.5);
    assert_eq!(d.wasserstein.value, 0.5);
    assert!(d.kolmogorov_smirnov.lower <= 0.5 && 0.5 <= d.kolmogorov_smirnov.upper);
    assert!(d.wasserstein.lower <= 0.5 && 0.5 <= d.wasserstein.upper);
    // With a single bin nothing is known inside it: the bounds widen, the truth stays inside.
    let wide = one_bin();
    let (a, b) = (
        stats(&wide, &[(0.0, 0.0, 1.0), (0.0, 1.0, 1.0)]),
        stats(&wide, &[(0.0, 1.0, 1.0), (0.0, 1.0, 1.0)]),
    );
    let d = distribution_distance(&wide, &a, &b).unwrap();
    assert_eq!(d.kolmogorov_smirnov.lower, 0.0);
    assert_eq!(d.kolmogorov_smirnov.upper, 1.0);
    assert!(d.wasserstein.lower <= 0.5 && 0.5 <= d.wasserstein.upper);
    assert_eq!(d.wasserstein.upper, 1.0);
    assert!(d.wasserstein.binning_error() <= 1.0);
    // Identical groups are at distance 0.
    let same = distribution_distance(&wide, &a, &a).unwrap();
    assert_eq!(same.kolmogorov_smirnov.value, 0.0);
    assert_eq!(same.wasserstein.value, 0.0);
}

/// Regression: both groups' mass at one value in a bin, but Σ w ŷ / Σ w rounding 3 × 0.19 / 3
/// to 0.18999999999999997, made the estimate step one group before the other and report
/// KS = ¾ instead of ¼.
#[test]
fn equal_values_whose_means_round_apart_step_together() {
    let bins = ScoreBins::new((0..=400).map(|i| -1.005 + f64::from(i) / 100.0).collect()).unwrap();
    let a = stats(&bins, &[(0.0, 0.19, 1.0)]);
    let b = stats(&bins, &[(0.0, 0.19, 3.0), (0.0, 0.2, 1.0)]);
    let d = distribution_distance(&bins, &a, &b).unwrap();
    assert!((d.kolmogorov_smirnov.value - 0.25).abs() < 1e-12, "{d:?}");
    assert!((d.wasserstein.value - 0.25 * 0.01).abs() < 1e-12, "{d:?}");
}

// ------------------------------------------------------------------------------- laws ---

/// Exact weighted KS and W1 between two samples (value, weight).
fn brute(a: &[(f64, f64)], b: &[(f64, f64)]) -> (f64, f64) {
    let mut xs: Vec<f64> = a.iter().chain(b).map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let cdf = |s: &[(f64, f64)], x: f64| {
        let w: f64 = s.iter().map(|p| p.1).sum();
        s.iter().filter(|p| p.0 <= x).map(|p| p.1).sum::<f64>() / w
    };
    let mut ks = 0.0f64;
    let mut w1 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        let d = (cdf(a, x) - cdf(b, x)).abs();
        ks = ks.max(d);
        if let Some(&next) = xs.get(i + 1) {
            w1 += (next - x) * d;
        }
    }
    (ks, w1)
}

fn arb_sample() -> impl Strategy<Value = Vec<(i16, u8)>> {
    // ŷ in hundredths of [−1, 3], weight 1–3
    prop::collection::vec((-100i16..300, 1u8..4), 1..25)
}

fn to_rows(s: &[(i16, u8)]) -> Vec<(f64, f64, f64)> {
    s.iter()
        .map(|&(p, w)| (0.0, f64::from(p) / 100.0, f64::from(w)))
        .collect()
}

proptest! {
    #[test]
    fn merge_is_building_from_concatenated_rows(
        r1 in prop::collection::vec((-5i8..5, -5i8..5, 1u8..4), 0..30),
        r2 in prop::collection::vec((-5i8..5, -5i8..5, 1u8..4), 0..30),
    ) {
        let bins = ScoreBins::new(vec![-2.0, 0.0, 2.0]).unwrap();
        let rows = |r: &[(i8, i8, u8)]| -> Vec<(f64, f64, f64)> {
            r.iter().map(|&(y, p, w)| (f64::from(y), f64::from(p), f64::from(w))).collect()
        };
        let all: Vec<_> = r1.iter().chain(&r2).copied().collect();
        let mut m = stats(&bins, &rows(&r1));
        m.merge(&stats(&bins, &rows(&r2)));
        // Integer-valued sums are exact, so equality is exact.
        prop_assert_eq!(&m, &stats(&bins, &rows(&all)));
        let mut n = stats(&bins, &rows(&r2));
        n.merge(&stats(&bins, &rows(&r1)));
        prop_assert_eq!(m, n);
    }

    #[test]
    fn ks_and_w1_bounds_contain_the_exact_values(
        a in arb_sample(), b in arb_sample(), k in 1usize..30,
    ) {
        let bins = ScoreBins::new((0..k).map(|i| -1.0 + 4.0 * i as f64 / k as f64).collect())
            .unwrap();
        let (ra, rb) = (to_rows(&a), to_rows(&b));
        let d = distribution_distance(&bins, &stats(&bins, &ra), &stats(&bins, &rb)).unwrap();
        let pa: Vec<(f64, f64)> = ra.iter().map(|r| (r.1, r.2)).collect();
        let pb: Vec<(f64, f64)> = rb.iter().map(|r| (r.1, r.2)).collect();
        let (ks, w1) = brute(&pa, &pb);
        let eps = 1e-9;
        let (k_, w_) = (d.kolmogorov_smirnov, d.wasserstein);
        prop_assert!(k_.lower - eps <= ks && ks <= k_.upper + eps, "ks {} not in {:?}", ks, k_);
        prop_assert!(w_.lower - eps <= w1 && w1 <= w_.upper + eps, "w1 {} not in {:?}", w1, w_);
        prop_assert!(k_.lower <= k_.value && k_.value <= k_.upper);
        prop_assert!(w_.lower <= w_.value && w_.value <= w_.upper);
    }

    #[test]
    fn one_value_per_bin_makes_the_estimates_exact(a in arb_sample(), b in arb_sample()) {
        // Edges between every hundredth: each bin holds at most one distinct value.
        let bins = ScoreBins::new((0..=400).map(|i| -1.005 + f64::from(i) / 100.0).collect())
            .unwrap();
        let (ra, rb) = (to_rows(&a), to_rows(&b));
        let d = distribution_distance(&bins, &stats(&bins, &ra), &stats(&bins, &rb)).unwrap();
        let pa: Vec<(f64, f64)> = ra.iter().map(|r| (r.1, r.2)).collect();
        let pb: Vec<(f64, f64)> = rb.iter().map(|r| (r.1, r.2)).collect();
        let (ks, w1) = brute(&pa, &pb);
        prop_assert!((d.kolmogorov_smirnov.value - ks).abs() < 1e-9);
        prop_assert!((d.wasserstein.value - w1).abs() < 1e-9);
    }
}

// ---------------------------------------------------------------------------- oracle ---

fn reference() -> Option<serde_json::Value> {
    let root = std::env::var_os("AEQUO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/fixtures"));
    let path = root.join("oracle/score_reference.json");
    if !path.exists() {
        if std::env::var("AEQUO_REQUIRE_FIXTURES").as_deref() == Ok("1") {
            panic!(
                "regression vs scikit-learn/scipy: {} is missing and AEQUO_REQUIRE_FIXTURES=1; run scripts/oracle.sh",
                path.display()
            );
        }
        eprintln!(
            "skipped: regression vs scikit-learn/scipy: {} not present (run scripts/oracle.sh)",
            path.display()
        );
        return None;
    }
    Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn group_errors_and_distances_match_scikit_learn_and_scipy() {
    let Some(r) = reference() else {
        return;
    };
    let r = &r["regression"];
    let group: Vec<&str> = r["group"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let (y, yhat, w, ydisc) = (
        floats(&r["y"]),
        floats(&r["yhat"]),
        floats(&r["w"]),
        floats(&r["ydisc"]),
    );
    // 200 bins of width .05 over [−2, 8) for the continuous prediction; the discrete one
    // (integers 0–6) gets edges at the half-integers, one value per bin.
    let fine = ScoreBins::new((0..=200).map(|i| -2.0 + f64::from(i) * 0.05).collect()).unwrap();
    let half = ScoreBins::new((0..7).map(|i| f64::from(i) + 0.5).collect()).unwrap();
    let names = ["a", "b", "c"];
    let build = |bins: &ScoreBins, pred: &[f64], weighted: bool| -> Vec<RegressionStats> {
        names
            .iter()
            .map(|g| {
                let mut s = RegressionStats::new(bins);
                for i in (0..y.len()).filter(|&i| group[i] == *g) {
                    s.add(bins, y[i], pred[i], if weighted { w[i] } else { 1.0 })
                        .unwrap();
                }
                s
            })
            .collect()
    };
    let plain = build(&fine, &yhat, false);
    let weighted = build(&fine, &yhat, true);
    let disc = build(&half, &ydisc, false);
    let parity = continuous_parity(&fine, &plain);
    let parity_w = continuous_parity(&fine, &weighted);
    let parity_disc = continuous_parity(&half, &disc);
    let (mut worst_err, mut worst_exact, mut worst_est, mut widest) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (i, rec) in r["groups"].as_array().unwrap().iter().enumerate() {
        assert_eq!(rec["group"].as_str().unwrap(), names[i]);
        let want = |k: &str| rec[k].as_f64().unwrap();
        let mut check = |got: Value, k: &str| {
            let d = (got.get().unwrap() - want(k)).abs();
            worst_err = worst_err.max(d);
            assert!(d < 1e-12, "{} {k}: {got} vs {}", names[i], want(k));
        };
        check(
            RegressionMetric::MeanAbsoluteError.evaluate(&plain[i]),
            "mae",
        );
        check(
            RegressionMetric::MeanSquaredError.evaluate(&plain[i]),
            "mse",
        );
        check(
            RegressionMetric::MeanAbsoluteError.evaluate(&weighted[i]),
            "mae_w",
        );
        check(
            RegressionMetric::MeanSquaredError.evaluate(&weighted[i]),
            "mse_w",
        );
        check(RegressionMetric::MeanLabel.evaluate(&plain[i]), "mean_y");
        check(
            RegressionMetric::MeanPrediction.evaluate(&plain[i]),
            "mean_yhat",
        );
        assert_eq!(plain[i].rows, rec["n"].as_u64().unwrap());
        // Continuous prediction: scipy's exact value lies within the stated bounds.
        let rest = parity[i].to_rest.get().unwrap();
        let all = parity[i].to_overall.get().unwrap();
        let rest_w = parity_w[i].to_rest.get().unwrap();
        for (b, k) in [
            (rest.kolmogorov_smirnov, "ks_rest"),
            (rest.wasserstein, "w1_rest"),
            (all.kolmogorov_smirnov, "ks_all"),
            (all.wasserstein, "w1_all"),
            (rest_w.wasserstein, "w1_rest_w"),
        ] {
            let x = want(k);
            assert!(
                b.lower - 1e-12 <= x && x <= b.upper + 1e-12,
                "{} {k}: scipy {x} outside [{}, {}]",
                names[i],
                b.lower,
                b.upper
            );
            worst_est = worst_est.max((b.value - x).abs());
            widest = widest.max(b.binning_error());
        }
        // Discrete prediction with one value per bin: exact.
        let d = parity_disc[i].to_rest.get().unwrap();
        for (got, k) in [
            (d.kolmogorov_smirnov.value, "disc_ks_rest"),
            (d.wasserstein.value, "disc_w1_rest"),
        ] {
            let diff = (got - want(k)).abs();
            worst_exact = worst_exact.max(diff);
            assert!(diff < 1e-12, "{} {k}: {got} vs {}", names[i], want(k));
        }
    }
    let json = serde_json::to_string(&parity[0]).unwrap();
    assert!(
        json.starts_with(r#"{"to_rest":{"kolmogorov_smirnov":{"value":"#),
        "{json}"
    );
    let none = continuous_parity(&fine, &[plain[0].clone(), RegressionStats::new(&fine)]);
    assert_eq!(
        serde_json::to_string(&none[0].to_rest).unwrap(),
        r#"{"undefined":{"reason":"empty_group"}}"#
    );
    let bgl = bounded_group_loss(&plain, Loss::Absolute);
    let max_mae = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["mae"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    assert!((bgl.value.get().unwrap() - max_mae).abs() < 1e-12);
    eprintln!(
        "regression: max |aequo − sklearn| (MAE, MSE, means) = {worst_err:e}; \
         KS/W1 one value per bin max diff = {worst_exact:e}; 200-bin estimates max |est − scipy| \
         = {worst_est:e} with stated binning error up to {widest:e}"
    );
}
