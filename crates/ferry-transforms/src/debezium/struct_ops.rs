//! The struct rewrites Debezium's transforms delegate to Kafka's
//! `SchemaUtil`, `InsertField`, `ReplaceField` and `SchemaBuilder` for,
//! with Kafka's semantics (schema basics copied, defaults and their
//! `replace.null.with.default` handling, duplicate field names refused).

use ferry_api::{Field, Schema, SchemaBuilder, SchemaRef, Struct, Value};

use crate::schema_util::{add_field, copy_schema_basics};
use crate::TransformError;

/// An optional copy of a field's schema without its default, as Debezium
/// gives a field it copies into the row or a header
/// (`copySchemaBasics(schema).optional()`). Unlike Java's copy, a STRUCT
/// keeps its fields and a MAP its key and value schemas, so the copied
/// value still fits.
pub(crate) fn optional_copy(schema: &SchemaRef) -> SchemaRef {
    if schema.optional && schema.default.is_none() {
        return schema.clone();
    }
    let mut s = (**schema).clone();
    s.optional = true;
    s.default = None;
    SchemaRef::new(s)
}

/// A field's value as Kafka's `Struct.get` reads it (null becomes the
/// field's default) or, without `with_default`, as `getWithoutDefault`.
pub(crate) fn read_field(field: &Field, value: Value, with_default: bool) -> Value {
    match (&value, &field.schema.default) {
        (Value::Null, Some(d)) if with_default => d.clone(),
        _ => value,
    }
}

/// A struct value given the schema of the field it now sits in, so a
/// struct's schema is always its field's (a converter may check).
pub(crate) fn rebind(value: Value, schema: &SchemaRef) -> Value {
    match value {
        Value::Struct(s)
            if !SchemaRef::ptr_eq(s.schema(), schema)
                && schema.fields.len() == s.values().len() =>
        {
            Struct::from_values(schema.clone(), s.into_values()).map_or(Value::Null, Value::Struct)
        }
        other => other,
    }
}

/// A row with a STRING field appended (Kafka's `InsertField$Value` with
/// `static.field`/`static.value`): the new schema is `schema`'s basics,
/// its fields, then the optional string field.
pub(crate) fn schema_with_string_field(
    schema: &Schema,
    name: &str,
) -> Result<SchemaRef, TransformError> {
    let mut b = copy_schema_basics(schema, SchemaBuilder::struct_());
    let mut names = Vec::with_capacity(schema.fields.len());
    for f in &schema.fields {
        b = b.field(f.name.clone(), f.schema.clone());
        names.push(f.name.as_str());
    }
    Ok(add_field(b, &names, name, Schema::optional_string())?.build())
}

/// The row's values under the derived schema `to`: the row's fields (read
/// with or without defaults), then `extra` for the fields `to` adds.
pub(crate) fn rebuild(
    row: Struct,
    to: &SchemaRef,
    with_default: bool,
    extra: Vec<Value>,
) -> Struct {
    let from = row.schema().clone();
    let mut values: Vec<Value> = from
        .fields
        .iter()
        .zip(row.into_values())
        .map(|(f, v)| read_field(f, v, with_default))
        .collect();
    values.extend(
        extra
            .into_iter()
            .zip(&to.fields[from.fields.len()..])
            .map(|(v, f)| rebind(v, &f.schema)),
    );
    Struct::from_values(to.clone(), values).expect("derived schema has one field per value")
}

/// The schema without the `drop` fields (Kafka's `ReplaceField` with
/// `exclude`): `schema`'s basics and the other fields.
pub(crate) fn schema_without(schema: &Schema, drop: &[String]) -> SchemaRef {
    let mut b = copy_schema_basics(schema, SchemaBuilder::struct_());
    for f in &schema.fields {
        if !drop.contains(&f.name) {
            b = b.field(f.name.clone(), f.schema.clone());
        }
    }
    b.build()
}

/// The struct's values for the fields `to` keeps, read as `ReplaceField`
/// reads them (`replace.null.with.default=true`: null becomes the default).
pub(crate) fn keep_fields(row: Struct, to: &SchemaRef) -> Struct {
    let from = row.schema().clone();
    let mut old: Vec<Option<Value>> = row.into_values().into_iter().map(Some).collect();
    let values = to
        .fields
        .iter()
        .map(|f| {
            let v = from
                .field(&f.name)
                .and_then(|of| old[of.index].take())
                .unwrap_or(Value::Null);
            read_field(f, v, true)
        })
        .collect();
    Struct::from_values(to.clone(), values).expect("one value per kept field")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("t.Value")
            .optional()
            .version(3)
            .field("id", Schema::int32())
            .field(
                "name",
                SchemaBuilder::new(ferry_api::SchemaType::String)
                    .optional()
                    .default_value("dflt".into())
                    .build(),
            )
            .build()
    }

    #[test]
    fn an_inserted_field_makes_a_required_copy_with_an_optional_string() {
        let s = schema_with_string_field(&row_schema(), "__deleted").unwrap();
        assert_eq!(s.name.as_deref(), Some("t.Value"));
        assert_eq!(s.version, Some(3));
        assert!(!s.optional, "copySchemaBasics does not copy optional");
        assert_eq!(s.fields[2].name, "__deleted");
        assert!(s.fields[2].schema.optional);
        let err = schema_with_string_field(&s, "__deleted").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot create field because of field name duplication __deleted"
        );
    }

    #[test]
    fn rebuild_reads_defaults_only_when_asked() {
        let row = Struct::new(row_schema()).with("id", 1);
        let to = schema_with_string_field(&row_schema(), "x").unwrap();
        let with = rebuild(row.clone(), &to, true, vec![Value::from("v")]);
        assert_eq!(with.get("name"), Some(&Value::from("dflt")));
        assert_eq!(with.get("x"), Some(&Value::from("v")));
        let without = rebuild(row, &to, false, vec![Value::from("v")]);
        assert_eq!(without.get("name"), Some(&Value::Null));
    }

    #[test]
    fn dropping_fields_keeps_the_rest_in_order() {
        let row = Struct::new(row_schema()).with("id", 1);
        let to = schema_without(&row_schema(), &["id".to_string(), "nope".to_string()]);
        assert_eq!(to.fields.len(), 1);
        let kept = keep_fields(row, &to);
        assert_eq!(kept.get("name"), Some(&Value::from("dflt")));
    }

    #[test]
    fn an_optional_copy_drops_the_default() {
        let c = optional_copy(&row_schema().fields[1].schema);
        assert!(c.optional && c.default.is_none());
        let req = Schema::int64();
        assert!(optional_copy(&req).optional);
    }
}
