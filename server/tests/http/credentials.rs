//! API credentials over HTTP: `auth.login` with a key pair, the tokens it issues and their failures,
//! and the credentials endpoints, each workspace seeing only its own.

use axum::http::StatusCode;
use serde_json::Value;

use app::domain::Role;

use crate::common::router::{App, basic, claims_of, subcode};
use crate::common::site::{Api, on_sqlite};

/// Ada's key pair; she administers "Research".
async fn ada_key(app: &App) -> (String, String) {
    app.key_pair("ada@example.com", Role::Admin, "Research")
        .await
}

/// A token from `auth.login` with the key pair (`query` after the path, e.g. `?expiration_sec=60`).
async fn token(app: &App, key: &str, secret: &str, query: &str) -> String {
    let (_, v) = app
        .with_auth(
            "GET",
            &format!("/auth.login{query}"),
            &basic(key, secret),
            "",
        )
        .await;
    v["data"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn auth_login_without_credentials_is_401_20() {
    on_sqlite(async |app: App| {
        ada_key(&app).await;
        let (s, v) = app.api("GET", "/auth.login", None, None).await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 20));
    })
    .await
}

#[tokio::test]
async fn auth_login_with_undecodable_basic_credentials_is_401_21() {
    on_sqlite(async |app: App| {
        ada_key(&app).await;
        let (s, v) = app
            .with_auth("GET", "/auth.login", "Basic !!!not-base64", "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 21));
    })
    .await
}

#[tokio::test]
async fn auth_login_with_a_wrong_secret_is_401_22() {
    on_sqlite(async |app: App| {
        let (key, _) = ada_key(&app).await;
        let (s, v) = app
            .with_auth("GET", "/auth.login", &basic(&key, "wrong"), "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 22));
    })
    .await
}

/// GET and POST, bare and versioned, and under /api.
#[tokio::test]
async fn auth_login_answers_get_and_post_bare_versioned_and_under_api() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        for (method, path) in [
            ("GET", "/auth.login"),
            ("POST", "/v2.23/auth.login"),
            ("GET", "/api/auth.login"),
            ("POST", "/api/v999.0/auth.login"),
        ] {
            let (s, v) = app.with_auth(method, path, &basic(&key, &secret), "").await;
            assert_eq!(s, 200, "{method} {path}: {v}");
            assert_eq!(v["data"]["token"].as_str().unwrap().split('.').count(), 3);
        }
    })
    .await
}

#[tokio::test]
async fn a_token_lives_as_long_as_asked_and_names_the_identity_and_versions() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let claims = claims_of(&token(&app, &key, &secret, "?expiration_sec=60").await);
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            60
        );
        assert_eq!(claims["identity"]["company_name"], "Research");
        assert_eq!(claims["identity"]["role"], "admin");
        assert_eq!(claims["api_version"], "2.31");
        assert!(claims["server_version"].is_string() && claims["feature_set"].is_string());
    })
    .await
}

#[tokio::test]
async fn a_lifetime_that_is_not_a_number_is_400() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let (s, _) = app
            .with_auth(
                "POST",
                "/auth.login",
                &basic(&key, &secret),
                r#"{"expiration_sec": "soon"}"#,
            )
            .await;
        assert_eq!(s, 400);
    })
    .await
}

#[tokio::test]
async fn a_lifetime_beyond_the_maximum_still_gives_a_working_token() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let (_, v) = app
            .with_auth(
                "POST",
                "/auth.login",
                &basic(&key, &secret),
                r#"{"expiration_sec": 99999999}"#,
            )
            .await;
        let long = v["data"]["token"].as_str().unwrap();
        let (s, _) = app
            .with_auth(
                "GET",
                "/users.get_current_user",
                &format!("Bearer {long}"),
                "",
            )
            .await;
        assert_eq!(s, 200);
    })
    .await
}

/// Bearer on every endpoint.
#[tokio::test]
async fn a_bearer_token_authenticates_its_owner() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let bearer = format!("Bearer {}", token(&app, &key, &secret, "").await);
        let (s, v) = app
            .with_auth("GET", "/v2.23/users.get_current_user", &bearer, "{}")
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["user"]["email"], "ada@example.com");
    })
    .await
}

/// Refresh through auth.login.
#[tokio::test]
async fn a_bearer_token_is_refreshed_through_auth_login() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let bearer = format!("Bearer {}", token(&app, &key, &secret, "").await);
        let (s, v) = app.with_auth("GET", "/auth.login", &bearer, "").await;
        assert_eq!(s, 200);
        assert!(v["data"]["token"].is_string());
    })
    .await
}

/// The web UI's cookie.
#[tokio::test]
async fn the_web_uis_token_cookie_is_accepted() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let cookie = format!(
            "clearml_token_basic={}",
            token(&app, &key, &secret, "").await
        );
        let (s, _) = app
            .api("GET", "/users.get_current_user", Some(&cookie), None)
            .await;
        assert_eq!(s, 200);
    })
    .await
}

/// Forged, tampered, alg=none and garbage tokens: 401/30.
#[tokio::test]
async fn forged_tampered_unsigned_and_garbage_tokens_are_401_30() {
    on_sqlite(async |app: App| {
        use base64::Engine;
        let (key, secret) = ada_key(&app).await;
        let token = token(&app, &key, &secret, "?expiration_sec=60").await;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let parts: Vec<&str> = token.split('.').collect();
        let mut evil_claims: Value = claims_of(&token);
        evil_claims["identity"]["user"] = "someone-else".into();
        let forged = [
            format!(
                "{}.{}.{}",
                parts[0],
                b64(&evil_claims.to_string()),
                parts[2]
            ),
            format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]),
            format!("{}.{}.{}", parts[0], parts[1], b64("not the signature")),
            "garbage".to_string(),
        ];
        for f in &forged {
            let (s, v) = app
                .with_auth("GET", "/users.get_current_user", &format!("Bearer {f}"), "")
                .await;
            assert_eq!((s.as_u16(), subcode(&v)), (401, 30), "{f}");
        }
    })
    .await
}

#[tokio::test]
async fn an_expired_token_is_401_30_and_says_so() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let bearer = format!(
            "Bearer {}",
            token(&app, &key, &secret, "?expiration_sec=60").await
        );
        app.services.core.clock.advance(61_000);
        let (s, v) = app
            .with_auth("GET", "/users.get_current_user", &bearer, "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 30), "expired");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("expired")
        );
    })
    .await
}

/// Revoking kills the key and every token issued from it.
#[tokio::test]
async fn revoking_a_key_pair_ends_it_and_every_token_from_it() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let live = format!("Bearer {}", token(&app, &key, &secret, "").await);
        let (s, v) = app
            .with_auth(
                "POST",
                "/auth.revoke_credentials",
                &live,
                &format!(r#"{{"access_key": "{key}"}}"#),
            )
            .await;
        assert_eq!((s.as_u16(), v["data"]["revoked"].as_u64()), (200, Some(1)));
        let (s, v) = app
            .with_auth("GET", "/users.get_current_user", &live, "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 30));
        let (s, v) = app
            .with_auth("GET", "/auth.login", &basic(&key, &secret), "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 22));
    })
    .await
}

#[tokio::test]
async fn logging_out_ends_the_calling_token_and_no_other() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let ended = format!("Bearer {}", token(&app, &key, &secret, "").await);
        let other = format!(
            "Bearer {}",
            token(&app, &key, &secret, "?expiration_sec=600").await
        );
        let (s, _) = app.with_auth("POST", "/auth.logout", &ended, "").await;
        assert_eq!(s, 200);
        let (s, v) = app
            .with_auth("GET", "/users.get_current_user", &ended, "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 30));
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("logged out"),
            "{v}"
        );
        let (s, _) = app
            .with_auth("GET", "/users.get_current_user", &other, "")
            .await;
        assert_eq!(s, 200, "another token of the same key pair keeps working");
        let (s, _) = app
            .with_auth("GET", "/auth.login", &basic(&key, &secret), "")
            .await;
        assert_eq!(s, 200, "the key pair keeps working");
    })
    .await
}

#[tokio::test]
async fn logging_out_with_a_key_pair_is_a_400_naming_the_header() {
    on_sqlite(async |app: App| {
        let (key, secret) = ada_key(&app).await;
        let (s, v) = app
            .with_auth("POST", "/auth.logout", &basic(&key, &secret), "")
            .await;
        assert_eq!(s, 400);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("Authorization"),
            "{v}"
        );
    })
    .await
}

/// Ada's new key pair labelled "ci"; its access key.
async fn ci_key(w: &Api) -> String {
    let (_, v) = w
        .app
        .with_auth(
            "POST",
            "/auth.create_credentials",
            &w.admin.basic,
            r#"{"label": "ci"}"#,
        )
        .await;
    v["data"]["credentials"]["access_key"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Ada relabels her key pair `key`; the status.
async fn relabel(w: &Api, key: &str, label: &str) -> StatusCode {
    w.app
        .with_auth(
            "POST",
            "/auth.edit_credentials",
            &w.admin.basic,
            &format!(r#"{{"access_key": "{key}", "label": "{label}"}}"#),
        )
        .await
        .0
}

/// Ada's "ci" key pair relabelled "nightly"; its access key.
async fn nightly_key(w: &Api) -> String {
    let key = ci_key(w).await;
    assert_eq!(relabel(w, &key, "nightly").await, 200);
    key
}

#[tokio::test]
async fn a_new_key_pair_comes_with_its_secret() {
    on_sqlite(async |w: Api| {
        let (s, v) = w
            .app
            .with_auth(
                "POST",
                "/auth.create_credentials",
                &w.admin.basic,
                r#"{"label": "ci"}"#,
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            v["data"]["credentials"]["secret_key"]
                .as_str()
                .unwrap()
                .len(),
            67
        );
    })
    .await
}

#[tokio::test]
async fn key_pairs_are_listed_with_their_last_use_and_never_their_secrets() {
    on_sqlite(async |w: Api| {
        ci_key(&w).await;
        let (_, v) = w
            .app
            .with_auth("GET", "/auth.get_credentials", &w.admin.basic, "")
            .await;
        let listed = v["data"]["credentials"].as_array().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(
            listed.iter().all(|c| c.get("secret_key").is_none()),
            "secrets are never listed"
        );
        assert!(
            listed
                .iter()
                .any(|c| c["last_used"].is_string() && c["last_used_from"].is_string())
        );
    })
    .await
}

#[tokio::test]
async fn a_key_pair_is_relabelled() {
    on_sqlite(async |w: Api| {
        let key = ci_key(&w).await;
        let s = relabel(&w, &key, "nightly").await;
        assert_eq!(s, 200);
    })
    .await
}

#[tokio::test]
async fn a_too_long_label_is_400_naming_the_field() {
    on_sqlite(async |w: Api| {
        let new_key = ci_key(&w).await;
        let (s, v) = w
            .app
            .with_auth(
                "POST",
                "/auth.edit_credentials",
                &w.admin.basic,
                &format!(
                    r#"{{"access_key": "{new_key}", "label": "{}"}}"#,
                    "x".repeat(101)
                ),
            )
            .await;
        assert_eq!(s, 400);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("(label)")
        );
    })
    .await
}

#[tokio::test]
async fn a_missing_field_is_a_clear_400() {
    on_sqlite(async |w: Api| {
        let (s, _) = w
            .app
            .with_auth("POST", "/auth.edit_credentials", &w.admin.basic, "{}")
            .await;
        assert_eq!(s, 400, "a missing field is a clear 400");
    })
    .await
}

/// Workspace B sees nothing of A's.
#[tokio::test]
async fn another_workspace_lists_only_its_own_key_pairs() {
    on_sqlite(async |w: Api| {
        ci_key(&w).await;
        let (_, v) = w
            .app
            .with_auth("GET", "/auth.get_credentials", &w.outsider.basic, "")
            .await;
        let b_keys: Vec<&str> = v["data"]["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["access_key"].as_str().unwrap())
            .collect();
        assert_eq!(b_keys, vec![w.outsider.access_key.as_str()]);
    })
    .await
}

/// Workspace B cannot touch A's keys.
#[tokio::test]
async fn another_workspace_cannot_revoke_ones_key_pair() {
    on_sqlite(async |w: Api| {
        let new_key = ci_key(&w).await;
        let (s, v) = w
            .app
            .with_auth(
                "POST",
                "/auth.revoke_credentials",
                &w.outsider.basic,
                &format!(r#"{{"access_key": "{new_key}"}}"#),
            )
            .await;
        // ClearML's answer for an access key the caller has not: 400/75 invalid_access_key.
        assert_eq!((s.as_u16(), subcode(&v)), (400, 75));
    })
    .await
}

#[tokio::test]
async fn another_workspaces_audit_log_shows_nothing_of_ones_key_pairs() {
    on_sqlite(async |w: Api| {
        nightly_key(&w).await;
        let (_, v) = w
            .app
            .with_auth("GET", "/audit.get_all", &w.outsider.basic, "")
            .await;
        assert!(
            v["data"]["entries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["object_name"] != "nightly" && e["action"] != "credentials.relabel")
        );
    })
    .await
}

#[tokio::test]
async fn creating_and_relabelling_are_audited() {
    on_sqlite(async |w: Api| {
        nightly_key(&w).await;
        let (_, v) = w
            .app
            .with_auth(
                "GET",
                "/audit.get_all?object_type=credentials",
                &w.admin.basic,
                "",
            )
            .await;
        let actions: Vec<&str> = v["data"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"credentials.relabel") && actions.contains(&"credentials.create"),
            "{actions:?}"
        );
    })
    .await
}
