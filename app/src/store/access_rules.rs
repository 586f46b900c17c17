//! Access rules and their subjects.

use std::collections::HashMap;

use sqlx::Row;

use super::Conn;
use app::domain::access_rules::{Level, Rule, Subject, SubjectKind};
use app::domain::catalog::Kind;

/// A stored rule with its times.
#[derive(Debug, Clone)]
pub struct RuleRow {
    pub rule: Rule,
    pub created_ms: i64,
    pub updated_ms: i64,
}

fn level_text(l: Level) -> &'static str {
    match l {
        Level::Modify => "modify",
        _ => "read",
    }
}

fn subject_kind_text(k: SubjectKind) -> &'static str {
    match k {
        SubjectKind::User => "user",
        SubjectKind::ServiceAccount => "service_account",
        SubjectKind::Group => "group",
    }
}

/// A workspace's rules with their subjects, oldest first.
pub async fn list(conn: &mut Conn, workspace_id: &str) -> Result<Vec<RuleRow>, sqlx::Error> {
    let mut subjects: HashMap<String, Vec<Subject>> = HashMap::new();
    for r in sqlx::query(
        "SELECT rule_id, kind, subject_id FROM access_rule_subjects WHERE workspace_id = $1 \
         ORDER BY rule_id, kind, subject_id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?
    {
        let kind = match r.try_get::<String, _>("kind")?.as_str() {
            "group" => SubjectKind::Group,
            "service_account" => SubjectKind::ServiceAccount,
            _ => SubjectKind::User,
        };
        subjects
            .entry(r.try_get("rule_id")?)
            .or_default()
            .push(Subject {
                kind,
                id: r.try_get("subject_id")?,
            });
    }
    sqlx::query(
        "SELECT id, kind, object_id, permission, created_ms, updated_ms FROM access_rules \
         WHERE workspace_id = $1 ORDER BY created_ms, id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        let id: String = r.try_get("id")?;
        let kind: String = r.try_get("kind")?;
        let permission: String = r.try_get("permission")?;
        Ok(RuleRow {
            rule: Rule {
                subjects: subjects.remove(&id).unwrap_or_default(),
                id,
                kind: Kind::parse(&kind).unwrap_or(Kind::Project),
                object: r.try_get("object_id")?,
                permission: if permission == "modify" {
                    Level::Modify
                } else {
                    Level::Read
                },
            },
            created_ms: r.try_get("created_ms")?,
            updated_ms: r.try_get("updated_ms")?,
        })
    })
    .collect()
}

/// One rule of a workspace, locked for this write transaction on PostgreSQL.
pub async fn lock(conn: &mut Conn, workspace_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE access_rules SET updated_ms = updated_ms WHERE workspace_id = $1 AND id = $2",
    )
    .bind(workspace_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

async fn put_subjects(conn: &mut Conn, workspace_id: &str, rule: &Rule) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM access_rule_subjects WHERE rule_id = $1")
        .bind(&rule.id)
        .execute(&mut *conn)
        .await?;
    for s in &rule.subjects {
        sqlx::query(
            "INSERT INTO access_rule_subjects (rule_id, workspace_id, kind, subject_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&rule.id)
        .bind(workspace_id)
        .bind(subject_kind_text(s.kind))
        .bind(&s.id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn insert(
    conn: &mut Conn,
    workspace_id: &str,
    rule: &Rule,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO access_rules (id, workspace_id, kind, object_id, permission, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&rule.id)
    .bind(workspace_id)
    .bind(rule.kind.as_str())
    .bind(&rule.object)
    .bind(level_text(rule.permission))
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    put_subjects(conn, workspace_id, rule).await
}

pub async fn update(
    conn: &mut Conn,
    workspace_id: &str,
    rule: &Rule,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE access_rules SET kind = $1, object_id = $2, permission = $3, updated_ms = $4 \
         WHERE workspace_id = $5 AND id = $6",
    )
    .bind(rule.kind.as_str())
    .bind(&rule.object)
    .bind(level_text(rule.permission))
    .bind(now_ms)
    .bind(workspace_id)
    .bind(&rule.id)
    .execute(&mut *conn)
    .await?;
    put_subjects(conn, workspace_id, rule).await
}

pub async fn delete(conn: &mut Conn, workspace_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM access_rule_subjects WHERE rule_id = $1 AND workspace_id = $2")
        .bind(id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query("DELETE FROM access_rules WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Takes a subject (a user who leaves, a deleted group) out of every rule of a workspace: what
/// the rules granted it goes; the rules stay, still covering their objects.
pub async fn remove_subject(
    conn: &mut Conn,
    workspace_id: &str,
    subject_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM access_rule_subjects WHERE workspace_id = $1 AND subject_id = $2")
            .bind(workspace_id)
            .bind(subject_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The project of every object (other than a project) a rule of the workspace names.
pub async fn object_projects(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query(
        "SELECT DISTINCT c.id, c.project_id FROM access_rules r JOIN catalog c ON c.id = r.object_id \
         WHERE r.workspace_id = $1 AND c.workspace_id = $1 AND c.kind <> 'project' AND c.project_id IS NOT NULL",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("project_id")?)))
    .collect()
}
