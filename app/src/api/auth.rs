//! Logging in and out, the first administrator's set-up, and what the settings shell needs to know
//! about the current session.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::prefs::Preferences;
use crate::domain::{AppError, Identity};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "atrium_session";

/// What the settings shell renders around every page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub identity: Identity,
    pub preferences: Preferences,
    /// A tip to show once after login, unless the user turned tips off.
    pub tip: Option<String>,
    pub self_hosted: bool,
    /// Open invitations addressed to this user.
    pub invitations: usize,
}

/// The first administrator's set-up form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupForm {
    pub token: String,
    pub workspace: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
}

/// A local path to go to after login: only same-site absolute paths are followed.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/login") =>
        {
            n.to_string()
        }
        _ => "/settings/profile".to_string(),
    }
}

/// The `Set-Cookie` value of a session (an empty value with age 0 ends it).
#[cfg(feature = "ssr")]
pub fn session_cookie(value: &str, max_age: i64) -> String {
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

#[server(prefix = "/fn", endpoint = "login")]
pub async fn login(login: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use super::backend::*;
    let services = services()?;
    let session = with_request_id(
        services
            .sessions
            .login(LoginAttempt {
                login,
                password,
                client_ip: client_ip(),
            })
            .await,
    )?;
    set_header(
        http::header::SET_COOKIE,
        &session_cookie(&session.cookie_value, session.max_age_secs),
    );
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::backend::*;
    if let Some(caller) = maybe_caller() {
        with_request_id(async { services()?.sessions.logout(&caller).await }.await)?;
    }
    set_header(http::header::SET_COOKIE, &session_cookie("", 0));
    leptos_axum::redirect("/login?bye=1");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "current_session")]
pub async fn current_session() -> Result<SessionInfo, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.sessions.session_info(&caller()?).await }.await)
}

#[server(prefix = "/fn", endpoint = "dismiss_tip")]
pub async fn dismiss_tip() -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(async { services()?.sessions.dismiss_tip(&caller()?).await }.await)
}

#[server(prefix = "/fn", endpoint = "setup_open")]
pub async fn setup_open(token: String) -> Result<bool, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.sessions.setup_open(&token).await }.await)
}

#[server(prefix = "/fn", endpoint = "complete_setup")]
pub async fn complete_setup(form: SetupForm) -> Result<(), AppError> {
    use super::backend::*;
    let session = with_request_id(
        async { services()?.sessions.complete_setup(form, client_ip()).await }.await,
    )?;
    set_header(
        http::header::SET_COOKIE,
        &session_cookie(&session.cookie_value, session.max_age_secs),
    );
    leptos_axum::redirect("/settings/profile");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(
            safe_next(Some("/settings/audit-log")),
            "/settings/audit-log"
        );
        for bad in [
            None,
            Some("//evil.example"),
            Some("https://evil.example"),
            Some("/\\evil"),
            Some("/login"),
        ] {
            assert_eq!(safe_next(bad), "/settings/profile");
        }
    }
}
