//! Connect value → Avro value of the schema `schema_out` maps the Connect
//! schema to (`AvroData.fromConnectData`). Union branch numbers follow the
//! schema mapping: an optional value is `["null", T]` (`[T, "null"]` with a
//! default), an optional struct always `["null", record]`.

use std::collections::HashMap;

use apache_avro::types::Value as AvroValue;

use super::schema_out::enum_symbols;
use super::{
    data_error, AvroDataConfig, AVRO_TYPE_ENUM, AVRO_TYPE_UNION,
    CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT, CONNECT_AVRO_DECIMAL_PRECISION_PROP,
};
use crate::data::logical;
use crate::{ConnectResult, Schema, SchemaType, Value};

/// `value` of `schema`; `optional` says whether the Avro schema at this
/// place is the union with null (false for a union's own branches).
pub(super) fn avro_value(
    config: &AvroDataConfig,
    schema: &Schema,
    value: &Value,
    branch: bool,
) -> ConnectResult<AvroValue> {
    let optional = schema.optional && !branch;
    if schema.schema_type == SchemaType::Struct && schema.name.as_deref() == Some(AVRO_TYPE_UNION) {
        return union_value(config, schema, value);
    }
    if !optional {
        return required(config, schema, value);
    }
    // The position of the null branch and of the value's branch.
    let null_first = schema.schema_type == SchemaType::Struct || schema.default.is_none();
    let (null_index, value_index) = if null_first { (0, 1) } else { (1, 0) };
    Ok(match value {
        Value::Null => AvroValue::Union(null_index, Box::new(AvroValue::Null)),
        v => AvroValue::Union(value_index, Box::new(required(config, schema, v)?)),
    })
}

/// A STRUCT named `io.confluent.connect.avro.Union`: the first non-null
/// field is the branch.
fn union_value(
    config: &AvroDataConfig,
    schema: &Schema,
    value: &Value,
) -> ConnectResult<AvroValue> {
    let offset = u32::from(schema.optional);
    match value {
        Value::Null if schema.optional => Ok(AvroValue::Union(0, Box::new(AvroValue::Null))),
        Value::Null => Err(data_error("found null value for non-optional schema")),
        Value::Struct(s) => {
            for (i, f) in schema.fields.iter().enumerate() {
                match s.values().get(i) {
                    Some(Value::Null) | None => continue,
                    Some(v) => {
                        let inner = avro_value(config, &f.schema, v, true)
                            .map_err(|e| data_error(format!("union branch {}: {e}", f.name)))?;
                        return Ok(AvroValue::Union(i as u32 + offset, Box::new(inner)));
                    }
                }
            }
            if schema.optional {
                Ok(AvroValue::Union(0, Box::new(AvroValue::Null)))
            } else {
                Err(data_error(
                    "a union struct with no branch set, for a non-optional schema",
                ))
            }
        }
        v => Err(mismatch(schema, v)),
    }
}

fn mismatch(schema: &Schema, value: &Value) -> crate::ConnectError {
    data_error(format!(
        "invalid value for a {} schema{}: {}",
        schema.schema_type,
        schema
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default(),
        value
            .natural_type()
            .map(|t| t.connect_name())
            .unwrap_or("null")
    ))
}

fn int32(schema: &Schema, value: &Value) -> ConnectResult<i32> {
    value
        .as_i64()
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| mismatch(schema, value))
}

fn is_named(schema: &Schema, name: &str) -> bool {
    schema
        .name
        .as_deref()
        .is_some_and(|n| n.eq_ignore_ascii_case(name))
}

fn required(config: &AvroDataConfig, schema: &Schema, value: &Value) -> ConnectResult<AvroValue> {
    if value.is_null() {
        return Err(data_error(format!(
            "found null value for non-optional {} schema",
            schema.schema_type
        )));
    }
    let t = schema.schema_type;
    if t == SchemaType::Bytes && is_named(schema, logical::DECIMAL) {
        return decimal(schema, value);
    }
    if t == SchemaType::Int32 && is_named(schema, logical::DATE) {
        return Ok(AvroValue::Date(int32(schema, value)?));
    }
    if t == SchemaType::Int32 && is_named(schema, logical::TIME) {
        return Ok(AvroValue::TimeMillis(int32(schema, value)?));
    }
    if t == SchemaType::Int64 && is_named(schema, logical::TIMESTAMP) {
        let ms = value.as_i64().ok_or_else(|| mismatch(schema, value))?;
        return Ok(AvroValue::TimestampMillis(ms));
    }
    Ok(match (t, value) {
        (SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32, v) => {
            AvroValue::Int(int32(schema, v)?)
        }
        (SchemaType::Int64, v) => AvroValue::Long(v.as_i64().ok_or_else(|| mismatch(schema, v))?),
        (SchemaType::Float32, Value::Float32(f)) => AvroValue::Float(*f),
        (SchemaType::Float64, Value::Float64(f)) => AvroValue::Double(*f),
        (SchemaType::Float64, Value::Float32(f)) => AvroValue::Double(f64::from(*f)),
        (SchemaType::Boolean, Value::Boolean(b)) => AvroValue::Boolean(*b),
        (SchemaType::String, Value::String(s)) => match schema.parameter(AVRO_TYPE_ENUM) {
            Some(enum_name) if config.enhanced_avro_schema_support => {
                let symbols = enum_symbols(schema);
                let index = symbols.iter().position(|x| x == s).ok_or_else(|| {
                    data_error(format!(
                        "{s:?} is not a symbol of enum {enum_name} ({})",
                        symbols.join(", ")
                    ))
                })?;
                AvroValue::Enum(index as u32, s.clone())
            }
            _ => AvroValue::String(s.clone()),
        },
        (SchemaType::Bytes, Value::Bytes(b)) => AvroValue::Bytes(b.to_vec()),
        (SchemaType::Array, Value::Array(items)) => {
            let s = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| data_error("an ARRAY schema without an element schema"))?;
            AvroValue::Array(
                items
                    .iter()
                    .map(|i| avro_value(config, s, i, false))
                    .collect::<ConnectResult<_>>()?,
            )
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let (ks, vs) = match (&schema.key_schema, &schema.value_schema) {
                (Some(k), Some(v)) => (k, v),
                _ => return Err(data_error("a MAP schema without key or value schema")),
            };
            if ks.schema_type == SchemaType::String && !ks.optional {
                let mut out = HashMap::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = k.as_str().ok_or_else(|| mismatch(ks, k))?;
                    out.insert(k.to_string(), avro_value(config, vs, v, false)?);
                }
                AvroValue::Map(out)
            } else {
                AvroValue::Array(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            Ok(AvroValue::Record(vec![
                                ("key".into(), avro_value(config, ks, k, false)?),
                                ("value".into(), avro_value(config, vs, v, false)?),
                            ]))
                        })
                        .collect::<ConnectResult<_>>()?,
                )
            }
        }
        (SchemaType::Struct, Value::Struct(s)) => {
            let own = s.schema();
            let same_shape = own.fields.len() == schema.fields.len()
                && own
                    .fields
                    .iter()
                    .zip(&schema.fields)
                    .all(|(a, b)| a.name == b.name);
            if !same_shape {
                return Err(data_error(format!(
                    "mismatching struct schema: the value's struct {} does not have the fields of schema {}",
                    own.name.as_deref().unwrap_or("<unnamed>"),
                    schema.name.as_deref().unwrap_or("<unnamed>")
                )));
            }
            let mut fields = Vec::with_capacity(schema.fields.len());
            for (f, v) in schema.fields.iter().zip(s.values()) {
                // Connect's Struct.get: a null field reads as its default.
                let v = match (v, &f.schema.default) {
                    (Value::Null, Some(d)) => d,
                    (v, _) => v,
                };
                let avro = avro_value(config, &f.schema, v, false)
                    .map_err(|e| data_error(format!("field {}: {e}", f.name)))?;
                fields.push((f.name.clone(), avro));
            }
            AvroValue::Record(fields)
        }
        (_, v) => return Err(mismatch(schema, v)),
    })
}

fn decimal(schema: &Schema, value: &Value) -> ConnectResult<AvroValue> {
    let scale = schema.decimal_scale().unwrap_or(0);
    let precision = schema
        .parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP)
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT);
    let unscaled = match value {
        Value::Decimal(d) => d
            .rescale(scale)
            .ok_or_else(|| {
                data_error(format!(
                    "decimal {d} does not fit the schema's scale {scale} without rounding"
                ))
            })?
            .unscaled_bytes(),
        Value::Bytes(b) => b.to_vec(),
        v => return Err(mismatch(schema, v)),
    };
    // A scale Avro's decimal cannot describe leaves the schema plain bytes.
    Ok(if scale < 0 || i64::from(scale) > precision {
        AvroValue::Bytes(unscaled)
    } else {
        AvroValue::Decimal(apache_avro::Decimal::from(unscaled))
    })
}
