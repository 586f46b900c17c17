//! Resource configuration: the saved and provisioned documents, the queues provisioning made, and
//! the jobs holding resources.

use sqlx::Row;

use super::Conn;

/// A workspace's configuration row (the documents as JSON).
#[derive(Debug, Clone)]
pub struct ConfigurationRow {
    pub saved: String,
    pub saved_version: i64,
    pub provisioned: String,
    pub provisioned_version: i64,
    pub enabled: bool,
    pub updated_ms: i64,
    pub updated_by: String,
}

/// The row, when the workspace has one.
pub async fn get(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Option<ConfigurationRow>, sqlx::Error> {
    sqlx::query(
        "SELECT saved, saved_version, provisioned, provisioned_version, enabled, updated_ms, updated_by \
         FROM resource_configurations WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?
    .map(|r| {
        Ok(ConfigurationRow {
            saved: r.try_get("saved")?,
            saved_version: r.try_get("saved_version")?,
            provisioned: r.try_get("provisioned")?,
            provisioned_version: r.try_get("provisioned_version")?,
            enabled: r.try_get::<i64, _>("enabled")? != 0,
            updated_ms: r.try_get("updated_ms")?,
            updated_by: r.try_get("updated_by")?,
        })
    })
    .transpose()
}

/// Makes the workspace's row when it has none (an empty configuration, management off), then
/// locks it until the transaction ends: the allocator and the editor's writes of one workspace go
/// one at a time, on every replica.
pub async fn lock(
    conn: &mut Conn,
    workspace_id: &str,
    empty: &str,
    now_ms: i64,
) -> Result<ConfigurationRow, sqlx::Error> {
    sqlx::query(
        "INSERT INTO resource_configurations \
         (workspace_id, saved, saved_version, provisioned, provisioned_version, enabled, updated_ms, updated_by) \
         VALUES ($1, $2, 0, $2, 0, 0, $3, '') ON CONFLICT (workspace_id) DO NOTHING",
    )
    .bind(workspace_id)
    .bind(empty)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE resource_configurations SET updated_ms = updated_ms WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .execute(&mut *conn)
    .await?;
    Ok(get(conn, workspace_id)
        .await?
        .expect("the row was just made or found"))
}

/// Writes the row (after [`lock`]).
pub async fn put(
    conn: &mut Conn,
    workspace_id: &str,
    row: &ConfigurationRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE resource_configurations SET saved = $2, saved_version = $3, provisioned = $4, \
         provisioned_version = $5, enabled = $6, updated_ms = $7, updated_by = $8 WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .bind(&row.saved)
    .bind(row.saved_version)
    .bind(&row.provisioned)
    .bind(row.provisioned_version)
    .bind(i64::from(row.enabled))
    .bind(row.updated_ms)
    .bind(&row.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a queue provisioning made is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueRole {
    /// A policy's queue: tasks of the policy's group wait here for the allocator.
    Policy {
        policy: String,
        profile: String,
        group: String,
    },
    /// A pool's queue: admitted tasks wait here for the pool's agents.
    Pool { pool: String },
}

/// A queue provisioning made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceQueue {
    pub queue_id: String,
    pub role: QueueRole,
}

fn queue_row(r: sqlx::any::AnyRow) -> Result<ResourceQueue, sqlx::Error> {
    let role: String = r.try_get("role")?;
    let text = |c: &str| -> Result<String, sqlx::Error> {
        Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default())
    };
    Ok(ResourceQueue {
        queue_id: r.try_get("queue_id")?,
        role: if role == "pool" {
            QueueRole::Pool {
                pool: text("pool_id")?,
            }
        } else {
            QueueRole::Policy {
                policy: text("policy_id")?,
                profile: text("profile_id")?,
                group: text("group_id")?,
            }
        },
    })
}

/// The queue's role, when provisioning made it.
pub async fn queue(conn: &mut Conn, queue_id: &str) -> Result<Option<ResourceQueue>, sqlx::Error> {
    sqlx::query(
        "SELECT queue_id, role, policy_id, profile_id, pool_id, group_id FROM resource_queues WHERE queue_id = $1",
    )
    .bind(queue_id)
    .fetch_optional(conn)
    .await?
    .map(queue_row)
    .transpose()
}

/// The queues provisioning made in a workspace.
pub async fn queues(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Vec<ResourceQueue>, sqlx::Error> {
    sqlx::query(
        "SELECT queue_id, role, policy_id, profile_id, pool_id, group_id FROM resource_queues \
         WHERE workspace_id = $1 ORDER BY queue_id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(queue_row)
    .collect()
}

/// Records (or changes) what a queue is for.
pub async fn put_queue(
    conn: &mut Conn,
    workspace_id: &str,
    q: &ResourceQueue,
) -> Result<(), sqlx::Error> {
    let (role, policy, profile, pool, group) = match &q.role {
        QueueRole::Policy {
            policy,
            profile,
            group,
        } => ("policy", Some(policy), Some(profile), None, Some(group)),
        QueueRole::Pool { pool } => ("pool", None, None, Some(pool), None),
    };
    sqlx::query(
        "INSERT INTO resource_queues (queue_id, workspace_id, role, policy_id, profile_id, pool_id, group_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (queue_id) DO UPDATE SET role = $3, \
         policy_id = $4, profile_id = $5, pool_id = $6, group_id = $7",
    )
    .bind(&q.queue_id)
    .bind(workspace_id)
    .bind(role)
    .bind(policy)
    .bind(profile)
    .bind(pool)
    .bind(group)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_queue(conn: &mut Conn, queue_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM resource_queues WHERE queue_id = $1")
        .bind(queue_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A job holding resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub task_id: String,
    pub policy_id: String,
    pub queue_id: String,
    pub profile_id: String,
    pub pool_id: String,
    pub amount: i64,
    pub admitted_ms: i64,
}

pub async fn jobs(conn: &mut Conn, workspace_id: &str) -> Result<Vec<Job>, sqlx::Error> {
    sqlx::query(
        "SELECT task_id, policy_id, queue_id, profile_id, pool_id, amount, admitted_ms FROM resource_jobs \
         WHERE workspace_id = $1 ORDER BY admitted_ms, task_id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Job {
            task_id: r.try_get("task_id")?,
            policy_id: r.try_get("policy_id")?,
            queue_id: r.try_get("queue_id")?,
            profile_id: r.try_get("profile_id")?,
            pool_id: r.try_get("pool_id")?,
            amount: r.try_get("amount")?,
            admitted_ms: r.try_get("admitted_ms")?,
        })
    })
    .collect()
}

/// Frees what a task holds; whether it held anything.
pub async fn release(conn: &mut Conn, task_id: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM resource_jobs WHERE task_id = $1")
        .bind(task_id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// A task waiting in a policy queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub task_id: String,
    pub queue_id: String,
    /// Its place: the queue's order.
    pub seq: i64,
}

/// Every task waiting in a policy queue of the workspace, each queue's oldest first.
pub async fn pending(conn: &mut Conn, workspace_id: &str) -> Result<Vec<Pending>, sqlx::Error> {
    sqlx::query(
        "SELECT e.task_id, e.queue_id FROM queue_entries e JOIN resource_queues q ON q.queue_id = e.queue_id \
         WHERE q.workspace_id = $1 AND q.role = 'policy' ORDER BY e.queue_id, e.position, e.added_ms, e.task_id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .enumerate()
    .map(|(i, r)| {
        Ok(Pending {
            task_id: r.try_get("task_id")?,
            queue_id: r.try_get("queue_id")?,
            seq: i as i64,
        })
    })
    .collect()
}

/// The workspaces with resource management on.
pub async fn enabled_workspaces(conn: &mut Conn) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query("SELECT workspace_id FROM resource_configurations WHERE enabled = 1")
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| r.try_get("workspace_id"))
        .collect()
}

/// Admits jobs in batches: each task leaves its policy's queue for the back of its pool's queue
/// (in the order given) and holds its allotment. `jobs` pairs each job with its pool's queue.
pub async fn admit(
    conn: &mut Conn,
    workspace_id: &str,
    jobs: &[(Job, String)],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut back: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for (_, queue) in jobs {
        if back.contains_key(queue.as_str()) {
            continue;
        }
        let last: Option<i64> =
            sqlx::query("SELECT MAX(position) AS last FROM queue_entries WHERE queue_id = $1")
                .bind(queue)
                .fetch_one(&mut *conn)
                .await?
                .try_get("last")?;
        back.insert(queue, last.unwrap_or(0));
    }
    for chunk in jobs.chunks(250) {
        let marks = |cols: usize| -> String {
            (0..chunk.len())
                .map(|r| {
                    let row: Vec<String> =
                        (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
                    format!("({})", row.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "DELETE FROM queue_entries WHERE task_id IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (job, _) in chunk {
            q = q.bind(&job.task_id);
        }
        q.execute(&mut *conn).await?;

        let sql = format!(
            "INSERT INTO queue_entries (task_id, queue_id, workspace_id, position, added_ms) VALUES {}",
            marks(5)
        );
        let mut q = sqlx::query(&sql);
        for (job, queue) in chunk {
            let position = back
                .get_mut(queue.as_str())
                .expect("every queue's back was read");
            *position += 1;
            q = q
                .bind(&job.task_id)
                .bind(queue)
                .bind(workspace_id)
                .bind(*position)
                .bind(now_ms);
        }
        q.execute(&mut *conn).await?;

        let sql = format!(
            "INSERT INTO resource_jobs (task_id, workspace_id, policy_id, queue_id, profile_id, pool_id, amount, admitted_ms) VALUES {}",
            marks(8)
        );
        let mut q = sqlx::query(&sql);
        for (job, _) in chunk {
            q = q
                .bind(&job.task_id)
                .bind(workspace_id)
                .bind(&job.policy_id)
                .bind(&job.queue_id)
                .bind(&job.profile_id)
                .bind(&job.pool_id)
                .bind(job.amount)
                .bind(job.admitted_ms);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
