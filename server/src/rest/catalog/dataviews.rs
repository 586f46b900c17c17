//! `dataviews.*`: dataviews (ClearML's Enterprise service): which dataset versions, filters and
//! sampling a training run reads.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

use app::domain::AppError;
use app::domain::catalog::Found;

use super::{Created, Raw, UpdatedFields, flag, id_param, ids, without};
use crate::rest::registry::{Ctx, Endpoint, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "dataviews.get_all",
        summary: "dataviews by ClearML's filters (`id`, `name` pattern, `project`, `tags`, `system_tags`; archived ones only when `system_tags` asks), with `order_by`, `page`, `page_size`, `only_fields`",
        access: Member, writes: false, impersonation: true,
        resource: ("dataview", "", Read),
        handler: get_all(Raw) -> Dataviews,
    },
    endpoint! {
        name: "dataviews.get_by_id",
        summary: "one dataview (`dataview`)",
        access: Member, writes: false, impersonation: true,
        resource: ("dataview", "dataview", Read),
        handler: get_by_id(Raw) -> OneDataview,
    },
    endpoint! {
        name: "dataviews.create",
        summary: "a draft dataview: `name`, `description`, `project`, `versions` (`{dataset, version}`), `filters`, `iteration`, `augmentation`, `mapping`, `labels_enumeration`, `tags`, `system_tags`",
        access: Member, writes: true, impersonation: true,
        resource: ("dataview", "project", Modify),
        handler: create(Raw) -> Created,
    },
    endpoint! {
        name: "dataviews.update",
        summary: "a draft dataview's fields (as dataviews.create; a published one with `force`)",
        access: Member, writes: true, impersonation: true,
        resource: ("dataview", "dataview", Modify),
        handler: update(Raw) -> UpdatedFields,
    },
    endpoint! {
        name: "dataviews.delete",
        summary: "a dataview (a published one with `force`)",
        access: Member, writes: true, impersonation: true,
        resource: ("dataview", "dataview", Modify),
        handler: delete(Raw) -> Deleted,
    },
    endpoint! {
        name: "dataviews.publish",
        summary: "publish a dataview (`dataview`)",
        access: Member, writes: true, impersonation: true,
        resource: ("dataview", "dataview", Modify),
        handler: publish(Raw) -> Many,
    },
    endpoint! {
        name: "dataviews.archive_many",
        summary: "archive dataviews (`ids`): they leave the default listing",
        access: Member, writes: true, impersonation: true,
        resource: ("dataview", "ids", Modify),
        handler: archive_many(Raw) -> Many,
    },
    endpoint! {
        name: "dataviews.unarchive_many",
        summary: "bring archived dataviews back (`ids`)",
        access: Member, writes: true, impersonation: true,
        resource: ("dataview", "ids", Modify),
        handler: unarchive_many(Raw) -> Many,
    },
    endpoint! {
        name: "dataviews.move",
        summary: "move dataviews (`ids`) to a `project` id or a `project_name` (made when missing)",
        access: Member, writes: true, impersonation: true,
        resource: ("dataview", "ids", Modify),
        handler: move_to(Raw) -> Moved,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Dataviews {
    #[schemars(with = "Vec<Value>")]
    pub dataviews: Found,
}

#[derive(Serialize, JsonSchema)]
pub struct OneDataview {
    pub dataview: Value,
}

#[derive(Serialize, JsonSchema)]
pub struct Deleted {
    pub deleted: u32,
}

/// The answer of a call on many dataviews: those it changed and, per id, why another failed.
#[derive(Serialize, JsonSchema)]
pub struct Many {
    pub succeeded: Vec<Value>,
    pub failed: Vec<Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct Moved {
    pub project_id: String,
    pub moved: Vec<String>,
}

fn many((done, failed): (Vec<String>, Vec<(String, AppError)>)) -> Many {
    Many {
        succeeded: done
            .into_iter()
            .map(|id| json!({"id": id, "updated": 1}))
            .collect(),
        failed: failed
            .into_iter()
            .map(|(id, e)| {
                let (code, subcode) = match &e {
                    AppError::Refused { code, .. } => code.codes(),
                    other => (other.http_status(), 0),
                };
                json!({"id": id, "error": {"codes": [code, subcode], "msg": e.user_message()}})
            })
            .collect(),
    }
}

async fn get_all(ctx: Ctx, p: Raw) -> Result<Dataviews, AppError> {
    let dataviews = ctx.services().catalog.dataviews(&ctx.who()?, &p.0).await?;
    Ok(Dataviews { dataviews })
}

async fn get_by_id(ctx: Ctx, p: Raw) -> Result<OneDataview, AppError> {
    let dataview = ctx
        .services()
        .catalog
        .dataview(&ctx.who()?, id_param(&p.0, "dataview")?)
        .await?;
    Ok(OneDataview { dataview })
}

async fn create(ctx: Ctx, p: Raw) -> Result<Created, AppError> {
    let id = ctx
        .services()
        .catalog
        .create_dataview(&ctx.who()?, &p.0)
        .await?;
    Ok(Created { id })
}

async fn update(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "dataview")?;
    let fields = ctx
        .services()
        .catalog
        .update_dataview(
            &ctx.who()?,
            id,
            &without(&p.0, &["dataview", "force"]),
            flag(&p.0, "force"),
        )
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn delete(ctx: Ctx, p: Raw) -> Result<Deleted, AppError> {
    let id = id_param(&p.0, "dataview")?.to_string();
    let (deleted, failed) = ctx
        .services()
        .catalog
        .delete_dataviews(&ctx.who()?, &[id], flag(&p.0, "force"))
        .await?;
    if let Some((_, e)) = failed.into_iter().next() {
        return Err(e);
    }
    Ok(Deleted { deleted })
}

async fn publish(ctx: Ctx, p: Raw) -> Result<Many, AppError> {
    let id = id_param(&p.0, "dataview")?.to_string();
    Ok(many(
        ctx.services()
            .catalog
            .publish_dataviews(&ctx.who()?, &[id])
            .await?,
    ))
}

fn ids_param(raw: &Map<String, Value>) -> Result<Vec<String>, AppError> {
    let list = ids(raw, "ids");
    if list.is_empty() {
        return Err(AppError::validation("ids", "`ids` is required"));
    }
    Ok(list)
}

async fn archive_many(ctx: Ctx, p: Raw) -> Result<Many, AppError> {
    Ok(many(
        ctx.services()
            .catalog
            .archive_dataviews(&ctx.who()?, &ids_param(&p.0)?, true)
            .await?,
    ))
}

async fn unarchive_many(ctx: Ctx, p: Raw) -> Result<Many, AppError> {
    Ok(many(
        ctx.services()
            .catalog
            .archive_dataviews(&ctx.who()?, &ids_param(&p.0)?, false)
            .await?,
    ))
}

async fn move_to(ctx: Ctx, p: Raw) -> Result<Moved, AppError> {
    let text = |k: &str| p.0.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (project_id, moved) = ctx
        .services()
        .catalog
        .move_dataviews(
            &ctx.who()?,
            &ids_param(&p.0)?,
            text("project"),
            text("project_name"),
        )
        .await?;
    Ok(Moved { project_id, moved })
}
