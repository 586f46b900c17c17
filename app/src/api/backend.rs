//! What a server function needs from its request: the caller, the services (handed to every request
//! through the Leptos context), the client's address, the request id, and response headers. Server
//! functions call the services directly; the REST API and the command line call the same ones.

use crate::domain::{AppError, Identity};
use crate::services::Services;

/// The authenticated caller of a request, put into the request's extensions by the server's
/// authentication layer.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
    /// The browser session, when the request came with one.
    pub session_id: Option<String>,
    /// The API credential, when the request came with a key pair or a token issued from one.
    pub credential_id: Option<String>,
    /// The member a service account's (or an admin's) token acts as; `identity` is then theirs.
    pub impersonated: Option<String>,
    /// When that impersonation began (seconds since the epoch).
    pub impersonated_since: Option<i64>,
    /// The token the request came with, when it came with one.
    pub token: Option<TokenRef>,
}

/// A token a request came with: its id (which `auth.logout` ends) and when it expires.
#[derive(Debug, Clone)]
pub struct TokenRef {
    pub id: String,
    pub expires_ms: i64,
}

/// The request's id, for error messages that point into the server log.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A login attempt as the session service sees it.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pub login: String,
    pub password: String,
    pub client_ip: String,
}

/// A new browser session: the cookie value is returned once and stored only as a hash.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: String,
    pub max_age_secs: i64,
}

fn parts() -> Result<http::request::Parts, AppError> {
    leptos::prelude::use_context::<http::request::Parts>().ok_or(AppError::Internal {
        request_id: "no-request".into(),
    })
}

/// The services, from context.
pub fn services() -> Result<Services, AppError> {
    leptos::prelude::use_context::<Services>().ok_or(AppError::Internal {
        request_id: "no-services".into(),
    })
}

/// The caller, or `Unauthorized`.
pub fn caller() -> Result<Caller, AppError> {
    parts()?
        .extensions
        .get::<Caller>()
        .cloned()
        .ok_or(AppError::Unauthorized)
}

/// The caller if logged in.
pub fn maybe_caller() -> Option<Caller> {
    parts().ok()?.extensions.get::<Caller>().cloned()
}

/// The client's address as the server's connection layer recorded it.
pub fn client_ip() -> String {
    parts()
        .ok()
        .and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
        .unwrap_or_else(|| "unknown".into())
}

/// The client address, put into the request's extensions by the server.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

/// Gives internal errors the request's id so that the message points into the server log, and
/// answers a failed call from script with the error's HTTP status. (A form posted without
/// JavaScript keeps the redirect back to its page, which carries the error.)
pub fn with_request_id<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        let from_form = parts().ok().is_some_and(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("text/html"))
        });
        if let (false, Some(opts), Ok(code)) = (
            from_form,
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(e.http_status()),
        ) {
            opts.set_status(code);
        }
    }
    result.map_err(|e| match e {
        AppError::Internal { request_id } if request_id.is_empty() => AppError::Internal {
            request_id: parts()
                .ok()
                .and_then(|p| p.extensions.get::<RequestId>().map(|r| r.0.clone()))
                .unwrap_or_default(),
        },
        other => other,
    })
}

/// Sets a response header (cookies) from inside a server function.
pub fn set_header(name: http::HeaderName, value: &str) {
    if let (Some(opts), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        opts.append_header(name, value);
    }
}
