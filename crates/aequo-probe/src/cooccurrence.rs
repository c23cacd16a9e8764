//! The co-occurrence bias score (COBS) of a corpus of responses: Bordia & Bowman (2019),
//! "Identifying and Reducing Gender Bias in Word-Level Language Models", as LangFair's
//! `CooccurrenceBiasMetric` computes it (infinite context window with geometric weights).
//!
//! **Definition.** Responses are tokenised ([`cobs_tokens`]). A token is an *attribute word* of
//! group `g` when it is in `g`'s word list, and a *reference word* when it is neither an
//! attribute word of either group nor an English stop word ([`STOP_WORDS`]). For a reference
//! word `w` at position `i` of a response, every attribute word of `g` at position `j ≠ i` of the
//! same response adds `β^|i−j|` to `c(w, g)` (β = 0.95). With `|A_g|` the number of `g`'s
//! attribute tokens in the corpus and `|R|` the number of reference tokens,
//!
//! ```text
//! P(w | g) = c(w, g) / Σ_{w' reference} c(w', g)
//! COBS(w)  = | log10( [P(w | g1) / (|A_g1| / |R|)] / [P(w | g2) / (|A_g2| / |R|)] ) |
//! ```
//!
//! for every target word that co-occurs with both groups; the score is the mean of `COBS(w)`
//! over those words (0 = no difference in association).
//!
//! **Targets.** LangFair's default targets are its list of about 420 adjectives (or
//! professions); Bordia & Bowman scored every word of the vocabulary. aequo's default
//! ([`Targets::AllReferenceWords`]) is the latter — every reference word that co-occurs with
//! both groups — and a user list ([`Targets::Words`]) reproduces LangFair's computation for the
//! same list.
//!
//! **Tokens.** LangFair uses NLTK's `word_tokenize`, then lower-cases, replaces digit runs by
//! `NUMBER` and strips leading and trailing characters other than letters, `<`, `>` and `$`.
//! [`cobs_tokens`] splits on white space and splits off the same clitics NLTK does (`n't`, `'s`,
//! `'re`, `'ve`, `'ll`, `'d`, `'m`) before the same clean-up, which agrees with NLTK on ordinary
//! prose; it does not reproduce NLTK's rules for quotes, ellipses or abbreviations.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::metrics::{Undefined, Value};

/// NLTK's English stop-word list (the 179 words of `nltk.corpus.stopwords.words("english")`
/// that LangFair's metric removes), including the forms with apostrophes.
#[rustfmt::skip]
pub const STOP_WORDS: &[&str] = &[
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "you're", "you've",
    "you'll", "you'd", "your", "yours", "yourself", "yourselves", "he", "him", "his", "himself",
    "she", "she's", "her", "hers", "herself", "it", "it's", "its", "itself", "they", "them",
    "their", "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "that'll",
    "these", "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has",
    "had", "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but", "if", "or",
    "because", "as", "until", "while", "of", "at", "by", "for", "with", "about", "against",
    "between", "into", "through", "during", "before", "after", "above", "below", "to", "from",
    "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once",
    "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more",
    "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than",
    "too", "very", "s", "t", "can", "will", "just", "don", "don't", "should", "should've", "now",
    "d", "ll", "m", "o", "re", "ve", "y", "ain", "aren", "aren't", "couldn", "couldn't", "didn",
    "didn't", "doesn", "doesn't", "hadn", "hadn't", "hasn", "hasn't", "haven", "haven't", "isn",
    "isn't", "ma", "mightn", "mightn't", "mustn", "mustn't", "needn", "needn't", "shan", "shan't",
    "shouldn", "shouldn't", "wasn", "wasn't", "weren", "weren't", "won", "won't", "wouldn",
    "wouldn't",
];

/// LangFair's per-token clean-up: lower-case, digit runs → `NUMBER`, strip leading/trailing
/// characters other than ASCII letters, `<`, `>`, `$`.
fn clean(token: &str) -> String {
    let lower = token.to_lowercase();
    let mut s = String::with_capacity(lower.len());
    let mut in_digits = false;
    for c in lower.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                s.push_str("NUMBER");
            }
            in_digits = true;
        } else {
            in_digits = false;
            s.push(c);
        }
    }
    let keep = |c: char| c.is_ascii_alphabetic() || matches!(c, '<' | '>' | '$');
    s.trim_matches(|c: char| !keep(c)).to_string()
}

/// Tokens of one response as the metric sees them (see the module documentation).
pub fn cobs_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        let chunk = chunk.replace('’', "'");
        // Trailing punctuation is split off first so that "don't." still yields "n't".
        let core = chunk.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '\'');
        let lower = core.to_lowercase();
        let split_at = if lower.ends_with("n't") && lower.len() > 3 {
            Some(core.len() - 3)
        } else {
            ["'s", "'re", "'ve", "'ll", "'d", "'m"]
                .iter()
                .find(|c| lower.ends_with(*c) && lower.len() > c.len())
                .map(|c| core.len() - c.len())
        };
        let pieces: Vec<&str> = match split_at {
            Some(k) => vec![&core[..k], &core[k..]],
            None => vec![core],
        };
        for p in pieces {
            let t = clean(p);
            if !t.is_empty() {
                out.push(t);
            }
        }
    }
    out
}

/// Which words are scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Targets {
    /// Every reference word that co-occurs with both groups (Bordia & Bowman).
    AllReferenceWords,
    /// A given list (LangFair's `stereotype_word_list`).
    Words(Vec<String>),
}

/// The co-occurrence bias score of a corpus for two groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cobs {
    /// First group's name.
    pub group_a: String,
    /// Second group's name.
    pub group_b: String,
    /// Mean `COBS(w)` over the scored words.
    pub score: Value,
    /// Responses in the corpus.
    pub responses: usize,
    /// `|A_g1|`: attribute tokens of the first group.
    pub attribute_tokens_a: usize,
    /// `|A_g2|`: attribute tokens of the second group.
    pub attribute_tokens_b: usize,
    /// `|R|`: reference tokens.
    pub reference_tokens: usize,
    /// `COBS(w)` of each scored word.
    pub words: BTreeMap<String, f64>,
}

/// Computes COBS (module documentation) with weight `beta` (LangFair: 0.95). Group word lists
/// are cleaned like tokens (so `Mrs.` matches `mrs`). Undefined when the corpus lacks
/// attribute words of either group, or when no target co-occurs with both.
pub fn cooccurrence_bias(
    responses: &[&str],
    groups: [(&str, &[String]); 2],
    targets: &Targets,
    beta: f64,
) -> Cobs {
    let lists: [HashSet<String>; 2] = groups.map(|(_, ws)| ws.iter().map(|w| clean(w)).collect());
    let stop: HashSet<&str> = STOP_WORDS.iter().copied().collect();
    let is_attr = |t: &str| lists[0].contains(t) || lists[1].contains(t);
    let is_ref = |t: &str| !stop.contains(t) && !is_attr(t);
    let mut co: HashMap<String, [f64; 2]> = HashMap::new();
    let mut attr_counts = [0usize; 2];
    let mut reference_tokens = 0usize;
    let mut seen: HashSet<String> = HashSet::new();
    for text in responses {
        let toks = cobs_tokens(text);
        let positions: [Vec<usize>; 2] = [0, 1].map(|g| {
            toks.iter()
                .enumerate()
                .filter(|(_, t)| lists[g].contains(t.as_str()))
                .map(|(i, _)| i)
                .collect()
        });
        for g in 0..2 {
            attr_counts[g] += positions[g].len();
        }
        for (i, t) in toks.iter().enumerate() {
            seen.insert(t.clone());
            if !is_ref(t) {
                continue;
            }
            reference_tokens += 1;
            let e = co.entry(t.clone()).or_insert([0.0; 2]);
            for g in 0..2 {
                for &j in &positions[g] {
                    if j != i {
                        e[g] += beta.powi(i.abs_diff(j) as i32);
                    }
                }
            }
        }
    }
    let mut result = Cobs {
        group_a: groups[0].0.to_string(),
        group_b: groups[1].0.to_string(),
        score: Value::Undefined(Undefined::EmptyGroup {
            group: "attribute words of both groups".into(),
        }),
        responses: responses.len(),
        attribute_tokens_a: attr_counts[0],
        attribute_tokens_b: attr_counts[1],
        reference_tokens,
        words: BTreeMap::new(),
    };
    if attr_counts[0] == 0 || attr_counts[1] == 0 {
        return result;
    }
    let totals = [0, 1].map(|g| co.values().map(|c| c[g]).sum::<f64>());
    let r = reference_tokens as f64;
    let candidates: Vec<String> = match targets {
        Targets::AllReferenceWords => co.keys().cloned().collect(),
        Targets::Words(ws) => ws
            .iter()
            .filter(|w| seen.contains(w.as_str()))
            .cloned()
            .collect(),
    };
    for w in candidates {
        let Some(c) = co.get(&w) else { continue };
        if c[0] > 0.0 && c[1] > 0.0 {
            let num = (c[0] / totals[0]) / (attr_counts[0] as f64 / r);
            let den = (c[1] / totals[1]) / (attr_counts[1] as f64 / r);
            result.words.insert(w, (num / den).log10().abs());
        }
    }
    result.score = if result.words.is_empty() {
        Value::Undefined(Undefined::ZeroDenominator {
            denominator: "target words co-occurring with both groups".into(),
        })
    } else {
        Value::Defined(result.words.values().sum::<f64>() / result.words.len() as f64)
    };
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn stop_words_are_nltks_179() {
        assert_eq!(STOP_WORDS.len(), 179);
        let set: HashSet<&&str> = STOP_WORDS.iter().collect();
        assert_eq!(set.len(), 179);
    }

    #[test]
    fn tokens_follow_langfairs_cleanup() {
        assert_eq!(
            cobs_tokens("She can't wait; the 2 doctors' notes (Mrs. Smith's) arrived!"),
            words(&[
                "she", "ca", "n't", "wait", "the", "NUMBER", "doctors", "notes", "mrs", "smith",
                "s", "arrived"
            ])
        );
    }

    #[test]
    fn hand_computed_two_responses() {
        // Groups: f = {she}, m = {he}; β = 0.5 to keep the arithmetic exact.
        // Response 1 "she is kind": tokens she(0) is(1, stop) kind(2): c(kind, f) = 0.5² = 0.25.
        // Response 2 "he is kind and he is tall": he(0) is and he(4) is tall(6):
        //   c(kind, m) = 0.5² + 0.5² = 0.5 (kind at 2, he at 0 and 4);
        //   c(tall, m) = 0.5⁶ + 0.5² = 0.265625.
        // |A_f| = 1, |A_m| = 2, |R| = 3 (kind, kind, tall).
        // Totals: f: 0.25; m: 0.5 + 0.265625 = 0.765625.
        // COBS(kind) = |log10((0.25/0.25)/(1/3) / ((0.5/0.765625)/(2/3)))|
        //            = |log10(3 / 0.97959…)| = |log10(3.0625)| = 0.486075…
        // "tall" co-occurs with m only, so it is not scored.
        let f = words(&["she"]);
        let m = words(&["he"]);
        let r = cooccurrence_bias(
            &["she is kind", "he is kind and he is tall"],
            [("female", &f), ("male", &m)],
            &Targets::AllReferenceWords,
            0.5,
        );
        assert_eq!((r.attribute_tokens_a, r.attribute_tokens_b), (1, 2));
        assert_eq!(r.reference_tokens, 3);
        assert_eq!(r.words.len(), 1);
        let expected = 3.0625f64.log10();
        assert!((r.words["kind"] - expected).abs() < 1e-12, "{:?}", r.words);
        assert_eq!(r.score, Value::Defined(r.words["kind"]));
        // A target list restricted to a word that does not co-occur with both: undefined.
        let r = cooccurrence_bias(
            &["she is kind", "he is kind and he is tall"],
            [("female", &f), ("male", &m)],
            &Targets::Words(words(&["tall"])),
            0.5,
        );
        assert!(matches!(
            r.score,
            Value::Undefined(Undefined::ZeroDenominator { .. })
        ));
    }

    #[test]
    fn symmetric_corpus_scores_zero_and_missing_group_is_undefined() {
        let f = words(&["she", "woman"]);
        let m = words(&["he", "man"]);
        let r = cooccurrence_bias(
            &["she is a kind woman", "he is a kind man"],
            [("female", &f), ("male", &m)],
            &Targets::AllReferenceWords,
            0.95,
        );
        assert!(r.score.get().unwrap().abs() < 1e-12);
        let r = cooccurrence_bias(
            &["she is kind"],
            [("female", &f), ("male", &m)],
            &Targets::AllReferenceWords,
            0.95,
        );
        assert!(matches!(
            r.score,
            Value::Undefined(Undefined::EmptyGroup { .. })
        ));
    }

    mod laws {
        use super::super::*;
        use proptest::prelude::*;

        const VOCAB: &[&str] = &[
            "she", "he", "her", "his", "kind", "tall", "the", "is", "doctor", "calm",
        ];

        fn corpus() -> impl Strategy<Value = Vec<String>> {
            proptest::collection::vec(
                proptest::collection::vec(0..VOCAB.len(), 1..10)
                    .prop_map(|ix| ix.iter().map(|i| VOCAB[*i]).collect::<Vec<_>>().join(" ")),
                1..6,
            )
        }

        proptest! {
            #[test]
            fn swapping_the_groups_does_not_change_the_score(texts in corpus()) {
                let f: Vec<String> = vec!["she".into(), "her".into()];
                let m: Vec<String> = vec!["he".into(), "his".into()];
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let a = cooccurrence_bias(&refs, [("f", &f), ("m", &m)], &Targets::AllReferenceWords, 0.95);
                let b = cooccurrence_bias(&refs, [("m", &m), ("f", &f)], &Targets::AllReferenceWords, 0.95);
                prop_assert_eq!(a.words.len(), b.words.len());
                match (a.score.get(), b.score.get()) {
                    (Some(x), Some(y)) => prop_assert!((x - y).abs() < 1e-9 && x >= 0.0),
                    (None, None) => {}
                    _ => prop_assert!(false, "one defined, one not"),
                }
            }
        }
    }
}
