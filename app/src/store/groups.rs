//! User groups and their stored members.

use sqlx::Row;

use super::Conn;

#[derive(Debug, Clone)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub builtin: Option<String>,
    pub created_ms: i64,
}

/// Creates a workspace's built-in groups if they are missing (every replica may race here safely).
pub async fn ensure_builtins(
    conn: &mut Conn,
    workspace_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    for (kind, name, description) in [
        (
            "users",
            "Users",
            "Everyone in the workspace, service accounts included.",
        ),
        (
            "admins",
            "Admins",
            "Read and write on all resources except queue changes; may grant access.",
        ),
        (
            "queue_admins",
            "Queue admins",
            "May create, delete and rename queues.",
        ),
    ] {
        sqlx::query(
            "INSERT INTO user_groups (id, workspace_id, name, description, builtin, created_ms) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT DO NOTHING",
        )
        .bind(crate::crypto::new_id())
        .bind(workspace_id)
        .bind(name)
        .bind(description)
        .bind(kind)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn group_row(r: sqlx::any::AnyRow) -> Result<GroupRow, sqlx::Error> {
    Ok(GroupRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        builtin: r.try_get("builtin")?,
        created_ms: r.try_get("created_ms")?,
    })
}

pub async fn list(conn: &mut Conn, workspace_id: &str) -> Result<Vec<GroupRow>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, description, builtin, created_ms FROM user_groups WHERE workspace_id = $1 \
         ORDER BY CASE builtin WHEN 'users' THEN 0 WHEN 'admins' THEN 1 WHEN 'queue_admins' THEN 2 ELSE 3 END, created_ms, name",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(group_row)
    .collect()
}

pub async fn insert(
    conn: &mut Conn,
    id: &str,
    workspace_id: &str,
    name: &str,
    description: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO user_groups (id, workspace_id, name, description, builtin, created_ms) VALUES ($1, $2, $3, $4, NULL, $5)")
        .bind(id)
        .bind(workspace_id)
        .bind(name)
        .bind(description)
        .bind(now_ms)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn update(
    conn: &mut Conn,
    id: &str,
    name: &str,
    description: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE user_groups SET name = $1, description = $2 WHERE id = $3")
        .bind(name)
        .bind(description)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn members(conn: &mut Conn, group_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query("SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id")
        .bind(group_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| r.try_get("user_id"))
        .collect()
}

pub async fn set_members(
    conn: &mut Conn,
    group_id: &str,
    user_ids: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    for u in user_ids {
        sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)")
            .bind(group_id)
            .bind(u)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn delete(conn: &mut Conn, group_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM user_groups WHERE id = $1")
        .bind(group_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a user from every stored group of a workspace (when they leave it or are removed).
pub async fn remove_user_everywhere(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM group_members WHERE user_id = $1 AND group_id IN (SELECT id FROM user_groups WHERE workspace_id = $2)")
        .bind(user_id)
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every stored membership of a workspace's groups, as (group id, user id).
pub async fn memberships(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query(
        "SELECT m.group_id, m.user_id FROM group_members m JOIN user_groups g ON g.id = m.group_id \
         WHERE g.workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get("group_id")?, r.try_get("user_id")?)))
    .collect()
}

/// Puts a user in a stored group (nothing when they are in it).
pub async fn add_member(conn: &mut Conn, group_id: &str, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) \
         ON CONFLICT (group_id, user_id) DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a user out of a stored group.
pub async fn remove_member(
    conn: &mut Conn,
    group_id: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
