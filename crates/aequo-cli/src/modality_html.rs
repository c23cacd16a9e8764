//! The HTML page of a modality-reliance audit (`aequo modality score … --html FILE`): the report
//! of `aequo-modality` rendered with `aequo-report`'s page shell and SVG charts. Every number is
//! the report's own, printed with its sample size and interval; nothing is recomputed here, and
//! the page fetches nothing (the shell's Content-Security-Policy forbids it).

use aequo_modality::cli::HtmlRenderers;
use aequo_modality::perceptual::Reading;
use aequo_modality::report::ModalityReport;
use aequo_modality::xmod::XmodReport;
use aequo_modality::{Estimate, Value};
use aequo_report::chart::{Bar, BarChart};
use aequo_report::page::{escape, figure, table, Page};

/// A value with three decimals, or why it is undefined.
fn value(v: &Value) -> String {
    match v {
        Value::Defined(x) => format!("{x:.3}"),
        Value::Undefined(u) => format!("undefined ({})", reason(u)),
    }
}

fn reason(u: &aequo_modality::Undefined) -> String {
    match u {
        aequo_modality::Undefined::ZeroDenominator { .. } => "zero denominator".into(),
        aequo_modality::Undefined::NoItems => "no items".into(),
        aequo_modality::Undefined::TooFewValues { count } => format!("{count} values"),
    }
}

/// The interval as `[low, high]`, or a dash when none was computed.
fn interval(e: &Estimate) -> String {
    e.interval
        .as_ref()
        .map_or("—".into(), |i| format!("[{:.3}, {:.3}]", i.low, i.high))
}

/// `value [low, high]` — the way a number is written in sentences.
fn with_ci(e: &Estimate) -> String {
    match &e.interval {
        Some(i) => format!(
            "{} [{:.3}, {:.3}], n = {}",
            value(&e.value),
            i.low,
            i.high,
            e.n
        ),
        None => format!("{}, n = {}", value(&e.value), e.n),
    }
}

fn reading(r: &Reading) -> String {
    match r {
        Reading::Marginal => "marginal".into(),
        Reading::WithinGroupPermutation(g) => format!("within {g}"),
        Reading::ModalityConditional => "modality-conditional".into(),
    }
}

fn bar(label: String, e: &Estimate) -> Bar {
    Bar {
        label,
        value: e.value.get(),
        interval: e.interval.as_ref().map(|i| (i.low, i.high)),
        rows: e.n as u64,
        small: false,
        note: match &e.value {
            Value::Undefined(u) => Some(reason(u)),
            Value::Defined(_) => None,
        },
    }
}

fn negative_note(bars: &[Bar]) -> String {
    if bars
        .iter()
        .any(|b| b.value.is_some_and(|v| v < 0.0) || b.interval.is_some_and(|i| i.0 < 0.0))
    {
        "<p class=\"note\">Some values or interval ends are negative (the modality's removal or permutation <em>raised</em> accuracy, within noise); the chart's axis starts at zero and draws them at zero — the table holds the signed numbers.</p>".into()
    } else {
        String::new()
    }
}

/// The renderers `aequo modality … --html` uses.
pub const RENDERERS: HtmlRenderers = HtmlRenderers {
    report: render,
    xmod: render_xmod,
};

/// A percentage-scale value with one decimal (XModBench's tables), or why it is undefined.
fn pct(v: &Value) -> String {
    match v {
        Value::Defined(x) => format!("{x:.1}"),
        Value::Undefined(u) => format!("undefined ({})", reason(u)),
    }
}

fn pct_ci(e: &Estimate) -> String {
    match &e.interval {
        Some(i) => format!("{} [{:.1}, {:.1}]", pct(&e.value), i.low, i.high),
        None => pct(&e.value),
    }
}

fn interval_meta(estimates: &[&Estimate]) -> String {
    estimates.iter().find_map(|e| e.interval.as_ref()).map_or(
        "no intervals (0 bootstrap replicates)".into(),
        |i| {
            format!(
                "intervals: {:.0}% item-bootstrap percentile, {} replicates, seed {}",
                i.level * 100.0,
                i.replicates,
                i.seed
            )
        },
    )
}

/// Renders a cross-modal consistency report (XModBench) as one self-contained HTML page.
pub fn render_xmod(r: &XmodReport, source: &std::path::Path) -> String {
    let dirs: Vec<String> = r.directions.iter().map(|d| d.short()).collect();
    let all: Vec<&Estimate> = r.overall.per_direction.iter().collect();
    let meta = format!(
        "aequo.modality.xmod/1 · {} · {} families · {}",
        source.display(),
        r.families.len(),
        interval_meta(&all)
    );
    let mut page = Page::new("Cross-modal consistency", &meta);
    let bars: Vec<Bar> = r
        .directions
        .iter()
        .zip(&r.overall.per_direction)
        .map(|(d, e)| bar(format!("{} → {}", d.context, d.candidate), e))
        .collect();
    let chart = BarChart {
        id: "directions".into(),
        title: "Accuracy per direction (mean of families)".into(),
        description:
            "Accuracy when the question is given in one modality and the candidates in another."
                .into(),
        axis_label: "Accuracy (%)".into(),
        interval_label: all
            .iter()
            .find_map(|e| e.interval.as_ref())
            .map_or(String::new(), |i| format!("{:.0}% CI", i.level * 100.0)),
        small_label: String::new(),
        bars,
        reference: r
            .overall
            .average
            .value
            .get()
            .map(|a| ("average".to_string(), a)),
    };
    let mut headers: Vec<&str> = vec!["Family"];
    headers.extend(dirs.iter().map(String::as_str));
    headers.extend(["Average", "σ over directions (sample)", "Tasks"]);
    let rows: Vec<Vec<String>> = r
        .families
        .iter()
        .chain(std::iter::once(&r.overall))
        .map(|f| {
            let mut row = vec![f.family.clone()];
            row.extend(f.per_direction.iter().map(pct_ci));
            row.push(pct_ci(&f.average));
            row.push(pct(&f.sd_sample.value));
            row.push(f.tasks.len().to_string());
            row
        })
        .collect();
    let n_items: Vec<String> = r
        .directions
        .iter()
        .zip(&r.overall.per_direction)
        .map(|(d, e)| format!("{}: n = {}", d.short(), e.n))
        .collect();
    let mut body = format!(
        "<p>Accuracy (%) per context → candidate direction, per task family ({}); the overall row is the mean of the families. Items per direction (overall): {}.</p>",
        escape(&format!("{:?}", r.config.aggregation)),
        escape(&n_items.join(", "))
    );
    body.push_str(&figure(&chart.svg(), &table(&headers, &rows)));
    page.section("directions", "Accuracy per direction", body);

    let rows: Vec<Vec<String>> = r
        .imbalance
        .iter()
        .map(|i| {
            vec![
                format!("{} ↔ {}", i.first, i.second),
                pct_ci(&i.forward),
                pct_ci(&i.backward),
                pct_ci(&i.delta),
                i.delta.n.to_string(),
            ]
        })
        .collect();
    let mut body = String::from("<p>Directional imbalance: Acc(X→Y) − Acc(Y→X), overall.</p>");
    body.push_str(&table(&["Pair", "X → Y", "Y → X", "Imbalance", "n"], &rows));
    if !r.disparity.is_empty() {
        let rows: Vec<Vec<String>> = r
            .disparity
            .iter()
            .map(|d| {
                vec![
                    format!("{} vs {} (via {})", d.first, d.second, d.partner),
                    pct_ci(&d.value),
                    d.value.n.to_string(),
                ]
            })
            .collect();
        body.push_str("<h3>Modality disparity</h3>");
        body.push_str(&table(&["Pair", "Disparity", "n"], &rows));
    }
    page.section("imbalance", "Imbalance and disparity", body);

    let c = &r.item_consistency;
    let rows = vec![
        vec!["right in every direction".into(), with_ci(&c.all_correct)],
        vec!["wrong in every direction".into(), with_ci(&c.all_wrong)],
        vec![
            "same outcome in every direction".into(),
            with_ci(&c.consistent),
        ],
    ];
    page.section(
        "consistency",
        "Item-level consistency",
        format!(
            "<p>{} items are answered in every direction; fractions of them:</p>{}",
            c.items,
            table(&["Outcome", "Fraction [CI], n"], &rows)
        ),
    );
    page.section(
        "methods",
        "Methods",
        format!(
            "<ul><li>Per-item correctness read from the model's result files; unanswered items: {}; tasks left out: {}.</li><li>Family accuracy per direction: {} (XModBench's table averages task accuracies).</li><li>σ is the sample standard deviation of a family's accuracies over the directions; imbalance and disparity follow XModBench's definitions.</li><li>Intervals: percentile intervals of an item bootstrap; n is the number of items a number is computed from.</li></ul>",
            escape(&format!("{:?}", r.config.unanswered)),
            escape(&if r.config.exclude_tasks.is_empty() { "none".to_string() } else { r.config.exclude_tasks.join(", ") }),
            escape(&format!("{:?}", r.config.aggregation)),
        ),
    );
    page.render()
}

/// Renders the report as one self-contained HTML page.
pub fn render(r: &ModalityReport) -> String {
    let mods: Vec<&str> = r.modalities.iter().map(|m| m.as_str()).collect();
    let level = (r.bootstrap.level * 100.0).round();
    let ci = format!("{level:.0}% CI");
    let meta = format!(
        "{} · {} items · modalities {} · intervals: {level:.0}% item-bootstrap percentile, {} replicates, seed {}",
        r.schema,
        r.items,
        mods.join(", "),
        r.bootstrap.replicates,
        r.bootstrap.seed
    );
    let mut page = Page::new("Modality reliance", &meta);

    if !r.perceptual.is_empty() {
        let bars: Vec<Bar> = r
            .perceptual
            .iter()
            .map(|p| {
                bar(
                    format!("{} ({})", p.modality, reading(&p.score.reading)),
                    &p.score.unnormalised,
                )
            })
            .collect();
        let note = negative_note(&bars);
        let chart = BarChart {
            id: "perceptual".into(),
            title: "Perceptual score per modality".into(),
            description: "Accuracy lost when the modality is permuted across items (higher: the model relies on it more).".into(),
            axis_label: "Accuracy drop (full − permuted)".into(),
            interval_label: ci.clone(),
            small_label: String::new(),
            bars,
            reference: None,
        };
        let rows: Vec<Vec<String>> = r
            .perceptual
            .iter()
            .map(|p| {
                let s = &p.score;
                vec![
                    p.modality.to_string(),
                    reading(&s.reading),
                    value(&s.unnormalised.value),
                    interval(&s.unnormalised),
                    value(&s.normalised.value),
                    interval(&s.normalised),
                    with_ci(&s.reference_accuracy),
                    with_ci(&s.permuted_accuracy),
                    s.unnormalised.n.to_string(),
                    s.per_permutation.len().to_string(),
                ]
            })
            .collect();
        let t = table(
            &[
                "Modality",
                "Reading",
                "Perceptual score",
                &ci,
                "Normalised",
                &format!("{ci} (normalised)"),
                "Reference accuracy",
                "Permuted accuracy",
                "n",
                "Permutations",
            ],
            &rows,
        );
        let mut body = String::from("<p>The perceptual score of a modality is the accuracy with every input minus the mean accuracy when that modality is permuted across items (its information destroyed, its distribution kept); normalised, it is divided by the full-input accuracy.</p>");
        body.push_str(&figure(&chart.svg(), &t));
        body.push_str(&note);
        let subsets: Vec<Vec<String>> = r
            .perceptual
            .iter()
            .filter_map(|p| p.by_subset.as_ref().map(|b| (p, b)))
            .flat_map(|(p, b)| {
                b.iter().map(move |(g, s)| {
                    vec![
                        format!("{} · {g}", p.modality),
                        value(&s.unnormalised.value),
                        interval(&s.unnormalised),
                        s.unnormalised.n.to_string(),
                    ]
                })
            })
            .collect();
        if !subsets.is_empty() {
            body.push_str("<h3>Per data subset</h3>");
            body.push_str(&table(
                &["Modality · subset", "Perceptual score", &ci, "n"],
                &subsets,
            ));
        }
        page.section("perceptual", "Perceptual score", body);
    }

    if let Some(sh) = &r.shapley {
        let bars: Vec<Bar> = sh
            .modalities
            .iter()
            .zip(&sh.phi)
            .map(|(m, e)| bar(m.to_string(), e))
            .collect();
        let note = negative_note(&bars);
        let chart = BarChart {
            id: "shapley".into(),
            title: "Shapley attribution of accuracy".into(),
            description:
                "Each modality's exact Shapley share of the accuracy over all modality subsets."
                    .into(),
            axis_label: "φ (accuracy)".into(),
            interval_label: ci.clone(),
            small_label: String::new(),
            bars,
            reference: None,
        };
        let rows: Vec<Vec<String>> = sh
            .modalities
            .iter()
            .zip(&sh.phi)
            .zip(&sh.share)
            .map(|((m, e), s)| {
                vec![
                    m.to_string(),
                    value(&e.value),
                    interval(e),
                    s.map_or("—".into(), |s| format!("{s:.3}")),
                    e.n.to_string(),
                ]
            })
            .collect();
        let t = table(&["Modality", "φ", &ci, "Share |φ|/Σ|φ|", "n"], &rows);
        let mut body = format!(
            "<p>Accuracy with every modality v(M) = {:.3}; with none v(∅) = {:.3} ({}). The φ add up to v(M) − v(∅).</p>",
            sh.full_value,
            sh.empty_value,
            if sh.empty_observed {
                "observed"
            } else {
                "not run, taken as 0"
            }
        );
        body.push_str(&figure(&chart.svg(), &t));
        body.push_str(&note);
        page.section("shapley", "Shapley attribution", body);
    }

    if let Some(nd) = &r.need {
        let mut rows: Vec<Vec<String>> = nd
            .class_fraction
            .iter()
            .map(|(c, e)| {
                vec![
                    format!("class: {c}"),
                    value(&e.value),
                    interval(e),
                    e.n.to_string(),
                ]
            })
            .collect();
        for (m, e) in nd.modalities.iter().zip(&nd.solvable_alone) {
            rows.push(vec![
                format!("solvable from {m} alone"),
                value(&e.value),
                interval(e),
                e.n.to_string(),
            ]);
        }
        let e = &nd.solvable_from_one;
        rows.push(vec![
            "solvable from one modality".into(),
            value(&e.value),
            interval(e),
            e.n.to_string(),
        ]);
        for (m, e) in nd.modalities.iter().zip(&nd.mean_mis) {
            rows.push(vec![
                format!("mean leave-one-out need of {m}"),
                value(&e.value),
                interval(e),
                e.n.to_string(),
            ]);
        }
        let body = format!(
            "<p>Item-level modality need: which items need a modality (correct with everything, wrong without it), are solved by several (agnostic), or only by their combination (complementary); the fractions summarise the data set.</p>{}",
            table(&["Quantity", "Fraction", &ci, "n"], &rows)
        );
        page.section("need", "Modality need", body);
    }

    if !r.conflict.is_empty() {
        let rows: Vec<Vec<String>> = r
            .conflict
            .iter()
            .map(|c| {
                let p = &c.preference;
                let k = &p.counts;
                vec![
                    c.modality.to_string(),
                    format!(
                        "{} {}",
                        value(&p.text_preference_ratio.value),
                        interval(&p.text_preference_ratio)
                    ),
                    p.text_preference_ratio.n.to_string(),
                    format!(
                        "same {}, text {}, image {}, both {}, neither {}, undefined {}",
                        k.same, k.text, k.image, k.both, k.neither, k.undefined
                    ),
                    with_ci(&c.normalised_accuracy.base_accuracy),
                    with_ci(&c.normalised_accuracy.corrupted_accuracy),
                    with_ci(&c.normalised_accuracy.normalised),
                ]
            })
            .collect();
        let body = format!(
            "<p>With a conflicting input in one modality, which answer does the model give? The Text Preference Ratio is #text / (#text + #image) over items whose answer follows exactly one side (soft match); normalised accuracy is the accuracy under the conflicting input over the accuracy with the original.</p>{}",
            table(
                &[
                    "Conflicting modality",
                    &format!("Preference ratio {ci}"),
                    "n",
                    "Statuses",
                    "Accuracy, original",
                    "Accuracy, conflicting",
                    "Normalised accuracy",
                ],
                &rows
            )
        );
        page.section("conflict", "Conflict preference", body);
    }

    if !r.robustness.is_empty() {
        let rows: Vec<Vec<String>> = r
            .robustness
            .iter()
            .flat_map(|c| {
                c.points.iter().map(move |p| {
                    vec![
                        format!("{} @ {:.2}", c.modality, p.rate),
                        value(&p.accuracy.value),
                        interval(&p.accuracy),
                        p.accuracy.n.to_string(),
                    ]
                })
            })
            .collect();
        let mut body = String::from(
            "<p>Accuracy when the modality is removed for a seeded, nested fraction of items.</p>",
        );
        body.push_str(&table(
            &["Modality @ missing rate", "Accuracy", &ci, "n"],
            &rows,
        ));
        for c in &r.robustness {
            body.push_str(&format!(
                "<p>{}: normalised area under the curve {}; drop from the first to the last rate {}.</p>",
                escape(c.modality.as_str()),
                escape(&with_ci(&c.auc)),
                escape(&with_ci(&c.drop))
            ));
        }
        page.section("robustness", "Missing-modality robustness", body);
    }

    let rows: Vec<Vec<String>> = r
        .conditions
        .iter()
        .map(|c| {
            vec![
                c.condition.clone(),
                value(&c.accuracy.value),
                interval(&c.accuracy),
                c.accuracy.n.to_string(),
            ]
        })
        .collect();
    page.section(
        "conditions",
        "Accuracy per condition",
        format!(
            "<p>Conditions: <code>full</code> every input; <code>drop:m</code> modality m removed; <code>keep:…</code> only these; <code>none</code> all removed; <code>permute:m#k</code> m taken from another item under the k-th seeded permutation; <code>missing:m@r</code> m removed for a fraction r of items; <code>conflict:m</code> m replaced by a conflicting input.</p>{}",
            table(&["Condition", "Accuracy", &ci, "n"], &rows)
        ),
    );

    page.section(
        "methods",
        "Methods",
        format!(
            "<ul>\
<li>Every number is computed by <code>aequo-modality</code> from per-item correctness under the planned conditions; this page only formats the report ({schema}).</li>\
<li>Intervals: {level:.0}% percentile intervals of an item bootstrap ({b} replicates, seed {seed}); n is the number of items a number is computed from.</li>\
<li>Perceptual score (Gat et al., 2021): acc(full) − mean over K seeded permutations of acc(modality permuted); the within-group reading permutes only inside a label or group.</li>\
<li>Shapley attribution: exact enumeration over every modality subset of the accuracy v(S) with only S given; a removed modality is the runner's blank (empty text, blank or omitted image, zeros).</li>\
<li>Modality need: per item, from correctness with all modalities, each alone and each left out.</li>\
<li>Conflict preference: Text Preference Ratio with the soft-match rules of the blind-faith-in-text code (Deng et al., 2025); normalised accuracy = accuracy with the conflicting input / accuracy with the original.</li>\
<li>Robustness: accuracy with the modality removed for nested, seeded fractions of items; area normalised to the rate range.</li>\
</ul>",
            schema = escape(&r.schema),
            b = r.bootstrap.replicates,
            seed = r.bootstrap.seed,
        ),
    );
    page.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aequo_modality::cli::{run_with, ModalityCommand};
    use aequo_modality::xmod::{cross_modal_consistency, XmodConfig};
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: ModalityCommand,
    }

    fn run(args: &[&str]) -> anyhow::Result<()> {
        let mut v = vec!["x"];
        v.extend_from_slice(args);
        run_with(Cli::parse_from(v).cmd, Some(RENDERERS))
    }

    #[test]
    fn the_page_holds_the_reports_numbers_and_fetches_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_string_lossy().to_string();
        let opts = ["--permutations", "3", "--missing-rates", "0.5,1"];
        let mut args = vec!["synth", "--out", &d, "--items", "300", "--alpha", "0.8"];
        args.extend(opts);
        run(&args).expect("synth");
        let (m, p, h) = (
            format!("{d}/manifest.jsonl"),
            format!("{d}/predictions.jsonl"),
            format!("{d}/page/report.html"),
        );
        let mut args = vec![
            "score",
            &m,
            &p,
            "--out",
            &d,
            "--replicates",
            "200",
            "--html",
            &h,
        ];
        args.extend(opts);
        run(&args).expect("score");
        let html = std::fs::read_to_string(&h).expect("html");
        let report: ModalityReport = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("report.json")).expect("json"),
        )
        .expect("report");
        // Every headline number of the JSON result, with its interval and n, is on the page.
        let mut expected: Vec<&Estimate> = Vec::new();
        for pe in &report.perceptual {
            expected.extend([&pe.score.unnormalised, &pe.score.normalised]);
        }
        let sh = report.shapley.as_ref().expect("shapley");
        expected.extend(&sh.phi);
        let need = report.need.as_ref().expect("need");
        expected.extend(&need.solvable_alone);
        expected.push(&need.solvable_from_one);
        expected.extend(report.conditions.iter().map(|c| &c.accuracy));
        for c in &report.robustness {
            expected.extend(c.points.iter().map(|p| &p.accuracy));
        }
        assert!(expected.len() > 20);
        for e in expected {
            let v = format!("{:.3}", e.value.get().expect("defined"));
            assert!(html.contains(&format!("<td>{v}</td>")), "{v} missing");
            let i = e.interval.as_ref().expect("interval");
            assert!(html.contains(&format!("[{:.3}, {:.3}]", i.low, i.high)));
            assert!(html.contains(&format!("<td>{}</td>", e.n)));
        }
        for id in [
            "perceptual",
            "shapley",
            "need",
            "robustness",
            "conditions",
            "methods",
        ] {
            assert!(html.contains(&format!("<section id=\"{id}\"")), "{id}");
        }
        assert!(
            html.matches("<svg").count() >= 2,
            "the perceptual and Shapley bar charts"
        );
        assert!(html.contains("200 replicates"));
        // Self-contained: a CSP that forbids fetching, and no external reference anywhere.
        assert!(html.contains("default-src 'none'"));
        for bad in [
            "src=\"http",
            "href=\"http",
            "url(http",
            "@import",
            "<link",
            "src=\"//",
        ] {
            assert!(!html.contains(bad), "{bad}");
        }
    }

    #[test]
    fn the_xmod_page_holds_every_direction_imbalance_and_consistency() {
        use aequo_modality::xmod::{from_accuracy_table, Direction};
        let table: std::collections::BTreeMap<Direction, f64> = [
            (("audio", "text"), 70.0),
            (("audio", "vision"), 60.0),
            (("text", "audio"), 65.0),
            (("text", "vision"), 80.0),
            (("vision", "audio"), 62.0),
            (("vision", "text"), 90.0),
        ]
        .into_iter()
        .map(|((a, b), v)| (Direction::new(a, b), v))
        .collect();
        let mut data = from_accuracy_table("Perception", "p1", &table, 200);
        data.extend(from_accuracy_table("Knowledge", "k1", &table, 100));
        let boot = aequo_modality::bootstrap::BootstrapConfig {
            replicates: 100,
            seed: 3,
            level: 0.9,
        };
        let r = cross_modal_consistency(&data, &XmodConfig::default(), &boot).expect("xmod");
        let html = render_xmod(&r, std::path::Path::new("results/model-x"));
        for f in r.families.iter().chain(std::iter::once(&r.overall)) {
            for e in f.per_direction.iter().chain([&f.average]) {
                assert!(
                    html.contains(&format!("<td>{}</td>", pct_ci(e))),
                    "{}",
                    pct_ci(e)
                );
            }
        }
        assert!(html.contains("<td>90.0 ["), "V→T accuracy");
        for i in &r.imbalance {
            assert!(html.contains(&format!("<td>{}</td>", pct_ci(&i.delta))));
        }
        // Disp(A, T) = ½[(A→V − T→V) + (V→A − V→T)] = −24.
        assert!(html.contains("<td>-24.0"), "disparity");
        assert!(html.contains(&with_ci(&r.item_consistency.consistent)));
        assert!(html.contains("90% CI") && html.contains("100 replicates"));
        assert!(html.contains("default-src 'none'") && !html.contains("src=\"http"));
    }

    #[test]
    fn html_without_the_binarys_renderers_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_string_lossy().to_string();
        let h = format!("{d}/x.html");
        let cmd = Cli::parse_from(["x", "xmod", &d, "--out", &d, "--html", &h]).cmd;
        let e = aequo_modality::cli::run(cmd).expect_err("no renderer");
        assert!(e.to_string().contains("aequo` binary"), "{e}");
    }

    #[test]
    fn negative_values_are_flagged_and_undefined_ones_explained() {
        let e = Estimate {
            value: Value::Defined(-0.01),
            n: 10,
            interval: None,
        };
        let b = bar("image".into(), &e);
        assert!(negative_note(&[b]).contains("negative"));
        let u = Estimate {
            value: Value::Undefined(aequo_modality::Undefined::NoItems),
            n: 0,
            interval: None,
        };
        assert_eq!(bar("x".into(), &u).note.as_deref(), Some("no items"));
        assert_eq!(with_ci(&u), "undefined (no items), n = 0");
    }
}
