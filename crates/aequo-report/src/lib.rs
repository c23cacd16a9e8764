//! # aequo-report
//!
//! Renders an [`aequo_core::AuditResult`] for people and programs: [`json`](mod@json) (the
//! versioned, documented schema), [`table`](mod@table) (a terminal view),
//! [`markdown`](mod@markdown) (for pull requests and model cards, with charts as linked SVG
//! files) and [`html`](mod@html) (one self-contained page with inline SVG charts that opens in any
//! browser and prints to PDF). The charts are components in [`chart`],
//! reusable by other front ends, and [`page`] is the HTML page around them for the other
//! audits (probes, modality reliance). Renderers read the result and never recompute a metric: every
//! number shown is one the core computed.

#![warn(missing_docs)]

pub mod chart;
mod figures;
mod format;
pub mod html;
pub mod json;
pub mod markdown;
pub mod page;
pub mod table;
pub mod tasks;
mod text;
mod view;

pub use html::{html, HtmlOptions};
pub use json::json;
pub use markdown::{markdown, ChartFile, MarkdownOptions, MarkdownOutput};
pub use table::table;
pub use tasks::{multiclass_table, regression_table};
pub use view::Thresholds;
