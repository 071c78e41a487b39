//! Helpers Kafka's transforms share (Kafka's `transforms.util` package):
//! the shape checks of `Requirements` with Kafka's messages,
//! `SchemaUtil.copySchemaBasics`, `Struct.get` with defaults, Java's
//! names for values and schemas in messages, and the per-transform cache
//! of derived schemas (Kafka's `LRUCache<>(16)`).

use ferry_api::data::logical;
use ferry_api::{Field, Schema, SchemaBuilder, SchemaRef, Struct, Value};

use crate::TransformError;

/// The Java class Kafka Connect would hold this value as, for messages
/// that name it (`found: java.lang.Integer`). Date, Time and Timestamp
/// values are `java.util.Date` when their schema says so.
pub(crate) fn java_class_name(schema: Option<&Schema>, value: &Value) -> &'static str {
    let temporal = schema.is_some_and(|s| {
        s.is_logical(logical::DATE)
            || s.is_logical(logical::TIME)
            || s.is_logical(logical::TIMESTAMP)
    });
    match value {
        Value::Null => "null",
        Value::Int32(_) | Value::Int64(_) if temporal => "java.util.Date",
        Value::Int8(_) => "java.lang.Byte",
        Value::Int16(_) => "java.lang.Short",
        Value::Int32(_) => "java.lang.Integer",
        Value::Int64(_) => "java.lang.Long",
        Value::Float32(_) => "java.lang.Float",
        Value::Float64(_) => "java.lang.Double",
        Value::Boolean(_) => "java.lang.Boolean",
        Value::String(_) => "java.lang.String",
        Value::Bytes(_) => "[B",
        Value::Decimal(_) => "java.math.BigDecimal",
        Value::Array(_) => "java.util.ArrayList",
        Value::Map(_) => "java.util.HashMap",
        Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
    }
}

/// A schema as Java's `ConnectSchema.toString()` prints it:
/// `Schema{INT32}`, `Schema{org.apache.kafka.connect.data.Date:INT32}`.
pub(crate) fn schema_string(schema: &Schema) -> String {
    let ty = schema.schema_type.connect_name().to_ascii_uppercase();
    match &schema.name {
        Some(name) => format!("Schema{{{name}:{ty}}}"),
        None => format!("Schema{{{ty}}}"),
    }
}

/// The side's schema (Kafka's `requireSchema`).
pub(crate) fn require_schema<'a>(
    schema: Option<&'a SchemaRef>,
    purpose: &str,
) -> Result<&'a SchemaRef, TransformError> {
    schema.ok_or_else(|| TransformError::Data(format!("Schema required for [{purpose}]")))
}

/// The entries of a schemaless map (Kafka's `requireMap`).
pub(crate) fn require_map<'a>(
    value: &'a Value,
    purpose: &str,
) -> Result<&'a [(Value, Value)], TransformError> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(TransformError::Data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            java_class_name(None, other)
        ))),
    }
}

/// The struct a schema'd side holds (Kafka's `requireStruct`).
pub(crate) fn require_struct<'a>(
    schema: Option<&Schema>,
    value: &'a Value,
    purpose: &str,
) -> Result<&'a Struct, TransformError> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(TransformError::Data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            java_class_name(schema, other)
        ))),
    }
}

/// The struct, or `None` for null (Kafka's `requireStructOrNull`).
pub(crate) fn require_struct_or_null<'a>(
    schema: Option<&Schema>,
    value: &'a Value,
    purpose: &str,
) -> Result<Option<&'a Struct>, TransformError> {
    match value {
        Value::Null => Ok(None),
        other => require_struct(schema, other, purpose).map(Some),
    }
}

/// `builder` with the source schema's name, version, doc and parameters
/// (Kafka's `SchemaUtil.copySchemaBasics`); like Kafka's, it copies neither
/// optionality nor the default.
pub(crate) fn copy_schema_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(name) = &source.name {
        builder = builder.name(name.clone());
    }
    if let Some(version) = source.version {
        builder = builder.version(version);
    }
    if let Some(doc) = &source.doc {
        builder = builder.doc(doc.clone());
    }
    for (k, v) in &source.parameters {
        builder = builder.parameter(k.clone(), v.clone());
    }
    builder
}

/// A struct field's value; with `with_default`, a null value reads as the
/// field schema's default (Kafka's `Struct.get(Field)` against
/// `Struct.getWithoutDefault`).
pub(crate) fn field_value<'a>(
    value: &'a Struct,
    field: &'a Field,
    with_default: bool,
) -> &'a Value {
    let v = &value.values()[field.index];
    match (&field.schema.default, with_default) {
        (Some(default), true) if v.is_null() => default,
        _ => v,
    }
}

/// The value of a schemaless map's string key (Java's `Map.get`).
pub(crate) fn map_get<'a>(entries: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Sets a schemaless map's string key, replacing its value in place or
/// appending it (Java's `Map.put`).
pub(crate) fn map_put(entries: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some((_, v)) => *v = value,
        None => entries.push((Value::String(key.to_string()), value)),
    }
}

/// How many input schemas a cache remembers, as Kafka's LRU caches.
const CACHE_CAPACITY: usize = 16;

/// Derived schemas keyed by input schema: the same `Arc` is found at once,
/// an equal schema in another `Arc` by comparison (Kafka keys by
/// `Schema.equals`). The least recently used entry goes when full.
#[derive(Debug, Default)]
pub(crate) struct SchemaCache {
    /// Most recently used last.
    entries: Vec<(SchemaRef, SchemaRef)>,
}

impl SchemaCache {
    /// The schema derived from `input`, deriving and remembering it on a
    /// miss. A derivation error is returned and nothing is remembered.
    pub(crate) fn get_or_derive<E>(
        &mut self,
        input: &SchemaRef,
        derive: impl FnOnce(&Schema) -> Result<SchemaRef, E>,
    ) -> Result<SchemaRef, E> {
        let hit = self
            .entries
            .iter()
            .rposition(|(k, _)| SchemaRef::ptr_eq(k, input))
            .or_else(|| self.entries.iter().rposition(|(k, _)| **k == **input));
        if let Some(i) = hit {
            let entry = self.entries.remove(i);
            let derived = entry.1.clone();
            self.entries.push(entry);
            return Ok(derived);
        }
        let derived = derive(input)?;
        if self.entries.len() == CACHE_CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((input.clone(), derived.clone()));
        Ok(derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_purpose_the_java_class_and_the_schema() {
        let err = require_map(&Value::Int32(1), "p").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Map objects supported in absence of schema for [p], found: java.lang.Integer"
        );
        let err = require_struct(None, &Value::Null, "p").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Struct objects supported for [p], found: null"
        );
        let err = require_schema(None, "p").unwrap_err();
        assert_eq!(err.to_string(), "Schema required for [p]");
        let date = logical::date().build();
        assert_eq!(
            java_class_name(Some(&date), &Value::Int32(1)),
            "java.util.Date"
        );
        assert_eq!(
            schema_string(&date),
            "Schema{org.apache.kafka.connect.data.Date:INT32}"
        );
        assert_eq!(schema_string(&Schema::float64()), "Schema{FLOAT64}");
        assert!(require_struct_or_null(None, &Value::Null, "p")
            .unwrap()
            .is_none());
    }

    #[test]
    fn basics_are_copied_but_not_optionality_or_default() {
        let source = SchemaBuilder::struct_()
            .name("n")
            .version(3)
            .doc("d")
            .parameter("p", "v")
            .optional()
            .build();
        let copy =
            copy_schema_basics(&source, SchemaBuilder::new(ferry_api::SchemaType::Int8)).build();
        assert_eq!(copy.name.as_deref(), Some("n"));
        assert_eq!((copy.version, copy.doc.as_deref()), (Some(3), Some("d")));
        assert_eq!(copy.parameter("p"), Some("v"));
        assert!(!copy.optional);
        assert_eq!(copy.schema_type, ferry_api::SchemaType::Int8);
    }

    #[test]
    fn field_values_read_defaults_when_asked_and_maps_get_and_put() {
        let schema = SchemaBuilder::struct_()
            .field(
                "a",
                SchemaBuilder::new(ferry_api::SchemaType::Int32)
                    .optional()
                    .default_value(Value::Int32(7))
                    .build(),
            )
            .build();
        let s = Struct::new(schema.clone());
        let field = &schema.fields[0];
        assert_eq!(field_value(&s, field, true), &Value::Int32(7));
        assert_eq!(field_value(&s, field, false), &Value::Null);
        let mut entries = vec![(Value::from("k"), Value::Int32(1))];
        map_put(&mut entries, "k", Value::Int32(2));
        map_put(&mut entries, "n", Value::Null);
        assert_eq!(map_get(&entries, "k"), Some(&Value::Int32(2)));
        assert_eq!(entries.len(), 2);
        assert_eq!(map_get(&entries, "x"), None);
    }

    #[test]
    fn equal_schemas_share_one_derivation_and_old_ones_are_evicted() {
        let mut cache = SchemaCache::default();
        let mut derivations = 0;
        let a = SchemaBuilder::struct_().name("a").build();
        let a_again = SchemaBuilder::struct_().name("a").build();
        for input in [&a, &a_again, &a] {
            let out = cache
                .get_or_derive(input, |s| {
                    derivations += 1;
                    Ok::<_, ()>(
                        SchemaBuilder::struct_()
                            .doc(s.name.clone().unwrap())
                            .build(),
                    )
                })
                .unwrap();
            assert_eq!(out.doc.as_deref(), Some("a"));
        }
        assert_eq!(derivations, 1);
        for i in 0..CACHE_CAPACITY {
            let s = SchemaBuilder::struct_().version(i as i32).build();
            cache.get_or_derive(&s, |_| Ok::<_, ()>(s.clone())).unwrap();
        }
        assert_eq!(cache.entries.len(), CACHE_CAPACITY);
        assert!(!cache.entries.iter().any(|(k, _)| **k == *a));
    }
}
