//! `/admin/loggers`: Apache's `LoggingResource` over the worker's run-time level table
//! ([`crate::logging::LogLevels`]), so a level set here changes what the worker logs.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use connect_api::{LoggerLevel, Loggers};
use serde_json::Value as Json_;

use super::body::{RawBody, json_body};
use super::path::query_pairs;
use super::{ApiError, ApiResult, Shared};
use crate::logging::{self, Level};

fn shown(l: logging::LoggerLevel) -> LoggerLevel {
    LoggerLevel {
        level: l.level.as_str().to_owned(),
        last_modified: l.last_modified,
    }
}

/// `GET /admin/loggers`: every logger the worker has, with its effective level.
pub(super) async fn loggers(State(state): Shared) -> Json<Loggers> {
    Json(
        state
            .log_levels
            .all()
            .into_iter()
            .map(|(n, l)| (n, shown(l)))
            .collect(),
    )
}

/// `GET /admin/loggers/{name}`; `root` in any case is the root logger.
pub(super) async fn logger(
    State(state): Shared,
    Path(name): Path<String>,
) -> ApiResult<Json<LoggerLevel>> {
    state
        .log_levels
        .level(&name)
        .map(|l| Json(shown(l)))
        .ok_or_else(|| ApiError::not_found(format!("Logger {name} not found.")))
}

/// `PUT /admin/loggers/{name}?scope=worker|cluster`. Worker scope (the default, and any unknown
/// scope, as in Apache) answers the changed loggers; cluster scope answers 204. In a group the
/// cluster scope is a record in the config topic that every worker applies when it reads it; a
/// standalone worker is its own cluster, so there both change this worker's levels.
pub(super) async fn set_logger(
    State(state): Shared,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let body = json_body(&headers, &body)?;
    let Some(level) = body.get("level").and_then(Json_::as_str) else {
        return Err(ApiError::bad_request(
            "Desired 'level' parameter was not specified in request.",
        ));
    };
    let Some(parsed) = Level::parse(level) else {
        // Apache answers an invalid level with 404.
        return Err(ApiError::not_found(format!("invalid log level '{level}'.")));
    };
    let scope = query_pairs(q.as_deref())
        .into_iter()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v);
    let cluster = scope
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("cluster"));
    if let Some(s) = scope
        .as_deref()
        .filter(|s| !s.eq_ignore_ascii_case("cluster") && !s.eq_ignore_ascii_case("worker"))
    {
        tracing::warn!(
            "Received invalid scope '{s}' in request to adjust logging level; will default to worker"
        );
    }
    if let (true, Some(write)) = (cluster, state.cluster_levels.clone()) {
        let level = level.to_owned();
        tokio::task::spawn_blocking(move || write(&name, &level))
            .await
            .map_err(|e| ApiError::internal(format!("request failed: {e}")))?
            .map_err(ApiError::internal)?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let changed = state.log_levels.set_level(&name, parsed);
    Ok(if cluster {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Json(changed).into_response()
    })
}
