//! Workspace → API credentials: the access/secret key pairs you hold in each of your workspaces (the
//! list itself comes with the workspace overview). A secret is shown once, when it is made.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::credentials::{CredentialInfo, NewCredential};

#[server(prefix = "/fn", endpoint = "credentials.create", input = leptos::server_fn::codec::Json)]
pub async fn create(
    workspace_id: Option<String>,
    label: String,
    expires_in_days: Option<i64>,
) -> Result<NewCredential, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .credentials
                .create(&caller()?.identity, workspace_id, &label, expires_in_days)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "credentials.relabel")]
pub async fn relabel(access_key: String, label: String) -> Result<CredentialInfo, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .credentials
                .relabel(&caller()?.identity, &access_key, &label)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "credentials.revoke")]
pub async fn revoke(access_key: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .credentials
                .revoke(&caller()?.identity, &access_key)
                .await
        }
        .await,
    )
}
