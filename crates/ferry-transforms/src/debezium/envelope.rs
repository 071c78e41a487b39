//! What Debezium's transforms know about the change event envelope
//! (Debezium's `Envelope.FieldName`, `SmtManager.isValidEnvelope`) and how
//! they read a STRING field (Kafka's `Struct.getString`), with its messages.
//! Their shape checks are Kafka's `Requirements`, in [`crate::requirements`].

use ferry_api::{SchemaRef, Struct};

use crate::TransformError;

/// The row before the change (null for creates and snapshot reads).
pub(crate) const BEFORE: &str = "before";
/// The row after the change (null for deletes).
pub(crate) const AFTER: &str = "after";
/// The `source` block.
pub(crate) const SOURCE: &str = "source";
/// The `transaction` block.
pub(crate) const TRANSACTION: &str = "transaction";
/// The operation: `c`, `u`, `d`, `r`, `t`, `m`.
pub(crate) const OPERATION: &str = "op";
/// When the connector processed the event, ms.
pub(crate) const TIMESTAMP: &str = "ts_ms";
/// The same, µs.
pub(crate) const TIMESTAMP_US: &str = "ts_us";
/// The same, ns.
pub(crate) const TIMESTAMP_NS: &str = "ts_ns";
/// The operation code of a delete.
pub(crate) const DELETE_CODE: &str = "d";
/// How every envelope schema name ends (`<topic>.Envelope`).
const ENVELOPE_SUFFIX: &str = ".Envelope";

/// Whether a value schema is a change event envelope: it has a name that
/// ends with `.Envelope`, as Debezium checks.
pub(crate) fn is_envelope(schema: Option<&SchemaRef>) -> bool {
    schema
        .and_then(|s| s.name.as_deref())
        .is_some_and(|n| n.ends_with(ENVELOPE_SUFFIX))
}

/// The envelope schema name for a topic (`Envelope.schemaName`).
pub(crate) fn envelope_schema_name(topic: &str) -> String {
    format!("{topic}{ENVELOPE_SUFFIX}")
}

/// A STRING field of a struct, as Kafka's `Struct.getString` reads it
/// (the raw value, no default), with its messages.
pub(crate) fn get_string<'a>(
    s: &'a Struct,
    field: &str,
) -> Result<Option<&'a str>, TransformError> {
    let f = s
        .schema()
        .field(field)
        .ok_or_else(|| TransformError::Data(format!("{field} is not a valid field name")))?;
    if f.schema.schema_type != ferry_api::SchemaType::String {
        return Err(TransformError::Data(format!(
            "Field '{field}' is not of type STRING"
        )));
    }
    Ok(s.values()[f.index].as_str())
}

#[cfg(test)]
mod tests {
    use ferry_api::{Schema, SchemaBuilder};

    use super::*;
    use crate::requirements::require_struct;
    use ferry_api::Value;

    #[test]
    fn an_envelope_is_a_schema_named_dot_envelope() {
        let named = |n: &str| Some(SchemaBuilder::struct_().name(n).build());
        assert!(is_envelope(named("pg.public.t.Envelope").as_ref()));
        assert!(!is_envelope(
            named("io.debezium.connector.common.Heartbeat").as_ref()
        ));
        assert!(!is_envelope(Some(&Schema::string())));
        assert!(!is_envelope(None));
    }

    #[test]
    fn shape_errors_use_kafkas_words() {
        let err = require_struct(None, &Value::Int32(1), "p").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Struct objects supported for [p], found: java.lang.Integer"
        );
        let s = Struct::new(SchemaBuilder::struct_().field("n", Schema::int32()).build());
        assert_eq!(
            get_string(&s, "x").unwrap_err().to_string(),
            "x is not a valid field name"
        );
        assert_eq!(
            get_string(&s, "n").unwrap_err().to_string(),
            "Field 'n' is not of type STRING"
        );
    }
}
