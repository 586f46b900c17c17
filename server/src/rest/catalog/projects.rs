//! `projects.*`: the project tree.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use app::domain::AppError;
use app::domain::catalog::Found;

use super::{Created, Raw, UpdatedFields, flag, id_param, without};
use crate::rest::registry::{Ctx, Endpoint, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "projects.get_all",
        summary: "projects by ClearML's filters (`name` pattern, `id`, `tags`, `system_tags`, `parent`, `shallow_search`, `search_hidden`), with `order_by`, `page`, `page_size`, `only_fields`",
        access: Member, writes: false, impersonation: true,
        resource: ("project", "", Read),
        handler: get_all(Raw) -> Projects,
    },
    endpoint! {
        name: "projects.get_all_ex",
        summary: "projects.get_all with `sub_projects` and, with `include_stats`, each project's task counts by status",
        access: Member, writes: false, impersonation: true,
        resource: ("project", "", Read),
        handler: get_all_ex(Raw) -> Projects,
    },
    endpoint! {
        name: "projects.get_by_id",
        summary: "one project (`project`)",
        access: Member, writes: false, impersonation: true,
        resource: ("project", "project", Read),
        handler: get_by_id(Raw) -> OneProject,
    },
    endpoint! {
        name: "projects.create",
        summary: "a project by its path (`name` such as a/b/c, missing parents made), `description`, `tags`, `system_tags`, `default_output_destination`",
        access: Member, writes: true, impersonation: true,
        resource: ("project", "", Modify),
        handler: create(Raw) -> Created,
    },
    endpoint! {
        name: "projects.update",
        summary: "a project's `name` (same parent), `description`, `tags`, `system_tags`, `default_output_destination`",
        access: Member, writes: true, impersonation: true,
        resource: ("project", "project", Modify),
        handler: update(Raw) -> UpdatedFields,
    },
    endpoint! {
        name: "projects.delete",
        summary: "a project and its sub-projects; refused while they hold tasks or models unless `force` (`delete_contents` deletes those too)",
        access: Member, writes: true, impersonation: true,
        resource: ("project", "project", Modify),
        handler: delete(Raw) -> Deleted,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Projects {
    #[schemars(with = "Vec<Value>")]
    pub projects: Found,
}

#[derive(Serialize, JsonSchema)]
pub struct OneProject {
    pub project: Value,
}

async fn get_all(ctx: Ctx, p: Raw) -> Result<Projects, AppError> {
    let projects = ctx.services().catalog.projects(&ctx.who()?, &p.0).await?;
    Ok(Projects { projects })
}

async fn get_all_ex(ctx: Ctx, p: Raw) -> Result<Projects, AppError> {
    let projects = ctx
        .services()
        .catalog
        .projects_ex(&ctx.who()?, &p.0)
        .await?
        .into();
    Ok(Projects { projects })
}

async fn get_by_id(ctx: Ctx, p: Raw) -> Result<OneProject, AppError> {
    let project = ctx
        .services()
        .catalog
        .project(&ctx.who()?, id_param(&p.0, "project")?)
        .await?;
    Ok(OneProject { project })
}

async fn create(ctx: Ctx, p: Raw) -> Result<Created, AppError> {
    let id = ctx
        .services()
        .catalog
        .create_project(&ctx.who()?, &p.0)
        .await?;
    Ok(Created { id })
}

async fn update(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "project")?;
    let (updated, fields) = ctx
        .services()
        .catalog
        .update_project(&ctx.who()?, id, &without(&p.0, &["project"]))
        .await?;
    Ok(UpdatedFields { updated, fields })
}

#[derive(Serialize, JsonSchema)]
pub struct Deleted {
    pub deleted: u32,
    /// Tasks that lost their project (without `delete_contents`).
    pub disassociated_tasks: u32,
    pub deleted_tasks: u32,
    pub deleted_models: u32,
}

async fn delete(ctx: Ctx, p: Raw) -> Result<Deleted, AppError> {
    let id = id_param(&p.0, "project")?;
    let d = ctx
        .services()
        .catalog
        .delete_project(
            &ctx.who()?,
            id,
            flag(&p.0, "force"),
            flag(&p.0, "delete_contents"),
        )
        .await?;
    Ok(Deleted {
        deleted: d.deleted,
        disassociated_tasks: d.disassociated_tasks,
        deleted_tasks: d.deleted_tasks,
        deleted_models: d.deleted_models,
    })
}
