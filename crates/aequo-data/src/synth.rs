//! Synthetic lending data with planted, known disparities.
//!
//! Each applicant has a sex, race and age band (sensitive), a region and an income (not
//! sensitive), a true outcome `repaid` and a model's `score` and decision `approved`. The
//! generative model is chosen so that every true rate has a closed form:
//!
//! * attributes are independent with fixed marginal probabilities;
//! * P(repaid = 1 | cell) = σ(β₀ + β_sex + β_race + β_age);
//! * the model's logit is z = c_cell + s·repaid + ε with ε ~ Logistic(0, 1), score = σ(z), and
//!   approved = [score ≥ 0.5] = [z ≥ 0]; so P(approved | repaid = y, cell) = σ(c_cell + s·y)
//!   exactly, where c_cell = γ₀ + γ_sex + γ_race + γ_age + γ_×·[female ∧ Black] — the last term
//!   is the intersectional effect, invisible in either marginal alone; and a further γ_slice
//!   for applicants aged 65+ in the south region — a *planted subgroup* across a sensitive and
//!   a non-sensitive column, for subgroup discovery to find.
//!
//! [`truth`] gives the expected confusion of every group, from which the core's own metric
//! definitions give the true metric values. Rows are generated in chunks, each from its own
//! seeded generator, and written batch by batch: 10⁸ rows need no more memory than 10³.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use aequo_core::{Confusion, GroupKey, Level};
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::DataError;

/// One categorical attribute of the generator: levels, probabilities and effects.
#[derive(Debug, Clone, Copy)]
pub struct SynthAttribute {
    /// Column name.
    pub name: &'static str,
    /// Levels.
    pub levels: &'static [&'static str],
    /// Marginal probabilities (sum to 1).
    pub probs: &'static [f64],
    /// Effect on the logit of the true outcome.
    pub outcome_effect: &'static [f64],
    /// Effect on the model's logit (the planted bias).
    pub model_effect: &'static [f64],
}

/// The sensitive attributes of the generator.
pub const ATTRIBUTES: [SynthAttribute; 3] = [
    SynthAttribute {
        name: "sex",
        levels: &["female", "male"],
        probs: &[0.5, 0.5],
        outcome_effect: &[0.1, 0.0],
        model_effect: &[-0.35, 0.0],
    },
    SynthAttribute {
        name: "race",
        levels: &["Asian", "Black", "Hispanic", "Other", "White"],
        probs: &[0.08, 0.14, 0.18, 0.05, 0.55],
        outcome_effect: &[0.05, -0.1, -0.05, 0.0, 0.0],
        model_effect: &[0.0, -0.6, -0.3, -0.1, 0.0],
    },
    SynthAttribute {
        name: "age_band",
        levels: &["18-29", "30-44", "45-64", "65+"],
        probs: &[0.22, 0.3, 0.33, 0.15],
        outcome_effect: &[-0.2, 0.0, 0.1, 0.0],
        model_effect: &[-0.4, 0.0, 0.1, -0.25],
    },
];

/// Non-sensitive region levels (uniform).
pub const REGIONS: [&str; 6] = ["north", "south", "east", "west", "central", "coastal"];
const B0: f64 = 0.3;
const G0: f64 = -0.9;
const SIGNAL: f64 = 2.2;
/// The intersectional penalty on the model's logit for Black women.
pub const INTERSECTION_EFFECT: f64 = -0.8;
/// The planted subgroup: applicants aged 65+ (age band position 3) in this region (position)
/// get this penalty on the model's logit.
pub const PLANTED_REGION: usize = 1;
/// See [`PLANTED_REGION`].
pub const PLANTED_EFFECT: f64 = -1.5;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The model-logit offset and outcome probability of a cell given by level positions and region.
fn cell_params(codes: &[usize; 3], region: usize) -> (f64, f64) {
    let mut b = B0;
    let mut c = G0;
    for (a, &k) in ATTRIBUTES.iter().zip(codes) {
        b += a.outcome_effect[k];
        c += a.model_effect[k];
    }
    if codes[0] == 0 && codes[1] == 1 {
        c += INTERSECTION_EFFECT;
    }
    if codes[2] == 3 && region == PLANTED_REGION {
        c += PLANTED_EFFECT;
    }
    (c, sigmoid(b))
}

/// Expected confusion (as probabilities over the whole population) of every group of the
/// grouping given by attribute positions (0 = sex, 1 = race, 2 = age_band).
pub fn truth(grouping: &[usize]) -> Vec<(GroupKey, Confusion)> {
    let mut out: Vec<(GroupKey, Confusion)> = Vec::new();
    for s in 0..2 {
        for r in 0..5 {
            for a in 0..4 {
                let codes = [s, r, a];
                let pi: f64 = ATTRIBUTES
                    .iter()
                    .zip(&codes)
                    .map(|(x, &k)| x.probs[k])
                    .product();
                let mut conf = Confusion::default();
                for region in 0..REGIONS.len() {
                    let share = pi / REGIONS.len() as f64;
                    let (c, p) = cell_params(&codes, region);
                    let (tpr, fpr) = (sigmoid(c + SIGNAL), sigmoid(c));
                    conf = conf.add(&Confusion {
                        tp: share * p * tpr,
                        fn_: share * p * (1.0 - tpr),
                        fp: share * (1.0 - p) * fpr,
                        tn: share * (1.0 - p) * (1.0 - fpr),
                    });
                }
                let key = GroupKey(
                    grouping
                        .iter()
                        .map(|&g| Level::Value(ATTRIBUTES[g].levels[codes[g]].to_owned()))
                        .collect(),
                );
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, acc)) => *acc = acc.add(&conf),
                    None => out.push((key, conf)),
                }
            }
        }
    }
    out
}

fn pick(rng: &mut StdRng, probs: &[f64]) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return i;
        }
    }
    probs.len() - 1
}

/// The schema of generated tables.
pub fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("applicant_id", DataType::Int64, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("race", DataType::Utf8, false),
        Field::new("age_band", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("income", DataType::Float64, false),
        Field::new("repaid", DataType::Int64, false),
        Field::new("score", DataType::Float64, false),
        Field::new("approved", DataType::Int64, false),
    ]))
}

/// Rows per generated chunk (each chunk has its own generator, seeded from the seed and the
/// chunk's index, so output does not depend on how it is split or parallelised).
pub const CHUNK: u64 = 65_536;

/// Generates rows `[start, start + len)` of the table for `seed` (len ≤ [`CHUNK`], start a
/// multiple of it).
pub fn chunk(seed: u64, start: u64, len: usize) -> RecordBatch {
    let mut rng = StdRng::seed_from_u64(seed ^ (start / CHUNK).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut id = Vec::with_capacity(len);
    let mut cols: [Vec<&'static str>; 4] = Default::default();
    let mut income = Vec::with_capacity(len);
    let mut repaid = Vec::with_capacity(len);
    let mut score = Vec::with_capacity(len);
    let mut approved = Vec::with_capacity(len);
    for i in 0..len {
        let codes = [
            pick(&mut rng, ATTRIBUTES[0].probs),
            pick(&mut rng, ATTRIBUTES[1].probs),
            pick(&mut rng, ATTRIBUTES[2].probs),
        ];
        let region = rng.random_range(0..REGIONS.len());
        let (c, p) = cell_params(&codes, region);
        let y = rng.random::<f64>() < p;
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        let z = c + SIGNAL * f64::from(u8::from(y)) + (u / (1.0 - u)).ln();
        // Income is cosmetic: log-normal, higher for those who repay.
        let g: f64 = (0..4).map(|_| rng.random::<f64>()).sum::<f64>() - 2.0;
        id.push((start + i as u64) as i64);
        for (k, col) in cols.iter_mut().take(3).enumerate() {
            col.push(ATTRIBUTES[k].levels[codes[k]]);
        }
        cols[3].push(REGIONS[region]);
        income.push(
            (10.4 + 0.25 * f64::from(u8::from(y)) + 0.5 * g)
                .exp()
                .round(),
        );
        repaid.push(i64::from(y));
        score.push(sigmoid(z));
        approved.push(i64::from(z >= 0.0));
    }
    let [sex, race, age, region] = cols;
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(id)),
        Arc::new(StringArray::from(sex)),
        Arc::new(StringArray::from(race)),
        Arc::new(StringArray::from(age)),
        Arc::new(StringArray::from(region)),
        Arc::new(Float64Array::from(income)),
        Arc::new(Int64Array::from(repaid)),
        Arc::new(Float64Array::from(score)),
        Arc::new(Int64Array::from(approved)),
    ];
    RecordBatch::try_new(schema(), arrays).expect("arrays match the schema")
}

/// Writes `rows` generated rows to `path` (Parquet, CSV or Arrow IPC by extension), calling
/// `progress` with the rows written so far.
pub fn write(
    path: &Path,
    rows: u64,
    seed: u64,
    mut progress: impl FnMut(u64),
) -> Result<(), DataError> {
    let err = |e: &dyn std::fmt::Display| DataError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let format = crate::Format::from_path(path)?;
    let file = File::create(path).map_err(|e| err(&e))?;
    let out = BufWriter::with_capacity(1 << 20, file);
    enum W {
        Parquet(Box<parquet::arrow::ArrowWriter<BufWriter<File>>>),
        Csv(Box<arrow_csv::Writer<BufWriter<File>>>),
        Ipc(Box<arrow_ipc::writer::FileWriter<BufWriter<File>>>),
    }
    let mut w = match format {
        crate::Format::Parquet => {
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                // Small row groups bound the writer's buffer and give parallel readers units
                // of work.
                .set_max_row_group_row_count(Some(2 * CHUNK as usize))
                .build();
            W::Parquet(Box::new(
                parquet::arrow::ArrowWriter::try_new(out, schema(), Some(props))
                    .map_err(|e| err(&e))?,
            ))
        }
        crate::Format::Csv => W::Csv(Box::new(arrow_csv::Writer::new(out))),
        crate::Format::Arrow => W::Ipc(Box::new(
            arrow_ipc::writer::FileWriter::try_new(out, &schema()).map_err(|e| err(&e))?,
        )),
        other => {
            return Err(DataError::Write {
                path: path.to_owned(),
                message: format!("synth writes parquet, csv or arrow, not {}", other.name()),
            })
        }
    };
    let mut done = 0;
    while done < rows {
        let len = (rows - done).min(CHUNK) as usize;
        let batch = chunk(seed, done, len);
        match &mut w {
            W::Parquet(p) => p.write(&batch).map_err(|e| err(&e))?,
            W::Csv(c) => c.write(&batch).map_err(|e| err(&e))?,
            W::Ipc(i) => i.write(&batch).map_err(|e| err(&e))?,
        }
        done += len as u64;
        if done % (2 * CHUNK) == 0 {
            crate::alloc::release_free_memory();
        }
        progress(done);
    }
    match w {
        W::Parquet(p) => {
            p.close().map_err(|e| err(&e))?;
        }
        W::Csv(c) => {
            let mut inner = c.into_inner();
            std::io::Write::flush(&mut inner).map_err(|e| err(&e))?;
        }
        W::Ipc(mut i) => i.finish().map_err(|e| err(&e))?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_is_a_probability_distribution() {
        let all: f64 = truth(&[]).iter().map(|(_, c)| c.total()).sum();
        assert!((all - 1.0).abs() < 1e-12);
        let sex = truth(&[0]);
        assert_eq!(sex.len(), 2);
        assert!((sex[0].1.total() - 0.5).abs() < 1e-12);
        assert_eq!(truth(&[0, 1, 2]).len(), 40);
    }

    #[test]
    fn chunks_are_reproducible_and_independent_of_splitting() {
        let a = chunk(7, 0, 100);
        let b = chunk(7, 0, 100);
        assert_eq!(a, b);
        let c = chunk(8, 0, 100);
        assert_ne!(a, c);
        let d = chunk(7, CHUNK, 100);
        assert_ne!(a.column(1), d.column(1));
    }
}
