//! `schema.name.adjustment.mode` (Debezium's `SchemaNameAdjuster`): schema
//! names made valid Avro full names, or left alone.

use std::collections::{HashMap, HashSet};

use crate::TransformError;

/// The values `schema.name.adjustment.mode` takes.
pub(crate) const MODES: [&str; 3] = ["none", "avro", "avro_unicode"];

/// How schema names are adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Names stay as they are.
    None,
    /// Each invalid character becomes `_` (a leading digit keeps itself
    /// after the `_`).
    Avro,
    /// Each invalid character (`_` included) becomes `_uXXXX`, its UTF-16
    /// code in hex.
    AvroUnicode,
}

impl Mode {
    /// Parses a mode, ignoring case and surrounding blanks.
    pub(crate) fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Mode::None),
            "avro" => Some(Mode::Avro),
            "avro_unicode" => Some(Mode::AvroUnicode),
            _ => None,
        }
    }
}

/// Adjusts names and, as Debezium does, refuses the first time a name's
/// replacement equals the replacement of a different name.
#[derive(Debug)]
pub(crate) struct SchemaNameAdjuster {
    mode: Mode,
    seen: HashSet<String>,
    original_by_replacement: HashMap<String, String>,
}

impl SchemaNameAdjuster {
    /// An adjuster for the mode.
    pub(crate) fn new(mode: Mode) -> Self {
        SchemaNameAdjuster {
            mode,
            seen: HashSet::new(),
            original_by_replacement: HashMap::new(),
        }
    }

    /// The adjusted name.
    pub(crate) fn adjust(&mut self, proposed: &str) -> Result<String, TransformError> {
        let adjusted = match self.mode {
            Mode::None => return Ok(proposed.to_string()),
            Mode::Avro => valid_fullname(proposed, false),
            Mode::AvroUnicode => valid_fullname(proposed, true),
        };
        let Some(adjusted) = adjusted else {
            return Ok(proposed.to_string());
        };
        if self.seen.insert(proposed.to_string()) {
            let previous = self
                .original_by_replacement
                .insert(adjusted.clone(), proposed.to_string());
            if let Some(other) = previous.filter(|o| o != proposed) {
                return Err(TransformError::Data(format!(
                    "The Kafka Connect schema name '{proposed}' is not a valid Avro schema name and its replacement '{adjusted}' conflicts with another different schema '{other}'"
                )));
            }
        }
        Ok(adjusted)
    }
}

/// The name with invalid characters replaced, or `None` if it is valid.
fn valid_fullname(proposed: &str, unicode: bool) -> Option<String> {
    let letter = |c: u16| {
        (b'a' as u16..=b'z' as u16).contains(&c) || (b'A' as u16..=b'Z' as u16).contains(&c)
    };
    let first_ok = |c: u16| letter(c) || (!unicode && c == b'_' as u16);
    // After the first character `.` and digits are fine too; `_` only for
    // plain Avro (the Unicode function escapes it everywhere).
    let next_ok =
        |c: u16| first_ok(c) || c == b'.' as u16 || (b'0' as u16..=b'9' as u16).contains(&c);
    let replace = |c: u16| {
        if unicode {
            let hex = format!("{c:x}");
            if hex.len() <= 2 {
                format!("_u00{hex}")
            } else {
                format!("_u{hex}")
            }
        } else {
            "_".to_string()
        }
    };
    let units: Vec<u16> = proposed.encode_utf16().collect();
    let (&first, rest) = units.split_first()?;
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    let mut changed = false;
    if first_ok(first) {
        out.push(first);
    } else {
        out.extend(replace(first).encode_utf16());
        if !unicode && (b'0' as u16..=b'9' as u16).contains(&first) {
            out.push(first);
        }
        changed = true;
    }
    for &c in rest {
        if next_ok(c) {
            out.push(c);
        } else {
            out.extend(replace(c).encode_utf16());
            changed = true;
        }
    }
    changed.then(|| String::from_utf16_lossy(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adjust(mode: Mode, name: &str) -> String {
        SchemaNameAdjuster::new(mode).adjust(name).unwrap()
    }

    #[test]
    fn avro_replaces_invalid_characters_with_underscores() {
        assert_eq!(
            adjust(
                Mode::Avro,
                "mysql-server-1.inventory.customers_all_shards.Key"
            ),
            "mysql_server_1.inventory.customers_all_shards.Key"
        );
        assert_eq!(adjust(Mode::Avro, "1abc"), "_1abc");
        assert_eq!(adjust(Mode::Avro, "_ok.Name9"), "_ok.Name9");
        assert_eq!(adjust(Mode::None, "a-b"), "a-b");
        assert_eq!(adjust(Mode::Avro, ""), "");
    }

    #[test]
    fn avro_unicode_spells_out_utf16_codes() {
        assert_eq!(adjust(Mode::AvroUnicode, "a-b"), "a_u002db");
        assert_eq!(adjust(Mode::AvroUnicode, "_x"), "_u005fx");
        assert_eq!(adjust(Mode::AvroUnicode, "1x"), "_u0031x");
        assert_eq!(adjust(Mode::AvroUnicode, "aĀ"), "a_u100");
        assert_eq!(adjust(Mode::AvroUnicode, "a😀"), "a_ud83d_ude00");
        assert_eq!(adjust(Mode::AvroUnicode, "a_b.c1"), "a_u005fb.c1");
    }

    #[test]
    fn a_conflicting_replacement_is_refused_once() {
        let mut a = SchemaNameAdjuster::new(Mode::Avro);
        assert_eq!(a.adjust("a-b").unwrap(), "a_b");
        let err = a.adjust("a.b-").unwrap();
        assert_eq!(err, "a.b_");
        let err = a.adjust("a+b").unwrap_err();
        assert_eq!(
            err.to_string(),
            "The Kafka Connect schema name 'a+b' is not a valid Avro schema name and its replacement 'a_b' conflicts with another different schema 'a-b'"
        );
        assert_eq!(a.adjust("a+b").unwrap(), "a_b", "only the first time");
        assert_eq!(Mode::parse(" AVRO_unicode "), Some(Mode::AvroUnicode));
        assert_eq!(Mode::parse("x"), None);
        assert_eq!(MODES.len(), 3);
    }
}
