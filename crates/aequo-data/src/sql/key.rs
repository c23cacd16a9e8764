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
//! Per batch, each column is read through a small two-way cache (a string view's 16 bytes,
//! an integer's 8; integers of two values or a small range through cheaper means; a dictionary
//! through a table of its entries' codes, each entry looked up once), so that the
//! interner's lock is taken only for a value the batch has not met yet, and the keys are made a
//! chunk of rows at a time, all columns in turn ([`Interner::keys`]). A column that meets more distinct values than its field holds makes the function fail
//! and sets [`Interner::overflowed`]; the caller then runs the raw `GROUP BY` instead, which gives
//! the same result (or the same error, such as too many levels) as if the key had never been
//! tried.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Int64Array, PrimitiveArray, StringArray, StringViewArray,
    UInt32Array, UInt64Array,
};
use arrow_buffer::bit_iterator::BitIndexIterator;
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;
use datafusion::arrow::compute::{cast, take};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// The code of a null.
const NULL: u32 = 0;
/// A table entry not looked up yet: no shifted code, a field being at most [`MAX_BITS`] wide.
const UNSET_KEY: u64 = u64::MAX;
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
    fn miss_text(&self, column: usize, value: &str, view: u128, cache: &mut Cache) -> Result<u64> {
        let c = u64::from(self.intern_text(column, value)?) << self.fields[column].shift;
        cache.put(view, c);
        Ok(c)
    }

    /// An integer not in the batch's cache.
    #[cold]
    #[inline(never)]
    fn miss_int(&self, column: usize, value: u64, cache: &mut Cache) -> Result<u64> {
        let c = u64::from(self.intern_int(column, value)?) << self.fields[column].shift;
        cache.put(u128::from(value), c);
        Ok(c)
    }

    /// A dictionary entry not met yet in the batch: its code, shifted into the column's field (a
    /// null entry's is NULL's).
    #[cold]
    #[inline(never)]
    fn miss_entry(&self, column: usize, values: &dyn Array, entry: usize) -> Result<u64> {
        Ok(u64::from(self.intern_at(column, values, entry)?) << self.fields[column].shift)
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

    /// The keys of a batch's rows, `arrays` being the key's columns.
    ///
    /// The rows are keyed [`CHUNK`] at a time, every column's codes ored in turn into the
    /// chunk's keys, which stay in the first-level cache; column by column over the whole
    /// batch, every column's pass read and wrote the batch's keys (64 KiB at DataFusion's 8192
    /// rows) in the second-level cache.
    ///
    /// (Reading all the columns of a row together, through a batch-local table from the row's
    /// string views and integers to its part of the key, was tried: one probe per row instead
    /// of one per column, but gathering the row's words cost more than it saved.)
    pub(super) fn keys(&self, arrays: &[ArrayRef]) -> Result<Vec<u64>> {
        let n = arrays.first().map_or(0, |a| a.len());
        if arrays.iter().any(|a| a.len() != n) {
            return Err(DataFusionError::Internal(
                "aequo_key: columns of different lengths".into(),
            ));
        }
        let mut readers = arrays
            .iter()
            .enumerate()
            .map(|(column, array)| self.reader(column, array))
            .collect::<Result<Vec<_>>>()?;
        let mut keys = Vec::with_capacity(n);
        let mut chunk = [0u64; CHUNK];
        let mut start = 0;
        while start < n {
            let out = &mut chunk[..CHUNK.min(n - start)];
            out.fill(0);
            for reader in &mut readers {
                reader.fill(self, start, out)?;
            }
            keys.extend_from_slice(out);
            start += out.len();
        }
        Ok(keys)
    }

    /// How column `column`'s codes are read from `array`, a batch's rows.
    fn reader<'a>(&self, column: usize, array: &'a ArrayRef) -> Result<Reader<'a>> {
        let shift = self.fields[column].shift;
        let nulls = array.nulls().filter(|n| n.null_count() > 0).cloned();
        // The first row with a value, whose code seeds a cache (so that no slot is ever empty).
        let first = match &nulls {
            None if array.is_empty() => return Ok(Reader::Null),
            None => 0,
            Some(n) => match n.valid_indices().next() {
                Some(i) => i,
                // All null: every code is NULL's, 0.
                None => return Ok(Reader::Null),
            },
        };
        match array.data_type() {
            DataType::Utf8View => {
                let array = array.as_string_view();
                let code = u64::from(self.intern_text(column, array.value(first))?) << shift;
                Ok(Reader::Views {
                    column,
                    array,
                    nulls,
                    cache: Cache::seeded(array.views()[first], code),
                })
            }
            DataType::Dictionary(_, _) => {
                let dict = array.as_any_dictionary();
                let keys = match array.as_dictionary_opt::<Int32Type>() {
                    Some(d) => Keys::Int32(d.keys().values()),
                    None => Keys::Normalized(dict.normalized_keys()),
                };
                Ok(Reader::Dictionary {
                    column,
                    keys,
                    values: dict.values(),
                    nulls,
                    table: vec![UNSET_KEY; dict.values().len()],
                })
            }
            t if t.is_integer() => {
                let values = match integers_of(array) {
                    Some(values) => Cow::Borrowed(values),
                    None => Cow::Owned(self.widen(column, array)?),
                };
                self.integer_reader(column, values, nulls, first)
            }
            _ => Ok(Reader::Codes(self.codes(column, array)?)),
        }
    }

    /// The reader of integers (as `u64` bits), by how far apart the batch's values are.
    fn integer_reader<'a>(
        &self,
        column: usize,
        values: Cow<'a, [u64]>,
        nulls: Option<NullBuffer>,
        first: usize,
    ) -> Result<Reader<'a>> {
        let shift = self.fields[column].shift;
        let code = |v: u64| -> Result<u64> { Ok(u64::from(self.intern_int(column, v)?) << shift) };
        // The bits in which the values differ: those set in some value (`any`) and clear in
        // some other (not in `all`). Or and and vectorise; a minimum and maximum (u64
        // comparisons, which SSE2 has not) compiled to branches that a random 0/1 column
        // mispredicted half the time.
        let (any, all) = match &nulls {
            None => values
                .iter()
                .fold((0, u64::MAX), |(any, all), &v| (any | v, all & v)),
            Some(n) => n.valid_indices().fold((0, u64::MAX), |(any, all), i| {
                (any | values[i], all & values[i])
            }),
        };
        let differ = any ^ all;
        if differ.count_ones() <= 1 {
            // One value (`all` = `any`), or two that differ in one bit (0/1 outcomes): both
            // are met, so both are coded up front, and the rows take one or the other without
            // a branch.
            let low = code(all)?;
            let high = if differ == 0 { low } else { code(any)? };
            Ok(Reader::Two {
                values,
                nulls,
                low_value: all,
                codes: [low, high],
            })
        } else if differ < 4096 {
            // Every value is `all` with some of the `differ` bits set: a table by `v ^ all`,
            // filled as the values are met (so that only met values are interned).
            let size = usize::try_from(differ + 1)
                .expect("below 4097")
                .next_power_of_two();
            Ok(Reader::Table {
                column,
                values,
                nulls,
                base: all,
                table: vec![UNSET_KEY; size],
            })
        } else {
            let seed = code(values[first])?;
            Ok(Reader::Integers {
                column,
                cache: Cache::seeded(u128::from(values[first]), seed),
                values,
                nulls,
            })
        }
    }

    /// Column `column`'s codes, shifted into its field, for a type read row by row through the
    /// array (text, booleans): the batch's codes worked out up front, then ored
    /// into each chunk's keys.
    fn codes(&self, column: usize, array: &ArrayRef) -> Result<Vec<u64>> {
        let shift = self.fields[column].shift;
        let mut keys = vec![0u64; array.len()];
        let put = |keys: &mut [u64], i: usize, code: u32| keys[i] |= u64::from(code) << shift;
        match array.data_type() {
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
                    put(&mut keys, i, code);
                }
            }
            DataType::Boolean => {
                let a = array.as_boolean();
                for i in 0..a.len() {
                    if a.is_valid(i) {
                        put(&mut keys, i, 1 + u32::from(a.value(i)));
                    }
                }
            }
            t => {
                return Err(DataFusionError::Internal(format!(
                    "aequo_key: no interning for {t}"
                )))
            }
        }
        Ok(keys)
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

/// Rows keyed together (see [`Interner::keys`]): their keys take 8 KiB.
const CHUNK: usize = 1024;

/// `keys[i] |= code` for every row `i` of a chunk that is not null, `code` being the expression
/// `$code` of the row's index in the chunk `$i` and its value `$v` (of `$values`, the chunk's
/// values); `$nulls` are the whole batch's, the chunk starting at its row `$start`. A macro
/// rather than a function taking a closure, so that the loop is one piece of code with the
/// lookup inlined.
macro_rules! each_row {
    ($keys:expr, $values:expr, $start:expr, $nulls:expr, |$i:ident, $v:ident| $code:expr) => {
        match $nulls {
            None => {
                for ($i, (k, &$v)) in $keys.iter_mut().zip($values).enumerate() {
                    *k |= $code;
                }
            }
            Some(n) => {
                let valid = BitIndexIterator::new(n.validity(), n.offset() + $start, $keys.len());
                for $i in valid {
                    let $v = $values[$i];
                    $keys[$i] |= $code;
                }
            }
        }
    };
}

/// How one column's codes are read from a batch, chunk by chunk; the codes are shifted into
/// the column's field.
enum Reader<'a> {
    /// Every row null: nothing to or in (NULL's code is 0).
    Null,
    /// String views, looked up in a cache.
    Views {
        column: usize,
        array: &'a StringViewArray,
        nulls: Option<NullBuffer>,
        cache: Cache,
    },
    /// Integers of at most two values, `low_value`'s code `codes[0]` and the other's `codes[1]`.
    Two {
        values: Cow<'a, [u64]>,
        nulls: Option<NullBuffer>,
        low_value: u64,
        codes: [u64; 2],
    },
    /// Integers that differ from `base` in a few low bits: their codes by `v ^ base`
    /// ([`UNSET_KEY`] until met).
    Table {
        column: usize,
        values: Cow<'a, [u64]>,
        nulls: Option<NullBuffer>,
        base: u64,
        table: Vec<u64>,
    },
    /// Other integers, looked up in a cache.
    Integers {
        column: usize,
        values: Cow<'a, [u64]>,
        nulls: Option<NullBuffer>,
        cache: Cache,
    },
    /// A dictionary: the entries' codes by key ([`UNSET_KEY`] until met). The keys of null
    /// rows, which may be anything, are not read.
    Dictionary {
        column: usize,
        keys: Keys<'a>,
        values: &'a ArrayRef,
        nulls: Option<NullBuffer>,
        table: Vec<u64>,
    },
    /// The batch's codes, worked out up front ([`Interner::codes`]).
    Codes(Vec<u64>),
}

impl Reader<'_> {
    /// Ors the codes of the batch's rows `start..start + keys.len()` into `keys`.
    fn fill(&mut self, interner: &Interner, start: usize, keys: &mut [u64]) -> Result<()> {
        let rows = start..start + keys.len();
        match self {
            Reader::Null => {}
            Reader::Views {
                column,
                array,
                nulls,
                cache,
            } => {
                let views = &array.views()[rows];
                each_row!(keys, views, start, nulls, |i, v| match cache.get(v) {
                    Some(c) => c,
                    None => interner.miss_text(*column, array.value(start + i), v, cache)?,
                });
            }
            Reader::Two {
                values,
                nulls,
                low_value,
                codes,
            } => {
                let (low, [c_low, c_high]) = (*low_value, *codes);
                let values = &values[rows];
                each_row!(keys, values, start, nulls, |_i, v| if v == low {
                    c_low
                } else {
                    c_high
                });
            }
            Reader::Table {
                column,
                values,
                nulls,
                base,
                table,
            } => {
                // A power of two above every `v ^ base`: the mask only spares a bounds check.
                let mask = table.len() - 1;
                let values = &values[rows];
                each_row!(keys, values, start, nulls, |_i, v| {
                    let slot = &mut table[(v ^ *base) as usize & mask];
                    if *slot == UNSET_KEY {
                        *slot = u64::from(interner.intern_int(*column, v)?)
                            << interner.fields[*column].shift;
                    }
                    *slot
                });
            }
            Reader::Integers {
                column,
                values,
                nulls,
                cache,
            } => {
                let values = &values[rows];
                each_row!(
                    keys,
                    values,
                    start,
                    nulls,
                    |_i, v| match cache.get(u128::from(v)) {
                        Some(c) => c,
                        None => interner.miss_int(*column, v, cache)?,
                    }
                );
            }
            Reader::Dictionary {
                column,
                keys: entries,
                values,
                nulls,
                table,
            } => {
                let mut code = |entry: usize| -> Result<u64> {
                    // Arrow holds a valid row's key below the number of entries; a broken
                    // array is an error, not a panic.
                    let Some(slot) = table.get_mut(entry) else {
                        return Err(DataFusionError::Internal(format!(
                            "aequo_key: dictionary key {entry} out of range"
                        )));
                    };
                    if *slot == UNSET_KEY {
                        *slot = interner.miss_entry(*column, values.as_ref(), entry)?;
                    }
                    Ok(*slot)
                };
                match entries {
                    Keys::Int32(k) => {
                        let k = &k[rows];
                        // A negative key becomes one far out of range.
                        each_row!(keys, k, start, nulls, |_i, e| code(e as u32 as usize)?);
                    }
                    Keys::Normalized(k) => {
                        let k = &k[rows];
                        each_row!(keys, k, start, nulls, |_i, e| code(e)?);
                    }
                }
            }
            Reader::Codes(codes) => {
                for (k, c) in keys.iter_mut().zip(&codes[rows]) {
                    *k |= c;
                }
            }
        }
        Ok(())
    }
}

/// A dictionary's keys: the Parquet reader's `i32` keys as they are, others as positions.
enum Keys<'a> {
    Int32(&'a [i32]),
    Normalized(Vec<usize>),
}

/// A batch's two-way set-associative cache from a value's bits (a string view, an integer) to
/// its code, shifted into its field. Within one array, equal views mean equal strings (an
/// inline string's view is its bytes; a longer one's names its buffer and offset), so a hit is
/// always right; unequal views of equal strings only cost a lookup in the interner.
///
/// Two ways, so that two frequent values whose bits fall in the same set do not evict each
/// other row after row, each miss taking the interner's lock (with 256 sets, two of 20 distinct
/// values share one with probability ≈ 1 − e^(−20²/512) ≈ 54%): a value put moves the set's
/// first entry to its second. Every entry holds a real value from the start (the batch's first
/// value, [`Cache::seeded`]), so that a lookup is one comparison of the bits, with no test for
/// an empty slot, and a second one only when the first misses.
struct Cache {
    slots: Box<[[(u128, u64); 2]; Cache::SLOTS]>,
}

impl Cache {
    const BITS: u32 = 8;
    const SLOTS: usize = 1 << Self::BITS;

    fn seeded(value: u128, code: u64) -> Cache {
        Cache {
            slots: Box::new([[(value, code); 2]; Self::SLOTS]),
        }
    }

    #[inline]
    fn slot(v: u128) -> usize {
        let x = (v as u64) ^ ((v >> 64) as u64).rotate_left(29);
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize
    }

    #[inline]
    fn get(&self, v: u128) -> Option<u64> {
        let [(k, c), (k2, c2)] = self.slots[Self::slot(v)];
        if k == v {
            Some(c)
        } else {
            (k2 == v).then_some(c2)
        }
    }

    #[inline]
    fn put(&mut self, v: u128, code: u64) {
        let set = &mut self.slots[Self::slot(v)];
        set[1] = set[0];
        set[0] = (v, code);
    }
}

#[cfg(test)]
mod cache_tests {
    use super::Cache;

    /// Two values of one set both stay (a direct-mapped cache would keep only the last), a
    /// third evicts the older of them.
    #[test]
    fn two_values_of_one_set_both_stay() {
        let a: u128 = 7;
        let same_set: Vec<u128> = (8..100_000u128)
            .filter(|&v| Cache::slot(v) == Cache::slot(a))
            .take(2)
            .collect();
        let (b, c) = (same_set[0], same_set[1]);
        let mut cache = Cache::seeded(1 << 100, 99);
        assert_eq!(cache.get(a), None);
        cache.put(a, 1);
        cache.put(b, 2);
        for _ in 0..3 {
            assert_eq!((cache.get(a), cache.get(b)), (Some(1), Some(2)));
        }
        cache.put(c, 3);
        assert_eq!(
            (cache.get(a), cache.get(b), cache.get(c)),
            (None, Some(2), Some(3))
        );
    }
}

/// A 64-bit integer column's values as `u64` bits, without a copy; `None` for another type.
fn integers_of(array: &ArrayRef) -> Option<&[u64]> {
    if let Some(a) = array.as_primitive_opt::<Int64Type>() {
        Some(a.values().inner().typed_data::<u64>())
    } else {
        array
            .as_primitive_opt::<UInt64Type>()
            .map(|a| a.values().inner().typed_data::<u64>())
    }
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
