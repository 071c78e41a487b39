//! The connector's configuration: Debezium's keys, defaults and meanings,
//! parsed once into [`PgConfig`].

use std::time::Duration;

use ferry_api::config::ConfigError;
use ferry_api::{
    ConfigDef, ConfigErrors, ConfigKey, ConfigType, ConfigValue, Importance, ParsedConfig,
    PropertyMap, Validator,
};

use crate::filters::{Filters, KeyColumns};
use crate::tls::SslMode;

pub const HOSTNAME: &str = "database.hostname";
pub const PORT: &str = "database.port";
pub const USER: &str = "database.user";
pub const PASSWORD: &str = "database.password";
pub const DBNAME: &str = "database.dbname";
pub const SSLMODE: &str = "database.sslmode";
pub const SSLROOTCERT: &str = "database.sslrootcert";
pub const SSLCERT: &str = "database.sslcert";
pub const SSLKEY: &str = "database.sslkey";
pub const SSLPASSWORD: &str = "database.sslpassword";
pub const TOPIC_PREFIX: &str = "topic.prefix";
pub const PLUGIN_NAME: &str = "plugin.name";
pub const SLOT_NAME: &str = "slot.name";
pub const PUBLICATION_NAME: &str = "publication.name";
pub const PUBLICATION_AUTOCREATE_MODE: &str = "publication.autocreate.mode";
pub const SNAPSHOT_MODE: &str = "snapshot.mode";
pub const SCHEMA_INCLUDE: &str = "schema.include.list";
pub const SCHEMA_EXCLUDE: &str = "schema.exclude.list";
pub const TABLE_INCLUDE: &str = "table.include.list";
pub const TABLE_EXCLUDE: &str = "table.exclude.list";
pub const COLUMN_INCLUDE: &str = "column.include.list";
pub const COLUMN_EXCLUDE: &str = "column.exclude.list";
pub const HEARTBEAT_INTERVAL: &str = "heartbeat.interval.ms";
pub const HEARTBEAT_ACTION_QUERY: &str = "heartbeat.action.query";
pub const HEARTBEAT_TOPIC_PREFIX: &str = "topic.heartbeat.prefix";
pub const TOMBSTONES_ON_DELETE: &str = "tombstones.on.delete";
pub const DECIMAL_HANDLING: &str = "decimal.handling.mode";
pub const TIME_PRECISION: &str = "time.precision.mode";
pub const BINARY_HANDLING: &str = "binary.handling.mode";
pub const MAX_BATCH_SIZE: &str = "max.batch.size";
pub const MAX_QUEUE_SIZE: &str = "max.queue.size";
pub const SLOT_DROP_ON_STOP: &str = "slot.drop.on.stop";
pub const SKIPPED_OPERATIONS: &str = "skipped.operations";
pub const MESSAGE_KEY_COLUMNS: &str = "message.key.columns";
pub const STATUS_UPDATE_INTERVAL: &str = "status.update.interval.ms";
pub const POLL_INTERVAL: &str = "poll.interval.ms";
pub const UNAVAILABLE_VALUE_PLACEHOLDER: &str = "unavailable.value.placeholder";
pub const EXTENDED_HEADERS_ENABLED: &str = "extended.headers.enabled";

/// Debezium's default `unavailable.value.placeholder`.
pub const DEFAULT_UNAVAILABLE_VALUE: &str = "__debezium_unavailable_value";

/// Ferry's default heartbeat interval (Debezium's is 0 = off): an idle
/// database must not pile up WAL behind the slot.
pub const DEFAULT_HEARTBEAT_MS: &str = "10000";

/// `snapshot.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    Initial,
    NoData,
    InitialOnly,
    Always,
    WhenNeeded,
}

impl SnapshotMode {
    /// The name Debezium stores in offsets (`SnapshotType`-like).
    pub fn offset_name(self) -> &'static str {
        match self {
            SnapshotMode::Always => "ALWAYS",
            SnapshotMode::InitialOnly => "INITIAL_ONLY",
            SnapshotMode::WhenNeeded => "WHEN_NEEDED",
            _ => "INITIAL",
        }
    }
}

/// `publication.autocreate.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationMode {
    AllTables,
    Filtered,
    NoTables,
    Disabled,
}

/// `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMode {
    Precise,
    Double,
    String,
}

/// `time.precision.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePrecision {
    Adaptive,
    AdaptiveTimeMicroseconds,
    Connect,
}

/// `binary.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryMode {
    Bytes,
    Base64,
    Base64UrlSafe,
    Hex,
}

/// Operations that `skipped.operations` can skip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
    pub truncate: bool,
}

/// The parsed configuration.
#[derive(Debug, Clone)]
pub struct PgConfig {
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub dbname: String,
    pub sslmode: SslMode,
    /// `database.sslrootcert`: the CA certificates (PEM) trusted by the
    /// `verify-ca` and `verify-full` modes.
    pub sslrootcert: Option<String>,
    pub topic_prefix: String,
    pub slot_name: String,
    pub publication_name: String,
    pub publication_mode: PublicationMode,
    pub snapshot_mode: SnapshotMode,
    pub filters: Filters,
    pub key_columns: KeyColumns,
    pub heartbeat_interval: Option<Duration>,
    pub heartbeat_action_query: Option<String>,
    pub heartbeat_topic_prefix: String,
    pub tombstones_on_delete: bool,
    pub decimal_mode: DecimalMode,
    pub time_precision: TimePrecision,
    pub binary_mode: BinaryMode,
    pub max_batch_size: usize,
    pub max_queue_size: usize,
    pub slot_drop_on_stop: bool,
    pub skipped: Skipped,
    pub status_update_interval: Duration,
    pub poll_interval: Duration,
    /// `unavailable.value.placeholder` as bytes (a `hex:` value decoded):
    /// what stands in for an unchanged TOASTed value that the stream does
    /// not carry.
    pub unavailable_value: Vec<u8>,
    /// `extended.headers.enabled`: Debezium's `__debezium.context.*`
    /// headers on every change record.
    pub extended_headers: bool,
}

fn one_of(values: &[&str]) -> Validator {
    Validator::one_of(values.iter().copied())
}

/// `database.sslcert` / `database.sslkey`: refused with the reason.
fn no_client_certificates() -> Validator {
    Validator::custom(|v| match v {
        ConfigValue::String(s) if !s.trim().is_empty() => Err(
            "client certificate authentication is not supported yet (the replication connection \
             cannot present a certificate): authenticate with database.user and database.password \
             over TLS (database.sslmode=verify-full) instead"
                .into(),
        ),
        _ => Ok(()),
    })
}

/// `unavailable.value.placeholder` as bytes: `hex:<octets>` is decoded
/// (as Debezium's `getUnavailableValuePlaceholder`), anything else is taken
/// as UTF-8 text.
pub fn placeholder_bytes(v: &str) -> Result<Vec<u8>, String> {
    let Some(hex) = v.strip_prefix("hex:") else {
        return Ok(v.as_bytes().to_vec());
    };
    if hex.len() % 2 != 0 {
        return Err("a hex: placeholder needs an even number of hex digits".into());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("{:?} after hex: is not hexadecimal", hex))
        })
        .collect()
}

fn regex_list() -> Validator {
    Validator::custom(|v| {
        if let ConfigValue::List(items) = v {
            for item in items {
                if let Err(e) = regex::Regex::new(item) {
                    return Err(format!("{item:?} is not a valid regular expression: {e}"));
                }
            }
        }
        Ok(())
    })
}

/// The definition of every key, with Debezium's defaults (except
/// `plugin.name`, whose only supported value is `pgoutput`, and
/// `heartbeat.interval.ms`, on by default).
pub fn config_def() -> ConfigDef {
    let s = |name: &str| ConfigKey::new(name, ConfigType::String);
    ConfigDef::new()
        .define(
            s(HOSTNAME)
                .required()
                .validator(Validator::NonEmptyString)
                .importance(Importance::High)
                .group("Connection")
                .doc("Resolvable hostname or IP address of the PostgreSQL database server."),
        )
        .define(
            ConfigKey::new(PORT, ConfigType::Int)
                .default_value("5432")
                .validator(Validator::between(1.0, 65535.0))
                .importance(Importance::High)
                .group("Connection")
                .doc("Port of the PostgreSQL database server."),
        )
        .define(
            s(USER)
                .required()
                .validator(Validator::NonEmptyString)
                .importance(Importance::High)
                .group("Connection")
                .doc("Name of the PostgreSQL user; it needs the REPLICATION attribute (or rds_replication) and SELECT on the captured tables."),
        )
        .define(
            ConfigKey::new(PASSWORD, ConfigType::Password)
                .importance(Importance::High)
                .group("Connection")
                .doc("Password of the PostgreSQL user."),
        )
        .define(
            s(DBNAME)
                .required()
                .validator(Validator::NonEmptyString)
                .importance(Importance::High)
                .group("Connection")
                .doc("The name of the PostgreSQL database to capture."),
        )
        .define(
            s(SSLMODE)
                .default_value("prefer")
                .validator(one_of(SslMode::NAMES))
                .importance(Importance::Medium)
                .group("Connection")
                .doc("Whether to use an encrypted connection to PostgreSQL (both the SQL and the replication connection): disable (never), allow and prefer (TLS when the server offers it, no certificate check), require (TLS or fail, no certificate check), verify-ca (TLS with a certificate signed by a trusted CA, see database.sslrootcert), verify-full (verify-ca and the certificate must name database.hostname)."),
        )
        .define(
            s(SSLROOTCERT)
                .importance(Importance::Medium)
                .group("Connection")
                .doc("A PEM file with the CA certificates trusted for verify-ca and verify-full (e.g. the Amazon RDS bundle). Without it, the public web CAs (Mozilla's list) are trusted."),
        )
        .define(
            s(SSLCERT)
                .validator(no_client_certificates())
                .group("Connection")
                .doc("Client certificate authentication is not supported yet: the replication connection cannot present a certificate. Setting this key is refused."),
        )
        .define(
            s(SSLKEY)
                .validator(no_client_certificates())
                .group("Connection")
                .doc("Client certificate authentication is not supported yet (see database.sslcert). Setting this key is refused."),
        )
        .define(
            ConfigKey::new(SSLPASSWORD, ConfigType::Password)
                .group("Connection")
                .doc("The password of database.sslkey. Accepted for compatibility and unused, as client certificates are not supported yet."),
        )
        .define(
            s(TOPIC_PREFIX)
                .required()
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(p) if p.trim().is_empty() => Err("must not be empty".into()),
                    ConfigValue::String(p)
                        if !p.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) =>
                    {
                        Err("may contain only ASCII letters, digits, '.', '_' and '-' (it becomes part of topic names)".into())
                    }
                    _ => Ok(()),
                }))
                .importance(Importance::High)
                .doc("Topic prefix (Debezium's logical server name): events of table s.t go to <topic.prefix>.s.t; also the offset partition key."),
        )
        .define(
            s(PLUGIN_NAME)
                .default_value("pgoutput")
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(p) if p.eq_ignore_ascii_case("pgoutput") => Ok(()),
                    ConfigValue::String(p) => Err(format!(
                        "logical decoding plugin {p:?} is not supported; Ferry decodes the built-in pgoutput plugin only: set plugin.name=pgoutput (no server extension needed)"
                    )),
                    _ => Ok(()),
                }))
                .importance(Importance::Medium)
                .doc("The logical decoding plugin. Only pgoutput is supported (Debezium's default, decoderbufs, needs a server extension)."),
        )
        .define(
            s(SLOT_NAME)
                .default_value("debezium")
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(p)
                        if p.is_empty()
                            || !p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
                    {
                        Err("PostgreSQL slot names may contain only lower-case letters, digits and '_'".into())
                    }
                    _ => Ok(()),
                }))
                .importance(Importance::Medium)
                .doc("The name of the logical replication slot."),
        )
        .define(
            s(PUBLICATION_NAME)
                .default_value("dbz_publication")
                .validator(Validator::NonEmptyString)
                .importance(Importance::Low)
                .doc("The name of the PostgreSQL publication streamed by pgoutput."),
        )
        .define(
            s(PUBLICATION_AUTOCREATE_MODE)
                .default_value("all_tables")
                .validator(one_of(&["all_tables", "filtered", "no_tables", "disabled"]))
                .importance(Importance::Low)
                .doc("all_tables: CREATE PUBLICATION ... FOR ALL TABLES; filtered: a publication of the included tables, kept in sync at start; no_tables: an empty publication; disabled: the publication must exist."),
        )
        .define(
            s(SNAPSHOT_MODE)
                .default_value("initial")
                .validator(one_of(&["initial", "no_data", "initial_only", "always", "when_needed", "never"]))
                .importance(Importance::Medium)
                .doc("initial: snapshot once, then stream; no_data (alias never): stream only; initial_only: snapshot, then stop; always: snapshot at every start; when_needed: snapshot when there is no usable offset."),
        )
        .define(ConfigKey::new(SCHEMA_INCLUDE, ConfigType::List).validator(regex_list()).doc("Regular expressions matching the schemas to capture (whole-name match)."))
        .define(ConfigKey::new(SCHEMA_EXCLUDE, ConfigType::List).validator(regex_list()).doc("Regular expressions matching schemas not to capture."))
        .define(ConfigKey::new(TABLE_INCLUDE, ConfigType::List).validator(regex_list()).doc("Regular expressions matching schema.table names to capture."))
        .define(ConfigKey::new(TABLE_EXCLUDE, ConfigType::List).validator(regex_list()).doc("Regular expressions matching schema.table names not to capture."))
        .define(ConfigKey::new(COLUMN_INCLUDE, ConfigType::List).validator(regex_list()).doc("Regular expressions matching schema.table.column names to include in values."))
        .define(ConfigKey::new(COLUMN_EXCLUDE, ConfigType::List).validator(regex_list()).doc("Regular expressions matching schema.table.column names to leave out of values."))
        .define(
            ConfigKey::new(HEARTBEAT_INTERVAL, ConfigType::Int)
                .default_value(DEFAULT_HEARTBEAT_MS)
                .validator(Validator::at_least(0.0))
                .importance(Importance::Medium)
                .doc("How often to send a heartbeat record (0 = never). Ferry's default is 10000 (Debezium's is 0): heartbeats let the connector confirm WAL positions when captured tables are idle, so the slot does not retain WAL."),
        )
        .define(s(HEARTBEAT_ACTION_QUERY).doc("A statement run against the database at every heartbeat, e.g. an INSERT into a heartbeat table, so that a database with no captured traffic still produces changes."))
        .define(s(HEARTBEAT_TOPIC_PREFIX).default_value("__debezium-heartbeat").doc("Heartbeats go to <topic.heartbeat.prefix>.<topic.prefix>."))
        .define(
            ConfigKey::new(TOMBSTONES_ON_DELETE, ConfigType::Boolean)
                .default_value("true")
                .doc("Whether a delete event is followed by a tombstone (same key, null value)."),
        )
        .define(
            s(DECIMAL_HANDLING)
                .default_value("precise")
                .validator(one_of(&["precise", "double", "string"]))
                .doc("numeric/decimal/money as Connect Decimal (precise), float64 (double) or string (string)."),
        )
        .define(
            s(TIME_PRECISION)
                .default_value("adaptive")
                .validator(one_of(&["adaptive", "adaptive_time_microseconds", "connect"]))
                .doc("How date/time values are represented: adaptive (io.debezium.time.* by column precision), adaptive_time_microseconds (time always MicroTime) or connect (Kafka Connect's Date/Time/Timestamp, millisecond precision)."),
        )
        .define(
            s(BINARY_HANDLING)
                .default_value("bytes")
                .validator(one_of(&["bytes", "base64", "base64-url-safe", "hex"]))
                .doc("bytea as bytes, or as a base64, base64-url-safe or hex string."),
        )
        .define(ConfigKey::new(MAX_BATCH_SIZE, ConfigType::Int).default_value("2048").validator(Validator::at_least(1.0)).doc("The most records returned by one poll."))
        .define(ConfigKey::new(MAX_QUEUE_SIZE, ConfigType::Int).default_value("8192").validator(Validator::at_least(1.0)).doc("The most change records buffered between the replication stream and the worker; the stream is not read further while it is full."))
        .define(ConfigKey::new(SLOT_DROP_ON_STOP, ConfigType::Boolean).default_value("false").doc("Drop the replication slot when the task stops gracefully (tests and demos only: changes made while stopped are lost)."))
        .define(
            ConfigKey::new(SKIPPED_OPERATIONS, ConfigType::List)
                .default_value("t")
                .validator(one_of(&["c", "u", "d", "t", "none"]))
                .doc("Operations not to emit: c (create), u (update), d (delete), t (truncate) or none."),
        )
        .define(
            s(MESSAGE_KEY_COLUMNS).validator(Validator::custom(|v| match v {
                ConfigValue::String(s) => KeyColumns::parse(s).map(|_| ()).map_err(|e| e.to_string()),
                _ => Ok(()),
            }))
            .doc("Key columns per table, overriding the primary key: <table regex>:<col>[,<col>...][;...]."),
        )
        .define(ConfigKey::new(STATUS_UPDATE_INTERVAL, ConfigType::Int).default_value("10000").validator(Validator::at_least(1.0)).doc("How often a standby status update (keepalive) is sent to PostgreSQL, also while the worker applies back-pressure."))
        .define(
            s(UNAVAILABLE_VALUE_PLACEHOLDER)
                .default_value(DEFAULT_UNAVAILABLE_VALUE)
                .validator(Validator::custom(|v| match v {
                    ConfigValue::String(s) => placeholder_bytes(s).map(|_| ()),
                    _ => Ok(()),
                }))
                .importance(Importance::Low)
                .doc("The value that stands in for an unchanged TOASTed column the stream does not carry (an UPDATE that leaves a large value untouched, under REPLICA IDENTITY DEFAULT; with FULL the old value is used). Prefix with hex: to give the bytes in hexadecimal."),
        )
        .define(
            ConfigKey::new(EXTENDED_HEADERS_ENABLED, ConfigType::Boolean)
                .default_value("true")
                .importance(Importance::Low)
                .doc("Whether change records carry Debezium's context headers: __debezium.context.connectorLogicalName (topic.prefix), __debezium.context.taskId, __debezium.context.connectorName (postgresql) and __debezium.context.runId (a new id at each task start)."),
        )
        .define(ConfigKey::new(POLL_INTERVAL, ConfigType::Int).default_value("500").validator(Validator::between(1.0, 5000.0)).importance(Importance::Low).doc("How long a poll waits for changes before returning an empty batch."))
}

impl PgConfig {
    /// Parses and validates properties, reporting every problem at once.
    pub fn parse(props: &PropertyMap) -> Result<PgConfig, ConfigErrors> {
        let parsed = config_def().parse(props)?;
        let mut errors = ConfigErrors::default();
        let filters = match Filters::from_config(&parsed) {
            Ok(f) => Some(f),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let key_columns =
            KeyColumns::parse(parsed.string(MESSAGE_KEY_COLUMNS).unwrap_or("")).unwrap_or_default();
        errors.into_result()?;
        Ok(Self::from_parsed(
            &parsed,
            filters.unwrap_or_default(),
            key_columns,
        ))
    }

    fn from_parsed(p: &ParsedConfig, filters: Filters, key_columns: KeyColumns) -> PgConfig {
        let st = |k: &str| p.string(k).unwrap_or_default().to_string();
        let lower = |k: &str| st(k).to_ascii_lowercase();
        let ms = |k: &str, d: i64| Duration::from_millis(p.long(k).unwrap_or(d).max(0) as u64);
        let mut skipped = Skipped::default();
        for op in p.list(SKIPPED_OPERATIONS) {
            match op.to_ascii_lowercase().as_str() {
                "c" => skipped.create = true,
                "u" => skipped.update = true,
                "d" => skipped.delete = true,
                "t" => skipped.truncate = true,
                _ => {}
            }
        }
        let heartbeat = p.long(HEARTBEAT_INTERVAL).unwrap_or(0);
        PgConfig {
            hostname: st(HOSTNAME),
            port: p.int(PORT).unwrap_or(5432) as u16,
            user: st(USER),
            password: p
                .password(PASSWORD)
                .map(|pw| pw.expose().to_string())
                .unwrap_or_default(),
            dbname: st(DBNAME),
            sslmode: SslMode::parse(&lower(SSLMODE)).unwrap_or(SslMode::Prefer),
            sslrootcert: p
                .string(SSLROOTCERT)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string),
            topic_prefix: st(TOPIC_PREFIX),
            slot_name: st(SLOT_NAME),
            publication_name: st(PUBLICATION_NAME),
            publication_mode: match lower(PUBLICATION_AUTOCREATE_MODE).as_str() {
                "filtered" => PublicationMode::Filtered,
                "no_tables" => PublicationMode::NoTables,
                "disabled" => PublicationMode::Disabled,
                _ => PublicationMode::AllTables,
            },
            snapshot_mode: match lower(SNAPSHOT_MODE).as_str() {
                "no_data" | "never" => SnapshotMode::NoData,
                "initial_only" => SnapshotMode::InitialOnly,
                "always" => SnapshotMode::Always,
                "when_needed" => SnapshotMode::WhenNeeded,
                _ => SnapshotMode::Initial,
            },
            filters,
            key_columns,
            heartbeat_interval: (heartbeat > 0).then(|| Duration::from_millis(heartbeat as u64)),
            heartbeat_action_query: p
                .string(HEARTBEAT_ACTION_QUERY)
                .filter(|q| !q.trim().is_empty())
                .map(str::to_string),
            heartbeat_topic_prefix: st(HEARTBEAT_TOPIC_PREFIX),
            tombstones_on_delete: p.boolean(TOMBSTONES_ON_DELETE).unwrap_or(true),
            decimal_mode: match lower(DECIMAL_HANDLING).as_str() {
                "double" => DecimalMode::Double,
                "string" => DecimalMode::String,
                _ => DecimalMode::Precise,
            },
            time_precision: match lower(TIME_PRECISION).as_str() {
                "adaptive_time_microseconds" => TimePrecision::AdaptiveTimeMicroseconds,
                "connect" => TimePrecision::Connect,
                _ => TimePrecision::Adaptive,
            },
            binary_mode: match lower(BINARY_HANDLING).as_str() {
                "base64" => BinaryMode::Base64,
                "base64-url-safe" => BinaryMode::Base64UrlSafe,
                "hex" => BinaryMode::Hex,
                _ => BinaryMode::Bytes,
            },
            max_batch_size: p.int(MAX_BATCH_SIZE).unwrap_or(2048).max(1) as usize,
            max_queue_size: p.int(MAX_QUEUE_SIZE).unwrap_or(8192).max(1) as usize,
            slot_drop_on_stop: p.boolean(SLOT_DROP_ON_STOP).unwrap_or(false),
            skipped,
            status_update_interval: ms(STATUS_UPDATE_INTERVAL, 10_000),
            poll_interval: ms(POLL_INTERVAL, 500),
            unavailable_value: placeholder_bytes(
                p.string(UNAVAILABLE_VALUE_PLACEHOLDER)
                    .unwrap_or(DEFAULT_UNAVAILABLE_VALUE),
            )
            .unwrap_or_else(|_| DEFAULT_UNAVAILABLE_VALUE.as_bytes().to_vec()),
            extended_headers: p.boolean(EXTENDED_HEADERS_ENABLED).unwrap_or(true),
        }
    }

    /// The heartbeat topic.
    pub fn heartbeat_topic(&self) -> String {
        format!("{}.{}", self.heartbeat_topic_prefix, self.topic_prefix)
    }

    /// A connection URI for the replication connection.
    pub fn replication_uri(&self) -> String {
        let host = if self.hostname.contains(':') {
            format!("[{}]", self.hostname)
        } else {
            pct(&self.hostname)
        };
        let mut uri = format!(
            "postgresql://{}:{}@{}:{}/{}?sslmode={}&replication=database",
            pct(&self.user),
            pct(&self.password),
            host,
            self.port,
            pct(&self.dbname),
            self.sslmode.name(),
        );
        if let Some(root) = &self.sslrootcert {
            uri.push_str("&sslrootcert=");
            uri.push_str(&pct(root));
        }
        uri
    }

    /// tokio-postgres settings (for SQL).
    pub fn sql_config(&self) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host(&self.hostname)
            .port(self.port)
            .user(&self.user)
            .password(&self.password)
            .dbname(&self.dbname)
            .application_name("ferry-postgres-cdc")
            .connect_timeout(Duration::from_secs(30))
            .ssl_mode(self.sslmode.tokio_postgres());
        c
    }
}

/// Percent-encodes a URI component.
fn pct(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A config error for a key (helper for cross-key checks).
pub fn key_error(key: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::new(key, Some(value), reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    fn minimal() -> Vec<(&'static str, &'static str)> {
        vec![
            (HOSTNAME, "db"),
            (USER, "u"),
            (PASSWORD, "p"),
            (DBNAME, "d"),
            (TOPIC_PREFIX, "srv"),
        ]
    }

    #[test]
    fn debezium_defaults_apply() {
        let c = PgConfig::parse(&property_map(minimal())).unwrap();
        assert_eq!(c.port, 5432);
        assert_eq!(c.slot_name, "debezium");
        assert_eq!(c.publication_name, "dbz_publication");
        assert_eq!(c.publication_mode, PublicationMode::AllTables);
        assert_eq!(c.snapshot_mode, SnapshotMode::Initial);
        assert_eq!(c.decimal_mode, DecimalMode::Precise);
        assert_eq!(c.time_precision, TimePrecision::Adaptive);
        assert_eq!(c.binary_mode, BinaryMode::Bytes);
        assert_eq!((c.max_batch_size, c.max_queue_size), (2048, 8192));
        assert!(c.tombstones_on_delete);
        assert!(c.skipped.truncate && !c.skipped.create);
        assert_eq!(c.heartbeat_interval, Some(Duration::from_secs(10)));
        assert_eq!(c.heartbeat_topic(), "__debezium-heartbeat.srv");
        assert_eq!(c.unavailable_value, b"__debezium_unavailable_value");
        assert!(c.extended_headers);
    }

    #[test]
    fn unavailable_value_placeholder_takes_text_or_hex() {
        let mut props = minimal();
        props.push((UNAVAILABLE_VALUE_PLACEHOLDER, "hex:00ff41"));
        let c = PgConfig::parse(&property_map(props)).unwrap();
        assert_eq!(c.unavailable_value, [0x00, 0xff, 0x41]);
        let mut props = minimal();
        props.push((UNAVAILABLE_VALUE_PLACEHOLDER, "<toasted>"));
        let c = PgConfig::parse(&property_map(props)).unwrap();
        assert_eq!(c.unavailable_value, b"<toasted>");
        let mut props = minimal();
        props.push((UNAVAILABLE_VALUE_PLACEHOLDER, "hex:0g"));
        let errs = PgConfig::parse(&property_map(props)).unwrap_err();
        assert!(
            errs.iter().any(|e| e.key == UNAVAILABLE_VALUE_PLACEHOLDER),
            "{errs:?}"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = PgConfig::parse(&property_map([
            (PLUGIN_NAME, "decoderbufs"),
            (SNAPSHOT_MODE, "sometimes"),
            (TABLE_INCLUDE, "public.(a"),
            (DECIMAL_HANDLING, "float"),
            (PASSWORD, "hunter2"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        for k in [
            HOSTNAME,
            USER,
            DBNAME,
            TOPIC_PREFIX,
            PLUGIN_NAME,
            SNAPSHOT_MODE,
            TABLE_INCLUDE,
            DECIMAL_HANDLING,
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        let text = errs.to_string();
        assert!(text.contains("set plugin.name=pgoutput"), "{text}");
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn tls_settings_reach_both_connections() {
        let c = PgConfig::parse(&property_map(minimal())).unwrap();
        assert_eq!(c.sslmode, SslMode::Prefer, "Debezium's default");
        let mut p = minimal();
        p.extend([
            (SSLMODE, "verify-full"),
            (SSLROOTCERT, "/etc/ca dir/root.crt"),
        ]);
        let c = PgConfig::parse(&property_map(p)).unwrap();
        assert_eq!(c.sslmode, SslMode::VerifyFull);
        assert!(
            c.replication_uri()
                .ends_with("?sslmode=verify-full&replication=database&sslrootcert=%2Fetc%2Fca%20dir%2Froot.crt"),
            "{}",
            c.replication_uri()
        );
        assert_eq!(
            c.sql_config().get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        let mut p = minimal();
        p.extend([
            (SSLMODE, "on"),
            (SSLCERT, "/c.pem"),
            (SSLKEY, "/k.pem"),
            (SSLPASSWORD, "s3cret"),
        ]);
        let errs = PgConfig::parse(&property_map(p)).unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, [SSLMODE, SSLCERT, SSLKEY]);
        let text = errs.to_string();
        assert!(
            text.contains("client certificate authentication is not supported"),
            "{text}"
        );
        assert!(!text.contains("s3cret"));
    }

    #[test]
    fn skipped_operations_and_modes_parse() {
        let mut p = minimal();
        p.extend([
            (SKIPPED_OPERATIONS, "none"),
            (TIME_PRECISION, "connect"),
            (BINARY_HANDLING, "hex"),
            (HEARTBEAT_INTERVAL, "0"),
        ]);
        let c = PgConfig::parse(&property_map(p)).unwrap();
        assert_eq!(c.skipped, Skipped::default());
        assert_eq!(c.time_precision, TimePrecision::Connect);
        assert_eq!(c.binary_mode, BinaryMode::Hex);
        assert_eq!(c.heartbeat_interval, None);
    }
}
