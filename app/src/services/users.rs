//! Users & Groups → Users: members and pending invitations of a workspace, roles, removal, and
//! resending invitation links. Administrators only; a workspace always keeps an administrator.

use serde_json::json;

use app::api::users::{UserEntry, UsersOverview};
use app::api::workspace::InviteResult;
use app::domain::identity::Admin;
use app::domain::{AppError, Role};

use super::workspaces::{INVITATION_MS, Outgoing, account_of, deliver};
use super::{Object, audit, internal};
use crate::crypto;
use crate::state::Core;
use crate::store;
use app::domain::audit::AuditObject;

#[derive(Debug)]
pub struct UsersService {
    pub core: std::sync::Arc<Core>,
}

impl UsersService {
    pub async fn overview(&self, who: &Admin<'_>) -> Result<UsersOverview, AppError> {
        let now = self.core.clock.now_ms();
        let mut conn = self.core.db.pool.acquire().await?;
        let members = store::workspaces::members(&mut conn, &who.workspace_id).await?;
        let pending =
            store::workspaces::open_invitations_for_workspace(&mut conn, &who.workspace_id, now)
                .await?;
        let mut groups = super::groups::groups_by_user(&mut conn, &who.workspace_id, now).await?;
        let max_members = store::workspaces::max_members(&mut conn, &who.workspace_id).await?;
        let seats_used = (members.len() + pending.len()) as i64;
        let mut users: Vec<UserEntry> = members
            .into_iter()
            .map(|m| UserEntry {
                is_you: m.user_id == who.user_id,
                groups: groups.remove(&m.user_id).unwrap_or_default(),
                id: m.user_id,
                name: m.name,
                username: m.username,
                email: m.email,
                role: m.role,
                pending: false,
                added_ms: m.added_ms,
            })
            .collect();
        users.extend(pending.into_iter().map(|p| UserEntry {
            id: p.id,
            name: String::new(),
            username: String::new(),
            email: p.email,
            role: Role::Member,
            pending: true,
            added_ms: p.created_ms,
            is_you: false,
            groups: vec![],
        }));
        Ok(UsersOverview {
            users,
            seats_used,
            max_members,
        })
    }

    pub async fn set_role(
        &self,
        who: &Admin<'_>,
        user_id: &str,
        role: Role,
    ) -> Result<(), AppError> {
        let now = self.core.clock.now_ms();
        let mut tx = self.core.begin().await?;
        let member = store::workspaces::members(&mut tx, &who.workspace_id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user_id && m.kind == "person")
            .ok_or_else(|| AppError::not_found("member of this workspace"))?;
        if member.role == role {
            return Ok(());
        }
        if role != Role::Admin
            && store::workspaces::owner(&mut tx, &who.workspace_id)
                .await
                .map_err(internal)?
                .as_deref()
                == Some(user_id)
        {
            return Err(AppError::forbidden(
                "demote the workspace's owner; the owner stays an administrator",
            ));
        }
        if member.role == Role::Admin
            && store::workspaces::count_admins(&mut tx, &who.workspace_id).await? <= 1
        {
            return Err(AppError::forbidden(
                "demote the last administrator; make someone else an administrator first",
            ));
        }
        store::workspaces::set_role(&mut tx, &who.workspace_id, user_id, role).await?;
        audit(
            &mut tx,
            now,
            who,
            "member.role",
            Object {
                kind: AuditObject::User,
                id: user_id,
                name: &member.email,
            },
            &json!({"before": {"role": member.role.as_str()}, "after": {"role": role.as_str()}}),
        )
        .await?;
        self.core.commit(tx).await
    }

    pub async fn remove(&self, who: &Admin<'_>, user_id: &str) -> Result<(), AppError> {
        let now = self.core.clock.now_ms();
        let mut tx = self.core.begin().await?;
        let member = store::workspaces::members(&mut tx, &who.workspace_id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user_id && m.kind == "person")
            .ok_or_else(|| AppError::not_found("member of this workspace"))?;
        if member.role == Role::Admin
            && store::workspaces::count_admins(&mut tx, &who.workspace_id).await? <= 1
        {
            return Err(AppError::forbidden("remove the last administrator"));
        }
        let owner = store::workspaces::owner(&mut tx, &who.workspace_id)
            .await
            .map_err(internal)?;
        if owner.as_deref() == Some(user_id) {
            return Err(AppError::forbidden(
                "remove the workspace's owner from their personal workspace",
            ));
        }
        let sessions =
            store::workspaces::delete_sessions_in(&mut tx, user_id, &who.workspace_id).await?;
        let revoked = super::end_membership(&mut tx, user_id, &who.workspace_id, now).await?;
        audit(
            &mut tx,
            now,
            who,
            "member.remove",
            Object {
                kind: AuditObject::User,
                id: user_id,
                name: &member.email,
            },
            &json!({"before": {"member": member.email, "role": member.role.as_str()},
                    "after": {"credentials_revoked": revoked, "sessions_ended": sessions}}),
        )
        .await?;
        self.core.commit(tx).await
    }

    pub async fn resend_invitation(
        &self,
        who: &Admin<'_>,
        invitation_id: &str,
    ) -> Result<InviteResult, AppError> {
        let now = self.core.clock.now_ms();
        let mut tx = self.core.begin().await?;
        let inv = store::workspaces::open_invitation(&mut tx, invitation_id, now)
            .await?
            .filter(|i| i.workspace_id == who.workspace_id)
            .ok_or_else(|| AppError::not_found("open invitation"))?;
        let token = crypto::new_token();
        let emailed = self.core.settings.smtp.is_some();
        store::workspaces::renew_invitation(
            &mut tx,
            &inv.id,
            &crypto::token_hash(&token),
            now + INVITATION_MS,
            emailed,
        )
        .await
        .map_err(internal)?;
        let (existing_user, verified_user) = account_of(&mut tx, &inv.email).await?;
        audit(
            &mut tx,
            now,
            who,
            "invitation.resend",
            Object {
                kind: AuditObject::Invitation,
                id: &inv.id,
                name: &inv.email,
            },
            &json!({"after": {"delivery": if emailed { "email" } else { "link" }}}),
        )
        .await?;
        self.core.commit(tx).await?;
        let outgoing = Outgoing {
            link: format!("{}/invite?token={token}", self.core.settings.public_url),
            email: inv.email,
            workspace_name: inv.workspace_name,
            invited_by: who.user_name.clone(),
            existing_user,
            verified_user,
        };
        deliver(&self.core, vec![outgoing])
            .await
            .pop()
            .ok_or_else(|| internal("no delivery result"))
    }
}
