//! The file server's record of stored files: one row per file in a workspace's space (its size, when
//! it was written and by whom), kept in the transaction that puts the file in place, so that a
//! workspace's stored bytes are one sum.

use sqlx::Row;

use super::Conn;

/// A stored file as the record has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub workspace_id: String,
    pub path: String,
    pub size_bytes: i64,
    pub created_ms: i64,
    pub uploaded_by: String,
}

/// Records a file written at `path`, replacing the record of the file it overwrote (so that the
/// workspace's total counts the new size only). On PostgreSQL the row stays locked until the
/// transaction ends, so writers of the same path take turns; on SQLite the write transaction
/// (`BEGIN IMMEDIATE`) already holds the database's write lock.
pub async fn put(
    conn: &mut Conn,
    workspace_id: &str,
    path: &str,
    size_bytes: i64,
    now_ms: i64,
    uploaded_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO stored_files (workspace_id, path, size_bytes, created_ms, uploaded_by) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (workspace_id, path) DO UPDATE SET size_bytes = excluded.size_bytes, \
         created_ms = excluded.created_ms, uploaded_by = excluded.uploaded_by",
    )
    .bind(workspace_id)
    .bind(path)
    .bind(size_bytes)
    .bind(now_ms)
    .bind(uploaded_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The record of one file.
pub async fn get(
    conn: &mut Conn,
    workspace_id: &str,
    path: &str,
) -> Result<Option<StoredFile>, sqlx::Error> {
    sqlx::query(
        "SELECT workspace_id, path, size_bytes, created_ms, uploaded_by FROM stored_files \
         WHERE workspace_id = $1 AND path = $2",
    )
    .bind(workspace_id)
    .bind(path)
    .fetch_optional(conn)
    .await?
    .map(|r| {
        Ok(StoredFile {
            workspace_id: r.try_get(0)?,
            path: r.try_get(1)?,
            size_bytes: r.try_get(2)?,
            created_ms: r.try_get(3)?,
            uploaded_by: r.try_get(4)?,
        })
    })
    .transpose()
}

/// Removes the record of one file; whether there was one.
pub async fn delete(conn: &mut Conn, workspace_id: &str, path: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM stored_files WHERE workspace_id = $1 AND path = $2")
        .bind(workspace_id)
        .bind(path)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The bytes a workspace stores, and in how many files.
pub async fn usage(conn: &mut Conn, workspace_id: &str) -> Result<(i64, i64), sqlx::Error> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL, which the Any driver cannot read: cast it back.
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
         FROM stored_files WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_one(conn)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// The bytes a workspace stores.
pub async fn total_bytes(conn: &mut Conn, workspace_id: &str) -> Result<i64, sqlx::Error> {
    Ok(usage(conn, workspace_id).await?.0)
}

/// A recorded path in the way of a file at `path`: one of its folders recorded as a file, or a
/// file under `path` as a folder. A bucket, unlike a folder, would hold both; the file server keeps
/// the folder's rule everywhere.
pub async fn in_the_way(
    conn: &mut Conn,
    workspace_id: &str,
    path: &str,
) -> Result<Option<String>, sqlx::Error> {
    let folders: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
    let mut sql = String::from(
        "SELECT path FROM stored_files WHERE workspace_id = $1 \
         AND (SUBSTR(path, 1, CAST($2 AS INTEGER)) = $3",
    );
    for i in 0..folders.len() {
        sql.push_str(&format!(" OR path = ${}", i + 4));
    }
    sql.push_str(") LIMIT 1");
    let under = format!("{path}/");
    let mut q = sqlx::query(&sql)
        .bind(workspace_id)
        .bind(under.chars().count() as i64)
        .bind(under.as_str());
    for f in &folders {
        q = q.bind(*f);
    }
    q.fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}
