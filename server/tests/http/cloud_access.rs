//! Cloud access over REST: the secret never leaves the server, presigned links, and each person's
//! settings private to them.

use serde_json::{Value, json};

use crate::common::router::App;
use crate::common::site::{Console, on_sqlite};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Ada saves her settings for "datasets" on AWS with key AKIA1; the answer.
async fn saved(w: &Console) -> (axum::http::StatusCode, Value) {
    let body = json!({"bucket": "datasets", "key": "AKIA1", "secret": SECRET, "region": "eu-west-1", "host": ""});
    w.app
        .api(
            "POST",
            "/users.set_cloud_access",
            Some(&w.admin),
            Some(&body.to_string()),
        )
        .await
}

/// The id of Ada's saved entry.
async fn saved_id(w: &Console) -> String {
    saved(w).await.1["data"]["entry"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Ada's entry edited to key AKIA2 without a secret; the answer.
async fn edited(w: &Console, id: &str) -> (axum::http::StatusCode, Value) {
    let edit = json!({"id": id, "bucket": "datasets", "key": "AKIA2", "region": "eu-west-1"});
    w.app
        .api(
            "POST",
            "/users.set_cloud_access",
            Some(&w.admin),
            Some(&edit.to_string()),
        )
        .await
}

async fn list(w: &Console, cookie: &str) -> Value {
    w.app
        .api("GET", "/users.get_cloud_access", Some(cookie), None)
        .await
        .1
}

#[tokio::test]
async fn anonymous_callers_are_401() {
    on_sqlite(async |app: App| {
        let (s, _) = app.api("GET", "/users.get_cloud_access", None, None).await;
        assert_eq!(s, 401);
    })
    .await
}

#[tokio::test]
async fn saving_answers_with_the_secret_masked() {
    on_sqlite(async |w: Console| {
        let (s, v) = saved(&w).await;
        assert_eq!(s, 200, "{v}");
        assert!(!v.to_string().contains(SECRET));
        assert_eq!(v["data"]["entry"]["secret"], "••••••••EKEY");
    })
    .await
}

#[tokio::test]
async fn the_list_never_holds_the_secret() {
    on_sqlite(async |w: Console| {
        saved(&w).await;
        let v = list(&w, &w.admin).await;
        assert_eq!(v["data"]["entries"].as_array().unwrap().len(), 1);
        assert!(!v.to_string().contains(SECRET));
    })
    .await
}

#[tokio::test]
async fn another_member_lists_none_of_ones_settings() {
    on_sqlite(async |w: Console| {
        saved(&w).await;
        let v = list(&w, &w.member).await;
        assert_eq!(v["data"]["entries"], json!([]));
    })
    .await
}

/// Validation names the field.
#[tokio::test]
async fn an_invalid_host_is_400_naming_the_field() {
    on_sqlite(async |w: Console| {
        let (s, v) = w
            .app
            .api(
                "POST",
                "/users.set_cloud_access",
                Some(&w.admin),
                Some(r#"{"bucket": "datasets", "key": "k", "secret": "s", "host": "minio"}"#),
            )
            .await;
        assert_eq!(s, 400);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .starts_with("Validation error (host)"),
            "{v}"
        );
    })
    .await
}

/// An edit without a secret keeps it.
#[tokio::test]
async fn an_edit_without_a_secret_keeps_it() {
    on_sqlite(async |w: Console| {
        let id = saved_id(&w).await;
        let (s, v) = edited(&w, &id).await;
        assert_eq!(
            (s.as_u16(), &v["data"]["entry"]["secret"]),
            (200, &json!("••••••••EKEY"))
        );
    })
    .await
}

/// Presigned links: virtual-hosted on AWS, by URL.
#[tokio::test]
async fn a_presigned_link_on_aws_is_virtual_hosted_and_signed_with_the_key() {
    on_sqlite(async |w: Console| {
        let id = saved_id(&w).await;
        edited(&w, &id).await;
        let (s, v) = w
            .app
            .api(
                "GET",
                "/users.presign_cloud_url?url=s3://datasets/a/b.png&expires_in=60",
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let url = v["data"]["url"].as_str().unwrap();
        assert!(
            url.starts_with("https://datasets.s3.eu-west-1.amazonaws.com/a/b.png?"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=60") && url.contains("X-Amz-Credential=AKIA2%2F"));
        assert!(!url.contains(SECRET));
    })
    .await
}

/// Presigned links by bucket and key.
#[tokio::test]
async fn a_presigned_link_by_bucket_and_key() {
    on_sqlite(async |w: Console| {
        saved(&w).await;
        let (s, _) = w
            .app
            .api(
                "POST",
                "/users.presign_cloud_url",
                Some(&w.admin),
                Some(r#"{"bucket": "datasets", "key": "a/b.png"}"#),
            )
            .await;
        assert_eq!(s, 200);
    })
    .await
}

#[tokio::test]
async fn another_member_cannot_sign_with_ones_settings() {
    on_sqlite(async |w: Console| {
        saved(&w).await;
        let (s, _) = w
            .app
            .api(
                "POST",
                "/users.presign_cloud_url",
                Some(&w.member),
                Some(r#"{"url": "s3://datasets/a/b.png"}"#),
            )
            .await;
        assert_eq!(s, 404, "another member has no settings for the bucket");
    })
    .await
}

#[tokio::test]
async fn another_member_cannot_delete_ones_settings() {
    on_sqlite(async |w: Console| {
        let id = saved_id(&w).await;
        let (s, _) = w
            .app
            .api(
                "POST",
                "/users.delete_cloud_access",
                Some(&w.member),
                Some(&json!({"id": id}).to_string()),
            )
            .await;
        assert_eq!(s, 404);
    })
    .await
}

#[tokio::test]
async fn the_owner_deletes_their_settings() {
    on_sqlite(async |w: Console| {
        let id = saved_id(&w).await;
        let (s, v) = w
            .app
            .api(
                "POST",
                "/users.delete_cloud_access",
                Some(&w.admin),
                Some(&json!({"id": id}).to_string()),
            )
            .await;
        assert_eq!((s.as_u16(), &v["data"]["deleted"]), (200, &json!(1)));
        let v = list(&w, &w.admin).await;
        assert_eq!(v["data"]["entries"], json!([]));
    })
    .await
}
