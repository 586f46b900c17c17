//! The console's pages: sign-in first, administrators' pages and navigation for administrators only.

use axum::http::{StatusCode, header};

use crate::common::router::{App, get};
use crate::common::site::{Console, on_sqlite};

#[tokio::test]
async fn anonymous_visitors_are_sent_to_log_in_and_back() {
    on_sqlite(async |app: App| {
        let (s, headers, _) = app.send(get("/settings/audit-log?x=1", None)).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(
            headers[header::LOCATION],
            "/login?next=/settings/audit-log%3Fx%3D1"
        );
    })
    .await
}

#[tokio::test]
async fn administrators_see_their_navigation() {
    on_sqlite(async |w: Console| {
        let (s, _, body) = w.app.send(get("/settings/profile", Some(&w.admin))).await;
        assert_eq!(s, 200);
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("ada@example.com") && html.contains("Administrator Settings"));
    })
    .await
}

#[tokio::test]
async fn administrators_pages_refuse_members_without_showing_the_navigation() {
    on_sqlite(async |w: Console| {
        let (s, _, body) = w.app.send(get("/settings/users", Some(&w.member))).await;
        assert_eq!(s, 403);
        assert!(String::from_utf8_lossy(&body).contains("Administrators only"));
        assert!(
            !String::from_utf8_lossy(&body).contains("Administrator Settings"),
            "no admin navigation for members"
        );
    })
    .await
}

#[tokio::test]
async fn an_unknown_page_is_404() {
    on_sqlite(async |w: Console| {
        let (s, _, _) = w.app.send(get("/no/such/page", Some(&w.admin))).await;
        assert_eq!(s, 404);
    })
    .await
}
