//! The `{"meta": …, "data": …}` envelope and ClearML's error codes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::value::RawValue;
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
            AppError::Refused { code, message } => {
                let (status, subcode) = code.codes();
                Self::new(status, subcode, message)
            }
            AppError::Validation { field, message } => {
                Self::new(400, 12, format!("Validation error ({field}): {message}"))
            }
            other => Self::new(other.http_status(), 0, other.to_string()),
        }
    }
}

/// The `meta` block as it is written out.
#[derive(serde::Serialize)]
struct MetaOut<'a> {
    id: &'a str,
    trx: &'a str,
    endpoint: EndpointOut<'a>,
    result_code: u16,
    result_subcode: u16,
    result_msg: &'a str,
    error_stack: Option<()>,
    error_data: serde_json::Map<String, Value>,
}

#[derive(serde::Serialize)]
struct EndpointOut<'a> {
    name: &'a str,
    requested_version: Option<&'a str>,
    actual_version: &'a str,
}

#[derive(serde::Serialize)]
struct Envelope<'a, D: serde::Serialize> {
    meta: MetaOut<'a>,
    data: D,
}

fn json_response<D: serde::Serialize>(
    meta: &Meta,
    code: u16,
    subcode: u16,
    msg: &str,
    data: D,
) -> Response {
    let max = format!("{}.{}", MAX_API_VERSION.0, MAX_API_VERSION.1);
    let actual = if meta.requested.is_empty() || meta.requested.starts_with("999.") {
        &max
    } else {
        &meta.requested
    };
    let body = Envelope {
        meta: MetaOut {
            id: &meta.request_id,
            trx: &meta.request_id,
            endpoint: EndpointOut {
                name: &meta.endpoint,
                requested_version: (!meta.requested.is_empty()).then_some(meta.requested.as_str()),
                actual_version: actual,
            },
            result_code: code,
            result_subcode: subcode,
            result_msg: msg,
            error_stack: None,
            error_data: serde_json::Map::new(),
        },
        data,
    };
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match serde_json::to_vec(&body) {
        Ok(bytes) => (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Wraps a result (its data already written as JSON) in the envelope with the matching HTTP
/// status.
pub fn envelope(meta: &Meta, result: Result<&RawValue, ApiError>) -> Response {
    match result {
        Ok(data) => json_response(meta, 200, 0, "OK", data),
        Err(e) => json_response(meta, e.code, e.subcode, &e.message, json!({})),
    }
}
