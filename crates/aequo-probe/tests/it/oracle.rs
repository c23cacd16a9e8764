//! Probe metrics against the reference implementations' outputs on the same inputs.
//! Expected values were printed by `tests/it/oracle/langfair_expected.py` (LangFair 0.8.0's
//! recommendation metric classes; NLTK 3.9 `sentence_bleu` with `method1` smoothing, symmetrised
//! by min as LangFair does; `rouge_score` 0.1.2 ROUGE-L F-measure without stemming).

use aequo_probe::metrics::{bleu_similarity, jaccard, prag, rouge_l, serp, PragNorm};

fn s(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn recommendation_metrics_match_langfair() {
    // (list1, list2, Jaccard, SERP, PRAG)
    type Case<'a> = (&'a [&'a str], &'a [&'a str], f64, f64, f64);
    let cases: &[Case] = &[
        (
            &["a", "b", "c", "d", "e"],
            &["b", "a", "f", "c", "g"],
            0.42857142857142855,
            0.25,
            0.26666666666666666,
        ),
        (&["a", "b", "c"], &["c", "b", "a"], 1.0, 0.375, 0.0),
        (&["x", "y", "z", "w"], &["x", "y", "z", "w"], 1.0, 0.35, 0.3),
        (
            &["p", "q", "r", "s", "t", "u"],
            &["u", "t", "q"],
            0.5,
            0.13095238095238096,
            0.047619047619047616,
        ),
        (&["m"], &["m"], 1.0, 0.5, 1.0),
    ];
    for (a, b, j, sp, pr) in cases {
        let (a, b) = (s(a), s(b));
        close(jaccard(&a, &b).expect("non-empty"), *j);
        close(serp(&a, &b).expect("non-empty"), *sp);
        close(prag(&a, &b, PragNorm::LangFair), *pr);
    }
}

#[test]
fn text_similarity_matches_nltk_and_rouge_score() {
    let cases: &[(&str, &str, f64, f64)] = &[
        (
            "he is a doctor and he works in the city hospital",
            "she is a doctor and she works at the city hospital",
            0.3508439695638686,
            0.7272727272727273,
        ),
        (
            "the applicant should be approved because the income is stable",
            "the applicant should not be approved because income is not stable",
            0.18360281349467963,
            0.8571428571428572,
        ),
        ("yes", "no", 0.0, 0.0),
        (
            "i would recommend the loan for this person",
            "i would recommend the loan for this person",
            1.0,
            1.0,
        ),
    ];
    for (a, b, bleu, rouge) in cases {
        close(bleu_similarity(a, b), *bleu);
        close(rouge_l(a, b), *rouge);
    }
}
