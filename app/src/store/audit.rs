//! The audit log: append-only rows, read newest first with optional filters.

use sqlx::Row;

use super::Conn;
use app::domain::audit::{AuditEntry, AuditQuery};

pub struct NewEntry<'a> {
    pub id: &'a str,
    pub workspace_id: Option<&'a str>,
    pub at_ms: i64,
    pub actor_id: &'a str,
    pub actor_name: &'a str,
    pub actor_email: &'a str,
    pub channel: &'a str,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub object_name: &'a str,
    pub summary: &'a str,
}

pub async fn insert(conn: &mut Conn, e: NewEntry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, workspace_id, at_ms, actor_id, actor_name, actor_email, channel, action, \
         object_type, object_id, object_name, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(e.id)
    .bind(e.workspace_id)
    .bind(e.at_ms)
    .bind(e.actor_id)
    .bind(e.actor_name)
    .bind(e.actor_email)
    .bind(e.channel)
    .bind(e.action)
    .bind(e.object_type)
    .bind(e.object_id)
    .bind(e.object_name)
    .bind(e.summary)
    .execute(conn)
    .await?;
    Ok(())
}

/// One workspace's entries, newest first, filtered.
pub async fn list(
    conn: &mut Conn,
    workspace_id: &str,
    q: &AuditQuery,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT id, at_ms, actor_id, actor_name, channel, action, object_type, object_id, object_name, summary \
         FROM audit_log WHERE workspace_id = $1",
    );
    let mut texts: Vec<String> = vec![workspace_id.to_string()];
    let mut n = 1;
    let mut next = || {
        n += 1;
        n
    };
    // Text parameters first, integers after; each placeholder is numbered in the order it is bound.
    if let Some(actor) = &q.actor {
        let i = next();
        sql.push_str(&format!(
            " AND (LOWER(actor_name) LIKE ${i} OR LOWER(actor_email) LIKE ${i})"
        ));
        texts.push(format!(
            "%{}%",
            actor.to_lowercase().replace(['%', '_'], "")
        ));
    }
    if let Some(t) = &q.object_type {
        let i = next();
        sql.push_str(&format!(" AND object_type = ${i}"));
        texts.push(t.clone());
    }
    let mut ints: Vec<i64> = vec![];
    if let Some(from) = q.from_ms {
        let i = next();
        sql.push_str(&format!(" AND at_ms >= ${i}"));
        ints.push(from);
    }
    if let Some(to) = q.to_ms {
        let i = next();
        sql.push_str(&format!(" AND at_ms < ${i}"));
        ints.push(to);
    }
    let mut cursor_id = None;
    if let Some((at, id)) = &q.before {
        let (a, b, c) = (next(), next(), next());
        sql.push_str(&format!(
            " AND (at_ms < ${a} OR (at_ms = ${b} AND id < ${c}))"
        ));
        ints.push(*at);
        ints.push(*at);
        cursor_id = Some(id.clone());
    }
    sql.push_str(&format!(
        " ORDER BY at_ms DESC, id DESC LIMIT {}",
        q.limit()
    ));
    let mut query = sqlx::query(&sql);
    for t in texts {
        query = query.bind(t);
    }
    for i in ints {
        query = query.bind(i);
    }
    if let Some(id) = cursor_id {
        query = query.bind(id);
    }
    let rows = query.fetch_all(conn).await?;
    rows.into_iter()
        .map(|r| {
            let summary: String = r.try_get("summary")?;
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at_ms: r.try_get("at_ms")?,
                actor_id: r.try_get("actor_id")?,
                actor_name: r.try_get("actor_name")?,
                channel: r.try_get("channel")?,
                action: r.try_get("action")?,
                object_type: r.try_get("object_type")?,
                object_id: r.try_get("object_id")?,
                object_name: r.try_get("object_name")?,
                summary: serde_json::from_str(&summary).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}
