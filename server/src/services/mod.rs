//! Use cases: load, apply the domain's rules, persist, and write the audit entry — one transaction
//! per user action. The server functions, the REST API and the command line all call these.

pub mod accounts;
pub mod audit;
pub mod cache;
pub mod cloud_access;
pub mod credentials;
pub mod groups;
pub mod service_accounts;
pub mod sessions;
pub mod usage;
pub mod users;
pub mod workspaces;

use std::sync::Arc;

use app::api::backend::Backend;
use app::domain::{AppError, Identity};

use crate::state::Core;
use crate::store::{self, Conn};

/// Every service, built once at start.
#[derive(Clone, Debug)]
pub struct Services {
    pub core: Arc<Core>,
    pub sessions: Arc<sessions::SessionService>,
    pub accounts: Arc<accounts::AccountService>,
    pub audit: Arc<audit::AuditService>,
    pub credentials: Arc<credentials::CredentialService>,
    pub users: Arc<users::UsersService>,
    pub service_accounts: Arc<service_accounts::ServiceAccountService>,
    pub groups: Arc<groups::GroupService>,
    pub workspaces: Arc<workspaces::WorkspaceService>,
    pub cloud_access: Arc<cloud_access::CloudAccessService>,
}

impl Services {
    pub fn new(core: Core) -> Self {
        let core = Arc::new(core);
        let credentials = Arc::new(credentials::CredentialService { core: core.clone() });
        Self {
            workspaces: Arc::new(workspaces::WorkspaceService {
                core: core.clone(),
                credentials: credentials.clone(),
            }),
            credentials: credentials.clone(),
            users: Arc::new(users::UsersService { core: core.clone() }),
            groups: Arc::new(groups::GroupService { core: core.clone() }),
            service_accounts: Arc::new(service_accounts::ServiceAccountService {
                core: core.clone(),
                credentials: credentials.clone(),
            }),
            cloud_access: Arc::new(cloud_access::CloudAccessService { core: core.clone() }),
            sessions: Arc::new(sessions::SessionService { core: core.clone() }),
            accounts: Arc::new(accounts::AccountService { core: core.clone() }),
            audit: Arc::new(audit::AuditService { core: core.clone() }),
            core,
        }
    }

    /// The ports the server functions see.
    pub fn backend(&self) -> Backend {
        Backend {
            sessions: self.sessions.clone(),
            accounts: self.accounts.clone(),
            audit: self.audit.clone(),
            workspaces: self.workspaces.clone(),
            credentials: self.credentials.clone(),
            users: self.users.clone(),
            service_accounts: self.service_accounts.clone(),
            groups: self.groups.clone(),
            cloud_access: self.cloud_access.clone(),
            self_hosted: self.core.settings.self_hosted,
            secure_cookies: self.core.settings.is_https(),
        }
    }
}

/// Logs a database or internal error (inside the request's span, so with its id) and turns it into
/// an error that tells the client nothing but where to look.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "internal error");
    AppError::Internal {
        request_id: String::new(),
    }
}

/// Maps a store error, turning a unique-constraint violation into a conflict with this message.
pub fn conflict_or_internal(e: sqlx::Error, conflict: &str) -> AppError {
    if store::is_unique_violation(&e) {
        AppError::Conflict(conflict.to_string())
    } else {
        internal(e)
    }
}

/// Ends a user's membership of a workspace inside the caller's transaction: their credentials
/// there are revoked (so their tokens die), their storage entries and group memberships removed,
/// and the membership deleted. Sessions are the caller's to end or move. Returns how many
/// credentials were revoked.
pub async fn end_membership(
    conn: &mut Conn,
    user_id: &str,
    workspace_id: &str,
    now_ms: i64,
) -> Result<u64, AppError> {
    let revoked = store::credentials::revoke_all_in_workspace(conn, user_id, workspace_id, now_ms)
        .await
        .map_err(internal)?;
    store::cloud_access::delete_all_in_workspace(conn, user_id, workspace_id)
        .await
        .map_err(internal)?;
    store::groups::remove_user_everywhere(conn, workspace_id, user_id)
        .await
        .map_err(internal)?;
    store::workspaces::remove_membership(conn, user_id, workspace_id)
        .await
        .map_err(internal)?;
    Ok(revoked)
}

/// What an audit entry says about its object.
pub struct Object<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub name: &'a str,
}

/// Writes an audit entry inside the caller's transaction.
pub async fn audit(
    conn: &mut Conn,
    now_ms: i64,
    who: &Identity,
    action: &str,
    object: Object<'_>,
    summary: &serde_json::Value,
) -> Result<(), AppError> {
    let summary = app::domain::audit::mask_secrets(summary).to_string();
    store::audit::insert(
        conn,
        store::audit::NewEntry {
            id: &crate::crypto::new_id(),
            workspace_id: Some(&who.workspace_id),
            at_ms: now_ms,
            actor_id: &who.user_id,
            actor_name: &who.user_name,
            actor_email: &who.email,
            channel: who.channel.as_str(),
            action,
            object_type: object.kind,
            object_id: object.id,
            object_name: object.name,
            summary: &summary,
        },
    )
    .await
    .map_err(internal)
}
