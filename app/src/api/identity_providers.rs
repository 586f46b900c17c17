//! Administrator settings → Identity Providers: the workspace's OIDC and SAML connections, their
//! test logins, and the login page's buttons.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;
use crate::domain::identity_providers::{Endpoints, MappedUser, Settings};

/// A connection as the table and the editor show it: never its secret, only whether it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Connection {
    pub id: String,
    pub settings: Settings,
    pub active: bool,
    /// Whether a client secret (OIDC) or signing key (SAML) is stored.
    pub has_secret: bool,
    /// Where the provider sends people back (OIDC callback or SAML ACS URL).
    pub return_url: String,
    /// This server's SAML metadata for the connection (empty for OIDC).
    pub sp_metadata_url: String,
    pub version: i64,
    /// ISO 8601.
    pub updated: String,
    pub updated_by: String,
}

/// What the editor saves. `id` and `version` are absent for a new connection; `secret` absent
/// keeps the stored one, empty removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ConnectionForm {
    pub id: Option<String>,
    pub version: Option<i64>,
    pub settings: Settings,
    pub secret: Option<String>,
    /// Whether the connection shows on the login page (new connections: active unless said).
    pub active: Option<bool>,
}

/// A button on the login page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct LoginButton {
    pub id: String,
    pub display_name: String,
    pub workspace: String,
    /// Where the button goes: `/sso/<id>/login`.
    pub href: String,
}

/// Whether the workspace's people log in with a password too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PasswordLogin {
    pub enabled: bool,
    /// Whether it may be turned off: an administrator has logged in through an active connection.
    pub can_disable: bool,
}

/// An active connection of the caller's workspace, and whether the caller's account is linked to
/// their account at its provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub id: String,
    pub display_name: String,
    pub linked: bool,
    /// Where the Link button goes: `/sso/<id>/link`.
    pub href: String,
}

/// A test login on its way: open `url` in a popup, then ask for the outcome of `test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TestStart {
    pub test: String,
    pub url: String,
}

/// How a test login went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TestOutcome {
    /// False while the person is still at the provider.
    pub done: bool,
    pub user: Option<MappedUser>,
    /// What a real login would do with this person (link, create, refuse and why).
    pub decision: String,
    /// The provider's or the check's error, in words a person can act on.
    pub error: Option<String>,
}

#[server(prefix = "/fn/admin", endpoint = "identity_providers.list")]
pub async fn list() -> Result<Vec<Connection>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .list(&caller()?.identity.admin("see identity providers")?)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "identity_providers.save", input = leptos::server_fn::codec::Json)]
pub async fn save(form: ConnectionForm) -> Result<Connection, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .save(&caller()?.identity.admin("edit identity providers")?, form)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "identity_providers.delete")]
pub async fn delete(id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .delete(&caller()?.identity.admin("delete identity providers")?, &id)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "identity_providers.set_active")]
pub async fn set_active(id: String, active: bool) -> Result<Connection, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .set_active(
                    &caller()?
                        .identity
                        .admin("turn identity providers on or off")?,
                    &id,
                    active,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "identity_providers.discover")]
pub async fn discover(issuer: String) -> Result<Endpoints, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .discover(
                    &caller()?
                        .identity
                        .admin("read a provider's discovery document")?,
                    &issuer,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "identity_providers.test", input = leptos::server_fn::codec::Json)]
pub async fn test(form: ConnectionForm) -> Result<TestStart, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .start_test(&caller()?.identity.admin("test identity providers")?, form)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "identity_providers.test_outcome")]
pub async fn test_status(test: String) -> Result<TestOutcome, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .test_outcome(&caller()?.identity.admin("test identity providers")?, &test)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "identity_providers.buttons")]
pub async fn buttons() -> Result<Vec<LoginButton>, AppError> {
    use super::backend::*;
    with_request_id(services()?.identity_providers.buttons().await)
}

#[server(prefix = "/fn/admin", endpoint = "identity_providers.password_login")]
pub async fn password_login_status() -> Result<PasswordLogin, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .password_login(&caller()?.identity.admin("see how people log in")?)
                .await
        }
        .await,
    )
}

#[server(
    prefix = "/fn/admin",
    endpoint = "identity_providers.set_password_login"
)]
pub async fn set_password_login(enabled: bool) -> Result<PasswordLogin, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .set_password_login(
                    &caller()?.identity.admin("turn password login on or off")?,
                    enabled,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn", endpoint = "identity_providers.my_links")]
pub async fn my_links() -> Result<Vec<LinkView>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .identity_providers
                .my_links(&caller()?.identity)
                .await
        }
        .await,
    )
}
