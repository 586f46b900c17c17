//! Identity provider connections through the API (administrators): the same rules as the console's
//! editor. Secrets go in (`secret`) and never come out (`has_secret`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::identity_providers::{
    Connection, ConnectionForm, PasswordLogin, TestOutcome, TestStart,
};
use app::domain::AppError;
use app::domain::identity_providers::{Endpoints, Settings};

use super::registry::{Ctx, Deleted, Endpoint, IdParam, NoParams, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "identity_providers.get_all",
        summary: "the workspace's OIDC and SAML connections (secrets never included: `has_secret`)",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_all(NoParams) -> Connections,
    },
    endpoint! {
        name: "identity_providers.get_by_id",
        summary: "one connection (`id`)",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_by_id(IdParam) -> Connection,
    },
    endpoint! {
        name: "identity_providers.create",
        summary: "a new connection (`settings`, `secret`: the client secret (OIDC) or the private key requests are signed with (SAML; made when absent), `active`)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: create(CreateParams) -> Connection,
    },
    endpoint! {
        name: "identity_providers.update",
        summary: "save a connection from the `version` read (`id`, `version`, `settings`, `secret`: absent keeps it, empty removes it)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: update(UpdateParams) -> Connection,
    },
    endpoint! {
        name: "identity_providers.delete",
        summary: "delete a connection (`id`); accounts it linked stay",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: delete(IdParam) -> Deleted,
    },
    endpoint! {
        name: "identity_providers.set_active",
        summary: "show a connection on the login page or hide it (`id`, `active`)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: set_active(ActiveParams) -> Connection,
    },
    endpoint! {
        name: "identity_providers.discover",
        summary: "an issuer's endpoints from its discovery document (`issuer`)",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: discover(DiscoverParams) -> Endpoints,
    },
    endpoint! {
        name: "identity_providers.test",
        summary: "start a test login with these settings, saved or not (`id?`, `settings`, `secret?`): open `url`, then read `identity_providers.test_outcome`",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: test(TestParams) -> TestStart,
    },
    endpoint! {
        name: "identity_providers.test_outcome",
        summary: "how a test login went (`test`): the mapped person, what a real login would do, or the error",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: test_outcome(OutcomeParams) -> TestOutcome,
    },
    endpoint! {
        name: "identity_providers.password_login",
        summary: "whether the workspace's people may log in with a password (`enabled`) and whether it may be turned off (`can_disable`: an administrator has logged in through an active connection)",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: password_login(NoParams) -> PasswordLogin,
    },
    endpoint! {
        name: "identity_providers.set_password_login",
        summary: "turn password login on or off (`enabled`); off only once an administrator has logged in through an active connection",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: set_password_login(PasswordParams) -> PasswordLogin,
    },
];

async fn password_login(ctx: Ctx, _: NoParams) -> Result<PasswordLogin, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .password_login(&who.admin("see how people log in")?)
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct PasswordParams {
    pub enabled: bool,
}

async fn set_password_login(ctx: Ctx, p: PasswordParams) -> Result<PasswordLogin, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .set_password_login(&who.admin("turn password login on or off")?, p.enabled)
        .await
}

#[derive(Serialize, JsonSchema)]
pub struct Connections {
    pub connections: Vec<Connection>,
}

async fn get_all(ctx: Ctx, _: NoParams) -> Result<Connections, AppError> {
    let who = ctx.who()?;
    let connections = ctx
        .services()
        .identity_providers
        .list(&who.admin("see identity providers")?)
        .await?;
    Ok(Connections { connections })
}

async fn get_by_id(ctx: Ctx, p: IdParam) -> Result<Connection, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .get(&who.admin("see identity providers")?, &p.id)
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateParams {
    pub settings: Settings,
    pub secret: Option<String>,
    pub active: Option<bool>,
}

async fn create(ctx: Ctx, p: CreateParams) -> Result<Connection, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .save(
            &who.admin("edit identity providers")?,
            ConnectionForm {
                id: None,
                version: None,
                settings: p.settings,
                secret: p.secret,
                active: p.active,
            },
        )
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateParams {
    pub id: String,
    pub version: i64,
    pub settings: Settings,
    pub secret: Option<String>,
    pub active: Option<bool>,
}

async fn update(ctx: Ctx, p: UpdateParams) -> Result<Connection, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .save(
            &who.admin("edit identity providers")?,
            ConnectionForm {
                id: Some(p.id),
                version: Some(p.version),
                settings: p.settings,
                secret: p.secret,
                active: p.active,
            },
        )
        .await
}

async fn delete(ctx: Ctx, p: IdParam) -> Result<Deleted, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .delete(&who.admin("delete identity providers")?, &p.id)
        .await?;
    Ok(Deleted { deleted: 1 })
}

#[derive(Deserialize, JsonSchema)]
pub struct ActiveParams {
    pub id: String,
    pub active: bool,
}

async fn set_active(ctx: Ctx, p: ActiveParams) -> Result<Connection, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .set_active(
            &who.admin("turn identity providers on or off")?,
            &p.id,
            p.active,
        )
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct DiscoverParams {
    pub issuer: String,
}

async fn discover(ctx: Ctx, p: DiscoverParams) -> Result<Endpoints, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .discover(
            &who.admin("read a provider's discovery document")?,
            &p.issuer,
        )
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct TestParams {
    pub id: Option<String>,
    pub settings: Settings,
    pub secret: Option<String>,
}

async fn test(ctx: Ctx, p: TestParams) -> Result<TestStart, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .start_test(
            &who.admin("test identity providers")?,
            ConnectionForm {
                id: p.id,
                version: None,
                settings: p.settings,
                secret: p.secret,
                active: None,
            },
        )
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct OutcomeParams {
    pub test: String,
}

async fn test_outcome(ctx: Ctx, p: OutcomeParams) -> Result<TestOutcome, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .identity_providers
        .test_outcome(&who.admin("test identity providers")?, &p.test)
        .await
}
