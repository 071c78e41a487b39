//! Joda-Time style date patterns (`'year'=YYYY/'month'=MM`), as Confluent's
//! `path.format` uses them: letters are fields, text in single quotes is
//! literal (`''` is a quote), everything else is copied.

use chrono::{DateTime, Datelike, Offset, TimeZone, Timelike};

use crate::error::S3SinkError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    Field(char, usize),
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JodaPattern {
    tokens: Vec<Token>,
}

const SUPPORTED: &str = "GCYyxMdDHkhKmsSEeawZz";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl JodaPattern {
    /// Parses a pattern; [`S3SinkError::BadPathFormat`] for an unterminated
    /// quote or a letter Joda does not define.
    pub fn parse(pattern: &str) -> Result<Self, S3SinkError> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(S3SinkError::BadPathFormat(format!(
                                "unterminated quote at position {i}"
                            )))
                        }
                        Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                            literal.push('\'');
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(&ch) => {
                            literal.push(ch);
                            j += 1;
                        }
                    }
                }
                i = j + 1;
            } else if c.is_ascii_alphabetic() {
                if !SUPPORTED.contains(c) {
                    return Err(S3SinkError::BadPathFormat(format!(
                        "pattern letter '{c}' is not supported (supported: {SUPPORTED})"
                    )));
                }
                let mut n = 1;
                while chars.get(i + n) == Some(&c) {
                    n += 1;
                }
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal)));
                }
                tokens.push(Token::Field(c, n));
                i += n;
            } else {
                literal.push(c);
                i += 1;
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(JodaPattern { tokens })
    }

    /// Formats a time (English names for text fields).
    pub fn format<Tz: TimeZone>(&self, t: &DateTime<Tz>) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        let mut out = String::new();
        let pad = |out: &mut String, v: i64, n: usize| {
            if v < 0 {
                out.push('-');
            }
            let s = v.unsigned_abs().to_string();
            for _ in s.len()..n {
                out.push('0');
            }
            out.push_str(&s);
        };
        for tok in &self.tokens {
            match tok {
                Token::Literal(s) => out.push_str(s),
                Token::Field(c, n) => {
                    let n = *n;
                    match c {
                        'G' => out.push_str(if t.year() > 0 { "AD" } else { "BC" }),
                        'C' => pad(&mut out, (t.year() / 100) as i64, n),
                        'y' | 'Y' | 'x' => {
                            let y = if *c == 'x' {
                                t.iso_week().year()
                            } else {
                                t.year()
                            } as i64;
                            if n == 2 {
                                pad(&mut out, y.rem_euclid(100), 2)
                            } else {
                                pad(&mut out, y, n)
                            }
                        }
                        'M' if n >= 4 => out.push_str(MONTHS[t.month0() as usize]),
                        'M' if n == 3 => out.push_str(&MONTHS[t.month0() as usize][..3]),
                        'M' => pad(&mut out, t.month() as i64, n),
                        'd' => pad(&mut out, t.day() as i64, n),
                        'D' => pad(&mut out, t.ordinal() as i64, n),
                        'H' => pad(&mut out, t.hour() as i64, n),
                        'k' => pad(
                            &mut out,
                            if t.hour() == 0 { 24 } else { t.hour() as i64 },
                            n,
                        ),
                        'h' => pad(&mut out, (t.hour12().1) as i64, n),
                        'K' => pad(&mut out, (t.hour() % 12) as i64, n),
                        'm' => pad(&mut out, t.minute() as i64, n),
                        's' => pad(&mut out, t.second() as i64, n),
                        'S' => {
                            let ms = format!("{:03}", t.timestamp_subsec_millis());
                            let mut frac: String = ms.chars().take(n).collect();
                            while frac.len() < n {
                                frac.push('0');
                            }
                            out.push_str(&frac);
                        }
                        'E' if n >= 4 => {
                            out.push_str(DAYS[t.weekday().num_days_from_monday() as usize])
                        }
                        'E' => {
                            out.push_str(&DAYS[t.weekday().num_days_from_monday() as usize][..3])
                        }
                        'e' => pad(&mut out, t.weekday().number_from_monday() as i64, n),
                        'a' => out.push_str(if t.hour() < 12 { "AM" } else { "PM" }),
                        'w' => pad(&mut out, t.iso_week().week() as i64, n),
                        'Z' => {
                            let secs = t.offset().fix().local_minus_utc();
                            let sign = if secs < 0 { '-' } else { '+' };
                            let (h, m) = (secs.abs() / 3600, (secs.abs() % 3600) / 60);
                            if n == 1 {
                                out.push_str(&format!("{sign}{h:02}{m:02}"))
                            } else {
                                out.push_str(&format!("{sign}{h:02}:{m:02}"))
                            }
                        }
                        'z' => out.push_str(&t.offset().to_string()),
                        _ => {}
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn at(ms: i64, tz: Tz) -> DateTime<Tz> {
        tz.timestamp_millis_opt(ms).unwrap()
    }

    #[test]
    fn hive_style_pattern_with_quoted_literals() {
        let p = JodaPattern::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH").unwrap();
        // 2024-05-01T13:45:00Z
        assert_eq!(
            p.format(&at(1_714_571_100_000, Tz::UTC)),
            "year=2024/month=05/day=01/hour=13"
        );
        assert_eq!(
            p.format(&at(1_714_571_100_000, Tz::America__New_York)),
            "year=2024/month=05/day=01/hour=09"
        );
    }

    #[test]
    fn escaped_quotes_text_and_short_fields() {
        let p = JodaPattern::parse("yyyy-MM-dd'T'HH''mm MMM EEE a").unwrap();
        assert_eq!(p.format(&at(0, Tz::UTC)), "1970-01-01T00'00 Jan Thu AM");
        let p = JodaPattern::parse("yy/M/d").unwrap();
        assert_eq!(p.format(&at(1_714_571_100_000, Tz::UTC)), "24/5/1");
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(JodaPattern::parse("'year=YYYY").is_err());
        assert!(JodaPattern::parse("YYYY/qq").is_err());
    }
}
