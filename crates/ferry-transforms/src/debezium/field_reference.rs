//! One entry of `add.fields` / `add.headers` (Debezium's
//! `FieldReference`): `op`, `source.ts_ms`, `transaction.id:TXN`, …
//!
//! A bare name lives in the envelope (`op`, `ts_ms`, `ts_us`, `ts_ns`), in
//! `transaction` (`id`, `total_order`, `data_collection_order`) or else in
//! `source`; `struct.field` names the block. When the block lacks the
//! field, the envelope's own field of that name is used (another transform
//! may have put it there). The outgoing name is the prefix plus `field`,
//! `struct_field`, or the name after `:`.

use ferry_api::{Field, SchemaRef, SchemaType, Struct, Value};

use super::envelope::{OPERATION, SOURCE, TIMESTAMP, TIMESTAMP_NS, TIMESTAMP_US, TRANSACTION};
use super::struct_ops::optional_copy;

/// The struct MongoDB's events keep their update description in.
const UPDATE_DESCRIPTION: &str = "updateDescription";

/// A field of the change event to copy into the row or a header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldReference {
    /// The envelope field holding it, or `None` for the envelope itself.
    parent: Option<String>,
    /// The field's name.
    field: String,
    /// The name it gets: prefix + `field` / `struct_field` / the mapped name.
    new_name: String,
}

impl FieldReference {
    /// Parses every entry of a list (`op, source.lsn:LSN`), each trimmed.
    pub(crate) fn parse_list(prefix: &str, entries: &[String]) -> Result<Vec<Self>, String> {
        entries
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
            .map(|e| Self::parse(prefix, e))
            .collect()
    }

    /// Parses `field`, `struct.field`, optionally followed by `:new_name`.
    pub(crate) fn parse(prefix: &str, spec: &str) -> Result<Self, String> {
        let unexpected = || format!("Unexpected field name: {spec}");
        let parts = java_split(spec, ':');
        let path = parts.first().ok_or_else(unexpected)?;
        let splits = java_split(path, '.');
        let (parent, field) = match splits.as_slice() {
            [] => return Err(unexpected()),
            [field] => (determine_struct(field), field.to_string()),
            [parent, field, ..] => (Some(parent.to_string()), field.to_string()),
        };
        let new_name = match parts.len() {
            1 if splits.len() == 1 => format!("{prefix}{field}"),
            1 => format!("{prefix}{}_{field}", parent.as_deref().unwrap_or_default()),
            2 => format!("{prefix}{}", parts[1]),
            _ => return Err(unexpected()),
        };
        Ok(FieldReference {
            parent,
            field,
            new_name,
        })
    }

    /// The field's simple name.
    pub(crate) fn field(&self) -> &str {
        &self.field
    }

    /// The name of the outgoing field or header.
    pub(crate) fn new_name(&self) -> &str {
        &self.new_name
    }

    /// The schema of the outgoing field or header (the source field's,
    /// optional, without default), or `None` when the event has no such
    /// field: then nothing is added.
    pub(crate) fn schema(&self, envelope: &SchemaRef) -> Option<SchemaRef> {
        self.find(envelope).map(|f| optional_copy(&f.schema))
    }

    /// Whether the event has the field.
    pub(crate) fn exists(&self, envelope: &SchemaRef) -> bool {
        self.find(envelope).is_some()
    }

    fn find<'a>(&self, envelope: &'a SchemaRef) -> Option<&'a Field> {
        let in_parent = match &self.parent {
            None => envelope.field(&self.field),
            Some(p) => envelope
                .field(p)
                .filter(|f| f.schema.schema_type == SchemaType::Struct)
                .and_then(|f| f.schema.field(&self.field)),
        };
        in_parent.or_else(|| envelope.field(&self.field))
    }

    /// The field's value in the event (without defaults); null when its
    /// block is null (no `transaction` during a snapshot) or absent.
    pub(crate) fn value(&self, envelope: &Struct) -> Value {
        let parent = match &self.parent {
            None => Some(envelope),
            Some(p) => match envelope.get(p) {
                Some(Value::Struct(s)) => Some(s),
                Some(_) => None,
                None => Some(envelope),
            },
        };
        let Some(parent) = parent else {
            return Value::Null;
        };
        parent
            .get(&self.field)
            .or_else(|| envelope.get(&self.field))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// The block a bare field name lives in (Debezium's `determineStruct`).
fn determine_struct(field: &str) -> Option<String> {
    match field {
        "id" | "total_order" | "data_collection_order" => Some(TRANSACTION.into()),
        OPERATION | TIMESTAMP | TIMESTAMP_US | TIMESTAMP_NS => None,
        UPDATE_DESCRIPTION => Some(UPDATE_DESCRIPTION.into()),
        _ => Some(SOURCE.into()),
    }
}

/// Java's `String.split` on one character: trailing empty parts dropped.
fn java_split(s: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    if parts.len() > 1 {
        while parts.last() == Some(&"") {
            parts.pop();
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use ferry_api::{Schema, SchemaBuilder};

    use super::*;

    fn parse(spec: &str) -> (Option<String>, String, String) {
        let r = FieldReference::parse("__", spec).unwrap();
        (r.parent, r.field, r.new_name)
    }

    #[test]
    fn names_map_to_their_blocks_and_outgoing_names() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(parse("op"), (None, "op".into(), "__op".into()));
        assert_eq!(parse("ts_ns"), (None, "ts_ns".into(), "__ts_ns".into()));
        assert_eq!(parse("lsn"), (s("source"), "lsn".into(), "__lsn".into()));
        assert_eq!(parse("id"), (s("transaction"), "id".into(), "__id".into()));
        assert_eq!(
            parse("source.ts_ms"),
            (s("source"), "ts_ms".into(), "__source_ts_ms".into())
        );
        assert_eq!(
            parse("transaction.id:TXN"),
            (s("transaction"), "id".into(), "__TXN".into())
        );
        assert_eq!(parse("op:"), (None, "op".into(), "__op".into()));
        assert_eq!(
            FieldReference::parse("__", "a:b:c").unwrap_err(),
            "Unexpected field name: a:b:c"
        );
    }

    #[test]
    fn a_field_missing_from_its_block_is_looked_up_in_the_envelope() {
        let source = SchemaBuilder::struct_()
            .field("lsn", Schema::int64())
            .build();
        let envelope = SchemaBuilder::struct_()
            .name("t.Envelope")
            .field("source", source.clone())
            .field("changes", Schema::string())
            .build();
        let value = Struct::new(envelope.clone())
            .with("source", Struct::new(source).with("lsn", 7i64))
            .with("changes", "name");
        let lsn = FieldReference::parse("", "lsn").unwrap();
        assert_eq!(
            lsn.schema(&envelope).unwrap().schema_type,
            SchemaType::Int64
        );
        assert!(lsn.schema(&envelope).unwrap().optional);
        assert_eq!(lsn.value(&value), Value::Int64(7));
        let changes = FieldReference::parse("", "changes").unwrap();
        assert_eq!(changes.value(&value), Value::from("name"));
        assert!(FieldReference::parse("", "nope")
            .unwrap()
            .schema(&envelope)
            .is_none());
        assert!(FieldReference::parse("", "id")
            .unwrap()
            .schema(&envelope)
            .is_none());
    }
}
