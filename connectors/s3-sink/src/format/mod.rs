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
use crate::error::S3SinkError;

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

/// The schema and value a view of a record writes, as Confluent's
/// `RecordViews` give them un-enveloped (Avro, and JSON for keys): the
/// value, the key, or the headers as an array of `{key, value}` structs
/// of strings (each header value as Kafka's `Values.convertToString`
/// prints it).
pub fn view_of(
    record: &SinkRecord,
    view: View,
) -> ConnectResult<(Option<&SchemaRef>, std::borrow::Cow<'_, ferry_api::Value>)> {
    use std::borrow::Cow;
    Ok(match view {
        View::Value => (record.value_schema.as_ref(), Cow::Borrowed(&record.value)),
        View::Key => (record.key_schema.as_ref(), Cow::Borrowed(&record.key)),
        View::Headers => (Some(headers::schema()), Cow::Owned(headers::value(record)?)),
    })
}

/// The schema a view of a record is written with (un-enveloped).
pub fn view_schema(record: &SinkRecord, view: View) -> Option<&SchemaRef> {
    match view {
        View::Value => record.value_schema.as_ref(),
        View::Key => record.key_schema.as_ref(),
        View::Headers => Some(headers::schema()),
    }
}

/// The envelopes Confluent wraps keys and headers in where a format needs
/// a struct at the top (Parquet for both, JSON for headers): a struct
/// `RecordKey` with one field `key`, and `RecordHeaders` with `headers`.
pub mod envelope {
    use ferry_api::{SchemaBuilder, SchemaRef};

    /// The struct name and its single field of a view's envelope.
    pub fn names(view: super::View) -> Option<(&'static str, &'static str)> {
        match view {
            super::View::Value => None,
            super::View::Key => Some(("RecordKey", "key")),
            super::View::Headers => Some(("RecordHeaders", "headers")),
        }
    }

    /// The envelope schema around `inner`.
    pub fn schema(view: super::View, inner: &SchemaRef) -> Option<SchemaRef> {
        let (name, field) = names(view)?;
        Some(
            SchemaBuilder::struct_()
                .name(name)
                .field(field, inner.clone())
                .build(),
        )
    }
}

/// Header views.
pub mod headers {
    use std::sync::LazyLock;

    use ferry_api::data::text::convert_to_string;
    use ferry_api::{
        ConnectError, ConnectResult, Schema, SchemaBuilder, SchemaRef, SinkRecord, Struct, Value,
    };

    static ENTRY: LazyLock<SchemaRef> = LazyLock::new(|| {
        SchemaBuilder::struct_()
            .field("key", Schema::string())
            .field("value", Schema::string())
            .build()
    });
    static HEADERS: LazyLock<SchemaRef> =
        LazyLock::new(|| SchemaBuilder::array(ENTRY.clone()).build());
    static ENVELOPE: LazyLock<SchemaRef> = LazyLock::new(|| {
        super::envelope::schema(super::View::Headers, &HEADERS).expect("headers envelope")
    });

    /// `array<struct{key: string, value: string}>`, Confluent's
    /// `HeaderRecordView` schema.
    pub fn schema() -> &'static SchemaRef {
        &HEADERS
    }

    /// `struct RecordHeaders {headers: array<…>}`.
    pub fn envelope_schema() -> &'static SchemaRef {
        &ENVELOPE
    }

    /// A record's headers as the view's value. A record without headers
    /// gives an empty list (Confluent fails the task instead); a null
    /// header value is an error (Confluent's schema has no place for it).
    pub fn value(record: &SinkRecord) -> ConnectResult<Value> {
        record
            .headers
            .iter()
            .map(|h| {
                if h.value.is_null() {
                    return Err(ConnectError::data(format!(
                        "record {}: header {:?} has a null value, which header files (store.kafka.headers, Confluent's layout) cannot hold",
                        record.position(),
                        h.key
                    )));
                }
                Struct::from_values(
                    ENTRY.clone(),
                    vec![
                        Value::String(h.key.clone()),
                        Value::String(convert_to_string(h.schema.as_deref(), &h.value)),
                    ],
                )
                .map(Value::Struct)
            })
            .collect::<ConnectResult<Vec<_>>>()
            .map(Value::Array)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use ferry_api::data::logical;
        use ferry_api::Headers;

        #[test]
        fn header_values_print_as_kafka_values_convert_to_string() {
            let cases: Vec<(Option<SchemaRef>, Value, &str)> = vec![
                (Some(Schema::string()), Value::from("abc"), "abc"),
                (Some(Schema::int8()), Value::Int8(12), "12"),
                (Some(Schema::int64()), Value::Int64(-5), "-5"),
                (Some(Schema::float64()), Value::Float64(1.5), "1.5"),
                (Some(Schema::boolean()), Value::Boolean(true), "true"),
                (
                    Some(Schema::bytes()),
                    Value::Bytes(vec![1u8, 2, 3].into()),
                    "AQID",
                ),
                (
                    Some(logical::date().build()),
                    Value::Int32(19_844),
                    "2024-05-01",
                ),
                (
                    Some(logical::timestamp().build()),
                    Value::Int64(1_714_571_100_123),
                    "2024-05-01T13:45:00.123Z",
                ),
                (
                    None,
                    Value::Array(vec![Value::Int32(1), Value::from("a")]),
                    "[1,\"a\"]",
                ),
            ];
            for (schema, v, want) in cases {
                assert_eq!(convert_to_string(schema.as_deref(), &v), want);
            }
        }

        #[test]
        fn headers_become_key_value_structs_and_null_values_fail() {
            let mut r = crate::test_support::record(0, 4, None, Value::from("v"));
            assert_eq!(value(&r).unwrap(), Value::Array(vec![]));
            let mut h = Headers::new();
            h.add("trace", Some(Schema::string()), Value::from("t-1"));
            h.add("n", Some(Schema::int32()), Value::Int32(7));
            r.headers = h;
            let Value::Array(items) = value(&r).unwrap() else {
                panic!("array")
            };
            let pairs: Vec<(String, String)> = items
                .iter()
                .map(|i| {
                    let s = i.as_struct().unwrap();
                    (
                        s.get("key").and_then(Value::as_str).unwrap().to_string(),
                        s.get("value").and_then(Value::as_str).unwrap().to_string(),
                    )
                })
                .collect();
            assert_eq!(
                pairs,
                vec![("trace".into(), "t-1".into()), ("n".into(), "7".into())]
            );
            r.headers.add("gone", None, Value::Null);
            let e = value(&r).unwrap_err().to_string();
            assert!(e.contains("orders-0@4") && e.contains("\"gone\""), "{e}");
        }
    }
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

/// Whether a format can write this view of a record at all, checked
/// before the record is taken into a file so that a record that cannot be
/// written is refused alone (and reported through the errant record
/// reporter when the connector tolerates errors), never half-way through
/// a file. The checks are the shape a format needs: a schema for Avro, a
/// STRUCT schema for Parquet values, bytes or a string for
/// ByteArrayFormat, non-null header values for header files. A value that
/// contradicts its own schema is found only when written, and fails the
/// task.
pub fn check_writable(
    kind: FormatKind,
    view: View,
    record: &SinkRecord,
) -> Result<(), S3SinkError> {
    let bad =
        |what: String| S3SinkError::BadRecord(format!("record {}: {what}", record.position()));
    if view == View::Headers {
        if let Some(h) = record.headers.iter().find(|h| h.value.is_null()) {
            return Err(bad(format!(
                "header {:?} has a null value, which header files (store.kafka.headers, Confluent's layout) cannot hold",
                h.key
            )));
        }
        return Ok(());
    }
    let (schema, value) = match view {
        View::Key => (record.key_schema.as_ref(), &record.key),
        _ => (record.value_schema.as_ref(), &record.value),
    };
    let part = if view == View::Key { "key" } else { "value" };
    match kind {
        FormatKind::Json => Ok(()),
        FormatKind::ByteArray => bytearray::bytes_of(value).map(|_| ()).map_err(bad),
        FormatKind::Avro if schema.is_none() => Err(bad(format!(
            "AvroFormat needs a {part} with a schema (a converter that gives one, e.g. JsonConverter with schemas.enable=true)"
        ))),
        FormatKind::Parquet if view == View::Value && !schema.is_some_and(|s| s.schema_type == ferry_api::SchemaType::Struct) => {
            Err(bad("ParquetFormat needs STRUCT records with a schema".into()))
        }
        FormatKind::Parquet if schema.is_none() => {
            Err(bad("ParquetFormat needs record keys with a schema".into()))
        }
        _ => Ok(()),
    }
}

/// Whether two optional schemas are the same (cheap when shared).
pub fn same_schema(a: Option<&SchemaRef>, b: Option<&SchemaRef>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::record;
    use ferry_api::{Schema, SchemaBuilder, Value};

    #[test]
    fn formats_refuse_records_they_cannot_hold_naming_them() {
        let schemaless = record(0, 3, None, Value::from("x"));
        assert!(check_writable(FormatKind::Json, View::Value, &schemaless).is_ok());
        assert!(check_writable(FormatKind::ByteArray, View::Value, &schemaless).is_ok());
        let e = check_writable(FormatKind::Avro, View::Value, &schemaless)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("orders-0@3") && e.contains("AvroFormat needs a value with a schema"),
            "{e}"
        );
        let string = record(0, 4, Some(Schema::string()), Value::from("x"));
        assert!(check_writable(FormatKind::Avro, View::Value, &string).is_ok());
        let e = check_writable(FormatKind::Parquet, View::Value, &string)
            .unwrap_err()
            .to_string();
        assert!(e.contains("STRUCT"), "{e}");
        let row = SchemaBuilder::struct_().field("n", Schema::int32()).build();
        let r = record(0, 5, Some(row), Value::Null);
        assert!(check_writable(FormatKind::Parquet, View::Value, &r).is_ok());
        assert!(
            check_writable(FormatKind::Parquet, View::Key, &r).is_err(),
            "Parquet keys need a schema"
        );
        let int = record(0, 6, Some(Schema::int32()), Value::Int32(1));
        let e = check_writable(FormatKind::ByteArray, View::Value, &int)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ByteArrayConverter"), "{e}");
        let mut with_null_header = record(0, 7, None, Value::from("x"));
        with_null_header.headers.add("gone", None, Value::Null);
        assert!(check_writable(FormatKind::Json, View::Headers, &with_null_header).is_err());
    }
}
