//! Profile and UI preferences of the current user.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;
use crate::domain::prefs::Preferences;

/// The profile card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub user_id: String,
    pub name: String,
    pub username: String,
    pub email: String,
    pub workspace_name: String,
    pub role: crate::domain::Role,
    pub created_ms: i64,
}

#[server(prefix = "/fn", endpoint = "get_profile")]
pub async fn get_profile() -> Result<Profile, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.accounts.profile(&caller()?.identity).await }.await)
}

#[server(prefix = "/fn", endpoint = "rename_profile")]
pub async fn rename_profile(name: String) -> Result<Profile, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .accounts
                .rename(&caller()?.identity, &name)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "get_preferences")]
pub async fn get_preferences() -> Result<Preferences, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.accounts.preferences(&caller()?.identity).await }.await)
}

#[server(prefix = "/fn", endpoint = "save_preferences", input = leptos::server_fn::codec::Json)]
pub async fn save_preferences(prefs: Preferences) -> Result<Preferences, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .accounts
                .save_preferences(&caller()?.identity, prefs)
                .await
        }
        .await,
    )
}
