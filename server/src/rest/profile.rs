//! The caller's own user: who they are (what the SDK asks first) and renaming themselves.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use app::domain::{AppError, Role};

use super::registry::{Ctx, Endpoint, NoParams, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "users.get_current_user",
        summary: "the caller, their workspace (`company`) and role",
        access: Member,
        writes: false,
        impersonation: true,
        handler: get_current_user(NoParams) -> CurrentUser,
    },
    endpoint! {
        name: "users.update",
        summary: "rename the caller (`name`)",
        access: Member,
        writes: true,
        impersonation: false,
        handler: update(UpdateParams) -> Updated,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Company {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct User {
    pub id: String,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub avatar: Option<String>,
    pub company: Company,
    /// `admin` or `user`, as ClearML names them.
    pub role: &'static str,
    #[schemars(with = "Value")]
    pub preferences: app::domain::preferences::Preferences,
    /// ISO 8601 UTC.
    pub created: String,
}

#[derive(Serialize, JsonSchema)]
pub struct CurrentUser {
    pub user: User,
    pub getting_started: Value,
    pub settings: Value,
}

async fn get_current_user(ctx: Ctx, _: NoParams) -> Result<CurrentUser, AppError> {
    let who = ctx.who()?;
    let services = ctx.services();
    let profile = services.profile.get(&who).await?;
    let prefs = services.preferences.get(&who).await?;
    let (given, family) = match profile.name.split_once(' ') {
        Some((g, f)) => (g.to_string(), f.to_string()),
        None => (profile.name.clone(), String::new()),
    };
    Ok(CurrentUser {
        user: User {
            id: profile.user_id,
            name: profile.name,
            given_name: given,
            family_name: family,
            email: profile.email,
            avatar: None,
            company: Company {
                id: who.workspace_id.clone(),
                name: who.workspace_name.clone(),
            },
            role: if who.role == Role::Admin {
                "admin"
            } else {
                "user"
            },
            preferences: prefs,
            created: app::domain::timefmt::iso_utc(profile.created_ms),
        },
        getting_started: Value::Object(Default::default()),
        settings: serde_json::json!({"max_download_items": 1000}),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateParams {
    pub name: String,
    /// Only the caller may be renamed; another id is refused.
    #[serde(default)]
    pub user: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct UpdatedFields {
    pub name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Updated {
    pub updated: u32,
    pub fields: UpdatedFields,
}

async fn update(ctx: Ctx, p: UpdateParams) -> Result<Updated, AppError> {
    let who = ctx.who()?;
    if p.user.as_deref().is_some_and(|u| u != who.user_id) {
        return Err(AppError::forbidden("rename another user"));
    }
    let profile = ctx.services().profile.rename(&who, &p.name).await?;
    Ok(Updated {
        updated: 1,
        fields: UpdatedFields { name: profile.name },
    })
}
