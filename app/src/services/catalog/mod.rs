//! The catalog: the ClearML objects the settings govern (projects, tasks, models, queues, workers
//! and task events), served to the SDK and clearml-agent in ClearML's shapes. Every member of a
//! workspace reads and changes its objects; the access rules narrow that. Project and queue
//! changes are settings and go to the audit log; the frequent writes of running tasks and workers
//! (status, pings, events) do not, and they leave the read caches alone.

mod datasets;
mod events;
mod examples;
mod models;
mod projects;
mod queues;
mod tasks;
mod workers;

pub use datasets::DatasetDeleted;
pub use events::{Added, MAX_EVENTS_PER_TASK};
pub use examples::{EXAMPLE_PROJECT, create_examples};
pub use projects::ProjectDeleted;
pub use queues::NextTask;
pub use tasks::StatusNote;
pub use workers::{WORKER_TIMEOUT_SECS, WorkerReport};

use std::collections::{BTreeMap, HashMap};

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use app::domain::access_rules::Level;
use app::domain::catalog::query::Query;
use app::domain::catalog::{Doc, EXAMPLE, Found, HIDDEN, Kind};
use app::domain::timefmt::iso_millis;
use app::domain::{AppError, Identity};

use crate::services::access_rules::Viewer;
use crate::state::Core;
use crate::store::catalog::{Listing, Stored, Visible};
use crate::store::{self, Conn};

#[derive(Debug)]
pub struct CatalogService {
    pub core: std::sync::Arc<Core>,
}

/// A filter a listing applies in memory, after the store's.
type Narrow<'a> = dyn Fn(&mut Vec<Value>) + Send + Sync + 'a;

/// A plain write transaction for the running tasks' frequent writes: no audit entry, no cache
/// flush (nothing cached reads the catalog).
pub(crate) type Tx = crate::state::Tx;

impl CatalogService {
    fn now(&self) -> i64 {
        self.core.clock.now_ms()
    }

    async fn tx(&self) -> Result<Tx, AppError> {
        self.core.db.begin_write().await.map_err(super::internal)
    }

    async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, AppError> {
        Ok(self.core.db.pool.acquire().await?)
    }

    /// One object of the caller's workspace, or ClearML's "invalid id" refusal.
    async fn load(
        conn: &mut Conn,
        who: &Identity,
        kind: Kind,
        id: &str,
    ) -> Result<Value, AppError> {
        store::catalog::get(conn, &who.workspace_id, kind, id)
            .await?
            .ok_or_else(|| kind.not_found(id))
    }

    /// One object to change in this write transaction, locked until it ends: two read-change-writes
    /// of one object at once take turns instead of the later overwriting the earlier.
    async fn load_for_update(
        conn: &mut Conn,
        who: &Identity,
        kind: Kind,
        id: &str,
    ) -> Result<Value, AppError> {
        store::catalog::lock(conn, &who.workspace_id, kind, id).await?;
        Self::load(conn, who, kind, id).await
    }

    /// One object of the caller's workspace (`get_by_id`).
    pub async fn get(&self, who: &Identity, kind: Kind, id: &str) -> Result<Value, AppError> {
        let mut conn = self.read().await?;
        Self::load(&mut conn, who, kind, id).await
    }

    /// Checks that the objects a document names are in the caller's workspace: its `project`, and
    /// the `task` a model or dataset version came from.
    async fn check_refs(conn: &mut Conn, who: &Identity, doc: &Value) -> Result<(), AppError> {
        for (field, kind) in [("project", Kind::Project), ("task", Kind::Task)] {
            if let Some(id) = doc.get(field).and_then(Value::as_str) {
                Self::load(conn, who, kind, id).await?;
            }
        }
        Ok(())
    }

    /// The fields `changed` as the document now has them (the `fields` of an update's answer).
    fn picked(doc: &Value, changed: Vec<String>) -> Map<String, Value> {
        changed
            .into_iter()
            .filter_map(|f| doc.get(&f).map(|v| (f, v.clone())))
            .collect()
    }

    /// Lists a kind with ClearML's query parameters. Hidden objects (system tag `hidden`) are left
    /// out unless `search_hidden` is set (its default is the caller's "Show hidden projects"
    /// preference), the filter asks for the tag, or ids are named; with the "Don't show examples"
    /// preference, so are the examples. What the access rules close to the caller is left out in
    /// SQL; when the query narrows only by what the store narrows by, the store orders and pages
    /// too. `narrow` filters further in memory (and then the listing is ordered and paged here).
    async fn list(
        &self,
        who: &Identity,
        kind: Kind,
        params: &Map<String, Value>,
        narrow: Option<&Narrow<'_>>,
    ) -> Result<Vec<Value>, AppError> {
        Ok(self.found(who, kind, params, narrow).await?.into_values())
    }

    /// [`Self::list`] as the API answers it: when the store narrowed, ordered and paged by itself
    /// and no field is picked, the documents go on as stored, never parsed here.
    async fn found(
        &self,
        who: &Identity,
        kind: Kind,
        params: &Map<String, Value>,
        narrow: Option<&Narrow<'_>>,
    ) -> Result<Found, AppError> {
        let query = Query::parse(params, &kind.fields())?;
        let projects: Option<Vec<String>> = query.equal("project").map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        });
        let mut conn = self.read().await?;
        let prefs = crate::services::preferences::load_preferences(&mut conn, &who.user_id).await?;
        let asks_for = |tag: &str| {
            query.ids().is_some()
                || params
                    .get("system_tags")
                    .is_some_and(|t| t.to_string().contains(tag))
        };
        // The caller's "Show hidden projects" preference is the default of `search_hidden`.
        let show_hidden = params
            .get("search_hidden")
            .and_then(Value::as_bool)
            .unwrap_or(prefs.show_hidden_projects)
            || asks_for(HIDDEN);
        let mut hide = 0;
        if !show_hidden {
            hide |= store::catalog::FLAG_HIDDEN;
        }
        if prefs.hide_examples && !asks_for(EXAMPLE) {
            hide |= store::catalog::FLAG_EXAMPLE;
        }
        let viewer = Viewer::of(&self.core, &mut conn, who).await?;
        // A dataset's versions are listed once the dataset was checked.
        let judged = !viewer.sees_all() && kind != Kind::DatasetVersion;
        let projects_view = if judged && kind == Kind::Project {
            Some(viewer.project_view(&mut conn, &who.workspace_id).await?)
        } else {
            None
        };
        let scope;
        let visible = if !judged {
            Visible::All
        } else if let Some(view) = &projects_view {
            view.visible()
        } else {
            scope = viewer.scope(kind, self.core.db.kind == crate::db::Kind::Postgres);
            Visible::Scope(scope.as_ref())
        };
        let plan = match narrow {
            None => query.plan(&["project"]),
            Some(_) => None,
        };
        let rows = store::catalog::listing(
            &mut conn,
            &who.workspace_id,
            kind,
            &Listing {
                ids: query.ids(),
                projects: projects.as_deref().filter(|p| !p.is_empty()),
                hide,
                visible,
                plan: plan.as_ref(),
            },
        )
        .await?;
        // A project the caller may not read but that leads to one they may: its path only.
        let cut = |found: &Stored| {
            projects_view
                .as_ref()
                .is_some_and(|view| !view.readable.contains(&found.id))
        };
        if plan.is_some() && !query.selects_fields() {
            return rows
                .into_iter()
                .map(|found| {
                    Ok(if cut(&found) {
                        Doc::Stored(path_only(&found.doc)?)
                    } else {
                        Doc::Stored(RawValue::from_string(found.doc).map_err(super::internal)?)
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()
                .map(Found);
        }
        let mut docs = rows
            .into_iter()
            .map(|found| {
                if cut(&found) {
                    serde_json::from_str(path_only(&found.doc)?.get()).map_err(super::internal)
                } else {
                    Ok(found.value()?)
                }
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(Found::from(match (plan, narrow) {
            (Some(_), _) => query.select_fields(docs),
            (None, Some(narrow)) => {
                narrow(&mut docs);
                query.run(docs)
            }
            (None, None) => query.run(docs),
        }))
    }

    /// Checks the caller may do `needed` with a loaded object, for the calls that name a second
    /// object besides the one their endpoint declares (enqueueing names a task and a queue).
    async fn require(
        &self,
        conn: &mut Conn,
        who: &Identity,
        kind: Kind,
        doc: &Value,
        needed: Level,
    ) -> Result<(), AppError> {
        let id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
        let project = doc.get("project").and_then(Value::as_str);
        self.viewer(conn, who)
            .await?
            .check(kind, id, project, needed)
    }

    /// The caller's view of the catalog under the access rules.
    async fn viewer(&self, conn: &mut Conn, who: &Identity) -> Result<Viewer, AppError> {
        Viewer::of(&self.core, conn, who).await
    }
}

/// What a caller sees of a project they may not read but that leads to one they may: its id and
/// its name (the path), nothing of its other contents. Read from the stored text without building
/// the rest of the document.
fn path_only(stored: &str) -> Result<Box<RawValue>, AppError> {
    let doc: HashMap<String, &RawValue> = serde_json::from_str(stored).map_err(super::internal)?;
    let path: BTreeMap<&str, &RawValue> = ["id", "name", "basename", "company", "parent"]
        .into_iter()
        .filter_map(|f| Some((f, *doc.get(f)?)))
        .collect();
    serde_json::value::to_raw_value(&path).map_err(super::internal)
}

/// Whether a document carries a tag in this list field.
pub fn has_tag(doc: &Value, field: &str, tag: &str) -> bool {
    doc.get(field)
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|t| t.as_str() == Some(tag)))
}

/// The `name` of a new object: trimmed, not empty (ClearML's names for tasks, models, queues,
/// datasets and dataviews).
fn new_name(kind: Kind, fields: &Map<String, Value>) -> Result<String, AppError> {
    app::domain::catalog::object_name(
        kind,
        "name",
        opt_text("name", fields.get("name"))?.unwrap_or_default(),
    )
}

/// A list of text (tags): absent → empty; anything but a list of text refused naming the field.
pub fn text_list(field: &str, v: Option<&Value>) -> Result<Value, AppError> {
    match v {
        None | Some(Value::Null) => Ok(json!([])),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Ok(Value::Array(items.clone()))
        }
        Some(other) => Err(AppError::validation(
            field,
            format!("expected a list of text, got {other}"),
        )),
    }
}

/// An optional text field: absent or null → `None`; anything but text refused naming the field.
pub fn opt_text<'a>(field: &str, v: Option<&'a Value>) -> Result<Option<&'a str>, AppError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(AppError::validation(
            field,
            format!("expected text, got {other}"),
        )),
    }
}

/// An object field (`execution`, `script`, …): absent → `None`; anything but an object refused.
pub fn opt_object<'a>(
    field: &str,
    v: Option<&'a Value>,
) -> Result<Option<&'a Map<String, Value>>, AppError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(AppError::validation(
            field,
            format!("expected an object, got {other}"),
        )),
    }
}

/// Copies the allowed fields of `fields` into `doc`, checking each value's type.
fn apply_fields(
    doc: &mut Value,
    fields: &Map<String, Value>,
    allowed: &[(&str, FieldType)],
    ignored: &[&str],
) -> Result<Vec<String>, AppError> {
    let mut changed = Vec::new();
    for (key, value) in fields {
        if ignored.contains(&key.as_str()) {
            continue;
        }
        // Fields the object does not have are ignored, as ClearML's request models ignore them
        // (the SDK sends some of its own, such as `method`).
        let Some((_, ty)) = allowed.iter().find(|(f, _)| f == key) else {
            continue;
        };
        let ok = match ty {
            FieldType::Text => value.is_string() || value.is_null(),
            FieldType::TextList => text_list(key, Some(value)).is_ok(),
            FieldType::Object => value.is_object() || value.is_null(),
            FieldType::Bool => value.is_boolean(),
            FieldType::Any => true,
        };
        if !ok {
            return Err(AppError::validation(
                key.clone(),
                format!("`{key}` has the wrong type ({value})"),
            ));
        }
        let value = match (ty, value) {
            (FieldType::TextList, Value::Null) => json!([]),
            _ => value.clone(),
        };
        doc[key.as_str()] = value;
        changed.push(key.clone());
    }
    Ok(changed)
}

/// The type a settable field must have.
#[derive(Debug, Clone, Copy)]
enum FieldType {
    Text,
    TextList,
    Object,
    Bool,
    Any,
}

/// A store error, where a unique name taken at the same moment by another request is ClearML's
/// "expected unique data" refusal.
fn unique_name(e: sqlx::Error, what: &str) -> AppError {
    if store::is_unique_violation(&e) {
        AppError::refused(
            app::domain::Code::ExpectedUniqueData,
            format!("a {what} with this name exists already"),
        )
    } else {
        e.into()
    }
}

/// ClearML's time format.
fn stamp(ms: i64) -> Value {
    Value::String(iso_millis(ms))
}
