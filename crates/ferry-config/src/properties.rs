//! A `.properties` parser with the exact semantics of Java's
//! `java.util.Properties.load(Reader)`, for UTF-8 text.
//!
//! The format, in short (see the `Properties.load` javadoc for the full
//! story):
//!
//! - A *natural line* ends at `\n`, `\r` or `\r\n`. A *logical line* is one or
//!   more natural lines joined by a backslash at the end of all but the last;
//!   the leading whitespace of each continuation line is dropped.
//! - Blank lines and lines whose first non-whitespace character is `#` or `!`
//!   are comments. A comment never continues onto the next line.
//! - Whitespace means space, tab and form feed.
//! - The key runs from the first non-whitespace character to the first
//!   unescaped `=`, `:` or whitespace. Whitespace after the key is skipped, then
//!   one `=` or `:` if present, then whitespace again; the rest is the value.
//!   A key alone on its line has the empty string as its value.
//! - In keys and values `\t`, `\n`, `\r`, `\f` are the control characters,
//!   `\uXXXX` is a UTF-16 code unit (surrogate pairs combine), and any other
//!   escaped character stands for itself (`\\`, `\=`, `\:`, `\#`, `\!`, `\ `,
//!   `\x` → `x`). A malformed `\u` is an error.
//! - A later duplicate key replaces an earlier one.
//!
//! Two details go beyond `Properties.load`, neither of which changes the
//! meaning of a file Java reads correctly: a UTF-8 byte order mark at the start
//! is skipped (Java would make it part of the first key), and a lone UTF-16
//! surrogate written as `\uD800` becomes U+FFFD, since a Rust string cannot
//! hold it.

use crate::error::PropertiesError;
use ferry_api::PropertyMap;

/// Parses `.properties` text into a property map, later duplicates winning.
///
/// ```
/// use ferry_config::parse_properties;
///
/// let props = parse_properties("# worker\nbootstrap.servers = localhost:9092\nplugin.path\n").unwrap();
/// assert_eq!(props["bootstrap.servers"], "localhost:9092");
/// assert_eq!(props["plugin.path"], "");
/// ```
pub fn parse_properties(text: &str) -> Result<PropertyMap, PropertiesError> {
    let mut map = PropertyMap::new();
    for entry in parse_properties_ordered(text)? {
        map.insert(entry.0, entry.1);
    }
    Ok(map)
}

/// Parses `.properties` text into its entries in file order, duplicates
/// included (the last one is the one `Properties.load` keeps).
pub fn parse_properties_ordered(text: &str) -> Result<Vec<(String, String)>, PropertiesError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = LineReader::new(text);
    let mut entries = Vec::new();
    while let Some(line) = reader.next_logical_line() {
        entries.push(split_entry(&line)?);
    }
    Ok(entries)
}

/// Whitespace in the sense of `Properties.load`: space, tab, form feed.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// One logical line: its characters, and for each the 1-based physical line
/// it came from (for error messages).
#[derive(Debug, Default)]
struct LogicalLine {
    chars: Vec<char>,
    lines: Vec<usize>,
}

/// Splits text into logical lines exactly as `Properties.LineReader` does.
struct LineReader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    /// Physical line of the next character.
    line: usize,
}

impl<'a> LineReader<'a> {
    fn new(text: &'a str) -> Self {
        LineReader {
            chars: text.chars().peekable(),
            line: 1,
        }
    }

    /// The next character and the physical line it is on.
    fn next_char(&mut self) -> Option<(char, usize)> {
        let c = self.chars.next()?;
        let line = self.line;
        match c {
            '\n' => self.line += 1,
            '\r' if self.chars.peek() != Some(&'\n') => self.line += 1,
            _ => {}
        }
        Some((c, line))
    }

    fn next_logical_line(&mut self) -> Option<LogicalLine> {
        let mut out = LogicalLine::default();
        let mut skip_white_space = true;
        let mut is_new_line = true;
        let mut appended_line_begin = false;
        let mut preceding_backslash = false;
        let mut skip_lf = false;

        loop {
            let Some((c, line)) = self.next_char() else {
                if out.chars.is_empty() {
                    return None;
                }
                if preceding_backslash {
                    out.chars.pop();
                    out.lines.pop();
                }
                return Some(out);
            };
            if skip_lf {
                skip_lf = false;
                if c == '\n' {
                    continue;
                }
            }
            if skip_white_space {
                if is_blank(c) {
                    continue;
                }
                if !appended_line_begin && (c == '\r' || c == '\n') {
                    continue;
                }
                skip_white_space = false;
                appended_line_begin = false;
            }
            if is_new_line {
                is_new_line = false;
                if c == '#' || c == '!' {
                    // A comment: drop the rest of the natural line.
                    loop {
                        match self.next_char() {
                            None => return None,
                            Some(('\n', _)) | Some(('\r', _)) => break,
                            Some(_) => {}
                        }
                    }
                    is_new_line = true;
                    skip_white_space = true;
                    continue;
                }
            }
            if c != '\n' && c != '\r' {
                out.chars.push(c);
                out.lines.push(line);
                preceding_backslash = c == '\\' && !preceding_backslash;
                continue;
            }
            // A line terminator.
            if out.chars.is_empty() {
                is_new_line = true;
                skip_white_space = true;
                continue;
            }
            if preceding_backslash {
                // Continuation: drop the backslash, skip the next line's indent.
                out.chars.pop();
                out.lines.pop();
                skip_white_space = true;
                appended_line_begin = true;
                preceding_backslash = false;
                if c == '\r' {
                    skip_lf = true;
                }
                continue;
            }
            return Some(out);
        }
    }
}

/// Splits a logical line into key and value, as `Properties.load0` does.
fn split_entry(line: &LogicalLine) -> Result<(String, String), PropertiesError> {
    let chars = &line.chars;
    let limit = chars.len();
    let mut key_len = 0;
    let mut value_start = limit;
    let mut has_sep = false;
    let mut preceding_backslash = false;
    while key_len < limit {
        let c = chars[key_len];
        if (c == '=' || c == ':') && !preceding_backslash {
            value_start = key_len + 1;
            has_sep = true;
            break;
        } else if is_blank(c) && !preceding_backslash {
            value_start = key_len + 1;
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        key_len += 1;
    }
    while value_start < limit {
        let c = chars[value_start];
        if !is_blank(c) {
            if !has_sep && (c == '=' || c == ':') {
                has_sep = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    let key = unescape(line, 0, key_len)?;
    let value = unescape(line, value_start, limit)?;
    Ok((key, value))
}

/// Resolves escapes in `line[start..end]`, as `Properties.loadConvert` does.
fn unescape(line: &LogicalLine, start: usize, end: usize) -> Result<String, PropertiesError> {
    let chars = &line.chars;
    let mut out: Vec<u16> = Vec::with_capacity(end - start);
    let mut buf = [0u16; 2];
    let mut i = start;
    while i < end {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            out.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        // The line reader never leaves an unpaired trailing backslash, so an
        // escaped character always follows; be defensive all the same.
        let Some(&escaped) = chars[..end].get(i) else {
            break;
        };
        i += 1;
        let unit = match escaped {
            'u' => {
                let malformed = PropertiesError::MalformedUnicodeEscape {
                    line: line.lines[i - 2],
                };
                if i + 4 > end {
                    return Err(malformed);
                }
                let mut value: u16 = 0;
                for &h in &chars[i..i + 4] {
                    let digit = h.to_digit(16).ok_or_else(|| malformed.clone())?;
                    value = (value << 4) | digit as u16;
                }
                i += 4;
                out.push(value);
                continue;
            }
            't' => '\t',
            'r' => '\r',
            'n' => '\n',
            'f' => '\x0c',
            other => other,
        };
        out.extend_from_slice(unit.encode_utf16(&mut buf));
    }
    Ok(String::from_utf16_lossy(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> PropertyMap {
        parse_properties(text).unwrap()
    }

    fn one(text: &str) -> (String, String) {
        let entries = parse_properties_ordered(text).unwrap();
        assert_eq!(entries.len(), 1, "{text:?} gave {entries:?}");
        entries.into_iter().next().unwrap()
    }

    fn kv(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn empty_text_has_no_entries() {
        assert!(parse("").is_empty());
        assert!(parse("\n\n\r\n  \t\x0c\n").is_empty());
    }

    #[test]
    fn javadoc_separator_examples_all_mean_truth_is_beauty() {
        // From the Properties.load javadoc.
        for text in [
            "Truth = Beauty",
            "  Truth:Beauty",
            "Truth                    :Beauty",
        ] {
            assert_eq!(one(text), kv("Truth", "Beauty"), "{text:?}");
        }
        assert_eq!(one("Truth Beauty"), kv("Truth", "Beauty"));
        assert_eq!(one("Truth\tBeauty"), kv("Truth", "Beauty"));
        assert_eq!(one("Truth\x0cBeauty"), kv("Truth", "Beauty"));
        assert_eq!(one("Truth=Beauty"), kv("Truth", "Beauty"));
    }

    #[test]
    fn javadoc_continuation_example() {
        let text = "fruits                           apple, banana, pear, \\\n\
                    \x20                                cantaloupe, watermelon, \\\n\
                    \x20                                kiwi, mango\n";
        assert_eq!(
            one(text),
            kv(
                "fruits",
                "apple, banana, pear, cantaloupe, watermelon, kiwi, mango"
            )
        );
    }

    #[test]
    fn javadoc_key_without_value_is_empty_string() {
        assert_eq!(one("cheeses\n"), kv("cheeses", ""));
        assert_eq!(one("cheeses"), kv("cheeses", ""));
        assert_eq!(one("cheeses   "), kv("cheeses", ""));
        assert_eq!(one("cheeses="), kv("cheeses", ""));
        assert_eq!(one("cheeses :  "), kv("cheeses", ""));
    }

    #[test]
    fn javadoc_escaped_separators_in_key() {
        // `\:\=` is a key of two characters with an empty value.
        assert_eq!(one("\\:\\="), kv(":=", ""));
        assert_eq!(one("a\\=b=c"), kv("a=b", "c"));
        assert_eq!(one("a\\:b:c"), kv("a:b", "c"));
        assert_eq!(one("a\\ b c"), kv("a b", "c"));
        assert_eq!(one("key\\ with\\ spaces = v"), kv("key with spaces", "v"));
    }

    #[test]
    fn only_the_first_separator_counts() {
        assert_eq!(one("key = = value"), kv("key", "= value"));
        assert_eq!(one("key := value"), kv("key", "= value"));
        assert_eq!(one("key==value"), kv("key", "=value"));
        assert_eq!(one("key value = x"), kv("key", "value = x"));
        assert_eq!(one("key  =  a:b=c"), kv("key", "a:b=c"));
        assert_eq!(
            one("url=jdbc:postgresql://h:5432/db"),
            kv("url", "jdbc:postgresql://h:5432/db")
        );
    }

    #[test]
    fn whitespace_then_colon_separator() {
        assert_eq!(one("key : value"), kv("key", "value"));
        assert_eq!(one("key\t:\tvalue"), kv("key", "value"));
    }

    #[test]
    fn trailing_whitespace_of_value_is_kept() {
        assert_eq!(one("key = value  "), kv("key", "value  "));
    }

    #[test]
    fn line_starting_with_separator_has_empty_key() {
        assert_eq!(one("=value"), kv("", "value"));
        assert_eq!(one(":value"), kv("", "value"));
        assert_eq!(one("  = value"), kv("", "value"));
    }

    #[test]
    fn comments_and_blank_lines() {
        let text = "# comment\n! also a comment\n   # indented comment\n\t! indented\n\na=1\n";
        assert_eq!(parse(text), PropertyMap::from([kv("a", "1")]));
    }

    #[test]
    fn comment_marker_inside_a_line_is_content() {
        assert_eq!(one("a=1 # not a comment"), kv("a", "1 # not a comment"));
        assert_eq!(one("a#b=c"), kv("a#b", "c"));
        assert_eq!(one("a!b=c"), kv("a!b", "c"));
    }

    #[test]
    fn comment_never_continues() {
        let text = "# comment \\\na=1\n";
        assert_eq!(parse(text), PropertyMap::from([kv("a", "1")]));
    }

    #[test]
    fn comment_at_end_of_text_without_newline() {
        assert_eq!(parse("a=1\n# last"), PropertyMap::from([kv("a", "1")]));
    }

    #[test]
    fn continuation_line_starting_with_hash_is_content() {
        assert_eq!(one("a=1\\\n  #2"), kv("a", "1#2"));
    }

    #[test]
    fn continuation_drops_leading_whitespace_only() {
        assert_eq!(one("a=x\\\n   y  \\\n\tz"), kv("a", "xy  z"));
    }

    #[test]
    fn continuation_in_key() {
        assert_eq!(one("ab\\\n  cd=1"), kv("abcd", "1"));
    }

    #[test]
    fn continuation_followed_by_empty_line_ends_the_entry() {
        let entries = parse_properties_ordered("a=1\\\n\nb=2\n").unwrap();
        assert_eq!(entries, vec![kv("a", "1"), kv("b", "2")]);
    }

    #[test]
    fn continuation_with_crlf_and_cr() {
        assert_eq!(one("a=1\\\r\n  2\r\n"), kv("a", "12"));
        assert_eq!(one("a=1\\\r  2\r"), kv("a", "12"));
        let entries = parse_properties_ordered("a=1\r\nb=2\rc=3\n").unwrap();
        assert_eq!(entries, vec![kv("a", "1"), kv("b", "2"), kv("c", "3")]);
    }

    #[test]
    fn continuation_at_end_of_text_is_dropped() {
        assert_eq!(one("a=1\\"), kv("a", "1"));
    }

    #[test]
    fn even_backslashes_at_line_end_do_not_continue() {
        let entries = parse_properties_ordered("a=1\\\\\nb=2").unwrap();
        assert_eq!(entries, vec![kv("a", "1\\"), kv("b", "2")]);
        // Three: one escaped backslash, then a continuation.
        assert_eq!(one("a=1\\\\\\\n  2"), kv("a", "1\\2"));
    }

    #[test]
    fn character_escapes() {
        assert_eq!(one("a=\\t\\n\\r\\f"), kv("a", "\t\n\r\x0c"));
        assert_eq!(one("a=\\\\"), kv("a", "\\"));
        assert_eq!(one("a=\\=\\:\\#\\!"), kv("a", "=:#!"));
        assert_eq!(one("a=\\ x"), kv("a", " x"));
        assert_eq!(one("a=C:\\\\Program Files"), kv("a", "C:\\Program Files"));
    }

    #[test]
    fn escaped_leading_space_in_value_is_kept() {
        assert_eq!(one("a = \\  x"), kv("a", "  x"));
    }

    #[test]
    fn other_escapes_drop_the_backslash() {
        assert_eq!(one("a=\\x\\y\\z\\b\\q\\\""), kv("a", "xyzbq\""));
        // Java does not know \b: it is just b.
        assert_eq!(one("a=C:\\dir\\bin"), kv("a", "C:dirbin"));
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(one("a=\\u0041\\u00e9\\u00E9"), kv("a", "Aéé"));
        assert_eq!(one("\\u0041\\u003d=1"), kv("A=", "1"));
        // A surrogate pair combines into one character.
        assert_eq!(one("a=\\uD83D\\uDE00"), kv("a", "😀"));
        // A lone surrogate cannot live in a Rust string.
        assert_eq!(one("a=\\uD83Dx"), kv("a", "\u{fffd}x"));
    }

    #[test]
    fn unicode_escape_of_separator_is_not_a_separator() {
        assert_eq!(one("a\\u003db=c"), kv("a=b", "c"));
    }

    #[test]
    fn non_ascii_utf8_is_taken_literally() {
        assert_eq!(one("grüße=日本語 😀"), kv("grüße", "日本語 😀"));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        assert_eq!(one("\u{feff}a=1"), kv("a", "1"));
    }

    #[test]
    fn malformed_unicode_escape_is_an_error_with_its_line() {
        let err = parse_properties("a=1\nb=\\u12\n").unwrap_err();
        assert_eq!(err, PropertiesError::MalformedUnicodeEscape { line: 2 });
        let err = parse_properties("\n\nc=\\uzzzz").unwrap_err();
        assert_eq!(err, PropertiesError::MalformedUnicodeEscape { line: 3 });
        let err = parse_properties("k\\u00g1=1").unwrap_err();
        assert_eq!(err, PropertiesError::MalformedUnicodeEscape { line: 1 });
        assert!(err.to_string().contains("line 1"), "{err}");
        // \u at the very end.
        assert!(parse_properties("a=\\u").is_err());
    }

    #[test]
    fn malformed_escape_line_counts_continuations_and_crlf() {
        let err = parse_properties("a=1\r\nb=x\\\r\n  \\u1").unwrap_err();
        assert_eq!(err, PropertiesError::MalformedUnicodeEscape { line: 3 });
    }

    #[test]
    fn unicode_escape_split_by_continuation_is_joined_first() {
        // Java joins the logical line before converting escapes.
        assert_eq!(one("a=\\u00\\\n   41"), kv("a", "A"));
    }

    #[test]
    fn later_duplicates_win() {
        let props = parse("a=1\nb=2\na=3\n");
        assert_eq!(props, PropertyMap::from([kv("a", "3"), kv("b", "2")]));
    }

    #[test]
    fn ordered_keeps_file_order_and_duplicates() {
        let entries = parse_properties_ordered("z=1\na=2\nz=3").unwrap();
        assert_eq!(entries, vec![kv("z", "1"), kv("a", "2"), kv("z", "3")]);
    }

    #[test]
    fn a_realistic_worker_file() {
        let text = "\
# Kafka Connect standalone worker
bootstrap.servers=localhost:9092
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.file.filename=/tmp/connect.offsets
offset.flush.interval.ms=10000
#plugin.path=
plugin.path=/usr/share/java,\\
        /opt/connectors
";
        let props = parse(text);
        assert_eq!(props.len(), 8);
        assert_eq!(props["plugin.path"], "/usr/share/java,/opt/connectors");
        assert_eq!(props["key.converter.schemas.enable"], "true");
    }
}
