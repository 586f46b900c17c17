//! Configuration vaults: personal ones (scope `user`) and administrator ones (scope `group`). Text and
//! data arrive sealed; a save names the version it read and changes nothing when it is stale.

use sqlx::Row;

use super::Conn;

#[derive(Debug, Clone)]
pub struct VaultRow {
    pub id: String,
    pub workspace_id: String,
    /// `user` or `group`.
    pub scope: String,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    /// The group's name (administrator vaults), read with the vault.
    pub group_name: Option<String>,
    pub name: String,
    pub description: String,
    pub format: String,
    pub enabled: bool,
    pub text_sealed: String,
    pub data_sealed: String,
    pub version: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub updated_by: String,
}

const COLUMNS: &str = "v.id, v.workspace_id, v.scope, v.user_id, v.group_id, g.name AS group_name, v.name, \
     v.description, v.format, v.enabled, v.text_sealed, v.data_sealed, v.version, v.created_ms, \
     v.updated_ms, v.updated_by";

fn vault_row(r: sqlx::any::AnyRow) -> Result<VaultRow, sqlx::Error> {
    Ok(VaultRow {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        scope: r.try_get("scope")?,
        user_id: r.try_get("user_id")?,
        group_id: r.try_get("group_id")?,
        group_name: r.try_get("group_name")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        format: r.try_get("format")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        text_sealed: r.try_get("text_sealed")?,
        data_sealed: r.try_get("data_sealed")?,
        version: r.try_get("version")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
        updated_by: r.try_get("updated_by")?,
    })
}

/// The workspace's administrator vaults in delivery order: by group name, then vault name.
pub async fn group_vaults(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Vec<VaultRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM vaults v JOIN user_groups g ON g.id = v.group_id \
         WHERE v.workspace_id = $1 AND v.scope = 'group' ORDER BY g.name, v.name, v.id"
    ))
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(vault_row)
    .collect()
}

/// A person's vault in a workspace, if they have one.
pub async fn personal(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
) -> Result<Option<VaultRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM vaults v LEFT JOIN user_groups g ON g.id = v.group_id \
         WHERE v.workspace_id = $1 AND v.scope = 'user' AND v.user_id = $2"
    ))
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .map(vault_row)
    .transpose()
}

/// One vault of a workspace.
pub async fn get(
    conn: &mut Conn,
    workspace_id: &str,
    id: &str,
) -> Result<Option<VaultRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM vaults v LEFT JOIN user_groups g ON g.id = v.group_id \
         WHERE v.workspace_id = $1 AND v.id = $2"
    ))
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(vault_row)
    .transpose()
}

pub async fn insert(conn: &mut Conn, v: &VaultRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO vaults (id, workspace_id, scope, user_id, group_id, name, description, format, enabled, \
         text_sealed, data_sealed, version, created_ms, updated_ms, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&v.id)
    .bind(&v.workspace_id)
    .bind(&v.scope)
    .bind(&v.user_id)
    .bind(&v.group_id)
    .bind(&v.name)
    .bind(&v.description)
    .bind(&v.format)
    .bind(i64::from(v.enabled))
    .bind(&v.text_sealed)
    .bind(&v.data_sealed)
    .bind(v.version)
    .bind(v.created_ms)
    .bind(v.updated_ms)
    .bind(&v.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves a vault's editable fields if it is still at `expected_version`; the version goes up by one.
/// Returns whether it was saved (false: another save came first, or the vault is gone).
pub async fn update(
    conn: &mut Conn,
    v: &VaultRow,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE vaults SET group_id = $1, name = $2, description = $3, format = $4, enabled = $5, \
         text_sealed = $6, data_sealed = $7, version = version + 1, updated_ms = $8, updated_by = $9 \
         WHERE id = $10 AND workspace_id = $11 AND version = $12",
    )
    .bind(&v.group_id)
    .bind(&v.name)
    .bind(&v.description)
    .bind(&v.format)
    .bind(i64::from(v.enabled))
    .bind(&v.text_sealed)
    .bind(&v.data_sealed)
    .bind(v.updated_ms)
    .bind(&v.updated_by)
    .bind(&v.id)
    .bind(&v.workspace_id)
    .bind(expected_version)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(conn: &mut Conn, workspace_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM vaults WHERE workspace_id = $1 AND id = $2")
        .bind(workspace_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a group's vaults (with the group); returns how many there were.
pub async fn delete_for_group(conn: &mut Conn, group_id: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM vaults WHERE group_id = $1")
        .bind(group_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes a person's vault in a workspace (when their membership ends).
pub async fn delete_personal(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM vaults WHERE workspace_id = $1 AND scope = 'user' AND user_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The ids of the groups a member belongs to: Users (everyone), Admins (by role) and the groups
/// that list them.
pub async fn groups_of(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
    is_admin: bool,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query(
        "SELECT id FROM user_groups WHERE workspace_id = $1 AND (builtin = 'users' \
         OR (builtin = 'admins' AND $2 = 1) \
         OR id IN (SELECT group_id FROM group_members WHERE user_id = $3))",
    )
    .bind(workspace_id)
    .bind(i64::from(is_admin))
    .bind(user_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| r.try_get("id"))
    .collect()
}
