//! `org.apache.kafka.connect.transforms.HeaderFrom$Key` / `$Value`: copies
//! or moves fields of the key or value into headers; `fields` and
//! `headers` pair up by position. Headers get the field's schema (none for
//! schemaless maps); `move` also removes the fields.

use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, ConfigValue, ConnectRecord,
    ConnectResult, Importance, KeyOrValue, Outcome, PropertyMap, Schema, SchemaBuilder, SchemaRef,
    Struct, Transformation, Validator, Value,
};

use crate::config::non_empty_list;
use crate::config::replace_null_with_default_key;
use crate::requirements::{require_map, require_struct};
use crate::schema_cache::SchemaCache;
use crate::schema_util::{copy_schema_basics, field_value, map_get, struct_with_fields};
use crate::TransformError;

/// Key: the fields to copy or move.
pub const FIELDS: &str = "fields";
/// Key: the header for each field, in the same order.
pub const HEADERS: &str = "headers";
/// Key: `move` or `copy`.
pub const OPERATION: &str = "operation";
/// Key: whether null fields with a default are read as the default.
pub use crate::config::REPLACE_NULL_WITH_DEFAULT;

/// Whether the fields stay in the key / value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Move,
    Copy,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Move => "move",
            Operation::Copy => "copy",
        }
    }
}

/// The transform for one side (configure before use).
#[derive(Debug)]
pub struct HeaderFrom {
    side: KeyOrValue,
    fields: Vec<String>,
    headers: Vec<String>,
    operation: Operation,
    replace_null_with_default: bool,
    move_cache: SchemaCache,
}

impl HeaderFrom {
    /// `HeaderFrom$Key` or `HeaderFrom$Value`.
    pub fn new(side: KeyOrValue) -> Self {
        HeaderFrom {
            side,
            fields: Vec::new(),
            headers: Vec::new(),
            operation: Operation::Copy,
            replace_null_with_default: true,
            move_cache: SchemaCache::default(),
        }
    }

    /// The schema without the moved fields.
    fn move_schema(&self, schema: &Schema) -> Result<SchemaRef, TransformError> {
        let kept = schema
            .fields
            .iter()
            .filter(|f| !self.fields.contains(&f.name))
            .map(|f| (f.name.as_str(), f.schema.clone()));
        struct_with_fields(copy_schema_basics(schema, SchemaBuilder::struct_()), kept)
    }
}

/// Kafka's `ConnectSchema.toString()`: `Schema{STRING}`, or
/// `Schema{name:STRUCT}` for a named schema.
fn schema_text(schema: &Schema) -> String {
    let t = schema.schema_type.connect_name().to_ascii_uppercase();
    match &schema.name {
        Some(name) => format!("Schema{{{name}:{t}}}"),
        None => format!("Schema{{{t}}}"),
    }
}

impl Transformation for HeaderFrom {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(FIELDS, ConfigType::List)
                    .required()
                    .validator(non_empty_list())
                    .importance(Importance::High)
                    .doc(
                        "Field names in the record whose values are to be copied or moved to \
                         headers.",
                    ),
            )
            .define(
                ConfigKey::new(HEADERS, ConfigType::List)
                    .required()
                    .validator(non_empty_list())
                    .importance(Importance::High)
                    .doc(
                        "Header names, in the same order as the field names listed in the \
                         fields configuration property.",
                    ),
            )
            .define(
                ConfigKey::new(OPERATION, ConfigType::String)
                    .required()
                    .validator(Validator::custom(|v| match v {
                        ConfigValue::String(s) if s == "move" || s == "copy" => Ok(()),
                        ConfigValue::String(_) => {
                            Err("String must be one of: move, copy".to_string())
                        }
                        _ => Ok(()),
                    }))
                    .importance(Importance::High)
                    .doc(
                        "Either <code>move</code> if the fields are to be moved to the headers \
                         (removed from the key/value), or <code>copy</code> if the fields are \
                         to be copied to the headers (retained in the key/value).",
                    ),
            )
            .define(replace_null_with_default_key())
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let fields = c.list(FIELDS).to_vec();
        let headers = c.list(HEADERS).to_vec();
        if fields.len() != headers.len() {
            return Err(ConfigError::new(
                HEADERS,
                None,
                format!(
                    "'{FIELDS}' config must have the same number of elements as '{HEADERS}' \
                     config."
                ),
            )
            .into());
        }
        self.fields = fields;
        self.headers = headers;
        self.operation = match c.string(OPERATION) {
            Some("move") => Operation::Move,
            _ => Operation::Copy,
        };
        self.replace_null_with_default = c.boolean(REPLACE_NULL_WITH_DEFAULT).unwrap_or(true);
        self.move_cache = SchemaCache::default();
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let purpose = format!("header {}", self.operation.name());
        let (schema, value) = record.part(self.side);
        let mut added = Vec::with_capacity(self.fields.len());
        let updated = match schema {
            None => {
                let entries = require_map(value, &purpose)?;
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let v = map_get(entries, field).cloned().unwrap_or_default();
                    added.push((header.clone(), None, v));
                }
                match self.operation {
                    Operation::Copy => None,
                    Operation::Move => {
                        let kept = entries
                            .iter()
                            .filter(|(k, _)| {
                                !k.as_str()
                                    .is_some_and(|k| self.fields.iter().any(|f| f == k))
                            })
                            .cloned()
                            .collect();
                        Some((None, Value::Map(kept)))
                    }
                }
            }
            Some(schema) => {
                let s = require_struct(Some(schema), value, &purpose)?;
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let v = match s.schema().field(field) {
                        Some(f) => field_value(s, f, self.replace_null_with_default).clone(),
                        None => Value::Null,
                    };
                    let field_schema =
                        schema
                            .field(field)
                            .map(|f| f.schema.clone())
                            .ok_or_else(|| {
                                TransformError::Data(format!("Field does not exist: {field}"))
                            })?;
                    if v.is_null() && !field_schema.optional {
                        return Err(TransformError::Data(format!(
                            "A null value requires an optional schema but was {}",
                            schema_text(&field_schema)
                        ))
                        .into());
                    }
                    added.push((header.clone(), Some(field_schema), v));
                }
                match self.operation {
                    Operation::Copy => None,
                    Operation::Move => {
                        let mut cache = std::mem::take(&mut self.move_cache);
                        let moved = cache.get_or_derive(schema, |s| self.move_schema(s));
                        self.move_cache = cache;
                        let moved = moved?;
                        let values = moved
                            .fields
                            .iter()
                            .map(|f| match s.schema().field(&f.name) {
                                Some(of) => {
                                    field_value(s, of, self.replace_null_with_default).clone()
                                }
                                None => Value::Null,
                            })
                            .collect();
                        let v = Struct::from_values(moved.clone(), values)?;
                        Some((Some(moved), Value::Struct(v)))
                    }
                }
            }
        };
        if let Some((schema, value)) = updated {
            record.set(self.side, schema, value);
        }
        let headers = record.headers_mut();
        for (key, schema, value) in added {
            headers.add(key, schema, value);
        }
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::{configure, data_message, map, SIDES};
    use ferry_api::{Header, Headers, SchemaBuilder, SchemaType, SourceRecord};

    /// Kafka's `RecordBuilder`: fields with schemas and values, headers.
    #[derive(Clone, Default)]
    struct Builder {
        fields: Vec<(String, SchemaRef, Value)>,
        headers: Vec<(String, SchemaRef, Value)>,
    }

    impl Builder {
        fn field(mut self, name: &str, schema: SchemaRef, value: Value) -> Self {
            self.fields.push((name.into(), schema, value));
            self
        }

        fn header(mut self, name: &str, schema: SchemaRef, value: Value) -> Self {
            self.headers.push((name.into(), schema, value));
            self
        }

        fn record(
            &self,
            side: KeyOrValue,
            schema: Option<SchemaRef>,
            value: Value,
            schemaless: bool,
        ) -> SourceRecord {
            let mut r = SourceRecord::new(
                Default::default(),
                Default::default(),
                "topic",
                None,
                "value".into(),
            )
            .with_key(None, "key".into());
            r.partition = Some(0);
            r.timestamp = Some(0);
            r.set(side, schema, value);
            r.headers = Headers(
                self.headers
                    .iter()
                    .map(|(k, s, v)| Header {
                        key: k.clone(),
                        schema: (!schemaless).then(|| s.clone()),
                        value: v.clone(),
                    })
                    .collect(),
            );
            r
        }

        fn schemaless(&self, side: KeyOrValue) -> SourceRecord {
            let m = map(self
                .fields
                .iter()
                .map(|(n, _, v)| (n.as_str(), v.clone()))
                .collect());
            self.record(side, None, m, true)
        }

        fn with_schema(&self, side: KeyOrValue) -> SourceRecord {
            let mut b = SchemaBuilder::struct_();
            for (n, s, _) in &self.fields {
                b = b.field(n.clone(), s.clone());
            }
            let schema = b.build();
            let values = self.fields.iter().map(|(_, _, v)| v.clone()).collect();
            let s = Struct::from_values(schema.clone(), values).unwrap();
            self.record(side, Some(schema), s.into(), false)
        }
    }

    struct Case {
        name: &'static str,
        original: Builder,
        fields: &'static str,
        headers: &'static str,
        operation: &'static str,
        replace_null_with_default: bool,
        expected: Builder,
    }

    fn s() -> SchemaRef {
        Schema::string()
    }

    fn v(text: &str) -> Value {
        text.into()
    }

    fn cases() -> Vec<Case> {
        let two = Builder::default()
            .field("field1", s(), v("field1-value"))
            .field("field2", s(), v("field2-value"));
        let foo = SchemaBuilder::struct_().field("foo", s()).build();
        let foo_value: Value = Struct::new(foo.clone()).with("foo", "foo-value").into();
        let with_struct = Builder::default()
            .field("field1", foo.clone(), foo_value.clone())
            .field("field2", s(), v("field2-value"));
        let opt_default = || {
            SchemaBuilder::new(SchemaType::String)
                .default_value("default".into())
                .optional()
                .build()
        };
        let with_null = Builder::default()
            .field("field1", opt_default(), v("field1-value"))
            .field("field2", opt_default(), Value::Null);
        vec![
            Case {
                name: "basic copy",
                original: two.clone().header("header1", s(), v("existing-value")),
                fields: "field1",
                headers: "inserted1",
                operation: "copy",
                replace_null_with_default: true,
                expected: two
                    .clone()
                    .header("header1", s(), v("existing-value"))
                    .header("inserted1", s(), v("field1-value")),
            },
            Case {
                name: "basic move",
                original: two.clone().header("header1", s(), v("existing-value")),
                fields: "field1",
                headers: "inserted1",
                operation: "move",
                replace_null_with_default: true,
                expected: Builder::default()
                    .field("field2", s(), v("field2-value"))
                    .header("header1", s(), v("existing-value"))
                    .header("inserted1", s(), v("field1-value")),
            },
            Case {
                name: "copy with preexisting header",
                original: two.clone().header("inserted1", s(), v("existing-value")),
                fields: "field1",
                headers: "inserted1",
                operation: "copy",
                replace_null_with_default: true,
                expected: two
                    .clone()
                    .header("inserted1", s(), v("existing-value"))
                    .header("inserted1", s(), v("field1-value")),
            },
            Case {
                name: "move with preexisting header",
                original: two.clone().header("inserted1", s(), v("existing-value")),
                fields: "field1",
                headers: "inserted1",
                operation: "move",
                replace_null_with_default: true,
                expected: Builder::default()
                    .field("field2", s(), v("field2-value"))
                    .header("inserted1", s(), v("existing-value"))
                    .header("inserted1", s(), v("field1-value")),
            },
            Case {
                name: "copy with struct value",
                original: with_struct
                    .clone()
                    .header("header1", s(), v("existing-value")),
                fields: "field1",
                headers: "inserted1",
                operation: "copy",
                replace_null_with_default: true,
                expected: with_struct
                    .clone()
                    .header("header1", s(), v("existing-value"))
                    .header("inserted1", foo.clone(), foo_value.clone()),
            },
            Case {
                name: "move with struct value",
                original: with_struct
                    .clone()
                    .header("header1", s(), v("existing-value")),
                fields: "field1",
                headers: "inserted1",
                operation: "move",
                replace_null_with_default: true,
                expected: Builder::default()
                    .field("field2", s(), v("field2-value"))
                    .header("header1", s(), v("existing-value"))
                    .header("inserted1", foo.clone(), foo_value.clone()),
            },
            Case {
                name: "two headers from same field",
                original: two.clone().header("header1", s(), v("existing-value")),
                fields: "field1,field1",
                headers: "inserted1,inserted2",
                operation: "move",
                replace_null_with_default: true,
                expected: Builder::default()
                    .field("field2", s(), v("field2-value"))
                    .header("header1", s(), v("existing-value"))
                    .header("inserted1", s(), v("field1-value"))
                    .header("inserted2", s(), v("field1-value")),
            },
            Case {
                name: "two fields to same header",
                original: two.clone().header("header1", s(), v("existing-value")),
                fields: "field1,field2",
                headers: "inserted1,inserted1",
                operation: "move",
                replace_null_with_default: true,
                expected: Builder::default()
                    .header("header1", s(), v("existing-value"))
                    .header("inserted1", s(), v("field1-value"))
                    .header("inserted1", s(), v("field2-value")),
            },
            Case {
                name: "copy null field without default",
                original: with_null
                    .clone()
                    .header("header1", s(), v("existing-value")),
                fields: "field1,field2",
                headers: "inserted1,inserted2",
                operation: "copy",
                replace_null_with_default: false,
                expected: with_null
                    .clone()
                    .header("header1", s(), v("existing-value"))
                    .header("inserted1", opt_default(), v("field1-value"))
                    .header("inserted2", opt_default(), Value::Null),
            },
            Case {
                name: "move null field without default",
                original: with_null
                    .clone()
                    .header("header1", s(), v("existing-value")),
                fields: "field1,field2",
                headers: "inserted1,inserted2",
                operation: "move",
                replace_null_with_default: false,
                expected: Builder::default()
                    .header("header1", s(), v("existing-value"))
                    .header("inserted1", opt_default(), v("field1-value"))
                    .header("inserted2", opt_default(), Value::Null),
            },
        ]
    }

    fn transform(side: KeyOrValue, case: &Case) -> HeaderFrom {
        let replace = if case.replace_null_with_default {
            "true"
        } else {
            "false"
        };
        configure(
            HeaderFrom::new(side),
            &[
                (FIELDS, case.fields),
                (HEADERS, case.headers),
                (OPERATION, case.operation),
                (REPLACE_NULL_WITH_DEFAULT, replace),
            ],
        )
    }

    // Kafka's HeaderFromTest, on keys and values.
    #[test]
    fn schemaless() {
        for side in SIDES {
            for case in cases() {
                let mut t = transform(side, &case);
                let mut r = case.original.schemaless(side);
                t.apply(&mut r).unwrap();
                assert_eq!(r, case.expected.schemaless(side), "{} {side:?}", case.name);
            }
        }
    }

    #[test]
    fn with_schema() {
        for side in SIDES {
            for case in cases() {
                let mut t = transform(side, &case);
                let mut r = case.original.with_schema(side);
                t.apply(&mut r).unwrap();
                assert_eq!(r, case.expected.with_schema(side), "{} {side:?}", case.name);
            }
        }
    }

    #[test]
    fn invalid_configs_are_refused() {
        for side in SIDES {
            for (headers, fields) in [("foo", "foo,bar"), ("foo,bar", "foo"), ("", "")] {
                let result = HeaderFrom::new(side).configure(&ferry_api::property_map([
                    (HEADERS, headers),
                    (FIELDS, fields),
                    (OPERATION, "copy"),
                ]));
                assert!(result.is_err(), "{headers:?} {fields:?}");
            }
        }
        let errors = HeaderFrom::new(KeyOrValue::Value)
            .configure(&ferry_api::property_map([
                (HEADERS, "a"),
                (FIELDS, "a,b"),
                (OPERATION, "copy"),
            ]))
            .unwrap_err();
        assert_eq!(
            errors.0[0].reason,
            "'fields' config must have the same number of elements as 'headers' config."
        );
        let errors = HeaderFrom::new(KeyOrValue::Value)
            .configure(&ferry_api::property_map([
                (HEADERS, "a"),
                (FIELDS, "a"),
                (OPERATION, "MOVE"),
            ]))
            .unwrap_err();
        assert_eq!(errors.0[0].key, OPERATION);
        assert_eq!(errors.0[0].reason, "String must be one of: move, copy");
    }

    // Beyond Kafka's cases.
    #[test]
    fn a_missing_schema_field_and_a_wrong_shape_are_data_errors() {
        let mut t = configure(
            HeaderFrom::new(KeyOrValue::Value),
            &[(FIELDS, "nope"), (HEADERS, "h"), (OPERATION, "move")],
        );
        let mut r = Builder::default()
            .field("a", s(), v("x"))
            .with_schema(KeyOrValue::Value);
        assert_eq!(data_message(t.apply(&mut r)), "Field does not exist: nope");
        let mut r = Builder::default().record(KeyOrValue::Value, None, Value::Null, true);
        assert_eq!(
            data_message(t.apply(&mut r)),
            "Only Map objects supported in absence of schema for [header move], found: null"
        );
    }

    #[test]
    fn a_missing_schemaless_field_gives_a_null_header() {
        let mut t = configure(
            HeaderFrom::new(KeyOrValue::Value),
            &[(FIELDS, "nope"), (HEADERS, "h"), (OPERATION, "copy")],
        );
        let mut r = Builder::default()
            .field("a", s(), v("x"))
            .schemaless(KeyOrValue::Value);
        t.apply(&mut r).unwrap();
        let h = r.headers.last_with_name("h").unwrap();
        assert_eq!((h.schema.clone(), h.value.clone()), (None, Value::Null));
    }
}
