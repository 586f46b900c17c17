//! Workspaces through the API: the caller's workspaces and invitations, renaming, leaving,
//! inviting, and the credential lifetime limit. None of it is open to impersonating tokens.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::workspaces::{InvitationView, InviteResult, WorkspaceEntry};
use app::domain::AppError;
use app::domain::invitations::Delivery;
use app::domain::timefmt::iso_utc;

use super::registry::{Ctx, Endpoint, NoParams, Updated, endpoint, lenient};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "workspaces.get_all",
        summary: "your workspaces, invitations to you, and (admins) open invitations",
        access: Member,
        writes: false,
        impersonation: false,
        handler: get_all(NoParams) -> Overview,
    },
    endpoint! {
        name: "workspaces.rename",
        summary: "rename a workspace you administer (`workspace`, `name`)",
        access: Member,
        writes: true,
        impersonation: false,
        handler: rename(RenameParams) -> Updated,
    },
    endpoint! {
        name: "workspaces.leave",
        summary: "leave a workspace that is not your personal one (`workspace`); revokes your credentials there",
        access: Member,
        writes: true,
        impersonation: false,
        handler: leave(WorkspaceParam) -> Left,
    },
    endpoint! {
        name: "workspaces.invite",
        summary: "invite addresses (`emails`: a list or a comma-separated string); each result's `delivery` says how its link went: `sent` by e-mail, `failed` (with `error`; the invitation stays pending) or, without a mail server, `link` with the `link` to hand over",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: invite(InviteParams) -> Invited,
    },
    endpoint! {
        name: "workspaces.cancel_invitation",
        summary: "cancel an open invitation (`invitation`)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: cancel_invitation(InvitationParam) -> Cancelled,
    },
    endpoint! {
        name: "workspaces.resend_invitation",
        summary: "a new link for an open invitation (`invitation`), delivered as by `workspaces.invite`; the previous link stops working",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: resend_invitation(InvitationParam) -> Resent,
    },
    endpoint! {
        name: "workspaces.answer_invitation",
        summary: "accept or decline an invitation addressed to you (`invitation`, `accept`); only accounts whose e-mail address is verified",
        access: Member,
        writes: true,
        impersonation: false,
        handler: answer_invitation(AnswerParams) -> Answered,
    },
    endpoint! {
        name: "workspaces.set_credential_limit",
        summary: "longest lifetime of new credentials in your workspace (`days`, or null for none)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: set_credential_limit(LimitParams) -> Updated,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    /// `admin` or `member`.
    pub role: &'static str,
    pub personal: bool,
    pub current: bool,
    pub joined: String,
}

impl From<WorkspaceEntry> for Workspace {
    fn from(w: WorkspaceEntry) -> Self {
        Workspace {
            id: w.id,
            name: w.name,
            role: w.role.as_str(),
            personal: w.personal,
            current: w.current,
            joined: iso_utc(w.joined_ms),
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Invitation {
    pub id: String,
    pub workspace_name: String,
    pub email: String,
    pub invited_by: String,
    pub created: String,
    pub expires: String,
    pub has_account: bool,
}

impl From<InvitationView> for Invitation {
    fn from(i: InvitationView) -> Self {
        Invitation {
            id: i.id,
            workspace_name: i.workspace_name,
            email: i.email,
            invited_by: i.invited_by,
            created: iso_utc(i.created_ms),
            expires: iso_utc(i.expires_ms),
            has_account: i.has_account,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Overview {
    pub workspaces: Vec<Workspace>,
    pub invitations: Vec<Invitation>,
    pub pending: Vec<Invitation>,
    pub max_credential_days: Option<i64>,
}

async fn get_all(ctx: Ctx, _: NoParams) -> Result<Overview, AppError> {
    let o = ctx
        .services()
        .workspaces
        .overview(&ctx.api_caller()?)
        .await?;
    Ok(Overview {
        workspaces: o.workspaces.into_iter().map(Workspace::from).collect(),
        invitations: o.invitations.into_iter().map(Invitation::from).collect(),
        pending: o.pending.into_iter().map(Invitation::from).collect(),
        max_credential_days: o.max_credential_days,
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct RenameParams {
    pub workspace: String,
    pub name: String,
}

async fn rename(ctx: Ctx, p: RenameParams) -> Result<Updated, AppError> {
    ctx.services()
        .workspaces
        .rename(&ctx.who()?, &p.workspace, &p.name)
        .await?;
    Ok(Updated { updated: 1 })
}

#[derive(Deserialize, JsonSchema)]
pub struct WorkspaceParam {
    pub workspace: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Left {
    pub left: u32,
}

async fn leave(ctx: Ctx, p: WorkspaceParam) -> Result<Left, AppError> {
    ctx.services()
        .workspaces
        .leave(&ctx.api_caller()?, &p.workspace)
        .await?;
    Ok(Left { left: 1 })
}

/// Addresses as a list or as one comma-separated string.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Emails {
    List(Vec<String>),
    Text(String),
}

#[derive(Deserialize, JsonSchema)]
pub struct InviteParams {
    pub emails: Emails,
}

/// One invited address and how its link went.
#[derive(Serialize, JsonSchema)]
pub struct InvitedAddress {
    pub email: String,
    /// `sent` (by e-mail), `failed` (see `error`) or `link` (hand `link` over yourself).
    pub delivery: &'static str,
    /// Only when `delivery` is `link`: no mail server is set, so the inviter hands it over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub existing_user: bool,
    pub verified_user: bool,
}

impl From<InviteResult> for InvitedAddress {
    fn from(r: InviteResult) -> Self {
        let (delivery, link, error) = match r.delivery {
            Delivery::Link { link } => ("link", Some(link), None),
            Delivery::Sent => ("sent", None, None),
            Delivery::Failed { error } => ("failed", None, Some(error)),
        };
        InvitedAddress {
            email: r.email,
            delivery,
            link,
            error,
            existing_user: r.existing_user,
            verified_user: r.verified_user,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Invited {
    pub invited: Vec<InvitedAddress>,
}

async fn invite(ctx: Ctx, p: InviteParams) -> Result<Invited, AppError> {
    let emails = match p.emails {
        Emails::List(items) => items.join(","),
        Emails::Text(s) => s,
    };
    let invited = ctx
        .services()
        .workspaces
        .invite(
            &ctx.who()?.admin("invite people to this workspace")?,
            &emails,
        )
        .await?;
    Ok(Invited {
        invited: invited.into_iter().map(InvitedAddress::from).collect(),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct InvitationParam {
    pub invitation: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Cancelled {
    pub cancelled: u32,
}

async fn cancel_invitation(ctx: Ctx, p: InvitationParam) -> Result<Cancelled, AppError> {
    ctx.services()
        .workspaces
        .cancel_invitation(&ctx.who()?.admin("cancel invitations")?, &p.invitation)
        .await?;
    Ok(Cancelled { cancelled: 1 })
}

#[derive(Serialize, JsonSchema)]
pub struct Resent {
    pub invited: InvitedAddress,
}

async fn resend_invitation(ctx: Ctx, p: InvitationParam) -> Result<Resent, AppError> {
    let sent = ctx
        .services()
        .users
        .resend_invitation(&ctx.who()?.admin("resend invitations")?, &p.invitation)
        .await?;
    Ok(Resent {
        invited: sent.into(),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct AnswerParams {
    pub invitation: String,
    pub accept: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct Answered {
    pub answered: u32,
}

async fn answer_invitation(ctx: Ctx, p: AnswerParams) -> Result<Answered, AppError> {
    ctx.services()
        .workspaces
        .answer_invitation(&ctx.api_caller()?, &p.invitation, p.accept)
        .await?;
    Ok(Answered { answered: 1 })
}

#[derive(Deserialize, JsonSchema)]
pub struct LimitParams {
    /// Days, or null for no limit.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub days: Option<i64>,
}

async fn set_credential_limit(ctx: Ctx, p: LimitParams) -> Result<Updated, AppError> {
    ctx.services()
        .workspaces
        .set_max_credential_days(
            &ctx.who()?.admin("set the credential lifetime limit")?,
            p.days,
        )
        .await?;
    Ok(Updated { updated: 1 })
}
