//! The set-ups the HTTP tests start from, each built over a fresh SQLite database: the bare router,
//! a workspace whose people are logged in with a browser, and workspaces whose people call the API
//! with key pairs.

use std::future::Future;

use app::domain::Role;
use atrium_server::db::Db;

use super::router::{App, basic};
use super::with_sqlite;

/// What a test starts from, built over a fresh database.
pub trait Fixture: Sized {
    fn build(db: Db) -> impl Future<Output = Self>;
}

/// Runs `test` with a fixture built over a fresh, migrated SQLite database.
pub async fn on_sqlite<T: Fixture>(test: impl AsyncFnOnce(T)) {
    with_sqlite(|db| async move { test(T::build(db).await).await }).await
}

/// Runs `test` with a fixture built over a fresh, migrated PostgreSQL database.
pub async fn on_postgres<T: Fixture>(test: impl AsyncFnOnce(T)) {
    super::with_postgres(|db| async move { test(T::build(db).await).await }).await
}

impl Fixture for App {
    fn build(db: Db) -> impl Future<Output = Self> {
        App::new(db)
    }
}

/// Workspace "Research" in the browser: Ada (`ada@example.com`), its administrator, and Max
/// (`max@example.com`), a member, each logged in with a session cookie.
pub struct Console {
    pub app: App,
    /// Ada's `Cookie` header.
    pub admin: String,
    /// Max's `Cookie` header.
    pub member: String,
}

impl Console {
    pub async fn new(db: Db) -> Self {
        let app = App::new(db).await;
        let admin = app.cookie("ada@example.com", Role::Admin, "Research").await;
        let member = app
            .cookie("max@example.com", Role::Member, "Research")
            .await;
        Self { app, admin, member }
    }

    /// A session cookie for Oz (`oz@example.com`), the administrator of another workspace.
    pub async fn outsider(&self) -> String {
        self.app
            .cookie("oz@example.com", Role::Admin, "Elsewhere")
            .await
    }
}

impl Fixture for Console {
    fn build(db: Db) -> impl Future<Output = Self> {
        Console::new(db)
    }
}

/// A key pair and the `Authorization` header it makes.
pub struct Key {
    pub access_key: String,
    pub secret_key: String,
    /// `Basic …` with the pair.
    pub basic: String,
}

impl Key {
    pub fn new(access_key: String, secret_key: String) -> Self {
        Self {
            basic: basic(&access_key, &secret_key),
            access_key,
            secret_key,
        }
    }
}

/// Over the API: workspace "A" with Ada (`ada@example.com`), its administrator, and Max
/// (`max@example.com`), a member, and workspace "B" with Bob (`bob@example.com`), its administrator;
/// each with a key pair.
pub struct Api {
    pub app: App,
    pub admin: Key,
    pub member: Key,
    /// Bob, the administrator of the other workspace.
    pub outsider: Key,
}

impl Api {
    pub async fn new(db: Db) -> Self {
        Self::over(App::new(db).await).await
    }

    /// The same people, with the file server keeping files in a fresh bucket on moto.
    pub async fn in_bucket(db: Db) -> Self {
        let settings = super::s3::settings_with_bucket().await;
        Self::over(App::over(super::services_with(db, settings))).await
    }

    /// The same people over these services (e.g. other settings).
    pub async fn over_services(services: atrium_server::services::Services) -> Self {
        Self::over(App::over(services)).await
    }

    async fn over(app: App) -> Self {
        let (k, s) = app.key_pair("ada@example.com", Role::Admin, "A").await;
        let admin = Key::new(k, s);
        let (k, s) = app.key_pair("max@example.com", Role::Member, "A").await;
        let member = Key::new(k, s);
        let (k, s) = app.key_pair("bob@example.com", Role::Admin, "B").await;
        let outsider = Key::new(k, s);
        Self {
            app,
            admin,
            member,
            outsider,
        }
    }

    /// The id of whoever `authorization` authenticates, from `users.get_current_user`.
    pub async fn user_id(&self, authorization: &str) -> String {
        self.app
            .with_auth("GET", "/users.get_current_user", authorization, "")
            .await
            .1["data"]["user"]["id"]
            .as_str()
            .expect("a user id")
            .to_string()
    }
}

impl Api {
    /// `name` called with the `Authorization` header `auth` and a JSON body: the status and the
    /// envelope.
    pub async fn call(
        &self,
        auth: &str,
        name: &str,
        body: serde_json::Value,
    ) -> (axum::http::StatusCode, serde_json::Value) {
        self.app
            .with_auth("POST", &format!("/{name}"), auth, &body.to_string())
            .await
    }

    /// A call that must succeed; its `data`.
    pub async fn ok(&self, auth: &str, name: &str, body: serde_json::Value) -> serde_json::Value {
        let (s, v) = self.call(auth, name, body).await;
        assert_eq!(s, 200, "{name}: {v}");
        v["data"].clone()
    }

    /// A bearer token of a service account Ada made (allowed to impersonate), acting as the user
    /// `target` as clearml-agent does with `X-ClearML-Impersonate-As`.
    pub async fn impersonating(&self, target: &str) -> String {
        let (_, made) = self
            .app
            .with_auth(
                "POST",
                "/service_accounts.create",
                &self.admin.basic,
                r#"{"name": "agent", "allow_impersonation": true}"#,
            )
            .await;
        let pair = &made["data"]["credentials"];
        let key = basic(
            pair["access_key"].as_str().expect("an access key"),
            pair["secret_key"].as_str().expect("a secret key"),
        );
        let req = axum::http::Request::builder()
            .uri("/auth.login")
            .header(axum::http::header::HOST, "127.0.0.1:3000")
            .header(axum::http::header::AUTHORIZATION, key)
            .header("x-clearml-impersonate-as", target)
            .body(axum::body::Body::empty())
            .unwrap();
        let (_, _, bytes) = self.app.send(req).await;
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        format!("Bearer {}", v["data"]["token"].as_str().expect("a token"))
    }
}

impl Fixture for Api {
    fn build(db: Db) -> impl Future<Output = Self> {
        Api::new(db)
    }
}
