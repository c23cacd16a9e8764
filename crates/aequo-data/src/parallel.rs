//! Driving a scan: Parquet row groups counted in parallel, other formats decoded on one thread
//! while another counts.
//!
//! A parallel Parquet scan gives every row group its own [`Counter`] (its own tensor builder,
//! label reader and tallies), then merges the parts **in file order** on the calling thread.
//! Counts are integers and merge exactly; weighted sums are added in the same order whatever the
//! number of threads, so the tensor does not depend on it. When row groups fail, the error of the
//! first failing row group is reported, as a sequential reader would (workers stop taking row
//! groups after an error, and every earlier row group is finished first).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use aequo_core::CountTensor;
use arrow_schema::{DataType, Schema};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;

use crate::error::DataError;
use crate::format::Format;
use crate::read;
use crate::scan::{Counter, Part, ProgressUnit, ScanOptions, ScanSpec, State};

fn malformed(path: &Path, at: String, e: impl std::fmt::Display) -> DataError {
    DataError::Malformed {
        path: path.to_owned(),
        format: Format::Parquet.name(),
        at,
        message: e.to_string(),
    }
}

fn open(path: &Path) -> Result<File, DataError> {
    File::open(path).map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The number of worker threads: `requested`, or one per core; never more than the work.
fn threads(requested: usize, parts: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = if requested == 0 { cores } else { requested };
    t.min(parts).max(1)
}

/// Reads the other formats: one thread decodes record batches, the caller counts them.
pub(crate) fn sequential(
    path: &Path,
    format: Format,
    names: &[String],
    projection: &[usize],
    spec: &ScanSpec,
    options: &ScanOptions,
    counter: &mut Counter,
) -> Result<(), DataError> {
    let bytes = Arc::new(AtomicU64::new(0));
    let progress = options.progress;
    if let Some(p) = progress {
        let total = std::fs::metadata(path).map_or(0, |m| m.len());
        p.start(total, ProgressUnit::Bytes);
    }
    let batches = read::open(
        path,
        format,
        names,
        projection,
        spec.batch_size,
        Some(bytes.clone()),
    )?;
    let (tx, rx) = mpsc::sync_channel(2);
    std::thread::scope(|s| {
        s.spawn(move || {
            for b in batches {
                let stop = b.is_err();
                if tx.send(b).is_err() || stop {
                    break;
                }
            }
        });
        let mut reported = 0;
        for b in rx {
            // On an error the receiver is dropped on return, which ends the decoding thread.
            let b = b?;
            counter.count(&b, path, spec, counter.rows_read())?;
            if let Some(p) = progress {
                let now = bytes.load(Ordering::Relaxed);
                p.advance(now.saturating_sub(reported));
                reported = now;
            }
        }
        Ok(())
    })
}

/// Text columns among `columns`, read as dictionaries: Parquet's dictionary-encoded pages then
/// arrive without being expanded to one string per row.
fn dictionary_schema(schema: &Schema, columns: &[&str]) -> Option<Schema> {
    let mut changed = false;
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| {
            let text = matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8);
            if text && columns.contains(&f.name().as_str()) {
                changed = true;
                let t = DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(f.data_type().clone()),
                );
                Arc::new(f.as_ref().clone().with_data_type(t))
            } else {
                f.clone()
            }
        })
        .collect();
    changed.then(|| Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Counts a Parquet file's row groups in parallel; a binary audit's tensor and tallies.
pub(crate) fn parquet<F>(
    path: &Path,
    spec: &ScanSpec,
    projection: &[usize],
    options: &ScanOptions,
    new_counter: &F,
) -> Result<(CountTensor, State), DataError>
where
    F: Fn() -> Result<Counter, DataError> + Sync,
{
    let file = open(path)?;
    let plain = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| malformed(path, String::new(), e))?;
    let mut text_columns: Vec<&str> = spec.sensitive.iter().map(String::as_str).collect();
    text_columns.extend(
        spec.extra
            .iter()
            .filter(|e| e.bins.is_none())
            .map(|e| e.name.as_str()),
    );
    let meta = dictionary_schema(plain.schema(), &text_columns)
        .and_then(|schema| {
            let options = ArrowReaderOptions::new().with_schema(Arc::new(schema));
            ArrowReaderMetadata::try_new(plain.metadata().clone(), options).ok()
        })
        .unwrap_or(plain);
    let row_groups = meta.metadata().row_groups();
    let n = row_groups.len();
    let mut offsets = Vec::with_capacity(n);
    let mut total = 0u64;
    for rg in row_groups {
        offsets.push(total);
        total += u64::try_from(rg.num_rows()).unwrap_or(0);
    }
    if total == 0 {
        return Err(DataError::NoRows {
            path: path.to_owned(),
        });
    }
    let mask = ProjectionMask::roots(meta.parquet_schema(), projection.iter().copied());

    // Bin edges of binned discovery columns come from the file's first batch, as in a
    // sequential scan, and are fixed before the parts are counted.
    let mut edges = vec![None; spec.extra.len()];
    if spec.extra.iter().any(|e| e.bins.is_some()) {
        let mut first = new_counter()?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(open(path)?, meta.clone())
            .with_projection(mask.clone())
            .with_batch_size(spec.batch_size)
            .build()
            .map_err(|e| malformed(path, String::new(), e))?;
        if let Some(b) = reader.into_iter().next() {
            let b = b.map_err(|e| malformed(path, " in the first batch".into(), e))?;
            first.count(&b, path, spec, 0)?;
        }
        edges = first.edges().to_vec();
    }

    let progress = options.progress;
    if let Some(p) = progress {
        p.start(total, ProgressUnit::Rows);
    }
    let count_row_group = |rg: usize| -> Result<Part, DataError> {
        let mut counter = new_counter()?;
        counter.set_edges(edges.clone());
        let at = |e: &dyn std::fmt::Display| malformed(path, format!(" in row group {rg}"), e);
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(open(path)?, meta.clone())
            .with_row_groups(vec![rg])
            .with_projection(mask.clone())
            .with_batch_size(spec.batch_size)
            .build()
            .map_err(|e| at(&e))?;
        for b in reader {
            let b = b.map_err(|e| at(&e))?;
            counter.count(&b, path, spec, offsets[rg] + counter.rows_read())?;
            if let Some(p) = progress {
                p.advance(b.num_rows() as u64);
            }
        }
        counter.finish_part(path)
    };

    let next = AtomicUsize::new(0);
    // The lowest row group that failed: workers take no row group after it.
    let stop = AtomicUsize::new(usize::MAX);
    let (tx, rx) = mpsc::channel::<(usize, Result<Part, DataError>)>();
    let workers = threads(options.threads, n);
    let mut merged: Option<Part> = None;
    let mut failed: Option<(usize, DataError)> = None;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, count_row_group) = (&next, &stop, &count_row_group);
            s.spawn(move || loop {
                let rg = next.fetch_add(1, Ordering::Relaxed);
                if rg >= n || rg > stop.load(Ordering::Relaxed) {
                    break;
                }
                let r = count_row_group(rg);
                if r.is_err() {
                    stop.fetch_min(rg, Ordering::Relaxed);
                }
                if tx.send((rg, r)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Merge in file order as parts arrive; out-of-order parts wait (at most ~threads).
        let mut pending: BTreeMap<usize, Part> = BTreeMap::new();
        let mut want = 0;
        for (rg, r) in rx {
            match r {
                Err(e) => {
                    if failed.as_ref().is_none_or(|(f, _)| rg < *f) {
                        failed = Some((rg, e));
                    }
                }
                Ok(part) => {
                    pending.insert(rg, part);
                }
            }
            while failed.as_ref().is_none_or(|(f, _)| want < *f) {
                let Some(part) = pending.remove(&want) else {
                    break;
                };
                let r = match merged.as_mut() {
                    None => {
                        merged = Some(part);
                        Ok(())
                    }
                    Some(m) => m.merge(part, path, spec),
                };
                if let Err(e) = r {
                    stop.fetch_min(want, Ordering::Relaxed);
                    failed = Some((want, e));
                    break;
                }
                want += 1;
            }
        }
    });
    if let Some((_, e)) = failed {
        return Err(e);
    }
    let merged = merged.ok_or_else(|| DataError::NoRows {
        path: path.to_owned(),
    })?;
    let (tensor, state) = merged.into_parts();
    if state.rows_read() == 0 {
        return Err(DataError::NoRows {
            path: path.to_owned(),
        });
    }
    Ok((tensor, state))
}
