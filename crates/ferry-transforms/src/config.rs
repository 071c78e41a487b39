//! Config keys several transforms share.

use ferry_api::{ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use regex::Regex;

/// A required STRING key holding a regular expression, refused when it
/// does not compile.
pub(crate) fn regex_key(name: &str) -> ConfigKey {
    ConfigKey::new(name, ConfigType::String)
        .required()
        .validator(Validator::custom(|v| match v {
            ConfigValue::String(s) => Regex::new(s)
                .map(|_| ())
                .map_err(|e| format!("Invalid regex: {e}")),
            _ => Ok(()),
        }))
}

/// Kafka's `NonEmptyListValidator`: a LIST with at least one element.
pub(crate) fn non_empty_list() -> Validator {
    Validator::custom(|v| match v {
        ConfigValue::List(items) if items.is_empty() => Err("Empty list".to_string()),
        _ => Ok(()),
    })
}

/// Key (Kafka 3.x, KIP-581): whether a null field with a default becomes
/// the default.
pub const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// The `replace.null.with.default` key as Kafka's transforms define it
/// (BOOLEAN, default true).
pub(crate) fn replace_null_with_default_key() -> ConfigKey {
    ConfigKey::new(REPLACE_NULL_WITH_DEFAULT, ConfigType::Boolean)
        .default_value("true")
        .importance(Importance::Medium)
        .doc(
            "Whether to replace fields that have a default value and that are null \
             to the default value. When set to true, the default value is used, \
             otherwise null is used.",
        )
}
