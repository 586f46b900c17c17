//! Configuration vaults over the API, as the ClearML SDK and clearml-agent reach them: a GET with
//! the query the SDK sends, the JSON `data` strings in merge order, and the edits under the
//! console's rules.

use serde_json::{Value, json};

use crate::common::site::{Api, on_sqlite};

/// `caller` saves a vault; the status and the answer's `data`.
async fn save(w: &Api, caller: &str, body: Value) -> (u16, Value) {
    let (s, v) = w
        .app
        .with_auth(
            "POST",
            "/users.add_or_update_vault",
            caller,
            &body.to_string(),
        )
        .await;
    (s.as_u16(), v)
}

/// What the SDK gets: `GET /users.get_vaults?enabled=true&types=config&types=config`.
async fn delivered(w: &Api, caller: &str) -> Vec<Value> {
    let (s, v) = w
        .app
        .with_auth(
            "GET",
            "/users.get_vaults?enabled=true&types=config&types=config",
            caller,
            "",
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["data"]["vaults"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_sdk_query_gets_group_vaults_then_the_personal_one_as_json() {
    on_sqlite(async |w: Api| {
        let (s, v) = save(
            &w,
            &w.admin.basic,
            json!({"vault": {"scope": "group", "enabled": true, "format": "json", "name": "team", "data": "{\"sdk\": {\"a\": 1}}"}, "group": "Users"}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = save(
            &w,
            &w.member.basic,
            json!({"vault": {"scope": "user", "enabled": true, "format": "json", "data": "{\"sdk\": {\"a\": 2}}"}}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let vaults = delivered(&w, &w.member.basic).await;
        let scopes: Vec<&str> = vaults.iter().map(|v| v["scope"].as_str().unwrap()).collect();
        assert_eq!(scopes, ["group", "user"]);
        let data: Value = serde_json::from_str(vaults[1]["data"].as_str().unwrap()).unwrap();
        assert_eq!(data, json!({"sdk": {"a": 2}}));
        assert_eq!(vaults[0]["type"], "config");
        assert!(vaults[0]["last_update"].as_str().unwrap().ends_with('Z'));
    })
    .await
}

#[tokio::test]
async fn other_vault_types_get_an_empty_list() {
    on_sqlite(async |w: Api| {
        save(
            &w,
            &w.member.basic,
            json!({"vault": {"scope": "user", "enabled": true, "format": "json", "data": "{}"}}),
        )
        .await;
        let (s, v) = w
            .app
            .with_auth(
                "GET",
                "/users.get_vaults?types=monitoring",
                &w.member.basic,
                "",
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["vaults"], json!([]));
    })
    .await
}

#[tokio::test]
async fn members_cannot_write_group_vaults_nor_another_persons() {
    on_sqlite(async |w: Api| {
        let (s, _) = save(
            &w,
            &w.member.basic,
            json!({"vault": {"scope": "group", "enabled": true, "data": "{}"}, "group": "Users"}),
        )
        .await;
        assert_eq!(s, 403);
        let ada = w.user_id(&w.admin.basic).await;
        let (s, _) = save(
            &w,
            &w.member.basic,
            json!({"vault": {"scope": "user", "enabled": true, "data": "{}"}, "user": ada}),
        )
        .await;
        assert_eq!(s, 403);
    })
    .await
}

#[tokio::test]
async fn a_save_without_the_version_read_is_refused_and_a_stale_one_conflicts() {
    on_sqlite(async |w: Api| {
        let body = |version: Option<i64>| {
            json!({"vault": {"scope": "user", "enabled": true, "format": "json", "data": "{\"x\": 1}", "version": version}})
        };
        let (s, v) = save(&w, &w.member.basic, body(None)).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["version"], 1);
        let (s, v) = save(&w, &w.member.basic, body(None)).await;
        assert_eq!(s, 400, "{v}");
        assert!(v["meta"]["result_msg"].as_str().unwrap().contains("version"));
        assert_eq!(save(&w, &w.member.basic, body(Some(1))).await.0, 200);
        let (s, v) = save(&w, &w.member.basic, body(Some(1))).await;
        assert_eq!(s, 409, "{v}");
    })
    .await
}

#[tokio::test]
async fn delete_vaults_deletes_the_callers_own_and_says_how_many() {
    on_sqlite(async |w: Api| {
        let (_, v) = save(
            &w,
            &w.member.basic,
            json!({"vault": {"scope": "user", "enabled": true, "format": "json", "data": "{}"}}),
        )
        .await;
        let id = v["data"]["vault"].as_str().unwrap().to_string();
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/users.delete_vaults",
                &w.outsider.basic,
                &json!({"vaults": [id]}).to_string(),
            )
            .await;
        assert_eq!(s, 404, "another workspace's administrator does not see it");
        let (s, v) = w
            .app
            .with_auth(
                "POST",
                "/users.delete_vaults",
                &w.member.basic,
                &json!({"vaults": [id]}).to_string(),
            )
            .await;
        assert_eq!((s.as_u16(), v["data"]["deleted"].clone()), (200, json!(1)));
        assert!(delivered(&w, &w.member.basic).await.is_empty());
    })
    .await
}
