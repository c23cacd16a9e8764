//! Escaping and number formatting shared by the Markdown, HTML and SVG renderers.
//!
//! Group names, attribute names and file names come from user data, so every piece of text that
//! reaches a document passes through [`html`] or [`md`] first. Numbers are formatted, never
//! recomputed.

use aequo_core::interval::Interval;
use aequo_core::{GroupKey, Value};

/// Escapes text for HTML and SVG content and attribute values.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown (CommonMark and GitHub's dialect), including inside table cells:
/// every ASCII punctuation character that can open markup is backslash-escaped, and line breaks
/// become spaces so that a value cannot end a table row.
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '$' | '#' | '!'
            | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A rate, difference, ratio or index: always three decimals, so columns align and 1.000
/// reads as a rate.
pub(crate) fn number(x: f64) -> String {
    format!("{x:.3}")
}

/// A round number as short as it can be written (axis ticks, thresholds): 0.1, 0.25, 1.
pub(crate) fn short(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Text with its first letter in lower case, for a label used inside a sentence
/// ("True positive rate" → "true positive rate", "Precision (PPV)" → "precision (PPV)").
pub(crate) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A value, or "undefined".
pub(crate) fn value(v: &Value) -> String {
    match v {
        Value::Defined(x) => number(*x),
        Value::Undefined(_) => "undefined".to_owned(),
    }
}

/// An interval as "0.389–0.436".
pub(crate) fn interval(i: &Interval) -> String {
    format!("{:.3}–{:.3}", i.lower, i.upper)
}

/// A count with thousands separators: 12,345.
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A group's label ("overall" for the empty key).
pub(crate) fn group(key: &GroupKey) -> String {
    if key.0.is_empty() {
        "overall".to_owned()
    } else {
        key.to_string()
    }
}

/// A percentage for a confidence level: 0.95 → "95%".
pub(crate) fn percent(level: f64) -> String {
    let p = level * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A file- and id-safe slug: ASCII letters, digits, `-` and `_`; everything else becomes `_`.
pub(crate) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn md_escapes_table_breaking_and_markup_characters() {
        assert_eq!(
            md("a|b <i>*x*</i> & [l](u)"),
            r"a\|b \<i\>\*x\*\</i\> \& \[l\](u)"
        );
        assert_eq!(md("two\nlines"), "two lines");
        assert_eq!(md("18-29"), "18-29");
    }

    #[test]
    fn numbers_and_counts() {
        assert_eq!(number(0.41234), "0.412");
        assert_eq!(number(1.0), "1.000");
        assert_eq!(short(0.1), "0.1");
        assert_eq!(short(1.0), "1");
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(0.0), "0");
        assert_eq!(lower_first("Precision (PPV)"), "precision (PPV)");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(percent(0.95), "95%");
        assert_eq!(percent(0.995), "99.5%");
        assert_eq!(slug("Age band/../x"), "age_band____x");
    }
}
