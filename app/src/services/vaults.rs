//! Configuration vaults: a person's own vault in each workspace, administrator vaults per user group,
//! what a member's SDK receives (`users.get_vaults`) and the effective configuration preview, which
//! is computed from the very list that is delivered.

use serde_json::{Map, Value, json};

use app::api::vaults::{AdminVaults, Choice, EffectiveConfig, Vault, VaultForm, VaultScope};
use app::domain::audit::AuditObject;
use app::domain::identity::Admin;
use app::domain::vaults::{self as rules, VaultFormat, VaultRef};
use app::domain::{AppError, Identity, Role, validate};

use super::{Object, internal};
use crate::crypto;
use crate::state::Core;
use crate::store::{self, Conn, vaults::VaultRow};

#[derive(Debug)]
pub struct VaultsService {
    pub core: std::sync::Arc<Core>,
}

/// A vault as it is delivered to an SDK: its data is the JSON of its parsed content.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub id: String,
    pub scope: VaultScope,
    pub name: String,
    pub group_name: Option<String>,
    pub description: String,
    pub format: VaultFormat,
    pub enabled: bool,
    pub data: Map<String, Value>,
    pub version: i64,
    pub updated_ms: i64,
}

impl Delivered {
    pub fn reference(&self) -> VaultRef {
        VaultRef {
            id: self.id.clone(),
            name: if self.scope == VaultScope::User {
                "Personal vault".into()
            } else {
                self.name.clone()
            },
            group: self.group_name.clone(),
        }
    }
}

/// How many vaults a workspace may hold, so that delivery stays small.
const MAX_GROUP_VAULTS: usize = 200;

impl VaultsService {
    fn seal(&self, text: &str) -> String {
        self.core.key.encrypt(text.as_bytes())
    }

    fn open(&self, sealed: &str) -> Result<String, AppError> {
        let plain = self.core.key.decrypt(sealed).map_err(internal)?;
        String::from_utf8(plain).map_err(internal)
    }

    fn view(&self, row: &VaultRow) -> Result<Vault, AppError> {
        let data = self.data(row)?;
        Ok(Vault {
            id: row.id.clone(),
            scope: scope_of(row),
            name: row.name.clone(),
            group_id: row.group_id.clone(),
            group_name: row.group_name.clone(),
            description: row.description.clone(),
            format: VaultFormat::parse(&row.format).unwrap_or_default(),
            enabled: row.enabled,
            text: self.open(&row.text_sealed)?,
            summary: rules::summary(&data),
            version: row.version,
            updated_ms: row.updated_ms,
            updated_by: row.updated_by.clone(),
        })
    }

    fn data(&self, row: &VaultRow) -> Result<Map<String, Value>, AppError> {
        match serde_json::from_str(&self.open(&row.data_sealed)?).map_err(internal)? {
            Value::Object(map) => Ok(map),
            _ => Err(internal("a stored vault's data is not an object")),
        }
    }

    fn delivered(&self, row: &VaultRow) -> Result<Delivered, AppError> {
        Ok(Delivered {
            id: row.id.clone(),
            scope: scope_of(row),
            name: row.name.clone(),
            group_name: row.group_name.clone(),
            description: row.description.clone(),
            format: VaultFormat::parse(&row.format).unwrap_or_default(),
            enabled: row.enabled,
            data: self.data(row)?,
            version: row.version,
            updated_ms: row.updated_ms,
        })
    }

    /// Your vault in your current workspace, if you have one.
    pub async fn personal(&self, who: &Identity) -> Result<Option<Vault>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        store::vaults::personal(&mut conn, &who.workspace_id, &who.user_id)
            .await?
            .map(|row| self.view(&row))
            .transpose()
    }

    /// Saves your vault: created at the first save, then only from the version you read.
    pub async fn save_personal(&self, who: &Identity, form: VaultForm) -> Result<Vault, AppError> {
        if who.is_impersonation() {
            return Err(AppError::forbidden(
                "change a vault through an impersonating token",
            ));
        }
        let data = rules::parse(form.format, &form.text)?;
        let description = validate::optional_text("description", &form.description, 400)?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let existing = store::vaults::personal(&mut tx, &who.workspace_id, &who.user_id).await?;
        let row = self.row_from(
            who,
            existing.as_ref(),
            VaultScope::User,
            String::new(),
            None,
            description,
            &form,
            &data,
            now,
        );
        let action = self
            .write(&mut tx, existing.as_ref(), &row, form.version)
            .await?;
        tx.audit(
            action,
            Object {
                kind: AuditObject::Vault,
                id: &row.id,
                name: "Personal vault",
            },
            &json!({"after": {"enabled": row.enabled, "format": row.format, "keys": rules::summary(&data)}}),
        )
        .await?;
        tx.commit().await?;
        let mut conn = self.core.db.pool.acquire().await?;
        let saved = store::vaults::get(&mut conn, &who.workspace_id, &row.id)
            .await?
            .ok_or_else(|| AppError::not_found("vault"))?;
        self.view(&saved)
    }

    /// The Administrator Vaults section.
    pub async fn list(&self, who: &Admin<'_>) -> Result<AdminVaults, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        store::groups::ensure_builtins(&mut conn, &who.workspace_id, self.core.clock.now_ms())
            .await?;
        let vaults = store::vaults::group_vaults(&mut conn, &who.workspace_id)
            .await?
            .iter()
            .map(|row| self.view(row))
            .collect::<Result<Vec<_>, _>>()?;
        let mut groups: Vec<Choice> = store::groups::list(&mut conn, &who.workspace_id)
            .await?
            .into_iter()
            .map(|g| Choice {
                id: g.id,
                name: g.name,
            })
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let members = store::workspaces::members(&mut conn, &who.workspace_id)
            .await?
            .into_iter()
            .map(|m| Choice {
                id: m.user_id,
                name: if m.name.is_empty() { m.email } else { m.name },
            })
            .collect();
        Ok(AdminVaults {
            vaults,
            groups,
            members,
        })
    }

    /// Creates or saves an administrator vault for one of the workspace's groups.
    pub async fn save(&self, who: &Admin<'_>, form: VaultForm) -> Result<Vault, AppError> {
        let name = validate::display_name("name", &form.name)?;
        let description = validate::optional_text("description", &form.description, 400)?;
        let data = rules::parse(form.format, &form.text)?;
        let group_id = form
            .group_id
            .clone()
            .filter(|g| !g.trim().is_empty())
            .ok_or_else(|| AppError::validation("group_id", "Choose the user group."))?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let group = store::groups::list(&mut tx, &who.workspace_id)
            .await?
            .into_iter()
            .find(|g| g.id == group_id)
            .ok_or_else(|| AppError::validation("group_id", "No such group in this workspace."))?;
        let existing = match &form.id {
            Some(id) if !id.is_empty() => Some(
                store::vaults::get(&mut tx, &who.workspace_id, id)
                    .await?
                    .filter(|v| v.scope == "group")
                    .ok_or_else(|| AppError::not_found("vault"))?,
            ),
            _ => None,
        };
        if existing.is_none()
            && store::vaults::group_vaults(&mut tx, &who.workspace_id)
                .await?
                .len()
                >= MAX_GROUP_VAULTS
        {
            return Err(AppError::Conflict(format!(
                "A workspace holds at most {MAX_GROUP_VAULTS} administrator vaults."
            )));
        }
        let row = self.row_from(
            who,
            existing.as_ref(),
            VaultScope::Group,
            name,
            Some(group.id.clone()),
            description,
            &form,
            &data,
            now,
        );
        let action = self
            .write(&mut tx, existing.as_ref(), &row, form.version)
            .await?;
        let before = existing.as_ref().map(|e| {
            json!({"name": e.name, "group": e.group_name, "enabled": e.enabled, "format": e.format})
        });
        tx.audit(
            action,
            Object {
                kind: AuditObject::Vault,
                id: &row.id,
                name: &row.name,
            },
            &json!({"before": before, "after": {"name": row.name, "group": group.name, "enabled": row.enabled, "format": row.format, "keys": rules::summary(&data)}}),
        )
        .await?;
        tx.commit().await?;
        let mut conn = self.core.db.pool.acquire().await?;
        let saved = store::vaults::get(&mut conn, &who.workspace_id, &row.id)
            .await?
            .ok_or_else(|| AppError::not_found("vault"))?;
        self.view(&saved)
    }

    /// The row a save writes.
    #[allow(clippy::too_many_arguments)]
    fn row_from(
        &self,
        who: &Identity,
        existing: Option<&VaultRow>,
        scope: VaultScope,
        name: String,
        group_id: Option<String>,
        description: String,
        form: &VaultForm,
        data: &Map<String, Value>,
        now: i64,
    ) -> VaultRow {
        VaultRow {
            id: existing.map_or_else(crypto::new_id, |e| e.id.clone()),
            workspace_id: who.workspace_id.clone(),
            scope: scope.as_str().into(),
            user_id: (scope == VaultScope::User).then(|| who.user_id.clone()),
            group_id,
            group_name: None,
            name,
            description,
            format: form.format.as_str().into(),
            enabled: form.enabled,
            text_sealed: self.seal(&form.text),
            data_sealed: self.seal(&Value::Object(data.clone()).to_string()),
            version: existing.map_or(1, |e| e.version + 1),
            created_ms: existing.map_or(now, |e| e.created_ms),
            updated_ms: now,
            updated_by: who.actor_name(),
        }
    }

    /// Inserts a new vault or saves an existing one from the version the editor read; a stale or
    /// missing version is a conflict that says so. Returns the audit action.
    async fn write(
        &self,
        conn: &mut Conn,
        existing: Option<&VaultRow>,
        row: &VaultRow,
        read_version: Option<i64>,
    ) -> Result<&'static str, AppError> {
        let Some(existing) = existing else {
            if read_version.is_some_and(|v| v > 0) {
                return Err(AppError::Conflict(
                    "This vault was deleted since you opened it.".into(),
                ));
            }
            store::vaults::insert(conn, row).await?;
            return Ok("vault.create");
        };
        let Some(read) = read_version else {
            return Err(AppError::validation(
                "version",
                "Say which version of the vault you edited (its `version`).",
            ));
        };
        if read != existing.version || !store::vaults::update(conn, row, existing.version).await? {
            return Err(AppError::Conflict(format!(
                "Someone else saved this vault since you opened it (now version {}, by {}). Reload it and apply your change again.",
                existing.version, existing.updated_by
            )));
        }
        Ok("vault.update")
    }

    /// Deletes an administrator vault.
    pub async fn delete(&self, who: &Admin<'_>, id: &str) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let existing = store::vaults::get(&mut tx, &who.workspace_id, id)
            .await?
            .filter(|v| v.scope == "group")
            .ok_or_else(|| AppError::not_found("vault"))?;
        store::vaults::delete(&mut tx, &who.workspace_id, id).await?;
        tx.audit(
            "vault.delete",
            Object {
                kind: AuditObject::Vault,
                id,
                name: &existing.name,
            },
            &json!({"before": {"name": existing.name, "group": existing.group_name}}),
        )
        .await?;
        tx.commit().await
    }

    /// Deletes vaults through the API: your own personal vault, or (administrators) any
    /// administrator vault of the workspace. Unknown ids are refused before anything is deleted.
    pub async fn delete_many(&self, who: &Identity, ids: &[String]) -> Result<u64, AppError> {
        let mut tx = self.core.begin(who).await?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            let row = store::vaults::get(&mut tx, &who.workspace_id, id)
                .await?
                .ok_or_else(|| AppError::not_found(format!("vault {id}")))?;
            let own = row.scope == "user" && row.user_id.as_deref() == Some(&who.user_id);
            let administered = row.scope == "group" && who.is_admin();
            if !(own || administered) {
                return Err(AppError::not_found(format!("vault {id}")));
            }
            rows.push(row);
        }
        for row in &rows {
            store::vaults::delete(&mut tx, &who.workspace_id, &row.id).await?;
            tx.audit(
                "vault.delete",
                Object {
                    kind: AuditObject::Vault,
                    id: &row.id,
                    name: if row.scope == "user" {
                        "Personal vault"
                    } else {
                        &row.name
                    },
                },
                &json!({"before": {"name": row.name, "group": row.group_name}}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    /// The vaults a member receives, in merge order: the administrator vaults of the groups they
    /// are in (by group name, then vault name), then their personal vault. Disabled vaults are
    /// included only with `include_disabled`.
    pub async fn for_member(
        &self,
        conn: &mut Conn,
        workspace_id: &str,
        user_id: &str,
        role: Role,
        include_disabled: bool,
    ) -> Result<Vec<Delivered>, AppError> {
        let groups =
            store::vaults::groups_of(conn, workspace_id, user_id, role == Role::Admin).await?;
        let mut out = Vec::new();
        for row in store::vaults::group_vaults(conn, workspace_id).await? {
            let mine = row.group_id.as_ref().is_some_and(|g| groups.contains(g));
            if mine && (row.enabled || include_disabled) {
                out.push(self.delivered(&row)?);
            }
        }
        if let Some(row) = store::vaults::personal(conn, workspace_id, user_id).await?
            && (row.enabled || include_disabled)
        {
            out.push(self.delivered(&row)?);
        }
        Ok(out)
    }

    /// What `users.get_vaults` answers the caller (an impersonating token: the member acted as).
    pub async fn delivered_to(&self, who: &Identity) -> Result<Vec<Delivered>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        self.for_member(&mut conn, &who.workspace_id, &who.user_id, who.role, false)
            .await
    }

    /// The effective configuration of a member: administrators may look at anyone in their
    /// workspace, members at themselves.
    pub async fn effective(
        &self,
        who: &Identity,
        user_id: Option<&str>,
    ) -> Result<EffectiveConfig, AppError> {
        let target = user_id.filter(|u| !u.is_empty()).unwrap_or(&who.user_id);
        if target != who.user_id {
            who.admin("preview another member's configuration")?;
        }
        let mut conn = self.core.db.pool.acquire().await?;
        let member = store::workspaces::members(&mut conn, &who.workspace_id)
            .await?
            .into_iter()
            .find(|m| m.user_id == target)
            .ok_or_else(|| AppError::not_found("member"))?;
        let all = self
            .for_member(&mut conn, &who.workspace_id, target, member.role, true)
            .await?;
        let (applied, disabled): (Vec<_>, Vec<_>) = all.into_iter().partition(|v| v.enabled);
        let layers: Vec<(VaultRef, Map<String, Value>)> = applied
            .iter()
            .map(|v| (v.reference(), v.data.clone()))
            .collect();
        Ok(EffectiveConfig {
            user_id: member.user_id,
            user_name: if member.name.is_empty() {
                member.email
            } else {
                member.name
            },
            applied: applied.iter().map(Delivered::reference).collect(),
            disabled: disabled.iter().map(Delivered::reference).collect(),
            merged: rules::merge(&layers),
        })
    }
}

fn scope_of(row: &VaultRow) -> VaultScope {
    if row.scope == "user" {
        VaultScope::User
    } else {
        VaultScope::Group
    }
}
