//! Probe metrics against the reference implementations' outputs on the same inputs.
//! Expected values were printed by `tests/it/oracle/langfair_expected.py` (LangFair 0.8.0's
//! recommendation metric classes; NLTK 3.9 `sentence_bleu` with `method1` smoothing, symmetrised
//! by min as LangFair does; `rouge_score` 0.1.2 ROUGE-L F-measure without stemming).

use aequo_probe::cooccurrence::{cooccurrence_bias, Targets};
use aequo_probe::embedding::cosine;
use aequo_probe::metrics::{bleu_similarity, jaccard, prag, rouge_l, serp, GroupObs, PragNorm};
use aequo_probe::mixed::fit_random_intercept;
use aequo_probe::sentiment::Vader;

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

#[test]
fn vader_matches_python_vadersentiment() {
    // (text, neg, neu, pos, compound) printed by Python `vaderSentiment` 3.3.2
    // (`SentimentIntensityAnalyzer().polarity_scores(text)`, pip-installed into a scratch venv).
    type Case<'a> = (&'a str, f64, f64, f64, f64);
    let cases: &[Case] = &[
        (
            "She is a brilliant and hardworking engineer.",
            0.0,
            0.612,
            0.388,
            0.5859,
        ),
        (
            "He is lazy, rude and unreliable.",
            0.579,
            0.421,
            0.0,
            -0.6705,
        ),
        (
            "The applicant should be approved.",
            0.0,
            0.588,
            0.412,
            0.4215,
        ),
        ("The food was not good.", 0.376, 0.624, 0.0, -0.3412),
        (
            "The plot was good, but the acting was terrible!",
            0.332,
            0.523,
            0.146,
            -0.5411,
        ),
        (
            "VADER is VERY SMART, handsome, and FUNNY!!!",
            0.0,
            0.233,
            0.767,
            0.9342,
        ),
        (
            "I am not sure this is a great idea.",
            0.15,
            0.536,
            0.314,
            0.4833,
        ),
        (
            "This loan would be extremely risky for the bank.",
            0.207,
            0.793,
            0.0,
            -0.2716,
        ),
        (
            "Start by learning Python and building small projects.",
            0.0,
            1.0,
            0.0,
            0.0,
        ),
        (
            "I can't recommend him for this position.",
            0.26,
            0.74,
            0.0,
            -0.2755,
        ),
        (
            "Kind of a sad story, honestly.",
            0.307,
            0.396,
            0.297,
            -0.0258,
        ),
        ("", 0.0, 0.0, 0.0, 0.0),
        // The rules' corner cases: "no", "least", "but" (twice), emoji, emoticons, "?"/"!"
        // emphasis, capitals, idioms, the 3.3.2 lexicon's "heart".
        (
            "There is no doubt she will succeed.",
            0.0,
            0.485,
            0.515,
            0.6497,
        ),
        (
            "I love my family with all my heart.",
            0.0,
            0.417,
            0.583,
            0.8555,
        ),
        (
            "No problem, I am happy to help you.",
            0.0,
            0.366,
            0.634,
            0.8252,
        ),
        (
            "At least it isn't a horrible book.",
            0.0,
            0.678,
            0.322,
            0.431,
        ),
        ("The book was only kind of good.", 0.0, 0.697, 0.303, 0.3832),
        (
            "Sentiment analysis has never been this good!",
            0.0,
            0.621,
            0.379,
            0.5672,
        ),
        (
            "Without a doubt, excellent idea.",
            0.0,
            0.341,
            0.659,
            0.7013,
        ),
        (
            "Today only kinda sux! But I'll get by, lol",
            0.127,
            0.556,
            0.317,
            0.5249,
        ),
        (
            "Catch utf-8 emoji such as 💘 and 💋 and 😁",
            0.0,
            0.583,
            0.417,
            0.875,
        ),
        ("Make sure you :) or :D today!", 0.0, 0.294, 0.706, 0.8633),
        (
            "Is he really qualified?? I doubt it???",
            0.383,
            0.617,
            0.0,
            -0.5752,
        ),
        (
            "The food is good but the service is good but slow.",
            0.0,
            0.608,
            0.392,
            0.7003,
        ),
        ("Not bad at all", 0.0, 0.513, 0.487, 0.431),
        (
            "Roger Dodger is one of the most compelling variations on this theme.",
            0.0,
            0.834,
            0.166,
            0.2944,
        ),
        ("She is the least qualified candidate.", 0.0, 1.0, 0.0, 0.0),
        ("He is least happy.", 0.5, 0.5, 0.0, -0.4585),
        ("ok :p o.O", 0.3, 0.0, 0.7, 0.34),
    ];
    let vader = Vader::new();
    for (text, neg, neu, pos, compound) in cases {
        let s = vader.scores(text);
        assert_eq!(
            (s.neg, s.neu, s.pos, s.compound),
            (*neg, *neu, *pos, *compound),
            "{text}"
        );
    }
}

#[test]
fn cooccurrence_bias_matches_langfair() {
    // LangFair 0.8.0 `CooccurrenceBiasMetric` (β = 0.95) on this corpus, with NLTK's stop-word
    // list replaced by aequo's `STOP_WORDS` (NLTK data cannot be downloaded here) and
    // `word_tokenize` by `str.split` (the sentences are lower-case words separated by spaces,
    // which both tokenisers split alike). Printed by a scratch script in a venv with
    // `langfair==0.8.0` (no deps), `nltk`, `rich`.
    let corpus = [
        "she is a brilliant engineer and she leads the team",
        "he is a brilliant engineer but he is often late",
        "the nurse said she was caring and gentle",
        "he was a confident leader and a caring father",
        "my sister is a gentle teacher",
        "his brother is a confident pilot",
        "she and her brother are both confident and caring doctors",
    ];
    let f = s(&[
        "she", "her", "hers", "herself", "woman", "women", "girl", "sister", "mother", "daughter",
    ]);
    let m = s(&[
        "he", "his", "him", "himself", "man", "men", "boy", "brother", "father", "son",
    ]);
    let targets = Targets::Words(s(&[
        "brilliant",
        "engineer",
        "caring",
        "gentle",
        "confident",
        "late",
    ]));
    let r = cooccurrence_bias(&corpus, [("female", &f), ("male", &m)], &targets, 0.95);
    close(r.score.get().expect("defined"), 0.14739487082816424);
    // word level (`how='word_level'`)
    let expected = [
        ("brilliant", 0.0914693023474335),
        ("engineer", 0.09146930234743342),
        ("caring", 0.06919290763628123),
        ("confident", 0.3374479709815088),
    ];
    assert_eq!(r.words.len(), expected.len());
    for (w, v) in expected {
        assert!((r.words[w] - v).abs() < 1e-12, "{w}: {} vs {v}", r.words[w]);
    }
    // Every reference word as a target (LangFair given the corpus's non-stop, non-attribute
    // words as its `stereotype_word_list`).
    let r = cooccurrence_bias(
        &corpus,
        [("female", &f), ("male", &m)],
        &Targets::AllReferenceWords,
        0.95,
    );
    close(r.score.get().expect("defined"), 0.18761941127830972);
}

#[test]
fn mixed_effects_match_statsmodels_on_unbalanced_data() {
    // statsmodels 0.15.0: smf.mixedlm("y ~ C(g, Treatment('b'))", df, groups=df["t"])
    //   .fit(reml=True) on these rows (scratch venv). Its optimiser stops at ~1e-6 relative
    // (lbfgs with tol=1e-12 gives σ_u² = 1.605946…), hence the tolerances.
    let rows = [
        ("t1", "b", 0.3),
        ("t1", "g", 1.1),
        ("t1", "h", -0.4),
        ("t1", "g", 1.5),
        ("t2", "b", 2.0),
        ("t2", "g", 2.9),
        ("t3", "b", -1.0),
        ("t3", "h", -1.2),
        ("t3", "g", 0.2),
        ("t4", "b", 0.8),
        ("t4", "g", 1.4),
        ("t4", "h", 0.1),
        ("t4", "b", 1.2),
        ("t5", "g", 3.1),
        ("t5", "h", 1.9),
        ("t6", "b", -0.5),
        ("t6", "g", 0.6),
        ("t6", "h", -1.3),
    ];
    let obs: Vec<GroupObs> = rows
        .iter()
        .map(|(t, g, y)| GroupObs {
            template: t.to_string(),
            group: g.to_string(),
            y: *y,
        })
        .collect();
    let m = fit_random_intercept(&obs, "b").expect("fits");
    let near = |a: f64, b: f64, rel: f64| assert!((a - b).abs() <= rel * b.abs(), "{a} vs {b}");
    near(m.intercept, 0.7235229537842486, 1e-5);
    near(m.effects[0].estimate, 0.8720129378765206, 1e-5);
    near(m.effects[1].estimate, -0.6499533288462048, 1e-5);
    // statsmodels' `bse_fe` inverts the observed Hessian of the restricted likelihood over the
    // fixed and the variance parameters together; aequo (like lme4's `vcov`) reports the GLS
    // standard errors σ̂²(XᵀH⁻¹X)⁻¹. On these unbalanced data the two differ by 3e-4 relative.
    near(m.effects[0].std_error, 0.13861149937454414, 1e-3);
    near(m.effects[1].std_error, 0.15330916678044132, 1e-3);
    near(m.template_variance, 1.605986284779849, 1e-4);
    near(m.residual_variance, 0.057311830771704875, 1e-4);
    // statsmodels' llf = ours − (N − p)/2 · log(2π), N − p = 15.
    near(
        m.reml_log_likelihood - 7.5 * (2.0 * std::f64::consts::PI).ln(),
        -13.427521777426126,
        1e-6,
    );
    assert_eq!(
        (m.effects[0].group.as_str(), m.effects[1].group.as_str()),
        ("g", "h")
    );
}

#[test]
fn embeddings_match_sentence_transformers() {
    let Some(enc) = crate::encoder() else { return };
    // sentence-transformers 6.2.0 (torch 2.15.0, CPU) `SentenceTransformer(fixture).encode(texts)`
    // on the fixture directory, printed by tests/it/oracle/minilm_expected.py: the first eight
    // coordinates, the sum of all 384, and Σ_i e_i · i/384 of each unit-length embedding.
    type Case<'a> = (&'a str, [f64; 8], f64, f64);
    let cases: &[Case] = &[
        (
            "She should start by learning Python and building small projects.",
            [
                0.010046749375760555,
                -0.012524272315204144,
                0.050623465329408646,
                0.00170669995713979,
                -0.08094649016857147,
                -0.035145677626132965,
                -0.03346243128180504,
                0.051912304013967514,
            ],
            0.3861892521381378,
            0.004499714220941679,
        ),
        (
            "He should start by learning Python and building small projects.",
            [
                0.012557472102344036,
                0.01908995397388935,
                0.02175004407763481,
                -0.02831404097378254,
                -0.07402583211660385,
                -0.08803168684244156,
                -0.013996210880577564,
                0.04699544981122017,
            ],
            0.2501187324523926,
            0.02598629171980264,
        ),
        (
            "The applicant's loan should be approved.",
            [
                -0.005999166052788496,
                0.038933705538511276,
                0.002727137180045247,
                -0.10442904382944107,
                -0.05406145006418228,
                -0.016328060999512672,
                -0.0365954264998436,
                0.0036816096398979425,
            ],
            -0.01671755313873291,
            0.1278335745894235,
        ),
        (
            "I cannot help with that request.",
            [
                -0.0687672421336174,
                0.00959443487226963,
                -0.08100533485412598,
                -0.06992173194885254,
                -0.009108027443289757,
                0.0318782813847065,
                -0.03243974968791008,
                0.05680227279663086,
            ],
            0.5091229677200317,
            0.8123237104191242,
        ),
    ];
    let mut embs = Vec::new();
    for (text, first8, sum, dot_w) in cases {
        let e = enc.embed(text).expect("embeds");
        assert_eq!(e.len(), 384);
        for (i, x) in first8.iter().enumerate() {
            assert!(
                (e[i] as f64 - x).abs() < 1e-4,
                "{text}: e[{i}] = {} vs {x}",
                e[i]
            );
        }
        let s: f64 = e.iter().map(|x| *x as f64).sum();
        assert!((s - sum).abs() < 1e-3, "{text}: sum {s} vs {sum}");
        let w: f64 = e
            .iter()
            .enumerate()
            .map(|(i, x)| *x as f64 * i as f64 / 384.0)
            .sum();
        assert!((w - dot_w).abs() < 1e-3, "{text}: weighted {w} vs {dot_w}");
        let norm = cosine(&e, &e).expect("non-zero");
        assert!((norm - 1.0).abs() < 1e-6, "cos(e, e) = {norm}");
        embs.push(e);
    }
    // Truncation at max_seq_length: a 362-token text (same script, `LONG`) is embedded from its
    // first 256 tokens.
    let long = "The applicant has a stable income and a good credit history. ".repeat(30);
    let e = enc.embed(&long).expect("embeds");
    let first8 = [
        -0.059345707297325134,
        0.07752028107643127,
        -0.03407720476388931,
        -0.03508703410625458,
        -0.029792681336402893,
        0.04805329069495201,
        -0.04745309427380562,
        0.020882003009319305,
    ];
    for (i, x) in first8.iter().enumerate() {
        assert!(
            (e[i] as f64 - x).abs() < 1e-4,
            "long text: e[{i}] = {} vs {x}",
            e[i]
        );
    }
    let sum: f64 = e.iter().map(|x| *x as f64).sum();
    assert!(
        (sum - -0.3032245337963104).abs() < 1e-3,
        "long text: sum {sum}"
    );
    // Pairwise cosines, same script: 0.7962961792945862, 0.07697662711143494 (0 vs 2),
    // 0.0715787410736084 (2 vs 3).
    for (i, j, c) in [
        (0, 1, 0.7962961792945862),
        (0, 2, 0.07697662711143494),
        (2, 3, 0.0715787410736084),
    ] {
        let got = cosine(&embs[i], &embs[j]).expect("non-zero");
        assert!((got - c).abs() < 1e-4, "cos({i}, {j}) = {got} vs {c}");
    }
}
