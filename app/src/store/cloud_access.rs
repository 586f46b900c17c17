//! Web App Cloud Access entries: one row per person, workspace and bucket. The secret is stored only
//! sealed by the master key, beside the masked form lists show, so listing never decrypts anything.

use sqlx::Row;

use super::Conn;
use app::domain::cloud_access::CloudAccess;

pub struct NewCloudAccessRow<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub user_id: &'a str,
    pub bucket: &'a str,
    pub access_key: &'a str,
    pub secret_sealed: &'a str,
    pub secret_mask: &'a str,
    pub region: &'a str,
    pub host: &'a str,
    pub now_ms: i64,
}

pub async fn insert(conn: &mut Conn, r: NewCloudAccessRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cloud_access (id, workspace_id, user_id, bucket, access_key, secret_sealed, secret_mask, region, host, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.id)
    .bind(r.workspace_id)
    .bind(r.user_id)
    .bind(r.bucket)
    .bind(r.access_key)
    .bind(r.secret_sealed)
    .bind(r.secret_mask)
    .bind(r.region)
    .bind(r.host)
    .bind(r.now_ms)
    .bind(r.now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The new values of an entry; `secret` is `(sealed, mask)` when it changes.
pub struct CloudAccessUpdate<'a> {
    pub bucket: &'a str,
    pub access_key: &'a str,
    pub secret: Option<(&'a str, &'a str)>,
    pub region: &'a str,
    pub host: &'a str,
    pub now_ms: i64,
}

/// Updates one of the person's entries in the workspace; returns how many rows changed (0 or 1).
pub async fn update(
    conn: &mut Conn,
    id: &str,
    workspace_id: &str,
    user_id: &str,
    u: CloudAccessUpdate<'_>,
) -> Result<u64, sqlx::Error> {
    let (sealed, mask) = u.secret.unzip();
    Ok(sqlx::query(
        "UPDATE cloud_access SET bucket = $1, access_key = $2, secret_sealed = COALESCE($3, secret_sealed), \
         secret_mask = COALESCE($4, secret_mask), region = $5, host = $6, updated_ms = $7 \
         WHERE id = $8 AND workspace_id = $9 AND user_id = $10",
    )
    .bind(u.bucket)
    .bind(u.access_key)
    .bind(sealed)
    .bind(mask)
    .bind(u.region)
    .bind(u.host)
    .bind(u.now_ms)
    .bind(id)
    .bind(workspace_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Deletes every entry a user has in a workspace (when they leave it); returns how many.
pub async fn delete_all_in_workspace(
    conn: &mut Conn,
    user_id: &str,
    workspace_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM cloud_access WHERE user_id = $1 AND workspace_id = $2")
            .bind(user_id)
            .bind(workspace_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn delete(
    conn: &mut Conn,
    id: &str,
    workspace_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query(
            "DELETE FROM cloud_access WHERE id = $1 AND workspace_id = $2 AND user_id = $3",
        )
        .bind(id)
        .bind(workspace_id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected(),
    )
}

const SELECT: &str = "SELECT id, bucket, access_key, secret_mask, region, host, created_ms, updated_ms FROM cloud_access";

fn entry(r: sqlx::any::AnyRow) -> Result<CloudAccess, sqlx::Error> {
    Ok(CloudAccess {
        id: r.try_get("id")?,
        bucket: r.try_get("bucket")?,
        key: r.try_get("access_key")?,
        secret_masked: r.try_get("secret_mask")?,
        region: r.try_get("region")?,
        host: r.try_get("host")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
    })
}

/// The person's entries in the workspace, by bucket.
pub async fn list(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
) -> Result<Vec<CloudAccess>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE workspace_id = $1 AND user_id = $2 ORDER BY bucket, id"
    ))
    .bind(workspace_id)
    .bind(user_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(entry)
    .collect()
}

/// One of the person's entries in the workspace, by id.
pub async fn find(
    conn: &mut Conn,
    id: &str,
    workspace_id: &str,
    user_id: &str,
) -> Result<Option<CloudAccess>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE id = $1 AND workspace_id = $2 AND user_id = $3"
    ))
    .bind(id)
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .map(entry)
    .transpose()
}

/// What signing needs: the entry and its sealed secret, found by bucket.
pub async fn for_bucket(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
    bucket: &str,
) -> Result<Option<(CloudAccess, String)>, sqlx::Error> {
    sqlx::query(
        "SELECT id, bucket, access_key, secret_mask, secret_sealed, region, host, created_ms, updated_ms FROM cloud_access \
         WHERE workspace_id = $1 AND user_id = $2 AND bucket = $3",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(bucket)
    .fetch_optional(conn)
    .await?
    .map(|r| {
        let sealed: String = r.try_get("secret_sealed")?;
        Ok((entry(r)?, sealed))
    })
    .transpose()
}

/// The sealed secret of an entry as stored (for tests that check what is at rest).
pub async fn sealed_secret(conn: &mut Conn, id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT secret_sealed FROM cloud_access WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get("secret_sealed"))
        .transpose()
}
