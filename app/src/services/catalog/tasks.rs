//! Tasks: created, edited while `created` (or with `force` while queued or running), moved through
//! ClearML's status machine by the SDK and clearml-agent, and given hyper-parameters,
//! configuration, artifacts and models as a run reports them. A status change names the status it
//! read, so of two changes at once one wins and the other is ClearML's "failed changing task
//! status" refusal.

use serde_json::{Map, Value, json};

use app::domain::access_rules::Level;
use app::domain::catalog::{Found, Kind, TASK_TYPES, TaskStatus};
use app::domain::{AppError, Code, Identity};

use super::{CatalogService, FieldType, apply_fields, new_name, opt_text, stamp, text_list};
use crate::crypto::new_id;
use crate::services::resources;
use crate::store;

/// What `tasks.create` and `tasks.edit` set.
const SETTABLE: &[(&str, FieldType)] = &[
    ("name", FieldType::Text),
    ("tags", FieldType::TextList),
    ("system_tags", FieldType::TextList),
    ("type", FieldType::Text),
    ("comment", FieldType::Text),
    ("parent", FieldType::Text),
    ("project", FieldType::Text),
    ("output_dest", FieldType::Text),
    ("execution", FieldType::Object),
    ("script", FieldType::Object),
    ("hyperparams", FieldType::Object),
    ("configuration", FieldType::Object),
    ("models", FieldType::Object),
    ("container", FieldType::Object),
    ("runtime", FieldType::Object),
];

/// What `tasks.update` sets, in any status.
const UPDATABLE: &[(&str, FieldType)] = &[
    ("name", FieldType::Text),
    ("tags", FieldType::TextList),
    ("system_tags", FieldType::TextList),
    ("comment", FieldType::Text),
    ("project", FieldType::Text),
    ("output__error", FieldType::Text),
    ("created", FieldType::Any),
];

/// Why a status changes, as the caller says it.
#[derive(Debug, Clone, Default)]
pub struct StatusNote {
    pub force: bool,
    pub status_reason: String,
    pub status_message: String,
}

fn status_of(doc: &Value) -> TaskStatus {
    doc.get("status")
        .and_then(Value::as_str)
        .and_then(TaskStatus::parse)
        .unwrap_or(TaskStatus::Unknown)
}

fn id_of(doc: &Value) -> String {
    doc.get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Changes of a task's hyper-parameters, configuration and artifacts need it `created`, or with
/// `force` queued or running (as ClearML's `get_task_for_update`).
fn check_updatable(doc: &Value, force: bool) -> Result<(), AppError> {
    let status = status_of(doc);
    let ok = status == TaskStatus::Created
        || (force && matches!(status, TaskStatus::Queued | TaskStatus::InProgress));
    if ok {
        Ok(())
    } else {
        Err(AppError::refused(
            Code::InvalidTaskStatus,
            format!(
                "task {} is {}; it can be changed while created (or with force while queued or in progress)",
                id_of(doc),
                status.as_str()
            ),
        ))
    }
}

impl CatalogService {
    pub async fn tasks(
        &self,
        who: &Identity,
        params: &Map<String, Value>,
    ) -> Result<Found, AppError> {
        self.found(who, Kind::Task, params, None).await
    }

    pub async fn task(&self, who: &Identity, id: &str) -> Result<Value, AppError> {
        self.get(who, Kind::Task, id).await
    }

    /// `tasks.create`: a `created` task of the caller.
    pub async fn create_task(
        &self,
        who: &Identity,
        fields: &Map<String, Value>,
    ) -> Result<String, AppError> {
        let name = new_name(Kind::Task, fields)?;
        let kind = opt_text("type", fields.get("type"))?
            .ok_or_else(|| AppError::validation("type", "a task needs a type"))?;
        if !TASK_TYPES.contains(&kind) {
            return Err(AppError::validation(
                "type",
                format!("`{kind}` is not a task type ({})", TASK_TYPES.join(", ")),
            ));
        }
        let now = self.now();
        let mut doc = json!({
            "id": new_id(),
            "name": name,
            "type": kind,
            "status": "created",
            "status_reason": "",
            "status_message": "",
            "status_changed": stamp(now),
            "user": who.user_id,
            "company": who.workspace_id,
            "comment": "",
            "created": stamp(now),
            "last_update": stamp(now),
            "last_change": stamp(now),
            "last_changed_by": who.user_id,
            "tags": [],
            "system_tags": [],
            "execution": {},
            "script": {},
            "hyperparams": {},
            "configuration": {},
            "models": {"input": [], "output": []},
            "container": {},
            "runtime": {},
            "output": {},
            "last_iteration": 0,
        });
        apply_fields(&mut doc, fields, SETTABLE, &["name", "type"])?;
        for f in ["tags", "system_tags"] {
            doc[f] = text_list(f, doc.get(f))?;
        }
        if let Some(dest) = doc.get("output_dest").cloned() {
            doc["output"]["destination"] = dest;
            doc.as_object_mut().map(|m| m.remove("output_dest"));
        }
        let mut tx = self.tx().await?;
        Self::check_refs(&mut tx, who, &doc).await?;
        store::catalog::insert(&mut tx, &who.workspace_id, Kind::Task, &doc, now).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(id_of(&doc))
    }

    /// Loads a task, lets `change` edit it, and stores it with its last-update time; the changed
    /// document is returned.
    async fn change_task(
        &self,
        who: &Identity,
        id: &str,
        change: impl FnOnce(&mut Value, i64) -> Result<(), AppError>,
    ) -> Result<Value, AppError> {
        let mut tx = self.tx().await?;
        let mut doc = Self::load_for_update(&mut tx, who, Kind::Task, id).await?;
        let now = self.now();
        change(&mut doc, now)?;
        doc["last_update"] = stamp(now);
        doc["last_change"] = stamp(now);
        doc["last_changed_by"] = json!(who.user_id);
        Self::check_refs(&mut tx, who, &doc).await?;
        store::catalog::replace(&mut tx, &who.workspace_id, Kind::Task, &doc, None, now).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(doc)
    }

    /// `tasks.edit`: any settable field while the task is `created`, or with `force`.
    pub async fn edit_task(
        &self,
        who: &Identity,
        id: &str,
        fields: &Map<String, Value>,
        force: bool,
    ) -> Result<Map<String, Value>, AppError> {
        let mut changed = Vec::new();
        let doc = self
            .change_task(who, id, |doc, _| {
                if !force && status_of(doc) != TaskStatus::Created {
                    return Err(AppError::refused(
                        Code::InvalidTaskStatus,
                        format!(
                            "task {id} is {}; only a created task can be edited (or use force)",
                            status_of(doc).as_str()
                        ),
                    ));
                }
                if let Some(Value::String(t)) = fields.get("type")
                    && !TASK_TYPES.contains(&t.as_str())
                {
                    return Err(AppError::validation(
                        "type",
                        format!("`{t}` is not a task type"),
                    ));
                }
                changed = apply_fields(doc, fields, SETTABLE, &["task", "force"])?;
                if let Some(dest) = doc.as_object_mut().and_then(|m| m.remove("output_dest")) {
                    doc["output"]["destination"] = dest;
                }
                Ok(())
            })
            .await?;
        Ok(Self::picked(&doc, changed))
    }

    /// `tasks.update`: name, tags, comment, project and the output error, in any status.
    pub async fn update_task(
        &self,
        who: &Identity,
        id: &str,
        fields: &Map<String, Value>,
    ) -> Result<Map<String, Value>, AppError> {
        let mut changed = Vec::new();
        let doc = self
            .change_task(who, id, |doc, _| {
                changed = apply_fields(doc, fields, UPDATABLE, &["task", "force"])?;
                if let Some(err) = doc.as_object_mut().and_then(|m| m.remove("output__error")) {
                    doc["output"]["error"] = err;
                }
                Ok(())
            })
            .await?;
        Ok(Self::picked(&doc, changed))
    }

    /// Moves a task to another status under ClearML's rules, only from the status it was read in;
    /// `extra` edits the document in the same write. The fields that changed.
    pub async fn move_task(
        &self,
        who: &Identity,
        id: &str,
        to: TaskStatus,
        note: &StatusNote,
        extra: impl FnOnce(&mut Value, i64),
    ) -> Result<Map<String, Value>, AppError> {
        let mut tx = self.tx().await?;
        let mut doc = Self::load_for_update(&mut tx, who, Kind::Task, id).await?;
        let from = status_of(&doc);
        from.check_move(to, note.force)?;
        let now = self.now();
        let mut fields = Map::new();
        fields.insert("status".into(), json!(to.as_str()));
        fields.insert("status_reason".into(), json!(note.status_reason));
        fields.insert("status_message".into(), json!(note.status_message));
        fields.insert("status_changed".into(), stamp(now));
        fields.insert("last_update".into(), stamp(now));
        fields.insert("last_change".into(), stamp(now));
        fields.insert("last_changed_by".into(), json!(who.user_id));
        for (k, v) in &fields {
            doc[k.as_str()] = v.clone();
        }
        extra(&mut doc, now);
        if to != TaskStatus::Queued {
            store::catalog::dequeue(&mut tx, id).await?;
        }
        // A task that ends, or goes back to draft, frees what it held.
        let freed = if matches!(to, TaskStatus::Queued | TaskStatus::InProgress) {
            false
        } else {
            store::resources::release(&mut tx, id).await?
        };
        let moved = store::catalog::replace(
            &mut tx,
            &who.workspace_id,
            Kind::Task,
            &doc,
            Some(from.as_str()),
            now,
        )
        .await?;
        if !moved {
            return Err(AppError::refused(
                Code::FailedChangingTaskStatus,
                format!(
                    "failed changing task status: task {id} changed from {} meanwhile",
                    from.as_str()
                ),
            ));
        }
        tx.commit().await.map_err(crate::services::internal)?;
        if freed {
            resources::settle_after_change(&self.core, &who.workspace_id).await;
        }
        Ok(fields)
    }

    /// `tasks.started`: in progress, with its start time (kept when already set).
    pub async fn started(
        &self,
        who: &Identity,
        id: &str,
        note: &StatusNote,
    ) -> Result<Map<String, Value>, AppError> {
        let mut fields = self
            .move_task(who, id, TaskStatus::InProgress, note, |doc, now| {
                if doc.get("started").is_none_or(Value::is_null) {
                    doc["started"] = stamp(now);
                }
            })
            .await?;
        fields.insert(
            "started".into(),
            self.task(who, id).await?["started"].clone(),
        );
        Ok(fields)
    }

    /// `tasks.stopped`, `tasks.completed`, `tasks.failed`, `tasks.close`: an end status, with the
    /// end time for completed and failed runs.
    pub async fn ended(
        &self,
        who: &Identity,
        id: &str,
        to: TaskStatus,
        note: &StatusNote,
    ) -> Result<Map<String, Value>, AppError> {
        self.move_task(who, id, to, note, |doc, now| {
            if matches!(to, TaskStatus::Completed | TaskStatus::Failed) {
                doc["completed"] = stamp(now);
            }
        })
        .await
    }

    /// `tasks.stop`: a queued task leaves its queue and stops; a running one stops too (Atrium does
    /// not signal workers, so the status changes at once, as ClearML does for a task no worker
    /// reports on).
    pub async fn stop(
        &self,
        who: &Identity,
        id: &str,
        note: &StatusNote,
    ) -> Result<Map<String, Value>, AppError> {
        let note = StatusNote {
            status_message: format!("Stopped by {}", who.user_name),
            ..note.clone()
        };
        self.ended(who, id, TaskStatus::Stopped, &note).await
    }

    /// `tasks.enqueue`: into a queue named by id or by name (a missing name creates the queue, as
    /// ClearML does), or the default queue; out of any other queue.
    pub async fn enqueue(
        &self,
        who: &Identity,
        id: &str,
        queue: Option<&str>,
        queue_name: Option<&str>,
        note: &StatusNote,
    ) -> Result<(String, Map<String, Value>), AppError> {
        if queue.is_some() && queue_name.is_some() {
            return Err(AppError::validation(
                "queue_name",
                "name the queue by id or by name, not both",
            ));
        }
        // An unknown task is refused before the queue is looked for.
        Self::load(&mut *self.read().await?, who, Kind::Task, id).await?;
        let queue_id = match (queue, queue_name) {
            (Some(q), _) => {
                let mut conn = self.read().await?;
                Self::load(&mut conn, who, Kind::Queue, q).await?;
                q.to_string()
            }
            (None, Some(name)) => match self.queue_by_name(who, name).await? {
                Some(q) => q,
                None => self.create_queue(who, &json_fields(name)).await?,
            },
            (None, None) => self.default_queue(who).await?["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        // Enqueueing needs Read & Modify on the queue too.
        let mut conn = self.read().await?;
        let queue_doc = Self::load(&mut conn, who, Kind::Queue, &queue_id).await?;
        self.require(&mut conn, who, Kind::Queue, &queue_doc, Level::Modify)
            .await?;
        let to_policy = resources::check_enqueue(&self.core, &mut conn, who, &queue_id).await?;
        drop(conn);
        let mut tx = self.tx().await?;
        let mut doc = Self::load_for_update(&mut tx, who, Kind::Task, id).await?;
        let from = status_of(&doc);
        from.check_move(TaskStatus::Queued, note.force)?;
        let now = self.now();
        let before = if from == TaskStatus::Queued {
            doc.get("enqueue_status")
                .cloned()
                .unwrap_or(json!("created"))
        } else {
            json!(from.as_str())
        };
        let mut fields = Map::new();
        fields.insert("status".into(), json!("queued"));
        fields.insert("status_reason".into(), json!(note.status_reason));
        fields.insert("status_message".into(), json!(note.status_message));
        fields.insert("status_changed".into(), stamp(now));
        fields.insert("last_update".into(), stamp(now));
        fields.insert("enqueue_status".into(), before);
        for (k, v) in &fields {
            doc[k.as_str()] = v.clone();
        }
        if !doc["execution"].is_object() {
            doc["execution"] = json!({});
        }
        doc["execution"]["queue"] = json!(queue_id);
        if let Some(tags) = doc["system_tags"].as_array_mut() {
            tags.retain(|t| t.as_str() != Some("development"));
        }
        let moved = store::catalog::replace(
            &mut tx,
            &who.workspace_id,
            Kind::Task,
            &doc,
            Some(from.as_str()),
            now,
        )
        .await?;
        if !moved {
            return Err(AppError::refused(
                Code::FailedChangingTaskStatus,
                format!("failed changing task status: task {id} changed meanwhile"),
            ));
        }
        store::catalog::enqueue(&mut tx, &who.workspace_id, &queue_id, id, false, now).await?;
        let freed = store::resources::release(&mut tx, id).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        if to_policy || freed {
            resources::settle_after_change(&self.core, &who.workspace_id).await;
        }
        fields.insert("execution.queue".into(), json!(queue_id));
        Ok((queue_id, fields))
    }

    /// `tasks.dequeue`: out of its queue, back to the status it had before (or `created`).
    pub async fn dequeue(
        &self,
        who: &Identity,
        id: &str,
        note: &StatusNote,
    ) -> Result<Map<String, Value>, AppError> {
        let mut tx = self.tx().await?;
        let mut doc = Self::load_for_update(&mut tx, who, Kind::Task, id).await?;
        let from = status_of(&doc);
        if from != TaskStatus::Queued {
            return Err(AppError::refused(
                Code::InvalidTaskStatus,
                format!("task {id} is {}, not queued", from.as_str()),
            ));
        }
        let back = doc
            .get("enqueue_status")
            .and_then(Value::as_str)
            .and_then(TaskStatus::parse)
            .unwrap_or(TaskStatus::Created);
        let now = self.now();
        let mut fields = Map::new();
        fields.insert("status".into(), json!(back.as_str()));
        fields.insert("status_reason".into(), json!(note.status_reason));
        fields.insert("status_message".into(), json!(note.status_message));
        fields.insert("status_changed".into(), stamp(now));
        fields.insert("last_update".into(), stamp(now));
        for (k, v) in &fields {
            doc[k.as_str()] = v.clone();
        }
        doc.as_object_mut().map(|m| m.remove("enqueue_status"));
        if doc["execution"].is_object() {
            doc["execution"]["queue"] = Value::Null;
        }
        if store::catalog::dequeue(&mut tx, id).await?.is_none() {
            return Err(AppError::refused(
                Code::InvalidQueueOrTaskNotQueued,
                format!("task {id} is in no queue"),
            ));
        }
        let freed = store::resources::release(&mut tx, id).await?;
        let moved = store::catalog::replace(
            &mut tx,
            &who.workspace_id,
            Kind::Task,
            &doc,
            Some("queued"),
            now,
        )
        .await?;
        if !moved {
            return Err(AppError::refused(
                Code::FailedChangingTaskStatus,
                format!("failed changing task status: task {id} changed meanwhile"),
            ));
        }
        tx.commit().await.map_err(crate::services::internal)?;
        if freed {
            resources::settle_after_change(&self.core, &who.workspace_id).await;
        }
        Ok(fields)
    }

    /// `tasks.reset`: back to `created`, out of any queue, its run's outputs cleared (not when
    /// published, unless `force`).
    pub async fn reset(
        &self,
        who: &Identity,
        id: &str,
        force: bool,
    ) -> Result<Map<String, Value>, AppError> {
        let doc = self.task(who, id).await?;
        if status_of(&doc) == TaskStatus::Published && !force {
            return Err(AppError::refused(
                Code::InvalidTaskStatus,
                format!("task {id} is published; reset it with force"),
            ));
        }
        let note = StatusNote {
            force: true,
            ..Default::default()
        };
        self.move_task(who, id, TaskStatus::Created, &note, |doc, _| {
            let m = doc.as_object_mut().expect("a task is an object");
            for f in ["started", "completed", "enqueue_status", "last_worker"] {
                m.remove(f);
            }
            m.insert("output".into(), json!({}));
            m.insert("last_iteration".into(), json!(0));
            if let Some(exec) = m.get_mut("execution").and_then(Value::as_object_mut) {
                exec.remove("queue");
                exec.remove("artifacts");
            }
            if let Some(models) = m.get_mut("models").and_then(Value::as_object_mut) {
                models.insert("output".into(), json!([]));
            }
        })
        .await
    }

    /// `tasks.ping`: the task is alive (its last update moves).
    pub async fn ping(&self, who: &Identity, id: &str) -> Result<(), AppError> {
        self.change_task(who, id, |_, _| Ok(())).await.map(|_| ())
    }

    /// `tasks.delete`: a created task, or any with `force` (it leaves its queue; its events go).
    pub async fn delete_task(
        &self,
        who: &Identity,
        id: &str,
        force: bool,
    ) -> Result<u32, AppError> {
        let mut tx = self.tx().await?;
        let doc = Self::load(&mut tx, who, Kind::Task, id).await?;
        let status = status_of(&doc);
        if !force && status != TaskStatus::Created {
            return Err(AppError::refused(
                Code::TaskCannotBeDeleted,
                format!("task {id} is {}; delete it with force", status.as_str()),
            ));
        }
        store::catalog::dequeue(&mut tx, id).await?;
        let freed = store::resources::release(&mut tx, id).await?;
        let n = store::catalog::delete(&mut tx, &who.workspace_id, Kind::Task, &[id.to_string()])
            .await?;
        tx.commit().await.map_err(crate::services::internal)?;
        if freed {
            resources::settle_after_change(&self.core, &who.workspace_id).await;
        }
        Ok(n as u32)
    }

    /// `tasks.edit_hyper_params`: `{section, name, value, type, description}` items merged in, or
    /// replacing the named sections (`section`) or everything (`all`).
    pub async fn edit_hyper_params(
        &self,
        who: &Identity,
        id: &str,
        items: &[Value],
        replace: &str,
        force: bool,
    ) -> Result<u32, AppError> {
        let mut sections: Map<String, Value> = Map::new();
        for (i, item) in items.iter().enumerate() {
            let field = format!("hyperparams[{i}]");
            let section = item
                .get("section")
                .and_then(Value::as_str)
                .unwrap_or("General");
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| AppError::validation(&field, "a parameter needs a name"))?;
            let mut p = item.clone();
            p["section"] = json!(section);
            if let Some(v) = p.get("value")
                && !v.is_string()
                && !v.is_null()
            {
                p["value"] = json!(v.to_string());
            }
            sections
                .entry(section.to_string())
                .or_insert_with(|| json!({}))[name] = p;
        }
        self.change_task(who, id, |doc, _| {
            check_updatable(doc, force)?;
            if !doc["hyperparams"].is_object() || replace == "all" {
                doc["hyperparams"] = json!({});
            }
            for (section, params) in sections {
                let target = &mut doc["hyperparams"][section.as_str()];
                if replace == "section" || !target.is_object() {
                    *target = json!({});
                }
                for (name, p) in params.as_object().into_iter().flatten() {
                    target[name.as_str()] = p.clone();
                }
            }
            Ok(())
        })
        .await?;
        Ok(1)
    }

    /// `tasks.delete_hyper_params`: the named parameters (or whole sections when no name).
    pub async fn delete_hyper_params(
        &self,
        who: &Identity,
        id: &str,
        items: &[Value],
        force: bool,
    ) -> Result<u32, AppError> {
        let mut deleted = 0;
        self.change_task(who, id, |doc, _| {
            check_updatable(doc, force)?;
            for item in items {
                let Some(section) = item.get("section").and_then(Value::as_str) else {
                    continue;
                };
                let Some(params) = doc["hyperparams"].as_object_mut() else {
                    break;
                };
                match item.get("name").and_then(Value::as_str) {
                    Some(name) => {
                        if let Some(s) = params.get_mut(section).and_then(Value::as_object_mut)
                            && s.remove(name).is_some()
                        {
                            deleted += 1;
                        }
                    }
                    None => {
                        if params.remove(section).is_some() {
                            deleted += 1;
                        }
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(deleted)
    }

    /// `tasks.edit_configuration`: `{name, value, type, description}` items merged in, or replacing
    /// all.
    pub async fn edit_configuration(
        &self,
        who: &Identity,
        id: &str,
        items: &[Value],
        replace: bool,
        force: bool,
    ) -> Result<u32, AppError> {
        for (i, item) in items.iter().enumerate() {
            if item
                .get("name")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(AppError::validation(
                    format!("configuration[{i}]"),
                    "a configuration item needs a name",
                ));
            }
        }
        self.change_task(who, id, |doc, _| {
            check_updatable(doc, force)?;
            if !doc["configuration"].is_object() || replace {
                doc["configuration"] = json!({});
            }
            for item in items {
                let name = item["name"].as_str().unwrap_or_default();
                doc["configuration"][name] = item.clone();
            }
            Ok(())
        })
        .await?;
        Ok(1)
    }

    /// `tasks.add_or_update_artifacts`: artifacts kept by key and mode.
    pub async fn add_or_update_artifacts(
        &self,
        who: &Identity,
        id: &str,
        artifacts: &[Value],
        force: bool,
    ) -> Result<u32, AppError> {
        for (i, a) in artifacts.iter().enumerate() {
            if a.get("key")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
                || a.get("type").and_then(Value::as_str).is_none()
            {
                return Err(AppError::validation(
                    format!("artifacts[{i}]"),
                    "an artifact needs a key and a type",
                ));
            }
        }
        let n = artifacts.len() as u32;
        self.change_task(who, id, |doc, now| {
            check_updatable(doc, force)?;
            if !doc["execution"].is_object() {
                doc["execution"] = json!({});
            }
            if !doc["execution"]["artifacts"].is_array() {
                doc["execution"]["artifacts"] = json!([]);
            }
            let list = doc["execution"]["artifacts"]
                .as_array_mut()
                .expect("set above");
            for a in artifacts {
                let mut a = a.clone();
                if a.get("mode").is_none() {
                    a["mode"] = json!("output");
                }
                if a.get("timestamp").is_none() {
                    a["timestamp"] = json!(now / 1000);
                }
                let same = |b: &Value| b["key"] == a["key"] && b["mode"] == a["mode"];
                match list.iter_mut().find(|b| same(b)) {
                    Some(slot) => *slot = a,
                    None => list.push(a),
                }
            }
            Ok(())
        })
        .await?;
        Ok(n)
    }

    /// `tasks.delete_artifacts`: by key (and mode).
    pub async fn delete_artifacts(
        &self,
        who: &Identity,
        id: &str,
        keys: &[Value],
        force: bool,
    ) -> Result<u32, AppError> {
        let mut deleted = 0;
        self.change_task(who, id, |doc, _| {
            check_updatable(doc, force)?;
            if let Some(list) = doc["execution"]["artifacts"].as_array_mut() {
                let before = list.len();
                list.retain(|a| {
                    !keys.iter().any(|k| {
                        k["key"] == a["key"] && (k.get("mode").is_none() || k["mode"] == a["mode"])
                    })
                });
                deleted = (before - list.len()) as u32;
            }
            Ok(())
        })
        .await?;
        Ok(deleted)
    }

    /// `tasks.add_or_update_model`: a model the task reads (`input`) or wrote (`output`), by name.
    pub async fn add_or_update_task_model(
        &self,
        who: &Identity,
        id: &str,
        model: &str,
        name: &str,
        input: bool,
        iteration: Option<i64>,
    ) -> Result<u32, AppError> {
        {
            let mut conn = self.read().await?;
            Self::load(&mut conn, who, Kind::Model, model).await?;
        }
        let key = if input { "input" } else { "output" };
        self.change_task(who, id, |doc, now| {
            if !doc["models"].is_object() {
                doc["models"] = json!({"input": [], "output": []});
            }
            if !doc["models"][key].is_array() {
                doc["models"][key] = json!([]);
            }
            let list = doc["models"][key].as_array_mut().expect("set above");
            let mut entry = json!({"name": name, "model": model, "updated": stamp(now)});
            if let Some(i) = iteration {
                entry["iteration"] = json!(i);
            }
            match list.iter_mut().find(|m| m["name"] == json!(name)) {
                Some(slot) => *slot = entry,
                None => list.push(entry),
            }
            Ok(())
        })
        .await?;
        Ok(1)
    }

    /// `tasks.set_requirements`: the packages the run needs (`script.requirements`), in any
    /// status (the SDK sets them once the run has started).
    pub async fn set_requirements(
        &self,
        who: &Identity,
        id: &str,
        requirements: &Value,
    ) -> Result<u32, AppError> {
        self.change_task(who, id, |doc, _| {
            if !doc["script"].is_object() {
                doc["script"] = json!({});
            }
            doc["script"]["requirements"] = requirements.clone();
            Ok(())
        })
        .await?;
        Ok(1)
    }

    /// Records the worker running a task (`last_worker`), from the worker's status report.
    pub(super) async fn mark_worker(
        &self,
        who: &Identity,
        id: &str,
        worker: &str,
    ) -> Result<(), AppError> {
        self.change_task(who, id, |doc, now| {
            doc["last_worker"] = json!(worker);
            doc["last_worker_report"] = stamp(now);
            Ok(())
        })
        .await
        .map(|_| ())
    }
}

fn json_fields(name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m
}
