//! Users & Groups → Service accounts: accounts for agents and automations, with their own API
//! credentials and optional impersonation. They can never log into the console.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;
use crate::domain::credentials::{CredentialInfo, NewCredential};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccount {
    pub id: String,
    pub name: String,
    pub username: String,
    pub allow_impersonation: bool,
    pub credentials: i64,
    pub last_active_ms: Option<i64>,
    pub created_ms: i64,
    pub groups: Vec<String>,
}

/// A new service account and its first key pair (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedServiceAccount {
    pub account: ServiceAccount,
    pub credentials: NewCredential,
}

#[server(prefix = "/fn/admin", endpoint = "service_accounts.list")]
pub async fn list() -> Result<Vec<ServiceAccount>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .service_accounts
                .list(&caller()?.identity.admin("see service accounts")?)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "service_accounts.create")]
pub async fn create(
    name: String,
    allow_impersonation: bool,
) -> Result<CreatedServiceAccount, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .service_accounts
                .create(
                    &caller()?.identity.admin("create service accounts")?,
                    &name,
                    allow_impersonation,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "service_accounts.update")]
pub async fn update(id: String, name: String, allow_impersonation: bool) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .service_accounts
                .update(
                    &caller()?.identity.admin("edit service accounts")?,
                    &id,
                    &name,
                    allow_impersonation,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "service_accounts.delete")]
pub async fn delete(id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .service_accounts
                .delete(&caller()?.identity.admin("delete service accounts")?, &id)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "service_accounts.credentials")]
pub async fn credentials(id: String) -> Result<Vec<CredentialInfo>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .service_accounts
                .credentials(
                    &caller()?
                        .identity
                        .admin("see a service account's credentials")?,
                    &id,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "service_accounts.create_credentials")]
pub async fn create_credentials(id: String, label: String) -> Result<NewCredential, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .service_accounts
                .create_credentials(
                    &caller()?
                        .identity
                        .admin("create a service account's credentials")?,
                    &id,
                    &label,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "service_accounts.revoke_credentials")]
pub async fn revoke_credentials(id: String, access_key: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .service_accounts
                .revoke_credentials(
                    &caller()?
                        .identity
                        .admin("revoke a service account's credentials")?,
                    &id,
                    &access_key,
                )
                .await
        }
        .await,
    )
}
