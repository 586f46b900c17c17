//! Server-wide secrets (the JWT signing key, shared by every replica) and one-time set-up links.

use sqlx::Row;

use super::Conn;

/// The stored value of a named secret, inserting `candidate` first if there is none. Every replica
/// that races here reads back the same winner.
pub async fn get_or_insert(
    conn: &mut Conn,
    name: &str,
    candidate: &str,
    now_ms: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query("INSERT INTO server_secrets (name, value, created_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(candidate)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(conn)
        .await?
        .try_get("value")
}

/// Replaces any open set-up link with a new one.
pub async fn replace_setup_token(
    conn: &mut Conn,
    token_hash: &str,
    expires_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM setup_tokens")
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO setup_tokens (token_hash, expires_ms, used) VALUES ($1, $2, 0)")
        .bind(token_hash)
        .bind(expires_ms)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn setup_token_open(
    conn: &mut Conn,
    token_hash: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT 1 AS one FROM setup_tokens WHERE token_hash = $1 AND used = 0 AND expires_ms > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Marks the link used; true only for the one caller that used it first.
pub async fn use_setup_token(
    conn: &mut Conn,
    token_hash: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE setup_tokens SET used = 1 WHERE token_hash = $1 AND used = 0 AND expires_ms > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
