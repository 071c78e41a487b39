//! Connect schemas ↔ the JSON schema format of Kafka's envelope
//! (`JsonConverter.asJsonSchema` / `asConnectSchema`).
//!
//! ```json
//! {"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"com.example.Order","version":1}
//! ```
//!
//! Keys come in Kafka's order: `type`, then `items` (array), `keys` and
//! `values` (map) or `fields` (struct), then `optional`, `name`, `version`,
//! `doc`, `parameters`, `default`, and for a struct field its `field` name
//! last. `name`, `version`, `doc`, `parameters` and `default` are left out
//! when the schema has none.

use serde::Deserialize;
use serde_json::value::RawValue;

use ferry_api::data::{Schema, SchemaBuilder, SchemaRef, SchemaType};
use ferry_api::error::{ConnectError, ConnectResult};

use super::config::JsonConverterConfig;
use super::read::read_value;
use super::write::Writer;

/// The JSON type name of a schema type (`float` and `double` for FLOAT32 and
/// FLOAT64, as Kafka's `JsonSchema`).
fn json_type_name(t: SchemaType) -> &'static str {
    match t {
        SchemaType::Float32 => "float",
        SchemaType::Float64 => "double",
        other => other.connect_name(),
    }
}

/// Appends a schema's JSON to `out`. The `default`, if any, is written with
/// `cfg` (it matters for Decimal defaults).
pub fn write_schema(
    schema: &Schema,
    cfg: &JsonConverterConfig,
    out: &mut Vec<u8>,
) -> ConnectResult<()> {
    write_schema_node(schema, None, &mut Writer { cfg, out })
}

/// A schema as Kafka's envelope JSON; see the module docs for the format.
pub fn schema_to_json(
    schema: &Schema,
    cfg: &JsonConverterConfig,
) -> ConnectResult<serde_json::Value> {
    let mut out = Vec::with_capacity(128);
    write_schema(schema, cfg, &mut out)?;
    serde_json::from_slice(&out)
        .map_err(|e| ConnectError::data(format!("JSON written for a schema did not parse: {e}")))
}

fn write_schema_node(
    schema: &Schema,
    field: Option<&str>,
    w: &mut Writer<'_>,
) -> ConnectResult<()> {
    w.raw(b"{\"type\":");
    w.string(json_type_name(schema.schema_type));
    match schema.schema_type {
        SchemaType::Array => {
            w.raw(b",\"items\":");
            write_optional_schema(schema.value_schema.as_deref(), w)?;
        }
        SchemaType::Map => {
            w.raw(b",\"keys\":");
            write_optional_schema(schema.key_schema.as_deref(), w)?;
            w.raw(b",\"values\":");
            write_optional_schema(schema.value_schema.as_deref(), w)?;
        }
        SchemaType::Struct => {
            w.raw(b",\"fields\":[");
            for (i, f) in schema.fields.iter().enumerate() {
                if i > 0 {
                    w.raw(b",");
                }
                write_schema_node(&f.schema, Some(&f.name), w)?;
            }
            w.raw(b"]");
        }
        _ => {}
    }
    w.raw(if schema.optional {
        b",\"optional\":true"
    } else {
        b",\"optional\":false"
    });
    if let Some(name) = &schema.name {
        w.raw(b",\"name\":");
        w.string(name);
    }
    if let Some(version) = schema.version {
        w.raw(b",\"version\":");
        w.int(version);
    }
    if let Some(doc) = &schema.doc {
        w.raw(b",\"doc\":");
        w.string(doc);
    }
    if !schema.parameters.is_empty() {
        w.raw(b",\"parameters\":{");
        for (i, (k, v)) in schema.parameters.iter().enumerate() {
            if i > 0 {
                w.raw(b",");
            }
            w.string(k);
            w.raw(b":");
            w.string(v);
        }
        w.raw(b"}");
    }
    if let Some(default) = schema.default.as_ref().filter(|d| !d.is_null()) {
        w.raw(b",\"default\":");
        w.value(Some(schema), default)?;
    }
    if let Some(field) = field {
        w.raw(b",\"field\":");
        w.string(field);
    }
    w.raw(b"}");
    Ok(())
}

fn write_optional_schema(schema: Option<&Schema>, w: &mut Writer<'_>) -> ConnectResult<()> {
    match schema {
        Some(s) => write_schema_node(s, None, w),
        None => {
            w.raw(b"null");
            Ok(())
        }
    }
}

/// A schema from Kafka's envelope JSON (the inverse of [`schema_to_json`]).
/// Unknown keys are ignored; an unknown `type` is an error.
pub fn schema_from_json(json: &serde_json::Value) -> ConnectResult<SchemaRef> {
    let node = SchemaNode::deserialize(json).map_err(schema_error)?;
    build(node)
}

/// A schema from the text of its JSON (the converter's cache-miss path,
/// exact for Decimal defaults).
pub(crate) fn schema_from_text(text: &str) -> ConnectResult<SchemaRef> {
    let node: SchemaNode = serde_json::from_str(text).map_err(schema_error)?;
    build(node)
}

fn schema_error(e: serde_json::Error) -> ConnectError {
    ConnectError::data(format!("Invalid schema in JSON envelope: {e}"))
}

/// One schema object as written in JSON. Loosely typed where Kafka is lenient
/// (`name`, `version`, `doc` of the wrong type are ignored).
#[derive(Deserialize)]
struct SchemaNode {
    #[serde(rename = "type")]
    type_name: Option<serde_json::Value>,
    optional: Option<serde_json::Value>,
    name: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
    doc: Option<serde_json::Value>,
    parameters: Option<serde_json::Value>,
    default: Option<Box<RawValue>>,
    items: Option<Box<SchemaNode>>,
    keys: Option<Box<SchemaNode>>,
    values: Option<Box<SchemaNode>>,
    fields: Option<Vec<SchemaNode>>,
    field: Option<serde_json::Value>,
}

fn build(node: SchemaNode) -> ConnectResult<SchemaRef> {
    use serde_json::Value as J;
    let type_name = match &node.type_name {
        Some(J::String(s)) => s.as_str(),
        _ => return Err(ConnectError::data("Schema must contain 'type' field")),
    };
    let mut b = match type_name {
        "boolean" => SchemaBuilder::new(SchemaType::Boolean),
        "int8" => SchemaBuilder::new(SchemaType::Int8),
        "int16" => SchemaBuilder::new(SchemaType::Int16),
        "int32" => SchemaBuilder::new(SchemaType::Int32),
        "int64" => SchemaBuilder::new(SchemaType::Int64),
        "float" => SchemaBuilder::new(SchemaType::Float32),
        "double" => SchemaBuilder::new(SchemaType::Float64),
        "bytes" => SchemaBuilder::new(SchemaType::Bytes),
        "string" => SchemaBuilder::new(SchemaType::String),
        "array" => {
            let items = node.items.ok_or_else(|| {
                ConnectError::data("Array schema did not specify the element type")
            })?;
            SchemaBuilder::array(build(*items)?)
        }
        "map" => {
            let keys = node
                .keys
                .ok_or_else(|| ConnectError::data("Map schema did not specify the key type"))?;
            let values = node
                .values
                .ok_or_else(|| ConnectError::data("Map schema did not specify the value type"))?;
            SchemaBuilder::map(build(*keys)?, build(*values)?)
        }
        "struct" => {
            let Some(fields) = node.fields else {
                return Err(ConnectError::data(
                    "Struct schema's \"fields\" argument is not an array.",
                ));
            };
            let mut b = SchemaBuilder::struct_();
            for mut field_node in fields {
                let Some(J::String(name)) = field_node.field.take() else {
                    return Err(ConnectError::data(
                        "Struct schema's field name not specified properly",
                    ));
                };
                b = b.field(name, build(field_node)?);
            }
            b
        }
        other => return Err(ConnectError::data(format!("Unknown schema type: {other}"))),
    };
    b = b.set_optional(matches!(node.optional, Some(J::Bool(true))));
    if let Some(J::String(name)) = node.name {
        b = b.name(name);
    }
    if let Some(version) = node.version.as_ref().and_then(J::as_i64) {
        b = b.version(version as i32);
    }
    if let Some(J::String(doc)) = node.doc {
        b = b.doc(doc);
    }
    if let Some(J::Object(params)) = node.parameters {
        for (k, v) in params {
            let J::String(v) = v else {
                return Err(ConnectError::data(
                    "Schema parameters must have string values.",
                ));
            };
            b = b.parameter(k, v);
        }
    }
    if let Some(raw) = node.default {
        let without_default = b.clone().build();
        let default = read_value(
            Some(&without_default),
            raw.get().as_bytes(),
            &JsonConverterConfig::default(),
        )?;
        if !default.is_null() {
            b = b.default_value(default);
        }
    }
    Ok(b.build())
}
