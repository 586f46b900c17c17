//! API credentials: logging in with a key pair or a token (`auth.login`), and the caller's own key
//! pairs. Impersonating tokens may only refresh themselves here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::domain::AppError;
use app::domain::credentials::CredentialInfo;
use app::domain::timefmt::iso_utc;

use super::registry::{Ctx, Endpoint, NoParams, endpoint, lenient};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "auth.login",
        summary: "a JWT for the caller (`expiration_sec` optional, bounded by `--token-max-hours`); with `X-Clearml-Impersonate-As: <user id>`, a token acting as that member",
        access: Credential,
        writes: false,
        impersonation: true,
        handler: login(LoginParams) -> Token,
    },
    endpoint! {
        name: "auth.logout",
        summary: "end the token this call carries: it stops working at once (other tokens of the key pair do not)",
        access: Credential,
        writes: true,
        impersonation: true,
        handler: logout(NoParams) -> Empty,
    },
    endpoint! {
        name: "auth.create_credentials",
        summary: "a new key pair (`label`, `expires_in_days`, `workspace`); the secret is returned once",
        access: Member,
        writes: true,
        impersonation: false,
        handler: create(CreateParams) -> Created,
    },
    endpoint! {
        name: "auth.get_credentials",
        summary: "your key pairs in every workspace you belong to, with last use (never secrets)",
        access: Member,
        writes: false,
        impersonation: false,
        handler: get(NoParams) -> Listed,
    },
    endpoint! {
        name: "auth.edit_credentials",
        summary: "relabel one of your key pairs (`access_key`, `label`)",
        access: Member,
        writes: true,
        impersonation: false,
        handler: edit(EditParams) -> Edited,
    },
    endpoint! {
        name: "auth.revoke_credentials",
        summary: "revoke one of your key pairs (`access_key`); its tokens stop working at once",
        access: Member,
        writes: true,
        impersonation: false,
        handler: revoke(RevokeParams) -> Revoked,
    },
];

#[derive(Deserialize, JsonSchema)]
pub struct LoginParams {
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub expiration_sec: Option<i64>,
}

#[derive(Serialize, JsonSchema)]
pub struct Token {
    pub token: String,
}

async fn login(ctx: Ctx, p: LoginParams) -> Result<Token, AppError> {
    let caller = ctx.caller()?;
    let (token, _) = ctx
        .services()
        .credentials
        .issue_token(caller, p.expiration_sec, ctx.impersonate.as_deref())
        .await?;
    Ok(Token { token })
}

/// An empty answer.
#[derive(Serialize, JsonSchema)]
pub struct Empty {}

async fn logout(ctx: Ctx, _: NoParams) -> Result<Empty, AppError> {
    ctx.services()
        .credentials
        .logout(&ctx.api_caller()?)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize, JsonSchema)]
pub struct CreateParams {
    #[serde(default)]
    pub label: String,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub expires_in_days: Option<i64>,
    /// Another workspace of the caller's (default: the current one).
    #[serde(default)]
    pub workspace: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct NewKeyPair {
    pub access_key: String,
    pub secret_key: String,
    pub label: String,
    pub workspace: String,
    /// ISO 8601 UTC, or null.
    pub expires: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct Created {
    pub credentials: NewKeyPair,
}

async fn create(ctx: Ctx, p: CreateParams) -> Result<Created, AppError> {
    let created = ctx
        .services()
        .credentials
        .create(&ctx.who()?, p.workspace, &p.label, p.expires_in_days)
        .await?;
    Ok(Created {
        credentials: NewKeyPair {
            access_key: created.info.access_key,
            secret_key: created.secret_key,
            label: created.info.label,
            workspace: created.info.workspace_id,
            expires: created.info.expires_ms.map(iso_utc),
        },
    })
}

/// A key pair as the API lists it (never the secret).
#[derive(Serialize, JsonSchema)]
pub struct KeyPair {
    pub access_key: String,
    pub label: String,
    pub workspace: String,
    pub workspace_name: String,
    pub created: String,
    pub expires: Option<String>,
    pub last_used: Option<String>,
    pub last_used_from: Option<String>,
}

impl From<CredentialInfo> for KeyPair {
    fn from(c: CredentialInfo) -> Self {
        KeyPair {
            access_key: c.access_key,
            label: c.label,
            workspace: c.workspace_id,
            workspace_name: c.workspace_name,
            created: iso_utc(c.created_ms),
            expires: c.expires_ms.map(iso_utc),
            last_used: c.last_used_ms.map(iso_utc),
            last_used_from: c.last_used_from,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Listed {
    pub credentials: Vec<KeyPair>,
}

async fn get(ctx: Ctx, _: NoParams) -> Result<Listed, AppError> {
    let list = ctx.services().credentials.list(&ctx.who()?).await?;
    Ok(Listed {
        credentials: list.into_iter().map(KeyPair::from).collect(),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct EditParams {
    pub access_key: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Edited {
    pub updated: u32,
}

async fn edit(ctx: Ctx, p: EditParams) -> Result<Edited, AppError> {
    ctx.services()
        .credentials
        .relabel(&ctx.who()?, &p.access_key, &p.label)
        .await?;
    Ok(Edited { updated: 1 })
}

#[derive(Deserialize, JsonSchema)]
pub struct RevokeParams {
    pub access_key: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Revoked {
    pub revoked: u32,
}

async fn revoke(ctx: Ctx, p: RevokeParams) -> Result<Revoked, AppError> {
    ctx.services()
        .credentials
        .revoke(&ctx.who()?, &p.access_key)
        .await?;
    Ok(Revoked { revoked: 1 })
}
