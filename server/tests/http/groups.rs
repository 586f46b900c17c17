//! User groups over the API: the built-in groups (Users, Admins, Queue admins) and a workspace's own
//! groups, for the workspace's administrators.

use serde_json::Value;

use crate::common::site::{Api, on_sqlite};

/// `groups.get_all` as Ada sees it.
async fn overview(w: &Api) -> Value {
    w.app
        .with_auth("GET", "/groups.get_all", &w.admin.basic, "")
        .await
        .1["data"]
        .clone()
}

async fn group_id(w: &Api, name: &str) -> String {
    overview(w).await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Ada calls `endpoint` with `body`; the status.
async fn post(w: &Api, endpoint: &str, body: &str) -> u16 {
    w.app
        .with_auth("POST", endpoint, &w.admin.basic, body)
        .await
        .0
        .as_u16()
}

/// Ada's group "Vision" with Max in it.
async fn vision(w: &Api) -> u16 {
    let max_id = w.user_id(&w.member.basic).await;
    post(
        w,
        "/groups.create",
        &format!(r#"{{"name": "Vision", "members": ["{max_id}"]}}"#),
    )
    .await
}

#[tokio::test]
async fn members_cannot_see_the_groups() {
    on_sqlite(async |w: Api| {
        assert_eq!(
            w.app
                .with_auth("GET", "/groups.get_all", &w.member.basic, "")
                .await
                .0,
            403
        );
    })
    .await
}

#[tokio::test]
async fn the_built_in_groups_come_first() {
    on_sqlite(async |w: Api| {
        let v = overview(&w).await;
        let names: Vec<&str> = v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["Users", "Admins", "Queue admins"]);
    })
    .await
}

/// Users is not editable.
#[tokio::test]
async fn the_users_group_cannot_be_edited() {
    on_sqlite(async |w: Api| {
        let users_id = group_id(&w, "Users").await;
        let s = post(
            &w,
            "/groups.update",
            &format!(r#"{{"id": "{users_id}", "name": "Users", "members": []}}"#),
        )
        .await;
        assert_eq!(s, 403);
    })
    .await
}

/// No built-in group can be deleted.
#[tokio::test]
async fn a_built_in_group_cannot_be_deleted() {
    on_sqlite(async |w: Api| {
        let admins = group_id(&w, "Admins").await;
        let s = post(&w, "/groups.delete", &format!(r#"{{"id": "{admins}"}}"#)).await;
        assert_eq!(s, 403);
    })
    .await
}

/// Admins is the administrator role.
#[tokio::test]
async fn adding_someone_to_admins_makes_them_an_administrator() {
    on_sqlite(async |w: Api| {
        let ids: Vec<String> = overview(&w).await["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        let admins = group_id(&w, "Admins").await;
        let body = format!(
            r#"{{"id": "{admins}", "name": "Admins", "members": {}}}"#,
            serde_json::to_string(&ids).unwrap()
        );
        assert_eq!(post(&w, "/groups.update", &body).await, 200);
        let (_, v) = w
            .app
            .with_auth("GET", "/users.get_current_user", &w.member.basic, "")
            .await;
        assert_eq!(
            v["data"]["user"]["role"], "admin",
            "added to Admins = made an administrator"
        );
    })
    .await
}

#[tokio::test]
async fn admins_cannot_be_emptied() {
    on_sqlite(async |w: Api| {
        let admins = group_id(&w, "Admins").await;
        let s = post(
            &w,
            "/groups.update",
            &format!(r#"{{"id": "{admins}", "name": "Admins", "members": []}}"#),
        )
        .await;
        assert_eq!(s, 400, "a workspace keeps an administrator");
    })
    .await
}

/// Own groups: members must belong to the workspace.
#[tokio::test]
async fn a_group_member_must_belong_to_the_workspace() {
    on_sqlite(async |w: Api| {
        let bob_id = w.user_id(&w.outsider.basic).await;
        let s = post(
            &w,
            "/groups.create",
            &format!(r#"{{"name": "Vision", "members": ["{bob_id}"]}}"#),
        )
        .await;
        assert_eq!(s, 400, "someone from another workspace");
    })
    .await
}

#[tokio::test]
async fn a_group_is_created_with_its_members() {
    on_sqlite(async |w: Api| {
        assert_eq!(vision(&w).await, 200);
        let v = overview(&w).await;
        let vision = v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "Vision")
            .unwrap()
            .clone();
        assert_eq!(vision["members"][0]["email"], "max@example.com");
    })
    .await
}

/// Names are unique.
#[tokio::test]
async fn a_taken_group_name_is_409() {
    on_sqlite(async |w: Api| {
        vision(&w).await;
        assert_eq!(
            post(&w, "/groups.create", r#"{"name": "Vision"}"#).await,
            409
        );
    })
    .await
}

#[tokio::test]
async fn another_workspaces_administrator_cannot_delete_a_group() {
    on_sqlite(async |w: Api| {
        vision(&w).await;
        let id = group_id(&w, "Vision").await;
        assert_eq!(
            w.app
                .with_auth(
                    "POST",
                    "/groups.delete",
                    &w.outsider.basic,
                    &format!(r#"{{"id": "{id}"}}"#)
                )
                .await
                .0,
            404
        );
    })
    .await
}

#[tokio::test]
async fn an_administrator_deletes_an_own_group() {
    on_sqlite(async |w: Api| {
        vision(&w).await;
        let id = group_id(&w, "Vision").await;
        assert_eq!(
            post(&w, "/groups.delete", &format!(r#"{{"id": "{id}"}}"#)).await,
            200
        );
    })
    .await
}
