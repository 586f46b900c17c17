//! The caller's UI preferences.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use app::domain::AppError;
use app::domain::preferences::Preferences;

use super::registry::{Ctx, Endpoint, NoParams, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "users.get_preferences",
        summary: "the caller's preferences",
        access: Member,
        writes: false,
        impersonation: false,
        handler: get_preferences(NoParams) -> PreferencesAnswer,
    },
    endpoint! {
        name: "users.set_preferences",
        summary: "replace the caller's preferences (missing keys take defaults)",
        access: Member,
        writes: true,
        impersonation: false,
        handler: set_preferences(SetParams) -> SetAnswer,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct PreferencesAnswer {
    #[schemars(with = "Value")]
    pub preferences: Preferences,
}

async fn get_preferences(ctx: Ctx, _: NoParams) -> Result<PreferencesAnswer, AppError> {
    let preferences = ctx.services().preferences.get(&ctx.who()?).await?;
    Ok(PreferencesAnswer { preferences })
}

#[derive(Deserialize, JsonSchema)]
pub struct SetParams {
    #[schemars(with = "Value")]
    pub preferences: Preferences,
}

#[derive(Serialize, JsonSchema)]
pub struct SetAnswer {
    pub updated: u32,
    #[schemars(with = "Value")]
    pub preferences: Preferences,
}

async fn set_preferences(ctx: Ctx, p: SetParams) -> Result<SetAnswer, AppError> {
    let preferences = ctx
        .services()
        .preferences
        .save(&ctx.who()?, p.preferences)
        .await?;
    Ok(SetAnswer {
        updated: 1,
        preferences,
    })
}
