//! Reading a column in its role: sensitive text, binary label/prediction, numeric score/weight.
//!
//! Every parser takes a whole column of a batch and returns one value per row, or an error
//! naming the file, the 1-based data row, the column and the value.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
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
    /// The 1-based data row where `negative_seen` first appeared.
    negative_row: u64,
    positive_seen: bool,
}

impl Binary {
    pub fn new(role: &'static str, pos_label: Option<String>) -> Binary {
        Binary {
            role,
            pos_label,
            negative_seen: None,
            negative_row: 0,
            positive_seen: false,
        }
    }

    /// Whether two values name the same class (text, or numbers equal as numbers).
    fn same_value(a: &str, b: &str) -> bool {
        a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
    }

    /// Combines what two parts of one column saw (parts read in parallel): an error when
    /// together they hold a third value, reported at the row where the later of the two
    /// negative values first appeared.
    pub fn merge(&mut self, other: &Binary, path: &Path, column: &str) -> Result<(), DataError> {
        self.positive_seen |= other.positive_seen;
        match (&self.negative_seen, &other.negative_seen) {
            (_, None) => Ok(()),
            (None, Some(n)) => {
                self.negative_seen = Some(n.clone());
                self.negative_row = other.negative_row;
                Ok(())
            }
            (Some(a), Some(b)) if Binary::same_value(a, b) => {
                self.negative_row = self.negative_row.min(other.negative_row);
                Ok(())
            }
            (Some(a), Some(b)) => {
                let (first, later, row) = if self.negative_row <= other.negative_row {
                    (a, b, other.negative_row)
                } else {
                    (b, a, self.negative_row)
                };
                let mut values = Vec::new();
                if self.positive_seen {
                    values.push(self.pos_label.clone().unwrap_or_else(|| "1".into()));
                }
                values.push(first.clone());
                values.push(later.clone());
                Err(DataError::NotBinary {
                    path: path.to_owned(),
                    row,
                    column: column.to_owned(),
                    role: self.role,
                    values: values.join(", "),
                })
            }
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
                        self.negative_row = at.row0 + i as u64 + 1;
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
    #[cfg_attr(not(feature = "sql"), allow(dead_code))] // the SQL reader's
    pub fn parse(
        &mut self,
        array: &ArrayRef,
        at: At<'_>,
        na: &[String],
    ) -> Result<Vec<Option<bool>>, DataError> {
        self.parse_known(array, at, na).map(|(v, _)| v)
    }

    /// The column as it is when it holds 0/1 integers without nulls and no positive label is
    /// named (the usual label and prediction columns); `None` for anything else, which
    /// [`parse_known`](Self::parse_known) reads.
    pub fn zero_one<'a>(&self, array: &'a ArrayRef) -> Option<&'a [i64]> {
        if self.pos_label.is_some() {
            return None;
        }
        let ints = array.as_primitive_opt::<Int64Type>()?;
        if ints.null_count() != 0 {
            return None;
        }
        let v: &[i64] = ints.values();
        // `|` and `&`, not `||` and `&&`: no branch per value, so that the check vectorises.
        v.iter()
            .fold(true, |ok, &x| ok & ((x == 0) | (x == 1)))
            .then_some(v)
    }

    /// [`parse`](Self::parse), and `true` when the column is known to have no missing value
    /// (its fast paths know it without another pass; `false` = not known).
    pub fn parse_known(
        &mut self,
        array: &ArrayRef,
        at: At<'_>,
        na: &[String],
    ) -> Result<(Vec<Option<bool>>, bool), DataError> {
        let t = array.data_type();
        if *t == DataType::Boolean && self.pos_label.is_none() {
            return Ok((array.as_boolean().iter().collect(), false));
        }
        // 0/1 integers without nulls, the usual label column: no cast, one vectorised check.
        if let Some(v) = self.zero_one(array) {
            return Ok((v.iter().map(|&x| Some(x == 1)).collect(), true));
        }
        let mut out = Vec::with_capacity(array.len());
        if is_numeric(t) {
            let f = arrow_cast::cast(array, &DataType::Float64)
                .map_err(|_| at.wrong_type(t, self.role, "give 0/1, booleans or text"))?;
            // Numbers are compared as numbers; text is made only for a negative class's first
            // appearance and for errors.
            let f = f.as_primitive::<Float64Type>();
            let pos = self.pos_label.as_deref().map(|p| p.parse::<f64>().ok());
            let mut negative: Option<f64> = self
                .negative_seen
                .as_deref()
                .and_then(|n| n.parse::<f64>().ok());
            // The common case, a column without nulls holding only the two known classes, in
            // one branch-free pass; anything else takes the row-by-row path below (which
            // reports the first offending row).
            if f.null_count() == 0 {
                let v = f.values();
                let (one, zero) = match pos {
                    None => (Some(1.0), Some(0.0)),
                    Some(p) => (p, negative),
                };
                if let (Some(one), Some(zero)) = (one, zero) {
                    // `|` and `&`, not `||` and `&&`: no branch per value (random classes would
                    // mispredict half of them), so the loop vectorises.
                    let (only_two, any_one) = v.iter().fold((true, false), |(ok, any), &x| {
                        (ok & ((x == one) | (x == zero)), any | (x == one))
                    });
                    if only_two {
                        if pos.is_some() && any_one {
                            self.positive_seen = true;
                        }
                        return Ok((v.iter().map(|&x| Some(x == one)).collect(), true));
                    }
                }
            }
            for (i, x) in f.iter().enumerate() {
                out.push(match x {
                    None => None,
                    Some(x) if x.is_nan() => None,
                    Some(x) => Some(match pos {
                        None if x == 0.0 => false,
                        None if x == 1.0 => true,
                        Some(Some(p)) if x == p => {
                            self.positive_seen = true;
                            true
                        }
                        Some(_) if negative == Some(x) => false,
                        _ => {
                            let class = self.classify(at, i, &x.to_string(), Some(x))?;
                            if !class {
                                negative = Some(x);
                            }
                            class
                        }
                    }),
                });
            }
            return Ok((out, false));
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
        Ok((out, false))
    }
}

/// A sensitive (or discovery) column of one batch, read as levels.
///
/// A dictionary-encoded column is decoded once per dictionary entry, not once per row: each
/// entry's code is looked up the first time a row uses it, so that a level seen only in dropped
/// rows (or only in the dictionary) never enters the tensor.
pub(crate) enum TextColumn {
    /// Dictionary keys over text values.
    Dict {
        keys: Keys,
        nulls: Option<arrow_buffer::NullBuffer>,
        values: StringArray,
        /// Per dictionary entry: `UNSET`, `MISSING` or the level's code.
        codes: Vec<u32>,
    },
    /// Plain text.
    Plain(StringArray),
}

/// A dictionary column's keys: Parquet's `Int32` keys as they are, others as positions.
pub(crate) enum Keys {
    /// Int32 keys (valid positions wherever the row is not null).
    I32(arrow_buffer::ScalarBuffer<i32>),
    /// Positions from arrow's key normalisation.
    Positions(Vec<usize>),
}

impl Keys {
    /// The dictionary position of row `i` (meaningless for a null row).
    #[inline]
    pub fn get(&self, i: usize) -> usize {
        match self {
            Keys::I32(k) => k[i].max(0) as usize,
            Keys::Positions(k) => k[i],
        }
    }
}

const UNSET: u32 = u32::MAX;
const MISSING: u32 = u32::MAX - 1;

impl TextColumn {
    /// Reads a column of any type that casts to text.
    pub fn new(array: &ArrayRef, at: At<'_>, role: &'static str) -> Result<TextColumn, DataError> {
        if let Some(d) = array.as_any_dictionary_opt() {
            let values = as_text(d.values(), at, role)?;
            // Int32 keys (what Parquet gives) are kept as they are; other key types through
            // arrow's normalisation.
            let keys = match array.as_dictionary_opt::<Int32Type>() {
                Some(d) => Keys::I32(d.keys().values().clone()),
                None => Keys::Positions(d.normalized_keys()),
            };
            return Ok(TextColumn::Dict {
                keys,
                nulls: array.logical_nulls(),
                codes: vec![UNSET; values.len()],
                values,
            });
        }
        Ok(TextColumn::Plain(as_text(array, at, role)?))
    }

    /// For a dictionary column with no missing value (no null, no entry that reads as
    /// missing): codes every entry (see [`coded_dictionary`](Self::coded_dictionary)), for a
    /// fused counting loop. `Ok(None)` for any other column (nothing registered).
    pub fn dictionary<E>(
        &mut self,
        na: &[String],
        mut code_of: impl FnMut(&str) -> Result<u32, E>,
    ) -> Result<Option<()>, E> {
        let TextColumn::Dict {
            nulls,
            values,
            codes: table,
            ..
        } = self
        else {
            return Ok(None);
        };
        if nulls.is_some()
            || values.null_count() > 0
            || (0..values.len()).any(|k| is_missing_text(values.value(k).trim(), na))
        {
            return Ok(None);
        }
        for (k, c) in table.iter_mut().enumerate() {
            if *c == UNSET {
                *c = code_of(values.value(k).trim())?;
            }
        }
        Ok(Some(()))
    }

    /// A dictionary column's codes by entry and the rows' entries, once
    /// [`dictionary`](Self::dictionary) has coded it.
    pub fn coded_dictionary(&self) -> Option<(&[u32], &Keys)> {
        match self {
            TextColumn::Dict { keys, codes, .. } if !codes.contains(&UNSET) => {
                Some((codes.as_slice(), keys))
            }
            _ => None,
        }
    }

    /// The levels of all rows, column-wise: `codes[i]`, with missing values coded by
    /// `missing` (called once, only if a row is missing). Returns the number of missing rows.
    pub fn levels<E>(
        &mut self,
        na: &[String],
        codes: &mut [u32],
        mut code_of: impl FnMut(&str) -> Result<u32, E>,
        mut missing: impl FnMut() -> Result<u32, E>,
    ) -> Result<u64, E> {
        let mut missing_code = None;
        let mut missing_rows = 0;
        let mut on_missing = |missing_rows: &mut u64| -> Result<u32, E> {
            *missing_rows += 1;
            match missing_code {
                Some(c) => Ok(c),
                None => {
                    let c = missing()?;
                    missing_code = Some(c);
                    Ok(c)
                }
            }
        };
        if let TextColumn::Dict {
            keys,
            nulls,
            values,
            codes: table,
        } = self
        {
            // Every dictionary entry gets its code up front (a few per batch); entries no
            // counted row uses are dropped by `TensorBuilder::finish`.
            for (k, c) in table.iter_mut().enumerate() {
                if *c == UNSET {
                    *c = if values.is_null(k) {
                        MISSING
                    } else {
                        let v = values.value(k).trim();
                        if is_missing_text(v, na) {
                            MISSING
                        } else {
                            code_of(v)?
                        }
                    };
                }
            }
            if nulls.is_none() && !table.contains(&MISSING) {
                // No missing value anywhere: a plain gather.
                for (i, out) in codes.iter_mut().enumerate() {
                    *out = table[keys.get(i)];
                }
                return Ok(0);
            }
            for (i, out) in codes.iter_mut().enumerate() {
                if let Some(n) = nulls.as_ref() {
                    if n.is_null(i) {
                        *out = on_missing(&mut missing_rows)?;
                        continue;
                    }
                }
                // Every entry has its code (filled above).
                let c = table[keys.get(i)];
                *out = if c == MISSING {
                    on_missing(&mut missing_rows)?
                } else {
                    c
                };
            }
            return Ok(missing_rows);
        }
        for (i, out) in codes.iter_mut().enumerate() {
            *out = match self.level(i, na, &mut code_of)? {
                Some(c) => c,
                None => on_missing(&mut missing_rows)?,
            };
        }
        Ok(missing_rows)
    }

    /// The level of row `i`: `Ok(None)` when missing, else the code `code_of` gives the value.
    #[inline]
    pub fn level<E>(
        &mut self,
        i: usize,
        na: &[String],
        mut code_of: impl FnMut(&str) -> Result<u32, E>,
    ) -> Result<Option<u32>, E> {
        fn text<'s>(s: &'s StringArray, j: usize, na: &[String]) -> Option<&'s str> {
            if s.is_null(j) {
                None
            } else {
                let v = s.value(j).trim();
                (!is_missing_text(v, na)).then_some(v)
            }
        }
        match self {
            TextColumn::Plain(s) => text(s, i, na).map(&mut code_of).transpose(),
            TextColumn::Dict {
                keys,
                nulls,
                values,
                codes,
            } => {
                if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                    return Ok(None);
                }
                let k = keys.get(i);
                if codes[k] == UNSET {
                    codes[k] = match text(values, k, na) {
                        None => MISSING,
                        Some(v) => code_of(v)?,
                    };
                }
                Ok((codes[k] != MISSING).then_some(codes[k]))
            }
        }
    }
}
