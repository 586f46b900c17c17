//! What protects a browser: state changed only by same-site POSTs, cross-site requests refused, and
//! pages that forbid framing and sniffing and carry a Content-Security-Policy with a fresh nonce.

use axum::http::{HeaderMap, StatusCode, header};

use crate::common::router::{App, get, post_form};
use crate::common::site::{Console, on_sqlite};

/// A browser session changes state only with POST.
#[tokio::test]
async fn a_browser_session_changes_state_only_with_post() {
    on_sqlite(async |w: Console| {
        let (s, _) = w
            .app
            .api(
                "GET",
                "/users.set_preferences",
                Some(&w.member),
                Some(r#"{"preferences": {"hide_tips": true}}"#),
            )
            .await;
        assert_eq!(s, 403);
    })
    .await
}

#[tokio::test]
async fn a_cross_site_login_is_refused() {
    on_sqlite(async |w: Console| {
        let (s, _, body) = w
            .app
            .send(post_form(
                "/fn/sessions.login",
                Some("http://evil.example"),
                None,
                "login=max&password=password-123",
            ))
            .await;
        assert_eq!(s, 403);
        assert_eq!(
            String::from_utf8_lossy(&body),
            "Cross-site requests are refused.\n"
        );
    })
    .await
}

#[tokio::test]
async fn a_server_function_fetched_cross_site_is_refused() {
    on_sqlite(async |w: Console| {
        let mut req = post_form("/fn/profile.rename", None, Some(&w.member), "name=Hacked");
        req.headers_mut()
            .insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(w.app.send(req).await.0, 403);
    })
    .await
}

#[tokio::test]
async fn pages_may_not_be_framed_or_sniffed() {
    on_sqlite(async |app: App| {
        let (_, headers, _) = app.send(get("/settings/audit-log?x=1", None)).await;
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["x-content-type-options"], "nosniff");
    })
    .await
}

/// The login page: its status, headers and HTML.
async fn login_page(app: &App) -> (StatusCode, HeaderMap, String) {
    let (status, headers, body) = app.send(get("/login", None)).await;
    (status, headers, String::from_utf8(body).unwrap())
}

fn policy_of(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_SECURITY_POLICY)
        .expect("a Content-Security-Policy")
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_policy_refuses_plugins_framing_and_inline_code() {
    on_sqlite(async |app: App| {
        let (status, headers, _) = login_page(&app).await;
        assert_eq!(status, 200);
        let policy = policy_of(&headers);
        assert!(policy.contains("object-src 'none'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    })
    .await
}

#[tokio::test]
async fn the_hydration_script_carries_the_policys_nonce() {
    on_sqlite(async |app: App| {
        let (_, headers, html) = login_page(&app).await;
        let policy = policy_of(&headers);
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in script-src");
        assert!(nonce.len() >= 16, "{nonce}");
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "the inline hydration script carries the header's nonce"
        );
    })
    .await
}

#[tokio::test]
async fn pages_have_no_inline_styles_to_allow() {
    on_sqlite(async |app: App| {
        let (_, _, html) = login_page(&app).await;
        assert!(!html.contains(" style=\""), "no inline styles to allow");
    })
    .await
}

/// A fresh nonce for every response.
#[tokio::test]
async fn every_response_has_a_fresh_nonce() {
    on_sqlite(async |app: App| {
        let (_, first, _) = login_page(&app).await;
        let (_, again, _) = login_page(&app).await;
        assert_ne!(policy_of(&again), policy_of(&first));
    })
    .await
}
