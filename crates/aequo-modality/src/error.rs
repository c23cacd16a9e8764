//! The errors of this crate. Each message states the fact, then the remedy; variants that come
//! from a file carry its path and line so the binary can point at the bad row.

use std::path::PathBuf;

/// Everything that can go wrong when planning, reading predictions or computing a metric.
#[derive(Debug, thiserror::Error)]
pub enum ModalityError {
    /// Two inputs that must be paired item by item have different lengths.
    #[error("{what} has {got} items but {expected} were expected; pass one value per item, in the same order")]
    LengthMismatch {
        /// Which input.
        what: String,
        /// The length it should have.
        expected: usize,
        /// The length it has.
        got: usize,
    },
    /// Exact Shapley enumeration was asked for too many modalities.
    #[error("exact Shapley attribution supports at most {max} modalities, got {count}; group modalities or drop some")]
    TooManyModalities {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {message}")]
    InvalidConfig {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A metric needs a condition the plan or the predictions do not have.
    #[error("condition `{condition}` is needed for {metric} but is absent; add it to the plan and run the model on it")]
    ConditionAbsent {
        /// The condition name.
        condition: String,
        /// The metric that needs it.
        metric: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line of a file could not be parsed.
    #[error("{path}: line {line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The same id appears twice where ids must be unique.
    #[error("{path}: line {line}: duplicate id `{id}` (first seen on line {first_line}); {what} must have one row per id")]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// 1-based line of the repeat.
        line: usize,
        /// Line of the first occurrence.
        first_line: usize,
        /// The repeated id.
        id: String,
        /// What kind of file.
        what: &'static str,
    },
    /// A row names a modality the manifest does not declare.
    #[error("{path}: line {line}: unknown modality `{modality}`; the manifest declares {known}; fix the name or declare the modality")]
    UnknownModality {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The unknown name.
        modality: String,
        /// The declared ones, comma separated.
        known: String,
    },
    /// A prediction row names a condition that is not in the plan.
    #[error("{path}: line {line}: unknown condition `{condition}`; the plan has {known}; predictions must use the plan's condition names")]
    UnknownCondition {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The unknown condition.
        condition: String,
        /// Some known condition names.
        known: String,
    },
    /// A prediction row names an item that is not in the manifest.
    #[error("{path}: line {line}: item `{id}` is not in the manifest; predictions must come from the same manifest")]
    UnknownItem {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The unknown id.
        id: String,
    },
    /// A prediction file lacks rows for a condition of the plan.
    #[error("{path}: condition `{condition}` has no prediction for {missing} of {expected} items (first missing: `{example}`); run the model on every row of the plan")]
    MissingCondition {
        /// The prediction file.
        path: PathBuf,
        /// The condition with missing rows.
        condition: String,
        /// How many items are missing.
        missing: usize,
        /// How many the plan has.
        expected: usize,
        /// One missing item id.
        example: String,
    },
    /// A prediction row repeats the label of an item but disagrees with the manifest.
    #[error("{path}: line {line}: item `{id}` has label `{got}` but the manifest says `{expected}`; the predictions were made for another manifest or the labels were edited")]
    LabelMismatch {
        /// The prediction file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The item.
        id: String,
        /// Label in the manifest.
        expected: String,
        /// Label in the prediction file.
        got: String,
    },
    /// An input (an image, a data URL, a manifest value) cannot be used as it is.
    #[error("{message}")]
    InvalidInput {
        /// What is wrong, with the remedy.
        message: String,
    },
    /// A live run against a model could not complete.
    #[error("live run: {message}")]
    Live {
        /// What failed, with the remedy.
        message: String,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, ModalityError>;

pub(crate) fn check_len(what: &str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(ModalityError::LengthMismatch {
            what: what.to_string(),
            expected,
            got,
        })
    }
}
