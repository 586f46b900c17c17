//! The REST envelope: what every answer carries, API versions, and the errors of calls that reach no
//! endpoint or bring no usable body.

use crate::common::router::App;
use crate::common::site::on_sqlite;

#[tokio::test]
async fn ping_answers_in_the_envelope() {
    on_sqlite(async |app: App| {
        let (s, v) = app.api("GET", "/debug.ping", None, None).await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["msg"], "ClearML server");
        assert_eq!(v["meta"]["endpoint"]["name"], "debug.ping");
        assert_eq!(v["meta"]["result_msg"], "OK");
        assert!(v["meta"]["id"].as_str().is_some_and(|id| !id.is_empty()));
    })
    .await
}

#[tokio::test]
async fn a_versioned_call_is_served_at_the_version_asked_for() {
    on_sqlite(async |app: App| {
        let (_, v) = app
            .api("POST", "/v2.23/server.info", None, Some("{}"))
            .await;
        assert_eq!(v["meta"]["endpoint"]["requested_version"], "2.23");
        assert_eq!(v["meta"]["endpoint"]["actual_version"], "2.23");
        assert_eq!(v["data"]["api_version"], "2.31");
    })
    .await
}

#[tokio::test]
async fn a_version_beyond_the_latest_is_served_at_the_latest() {
    on_sqlite(async |app: App| {
        let (_, v) = app.api("GET", "/v999.0/server.info", None, None).await;
        assert_eq!(v["meta"]["endpoint"]["actual_version"], "2.31");
    })
    .await
}

#[tokio::test]
async fn an_unknown_endpoint_is_404_and_named() {
    on_sqlite(async |app: App| {
        let (s, v) = app.api("GET", "/users.no_such_thing", None, None).await;
        assert_eq!(
            (s.as_u16(), v["meta"]["result_msg"].as_str().unwrap()),
            (404, "Unknown endpoint users.no_such_thing")
        );
    })
    .await
}

#[tokio::test]
async fn a_method_other_than_get_or_post_is_405() {
    on_sqlite(async |app: App| {
        let (s, _) = app.api("PUT", "/debug.ping", None, None).await;
        assert_eq!(s, 405);
    })
    .await
}

#[tokio::test]
async fn malformed_json_is_400_and_says_so() {
    on_sqlite(async |app: App| {
        let (s, v) = app
            .api("POST", "/debug.ping", None, Some("{not json"))
            .await;
        assert_eq!(s, 400);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .starts_with("Malformed JSON body")
        );
    })
    .await
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_400() {
    on_sqlite(async |app: App| {
        let (s, _) = app.api("POST", "/debug.ping", None, Some("[1, 2]")).await;
        assert_eq!(s, 400);
    })
    .await
}
