//! The integer group key of the local DataFusion plan.
//!
//! DataFusion's `GROUP BY` over several raw columns (strings among them) spends most of the
//! query comparing and hashing the values row by row. Locally, the audit instead groups by one
//! `UInt64` computed by the scalar function `aequo_key`: each of its argument columns' values is
//! interned to a small code (0 for null, then 1, 2, … in the order the values are first met,
//! by any partition) and the codes are packed side by side into the key, each in a fixed field
//! of bits. A key therefore stands for exactly one combination of raw values, and the grouped
//! rows are the raw `GROUP BY`'s: after the query each key is decoded back into its raw values
//! ([`Interner::decode`]), so that the counting code downstream sees the same columns as the raw
//! plan's.
//!
//! Per batch, each column is read through a small direct-mapped cache (a string view's 16 bytes,
//! an integer's 8), so that the interner's lock is taken only for a value the batch has not met
//! yet. A column that meets more distinct values than its field holds makes the function fail
//! and sets [`Interner::overflowed`]; the caller then runs the raw `GROUP BY` instead, which gives
//! the same result (or the same error, such as too many levels) as if the key had never been
//! tried.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Int64Array, PrimitiveArray, StringArray, UInt32Array,
    UInt64Array,
};
use arrow_schema::DataType;
use datafusion::arrow::compute::{cast, take};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `keys[i] |= code << shift` for every row `i` that is not null, `code` being the expression
/// `$code` of `$i` (a macro rather than a function taking a closure, so that the loop is one
/// piece of code with the lookup inlined).
macro_rules! each_row {
    ($keys:expr, $shift:expr, $nulls:expr, |$i:ident| $code:expr) => {
        match $nulls.filter(|n| n.null_count() > 0) {
            None => {
                for ($i, k) in $keys.iter_mut().enumerate() {
                    *k |= u64::from($code) << $shift;
                }
            }
            Some(n) => {
                for $i in n.valid_indices() {
                    $keys[$i] |= u64::from($code) << $shift;
                }
            }
        }
    };
}

/// The code of a null.
const NULL: u32 = 0;
/// An empty cache slot or dictionary entry not looked up yet.
const UNSET: u32 = u32::MAX;
/// The widest field of an attribute: about a million distinct raw values.
const MAX_BITS: u32 = 20;
/// The narrowest field worth keying an attribute with (1023 distinct raw values); an attribute
/// that would get less is grouped raw next to the key.
const MIN_BITS: u32 = 10;
/// The field of a raw label or prediction that is not boolean: a binary column has two classes,
/// and room is left for spellings (`" 1"`, `"1.0"`) that the counting reads as one of them.
const OUTCOME_BITS: u32 = 6;

/// How a column's values are interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Utf8, LargeUtf8 and Utf8View, and dictionaries of them.
    Text,
    /// Signed integers (as `i64`), and dictionaries of them.
    Signed,
    /// Unsigned integers (as `u64`), and dictionaries of them.
    Unsigned,
    /// Booleans: fixed codes, nothing to intern.
    Bool,
}

impl Kind {
    /// The kind of a column of type `t`; `None` for a type grouped raw.
    pub(super) fn of(t: &DataType) -> Option<Kind> {
        use DataType::*;
        match t {
            Utf8 | LargeUtf8 | Utf8View => Some(Kind::Text),
            Int8 | Int16 | Int32 | Int64 => Some(Kind::Signed),
            UInt8 | UInt16 | UInt32 | UInt64 => Some(Kind::Unsigned),
            Boolean => Some(Kind::Bool),
            Dictionary(_, v) => match Kind::of(v) {
                Some(Kind::Bool) | None => None,
                k => k,
            },
            _ => None,
        }
    }
}

/// A column that the key holds: its role's name in the grouped result, and its field.
#[derive(Debug, Clone)]
pub(super) struct Field {
    /// The column's name in the grouped result (`a0`, `y`, `d`, …).
    pub name: String,
    /// The type its decoded values take: the column's own, or a dictionary's value type.
    pub data_type: DataType,
    kind: Kind,
    shift: u32,
    /// `(1 << bits) - 1`: the largest code, so the number of distinct non-null values it holds.
    mask: u64,
}

/// A role column offered to the key: its name in the grouped result, its type, and whether it
/// is an attribute (whose field size is shared out) or an outcome column (a fixed field).
pub(super) struct Candidate {
    pub name: String,
    pub data_type: DataType,
    pub attribute: bool,
    /// For an outcome column known to hold few values (a score bin: the number of bins), the
    /// number of distinct non-null values; `None` when unknown.
    pub values: Option<usize>,
}

/// Chooses which candidates the key holds and their fields; the others are grouped raw. An
/// empty result means no key (the raw plan).
pub(super) fn layout(candidates: &[Candidate]) -> Vec<Field> {
    let bits_for = |values: usize| -> u32 {
        // Codes 1..=values and 0 for null.
        let mut bits = 1;
        while (1u64 << bits) <= values as u64 {
            bits += 1;
        }
        bits
    };
    let mut chosen: Vec<(usize, Kind, u32)> = Vec::new();
    let mut free = 64u32;
    // Outcome columns and boolean attributes first: small fixed fields.
    for (i, c) in candidates.iter().enumerate() {
        let Some(kind) = Kind::of(&c.data_type) else {
            continue;
        };
        let bits = match (kind, c.attribute, c.values) {
            (Kind::Bool, _, _) => 2,
            (_, false, Some(v)) => bits_for(v),
            (_, false, None) => OUTCOME_BITS,
            (_, true, _) => continue,
        };
        if bits <= free {
            free -= bits;
            chosen.push((i, kind, bits));
        }
    }
    // Then the other attributes share what is left, at least MIN_BITS each.
    let wide: Vec<(usize, Kind)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.attribute)
        .filter_map(|(i, c)| Kind::of(&c.data_type).map(|k| (i, k)))
        .filter(|(_, k)| *k != Kind::Bool)
        .collect();
    let keyed = wide.len().min((free / MIN_BITS) as usize);
    if keyed > 0 {
        let bits = (free / keyed as u32).min(MAX_BITS);
        for &(i, kind) in &wide[..keyed] {
            chosen.push((i, kind, bits));
        }
    }
    chosen.sort_by_key(|&(i, _, _)| i);
    let mut shift = 0;
    chosen
        .into_iter()
        .map(|(i, kind, bits)| {
            let c = &candidates[i];
            let data_type = match &c.data_type {
                DataType::Dictionary(_, v) => (**v).clone(),
                t => t.clone(),
            };
            let field = Field {
                name: c.name.clone(),
                data_type,
                kind,
                shift,
                mask: (1u64 << bits) - 1,
            };
            shift += bits;
            field
        })
        .collect()
}

/// The distinct values of one column, by code (code `c` at index `c - 1`).
#[derive(Debug, Default)]
struct Distinct {
    text: HashMap<String, u32>,
    texts: Vec<String>,
    ints: HashMap<u64, u32>,
    int_values: Vec<u64>,
}

/// The per-query interner shared by every partition's calls of `aequo_key`.
#[derive(Debug)]
pub(super) struct Interner {
    fields: Vec<Field>,
    distinct: Vec<Mutex<Distinct>>,
    overflowed: AtomicBool,
}

impl Interner {
    pub(super) fn new(fields: Vec<Field>) -> Interner {
        let distinct = fields.iter().map(|_| Mutex::default()).collect();
        Interner {
            fields,
            distinct,
            overflowed: AtomicBool::new(false),
        }
    }

    pub(super) fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Whether some column met more distinct values than its field holds.
    pub(super) fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    fn lock(&self, column: usize) -> MutexGuard<'_, Distinct> {
        // The maps are consistent between statements, so a panic elsewhere leaves them usable.
        self.distinct[column]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn overflow(&self, column: usize) -> DataFusionError {
        self.overflowed.store(true, Ordering::Relaxed);
        DataFusionError::Execution(format!(
            "aequo_key: column '{}' has more than {} distinct values",
            self.fields[column].name, self.fields[column].mask
        ))
    }

    fn intern_text(&self, column: usize, value: &str) -> Result<u32> {
        let mut d = self.lock(column);
        if let Some(&c) = d.text.get(value) {
            return Ok(c);
        }
        let next = d.texts.len() as u64 + 1;
        if next > self.fields[column].mask {
            drop(d);
            return Err(self.overflow(column));
        }
        let code = next as u32;
        d.texts.push(value.to_owned());
        d.text.insert(value.to_owned(), code);
        Ok(code)
    }

    fn intern_int(&self, column: usize, bits: u64) -> Result<u32> {
        let mut d = self.lock(column);
        if let Some(&c) = d.ints.get(&bits) {
            return Ok(c);
        }
        let next = d.int_values.len() as u64 + 1;
        if next > self.fields[column].mask {
            drop(d);
            return Err(self.overflow(column));
        }
        let code = next as u32;
        d.int_values.push(bits);
        d.ints.insert(bits, code);
        Ok(code)
    }

    /// A string not in the batch's cache.
    #[cold]
    #[inline(never)]
    fn miss_text(&self, column: usize, value: &str, view: u128, cache: &mut Cache) -> Result<u32> {
        let c = self.intern_text(column, value)?;
        cache.put(view, c);
        Ok(c)
    }

    /// An integer not in the batch's cache.
    #[cold]
    #[inline(never)]
    fn miss_int(&self, column: usize, value: u64, cache: &mut Cache) -> Result<u32> {
        let c = self.intern_int(column, value)?;
        cache.put(u128::from(value), c);
        Ok(c)
    }

    /// The code of `array`'s row `i` (any supported type, dictionaries included): the slow
    /// path, for values not in a batch's cache.
    fn intern_at(&self, column: usize, array: &dyn Array, i: usize) -> Result<u32> {
        if array.is_null(i) {
            return Ok(NULL);
        }
        match array.data_type() {
            DataType::Utf8 => self.intern_text(column, array.as_string::<i32>().value(i)),
            DataType::LargeUtf8 => self.intern_text(column, array.as_string::<i64>().value(i)),
            DataType::Utf8View => self.intern_text(column, array.as_string_view().value(i)),
            DataType::Boolean => Ok(1 + u32::from(array.as_boolean().value(i))),
            DataType::Dictionary(_, _) => {
                let dict = array.as_any_dictionary();
                let k = dict.normalized_keys()[i];
                self.intern_at(column, dict.values().as_ref(), k)
            }
            t if t.is_integer() => {
                let wide = self.widen(column, &array.slice(i, 1))?;
                self.intern_int(column, wide[0])
            }
            t => Err(DataFusionError::Internal(format!(
                "aequo_key: no interning for {t}"
            ))),
        }
    }

    /// Integers as the bits of an `i64` or a `u64`, whichever the field's kind is.
    fn widen(&self, column: usize, array: &ArrayRef) -> Result<Vec<u64>> {
        Ok(match self.fields[column].kind {
            Kind::Signed => {
                let a = cast(array, &DataType::Int64)?;
                let a = a.as_primitive::<Int64Type>();
                a.values().iter().map(|&v| v as u64).collect()
            }
            _ => {
                let a = cast(array, &DataType::UInt64)?;
                a.as_primitive::<UInt64Type>().values().to_vec()
            }
        })
    }

    /// The keys of a batch's rows, `arrays` being the key's columns, coded column by column.
    ///
    /// (Reading all the columns of a row together, through a batch-local table from the row's
    /// string views and integers to its part of the key, was tried: one probe per row instead
    /// of one per column, but gathering the row's words cost more than it saved.)
    pub(super) fn keys(&self, arrays: &[ArrayRef]) -> Result<Vec<u64>> {
        let n = arrays.first().map_or(0, |a| a.len());
        let mut keys = vec![0u64; n];
        for (column, array) in arrays.iter().enumerate() {
            self.fill(column, array, &mut keys)?;
        }
        Ok(keys)
    }

    /// Ors column `column`'s codes for `array` into `keys`.
    fn fill(&self, column: usize, array: &ArrayRef, keys: &mut [u64]) -> Result<()> {
        let shift = self.fields[column].shift;
        let put = |keys: &mut [u64], i: usize, code: u32| keys[i] |= u64::from(code) << shift;
        match array.data_type() {
            DataType::Utf8View => {
                let a = array.as_string_view();
                // As long as the keys, so that indexing by a row needs no bounds check.
                let views = views_of(a, keys.len())?;
                let mut cache = Cache::new();
                each_row!(keys, shift, array.nulls(), |i| {
                    let v = views[i];
                    match cache.get(v) {
                        Some(c) => c,
                        None => self.miss_text(column, a.value(i), v, &mut cache)?,
                    }
                });
            }
            DataType::Utf8 | DataType::LargeUtf8 => {
                let texts: Box<dyn Iterator<Item = Option<&str>>> =
                    if *array.data_type() == DataType::Utf8 {
                        Box::new(array.as_string::<i32>().iter())
                    } else {
                        Box::new(array.as_string::<i64>().iter())
                    };
                let mut seen: HashMap<&str, u32> = HashMap::new();
                let mut last: Option<(&str, u32)> = None;
                for (i, v) in texts.enumerate() {
                    let Some(v) = v else { continue };
                    let code = match last {
                        Some((l, c)) if l == v => c,
                        _ => match seen.get(v) {
                            Some(&c) => c,
                            None => {
                                let c = self.intern_text(column, v)?;
                                seen.insert(v, c);
                                c
                            }
                        },
                    };
                    last = Some((v, code));
                    put(keys, i, code);
                }
            }
            DataType::Boolean => {
                let a = array.as_boolean();
                for i in 0..a.len() {
                    if a.is_valid(i) {
                        put(keys, i, 1 + u32::from(a.value(i)));
                    }
                }
            }
            DataType::Dictionary(_, _) => {
                let dict = array.as_any_dictionary();
                let values = dict.values();
                let mut codes = vec![UNSET; values.len()];
                let positions = dict.normalized_keys();
                for (i, &k) in positions.iter().enumerate() {
                    // A null key; a null value is a null of the values array, coded below.
                    if dict.keys().is_null(i) {
                        continue;
                    }
                    let code = match codes.get(k) {
                        Some(&c) if c != UNSET => c,
                        Some(_) => {
                            let c = self.intern_at(column, values.as_ref(), k)?;
                            codes[k] = c;
                            c
                        }
                        None => {
                            return Err(DataFusionError::Internal(format!(
                                "aequo_key: dictionary key {k} out of range"
                            )))
                        }
                    };
                    put(keys, i, code);
                }
            }
            t if t.is_integer() => {
                let widened;
                let values: &[u64] = match words_of(array) {
                    Some((values, 1)) => values,
                    _ => {
                        widened = self.widen(column, array)?;
                        &widened
                    }
                };
                let values = values.get(..keys.len()).ok_or_else(|| {
                    DataFusionError::Internal("aequo_key: a column shorter than the batch".into())
                })?;
                let nulls = array.nulls().filter(|n| n.null_count() > 0);
                // Integers within a small range (0/1 outcomes, small category codes) are looked
                // up by their offset from the batch's smallest value; others through the cache.
                let (lo, hi) = match nulls {
                    None => values
                        .iter()
                        .fold((u64::MAX, 0), |(lo, hi), &v| (lo.min(v), hi.max(v))),
                    Some(n) => n.valid_indices().fold((u64::MAX, 0), |(lo, hi), i| {
                        (lo.min(values[i]), hi.max(values[i]))
                    }),
                };
                if lo <= hi && hi - lo <= 1 {
                    // One or two values, both met (they are the batch's extremes): coded up
                    // front, and the rows without a branch (0/1 outcomes).
                    let (c_lo, c_hi) = (self.intern_int(column, lo)?, self.intern_int(column, hi)?);
                    each_row!(keys, shift, nulls, |i| if values[i] == lo {
                        c_lo
                    } else {
                        c_hi
                    });
                } else if lo <= hi && hi - lo < 4096 {
                    let mut table = vec![UNSET; (hi - lo) as usize + 1];
                    each_row!(keys, shift, nulls, |i| {
                        let v = values[i];
                        let slot = &mut table[(v - lo) as usize];
                        if *slot == UNSET {
                            *slot = self.intern_int(column, v)?;
                        }
                        *slot
                    });
                } else {
                    let mut cache = Cache::new();
                    each_row!(keys, shift, nulls, |i| {
                        let v = values[i];
                        match cache.get(u128::from(v)) {
                            Some(c) => c,
                            None => self.miss_int(column, v, &mut cache)?,
                        }
                    });
                }
            }
            t => {
                return Err(DataFusionError::Internal(format!(
                    "aequo_key: no interning for {t}"
                )))
            }
        }
        Ok(())
    }

    /// The raw values of each keyed column for `keys`: the columns of the raw `GROUP BY`.
    pub(super) fn decode(&self, keys: &UInt64Array) -> Result<Vec<ArrayRef>> {
        let mut out = Vec::with_capacity(self.fields.len());
        for (column, field) in self.fields.iter().enumerate() {
            let d = self.lock(column);
            let values: ArrayRef = match field.kind {
                Kind::Text => Arc::new(
                    std::iter::once(None)
                        .chain(d.texts.iter().map(|t| Some(t.as_str())))
                        .collect::<StringArray>(),
                ),
                Kind::Signed => Arc::new(
                    std::iter::once(None)
                        .chain(d.int_values.iter().map(|&v| Some(v as i64)))
                        .collect::<Int64Array>(),
                ),
                Kind::Unsigned => Arc::new(
                    std::iter::once(None)
                        .chain(d.int_values.iter().map(|&v| Some(v)))
                        .collect::<PrimitiveArray<UInt64Type>>(),
                ),
                Kind::Bool => Arc::new(BooleanArray::from(vec![None, Some(false), Some(true)])),
            };
            let distinct = values.len() as u64;
            drop(d);
            let values = cast(&values, &field.data_type)?;
            let mut codes = Vec::with_capacity(keys.len());
            for k in keys.iter() {
                let code = k.map_or(0, |k| (k >> field.shift) & field.mask);
                if code >= distinct {
                    return Err(DataFusionError::Internal(format!(
                        "aequo_key: key {k:?} holds code {code} of column '{}', which has {} values",
                        field.name,
                        distinct - 1
                    )));
                }
                codes.push(code as u32);
            }
            out.push(take(&values, &UInt32Array::from(codes), None)?);
        }
        Ok(out)
    }
}

/// A batch's direct-mapped cache from a value's bits (a string view, an integer) to its code.
/// Within one array, equal views mean equal strings (an inline string's view is its bytes; a
/// longer one's names its buffer and offset), so a hit is always right; unequal views of equal
/// strings only cost a lookup in the interner.
struct Cache {
    slots: Vec<(u128, u32)>,
}

impl Cache {
    const BITS: u32 = 8;

    fn new() -> Cache {
        Cache {
            slots: vec![(0, UNSET); 1 << Self::BITS],
        }
    }

    #[inline]
    fn slot(v: u128) -> usize {
        let x = (v as u64) ^ ((v >> 64) as u64).rotate_left(29);
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize
    }

    #[inline]
    fn get(&self, v: u128) -> Option<u32> {
        let (k, c) = self.slots[Self::slot(v)];
        (k == v && c != UNSET).then_some(c)
    }

    #[inline]
    fn put(&mut self, v: u128, code: u32) {
        self.slots[Self::slot(v)] = (v, code);
    }
}

/// A column's rows as words that tell its values apart within the batch, when that is cheap:
/// a string view's two (its 16 bytes), a 64-bit integer's one; `None` with nulls or another
/// type.
fn words_of(array: &ArrayRef) -> Option<(&[u64], usize)> {
    if array.null_count() > 0 {
        return None;
    }
    if let Some(a) = array.as_string_view_opt() {
        Some((a.views().inner().typed_data::<u64>(), 2))
    } else if let Some(a) = array.as_primitive_opt::<Int64Type>() {
        Some((a.values().inner().typed_data::<u64>(), 1))
    } else {
        array
            .as_primitive_opt::<UInt64Type>()
            .map(|a| (a.values().inner().typed_data::<u64>(), 1))
    }
}

/// A string view array's views, exactly `n` of them.
fn views_of(array: &arrow_array::StringViewArray, n: usize) -> Result<&[u128]> {
    array.views().get(..n).ok_or_else(|| {
        DataFusionError::Internal("aequo_key: a column shorter than the batch".into())
    })
}

/// The scalar function `aequo_key(columns…) -> UInt64`, bound to one query's interner. It is
/// volatile so that no optimiser folds it: its codes depend on the order values arrive.
#[derive(Debug)]
pub(super) struct KeyFunction {
    interner: Arc<Interner>,
    signature: Signature,
}

impl KeyFunction {
    pub(super) fn udf(interner: Arc<Interner>) -> ScalarUDF {
        ScalarUDF::from(KeyFunction {
            interner,
            signature: Signature::variadic_any(Volatility::Volatile),
        })
    }
}

impl PartialEq for KeyFunction {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.interner, &other.interner)
    }
}

impl Eq for KeyFunction {}

impl Hash for KeyFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.interner).hash(state);
    }
}

impl ScalarUDFImpl for KeyFunction {
    fn name(&self) -> &str {
        "aequo_key"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.len() != self.interner.fields.len() {
            return Err(DataFusionError::Internal(format!(
                "aequo_key: {} arguments for {} columns",
                args.args.len(),
                self.interner.fields.len()
            )));
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if arrays.iter().any(|a| a.len() != args.number_rows) {
            return Err(DataFusionError::Internal(
                "aequo_key: arguments of different lengths".into(),
            ));
        }
        Ok(ColumnarValue::Array(Arc::new(UInt64Array::from(
            self.interner.keys(&arrays)?,
        ))))
    }
}
