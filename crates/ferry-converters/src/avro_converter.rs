//! `io.confluent.connect.avro.AvroConverter`: Connect data ⇄ Avro in
//! Confluent's wire format, with schemas kept in a Schema Registry.
//!
//! Writing (`from_connect`): the Connect schema is mapped to Avro as
//! Confluent's `AvroData` maps it, the subject is named by
//! `key.subject.name.strategy` / `value.subject.name.strategy`, and the
//! schema id comes from registering the schema (`auto.register.schemas`,
//! the default), from the subject's latest version (`use.latest.version`),
//! or from looking it up. Reading (`to_connect`): the id after the magic
//! byte selects the writer's schema, fetched once; the Connect schema
//! carries the schema's version under the record's subject, so
//! `schema.compatibility` in sinks sees versions as Confluent's does.
//!
//! Registry calls happen once per schema (per topic and schema when
//! reading); every later record is mapped from caches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ferry_api::config::{ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, Importance};
use ferry_api::data::avro::apache_avro::{self, Schema as AvroSchema};
use ferry_api::data::avro::{AvroData, AvroDataConfig, AvroSchemaText};
use ferry_api::{ConnectError, ConnectResult, Converter, PropertyMap, SchemaRef, Value};

use crate::schema_registry::{
    wire, RegistryError, RegistrySchema, SchemaRegistryClient, SchemaRegistryConfig,
};

/// `connect.meta.data`.
pub const CONNECT_META_DATA_CONFIG: &str = "connect.meta.data";
/// `enhanced.avro.schema.support`.
pub const ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG: &str = "enhanced.avro.schema.support";
/// `schemas.cache.config`.
pub const SCHEMAS_CACHE_CONFIG: &str = "schemas.cache.config";

/// The class name Kafka Connect configs use.
pub const AVRO_CONVERTER: &str = "io.confluent.connect.avro.AvroConverter";

/// What writing with one Connect schema needs.
struct Writer {
    /// Keeps the Connect schema alive, so its address keys the cache.
    _connect: SchemaRef,
    id: i32,
    /// The schema the body is written with (the record's own, or the
    /// subject's latest with `use.latest.version`).
    schema: Arc<AvroSchemaText>,
    /// Whether values must be resolved onto `schema` first.
    resolve: bool,
}

/// What reading one schema id needs.
struct Reader {
    avro: AvroSchemaText,
    connect: SchemaRef,
}

/// The converter of one side (keys or values) of one connector.
pub struct AvroConverter {
    is_key: bool,
    config: SchemaRegistryConfig,
    client: SchemaRegistryClient,
    data: AvroData,
    /// `schemas.cache.config`: schemas remembered per cache before it
    /// starts over (records normally share a handful).
    cache_limit: usize,
    /// By topic and Connect schema identity (the writer keeps the schema
    /// alive, so an address is never reused while cached).
    writers: Mutex<HashMap<(String, usize), Arc<Writer>>>,
    /// By topic and Avro schema text, for equal schemas in new `Arc`s.
    writers_by_text: Mutex<HashMap<(String, String), Arc<Writer>>>,
    readers: Mutex<HashMap<(String, i32), Arc<Reader>>>,
}

/// The `AvroDataConfig` keys.
pub fn avro_data_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(CONNECT_META_DATA_CONFIG, ConfigType::Boolean)
                .default_value("true")
                .importance(Importance::Low)
                .doc("Carry Connect's schema name, version, doc, parameters and defaults in connect.* Avro properties."),
        )
        .define(
            ConfigKey::new(ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG, ConfigType::Boolean)
                .default_value("false")
                .importance(Importance::Low)
                .doc("Map Avro enums and unions both ways and name union branches by full name."),
        )
        .define(
            ConfigKey::new(SCHEMAS_CACHE_CONFIG, ConfigType::Int)
                .default_value("1000")
                .importance(Importance::Low)
                .doc("How many schemas the converter caches."),
        )
}

/// Reads `connect.meta.data`, `enhanced.avro.schema.support` and
/// `schemas.cache.config`.
fn avro_data_config(props: &PropertyMap) -> Result<(AvroDataConfig, usize), ConfigErrors> {
    let parsed = avro_data_config_def().parse(props)?;
    let cache = parsed.int(SCHEMAS_CACHE_CONFIG).unwrap_or(1000);
    if cache < 1 {
        return Err(ConfigErrors::single(ConfigError::new(
            SCHEMAS_CACHE_CONFIG,
            Some(&cache.to_string()),
            "must be at least 1",
        )));
    }
    Ok((
        AvroDataConfig {
            connect_meta_data: parsed.boolean(CONNECT_META_DATA_CONFIG).unwrap_or(true),
            enhanced_avro_schema_support: parsed
                .boolean(ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG)
                .unwrap_or(false),
        },
        cache as usize,
    ))
}

/// Inserts into a bounded cache (cleared when full).
fn remember<K: std::hash::Hash + Eq, V: Clone>(
    cache: &Mutex<HashMap<K, V>>,
    limit: usize,
    key: K,
    value: V,
) {
    let mut map = lock(cache);
    if map.len() >= limit {
        map.clear();
    }
    map.insert(key, value);
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn data_error(what: impl std::fmt::Display) -> ConnectError {
    ConnectError::data(what.to_string())
}

impl AvroConverter {
    /// Builds the converter from its own settings (`schema.registry.url`,
    /// …, without the `value.converter.` prefix).
    pub fn from_props(props: &PropertyMap, is_key: bool) -> Result<Self, ConfigErrors> {
        let registry = SchemaRegistryConfig::from_props(props);
        let data = avro_data_config(props);
        let (config, (data, cache_limit)) = match (registry, data) {
            (Ok(r), Ok(d)) => (r, d),
            (Err(mut a), Err(b)) => {
                a.0.extend(b.0);
                return Err(a);
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let client = SchemaRegistryClient::new(&config).map_err(|reason| {
            ConfigErrors::single(ConfigError::new(
                crate::schema_registry::config::TRUSTSTORE_LOCATION_CONFIG,
                None,
                format!("cannot set up TLS for the registry: {reason}"),
            ))
        })?;
        Ok(AvroConverter {
            is_key,
            config,
            client,
            data: AvroData::new(data),
            cache_limit,
            writers: Mutex::default(),
            writers_by_text: Mutex::default(),
            readers: Mutex::default(),
        })
    }

    /// The subject of a record of `topic` whose Avro schema is `schema`.
    fn subject(&self, topic: &str, schema: &AvroSchema) -> ConnectResult<String> {
        let name = schema_name(schema);
        self.config
            .strategy(self.is_key)
            .subject(topic, self.is_key, name.as_deref())
            .ok_or_else(|| {
                data_error(format!(
                    "{} needs a named schema (a record, enum or fixed); this {} schema has none",
                    self.config.strategy(self.is_key).class_name(),
                    if self.is_key { "key" } else { "value" }
                ))
            })
    }

    fn writer(&self, topic: &str, schema: &SchemaRef) -> ConnectResult<Arc<Writer>> {
        let key = (topic.to_string(), Arc::as_ptr(schema) as usize);
        if let Some(w) = lock(&self.writers).get(&key) {
            return Ok(Arc::clone(w));
        }
        let avro = self.data.from_connect_schema(schema)?;
        let by_text = (topic.to_string(), avro.text.clone());
        if let Some(w) = lock(&self.writers_by_text).get(&by_text) {
            let w = Arc::clone(w);
            remember(&self.writers, self.cache_limit, key, Arc::clone(&w));
            return Ok(w);
        }
        let subject = self.subject(topic, &avro.schema)?;
        let registry_schema = RegistrySchema {
            schema: avro.text.clone(),
            schema_type: "AVRO".into(),
            references: Vec::new(),
        };
        let writer = if self.config.use_latest_version {
            let latest = self
                .client
                .latest(&subject)
                .map_err(|e| registry_failure(e, &subject))?;
            let target = Arc::new(AvroSchemaText::parse(&latest.schema.schema).map_err(|e| {
                data_error(format!(
                    "the latest schema of subject {subject} (id {}) is not usable Avro: {e}",
                    latest.id
                ))
            })?);
            if self.config.latest_compatibility_strict {
                apache_avro::schema_compatibility::SchemaCompatibility::can_read(
                    &avro.schema,
                    &target.schema,
                )
                    .map_err(|e| {
                        data_error(format!(
                            "the latest schema of subject {subject} (id {}, version {}) cannot read records of this schema (latest.compatibility.strict=true): {e}",
                            latest.id, latest.version
                        ))
                    })?;
            }
            Writer {
                _connect: Arc::clone(schema),
                id: latest.id,
                schema: target,
                resolve: true,
            }
        } else {
            let id = if self.config.auto_register {
                self.client.register(&subject, &registry_schema)
            } else {
                self.client.lookup(&subject, &registry_schema).map(|r| r.id)
            }
            .map_err(|e| registry_failure(e, &subject))?;
            Writer {
                _connect: Arc::clone(schema),
                id,
                schema: Arc::new(avro),
                resolve: false,
            }
        };
        let writer = Arc::new(writer);
        remember(&self.writers, self.cache_limit, key, Arc::clone(&writer));
        remember(
            &self.writers_by_text,
            self.cache_limit,
            by_text,
            Arc::clone(&writer),
        );
        Ok(writer)
    }

    fn reader(&self, topic: &str, id: i32) -> ConnectResult<Arc<Reader>> {
        let key = (topic.to_string(), id);
        if let Some(r) = lock(&self.readers).get(&key) {
            return Ok(Arc::clone(r));
        }
        let stored = self.client.schema_by_id(id).map_err(|e| match e {
            RegistryError::Api { status: 404, .. } => data_error(format!(
                "schema id {id} is not in the Schema Registry ({e}); the record was written against another registry or the schema was deleted"
            )),
            e => e.into(),
        })?;
        if stored.schema_type != "AVRO" {
            return Err(data_error(format!(
                "schema id {id} is a {} schema, not Avro (is this topic written by another converter?)",
                stored.schema_type
            )));
        }
        let avro = AvroSchemaText::parse(&stored.schema)
            .map_err(|e| data_error(format!("schema id {id} from the registry: {e}")))?;
        // The version under the record's subject, as Confluent's
        // deserializer asks for it (a `connect.version` in the schema
        // wins); a schema registered only under other subjects has none.
        let mut version = None;
        if let Ok(subject) = self.subject(topic, &avro.schema) {
            match self.client.lookup(&subject, &stored) {
                Ok(found) => version = Some(found.version),
                Err(e) if e.is_retriable() => return Err(e.into()),
                Err(_) => {}
            }
        }
        let connect = self
            .data
            .to_connect_schema(&stored.schema, version)
            .map_err(|e| data_error(format!("schema id {id}: {e}")))?;
        let reader = Arc::new(Reader { avro, connect });
        remember(&self.readers, self.cache_limit, key, Arc::clone(&reader));
        Ok(reader)
    }
}

/// A registry refusal, naming the subject.
fn registry_failure(e: RegistryError, subject: &str) -> ConnectError {
    if e.is_retriable() {
        return e.into();
    }
    data_error(format!("subject {subject}: {e}"))
}

/// The name the record and topic-record strategies use: a named type's
/// full name, a primitive's type name (as Confluent's `AvroSchema.name()`).
fn schema_name(schema: &AvroSchema) -> Option<String> {
    use apache_avro::schema::Name;
    let full = |n: &Name| n.fullname(None);
    match schema {
        AvroSchema::Record(r) => Some(full(&r.name)),
        AvroSchema::Enum(e) => Some(full(&e.name)),
        AvroSchema::Fixed(f) => Some(full(&f.name)),
        AvroSchema::Null => Some("null".into()),
        AvroSchema::Boolean => Some("boolean".into()),
        AvroSchema::Int => Some("int".into()),
        AvroSchema::Long => Some("long".into()),
        AvroSchema::Float => Some("float".into()),
        AvroSchema::Double => Some("double".into()),
        AvroSchema::Bytes => Some("bytes".into()),
        AvroSchema::String => Some("string".into()),
        AvroSchema::Array(_) => Some("array".into()),
        AvroSchema::Map(_) => Some("map".into()),
        _ => None,
    }
}

impl Converter for AvroConverter {
    fn from_connect(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if value.is_null() && schema.is_none_or(|s| s.optional) {
            return Ok(None);
        }
        let Some(schema) = schema else {
            return Err(data_error(
                "AvroConverter needs a schema for every non-null value; this record has none (a schemaless source or a JsonConverter with schemas.enable=false upstream)",
            ));
        };
        let writer = self.writer(topic, schema)?;
        let mut avro = self.data.from_connect_data(schema, value)?;
        if writer.resolve {
            avro = avro.resolve(&writer.schema.schema).map_err(|e| {
                data_error(format!(
                    "the value does not fit the latest schema (id {}): {e}",
                    writer.id
                ))
            })?;
        }
        let body = apache_avro::to_avro_datum(&writer.schema.schema, avro)
            .map_err(|e| data_error(format!("cannot encode the value as Avro: {e}")))?;
        Ok(Some(wire::frame(writer.id, &body)))
    }

    fn to_connect(
        &self,
        topic: &str,
        bytes: Option<&[u8]>,
    ) -> ConnectResult<(Option<SchemaRef>, Value)> {
        let Some(bytes) = bytes else {
            return Ok((None, Value::Null));
        };
        let (id, mut body) = wire::unframe(bytes).map_err(|e| {
            data_error(format!(
                "{e} The data was not written by a Schema Registry serializer (magic byte 0 and a schema id)"
            ))
        })?;
        let reader = self.reader(topic, id)?;
        let avro = apache_avro::from_avro_datum(&reader.avro.schema, &mut body, None)
            .map_err(|e| data_error(format!("cannot decode the data with schema id {id}: {e}")))?;
        if !body.is_empty() {
            return Err(data_error(format!(
                "{} bytes are left after decoding the data with schema id {id}: it was not written with that schema",
                body.len()
            )));
        }
        let value = self
            .data
            .to_connect_data(&reader.connect, &reader.avro, avro)
            .map_err(|e| data_error(format!("schema id {id}: {e}")))?;
        Ok((Some(Arc::clone(&reader.connect)), value))
    }
}
