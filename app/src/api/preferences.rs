//! Configuration → UI preferences of the current user.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::preferences::Preferences;

#[server(prefix = "/fn", endpoint = "preferences.get")]
pub async fn get() -> Result<Preferences, AppError> {
    use super::backend::*;
    with_request_id(async { services()?.preferences.get(&caller()?.identity).await }.await)
}

#[server(prefix = "/fn", endpoint = "preferences.save", input = leptos::server_fn::codec::Json)]
pub async fn save(prefs: Preferences) -> Result<Preferences, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .preferences
                .save(&caller()?.identity, prefs)
                .await
        }
        .await,
    )
}
