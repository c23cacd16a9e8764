//! Typed values shared by every metric of this crate: names of modalities and items, a value
//! that may be undefined (with its reason, never NaN), and an estimate that carries its sample
//! size and its bootstrap interval.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The name of one input modality of a multimodal model (`"image"`, `"text"`, `"audio"`, …).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Modality(pub String);

impl Modality {
    /// A modality with the given name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }
    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Modality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The identifier of one evaluation item (a question, an example) in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(pub String);

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a value could not be computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Undefined {
    /// A ratio whose denominator is zero.
    ZeroDenominator {
        /// The numerator of the ratio.
        numerator: f64,
        /// The denominator of the ratio (zero).
        denominator: f64,
    },
    /// The statistic was asked of an empty set of items.
    NoItems,
    /// A standard deviation needs at least two values.
    TooFewValues {
        /// How many values there were.
        count: usize,
    },
}

/// A number that may be undefined, with the reason (never `NaN`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A finite number.
    Defined(f64),
    /// No number, and why.
    Undefined(Undefined),
}

impl Value {
    /// `numerator / denominator`, undefined when the denominator is zero.
    pub fn ratio(numerator: f64, denominator: f64) -> Self {
        if denominator == 0.0 {
            Value::Undefined(Undefined::ZeroDenominator {
                numerator,
                denominator,
            })
        } else {
            Value::Defined(numerator / denominator)
        }
    }
    /// The number, if defined.
    pub fn get(&self) -> Option<f64> {
        match self {
            Value::Defined(v) => Some(*v),
            Value::Undefined(_) => None,
        }
    }
    /// Builds a value from an option, with `reason` for `None`.
    pub fn from_option(v: Option<f64>, reason: Undefined) -> Self {
        match v {
            Some(x) if x.is_finite() => Value::Defined(x),
            _ => Value::Undefined(reason),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Defined(v) => write!(f, "{v:.4}"),
            Value::Undefined(u) => match u {
                Undefined::ZeroDenominator { .. } => f.write_str("undefined (zero denominator)"),
                Undefined::NoItems => f.write_str("undefined (no items)"),
                Undefined::TooFewValues { count } => write!(f, "undefined ({count} values)"),
            },
        }
    }
}

/// A percentile interval from the item bootstrap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Nominal coverage, e.g. 0.95.
    pub level: f64,
    /// Replicates drawn.
    pub replicates: usize,
    /// Replicates in which the statistic was defined (the interval is over these).
    pub defined_replicates: usize,
    /// The seed of the generator, so the interval can be reproduced.
    pub seed: u64,
}

/// A reported number: its value, the number of items it was computed from and, when asked
/// for, its item-bootstrap interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate on all items.
    pub value: Value,
    /// Items the estimate is computed from (its sample size).
    pub n: usize,
    /// Item-bootstrap percentile interval, if computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
}

impl Estimate {
    /// An estimate without interval.
    pub fn point(value: Value, n: usize) -> Self {
        Self {
            value,
            n,
            interval: None,
        }
    }
    /// The point value, if defined.
    pub fn get(&self) -> Option<f64> {
        self.value.get()
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)?;
        if let Some(i) = &self.interval {
            write!(f, " [{:.4}, {:.4}]", i.low, i.high)?;
        }
        write!(f, " (n={})", self.n)
    }
}
