//! Converters by class name: the Java class names Kafka Connect configs use
//! and short aliases.

use std::sync::Arc;

use crate::json::JsonConverter;
use ferry_api::{ConfigError, ConfigErrors, Converter, PropertyMap};

use super::{
    AvroConverter, ByteArrayConverter, HeaderConverter, SimpleHeaderConverter, StringConverter,
};

/// `org.apache.kafka.connect.json.JsonConverter`.
pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";
/// `org.apache.kafka.connect.storage.StringConverter`.
pub const STRING_CONVERTER: &str = "org.apache.kafka.connect.storage.StringConverter";
/// `org.apache.kafka.connect.converters.ByteArrayConverter`.
pub const BYTE_ARRAY_CONVERTER: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";
/// `org.apache.kafka.connect.storage.SimpleHeaderConverter`.
pub const SIMPLE_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Avro,
    Json,
    String,
    ByteArray,
    SimpleHeader,
}

/// Which converter a class name or alias means. Java class names match
/// exactly; aliases (`JsonConverter`, `Json`, `StringConverter`, `String`,
/// `ByteArrayConverter`, `ByteArray`, `SimpleHeaderConverter`,
/// `SimpleHeader`) in any case.
fn kind_of(class: &str) -> Option<Kind> {
    let class = class.trim();
    match class {
        JSON_CONVERTER => return Some(Kind::Json),
        crate::AVRO_CONVERTER => return Some(Kind::Avro),
        STRING_CONVERTER => return Some(Kind::String),
        BYTE_ARRAY_CONVERTER => return Some(Kind::ByteArray),
        SIMPLE_HEADER_CONVERTER => return Some(Kind::SimpleHeader),
        _ => {}
    }
    let lower = class.to_ascii_lowercase();
    match lower.strip_suffix("converter").unwrap_or(&lower) {
        "json" => Some(Kind::Json),
        "avro" => Some(Kind::Avro),
        "string" => Some(Kind::String),
        "bytearray" => Some(Kind::ByteArray),
        "simpleheader" => Some(Kind::SimpleHeader),
        _ => None,
    }
}

/// The converter for `key.converter` or `value.converter`.
///
/// `config_key` names the setting (for errors), `class` is its value,
/// `props` the converter's own settings with the `<config_key>.` prefix
/// stripped, `is_key` whether it converts keys (Kafka's `converter.type`;
/// the AvroConverter names key subjects `<topic>-key`). Errors
/// name the full key, e.g. `value.converter.schemas.enable`.
pub fn converter_for(
    config_key: &str,
    class: &str,
    props: &PropertyMap,
    is_key: bool,
) -> Result<Arc<dyn Converter>, ConfigError> {
    match kind_of(class) {
        Some(Kind::Avro) => Ok(Arc::new(
            AvroConverter::from_props(props, is_key).map_err(|e| prefixed(config_key, e))?,
        )),
        Some(Kind::Json) => Ok(Arc::new(
            JsonConverter::from_props(props).map_err(|e| prefixed(config_key, e))?,
        )),
        Some(Kind::String) => Ok(Arc::new(
            StringConverter::from_props(props).map_err(|e| prefixed(config_key, e.into()))?,
        )),
        Some(Kind::ByteArray) => Ok(Arc::new(ByteArrayConverter)),
        Some(Kind::SimpleHeader) => Err(ConfigError::new(
            config_key,
            Some(class),
            format!(
                "SimpleHeaderConverter only converts headers (header.converter); \
                 for keys and values use one of: {}",
                CONVERTERS.join(", ")
            ),
        )),
        None => Err(unknown(config_key, class, CONVERTERS)),
    }
}

/// The converter for `header.converter`: SimpleHeaderConverter (Kafka's
/// default) or any of the key/value converters. Arguments as for
/// [`converter_for`].
pub fn header_converter_for(
    config_key: &str,
    class: &str,
    props: &PropertyMap,
) -> Result<Arc<dyn HeaderConverter>, ConfigError> {
    match kind_of(class) {
        Some(Kind::SimpleHeader) => Ok(Arc::new(SimpleHeaderConverter)),
        Some(Kind::Avro) => Err(ConfigError::new(
            config_key,
            Some(class),
            "AvroConverter converts keys and values, not headers (as in Kafka Connect)",
        )),
        Some(Kind::Json) => Ok(Arc::new(
            JsonConverter::from_props(props).map_err(|e| prefixed(config_key, e))?,
        )),
        Some(Kind::String) => Ok(Arc::new(
            StringConverter::from_props(props).map_err(|e| prefixed(config_key, e.into()))?,
        )),
        Some(Kind::ByteArray) => Ok(Arc::new(ByteArrayConverter)),
        None => Err(unknown(config_key, class, HEADER_CONVERTERS)),
    }
}

/// What `key.converter` and `value.converter` accept.
const CONVERTERS: &[&str] = &[
    JSON_CONVERTER,
    crate::AVRO_CONVERTER,
    STRING_CONVERTER,
    BYTE_ARRAY_CONVERTER,
    "or the aliases JsonConverter/Json, AvroConverter/Avro, StringConverter/String, ByteArrayConverter/ByteArray",
];

/// What `header.converter` accepts.
const HEADER_CONVERTERS: &[&str] = &[
    SIMPLE_HEADER_CONVERTER,
    JSON_CONVERTER,
    STRING_CONVERTER,
    BYTE_ARRAY_CONVERTER,
    "or the aliases SimpleHeaderConverter/SimpleHeader, JsonConverter/Json, \
     StringConverter/String, ByteArrayConverter/ByteArray",
];

fn unknown(config_key: &str, class: &str, supported: &[&str]) -> ConfigError {
    ConfigError::new(
        config_key,
        Some(class),
        format!(
            "unknown converter class; Ferry supports {}",
            supported.join(", ")
        ),
    )
}

/// One error naming the converter's settings with their full key
/// (`value.converter.schemas.enable`); further problems join its reason.
fn prefixed(config_key: &str, errors: ConfigErrors) -> ConfigError {
    let mut all = errors.0.into_iter().map(|e| ConfigError {
        key: format!("{config_key}.{}", e.key),
        ..e
    });
    let Some(mut first) = all.next() else {
        return ConfigError::new(config_key, None, "invalid converter settings");
    };
    for other in all {
        first.reason.push_str(&format!("; also {other}"));
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;
    use ferry_api::{Schema, Value};

    #[test]
    fn java_class_names_and_aliases_resolve() {
        for class in [JSON_CONVERTER, "JsonConverter", "Json", "json"] {
            assert_eq!(kind_of(class), Some(Kind::Json), "{class}");
        }
        for class in [STRING_CONVERTER, "StringConverter", "String"] {
            assert_eq!(kind_of(class), Some(Kind::String), "{class}");
        }
        for class in [BYTE_ARRAY_CONVERTER, "ByteArrayConverter", "ByteArray"] {
            assert_eq!(kind_of(class), Some(Kind::ByteArray), "{class}");
        }
        for class in [
            SIMPLE_HEADER_CONVERTER,
            "SimpleHeaderConverter",
            "SimpleHeader",
        ] {
            assert_eq!(kind_of(class), Some(Kind::SimpleHeader), "{class}");
        }
        for class in [crate::AVRO_CONVERTER, "AvroConverter", "avro"] {
            assert_eq!(kind_of(class), Some(Kind::Avro), "{class}");
        }
        for class in [
            "io.confluent.connect.protobuf.ProtobufConverter",
            "Converter",
            "",
        ] {
            assert_eq!(kind_of(class), None, "{class}");
        }
    }

    #[test]
    fn converters_are_built_with_their_settings() {
        let json = converter_for(
            "value.converter",
            JSON_CONVERTER,
            &property_map([("schemas.enable", "false")]),
            false,
        )
        .unwrap();
        let bytes = json
            .from_connect("t", Some(&Schema::int32()), &Value::Int32(1))
            .unwrap();
        assert_eq!(bytes.as_deref(), Some(&b"1"[..]));

        let string = converter_for(
            "key.converter",
            "StringConverter",
            &PropertyMap::new(),
            true,
        )
        .unwrap();
        let (schema, _) = string.to_connect("t", Some(b"k")).unwrap();
        assert_eq!(schema.unwrap(), Schema::optional_string());

        let bytes = converter_for("key.converter", "ByteArray", &PropertyMap::new(), true).unwrap();
        assert_eq!(
            bytes.to_connect("t", None).unwrap().0.unwrap(),
            Schema::optional_bytes()
        );
    }

    #[test]
    fn header_converters_include_the_value_converters() {
        let simple = header_converter_for(
            "header.converter",
            SIMPLE_HEADER_CONVERTER,
            &PropertyMap::new(),
        )
        .unwrap();
        let (schema, value) = simple.to_connect_header("t", "h", Some(b"7")).unwrap();
        assert_eq!((schema.unwrap(), value), (Schema::int8(), Value::Int8(7)));
        let json =
            header_converter_for("header.converter", "JsonConverter", &PropertyMap::new()).unwrap();
        let bytes = json
            .from_connect_header("t", "h", Some(&Schema::boolean()), &Value::Boolean(true))
            .unwrap()
            .unwrap();
        assert_eq!(
            bytes,
            br#"{"schema":{"type":"boolean","optional":false},"payload":true}"#
        );
        assert!(header_converter_for("header.converter", "String", &PropertyMap::new()).is_ok());
        assert!(header_converter_for(
            "header.converter",
            "ByteArrayConverter",
            &PropertyMap::new()
        )
        .is_ok());
    }

    #[test]
    fn unknown_classes_name_the_key_and_the_supported_classes() {
        let err = converter_for(
            "value.converter",
            "io.confluent.connect.protobuf.ProtobufConverter",
            &PropertyMap::new(),
            false,
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "value.converter");
        assert_eq!(
            err.value.as_deref(),
            Some("io.confluent.connect.protobuf.ProtobufConverter")
        );
        assert!(err.reason.contains(crate::AVRO_CONVERTER), "{err}");
        assert!(err.reason.contains(JSON_CONVERTER), "{err}");
        assert!(err.reason.contains(BYTE_ARRAY_CONVERTER), "{err}");
        // The AvroConverter without a registry URL names the full key.
        let err = converter_for(
            "value.converter",
            crate::AVRO_CONVERTER,
            &PropertyMap::new(),
            false,
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "value.converter.schema.registry.url", "{err}");
        let err = header_converter_for("header.converter", "Nope", &PropertyMap::new())
            .err()
            .unwrap();
        assert_eq!(err.key, "header.converter");
        assert!(err.reason.contains(SIMPLE_HEADER_CONVERTER), "{err}");
        let err = converter_for(
            "key.converter",
            "SimpleHeaderConverter",
            &PropertyMap::new(),
            true,
        )
        .err()
        .unwrap();
        assert!(err.reason.contains("only converts headers"), "{err}");
    }

    #[test]
    fn bad_converter_settings_name_the_full_key() {
        let err = converter_for(
            "value.converter",
            "Json",
            &property_map([("schemas.enable", "maybe"), ("decimal.format", "HEX")]),
            false,
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "value.converter.schemas.enable");
        assert!(
            err.reason.contains("value.converter.decimal.format"),
            "{err}"
        );
        let err = converter_for(
            "key.converter",
            STRING_CONVERTER,
            &property_map([("converter.encoding", "UTF-16")]),
            true,
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "key.converter.converter.encoding");
    }
}
