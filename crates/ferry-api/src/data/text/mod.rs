//! Kafka's rules for turning Connect values into text, in one place.
//!
//! Every crate that prints a Connect value the way Kafka does uses these:
//! the JSON converter, the String and SimpleHeader converters, the S3 sink's
//! header files, the PostgreSQL source's temporal types, and transforms.
//!
//! * [`java_numbers`]: numbers as Java prints them (`Double.toString`,
//!   `Float.toString`, `BigDecimal.toString`): `1.0`, `1.0E20`, `1.5E+3`.
//! * [`values`]: Kafka Connect's `Values.convertToString` (ISO-8601 dates,
//!   base64 bytes, `[1,"a"]` / `{"k":1}` containers) and `Values.parseString`.
//! * [`java_object`]: a value as Java's `Object.toString()` prints it
//!   (`[a, b]`, `{k=v}`, `Struct{f=v}`), what `StringConverter` writes.
//! * [`calendar`]: proleptic Gregorian dates ↔ days since 1970-01-01.

pub mod calendar;
pub mod java_numbers;
pub mod java_object;
pub mod values;

pub use calendar::{civil_from_days, days_from_civil, MILLIS_PER_DAY};
pub use java_numbers::{
    big_decimal_to_string, double_to_string, float_to_string, write_big_decimal, write_double,
    write_float,
};
pub use java_object::to_java_string;
pub use values::{convert_to_string, parse_string};
