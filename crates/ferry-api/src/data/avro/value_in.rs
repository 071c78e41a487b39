//! Avro value (decoded with the writer's schema) → Connect value of the
//! schema `schema_in` gave for that Avro schema (`AvroData.toConnectData`).

use std::sync::Arc;

use apache_avro::types::Value as AvroValue;
use apache_avro::Schema as AvroSchema;

use super::{data_error, AvroSchemaText, AVRO_TYPE_UNION};
use crate::data::{Decimal, Struct};
use crate::{ConnectResult, SchemaRef, SchemaType, Value};

pub(super) fn connect_value(
    schema: &SchemaRef,
    names: &AvroSchemaText,
    avro: &AvroSchema,
    value: AvroValue,
) -> ConnectResult<Value> {
    let avro = names.resolve(avro)?;
    if let AvroValue::Union(index, inner) = value {
        let AvroSchema::Union(union) = avro else {
            return Err(data_error(
                "an Avro union value for a schema that is not a union",
            ));
        };
        let variants = union.variants();
        let member = variants
            .get(index as usize)
            .ok_or_else(|| data_error(format!("union branch {index} does not exist")))?;
        if matches!(*inner, AvroValue::Null) {
            return null(schema);
        }
        if schema.schema_type == SchemaType::Struct
            && schema.name.as_deref() == Some(AVRO_TYPE_UNION)
        {
            // The field of this branch: branches in order, null skipped.
            let field_index = variants[..index as usize]
                .iter()
                .filter(|v| !matches!(v, AvroSchema::Null))
                .count();
            let field = schema.fields.get(field_index).ok_or_else(|| {
                data_error(format!(
                    "union branch {index} has no field in the Connect union"
                ))
            })?;
            let v = connect_value(&field.schema, names, member, *inner)?;
            let mut s = Struct::new(Arc::clone(schema));
            s.put(&field.name, v)?;
            return Ok(Value::Struct(s));
        }
        return connect_value(schema, names, member, *inner);
    }
    let mismatch = |v: &AvroValue| {
        data_error(format!(
            "invalid Avro value for a {} schema: {v:?}",
            schema.schema_type
        ))
    };
    Ok(match value {
        AvroValue::Null => return null(schema),
        AvroValue::Boolean(b) => Value::Boolean(b),
        AvroValue::Int(i) | AvroValue::Date(i) | AvroValue::TimeMillis(i) => {
            match schema.schema_type {
                SchemaType::Int8 => {
                    Value::Int8(i8::try_from(i).map_err(|_| mismatch(&AvroValue::Int(i)))?)
                }
                SchemaType::Int16 => {
                    Value::Int16(i16::try_from(i).map_err(|_| mismatch(&AvroValue::Int(i)))?)
                }
                SchemaType::Int32 => Value::Int32(i),
                SchemaType::Int64 => Value::Int64(i64::from(i)),
                _ => return Err(mismatch(&AvroValue::Int(i))),
            }
        }
        AvroValue::Long(l)
        | AvroValue::TimestampMillis(l)
        | AvroValue::TimestampMicros(l)
        | AvroValue::TimestampNanos(l)
        | AvroValue::TimeMicros(l)
        | AvroValue::LocalTimestampMillis(l)
        | AvroValue::LocalTimestampMicros(l)
        | AvroValue::LocalTimestampNanos(l) => Value::Int64(l),
        AvroValue::Float(f) => match schema.schema_type {
            SchemaType::Float64 => Value::Float64(f64::from(f)),
            _ => Value::Float32(f),
        },
        AvroValue::Double(d) => Value::Float64(d),
        AvroValue::String(s) | AvroValue::Enum(_, s) => Value::String(s),
        AvroValue::Uuid(u) => Value::String(u.as_hyphenated().to_string()),
        AvroValue::Bytes(b) | AvroValue::Fixed(_, b) => bytes(schema, b),
        AvroValue::Decimal(d) => {
            let unscaled: num_bigint::BigInt = d.into();
            match schema.decimal_scale() {
                Some(scale) => Value::Decimal(Decimal::new(unscaled, scale)),
                None => Value::Bytes(unscaled.to_signed_bytes_be().into()),
            }
        }
        AvroValue::Duration(d) => {
            let bytes: [u8; 12] = d.into();
            Value::Bytes(bytes.to_vec().into())
        }
        AvroValue::Array(items) => {
            let AvroSchema::Array(array) = avro else {
                return Err(data_error(
                    "an Avro array value for a schema that is not an array",
                ));
            };
            match schema.schema_type {
                SchemaType::Map => {
                    let (ks, vs) = match (&schema.key_schema, &schema.value_schema) {
                        (Some(k), Some(v)) => (k, v),
                        _ => return Err(data_error("a MAP schema without key or value schema")),
                    };
                    let entry = names.resolve(&array.items)?;
                    let AvroSchema::Record(entry) = entry else {
                        return Err(data_error("a map encoded as an array of non-records"));
                    };
                    let field_schema = |name: &str| {
                        entry
                            .lookup
                            .get(name)
                            .map(|i| &entry.fields[*i].schema)
                            .ok_or_else(|| data_error(format!("a map entry without {name}")))
                    };
                    let (ka, va) = (field_schema("key")?, field_schema("value")?);
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        let AvroValue::Record(fields) = item else {
                            return Err(data_error("a map entry that is not a record"));
                        };
                        let mut k = None;
                        let mut v = None;
                        for (name, value) in fields {
                            match name.as_str() {
                                "key" => k = Some(value),
                                "value" => v = Some(value),
                                _ => {}
                            }
                        }
                        out.push((
                            connect_value(ks, names, ka, k.unwrap_or(AvroValue::Null))?,
                            connect_value(vs, names, va, v.unwrap_or(AvroValue::Null))?,
                        ));
                    }
                    Value::Map(out)
                }
                SchemaType::Array => {
                    let is = schema
                        .value_schema
                        .as_ref()
                        .ok_or_else(|| data_error("an ARRAY schema without an element schema"))?;
                    Value::Array(
                        items
                            .into_iter()
                            .map(|i| connect_value(is, names, &array.items, i))
                            .collect::<ConnectResult<_>>()?,
                    )
                }
                _ => {
                    return Err(data_error(
                        "an Avro array for a schema that is no array or map",
                    ))
                }
            }
        }
        AvroValue::Map(entries) => {
            let AvroSchema::Map(map) = avro else {
                return Err(data_error(
                    "an Avro map value for a schema that is not a map",
                ));
            };
            let vs = schema
                .value_schema
                .as_ref()
                .ok_or_else(|| data_error("a MAP schema without a value schema"))?;
            let mut entries: Vec<_> = entries.into_iter().collect();
            // Avro maps have no order; sorting keeps output reproducible.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Ok((Value::String(k), connect_value(vs, names, &map.types, v)?)))
                    .collect::<ConnectResult<_>>()?,
            )
        }
        AvroValue::Record(fields) => {
            let AvroSchema::Record(record) = avro else {
                return Err(data_error(
                    "an Avro record value for a schema that is not a record",
                ));
            };
            if schema.schema_type != SchemaType::Struct {
                return Err(data_error(format!(
                    "an Avro record for a {} schema",
                    schema.schema_type
                )));
            }
            let mut by_name: Vec<Option<AvroValue>> = Vec::with_capacity(fields.len());
            let mut names_in_order = Vec::with_capacity(fields.len());
            for (n, v) in fields {
                names_in_order.push(n);
                by_name.push(Some(v));
            }
            let mut values = Vec::with_capacity(schema.fields.len());
            for f in &schema.fields {
                let pos = names_in_order
                    .iter()
                    .position(|n| *n == f.name)
                    .ok_or_else(|| {
                        data_error(format!("the Avro record has no field {}", f.name))
                    })?;
                let avro_field = record
                    .lookup
                    .get(&f.name)
                    .map(|i| &record.fields[*i].schema)
                    .ok_or_else(|| {
                        data_error(format!("the Avro schema has no field {}", f.name))
                    })?;
                let v = by_name[pos].take().unwrap_or(AvroValue::Null);
                values.push(
                    connect_value(&f.schema, names, avro_field, v)
                        .map_err(|e| data_error(format!("field {}: {e}", f.name)))?,
                );
            }
            Value::Struct(Struct::from_values(Arc::clone(schema), values)?)
        }
        other => {
            return Err(data_error(format!(
                "Avro values of this kind are not supported: {other:?}"
            )))
        }
    })
}

fn null(schema: &SchemaRef) -> ConnectResult<Value> {
    if schema.optional {
        Ok(Value::Null)
    } else {
        Err(data_error(format!(
            "found null value for non-optional {} schema",
            schema.schema_type
        )))
    }
}

fn bytes(schema: &SchemaRef, b: Vec<u8>) -> Value {
    match schema.decimal_scale() {
        Some(scale) => Value::Decimal(Decimal::from_unscaled_bytes(&b, scale)),
        None => Value::Bytes(b.into()),
    }
}
