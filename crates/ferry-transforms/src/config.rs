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
