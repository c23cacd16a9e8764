//! Disparities: how far a metric's values across groups are from equal.
//!
//! Definitions follow Fairlearn 0.15.0 `MetricFrame.difference` / `.ratio`
//! (`shared/reference/group-fairness.md` §2.1), with aequo's `to_reference` added:
//!
//! | method | difference | ratio |
//! |---|---|---|
//! | `between_groups` | max_g m(g) − min_g m(g) | min_g m(g) / max_g m(g) |
//! | `to_overall` | max_g \|m(g) − m(all)\| | min_g fold(m(g) / m(all)) |
//! | `to_reference` | max_{g≠r} \|m(g) − m(r)\| | min_{g≠r} fold(m(g) / m(r)) |
//!
//! where fold(x) = x if x ≤ 1 else 1/x. Groups whose value is undefined are left out and listed
//! (Fairlearn leaves out empty cells as NaN but counts 0/0 groups as 0.0). A difference needs two
//! defined groups for `between_groups`; a ratio whose denominator is zero is undefined.

use serde::{Deserialize, Serialize};

use crate::value::{Undefined, Value};

/// How groups are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Largest against smallest group.
    BetweenGroups,
    /// Each group against the whole population.
    ToOverall,
    /// Each group against a named reference group.
    ToReference,
}

impl Method {
    /// The identifier used in outputs.
    pub fn id(self) -> &'static str {
        match self {
            Method::BetweenGroups => "between_groups",
            Method::ToOverall => "to_overall",
            Method::ToReference => "to_reference",
        }
    }
}

/// The result of aggregating one metric over groups: the value and the groups that decide it.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The aggregate.
    pub value: Value,
    /// For `between_groups`: (argmin, argmax) positions; otherwise the position of the group
    /// farthest from the comparison point, twice.
    pub extremes: Option<(usize, usize)>,
    /// Positions of groups left out because their value is undefined.
    pub excluded: Vec<usize>,
}

fn fold(x: f64) -> f64 {
    if x > 1.0 {
        1.0 / x
    } else {
        x
    }
}

fn defined(values: &[Value], skip: Option<usize>) -> (Vec<(usize, f64)>, Vec<usize>) {
    let mut d = Vec::new();
    let mut excluded = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if Some(i) == skip {
            continue;
        }
        match v.get() {
            Some(x) => d.push((i, x)),
            None => excluded.push(i),
        }
    }
    (d, excluded)
}

/// `between_groups` difference and ratio.
pub fn between_groups(values: &[Value]) -> (Aggregate, Aggregate) {
    let (d, excluded) = defined(values, None);
    if d.len() < 2 {
        let u = Aggregate {
            value: Value::Undefined(Undefined::TooFewGroups { defined: d.len() }),
            extremes: None,
            excluded,
        };
        return (u.clone(), u);
    }
    // Ties keep the first group, for stable output.
    let mut lo = d[0];
    let mut hi = d[0];
    for &(i, x) in &d[1..] {
        if x < lo.1 {
            lo = (i, x);
        }
        if x > hi.1 {
            hi = (i, x);
        }
    }
    let extremes = Some((lo.0, hi.0));
    (
        Aggregate {
            value: Value::Defined(hi.1 - lo.1),
            extremes,
            excluded: excluded.clone(),
        },
        Aggregate {
            value: Value::ratio(lo.1, hi.1),
            extremes,
            excluded,
        },
    )
}

/// Difference and ratio of each group against a point (the overall value or a reference
/// group's), skipping the reference position itself when given.
fn against(values: &[Value], point: Value, skip: Option<usize>) -> (Aggregate, Aggregate) {
    let (d, excluded) = defined(values, skip);
    let Some(p) = point.get() else {
        let reason = match (point, skip) {
            (Value::Undefined(_), Some(_)) => Undefined::ReferenceUndefined,
            (Value::Undefined(u), None) => u,
            (Value::Defined(_), _) => unreachable!("point is undefined here"),
        };
        let u = Aggregate {
            value: Value::Undefined(reason),
            extremes: None,
            excluded,
        };
        return (u.clone(), u);
    };
    if d.is_empty() {
        let u = Aggregate {
            value: Value::Undefined(Undefined::TooFewGroups { defined: 0 }),
            extremes: None,
            excluded,
        };
        return (u.clone(), u);
    }
    let mut worst_diff = (d[0].0, (d[0].1 - p).abs());
    for &(i, x) in &d[1..] {
        if (x - p).abs() > worst_diff.1 {
            worst_diff = (i, (x - p).abs());
        }
    }
    let difference = Aggregate {
        value: Value::Defined(worst_diff.1),
        extremes: Some((worst_diff.0, worst_diff.0)),
        excluded: excluded.clone(),
    };
    let ratio = if p == 0.0 {
        Aggregate {
            value: Value::Undefined(Undefined::ZeroDenominator {
                numerator: d[0].1,
                denominator: 0.0,
            }),
            extremes: None,
            excluded,
        }
    } else {
        let mut worst = (d[0].0, fold(d[0].1 / p));
        for &(i, x) in &d[1..] {
            let r = fold(x / p);
            if r < worst.1 {
                worst = (i, r);
            }
        }
        Aggregate {
            value: Value::Defined(worst.1),
            extremes: Some((worst.0, worst.0)),
            excluded,
        }
    };
    (difference, ratio)
}

/// `to_overall` difference and ratio.
pub fn to_overall(values: &[Value], overall: Value) -> (Aggregate, Aggregate) {
    against(values, overall, None)
}

/// `to_reference` difference and ratio; `reference` is a position in `values`.
pub fn to_reference(values: &[Value], reference: usize) -> (Aggregate, Aggregate) {
    against(values, values[reference], Some(reference))
}

/// The numbers of [`between_groups`], [`to_overall`] and [`to_reference`] — difference and
/// ratio of each, in that order — with NaN for undefined, in and out, and without allocating:
/// the same definitions for the bootstrap's replicates, where the point estimates' extremes
/// and exclusion lists are not needed (a test checks both agree).
pub fn six_numbers(values: &[f64], overall: f64, reference: Option<usize>) -> [f64; 6] {
    let (mut lo, mut hi, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
    for &x in values {
        extend(&mut lo, &mut hi, &mut n, x);
    }
    if let Some(six) = from_extremes(lo, hi, n, overall, reference.map(|r| values[r])) {
        return six;
    }
    let nan = f64::NAN;
    let mut out = [nan; 6];
    if n >= 2 {
        out[0] = hi - lo;
        out[1] = if hi == 0.0 { nan } else { lo / hi };
    }
    let against = |p: f64, skip: Option<usize>| -> (f64, f64) {
        if !p.is_finite() {
            return (nan, nan);
        }
        let (mut diff, mut ratio, mut any) = (0.0f64, f64::INFINITY, false);
        for (i, &x) in values.iter().enumerate() {
            if Some(i) == skip || !x.is_finite() {
                continue;
            }
            any = true;
            diff = diff.max((x - p).abs());
            if p != 0.0 {
                ratio = ratio.min(fold(x / p));
            }
        }
        if !any {
            (nan, nan)
        } else if p == 0.0 {
            (diff, nan)
        } else {
            (diff, ratio)
        }
    };
    (out[2], out[3]) = against(overall, None);
    if let Some(r) = reference {
        (out[4], out[5]) = against(values[r], Some(r));
    }
    out
}

/// Takes a value into the defined values' extremes and count.
#[inline]
fn extend(lo: &mut f64, hi: &mut f64, n: &mut usize, x: f64) {
    if x.is_finite() {
        if x < *lo {
            *lo = x;
        }
        if x > *hi {
            *hi = x;
        }
        *n += 1;
    }
}

/// [`six_numbers`] from the defined values' extremes and count alone, where they determine it:
/// against p ≥ 0 with values ≥ 0 (every binary metric), |x − p| is largest and fold(x / p)
/// smallest at an extreme x (fold increases below 1 and decreases above). Against the reference
/// group's own value, that group adds |p − p| = 0 and fold(1) = 1, which change neither, so the
/// others' extremes may be those of all, given one other defined value. `None` otherwise.
fn from_extremes(
    lo: f64,
    hi: f64,
    n: usize,
    overall: f64,
    reference: Option<f64>,
) -> Option<[f64; 6]> {
    let applies = |p: f64| p >= 0.0 || p.is_nan();
    if (n > 0 && lo < 0.0) || !applies(overall) || !reference.is_none_or(applies) {
        return None;
    }
    Some(six_of_extremes(lo, hi, n, overall, reference))
}

/// The arithmetic of [`from_extremes`] once it applies, as comparisons and selects (no early
/// return), so that lanes of replicates run in parallel.
#[inline(always)]
fn six_of_extremes(lo: f64, hi: f64, n: usize, overall: f64, reference: Option<f64>) -> [f64; 6] {
    let nan = f64::NAN;
    let against = |p: f64, others: usize| -> (f64, f64) {
        let defined = p.abs() < f64::INFINITY && others > 0;
        let diff = (lo - p).abs().max((hi - p).abs());
        let ratio = fold(lo / p).min(fold(hi / p));
        (
            if defined { diff } else { nan },
            if defined && p != 0.0 { ratio } else { nan },
        )
    };
    let (d2, r2) = against(overall, n);
    let (d4, r4) = match reference {
        Some(p) => against(p, n.saturating_sub(1)),
        None => (nan, nan),
    };
    [
        if n >= 2 { hi - lo } else { nan },
        if n >= 2 && hi != 0.0 { lo / hi } else { nan },
        d2,
        r2,
        d4,
        r4,
    ]
}

/// [`six_numbers`] of many replicates at once, one per lane: `column(j)` holds group `j`'s
/// value in each lane, `groups` of them. The same numbers as [`six_numbers`] lane by lane.
#[inline(always)]
pub fn six_numbers_lanes<'a, const L: usize>(
    groups: usize,
    column: impl Fn(usize) -> &'a [f64; L],
    overall: &[f64; L],
    reference: Option<usize>,
) -> [[f64; L]; 6] {
    let mut lo = [f64::INFINITY; L];
    let mut hi = [f64::NEG_INFINITY; L];
    let mut n = [0u32; L];
    for j in 0..groups {
        let v = column(j);
        for l in 0..L {
            // `extend`, written as comparisons and selects so that the lanes run in parallel:
            // an undefined value becomes NaN, which no comparison takes.
            let defined = v[l].abs() < f64::INFINITY;
            let x = if defined { v[l] } else { f64::NAN };
            lo[l] = if x < lo[l] { x } else { lo[l] };
            hi[l] = if x > hi[l] { x } else { hi[l] };
            n[l] += u32::from(defined);
        }
    }
    let n = n.map(|k| k as usize);
    let mut out = [[f64::NAN; L]; 6];
    let applies = |p: f64| p >= 0.0 || p.is_nan();
    let all_apply = (0..L).all(|l| {
        !(n[l] > 0 && lo[l] < 0.0)
            && applies(overall[l])
            && reference.is_none_or(|r| applies(column(r)[l]))
    });
    if all_apply {
        for l in 0..L {
            let reference_value = reference.map(|r| column(r)[l]);
            let six = six_of_extremes(lo[l], hi[l], n[l], overall[l], reference_value);
            for q in 0..6 {
                out[q][l] = six[q];
            }
        }
        return out;
    }
    for l in 0..L {
        let reference_value = reference.map(|r| column(r)[l]);
        let six =
            from_extremes(lo[l], hi[l], n[l], overall[l], reference_value).unwrap_or_else(|| {
                let values: Vec<f64> = (0..groups).map(|j| column(j)[l]).collect();
                six_numbers(&values, overall[l], reference)
            });
        for q in 0..6 {
            out[q][l] = six[q];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(x: f64) -> Value {
        Value::Defined(x)
    }

    #[test]
    fn between_groups_by_hand() {
        let (diff, ratio) = between_groups(&[d(0.2), d(0.5), d(0.4)]);
        assert!((diff.value.get().unwrap() - 0.3).abs() < 1e-15);
        assert_eq!(ratio.value, d(0.4));
        assert_eq!(diff.extremes, Some((0, 1)));
    }

    #[test]
    fn undefined_groups_are_excluded_and_listed() {
        let vals = [d(0.2), Value::ratio(0.0, 0.0), d(0.6)];
        let (diff, _) = between_groups(&vals);
        assert!((diff.value.get().unwrap() - 0.4).abs() < 1e-15);
        assert_eq!(diff.excluded, vec![1]);
        let (diff, _) = between_groups(&[d(0.2), Value::ratio(0.0, 0.0)]);
        assert_eq!(
            diff.value,
            Value::Undefined(Undefined::TooFewGroups { defined: 1 })
        );
    }

    #[test]
    fn ratio_of_all_zero_is_undefined() {
        let (_, ratio) = between_groups(&[d(0.0), d(0.0)]);
        assert!(!ratio.value.is_defined());
        let (_, ratio) = between_groups(&[d(0.0), d(0.5)]);
        assert_eq!(ratio.value, d(0.0));
    }

    #[test]
    fn to_overall_folds_ratios() {
        // overall 0.5: 0.25 → 0.5; 0.8 → 1.6 → folded 0.625
        let (diff, ratio) = to_overall(&[d(0.25), d(0.8)], d(0.5));
        assert!((diff.value.get().unwrap() - 0.3).abs() < 1e-15);
        assert_eq!(ratio.value, d(0.5));
        assert_eq!(ratio.extremes, Some((0, 0)));
    }

    #[test]
    fn to_reference_skips_itself() {
        let (diff, ratio) = to_reference(&[d(0.3), d(0.6), d(0.45)], 1);
        assert!((diff.value.get().unwrap() - 0.3).abs() < 1e-15);
        assert_eq!(ratio.value, d(0.5));
        let (diff, _) = to_reference(&[d(0.3), Value::ratio(1.0, 0.0)], 1);
        assert_eq!(diff.value, Value::Undefined(Undefined::ReferenceUndefined));
    }

    #[test]
    fn six_numbers_agree_with_the_aggregates() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let num = |v: Value| v.get().unwrap_or(f64::NAN);
        let same = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b;
        for _ in 0..20000 {
            let k = rng.random_range(0..6);
            let pick = |rng: &mut rand::rngs::StdRng| match rng.random_range(0..6) {
                0 => f64::NAN,
                1 => 0.0,
                2 => 0.5,
                3 => rng.random::<f64>() * 100.0,
                4 => -rng.random::<f64>(),
                _ => rng.random::<f64>(),
            };
            let xs: Vec<f64> = (0..k).map(|_| pick(&mut rng)).collect();
            let overall = pick(&mut rng);
            let reference = (k > 0 && rng.random_bool(0.7)).then(|| rng.random_range(0..k));
            let vals: Vec<Value> = xs
                .iter()
                .map(|&x| {
                    if x.is_finite() {
                        d(x)
                    } else {
                        Value::ratio(0.0, 0.0)
                    }
                })
                .collect();
            let ov = if overall.is_finite() {
                d(overall)
            } else {
                Value::ratio(0.0, 0.0)
            };
            let (bd, br) = between_groups(&vals);
            let (od, or) = to_overall(&vals, ov);
            let mut want = [
                num(bd.value),
                num(br.value),
                num(od.value),
                num(or.value),
                f64::NAN,
                f64::NAN,
            ];
            if let Some(r) = reference {
                let (td, tr) = to_reference(&vals, r);
                want[4] = num(td.value);
                want[5] = num(tr.value);
            }
            let got = six_numbers(&xs, overall, reference);
            let columns: Vec<[f64; 3]> = xs.iter().map(|&x| [x, 0.25, x]).collect();
            let lanes = six_numbers_lanes(k, |j| &columns[j], &[overall, 0.5, overall], reference);
            for j in 0..6 {
                assert!(same(lanes[j][0], want[j]) && same(lanes[j][2], want[j]));
            }
            for j in 0..6 {
                assert!(
                    same(got[j], want[j]),
                    "{xs:?} {overall} {reference:?}: {got:?} vs {want:?}"
                );
            }
        }
    }
}
