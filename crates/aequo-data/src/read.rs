//! Opening each format as a stream of record batches holding only the needed columns.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema};

use crate::error::DataError;
use crate::format::Format;

/// A stream of record batches.
pub(crate) type Batches = Box<dyn Iterator<Item = Result<RecordBatch, DataError>> + Send>;

/// A reader that counts the bytes read through it (for progress).
struct Counting<R> {
    inner: R,
    bytes: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(b) = &self.bytes {
            b.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn open_file(path: &Path) -> Result<File, DataError> {
    File::open(path).map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })
}

fn malformed(path: &Path, format: Format, at: String, e: impl std::fmt::Display) -> DataError {
    DataError::Malformed {
        path: path.to_owned(),
        format: format.name(),
        at,
        message: e.to_string(),
    }
}

/// The file's column names, in order.
pub(crate) fn column_names(path: &Path, format: Format) -> Result<Vec<String>, DataError> {
    let file = open_file(path)?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(DataError::Empty {
            path: path.to_owned(),
        });
    }
    let names = match format {
        Format::Csv | Format::Tsv => {
            let reader = csv_format(format);
            let (schema, _) = reader
                .infer_schema(BufReader::new(file), Some(0))
                .map_err(|e| malformed(path, format, " in the header".into(), e))?;
            schema.fields().iter().map(|f| f.name().clone()).collect()
        }
        Format::Parquet => {
            let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| malformed(path, format, String::new(), e))?;
            b.schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect()
        }
        Format::Arrow => ipc_schema(path, file)?
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
        Format::Ndjson => {
            let (schema, _) =
                arrow_json::reader::infer_json_schema_from_seekable(BufReader::new(file), None)
                    .map_err(|e| malformed(path, format, String::new(), e))?;
            schema.fields().iter().map(|f| f.name().clone()).collect()
        }
    };
    let names: Vec<String> = names;
    if names.is_empty() {
        return Err(DataError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(names)
}

fn csv_format(format: Format) -> arrow_csv::reader::Format {
    let f = arrow_csv::reader::Format::default().with_header(true);
    if format == Format::Tsv {
        f.with_delimiter(b'\t')
    } else {
        f
    }
}

fn ipc_schema(path: &Path, file: File) -> Result<Arc<Schema>, DataError> {
    match arrow_ipc::reader::FileReader::try_new(BufReader::new(file), None) {
        Ok(r) => Ok(r.schema()),
        Err(_) => {
            let r =
                arrow_ipc::reader::StreamReader::try_new(BufReader::new(open_file(path)?), None)
                    .map_err(|e| malformed(path, Format::Arrow, String::new(), e))?;
            Ok(r.schema())
        }
    }
}

/// Opens the file reading only the columns at `indices` (positions in [`column_names`]);
/// `bytes`, when given, counts the bytes read from the file.
pub(crate) fn open(
    path: &Path,
    format: Format,
    names: &[String],
    indices: &[usize],
    batch_size: usize,
    bytes: Option<Arc<AtomicU64>>,
) -> Result<Batches, DataError> {
    let p = path.to_owned();
    let mut rows_done = 0u64;
    let wrap = move |r: Result<RecordBatch, arrow_schema::ArrowError>| match r {
        Ok(b) => {
            rows_done += b.num_rows() as u64;
            Ok(b)
        }
        Err(e) => Err(malformed(
            &p,
            format,
            format!(" in the batch starting at data row {}", rows_done + 1),
            e,
        )),
    };
    let counted = |file: File| Counting {
        inner: file,
        bytes: bytes.clone(),
    };
    let mut file = open_file(path)?;
    Ok(match format {
        Format::Csv | Format::Tsv => {
            // Every column is read as text and parsed by its role, so that a bad value is
            // reported with its row and column instead of failing type inference.
            let schema = Schema::new(
                names
                    .iter()
                    .map(|n| Field::new(n, DataType::Utf8, true))
                    .collect::<Vec<_>>(),
            );
            let mut builder = arrow_csv::ReaderBuilder::new(Arc::new(schema))
                .with_format(csv_format(format))
                .with_batch_size(batch_size)
                .with_projection(indices.to_vec());
            if format == Format::Tsv {
                builder = builder.with_delimiter(b'\t');
            }
            let reader = builder
                .build(BufReader::with_capacity(1 << 20, counted(file)))
                .map_err(|e| malformed(path, format, String::new(), e))?;
            Box::new(reader.map(wrap))
        }
        Format::Parquet => {
            let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| malformed(path, format, String::new(), e))?;
            let mask =
                parquet::arrow::ProjectionMask::roots(b.parquet_schema(), indices.iter().copied());
            let reader = b
                .with_projection(mask)
                .with_batch_size(batch_size)
                .build()
                .map_err(|e| malformed(path, format, String::new(), e))?;
            Box::new(reader.map(wrap))
        }
        Format::Arrow => {
            let projection = Some(indices.to_vec());
            match arrow_ipc::reader::FileReader::try_new(
                BufReader::new(counted(file)),
                projection.clone(),
            ) {
                Ok(r) => Box::new(r.map(wrap)),
                Err(_) => {
                    let r = arrow_ipc::reader::StreamReader::try_new(
                        BufReader::new(counted(open_file(path)?)),
                        projection,
                    )
                    .map_err(|e| malformed(path, format, String::new(), e))?;
                    Box::new(r.map(wrap))
                }
            }
        }
        Format::Ndjson => {
            let (schema, _) = arrow_json::reader::infer_json_schema_from_seekable(
                BufReader::new(&mut file),
                None,
            )
            .map_err(|e| malformed(path, format, String::new(), e))?;
            file.seek(SeekFrom::Start(0))
                .map_err(|source| DataError::Io {
                    path: path.to_owned(),
                    source,
                })?;
            let wanted: Vec<Field> = indices.iter().map(|&i| schema.field(i).clone()).collect();
            let reader = arrow_json::ReaderBuilder::new(Arc::new(Schema::new(wanted)))
                .with_batch_size(batch_size)
                .build(BufReader::with_capacity(1 << 20, counted(file)))
                .map_err(|e| malformed(path, format, String::new(), e))?;
            Box::new(reader.map(wrap))
        }
    })
}
