//! The probe report's HTML page in a real browser: headless Chromium (Debian's `chromium`),
//! driven by aequo-report's DevTools client (its `tests/report/cdp.rs`, included here rather
//! than copied), loads the page of a scored decision run from a file and the test checks that it
//! loads with no console error and no network request, that every section and chart is in the
//! DOM and laid out, and that the chart bars are where the numbers say.
//!
//! Without Chromium the test says so and passes, unless `AEQUO_REQUIRE_BROWSER=1`.

use std::time::Duration;

use serde_json::{json, Value};

#[path = "../../../aequo-report/tests/report/cdp.rs"]
#[allow(dead_code)]
mod cdp;

use cdp::{find_chromium, Chromium};

/// DOM facts the page reports about itself.
const PROBE: &str = r##"(() => {
  const all = s => Array.from(document.querySelectorAll(s));
  const svgs = all('svg');
  return {
    sections: all('section').map(s => s.id).filter(id => id),
    charts: svgs.length,
    laidOut: svgs.filter(c => c.getBoundingClientRect().width > 0 && c.getBBox().width > 0).length,
    titled: svgs.filter(c => !!c.querySelector(':scope > title') && c.getAttribute('role') === 'img').length,
    bars: all('svg rect[fill="#0072B2"], svg rect[fill="#D55E00"]').length,
    negative: all('svg rect[fill="#D55E00"]').length,
    tables: all('table').length,
    resources: performance.getEntriesByType('resource').length,
    images: document.images.length,
    text: document.body.innerText.length,
  };
})()"##;

#[test]
fn probe_report_renders_in_headless_chromium() {
    let Some(bin) = find_chromium() else {
        if std::env::var("AEQUO_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("AEQUO_REQUIRE_BROWSER=1 but chromium was not found (apt-get install chromium)");
        }
        eprintln!(
            "skipped: chromium not found; install Debian's `chromium` to run the browser test"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let args = crate::html::plan("decisions", 4);
    let journal = crate::html::journal_decisions(dir.path(), &args);
    let (report, _) = crate::html::score(dir.path(), args, journal);
    // The page is left under target/tmp/aequo-probe/ as an artifact to look at.
    let artifacts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("aequo-probe");
    std::fs::create_dir_all(&artifacts).expect("artifact directory");
    let file = artifacts.join("probe-report.html");
    std::fs::copy(dir.path().join("score.html"), &file).expect("copy the page");
    let profile = tempfile::tempdir().expect("a fresh profile directory");
    let mut b = Chromium::launch(&bin, profile.path(), &dir.path().join("chromium.log"))
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("file://{}", file.display());
    let target = b
        .call(None, "Target.createTarget", json!({"url": "about:blank"}))
        .expect("target");
    let attached = b
        .call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        )
        .expect("attach");
    let session = attached["sessionId"].as_str().expect("session").to_owned();
    for domain in [
        "Runtime.enable",
        "Log.enable",
        "Network.enable",
        "Page.enable",
    ] {
        b.call(Some(&session), domain, json!({})).expect("enable");
    }
    b.events.clear();
    b.call(Some(&session), "Page.navigate", json!({"url": url}))
        .expect("navigate");
    b.wait_for("Page.loadEventFired", Duration::from_secs(60))
        .expect("load");
    b.eval(&session, "new Promise(r => setTimeout(() => r(true), 300))")
        .expect("settle");
    let mut errors = Vec::new();
    let mut requests = Vec::new();
    for e in b.events.drain(..) {
        if e["sessionId"] != json!(session) {
            continue;
        }
        let p = &e["params"];
        match e["method"].as_str().unwrap_or("") {
            "Runtime.consoleAPICalled" if p["type"] == "error" => errors.push(p.to_string()),
            "Runtime.exceptionThrown" => errors.push(p.to_string()),
            "Log.entryAdded" if p["entry"]["level"] == "error" => errors.push(p.to_string()),
            "Network.requestWillBeSent" => {
                let u = p["request"]["url"].as_str().unwrap_or("").to_owned();
                if u != url {
                    requests.push(u);
                }
            }
            _ => {}
        }
    }
    let facts: Value = b.eval(&session, PROBE).expect("probe");
    eprintln!("probe page: {facts}");
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    assert!(requests.is_empty(), "network requests: {requests:#?}");
    assert_eq!(facts["resources"], 0);
    assert_eq!(facts["images"], 0);
    let sections: Vec<&str> = facts["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        sections.contains(&"decisions") && sections.contains(&"methods"),
        "{sections:?}"
    );
    // One chart per decision row, all laid out and titled; one bar per group with a value.
    let rows = report["decision"].as_array().expect("rows");
    assert_eq!(facts["charts"], rows.len());
    assert_eq!(facts["laidOut"], rows.len());
    assert_eq!(facts["titled"], rows.len());
    let groups: Vec<&Value> = rows
        .iter()
        .flat_map(|r| r["groups"].as_array().expect("groups"))
        .collect();
    let negative = groups
        .iter()
        .filter(|g| g["difference"]["value"].as_f64().is_some_and(|v| v < 0.0))
        .count();
    assert_eq!(facts["bars"], groups.len());
    assert_eq!(facts["negative"], negative);
    assert!(negative > 0, "the fixture has negative gaps");
}
