//! AvroFormat: Avro object container files. The Connect schema maps to
//! Avro as Confluent's `AvroData` maps it: optional → union with null
//! (default null), INT8/INT16 → int with `connect.type`, string-keyed maps
//! → map, other maps → array of key/value records, Decimal/Date/Time/
//! Timestamp → Avro logical types, unnamed structs →
//! `io.confluent.connect.avro.ConnectDefault`.
//!
//! The container is written here (header, blocks, sync markers); datums
//! are encoded with `apache-avro`.

use std::collections::HashMap;
use std::io::Write;

use apache_avro::types::Value as AvroValue;
use apache_avro::Schema as AvroSchema;
use ferry_api::data::logical;
use ferry_api::{ConnectResult, Schema, SchemaRef, SchemaType, SinkRecord, Value};
use serde_json::{json, Value as Json};

use super::{view_of, FormatWriter, View};
use crate::config::S3SinkConfig;
use crate::error::S3SinkError;

const BLOCK_BYTES: usize = 64 * 1024;

/// Avro codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Null,
    Deflate,
    Snappy,
}

pub struct AvroWriter {
    view: View,
    schema: AvroSchema,
    connect: SchemaRef,
    codec: Codec,
    sync: [u8; 16],
    out: Vec<u8>,
    block: Vec<u8>,
    block_count: i64,
}

/// Zig-zag varint, Avro's `long`.
pub(crate) fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    loop {
        if z < 0x80 {
            out.push(z as u8);
            return;
        }
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

impl AvroWriter {
    pub fn new(view: View, schema: Option<&SchemaRef>, cfg: &S3SinkConfig) -> ConnectResult<Self> {
        let connect = schema.cloned().ok_or_else(|| {
            S3SinkError::BadRecord("AvroFormat needs records with a schema".into())
        })?;
        let json = avro_schema_json(&connect);
        let parsed = AvroSchema::parse(&json).map_err(|e| {
            S3SinkError::BadRecord(format!("cannot map the Connect schema to Avro: {e}"))
        })?;
        let codec = match cfg.avro_codec.as_str() {
            "deflate" => Codec::Deflate,
            "snappy" => Codec::Snappy,
            _ => Codec::Null,
        };
        let sync = random_sync();
        let mut out = Vec::new();
        out.extend_from_slice(b"Obj\x01");
        write_long(&mut out, 2);
        write_bytes(&mut out, b"avro.schema");
        write_bytes(&mut out, json.to_string().as_bytes());
        write_bytes(&mut out, b"avro.codec");
        write_bytes(
            &mut out,
            match codec {
                Codec::Null => b"null".as_slice(),
                Codec::Deflate => b"deflate",
                Codec::Snappy => b"snappy",
            },
        );
        write_long(&mut out, 0);
        out.extend_from_slice(&sync);
        Ok(AvroWriter {
            view,
            schema: parsed,
            connect,
            codec,
            sync,
            out,
            block: Vec::new(),
            block_count: 0,
        })
    }

    fn flush_block(&mut self) -> ConnectResult<()> {
        if self.block_count == 0 {
            return Ok(());
        }
        let data = match self.codec {
            Codec::Null => std::mem::take(&mut self.block),
            Codec::Deflate => {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(&self.block)?;
                self.block.clear();
                e.finish()?
            }
            Codec::Snappy => {
                let mut c = snap::raw::Encoder::new()
                    .compress_vec(&self.block)
                    .map_err(S3SinkError::Snappy)?;
                c.extend_from_slice(&crc32fast::hash(&self.block).to_be_bytes());
                self.block.clear();
                c
            }
        };
        write_long(&mut self.out, self.block_count);
        write_bytes(&mut self.out, &data);
        self.out.extend_from_slice(&self.sync);
        self.block_count = 0;
        Ok(())
    }
}

impl FormatWriter for AvroWriter {
    fn write(&mut self, records: &[&SinkRecord]) -> ConnectResult<()> {
        for r in records {
            let (_, value) = view_of(r, self.view)?;
            let v = to_avro(&self.connect, &value)
                .map_err(|e| S3SinkError::BadRecord(format!("record {}: {e}", r.position())))?;
            let datum = apache_avro::to_avro_datum(&self.schema, v).map_err(|e| {
                S3SinkError::BadRecord(format!(
                    "record {}: cannot encode it as Avro: {e}",
                    r.position()
                ))
            })?;
            self.block.extend_from_slice(&datum);
            self.block_count += 1;
            if self.block.len() >= BLOCK_BYTES {
                self.flush_block()?;
            }
        }
        Ok(())
    }

    fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn buffered_bytes(&self) -> usize {
        self.block.len()
    }

    fn flush_buffered(&mut self) -> ConnectResult<()> {
        self.flush_block()
    }

    fn finish(&mut self) -> ConnectResult<()> {
        self.flush_block()
    }
}

/// 16 random bytes (std's randomly keyed hasher is the entropy source).
fn random_sync() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 16];
    for chunk in out.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

struct Namer(usize);

impl Namer {
    fn next(&mut self) -> String {
        self.0 += 1;
        if self.0 == 1 {
            "io.confluent.connect.avro.ConnectDefault".into()
        } else {
            format!("io.confluent.connect.avro.ConnectDefault{}", self.0)
        }
    }
}

/// The Avro schema (JSON) of a Connect schema.
pub fn avro_schema_json(schema: &Schema) -> Json {
    let mut names = Namer(0);
    let mut seen: HashMap<String, usize> = HashMap::new();
    convert(schema, &mut names, &mut seen, true)
}

fn convert(s: &Schema, names: &mut Namer, seen: &mut HashMap<String, usize>, top: bool) -> Json {
    let base = convert_required(s, names, seen);
    // A top-level optional schema stays a union too, as AvroData writes it.
    let _ = top;
    if s.optional {
        json!(["null", base])
    } else {
        base
    }
}

fn unique_name(name: &str, seen: &mut HashMap<String, usize>) -> String {
    let n = seen.entry(name.to_string()).or_insert(0);
    *n += 1;
    if *n == 1 {
        name.to_string()
    } else {
        format!("{name}{n}")
    }
}

fn convert_required(s: &Schema, names: &mut Namer, seen: &mut HashMap<String, usize>) -> Json {
    if s.is_logical(logical::DECIMAL) {
        let scale = s.decimal_scale().unwrap_or(0);
        let precision: i64 = s
            .parameter("connect.decimal.precision")
            .and_then(|p| p.parse().ok())
            .unwrap_or(64);
        return json!({"type": "bytes", "scale": scale, "precision": precision, "connect.version": 1, "connect.parameters": {"scale": scale.to_string()}, "connect.name": logical::DECIMAL, "logicalType": "decimal"});
    }
    if s.is_logical(logical::DATE) {
        return json!({"type": "int", "connect.version": 1, "connect.name": logical::DATE, "logicalType": "date"});
    }
    if s.is_logical(logical::TIME) {
        return json!({"type": "int", "connect.version": 1, "connect.name": logical::TIME, "logicalType": "time-millis"});
    }
    if s.is_logical(logical::TIMESTAMP) {
        return json!({"type": "long", "connect.version": 1, "connect.name": logical::TIMESTAMP, "logicalType": "timestamp-millis"});
    }
    match s.schema_type {
        SchemaType::Int8 => json!({"type": "int", "connect.type": "int8"}),
        SchemaType::Int16 => json!({"type": "int", "connect.type": "int16"}),
        SchemaType::Int32 => json!("int"),
        SchemaType::Int64 => json!("long"),
        SchemaType::Float32 => json!("float"),
        SchemaType::Float64 => json!("double"),
        SchemaType::Boolean => json!("boolean"),
        SchemaType::String => json!("string"),
        SchemaType::Bytes => json!("bytes"),
        SchemaType::Array => {
            let items = s
                .value_schema
                .as_deref()
                .map(|i| convert(i, names, seen, false))
                .unwrap_or(json!("null"));
            json!({"type": "array", "items": items})
        }
        SchemaType::Map => {
            let k = s.key_schema.as_deref();
            let v = s
                .value_schema
                .as_deref()
                .map(|i| convert(i, names, seen, false))
                .unwrap_or(json!("null"));
            if k.is_some_and(|k| k.schema_type == SchemaType::String && !k.optional) {
                json!({"type": "map", "values": v})
            } else {
                let key = k
                    .map(|k| convert(k, names, seen, false))
                    .unwrap_or(json!("null"));
                let name = unique_name("io.confluent.connect.avro.MapEntry", seen);
                json!({"type": "array", "items": {"type": "record", "name": name, "fields": [{"name": "key", "type": key}, {"name": "value", "type": v}]}})
            }
        }
        SchemaType::Struct => {
            let name = match &s.name {
                Some(n) => unique_name(&sanitize(n), seen),
                None => names.next(),
            };
            let fields: Vec<Json> = s
                .fields
                .iter()
                .map(|f| {
                    let t = convert(&f.schema, names, seen, false);
                    if f.schema.optional {
                        json!({"name": f.name, "type": t, "default": null})
                    } else {
                        json!({"name": f.name, "type": t})
                    }
                })
                .collect();
            let mut rec = json!({"type": "record", "name": name, "fields": fields});
            if let Some(doc) = &s.doc {
                rec["doc"] = json!(doc);
            }
            if let Some(v) = s.version {
                rec["connect.version"] = json!(v);
            }
            rec
        }
    }
}

fn sanitize(name: &str) -> String {
    name.split('.')
        .map(|p| {
            let mut s: String = p
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
                s.insert(0, '_');
            }
            s
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A Connect value as an Avro value of the mapped schema.
pub fn to_avro(s: &Schema, v: &Value) -> Result<AvroValue, S3SinkError> {
    if s.optional {
        return Ok(match v {
            Value::Null => AvroValue::Union(0, Box::new(AvroValue::Null)),
            v => AvroValue::Union(1, Box::new(to_avro_required(s, v)?)),
        });
    }
    if v.is_null() {
        if let Some(d) = &s.default {
            return to_avro_required(s, d);
        }
        return Err(S3SinkError::SchemaMismatch(
            "null value for a required field".into(),
        ));
    }
    to_avro_required(s, v)
}

fn to_avro_required(s: &Schema, v: &Value) -> Result<AvroValue, S3SinkError> {
    let mismatch = || {
        S3SinkError::SchemaMismatch(format!(
            "a {} value does not match schema type {}",
            v.natural_type().map(|t| t.connect_name()).unwrap_or("null"),
            s.schema_type
        ))
    };
    if s.is_logical(logical::DECIMAL) {
        let scale = s.decimal_scale().unwrap_or(0);
        return match v {
            Value::Decimal(d) => {
                let d = d.rescale(scale).ok_or_else(|| {
                    S3SinkError::SchemaMismatch(format!("decimal {d} does not fit scale {scale}"))
                })?;
                Ok(AvroValue::Decimal(apache_avro::Decimal::from(
                    d.unscaled_bytes(),
                )))
            }
            Value::Bytes(b) => Ok(AvroValue::Decimal(apache_avro::Decimal::from(b.to_vec()))),
            _ => Err(mismatch()),
        };
    }
    if s.is_logical(logical::DATE) {
        return v
            .as_i64()
            .map(|d| AvroValue::Date(d as i32))
            .ok_or_else(mismatch);
    }
    if s.is_logical(logical::TIME) {
        return v
            .as_i64()
            .map(|d| AvroValue::TimeMillis(d as i32))
            .ok_or_else(mismatch);
    }
    if s.is_logical(logical::TIMESTAMP) {
        return v
            .as_i64()
            .map(AvroValue::TimestampMillis)
            .ok_or_else(mismatch);
    }
    Ok(match (s.schema_type, v) {
        (SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32, v) => {
            AvroValue::Int(v.as_i64().ok_or_else(mismatch)? as i32)
        }
        (SchemaType::Int64, v) => AvroValue::Long(v.as_i64().ok_or_else(mismatch)?),
        (SchemaType::Float32, Value::Float32(f)) => AvroValue::Float(*f),
        (SchemaType::Float64, Value::Float64(f)) => AvroValue::Double(*f),
        (SchemaType::Float64, Value::Float32(f)) => AvroValue::Double(*f as f64),
        (SchemaType::Boolean, Value::Boolean(b)) => AvroValue::Boolean(*b),
        (SchemaType::String, Value::String(x)) => AvroValue::String(x.clone()),
        (SchemaType::Bytes, Value::Bytes(b)) => AvroValue::Bytes(b.to_vec()),
        (SchemaType::Array, Value::Array(items)) => {
            let is = s
                .value_schema
                .as_deref()
                .ok_or_else(|| S3SinkError::SchemaMismatch("array schema without items".into()))?;
            AvroValue::Array(
                items
                    .iter()
                    .map(|i| to_avro(is, i))
                    .collect::<Result<_, _>>()?,
            )
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let ks = s
                .key_schema
                .as_deref()
                .ok_or_else(|| S3SinkError::SchemaMismatch("map schema without keys".into()))?;
            let vs = s
                .value_schema
                .as_deref()
                .ok_or_else(|| S3SinkError::SchemaMismatch("map schema without values".into()))?;
            if ks.schema_type == SchemaType::String && !ks.optional {
                let mut m = HashMap::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = k.as_str().ok_or_else(|| {
                        S3SinkError::SchemaMismatch("map key is not a string".into())
                    })?;
                    m.insert(k.to_string(), to_avro(vs, v)?);
                }
                AvroValue::Map(m)
            } else {
                AvroValue::Array(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            Ok(AvroValue::Record(vec![
                                ("key".into(), to_avro(ks, k)?),
                                ("value".into(), to_avro(vs, v)?),
                            ]))
                        })
                        .collect::<Result<_, S3SinkError>>()?,
                )
            }
        }
        (SchemaType::Struct, Value::Struct(st)) => AvroValue::Record(
            s.fields
                .iter()
                .map(|f| {
                    let fv = st.get(&f.name).unwrap_or(&Value::Null);
                    to_avro(&f.schema, fv)
                        .map(|a| (f.name.clone(), a))
                        .map_err(|e| S3SinkError::SchemaMismatch(format!("field {}: {e}", f.name)))
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(mismatch()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::{SchemaBuilder, Struct};

    #[test]
    fn connect_schema_maps_like_avro_data() {
        let s = SchemaBuilder::struct_()
            .name("com.example.Order")
            .field("id", Schema::int64())
            .field("small", Schema::int8())
            .field("note", Schema::optional_string())
            .field("price", logical::decimal(2).build())
            .field("day", logical::date().build())
            .field("tags", SchemaBuilder::array(Schema::string()).build())
            .field(
                "attrs",
                SchemaBuilder::map(Schema::string(), Schema::int32()).build(),
            )
            .field(
                "byid",
                SchemaBuilder::map(Schema::int32(), Schema::string()).build(),
            )
            .field(
                "inner",
                SchemaBuilder::struct_()
                    .field("x", Schema::int32())
                    .optional()
                    .build(),
            )
            .build();
        let j = avro_schema_json(&s);
        assert_eq!(j["name"], "com.example.Order");
        assert_eq!(
            j["fields"][1]["type"],
            json!({"type": "int", "connect.type": "int8"})
        );
        assert_eq!(j["fields"][2]["type"], json!(["null", "string"]));
        assert_eq!(j["fields"][2]["default"], Json::Null);
        assert_eq!(j["fields"][3]["type"]["logicalType"], "decimal");
        assert_eq!(j["fields"][4]["type"]["logicalType"], "date");
        assert_eq!(j["fields"][6]["type"]["type"], "map");
        assert_eq!(
            j["fields"][7]["type"]["items"]["name"],
            "io.confluent.connect.avro.MapEntry"
        );
        assert_eq!(
            j["fields"][8]["type"][1]["name"],
            "io.confluent.connect.avro.ConnectDefault"
        );
        AvroSchema::parse(&j).unwrap();
    }

    #[test]
    fn values_encode_and_container_reads_back() {
        let s = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .field("n", Schema::optional_string())
            .build();
        let cfg = crate::config::S3SinkConfig::parse(
            &[
                ("s3.bucket.name", "b"),
                ("format.class", "AvroFormat"),
                ("flush.size", "1"),
                ("avro.codec", "deflate"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        )
        .unwrap();
        let mut w = AvroWriter::new(View::Value, Some(&s), &cfg).unwrap();
        let recs: Vec<SinkRecord> = (0..3)
            .map(|i| {
                let v = Value::Struct(
                    Struct::new(s.clone())
                        .with("id", i)
                        .with("n", if i == 1 { Value::Null } else { "x".into() }),
                );
                crate::test_support::record(0, i as i64, Some(s.clone()), v)
            })
            .collect();
        let refs: Vec<&SinkRecord> = recs.iter().collect();
        w.write(&refs).unwrap();
        w.finish().unwrap();
        let bytes = w.take_output();
        let reader = apache_avro::Reader::new(&bytes[..]).unwrap();
        let rows: Vec<AvroValue> = reader.map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1],
            AvroValue::Record(vec![
                ("id".into(), AvroValue::Int(1)),
                ("n".into(), AvroValue::Union(0, Box::new(AvroValue::Null)))
            ])
        );
    }
}
