//! Models: a name, a project, the task that made it, a framework, a URI, tags and whether it is
//! ready (published); a ready model keeps its URI.

use serde_json::{Map, Value, json};

use app::domain::catalog::{Found, Kind};
use app::domain::{AppError, Identity};

use super::{CatalogService, FieldType, apply_fields, new_name, opt_text, stamp, text_list};
use crate::crypto::new_id;
use crate::store;

const SETTABLE: &[(&str, FieldType)] = &[
    ("name", FieldType::Text),
    ("uri", FieldType::Text),
    ("comment", FieldType::Text),
    ("tags", FieldType::TextList),
    ("system_tags", FieldType::TextList),
    ("framework", FieldType::Text),
    ("design", FieldType::Any),
    ("labels", FieldType::Object),
    ("ready", FieldType::Bool),
    ("public", FieldType::Bool),
    ("project", FieldType::Text),
    ("parent", FieldType::Text),
    ("task", FieldType::Text),
    ("metadata", FieldType::Any),
    ("iteration", FieldType::Any),
];

impl CatalogService {
    pub async fn models(
        &self,
        who: &Identity,
        params: &Map<String, Value>,
    ) -> Result<Found, AppError> {
        self.found(who, Kind::Model, params, None).await
    }

    pub async fn model(&self, who: &Identity, id: &str) -> Result<Value, AppError> {
        self.get(who, Kind::Model, id).await
    }

    /// `models.create`: a name and a URI at least.
    pub async fn create_model(
        &self,
        who: &Identity,
        fields: &Map<String, Value>,
    ) -> Result<String, AppError> {
        let name = new_name(Kind::Model, fields)?;
        let uri = opt_text("uri", fields.get("uri"))?
            .ok_or_else(|| AppError::validation("uri", "a model needs a uri"))?;
        let now = self.now();
        let mut doc = json!({
            "id": new_id(),
            "name": name,
            "uri": uri,
            "user": who.user_id,
            "company": who.workspace_id,
            "created": stamp(now),
            "last_update": stamp(now),
            "comment": "",
            "tags": [],
            "system_tags": [],
            "framework": "",
            "labels": {},
            "ready": true,
        });
        apply_fields(&mut doc, fields, SETTABLE, &["name"])?;
        for f in ["tags", "system_tags"] {
            doc[f] = text_list(f, doc.get(f))?;
        }
        let mut tx = self.tx().await?;
        Self::check_refs(&mut tx, who, &doc).await?;
        store::catalog::insert(&mut tx, &who.workspace_id, Kind::Model, &doc, now).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(doc["id"].as_str().unwrap_or_default().to_string())
    }

    /// `models.update` and `models.edit`: the settable fields, the project and task checked.
    pub async fn edit_model(
        &self,
        who: &Identity,
        id: &str,
        fields: &Map<String, Value>,
    ) -> Result<Map<String, Value>, AppError> {
        let mut tx = self.tx().await?;
        let mut doc = Self::load_for_update(&mut tx, who, Kind::Model, id).await?;
        let changed = apply_fields(&mut doc, fields, SETTABLE, &["model", "force"])?;
        let now = self.now();
        doc["last_update"] = stamp(now);
        Self::check_refs(&mut tx, who, &doc).await?;
        store::catalog::replace(&mut tx, &who.workspace_id, Kind::Model, &doc, None, now).await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok(Self::picked(&doc, changed))
    }

    /// `models.set_ready`: published.
    pub async fn set_model_ready(&self, who: &Identity, id: &str) -> Result<u32, AppError> {
        let mut f = Map::new();
        f.insert("ready".into(), json!(true));
        self.edit_model(who, id, &f).await.map(|_| 1)
    }

    /// `models.delete`.
    pub async fn delete_model(
        &self,
        who: &Identity,
        id: &str,
    ) -> Result<(u32, Option<String>), AppError> {
        let mut tx = self.tx().await?;
        let doc = Self::load(&mut tx, who, Kind::Model, id).await?;
        let n = store::catalog::delete(&mut tx, &who.workspace_id, Kind::Model, &[id.to_string()])
            .await?;
        tx.commit().await.map_err(crate::services::internal)?;
        Ok((
            n as u32,
            doc.get("uri").and_then(Value::as_str).map(String::from),
        ))
    }
}
