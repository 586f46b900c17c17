//! Users & Groups → Users through the API: members and pending invitations, roles, removal
//! (administrators of the workspace).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::users::UserEntry;
use app::domain::timefmt::iso_utc;
use app::domain::{AppError, Role};

use super::registry::{Ctx, Endpoint, NoParams, Updated, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "users.get_all",
        summary: "members and pending invitations, `seats_used`, `max_members`",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_all(NoParams) -> Overview,
    },
    endpoint! {
        name: "users.set_role",
        summary: "make a member an administrator or a member (`user`, `role`: `admin` or `member`); the last administrator stays",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: set_role(RoleParams) -> Updated,
    },
    endpoint! {
        name: "users.remove",
        summary: "remove a member (`user`): their credentials, tokens and sessions in the workspace end at once",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: remove(UserParam) -> Removed,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct User {
    /// The user's id (members) or the invitation's id (pending).
    pub id: String,
    pub name: String,
    pub username: String,
    pub email: String,
    /// `admin` or `member`.
    pub role: &'static str,
    pub pending: bool,
    pub added: String,
    pub is_you: bool,
    pub groups: Vec<String>,
}

impl From<UserEntry> for User {
    fn from(u: UserEntry) -> Self {
        User {
            id: u.id,
            name: u.name,
            username: u.username,
            email: u.email,
            role: u.role.as_str(),
            pending: u.pending,
            added: iso_utc(u.added_ms),
            is_you: u.is_you,
            groups: u.groups,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Overview {
    pub users: Vec<User>,
    pub seats_used: i64,
    pub max_members: Option<i64>,
}

async fn get_all(ctx: Ctx, _: NoParams) -> Result<Overview, AppError> {
    let o = ctx
        .services()
        .users
        .overview(&ctx.who()?.admin("see the workspace's users")?)
        .await?;
    Ok(Overview {
        users: o.users.into_iter().map(User::from).collect(),
        seats_used: o.seats_used,
        max_members: o.max_members,
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct RoleParams {
    pub user: String,
    pub role: String,
}

async fn set_role(ctx: Ctx, p: RoleParams) -> Result<Updated, AppError> {
    let role = Role::parse(&p.role)
        .ok_or_else(|| AppError::validation("role", "role must be admin or member"))?;
    ctx.services()
        .users
        .set_role(&ctx.who()?.admin("change roles")?, &p.user, role)
        .await?;
    Ok(Updated { updated: 1 })
}

#[derive(Deserialize, JsonSchema)]
pub struct UserParam {
    pub user: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Removed {
    pub removed: u32,
}

async fn remove(ctx: Ctx, p: UserParam) -> Result<Removed, AppError> {
    ctx.services()
        .users
        .remove(&ctx.who()?.admin("remove members")?, &p.user)
        .await?;
    Ok(Removed { removed: 1 })
}
