//! Profile: the current user's name, login and role.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;

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

#[server(prefix = "/fn", endpoint = "profile.get")]
pub async fn get() -> Result<Profile, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.profile.get(&caller()?.identity).await }.await)
}

#[server(prefix = "/fn", endpoint = "profile.rename")]
pub async fn rename(name: String) -> Result<Profile, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.profile.rename(&caller()?.identity, &name).await }.await)
}
