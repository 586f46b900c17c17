//! Use cases: load, apply the domain's rules, persist, and write the audit entry — one transaction
//! per user action. The server functions, the REST API and the command line all call these.

pub mod access_rules;
pub mod audit;
pub mod billing;
pub mod cache;
pub mod catalog;
pub mod cloud_access;
pub mod credentials;
pub mod files;
pub mod groups;
pub mod identity_providers;
pub mod preferences;
pub mod profile;
pub mod resources;
pub mod service_accounts;
pub mod sessions;
pub mod usage;
pub mod users;
pub mod vaults;
pub mod workspaces;

use std::sync::Arc;

use app::domain::AppError;

use crate::state::Core;
pub use crate::state::{Object, Write};
use crate::store::{self, Conn};

/// Every service, built once at start.
#[derive(Clone, Debug)]
pub struct Services {
    pub core: Arc<Core>,
    pub sessions: Arc<sessions::SessionsService>,
    pub profile: Arc<profile::ProfileService>,
    pub preferences: Arc<preferences::PreferencesService>,
    pub audit: Arc<audit::AuditService>,
    pub credentials: Arc<credentials::CredentialsService>,
    pub users: Arc<users::UsersService>,
    pub service_accounts: Arc<service_accounts::ServiceAccountsService>,
    pub groups: Arc<groups::GroupsService>,
    pub workspaces: Arc<workspaces::WorkspacesService>,
    pub cloud_access: Arc<cloud_access::CloudAccessService>,
    pub vaults: Arc<vaults::VaultsService>,
    pub files: Arc<files::FilesService>,
    pub catalog: Arc<catalog::CatalogService>,
    pub access_rules: Arc<access_rules::AccessRulesService>,
    pub identity_providers: Arc<identity_providers::IdentityProvidersService>,
    pub resources: Arc<resources::ResourcesService>,
    pub billing: Arc<billing::BillingService>,
}

impl Services {
    pub fn new(core: Core) -> Self {
        let core = Arc::new(core);
        let credentials = Arc::new(credentials::CredentialsService { core: core.clone() });
        Self {
            workspaces: Arc::new(workspaces::WorkspacesService {
                core: core.clone(),
                credentials: credentials.clone(),
            }),
            credentials: credentials.clone(),
            users: Arc::new(users::UsersService { core: core.clone() }),
            groups: Arc::new(groups::GroupsService { core: core.clone() }),
            service_accounts: Arc::new(service_accounts::ServiceAccountsService {
                core: core.clone(),
                credentials: credentials.clone(),
            }),
            cloud_access: Arc::new(cloud_access::CloudAccessService { core: core.clone() }),
            vaults: Arc::new(vaults::VaultsService { core: core.clone() }),
            files: Arc::new(files::FilesService::new(core.clone())),
            catalog: Arc::new(catalog::CatalogService { core: core.clone() }),
            access_rules: Arc::new(access_rules::AccessRulesService { core: core.clone() }),
            identity_providers: Arc::new(identity_providers::IdentityProvidersService::new(
                core.clone(),
            )),
            resources: Arc::new(resources::ResourcesService { core: core.clone() }),
            billing: Arc::new(billing::BillingService::new(core.clone())),
            sessions: Arc::new(sessions::SessionsService { core: core.clone() }),
            profile: Arc::new(profile::ProfileService { core: core.clone() }),
            preferences: Arc::new(preferences::PreferencesService { core: core.clone() }),
            audit: Arc::new(audit::AuditService { core: core.clone() }),
            core,
        }
    }
}

/// Logs a database or internal error (inside the request's span, so with its id) and turns it into
/// an error that tells the client nothing but where to look. A database that cannot be reached
/// (no connection to be had, the pool closed, the socket failed) is a 503 the client may retry.
pub fn internal<E: std::fmt::Display + 'static>(e: E) -> AppError {
    tracing::error!(error = %e, "internal error");
    if let Some(db) = (&e as &dyn std::any::Any).downcast_ref::<sqlx::Error>()
        && is_unavailable(db)
    {
        return AppError::Unavailable;
    }
    AppError::Internal {
        request_id: String::new(),
    }
}

/// Whether a database error means the database cannot be reached (rather than a bad query).
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
    )
}

/// The unique constraints a person can run into, by the column SQLite names (`table.column`) or
/// the constraint PostgreSQL names, with the field and the message the form shows.
const UNIQUE: &[(&[&str], &str, &str)] = &[
    (
        &["users.email", "users_email_key"],
        "email",
        "A user with this e-mail address exists.",
    ),
    (
        &["users.username", "users_username_key"],
        "username",
        "A user with this username exists.",
    ),
    (
        &["user_groups.name", "user_groups_name"],
        "name",
        "A group with this name exists.",
    ),
    (
        &[
            "cloud_access.bucket",
            "cloud_access_workspace_id_user_id_bucket_key",
        ],
        "bucket",
        "You already have access settings for this bucket; edit them instead.",
    ),
    (
        &["vaults.name", "vaults_group_name"],
        "name",
        "A vault with this name exists.",
    ),
    (
        &["vaults.user_id", "vaults_personal"],
        "version",
        "Your vault was saved elsewhere meanwhile; reload it and apply your change again.",
    ),
];

/// A store error as the caller sees it: a named unique constraint is a field error, a database
/// that cannot be reached a 503, anything else an internal error logged with the request id.
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            let text = db.message();
            let constraint = db.constraint().unwrap_or_default();
            if let Some((_, field, message)) = UNIQUE
                .iter()
                .find(|(names, _, _)| names.iter().any(|n| *n == constraint || text.contains(n)))
            {
                return AppError::Taken {
                    field: (*field).into(),
                    message: (*message).into(),
                };
            }
        }
        internal(e)
    }
}

/// Ends a user's membership of a workspace inside the caller's transaction: their credentials
/// there are revoked (so their tokens die), their storage entries and group memberships removed,
/// their grants in access rules taken back, and the membership deleted. Sessions are the caller's to end or move. Returns how many
/// credentials were revoked.
pub async fn end_membership(
    conn: &mut Conn,
    user_id: &str,
    workspace_id: &str,
    now_ms: i64,
) -> Result<u64, AppError> {
    let revoked =
        store::credentials::revoke_all_in_workspace(conn, user_id, workspace_id, now_ms).await?;
    store::cloud_access::delete_all_in_workspace(conn, user_id, workspace_id).await?;
    store::groups::remove_user_everywhere(conn, workspace_id, user_id).await?;
    store::access_rules::remove_subject(conn, workspace_id, user_id).await?;
    store::vaults::delete_personal(conn, workspace_id, user_id).await?;
    store::workspaces::remove_membership(conn, user_id, workspace_id).await?;
    Ok(revoked)
}
