//! Request bodies read as Jersey and Jackson read them, with their answers for bad input:
//! 415 for a non-JSON content type, 500 with the parser's message for malformed JSON, and
//! Jackson's "Cannot deserialize value of type ..." for a JSON value of the wrong kind.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use connect_api::{ConfigMap, ConnectorOffset};
use serde_json::Value as Json_;

use super::{ApiError, ApiResult};

/// The largest request body this worker reads: 64 MiB. Apache's Jackson bounds no document, only
/// each string (20,000,000 chars) and name (50,000 chars), so the JVM's heap is its limit; this
/// bound keeps one request from taking the worker's memory, far above any real config.
pub const MAX_BODY: usize = 64 << 20;
/// Jackson's `StreamReadConstraints` defaults, which Apache's REST layer runs with.
const MAX_STRING_LEN: usize = 20_000_000;
const MAX_NAME_LEN: usize = 50_000;

/// A request body read up to [`MAX_BODY`]; a larger one is refused with a JSON error before
/// it is read (by its `Content-Length`) or as soon as it passes the bound (chunked).
pub(super) struct RawBody(pub Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, _: &S) -> Result<RawBody, ApiError> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(n) = declared.filter(|n| *n > MAX_BODY as u64) {
            return Err(too_large(Some(n)));
        }
        axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map(RawBody)
            .map_err(|e| {
                // A length-limit error is the bound; anything else is a broken upload.
                if std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                {
                    too_large(None)
                } else {
                    ApiError::bad_request(format!("Could not read the request body: {e}"))
                }
            })
    }
}

fn too_large(declared: Option<u64>) -> ApiError {
    let size = declared.map_or_else(|| "over".to_owned(), |n| format!("{n} bytes,"));
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "Request body is {size} larger than this worker's limit of {MAX_BODY} bytes; send a smaller body"
        ),
    )
}

/// Jackson's `StreamReadConstraints` checks on a parsed body: no string over 20,000,000 chars
/// and no object key over 50,000 chars, with Jackson's messages.
fn check_constraints(v: &Json_) -> ApiResult<()> {
    let utf16 = |s: &str| s.encode_utf16().count();
    match v {
        Json_::String(s) if s.len() > MAX_STRING_LEN && utf16(s) > MAX_STRING_LEN => {
            Err(ApiError::internal(format!(
                "String value length ({}) exceeds the maximum allowed ({MAX_STRING_LEN}, from `StreamReadConstraints.getMaxStringLength()`)",
                utf16(s)
            )))
        }
        Json_::Array(items) => items.iter().try_for_each(check_constraints),
        Json_::Object(o) => o.iter().try_for_each(|(k, v)| {
            if k.len() > MAX_NAME_LEN && utf16(k) > MAX_NAME_LEN {
                return Err(ApiError::internal(format!(
                    "Name length ({}) exceeds the maximum allowed ({MAX_NAME_LEN}, from `StreamReadConstraints.getMaxNameLength()`)",
                    utf16(k)
                )));
            }
            check_constraints(v)
        }),
        _ => Ok(()),
    }
}
use crate::runtime::store::TargetState;

/// Parses a JSON body. Like Jersey, a body with a non-JSON content type is refused with 415,
/// and unparseable JSON is a 500 carrying the parser's message.
pub(super) fn json_body(headers: &HeaderMap, body: &Bytes) -> ApiResult<Json_> {
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
    let v: Json_ = serde_json::from_slice(body).map_err(|e| ApiError::internal(e.to_string()))?;
    check_constraints(&v)?;
    Ok(v)
}

/// Jackson's type for config maps in request bodies.
const CONFIG_MAP_TYPE: &str = "java.util.LinkedHashMap<java.lang.String,java.lang.String>";
pub(super) const CREATE_REQUEST: &str =
    "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest";

/// Jackson's message for a JSON value of the wrong kind. Jackson puts the parser location
/// (`\n at [Source: ...; line: L, column: C]`) before the reference chain; it is left out here.
pub(super) fn mismatch(target: &str, v: &Json_, chain: &[String]) -> ApiError {
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
pub(super) fn string_map(
    v: &Json_,
    chain: &[String],
) -> ApiResult<BTreeMap<String, Option<String>>> {
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

pub(super) fn config_map(v: &Json_, chain: &[String]) -> ApiResult<ConfigMap> {
    Ok(string_map(v, chain)?
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect())
}

pub(super) fn parse_initial_state(v: &Json_) -> ApiResult<TargetState> {
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

/// The `offsets` of a `PATCH .../offsets` body. A missing or null list is empty, which the herder
/// refuses with Apache's message.
pub(super) fn offsets_body(body: &Json_) -> ApiResult<Vec<ConnectorOffset>> {
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
