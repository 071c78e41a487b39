//! The serializer settings of Confluent's registry-backed converters
//! (`AbstractKafkaSchemaSerDeConfig`), read from the converter's own
//! properties (`value.converter.schema.registry.url` →
//! `schema.registry.url`).

use std::path::PathBuf;

use ferry_api::config::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, Importance, Password, Validator,
};
use ferry_api::PropertyMap;

use super::SubjectNameStrategy;

/// `schema.registry.url`.
pub const URL_CONFIG: &str = "schema.registry.url";
/// `auto.register.schemas`.
pub const AUTO_REGISTER_CONFIG: &str = "auto.register.schemas";
/// `use.latest.version`.
pub const USE_LATEST_VERSION_CONFIG: &str = "use.latest.version";
/// `latest.compatibility.strict`.
pub const LATEST_COMPATIBILITY_STRICT_CONFIG: &str = "latest.compatibility.strict";
/// `key.subject.name.strategy`.
pub const KEY_STRATEGY_CONFIG: &str = "key.subject.name.strategy";
/// `value.subject.name.strategy`.
pub const VALUE_STRATEGY_CONFIG: &str = "value.subject.name.strategy";
/// `basic.auth.credentials.source`.
pub const BASIC_AUTH_SOURCE_CONFIG: &str = "basic.auth.credentials.source";
/// `basic.auth.user.info`.
pub const BASIC_AUTH_USER_INFO_CONFIG: &str = "basic.auth.user.info";
/// `schema.registry.basic.auth.user.info` (Confluent's deprecated name).
pub const LEGACY_USER_INFO_CONFIG: &str = "schema.registry.basic.auth.user.info";
/// `bearer.auth.credentials.source`.
pub const BEARER_AUTH_SOURCE_CONFIG: &str = "bearer.auth.credentials.source";
/// `bearer.auth.token`.
pub const BEARER_AUTH_TOKEN_CONFIG: &str = "bearer.auth.token";
/// `max.schemas.per.subject`.
pub const MAX_SCHEMAS_PER_SUBJECT_CONFIG: &str = "max.schemas.per.subject";
/// `latest.cache.ttl.sec`.
pub const LATEST_CACHE_TTL_CONFIG: &str = "latest.cache.ttl.sec";
/// `normalize.schemas`.
pub const NORMALIZE_SCHEMAS_CONFIG: &str = "normalize.schemas";
/// `schema.registry.ssl.truststore.location`.
pub const TRUSTSTORE_LOCATION_CONFIG: &str = "schema.registry.ssl.truststore.location";
/// `schema.registry.ssl.truststore.type`.
pub const TRUSTSTORE_TYPE_CONFIG: &str = "schema.registry.ssl.truststore.type";
/// `schema.registry.ssl.truststore.password`.
pub const TRUSTSTORE_PASSWORD_CONFIG: &str = "schema.registry.ssl.truststore.password";
/// `schema.registry.ssl.keystore.location`.
pub const KEYSTORE_LOCATION_CONFIG: &str = "schema.registry.ssl.keystore.location";
/// `schema.registry.ssl.keystore.type`.
pub const KEYSTORE_TYPE_CONFIG: &str = "schema.registry.ssl.keystore.type";
/// `schema.registry.ssl.keystore.password`.
pub const KEYSTORE_PASSWORD_CONFIG: &str = "schema.registry.ssl.keystore.password";
/// `schema.registry.ssl.key.password`.
pub const KEY_PASSWORD_CONFIG: &str = "schema.registry.ssl.key.password";
/// `schema.registry.request.timeout.ms` (Ferry's name; Confluent's client
/// uses the JVM's socket defaults).
pub const REQUEST_TIMEOUT_CONFIG: &str = "schema.registry.request.timeout.ms";

/// How requests to the registry authenticate.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credentials {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP Basic with `user:password`.
    Basic(Password),
    /// `Authorization: Bearer <token>`.
    Bearer(Password),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::None => "None",
            Credentials::Basic(_) => "Basic([hidden])",
            Credentials::Bearer(_) => "Bearer([hidden])",
        })
    }
}

/// The registry settings of one converter.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaRegistryConfig {
    /// `schema.registry.url`, each without user info.
    pub urls: Vec<String>,
    /// How requests authenticate.
    pub credentials: Credentials,
    /// `auto.register.schemas` (default true).
    pub auto_register: bool,
    /// `use.latest.version` (default false).
    pub use_latest_version: bool,
    /// `latest.compatibility.strict` (default true).
    pub latest_compatibility_strict: bool,
    /// `key.subject.name.strategy`.
    pub key_strategy: SubjectNameStrategy,
    /// `value.subject.name.strategy`.
    pub value_strategy: SubjectNameStrategy,
    /// `latest.cache.ttl.sec` (-1: forever).
    pub latest_cache_ttl_secs: i64,
    /// `normalize.schemas`.
    pub normalize_schemas: bool,
    /// PEM file of trusted certificates for `https://` registries.
    pub truststore: Option<PathBuf>,
    /// PEM file with the client certificate chain and its private key.
    pub keystore: Option<PathBuf>,
    /// Timeout of one request.
    pub request_timeout_ms: u64,
}

impl SchemaRegistryConfig {
    /// The keys, as Confluent defines them.
    pub fn config_def() -> ConfigDef {
        let strategy = |name: &str| {
            ConfigKey::new(name, ConfigType::Class)
                .default_value(SubjectNameStrategy::TopicName.class_name())
                .validator(Validator::custom(|v| {
                    let class = v.to_string();
                    SubjectNameStrategy::from_class(&class).map(|_| ()).ok_or_else(|| {
                        "unknown subject name strategy; Ferry supports io.confluent.kafka.serializers.subject.TopicNameStrategy, RecordNameStrategy and TopicRecordNameStrategy".to_string()
                    })
                }))
                .importance(Importance::Medium)
                .doc("How the subject a schema is registered under is named.")
        };
        ConfigDef::new()
            .define(
                ConfigKey::new(URL_CONFIG, ConfigType::List)
                    .required()
                    .importance(Importance::High)
                    .doc("Comma-separated URLs of the Schema Registry."),
            )
            .define(
                ConfigKey::new(AUTO_REGISTER_CONFIG, ConfigType::Boolean)
                    .default_value("true")
                    .importance(Importance::Medium)
                    .doc("Register a schema the registry does not know yet when serializing."),
            )
            .define(
                ConfigKey::new(USE_LATEST_VERSION_CONFIG, ConfigType::Boolean)
                    .default_value("false")
                    .importance(Importance::Low)
                    .doc("Serialize with the subject's latest schema (with auto.register.schemas=false)."),
            )
            .define(
                ConfigKey::new(LATEST_COMPATIBILITY_STRICT_CONFIG, ConfigType::Boolean)
                    .default_value("true")
                    .importance(Importance::Low)
                    .doc("With use.latest.version, refuse a record whose schema the latest version is not backward compatible with."),
            )
            .define(strategy(KEY_STRATEGY_CONFIG))
            .define(strategy(VALUE_STRATEGY_CONFIG))
            .define(
                ConfigKey::new(BASIC_AUTH_SOURCE_CONFIG, ConfigType::String)
                    .default_value("URL")
                    .validator(Validator::one_of(["URL", "USER_INFO", "SASL_INHERIT"]))
                    .importance(Importance::Medium)
                    .doc("Where HTTP Basic credentials come from: URL (user info in the URL) or USER_INFO (basic.auth.user.info)."),
            )
            .define(
                ConfigKey::new(BASIC_AUTH_USER_INFO_CONFIG, ConfigType::Password)
                    .default_value("")
                    .importance(Importance::Medium)
                    .doc("`user:password` for basic.auth.credentials.source=USER_INFO."),
            )
            .define(
                ConfigKey::new(LEGACY_USER_INFO_CONFIG, ConfigType::Password)
                    .default_value("")
                    .importance(Importance::Low)
                    .doc("Deprecated name of basic.auth.user.info."),
            )
            .define(
                ConfigKey::new(BEARER_AUTH_SOURCE_CONFIG, ConfigType::String)
                    .default_value("STATIC_TOKEN")
                    .importance(Importance::Medium)
                    .doc("Where the bearer token comes from: STATIC_TOKEN (bearer.auth.token)."),
            )
            .define(
                ConfigKey::new(BEARER_AUTH_TOKEN_CONFIG, ConfigType::Password)
                    .default_value("")
                    .importance(Importance::Medium)
                    .doc("The bearer token, with bearer.auth.credentials.source=STATIC_TOKEN."),
            )
            .define(
                ConfigKey::new(MAX_SCHEMAS_PER_SUBJECT_CONFIG, ConfigType::Int)
                    .default_value("1000")
                    .validator(Validator::at_least(1.0))
                    .importance(Importance::Low)
                    .doc("Accepted for compatibility; Ferry's caches hold every schema seen."),
            )
            .define(
                ConfigKey::new(LATEST_CACHE_TTL_CONFIG, ConfigType::Long)
                    .default_value("-1")
                    .importance(Importance::Low)
                    .doc("Seconds the latest version of a subject is cached (-1: for ever)."),
            )
            .define(
                ConfigKey::new(NORMALIZE_SCHEMAS_CONFIG, ConfigType::Boolean)
                    .default_value("false")
                    .importance(Importance::Low)
                    .doc("Ask the registry to normalize schemas when registering and looking them up."),
            )
            .define(
                ConfigKey::new(TRUSTSTORE_LOCATION_CONFIG, ConfigType::String)
                    .default_value("")
                    .importance(Importance::Medium)
                    .doc("Trusted certificates for an https:// registry (a PEM file)."),
            )
            .define(
                ConfigKey::new(TRUSTSTORE_TYPE_CONFIG, ConfigType::String)
                    .default_value("PEM")
                    .importance(Importance::Low)
                    .doc("Format of the trust store: PEM."),
            )
            .define(
                ConfigKey::new(TRUSTSTORE_PASSWORD_CONFIG, ConfigType::Password)
                    .default_value("")
                    .importance(Importance::Low)
                    .doc("Not needed for PEM trust stores."),
            )
            .define(
                ConfigKey::new(KEYSTORE_LOCATION_CONFIG, ConfigType::String)
                    .default_value("")
                    .importance(Importance::Medium)
                    .doc("Client certificate and key for mutual TLS (a PEM file holding both)."),
            )
            .define(
                ConfigKey::new(KEYSTORE_TYPE_CONFIG, ConfigType::String)
                    .default_value("PEM")
                    .importance(Importance::Low)
                    .doc("Format of the key store: PEM."),
            )
            .define(
                ConfigKey::new(KEYSTORE_PASSWORD_CONFIG, ConfigType::Password)
                    .default_value("")
                    .importance(Importance::Low)
                    .doc("Not needed for PEM key stores."),
            )
            .define(
                ConfigKey::new(KEY_PASSWORD_CONFIG, ConfigType::Password)
                    .default_value("")
                    .importance(Importance::Low)
                    .doc("Encrypted private keys are not supported: leave empty."),
            )
            .define(
                ConfigKey::new(REQUEST_TIMEOUT_CONFIG, ConfigType::Long)
                    .default_value("30000")
                    .validator(Validator::at_least(1.0))
                    .importance(Importance::Low)
                    .doc("Timeout of one request to the registry, in ms."),
            )
    }

    /// Reads the settings; every problem is reported, naming its key.
    pub fn from_props(props: &PropertyMap) -> Result<Self, ConfigErrors> {
        let parsed = Self::config_def().parse(props)?;
        let mut errors = ConfigErrors::default();
        let mut credentials = Credentials::None;
        let mut urls = Vec::new();
        let mut url_user_info = None;
        for raw in parsed.list(URL_CONFIG) {
            match split_user_info(raw) {
                Ok((url, info)) => {
                    if info.is_some() && url_user_info.is_none() {
                        url_user_info = info;
                    }
                    urls.push(url);
                }
                Err(reason) => errors.push(ConfigError::new(URL_CONFIG, Some(raw), reason)),
            }
        }
        if urls.is_empty() && errors.is_empty() {
            errors.push(ConfigError::new(
                URL_CONFIG,
                None,
                "needs at least one URL, e.g. http://localhost:8081",
            ));
        }
        let secret = |key: &str| {
            parsed
                .password(key)
                .filter(|p| !p.expose().is_empty())
                .cloned()
        };
        match parsed.string(BASIC_AUTH_SOURCE_CONFIG).unwrap_or("URL") {
            "USER_INFO" => match secret(BASIC_AUTH_USER_INFO_CONFIG)
                .or_else(|| secret(LEGACY_USER_INFO_CONFIG))
            {
                Some(info) if info.expose().contains(':') => credentials = Credentials::Basic(info),
                Some(_) => errors.push(ConfigError::new(
                    BASIC_AUTH_USER_INFO_CONFIG,
                    None,
                    "must be user:password",
                )),
                None => errors.push(ConfigError::new(
                    BASIC_AUTH_USER_INFO_CONFIG,
                    None,
                    "is required with basic.auth.credentials.source=USER_INFO",
                )),
            },
            "SASL_INHERIT" => errors.push(ConfigError::new(
                BASIC_AUTH_SOURCE_CONFIG,
                Some("SASL_INHERIT"),
                "SASL_INHERIT is not supported; use USER_INFO with basic.auth.user.info",
            )),
            _ => {
                if let Some(info) = url_user_info {
                    credentials = Credentials::Basic(Password::new(info));
                }
            }
        }
        if let Some(token) = secret(BEARER_AUTH_TOKEN_CONFIG) {
            match parsed.string(BEARER_AUTH_SOURCE_CONFIG).unwrap_or("") {
                "STATIC_TOKEN" => credentials = Credentials::Bearer(token),
                other => errors.push(ConfigError::new(
                    BEARER_AUTH_SOURCE_CONFIG,
                    Some(other),
                    "only STATIC_TOKEN is supported",
                )),
            }
        }
        let pem_file = |location: &str, kind: &str, errors: &mut ConfigErrors| {
            let path = parsed.string(location).filter(|p| !p.is_empty())?;
            let kind_value = parsed.string(kind).unwrap_or("PEM");
            if !kind_value.eq_ignore_ascii_case("PEM") {
                errors.push(ConfigError::new(
                    kind,
                    Some(kind_value),
                    format!(
                        "only PEM files are supported; convert with `keytool -importkeystore -srckeystore {path} -destkeystore store.p12 -deststoretype PKCS12` then `openssl pkcs12 -in store.p12 -nodes -out store.pem`, and set {kind}=PEM"
                    ),
                ));
                return None;
            }
            let path = PathBuf::from(path);
            if !path.is_file() {
                errors.push(ConfigError::new(location, path.to_str(), "no such file"));
                return None;
            }
            Some(path)
        };
        let truststore = pem_file(
            TRUSTSTORE_LOCATION_CONFIG,
            TRUSTSTORE_TYPE_CONFIG,
            &mut errors,
        );
        let keystore = pem_file(KEYSTORE_LOCATION_CONFIG, KEYSTORE_TYPE_CONFIG, &mut errors);
        if secret(KEY_PASSWORD_CONFIG).is_some() {
            errors.push(ConfigError::new(
                KEY_PASSWORD_CONFIG,
                None,
                "encrypted private keys are not supported; decrypt the key (`openssl pkey -in key.pem -out plain.pem`) and leave this empty",
            ));
        }
        let strategy = |key: &str| {
            parsed
                .get(key)
                .and_then(|v| SubjectNameStrategy::from_class(&v.to_string()))
                .unwrap_or_default()
        };
        let config = SchemaRegistryConfig {
            urls,
            credentials,
            auto_register: parsed.boolean(AUTO_REGISTER_CONFIG).unwrap_or(true),
            use_latest_version: parsed.boolean(USE_LATEST_VERSION_CONFIG).unwrap_or(false),
            latest_compatibility_strict: parsed
                .boolean(LATEST_COMPATIBILITY_STRICT_CONFIG)
                .unwrap_or(true),
            key_strategy: strategy(KEY_STRATEGY_CONFIG),
            value_strategy: strategy(VALUE_STRATEGY_CONFIG),
            latest_cache_ttl_secs: parsed.long(LATEST_CACHE_TTL_CONFIG).unwrap_or(-1),
            normalize_schemas: parsed.boolean(NORMALIZE_SCHEMAS_CONFIG).unwrap_or(false),
            truststore,
            keystore,
            request_timeout_ms: parsed
                .long(REQUEST_TIMEOUT_CONFIG)
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(30_000),
        };
        errors.into_result().map(|()| config)
    }

    /// The subject strategy of keys or values.
    pub fn strategy(&self, is_key: bool) -> SubjectNameStrategy {
        if is_key {
            self.key_strategy
        } else {
            self.value_strategy
        }
    }
}

/// A URL without its user info (`http://user:pw@host` → `http://host`),
/// and the user info; refuses what is not an http(s) URL.
fn split_user_info(raw: &str) -> Result<(String, Option<String>), String> {
    let raw = raw.trim().trim_end_matches('/');
    let (scheme, rest) = raw
        .split_once("://")
        .filter(|(s, _)| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
        .ok_or_else(|| "is not an http:// or https:// URL".to_string())?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err("has no host".into());
    }
    match authority.rsplit_once('@') {
        Some((info, host)) => Ok((format!("{scheme}://{host}{path}"), Some(info.to_string()))),
        None => Ok((format!("{scheme}://{authority}{path}"), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    #[test]
    fn defaults_are_confluents() {
        let c = SchemaRegistryConfig::from_props(&property_map([(
            URL_CONFIG,
            "http://r1:8081, http://r2:8081/",
        )]))
        .unwrap();
        assert_eq!(c.urls, ["http://r1:8081", "http://r2:8081"]);
        assert!(c.auto_register && !c.use_latest_version && c.latest_compatibility_strict);
        assert_eq!(c.key_strategy, SubjectNameStrategy::TopicName);
        assert_eq!(c.credentials, Credentials::None);
        assert_eq!(c.latest_cache_ttl_secs, -1);
    }

    #[test]
    fn credentials_come_from_the_url_or_user_info_and_stay_hidden() {
        let c = SchemaRegistryConfig::from_props(&property_map([(
            URL_CONFIG,
            "https://me:s3cret@registry:8081",
        )]))
        .unwrap();
        assert_eq!(c.urls, ["https://registry:8081"]);
        assert_eq!(
            c.credentials,
            Credentials::Basic(Password::new("me:s3cret"))
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        let c = SchemaRegistryConfig::from_props(&property_map([
            (URL_CONFIG, "http://registry:8081"),
            (BASIC_AUTH_SOURCE_CONFIG, "USER_INFO"),
            (BASIC_AUTH_USER_INFO_CONFIG, "u:p"),
        ]))
        .unwrap();
        assert_eq!(c.credentials, Credentials::Basic(Password::new("u:p")));
        let c = SchemaRegistryConfig::from_props(&property_map([
            (URL_CONFIG, "http://registry:8081"),
            (BEARER_AUTH_TOKEN_CONFIG, "tok"),
        ]))
        .unwrap();
        assert_eq!(c.credentials, Credentials::Bearer(Password::new("tok")));
    }

    #[test]
    fn every_bad_setting_is_named() {
        let errors = SchemaRegistryConfig::from_props(&property_map([
            (URL_CONFIG, "registry:8081"),
            (BASIC_AUTH_SOURCE_CONFIG, "USER_INFO"),
            (VALUE_STRATEGY_CONFIG, "com.example.Mine"),
            (TRUSTSTORE_LOCATION_CONFIG, "/nope/trust.jks"),
            (TRUSTSTORE_TYPE_CONFIG, "JKS"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert!(keys.contains(&VALUE_STRATEGY_CONFIG), "{keys:?}");
        let errors = SchemaRegistryConfig::from_props(&property_map([
            (URL_CONFIG, "registry:8081"),
            (BASIC_AUTH_SOURCE_CONFIG, "USER_INFO"),
            (TRUSTSTORE_LOCATION_CONFIG, "/nope/trust.jks"),
            (TRUSTSTORE_TYPE_CONFIG, "JKS"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                URL_CONFIG,
                BASIC_AUTH_USER_INFO_CONFIG,
                TRUSTSTORE_TYPE_CONFIG
            ],
            "{errors:?}"
        );
        let missing = SchemaRegistryConfig::from_props(&PropertyMap::new()).unwrap_err();
        assert_eq!(missing.iter().next().unwrap().key, URL_CONFIG);
    }
}
