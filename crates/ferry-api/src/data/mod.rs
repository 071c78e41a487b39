//! The Kafka Connect data model: [`Schema`]s and the [`Value`]s they
//! describe.
//!
//! Values are typed by their *physical* type, as on the wire. The logical
//! types of Kafka Connect are schemas with a well-known name:
//!
//! | logical type | schema name                               | physical type | value              |
//! |--------------|-------------------------------------------|---------------|--------------------|
//! | Decimal      | `org.apache.kafka.connect.data.Decimal`   | BYTES (`scale` parameter) | [`Value::Decimal`] |
//! | Date         | `org.apache.kafka.connect.data.Date`      | INT32         | days since epoch   |
//! | Time         | `org.apache.kafka.connect.data.Time`      | INT32         | ms since midnight  |
//! | Timestamp    | `org.apache.kafka.connect.data.Timestamp` | INT64         | ms since epoch     |
//!
//! Decimal is the only logical type with its own value variant, because its
//! physical bytes mean nothing without the schema's scale.
//!
//! [`text`] holds Kafka's rules for printing values as text.

#[cfg(feature = "avro")]
pub mod avro;
mod decimal;
mod schema;
pub mod text;
mod value;

pub use decimal::Decimal;
pub use schema::{logical, Field, Schema, SchemaBuilder, SchemaRef, SchemaType};
pub use value::{Struct, Value};
