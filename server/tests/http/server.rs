//! What the server answers besides the console and the API: health, metrics and the OpenAPI
//! document.

use serde_json::{Value, json};

use crate::common::router::{App, get};
use crate::common::site::on_sqlite;

#[tokio::test]
async fn health_answers_ok() {
    on_sqlite(async |app: App| {
        let (s, _, body) = app.send(get("/healthz", None)).await;
        assert_eq!((s.as_u16(), body.as_slice()), (200, b"ok\n".as_slice()));
    })
    .await
}

#[tokio::test]
async fn metrics_count_requests_and_their_durations_by_route() {
    on_sqlite(async |app: App| {
        app.send(get("/healthz", None)).await;
        let (_, _, body) = app.send(get("/metrics", None)).await;
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("http_requests_total"), "{text}");
        assert!(text.contains("route=\"/healthz\""), "{text}");
        assert!(
            text.contains("http_request_duration_seconds_bucket"),
            "{text}"
        );
    })
    .await
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    on_sqlite(async |app: App| {
        let (_, _, body) = app.send(get("/openapi.json", None)).await;
        let doc: Value = serde_json::from_slice(&body).unwrap();
        for e in atrium_server::rest::endpoints() {
            assert!(
                doc["paths"][format!("/{}", e.name)]["post"]["summary"].is_string(),
                "{} missing",
                e.name
            );
        }
        assert_eq!(doc["openapi"], json!("3.1.0"));
    })
    .await
}
