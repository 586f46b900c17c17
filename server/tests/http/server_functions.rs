//! Server functions' statuses: a missing session, and input that cannot be decoded.

use axum::body::Body;
use axum::http::{Request, header};

use crate::common::router::{App, post_form};
use crate::common::site::{Console, on_sqlite};

#[tokio::test]
async fn a_server_function_without_a_session_is_401() {
    on_sqlite(async |app: App| {
        let (s, _, _) = app
            .send(post_form("/fn/profile.rename", None, None, "name=Nobody"))
            .await;
        assert_eq!(s, 401);
    })
    .await
}

/// A required argument missing, and a body that is not the form at all.
#[tokio::test]
async fn undecodable_form_input_answers_400() {
    on_sqlite(async |w: Console| {
        for body in ["user_id=x", "%%%"] {
            let (status, _, bytes) = w
                .app
                .send(post_form(
                    "/fn/admin/users.set_role",
                    None,
                    Some(&w.admin),
                    body,
                ))
                .await;
            assert_eq!(status, 400, "{body}: {:?}", String::from_utf8_lossy(&bytes));
        }
    })
    .await
}

#[tokio::test]
async fn undecodable_json_input_answers_400() {
    on_sqlite(async |w: Console| {
        let req = Request::builder()
            .method("POST")
            .uri("/fn/admin/audit.list")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, &w.admin)
            .body(Body::from("{not json"))
            .unwrap();
        let (status, _, _) = w.app.send(req).await;
        assert_eq!(status, 400);
    })
    .await
}
