//! Avro schema JSON → Connect schema, as `AvroData.toConnectSchema` maps
//! it. The JSON is read directly (not through a parsed Avro schema) because
//! the `connect.*` properties on primitive types carry the Connect types
//! and names Avro itself has no place for.

use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use super::{
    data_error, split_name, AvroDataConfig, AVRO_ENUM_DEFAULT_PREFIX_PROP,
    AVRO_ENUM_DOC_PREFIX_PROP, AVRO_FIELD_DEFAULT_FLAG_PROP, AVRO_FIELD_DOC_PREFIX_PROP,
    AVRO_PROP_PREFIX, AVRO_RECORD_DOC_PROP, AVRO_TYPE_ENUM, AVRO_TYPE_UNION,
    CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT, CONNECT_AVRO_DECIMAL_PRECISION_PROP,
    CONNECT_DEFAULT_VALUE_PROP, CONNECT_DOC_PROP, CONNECT_INTERNAL_TYPE_NAME, CONNECT_NAME_PROP,
    CONNECT_PARAMETERS_PROP, CONNECT_TYPE_PROP, CONNECT_VERSION_PROP, DEFAULT_SCHEMA_FULL_NAME,
    LOGICAL_TYPE_PROP, MAP_ENTRY_TYPE_NAME, NAMESPACE,
};
use crate::data::{logical, Decimal, Struct};
use crate::{ConnectResult, Schema, SchemaBuilder, SchemaRef, SchemaType, Value};

/// The Connect schema of an Avro schema's JSON text.
pub(super) fn connect_schema(
    config: &AvroDataConfig,
    text: &str,
    version: Option<i32>,
) -> ConnectResult<SchemaRef> {
    let json: Json = serde_json::from_str(text)
        .map_err(|e| data_error(format!("the Avro schema is not JSON: {e}")))?;
    let mut reader = Reader {
        config,
        names: HashMap::new(),
        in_progress: HashSet::new(),
    };
    reader.schema(&json, None, false, None, version)
}

/// Reserved attributes of an Avro schema object; every other key is a
/// property.
const RESERVED: [&str; 11] = [
    "type",
    "name",
    "namespace",
    "doc",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "aliases",
    "default",
];

/// One resolved Avro type: its JSON and the namespace names inside it are
/// relative to.
#[derive(Clone)]
struct At<'j> {
    json: &'j Json,
    space: Option<String>,
}

struct Reader<'c, 'j> {
    config: &'c AvroDataConfig,
    /// Named types defined so far, by full name.
    names: HashMap<String, At<'j>>,
    /// Named types being converted (a reference to one is a recursion).
    in_progress: HashSet<String>,
}

fn type_name(json: &Json) -> Option<&str> {
    match json {
        Json::String(s) => Some(s),
        Json::Object(o) => o.get("type").and_then(Json::as_str),
        _ => None,
    }
}

fn prop<'j>(json: &'j Json, key: &str) -> Option<&'j Json> {
    json.as_object().and_then(|o| o.get(key))
}

fn prop_str<'j>(json: &'j Json, key: &str) -> Option<&'j str> {
    prop(json, key).and_then(Json::as_str)
}

/// The full name of a named type's definition, and its namespace.
fn full_name(json: &Json, space: Option<&str>) -> ConnectResult<(String, Option<String>)> {
    let name =
        prop_str(json, "name").ok_or_else(|| data_error("an Avro named type without a name"))?;
    if name.contains('.') {
        let (ns, _) = split_name(name);
        return Ok((name.to_string(), ns.map(str::to_string)));
    }
    let ns = match prop_str(json, "namespace") {
        Some("") => None,
        Some(ns) => Some(ns),
        None => space,
    };
    Ok(match ns {
        Some(ns) => (format!("{ns}.{name}"), Some(ns.to_string())),
        None => (name.to_string(), None),
    })
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

impl<'j> Reader<'_, 'j> {
    /// Follows a name reference, or returns the schema as it is.
    fn resolve(
        &self,
        json: &'j Json,
        space: Option<&str>,
    ) -> ConnectResult<(At<'j>, Option<String>)> {
        let name = match json {
            Json::String(s) if !PRIMITIVES.contains(&s.as_str()) => s.as_str(),
            Json::Object(o) => match o.get("type") {
                // {"type": "com.example.Named"} is a reference too.
                Some(Json::String(s))
                    if !PRIMITIVES.contains(&s.as_str())
                        && !["record", "error", "enum", "fixed", "array", "map"]
                            .contains(&s.as_str()) =>
                {
                    s.as_str()
                }
                _ => {
                    return Ok((
                        At {
                            json,
                            space: space.map(str::to_string),
                        },
                        None,
                    ))
                }
            },
            _ => {
                return Ok((
                    At {
                        json,
                        space: space.map(str::to_string),
                    },
                    None,
                ))
            }
        };
        let candidates = [
            space.map(|ns| format!("{ns}.{name}")),
            Some(name.to_string()),
        ];
        for full in candidates.into_iter().flatten() {
            if let Some(at) = self.names.get(&full) {
                return Ok((at.clone(), Some(full)));
            }
        }
        Err(data_error(format!(
            "the Avro schema refers to an undefined type {name}"
        )))
    }

    /// `toConnectSchema(schema, forceOptional, fieldDefaultVal, …, version)`.
    /// `field_default` is the Avro field's default (`Some(Json::Null)` for
    /// a default of null).
    fn schema(
        &mut self,
        json: &'j Json,
        space: Option<&str>,
        force_optional: bool,
        field_default: Option<&'j Json>,
        version: Option<i32>,
    ) -> ConnectResult<SchemaRef> {
        let (at, reference) = self.resolve(json, space)?;
        if let Some(full) = &reference {
            if self.in_progress.contains(full) {
                return Err(data_error(format!(
                    "the Avro schema is recursive ({full} contains itself); recursive schemas are not supported"
                )));
            }
        }
        let json = at.json;
        let space = at.space.as_deref();
        let kind = match json {
            Json::Array(_) => "union",
            j => type_name(j).ok_or_else(|| data_error(format!("not an Avro schema: {j}")))?,
        };
        let connect_type = prop_str(json, CONNECT_TYPE_PROP);
        let logical_type = prop_str(json, LOGICAL_TYPE_PROP);
        let is_logical = |name: &str| logical_type.is_some_and(|l| l.eq_ignore_ascii_case(name));

        let mut builder = match kind {
            "boolean" => SchemaBuilder::new(SchemaType::Boolean),
            "bytes" | "fixed" => {
                if kind == "fixed" {
                    self.define(json, space)?;
                }
                if is_logical("decimal") {
                    let scale = prop(json, "scale").and_then(Json::as_i64).ok_or_else(|| {
                        data_error("scale must be specified and must be a number.")
                    })?;
                    let mut b = logical::decimal(scale as i32);
                    if let Some(p) = prop(json, "precision") {
                        let p = p.as_i64().ok_or_else(|| {
                            data_error("precision property must be a JSON Integer.")
                        })?;
                        if p != CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT {
                            b = b.parameter(CONNECT_AVRO_DECIMAL_PRECISION_PROP, p.to_string());
                        }
                    }
                    b
                } else {
                    SchemaBuilder::new(SchemaType::Bytes)
                }
            }
            "double" => SchemaBuilder::new(SchemaType::Float64),
            "float" => SchemaBuilder::new(SchemaType::Float32),
            "int" => match (connect_type, logical_type) {
                (None, None) => SchemaBuilder::new(SchemaType::Int32),
                (_, Some(_)) if is_logical("date") => logical::date(),
                (_, Some(_)) if is_logical("time-millis") => logical::time(),
                (_, Some(_)) => SchemaBuilder::new(SchemaType::Int32),
                (Some("int8"), None) => SchemaBuilder::new(SchemaType::Int8),
                (Some("int16"), None) => SchemaBuilder::new(SchemaType::Int16),
                (Some(other), None) => {
                    return Err(data_error(format!(
                        "unknown Connect type annotation connect.type={other:?} on an Avro int"
                    )))
                }
            },
            "long" if is_logical("timestamp-millis") => logical::timestamp(),
            "long" => SchemaBuilder::new(SchemaType::Int64),
            "string" => SchemaBuilder::new(SchemaType::String),
            "array" => {
                let items =
                    prop(json, "items").ok_or_else(|| data_error("an Avro array without items"))?;
                let (item, _) = self.resolve(items, space)?;
                if self.is_map_entry(item.json, item.space.as_deref())? {
                    self.define(item.json, item.space.as_deref())?;
                    let (key, value) = entry_fields(item.json)?;
                    let item_space = full_name(item.json, item.space.as_deref())?.1;
                    let k = self.schema(key, item_space.as_deref(), false, None, None)?;
                    let v = self.schema(value, item_space.as_deref(), false, None, None)?;
                    SchemaBuilder::map(k, v)
                } else {
                    SchemaBuilder::array(self.schema(items, space, false, None, None)?)
                }
            }
            "map" => {
                let values =
                    prop(json, "values").ok_or_else(|| data_error("an Avro map without values"))?;
                SchemaBuilder::map(
                    Schema::string(),
                    self.schema(values, space, false, None, None)?,
                )
            }
            "record" | "error" => {
                let (full, ns) = self.define(json, space)?;
                self.in_progress.insert(full.clone());
                let inner_space = ns.as_deref();
                let mut b = SchemaBuilder::struct_();
                if self.config.connect_meta_data {
                    if let Some(doc) = prop_str(json, "doc") {
                        b = b.parameter(AVRO_RECORD_DOC_PROP, doc);
                    }
                }
                let fields = prop(json, "fields")
                    .and_then(Json::as_array)
                    .ok_or_else(|| data_error(format!("Avro record {full} has no fields array")))?;
                for f in fields {
                    let name = prop_str(f, "name")
                        .ok_or_else(|| data_error(format!("a field of {full} has no name")))?;
                    if self.config.connect_meta_data {
                        if let Some(doc) = prop_str(f, "doc") {
                            b = b.parameter(format!("{AVRO_FIELD_DOC_PREFIX_PROP}{name}"), doc);
                        }
                    }
                    let t = prop(f, "type")
                        .ok_or_else(|| data_error(format!("field {full}.{name} has no type")))?;
                    let s = self
                        .schema(t, inner_space, false, prop(f, "default"), None)
                        .map_err(|e| data_error(format!("field {name}: {e}")))?;
                    b = b.field(name, s);
                }
                self.in_progress.remove(&full);
                b
            }
            "enum" => {
                let (full, _) = self.define(json, space)?;
                let short = split_name(&full).1.to_string();
                let mut b = SchemaBuilder::new(SchemaType::String);
                if self.config.connect_meta_data {
                    if let Some(doc) = prop_str(json, "doc") {
                        b = b.parameter(format!("{AVRO_ENUM_DOC_PREFIX_PROP}{short}"), doc);
                    }
                    if let Some(d) = prop_str(json, "default") {
                        b = b.parameter(format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{short}"), d);
                    }
                }
                b = b.parameter(AVRO_TYPE_ENUM, full.as_str());
                for s in prop(json, "symbols")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    let s = s.as_str().ok_or_else(|| {
                        data_error(format!("enum {full} has a non-string symbol"))
                    })?;
                    b = b.parameter(format!("{AVRO_TYPE_ENUM}.{s}"), s);
                }
                b
            }
            "union" => {
                let members = json.as_array().expect("a union is an array");
                let is_null = |m: &Json| type_name(m) == Some("null");
                if members.len() == 2 && members.iter().any(is_null) {
                    let other = members.iter().find(|m| !is_null(m)).unwrap_or(&members[0]);
                    if !is_null(other) {
                        return self.schema(other, space, true, None, None);
                    }
                }
                let mut b = SchemaBuilder::struct_().name(AVRO_TYPE_UNION);
                let mut seen = HashSet::new();
                for m in members {
                    if is_null(m) {
                        b = b.optional();
                        continue;
                    }
                    let field = self.member_name(m, space)?;
                    if !seen.insert(field.clone()) {
                        return Err(data_error(format!(
                            "multiple union schemas map to the Connect union field name {field}"
                        )));
                    }
                    let s = self.schema(m, space, true, None, None)?;
                    b = b.field(field, s);
                }
                b
            }
            "null" => {
                return Err(data_error(
                    "standalone null schemas are not supported by this converter",
                ))
            }
            other => {
                return Err(data_error(format!(
                    "couldn't translate unsupported schema type {other}"
                )))
            }
        };

        // Properties after the type: doc, version, parameters, avro.*,
        // defaults, name.
        if self.config.connect_meta_data {
            if let Some(doc) = prop_str(json, CONNECT_DOC_PROP) {
                builder = builder.doc(doc);
            }
        }
        let own_version = match prop(json, CONNECT_VERSION_PROP) {
            Some(v) => Some(
                v.as_i64()
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| data_error(format!("invalid Connect version found: {v}")))?,
            ),
            None => version,
        };
        if let Some(v) = own_version.filter(|v| *v >= 0) {
            let current = builder.clone().build_owned().version;
            match current {
                Some(c) if c != v => {
                    return Err(data_error(format!(
                        "mismatched versions: the schema's version {c} differs from version {v} in the Avro schema"
                    )))
                }
                _ => builder = builder.version(v),
            }
        }
        if self.config.connect_meta_data {
            if let Some(params) = prop(json, CONNECT_PARAMETERS_PROP) {
                let params = params.as_object().ok_or_else(|| {
                    data_error(format!(
                        "expected JSON object for schema parameters but found: {params}"
                    ))
                })?;
                for (k, v) in params {
                    let v = v.as_str().ok_or_else(|| {
                        data_error(format!(
                            "expected schema parameter values to be strings but found: {v}"
                        ))
                    })?;
                    builder = builder.parameter(k, v);
                }
            }
        }
        if let Json::Object(o) = json {
            for (k, v) in o {
                if k.starts_with(AVRO_PROP_PREFIX) && !RESERVED.contains(&k.as_str()) {
                    let text = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    builder = builder.parameter(k, text);
                }
            }
        }
        let connect_default = prop(json, CONNECT_DEFAULT_VALUE_PROP);
        let default = match field_default {
            None => connect_default,
            Some(d) => {
                if connect_default.is_none() {
                    builder = builder.parameter(AVRO_FIELD_DEFAULT_FLAG_PROP, "true");
                }
                Some(d)
            }
        };
        let connect_name = match prop(json, CONNECT_NAME_PROP) {
            Some(Json::String(n)) => Some(n.clone()),
            Some(other) => return Err(data_error(format!("invalid schema name: {other}"))),
            None if matches!(kind, "record" | "error" | "enum") => Some(full_name(json, space)?.0),
            None => None,
        };
        if let Some(name) = connect_name.filter(|n| n != DEFAULT_SCHEMA_FULL_NAME) {
            let current = builder.clone().build_owned().name;
            match current {
                Some(c) if c != name => {
                    return Err(data_error(format!(
                        "mismatched names: the schema's name {c} differs from name {name} in the Avro schema"
                    )))
                }
                _ => builder = builder.name(name),
            }
        }
        if force_optional {
            builder = builder.optional();
        }
        if let Some(d) = default {
            let shape = builder.clone().build_owned();
            let value = default_value(self, &shape, json, space, d)?;
            if !value.is_null() {
                builder = builder.default_value(value);
            }
        }
        Ok(builder.build())
    }

    /// Records a named type's definition; returns its full name and
    /// namespace.
    fn define(
        &mut self,
        json: &'j Json,
        space: Option<&str>,
    ) -> ConnectResult<(String, Option<String>)> {
        let (full, ns) = full_name(json, space)?;
        self.names.entry(full.clone()).or_insert(At {
            json,
            space: space.map(str::to_string),
        });
        Ok((full, ns))
    }

    fn is_map_entry(&self, json: &Json, space: Option<&str>) -> ConnectResult<bool> {
        if type_name(json) != Some("record") {
            return Ok(false);
        }
        let (full, _) = full_name(json, space)?;
        Ok(full == format!("{NAMESPACE}.{MAP_ENTRY_TYPE_NAME}")
            || prop_str(json, CONNECT_INTERNAL_TYPE_NAME) == Some(MAP_ENTRY_TYPE_NAME))
    }

    /// The Connect field name of a union branch (`unionMemberFieldName`).
    fn member_name(&self, member: &'j Json, space: Option<&str>) -> ConnectResult<String> {
        let (at, _) = self.resolve(member, space)?;
        Ok(match type_name(at.json) {
            Some("record" | "error" | "enum") => {
                let (full, _) = full_name(at.json, at.space.as_deref())?;
                if self.config.enhanced_avro_schema_support {
                    full
                } else {
                    split_name(&full).1.to_string()
                }
            }
            Some(t) => t.to_string(),
            None => "union".to_string(),
        })
    }
}

fn entry_fields(json: &Json) -> ConnectResult<(&Json, &Json)> {
    let fields = prop(json, "fields").and_then(Json::as_array);
    let find = |n: &str| {
        fields
            .into_iter()
            .flatten()
            .find(|f| prop_str(f, "name") == Some(n))
            .and_then(|f| prop(f, "type"))
    };
    match (fields.map(Vec::len), find("key"), find("value")) {
        (Some(2), Some(k), Some(v)) => Ok((k, v)),
        _ => Err(data_error(
            "found map encoded as array of key-value pairs, but array elements do not match the expected format",
        )),
    }
}

/// A JSON default (an Avro field default or `connect.default`) as the
/// Connect value of `schema` (`defaultValueFromAvro`).
fn default_value<'j>(
    reader: &Reader<'_, 'j>,
    schema: &Schema,
    avro: &'j Json,
    space: Option<&str>,
    value: &Json,
) -> ConnectResult<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let (at, _) = reader.resolve(avro, space)?;
    let bad = || {
        data_error(format!(
            "invalid default {value} for a {} schema",
            schema.schema_type
        ))
    };
    let kind = match at.json {
        Json::Array(_) => "union",
        j => type_name(j).unwrap_or(""),
    };
    Ok(match kind {
        "int" => {
            let i = value.as_i64().ok_or_else(bad)?;
            match schema.schema_type {
                SchemaType::Int8 => Value::Int8(i8::try_from(i).map_err(|_| bad())?),
                SchemaType::Int16 => Value::Int16(i16::try_from(i).map_err(|_| bad())?),
                _ => Value::Int32(i32::try_from(i).map_err(|_| bad())?),
            }
        }
        "long" => Value::Int64(value.as_i64().ok_or_else(bad)?),
        "float" => Value::Float32(value.as_f64().ok_or_else(bad)? as f32),
        "double" => Value::Float64(value.as_f64().ok_or_else(bad)?),
        "boolean" => Value::Boolean(value.as_bool().ok_or_else(bad)?),
        "string" | "enum" => Value::String(value.as_str().ok_or_else(bad)?.to_string()),
        "bytes" | "fixed" => {
            let text = value.as_str().ok_or_else(bad)?;
            let bytes = text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| bad()))
                .collect::<ConnectResult<Vec<u8>>>()?;
            match schema.decimal_scale() {
                Some(scale) => Value::Decimal(Decimal::from_unscaled_bytes(&bytes, scale)),
                None => Value::Bytes(bytes.into()),
            }
        }
        "array" => {
            let items = value.as_array().ok_or_else(bad)?;
            let item_avro = prop(at.json, "items").ok_or_else(bad)?;
            match schema.schema_type {
                SchemaType::Map => {
                    // A map without string keys: [[k, v], …] (connect.default)
                    // or [{"key": k, "value": v}, …] (an Avro default).
                    let (entry, _) = reader.resolve(item_avro, at.space.as_deref())?;
                    let (ka, va) = entry_fields(entry.json)?;
                    let ks = schema.key_schema.as_deref().ok_or_else(bad)?;
                    let vs = schema.value_schema.as_deref().ok_or_else(bad)?;
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        let (k, v) = match item {
                            Json::Array(kv) if kv.len() == 2 => (&kv[0], &kv[1]),
                            Json::Object(o) => (
                                o.get("key").unwrap_or(&Json::Null),
                                o.get("value").unwrap_or(&Json::Null),
                            ),
                            _ => return Err(bad()),
                        };
                        out.push((
                            default_value(reader, ks, ka, entry.space.as_deref(), k)?,
                            default_value(reader, vs, va, entry.space.as_deref(), v)?,
                        ));
                    }
                    Value::Map(out)
                }
                _ => {
                    let is = schema.value_schema.as_deref().ok_or_else(bad)?;
                    Value::Array(
                        items
                            .iter()
                            .map(|i| default_value(reader, is, item_avro, at.space.as_deref(), i))
                            .collect::<ConnectResult<_>>()?,
                    )
                }
            }
        }
        "map" => {
            let entries = value.as_object().ok_or_else(bad)?;
            let va = prop(at.json, "values").ok_or_else(bad)?;
            let vs = schema.value_schema.as_deref().ok_or_else(bad)?;
            Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        Ok((
                            Value::String(k.clone()),
                            default_value(reader, vs, va, at.space.as_deref(), v)?,
                        ))
                    })
                    .collect::<ConnectResult<_>>()?,
            )
        }
        "record" | "error" => {
            let object = value.as_object().ok_or_else(bad)?;
            let (_, ns) = full_name(at.json, at.space.as_deref())?;
            let inner_space = ns.as_deref();
            let schema_ref = std::sync::Arc::new(schema.clone());
            let mut out = Struct::new(std::sync::Arc::clone(&schema_ref));
            for f in prop(at.json, "fields")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let name = prop_str(f, "name").ok_or_else(bad)?;
                let Some(cf) = schema.field(name) else {
                    continue;
                };
                let fa = prop(f, "type").ok_or_else(bad)?;
                let fv = object.get(name).unwrap_or(&Json::Null);
                out.put(
                    name,
                    default_value(reader, &cf.schema, fa, inner_space, fv)?,
                )?;
            }
            Value::Struct(out)
        }
        "union" => {
            // An Avro union default belongs to its first branch.
            let members = at.json.as_array().ok_or_else(bad)?;
            let first = members.first().ok_or_else(bad)?;
            if type_name(first) == Some("null") {
                Value::Null
            } else if schema.name.as_deref() == Some(AVRO_TYPE_UNION) {
                let field = reader.member_name(first, at.space.as_deref())?;
                let fs = schema.field(&field).ok_or_else(bad)?;
                let v = default_value(reader, &fs.schema, first, at.space.as_deref(), value)?;
                let mut s = Struct::new(std::sync::Arc::new(schema.clone()));
                s.put(&field, v)?;
                Value::Struct(s)
            } else {
                default_value(reader, schema, first, at.space.as_deref(), value)?
            }
        }
        _ => Value::Null,
    })
}
