//! Configuration vaults: your personal vault (Configuration), the administrator vaults per user
//! group (Administrator Vaults), and the effective configuration they produce for a member.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;
use crate::domain::vaults::{Merged, VaultFormat, VaultRef};

/// Whose a vault is: one person's, or a user group's (set by administrators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VaultScope {
    User,
    Group,
}

impl VaultScope {
    pub fn as_str(self) -> &'static str {
        match self {
            VaultScope::User => "user",
            VaultScope::Group => "group",
        }
    }
}

/// A vault as its editors see it: the text as written, and what it holds in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    pub id: String,
    pub scope: VaultScope,
    /// The administrator vault's name (a personal vault's is empty).
    pub name: String,
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub description: String,
    pub format: VaultFormat,
    pub enabled: bool,
    pub text: String,
    /// Its top-level keys, for tables.
    pub summary: String,
    /// Goes up with every save; a save names the version it started from.
    pub version: i64,
    pub updated_ms: i64,
    pub updated_by: String,
}

/// What a save sends. `id` and `version` are those of the vault being edited (none for a new one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VaultForm {
    pub id: Option<String>,
    #[serde(default)]
    pub name: String,
    pub group_id: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub format: VaultFormat,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub text: String,
    pub version: Option<i64>,
}

/// A choice in a picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

/// The Administrator Vaults section: the vaults, the groups they can be for, and the members whose
/// effective configuration can be previewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminVaults {
    pub vaults: Vec<Vault>,
    pub groups: Vec<Choice>,
    pub members: Vec<Choice>,
}

/// What a member's SDK receives: the enabled vaults in delivery order, those left out because they
/// are disabled, and the configuration they merge into with each key's origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectiveConfig {
    pub user_id: String,
    pub user_name: String,
    pub applied: Vec<VaultRef>,
    pub disabled: Vec<VaultRef>,
    pub merged: Merged,
}

#[server(prefix = "/fn", endpoint = "vaults.personal")]
pub async fn personal() -> Result<Option<Vault>, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.vaults.personal(&caller()?.identity).await }.await)
}

#[server(prefix = "/fn", endpoint = "vaults.save_personal", input = leptos::server_fn::codec::Json)]
pub async fn save_personal(form: VaultForm) -> Result<Vault, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .vaults
                .save_personal(&caller()?.identity, form)
                .await
        }
        .await,
    )
}

/// The effective configuration of `user_id` (administrators: any member; members: themselves).
#[server(prefix = "/fn", endpoint = "vaults.effective")]
pub async fn effective(user_id: Option<String>) -> Result<EffectiveConfig, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .vaults
                .effective(&caller()?.identity, user_id.as_deref())
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "vaults.list")]
pub async fn list() -> Result<AdminVaults, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .vaults
                .list(&caller()?.identity.admin("see administrator vaults")?)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "vaults.save", input = leptos::server_fn::codec::Json)]
pub async fn save(form: VaultForm) -> Result<Vault, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .vaults
                .save(
                    &caller()?.identity.admin("edit administrator vaults")?,
                    form,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "vaults.delete")]
pub async fn delete(id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .vaults
                .delete(
                    &caller()?.identity.admin("delete administrator vaults")?,
                    &id,
                )
                .await
        }
        .await,
    )
}
