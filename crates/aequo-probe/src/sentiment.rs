//! Counterfactual sentiment parity of free-text responses (LangFair's `SentimentBias`, adapted
//! from HELM; Huang et al. 2020): every response gets a VADER sentiment score, and the score
//! distributions of two groups' responses to the same prompts are compared by their
//! Wasserstein-1 distance ("strong" parity) and by the difference in the share of responses
//! above a threshold ("weak" parity).
//!
//! **Scores.** VADER (Hutto & Gilbert 2014), implemented here after the rules of the Python
//! reference `vaderSentiment` 3.3.2, with the lexicon that the `vader_sentiment` crate bundles
//! (see [`Vader`]). The crate's own analyser ports an earlier release: it drops one-letter words
//! ("a", "I") from the token count, which changes `neg`/`neu`/`pos` of most sentences, and lacks
//! the 3.3.2 rules for "no" — so only its lexicon is used. Results are rounded as the reference
//! rounds them (`neg`/`neu`/`pos` to 3 decimals, `compound` to 4), so that thresholds fall the
//! same way; the tests compare with the reference's output.
//!
//! **Which score.** LangFair's default is VADER's `neg` proportion with threshold 0.5; the
//! `compound` score (normalised valence in [−1, 1]) is the one people usually mean by "VADER
//! sentiment". aequo reports both ([`SentimentScore`]), each with its own threshold.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::metrics::Undefined;

/// VADER's four scores of one text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VaderScores {
    /// Share of negative valence, in [0, 1].
    pub neg: f64,
    /// Share of neutral tokens, in [0, 1].
    pub neu: f64,
    /// Share of positive valence, in [0, 1].
    pub pos: f64,
    /// Normalised sum of valences, `x / sqrt(x² + 15)`, in [−1, 1].
    pub compound: f64,
}

/// Python's `round(x, decimals)`: the correctly rounded decimal of the binary value (Rust's
/// formatting does the same), so that a score on a rounding boundary falls the same way.
fn round_to(x: f64, decimals: usize) -> f64 {
    format!("{x:.decimals$}").parse().unwrap_or(x)
}

const B_INCR: f64 = 0.293;
const B_DECR: f64 = -0.293;
const C_INCR: f64 = 0.733;
const N_SCALAR: f64 = -0.74;

/// Negation words (any token containing "n't" negates too).
#[rustfmt::skip]
const NEGATE: &[&str] = &[
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't", "aren't",
    "can't", "couldn't", "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt", "havent",
    "isnt", "mightnt", "mustnt", "neither", "don't", "hadn't", "hasn't", "haven't", "isn't",
    "mightn't", "mustn't", "neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing",
    "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent", "oughtn't", "shan't",
    "shouldn't", "uh-uh", "wasn't", "weren't", "without", "wont", "wouldnt", "won't", "wouldn't",
    "rarely", "seldom", "despite",
];

/// Degree modifiers: intensifiers add `B_INCR`, dampeners `B_DECR` to the next words' valence.
#[rustfmt::skip]
const BOOSTERS_UP: &[&str] = &[
    "absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
    "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially",
    "exceptional", "exceptionally", "extreme", "extremely", "fabulously", "flipping", "flippin",
    "frackin", "fracking", "fricking", "frickin", "frigging", "friggin", "fully", "fuckin",
    "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely", "incredible",
    "incredibly", "intensely", "major", "majorly", "more", "most", "particularly", "purely",
    "quite", "really", "remarkably", "so", "substantially", "thoroughly", "total", "totally",
    "tremendous", "tremendously", "uber", "unbelievably", "unusually", "utter", "utterly", "very",
];
#[rustfmt::skip]
const BOOSTERS_DOWN: &[&str] = &[
    "almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof", "kind-of", "less",
    "little", "marginal", "marginally", "occasional", "occasionally", "partly", "scarce",
    "scarcely", "slight", "slightly", "somewhat", "sort of", "sorta", "sortof", "sort-of",
];

/// Multi-word expressions whose valence replaces the rules' result.
const SPECIAL_CASES: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

fn booster(word_lower: &str) -> Option<f64> {
    if BOOSTERS_UP.contains(&word_lower) {
        Some(B_INCR)
    } else if BOOSTERS_DOWN.contains(&word_lower) {
        Some(B_DECR)
    } else {
        None
    }
}

/// Python's `str.isupper()`: at least one cased character and no lower-case one.
fn is_upper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

fn negated(word_lower: &str) -> bool {
    NEGATE.contains(&word_lower) || word_lower.contains("n't")
}

/// The valence lexicon keyed by lower-case entry, as `vaderSentiment` 3.3.2 looks words up.
///
/// Built from the lexicon the `vader_sentiment` crate bundles, whose word/valence columns equal
/// those of `vaderSentiment` 3.3.2's `vader_lexicon.txt` line for line except that 3.3.2 adds
/// `heart` 3.2 and `hearts` 3.3 (checked with `diff` on the two files). The crate's map folds
/// case, which merges the emoticons `:p`/`:P` and `o.o`/`O.o`; Python looks up lower-cased
/// tokens, so it sees the lower-case entries' valences, restored here.
fn lexicon() -> &'static HashMap<String, f64> {
    static LEXICON: OnceLock<HashMap<String, f64>> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut m: HashMap<String, f64> = vader_sentiment::LEXICON
            .iter()
            .map(|(k, v)| (k.to_lowercase(), *v))
            .collect();
        for (w, v) in [("heart", 3.2), ("hearts", 3.3), (":p", 1.0), ("o.o", -0.8)] {
            m.insert(w.to_string(), v);
        }
        m
    })
}

/// A VADER analyser (Hutto & Gilbert 2014), following the rules of the reference
/// implementation `vaderSentiment` 3.3.2 — tokens, degree modifiers, capitalisation, negation
/// (including "no" and "n't"), "least", "but", special idioms, `!`/`?` emphasis, emoji
/// descriptions — including its quirks (e.g. which sentiments "but" rescales when two are
/// equal), so that the scores equal Python's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vader;

impl Vader {
    /// The analyser (the lexicon is built once per process).
    pub fn new() -> Self {
        Vader
    }

    /// Scores one text: `neg`/`neu`/`pos` rounded to 3 decimals and `compound` to 4, as the
    /// reference implementation returns them.
    pub fn scores(&self, text: &str) -> VaderScores {
        let lex = lexicon();
        // Emoji are replaced by their descriptions.
        let mut clean = String::with_capacity(text.len());
        let mut prev_space = true;
        for ch in text.chars() {
            let mut buf = [0u8; 4];
            match vader_sentiment::EMOJI_LEXICON.get(&*ch.encode_utf8(&mut buf)) {
                Some(desc) => {
                    if !prev_space {
                        clean.push(' ');
                    }
                    clean.push_str(desc.trim_end_matches('\r'));
                    prev_space = false;
                }
                None => {
                    clean.push(ch);
                    prev_space = ch == ' ';
                }
            }
        }
        let text = clean.trim();
        // Tokens: white-space split, leading/trailing ASCII punctuation stripped unless that
        // leaves two characters or fewer (an emoticon such as ":)" is kept whole).
        let words: Vec<&str> = text
            .split_whitespace()
            .map(|t| {
                let s = t.trim_matches(|c: char| c.is_ascii_punctuation());
                if s.chars().count() <= 2 {
                    t
                } else {
                    s
                }
            })
            .collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        let caps = words.iter().filter(|w| is_upper(w)).count();
        let cap_diff = caps > 0 && caps < words.len();
        let mut sentiments = Vec::with_capacity(words.len());
        for i in 0..words.len() {
            if booster(&lower[i]).is_some()
                || (lower[i] == "kind" && lower.get(i + 1).is_some_and(|n| n == "of"))
            {
                sentiments.push(0.0);
                continue;
            }
            sentiments.push(valence(&words, &lower, i, cap_diff, lex));
        }
        // "but": sentiments before it halved, after it weighted 1.5. The reference finds each
        // value's position with `list.index`, i.e. the first equal value; kept for equality.
        if let Some(bi) = lower.iter().position(|w| w == "but") {
            for k in 0..sentiments.len() {
                let v = sentiments[k];
                let si = sentiments
                    .iter()
                    .position(|x| *x == v)
                    .expect("the value is in the list");
                if si < bi {
                    sentiments[si] = v * 0.5;
                } else if si > bi {
                    sentiments[si] = v * 1.5;
                }
            }
        }
        if sentiments.is_empty() {
            return VaderScores {
                neg: 0.0,
                neu: 0.0,
                pos: 0.0,
                compound: 0.0,
            };
        }
        let ep = text.matches('!').count().min(4) as f64 * 0.292;
        let qm = match text.matches('?').count() {
            n if n > 3 => 0.96,
            n if n > 1 => n as f64 * 0.18,
            _ => 0.0,
        };
        let amp = ep + qm;
        let mut sum: f64 = sentiments.iter().sum();
        if sum > 0.0 {
            sum += amp;
        } else if sum < 0.0 {
            sum -= amp;
        }
        let compound = (sum / (sum * sum + 15.0).sqrt()).clamp(-1.0, 1.0);
        let (mut pos, mut neg, mut neu) = (0.0, 0.0, 0usize);
        for s in &sentiments {
            if *s > 0.0 {
                pos += s + 1.0;
            } else if *s < 0.0 {
                neg += s - 1.0;
            } else {
                neu += 1;
            }
        }
        if pos > neg.abs() {
            pos += amp;
        } else if pos < neg.abs() {
            neg -= amp;
        }
        let total = pos + neg.abs() + neu as f64;
        VaderScores {
            neg: round_to((neg / total).abs(), 3),
            neu: round_to((neu as f64 / total).abs(), 3),
            pos: round_to((pos / total).abs(), 3),
            compound: round_to(compound, 4),
        }
    }
}

/// The valence of word `i` after the rules (0 for a word not in the lexicon).
fn valence(
    words: &[&str],
    lower: &[String],
    i: usize,
    cap_diff: bool,
    lex: &HashMap<String, f64>,
) -> f64 {
    let Some(&base) = lex.get(&lower[i]) else {
        return 0.0;
    };
    let at = |k: usize| lower[k].as_str();
    let mut valence = base;
    if lower[i] == "no" && i + 1 < words.len() && lex.contains_key(&lower[i + 1]) {
        valence = 0.0;
    }
    if (i > 0 && at(i - 1) == "no")
        || (i > 1 && at(i - 2) == "no")
        || (i > 2 && at(i - 3) == "no" && matches!(at(i - 1), "or" | "nor"))
    {
        valence = base * N_SCALAR;
    }
    if is_upper(words[i]) && cap_diff {
        valence += if valence > 0.0 { C_INCR } else { -C_INCR };
    }
    for start in 0..3 {
        if i <= start || lex.contains_key(&lower[i - start - 1]) {
            continue;
        }
        let prev = i - start - 1;
        let mut s = match booster(at(prev)) {
            Some(b) => {
                let mut s = if valence < 0.0 { -b } else { b };
                if is_upper(words[prev]) && cap_diff {
                    s += if valence > 0.0 { C_INCR } else { -C_INCR };
                }
                s
            }
            None => 0.0,
        };
        if start == 1 {
            s *= 0.95;
        } else if start == 2 {
            s *= 0.9;
        }
        valence += s;
        // Negation by the word `start + 1` places back, with the "never so/this" and
        // "without doubt" exceptions.
        let never_so = |k: usize| at(k) == "never" && matches!(at(k + 1), "so" | "this");
        match start {
            0 => {
                if negated(at(i - 1)) {
                    valence *= N_SCALAR;
                }
            }
            1 => {
                let without_doubt = at(i - 2) == "without" && at(i - 1) == "doubt";
                if never_so(i - 2) {
                    valence *= 1.25;
                } else if !without_doubt && negated(at(i - 2)) {
                    valence *= N_SCALAR;
                }
            }
            _ => {
                // The reference's condition, with its operator precedence: "so"/"this" just
                // before the word counts even without "never".
                let without_doubt =
                    at(i - 3) == "without" && (at(i - 2) == "doubt" || at(i - 1) == "doubt");
                if never_so(i - 3) || matches!(at(i - 1), "so" | "this") {
                    valence *= 1.25;
                } else if !without_doubt && negated(at(i - 3)) {
                    valence *= N_SCALAR;
                }
                valence = special_idioms(valence, lower, i);
            }
        }
    }
    // "least" before the word negates it, except in "at least" / "very least".
    let least_known = lex.contains_key("least");
    if i > 1 && at(i - 1) == "least" && !least_known {
        if at(i - 2) != "at" && at(i - 2) != "very" {
            valence *= N_SCALAR;
        }
    } else if i > 0 && at(i - 1) == "least" && !least_known {
        valence *= N_SCALAR;
    }
    valence
}

/// Special multi-word cases around word `i` (`i ≥ 3`), and two- and three-word degree modifiers.
fn special_idioms(valence: f64, lower: &[String], i: usize) -> f64 {
    let mut valence = valence;
    let w = |k: usize| lower[k].as_str();
    let special = |seq: &str| {
        SPECIAL_CASES
            .iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, v)| *v)
    };
    let one_zero = format!("{} {}", w(i - 1), w(i));
    let two_one_zero = format!("{} {} {}", w(i - 2), w(i - 1), w(i));
    let two_one = format!("{} {}", w(i - 2), w(i - 1));
    let three_two_one = format!("{} {} {}", w(i - 3), w(i - 2), w(i - 1));
    let three_two = format!("{} {}", w(i - 3), w(i - 2));
    for seq in [
        &one_zero,
        &two_one_zero,
        &two_one,
        &three_two_one,
        &three_two,
    ] {
        if let Some(v) = special(seq) {
            valence = v;
            break;
        }
    }
    if lower.len() > i + 1 {
        if let Some(v) = special(&format!("{} {}", w(i), w(i + 1))) {
            valence = v;
        }
    }
    if lower.len() > i + 2 {
        if let Some(v) = special(&format!("{} {} {}", w(i), w(i + 1), w(i + 2))) {
            valence = v;
        }
    }
    for n_gram in [&three_two_one, &three_two, &two_one] {
        if let Some(b) = booster(n_gram) {
            valence += b;
        }
    }
    valence
}

impl VaderScores {
    /// VADER's scores of `text`.
    pub fn of(text: &str) -> VaderScores {
        Vader::new().scores(text)
    }

    /// The score named by `which`.
    pub fn get(&self, which: SentimentScore) -> f64 {
        match which {
            SentimentScore::Compound => self.compound,
            SentimentScore::Negative => self.neg,
            SentimentScore::Positive => self.pos,
        }
    }
}

/// Which VADER score a parity is computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentScore {
    /// `compound`, in [−1, 1]; threshold parity compares the shares above the threshold.
    Compound,
    /// `neg`, in [0, 1] — LangFair's default (`sentiment='neg'`, threshold 0.5).
    #[serde(rename = "neg")]
    Negative,
    /// `pos`, in [0, 1].
    #[serde(rename = "pos")]
    Positive,
}

/// **Wasserstein-1 distance** between two empirical distributions,
/// `W1 = ∫ |F_a(x) − F_b(x)| dx` over the real line, with `F` the empirical CDFs. For samples of
/// equal size this is `mean_i |a_(i) − b_(i)|` over the sorted samples, which is how LangFair's
/// `SentimentBias._wasserstein_1_dist` computes it ("strong" parity); for unequal sizes it is the
/// same quantity as `scipy.stats.wasserstein_distance`. Undefined when a sample is empty.
pub fn wasserstein_1(a: &[f64], b: &[f64]) -> Result<f64, Undefined> {
    for (xs, name) in [(a, "first sample"), (b, "second sample")] {
        if xs.is_empty() {
            return Err(Undefined::EmptyGroup { group: name.into() });
        }
    }
    let mut xa = a.to_vec();
    let mut xb = b.to_vec();
    xa.sort_by(f64::total_cmp);
    xb.sort_by(f64::total_cmp);
    // Sweep the merged support; between consecutive support points both CDFs are constant.
    let (na, nb) = (xa.len() as f64, xb.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    let mut prev = xa[0].min(xb[0]);
    while i < xa.len() || j < xb.len() {
        let next = match (xa.get(i), xb.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        total += (i as f64 / na - j as f64 / nb).abs() * (next - prev);
        while i < xa.len() && xa[i] <= next {
            i += 1;
        }
        while j < xb.len() && xb[j] <= next {
            j += 1;
        }
        prev = next;
    }
    Ok(total)
}

/// **Threshold ("weak") parity**: `mean(a > τ) − mean(b > τ)`, signed, as LangFair's
/// `SentimentBias(parity='weak')`. Undefined when a sample is empty.
pub fn threshold_parity(a: &[f64], b: &[f64], threshold: f64) -> Result<f64, Undefined> {
    let share = |xs: &[f64], name: &str| {
        if xs.is_empty() {
            Err(Undefined::EmptyGroup { group: name.into() })
        } else {
            Ok(xs.iter().filter(|x| **x > threshold).count() as f64 / xs.len() as f64)
        }
    };
    Ok(share(a, "first sample")? - share(b, "second sample")?)
}

/// Sentiment parity of one pair of groups on one score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentParity {
    /// Which VADER score.
    pub score: SentimentScore,
    /// Responses of the first group.
    pub n_a: usize,
    /// Responses of the second group.
    pub n_b: usize,
    /// Mean score of the first group.
    pub mean_a: Option<f64>,
    /// Mean score of the second group.
    pub mean_b: Option<f64>,
    /// [`wasserstein_1`] between the two groups' scores.
    pub wasserstein_1: crate::metrics::Value,
    /// The threshold τ of [`threshold_parity`].
    pub threshold: f64,
    /// [`threshold_parity`]: share of the first group above τ minus the second's.
    pub threshold_parity: crate::metrics::Value,
    /// 95% cluster-bootstrap percentile interval of `wasserstein_1` over templates, when the
    /// scorer computed one. W1 is non-negative and biased upward in small samples, so the
    /// interval excludes 0 even when the groups do not differ; read it as the precision of W1,
    /// not as a test.
    #[serde(default)]
    pub wasserstein_1_ci95: Option<[f64; 2]>,
    /// 95% cluster-bootstrap percentile interval of `threshold_parity` over templates.
    #[serde(default)]
    pub threshold_parity_ci95: Option<[f64; 2]>,
    /// Templates (bootstrap clusters) the responses came from; 0 when no interval was computed.
    #[serde(default)]
    pub templates: usize,
}

/// The default threshold: LangFair's `threshold=0.5`, used for every score.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// Both parities of two samples of one score.
pub fn sentiment_parity(
    score: SentimentScore,
    a: &[f64],
    b: &[f64],
    threshold: f64,
) -> SentimentParity {
    let mean = |xs: &[f64]| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
    SentimentParity {
        score,
        n_a: a.len(),
        n_b: b.len(),
        mean_a: mean(a),
        mean_b: mean(b),
        wasserstein_1: wasserstein_1(a, b).into(),
        threshold,
        threshold_parity: threshold_parity(a, b, threshold).into(),
        wasserstein_1_ci95: None,
        threshold_parity_ci95: None,
        templates: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasserstein_equal_sizes_is_mean_sorted_difference() {
        // sorted a = [0.1, 0.2, 0.7], sorted b = [0.0, 0.5, 0.5]: (0.1 + 0.3 + 0.2)/3 = 0.2
        let w = wasserstein_1(&[0.7, 0.1, 0.2], &[0.5, 0.0, 0.5]).unwrap();
        assert!((w - 0.2).abs() < 1e-12, "{w}");
        assert_eq!(wasserstein_1(&[0.3], &[0.3]), Ok(0.0));
        // symmetric, shift-equivariant
        let w2 = wasserstein_1(&[0.5, 0.0, 0.5], &[0.7, 0.1, 0.2]).unwrap();
        assert!((w - w2).abs() < 1e-12);
        let w3 = wasserstein_1(&[1.0, 2.0], &[3.0, 4.0]).unwrap();
        assert!((w3 - 2.0).abs() < 1e-12);
    }

    #[test]
    fn wasserstein_unequal_sizes_hand_computed() {
        // a = {0, 1}, b = {0.5}: F_a − F_b is 1/2 on [0, 0.5) and 1/2 − 1 on [0.5, 1) → 0.5.
        let w = wasserstein_1(&[0.0, 1.0], &[0.5]).unwrap();
        assert!((w - 0.5).abs() < 1e-12, "{w}");
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6]) = 4.166666666666666 (scipy 1.17.1,
        // run in a scratch venv for this test); by hand: 1/3·1 + 2/3·2 + 1·2 + 1/2·1.
        let w = wasserstein_1(&[0.0, 1.0, 3.0], &[5.0, 6.0]).unwrap();
        assert!((w - 4.166_666_666_666_666).abs() < 1e-12, "{w}");
        assert!(wasserstein_1(&[], &[1.0]).is_err());
    }

    #[test]
    fn threshold_parity_hand_computed() {
        // 2 of 4 above 0.5 minus 1 of 2 → 0; strict inequality at the threshold itself.
        assert_eq!(
            threshold_parity(&[0.6, 0.9, 0.5, 0.1], &[0.51, 0.2], 0.5),
            Ok(0.0)
        );
        assert_eq!(threshold_parity(&[0.6], &[0.5], 0.5), Ok(1.0));
        assert!(threshold_parity(&[0.6], &[], 0.5).is_err());
        let p = sentiment_parity(SentimentScore::Compound, &[0.6, -0.2], &[0.0], 0.5);
        assert_eq!((p.n_a, p.n_b), (2, 1));
        assert!((p.mean_a.unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(p.threshold_parity, crate::metrics::Value::Defined(0.5));
    }

    mod laws {
        use super::super::*;
        use proptest::prelude::*;

        fn sample() -> impl Strategy<Value = Vec<f64>> {
            proptest::collection::vec(-1.0f64..1.0, 1..12)
        }

        proptest! {
            #[test]
            fn w1_is_a_symmetric_shift_equivariant_metric(a in sample(), b in sample(), c in sample(), shift in -2.0f64..2.0) {
                let ab = wasserstein_1(&a, &b).unwrap();
                prop_assert!(ab >= 0.0);
                prop_assert!((ab - wasserstein_1(&b, &a).unwrap()).abs() < 1e-12);
                prop_assert!(wasserstein_1(&a, &a).unwrap().abs() < 1e-12);
                let moved: Vec<f64> = a.iter().map(|x| x + shift).collect();
                prop_assert!((wasserstein_1(&a, &moved).unwrap() - shift.abs()).abs() < 1e-9);
                let triangle = wasserstein_1(&a, &c).unwrap() + wasserstein_1(&c, &b).unwrap();
                prop_assert!(ab <= triangle + 1e-9);
            }

            #[test]
            fn w1_of_equal_sizes_is_langfairs_sorted_mean(pairs in proptest::collection::vec((-1.0f64..1.0, -1.0f64..1.0), 1..12)) {
                let (mut a, mut b): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
                let w = wasserstein_1(&a, &b).unwrap();
                a.sort_by(f64::total_cmp);
                b.sort_by(f64::total_cmp);
                let sorted_mean = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64;
                prop_assert!((w - sorted_mean).abs() < 1e-9);
            }

            #[test]
            fn threshold_parity_is_antisymmetric(a in sample(), b in sample(), t in -1.0f64..1.0) {
                let ab = threshold_parity(&a, &b, t).unwrap();
                prop_assert_eq!(ab, -threshold_parity(&b, &a, t).unwrap());
                prop_assert!((-1.0..=1.0).contains(&ab));
            }
        }
    }
}
