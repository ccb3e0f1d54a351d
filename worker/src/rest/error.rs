//! Connect's error body, `{"error_code": N, "message": "..."}`, for every failure, including
//! malformed requests (which Apache answers with 500 and the parser's message).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use connect_api::ErrorMessage;

use crate::runtime::herder::HerderError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// JAX-RS's own answer for an unmatched path.
    pub fn no_route() -> ApiError {
        ApiError::not_found("HTTP 404 Not Found")
    }
}

impl From<HerderError> for ApiError {
    fn from(e: HerderError) -> ApiError {
        let status = match &e {
            HerderError::NotFound(_) => StatusCode::NOT_FOUND,
            HerderError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HerderError::Conflict(_) => StatusCode::CONFLICT,
            HerderError::Forbidden(_) => StatusCode::FORBIDDEN,
            HerderError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorMessage {
            error_code: self.status.as_u16(),
            message: self.message,
        };
        // JAX-RS's own answers (`HTTP 404 Not Found`, `HTTP 405 Method Not Allowed`, ...) reach
        // Connect's exception mapper without a media type, and Jetty sends them without a
        // Content-Type header; Connect's own errors are `application/json`.
        let jax_rs = body
            .message
            .strip_prefix("HTTP ")
            .is_some_and(|m| m.starts_with(|c: char| c.is_ascii_digit()));
        let mut response = (self.status, Json(body)).into_response();
        if jax_rs {
            response
                .headers_mut()
                .remove(axum::http::header::CONTENT_TYPE);
        }
        response
    }
}
