//! [`JsonConverter`]: `org.apache.kafka.connect.json.JsonConverter`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::de::DeserializeSeed;

use ferry_api::config::ConfigErrors;
use ferry_api::convert::Converter;
use ferry_api::data::{SchemaRef, Value};
use ferry_api::error::{ConnectError, ConnectResult};
use ferry_api::PropertyMap;

use super::config::JsonConverterConfig;
use super::envelope::{EnvelopeSeed, NOT_AN_ENVELOPE};
use super::read::{read_error, read_value, ValueSeed};
use super::schema::{schema_from_text, write_schema};
use super::write::write_value;

/// Written schemas by `Arc` address: the `Arc` (kept alive so the address
/// stays unique) and its JSON.
type WrittenSchemas = HashMap<usize, (SchemaRef, Arc<[u8]>)>;

/// Kafka's JsonConverter: Connect data ↔ JSON bytes, with a
/// `{"schema":…,"payload":…}` envelope when `schemas.enable=true` (the
/// default) and plain JSON otherwise.
///
/// - Writing: a null value without a schema is a Kafka null (a tombstone);
///   a null with a schema is written like any value (`"payload":null`, or the
///   default).
/// - Reading: a Kafka null is `(None, Value::Null)`; with `schemas.enable`
///   a message that is not an envelope is an error that says to set
///   `schemas.enable=false`; with it off, empty bytes read as null.
///
/// Schemas are cached both ways (up to `schemas.cache.size` each): written
/// schemas by identity of their [`SchemaRef`], read schemas by their JSON
/// text, so a stream of records sharing a schema converts it once.
///
/// ```
/// use ferry_converters::json::{JsonConverter, JsonConverterConfig};
/// use ferry_api::{Converter, Schema, Value};
///
/// let conv = JsonConverter::new(JsonConverterConfig::default());
/// let bytes = conv.from_connect("t", Some(&Schema::int32()), &Value::Int32(7)).unwrap().unwrap();
/// assert_eq!(bytes, br#"{"schema":{"type":"int32","optional":false},"payload":7}"#);
/// let (schema, value) = conv.to_connect("t", Some(&bytes)).unwrap();
/// assert_eq!((schema.unwrap(), value), (Schema::int32(), Value::Int32(7)));
/// ```
#[derive(Debug)]
pub struct JsonConverter {
    config: JsonConverterConfig,
    /// Schemas written so far, with their JSON.
    written: Mutex<WrittenSchemas>,
    /// Schemas read so far, by the raw text of their JSON.
    read: Mutex<ReadSchemas>,
    /// Size of the last message written, to size the next buffer.
    last_len: AtomicUsize,
}

impl Default for JsonConverter {
    fn default() -> Self {
        JsonConverter::new(JsonConverterConfig::default())
    }
}

impl JsonConverter {
    /// A converter with the given settings.
    pub fn new(config: JsonConverterConfig) -> Self {
        JsonConverter {
            config,
            written: Mutex::new(HashMap::new()),
            read: Mutex::new(ReadSchemas::default()),
            last_len: AtomicUsize::new(0),
        }
    }

    /// A converter from its own properties (`schemas.enable`, …, without the
    /// `value.converter.` prefix).
    pub fn from_props(props: &PropertyMap) -> Result<Self, ConfigErrors> {
        Ok(JsonConverter::new(JsonConverterConfig::from_props(props)?))
    }

    /// The converter's settings.
    pub fn config(&self) -> &JsonConverterConfig {
        &self.config
    }

    /// The JSON of a schema, from the cache when this `Arc` was seen before.
    fn schema_json(&self, schema: &SchemaRef) -> ConnectResult<Arc<[u8]>> {
        let key = Arc::as_ptr(schema) as usize;
        if let Some((_, json)) = lock(&self.written).get(&key) {
            return Ok(json.clone());
        }
        let mut out = Vec::with_capacity(128);
        write_schema(schema, &self.config, &mut out)?;
        let json: Arc<[u8]> = out.into();
        let cap = self.config.schemas_cache_size;
        if cap > 0 {
            let mut cache = lock(&self.written);
            if cache.len() >= cap {
                cache.clear();
            }
            cache.insert(key, (schema.clone(), json.clone()));
        }
        Ok(json)
    }

    /// The schema of an envelope from the raw text of its `schema` field
    /// (`null` → no schema), from the cache when the same text was seen.
    pub(crate) fn schema_from_raw(&self, text: &str) -> ConnectResult<Option<SchemaRef>> {
        if text.trim() == "null" {
            return Ok(None);
        }
        if let Some(schema) = lock(&self.read).get(text) {
            return Ok(Some(schema));
        }
        let schema = schema_from_text(text)?;
        lock(&self.read).insert(text, &schema, self.config.schemas_cache_size);
        Ok(Some(schema))
    }

    /// The common case, read without tokenising the schema: a compact
    /// envelope (`{"schema":…,"payload":…}`, as Kafka's converter and this
    /// one write it) whose schema text is byte for byte the last schema
    /// read. Comparing bytes is far cheaper than scanning the schema's JSON,
    /// which is usually the larger half of the message. Anything else — a
    /// new schema, whitespace, another field order, a payload that does not
    /// parse or is followed by more fields — gives `None`, and the general
    /// reader handles (and words the errors of) the message.
    pub(super) fn read_with_last_schema(&self, bytes: &[u8]) -> Option<(SchemaRef, Value)> {
        let rest = bytes.strip_prefix(b"{\"schema\":")?;
        let (schema, payload) = {
            let read = lock(&self.read);
            let (text, schema) = read.last.as_ref()?;
            let payload = rest
                .strip_prefix(text.as_bytes())?
                .strip_prefix(b",\"payload\":")?;
            (schema.clone(), payload)
        };
        let payload = payload.trim_ascii_end().strip_suffix(b"}")?;
        let mut de = serde_json::Deserializer::from_slice(payload);
        let value = ValueSeed {
            schema: Some(&schema),
            cfg: &self.config,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        Some((schema, value))
    }
}

/// Read schemas by their JSON text. The last one is checked first with a
/// plain comparison: most topics carry one schema, and comparing is cheaper
/// than hashing the text.
#[derive(Debug, Default)]
struct ReadSchemas {
    last: Option<(Box<str>, SchemaRef)>,
    by_text: HashMap<Box<str>, SchemaRef>,
}

impl ReadSchemas {
    fn get(&mut self, text: &str) -> Option<SchemaRef> {
        if let Some((last_text, schema)) = &self.last {
            if **last_text == *text {
                return Some(schema.clone());
            }
        }
        let schema = self.by_text.get(text)?.clone();
        self.last = Some((text.into(), schema.clone()));
        Some(schema)
    }

    fn insert(&mut self, text: &str, schema: &SchemaRef, capacity: usize) {
        if capacity == 0 {
            return;
        }
        if self.by_text.len() >= capacity {
            self.by_text.clear();
        }
        self.by_text.insert(text.into(), schema.clone());
        self.last = Some((text.into(), schema.clone()));
    }
}

/// Kafka's envelope message stays exactly Kafka's (no parse position).
fn envelope_error(e: serde_json::Error) -> ConnectError {
    if e.to_string().starts_with(NOT_AN_ENVELOPE) {
        ConnectError::data(NOT_AN_ENVELOPE)
    } else {
        read_error(e)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Converter for JsonConverter {
    fn from_connect(
        &self,
        _topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if schema.is_none() && value.is_null() {
            return Ok(None);
        }
        let hint = self.last_len.load(Ordering::Relaxed);
        let mut out = Vec::with_capacity(hint + hint / 8 + 16);
        if self.config.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            match schema {
                Some(s) => out.extend_from_slice(&self.schema_json(s)?),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            write_value(schema.map(|s| &**s), value, &self.config, &mut out)?;
            out.push(b'}');
        } else {
            write_value(schema.map(|s| &**s), value, &self.config, &mut out)?;
        }
        self.last_len.store(out.len(), Ordering::Relaxed);
        Ok(Some(out))
    }

    fn to_connect(
        &self,
        _topic: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        let Some(bytes) = bytes else {
            return Ok((None, Value::Null));
        };
        let blank = bytes.iter().all(u8::is_ascii_whitespace);
        if !self.config.schemas_enable {
            if blank {
                return Ok((None, Value::Null));
            }
            return Ok((None, read_value(None, bytes, &self.config)?));
        }
        if blank {
            return Err(ConnectError::data(NOT_AN_ENVELOPE));
        }
        if let Some((schema, value)) = self.read_with_last_schema(bytes) {
            return Ok((Some(schema), value));
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let converted = EnvelopeSeed { converter: self }
            .deserialize(&mut de)
            .map_err(envelope_error)?;
        de.end().map_err(read_error)?;
        Ok(converted)
    }
}
