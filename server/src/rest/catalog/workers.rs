//! `workers.*`: what clearml-agent sends while it runs.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use app::domain::AppError;

use super::{Empty, Raw, id_param, ids};
use crate::rest::registry::{Ctx, Endpoint, endpoint};
use crate::services::catalog::WorkerReport;

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "workers.register",
        summary: "a worker starts (`worker`, `timeout` seconds, `queues`, `tags`)",
        access: Member, writes: true, impersonation: true,
        handler: register(Raw) -> Empty,
    },
    endpoint! {
        name: "workers.unregister",
        summary: "a worker stops (`worker`)",
        access: Member, writes: true, impersonation: true,
        handler: unregister(Raw) -> Empty,
    },
    endpoint! {
        name: "workers.status_report",
        summary: "a registered worker reports (`worker`, `task`, `queue`, `queues`, `machine_stats`)",
        access: Member, writes: true, impersonation: true,
        handler: status_report(Raw) -> Empty,
    },
    endpoint! {
        name: "workers.get_all",
        summary: "the workers that reported within their timeout (`last_seen` seconds to narrow)",
        access: Member, writes: false, impersonation: true,
        handler: get_all(Raw) -> Workers,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Workers {
    pub workers: Vec<Value>,
}

fn report(p: &Raw) -> Result<WorkerReport, AppError> {
    let mut queues = ids(&p.0, "queues");
    if let Some(q) = p.0.get("queue").and_then(Value::as_str)
        && !queues.iter().any(|x| x == q)
    {
        queues.push(q.to_string());
    }
    Ok(WorkerReport {
        worker: id_param(&p.0, "worker")?.to_string(),
        timeout_secs: p.0.get("timeout").and_then(Value::as_i64),
        queues,
        task: p
            .0
            .get("task")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(String::from),
        tags: ids(&p.0, "tags"),
        ip: None,
    })
}

async fn register(ctx: Ctx, p: Raw) -> Result<Empty, AppError> {
    ctx.services()
        .catalog
        .register_worker(&ctx.who()?, &report(&p)?)
        .await?;
    Ok(Empty {})
}

async fn unregister(ctx: Ctx, p: Raw) -> Result<Empty, AppError> {
    ctx.services()
        .catalog
        .unregister_worker(&ctx.who()?, id_param(&p.0, "worker")?)
        .await?;
    Ok(Empty {})
}

async fn status_report(ctx: Ctx, p: Raw) -> Result<Empty, AppError> {
    ctx.services()
        .catalog
        .worker_report(&ctx.who()?, &report(&p)?)
        .await?;
    Ok(Empty {})
}

async fn get_all(ctx: Ctx, p: Raw) -> Result<Workers, AppError> {
    let last_seen = p.0.get("last_seen").and_then(Value::as_i64);
    let workers = ctx
        .services()
        .catalog
        .workers(&ctx.who()?, last_seen)
        .await?;
    Ok(Workers { workers })
}
