//! The ports the server functions call, implemented by the server crate's services and handed to every
//! request through the Leptos context. Keeping them as traits lets the app crate stay free of database
//! code while the REST API and the UI share one implementation.

use std::sync::Arc;

use async_trait::async_trait;

use super::auth::{SessionInfo, SetupForm};
use super::profile::Profile;
use super::workspace::{AcceptForm, InvitationView, InviteResult, WorkspaceOverview};
use crate::domain::audit::{AuditEntry, AuditQuery};
use crate::domain::cloud::{CloudAccess, CloudAccessForm, PresignedUrl};
use crate::domain::credentials::{CredentialInfo, NewCredential};
use crate::domain::prefs::Preferences;
use crate::domain::{AppError, Identity};

/// The authenticated caller of a request, put into the request's extensions by the server's
/// authentication layer.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
    /// The browser session, when the request came with one.
    pub session_id: Option<String>,
    /// The API credential, when the request came with a key pair or a token issued from one.
    pub credential_id: Option<String>,
    /// The member a service account's (or an admin's) token acts as; `identity` is then theirs.
    pub impersonated: Option<String>,
}

/// The request's id, for error messages that point into the server log.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A login attempt as the session service sees it.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pub login: String,
    pub password: String,
    pub client_ip: String,
}

/// A new browser session: the cookie value is returned once and stored only as a hash.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: String,
    pub max_age_secs: i64,
}

#[async_trait]
pub trait SessionPort: Send + Sync {
    async fn login(&self, attempt: LoginAttempt) -> Result<NewSession, AppError>;
    async fn logout(&self, caller: &Caller) -> Result<(), AppError>;
    async fn session_info(&self, caller: &Caller) -> Result<SessionInfo, AppError>;
    async fn dismiss_tip(&self, caller: &Caller) -> Result<(), AppError>;
    /// Whether a first-administrator set-up link with this token is open.
    async fn setup_open(&self, token: &str) -> Result<bool, AppError>;
    async fn complete_setup(
        &self,
        form: SetupForm,
        client_ip: String,
    ) -> Result<NewSession, AppError>;
}

#[async_trait]
pub trait AccountPort: Send + Sync {
    async fn profile(&self, who: &Identity) -> Result<Profile, AppError>;
    async fn rename(&self, who: &Identity, name: &str) -> Result<Profile, AppError>;
    async fn preferences(&self, who: &Identity) -> Result<Preferences, AppError>;
    async fn save_preferences(
        &self,
        who: &Identity,
        prefs: Preferences,
    ) -> Result<Preferences, AppError>;
}

#[async_trait]
pub trait AuditPort: Send + Sync {
    async fn list(&self, who: &Identity, query: AuditQuery) -> Result<Vec<AuditEntry>, AppError>;
}

#[async_trait]
pub trait WorkspacePort: Send + Sync {
    async fn overview(&self, caller: &Caller) -> Result<WorkspaceOverview, AppError>;
    async fn switch(&self, caller: &Caller, workspace_id: &str) -> Result<(), AppError>;
    async fn rename(&self, who: &Identity, workspace_id: &str, name: &str) -> Result<(), AppError>;
    async fn leave(&self, caller: &Caller, workspace_id: &str) -> Result<(), AppError>;
    async fn set_max_credential_days(
        &self,
        who: &Identity,
        days: Option<i64>,
    ) -> Result<(), AppError>;
    /// Invites the addresses (separated by commas, spaces or new lines) to the caller's workspace.
    async fn invite(&self, who: &Identity, emails: &str) -> Result<Vec<InviteResult>, AppError>;
    async fn cancel_invitation(&self, who: &Identity, invitation_id: &str) -> Result<(), AppError>;
    /// Accepts or declines an invitation addressed to the caller's e-mail.
    async fn answer_invitation(
        &self,
        caller: &Caller,
        invitation_id: &str,
        accept: bool,
    ) -> Result<(), AppError>;
    async fn invitation(&self, token: &str) -> Result<Option<InvitationView>, AppError>;
    /// Accepts an invitation link: a new person sets a name and password; someone with an account
    /// must be logged in as the invited address. Returns a session for a new account.
    async fn accept_link(
        &self,
        form: AcceptForm,
        caller: Option<Caller>,
        client_ip: String,
    ) -> Result<Option<NewSession>, AppError>;
}

#[async_trait]
pub trait CredentialPort: Send + Sync {
    async fn create(
        &self,
        who: &Identity,
        workspace_id: Option<String>,
        label: &str,
        expires_in_days: Option<i64>,
    ) -> Result<NewCredential, AppError>;
    async fn list(&self, who: &Identity) -> Result<Vec<CredentialInfo>, AppError>;
    async fn relabel(
        &self,
        who: &Identity,
        access_key: &str,
        label: &str,
    ) -> Result<CredentialInfo, AppError>;
    async fn revoke(&self, who: &Identity, access_key: &str) -> Result<(), AppError>;
}

/// Web App Cloud Access: the caller's storage credentials in their current workspace.
#[async_trait]
pub trait CloudAccessPort: Send + Sync {
    /// The caller's entries, secrets masked.
    async fn list(&self, who: &Identity) -> Result<Vec<CloudAccess>, AppError>;
    /// Adds (empty `id`) or edits an entry; an edit with an empty secret keeps the stored one.
    async fn save(&self, who: &Identity, form: CloudAccessForm) -> Result<CloudAccess, AppError>;
    async fn delete(&self, who: &Identity, id: &str) -> Result<(), AppError>;
    /// A presigned GET link to `path` (`s3://bucket/key`, or a key in `bucket`), signed with the
    /// caller's entry for that bucket; `expires_in` seconds (default 15 minutes).
    async fn presign(
        &self,
        who: &Identity,
        bucket: &str,
        path: &str,
        expires_in: Option<i64>,
    ) -> Result<PresignedUrl, AppError>;
}

#[async_trait]
pub trait UsersPort: Send + Sync {
    async fn overview(&self, who: &Identity) -> Result<super::users::UsersOverview, AppError>;
    async fn set_role(
        &self,
        who: &Identity,
        user_id: &str,
        role: crate::domain::Role,
    ) -> Result<(), AppError>;
    /// Removes a member: their access, credentials and sessions in the workspace end at once.
    async fn remove(&self, who: &Identity, user_id: &str) -> Result<(), AppError>;
    /// A new link for an open invitation (the old one stops working).
    async fn resend_invitation(
        &self,
        who: &Identity,
        invitation_id: &str,
    ) -> Result<InviteResult, AppError>;
}

#[async_trait]
pub trait ServiceAccountPort: Send + Sync {
    async fn list(
        &self,
        who: &Identity,
    ) -> Result<Vec<super::service_accounts::ServiceAccount>, AppError>;
    async fn create(
        &self,
        who: &Identity,
        name: &str,
        allow_impersonation: bool,
    ) -> Result<super::service_accounts::CreatedServiceAccount, AppError>;
    async fn update(
        &self,
        who: &Identity,
        id: &str,
        name: &str,
        allow_impersonation: bool,
    ) -> Result<(), AppError>;
    /// Deletes a service account: its credentials are revoked; what it created stays.
    async fn delete(&self, who: &Identity, id: &str) -> Result<(), AppError>;
    async fn credentials(&self, who: &Identity, id: &str) -> Result<Vec<CredentialInfo>, AppError>;
    async fn create_credentials(
        &self,
        who: &Identity,
        id: &str,
        label: &str,
    ) -> Result<NewCredential, AppError>;
    async fn revoke_credentials(
        &self,
        who: &Identity,
        id: &str,
        access_key: &str,
    ) -> Result<(), AppError>;
}

#[async_trait]
pub trait GroupPort: Send + Sync {
    async fn overview(&self, who: &Identity) -> Result<super::groups::GroupsOverview, AppError>;
    /// Creates (`id` None) or edits a group, members included.
    async fn save(
        &self,
        who: &Identity,
        id: Option<&str>,
        name: &str,
        description: &str,
        members: &[String],
    ) -> Result<(), AppError>;
    /// Deletes a group of the workspace's own; what was granted through it goes with it.
    async fn delete(&self, who: &Identity, id: &str) -> Result<(), AppError>;
}

/// Every port, as one cheap-to-clone bundle.
#[derive(Clone)]
pub struct Backend {
    pub sessions: Arc<dyn SessionPort>,
    pub accounts: Arc<dyn AccountPort>,
    pub audit: Arc<dyn AuditPort>,
    pub workspaces: Arc<dyn WorkspacePort>,
    pub credentials: Arc<dyn CredentialPort>,
    pub users: Arc<dyn UsersPort>,
    pub service_accounts: Arc<dyn ServiceAccountPort>,
    pub groups: Arc<dyn GroupPort>,
    pub cloud_access: Arc<dyn CloudAccessPort>,
    /// Whether this server is self-hosted (shows the anonymous-usage option).
    pub self_hosted: bool,
    /// Whether session cookies are `Secure` (the public address is https).
    pub secure_cookies: bool,
}

fn parts() -> Result<http::request::Parts, AppError> {
    leptos::prelude::use_context::<http::request::Parts>().ok_or(AppError::Internal {
        request_id: "no-request".into(),
    })
}

/// The backend from context.
pub fn backend() -> Result<Backend, AppError> {
    leptos::prelude::use_context::<Backend>().ok_or(AppError::Internal {
        request_id: "no-backend".into(),
    })
}

/// The caller, or `Unauthorized`.
pub fn caller() -> Result<Caller, AppError> {
    parts()?
        .extensions
        .get::<Caller>()
        .cloned()
        .ok_or(AppError::Unauthorized)
}

/// The caller if logged in.
pub fn maybe_caller() -> Option<Caller> {
    parts().ok()?.extensions.get::<Caller>().cloned()
}

/// The client's address as the server's connection layer recorded it.
pub fn client_ip() -> String {
    parts()
        .ok()
        .and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
        .unwrap_or_else(|| "unknown".into())
}

/// The client address, put into the request's extensions by the server.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

/// Gives internal errors the request's id so that the message points into the server log, and
/// answers a failed call from script with the error's HTTP status. (A form posted without
/// JavaScript keeps the redirect back to its page, which carries the error.)
pub fn with_request_id<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        let from_form = parts().ok().is_some_and(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("text/html"))
        });
        if let (false, Some(opts), Ok(code)) = (
            from_form,
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(e.http_status()),
        ) {
            opts.set_status(code);
        }
    }
    result.map_err(|e| match e {
        AppError::Internal { request_id } if request_id.is_empty() => AppError::Internal {
            request_id: parts()
                .ok()
                .and_then(|p| p.extensions.get::<RequestId>().map(|r| r.0.clone()))
                .unwrap_or_default(),
        },
        other => other,
    })
}

/// Sets a response header (cookies) from inside a server function.
pub fn set_header(name: http::HeaderName, value: &str) {
    if let (Some(opts), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        opts.append_header(name, value);
    }
}
