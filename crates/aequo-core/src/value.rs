//! A number that may be undefined, with the reason why.
//!
//! Fairlearn (through scikit-learn) turns a 0/0 rate into 0.0 and AIF360 into NaN; both hide the
//! fact that the group had no rows to speak of. aequo keeps the fact: a [`Value`] is either a
//! finite number or an [`Undefined`] that says what was missing.

use serde::{Deserialize, Serialize};

/// Why a quantity has no value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Undefined {
    /// A ratio whose denominator is zero (for a rate: the group has no rows of the kind the rate
    /// is conditioned on, e.g. no actual positives for the true-positive rate).
    ZeroDenominator {
        /// The numerator's value (a count or weighted count).
        numerator: f64,
        /// The denominator's value (zero).
        denominator: f64,
    },
    /// A metric that needs both classes of the label present in the group, and one is absent.
    MissingClass {
        /// Rows with label 1 (weighted where weights are used).
        positives: f64,
        /// Rows with label 0 (weighted where weights are used).
        negatives: f64,
    },
    /// The group has no rows at all.
    EmptyGroup,
    /// An aggregate over groups (a difference or ratio) where fewer than two groups had a value.
    TooFewGroups {
        /// How many groups had a defined value.
        defined: usize,
    },
    /// A logarithm of zero: e.g. the generalized entropy index with α = 0 when some row's
    /// benefit is zero.
    LogOfZero,
    /// The reference group named for a comparison has no defined value.
    ReferenceUndefined,
    /// Withheld because the group has fewer rows than the suppression threshold (privacy).
    Suppressed {
        /// The threshold.
        below: u64,
    },
}

impl std::fmt::Display for Undefined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undefined::ZeroDenominator {
                numerator,
                denominator,
            } => write!(f, "undefined ({numerator}/{denominator})"),
            Undefined::MissingClass {
                positives,
                negatives,
            } => write!(
                f,
                "undefined (needs both classes; {positives} positive, {negatives} negative)"
            ),
            Undefined::EmptyGroup => f.write_str("undefined (empty group)"),
            Undefined::TooFewGroups { defined } => {
                write!(f, "undefined ({defined} group(s) with a value)")
            }
            Undefined::LogOfZero => f.write_str("undefined (log of zero)"),
            Undefined::ReferenceUndefined => {
                f.write_str("undefined (reference group has no value)")
            }
            Undefined::Suppressed { below } => write!(f, "suppressed (group under {below} rows)"),
        }
    }
}

/// A finite number or the reason it does not exist.
///
/// Serialised as a bare JSON number when defined, and as `{"undefined": {...reason}}` otherwise,
/// so consumers can test `typeof v === "number"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A finite number.
    Defined(f64),
    /// No number, and why.
    Undefined(Undefined),
}

impl Value {
    /// `numerator / denominator`, undefined when the denominator is zero.
    pub fn ratio(numerator: f64, denominator: f64) -> Value {
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
    pub fn get(self) -> Option<f64> {
        match self {
            Value::Defined(v) => Some(v),
            Value::Undefined(_) => None,
        }
    }

    /// Whether a number exists.
    pub fn is_defined(self) -> bool {
        matches!(self, Value::Defined(_))
    }

    /// Applies `f` to a defined value; undefined stays undefined.
    pub fn map(self, f: impl FnOnce(f64) -> f64) -> Value {
        match self {
            Value::Defined(v) => Value::Defined(f(v)),
            u => u,
        }
    }

    /// Combines two values; undefined if either is.
    pub fn zip(self, other: Value, f: impl FnOnce(f64, f64) -> Value) -> Value {
        match (self, other) {
            (Value::Defined(a), Value::Defined(b)) => f(a, b),
            (Value::Undefined(u), _) | (_, Value::Undefined(u)) => Value::Undefined(u),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Defined(v) => write!(f, "{v}"),
            Value::Undefined(u) => write!(f, "{u}"),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ValueRepr {
    Defined(f64),
    Undefined { undefined: Undefined },
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Value::Defined(v) => ValueRepr::Defined(v),
            Value::Undefined(u) => ValueRepr::Undefined { undefined: u },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match ValueRepr::deserialize(d)? {
            ValueRepr::Defined(v) => Value::Defined(v),
            ValueRepr::Undefined { undefined } => Value::Undefined(undefined),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_denominator_is_undefined_not_zero() {
        assert_eq!(
            Value::ratio(0.0, 0.0),
            Value::Undefined(Undefined::ZeroDenominator {
                numerator: 0.0,
                denominator: 0.0
            })
        );
        assert_eq!(Value::ratio(1.0, 4.0), Value::Defined(0.25));
    }

    #[test]
    fn serialises_as_number_or_reason() {
        let d = serde_json::to_string(&Value::Defined(0.5)).unwrap();
        assert_eq!(d, "0.5");
        let u = serde_json::to_string(&Value::ratio(3.0, 0.0)).unwrap();
        assert_eq!(
            u,
            r#"{"undefined":{"reason":"zero_denominator","numerator":3.0,"denominator":0.0}}"#
        );
        let back: Value = serde_json::from_str(&u).unwrap();
        assert_eq!(back, Value::ratio(3.0, 0.0));
        let back: Value = serde_json::from_str("0.5").unwrap();
        assert_eq!(back, Value::Defined(0.5));
    }
}
