use std::fmt;

/// A secret string. `Debug` and `Display` print `[hidden]`, as Kafka's
/// `Password`; call [`Password::expose`] where the secret is really needed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(String);

impl Password {
    /// What a password prints as.
    pub const HIDDEN: &'static str = "[hidden]";

    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Password(secret.into())
    }

    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}

/// A parsed configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// BOOLEAN.
    Boolean(bool),
    /// STRING.
    String(String),
    /// INT (32-bit).
    Int(i32),
    /// SHORT (16-bit).
    Short(i16),
    /// LONG (64-bit).
    Long(i64),
    /// DOUBLE.
    Double(f64),
    /// LIST: comma-separated, trimmed.
    List(Vec<String>),
    /// CLASS: a class name or alias.
    Class(String),
    /// PASSWORD.
    Password(Password),
}

impl ConfigValue {
    /// The value as a number, for range validation.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            ConfigValue::Int(v) => Some(v.into()),
            ConfigValue::Short(v) => Some(v.into()),
            ConfigValue::Long(v) => Some(v as f64),
            ConfigValue::Double(v) => Some(v),
            _ => None,
        }
    }
}

/// Displays as it would be written in a properties file, except that a
/// password shows as `[hidden]`.
impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Boolean(v) => write!(f, "{v}"),
            ConfigValue::String(v) | ConfigValue::Class(v) => f.write_str(v),
            ConfigValue::Int(v) => write!(f, "{v}"),
            ConfigValue::Short(v) => write!(f, "{v}"),
            ConfigValue::Long(v) => write!(f, "{v}"),
            ConfigValue::Double(v) => write!(f, "{v}"),
            ConfigValue::List(v) => f.write_str(&v.join(",")),
            ConfigValue::Password(p) => write!(f, "{p}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_prints() {
        let p = Password::new("s3cret");
        assert_eq!(format!("{p} {p:?}"), "[hidden] [hidden]");
        assert_eq!(ConfigValue::Password(p.clone()).to_string(), "[hidden]");
        assert!(!format!("{:?}", ConfigValue::Password(p.clone())).contains("s3cret"));
        assert_eq!(p.expose(), "s3cret");
    }
}
