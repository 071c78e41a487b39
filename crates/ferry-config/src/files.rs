//! Loading worker and connector config files, as Kafka Connect's
//! `ConnectStandalone` does.
//!
//! - A worker file is a `.properties` file.
//! - A connector file is either a `.properties` file, a flat JSON map of
//!   config keys to values, or a JSON `CreateConnectorRequest`
//!   (`{"name": "...", "config": {...}, "initial_state": "..."}`), which is
//!   what `POST /connectors` takes. A file is JSON if its name ends in `.json`
//!   or its first non-whitespace character is `{`.
//!
//! JSON numbers and booleans become their text as written (`10` → `"10"`,
//! `true` → `"true"`), as Jackson's coercion into `Map<String, String>` does;
//! a `null` value leaves the key unset; an object or array is an error naming
//! the key.
//!
//! Text files are read as UTF-8. A file that is not valid UTF-8 is read as
//! ISO-8859-1, which is what Java's `Properties.load(InputStream)` (and so
//! Kafka Connect) does for every file.

use crate::error::ConfigLoadError;
use crate::properties::parse_properties;
use ferry_api::PropertyMap;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The config key naming a connector.
pub const NAME_CONFIG: &str = "name";

/// The state a connector created from a file starts in (KIP-980
/// `initial_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    /// Start the connector and its tasks (the default).
    Running,
    /// Create the connector and its tasks, paused.
    Paused,
    /// Create the connector without starting any tasks.
    Stopped,
}

impl InitialState {
    /// Parses `RUNNING`, `PAUSED` or `STOPPED`, ignoring case, as Kafka does.
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_uppercase().as_str() {
            "RUNNING" => Some(InitialState::Running),
            "PAUSED" => Some(InitialState::Paused),
            "STOPPED" => Some(InitialState::Stopped),
            _ => None,
        }
    }
}

impl fmt::Display for InitialState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InitialState::Running => "RUNNING",
            InitialState::Paused => "PAUSED",
            InitialState::Stopped => "STOPPED",
        })
    }
}

/// A connector definition read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorFile {
    /// The connector's name; always equal to `config["name"]`.
    pub name: String,
    /// The connector's config, `name` included.
    pub config: PropertyMap,
    /// `initial_state` of a JSON `CreateConnectorRequest`, if given.
    pub initial_state: Option<InitialState>,
}

/// Loads a worker config file (`.properties`).
pub fn load_worker_file(path: impl AsRef<Path>) -> Result<PropertyMap, ConfigLoadError> {
    let path = path.as_ref();
    let text = read_text(path)?;
    parse_properties(&text).map_err(|source| ConfigLoadError::Properties {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads a connector config file (`.properties`, flat JSON map or JSON
/// `CreateConnectorRequest`) and returns its config, `name` included.
pub fn load_connector_file(path: impl AsRef<Path>) -> Result<PropertyMap, ConfigLoadError> {
    load_connector_definition(path).map(|file| file.config)
}

/// Loads a connector config file like [`load_connector_file`], keeping the
/// `initial_state` of a JSON `CreateConnectorRequest`.
pub fn load_connector_definition(path: impl AsRef<Path>) -> Result<ConnectorFile, ConfigLoadError> {
    let path = path.as_ref();
    let text = read_text(path)?;
    parse_connector_file(path, &text)
}

/// Parses the contents of a connector file; `path` tells the format (by its
/// extension) and names the file in errors.
pub fn parse_connector_file(path: &Path, text: &str) -> Result<ConnectorFile, ConfigLoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (config, initial_state) = if is_json(path, text) {
        parse_json_connector(path, text)?
    } else {
        let config = parse_properties(text).map_err(|source| ConfigLoadError::Properties {
            path: path.to_path_buf(),
            source,
        })?;
        (config, None)
    };
    let name = match config.get(NAME_CONFIG) {
        Some(name) if !name.trim().is_empty() => name.clone(),
        _ => {
            return Err(ConfigLoadError::MissingConnectorName {
                path: path.to_path_buf(),
            })
        }
    };
    Ok(ConnectorFile {
        name,
        config,
        initial_state,
    })
}

fn read_text(path: &Path) -> Result<String, ConfigLoadError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigLoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            tracing::warn!(
                path = %path.display(),
                "config file is not valid UTF-8; reading it as ISO-8859-1 as Kafka Connect does"
            );
            Ok(err.into_bytes().iter().map(|&b| char::from(b)).collect())
        }
    }
}

fn is_json(path: &Path, text: &str) -> bool {
    let by_extension = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    by_extension || text.trim_start().starts_with('{')
}

type RawObject = BTreeMap<String, Box<RawValue>>;

fn parse_json_connector(
    path: &Path,
    text: &str,
) -> Result<(PropertyMap, Option<InitialState>), ConfigLoadError> {
    let json_err = |source| ConfigLoadError::Json {
        path: path.to_path_buf(),
        source,
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(json_err)?;
    if !value.is_object() {
        return Err(ConfigLoadError::JsonNotObject {
            path: path.to_path_buf(),
        });
    }
    let top: RawObject = serde_json::from_str(text).map_err(json_err)?;

    let is_request = top
        .get("config")
        .is_some_and(|raw| raw.get().trim_start().starts_with('{'));
    if !is_request {
        return Ok((flatten(path, &top)?, None));
    }

    // A CreateConnectorRequest; unknown top-level fields are ignored, as
    // Kafka's ObjectMapper is told to.
    let config_obj: RawObject = serde_json::from_str(top["config"].get()).map_err(json_err)?;
    let mut config = flatten(path, &config_obj)?;
    let name = match top.get(NAME_CONFIG) {
        Some(raw) => scalar(path, NAME_CONFIG, raw)?,
        None => None,
    };
    match (name, config.get(NAME_CONFIG)) {
        (Some(name), Some(config_name)) if &name != config_name => {
            return Err(ConfigLoadError::ConnectorNameMismatch {
                path: path.to_path_buf(),
                name,
                config_name: config_name.clone(),
            })
        }
        (Some(name), None) => {
            config.insert(NAME_CONFIG.to_string(), name);
        }
        _ => {}
    }
    let initial_state = match top.get("initial_state") {
        Some(raw) => match scalar(path, "initial_state", raw)? {
            Some(value) => Some(InitialState::parse(&value).ok_or_else(|| {
                ConfigLoadError::InvalidInitialState {
                    path: path.to_path_buf(),
                    value,
                }
            })?),
            None => None,
        },
        None => None,
    };
    Ok((config, initial_state))
}

/// Turns a JSON object of scalars into a property map.
fn flatten(path: &Path, object: &RawObject) -> Result<PropertyMap, ConfigLoadError> {
    let mut map = PropertyMap::new();
    for (key, raw) in object {
        if let Some(value) = scalar(path, key, raw)? {
            map.insert(key.clone(), value);
        }
    }
    Ok(map)
}

/// The string form of a JSON scalar (numbers as written), `None` for null.
fn scalar(path: &Path, key: &str, raw: &RawValue) -> Result<Option<String>, ConfigLoadError> {
    let text = raw.get().trim();
    let nested = |kind| ConfigLoadError::JsonNestedValue {
        path: path.to_path_buf(),
        key: key.to_string(),
        kind,
    };
    match text.as_bytes().first() {
        Some(b'{') => Err(nested("object")),
        Some(b'[') => Err(nested("array")),
        Some(b'"') => {
            let value: String =
                serde_json::from_str(text).map_err(|source| ConfigLoadError::Json {
                    path: path.to_path_buf(),
                    source,
                })?;
            Ok(Some(value))
        }
        Some(b'n') => Ok(None),
        // true, false, or a number: keep the text as written.
        _ => Ok(Some(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;
    use std::io::Write;
    use std::path::PathBuf;

    fn write(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(contents)
            .unwrap();
        path
    }

    #[test]
    fn worker_file_is_properties() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "worker.properties",
            b"bootstrap.servers=localhost:9092\n# c\noffset.flush.interval.ms = 10000\n",
        );
        let props = load_worker_file(&path).unwrap();
        assert_eq!(
            props,
            property_map([
                ("bootstrap.servers", "localhost:9092"),
                ("offset.flush.interval.ms", "10000")
            ])
        );
    }

    #[test]
    fn missing_worker_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.properties");
        let err = load_worker_file(&path).unwrap_err();
        assert!(matches!(err, ConfigLoadError::Io { .. }));
        let msg = err.to_string();
        assert!(msg.contains("nope.properties"), "{msg}");
    }

    #[test]
    fn malformed_worker_file_names_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "w.properties", b"a=1\nb=\\uXYZ1\n");
        let msg = load_worker_file(&path).unwrap_err().to_string();
        assert!(
            msg.contains("w.properties") && msg.contains("line 2"),
            "{msg}"
        );
    }

    #[test]
    fn latin1_file_is_read_as_iso_8859_1() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "w.properties", b"greeting=gr\xfc\xdfe\n");
        assert_eq!(load_worker_file(&path).unwrap()["greeting"], "grüße");
    }

    #[test]
    fn connector_properties_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "sink.properties",
            b"name=local-file-sink\nconnector.class=FileStreamSink\ntasks.max=1\nfile=/tmp/out.txt\ntopics=connect-test\n",
        );
        let file = load_connector_definition(&path).unwrap();
        assert_eq!(file.name, "local-file-sink");
        assert_eq!(file.config.len(), 5);
        assert_eq!(file.initial_state, None);
        assert_eq!(load_connector_file(&path).unwrap(), file.config);
    }

    #[test]
    fn connector_flat_json_map_with_scalars() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "sink.json",
            br#"{"name": "s3", "connector.class": "S3SinkConnector", "tasks.max": 4,
                 "flush.size": 1e3, "rotate": 0.50, "schemas.enable": false, "dropped": null}"#,
        );
        let config = load_connector_file(&path).unwrap();
        assert_eq!(
            config,
            property_map([
                ("name", "s3"),
                ("connector.class", "S3SinkConnector"),
                ("tasks.max", "4"),
                ("flush.size", "1e3"),
                ("rotate", "0.50"),
                ("schemas.enable", "false"),
            ])
        );
    }

    #[test]
    fn connector_create_request_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "sink.json",
            br#"{"name": "s3", "config": {"connector.class": "S3SinkConnector", "tasks.max": 2},
                 "initial_state": "paused", "extra": [1, 2]}"#,
        );
        let file = load_connector_definition(&path).unwrap();
        assert_eq!(file.name, "s3");
        assert_eq!(
            file.config,
            property_map([
                ("name", "s3"),
                ("connector.class", "S3SinkConnector"),
                ("tasks.max", "2")
            ])
        );
        assert_eq!(file.initial_state, Some(InitialState::Paused));
    }

    #[test]
    fn create_request_with_matching_name_in_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "c.json",
            br#"{"name": "a", "config": {"name": "a", "connector.class": "X"}}"#,
        );
        assert_eq!(load_connector_file(&path).unwrap()["name"], "a");
    }

    #[test]
    fn create_request_with_only_config_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "c.json", br#"{"config": {"name": "a"}}"#);
        assert_eq!(load_connector_file(&path).unwrap()["name"], "a");
    }

    #[test]
    fn create_request_name_mismatch_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "c.json", br#"{"name": "a", "config": {"name": "b"}}"#);
        let err = load_connector_file(&path).unwrap_err();
        assert!(matches!(err, ConfigLoadError::ConnectorNameMismatch { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("\"a\"") && msg.contains("\"b\"") && msg.contains("c.json"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_initial_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "c.json",
            br#"{"name": "a", "config": {}, "initial_state": "SLEEPING"}"#,
        );
        let msg = load_connector_file(&path).unwrap_err().to_string();
        assert!(msg.contains("SLEEPING") && msg.contains("RUNNING"), "{msg}");
    }

    #[test]
    fn nested_value_is_an_error_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "c.json",
            br#"{"name": "a", "config": {"transforms": {"a": 1}}}"#,
        );
        let err = load_connector_file(&path).unwrap_err();
        match &err {
            ConfigLoadError::JsonNestedValue { key, kind, .. } => {
                assert_eq!(key, "transforms");
                assert_eq!(*kind, "object");
            }
            other => panic!("unexpected {other:?}"),
        }
        let path = write(&dir, "flat.json", br#"{"name": "a", "topics": ["x", "y"]}"#);
        let msg = load_connector_file(&path).unwrap_err().to_string();
        assert!(msg.contains("topics") && msg.contains("array"), "{msg}");
    }

    #[test]
    fn json_detected_by_first_character_without_extension() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "connector.conf", b"\n  {\"name\": \"x\", \"a\": 1}");
        assert_eq!(
            load_connector_file(&path).unwrap(),
            property_map([("name", "x"), ("a", "1")])
        );
    }

    #[test]
    fn json_extension_is_case_insensitive() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "C.JSON", b"not json");
        assert!(matches!(
            load_connector_file(&path).unwrap_err(),
            ConfigLoadError::Json { .. }
        ));
    }

    #[test]
    fn invalid_json_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "bad.json", b"{\"name\": \"x\",}");
        let msg = load_connector_file(&path).unwrap_err().to_string();
        assert!(
            msg.contains("bad.json") && msg.contains("not valid JSON"),
            "{msg}"
        );
    }

    #[test]
    fn json_that_is_not_an_object_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "list.json", b"[1, 2]");
        assert!(matches!(
            load_connector_file(&path).unwrap_err(),
            ConfigLoadError::JsonNotObject { .. }
        ));
    }

    #[test]
    fn connector_without_name_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        for (file, text) in [
            ("a.properties", &b"connector.class=X\n"[..]),
            ("b.json", &br#"{"connector.class": "X"}"#[..]),
            ("c.json", &br#"{"config": {"connector.class": "X"}}"#[..]),
            ("d.properties", &b"name=\n"[..]),
        ] {
            let path = write(&dir, file, text);
            let err = load_connector_file(&path).unwrap_err();
            assert!(
                matches!(err, ConfigLoadError::MissingConnectorName { .. }),
                "{file}: {err:?}"
            );
        }
    }

    #[test]
    fn config_that_is_a_string_means_flat_map() {
        // Like Kafka, a non-object "config" is just another flat key.
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "c.json", br#"{"name": "a", "config": "x"}"#);
        assert_eq!(
            load_connector_file(&path).unwrap(),
            property_map([("name", "a"), ("config", "x")])
        );
    }

    #[test]
    fn json_string_escapes_are_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "c.json", br#"{"name": "a\u00e9\n", "k": "\"q\""}"#);
        let config = load_connector_file(&path).unwrap();
        assert_eq!(config["name"], "aé\n");
        assert_eq!(config["k"], "\"q\"");
    }
}
