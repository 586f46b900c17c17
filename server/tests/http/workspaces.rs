//! Workspaces over the API: the caller's workspaces, and invitations sent and answered.

use crate::common::site::{Api, on_sqlite};

#[tokio::test]
async fn the_list_holds_only_ones_own_workspaces() {
    on_sqlite(async |w: Api| {
        let (_, v) = w
            .app
            .with_auth("GET", "/workspaces.get_all", &w.admin.basic, "")
            .await;
        let names: Vec<&str> = v["data"]["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["A"]);
    })
    .await
}

/// Ada invites Carol, who has no account, and Bob, who has one; the answer.
async fn carol_and_bob_invited(w: &Api) -> (axum::http::StatusCode, serde_json::Value) {
    w.app
        .with_auth(
            "POST",
            "/workspaces.invite",
            &w.admin.basic,
            r#"{"emails": ["carol@example.com", "bob@example.com"]}"#,
        )
        .await
}

#[tokio::test]
async fn an_administrator_invites_and_learns_who_has_an_account() {
    on_sqlite(async |w: Api| {
        let (s, v) = carol_and_bob_invited(&w).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["invited"][1]["existing_user"], true);
    })
    .await
}

#[tokio::test]
async fn invitation_addresses_must_be_a_list() {
    on_sqlite(async |w: Api| {
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/workspaces.invite",
                &w.admin.basic,
                r#"{"emails": "nope"}"#,
            )
            .await;
        assert_eq!(s, 400);
    })
    .await
}

#[tokio::test]
async fn an_invited_user_accepts_over_the_api_and_joins() {
    on_sqlite(async |w: Api| {
        carol_and_bob_invited(&w).await;
        let (_, v) = w
            .app
            .with_auth("GET", "/workspaces.get_all", &w.outsider.basic, "")
            .await;
        let inv = v["data"]["invitations"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/workspaces.answer_invitation",
                &w.outsider.basic,
                &format!(r#"{{"invitation": "{inv}", "accept": true}}"#),
            )
            .await;
        assert_eq!(s, 200);
        let (_, v) = w
            .app
            .with_auth("GET", "/workspaces.get_all", &w.outsider.basic, "")
            .await;
        assert_eq!(v["data"]["workspaces"].as_array().unwrap().len(), 2);
    })
    .await
}
