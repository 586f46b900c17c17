//! `tasks.*`: tasks, their status machine and what a run reports.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

use app::domain::AppError;
use app::domain::catalog::{Found, TaskStatus};

use super::{Created, Empty, Raw, UpdatedFields, flag, id_param, ids, without};
use crate::rest::registry::{Ctx, Endpoint, endpoint};
use crate::services::catalog::StatusNote;

macro_rules! status_endpoint {
    ($name:literal, $summary:literal, $handler:ident) => {
        endpoint! {
            name: $name,
            summary: $summary,
            access: Member, writes: true, impersonation: true,
            resource: ("task", "task", Modify),
            handler: $handler(Raw) -> UpdatedFields,
        }
    };
}

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "tasks.get_all",
        summary: "tasks by ClearML's filters (`id`, `name` pattern, `project`, `status`, `type`, `user`, `parent`, `tags`, `system_tags`, `search_text`, `_any_`, `_all_`), with `order_by`, `page`, `page_size`, `only_fields`",
        access: Member, writes: false, impersonation: true,
        resource: ("task", "", Read),
        handler: get_all(Raw) -> Tasks,
    },
    endpoint! {
        name: "tasks.get_all_ex",
        summary: "tasks.get_all as the web apps call it",
        access: Member, writes: false, impersonation: true,
        resource: ("task", "", Read),
        handler: get_all(Raw) -> Tasks,
    },
    endpoint! {
        name: "tasks.get_by_id",
        summary: "one task (`task`)",
        access: Member, writes: false, impersonation: true,
        resource: ("task", "task", Read),
        handler: get_by_id(Raw) -> OneTask,
    },
    endpoint! {
        name: "tasks.create",
        summary: "a created task: `name`, `type`, `project`, `comment`, `tags`, `system_tags`, `parent`, `script`, `execution`, `hyperparams`, `configuration`, `models`, `container`, `runtime`, `output_dest`",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "project", Modify),
        handler: create(Raw) -> Created,
    },
    endpoint! {
        name: "tasks.edit",
        summary: "a created task's fields (as tasks.create); other statuses need `force`",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: edit(Raw) -> UpdatedFields,
    },
    endpoint! {
        name: "tasks.update",
        summary: "a task's `name`, `tags`, `system_tags`, `comment`, `project` or `output__error`, in any status",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: update(Raw) -> UpdatedFields,
    },
    endpoint! {
        name: "tasks.delete",
        summary: "a created task, or any with `force` (it leaves its queue; its events go)",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: delete(Raw) -> TaskDeleted,
    },
    endpoint! {
        name: "tasks.enqueue",
        summary: "queue a task (`queue` id or `queue_name`, a missing name creating the queue; else the default queue) from created, stopped or failed",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: enqueue(Raw) -> Enqueued,
    },
    endpoint! {
        name: "tasks.dequeue",
        summary: "take a queued task out of its queue, back to its status before",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: dequeue(Raw) -> Dequeued,
    },
    status_endpoint!(
        "tasks.started",
        "the task runs (in_progress; from created, queued, stopped or completed)",
        started
    ),
    status_endpoint!("tasks.stopped", "the task stopped", stopped),
    status_endpoint!("tasks.stop", "stop a queued or running task", stop),
    status_endpoint!("tasks.completed", "the task's run completed", completed),
    status_endpoint!("tasks.failed", "the task's run failed", failed),
    status_endpoint!("tasks.close", "close a stopped task", close),
    status_endpoint!(
        "tasks.reset",
        "back to created: out of its queue, its run's outputs cleared (published ones need `force`)",
        reset
    ),
    endpoint! {
        name: "tasks.ping",
        summary: "the running task is alive",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: ping(Raw) -> Empty,
    },
    endpoint! {
        name: "tasks.edit_hyper_params",
        summary: "add or replace hyper-parameters (`hyperparams` items `{section, name, value, type, description}`, `replace_hyperparams` none, section or all)",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: edit_hyper_params(Raw) -> Updated,
    },
    endpoint! {
        name: "tasks.delete_hyper_params",
        summary: "delete hyper-parameters (`hyperparams` items `{section, name}`; no name deletes the section)",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: delete_hyper_params(Raw) -> DeletedCount,
    },
    endpoint! {
        name: "tasks.get_hyper_params",
        summary: "the hyper-parameters of `tasks`",
        access: Member, writes: false, impersonation: true,
        resource: ("task", "tasks", Read),
        handler: get_hyper_params(Raw) -> HyperParams,
    },
    endpoint! {
        name: "tasks.edit_configuration",
        summary: "add or replace configuration items (`configuration` items `{name, value, type, description}`, `replace_configuration`)",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: edit_configuration(Raw) -> Updated,
    },
    endpoint! {
        name: "tasks.get_configurations",
        summary: "the configuration items of `tasks` (only `names` when given)",
        access: Member, writes: false, impersonation: true,
        resource: ("task", "tasks", Read),
        handler: get_configurations(Raw) -> Configurations,
    },
    endpoint! {
        name: "tasks.get_configuration_names",
        summary: "the configuration item names of `tasks`",
        access: Member, writes: false, impersonation: true,
        resource: ("task", "tasks", Read),
        handler: get_configuration_names(Raw) -> ConfigurationNames,
    },
    endpoint! {
        name: "tasks.add_or_update_artifacts",
        summary: "add or replace artifacts (`artifacts` items with `key`, `type`, `mode`, `uri`, …), kept by key and mode",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: add_or_update_artifacts(Raw) -> Updated,
    },
    endpoint! {
        name: "tasks.delete_artifacts",
        summary: "delete artifacts (`artifacts` items `{key, mode}`)",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: delete_artifacts(Raw) -> DeletedCount,
    },
    endpoint! {
        name: "tasks.add_or_update_model",
        summary: "a model the task reads or wrote (`model`, `name`, `type` input or output, `iteration`)",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: add_or_update_model(Raw) -> Updated,
    },
    endpoint! {
        name: "tasks.set_requirements",
        summary: "the packages the task needs (`requirements`)",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: set_requirements(Raw) -> UpdatedFields,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Tasks {
    #[schemars(with = "Vec<Value>")]
    pub tasks: Found,
}

#[derive(Serialize, JsonSchema)]
pub struct OneTask {
    pub task: Value,
}

#[derive(Serialize, JsonSchema)]
pub struct Updated {
    pub updated: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct DeletedCount {
    pub deleted: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct TaskDeleted {
    pub deleted: u32,
    pub updated_children: u32,
    pub updated_models: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct Enqueued {
    pub queued: u32,
    pub updated: u32,
    pub fields: Map<String, Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct Dequeued {
    pub dequeued: u32,
    pub updated: u32,
    pub fields: Map<String, Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct HyperParams {
    pub params: Vec<Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct Configurations {
    pub configurations: Vec<Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct ConfigurationNames {
    pub configurations: Vec<Value>,
}

fn note(raw: &Map<String, Value>) -> StatusNote {
    let text = |k: &str| {
        raw.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    StatusNote {
        force: flag(raw, "force"),
        status_reason: text("status_reason"),
        status_message: text("status_message"),
    }
}

fn items<'a>(raw: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], AppError> {
    match raw.get(key) {
        Some(Value::Array(a)) => Ok(a),
        None | Some(Value::Null) => Ok(&[]),
        Some(other) => Err(AppError::validation(
            key,
            format!("expected a list, got {other}"),
        )),
    }
}

async fn get_all(ctx: Ctx, p: Raw) -> Result<Tasks, AppError> {
    let tasks = ctx.services().catalog.tasks(&ctx.who()?, &p.0).await?;
    Ok(Tasks { tasks })
}

async fn get_by_id(ctx: Ctx, p: Raw) -> Result<OneTask, AppError> {
    let task = ctx
        .services()
        .catalog
        .task(&ctx.who()?, id_param(&p.0, "task")?)
        .await?;
    Ok(OneTask { task })
}

async fn create(ctx: Ctx, p: Raw) -> Result<Created, AppError> {
    let id = ctx
        .services()
        .catalog
        .create_task(&ctx.who()?, &p.0)
        .await?;
    Ok(Created { id })
}

async fn edit(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "task")?;
    let fields = ctx
        .services()
        .catalog
        .edit_task(
            &ctx.who()?,
            id,
            &without(&p.0, &["task", "force"]),
            flag(&p.0, "force"),
        )
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn update(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "task")?;
    let fields = ctx
        .services()
        .catalog
        .update_task(&ctx.who()?, id, &without(&p.0, &["task", "force"]))
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn delete(ctx: Ctx, p: Raw) -> Result<TaskDeleted, AppError> {
    let id = id_param(&p.0, "task")?;
    let deleted = ctx
        .services()
        .catalog
        .delete_task(&ctx.who()?, id, flag(&p.0, "force"))
        .await?;
    Ok(TaskDeleted {
        deleted,
        updated_children: 0,
        updated_models: 0,
    })
}

async fn enqueue(ctx: Ctx, p: Raw) -> Result<Enqueued, AppError> {
    let id = id_param(&p.0, "task")?;
    let text = |k: &str| p.0.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (_, fields) = ctx
        .services()
        .catalog
        .enqueue(
            &ctx.who()?,
            id,
            text("queue"),
            text("queue_name"),
            &note(&p.0),
        )
        .await?;
    Ok(Enqueued {
        queued: 1,
        updated: 1,
        fields,
    })
}

async fn dequeue(ctx: Ctx, p: Raw) -> Result<Dequeued, AppError> {
    let id = id_param(&p.0, "task")?;
    let fields = ctx
        .services()
        .catalog
        .dequeue(&ctx.who()?, id, &note(&p.0))
        .await?;
    Ok(Dequeued {
        dequeued: 1,
        updated: 1,
        fields,
    })
}

async fn started(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "task")?;
    let fields = ctx
        .services()
        .catalog
        .started(&ctx.who()?, id, &note(&p.0))
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn ended(ctx: Ctx, p: Raw, to: TaskStatus) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "task")?;
    let fields = ctx
        .services()
        .catalog
        .ended(&ctx.who()?, id, to, &note(&p.0))
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn stopped(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    ended(ctx, p, TaskStatus::Stopped).await
}

async fn completed(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    ended(ctx, p, TaskStatus::Completed).await
}

async fn failed(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    ended(ctx, p, TaskStatus::Failed).await
}

async fn close(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    ended(ctx, p, TaskStatus::Closed).await
}

async fn stop(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "task")?;
    let fields = ctx
        .services()
        .catalog
        .stop(&ctx.who()?, id, &note(&p.0))
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn reset(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "task")?;
    let fields = ctx
        .services()
        .catalog
        .reset(&ctx.who()?, id, flag(&p.0, "force"))
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn ping(ctx: Ctx, p: Raw) -> Result<Empty, AppError> {
    ctx.services()
        .catalog
        .ping(&ctx.who()?, id_param(&p.0, "task")?)
        .await?;
    Ok(Empty {})
}

async fn edit_hyper_params(ctx: Ctx, p: Raw) -> Result<Updated, AppError> {
    let id = id_param(&p.0, "task")?;
    let replace = match p
        .0
        .get("replace_hyperparams")
        .and_then(Value::as_str)
        .unwrap_or("none")
    {
        r @ ("none" | "section" | "all") => r,
        other => {
            return Err(AppError::validation(
                "replace_hyperparams",
                format!("`{other}` is not one of none, section, all"),
            ));
        }
    };
    let updated = ctx
        .services()
        .catalog
        .edit_hyper_params(
            &ctx.who()?,
            id,
            items(&p.0, "hyperparams")?,
            replace,
            flag(&p.0, "force"),
        )
        .await?;
    Ok(Updated { updated })
}

async fn delete_hyper_params(ctx: Ctx, p: Raw) -> Result<DeletedCount, AppError> {
    let id = id_param(&p.0, "task")?;
    let deleted = ctx
        .services()
        .catalog
        .delete_hyper_params(
            &ctx.who()?,
            id,
            items(&p.0, "hyperparams")?,
            flag(&p.0, "force"),
        )
        .await?;
    Ok(DeletedCount { deleted })
}

async fn get_hyper_params(ctx: Ctx, p: Raw) -> Result<HyperParams, AppError> {
    let who = ctx.who()?;
    let mut params = Vec::new();
    for id in ids(&p.0, "tasks") {
        let task = ctx.services().catalog.task(&who, &id).await?;
        let list: Vec<Value> = task["hyperparams"]
            .as_object()
            .into_iter()
            .flat_map(|sections| sections.values())
            .filter_map(Value::as_object)
            .flat_map(|section| section.values().cloned())
            .collect();
        params.push(json!({"task": id, "hyperparams": list}));
    }
    Ok(HyperParams { params })
}

async fn edit_configuration(ctx: Ctx, p: Raw) -> Result<Updated, AppError> {
    let id = id_param(&p.0, "task")?;
    let updated = ctx
        .services()
        .catalog
        .edit_configuration(
            &ctx.who()?,
            id,
            items(&p.0, "configuration")?,
            flag(&p.0, "replace_configuration"),
            flag(&p.0, "force"),
        )
        .await?;
    Ok(Updated { updated })
}

async fn get_configurations(ctx: Ctx, p: Raw) -> Result<Configurations, AppError> {
    let who = ctx.who()?;
    let names = ids(&p.0, "names");
    let mut configurations = Vec::new();
    for id in ids(&p.0, "tasks") {
        let task = ctx.services().catalog.task(&who, &id).await?;
        let list: Vec<Value> = task["configuration"]
            .as_object()
            .into_iter()
            .flat_map(|c| c.iter())
            .filter(|(name, _)| names.is_empty() || names.contains(name))
            .map(|(_, item)| item.clone())
            .collect();
        configurations.push(json!({"task": id, "configuration": list}));
    }
    Ok(Configurations { configurations })
}

async fn get_configuration_names(ctx: Ctx, p: Raw) -> Result<ConfigurationNames, AppError> {
    let who = ctx.who()?;
    let mut configurations = Vec::new();
    for id in ids(&p.0, "tasks") {
        let task = ctx.services().catalog.task(&who, &id).await?;
        let names: Vec<&String> = task["configuration"]
            .as_object()
            .into_iter()
            .flat_map(|c| c.keys())
            .collect();
        configurations.push(json!({"task": id, "names": names}));
    }
    Ok(ConfigurationNames { configurations })
}

async fn add_or_update_artifacts(ctx: Ctx, p: Raw) -> Result<Updated, AppError> {
    let id = id_param(&p.0, "task")?;
    let updated = ctx
        .services()
        .catalog
        .add_or_update_artifacts(
            &ctx.who()?,
            id,
            items(&p.0, "artifacts")?,
            flag(&p.0, "force"),
        )
        .await?;
    Ok(Updated { updated })
}

async fn delete_artifacts(ctx: Ctx, p: Raw) -> Result<DeletedCount, AppError> {
    let id = id_param(&p.0, "task")?;
    let deleted = ctx
        .services()
        .catalog
        .delete_artifacts(
            &ctx.who()?,
            id,
            items(&p.0, "artifacts")?,
            flag(&p.0, "force"),
        )
        .await?;
    Ok(DeletedCount { deleted })
}

async fn add_or_update_model(ctx: Ctx, p: Raw) -> Result<Updated, AppError> {
    let id = id_param(&p.0, "task")?;
    let model = id_param(&p.0, "model")?;
    let name = id_param(&p.0, "name")?;
    let input = match p.0.get("type").and_then(Value::as_str) {
        Some("input") => true,
        Some("output") => false,
        other => {
            return Err(AppError::validation(
                "type",
                format!(
                    "expected input or output, got {}",
                    other.unwrap_or("nothing")
                ),
            ));
        }
    };
    let iteration = p.0.get("iteration").and_then(Value::as_i64);
    let updated = ctx
        .services()
        .catalog
        .add_or_update_task_model(&ctx.who()?, id, model, name, input, iteration)
        .await?;
    Ok(Updated { updated })
}

async fn set_requirements(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "task")?;
    let req = p.0.get("requirements").cloned().unwrap_or(Value::Null);
    let updated = ctx
        .services()
        .catalog
        .set_requirements(&ctx.who()?, id, &req)
        .await?;
    let mut fields = Map::new();
    fields.insert("script.requirements".into(), req);
    Ok(UpdatedFields { updated, fields })
}
