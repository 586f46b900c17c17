//! Workers: the clearml-agent daemons of a workspace. A worker registers, reports its status (the
//! task it runs, its queues) and unregisters; one silent for longer than its timeout is gone.

use serde_json::{Value, json};

use app::domain::catalog::Kind;
use app::domain::{AppError, Code, Identity};

use super::{CatalogService, stamp};
use crate::store;

/// How long a worker stays listed without a report, unless it registers with its own timeout.
pub const WORKER_TIMEOUT_SECS: i64 = 600;

/// What a worker says about itself when it registers or reports.
#[derive(Debug, Clone, Default)]
pub struct WorkerReport {
    pub worker: String,
    pub timeout_secs: Option<i64>,
    pub queues: Vec<String>,
    pub task: Option<String>,
    pub tags: Vec<String>,
    pub ip: Option<String>,
}

impl CatalogService {
    async fn put_worker(
        &self,
        who: &Identity,
        r: &WorkerReport,
        register: bool,
    ) -> Result<(), AppError> {
        if r.worker.trim().is_empty() {
            return Err(AppError::refused(
                Code::InvalidWorkerId,
                "a worker needs an id",
            ));
        }
        let now = self.now();
        let mut tx = self.tx().await?;
        let earlier = store::catalog::worker(&mut tx, &who.workspace_id, &r.worker, now).await?;
        if !register && earlier.is_none() {
            return Err(AppError::refused(
                Code::WorkerNotRegistered,
                format!(
                    "worker {} is not registered (or its registration expired)",
                    r.worker
                ),
            ));
        }
        let mut queues = Vec::new();
        for q in &r.queues {
            if let Some(doc) =
                store::catalog::get(&mut tx, &who.workspace_id, Kind::Queue, q).await?
            {
                queues.push(json!({"id": q, "name": doc["name"]}));
            }
        }
        let task = match &r.task {
            Some(t) => store::catalog::get(&mut tx, &who.workspace_id, Kind::Task, t)
                .await?
                .map(|d| json!({"id": t, "name": d["name"]})),
            None => None,
        };
        let timeout = r
            .timeout_secs
            .filter(|t| *t > 0)
            .or_else(|| earlier.as_ref().and_then(|e| e["timeout"].as_i64()))
            .unwrap_or(WORKER_TIMEOUT_SECS);
        let register_time = earlier
            .as_ref()
            .map(|e| e["register_time"].clone())
            .unwrap_or_else(|| stamp(now));
        let doc = json!({
            "id": r.worker,
            "user": {"id": who.user_id, "name": who.user_name},
            "company": {"id": who.workspace_id, "name": who.workspace_name},
            "ip": r.ip,
            "register_time": register_time,
            "last_activity_time": stamp(now),
            "last_report_time": stamp(now),
            "timeout": timeout,
            "queues": if queues.is_empty() { earlier.as_ref().map(|e| e["queues"].clone()).unwrap_or(json!([])) } else { Value::Array(queues) },
            "task": task,
            "tags": r.tags,
        });
        store::catalog::put_worker(
            &mut tx,
            &who.workspace_id,
            &r.worker,
            &who.user_id,
            &doc,
            now,
            now + timeout * 1000,
        )
        .await?;
        tx.commit().await.map_err(crate::services::internal)?;
        if let (Some(task), false) = (&r.task, register) {
            // A report names the task the worker runs: it becomes the task's last worker.
            self.mark_worker(who, task, &r.worker).await?;
        }
        Ok(())
    }

    /// `workers.register`.
    pub async fn register_worker(&self, who: &Identity, r: &WorkerReport) -> Result<(), AppError> {
        self.put_worker(who, r, true).await
    }

    /// `workers.status_report`.
    pub async fn worker_report(&self, who: &Identity, r: &WorkerReport) -> Result<(), AppError> {
        self.put_worker(who, r, false).await
    }

    /// `workers.unregister`: refused for a worker that is not registered.
    pub async fn unregister_worker(&self, who: &Identity, worker: &str) -> Result<(), AppError> {
        let mut tx = self.tx().await?;
        let gone =
            store::catalog::remove_worker(&mut tx, &who.workspace_id, worker, self.now()).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        if gone {
            Ok(())
        } else {
            Err(AppError::refused(
                Code::WorkerNotRegistered,
                format!("worker {worker} is not registered"),
            ))
        }
    }

    /// `workers.get_all`: the workers that reported within their timeout (and, with
    /// `last_seen`, within that many seconds).
    pub async fn workers(
        &self,
        who: &Identity,
        last_seen: Option<i64>,
    ) -> Result<Vec<Value>, AppError> {
        let now = self.now();
        let mut conn = self.read().await?;
        let mut all = store::catalog::workers(&mut conn, &who.workspace_id, now).await?;
        if let Some(secs) = last_seen.filter(|s| *s > 0) {
            let since = app::domain::timefmt::iso_millis(now - secs * 1000);
            all.retain(|w| {
                w["last_activity_time"]
                    .as_str()
                    .is_some_and(|t| t >= since.as_str())
            });
        }
        Ok(all)
    }
}
