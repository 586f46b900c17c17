//! Web App Cloud Access (Configuration section): the caller's storage credentials in their current
//! workspace, and presigned links made from them. Secrets go in; only their masked form comes out.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::cloud_access::{CloudAccess, CloudAccessForm, PresignedUrl};

#[server(prefix = "/fn", endpoint = "cloud_access.list")]
pub async fn list() -> Result<Vec<CloudAccess>, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.cloud_access.list(&caller()?.identity).await }.await)
}

#[server(prefix = "/fn", endpoint = "cloud_access.save", input = leptos::server_fn::codec::Json)]
pub async fn save(form: CloudAccessForm) -> Result<CloudAccess, AppError> {
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

#[server(prefix = "/fn", endpoint = "cloud_access.delete")]
pub async fn delete(id: String) -> Result<(), AppError> {
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

#[server(prefix = "/fn", endpoint = "cloud_access.presign")]
pub async fn presign(path: String) -> Result<PresignedUrl, AppError> {
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
