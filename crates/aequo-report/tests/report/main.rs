//! The report crate's integration tests, one binary. Where new tests belong:
//!
//! - `fixtures`: audit results to render (the synthetic lending data through the real scan and
//!   audit; a hostile result whose names are markup).
//! - `markdown`: Markdown snapshots and chart files.
//! - `html`: snapshots of the HTML page's outline, escaping, self-containment and size.
//! - `shapes`: results of other shapes (weighted, one attribute, read back from JSON).
//! - `browser`: the page in headless Chromium (console, network, DOM, screenshot, PDF), through
//!   the small DevTools-protocol client in `cdp`.

mod browser;
mod cdp;
mod fixtures;
mod html;
mod markdown;
mod outline;
mod shapes;
