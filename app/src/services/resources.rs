//! Resource configuration: the editor (save, validate, provision, reset), resource management on
//! or off, and the allocator's runs over the provisioned configuration.
//!
//! Provisioning makes a catalog queue for every pool (its agents listen there) and for every
//! policy queue (its group's members enqueue there). The allocator moves admitted tasks from their
//! policy queue to their pool's queue and records what they hold until they end. It runs after
//! every change that can admit something (an enqueue into a policy queue, a job that frees
//! resources, a provision, turning management on) and on a timer; its runs of one workspace go one
//! at a time on every replica (they lock the workspace's configuration row).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

use app::api::resources::{
    LiveQueues, PolicyUse, PoolUse, ProfileUse, Provisioned, ResourcesView, Simulation, Usage,
    Validation, WaitingTask,
};
use app::domain::audit::AuditObject;
use app::domain::catalog::{Kind, TaskStatus};
use app::domain::identity::Admin;
use app::domain::resources::allocator::{Running, Waiting, allocate};
use app::domain::resources::pending::{self, Pending, Reason};
use app::domain::resources::{Amount, Configuration, QueuedJob};
use app::domain::timefmt::iso_millis;
use app::domain::{AppError, Code, Identity};

use super::Object;
use crate::crypto::new_id;
use crate::state::Core;
use crate::store::resources::{ConfigurationRow, Job, QueueRole, ResourceQueue};
use crate::store::{self, Conn};

#[derive(Debug)]
pub struct ResourcesService {
    pub core: Arc<Core>,
}

fn parse(raw: &str) -> Result<Configuration, AppError> {
    serde_json::from_str(raw).map_err(super::internal)
}

fn empty() -> String {
    serde_json::to_string(&Configuration::default()).expect("a configuration serialises")
}

fn encode(c: &Configuration) -> String {
    serde_json::to_string(c).expect("a configuration serialises")
}

/// The live state the allocator works from.
struct Live {
    queues: Vec<ResourceQueue>,
    jobs: Vec<Job>,
    pending: Vec<store::resources::Pending>,
}

impl Live {
    async fn read(conn: &mut Conn, workspace_id: &str) -> Result<Live, AppError> {
        Ok(Live {
            queues: store::resources::queues(conn, workspace_id).await?,
            jobs: store::resources::jobs(conn, workspace_id).await?,
            pending: store::resources::pending(conn, workspace_id).await?,
        })
    }

    fn running(&self) -> Vec<Running> {
        self.jobs
            .iter()
            .map(|j| Running {
                id: j.task_id.clone(),
                policy: j.policy_id.clone(),
                pool: j.pool_id.clone(),
                amount: Amount(j.amount),
            })
            .collect()
    }

    /// The configuration's policy queue a catalog queue stands for.
    fn config_queue<'c>(&self, config: &'c Configuration, queue_id: &str) -> Option<&'c str> {
        let q = self.queues.iter().find(|q| q.queue_id == queue_id)?;
        let QueueRole::Policy {
            policy, profile, ..
        } = &q.role
        else {
            return None;
        };
        config
            .policies
            .iter()
            .find(|p| &p.id == policy)?
            .queues
            .iter()
            .find(|q| &q.profile == profile)
            .map(|q| q.id.as_str())
    }

    /// The tasks waiting in policy queues, each named by its queue's policy and profile.
    fn queued(&self) -> Vec<QueuedJob> {
        let roles: HashMap<&str, (&str, &str)> = self
            .queues
            .iter()
            .filter_map(|q| match &q.role {
                QueueRole::Policy {
                    policy, profile, ..
                } => Some((q.queue_id.as_str(), (policy.as_str(), profile.as_str()))),
                QueueRole::Pool { .. } => None,
            })
            .collect();
        self.pending
            .iter()
            .filter_map(|p| {
                let (policy, profile) = roles.get(p.queue_id.as_str())?;
                Some(QueuedJob {
                    id: p.task_id.clone(),
                    policy: policy.to_string(),
                    profile: profile.to_string(),
                    seq: p.seq,
                })
            })
            .collect()
    }

    /// The waiting tasks as the allocator sees them under `config`.
    fn waiting(&self, config: &Configuration) -> Vec<Waiting> {
        config.waiting(&self.queued())
    }

    fn pool_queue(&self, pool_id: &str) -> Option<&str> {
        self.queues
            .iter()
            .find(|q| matches!(&q.role, QueueRole::Pool { pool } if pool == pool_id))
            .map(|q| q.queue_id.as_str())
    }

    fn policy_queue(&self, policy_id: &str, profile_id: &str) -> Option<&str> {
        self.queues
            .iter()
            .find(|q| {
                matches!(&q.role, QueueRole::Policy { policy, profile, .. }
                    if policy == policy_id && profile == profile_id)
            })
            .map(|q| q.queue_id.as_str())
    }
}

/// Runs the allocator over a workspace's provisioned configuration: admitted tasks move to their
/// pool's queue and hold their allotment. The number admitted. Nothing happens while resource
/// management is off.
pub async fn settle(core: &Core, workspace_id: &str) -> Result<usize, AppError> {
    {
        let mut conn = core.db.pool.acquire().await?;
        match store::resources::get(&mut conn, workspace_id).await? {
            Some(row) if row.enabled => {}
            _ => return Ok(0),
        }
    }
    let mut tx = core.db.begin_write().await.map_err(super::internal)?;
    let now = core.clock.now_ms();
    let row = store::resources::lock(&mut tx, workspace_id, &empty(), now).await?;
    if !row.enabled {
        return Ok(0);
    }
    let config = parse(&row.provisioned)?;
    let live = Live::read(&mut tx, workspace_id).await?;
    let admissions = allocate(&config, &live.running(), &live.waiting(&config));
    let jobs: Vec<(Job, String)> = admissions
        .iter()
        .filter_map(|a| {
            let pool_queue = live.pool_queue(&a.pool)?;
            let policy_queue = live.policy_queue(&a.policy, &a.profile)?;
            Some((
                Job {
                    task_id: a.id.clone(),
                    policy_id: a.policy.clone(),
                    queue_id: policy_queue.to_string(),
                    profile_id: a.profile.clone(),
                    pool_id: a.pool.clone(),
                    amount: a.amount.0,
                    admitted_ms: now,
                },
                pool_queue.to_string(),
            ))
        })
        .collect();
    store::resources::admit(&mut tx, workspace_id, &jobs, now).await?;
    tx.commit().await.map_err(super::internal)?;
    if !admissions.is_empty() {
        tracing::debug!(
            workspace = workspace_id,
            admitted = admissions.len(),
            "tasks admitted"
        );
    }
    Ok(admissions.len())
}

/// [`settle`] after a change that may let tasks run; a failure is logged (the timer runs it again).
pub async fn settle_after_change(core: &Core, workspace_id: &str) {
    if let Err(e) = settle(core, workspace_id).await {
        tracing::warn!(error = %e, workspace = workspace_id, "the allocator could not run");
    }
}

/// The timer's pass over every workspace with resource management on: what agents that stopped
/// reporting held is freed ([`reclaim`]), then the allocator runs. The number admitted.
pub async fn settle_all(core: &Core) -> Result<usize, AppError> {
    let workspaces = {
        let mut conn = core.db.pool.acquire().await?;
        store::resources::enabled_workspaces(&mut conn).await?
    };
    let mut n = 0;
    for w in workspaces {
        reclaim(core, &w).await?;
        n += settle(core, &w).await?;
    }
    Ok(n)
}

/// Frees the resources of running tasks whose agent stopped reporting (its registration expired
/// or it unregistered): such a task is stopped, as ClearML's watchdog stops a non-responsive task,
/// and tasks that no longer exist free theirs too. The number freed.
pub async fn reclaim(core: &Core, workspace_id: &str) -> Result<usize, AppError> {
    let now = core.clock.now_ms();
    let gone: Vec<(String, Option<String>)> = {
        let mut conn = core.db.pool.acquire().await?;
        let jobs = store::resources::jobs(&mut conn, workspace_id).await?;
        if jobs.is_empty() {
            return Ok(0);
        }
        let live: std::collections::HashSet<String> =
            store::catalog::workers(&mut conn, workspace_id, now)
                .await?
                .iter()
                .filter_map(|w| w["id"].as_str().map(String::from))
                .collect();
        let ids: Vec<String> = jobs.iter().map(|j| j.task_id.clone()).collect();
        let tasks: HashMap<String, Value> =
            store::catalog::list(&mut conn, workspace_id, Kind::Task, Some(&ids), None)
                .await?
                .into_iter()
                .filter_map(|t| Some((t["id"].as_str()?.to_string(), t)))
                .collect();
        ids.into_iter()
            .filter_map(|id| match tasks.get(&id) {
                None => Some((id, None)),
                Some(t) => {
                    let running = t["status"].as_str() == Some(TaskStatus::InProgress.as_str());
                    let worker = t["last_worker"].as_str().filter(|w| !live.contains(*w))?;
                    running.then(|| (id, Some(worker.to_string())))
                }
            })
            .collect()
    };
    if gone.is_empty() {
        return Ok(0);
    }
    let mut tx = core.db.begin_write().await.map_err(super::internal)?;
    for (task, worker) in &gone {
        store::resources::release(&mut tx, task).await?;
        let Some(worker) = worker else { continue };
        store::catalog::lock(&mut tx, workspace_id, Kind::Task, task).await?;
        let Some(mut t) = store::catalog::get(&mut tx, workspace_id, Kind::Task, task).await?
        else {
            continue;
        };
        if t["status"].as_str() != Some(TaskStatus::InProgress.as_str())
            || t["last_worker"].as_str() != Some(worker)
        {
            continue;
        }
        t["status"] = json!(TaskStatus::Stopped.as_str());
        t["status_reason"] = json!("Forced stop (non-responsive)");
        t["status_message"] = json!(format!("worker {worker} stopped reporting"));
        t["status_changed"] = json!(iso_millis(now));
        t["last_update"] = json!(iso_millis(now));
        store::catalog::replace(
            &mut tx,
            workspace_id,
            Kind::Task,
            &t,
            Some("in_progress"),
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(super::internal)?;
    tracing::info!(
        workspace = workspace_id,
        freed = gone.len(),
        "resources of tasks whose agents stopped reporting freed"
    );
    Ok(gone.len())
}

/// What a queue provisioning made means for an enqueue by `who`: a pool's queue takes only what
/// the allocator admits, and a policy's queue only tasks of its group's members. `Ok(true)`: the
/// queue is a policy's (run the allocator after the enqueue).
pub async fn check_enqueue(
    core: &Core,
    conn: &mut Conn,
    who: &Identity,
    queue_id: &str,
) -> Result<bool, AppError> {
    let Some(q) = store::resources::queue(conn, queue_id).await? else {
        return Ok(false);
    };
    match q.role {
        QueueRole::Pool { .. } => Err(AppError::refused(
            Code::NoWritePermission,
            "this queue is a resource pool's: it takes only the tasks the allocator admits; enqueue to one of a resource policy's queues",
        )),
        QueueRole::Policy { group, .. } => {
            let access =
                super::access_rules::workspace_access(core, conn, &who.workspace_id).await?;
            if access.in_group(&who.user_id, &group) {
                Ok(true)
            } else {
                Err(AppError::refused(
                    Code::NoWritePermission,
                    "only members of the resource policy's user group may enqueue to its queues",
                ))
            }
        }
    }
}

/// Refuses renaming or deleting a queue that provisioning made, other than by provisioning.
pub async fn check_queue_change(conn: &mut Conn, queue_id: &str) -> Result<(), AppError> {
    if store::resources::queue(conn, queue_id).await?.is_some() {
        return Err(AppError::refused(
            Code::RoleNotAllowed,
            "this queue belongs to the resource configuration: change it there and provision",
        ));
    }
    Ok(())
}

/// Sends a queued task back to draft (its queue went, or its owner left the policy's group).
/// Whether it was queued.
async fn to_draft(
    conn: &mut Conn,
    workspace_id: &str,
    task_id: &str,
    message: &str,
    now: i64,
) -> Result<bool, AppError> {
    store::catalog::dequeue(conn, task_id).await?;
    store::resources::release(conn, task_id).await?;
    store::catalog::lock(conn, workspace_id, Kind::Task, task_id).await?;
    let Some(mut t) = store::catalog::get(conn, workspace_id, Kind::Task, task_id).await? else {
        return Ok(false);
    };
    if t["status"].as_str() != Some(TaskStatus::Queued.as_str()) {
        return Ok(false);
    }
    t["status"] = json!(TaskStatus::Created.as_str());
    t["status_changed"] = json!(iso_millis(now));
    t["status_message"] = json!(message);
    t["last_update"] = json!(iso_millis(now));
    if t["execution"].is_object() {
        t["execution"]["queue"] = Value::Null;
    }
    t.as_object_mut().map(|m| m.remove("enqueue_status"));
    store::catalog::replace(conn, workspace_id, Kind::Task, &t, None, now).await?;
    Ok(true)
}

/// What a provision wants of the queues: pools' queues by pool id, policies' by (policy,
/// profile), each with its name (and a policy queue's group) and the field naming it.
struct Wanted {
    name: String,
    role: QueueRole,
    field: String,
}

fn wanted(c: &Configuration) -> Vec<Wanted> {
    let mut out: Vec<Wanted> = c
        .pools
        .iter()
        .enumerate()
        .map(|(i, p)| Wanted {
            name: p.name.clone(),
            role: QueueRole::Pool { pool: p.id.clone() },
            field: format!("pools[{i}].name"),
        })
        .collect();
    for (i, pol) in c.policies.iter().enumerate() {
        for (j, q) in pol.queues.iter().enumerate() {
            out.push(Wanted {
                name: q.name.clone(),
                role: QueueRole::Policy {
                    policy: pol.id.clone(),
                    profile: q.profile.clone(),
                    group: pol.group.clone(),
                },
                field: format!("policies[{i}].queues[{j}].name"),
            });
        }
    }
    out
}

/// Whether two roles are the same queue (a policy queue is its policy and profile; its group may
/// change).
fn same_queue(a: &QueueRole, b: &QueueRole) -> bool {
    match (a, b) {
        (QueueRole::Pool { pool: x }, QueueRole::Pool { pool: y }) => x == y,
        (
            QueueRole::Policy {
                policy: p1,
                profile: f1,
                ..
            },
            QueueRole::Policy {
                policy: p2,
                profile: f2,
                ..
            },
        ) => p1 == p2 && f1 == f2,
        _ => false,
    }
}

impl ResourcesService {
    async fn row(&self, conn: &mut Conn, workspace_id: &str) -> Result<ConfigurationRow, AppError> {
        Ok(store::resources::get(conn, workspace_id)
            .await?
            .unwrap_or_else(|| ConfigurationRow {
                saved: empty(),
                saved_version: 0,
                provisioned: empty(),
                provisioned_version: 0,
                enabled: false,
                updated_ms: 0,
                updated_by: String::new(),
            }))
    }

    /// Refuses a configuration that cannot be stored, or whose policies name a group the
    /// workspace does not have.
    async fn check(
        &self,
        conn: &mut Conn,
        workspace_id: &str,
        c: &Configuration,
    ) -> Result<(), AppError> {
        c.check()?;
        let groups = store::groups::list(conn, workspace_id).await?;
        for (i, p) in c.policies.iter().enumerate() {
            if !groups.iter().any(|g| g.id == p.group) {
                return Err(AppError::validation(
                    format!("policies[{i}].group"),
                    format!("No user group of this workspace has the id {}.", p.group),
                ));
            }
        }
        Ok(())
    }

    /// The pages' view: both configurations, whether management is on, and the live use.
    pub async fn get(&self, who: &Admin<'_>) -> Result<ResourcesView, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let row = self.row(&mut conn, &who.workspace_id).await?;
        let provisioned = parse(&row.provisioned)?;
        let saved = parse(&row.saved)?;
        let live = Live::read(&mut conn, &who.workspace_id).await?;
        let usage = usage(&provisioned, &live);
        Ok(ResourcesView {
            unprovisioned: saved != provisioned,
            provisioned,
            provisioned_version: row.provisioned_version,
            saved,
            saved_version: row.saved_version,
            enabled: row.enabled,
            usage,
        })
    }

    /// Stores the editor's configuration (nothing changes until it is provisioned). `version`:
    /// the saved version the editor started from; another save meanwhile is a conflict. The new
    /// version.
    pub async fn save(
        &self,
        who: &Admin<'_>,
        config: &Configuration,
        version: i64,
    ) -> Result<i64, AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let mut row = store::resources::lock(&mut tx, &who.workspace_id, &empty(), now).await?;
        if row.saved_version != version {
            return Err(stale(row.saved_version));
        }
        self.check(&mut tx, &who.workspace_id, config).await?;
        row.saved = encode(config);
        row.saved_version += 1;
        row.updated_ms = now;
        row.updated_by = who.user_id.clone();
        store::resources::put(&mut tx, &who.workspace_id, &row).await?;
        tx.audit(
            "resource_configuration.save",
            Object {
                kind: AuditObject::ResourceConfiguration,
                id: &who.workspace_id,
                name: "resource configuration",
            },
            &json!({"after": summary(config), "version": row.saved_version}),
        )
        .await?;
        tx.commit().await?;
        Ok(row.saved_version)
    }

    /// Changes one object of the saved configuration from the version the caller read (the
    /// per-object endpoints: the editor's Save, one change at a time). `change` edits a copy,
    /// which is checked and stored; nothing is applied until provisioned. Its answer and the new
    /// version.
    pub async fn edit<T>(
        &self,
        who: &Admin<'_>,
        version: i64,
        action: &str,
        change: impl FnOnce(&mut Configuration) -> Result<T, AppError>,
    ) -> Result<(T, i64), AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let mut row = store::resources::lock(&mut tx, &who.workspace_id, &empty(), now).await?;
        if row.saved_version != version {
            return Err(stale(row.saved_version));
        }
        let mut config = parse(&row.saved)?;
        let out = change(&mut config)?;
        config.tidy_policy_priorities();
        self.check(&mut tx, &who.workspace_id, &config).await?;
        row.saved = encode(&config);
        row.saved_version += 1;
        row.updated_ms = now;
        row.updated_by = who.user_id.clone();
        store::resources::put(&mut tx, &who.workspace_id, &row).await?;
        tx.audit(
            action,
            Object {
                kind: AuditObject::ResourceConfiguration,
                id: &who.workspace_id,
                name: "resource configuration",
            },
            &json!({"after": summary(&config), "version": row.saved_version}),
        )
        .await?;
        tx.commit().await?;
        Ok((out, row.saved_version))
    }

    /// The saved configuration and its version (what the per-object endpoints list).
    pub async fn saved(&self, who: &Admin<'_>) -> Result<(Configuration, i64), AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let row = self.row(&mut conn, &who.workspace_id).await?;
        Ok((parse(&row.saved)?, row.saved_version))
    }

    /// What would not work well in a configuration (it changes nothing).
    pub async fn validate(
        &self,
        who: &Admin<'_>,
        config: &Configuration,
    ) -> Result<Validation, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        self.check(&mut conn, &who.workspace_id, config).await?;
        Ok(Validation {
            findings: config.findings(),
        })
    }

    /// Drops the saved changes: the editor starts again from the provisioned configuration.
    pub async fn reset(&self, who: &Admin<'_>) -> Result<i64, AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let mut row = store::resources::lock(&mut tx, &who.workspace_id, &empty(), now).await?;
        row.saved = row.provisioned.clone();
        row.saved_version += 1;
        row.updated_ms = now;
        row.updated_by = who.user_id.clone();
        store::resources::put(&mut tx, &who.workspace_id, &row).await?;
        tx.audit(
            "resource_configuration.reset",
            Object {
                kind: AuditObject::ResourceConfiguration,
                id: &who.workspace_id,
                name: "resource configuration",
            },
            &json!({"version": row.saved_version}),
        )
        .await?;
        tx.commit().await?;
        Ok(row.saved_version)
    }

    /// Turns resource management on (policy queues are served at once) or off (tasks stay
    /// pending).
    pub async fn set_enabled(&self, who: &Admin<'_>, enabled: bool) -> Result<usize, AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let mut row = store::resources::lock(&mut tx, &who.workspace_id, &empty(), now).await?;
        let before = row.enabled;
        row.enabled = enabled;
        row.updated_ms = now;
        row.updated_by = who.user_id.clone();
        store::resources::put(&mut tx, &who.workspace_id, &row).await?;
        tx.audit(
            "resource_configuration.set_enabled",
            Object {
                kind: AuditObject::ResourceConfiguration,
                id: &who.workspace_id,
                name: "resource configuration",
            },
            &json!({"before": {"enabled": before}, "after": {"enabled": enabled}}),
        )
        .await?;
        tx.commit().await?;
        settle(&self.core, &who.workspace_id).await
    }

    /// Applies the saved configuration (`version`: the saved version the caller saw) in one
    /// transaction: the queues of pools and policy queues are made, renamed and removed; tasks
    /// waiting in a removed queue, or owned by someone no longer in their policy's group, go back
    /// to draft; jobs on a removed pool or of a removed policy stop holding resources. Then the
    /// allocator runs.
    pub async fn provision(&self, who: &Admin<'_>, version: i64) -> Result<Provisioned, AppError> {
        let ws = who.workspace_id.clone();
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let mut row = store::resources::lock(&mut tx, &ws, &empty(), now).await?;
        if row.saved_version != version {
            return Err(stale(row.saved_version));
        }
        let config = parse(&row.saved)?;
        self.check(&mut tx, &ws, &config).await?;
        let mut report = Provisioned::default();
        let wanted = wanted(&config);
        let old = store::resources::queues(&mut tx, &ws).await?;

        // Queues no longer wanted go, their waiting tasks back to draft.
        for q in &old {
            if wanted.iter().any(|w| same_queue(&w.role, &q.role)) {
                continue;
            }
            for e in store::catalog::entries(&mut tx, &q.queue_id).await? {
                if to_draft(&mut tx, &ws, &e.task_id, "resource queue removed", now).await? {
                    report.tasks_returned += 1;
                }
            }
            store::catalog::delete(&mut tx, &ws, Kind::Queue, std::slice::from_ref(&q.queue_id))
                .await?;
            store::resources::delete_queue(&mut tx, &q.queue_id).await?;
            report.queues_deleted += 1;
        }
        // Jobs whose pool or policy went stop holding resources.
        for j in store::resources::jobs(&mut tx, &ws).await? {
            let policy_kept = config.policies.iter().any(|p| p.id == j.policy_id);
            if config.pool(&j.pool_id).is_none() || !policy_kept {
                store::resources::release(&mut tx, &j.task_id).await?;
            }
        }
        // Wanted queues: renamed, regrouped or made.
        let access = super::access_rules::workspace_access(&self.core, &mut tx, &ws).await?;
        for w in &wanted {
            let existing = old.iter().find(|q| same_queue(&w.role, &q.role));
            let taken = store::catalog::by_name(&mut tx, &ws, Kind::Queue, &w.name).await?;
            let taken_by = taken
                .as_ref()
                .and_then(|d| d["id"].as_str().map(String::from));
            if taken_by.is_some() && taken_by.as_deref() != existing.map(|q| q.queue_id.as_str()) {
                return Err(AppError::validation(
                    w.field.clone(),
                    format!(
                        "A queue named {} exists already: pick another name, or rename or delete that queue.",
                        w.name
                    ),
                ));
            }
            match existing {
                Some(q) => {
                    if taken_by.is_none() {
                        rename_queue(&mut tx, &ws, &q.queue_id, &w.name, now).await?;
                    }
                    if q.role != w.role {
                        if let QueueRole::Policy { group, .. } = &w.role {
                            for e in store::catalog::entries(&mut tx, &q.queue_id).await? {
                                let owner =
                                    store::catalog::get(&mut tx, &ws, Kind::Task, &e.task_id)
                                        .await?
                                        .and_then(|t| t["user"].as_str().map(String::from))
                                        .unwrap_or_default();
                                if !access.in_group(&owner, group)
                                    && to_draft(
                                        &mut tx,
                                        &ws,
                                        &e.task_id,
                                        "its owner is not in the resource policy's group",
                                        now,
                                    )
                                    .await?
                                {
                                    report.tasks_returned += 1;
                                }
                            }
                        }
                        store::resources::put_queue(
                            &mut tx,
                            &ws,
                            &ResourceQueue {
                                queue_id: q.queue_id.clone(),
                                role: w.role.clone(),
                            },
                        )
                        .await?;
                    }
                }
                None => {
                    let id = new_id();
                    let tag = match w.role {
                        QueueRole::Pool { .. } => "resource_pool",
                        QueueRole::Policy { .. } => "resource_policy",
                    };
                    let doc = json!({
                        "id": id,
                        "name": w.name,
                        "user": who.user_id,
                        "company": ws,
                        "created": iso_millis(now),
                        "last_update": iso_millis(now),
                        "tags": [],
                        "system_tags": [tag],
                        "metadata": {},
                    });
                    store::catalog::insert(&mut tx, &ws, Kind::Queue, &doc, now).await?;
                    store::resources::put_queue(
                        &mut tx,
                        &ws,
                        &ResourceQueue {
                            queue_id: id,
                            role: w.role.clone(),
                        },
                    )
                    .await?;
                    report.queues_created += 1;
                }
            }
        }
        let before = parse(&row.provisioned)?;
        row.provisioned = row.saved.clone();
        row.provisioned_version += 1;
        row.updated_ms = now;
        row.updated_by = who.user_id.clone();
        store::resources::put(&mut tx, &ws, &row).await?;
        report.version = row.provisioned_version;
        tx.audit(
            "resource_configuration.provision",
            Object {
                kind: AuditObject::ResourceConfiguration,
                id: &ws,
                name: "resource configuration",
            },
            &json!({
                "before": summary(&before),
                "after": summary(&config),
                "queues_created": report.queues_created,
                "queues_deleted": report.queues_deleted,
                "tasks_returned": report.tasks_returned,
            }),
        )
        .await?;
        tx.commit().await?;
        report.admitted = settle(&self.core, &ws).await?;
        Ok(report)
    }

    /// What-if: what the saved configuration would admit now, against the live queues and the
    /// jobs running.
    pub async fn simulate(&self, who: &Admin<'_>) -> Result<Simulation, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let row = self.row(&mut conn, &who.workspace_id).await?;
        let saved = parse(&row.saved)?;
        let live = Live::read(&mut conn, &who.workspace_id).await?;
        let waiting = live.waiting(&saved);
        let admissions = allocate(&saved, &live.running(), &waiting);
        Ok(Simulation {
            waiting: waiting.len() - admissions.len(),
            admissions,
        })
    }

    /// The live queues for the editor's what-if: what runs, and what waits (by policy and
    /// profile), for the browser to try the editor's configuration on.
    pub async fn live(&self, who: &Admin<'_>) -> Result<LiveQueues, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let live = Live::read(&mut conn, &who.workspace_id).await?;
        Ok(LiveQueues {
            running: live.running(),
            waiting: live.queued(),
        })
    }

    /// The tasks waiting in policy queues (at most `limit`, each queue's oldest first) and why
    /// each waits.
    pub async fn waiting(
        &self,
        who: &Admin<'_>,
        limit: usize,
    ) -> Result<Vec<WaitingTask>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let row = self.row(&mut conn, &who.workspace_id).await?;
        let config = parse(&row.provisioned)?;
        let live = Live::read(&mut conn, &who.workspace_id).await?;
        let waiting = live.waiting(&config);
        let mut reasons = pending::why_each(&config, row.enabled, &live.running(), &waiting);
        reasons.truncate(limit);
        let ids: Vec<String> = reasons.iter().map(|(id, _)| id.clone()).collect();
        let names: HashMap<String, String> =
            store::catalog::list(&mut conn, &who.workspace_id, Kind::Task, Some(&ids), None)
                .await?
                .into_iter()
                .filter_map(|t| {
                    Some((
                        t["id"].as_str()?.to_string(),
                        t["name"].as_str()?.to_string(),
                    ))
                })
                .collect();
        let queues = config.queues();
        let queue_of: HashMap<&str, &str> = waiting
            .iter()
            .map(|w| (w.id.as_str(), w.queue.as_str()))
            .collect();
        Ok(reasons
            .into_iter()
            .map(|(task, pending)| WaitingTask {
                name: names.get(&task).cloned().unwrap_or_default(),
                queue: queue_of
                    .get(task.as_str())
                    .and_then(|q| queues.get(q))
                    .map(|(_, q)| q.name.clone())
                    .unwrap_or_default(),
                task,
                pending,
            })
            .collect())
    }

    /// Why a queued task is not running (any member who may read the task).
    pub async fn pending_reason(&self, who: &Identity, task: &Value) -> Result<Pending, AppError> {
        let id = task["id"].as_str().unwrap_or_default();
        if task["status"].as_str() != Some(TaskStatus::Queued.as_str()) {
            return Err(AppError::refused(
                Code::InvalidTaskStatus,
                format!("task {id} is not queued"),
            ));
        }
        let mut conn = self.core.db.pool.acquire().await?;
        let row = self.row(&mut conn, &who.workspace_id).await?;
        let config = parse(&row.provisioned)?;
        let live = Live::read(&mut conn, &who.workspace_id).await?;
        if let Some(job) = live.jobs.iter().find(|j| j.task_id == id) {
            let pool = config
                .pool(&job.pool_id)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            return Ok(Pending {
                reason: Reason::Admitted,
                position: 0,
                message: format!(
                    "Admitted onto pool {pool}: it waits for an agent listening on queue {pool}."
                ),
                used: None,
                limit: None,
                pools: vec![],
            });
        }
        let queue = store::catalog::queue_of(&mut conn, id).await?;
        let waiting = live.waiting(&config);
        let config_queue = queue
            .as_deref()
            .and_then(|q| live.config_queue(&config, q))
            .map(String::from);
        match config_queue {
            Some(q) => Ok(pending::why(
                &config,
                row.enabled,
                &live.running(),
                &waiting,
                id,
                &q,
            )),
            None => {
                let position = match &queue {
                    Some(q) => store::catalog::entries(&mut conn, q)
                        .await?
                        .iter()
                        .position(|e| e.task_id == id)
                        .unwrap_or(0),
                    None => 0,
                };
                Ok(Pending {
                    reason: Reason::QueueNotServed,
                    position,
                    message: "The task waits in a queue outside resource management: an agent listening on that queue takes it.".into(),
                    used: None,
                    limit: None,
                    pools: vec![],
                })
            }
        }
    }
}

async fn rename_queue(
    conn: &mut Conn,
    workspace_id: &str,
    queue_id: &str,
    name: &str,
    now: i64,
) -> Result<(), AppError> {
    if let Some(mut doc) = store::catalog::get(conn, workspace_id, Kind::Queue, queue_id).await? {
        doc["name"] = json!(name);
        doc["last_update"] = json!(iso_millis(now));
        store::catalog::replace(conn, workspace_id, Kind::Queue, &doc, None, now).await?;
    }
    Ok(())
}

fn stale(version: i64) -> AppError {
    AppError::Conflict(format!(
        "The resource configuration was saved elsewhere meanwhile (it is at version {version}); reload it and apply your change again."
    ))
}

/// A configuration as the audit log records it: names and amounts, not every link.
fn summary(c: &Configuration) -> Value {
    json!({
        "pools": c.pools.iter().map(|p| json!({"name": p.name, "capacity": p.capacity.to_string()})).collect::<Vec<_>>(),
        "profiles": c.profiles.iter().map(|p| json!({"name": p.name, "allotment": p.allotment.to_string(), "links": p.links.len()})).collect::<Vec<_>>(),
        "policies": c.policies.iter().map(|p| json!({"name": p.name, "reservation": p.reservation.to_string(), "limit": p.limit.to_string(), "queues": p.queues.len()})).collect::<Vec<_>>(),
    })
}

/// The live use of a provisioned configuration.
fn usage(c: &Configuration, live: &Live) -> Usage {
    let mut pool_use: HashMap<&str, Amount> = HashMap::new();
    let mut policy_use: HashMap<&str, (Amount, usize)> = HashMap::new();
    let mut profile_running: HashMap<&str, usize> = HashMap::new();
    for j in &live.jobs {
        *pool_use.entry(&j.pool_id).or_default() += Amount(j.amount);
        let p = policy_use.entry(&j.policy_id).or_default();
        p.0 += Amount(j.amount);
        p.1 += 1;
        *profile_running.entry(&j.profile_id).or_default() += 1;
    }
    let mut queued_by_queue: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &live.pending {
        *queued_by_queue.entry(&p.queue_id).or_default() += 1;
    }
    let queued_of = |policy: &str, profile: &str| {
        live.policy_queue(policy, profile)
            .and_then(|q| queued_by_queue.get(q).copied())
            .unwrap_or(0)
    };
    Usage {
        pools: c
            .pools
            .iter()
            .map(|p| PoolUse {
                id: p.id.clone(),
                in_use: pool_use.get(p.id.as_str()).copied().unwrap_or_default(),
                capacity: p.capacity,
                queue: live.pool_queue(&p.id).map(String::from),
            })
            .collect(),
        profiles: c
            .profiles
            .iter()
            .map(|f| {
                let exposing: Vec<&str> = c
                    .policies
                    .iter()
                    .filter(|p| p.queues.iter().any(|q| q.profile == f.id))
                    .map(|p| p.id.as_str())
                    .collect();
                ProfileUse {
                    id: f.id.clone(),
                    queued: exposing.iter().map(|p| queued_of(p, &f.id)).sum(),
                    running: profile_running.get(f.id.as_str()).copied().unwrap_or(0),
                    policies: exposing.len(),
                }
            })
            .collect(),
        policies: c
            .policies
            .iter()
            .map(|p| {
                let (used, running) = policy_use.get(p.id.as_str()).copied().unwrap_or_default();
                PolicyUse {
                    id: p.id.clone(),
                    used,
                    running,
                    queued: p.queues.iter().map(|q| queued_of(&p.id, &q.profile)).sum(),
                    queues: p
                        .queues
                        .iter()
                        .filter_map(|q| {
                            live.policy_queue(&p.id, &q.profile)
                                .map(|c| (q.id.clone(), c.to_string()))
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}
