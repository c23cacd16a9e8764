//! Cross-modal consistency (XModBench, Wang et al., ICLR 2026; github XingruiWang/XModBench).
//!
//! The same semantic content is posed in every context→candidate direction between modalities
//! (three modalities: `A→V, V→A, V→T, T→V, T→A, A→T`). From per-item correctness per task and
//! direction:
//! * **per-direction accuracy** of a task: correct / answered ([`UnansweredPolicy::Exclude`], the
//!   benchmark's `score = correct_count / all_count`, where `all_count` counts non-null responses)
//!   or correct / all items ([`UnansweredPolicy::CountWrong`]);
//! * **family accuracy** per direction: [`Aggregation::MeanOfTasks`] (unweighted mean over the
//!   family's tasks — reproduces the published table where the released files are complete) or
//!   [`Aggregation::PooledItems`]; the **overall** per direction is the mean of the family values;
//!   a family's or the overall **average** is the mean over directions and its **σ** the standard
//!   deviation over directions (sample, `n − 1`, as the published table; population also given);
//! * **directional imbalance** `Δ_{X↔Y} = Acc(X→Y) − Acc(Y→X)`;
//! * **modality disparity** `Disp(X,Y) = ½[(Acc(X→Z) − Acc(Y→Z)) + (Acc(Z→X) − Acc(Z→Y))]`, `Z` the
//!   third modality (our definition; the paper's aggregation for its disparity figure is not
//!   documented, see reference/modality.md §1e);
//! * **item-level consistency**: over items (same task and index) answered in every direction,
//!   the fraction right in all, wrong in all, and with the same outcome in all directions.
//!
//! Intervals: one item bootstrap over all (task, index) items, shared by every statistic so
//! their replicates are jointly consistent.

use crate::bootstrap::{for_each_replicate, percentile_interval, BootstrapConfig};
use crate::error::{ModalityError, Result};
use crate::value::{Estimate, Modality, Undefined, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A context → candidate direction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Direction {
    /// The modality of the context (question side).
    pub context: Modality,
    /// The modality of the answer candidates.
    pub candidate: Modality,
}

impl Direction {
    /// `context → candidate`.
    pub fn new(context: &str, candidate: &str) -> Self {
        Self {
            context: Modality::new(context),
            candidate: Modality::new(candidate),
        }
    }
    /// `"A→T"`-style label from the first letters, upper-cased.
    pub fn short(&self) -> String {
        let first = |m: &Modality| {
            m.as_str()
                .chars()
                .next()
                .map(|c| c.to_ascii_uppercase())
                .unwrap_or('?')
        };
        format!("{}→{}", first(&self.context), first(&self.candidate))
    }
}

/// Per-item outcomes of one task in one direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDirection {
    /// Task family (e.g. `Perception`).
    pub family: String,
    /// Task name (e.g. `perception_general`).
    pub task: String,
    /// The direction.
    pub direction: Direction,
    /// `(item index, outcome)`; `None` = no answer.
    pub items: Vec<(u64, Option<bool>)>,
}

/// What an unanswered item counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UnansweredPolicy {
    /// Left out of the denominator (the benchmark's `all_count`).
    #[default]
    Exclude,
    /// Counted as wrong.
    CountWrong,
}

/// How tasks are combined into a family value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Unweighted mean of the task accuracies.
    #[default]
    MeanOfTasks,
    /// Correct over answered, pooled over the family's items.
    PooledItems,
}

/// Options of the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct XmodConfig {
    /// Unanswered items.
    pub unanswered: UnansweredPolicy,
    /// Task aggregation.
    pub aggregation: Aggregation,
    /// Tasks left out.
    pub exclude_tasks: Vec<String>,
}

/// A family's (or the overall) accuracies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyAccuracy {
    /// Family name (`overall` for the mean of families).
    pub family: String,
    /// Tasks included.
    pub tasks: Vec<String>,
    /// Accuracy per direction, in [`XmodReport::directions`] order.
    pub per_direction: Vec<Estimate>,
    /// Mean over directions.
    pub average: Estimate,
    /// Sample standard deviation over directions.
    pub sd_sample: Estimate,
    /// Population standard deviation over directions.
    pub sd_population: Value,
}

/// `Acc(X→Y) − Acc(Y→X)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imbalance {
    /// `X`.
    pub first: Modality,
    /// `Y`.
    pub second: Modality,
    /// `Acc(X→Y)` (overall).
    pub forward: Estimate,
    /// `Acc(Y→X)` (overall).
    pub backward: Estimate,
    /// The difference.
    pub delta: Estimate,
}

/// Modality disparity `Disp(X, Y)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disparity {
    /// `X`.
    pub first: Modality,
    /// `Y`.
    pub second: Modality,
    /// The third modality `Z`.
    pub partner: Modality,
    /// The value.
    pub value: Estimate,
}

/// Item-level consistency across all directions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemConsistency {
    /// Items answered in every direction.
    pub items: usize,
    /// Right in every direction.
    pub all_correct: Estimate,
    /// Wrong in every direction.
    pub all_wrong: Estimate,
    /// Same outcome in every direction.
    pub consistent: Estimate,
}

/// The cross-modal consistency analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XmodReport {
    /// The options used.
    pub config: XmodConfig,
    /// The directions, in column order.
    pub directions: Vec<Direction>,
    /// Per family, in first-seen order.
    pub families: Vec<FamilyAccuracy>,
    /// Mean of the families per direction.
    pub overall: FamilyAccuracy,
    /// Imbalance per unordered modality pair.
    pub imbalance: Vec<Imbalance>,
    /// Disparity per unordered modality pair (three modalities only).
    pub disparity: Vec<Disparity>,
    /// Item-level consistency.
    pub item_consistency: ItemConsistency,
}

struct Cell {
    family: usize,
    task: usize,
    dir: usize,
    // (global item, outcome)
    items: Vec<(usize, Option<bool>)>,
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn sd(v: &[f64], ddof: f64) -> Option<f64> {
    let m = mean(v)?;
    let d = v.len() as f64 - ddof;
    (d > 0.0).then(|| (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / d).sqrt())
}

/// Every statistic of the report as a flat vector, computed from per-item weights.
struct Layout {
    families: usize,
    directions: usize,
    pairs: Vec<(usize, usize)>,
    disparities: Vec<(usize, usize, usize)>,
    modality_count: usize,
}

impl Layout {
    fn len(&self) -> usize {
        // family × (dirs + avg + sd) + overall (dirs + avg + sd) + imbalance + disparity + 3 consistency
        (self.families + 1) * (self.directions + 2) + self.pairs.len() + self.disparities.len() + 3
    }
}

/// Runs the analysis.
pub fn cross_modal_consistency(
    results: &[TaskDirection],
    config: &XmodConfig,
    boot: &BootstrapConfig,
) -> Result<XmodReport> {
    let kept: Vec<&TaskDirection> = results
        .iter()
        .filter(|r| !config.exclude_tasks.contains(&r.task))
        .collect();
    if kept.is_empty() {
        return Err(ModalityError::InvalidConfig {
            message: "no task results left; pass result files or exclude fewer tasks".into(),
        });
    }
    let mut families: Vec<String> = Vec::new();
    let mut tasks: Vec<String> = Vec::new();
    let mut directions: Vec<Direction> = Vec::new();
    let mut modalities: BTreeSet<Modality> = BTreeSet::new();
    for r in &kept {
        if !families.contains(&r.family) {
            families.push(r.family.clone());
        }
        if !tasks.contains(&r.task) {
            tasks.push(r.task.clone());
        }
        if !directions.contains(&r.direction) {
            directions.push(r.direction.clone());
        }
        modalities.insert(r.direction.context.clone());
        modalities.insert(r.direction.candidate.clone());
    }
    directions.sort();
    let modality_list: Vec<Modality> = modalities.into_iter().collect();
    let mut global: HashMap<(usize, u64), usize> = HashMap::new();
    let mut cells: Vec<Cell> = Vec::new();
    let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
    for r in &kept {
        let task = tasks.iter().position(|t| *t == r.task).unwrap_or(0);
        let family = families.iter().position(|f| *f == r.family).unwrap_or(0);
        let dir = directions
            .iter()
            .position(|d| *d == r.direction)
            .unwrap_or(0);
        if seen.insert((task, dir), cells.len()).is_some() {
            return Err(ModalityError::InvalidConfig {
                message: format!(
                    "task `{}` has two result sets for direction {}; pass one per direction",
                    r.task,
                    r.direction.short()
                ),
            });
        }
        let mut items = Vec::with_capacity(r.items.len());
        for (idx, outcome) in &r.items {
            let n = global.len();
            let g = *global.entry((task, *idx)).or_insert(n);
            items.push((g, *outcome));
        }
        cells.push(Cell {
            family,
            task,
            dir,
            items,
        });
    }
    // Every family must have every direction for every task, or the means are not comparable.
    for (t, name) in tasks.iter().enumerate() {
        for (d, dir) in directions.iter().enumerate() {
            if !seen.contains_key(&(t, d)) {
                return Err(ModalityError::InvalidConfig {
                    message: format!("task `{name}` has no results for direction {}; pass all directions or exclude the task", dir.short()),
                });
            }
        }
    }
    let index = |m: &Modality| modality_list.iter().position(|x| x == m);
    let dir_of = |a: usize, b: usize| {
        directions
            .iter()
            .position(|d| index(&d.context) == Some(a) && index(&d.candidate) == Some(b))
    };
    let mut pairs = Vec::new();
    let mut disparities = Vec::new();
    let k = modality_list.len();
    for a in 0..k {
        for b in 0..k {
            if a != b
                && dir_of(a, b).is_some()
                && dir_of(b, a).is_some()
                && pair_order(&modality_list, a, b)
            {
                pairs.push((a, b));
                if k == 3 {
                    let z = 3 - a - b;
                    disparities.push((a, b, z));
                }
            }
        }
    }
    let layout = Layout {
        families: families.len(),
        directions: directions.len(),
        pairs,
        disparities,
        modality_count: k,
    };
    let n_items = global.len();
    // Items answered in all directions, for item consistency.
    let mut outcomes: Vec<Vec<Option<bool>>> = vec![Vec::new(); n_items];
    for c in &cells {
        for (g, o) in &c.items {
            outcomes[*g].push(*o);
        }
    }
    let ndir = directions.len();
    let full_items: Vec<bool> = outcomes
        .iter()
        .map(|o| o.len() == ndir && o.iter().all(Option::is_some))
        .collect();
    let compute = |w: &[u32]| -> Vec<Option<f64>> {
        let mut out: Vec<Option<f64>> = Vec::with_capacity(layout.len());
        // Per cell: (correct, denominator) weighted.
        let mut acc: HashMap<(usize, usize), (f64, f64)> = HashMap::new();
        for c in &cells {
            let mut num = 0.0;
            let mut den = 0.0;
            for (g, o) in &c.items {
                let wi = w[*g] as f64;
                match (o, config.unanswered) {
                    (Some(true), _) => {
                        num += wi;
                        den += wi;
                    }
                    (Some(false), _) | (None, UnansweredPolicy::CountWrong) => den += wi,
                    (None, UnansweredPolicy::Exclude) => {}
                }
            }
            acc.insert((c.task, c.dir), (num, den));
        }
        let mut fam_dir: Vec<Vec<Option<f64>>> = Vec::new();
        for f in 0..families.len() {
            let ftasks: Vec<usize> = cells
                .iter()
                .filter(|c| c.family == f)
                .map(|c| c.task)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let per_dir: Vec<Option<f64>> = (0..ndir)
                .map(|d| match config.aggregation {
                    Aggregation::MeanOfTasks => {
                        let v: Option<Vec<f64>> = ftasks
                            .iter()
                            .map(|t| {
                                acc.get(&(*t, d))
                                    .and_then(|(n, dd)| (*dd > 0.0).then(|| 100.0 * n / dd))
                            })
                            .collect();
                        mean(&v?)
                    }
                    Aggregation::PooledItems => {
                        let (n, dd) = ftasks.iter().fold((0.0, 0.0), |(a, b), t| {
                            let (x, y) = acc.get(&(*t, d)).copied().unwrap_or((0.0, 0.0));
                            (a + x, b + y)
                        });
                        (dd > 0.0).then(|| 100.0 * n / dd)
                    }
                })
                .collect();
            fam_dir.push(per_dir);
        }
        let overall: Vec<Option<f64>> = (0..ndir)
            .map(|d| {
                let v: Option<Vec<f64>> = fam_dir.iter().map(|f| f[d]).collect();
                mean(&v?)
            })
            .collect();
        for row in fam_dir.iter().chain(std::iter::once(&overall)) {
            out.extend(row.iter().copied());
            let v: Option<Vec<f64>> = row.iter().copied().collect();
            out.push(v.as_deref().and_then(mean));
            out.push(v.as_deref().and_then(|v| sd(v, 1.0)));
        }
        for (a, b) in &layout.pairs {
            let f = dir_of(*a, *b).and_then(|d| overall[d]);
            let g = dir_of(*b, *a).and_then(|d| overall[d]);
            out.push(f.zip(g).map(|(x, y)| x - y));
        }
        for (x, y, z) in &layout.disparities {
            let get = |a: usize, b: usize| dir_of(a, b).and_then(|d| overall[d]);
            let v =
                (|| Some(0.5 * ((get(*x, *z)? - get(*y, *z)?) + (get(*z, *x)? - get(*z, *y)?))))();
            out.push(v);
        }
        let mut tot = 0.0;
        let (mut all_c, mut all_w, mut cons) = (0.0, 0.0, 0.0);
        for (g, o) in outcomes.iter().enumerate() {
            if !full_items[g] {
                continue;
            }
            let wi = w[g] as f64;
            tot += wi;
            let rights = o.iter().filter(|x| **x == Some(true)).count();
            if rights == ndir {
                all_c += wi;
                cons += wi;
            } else if rights == 0 {
                all_w += wi;
                cons += wi;
            }
        }
        for v in [all_c, all_w, cons] {
            out.push((tot > 0.0).then(|| v / tot));
        }
        out
    };
    let point = compute(&vec![1u32; n_items]);
    let mut reps: Vec<Vec<f64>> = vec![Vec::new(); point.len()];
    for_each_replicate(n_items, boot, |w| {
        for (slot, v) in reps.iter_mut().zip(compute(w)) {
            if let Some(v) = v {
                slot.push(v);
            }
        }
    });
    let counted = |cellpred: &dyn Fn(&Cell) -> bool| -> usize {
        cells
            .iter()
            .filter(|c| cellpred(c))
            .map(|c| {
                c.items
                    .iter()
                    .filter(|(_, o)| {
                        o.is_some() || config.unanswered == UnansweredPolicy::CountWrong
                    })
                    .count()
            })
            .sum()
    };
    let est = |i: usize, n: usize| -> Estimate {
        let value = Value::from_option(point[i], Undefined::NoItems);
        let interval = if value.get().is_some() {
            percentile_interval(reps[i].clone(), boot)
        } else {
            None
        };
        Estimate { value, n, interval }
    };
    let width = ndir + 2;
    let family_block =
        |f: usize, name: String, ftasks: Vec<String>, filter: &dyn Fn(&Cell) -> bool| {
            let base = f * width;
            let per_direction = (0..ndir)
                .map(|d| est(base + d, counted(&|c: &Cell| filter(c) && c.dir == d)))
                .collect::<Vec<_>>();
            let n_all = counted(filter);
            let vals: Option<Vec<f64>> = per_direction.iter().map(Estimate::get).collect();
            FamilyAccuracy {
                family: name,
                tasks: ftasks,
                per_direction,
                average: est(base + ndir, n_all),
                sd_sample: est(base + ndir + 1, n_all),
                sd_population: Value::from_option(
                    vals.as_deref().and_then(|v| sd(v, 0.0)),
                    Undefined::TooFewValues { count: ndir },
                ),
            }
        };
    let fam_results: Vec<FamilyAccuracy> = families
        .iter()
        .enumerate()
        .map(|(f, name)| {
            let ftasks: Vec<String> = cells
                .iter()
                .filter(|c| c.family == f)
                .map(|c| tasks[c.task].clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            family_block(f, name.clone(), ftasks, &|c: &Cell| c.family == f)
        })
        .collect();
    let overall = family_block(
        families.len(),
        "overall".into(),
        tasks.clone(),
        &|_: &Cell| true,
    );
    let mut i = (families.len() + 1) * width;
    let total = counted(&|_: &Cell| true);
    let imbalance = layout
        .pairs
        .iter()
        .map(|(a, b)| {
            let fwd = dir_of(*a, *b).map(|d| overall.per_direction[d].clone());
            let bwd = dir_of(*b, *a).map(|d| overall.per_direction[d].clone());
            let e = est(i, total);
            i += 1;
            Imbalance {
                first: modality_list[*a].clone(),
                second: modality_list[*b].clone(),
                forward: fwd
                    .unwrap_or_else(|| Estimate::point(Value::Undefined(Undefined::NoItems), 0)),
                backward: bwd
                    .unwrap_or_else(|| Estimate::point(Value::Undefined(Undefined::NoItems), 0)),
                delta: e,
            }
        })
        .collect();
    let disparity = layout
        .disparities
        .iter()
        .map(|(x, y, z)| {
            let e = est(i, total);
            i += 1;
            Disparity {
                first: modality_list[*x].clone(),
                second: modality_list[*y].clone(),
                partner: modality_list[*z].clone(),
                value: e,
            }
        })
        .collect();
    let n_full = full_items.iter().filter(|b| **b).count();
    let item_consistency = ItemConsistency {
        items: n_full,
        all_correct: est(i, n_full),
        all_wrong: est(i + 1, n_full),
        consistent: est(i + 2, n_full),
    };
    let _ = layout.modality_count;
    Ok(XmodReport {
        config: config.clone(),
        directions,
        families: fam_results,
        overall,
        imbalance,
        disparity,
        item_consistency,
    })
}

/// The pair order used for imbalance and disparity: vision before audio before text when those
/// names are used (matching the published `V↔T`, `A↔T`, `V↔A`), otherwise alphabetical.
fn pair_order(mods: &[Modality], a: usize, b: usize) -> bool {
    let rank = |m: &Modality| match m.as_str() {
        "vision" | "image" => 0,
        "audio" => 1,
        "text" => 2,
        _ => 3,
    };
    let (ra, rb) = (rank(&mods[a]), rank(&mods[b]));
    if ra != rb {
        ra < rb
    } else {
        mods[a] < mods[b]
    }
}

/// A six-direction accuracy table (percent) for one task, as hand-set fixtures and for users
/// who only have aggregate accuracies: expands each accuracy into `n` items.
pub fn from_accuracy_table(
    family: &str,
    task: &str,
    table: &BTreeMap<Direction, f64>,
    n: u64,
) -> Vec<TaskDirection> {
    table
        .iter()
        .map(|(d, acc)| {
            let right = (acc / 100.0 * n as f64).round() as u64;
            TaskDirection {
                family: family.into(),
                task: task.into(),
                direction: d.clone(),
                items: (0..n).map(|i| (i, Some(i < right))).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> BTreeMap<Direction, f64> {
        [
            (("audio", "text"), 70.0),
            (("audio", "vision"), 60.0),
            (("text", "audio"), 65.0),
            (("text", "vision"), 80.0),
            (("vision", "audio"), 62.0),
            (("vision", "text"), 90.0),
        ]
        .into_iter()
        .map(|((a, b), v)| (Direction::new(a, b), v))
        .collect()
    }

    #[test]
    fn hand_set_table_gives_exact_imbalance_disparity_and_sigma() {
        let r = cross_modal_consistency(
            &from_accuracy_table("F", "t", &table(), 100),
            &XmodConfig::default(),
            &BootstrapConfig::none(),
        )
        .expect("ok");
        let get = |a: &str, b: &str| {
            r.imbalance
                .iter()
                .find(|i| i.first.as_str() == a && i.second.as_str() == b)
                .and_then(|i| i.delta.get())
        };
        assert_eq!(get("vision", "text"), Some(10.0));
        assert_eq!(get("audio", "text"), Some(5.0));
        assert_eq!(get("vision", "audio"), Some(2.0));
        let disp = |a: &str, b: &str| {
            r.disparity
                .iter()
                .find(|d| d.first.as_str() == a && d.second.as_str() == b)
                .and_then(|d| d.value.get())
        };
        // Disp(A,T) = ½[(A→V − T→V) + (V→A − V→T)] = ½[(60 − 80) + (62 − 90)] = −24
        assert_eq!(disp("audio", "text"), Some(-24.0));
        // Disp(V,T) = ½[(V→A − T→A) + (A→V − A→T)] = ½[(62 − 65) + (60 − 70)] = −6.5
        assert_eq!(disp("vision", "text"), Some(-6.5));
        let avg = r.overall.average.get().expect("d");
        assert!((avg - 71.166_666_666_666_67).abs() < 1e-9);
        let vals = [70.0, 60.0, 65.0, 80.0, 62.0, 90.0];
        let ss: f64 = vals.iter().map(|v| (v - avg).powi(2)).sum();
        assert!((r.overall.sd_sample.get().expect("d") - (ss / 5.0).sqrt()).abs() < 1e-9);
        assert!((r.overall.sd_population.get().expect("d") - (ss / 6.0).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn unanswered_policy_and_item_consistency() {
        let mk = |d: (&str, &str), items: Vec<(u64, Option<bool>)>| TaskDirection {
            family: "F".into(),
            task: "t".into(),
            direction: Direction::new(d.0, d.1),
            items,
        };
        let data = vec![
            mk(
                ("a", "b"),
                vec![(0, Some(true)), (1, Some(false)), (2, None)],
            ),
            mk(
                ("b", "a"),
                vec![(0, Some(true)), (1, Some(false)), (2, Some(true))],
            ),
        ];
        let r = cross_modal_consistency(&data, &XmodConfig::default(), &BootstrapConfig::none())
            .expect("ok");
        assert_eq!(r.overall.per_direction[0].get(), Some(50.0));
        assert_eq!(r.overall.per_direction[0].n, 2);
        assert_eq!(r.item_consistency.items, 2);
        assert_eq!(r.item_consistency.consistent.get(), Some(1.0));
        assert_eq!(r.item_consistency.all_correct.get(), Some(0.5));
        let cw = XmodConfig {
            unanswered: UnansweredPolicy::CountWrong,
            ..XmodConfig::default()
        };
        let r = cross_modal_consistency(&data, &cw, &BootstrapConfig::none()).expect("ok");
        assert!((r.overall.per_direction[0].get().expect("d") - 100.0 / 3.0).abs() < 1e-9);
        assert!(r.disparity.is_empty());
    }

    #[test]
    fn missing_direction_is_an_error() {
        let mut t = table();
        t.remove(&Direction::new("audio", "text"));
        let mut data = from_accuracy_table("F", "t1", &table(), 10);
        data.extend(from_accuracy_table("F", "t2", &t, 10));
        assert!(
            cross_modal_consistency(&data, &XmodConfig::default(), &BootstrapConfig::none())
                .is_err()
        );
    }
}
