//! Reading the audit log through the API (administrators of the workspace).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use app::domain::AppError;
use app::domain::audit::{AuditEntry, AuditQuery};
use app::domain::timefmt::iso_utc;

use super::registry::{Ctx, Endpoint, endpoint, lenient};

pub const ENDPOINTS: &[Endpoint] = &[endpoint! {
    name: "audit.get_all",
    summary: "audit entries, newest first; filters `actor`, `object_type`, `from_ms`, `to_ms`, `before`, `limit`",
    access: Admin,
    writes: false,
    impersonation: false,
    handler: get_all(AuditParams) -> Entries,
}];

#[derive(Deserialize, JsonSchema)]
pub struct AuditParams {
    /// A substring of the actor's name or e-mail.
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub object_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub from_ms: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub to_ms: Option<i64>,
    /// The paging cursor: `[at_ms, id]` of the last entry seen.
    #[serde(default)]
    pub before: Option<(i64, String)>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub limit: Option<i64>,
}

#[derive(Serialize, JsonSchema)]
pub struct Entry {
    pub id: String,
    /// ISO 8601 UTC.
    pub at: String,
    /// The paging cursor's time part.
    pub at_ms: i64,
    pub actor_id: String,
    pub actor_name: String,
    pub channel: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub object_name: String,
    pub summary: Value,
}

#[derive(Serialize, JsonSchema)]
pub struct Entries {
    pub entries: Vec<Entry>,
}

fn entry(e: AuditEntry) -> Entry {
    Entry {
        at: iso_utc(e.at_ms),
        id: e.id,
        at_ms: e.at_ms,
        actor_id: e.actor_id,
        actor_name: e.actor_name,
        channel: e.channel,
        action: e.action,
        object_type: e.object_type,
        object_id: e.object_id,
        object_name: e.object_name,
        summary: e.summary,
    }
}

async fn get_all(ctx: Ctx, p: AuditParams) -> Result<Entries, AppError> {
    let limit =
        match p.limit {
            None => None,
            Some(n) => Some(u32::try_from(n).map_err(|_| {
                AppError::validation("limit", "limit must be a positive whole number")
            })?),
        };
    let query = AuditQuery {
        actor: p.actor,
        object_type: p.object_type,
        from_ms: p.from_ms,
        to_ms: p.to_ms,
        before: p.before,
        limit,
    };
    let list = ctx
        .services()
        .audit
        .list(&ctx.who()?.admin("read the audit log")?, query)
        .await?;
    Ok(Entries {
        entries: list.into_iter().map(entry).collect(),
    })
}
