//! Users & Groups → Users: creating users (the command line, the first set-up and invitation links),
//! and for administrators the members and pending invitations of a workspace, roles, removal, and
//! resending invitation links. A workspace always keeps an administrator.

use serde_json::json;

use app::api::users::{UserEntry, UsersOverview};
use app::api::workspaces::InviteResult;
use app::domain::identity::Admin;
use app::domain::{AppError, Identity, Role, validate};

use super::workspaces::{INVITATION_MS, Outgoing, account_of, deliver};
use super::{Object, internal};
use crate::crypto;
use crate::state::Core;
use crate::store::{self, Conn, users::UserRow};
use app::domain::audit::AuditObject;

#[derive(Debug)]
pub struct UsersService {
    pub core: std::sync::Arc<Core>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub username: Option<String>,
    pub password: String,
    pub role: Role,
    pub workspace: Placement,
}

/// Which workspace a new user joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The workspace with this name, created (owned by the user) if there is none.
    Named(String),
    /// The server's first workspace, or a new one owned by the user if there is none.
    Default,
    /// A new workspace of their own, named after them.
    Personal,
}

/// What creating a user produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CreatedUser {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub workspace_id: String,
    pub workspace_name: String,
    pub email_verified: bool,
}

/// How many numbered login names (`bob`, `bob2`, …) are tried before a random suffix is used.
const USERNAME_TRIES: u32 = 50;

/// Creates a user (and their workspace if needed) inside an open transaction. `email_verified` says
/// whether the address is known to be theirs: the operator made the account, or they followed a
/// link that was delivered by e-mail. Without an explicit username one is derived from the
/// address's local part, numbered when taken (`bob`, `bob2`, …), so addresses never collide.
pub async fn create_user_in(
    conn: &mut Conn,
    now_ms: i64,
    new: NewUser,
    email_verified: bool,
) -> Result<CreatedUser, AppError> {
    let email = validate::email("email", &new.email)?;
    let name = validate::display_name("name", &new.name)?;
    let explicit = match &new.username {
        Some(u) => Some(validate::username("username", u)?),
        None => None,
    };
    validate::new_password("password", &new.password)?;
    let hash = crypto::hash_password(&new.password).map_err(internal)?;
    let found = match &new.workspace {
        Placement::Named(ws_name) => {
            let ws_name = validate::display_name("workspace", ws_name)?;
            store::users::find_workspace_by_name(conn, &ws_name)
                .await?
                .map(|w| (w.id, w.name))
                .ok_or(ws_name)
        }
        Placement::Default => store::users::first_workspace(conn)
            .await?
            .map(|w| (w.id, w.name))
            .ok_or_else(|| format!("{name}'s workspace")),
        Placement::Personal => Err(format!("{name}'s workspace")),
    };
    let (workspace_id, workspace_name, owned) = match found {
        Ok((id, ws_name)) => (id, ws_name, false),
        Err(ws_name) => {
            let id = crypto::new_id();
            store::users::insert_workspace(conn, &id, &ws_name, now_ms).await?;
            (id, ws_name, true)
        }
    };
    let mut user = UserRow {
        id: crypto::new_id(),
        username: String::new(),
        email: email.clone(),
        name: name.clone(),
        password_hash: Some(hash),
        kind: "person".into(),
        created_ms: now_ms,
    };
    if let Some(username) = explicit {
        user.username = username;
        if !store::users::insert_person_if_username_free(conn, &user, email_verified).await? {
            return Err(AppError::Taken {
                field: "username".into(),
                message: "A user with this username exists.".into(),
            });
        }
    } else {
        let base = validate::username_from_email(&email);
        let mut n = 1;
        loop {
            user.username = if n <= USERNAME_TRIES {
                validate::username_candidate(&base, n)
            } else {
                let short: String = base.chars().take(33).collect();
                format!("{short}-{}", &crypto::new_id()[..6])
            };
            if store::users::insert_person_if_username_free(conn, &user, email_verified).await? {
                break;
            }
            if n > USERNAME_TRIES + 5 {
                return Err(AppError::Conflict(
                    "No free username could be found; give one explicitly.".into(),
                ));
            }
            n += 1;
        }
    }
    let username = user.username.clone();
    // The creator of a new workspace owns it and administers it.
    let role = if owned { Role::Admin } else { new.role };
    store::users::add_membership(conn, &workspace_id, &user.id, role, now_ms).await?;
    if owned {
        store::workspaces::set_owner(conn, &workspace_id, &user.id).await?;
    }
    Ok(CreatedUser {
        id: user.id,
        username,
        email,
        name,
        role,
        workspace_id,
        workspace_name,
        email_verified,
    })
}

impl UsersService {
    /// Creates a user from the command line, audited as done by the server itself. The operator
    /// vouches for the address, so it counts as verified.
    pub async fn create(&self, new: NewUser) -> Result<CreatedUser, AppError> {
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        let created = create_user_in(&mut tx, now, new, true).await?;
        let cli = Identity {
            user_id: created.id.clone(),
            user_name: app::domain::identity::OPERATOR_NAME.into(),
            email: String::new(),
            workspace_id: created.workspace_id.clone(),
            workspace_name: created.workspace_name.clone(),
            role: Role::Admin,
            channel: app::domain::identity::Channel::Cli,
            actor: app::domain::identity::Actor::Operator,
        };
        tx.audit_as(
            &cli,
            "user.create",
            Object { kind: AuditObject::User, id: &created.id, name: &created.email },
            &json!({"after": {"email": created.email, "username": created.username, "name": created.name, "role": created.role.as_str(), "email_verified": true}}),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }
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
        let mut tx = self.core.begin(who).await?;
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
                .await?
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
        tx.audit(
            "member.role",
            Object {
                kind: AuditObject::User,
                id: user_id,
                name: &member.email,
            },
            &json!({"before": {"role": member.role.as_str()}, "after": {"role": role.as_str()}}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn remove(&self, who: &Admin<'_>, user_id: &str) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
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
        let owner = store::workspaces::owner(&mut tx, &who.workspace_id).await?;
        if owner.as_deref() == Some(user_id) {
            return Err(AppError::forbidden(
                "remove the workspace's owner from their personal workspace",
            ));
        }
        let sessions =
            store::workspaces::delete_sessions_in(&mut tx, user_id, &who.workspace_id).await?;
        let revoked = super::end_membership(&mut tx, user_id, &who.workspace_id, now).await?;
        tx.audit(
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
        tx.commit().await
    }

    pub async fn resend_invitation(
        &self,
        who: &Admin<'_>,
        invitation_id: &str,
    ) -> Result<InviteResult, AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
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
        .await?;
        let (existing_user, verified_user) = account_of(&mut tx, &inv.email).await?;
        tx.audit(
            "invitation.resend",
            Object {
                kind: AuditObject::Invitation,
                id: &inv.id,
                name: &inv.email,
            },
            &json!({"after": {"delivery": if emailed { "email" } else { "link" }}}),
        )
        .await?;
        tx.commit().await?;
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
