//! Multiclass one-vs-rest group metrics (`aequo_core::multiclass`): hand-computed cases, laws,
//! and reference checks against scikit-learn's `multilabel_confusion_matrix`,
//! `recall_score`/`precision_score` (`oracle/score_reference.py`).

use std::path::PathBuf;

use aequo_core::multiclass::{ClassConfusion, ClassIndex, Classes, MulticlassError};
use aequo_core::score::{CellStats, CellTable};
use aequo_core::{Attribute, Confusion, Level, Metric, Undefined, Value};
use proptest::prelude::*;

fn confusion(k: usize, rows: &[(usize, usize)]) -> ClassConfusion {
    let mut c = ClassConfusion::new(k);
    for &(l, p) in rows {
        c.add(ClassIndex(l), ClassIndex(p), 1.0).unwrap();
    }
    c
}

/// Labels → predictions: 0→0 ×3, 0→1 ×1, 1→1 ×2, 1→2 ×1, 2→0 ×1, 2→2 ×2 (n = 10).
fn example() -> ClassConfusion {
    let mut rows = vec![(0, 0); 3];
    rows.push((0, 1));
    rows.extend([(1, 1), (1, 1), (1, 2), (2, 0), (2, 2), (2, 2)]);
    confusion(3, &rows)
}

#[test]
fn one_vs_rest_by_hand() {
    let c = example();
    // Class 0: TP 3, FN 1 (0→1), FP 1 (2→0), TN 5.
    assert_eq!(
        c.one_vs_rest(ClassIndex(0)),
        Confusion {
            tn: 5.0,
            fp: 1.0,
            fn_: 1.0,
            tp: 3.0
        }
    );
    assert_eq!(c.one_vs_rest_counts(ClassIndex(2)), [6, 1, 1, 2]);
    let tpr = c.per_class(Metric::TruePositiveRate);
    assert_eq!(
        tpr,
        vec![
            Value::Defined(0.75),
            Value::Defined(2.0 / 3.0),
            Value::Defined(2.0 / 3.0)
        ]
    );
    // Selection rate of class 1: predicted 1 in 3 of 10 rows.
    assert_eq!(
        c.metric(Metric::SelectionRate, ClassIndex(1)),
        Value::Defined(0.3)
    );
    // FPR of class 1: FP 1 (0→1) over the 7 rows labelled 0 or 2.
    assert_eq!(
        c.metric(Metric::FalsePositiveRate, ClassIndex(1)),
        Value::Defined(1.0 / 7.0)
    );
    let m = c.macro_average(Metric::TruePositiveRate);
    assert!((m.value.get().unwrap() - (0.75 + 4.0 / 3.0) / 3.0).abs() < 1e-15);
    assert_eq!(m.classes, 3);
    // Micro TPR is the accuracy, 7/10.
    assert_eq!(
        c.micro_average(Metric::TruePositiveRate),
        Value::Defined(0.7)
    );
    assert_eq!(c.accuracy(), Value::Defined(0.7));
    assert_eq!(c.metric(Metric::Count, ClassIndex(0)), Value::Defined(10.0));
}

#[test]
fn absent_classes_are_left_out_of_the_macro_average() {
    // Class 2 never occurs: its TPR and PPV are undefined, the macro average skips it.
    let c = confusion(3, &[(0, 0), (0, 1), (1, 1)]);
    assert!(matches!(
        c.metric(Metric::TruePositiveRate, ClassIndex(2)),
        Value::Undefined(Undefined::ZeroDenominator { .. })
    ));
    let m = c.macro_average(Metric::TruePositiveRate);
    assert_eq!(m.value, Value::Defined(0.75));
    assert_eq!(m.excluded, vec![ClassIndex(2)]);
    // FPR of class 2 is defined (0 of 3).
    assert_eq!(
        c.metric(Metric::FalsePositiveRate, ClassIndex(2)),
        Value::Defined(0.0)
    );
    let empty = ClassConfusion::new(3);
    assert_eq!(empty.accuracy(), Value::Undefined(Undefined::EmptyGroup));
    assert_eq!(
        empty.macro_average(Metric::TruePositiveRate).value,
        Value::Undefined(Undefined::TooFewGroups { defined: 0 })
    );
}

#[test]
fn bad_rows_are_errors() {
    let mut c = ClassConfusion::new(2);
    assert_eq!(
        c.add(ClassIndex(2), ClassIndex(0), 1.0),
        Err(MulticlassError::NoSuchClass {
            index: 2,
            classes: 2
        })
    );
    assert_eq!(
        c.add(ClassIndex(0), ClassIndex(0), f64::INFINITY),
        Err(MulticlassError::BadWeight(f64::INFINITY))
    );
    assert_eq!(c.total_rows(), 0);
}

#[test]
fn a_table_of_confusions_marginalises() {
    let lv = |s: &str| Level::Value(s.to_owned());
    let classes = Classes(vec!["low".into(), "mid".into(), "high".into()]);
    assert_eq!(classes.index("mid"), Some(ClassIndex(1)));
    let mut t: CellTable<ClassConfusion> = CellTable::new(
        vec![
            Attribute::new("g", [lv("a"), lv("b")]),
            Attribute::new("h", [lv("x")]),
        ],
        classes,
    )
    .unwrap();
    let (a, b) = (t.cell(&[0, 0]), t.cell(&[1, 0]));
    t.get_mut(a).add(ClassIndex(0), ClassIndex(0), 1.0).unwrap();
    t.get_mut(b).add(ClassIndex(2), ClassIndex(1), 2.0).unwrap();
    let m = t.marginalize(&[1]).unwrap();
    let all = m.get(m.cell(&[0]));
    assert_eq!(all.total_rows(), 2);
    assert_eq!(all.weight(ClassIndex(2), ClassIndex(1)), 2.0);
    assert_eq!(t.rest(a).total_rows(), 1);
}

#[test]
fn classes_discovered_during_a_scan_are_remapped_to_their_final_order() {
    let lv = |s: &str| Level::Value(s.to_owned());
    // Thread 1 saw "high" then "low"; thread 2 saw "mid" then "high".
    let mut one = ClassConfusion::new(1);
    one.add(ClassIndex(0), ClassIndex(0), 1.0).unwrap(); // high → high
    one.ensure_classes(2);
    one.add(ClassIndex(1), ClassIndex(0), 1.0).unwrap(); // low → high
    let mut two = ClassConfusion::new(2);
    two.add(ClassIndex(0), ClassIndex(1), 1.0).unwrap(); // mid → high
    let final_order = Classes(vec!["high".into(), "low".into(), "mid".into()]);
    let attrs = vec![Attribute::new("g", [lv("a")])];
    let mut t1: CellTable<ClassConfusion> =
        CellTable::new(attrs.clone(), Classes(vec!["high".into(), "low".into()])).unwrap();
    t1.get_mut(t1.cell(&[0])).merge(&one);
    let mut t2: CellTable<ClassConfusion> =
        CellTable::new(attrs, Classes(vec!["mid".into(), "high".into()])).unwrap();
    t2.get_mut(t2.cell(&[0])).merge(&two);
    let to = |from: &Classes| -> Vec<ClassIndex> {
        from.0
            .iter()
            .map(|n| final_order.index(n).unwrap())
            .collect()
    };
    let (m1, m2) = (to(t1.shape()), to(t2.shape()));
    let mut a = t1.map_shape(final_order.clone(), |c| c.remap(&m1, 3));
    let b = t2.map_shape(final_order.clone(), |c| c.remap(&m2, 3));
    assert!(
        t1.clone().merge(&t2).is_err(),
        "different classes do not merge unmapped"
    );
    a.merge(&b).unwrap();
    let c = a.get(a.cell(&[0]));
    let (high, low, mid) = (ClassIndex(0), ClassIndex(1), ClassIndex(2));
    assert_eq!(c.count(high, high), 1);
    assert_eq!(c.count(low, high), 1);
    assert_eq!(c.count(mid, high), 1);
    assert_eq!(c.total_rows(), 3);
    // Merging confusions of different sizes pads the smaller one.
    let mut small = ClassConfusion::new(1);
    small.add(ClassIndex(0), ClassIndex(0), 1.0).unwrap();
    let mut big = ClassConfusion::new(3);
    big.merge(&small);
    small.merge(&ClassConfusion::new(3));
    assert_eq!(big, small);
}

fn arb_rows() -> impl Strategy<Value = Vec<(usize, usize)>> {
    prop::collection::vec((0usize..4, 0usize..4), 0..50)
}

proptest! {
    #[test]
    fn merge_is_building_from_concatenated_rows(r1 in arb_rows(), r2 in arb_rows()) {
        let all: Vec<_> = r1.iter().chain(&r2).copied().collect();
        let mut m = confusion(4, &r1);
        m.merge(&confusion(4, &r2));
        prop_assert_eq!(&m, &confusion(4, &all));
        let mut n = confusion(4, &r2);
        n.merge(&confusion(4, &r1));
        prop_assert_eq!(m, n);
    }

    #[test]
    fn one_vs_rest_confusions_partition_the_rows(r in arb_rows()) {
        let c = confusion(4, &r);
        let n = r.len() as f64;
        let mut tp = 0.0;
        for k in 0..4 {
            let o = c.one_vs_rest(ClassIndex(k));
            prop_assert_eq!(o.total(), n);
            tp += o.tp;
            // Label-k rows are the positives, prediction-k rows the predicted positives.
            prop_assert_eq!(o.positives(), r.iter().filter(|x| x.0 == k).count() as f64);
            prop_assert_eq!(o.predicted_positives(), r.iter().filter(|x| x.1 == k).count() as f64);
        }
        prop_assert_eq!(tp, r.iter().filter(|x| x.0 == x.1).count() as f64);
    }
}

// ---------------------------------------------------------------------------- oracle ---

#[test]
fn per_group_one_vs_rest_matches_scikit_learn() {
    let root = std::env::var_os("AEQUO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/fixtures"));
    let path = root.join("oracle/score_reference.json");
    if !path.exists() {
        if std::env::var("AEQUO_REQUIRE_FIXTURES").as_deref() == Ok("1") {
            panic!(
                "multiclass vs scikit-learn: {} is missing and AEQUO_REQUIRE_FIXTURES=1; run scripts/oracle.sh",
                path.display()
            );
        }
        eprintln!(
            "skipped: multiclass vs scikit-learn: {} not present (run scripts/oracle.sh)",
            path.display()
        );
        return;
    }
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let r = &r["multiclass"];
    let ints = |v: &serde_json::Value| -> Vec<usize> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    let (y, p) = (ints(&r["y"]), ints(&r["yhat"]));
    let group: Vec<&str> = r["group"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut worst = 0.0f64;
    for rec in r["groups"].as_array().unwrap() {
        let g = rec["group"].as_str().unwrap();
        let mut c = ClassConfusion::new(3);
        for i in (0..y.len()).filter(|&i| group[i] == g) {
            c.add(ClassIndex(y[i]), ClassIndex(p[i]), 1.0).unwrap();
        }
        assert_eq!(c.total_rows(), rec["n"].as_u64().unwrap());
        for (k, ovr) in rec["ovr"].as_array().unwrap().iter().enumerate() {
            let want: Vec<u64> = ovr
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            assert_eq!(
                c.one_vs_rest_counts(ClassIndex(k)).to_vec(),
                want,
                "{g} class {k}"
            );
        }
        let mut check = |got: Value, want: &serde_json::Value, what: &str| match want.as_f64() {
            Some(w) => {
                let d = (got.get().unwrap() - w).abs();
                worst = worst.max(d);
                assert!(d < 1e-12, "{g} {what}: {got} vs {w}");
            }
            None => assert!(!got.is_defined(), "{g} {what}: {got} vs nan"),
        };
        for (metric, key) in [
            (Metric::TruePositiveRate, "recall"),
            (Metric::PositivePredictiveValue, "precision"),
        ] {
            for (k, want) in rec[key].as_array().unwrap().iter().enumerate() {
                check(c.metric(metric, ClassIndex(k)), want, key);
            }
        }
        check(
            c.macro_average(Metric::TruePositiveRate).value,
            &rec["macro_recall"],
            "macro recall",
        );
        check(
            c.macro_average(Metric::PositivePredictiveValue).value,
            &rec["macro_precision"],
            "macro precision",
        );
        check(c.accuracy(), &rec["accuracy"], "accuracy");
    }
    eprintln!("multiclass: max |aequo − scikit-learn| = {worst:e}");
}
