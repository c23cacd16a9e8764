//! Worst-subgroup discovery (`aequo_core::subgroup`): hand-computed cases, a planted worst
//! slice, exactness of pruning against an exhaustive walk and an independent oracle built on
//! `CountTensor::marginalize`, and edge cases.
//!
//! Expected numbers in `hand_computed_two_attributes` come from a short Python script using only
//! `math.erfc` and the textbook formulas (pooled z, Wilson, Newcombe method 10, BH).

use aequo_core::counts::{Attribute, CountTensor, Level, TensorBuilder};
use aequo_core::subgroup::{
    discover, MinSupport, Redundancy, SkipReason, SubgroupError, SubgroupOptions, SubgroupReport,
    TestMethod, Worse,
};
use aequo_core::Metric;
use proptest::prelude::*;

fn lv(s: &str) -> Level {
    Level::Value(s.to_owned())
}

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b}");
}

/// A tensor from `(levels per attribute, selected, not selected)` rows; labels equal
/// predictions (selection rate is all these tests need unless they say otherwise).
fn selection_tensor(names: &[&str], groups: &[(&[&str], u64, u64)]) -> CountTensor {
    let mut b = TensorBuilder::new(names.iter().map(|s| s.to_string()).collect(), false, None)
        .expect("distinct names");
    for (levels, selected, rejected) in groups {
        let codes: Vec<u32> = levels
            .iter()
            .enumerate()
            .map(|(i, l)| b.code(i, (!l.is_empty()).then_some(*l)).unwrap())
            .collect();
        for _ in 0..*selected {
            b.add(&codes, true, true, None);
        }
        for _ in 0..*rejected {
            b.add(&codes, false, false, None);
        }
    }
    b.finish().unwrap()
}

/// sex × race, selection rates F∧A 10/40, F∧B 12/60, M∧A 30/50, M∧B 28/50.
fn two_by_two() -> CountTensor {
    selection_tensor(
        &["sex", "race"],
        &[
            (&["F", "A"], 10, 30),
            (&["F", "B"], 12, 48),
            (&["M", "A"], 30, 20),
            (&["M", "B"], 28, 22),
        ],
    )
}

fn names(r: &SubgroupReport, i: usize) -> Vec<(String, Option<String>)> {
    r.slices[i]
        .conditions
        .iter()
        .map(|c| (c.attribute.0.clone(), c.level.as_str().map(str::to_owned)))
        .collect()
}

fn cond(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(a, l)| (a.to_string(), Some(l.to_string())))
        .collect()
}

mod hand_computed {
    use super::*;

    #[test]
    fn two_attributes() {
        let t = two_by_two();
        let opts = SubgroupOptions {
            min_support: MinSupport::Rows(30),
            ..SubgroupOptions::default()
        };
        let r = discover(&t, &opts).unwrap();
        assert_eq!(r.total_rows, 200);
        assert_eq!(r.overall.get(), Some(0.4));
        assert_eq!(r.settings.worse, Worse::Lower);
        assert_eq!(r.slices_tested, 8); // 2 + 2 + 4, no missing levels used
        assert_eq!(r.significant, 6);
        assert_eq!(r.significant_worse, 3);
        assert_eq!(r.redundant, 0);
        assert_eq!(r.slices.len(), 3);
        assert_eq!(names(&r, 0), cond(&[("sex", "F")]));
        assert_eq!(names(&r, 1), cond(&[("sex", "F"), ("race", "B")]));
        assert_eq!(names(&r, 2), cond(&[("sex", "F"), ("race", "A")]));

        let f = &r.slices[0];
        assert_eq!((f.rows, f.complement_rows), (100, 100));
        close(f.value, 0.22, 1e-15);
        close(f.complement_value, 0.58, 1e-15);
        close(f.effect, -0.36, 1e-15);
        close(f.z, -5.196_152_422_706_632, 1e-12);
        assert_eq!(f.test, TestMethod::TwoProportionZ);
        close(f.p / 2.034_554_614_544_437e-7, 1.0, 1e-6);
        close(f.p_bh / 8.138_218_458_177_748e-7, 1.0, 1e-6);
        close(f.effect_ci.lower, -0.475_607_875_885_533_7, 1e-9);
        close(f.effect_ci.upper, -0.226_514_339_502_518_3, 1e-9);
        close(f.cohen_h, -0.755_076_452_952_972_7, 1e-12);

        let fb = &r.slices[1];
        close(fb.value, 0.2, 1e-15);
        close(fb.complement_value, 68.0 / 140.0, 1e-15);
        close(fb.z, -3.779_644_730_092_272, 1e-12);
        close(fb.p / 1.570_522_842_307_516_5e-4, 1.0, 1e-6);
        close(fb.p_bh / 4.188_060_912_820_044e-4, 1.0, 1e-6);
        close(fb.effect_ci.lower, -0.401_520_357_939_479_5, 1e-9);
        close(fb.effect_ci.upper, -0.142_570_431_910_448, 1e-9);

        let fa = &r.slices[2];
        close(fa.p / 0.030_382_821_976_577_51, 1.0, 1e-6);
        close(fa.p_bh / 0.040_510_429_302_103_35, 1.0, 1e-6);
        // Wilson interval of the slice's own rate (10 of 40).
        let w = aequo_core::interval::wilson(10.0, 40.0, 0.95).unwrap();
        assert_eq!(fa.ci, w);
    }

    #[test]
    fn higher_is_worse_mirrors_the_ranking() {
        let opts = SubgroupOptions {
            min_support: MinSupport::Rows(30),
            worse: Some(Worse::Higher),
            ..SubgroupOptions::default()
        };
        let r = discover(&two_by_two(), &opts).unwrap();
        assert_eq!(names(&r, 0), cond(&[("sex", "M")]));
        assert_eq!(names(&r, 1), cond(&[("sex", "M"), ("race", "A")]));
        assert_eq!(names(&r, 2), cond(&[("sex", "M"), ("race", "B")]));
        let either = SubgroupOptions {
            worse: Some(Worse::Either),
            ..opts
        };
        let r = discover(&two_by_two(), &either).unwrap();
        assert_eq!(r.slices.len(), 6);
    }

    #[test]
    fn report_round_trips_through_json() {
        let opts = SubgroupOptions {
            min_support: MinSupport::Rows(30),
            sensitive: vec!["sex".into()],
            ..SubgroupOptions::default()
        };
        let r = discover(&two_by_two(), &opts).unwrap();
        assert!(r.slices[0].conditions[0].sensitive);
        assert!(!r.slices[1].conditions[1].sensitive);
        assert_eq!(r.slices[1].describe(), "sex = F ∧ race = B");
        let json = serde_json::to_string(&r).unwrap();
        let back: SubgroupReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert!(json.contains("\"worse\":\"lower\""));
        assert!(r.settings.correction.contains("all 8 slices tested"));
    }

    #[test]
    fn small_expected_counts_use_fisher() {
        // 1 of 12 vs 40 of 88: the slice's expected selected count is 12·41/100 ≈ 4.9 < 5.
        let t = selection_tensor(&["g"], &[(&["x"], 1, 11), (&["y"], 40, 48)]);
        let opts = SubgroupOptions {
            min_support: MinSupport::Rows(10),
            ..SubgroupOptions::default()
        };
        let r = discover(&t, &opts).unwrap();
        let s = &r.slices[0];
        assert_eq!(names(&r, 0), cond(&[("g", "x")]));
        assert_eq!(s.test, TestMethod::FisherExact);
        // Exact: sum of hypergeometric tables at most as probable as the observed one
        // (Python fractions + math.comb).
        close(s.p, 0.024_843_424_958_006_868, 1e-9);
    }
}

mod planted {
    use super::*;

    /// xorshift64*: a seeded generator with no dependency.
    struct Rng(u64);
    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn triple_intersection_comes_first() {
        let levels: [&[&str]; 4] = [
            &["a0", "a1", "a2"],
            &["b0", "b1", "b2", "b3"],
            &["c0", "c1"],
            &["d0", "d1", "d2"],
        ];
        let mut b = TensorBuilder::new(
            ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect(),
            false,
            None,
        )
        .unwrap();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for i in 0..levels.iter().map(|l| l.len()).product::<usize>() {
            let mut rest = i;
            let mut codes = Vec::new();
            let mut chosen = Vec::new();
            for (a, ls) in levels.iter().enumerate() {
                let l = ls[rest % ls.len()];
                rest /= ls.len();
                chosen.push(l);
                codes.push(b.code(a, Some(l)).unwrap());
            }
            let planted = chosen[0] == "a1" && chosen[1] == "b2" && chosen[2] == "c0";
            let rate = if planted { 0.1 } else { 0.5 };
            for _ in 0..100 {
                let label = rng.uniform() < 0.5;
                b.add(&codes, label, rng.uniform() < rate, None);
            }
        }
        let t = b.finish().unwrap();
        let r = discover(
            &t,
            &SubgroupOptions {
                sensitive: vec!["a".into(), "b".into()],
                ..SubgroupOptions::default()
            },
        )
        .unwrap();
        assert_eq!(r.total_rows, 7200);
        assert_eq!(r.settings.min_support_rows, 72);
        assert_eq!(
            names(&r, 0),
            cond(&[("a", "a1"), ("b", "b2"), ("c", "c0")]),
            "{:#?}",
            r.slices.iter().map(|s| s.describe()).collect::<Vec<_>>()
        );
        let s = &r.slices[0];
        assert_eq!(s.rows, 300);
        assert!(s.value < 0.15 && s.complement_value > 0.45, "{s:?}");
        assert!(s.p_bh < 1e-20);
        assert!(s.effect_ci.upper < -0.3);
    }
}

/// Independent oracle: the slices that should be tested, by `CountTensor::marginalize` and
/// `Metric::fraction`, without pruning and without the no-row-reduction rule.
fn oracle_tested(t: &CountTensor, metric: Metric, depth: usize, min: u64, missing: bool) -> u64 {
    let k = t.attributes().len();
    let total = t.marginalize(&[]).unwrap();
    let whole = total.cells().next().unwrap();
    let (_, den_all) = metric.fraction(&total.confusion_unweighted(whole)).unwrap();
    let mut count = 0;
    for mask in 1u32..(1 << k) {
        let set: Vec<usize> = (0..k).filter(|i| mask & (1 << i) != 0).collect();
        if set.len() > depth {
            continue;
        }
        let m = t.marginalize(&set).unwrap();
        for cell in m.cells() {
            let rows = m.rows(cell);
            if rows == 0 || rows < min || rows == t.total_rows() {
                continue;
            }
            if !missing && m.key(cell).has_missing() {
                continue;
            }
            let (_, den) = metric.fraction(&m.confusion_unweighted(cell)).unwrap();
            if den > 0.0 && den_all - den > 0.0 {
                count += 1;
            }
        }
    }
    count
}

/// Random tensors: 1–4 attributes of 1–3 levels (plus missing), sparse random confusion counts.
fn arb_tensor() -> impl Strategy<Value = CountTensor> {
    prop::collection::vec(1usize..4, 1..5).prop_flat_map(|levels| {
        let cells: usize = levels.iter().map(|l| l + 1).product();
        prop::collection::vec(
            (any::<bool>(), prop::array::uniform4(0u64..6)),
            cells..=cells,
        )
        .prop_map(move |counts| {
            let attrs = levels
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    Attribute::new(format!("x{i}"), (0..n).map(|j| lv(&format!("v{j}"))))
                })
                .collect();
            let mut t = CountTensor::new(attrs, false).unwrap();
            let cells: Vec<_> = t.cells().collect();
            for (cell, (keep, c)) in cells.into_iter().zip(counts) {
                if keep {
                    t.add_counts(cell, c, None).unwrap();
                }
            }
            t
        })
    })
}

fn without_support_skips(r: &SubgroupReport) -> Vec<(SkipReason, u64)> {
    r.skipped
        .iter()
        .filter(|s| s.reason != SkipReason::BelowSupport)
        .map(|s| (s.reason, s.slices))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn pruning_changes_nothing(
        t in arb_tensor(),
        depth in 1usize..4,
        min in 1u64..40,
        missing in any::<bool>(),
        no_reduction in any::<bool>(),
        redundancy in any::<bool>(),
        metric in prop::sample::select(vec![
            Metric::SelectionRate, Metric::FalsePositiveRate, Metric::TruePositiveRate,
            Metric::ErrorRate, Metric::PositivePredictiveValue,
        ]),
        worse in prop::sample::select(vec![Worse::Lower, Worse::Higher, Worse::Either]),
        alpha in prop::sample::select(vec![0.05, 1.0]),
    ) {
        let pruned = SubgroupOptions {
            metric,
            worse: Some(worse),
            max_depth: depth,
            min_support: MinSupport::Rows(min),
            top_k: usize::MAX,
            alpha,
            include_missing: missing,
            skip_no_row_reduction: no_reduction,
            redundancy: redundancy.then(Redundancy::default),
            ..SubgroupOptions::default()
        };
        let exhaustive = SubgroupOptions { prune: false, ..pruned.clone() };
        let a = discover(&t, &pruned).unwrap();
        let b = discover(&t, &exhaustive).unwrap();
        prop_assert_eq!(&a.slices, &b.slices);
        prop_assert_eq!(a.slices_tested, b.slices_tested);
        prop_assert_eq!(a.significant, b.significant);
        prop_assert_eq!(a.significant_worse, b.significant_worse);
        prop_assert_eq!(a.redundant, b.redundant);
        prop_assert_eq!(without_support_skips(&a), without_support_skips(&b));
        prop_assert!(
            a.skipped_for(SkipReason::BelowSupport) <= b.skipped_for(SkipReason::BelowSupport)
        );
        // Slices are tested at most once and shown at most once.
        let mut seen = std::collections::HashSet::new();
        for s in &a.slices {
            prop_assert!(seen.insert(s.describe()));
            prop_assert!(s.rows >= min && s.p_bh >= s.p && s.p_bh <= 1.0);
            prop_assert!(s.effect_ci.lower <= s.effect && s.effect <= s.effect_ci.upper);
            prop_assert!(s.ci.lower <= s.value && s.value <= s.ci.upper);
        }
        if !no_reduction {
            prop_assert_eq!(a.slices_tested, oracle_tested(&t, metric, depth, min, missing));
        }
    }

    #[test]
    fn reported_slices_agree_with_marginalize(t in arb_tensor(), depth in 1usize..4) {
        let opts = SubgroupOptions {
            max_depth: depth,
            min_support: MinSupport::Rows(1),
            top_k: usize::MAX,
            alpha: 1.0,
            worse: Some(Worse::Either),
            redundancy: None,
            include_missing: true,
            ..SubgroupOptions::default()
        };
        let r = discover(&t, &opts).unwrap();
        let attrs = t.attributes();
        for s in &r.slices {
            let set: Vec<usize> = s
                .conditions
                .iter()
                .map(|c| attrs.iter().position(|a| a.name == c.attribute).unwrap())
                .collect();
            let codes: Vec<usize> = s
                .conditions
                .iter()
                .zip(&set)
                .map(|(c, &a)| attrs[a].level_index(&c.level).unwrap())
                .collect();
            let m = t.marginalize(&set).unwrap();
            let cell = m.cell(&codes);
            prop_assert_eq!(m.rows(cell), s.rows);
            prop_assert_eq!(s.rows + s.complement_rows, t.total_rows());
            let v = Metric::SelectionRate.evaluate(&m.confusion(cell), s.rows).get().unwrap();
            prop_assert!((v - s.value).abs() < 1e-12);
        }
    }
}

mod edge_cases {
    use super::*;

    #[test]
    fn slice_equal_to_all_rows_is_skipped_with_a_reason() {
        // `country` has one level: "country = US" is every row, with no complement.
        let t = selection_tensor(
            &["country", "g"],
            &[(&["US", "x"], 10, 90), (&["US", "y"], 60, 40)],
        );
        let opts = SubgroupOptions {
            min_support: MinSupport::Rows(30),
            ..SubgroupOptions::default()
        };
        let r = discover(&t, &opts).unwrap();
        assert_eq!(r.skipped_for(SkipReason::CoversAllRows), 1);
        // US ∧ g=x has the rows of g=x: no reduction.
        assert_eq!(r.skipped_for(SkipReason::NoRowReduction), 2);
        assert_eq!(r.slices_tested, 2);
        assert_eq!(names(&r, 0), cond(&[("g", "x")]));
        // Without the no-reduction rule the duplicates are tested, and the redundancy filter
        // then drops the longer name of the same rows.
        let r = discover(
            &t,
            &SubgroupOptions {
                skip_no_row_reduction: false,
                ..opts
            },
        )
        .unwrap();
        assert_eq!(r.slices_tested, 4);
        assert_eq!(r.redundant, 1);
        assert_eq!(r.slices.len(), 1);
        assert_eq!(names(&r, 0), cond(&[("g", "x")]));
    }

    #[test]
    fn metric_undefined_in_a_slice_is_skipped_with_a_reason() {
        // FPR needs actual negatives; group x has only positives.
        let mut b = TensorBuilder::new(vec!["g".into()], false, None).unwrap();
        let x = b.code(0, Some("x")).unwrap();
        let y = b.code(0, Some("y")).unwrap();
        let z = b.code(0, Some("z")).unwrap();
        for i in 0..50 {
            b.add(&[x], true, i % 2 == 0, None);
            b.add(&[y], false, i % 10 == 0, None);
            b.add(&[z], false, i % 2 == 0, None);
        }
        let t = b.finish().unwrap();
        let r = discover(
            &t,
            &SubgroupOptions {
                metric: Metric::FalsePositiveRate,
                min_support: MinSupport::Rows(10),
                ..SubgroupOptions::default()
            },
        )
        .unwrap();
        assert_eq!(r.settings.worse, Worse::Higher);
        assert_eq!(r.skipped_for(SkipReason::MetricUndefinedInSlice), 1);
        assert_eq!(r.slices_tested, 2);
        assert_eq!(names(&r, 0), cond(&[("g", "z")]));
        // The slice's denominator is its actual negatives, not its rows.
        assert_eq!(r.slices[0].denominator, 50.0);
        assert_eq!(r.slices[0].complement_rows, 100);
    }

    #[test]
    fn all_slices_below_support_is_an_empty_result() {
        let r = discover(&two_by_two(), &SubgroupOptions::default()).unwrap();
        // Auto support: max(30, 2) = 30, so the 4 single-attribute slices pass here…
        assert_eq!(r.settings.min_support_rows, 30);
        let r = discover(
            &two_by_two(),
            &SubgroupOptions {
                min_support: MinSupport::Rows(1000),
                ..SubgroupOptions::default()
            },
        )
        .unwrap();
        assert_eq!(r.slices_tested, 0);
        assert!(r.slices.is_empty());
        assert_eq!(r.skipped_for(SkipReason::BelowSupport), 4);
        // …and the children of the four were never generated.
        let exhaustive = discover(
            &two_by_two(),
            &SubgroupOptions {
                min_support: MinSupport::Rows(1000),
                prune: false,
                ..SubgroupOptions::default()
            },
        )
        .unwrap();
        assert_eq!(exhaustive.skipped_for(SkipReason::BelowSupport), 8);
    }

    #[test]
    fn empty_tensor_is_an_empty_result() {
        let t = CountTensor::new(vec![Attribute::new("g", [lv("a"), lv("b")])], false).unwrap();
        let r = discover(&t, &SubgroupOptions::default()).unwrap();
        assert_eq!(r.total_rows, 0);
        assert_eq!(r.slices_tested, 0);
        assert!(!r.overall.is_defined());
    }

    #[test]
    fn missing_levels_only_when_asked() {
        let t = selection_tensor(&["g"], &[(&["x"], 30, 30), (&[""], 5, 55)]);
        let opts = SubgroupOptions {
            min_support: MinSupport::Rows(10),
            ..SubgroupOptions::default()
        };
        let r = discover(&t, &opts).unwrap();
        assert_eq!(r.slices_tested, 1);
        let r = discover(
            &t,
            &SubgroupOptions {
                include_missing: true,
                ..opts
            },
        )
        .unwrap();
        assert_eq!(r.slices_tested, 2);
        assert_eq!(r.slices[0].conditions[0].level, Level::Missing);
    }

    #[test]
    fn require_sensitive_tests_only_slices_that_have_one() {
        let opts = SubgroupOptions {
            min_support: MinSupport::Rows(30),
            sensitive: vec!["race".into()],
            require_sensitive: true,
            ..SubgroupOptions::default()
        };
        let r = discover(&two_by_two(), &opts).unwrap();
        assert_eq!(r.skipped_for(SkipReason::NoSensitiveAttribute), 2);
        assert_eq!(r.slices_tested, 6);
        assert!(r
            .slices
            .iter()
            .all(|s| s.conditions.iter().any(|c| c.sensitive)));
    }

    #[test]
    fn bad_options_are_errors() {
        let t = two_by_two();
        let run = |o: SubgroupOptions| discover(&t, &o).unwrap_err();
        assert_eq!(
            run(SubgroupOptions {
                metric: Metric::F1,
                ..SubgroupOptions::default()
            }),
            SubgroupError::UnsupportedMetric(Metric::F1)
        );
        assert!(matches!(
            run(SubgroupOptions {
                sensitive: vec!["age".into()],
                ..SubgroupOptions::default()
            }),
            SubgroupError::UnknownAttribute { .. }
        ));
        assert_eq!(
            run(SubgroupOptions {
                alpha: 0.0,
                ..SubgroupOptions::default()
            }),
            SubgroupError::BadAlpha(0.0)
        );
        assert_eq!(
            run(SubgroupOptions {
                max_depth: 0,
                ..SubgroupOptions::default()
            }),
            SubgroupError::ZeroDepth
        );
        assert_eq!(
            run(SubgroupOptions {
                min_support: MinSupport::Fraction(1.5),
                ..SubgroupOptions::default()
            }),
            SubgroupError::BadSupport(1.5)
        );
    }

    #[test]
    fn weighted_tensors_use_weighted_rates_and_kish_n() {
        let mut b = TensorBuilder::new(vec!["g".into()], true, None).unwrap();
        let x = b.code(0, Some("x")).unwrap();
        let y = b.code(0, Some("y")).unwrap();
        for i in 0..100 {
            // x: every row weight 2, 20% selected; y: weight 1, 60% selected.
            b.add(&[x], false, i % 5 == 0, Some(2.0));
            b.add(&[y], false, i % 5 < 3, Some(1.0));
        }
        let t = b.finish().unwrap();
        let r = discover(
            &t,
            &SubgroupOptions {
                min_support: MinSupport::Rows(10),
                ..SubgroupOptions::default()
            },
        )
        .unwrap();
        let s = &r.slices[0];
        assert_eq!(names(&r, 0), cond(&[("g", "x")]));
        assert_eq!(s.weight, Some(200.0));
        close(s.value, 0.2, 1e-12);
        assert_eq!(s.test, TestMethod::TwoProportionZ);
        // Constant weights within each side: Kish's n equals the row count, so z is the
        // unweighted z for 20/100 vs 60/100.
        let pooled: f64 = 0.4;
        let z = -0.4 / (pooled * (1.0 - pooled) * 0.02).sqrt();
        close(s.z, z, 1e-9);
        assert!(r.settings.weighted && r.settings.test.contains("Kish"));
    }
}

/// `cargo test --release -p aequo-core --test subgroup -- --ignored --nocapture timing`
#[test]
#[ignore = "timing print, not a test; run in release"]
fn timing_8_attributes_5_levels_depth_3() {
    let attrs: Vec<Attribute> = (0..8)
        .map(|i| Attribute::new(format!("x{i}"), (0..5).map(|j| lv(&format!("v{j}")))))
        .collect();
    let mut t = CountTensor::new(attrs, false).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % 7
    };
    let cells: Vec<_> = t.cells().collect();
    for cell in cells {
        if !t.key(cell).has_missing() {
            t.add_counts(cell, [next(), next(), next(), next()], None)
                .unwrap();
        }
    }
    let start = std::time::Instant::now();
    let r = discover(&t, &SubgroupOptions::default()).unwrap();
    let elapsed = start.elapsed();
    println!(
        "8 attributes × 5 levels (+missing), {} cells, {} rows, depth 3: {} slices tested, {} \
         skipped for support, {} significant, in {:.1} ms",
        t.len(),
        r.total_rows,
        r.slices_tested,
        r.skipped_for(SkipReason::BelowSupport),
        r.significant,
        elapsed.as_secs_f64() * 1e3
    );
    let start = std::time::Instant::now();
    let r = discover(
        &t,
        &SubgroupOptions {
            min_support: MinSupport::Rows(1),
            ..SubgroupOptions::default()
        },
    )
    .unwrap();
    for depth in [1, 2] {
        let start = std::time::Instant::now();
        let r = discover(
            &t,
            &SubgroupOptions {
                max_depth: depth,
                ..SubgroupOptions::default()
            },
        )
        .unwrap();
        println!(
            "depth {depth}: {} slices tested in {:.1} ms",
            r.slices_tested,
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    println!(
        "same with min support 1 row: {} slices tested in {:.1} ms",
        r.slices_tested,
        start.elapsed().as_secs_f64() * 1e3
    );
}
