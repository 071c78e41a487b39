//! The settings of the JSON converter, as Kafka's `JsonConverterConfig`.

use ferry_api::config::{ConfigDef, ConfigErrors, ConfigKey, ConfigType, Importance, Validator};
use ferry_api::PropertyMap;

/// `schemas.enable`: wrap every message in a `{"schema":…,"payload":…}` envelope.
pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
/// `schemas.cache.size`: how many schemas each converter instance caches.
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
/// `decimal.format`: `BASE64` (default) or `NUMERIC`.
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
/// `replace.null.with.default`: write/read a field's default instead of null.
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

/// How Decimal values are written as JSON (`decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// A base64 string of the unscaled value's two's-complement bytes (Kafka's default).
    #[default]
    Base64,
    /// A JSON number, printed as Java's `BigDecimal.toString()` (e.g. `12.30`, `1.5E+3`).
    Numeric,
}

impl DecimalFormat {
    /// The config value naming this format (`BASE64`, `NUMERIC`).
    pub fn config_name(self) -> &'static str {
        match self {
            DecimalFormat::Base64 => "BASE64",
            DecimalFormat::Numeric => "NUMERIC",
        }
    }
}

/// The settings of a JSON converter. `Default` gives Kafka's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonConverterConfig {
    /// `schemas.enable` (default `true`).
    pub schemas_enable: bool,
    /// `schemas.cache.size` (default 1000); 0 disables caching.
    pub schemas_cache_size: usize,
    /// `decimal.format` (default [`DecimalFormat::Base64`]).
    pub decimal_format: DecimalFormat,
    /// `replace.null.with.default` (default `true`).
    pub replace_null_with_default: bool,
}

impl Default for JsonConverterConfig {
    fn default() -> Self {
        JsonConverterConfig {
            schemas_enable: true,
            schemas_cache_size: 1000,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

impl JsonConverterConfig {
    /// The definition of the converter's keys (for validation and docs).
    pub fn config_def() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(SCHEMAS_ENABLE_CONFIG, ConfigType::Boolean)
                    .default_value("true")
                    .importance(Importance::High)
                    .group("Schemas")
                    .doc("Include schemas within each of the serialized values and keys."),
            )
            .define(
                ConfigKey::new(SCHEMAS_CACHE_SIZE_CONFIG, ConfigType::Int)
                    .default_value("1000")
                    .validator(Validator::at_least(0.0))
                    .importance(Importance::High)
                    .group("Schemas")
                    .doc("The maximum number of schemas that can be cached in this converter instance."),
            )
            .define(
                ConfigKey::new(DECIMAL_FORMAT_CONFIG, ConfigType::String)
                    .default_value("BASE64")
                    .validator(Validator::one_of(["BASE64", "NUMERIC"]))
                    .importance(Importance::Low)
                    .group("Serialization")
                    .doc(
                        "Controls which format this converter will serialize decimals in. This \
                         value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
                    ),
            )
            .define(
                ConfigKey::new(REPLACE_NULL_WITH_DEFAULT_CONFIG, ConfigType::Boolean)
                    .default_value("true")
                    .importance(Importance::Low)
                    .group("Serialization")
                    .doc(
                        "Whether to replace fields that have a default value and that are null \
                         to the default value. When set to true, the default value is used, \
                         otherwise null is used.",
                    ),
            )
    }

    /// Reads the converter's own properties (without the `value.converter.`
    /// prefix). Unknown keys are ignored, as in Kafka; every bad value is
    /// reported, naming its key.
    pub fn from_props(props: &PropertyMap) -> Result<Self, ConfigErrors> {
        let parsed = Self::config_def().parse(props)?;
        let defaults = Self::default();
        let decimal_format = match parsed.string(DECIMAL_FORMAT_CONFIG) {
            Some(s) if s.eq_ignore_ascii_case("NUMERIC") => DecimalFormat::Numeric,
            _ => DecimalFormat::Base64,
        };
        Ok(JsonConverterConfig {
            schemas_enable: parsed
                .boolean(SCHEMAS_ENABLE_CONFIG)
                .unwrap_or(defaults.schemas_enable),
            schemas_cache_size: parsed
                .int(SCHEMAS_CACHE_SIZE_CONFIG)
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(defaults.schemas_cache_size),
            decimal_format,
            replace_null_with_default: parsed
                .boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
                .unwrap_or(defaults.replace_null_with_default),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    #[test]
    fn defaults_match_kafka() {
        let cfg = JsonConverterConfig::from_props(&PropertyMap::new()).unwrap();
        assert_eq!(cfg, JsonConverterConfig::default());
        assert!(cfg.schemas_enable);
        assert!(cfg.replace_null_with_default);
        assert_eq!(cfg.decimal_format, DecimalFormat::Base64);
        assert_eq!(cfg.schemas_cache_size, 1000);
    }

    #[test]
    fn reads_every_key_case_insensitively() {
        let cfg = JsonConverterConfig::from_props(&property_map([
            ("schemas.enable", "FALSE"),
            ("decimal.format", "numeric"),
            ("replace.null.with.default", "false"),
            ("schemas.cache.size", "5"),
            ("converter.type", "value"),
        ]))
        .unwrap();
        assert!(!cfg.schemas_enable);
        assert_eq!(cfg.decimal_format, DecimalFormat::Numeric);
        assert!(!cfg.replace_null_with_default);
        assert_eq!(cfg.schemas_cache_size, 5);
    }

    #[test]
    fn bad_values_name_their_keys() {
        let errs = JsonConverterConfig::from_props(&property_map([
            ("schemas.enable", "yes"),
            ("decimal.format", "HEX"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["schemas.enable", "decimal.format"]);
        assert!(errs.to_string().contains("BASE64, NUMERIC"), "{errs}");
    }
}
