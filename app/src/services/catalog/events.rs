//! The events a running task reports (scalars, plots, console lines, debug images): kept, up to a
//! bound per task. Events past the bound are not kept, and the answer says so (ClearML's
//! `events_not_added`), never a silent "ok".

use serde_json::{Value, json};

use app::domain::catalog::Kind;
use app::domain::{AppError, Code, Identity};

use super::CatalogService;
use crate::crypto::new_id;
use crate::store;

/// The most events one task keeps.
pub const MAX_EVENTS_PER_TASK: i64 = 10_000;

/// The outcome of adding a batch: how many were kept, and why each of the others was not.
#[derive(Debug, Default, serde::Serialize)]
pub struct Added {
    pub added: u32,
    pub errors: u32,
    pub errors_info: serde_json::Map<String, Value>,
}

impl CatalogService {
    /// `events.add` / `events.add_batch`: each event names its task (`task`) and `type`. An event of
    /// a task that does not exist, without a type, or past the bound is counted as an error with
    /// its reason; when none was kept, the call is refused.
    pub async fn add_events(&self, who: &Identity, events: &[Value]) -> Result<Added, AppError> {
        let mut out = Added::default();
        let mut tx = self.tx().await?;
        let mut counts: std::collections::HashMap<String, Option<i64>> = Default::default();
        let reason = |out: &mut Added, why: String| {
            out.errors += 1;
            let n = out
                .errors_info
                .get(&why)
                .and_then(Value::as_u64)
                .unwrap_or(0);
            out.errors_info.insert(why, json!(n + 1));
        };
        for e in events {
            let (Some(task), Some(kind)) = (
                e.get("task").and_then(Value::as_str),
                e.get("type").and_then(Value::as_str),
            ) else {
                reason(&mut out, "an event needs a task and a type".into());
                continue;
            };
            if !counts.contains_key(task) {
                let exists = store::catalog::get(&mut tx, &who.workspace_id, Kind::Task, task)
                    .await?
                    .is_some();
                let n = if exists {
                    Some(store::catalog::event_count(&mut tx, task).await?)
                } else {
                    None
                };
                counts.insert(task.to_string(), n);
            }
            let Some(Some(n)) = counts.get_mut(task) else {
                reason(&mut out, format!("invalid task id: {task}"));
                continue;
            };
            if *n >= MAX_EVENTS_PER_TASK {
                reason(
                    &mut out,
                    format!(
                        "task {task} holds the most events kept ({MAX_EVENTS_PER_TASK}); later events are not kept"
                    ),
                );
                continue;
            }
            let ts = e
                .get("timestamp")
                .and_then(Value::as_f64)
                .map(|t| t as i64)
                .unwrap_or_else(|| self.now());
            store::catalog::add_event(&mut tx, &who.workspace_id, task, &new_id(), kind, ts, e)
                .await?;
            *n += 1;
            out.added += 1;
        }
        tx.commit().await.map_err(crate::services::internal)?;
        if out.added == 0 && out.errors > 0 {
            let why: Vec<&String> = out.errors_info.keys().collect();
            return Err(AppError::refused(
                Code::EventsNotAdded,
                format!(
                    "events not added: {}",
                    why.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ));
        }
        Ok(out)
    }

    /// A task's kept events of a type (all when `None`), oldest first.
    pub async fn task_events(
        &self,
        who: &Identity,
        task: &str,
        kind: Option<&str>,
    ) -> Result<Vec<Value>, AppError> {
        let mut conn = self.read().await?;
        Self::load(&mut conn, who, Kind::Task, task).await?;
        Ok(store::catalog::events(&mut conn, task, kind).await?)
    }
}
