//! ParquetFormat: Parquet files with the record schema's columns (records
//! must be STRUCTs with a schema). Codec from `parquet.codec`, set
//! explicitly (the library default is uncompressed). A row group is closed
//! when it holds `ferry.s3.parquet.row.group.bytes` in memory, or earlier
//! when the process-wide buffer budget asks for it.
//!
//! | Connect | Arrow / Parquet |
//! |---|---|
//! | INT8…INT64, FLOAT32/64, BOOLEAN | same width |
//! | STRING / BYTES | Utf8 / Binary |
//! | Decimal | Decimal128(`connect.decimal.precision` or 38, scale) |
//! | Date / Time / Timestamp | Date32 / Time32(ms) / Timestamp(ms, UTC) |
//! | ARRAY / MAP / STRUCT | List / Map / Struct |

use std::sync::Arc;

use arrow_array::builder::BooleanBufferBuilder;
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int16Array, Int32Array, Int64Array, Int8Array, ListArray, MapArray, RecordBatch, StringArray,
    StructArray, Time32MillisecondArray, TimestampMillisecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, Fields, Schema as ArrowSchema, TimeUnit};
use ferry_api::data::logical;
use ferry_api::{ConnectResult, Schema, SchemaRef, SchemaType, SinkRecord, Value};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::{view_of, FormatWriter, SharedBuf, View};
use crate::config::S3SinkConfig;
use crate::error::S3SinkError;

pub struct ParquetWriter {
    view: View,
    connect: SchemaRef,
    arrow: Arc<ArrowSchema>,
    // ArrowWriter is not Sync; the mutex makes the writer shareable.
    writer: std::sync::Mutex<Option<ArrowWriter<SharedBuf>>>,
    out: SharedBuf,
    row_group_bytes: usize,
}

/// The Parquet codec of a `parquet.codec` value.
fn codec(name: &str) -> Compression {
    match name {
        "gzip" => Compression::GZIP(GzipLevel::default()),
        "zstd" => Compression::ZSTD(ZstdLevel::default()),
        "lz4" => Compression::LZ4_RAW,
        "brotli" => Compression::BROTLI(Default::default()),
        "none" | "uncompressed" => Compression::UNCOMPRESSED,
        _ => Compression::SNAPPY,
    }
}

impl ParquetWriter {
    pub fn new(view: View, schema: Option<&SchemaRef>, cfg: &S3SinkConfig) -> ConnectResult<Self> {
        // Keys and headers are wrapped as Confluent wraps them for Parquet:
        // `RecordKey {key}`, `RecordHeaders {headers}`.
        let connect = match view {
            View::Value => schema
                .filter(|s| s.schema_type == SchemaType::Struct)
                .cloned()
                .ok_or_else(|| {
                    S3SinkError::BadRecord(
                        "ParquetFormat needs STRUCT records with a schema".into(),
                    )
                })?,
            View::Key | View::Headers => schema
                .and_then(|inner| super::envelope::schema(view, inner))
                .ok_or_else(|| {
                    S3SinkError::BadRecord("ParquetFormat needs record keys with a schema".into())
                })?,
        };
        let fields: Vec<Field> = connect
            .fields
            .iter()
            .map(|f| arrow_field(&f.name, &f.schema))
            .collect();
        let arrow = Arc::new(ArrowSchema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(codec(&cfg.parquet_codec))
            .set_data_page_size_limit(64 * 1024)
            .set_max_row_group_size(1_000_000)
            .build();
        let out = SharedBuf::default();
        let writer =
            ArrowWriter::try_new(out.clone(), arrow.clone(), Some(props)).map_err(|source| {
                S3SinkError::Parquet {
                    action: "cannot start a Parquet file",
                    source,
                }
            })?;
        Ok(ParquetWriter {
            view,
            connect,
            arrow,
            writer: std::sync::Mutex::new(Some(writer)),
            out,
            row_group_bytes: cfg.parquet_row_group_bytes,
        })
    }
}

impl FormatWriter for ParquetWriter {
    fn write(&mut self, records: &[&SinkRecord]) -> ConnectResult<()> {
        let mut values: Vec<&Value> = Vec::with_capacity(records.len());
        let views = records
            .iter()
            .map(|r| view_of(r, self.view))
            .collect::<ConnectResult<Vec<_>>>()?;
        // The schema each record's view must have: the file's, or inside
        // an envelope, its single field's.
        let enveloped = self.view != View::Value;
        let expected = if enveloped {
            &self.connect.fields[0].schema
        } else {
            &self.connect
        };
        for (r, (schema, v)) in records.iter().zip(&views) {
            if !schema.is_some_and(|s| super::same_schema(Some(s), Some(expected))) {
                return Err(S3SinkError::BadRecord(format!(
                    "record {}: ParquetFormat needs {} with the file's schema",
                    r.position(),
                    if enveloped { "keys" } else { "STRUCT records" }
                ))
                .into());
            }
            values.push(v.as_ref());
        }
        let columns = self
            .connect
            .fields
            .iter()
            .zip(self.arrow.fields().iter())
            .map(|(f, af)| {
                let col: Vec<&Value> = if enveloped {
                    values.clone()
                } else {
                    values
                        .iter()
                        .map(|v| {
                            v.as_struct()
                                .and_then(|s| s.get(&f.name))
                                .unwrap_or(&Value::Null)
                        })
                        .collect()
                };
                build(&f.schema, af.data_type(), &col)
                    .map_err(|e| S3SinkError::SchemaMismatch(format!("field {}: {e}", f.name)))
            })
            .collect::<Result<Vec<ArrayRef>, S3SinkError>>()
            .map_err(|e| {
                let first = records.first().map(|r| r.position()).unwrap_or_default();
                let last = records
                    .last()
                    .map(|r| r.original_offset)
                    .unwrap_or_default();
                S3SinkError::BadRecord(format!(
                    "records {first}..{last}: cannot write as Parquet: {e}"
                ))
            })?;
        let batch = RecordBatch::try_new(self.arrow.clone(), columns)
            .map_err(|e| S3SinkError::BadRecord(format!("cannot build a Parquet batch: {e}")))?;
        let w = self
            .writer
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .ok_or(S3SinkError::ParquetFinished)?;
        w.write(&batch).map_err(|source| S3SinkError::Parquet {
            action: "writing Parquet",
            source,
        })?;
        if w.in_progress_size() >= self.row_group_bytes {
            w.flush().map_err(|source| S3SinkError::Parquet {
                action: "writing Parquet",
                source,
            })?;
        }
        Ok(())
    }

    fn take_output(&mut self) -> Vec<u8> {
        self.out.take()
    }

    fn buffered_bytes(&self) -> usize {
        self.writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|w| w.in_progress_size())
            .unwrap_or(0)
    }

    fn flush_buffered(&mut self) -> ConnectResult<()> {
        if let Some(w) = self
            .writer
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            w.flush().map_err(|source| S3SinkError::Parquet {
                action: "writing Parquet",
                source,
            })?;
        }
        Ok(())
    }

    fn finish(&mut self) -> ConnectResult<()> {
        if let Some(w) = self
            .writer
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            w.close().map_err(|source| S3SinkError::Parquet {
                action: "finishing a Parquet file",
                source,
            })?;
        }
        Ok(())
    }
}

fn arrow_field(name: &str, s: &Schema) -> Field {
    Field::new(name, arrow_type(s), s.optional)
}

fn arrow_type(s: &Schema) -> DataType {
    if s.is_logical(logical::DECIMAL) {
        let scale = s.decimal_scale().unwrap_or(0);
        // The column's declared precision (Debezium's and AvroData's
        // `connect.decimal.precision`), as parquet-avro writes it; 38 (the
        // most Decimal128 holds) when absent or out of range.
        let precision = s
            .parameter("connect.decimal.precision")
            .and_then(|p| p.trim().parse::<i32>().ok())
            .filter(|p| (1..=38).contains(p) && *p >= scale)
            .unwrap_or(38);
        return DataType::Decimal128(precision as u8, scale as i8);
    }
    if s.is_logical(logical::DATE) {
        return DataType::Date32;
    }
    if s.is_logical(logical::TIME) {
        return DataType::Time32(TimeUnit::Millisecond);
    }
    if s.is_logical(logical::TIMESTAMP) {
        return DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    }
    match s.schema_type {
        SchemaType::Int8 => DataType::Int8,
        SchemaType::Int16 => DataType::Int16,
        SchemaType::Int32 => DataType::Int32,
        SchemaType::Int64 => DataType::Int64,
        SchemaType::Float32 => DataType::Float32,
        SchemaType::Float64 => DataType::Float64,
        SchemaType::Boolean => DataType::Boolean,
        SchemaType::String => DataType::Utf8,
        SchemaType::Bytes => DataType::Binary,
        SchemaType::Array => {
            let item = s
                .value_schema
                .as_deref()
                .map(|i| arrow_field("element", i))
                .unwrap_or(Field::new("element", DataType::Null, true));
            DataType::List(Arc::new(item))
        }
        SchemaType::Map => {
            let k = s
                .key_schema
                .as_deref()
                .map(|k| Field::new("key", arrow_type(k), false))
                .unwrap_or(Field::new("key", DataType::Utf8, false));
            let v = s
                .value_schema
                .as_deref()
                .map(|v| arrow_field("value", v))
                .unwrap_or(Field::new("value", DataType::Null, true));
            DataType::Map(
                Arc::new(Field::new(
                    "key_value",
                    DataType::Struct(Fields::from(vec![k, v])),
                    false,
                )),
                false,
            )
        }
        SchemaType::Struct => DataType::Struct(Fields::from(
            s.fields
                .iter()
                .map(|f| arrow_field(&f.name, &f.schema))
                .collect::<Vec<_>>(),
        )),
    }
}

/// Applies defaults and checks nullability; `None` means null.
fn resolve<'a>(s: &'a Schema, v: &'a Value) -> Result<Option<&'a Value>, S3SinkError> {
    if !v.is_null() {
        return Ok(Some(v));
    }
    if let Some(d) = s.default.as_ref().filter(|d| !d.is_null()) {
        return Ok(Some(d));
    }
    if s.optional {
        Ok(None)
    } else {
        Err(S3SinkError::SchemaMismatch(
            "null value for a required field".into(),
        ))
    }
}

fn prim<'a, T>(
    s: &'a Schema,
    vals: &[&'a Value],
    f: impl Fn(&'a Value) -> Option<T>,
) -> Result<Vec<Option<T>>, S3SinkError> {
    vals.iter()
        .map(|v| match resolve(s, v)? {
            None => Ok(None),
            Some(v) => f(v).map(Some).ok_or_else(|| {
                S3SinkError::SchemaMismatch(format!(
                    "a {} value does not match schema type {}",
                    v.natural_type().map(|t| t.connect_name()).unwrap_or("null"),
                    s.schema_type
                ))
            }),
        })
        .collect()
}

fn nulls_of(s: &Schema, vals: &[&Value]) -> Result<Option<NullBuffer>, S3SinkError> {
    let mut b = BooleanBufferBuilder::new(vals.len());
    let mut any = false;
    for v in vals {
        let present = resolve(s, v)?.is_some();
        any |= !present;
        b.append(present);
    }
    Ok(any.then(|| NullBuffer::new(b.finish())))
}

fn build<'a>(s: &'a Schema, dt: &DataType, vals: &[&'a Value]) -> Result<ArrayRef, S3SinkError> {
    Ok(match dt {
        DataType::Int8 => Arc::new(Int8Array::from(prim(s, vals, |v| {
            v.as_i64().map(|x| x as i8)
        })?)),
        DataType::Int16 => Arc::new(Int16Array::from(prim(s, vals, |v| {
            v.as_i64().map(|x| x as i16)
        })?)),
        DataType::Int32 => Arc::new(Int32Array::from(prim(s, vals, |v| {
            v.as_i64().map(|x| x as i32)
        })?)),
        DataType::Int64 => Arc::new(Int64Array::from(prim(s, vals, |v| v.as_i64())?)),
        DataType::Date32 => Arc::new(Date32Array::from(prim(s, vals, |v| {
            v.as_i64().map(|x| x as i32)
        })?)),
        DataType::Time32(_) => Arc::new(Time32MillisecondArray::from(prim(s, vals, |v| {
            v.as_i64().map(|x| x as i32)
        })?)),
        DataType::Timestamp(_, tz) => Arc::new(
            TimestampMillisecondArray::from(prim(s, vals, |v| v.as_i64())?)
                .with_timezone_opt(tz.clone()),
        ),
        DataType::Float32 => Arc::new(Float32Array::from(prim(s, vals, |v| match v {
            Value::Float32(f) => Some(*f),
            _ => None,
        })?)),
        DataType::Float64 => Arc::new(Float64Array::from(prim(s, vals, |v| match v {
            Value::Float64(f) => Some(*f),
            Value::Float32(f) => Some(*f as f64),
            _ => None,
        })?)),
        DataType::Boolean => Arc::new(BooleanArray::from(prim(s, vals, |v| match v {
            Value::Boolean(b) => Some(*b),
            _ => None,
        })?)),
        DataType::Utf8 => Arc::new(StringArray::from(prim(s, vals, |v| v.as_str())?)),
        DataType::Binary => Arc::new(BinaryArray::from_opt_vec(prim(s, vals, |v| match v {
            Value::Bytes(b) => Some(b.as_ref()),
            _ => None,
        })?)),
        DataType::Decimal128(p, scale) => {
            let scale_i = *scale as i32;
            let v = prim(s, vals, |v| match v {
                Value::Decimal(d) => d
                    .rescale(scale_i)
                    .and_then(|d| i128::try_from(d.unscaled).ok()),
                _ => None,
            })?;
            Arc::new(
                Decimal128Array::from(v)
                    .with_precision_and_scale(*p, *scale)
                    .map_err(|e| S3SinkError::SchemaMismatch(e.to_string()))?,
            )
        }
        DataType::List(item) => {
            let is = s
                .value_schema
                .as_deref()
                .ok_or_else(|| S3SinkError::SchemaMismatch("array schema without items".into()))?;
            let mut offsets = vec![0i32];
            let mut children: Vec<&Value> = Vec::new();
            for v in vals {
                if let Some(Value::Array(items)) = resolve(s, v)? {
                    children.extend(items.iter());
                } else if let Some(other) = resolve(s, v)? {
                    return Err(S3SinkError::SchemaMismatch(format!(
                        "expected an array, got {}",
                        other
                            .natural_type()
                            .map(|t| t.connect_name())
                            .unwrap_or("null")
                    )));
                }
                offsets.push(children.len() as i32);
            }
            let child = build(is, item.data_type(), &children)?;
            Arc::new(
                ListArray::try_new(
                    item.clone(),
                    OffsetBuffer::new(offsets.into()),
                    child,
                    nulls_of(s, vals)?,
                )
                .map_err(|e| S3SinkError::SchemaMismatch(e.to_string()))?,
            )
        }
        DataType::Map(entry, sorted) => {
            let ks = s
                .key_schema
                .as_deref()
                .ok_or_else(|| S3SinkError::SchemaMismatch("map schema without keys".into()))?;
            let vs = s
                .value_schema
                .as_deref()
                .ok_or_else(|| S3SinkError::SchemaMismatch("map schema without values".into()))?;
            let DataType::Struct(kv) = entry.data_type() else {
                return Err(S3SinkError::SchemaMismatch("bad map type".into()));
            };
            let mut offsets = vec![0i32];
            let (mut keys, mut values): (Vec<&Value>, Vec<&Value>) = (Vec::new(), Vec::new());
            for v in vals {
                if let Some(Value::Map(entries)) = resolve(s, v)? {
                    for (k, v) in entries {
                        keys.push(k);
                        values.push(v);
                    }
                }
                offsets.push(keys.len() as i32);
            }
            let k = build(ks, kv[0].data_type(), &keys)?;
            let v = build(vs, kv[1].data_type(), &values)?;
            let entries = StructArray::try_new(kv.clone(), vec![k, v], None)
                .map_err(|e| S3SinkError::SchemaMismatch(e.to_string()))?;
            Arc::new(
                MapArray::try_new(
                    entry.clone(),
                    OffsetBuffer::new(offsets.into()),
                    entries,
                    nulls_of(s, vals)?,
                    *sorted,
                )
                .map_err(|e| S3SinkError::SchemaMismatch(e.to_string()))?,
            )
        }
        DataType::Struct(fields) => {
            let nulls = nulls_of(s, vals)?;
            let mut cols = Vec::with_capacity(fields.len());
            for (f, af) in s.fields.iter().zip(fields.iter()) {
                let col: Vec<&Value> = vals
                    .iter()
                    .map(|v| match resolve(s, v).ok().flatten() {
                        Some(Value::Struct(st)) => st.get(&f.name).unwrap_or(&Value::Null),
                        _ => &Value::Null,
                    })
                    .collect();
                // Children of null parents may be null even when required.
                let child_schema;
                let cs: &Schema = if nulls.is_some() && !f.schema.optional {
                    child_schema = Schema {
                        optional: true,
                        ..(*f.schema).clone()
                    };
                    &child_schema
                } else {
                    &f.schema
                };
                cols.push(
                    build(cs, af.data_type(), &col)
                        .map_err(|e| S3SinkError::SchemaMismatch(format!("{}: {e}", f.name)))?,
                );
            }
            // Nulls of required children under null parents are masked
            // by the parent's nulls, which Arrow accepts.
            Arc::new(
                StructArray::try_new(fields.clone(), cols, nulls)
                    .map_err(|e| S3SinkError::SchemaMismatch(e.to_string()))?,
            )
        }
        other => {
            return Err(S3SinkError::SchemaMismatch(format!(
                "unsupported Arrow type {other}"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::{SchemaBuilder, Struct};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    #[test]
    fn structs_write_and_read_back() {
        let inner = SchemaBuilder::struct_()
            .field("x", Schema::int32())
            .optional()
            .build();
        let s = SchemaBuilder::struct_()
            .field("id", Schema::int64())
            .field("name", Schema::optional_string())
            .field("price", logical::decimal(2).build())
            .field("at", logical::timestamp().build())
            .field("tags", SchemaBuilder::array(Schema::string()).build())
            .field(
                "attrs",
                SchemaBuilder::map(Schema::string(), Schema::int32()).build(),
            )
            .field("inner", inner.clone())
            .build();
        let cfg = crate::test_support::config(&[("format.class", "ParquetFormat")]);
        let mut w = ParquetWriter::new(View::Value, Some(&s), &cfg).unwrap();
        let recs: Vec<SinkRecord> = (0..5)
            .map(|i| {
                let v = Struct::new(s.clone())
                    .with("id", i as i64)
                    .with("name", if i == 2 { Value::Null } else { "n".into() })
                    .with("price", ferry_api::Decimal::new(1234 + i, 2))
                    .with("at", Value::Int64(1_700_000_000_000))
                    .with("tags", Value::Array(vec!["a".into(), "b".into()]))
                    .with("attrs", Value::Map(vec![("k".into(), Value::Int32(i))]))
                    .with(
                        "inner",
                        if i == 3 {
                            Value::Null
                        } else {
                            Struct::new(inner.clone()).with("x", 1).into()
                        },
                    );
                crate::test_support::record(0, i as i64, Some(s.clone()), Value::Struct(v))
            })
            .collect();
        let refs: Vec<&SinkRecord> = recs.iter().collect();
        w.write(&refs[..2]).unwrap();
        w.flush_buffered().unwrap();
        w.write(&refs[2..]).unwrap();
        w.finish().unwrap();
        let bytes = bytes::Bytes::from(w.take_output());
        let reader = SerializedFileReader::new(bytes).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 5);
        assert_eq!(reader.metadata().num_row_groups(), 2);
        let col = reader.metadata().row_group(0).column(0);
        assert_eq!(col.compression(), Compression::SNAPPY);
    }

    #[test]
    fn schemaless_records_are_refused_naming_the_record() {
        let s = SchemaBuilder::struct_()
            .field("id", Schema::int64())
            .build();
        let cfg = crate::test_support::config(&[("format.class", "ParquetFormat")]);
        let mut w = ParquetWriter::new(View::Value, Some(&s), &cfg).unwrap();
        let r = crate::test_support::record(2, 7, None, Value::Map(vec![]));
        let e = w.write(&[&r]).unwrap_err().to_string();
        assert!(e.contains("orders-2@7"), "{e}");
        assert!(ParquetWriter::new(View::Value, None, &cfg).is_err());
    }

    #[test]
    fn keys_and_headers_are_enveloped_as_confluent_does() {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let cfg = crate::test_support::config(&[("format.class", "ParquetFormat")]);
        let key_schema = Schema::optional_string();
        let recs: Vec<SinkRecord> = (0..3)
            .map(|i| {
                let mut r = crate::test_support::record(0, i, None, Value::Null);
                r.key_schema = Some(key_schema.clone());
                r.key = if i == 1 {
                    Value::Null
                } else {
                    format!("k{i}").into()
                };
                r.headers
                    .add("h", Some(Schema::int32()), Value::Int32(i as i32));
                r
            })
            .collect();
        let refs: Vec<&SinkRecord> = recs.iter().collect();
        let read = |w: &mut ParquetWriter| {
            w.write(&refs).unwrap();
            w.finish().unwrap();
            let bytes = bytes::Bytes::from(w.take_output());
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
                .unwrap()
                .build()
                .unwrap();
            let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
            batches[0].clone()
        };

        let mut keys = ParquetWriter::new(View::Key, Some(&key_schema), &cfg).unwrap();
        let batch = read(&mut keys);
        assert_eq!(batch.schema().fields().len(), 1);
        assert_eq!(batch.schema().field(0).name(), "key");
        let col = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(
            col.iter().collect::<Vec<_>>(),
            vec![Some("k0"), None, Some("k2")]
        );

        let mut headers =
            ParquetWriter::new(View::Headers, Some(super::super::headers::schema()), &cfg).unwrap();
        let batch = read(&mut headers);
        assert_eq!(batch.schema().field(0).name(), "headers");
        let list = batch
            .column(0)
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        let third = list.value(2);
        let entry = third.as_any().downcast_ref::<StructArray>().unwrap();
        let value = entry
            .column_by_name("value")
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(value.value(0), "2");

        // A record whose key schema differs from the file's is refused.
        let mut other = recs[0].clone();
        other.key_schema = Some(Schema::string());
        let mut keys = ParquetWriter::new(View::Key, Some(&key_schema), &cfg).unwrap();
        let e = keys.write(&[&other]).unwrap_err().to_string();
        assert!(e.contains("orders-0@0") && e.contains("keys"), "{e}");
    }
}
