use std::fmt;

/// One problem with one configuration key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The key.
    pub key: String,
    /// The offending value as given, or `None` if the key was missing.
    /// Password values are already replaced by `[hidden]`.
    pub value: Option<String>,
    /// Why the value is not acceptable, and what would be.
    pub reason: String,
}

impl ConfigError {
    /// A problem with a key's value.
    pub fn new(key: impl Into<String>, value: Option<&str>, reason: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            value: value.map(str::to_string),
            reason: reason.into(),
        }
    }

    /// A required key that is missing.
    pub fn missing(key: impl Into<String>, doc: &str) -> Self {
        let reason = if doc.is_empty() {
            "is required and has no default".to_string()
        } else {
            format!("is required and has no default ({doc})")
        };
        ConfigError {
            key: key.into(),
            value: None,
            reason,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{} = {:?}: {}", self.key, v, self.reason),
            None => write!(f, "{}: {}", self.key, self.reason),
        }
    }
}

/// Every problem found in one configuration; never empty when returned as
/// an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// A single problem.
    pub fn single(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }

    /// Adds a problem.
    pub fn push(&mut self, error: ConfigError) {
        self.0.push(error);
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` if empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), ConfigErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// Iterates the problems.
    pub fn iter(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            0 => f.write_str("no problems"),
            1 => write!(f, "{}", self.0[0]),
            n => {
                write!(f, "{n} problems: ")?;
                for (i, e) in self.0.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
        }
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}
