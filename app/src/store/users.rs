//! Users, workspaces and memberships.

use sqlx::Row;

use super::Conn;
use app::domain::Role;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub kind: String,
    pub created_ms: i64,
}

const USER_COLUMNS: &str = "id, username, email, name, password_hash, kind, created_ms";

pub async fn insert_user(conn: &mut Conn, u: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users (id, username, email, name, password_hash, kind, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&u.id)
    .bind(&u.username)
    .bind(&u.email)
    .bind(&u.name)
    .bind(&u.password_hash)
    .bind(&u.kind)
    .bind(u.created_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a person unless their login name is taken: false when it is (try the next name). A taken
/// e-mail address is an error (a unique violation), as with [`insert_user`]. The unique index on
/// `username` decides between concurrent inserts, so two people never end up with one name.
pub async fn insert_person_if_username_free(
    conn: &mut Conn,
    u: &UserRow,
    email_verified: bool,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO users (id, username, email, name, password_hash, kind, created_ms, updated_ms, email_verified) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) ON CONFLICT (username) DO NOTHING",
    )
    .bind(&u.id)
    .bind(&u.username)
    .bind(&u.email)
    .bind(&u.name)
    .bind(&u.password_hash)
    .bind(&u.kind)
    .bind(u.created_ms)
    .bind(i64::from(email_verified))
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Whether a user's e-mail address is verified.
pub async fn email_verified(conn: &mut Conn, id: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT email_verified FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?
            .map(|r| r.try_get::<i64, _>("email_verified"))
            .transpose()?
            .unwrap_or(0)
            != 0,
    )
}

/// Marks a user's e-mail address verified; true when it was not before.
pub async fn mark_email_verified(
    conn: &mut Conn,
    id: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE users SET email_verified = 1, updated_ms = $1 WHERE id = $2 AND email_verified = 0",
    )
    .bind(now_ms)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn get_user(conn: &mut Conn, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Finds a user by login name or e-mail (both stored lower-case).
pub async fn find_by_login(conn: &mut Conn, login: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let login = login.trim().to_lowercase();
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username = $1 OR email = $1"
    ))
    .bind(login)
    .fetch_optional(conn)
    .await
}

pub async fn count_users(conn: &mut Conn) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(conn)
        .await?
        .try_get("n")
}

pub async fn rename_user(
    conn: &mut Conn,
    id: &str,
    name: &str,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE users SET name = $1, updated_ms = $2 WHERE id = $3")
            .bind(name)
            .bind(now_ms)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn insert_workspace(
    conn: &mut Conn,
    id: &str,
    name: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO workspaces (id, name, created_ms) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now_ms)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
}

pub async fn find_workspace_by_name(
    conn: &mut Conn,
    name: &str,
) -> Result<Option<WorkspaceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, created_ms FROM workspaces WHERE name = $1 ORDER BY created_ms LIMIT 1",
    )
    .bind(name)
    .fetch_optional(conn)
    .await
}

pub async fn first_workspace(conn: &mut Conn) -> Result<Option<WorkspaceRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, created_ms FROM workspaces ORDER BY created_ms, id LIMIT 1")
        .fetch_optional(conn)
        .await
}

pub async fn add_membership(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
    role: Role,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, status, created_ms) VALUES ($1, $2, $3, 'active', $4)",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The workspace a user lands in after login: their oldest active membership.
pub async fn default_membership(
    conn: &mut Conn,
    user_id: &str,
) -> Result<Option<(String, Role)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT workspace_id, role FROM memberships WHERE user_id = $1 AND status = 'active' \
         ORDER BY created_ms, workspace_id LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let role: String = r.try_get("role")?;
        Ok((
            r.try_get("workspace_id")?,
            Role::parse(&role).unwrap_or(Role::Member),
        ))
    })
    .transpose()
}

pub async fn user_preferences(
    conn: &mut Conn,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT data FROM user_preferences WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get("data"))
        .transpose()
}

pub async fn save_user_preferences(
    conn: &mut Conn,
    user_id: &str,
    json: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO user_preferences (user_id, data, updated_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_ms = excluded.updated_ms",
    )
    .bind(user_id)
    .bind(json)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}
