//! The HTTP layer: the console's pages and server functions, the REST API, static files, health and
//! metrics, and the middleware every request passes through (request id, tracing, metrics, security
//! headers, body limit, cross-origin refusal, session resolution, login redirect).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Query, State};
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

use app::api::backend::{Caller, ClientIp, RequestId};
use app::api::sessions::SESSION_COOKIE;
use app::domain::AppError;
use app::domain::audit::AuditQuery;
use app::{App, OUTPUT_NAME, shell};

use crate::rest;
use crate::services::Services;
use crate::services::credentials::AuthFailure;
use crate::state::{AppParts, AppState};

/// The process-wide metrics recorder (installed once, shared by every router built in the process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0,
                    ],
                )
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Leptos' options for a site folder.
pub fn leptos_options(site_root: &str, addr: SocketAddr) -> LeptosOptions {
    let options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    crate::assets::with_hashed_names(options)
}

/// The whole application.
pub fn router(services: Services, leptos_options: LeptosOptions) -> Router {
    let settings = services.core.settings.clone();
    let state = AppState::new(AppParts {
        leptos_options: leptos_options.clone(),
        db: services.core.db.clone(),
        metrics: metrics_handle(),
        settings: settings.clone(),
        services: services.clone(),
    });
    let routes = route_list();
    let context = {
        let services = services.clone();
        move || provide_context(services.clone())
    };

    let mut router = Router::new();
    if settings.test_clock {
        router = router.route("/test/clock.advance", axum::routing::post(advance_clock));
    }
    router
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route(
            "/openapi.json",
            get(|| async { axum::Json(rest::openapi()) }),
        )
        .route("/settings/audit-log/export.csv", get(export_audit_csv))
        .route("/settings/billing/invoices/{file}", get(invoice_pdf))
        .route(RESOURCE_EVENTS, get(resource_usage_events))
        .merge(crate::files::routes())
        .merge(crate::sso::routes())
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(fallback)
        // Server functions read their body with axum's limit: the same as everywhere else.
        .layer(axum::extract::DefaultBodyLimit::max(
            settings.max_body_bytes,
        ))
        // One middleware for everything every request needs: each extra layer costs every request.
        .layer(middleware::from_fn_with_state(state.clone(), pipeline))
        .with_state(state)
}

/// The console's routes, generated once per process. Generating them runs the whole app with
/// resource loading suppressed for the whole process (leptos_server's `SuppressResourceLoad` is a
/// global flag), so a page that another router of the same process rendered meanwhile would wait
/// forever on its first resource: the tests build many routers side by side.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// A new request id: 16 random hex characters.
fn new_request_id() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

/// What every request passes through, in order: a request id (the client's `X-Request-Id` or a
/// new one) and a tracing span carrying it; refusal of cross-site state changes and oversized
/// bodies; authentication; then security headers, the id echoed back, and the request counted in
/// the metrics by method, route and status.
///
/// Bodies are limited to `max_body_bytes` whether or not they declare their length: a declared
/// length over the limit is refused at once, server functions get their body read here through the
/// limit (so that a chunked body over it answers 413, not a failure inside the handler), other
/// console routes read theirs through it, and the API reads its own to answer in its envelope.
async fn pipeline(State(state): State<AppState>, mut req: Request<Body>, next: Next) -> Response {
    let start = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .map(str::to_string)
        .unwrap_or_else(new_request_id);
    let span = tracing::info_span!("request", request_id = %id);
    let method = req.method().clone();
    let route = route_label(&req);
    let route_is_fn = req.uri().path().starts_with("/fn/");
    req.extensions_mut().insert(RequestId(id.clone()));

    let res = async {
        let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        // A SAML provider posts its response from its own site; that route only posts it on.
        if !safe && is_cross_site(&req) && req.uri().path() != crate::sso::ACS_PATH {
            return (StatusCode::FORBIDDEN, "Cross-site requests are refused.\n").into_response();
        }
        let req = match limit_body(req, state.settings.max_body_bytes).await {
            Ok(req) => req,
            Err(res) => return res,
        };
        match authenticate(&state, req).await {
            Ok(req) => server_fn_status(route_is_fn, next.run(req).await).await,
            Err(res) => res,
        }
    }
    .instrument(span.clone())
    .await;

    let mut res = res;
    let status = res.status();
    let headers = res.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if state.settings.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert("x-request-id", v);
    }
    let elapsed = start.elapsed();
    if status.is_server_error() {
        span.in_scope(|| {
            tracing::error!(
                method = method_label(&method),
                route,
                status = status.as_u16(),
                latency_ms = elapsed.as_millis() as u64,
                "request failed"
            )
        });
    }
    record_request(&method, route, status.as_u16(), elapsed.as_secs_f64());
    res
}

/// A server function that failed before its body ran (its input could not be decoded) answers
/// 500 with the error; this gives it the error's own status (400 for undecodable input).
async fn server_fn_status(is_fn: bool, res: Response) -> Response {
    if !is_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response();
    };
    if let Ok(e) = serde_json::from_slice::<app::domain::AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(e.http_status())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A request body too large to accept.
fn too_large() -> Response {
    (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.\n").into_response()
}

/// Holds a request's body to `limit` bytes (see [`pipeline`]); the `Err` answer refuses it.
async fn limit_body(req: Request<Body>, limit: usize) -> Result<Request<Body>, Response> {
    let path = req.uri().path();
    // The API reads its own body; the file server streams uploads to disk under its own limit.
    if rest::parse_path(path).is_some() || crate::files::owns(path) {
        return Ok(req);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    if !path.starts_with("/fn/") {
        return Ok(req.map(|body| Body::new(http_body_util::Limited::new(body, limit))));
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let over = std::iter::successors(Some(&e as &dyn std::error::Error), |c| c.source())
                .any(|c| c.is::<http_body_util::LengthLimitError>());
            return Err(if over {
                too_large()
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read.\n",
                )
                    .into_response()
            });
        }
    };
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The method a request is counted under: the standard ones by name, any other as `OTHER`, so that
/// clients cannot grow the metrics by making methods up.
pub fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "OTHER",
    }
}

type MetricHandles = (metrics::Counter, metrics::Histogram);
type HandleMap =
    std::sync::RwLock<std::collections::HashMap<(&'static str, String, u16), MetricHandles>>;

/// Counts a request: the handles of each (method, route, status) are made once and kept, so that
/// counting costs a map lookup rather than building labelled keys every time. Every label comes
/// from a bounded set: [`method_label`], [`route_label`] and the status the server chose.
fn record_request(method: &Method, route: String, status: u16, seconds: f64) {
    static HANDLES: OnceLock<HandleMap> = OnceLock::new();
    let handles = HANDLES.get_or_init(Default::default);
    let key = (method_label(method), route, status);
    let found = handles.read().ok().and_then(|m| m.get(&key).cloned());
    let (counter, histogram) = match found {
        Some(h) => h,
        None => {
            let labels = [
                ("method", key.0.to_string()),
                ("route", key.1.clone()),
                ("status", status.to_string()),
            ];
            let made = (
                metrics::counter!("http_requests_total", &labels),
                metrics::histogram!("http_request_duration_seconds", &labels),
            );
            if let Ok(mut m) = handles.write() {
                m.insert(key, made.clone());
            }
            made
        }
    };
    counter.increment(1);
    histogram.record(seconds);
}

/// The route a request is counted under: the router's pattern, the API endpoint, or a catch-all.
fn route_label(req: &Request<Body>) -> String {
    match req.extensions().get::<MatchedPath>() {
        Some(p) => p.as_str().to_string(),
        None => match rest::parse_path(req.uri().path()) {
            // Only known endpoints get their own label, so that made-up names cannot grow the metrics.
            Some(api) if rest::endpoint(&api.endpoint).is_some() => {
                format!("/{}", api.endpoint)
            }
            Some(_) => "/unknown-endpoint".into(),
            None if req.uri().path().starts_with("/pkg/") => "/pkg/*".into(),
            None => "other".into(),
        },
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.db.pool).await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Static files and the 404 page for anything the router does not know, except API calls.
async fn fallback(State(state): State<AppState>, req: Request<Body>) -> Response {
    if let Some(api) = rest::parse_path(req.uri().path()) {
        return rest::handle(state, api, req).await;
    }
    let req = match crate::assets::serve(&state.leptos_options, req).await {
        Ok(file) => return file,
        Err(req) => req,
    };
    let services = state.services.clone();
    let handler = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        move || provide_context(services.clone()),
        shell,
    );
    let uri = req.uri().clone();
    handler(uri, State(state), req).await
}

#[derive(serde::Deserialize)]
struct ExportParams {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One invoice as a PDF download (`/settings/billing/invoices/A-000001.pdf`), for the workspace's
/// administrators.
async fn invoice_pdf(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    req: Request<Body>,
) -> Response {
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return (StatusCode::UNAUTHORIZED, "Log in first.\n").into_response();
    };
    let number = file.strip_suffix(".pdf").unwrap_or(&file);
    let rendered = match caller.identity.admin("download invoices") {
        Ok(admin) => state.services.billing.invoice_pdf(&admin, number).await,
        Err(e) => Err(e),
    };
    match rendered {
        Ok((name, bytes)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            let status =
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, format!("{}\n", e.user_message())).into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct AdvanceClock {
    ms: i64,
}

/// `--test-clock` only: moves the clock forward by `ms` (never back) and runs the background jobs
/// that depend on it once; what they did.
async fn advance_clock(
    State(state): State<AppState>,
    axum::Json(p): axum::Json<AdvanceClock>,
) -> Response {
    let core = &state.services.core;
    core.clock.advance(p.ms.max(0));
    match state.services.billing.issue_due().await {
        Ok(n) => {
            axum::Json(serde_json::json!({"now_ms": core.clock.now_ms(), "invoices_issued": n}))
                .into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// Where the Resource Configuration page listens for live use (server-sent events).
pub const RESOURCE_EVENTS: &str = "/settings/resources/usage.events";

/// Live use of the resource configuration (administrators): a `usage` event with
/// `[enabled, usage]` whenever either changes (looked at every second). The stream ends after ten
/// minutes; the browser's EventSource reconnects, and the caller is authenticated again.
async fn resource_usage_events(State(state): State<AppState>, req: Request<Body>) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return (StatusCode::UNAUTHORIZED, "Log in first.\n").into_response();
    };
    if let Err(e) = caller.identity.admin("watch the use of resources") {
        let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::FORBIDDEN);
        return (status, format!("{}\n", e.user_message())).into_response();
    }
    let until = Instant::now() + std::time::Duration::from_secs(600);
    let start = (state.services.clone(), caller.identity, String::new());
    let stream = futures_util::stream::unfold(start, move |(services, who, last)| async move {
        loop {
            if Instant::now() > until {
                return None;
            }
            let admin = who.admin("watch the use of resources").ok()?;
            if let Ok(v) = services.resources.get(&admin).await {
                let text = serde_json::to_string(&(v.enabled, &v.usage)).unwrap_or_default();
                if text != last {
                    let event = Event::default().event("usage").data(text.clone());
                    return Some((
                        Ok::<_, std::convert::Infallible>(event),
                        (services, who, text),
                    ));
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The audit log as CSV (administrators; the filters of the page).
async fn export_audit_csv(
    State(state): State<AppState>,
    Query(p): Query<ExportParams>,
    req: Request<Body>,
) -> Response {
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return (StatusCode::UNAUTHORIZED, "Log in first.\n").into_response();
    };
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let date = |field: &str, s: &str| {
        opt(s)
            .map(|d| app::domain::timefmt::parse_date(field, &d))
            .transpose()
    };
    let query = match (date("from", &p.from), date("to", &p.to)) {
        (Ok(from_ms), Ok(to_ms)) => AuditQuery {
            actor: opt(&p.actor),
            object_type: opt(&p.object_type),
            from_ms,
            to_ms: to_ms.map(|t| t + 86_400_000),
            before: None,
            limit: None,
        },
        (Err(e), _) | (_, Err(e)) => {
            return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
        }
    };
    let exported = match caller.identity.admin("export the audit log") {
        Ok(admin) => state.services.audit.export(&admin, query).await,
        Err(e) => Err(e),
    };
    let entries = match exported {
        Ok(e) => e,
        Err(e) => {
            let status =
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, format!("{}\n", e.user_message())).into_response();
        }
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut ok = writer.write_record(app::domain::audit::CSV_HEADER).is_ok();
    for e in &entries {
        ok &= writer.write_record(app::domain::audit::csv_row(e)).is_ok();
    }
    match (ok, writer.into_inner()) {
        (true, Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit-log.csv\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "export failed\n").into_response(),
    }
}

pub fn cookie_value(req: &Request<Body>, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_string())
        })
}

/// Resolves the API credentials or the session cookie into a caller, records the client address, and
/// sends signed-out visitors of console pages to the login page (the `Err` answer).
async fn authenticate(state: &AppState, mut req: Request<Body>) -> Result<Request<Body>, Response> {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into());
    req.extensions_mut().insert(ClientIp(ip));
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().map(str::to_string));
    let web_token = cookie_value(&req, WEB_TOKEN_COOKIE);
    let api_auth = match (authorization, web_token) {
        (Some(Ok(value)), _) => Some(parse_authorization(&value)),
        (Some(Err(_)), _) => Some(None),
        (None, Some(token)) => Some(Some(Authorization::Bearer(token))),
        (None, None) => None,
    };
    if let Some(parsed) = api_auth {
        let ip = req
            .extensions()
            .get::<ClientIp>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let result = match parsed {
            Some(Authorization::Basic(key, secret)) => {
                state
                    .services
                    .credentials
                    .authenticate_basic(&key, &secret, &ip)
                    .await
            }
            Some(Authorization::Bearer(token)) => {
                state.services.credentials.authenticate_token(&token).await
            }
            None => Err(AuthFailure::Malformed),
        };
        match result {
            Ok(caller) => {
                req.extensions_mut().insert(caller);
            }
            Err(failure) => {
                req.extensions_mut().insert(failure);
            }
        }
    } else if let Some(cookie) = cookie_value(&req, SESSION_COOKIE) {
        match state.services.sessions.resolve_cookie(&cookie).await {
            Ok(Some(caller)) => {
                req.extensions_mut().insert(caller);
            }
            Ok(None) => {}
            Err(_) => {
                return Err((
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is unavailable.\n",
                )
                    .into_response());
            }
        }
    }
    let path = req.uri().path();
    if req.method() == Method::GET
        && req.extensions().get::<Caller>().is_none()
        && (path == "/" || path.starts_with("/settings"))
    {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let target = format!("/login?next={}", url_encode(&next));
        return Err(Redirect::to(&target).into_response());
    }
    if path == "/login" && req.method() == Method::GET && req.extensions().get::<Caller>().is_some()
    {
        return Err(Redirect::to("/settings/profile").into_response());
    }
    if path.starts_with(ADMIN_FN_PREFIX) {
        let refusal = match req.extensions().get::<Caller>() {
            None => Some(AppError::Unauthorized),
            Some(c) if !c.identity.is_admin() => Some(AppError::forbidden(
                "use the administrator settings of this workspace",
            )),
            Some(_) => None,
        };
        if let Some(e) = refusal {
            return Err(server_fn_error(&e));
        }
    }
    Ok(req)
}

/// Where the administrators' server functions live: every caller who is not an administrator of
/// their current workspace is refused here, before the function runs (the services check again
/// through their [`app::domain::identity::Admin`] proof).
pub const ADMIN_FN_PREFIX: &str = "/fn/admin/";

/// An error answered the way a server function answers one: its status, and the error as JSON for
/// the client to decode.
fn server_fn_error(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(e).unwrap_or_default(),
    )
        .into_response()
}

/// The cookie the ClearML web UI keeps its API token in.
pub const WEB_TOKEN_COOKIE: &str = "clearml_token_basic";

/// An `Authorization` header's credentials.
#[derive(Debug, PartialEq, Eq)]
pub enum Authorization {
    Basic(String, String),
    Bearer(String),
}

/// Reads `Basic base64(key:secret)` or `Bearer token`; `None` for anything else.
pub fn parse_authorization(value: &str) -> Option<Authorization> {
    use base64::Engine;
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Some(Authorization::Bearer(rest.to_string()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (key, secret) = text.split_once(':')?;
        return Some(Authorization::Basic(key.to_string(), secret.to_string()));
    }
    None
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A request is cross-site when its `Origin` names another host than the one it was sent to, or when
/// the browser says so in `Sec-Fetch-Site`. Clients that send neither (the SDK, curl) are not browsers
/// carrying someone's cookies, and are let through.
pub fn is_cross_site(req: &Request<Body>) -> bool {
    cross_site_headers(req.headers())
}

/// [`is_cross_site`] for a request already split into its parts.
pub fn is_cross_site_parts(parts: &http::request::Parts) -> bool {
    cross_site_headers(&parts.headers)
}

fn cross_site_headers(headers: &http::HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let origin_host = origin
            .split_once("://")
            .map(|(_, h)| h)
            .unwrap_or(origin)
            .trim_end_matches('/');
        return origin == "null" || !origin_host.eq_ignore_ascii_case(host);
    }
    matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("cross-site")
    )
}
