//! Users & Groups → User groups: the built-in Users, Admins and Queue admins groups, and groups of
//! the workspace's own.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;

/// Someone who can be put in a group: a member or a service account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCandidate {
    pub id: String,
    pub name: String,
    pub email: String,
    pub service_account: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `users`, `admins` or `queue_admins` for the built-in groups.
    pub builtin: Option<String>,
    pub members: Vec<GroupCandidate>,
    /// Whether its members can be edited here (not for Users, which is everyone).
    pub editable_members: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupsOverview {
    pub groups: Vec<Group>,
    pub candidates: Vec<GroupCandidate>,
}

#[server(prefix = "/fn/admin", endpoint = "groups.overview")]
pub async fn overview() -> Result<GroupsOverview, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .groups
                .overview(&caller()?.identity.admin("see user groups")?)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "groups.save", input = leptos::server_fn::codec::Json)]
pub async fn save(
    id: Option<String>,
    name: String,
    description: String,
    members: Vec<String>,
) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .groups
                .save(
                    &caller()?.identity.admin("edit user groups")?,
                    id.as_deref(),
                    &name,
                    &description,
                    &members,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "groups.delete")]
pub async fn delete(id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .groups
                .delete(&caller()?.identity.admin("delete user groups")?, &id)
                .await
        }
        .await,
    )
}
