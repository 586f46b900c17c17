//! The Workspace section: the workspaces you belong to (switch, rename, leave), invitations, and
//! the API credentials you hold in each.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::credentials::{CredentialInfo, Hosts};
pub use crate::domain::invitations::Delivery;
use crate::domain::{AppError, Role};

/// One of your workspaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceEntry {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Your personal workspace, which you cannot leave.
    pub personal: bool,
    pub current: bool,
    pub joined_ms: i64,
}

/// An invitation as the invited person or the workspace's admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub workspace_name: String,
    pub email: String,
    pub invited_by: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    /// Whether the address already has an account (then it is accepted after logging in).
    pub has_account: bool,
}

/// The result of inviting one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteResult {
    pub email: String,
    /// How the link reaches the person: shown here once to hand over (no mail server), sent by
    /// e-mail, or not sent (the invitation stays pending).
    #[serde(flatten)]
    pub delivery: Delivery,
    /// The address has an account.
    pub existing_user: bool,
    /// That account's address is verified, so it also sees the invitation in the console.
    #[serde(default)]
    pub verified_user: bool,
}

/// Everything the Workspace section shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceOverview {
    pub workspaces: Vec<WorkspaceEntry>,
    pub credentials: Vec<CredentialInfo>,
    /// Invitations addressed to you (only once your address is verified).
    pub invitations: Vec<InvitationView>,
    /// Your e-mail address is verified, so you can answer invitations here.
    pub email_verified: bool,
    /// The server sends invitation links by e-mail (otherwise they are shown to the inviter).
    pub sends_email: bool,
    /// Open invitations of the current workspace (admins only; empty otherwise).
    pub pending: Vec<InvitationView>,
    pub max_credential_days: Option<i64>,
    pub hosts: Hosts,
    pub now_ms: i64,
}

/// The invitation-link form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptForm {
    pub token: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

#[server(prefix = "/fn", endpoint = "workspaces.overview")]
pub async fn overview() -> Result<WorkspaceOverview, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.workspaces.overview(&caller()?).await }.await)
}

#[server(prefix = "/fn", endpoint = "workspaces.switch")]
pub async fn switch(workspace_id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .workspaces
                .switch(&caller()?, &workspace_id)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "workspaces.rename")]
pub async fn rename(workspace_id: String, name: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .workspaces
                .rename(&caller()?.identity, &workspace_id, &name)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "workspaces.leave")]
pub async fn leave(workspace_id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .workspaces
                .leave(&caller()?, &workspace_id)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "workspaces.set_max_credential_days")]
pub async fn set_max_credential_days(days: Option<i64>) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .workspaces
                .set_max_credential_days(
                    &caller()?
                        .identity
                        .admin("set the credential lifetime limit")?,
                    days,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "workspaces.invite")]
pub async fn invite(emails: String) -> Result<Vec<InviteResult>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .workspaces
                .invite(
                    &caller()?
                        .identity
                        .admin("invite people to this workspace")?,
                    &emails,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "workspaces.cancel_invitation")]
pub async fn cancel_invitation(invitation_id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .workspaces
                .cancel_invitation(
                    &caller()?.identity.admin("cancel invitations")?,
                    &invitation_id,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "workspaces.answer_invitation")]
pub async fn answer_invitation(invitation_id: String, accept: bool) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .workspaces
                .answer_invitation(&caller()?, &invitation_id, accept)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "workspaces.invitation")]
pub async fn invitation(token: String) -> Result<Option<InvitationView>, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.workspaces.invitation(&token).await }.await)
}

#[server(prefix = "/fn", endpoint = "workspaces.accept_link")]
pub async fn accept_link(form: AcceptForm) -> Result<(), AppError> {
    use super::backend::*;
    let session = with_request_id(
        async {
            services()?
                .workspaces
                .accept_link(form, maybe_caller(), client_ip())
                .await
        }
        .await,
    )?;
    if let Some(s) = session {
        super::sessions::set_session_cookie(&s.cookie_value, s.max_age_secs);
    }
    leptos_axum::redirect("/settings/workspace");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_results_round_trip_with_their_delivery() {
        for delivery in [
            Delivery::Sent,
            Delivery::Failed {
                error: "the mail server could not be reached".into(),
            },
            Delivery::Link {
                link: "http://h/invite?token=t".into(),
            },
        ] {
            let r = InviteResult {
                email: "a@x.io".into(),
                delivery,
                existing_user: true,
                verified_user: false,
            };
            let json = serde_json::to_value(&r).unwrap();
            assert_eq!(json["email"], "a@x.io");
            assert!(json["delivery"].is_string());
            assert_eq!(
                json.get("link").is_some(),
                r.delivery.link().is_some(),
                "a link only when it is to be handed over: {json}"
            );
            assert_eq!(serde_json::from_value::<InviteResult>(json).unwrap(), r);
        }
    }
}
