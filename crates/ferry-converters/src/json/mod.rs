//! Connect data ↔ JSON, exactly as Kafka's `JsonConverter` maps them.
//!
//! - [`JsonConverter`]: the [`Converter`](ferry_api::Converter) behind
//!   `org.apache.kafka.connect.json.JsonConverter`, with its
//!   `{"schema":…,"payload":…}` envelope when `schemas.enable=true`.
//! - [`write_value`] / [`read_value`]: one value ↔ JSON bytes (no envelope),
//!   the hot path; a sink writing JSON files uses these directly.
//! - [`value_to_json`] / [`value_from_json`], [`schema_to_json`] /
//!   [`schema_from_json`]: the same mapping on `serde_json::Value` trees,
//!   for code that builds or inspects JSON.
//!
//! ## The mapping
//!
//! | Connect                    | JSON                                                   |
//! |----------------------------|--------------------------------------------------------|
//! | INT8…INT64, Date, Time, Timestamp | integer                                         |
//! | FLOAT32, FLOAT64           | number as Java prints it (`1.0`, `1.0E20`); NaN and ±Infinity as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (Jackson's default) |
//! | BOOLEAN, STRING            | boolean, string                                        |
//! | BYTES                      | base64 string (standard alphabet, padded)              |
//! | Decimal                    | base64 of the unscaled two's-complement bytes, or with `decimal.format=NUMERIC` a number printed as Java's `BigDecimal.toString()` (`12.30`, `1.5E+3`) |
//! | ARRAY                      | array                                                  |
//! | MAP with STRING keys       | object                                                 |
//! | MAP with other keys        | array of `[key, value]` pairs                          |
//! | STRUCT                     | object, fields in schema order                         |
//!
//! Reading without a schema (`schemas.enable=false`) infers as Kafka does:
//! object → MAP with string keys, array → ARRAY, integer → INT64, fraction →
//! FLOAT64, string, boolean, null.
//!
//! ## Where Ferry differs from Kafka
//!
//! Kafka coerces silently where Ferry refuses: a string read with an INT32
//! schema is `0` in Kafka and an error here; `1.5` for an INT32 is `1` in
//! Kafka and an error here (integral numbers such as `2.0` are accepted).
//! Ferry reads back what it writes: `"NaN"`/`"Infinity"` strings read as the
//! float values (Kafka reads them as `0.0`). A NUMERIC decimal read with a
//! different number of fraction digits than the schema's scale is rescaled
//! to the schema's scale when no digit is lost. Without a schema, a Decimal
//! value is written as a JSON number and a Struct value with its own schema
//! (Kafka refuses both), and an integer above `i64::MAX` reads as FLOAT64.
//!
//! ## Precision
//!
//! The byte-level functions are exact: NUMERIC decimals are written and read
//! through their text (never through `f64`), and floats parse with
//! correct rounding (`serde_json`'s `float_roundtrip`). A `serde_json::Value`
//! tree cannot hold a decimal's text (Ferry does not turn on serde_json's
//! workspace-wide `arbitrary_precision`), so in [`value_to_json`] and
//! [`value_from_json`] a NUMERIC decimal passes through `f64`: trailing zeros
//! (`12.30`) and digits beyond ~17 are lost there. Use the byte-level
//! functions when that matters.

mod config;
mod converter;
mod envelope;
mod read;
mod schema;
mod write;

#[cfg(test)]
mod tests;

pub use config::{
    DecimalFormat, JsonConverterConfig, DECIMAL_FORMAT_CONFIG, REPLACE_NULL_WITH_DEFAULT_CONFIG,
    SCHEMAS_CACHE_SIZE_CONFIG, SCHEMAS_ENABLE_CONFIG,
};
pub use converter::JsonConverter;
pub use read::{read_value, value_from_json};
pub use schema::{schema_from_json, schema_to_json, write_schema};
pub use write::{value_to_json, write_value};

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use ferry_api::data::{SchemaType, Value};

/// Base64 as Jackson writes it (standard alphabet, padded); reading also
/// accepts unpadded input.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The type's name as Java's `Schema.Type` enum prints it (`INT32`), used
/// in error messages so they read like Kafka's.
pub(crate) fn type_upper(t: SchemaType) -> &'static str {
    match t {
        SchemaType::Int8 => "INT8",
        SchemaType::Int16 => "INT16",
        SchemaType::Int32 => "INT32",
        SchemaType::Int64 => "INT64",
        SchemaType::Float32 => "FLOAT32",
        SchemaType::Float64 => "FLOAT64",
        SchemaType::Boolean => "BOOLEAN",
        SchemaType::String => "STRING",
        SchemaType::Bytes => "BYTES",
        SchemaType::Array => "ARRAY",
        SchemaType::Map => "MAP",
        SchemaType::Struct => "STRUCT",
    }
}

/// What kind of value this is, for error messages (`int32`, `decimal`, `null`).
pub(crate) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Decimal(_) => "decimal",
        other => other
            .natural_type()
            .map(SchemaType::connect_name)
            .unwrap_or("null"),
    }
}
