//! Web App Cloud Access through the API: the caller's storage credentials in their workspace
//! (secrets only ever masked) and presigned links signed with them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::domain::AppError;
use app::domain::cloud_access::{CloudAccess, CloudAccessForm};
use app::domain::timefmt::iso_utc;

use super::registry::{Ctx, Deleted, Endpoint, IdParam, NoParams, endpoint, lenient};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "users.get_cloud_access",
        summary: "your storage credentials in the current workspace (`secret` masked)",
        access: Member,
        writes: false,
        impersonation: false,
        handler: get(NoParams) -> Entries,
    },
    endpoint! {
        name: "users.set_cloud_access",
        summary: "add (no `id`) or edit (`id`): `bucket`, `key`, `secret` (empty on edit keeps it), `region`, `host` (empty for AWS)",
        access: Member,
        writes: true,
        impersonation: false,
        handler: set(SetParams) -> Saved,
    },
    endpoint! {
        name: "users.delete_cloud_access",
        summary: "delete one of your storage credentials (`id`)",
        access: Member,
        writes: true,
        impersonation: false,
        handler: delete(IdParam) -> Deleted,
    },
    endpoint! {
        name: "users.presign_cloud_url",
        summary: "a presigned GET URL for `url` (`s3://bucket/key`) or `bucket` + `key`, signed with your entry for that bucket; `expires_in` seconds (default 900, at most 7 days)",
        access: Member,
        writes: false,
        impersonation: false,
        handler: presign(PresignParams) -> Presigned,
    },
];

/// An entry as the API shows it: the secret only masked.
#[derive(Serialize, JsonSchema)]
pub struct Entry {
    pub id: String,
    pub bucket: String,
    pub key: String,
    pub secret: String,
    pub region: String,
    pub host: String,
    pub created: String,
    pub updated: String,
}

impl From<CloudAccess> for Entry {
    fn from(e: CloudAccess) -> Self {
        Entry {
            id: e.id,
            bucket: e.bucket,
            key: e.key,
            secret: e.secret_masked,
            region: e.region,
            host: e.host,
            created: iso_utc(e.created_ms),
            updated: iso_utc(e.updated_ms),
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Entries {
    pub entries: Vec<Entry>,
}

async fn get(ctx: Ctx, _: NoParams) -> Result<Entries, AppError> {
    let entries = ctx.services().cloud_access.list(&ctx.who()?).await?;
    Ok(Entries {
        entries: entries.into_iter().map(Entry::from).collect(),
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct SetParams {
    /// Empty or missing to add.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub bucket: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub host: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Saved {
    pub entry: Entry,
}

async fn set(ctx: Ctx, p: SetParams) -> Result<Saved, AppError> {
    let form = CloudAccessForm {
        id: p.id,
        bucket: p.bucket,
        key: p.key,
        secret: p.secret,
        region: p.region,
        host: p.host,
    };
    let saved = ctx.services().cloud_access.save(&ctx.who()?, form).await?;
    Ok(Saved {
        entry: saved.into(),
    })
}

async fn delete(ctx: Ctx, p: IdParam) -> Result<Deleted, AppError> {
    ctx.services()
        .cloud_access
        .delete(&ctx.who()?, &p.id)
        .await?;
    Ok(Deleted { deleted: 1 })
}

#[derive(Deserialize, JsonSchema)]
pub struct PresignParams {
    /// `s3://bucket/key`.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub expires_in: Option<i64>,
}

#[derive(Serialize, JsonSchema)]
pub struct Presigned {
    pub url: String,
    pub bucket: String,
    pub key: String,
    pub expires: String,
}

async fn presign(ctx: Ctx, p: PresignParams) -> Result<Presigned, AppError> {
    let path = p.url.or(p.key).unwrap_or_default();
    let signed = ctx
        .services()
        .cloud_access
        .presign(
            &ctx.who()?,
            p.bucket.as_deref().unwrap_or_default(),
            &path,
            p.expires_in,
        )
        .await?;
    Ok(Presigned {
        url: signed.url,
        bucket: signed.bucket,
        key: signed.key,
        expires: iso_utc(signed.expires_ms),
    })
}
