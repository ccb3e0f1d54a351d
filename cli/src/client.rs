//! HTTP client for the Kafka Connect REST API: one method per endpoint, typed with `connect_api`.
//!
//! Everything a request needs beyond its path (auth, TLS, extra headers, failover URLs, retry
//! budget) is resolved before the client is built, so the endpoint methods stay one-liners.
//!
//! [`Client`] is the seam the commands call: it is either a Connect REST client ([`RestClient`])
//! or a Confluent Cloud Connect API v1 client ([`crate::cloud::CloudClient`]), both answering with
//! the same `connect_api` shapes, so commands never ask which one they talk to.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use connect_api::{
    ConfigInfos, ConfigKeyInfo, ConfigMap, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo,
    ConnectorTopics, CreateConnectorRequest, ErrorMessage, ExpandedConnectors, Loggers, Message,
    PluginInfo, ServerInfo, SetLoggerLevel, TaskInfo, WorkerStatus,
};
use reqwest::Method;
use serde::de::DeserializeOwned;

/// What went wrong talking to Connect, worded for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach Kafka Connect at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "Kafka Connect at {url} refused the credentials ({status}: {message}); used {credentials}"
    )]
    Unauthorized {
        url: String,
        status: u16,
        message: String,
        credentials: String,
    },
    #[error("Kafka Connect at {url} answered {status}: {message}")]
    Api {
        url: String,
        status: u16,
        message: String,
    },
    #[error(
        "Kafka Connect at {url} sent a response connectctl cannot read ({status}, {content_type}, \
         {len} bytes, starting {preview:?}); is this URL a Kafka Connect REST endpoint and not a \
         proxy or login page?"
    )]
    Decode {
        url: String,
        status: u16,
        content_type: String,
        len: usize,
        /// The first bytes of the body, one line, control characters escaped.
        preview: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "Kafka Connect at {url} redirected ({status}) to another host, {location}; not followed \
         because the request carries credentials or custom headers (point --url at that host if \
         you trust it)"
    )]
    Redirect {
        url: String,
        status: u16,
        location: String,
    },
    #[error("{0}")]
    Setup(String),
    /// The backend has no equivalent of the call (e.g. loggers on Confluent Cloud); a usage
    /// error, since the command cannot work against this context however often it is retried.
    #[error("{0}")]
    Unsupported(String),
    /// The server accepted a request and later reported that it failed (an offsets request).
    #[error("{0}")]
    Rejected(String),
}

impl ClientError {
    /// The HTTP status of an API error, if the server answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unauthorized { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    pub fn message(&self) -> Option<&str> {
        match self {
            ClientError::Api { message, .. } => Some(message),
            _ => None,
        }
    }

    pub fn is_unsupported(&self) -> bool {
        matches!(self, ClientError::Unsupported(_))
    }

    /// A 404/405 from the JAX-RS router itself (no such route) rather than from a resource
    /// ("Connector x not found"): the sign that the server predates an endpoint.
    pub fn is_missing_endpoint(&self) -> bool {
        match self {
            ClientError::Api { status: 405, .. } => true,
            ClientError::Api {
                status: 404,
                message,
                ..
            } => message.starts_with("HTTP 404") || message.is_empty(),
            _ => false,
        }
    }
}

/// How requests authenticate. The `describe` text goes into 401/403 errors and `-v` logs, so
/// it names where credentials came from and never their values.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Basic {
        username: String,
        password: String,
        source: String,
    },
    Bearer {
        token: String,
        source: String,
    },
    /// A Confluent Cloud API key and secret, sent as HTTP Basic; messages name the key only.
    CloudApiKey {
        key: String,
        secret: String,
        source: String,
    },
}

impl Auth {
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "no credentials".to_owned(),
            Auth::Basic {
                username, source, ..
            } => {
                format!("basic auth as user '{username}' ({source})")
            }
            Auth::Bearer { source, .. } => format!("a bearer token ({source})"),
            Auth::CloudApiKey { key, source, .. } => {
                format!("Cloud API key '{key}' ({source})")
            }
        }
    }
}

/// Everything needed to build a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Tried in order; the next one is used when a worker cannot be reached.
    pub urls: Vec<String>,
    pub auth: Auth,
    /// Extra headers (name, value); values are never logged.
    pub headers: Vec<(String, String)>,
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub insecure: bool,
    pub verbose: u8,
    /// How long to keep retrying while Connect rebalances (409, or 500 "rebalance is expected").
    pub retry_timeout: Duration,
}

impl ClientSettings {
    pub fn plain(url: &str) -> Self {
        ClientSettings {
            urls: vec![url.to_owned()],
            auth: Auth::None,
            headers: Vec::new(),
            ca_file: None,
            cert_file: None,
            key_file: None,
            insecure: false,
            verbose: 0,
            retry_timeout: Duration::from_secs(60),
        }
    }
}

pub struct RestClient {
    http: reqwest::Client,
    bases: Vec<String>,
    settings: ClientSettings,
    retry: RetryBudget,
}

/// A raw answer: status, content type and body bytes.
pub(crate) struct Answer {
    pub(crate) status: u16,
    content_type: String,
    pub(crate) body: Vec<u8>,
    /// `Retry-After` in seconds, on a 429.
    retry_after: Option<Duration>,
}

impl Answer {
    /// The decode error for this answer, saying what came back instead of JSON.
    pub(crate) fn decode_error(&self, url: String, source: serde_json::Error) -> ClientError {
        ClientError::Decode {
            url,
            status: self.status,
            content_type: if self.content_type.is_empty() {
                "no content type".to_owned()
            } else {
                crate::output::esc(&self.content_type).into_owned()
            },
            len: self.body.len(),
            preview: preview(&self.body, 80),
            source,
        }
    }
}

/// The first `max` characters of a body on one line, for messages.
fn preview(body: &[u8], max: usize) -> String {
    let head = &body[..body.len().min(max * 4)];
    let text = String::from_utf8_lossy(head);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(max).collect();
    if one_line.chars().count() > max || body.len() > head.len() {
        out.push_str("...");
    }
    crate::output::esc(&out).into_owned()
}

/// How much of the retry budget (`--retry-timeout`) a command has used, across all its
/// requests: one budget per command, not per request.
#[derive(Debug, Default)]
struct RetryBudget {
    spent_ms: std::sync::atomic::AtomicU64,
}

impl RetryBudget {
    fn spent(&self) -> Duration {
        Duration::from_millis(self.spent_ms.load(std::sync::atomic::Ordering::Relaxed))
    }
    fn add(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.spent_ms
            .fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Whether an answer means "Connect is rebalancing, ask again": Apache's 409s for a rebalance
/// or stale config (`HerderRequestHandler`), and a 500 that says so. Other 409s (a connector
/// that already exists, a task that cannot restart) are answers, not reasons to wait.
fn is_rebalance(status: u16, body: &[u8]) -> bool {
    let m = error_message(body).to_ascii_lowercase();
    match status {
        409 => {
            m.contains("rebalance")
                || m.contains("stale configuration")
                || m.contains("cannot complete request momentarily")
        }
        500 => m.contains("rebalance"),
        _ => false,
    }
}

impl RestClient {
    pub fn new(settings: ClientSettings) -> Result<Self, ClientError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // Connect's own herder timeout is 90 s; wait a little longer so its error wins.
            .timeout(Duration::from_secs(100))
            .user_agent(concat!("connectctl/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &settings.ca_file {
            let pem = read_file(ca, "CA file")?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                ClientError::Setup(format!(
                    "CA file {} is not a PEM certificate: {e}",
                    ca.display()
                ))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        match (&settings.cert_file, &settings.key_file) {
            (Some(cert), Some(key)) => {
                let cert_pem = read_file(cert, "client certificate")?;
                let key_pem = read_file(key, "client key")?;
                let id = reqwest::Identity::from_pkcs8_pem(&cert_pem, &key_pem).map_err(|e| {
                    ClientError::Setup(format!(
                        "client certificate {} / key {} cannot be used (the key must be PKCS#8 PEM): {e}",
                        cert.display(),
                        key.display()
                    ))
                })?;
                builder = builder.identity(id);
            }
            (None, None) => {}
            _ => {
                return Err(ClientError::Setup(
                    "a client certificate needs both cert_file and key_file".to_owned(),
                ));
            }
        }
        if settings.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        // A redirect to another host would carry custom headers (an API key) there, and
        // credentials given in the URL; with any of them, stop at the 3xx and say so.
        let carries_secrets = !matches!(settings.auth, Auth::None)
            || !settings.headers.is_empty()
            || settings.urls.iter().any(|u| has_userinfo(u));
        builder = builder.redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 10 {
                return attempt.error("more than 10 redirects");
            }
            let first = attempt.previous().first();
            let same_origin = first.is_some_and(|f| {
                f.scheme() == attempt.url().scheme()
                    && f.host_str() == attempt.url().host_str()
                    && f.port_or_known_default() == attempt.url().port_or_known_default()
            });
            if carries_secrets && !same_origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }));
        // OpenSSL 3 parses the whole system CA bundle whenever a client is built, which was most
        // of a command's run time; plain-HTTP clusters get a TLS-less setup instead.
        let https = settings
            .urls
            .iter()
            .any(|u| u.trim().to_ascii_lowercase().starts_with("https:"));
        builder = if https {
            builder.use_native_tls()
        } else {
            builder.use_rustls_tls().tls_built_in_root_certs(false)
        };
        let http = builder
            .build()
            .map_err(|e| ClientError::Setup(root_reason(&e)))?;
        let bases: Vec<String> = settings
            .urls
            .iter()
            .map(|u| u.trim_end_matches('/').to_owned())
            .collect();
        if bases.is_empty() {
            return Err(ClientError::Setup(
                "no Kafka Connect URL configured".to_owned(),
            ));
        }
        Ok(RestClient {
            http,
            bases,
            settings,
            retry: RetryBudget::default(),
        })
    }

    /// The first configured URL, for messages.
    pub fn base(&self) -> &str {
        &self.bases[0]
    }

    /// Sends one request, failing over between URLs, retrying while Connect rebalances and,
    /// on a 429, after the `Retry-After` the server asked for (Confluent Cloud rate limits).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ClientError> {
        let mut delay = Duration::from_millis(100);
        let mut told = false;
        let mut told_rate = false;
        loop {
            let t0 = Instant::now();
            let answer = self.send_once(method.clone(), path, query, body).await?;
            if answer.status == 429 {
                self.retry.add(t0.elapsed());
                let left = self
                    .settings
                    .retry_timeout
                    .saturating_sub(self.retry.spent());
                // Without Retry-After, back off as for a rebalance.
                let wait = answer.retry_after.unwrap_or(delay);
                if wait > left {
                    return Ok(answer);
                }
                if !told_rate {
                    eprintln!(
                        "rate limited (429); retrying after {}s as the server asks, for up to {}s \
                         more (--retry-timeout)",
                        wait.as_secs_f32(),
                        left.as_secs()
                    );
                    told_rate = true;
                }
                tokio::time::sleep(wait).await;
                self.retry.add(wait);
                delay = (delay * 2).min(Duration::from_secs(2));
                continue;
            }
            if !is_rebalance(answer.status, &answer.body) {
                return Ok(answer);
            }
            // The request that found Connect busy counts against the budget too.
            self.retry.add(t0.elapsed());
            let left = self
                .settings
                .retry_timeout
                .saturating_sub(self.retry.spent());
            if delay > left {
                return Ok(answer);
            }
            if !told {
                eprintln!(
                    "Kafka Connect is rebalancing ({}: {}); retrying for up to {}s more",
                    answer.status,
                    crate::output::esc(&error_message(&answer.body)),
                    left.as_secs()
                );
                told = true;
            }
            tokio::time::sleep(delay).await;
            self.retry.add(delay);
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ClientError> {
        let mut last_err = None;
        for base in &self.bases {
            let url = format!("{base}{path}");
            let mut req = self.http.request(method.clone(), &url).query(query);
            req = match &self.settings.auth {
                Auth::None => req,
                Auth::Basic {
                    username, password, ..
                } => req.basic_auth(username, Some(password)),
                Auth::Bearer { token, .. } => req.bearer_auth(token),
                Auth::CloudApiKey { key, secret, .. } => req.basic_auth(key, Some(secret)),
            };
            for (k, v) in &self.settings.headers {
                req = req.header(k, v);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let t0 = Instant::now();
            if self.settings.verbose > 0 {
                let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let q = if q.is_empty() {
                    String::new()
                } else {
                    format!("?{}", q.join("&"))
                };
                let credentials = if has_userinfo(base) && matches!(self.settings.auth, Auth::None)
                {
                    "credentials from the URL".to_owned()
                } else {
                    self.settings.auth.describe()
                };
                eprintln!(
                    "> {method} {} ({}{})",
                    redact_url(&format!("{url}{q}")),
                    credentials,
                    if self.settings.headers.is_empty() {
                        String::new()
                    } else {
                        let names: Vec<&str> = self
                            .settings
                            .headers
                            .iter()
                            .map(|(k, _)| k.as_str())
                            .collect();
                        format!(", headers {}", names.join(", "))
                    }
                );
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    last_err = Some(ClientError::Unreachable {
                        url: redact_url(base),
                        reason: root_reason(&e),
                    });
                    continue;
                }
            };
            let status = resp.status().as_u16();
            if resp.status().is_redirection() {
                // Only a redirect the policy refused to follow arrives here.
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("(no Location header)");
                return Err(ClientError::Redirect {
                    url: redact_url(base),
                    status,
                    location: crate::output::esc(&redact_url(location)).into_owned(),
                });
            }
            let content_type = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = read_body(resp, MAX_BODY_BYTES).await.map_err(|reason| {
                ClientError::Unreachable {
                    url: redact_url(base),
                    reason,
                }
            })?;
            if self.settings.verbose > 0 {
                eprintln!(
                    "< {status} in {} ms ({} bytes)",
                    t0.elapsed().as_millis(),
                    body.len()
                );
            }
            if status == 401 || status == 403 {
                let message = error_message(&body);
                // 403 also means "topic tracking is disabled"; that one is not about credentials.
                if !message.contains("Topic tracking") {
                    return Err(ClientError::Unauthorized {
                        url: redact_url(base),
                        status,
                        message,
                        credentials: self.settings.auth.describe(),
                    });
                }
            }
            return Ok(Answer {
                status,
                content_type,
                body,
                retry_after,
            });
        }
        Err(last_err.unwrap_or_else(|| ClientError::Setup("no Kafka Connect URL".to_owned())))
    }

    /// The URL of `path` on the first worker, redacted, for messages.
    pub(crate) fn shown(&self, path: &str) -> String {
        redact_url(&format!("{}{path}", self.base()))
    }

    pub(crate) fn check(&self, path: &str, answer: &Answer) -> Result<(), ClientError> {
        if answer.status >= 400 {
            return Err(ClientError::Api {
                url: self.shown(path),
                status: answer.status,
                message: error_message(&answer.body),
            });
        }
        Ok(())
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<T, ClientError> {
        let answer = self.send(method, path, query, body).await?;
        self.check(path, &answer)?;
        let bytes = if answer.body.is_empty() {
            b"null".as_slice()
        } else {
            &answer.body
        };
        serde_json::from_slice(bytes)
            .map_err(|source| answer.decode_error(self.shown(path), source))
    }

    /// A call whose answer body does not matter; returns the status.
    pub(crate) async fn call_empty(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<u16, ClientError> {
        let answer = self.send(method, path, query, body).await?;
        self.check(path, &answer)?;
        Ok(answer.status)
    }

    /// `GET /`
    pub async fn server_info(&self) -> Result<ServerInfo, ClientError> {
        self.call(Method::GET, "/", &[], None).await
    }

    /// `GET /health` [3.9]. 503 and 500 carry the same shape as 200, so they are answers here.
    pub async fn health(&self) -> Result<(u16, WorkerStatus), ClientError> {
        let answer = self.send(Method::GET, "/health", &[], None).await?;
        if let Ok(ws) = serde_json::from_slice::<WorkerStatus>(&answer.body) {
            return Ok((answer.status, ws));
        }
        self.check("/health", &answer)?;
        match serde_json::from_slice::<WorkerStatus>(&answer.body) {
            Ok(ws) => Ok((answer.status, ws)),
            Err(source) => Err(answer.decode_error(self.shown("/health"), source)),
        }
    }

    /// `GET /connectors`
    pub async fn connector_names(&self) -> Result<Vec<String>, ClientError> {
        let mut names: Vec<String> = self.call(Method::GET, "/connectors", &[], None).await?;
        names.sort();
        Ok(names)
    }

    /// `GET /connectors?expand=status&expand=info`. Servers without expand (before 2.3) answer
    /// with a list of names; then `None` is returned and the caller asks per connector.
    pub async fn connectors_expanded(&self) -> Result<Option<ExpandedConnectors>, ClientError> {
        let query = [("expand", "status"), ("expand", "info")];
        let answer = self.send(Method::GET, "/connectors", &query, None).await?;
        self.check("/connectors", &answer)?;
        // Read straight into the typed map (a tree first doubled the parse of a large fleet).
        let decode = |source| answer.decode_error(self.shown("/connectors"), source);
        if answer.body.trim_ascii_start().starts_with(b"[") {
            // A list of names: still checked to be JSON, so garbage is reported as such.
            return serde_json::from_slice::<serde::de::IgnoredAny>(&answer.body)
                .map(|_| None)
                .map_err(decode);
        }
        serde_json::from_slice(&answer.body)
            .map(Some)
            .map_err(decode)
    }

    pub async fn connector(&self, name: &str) -> Result<ConnectorInfo, ClientError> {
        self.call(
            Method::GET,
            &format!("/connectors/{}", enc(name)),
            &[],
            None,
        )
        .await
    }

    pub async fn config(&self, name: &str) -> Result<ConfigMap, ClientError> {
        self.call(
            Method::GET,
            &format!("/connectors/{}/config", enc(name)),
            &[],
            None,
        )
        .await
    }

    pub async fn status(&self, name: &str) -> Result<ConnectorStateInfo, ClientError> {
        self.call(
            Method::GET,
            &format!("/connectors/{}/status", enc(name)),
            &[],
            None,
        )
        .await
    }

    pub async fn tasks(&self, name: &str) -> Result<Vec<TaskInfo>, ClientError> {
        self.call(
            Method::GET,
            &format!("/connectors/{}/tasks", enc(name)),
            &[],
            None,
        )
        .await
    }

    pub async fn topics(&self, name: &str) -> Result<ConnectorTopics, ClientError> {
        self.call(
            Method::GET,
            &format!("/connectors/{}/topics", enc(name)),
            &[],
            None,
        )
        .await
    }

    pub async fn reset_topics(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/connectors/{}/topics/reset", enc(name));
        self.call_empty(Method::PUT, &path, &[], None)
            .await
            .map(drop)
    }

    pub async fn create(&self, req: &CreateConnectorRequest) -> Result<ConnectorInfo, ClientError> {
        let body = serde_json::to_value(req).expect("a config map always serialises");
        self.call(Method::POST, "/connectors", &[], Some(&body))
            .await
    }

    /// `PUT /connectors/{c}/config`: creates or updates; true when it created the connector.
    pub async fn put_config(
        &self,
        name: &str,
        config: &ConfigMap,
    ) -> Result<(bool, ConnectorInfo), ClientError> {
        let path = format!("/connectors/{}/config", enc(name));
        let body = serde_json::to_value(config).expect("a config map always serialises");
        let answer = self.send(Method::PUT, &path, &[], Some(&body)).await?;
        self.check(&path, &answer)?;
        let info = serde_json::from_slice(&answer.body)
            .map_err(|source| answer.decode_error(self.shown(&path), source))?;
        Ok((answer.status == 201, info))
    }

    /// `PATCH /connectors/{c}/config` [3.8]: `null` values remove keys.
    pub async fn patch_config(
        &self,
        name: &str,
        patch: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<ConnectorInfo, ClientError> {
        let path = format!("/connectors/{}/config", enc(name));
        let body = serde_json::Value::Object(patch.clone());
        self.call(Method::PATCH, &path, &[], Some(&body)).await
    }

    pub async fn validate(
        &self,
        plugin: &str,
        config: &ConfigMap,
    ) -> Result<ConfigInfos, ClientError> {
        let path = format!("/connector-plugins/{}/config/validate", enc(plugin));
        let body = serde_json::to_value(config).expect("a config map always serialises");
        self.call(Method::PUT, &path, &[], Some(&body)).await
    }

    pub async fn pause(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/connectors/{}/pause", enc(name));
        self.call_empty(Method::PUT, &path, &[], None)
            .await
            .map(drop)
    }

    pub async fn resume(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/connectors/{}/resume", enc(name));
        self.call_empty(Method::PUT, &path, &[], None)
            .await
            .map(drop)
    }

    /// `PUT /connectors/{c}/stop` [3.5].
    pub async fn stop(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/connectors/{}/stop", enc(name));
        self.call_empty(Method::PUT, &path, &[], None)
            .await
            .map(drop)
    }

    /// `POST /connectors/{c}/restart`. With either flag set the answer is the status in which
    /// the instances to be restarted show RESTARTING; without, there is no body (204).
    pub async fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>, ClientError> {
        let path = format!("/connectors/{}/restart", enc(name));
        let it = include_tasks.to_string();
        let of = only_failed.to_string();
        let query = [("includeTasks", it.as_str()), ("onlyFailed", of.as_str())];
        let answer = self.send(Method::POST, &path, &query, None).await?;
        self.check(&path, &answer)?;
        if answer.body.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&answer.body)
            .map(Some)
            .map_err(|source| answer.decode_error(self.shown(&path), source))
    }

    pub async fn restart_task(&self, name: &str, task: u32) -> Result<(), ClientError> {
        let path = format!("/connectors/{}/tasks/{task}/restart", enc(name));
        self.call_empty(Method::POST, &path, &[], None)
            .await
            .map(drop)
    }

    pub async fn delete(&self, name: &str) -> Result<(), ClientError> {
        let path = format!("/connectors/{}", enc(name));
        self.call_empty(Method::DELETE, &path, &[], None)
            .await
            .map(drop)
    }

    /// `GET /connectors/{c}/offsets` [3.5].
    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, ClientError> {
        self.call(
            Method::GET,
            &format!("/connectors/{}/offsets", enc(name)),
            &[],
            None,
        )
        .await
    }

    /// `PATCH /connectors/{c}/offsets` [3.6].
    pub async fn alter_offsets(
        &self,
        name: &str,
        offsets: &ConnectorOffsets,
    ) -> Result<Message, ClientError> {
        let path = format!("/connectors/{}/offsets", enc(name));
        let body = serde_json::to_value(offsets).expect("offsets always serialise");
        self.call(Method::PATCH, &path, &[], Some(&body)).await
    }

    /// `DELETE /connectors/{c}/offsets` [3.6].
    pub async fn reset_offsets(&self, name: &str) -> Result<Message, ClientError> {
        let path = format!("/connectors/{}/offsets", enc(name));
        self.call(Method::DELETE, &path, &[], None).await
    }

    pub async fn plugins(&self, connectors_only: bool) -> Result<Vec<PluginInfo>, ClientError> {
        let q = [(
            "connectorsOnly",
            if connectors_only { "true" } else { "false" },
        )];
        self.call(Method::GET, "/connector-plugins", &q, None).await
    }

    /// `GET /connector-plugins/{p}/config` [3.2].
    pub async fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, ClientError> {
        let path = format!("/connector-plugins/{}/config", enc(plugin));
        self.call(Method::GET, &path, &[], None).await
    }

    pub async fn loggers(&self) -> Result<Loggers, ClientError> {
        self.call(Method::GET, "/admin/loggers", &[], None).await
    }

    /// `PUT /admin/loggers/{name}`: worker scope answers the logger names it changed; cluster
    /// scope [3.7] answers 204 and applies everywhere through the config topic.
    pub async fn set_logger(
        &self,
        name: &str,
        level: &str,
        scope: Option<&str>,
    ) -> Result<Vec<String>, ClientError> {
        let path = format!("/admin/loggers/{}", enc(name));
        let body = serde_json::to_value(SetLoggerLevel {
            level: level.to_owned(),
        })
        .expect("a level always serialises");
        let query: Vec<(&str, &str)> = scope.map(|s| vec![("scope", s)]).unwrap_or_default();
        let answer = self.send(Method::PUT, &path, &query, Some(&body)).await?;
        self.check(&path, &answer)?;
        if answer.body.is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_slice(&answer.body)
            .map_err(|source| answer.decode_error(self.shown(&path), source))
    }
}

/// The backend a command talks to. Both answer with Connect's REST shapes; a call the backend
/// has no equivalent for fails with [`ClientError::Unsupported`].
pub enum Client {
    Rest(RestClient),
    Cloud(crate::cloud::CloudClient),
}

/// Forwards a call to whichever backend this is.
macro_rules! dispatch {
    ($self:ident . $m:ident ( $($a:expr),* )) => {
        match $self {
            Client::Rest(c) => c.$m($($a),*).await,
            Client::Cloud(c) => c.$m($($a),*).await,
        }
    };
}

impl Client {
    pub fn is_cloud(&self) -> bool {
        matches!(self, Client::Cloud(_))
    }

    /// Whether altering offsets needs the connector STOPPED first (Apache, KIP-875). Cloud's
    /// offsets request API handles the connector itself.
    pub fn offsets_need_stop(&self) -> bool {
        !self.is_cloud()
    }

    /// Makes a live config comparable with a desired one before `diff`/`apply` compare them.
    /// Connect returns configs as stored: nothing to do. Confluent Cloud adds keys of its own and
    /// masks secrets ([`crate::cloud::comparable`]); returns the keys it could not compare.
    pub fn comparable(&self, live: &mut ConfigMap, desired: &ConfigMap) -> Vec<String> {
        match self {
            Client::Rest(_) => Vec::new(),
            Client::Cloud(_) => crate::cloud::comparable(live, desired),
        }
    }

    pub async fn server_info(&self) -> Result<ServerInfo, ClientError> {
        dispatch!(self.server_info())
    }
    pub async fn health(&self) -> Result<(u16, WorkerStatus), ClientError> {
        dispatch!(self.health())
    }
    pub async fn connector_names(&self) -> Result<Vec<String>, ClientError> {
        dispatch!(self.connector_names())
    }
    pub async fn connectors_expanded(&self) -> Result<Option<ExpandedConnectors>, ClientError> {
        dispatch!(self.connectors_expanded())
    }
    pub async fn connector(&self, name: &str) -> Result<ConnectorInfo, ClientError> {
        dispatch!(self.connector(name))
    }
    pub async fn config(&self, name: &str) -> Result<ConfigMap, ClientError> {
        dispatch!(self.config(name))
    }
    pub async fn status(&self, name: &str) -> Result<ConnectorStateInfo, ClientError> {
        dispatch!(self.status(name))
    }
    pub async fn tasks(&self, name: &str) -> Result<Vec<TaskInfo>, ClientError> {
        dispatch!(self.tasks(name))
    }
    pub async fn topics(&self, name: &str) -> Result<ConnectorTopics, ClientError> {
        dispatch!(self.topics(name))
    }
    pub async fn reset_topics(&self, name: &str) -> Result<(), ClientError> {
        dispatch!(self.reset_topics(name))
    }
    pub async fn create(&self, req: &CreateConnectorRequest) -> Result<ConnectorInfo, ClientError> {
        dispatch!(self.create(req))
    }
    pub async fn put_config(
        &self,
        name: &str,
        config: &ConfigMap,
    ) -> Result<(bool, ConnectorInfo), ClientError> {
        dispatch!(self.put_config(name, config))
    }
    pub async fn patch_config(
        &self,
        name: &str,
        patch: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<ConnectorInfo, ClientError> {
        dispatch!(self.patch_config(name, patch))
    }
    pub async fn validate(
        &self,
        plugin: &str,
        config: &ConfigMap,
    ) -> Result<ConfigInfos, ClientError> {
        dispatch!(self.validate(plugin, config))
    }
    pub async fn pause(&self, name: &str) -> Result<(), ClientError> {
        dispatch!(self.pause(name))
    }
    pub async fn resume(&self, name: &str) -> Result<(), ClientError> {
        dispatch!(self.resume(name))
    }
    pub async fn stop(&self, name: &str) -> Result<(), ClientError> {
        dispatch!(self.stop(name))
    }
    pub async fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>, ClientError> {
        dispatch!(self.restart(name, include_tasks, only_failed))
    }
    pub async fn restart_task(&self, name: &str, task: u32) -> Result<(), ClientError> {
        dispatch!(self.restart_task(name, task))
    }
    pub async fn delete(&self, name: &str) -> Result<(), ClientError> {
        dispatch!(self.delete(name))
    }
    pub async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, ClientError> {
        dispatch!(self.offsets(name))
    }
    pub async fn alter_offsets(
        &self,
        name: &str,
        offsets: &ConnectorOffsets,
    ) -> Result<Message, ClientError> {
        dispatch!(self.alter_offsets(name, offsets))
    }
    pub async fn reset_offsets(&self, name: &str) -> Result<Message, ClientError> {
        dispatch!(self.reset_offsets(name))
    }
    pub async fn plugins(&self, connectors_only: bool) -> Result<Vec<PluginInfo>, ClientError> {
        dispatch!(self.plugins(connectors_only))
    }
    pub async fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, ClientError> {
        dispatch!(self.plugin_config(plugin))
    }
    pub async fn loggers(&self) -> Result<Loggers, ClientError> {
        dispatch!(self.loggers())
    }
    pub async fn set_logger(
        &self,
        name: &str,
        level: &str,
        scope: Option<&str>,
    ) -> Result<Vec<String>, ClientError> {
        dispatch!(self.set_logger(name, level, scope))
    }
}

/// Percent-encodes a path segment: connector names may hold spaces, slashes or `?`.
pub fn enc(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'$') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The most of an answer body connectctl reads: Connect's largest answers (`expand` over
/// thousands of connectors) are a few MB; a body beyond this is not a Connect answer.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Reads a body up to `limit` bytes.
async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| root_reason(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(format!(
                "the answer is larger than {} MB, which no Kafka Connect answer is",
                limit / (1024 * 1024)
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error message longer than this is cut to its first line (a 5 MB message or a stack trace
/// sent as the message would bury the status).
const MAX_MESSAGE_CHARS: usize = 2000;
/// How much of a first line is kept when a message is cut.
const FIRST_LINE_CHARS: usize = 300;

/// The `message` of an error body, without Connect's trailing pointer to the validate endpoint.
/// A body that is not Connect's JSON (Jetty's or a proxy's HTML page) gives its text without
/// tags; a huge message gives its first line. The result is escaped for the terminal.
pub fn error_message(body: &[u8]) -> String {
    let msg = match serde_json::from_slice::<ErrorMessage>(body) {
        Ok(e) => e.message,
        // Confluent Cloud's `{"error": {"code", "message"}}`, and its `{"code", "message"}`.
        Err(_) if crate::cloud::error_message(body).is_some() => {
            crate::cloud::error_message(body).unwrap_or_default()
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            if looks_like_html(&text) {
                html_text(&text)
            } else {
                text.trim().to_owned()
            }
        }
    };
    let msg = match msg.find("\nYou can also find the above list of errors") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    };
    let total = msg.chars().count();
    let msg = if total > MAX_MESSAGE_CHARS {
        let first = msg.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let mut cut: String = first.chars().take(FIRST_LINE_CHARS).collect();
        if first.chars().count() > FIRST_LINE_CHARS {
            cut.push_str("...");
        }
        format!("{cut} [message cut: {total} characters]")
    } else {
        msg
    };
    crate::output::esc_text(&msg).into_owned()
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<head")
        || head.starts_with("<body")
        || head.starts_with("<h1")
        || head.starts_with("<title")
}

/// The readable text of an HTML page: its `<title>` (Jetty puts "Error 404 Not Found" there),
/// else the first line of text outside tags, scripts and styles.
fn html_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    if let (Some(a), Some(b)) = (lower.find("<title>"), lower.find("</title>")) {
        if a + 7 <= b {
            let title = html[a + 7..b]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if !title.is_empty() {
                return format!("{title} (an HTML page)");
            }
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    let mut skip_until: Option<&str> = None;
    let mut i = 0;
    while i < html.len() {
        let rest = &lower[i..];
        if let Some(end) = skip_until {
            if rest.starts_with(end) {
                skip_until = None;
                i += end.len();
            } else {
                i += rest.chars().next().map_or(1, char::len_utf8);
            }
            continue;
        }
        if rest.starts_with("<script") {
            skip_until = Some("</script>");
            continue;
        }
        if rest.starts_with("<style") {
            skip_until = Some("</style>");
            continue;
        }
        let c = html[i..].chars().next().unwrap_or(' ');
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push('\n');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
        i += c.len_utf8();
    }
    let first = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    format!("{first} (an HTML page)")
}

/// Whether a URL carries `user[:password]@`.
fn has_userinfo(url: &str) -> bool {
    let Some(scheme_end) = url.find("://") else {
        return false;
    };
    let rest = &url[scheme_end + 3..];
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..host_end].contains('@')
}

/// Query parameters whose values are credentials.
fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "key",
    ]
    .iter()
    .any(|w| n == *w || n.ends_with(&format!("_{w}")) || n.ends_with(&format!(".{w}")))
        || n.contains("password")
        || n.contains("secret")
        || n.contains("token")
}

/// The one redaction every URL goes through before it is shown or logged: removes
/// `user:password@` and replaces the values of credential query parameters (`password=`,
/// `token=`, ...) with `********`. Also used for URL-valued connector configs (`describe`).
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    // Without a scheme (`user:pw@host:8083`), the authority starts at the beginning.
    let auth_start = out.find("://").map_or(0, |i| i + 3);
    let rest = &out[auth_start..];
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if let Some(at) = rest[..host_end].rfind('@') {
        out = format!("{}{}", &out[..auth_start], &rest[at + 1..]);
    }
    redact_query(&out)
}

/// The query-parameter half of [`redact_url`]: values of credential parameters (`password=`,
/// `token=`, JDBC's `;password=`) become `********`.
pub fn redact_query(url: &str) -> String {
    let out = url;
    let Some(q) = out.find(['?', ';']) else {
        return out.to_owned();
    };
    // Query parameters, and JDBC's `;key=value` properties (SQL Server, Derby).
    let (head, tail) = out.split_at(q);
    let mut redacted = head.to_owned();
    let mut rest = tail;
    while let Some(sep) = rest.chars().next() {
        let body = &rest[1..];
        let end = body.find(['&', ';', '#']).unwrap_or(body.len());
        let pair = &body[..end];
        redacted.push(sep);
        match pair.split_once('=') {
            Some((k, v)) if is_secret_param(k) && !v.is_empty() => {
                redacted.push_str(k);
                redacted.push_str("=********");
            }
            _ => redacted.push_str(pair),
        }
        rest = &body[end..];
        if rest.starts_with('#') {
            redacted.push_str(rest);
            break;
        }
    }
    redacted
}

fn read_file(path: &PathBuf, what: &str) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path)
        .map_err(|e| ClientError::Setup(format!("cannot read {what} {}: {e}", path.display())))
}

/// The innermost cause of a transport error ("Connection refused (os error 111)"), which is what
/// the user needs, rather than reqwest's outer "error sending request".
fn root_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_path_segments() {
        assert_eq!(enc("a b/c?"), "a%20b%2Fc%3F");
        assert_eq!(enc("my-conn_1.x"), "my-conn_1.x");
    }

    #[test]
    fn redacts_userinfo() {
        assert_eq!(redact_url("https://u:p@h:8083/x"), "https://h:8083/x");
        assert_eq!(redact_url("http://h:8083"), "http://h:8083");
        assert_eq!(redact_url("http://admin:pw@h"), "http://h");
        assert_eq!(redact_url("http://h/x?u=me@x"), "http://h/x?u=me@x");
        assert_eq!(redact_url("admin:pw@nohost:8083"), "nohost:8083");
    }

    #[test]
    fn redacts_secret_parameters() {
        assert_eq!(
            redact_url("jdbc:postgresql://u:pw@db:5432/x?user=u&password=pw&ssl=true"),
            "jdbc:postgresql://db:5432/x?user=u&password=********&ssl=true"
        );
        assert_eq!(
            redact_url("jdbc:sqlserver://db;databaseName=x;password=pw"),
            "jdbc:sqlserver://db;databaseName=x;password=********"
        );
        assert_eq!(
            redact_url("http://h/?access_token=t#frag"),
            "http://h/?access_token=********#frag"
        );
        assert_eq!(redact_url("http://h/?keyword=a"), "http://h/?keyword=a");
    }

    #[test]
    fn html_and_huge_messages_are_cut_to_a_line() {
        let jetty = b"<html>\n<head>\n<meta/>\n<title>Error 404 Not Found</title>\n</head>\n<body><h2>HTTP ERROR 404</h2></body></html>";
        assert_eq!(error_message(jetty), "Error 404 Not Found (an HTML page)");
        let login = b"<!DOCTYPE html><html><body><script>x()</script><h1>Sign in</h1><p>SSO</p></body></html>";
        assert_eq!(error_message(login), "Sign in (an HTML page)");
        let huge = format!("first line\n{}", "x".repeat(5_000_000));
        let body = serde_json::json!({"error_code": 500, "message": huge}).to_string();
        let m = error_message(body.as_bytes());
        assert!(m.starts_with("first line [message cut: "), "{}", &m[..100]);
        assert!(m.len() < 400);
    }

    #[test]
    fn only_rebalance_conflicts_are_retried() {
        let body = |m: &str| serde_json::json!({"error_code": 409, "message": m}).to_string();
        assert!(is_rebalance(
            409,
            body("Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)").as_bytes()
        ));
        assert!(is_rebalance(
            409,
            body(
                "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
            )
            .as_bytes()
        ));
        assert!(!is_rebalance(
            409,
            body("Connector x already exists").as_bytes()
        ));
        assert!(!is_rebalance(409, b""));
        assert!(is_rebalance(
            500,
            body("Request cannot be completed because a rebalance is expected").as_bytes()
        ));
    }

    #[test]
    fn strips_validate_pointer() {
        let body = br#"{"error_code":400,"message":"bad\nYou can also find the above list of errors at x"}"#;
        assert_eq!(error_message(body), "bad");
    }
}
