//! Identity providers: a workspace's connections (settings as JSON, the secret sealed), the links
//! from a provider's subject to an account, the group memberships a synchronisation gave, and the
//! logins in flight.

use sqlx::Row;

use super::Conn;

#[derive(Debug, Clone)]
pub struct ConnectionRow {
    pub id: String,
    pub workspace_id: String,
    pub protocol: String,
    pub provider: String,
    pub display_name: String,
    pub active: bool,
    /// The JSON of the settings that are not secret.
    pub settings: String,
    /// The client secret or signing key, sealed with the master key.
    pub secret: Option<String>,
    pub version: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub updated_by: String,
}

const COLUMNS: &str = "id, workspace_id, protocol, provider, display_name, active, settings, \
     secret, version, created_ms, updated_ms, updated_by";

fn connection_row(r: sqlx::any::AnyRow) -> Result<ConnectionRow, sqlx::Error> {
    Ok(ConnectionRow {
        id: r.try_get("id")?,
        workspace_id: r.try_get("workspace_id")?,
        protocol: r.try_get("protocol")?,
        provider: r.try_get("provider")?,
        display_name: r.try_get("display_name")?,
        active: r.try_get::<i64, _>("active")? != 0,
        settings: r.try_get("settings")?,
        secret: r.try_get("secret")?,
        version: r.try_get("version")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
        updated_by: r.try_get("updated_by")?,
    })
}

/// The workspace's connections, by display name.
pub async fn list(conn: &mut Conn, workspace_id: &str) -> Result<Vec<ConnectionRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE workspace_id = $1 ORDER BY name_key, id"
    ))
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(connection_row)
    .collect()
}

/// One connection of the workspace.
pub async fn get(
    conn: &mut Conn,
    workspace_id: &str,
    id: &str,
) -> Result<Option<ConnectionRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE workspace_id = $1 AND id = $2"
    ))
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(connection_row)
    .transpose()
}

/// One connection, whichever workspace it is in (the login routes name only the connection).
pub async fn by_id(conn: &mut Conn, id: &str) -> Result<Option<ConnectionRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(connection_row)
    .transpose()
}

/// Every SAML connection that reads its metadata from a URL (of every workspace).
pub async fn with_metadata_url(conn: &mut Conn) -> Result<Vec<ConnectionRow>, sqlx::Error> {
    let rows: Vec<ConnectionRow> = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE protocol = 'saml' ORDER BY id"
    ))
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(connection_row)
    .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            serde_json::from_str::<serde_json::Value>(&r.settings).is_ok_and(|s| {
                s["saml"]["metadata_url"]
                    .as_str()
                    .is_some_and(|u| !u.is_empty())
            })
        })
        .collect())
}

/// Replaces a connection's settings without a new version (metadata read again, not an edit),
/// unless someone saved the connection since `read`; whether it was replaced.
pub async fn set_settings_if(
    conn: &mut Conn,
    id: &str,
    read: i64,
    settings: &str,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE identity_providers SET settings = $1 WHERE id = $2 AND version = $3")
            .bind(settings)
            .bind(id)
            .bind(read)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// A login button: an active connection with its workspace's name.
#[derive(Debug, Clone)]
pub struct ButtonRow {
    pub id: String,
    pub display_name: String,
    pub protocol: String,
    pub workspace_name: String,
}

/// Every active connection, for the login page.
pub async fn active(conn: &mut Conn) -> Result<Vec<ButtonRow>, sqlx::Error> {
    sqlx::query(
        "SELECT p.id, p.display_name, p.protocol, w.name AS workspace_name \
         FROM identity_providers p JOIN workspaces w ON w.id = p.workspace_id \
         WHERE p.active = 1 ORDER BY w.name, p.name_key, p.id",
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(ButtonRow {
            id: r.try_get("id")?,
            display_name: r.try_get("display_name")?,
            protocol: r.try_get("protocol")?,
            workspace_name: r.try_get("workspace_name")?,
        })
    })
    .collect()
}

/// Adds a connection (version 1).
pub async fn insert(conn: &mut Conn, row: &ConnectionRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO identity_providers (id, workspace_id, protocol, provider, display_name, \
         name_key, active, settings, secret, version, created_ms, updated_ms, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&row.id)
    .bind(&row.workspace_id)
    .bind(&row.protocol)
    .bind(&row.provider)
    .bind(&row.display_name)
    .bind(row.display_name.to_lowercase())
    .bind(row.active as i64)
    .bind(&row.settings)
    .bind(&row.secret)
    .bind(row.version)
    .bind(row.created_ms)
    .bind(row.updated_ms)
    .bind(&row.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves a connection over the version `read`; false when someone saved it since.
pub async fn update(conn: &mut Conn, row: &ConnectionRow, read: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE identity_providers SET protocol = $1, provider = $2, display_name = $3, \
         name_key = $4, active = $5, settings = $6, secret = $7, version = $8, updated_ms = $9, \
         updated_by = $10 WHERE workspace_id = $11 AND id = $12 AND version = $13",
    )
    .bind(&row.protocol)
    .bind(&row.provider)
    .bind(&row.display_name)
    .bind(row.display_name.to_lowercase())
    .bind(row.active as i64)
    .bind(&row.settings)
    .bind(&row.secret)
    .bind(row.version)
    .bind(row.updated_ms)
    .bind(&row.updated_by)
    .bind(&row.workspace_id)
    .bind(&row.id)
    .bind(read)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a connection; whether it was there.
pub async fn delete(conn: &mut Conn, workspace_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM sso_requests WHERE connection_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM identity_providers WHERE workspace_id = $1 AND id = $2")
        .bind(workspace_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The account a provider's subject is linked to in a workspace.
pub async fn linked_user(
    conn: &mut Conn,
    workspace_id: &str,
    issuer: &str,
    subject: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT user_id FROM identity_links WHERE workspace_id = $1 AND issuer = $2 AND subject = $3",
    )
    .bind(workspace_id)
    .bind(issuer)
    .bind(subject)
    .fetch_optional(conn)
    .await
}

/// Links a provider's subject to an account (or records another login through the link).
pub async fn link(
    conn: &mut Conn,
    workspace_id: &str,
    issuer: &str,
    subject: &str,
    user_id: &str,
    connection_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO identity_links (workspace_id, issuer, subject, user_id, connection_id, \
         created_ms, last_login_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (workspace_id, issuer, subject) DO UPDATE SET last_login_ms = $6, \
         connection_id = $5",
    )
    .bind(workspace_id)
    .bind(issuer)
    .bind(subject)
    .bind(user_id)
    .bind(connection_id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The groups of the workspace with whether the person is in each and whether a synchronisation
/// put them there. Admins membership is the role; Users is everyone.
pub async fn sync_groups(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
) -> Result<Vec<(String, String, Option<String>, bool, bool)>, sqlx::Error> {
    sqlx::query(
        "SELECT g.id, g.name, g.builtin, \
           CASE WHEN g.builtin = 'users' THEN 1 \
                WHEN g.builtin = 'admins' THEN (SELECT COUNT(*) FROM memberships m \
                     WHERE m.workspace_id = g.workspace_id AND m.user_id = $2 AND m.role = 'admin') \
                ELSE (SELECT COUNT(*) FROM group_members gm WHERE gm.group_id = g.id AND gm.user_id = $2) \
           END AS member, \
           (SELECT COUNT(*) FROM identity_group_grants s WHERE s.group_id = g.id AND s.user_id = $2) AS synced \
         FROM user_groups g WHERE g.workspace_id = $1 ORDER BY g.name",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok((
            r.try_get("id")?,
            r.try_get("name")?,
            r.try_get("builtin")?,
            r.try_get::<i64, _>("member")? > 0,
            r.try_get::<i64, _>("synced")? > 0,
        ))
    })
    .collect()
}

/// Records that a synchronisation gave this membership.
pub async fn grant(
    conn: &mut Conn,
    group_id: &str,
    user_id: &str,
    connection_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO identity_group_grants (group_id, user_id, connection_id, created_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, user_id) DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .bind(connection_id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets that a synchronisation gave this membership.
pub async fn ungrant(conn: &mut Conn, group_id: &str, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM identity_group_grants WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A login in flight.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub state_hash: String,
    pub connection_id: String,
    pub workspace_id: String,
    /// `login` or `test`.
    pub purpose: String,
    /// The nonce, PKCE verifier and (for a test) the editor's settings, sealed.
    pub sealed: String,
    pub requested_by: Option<String>,
    pub expires_ms: i64,
    pub outcome: Option<String>,
}

const REQUEST_COLUMNS: &str = "state_hash, connection_id, workspace_id, purpose, sealed, \
     requested_by, expires_ms, outcome";

fn request_row(r: sqlx::any::AnyRow) -> Result<RequestRow, sqlx::Error> {
    Ok(RequestRow {
        state_hash: r.try_get("state_hash")?,
        connection_id: r.try_get("connection_id")?,
        workspace_id: r.try_get("workspace_id")?,
        purpose: r.try_get("purpose")?,
        sealed: r.try_get("sealed")?,
        requested_by: r.try_get("requested_by")?,
        expires_ms: r.try_get("expires_ms")?,
        outcome: r.try_get("outcome")?,
    })
}

/// Records a login on its way to the provider; expired ones are swept at the same time.
pub async fn insert_request(
    conn: &mut Conn,
    row: &RequestRow,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    // Expired logins are deleted a few at a time; finished tests stay for their editor until expiry.
    sqlx::query(
        "DELETE FROM sso_requests WHERE state_hash IN (SELECT state_hash FROM sso_requests \
         WHERE expires_ms < $1 ORDER BY expires_ms LIMIT 8)",
    )
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO sso_requests (state_hash, connection_id, workspace_id, purpose, sealed, \
         requested_by, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.state_hash)
    .bind(&row.connection_id)
    .bind(&row.workspace_id)
    .bind(&row.purpose)
    .bind(&row.sealed)
    .bind(&row.requested_by)
    .bind(now_ms)
    .bind(row.expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a login in flight once: the first caller with its state gets it, any later one (a
/// replayed answer) gets nothing, as does one after it expired.
pub async fn take_request(
    conn: &mut Conn,
    state_hash: &str,
    now_ms: i64,
) -> Result<Option<RequestRow>, sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE sso_requests SET used_ms = $2 WHERE state_hash = $1 AND used_ms IS NULL \
         AND expires_ms >= $2 RETURNING {REQUEST_COLUMNS}"
    ))
    .bind(state_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?
    .map(request_row)
    .transpose()
}

/// A login in flight, not yet taken and not expired (without taking it).
pub async fn peek_request(
    conn: &mut Conn,
    state_hash: &str,
    now_ms: i64,
) -> Result<Option<RequestRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM sso_requests WHERE state_hash = $1 AND used_ms IS NULL \
         AND expires_ms >= $2"
    ))
    .bind(state_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?
    .map(request_row)
    .transpose()
}

/// Keeps the outcome of a test login for the editor that started it.
pub async fn set_outcome(
    conn: &mut Conn,
    state_hash: &str,
    outcome: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sso_requests SET outcome = $2 WHERE state_hash = $1")
        .bind(state_hash)
        .bind(outcome)
        .execute(conn)
        .await?;
    Ok(())
}

/// A test login of this workspace started by this person, while it has not expired.
pub async fn test_request(
    conn: &mut Conn,
    workspace_id: &str,
    requested_by: &str,
    state_hash: &str,
    now_ms: i64,
) -> Result<Option<RequestRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM sso_requests WHERE state_hash = $1 AND workspace_id = $2 \
         AND requested_by = $3 AND purpose = 'test' AND expires_ms >= $4"
    ))
    .bind(state_hash)
    .bind(workspace_id)
    .bind(requested_by)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?
    .map(request_row)
    .transpose()
}

/// Whether the workspace's people may log in with a password.
pub async fn password_login(conn: &mut Conn, workspace_id: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT password_login FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_optional(conn)
            .await?
            .is_none_or(|v| v != 0),
    )
}

pub async fn set_password_login(
    conn: &mut Conn,
    workspace_id: &str,
    enabled: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workspaces SET password_login = $1 WHERE id = $2")
        .bind(i64::from(enabled))
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The workspace's active connections (but `except`) through which an administrator of the
/// workspace has logged in: the ways administrators log in without a password.
pub async fn admin_ways(
    conn: &mut Conn,
    workspace_id: &str,
    except: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(DISTINCT p.id) FROM identity_providers p \
         JOIN identity_links l ON l.connection_id = p.id AND l.workspace_id = p.workspace_id \
         JOIN memberships m ON m.user_id = l.user_id AND m.workspace_id = p.workspace_id \
           AND m.role = 'admin' AND m.status = 'active' \
         WHERE p.workspace_id = $1 AND p.active = 1 AND p.id <> $2",
    )
    .bind(workspace_id)
    .bind(except)
    .fetch_one(conn)
    .await
}

/// Marks a browser session as opened through an identity provider.
pub async fn mark_session_sso(conn: &mut Conn, id_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET via = 'sso' WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// How a browser session was opened (`password` or `sso`).
pub async fn session_via(conn: &mut Conn, id_hash: &str) -> Result<String, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, String>("SELECT via FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(conn)
            .await?
            .unwrap_or_else(|| "password".into()),
    )
}

/// The subjects linked to a person in a workspace, by connection id.
pub async fn links_of(
    conn: &mut Conn,
    workspace_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT connection_id FROM identity_links WHERE workspace_id = $1 AND user_id = $2",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// A person's oldest active membership in a workspace that allows password login.
pub async fn password_membership(
    conn: &mut Conn,
    user_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query(
        "SELECT m.workspace_id, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
         WHERE m.user_id = $1 AND m.status = 'active' AND w.password_login = 1 \
         ORDER BY m.created_ms, m.workspace_id LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .map(|r| Ok((r.try_get("workspace_id")?, r.try_get("role")?)))
    .transpose()
}
