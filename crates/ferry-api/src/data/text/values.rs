//! The string forms of Kafka Connect's `Values` class: `convertToString`
//! and (a subset of) `parseString`. `SimpleHeaderConverter` and the S3
//! sink's header files use them, as Kafka's transforms do.

use std::sync::LazyLock;

use super::calendar::{civil_from_days, days_from_civil, MILLIS_PER_DAY};
use super::java_numbers::push_scalar;
use crate::data::{logical, Decimal, Schema, SchemaRef, Value};
use base64::Engine as _;

static INT8: LazyLock<SchemaRef> = LazyLock::new(Schema::int8);
static INT16: LazyLock<SchemaRef> = LazyLock::new(Schema::int16);
static INT32: LazyLock<SchemaRef> = LazyLock::new(Schema::int32);
static INT64: LazyLock<SchemaRef> = LazyLock::new(Schema::int64);
static FLOAT32: LazyLock<SchemaRef> = LazyLock::new(Schema::float32);
static FLOAT64: LazyLock<SchemaRef> = LazyLock::new(Schema::float64);
static BOOLEAN: LazyLock<SchemaRef> = LazyLock::new(Schema::boolean);
static STRING: LazyLock<SchemaRef> = LazyLock::new(Schema::string);
static DATE: LazyLock<SchemaRef> = LazyLock::new(|| logical::date().build());
static TIME: LazyLock<SchemaRef> = LazyLock::new(|| logical::time().build());
static TIMESTAMP: LazyLock<SchemaRef> = LazyLock::new(|| logical::timestamp().build());

/// Kafka's `Values.convertToString`: strings as they are, numbers as Java
/// prints them, bytes as base64, Date/Time/Timestamp as ISO-8601 in UTC
/// (`2024-01-31`, `13:45:00.000Z`, `2024-01-31T13:45:00.000Z`), and
/// containers as `[1,"a"]`, `{"k":1}` with strings quoted inside them.
pub fn convert_to_string(schema: Option<&Schema>, value: &Value) -> String {
    let mut out = String::new();
    append(&mut out, schema, value, false);
    out
}

fn append(out: &mut String, schema: Option<&Schema>, value: &Value, embedded: bool) {
    use std::fmt::Write as _;
    if let (Some(s), Some(millis)) = (schema, value.as_i64()) {
        let text = if s.is_logical(logical::DATE) {
            Some(format_date(millis * MILLIS_PER_DAY))
        } else if s.is_logical(logical::TIME) {
            Some(format_time(millis))
        } else if s.is_logical(logical::TIMESTAMP) {
            Some(format!("{}T{}", format_date(millis), format_time(millis)))
        } else {
            None
        };
        if let Some(text) = text {
            out.push_str(&text);
            return;
        }
    }
    if push_scalar(out, value) {
        return;
    }
    match value {
        Value::String(s) if embedded => {
            out.push('"');
            out.push_str(&s.replace('\\', "\\\\").replace('"', "\\\""));
            out.push('"');
        }
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(b);
            if embedded {
                let _ = write!(out, "\"{encoded}\"");
            } else {
                out.push_str(&encoded);
            }
        }
        Value::Array(items) => {
            let items_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, items_schema, item, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let keys = schema.and_then(|s| s.key_schema.as_deref());
            let values = schema.and_then(|s| s.value_schema.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, keys, k, true);
                out.push(':');
                append(out, values, v, true);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, (field, v)) in s.schema().fields.iter().zip(s.values()).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, None, &Value::String(field.name.clone()), true);
                out.push(':');
                append(out, Some(&field.schema), v, true);
            }
            out.push('}');
        }
        Value::Null
        | Value::Int8(_)
        | Value::Int16(_)
        | Value::Int32(_)
        | Value::Int64(_)
        | Value::Float32(_)
        | Value::Float64(_)
        | Value::Boolean(_)
        | Value::Decimal(_) => unreachable!("written by push_scalar"),
    }
}

/// Kafka's `Values.parseString`, for the cases headers carry in practice:
/// `null`, `true`/`false`, integers (the smallest of INT8…INT64 that fits),
/// other numbers (FLOAT32 when finite, as Kafka, else FLOAT64, else a
/// Decimal), ISO-8601 dates, times and timestamps as
/// [`convert_to_string`] writes them; anything else is a STRING. Arrays and
/// maps (`[1,2]`, `{"a":1}`) stay strings.
pub fn parse_string(text: &str) -> (Option<SchemaRef>, Value) {
    let t = text.trim();
    match t {
        "" => return (Some(STRING.clone()), Value::String(text.to_string())),
        "null" => return (None, Value::Null),
        "true" => return (Some(BOOLEAN.clone()), Value::Boolean(true)),
        "false" => return (Some(BOOLEAN.clone()), Value::Boolean(false)),
        _ => {}
    }
    let first = t.as_bytes()[0];
    if first.is_ascii_digit() {
        if let Some(parsed) = parse_temporal(t) {
            return parsed;
        }
    }
    if first.is_ascii_digit() || first == b'+' || first == b'-' {
        if let Some(parsed) = parse_number(t) {
            return parsed;
        }
    }
    (Some(STRING.clone()), Value::String(text.to_string()))
}

fn parse_number(t: &str) -> Option<(Option<SchemaRef>, Value)> {
    let decimal: Decimal = t.parse().ok()?;
    if let Some(i) = decimal
        .rescale(0)
        .and_then(|d| i64::try_from(d.unscaled).ok())
    {
        return Some(if let Ok(v) = i8::try_from(i) {
            (Some(INT8.clone()), Value::Int8(v))
        } else if let Ok(v) = i16::try_from(i) {
            (Some(INT16.clone()), Value::Int16(v))
        } else if let Ok(v) = i32::try_from(i) {
            (Some(INT32.clone()), Value::Int32(v))
        } else {
            (Some(INT64.clone()), Value::Int64(i))
        });
    }
    if decimal.scale != 0 {
        if let Some(v) = t.parse::<f32>().ok().filter(|v| v.is_finite()) {
            return Some((Some(FLOAT32.clone()), Value::Float32(v)));
        }
        if let Some(v) = t.parse::<f64>().ok().filter(|v| v.is_finite()) {
            return Some((Some(FLOAT64.clone()), Value::Float64(v)));
        }
    }
    let schema = logical::decimal(decimal.scale).build();
    Some((Some(schema), Value::Decimal(decimal)))
}

fn parse_temporal(t: &str) -> Option<(Option<SchemaRef>, Value)> {
    match t.len() {
        10 => {
            let days = parse_date(t)?;
            Some((Some(DATE.clone()), Value::Int32(i32::try_from(days).ok()?)))
        }
        13 => {
            let millis = parse_time(t)?;
            Some((
                Some(TIME.clone()),
                Value::Int32(i32::try_from(millis).ok()?),
            ))
        }
        24 if t.as_bytes()[10] == b'T' => {
            let days = parse_date(&t[..10])?;
            let millis = parse_time(&t[11..])?;
            Some((
                Some(TIMESTAMP.clone()),
                Value::Int64(days * MILLIS_PER_DAY + millis),
            ))
        }
        _ => None,
    }
}

/// `yyyy-MM-dd` → days since the epoch.
fn parse_date(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (
        digits(&t[0..4])?,
        digits(&t[5..7])? as u32,
        digits(&t[8..10])? as u32,
    );
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// `HH:mm:ss.SSSZ` → milliseconds since midnight.
fn parse_time(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() != 13 || b[2] != b':' || b[5] != b':' || b[8] != b'.' || b[12] != b'Z' {
        return None;
    }
    let (h, m, s, ms) = (
        digits(&t[0..2])?,
        digits(&t[3..5])?,
        digits(&t[6..8])?,
        digits(&t[9..12])?,
    );
    (h < 24 && m < 60 && s < 60).then_some(((h * 60 + m) * 60 + s) * 1000 + ms)
}

fn digits(s: &str) -> Option<i64> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Milliseconds since the epoch → `yyyy-MM-dd` (UTC).
fn format_date(millis: i64) -> String {
    let (y, m, d) = civil_from_days(millis.div_euclid(MILLIS_PER_DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Milliseconds → `HH:mm:ss.SSSZ` of that instant's time of day (UTC).
fn format_time(millis: i64) -> String {
    let ms = millis.rem_euclid(MILLIS_PER_DAY);
    format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SchemaBuilder, SchemaType, Struct};

    #[test]
    fn values_print_as_kafkas_values_class() {
        let s = |schema: Option<&Schema>, v: Value| convert_to_string(schema, &v);
        assert_eq!(s(None, "plain".into()), "plain");
        assert_eq!(s(None, Value::Int16(-3)), "-3");
        assert_eq!(s(None, Value::Float64(1.5)), "1.5");
        assert_eq!(
            s(None, Value::Bytes("hi".as_bytes().to_vec().into())),
            "aGk="
        );
        assert_eq!(s(None, Value::Decimal(Decimal::new(15, -2))), "1.5E+3");
        assert_eq!(
            s(
                None,
                Value::Array(vec![1.into(), "a\"b".into(), Value::Null])
            ),
            r#"[1,"a\"b",null]"#
        );
        assert_eq!(
            s(None, Value::Map(vec![("k".into(), true.into())])),
            r#"{"k":true}"#
        );
        let schema = SchemaBuilder::struct_()
            .field("n", Schema::int32())
            .field("t", Schema::string())
            .build();
        let value = Struct::new(schema.clone()).with("n", 1).with("t", "x");
        assert_eq!(s(Some(&schema), Value::Struct(value)), r#"{"n":1,"t":"x"}"#);
        assert_eq!(s(Some(&DATE), Value::Int32(10_000)), "1997-05-19");
        assert_eq!(s(Some(&TIME), Value::Int32(49_500_123)), "13:45:00.123Z");
        assert_eq!(
            s(Some(&TIMESTAMP), Value::Int64(864_000_000_000 + 49_500_123)),
            "1997-05-19T13:45:00.123Z"
        );
    }

    #[test]
    fn strings_parse_to_the_narrowest_type() {
        let p = |t: &str| parse_string(t);
        assert_eq!(p("null"), (None, Value::Null));
        assert_eq!(p("true"), (Some(BOOLEAN.clone()), Value::Boolean(true)));
        assert_eq!(p("12"), (Some(INT8.clone()), Value::Int8(12)));
        assert_eq!(p("-300"), (Some(INT16.clone()), Value::Int16(-300)));
        assert_eq!(p("70000"), (Some(INT32.clone()), Value::Int32(70_000)));
        assert_eq!(
            p("4398046511104"),
            (Some(INT64.clone()), Value::Int64(4_398_046_511_104))
        );
        assert_eq!(p("1.0"), (Some(INT8.clone()), Value::Int8(1)));
        assert_eq!(p("1.5"), (Some(FLOAT32.clone()), Value::Float32(1.5)));
        assert_eq!(p("1e300"), (Some(FLOAT64.clone()), Value::Float64(1e300)));
        let (schema, value) = p("123456789012345678901234567890");
        assert_eq!(schema.unwrap().schema_type, SchemaType::Bytes);
        assert_eq!(
            value,
            Value::Decimal("123456789012345678901234567890".parse().unwrap())
        );
        assert_eq!(p("1997-05-19"), (Some(DATE.clone()), Value::Int32(10_000)));
        assert_eq!(
            p("13:45:00.123Z"),
            (Some(TIME.clone()), Value::Int32(49_500_123))
        );
        assert_eq!(
            p("1997-05-19T13:45:00.123Z"),
            (Some(TIMESTAMP.clone()), Value::Int64(864_049_500_123))
        );
        for text in [
            "hello",
            "1997-02-30",
            "12abc",
            "NaN",
            "-",
            "[1,2]",
            " spaced ",
        ] {
            assert_eq!(
                p(text),
                (Some(STRING.clone()), Value::String(text.into())),
                "{text}"
            );
        }
        assert_eq!(p(""), (Some(STRING.clone()), Value::String(String::new())));
    }
}
