//! Which tables and columns are captured, with Debezium's semantics: every
//! list holds regular expressions matched against the *whole* name
//! (`schema`, `schema.table`, `schema.table.column`); include and exclude
//! lists of one kind are mutually exclusive; system schemas are never
//! captured.

use ferry_api::config::ConfigError;
use ferry_api::ParsedConfig;
use regex::Regex;

use crate::config::{
    COLUMN_EXCLUDE, COLUMN_INCLUDE, SCHEMA_EXCLUDE, SCHEMA_INCLUDE, TABLE_EXCLUDE, TABLE_INCLUDE,
};
use crate::error::PgCdcError;

/// Schemas that are never captured.
const SYSTEM_SCHEMAS: &[&str] = &["pg_catalog", "information_schema", "pg_toast"];

#[derive(Debug, Clone, Default)]
struct List(Vec<Regex>);

impl List {
    fn new(items: &[String]) -> Result<List, PgCdcError> {
        items
            .iter()
            .map(|s| {
                Regex::new(&format!("^(?:{s})$")).map_err(|error| PgCdcError::BadRegex {
                    pattern: s.clone(),
                    error,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(List)
    }

    fn matches(&self, name: &str) -> bool {
        self.0.iter().any(|r| r.is_match(name))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Table and column filters.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    schema_include: List,
    schema_exclude: List,
    table_include: List,
    table_exclude: List,
    column_include: List,
    column_exclude: List,
}

impl Filters {
    /// Builds the filters, refusing include and exclude lists of the same kind together.
    pub fn from_config(p: &ParsedConfig) -> Result<Filters, ConfigError> {
        for (inc, exc) in [
            (SCHEMA_INCLUDE, SCHEMA_EXCLUDE),
            (TABLE_INCLUDE, TABLE_EXCLUDE),
            (COLUMN_INCLUDE, COLUMN_EXCLUDE),
        ] {
            if !p.list(inc).is_empty() && !p.list(exc).is_empty() {
                return Err(ConfigError::new(
                    exc,
                    Some(&p.list(exc).join(",")),
                    format!("cannot be used together with {inc}; set only one of them"),
                ));
            }
        }
        let list =
            |k: &str| List::new(p.list(k)).map_err(|e| ConfigError::new(k, None, e.to_string()));
        Ok(Filters {
            schema_include: list(SCHEMA_INCLUDE)?,
            schema_exclude: list(SCHEMA_EXCLUDE)?,
            table_include: list(TABLE_INCLUDE)?,
            table_exclude: list(TABLE_EXCLUDE)?,
            column_include: list(COLUMN_INCLUDE)?,
            column_exclude: list(COLUMN_EXCLUDE)?,
        })
    }

    /// Filters from plain lists (tests).
    pub fn from_lists(tables_in: &[&str], tables_out: &[&str], cols_out: &[&str]) -> Filters {
        let l =
            |v: &[&str]| List::new(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        Filters {
            table_include: l(tables_in),
            table_exclude: l(tables_out),
            column_exclude: l(cols_out),
            ..Filters::default()
        }
    }

    /// Whether any table-level filter is set.
    pub fn is_filtered(&self) -> bool {
        !(self.schema_include.is_empty()
            && self.schema_exclude.is_empty()
            && self.table_include.is_empty()
            && self.table_exclude.is_empty())
    }

    /// Whether table `schema.table` is captured.
    pub fn table_included(&self, schema: &str, table: &str) -> bool {
        if SYSTEM_SCHEMAS.contains(&schema) || schema.starts_with("pg_temp") {
            return false;
        }
        if !self.schema_include.is_empty() && !self.schema_include.matches(schema) {
            return false;
        }
        if self.schema_exclude.matches(schema) {
            return false;
        }
        let full = format!("{schema}.{table}");
        if !self.table_include.is_empty() && !self.table_include.matches(&full) {
            return false;
        }
        !self.table_exclude.matches(&full)
    }

    /// Whether column `schema.table.column` is included in values.
    pub fn column_included(&self, schema: &str, table: &str, column: &str) -> bool {
        if self.column_include.is_empty() && self.column_exclude.is_empty() {
            return true;
        }
        let full = format!("{schema}.{table}.{column}");
        if !self.column_include.is_empty() {
            return self.column_include.matches(&full);
        }
        !self.column_exclude.matches(&full)
    }
}

/// `message.key.columns`: `<table regex>:<col>[,<col>...]` entries separated by `;`.
#[derive(Debug, Clone, Default)]
pub struct KeyColumns(Vec<(Regex, Vec<String>)>);

impl KeyColumns {
    /// Parses the setting; `Err(reason)` names the bad entry.
    pub fn parse(s: &str) -> Result<KeyColumns, PgCdcError> {
        let mut out = Vec::new();
        for entry in s.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((table, cols)) = entry.rsplit_once(':') else {
                return Err(PgCdcError::BadKeyEntry {
                    entry: entry.to_string(),
                });
            };
            let re = Regex::new(&format!("^(?:{})$", table.trim())).map_err(|error| {
                PgCdcError::BadRegex {
                    pattern: table.to_string(),
                    error,
                }
            })?;
            let cols: Vec<String> = cols
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            if cols.is_empty() {
                return Err(PgCdcError::NoKeyColumns {
                    entry: entry.to_string(),
                });
            }
            out.push((re, cols));
        }
        Ok(KeyColumns(out))
    }

    /// The configured key columns of `schema.table`, if any.
    pub fn for_table(&self, schema: &str, table: &str) -> Option<&[String]> {
        let full = format!("{schema}.{table}");
        self.0
            .iter()
            .find(|(re, _)| re.is_match(&full))
            .map(|(_, c)| c.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_match_whole_names() {
        let f = Filters::from_lists(&["public\\.ord.*", "inv\\.items"], &[], &[]);
        assert!(f.table_included("public", "orders"));
        assert!(!f.table_included("public", "customers"));
        assert!(f.table_included("inv", "items"));
        assert!(!f.table_included("inv", "items2"));
        assert!(!Filters::default().table_included("pg_catalog", "pg_class"));
        let f = Filters::from_lists(&[], &["public\\.secret"], &["public\\.t\\.pw"]);
        assert!(!f.table_included("public", "secret"));
        assert!(f.table_included("public", "secrets"));
        assert!(!f.column_included("public", "t", "pw"));
        assert!(f.column_included("public", "t", "pw2"));
    }

    #[test]
    fn message_key_columns_parse() {
        let k = KeyColumns::parse("public.a:x,y; inv\\..*:id").unwrap();
        assert_eq!(k.for_table("public", "a").unwrap(), ["x", "y"]);
        assert_eq!(k.for_table("inv", "z").unwrap(), ["id"]);
        assert!(k.for_table("public", "b").is_none());
        assert!(KeyColumns::parse("public.a").is_err());
    }
}
