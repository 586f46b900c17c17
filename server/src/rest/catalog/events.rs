//! `events.*`: the events a running task reports, kept up to a bound per task; `add_batch` takes
//! ClearML's JSON-lines body (one event a line).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use app::domain::AppError;

use super::{Empty, Raw, id_param};
use crate::rest::registry::{Ctx, Endpoint, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "events.add",
        summary: "keep one event of a task (`task`, `type`, …)",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: add(Raw) -> Empty,
    },
    endpoint! {
        name: "events.add_batch",
        summary: "keep a batch of events (a JSON-lines body, one event a line); events past the bound per task are not kept and are counted in `errors`",
        access: Member, writes: true, impersonation: true,
        resource: ("task", "task", Modify),
        handler: add_batch(Raw) -> Added,
    },
    endpoint! {
        name: "events.get_task_events",
        summary: "the kept events of a `task` (`event_type` to narrow), oldest first",
        access: Member, writes: false, impersonation: true,
        resource: ("task", "task", Read),
        handler: get_task_events(Raw) -> TaskEvents,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Added {
    pub added: u32,
    pub errors: u32,
    pub errors_info: Map<String, Value>,
}

#[derive(Serialize, JsonSchema)]
pub struct TaskEvents {
    pub events: Vec<Value>,
    pub total: usize,
}

async fn add(ctx: Ctx, p: Raw) -> Result<Empty, AppError> {
    ctx.services()
        .catalog
        .add_events(&ctx.who()?, &[Value::Object(p.0)])
        .await?;
    Ok(Empty {})
}

async fn add_batch(ctx: Ctx, p: Raw) -> Result<Added, AppError> {
    let events = match p.0.get(crate::rest::BATCH) {
        Some(Value::Array(items)) => items.clone(),
        _ => {
            return Err(AppError::validation(
                "body",
                "expected events, one JSON object a line",
            ));
        }
    };
    let a = ctx
        .services()
        .catalog
        .add_events(&ctx.who()?, &events)
        .await?;
    Ok(Added {
        added: a.added,
        errors: a.errors,
        errors_info: a.errors_info,
    })
}

async fn get_task_events(ctx: Ctx, p: Raw) -> Result<TaskEvents, AppError> {
    let kind = p.0.get("event_type").and_then(Value::as_str);
    let events = ctx
        .services()
        .catalog
        .task_events(&ctx.who()?, id_param(&p.0, "task")?, kind)
        .await?;
    Ok(TaskEvents {
        total: events.len(),
        events,
    })
}
