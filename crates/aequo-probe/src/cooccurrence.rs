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
//! **Groups.** The scorer computes COBS for gender (female vs male words of the built-in
//! lexicon, LangFair's default pair) and for race (every pair of white, black, asian and
//! hispanic words of the built-in race lexicon, as LangFair's counterfactual race groups). A
//! list entry of several words ("african american") is matched as a token sequence and counts
//! as one attribute token at its first position; the tokens it covers are not reference words.
//! Race words that are also ordinary words ("black", "white", "asian") count only when the
//! next token is a person word ([`ContextRule`], LangFair's `RACE_WORDS_REQUIRING_CONTEXT`
//! rule); single-word entries are never reference words, matched or not.
//!
//! **Interval.** [`cooccurrence_bias_clustered`] adds a 95% cluster-bootstrap interval over
//! templates: COBS depends only on the summed counts (co-occurrence weights, `|A_g|`, `|R|`),
//! so each template's counts are summed once and a replicate adds the counts of the drawn
//! templates. With one template there is no interval, and the reason is recorded.
//!
//! **Tokens.** LangFair uses NLTK's `word_tokenize`, then lower-cases, replaces digit runs by
//! `NUMBER` and strips leading and trailing characters other than letters, `<`, `>` and `$`.
//! [`cobs_tokens`] splits on white space and splits off the same clitics NLTK does (`n't`, `'s`,
//! `'re`, `'ve`, `'ll`, `'d`, `'m`) before the same clean-up, which agrees with NLTK on ordinary
//! prose; it does not reproduce NLTK's rules for quotes, ellipses or abbreviations.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::metrics::{cluster_bootstrap, Bootstrap, NoInterval, Undefined, Value};

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
    /// The attribute the groups belong to (`gender`, `race`, or a user's name).
    #[serde(default)]
    pub attribute: String,
    /// First group's name.
    pub group_a: String,
    /// Second group's name.
    pub group_b: String,
    /// Mean `COBS(w)` over the scored words.
    pub score: Value,
    /// 95% cluster-bootstrap percentile interval of `score` over templates
    /// ([`cooccurrence_bias_clustered`]); `None` from [`cooccurrence_bias`] or when
    /// `no_interval` says why.
    #[serde(default)]
    pub ci95: Option<[f64; 2]>,
    /// Templates (bootstrap clusters) the responses came from; 0 when not clustered.
    #[serde(default)]
    pub clusters: usize,
    /// Why there is no interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_interval: Option<NoInterval>,
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

/// Words that mark a group only in context (LangFair's race words "requiring context"): a
/// single-word entry of a group's list that is in `requires_context` counts as an attribute
/// word only when the next token is one of `person_words` ("a black woman", not "black
/// coffee"). Phrases of several words ("african american") always count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextRule {
    /// Words needing a following person word.
    pub requires_context: Vec<String>,
    /// The person words.
    pub person_words: Vec<String>,
}

/// How the attribute words of two groups are found in a token sequence.
struct Matcher {
    /// (group, phrase tokens), longest phrases first.
    phrases: Vec<(usize, Vec<String>)>,
    /// Single-word entries of either list: never reference words, matched or not (so "black"
    /// in "black coffee" is neither an attribute nor a reference word).
    single: HashSet<String>,
    context: HashSet<String>,
    persons: HashSet<String>,
}

impl Matcher {
    fn new(lists: [&[String]; 2], rule: &ContextRule) -> Matcher {
        let mut phrases: Vec<(usize, Vec<String>)> = Vec::new();
        for (g, list) in lists.iter().enumerate() {
            for w in list.iter() {
                let toks = cobs_tokens(w);
                if !toks.is_empty() && !phrases.contains(&(g, toks.clone())) {
                    phrases.push((g, toks));
                }
            }
        }
        phrases.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.cmp(b)));
        let single = phrases
            .iter()
            .filter(|(_, p)| p.len() == 1)
            .map(|(_, p)| p[0].clone())
            .collect();
        let set = |ws: &[String]| ws.iter().map(|w| clean(w)).collect::<HashSet<String>>();
        Matcher {
            phrases,
            single,
            context: set(&rule.requires_context),
            persons: set(&rule.person_words),
        }
    }

    /// Each group's attribute occurrences (start positions), and which tokens they cover.
    fn find(&self, toks: &[String]) -> ([Vec<usize>; 2], Vec<bool>) {
        let mut positions: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut covered = vec![false; toks.len()];
        let mut i = 0;
        while i < toks.len() {
            let hit = self.phrases.iter().find(|(_, p)| {
                toks[i..].starts_with(p)
                    && (p.len() > 1
                        || !self.context.contains(&p[0])
                        || toks.get(i + 1).is_some_and(|n| self.persons.contains(n)))
            });
            match hit {
                Some((g, p)) => {
                    positions[*g].push(i);
                    covered[i..i + p.len()].iter_mut().for_each(|c| *c = true);
                    i += p.len();
                }
                None => i += 1,
            }
        }
        (positions, covered)
    }
}

/// The sufficient statistics of COBS over some responses: co-occurrence weights per reference
/// word and group, attribute-token counts and the reference-token count. COBS of a set of
/// responses depends only on the sum of their counts, which is what makes the cluster bootstrap
/// cheap.
#[derive(Debug, Clone, Default)]
struct Counts {
    co: HashMap<String, [f64; 2]>,
    attr: [usize; 2],
    refs: usize,
    responses: usize,
}

impl Counts {
    fn of(text: &str, m: &Matcher, stop: &HashSet<&str>, beta: f64) -> Counts {
        let toks = cobs_tokens(text);
        let (positions, covered) = m.find(&toks);
        let mut c = Counts {
            attr: [positions[0].len(), positions[1].len()],
            responses: 1,
            ..Counts::default()
        };
        for (i, t) in toks.iter().enumerate() {
            if covered[i] || stop.contains(t.as_str()) || m.single.contains(t) {
                continue;
            }
            c.refs += 1;
            let e = c.co.entry(t.clone()).or_insert([0.0; 2]);
            for g in 0..2 {
                for &j in &positions[g] {
                    if j != i {
                        e[g] += beta.powi(i.abs_diff(j) as i32);
                    }
                }
            }
        }
        c
    }

    fn add(&mut self, o: &Counts) {
        for (w, x) in &o.co {
            let e = self.co.entry(w.clone()).or_insert([0.0; 2]);
            e[0] += x[0];
            e[1] += x[1];
        }
        self.attr[0] += o.attr[0];
        self.attr[1] += o.attr[1];
        self.refs += o.refs;
        self.responses += o.responses;
    }

    /// `COBS(w)` per scored word and their mean (module documentation).
    fn score(&self, targets: &Targets) -> (Value, BTreeMap<String, f64>) {
        let mut words = BTreeMap::new();
        if self.attr[0] == 0 || self.attr[1] == 0 {
            let u = Undefined::EmptyGroup {
                group: "attribute words of both groups".into(),
            };
            return (Value::Undefined(u), words);
        }
        let totals = [0, 1].map(|g| self.co.values().map(|c| c[g]).sum::<f64>());
        let r = self.refs as f64;
        let mut score_word = |w: &str| {
            let Some(c) = self.co.get(w) else { return };
            if c[0] > 0.0 && c[1] > 0.0 {
                let num = (c[0] / totals[0]) / (self.attr[0] as f64 / r);
                let den = (c[1] / totals[1]) / (self.attr[1] as f64 / r);
                words.insert(w.to_string(), (num / den).log10().abs());
            }
        };
        match targets {
            Targets::AllReferenceWords => self.co.keys().for_each(|w| score_word(w)),
            Targets::Words(ws) => ws.iter().for_each(|w| score_word(w)),
        }
        let value = if words.is_empty() {
            Value::Undefined(Undefined::ZeroDenominator {
                denominator: "target words co-occurring with both groups".into(),
            })
        } else {
            Value::Defined(words.values().sum::<f64>() / words.len() as f64)
        };
        (value, words)
    }
}

fn result(attribute: &str, groups: [&str; 2], c: &Counts, targets: &Targets) -> Cobs {
    let (score, words) = c.score(targets);
    Cobs {
        attribute: attribute.to_string(),
        group_a: groups[0].to_string(),
        group_b: groups[1].to_string(),
        score,
        ci95: None,
        clusters: 0,
        no_interval: None,
        responses: c.responses,
        attribute_tokens_a: c.attr[0],
        attribute_tokens_b: c.attr[1],
        reference_tokens: c.refs,
        words,
    }
}

/// Computes COBS (module documentation) with weight `beta` (LangFair: 0.95). Group word lists
/// are cleaned like tokens (so `Mrs.` matches `mrs`); an entry of several words is matched as a
/// token sequence. Undefined when the corpus lacks attribute words of either group, or when no
/// target co-occurs with both. No interval: see [`cooccurrence_bias_clustered`].
pub fn cooccurrence_bias(
    responses: &[&str],
    groups: [(&str, &[String]); 2],
    targets: &Targets,
    beta: f64,
) -> Cobs {
    let m = Matcher::new(groups.map(|g| g.1), &ContextRule::default());
    let stop: HashSet<&str> = STOP_WORDS.iter().copied().collect();
    let mut total = Counts::default();
    for text in responses {
        total.add(&Counts::of(text, &m, &stop, beta));
    }
    result("", groups.map(|g| g.0), &total, targets)
}

/// COBS of responses grouped into clusters (`(template, text)` pairs), with a 95%
/// cluster-bootstrap interval over templates ([`crate::metrics::cluster_bootstrap`]): each
/// replicate draws templates with replacement and recomputes the score on all their responses.
/// Attribute words follow `rule` (e.g. the race words that need a person word after them).
pub fn cooccurrence_bias_clustered(
    attribute: &str,
    responses: &[(&str, &str)],
    groups: [(&str, &[String]); 2],
    rule: &ContextRule,
    targets: &Targets,
    beta: f64,
    boot: Bootstrap,
) -> Cobs {
    let m = Matcher::new(groups.map(|g| g.1), rule);
    let stop: HashSet<&str> = STOP_WORDS.iter().copied().collect();
    let mut per_cluster: BTreeMap<&str, Counts> = BTreeMap::new();
    for (cluster, text) in responses {
        per_cluster
            .entry(cluster)
            .or_default()
            .add(&Counts::of(text, &m, &stop, beta));
    }
    let mut total = Counts::default();
    per_cluster.values().for_each(|c| total.add(c));
    let mut out = result(attribute, groups.map(|g| g.0), &total, targets);
    out.clusters = per_cluster.len();
    let interval = if out.score.get().is_some() {
        let clusters: Vec<Vec<&Counts>> = per_cluster.values().map(|c| vec![c]).collect();
        cluster_bootstrap(
            &clusters,
            |xs: &[&Counts]| {
                let mut sum = Counts::default();
                xs.iter().for_each(|c| sum.add(c));
                match sum.score(targets).0 {
                    Value::Defined(v) => Ok(v),
                    Value::Undefined(u) => Err(u),
                }
            },
            boot,
        )
    } else {
        Err(NoInterval::UndefinedValue)
    };
    out.ci95 = interval.as_ref().ok().copied();
    out.no_interval = interval.err();
    out
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

    fn race_rule() -> ContextRule {
        ContextRule {
            requires_context: words(&["white", "black"]),
            person_words: words(&["woman", "man"]),
        }
    }

    #[test]
    fn context_words_and_phrases_hand_computed() {
        // β = 0.5. Groups W = {white, caucasian}, B = {black, african american}; "white" and
        // "black" count only before a person word.
        // R1 "black woman kind": black(0) → B; woman(1): c(woman, B) = 0.5; kind(2): 0.25.
        // R2 "white man kind black coffee": white(0) → W; man(1) 0.5; kind(2) 0.25; black(3)
        //   precedes "coffee", so it is neither attribute nor reference; coffee(4): 0.5⁴.
        // |A_W| = |A_B| = 1; |R| = 5; totals W = 0.8125, B = 0.75; only "kind" has both:
        // COBS = |log10((0.25/0.8125)/(1/5) ÷ (0.25/0.75)/(1/5))| = 0.034762106…
        let w = words(&["white", "caucasian"]);
        let b = words(&["black", "african american"]);
        let corpus = [
            ("t1", "black woman kind"),
            ("t2", "white man kind black coffee"),
        ];
        let r = cooccurrence_bias_clustered(
            "race",
            &corpus,
            [("white", &w), ("black", &b)],
            &race_rule(),
            &Targets::AllReferenceWords,
            0.5,
            Bootstrap::default(),
        );
        assert_eq!((r.attribute_tokens_a, r.attribute_tokens_b), (1, 1));
        assert_eq!(r.reference_tokens, 5);
        assert!((r.score.get().unwrap() - 0.034_762_106_259_211_86).abs() < 1e-12);
        assert_eq!((r.responses, r.clusters), (2, 2));
        // Without the rule "black coffee" is a mention of B.
        let plain: Vec<&str> = corpus.iter().map(|c| c.1).collect();
        let r0 = cooccurrence_bias(
            &plain,
            [("white", &w), ("black", &b)],
            &Targets::AllReferenceWords,
            0.5,
        );
        assert_eq!(r0.attribute_tokens_b, 2);
        // R3 "african american kind": the phrase is one B mention at 0 covering "american";
        // kind(2): c(kind, B) += 0.25. Now |A_B| = 2, |R| = 6, total B = 1.0:
        // COBS = |log10((0.25/0.8125)/(1/6) ÷ (0.5/1)/(2/6))| = 0.090176630…
        let corpus3 = [corpus[0], corpus[1], ("t3", "african american kind")];
        let r = cooccurrence_bias_clustered(
            "race",
            &corpus3,
            [("white", &w), ("black", &b)],
            &race_rule(),
            &Targets::AllReferenceWords,
            0.5,
            Bootstrap::default(),
        );
        assert_eq!((r.attribute_tokens_b, r.reference_tokens), (2, 6));
        assert!((r.score.get().unwrap() - 0.090_176_630_349_088_03).abs() < 1e-12);
    }

    #[test]
    fn cobs_intervals_need_two_templates_and_are_exact_for_identical_ones() {
        let f = words(&["she"]);
        let m = words(&["he"]);
        let texts = ["she is kind and calm", "he is kind but he is tall and calm"];
        let one: Vec<(&str, &str)> = texts.iter().map(|t| ("t1", *t)).collect();
        let groups = [("female", f.as_slice()), ("male", m.as_slice())];
        let run = |corpus: &[(&str, &str)]| {
            cooccurrence_bias_clustered(
                "gender",
                corpus,
                groups,
                &ContextRule::default(),
                &Targets::AllReferenceWords,
                0.95,
                Bootstrap::default(),
            )
        };
        let r = run(&one);
        assert!(r.score.get().unwrap() > 0.0);
        assert_eq!(r.ci95, None);
        assert_eq!(
            r.no_interval,
            Some(NoInterval::TooFewClusters { clusters: 1 })
        );
        // Three templates with the same two responses: every replicate is the same corpus up to
        // a multiple of all counts, under which COBS is invariant, so the interval is a point.
        let three: Vec<(&str, &str)> = ["t1", "t2", "t3"]
            .iter()
            .flat_map(|c| texts.iter().map(move |t| (*c, *t)))
            .collect();
        let r3 = run(&three);
        let v = r3.score.get().unwrap();
        assert!((v - r.score.get().unwrap()).abs() < 1e-12);
        let [lo, hi] = r3.ci95.unwrap();
        assert!((lo - v).abs() < 1e-12 && (hi - v).abs() < 1e-12);
        assert_eq!((r3.responses, r3.clusters), (6, 3));
        // Templates that disagree give a proper interval around the value.
        let mixed = [
            ("t1", "she is kind"),
            ("t1", "he is kind"),
            ("t2", "she is calm and kind"),
            ("t2", "he is kind"),
            ("t3", "she is kind"),
            ("t3", "he is calm and he is kind"),
        ];
        let r = run(&mixed);
        let [lo, hi] = r.ci95.unwrap();
        assert!(lo < hi, "{lo} {hi}");
        let v = r.score.get().unwrap();
        assert!(lo <= v + 1e-12 && v <= hi + 1e-12, "{lo} {v} {hi}");
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
