//! `queues.*`: queues and the hand-out of their tasks to workers.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use app::domain::AppError;
use app::domain::timefmt::iso_millis;

use super::{Created, Raw, UpdatedFields, flag, id_param, without};
use crate::rest::registry::{Ctx, Endpoint, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "queues.get_all",
        summary: "queues with their `entries`, by ClearML's filters (`id`, `name` pattern, `tags`, `system_tags`), with `order_by`, `page`, `page_size`, `only_fields`",
        access: Member, writes: false, impersonation: true,
        resource: ("queue", "", Read),
        handler: get_all(Raw) -> Queues,
    },
    endpoint! {
        name: "queues.get_all_ex",
        summary: "queues.get_all as the web apps call it",
        access: Member, writes: false, impersonation: true,
        resource: ("queue", "", Read),
        handler: get_all(Raw) -> Queues,
    },
    endpoint! {
        name: "queues.get_by_id",
        summary: "one queue (`queue`) with its entries",
        access: Member, writes: false, impersonation: true,
        resource: ("queue", "queue", Read),
        handler: get_by_id(Raw) -> OneQueue,
    },
    endpoint! {
        name: "queues.get_default",
        summary: "the queue tagged `default` (`id`, `name`)",
        access: Member, writes: false, impersonation: true,
        resource: ("queue", "", Read),
        handler: get_default(Raw) -> DefaultQueue,
    },
    endpoint! {
        name: "queues.create",
        summary: "a queue with a unique `name`, `tags`, `system_tags`",
        access: Member, writes: true, impersonation: true,
        resource: ("queue", "", Modify),
        handler: create(Raw) -> Created,
    },
    endpoint! {
        name: "queues.update",
        summary: "a queue's `name`, `tags`, `system_tags`, `metadata`",
        access: Member, writes: true, impersonation: true,
        resource: ("queue", "queue", Modify),
        handler: update(Raw) -> UpdatedFields,
    },
    endpoint! {
        name: "queues.delete",
        summary: "a queue; refused while tasks wait in it unless `force` (they go back to created)",
        access: Member, writes: true, impersonation: true,
        resource: ("queue", "queue", Modify),
        handler: delete(Raw) -> Deleted,
    },
    endpoint! {
        name: "queues.add_task",
        summary: "put a `task` at the back of the `queue`",
        access: Member, writes: true, impersonation: true,
        resource: ("queue", "queue", Modify),
        handler: add_task(Raw) -> Added,
    },
    endpoint! {
        name: "queues.remove_task",
        summary: "take a `task` out of the `queue`",
        access: Member, writes: true, impersonation: true,
        resource: ("queue", "queue", Modify),
        handler: remove_task(Raw) -> Removed,
    },
    endpoint! {
        name: "queues.move_task_to_front",
        summary: "move a queued `task` to the front of its `queue`",
        access: Member, writes: true, impersonation: true,
        resource: ("queue", "queue", Modify),
        handler: to_front(Raw) -> Position,
    },
    endpoint! {
        name: "queues.move_task_to_back",
        summary: "move a queued `task` to the back of its `queue`",
        access: Member, writes: true, impersonation: true,
        resource: ("queue", "queue", Modify),
        handler: to_back(Raw) -> Position,
    },
    endpoint! {
        name: "queues.get_next_task",
        summary: "take the `queue`'s next task (`entry {task, added}`; with `get_task_info`, `task_info {user, company}`); each task goes to one taker",
        access: Member, writes: true, impersonation: true,
        resource: ("queue", "queue", Modify),
        handler: get_next_task(Raw) -> Value,
    },
    endpoint! {
        name: "queues.peek_task",
        summary: "the `queue`'s next task, left in the queue",
        access: Member, writes: false, impersonation: true,
        resource: ("queue", "queue", Read),
        handler: peek_task(Raw) -> Peeked,
    },
    endpoint! {
        name: "queues.get_num_entries",
        summary: "how many tasks wait in the `queue`",
        access: Member, writes: false, impersonation: true,
        resource: ("queue", "queue", Read),
        handler: get_num_entries(Raw) -> NumEntries,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Queues {
    pub queues: Vec<Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct OneQueue {
    pub queue: Value,
}

#[derive(Serialize, JsonSchema)]
pub struct DefaultQueue {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Deleted {
    pub deleted: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct Added {
    pub added: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct Removed {
    pub removed: u32,
}

#[derive(Serialize, JsonSchema)]
pub struct Position {
    pub position: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct Peeked {
    pub task: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct NumEntries {
    pub num: usize,
}

async fn get_all(ctx: Ctx, p: Raw) -> Result<Queues, AppError> {
    let queues = ctx.services().catalog.queues(&ctx.who()?, &p.0).await?;
    Ok(Queues { queues })
}

async fn get_by_id(ctx: Ctx, p: Raw) -> Result<OneQueue, AppError> {
    let queue = ctx
        .services()
        .catalog
        .queue(&ctx.who()?, id_param(&p.0, "queue")?)
        .await?;
    Ok(OneQueue { queue })
}

async fn get_default(ctx: Ctx, _: Raw) -> Result<DefaultQueue, AppError> {
    let q = ctx.services().catalog.default_queue(&ctx.who()?).await?;
    Ok(DefaultQueue {
        id: q["id"].as_str().unwrap_or_default().into(),
        name: q["name"].as_str().unwrap_or_default().into(),
    })
}

async fn create(ctx: Ctx, p: Raw) -> Result<Created, AppError> {
    let id = ctx
        .services()
        .catalog
        .create_queue(&ctx.who()?, &p.0)
        .await?;
    Ok(Created { id })
}

async fn update(ctx: Ctx, p: Raw) -> Result<UpdatedFields, AppError> {
    let id = id_param(&p.0, "queue")?;
    let fields = ctx
        .services()
        .catalog
        .update_queue(&ctx.who()?, id, &without(&p.0, &["queue", "force"]))
        .await?;
    Ok(UpdatedFields { updated: 1, fields })
}

async fn delete(ctx: Ctx, p: Raw) -> Result<Deleted, AppError> {
    let id = id_param(&p.0, "queue")?;
    let deleted = ctx
        .services()
        .catalog
        .delete_queue(&ctx.who()?, id, flag(&p.0, "force"))
        .await?;
    Ok(Deleted { deleted })
}

async fn add_task(ctx: Ctx, p: Raw) -> Result<Added, AppError> {
    let added = ctx
        .services()
        .catalog
        .add_task_to_queue(
            &ctx.who()?,
            id_param(&p.0, "queue")?,
            id_param(&p.0, "task")?,
        )
        .await?;
    Ok(Added { added })
}

async fn remove_task(ctx: Ctx, p: Raw) -> Result<Removed, AppError> {
    let removed = ctx
        .services()
        .catalog
        .remove_task_from_queue(
            &ctx.who()?,
            id_param(&p.0, "queue")?,
            id_param(&p.0, "task")?,
        )
        .await?;
    Ok(Removed { removed })
}

async fn moved(ctx: Ctx, p: Raw, front: bool) -> Result<Position, AppError> {
    let position = ctx
        .services()
        .catalog
        .move_in_queue(
            &ctx.who()?,
            id_param(&p.0, "queue")?,
            id_param(&p.0, "task")?,
            front,
        )
        .await?;
    Ok(Position { position })
}

async fn to_front(ctx: Ctx, p: Raw) -> Result<Position, AppError> {
    moved(ctx, p, true).await
}

async fn to_back(ctx: Ctx, p: Raw) -> Result<Position, AppError> {
    moved(ctx, p, false).await
}

/// An empty queue answers `{}`, as ClearML does.
async fn get_next_task(ctx: Ctx, p: Raw) -> Result<Value, AppError> {
    let who = ctx.who()?;
    let next = ctx
        .services()
        .catalog
        .next_task(&who, id_param(&p.0, "queue")?)
        .await?;
    let Some(next) = next else {
        return Ok(json!({}));
    };
    let mut out = json!({"entry": {"task": next.task, "added": iso_millis(next.added_ms)}});
    if flag(&p.0, "get_task_info") {
        out["task_info"] = json!({"user": next.user, "company": who.workspace_id});
    }
    Ok(out)
}

async fn peek_task(ctx: Ctx, p: Raw) -> Result<Peeked, AppError> {
    let task = ctx
        .services()
        .catalog
        .peek_task(&ctx.who()?, id_param(&p.0, "queue")?)
        .await?;
    Ok(Peeked { task })
}

async fn get_num_entries(ctx: Ctx, p: Raw) -> Result<NumEntries, AppError> {
    let num = ctx
        .services()
        .catalog
        .queue_length(&ctx.who()?, id_param(&p.0, "queue")?)
        .await?;
    Ok(NumEntries { num })
}
