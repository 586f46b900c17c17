//! Service accounts: users of kind `service` that belong to one workspace and use API credentials
//! only. A deleted one keeps its row (its tasks still name it) as kind `service_deleted`.

use sqlx::Row;

use super::Conn;

#[derive(Debug, Clone)]
pub struct ServiceAccountRow {
    pub id: String,
    pub name: String,
    pub username: String,
    pub allow_impersonation: bool,
    pub created_ms: i64,
    pub credentials: i64,
    pub last_active_ms: Option<i64>,
}

pub async fn set_impersonation(conn: &mut Conn, id: &str, allow: bool) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE users SET allow_impersonation = $1 WHERE id = $2 AND kind = 'service'")
            .bind(i64::from(allow))
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The live service accounts of a workspace, with their credential count and last use.
pub async fn list(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Vec<ServiceAccountRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT u.id, u.name, u.username, u.allow_impersonation, u.created_ms, \
                (SELECT COUNT(*) FROM credentials c WHERE c.user_id = u.id AND c.revoked_ms IS NULL) AS credentials, \
                (SELECT MAX(c.last_used_ms) FROM credentials c WHERE c.user_id = u.id) AS last_active \
         FROM users u JOIN memberships m ON m.user_id = u.id AND m.workspace_id = $1 AND m.status = 'active' \
         WHERE u.kind = 'service' ORDER BY u.created_ms, u.id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ServiceAccountRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                username: r.try_get("username")?,
                allow_impersonation: r.try_get::<i64, _>("allow_impersonation")? != 0,
                created_ms: r.try_get("created_ms")?,
                credentials: r.try_get("credentials")?,
                last_active_ms: r.try_get("last_active")?,
            })
        })
        .collect()
}

pub async fn mark_deleted(conn: &mut Conn, id: &str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("UPDATE users SET kind = 'service_deleted', allow_impersonation = 0 WHERE id = $1 AND kind = 'service'")
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected())
}
