//! The HTML rendering of a [`ProbeReport`]: one self-contained page (no script, style or font
//! fetched from anywhere) built with `aequo_report::page`, with a section per question kind and
//! a methods section. Every number is the report's own (no metric arithmetic here) and is shown
//! with its sample size and its 95% interval, or the reason it has none.
//!
//! Charts are inline SVG. Group gaps can be negative, so they are drawn as a *diverging* bar
//! chart around zero (bars from 0 to the value, whiskers for the interval), each with the same
//! numbers as a table beside it.

use std::fmt::Write;

use aequo_report::page::{escape, figure, table, Page};

use crate::metrics::{BbqScores, Estimate, Value};
use crate::mixed::MixedFit;
use crate::score::{AxisResult, ProbeReport};
use crate::sentiment::SentimentScore;

/// Three decimals with a sign, as in the Markdown rendering.
fn num(x: f64) -> String {
    format!("{x:+.3}")
}

fn value(v: &Value) -> String {
    match v {
        Value::Defined(x) => num(*x),
        Value::Undefined(u) => format!(
            "undefined ({})",
            serde_json::to_value(u)
                .ok()
                .and_then(|j| j["reason"].as_str().map(|r| r.replace('_', " ")))
                .unwrap_or_default()
        ),
    }
}

fn interval(ci: Option<[f64; 2]>, why: Option<String>) -> String {
    match (ci, why) {
        (Some([lo, hi]), _) => format!("[{}, {}]", num(lo), num(hi)),
        (None, Some(w)) => format!("no interval: {w}"),
        (None, None) => "no interval".into(),
    }
}

/// `value [lo, hi]` of an estimate (plain text; [`table`] escapes it).
fn est(e: &Estimate) -> String {
    format!(
        "{} {}",
        value(&e.value),
        interval(e.ci95, e.no_interval.as_ref().map(|w| w.to_string()))
    )
}

fn p(x: Option<f64>) -> String {
    match x {
        Some(p) if p < 1e-4 => format!("{p:.1e}"),
        Some(p) => format!("{p:.4}"),
        None => "—".into(),
    }
}

/// A table with a caption line above it (cells are plain text, escaped by [`table`]).
fn captioned(caption: &str, head: &[&str], rows: &[Vec<String>]) -> String {
    format!("<h3>{}</h3>{}", escape(caption), table(head, rows))
}

/// A diverging chart in a figure, with its own numbers behind the figure's disclosure.
fn gap_figure(id: &str, title: &str, axis: &str, bars: &[GapBar]) -> String {
    let data: Vec<Vec<String>> = bars
        .iter()
        .map(|b| {
            vec![
                b.label.clone(),
                b.value.map(num).unwrap_or_else(|| "undefined".into()),
                interval(b.ci, None),
            ]
        })
        .collect();
    figure(
        &diverging_chart(id, title, axis, bars),
        &table(&["group", axis, "95% CI"], &data),
    )
}

/// One bar of a [`diverging_chart`].
struct GapBar {
    label: String,
    value: Option<f64>,
    ci: Option<[f64; 2]>,
}

/// The next number ≥ x of the form 1, 2, 2.5 or 5 × 10^k.
fn nice(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|v| *v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * mag)
}

/// A horizontal bar chart around zero: each bar runs from 0 to its value and its whisker spans
/// the interval; the axis is symmetric, to the next round number above the largest |value| or
/// interval bound.
fn diverging_chart(id: &str, title: &str, axis: &str, bars: &[GapBar]) -> String {
    const W: f64 = 640.0;
    const LEFT: f64 = 190.0;
    const RIGHT: f64 = 24.0;
    const TOP: f64 = 34.0;
    const ROW: f64 = 24.0;
    let extent = nice(
        bars.iter()
            .flat_map(|b| {
                let ci = b.ci.unwrap_or([0.0, 0.0]);
                [b.value.unwrap_or(0.0), ci[0], ci[1]]
            })
            .map(f64::abs)
            .fold(0.0, f64::max),
    );
    let h = TOP + ROW * bars.len() as f64 + 44.0;
    let x =
        |v: f64| LEFT + (v.clamp(-extent, extent) + extent) / (2.0 * extent) * (W - LEFT - RIGHT);
    let bottom = TOP + ROW * bars.len() as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"gap\" id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t\" \
         viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" font-family=\"sans-serif\">\
         <title id=\"{id}-t\">{}: {} (bars from 0; whiskers: 95% cluster-bootstrap interval)</title>\
         <rect width=\"{W}\" height=\"{h}\" fill=\"#fff\"/>\
         <text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"600\" fill=\"#111\">{}</text>",
        escape(title),
        escape(axis),
        escape(title)
    );
    for k in -2i32..=2 {
        let v = extent * f64::from(k) / 2.0;
        let _ = write!(
            s,
            "<line x1=\"{a:.1}\" x2=\"{a:.1}\" y1=\"{TOP}\" y2=\"{bottom}\" stroke=\"{}\"/>\
             <text x=\"{a:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{}</text>",
            if k == 0 { "#555" } else { "#e3e3e3" },
            bottom + 14.0,
            if k == 0 { "0".to_string() } else { format!("{v:+}") },
            a = x(v)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">{}</text>",
        (LEFT + W - RIGHT) / 2.0,
        bottom + 32.0,
        escape(axis)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let cy = y + ROW / 2.0;
        let label: String = b.label.chars().take(30).collect();
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#111\">{}</text>",
            LEFT - 8.0,
            cy + 4.0,
            escape(&label)
        );
        match b.value {
            Some(v) => {
                let (a, c) = (x(0.0), x(v));
                let _ = write!(
                    s,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"{}\"><title>{}</title></rect>",
                    a.min(c),
                    cy - 6.0,
                    (c - a).abs().max(1.0),
                    if v < 0.0 { "#D55E00" } else { "#0072B2" },
                    escape(&format!("{}: {}", b.label, num(v)))
                );
                if let Some([lo, hi]) = b.ci {
                    let _ = write!(
                        s,
                        "<path d=\"M{l:.1},{y1:.1}V{y2:.1}M{l:.1},{cy:.1}H{r:.1}M{r:.1},{y1:.1}V{y2:.1}\" \
                         stroke=\"#111\" stroke-width=\"1.5\" fill=\"none\"/>",
                        l = x(lo),
                        r = x(hi),
                        y1 = cy - 5.0,
                        y2 = cy + 5.0
                    );
                }
            }
            None => {
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#666\">undefined</text>",
                    x(0.0) + 4.0,
                    cy + 4.0
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

fn axis_section(rows: &[AxisResult], kind: &str, unit: &str, report: &ProbeReport) -> String {
    let mut s = format!(
        "<p>Each group's mean outcome ({}) minus the baseline's, with the 95% cluster-bootstrap \
         interval over templates; p: paired t test over templates, Holm and \
         Benjamini–Hochberg adjusted across all {} tests of the run.</p>",
        escape(unit),
        report.corrections.family_size
    );
    for (i, r) in rows.iter().enumerate() {
        let id = format!("{kind}-{i}");
        let title = format!("{} ({}) vs {}", r.axis, r.form, r.baseline);
        let bars: Vec<GapBar> = r
            .groups
            .iter()
            .map(|g| GapBar {
                label: g.group.clone(),
                value: g.difference.value.get(),
                ci: g.difference.ci95,
            })
            .collect();
        s.push_str(&gap_figure(&id, &title, unit, &bars));
        let mut t: Vec<Vec<String>> = vec![vec![
            format!("{} (baseline)", r.baseline),
            r.mean_p
                .get(&r.baseline)
                .map(|x| format!("{x:.3}"))
                .unwrap_or_else(|| "—".into()),
            "—".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]];
        for g in &r.groups {
            let test = g.test.as_ref();
            t.push(vec![
                g.group.clone(),
                r.mean_p
                    .get(&g.group)
                    .map(|x| format!("{x:.3}"))
                    .unwrap_or_else(|| "—".into()),
                est(&g.difference),
                format!("{}", g.difference.n),
                format!("{}", g.difference.clusters),
                p(test.map(|t| t.p_value)),
                p(test.and_then(|t| t.p_holm)),
                p(test.and_then(|t| t.p_bh)),
            ]);
        }
        s.push_str(&captioned(
            &title,
            &[
                "group",
                if kind == "decision" {
                    "mean P(yes)"
                } else {
                    "mean score"
                },
                "difference [95% CI]",
                "n (group + baseline)",
                "templates",
                "p",
                "p Holm",
                "p BH",
            ],
            &t,
        ));
        match &r.mixed_effects {
            MixedFit::Fitted(m) => {
                let t: Vec<Vec<String>> = m
                    .effects
                    .iter()
                    .map(|e| {
                        vec![
                            e.group.clone(),
                            format!("{} ± {:.3}", num(e.estimate), e.std_error),
                            p(Some(e.p_value)),
                            p(e.p_holm),
                            p(e.p_bh),
                            format!("{}", m.n),
                            format!("{}", m.templates),
                        ]
                    })
                    .collect();
                s.push_str(&captioned(
                    &format!(
                        "{title}: mixed-effects score (σ²template {:.3}, σ²residual {:.3})",
                        m.template_variance, m.residual_variance
                    ),
                    &[
                        "group",
                        "fixed effect ± se",
                        "Wald p",
                        "p Holm",
                        "p BH",
                        "n",
                        "templates",
                    ],
                    &t,
                ));
            }
            MixedFit::Undefined(u) => {
                let _ = write!(
                    s,
                    "<p>{}: mixed-effects score undefined ({}).</p>",
                    escape(&title),
                    escape(&serde_json::to_string(u).unwrap_or_default())
                );
            }
        }
    }
    s
}

fn bbq_section(all: &BbqScores, report: &ProbeReport) -> String {
    let mut rows: Vec<(&str, &BbqScores)> = vec![("all", all)];
    rows.extend(report.bbq_by_category.iter().map(|(k, v)| (k.as_str(), v)));
    let bars: Vec<GapBar> = rows
        .iter()
        .flat_map(|(c, b)| {
            [("s_DIS", &b.s_dis), ("s_AMB", &b.s_amb)].map(|(n, e)| GapBar {
                label: format!("{c} {n}"),
                value: e.value.get(),
                ci: e.ci95,
            })
        })
        .collect();
    let mut s = String::from(
        "<p>Bias scores in [−1, 1] (Parrish et al. 2022): s_DIS on disambiguated contexts, s_AMB \
         = (1 − accuracy) · bias on ambiguous ones; positive = the stereotyped answer. Intervals: \
         cluster bootstrap over items.</p>",
    );
    s.push_str(&gap_figure(
        "bbq",
        "BBQ-style bias scores",
        "bias score",
        &bars,
    ));
    let t: Vec<Vec<String>> = rows
        .iter()
        .map(|(c, b)| {
            vec![
                c.to_string(),
                est(&b.s_dis),
                est(&b.s_amb),
                est(&b.accuracy_ambiguous),
                est(&b.accuracy_disambiguated),
                format!("{}/{}", b.s_amb.n, b.s_dis.n),
                format!("{}/{}", b.s_amb.clusters, b.s_dis.clusters),
            ]
        })
        .collect();
    s.push_str(&captioned(
        "BBQ-style items",
        &[
            "category",
            "s_DIS [95% CI]",
            "s_AMB [95% CI]",
            "accuracy, ambiguous",
            "accuracy, disambiguated",
            "questions (amb/dis)",
            "items (amb/dis)",
        ],
        &t,
    ));
    s
}

fn text_section(r: &ProbeReport) -> String {
    let mut s = String::new();
    if !r.free_text.is_empty() {
        let _ = write!(
            s,
            "<p>Similarity of each value's response to the baseline's for the same template and \
             sample (1 = identical); cosine of {} sentence embeddings. n: pairs; intervals over \
             templates.</p>",
            escape(r.encoder.as_deref().unwrap_or("(no encoder loaded)"))
        );
        let t: Vec<Vec<String>> = r
            .free_text
            .iter()
            .map(|x| {
                vec![
                    format!("{} ({}) {}", x.axis, x.form, x.value),
                    format!("{}", x.n),
                    format!("{}", x.templates),
                    est(&x.rouge_l),
                    est(&x.bleu),
                    x.cosine
                        .as_ref()
                        .map(|c| format!("{} (n {})", est(c), c.n))
                        .unwrap_or_else(|| "—".into()),
                ]
            })
            .collect();
        s.push_str(&captioned(
            "Counterfactual similarity to the baseline",
            &[
                "axis (form) value",
                "pairs",
                "templates",
                "ROUGE-L [95% CI]",
                "BLEU [95% CI]",
                "cosine [95% CI]",
            ],
            &t,
        ));
    }
    if !r.free_text_sentiment.is_empty() {
        s.push_str(
            "<p>VADER sentiment parity: Wasserstein-1 distance between the two groups' score \
             distributions (biased upward in small samples: its interval measures precision, not \
             a difference from 0) and threshold parity (share above τ of the first group minus \
             the second's).</p>",
        );
        let mut t = Vec::new();
        for pair in &r.free_text_sentiment {
            for x in &pair.parity {
                t.push(vec![
                    format!(
                        "{} ({}) {} vs {}",
                        pair.axis, pair.form, pair.group_a, pair.group_b
                    ),
                    match x.score {
                        SentimentScore::Compound => "compound",
                        SentimentScore::Negative => "neg",
                        SentimentScore::Positive => "pos",
                    }
                    .into(),
                    format!("{}/{}", x.n_a, x.n_b),
                    format!("{}", x.templates),
                    format!(
                        "{} {}",
                        value(&x.wasserstein_1),
                        interval(x.wasserstein_1_ci95, None)
                    ),
                    format!("{}", x.threshold),
                    format!(
                        "{} {}",
                        value(&x.threshold_parity),
                        interval(x.threshold_parity_ci95, None)
                    ),
                ]);
            }
        }
        s.push_str(&captioned(
            "Sentiment parity",
            &[
                "axis (form) groups",
                "score",
                "n",
                "templates",
                "W1 [95% CI]",
                "τ",
                "threshold parity [95% CI]",
            ],
            &t,
        ));
    }
    if !r.cooccurrence.is_empty() {
        s.push_str(
            "<p>Co-occurrence bias score (Bordia &amp; Bowman 2019, β = 0.95): mean |log10| ratio \
             of each word's co-occurrence with the two groups' words, over the words co-occurring \
             with both (0 = no difference). Intervals over templates.</p>",
        );
        let t: Vec<Vec<String>> = r
            .cooccurrence
            .iter()
            .map(|c| {
                vec![
                    format!("{}: {} vs {}", c.attribute, c.group_a, c.group_b),
                    format!(
                        "{} {}",
                        value(&c.score),
                        interval(c.ci95, c.no_interval.as_ref().map(|w| w.to_string()))
                    ),
                    format!("{}", c.responses),
                    format!("{}", c.clusters),
                    format!("{}", c.words.len()),
                    format!("{}/{}", c.attribute_tokens_a, c.attribute_tokens_b),
                    format!("{}", c.reference_tokens),
                ]
            })
            .collect();
        s.push_str(&captioned(
            "Co-occurrence bias",
            &[
                "groups",
                "COBS [95% CI]",
                "responses",
                "templates",
                "words scored",
                "attribute tokens",
                "reference tokens",
            ],
            &t,
        ));
    }
    s
}

fn recommendation_section(r: &ProbeReport) -> String {
    let mut s = String::from(
        "<p>Each value's list against the neutral request's list of the same template, mean over \
         templates (Jaccard@K; SERP*@K and PRAG*@K with LangFair's normalisers), and the spread \
         across an axis's values (SNSR = max − min, SNSV = standard deviation), mean over \
         templates. Intervals over templates.</p>",
    );
    let t: Vec<Vec<String>> = r
        .recommendation_summary
        .iter()
        .map(|x| {
            vec![
                format!("{} {}", x.axis, x.value),
                format!("{}", x.prag.clusters),
                est(&x.jaccard),
                est(&x.serp),
                est(&x.prag),
            ]
        })
        .collect();
    s.push_str(&captioned(
        "Recommendation similarity to the neutral request",
        &[
            "axis value",
            "templates",
            "Jaccard@K [95% CI]",
            "SERP*@K [95% CI]",
            "PRAG*@K [95% CI]",
        ],
        &t,
    ));
    let t: Vec<Vec<String>> = r
        .recommendation_spread_summary
        .iter()
        .map(|x| {
            vec![
                format!("{} {}", x.axis, x.metric),
                format!("{}", x.snsr.clusters),
                est(&x.snsr),
                est(&x.snsv),
            ]
        })
        .collect();
    s.push_str(&captioned(
        "Spread across values",
        &["axis metric", "templates", "SNSR [95% CI]", "SNSV [95% CI]"],
        &t,
    ));
    s
}

fn methods(r: &ProbeReport) -> String {
    let mut s = format!(
        "<ul><li><b>Intervals.</b> 95% percentile intervals of a cluster bootstrap: the \
         resampling unit is the template (BBQ: the item), since probes of one template share \
         everything but the attribute. Each of {} replicates draws as many templates as there \
         are, with replacement (generator seeded with {}), and recomputes the statistic on all \
         their observations; replicates where it is undefined are left out. With fewer than two \
         templates there is no interval, and the reason is shown.</li>",
        r.bootstrap.replicates, r.bootstrap.seed
    );
    let _ = write!(
        s,
        "<li><b>Tests.</b> {} ({} tests: {} paired, {} Wald).</li>",
        escape(&r.corrections.method),
        r.corrections.family_size,
        r.corrections.paired_tests,
        r.corrections.wald_tests
    );
    s.push_str(
        "<li><b>Decisions.</b> Outcome logit P(yes) = log P(yes) − log P(no), from next-token \
         log-probabilities summed over surface forms and normalised over the answer set \
         (discrim-eval); the mixed-effects score is each group's fixed effect in a linear mixed \
         model with a random intercept per template (REML).</li>\
         <li><b>Free text.</b> ROUGE-L F, sentence BLEU (NLTK method1 smoothing, min of both \
         directions) and embedding cosine as LangFair's counterfactual metrics; VADER 3.3.2 \
         sentiment; COBS with NLTK's stop words, gender pairs from the built-in lexicon, race \
         pairs with context-dependent race words counted only before a person word.</li>\
         <li><b>Recommendations.</b> Jaccard@K, SERP*@K, PRAG*@K (FaiRLLM; LangFair \
         normaliser K(K+1) for PRAG*) against the neutral request; SNSR/SNSV across values.</li>",
    );
    let c = &r.coverage;
    if let Some(m) = c.mean {
        let _ = write!(
            s,
            "<li><b>Coverage.</b> Closed-form answers covered a mean {m:.3} (min {:.3}) of the \
             first-token probability over {} probes; {} censored, {} unreadable (left out of \
             logit metrics).</li>",
            c.min.unwrap_or(0.0),
            c.n,
            c.censored,
            c.unreadable
        );
    }
    s.push_str("</ul>");
    s
}

impl ProbeReport {
    /// A self-contained HTML page of the report.
    pub fn to_html(&self) -> String {
        let mut page = Page::new(
            &format!("aequo probe: {} on {}", self.suite, self.model),
            &format!(
                "{} of {} probes answered · schema {} · bootstrap {} replicates, seed {}",
                self.answered,
                self.probes,
                self.schema,
                self.bootstrap.replicates,
                self.bootstrap.seed
            ),
        );
        if !self.decision.is_empty() {
            page.section(
                "decisions",
                "Decisions: gaps from the baseline",
                axis_section(&self.decision, "decision", "logit P(yes) − baseline", self),
            );
        }
        if !self.score.is_empty() {
            page.section(
                "scores",
                "Scores: gaps from the baseline",
                axis_section(&self.score, "score", "expected score − baseline", self),
            );
        }
        if let Some(b) = &self.bbq {
            page.section("bbq", "BBQ-style bias scores", bbq_section(b, self));
        }
        if !self.free_text.is_empty()
            || !self.free_text_sentiment.is_empty()
            || !self.cooccurrence.is_empty()
        {
            page.section("free-text", "Free text", text_section(self));
        }
        if !self.recommendation_summary.is_empty() {
            page.section(
                "recommendations",
                "Recommendations",
                recommendation_section(self),
            );
        }
        page.section("methods", "Methods", methods(self));
        page.render()
    }
}
