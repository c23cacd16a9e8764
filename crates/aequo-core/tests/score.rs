//! Score metrics (`aequo_core::score`): hand-computed cases, algebraic laws, and reference
//! checks against scikit-learn (`oracle/score_reference.py`, run by `scripts/oracle.sh`) on
//! small fixed sets and on Adult and COMPAS by group.

use std::path::PathBuf;

use aequo_core::counts::{Attribute, CountTensor, Level, TensorBuilder};
use aequo_core::score::{
    abroca, BinnedScores, CellStats, CellTable, ExactScores, ScoreBins, ScoreDistribution,
    ScoreError,
};
use aequo_core::{CellIndex, GroupKey, Undefined, Value};
use proptest::prelude::*;

fn exact(rows: &[(bool, f64)]) -> ScoreDistribution {
    let mut e = ExactScores::new();
    for &(y, s) in rows {
        e.add(y, s, 1.0).unwrap();
    }
    e.distribution()
}

fn binned(bins: &ScoreBins, rows: &[(bool, f64)]) -> ScoreDistribution {
    let mut b = BinnedScores::new(bins);
    for &(y, s) in rows {
        b.add(bins, y, s, 1.0).unwrap();
    }
    b.distribution(bins)
}

fn rows(y: &[u8], s: &[f64]) -> Vec<(bool, f64)> {
    y.iter().zip(s).map(|(&y, &s)| (y == 1, s)).collect()
}

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
}

/// The ties set: positives score .3 .5 .7 .9, negatives .3 .5 .1 .7.
fn ties() -> Vec<(bool, f64)> {
    rows(
        &[0, 1, 0, 1, 1, 0, 0, 1],
        &[0.3, 0.3, 0.5, 0.5, 0.7, 0.1, 0.7, 0.9],
    )
}

#[test]
fn auc_counts_ties_half_by_hand() {
    // Pairs won: .3 → 1 + ½, .5 → 2 + ½, .7 → 3 + ½, .9 → 4; 11.5 / 16.
    let a = exact(&ties()).auc();
    assert_eq!(a.value, Value::Defined(11.5 / 16.0));
    assert_eq!(a.tie_bound, 0.0);
}

#[test]
fn binned_auc_states_its_tie_bound_by_hand() {
    // One edge at ½: bin 0 holds neg {.3, .1}, pos {.3}; bin 1 neg {.5, .7}, pos {.5, .7, .9}.
    // AUC = (1·(0 + ½·2) + 3·(2 + ½·2)) / 16 = 10/16; bound = ½ (1·2 + 3·2) / 16 = ¼.
    let bins = ScoreBins::equal_width(2).unwrap();
    let a = binned(&bins, &ties()).auc();
    assert_eq!(a.value, Value::Defined(10.0 / 16.0));
    assert_eq!(a.tie_bound, 0.25);
    assert!((10.0 / 16.0 - 11.5 / 16.0f64).abs() <= a.tie_bound);
}

#[test]
fn roc_points_by_hand() {
    let r = exact(&ties()).roc().unwrap();
    let pts: Vec<(f64, f64)> = r.iter().map(|p| (p.fpr, p.tpr)).collect();
    assert_eq!(
        pts,
        vec![
            (0.0, 0.0),
            (0.0, 0.25),
            (0.25, 0.5),
            (0.5, 0.75),
            (0.75, 1.0),
            (1.0, 1.0)
        ]
    );
    assert_eq!(r[0].threshold, None);
    assert_eq!(r[1].threshold, Some(0.9));
    assert_eq!(r[5].threshold, Some(0.1));
}

#[test]
fn brier_by_hand_in_both_modes() {
    // Negatives (.3, .5, .1, .7): .09 + .25 + .01 + .49; positives: .49 + .25 + .09 + .01.
    let e = exact(&ties()).brier().unwrap().get().unwrap();
    close(e, 1.68 / 8.0, 1e-15);
    // Brier needs only sums: exact in binned mode too.
    let bins = ScoreBins::equal_width(2).unwrap();
    close(
        binned(&bins, &ties()).brier().unwrap().get().unwrap(),
        0.21,
        1e-15,
    );
}

/// Deciles-like set: five distinct scores, none on an edge of 5 equal-width bins.
fn deciles() -> Vec<(bool, f64)> {
    rows(
        &[0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1],
        &[0.1, 0.1, 0.1, 0.3, 0.3, 0.5, 0.5, 0.5, 0.9, 0.9, 0.3, 0.7],
    )
}

#[test]
fn ece_and_reliability_by_hand() {
    // Bins of width .2: (.1: 1/3 observed), (.3: 1/3), (.5: 2/3), (.7: 1), (.9: 1/2) with
    // 3, 3, 3, 1, 2 rows. ECE = (3·(1/3−.1) + 3·(1/3−.3) + 3·(2/3−.5) + .3 + 2·.4) / 12 = .2.
    let five = ScoreBins::equal_width(5).unwrap();
    let d = exact(&deciles());
    close(
        d.expected_calibration_error(&five).unwrap().get().unwrap(),
        0.2,
        1e-15,
    );
    let curve = d.reliability(&five).unwrap();
    let w: Vec<f64> = curve.iter().map(|b| b.weight).collect();
    assert_eq!(w, vec![3.0, 3.0, 3.0, 1.0, 2.0]);
    close(curve[2].observed_rate, 2.0 / 3.0, 1e-15);
    close(curve[4].mean_predicted, 0.9, 1e-15);
    assert_eq!((curve[0].lower, curve[0].upper), (None, Some(0.2)));
    // Fine bins that coarsen into the five give the same calibration, and AUC is exact because
    // each fine bin holds one distinct score.
    let fine = ScoreBins::equal_width(20).unwrap();
    let b = binned(&fine, &deciles());
    close(
        b.expected_calibration_error(&five).unwrap().get().unwrap(),
        0.2,
        1e-15,
    );
    assert_eq!(b.auc().value, d.auc().value);
}

#[test]
fn calibration_bins_must_coarsen_the_score_bins() {
    let thirds = ScoreBins::equal_width(3).unwrap();
    let b = binned(&thirds, &deciles());
    let halves = ScoreBins::equal_width(2).unwrap();
    assert_eq!(
        b.reliability(&halves),
        Err(ScoreError::BinsNotNested { edge: 0.5 })
    );
}

#[test]
fn one_class_and_empty_groups_are_undefined_with_reasons() {
    let only_neg = exact(&[(false, 0.2), (false, 0.4)]);
    assert_eq!(
        only_neg.auc().value,
        Value::Undefined(Undefined::MissingClass {
            positives: 0.0,
            negatives: 2.0
        })
    );
    assert_eq!(
        only_neg.roc(),
        Err(Undefined::MissingClass {
            positives: 0.0,
            negatives: 2.0
        })
    );
    // Brier and calibration are defined with one class.
    close(only_neg.brier().unwrap().get().unwrap(), 0.1, 1e-15);
    let empty = exact(&[]);
    assert_eq!(empty.auc().value, Value::Undefined(Undefined::EmptyGroup));
    assert_eq!(
        empty.brier().unwrap(),
        Value::Undefined(Undefined::EmptyGroup)
    );
    let ten = ScoreBins::equal_width(10).unwrap();
    assert_eq!(
        empty.expected_calibration_error(&ten).unwrap(),
        Value::Undefined(Undefined::EmptyGroup)
    );
    assert!(empty.reliability(&ten).unwrap().is_empty());
    assert!(matches!(
        abroca(&only_neg, &exact(&ties())),
        Value::Undefined(Undefined::MissingClass { .. })
    ));
}

#[test]
fn bad_inputs_are_errors() {
    let mut e = ExactScores::new();
    assert!(matches!(
        e.add(true, f64::NAN, 1.0),
        Err(ScoreError::NotFinite(_))
    ));
    assert_eq!(e.add(true, 0.5, -1.0), Err(ScoreError::BadWeight(-1.0)));
    assert!(matches!(
        ScoreBins::new(vec![0.5, 0.5]),
        Err(ScoreError::BadEdges { index: 1, .. })
    ));
    assert_eq!(ScoreBins::equal_width(0), Err(ScoreError::ZeroBins));
}

#[test]
fn negative_zero_ties_with_zero() {
    let d = exact(&[(true, 0.0), (false, -0.0)]);
    assert_eq!(d.auc().value, Value::Defined(0.5));
}

#[test]
fn abroca_by_hand() {
    // A perfect ranking (ROC through (0, 1)) against all-tied scores (the diagonal):
    // ∫ (1 − t) dt = ½.
    let perfect = exact(&[(true, 0.9), (false, 0.1)]);
    let tied = exact(&[(true, 0.5), (false, 0.5)]);
    assert_eq!(abroca(&perfect, &tied), Value::Defined(0.5));
    assert_eq!(abroca(&tied, &perfect), Value::Defined(0.5));
    assert_eq!(abroca(&perfect, &perfect), Value::Defined(0.0));
    // Crossing curves: a = (0,0)→(½,1)→(1,1) area ¾ over the diagonal, b its mirror
    // (0,0)→(½,0)→(1,1); |a − b| integrates to ½ + ... = ½ (a ≥ b everywhere).
    let a = exact(&[(true, 0.9), (false, 0.5), (false, 0.1)]);
    let b = exact(&[(false, 0.9), (true, 0.5), (true, 0.4)]);
    // a: pos above both negs → perfect; b: neg above both pos → ROC (0,0),(1,0),(1,1).
    assert_eq!(abroca(&a, &b), Value::Defined(1.0));
    // A crossing: c = (0,0)→(0,½)→(1,½)→(1,1) [one pos top, one pos bottom], d = diagonal.
    // |c − t| = ½ − t on [0, ½] and t − ½ on [½, 1]: ¼ in all.
    let c = exact(&[(true, 0.9), (false, 0.5), (true, 0.1)]);
    assert_eq!(abroca(&c, &tied), Value::Defined(0.25));
}

#[test]
fn from_histogram_gives_auc_but_no_calibration() {
    let mut b = TensorBuilder::new(vec!["g".into()], false, Some(vec![0.5])).unwrap();
    for (y, s) in ties() {
        let c = [b.code(0, Some("a")).unwrap()];
        b.add(&c, y, s >= 0.5, None);
        b.add_score(&c, y, s);
    }
    let t = b.finish().unwrap();
    let d = ScoreDistribution::from_histogram(t.scores().unwrap(), CellIndex(0));
    let bins = ScoreBins::equal_width(2).unwrap();
    assert_eq!(d.auc(), binned(&bins, &ties()).auc());
    assert_eq!(d.brier(), Err(ScoreError::CountsOnly));
}

fn lv(s: &str) -> Level {
    Level::Value(s.to_owned())
}

#[test]
fn cell_table_has_the_tensor_layout_and_marginalises() {
    let attrs = vec![
        Attribute::new("a", [lv("p"), lv("q")]),
        Attribute::new("b", [lv("x"), lv("y"), lv("z")]),
    ];
    let t = CountTensor::new(attrs.clone(), false).unwrap();
    let mut table: CellTable<ExactScores> = CellTable::like(&t, ()).unwrap();
    assert_eq!(table.len(), t.len());
    for cell in t.cells() {
        assert_eq!(table.codes(cell), t.codes(cell));
        assert_eq!(table.key(cell), t.key(cell));
    }
    let c = table.cell(&[1, 2]);
    table.get_mut(c).add(true, 0.8, 1.0).unwrap();
    table
        .get_mut(table.cell(&[0, 2]))
        .add(false, 0.3, 1.0)
        .unwrap();
    let m = table.marginalize(&[1]).unwrap();
    let z = m.cell_of(&GroupKey(vec![lv("z")])).unwrap();
    assert_eq!(m.get(z).distribution().auc().value, Value::Defined(1.0));
    assert_eq!(table.rest(c).rows(), [1, 0]);
    assert_eq!(table.total().rows(), [1, 1]);
    // Merging a table with another level aligns to the union.
    let other_attrs = vec![
        Attribute::new("a", [lv("r")]),
        Attribute::new("b", [lv("x")]),
    ];
    let mut other: CellTable<ExactScores> = CellTable::new(other_attrs, ()).unwrap();
    let oc = other.cell(&[0, 0]);
    other.get_mut(oc).add(true, 0.1, 1.0).unwrap();
    table.merge(&other).unwrap();
    assert_eq!(table.attributes()[0].levels.len(), 4);
    let r = table.cell_of(&GroupKey(vec![lv("r"), lv("x")])).unwrap();
    assert_eq!(table.get(r).rows(), [0, 1]);
    assert_eq!(table.total().rows(), [1, 2]);
}

#[test]
fn summaries_round_trip_through_json() {
    let mut e = ExactScores::new();
    for (y, s) in ties() {
        e.add(y, s, 1.5).unwrap();
    }
    let json = serde_json::to_string(&e).unwrap();
    let back: ExactScores = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
    let bins = ScoreBins::equal_width(4).unwrap();
    let mut table: CellTable<BinnedScores> =
        CellTable::new(vec![Attribute::new("g", [lv("a"), lv("b")])], bins.clone()).unwrap();
    let (shape, cell) = table.parts_mut(CellIndex(1));
    cell.add(shape, true, 0.7, 1.0).unwrap();
    let json = serde_json::to_string(&table).unwrap();
    let back: CellTable<BinnedScores> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, table);
    assert!(serde_json::from_str::<ScoreBins>("[0.5, 0.2]").is_err());
}

#[test]
fn resampling_with_the_identity_changes_nothing() {
    let mut e = ExactScores::new();
    for (y, s) in ties() {
        e.add(y, s, 1.0).unwrap();
    }
    assert_eq!(e.resample(&mut |w| w), e);
    // Doubling every weight leaves every metric unchanged.
    let doubled = e.resample(&mut |w| 2.0 * w).distribution();
    assert_eq!(doubled.auc(), e.distribution().auc());
    assert_eq!(doubled.rows(), [8, 8]);
    let bins = ScoreBins::equal_width(10).unwrap();
    let mut b = BinnedScores::new(&bins);
    for (y, s) in ties() {
        b.add(&bins, y, s, 1.0).unwrap();
    }
    assert_eq!(b.resample(&mut |w| w), b);
    let d = b.resample(&mut |w| 3.0 * w).distribution(&bins);
    close(
        d.brier().unwrap().get().unwrap(),
        b.distribution(&bins).brier().unwrap().get().unwrap(),
        1e-15,
    );
    // A bin drawn as zero drops out of the replicate.
    let mut first = true;
    let dropped = e.resample(&mut |w| {
        let r = if first { 0.0 } else { w };
        first = false;
        r
    });
    assert_eq!(dropped.rows(), [3, 4]);
}

#[test]
fn cell_builder_lays_out_like_the_tensor_builder() {
    use aequo_core::score::CellBuilder;
    let rows = [
        ("m", Some("b"), true, 0.9),
        ("f", None, false, 0.2),
        ("x", Some("a"), true, 0.4),
        ("f", Some("c"), false, 0.6),
        ("m", Some("b"), false, 0.1),
    ];
    let mut tb = TensorBuilder::new(vec!["s".into(), "r".into()], false, None).unwrap();
    let mut cb: CellBuilder<ExactScores> = CellBuilder::new(());
    let mut levels: Vec<Vec<Level>> = vec![Vec::new(), Vec::new()];
    for (s, r, y, score) in rows {
        let codes = [tb.code(0, Some(s)).unwrap(), tb.code(1, r).unwrap()];
        // The scan's dictionary: the level of each code, in discovery order.
        for (a, v) in [Some(s), r].into_iter().enumerate() {
            let l = v.map_or(Level::Missing, lv);
            if !levels[a].contains(&l) {
                levels[a].push(l);
            }
        }
        tb.add(&codes, y, score >= 0.5, None);
        cb.entry(&codes).1.add(y, score, 1.0).unwrap();
    }
    let t = tb.finish().unwrap();
    let table = cb.finish(&["s".into(), "r".into()], &levels).unwrap();
    assert_eq!(table.attributes(), t.attributes());
    for cell in t.cells() {
        let [n0, n1] = table.get(cell).rows();
        assert_eq!(n0 + n1, t.rows(cell), "{}", t.key(cell));
    }
}

// ------------------------------------------------------------------------------- laws ---

fn arb_scores() -> impl Strategy<Value = Vec<(bool, u8, u8)>> {
    // (label, score in twentieths — many ties —, weight)
    prop::collection::vec((any::<bool>(), 0u8..=20, 1u8..4), 0..40)
}

fn build_exact(r: &[(bool, u8, u8)]) -> ExactScores {
    let mut e = ExactScores::new();
    for &(y, s, w) in r {
        e.add(y, f64::from(s) / 20.0, f64::from(w)).unwrap();
    }
    e
}

fn build_binned(bins: &ScoreBins, r: &[(bool, u8, u8)]) -> BinnedScores {
    let mut b = BinnedScores::new(bins);
    for &(y, s, w) in r {
        b.add(bins, y, f64::from(s) / 20.0, f64::from(w)).unwrap();
    }
    b
}

fn merged<S: CellStats>(a: &S, b: &S) -> S {
    let mut m = a.clone();
    m.merge(b);
    m
}

/// AUC by definition: every (positive, negative) pair, weighted, ties ½.
fn brute_auc(r: &[(bool, u8, u8)]) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for &(y1, s1, w1) in r.iter().filter(|x| x.0) {
        for &(_, s0, w0) in r.iter().filter(|x| !x.0) {
            let _ = y1;
            let w = f64::from(w1) * f64::from(w0);
            den += w;
            num += w * match s1.cmp(&s0) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    (den > 0.0).then(|| num / den)
}

proptest! {
    #[test]
    fn exact_merge_is_building_from_concatenated_rows(r1 in arb_scores(), r2 in arb_scores()) {
        let all: Vec<_> = r1.iter().chain(&r2).copied().collect();
        prop_assert_eq!(merged(&build_exact(&r1), &build_exact(&r2)), build_exact(&all));
        prop_assert_eq!(
            merged(&build_exact(&r1), &build_exact(&r2)),
            merged(&build_exact(&r2), &build_exact(&r1))
        );
    }

    #[test]
    fn binned_merge_is_building_from_concatenated_rows(r1 in arb_scores(), r2 in arb_scores()) {
        let bins = ScoreBins::equal_width(7).unwrap();
        let all: Vec<_> = r1.iter().chain(&r2).copied().collect();
        let m = merged(&build_binned(&bins, &r1), &build_binned(&bins, &r2));
        let b = build_binned(&bins, &all);
        // Sums of small integers and twentieths: compare within rounding.
        prop_assert_eq!(m.rows, b.rows);
        for l in 0..2 {
            for (x, y) in m.weight[l].iter().zip(&b.weight[l]) {
                prop_assert_eq!(x, y);
            }
            for (x, y) in m.score_sum[l].iter().zip(&b.score_sum[l]) {
                prop_assert!((x - y).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn exact_auc_is_the_pairwise_definition(r in arb_scores()) {
        let a = build_exact(&r).distribution().auc();
        match brute_auc(&r) {
            Some(v) => prop_assert!((a.value.get().unwrap() - v).abs() < 1e-12),
            None => prop_assert!(!a.value.is_defined()),
        }
    }

    #[test]
    fn area_under_the_roc_points_is_the_auc(r in arb_scores()) {
        let d = build_exact(&r).distribution();
        let area = |pts: &[aequo_core::score::RocPoint]| -> f64 {
            pts.windows(2)
                .map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0)
                .sum()
        };
        match (d.roc(), d.roc_thinned()) {
            (Ok(full), Ok(thin)) => {
                let auc = d.auc().value.get().unwrap();
                prop_assert!((area(&full) - auc).abs() < 1e-12);
                prop_assert!((area(&thin) - auc).abs() < 1e-12);
                prop_assert!(thin.len() <= full.len());
            }
            (full, thin) => {
                prop_assert!(full.is_err() && thin.is_err());
                prop_assert!(!d.auc().value.is_defined());
            }
        }
    }

    #[test]
    fn binned_auc_is_within_its_tie_bound(r in arb_scores(), k in 1usize..12) {
        let bins = ScoreBins::equal_width(k).unwrap();
        let b = build_binned(&bins, &r).distribution(&bins).auc();
        let e = build_exact(&r).distribution().auc();
        prop_assert_eq!(b.value.is_defined(), e.value.is_defined());
        if let (Some(x), Some(y)) = (b.value.get(), e.value.get()) {
            prop_assert!((x - y).abs() <= b.tie_bound + 1e-12, "{} {} {}", x, y, b.tie_bound);
        }
    }

    #[test]
    fn binned_calibration_and_brier_equal_exact(r in arb_scores()) {
        let fine = ScoreBins::equal_width(20).unwrap();
        let coarse = ScoreBins::equal_width(4).unwrap();
        let b = build_binned(&fine, &r).distribution(&fine);
        let e = build_exact(&r).distribution();
        let (be, ee) = (b.brier().unwrap(), e.brier().unwrap());
        prop_assert_eq!(be.is_defined(), ee.is_defined());
        if let (Some(x), Some(y)) = (be.get(), ee.get()) {
            prop_assert!((x - y).abs() < 1e-12);
        }
        let (bc, ec) = (
            b.expected_calibration_error(&coarse).unwrap(),
            e.expected_calibration_error(&coarse).unwrap(),
        );
        if let (Some(x), Some(y)) = (bc.get(), ec.get()) {
            prop_assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn abroca_is_a_symmetric_distance(r1 in arb_scores(), r2 in arb_scores()) {
        let (a, b) = (build_exact(&r1).distribution(), build_exact(&r2).distribution());
        let (x, y) = (abroca(&a, &b), abroca(&b, &a));
        prop_assert_eq!(x.is_defined(), y.is_defined());
        if let (Some(x), Some(y)) = (x.get(), y.get()) {
            prop_assert!((x - y).abs() < 1e-12);
            prop_assert!((0.0..=1.0).contains(&x));
            // |AUC_a − AUC_b| = |∫ (ROC_a − ROC_b)| ≤ ABROCA.
            let d = (a.auc().value.get().unwrap() - b.auc().value.get().unwrap()).abs();
            prop_assert!(d <= x + 1e-12);
        }
        if let Some(z) = abroca(&a, &a).get() {
            prop_assert!(z.abs() < 1e-12);
        }
    }

    #[test]
    fn table_marginalisation_commutes_with_merge(
        r1 in prop::collection::vec((0usize..3, 0usize..2, any::<bool>(), 0u8..=20), 0..30),
        r2 in prop::collection::vec((0usize..3, 0usize..2, any::<bool>(), 0u8..=20), 0..30),
    ) {
        let attrs = vec![
            Attribute::new("a", [lv("0"), lv("1")]),
            Attribute::new("b", [lv("u")]),
        ];
        let build = |r: &[(usize, usize, bool, u8)]| {
            let mut t: CellTable<ExactScores> = CellTable::new(attrs.clone(), ()).unwrap();
            for &(a, b, y, s) in r {
                let c = t.cell(&[a, b]);
                t.get_mut(c).add(y, f64::from(s) / 20.0, 1.0).unwrap();
            }
            t
        };
        let (a, b) = (build(&r1), build(&r2));
        let mut ab = a.clone();
        ab.merge(&b).unwrap();
        let mut lhs_parts = a.marginalize(&[0]).unwrap();
        lhs_parts.merge(&b.marginalize(&[0]).unwrap()).unwrap();
        prop_assert_eq!(ab.marginalize(&[0]).unwrap(), lhs_parts);
        prop_assert_eq!(
            ab.marginalize(&[1, 0]).unwrap().marginalize(&[1]).unwrap(),
            ab.marginalize(&[0]).unwrap()
        );
        prop_assert_eq!(ab.marginalize(&[]).unwrap().total(), ab.total());
    }
}

// ---------------------------------------------------------------------------- oracle ---

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The fixtures root, or `None` (after saying so) when the file is absent and not required.
fn fixtures(what: &str, probe: &str) -> Option<PathBuf> {
    let root = std::env::var_os("AEQUO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/fixtures"));
    if root.join(probe).exists() {
        return Some(root);
    }
    if std::env::var("AEQUO_REQUIRE_FIXTURES").as_deref() == Ok("1") {
        panic!(
            "{what}: {} is missing and AEQUO_REQUIRE_FIXTURES=1; run scripts/oracle.sh",
            root.join(probe).display()
        );
    }
    eprintln!(
        "skipped: {what}: {} not present (run scripts/oracle.sh)",
        root.join(probe).display()
    );
    None
}

fn reference(what: &str) -> Option<(PathBuf, serde_json::Value)> {
    let root = fixtures(what, "oracle/score_reference.json")?;
    let text = std::fs::read_to_string(root.join("oracle/score_reference.json")).unwrap();
    Some((root, serde_json::from_str(&text).unwrap()))
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(f).collect()
}

#[test]
fn small_sets_match_scikit_learn() {
    let Some((_, r)) = reference("small score sets vs scikit-learn") else {
        return;
    };
    let mut worst = 0.0f64;
    for set in r["small"].as_array().unwrap() {
        let y: Vec<u8> = set["y"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u8)
            .collect();
        let s = floats(&set["s"]);
        let w: Option<Vec<f64>> = set["w"].as_array().map(|_| floats(&set["w"]));
        let mut e = ExactScores::new();
        for i in 0..y.len() {
            e.add(y[i] == 1, s[i], w.as_ref().map_or(1.0, |w| w[i]))
                .unwrap();
        }
        let d = e.distribution();
        let mut check = |a: f64, b: f64| {
            worst = worst.max((a - b).abs());
            close(a, b, 1e-12);
        };
        check(d.auc().value.get().unwrap(), f(&set["auc"]));
        check(d.brier().unwrap().get().unwrap(), f(&set["brier"]));
        let roc = d.roc().unwrap();
        let (fpr, tpr) = (floats(&set["roc_fpr"]), floats(&set["roc_tpr"]));
        assert_eq!(roc.len(), fpr.len(), "{}", set["name"]);
        for (p, (x, y)) in roc.iter().zip(fpr.iter().zip(&tpr)) {
            check(p.fpr, *x);
            check(p.tpr, *y);
        }
        let thin = d.roc_thinned().unwrap();
        let (fpr, tpr) = (floats(&set["roc_thin_fpr"]), floats(&set["roc_thin_tpr"]));
        assert_eq!(thin.len(), fpr.len(), "{}", set["name"]);
        for (p, (x, y)) in thin.iter().zip(fpr.iter().zip(&tpr)) {
            check(p.fpr, *x);
            check(p.tpr, *y);
        }
        // scikit-learn closes calibration bins on the right, aequo on the left (as the
        // tensor's histogram): a score exactly on an inner edge lands one bin apart.
        let five = ScoreBins::equal_width(5).unwrap();
        let on_edge = s
            .iter()
            .any(|x| five.edges().iter().any(|e| (x - e).abs() < 1e-12));
        if on_edge {
            eprintln!(
                "{}: a score lies on a calibration edge; calibration not compared",
                set["name"]
            );
        }
        if !set["cal5_prob_true"].is_null() && !on_edge {
            let curve = d.reliability(&ScoreBins::equal_width(5).unwrap()).unwrap();
            let (pt, pp) = (
                floats(&set["cal5_prob_true"]),
                floats(&set["cal5_prob_pred"]),
            );
            assert_eq!(curve.len(), pt.len());
            for (b, (t, p)) in curve.iter().zip(pt.iter().zip(&pp)) {
                check(b.observed_rate, *t);
                check(b.mean_predicted, *p);
            }
        }
    }
    eprintln!("small score sets: max |aequo − scikit-learn| = {worst:e}");
}

/// Splits one CSV line, honouring double quotes (COMPAS quotes some charge descriptions).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out
}

/// Reads (race, sex, label, score) from a CSV with CRLF or LF line endings; the first column of
/// a repeated name is used.
fn read_groups(path: &PathBuf, label: &str, score: &str) -> Vec<(String, String, bool, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = split_csv(lines.next().unwrap().trim_end_matches('\r'));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (r, s, l, sc) = (col("race"), col("sex"), col(label), col(score));
    lines
        .map(|line| split_csv(line.trim_end_matches('\r')))
        .filter(|f| f.len() > 1)
        .map(|f| {
            (
                f[r].clone(),
                f[s].clone(),
                f[l].trim() == "1",
                f[sc].trim().parse::<f64>().unwrap(),
            )
        })
        .collect()
}

/// Exact-mode AUC (and for Adult Brier, calibration, ABROCA) by group against scikit-learn.
fn auc_by_group(dataset: &str, extra: bool) {
    let what = format!("{dataset} AUC by group vs scikit-learn");
    let Some((root, r)) = reference(&what) else {
        return;
    };
    let spec = &r["auc_groups"][dataset];
    let path = root.join(spec["file"].as_str().unwrap());
    if !path.exists() {
        let _ = fixtures(&what, spec["file"].as_str().unwrap());
        return;
    }
    let data = read_groups(
        &path,
        spec["label"].as_str().unwrap(),
        spec["score"].as_str().unwrap(),
    );
    let levels = |i: usize| {
        Attribute::new(
            if i == 0 { "race" } else { "sex" },
            data.iter()
                .map(|d| lv(if i == 0 { &d.0 } else { &d.1 }))
                .collect::<Vec<_>>(),
        )
    };
    let mut table: CellTable<ExactScores> = CellTable::new(vec![levels(0), levels(1)], ()).unwrap();
    for (race, sex, y, s) in &data {
        let c = table.cell_of(&GroupKey(vec![lv(race), lv(sex)])).unwrap();
        table.get_mut(c).add(*y, *s, 1.0).unwrap();
    }
    let ten = ScoreBins::equal_width(10).unwrap();
    let mut worst_auc = 0.0f64;
    let mut worst_other = 0.0f64;
    let mut compared = 0;
    for rec in spec["records"].as_array().unwrap() {
        let grouping: Vec<&str> = rec["grouping"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let keep: Vec<usize> = grouping
            .iter()
            .map(|g| if *g == "race" { 0 } else { 1 })
            .collect();
        let m = table.marginalize(&keep).unwrap();
        let key = GroupKey(
            rec["key"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| lv(v.as_str().unwrap()))
                .collect(),
        );
        let cell = m.cell_of(&key).unwrap();
        let d = m.get(cell).distribution();
        let rows = d.rows();
        assert_eq!(rows[0] + rows[1], rec["n"].as_u64().unwrap(), "{key}");
        assert_eq!(rows[1], rec["positives"].as_u64().unwrap(), "{key}");
        let auc = d.auc();
        assert_eq!(auc.tie_bound, 0.0);
        match rec["auc"].as_f64() {
            Some(want) => {
                let got = auc.value.get().unwrap();
                worst_auc = worst_auc.max((got - want).abs());
                assert!(
                    (got - want).abs() < 1e-6,
                    "{dataset} {key}: {got} vs {want}"
                );
                compared += 1;
            }
            None => assert!(
                matches!(auc.value, Value::Undefined(Undefined::MissingClass { .. })),
                "{key}"
            ),
        }
        if extra {
            let mut check = |a: f64, b: f64| {
                worst_other = worst_other.max((a - b).abs());
                assert!((a - b).abs() < 1e-9, "{dataset} {key}: {a} vs {b}");
            };
            check(d.brier().unwrap().get().unwrap(), f(&rec["brier"]));
            check(
                d.expected_calibration_error(&ten).unwrap().get().unwrap(),
                f(&rec["ece10"]),
            );
            if let Some(fpr) = rec["roc_thin_fpr"].as_array() {
                let thin = d.roc_thinned().unwrap();
                assert_eq!(thin.len(), fpr.len(), "{key}");
                let tpr = floats(&rec["roc_thin_tpr"]);
                for (p, (x, y)) in thin.iter().zip(fpr.iter().zip(&tpr)) {
                    check(p.fpr, f(x));
                    check(p.tpr, *y);
                }
            }
            let curve = d.reliability(&ten).unwrap();
            let (pt, pp) = (
                floats(&rec["cal10_prob_true"]),
                floats(&rec["cal10_prob_pred"]),
            );
            assert_eq!(curve.len(), pt.len(), "{key}");
            for (b, (t, p)) in curve.iter().zip(pt.iter().zip(&pp)) {
                check(b.observed_rate, *t);
                check(b.mean_predicted, *p);
            }
        }
    }
    assert!(compared > 10, "{dataset}: only {compared} groups compared");
    eprintln!(
        "{dataset}: {compared} groups, max |AUC − roc_auc_score| = {worst_auc:e}; \
         Brier/ECE/calibration max diff = {worst_other:e}"
    );
    if extra {
        // Binned mode with 1000 equal-width bins: within the stated tie bound of the exact AUC.
        let bins = ScoreBins::equal_width(1000).unwrap();
        let mut binned: CellTable<BinnedScores> =
            CellTable::new(table.attributes().to_vec(), bins.clone()).unwrap();
        for (race, sex, y, s) in &data {
            let c = binned.cell_of(&GroupKey(vec![lv(race), lv(sex)])).unwrap();
            let (shape, cell) = binned.parts_mut(c);
            cell.add(shape, *y, *s, 1.0).unwrap();
        }
        let (mut worst_err, mut worst_bound) = (0.0f64, 0.0f64);
        for keep in [vec![0], vec![1], vec![0, 1]] {
            let (m, mb) = (
                table.marginalize(&keep).unwrap(),
                binned.marginalize(&keep).unwrap(),
            );
            for cell in m.cells() {
                let (e, b) = (
                    m.get(cell).distribution().auc(),
                    mb.get(cell).distribution(&bins).auc(),
                );
                if let (Some(x), Some(y)) = (e.value.get(), b.value.get()) {
                    assert!(
                        (x - y).abs() <= b.tie_bound + 1e-12,
                        "{x} {y} {}",
                        b.tie_bound
                    );
                    worst_err = worst_err.max((x - y).abs());
                    worst_bound = worst_bound.max(b.tie_bound);
                }
            }
        }
        eprintln!(
            "{dataset}: 1000 bins: max |binned AUC − exact| = {worst_err:e}, max stated bound = {worst_bound:e}"
        );
        let sex = table.marginalize(&[1]).unwrap();
        let male = sex.cell_of(&GroupKey(vec![lv("Male")])).unwrap();
        let female = sex.cell_of(&GroupKey(vec![lv("Female")])).unwrap();
        let a = abroca(
            &sex.get(male).distribution(),
            &sex.get(female).distribution(),
        )
        .get()
        .unwrap();
        let want = f(&spec["abroca_sex_male_female_grid"]);
        eprintln!(
            "{dataset}: ABROCA(Male, Female) = {a} (grid {want}, diff {:e})",
            (a - want).abs()
        );
        assert!((a - want).abs() < 1e-5, "{a} vs {want}");
    }
}

#[test]
fn adult_auc_brier_calibration_by_group_match_scikit_learn() {
    auc_by_group("adult", true);
}

#[test]
fn compas_auc_by_group_matches_scikit_learn() {
    auc_by_group("compas", false);
}
