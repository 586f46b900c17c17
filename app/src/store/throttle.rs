//! Failed-login counters, shared by every replica through the database.

use sqlx::Row;

use super::Conn;
use app::domain::throttle::Counter;

pub async fn get(conn: &mut Conn, key: &str) -> Result<Option<Counter>, sqlx::Error> {
    sqlx::query("SELECT window_start_ms, failures FROM login_throttle WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?
        .map(|r| {
            Ok(Counter {
                window_start_ms: r.try_get("window_start_ms")?,
                failures: r.try_get("failures")?,
            })
        })
        .transpose()
}

pub async fn put(conn: &mut Conn, key: &str, c: Counter) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO login_throttle (key, window_start_ms, failures) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET window_start_ms = excluded.window_start_ms, failures = excluded.failures",
    )
    .bind(key)
    .bind(c.window_start_ms)
    .bind(c.failures)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn clear(conn: &mut Conn, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
