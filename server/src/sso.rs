//! The login routes of identity provider connections: `/sso/<id>/login` sends the browser to the
//! provider with a state bound to it by a short-lived cookie; `/sso/callback` takes the
//! provider's answer, logs the person in and lands them in the console, or sends them back to the
//! login page with a message they can act on. A test login ends on a page that says how it went
//! (the editor that opened it reads the outcome too).
//!
//! SAML providers post their response to `/sso/acs` from their own site, so the browser leaves
//! out the state cookie (SameSite=Lax). That route only hands the response on: a page that posts
//! it again, from this site, to `/sso/acs/finish`, where the cookie comes along and the response
//! is checked. `/sso/<id>/metadata` is this server's metadata for a SAML connection.

use axum::Form;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use app::api::backend::{Caller, ClientIp};
use app::api::sessions::{AFTER_LOGIN, session_cookie};
use app::services::identity_providers::{CallbackQuery, Finished};

use crate::http::{cookie_value, url_encode};
use crate::state::AppState;

/// The cookie that binds a login's state to the browser that started it.
pub const STATE_COOKIE: &str = "atrium_sso_state";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sso/{id}/login", get(login))
        .route("/sso/callback", get(callback))
        .route("/sso/{id}/link", get(link))
        .route("/sso/acs", post(acs))
        .route("/sso/acs/finish", post(acs_finish))
        .route("/sso/{id}/metadata", get(metadata))
}

/// A login route, as the README's table and the OpenAPI document list it (they answer pages and
/// redirects, not the API's envelope).
pub struct Declared {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
}

/// Every route [`routes`] serves.
pub const DECLARED: [Declared; 6] = [
    Declared {
        method: "GET",
        path: "/sso/{id}/login",
        summary: "start a login through an active connection: to the provider, the login's state bound to the browser by a cookie",
    },
    Declared {
        method: "GET",
        path: "/sso/callback",
        summary: "an OIDC provider's answer (`state`, `code` or `error`): into the console, the test result page, the profile after a link, or the login page with a message",
    },
    Declared {
        method: "GET",
        path: "/sso/{id}/link",
        summary: "a signed-in member links their account to the connection's provider (a fresh login there)",
    },
    Declared {
        method: "POST",
        path: "/sso/acs",
        summary: "a SAML provider's post (`SAMLResponse`, `RelayState`) from its own site: a page that posts it on to `/sso/acs/finish`",
    },
    Declared {
        method: "POST",
        path: "/sso/acs/finish",
        summary: "the SAML response posted again from this site, with the state cookie: checked, then as `/sso/callback`",
    },
    Declared {
        method: "GET",
        path: "/sso/{id}/metadata",
        summary: "this server's SAML metadata for a connection (entity ID, ACS URL, signing certificate)",
    },
];

/// The README's login-route table rows.
pub fn readme_rows() -> Vec<String> {
    DECLARED
        .iter()
        .map(|d| format!("| `{} {}` | {} |", d.method, d.path, d.summary))
        .collect()
}

/// The path SAML providers post to from their own site (let through the cross-site refusal: it
/// changes nothing, it only posts the response on to this site).
pub const ACS_PATH: &str = "/sso/acs";

fn state_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{STATE_COOKIE}={value}; Path=/sso/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Back to the login page with a message (to the profile for someone logged in: a link failed).
fn to_login(message: &str, logged_in: bool) -> Response {
    let page = if logged_in {
        "/settings/profile"
    } else {
        "/login"
    };
    Redirect::to(&format!("{page}?sso_error={}", url_encode(message))).into_response()
}

fn with_cookies(mut res: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Off to the provider, with the login's state in the binding cookie.
fn to_provider(state: &AppState, url: &str, login_state: &str) -> Response {
    with_cookies(
        Redirect::to(url).into_response(),
        &[state_cookie(
            login_state,
            app::services::identity_providers::LOGIN_MS / 1000,
            state.settings.is_https(),
        )],
    )
}

async fn login(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request<Body>,
) -> Response {
    let ip = client_ip(&req);
    match state
        .services
        .identity_providers
        .start_login(&id, &ip)
        .await
    {
        Ok((url, login_state)) => to_provider(&state, &url, &login_state),
        Err(e) => to_login(&e.0, false),
    }
}

/// A logged-in member links their account to their account at a connection's provider.
async fn link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request<Body>,
) -> Response {
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return Redirect::to("/login").into_response();
    };
    match state
        .services
        .identity_providers
        .start_link(&caller.identity, &id)
        .await
    {
        Ok((url, login_state)) => to_provider(&state, &url, &login_state),
        Err(e) => to_login(&e.0, true),
    }
}

async fn callback(
    State(state): State<AppState>,
    Query(answer): Query<CallbackQuery>,
    req: Request<Body>,
) -> Response {
    let bound = cookie_value(&req, STATE_COOKIE);
    let ip = client_ip(&req);
    let logged_in = req.extensions().get::<Caller>().is_some();
    let finished = state
        .services
        .identity_providers
        .finish_oidc(&answer, bound.as_deref(), &ip)
        .await;
    landed(&state, finished, logged_in)
}

/// A SAML response as the provider posts it.
#[derive(Debug, Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse", default)]
    saml_response: String,
    #[serde(rename = "RelayState", default)]
    relay_state: String,
}

/// The provider's post: handed on to `/sso/acs/finish` by a page that posts it again from this
/// site (with a button when scripts are off).
async fn acs(Form(form): Form<AcsForm>) -> Response {
    if form.saml_response.is_empty() {
        return to_login(
            "The identity provider sent no SAML response. Start the login again from the login page.",
            false,
        );
    }
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Logging in…</title></head>\
         <body><form id=\"sso-acs\" method=\"post\" action=\"/sso/acs/finish\">\
         <input type=\"hidden\" name=\"SAMLResponse\" value=\"{}\">\
         <input type=\"hidden\" name=\"RelayState\" value=\"{}\">\
         <noscript><p>Scripts are off: continue to log in.</p><button type=\"submit\">Continue</button></noscript>\
         </form><script>document.getElementById('sso-acs').submit();</script></body></html>",
        escape(&form.saml_response),
        escape(&form.relay_state)
    );
    let mut res = (StatusCode::OK, Html(page)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The SAML response posted again from this site, with the state cookie.
async fn acs_finish(State(state): State<AppState>, req: Request<Body>) -> Response {
    let bound = cookie_value(&req, STATE_COOKIE);
    let ip = client_ip(&req);
    let logged_in = req.extensions().get::<Caller>().is_some();
    let Ok(Form(form)) = Form::<AcsForm>::from_request(req, &state).await else {
        return to_login(
            "The identity provider's answer could not be read. Start the login again from the login page.",
            logged_in,
        );
    };
    let finished = state
        .services
        .identity_providers
        .finish_saml(
            &form.relay_state,
            &form.saml_response,
            bound.as_deref(),
            &ip,
        )
        .await;
    landed(&state, finished, logged_in)
}

/// This server's metadata for a SAML connection.
async fn metadata(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.services.identity_providers.sp_metadata(&id).await {
        Ok(xml) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
            xml,
        )
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "No SAML connection has this id.\n").into_response(),
    }
}

/// Where a provider's answer lands the browser: the console with a session, the test result page,
/// the profile after a link, or the login page with a message.
fn landed(
    state: &AppState,
    finished: Result<Finished, app::services::identity_providers::LoginFailed>,
    logged_in: bool,
) -> Response {
    let secure = state.settings.is_https();
    let clear = state_cookie("", 0, secure);
    match finished {
        Ok(Finished::Session(s)) => with_cookies(
            Redirect::to(AFTER_LOGIN).into_response(),
            &[
                clear,
                session_cookie(&s.cookie_value, s.max_age_secs, secure),
            ],
        ),
        Ok(Finished::Tested(outcome)) => {
            let (title, body) = match (&outcome.error, &outcome.user) {
                (Some(e), _) => ("Test failed", escape(e)),
                (None, Some(u)) => (
                    "Test succeeded",
                    format!(
                        "The provider logged in {} ({}). {}",
                        escape(&u.name),
                        escape(&u.email),
                        escape(&outcome.decision)
                    ),
                ),
                (None, None) => ("Test finished", String::new()),
            };
            with_cookies(
                (
                    StatusCode::OK,
                    Html(format!(
                        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
                         <style>body{{font-family:system-ui,sans-serif;background:#f5f6f8;margin:0}}main{{max-width:34rem;margin:4rem auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;box-shadow:0 1px 4px rgba(0,0,0,.1)}}h1{{font-size:1.3rem}}</style></head><body><main id=\"sso-test-result\">\
                         <div><h1>{title}</h1><p>{body}</p>\
                         <p>The connection editor shows the details. You can close this window.</p></div></main></body></html>"
                    )),
                )
                    .into_response(),
                &[clear],
            )
        }
        Ok(Finished::Linked(name)) => with_cookies(
            Redirect::to(&format!("/settings/profile?linked={}", url_encode(&name)))
                .into_response(),
            &[clear],
        ),
        Err(e) => with_cookies(to_login(&e.0, logged_in), &[clear]),
    }
}

/// The caller's address, as the pipeline recorded it.
fn client_ip(req: &Request<Body>) -> String {
    req.extensions()
        .get::<ClientIp>()
        .map(|c| c.0.clone())
        .unwrap_or_default()
}

/// Text made safe to put in HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
