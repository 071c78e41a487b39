//! Schema and value helpers Kafka's transforms share (Kafka's
//! `transforms.util.SchemaUtil`, and `Struct.get` with defaults).

use ferry_api::{Schema, Value};

use crate::TransformError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
