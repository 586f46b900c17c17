//! Failed-login counters, shared by every replica through the database. A reservation locks a counter's
//! row for the rest of its transaction (an upsert that changes nothing makes and locks the row on
//! PostgreSQL; on SQLite the transaction is `BEGIN IMMEDIATE`, so it holds the write lock already), so
//! that reading the counter, deciding in the domain and writing it back is one atomic step however many
//! attempts arrive at once. Rows expire: [`sweep_one`] deletes one whose time has passed.

use sqlx::Row;

use super::Conn;
use app::domain::throttle::Counter;

fn counter(r: &sqlx::any::AnyRow) -> Result<Counter, sqlx::Error> {
    Ok(Counter {
        failures: r.try_get("failures")?,
        window_start_ms: r.try_get("window_start_ms")?,
        not_before_ms: r.try_get("not_before_ms")?,
        expires_ms: r.try_get("expires_ms")?,
    })
}

/// Locks the counter of `key` until the transaction ends and reads it. A key without a row gets one
/// with nothing reserved (which the domain treats as absent, and which a rollback removes again).
pub async fn lock(conn: &mut Conn, key: &str) -> Result<Counter, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO login_throttle (key, failures, window_start_ms, not_before_ms, expires_ms) \
         VALUES ($1, 0, 0, 0, 0) \
         ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures \
         RETURNING failures, window_start_ms, not_before_ms, expires_ms",
    )
    .bind(key)
    .fetch_one(conn)
    .await?;
    counter(&row)
}

/// Writes a counter back (after [`lock`] in the same transaction).
pub async fn put(conn: &mut Conn, key: &str, c: Counter) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE login_throttle SET failures = $2, window_start_ms = $3, not_before_ms = $4, \
         expires_ms = $5 WHERE key = $1",
    )
    .bind(key)
    .bind(c.failures)
    .bind(c.window_start_ms)
    .bind(c.not_before_ms)
    .bind(c.expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives one reservation back (a successful attempt is not a failure).
pub async fn give_back(conn: &mut Conn, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
    )
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a counter.
pub async fn clear(conn: &mut Conn, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes one counter whose time has passed; whether there was one. One row per statement, so that
/// the sweep never holds one row while waiting for another (no deadlock with reservations), and a row
/// that a reservation renewed meanwhile is left alone (the outer condition is checked again).
pub async fn sweep_one(conn: &mut Conn, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM login_throttle WHERE key IN \
         (SELECT key FROM login_throttle WHERE expires_ms <= $1 ORDER BY expires_ms LIMIT 1) \
         AND expires_ms <= $1",
    )
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A counter as stored, if there is one.
pub async fn get(conn: &mut Conn, key: &str) -> Result<Option<Counter>, sqlx::Error> {
    sqlx::query(
        "SELECT failures, window_start_ms, not_before_ms, expires_ms FROM login_throttle \
         WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(counter)
    .transpose()
}

/// How many counters are stored.
pub async fn count(conn: &mut Conn) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM login_throttle")
        .fetch_one(conn)
        .await?
        .try_get("n")
}
