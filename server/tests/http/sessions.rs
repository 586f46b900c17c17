//! Sessions over HTTP: the login server function and its cookie, and REST calls made with a session
//! cookie or without one.

use axum::http::header;

use crate::common::router::{App, post_form};
use crate::common::site::{Console, on_sqlite};

#[tokio::test]
async fn a_rest_call_without_credentials_is_401_20() {
    on_sqlite(async |app: App| {
        let (s, v) = app.api("GET", "/users.get_current_user", None, None).await;
        assert_eq!(
            (s.as_u16(), v["meta"]["result_subcode"].as_u64()),
            (401, Some(20))
        );
    })
    .await
}

#[tokio::test]
async fn a_forged_session_cookie_is_401() {
    on_sqlite(async |app: App| {
        let forged = "atrium_session=forged-value";
        let (s, _) = app
            .api("GET", "/users.get_current_user", Some(forged), None)
            .await;
        assert_eq!(s, 401);
    })
    .await
}

#[tokio::test]
async fn login_sets_an_http_only_same_site_session_cookie() {
    on_sqlite(async |w: Console| {
        let (s, headers, _) = w
            .app
            .send(post_form(
                "/fn/sessions.login",
                Some("http://127.0.0.1:3000"),
                None,
                "login=max&password=password-123",
            ))
            .await;
        assert_eq!(s, 200);
        let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            cookie.starts_with("atrium_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
    })
    .await
}

#[tokio::test]
async fn a_failed_login_says_so_in_its_status() {
    on_sqlite(async |w: Console| {
        let (s, _, _) = w
            .app
            .send(post_form(
                "/fn/sessions.login",
                None,
                None,
                "login=max&password=wrong",
            ))
            .await;
        assert_eq!(s, 401, "a failed login says so in its status");
    })
    .await
}
