//! The decode floor of a Parquet audit: the time arrow-rs alone takes to decode the columns an
//! audit reads — row groups spread over threads and text columns read as dictionaries, as
//! aequo's scan reads them — counting nothing. bench/scale.sh sets aequo's time beside it.
//!
//!     cargo run --release -p aequo-data --example decode_floor -- FILE COL,COL,… [THREADS]

use std::fs::File;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arrow_schema::{DataType, Schema};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (path, columns) = match (args.get(1), args.get(2)) {
        (Some(p), Some(c)) => (
            p.clone(),
            c.split(',').map(str::to_owned).collect::<Vec<_>>(),
        ),
        _ => return Err("usage: decode_floor FILE COL,COL,… [THREADS]".into()),
    };
    let threads: usize = match args.get(3) {
        Some(t) => t.parse()?,
        None => std::thread::available_parallelism()?.get(),
    };
    let start = Instant::now();
    let plain = ArrowReaderMetadata::load(&File::open(&path)?, ArrowReaderOptions::new())?;
    let schema = plain.schema().clone();
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 if columns.contains(f.name()) => {
                Arc::new(f.as_ref().clone().with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(DataType::Utf8),
                )))
            }
            _ => f.clone(),
        })
        .collect();
    let hinted = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let meta = ArrowReaderMetadata::try_new(
        plain.metadata().clone(),
        ArrowReaderOptions::new().with_schema(hinted),
    )?;
    let indices: Vec<usize> = columns
        .iter()
        .map(|c| schema.index_of(c))
        .collect::<Result<_, _>>()?;
    let mask = ProjectionMask::roots(meta.parquet_schema(), indices);
    let n = meta.metadata().num_row_groups();
    let next = AtomicUsize::new(0);
    let rows = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    std::thread::scope(|s| -> Result<(), String> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<(), String> {
                    loop {
                        let rg = next.fetch_add(1, Ordering::Relaxed);
                        if rg >= n {
                            return Ok(());
                        }
                        let file = File::open(&path).map_err(|e| e.to_string())?;
                        let reader =
                            ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
                                .with_row_groups(vec![rg])
                                .with_projection(mask.clone())
                                .with_batch_size(64 * 1024)
                                .build()
                                .map_err(|e| e.to_string())?;
                        for b in reader {
                            let b = b.map_err(|e| e.to_string())?;
                            rows.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
                            bytes.fetch_add(b.get_array_memory_size() as u64, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| "a decoding thread panicked".to_owned())??;
        }
        Ok(())
    })?;
    println!(
        "{{\"rows\": {}, \"seconds\": {:.4}, \"threads\": {threads}, \"decoded_bytes\": {}}}",
        rows.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
        bytes.load(Ordering::Relaxed)
    );
    Ok(())
}
