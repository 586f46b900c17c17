//! `datasets.*`: Hyper-Datasets and their versions (ClearML's Enterprise service, without frames).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use app::domain::AppError;

use super::{Created, Raw, UpdatedFields, flag, id_param, without};
use crate::rest::registry::{Ctx, Endpoint, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "datasets.get_all",
        summary: "datasets with `version_count` and `head_version`, by ClearML's filters (`id`, `name` pattern, `project`, `tags`, `system_tags`, `search_text`), with `order_by`, `page`, `page_size`, `only_fields`",
        access: Member, writes: false, impersonation: true,
        resource: ("dataset", "", Read),
        handler: get_all(Raw) -> Datasets,
    },
    endpoint! {
        name: "datasets.get_by_id",
        summary: "one dataset (`dataset`)",
        access: Member, writes: false, impersonation: true,
        resource: ("dataset", "dataset", Read),
        handler: get_by_id(Raw) -> OneDataset,
    },
    endpoint! {
        name: "datasets.get_by_name",
        summary: "one dataset by its name (`dataset`)",
        access: Member, writes: false, impersonation: true,
        resource: ("dataset", "", Read),
        handler: get_by_name(Raw) -> OneDataset,
    },
    endpoint! {
        name: "datasets.create",
        summary: "a dataset: a unique `name`, `project`, `comment`, `tags`, `system_tags`, `metadata`, `terms_of_use`",
        access: Member, writes: true, impersonation: true,
        resource: ("dataset", "project", Modify),
        handler: create(Raw) -> Created,
    },
    endpoint! {
        name: "datasets.update",
        summary: "a dataset's `name`, `comment`, `tags`, `system_tags`, `metadata`, `terms_of_use`",
        access: Member, writes: true, impersonation: true,
        resource: ("dataset", "dataset", Modify),
        handler: update(Raw) -> UpdatedFields,
    },
    endpoint! {
        name: "datasets.delete",
        summary: "a dataset; with versions only with `delete_all_versions`, with published versions only with `force`",
        access: Member, writes: true, impersonation: true,
        resource: ("dataset", "dataset", Modify),
        handler: delete(Raw) -> DatasetDeleted,
    },
    endpoint! {
        name: "datasets.get_versions",
        summary: "a `dataset`'s versions, newest first (`versions` ids, `only_published`, ClearML's filters and paging)",
        access: Member, writes: false, impersonation: true,
        resource: ("dataset", "dataset", Read),
        handler: get_versions(Raw) -> Versions,
    },
    endpoint! {
        name: "datasets.create_version",
        summary: "a draft version of a `dataset`: `name`, `parent`, `comment`, `tags`, `system_tags`, `metadata`, `task`",
        access: Member, writes: true, impersonation: true,
        resource: ("dataset", "dataset", Modify),
        handler: create_version(Raw) -> Created,
    },
    endpoint! {
        name: "datasets.update_version",
        summary: "a `version`'s `name`, `comment`, `tags`, `system_tags`, `metadata` (a published one with `force`)",
        access: Member, writes: true, impersonation: true,
        resource: ("dataset", "version", Modify),
        handler: update_version(Raw) -> Updated,
    },
    endpoint! {
        name: "datasets.publish_version",
        summary: "publish a `version`",
        access: Member, writes: true, impersonation: true,
        resource: ("dataset", "version", Modify),
        handler: publish_version(Raw) -> Published,
    },
    endpoint! {
        name: "datasets.delete_version",
        summary: "delete a `version` no other version builds on (a published one with `force`)",
        access: Member, writes: true, impersonation: true,
        resource: ("dataset", "version", Modify),
        handler: delete_version(Raw) -> VersionDeleted,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Datasets {
    pub datasets: Vec<Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct OneDataset {
    pub dataset: Value,
}

#[derive(Serialize, JsonSchema)]
pub struct Versions {
    pub versions: Vec<Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct DatasetDeleted {
    pub deleted: bool,
    pub deleted_versions: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct Updated {
    pub updated: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct Published {
    pub published: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct VersionDeleted {
    pub deleted: bool,
}

async fn get_all(ctx: Ctx, p: Raw) -> Result<Datasets, AppError> {
    let datasets = ctx.services().catalog.datasets(&ctx.who()?, &p.0).await?;
    Ok(Datasets { datasets })
}

async fn get_by_id(ctx: Ctx, p: Raw) -> Result<OneDataset, AppError> {
    let dataset = ctx
        .services()
        .catalog
        .dataset(&ctx.who()?, id_param(&p.0, "dataset")?)
        .await?;
    Ok(OneDataset { dataset })
}

async fn get_by_name(ctx: Ctx, p: Raw) -> Result<OneDataset, AppError> {
    let dataset = ctx
        .services()
        .catalog
        .dataset_by_name(&ctx.who()?, id_param(&p.0, "dataset")?)
        .await?;
    Ok(OneDataset { dataset })
}

async fn create(ctx: Ctx, p: Raw) -> Result<Created, AppError> {
    let id = ctx
        .services()
        .catalog
        .create_dataset(&ctx.who()?, &p.0)
        .await?;
    Ok(Created { id })
}

async fn update(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "dataset")?;
    let fields = ctx
        .services()
        .catalog
        .update_dataset(&ctx.who()?, id, &without(&p.0, &["dataset"]))
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn delete(ctx: Ctx, p: Raw) -> Result<DatasetDeleted, AppError> {
    let id = id_param(&p.0, "dataset")?;
    let d = ctx
        .services()
        .catalog
        .delete_dataset(
            &ctx.who()?,
            id,
            flag(&p.0, "delete_all_versions"),
            flag(&p.0, "force"),
        )
        .await?;
    Ok(DatasetDeleted {
        deleted: d.deleted,
        deleted_versions: d.deleted_versions,
    })
}

async fn get_versions(ctx: Ctx, p: Raw) -> Result<Versions, AppError> {
    let id = id_param(&p.0, "dataset")?;
    let versions = ctx
        .services()
        .catalog
        .dataset_versions(&ctx.who()?, id, &without(&p.0, &["dataset"]))
        .await?;
    Ok(Versions { versions })
}

async fn create_version(ctx: Ctx, p: Raw) -> Result<Created, AppError> {
    let id = ctx
        .services()
        .catalog
        .create_dataset_version(&ctx.who()?, &p.0)
        .await?;
    Ok(Created { id })
}

async fn update_version(ctx: Ctx, p: Raw) -> Result<Updated, AppError> {
    let id = id_param(&p.0, "version")?;
    ctx.services()
        .catalog
        .update_dataset_version(
            &ctx.who()?,
            id,
            &without(&p.0, &["version", "force"]),
            flag(&p.0, "force"),
        )
        .await?;
    Ok(Updated { updated: 1 })
}

async fn publish_version(ctx: Ctx, p: Raw) -> Result<Published, AppError> {
    let id = id_param(&p.0, "version")?;
    ctx.services()
        .catalog
        .publish_dataset_version(&ctx.who()?, id, flag(&p.0, "force"))
        .await?;
    Ok(Published { published: 1 })
}

async fn delete_version(ctx: Ctx, p: Raw) -> Result<VersionDeleted, AppError> {
    let id = id_param(&p.0, "version")?;
    let deleted = ctx
        .services()
        .catalog
        .delete_dataset_version(&ctx.who()?, id, flag(&p.0, "force"))
        .await?;
    Ok(VersionDeleted { deleted })
}
