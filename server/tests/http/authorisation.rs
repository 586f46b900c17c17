//! Administrators only: every administrators' endpoint and server function, found in the server's
//! own registries rather than listed here, refuses anyone else before it runs, whatever the body.

use app::domain::AppError;

use crate::common::router::post_form;
use crate::common::site::{Api, Console, on_sqlite};

#[tokio::test]
async fn every_administrators_endpoint_refuses_members() {
    on_sqlite(async |w: Api| {
        let admin_only: Vec<&str> = atrium_server::rest::endpoints()
            .iter()
            .filter(|e| e.access == atrium_server::rest::Access::Admin)
            .map(|e| e.name)
            .collect();
        assert!(admin_only.len() >= 15, "{admin_only:?}");
        for name in admin_only {
            let (s, v) = w
                .app
                .with_auth("POST", &format!("/{name}"), &w.member.basic, "{}")
                .await;
            assert_eq!(s, 403, "{name}: {v}");
        }
    })
    .await
}

/// Every server function under `/fn/admin/`, from the server's own registry.
fn admin_server_functions() -> Vec<&'static str> {
    let mut admin_fns: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|p| p.starts_with(atrium_server::http::ADMIN_FN_PREFIX))
        .collect();
    admin_fns.sort();
    assert!(admin_fns.len() >= 18, "{admin_fns:?}");
    admin_fns
}

#[tokio::test]
async fn every_administrators_server_function_refuses_members_with_an_error_the_client_decodes() {
    on_sqlite(async |w: Console| {
        for path in admin_server_functions() {
            let (status, _, body) = w
                .app
                .send(post_form(path, None, Some(&w.member), "id=x"))
                .await;
            let body = String::from_utf8_lossy(&body);
            assert_eq!(status, 403, "{path}: {body}");
            let error: AppError = serde_json::from_str(&body).expect("an error the client decodes");
            assert!(matches!(error, AppError::Forbidden(_)), "{path}: {error:?}");
        }
    })
    .await
}

#[tokio::test]
async fn every_administrators_server_function_refuses_anonymous_callers() {
    on_sqlite(async |w: Console| {
        for path in admin_server_functions() {
            let (status, _, _) = w.app.send(post_form(path, None, None, "id=x")).await;
            assert_eq!(status, 401, "{path} without a session");
        }
    })
    .await
}
