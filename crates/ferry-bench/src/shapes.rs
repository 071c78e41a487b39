//! The records the benchmarks produce.

use std::fmt::Write;

/// A record value of the benchmark's shape, for record number `i`.
pub fn value(shape: &str, i: u64) -> Option<String> {
    match shape {
        "json1k" => Some(json1k(i)),
        "schema10" => Some(schema10(i)),
        _ => None,
    }
}

/// A schemaless JSON object of about 1 KB.
fn json1k(i: u64) -> String {
    let mut text = String::with_capacity(900);
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while text.len() < 860 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let _ = write!(text, "{:016x} ", x);
    }
    serde_json::json!({
        "id": i,
        "customer": format!("customer-{}", i % 10_000),
        "amount": (i % 100_000) as f64 / 100.0,
        "currency": "EUR",
        "created": 1_714_571_100_000u64 + i,
        "text": text,
    })
    .to_string()
}

/// The Connect schema of the 10-field record, in JsonConverter's envelope.
const SCHEMA10: &str = r#"{"type":"struct","name":"bench.Order","optional":false,"version":1,"fields":[
{"field":"id","type":"int64","optional":false},
{"field":"customer","type":"string","optional":false},
{"field":"qty","type":"int32","optional":false},
{"field":"price","type":"double","optional":false},
{"field":"active","type":"boolean","optional":false},
{"field":"created","type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},
{"field":"category","type":"string","optional":true},
{"field":"score","type":"float","optional":true},
{"field":"region","type":"string","optional":false},
{"field":"note","type":"string","optional":true}]}"#;

/// A record with a 10-field schema (JsonConverter, `schemas.enable=true`).
fn schema10(i: u64) -> String {
    let schema: String = SCHEMA10.split('\n').collect();
    let category = ["books", "games", "music", "tools"][(i % 4) as usize];
    let region = ["eu-west-1", "us-east-1", "ap-south-1"][(i % 3) as usize];
    let payload = serde_json::json!({
        "id": i,
        "customer": format!("customer-{}", i % 10_000),
        "qty": (i % 1000) as i32,
        "price": (i % 100_000) as f64 / 100.0,
        "active": i.is_multiple_of(2),
        "created": 1_714_571_100_000u64 + i,
        "category": category,
        "score": (i % 997) as f32 / 10.0,
        "region": region,
        "note": if i.is_multiple_of(5) { serde_json::Value::Null } else { format!("note {i}").into() },
    });
    format!("{{\"schema\":{schema},\"payload\":{payload}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json1k_is_about_a_kilobyte_of_valid_json() {
        let v = value("json1k", 7).unwrap();
        assert!((900..1100).contains(&v.len()), "{}", v.len());
        let parsed: serde_json::Value = serde_json::from_str(&v).unwrap();
        assert_eq!(parsed["id"], 7);
    }

    #[test]
    fn schema10_is_an_envelope_with_ten_fields() {
        let v: serde_json::Value = serde_json::from_str(&value("schema10", 5).unwrap()).unwrap();
        assert_eq!(v["schema"]["fields"].as_array().unwrap().len(), 10);
        assert_eq!(v["payload"].as_object().unwrap().len(), 10);
        assert!(v["payload"]["note"].is_null());
    }

    #[test]
    fn unknown_shape_is_none() {
        assert!(value("nope", 1).is_none());
    }
}
