//! Configuration vaults through the API, in the shapes ClearML documents: the SDK and clearml-agent
//! fetch `users.get_vaults` (GET, `enabled=true&types=config`) and apply each vault's `data` in list
//! order; `users.add_or_update_vault` and `users.delete_vaults` edit them under the console's rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use app::api::vaults::{VaultForm, VaultScope};
use app::domain::AppError;
use app::domain::timefmt::iso_utc;
use app::domain::vaults::VaultFormat;

use super::registry::{Ctx, Endpoint, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "users.get_vaults",
        summary: "the vaults the caller receives, in merge order (`enabled`, `types`): the administrator vaults of their groups by group then name, then their personal vault; each `data` is JSON",
        access: Member,
        writes: false,
        impersonation: true,
        handler: get_vaults(GetParams) -> VaultsAnswer,
    },
    endpoint! {
        name: "users.add_or_update_vault",
        summary: "create or save a vault (`vault {id?, scope: user or group, enabled, data, format, description, name?, version}`, `group`); group vaults are for administrators, a save names the version it read",
        access: Member,
        writes: true,
        impersonation: false,
        handler: add_or_update_vault(SaveParams) -> SaveAnswer,
    },
    endpoint! {
        name: "users.delete_vaults",
        summary: "delete vaults (`vaults`: ids): your personal vault, or any group vault for administrators",
        access: Member,
        writes: true,
        impersonation: false,
        handler: delete_vaults(DeleteParams) -> DeleteAnswer,
    },
];

/// One value or a list of them (`types=config` or `types=config&types=config`).
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, JsonSchema)]
pub struct GetParams {
    /// Only enabled vaults (the SDK always asks for these).
    pub enabled: Option<bool>,
    /// Vault types; only `config` exists.
    pub types: Option<OneOrMany>,
    /// Accepted and ignored: the data is always sent.
    #[serde(rename = "preview_data")]
    pub _preview_data: Option<bool>,
}

#[derive(Serialize, JsonSchema)]
pub struct VaultOut {
    pub id: String,
    pub scope: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub format: String,
    pub name: String,
    pub group: Option<String>,
    pub description: String,
    pub enabled: bool,
    /// The vault's content as JSON text (pyhocon parses it).
    pub data: String,
    pub version: i64,
    pub last_update: String,
}

#[derive(Serialize, JsonSchema)]
pub struct VaultsAnswer {
    pub vaults: Vec<VaultOut>,
}

async fn get_vaults(ctx: Ctx, p: GetParams) -> Result<VaultsAnswer, AppError> {
    let wants_config = match &p.types {
        None => true,
        Some(OneOrMany::One(t)) => t == "config",
        Some(OneOrMany::Many(ts)) => ts.is_empty() || ts.iter().any(|t| t == "config"),
    };
    if !wants_config {
        return Ok(VaultsAnswer { vaults: vec![] });
    }
    let who = ctx.who()?;
    let services = ctx.services();
    let delivered = if p.enabled == Some(false) {
        // Disabled vaults too: what the member would receive plus what is switched off.
        let mut conn = services.core.db.pool.acquire().await?;
        services
            .vaults
            .for_member(&mut conn, &who.workspace_id, &who.user_id, who.role, true)
            .await?
    } else {
        services.vaults.delivered_to(&who).await?
    };
    Ok(VaultsAnswer {
        vaults: delivered
            .into_iter()
            .map(|v| VaultOut {
                id: v.id,
                scope: v.scope.as_str().into(),
                kind: "config".into(),
                format: v.format.as_str().into(),
                name: v.name,
                group: v.group_name,
                description: v.description,
                enabled: v.enabled,
                data: Value::Object(v.data).to_string(),
                version: v.version,
                last_update: iso_utc(v.updated_ms),
            })
            .collect(),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct VaultIn {
    pub id: Option<String>,
    /// `user` (your personal vault) or `group` (an administrator vault).
    pub scope: String,
    #[serde(default)]
    pub enabled: bool,
    /// The vault's text in its format.
    #[serde(default)]
    pub data: String,
    /// `hocon`, `json` or `yaml`.
    pub format: Option<String>,
    /// Only `config`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub description: String,
    /// An administrator vault's name (defaults to its description).
    pub name: Option<String>,
    /// The version the save starts from (required to save an existing vault).
    #[serde(default, deserialize_with = "super::registry::lenient::opt_i64")]
    pub version: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
pub struct SaveParams {
    pub vault: VaultIn,
    /// The group of an administrator vault: its id or its name.
    pub group: Option<String>,
    /// Whose personal vault: only yourself.
    pub user: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct SaveAnswer {
    /// The vault's id.
    pub vault: String,
    pub version: i64,
}

async fn add_or_update_vault(ctx: Ctx, p: SaveParams) -> Result<SaveAnswer, AppError> {
    let who = ctx.who()?;
    let services = ctx.services();
    if p.vault.kind.as_deref().is_some_and(|k| k != "config") {
        return Err(AppError::validation(
            "vault.type",
            "Only `config` vaults exist.",
        ));
    }
    let format = match p.vault.format.as_deref() {
        None | Some("") => VaultFormat::Hocon,
        Some(f) => VaultFormat::parse(f)
            .ok_or_else(|| AppError::validation("vault.format", "Use hocon, json or yaml."))?,
    };
    let scope = match p.vault.scope.as_str() {
        "user" => VaultScope::User,
        "group" => VaultScope::Group,
        _ => return Err(AppError::validation("vault.scope", "Use user or group.")),
    };
    let mut form = VaultForm {
        id: p.vault.id.filter(|i| !i.is_empty()),
        name: p
            .vault
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| p.vault.description.clone()),
        group_id: None,
        description: p.vault.description,
        format,
        enabled: p.vault.enabled,
        text: p.vault.data,
        version: p.vault.version,
    };
    let saved = match scope {
        VaultScope::User => {
            if p.user.as_deref().is_some_and(|u| u != who.user_id) {
                return Err(AppError::forbidden("edit another person's vault"));
            }
            let current = services.vaults.personal(&who).await?;
            if let (Some(id), Some(current)) = (&form.id, &current)
                && *id != current.id
            {
                return Err(AppError::not_found(format!("vault {id}")));
            }
            services.vaults.save_personal(&who, form).await?
        }
        VaultScope::Group => {
            let admin = who.admin("edit administrator vaults")?;
            let group = p
                .group
                .filter(|g| !g.trim().is_empty())
                .ok_or_else(|| AppError::validation("group", "Name the user group."))?;
            let overview = services.vaults.list(&admin).await?;
            let found = overview
                .groups
                .iter()
                .find(|g| g.id == group || g.name == group)
                .ok_or_else(|| AppError::validation("group", "No such group in this workspace."))?;
            form.group_id = Some(found.id.clone());
            services.vaults.save(&admin, form).await?
        }
    };
    Ok(SaveAnswer {
        vault: saved.id,
        version: saved.version,
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteParams {
    pub vaults: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct DeleteAnswer {
    pub deleted: u64,
}

async fn delete_vaults(ctx: Ctx, p: DeleteParams) -> Result<DeleteAnswer, AppError> {
    let deleted = ctx
        .services()
        .vaults
        .delete_many(&ctx.who()?, &p.vaults)
        .await?;
    Ok(DeleteAnswer { deleted })
}
