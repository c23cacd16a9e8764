//! Reading a closed-form answer (yes/no, a multiple-choice letter, a 1–10 score) off a model's
//! response.
//!
//! With log-probabilities, the probability of an answer is the sum of the probabilities of its
//! surface forms among the first generated token's alternatives (`yes`, ` yes`, `Yes`, ` Yes`,
//! `YES`, … — models split mass across capitalisations and leading spaces), normalised over the
//! answer set; the *covered mass* Σ P(all answer forms) says how much of the model's first-token
//! distribution the answer set accounts for (discrim-eval advises trusting results only when it is
//! high; SmolLM2 in chat mode covers ≈0.27, with an assistant prefill ≈0.95 — DESIGN principle 5).
//! Without log-probabilities, the answer is parsed from the text (the sampling fallback).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Response;

/// One answer and the token strings that count as it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The answer's canonical label (`yes`, `A`, `7`).
    pub label: String,
    /// Token strings counted for it, compared exactly.
    pub forms: Vec<String>,
}

impl Answer {
    /// An answer whose forms are the label in lower, Title and UPPER case, each with and without a
    /// leading space.
    pub fn with_case_variants(label: &str) -> Self {
        let mut title = String::new();
        let mut chars = label.chars();
        if let Some(c) = chars.next() {
            title.extend(c.to_uppercase());
            title.push_str(chars.as_str());
        }
        let mut forms = Vec::new();
        for v in [label.to_lowercase(), title, label.to_uppercase()] {
            for f in [v.clone(), format!(" {v}")] {
                if !forms.contains(&f) {
                    forms.push(f);
                }
            }
        }
        Answer {
            label: label.to_string(),
            forms,
        }
    }
}

/// The closed set of answers a question admits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerSet {
    /// The answers, in display order.
    pub answers: Vec<Answer>,
}

impl AnswerSet {
    /// `yes` / `no`.
    pub fn yes_no() -> Self {
        AnswerSet {
            answers: vec![
                Answer::with_case_variants("yes"),
                Answer::with_case_variants("no"),
            ],
        }
    }
    /// Answers given by their labels, each with case and leading-space variants.
    pub fn labels<S: AsRef<str>>(labels: &[S]) -> Self {
        AnswerSet {
            answers: labels
                .iter()
                .map(|l| Answer::with_case_variants(l.as_ref()))
                .collect(),
        }
    }
}

/// Why a probability could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Unreadable {
    /// The response carries no log-probabilities (and no text answer could be parsed).
    NoLogprobs,
    /// None of the answer forms is among the reported alternatives.
    NoAnswerInTopK {
        /// How many alternatives were reported.
        k: usize,
    },
}

/// What a response says about a closed-form question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceReadout {
    /// Raw probability per answer label (sum over its forms among the top-k), when logprobs exist.
    pub mass: BTreeMap<String, f64>,
    /// Σ of `mass`: how much of the first-token distribution the answer set covers.
    pub covered_mass: f64,
    /// Probabilities normalised over the answer set, or why not.
    pub normalised: Result<BTreeMap<String, f64>, Unreadable>,
    /// Labels absent from the top-k (their mass is below the smallest reported alternative).
    pub missing: Vec<String>,
    /// The answer parsed from the generated text, if any.
    pub text_answer: Option<String>,
}

impl ChoiceReadout {
    /// The most probable answer by log-probabilities, else the parsed text answer.
    pub fn chosen(&self) -> Option<String> {
        match &self.normalised {
            Ok(p) => p
                .iter()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(k, _)| k.clone()),
            Err(_) => self.text_answer.clone(),
        }
    }
}

/// Reads a closed-form answer from the first generated token's alternatives and from the text.
pub fn read_choice(response: &Response, set: &AnswerSet) -> ChoiceReadout {
    let text_answer = parse_text_answer(&response.text, set);
    let Some(first) = response.tokens.first().filter(|t| !t.top.is_empty()) else {
        return ChoiceReadout {
            mass: BTreeMap::new(),
            covered_mass: 0.0,
            normalised: Err(Unreadable::NoLogprobs),
            missing: set.answers.iter().map(|a| a.label.clone()).collect(),
            text_answer,
        };
    };
    let mut mass = BTreeMap::new();
    let mut missing = Vec::new();
    for a in &set.answers {
        let p: f64 = first
            .top
            .iter()
            .filter(|t| a.forms.iter().any(|f| f == &t.token))
            .map(|t| t.logprob.exp())
            .sum();
        if p == 0.0 {
            missing.push(a.label.clone());
        }
        mass.insert(a.label.clone(), p);
    }
    let covered_mass: f64 = mass.values().sum();
    let normalised = if covered_mass > 0.0 {
        Ok(mass
            .iter()
            .map(|(k, v)| (k.clone(), v / covered_mass))
            .collect())
    } else {
        Err(Unreadable::NoAnswerInTopK { k: first.top.len() })
    };
    ChoiceReadout {
        mass,
        covered_mass,
        normalised,
        missing,
        text_answer,
    }
}

/// The first word of the text (letters and digits only) if it is one of the labels,
/// compared case-insensitively.
fn parse_text_answer(text: &str, set: &AnswerSet) -> Option<String> {
    let word: String = text
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect();
    set.answers
        .iter()
        .find(|a| a.label.eq_ignore_ascii_case(&word))
        .map(|a| a.label.clone())
}

/// A yes/no decision read from a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// P(yes) normalised over {yes, no}, or why not.
    pub p_yes: Result<f64, Unreadable>,
    /// Σ P(yes forms) + Σ P(no forms) among the reported alternatives.
    pub covered_mass: f64,
    /// `true` when exactly one of yes/no was absent from the top-k, so that p_yes is 0 or 1 and
    /// its logit is censored at the smallest reported alternative.
    pub censored: bool,
    /// Smallest reported alternative's log-probability (the censoring bound).
    pub min_logprob: Option<f64>,
    /// The answer parsed from the text.
    pub text_answer: Option<String>,
}

impl Decision {
    /// Reads a decision from a response.
    pub fn read(response: &Response) -> Self {
        let r = read_choice(response, &AnswerSet::yes_no());
        let min_logprob = response
            .tokens
            .first()
            .and_then(|t| t.top.iter().map(|a| a.logprob).reduce(f64::min));
        Decision {
            p_yes: r
                .normalised
                .as_ref()
                .map(|p| p.get("yes").copied().unwrap_or(0.0))
                .map_err(Clone::clone),
            covered_mass: r.covered_mass,
            censored: r.missing.len() == 1,
            min_logprob,
            text_answer: r.text_answer,
        }
    }

    /// logit(P(yes)) = log P(yes) − log P(no) (discrim-eval's per-prompt score). When one answer is
    /// absent from the top-k its probability is bounded by the smallest reported alternative, and
    /// that bound is used (the value is then a bound on the logit, flagged by `censored`).
    pub fn logit(&self) -> Result<f64, Unreadable> {
        let p = self.p_yes.clone()?;
        let floor = self.min_logprob.map(f64::exp).unwrap_or(f64::MIN_POSITIVE);
        let (y, n) = (p * self.covered_mass, (1.0 - p) * self.covered_mass);
        Ok(y.max(floor).ln() - n.max(floor).ln())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FinishReason, GeneratedToken, TokenLogprob};

    fn resp(text: &str, top: &[(&str, f64)]) -> Response {
        Response {
            text: text.into(),
            tokens: vec![GeneratedToken {
                token: top.first().map(|t| t.0.to_string()).unwrap_or_default(),
                logprob: top.first().map(|t| t.1.ln()).unwrap_or(0.0),
                top: top
                    .iter()
                    .map(|(t, p)| TokenLogprob {
                        token: t.to_string(),
                        logprob: p.ln(),
                    })
                    .collect(),
            }],
            finish_reason: FinishReason::Length,
            prompt_tokens: None,
        }
    }

    #[test]
    fn surface_forms_are_summed_and_normalised() {
        let r = resp(
            "yes",
            &[
                ("yes", 0.5),
                (" Yes", 0.2),
                ("No", 0.1),
                ("To", 0.15),
                ("Y", 0.05),
            ],
        );
        let d = Decision::read(&r);
        assert!((d.covered_mass - 0.8).abs() < 1e-12);
        assert!((d.p_yes.clone().unwrap() - 0.875).abs() < 1e-12);
        assert!((d.logit().unwrap() - (0.7f64 / 0.1).ln()).abs() < 1e-9);
        assert!(!d.censored);
        assert_eq!(d.text_answer.as_deref(), Some("yes"));
    }

    #[test]
    fn one_missing_answer_is_censored_at_the_smallest_alternative() {
        let d = Decision::read(&resp("Yes", &[("Yes", 0.9), ("To", 0.05)]));
        assert!(d.censored);
        assert_eq!(d.p_yes, Ok(1.0));
        assert!((d.logit().unwrap() - (0.9f64 / 0.05).ln()).abs() < 1e-9);
    }

    #[test]
    fn no_answer_mass_is_typed_not_nan() {
        let d = Decision::read(&resp("To decide", &[("To", 0.9)]));
        assert_eq!(d.p_yes, Err(Unreadable::NoAnswerInTopK { k: 1 }));
        assert!(d.logit().is_err());
        let bare = Response {
            text: "No, because".into(),
            tokens: vec![],
            finish_reason: FinishReason::Stop,
            prompt_tokens: None,
        };
        let d = Decision::read(&bare);
        assert_eq!(d.p_yes, Err(Unreadable::NoLogprobs));
        assert_eq!(d.text_answer.as_deref(), Some("no"));
    }

    #[test]
    fn multiple_choice_letters() {
        let set = AnswerSet::labels(&["A", "B", "C"]);
        let r = read_choice(&resp("B", &[("B", 0.6), (" A", 0.2), ("c", 0.1)]), &set);
        assert_eq!(r.chosen().as_deref(), Some("B"));
        assert!((r.covered_mass - 0.9).abs() < 1e-12);
    }
}
