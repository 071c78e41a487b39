use std::collections::BTreeMap;

use super::{ConfigValue, Password};
use crate::PropertyMap;

/// A configuration parsed against a [`super::ConfigDef`]: typed values for
/// defined keys, plus the original properties.
#[derive(Debug, Clone, Default)]
pub struct ParsedConfig {
    values: BTreeMap<String, Option<ConfigValue>>,
    originals: PropertyMap,
}

impl ParsedConfig {
    /// Builds a parsed config (normally done by [`super::ConfigDef::parse`]).
    pub fn new(values: BTreeMap<String, Option<ConfigValue>>, originals: PropertyMap) -> Self {
        ParsedConfig { values, originals }
    }

    /// The typed value of a defined key; `None` if undefined or null.
    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        self.values.get(key).and_then(Option::as_ref)
    }

    /// A STRING (or CLASS) value.
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            ConfigValue::String(s) | ConfigValue::Class(s) => Some(s),
            _ => None,
        }
    }

    /// An INT value (SHORT widens).
    pub fn int(&self, key: &str) -> Option<i32> {
        match *self.get(key)? {
            ConfigValue::Int(v) => Some(v),
            ConfigValue::Short(v) => Some(v.into()),
            _ => None,
        }
    }

    /// A LONG value (INT and SHORT widen).
    pub fn long(&self, key: &str) -> Option<i64> {
        match *self.get(key)? {
            ConfigValue::Long(v) => Some(v),
            ConfigValue::Int(v) => Some(v.into()),
            ConfigValue::Short(v) => Some(v.into()),
            _ => None,
        }
    }

    /// A DOUBLE value.
    pub fn double(&self, key: &str) -> Option<f64> {
        self.get(key)?.as_f64()
    }

    /// A BOOLEAN value.
    pub fn boolean(&self, key: &str) -> Option<bool> {
        match *self.get(key)? {
            ConfigValue::Boolean(v) => Some(v),
            _ => None,
        }
    }

    /// A LIST value; empty if unset.
    pub fn list(&self, key: &str) -> &[String] {
        match self.get(key) {
            Some(ConfigValue::List(v)) => v,
            _ => &[],
        }
    }

    /// A PASSWORD value.
    pub fn password(&self, key: &str) -> Option<&Password> {
        match self.get(key)? {
            ConfigValue::Password(p) => Some(p),
            _ => None,
        }
    }

    /// Every property as given, defined or not.
    pub fn originals(&self) -> &PropertyMap {
        &self.originals
    }

    /// The given properties whose keys start with `prefix`, with the prefix
    /// removed (as Kafka's `originalsWithPrefix`).
    pub fn originals_with_prefix(&self, prefix: &str) -> PropertyMap {
        self.originals
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
            .collect()
    }
}
