//! The shape checks Kafka's transforms make before touching a record side
//! (Kafka's `transforms.util.Requirements`), with Kafka's messages, and
//! Java's names for values and schemas in those messages.

use ferry_api::data::logical;
use ferry_api::{Schema, SchemaRef, Struct, Value};

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

/// The entries of a schemaless map, or `None` for null (Kafka's
/// `requireMapOrNull`).
pub(crate) fn require_map_or_null<'a>(
    value: &'a Value,
    purpose: &str,
) -> Result<Option<&'a [(Value, Value)]>, TransformError> {
    match value {
        Value::Null => Ok(None),
        other => require_map(other, purpose).map(Some),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_purpose_and_the_java_class() {
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
        let date = logical::date().build();
        assert_eq!(
            java_class_name(Some(&date), &Value::Int32(1)),
            "java.util.Date"
        );
        assert!(require_map_or_null(&Value::Null, "p").unwrap().is_none());
        assert!(require_struct_or_null(None, &Value::Null, "p")
            .unwrap()
            .is_none());
    }

    #[test]
    fn messages_name_the_schema_as_java_prints_it() {
        let err = require_schema(None, "p").unwrap_err();
        assert_eq!(err.to_string(), "Schema required for [p]");
        let date = logical::date().build();
        assert_eq!(
            schema_string(&date),
            "Schema{org.apache.kafka.connect.data.Date:INT32}"
        );
        assert_eq!(schema_string(&Schema::float64()), "Schema{FLOAT64}");
    }
}
