//! `org.apache.kafka.connect.transforms.RegexRouter`: renames the topic when
//! the whole topic name matches `regex`, to `replacement` (`$1` refers to a
//! capture group). Topics that do not match pass unchanged.

use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConnectRecord, ConnectResult, Importance,
    Outcome, PropertyMap, Transformation,
};
use regex::Regex;

use crate::config::regex_key;

/// Key: the regular expression the topic must match in full.
pub const REGEX: &str = "regex";
/// Key: the new topic name, with `$n` group references.
pub const REPLACEMENT: &str = "replacement";

/// The transform (configure before use).
#[derive(Debug, Default)]
pub struct RegexRouter {
    rule: Option<(Regex, String)>,
}

impl Transformation for RegexRouter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                regex_key(REGEX)
                    .importance(Importance::High)
                    .doc("Regular expression to use for matching."),
            )
            .define(
                ConfigKey::new(REPLACEMENT, ConfigType::String)
                    .required()
                    .importance(Importance::High)
                    .doc("Replacement string."),
            )
    }

    fn configure(&mut self, props: &PropertyMap) -> Result<(), ConfigErrors> {
        let c = self.config_def().parse(props)?;
        let regex = c.string(REGEX).unwrap_or_default();
        // Java's Matcher.matches(): the whole name must match.
        let anchored = Regex::new(&format!("^(?:{regex})$")).expect("validated by regex_key");
        let replacement = java_replacement(c.string(REPLACEMENT).unwrap_or_default());
        self.rule = Some((anchored, replacement));
        Ok(())
    }

    fn apply(&mut self, record: &mut dyn ConnectRecord) -> ConnectResult<Outcome> {
        let (regex, replacement) = self.rule.as_ref().expect("RegexRouter is configured");
        if regex.is_match(record.topic()) {
            let topic = regex
                .replace(record.topic(), replacement.as_str())
                .into_owned();
            record.set_topic(topic);
        }
        Ok(Outcome::Keep)
    }
}

/// Java's replacement syntax (`$1`, `\$` for a dollar) in the regex
/// crate's (`${1}`, `$$`), so `$1x` keeps meaning group 1 then `x`.
pub(crate) fn java_replacement(java: &str) -> String {
    let mut out = String::new();
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => {}
            },
            '$' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    out.push_str("$$");
                } else {
                    out.push_str(&format!("${{{digits}}}"));
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{configured, sink_record, source_record};

    fn route(regex: &str, replacement: &str, topic: &str) -> String {
        let mut t: RegexRouter = configured(&[(REGEX, regex), (REPLACEMENT, replacement)]);
        let mut r = source_record(topic);
        assert_eq!(t.apply(&mut r).unwrap(), Outcome::Keep);
        r.topic
    }

    // Kafka's RegexRouterTest cases.
    #[test]
    fn kafka_golden_cases() {
        assert_eq!(route("(.*)", "prefix-$1", "orig"), "prefix-orig");
        assert_eq!(route("(.*)", "$1-suffix", "orig"), "orig-suffix");
        assert_eq!(
            route("(.*)", "prefix-$1-suffix", "orig"),
            "prefix-orig-suffix"
        );
        assert_eq!(route("(.*)-(.*)-(.*)", "$1-$3", "a-b-c"), "a-c");
        assert_eq!(route("(.*)-(.*)-(.*)", "$1-$3", "a-b-c-d"), "a-b-d");
        assert_eq!(route("(.*)-(.*)-(.*)", "$3-$2-$1", "a-b-c"), "c-b-a");
        assert_eq!(
            route("ab", "c", "abab"),
            "abab",
            "partial matches do not count"
        );
        assert_eq!(
            route("(.*)-(.*)", "$2", "orig"),
            "orig",
            "no match, unchanged"
        );
    }

    #[test]
    fn debezium_topics_route_to_one_table_topic() {
        assert_eq!(
            route("([^.]+)\\.([^.]+)\\.([^.]+)", "lake.$3", "pg.public.orders"),
            "lake.orders"
        );
        assert_eq!(route("(.*)", "cost\\$-$1", "t"), "cost$-t");
    }

    #[test]
    fn a_bad_regex_and_a_missing_replacement_are_refused_naming_the_keys() {
        let errors = RegexRouter::default()
            .configure(&ferry_api::property_map([(REGEX, "(")]))
            .unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, [REGEX, REPLACEMENT], "{errors}");
    }

    #[test]
    fn a_renamed_sink_record_keeps_its_original_topic_for_offsets() {
        let mut t: RegexRouter = configured(&[(REGEX, "pg\\.(.*)"), (REPLACEMENT, "$1")]);
        let mut r = sink_record("pg.orders", None, ferry_api::Value::Null);
        t.apply(&mut r).unwrap();
        assert_eq!(&*r.topic, "orders");
        assert_eq!(r.position(), "pg.orders-0@0");
    }
}
