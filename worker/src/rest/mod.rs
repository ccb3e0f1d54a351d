//! The REST API, shaped exactly like Apache Kafka Connect's: same paths, status codes, JSON and
//! error messages. `router` builds the whole app so tests can drive it without a socket.
//! Handlers are thin: parse the request, call the [`Herder`] on the blocking pool (its calls
//! may wait for tasks to stop), and return `connect_api` types.

pub mod error;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use connect_api::{
    ConfigKeyInfo, ConfigMap, ConnectorOffset, LoggerLevel, Loggers, Message, ServerInfo,
    WorkerStatus,
};
use serde_json::Value as Json_;

pub use error::ApiError;

use crate::registry;
use crate::runtime::herder::Herder;
use crate::runtime::store::TargetState;

/// What the handlers share.
pub struct AppState {
    pub kafka_cluster_id: String,
    pub herder: Arc<Herder>,
    pub loggers: Mutex<Loggers>,
    pub metrics: Arc<crate::runtime::metrics::Metrics>,
    /// `topic.tracking.enable` and `topic.tracking.allow.reset` (both default true).
    pub topic_tracking: (bool, bool),
}

impl AppState {
    pub fn new(kafka_cluster_id: String, herder: Arc<Herder>) -> AppState {
        let mut loggers = Loggers::new();
        loggers.insert(
            "root".into(),
            LoggerLevel {
                level: "INFO".into(),
                last_modified: None,
            },
        );
        AppState {
            kafka_cluster_id,
            herder,
            loggers: Mutex::new(loggers),
            metrics: Arc::default(),
            topic_tracking: (true, true),
        }
    }

    /// Applies `topic.tracking.enable` / `topic.tracking.allow.reset` from the worker config.
    pub fn with_topic_tracking(mut self, worker: &BTreeMap<String, String>) -> AppState {
        let flag = |k: &str| {
            !worker
                .get(k)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
        };
        self.topic_tracking = (
            flag("topic.tracking.enable"),
            flag("topic.tracking.allow.reset"),
        );
        self
    }

    /// Serves these task counters on `GET /metrics`.
    pub fn with_metrics(mut self, metrics: Arc<crate::runtime::metrics::Metrics>) -> AppState {
        self.metrics = metrics;
        self
    }
}

type Shared = State<Arc<AppState>>;
type ApiResult<T> = Result<T, ApiError>;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/connectors", get(list_connectors).post(create_connector))
        .route(
            "/connectors/{c}",
            get(get_connector).delete(delete_connector),
        )
        .route(
            "/connectors/{c}/config",
            get(get_config).put(put_config).patch(patch_config),
        )
        .route("/connectors/{c}/status", get(connector_status))
        .route("/connectors/{c}/tasks", get(tasks))
        .route("/connectors/{c}/tasks/{t}/status", get(task_status))
        .route("/connectors/{c}/tasks/{t}/restart", post(restart_task))
        .route("/connectors/{c}/restart", post(restart_connector))
        .route("/connectors/{c}/pause", put(pause))
        .route("/connectors/{c}/resume", put(resume))
        .route("/connectors/{c}/stop", put(stop))
        .route("/connectors/{c}/topics", get(topics))
        .route("/connectors/{c}/topics/reset", put(reset_topics))
        .route(
            "/connectors/{c}/offsets",
            get(get_offsets).patch(alter_offsets).delete(reset_offsets),
        )
        .route("/connector-plugins", get(plugins))
        .route("/connector-plugins/{p}/config", get(plugin_config))
        .route("/connector-plugins/{p}/config/validate", put(validate))
        .route("/admin/loggers", get(loggers))
        .route("/admin/loggers/{name}", get(logger).put(set_logger))
        .fallback(|| async { ApiError::no_route() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "HTTP 405 Method Not Allowed",
            )
        })
        .with_state(state)
}

/// Runs a herder call on the blocking pool.
async fn herder<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&Herder) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let h = state.herder.clone();
    tokio::task::spawn_blocking(move || f(&h))
        .await
        .unwrap_or_else(|e| Err(ApiError::internal(format!("request failed: {e}"))))
}

/// Parses a JSON body. Like Jersey, a body with a non-JSON content type is refused with 415,
/// and unparseable JSON is a 500 carrying the parser's message.
fn json_body(headers: &HeaderMap, body: &Bytes) -> ApiResult<Json_> {
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        if !ct
            .trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "HTTP 415 Unsupported Media Type",
            ));
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Json_::Null);
    }
    serde_json::from_slice(body).map_err(|e| ApiError::internal(e.to_string()))
}

/// Jackson's type for config maps in request bodies.
const CONFIG_MAP_TYPE: &str = "java.util.LinkedHashMap<java.lang.String,java.lang.String>";
const CREATE_REQUEST: &str =
    "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest";

/// Jackson's message for a JSON value of the wrong kind. Jackson puts the parser location
/// (`\n at [Source: ...; line: L, column: C]`) before the reference chain; it is left out here.
fn mismatch(target: &str, v: &Json_, chain: &[String]) -> ApiError {
    let (kind, token) = match v {
        Json_::Array(_) => ("Array", "START_ARRAY"),
        Json_::Object(_) => ("Object", "START_OBJECT"),
        Json_::String(_) => ("String", "VALUE_STRING"),
        Json_::Number(n) if n.is_f64() => ("Floating-point", "VALUE_NUMBER_FLOAT"),
        Json_::Number(_) => ("Integer", "VALUE_NUMBER_INT"),
        Json_::Bool(true) => ("Boolean", "VALUE_TRUE"),
        Json_::Bool(false) => ("Boolean", "VALUE_FALSE"),
        Json_::Null => ("Null", "VALUE_NULL"),
    };
    let mut m = format!(
        "Cannot deserialize value of type `{target}` from {kind} value (token `JsonToken.{token}`)"
    );
    if !chain.is_empty() {
        m.push_str(&format!(" (through reference chain: {})", chain.join("->")));
    }
    ApiError::internal(m)
}

/// A JSON object of config values. Like Jackson reading `Map<String,String>`, scalar values are
/// taken as their text; JSON null is kept as `None`. `chain` is where the map sits in the body,
/// for error messages.
fn string_map(v: &Json_, chain: &[String]) -> ApiResult<BTreeMap<String, Option<String>>> {
    let Json_::Object(o) = v else {
        return Err(mismatch(CONFIG_MAP_TYPE, v, chain));
    };
    o.iter()
        .map(|(k, v)| {
            let s = match v {
                Json_::Null => None,
                Json_::String(s) => Some(s.clone()),
                Json_::Bool(_) | Json_::Number(_) => Some(v.to_string()),
                _ => {
                    let mut chain = chain.to_vec();
                    chain.push(format!("java.util.LinkedHashMap[\"{k}\"]"));
                    return Err(mismatch("java.lang.String", v, &chain));
                }
            };
            Ok((k.clone(), s))
        })
        .collect()
}

fn config_map(v: &Json_, chain: &[String]) -> ApiResult<ConfigMap> {
    Ok(string_map(v, chain)?
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect())
}

/// Query parameters in order, percent-decoded; repeated keys are kept.
fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_flag(q: &[(String, String)], key: &str) -> bool {
    q.iter()
        .any(|(k, v)| k == key && v.eq_ignore_ascii_case("true"))
}

fn task_number(t: &str) -> ApiResult<u32> {
    // Jersey cannot bind a non-integer task id and answers as for an unknown path.
    t.parse().map_err(|_| ApiError::no_route())
}

fn location(headers: &HeaderMap, name: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/connectors/{}", encode_path_segment(name))
}

fn encode_path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn root(State(state): Shared) -> Json<ServerInfo> {
    Json(ServerInfo {
        version: crate::CONNECT_API_VERSION.to_owned(),
        commit: concat!("connect-worker-", env!("CARGO_PKG_VERSION")).to_owned(),
        kafka_cluster_id: state.kafka_cluster_id.clone(),
        extra: Default::default(),
    })
}

async fn health() -> Json<WorkerStatus> {
    Json(WorkerStatus {
        status: "healthy".to_owned(),
        message: "Worker has completed startup and is ready to handle requests.".to_owned(),
        extra: Default::default(),
    })
}

/// `GET /metrics`: Prometheus text (not part of Apache's REST API, which exposes JMX).
async fn metrics(State(state): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn list_connectors(State(state): Shared, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let q = query_pairs(q.as_deref());
    let expands: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v.as_str())
        .collect();
    if expands.is_empty() {
        return herder(&state, |h| Ok(Json(h.connectors()).into_response())).await;
    }
    let (status, info) = (expands.contains(&"status"), expands.contains(&"info"));
    herder(&state, move |h| {
        Ok(Json(h.expanded(status, info)).into_response())
    })
    .await
}

async fn create_connector(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    let Json_::Object(req) = &body else {
        return Err(match body {
            Json_::Null => ApiError::internal(
                "Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.name()\" because \"createRequest\" is null",
            ),
            other => mismatch(CREATE_REQUEST, &other, &[]),
        });
    };
    let name = req
        .get("name")
        .and_then(Json_::as_str)
        .unwrap_or("")
        .trim()
        .to_owned();
    let config = match req.get("config") {
        None | Some(Json_::Null) => {
            return Err(ApiError::internal(
                "Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null",
            ));
        }
        Some(c) => config_map(c, &[format!("{CREATE_REQUEST}[\"config\"]")])?,
    };
    let initial = match req.get("initial_state") {
        None | Some(Json_::Null) => None,
        Some(v) => Some(parse_initial_state(v)?),
    };
    let loc = location(&headers, &name);
    herder(&state, move |h| {
        let (_, info) = h.put_connector(&name, config, false, initial)?;
        Ok((StatusCode::CREATED, [(header::LOCATION, loc)], Json(info)).into_response())
    })
    .await
}

fn parse_initial_state(v: &Json_) -> ApiResult<TargetState> {
    let s = v.as_str().unwrap_or("").to_ascii_uppercase();
    match s.as_str() {
        "RUNNING" => Ok(TargetState::Started),
        "PAUSED" => Ok(TargetState::Paused),
        "STOPPED" => Ok(TargetState::Stopped),
        _ => Err(ApiError::internal(format!(
            "Cannot construct instance of `{CREATE_REQUEST}$InitialState`, problem: No enum constant {CREATE_REQUEST}.InitialState.{s} (through reference chain: {CREATE_REQUEST}[\"initial_state\"])"
        ))),
    }
}

async fn get_connector(State(state): Shared, Path(c): Path<String>) -> ApiResult<Response> {
    herder(&state, move |h| {
        Ok(Json(h.connector_info(&c)?).into_response())
    })
    .await
}

async fn delete_connector(State(state): Shared, Path(c): Path<String>) -> ApiResult<StatusCode> {
    herder(&state, move |h| {
        h.delete_connector(&c)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

async fn get_config(State(state): Shared, Path(c): Path<String>) -> ApiResult<Response> {
    herder(&state, move |h| {
        Ok(Json(h.connector_config(&c)?).into_response())
    })
    .await
}

async fn put_config(
    State(state): Shared,
    Path(c): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    if body.is_null() {
        return Err(ApiError::internal(
            "Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null",
        ));
    }
    let config = config_map(&body, &[])?;
    let loc = location(&headers, &c);
    herder(&state, move |h| {
        let (created, info) = h.put_connector(&c, config, true, None)?;
        Ok(if created {
            (StatusCode::CREATED, [(header::LOCATION, loc)], Json(info)).into_response()
        } else {
            Json(info).into_response()
        })
    })
    .await
}

async fn patch_config(
    State(state): Shared,
    Path(c): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    let patch = if body.is_null() {
        BTreeMap::new()
    } else {
        string_map(&body, &[])?
    };
    herder(&state, move |h| {
        Ok(Json(h.patch_connector(&c, patch)?).into_response())
    })
    .await
}

async fn connector_status(State(state): Shared, Path(c): Path<String>) -> ApiResult<Response> {
    herder(&state, move |h| Ok(Json(h.status(&c)?).into_response())).await
}

async fn tasks(State(state): Shared, Path(c): Path<String>) -> ApiResult<Response> {
    herder(&state, move |h| Ok(Json(h.tasks(&c)?).into_response())).await
}

async fn task_status(
    State(state): Shared,
    Path((c, t)): Path<(String, String)>,
) -> ApiResult<Response> {
    let t = task_number(&t)?;
    herder(&state, move |h| {
        Ok(Json(h.task_status(&c, t)?).into_response())
    })
    .await
}

async fn restart_task(
    State(state): Shared,
    Path((c, t)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let t = task_number(&t)?;
    herder(&state, move |h| {
        h.restart_task(&c, t)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

async fn restart_connector(
    State(state): Shared,
    Path(c): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let q = query_pairs(q.as_deref());
    let (include_tasks, only_failed) =
        (query_flag(&q, "includeTasks"), query_flag(&q, "onlyFailed"));
    herder(&state, move |h| {
        Ok(match h.restart(&c, include_tasks, only_failed)? {
            None => StatusCode::NO_CONTENT.into_response(),
            Some(status) => (StatusCode::ACCEPTED, Json(status)).into_response(),
        })
    })
    .await
}

async fn pause(State(state): Shared, Path(c): Path<String>) -> ApiResult<StatusCode> {
    herder(&state, move |h| {
        h.pause(&c)?;
        Ok(StatusCode::ACCEPTED)
    })
    .await
}

async fn resume(State(state): Shared, Path(c): Path<String>) -> ApiResult<StatusCode> {
    herder(&state, move |h| {
        h.resume(&c)?;
        Ok(StatusCode::ACCEPTED)
    })
    .await
}

async fn stop(State(state): Shared, Path(c): Path<String>) -> ApiResult<StatusCode> {
    herder(&state, move |h| {
        h.stop(&c)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

async fn topics(State(state): Shared, Path(c): Path<String>) -> ApiResult<Response> {
    if !state.topic_tracking.0 {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking is disabled.",
        ));
    }
    herder(&state, move |h| Ok(Json(h.topics(&c)).into_response())).await
}

async fn reset_topics(State(state): Shared, Path(c): Path<String>) -> ApiResult<StatusCode> {
    if !state.topic_tracking.0 {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking is disabled.",
        ));
    }
    if !state.topic_tracking.1 {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking reset is disabled.",
        ));
    }
    herder(&state, move |h| {
        h.reset_topics(&c);
        Ok(StatusCode::ACCEPTED)
    })
    .await
}

async fn get_offsets(State(state): Shared, Path(c): Path<String>) -> ApiResult<Response> {
    herder(&state, move |h| {
        Ok(Json(h.connector_offsets(&c)?).into_response())
    })
    .await
}

async fn alter_offsets(
    State(state): Shared,
    Path(c): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    let offsets = offsets_body(&body)?;
    herder(&state, move |h| {
        Ok(Json(Message {
            message: h.alter_offsets(&c, offsets)?,
        })
        .into_response())
    })
    .await
}

/// The `offsets` of a `PATCH .../offsets` body. A missing or null list is empty, which the herder
/// refuses with Apache's message.
fn offsets_body(body: &Json_) -> ApiResult<Vec<ConnectorOffset>> {
    const OFFSETS: &str = "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets";
    let list = match body {
        Json_::Null => return Ok(Vec::new()),
        Json_::Object(o) => o.get("offsets").unwrap_or(&Json_::Null),
        other => return Err(mismatch(OFFSETS, other, &[])),
    };
    match list {
        Json_::Null => Ok(Vec::new()),
        Json_::Array(items) => items
            .iter()
            .map(|i| {
                serde_json::from_value(i.clone()).map_err(|e| ApiError::internal(e.to_string()))
            })
            .collect(),
        other => Err(mismatch(
            "java.util.ArrayList<org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset>",
            other,
            &[format!("{OFFSETS}[\"offsets\"]")],
        )),
    }
}

async fn reset_offsets(State(state): Shared, Path(c): Path<String>) -> ApiResult<Response> {
    herder(&state, move |h| {
        Ok(Json(Message {
            message: h.reset_offsets(&c)?,
        })
        .into_response())
    })
    .await
}

async fn plugins(RawQuery(q): RawQuery) -> Response {
    let q = query_pairs(q.as_deref());
    // `connectorsOnly` defaults to true; only an explicit false lists every plugin.
    let only = !q
        .iter()
        .any(|(k, v)| k == "connectorsOnly" && v.eq_ignore_ascii_case("false"));
    Json(registry::plugin_infos(only)).into_response()
}

async fn plugin_config(Path(p): Path<String>) -> ApiResult<Json<Vec<ConfigKeyInfo>>> {
    let entry =
        registry::find(&p).ok_or_else(|| ApiError::not_found(format!("Unknown plugin {p}.")))?;
    let keys: Vec<ConfigKeyInfo> = match entry.connector_type() {
        // A connector lists its own keys first, then the framework's.
        Some(_) => entry
            .config_def
            .iter()
            .chain(crate::validation::framework_keys(entry))
            .chain(crate::validation::added_keys(entry))
            .map(|k| k.info())
            .collect(),
        None => entry.config_def.iter().map(|k| k.info()).collect(),
    };
    Ok(Json(keys))
}

/// Apache's `normalizedPluginName`: a trailing `Connector` does not count when matching.
fn normalized(name: &str) -> &str {
    name.strip_suffix("Connector").unwrap_or(name)
}

async fn validate(
    State(state): Shared,
    Path(p): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    if body.is_null() {
        return Err(ApiError::internal(
            "Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null",
        ));
    }
    let config = config_map(&body, &[])?;
    if let Some(included) = config.get("connector.class") {
        if !normalized(included).ends_with(normalized(&p)) {
            return Err(ApiError::bad_request(format!(
                "Included connector type {included} does not match request type {p}"
            )));
        }
    }
    herder(&state, move |h| match h.validate(&config) {
        Ok(infos) => Ok(Json(infos).into_response()),
        // Apache surfaces these wrapped in the exception that carried them out of the herder.
        Err(e) => Err(ApiError::internal(format!(
            "org.apache.kafka.connect.runtime.rest.errors.BadRequestException: {}",
            e.0
        ))),
    })
    .await
}

fn lock_loggers(state: &AppState) -> std::sync::MutexGuard<'_, Loggers> {
    state.loggers.lock().unwrap_or_else(|e| e.into_inner())
}

async fn loggers(State(state): Shared) -> Json<Loggers> {
    Json(lock_loggers(&state).clone())
}

async fn logger(State(state): Shared, Path(name): Path<String>) -> ApiResult<Json<LoggerLevel>> {
    lock_loggers(&state)
        .get(&name)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Logger {name} not found.")))
}

const LEVELS: [&str; 8] = [
    "OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL",
];

async fn set_logger(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    let Some(level) = body.get("level").and_then(Json_::as_str) else {
        return Err(ApiError::bad_request(
            "Desired 'level' parameter was not specified in request.",
        ));
    };
    let upper = level.to_ascii_uppercase();
    if !LEVELS.contains(&upper.as_str()) {
        // Apache answers an invalid level with 404.
        return Err(ApiError::not_found(format!("invalid log level '{level}'.")));
    }
    let cluster = query_pairs(q.as_deref())
        .iter()
        .any(|(k, v)| k == "scope" && v.eq_ignore_ascii_case("cluster"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut loggers = lock_loggers(&state);
    let prefix = format!("{name}.");
    let mut changed: Vec<String> = loggers
        .keys()
        .filter(|k| name == "root" || k.starts_with(&prefix))
        .cloned()
        .collect();
    if !changed.contains(&name) {
        changed.push(name.clone());
    }
    changed.sort();
    for n in &changed {
        loggers.insert(
            n.clone(),
            LoggerLevel {
                level: upper.clone(),
                last_modified: Some(now),
            },
        );
    }
    Ok(if cluster {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Json(changed).into_response()
    })
}

#[cfg(test)]
mod tests;
