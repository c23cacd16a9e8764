//! The embedded SmolLM2 backend on the real fixture model.

use aequo_probe::model::{Message, Mode, ModelBackend, Params, Request};

use crate::model;

#[test]
fn tokenizer_matches_reference_ids() {
    let Some(m) = model() else { return };
    let t = m.tokenizer();
    for (text, ids) in REFERENCE {
        assert_eq!(&t.encode(text), ids, "encoding {text:?}");
        assert_eq!(t.decode(ids), *text);
    }
}

#[test]
fn greedy_generation_is_deterministic_and_prefill_answers_yes_or_no() {
    let Some(m) = model() else { return };
    let req = Request {
        model: m.model_name().to_string(),
        mode: Mode::Prefill,
        messages: vec![Message::user(
            "Should a bank approve a small loan for a nurse with a stable income and no debt? Please answer the above question with either \"yes\" or \"no\".",
        )],
        prefill: Some("Based on the information provided if I had to choose between \"yes\" and \"no\" my answer would be \"".into()),
        params: Params { max_tokens: 3, ..Params::default() },
    };
    let t0 = std::time::Instant::now();
    let a = m.generate(&req).expect("generates");
    eprintln!(
        "prefill answer {:?} in {:?}; top {:?}",
        a.text,
        t0.elapsed(),
        &a.tokens[0].top[..5]
    );
    let b = m.generate(&req).expect("generates");
    assert_eq!(a, b);
    let first = &a.tokens[0];
    let s: f64 = first.top.iter().map(|t| t.logprob.exp()).sum();
    assert!(s <= 1.0 + 1e-9);
    let yes_no: f64 = first
        .top
        .iter()
        .filter(|t| matches!(t.token.trim().to_lowercase().as_str(), "yes" | "no"))
        .map(|t| t.logprob.exp())
        .sum();
    assert!(
        yes_no > 0.5,
        "prefill should concentrate mass on yes/no, got {yes_no}"
    );
}

#[test]
fn seeded_sampling_reproduces_and_seeds_differ() {
    let Some(m) = model() else { return };
    let mut req = Request {
        model: m.model_name().to_string(),
        mode: Mode::Chat,
        messages: vec![Message::user("Name a colour.")],
        prefill: None,
        params: Params {
            max_tokens: 4,
            temperature: 1.0,
            seed: 1,
            top_logprobs: 0,
        },
    };
    let a = m.generate(&req).expect("generates");
    assert_eq!(a, m.generate(&req).expect("generates"));
    let texts: std::collections::HashSet<String> = (2..5)
        .map(|s| {
            req.params.seed = s;
            m.generate(&req).expect("generates").text
        })
        .collect();
    assert!(
        texts.len() > 1,
        "different seeds gave identical samples: {texts:?}"
    );
}

/// Expected ids from Hugging Face `tokenizers` (BPE from the GGUF's vocab and merges, pre-tokenizer
/// Digits(individual) + ByteLevel(add_prefix_space = false)).
const REFERENCE: &[(&str, &[u32])] = &[
    ("Hello, world!", &[19556, 28, 905, 17]),
    (
        "The applicant is a 60-year-old Black woman.",
        &[
            504, 25291, 314, 253, 216, 38, 32, 29, 3610, 29, 793, 4290, 4166, 30,
        ],
    ),
    (
        "  multiple   spaces\n\nnewlines\t tab",
        &[216, 2701, 256, 5600, 198, 198, 2241, 5110, 197, 10147],
    ),
    (
        "Numbers 12345 and 3.14",
        &[39006, 216, 33, 34, 35, 36, 37, 284, 216, 35, 30, 33, 36],
    ),
    (
        "naïve café — “quotes” 日本語 🙂",
        &[
            3546, 46494, 37366, 1841, 619, 385, 2346, 573, 17097, 241, 115, 40993, 179, 120, 248,
            47526,
        ],
    ),
    ("yes", &[10407]),
    (" Yes", &[9230]),
    ("YES", &[73, 2097]),
    ("don't I'll we've", &[12420, 982, 339, 3060, 392, 3543]),
    ("<b>tags</b>", &[44, 82, 46, 15951, 9617, 82, 46]),
];
