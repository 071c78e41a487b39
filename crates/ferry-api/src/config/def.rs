use std::fmt;
use std::sync::Arc;

use super::{ConfigError, ConfigErrors, ConfigValue, ParsedConfig, Password};
use crate::PropertyMap;

/// The type of a configuration key, as Kafka's `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    /// `true` / `false` (case-insensitive).
    Boolean,
    /// Any string.
    String,
    /// 32-bit integer.
    Int,
    /// 16-bit integer.
    Short,
    /// 64-bit integer.
    Long,
    /// Floating point.
    Double,
    /// Comma-separated list.
    List,
    /// A class name (or one of Ferry's aliases for it).
    Class,
    /// A secret: never printed in logs, errors or REST responses.
    Password,
}

impl ConfigType {
    /// The upper-case name Kafka's REST API uses (`INT`, `PASSWORD`, ...).
    pub fn connect_name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

/// How important a key is, as Kafka's `ConfigDef.Importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Importance {
    /// Most users set it.
    High,
    /// Some users set it.
    #[default]
    Medium,
    /// Tuning.
    Low,
}

impl Importance {
    /// The upper-case name Kafka's REST API uses.
    pub fn connect_name(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

/// A key's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    /// No default: the key must be set.
    Required,
    /// Optional; absent means null.
    Null,
    /// The default, written as it would be in a properties file.
    Value(String),
}

/// A custom validation function: `Err(reason)` rejects the value.
pub type ValidatorFn = Arc<dyn Fn(&ConfigValue) -> Result<(), String> + Send + Sync>;

/// Checks a parsed value beyond its type.
#[derive(Clone)]
pub enum Validator {
    /// A number within inclusive bounds.
    Range {
        /// Lowest allowed value, if any.
        min: Option<f64>,
        /// Highest allowed value, if any.
        max: Option<f64>,
    },
    /// One of the given strings, compared case-insensitively (for lists:
    /// each element).
    OneOf(Vec<String>),
    /// A string that is not empty after trimming.
    NonEmptyString,
    /// Any other check.
    Custom(ValidatorFn),
}

impl Validator {
    /// A number ≥ `min`.
    pub fn at_least(min: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: None,
        }
    }

    /// A number in `min..=max`.
    pub fn between(min: f64, max: f64) -> Self {
        Validator::Range {
            min: Some(min),
            max: Some(max),
        }
    }

    /// One of the given strings (case-insensitive).
    pub fn one_of<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Validator::OneOf(values.into_iter().map(Into::into).collect())
    }

    /// A custom check.
    pub fn custom(f: impl Fn(&ConfigValue) -> Result<(), String> + Send + Sync + 'static) -> Self {
        Validator::Custom(Arc::new(f))
    }

    /// Checks a value; `Err(reason)` if it is not acceptable.
    pub fn check(&self, value: &ConfigValue) -> Result<(), String> {
        match self {
            Validator::Range { min, max } => {
                let Some(n) = value.as_f64() else {
                    return Ok(());
                };
                match (min, max) {
                    (Some(lo), Some(hi)) if n < *lo || n > *hi => {
                        Err(format!("must be between {lo} and {hi}"))
                    }
                    (Some(lo), None) if n < *lo => Err(format!("must be at least {lo}")),
                    (None, Some(hi)) if n > *hi => Err(format!("must be at most {hi}")),
                    _ => Ok(()),
                }
            }
            Validator::OneOf(allowed) => {
                let ok = |s: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(s));
                let bad: Vec<&str> = match value {
                    ConfigValue::List(items) => items
                        .iter()
                        .map(String::as_str)
                        .filter(|s| !ok(s))
                        .collect(),
                    ConfigValue::String(s) | ConfigValue::Class(s) => {
                        if ok(s) {
                            vec![]
                        } else {
                            vec![s.as_str()]
                        }
                    }
                    _ => vec![],
                };
                if bad.is_empty() {
                    Ok(())
                } else {
                    Err(format!("must be one of [{}]", allowed.join(", ")))
                }
            }
            Validator::NonEmptyString => match value {
                ConfigValue::String(s) if s.trim().is_empty() => {
                    Err("must be a non-empty string".into())
                }
                _ => Ok(()),
            },
            Validator::Custom(f) => f(value),
        }
    }
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validator::Range { min, max } => write!(f, "Range({min:?}..={max:?})"),
            Validator::OneOf(v) => write!(f, "OneOf({v:?})"),
            Validator::NonEmptyString => f.write_str("NonEmptyString"),
            Validator::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// The definition of one configuration key.
#[derive(Debug, Clone)]
pub struct ConfigKey {
    /// The key, e.g. `s3.bucket.name`.
    pub name: String,
    /// Its type.
    pub config_type: ConfigType,
    /// Its default.
    pub default: DefaultValue,
    /// Extra validation.
    pub validator: Option<Validator>,
    /// How important it is.
    pub importance: Importance,
    /// What it does.
    pub documentation: String,
    /// A group name for documentation (`Common`, `Connector`, ...).
    pub group: Option<String>,
}

impl ConfigKey {
    /// A key of a type; optional with a null default until told otherwise.
    pub fn new(name: impl Into<String>, config_type: ConfigType) -> Self {
        ConfigKey {
            name: name.into(),
            config_type,
            default: DefaultValue::Null,
            validator: None,
            importance: Importance::Medium,
            documentation: String::new(),
            group: None,
        }
    }

    /// Makes the key required (no default).
    pub fn required(mut self) -> Self {
        self.default = DefaultValue::Required;
        self
    }

    /// Sets the default, written as in a properties file.
    pub fn default_value(mut self, value: impl Into<String>) -> Self {
        self.default = DefaultValue::Value(value.into());
        self
    }

    /// Adds a validator.
    pub fn validator(mut self, validator: Validator) -> Self {
        self.validator = Some(validator);
        self
    }

    /// Sets the importance.
    pub fn importance(mut self, importance: Importance) -> Self {
        self.importance = importance;
        self
    }

    /// Sets the documentation.
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.documentation = doc.into();
        self
    }

    /// Sets the documentation group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Parses a raw string as this key's type (no validator). The error is
    /// the reason, ready for a [`ConfigError`].
    pub fn parse_value(&self, raw: &str) -> Result<ConfigValue, String> {
        let t = raw.trim();
        match self.config_type {
            ConfigType::Boolean => match t.to_ascii_lowercase().as_str() {
                "true" => Ok(ConfigValue::Boolean(true)),
                "false" => Ok(ConfigValue::Boolean(false)),
                _ => Err("expected true or false".into()),
            },
            ConfigType::String => Ok(ConfigValue::String(t.to_string())),
            ConfigType::Int => t
                .parse()
                .map(ConfigValue::Int)
                .map_err(|_| "expected a 32-bit integer".into()),
            ConfigType::Short => t
                .parse()
                .map(ConfigValue::Short)
                .map_err(|_| "expected a 16-bit integer".into()),
            ConfigType::Long => t
                .parse()
                .map(ConfigValue::Long)
                .map_err(|_| "expected a 64-bit integer".into()),
            ConfigType::Double => t
                .parse()
                .map(ConfigValue::Double)
                .map_err(|_| "expected a number".into()),
            ConfigType::List => Ok(ConfigValue::List(
                t.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            )),
            ConfigType::Class => Ok(ConfigValue::Class(t.to_string())),
            // Passwords are kept verbatim: whitespace may be part of a secret.
            ConfigType::Password => Ok(ConfigValue::Password(Password::new(raw))),
        }
    }
}

/// A set of key definitions: what a connector (or the runtime) accepts.
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    /// An empty definition.
    pub fn new() -> Self {
        ConfigDef::default()
    }

    /// Adds a key. A key defined twice keeps the later definition.
    pub fn define(mut self, key: ConfigKey) -> Self {
        self.keys.retain(|k| k.name != key.name);
        self.keys.push(key);
        self
    }

    /// Adds every key of another definition.
    pub fn merge(mut self, other: &ConfigDef) -> Self {
        for k in &other.keys {
            self = self.define(k.clone());
        }
        self
    }

    /// The keys, in definition order.
    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    /// One key's definition.
    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Whether the key holds a secret.
    pub fn is_password(&self, name: &str) -> bool {
        self.key(name)
            .is_some_and(|k| k.config_type == ConfigType::Password)
    }

    /// Parses and validates properties. Keys not defined here are kept in
    /// [`ParsedConfig::originals`] and otherwise ignored, as in Kafka.
    /// Returns every problem at once.
    pub fn parse(&self, props: &PropertyMap) -> Result<ParsedConfig, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let mut values = std::collections::BTreeMap::new();
        for key in &self.keys {
            let raw = props.get(&key.name).map(String::as_str);
            let shown = |raw: &str| -> String {
                if key.config_type == ConfigType::Password {
                    Password::HIDDEN.to_string()
                } else {
                    raw.to_string()
                }
            };
            let text = match (raw, &key.default) {
                (Some(r), _) => Some(r.to_string()),
                (None, DefaultValue::Value(d)) => Some(d.clone()),
                (None, DefaultValue::Null) => None,
                (None, DefaultValue::Required) => {
                    errors.push(ConfigError::missing(&key.name, &key.documentation));
                    continue;
                }
            };
            let Some(text) = text else {
                values.insert(key.name.clone(), None);
                continue;
            };
            match key.parse_value(&text) {
                Ok(v) => {
                    if let Some(validator) = &key.validator {
                        if let Err(reason) = validator.check(&v) {
                            errors.push(ConfigError::new(&key.name, Some(&shown(&text)), reason));
                            continue;
                        }
                    }
                    values.insert(key.name.clone(), Some(v));
                }
                Err(reason) => {
                    errors.push(ConfigError::new(&key.name, Some(&shown(&text)), reason));
                }
            }
        }
        errors.into_result()?;
        Ok(ParsedConfig::new(values, props.clone()))
    }

    /// Like [`ConfigDef::parse`] but only collects the problems.
    pub fn validate(&self, props: &PropertyMap) -> ConfigErrors {
        match self.parse(props) {
            Ok(_) => ConfigErrors::default(),
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::property_map;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new("file", ConfigType::String)
                    .required()
                    .doc("the file"),
            )
            .define(
                ConfigKey::new("batch.size", ConfigType::Int)
                    .default_value("2000")
                    .validator(Validator::at_least(1.0)),
            )
            .define(
                ConfigKey::new("mode", ConfigType::String)
                    .default_value("a")
                    .validator(Validator::one_of(["a", "b"])),
            )
            .define(ConfigKey::new("secret", ConfigType::Password))
            .define(ConfigKey::new("flag", ConfigType::Boolean).default_value("false"))
            .define(ConfigKey::new("topics", ConfigType::List).default_value(""))
    }

    #[test]
    fn defaults_apply_and_types_parse() {
        let p = def()
            .parse(&property_map([
                ("file", "x"),
                ("flag", "TRUE"),
                ("topics", " a, b ,"),
            ]))
            .unwrap();
        assert_eq!(p.string("file"), Some("x"));
        assert_eq!(p.int("batch.size"), Some(2000));
        assert_eq!(p.boolean("flag"), Some(true));
        assert_eq!(p.list("topics"), ["a".to_string(), "b".to_string()]);
        assert!(p.password("secret").is_none());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = def()
            .parse(&property_map([
                ("batch.size", "0"),
                ("mode", "c"),
                ("flag", "yes"),
            ]))
            .unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["file", "batch.size", "mode", "flag"]);
        let text = errs.to_string();
        assert!(text.starts_with("4 problems"), "{text}");
        assert!(
            text.contains("batch.size = \"0\": must be at least 1"),
            "{text}"
        );
        assert!(
            text.contains("mode = \"c\": must be one of [a, b]"),
            "{text}"
        );
    }

    #[test]
    fn bad_password_values_are_hidden_in_errors() {
        let def = ConfigDef::new().define(
            ConfigKey::new("pw", ConfigType::Password)
                .validator(Validator::custom(|_| Err("too short".into()))),
        );
        let errs = def.parse(&property_map([("pw", "hunter2")])).unwrap_err();
        let text = errs.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("[hidden]"), "{text}");
    }

    #[test]
    fn merge_keeps_later_definition() {
        let a = ConfigDef::new().define(ConfigKey::new("k", ConfigType::Int).default_value("1"));
        let b = ConfigDef::new().define(ConfigKey::new("k", ConfigType::Int).default_value("2"));
        let merged = a.merge(&b);
        assert_eq!(merged.keys().len(), 1);
        assert_eq!(merged.parse(&PropertyMap::new()).unwrap().int("k"), Some(2));
    }
}
