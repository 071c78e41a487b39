//! Kafka config providers: `${provider:[path:]key}` references in config
//! values, resolved from files, directories and environment variables.
//!
//! Declared in the worker config as Kafka does:
//!
//! ```properties
//! config.providers=file,dir,env
//! config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
//! config.providers.file.param.allowed.paths=/etc/kafka/secrets
//! config.providers.dir.class=DirectoryConfigProvider
//! config.providers.env.class=EnvVarConfigProvider
//! config.providers.env.param.allowlist.pattern=^CONNECT_
//! ```
//!
//! and used in worker or connector values:
//!
//! ```properties
//! database.password=${file:/etc/kafka/secrets/db.properties:password}
//! aws.secret.access.key=${dir:/var/run/secrets/aws:secret-key}
//! sasl.jaas.config=... password="${env:CONNECT_SASL_PASSWORD}";
//! ```
//!
//! | class | `path` | `key` | parameters |
//! |---|---|---|---|
//! | `FileConfigProvider` | a `.properties` file (UTF-8) | a property in it | `allowed.paths` |
//! | `DirectoryConfigProvider` | a directory | a file name in it; the value is the file's whole content, not trimmed | `allowed.paths` |
//! | `EnvVarConfigProvider` | none (`${env:NAME}`) | a variable name | `allowlist.pattern` (a regex that must be found in the name) |
//!
//! `allowed.paths` is a comma-separated list of absolute, existing paths; a
//! requested path is allowed when, normalized (`.` and `..` removed, without
//! following links), it lies below one of them component by component.
//!
//! Substitution is one pass over every value, not recursive: a value that a
//! provider returns is never scanned for references itself. Unlike Kafka,
//! which silently leaves a reference it cannot resolve in place, Ferry
//! refuses the config and reports every unresolvable reference at once,
//! naming the config key, the reference and the reason. Resolved values
//! never appear in an error.

use crate::error::{ConfigLoadError, ProviderError};
use crate::properties::parse_properties;
use ferry_api::{ConfigError, ConfigErrors, PropertyMap};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, LazyLock};

/// The worker key listing provider aliases.
pub const CONFIG_PROVIDERS_CONFIG: &str = "config.providers";

/// Kafka's `ConfigTransformer.DEFAULT_PATTERN`: `${provider:[path:]key}`.
pub const REFERENCE_PATTERN: &str = r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}";

static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(REFERENCE_PATTERN).expect("the reference pattern is valid"));

const PROVIDER_PACKAGE: &str = "org.apache.kafka.common.config.provider.";

/// One `${provider:[path:]key}` reference found in a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference<'a> {
    /// The whole reference, `${...}` included.
    pub text: &'a str,
    /// The provider alias.
    pub provider: &'a str,
    /// The path, empty when the reference has none.
    pub path: &'a str,
    /// The key.
    pub key: &'a str,
}

/// The references in a value, in order.
pub fn references(value: &str) -> Vec<Reference<'_>> {
    REFERENCE
        .captures_iter(value)
        .map(|caps| Reference {
            text: caps.get(0).map_or("", |m| m.as_str()),
            provider: caps.get(1).map_or("", |m| m.as_str()),
            path: caps.get(3).map_or("", |m| m.as_str()),
            key: caps.get(4).map_or("", |m| m.as_str()),
        })
        .collect()
}

/// Whether a worker key configures the providers themselves
/// (`config.providers` and `config.providers.*`); such keys are never resolved.
pub fn is_config_provider_key(key: &str) -> bool {
    key == CONFIG_PROVIDERS_CONFIG
        || key
            .strip_prefix(CONFIG_PROVIDERS_CONFIG)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// A source of config values, as Kafka's `ConfigProvider`.
pub trait ConfigProvider: fmt::Debug + Send + Sync {
    /// The values of `keys` under `path`. Keys the provider does not have are
    /// left out of the result (and reported through
    /// [`ConfigProvider::missing_key`]); an error fails every key under `path`.
    fn get(
        &self,
        path: &str,
        keys: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, ProviderError>;

    /// Why `key` under `path` was not returned by [`ConfigProvider::get`].
    fn missing_key(&self, path: &str, key: &str) -> ProviderError {
        ProviderError::KeyNotFound {
            path: path.to_string(),
            key: key.to_string(),
        }
    }
}

/// What one (provider, path) lookup gave: the values found, or why none.
type Lookup = Result<BTreeMap<String, String>, String>;

/// The config providers a worker declared, by alias.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Arc<dyn ConfigProvider>>,
}

impl ConfigProviders {
    /// No providers: any reference is an error.
    pub fn new() -> Self {
        Self::default()
    }

    /// The providers declared by `config.providers`,
    /// `config.providers.<alias>.class` and
    /// `config.providers.<alias>.param.<name>` in a worker config.
    pub fn from_worker_props(worker: &PropertyMap) -> Result<Self, ConfigLoadError> {
        let mut providers = ConfigProviders::new();
        let Some(list) = worker.get(CONFIG_PROVIDERS_CONFIG) else {
            return Ok(providers);
        };
        for alias in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let class_key = format!("{CONFIG_PROVIDERS_CONFIG}.{alias}.class");
            let class = worker
                .get(&class_key)
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .ok_or_else(|| ConfigLoadError::ConfigProviderClassMissing {
                    alias: alias.to_string(),
                })?;
            let param_prefix = format!("{CONFIG_PROVIDERS_CONFIG}.{alias}.param.");
            let params: BTreeMap<&str, &str> = worker
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(&param_prefix)?, v.as_str())))
                .collect();
            let short = class.strip_prefix(PROVIDER_PACKAGE).unwrap_or(class);
            let provider: Arc<dyn ConfigProvider> = match short {
                "FileConfigProvider" => {
                    check_params(alias, &params, &["allowed.paths"]);
                    Arc::new(FileConfigProvider {
                        allowed: AllowedPaths::from_params(alias, &params)?,
                    })
                }
                "DirectoryConfigProvider" => {
                    check_params(alias, &params, &["allowed.paths"]);
                    Arc::new(DirectoryConfigProvider {
                        allowed: AllowedPaths::from_params(alias, &params)?,
                    })
                }
                "EnvVarConfigProvider" => {
                    check_params(alias, &params, &["allowlist.pattern"]);
                    let pattern = match params.get("allowlist.pattern") {
                        Some(p) => Some(Regex::new(p).map_err(|e| {
                            ConfigLoadError::InvalidConfigProviderParam {
                                alias: alias.to_string(),
                                param: "allowlist.pattern".to_string(),
                                reason: format!("{p:?} is not a valid regular expression: {e}"),
                            }
                        })?),
                        None => None,
                    };
                    Arc::new(EnvVarConfigProvider {
                        pattern,
                        vars: None,
                    })
                }
                _ => {
                    return Err(ConfigLoadError::UnknownConfigProvider {
                        alias: alias.to_string(),
                        class: class.to_string(),
                    })
                }
            };
            providers.insert(alias, provider);
        }
        Ok(providers)
    }

    /// Adds (or replaces) a provider under an alias.
    pub fn insert(&mut self, alias: impl Into<String>, provider: Arc<dyn ConfigProvider>) {
        self.providers.insert(alias.into(), provider);
    }

    /// The declared aliases, sorted.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// Whether no provider is declared.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// Substitutes every reference in every value of `props`, in one
    /// non-recursive pass. On failure, returns every problem: each names the
    /// config key, carries the reference as its value, and says why.
    pub fn resolve(&self, props: &PropertyMap) -> Result<PropertyMap, ConfigErrors> {
        self.resolve_except(props, |_| false)
    }

    /// Resolves a worker config: like [`ConfigProviders::resolve`], except that
    /// the `config.providers*` keys are left as they are, as Kafka does.
    pub fn resolve_worker(&self, worker: &PropertyMap) -> Result<PropertyMap, ConfigErrors> {
        self.resolve_except(worker, is_config_provider_key)
    }

    fn resolve_except(
        &self,
        props: &PropertyMap,
        skip: impl Fn(&str) -> bool,
    ) -> Result<PropertyMap, ConfigErrors> {
        // Gather the keys wanted under each (provider, path), to look each
        // file or directory up once.
        let mut wanted: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
        for (key, value) in props {
            if skip(key) {
                continue;
            }
            for r in references(value) {
                wanted
                    .entry((r.provider, r.path))
                    .or_default()
                    .insert(r.key.to_string());
            }
        }
        if wanted.is_empty() {
            return Ok(props.clone());
        }

        let mut found: BTreeMap<(&str, &str), Lookup> = BTreeMap::new();
        for ((alias, path), keys) in &wanted {
            let result = match self.providers.get(*alias) {
                None => Err(self.unknown_alias(alias)),
                Some(provider) => provider.get(path, keys).map_err(|e| e.to_string()),
            };
            found.insert((alias, path), result);
        }

        let mut errors = ConfigErrors::default();
        let mut resolved = PropertyMap::new();
        for (key, value) in props {
            if skip(key) {
                resolved.insert(key.clone(), value.clone());
                continue;
            }
            let mut out = String::with_capacity(value.len());
            let mut last = 0;
            for caps in REFERENCE.captures_iter(value) {
                let whole = caps.get(0).expect("group 0 always matches");
                out.push_str(&value[last..whole.start()]);
                last = whole.end();
                let alias = caps.get(1).map_or("", |m| m.as_str());
                let path = caps.get(3).map_or("", |m| m.as_str());
                let ref_key = caps.get(4).map_or("", |m| m.as_str());
                let reason = match &found[&(alias, path)] {
                    Err(reason) => reason.clone(),
                    Ok(data) => match data.get(ref_key) {
                        Some(v) => {
                            out.push_str(v);
                            continue;
                        }
                        None => self.providers[alias].missing_key(path, ref_key).to_string(),
                    },
                };
                let error = ConfigError::new(key.clone(), Some(whole.as_str()), reason);
                if !errors.iter().any(|e| e == &error) {
                    errors.push(error);
                }
            }
            out.push_str(&value[last..]);
            resolved.insert(key.clone(), out);
        }
        errors.into_result().map(|()| resolved)
    }

    fn unknown_alias(&self, alias: &str) -> String {
        let declared = if self.providers.is_empty() {
            "no provider is declared".to_string()
        } else {
            format!(
                "declared: {}",
                self.providers
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        format!(
            "unknown config provider {alias:?} ({declared}); declare it in the worker config \
             with config.providers={alias} and config.providers.{alias}.class=<provider class>"
        )
    }
}

fn check_params(alias: &str, params: &BTreeMap<&str, &str>, known: &[&str]) {
    for name in params.keys().filter(|name| !known.contains(name)) {
        tracing::warn!(
            "ignoring config.providers.{alias}.param.{name}: the provider has no such parameter \
             (it knows {})",
            known.join(", ")
        );
    }
}

/// `allowed.paths`: the directories a file or directory provider may read.
#[derive(Debug, Clone)]
struct AllowedPaths {
    paths: Vec<PathBuf>,
}

impl AllowedPaths {
    fn from_params(
        alias: &str,
        params: &BTreeMap<&str, &str>,
    ) -> Result<Option<Self>, ConfigLoadError> {
        let Some(value) = params.get("allowed.paths").filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let mut paths = Vec::new();
        for item in value.split(',') {
            let path = normalize(Path::new(item.trim()));
            if !path.is_absolute() || !path.exists() {
                return Err(ConfigLoadError::InvalidConfigProviderParam {
                    alias: alias.to_string(),
                    param: "allowed.paths".to_string(),
                    reason: format!(
                        "path {} is not valid: each allowed path must be absolute and exist",
                        path.display()
                    ),
                });
            }
            paths.push(path);
        }
        Ok(Some(AllowedPaths { paths }))
    }

    /// The normalized path if it lies below an allowed path.
    fn check(&self, path: &str) -> Result<PathBuf, ProviderError> {
        let normalized = normalize(Path::new(path));
        if self
            .paths
            .iter()
            .any(|allowed| normalized.starts_with(allowed))
        {
            Ok(normalized)
        } else {
            Err(ProviderError::PathNotAllowed {
                path: path.to_string(),
                allowed: self
                    .paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            })
        }
    }
}

/// The path to read, after the `allowed.paths` check if there is one.
fn permitted(allowed: &Option<AllowedPaths>, path: &str) -> Result<PathBuf, ProviderError> {
    match allowed {
        Some(allowed) => allowed.check(path),
        None => Ok(PathBuf::from(path)),
    }
}

/// Lexical normalization as Java's `Path.normalize`: drops `.`, folds `..`
/// into its parent, never touches the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    let mut depth = 0usize; // normal components in `out`
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if depth > 0 {
                    out.pop();
                    depth -= 1;
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            Component::Normal(part) => {
                out.push(part);
                depth += 1;
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `FileConfigProvider`: `${alias:/path/to/file.properties:key}`.
#[derive(Debug, Clone, Default)]
pub struct FileConfigProvider {
    allowed: Option<AllowedPaths>,
}

impl FileConfigProvider {
    /// A provider that may read any file.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ConfigProvider for FileConfigProvider {
    fn get(
        &self,
        path: &str,
        keys: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        if path.is_empty() {
            return Err(ProviderError::PathRequired {
                provider: "file",
                example: "/path/to/file.properties",
            });
        }
        let file = permitted(&self.allowed, path)?;
        let bytes = std::fs::read(&file).map_err(|source| ProviderError::Io {
            path: path.to_string(),
            source,
        })?;
        let mut props = parse_properties(&String::from_utf8_lossy(&bytes)).map_err(|source| {
            ProviderError::Properties {
                path: path.to_string(),
                source,
            }
        })?;
        props.retain(|k, _| keys.contains(k));
        Ok(props)
    }

    fn missing_key(&self, path: &str, key: &str) -> ProviderError {
        ProviderError::KeyNotInFile {
            path: path.to_string(),
            key: key.to_string(),
        }
    }
}

/// `DirectoryConfigProvider`: `${alias:/path/to/dir:file-name}`; the value is
/// the content of the regular file (links followed) `file-name` in the
/// directory, as UTF-8, not trimmed.
#[derive(Debug, Clone, Default)]
pub struct DirectoryConfigProvider {
    allowed: Option<AllowedPaths>,
}

impl DirectoryConfigProvider {
    /// A provider that may read any directory.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ConfigProvider for DirectoryConfigProvider {
    fn get(
        &self,
        path: &str,
        keys: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        if path.is_empty() {
            return Err(ProviderError::PathRequired {
                provider: "directory",
                example: "/path/to/dir",
            });
        }
        let dir = permitted(&self.allowed, path)?;
        if !dir.is_dir() {
            return Err(ProviderError::NotADirectory {
                path: path.to_string(),
            });
        }
        let mut data = BTreeMap::new();
        for key in keys {
            // Only files directly in the directory, as Kafka lists it.
            let plain = !key.is_empty()
                && key != "."
                && key != ".."
                && !key.contains('/')
                && !key.contains(std::path::MAIN_SEPARATOR);
            if !plain {
                continue;
            }
            let file = dir.join(key);
            if !file.is_file() {
                continue;
            }
            let bytes = std::fs::read(&file).map_err(|source| ProviderError::Io {
                path: file.display().to_string(),
                source,
            })?;
            data.insert(key.clone(), String::from_utf8_lossy(&bytes).into_owned());
        }
        Ok(data)
    }

    fn missing_key(&self, path: &str, key: &str) -> ProviderError {
        ProviderError::FileNotInDirectory {
            path: path.to_string(),
            key: key.to_string(),
        }
    }
}

/// `EnvVarConfigProvider`: `${alias:NAME}`, the environment variable `NAME`,
/// if `allowlist.pattern` (when set) is found in the name.
#[derive(Clone, Default)]
pub struct EnvVarConfigProvider {
    pattern: Option<Regex>,
    /// A fixed environment instead of the process's (for tests and embedding).
    vars: Option<BTreeMap<String, String>>,
}

impl EnvVarConfigProvider {
    /// A provider over the process environment, every variable allowed.
    pub fn new() -> Self {
        Self::default()
    }

    /// A provider over a fixed set of variables instead of the process's.
    pub fn with_vars(vars: BTreeMap<String, String>) -> Self {
        EnvVarConfigProvider {
            pattern: None,
            vars: Some(vars),
        }
    }

    /// Only variables whose name contains a match of `pattern` are visible
    /// (Kafka's `allowlist.pattern`; anchor it with `^...$` for a full match).
    pub fn with_allowlist(mut self, pattern: Regex) -> Self {
        self.pattern = Some(pattern);
        self
    }

    fn lookup(&self, name: &str) -> Option<String> {
        match &self.vars {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
        }
    }

    fn allowed(&self, name: &str) -> bool {
        self.pattern.as_ref().is_none_or(|p| p.is_match(name))
    }
}

impl fmt::Debug for EnvVarConfigProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvVarConfigProvider")
            .field("pattern", &self.pattern.as_ref().map(Regex::as_str))
            .field("fixed_vars", &self.vars.as_ref().map(|v| v.len()))
            .finish()
    }
}

impl ConfigProvider for EnvVarConfigProvider {
    fn get(
        &self,
        path: &str,
        keys: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        if !path.is_empty() {
            return Err(ProviderError::PathNotSupported {
                path: path.to_string(),
            });
        }
        Ok(keys
            .iter()
            .filter(|name| self.allowed(name))
            .filter_map(|name| Some((name.clone(), self.lookup(name)?)))
            .collect())
    }

    fn missing_key(&self, _path: &str, key: &str) -> ProviderError {
        match &self.pattern {
            Some(pattern) if !pattern.is_match(key) => ProviderError::EnvVarNotAllowed {
                name: key.to_string(),
                pattern: pattern.as_str().to_string(),
            },
            _ => ProviderError::EnvVarNotSet {
                name: key.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;
    use std::fs;

    /// A temp dir with `secrets.properties` and a `keys/` directory.
    struct Fixture {
        dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            fs::write(
                dir.path().join("secrets.properties"),
                "db.password=s3cr3t-db\napi.key = k-123\n",
            )
            .unwrap();
            fs::create_dir(dir.path().join("keys")).unwrap();
            fs::write(dir.path().join("keys/aws-secret"), "s3cr3t-aws\n").unwrap();
            fs::create_dir(dir.path().join("keys/subdir")).unwrap();
            Fixture { dir }
        }

        fn path(&self, rel: &str) -> String {
            self.dir.path().join(rel).display().to_string()
        }

        fn root(&self) -> String {
            self.dir.path().display().to_string()
        }
    }

    fn all_providers(env: &[(&str, &str)]) -> ConfigProviders {
        let mut p = ConfigProviders::new();
        p.insert("file", Arc::new(FileConfigProvider::new()));
        p.insert("dir", Arc::new(DirectoryConfigProvider::new()));
        let vars = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.insert("env", Arc::new(EnvVarConfigProvider::with_vars(vars)));
        p
    }

    fn errors_of(result: Result<PropertyMap, ConfigErrors>) -> Vec<ConfigError> {
        result.unwrap_err().0
    }

    #[test]
    fn reference_pattern_splits_provider_path_and_key() {
        let refs = references("a ${file:/etc/s.properties:db.password} b ${env:HOME} ${x:/a:b:c}");
        let parts: Vec<_> = refs.iter().map(|r| (r.provider, r.path, r.key)).collect();
        assert_eq!(
            parts,
            vec![
                ("file", "/etc/s.properties", "db.password"),
                ("env", "", "HOME"),
                ("x", "/a", "b:c"),
            ]
        );
        assert_eq!(refs[1].text, "${env:HOME}");
    }

    #[test]
    fn text_without_a_colon_is_not_a_reference() {
        assert!(references("${topic} $HOME ${ ${} plain").is_empty());
    }

    #[test]
    fn no_providers_declared() {
        let providers = ConfigProviders::from_worker_props(&property_map([("a", "b")])).unwrap();
        assert!(providers.is_empty());
        let plain = property_map([("x", "1"), ("y", "$notref")]);
        assert_eq!(providers.resolve(&plain).unwrap(), plain);
    }

    #[test]
    fn from_worker_props_accepts_full_and_short_class_names() {
        let fx = Fixture::new();
        let worker = property_map([
            ("config.providers", " file , dir,env,env2 "),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            ("config.providers.file.param.allowed.paths", &fx.root()),
            ("config.providers.dir.class", "DirectoryConfigProvider"),
            (
                "config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
            ),
            ("config.providers.env2.class", "EnvVarConfigProvider"),
            ("config.providers.env2.param.allowlist.pattern", "^FERRY_"),
        ]);
        let providers = ConfigProviders::from_worker_props(&worker).unwrap();
        assert_eq!(
            providers.aliases().collect::<Vec<_>>(),
            vec!["dir", "env", "env2", "file"]
        );
    }

    #[test]
    fn alias_without_class_is_an_error() {
        let worker = property_map([("config.providers", "file")]);
        let err = ConfigProviders::from_worker_props(&worker).unwrap_err();
        assert!(matches!(
            err,
            ConfigLoadError::ConfigProviderClassMissing { .. }
        ));
        assert!(
            err.to_string().contains("config.providers.file.class"),
            "{err}"
        );
    }

    #[test]
    fn unknown_class_is_an_error() {
        let worker = property_map([
            ("config.providers", "vault"),
            (
                "config.providers.vault.class",
                "io.confluent.csid.config.provider.vault.VaultConfigProvider",
            ),
        ]);
        let err = ConfigProviders::from_worker_props(&worker).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("VaultConfigProvider") && msg.contains("FileConfigProvider"),
            "{msg}"
        );
    }

    #[test]
    fn allowed_paths_must_be_absolute_and_exist() {
        for bad in ["relative/dir", "/definitely/not/here/ferry"] {
            let worker = property_map([
                ("config.providers", "file"),
                ("config.providers.file.class", "FileConfigProvider"),
                ("config.providers.file.param.allowed.paths", bad),
            ]);
            let err = ConfigProviders::from_worker_props(&worker).unwrap_err();
            assert!(
                matches!(err, ConfigLoadError::InvalidConfigProviderParam { ref param, .. } if param == "allowed.paths"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn invalid_allowlist_pattern_is_an_error() {
        let worker = property_map([
            ("config.providers", "env"),
            ("config.providers.env.class", "EnvVarConfigProvider"),
            ("config.providers.env.param.allowlist.pattern", "(unclosed"),
        ]);
        let err = ConfigProviders::from_worker_props(&worker).unwrap_err();
        assert!(err.to_string().contains("allowlist.pattern"), "{err}");
    }

    #[test]
    fn file_provider_resolves_keys() {
        let fx = Fixture::new();
        let file = fx.path("secrets.properties");
        let props = property_map([
            (
                "database.password",
                format!("${{file:{file}:db.password}}").as_str(),
            ),
            (
                "url",
                format!("https://u:${{file:{file}:api.key}}@host/${{file:{file}:api.key}}")
                    .as_str(),
            ),
            ("plain", "value"),
        ]);
        let resolved = all_providers(&[]).resolve(&props).unwrap();
        assert_eq!(resolved["database.password"], "s3cr3t-db");
        assert_eq!(resolved["url"], "https://u:k-123@host/k-123");
        assert_eq!(resolved["plain"], "value");
    }

    #[test]
    fn file_provider_missing_key_and_missing_file() {
        let fx = Fixture::new();
        let file = fx.path("secrets.properties");
        let missing = fx.path("nope.properties");
        let props = property_map([
            ("a", format!("${{file:{file}:no.such.key}}").as_str()),
            ("b", format!("${{file:{missing}:x}}").as_str()),
            ("c", "${file:x}"),
        ]);
        let errors = errors_of(all_providers(&[]).resolve(&props));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors[0].key, "a");
        assert_eq!(
            errors[0].value.as_deref(),
            Some(&*format!("${{file:{file}:no.such.key}}"))
        );
        assert!(
            errors[0].reason.contains("\"no.such.key\" is not defined"),
            "{}",
            errors[0]
        );
        assert_eq!(errors[1].key, "b");
        assert!(
            errors[1].reason.contains("cannot read")
                && errors[1].reason.contains("nope.properties")
        );
        assert_eq!(errors[2].key, "c");
        assert!(errors[2].reason.contains("needs a path"), "{}", errors[2]);
    }

    #[test]
    fn directory_provider_reads_whole_files() {
        let fx = Fixture::new();
        let dir = fx.path("keys");
        let props = property_map([("aws.secret", format!("${{dir:{dir}:aws-secret}}").as_str())]);
        let resolved = all_providers(&[]).resolve(&props).unwrap();
        // Kafka does not trim: the trailing newline stays.
        assert_eq!(resolved["aws.secret"], "s3cr3t-aws\n");
    }

    #[test]
    fn directory_provider_missing_file_subdir_and_nested_key() {
        let fx = Fixture::new();
        let dir = fx.path("keys");
        let file = fx.path("secrets.properties");
        let props = property_map([
            ("a", format!("${{dir:{dir}:nope}}").as_str()),
            ("b", format!("${{dir:{dir}:subdir}}").as_str()),
            (
                "c",
                format!("${{dir:{}:keys/aws-secret}}", fx.root()).as_str(),
            ),
            ("d", format!("${{dir:{file}:x}}").as_str()),
        ]);
        let errors = errors_of(all_providers(&[]).resolve(&props));
        assert_eq!(errors.len(), 4, "{errors:?}");
        for e in &errors[..3] {
            assert!(e.reason.contains("no regular file named"), "{e}");
        }
        assert!(
            errors[3].reason.contains("is not a directory"),
            "{}",
            errors[3]
        );
    }

    #[test]
    fn env_provider_resolves_and_reports_unset_variables() {
        let props = property_map([
            ("user", "${env:FERRY_USER}"),
            ("password", "${env:FERRY_MISSING}"),
            ("with.path", "${env:/x:FERRY_USER}"),
        ]);
        let providers = all_providers(&[("FERRY_USER", "alice")]);
        let errors = errors_of(providers.resolve(&props));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].key, "password");
        assert!(
            errors[0].reason.contains("FERRY_MISSING is not set"),
            "{}",
            errors[0]
        );
        assert_eq!(errors[1].key, "with.path");
        assert!(errors[1].reason.contains("takes no path"), "{}", errors[1]);
        let ok = providers
            .resolve(&property_map([("user", "${env:FERRY_USER}")]))
            .unwrap();
        assert_eq!(ok["user"], "alice");
    }

    #[test]
    fn env_provider_allowlist_pattern() {
        let vars = BTreeMap::from([
            ("CONNECT_PASSWORD".to_string(), "p".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ]);
        let env =
            EnvVarConfigProvider::with_vars(vars).with_allowlist(Regex::new("^CONNECT_").unwrap());
        let mut providers = ConfigProviders::new();
        providers.insert("env", Arc::new(env));
        let resolved = providers
            .resolve(&property_map([("p", "${env:CONNECT_PASSWORD}")]))
            .unwrap();
        assert_eq!(resolved["p"], "p");
        let errors = errors_of(providers.resolve(&property_map([("h", "${env:HOME}")])));
        assert!(
            errors[0].reason.contains("does not match") && errors[0].reason.contains("^CONNECT_")
        );
    }

    #[test]
    fn env_provider_reads_the_process_environment() {
        // A name no other test uses; std serializes its own env access.
        std::env::set_var("FERRY_PROVIDERS_TEST_VAR", "from-process");
        let worker = property_map([
            ("config.providers", "env"),
            ("config.providers.env.class", "EnvVarConfigProvider"),
            (
                "config.providers.env.param.allowlist.pattern",
                "^FERRY_PROVIDERS_",
            ),
        ]);
        let providers = ConfigProviders::from_worker_props(&worker).unwrap();
        let resolved = providers
            .resolve(&property_map([("v", "${env:FERRY_PROVIDERS_TEST_VAR}")]))
            .unwrap();
        assert_eq!(resolved["v"], "from-process");
        let errors = errors_of(providers.resolve(&property_map([("v", "${env:PATH}")])));
        assert!(
            errors[0].reason.contains("allowlist.pattern"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn unknown_alias_is_reported_with_the_declared_ones() {
        let errors = errors_of(
            all_providers(&[]).resolve(&property_map([("k", "x${vault:secret/db:pw}y")])),
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].key, "k");
        assert_eq!(errors[0].value.as_deref(), Some("${vault:secret/db:pw}"));
        let reason = &errors[0].reason;
        assert!(
            reason.contains("\"vault\"") && reason.contains("dir, env, file"),
            "{reason}"
        );
        let errors = errors_of(ConfigProviders::new().resolve(&property_map([("k", "${env:X}")])));
        assert!(
            errors[0].reason.contains("no provider is declared"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once_and_secrets_never_appear() {
        let fx = Fixture::new();
        let file = fx.path("secrets.properties");
        let props = property_map([
            (
                "a",
                format!("${{file:{file}:db.password}}:${{env:NOPE}}").as_str(),
            ),
            ("b", "${nope:x}"),
            (
                "c",
                format!("${{file:{file}:api.key}} ${{file:{file}:missing}}").as_str(),
            ),
            ("d", "${env:NOPE}"),
        ]);
        let err = all_providers(&[]).resolve(&props).unwrap_err();
        let keys: Vec<_> = err.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, vec!["a", "b", "c", "d"]);
        let text = err.to_string();
        for secret in ["s3cr3t-db", "k-123"] {
            assert!(!text.contains(secret), "secret leaked: {text}");
            assert!(
                !format!("{err:?}").contains(secret),
                "secret leaked in Debug"
            );
        }
    }

    #[test]
    fn the_same_failing_reference_twice_in_a_value_is_reported_once() {
        let errors =
            errors_of(all_providers(&[]).resolve(&property_map([("k", "${env:X}/${env:X}")])));
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn substitution_is_not_recursive() {
        let providers = all_providers(&[("A", "${env:B}"), ("B", "deep")]);
        let resolved = providers
            .resolve(&property_map([("k", "${env:A}")]))
            .unwrap();
        assert_eq!(resolved["k"], "${env:B}");
    }

    #[test]
    fn allowed_paths_limit_file_and_directory_providers() {
        let fx = Fixture::new();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("other.properties"), "k=v\n").unwrap();
        let keys_dir = fx.path("keys");
        let worker = property_map([
            ("config.providers", "file,dir"),
            ("config.providers.file.class", "FileConfigProvider"),
            ("config.providers.file.param.allowed.paths", &fx.root()),
            ("config.providers.dir.class", "DirectoryConfigProvider"),
            ("config.providers.dir.param.allowed.paths", &keys_dir),
        ]);
        let providers = ConfigProviders::from_worker_props(&worker).unwrap();
        let inside = fx.path("secrets.properties");
        // Both temp dirs share a parent: hop out of the fixture with `..`.
        let escape = format!(
            "{}/keys/../../{}/other.properties",
            fx.root(),
            outside.path().file_name().unwrap().to_string_lossy()
        );
        let sibling = format!("{}-x/secrets.properties", fx.root());
        let props = property_map([
            ("ok", format!("${{file:{inside}:db.password}}").as_str()),
            (
                "dotted",
                format!(
                    "${{file:{}/./keys/../secrets.properties:api.key}}",
                    fx.root()
                )
                .as_str(),
            ),
            ("ok.dir", format!("${{dir:{keys_dir}:aws-secret}}").as_str()),
        ]);
        let resolved = providers.resolve(&props).unwrap();
        assert_eq!(resolved["ok"], "s3cr3t-db");
        assert_eq!(resolved["dotted"], "k-123");
        assert_eq!(resolved["ok.dir"], "s3cr3t-aws\n");

        let outside_file = outside
            .path()
            .join("other.properties")
            .display()
            .to_string();
        let props = property_map([
            ("abs", format!("${{file:{outside_file}:k}}").as_str()),
            ("escape", format!("${{file:{escape}:k}}").as_str()),
            ("sibling", format!("${{file:{sibling}:k}}").as_str()),
            ("relative", "${file:secrets.properties:k}"),
            (
                "dir",
                format!("${{dir:{}:secrets.properties}}", fx.root()).as_str(),
            ),
        ]);
        let errors = errors_of(providers.resolve(&props));
        assert_eq!(errors.len(), 5, "{errors:?}");
        for e in &errors {
            assert!(
                e.reason.contains("not under this provider's allowed.paths"),
                "{e}"
            );
        }
    }

    #[test]
    fn resolve_worker_leaves_provider_keys_alone() {
        let worker = property_map([
            ("config.providers", "env"),
            ("config.providers.env.class", "EnvVarConfigProvider"),
            (
                "config.providers.env.param.allowlist.pattern",
                "${env:NOT_RESOLVED}",
            ),
            ("sasl.password", "${env:PW}"),
        ]);
        let providers = all_providers(&[("PW", "pw")]);
        let resolved = providers.resolve_worker(&worker).unwrap();
        assert_eq!(resolved["sasl.password"], "pw");
        assert_eq!(
            resolved["config.providers.env.param.allowlist.pattern"],
            "${env:NOT_RESOLVED}"
        );
        assert_eq!(resolved.len(), worker.len());
        // `resolve` does look at them.
        assert!(providers.resolve(&worker).is_err());
    }

    #[test]
    fn provider_key_detection() {
        assert!(is_config_provider_key("config.providers"));
        assert!(is_config_provider_key("config.providers.file.class"));
        assert!(!is_config_provider_key("config.providersx"));
        assert!(!is_config_provider_key("config.storage.topic"));
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
        assert_eq!(normalize(Path::new("/a/b/")), PathBuf::from("/a/b"));
    }

    #[test]
    fn env_provider_debug_shows_no_values() {
        let env = EnvVarConfigProvider::with_vars(BTreeMap::from([(
            "K".to_string(),
            "hunter2".to_string(),
        )]));
        assert!(!format!("{env:?}").contains("hunter2"));
    }
}
