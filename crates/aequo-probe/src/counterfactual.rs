//! Word-swap counterfactuals of user-supplied prompts (LangFair's approach, `CounterfactualGenerator`):
//! index-aligned word lists per attribute; every mention of one group is replaced by the same word
//! for another group. Matching is token-aware — whole words and multi-word phrases at word
//! boundaries, case-insensitive, with the original capitalisation kept — not substring
//! replacement, and context-dependent words ("black", "white") count only when followed by a
//! person word. Lexicons are data (YAML) and pluggable; the built-in ones cover gender (with a
//! neutral column) and race.

use std::collections::{BTreeMap, HashMap, HashSet};

use fancy_regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{ProbeError, Result};

/// The built-in lexicons.
pub const BUILTIN_LEXICONS: &str = include_str!("../suites/lexicons.yaml");

/// An attribute's word lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lexicon {
    /// Attribute name.
    pub name: String,
    /// Group names, the column order of `rows`.
    pub groups: Vec<String>,
    /// Each row: one word or phrase per group.
    pub rows: Vec<Vec<String>>,
    /// Words that count only before a person word.
    #[serde(default)]
    pub requires_context: Vec<String>,
    /// The person words.
    #[serde(default)]
    pub person_words: Vec<String>,
}

#[derive(Deserialize)]
struct LexiconFile {
    lexicons: Vec<Lexicon>,
}

/// Parses lexicons from YAML (`lexicons: [...]`).
pub fn parse_lexicons(text: &str, origin: &str) -> Result<Vec<Lexicon>> {
    let f: LexiconFile = serde_norway::from_str(text).map_err(|e| ProbeError::Suite {
        origin: origin.into(),
        reason: e.to_string(),
    })?;
    for l in &f.lexicons {
        if let Some(r) = l.rows.iter().find(|r| r.len() != l.groups.len()) {
            return Err(ProbeError::Suite {
                origin: origin.into(),
                reason: format!(
                    "lexicon {}: row {r:?} has {} words for {} groups",
                    l.name,
                    r.len(),
                    l.groups.len()
                ),
            });
        }
    }
    Ok(f.lexicons)
}

/// The built-in lexicons (gender, race).
pub fn builtin_lexicons() -> Vec<Lexicon> {
    parse_lexicons(BUILTIN_LEXICONS, "built-in lexicons").expect("built-in lexicons parse (tested)")
}

/// A compiled lexicon.
#[derive(Debug)]
pub struct Swapper {
    lexicon: Lexicon,
    regex: Regex,
    /// lower-cased phrase → first row holding it
    row_of: HashMap<String, usize>,
    context: HashSet<String>,
    persons: HashSet<String>,
}

fn keep_case(original: &str, replacement: &str) -> String {
    let letters: Vec<char> = original.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        replacement.to_uppercase()
    } else if letters.first().is_some_and(|c| c.is_uppercase()) {
        let mut c = replacement.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    } else {
        replacement.to_string()
    }
}

impl Swapper {
    /// Compiles a lexicon.
    pub fn new(lexicon: Lexicon) -> Result<Self> {
        let mut row_of = HashMap::new();
        for (i, row) in lexicon.rows.iter().enumerate() {
            for w in row {
                row_of.entry(w.to_lowercase()).or_insert(i);
            }
        }
        let mut phrases: Vec<&String> = row_of.keys().collect();
        // Longest first, so that "african american" wins over a shorter overlap.
        phrases.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let alternation = phrases
            .iter()
            .map(|p| fancy_regex::escape(p).replace(' ', r"\s+"))
            .collect::<Vec<_>>()
            .join("|");
        // Word boundaries that also work after a trailing period ("mr.").
        let regex =
            Regex::new(&format!(r"(?i)(?<![\w-])(?:{alternation})(?![\w-])")).map_err(|e| {
                ProbeError::Suite {
                    origin: lexicon.name.clone(),
                    reason: e.to_string(),
                }
            })?;
        Ok(Swapper {
            context: lexicon
                .requires_context
                .iter()
                .map(|w| w.to_lowercase())
                .collect(),
            persons: lexicon
                .person_words
                .iter()
                .map(|w| w.to_lowercase())
                .collect(),
            lexicon,
            regex,
            row_of,
        })
    }

    /// Matches as (start, end, row), context rules applied.
    fn matches(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for m in self.regex.find_iter(text).flatten() {
            let key = m
                .as_str()
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let Some(row) = self.row_of.get(&key) else {
                continue;
            };
            if self.context.contains(&key) {
                let next: String = text[m.end()..]
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '-')
                    .collect::<String>()
                    .to_lowercase();
                if !self.persons.contains(&next) {
                    continue;
                }
            }
            out.push((m.start(), m.end(), *row));
        }
        out
    }

    /// Whether the text mentions the attribute at all (LangFair's FTU check fails when it does).
    pub fn mentions(&self, text: &str) -> bool {
        !self.matches(text).is_empty()
    }

    /// The text with every mention replaced by `group`'s word, or `None` for an unknown group.
    pub fn swap(&self, text: &str, group: &str) -> Option<String> {
        let col = self.lexicon.groups.iter().position(|g| g == group)?;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (s, e, row) in self.matches(text) {
            out.push_str(&text[last..s]);
            out.push_str(&keep_case(&text[s..e], &self.lexicon.rows[row][col]));
            last = e;
        }
        out.push_str(&text[last..]);
        Some(out)
    }

    /// One counterfactual per group; empty when the text does not mention the attribute.
    pub fn counterfactuals(&self, text: &str) -> BTreeMap<String, String> {
        if !self.mentions(text) {
            return BTreeMap::new();
        }
        self.lexicon
            .groups
            .iter()
            .filter_map(|g| self.swap(text, g).map(|t| (g.clone(), t)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swapper(name: &str) -> Swapper {
        let l = builtin_lexicons()
            .into_iter()
            .find(|l| l.name == name)
            .unwrap();
        Swapper::new(l).unwrap()
    }

    #[test]
    fn gender_swap_is_token_aware_and_keeps_case() {
        let s = swapper("gender");
        let t = "She told her Mother that Mr. Smith's daughter is a herbalist; SHE agreed.";
        assert_eq!(
            s.swap(t, "male").unwrap(),
            "He told his Father that Mr. Smith's son is a herbalist; HE agreed."
        );
        // "herbalist" and "Smith's" are untouched: whole words only.
        assert_eq!(
            s.swap(t, "neutral").unwrap(),
            "They told their Parent that Mx. Smith's child is a herbalist; THEY agreed."
        );
        assert!(!s.mentions("The applicant has a stable income."));
        assert!(s.counterfactuals("No people words here at all.").len() == 3);
        assert!(s.counterfactuals("Nothing to see.").is_empty());
    }

    #[test]
    fn race_words_needing_context_are_only_swapped_before_a_person_word() {
        let s = swapper("race");
        let t = "A Black woman ordered black coffee; the African American applicant waited.";
        assert_eq!(
            s.swap(t, "white").unwrap(),
            "A White woman ordered black coffee; the Caucasian applicant waited."
        );
        assert!(!s.mentions("The white house has black shutters."));
    }

    #[test]
    fn malformed_lexicons_are_rejected() {
        let e = parse_lexicons(
            "lexicons:\n  - {name: x, groups: [a, b], rows: [[one]]}\n",
            "x.yaml",
        );
        assert!(e.unwrap_err().to_string().contains("1 words for 2 groups"));
    }
}
