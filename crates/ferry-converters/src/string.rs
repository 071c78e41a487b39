//! `org.apache.kafka.connect.storage.StringConverter`.

use std::sync::LazyLock;

use ferry_api::{ConfigError, ConnectResult, Converter, PropertyMap, Schema, SchemaRef, Value};

use ferry_api::data::text::to_java_string;

/// The key naming the character set (`converter.encoding`, default UTF-8).
pub const ENCODING_CONFIG: &str = "converter.encoding";

static OPTIONAL_STRING: LazyLock<SchemaRef> = LazyLock::new(Schema::optional_string);

/// Kafka's StringConverter: values as UTF-8 text.
///
/// Reading gives an optional STRING schema and the text (bytes that are not
/// UTF-8 get U+FFFD replacement characters, as Java's decoder does).
/// Writing a non-string value writes the text Java's `toString()` gives it
/// (`1.0`, `[a, b]`, `Struct{f=v}`); a null value is a Kafka null.
#[derive(Debug, Clone, Default)]
pub struct StringConverter;

impl StringConverter {
    /// A converter from its own properties. Only UTF-8 is supported
    /// (`converter.encoding` = `UTF8`/`UTF-8`, any case).
    pub fn from_props(props: &PropertyMap) -> Result<Self, ConfigError> {
        match props.get(ENCODING_CONFIG).map(|s| s.trim()) {
            None => Ok(StringConverter),
            Some(e) if is_utf8(e) => Ok(StringConverter),
            Some(other) => Err(ConfigError::new(
                ENCODING_CONFIG,
                Some(other),
                "only UTF-8 is supported (UTF8 or UTF-8); other encodings are not",
            )),
        }
    }
}

fn is_utf8(name: &str) -> bool {
    ["UTF8", "UTF-8", "unicode-1-1-utf-8"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

impl Converter for StringConverter {
    fn from_connect(
        &self,
        _topic: &str,
        _schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.as_bytes().to_vec())),
            other => Ok(Some(to_java_string(other)?.into_bytes())),
        }
    }

    fn to_connect(
        &self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        let value = match bytes {
            None => Value::Null,
            Some(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        };
        Ok((Some(OPTIONAL_STRING.clone()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    #[test]
    fn strings_round_trip_as_utf8() {
        let c = StringConverter;
        let bytes = c
            .from_connect("t", Some(&Schema::string()), &"héllo".into())
            .unwrap();
        assert_eq!(bytes.as_deref(), Some("héllo".as_bytes()));
        let (schema, value) = c.to_connect("t", bytes.as_deref()).unwrap();
        assert_eq!(schema.unwrap(), Schema::optional_string());
        assert_eq!(value, Value::from("héllo"));
    }

    #[test]
    fn nulls_are_kafka_nulls() {
        let c = StringConverter;
        assert_eq!(c.from_connect("t", None, &Value::Null).unwrap(), None);
        let (schema, value) = c.to_connect("t", None).unwrap();
        assert_eq!(schema.unwrap(), Schema::optional_string());
        assert_eq!(value, Value::Null);
    }

    #[test]
    fn other_values_are_written_as_java_prints_them() {
        let c = StringConverter;
        let write = |v: Value| c.from_connect("t", None, &v).unwrap().unwrap();
        assert_eq!(write(Value::Int32(42)), b"42");
        assert_eq!(write(Value::Float64(2.0)), b"2.0");
        assert_eq!(write(Value::Boolean(false)), b"false");
    }

    #[test]
    fn invalid_utf8_is_replaced_as_java_does() {
        let (_, value) = StringConverter.to_connect("t", Some(b"a\xffb")).unwrap();
        assert_eq!(value, Value::from("a\u{fffd}b"));
    }

    #[test]
    fn only_utf8_encodings_are_accepted() {
        assert!(StringConverter::from_props(&PropertyMap::new()).is_ok());
        assert!(
            StringConverter::from_props(&property_map([("converter.encoding", "utf-8")])).is_ok()
        );
        assert!(
            StringConverter::from_props(&property_map([("converter.encoding", "UTF8")])).is_ok()
        );
        let err =
            StringConverter::from_props(&property_map([("converter.encoding", "ISO-8859-1")]))
                .unwrap_err();
        assert_eq!(err.key, "converter.encoding");
        assert_eq!(err.value.as_deref(), Some("ISO-8859-1"));
    }
}
