//! Kafka client settings for librdkafka, from Kafka Connect worker and
//! connector configs.
//!
//! Kafka Connect configures its Java clients in layers; Ferry does the same
//! for its librdkafka clients, later layers winning:
//!
//! 1. the worker's top-level *client* keys, shared by every role:
//!    `bootstrap.servers`, `security.protocol`, `sasl.*`, `ssl.*`,
//!    `client.dns.lookup`, `connections.max.idle.ms`, `metadata.max.age.ms`,
//!    `reconnect.backoff.*`, `retry.backoff.*`, `request.timeout.ms`,
//!    `socket.connection.setup.timeout.ms`, `send.buffer.bytes`,
//!    `receive.buffer.bytes`, `metadata.recovery.*`. Worker settings
//!    (`group.id`, `client.id`, `session.timeout.ms`, converters, storage
//!    topics, `listeners`, ...) are not client settings and stay out;
//! 2. the worker's `consumer.*`, `producer.*` or `admin.*` keys, prefix
//!    stripped;
//! 3. the connector's `consumer.override.*`, `producer.override.*` or
//!    `admin.override.*` keys, prefix stripped.
//!
//! (Kafka Connect itself gives task clients only `bootstrap.servers` from the
//! top level, so users repeat security settings under `consumer.` and
//! `producer.`; Ferry also shares the security settings, which changes
//! nothing for configs that repeat them.)
//!
//! The merged Java client settings are then translated to librdkafka's
//! names. A setting translated from a Java key counts as given in the layer of
//! that key; when one layer gives both a Java key and the librdkafka key it
//! translates to, the librdkafka key wins, with a warning.
//!
//! | Java client setting | librdkafka setting |
//! |---|---|
//! | `fetch.max.wait.ms` | `fetch.wait.max.ms` |
//! | `sasl.mechanism` | `sasl.mechanisms` (`AWS_MSK_IAM`: dropped, warning) |
//! | `sasl.jaas.config` with `PlainLoginModule` / `ScramLoginModule` | `sasl.username`, `sasl.password` |
//! | `sasl.jaas.config` with `OAuthBearerLoginModule` `clientId`, `clientSecret`, `scope`, `extension_*` | `sasl.oauthbearer.method=oidc`, `sasl.oauthbearer.client.id`, `sasl.oauthbearer.client.secret`, `sasl.oauthbearer.scope`, `sasl.oauthbearer.extensions` |
//! | `sasl.jaas.config` with `OAuthBearerLoginModule` `unsecuredLoginStringClaim_sub` | `enable.sasl.oauthbearer.unsecure.jwt=true`, `sasl.oauthbearer.config=principal=<sub>` |
//! | `sasl.jaas.config` with `Krb5LoginModule` `keyTab`, `principal` | `sasl.kerberos.keytab`, `sasl.kerberos.principal` |
//! | `sasl.jaas.config` with any other login module (e.g. MSK `IAMLoginModule`) | dropped, warning |
//! | `ssl.truststore.location` (PEM) | `ssl.ca.location` |
//! | `ssl.truststore.certificates` | `ssl.ca.pem` |
//! | `ssl.truststore.location` (JKS, PKCS12) | dropped, warning: convert to PEM |
//! | `ssl.keystore.location` + `ssl.keystore.password` (PKCS12) | same names |
//! | `ssl.keystore.location` (PEM) | `ssl.certificate.location` and `ssl.key.location` (same file) |
//! | `ssl.keystore.key`, `ssl.keystore.certificate.chain` | `ssl.key.pem`, `ssl.certificate.pem` |
//! | `ssl.keystore.location` (JKS) | dropped, warning: convert to PKCS12 |
//! | `ssl.endpoint.identification.algorithm=` (empty) | `ssl.endpoint.identification.algorithm=none` |
//! | `ssl.cipher.suites` in Java (IANA, comma-separated) form | dropped, warning |
//! | `buffer.memory` | `queue.buffering.max.kbytes` (bytes / 1024, rounded up) |
//! | `send.buffer.bytes`, `receive.buffer.bytes` | `socket.send.buffer.bytes`, `socket.receive.buffer.bytes` (`-1` → `0`, the OS default) |
//! | `max.request.size` | `message.max.bytes` |
//! | `partition.assignment.strategy` | `range` / `roundrobin` / `cooperative-sticky` from `RangeAssignor` / `RoundRobinAssignor` / `CooperativeStickyAssignor`; `StickyAssignor` → `roundrobin` with a warning; eager and cooperative never mixed (the first kind listed wins) |
//! | `auto.offset.reset=none` | `auto.offset.reset=error` (`by_duration:*` dropped, warning) |
//! | `partitioner.class=...DefaultPartitioner` | `partitioner=murmur2_random`; other partitioners dropped, warning |
//! | `compression.gzip.level` / `.lz4.level` / `.zstd.level` | `compression.level`, for the codec in use |
//! | `max.poll.records` | not a client setting: [`ClientSettings::max_poll_records`] |
//! | `key.serializer`, `value.serializer`, `key.deserializer`, `value.deserializer` | dropped silently (the runtime handles bytes itself) |
//! | `interceptor.classes`, `metric.reporters`, `metrics.*`, `max.block.ms`, `default.api.timeout.ms`, `sasl.login.*`, `sasl.client.callback.handler.class`, `ssl.protocol`, `ssl.enabled.protocols`, `ssl.provider`, `ssl.*manager.algorithm`, ... | dropped, warning naming the key and why |
//!
//! Java names that librdkafka shares (`bootstrap.servers`, `client.id`,
//! `linger.ms`, `batch.size`, `acks`, `retries`, `retry.backoff.ms`,
//! `enable.idempotence`, `compression.type`, `request.timeout.ms`,
//! `delivery.timeout.ms`, `max.in.flight.requests.per.connection`,
//! `transactional.id`, `transaction.timeout.ms`, `fetch.min.bytes`,
//! `fetch.max.bytes`, `max.partition.fetch.bytes`, `session.timeout.ms`,
//! `heartbeat.interval.ms`, `max.poll.interval.ms`, `isolation.level`,
//! `auto.offset.reset`, `enable.auto.commit`, `group.instance.id`,
//! `client.rack`, `client.dns.lookup`, `metadata.max.age.ms`,
//! `connections.max.idle.ms`, `security.protocol`, ...) pass through, as
//! does any librdkafka setting given by its own name. A key that is neither
//! is dropped with a warning, as the Java clients ignore unknown keys, and so
//! is a librdkafka setting that does not apply to the role (e.g. `linger.ms`
//! for a consumer).

use ferry_api::{Password, PropertyMap};
use std::collections::BTreeMap;
use std::fmt;

mod jaas;
mod librdkafka;
mod stores;

use jaas::parse_jaas;
use librdkafka::librdkafka_scope;
use stores::{store_format, StoreFormat};

/// Which Kafka client a configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientRole {
    /// A sink task's consumer.
    Consumer,
    /// A source task's (or the dead letter queue's) producer.
    Producer,
    /// An admin client (topic creation, offsets).
    Admin,
}

impl ClientRole {
    /// `consumer`, `producer` or `admin`.
    pub fn name(self) -> &'static str {
        match self {
            ClientRole::Consumer => "consumer",
            ClientRole::Producer => "producer",
            ClientRole::Admin => "admin",
        }
    }

    /// The worker config prefix for this role, e.g. `consumer.`.
    pub fn worker_prefix(self) -> &'static str {
        match self {
            ClientRole::Consumer => "consumer.",
            ClientRole::Producer => "producer.",
            ClientRole::Admin => "admin.",
        }
    }

    /// The connector config prefix for this role, e.g. `consumer.override.`.
    pub fn override_prefix(self) -> &'static str {
        match self {
            ClientRole::Consumer => "consumer.override.",
            ClientRole::Producer => "producer.override.",
            ClientRole::Admin => "admin.override.",
        }
    }
}

impl fmt::Display for ClientRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// librdkafka settings for one client, with what was dropped on the way.
///
/// `Debug` hides secret values; [`ClientSettings::warnings`] never contains
/// them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientSettings {
    /// librdkafka settings, by librdkafka name.
    pub settings: BTreeMap<String, String>,
    /// One line per setting that was dropped or changed in meaning, naming
    /// the key as the user wrote it (e.g. `consumer.override.max.block.ms`).
    pub warnings: Vec<String>,
    max_poll_records: Option<usize>,
}

impl ClientSettings {
    /// `max.poll.records`, if given for a consumer: librdkafka has no such
    /// setting; the runtime uses it as its sink batch size.
    pub fn max_poll_records(&self) -> Option<usize> {
        self.max_poll_records
    }

    /// A setting's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings.get(key).map(String::as_str)
    }

    /// The settings with secret values replaced by `[hidden]`, for logs.
    pub fn redacted(&self) -> BTreeMap<&str, &str> {
        self.settings
            .iter()
            .map(|(k, v)| (k.as_str(), shown(k, v)))
            .collect()
    }

    /// Every librdkafka setting, secrets included (hand them to the client,
    /// never to a log: [`ClientSettings::redacted`] is for showing).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.settings.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("settings", &self.redacted())
            .field("warnings", &self.warnings)
            .field("max_poll_records", &self.max_poll_records)
            .finish()
    }
}

/// Whether a client setting holds a secret (its value is never shown).
pub fn is_sensitive_client_key(key: &str) -> bool {
    const MARKERS: &[&str] = &[
        "password",
        "secret",
        "passphrase",
        "jaas",
        "key.pem",
        "keystore.key",
        "oauthbearer.config",
    ];
    MARKERS.iter().any(|m| key.contains(m))
}

/// The value as it may be shown: `[hidden]` for a secret.
fn shown<'a>(key: &str, value: &'a str) -> &'a str {
    if is_sensitive_client_key(key) {
        Password::HIDDEN
    } else {
        value
    }
}

/// The librdkafka settings for a `role` client of a connector, from the
/// worker config and the connector config (both already resolved through
/// the config providers). See the module documentation for the layering and
/// the translation table.
pub fn client_config(
    worker: &PropertyMap,
    role: ClientRole,
    connector: &PropertyMap,
) -> ClientSettings {
    let mut t = Translator {
        role,
        out: BTreeMap::new(),
        warnings: Vec::new(),
        max_poll_records: None,
    };
    let merged = t.merge(worker, connector);
    t.translate(merged);
    t.filter_for_role();
    ClientSettings {
        settings: t.out.into_iter().map(|(k, s)| (k, s.value)).collect(),
        warnings: t.warnings,
        max_poll_records: t.max_poll_records,
    }
}

// ---------------------------------------------------------------------------
// Layering

/// Where a setting came from; later layers win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// Worker top-level client keys.
    Worker,
    /// Worker `consumer.` / `producer.` / `admin.` keys.
    WorkerRole,
    /// Connector `*.override.` keys.
    Connector,
}

#[derive(Debug, Clone)]
struct Setting {
    value: String,
    layer: Layer,
    /// The key as the user wrote it, prefix included.
    source: String,
    /// Given under its own (librdkafka) name rather than derived from
    /// another key.
    literal: bool,
}

/// Worker top-level keys that are Kafka client settings.
const SHARED_KEYS: &[&str] = &[
    "bootstrap.servers",
    "security.protocol",
    "client.dns.lookup",
    "connections.max.idle.ms",
    "metadata.max.age.ms",
    "metadata.recovery.strategy",
    "metadata.recovery.rebootstrap.trigger.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "request.timeout.ms",
    "socket.connection.setup.timeout.ms",
    "send.buffer.bytes",
    "receive.buffer.bytes",
];

/// Worker top-level key prefixes that are Kafka client settings.
const SHARED_PREFIXES: &[&str] = &["sasl.", "ssl."];

fn is_shared_client_key(key: &str) -> bool {
    SHARED_KEYS.contains(&key) || SHARED_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Java names (and librdkafka aliases) that are plain renames, to the name
/// Ferry emits.
const RENAMES: &[(&str, &str)] = &[
    ("fetch.max.wait.ms", "fetch.wait.max.ms"),
    ("sasl.mechanism", "sasl.mechanisms"),
    ("send.buffer.bytes", "socket.send.buffer.bytes"),
    ("receive.buffer.bytes", "socket.receive.buffer.bytes"),
    ("max.request.size", "message.max.bytes"),
    // librdkafka aliases, folded so that layers override each other.
    ("metadata.broker.list", "bootstrap.servers"),
    ("max.in.flight", "max.in.flight.requests.per.connection"),
    ("queue.buffering.max.ms", "linger.ms"),
    ("message.send.max.retries", "retries"),
    ("request.required.acks", "acks"),
    ("compression.codec", "compression.type"),
    ("message.timeout.ms", "delivery.timeout.ms"),
    ("fetch.message.max.bytes", "max.partition.fetch.bytes"),
];

fn canonical(key: &str) -> (&str, bool) {
    match RENAMES.iter().find(|(from, _)| *from == key) {
        Some((_, to)) => (to, true),
        None => (key, false),
    }
}

struct Translator {
    role: ClientRole,
    out: BTreeMap<String, Setting>,
    warnings: Vec<String>,
    max_poll_records: Option<usize>,
}

impl Translator {
    fn warn(&mut self, message: String) {
        self.warnings
            .push(format!("{} client: {message}", self.role));
    }

    fn ignore(&mut self, source: &str, reason: &str) {
        self.warn(format!("ignoring {source}: {reason}"));
    }

    /// The three layers merged under Java names (renames folded).
    fn merge(
        &mut self,
        worker: &PropertyMap,
        connector: &PropertyMap,
    ) -> BTreeMap<String, Setting> {
        let mut merged = BTreeMap::new();
        for (key, value) in worker.iter().filter(|(k, _)| is_shared_client_key(k)) {
            self.put(&mut merged, key, value, Layer::Worker, key);
        }
        let prefix = self.role.worker_prefix();
        for (key, value) in worker {
            let Some(name) = key.strip_prefix(prefix) else {
                continue;
            };
            // `admin.listeners*` configures the worker's REST admin endpoint.
            let rest_key = self.role == ClientRole::Admin
                && (name == "listeners" || name.starts_with("listeners."));
            if !name.is_empty() && !rest_key {
                self.put(&mut merged, name, value, Layer::WorkerRole, key);
            }
        }
        let prefix = self.role.override_prefix();
        for (key, value) in connector {
            if let Some(name) = key.strip_prefix(prefix).filter(|n| !n.is_empty()) {
                self.put(&mut merged, name, value, Layer::Connector, key);
            }
        }
        merged
    }

    fn put(
        &mut self,
        merged: &mut BTreeMap<String, Setting>,
        name: &str,
        value: &str,
        layer: Layer,
        source: &str,
    ) {
        let (name, renamed) = canonical(name);
        let new = Setting {
            value: value.to_string(),
            layer,
            source: source.to_string(),
            literal: !renamed,
        };
        if let Some(old) = merged.get(name) {
            if old.layer == layer {
                // Two spellings of one setting in one layer: the target name wins.
                let (winner, loser) = if new.literal {
                    (&new, old)
                } else {
                    (old, &new)
                };
                let message = format!(
                    "{} and {} are the same setting; using {}",
                    loser.source, winner.source, winner.source
                );
                let keep_old = !new.literal;
                self.warn(message);
                if keep_old {
                    return;
                }
            }
        }
        merged.insert(name.to_string(), new);
    }

    // -----------------------------------------------------------------------
    // Translation

    /// Sets a librdkafka key from `from`, honouring layer precedence.
    fn emit(&mut self, key: &str, value: impl Into<String>, from: &Setting, literal: bool) {
        let new = Setting {
            value: value.into(),
            layer: from.layer,
            source: from.source.clone(),
            literal,
        };
        if let Some(old) = self.out.get(key) {
            if old.layer > new.layer {
                return;
            }
            if old.layer == new.layer && old.source != new.source {
                let keep_old = old.literal && !new.literal;
                let (winner, loser) = if keep_old { (old, &new) } else { (&new, old) };
                let message = format!(
                    "{} and {} both set {key}; using {}",
                    loser.source, winner.source, winner.source
                );
                self.warn(message);
                if keep_old {
                    return;
                }
            }
        }
        self.out.insert(key.to_string(), new);
    }

    fn translate(&mut self, mut merged: BTreeMap<String, Setting>) {
        let jaas = merged.remove("sasl.jaas.config");
        if let Some(jaas) = jaas {
            self.translate_jaas(&jaas);
        }
        self.translate_stores(&mut merged);
        self.translate_compression_levels(&mut merged);
        for (name, setting) in merged {
            self.translate_one(&name, &setting);
        }
    }

    fn translate_one(&mut self, name: &str, s: &Setting) {
        let value = s.value.trim();
        match name {
            "key.serializer" | "value.serializer" | "key.deserializer" | "value.deserializer" => {
                tracing::debug!(
                    "{} client: ignoring {}: Ferry handles raw bytes and converts them itself",
                    self.role,
                    s.source
                );
            }
            "max.poll.records" => {
                if self.role != ClientRole::Consumer {
                    self.ignore(&s.source, "max.poll.records applies to consumers only");
                    return;
                }
                match value.parse::<usize>() {
                    Ok(n) if n > 0 => self.max_poll_records = Some(n),
                    _ => self.ignore(&s.source, &format!("{value:?} is not a positive integer")),
                }
            }
            "buffer.memory" => match value.parse::<u64>() {
                Ok(bytes) => {
                    let kbytes = bytes.div_ceil(1024).clamp(1, i32::MAX as u64);
                    self.emit("queue.buffering.max.kbytes", kbytes.to_string(), s, false);
                }
                Err(_) => self.ignore(&s.source, &format!("{value:?} is not a number of bytes")),
            },
            "socket.send.buffer.bytes" | "socket.receive.buffer.bytes" => {
                // Java's -1 (the OS default) is librdkafka's 0.
                let value = if value == "-1" { "0" } else { value };
                self.emit(name, value, s, true);
            }
            "partition.assignment.strategy" => self.translate_assignors(s),
            "auto.offset.reset" => {
                let lower = value.to_ascii_lowercase();
                if lower == "none" {
                    self.emit(name, "error", s, true);
                } else if lower.starts_with("by_duration") {
                    self.ignore(
                        &s.source,
                        "librdkafka has no by_duration reset; use earliest or latest",
                    );
                } else {
                    self.emit(name, lower, s, true);
                }
            }
            "ssl.endpoint.identification.algorithm" => {
                let value = if value.is_empty() { "none" } else { value };
                self.emit(name, value.to_ascii_lowercase(), s, true);
            }
            "client.dns.lookup" => match value {
                "use_all_dns_ips" | "resolve_canonical_bootstrap_servers_only" => {
                    self.emit(name, value, s, true)
                }
                _ => self.ignore(
                    &s.source,
                    &format!(
                        "librdkafka supports only use_all_dns_ips and \
                         resolve_canonical_bootstrap_servers_only, not {value:?}"
                    ),
                ),
            },
            "sasl.mechanisms" => {
                if value.eq_ignore_ascii_case("AWS_MSK_IAM") {
                    self.ignore(
                        &s.source,
                        "AWS_MSK_IAM is not a SASL mechanism librdkafka supports; \
                         use SCRAM-SHA-512 or mTLS with Amazon MSK",
                    );
                } else {
                    self.emit(name, value, s, true);
                }
            }
            "partitioner.class" => {
                if simple_class_name(value) == "DefaultPartitioner" {
                    // Java's default: murmur2 hash of the key, as librdkafka's murmur2_random.
                    self.emit("partitioner", "murmur2_random", s, false);
                } else {
                    self.ignore(
                        &s.source,
                        &format!(
                            "Java partitioner {value:?} cannot run in Ferry; \
                             choose a librdkafka partitioner with partitioner=..."
                        ),
                    );
                }
            }
            "sasl.client.callback.handler.class" => {
                let reason = if value.contains("software.amazon.msk") {
                    "AWS MSK IAM authentication is not available through librdkafka settings; \
                     use SCRAM-SHA-512 or mTLS with Amazon MSK"
                } else {
                    "Java callback handlers cannot run in Ferry"
                };
                self.ignore(&s.source, reason);
            }
            "ssl.cipher.suites" => {
                if value.contains(',') || value.starts_with("TLS_") {
                    self.ignore(
                        &s.source,
                        "Java cipher suite names are not OpenSSL's; give an OpenSSL cipher \
                         list (colon-separated, e.g. ECDHE-RSA-AES256-GCM-SHA384) instead",
                    );
                } else {
                    self.emit(name, value, s, true);
                }
            }
            _ => match java_only_reason(name) {
                Some(reason) => self.ignore(&s.source, reason),
                None => self.emit(name, s.value.clone(), s, true),
            },
        }
    }

    fn translate_assignors(&mut self, s: &Setting) {
        let mut mapped: Vec<&'static str> = Vec::new();
        for class in s.value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let assignor = match simple_class_name(class) {
                "RangeAssignor" | "range" => "range",
                "RoundRobinAssignor" | "roundrobin" => "roundrobin",
                "CooperativeStickyAssignor" | "cooperative-sticky" => "cooperative-sticky",
                "StickyAssignor" => {
                    self.warn(format!(
                        "{}: librdkafka has no eager sticky assignor; using roundrobin for {class}",
                        s.source
                    ));
                    "roundrobin"
                }
                _ => {
                    self.ignore(
                        &format!("{class} in {}", s.source),
                        "not an assignor librdkafka has (range, roundrobin, cooperative-sticky)",
                    );
                    continue;
                }
            };
            if !mapped.contains(&assignor) {
                mapped.push(assignor);
            }
        }
        let Some(&first) = mapped.first() else {
            return;
        };
        let cooperative = |a: &&str| *a == "cooperative-sticky";
        if mapped.iter().any(cooperative) && !mapped.iter().all(cooperative) {
            let first_is_cooperative = cooperative(&first);
            mapped.retain(|a| cooperative(a) == first_is_cooperative);
            self.warn(format!(
                "{}: librdkafka cannot mix eager and cooperative assignors; using {}",
                s.source,
                mapped.join(",")
            ));
        }
        self.emit("partition.assignment.strategy", mapped.join(","), s, true);
    }

    fn translate_compression_levels(&mut self, merged: &mut BTreeMap<String, Setting>) {
        let codec = merged
            .get("compression.type")
            .map(|s| s.value.trim().to_ascii_lowercase());
        for codec_name in ["gzip", "lz4", "zstd"] {
            let key = format!("compression.{codec_name}.level");
            let Some(level) = merged.remove(&key) else {
                continue;
            };
            if codec.as_deref() != Some(codec_name) {
                tracing::debug!(
                    "{} client: ignoring {}: compression.type is not {codec_name}",
                    self.role,
                    level.source
                );
                continue;
            }
            match level.value.trim().parse::<i32>() {
                Ok(n) if (-1..=12).contains(&n) => {
                    self.emit("compression.level", n.to_string(), &level, false)
                }
                _ => {
                    let message = format!(
                        "librdkafka's compression.level takes -1 to 12, not {:?}",
                        level.value
                    );
                    self.ignore(&level.source, &message);
                }
            }
        }
    }

    // -----------------------------------------------------------------------
    // TLS key and trust stores

    fn translate_stores(&mut self, merged: &mut BTreeMap<String, Setting>) {
        let mut take = |k: &str| merged.remove(k);
        let trust_type = take("ssl.truststore.type");
        let trust_location = take("ssl.truststore.location");
        let trust_certificates = take("ssl.truststore.certificates");
        let key_type = take("ssl.keystore.type");
        let key_location = take("ssl.keystore.location");
        let key_password = take("ssl.keystore.password");
        let key_pem = take("ssl.keystore.key");
        let key_chain = take("ssl.keystore.certificate.chain");
        // Only JKS and PKCS12 trust stores have a password; PEM needs none.
        take("ssl.truststore.password");

        if let Some(pem) = &trust_certificates {
            self.emit("ssl.ca.pem", pem.value.clone(), pem, false);
        }
        if let Some(location) = &trust_location {
            let path = location.value.trim();
            match store_format(trust_type.as_ref().map(|t| t.value.as_str()), path) {
                StoreFormat::Pem => self.emit("ssl.ca.location", path, location, false),
                format => self.ignore(
                    &location.source,
                    &format!(
                        "librdkafka reads trusted certificates only as PEM, and {path} is a {} \
                         trust store; export it (keytool -exportcert -rfc, or openssl pkcs12 \
                         -nokeys) to a PEM file and set ssl.truststore.type=PEM",
                        format.name()
                    ),
                ),
            }
        }

        if let Some(key) = &key_pem {
            self.emit("ssl.key.pem", key.value.clone(), key, false);
        }
        if let Some(chain) = &key_chain {
            self.emit("ssl.certificate.pem", chain.value.clone(), chain, false);
        }
        if let Some(location) = &key_location {
            let path = location.value.trim();
            match store_format(key_type.as_ref().map(|t| t.value.as_str()), path) {
                StoreFormat::Pkcs12 => {
                    self.emit("ssl.keystore.location", path, location, location.literal);
                    if let Some(password) = &key_password {
                        self.emit(
                            "ssl.keystore.password",
                            password.value.clone(),
                            password,
                            password.literal,
                        );
                    }
                }
                StoreFormat::Pem => {
                    // A PEM key store holds the private key and the certificate chain.
                    self.emit("ssl.certificate.location", path, location, false);
                    self.emit("ssl.key.location", path, location, false);
                }
                StoreFormat::Jks => self.ignore(
                    &location.source,
                    &format!(
                        "librdkafka cannot read JKS key stores, and {path} is one; convert it \
                         (keytool -importkeystore -deststoretype PKCS12) and set \
                         ssl.keystore.type=PKCS12"
                    ),
                ),
            }
        }
    }

    // -----------------------------------------------------------------------
    // JAAS

    fn translate_jaas(&mut self, s: &Setting) {
        let entry = match parse_jaas(&s.value) {
            Ok(entry) => entry,
            Err(reason) => {
                self.ignore(&s.source, &format!("cannot parse it: {reason}"));
                return;
            }
        };
        let module = simple_class_name(&entry.module);
        let mut unused: Vec<&str> = Vec::new();
        match module {
            "PlainLoginModule" | "ScramLoginModule" => {
                for (key, value) in &entry.options {
                    match key.as_str() {
                        "username" => self.emit("sasl.username", value.clone(), s, false),
                        "password" => self.emit("sasl.password", value.clone(), s, false),
                        _ => unused.push(key),
                    }
                }
            }
            "OAuthBearerLoginModule" => {
                let mut extensions = Vec::new();
                let mut oidc = false;
                for (key, value) in &entry.options {
                    match key.as_str() {
                        "clientId" => {
                            oidc = true;
                            self.emit("sasl.oauthbearer.client.id", value.clone(), s, false);
                        }
                        "clientSecret" => {
                            self.emit("sasl.oauthbearer.client.secret", value.clone(), s, false)
                        }
                        "scope" => self.emit("sasl.oauthbearer.scope", value.clone(), s, false),
                        "unsecuredLoginStringClaim_sub" => {
                            self.emit("enable.sasl.oauthbearer.unsecure.jwt", "true", s, false);
                            self.emit(
                                "sasl.oauthbearer.config",
                                format!("principal={value}"),
                                s,
                                false,
                            );
                        }
                        k if k.starts_with("extension_") => {
                            extensions.push(format!("{}={value}", &k["extension_".len()..]))
                        }
                        _ => unused.push(key),
                    }
                }
                if oidc {
                    self.emit("sasl.oauthbearer.method", "oidc", s, false);
                }
                if !extensions.is_empty() {
                    self.emit(
                        "sasl.oauthbearer.extensions",
                        extensions.join(","),
                        s,
                        false,
                    );
                }
            }
            "Krb5LoginModule" => {
                for (key, value) in &entry.options {
                    match key.as_str() {
                        "keyTab" => self.emit("sasl.kerberos.keytab", value.clone(), s, false),
                        "principal" => {
                            self.emit("sasl.kerberos.principal", value.clone(), s, false)
                        }
                        "useKeyTab" | "storeKey" | "useTicketCache" | "doNotPrompt" | "debug" => {}
                        _ => unused.push(key),
                    }
                }
            }
            "IAMLoginModule" => {
                self.ignore(
                    &s.source,
                    "AWS MSK IAM authentication (IAMLoginModule) is not available through \
                     librdkafka settings; use SCRAM-SHA-512 or mTLS with Amazon MSK",
                );
                return;
            }
            _ => {
                let message = format!(
                    "login module {} is not supported; Ferry understands PlainLoginModule, \
                     ScramLoginModule, OAuthBearerLoginModule and Krb5LoginModule",
                    entry.module
                );
                self.ignore(&s.source, &message);
                return;
            }
        }
        if !unused.is_empty() {
            let message = format!(
                "{}: ignoring {module} option(s) {} (no librdkafka equivalent)",
                s.source,
                unused.join(", ")
            );
            self.warn(message);
        }
    }

    // -----------------------------------------------------------------------
    // Role filter

    /// Drops keys librdkafka does not know, and keys for the other role.
    fn filter_for_role(&mut self) {
        let role = self.role;
        let out = std::mem::take(&mut self.out);
        for (key, setting) in out {
            match librdkafka_scope(&key) {
                None => self.ignore(
                    &setting.source,
                    "neither a Kafka client setting Ferry translates nor a librdkafka setting",
                ),
                Some(scope) if scope.applies_to(role) => {
                    self.out.insert(key, setting);
                }
                Some(scope) => {
                    let from = if setting.source == key {
                        String::new()
                    } else {
                        format!(" (from {})", setting.source)
                    };
                    let message =
                        format!("librdkafka applies {key}{from} to {} only", scope.name());
                    if setting.layer == Layer::Worker {
                        // Shared worker keys are meant for whichever role uses them.
                        tracing::debug!("{role} client: ignoring {}: {message}", setting.source);
                    } else {
                        self.ignore(&setting.source, &message);
                    }
                }
            }
        }
    }
}

fn simple_class_name(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class).trim()
}

// ---------------------------------------------------------------------------
// Java-only settings

/// Why a Java client setting has no librdkafka counterpart, if it has none.
fn java_only_reason(key: &str) -> Option<&'static str> {
    const JVM_METRICS: &str =
        "JVM metrics reporting has no librdkafka equivalent; Ferry exposes its own metrics";
    const JVM_TLS: &str = "JVM TLS setting; librdkafka uses OpenSSL and has no equivalent";
    const NO_EQUIVALENT: &str = "librdkafka has no equivalent";
    let reason = match key {
        "interceptor.classes" => "Java interceptors cannot run in Ferry",
        "metric.reporters" | "auto.include.jmx.reporter" => JVM_METRICS,
        k if k.starts_with("metrics.") => JVM_METRICS,
        "security.providers"
        | "ssl.protocol"
        | "ssl.enabled.protocols"
        | "ssl.provider"
        | "ssl.keymanager.algorithm"
        | "ssl.trustmanager.algorithm"
        | "ssl.secure.random.implementation"
        | "ssl.engine.factory.class" => JVM_TLS,
        k if k.starts_with("sasl.login.") => {
            "JVM login plumbing; librdkafka performs the SASL login itself"
        }
        "sasl.kerberos.ticket.renew.window.factor" | "sasl.kerberos.ticket.renew.jitter" => {
            "librdkafka refreshes tickets with sasl.kerberos.kinit.cmd every \
             sasl.kerberos.min.time.before.relogin"
        }
        "sasl.oauthbearer.scope.claim.name"
        | "sasl.oauthbearer.sub.claim.name"
        | "sasl.oauthbearer.clock.skew.seconds"
        | "sasl.oauthbearer.header.urlencode" => NO_EQUIVALENT,
        k if k.starts_with("sasl.oauthbearer.jwks.endpoint.")
            || k.starts_with("sasl.oauthbearer.expected.") =>
        {
            NO_EQUIVALENT
        }
        "max.block.ms" => {
            "librdkafka never blocks the producer on metadata or a full queue; \
             Ferry applies back-pressure itself"
        }
        "default.api.timeout.ms" => "Ferry sets a timeout on each call itself",
        "socket.connection.setup.timeout.max.ms"
        | "metadata.max.idle.ms"
        | "exclude.internal.topics"
        | "partitioner.ignore.keys"
        | "partitioner.adaptive.partitioning.enable"
        | "partitioner.availability.timeout.ms"
        | "internal.leave.group.on.close"
        | "internal.throw.on.fetch.stable.offset.unsupported" => NO_EQUIVALENT,
        _ => return None,
    };
    Some(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;
    use std::io::Write;

    fn consumer(worker: &[(&str, &str)], connector: &[(&str, &str)]) -> ClientSettings {
        client_config(
            &property_map(worker.iter().copied()),
            ClientRole::Consumer,
            &property_map(connector.iter().copied()),
        )
    }

    fn producer(worker: &[(&str, &str)], connector: &[(&str, &str)]) -> ClientSettings {
        client_config(
            &property_map(worker.iter().copied()),
            ClientRole::Producer,
            &property_map(connector.iter().copied()),
        )
    }

    fn settings(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        property_map(entries.iter().copied())
    }

    fn assert_warned(s: &ClientSettings, parts: &[&str]) {
        assert!(
            s.warnings
                .iter()
                .any(|w| parts.iter().all(|p| w.contains(p))),
            "no warning containing {parts:?} in {:#?}",
            s.warnings
        );
    }

    // -- layering ---------------------------------------------------------

    #[test]
    fn later_layers_win() {
        let worker = [
            ("bootstrap.servers", "worker:9092"),
            ("security.protocol", "SASL_SSL"),
            ("consumer.bootstrap.servers", "consumer:9092"),
            ("consumer.fetch.min.bytes", "1"),
            ("consumer.session.timeout.ms", "6000"),
        ];
        let connector = [
            ("consumer.override.fetch.min.bytes", "1024"),
            ("name", "s3"),
        ];
        let s = consumer(&worker, &connector);
        assert_eq!(
            s.settings,
            settings(&[
                ("bootstrap.servers", "consumer:9092"),
                ("security.protocol", "SASL_SSL"),
                ("fetch.min.bytes", "1024"),
                ("session.timeout.ms", "6000"),
            ])
        );
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn worker_settings_that_are_not_client_settings_stay_out() {
        let worker = [
            ("bootstrap.servers", "k:9092"),
            ("group.id", "connect-cluster"),
            ("client.id", "worker-1"),
            ("session.timeout.ms", "10000"),
            ("heartbeat.interval.ms", "3000"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("offset.flush.interval.ms", "10000"),
            ("listeners", "http://:8083"),
            ("plugin.path", "/usr/share/java"),
            ("config.storage.topic", "connect-configs"),
            ("offset.storage.file.filename", "/tmp/connect.offsets"),
            ("config.providers", "env"),
            ("linger.ms", "5"),
        ];
        for role in [
            ClientRole::Consumer,
            ClientRole::Producer,
            ClientRole::Admin,
        ] {
            let s = client_config(
                &property_map(worker.iter().copied()),
                role,
                &PropertyMap::new(),
            );
            assert_eq!(
                s.settings,
                settings(&[("bootstrap.servers", "k:9092")]),
                "{role}"
            );
            assert!(s.warnings.is_empty(), "{role}: {:?}", s.warnings);
        }
    }

    #[test]
    fn each_role_takes_only_its_own_prefixes() {
        let worker = [
            ("consumer.client.id", "c"),
            ("producer.client.id", "p"),
            ("admin.client.id", "a"),
        ];
        let connector = [
            ("consumer.override.client.rack", "rc"),
            ("producer.override.client.rack", "rp"),
            ("admin.override.client.rack", "ra"),
        ];
        let (w, c) = (
            property_map(worker.iter().copied()),
            property_map(connector.iter().copied()),
        );
        for (role, id, rack) in [
            (ClientRole::Consumer, "c", "rc"),
            (ClientRole::Producer, "p", "rp"),
            (ClientRole::Admin, "a", "ra"),
        ] {
            let s = client_config(&w, role, &c);
            assert_eq!(
                s.settings,
                settings(&[("client.id", id), ("client.rack", rack)])
            );
        }
    }

    #[test]
    fn consumer_override_is_not_read_from_the_worker_nor_plain_consumer_keys_from_the_connector() {
        // `consumer.x` in a connector config is a connector setting, not a client one.
        let s = consumer(&[], &[("consumer.fetch.min.bytes", "5")]);
        assert!(s.settings.is_empty());
    }

    #[test]
    fn admin_listeners_are_rest_settings() {
        let s = client_config(
            &property_map([
                ("admin.listeners", "http://:8084"),
                ("admin.listeners.https.ssl.keystore.location", "/x"),
                ("admin.client.id", "a"),
            ]),
            ClientRole::Admin,
            &PropertyMap::new(),
        );
        assert_eq!(s.settings, settings(&[("client.id", "a")]));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn security_settings_are_shared_by_every_role() {
        let worker = [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("ssl.endpoint.identification.algorithm", "https"),
        ];
        for role in [
            ClientRole::Consumer,
            ClientRole::Producer,
            ClientRole::Admin,
        ] {
            let s = client_config(
                &property_map(worker.iter().copied()),
                role,
                &PropertyMap::new(),
            );
            assert_eq!(s.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
            assert_eq!(s.get("security.protocol"), Some("SASL_SSL"));
            assert_eq!(
                s.get("ssl.endpoint.identification.algorithm"),
                Some("https")
            );
        }
    }

    #[test]
    fn java_and_librdkafka_spellings_override_each_other_across_layers() {
        let s = consumer(
            &[("consumer.fetch.wait.max.ms", "500")],
            &[("consumer.override.fetch.max.wait.ms", "10")],
        );
        assert_eq!(s.settings, settings(&[("fetch.wait.max.ms", "10")]));
        let s = consumer(
            &[("consumer.fetch.max.wait.ms", "500")],
            &[("consumer.override.fetch.wait.max.ms", "10")],
        );
        assert_eq!(s.settings, settings(&[("fetch.wait.max.ms", "10")]));
    }

    #[test]
    fn both_spellings_in_one_layer_librdkafka_wins_with_a_warning() {
        let s = consumer(
            &[
                ("consumer.fetch.max.wait.ms", "500"),
                ("consumer.fetch.wait.max.ms", "10"),
            ],
            &[],
        );
        assert_eq!(s.settings, settings(&[("fetch.wait.max.ms", "10")]));
        assert_warned(
            &s,
            &[
                "consumer.fetch.max.wait.ms",
                "using consumer.fetch.wait.max.ms",
            ],
        );
    }

    // -- translations -----------------------------------------------------

    #[test]
    fn renamed_settings() {
        let s = consumer(
            &[
                ("consumer.fetch.max.wait.ms", "10"),
                ("sasl.mechanism", "PLAIN"),
                ("send.buffer.bytes", "131072"),
                ("receive.buffer.bytes", "-1"),
            ],
            &[],
        );
        assert_eq!(
            s.settings,
            settings(&[
                ("fetch.wait.max.ms", "10"),
                ("sasl.mechanisms", "PLAIN"),
                ("socket.send.buffer.bytes", "131072"),
                ("socket.receive.buffer.bytes", "0"),
            ])
        );
        let s = producer(&[("producer.max.request.size", "2097152")], &[]);
        assert_eq!(s.settings, settings(&[("message.max.bytes", "2097152")]));
    }

    #[test]
    fn shared_names_pass_through_for_consumers() {
        let keys = [
            ("fetch.min.bytes", "1"),
            ("fetch.max.bytes", "52428800"),
            ("max.partition.fetch.bytes", "1048576"),
            ("session.timeout.ms", "45000"),
            ("heartbeat.interval.ms", "3000"),
            ("max.poll.interval.ms", "300000"),
            ("isolation.level", "read_committed"),
            ("enable.auto.commit", "false"),
            ("auto.commit.interval.ms", "5000"),
            ("group.id", "g"),
            ("group.instance.id", "i"),
            ("client.id", "c"),
            ("client.rack", "r"),
            ("check.crcs", "true"),
            ("allow.auto.create.topics", "false"),
            ("connections.max.idle.ms", "540000"),
            ("metadata.max.age.ms", "300000"),
            ("retry.backoff.ms", "100"),
            ("reconnect.backoff.max.ms", "1000"),
            ("security.protocol", "SSL"),
            ("sasl.kerberos.service.name", "kafka"),
            ("ssl.key.password", "kp"),
            ("ssl.ca.location", "/ca.pem"),
            ("statistics.interval.ms", "1000"),
        ];
        let worker: Vec<(String, String)> = keys
            .iter()
            .map(|(k, v)| (format!("consumer.{k}"), v.to_string()))
            .collect();
        let worker: PropertyMap = worker.into_iter().collect();
        let s = client_config(&worker, ClientRole::Consumer, &PropertyMap::new());
        assert_eq!(s.settings, property_map(keys.iter().copied()));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn shared_names_pass_through_for_producers() {
        let keys = [
            ("acks", "all"),
            ("linger.ms", "5"),
            ("batch.size", "1000000"),
            ("retries", "2147483647"),
            ("enable.idempotence", "true"),
            ("compression.type", "zstd"),
            ("request.timeout.ms", "30000"),
            ("delivery.timeout.ms", "120000"),
            ("max.in.flight.requests.per.connection", "5"),
            ("transactional.id", "t"),
            ("transaction.timeout.ms", "60000"),
            ("partitioner", "murmur2_random"),
        ];
        let worker: PropertyMap = keys
            .iter()
            .map(|(k, v)| (format!("producer.{k}"), v.to_string()))
            .collect();
        let s = client_config(&worker, ClientRole::Producer, &PropertyMap::new());
        assert_eq!(s.settings, property_map(keys.iter().copied()));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn librdkafka_aliases_fold_into_one_name() {
        let s = producer(
            &[
                ("producer.queue.buffering.max.ms", "20"),
                ("producer.message.timeout.ms", "1000"),
                ("producer.max.in.flight", "1"),
                ("producer.compression.codec", "lz4"),
                ("producer.request.required.acks", "1"),
                ("producer.message.send.max.retries", "3"),
            ],
            &[("producer.override.linger.ms", "50")],
        );
        assert_eq!(
            s.settings,
            settings(&[
                ("linger.ms", "50"),
                ("delivery.timeout.ms", "1000"),
                ("max.in.flight.requests.per.connection", "1"),
                ("compression.type", "lz4"),
                ("acks", "1"),
                ("retries", "3"),
            ])
        );
    }

    #[test]
    fn buffer_memory_becomes_kilobytes() {
        let s = producer(&[("producer.buffer.memory", "33554432")], &[]);
        assert_eq!(
            s.settings,
            settings(&[("queue.buffering.max.kbytes", "32768")])
        );
        let s = producer(&[("producer.buffer.memory", "1000")], &[]);
        assert_eq!(s.get("queue.buffering.max.kbytes"), Some("1"));
        let s = producer(&[("producer.buffer.memory", "0")], &[]);
        assert_eq!(s.get("queue.buffering.max.kbytes"), Some("1"));
        let s = producer(&[("producer.buffer.memory", "lots")], &[]);
        assert!(s.settings.is_empty());
        assert_warned(&s, &["producer.buffer.memory", "\"lots\""]);
    }

    #[test]
    fn explicit_librdkafka_key_beats_a_translated_one_in_the_same_layer() {
        let s = producer(
            &[
                ("producer.buffer.memory", "33554432"),
                ("producer.queue.buffering.max.kbytes", "100"),
            ],
            &[],
        );
        assert_eq!(s.get("queue.buffering.max.kbytes"), Some("100"));
        assert_warned(
            &s,
            &[
                "producer.buffer.memory",
                "using producer.queue.buffering.max.kbytes",
            ],
        );
        // A later layer wins whatever its spelling.
        let s = producer(
            &[("producer.queue.buffering.max.kbytes", "100")],
            &[("producer.override.buffer.memory", "2048")],
        );
        assert_eq!(s.get("queue.buffering.max.kbytes"), Some("2"));
    }

    #[test]
    fn max_poll_records_is_surfaced_not_passed() {
        let s = consumer(&[("consumer.max.poll.records", "500")], &[]);
        assert_eq!(s.max_poll_records(), Some(500));
        assert!(s.settings.is_empty());
        assert!(s.warnings.is_empty());
        let s = consumer(
            &[("consumer.max.poll.records", "500")],
            &[("consumer.override.max.poll.records", "2000")],
        );
        assert_eq!(s.max_poll_records(), Some(2000));
        let s = consumer(&[("consumer.max.poll.records", "0")], &[]);
        assert_eq!(s.max_poll_records(), None);
        assert_warned(&s, &["consumer.max.poll.records", "positive integer"]);
        let s = producer(&[("producer.max.poll.records", "10")], &[]);
        assert_eq!(s.max_poll_records(), None);
        assert_warned(&s, &["producer.max.poll.records", "consumers only"]);
        assert_eq!(consumer(&[], &[]).max_poll_records(), None);
    }

    #[test]
    fn assignment_strategies() {
        let cases = [
            ("org.apache.kafka.clients.consumer.RangeAssignor", "range", false),
            ("org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin", false),
            (
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                "cooperative-sticky",
                false,
            ),
            ("org.apache.kafka.clients.consumer.StickyAssignor", "roundrobin", true),
            ("range, roundrobin", "range,roundrobin", false),
            ("RangeAssignor,RoundRobinAssignor", "range,roundrobin", false),
            ("cooperative-sticky", "cooperative-sticky", false),
            // Kafka 3.x's default mixes eager and cooperative; librdkafka cannot.
            (
                "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                "range",
                true,
            ),
            ("CooperativeStickyAssignor,RangeAssignor", "cooperative-sticky", true),
            ("StickyAssignor,RoundRobinAssignor", "roundrobin", true),
        ];
        for (java, expected, warns) in cases {
            let s = consumer(&[("consumer.partition.assignment.strategy", java)], &[]);
            assert_eq!(
                s.get("partition.assignment.strategy"),
                Some(expected),
                "{java}"
            );
            assert_eq!(!s.warnings.is_empty(), warns, "{java}: {:?}", s.warnings);
        }
        let s = consumer(
            &[(
                "consumer.partition.assignment.strategy",
                "com.example.MyAssignor",
            )],
            &[],
        );
        assert!(s.settings.is_empty());
        assert_warned(&s, &["com.example.MyAssignor", "not an assignor"]);
    }

    #[test]
    fn auto_offset_reset() {
        for (java, expected) in [
            ("earliest", Some("earliest")),
            ("latest", Some("latest")),
            ("none", Some("error")),
            ("by_duration:P1D", None),
        ] {
            let s = consumer(&[], &[("consumer.override.auto.offset.reset", java)]);
            assert_eq!(s.get("auto.offset.reset"), expected, "{java}");
            assert_eq!(s.warnings.is_empty(), expected.is_some(), "{java}");
        }
    }

    #[test]
    fn endpoint_identification_disabled_by_empty_string() {
        let s = consumer(&[("ssl.endpoint.identification.algorithm", "")], &[]);
        assert_eq!(s.get("ssl.endpoint.identification.algorithm"), Some("none"));
        let s = consumer(&[("ssl.endpoint.identification.algorithm", "HTTPS")], &[]);
        assert_eq!(
            s.get("ssl.endpoint.identification.algorithm"),
            Some("https")
        );
    }

    #[test]
    fn client_dns_lookup() {
        let s = consumer(&[("client.dns.lookup", "use_all_dns_ips")], &[]);
        assert_eq!(s.get("client.dns.lookup"), Some("use_all_dns_ips"));
        let s = consumer(&[("client.dns.lookup", "default")], &[]);
        assert!(s.settings.is_empty());
        assert_warned(&s, &["client.dns.lookup", "\"default\""]);
    }

    #[test]
    fn partitioner_class() {
        let s = producer(
            &[(
                "producer.partitioner.class",
                "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
            )],
            &[],
        );
        assert_eq!(s.settings, settings(&[("partitioner", "murmur2_random")]));
        let s = producer(
            &[(
                "producer.partitioner.class",
                "org.apache.kafka.clients.producer.RoundRobinPartitioner",
            )],
            &[],
        );
        assert!(s.settings.is_empty());
        assert_warned(&s, &["producer.partitioner.class", "RoundRobinPartitioner"]);
    }

    #[test]
    fn compression_level_of_the_codec_in_use() {
        let s = producer(
            &[
                ("producer.compression.type", "gzip"),
                ("producer.compression.gzip.level", "9"),
                ("producer.compression.zstd.level", "3"),
            ],
            &[],
        );
        assert_eq!(
            s.settings,
            settings(&[("compression.type", "gzip"), ("compression.level", "9")])
        );
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let s = producer(
            &[
                ("producer.compression.type", "zstd"),
                ("producer.compression.zstd.level", "19"),
            ],
            &[],
        );
        assert_eq!(s.get("compression.level"), None);
        assert_warned(&s, &["producer.compression.zstd.level", "-1 to 12"]);
    }

    #[test]
    fn cipher_suites_in_java_form_are_dropped() {
        let s = consumer(
            &[(
                "ssl.cipher.suites",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_AES_256_GCM_SHA384",
            )],
            &[],
        );
        assert!(s.settings.is_empty());
        assert_warned(&s, &["ssl.cipher.suites", "OpenSSL"]);
        let s = consumer(&[("ssl.cipher.suites", "ECDHE-RSA-AES256-GCM-SHA384")], &[]);
        assert_eq!(
            s.get("ssl.cipher.suites"),
            Some("ECDHE-RSA-AES256-GCM-SHA384")
        );
    }

    // -- dropped settings -------------------------------------------------

    #[test]
    fn serializers_are_dropped_silently() {
        let s = producer(
            &[
                (
                    "producer.key.serializer",
                    "org.apache.kafka.common.serialization.ByteArraySerializer",
                ),
                ("producer.value.serializer", "x"),
            ],
            &[("producer.override.key.serializer", "y")],
        );
        assert!(s.settings.is_empty());
        assert!(s.warnings.is_empty());
        let s = consumer(
            &[
                ("consumer.key.deserializer", "x"),
                ("consumer.value.deserializer", "y"),
            ],
            &[],
        );
        assert!(s.settings.is_empty() && s.warnings.is_empty());
    }

    #[test]
    fn java_only_settings_are_dropped_with_a_warning_naming_the_key() {
        let java_only = [
            ("producer.max.block.ms", "60000"),
            (
                "producer.interceptor.classes",
                "io.confluent.monitoring.clients.interceptor.MonitoringProducerInterceptor",
            ),
            ("producer.metric.reporters", "x"),
            ("producer.metrics.recording.level", "DEBUG"),
            ("producer.metadata.max.idle.ms", "300000"),
            ("producer.partitioner.ignore.keys", "false"),
            ("ssl.protocol", "TLSv1.3"),
            ("ssl.enabled.protocols", "TLSv1.2,TLSv1.3"),
            ("ssl.keymanager.algorithm", "SunX509"),
            ("sasl.login.refresh.window.factor", "0.8"),
            ("sasl.login.callback.handler.class", "x"),
            ("producer.default.api.timeout.ms", "60000"),
            ("producer.socket.connection.setup.timeout.max.ms", "30000"),
        ];
        let s = producer(&java_only, &[]);
        assert!(s.settings.is_empty(), "{:?}", s.settings);
        for (key, _) in java_only {
            assert_warned(&s, &[&format!("ignoring {key}:")]);
        }
        assert_eq!(s.warnings.len(), java_only.len(), "{:#?}", s.warnings);
        assert!(s
            .warnings
            .iter()
            .all(|w| w.starts_with("producer client: ")));
    }

    #[test]
    fn unknown_keys_are_dropped_with_a_warning() {
        let s = consumer(
            &[("consumer.confluent.monitoring.interceptor.topic", "x")],
            &[("consumer.override.not.a.setting", "y")],
        );
        assert!(s.settings.is_empty());
        assert_warned(
            &s,
            &["consumer.confluent.monitoring.interceptor.topic", "neither"],
        );
        assert_warned(&s, &["consumer.override.not.a.setting", "neither"]);
    }

    #[test]
    fn settings_of_the_other_role_are_dropped() {
        let s = consumer(&[("consumer.linger.ms", "5")], &[]);
        assert!(s.settings.is_empty());
        assert_warned(&s, &["consumer.linger.ms", "producers only"]);
        let s = producer(&[], &[("producer.override.fetch.max.wait.ms", "10")]);
        assert!(s.settings.is_empty());
        assert_warned(
            &s,
            &[
                "producer.override.fetch.max.wait.ms",
                "fetch.wait.max.ms",
                "consumers only",
            ],
        );
        // Shared worker keys quietly go where they apply.
        let worker = [("request.timeout.ms", "20000")];
        let c = consumer(&worker, &[]);
        assert!(c.settings.is_empty() && c.warnings.is_empty());
        assert_eq!(
            producer(&worker, &[]).get("request.timeout.ms"),
            Some("20000")
        );
        let a = client_config(
            &property_map(worker.iter().copied()),
            ClientRole::Admin,
            &PropertyMap::new(),
        );
        assert_eq!(a.get("request.timeout.ms"), Some("20000"));
        let a = client_config(
            &property_map([("admin.fetch.min.bytes", "1")]),
            ClientRole::Admin,
            &PropertyMap::new(),
        );
        assert_warned(&a, &["admin client", "consumers only"]);
    }

    // -- JAAS -------------------------------------------------------------

    const PLAIN: &str = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="al1ce-s3cret";"#;

    #[test]
    fn plain_and_scram_jaas_become_username_and_password() {
        let s = consumer(
            &[("sasl.mechanism", "PLAIN"), ("sasl.jaas.config", PLAIN)],
            &[],
        );
        assert_eq!(
            s.settings,
            settings(&[
                ("sasl.mechanisms", "PLAIN"),
                ("sasl.username", "alice"),
                ("sasl.password", "al1ce-s3cret"),
            ])
        );
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);

        let scram = "org.apache.kafka.common.security.scram.ScramLoginModule required\n  \
                     username='bob'\n  password=\"p\\\"w;d\" ;";
        let s = producer(&[("producer.sasl.jaas.config", scram)], &[]);
        assert_eq!(s.get("sasl.username"), Some("bob"));
        assert_eq!(s.get("sasl.password"), Some("p\"w;d"));
    }

    #[test]
    fn jaas_unquoted_values_comments_and_flags() {
        let jaas =
            "/* c */ org.apache.kafka.common.security.plain.PlainLoginModule Required // x\n \
                    username=alice password=a-b_c.d;";
        let s = consumer(&[("sasl.jaas.config", jaas)], &[]);
        assert_eq!(s.get("sasl.username"), Some("alice"));
        assert_eq!(s.get("sasl.password"), Some("a-b_c.d"));
    }

    #[test]
    fn jaas_layers_against_explicit_username_and_password() {
        // A connector override's JAAS config beats the worker's librdkafka keys.
        let s = consumer(
            &[("sasl.username", "worker"), ("sasl.password", "worker-pw")],
            &[("consumer.override.sasl.jaas.config", PLAIN)],
        );
        assert_eq!(s.get("sasl.username"), Some("alice"));
        assert_eq!(s.get("sasl.password"), Some("al1ce-s3cret"));
        // In one layer the explicit librdkafka key wins.
        let s = consumer(
            &[("sasl.username", "explicit"), ("sasl.jaas.config", PLAIN)],
            &[],
        );
        assert_eq!(s.get("sasl.username"), Some("explicit"));
        assert_eq!(s.get("sasl.password"), Some("al1ce-s3cret"));
        assert_warned(
            &s,
            &["sasl.jaas.config and sasl.username both set sasl.username"],
        );
        assert!(!format!("{s:?}").contains("al1ce-s3cret"));
    }

    #[test]
    fn oauthbearer_jaas() {
        let jaas = r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required
            clientId="ferry" clientSecret="oauth-s3cret" scope="kafka" extension_logicalCluster="lkc-1" extension_pool="p";"#;
        let s = consumer(
            &[
                ("sasl.mechanism", "OAUTHBEARER"),
                ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
                ("sasl.jaas.config", jaas),
            ],
            &[],
        );
        assert_eq!(
            s.settings,
            settings(&[
                ("sasl.mechanisms", "OAUTHBEARER"),
                ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
                ("sasl.oauthbearer.method", "oidc"),
                ("sasl.oauthbearer.client.id", "ferry"),
                ("sasl.oauthbearer.client.secret", "oauth-s3cret"),
                ("sasl.oauthbearer.scope", "kafka"),
                ("sasl.oauthbearer.extensions", "logicalCluster=lkc-1,pool=p"),
            ])
        );
        let unsecured = r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";"#;
        let s = consumer(&[("sasl.jaas.config", unsecured)], &[]);
        assert_eq!(s.get("enable.sasl.oauthbearer.unsecure.jwt"), Some("true"));
        assert_eq!(s.get("sasl.oauthbearer.config"), Some("principal=admin"));
    }

    #[test]
    fn kerberos_jaas() {
        let jaas = r#"com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab="/etc/security/connect.keytab" principal="connect@EXAMPLE.COM";"#;
        let s = consumer(&[("sasl.jaas.config", jaas)], &[]);
        assert_eq!(
            s.settings,
            settings(&[
                ("sasl.kerberos.keytab", "/etc/security/connect.keytab"),
                ("sasl.kerberos.principal", "connect@EXAMPLE.COM"),
            ])
        );
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn msk_iam_is_not_supported_and_says_so() {
        let s = consumer(
            &[
                ("sasl.mechanism", "AWS_MSK_IAM"),
                (
                    "sasl.jaas.config",
                    "software.amazon.msk.auth.iam.IAMLoginModule required;",
                ),
                (
                    "sasl.client.callback.handler.class",
                    "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
                ),
            ],
            &[],
        );
        assert!(s.settings.is_empty(), "{:?}", s.settings);
        assert_warned(&s, &["sasl.mechanism", "AWS_MSK_IAM"]);
        assert_warned(&s, &["sasl.jaas.config", "IAMLoginModule"]);
        assert_warned(&s, &["sasl.client.callback.handler.class", "MSK IAM"]);
    }

    #[test]
    fn unsupported_login_module_and_unused_options_warn() {
        let s = consumer(
            &[(
                "sasl.jaas.config",
                "com.example.MyLoginModule required a=\"b\";",
            )],
            &[],
        );
        assert!(s.settings.is_empty());
        assert_warned(&s, &["com.example.MyLoginModule", "not supported"]);
        let jaas = r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="pw-s3cret" tokenauth="true";"#;
        let s = consumer(&[("sasl.jaas.config", jaas)], &[]);
        assert_eq!(s.get("sasl.username"), Some("u"));
        assert_warned(&s, &["tokenauth"]);
    }

    #[test]
    fn malformed_jaas_warns_without_quoting_it() {
        let cases = [
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="s3cret-1""#,
            r#"org.apache.kafka.common.security.plain.PlainLoginModule username="u" password="s3cret-1";"#,
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required password;"#,
            r#"a.PlainLoginModule required password="s3cret-1"; b.PlainLoginModule required password="s3cret-1";"#,
            "",
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required password=@s3cret-1;"#,
        ];
        for jaas in cases {
            let s = consumer(&[("sasl.jaas.config", jaas)], &[]);
            assert!(s.settings.is_empty(), "{jaas}: {:?}", s.settings);
            assert_warned(&s, &["ignoring sasl.jaas.config: cannot parse it"]);
            let all = format!("{:?} {s:?}", s.warnings);
            assert!(!all.contains("s3cret"), "{all}");
        }
    }

    // -- key and trust stores ---------------------------------------------

    fn store_file(dir: &tempfile::TempDir, name: &str, head: &[u8]) -> String {
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(head)
            .unwrap();
        path.display().to_string()
    }

    const PEM: &[u8] = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const JKS: &[u8] = &[0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2];
    const P12: &[u8] = &[0x30, 0x82, 0x0a, 0x1b, 0x02, 0x01, 0x03];

    #[test]
    fn pem_trust_store_becomes_ca_location() {
        let dir = tempfile::tempdir().unwrap();
        let pem = store_file(&dir, "ca.txt", PEM);
        // Declared, sniffed, or guessed from the extension of a missing file.
        for worker in [
            vec![
                ("ssl.truststore.type", "PEM"),
                ("ssl.truststore.location", "/nowhere/ca"),
            ],
            vec![("ssl.truststore.location", pem.as_str())],
            vec![("ssl.truststore.location", "/nowhere/ca.pem")],
        ] {
            let location = worker
                .iter()
                .find(|(k, _)| *k == "ssl.truststore.location")
                .unwrap()
                .1;
            let s = consumer(&worker, &[]);
            assert_eq!(
                s.settings,
                settings(&[("ssl.ca.location", location)]),
                "{worker:?}"
            );
            assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        }
        let s = consumer(
            &[
                ("ssl.truststore.type", "PEM"),
                ("ssl.truststore.certificates", "-----BEGIN..."),
            ],
            &[],
        );
        assert_eq!(s.settings, settings(&[("ssl.ca.pem", "-----BEGIN...")]));
    }

    #[test]
    fn jks_and_pkcs12_trust_stores_are_dropped_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let jks = store_file(&dir, "truststore.jks", JKS);
        let p12 = store_file(&dir, "truststore.p12", P12);
        for (worker, format) in [
            (
                vec![
                    ("ssl.truststore.location", jks.as_str()),
                    ("ssl.truststore.password", "tp-s3cret"),
                ],
                "JKS",
            ),
            (
                vec![
                    ("ssl.truststore.type", "PKCS12"),
                    ("ssl.truststore.location", p12.as_str()),
                ],
                "PKCS12",
            ),
            (
                vec![("ssl.truststore.location", "/nowhere/truststore")],
                "JKS",
            ),
        ] {
            let s = consumer(&worker, &[]);
            assert!(s.settings.is_empty(), "{:?}", s.settings);
            assert_warned(&s, &["ssl.truststore.location", format, "PEM"]);
            assert!(!format!("{s:?}").contains("tp-s3cret"));
        }
    }

    #[test]
    fn pkcs12_key_store_passes_through() {
        let dir = tempfile::tempdir().unwrap();
        // A .jks name with PKCS12 content, default type: Java's JKS loader reads it too.
        let p12 = store_file(&dir, "keystore.jks", P12);
        for worker in [
            vec![
                ("ssl.keystore.location", p12.as_str()),
                ("ssl.keystore.password", "ks-s3cret"),
            ],
            vec![
                ("ssl.keystore.type", "PKCS12"),
                ("ssl.keystore.location", "/nowhere/ks"),
                ("ssl.keystore.password", "ks-s3cret"),
            ],
        ] {
            let location = worker
                .iter()
                .find(|(k, _)| *k == "ssl.keystore.location")
                .unwrap()
                .1;
            let s = consumer(
                &worker,
                &[("consumer.override.ssl.key.password", "k-s3cret")],
            );
            assert_eq!(
                s.settings,
                settings(&[
                    ("ssl.keystore.location", location),
                    ("ssl.keystore.password", "ks-s3cret"),
                    ("ssl.key.password", "k-s3cret"),
                ])
            );
            assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        }
    }

    #[test]
    fn pem_key_store_becomes_certificate_and_key_locations() {
        let dir = tempfile::tempdir().unwrap();
        let pem = store_file(&dir, "client.keystore", PEM);
        let s = consumer(
            &[
                ("ssl.keystore.location", pem.as_str()),
                ("ssl.key.password", "kp"),
            ],
            &[],
        );
        assert_eq!(
            s.settings,
            settings(&[
                ("ssl.certificate.location", pem.as_str()),
                ("ssl.key.location", pem.as_str()),
                ("ssl.key.password", "kp"),
            ])
        );
        let s = consumer(
            &[
                ("ssl.keystore.type", "PEM"),
                ("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----x"),
                (
                    "ssl.keystore.certificate.chain",
                    "-----BEGIN CERTIFICATE-----y",
                ),
            ],
            &[],
        );
        assert_eq!(
            s.settings,
            settings(&[
                ("ssl.key.pem", "-----BEGIN PRIVATE KEY-----x"),
                ("ssl.certificate.pem", "-----BEGIN CERTIFICATE-----y"),
            ])
        );
    }

    #[test]
    fn jks_key_store_is_dropped_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let jks = store_file(&dir, "keystore.p12", JKS); // content wins over the name
        let s = consumer(
            &[
                ("ssl.keystore.location", jks.as_str()),
                ("ssl.keystore.password", "ks-s3cret"),
            ],
            &[],
        );
        assert!(s.settings.is_empty(), "{:?}", s.settings);
        assert_warned(&s, &["ssl.keystore.location", "JKS", "PKCS12"]);
        assert!(!format!("{s:?}").contains("ks-s3cret"));
    }

    // -- secrets ----------------------------------------------------------

    #[test]
    fn debug_hides_secrets() {
        let s = consumer(
            &[
                ("sasl.jaas.config", PLAIN),
                ("ssl.key.password", "key-pw-1"),
                ("ssl.keystore.type", "PKCS12"),
                ("ssl.keystore.location", "/ks.p12"),
                ("ssl.keystore.password", "store-pw-1"),
                ("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----pem-1"),
                ("bootstrap.servers", "visible:9092"),
            ],
            &[],
        );
        let debug = format!("{s:?}");
        for secret in ["al1ce-s3cret", "key-pw-1", "store-pw-1", "pem-1"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(
            debug.contains("visible:9092") && debug.contains("[hidden]"),
            "{debug}"
        );
        assert_eq!(s.redacted()["sasl.password"], "[hidden]");
        assert_eq!(s.get("sasl.password"), Some("al1ce-s3cret"));
    }

    #[test]
    fn sensitive_keys() {
        for key in [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "ssl.truststore.password",
            "sasl.jaas.config",
            "sasl.oauthbearer.client.secret",
            "ssl.key.pem",
            "ssl.keystore.key",
            "sasl.oauthbearer.config",
            "sasl.oauthbearer.assertion.private.key.passphrase",
        ] {
            assert!(is_sensitive_client_key(key), "{key}");
        }
        for key in [
            "sasl.username",
            "ssl.key.location",
            "bootstrap.servers",
            "ssl.certificate.pem",
        ] {
            assert!(!is_sensitive_client_key(key), "{key}");
        }
    }

    #[test]
    fn iter_yields_every_setting_secrets_included() {
        let s = consumer(
            &[("bootstrap.servers", "k:9092"), ("sasl.jaas.config", PLAIN)],
            &[],
        );
        let all: BTreeMap<&str, &str> = s.iter().collect();
        assert_eq!(all.len(), s.settings.len());
        for (k, v) in &s.settings {
            assert_eq!(all.get(k.as_str()), Some(&v.as_str()));
        }
        assert_eq!(all.get("sasl.password"), Some(&"al1ce-s3cret"));
    }
}
