//! `--key value` options.

use std::collections::HashMap;
use std::str::FromStr;

use crate::error::{BenchError, Result};

/// Parsed `--key value` pairs.
pub struct Options(HashMap<String, String>);

impl Options {
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(k) = it.next() {
            let Some(name) = k.strip_prefix("--") else {
                return Err(BenchError::Usage(format!("expected --option, got {k:?}")));
            };
            let v = it
                .next()
                .ok_or_else(|| BenchError::Usage(format!("--{name} needs a value")))?;
            map.insert(name.to_string(), v.clone());
        }
        Ok(Options(map))
    }

    pub fn str(&self, name: &str) -> Result<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| BenchError::Usage(format!("--{name} is required")))
    }

    pub fn num<T: FromStr>(&self, name: &str, default: Option<T>) -> Result<T> {
        match self.0.get(name) {
            Some(v) => v
                .replace('_', "")
                .parse()
                .map_err(|_| BenchError::Usage(format!("--{name} {v:?} is not a number"))),
            None => default.ok_or_else(|| BenchError::Usage(format!("--{name} is required"))),
        }
    }
}
