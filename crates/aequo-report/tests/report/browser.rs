//! The report in a real browser: headless Chromium (Debian's `chromium`) loads the page from a
//! file and the test checks that it loads with no console errors and no network requests, that
//! the summary and every chart are in the DOM with their text alternatives, that sorting and
//! filtering work, and that it prints to PDF. A screenshot, the PDF and the page are left under
//! `target/tmp/aequo-report/` as artifacts.
//!
//! Without Chromium the test says so and passes, unless `AEQUO_REQUIRE_BROWSER=1` (CI), where
//! it fails. `AEQUO_UPDATE_DOCS=1` also writes `docs/report-synthetic.png`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aequo_core::AuditResult;
use aequo_report::{html, HtmlOptions};
use base64::Engine;
use serde_json::{json, Value};

use crate::cdp::{find_chromium, Chromium};
use crate::fixtures::{hostile, synthetic};

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("aequo-report");
    std::fs::create_dir_all(&dir).expect("the artifact directory can be created");
    dir
}

fn chromium_or_skip() -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        if std::env::var("AEQUO_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("AEQUO_REQUIRE_BROWSER=1 but chromium was not found (apt-get install chromium)");
        }
        eprintln!(
            "skipped: chromium not found; install Debian's `chromium` to run the browser test"
        );
    }
    found
}

/// What a loaded page reported.
struct Loaded {
    session: String,
    errors: Vec<String>,
    requests: Vec<String>,
}

/// Opens `file` in a new tab and waits for its load event; collects console errors and
/// network requests other than the page itself.
fn load(b: &mut Chromium, file: &Path) -> Result<Loaded, String> {
    let url = format!("file://{}", file.display());
    let target = b.call(None, "Target.createTarget", json!({"url": "about:blank"}))?;
    let attached = b.call(
        None,
        "Target.attachToTarget",
        json!({"targetId": target["targetId"], "flatten": true}),
    )?;
    let session = attached["sessionId"]
        .as_str()
        .ok_or("no session id")?
        .to_owned();
    let s = Some(session.as_str());
    for domain in [
        "Runtime.enable",
        "Log.enable",
        "Network.enable",
        "Page.enable",
    ] {
        b.call(s, domain, json!({}))?;
    }
    b.call(
        s,
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
    )?;
    b.events.clear();
    b.call(s, "Page.navigate", json!({"url": url}))?;
    b.wait_for("Page.loadEventFired", Duration::from_secs(60))?;
    // Let anything the page might start after load show up.
    b.eval(&session, "new Promise(r => setTimeout(() => r(true), 300))")?;
    let mut errors = Vec::new();
    let mut requests = Vec::new();
    for e in b.events.drain(..) {
        if e["sessionId"] != json!(session) {
            continue;
        }
        let p = &e["params"];
        match e["method"].as_str().unwrap_or("") {
            "Runtime.consoleAPICalled"
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                errors.push(format!("console.{}: {}", p["type"], p["args"]));
            }
            "Runtime.exceptionThrown" => {
                errors.push(format!("exception: {}", p["exceptionDetails"]))
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                errors.push(format!("log: {}", p["entry"]["text"]));
            }
            "Network.requestWillBeSent" => {
                let u = p["request"]["url"].as_str().unwrap_or("").to_owned();
                if u != url {
                    requests.push(u);
                }
            }
            _ => {}
        }
    }
    Ok(Loaded {
        session,
        errors,
        requests,
    })
}

fn screenshot(
    b: &mut Chromium,
    session: &str,
    clip: Option<(f64, f64)>,
) -> Result<Vec<u8>, String> {
    let mut params = json!({"format": "png", "captureBeyondViewport": true});
    if let Some((w, h)) = clip {
        params["clip"] = json!({"x": 0, "y": 0, "width": w, "height": h, "scale": 1});
    }
    let r = b.call(Some(session), "Page.captureScreenshot", params)?;
    decode(&r["data"])
}

/// A screenshot of the page region `rect` ({x, y, width, height}), scaled.
fn screenshot_clip(
    b: &mut Chromium,
    session: &str,
    rect: &Value,
    scale: f64,
) -> Result<Vec<u8>, String> {
    let r = b.call(
        Some(session),
        "Page.captureScreenshot",
        json!({"format": "png", "captureBeyondViewport": true,
               "clip": {"x": rect["x"], "y": rect["y"], "width": rect["width"], "height": rect["height"], "scale": scale}}),
    )?;
    decode(&r["data"])
}

/// The page region of the first heat map.
const RECT_OF_FIRST_HEATMAP: &str = r#"(() => {
  const r = document.querySelector('svg.chart[id^="heat-"]').closest('figure').getBoundingClientRect();
  return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
})()"#;

/// Hides all but the summary, the selection-rate bar charts and the deepest intersection's
/// first two heat maps; returns the region from the top of the page to the end of those.
const DOCS_VIEW: &str = r#"(() => {
  const hide = e => { e.style.display = 'none'; };
  document.querySelectorAll('#metrics > section.metric:not(#m-selection_rate)').forEach(hide);
  document.querySelectorAll('#m-selection_rate details').forEach(hide);
  const first = document.querySelector('#intersections details');
  document.querySelectorAll('#intersections details').forEach(d => { if (d !== first) hide(d); });
  const figs = first.querySelectorAll('figure');
  figs.forEach((f, i) => { if (i > 1) hide(f); });
  const bottom = figs[Math.min(1, figs.length - 1)].getBoundingClientRect().bottom + scrollY;
  return { x: 0, y: 0, width: document.documentElement.clientWidth, height: Math.ceil(bottom + 12) };
})()"#;

fn decode(v: &Value) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().ok_or("no data")?)
        .map_err(|e| e.to_string())
}

/// DOM facts the page reports about itself.
const PROBE: &str = r#"(() => {
  const all = s => Array.from(document.querySelectorAll(s));
  const charts = all('svg.chart');
  const labelled = c => c.getAttribute('role') === 'img' && !!c.getAttribute('aria-label')
    && !!c.querySelector(':scope > title') && !!c.querySelector(':scope > desc')
    && !!c.closest('figure').querySelector('table.chart-data');
  const shown = charts.filter(c => c.getBoundingClientRect().width > 0);
  return {
    sections: all('main > section').map(s => s.id),
    findings: all('#summary ul.findings li').length,
    summaryText: (document.querySelector('#summary') || {}).innerText || '',
    criteria: all('#criteria tbody tr').length,
    charts: charts.length,
    bars: charts.filter(c => c.id.startsWith('bar-')).length,
    heatmaps: charts.filter(c => c.id.startsWith('heat-')).length,
    unlabelled: charts.filter(c => !labelled(c)).map(c => c.id),
    shown: shown.length,
    emptyShown: shown.filter(c => c.getBBox().width === 0).map(c => c.id),
    resources: performance.getEntriesByType('resource').length,
    scripts: document.scripts.length,
    pwned: typeof window.__pwned !== 'undefined',
    images: document.images.length,
  };
})()"#;

/// Sorts the first table by rows (ascending) and filters it; reports what happened.
const INTERACT: &str = r#"(() => {
  const t = document.querySelector('table.sortable');
  const th = t.tHead.rows[0].cells[1];
  th.querySelector('button').click();
  const rows = Array.from(t.tBodies[0].rows).map(r => +r.cells[1].dataset.sort);
  const sorted = rows.every((x, i) => i === 0 || rows[i - 1] <= x);
  const input = document.querySelector('input.filter[data-table="' + t.id + '"]');
  const first = t.tBodies[0].rows[0].cells[0].textContent.replace(' †', '');
  input.value = first;
  input.dispatchEvent(new Event('input'));
  const visible = Array.from(t.tBodies[0].rows).filter(r => !r.hidden).length;
  input.value = '';
  input.dispatchEvent(new Event('input'));
  return { sorted, ariaSort: th.getAttribute('aria-sort'), visible, total: t.tBodies[0].rows.length };
})()"#;

fn check_page(
    b: &mut Chromium,
    name: &str,
    result: &AuditResult,
) -> Result<(Loaded, Value), String> {
    let page = html(result, &HtmlOptions::default());
    let file = artifacts().join(format!("report-{name}.html"));
    std::fs::write(&file, &page).map_err(|e| e.to_string())?;
    let loaded = load(b, &file)?;
    let probe = b.eval(&loaded.session, PROBE)?;
    Ok((loaded, probe))
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let dir = artifacts();
    let profile = tempfile::tempdir().expect("a fresh profile directory");
    let mut b = Chromium::launch(&bin, profile.path(), &dir.join("chromium.log"))
        .unwrap_or_else(|e| panic!("{e}"));

    let result = synthetic();
    let (loaded, probe) = check_page(&mut b, "synthetic", result).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("synthetic page: {probe}");
    assert!(
        loaded.errors.is_empty(),
        "console errors: {:#?}",
        loaded.errors
    );
    assert!(
        loaded.requests.is_empty(),
        "network requests: {:#?}",
        loaded.requests
    );
    assert_eq!(probe["resources"], 0);
    assert_eq!(probe["scripts"], 1);
    assert_eq!(probe["images"], 0);
    assert_eq!(
        probe["sections"],
        json!([
            "summary",
            "metrics",
            "intersections",
            "tables",
            "reference",
            "inequality",
            "methods"
        ])
    );
    assert!(probe["findings"].as_u64().unwrap() >= 5, "{probe}");
    let summary = probe["summaryText"].as_str().unwrap();
    assert!(
        summary.contains("Demographic parity") && summary.contains("fails on"),
        "{summary}"
    );
    assert_eq!(probe["criteria"], 4);
    assert_eq!(probe["bars"], 7 * 6);
    assert_eq!(probe["heatmaps"], 4 * 3);
    assert_eq!(probe["unlabelled"], json!([]));
    // Charts outside collapsed sections are laid out and drawn.
    assert!(probe["shown"].as_u64().unwrap() >= 3 * 6 + 3, "{probe}");
    assert_eq!(probe["emptyShown"], json!([]));

    let interact = b
        .eval(&loaded.session, INTERACT)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(interact["sorted"], true, "{interact}");
    assert_eq!(interact["ariaSort"], "ascending");
    assert_eq!(interact["visible"], 1, "{interact}");

    let png = screenshot(&mut b, &loaded.session, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(dir.join("report-synthetic.png"), &png).unwrap();
    let pdf = b
        .call(
            Some(&loaded.session),
            "Page.printToPDF",
            json!({"printBackground": true, "preferCSSPageSize": true}),
        )
        .and_then(|r| decode(&r["data"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(pdf.starts_with(b"%PDF"));
    std::fs::write(dir.join("report-synthetic.pdf"), &pdf).unwrap();
    eprintln!(
        "artifacts in {}: screenshot {} bytes, PDF {} bytes",
        dir.display(),
        png.len(),
        pdf.len()
    );
    // The first heat map on its own, as an artifact to look at.
    let rect = b
        .eval(&loaded.session, RECT_OF_FIRST_HEATMAP)
        .unwrap_or_else(|e| panic!("{e}"));
    let heat =
        screenshot_clip(&mut b, &loaded.session, &rect, 1.0).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("report-synthetic-heatmap.png"), heat).unwrap();
    if std::env::var("AEQUO_UPDATE_DOCS").as_deref() == Ok("1") {
        // For people: the summary, one metric's bar charts and the deepest heat maps.
        let rect = b
            .eval(&loaded.session, DOCS_VIEW)
            .unwrap_or_else(|e| panic!("{e}"));
        let png =
            screenshot_clip(&mut b, &loaded.session, &rect, 0.67).unwrap_or_else(|e| panic!("{e}"));
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("report-synthetic.png"), &png).unwrap();
        eprintln!("docs/report-synthetic.png: {} bytes", png.len());
    }

    // A chart as the Markdown report writes it, opened on its own.
    let out = aequo_report::markdown(
        result,
        &aequo_report::MarkdownOptions {
            chart_dir: Some(PathBuf::from("charts")),
            ..aequo_report::MarkdownOptions::default()
        },
    );
    out.write(&dir.join("report-synthetic.md")).unwrap();
    for c in out.charts.iter().step_by(7) {
        let loaded = load(&mut b, &dir.join(&c.path)).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            loaded.errors.is_empty(),
            "{}: {:#?}",
            c.path.display(),
            loaded.errors
        );
        assert!(
            loaded.requests.is_empty(),
            "{}: {:#?}",
            c.path.display(),
            loaded.requests
        );
        let drawn = b
            .eval(
                &loaded.session,
                "document.documentElement.tagName === 'svg' && document.documentElement.getBBox().width > 100",
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(drawn, true, "{}", c.path.display());
    }

    // Names that are markup stay text: no script of theirs runs, no image of theirs loads.
    let (loaded, probe) =
        check_page(&mut b, "hostile", &hostile()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        loaded.errors.is_empty(),
        "console errors: {:#?}",
        loaded.errors
    );
    assert!(
        loaded.requests.is_empty(),
        "network requests: {:#?}",
        loaded.requests
    );
    assert_eq!(probe["pwned"], false);
    assert_eq!(probe["images"], 0);
    assert_eq!(probe["scripts"], 1);
    let text = b
        .eval(&loaded.session, "document.body.innerText")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(text
        .as_str()
        .unwrap()
        .contains("<script>window.__pwned=1</script>"));
    let png = screenshot(&mut b, &loaded.session, None).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("report-hostile.png"), png).unwrap();
}
