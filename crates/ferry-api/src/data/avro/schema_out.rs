//! Connect schema → Avro schema JSON, as `AvroData.fromConnectSchema`
//! builds it and Avro's Java `Schema.toString()` prints it (attribute
//! order, namespaces relative to the enclosing record, named types written
//! once and referred to by name afterwards).

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

use super::{
    data_error, split_name, AvroDataConfig, AVRO_ENUM_DEFAULT_PREFIX_PROP,
    AVRO_ENUM_DOC_PREFIX_PROP, AVRO_FIELD_DEFAULT_FLAG_PROP, AVRO_FIELD_DOC_PREFIX_PROP,
    AVRO_PROP_PREFIX, AVRO_RECORD_DOC_PROP, AVRO_TYPE_ENUM, AVRO_TYPE_UNION,
    CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT, CONNECT_AVRO_DECIMAL_PRECISION_PROP,
    CONNECT_DEFAULT_VALUE_PROP, CONNECT_DOC_PROP, CONNECT_INTERNAL_TYPE_NAME, CONNECT_NAME_PROP,
    CONNECT_PARAMETERS_PROP, CONNECT_TYPE_PROP, CONNECT_VERSION_PROP, LOGICAL_TYPE_PROP,
    MAP_ENTRY_TYPE_NAME, NAMESPACE,
};
use crate::data::logical;
use crate::{ConnectResult, Schema, SchemaType, Value};

const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";

/// Avro properties in insertion order; adding an existing key keeps the
/// first value (Java's `addProp` accepts only an equal one).
#[derive(Debug, Clone, PartialEq, Default)]
struct Props(Vec<(String, Json)>);

impl Props {
    fn add(&mut self, key: &str, value: Json) {
        if !self.0.iter().any(|(k, _)| k == key) {
            self.0.push((key.to_string(), value));
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct FullName {
    namespace: Option<String>,
    name: String,
}

impl FullName {
    fn of(full: &str) -> Self {
        let (namespace, name) = split_name(full);
        FullName {
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }

    fn full(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct AvroField {
    name: String,
    schema: Node,
    doc: Option<String>,
    default: Option<Json>,
}

/// An Avro schema under construction.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Primitive(&'static str, Props),
    Array(Box<Node>, Props),
    Map(Box<Node>, Props),
    Record {
        name: FullName,
        doc: Option<String>,
        fields: Vec<AvroField>,
        props: Props,
    },
    Enum {
        name: FullName,
        doc: Option<String>,
        symbols: Vec<String>,
        default: Option<String>,
        props: Props,
    },
    Union(Vec<Node>),
}

impl Node {
    fn props_mut(&mut self) -> Option<&mut Props> {
        match self {
            Node::Primitive(_, p) | Node::Array(_, p) | Node::Map(_, p) => Some(p),
            Node::Record { props, .. } | Node::Enum { props, .. } => Some(props),
            Node::Union(_) => None,
        }
    }
}

/// The Avro schema JSON text of a Connect schema.
pub(super) fn avro_schema_text(config: &AvroDataConfig, schema: &Schema) -> ConnectResult<String> {
    let node = Builder { config }.node(schema, false)?;
    let json = Printer::default().print(&node)?;
    Ok(json.to_string())
}

struct Builder<'a> {
    config: &'a AvroDataConfig,
}

fn is_named(schema: &Schema, logical_name: &str) -> bool {
    schema
        .name
        .as_deref()
        .is_some_and(|n| n.eq_ignore_ascii_case(logical_name))
}

fn parse_int(schema: &Schema, key: &str) -> ConnectResult<Option<i64>> {
    schema
        .parameter(key)
        .map(|v| {
            v.trim().parse::<i64>().map_err(|_| {
                data_error(format!(
                    "parameter {key}={v:?} of schema {} is not an integer",
                    schema.name.as_deref().unwrap_or("<unnamed>")
                ))
            })
        })
        .transpose()
}

/// A copy of `schema` that is not optional (`AvroData.nonOptional`).
fn non_optional(schema: &Schema) -> Schema {
    let mut s = schema.clone();
    s.optional = false;
    s
}

impl Builder<'_> {
    fn node(&self, schema: &Schema, ignore_optional: bool) -> ConnectResult<Node> {
        let (namespace, name) = match &schema.name {
            Some(n) => {
                let (ns, short) = split_name(n);
                (ns.map(str::to_string), short.to_string())
            }
            None => (Some(NAMESPACE.to_string()), DEFAULT_SCHEMA_NAME.to_string()),
        };
        let mut connect_type = None;
        let mut base = match schema.schema_type {
            SchemaType::Int8 => {
                connect_type = Some("int8");
                Node::Primitive("int", Props::default())
            }
            SchemaType::Int16 => {
                connect_type = Some("int16");
                Node::Primitive("int", Props::default())
            }
            SchemaType::Int32 => Node::Primitive("int", Props::default()),
            SchemaType::Int64 => Node::Primitive("long", Props::default()),
            SchemaType::Float32 => Node::Primitive("float", Props::default()),
            SchemaType::Float64 => Node::Primitive("double", Props::default()),
            SchemaType::Boolean => Node::Primitive("boolean", Props::default()),
            SchemaType::String => match schema.parameter(AVRO_TYPE_ENUM) {
                Some(enum_name) if self.config.enhanced_avro_schema_support => Node::Enum {
                    name: FullName::of(enum_name),
                    doc: schema
                        .parameter(&format!("{AVRO_ENUM_DOC_PREFIX_PROP}{name}"))
                        .map(str::to_string),
                    symbols: enum_symbols(schema),
                    default: schema
                        .parameter(&format!("{AVRO_ENUM_DEFAULT_PREFIX_PROP}{name}"))
                        .map(str::to_string),
                    props: Props::default(),
                },
                _ => Node::Primitive("string", Props::default()),
            },
            SchemaType::Bytes => {
                let mut props = Props::default();
                if is_named(schema, logical::DECIMAL) {
                    let scale = parse_int(schema, logical::DECIMAL_SCALE)?
                        .ok_or_else(|| data_error("a Decimal schema needs the parameter scale"))?;
                    let precision = parse_int(schema, CONNECT_AVRO_DECIMAL_PRECISION_PROP)?
                        .unwrap_or(CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT);
                    props.add("scale", Json::from(scale));
                    props.add("precision", Json::from(precision));
                }
                Node::Primitive("bytes", props)
            }
            SchemaType::Array => {
                let items = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| data_error("an ARRAY schema without an element schema"))?;
                Node::Array(Box::new(self.node(items, false)?), Props::default())
            }
            SchemaType::Map => {
                let (keys, values) = match (&schema.key_schema, &schema.value_schema) {
                    (Some(k), Some(v)) => (k, v),
                    _ => return Err(data_error("a MAP schema without key or value schema")),
                };
                if keys.schema_type == SchemaType::String && !keys.optional {
                    Node::Map(Box::new(self.node(values, false)?), Props::default())
                } else {
                    let mut props = Props::default();
                    let entry_name = if schema.name.is_none() {
                        FullName {
                            namespace: namespace.clone(),
                            name: MAP_ENTRY_TYPE_NAME.into(),
                        }
                    } else {
                        props.add(CONNECT_INTERNAL_TYPE_NAME, Json::from(MAP_ENTRY_TYPE_NAME));
                        FullName {
                            namespace: namespace.clone(),
                            name: name.clone(),
                        }
                    };
                    let entry = Node::Record {
                        name: entry_name,
                        doc: None,
                        fields: vec![
                            self.field("key", keys, None)?,
                            self.field("value", values, None)?,
                        ],
                        props,
                    };
                    Node::Array(Box::new(entry), Props::default())
                }
            }
            SchemaType::Struct => {
                if schema.name.as_deref() == Some(AVRO_TYPE_UNION) {
                    let mut members = Vec::new();
                    if schema.optional {
                        members.push(Node::Primitive("null", Props::default()));
                    }
                    for f in &schema.fields {
                        members.push(self.node(&non_optional(&f.schema), true)?);
                    }
                    Node::Union(members)
                } else if schema.optional {
                    Node::Union(vec![
                        Node::Primitive("null", Props::default()),
                        self.node(&non_optional(schema), false)?,
                    ])
                } else {
                    let fields = schema
                        .fields
                        .iter()
                        .map(|f| {
                            let doc = schema
                                .parameter(&format!("{AVRO_FIELD_DOC_PREFIX_PROP}{}", f.name));
                            self.field(&f.name, &f.schema, doc)
                        })
                        .collect::<ConnectResult<Vec<_>>>()?;
                    Node::Record {
                        name: FullName { namespace, name },
                        doc: schema.parameter(AVRO_RECORD_DOC_PROP).map(str::to_string),
                        fields,
                        props: Props::default(),
                    }
                }
            }
        };

        let Some(props) = base.props_mut() else {
            // Unions carry no properties; their metadata lives on the branches.
            return Ok(base);
        };
        if self.config.connect_meta_data {
            if let Some(doc) = &schema.doc {
                props.add(CONNECT_DOC_PROP, Json::from(doc.as_str()));
            }
            if let Some(v) = schema.version {
                props.add(CONNECT_VERSION_PROP, Json::from(v));
            }
            let params: Map<String, Json> = schema
                .parameters
                .iter()
                .filter(|(k, _)| k.as_str() != AVRO_FIELD_DEFAULT_FLAG_PROP)
                .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
                .collect();
            if !params.is_empty() {
                props.add(CONNECT_PARAMETERS_PROP, Json::Object(params));
            }
            if let Some(default) = &schema.default {
                if !schema.parameters.contains_key(AVRO_FIELD_DEFAULT_FLAG_PROP) {
                    props.add(CONNECT_DEFAULT_VALUE_PROP, default_json(schema, default)?);
                }
            }
            if let Some(n) = &schema.name {
                props.add(CONNECT_NAME_PROP, Json::from(n.as_str()));
            }
            if let Some(t) = connect_type {
                props.add(CONNECT_TYPE_PROP, Json::from(t));
            }
        }
        if is_named(schema, logical::DECIMAL) {
            // `precision` and `scale` are already there (a scale Avro's
            // decimal cannot describe keeps them too, as the legacy form).
            props.add(LOGICAL_TYPE_PROP, Json::from("decimal"));
        } else if is_named(schema, logical::TIME) {
            props.add(LOGICAL_TYPE_PROP, Json::from("time-millis"));
        } else if is_named(schema, logical::TIMESTAMP) {
            props.add(LOGICAL_TYPE_PROP, Json::from("timestamp-millis"));
        } else if is_named(schema, logical::DATE) {
            props.add(LOGICAL_TYPE_PROP, Json::from("date"));
        }
        for (k, v) in &schema.parameters {
            if k.starts_with(AVRO_PROP_PREFIX) {
                props.add(k, Json::from(v.as_str()));
            }
        }
        if !ignore_optional && schema.optional {
            let null = Node::Primitive("null", Props::default());
            base = if schema.default.is_some() {
                Node::Union(vec![base, null])
            } else {
                Node::Union(vec![null, base])
            };
        }
        Ok(base)
    }

    /// A record field (`AvroData.addAvroRecordField`): a Connect default
    /// becomes the Avro default; an optional field without one defaults to
    /// null.
    fn field(&self, name: &str, schema: &Schema, doc: Option<&str>) -> ConnectResult<AvroField> {
        let default = match &schema.default {
            Some(d) => Some(default_json(schema, d)?),
            None if schema.optional => Some(Json::Null),
            None => None,
        };
        Ok(AvroField {
            name: name.to_string(),
            schema: self.node(schema, false)?,
            doc: doc.map(str::to_string),
            default,
        })
    }
}

/// The symbols of an enhanced-support enum, from its
/// `io.confluent.connect.avro.Enum.<symbol>` parameters.
pub(super) fn enum_symbols(schema: &Schema) -> Vec<String> {
    let prefix = format!("{AVRO_TYPE_ENUM}.");
    schema
        .parameters
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v.clone())
        .collect()
}

/// A Connect value as an Avro JSON default (`defaultValueFromConnect`).
pub(super) fn default_json(schema: &Schema, value: &Value) -> ConnectResult<Json> {
    let mismatch = || {
        data_error(format!(
            "invalid default value for a {} schema: {value:?}",
            schema.schema_type
        ))
    };
    Ok(match (schema.schema_type, value) {
        (_, Value::Null) => Json::Null,
        (SchemaType::Int8 | SchemaType::Int16 | SchemaType::Int32 | SchemaType::Int64, v) => {
            Json::from(v.as_i64().ok_or_else(mismatch)?)
        }
        (SchemaType::Float32, Value::Float32(f)) => float_json(f64::from(*f), &f.to_string())?,
        (SchemaType::Float64, Value::Float64(f)) => float_json(*f, &f.to_string())?,
        (SchemaType::Boolean, Value::Boolean(b)) => Json::from(*b),
        (SchemaType::String, Value::String(s)) => Json::from(s.as_str()),
        (SchemaType::Bytes, Value::Bytes(b)) => Json::from(latin1(b)),
        (SchemaType::Bytes, Value::Decimal(d)) => {
            let scale = schema.decimal_scale().unwrap_or(d.scale);
            let d = d.rescale(scale).ok_or_else(mismatch)?;
            Json::from(latin1(&d.unscaled_bytes()))
        }
        (SchemaType::Array, Value::Array(items)) => {
            let s = schema.value_schema.as_deref().ok_or_else(mismatch)?;
            Json::Array(
                items
                    .iter()
                    .map(|i| default_json(s, i))
                    .collect::<ConnectResult<_>>()?,
            )
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let ks = schema.key_schema.as_deref().ok_or_else(mismatch)?;
            let vs = schema.value_schema.as_deref().ok_or_else(mismatch)?;
            if ks.schema_type == SchemaType::String && !ks.optional {
                let mut m = Map::new();
                for (k, v) in entries {
                    let k = k.as_str().ok_or_else(mismatch)?;
                    m.insert(k.to_string(), default_json(vs, v)?);
                }
                Json::Object(m)
            } else {
                Json::Array(
                    entries
                        .iter()
                        .map(|(k, v)| {
                            Ok(Json::Array(vec![
                                default_json(ks, k)?,
                                default_json(vs, v)?,
                            ]))
                        })
                        .collect::<ConnectResult<_>>()?,
                )
            }
        }
        (SchemaType::Struct, Value::Struct(s)) => {
            let mut m = Map::new();
            for f in &schema.fields {
                let v = s.values().get(f.index).unwrap_or(&Value::Null);
                let v = match (v, &f.schema.default) {
                    (Value::Null, Some(d)) => d,
                    (v, _) => v,
                };
                m.insert(f.name.clone(), default_json(&f.schema, v)?);
            }
            Json::Object(m)
        }
        _ => return Err(mismatch()),
    })
}

/// A float as JSON, printed in its shortest form (Jackson prints
/// `1.1f` as `1.1`, not as the widened double).
fn float_json(f: f64, shortest: &str) -> ConnectResult<Json> {
    if !f.is_finite() {
        return Err(data_error(format!(
            "a default of {f} cannot be written in an Avro schema"
        )));
    }
    let text = if shortest.contains(['.', 'e', 'E']) {
        shortest.to_string()
    } else {
        format!("{shortest}.0")
    };
    serde_json::from_str(&text).map_err(|e| data_error(format!("default {f}: {e}")))
}

/// Bytes as the ISO-8859-1 string Avro's JSON uses for `bytes` defaults.
pub(super) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// Prints nodes as Avro's Java library does.
#[derive(Default)]
struct Printer {
    /// Named types already written, by full name.
    defined: HashMap<String, Node>,
    /// The enclosing namespace.
    space: Option<String>,
}

const PRIMITIVE_NAMES: [&str; 14] = [
    "record", "enum", "array", "map", "union", "fixed", "string", "bytes", "int", "long", "float",
    "double", "boolean", "null",
];

impl Printer {
    /// The name by which a defined type is referred to here
    /// (`Name.getQualified`).
    fn qualified(&self, name: &FullName) -> String {
        match (&name.namespace, &self.space) {
            (Some(ns), Some(space))
                if ns == space && !PRIMITIVE_NAMES.contains(&name.name.as_str()) =>
            {
                name.name.clone()
            }
            _ => name.full(),
        }
    }

    /// A reference if this named type was written before; an error if a
    /// different type of the same name was.
    fn reference(&mut self, name: &FullName, node: &Node) -> ConnectResult<Option<Json>> {
        let full = name.full();
        match self.defined.get(&full) {
            Some(prev) if prev == node => Ok(Some(Json::from(self.qualified(name)))),
            Some(_) => Err(data_error(format!(
                "two different schemas map to the Avro name {full}; give the Connect schemas distinct names"
            ))),
            None => {
                self.defined.insert(full, node.clone());
                Ok(None)
            }
        }
    }

    fn write_name(&self, out: &mut Map<String, Json>, name: &FullName) {
        out.insert("name".into(), Json::from(name.name.as_str()));
        match (&name.namespace, &self.space) {
            (Some(ns), space) if space.as_deref() != Some(ns.as_str()) => {
                out.insert("namespace".into(), Json::from(ns.as_str()));
            }
            (None, Some(_)) => {
                out.insert("namespace".into(), Json::from(""));
            }
            _ => {}
        }
    }

    fn print(&mut self, node: &Node) -> ConnectResult<Json> {
        Ok(match node {
            Node::Primitive(t, props) if props.0.is_empty() => Json::from(*t),
            Node::Primitive(t, props) => {
                let mut out = Map::new();
                out.insert("type".into(), Json::from(*t));
                write_props(&mut out, props);
                Json::Object(out)
            }
            Node::Array(items, props) => {
                let mut out = Map::new();
                out.insert("type".into(), Json::from("array"));
                out.insert("items".into(), self.print(items)?);
                write_props(&mut out, props);
                Json::Object(out)
            }
            Node::Map(values, props) => {
                let mut out = Map::new();
                out.insert("type".into(), Json::from("map"));
                out.insert("values".into(), self.print(values)?);
                write_props(&mut out, props);
                Json::Object(out)
            }
            Node::Union(members) => Json::Array(
                members
                    .iter()
                    .map(|m| self.print(m))
                    .collect::<ConnectResult<_>>()?,
            ),
            Node::Record {
                name,
                doc,
                fields,
                props,
            } => {
                if let Some(r) = self.reference(name, node)? {
                    return Ok(r);
                }
                let mut out = Map::new();
                out.insert("type".into(), Json::from("record"));
                self.write_name(&mut out, name);
                let saved = std::mem::replace(&mut self.space, name.namespace.clone());
                if let Some(doc) = doc {
                    out.insert("doc".into(), Json::from(doc.as_str()));
                }
                let mut printed = Vec::with_capacity(fields.len());
                for f in fields {
                    let mut field = Map::new();
                    field.insert("name".into(), Json::from(f.name.as_str()));
                    field.insert("type".into(), self.print(&f.schema)?);
                    if let Some(doc) = &f.doc {
                        field.insert("doc".into(), Json::from(doc.as_str()));
                    }
                    if let Some(d) = &f.default {
                        field.insert("default".into(), d.clone());
                    }
                    printed.push(Json::Object(field));
                }
                out.insert("fields".into(), Json::Array(printed));
                write_props(&mut out, props);
                self.space = saved;
                Json::Object(out)
            }
            Node::Enum {
                name,
                doc,
                symbols,
                default,
                props,
            } => {
                if let Some(r) = self.reference(name, node)? {
                    return Ok(r);
                }
                let mut out = Map::new();
                out.insert("type".into(), Json::from("enum"));
                self.write_name(&mut out, name);
                if let Some(doc) = doc {
                    out.insert("doc".into(), Json::from(doc.as_str()));
                }
                out.insert(
                    "symbols".into(),
                    Json::Array(symbols.iter().map(|s| Json::from(s.as_str())).collect()),
                );
                if let Some(d) = default {
                    out.insert("default".into(), Json::from(d.as_str()));
                }
                write_props(&mut out, props);
                Json::Object(out)
            }
        })
    }
}

fn write_props(out: &mut Map<String, Json>, props: &Props) {
    for (k, v) in &props.0 {
        out.insert(k.clone(), v.clone());
    }
}
