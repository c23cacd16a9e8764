//! Reading a column in its role: sensitive text, binary label/prediction, numeric score/weight.
//!
//! Every parser takes a whole column of a batch and returns one value per row, or an error
//! naming the file, the 1-based data row, the column and the value.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, StringArray};
use arrow_schema::DataType;

use crate::error::DataError;

/// Where a column's values come from, for error messages.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub path: &'a Path,
    pub column: &'a str,
    /// Rows before this batch.
    pub row0: u64,
}

impl At<'_> {
    fn bad(&self, i: usize, value: &str, problem: String, hint: &str) -> DataError {
        DataError::BadValue {
            path: self.path.to_owned(),
            row: self.row0 + i as u64 + 1,
            column: self.column.to_owned(),
            value: value.to_owned(),
            problem,
            hint: hint.to_owned(),
        }
    }

    fn wrong_type(&self, found: &DataType, role: &'static str, hint: &str) -> DataError {
        DataError::WrongType {
            path: self.path.to_owned(),
            column: self.column.to_owned(),
            found: found.to_string(),
            role,
            hint: hint.to_owned(),
        }
    }
}

fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

fn is_numeric(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Dictionary(_, v) if v.is_numeric())
}

/// The column as text (any type that casts to Utf8).
pub(crate) fn as_text(
    array: &ArrayRef,
    at: At<'_>,
    role: &'static str,
) -> Result<StringArray, DataError> {
    let cast = arrow_cast::cast(array, &DataType::Utf8).map_err(|_| {
        at.wrong_type(
            array.data_type(),
            role,
            "give a column of text, numbers or booleans",
        )
    })?;
    Ok(cast.as_string::<i32>().clone())
}

/// Whether a text value counts as missing.
pub(crate) fn is_missing_text(v: &str, na: &[String]) -> bool {
    v.is_empty() || na.iter().any(|n| n == v)
}

/// Numeric values: floats, integers, decimals, or text that parses as a number. NaN and empty
/// text are missing (`None`).
pub(crate) fn numeric(
    array: &ArrayRef,
    at: At<'_>,
    role: &'static str,
    na: &[String],
) -> Result<Vec<Option<f64>>, DataError> {
    let t = array.data_type();
    if is_numeric(t) {
        let f = arrow_cast::cast(array, &DataType::Float64)
            .map_err(|_| at.wrong_type(t, role, "give a numeric column"))?;
        let f = f.as_primitive::<Float64Type>();
        return Ok(f.iter().map(|v| v.filter(|x| !x.is_nan())).collect());
    }
    if !is_text(t) {
        return Err(at.wrong_type(t, role, "give a numeric column (or text holding numbers)"));
    }
    let s = as_text(array, at, role)?;
    let mut out = Vec::with_capacity(s.len());
    for (i, v) in s.iter().enumerate() {
        out.push(match v.map(str::trim) {
            None => None,
            Some(v) if is_missing_text(v, na) => None,
            Some(v) => match v.parse::<f64>() {
                Ok(x) if x.is_nan() => None,
                Ok(x) => Some(x),
                Err(_) => return Err(at.bad(i, v, format!("the {role} is not a number"), "")),
            },
        });
    }
    Ok(out)
}

/// Reads a label or prediction column as booleans (`true` = the positive class).
///
/// Without a positive label the column must hold 0/1 (numbers or text) or booleans. With one,
/// values equal to it are positive and the column may hold exactly one other value; a third
/// distinct value is an error (a binary audit of a multi-class column would silently lump the
/// other classes together).
#[derive(Debug)]
pub(crate) struct Binary {
    pub role: &'static str,
    pub pos_label: Option<String>,
    negative_seen: Option<String>,
    positive_seen: bool,
}

impl Binary {
    pub fn new(role: &'static str, pos_label: Option<String>) -> Binary {
        Binary {
            role,
            pos_label,
            negative_seen: None,
            positive_seen: false,
        }
    }

    fn not_binary(&self, at: At<'_>, i: usize, v: &str) -> DataError {
        let mut values = Vec::new();
        if self.positive_seen {
            values.push(self.pos_label.clone().unwrap_or_else(|| "1".into()));
        }
        values.extend(self.negative_seen.clone());
        values.push(v.to_owned());
        DataError::NotBinary {
            path: at.path.to_owned(),
            row: at.row0 + i as u64 + 1,
            column: at.column.to_owned(),
            role: self.role,
            values: values.join(", "),
        }
    }

    fn classify(
        &mut self,
        at: At<'_>,
        i: usize,
        v: &str,
        numeric: Option<f64>,
    ) -> Result<bool, DataError> {
        match &self.pos_label {
            Some(p) => {
                let is_pos =
                    v == p || matches!((numeric, p.parse::<f64>()), (Some(x), Ok(y)) if x == y);
                if is_pos {
                    self.positive_seen = true;
                    return Ok(true);
                }
                match &self.negative_seen {
                    None => {
                        self.negative_seen = Some(v.to_owned());
                        Ok(false)
                    }
                    Some(n) if n == v => Ok(false),
                    Some(n) if matches!((numeric, n.parse::<f64>()), (Some(x), Ok(y)) if x == y) => {
                        Ok(false)
                    }
                    Some(_) => Err(self.not_binary(at, i, v)),
                }
            }
            None => {
                let parsed = match numeric {
                    Some(0.0) => Some(false),
                    Some(1.0) => Some(true),
                    Some(_) => None,
                    None => match v.to_ascii_lowercase().as_str() {
                        "0" | "0.0" | "false" => Some(false),
                        "1" | "1.0" | "true" => Some(true),
                        _ => None,
                    },
                };
                parsed.ok_or_else(|| {
                    at.bad(
                        i,
                        v,
                        format!("the {} must be 0/1 or true/false", self.role),
                        if self.role == "label" {
                            "; give --pos-label VALUE to name the positive class"
                        } else {
                            "; give --pred-pos-label VALUE (or --pos-label) to name the positive class"
                        },
                    )
                })
            }
        }
    }

    /// Parses one batch's column; `None` marks a missing value.
    pub fn parse(
        &mut self,
        array: &ArrayRef,
        at: At<'_>,
        na: &[String],
    ) -> Result<Vec<Option<bool>>, DataError> {
        let t = array.data_type();
        if *t == DataType::Boolean && self.pos_label.is_none() {
            return Ok(array.as_boolean().iter().collect());
        }
        let mut out = Vec::with_capacity(array.len());
        if is_numeric(t) {
            let f = arrow_cast::cast(array, &DataType::Float64)
                .map_err(|_| at.wrong_type(t, self.role, "give 0/1, booleans or text"))?;
            for (i, x) in f.as_primitive::<Float64Type>().iter().enumerate() {
                out.push(match x {
                    None => None,
                    Some(x) if x.is_nan() => None,
                    Some(x) => Some(self.classify(at, i, &x.to_string(), Some(x))?),
                });
            }
            return Ok(out);
        }
        if !(is_text(t) || *t == DataType::Boolean) {
            return Err(at.wrong_type(t, self.role, "give 0/1, booleans or text with --pos-label"));
        }
        let s = as_text(array, at, self.role)?;
        for (i, v) in s.iter().enumerate() {
            out.push(match v.map(str::trim) {
                None => None,
                Some(v) if is_missing_text(v, na) => None,
                Some(v) => Some(self.classify(
                    at,
                    i,
                    v,
                    v.parse::<f64>().ok().filter(|x| x.is_finite()),
                )?),
            });
        }
        Ok(out)
    }
}
