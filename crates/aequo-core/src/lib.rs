//! # aequo-core
//!
//! The pure heart of aequo: every tabular audit is a reduction of rows to a dense [`CountTensor`]
//! (DESIGN.md, principle 1), and every number aequo reports is a function of that tensor. This
//! crate holds the tensor, the metric definitions, disparities, inequality indices and the audit
//! that ties them into one serde result. It does no I/O, knows no file format, model or clock:
//! the data crate fills tensors, the report crate renders results.
//!
//! The modules follow the data flow of an audit:
//! [`counts`] (the tensor) → [`metric`] (definitions over confusion counts) → [`disparity`]
//! (differences and ratios between groups) and [`inequality`] (generalized entropy indices) →
//! [`audit`](mod@audit) (every marginal and intersectional group, named criteria, the result type).

#![warn(missing_docs)]

pub mod audit;
pub mod bootstrap;
pub mod counts;
pub mod disparity;
pub mod folded;
pub mod hypothesis;
pub mod inequality;
pub mod interval;
pub mod metric;
pub mod multiclass;
pub mod poisson;
pub mod regression;
pub mod score;
pub mod subgroup;
pub mod tasks;
mod uncertainty;
pub mod value;

pub use audit::{audit, AuditOptions, AuditResult};
pub use counts::{Attribute, AttributeName, CellIndex, Confusion, CountTensor, GroupKey, Level};
pub use metric::Metric;
pub use value::{Undefined, Value};
