//! The set-up most service tests start from: a workspace with an administrator and a member, made
//! through the services over a fresh database.

use app::api::backend::{Caller, LoginAttempt, NewSession};
use app::domain::audit::{AuditEntry, AuditQuery};
use app::domain::identity::Admin;
use app::domain::{Identity, Role};
use atrium_server::db::Db;
use atrium_server::services::Services;
use atrium_server::services::users::CreatedUser;
use sqlx::Any;
use sqlx::pool::PoolConnection;

use super::{identity_of, services_over, user};

/// The workspace's name.
pub const RESEARCH: &str = "Research";

/// Workspace "Research" with Ada (`ada@example.com`), its administrator, and Bob (`bob@example.com`), a
/// member; both have the password `password-123`.
pub struct Workspace {
    pub db: Db,
    pub services: Services,
    pub ada: CreatedUser,
    pub bob: CreatedUser,
    /// Ada's identity in the console.
    pub admin: Identity,
    /// Bob's identity in the console.
    pub member: Identity,
}

impl Workspace {
    pub async fn new(db: Db) -> Self {
        Self::over(db.clone(), services_over(db)).await
    }

    /// The workspace made through these services over `db`.
    pub async fn over(db: Db, services: Services) -> Self {
        let ada = user(&services, "ada@example.com", Role::Admin, RESEARCH).await;
        let bob = user(&services, "bob@example.com", Role::Member, RESEARCH).await;
        Self {
            db,
            admin: identity_of(&ada),
            member: identity_of(&bob),
            services,
            ada,
            bob,
        }
    }

    /// The proof that Ada administers the workspace.
    pub fn proof(&self) -> Admin<'_> {
        self.admin
            .admin("test")
            .expect("Ada administers the workspace")
    }

    /// A group of the workspace with these members, made by Ada; its id.
    pub async fn group(&self, name: &str, members: &[String]) -> String {
        self.services
            .groups
            .save(&self.proof(), None, name, "", members)
            .await
            .unwrap();
        self.group_named(name).await.id
    }

    /// The group of the workspace with this name, as Ada sees it.
    pub async fn group_named(&self, name: &str) -> app::api::groups::Group {
        self.services
            .groups
            .overview(&self.proof())
            .await
            .unwrap()
            .groups
            .into_iter()
            .find(|g| g.name == name)
            .unwrap()
    }

    /// Another person, made through the service in workspace `workspace` (password `password-123`).
    pub async fn person(&self, email: &str, role: Role, workspace: &str) -> CreatedUser {
        user(&self.services, email, role, workspace).await
    }

    /// The workspace's audit log for one type of object, newest first.
    pub async fn audit(&self, object_type: &str) -> Vec<AuditEntry> {
        self.services
            .audit
            .list(
                &self.proof(),
                AuditQuery {
                    object_type: Some(object_type.into()),
                    ..AuditQuery::default()
                },
            )
            .await
            .expect("read the audit log")
    }

    /// The whole audit log of the workspace (up to the default page).
    pub async fn audit_all(&self) -> Vec<AuditEntry> {
        self.services
            .audit
            .list(&self.proof(), AuditQuery::default())
            .await
            .expect("read the audit log")
    }

    /// A browser session for `login`, with the password every test user has.
    pub async fn login(&self, login: &str) -> NewSession {
        self.services
            .sessions
            .login(LoginAttempt {
                login: login.into(),
                password: "password-123".into(),
                client_ip: "ip".into(),
            })
            .await
            .expect("log in")
    }

    pub async fn conn(&self) -> PoolConnection<Any> {
        self.db.pool.acquire().await.expect("a connection")
    }
}

/// A caller acting as `identity` in the console, without a session or a credential.
pub fn caller(identity: &Identity) -> Caller {
    Caller {
        identity: identity.clone(),
        session_id: None,
        credential_id: None,
        impersonated: None,
        impersonated_since: None,
        token: None,
    }
}

/// The token in an invitation link (`…?token=…`).
pub fn token_in(link: Option<&str>) -> String {
    link.expect("a link to hand over")
        .split("token=")
        .nth(1)
        .expect("a token in the link")
        .to_string()
}
