//! Connect values as Java's `Object.toString()` prints them, which is what
//! Kafka's `StringConverter` writes for non-string values.

use super::java_numbers::push_scalar;
use crate::data::Value;
use crate::error::{ConnectError, ConnectResult};

/// The text Kafka's `StringConverter` would write for a value: the string
/// itself, numbers as Java prints them (`1.0`, `1.0E20`), decimals as
/// `BigDecimal.toString()`, lists as `[a, b]`, maps as `{k=v}`, structs as
/// `Struct{f=v}`. BYTES must be UTF-8 (Java would print `[B@1b6d3586`).
pub fn to_java_string(value: &Value) -> ConnectResult<String> {
    if let Value::String(s) = value {
        return Ok(s.clone());
    }
    let mut out = String::new();
    append(&mut out, value)?;
    Ok(out)
}

fn append(out: &mut String, value: &Value) -> ConnectResult<()> {
    if push_scalar(out, value) {
        return Ok(());
    }
    match value {
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => out.push_str(s),
            Err(e) => {
                return Err(ConnectError::data(format!(
                    "StringConverter cannot write bytes that are not UTF-8 ({e}); \
                     use the ByteArrayConverter for binary data"
                )))
            }
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append(out, item)?;
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                append(out, k)?;
                out.push('=');
                append(out, v)?;
            }
            out.push('}');
        }
        Value::Struct(s) => {
            // Kafka's Struct.toString(): null fields are left out.
            out.push_str("Struct{");
            let mut first = true;
            for (name, v) in s.iter().filter(|(_, v)| !v.is_null()) {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(name);
                out.push('=');
                append(out, v)?;
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Decimal, Schema, SchemaBuilder, Struct};
    use bytes::Bytes;

    #[test]
    fn primitives_print_like_java() {
        let cases: Vec<(Value, &str)> = vec![
            (Value::Int8(-8), "-8"),
            (Value::Int64(4398046511104), "4398046511104"),
            (Value::Float32(12.34), "12.34"),
            (Value::Float64(1.0), "1.0"),
            (Value::Float64(1.0e20), "1.0E20"),
            (Value::Float64(f64::NAN), "NaN"),
            (Value::Boolean(true), "true"),
            ("text".into(), "text"),
            (Value::Bytes(Bytes::from_static(b"utf8 \xc3\xa9")), "utf8 é"),
            (Value::Decimal(Decimal::new(1230, 2)), "12.30"),
        ];
        for (value, want) in cases {
            assert_eq!(to_java_string(&value).unwrap(), want);
        }
    }

    #[test]
    fn containers_print_like_java_collections() {
        let list = Value::Array(vec![1.into(), Value::Null, "a".into()]);
        assert_eq!(to_java_string(&list).unwrap(), "[1, null, a]");
        let map = Value::Map(vec![("k".into(), 1.into()), ("j".into(), true.into())]);
        assert_eq!(to_java_string(&map).unwrap(), "{k=1, j=true}");
        let schema = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("b", Schema::optional_string())
            .field("c", Schema::boolean())
            .build();
        let s = Struct::new(schema).with("a", 1).with("c", false);
        assert_eq!(
            to_java_string(&Value::Struct(s)).unwrap(),
            "Struct{a=1,c=false}"
        );
    }

    #[test]
    fn binary_bytes_are_refused() {
        let err = to_java_string(&Value::Bytes(Bytes::from_static(b"\xff\xfe"))).unwrap_err();
        assert!(err.to_string().contains("ByteArrayConverter"), "{err}");
    }
}
