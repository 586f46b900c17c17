//! Workspaces a user belongs to, switching, renaming, leaving, invitations and API usage counters.

use sqlx::Row;

use super::Conn;
use app::domain::Role;

/// One of a user's workspaces.
#[derive(Debug, Clone)]
pub struct MembershipRow {
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: Role,
    pub owner_id: Option<String>,
    pub joined_ms: i64,
    pub max_credential_days: Option<i64>,
}

pub async fn memberships(
    conn: &mut Conn,
    user_id: &str,
) -> Result<Vec<MembershipRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT w.id, w.name, m.role, w.owner_id, m.created_ms, w.max_credential_days FROM memberships m \
         JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 AND m.status = 'active' ORDER BY m.created_ms, w.id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(MembershipRow {
                workspace_id: r.try_get("id")?,
                workspace_name: r.try_get("name")?,
                role: Role::parse(&role).unwrap_or(Role::Member),
                owner_id: r.try_get("owner_id")?,
                joined_ms: r.try_get("created_ms")?,
                max_credential_days: r.try_get("max_credential_days")?,
            })
        })
        .collect()
}

pub async fn membership(
    conn: &mut Conn,
    user_id: &str,
    workspace_id: &str,
) -> Result<Option<MembershipRow>, sqlx::Error> {
    Ok(memberships(conn, user_id)
        .await?
        .into_iter()
        .find(|m| m.workspace_id == workspace_id))
}

/// The workspace's owner (the person it was created for), if it has one.
pub async fn owner(conn: &mut Conn, workspace_id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query("SELECT owner_id FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get::<Option<String>, _>("owner_id"))
        .transpose()?
        .flatten())
}

pub async fn set_owner(
    conn: &mut Conn,
    workspace_id: &str,
    owner_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workspaces SET owner_id = $1 WHERE id = $2")
        .bind(owner_id)
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn rename(conn: &mut Conn, workspace_id: &str, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workspaces SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_max_credential_days(
    conn: &mut Conn,
    workspace_id: &str,
    days: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workspaces SET max_credential_days = $1 WHERE id = $2")
        .bind(days)
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count_admins(conn: &mut Conn, workspace_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM memberships WHERE workspace_id = $1 AND role = 'admin' AND status = 'active'")
        .bind(workspace_id)
        .fetch_one(conn)
        .await?
        .try_get("n")
}

pub async fn remove_membership(
    conn: &mut Conn,
    user_id: &str,
    workspace_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND workspace_id = $2")
            .bind(user_id)
            .bind(workspace_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Moves a user's sessions that are in `from` to `to`.
pub async fn move_sessions(
    conn: &mut Conn,
    user_id: &str,
    from: &str,
    to: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET workspace_id = $1 WHERE user_id = $2 AND workspace_id = $3")
        .bind(to)
        .bind(user_id)
        .bind(from)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn switch_session(
    conn: &mut Conn,
    session_hash: &str,
    workspace_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE sessions SET workspace_id = $1 WHERE id_hash = $2")
            .bind(workspace_id)
            .bind(session_hash)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// A pending invitation.
#[derive(Debug, Clone)]
pub struct InvitationRow {
    pub id: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub email: String,
    pub invited_by_name: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    /// The current link went out by e-mail only (nobody else saw it).
    pub emailed: bool,
}

pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub email: &'a str,
    pub token_hash: &'a str,
    pub invited_by: &'a str,
    pub now_ms: i64,
    pub expires_ms: i64,
    pub emailed: bool,
}

pub async fn insert_invitation(conn: &mut Conn, i: NewInvitation<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO invitations (id, workspace_id, email, token_hash, invited_by, created_ms, expires_ms, emailed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(i.id)
    .bind(i.workspace_id)
    .bind(i.email)
    .bind(i.token_hash)
    .bind(i.invited_by)
    .bind(i.now_ms)
    .bind(i.expires_ms)
    .bind(i64::from(i.emailed))
    .execute(conn)
    .await?;
    Ok(())
}

const INVITE_SELECT: &str = "SELECT i.id, i.workspace_id, w.name AS workspace_name, i.email, u.name AS invited_by_name, \
            i.created_ms, i.expires_ms, i.emailed \
     FROM invitations i JOIN workspaces w ON w.id = i.workspace_id JOIN users u ON u.id = i.invited_by \
     WHERE i.accepted_ms IS NULL AND i.cancelled_ms IS NULL AND i.expires_ms > $1";

fn invite_row(r: sqlx::any::AnyRow) -> Result<InvitationRow, sqlx::Error> {
    Ok(InvitationRow {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        workspace_name: r.try_get("workspace_name")?,
        email: r.try_get("email")?,
        invited_by_name: r.try_get("invited_by_name")?,
        created_ms: r.try_get("created_ms")?,
        expires_ms: r.try_get("expires_ms")?,
        emailed: r.try_get::<i64, _>("emailed")? != 0,
    })
}

pub async fn open_invitation_by_token(
    conn: &mut Conn,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query(&format!("{INVITE_SELECT} AND i.token_hash = $2"))
        .bind(now_ms)
        .bind(token_hash)
        .fetch_optional(conn)
        .await?
        .map(invite_row)
        .transpose()
}

pub async fn open_invitations_for_email(
    conn: &mut Conn,
    email: &str,
    now_ms: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query(&format!(
        "{INVITE_SELECT} AND i.email = $2 ORDER BY i.created_ms"
    ))
    .bind(now_ms)
    .bind(email)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(invite_row)
    .collect()
}

pub async fn open_invitations_for_workspace(
    conn: &mut Conn,
    workspace_id: &str,
    now_ms: i64,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query(&format!(
        "{INVITE_SELECT} AND i.workspace_id = $2 ORDER BY i.created_ms DESC"
    ))
    .bind(now_ms)
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(invite_row)
    .collect()
}

pub async fn open_invitation(
    conn: &mut Conn,
    id: &str,
    now_ms: i64,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query(&format!("{INVITE_SELECT} AND i.id = $2"))
        .bind(now_ms)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(invite_row)
        .transpose()
}

/// Marks an open invitation accepted; true only for the first caller.
pub async fn accept_invitation(
    conn: &mut Conn,
    id: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("UPDATE invitations SET accepted_ms = $1 WHERE id = $2 AND accepted_ms IS NULL AND cancelled_ms IS NULL")
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

pub async fn cancel_invitation(
    conn: &mut Conn,
    id: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("UPDATE invitations SET cancelled_ms = $1 WHERE id = $2 AND accepted_ms IS NULL AND cancelled_ms IS NULL")
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

pub async fn is_member_email(
    conn: &mut Conn,
    workspace_id: &str,
    email: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT 1 AS one FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = $1 AND u.email = $2 AND m.status = 'active'",
    )
    .bind(workspace_id)
    .bind(email)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Adds `calls` to a workspace's count for a day (`YYYY-MM-DD`).
pub async fn add_api_calls(
    conn: &mut Conn,
    workspace_id: &str,
    day: &str,
    calls: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO api_usage_days (workspace_id, day, calls) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, day) DO UPDATE SET calls = api_usage_days.calls + excluded.calls",
    )
    .bind(workspace_id)
    .bind(day)
    .bind(calls)
    .execute(conn)
    .await?;
    Ok(())
}

/// A workspace's calls in a month (`YYYY-MM`): the sum of its days.
pub async fn api_calls(
    conn: &mut Conn,
    workspace_id: &str,
    month: &str,
) -> Result<i64, sqlx::Error> {
    let days = api_calls_by_day(
        conn,
        workspace_id,
        &format!("{month}-01"),
        &format!("{month}-31"),
    )
    .await?;
    Ok(days.iter().map(|(_, n)| n).sum())
}

/// A workspace's calls on each day from `first` to `last` (`YYYY-MM-DD`, both included) that had
/// any, in order.
pub async fn api_calls_by_day(
    conn: &mut Conn,
    workspace_id: &str,
    first: &str,
    last: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT day, calls FROM api_usage_days WHERE workspace_id = $1 AND day >= $2 AND day <= $3 \
         ORDER BY day",
    )
    .bind(workspace_id)
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get("day")?, r.try_get("calls")?)))
    .collect()
}

/// A member of a workspace, for the Users table.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub user_id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub added_ms: i64,
    pub kind: String,
}

pub async fn members(conn: &mut Conn, workspace_id: &str) -> Result<Vec<MemberRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT u.id, u.username, u.email, u.name, u.kind, m.role, m.created_ms FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.status = 'active' ORDER BY m.created_ms, u.id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(MemberRow {
                user_id: r.try_get("id")?,
                username: r.try_get("username")?,
                email: r.try_get("email")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                role: Role::parse(&role).unwrap_or(Role::Member),
                added_ms: r.try_get("created_ms")?,
            })
        })
        .collect()
}

pub async fn set_role(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
    role: Role,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3 AND status = 'active'")
        .bind(role.as_str())
        .bind(workspace_id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Ends a user's browser sessions in a workspace; returns how many.
pub async fn delete_sessions_in(
    conn: &mut Conn,
    user_id: &str,
    workspace_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND workspace_id = $2")
            .bind(user_id)
            .bind(workspace_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn max_members(conn: &mut Conn, workspace_id: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT max_members FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get::<Option<i64>, _>("max_members"))
        .transpose()
        .map(Option::flatten)
}

pub async fn set_max_members(
    conn: &mut Conn,
    workspace_id: &str,
    max: Option<i64>,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE workspaces SET max_members = $1 WHERE id = $2")
            .bind(max)
            .bind(workspace_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Replaces an open invitation's secret (a resent link) and records how the new link goes out;
/// true when it was open.
pub async fn renew_invitation(
    conn: &mut Conn,
    id: &str,
    token_hash: &str,
    expires_ms: i64,
    emailed: bool,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE invitations SET token_hash = $1, expires_ms = $2, emailed = $3 WHERE id = $4 AND accepted_ms IS NULL AND cancelled_ms IS NULL",
    )
    .bind(token_hash)
    .bind(expires_ms)
    .bind(i64::from(emailed))
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
