//! Small text helpers shared by the text renderers.

use aequo_core::{GroupKey, Value};

/// A count (an integer-valued number) without decimals.
pub(crate) fn count(v: &Value) -> String {
    match v {
        Value::Defined(x) => format!("{x:.0}"),
        Value::Undefined(_) => "undef".to_owned(),
    }
}

/// A value with 4 decimals, or a short reason.
pub(crate) fn num(v: &Value) -> String {
    match v {
        Value::Defined(x) => format!("{x:.4}"),
        Value::Undefined(_) => "undef".to_owned(),
    }
}

/// A value with the half-width of its interval, e.g. `0.4525 ±0.0031` (the larger side of an
/// asymmetric interval).
pub(crate) fn num_ci(e: &aequo_core::audit::Estimate) -> String {
    value_ci(e.value, e.ci)
}

/// A value with the half-width of an optional interval.
pub(crate) fn value_ci(v: Value, ci: Option<aequo_core::interval::Interval>) -> String {
    match (v, ci) {
        (Value::Defined(x), Some(ci)) => {
            format!("{x:.4} ±{:.4}", (ci.upper - x).max(x - ci.lower))
        }
        _ => num(&v),
    }
}

/// A group's label ("overall" for the empty key).
pub(crate) fn group(key: &GroupKey) -> String {
    if key.0.is_empty() {
        "overall".to_owned()
    } else {
        key.to_string()
    }
}

/// Lays out rows as an aligned table with a header rule. The first column is left-aligned,
/// the others right-aligned.
pub(crate) fn grid(header: &[String], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width = vec![0; cols];
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |r: &[String]| {
        let mut s = String::new();
        for (i, c) in r.iter().enumerate().take(cols) {
            let pad = width[i] - c.chars().count();
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = line(header);
    out.push('\n');
    out.push_str(&"-".repeat(width.iter().sum::<usize>() + 2 * (cols.saturating_sub(1))));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}
