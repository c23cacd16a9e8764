//! # aequo-report
//!
//! Renders an [`aequo_core::AuditResult`] for people and programs: [`json`] (the versioned,
//! documented schema), [`table`] (a terminal view), and more renderers beside them. Renderers
//! read the result and never recompute a metric: every number shown is one the core computed.

#![warn(missing_docs)]

pub mod json;
pub mod table;
mod text;

pub use json::json;
pub use table::table;
