//! Parsing Kafka client `sasl.jaas.config` values:
//! `<LoginModuleClass> <flag> [<option>=<value>]* ;`.

/// One JAAS login module entry: `<class> <flag> [<key>=<value>]* ;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct JaasEntry {
    /// The login module class.
    pub(super) module: String,
    /// The options, in order.
    pub(super) options: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum JaasToken {
    Word(String),
    Quoted(String),
    Equals,
    Semicolon,
    Other,
}

/// Tokenizes as Java's `StreamTokenizer` set up by Kafka's `JaasConfig`:
/// words of letters, digits, `_`, `$`, `.`, `-`; `"` or `'` quoted strings
/// with backslash escapes; `//` and `/* */` comments.
fn jaas_tokens(text: &str) -> Vec<JaasToken> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c <= ' ' => {}
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = '\0';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
            }
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        c if c == quote => break,
                        '\\' => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some('b') => s.push('\x08'),
                            Some('f') => s.push('\x0c'),
                            Some(other) => s.push(other),
                            None => break,
                        },
                        // StreamTokenizer ends an unterminated string at a newline.
                        '\n' | '\r' => break,
                        c => s.push(c),
                    }
                }
                tokens.push(JaasToken::Quoted(s));
            }
            '=' => tokens.push(JaasToken::Equals),
            ';' => tokens.push(JaasToken::Semicolon),
            c if is_jaas_word_char(c) => {
                let mut s = String::from(c);
                while let Some(&c) = chars.peek() {
                    if !is_jaas_word_char(c) {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                tokens.push(JaasToken::Word(s));
            }
            _ => tokens.push(JaasToken::Other),
        }
    }
    tokens
}

fn is_jaas_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | '-')
}

/// Parses a client `sasl.jaas.config`: exactly one login module, as Kafka
/// requires. Errors never quote option values.
pub(super) fn parse_jaas(text: &str) -> Result<JaasEntry, String> {
    let tokens = jaas_tokens(text);
    let mut it = tokens.into_iter().peekable();
    let mut entries = Vec::new();
    while let Some(token) = it.next() {
        let JaasToken::Word(module) = token else {
            return Err("expected a login module class name".to_string());
        };
        let flag = match it.next() {
            Some(JaasToken::Word(flag)) => flag,
            _ => return Err(format!("no control flag after login module {module}")),
        };
        if !matches!(
            flag.to_ascii_uppercase().as_str(),
            "REQUIRED" | "REQUISITE" | "SUFFICIENT" | "OPTIONAL"
        ) {
            return Err(format!(
                "invalid control flag {flag:?}; use required, requisite, sufficient or optional"
            ));
        }
        let mut options = Vec::new();
        loop {
            match it.next() {
                Some(JaasToken::Semicolon) => break,
                None => return Err("the login module entry does not end with ';'".to_string()),
                Some(JaasToken::Word(key)) | Some(JaasToken::Quoted(key)) => {
                    if it.next() != Some(JaasToken::Equals) {
                        return Err(format!("option {key:?} has no value"));
                    }
                    match it.next() {
                        Some(JaasToken::Word(value)) | Some(JaasToken::Quoted(value)) => {
                            options.push((key, value))
                        }
                        _ => return Err(format!("option {key:?} has no value")),
                    }
                }
                Some(_) => return Err("unexpected character in the options".to_string()),
            }
        }
        entries.push(JaasEntry { module, options });
    }
    match entries.len() {
        0 => Err("no login module is specified".to_string()),
        1 => Ok(entries.pop().expect("one entry")),
        n => Err(format!(
            "it has {n} login modules; a client needs exactly 1"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(entry: &JaasEntry) -> Vec<(&str, &str)> {
        entry
            .options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn one_module_with_quoted_and_bare_options() {
        let entry = parse_jaas(
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password='p w' retries=3;"#,
        )
        .unwrap();
        assert_eq!(
            entry.module,
            "org.apache.kafka.common.security.plain.PlainLoginModule"
        );
        assert_eq!(
            options(&entry),
            vec![("username", "alice"), ("password", "p w"), ("retries", "3")]
        );
    }

    #[test]
    fn escapes_in_quoted_values() {
        let entry = parse_jaas(r#"M required a="q\"uote" b="back\\slash" c="tab\tx";"#).unwrap();
        assert_eq!(
            options(&entry),
            vec![("a", "q\"uote"), ("b", "back\\slash"), ("c", "tab\tx")]
        );
    }

    #[test]
    fn comments_and_whitespace() {
        let entry =
            parse_jaas("// line\n/* block ; */ M\n\toptional /* x */ a = \"1\" ;\n").unwrap();
        assert_eq!(options(&entry), vec![("a", "1")]);
    }

    #[test]
    fn flags_are_case_insensitive() {
        for flag in ["required", "REQUISITE", "Sufficient", "optional"] {
            assert!(parse_jaas(&format!("M {flag};")).is_ok(), "{flag}");
        }
        let err = parse_jaas("M mandatory;").unwrap_err();
        assert!(err.contains("invalid control flag"), "{err}");
    }

    #[test]
    fn structural_errors_never_quote_values() {
        for (text, expected) in [
            ("", "no login module"),
            ("M", "no control flag"),
            (r#"M required a="s3cret""#, "does not end with ';'"),
            ("M required a;", "option \"a\" has no value"),
            ("M required a=;", "option \"a\" has no value"),
            ("M required a=@s3cret;", "option \"a\" has no value"),
            ("M required @ a=\"s3cret\";", "unexpected character"),
            ("M required; N required;", "2 login modules"),
            ("\"M\" required;", "expected a login module class name"),
        ] {
            let err = parse_jaas(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(!err.contains("s3cret"), "{err}");
        }
    }
}
