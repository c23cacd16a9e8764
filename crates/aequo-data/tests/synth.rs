//! `synth` plants disparities whose true values are known in closed form; an audit of a large
//! sample must recover them within sampling error.

use aequo_core::audit::{audit, AuditOptions};
use aequo_core::{GroupKey, Metric};
use aequo_data::{scan, synth, Prediction, ScanSpec};

const ROWS: u64 = 300_000;

#[test]
fn audit_recovers_planted_disparities() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synth.parquet");
    let mut last = 0;
    synth::write(&path, ROWS, 42, |done| last = done).unwrap();
    assert_eq!(last, ROWS);
    let spec = ScanSpec::new(
        "repaid",
        Prediction::Column("approved".into()),
        vec!["sex".into(), "race".into(), "age_band".into()],
    );
    let s = scan(&path, &spec).unwrap();
    assert_eq!(s.summary.rows_used, ROWS);
    let r = audit(&s.tensor, s.summary, &AuditOptions::default()).unwrap();

    let mut checked = 0;
    for grouping in [vec![0], vec![1], vec![2], vec![0, 1]] {
        let names: Vec<&str> = grouping
            .iter()
            .map(|&g| synth::ATTRIBUTES[g].name)
            .collect();
        let got = r.grouping(&names).unwrap();
        for (key, expected) in synth::truth(&grouping) {
            let g = got.groups.iter().find(|g| g.key == key).unwrap();
            for m in [
                Metric::BaseRate,
                Metric::SelectionRate,
                Metric::TruePositiveRate,
                Metric::FalsePositiveRate,
            ] {
                let truth = m.evaluate(&expected, 0).get().unwrap();
                let (_, den) = m.fraction(&g.confusion).unwrap();
                let se = (truth * (1.0 - truth) / den).sqrt();
                let v = g.metric(m).unwrap().value.get().unwrap();
                assert!(
                    (v - truth).abs() < 4.5 * se,
                    "{names:?} {key} {m}: {v} vs truth {truth} (se {se})"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, (2 + 5 + 4 + 10) * 4);

    // The planted intersection: Black women are approved far less often than either marginal
    // suggests; the sex × race selection-rate gap recovers its true value.
    let truth_sr = |grouping: &[usize]| -> Vec<(GroupKey, f64)> {
        synth::truth(grouping)
            .into_iter()
            .map(|(k, c)| (k, Metric::SelectionRate.evaluate(&c, 0).get().unwrap()))
            .collect()
    };
    let t = truth_sr(&[0, 1]);
    let max = t.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let min = t.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    let crit = r
        .criteria
        .iter()
        .find(|c| {
            c.name == "demographic_parity_difference"
                && c.grouping.len() == 2
                && c.grouping[0].0 == "sex"
                && c.grouping[1].0 == "race"
                && c.method == aequo_core::disparity::Method::BetweenGroups
        })
        .unwrap();
    let got = crit.value.get().unwrap();
    // SE of a difference of two proportions from groups of ≥ 12,000 rows is below 0.006
    assert!(
        (got - (max - min)).abs() < 0.03,
        "sex × race DP difference {got} vs truth {}",
        max - min
    );
    let lowest = t.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert_eq!(lowest.0.to_string(), "female × Black");
    let sr = r
        .grouping(&["sex", "race"])
        .unwrap()
        .disparities
        .iter()
        .find(|d| d.metric == Metric::SelectionRate)
        .unwrap();
    assert_eq!(
        sr.between_groups.difference.groups[0].to_string(),
        "female × Black"
    );
}
