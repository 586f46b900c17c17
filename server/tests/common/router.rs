//! An in-process router over a test database, with helpers to call it as a browser (cookie) or as
//! the SDK (key pair, token).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use app::api::backend::LoginAttempt;
use app::domain::Role;
use atrium_server::services::Services;

use super::{services_over, user};

pub struct App {
    pub router: Router,
    pub services: Services,
}

impl App {
    pub async fn new(db: atrium_server::db::Db) -> Self {
        Self::over(services_over(db))
    }

    /// The router over these services.
    pub fn over(services: Services) -> Self {
        let options = atrium_server::http::leptos_options(
            "/nonexistent-site",
            "127.0.0.1:3000".parse().unwrap(),
        );
        Self {
            router: atrium_server::http::router(services.clone(), options),
            services,
        }
    }

    /// A session cookie for a new user of `role` in workspace `ws`.
    pub async fn cookie(&self, email: &str, role: Role, ws: &str) -> String {
        user(&self.services, email, role, ws).await;
        let s = self
            .services
            .sessions
            .login(LoginAttempt {
                login: email.into(),
                password: "password-123".into(),
                client_ip: "t".into(),
            })
            .await
            .unwrap();
        format!("atrium_session={}", s.cookie_value)
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes().to_vec(),
        )
    }

    pub async fn api(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let (status, _, bytes) = self
            .send(
                req.body(Body::from(body.unwrap_or_default().to_string()))
                    .unwrap(),
            )
            .await;
        let value: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)));
        assert_eq!(
            value["meta"]["result_code"].as_u64(),
            Some(u64::from(status.as_u16())),
            "result_code = HTTP status"
        );
        (status, value)
    }
}

pub fn basic(key: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
    )
}

impl App {
    /// A key pair for a new user of `role` in workspace `ws`.
    pub async fn key_pair(&self, email: &str, role: Role, ws: &str) -> (String, String) {
        let u = user(&self.services, email, role, ws).await;
        let who = app::domain::Identity {
            user_id: u.id,
            user_name: u.name,
            email: u.email,
            workspace_id: u.workspace_id,
            workspace_name: u.workspace_name,
            role: u.role,
            channel: app::domain::identity::Channel::Api,
            actor: app::domain::identity::Actor::Person,
        };
        let c = self
            .services
            .credentials
            .create(&who, None, "test", None)
            .await
            .unwrap();
        (c.info.access_key, c.secret_key)
    }

    pub async fn with_auth(
        &self,
        method: &str,
        path: &str,
        authorization: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::AUTHORIZATION, authorization)
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, bytes) = self.send(req).await;
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            value["meta"]["result_code"].as_u64(),
            Some(u64::from(status.as_u16()))
        );
        (status, value)
    }
}

pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// A form POST as the console sends it to a server function, with an `Origin` and a cookie when
/// given.
pub fn post_form(
    path: &str,
    origin: Option<&str>,
    cookie: Option<&str>,
    body: &str,
) -> Request<Body> {
    let mut req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

/// A GET of a page or file, with a cookie when given.
pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::builder()
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::empty()).unwrap()
}

/// The REST envelope's `result_subcode`.
pub fn subcode(v: &Value) -> u64 {
    v["meta"]["result_subcode"].as_u64().unwrap()
}
