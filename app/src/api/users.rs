//! Users & Groups → Users: the workspace's members and pending invitations, roles, removal.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::workspaces::InviteResult;
use crate::domain::{AppError, Role};

/// One row of the Users table: a member or a pending invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEntry {
    /// The user's id (members) or the invitation's id (pending).
    pub id: String,
    pub name: String,
    pub username: String,
    pub email: String,
    pub role: Role,
    pub pending: bool,
    pub added_ms: i64,
    pub is_you: bool,
    /// The groups the user is in (none for pending invitations).
    pub groups: Vec<String>,
}

/// The Users table and its seat count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersOverview {
    pub users: Vec<UserEntry>,
    /// Active members plus open invitations.
    pub seats_used: i64,
    pub max_members: Option<i64>,
}

#[server(prefix = "/fn/admin", endpoint = "users.overview")]
pub async fn overview() -> Result<UsersOverview, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .users
                .overview(&caller()?.identity.admin("see the workspace's users")?)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "users.set_role")]
pub async fn set_role(user_id: String, role: String) -> Result<(), AppError> {
    use super::backend::*;
    let role = Role::parse(&role)
        .ok_or_else(|| AppError::validation("role", "Choose admin or member."))?;
    with_request_id(
        async {
            services()?
                .users
                .set_role(&caller()?.identity.admin("change roles")?, &user_id, role)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "users.remove")]
pub async fn remove(user_id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .users
                .remove(&caller()?.identity.admin("remove members")?, &user_id)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "users.resend_invitation")]
pub async fn resend_invitation(invitation_id: String) -> Result<InviteResult, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .users
                .resend_invitation(
                    &caller()?.identity.admin("resend invitations")?,
                    &invitation_id,
                )
                .await
        }
        .await,
    )
}
