//! Users over the API: the workspace's administrators list them, set roles and remove members;
//! nobody else, and no one from another workspace.

use crate::common::router::subcode;
use crate::common::site::{Api, on_sqlite};

#[tokio::test]
async fn members_cannot_list_the_users() {
    on_sqlite(async |w: Api| {
        let (s, v) = w
            .app
            .with_auth("GET", "/users.get_all", &w.member.basic, "")
            .await;
        assert_eq!(
            (s.as_u16(), v["meta"]["result_code"].as_u64()),
            (403, Some(403))
        );
        // clearml-server's code for an endpoint the caller's role may not call.
        assert_eq!(subcode(&v), 20, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("only administrators may call users.get_all"),
            "{v}"
        );
    })
    .await
}

#[tokio::test]
async fn administrators_list_the_workspaces_users_only() {
    on_sqlite(async |w: Api| {
        let (s, v) = w
            .app
            .with_auth("GET", "/users.get_all", &w.admin.basic, "")
            .await;
        assert_eq!(s, 200);
        let users = v["data"]["users"].as_array().unwrap();
        assert_eq!(users.len(), 2);
    })
    .await
}

#[tokio::test]
async fn an_unknown_role_is_400() {
    on_sqlite(async |w: Api| {
        let max_id = w.user_id(&w.member.basic).await;
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/users.set_role",
                &w.admin.basic,
                &format!(r#"{{"user": "{max_id}", "role": "owner"}}"#),
            )
            .await;
        assert_eq!(s, 400);
    })
    .await
}

#[tokio::test]
async fn another_workspaces_administrator_cannot_remove_a_member() {
    on_sqlite(async |w: Api| {
        let max_id = w.user_id(&w.member.basic).await;
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/users.remove",
                &w.outsider.basic,
                &format!(r#"{{"user": "{max_id}"}}"#),
            )
            .await;
        assert_eq!(
            s, 404,
            "an admin of another workspace cannot touch this one's members"
        );
    })
    .await
}

#[tokio::test]
async fn a_removed_members_key_pair_stops_working_at_once() {
    on_sqlite(async |w: Api| {
        let max_id = w.user_id(&w.member.basic).await;
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/users.remove",
                &w.admin.basic,
                &format!(r#"{{"user": "{max_id}"}}"#),
            )
            .await;
        assert_eq!(s, 200);
        let (s, v) = w
            .app
            .with_auth("GET", "/users.get_current_user", &w.member.basic, "")
            .await;
        assert_eq!(
            (s.as_u16(), subcode(&v)),
            (401, 22),
            "a removed member's key stops working at once"
        );
    })
    .await
}
