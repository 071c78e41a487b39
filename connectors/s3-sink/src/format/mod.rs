//! Output formats. A [`FormatWriter`] turns records into the bytes of one
//! file; the bytes are drained as they are produced so that the writer
//! itself holds little (Parquet holds its open row group).
//!
//! | `format.class` | extension | needs a schema |
//! |---|---|---|
//! | JsonFormat      | `.json` (`.json.gz` with gzip) | no |
//! | ByteArrayFormat | `.bin` (`format.bytearray.extension`) | no |
//! | AvroFormat      | `.avro` | yes |
//! | ParquetFormat   | `.<codec>.parquet`, e.g. `.snappy.parquet` | yes, a STRUCT |

pub mod avro;
pub mod bytearray;
pub mod json;
pub mod parquet;

use std::io::Write;
use std::sync::{Arc, Mutex};

use ferry_api::{ConnectResult, SchemaRef, SinkRecord};

use crate::config::{Compression, S3SinkConfig};

/// The kind of format selected by `format.class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatKind {
    Json,
    ByteArray,
    Avro,
    Parquet,
}

impl FormatKind {
    /// Accepted short names (Confluent's class names also work).
    pub const NAMES: &'static [&'static str] = &[
        "JsonFormat",
        "AvroFormat",
        "ParquetFormat",
        "ByteArrayFormat",
    ];

    /// From a class name (`io.confluent.connect.s3.format.json.JsonFormat`),
    /// a simple name (`JsonFormat`) or a short one (`json`).
    pub fn from_class(class: &str) -> Option<Self> {
        let simple = class.trim().rsplit('.').next().unwrap_or("");
        let base = simple.strip_suffix("Format").unwrap_or(simple);
        Some(match base.to_ascii_lowercase().as_str() {
            "json" => FormatKind::Json,
            "bytearray" => FormatKind::ByteArray,
            "avro" => FormatKind::Avro,
            "parquet" => FormatKind::Parquet,
            _ => return None,
        })
    }

    /// Whether records need a value schema.
    pub fn needs_schema(self) -> bool {
        matches!(self, FormatKind::Avro | FormatKind::Parquet)
    }
}

/// Which part of a record a file holds (values, or the key/header sidecars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Value,
    Key,
    Headers,
}

impl View {
    /// Infix of sidecar files, as Confluent's `RecordView`s name them.
    pub fn infix(self) -> &'static str {
        match self {
            View::Value => "",
            View::Key => ".keys",
            View::Headers => ".headers",
        }
    }
}

/// The schema and value a view of a record writes.
pub fn view_of(
    record: &SinkRecord,
    view: View,
) -> (Option<&SchemaRef>, std::borrow::Cow<'_, ferry_api::Value>) {
    use std::borrow::Cow;
    match view {
        View::Value => (record.value_schema.as_ref(), Cow::Borrowed(&record.value)),
        View::Key => (record.key_schema.as_ref(), Cow::Borrowed(&record.key)),
        View::Headers => (None, Cow::Owned(headers_value(record))),
    }
}

/// Headers as a schemaless value: a list of `{"key":…, "value":…}` maps.
fn headers_value(record: &SinkRecord) -> ferry_api::Value {
    use ferry_api::Value;
    Value::Array(
        record
            .headers
            .iter()
            .map(|h| {
                Value::Map(vec![
                    ("key".into(), Value::String(h.key.clone())),
                    ("value".into(), h.value.clone()),
                ])
            })
            .collect(),
    )
}

/// Writes the bytes of one file.
pub trait FormatWriter: Send + Sync {
    /// Appends records (all of the file's schema).
    fn write(&mut self, records: &[&SinkRecord]) -> ConnectResult<()>;
    /// Takes the bytes produced so far.
    fn take_output(&mut self) -> Vec<u8>;
    /// Bytes held inside the writer that [`FormatWriter::take_output`]
    /// cannot return yet (e.g. Parquet's open row group).
    fn buffered_bytes(&self) -> usize {
        0
    }
    /// Pushes internally held data out (closes a Parquet row group), to
    /// free memory.
    fn flush_buffered(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    /// Ends the file: the trailing bytes are in the next `take_output`.
    fn finish(&mut self) -> ConnectResult<()>;
}

/// A `Write` whose bytes can be taken from another handle (for library
/// writers that own their sink).
#[derive(Clone, Default)]
pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    /// Takes the bytes written so far.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Optional gzip around text formats.
pub(crate) enum Compressor {
    Plain(Vec<u8>),
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
}

impl Compressor {
    pub(crate) fn new(c: Compression) -> Self {
        match c {
            Compression::None => Compressor::Plain(Vec::new()),
            Compression::Gzip(level) => Compressor::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(level),
            )),
        }
    }
    pub(crate) fn write(&mut self, bytes: &[u8]) -> ConnectResult<()> {
        match self {
            Compressor::Plain(v) => v.extend_from_slice(bytes),
            Compressor::Gzip(g) => g.write_all(bytes)?,
        }
        Ok(())
    }
    pub(crate) fn take(&mut self) -> Vec<u8> {
        match self {
            Compressor::Plain(v) => std::mem::take(v),
            Compressor::Gzip(g) => std::mem::take(g.get_mut()),
        }
    }
    pub(crate) fn finish(&mut self) -> ConnectResult<()> {
        if let Compressor::Gzip(g) = self {
            g.try_finish()?;
        }
        Ok(())
    }
}

/// The file extension (with its dot) of a format under a config.
pub fn extension(kind: FormatKind, cfg: &S3SinkConfig) -> String {
    let gz = if matches!(cfg.compression, Compression::Gzip(_)) {
        ".gz"
    } else {
        ""
    };
    match kind {
        FormatKind::Json => format!(".json{gz}"),
        FormatKind::ByteArray => format!("{}{gz}", cfg.bytearray_extension),
        FormatKind::Avro => ".avro".into(),
        FormatKind::Parquet => match cfg.parquet_codec.as_str() {
            "none" | "uncompressed" => ".parquet".into(),
            codec => format!(".{codec}.parquet"),
        },
    }
}

/// A writer for one file of a view, for records of `schema`.
pub fn new_writer(
    kind: FormatKind,
    view: View,
    schema: Option<&SchemaRef>,
    cfg: &S3SinkConfig,
) -> ConnectResult<Box<dyn FormatWriter>> {
    Ok(match kind {
        FormatKind::Json => Box::new(json::JsonWriter::new(view, cfg)),
        FormatKind::ByteArray => Box::new(bytearray::ByteArrayWriter::new(view, cfg)),
        FormatKind::Avro => Box::new(avro::AvroWriter::new(view, schema, cfg)?),
        FormatKind::Parquet => Box::new(parquet::ParquetWriter::new(view, schema, cfg)?),
    })
}

/// Whether two optional schemas are the same (cheap when shared).
pub fn same_schema(a: Option<&SchemaRef>, b: Option<&SchemaRef>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
        _ => false,
    }
}
