//! The audit log over HTTP: read over REST and through its server function, exported as CSV; for
//! the workspace's administrators only.

use axum::body::Body;
use axum::http::{Request, header};

use crate::common::router::get;
use crate::common::site::{Console, on_sqlite};

#[tokio::test]
async fn members_cannot_read_the_audit_log_over_rest() {
    on_sqlite(async |w: Console| {
        let (s, _) = w
            .app
            .api("POST", "/audit.get_all", Some(&w.member), Some("{}"))
            .await;
        assert_eq!(s, 403);
    })
    .await
}

/// Max renames himself over REST.
async fn member_renamed(w: &Console) {
    let (s, _) = w
        .app
        .api(
            "POST",
            "/users.update",
            Some(&w.member),
            Some(r#"{"name": "Max Power"}"#),
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn the_log_over_rest_is_filtered_by_type_and_names_the_channel() {
    on_sqlite(async |w: Console| {
        member_renamed(&w).await;
        let (s, v) = w
            .app
            .api(
                "GET",
                "/audit.get_all?object_type=user&limit=10",
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(s, 200);
        let entries = v["data"]["entries"].as_array().unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == "user.rename" && e["channel"] == "api"),
            "{entries:?}"
        );
        assert!(entries.iter().all(|e| e["object_type"] == "user"));
    })
    .await
}

/// Another workspace's admin sees none of it.
#[tokio::test]
async fn another_workspaces_administrator_sees_none_of_the_log() {
    on_sqlite(async |w: Console| {
        member_renamed(&w).await;
        let outsider = w.outsider().await;
        let (_, v) = w
            .app
            .api(
                "GET",
                "/audit.get_all?object_type=user",
                Some(&outsider),
                None,
            )
            .await;
        assert!(
            v["data"]["entries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["action"] != "user.rename")
        );
    })
    .await
}

#[tokio::test]
async fn members_are_refused_by_the_audit_server_function_itself() {
    on_sqlite(async |w: Console| {
        let req = Request::builder()
            .method("POST")
            .uri("/fn/admin/audit.list")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &w.member)
            .body(Body::from(r#"{"query": {}}"#))
            .unwrap();
        assert_eq!(
            w.app.send(req).await.0,
            403,
            "members are refused by the server function itself"
        );
    })
    .await
}

#[tokio::test]
async fn members_cannot_export_the_audit_log() {
    on_sqlite(async |w: Console| {
        let (s, _, _) = w
            .app
            .send(get("/settings/audit-log/export.csv", Some(&w.member)))
            .await;
        assert_eq!(s, 403);
    })
    .await
}

/// Ada's and Max's logins are the workspace's two session entries.
#[tokio::test]
async fn the_export_is_csv_with_a_header_and_one_row_per_entry() {
    on_sqlite(async |w: Console| {
        let (s, headers, body) = w
            .app
            .send(get(
                "/settings/audit-log/export.csv?object_type=session",
                Some(&w.admin),
            ))
            .await;
        assert_eq!(s, 200);
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        let csv = String::from_utf8(body).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some(
                "time_utc,actor,actor_id,channel,action,object_type,object_id,object_name,summary"
            )
        );
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 2, "two logins: {csv}");
        assert!(rows.iter().all(|r| r.contains(",session.login,session,")));
    })
    .await
}

#[tokio::test]
async fn an_export_from_an_unreadable_date_is_400() {
    on_sqlite(async |w: Console| {
        let (s, _, _) = w
            .app
            .send(get(
                "/settings/audit-log/export.csv?from=yesterday",
                Some(&w.admin),
            ))
            .await;
        assert_eq!(s, 400);
    })
    .await
}
