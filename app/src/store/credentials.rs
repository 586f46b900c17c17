//! API credentials: stored by access key with a keyed hash of the secret; revocation is a timestamp,
//! so the row (and its audit trail) stays.

use sqlx::Row;

use super::Conn;
use app::domain::credentials::CredentialInfo;
use app::domain::{Identity, Role};

pub struct NewCredentialRow<'a> {
    pub id: &'a str,
    pub access_key: &'a str,
    pub secret_hash: &'a str,
    pub user_id: &'a str,
    pub workspace_id: &'a str,
    pub label: &'a str,
    pub created_ms: i64,
    pub created_by: &'a str,
    pub expires_ms: Option<i64>,
}

pub async fn insert(conn: &mut Conn, c: NewCredentialRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO credentials (id, access_key, secret_hash, user_id, workspace_id, label, created_ms, created_by, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(c.id)
    .bind(c.access_key)
    .bind(c.secret_hash)
    .bind(c.user_id)
    .bind(c.workspace_id)
    .bind(c.label)
    .bind(c.created_ms)
    .bind(c.created_by)
    .bind(c.expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live credential with the identity it acts as (its user, in its workspace, while a member).
#[derive(Debug, Clone)]
pub struct AuthRow {
    pub id: String,
    pub secret_hash: String,
    pub expires_ms: Option<i64>,
    pub revoked: bool,
    pub last_used_ms: Option<i64>,
    pub last_used_from: Option<String>,
    /// The credential's user is a service account (and whether it may impersonate members).
    pub service_account: bool,
    pub allow_impersonation: bool,
    pub identity: Identity,
}

const AUTH_SELECT: &str = "SELECT c.id, c.secret_hash, c.expires_ms, c.revoked_ms, c.last_used_ms, c.last_used_from, c.user_id, u.name AS user_name, u.email, \
            u.kind, u.allow_impersonation, c.workspace_id, w.name AS workspace_name, m.role \
     FROM credentials c \
     JOIN users u ON u.id = c.user_id \
     JOIN workspaces w ON w.id = c.workspace_id \
     JOIN memberships m ON m.workspace_id = c.workspace_id AND m.user_id = c.user_id AND m.status = 'active'";

fn auth_row(r: sqlx::any::AnyRow) -> Result<AuthRow, sqlx::Error> {
    let role: String = r.try_get("role")?;
    let service_account = r.try_get::<String, _>("kind")? == "service";
    Ok(AuthRow {
        id: r.try_get("id")?,
        secret_hash: r.try_get("secret_hash")?,
        expires_ms: r.try_get("expires_ms")?,
        revoked: r.try_get::<Option<i64>, _>("revoked_ms")?.is_some(),
        last_used_ms: r.try_get("last_used_ms")?,
        last_used_from: r.try_get("last_used_from")?,
        service_account,
        allow_impersonation: r.try_get::<i64, _>("allow_impersonation")? != 0,
        identity: Identity {
            user_id: r.try_get("user_id")?,
            user_name: r.try_get("user_name")?,
            email: r.try_get("email")?,
            workspace_id: r.try_get("workspace_id")?,
            workspace_name: r.try_get("workspace_name")?,
            role: Role::parse(&role).unwrap_or(Role::Member),
            channel: app::domain::identity::Channel::Api,
            actor: if service_account {
                app::domain::identity::Actor::ServiceAccount
            } else {
                app::domain::identity::Actor::Person
            },
        },
    })
}

pub async fn find_by_access_key(
    conn: &mut Conn,
    access_key: &str,
) -> Result<Option<AuthRow>, sqlx::Error> {
    sqlx::query(&format!("{AUTH_SELECT} WHERE c.access_key = $1"))
        .bind(access_key)
        .fetch_optional(conn)
        .await?
        .map(auth_row)
        .transpose()
}

pub async fn find_by_id(conn: &mut Conn, id: &str) -> Result<Option<AuthRow>, sqlx::Error> {
    sqlx::query(&format!("{AUTH_SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(auth_row)
        .transpose()
}

pub async fn mark_used(
    conn: &mut Conn,
    id: &str,
    now_ms: i64,
    from: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE credentials SET last_used_ms = $1, last_used_from = $2 WHERE id = $3")
        .bind(now_ms)
        .bind(from)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

fn info_row(r: sqlx::any::AnyRow) -> Result<(String, CredentialInfo), sqlx::Error> {
    Ok((
        r.try_get("id")?,
        CredentialInfo {
            access_key: r.try_get("access_key")?,
            label: r.try_get("label")?,
            workspace_id: r.try_get("workspace_id")?,
            workspace_name: r.try_get("workspace_name")?,
            created_ms: r.try_get("created_ms")?,
            expires_ms: r.try_get("expires_ms")?,
            last_used_ms: r.try_get("last_used_ms")?,
            last_used_from: r.try_get("last_used_from")?,
        },
    ))
}

const INFO_SELECT: &str = "SELECT c.id, c.access_key, c.label, c.workspace_id, w.name AS workspace_name, c.created_ms, \
            c.expires_ms, c.last_used_ms, c.last_used_from \
     FROM credentials c JOIN workspaces w ON w.id = c.workspace_id";

/// A user's unrevoked credentials in the workspaces where they are an active member, newest first.
pub async fn list_for_user(
    conn: &mut Conn,
    user_id: &str,
) -> Result<Vec<CredentialInfo>, sqlx::Error> {
    sqlx::query(&format!(
        "{INFO_SELECT} JOIN memberships m ON m.workspace_id = c.workspace_id AND m.user_id = c.user_id AND m.status = 'active' \
         WHERE c.user_id = $1 AND c.revoked_ms IS NULL ORDER BY c.created_ms DESC, c.id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| info_row(r).map(|(_, info)| info))
    .collect()
}

/// One unrevoked credential of a user, by access key, with its id.
pub async fn find_owned(
    conn: &mut Conn,
    user_id: &str,
    access_key: &str,
) -> Result<Option<(String, CredentialInfo)>, sqlx::Error> {
    sqlx::query(&format!(
        "{INFO_SELECT} WHERE c.user_id = $1 AND c.access_key = $2 AND c.revoked_ms IS NULL"
    ))
    .bind(user_id)
    .bind(access_key)
    .fetch_optional(conn)
    .await?
    .map(info_row)
    .transpose()
}

pub async fn relabel(conn: &mut Conn, id: &str, label: &str) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE credentials SET label = $1 WHERE id = $2 AND revoked_ms IS NULL")
            .bind(label)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn revoke(conn: &mut Conn, id: &str, now_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE credentials SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL")
            .bind(now_ms)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Revokes every credential a user has in a workspace; returns how many.
pub async fn revoke_all_in_workspace(
    conn: &mut Conn,
    user_id: &str,
    workspace_id: &str,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("UPDATE credentials SET revoked_ms = $1 WHERE user_id = $2 AND workspace_id = $3 AND revoked_ms IS NULL")
        .bind(now_ms)
        .bind(user_id)
        .bind(workspace_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Ends a token (`auth.logout`) until it would have expired anyway; tokens already past their
/// expiry are forgotten on the way.
pub async fn revoke_token(
    conn: &mut Conn,
    token_id: &str,
    expires_ms: i64,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM revoked_tokens WHERE expires_ms <= $1")
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO revoked_tokens (token_id, expires_ms) VALUES ($1, $2) ON CONFLICT (token_id) DO NOTHING",
    )
    .bind(token_id)
    .bind(expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a token was logged out.
pub async fn token_revoked(conn: &mut Conn, token_id: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM revoked_tokens WHERE token_id = $1")
            .bind(token_id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}
