//! Projects: a tree by name (`a/b/c`), created with their missing ancestors; deleting one takes its
//! sub-projects with it and refuses while the tree holds tasks or models, unless forced.

use serde_json::{Map, Value, json};

use app::domain::access_rules::Level;
use app::domain::audit::AuditObject;
use app::domain::catalog::{self as rules, Found, Kind, TaskStatus};
use app::domain::{AppError, Code, Identity};

use super::{CatalogService, FieldType, apply_fields, opt_text, stamp, text_list, unique_name};
use crate::crypto::new_id;
use crate::services::Object;
use crate::store::{self, Conn};

const SETTABLE: &[(&str, FieldType)] = &[
    ("name", FieldType::Text),
    ("description", FieldType::Text),
    ("tags", FieldType::TextList),
    ("system_tags", FieldType::TextList),
    ("default_output_destination", FieldType::Text),
];

/// What `projects.delete` did.
#[derive(Debug, Default, serde::Serialize)]
pub struct ProjectDeleted {
    pub deleted: u32,
    pub disassociated_tasks: u32,
    pub deleted_tasks: u32,
    pub deleted_models: u32,
}

fn name_of(doc: &Value) -> &str {
    doc.get("name").and_then(Value::as_str).unwrap_or_default()
}

/// The projects under `path` (not itself).
fn is_under(doc: &Value, path: &str) -> bool {
    name_of(doc)
        .strip_prefix(path)
        .is_some_and(|rest| rest.starts_with('/'))
}

impl CatalogService {
    /// `projects.get_all`: ClearML's filters, plus `parent` (the ids whose direct children to list)
    /// and `shallow_search` (only the top level, or the parent's direct children).
    pub async fn projects(
        &self,
        who: &Identity,
        params: &Map<String, Value>,
    ) -> Result<Found, AppError> {
        let parents: Vec<String> = match params.get("parent") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => vec![],
        };
        let shallow = params.get("shallow_search").and_then(Value::as_bool) == Some(true);
        if parents.is_empty() && !shallow {
            return self.found(who, Kind::Project, params, None).await;
        }
        let parent_paths: Vec<String> = if parents.is_empty() {
            vec![]
        } else {
            let mut conn = self.read().await?;
            store::catalog::list(
                &mut conn,
                &who.workspace_id,
                Kind::Project,
                Some(&parents),
                None,
            )
            .await?
            .iter()
            .map(|p| name_of(p).to_string())
            .collect()
        };
        if !parents.is_empty() && parent_paths.is_empty() {
            return Ok(Found::default());
        }
        let narrow = |docs: &mut Vec<Value>| {
            if !parents.is_empty() {
                docs.retain(|d| {
                    parent_paths.iter().any(|p| {
                        is_under(d, p) && (!shallow || !name_of(d)[p.len() + 1..].contains('/'))
                    })
                });
            } else if shallow {
                docs.retain(|d| !name_of(d).contains('/'));
            }
        };
        self.found(who, Kind::Project, params, Some(&narrow)).await
    }

    /// `projects.get_all_ex`: the listing with the counts the SDK and web apps ask for:
    /// `sub_projects`, and with `include_stats` the status counts of the tasks in each project.
    pub async fn projects_ex(
        &self,
        who: &Identity,
        params: &Map<String, Value>,
    ) -> Result<Vec<Value>, AppError> {
        let mut found = self.projects(who, params).await?.into_values();
        let mut conn = self.read().await?;
        let all =
            store::catalog::list(&mut conn, &who.workspace_id, Kind::Project, None, None).await?;
        let stats = params.get("include_stats").and_then(Value::as_bool) == Some(true);
        // Sub-projects and counts show only what the caller sees.
        let viewer = self.viewer(&mut conn, who).await?;
        let paths = viewer.paths_to_reach(&mut conn, &who.workspace_id).await?;
        let all: Vec<Value> = all
            .into_iter()
            .filter(|d| {
                viewer.level_of(Kind::Project, d) > Level::None
                    || paths.contains(d["id"].as_str().unwrap_or_default())
            })
            .collect();
        for p in &mut found {
            let Some(id) = p.get("id").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            let Some(full) = all.iter().find(|d| d["id"].as_str() == Some(&id)) else {
                continue;
            };
            let path = name_of(full).to_string();
            let children: Vec<Value> = all
                .iter()
                .filter(|d| is_under(d, &path) && !name_of(d)[path.len() + 1..].contains('/'))
                .map(|d| json!({"id": d["id"], "name": d["name"]}))
                .collect();
            p["sub_projects"] = Value::Array(children);
            if stats {
                let tasks = store::catalog::list(
                    &mut conn,
                    &who.workspace_id,
                    Kind::Task,
                    None,
                    Some(std::slice::from_ref(&id)),
                )
                .await?
                .into_iter()
                .filter(|t| viewer.level_of(Kind::Task, t) > Level::None)
                .collect::<Vec<_>>();
                let mut counts = Map::new();
                for s in TaskStatus::ALL {
                    let n = tasks
                        .iter()
                        .filter(|t| t["status"].as_str() == Some(s.as_str()))
                        .count();
                    counts.insert(s.as_str().into(), json!(n));
                }
                p["stats"] =
                    json!({"active": {"total_tasks": tasks.len(), "status_count": counts}});
            }
        }
        Ok(found)
    }

    pub async fn project(&self, who: &Identity, id: &str) -> Result<Value, AppError> {
        self.get(who, Kind::Project, id).await
    }

    /// Creates a project with any missing ancestors; a taken name is ClearML's "expected unique
    /// data" refusal.
    pub async fn create_project(
        &self,
        who: &Identity,
        fields: &Map<String, Value>,
    ) -> Result<String, AppError> {
        let raw = opt_text("name", fields.get("name"))?
            .ok_or_else(|| AppError::validation("name", "a project needs a name"))?;
        let path = rules::project_path(raw)?;
        let mut tx = self.core.begin(who).await?;
        if store::catalog::by_name(&mut tx, &who.workspace_id, Kind::Project, &path)
            .await?
            .is_some()
        {
            return Err(AppError::refused(
                Code::ExpectedUniqueData,
                format!("a project named `{path}` exists already"),
            ));
        }
        let now = tx.now();
        // A project inside another is a change to the nearest one that exists: it needs Read &
        // Modify there, as the access rules say.
        let mut nearest = None;
        for ancestor in rules::ancestors(&path) {
            if let Some(doc) =
                store::catalog::by_name(&mut tx, &who.workspace_id, Kind::Project, &ancestor)
                    .await?
            {
                nearest = Some(doc);
            }
        }
        if let Some(parent) = &nearest {
            self.require(&mut tx, who, Kind::Project, parent, Level::Modify)
                .await?;
        }
        for ancestor in rules::ancestors(&path) {
            if store::catalog::by_name(&mut tx, &who.workspace_id, Kind::Project, &ancestor)
                .await?
                .is_none()
            {
                let doc = new_project(who, &ancestor, now);
                store::catalog::insert(&mut tx, &who.workspace_id, Kind::Project, &doc, now)
                    .await?;
            }
        }
        let mut doc = new_project(who, &path, now);
        apply_fields(&mut doc, fields, SETTABLE, &["name"])?;
        for f in ["tags", "system_tags"] {
            doc[f] = text_list(f, doc.get(f))?;
        }
        let id = doc["id"].as_str().unwrap_or_default().to_string();
        store::catalog::insert(&mut tx, &who.workspace_id, Kind::Project, &doc, now)
            .await
            .map_err(|e| unique_name(e, "project"))?;
        tx.audit(
            "project.create",
            Object {
                kind: AuditObject::Project,
                id: &id,
                name: &path,
            },
            &json!({"after": {"name": path}}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// `projects.update`: description, tags, default output destination, and the name's last part
    /// (moving a project elsewhere in the tree is `projects.move`'s job, as in ClearML); renaming
    /// renames its sub-projects' paths with it.
    pub async fn update_project(
        &self,
        who: &Identity,
        id: &str,
        fields: &Map<String, Value>,
    ) -> Result<(u32, Map<String, Value>), AppError> {
        let mut tx = self.core.begin(who).await?;
        let mut doc = Self::load_for_update(&mut tx, who, Kind::Project, id).await?;
        let old = name_of(&doc).to_string();
        let changed = apply_fields(&mut doc, fields, SETTABLE, &["project"])?;
        let mut renamed = None;
        if let Some(raw) = opt_text("name", fields.get("name"))? {
            let path = rules::project_path(raw)?;
            let parent_of = |p: &str| p.rsplit_once('/').map(|(a, _)| a.to_string());
            if parent_of(&path) != parent_of(&old) {
                return Err(AppError::refused(
                    Code::InvalidProjectName,
                    "a project's location cannot change with projects.update; use projects.move",
                ));
            }
            if path != old {
                if store::catalog::by_name(&mut tx, &who.workspace_id, Kind::Project, &path)
                    .await?
                    .is_some()
                {
                    return Err(AppError::refused(
                        Code::ExpectedUniqueData,
                        format!("a project named `{path}` exists already"),
                    ));
                }
                renamed = Some(path.clone());
            }
            doc["name"] = json!(path);
            doc["basename"] = json!(rules::basename(&path));
        }
        let now = tx.now();
        doc["last_update"] = stamp(now);
        store::catalog::replace(&mut tx, &who.workspace_id, Kind::Project, &doc, None, now)
            .await
            .map_err(|e| unique_name(e, "project"))?;
        if let Some(new) = &renamed {
            rename_subtree(&mut tx, who, &old, new, now).await?;
        }
        let out = Self::picked(&doc, changed);
        tx.audit(
            "project.update",
            Object {
                kind: AuditObject::Project,
                id,
                name: name_of(&doc),
            },
            &json!({"before": {"name": old}, "after": out}),
        )
        .await?;
        tx.commit().await?;
        Ok((1, out))
    }

    /// `projects.delete`: the project and its sub-projects. Refused while they hold tasks or
    /// models unless `force`; with `delete_contents` those go too, otherwise they lose their project.
    pub async fn delete_project(
        &self,
        who: &Identity,
        id: &str,
        force: bool,
        delete_contents: bool,
    ) -> Result<ProjectDeleted, AppError> {
        let mut tx = self.core.begin(who).await?;
        let doc = Self::load(&mut tx, who, Kind::Project, id).await?;
        let path = name_of(&doc).to_string();
        let all =
            store::catalog::list(&mut tx, &who.workspace_id, Kind::Project, None, None).await?;
        let ids: Vec<String> = all
            .iter()
            .filter(|d| d["id"].as_str() == Some(id) || is_under(d, &path))
            .filter_map(|d| d["id"].as_str().map(String::from))
            .collect();
        let tasks =
            store::catalog::list(&mut tx, &who.workspace_id, Kind::Task, None, Some(&ids)).await?;
        let models =
            store::catalog::list(&mut tx, &who.workspace_id, Kind::Model, None, Some(&ids)).await?;
        if !force && !tasks.is_empty() {
            return Err(AppError::refused(
                Code::ProjectHasTasks,
                format!(
                    "project `{path}` has {} tasks; delete with force",
                    tasks.len()
                ),
            ));
        }
        if !force && !models.is_empty() {
            return Err(AppError::refused(
                Code::ProjectHasModels,
                format!(
                    "project `{path}` has {} models; delete with force",
                    models.len()
                ),
            ));
        }
        let now = tx.now();
        let mut result = ProjectDeleted::default();
        let task_ids: Vec<String> = tasks
            .iter()
            .filter_map(|t| t["id"].as_str().map(String::from))
            .collect();
        let model_ids: Vec<String> = models
            .iter()
            .filter_map(|t| t["id"].as_str().map(String::from))
            .collect();
        if delete_contents {
            result.deleted_tasks =
                store::catalog::delete(&mut tx, &who.workspace_id, Kind::Task, &task_ids).await?
                    as u32;
            result.deleted_models =
                store::catalog::delete(&mut tx, &who.workspace_id, Kind::Model, &model_ids).await?
                    as u32;
        } else {
            for (kind, docs) in [(Kind::Task, tasks), (Kind::Model, models)] {
                for mut d in docs {
                    d["project"] = Value::Null;
                    store::catalog::replace(&mut tx, &who.workspace_id, kind, &d, None, now)
                        .await?;
                    if kind == Kind::Task {
                        result.disassociated_tasks += 1;
                    }
                }
            }
        }
        result.deleted =
            store::catalog::delete(&mut tx, &who.workspace_id, Kind::Project, &ids).await? as u32;
        tx.audit(
            "project.delete",
            Object { kind: AuditObject::Project, id, name: &path },
            &json!({"before": {"name": path, "sub_projects": ids.len() - 1, "tasks": task_ids.len(), "models": model_ids.len()}, "after": {"contents_deleted": delete_contents}}),
        )
        .await?;
        tx.commit().await?;
        Ok(result)
    }

    /// The id of the project with this path, if there is one.
    pub async fn project_id_by_name(
        &self,
        who: &Identity,
        path: &str,
    ) -> Result<Option<String>, AppError> {
        let path = rules::project_path(path)?;
        let mut conn = self.read().await?;
        Ok(
            store::catalog::by_name(&mut conn, &who.workspace_id, Kind::Project, &path)
                .await?
                .and_then(|d| d["id"].as_str().map(String::from)),
        )
    }
}

/// A new project's document.
fn new_project(who: &Identity, path: &str, now: i64) -> Value {
    json!({
        "id": new_id(),
        "name": path,
        "basename": rules::basename(path),
        "description": "",
        "user": who.user_id,
        "company": who.workspace_id,
        "created": stamp(now),
        "last_update": stamp(now),
        "tags": [],
        "system_tags": [],
    })
}

async fn rename_subtree(
    conn: &mut Conn,
    who: &Identity,
    old: &str,
    new: &str,
    now: i64,
) -> Result<(), AppError> {
    let all = store::catalog::list(conn, &who.workspace_id, Kind::Project, None, None).await?;
    for mut d in all.into_iter().filter(|d| is_under(d, old)) {
        let renamed = format!("{new}{}", &name_of(&d)[old.len()..]);
        d["name"] = json!(renamed);
        store::catalog::replace(conn, &who.workspace_id, Kind::Project, &d, None, now).await?;
    }
    Ok(())
}
