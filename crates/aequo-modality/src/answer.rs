//! Answer strings: cleaning, normalisation, similarity and per-item scoring of free-form answers
//! (VQA-style and DocVQA), as the conflict-preference metrics and the real-data validation need.
//!
//! The rules follow the blind-faith-in-text code (github d-ailin/blind-faith-in-text,
//! `raw_code/utils/metrics.py`, `raw_code/eval_utils.py`), read and re-implemented, not copied:
//! * `clean_ans` as it *executes* there: strip surrounding whitespace and drop one trailing `.`
//!   (the lower-casing and yes/no extraction below its early `return` are dead code) — this is
//!   [`Cleaning::BlindFaith`], case-sensitive;
//! * the newer notebook `analyze_text_ratios.ipynb` lower-cases and strips all trailing dots —
//!   [`Cleaning::LowercaseStripPeriods`];
//! * similarity `sim(a, b) = 1` if one is a substring of the other, else `1 − lev(a, b)/max(|a|, |b|)`
//!   (Levenshtein over Unicode scalar values, as python-Levenshtein on `str`).

use serde::{Deserialize, Serialize};

/// How answers are cleaned before they are compared with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Cleaning {
    /// Strip whitespace, drop one trailing `.`; case-sensitive (blind-faith `metrics.py`).
    #[default]
    BlindFaith,
    /// Lower-case, strip whitespace and all trailing `.` (blind-faith notebook).
    LowercaseStripPeriods,
    /// Compare verbatim.
    Verbatim,
}

impl Cleaning {
    /// Cleans one answer.
    pub fn apply(&self, s: &str) -> String {
        match self {
            Cleaning::BlindFaith => {
                let t = s.trim();
                t.strip_suffix('.').unwrap_or(t).to_string()
            }
            Cleaning::LowercaseStripPeriods => {
                s.to_lowercase().trim().trim_end_matches('.').to_string()
            }
            Cleaning::Verbatim => s.to_string(),
        }
    }
}

/// Levenshtein distance over Unicode scalar values.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Soft similarity of two answers: 1 on substring containment, else one minus the normalised
/// Levenshtein distance.
pub fn similarity(a: &str, b: &str) -> f64 {
    if a.contains(b) || b.contains(a) {
        return 1.0;
    }
    let max = a.chars().count().max(b.chars().count());
    if max == 0 {
        return 1.0;
    }
    1.0 - levenshtein(a, b) as f64 / max as f64
}

const NUMBER_WORDS: [(&str, &str); 12] = [
    ("none", "0"),
    ("zero", "0"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
];
const VQA_PUNCT: [char; 21] = [
    ';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',',
    '?', '!',
];

fn has_digit_comma_digit(s: &str) -> bool {
    let c: Vec<char> = s.chars().collect();
    c.windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == ',' && w[2].is_ascii_digit())
}

/// The VQA evaluation's answer normalisation (punctuation, periods not followed by a digit,
/// number words to digits, articles dropped). The VQA contraction table is not applied.
pub fn vqa_normalise(s: &str) -> String {
    let s = s.to_lowercase().replace(['\n', '\t'], " ");
    let s = s.trim();
    let strip_all = has_digit_comma_digit(s);
    let mut out = s.to_string();
    for p in VQA_PUNCT {
        let pat_a = format!("{p} ");
        let pat_b = format!(" {p}");
        if s.contains(&pat_a) || s.contains(&pat_b) || strip_all {
            out = out.replace(p, "");
        } else {
            out = out.replace(p, " ");
        }
    }
    let chars: Vec<char> = out.chars().collect();
    let mut no_period = String::with_capacity(out.len());
    for (i, c) in chars.iter().enumerate() {
        let next_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if *c == '.' && !next_digit {
            continue;
        }
        no_period.push(*c);
    }
    no_period
        .split_whitespace()
        .map(|w| {
            NUMBER_WORDS
                .iter()
                .find(|(k, _)| *k == w)
                .map(|(_, v)| *v)
                .unwrap_or(w)
        })
        .filter(|w| !matches!(*w, "a" | "an" | "the"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Single-reference VQA match with the blind-faith evaluator's substring rule: after the
/// evaluator's pre-processing (text after `"the answer is "`, one trailing `.` dropped) and VQA
/// normalisation of both sides, correct (1.0) when a normalised gold answer is contained in the
/// normalised prediction. The published files carry one reference answer per VQAv2 question, so
/// the 10-annotator soft accuracy `min(1, #matches/3)` cannot be recomputed from them.
pub fn vqa_substring_match(pred: &str, golds: &[String]) -> f64 {
    let mut p = pred;
    if let Some(rest) = pred.split("the answer is ").nth(1) {
        p = rest.trim();
    }
    let p = p.strip_suffix('.').unwrap_or(p);
    let p = vqa_normalise(p);
    let hit = golds.iter().any(|g| {
        let g = vqa_normalise(g.trim());
        !g.is_empty() && p.contains(&g)
    });
    f64::from(u8::from(hit))
}

/// SQuAD normalisation: lower-case, drop ASCII punctuation, drop articles, collapse spaces.
pub fn squad_normalise(s: &str) -> String {
    let lower = s.to_lowercase();
    let no_punct: String = lower
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    no_punct
        .split_whitespace()
        .filter(|w| !matches!(*w, "a" | "an" | "the"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Best sub-span exact match: 1.0 when a SQuAD-normalised gold is contained in the normalised
/// prediction (blind-faith `best_subspan_em`).
pub fn best_subspan_em(pred: &str, golds: &[String]) -> f64 {
    let p = squad_normalise(pred);
    f64::from(u8::from(
        golds.iter().any(|g| p.contains(&squad_normalise(g))),
    ))
}

fn docvqa_pre(s: &str) -> String {
    squad_normalise(&s.to_lowercase()).trim().to_string()
}

/// DocVQA exact-match accuracy (case-insensitive, SQuAD-normalised; `none` is wrong).
pub fn docvqa_exact(pred: &str, golds: &[String]) -> f64 {
    let p = docvqa_pre(pred);
    if p == "none" {
        return 0.0;
    }
    f64::from(u8::from(golds.iter().any(|g| docvqa_pre(g) == p)))
}

/// Average Normalised Levenshtein Similarity of one answer (threshold 0.5): the best
/// `1 − lev/max_len` over the gold answers, 0 below the threshold, 0 for an empty or `none`
/// prediction.
pub fn anls(pred: &str, golds: &[String]) -> f64 {
    let p = docvqa_pre(pred);
    if p.is_empty() || p == "none" {
        return 0.0;
    }
    let best = golds
        .iter()
        .map(|g| {
            let g = docvqa_pre(g);
            let max = g.chars().count().max(p.chars().count()).max(1);
            1.0 - levenshtein(&g, &p) as f64 / max as f64
        })
        .fold(0.0, f64::max);
    if best >= 0.5 {
        best
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_and_similarity() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(similarity("red", "dark red"), 1.0);
        assert!((similarity("cat", "cut") - (1.0 - 1.0 / 3.0)).abs() < 1e-12);
        assert_eq!(similarity("abc", "xyz"), 0.0);
        assert_eq!(similarity("", "x"), 1.0); // "" is a substring of everything, as in Python
    }

    #[test]
    fn cleaning_rules() {
        assert_eq!(Cleaning::BlindFaith.apply("  Yes. "), "Yes");
        assert_eq!(Cleaning::BlindFaith.apply("No.."), "No.");
        assert_eq!(Cleaning::LowercaseStripPeriods.apply("No.."), "no");
    }

    #[test]
    fn vqa_rules() {
        assert_eq!(vqa_normalise("Two dogs."), "2 dogs");
        assert_eq!(vqa_normalise("3.5"), "3.5");
        assert_eq!(vqa_normalise("the red-car"), "red car");
        assert_eq!(vqa_substring_match("Two.", &["2".into()]), 1.0);
        assert_eq!(
            vqa_substring_match("To carry more people", &["for more passengers".into()]),
            0.0
        );
        assert_eq!(
            vqa_substring_match("I think the answer is yes.", &["yes".into()]),
            1.0
        );
        assert_eq!(best_subspan_em("A red car.", &["red car".into()]), 1.0);
    }

    #[test]
    fn docvqa_rules() {
        let g = vec!["ITC Limited".to_string()];
        assert_eq!(docvqa_exact("itc limited.", &g), 1.0);
        assert!((anls("ITC Limted", &g) - (1.0 - 1.0 / 11.0)).abs() < 1e-12);
        assert_eq!(anls("xyz", &g), 0.0);
        assert_eq!(anls("none", &g), 0.0);
    }
}
