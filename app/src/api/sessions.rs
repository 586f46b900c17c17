//! Logging in and out, the first administrator's set-up, and what the settings shell needs to know
//! about the current session.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::preferences::Preferences;
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

/// Where to go after logging in when `next` is missing or refused.
pub const AFTER_LOGIN: &str = "/settings/profile";

/// The path to go to after login: `next` when it is a path on this site, otherwise [`AFTER_LOGIN`].
/// Browsers drop tabs and newlines from a `Location` and read `\` as `/`, so `/\t/evil.example` or
/// `/\evil.example` leave the site; a newline would not even make a header. So `next` must be printable
/// ASCII without backslashes, start with exactly one `/`, and stay so however often it is
/// percent-decoded (no control characters, no backslash, no leading `//` hidden by encoding).
pub fn safe_next(next: Option<&str>) -> String {
    /// How often encoded forms are decoded and checked; anything still encoded after that is refused.
    const DECODE_ROUNDS: usize = 4;
    let Some(next) = next.filter(|n| n.len() <= 2048) else {
        return AFTER_LOGIN.into();
    };
    let raw = next.as_bytes();
    if !raw.iter().all(|b| b.is_ascii_graphic()) || !is_local_path(raw) {
        return AFTER_LOGIN.into();
    }
    let mut form = raw.to_vec();
    for _ in 0..DECODE_ROUNDS {
        let decoded = percent_decode(&form);
        if decoded == form {
            return next.to_string();
        }
        if !is_local_path(&decoded) {
            return AFTER_LOGIN.into();
        }
        form = decoded;
    }
    AFTER_LOGIN.into()
}

/// A same-site path: one leading `/`, no backslash or control character anywhere, not the login page.
fn is_local_path(p: &[u8]) -> bool {
    p.first() == Some(&b'/')
        && !matches!(p.get(1), Some(b'/' | b'\\'))
        && !p.iter().any(|b| *b == b'\\' || b.is_ascii_control())
        && !p.starts_with(b"/login")
}

/// `%XX` sequences decoded; anything else (malformed escapes too) kept as it is.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match (
            s[i],
            s.get(i + 1).copied().and_then(hex),
            s.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// The `Set-Cookie` value of a session (an empty value with age 0 ends it); `Secure` when the server's
/// public address is https, so that the browser never sends it over plain http.
#[cfg(feature = "ssr")]
pub fn session_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Puts the session cookie on the response.
#[cfg(feature = "ssr")]
pub fn set_session_cookie(value: &str, max_age: i64) {
    use super::backend::{services, set_header};
    let secure = services().is_ok_and(|s| s.core.settings.is_https());
    set_header(
        http::header::SET_COOKIE,
        &session_cookie(value, max_age, secure),
    );
}

#[server(prefix = "/fn", endpoint = "sessions.login")]
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
    set_session_cookie(&session.cookie_value, session.max_age_secs);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/fn", endpoint = "sessions.logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::backend::*;
    if let Some(caller) = maybe_caller() {
        with_request_id(async { services()?.sessions.logout(&caller).await }.await)?;
    }
    set_session_cookie("", 0);
    leptos_axum::redirect("/login?bye=1");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "sessions.current")]
pub async fn current() -> Result<SessionInfo, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.sessions.current(&caller()?).await }.await)
}

#[server(prefix = "/fn", endpoint = "sessions.dismiss_tip")]
pub async fn dismiss_tip() -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(async { services()?.sessions.dismiss_tip(&caller()?).await }.await)
}

#[server(prefix = "/fn", endpoint = "sessions.setup_open")]
pub async fn setup_open(token: String) -> Result<bool, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.sessions.setup_open(&token).await }.await)
}

#[server(prefix = "/fn", endpoint = "sessions.complete_setup")]
pub async fn complete_setup(form: SetupForm) -> Result<(), AppError> {
    use super::backend::*;
    let session = with_request_id(
        async { services()?.sessions.complete_setup(form, client_ip()).await }.await,
    )?;
    set_session_cookie(&session.cookie_value, session.max_age_secs);
    leptos_axum::redirect("/settings/profile");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_may_be_a_local_path() {
        for good in [
            "/settings/audit-log",
            "/settings/audit-log?actor=Ada%20Lovelace&from=2026-01-01",
            "/invite?token=abc123",
            "/settings/users#pending",
            "/settings?x=a%2Fb",
        ] {
            assert_eq!(safe_next(Some(good)), good);
        }
    }

    #[test]
    fn next_off_site_or_malformed_falls_back_to_the_profile() {
        for bad in [
            "",
            "settings",
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/settings\nSet-Cookie: x=1",
            "/ /evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "/é",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D%0ALocation:%20//evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%255C/evil.example",
            "/%252F/evil.example",
            "/%25252525252F/evil.example",
            "/settings?x=%00",
            "/login",
            "/login?next=/settings",
            "/%6Cogin",
        ] {
            assert_eq!(safe_next(Some(bad)), AFTER_LOGIN, "{bad:?}");
        }
        assert_eq!(safe_next(None), AFTER_LOGIN);
        assert_eq!(
            safe_next(Some(&format!("/{}", "a".repeat(3000)))),
            AFTER_LOGIN
        );
    }

    #[test]
    fn whatever_next_is_the_answer_makes_a_header() {
        for n in [
            "/\u{0}",
            "/\n",
            "/%E2%80%A8",
            "/\u{2028}",
            "/%ZZ",
            "/%",
            "/%4",
        ] {
            let target = safe_next(Some(n));
            assert!(target.bytes().all(|b| b.is_ascii_graphic()), "{n:?}");
        }
    }

    proptest::proptest! {
        /// Whatever is asked for, the answer is the request itself or the profile, and it is a
        /// same-site path that makes a valid header.
        #[test]
        fn the_answer_is_always_a_same_site_path(next in "/?(/|%|%2[fF]|%5[cC]|%0[09aAdD]|%25|\\\\|[ -~]|\\PC){0,24}") {
            let target = safe_next(Some(&next));
            proptest::prop_assert!(target == next || target == AFTER_LOGIN);
            proptest::prop_assert!(target.bytes().all(|b| b.is_ascii_graphic()));
            proptest::prop_assert!(target.starts_with('/') && !target.starts_with("//"));
            proptest::prop_assert!(!target.contains('\\'));
        }
    }
}
