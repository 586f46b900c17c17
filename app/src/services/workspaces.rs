//! Workspaces: the ones you belong to, switching the session between them, renaming, leaving,
//! the credential lifetime limit, and invitations (links for new people, in-app for existing users).

use serde_json::json;

use app::api::backend::{Caller, NewSession};
use app::api::workspaces::{
    AcceptForm, InvitationView, InviteResult, WorkspaceEntry, WorkspaceOverview,
};
use app::domain::identity::Admin;
use app::domain::invitations::{self, Answer, Delivery};
use app::domain::{AppError, Identity, Role, credentials, validate};

use super::credentials::CredentialsService;
use super::users::{NewUser, Placement, create_user_in};
use super::{Object, Write};
use crate::crypto;
use crate::state::Core;
use crate::store::{self, Conn};
use app::domain::audit::AuditObject;

/// How long an invitation link stays valid.
pub const INVITATION_MS: i64 = 14 * 86_400_000;
/// The most addresses one invitation request may name.
pub const MAX_INVITES: usize = 50;

#[derive(Debug)]
pub struct WorkspacesService {
    pub core: std::sync::Arc<Core>,
    pub credentials: std::sync::Arc<CredentialsService>,
}

fn view(row: store::workspaces::InvitationRow, has_account: bool) -> InvitationView {
    InvitationView {
        id: row.id,
        workspace_name: row.workspace_name,
        email: row.email,
        invited_by: row.invited_by_name,
        created_ms: row.created_ms,
        expires_ms: row.expires_ms,
        has_account,
    }
}

/// An invitation link to hand over once the transaction that made it has committed.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub email: String,
    pub link: String,
    pub workspace_name: String,
    pub invited_by: String,
    pub existing_user: bool,
    pub verified_user: bool,
}

/// Whether an address has an account, and whether that account's address is verified.
pub async fn account_of(conn: &mut Conn, email: &str) -> Result<(bool, bool), AppError> {
    match store::users::find_by_login(conn, email).await? {
        Some(u) => Ok((true, store::users::email_verified(conn, &u.id).await?)),
        None => Ok((false, false)),
    }
}

/// Delivers committed invitation links: by e-mail when a mail server is configured (the link is
/// then never shown to anyone else), otherwise back to the inviter to hand over. Each address gets
/// its own outcome; a failed sending leaves its invitation pending for a resend.
pub async fn deliver(core: &Core, outgoing: Vec<Outgoing>) -> Vec<InviteResult> {
    let mut results = Vec::with_capacity(outgoing.len());
    for o in outgoing {
        let delivery = match &core.settings.smtp {
            None => Delivery::Link {
                link: o.link.clone(),
            },
            Some(smtp) => {
                let mail = crate::mail::Mail {
                    to: o.email.clone(),
                    subject: format!(
                        "{} invited you to {} on Atrium",
                        o.invited_by, o.workspace_name
                    ),
                    body: invitation_text(&o),
                    attachments: Vec::new(),
                };
                match crate::mail::send(smtp, mail).await {
                    Ok(()) => Delivery::Sent,
                    Err(error) => Delivery::Failed { error },
                }
            }
        };
        results.push(InviteResult {
            email: o.email,
            delivery,
            existing_user: o.existing_user,
            verified_user: o.verified_user,
        });
    }
    results
}

fn invitation_text(o: &Outgoing) -> String {
    format!(
        "Hello,\n\n{} invited you to join the workspace \"{}\" on Atrium.\n\n\
         Open this link to accept{}:\n\n{}\n\n\
         The link is valid for {} days and works once. If you did not expect this invitation, ignore this e-mail.\n",
        o.invited_by,
        o.workspace_name,
        if o.existing_user {
            " (log in with your account first)"
        } else {
            " and choose a password"
        },
        o.link,
        INVITATION_MS / 86_400_000
    )
}

/// Splits a list of addresses typed by a person (commas, semicolons, spaces or new lines).
pub fn parse_emails(raw: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = vec![];
    for part in raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let email = validate::email("emails", part).map_err(|_| {
            AppError::validation("emails", format!("'{part}' is not a valid e-mail address."))
        })?;
        if !out.contains(&email) {
            out.push(email);
        }
    }
    if out.is_empty() {
        return Err(AppError::validation(
            "emails",
            "Enter at least one e-mail address.",
        ));
    }
    if out.len() > MAX_INVITES {
        return Err(AppError::validation(
            "emails",
            format!("Invite at most {MAX_INVITES} addresses at once."),
        ));
    }
    Ok(out)
}

/// A workspace's seats when it has a limit: (used, limit). Members who are people and pending
/// invitations use one each (an invitation holds its seat until it is answered).
pub async fn seats(
    conn: &mut Conn,
    workspace_id: &str,
    now: i64,
) -> Result<Option<(i64, i64)>, AppError> {
    let Some(max) = store::workspaces::max_members(conn, workspace_id).await? else {
        return Ok(None);
    };
    let members = store::workspaces::members(conn, workspace_id)
        .await?
        .iter()
        .filter(|m| m.kind == "person")
        .count();
    let open = store::workspaces::open_invitations_for_workspace(conn, workspace_id, now)
        .await?
        .len();
    Ok(Some(((members + open) as i64, max)))
}

impl WorkspacesService {
    async fn user_exists(conn: &mut Conn, email: &str) -> Result<bool, AppError> {
        Ok(store::users::find_by_login(conn, email).await?.is_some())
    }

    /// Joins a user to an invitation's workspace inside a transaction. `verified` says whether the
    /// address became verified by this acceptance (recorded in the audit entry).
    async fn join(
        &self,
        tx: &mut Write<'_>,
        now: i64,
        invitation: &store::workspaces::InvitationRow,
        user: &Identity,
        verified: bool,
    ) -> Result<(), AppError> {
        if !store::workspaces::accept_invitation(tx, &invitation.id, now).await? {
            return Err(AppError::Conflict(
                "This invitation has already been answered.".into(),
            ));
        }
        if store::workspaces::membership(tx, &user.user_id, &invitation.workspace_id)
            .await?
            .is_none()
        {
            store::users::add_membership(
                tx,
                &invitation.workspace_id,
                &user.user_id,
                Role::Member,
                now,
            )
            .await?;
        }
        let actor = Identity {
            workspace_id: invitation.workspace_id.clone(),
            workspace_name: invitation.workspace_name.clone(),
            role: Role::Member,
            ..user.clone()
        };
        tx.audit_as(
            &actor,
            "invitation.accept",
            Object {
                kind: AuditObject::Workspace,
                id: &invitation.workspace_id,
                name: &invitation.workspace_name,
            },
            &json!({"after": {"member": user.email, "email_verified": verified}}),
        )
        .await
    }
}

impl WorkspacesService {
    /// The identity of a user (by e-mail or username) in one of their workspaces (by name; default:
    /// their first), acting from the command line.
    pub async fn identity_for(
        &self,
        user: &str,
        workspace: Option<&str>,
    ) -> Result<Identity, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let u = store::users::find_by_login(&mut conn, user)
            .await?
            .ok_or_else(|| AppError::validation("user", format!("No user {user}.")))?;
        let memberships = store::workspaces::memberships(&mut conn, &u.id).await?;
        let m = match workspace {
            Some(name) => memberships
                .into_iter()
                .find(|m| m.workspace_name == name)
                .ok_or_else(|| {
                    AppError::validation(
                        "workspace",
                        format!("{user} is not a member of a workspace named {name}."),
                    )
                })?,
            None => memberships.into_iter().next().ok_or_else(|| {
                AppError::validation("user", format!("{user} belongs to no workspace."))
            })?,
        };
        Ok(Identity {
            user_id: u.id,
            user_name: u.name,
            email: u.email,
            workspace_id: m.workspace_id,
            workspace_name: m.workspace_name,
            role: m.role,
            channel: app::domain::identity::Channel::Cli,
            actor: app::domain::identity::Actor::Person,
        })
    }

    /// Sets a workspace's seat limit (the server administrator's command line).
    pub async fn set_seats(&self, name: &str, max: Option<i64>) -> Result<(), AppError> {
        if max.is_some_and(|m| m < 1) {
            return Err(AppError::validation(
                "max",
                "A seat limit is at least 1 (or none).",
            ));
        }
        let mut tx = self.core.begin_unattributed().await?;
        let ws = store::users::find_workspace_by_name(&mut tx, name)
            .await?
            .ok_or_else(|| {
                AppError::validation("workspace", format!("No workspace named {name}."))
            })?;
        store::workspaces::set_max_members(&mut tx, &ws.id, max).await?;
        tx.commit().await
    }

    /// Creates a workspace owned (and administered) by an existing user.
    pub async fn create_workspace(
        &self,
        name: &str,
        owner: &str,
    ) -> Result<WorkspaceEntry, AppError> {
        let name = validate::display_name("name", name)?;
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        let u = store::users::find_by_login(&mut tx, owner)
            .await?
            .ok_or_else(|| AppError::validation("owner", format!("No user {owner}.")))?;
        if store::users::find_workspace_by_name(&mut tx, &name)
            .await?
            .is_some()
        {
            return Err(AppError::Conflict(format!(
                "A workspace named {name} exists."
            )));
        }
        let id = crypto::new_id();
        store::users::insert_workspace(&mut tx, &id, &name, now).await?;
        store::workspaces::set_owner(&mut tx, &id, &u.id).await?;
        store::users::add_membership(&mut tx, &id, &u.id, Role::Admin, now).await?;
        let actor = Identity {
            user_id: u.id.clone(),
            user_name: app::domain::identity::OPERATOR_NAME.into(),
            email: String::new(),
            workspace_id: id.clone(),
            workspace_name: name.clone(),
            role: Role::Admin,
            channel: app::domain::identity::Channel::Cli,
            actor: app::domain::identity::Actor::Operator,
        };
        tx.audit_as(
            &actor,
            "workspace.create",
            Object {
                kind: AuditObject::Workspace,
                id: &id,
                name: &name,
            },
            &json!({"after": {"name": name, "owner": u.email}}),
        )
        .await?;
        tx.commit().await?;
        Ok(WorkspaceEntry {
            id,
            name,
            role: Role::Admin,
            personal: true,
            current: false,
            joined_ms: now,
        })
    }
}

impl WorkspacesService {
    pub async fn overview(&self, caller: &Caller) -> Result<WorkspaceOverview, AppError> {
        let who = &caller.identity;
        let now = self.core.clock.now_ms();
        let mut conn = self.core.db.pool.acquire().await?;
        let memberships = store::workspaces::memberships(&mut conn, &who.user_id).await?;
        let max_credential_days = memberships
            .iter()
            .find(|m| m.workspace_id == who.workspace_id)
            .and_then(|m| m.max_credential_days);
        let workspaces = memberships
            .into_iter()
            .map(|m| WorkspaceEntry {
                current: m.workspace_id == who.workspace_id,
                personal: m.owner_id.as_deref() == Some(who.user_id.as_str()),
                id: m.workspace_id,
                name: m.workspace_name,
                role: m.role,
                joined_ms: m.joined_ms,
            })
            .collect();
        let email_verified = store::users::email_verified(&mut conn, &who.user_id).await?;
        // An unverified account may belong to someone who only typed this address: it does not see
        // invitations addressed to it (their links reach the address's owner).
        let invitations = if email_verified {
            store::workspaces::open_invitations_for_email(&mut conn, &who.email, now)
                .await?
                .into_iter()
                .map(|r| view(r, true))
                .collect()
        } else {
            vec![]
        };
        let pending = if who.is_admin() {
            let rows = store::workspaces::open_invitations_for_workspace(
                &mut conn,
                &who.workspace_id,
                now,
            )
            .await?;
            let mut out = vec![];
            for r in rows {
                let has = Self::user_exists(&mut conn, &r.email).await?;
                out.push(view(r, has));
            }
            out
        } else {
            vec![]
        };
        drop(conn);
        Ok(WorkspaceOverview {
            workspaces,
            credentials: self.credentials.list(who).await?,
            invitations,
            email_verified,
            sends_email: self.core.settings.smtp.is_some(),
            pending,
            max_credential_days,
            hosts: self.credentials.hosts(),
            now_ms: now,
        })
    }

    pub async fn switch(&self, caller: &Caller, workspace_id: &str) -> Result<(), AppError> {
        let session = caller.session_id.as_deref().ok_or(AppError::Unauthorized)?;
        let mut conn = self.core.db.pool.acquire().await?;
        store::workspaces::membership(&mut conn, &caller.identity.user_id, workspace_id)
            .await?
            .ok_or_else(|| AppError::forbidden("switch to a workspace you do not belong to"))?;
        if !store::identity_providers::password_login(&mut conn, workspace_id).await?
            && store::identity_providers::session_via(&mut conn, session).await? != "sso"
        {
            return Err(AppError::forbidden(
                "enter this workspace after logging in with a password: it logs in through its identity provider. Log out and use its button",
            ));
        }
        store::workspaces::switch_session(&mut conn, session, workspace_id).await?;
        Ok(())
    }

    pub async fn rename(
        &self,
        who: &Identity,
        workspace_id: &str,
        name: &str,
    ) -> Result<(), AppError> {
        let name = validate::display_name("name", name)?;
        let mut tx = self.core.begin(who).await?;
        let m = store::workspaces::membership(&mut tx, &who.user_id, workspace_id)
            .await?
            .ok_or_else(|| AppError::not_found("workspace"))?;
        if m.role != Role::Admin {
            return Err(AppError::forbidden(
                "rename this workspace (administrators only)",
            ));
        }
        if m.workspace_name == name {
            return Ok(());
        }
        store::workspaces::rename(&mut tx, workspace_id, &name).await?;
        let actor = Identity {
            workspace_id: workspace_id.into(),
            workspace_name: name.clone(),
            role: m.role,
            ..who.clone()
        };
        tx.audit_as(
            &actor,
            "workspace.rename",
            Object {
                kind: AuditObject::Workspace,
                id: workspace_id,
                name: &name,
            },
            &json!({"before": {"name": m.workspace_name}, "after": {"name": name}}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn leave(&self, caller: &Caller, workspace_id: &str) -> Result<(), AppError> {
        let who = &caller.identity;
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        let all = store::workspaces::memberships(&mut tx, &who.user_id).await?;
        let m = all
            .iter()
            .find(|m| m.workspace_id == workspace_id)
            .ok_or_else(|| AppError::not_found("workspace"))?;
        if m.owner_id.as_deref() == Some(who.user_id.as_str()) {
            return Err(AppError::forbidden("leave your personal workspace"));
        }
        if m.role == Role::Admin
            && store::workspaces::count_admins(&mut tx, workspace_id).await? <= 1
        {
            return Err(AppError::forbidden(
                "leave a workspace you are the last administrator of; make someone else an administrator first",
            ));
        }
        let Some(fallback) = all.iter().find(|o| o.workspace_id != workspace_id) else {
            return Err(AppError::forbidden("leave your only workspace"));
        };
        let revoked = super::end_membership(&mut tx, &who.user_id, workspace_id, now).await?;
        store::workspaces::move_sessions(
            &mut tx,
            &who.user_id,
            workspace_id,
            &fallback.workspace_id,
        )
        .await?;
        let actor = Identity {
            workspace_id: workspace_id.into(),
            workspace_name: m.workspace_name.clone(),
            role: m.role,
            ..who.clone()
        };
        tx.audit_as(
            &actor,
            "workspace.leave",
            Object { kind: AuditObject::Workspace, id: workspace_id, name: &m.workspace_name },
            &json!({"before": {"member": who.email, "role": m.role.as_str()}, "after": {"credentials_revoked": revoked}}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn set_max_credential_days(
        &self,
        who: &Admin<'_>,
        days: Option<i64>,
    ) -> Result<(), AppError> {
        let days = credentials::max_lifetime(days)?;
        let mut tx = self.core.begin(who).await?;
        let before = store::workspaces::membership(&mut tx, &who.user_id, &who.workspace_id)
            .await?
            .and_then(|m| m.max_credential_days);
        store::workspaces::set_max_credential_days(&mut tx, &who.workspace_id, days).await?;
        tx.audit("workspace.credential_limit",
            Object { kind: AuditObject::Workspace, id: &who.workspace_id, name: &who.workspace_name },
            &json!({"before": {"max_credential_days": before}, "after": {"max_credential_days": days}}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn invite(
        &self,
        who: &Admin<'_>,
        emails: &str,
    ) -> Result<Vec<InviteResult>, AppError> {
        let emails = parse_emails(emails)?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        if let Some((used, max)) = seats(&mut tx, &who.workspace_id, now).await?
            && used + emails.len() as i64 > max
        {
            let left = (max - used).max(0);
            return Err(AppError::validation(
                "emails",
                format!(
                    "This workspace uses {used} of its {max} seats (members and pending invitations), so you can invite {left} more. Ask your server administrator for more seats."
                ),
            ));
        }
        let emailed = self.core.settings.smtp.is_some();
        let mut outgoing = vec![];
        for email in emails {
            if store::workspaces::is_member_email(&mut tx, &who.workspace_id, &email).await? {
                return Err(AppError::validation(
                    "emails",
                    format!("{email} is already a member of this workspace."),
                ));
            }
            let token = crypto::new_token();
            let id = crypto::new_id();
            store::workspaces::insert_invitation(
                &mut tx,
                store::workspaces::NewInvitation {
                    id: &id,
                    workspace_id: &who.workspace_id,
                    email: &email,
                    token_hash: &crypto::token_hash(&token),
                    invited_by: &who.user_id,
                    now_ms: now,
                    expires_ms: now + INVITATION_MS,
                    emailed,
                },
            )
            .await?;
            let (existing_user, verified_user) = account_of(&mut tx, &email).await?;
            tx.audit(
                "invitation.create",
                Object {
                    kind: AuditObject::Invitation,
                    id: &id,
                    name: &email,
                },
                &json!({"after": {"email": email, "existing_user": existing_user,
                                  "delivery": if emailed { "email" } else { "link" }}}),
            )
            .await?;
            outgoing.push(Outgoing {
                link: format!("{}/invite?token={token}", self.core.settings.public_url),
                email,
                workspace_name: who.workspace_name.clone(),
                invited_by: who.user_name.clone(),
                existing_user,
                verified_user,
            });
        }
        tx.commit().await?;
        Ok(deliver(&self.core, outgoing).await)
    }

    pub async fn cancel_invitation(
        &self,
        who: &Admin<'_>,
        invitation_id: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let inv = store::workspaces::open_invitation(&mut tx, invitation_id, now)
            .await?
            .filter(|i| i.workspace_id == who.workspace_id)
            .ok_or_else(|| AppError::not_found("open invitation"))?;
        store::workspaces::cancel_invitation(&mut tx, &inv.id, now).await?;
        tx.audit(
            "invitation.cancel",
            Object {
                kind: AuditObject::Invitation,
                id: &inv.id,
                name: &inv.email,
            },
            &json!({}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn answer_invitation(
        &self,
        caller: &Caller,
        invitation_id: &str,
        accept: bool,
    ) -> Result<(), AppError> {
        let who = &caller.identity;
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        let inv = store::workspaces::open_invitation(&mut tx, invitation_id, now)
            .await?
            .filter(|i| i.email == who.email)
            .ok_or_else(|| AppError::not_found("open invitation for you"))?;
        let verified = store::users::email_verified(&mut tx, &who.user_id).await?;
        invitations::may_answer(verified, Answer::InApp)?;
        if accept {
            self.join(&mut tx, now, &inv, who, false).await?;
        } else {
            store::workspaces::cancel_invitation(&mut tx, &inv.id, now).await?;
            let actor = Identity {
                workspace_id: inv.workspace_id.clone(),
                workspace_name: inv.workspace_name.clone(),
                ..who.clone()
            };
            tx.audit_as(
                &actor,
                "invitation.decline",
                Object {
                    kind: AuditObject::Invitation,
                    id: &inv.id,
                    name: &inv.email,
                },
                &json!({}),
            )
            .await?;
        }
        tx.commit().await
    }

    pub async fn invitation(&self, token: &str) -> Result<Option<InvitationView>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let now = self.core.clock.now_ms();
        match store::workspaces::open_invitation_by_token(
            &mut conn,
            &crypto::token_hash(token),
            now,
        )
        .await?
        {
            Some(row) => {
                let has = Self::user_exists(&mut conn, &row.email).await?;
                Ok(Some(view(row, has)))
            }
            None => Ok(None),
        }
    }

    pub async fn accept_link(
        &self,
        form: AcceptForm,
        caller: Option<Caller>,
        client_ip: String,
    ) -> Result<Option<NewSession>, AppError> {
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        let inv = store::workspaces::open_invitation_by_token(
            &mut tx,
            &crypto::token_hash(&form.token),
            now,
        )
        .await?
        .ok_or_else(|| {
            AppError::forbidden("use this invitation: it has been used, cancelled or has expired")
        })?;
        let answer = Answer::Link {
            emailed: inv.emailed,
        };
        if Self::user_exists(&mut tx, &inv.email).await? {
            let caller = caller
                .filter(|c| c.identity.email == inv.email)
                .ok_or_else(|| {
                    AppError::forbidden(format!(
                        "accept this invitation without logging in as {}",
                        inv.email
                    ))
                })?;
            let who = &caller.identity;
            let before = store::users::email_verified(&mut tx, &who.user_id).await?;
            invitations::may_answer(before, answer)?;
            let newly_verified = !before && invitations::verified_after(before, answer);
            if newly_verified {
                store::users::mark_email_verified(&mut tx, &who.user_id, now).await?;
            }
            self.join(&mut tx, now, &inv, who, newly_verified).await?;
            tx.commit().await?;
            return Ok(None);
        }
        validate::new_password("password", &form.password)?;
        if form.password != form.password_confirm {
            return Err(AppError::validation(
                "password_confirm",
                "The passwords do not match.",
            ));
        }
        let created = create_user_in(
            &mut tx,
            now,
            NewUser {
                email: inv.email.clone(),
                name: form.name,
                username: None,
                password: form.password,
                role: Role::Member,
                workspace: Placement::Personal,
            },
            invitations::verified_after(false, answer),
        )
        .await?;
        // A new person also gets a personal workspace of their own, created with them.
        let identity = Identity {
            user_id: created.id.clone(),
            user_name: created.name.clone(),
            email: created.email.clone(),
            workspace_id: created.workspace_id.clone(),
            workspace_name: created.workspace_name.clone(),
            role: created.role,
            channel: app::domain::identity::Channel::Web,
            actor: app::domain::identity::Actor::Person,
        };
        self.join(&mut tx, now, &inv, &identity, created.email_verified)
            .await?;
        let joined = Identity {
            workspace_id: inv.workspace_id.clone(),
            workspace_name: inv.workspace_name.clone(),
            role: Role::Member,
            ..identity
        };
        let session =
            super::sessions::start_session(&self.core, &mut tx, now, &joined, &client_ip).await?;
        tx.commit().await?;
        Ok(Some(session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_address_lists() {
        assert_eq!(
            parse_emails("a@x.io, B@x.io;\nc@x.io a@x.io").unwrap(),
            vec!["a@x.io", "b@x.io", "c@x.io"]
        );
        assert_eq!(parse_emails("  ").unwrap_err().field(), Some("emails"));
        let err = parse_emails("a@x.io, nope").unwrap_err();
        assert_eq!(err.user_message(), "'nope' is not a valid e-mail address.");
    }
}
