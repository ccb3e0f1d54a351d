//! A client of the Confluent Schema Registry REST API (also served by Apicurio Registry under
//! `/apis/ccompat/v7`). Several URLs are tried in order when one cannot be reached, as
//! Confluent's `RestService` does; schemas are cached by id and registrations by subject and
//! schema text, so a stream of records costs one request per new schema.
//!
//! Errors carry Confluent's wording (`Schema not found; error code: 40403`) because that is what
//! people search for and what connectctl's hints match.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value as Json, json};

use crate::schema::{AvroSchema, SchemaError};

/// How to reach the registry.
#[derive(Clone, Default)]
pub struct RegistryConfig {
    /// Base URLs (`http://host:8081`, `http://host:8080/apis/ccompat/v7`), tried in order.
    pub urls: Vec<String>,
    /// `user:password` for HTTP basic auth.
    pub basic_auth: Option<String>,
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryConfig")
            .field(
                "urls",
                &self.urls.iter().map(|u| redact_url(u)).collect::<Vec<_>>(),
            )
            .field("basic_auth", &self.basic_auth.as_ref().map(|_| "[hidden]"))
            .finish()
    }
}

impl RegistryConfig {
    /// `schema.registry.url`: one or more URLs separated by commas.
    pub fn from_urls(list: &str) -> RegistryConfig {
        RegistryConfig {
            urls: list
                .split(',')
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty())
                .collect(),
            ..RegistryConfig::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// An error answer, in the form of Confluent's `RestClientException` message.
    #[error("{message}; error code: {code}")]
    Rest {
        status: u16,
        code: i64,
        message: String,
        url: String,
    },
    #[error(
        "cannot reach the Schema Registry at {urls}: {error} (check schema.registry.url and that the registry runs)"
    )]
    Unreachable { urls: String, error: String },
    #[error("the Schema Registry at {url} answered with something that is not its API: {error}")]
    BadAnswer { url: String, error: String },
    #[error("no Schema Registry URL is configured (set schema.registry.url)")]
    NoUrl,
    #[error("schema {id} from the registry: {error}")]
    Schema { id: u32, error: SchemaError },
    #[error("schema {id} is of type {ty}, not AVRO")]
    NotAvro { id: u32, ty: String },
}

impl RegistryError {
    /// Confluent's error code (40401 subject not found, 40403 schema not found, 401, ...).
    pub fn code(&self) -> Option<i64> {
        match self {
            RegistryError::Rest { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self.code(), Some(40401..=40403) | Some(404))
    }
}

/// A schema the registry knows, with its parsed form.
#[derive(Debug)]
pub struct Registered {
    pub id: u32,
    pub text: String,
    pub schema: AvroSchema,
}

/// A subject and version under which a schema id is registered.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i64,
}

pub struct RegistryClient {
    config: RegistryConfig,
    http: reqwest::blocking::Client,
    by_id: Mutex<HashMap<u32, Arc<Registered>>>,
    ids: Mutex<HashMap<(String, String), u32>>,
    versions: Mutex<HashMap<u32, Vec<SubjectVersion>>>,
}

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The URL with any `user:password@` replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://[hidden]@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

impl RegistryClient {
    pub fn new(config: RegistryConfig) -> Result<RegistryClient, RegistryError> {
        if config.urls.is_empty() {
            return Err(RegistryError::NoUrl);
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(config.timeout.unwrap_or(Duration::from_secs(30)))
            .build()
            .map_err(|e| RegistryError::Unreachable {
                urls: config
                    .urls
                    .iter()
                    .map(|u| redact_url(u))
                    .collect::<Vec<_>>()
                    .join(","),
                error: e.to_string(),
            })?;
        Ok(RegistryClient {
            config,
            http,
            by_id: Mutex::default(),
            ids: Mutex::default(),
            versions: Mutex::default(),
        })
    }

    pub fn urls(&self) -> String {
        self.config
            .urls
            .iter()
            .map(|u| redact_url(u))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// One request, tried against each URL until one answers.
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, RegistryError> {
        let mut last = String::new();
        for base in &self.config.urls {
            let url = format!("{base}{path}");
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header("Accept", CONTENT_TYPE);
            if let Some(user_info) = &self.config.basic_auth {
                let token = base64::engine::general_purpose::STANDARD.encode(user_info);
                req = req.header("Authorization", format!("Basic {token}"));
            }
            if let Some(body) = body {
                req = req
                    .header("Content-Type", CONTENT_TYPE)
                    .body(body.to_string());
            }
            let resp = match req.send() {
                Ok(r) => r,
                Err(e) => {
                    last = format!("{}: {}", redact_url(base), without_url(e));
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let text = resp.text().unwrap_or_default();
            if (200..300).contains(&status) {
                return serde_json::from_str(&text).map_err(|e| RegistryError::BadAnswer {
                    url: redact_url(&url),
                    error: e.to_string(),
                });
            }
            let parsed: Option<Json> = serde_json::from_str(&text).ok();
            let code = parsed
                .as_ref()
                .and_then(|j| j.get("error_code"))
                .and_then(Json::as_i64)
                .unwrap_or(i64::from(status));
            let message = parsed
                .as_ref()
                .and_then(|j| j.get("message"))
                .and_then(Json::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| match status {
                    401 => "Unauthorized".to_owned(),
                    403 => "Forbidden".to_owned(),
                    _ => format!("HTTP {status}"),
                });
            return Err(RegistryError::Rest {
                status,
                code,
                message,
                url: redact_url(&url),
            });
        }
        Err(RegistryError::Unreachable {
            urls: self.urls(),
            error: last,
        })
    }

    /// `GET /schemas/ids/{id}`, cached.
    pub fn schema_by_id(&self, id: u32) -> Result<Arc<Registered>, RegistryError> {
        if let Some(r) = lock(&self.by_id).get(&id) {
            return Ok(r.clone());
        }
        let answer = self.call(reqwest::Method::GET, &format!("/schemas/ids/{id}"), None)?;
        if let Some(ty) = answer.get("schemaType").and_then(Json::as_str)
            && ty != "AVRO"
        {
            return Err(RegistryError::NotAvro {
                id,
                ty: ty.to_owned(),
            });
        }
        let text = answer
            .get("schema")
            .and_then(Json::as_str)
            .ok_or_else(|| RegistryError::BadAnswer {
                url: format!("{}/schemas/ids/{id}", self.urls()),
                error: "no \"schema\" in the answer".into(),
            })?
            .to_owned();
        let schema =
            AvroSchema::parse_str(&text).map_err(|error| RegistryError::Schema { id, error })?;
        let r = Arc::new(Registered { id, text, schema });
        lock(&self.by_id).insert(id, r.clone());
        Ok(r)
    }

    /// `POST /subjects/{subject}/versions`: registers the schema (or finds it registered) and
    /// returns its id.
    pub fn register(&self, subject: &str, schema: &AvroSchema) -> Result<u32, RegistryError> {
        self.id_for(subject, schema, true)
    }

    /// `POST /subjects/{subject}`: the id of a schema already registered under the subject.
    pub fn lookup(&self, subject: &str, schema: &AvroSchema) -> Result<u32, RegistryError> {
        self.id_for(subject, schema, false)
    }

    fn id_for(
        &self,
        subject: &str,
        schema: &AvroSchema,
        register: bool,
    ) -> Result<u32, RegistryError> {
        let text = schema.to_json_string();
        let key = (subject.to_owned(), text.clone());
        if let Some(id) = lock(&self.ids).get(&key) {
            return Ok(*id);
        }
        let path = if register {
            format!("/subjects/{}/versions", encode_path(subject))
        } else {
            format!("/subjects/{}", encode_path(subject))
        };
        let answer = self.call(
            reqwest::Method::POST,
            &path,
            Some(&json!({ "schema": text })),
        )?;
        let id = answer
            .get("id")
            .and_then(Json::as_u64)
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| RegistryError::BadAnswer {
                url: format!("{}{path}", self.urls()),
                error: format!("no schema id in {answer}"),
            })?;
        lock(&self.ids).insert(key, id);
        lock(&self.by_id).entry(id).or_insert_with(|| {
            Arc::new(Registered {
                id,
                text,
                schema: schema.clone(),
            })
        });
        Ok(id)
    }

    /// `GET /subjects/{subject}/versions/latest`: the newest schema of the subject.
    pub fn latest(&self, subject: &str) -> Result<(Arc<Registered>, i64), RegistryError> {
        let path = format!("/subjects/{}/versions/latest", encode_path(subject));
        let answer = self.call(reqwest::Method::GET, &path, None)?;
        let id = answer
            .get("id")
            .and_then(Json::as_u64)
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| RegistryError::BadAnswer {
                url: format!("{}{path}", self.urls()),
                error: format!("no schema id in {answer}"),
            })?;
        let version = answer.get("version").and_then(Json::as_i64).unwrap_or(0);
        Ok((self.schema_by_id(id)?, version))
    }

    /// `GET /schemas/ids/{id}/versions`: where the id is registered, cached.
    pub fn subjects_of(&self, id: u32) -> Result<Vec<SubjectVersion>, RegistryError> {
        if let Some(v) = lock(&self.versions).get(&id) {
            return Ok(v.clone());
        }
        let answer = self.call(
            reqwest::Method::GET,
            &format!("/schemas/ids/{id}/versions"),
            None,
        )?;
        let list: Vec<SubjectVersion> = answer
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some(SubjectVersion {
                            subject: e.get("subject")?.as_str()?.to_owned(),
                            version: e.get("version")?.as_i64()?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        lock(&self.versions).insert(id, list.clone());
        Ok(list)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a cache half-written in a way that matters here.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Subjects are path segments; record names and topics may hold characters URLs reserve.
fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// reqwest's messages repeat the URL, which may hold credentials.
fn without_url(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_and_redact() {
        let c = RegistryConfig::from_urls(" http://a:1/ , http://u:p@b:2");
        assert_eq!(c.urls, ["http://a:1", "http://u:p@b:2"]);
        assert_eq!(redact_url(&c.urls[1]), "http://[hidden]@b:2");
        assert!(!format!("{c:?}").contains("u:p"));
        assert!(matches!(
            RegistryClient::new(RegistryConfig::default()),
            Err(RegistryError::NoUrl)
        ));
    }

    #[test]
    fn error_text_is_confluents() {
        let e = RegistryError::Rest {
            status: 404,
            code: 40403,
            message: "Schema not found".into(),
            url: "x".into(),
        };
        assert_eq!(e.to_string(), "Schema not found; error code: 40403");
        assert!(e.is_not_found());
    }

    #[test]
    fn unreachable_names_every_url() {
        let c = RegistryClient::new(RegistryConfig::from_urls(
            "http://127.0.0.1:9,http://127.0.0.1:10",
        ))
        .unwrap();
        let e = c.schema_by_id(1).unwrap_err().to_string();
        assert!(e.contains("http://127.0.0.1:9,http://127.0.0.1:10"), "{e}");
        assert!(e.contains("schema.registry.url"), "{e}");
    }

    #[test]
    fn subjects_are_escaped() {
        assert_eq!(encode_path("a b/c-value"), "a%20b%2Fc-value");
    }
}
