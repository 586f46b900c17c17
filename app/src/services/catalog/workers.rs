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

    /// Changes a registered worker's document (refused for one that is not registered).
    async fn change_worker(
        &self,
        who: &Identity,
        worker: &str,
        change: impl FnOnce(&mut Value, i64),
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.tx().await?;
        let Some(mut doc) = store::catalog::worker(&mut tx, &who.workspace_id, worker, now).await?
        else {
            return Err(AppError::refused(
                Code::WorkerNotRegistered,
                format!("worker {worker} is not registered"),
            ));
        };
        change(&mut doc, now);
        store::catalog::update_worker(&mut tx, &who.workspace_id, worker, &doc, now).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(())
    }

    /// `workers.get_runtime_properties`: what the worker (or an administrator) set about it, such as
    /// the GPUs it may use; properties past their expiry are left out.
    pub async fn runtime_properties(
        &self,
        who: &Identity,
        worker: &str,
    ) -> Result<Vec<Value>, AppError> {
        let now = self.now();
        let mut conn = self.read().await?;
        let doc = store::catalog::worker(&mut conn, &who.workspace_id, worker, now)
            .await?
            .ok_or_else(|| {
                AppError::refused(
                    Code::WorkerNotRegistered,
                    format!("worker {worker} is not registered"),
                )
            })?;
        let live = |p: &&Value| p["expires_ms"].as_i64().is_none_or(|at| at > now);
        Ok(doc["runtime_properties"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(live)
            .map(|p| json!({"key": p["key"], "value": p["value"]}))
            .collect())
    }

    /// `workers.set_runtime_properties`: `{key, value, expiry}` items (expiry in seconds), each
    /// replacing the property of that key.
    pub async fn set_runtime_properties(
        &self,
        who: &Identity,
        worker: &str,
        items: &[Value],
    ) -> Result<(), AppError> {
        let mut set = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = item["key"]
                .as_str()
                .filter(|k| !k.is_empty())
                .ok_or_else(|| {
                    AppError::validation(
                        format!("runtime_properties[{i}]"),
                        "a property needs a key",
                    )
                })?;
            set.push((
                key.to_string(),
                item["value"].clone(),
                item["expiry"].as_i64(),
            ));
        }
        self.change_worker(who, worker, |doc, now| {
            let mut props: Vec<Value> = doc["runtime_properties"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for (key, value, expiry) in set {
                props.retain(|p| p["key"].as_str() != Some(&key));
                let mut p = json!({"key": key, "value": value});
                if let Some(secs) = expiry.filter(|s| *s > 0) {
                    p["expires_ms"] = json!(now + secs * 1000);
                }
                props.push(p);
            }
            doc["runtime_properties"] = Value::Array(props);
        })
        .await
    }

    /// `workers.cluster_report`: what a worker reports of the resources it serves (its cluster key,
    /// resource groups and limits), kept with the worker for the resource configuration.
    pub async fn cluster_report(
        &self,
        who: &Identity,
        worker: &str,
        report: Value,
    ) -> Result<(), AppError> {
        self.change_worker(who, worker, |doc, now| {
            let mut report = report;
            report["received"] = stamp(now);
            doc["cluster_report"] = report;
        })
        .await
    }

    /// `workers.cluster_unregister`: the cluster key's reports are dropped.
    pub async fn cluster_unregister(&self, who: &Identity, key: &str) -> Result<u32, AppError> {
        let now = self.now();
        let mut tx = self.tx().await?;
        let mut n = 0;
        for mut w in
            store::catalog::workers_of_cluster(&mut tx, &who.workspace_id, now, key).await?
        {
            let id = w["id"].as_str().unwrap_or_default().to_string();
            w.as_object_mut().map(|m| m.remove("cluster_report"));
            store::catalog::update_worker(&mut tx, &who.workspace_id, &id, &w, now).await?;
            n += 1;
        }
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(n)
    }
}
