//! Config keys several transforms share.

use ferry_api::{ConfigKey, ConfigType, ConfigValue, Validator};
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
