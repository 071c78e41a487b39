//! Schema and value helpers Kafka's transforms share (Kafka's
//! `transforms.util.SchemaUtil`, and `Struct.get` with defaults).

use ferry_api::{Schema, SchemaBuilder, SchemaRef, Value};

use crate::TransformError;

/// A STRUCT builder with the source schema's name, version, doc and
/// parameters (Kafka's `SchemaUtil.copySchemaBasics`); like Kafka's, it
/// does not copy optionality or the default.
pub(crate) fn copy_schema_basics(source: &Schema) -> SchemaBuilder {
    let mut builder = SchemaBuilder::struct_();
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

/// Finishes a STRUCT schema from `builder` (see [`copy_schema_basics`])
/// and these fields, refusing a name used twice as Kafka's
/// `SchemaBuilder.field` does.
pub(crate) fn struct_with_fields<'a>(
    mut builder: SchemaBuilder,
    fields: impl IntoIterator<Item = (&'a str, SchemaRef)>,
) -> Result<SchemaRef, TransformError> {
    let mut names: Vec<&str> = Vec::new();
    for (name, schema) in fields {
        if names.contains(&name) {
            return Err(TransformError::Data(format!(
                "Cannot create field because of field name duplication {name}"
            )));
        }
        names.push(name);
        builder = builder.field(name, schema);
    }
    Ok(builder.build())
}

/// Refuses a null for a required field, as Kafka's `Struct.put` does
/// (`ConnectSchema.validateValue`).
pub(crate) fn check_null_field(
    name: &str,
    schema: &Schema,
    value: &Value,
) -> Result<(), TransformError> {
    if value.is_null() && !schema.optional {
        return Err(TransformError::Data(format!(
            "Invalid value: null used for required field: \"{name}\", schema type: {}",
            schema.schema_type.connect_name().to_ascii_uppercase()
        )));
    }
    Ok(())
}

/// Sets a schemaless map's string key, replacing its value in place or
/// appending it (Java's `Map.put`).
pub(crate) fn map_put(entries: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some((_, v)) => *v = value,
        None => entries.push((Value::String(key.to_string()), value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics_are_copied_but_not_optionality_or_default() {
        let source = SchemaBuilder::struct_()
            .name("n")
            .version(3)
            .doc("d")
            .parameter("p", "v")
            .optional()
            .field("f", Schema::int32())
            .build();
        let copy = copy_schema_basics(&source).build();
        assert_eq!(copy.name.as_deref(), Some("n"));
        assert_eq!(copy.version, Some(3));
        assert_eq!(copy.doc.as_deref(), Some("d"));
        assert_eq!(copy.parameter("p"), Some("v"));
        assert!(!copy.optional);
        assert!(copy.fields.is_empty());
    }

    #[test]
    fn a_field_name_used_twice_is_refused() {
        let err = struct_with_fields(
            SchemaBuilder::struct_(),
            [("a", Schema::int32()), ("a", Schema::string())],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot create field because of field name duplication a"
        );
    }

    #[test]
    fn a_null_for_a_required_field_is_refused() {
        let err = check_null_field("f", &Schema::int32(), &Value::Null).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value: null used for required field: \"f\", schema type: INT32"
        );
        assert!(check_null_field("f", &Schema::optional_int32(), &Value::Null).is_ok());
        assert!(check_null_field("f", &Schema::int32(), &Value::Int32(1)).is_ok());
    }

    #[test]
    fn map_put_replaces_or_appends() {
        let mut m = vec![("a".into(), Value::Int32(1))];
        map_put(&mut m, "a", Value::Int32(2));
        map_put(&mut m, "b", Value::Int32(3));
        assert_eq!(m[0], ("a".into(), Value::Int32(2)));
        assert_eq!(m[1], ("b".into(), Value::Int32(3)));
        assert_eq!(m.len(), 2);
    }
}
