//! Queues: named, ordered lists of queued tasks. `get_next_task` hands each task to exactly one
//! taker, even when several workers ask at once; a queue holding tasks is deleted only with `force`.

use serde_json::{Map, Value, json};

use app::domain::access_rules::Level;
use app::domain::audit::AuditObject;
use app::domain::catalog::{self as rules, DEFAULT_QUEUE, Kind, TaskStatus};
use app::domain::{AppError, Code, Identity};

use super::{
    CatalogService, FieldType, apply_fields, has_tag, new_name, stamp, text_list, unique_name,
};
use crate::crypto::new_id;
use crate::services::{Object, resources};
use crate::store::{self, Conn};

const SETTABLE: &[(&str, FieldType)] = &[
    ("name", FieldType::Text),
    ("tags", FieldType::TextList),
    ("system_tags", FieldType::TextList),
    ("metadata", FieldType::Any),
    ("display_name", FieldType::Text),
];

/// A task handed out by `queues.get_next_task`, with who owns it.
#[derive(Debug, Clone)]
pub struct NextTask {
    pub task: String,
    pub added_ms: i64,
    pub user: String,
}

impl CatalogService {
    /// A queue's document with its entries as ClearML lists them.
    async fn with_entries(conn: &mut Conn, mut doc: Value) -> Result<Value, AppError> {
        let id = doc["id"].as_str().unwrap_or_default().to_string();
        let entries: Vec<Value> = store::catalog::entries(conn, &id)
            .await?
            .into_iter()
            .map(|e| json!({"task": e.task_id, "added": stamp(e.added_ms)}))
            .collect();
        doc["entries"] = Value::Array(entries);
        Ok(doc)
    }

    pub async fn queues(
        &self,
        who: &Identity,
        params: &Map<String, Value>,
    ) -> Result<Vec<Value>, AppError> {
        let found = self.list(who, Kind::Queue, params, None).await?;
        let wants_entries = match params.get("only_fields") {
            Some(Value::Array(f)) => f
                .iter()
                .any(|f| f.as_str().is_some_and(|f| f.starts_with("entries"))),
            _ => true,
        };
        if !wants_entries {
            return Ok(found);
        }
        let mut conn = self.read().await?;
        let mut out = Vec::with_capacity(found.len());
        for doc in found {
            out.push(Self::with_entries(&mut conn, doc).await?);
        }
        Ok(out)
    }

    pub async fn queue(&self, who: &Identity, id: &str) -> Result<Value, AppError> {
        let mut conn = self.read().await?;
        let doc = Self::load(&mut conn, who, Kind::Queue, id).await?;
        Self::with_entries(&mut conn, doc).await
    }

    pub async fn queue_by_name(
        &self,
        who: &Identity,
        name: &str,
    ) -> Result<Option<String>, AppError> {
        let mut conn = self.read().await?;
        Ok(
            store::catalog::by_name(&mut conn, &who.workspace_id, Kind::Queue, name.trim())
                .await?
                .and_then(|d| d["id"].as_str().map(String::from)),
        )
    }

    /// The queue tagged `default`: ClearML's refusals when none or several are.
    pub async fn default_queue(&self, who: &Identity) -> Result<Value, AppError> {
        let mut conn = self.read().await?;
        let all =
            store::catalog::list(&mut conn, &who.workspace_id, Kind::Queue, None, None).await?;
        let viewer = self.viewer(&mut conn, who).await?;
        let mut defaults: Vec<Value> = all
            .into_iter()
            .filter(|q| has_tag(q, "system_tags", DEFAULT_QUEUE))
            .filter(|q| viewer.level_of(Kind::Queue, q) >= Level::Read)
            .collect();
        match defaults.len() {
            0 => Err(AppError::refused(
                Code::NoDefaultQueue,
                "no queue is tagged as the default queue of this workspace",
            )),
            1 => Ok(defaults.remove(0)),
            _ => Err(AppError::refused(
                Code::MultipleDefaultQueues,
                "more than one queue is tagged as the default queue of this workspace",
            )),
        }
    }

    /// `queues.create`: a unique name.
    pub async fn create_queue(
        &self,
        who: &Identity,
        fields: &Map<String, Value>,
    ) -> Result<String, AppError> {
        let name = new_name(Kind::Queue, fields)?;
        let mut tx = self.core.begin(who).await?;
        self.require_queue_admin(&mut tx, who, "create queues")
            .await?;
        let now = tx.now();
        let mut doc = json!({
            "id": new_id(),
            "name": name,
            "user": who.user_id,
            "company": who.workspace_id,
            "created": stamp(now),
            "last_update": stamp(now),
            "tags": [],
            "system_tags": [],
            "metadata": {},
        });
        apply_fields(&mut doc, fields, SETTABLE, &["name"])?;
        for f in ["tags", "system_tags"] {
            doc[f] = text_list(f, doc.get(f))?;
        }
        if store::catalog::by_name(&mut tx, &who.workspace_id, Kind::Queue, &name)
            .await?
            .is_some()
        {
            return Err(AppError::refused(
                Code::ExpectedUniqueData,
                format!("a queue named `{name}` exists already"),
            ));
        }
        store::catalog::insert(&mut tx, &who.workspace_id, Kind::Queue, &doc, now)
            .await
            .map_err(|e| unique_name(e, "queue"))?;
        let id = doc["id"].as_str().unwrap_or_default().to_string();
        tx.audit(
            "queue.create",
            Object {
                kind: AuditObject::Queue,
                id: &id,
                name: &name,
            },
            &json!({"after": {"name": name}}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// `queues.update`: name, tags, metadata.
    pub async fn update_queue(
        &self,
        who: &Identity,
        id: &str,
        fields: &Map<String, Value>,
    ) -> Result<Map<String, Value>, AppError> {
        let mut tx = self.core.begin(who).await?;
        let mut doc = Self::load_for_update(&mut tx, who, Kind::Queue, id).await?;
        let before = doc["name"].clone();
        let changed = apply_fields(&mut doc, fields, SETTABLE, &["queue"])?;
        if changed.iter().any(|f| f == "name") && doc["name"] != before {
            self.require_queue_admin(&mut tx, who, "rename queues")
                .await?;
            resources::check_queue_change(&mut tx, id).await?;
        }
        if changed.iter().any(|f| f == "name") {
            let name = rules::object_name(
                Kind::Queue,
                "name",
                doc["name"].as_str().unwrap_or_default(),
            )?;
            doc["name"] = json!(name);
        }
        let now = tx.now();
        doc["last_update"] = stamp(now);
        store::catalog::replace(&mut tx, &who.workspace_id, Kind::Queue, &doc, None, now)
            .await
            .map_err(|e| unique_name(e, "queue"))?;
        let out = Self::picked(&doc, changed);
        let name = doc["name"].as_str().unwrap_or_default();
        tx.audit(
            "queue.update",
            Object {
                kind: AuditObject::Queue,
                id,
                name,
            },
            &json!({"before": {"name": before}, "after": out}),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// `queues.delete`: refused while tasks wait in it, unless `force` (they go back to created).
    pub async fn delete_queue(
        &self,
        who: &Identity,
        id: &str,
        force: bool,
    ) -> Result<u32, AppError> {
        let mut tx = self.core.begin(who).await?;
        let doc = Self::load(&mut tx, who, Kind::Queue, id).await?;
        self.require_queue_admin(&mut tx, who, "delete queues")
            .await?;
        resources::check_queue_change(&mut tx, id).await?;
        let entries = store::catalog::entries(&mut tx, id).await?;
        if !entries.is_empty() && !force {
            return Err(AppError::refused(
                Code::QueueNotEmpty,
                format!(
                    "queue {id} holds {} tasks; delete it with force",
                    entries.len()
                ),
            ));
        }
        let now = tx.now();
        for e in &entries {
            store::catalog::lock(&mut tx, &who.workspace_id, Kind::Task, &e.task_id).await?;
            let task =
                store::catalog::get(&mut tx, &who.workspace_id, Kind::Task, &e.task_id).await?;
            // A task that left the queued status meanwhile (a worker took it) keeps its status.
            if let Some(mut t) = task.filter(|t| t["status"].as_str() == Some("queued")) {
                t["status"] = json!("created");
                t["status_changed"] = stamp(now);
                t["status_message"] = json!("queue deleted");
                t["execution"]["queue"] = Value::Null;
                store::catalog::replace(&mut tx, &who.workspace_id, Kind::Task, &t, None, now)
                    .await?;
            }
        }
        let n = store::catalog::delete(&mut tx, &who.workspace_id, Kind::Queue, &[id.to_string()])
            .await?;
        let name = doc["name"].as_str().unwrap_or_default();
        tx.audit(
            "queue.delete",
            Object {
                kind: AuditObject::Queue,
                id,
                name,
            },
            &json!({"before": {"name": name, "tasks": entries.len()}}),
        )
        .await?;
        tx.commit().await?;
        Ok(n as u32)
    }

    /// `queues.add_task`: a queued task at the back of this queue (ClearML's `task_already_queued`
    /// when it waits in one already).
    pub async fn add_task_to_queue(
        &self,
        who: &Identity,
        queue: &str,
        task: &str,
    ) -> Result<u32, AppError> {
        let mut tx = self.tx().await?;
        Self::load(&mut tx, who, Kind::Queue, queue).await?;
        let doc = Self::load(&mut tx, who, Kind::Task, task).await?;
        self.require(&mut tx, who, Kind::Task, &doc, Level::Modify)
            .await?;
        if store::catalog::queue_of(&mut tx, task).await?.is_some() {
            return Err(AppError::refused(
                Code::InvalidTaskStatus,
                format!("task {task} is queued already"),
            ));
        }
        let to_policy = resources::check_enqueue(&self.core, &mut tx, who, queue).await?;
        store::catalog::enqueue(&mut tx, &who.workspace_id, queue, task, false, self.now()).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        if to_policy {
            resources::settle_after_change(&self.core, &who.workspace_id).await;
        }
        Ok(1)
    }

    /// `queues.remove_task`: out of this queue.
    pub async fn remove_task_from_queue(
        &self,
        who: &Identity,
        queue: &str,
        task: &str,
    ) -> Result<u32, AppError> {
        let mut tx = self.tx().await?;
        Self::load(&mut tx, who, Kind::Queue, queue).await?;
        if store::catalog::queue_of(&mut tx, task).await?.as_deref() != Some(queue) {
            return Err(AppError::refused(
                Code::InvalidQueueOrTaskNotQueued,
                format!("task {task} is not in queue {queue}"),
            ));
        }
        store::catalog::dequeue(&mut tx, task).await?;
        let freed = store::resources::release(&mut tx, task).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        if freed {
            resources::settle_after_change(&self.core, &who.workspace_id).await;
        }
        Ok(1)
    }

    /// `queues.move_task_to_front` / `_back`: the task's new place.
    pub async fn move_in_queue(
        &self,
        who: &Identity,
        queue: &str,
        task: &str,
        front: bool,
    ) -> Result<i64, AppError> {
        let mut tx = self.tx().await?;
        Self::load(&mut tx, who, Kind::Queue, queue).await?;
        if store::catalog::queue_of(&mut tx, task).await?.as_deref() != Some(queue) {
            return Err(AppError::refused(
                Code::InvalidQueueOrTaskNotQueued,
                format!("task {task} is not in queue {queue}"),
            ));
        }
        let added = store::catalog::entries(&mut tx, queue)
            .await?
            .into_iter()
            .find(|e| e.task_id == task)
            .map(|e| e.added_ms)
            .unwrap_or_else(|| self.now());
        store::catalog::enqueue(&mut tx, &who.workspace_id, queue, task, front, added).await?;
        let entries = store::catalog::entries(&mut tx, queue).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(entries.iter().position(|e| e.task_id == task).unwrap_or(0) as i64)
    }

    /// `queues.get_next_task`: removes and returns the queue's next task that is still queued;
    /// entries whose task is no longer queued are dropped on the way.
    pub async fn next_task(
        &self,
        who: &Identity,
        queue: &str,
    ) -> Result<Option<NextTask>, AppError> {
        {
            let mut conn = self.read().await?;
            Self::load(&mut conn, who, Kind::Queue, queue).await?;
        }
        loop {
            let mut tx = self.tx().await?;
            let entries = store::catalog::entries(&mut tx, queue).await?;
            let Some(first) = entries.first().cloned() else {
                return Ok(None);
            };
            let Some(taken) = store::catalog::take_next(&mut tx, queue).await? else {
                return Ok(None);
            };
            let task = store::catalog::get(&mut tx, &who.workspace_id, Kind::Task, &taken).await?;
            tx.commit().await.map_err(crate::services::internal)?;
            let Some(task) = task else { continue };
            if task["status"].as_str() != Some(TaskStatus::Queued.as_str()) {
                continue;
            }
            let added_ms = if first.task_id == taken {
                first.added_ms
            } else {
                self.now()
            };
            return Ok(Some(NextTask {
                task: taken,
                added_ms,
                user: task["user"].as_str().unwrap_or_default().to_string(),
            }));
        }
    }

    /// `queues.peek_task`: the next task without taking it.
    pub async fn peek_task(&self, who: &Identity, queue: &str) -> Result<Option<String>, AppError> {
        let mut conn = self.read().await?;
        Self::load(&mut conn, who, Kind::Queue, queue).await?;
        Ok(store::catalog::entries(&mut conn, queue)
            .await?
            .into_iter()
            .next()
            .map(|e| e.task_id))
    }

    /// `queues.get_num_entries`.
    pub async fn queue_length(&self, who: &Identity, queue: &str) -> Result<usize, AppError> {
        let mut conn = self.read().await?;
        Self::load(&mut conn, who, Kind::Queue, queue).await?;
        Ok(store::catalog::entries(&mut conn, queue).await?.len())
    }
}

impl CatalogService {
    /// Refuses a queue's creation, renaming or deletion by anyone but the Queue admins group and
    /// administrators (ClearML's 403/20 for a role that may not).
    async fn require_queue_admin(
        &self,
        conn: &mut Conn,
        who: &Identity,
        what: &str,
    ) -> Result<(), AppError> {
        if self.viewer(conn, who).await?.queue_admin() {
            Ok(())
        } else {
            Err(AppError::refused(
                Code::RoleNotAllowed,
                format!("forbidden (not allowed for role): only Queue admins may {what}"),
            ))
        }
    }
}
