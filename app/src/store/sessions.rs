//! Browser sessions, stored by the hash of their cookie value.

use sqlx::Row;

use super::Conn;
use app::domain::identity::Channel;
use app::domain::{Identity, Role};

pub struct NewSessionRow<'a> {
    pub id_hash: &'a str,
    pub user_id: &'a str,
    pub workspace_id: &'a str,
    pub now_ms: i64,
    pub expires_ms: i64,
    pub client_ip: &'a str,
    pub tip_pending: bool,
}

pub async fn insert(conn: &mut Conn, s: NewSessionRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, workspace_id, created_ms, expires_ms, last_seen_ms, client_ip, tip_pending) \
         VALUES ($1, $2, $3, $4, $5, $4, $6, $7)",
    )
    .bind(s.id_hash)
    .bind(s.user_id)
    .bind(s.workspace_id)
    .bind(s.now_ms)
    .bind(s.expires_ms)
    .bind(s.client_ip)
    .bind(i64::from(s.tip_pending))
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session with the identity it carries.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub identity: Identity,
    pub tip_pending: bool,
    pub last_seen_ms: i64,
}

/// The unexpired session with this hash, joined with its user and active membership.
pub async fn find_live(
    conn: &mut Conn,
    id_hash: &str,
    now_ms: i64,
) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.user_id, u.name AS user_name, u.email, s.workspace_id, w.name AS workspace_name, m.role, \
                s.tip_pending, s.last_seen_ms \
         FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         JOIN workspaces w ON w.id = s.workspace_id \
         JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id AND m.status = 'active' \
         WHERE s.id_hash = $1 AND s.expires_ms > $2",
    )
    .bind(id_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let role: String = r.try_get("role")?;
        Ok(SessionRow {
            identity: Identity {
                user_id: r.try_get("user_id")?,
                user_name: r.try_get("user_name")?,
                email: r.try_get("email")?,
                workspace_id: r.try_get("workspace_id")?,
                workspace_name: r.try_get("workspace_name")?,
                role: Role::parse(&role).unwrap_or(Role::Member),
                channel: Channel::Web,
                actor: app::domain::identity::Actor::Person,
            },
            tip_pending: r.try_get::<i64, _>("tip_pending")? != 0,
            last_seen_ms: r.try_get("last_seen_ms")?,
        })
    })
    .transpose()
}

pub async fn touch(conn: &mut Conn, id_hash: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE id_hash = $2")
        .bind(now_ms)
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn clear_tip(conn: &mut Conn, id_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET tip_pending = 0 WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, id_hash: &str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?
        .rows_affected())
}

pub async fn delete_expired(conn: &mut Conn, now_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1")
        .bind(now_ms)
        .execute(conn)
        .await?
        .rows_affected())
}
