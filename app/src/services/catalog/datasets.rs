//! Hyper-Datasets and their versions (the `datasets.*` service of ClearML's Enterprise API, as the
//! SDK's `services/v2_23/datasets.py` defines it), without frames: a dataset has a name, a project,
//! tags and metadata; its versions are drafts until published, and a published version is changed
//! or deleted only with `force`. Dataviews select dataset versions for training.

use serde_json::{Map, Value, json};

use app::domain::access_rules::Level;
use app::domain::catalog::{self as rules, ARCHIVED, Found, Kind};
use app::domain::timefmt::parse_iso_millis;
use app::domain::{AppError, Code, Identity};

use super::{
    CatalogService, FieldType, apply_fields, has_tag, new_name, opt_text, stamp, text_list,
    unique_name,
};
use crate::crypto::new_id;
use crate::store::{self, Conn};

const DATASET_SETTABLE: &[(&str, FieldType)] = &[
    ("name", FieldType::Text),
    ("comment", FieldType::Text),
    ("tags", FieldType::TextList),
    ("system_tags", FieldType::TextList),
    ("metadata", FieldType::Object),
    ("terms_of_use", FieldType::Text),
    ("public", FieldType::Bool),
    ("project", FieldType::Text),
];

const VERSION_SETTABLE: &[(&str, FieldType)] = &[
    ("name", FieldType::Text),
    ("comment", FieldType::Text),
    ("tags", FieldType::TextList),
    ("system_tags", FieldType::TextList),
    ("metadata", FieldType::Object),
    ("parent", FieldType::Text),
    ("task", FieldType::Text),
    ("stats", FieldType::Any),
];

const DATAVIEW_SETTABLE: &[(&str, FieldType)] = &[
    ("name", FieldType::Text),
    ("description", FieldType::Text),
    ("project", FieldType::Text),
    ("tags", FieldType::TextList),
    ("system_tags", FieldType::TextList),
    ("filters", FieldType::Any),
    ("versions", FieldType::Any),
    ("iteration", FieldType::Object),
    ("augmentation", FieldType::Object),
    ("mapping", FieldType::Object),
    ("labels_enumeration", FieldType::Object),
    ("output_rois", FieldType::Text),
];

/// What `datasets.delete` did.
#[derive(Debug, Default)]
pub struct DatasetDeleted {
    pub deleted: bool,
    pub deleted_versions: Vec<String>,
}

fn id_of(doc: &Value) -> String {
    doc["id"].as_str().unwrap_or_default().to_string()
}

fn is_published(v: &Value) -> bool {
    v["status"].as_str() == Some("published")
}

impl CatalogService {
    /// A dataset's versions, newest first.
    async fn versions_of(
        conn: &mut Conn,
        who: &Identity,
        dataset: &str,
    ) -> Result<Vec<Value>, AppError> {
        let mut all: Vec<Value> =
            store::catalog::list(conn, &who.workspace_id, Kind::DatasetVersion, None, None)
                .await?
                .into_iter()
                .filter(|v| v["dataset"].as_str() == Some(dataset))
                .collect();
        all.sort_by(|a, b| {
            b["created"]
                .as_str()
                .cmp(&a["created"].as_str())
                .then(b["id"].as_str().cmp(&a["id"].as_str()))
        });
        Ok(all)
    }

    /// A dataset with its `version_count` and `head_version` (its newest version).
    async fn with_versions(
        conn: &mut Conn,
        who: &Identity,
        mut doc: Value,
    ) -> Result<Value, AppError> {
        let versions = Self::versions_of(conn, who, &id_of(&doc)).await?;
        doc["version_count"] = json!(versions.len());
        doc["head_version"] = versions.into_iter().next().unwrap_or(Value::Null);
        Ok(doc)
    }

    pub async fn datasets(
        &self,
        who: &Identity,
        params: &Map<String, Value>,
    ) -> Result<Vec<Value>, AppError> {
        let found = self.list(who, Kind::Dataset, params, None).await?;
        let mut conn = self.read().await?;
        let mut out = Vec::with_capacity(found.len());
        for d in found {
            out.push(Self::with_versions(&mut conn, who, d).await?);
        }
        Ok(out)
    }

    pub async fn dataset(&self, who: &Identity, id: &str) -> Result<Value, AppError> {
        let mut conn = self.read().await?;
        let doc = Self::load(&mut conn, who, Kind::Dataset, id).await?;
        Self::with_versions(&mut conn, who, doc).await
    }

    pub async fn dataset_by_name(&self, who: &Identity, name: &str) -> Result<Value, AppError> {
        let mut conn = self.read().await?;
        let doc = store::catalog::by_name(&mut conn, &who.workspace_id, Kind::Dataset, name)
            .await?
            .ok_or_else(|| {
                AppError::refused(Code::InvalidId, format!("no dataset is named `{name}`"))
            })?;
        if self
            .viewer(&mut conn, who)
            .await?
            .level_of(Kind::Dataset, &doc)
            == Level::None
        {
            return Err(AppError::refused(
                Code::InvalidId,
                format!("no dataset is named `{name}`"),
            ));
        }
        Self::with_versions(&mut conn, who, doc).await
    }

    /// `datasets.create`: a name unique in the workspace.
    pub async fn create_dataset(
        &self,
        who: &Identity,
        fields: &Map<String, Value>,
    ) -> Result<String, AppError> {
        let name = new_name(Kind::Dataset, fields)?;
        let now = self.now();
        let mut doc = json!({
            "id": new_id(), "name": name, "user": who.user_id, "company": who.workspace_id,
            "created": stamp(now), "last_update": stamp(now), "comment": "", "tags": [], "system_tags": [],
            "metadata": {}, "terms_of_use": "", "paradigm": "single_version",
        });
        apply_fields(&mut doc, fields, DATASET_SETTABLE, &["name"])?;
        for f in ["tags", "system_tags"] {
            doc[f] = text_list(f, doc.get(f))?;
        }
        let mut tx = self.tx().await?;
        Self::check_refs(&mut tx, who, &doc).await?;
        if store::catalog::by_name(&mut tx, &who.workspace_id, Kind::Dataset, &name)
            .await?
            .is_some()
        {
            return Err(AppError::refused(
                Code::ExpectedUniqueData,
                format!("a dataset named `{name}` exists already"),
            ));
        }
        store::catalog::insert(&mut tx, &who.workspace_id, Kind::Dataset, &doc, now)
            .await
            .map_err(|e| unique_name(e, "dataset"))?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(id_of(&doc))
    }

    /// Edits a document of `kind` with the fields `allowed`; the changed fields.
    async fn edit_doc(
        &self,
        who: &Identity,
        kind: Kind,
        id: &str,
        fields: &Map<String, Value>,
        allowed: &[(&str, FieldType)],
        check: impl FnOnce(&Value) -> Result<(), AppError>,
    ) -> Result<Map<String, Value>, AppError> {
        let mut tx = self.tx().await?;
        let mut doc = Self::load_for_update(&mut tx, who, kind, id).await?;
        check(&doc)?;
        let changed = apply_fields(&mut doc, fields, allowed, &[])?;
        if changed.iter().any(|f| f == "name") {
            doc["name"] = json!(rules::object_name(
                kind,
                "name",
                doc["name"].as_str().unwrap_or_default()
            )?);
        }
        let now = self.now();
        doc["last_update"] = stamp(now);
        Self::check_refs(&mut tx, who, &doc).await?;
        store::catalog::replace(&mut tx, &who.workspace_id, kind, &doc, None, now)
            .await
            .map_err(|e| unique_name(e, kind.as_str()))?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(Self::picked(&doc, changed))
    }

    pub async fn update_dataset(
        &self,
        who: &Identity,
        id: &str,
        fields: &Map<String, Value>,
    ) -> Result<Map<String, Value>, AppError> {
        self.edit_doc(who, Kind::Dataset, id, fields, DATASET_SETTABLE, |_| Ok(()))
            .await
    }

    /// `datasets.delete`: refused while it has versions unless `delete_all_versions`, and while
    /// one of them is published unless `force`.
    pub async fn delete_dataset(
        &self,
        who: &Identity,
        id: &str,
        all_versions: bool,
        force: bool,
    ) -> Result<DatasetDeleted, AppError> {
        let mut tx = self.tx().await?;
        Self::load(&mut tx, who, Kind::Dataset, id).await?;
        let versions = Self::versions_of(&mut tx, who, id).await?;
        if !versions.is_empty() && !all_versions {
            return Err(AppError::validation(
                "delete_all_versions",
                format!(
                    "the dataset has {} versions; delete them with it",
                    versions.len()
                ),
            ));
        }
        if versions.iter().any(is_published) && !force {
            return Err(AppError::validation(
                "force",
                "the dataset has published versions; delete it with force",
            ));
        }
        let ids: Vec<String> = versions.iter().map(id_of).collect();
        store::catalog::delete(&mut tx, &who.workspace_id, Kind::DatasetVersion, &ids).await?;
        let n =
            store::catalog::delete(&mut tx, &who.workspace_id, Kind::Dataset, &[id.to_string()])
                .await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(DatasetDeleted {
            deleted: n == 1,
            deleted_versions: ids,
        })
    }

    /// `datasets.get_versions`: a dataset's versions (newest first unless `order_by`), with
    /// ClearML's filters, `versions` (ids) and `only_published` (true unless given).
    pub async fn dataset_versions(
        &self,
        who: &Identity,
        dataset: &str,
        params: &Map<String, Value>,
    ) -> Result<Vec<Value>, AppError> {
        let mut conn = self.read().await?;
        Self::load(&mut conn, who, Kind::Dataset, dataset).await?;
        let mut params = params.clone();
        params.insert("dataset".into(), json!(dataset));
        if let Some(ids) = params.remove("versions") {
            params.insert("id".into(), ids);
        }
        if params.get("order_by").is_none() {
            params.insert("order_by".into(), json!(["-created"]));
        }
        // As the Enterprise API: only published versions unless asked otherwise.
        let only_published = params
            .remove("only_published")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        drop(conn);
        // Narrowed before paging, so that a page of published versions is never short.
        if only_published && !params.contains_key("status") {
            params.insert("status".into(), json!("published"));
        }
        let mut found = self.list(who, Kind::DatasetVersion, &params, None).await?;
        if only_published {
            found.retain(|v| v.get("status").is_none_or(|s| s == "published"));
        }
        Ok(found)
    }

    /// `datasets.create_version`: a draft version of the dataset, after `parent` if given.
    pub async fn create_dataset_version(
        &self,
        who: &Identity,
        fields: &Map<String, Value>,
    ) -> Result<String, AppError> {
        let dataset = opt_text("dataset", fields.get("dataset"))?
            .ok_or_else(|| AppError::validation("dataset", "`dataset` is required"))?;
        let name = new_name(Kind::DatasetVersion, fields)?;
        let now = self.now();
        let mut doc = json!({
            "id": new_id(), "name": name, "dataset": dataset, "user": who.user_id, "company": who.workspace_id,
            "created": stamp(now), "last_update": stamp(now), "comment": "", "tags": [], "system_tags": [],
            "metadata": {}, "status": "draft", "published": null, "committed": null,
        });
        apply_fields(&mut doc, fields, VERSION_SETTABLE, &["name", "dataset"])?;
        let mut tx = self.tx().await?;
        // Locking the dataset makes its versions' creation times distinct and growing, so the
        // newest version is the head even when two are made within a millisecond.
        Self::load_for_update(&mut tx, who, Kind::Dataset, dataset).await?;
        let newest = Self::versions_of(&mut tx, who, dataset)
            .await?
            .first()
            .and_then(|v| parse_iso_millis(v["created"].as_str()?));
        let created = newest.map_or(now, |n| now.max(n + 1));
        doc["created"] = stamp(created);
        if let Some(parent) = doc.get("parent").and_then(Value::as_str) {
            let p = Self::load(&mut tx, who, Kind::DatasetVersion, parent).await?;
            if p["dataset"].as_str() != Some(dataset) {
                return Err(AppError::validation(
                    "parent",
                    "the parent version belongs to another dataset",
                ));
            }
        }
        if let Some(t) = doc.get("task").and_then(Value::as_str) {
            Self::load(&mut tx, who, Kind::Task, t).await?;
        }
        store::catalog::insert(
            &mut tx,
            &who.workspace_id,
            Kind::DatasetVersion,
            &doc,
            created,
        )
        .await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(id_of(&doc))
    }

    fn unpublished(v: &Value, force: bool) -> Result<(), AppError> {
        if is_published(v) && !force {
            Err(AppError::validation(
                "version",
                format!("version {} is published; change it with force", id_of(v)),
            ))
        } else {
            Ok(())
        }
    }

    pub async fn update_dataset_version(
        &self,
        who: &Identity,
        id: &str,
        fields: &Map<String, Value>,
        force: bool,
    ) -> Result<Map<String, Value>, AppError> {
        self.edit_doc(
            who,
            Kind::DatasetVersion,
            id,
            fields,
            VERSION_SETTABLE,
            |v| Self::unpublished(v, force),
        )
        .await
    }

    /// `datasets.publish_version`: a draft or committed version becomes published.
    pub async fn publish_dataset_version(
        &self,
        who: &Identity,
        id: &str,
        force: bool,
    ) -> Result<(), AppError> {
        let mut tx = self.tx().await?;
        let mut v = Self::load_for_update(&mut tx, who, Kind::DatasetVersion, id).await?;
        if is_published(&v) && !force {
            return Err(AppError::validation(
                "version",
                format!("version {id} is published already"),
            ));
        }
        let now = self.now();
        v["status"] = json!("published");
        v["published"] = stamp(now);
        v["last_update"] = stamp(now);
        store::catalog::replace(
            &mut tx,
            &who.workspace_id,
            Kind::DatasetVersion,
            &v,
            None,
            now,
        )
        .await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(())
    }

    /// `datasets.delete_version`: a version no other version builds on; a published one only with
    /// `force`.
    pub async fn delete_dataset_version(
        &self,
        who: &Identity,
        id: &str,
        force: bool,
    ) -> Result<bool, AppError> {
        let mut tx = self.tx().await?;
        let v = Self::load(&mut tx, who, Kind::DatasetVersion, id).await?;
        Self::unpublished(&v, force)?;
        let dataset = v["dataset"].as_str().unwrap_or_default().to_string();
        if Self::versions_of(&mut tx, who, &dataset)
            .await?
            .iter()
            .any(|c| c["parent"].as_str() == Some(id))
        {
            return Err(AppError::validation(
                "version",
                format!("version {id} is the parent of other versions"),
            ));
        }
        let n = store::catalog::delete(
            &mut tx,
            &who.workspace_id,
            Kind::DatasetVersion,
            &[id.to_string()],
        )
        .await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(n == 1)
    }

    // ---------- dataviews ----------

    /// Checks the dataset versions a dataview names (`versions: [{dataset, version}]`).
    async fn check_dataview(conn: &mut Conn, who: &Identity, doc: &Value) -> Result<(), AppError> {
        Self::check_refs(conn, who, doc).await?;
        for (i, item) in doc["versions"].as_array().into_iter().flatten().enumerate() {
            let field = format!("versions[{i}]");
            let dataset = item["dataset"]
                .as_str()
                .ok_or_else(|| AppError::validation(&field, "each entry names a dataset"))?;
            Self::load(conn, who, Kind::Dataset, dataset).await?;
            if let Some(version) = item["version"].as_str() {
                let v = Self::load(conn, who, Kind::DatasetVersion, version).await?;
                if v["dataset"].as_str() != Some(dataset) {
                    return Err(AppError::validation(
                        field,
                        "the version belongs to another dataset",
                    ));
                }
            }
        }
        Ok(())
    }

    pub async fn dataviews(
        &self,
        who: &Identity,
        params: &Map<String, Value>,
    ) -> Result<Found, AppError> {
        let mut params = params.clone();
        // Archived dataviews are listed only when asked for (as ClearML's listings do).
        if params.get("system_tags").is_none() {
            params.insert("system_tags".into(), json!([format!("-{ARCHIVED}")]));
        }
        self.found(who, Kind::Dataview, &params, None).await
    }

    pub async fn dataview(&self, who: &Identity, id: &str) -> Result<Value, AppError> {
        self.get(who, Kind::Dataview, id).await
    }

    pub async fn create_dataview(
        &self,
        who: &Identity,
        fields: &Map<String, Value>,
    ) -> Result<String, AppError> {
        let name = new_name(Kind::Dataview, fields)?;
        let now = self.now();
        let mut doc = json!({
            "id": new_id(), "name": name, "user": who.user_id, "company": who.workspace_id,
            "created": stamp(now), "last_update": stamp(now), "description": "", "tags": [], "system_tags": [],
            "filters": [], "versions": [], "iteration": {}, "augmentation": {}, "mapping": {},
            "labels_enumeration": {}, "status": "draft",
        });
        apply_fields(&mut doc, fields, DATAVIEW_SETTABLE, &["name"])?;
        for f in ["tags", "system_tags"] {
            doc[f] = text_list(f, doc.get(f))?;
        }
        let mut tx = self.tx().await?;
        Self::check_dataview(&mut tx, who, &doc).await?;
        store::catalog::insert(&mut tx, &who.workspace_id, Kind::Dataview, &doc, now).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(id_of(&doc))
    }

    /// `dataviews.update`: a draft dataview's fields (a published one only with `force`).
    pub async fn update_dataview(
        &self,
        who: &Identity,
        id: &str,
        fields: &Map<String, Value>,
        force: bool,
    ) -> Result<Map<String, Value>, AppError> {
        let changed = self
            .edit_doc(who, Kind::Dataview, id, fields, DATAVIEW_SETTABLE, |d| {
                if d["status"].as_str() == Some("published") && !force {
                    Err(AppError::validation(
                        "dataview",
                        format!("dataview {id} is published; change it with force"),
                    ))
                } else {
                    Ok(())
                }
            })
            .await?;
        let doc = self.dataview(who, id).await?;
        let mut conn = self.read().await?;
        Self::check_dataview(&mut conn, who, &doc).await?;
        Ok(changed)
    }

    /// Changes many dataviews at once with `change`; the ids changed and, per id that failed, why.
    async fn each_dataview(
        &self,
        who: &Identity,
        ids: &[String],
        change: impl Fn(&mut Value) -> Result<bool, AppError>,
    ) -> Result<(Vec<String>, Vec<(String, AppError)>), AppError> {
        let mut tx = self.tx().await?;
        let now = self.now();
        let (mut done, mut failed) = (Vec::new(), Vec::new());
        for id in ids {
            let mut doc = match Self::load_for_update(&mut tx, who, Kind::Dataview, id).await {
                Ok(d) => d,
                Err(e) => {
                    failed.push((id.clone(), e));
                    continue;
                }
            };
            match change(&mut doc) {
                Ok(true) => {
                    doc["last_update"] = stamp(now);
                    store::catalog::replace(
                        &mut tx,
                        &who.workspace_id,
                        Kind::Dataview,
                        &doc,
                        None,
                        now,
                    )
                    .await?;
                    done.push(id.clone());
                }
                Ok(false) => {}
                Err(e) => failed.push((id.clone(), e)),
            }
        }
        tx.commit().await.map_err(crate::services::internal)?;
        Ok((done, failed))
    }

    pub async fn publish_dataviews(
        &self,
        who: &Identity,
        ids: &[String],
    ) -> Result<(Vec<String>, Vec<(String, AppError)>), AppError> {
        self.each_dataview(who, ids, |d| {
            if d["status"].as_str() == Some("published") {
                return Ok(false);
            }
            d["status"] = json!("published");
            Ok(true)
        })
        .await
    }

    pub async fn archive_dataviews(
        &self,
        who: &Identity,
        ids: &[String],
        archive: bool,
    ) -> Result<(Vec<String>, Vec<(String, AppError)>), AppError> {
        self.each_dataview(who, ids, |d| {
            if has_tag(d, "system_tags", ARCHIVED) == archive {
                return Ok(false);
            }
            let tags = d["system_tags"].as_array_mut();
            match (tags, archive) {
                (Some(t), true) => t.push(json!(ARCHIVED)),
                (Some(t), false) => t.retain(|x| x.as_str() != Some(ARCHIVED)),
                (None, _) => {
                    d["system_tags"] = json!(if archive { vec![ARCHIVED] } else { vec![] })
                }
            }
            Ok(true)
        })
        .await
    }

    /// `dataviews.move`: into a project by id, or by name (made when missing, with its parents).
    pub async fn move_dataviews(
        &self,
        who: &Identity,
        ids: &[String],
        project: Option<&str>,
        project_name: Option<&str>,
    ) -> Result<(String, Vec<String>), AppError> {
        let project_id = match (project, project_name) {
            (Some(p), _) => {
                let mut conn = self.read().await?;
                Self::load(&mut conn, who, Kind::Project, p).await?;
                p.to_string()
            }
            (None, Some(name)) => match self.project_id_by_name(who, name).await? {
                Some(id) => id,
                None => {
                    let mut f = Map::new();
                    f.insert("name".into(), json!(name));
                    self.create_project(who, &f).await?
                }
            },
            (None, None) => {
                return Err(AppError::validation(
                    "project",
                    "name the project by `project` or `project_name`",
                ));
            }
        };
        let (moved, failed) = self
            .each_dataview(who, ids, |d| {
                d["project"] = json!(project_id);
                Ok(true)
            })
            .await?;
        if let Some((_, e)) = failed.into_iter().next() {
            return Err(e);
        }
        Ok((project_id, moved))
    }

    pub async fn delete_dataviews(
        &self,
        who: &Identity,
        ids: &[String],
        force: bool,
    ) -> Result<(u32, Vec<(String, AppError)>), AppError> {
        let mut tx = self.tx().await?;
        let mut gone = Vec::new();
        let mut failed = Vec::new();
        for id in ids {
            match Self::load(&mut tx, who, Kind::Dataview, id).await {
                Ok(d) if d["status"].as_str() == Some("published") && !force => {
                    failed.push((
                        id.clone(),
                        AppError::validation(
                            "force",
                            format!("dataview {id} is published; delete it with force"),
                        ),
                    ));
                }
                Ok(_) => gone.push(id.clone()),
                Err(e) => failed.push((id.clone(), e)),
            }
        }
        let n = store::catalog::delete(&mut tx, &who.workspace_id, Kind::Dataview, &gone).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok((n as u32, failed))
    }
}
