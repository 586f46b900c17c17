//! Service accounts over HTTP: made by administrators, logging in over the API only, and acting as
//! a member of the workspace with `X-ClearML-Impersonate-As` when allowed to.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;

use crate::common::router::{basic, claims_of, post_form};
use crate::common::site::{Api, on_sqlite};

/// A service account's id and the `Authorization` header of its first key pair.
struct Agent {
    id: String,
    key: String,
}

/// Ada creates a service account described by `body`; the answer.
async fn create(w: &Api, body: &str) -> (StatusCode, Value) {
    w.app
        .with_auth("POST", "/service_accounts.create", &w.admin.basic, body)
        .await
}

fn agent(v: &Value) -> Agent {
    Agent {
        id: v["data"]["service_account"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
        key: basic(
            v["data"]["credentials"]["access_key"].as_str().unwrap(),
            v["data"]["credentials"]["secret_key"].as_str().unwrap(),
        ),
    }
}

/// "CI agent", allowed to impersonate.
async fn ci_agent(w: &Api) -> Agent {
    agent(
        &create(w, r#"{"name": "CI agent", "allow_impersonation": true}"#)
            .await
            .1,
    )
}

/// "plain", not allowed to impersonate.
async fn plain(w: &Api) -> Agent {
    agent(&create(w, r#"{"name": "plain"}"#).await.1)
}

/// `auth.login` with `key` and `X-ClearML-Impersonate-As: target`.
async fn login_as(w: &Api, key: &str, target: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .uri("/auth.login")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::AUTHORIZATION, key)
        .header("x-clearml-impersonate-as", target)
        .body(Body::empty())
        .unwrap();
    let (status, _, bytes) = w.app.send(req).await;
    (status, serde_json::from_slice::<Value>(&bytes).unwrap())
}

/// A bearer token of the CI agent acting as `target`.
async fn bearer_as(w: &Api, agent: &Agent, target: &str) -> String {
    let (s, v) = login_as(w, &agent.key, target).await;
    assert_eq!(s, 200, "{v}");
    format!("Bearer {}", v["data"]["token"].as_str().unwrap())
}

#[tokio::test]
async fn members_cannot_create_service_accounts() {
    on_sqlite(async |w: Api| {
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/service_accounts.create",
                &w.member.basic,
                r#"{"name": "ci"}"#,
            )
            .await;
        assert_eq!(s, 403);
    })
    .await
}

#[tokio::test]
async fn an_administrator_creates_a_service_account() {
    on_sqlite(async |w: Api| {
        let (s, v) = create(&w, r#"{"name": "CI agent", "allow_impersonation": true}"#).await;
        assert_eq!(s, 200, "{v}");
    })
    .await
}

/// A service account logs in over the API.
#[tokio::test]
async fn a_service_accounts_token_is_what_clearml_agent_looks_for() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        let (s, v) = w.app.with_auth("GET", "/auth.login", &sa.key, "").await;
        assert_eq!(s, 200);
        let sa_claims = claims_of(v["data"]["token"].as_str().unwrap());
        assert_eq!(
            sa_claims["identity"]["service_account_type"], 2,
            "what clearml-agent checks for --use-owner-token"
        );
        assert_eq!(sa_claims["feature_set"], "advanced");
    })
    .await
}

/// A service account never logs into the console.
#[tokio::test]
async fn a_service_account_cannot_log_in_to_the_console() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        let username = w
            .app
            .with_auth("GET", "/users.get_current_user", &sa.key, "")
            .await
            .1["data"]["user"]["email"]
            .as_str()
            .unwrap()
            .split('@')
            .next()
            .unwrap()
            .to_string();
        let (s, _, _) = w
            .app
            .send(post_form(
                "/fn/sessions.login",
                None,
                None,
                &format!("login={username}&password=anything-at-all"),
            ))
            .await;
        assert_eq!(s, 403);
    })
    .await
}

/// Impersonation: the token acts as the member, with their identity.
#[tokio::test]
async fn an_impersonating_token_acts_as_the_member() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        let max_id = w.user_id(&w.member.basic).await;
        let (s, v) = login_as(&w, &sa.key, &max_id).await;
        assert_eq!(s, 200, "{v}");
        let as_max = format!("Bearer {}", v["data"]["token"].as_str().unwrap());
        assert_eq!(claims_of(&as_max[7..])["identity"]["user"], max_id.as_str());
        let (_, v) = w
            .app
            .with_auth("GET", "/users.get_current_user", &as_max, "")
            .await;
        assert_eq!(v["data"]["user"]["email"], "max@example.com");
    })
    .await
}

#[tokio::test]
async fn impersonating_an_administrator_gives_a_members_role() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        let ada_id = w.user_id(&w.admin.basic).await;
        let (s, v) = login_as(&w, &sa.key, &ada_id).await;
        assert_eq!(s, 200);
        let as_ada = format!("Bearer {}", v["data"]["token"].as_str().unwrap());
        let (_, v) = w
            .app
            .with_auth("GET", "/users.get_current_user", &as_ada, "")
            .await;
        assert_eq!(
            (
                v["data"]["user"]["email"].as_str(),
                v["data"]["user"]["role"].as_str()
            ),
            (Some("ada@example.com"), Some("user"))
        );
    })
    .await
}

#[tokio::test]
async fn impersonating_an_administrator_gives_no_admin_rights_on_settings() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        let ada_id = w.user_id(&w.admin.basic).await;
        let as_ada = bearer_as(&w, &sa, &ada_id).await;
        let (s, _) = w.app.with_auth("GET", "/audit.get_all", &as_ada, "").await;
        assert_eq!(
            s, 403,
            "impersonating an admin gives no admin rights on settings"
        );
    })
    .await
}

/// Refreshing keeps acting as the same member.
#[tokio::test]
async fn a_refreshed_impersonating_token_acts_as_the_same_member() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        let max_id = w.user_id(&w.member.basic).await;
        let as_max = bearer_as(&w, &sa, &max_id).await;
        let (_, v) = w.app.with_auth("GET", "/auth.login", &as_max, "").await;
        assert_eq!(
            claims_of(v["data"]["token"].as_str().unwrap())["identity"]["user"],
            max_id.as_str()
        );
    })
    .await
}

#[tokio::test]
async fn an_account_not_allowed_to_impersonate_may_not() {
    on_sqlite(async |w: Api| {
        let plain = plain(&w).await;
        let max_id = w.user_id(&w.member.basic).await;
        assert_eq!(
            login_as(&w, &plain.key, &max_id).await.0,
            403,
            "no allow_impersonation"
        );
    })
    .await
}

#[tokio::test]
async fn members_may_not_impersonate() {
    on_sqlite(async |w: Api| {
        let ada_id = w.user_id(&w.admin.basic).await;
        assert_eq!(
            login_as(&w, &w.member.basic, &ada_id).await.0,
            403,
            "a member"
        );
    })
    .await
}

#[tokio::test]
async fn an_administrator_of_the_workspace_may_impersonate() {
    on_sqlite(async |w: Api| {
        let max_id = w.user_id(&w.member.basic).await;
        assert_eq!(
            login_as(&w, &w.admin.basic, &max_id).await.0,
            200,
            "an admin of the workspace may"
        );
    })
    .await
}

#[tokio::test]
async fn impersonating_nobody_is_404() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        assert_eq!(login_as(&w, &sa.key, "nobody").await.0, 404);
    })
    .await
}

#[tokio::test]
async fn a_service_account_cannot_be_impersonated() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        assert_eq!(
            login_as(&w, &sa.key, &sa.id).await.0,
            404,
            "not another service account"
        );
    })
    .await
}

#[tokio::test]
async fn both_impersonation_headers_at_once_are_400() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        let max_id = w.user_id(&w.member.basic).await;
        let req = Request::builder()
            .uri("/auth.login")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::AUTHORIZATION, sa.key.clone())
            .header("x-clearml-impersonate-as", max_id.clone())
            .header("x-clearml-act-as", max_id.clone())
            .body(Body::empty())
            .unwrap();
        assert_eq!(w.app.send(req).await.0, 400, "both headers at once");
    })
    .await
}

async fn service_account_count(w: &Api) -> usize {
    let (_, v) = w
        .app
        .with_auth("GET", "/service_accounts.get_all", &w.admin.basic, "")
        .await;
    v["data"]["service_accounts"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_workspaces_service_accounts_are_listed() {
    on_sqlite(async |w: Api| {
        ci_agent(&w).await;
        plain(&w).await;
        assert_eq!(service_account_count(&w).await, 2);
    })
    .await
}

/// Deletion: keys and every token from them fail at once.
#[tokio::test]
async fn deleting_a_service_account_ends_its_keys_and_tokens_at_once() {
    on_sqlite(async |w: Api| {
        let sa = ci_agent(&w).await;
        plain(&w).await;
        let max_id = w.user_id(&w.member.basic).await;
        let as_max = bearer_as(&w, &sa, &max_id).await;
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/service_accounts.delete",
                &w.admin.basic,
                &format!(r#"{{"id": "{}"}}"#, sa.id),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            w.app.with_auth("GET", "/auth.login", &sa.key, "").await.0,
            401
        );
        assert_eq!(
            w.app
                .with_auth("GET", "/users.get_current_user", &as_max, "")
                .await
                .0,
            401
        );
        assert_eq!(service_account_count(&w).await, 1);
    })
    .await
}
