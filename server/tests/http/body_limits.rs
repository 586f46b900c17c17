//! Request bodies are held to the configured limit, whether their length is declared or they arrive
//! in chunks, on server functions and on the API alike.

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::Value;

use app::domain::Role;

use crate::common::router::{App, post_form};
use crate::common::site::on_sqlite;
use crate::common::user;

/// A request body sent in pieces without a declared length (HTTP/1.1 chunked transfer encoding).
struct Chunked(std::collections::VecDeque<axum::body::Bytes>);

impl hyper::body::Body for Chunked {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

fn chunked(path: &str, content_type: &str, body: &[u8], chunk: usize) -> Request<Body> {
    let pieces = body
        .chunks(chunk)
        .map(axum::body::Bytes::copy_from_slice)
        .collect();
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json")
        .header(header::TRANSFER_ENCODING, "chunked")
        .body(Body::new(Chunked(pieces)))
        .unwrap()
}

const FORM: &str = "application/x-www-form-urlencoded";

/// A login form for Max whose password alone is as long as the limit.
fn oversized_login(app: &App) -> String {
    let limit = app.services.core.settings.max_body_bytes;
    format!("login=max&password={}", "a".repeat(limit))
}

#[tokio::test]
async fn a_json_body_with_a_declared_length_over_the_limit_is_413() {
    on_sqlite(async |app: App| {
        let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70 * 1024));
        let (s, v) = app.api("POST", "/debug.ping", None, Some(&big)).await;
        assert_eq!(s, 413);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("larger than")
        );
    })
    .await
}

#[tokio::test]
async fn a_chunked_server_function_call_within_the_limit_works() {
    on_sqlite(async |app: App| {
        user(&app.services, "max@example.com", Role::Member, "Research").await;
        let (s, headers, _) = app
            .send(chunked(
                "/fn/sessions.login",
                FORM,
                b"login=max&password=password-123",
                7,
            ))
            .await;
        assert_eq!(
            s, 200,
            "a chunked server-function call within the limit works"
        );
        assert!(headers.contains_key(header::SET_COOKIE));
    })
    .await
}

#[tokio::test]
async fn a_chunked_server_function_call_over_the_limit_is_413() {
    on_sqlite(async |app: App| {
        user(&app.services, "max@example.com", Role::Member, "Research").await;
        let big = oversized_login(&app);
        let (s, _, _) = app
            .send(chunked(
                "/fn/sessions.login",
                FORM,
                big.as_bytes(),
                8 * 1024,
            ))
            .await;
        assert_eq!(s, 413, "a chunked server-function call over the limit");
    })
    .await
}

#[tokio::test]
async fn a_server_function_call_with_a_declared_length_over_the_limit_is_413() {
    on_sqlite(async |app: App| {
        user(&app.services, "max@example.com", Role::Member, "Research").await;
        let big = oversized_login(&app);
        let (s, _, _) = app
            .send(post_form("/fn/sessions.login", None, None, &big))
            .await;
        assert_eq!(s, 413, "a declared length over the limit");
    })
    .await
}

#[tokio::test]
async fn a_chunked_api_call_over_the_limit_is_413_in_the_envelope() {
    on_sqlite(async |app: App| {
        let limit = app.services.core.settings.max_body_bytes;
        let json = format!("{{\"x\": \"{}\"}}", "a".repeat(limit));
        let (s, _, body) = app
            .send(chunked(
                "/debug.ping",
                "application/json",
                json.as_bytes(),
                8 * 1024,
            ))
            .await;
        assert_eq!(s, 413, "the API too");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["meta"]["result_code"], 413);
    })
    .await
}

#[tokio::test]
async fn a_chunked_api_call_within_the_limit_works() {
    on_sqlite(async |app: App| {
        let (s, _, _) = app
            .send(chunked("/debug.ping", "application/json", b"{}", 1))
            .await;
        assert_eq!(s, 200);
    })
    .await
}
