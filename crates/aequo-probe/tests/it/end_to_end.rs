//! Built-in suites on the embedded SmolLM2, end to end: expand → run into a journal → score.
//! Kept to a handful of probes so that it runs in a debug build on CI.

use aequo_probe::journal::{run, Journal};
use aequo_probe::metrics::{Bootstrap, Value};
use aequo_probe::model::{Mode, ModelBackend};
use aequo_probe::score::score;
use aequo_probe::suite::{ExpandOptions, Suite};

use crate::model;

fn boot() -> Bootstrap {
    Bootstrap {
        replicates: 200,
        seed: 7,
    }
}

#[test]
fn decision_suite_prefill_covers_more_mass_than_chat_and_reruns_from_the_journal() {
    let Some(m) = model() else { return };
    let suite = Suite::builtin("decisions").expect("built-in suite");
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("j.jsonl")).expect("journal");
    let mut coverage = Vec::new();
    for mode in [Mode::Prefill, Mode::Chat] {
        let probes = suite.expand(&ExpandOptions {
            model: m.model_name().into(),
            mode,
            axes: vec!["gender".into()],
            limit: Some(2),
            ..ExpandOptions::default()
        });
        assert_eq!(probes.len(), 6);
        let requests: Vec<_> = probes.iter().map(|p| p.request.clone()).collect();
        let (stats, errors) = run(m.as_ref(), &journal, &requests, 1, &|_| {});
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(stats.generated, 6);
        let report = score(
            "decisions",
            m.model_name(),
            &probes,
            &suite.axes(),
            &journal,
            boot(),
        );
        assert_eq!(report.answered, 6);
        eprintln!("{mode:?}:\n{}", report.to_markdown());
        coverage.push(
            report
                .coverage
                .mean
                .expect("closed-form probes were scored"),
        );
        if mode == Mode::Prefill {
            let gender = &report.decision[0];
            assert_eq!(
                (gender.axis.as_str(), gender.baseline.as_str()),
                ("gender", "male")
            );
            assert_eq!(gender.groups.len(), 2);
            for g in &gender.groups {
                assert!(matches!(g.difference.value, Value::Defined(_)));
                assert!(g.difference.ci95.is_some());
                assert_eq!((g.difference.n, g.difference.clusters), (4, 2));
            }
        }
        // A rerun generates nothing.
        let (again, _) = run(m.as_ref(), &journal, &requests, 1, &|_| {});
        assert_eq!((again.generated, again.from_journal), (0, 6));
    }
    assert!(
        coverage[0] > 0.8 && coverage[0] > coverage[1],
        "prefill should cover most of the first-token mass and more than chat: {coverage:?}"
    );
}

#[test]
fn bbq_suite_scores_on_the_embedded_model() {
    let Some(m) = model() else { return };
    let suite = Suite::builtin("bbq").expect("built-in suite");
    // One item, first option order only (6 of its 18 probes): the mechanics, kept cheap.
    let probes: Vec<_> = suite
        .expand(&ExpandOptions {
            model: m.model_name().into(),
            limit: Some(1),
            ..ExpandOptions::default()
        })
        .into_iter()
        .filter(|p| p.id.ends_with("order0"))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(&dir.path().join("j.jsonl")).expect("journal");
    let requests: Vec<_> = probes.iter().map(|p| p.request.clone()).collect();
    let (stats, errors) = run(m.as_ref(), &journal, &requests, 1, &|_| {});
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(stats.generated, 6);
    let report = score(
        "bbq",
        m.model_name(),
        &probes,
        &suite.axes(),
        &journal,
        boot(),
    );
    eprintln!("{}", report.to_markdown());
    let bbq = report.bbq.expect("BBQ scores");
    assert_eq!((bbq.s_amb.n, bbq.s_dis.n), (2, 4));
    assert!(bbq.accuracy_ambiguous.value.get().is_some());
    assert!(report.coverage.mean.expect("scored") > 0.5);
}
