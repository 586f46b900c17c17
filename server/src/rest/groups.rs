//! User groups through the API: the built-in groups and the workspace's own, with their members
//! (administrators of the workspace).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::groups::{Group as GroupView, GroupCandidate};
use app::domain::AppError;

use super::registry::{Ctx, Deleted, Endpoint, IdParam, NoParams, Updated, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "groups.get_all",
        summary: "groups with their members, and who can be added",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_all(NoParams) -> Overview,
    },
    endpoint! {
        name: "groups.create",
        summary: "a group of the workspace's own (`name`, `description`, `members`: user ids)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: create(GroupParams) -> Updated,
    },
    endpoint! {
        name: "groups.update",
        summary: "edit a group (`id`, `name`, `description`, `members`); editing Admins changes roles",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: update(UpdateParams) -> Updated,
    },
    endpoint! {
        name: "groups.delete",
        summary: "delete a group of the workspace's own (`id`); the built-in groups stay",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: delete(IdParam) -> Deleted,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub email: String,
    pub service_account: bool,
}

impl From<GroupCandidate> for Member {
    fn from(c: GroupCandidate) -> Self {
        Member {
            id: c.id,
            name: c.name,
            email: c.email,
            service_account: c.service_account,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Which built-in group this is (`users`, `admins`, `queue_admins`), if any.
    pub builtin: Option<String>,
    pub members: Vec<Member>,
    pub editable_members: bool,
}

impl From<GroupView> for Group {
    fn from(g: GroupView) -> Self {
        Group {
            id: g.id,
            name: g.name,
            description: g.description,
            builtin: g.builtin,
            members: g.members.into_iter().map(Member::from).collect(),
            editable_members: g.editable_members,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Overview {
    pub groups: Vec<Group>,
    pub candidates: Vec<Member>,
}

async fn get_all(ctx: Ctx, _: NoParams) -> Result<Overview, AppError> {
    let o = ctx
        .services()
        .groups
        .overview(&ctx.who()?.admin("see user groups")?)
        .await?;
    Ok(Overview {
        groups: o.groups.into_iter().map(Group::from).collect(),
        candidates: o.candidates.into_iter().map(Member::from).collect(),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct GroupParams {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// User ids.
    #[serde(default)]
    pub members: Vec<String>,
}

async fn create(ctx: Ctx, p: GroupParams) -> Result<Updated, AppError> {
    ctx.services()
        .groups
        .save(
            &ctx.who()?.admin("edit user groups")?,
            None,
            &p.name,
            &p.description,
            &p.members,
        )
        .await?;
    Ok(Updated { updated: 1 })
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateParams {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub members: Vec<String>,
}

async fn update(ctx: Ctx, p: UpdateParams) -> Result<Updated, AppError> {
    ctx.services()
        .groups
        .save(
            &ctx.who()?.admin("edit user groups")?,
            Some(&p.id),
            &p.name,
            &p.description,
            &p.members,
        )
        .await?;
    Ok(Updated { updated: 1 })
}

async fn delete(ctx: Ctx, p: IdParam) -> Result<Deleted, AppError> {
    ctx.services()
        .groups
        .delete(&ctx.who()?.admin("delete user groups")?, &p.id)
        .await?;
    Ok(Deleted { deleted: 1 })
}
