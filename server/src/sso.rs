//! The login routes of identity provider connections: `/sso/<id>/login` sends the browser to the
//! provider with a state bound to it by a short-lived cookie; `/sso/callback` takes the
//! provider's answer, logs the person in and lands them in the console, or sends them back to the
//! login page with a message they can act on. A test login ends on a page that says how it went
//! (the editor that opened it reads the outcome too).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

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
}

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

async fn login(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.services.identity_providers.start_login(&id).await {
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
    let ip = req
        .extensions()
        .get::<ClientIp>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let secure = state.settings.is_https();
    let clear = state_cookie("", 0, secure);
    let logged_in = req.extensions().get::<Caller>().is_some();
    match state
        .services
        .identity_providers
        .finish_oidc(&answer, bound.as_deref(), &ip)
        .await
    {
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

/// Text made safe to put in HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
