//! Java's `SimpleDateFormat`, in UTC, for the patterns Kafka Connect users
//! write in `TimestampRouter`'s `timestamp.format` and
//! `TimestampConverter`'s `format`.
//!
//! Pattern letters: `y` (year; `yy` two digits), `M` (month; `MMM` `Jan`,
//! `MMMM` `January`), `d`, `H` (0-23), `k` (1-24), `K` (0-11), `h` (1-12),
//! `m`, `s`, `S` (milliseconds, a number as in Java), `E` (`Mon`, `EEEE`
//! `Monday`), `a` (`AM`/`PM`), `z` (`UTC`), `Z` (`+0000`) and `X` (`Z`).
//! Text in single quotes is literal (`''` is a quote); other non-letters
//! are literal. Other letters Java knows (`G`, `D`, `w`, `u`, ...) are
//! refused by name, as are letters Java does not know.
//!
//! Parsing is lenient, as `SimpleDateFormat`'s default: out-of-range
//! fields roll over (month 13 is January of the next year), two-digit
//! years (`yy`) fall within 80 years before and 20 after now, a numeric
//! field directly followed by another field takes at most its pattern
//! width (`yyyyMMdd`), and text after the pattern is ignored. Zones
//! (`z`, `Z`, `X`) accept `UTC`, `GMT`, `UT`, `Z` and offsets such as
//! `+0200`, `-05:00`, `GMT+2`.
//!
//! Dates are proleptic Gregorian throughout (Java switches to the Julian
//! calendar before 1582-10-15); years before 1 print as Java's era years
//! (`0` is `1`, as 1 BC).

use ferry_api::data::text::{civil_from_days, days_from_civil, MILLIS_PER_DAY};

/// The pattern letters Java's `SimpleDateFormat` defines.
const JAVA_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";

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

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A compiled `SimpleDateFormat` pattern, formatting and parsing in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaDateFormat {
    pattern: String,
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field(char, usize),
}

/// A millisecond timestamp in UTC, split into calendar fields.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    weekday: usize,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

impl Civil {
    fn of(epoch_millis: i64) -> Self {
        let days = epoch_millis.div_euclid(MILLIS_PER_DAY);
        let ms = epoch_millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            weekday: (days + 4).rem_euclid(7) as usize,
            hour: ms / 3_600_000,
            minute: ms / 60_000 % 60,
            second: ms / 1000 % 60,
            millis: ms % 1000,
        }
    }
}

impl JavaDateFormat {
    /// Compiles a pattern; the error says what is wrong with it (Java's
    /// `IllegalArgumentException` text where Java refuses it too).
    pub fn new(pattern: &str) -> Result<Self, String> {
        let mut items: Vec<Item> = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars().peekable();
        let mut in_quote = false;
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    literal.push('\'');
                } else {
                    in_quote = !in_quote;
                }
                continue;
            }
            if in_quote || !c.is_ascii_alphabetic() {
                literal.push(c);
                continue;
            }
            if !JAVA_LETTERS.contains(c) {
                return Err(format!("Illegal pattern character '{c}'"));
            }
            if !"yMdHkKhmsSEazZX".contains(c) {
                return Err(format!(
                    "pattern letter '{c}' is not supported (supported: y, M, d, H, k, K, h, m, s, \
                     S, E, a, z, Z, X and quoted text)"
                ));
            }
            let mut count = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                count += 1;
            }
            if c == 'X' && count > 3 {
                return Err(format!("invalid ISO 8601 format: length={count}"));
            }
            if !literal.is_empty() {
                items.push(Item::Literal(std::mem::take(&mut literal)));
            }
            items.push(Item::Field(c, count));
        }
        if in_quote {
            return Err("Unterminated quote".into());
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        Ok(JavaDateFormat {
            pattern: pattern.to_string(),
            items,
        })
    }

    /// The pattern as given (Java's `toPattern()`).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Formats milliseconds since the epoch as UTC text.
    pub fn format(&self, epoch_millis: i64) -> String {
        let t = Civil::of(epoch_millis);
        let mut out = String::new();
        for item in &self.items {
            let (letter, count) = match item {
                Item::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                Item::Field(letter, count) => (*letter, *count),
            };
            let number = match letter {
                'y' => {
                    // Java prints the era year (1 BC is year 1).
                    let year = if t.year <= 0 { 1 - t.year } else { t.year };
                    if count == 2 {
                        push_padded(&mut out, year % 100, 2);
                        continue;
                    }
                    year
                }
                'M' if count >= 3 => {
                    push_name(&mut out, MONTHS[t.month as usize - 1], count);
                    continue;
                }
                'M' => i64::from(t.month),
                'd' => i64::from(t.day),
                'H' => t.hour,
                'k' => {
                    if t.hour == 0 {
                        24
                    } else {
                        t.hour
                    }
                }
                'K' => t.hour % 12,
                'h' => {
                    if t.hour % 12 == 0 {
                        12
                    } else {
                        t.hour % 12
                    }
                }
                'm' => t.minute,
                's' => t.second,
                'S' => t.millis,
                'E' => {
                    push_name(&mut out, WEEKDAYS[t.weekday], count);
                    continue;
                }
                'a' => {
                    out.push_str(if t.hour < 12 { "AM" } else { "PM" });
                    continue;
                }
                'z' => {
                    out.push_str(if count >= 4 {
                        "Coordinated Universal Time"
                    } else {
                        "UTC"
                    });
                    continue;
                }
                'Z' => {
                    out.push_str("+0000");
                    continue;
                }
                'X' => {
                    out.push('Z');
                    continue;
                }
                _ => unreachable!("refused when compiled"),
            };
            push_padded(&mut out, number, count);
        }
        out
    }

    /// Parses text from its start into milliseconds since the epoch, as
    /// Java's lenient `parse(String)`: `None` where Java throws
    /// `ParseException`.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let mut p = Parsed::default();
        let mut rest = text;
        for (i, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Item::Field(letter, count) => {
                    rest = rest.trim_start_matches([' ', '\t']);
                    let abutting = matches!(self.items.get(i + 1), Some(Item::Field(..)));
                    rest = p.field(*letter, *count, abutting, rest)?;
                }
            }
        }
        p.epoch_millis()
    }
}

fn push_padded(out: &mut String, n: i64, width: usize) {
    use std::fmt::Write as _;
    let _ = write!(out, "{n:0width$}");
}

fn push_name(out: &mut String, name: &str, count: usize) {
    out.push_str(if count >= 4 { name } else { &name[..3] });
}

/// The fields read so far, with Java's defaults (1970-01-01T00:00 UTC).
#[derive(Default)]
struct Parsed {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    hour: Option<i64>,
    /// Hour of the half day (`h`, `K`), made 0-11.
    half_hour: Option<i64>,
    pm: Option<bool>,
    minute: i64,
    second: i64,
    millis: i64,
    offset_millis: i64,
}

impl Parsed {
    /// Reads one field at the start of `text`; returns what follows.
    fn field<'a>(
        &mut self,
        letter: char,
        count: usize,
        abutting: bool,
        text: &'a str,
    ) -> Option<&'a str> {
        match letter {
            'M' if count >= 3 => {
                let (index, rest) = match_name(text, &MONTHS)?;
                self.month = Some(index as i64 + 1);
                return Some(rest);
            }
            'E' => return match_name(text, &WEEKDAYS).map(|(_, rest)| rest),
            'a' => {
                let (index, rest) = match_name(text, &["AM", "PM"])?;
                self.pm = Some(index == 1);
                return Some(rest);
            }
            'z' | 'Z' | 'X' => {
                let (offset, rest) = parse_zone(text)?;
                self.offset_millis = offset;
                return Some(rest);
            }
            _ => {}
        }
        let limit = if abutting { count } else { usize::MAX };
        let digits = text
            .bytes()
            .take(limit)
            .take_while(u8::is_ascii_digit)
            .count();
        if digits == 0 {
            return None;
        }
        let value: i64 = text[..digits].parse().ok()?;
        match letter {
            'y' => {
                self.year = Some(if count <= 2 && digits == 2 {
                    two_digit_year(value)
                } else {
                    value
                })
            }
            'M' => self.month = Some(value),
            'd' => self.day = Some(value),
            'H' => self.hour = Some(value),
            'k' => self.hour = Some(if value == 24 { 0 } else { value }),
            'K' => self.half_hour = Some(value),
            'h' => self.half_hour = Some(if value == 12 { 0 } else { value }),
            'm' => self.minute = value,
            's' => self.second = value,
            'S' => self.millis = value,
            _ => unreachable!("refused when compiled"),
        }
        Some(&text[digits..])
    }

    /// The instant, with out-of-range fields rolled over (lenient).
    fn epoch_millis(&self) -> Option<i64> {
        let month0 = self.month.unwrap_or(1) - 1;
        let year = self
            .year
            .unwrap_or(1970)
            .checked_add(month0.div_euclid(12))?;
        if year.abs() > 100_000_000 {
            return None;
        }
        let month = u32::try_from(month0.rem_euclid(12) + 1).ok()?;
        let days = days_from_civil(year, month, 1).checked_add(self.day.unwrap_or(1) - 1)?;
        let hour = match (self.half_hour, self.pm) {
            (Some(h), pm) => h + if pm == Some(true) { 12 } else { 0 },
            (None, _) => self.hour.unwrap_or(0),
        };
        let time = hour
            .checked_mul(3_600_000)?
            .checked_add(self.minute.checked_mul(60_000)?)?
            .checked_add(self.second.checked_mul(1000)?)?
            .checked_add(self.millis)?;
        days.checked_mul(MILLIS_PER_DAY)?
            .checked_add(time)?
            .checked_sub(self.offset_millis)
    }
}

/// Java's two-digit year window: within 80 years before and 20 after now.
fn two_digit_year(yy: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let start = civil_from_days(now.div_euclid(MILLIS_PER_DAY)).0 - 80;
    let century = start / 100 * 100;
    century + yy + if yy < start % 100 { 100 } else { 0 }
}

/// Matches a full or three-letter name, case-insensitively (full names
/// first, as Java); returns its index and what follows.
fn match_name<'a>(text: &'a str, names: &[&str]) -> Option<(usize, &'a str)> {
    let starts = |name: &str| {
        text.get(..name.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(name))
    };
    for (i, name) in names.iter().enumerate() {
        if starts(name) {
            return Some((i, &text[name.len()..]));
        }
    }
    for (i, name) in names.iter().enumerate() {
        let short = &name[..name.len().min(3)];
        if starts(short) {
            return Some((i, &text[short.len()..]));
        }
    }
    None
}

/// A zone at the start of `text`: `UTC`, `GMT`, `UT`, `Z`, `Coordinated
/// Universal Time`, or an offset (`+0200`, `-05:00`, `+2`, `GMT+02:00`).
/// Returns the offset east of UTC in milliseconds and what follows.
fn parse_zone(text: &str) -> Option<(i64, &str)> {
    for name in ["Coordinated Universal Time", "UTC", "GMT", "UT"] {
        if text
            .get(..name.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(name))
        {
            let rest = &text[name.len()..];
            return Some(parse_offset(rest).unwrap_or((0, rest)));
        }
    }
    if let Some(rest) = text.strip_prefix('Z') {
        return Some((0, rest));
    }
    parse_offset(text)
}

/// `+hh`, `+hhmm`, `+hh:mm` (or `-`), hours of one or two digits.
fn parse_offset(text: &str) -> Option<(i64, &str)> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &text[1..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (hours, minutes, rest) = match digits {
        1 | 2 => {
            let hours: i64 = rest[..digits].parse().ok()?;
            let after = &rest[digits..];
            match after.strip_prefix(':') {
                Some(m) if m.len() >= 2 && m.as_bytes()[..2].iter().all(u8::is_ascii_digit) => {
                    (hours, m[..2].parse().ok()?, &m[2..])
                }
                _ => (hours, 0, after),
            }
        }
        4 => (
            rest[..2].parse().ok()?,
            rest[2..4].parse().ok()?,
            &rest[4..],
        ),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((sign * (hours * 3_600_000 + minutes * 60_000), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(pattern: &str, millis: i64) -> String {
        JavaDateFormat::new(pattern).unwrap().format(millis)
    }

    fn parse(pattern: &str, text: &str) -> Option<i64> {
        JavaDateFormat::new(pattern).unwrap().parse(text)
    }

    #[test]
    fn formats_the_common_patterns_in_utc() {
        // 2017-01-03T06:30:01.864Z
        let t = 1_483_425_001_864;
        assert_eq!(fmt("yyyyMMdd", t), "20170103");
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", t),
            "2017-01-03T06:30:01.864Z"
        );
        assert_eq!(fmt("yy/M/d H:m:s.S", t), "17/1/3 6:30:1.864");
        assert_eq!(
            fmt("yyyy MM dd HH mm ss SSS z", 86_401_234),
            "1970 01 02 00 00 01 234 UTC"
        );
        assert_eq!(fmt("yyyy-MM-dd HH:mm:ssZ", t), "2017-01-03 06:30:01+0000");
        assert_eq!(fmt("yyyy-MM-dd'T'HH:mm:ssXXX", t), "2017-01-03T06:30:01Z");
        assert_eq!(
            fmt("EEE, d MMM yyyy hh:mm a", t),
            "Tue, 3 Jan 2017 06:30 AM"
        );
        assert_eq!(
            fmt("EEEE MMMM k K h a", t + 12 * 3_600_000),
            "Tuesday January 18 6 6 PM"
        );
        assert_eq!(fmt("k h", 0), "24 12");
        assert_eq!(fmt("'o''clock' ''HH''", t), "o'clock '06'");
        assert_eq!(fmt("y yyy yyyyy", t), "2017 2017 02017");
    }

    #[test]
    fn dates_before_the_epoch_and_year_zero() {
        assert_eq!(
            fmt("yyyy-MM-dd HH:mm:ss.SSS", -1),
            "1969-12-31 23:59:59.999"
        );
        // 0000-03-01 proleptic: Java prints the era year 1 (BC).
        let days = days_from_civil(0, 3, 1);
        assert_eq!(fmt("yyyy-MM-dd", days * MILLIS_PER_DAY), "0001-03-01");
    }

    #[test]
    fn bad_patterns_are_refused_with_javas_reasons() {
        assert_eq!(
            JavaDateFormat::new("bad-format").unwrap_err(),
            "Illegal pattern character 'b'"
        );
        assert_eq!(
            JavaDateFormat::new("yyyy'T").unwrap_err(),
            "Unterminated quote"
        );
        let e = JavaDateFormat::new("yyyy-DDD").unwrap_err();
        assert!(e.contains("'D' is not supported"), "{e}");
        assert!(JavaDateFormat::new("XXXX").is_err());
        assert!(JavaDateFormat::new("").unwrap().format(5).is_empty());
    }

    #[test]
    fn parses_what_it_formats() {
        for pattern in [
            "yyyyMMdd HHmmssSSS",
            "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
            "yyyy MM dd HH mm ss SSS z",
            "yyyy-MM-dd HH:mm:ss.SSSZ",
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            "EEE, d MMM yyyy hh:mm:ss.SSS a",
            "EEEE, MMMM dd yyyy KK:mm:ss.SSS a",
            "kk:mm:ss.SSS dd.MM.yyyy",
        ] {
            let f = JavaDateFormat::new(pattern).unwrap();
            for t in [
                0,
                86_401_234,
                1_483_425_001_864,
                1_700_000_000_000,
                -86_400_001,
            ] {
                assert_eq!(f.parse(&f.format(t)), Some(t), "{pattern} {}", f.format(t));
            }
        }
    }

    #[test]
    fn parsing_is_lenient_as_javas() {
        // Abutting fields take their width; the last takes what is left.
        assert_eq!(parse("yyyyMMdd", "20170103"), Some(1_483_401_600_000));
        // Month 13 rolls into the next year, day 32 into the next month.
        assert_eq!(
            parse("yyyy-MM-dd", "2016-13-03"),
            parse("yyyy-MM-dd", "2017-01-03")
        );
        assert_eq!(
            parse("yyyy-MM-dd", "2017-01-32"),
            parse("yyyy-MM-dd", "2017-02-01")
        );
        // Fewer digits than the pattern's width are fine, so is trailing text.
        assert_eq!(
            parse("yyyy-MM-dd", "2017-1-3 and more"),
            Some(1_483_401_600_000)
        );
        // Spaces before a field are skipped.
        assert_eq!(parse("yyyy-MM-dd", "2017- 01-03"), Some(1_483_401_600_000));
        // Missing fields default to the epoch's.
        assert_eq!(parse("HH:mm", "01:02"), Some(3_720_000));
        assert_eq!(parse("yyyy", "1970"), Some(0));
        // Zones shift the instant.
        assert_eq!(parse("HH:mm Z", "02:00 +0200"), Some(0));
        assert_eq!(parse("HH:mm X", "00:00 -05:30"), Some(19_800_000));
        assert_eq!(parse("HH:mm z", "03:00 GMT+03:00"), Some(0));
        assert_eq!(parse("HH:mm z", "00:00 utc"), Some(0));
        assert_eq!(parse("HH:mmX", "00:00Z"), Some(0));
        // A four-digit year is taken literally, a two-digit `yy` near now.
        assert_eq!(parse("yyyy", "0017"), parse("yyyy", "17"));
        let this_century = civil_from_days(19_000).0 / 100 * 100; // 2022
        assert_eq!(
            parse("yy", "17").map(|t| civil_from_days(t / MILLIS_PER_DAY).0),
            Some(this_century + 17)
        );
        assert_eq!(
            parse("yy", "99").map(|t| civil_from_days(t / MILLIS_PER_DAY).0),
            Some(this_century - 1)
        );
    }

    #[test]
    fn unparseable_text_is_none() {
        assert_eq!(parse("yyyy-MM-dd", "2017/01/03"), None);
        assert_eq!(parse("yyyy-MM-dd", ""), None);
        assert_eq!(parse("yyyy-MM-dd", "20x7-01-03"), None);
        assert_eq!(parse("HH:mm z", "00:00 PST"), None);
        assert_eq!(parse("MMM", "Foo"), None);
    }
}
