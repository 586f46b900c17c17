//! Service accounts through the API: API-only users of the workspace, their key pairs, and whether
//! they may impersonate members (administrators of the workspace).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::service_accounts::ServiceAccount;
use app::domain::AppError;
use app::domain::timefmt::iso_utc;

use super::credentials::KeyPair;
use super::registry::{Ctx, Deleted, Endpoint, IdParam, NoParams, Updated, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "service_accounts.get_all",
        summary: "service accounts with credential count and last activity",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_all(NoParams) -> Accounts,
    },
    endpoint! {
        name: "service_accounts.create",
        summary: "a service account (`name`, `allow_impersonation`) and its first key pair, returned once",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: create(CreateParams) -> Created,
    },
    endpoint! {
        name: "service_accounts.update",
        summary: "rename a service account or change `allow_impersonation` (`id`, `name`, `allow_impersonation`)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: update(UpdateParams) -> Updated,
    },
    endpoint! {
        name: "service_accounts.delete",
        summary: "delete a service account (`id`): its credentials stop working; what it created stays",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: delete(IdParam) -> Deleted,
    },
    endpoint! {
        name: "service_accounts.get_credentials",
        summary: "a service account's key pairs (`id`; never secrets)",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_credentials(IdParam) -> KeyPairs,
    },
    endpoint! {
        name: "service_accounts.create_credentials",
        summary: "another key pair for a service account (`id`, `label`); the secret is returned once",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: create_credentials(CredentialParams) -> NewCredentials,
    },
    endpoint! {
        name: "service_accounts.revoke_credentials",
        summary: "revoke one of a service account's key pairs (`id`, `access_key`)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: revoke_credentials(RevokeParams) -> Revoked,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub username: String,
    pub allow_impersonation: bool,
    pub credentials: i64,
    pub last_active: Option<String>,
    pub created: String,
    pub groups: Vec<String>,
}

impl From<ServiceAccount> for Account {
    fn from(a: ServiceAccount) -> Self {
        Account {
            id: a.id,
            name: a.name,
            username: a.username,
            allow_impersonation: a.allow_impersonation,
            credentials: a.credentials,
            last_active: a.last_active_ms.map(iso_utc),
            created: iso_utc(a.created_ms),
            groups: a.groups,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Accounts {
    pub service_accounts: Vec<Account>,
}

async fn get_all(ctx: Ctx, _: NoParams) -> Result<Accounts, AppError> {
    let list = ctx
        .services()
        .service_accounts
        .list(&ctx.who()?.admin("see service accounts")?)
        .await?;
    Ok(Accounts {
        service_accounts: list.into_iter().map(Account::from).collect(),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateParams {
    pub name: String,
    #[serde(default)]
    pub allow_impersonation: bool,
}

/// A key pair's secret, returned once.
#[derive(Serialize, JsonSchema)]
pub struct Secret {
    pub access_key: String,
    pub secret_key: String,
    pub label: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Created {
    pub service_account: Account,
    pub credentials: Secret,
}

async fn create(ctx: Ctx, p: CreateParams) -> Result<Created, AppError> {
    let created = ctx
        .services()
        .service_accounts
        .create(
            &ctx.who()?.admin("create service accounts")?,
            &p.name,
            p.allow_impersonation,
        )
        .await?;
    Ok(Created {
        service_account: created.account.into(),
        credentials: Secret {
            access_key: created.credentials.info.access_key,
            secret_key: created.credentials.secret_key,
            label: created.credentials.info.label,
        },
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateParams {
    pub id: String,
    pub name: String,
    pub allow_impersonation: bool,
}

async fn update(ctx: Ctx, p: UpdateParams) -> Result<Updated, AppError> {
    ctx.services()
        .service_accounts
        .update(
            &ctx.who()?.admin("edit service accounts")?,
            &p.id,
            &p.name,
            p.allow_impersonation,
        )
        .await?;
    Ok(Updated { updated: 1 })
}

async fn delete(ctx: Ctx, p: IdParam) -> Result<Deleted, AppError> {
    ctx.services()
        .service_accounts
        .delete(&ctx.who()?.admin("delete service accounts")?, &p.id)
        .await?;
    Ok(Deleted { deleted: 1 })
}

#[derive(Serialize, JsonSchema)]
pub struct KeyPairs {
    pub credentials: Vec<KeyPair>,
}

async fn get_credentials(ctx: Ctx, p: IdParam) -> Result<KeyPairs, AppError> {
    let list = ctx
        .services()
        .service_accounts
        .credentials(
            &ctx.who()?.admin("see a service account's credentials")?,
            &p.id,
        )
        .await?;
    Ok(KeyPairs {
        credentials: list.into_iter().map(KeyPair::from).collect(),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct CredentialParams {
    pub id: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Serialize, JsonSchema)]
pub struct NewCredentials {
    pub credentials: Secret,
}

async fn create_credentials(ctx: Ctx, p: CredentialParams) -> Result<NewCredentials, AppError> {
    let c = ctx
        .services()
        .service_accounts
        .create_credentials(
            &ctx.who()?.admin("create a service account's credentials")?,
            &p.id,
            &p.label,
        )
        .await?;
    Ok(NewCredentials {
        credentials: Secret {
            access_key: c.info.access_key,
            secret_key: c.secret_key,
            label: c.info.label,
        },
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct RevokeParams {
    pub id: String,
    pub access_key: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Revoked {
    pub revoked: u32,
}

async fn revoke_credentials(ctx: Ctx, p: RevokeParams) -> Result<Revoked, AppError> {
    ctx.services()
        .service_accounts
        .revoke_credentials(
            &ctx.who()?.admin("revoke a service account's credentials")?,
            &p.id,
            &p.access_key,
        )
        .await?;
    Ok(Revoked { revoked: 1 })
}
