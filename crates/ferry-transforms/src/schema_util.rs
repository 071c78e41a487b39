//! Schema and value helpers Kafka's transforms share (Kafka's
//! `transforms.util.SchemaUtil`, and `Struct.get` with defaults).

use ferry_api::{Field, Schema, SchemaBuilder, SchemaRef, Struct, Value};

use crate::TransformError;

/// `builder` with the source schema's name, version, doc and parameters
/// (Kafka's `SchemaUtil.copySchemaBasics`); like Kafka's, it copies neither
/// optionality nor the default.
pub(crate) fn copy_schema_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(name) = &source.name {
        builder = builder.name(name.clone());
    }
    copy_schema_extras(source, builder)
}

/// `builder` with the source schema's version, doc and parameters: the
/// basics but the name (Debezium's `copySchemaExcludingName` starts so).
pub(crate) fn copy_schema_extras(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
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
/// field schema's default (Kafka's `Struct.get` against
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

/// Finishes a STRUCT schema from `builder` (see [`copy_schema_basics`])
/// and these fields, refusing a name used twice as Kafka's
/// `SchemaBuilder.field` does.
pub(crate) fn struct_with_fields<'a>(
    mut builder: SchemaBuilder,
    fields: impl IntoIterator<Item = (&'a str, SchemaRef)>,
) -> Result<SchemaRef, TransformError> {
    let mut names: Vec<&str> = Vec::new();
    for (name, schema) in fields {
        builder = add_field(builder, &names, name, schema)?;
        names.push(name);
    }
    Ok(builder.build())
}

/// Adds a field, refusing a name the builder already has (Kafka's
/// `SchemaBuilder.field`).
pub(crate) fn add_field(
    b: SchemaBuilder,
    existing: &[&str],
    name: &str,
    schema: SchemaRef,
) -> Result<SchemaBuilder, TransformError> {
    if existing.contains(&name) {
        return Err(TransformError::Data(format!(
            "Cannot create field because of field name duplication {name}"
        )));
    }
    Ok(b.field(name, schema))
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
        let copy = copy_schema_basics(&source, SchemaBuilder::struct_()).build();
        assert_eq!(copy.name.as_deref(), Some("n"));
        assert_eq!(copy.version, Some(3));
        assert_eq!(copy.doc.as_deref(), Some("d"));
        assert_eq!(copy.parameter("p"), Some("v"));
        assert!(!copy.optional);
        assert!(copy.fields.is_empty());
    }

    #[test]
    fn basics_go_onto_the_builder_given() {
        let source = SchemaBuilder::struct_().name("n").optional().build();
        let copy =
            copy_schema_basics(&source, SchemaBuilder::new(ferry_api::SchemaType::Int8)).build();
        assert_eq!(copy.name.as_deref(), Some("n"));
        assert!(!copy.optional);
        assert_eq!(copy.schema_type, ferry_api::SchemaType::Int8);
    }

    #[test]
    fn null_fields_read_as_their_default_when_asked() {
        let schema = SchemaBuilder::struct_()
            .field(
                "f",
                SchemaBuilder::new(ferry_api::SchemaType::Int32)
                    .optional()
                    .default_value(Value::Int32(42))
                    .build(),
            )
            .build();
        let s = Struct::new(schema.clone());
        let field = &schema.fields[0];
        assert_eq!(field_value(&s, field, true), &Value::Int32(42));
        assert_eq!(field_value(&s, field, false), &Value::Null);
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
        assert_eq!(map_get(&m, "b"), Some(&Value::Int32(3)));
        assert_eq!(map_get(&m, "c"), None);
        assert_eq!(m.len(), 2);
    }
}
