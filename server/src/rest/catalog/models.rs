//! `models.*`: models and whether they are ready.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use app::domain::AppError;
use app::domain::catalog::Found;

use super::{Raw, UpdatedFields, id_param, without};
use crate::rest::registry::{Ctx, Endpoint, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "models.get_all",
        summary: "models by ClearML's filters (`id`, `name` pattern, `project`, `task`, `framework`, `ready`, `uri`, `user`, `tags`, `system_tags`), with `order_by`, `page`, `page_size`, `only_fields`",
        access: Member, writes: false, impersonation: true,
        resource: ("model", "", Read),
        handler: get_all(Raw) -> Models,
    },
    endpoint! {
        name: "models.get_by_id",
        summary: "one model (`model`)",
        access: Member, writes: false, impersonation: true,
        resource: ("model", "model", Read),
        handler: get_by_id(Raw) -> OneModel,
    },
    endpoint! {
        name: "models.create",
        summary: "a model: `name`, `uri`, `project`, `task`, `framework`, `comment`, `tags`, `system_tags`, `design`, `labels`, `ready`",
        access: Member, writes: true, impersonation: true,
        resource: ("model", "project", Modify),
        handler: create(Raw) -> ModelCreated,
    },
    endpoint! {
        name: "models.update",
        summary: "a model's fields (as models.create)",
        access: Member, writes: true, impersonation: true,
        resource: ("model", "model", Modify),
        handler: edit(Raw) -> UpdatedFields,
    },
    endpoint! {
        name: "models.edit",
        summary: "a model's fields (as models.create)",
        access: Member, writes: true, impersonation: true,
        resource: ("model", "model", Modify),
        handler: edit(Raw) -> UpdatedFields,
    },
    endpoint! {
        name: "models.set_ready",
        summary: "mark a model ready (published)",
        access: Member, writes: true, impersonation: true,
        resource: ("model", "model", Modify),
        handler: set_ready(Raw) -> Updated,
    },
    endpoint! {
        name: "models.delete",
        summary: "delete a model; the answer gives its `url` so the caller can delete the file",
        access: Member, writes: true, impersonation: true,
        resource: ("model", "model", Modify),
        handler: delete(Raw) -> ModelDeleted,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Models {
    #[schemars(with = "Vec<Value>")]
    pub models: Found,
}

#[derive(Serialize, JsonSchema)]
pub struct OneModel {
    pub model: Value,
}

#[derive(Serialize, JsonSchema)]
pub struct ModelCreated {
    pub id: String,
    pub created: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct Updated {
    pub updated: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct ModelDeleted {
    pub deleted: u32,
    pub url: Option<String>,
}

async fn get_all(ctx: Ctx, p: Raw) -> Result<Models, AppError> {
    let models = ctx.services().catalog.models(&ctx.who()?, &p.0).await?;
    Ok(Models { models })
}

async fn get_by_id(ctx: Ctx, p: Raw) -> Result<OneModel, AppError> {
    let model = ctx
        .services()
        .catalog
        .model(&ctx.who()?, id_param(&p.0, "model")?)
        .await?;
    Ok(OneModel { model })
}

async fn create(ctx: Ctx, p: Raw) -> Result<ModelCreated, AppError> {
    let id = ctx
        .services()
        .catalog
        .create_model(&ctx.who()?, &p.0)
        .await?;
    Ok(ModelCreated { id, created: true })
}

async fn edit(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "model")?;
    let fields = ctx
        .services()
        .catalog
        .edit_model(&ctx.who()?, id, &without(&p.0, &["model", "force"]))
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn set_ready(ctx: Ctx, p: Raw) -> Result<Updated, AppError> {
    let updated = ctx
        .services()
        .catalog
        .set_model_ready(&ctx.who()?, id_param(&p.0, "model")?)
        .await?;
    Ok(Updated { updated })
}

async fn delete(ctx: Ctx, p: Raw) -> Result<ModelDeleted, AppError> {
    let (deleted, url) = ctx
        .services()
        .catalog
        .delete_model(&ctx.who()?, id_param(&p.0, "model")?)
        .await?;
    Ok(ModelDeleted { deleted, url })
}
