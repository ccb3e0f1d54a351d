//! The REST API, shaped exactly like Apache Kafka Connect's: same paths, status codes, JSON and
//! error messages. `router` builds the whole app so tests can drive it without a socket.
//! Handlers are thin: parse the request, call the [`Herder`] on the blocking pool (its calls
//! may wait for tasks to stop), and return `connect_api` types.

mod body;
pub mod error;
mod loggers;
mod path;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use connect_api::{ConfigKeyInfo, Message, ServerInfo, WorkerStatus};
use serde_json::Value as Json_;

pub use error::ApiError;

use body::{
    CREATE_REQUEST, RawBody, config_map, json_body, mismatch, offsets_body, parse_initial_state,
    string_map,
};
use path::{location, query_flag, query_pairs, task_number};

use crate::logging::LogLevels;
use crate::registry;
use crate::runtime::herder::Herder;

/// What the handlers share.
pub struct AppState {
    pub kafka_cluster_id: String,
    pub herder: Arc<Herder>,
    /// The worker's log levels, read and changed by `/admin/loggers`.
    pub log_levels: Arc<LogLevels>,
    pub metrics: Arc<crate::runtime::metrics::Metrics>,
    /// `topic.tracking.enable` and `topic.tracking.allow.reset` (both default true).
    pub topic_tracking: (bool, bool),
    /// Where `PUT /admin/loggers/{name}?scope=cluster` goes in a group: the config topic,
    /// from which every worker applies it. `None` for a standalone worker.
    pub cluster_levels: Option<ClusterLevels>,
}

/// Writes a cluster-wide logger level (namespace, level as requested).
pub type ClusterLevels = Arc<dyn Fn(&str, &str) -> Result<(), String> + Send + Sync>;

impl AppState {
    pub fn new(kafka_cluster_id: String, herder: Arc<Herder>) -> AppState {
        AppState {
            kafka_cluster_id,
            herder,
            log_levels: Arc::default(),
            metrics: Arc::default(),
            topic_tracking: (true, true),
            cluster_levels: None,
        }
    }

    /// Sends cluster-scope logger levels to the group (distributed mode).
    pub fn with_cluster_levels(mut self, write: ClusterLevels) -> AppState {
        self.cluster_levels = Some(write);
        self
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

    /// Serves and changes these log levels on `/admin/loggers` (the table the process's
    /// logger filters by).
    pub fn with_log_levels(mut self, levels: Arc<LogLevels>) -> AppState {
        self.log_levels = levels;
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
    let api = Router::new()
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
        .route("/admin/loggers", get(loggers::loggers))
        .route(
            "/admin/loggers/{name}",
            get(loggers::logger).put(loggers::set_logger),
        )
        .fallback(|| async { ApiError::no_route() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "HTTP 405 Method Not Allowed",
            )
        })
        .with_state(state);
    // Outside the routes, as Jetty is outside Jersey: the request log sees every answer, and
    // URI checks and path-parameter removal happen before a route is chosen.
    let service = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn(request_log))
        .layer(axum::middleware::from_fn(jetty_uri))
        .service(api);
    Router::new().fallback_service(service)
}

/// Jetty's treatment of the request target: refuses what its URI compliance refuses (see
/// [`path::uri_violation`]) with its HTML error page, and drops `;` path parameters.
async fn jetty_uri(mut request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map_or("", |p| p.as_str())
        .to_owned();
    if let Some(v) = path::uri_violation(&target, request.uri().path()) {
        return (
            StatusCode::from_u16(v.status).unwrap_or(StatusCode::BAD_REQUEST),
            [
                (header::CONTENT_TYPE, "text/html;charset=iso-8859-1"),
                (header::CACHE_CONTROL, "must-revalidate,no-cache,no-store"),
                (header::CONNECTION, "close"),
            ],
            v.page(),
        )
            .into_response();
    }
    if let Some(stripped) = path::strip_path_parameters(request.uri().path()) {
        let rebuilt = match request.uri().query() {
            Some(q) => format!("{stripped}?{q}"),
            None => stripped,
        };
        if let Ok(uri) = rebuilt.parse() {
            *request.uri_mut() = uri;
        }
    }
    next.run(request).await
}

/// Jetty's NCSA request log, which Apache's `RestServer` logs at INFO:
/// `127.0.0.1 - - [30/Nov/2026:20:13:05 +0000] "GET /connectors HTTP/1.1" 200 2 "-" "curl/8" 3`.
async fn request_log(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::body::HttpBody as _;
    let started = std::time::Instant::now();
    let when = std::time::SystemTime::now();
    let remote = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "-".to_owned(), |c| c.0.ip().to_string());
    let line = format!(
        "\"{} {} {:?}\"",
        request.method(),
        request.uri(),
        request.version()
    );
    let header = |h: &HeaderMap, name: header::HeaderName| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let referer = header(request.headers(), header::REFERER);
    let agent = header(request.headers(), header::USER_AGENT);
    let response = next.run(request).await;
    let size = response
        .body()
        .size_hint()
        .exact()
        .map_or_else(|| "-".to_owned(), |n| n.to_string());
    tracing::info!(
        "{remote} - - [{}] {line} {} {size} \"{referer}\" \"{agent}\" {}",
        crate::logging::ncsa_date(when),
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
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
    RawBody(body): RawBody,
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
    let name = req.get("name").and_then(Json_::as_str).unwrap_or("");
    // Java's `String.trim()`, as Apache trims the name: every char up to U+0020 at either end
    // (control characters included), but no other Unicode space.
    let name = name.trim_matches(|c: char| c <= ' ').to_owned();
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
    RawBody(body): RawBody,
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
    RawBody(body): RawBody,
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
    RawBody(body): RawBody,
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
    RawBody(body): RawBody,
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

#[cfg(test)]
pub(crate) mod tests;
