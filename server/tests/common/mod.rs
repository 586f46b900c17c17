//! Fixtures for the integration tests: fresh databases (a SQLite file, or a PostgreSQL database created
//! for the test and dropped after it) and services built over them, with a clock tests can move;
//! the set-ups tests start from are in `workspace` (services) and `site` (HTTP).

#![allow(
    dead_code,
    reason = "each test crate uses a different part of the fixtures"
)]

pub mod idp;
pub mod mail;
pub mod router;
pub mod s3;
pub mod saml_idp;
pub mod site;
pub mod workspace;

use std::future::Future;
use std::sync::Arc;

use app::domain::Role;
use atrium_server::crypto::{self, MasterKey};
use atrium_server::db::{self, Db};
use atrium_server::services::Services;
use atrium_server::services::users::{CreatedUser, NewUser, Placement};
use atrium_server::state::{Clock, Core, Settings};
use base64::Engine;

/// The PostgreSQL server tests use: `ATRIUM_TEST_POSTGRES` (any database on it; tests create their own).
pub fn postgres_admin_url() -> String {
    std::env::var("ATRIUM_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn settings() -> Settings {
    Settings {
        public_url: "http://127.0.0.1:3000".into(),
        files_url: "http://127.0.0.1:3000/files".into(),
        token_default_secs: 3600,
        token_max_secs: 7200,
        self_hosted: true,
        session_ms: 3_600_000,
        max_body_bytes: 64 * 1024,
        smtp: None,
        // A folder of its own for every set of services, so that tests never share files.
        files: atrium_server::services::files::FilesSettings {
            root: std::env::temp_dir().join(format!("atrium-files-{}", crypto::new_id())),
            // Over the API's body limit above, so that tests show uploads are not held to it.
            max_bytes: 256 * 1024,
            bucket: None,
        },
        // The tests' identity providers run on loopback.
        sso_private_hosts: true,
        prices: app::domain::billing::PriceTable::default(),
        test_clock: false,
    }
}

pub fn services_over(db: Db) -> Services {
    services_with(db, settings())
}

/// Services over `db` with these settings (e.g. a mail server for invitations).
pub fn services_with(db: Db, settings: Settings) -> Services {
    let key = MasterKey::from_base64(&base64::engine::general_purpose::STANDARD.encode([42u8; 32]))
        .unwrap();
    Services::new(Core {
        db,
        key,
        tokens: atrium_server::tokens::TokenKeys::new(b"test signing key, 32 bytes long!"),
        pepper: Arc::new(b"test pepper".to_vec()),
        usage: Arc::default(),
        caches: Arc::default(),
        replica_id: atrium_server::crypto::new_id().into(),
        clock: Arc::new(Clock::default()),
        settings: Arc::new(settings),
    })
}

/// Runs `test` over a fresh, migrated SQLite database.
pub async fn with_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    with_new_sqlite(true, test).await
}

/// Runs `test` over a fresh SQLite database, migrated or empty.
pub async fn with_new_sqlite<F, Fut>(migrated: bool, test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = std::env::temp_dir().join(format!("atrium-test-{}", crypto::new_id()));
    let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
    let db = db::connect(&url).await.expect("open sqlite");
    if migrated {
        db::migrate(&db).await.expect("migrate sqlite");
    }
    test(db.clone()).await;
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs `test` over a PostgreSQL database created for it (and dropped after it).
pub async fn with_postgres<F, Fut>(test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    with_new_postgres(true, test).await
}

/// Runs `test` over a PostgreSQL database created for it, migrated or empty.
pub async fn with_new_postgres<F, Fut>(migrated: bool, test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let admin_url = postgres_admin_url();
    let admin = db::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed for the store suite: {e}"));
    let name = format!("atrium_test_{}", crypto::new_id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .expect("create database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin_url.clone());
    let db = db::connect(&format!("{base}/{name}"))
        .await
        .expect("open test database");
    if migrated {
        db::migrate(&db).await.expect("migrate postgres");
    }
    test(db.clone()).await;
    db.pool.close().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&admin.pool)
        .await
        .expect("drop database");
    admin.pool.close().await;
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    $crate::common::with_sqlite(super::$name).await
                }
                #[tokio::test]
                async fn postgres() {
                    $crate::common::with_postgres(super::$name).await
                }
            }
        )*
    };
}

/// A user made through the service, password `password-123`.
pub async fn user(services: &Services, email: &str, role: Role, workspace: &str) -> CreatedUser {
    services
        .users
        .create(NewUser {
            email: email.into(),
            name: format!("User {}", email.split('@').next().unwrap_or_default()),
            username: None,
            password: "password-123".into(),
            role,
            workspace: Placement::Named(workspace.into()),
        })
        .await
        .expect("create user")
}

/// The identity a created user acts with in the console.
pub fn identity_of(u: &CreatedUser) -> app::domain::Identity {
    app::domain::Identity {
        user_id: u.id.clone(),
        user_name: u.name.clone(),
        email: u.email.clone(),
        workspace_id: u.workspace_id.clone(),
        workspace_name: u.workspace_name.clone(),
        role: u.role,
        channel: app::domain::identity::Channel::Web,
        actor: app::domain::identity::Actor::Person,
    }
}
