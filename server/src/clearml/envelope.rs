//! The `{"meta": …, "data": …}` envelope and ClearML's error codes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use app::domain::AppError;

use super::MAX_API_VERSION;

/// What the envelope's `meta` says about the call.
pub struct Meta {
    pub request_id: String,
    pub endpoint: String,
    /// The version in the path, or empty.
    pub requested: String,
}

/// An error as the API reports it: HTTP status (= `result_code`), ClearML subcode and message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub subcode: u16,
    pub message: String,
}

impl ApiError {
    pub fn new(code: u16, subcode: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            subcode,
            message: message.into(),
        }
    }

    /// ClearML's auth subcodes: 20 no credentials, 21 bad credentials, 22 invalid credentials,
    /// 30 invalid token.
    pub fn from_app(e: AppError, request_id: &str) -> Self {
        match e {
            AppError::Unauthorized => Self::new(401, 20, "Unauthorized (missing credentials)"),
            AppError::Internal { .. } => Self::new(
                500,
                0,
                format!("Internal server error (request {request_id})"),
            ),
            AppError::Validation { field, message } => {
                Self::new(400, 12, format!("Validation error ({field}): {message}"))
            }
            other => Self::new(other.http_status(), 0, other.to_string()),
        }
    }
}

/// Wraps a result in the envelope with the matching HTTP status.
pub fn envelope(meta: &Meta, result: Result<Value, ApiError>) -> Response {
    let actual = if meta.requested.is_empty() || meta.requested.starts_with("999.") {
        format!("{}.{}", MAX_API_VERSION.0, MAX_API_VERSION.1)
    } else {
        meta.requested.clone()
    };
    let (code, subcode, msg, data) = match result {
        Ok(data) => (200, 0, "OK".to_string(), data),
        Err(e) => (e.code, e.subcode, e.message, json!({})),
    };
    let body = json!({
        "meta": {
            "id": meta.request_id,
            "trx": meta.request_id,
            "endpoint": {"name": meta.endpoint, "requested_version": if meta.requested.is_empty() { Value::Null } else { Value::String(meta.requested.clone()) }, "actual_version": actual},
            "result_code": code,
            "result_subcode": subcode,
            "result_msg": msg,
            "error_stack": Value::Null,
            "error_data": {},
        },
        "data": data,
    });
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}
