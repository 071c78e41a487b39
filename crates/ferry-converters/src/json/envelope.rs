//! Reading the `{"schema":…,"payload":…}` envelope in one pass: the schema
//! (usually first) is resolved through the converter's cache by its raw
//! text, then the payload is parsed straight into Connect values with it.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use ferry_api::data::{SchemaRef, Value};
use ferry_api::error::ConnectError;

use super::converter::JsonConverter;
use super::read::{Key, ValueSeed};

/// Kafka's message when a message is not an envelope.
pub(crate) const NOT_AN_ENVELOPE: &str =
    "JsonConverter with schemas.enable requires \"schema\" and \
     \"payload\" fields and may not contain additional fields. If you are trying to deserialize \
     plain JSON data, set schemas.enable=false in your converter configuration.";

/// Parses an envelope into its schema and value.
pub(crate) struct EnvelopeSeed<'c> {
    pub(crate) converter: &'c JsonConverter,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = (Option<SchemaRef>, Value);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn not_an_envelope<E: de::Error>() -> E {
    E::custom(NOT_AN_ENVELOPE)
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = (Option<SchemaRef>, Value);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a {\"schema\":…,\"payload\":…} envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let cfg = self.converter.config();
        let mut schema: Option<Option<SchemaRef>> = None;
        let mut payload: Option<Value> = None;
        let mut early_payload: Option<&'de RawValue> = None;
        while let Some(Key(key)) = map.next_key()? {
            match key.as_ref() {
                "schema" if schema.is_none() => {
                    let raw: &'de RawValue = map.next_value()?;
                    let resolved = self
                        .converter
                        .schema_from_raw(raw.get())
                        .map_err(|e| de::Error::custom(message(e)))?;
                    if let Some(raw_payload) = early_payload.take() {
                        payload = Some(parse_payload(resolved.as_ref(), raw_payload, cfg)?);
                    }
                    schema = Some(resolved);
                }
                "payload" if payload.is_none() && early_payload.is_none() => match &schema {
                    Some(s) => {
                        payload = Some(map.next_value_seed(ValueSeed {
                            schema: s.as_ref(),
                            cfg,
                        })?);
                    }
                    None => early_payload = Some(map.next_value()?),
                },
                _ => return Err(not_an_envelope()),
            }
        }
        match (schema, payload) {
            (Some(schema), Some(payload)) => Ok((schema, payload)),
            _ => Err(not_an_envelope()),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(not_an_envelope())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(not_an_envelope())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(not_an_envelope())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(not_an_envelope())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(not_an_envelope())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(not_an_envelope())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(not_an_envelope())
    }
}

/// The message of an error, without the `data error: ` prefix of its display.
fn message(e: ConnectError) -> String {
    match e {
        ConnectError::Data { message, .. } => message,
        other => other.to_string(),
    }
}

/// A payload that came before its schema, parsed once the schema is known.
fn parse_payload<E: de::Error>(
    schema: Option<&SchemaRef>,
    raw: &RawValue,
    cfg: &super::JsonConverterConfig,
) -> Result<Value, E> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    ValueSeed { schema, cfg }
        .deserialize(&mut de)
        .map_err(E::custom)
}
