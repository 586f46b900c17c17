//! The ClearML-compatible REST API: `/{service}.{action}` and `/v{major}.{minor}/{service}.{action}`,
//! GET or POST, a JSON body (also on GET) merged with the query string, and every answer in the
//! `{"meta": …, "data": …}` envelope with the HTTP status equal to `meta.result_code`. Each area
//! declares its endpoints in its own module; the registry checks every declared rule (who may call,
//! cookies and state changes, impersonation) before a handler runs, and each handler calls the same
//! services as the console, so anything clickable is scriptable under the same rules.

mod envelope;
pub mod registry;

mod access_rules;
mod audit;
mod billing;
mod catalog;
mod cloud_access;
mod credentials;
mod groups;
mod identity_providers;
mod preferences;
mod profile;
mod resources;
mod server;
mod service_accounts;
mod users;
mod vaults;
mod workspaces;

pub use envelope::{ApiError, envelope};
pub use registry::{Access, Endpoint, all as endpoints, find as endpoint, openapi};

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request};
use axum::response::Response;
use serde_json::{Map, Value};

use app::api::backend::{Caller, RequestId};
use app::domain::{AppError, Code};

use crate::services::credentials::AuthFailure;
use crate::state::AppState;

pub use app::tokens::{MAX_API_VERSION, SERVER_VERSION};

/// The parameter a JSON-lines body (ClearML's batch calls, such as `events.add_batch`) arrives
/// in: the list of its lines' objects.
pub const BATCH: &str = "_batch";

/// ClearML's service names: a bare `/{service}.{action}` path with one of these is an API call, any
/// other path is left to the console and its static files.
pub const SERVICES: [&str; 32] = [
    "auth",
    "access_rules",
    "identity_providers",
    "resource_configuration",
    "resource_pools",
    "resource_profiles",
    "resource_policies",
    "groups",
    "service_accounts",
    "workspaces",
    "users",
    "server",
    "debug",
    "audit",
    "projects",
    "tasks",
    "models",
    "queues",
    "workers",
    "events",
    "organization",
    "pipelines",
    "reports",
    "datasets",
    "dataviews",
    "frames",
    "storage",
    "serving",
    "apps",
    "login",
    "billing",
    "usage",
];

/// A parsed API address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiPath {
    pub endpoint: String,
    /// `None` when the path carries no version.
    pub version: Option<(u32, u32)>,
}

/// Recognises an API call's path, at the root or under `/api` (where a ClearML web server proxies
/// its API, and so the address the configuration section gives the SDK).
pub fn parse_path(path: &str) -> Option<ApiPath> {
    let path = path
        .strip_prefix("/api")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path);
    let path = path.strip_prefix('/')?;
    let (version, rest) = match path.split_once('/') {
        Some((v, rest)) => {
            let (major, minor) = v.strip_prefix('v')?.split_once('.')?;
            (Some((major.parse().ok()?, minor.parse().ok()?)), rest)
        }
        None => (None, path),
    };
    let (service, action) = rest.split_once('.')?;
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if !word(service) || !word(action) {
        return if version.is_some() {
            Some(ApiPath {
                endpoint: rest.to_string(),
                version,
            })
        } else {
            None
        };
    }
    if version.is_none() && !SERVICES.contains(&service) {
        return None;
    }
    Some(ApiPath {
        endpoint: rest.to_string(),
        version,
    })
}

/// Merges the query string into the body: repeated keys become lists, "true"/"false" booleans.
pub fn merge_query(body: &mut Map<String, Value>, query: &str) {
    for (k, v) in url_pairs(query) {
        let value = match v.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(v),
        };
        match body.get_mut(&k) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                body.insert(k, value);
            }
        }
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` as space.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The rules an endpoint's declaration states, checked before its handler runs: administrators
/// only; key pairs and tokens only; no impersonating token unless the endpoint allows it; and a
/// caller authenticated by a cookie changes nothing without POST from the same origin (browsers
/// send cookies on cross-site top-level GET navigations).
fn admit(
    endpoint: &Endpoint,
    caller: Option<&Caller>,
    parts: &axum::http::request::Parts,
) -> Result<(), AppError> {
    let Some(caller) = caller else {
        return Ok(());
    };
    if caller.impersonated.is_some() && !endpoint.impersonation {
        return Err(AppError::forbidden(format!(
            "call {} with a token that impersonates another user",
            endpoint.name
        )));
    }
    match endpoint.access {
        Access::Public | Access::Member => {}
        Access::Credential if caller.credential_id.is_none() => {
            return Err(AppError::Unauthorized);
        }
        Access::Credential => {}
        // clearml-server's answer for an endpoint the caller's role may not call: 403/20.
        Access::Admin => caller
            .identity
            .require_admin(&format!("call {}", endpoint.name))
            .map_err(|e| match e {
                AppError::Forbidden(what) => AppError::refused(
                    Code::RoleNotAllowed,
                    format!("forbidden (not allowed for role): only administrators may {what}"),
                ),
                other => other,
            })?,
    }
    let by_cookie = !parts
        .headers
        .contains_key(axum::http::header::AUTHORIZATION);
    if endpoint.writes && by_cookie {
        if parts.method != Method::POST {
            return Err(AppError::forbidden(format!(
                "call {} from a browser session except with POST",
                endpoint.name
            )));
        }
        if crate::http::is_cross_site_parts(parts) {
            return Err(AppError::forbidden(format!(
                "call {} from another site",
                endpoint.name
            )));
        }
    }
    Ok(())
}

/// The access rules' check of the object an endpoint declares: each object its id parameter names
/// (in every line of a batch), or for a creation the project the new object goes into. Listings
/// (no id parameter) are filtered by the service instead.
async fn check_resource(
    state: &AppState,
    who: &app::domain::Identity,
    r: registry::Resource,
    params: &Map<String, Value>,
) -> Result<(), AppError> {
    use app::domain::access_rules::Level;
    use app::domain::catalog::Kind;
    let Some(mut kind) = Kind::parse(r.kind) else {
        return Ok(());
    };
    let needed = match r.permission {
        registry::Permission::Read => Level::Read,
        registry::Permission::Modify => Level::Modify,
    };
    let access = &state.services.access_rules;
    if r.id_param.is_empty() {
        return match needed {
            Level::Modify => access.check_creation(who, kind, None).await,
            _ => Ok(()),
        };
    }
    let lines: Vec<&Map<String, Value>> = match params.get(BATCH) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        _ => vec![params],
    };
    let mut ids: Vec<&str> = Vec::new();
    for line in lines {
        match line.get(r.id_param) {
            Some(Value::String(s)) => ids.push(s),
            Some(Value::Array(a)) => ids.extend(a.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
    if r.id_param == "project" && kind != Kind::Project {
        // A creation inside a project (none named: outside any).
        return access.check_creation(who, kind, ids.first().copied()).await;
    }
    if kind == Kind::Dataset && r.id_param == "version" {
        kind = Kind::DatasetVersion;
    }
    ids.sort_unstable();
    ids.dedup();
    access.check_objects(who, kind, &ids, needed).await
}

/// Answers one API call.
pub async fn handle(state: AppState, api: ApiPath, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let caller = parts.extensions.get::<Caller>().cloned();
    let requested = api
        .version
        .map(|(a, b)| format!("{a}.{b}"))
        .unwrap_or_default();
    let ctx = envelope::Meta {
        request_id: request_id.clone(),
        endpoint: api.endpoint.clone(),
        requested: requested.clone(),
    };

    if parts.method != Method::GET && parts.method != Method::POST {
        return envelope(
            &ctx,
            Err(ApiError::new(405, 0, "Only GET and POST are supported")),
        );
    }
    let Some(endpoint) = registry::find(&api.endpoint) else {
        // A call a client makes that Atrium does not serve is worth knowing about.
        tracing::warn!(endpoint = ?api.endpoint, "unknown endpoint called");
        return envelope(
            &ctx,
            Err(ApiError::new(
                404,
                0,
                format!("Unknown endpoint {}", api.endpoint),
            )),
        );
    };
    if let Some(v) = api.version
        && v < endpoint.min_version
    {
        return envelope(
            &ctx,
            Err(ApiError::new(
                400,
                0,
                format!(
                    "{} needs API version {}.{} or newer",
                    endpoint.name, endpoint.min_version.0, endpoint.min_version.1
                ),
            )),
        );
    }
    let limit = state.settings.max_body_bytes;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return envelope(
                &ctx,
                Err(ApiError::new(
                    413,
                    0,
                    format!("Request body larger than {limit} bytes"),
                )),
            );
        }
    };
    let json_lines = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json-lines"));
    let mut params = if bytes.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else if json_lines {
        let mut items = Vec::new();
        for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(v @ Value::Object(_)) => items.push(v),
                _ => {
                    return envelope(
                        &ctx,
                        Err(ApiError::new(
                            400,
                            18,
                            format!("Line {} of the batch is not a JSON object", n + 1),
                        )),
                    );
                }
            }
        }
        let mut m = Map::new();
        m.insert(BATCH.into(), Value::Array(items));
        m
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return envelope(
                    &ctx,
                    Err(ApiError::new(
                        400,
                        0,
                        "The request body must be a JSON object",
                    )),
                );
            }
            Err(e) => {
                return envelope(
                    &ctx,
                    Err(ApiError::new(400, 0, format!("Malformed JSON body: {e}"))),
                );
            }
        }
    };
    merge_query(&mut params, parts.uri.query().unwrap_or_default());
    if endpoint.access != Access::Public && caller.is_none() {
        let err = match parts.extensions.get::<AuthFailure>() {
            Some(failure) => ApiError::new(failure.status(), failure.subcode(), failure.message()),
            None => ApiError::new(401, 20, "Unauthorized (missing credentials)"),
        };
        return envelope(&ctx, Err(err));
    }
    if let Err(e) = admit(endpoint, caller.as_ref(), &parts) {
        return envelope(&ctx, Err(ApiError::from_app(e, &request_id)));
    }
    if let (Some(r), Some(c)) = (endpoint.resource, &caller)
        && let Err(e) = check_resource(&state, &c.identity, r, &params).await
    {
        return envelope(&ctx, Err(ApiError::from_app(e, &request_id)));
    }
    if let Some(c) = &caller {
        let usage = &state.services.core.usage;
        // Under hard limits, a workspace past its Free allowance keeps only what leads out of it.
        if usage.is_blocked(&c.identity.workspace_id)
            && !endpoint.name.starts_with("billing.")
            && !endpoint.name.starts_with("usage.")
        {
            let prices = &state.services.core.settings.prices;
            return envelope(
                &ctx,
                Err(ApiError::new(
                    429,
                    0,
                    format!(
                        "This workspace has used the {} API calls of the Free plan this month, and this server refuses calls beyond it. Calls resume on the 1st (UTC), or at once after an upgrade to Pro (Settings → Usage & Billing).",
                        app::domain::billing::format_count(prices.free.api_calls)
                    ),
                )),
            );
        }
        usage.record(&c.identity.workspace_id, state.services.core.clock.now_ms());
    }
    let now = state.services.core.clock.now_ms();
    let caches = &state.services.core.caches;
    let cache_key = match &caller {
        Some(c) if endpoint.name == "users.get_current_user" => {
            // An impersonated identity answers differently (never as an administrator).
            let scope = if c.impersonated.is_some() {
                "impersonated"
            } else {
                "own"
            };
            Some((
                c.identity.user_id.clone(),
                format!("{}#{scope}", c.identity.workspace_id),
            ))
        }
        _ => None,
    };
    if let Some(raw) = cache_key
        .as_ref()
        .and_then(|k| caches.current_users.get(k, now))
    {
        return envelope(&ctx, Ok(&raw));
    }
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (impersonate, act_as) = (
        header("x-clearml-impersonate-as"),
        header("x-clearml-act-as"),
    );
    if act_as.is_some() {
        let msg = if impersonate.is_some() {
            "X-Clearml-Impersonate-As and X-Clearml-Act-As cannot be used together"
        } else {
            "X-Clearml-Act-As is not supported; use X-Clearml-Impersonate-As"
        };
        return envelope(&ctx, Err(ApiError::new(400, 0, msg)));
    }
    let result = (endpoint.run)(
        registry::Ctx {
            state: state.clone(),
            caller,
            impersonate,
        },
        Value::Object(params),
    )
    .await;
    if let (Some(key), Ok(data)) = (cache_key, &result) {
        caches.current_users.put(key, Arc::from(data.clone()), now);
    }
    match result {
        Ok(data) => envelope(&ctx, Ok(&data)),
        Err(e) => envelope(&ctx, Err(ApiError::from_app(e, &request_id))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_api_paths() {
        assert_eq!(
            parse_path("/auth.login"),
            Some(ApiPath {
                endpoint: "auth.login".into(),
                version: None
            })
        );
        assert_eq!(
            parse_path("/v2.23/users.get_current_user"),
            Some(ApiPath {
                endpoint: "users.get_current_user".into(),
                version: Some((2, 23))
            })
        );
        assert_eq!(
            parse_path("/v999.0/debug.ping").unwrap().version,
            Some((999, 0))
        );
        assert_eq!(parse_path("/favicon.svg"), None);
        assert_eq!(parse_path("/settings/profile"), None);
        assert_eq!(parse_path("/pkg/atrium.js"), None);
        assert_eq!(parse_path("/v2.1/Bad-Name"), None);
        assert_eq!(parse_path("/vx.1/auth.login"), None);
    }

    #[test]
    fn merges_query_into_body() {
        let mut body = json!({"a": 1}).as_object().cloned().unwrap();
        merge_query(
            &mut body,
            "enabled=true&types=config&types=config&name=a%20b+c&flag=false",
        );
        assert_eq!(
            Value::Object(body),
            json!({"a": 1, "enabled": true, "types": ["config", "config"], "name": "a b c", "flag": false})
        );
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%2Fb%zz%"), "a/b%zz%");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
