//! `org.apache.kafka.connect.transforms.InsertHeader`: adds a header
//! `header` to every record, its value `value.literal` parsed as Kafka's
//! `Values.parseString` does (`1` is an INT8, `true` a BOOLEAN, text a
//! STRING). An existing header of that key stays; the new one follows it.

use ferry_api::data::text::parse_string;
use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance,
    Outcome, PropertyMap, SchemaRef, Transformation, Value,
};

/// Key: the header's key.
pub const HEADER: &str = "header";
/// Key: the header's value, as text.
pub const VALUE_LITERAL: &str = "value.literal";

/// The transform (configure before use).
#[derive(Debug, Default)]
pub struct InsertHeader {
    header: String,
    literal: (Option<SchemaRef>, Value),
}

impl Transformation for InsertHeader {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(HEADER, ConfigType::String)
                    .required()
                    .importance(Importance::High)
                    .doc("The name of the header."),
            )
            .define(
                ConfigKey::new(VALUE_LITERAL, ConfigType::String)
                    .required()
                    .importance(Importance::High)
                    .doc(
                        "The literal value that is to be set as the header value on all \
                         records.",
                    ),
            )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        self.header = c.string(HEADER).unwrap_or_default().to_string();
        self.literal = parse_string(c.string(VALUE_LITERAL).unwrap_or_default());
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (schema, value) = self.literal.clone();
        record.headers_mut().add(self.header.clone(), schema, value);
        Ok(Outcome::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, source_record};
    use ferry_api::{Header, Schema, SourceRecord};

    fn string_header(key: &str, value: &str) -> Header {
        Header {
            key: key.into(),
            schema: Some(Schema::string()),
            value: value.into(),
        }
    }

    fn inserted(header: &str, literal: &str) -> (SourceRecord, SourceRecord) {
        let mut t: InsertHeader = configured(&[(HEADER, header), (VALUE_LITERAL, literal)]);
        let mut original = source_record("topic");
        original
            .headers
            .0
            .push(string_header("existing", "existing-value"));
        let mut r = original.clone();
        t.apply(&mut r).unwrap();
        (original, r)
    }

    // Kafka's InsertHeaderTest.
    #[test]
    fn insertion_with_existing_other_header() {
        let (original, r) = inserted("inserted", "inserted-value");
        assert_eq!(
            r.headers.0,
            [
                string_header("existing", "existing-value"),
                string_header("inserted", "inserted-value")
            ]
        );
        assert_eq!(
            SourceRecord {
                headers: original.headers.clone(),
                ..r
            },
            original
        );
    }

    #[test]
    fn insertion_with_existing_same_header() {
        let (_, r) = inserted("existing", "inserted-value");
        assert_eq!(
            r.headers.0,
            [
                string_header("existing", "existing-value"),
                string_header("existing", "inserted-value")
            ]
        );
    }

    #[test]
    fn insertion_with_byte_header() {
        let (_, r) = inserted("inserted", "1");
        let h = r.headers.last_with_name("inserted").unwrap();
        assert_eq!(
            (h.schema.clone(), h.value.clone()),
            (Some(Schema::int8()), Value::Int8(1))
        );
    }

    #[test]
    fn config_rejects_missing_header_key_or_value() {
        for (present, missing) in [(HEADER, VALUE_LITERAL), (VALUE_LITERAL, HEADER)] {
            let errors = InsertHeader::default()
                .configure(&ferry_api::property_map([(present, "x")]))
                .unwrap_err();
            assert_eq!(errors.0[0].key, missing);
        }
    }

    // Beyond Kafka's cases.
    #[test]
    fn literals_parse_as_values_parse_string() {
        let (_, r) = inserted("h", "null");
        let h = r.headers.last_with_name("h").unwrap();
        assert_eq!((h.schema.clone(), h.value.clone()), (None, Value::Null));
        let (_, r) = inserted("h", "true");
        assert_eq!(
            r.headers.last_with_name("h").unwrap().value,
            Value::Boolean(true)
        );
    }
}
