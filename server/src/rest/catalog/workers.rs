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
        name: "workers.get_runtime_properties",
        summary: "a registered `worker`'s runtime properties (`{key, value}`), those past their expiry left out",
        access: Member, writes: false, impersonation: true,
        handler: get_runtime_properties(Raw) -> RuntimeProperties,
    },
    endpoint! {
        name: "workers.set_runtime_properties",
        summary: "set a registered `worker`'s `runtime_properties` (`{key, value, expiry}` with expiry in seconds), each replacing the property of its key",
        access: Member, writes: true, impersonation: true,
        handler: set_runtime_properties(Raw) -> Empty,
    },
    endpoint! {
        name: "workers.cluster_report",
        summary: "a registered `worker` reports the resources it serves (`key`, `resource_groups`, `properties`, `partial`, `timeout`)",
        access: Member, writes: true, impersonation: true,
        handler: cluster_report(Raw) -> Empty,
    },
    endpoint! {
        name: "workers.cluster_unregister",
        summary: "drop the cluster reports of a cluster `key`",
        access: Member, writes: true, impersonation: true,
        handler: cluster_unregister(Raw) -> Empty,
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

#[derive(Serialize, JsonSchema)]
pub struct RuntimeProperties {
    pub runtime_properties: Vec<Value>,
}

async fn get_runtime_properties(ctx: Ctx, p: Raw) -> Result<RuntimeProperties, AppError> {
    let runtime_properties = ctx
        .services()
        .catalog
        .runtime_properties(&ctx.who()?, id_param(&p.0, "worker")?)
        .await?;
    Ok(RuntimeProperties { runtime_properties })
}

async fn set_runtime_properties(ctx: Ctx, p: Raw) -> Result<Empty, AppError> {
    let items = match p.0.get("runtime_properties") {
        Some(Value::Array(a)) => a.clone(),
        _ => {
            return Err(AppError::validation(
                "runtime_properties",
                "expected a list of {key, value, expiry}",
            ));
        }
    };
    ctx.services()
        .catalog
        .set_runtime_properties(&ctx.who()?, id_param(&p.0, "worker")?, &items)
        .await?;
    Ok(Empty {})
}

async fn cluster_report(ctx: Ctx, p: Raw) -> Result<Empty, AppError> {
    let worker = id_param(&p.0, "worker")?.to_string();
    id_param(&p.0, "key")?;
    let report = Value::Object(super::without(&p.0, &["worker"]));
    ctx.services()
        .catalog
        .cluster_report(&ctx.who()?, &worker, report)
        .await?;
    Ok(Empty {})
}

async fn cluster_unregister(ctx: Ctx, p: Raw) -> Result<Empty, AppError> {
    ctx.services()
        .catalog
        .cluster_unregister(&ctx.who()?, id_param(&p.0, "key")?)
        .await?;
    Ok(Empty {})
}
