//! PostgreSQL types → Kafka Connect schemas and values, exactly as
//! Debezium's `PostgresValueConverter` maps them. Values arrive in
//! PostgreSQL's text output format (pgoutput's text mode and `COPY ... TO
//! STDOUT` both use the types' output functions), so one parser serves the
//! snapshot and the stream.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use ferry_api::data::logical;
use ferry_api::data::text::calendar::{civil_from_days, days_from_civil, MILLIS_PER_DAY};
use ferry_api::{Decimal, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};

use crate::config::{BinaryMode, DecimalMode, TimePrecision};
use crate::error::PgCdcError;

/// Debezium's representation of `+infinity` for timestamps.
pub const POSITIVE_INFINITY_MICROS: i64 = 9_223_372_036_825_200_000;
/// Debezium's representation of `-infinity` for timestamps.
pub const NEGATIVE_INFINITY_MICROS: i64 = -9_223_372_036_832_400_000;
/// Microseconds in a day.
const MICROS_PER_DAY: i64 = MILLIS_PER_DAY * 1000;
/// Debezium's average month (365.25 / 12 days) for `MicroDuration`.
const DAYS_PER_MONTH_AVG: f64 = 365.25 / 12.0;

/// What a column's values are, resolved from its type OID and modifier.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Bool,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    /// numeric(p, s); `None` when declared without precision/scale.
    Numeric(Option<(u32, i32)>),
    Money,
    Text,
    Json,
    Uuid,
    Xml,
    Date,
    /// time(p); precision 0..=6.
    Time(u32),
    TimeTz,
    /// timestamp(p).
    Timestamp(u32),
    /// timestamptz(p): Debezium pads the fraction to exactly p digits.
    TimestampTz(u32),
    Interval,
    Bytea,
    /// bit(n) / varbit(n).
    Bits(u32),
    /// An enum type and its labels in sort order.
    Enum(Arc<[String]>),
    /// A one-dimensional array of the element kind.
    Array(Box<Kind>),
    /// Anything else: passed through as its text.
    Other,
}

/// Settings that change the mapping.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    pub decimal: DecimalMode,
    pub time: TimePrecision,
    pub binary: BinaryMode,
}

/// Built-in type OIDs (`pg_type.h`).
pub mod oid {
    pub const BOOL: u32 = 16;
    pub const BYTEA: u32 = 17;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const OID: u32 = 26;
    pub const JSON: u32 = 114;
    pub const XML: u32 = 142;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const MONEY: u32 = 790;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIME: u32 = 1083;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const INTERVAL: u32 = 1186;
    pub const TIMETZ: u32 = 1266;
    pub const BIT: u32 = 1560;
    pub const VARBIT: u32 = 1562;
    pub const NUMERIC: u32 = 1700;
    pub const UUID: u32 = 2950;
    pub const JSONB: u32 = 3802;
}

/// The array type OID → element type OID of built-in arrays.
pub fn builtin_array_element(array_oid: u32) -> Option<u32> {
    Some(match array_oid {
        1000 => oid::BOOL,
        1001 => oid::BYTEA,
        1005 => oid::INT2,
        1007 => oid::INT4,
        1016 => oid::INT8,
        1009 => oid::TEXT,
        1014 => oid::BPCHAR,
        1015 => oid::VARCHAR,
        1021 => oid::FLOAT4,
        1022 => oid::FLOAT8,
        1231 => oid::NUMERIC,
        1182 => oid::DATE,
        1183 => oid::TIME,
        1115 => oid::TIMESTAMP,
        1185 => oid::TIMESTAMPTZ,
        1187 => oid::INTERVAL,
        2951 => oid::UUID,
        199 => oid::JSON,
        3807 => oid::JSONB,
        1270 => oid::TIMETZ,
        _ => return None,
    })
}

/// The kind of a built-in scalar type, or `None` if the type is not built in.
pub fn builtin_kind(type_oid: u32, typmod: i32) -> Option<Kind> {
    let precision = |default: u32| {
        if typmod >= 0 {
            (typmod as u32).min(6)
        } else {
            default
        }
    };
    Some(match type_oid {
        oid::BOOL => Kind::Bool,
        oid::INT2 => Kind::Int16,
        oid::INT4 => Kind::Int32,
        oid::INT8 | oid::OID => Kind::Int64,
        oid::FLOAT4 => Kind::Float32,
        oid::FLOAT8 => Kind::Float64,
        oid::NUMERIC => Kind::Numeric((typmod >= 4).then(|| {
            let t = typmod - 4;
            (((t >> 16) & 0xffff) as u32, t & 0xffff)
        })),
        oid::MONEY => Kind::Money,
        oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::NAME => Kind::Text,
        oid::JSON | oid::JSONB => Kind::Json,
        oid::UUID => Kind::Uuid,
        oid::XML => Kind::Xml,
        oid::DATE => Kind::Date,
        oid::TIME => Kind::Time(precision(6)),
        oid::TIMETZ => Kind::TimeTz,
        oid::TIMESTAMP => Kind::Timestamp(precision(6)),
        oid::TIMESTAMPTZ => Kind::TimestampTz(precision(6)),
        oid::INTERVAL => Kind::Interval,
        oid::BYTEA => Kind::Bytea,
        oid::BIT | oid::VARBIT => Kind::Bits(if typmod > 0 { typmod as u32 } else { 1 }),
        other => {
            let elem = builtin_array_element(other)?;
            Kind::Array(Box::new(builtin_kind(elem, -1)?))
        }
    })
}

fn named(t: SchemaType, name: &str) -> SchemaBuilder {
    SchemaBuilder::new(t).name(name).version(1)
}

impl Kind {
    /// The Connect schema of this kind (before optionality and default).
    pub fn schema_builder(&self, m: &Mapping) -> SchemaBuilder {
        use SchemaType as T;
        let adaptive = m.time != TimePrecision::Connect;
        match self {
            Kind::Bool => SchemaBuilder::new(T::Boolean),
            Kind::Int16 => SchemaBuilder::new(T::Int16),
            Kind::Int32 => SchemaBuilder::new(T::Int32),
            Kind::Int64 => SchemaBuilder::new(T::Int64),
            Kind::Float32 => SchemaBuilder::new(T::Float32),
            Kind::Float64 => SchemaBuilder::new(T::Float64),
            Kind::Numeric(ps) => match m.decimal {
                DecimalMode::Double => SchemaBuilder::new(T::Float64),
                DecimalMode::String => SchemaBuilder::new(T::String),
                DecimalMode::Precise => match ps {
                    Some((p, s)) => {
                        logical::decimal(*s).parameter("connect.decimal.precision", p.to_string())
                    }
                    None => named(T::Struct, "io.debezium.data.VariableScaleDecimal")
                        .doc("Variable scaled decimal")
                        .field("scale", Schema::int32())
                        .field("value", Schema::bytes()),
                },
            },
            Kind::Money => match m.decimal {
                DecimalMode::Double => SchemaBuilder::new(T::Float64),
                DecimalMode::String => SchemaBuilder::new(T::String),
                DecimalMode::Precise => logical::decimal(2),
            },
            Kind::Text | Kind::Other => SchemaBuilder::new(T::String),
            Kind::Json => named(T::String, "io.debezium.data.Json"),
            Kind::Uuid => named(T::String, "io.debezium.data.Uuid"),
            Kind::Xml => named(T::String, "io.debezium.data.Xml"),
            Kind::Date if adaptive => named(T::Int32, "io.debezium.time.Date"),
            Kind::Date => logical::date(),
            Kind::Time(p) => match m.time {
                TimePrecision::Connect => logical::time(),
                TimePrecision::Adaptive if *p <= 3 => named(T::Int32, "io.debezium.time.Time"),
                _ => named(T::Int64, "io.debezium.time.MicroTime"),
            },
            Kind::TimeTz => named(T::String, "io.debezium.time.ZonedTime"),
            Kind::Timestamp(p) => match m.time {
                TimePrecision::Connect => logical::timestamp(),
                _ if *p <= 3 => named(T::Int64, "io.debezium.time.Timestamp"),
                _ => named(T::Int64, "io.debezium.time.MicroTimestamp"),
            },
            Kind::TimestampTz(_) => named(T::String, "io.debezium.time.ZonedTimestamp"),
            Kind::Interval => named(T::Int64, "io.debezium.time.MicroDuration"),
            Kind::Bytea => match m.binary {
                BinaryMode::Bytes => SchemaBuilder::new(T::Bytes),
                _ => SchemaBuilder::new(T::String),
            },
            Kind::Bits(1) => SchemaBuilder::new(T::Boolean),
            Kind::Bits(n) => {
                named(T::Bytes, "io.debezium.data.Bits").parameter("length", n.to_string())
            }
            Kind::Enum(labels) => {
                named(T::String, "io.debezium.data.Enum").parameter("allowed", labels.join(","))
            }
            Kind::Array(elem) => SchemaBuilder::array(elem.schema_builder(m).optional().build()),
        }
    }

    /// Converts one value from its text form. `Ok(Value::Null)` for values
    /// Debezium turns into null (e.g. numeric `NaN` in precise mode).
    pub fn value(&self, text: &str, m: &Mapping) -> Result<Value, PgCdcError> {
        let bad = || PgCdcError::BadValue {
            text: text.to_string(),
            kind: self.clone(),
        };
        Ok(match self {
            Kind::Bool => Value::Boolean(matches!(text, "t" | "true")),
            Kind::Int16 => Value::Int16(text.parse().map_err(|_| bad())?),
            Kind::Int32 => Value::Int32(text.parse().map_err(|_| bad())?),
            Kind::Int64 => Value::Int64(text.parse().map_err(|_| bad())?),
            Kind::Float32 => Value::Float32(parse_float(text).ok_or_else(bad)? as f32),
            Kind::Float64 => Value::Float64(parse_float(text).ok_or_else(bad)?),
            Kind::Numeric(ps) => {
                if text == "NaN" || text.ends_with("Infinity") {
                    return Ok(match m.decimal {
                        DecimalMode::Double => Value::Float64(parse_float(text).ok_or_else(bad)?),
                        DecimalMode::String => Value::String(text.to_string()),
                        DecimalMode::Precise => Value::Null,
                    });
                }
                match m.decimal {
                    DecimalMode::Double => Value::Float64(text.parse().map_err(|_| bad())?),
                    DecimalMode::String => Value::String(text.to_string()),
                    DecimalMode::Precise => {
                        let d: Decimal = text.parse().map_err(|_| bad())?;
                        match ps {
                            Some((_, s)) => Value::Decimal(d.rescale(*s).ok_or_else(bad)?),
                            None => variable_scale(&d, &self.schema_builder(m).build()),
                        }
                    }
                }
            }
            Kind::Money => {
                let d = parse_money(text).ok_or_else(bad)?;
                match m.decimal {
                    DecimalMode::Double => Value::Float64(d.to_f64()),
                    DecimalMode::String => Value::String(d.to_string()),
                    DecimalMode::Precise => Value::Decimal(d.rescale(2).ok_or_else(bad)?),
                }
            }
            Kind::Text | Kind::Json | Kind::Uuid | Kind::Xml | Kind::Enum(_) | Kind::Other => {
                Value::String(text.to_string())
            }
            Kind::Date => Value::Int32(parse_date(text).ok_or_else(bad)?),
            Kind::Time(p) => {
                let micros = parse_time(text).ok_or_else(bad)?;
                match m.time {
                    TimePrecision::Connect => Value::Int32((micros / 1000) as i32),
                    TimePrecision::Adaptive if *p <= 3 => Value::Int32((micros / 1000) as i32),
                    _ => Value::Int64(micros),
                }
            }
            Kind::TimeTz => Value::String(format_timetz(text).ok_or_else(bad)?),
            Kind::Timestamp(p) => {
                let micros = parse_timestamp(text, false).ok_or_else(bad)?;
                let ms = |u: i64| {
                    if u == POSITIVE_INFINITY_MICROS || u == NEGATIVE_INFINITY_MICROS {
                        u
                    } else {
                        u.div_euclid(1000)
                    }
                };
                match m.time {
                    TimePrecision::Connect => Value::Int64(ms(micros)),
                    _ if *p <= 3 => Value::Int64(ms(micros)),
                    _ => Value::Int64(micros),
                }
            }
            Kind::TimestampTz(p) => Value::String(format_timestamptz(text, *p).ok_or_else(bad)?),
            Kind::Interval => Value::Int64(parse_interval(text).ok_or_else(bad)?),
            Kind::Bytea => {
                let raw = parse_bytea(text).ok_or_else(bad)?;
                match m.binary {
                    BinaryMode::Bytes => Value::Bytes(Bytes::from(raw)),
                    BinaryMode::Base64 => {
                        Value::String(base64::engine::general_purpose::STANDARD.encode(raw))
                    }
                    BinaryMode::Base64UrlSafe => {
                        Value::String(base64::engine::general_purpose::URL_SAFE.encode(raw))
                    }
                    BinaryMode::Hex => Value::String(hex(&raw)),
                }
            }
            Kind::Bits(1) => Value::Boolean(text == "1"),
            Kind::Bits(_) => Value::Bytes(Bytes::from(bits_to_bytes(text).ok_or_else(bad)?)),
            Kind::Array(elem) => {
                let items = parse_array(text).ok_or_else(bad)?;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(match item {
                        None => Value::Null,
                        Some(s) => elem.value(&s, m)?,
                    });
                }
                Value::Array(out)
            }
        })
    }
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

fn variable_scale(d: &Decimal, schema: &SchemaRef) -> Value {
    Value::Struct(
        Struct::new(schema.clone())
            .with("scale", Value::Int32(d.scale))
            .with("value", Value::Bytes(Bytes::from(d.unscaled_bytes()))),
    )
}

/// `$1,234.56`, `-$1.00`, `($1.00)` → a Decimal (locale C/en_US output).
fn parse_money(text: &str) -> Option<Decimal> {
    let negative = text.contains('-') || text.starts_with('(');
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let d: Decimal = digits.parse().ok()?;
    Some(if negative {
        Decimal::new(-d.unscaled, d.scale)
    } else {
        d
    })
}

fn hex(raw: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(raw.len() * 2);
    for b in raw {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// bytea's hex output `\x0a0b` (or the legacy escape format).
pub fn parse_bytea(text: &str) -> Option<Vec<u8>> {
    if let Some(h) = text.strip_prefix("\\x") {
        let b = h.as_bytes();
        if b.len() % 2 != 0 {
            return None;
        }
        let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        return b
            .chunks(2)
            .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
            .collect();
    }
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
            } else {
                let oct = std::str::from_utf8(b.get(i + 1..i + 4)?).ok()?;
                out.push(u8::from_str_radix(oct, 8).ok()?);
                i += 4;
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// A bit string (`'1010'`) as Debezium's `Bits`: the value's bytes,
/// little-endian (Java's `BitSet.toByteArray()` of the reversed string).
fn bits_to_bytes(text: &str) -> Option<Vec<u8>> {
    let n = text.len();
    let mut out = vec![0u8; n.div_ceil(8)];
    for (i, c) in text.bytes().rev().enumerate() {
        match c {
            b'1' => out[i / 8] |= 1 << (i % 8),
            b'0' => {}
            _ => return None,
        }
    }
    while out.len() > 1 && out.last() == Some(&0) {
        out.pop();
    }
    if out == [0] {
        out.clear();
    }
    Some(out)
}

/// `YYYY-MM-DD[ BC]` → days since epoch.
pub fn parse_date(text: &str) -> Option<i32> {
    let (t, bc) = match text.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (text, false),
    };
    let mut parts = t.splitn(3, '-');
    let mut y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if bc {
        y = 1 - y;
    }
    i32::try_from(days_from_civil(y, m, d)).ok()
}

/// `HH:MM:SS[.ffffff]` → microseconds since midnight.
pub fn parse_time(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let mi: i64 = parts.next()?.parse().ok()?;
    let sec = parts.next()?;
    let (s, frac) = match sec.split_once('.') {
        Some((s, f)) => (s, f),
        None => (sec, ""),
    };
    let s: i64 = s.parse().ok()?;
    let mut micros: i64 = 0;
    for (i, c) in frac.bytes().take(6).enumerate() {
        micros += i64::from(c.checked_sub(b'0')?) * 10i64.pow(5 - i as u32);
    }
    Some(((h * 60 + mi) * 60 + s) * 1_000_000 + micros)
}

/// Splits a trailing UTC offset (`+02`, `-05:30`, `+05:30:15`) off a time; returns seconds east of UTC.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    let idx = text.rfind(['+', '-'])?;
    let (body, off) = text.split_at(idx);
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let mut secs = 0;
    for (i, p) in off[1..].split(':').enumerate() {
        let v: i64 = p.parse().ok()?;
        secs += v * [3600, 60, 1].get(i)?;
    }
    Some((body, sign * secs))
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff][offset][ BC]` → microseconds since epoch (UTC if an offset is given).
pub fn parse_timestamp(text: &str, with_offset: bool) -> Option<i64> {
    match text {
        "infinity" => return Some(POSITIVE_INFINITY_MICROS),
        "-infinity" => return Some(NEGATIVE_INFINITY_MICROS),
        _ => {}
    }
    let (t, bc) = match text.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (text, false),
    };
    let (date, time) = t.split_once(' ')?;
    let (time, offset) = if with_offset {
        split_offset(time)?
    } else {
        (time, 0)
    };
    let mut days = i64::from(parse_date(date)?);
    if bc {
        days = i64::from(parse_date(&format!("{date} BC"))?);
    }
    Some(days * MICROS_PER_DAY + parse_time(time)? - offset * 1_000_000)
}

/// Formats microseconds since epoch (UTC) as Java's ISO_OFFSET_DATE_TIME
/// does for an instant in UTC: seconds always, the fraction with as few
/// digits as needed (none if zero), `Z`.
pub fn format_utc_micros(micros: i64) -> String {
    let mut out = String::with_capacity(32);
    write_utc_micros(&mut out, micros, None);
    out
}

/// Appends `micros` as `YYYY-MM-DDTHH:MM:SS[.f]Z` (UTC): with `digits`
/// `None` the fraction has as few digits as needed (none if zero), with
/// `Some(p)` exactly `p` digits (1..=6, truncated).
fn write_utc_micros(out: &mut String, micros: i64, digits: Option<usize>) {
    use std::fmt::Write as _;
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rem = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1_000_000;
    let frac = rem % 1_000_000;
    let _ = if (0..=9999).contains(&y) {
        write!(out, "{y:04}")
    } else {
        write!(out, "{y:+05}")
    };
    let _ = write!(
        out,
        "-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    match digits {
        None => write_fraction(out, frac),
        Some(p) => {
            let p = p.clamp(1, 6);
            let _ = write!(out, ".{:0p$}", frac / 10i64.pow(6 - p as u32));
        }
    }
    out.push('Z');
}

/// Appends `.` and the fraction of a second (µs) without trailing zeros;
/// nothing when it is zero.
fn write_fraction(out: &mut String, micros: i64) {
    use std::fmt::Write as _;
    if micros == 0 {
        return;
    }
    let (mut f, mut n) = (micros, 6usize);
    while f % 10 == 0 {
        f /= 10;
        n -= 1;
    }
    let _ = write!(out, ".{f:0n$}");
}

fn fraction(micros: i64) -> String {
    let mut s = String::new();
    write_fraction(&mut s, micros);
    s
}

/// A timestamptz as Debezium's `ZonedTimestamp` in UTC: the fraction has
/// exactly `precision` digits (`ZonedTimestamp.toIsoString` with the
/// column's fractional width, Debezium ≥ 2.2), or as few as needed (none if
/// zero) for precision 0.
fn format_timestamptz(text: &str, precision: u32) -> Option<String> {
    match text {
        "infinity" => return Some("infinity".into()),
        "-infinity" => return Some("-infinity".into()),
        _ => {}
    }
    let micros = parse_timestamp(text, true)?;
    let mut s = String::with_capacity(32);
    write_utc_micros(
        &mut s,
        micros,
        (precision > 0).then_some(precision.min(6) as usize),
    );
    Some(s)
}

/// `HH:MM:SS[.ffffff]+HH[:MM]` → the time in UTC, as Debezium's ZonedTime (`10:15:30.5Z`).
fn format_timetz(text: &str) -> Option<String> {
    let (time, offset) = split_offset(text)?;
    let micros = (parse_time(time)? - offset * 1_000_000).rem_euclid(MICROS_PER_DAY);
    let secs = micros / 1_000_000;
    Some(format!(
        "{:02}:{:02}:{:02}{}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        fraction(micros % 1_000_000)
    ))
}

/// An interval in the `postgres` IntervalStyle (`1 year 2 mons 3 days -04:05:06.5`) → µs, as Debezium's MicroDuration.
pub fn parse_interval(text: &str) -> Option<i64> {
    let (mut months, mut days, mut micros) = (0f64, 0f64, 0f64);
    let mut tokens = text.split_whitespace().peekable();
    while let Some(tok) = tokens.next() {
        if tok.contains(':') {
            let (neg, t) = match tok.strip_prefix('-') {
                Some(t) => (true, t),
                None => (false, tok.strip_prefix('+').unwrap_or(tok)),
            };
            let v = parse_time(t)? as f64;
            micros += if neg { -v } else { v };
            continue;
        }
        let n: f64 = tok.parse().ok()?;
        let unit = tokens.next()?;
        match unit.trim_end_matches('s') {
            "year" => months += n * 12.0,
            "mon" => months += n,
            "day" => days += n,
            "hour" => micros += n * 3_600e6,
            "min" => micros += n * 60e6,
            "sec" => micros += n * 1e6,
            _ => return None,
        }
    }
    let total_days = months * DAYS_PER_MONTH_AVG + days;
    Some((total_days * 86_400e6 + micros) as i64)
}

/// A one-dimensional array literal `{a,"b c",NULL}` → its elements (None = NULL).
pub fn parse_array(text: &str) -> Option<Vec<Option<String>>> {
    // Skip an optional dimension decoration `[1:3]=`.
    let text = match text.find('=') {
        Some(i) if text.starts_with('[') => &text[i + 1..],
        _ => text,
    };
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    if inner.is_empty() {
        return Some(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        let mut item = String::new();
        let quoted = chars.peek() == Some(&'"');
        if quoted {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => item.push(chars.next()?),
                    '"' => break,
                    c => item.push(c),
                }
            }
            out.push(Some(item));
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                item.push(c);
                chars.next();
            }
            out.push(if item == "NULL" { None } else { Some(item) });
        }
        match chars.next() {
            Some(',') => continue,
            None => break,
            Some(_) => return None,
        }
    }
    Some(out)
}

/// Debezium's default for a column's `DEFAULT` expression: a constant
/// converted like a value; for a required column whose default cannot be
/// evaluated (e.g. `nextval(...)`), the type's fallback (0, "", false).
pub fn default_value(
    kind: &Kind,
    expr: Option<&str>,
    required: bool,
    m: &Mapping,
) -> Option<Value> {
    let expr = expr?.trim();
    let constant = parse_constant(expr);
    if let Some(c) = constant {
        if let Ok(v) = kind.value(&c, m) {
            if !v.is_null() {
                return Some(v);
            }
        }
    }
    if !required {
        return None;
    }
    Some(match kind {
        Kind::Int16 => Value::Int16(0),
        Kind::Int32 => Value::Int32(0),
        Kind::Int64 => Value::Int64(0),
        Kind::Float32 => Value::Float32(0.0),
        Kind::Float64 => Value::Float64(0.0),
        Kind::Bool => Value::Boolean(false),
        Kind::Text => Value::String(String::new()),
        _ => return None,
    })
}

/// `'abc'::text` → `abc`; `42` → `42`; `true` → `t`; anything else → None.
fn parse_constant(expr: &str) -> Option<String> {
    let body = match expr.find("::") {
        Some(i) if !expr[..i].contains('(') => &expr[..i],
        _ => expr,
    };
    let body = body.trim().trim_start_matches('(').trim_end_matches(')');
    if let Some(q) = body.strip_prefix('\'').and_then(|b| b.strip_suffix('\'')) {
        return Some(q.replace("''", "'"));
    }
    match body {
        "true" => Some("t".into()),
        "false" => Some("f".into()),
        b if !b.is_empty() && b.parse::<f64>().is_ok() => Some(b.to_string()),
        _ => None,
    }
}

/// A type's zero value, for required columns missing from a key-only before image.
pub fn zero_value(schema: &Schema) -> Value {
    match schema.schema_type {
        SchemaType::Int8 => Value::Int8(0),
        SchemaType::Int16 => Value::Int16(0),
        SchemaType::Int32 => Value::Int32(0),
        SchemaType::Int64 => Value::Int64(0),
        SchemaType::Float32 => Value::Float32(0.0),
        SchemaType::Float64 => Value::Float64(0.0),
        SchemaType::Boolean => Value::Boolean(false),
        SchemaType::String => Value::String(String::new()),
        SchemaType::Bytes => match schema.decimal_scale() {
            Some(scale) => Value::Decimal(Decimal::new(0, scale)),
            None => Value::Bytes(Bytes::new()),
        },
        SchemaType::Array => Value::Array(Vec::new()),
        SchemaType::Map => Value::Map(Vec::new()),
        SchemaType::Struct => Value::Struct(
            Struct::from_values(
                Arc::new(schema.clone()),
                schema
                    .fields
                    .iter()
                    .map(|f| zero_value(&f.schema))
                    .collect(),
            )
            .expect("one value per field"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Mapping = Mapping {
        decimal: DecimalMode::Precise,
        time: TimePrecision::Adaptive,
        binary: BinaryMode::Bytes,
    };

    #[test]
    fn builtins_resolve_with_modifiers() {
        assert_eq!(
            builtin_kind(oid::NUMERIC, (10 << 16 | 2) + 4),
            Some(Kind::Numeric(Some((10, 2))))
        );
        assert_eq!(builtin_kind(oid::NUMERIC, -1), Some(Kind::Numeric(None)));
        assert_eq!(builtin_kind(oid::TIMESTAMP, 3), Some(Kind::Timestamp(3)));
        assert_eq!(builtin_kind(oid::TIMESTAMP, -1), Some(Kind::Timestamp(6)));
        assert_eq!(
            builtin_kind(1007, -1),
            Some(Kind::Array(Box::new(Kind::Int32)))
        );
        assert_eq!(builtin_kind(99999, -1), None);
    }

    /// The ZonedTimestamp text as it was built before it was written into
    /// one buffer (format!, trimmed fraction, re-split and padded).
    fn zoned_reference(micros: i64, precision: u32) -> String {
        let days = micros.div_euclid(86_400_000_000);
        let rem = micros.rem_euclid(86_400_000_000);
        let (y, m, d) = civil_from_days(days);
        let secs = rem / 1_000_000;
        let frac = rem % 1_000_000;
        let year = if (0..=9999).contains(&y) {
            format!("{y:04}")
        } else {
            format!("{y:+05}")
        };
        let fraction = if frac == 0 {
            String::new()
        } else {
            format!(".{frac:06}").trim_end_matches('0').to_string()
        };
        let s = format!(
            "{year}-{m:02}-{d:02}T{:02}:{:02}:{:02}{fraction}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        if precision == 0 {
            return s;
        }
        let body = s.strip_suffix('Z').unwrap();
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        let p = precision.min(6) as usize;
        let mut digits: String = frac.chars().take(p).collect();
        while digits.len() < p {
            digits.push('0');
        }
        format!("{whole}.{digits}Z")
    }

    #[test]
    fn zoned_timestamps_match_the_reference_text() {
        let samples = [
            0i64,
            1,
            10,
            120,
            100_000,
            123_456,
            999_999,
            1_704_164_645_123_456,
            1_704_164_645_100_000,
            -1,
            -62_135_596_800_000_001,
            253_402_300_800_000_000,
            -80_000_000_000_000_000,
        ];
        for micros in samples {
            assert_eq!(format_utc_micros(micros), zoned_reference(micros, 0));
            for precision in 0..=7 {
                let mut s = String::new();
                write_utc_micros(
                    &mut s,
                    micros,
                    (precision > 0).then_some(precision.min(6) as usize),
                );
                assert_eq!(
                    s,
                    zoned_reference(micros, precision),
                    "{micros} {precision}"
                );
            }
        }
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-02-29"), Some(19782));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_time("10:15:30.5"), Some(36_930_500_000));
        assert_eq!(
            parse_timestamp("2024-01-02 03:04:05.123456", false),
            Some(1_704_164_645_123_456)
        );
        assert_eq!(
            format_timestamptz("2024-01-02 05:04:05.1+02", 6),
            Some("2024-01-02T03:04:05.100000Z".into())
        );
        assert_eq!(
            format_timestamptz("2024-01-02 03:04:05+00", 0),
            Some("2024-01-02T03:04:05Z".into())
        );
        assert_eq!(
            format_timestamptz("2024-01-02 03:04:05+00", 3),
            Some("2024-01-02T03:04:05.000Z".into())
        );
        assert_eq!(format_timetz("10:15:30+05:30"), Some("04:45:30Z".into()));
        let v = Kind::Timestamp(3)
            .value("2024-01-02 03:04:05.123", &M)
            .unwrap();
        assert_eq!(v, Value::Int64(1_704_164_645_123));
        assert_eq!(
            Kind::Timestamp(6).value("infinity", &M).unwrap(),
            Value::Int64(POSITIVE_INFINITY_MICROS)
        );
        assert_eq!(
            Kind::Time(6).value("00:00:01", &M).unwrap(),
            Value::Int64(1_000_000)
        );
        assert_eq!(
            Kind::Time(3).value("00:00:01", &M).unwrap(),
            Value::Int32(1000)
        );
    }

    #[test]
    fn intervals_use_debeziums_average_month() {
        assert_eq!(parse_interval("1 day 02:00:00"), Some(93_600_000_000));
        assert_eq!(parse_interval("1 mon"), Some(2_629_800_000_000));
        assert_eq!(parse_interval("-00:00:01.5"), Some(-1_500_000));
        assert_eq!(parse_interval("1 year"), Some(31_557_600_000_000));
    }

    #[test]
    fn numerics_bytes_bits_arrays() {
        let v = Kind::Numeric(Some((10, 2))).value("12.3", &M).unwrap();
        assert_eq!(v, Value::Decimal(Decimal::new(1230, 2)));
        assert_eq!(Kind::Numeric(None).value("NaN", &M).unwrap(), Value::Null);
        let Value::Struct(s) = Kind::Numeric(None).value("-1.25", &M).unwrap() else {
            panic!()
        };
        assert_eq!(s.get("scale"), Some(&Value::Int32(2)));
        assert_eq!(parse_money("-$1,234.50").unwrap(), Decimal::new(-123450, 2));
        assert_eq!(parse_bytea("\\x0aff"), Some(vec![10, 255]));
        assert_eq!(bits_to_bytes("101"), Some(vec![5]));
        assert_eq!(bits_to_bytes("100000001"), Some(vec![1, 1]));
        assert_eq!(
            parse_array("{1,NULL,\"a b\",\"q\\\"\"}"),
            Some(vec![
                Some("1".into()),
                None,
                Some("a b".into()),
                Some("q\"".into())
            ])
        );
        assert_eq!(parse_array("{}"), Some(vec![]));
        let hexm = Mapping {
            binary: BinaryMode::Hex,
            ..M
        };
        assert_eq!(
            Kind::Bytea.value("\\x0aff", &hexm).unwrap(),
            Value::String("0aff".into())
        );
    }

    #[test]
    fn defaults() {
        assert_eq!(
            default_value(&Kind::Int32, Some("nextval('s'::regclass)"), true, &M),
            Some(Value::Int32(0))
        );
        assert_eq!(
            default_value(&Kind::Int32, Some("nextval('s'::regclass)"), false, &M),
            None
        );
        assert_eq!(
            default_value(&Kind::Text, Some("'x''y'::text"), false, &M),
            Some(Value::String("x'y".into()))
        );
        assert_eq!(
            default_value(&Kind::Int32, Some("42"), false, &M),
            Some(Value::Int32(42))
        );
        assert_eq!(
            default_value(&Kind::Bool, Some("true"), false, &M),
            Some(Value::Boolean(true))
        );
    }
}
