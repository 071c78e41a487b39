//! A blocking, caching client for the Schema Registry REST API.
//!
//! Blocking on purpose: converters are synchronous (Kafka's `Converter`
//! API), sink conversion runs on the fetch thread, and calls only happen on
//! cache misses. Called from inside a multi-threaded tokio runtime, a
//! request runs under `block_in_place` so the runtime's other tasks go on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value as Json};

use super::config::{Credentials, SchemaRegistryConfig};
use super::RegistryError;

/// Confluent's content type.
const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// What Confluent's client accepts.
const ACCEPT: &str =
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

/// A schema as the registry stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySchema {
    /// The schema text (Avro JSON, a `.proto` file, a JSON Schema).
    pub schema: String,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub schema_type: String,
    /// References to other subjects' schemas, as the registry returned them.
    pub references: Vec<Json>,
}

/// A schema registered under a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    /// The subject.
    pub subject: String,
    /// The global id.
    pub id: i32,
    /// The version within the subject.
    pub version: i32,
    /// The schema.
    pub schema: RegistrySchema,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs blocking work, handing the thread's tokio worker role to another
/// thread first when called from a multi-threaded runtime (converters are
/// synchronous but may be called on a runtime thread).
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// The client; cheap to share (`Arc`), safe to call from several threads.
pub struct SchemaRegistryClient {
    urls: Vec<String>,
    agent: ureq::Agent,
    authorization: Option<String>,
    normalize: bool,
    latest_ttl: Option<Duration>,
    /// The next URL to try first (moves on after a failure).
    current: Mutex<usize>,
    by_id: Mutex<HashMap<i32, Arc<RegistrySchema>>>,
    registered: Mutex<HashMap<(String, String), RegisteredSchema>>,
    ids: Mutex<HashMap<(String, String), i32>>,
    latest: Mutex<HashMap<String, (Instant, RegisteredSchema)>>,
}

impl std::fmt::Debug for SchemaRegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistryClient")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl SchemaRegistryClient {
    /// A client for the registry the settings name. Fails when a PEM file
    /// cannot be read.
    pub fn new(config: &SchemaRegistryConfig) -> Result<Self, String> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(path) = &config.truststore {
            let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let certs = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("{}: no certificate in the file", path.display()));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        if let Some(path) = &config.keystore {
            let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut chain = Vec::new();
            let mut key = None;
            for item in ureq::tls::parse_pem(&pem) {
                match item.map_err(|e| format!("{}: {e}", path.display()))? {
                    ureq::tls::PemItem::Certificate(c) => chain.push(c),
                    ureq::tls::PemItem::PrivateKey(k) => key = Some(k),
                    _ => {}
                }
            }
            let key =
                key.ok_or_else(|| format!("{}: no private key in the file", path.display()))?;
            tls = tls.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&chain, key)));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_millis(config.request_timeout_ms)))
            .tls_config(tls.build())
            .build()
            .into();
        let authorization = match &config.credentials {
            Credentials::None => None,
            Credentials::Basic(info) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(info.expose())
            )),
            Credentials::Bearer(token) => Some(format!("Bearer {}", token.expose())),
        };
        Ok(SchemaRegistryClient {
            urls: config.urls.clone(),
            agent,
            authorization,
            normalize: config.normalize_schemas,
            latest_ttl: u64::try_from(config.latest_cache_ttl_secs)
                .ok()
                .map(Duration::from_secs),
            current: Mutex::new(0),
            by_id: Mutex::default(),
            registered: Mutex::default(),
            ids: Mutex::default(),
            latest: Mutex::default(),
        })
    }

    /// One request, trying each URL in turn until one answers; the
    /// response's JSON, or the registry's error.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, RegistryError> {
        let what = format!("{method} {path}");
        let start = *lock(&self.current);
        let mut last = String::new();
        for i in 0..self.urls.len() {
            let index = (start + i) % self.urls.len();
            let url = format!("{}{path}", self.urls[index]);
            match blocking(|| self.send(method, &url, body)) {
                Ok((status, text)) => {
                    *lock(&self.current) = index;
                    return parse_answer(status, &text, &what);
                }
                Err(e) => {
                    last = format!("{}: {e}", self.urls[index]);
                    *lock(&self.current) = (index + 1) % self.urls.len();
                }
            }
        }
        Err(RegistryError::Unreachable {
            urls: self.urls.join(", "),
            what,
            reason: last,
        })
    }

    fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&Json>,
    ) -> Result<(u16, String), ureq::Error> {
        let mut response = match body {
            Some(body) => {
                let mut req = self
                    .agent
                    .post(url)
                    .header("Content-Type", CONTENT_TYPE)
                    .header("Accept", ACCEPT);
                if let Some(auth) = &self.authorization {
                    req = req.header("Authorization", auth);
                }
                req.send(body.to_string())?
            }
            None => {
                let mut req = match method {
                    "DELETE" => self.agent.delete(url),
                    _ => self.agent.get(url),
                }
                .header("Accept", ACCEPT);
                if let Some(auth) = &self.authorization {
                    req = req.header("Authorization", auth);
                }
                req.call()?
            }
        };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string()?;
        Ok((status, text))
    }

    fn schema_body(&self, schema: &RegistrySchema) -> Json {
        let mut body = json!({ "schema": schema.schema });
        if schema.schema_type != "AVRO" {
            body["schemaType"] = json!(schema.schema_type);
        }
        if !schema.references.is_empty() {
            body["references"] = Json::Array(schema.references.clone());
        }
        body
    }

    fn query(&self) -> &'static str {
        if self.normalize {
            "?normalize=true"
        } else {
            ""
        }
    }

    /// Registers `schema` under `subject` (`POST /subjects/{s}/versions`)
    /// and returns its id; cached, so each schema is registered once.
    pub fn register(&self, subject: &str, schema: &RegistrySchema) -> Result<i32, RegistryError> {
        let key = (subject.to_string(), schema.schema.clone());
        if let Some(id) = lock(&self.ids).get(&key) {
            return Ok(*id);
        }
        let path = format!("/subjects/{}/versions{}", encode(subject), self.query());
        let answer = self.request("POST", &path, Some(&self.schema_body(schema)))?;
        let id = int(&answer, "id", &path)?;
        // Registration answers only the id; `lookup` gives the version.
        lock(&self.ids).insert(key, id);
        lock(&self.by_id)
            .entry(id)
            .or_insert_with(|| Arc::new(schema.clone()));
        Ok(id)
    }

    /// Looks `schema` up under `subject` (`POST /subjects/{s}`): its id and
    /// version; cached.
    pub fn lookup(
        &self,
        subject: &str,
        schema: &RegistrySchema,
    ) -> Result<RegisteredSchema, RegistryError> {
        let key = (subject.to_string(), schema.schema.clone());
        if let Some(r) = lock(&self.registered).get(&key) {
            return Ok(r.clone());
        }
        let path = format!("/subjects/{}{}", encode(subject), self.query());
        let answer = self.request("POST", &path, Some(&self.schema_body(schema)))?;
        let found = RegisteredSchema {
            subject: subject.to_string(),
            id: int(&answer, "id", &path)?,
            version: int(&answer, "version", &path)?,
            schema: schema.clone(),
        };
        lock(&self.registered).insert(key, found.clone());
        lock(&self.by_id)
            .entry(found.id)
            .or_insert_with(|| Arc::new(schema.clone()));
        Ok(found)
    }

    /// The schema with global `id` (`GET /schemas/ids/{id}`); cached.
    pub fn schema_by_id(&self, id: i32) -> Result<Arc<RegistrySchema>, RegistryError> {
        if let Some(s) = lock(&self.by_id).get(&id) {
            return Ok(Arc::clone(s));
        }
        let path = format!("/schemas/ids/{id}");
        let answer = self.request("GET", &path, None)?;
        let schema = Arc::new(schema_of(&answer, &path)?);
        lock(&self.by_id).insert(id, Arc::clone(&schema));
        Ok(schema)
    }

    /// The latest version of `subject` (`GET /subjects/{s}/versions/latest`),
    /// cached for `latest.cache.ttl.sec`.
    pub fn latest(&self, subject: &str) -> Result<RegisteredSchema, RegistryError> {
        if let Some((at, r)) = lock(&self.latest).get(subject) {
            if self.latest_ttl.is_none_or(|ttl| at.elapsed() < ttl) {
                return Ok(r.clone());
            }
        }
        let path = format!("/subjects/{}/versions/latest", encode(subject));
        let answer = self.request("GET", &path, None)?;
        let found = RegisteredSchema {
            subject: subject.to_string(),
            id: int(&answer, "id", &path)?,
            version: int(&answer, "version", &path)?,
            schema: schema_of(&answer, &path)?,
        };
        lock(&self.by_id)
            .entry(found.id)
            .or_insert_with(|| Arc::new(found.schema.clone()));
        lock(&self.latest).insert(subject.to_string(), (Instant::now(), found.clone()));
        Ok(found)
    }

    /// Whether `schema` is compatible with the latest version of `subject`
    /// under the subject's compatibility level
    /// (`POST /compatibility/subjects/{s}/versions/latest`).
    pub fn is_compatible(
        &self,
        subject: &str,
        schema: &RegistrySchema,
    ) -> Result<bool, RegistryError> {
        let path = format!(
            "/compatibility/subjects/{}/versions/latest",
            encode(subject)
        );
        let answer = self.request("POST", &path, Some(&self.schema_body(schema)))?;
        answer
            .get("is_compatible")
            .and_then(Json::as_bool)
            .ok_or_else(|| RegistryError::BadResponse {
                what: format!("POST {path}"),
                reason: format!("no is_compatible in {answer}"),
            })
    }
}

/// A 2xx answer's JSON, or the registry's error document as an error.
fn parse_answer(status: u16, text: &str, what: &str) -> Result<Json, RegistryError> {
    let parsed: Option<Json> = serde_json::from_str(text).ok();
    if (200..300).contains(&status) {
        return parsed.ok_or_else(|| RegistryError::BadResponse {
            what: what.to_string(),
            reason: format!("HTTP {status} with a body that is not JSON: {}", clip(text)),
        });
    }
    let (code, message) = match &parsed {
        Some(doc) => (
            doc.get("error_code")
                .and_then(Json::as_i64)
                .unwrap_or(i64::from(status)),
            doc.get("message")
                .and_then(Json::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| clip(text)),
        ),
        None => (i64::from(status), clip(text)),
    };
    Err(RegistryError::Api {
        status,
        code,
        message,
        what: what.to_string(),
    })
}

fn clip(text: &str) -> String {
    let mut t: String = text.chars().take(200).collect();
    if t.len() < text.len() {
        t.push('…');
    }
    t
}

fn int(answer: &Json, field: &str, path: &str) -> Result<i32, RegistryError> {
    answer
        .get(field)
        .and_then(Json::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| RegistryError::BadResponse {
            what: path.to_string(),
            reason: format!("no {field} in {}", clip(&answer.to_string())),
        })
}

fn schema_of(answer: &Json, path: &str) -> Result<RegistrySchema, RegistryError> {
    let schema =
        answer
            .get("schema")
            .and_then(Json::as_str)
            .ok_or_else(|| RegistryError::BadResponse {
                what: path.to_string(),
                reason: format!("no schema in {}", clip(&answer.to_string())),
            })?;
    Ok(RegistrySchema {
        schema: schema.to_string(),
        schema_type: answer
            .get("schemaType")
            .and_then(Json::as_str)
            .unwrap_or("AVRO")
            .to_string(),
        references: answer
            .get("references")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default(),
    })
}

/// Percent-encodes a subject for a URL path (everything but RFC 3986's
/// unreserved characters).
fn encode(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    for b in subject.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_percent_encoded() {
        assert_eq!(encode("orders-value"), "orders-value");
        assert_eq!(encode("a b/c:d"), "a%20b%2Fc%3Ad");
    }

    #[test]
    fn error_documents_become_errors_with_their_code() {
        let e = parse_answer(
            404,
            r#"{"error_code":40401,"message":"Subject 'x' not found."}"#,
            "GET /subjects/x/versions/latest",
        )
        .unwrap_err();
        assert_eq!(e.code(), Some(40401));
        assert!(!e.is_retriable());
        assert!(e.to_string().contains("Subject 'x' not found."), "{e}");
        let e = parse_answer(502, "<html>bad gateway</html>", "GET /schemas/ids/1").unwrap_err();
        assert!(e.is_retriable(), "{e}");
        assert_eq!(parse_answer(200, r#"{"id":3}"#, "x").unwrap()["id"], 3);
        assert!(parse_answer(200, "nope", "x").is_err());
    }

    #[test]
    fn a_registry_that_is_down_is_unreachable_and_retriable() {
        // A port nothing listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = SchemaRegistryConfig::from_props(&ferry_api::property_map([(
            "schema.registry.url",
            format!("http://127.0.0.1:{port}"),
        )]))
        .unwrap();
        let client = SchemaRegistryClient::new(&config).unwrap();
        let e = client.schema_by_id(1).unwrap_err();
        assert!(matches!(e, RegistryError::Unreachable { .. }), "{e}");
        assert!(e.is_retriable());
    }
}
