//! Web App Cloud Access (Configuration section): the caller's storage credentials in their current
//! workspace, and presigned links made from them. Secrets go in; only their masked form comes out.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::cloud::{CloudAccess, CloudAccessForm, PresignedUrl};

#[server(prefix = "/fn", endpoint = "list_cloud_access")]
pub async fn list_cloud_access() -> Result<Vec<CloudAccess>, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.cloud_access.list(&caller()?.identity).await }.await)
}

#[server(prefix = "/fn", endpoint = "save_cloud_access", input = leptos::server_fn::codec::Json)]
pub async fn save_cloud_access(form: CloudAccessForm) -> Result<CloudAccess, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .cloud_access
                .save(&caller()?.identity, form)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "delete_cloud_access")]
pub async fn delete_cloud_access(id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .cloud_access
                .delete(&caller()?.identity, &id)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "presign_cloud_url")]
pub async fn presign_cloud_url(path: String) -> Result<PresignedUrl, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .cloud_access
                .presign(&caller()?.identity, "", &path, None)
                .await
        }
        .await,
    )
}
