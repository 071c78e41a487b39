//! Numbers as Java prints them: `Double.toString`, `Float.toString` and
//! `BigDecimal.toString`.
//!
//! Kafka's JsonConverter (through Jackson), its `StringConverter` and its
//! `SimpleHeaderConverter` all print numbers this way, so Ferry does too:
//! `1.0` (not `1`), `1.0E20` (not `1e20`), `NaN`, `Infinity`, and decimals in
//! scientific notation when their exponent is large (`1.5E+3`).

use std::io::Write as _;

use num_bigint::Sign;

use crate::data::Decimal;

/// Java's `Double.toString(v)`, e.g. `1.0`, `0.001`, `1.0E7`, `1.0E-4`, `NaN`.
pub fn double_to_string(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_double(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// Java's `Float.toString(v)`, e.g. `12.34`, `1.0E10`.
pub fn float_to_string(v: f32) -> String {
    let mut out = Vec::with_capacity(16);
    write_float(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// Java's `BigDecimal.toString()`: plain notation unless the scale is
/// negative or the number is smaller than 1E-6, e.g. `12.30`, `1.5E+3`, `1E-7`.
pub fn big_decimal_to_string(d: &Decimal) -> String {
    let mut out = Vec::with_capacity(24);
    write_big_decimal(&mut out, d);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `null`, a boolean or a number as Java prints it, which
/// `Object.toString()` and `Values.convertToString` share; returns false
/// (and appends nothing) for strings, bytes and containers.
pub(crate) fn push_scalar(out: &mut String, value: &crate::data::Value) -> bool {
    use crate::data::Value;
    use std::fmt::Write as _;
    let _ = match value {
        Value::Null => write!(out, "null"),
        Value::Int8(v) => write!(out, "{v}"),
        Value::Int16(v) => write!(out, "{v}"),
        Value::Int32(v) => write!(out, "{v}"),
        Value::Int64(v) => write!(out, "{v}"),
        Value::Float32(v) => write!(out, "{}", float_to_string(*v)),
        Value::Float64(v) => write!(out, "{}", double_to_string(*v)),
        Value::Boolean(b) => write!(out, "{b}"),
        Value::Decimal(d) => write!(out, "{}", big_decimal_to_string(d)),
        _ => return false,
    };
    true
}

/// Appends [`double_to_string`]'s text.
pub fn write_double(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        out.extend_from_slice(non_finite(v.is_nan(), v > 0.0));
        return;
    }
    // `{:e}` gives the shortest digits that round-trip: "1.2345e-5", "1e10".
    let mut buf = [0u8; 40];
    let free = {
        let mut cursor: &mut [u8] = &mut buf;
        let _ = write!(cursor, "{:e}", v.abs());
        cursor.len()
    };
    java_layout(out, v.is_sign_negative(), &buf[..buf.len() - free]);
}

/// Appends [`float_to_string`]'s text.
pub fn write_float(out: &mut Vec<u8>, v: f32) {
    if !v.is_finite() {
        out.extend_from_slice(non_finite(v.is_nan(), v > 0.0));
        return;
    }
    let mut buf = [0u8; 32];
    let free = {
        let mut cursor: &mut [u8] = &mut buf;
        let _ = write!(cursor, "{:e}", v.abs());
        cursor.len()
    };
    java_layout(out, v.is_sign_negative(), &buf[..buf.len() - free]);
}

/// Appends [`big_decimal_to_string`]'s text.
pub fn write_big_decimal(out: &mut Vec<u8>, d: &Decimal) {
    let coefficient = d.unscaled.magnitude().to_string();
    let scale = i64::from(d.scale);
    let adjusted = -scale + (coefficient.len() as i64 - 1);
    if scale >= 0 && adjusted >= -6 {
        // Plain notation; `Decimal`'s Display is `toPlainString()`.
        let _ = write!(out, "{d}");
        return;
    }
    if d.unscaled.sign() == Sign::Minus {
        out.push(b'-');
    }
    out.push(coefficient.as_bytes()[0]);
    if coefficient.len() > 1 {
        out.push(b'.');
        out.extend_from_slice(&coefficient.as_bytes()[1..]);
    }
    out.push(b'E');
    if adjusted > 0 {
        out.push(b'+');
    }
    let _ = write!(out, "{adjusted}");
}

fn non_finite(nan: bool, positive: bool) -> &'static [u8] {
    match (nan, positive) {
        (true, _) => b"NaN",
        (false, true) => b"Infinity",
        (false, false) => b"-Infinity",
    }
}

/// Lays out Rust's `{:e}` text of a non-negative finite number the way
/// `Double.toString` does: plain for 1E-3 ≤ |v| < 1E7, else `d.dddE±n`,
/// always with at least one digit after the point.
fn java_layout(out: &mut Vec<u8>, negative: bool, sci: &[u8]) {
    let e = sci.iter().position(|&b| b == b'e').unwrap_or(sci.len());
    let exponent: i32 = std::str::from_utf8(sci.get(e + 1..).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let digits: Vec<u8> = sci[..e].iter().copied().filter(|&b| b != b'.').collect();
    if negative {
        out.push(b'-');
    }
    if digits == b"0" {
        out.extend_from_slice(b"0.0");
        return;
    }
    if (-3..7).contains(&exponent) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            if digits.len() <= int_len {
                out.extend_from_slice(&digits);
                out.resize(out.len() + int_len - digits.len(), b'0');
                out.extend_from_slice(b".0");
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (-exponent - 1) as usize, b'0');
            out.extend_from_slice(&digits);
        }
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        let _ = write!(out, "E{exponent}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (12.34, "12.34"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1234567.0, "1234567.0"),
            (9999999.0, "9999999.0"),
            (1.0e7, "1.0E7"),
            (1.0e20, "1.0E20"),
            (1.2345e-5, "1.2345E-5"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for &(v, want) in cases {
            assert_eq!(double_to_string(v), want, "{v:?}");
        }
    }

    #[test]
    fn floats_print_like_java() {
        assert_eq!(float_to_string(12.34), "12.34");
        assert_eq!(float_to_string(1.0e10), "1.0E10");
        assert_eq!(float_to_string(0.1), "0.1");
        assert_eq!(float_to_string(f32::NAN), "NaN");
    }

    #[test]
    fn big_decimals_print_like_java() {
        let cases: &[(i64, i32, &str)] = &[
            (1230, 2, "12.30"),
            (156, 2, "1.56"),
            (-5, 3, "-0.005"),
            (7, 0, "7"),
            (0, 2, "0.00"),
            (15, -2, "1.5E+3"),
            (123, -1, "1.23E+3"),
            (1, -1, "1E+1"),
            (0, -2, "0E+2"),
            (1, 7, "1E-7"),
            (1, 6, "0.000001"),
            (-12, 10, "-1.2E-9"),
        ];
        for &(unscaled, scale, want) in cases {
            assert_eq!(
                big_decimal_to_string(&Decimal::new(unscaled, scale)),
                want,
                "{unscaled}E-{scale}"
            );
        }
    }
}
