//! Resource configuration through the API (administrators of the workspace): the configuration's
//! two documents, Save / Validate / Provision / Reset, resource management on or off, what-if; and
//! for any member who may read a task, why it is pending.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::resources::{Provisioned, ResourcesView, Simulation, Validation};
use app::domain::AppError;
use app::domain::resources::pending::Pending;
use app::domain::resources::{Amount, Configuration, Link, Policy, PolicyDraft, Pool, Profile};

use super::registry::{Ctx, Endpoint, NoParams, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "resource_configuration.get",
        summary: "the provisioned configuration (pools, profiles, policies) and the editor's saved one with its `saved_version`, whether resource management is on, and the live use of pools, profiles and policies",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get(NoParams) -> ResourcesView,
    },
    endpoint! {
        name: "resource_configuration.save",
        summary: "store the editor's `configuration` (applied only by provisioning); `version`: the `saved_version` it started from — another save meanwhile is a 409",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: save(SaveParams) -> Saved,
    },
    endpoint! {
        name: "resource_configuration.validate",
        summary: "what would not work well in a `configuration` (a profile linked to no pool, reservations above capacity, a limit below a reservation, an allotment larger than every linked pool); changes nothing",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: validate(ConfigurationParam) -> Validation,
    },
    endpoint! {
        name: "resource_configuration.provision",
        summary: "apply the saved configuration (`version`: its `saved_version`) at once: queues of pools and policies made, renamed and removed; tasks of removed queues and of owners outside a policy's group back to draft; then the allocator runs",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: provision(VersionParam) -> Provisioned,
    },
    endpoint! {
        name: "resource_configuration.reset",
        summary: "drop the saved changes: the editor starts again from the provisioned configuration",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: reset(NoParams) -> Saved,
    },
    endpoint! {
        name: "resource_configuration.set_enabled",
        summary: "turn resource management on (`enabled`: true; policy queues are served at once) or off (tasks in policy queues stay pending)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: set_enabled(EnabledParam) -> Admitted,
    },
    endpoint! {
        name: "resource_configuration.simulate",
        summary: "what-if: the tasks the saved configuration would admit now, and where, against the live queues",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: simulate(NoParams) -> Simulation,
    },
    endpoint! {
        name: "resource_pools.get_all",
        summary: "the saved configuration's pools (what the editor shows) and its `saved_version`",
        access: Admin, writes: false, impersonation: false,
        handler: pools_get_all(NoParams) -> Pools,
    },
    endpoint! {
        name: "resource_pools.create",
        summary: "a pool in the saved configuration: `name`, `capacity` (hundredths), `description`, from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: pools_create(NewPool) -> Made,
    },
    endpoint! {
        name: "resource_pools.update",
        summary: "a saved pool's (`id`) `name`, `capacity`, `description` or execution `priority` (profile ids), from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: pools_update(PoolChange) -> Saved,
    },
    endpoint! {
        name: "resource_pools.delete",
        summary: "a pool (`id`) out of the saved configuration, with the links to it, from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: pools_delete(IdVersion) -> Saved,
    },
    endpoint! {
        name: "resource_profiles.get_all",
        summary: "the saved configuration's profiles with their links in precedence order and their policy priority, and its `saved_version`",
        access: Admin, writes: false, impersonation: false,
        handler: profiles_get_all(NoParams) -> Profiles,
    },
    endpoint! {
        name: "resource_profiles.create",
        summary: "a profile in the saved configuration: `name`, `allotment` (hundredths per job), from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: profiles_create(NewProfile) -> Made,
    },
    endpoint! {
        name: "resource_profiles.update",
        summary: "a saved profile's (`id`) `name`, `allotment`, `links` (in precedence order) or `policy_priority`, from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: profiles_update(ProfileChange) -> Saved,
    },
    endpoint! {
        name: "resource_profiles.link",
        summary: "link a saved profile (`id`) to a `pool` under a connection `name`: last in its precedence and in the pool's priority; from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: profiles_link(LinkChange) -> Saved,
    },
    endpoint! {
        name: "resource_profiles.unlink",
        summary: "remove a saved profile's (`id`) link to a `pool`, from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: profiles_unlink(LinkChange) -> Saved,
    },
    endpoint! {
        name: "resource_profiles.delete",
        summary: "a profile (`id`) out of the saved configuration; refused while a policy's queue exposes it; from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: profiles_delete(IdVersion) -> Saved,
    },
    endpoint! {
        name: "resource_policies.get_all",
        summary: "the saved configuration's policies (group, reservation, limit, queues) and its `saved_version`",
        access: Admin, writes: false, impersonation: false,
        handler: policies_get_all(NoParams) -> Policies,
    },
    endpoint! {
        name: "resource_policies.create",
        summary: "a policy in the saved configuration: `name`, `group`, `reservation`, `limit` (hundredths), `description`, `queues` (each `{name, profile}`), from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: policies_create(PolicyInput) -> Made,
    },
    endpoint! {
        name: "resource_policies.update",
        summary: "replace a saved policy (`id`): as create; a queue keeps its `id` to stay the same queue; from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: policies_update(PolicyInput) -> Saved,
    },
    endpoint! {
        name: "resource_policies.delete",
        summary: "a policy (`id`) out of the saved configuration (provisioning removes its queues and returns their tasks to draft), from `version`",
        access: Admin, writes: true, impersonation: false,
        handler: policies_delete(IdVersion) -> Saved,
    },
    endpoint! {
        name: "tasks.get_pending_reason",
        summary: "why a queued task (`task`) is not running: the reason, its place in its queue, its policy's use and limit, its pools' room, and what would let it run",
        access: Member, writes: false, impersonation: true,
        resource: ("task", "task", Read),
        handler: pending_reason(TaskParam) -> Pending,
    },
];

async fn get(ctx: Ctx, _: NoParams) -> Result<ResourcesView, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .resources
        .get(&who.admin("see the resource configuration")?)
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct SaveParams {
    pub configuration: Configuration,
    pub version: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct Saved {
    pub saved_version: i64,
}

async fn save(ctx: Ctx, p: SaveParams) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let saved_version = ctx
        .services()
        .resources
        .save(
            &who.admin("change the resource configuration")?,
            &p.configuration,
            p.version,
        )
        .await?;
    Ok(Saved { saved_version })
}

#[derive(Deserialize, JsonSchema)]
pub struct ConfigurationParam {
    pub configuration: Configuration,
}

async fn validate(ctx: Ctx, p: ConfigurationParam) -> Result<Validation, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .resources
        .validate(
            &who.admin("validate the resource configuration")?,
            &p.configuration,
        )
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct VersionParam {
    pub version: i64,
}

async fn provision(ctx: Ctx, p: VersionParam) -> Result<Provisioned, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .resources
        .provision(
            &who.admin("provision the resource configuration")?,
            p.version,
        )
        .await
}

async fn reset(ctx: Ctx, _: NoParams) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let saved_version = ctx
        .services()
        .resources
        .reset(&who.admin("reset the resource configuration")?)
        .await?;
    Ok(Saved { saved_version })
}

#[derive(Deserialize, JsonSchema)]
pub struct EnabledParam {
    pub enabled: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct Admitted {
    /// Tasks admitted right after.
    pub admitted: usize,
}

async fn set_enabled(ctx: Ctx, p: EnabledParam) -> Result<Admitted, AppError> {
    let who = ctx.who()?;
    let admitted = ctx
        .services()
        .resources
        .set_enabled(&who.admin("turn resource management on or off")?, p.enabled)
        .await?;
    Ok(Admitted { admitted })
}

async fn simulate(ctx: Ctx, _: NoParams) -> Result<Simulation, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .resources
        .simulate(&who.admin("simulate the resource configuration")?)
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct TaskParam {
    pub task: String,
}

async fn pending_reason(ctx: Ctx, p: TaskParam) -> Result<Pending, AppError> {
    let who = ctx.who()?;
    let services = ctx.services();
    let task = services.catalog.task(&who, &p.task).await?;
    services.resources.pending_reason(&who, &task).await
}

// ---------- one object at a time: pools, profiles and policies of the saved configuration ----------

/// The object a change names is not in the saved configuration.
fn missing(kind: &str, id: &str) -> AppError {
    AppError::validation(
        "id",
        format!("No {kind} has the id {id} in the saved configuration."),
    )
}

#[derive(Serialize, JsonSchema)]
pub struct Made {
    pub id: String,
    pub saved_version: i64,
}

#[derive(Deserialize, JsonSchema)]
pub struct IdVersion {
    pub id: String,
    /// The `saved_version` the change starts from.
    pub version: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct Pools {
    pub pools: Vec<Pool>,
    pub saved_version: i64,
}

async fn pools_get_all(ctx: Ctx, _: NoParams) -> Result<Pools, AppError> {
    let who = ctx.who()?;
    let (c, saved_version) = ctx
        .services()
        .resources
        .saved(&who.admin("see resource pools")?)
        .await?;
    Ok(Pools {
        pools: c.pools,
        saved_version,
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct NewPool {
    pub name: String,
    /// In hundredths of a resource (800: 8).
    pub capacity: Amount,
    #[serde(default)]
    pub description: String,
    pub version: i64,
}

async fn pools_create(ctx: Ctx, p: NewPool) -> Result<Made, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource pools")?;
    let (id, saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_pools.create", |c| {
            let id = c.new_id("pool", &p.name);
            c.pools.push(Pool {
                id: id.clone(),
                name: p.name,
                capacity: p.capacity,
                description: p.description,
                priority: vec![],
            });
            Ok(id)
        })
        .await?;
    Ok(Made { id, saved_version })
}

#[derive(Deserialize, JsonSchema)]
pub struct PoolChange {
    pub id: String,
    pub name: Option<String>,
    pub capacity: Option<Amount>,
    pub description: Option<String>,
    /// Its execution priority: the ids of profiles linked to it, first served first.
    pub priority: Option<Vec<String>>,
    pub version: i64,
}

async fn pools_update(ctx: Ctx, p: PoolChange) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource pools")?;
    let ((), saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_pools.update", |c| {
            let pool = c
                .pools
                .iter_mut()
                .find(|x| x.id == p.id)
                .ok_or_else(|| missing("pool", &p.id))?;
            if let Some(v) = p.name {
                pool.name = v;
            }
            if let Some(v) = p.capacity {
                pool.capacity = v;
            }
            if let Some(v) = p.description {
                pool.description = v;
            }
            if let Some(v) = p.priority {
                pool.priority = v;
            }
            Ok(())
        })
        .await?;
    Ok(Saved { saved_version })
}

async fn pools_delete(ctx: Ctx, p: IdVersion) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource pools")?;
    let ((), saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_pools.delete", |c| {
            c.pool(&p.id).ok_or_else(|| missing("pool", &p.id))?;
            c.remove_pool(&p.id);
            Ok(())
        })
        .await?;
    Ok(Saved { saved_version })
}

#[derive(Serialize, JsonSchema)]
pub struct Profiles {
    pub profiles: Vec<Profile>,
    pub saved_version: i64,
}

async fn profiles_get_all(ctx: Ctx, _: NoParams) -> Result<Profiles, AppError> {
    let who = ctx.who()?;
    let (c, saved_version) = ctx
        .services()
        .resources
        .saved(&who.admin("see resource profiles")?)
        .await?;
    Ok(Profiles {
        profiles: c.profiles,
        saved_version,
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct NewProfile {
    pub name: String,
    /// What one job takes, in hundredths (50: half a resource).
    pub allotment: Amount,
    pub version: i64,
}

async fn profiles_create(ctx: Ctx, p: NewProfile) -> Result<Made, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource profiles")?;
    let (id, saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_profiles.create", |c| {
            let id = c.new_id("profile", &p.name);
            c.profiles.push(Profile {
                id: id.clone(),
                name: p.name,
                allotment: p.allotment,
                links: vec![],
                policy_priority: vec![],
            });
            Ok(id)
        })
        .await?;
    Ok(Made { id, saved_version })
}

#[derive(Deserialize, JsonSchema)]
pub struct ProfileChange {
    pub id: String,
    pub name: Option<String>,
    pub allotment: Option<Amount>,
    /// Its links in precedence order (each `{name, pool}`); pools' priorities follow.
    pub links: Option<Vec<Link>>,
    /// The ids of the policies exposing it, first served first.
    pub policy_priority: Option<Vec<String>>,
    pub version: i64,
}

async fn profiles_update(ctx: Ctx, p: ProfileChange) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource profiles")?;
    let ((), saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_profiles.update", |c| {
            let profile = c
                .profile(&p.id)
                .ok_or_else(|| missing("profile", &p.id))?
                .clone();
            if let Some(links) = p.links {
                for old in &profile.links {
                    if !links.iter().any(|l| l.pool == old.pool) {
                        c.disconnect(&p.id, &old.pool);
                    }
                }
                for l in &links {
                    c.connect(&p.id, &l.pool, &l.name);
                }
                if let Some(x) = c.profiles.iter_mut().find(|x| x.id == p.id) {
                    x.links = links;
                }
            }
            let x = c
                .profiles
                .iter_mut()
                .find(|x| x.id == p.id)
                .ok_or_else(|| missing("profile", &p.id))?;
            if let Some(v) = p.name {
                x.name = v;
            }
            if let Some(v) = p.allotment {
                x.allotment = v;
            }
            if let Some(v) = p.policy_priority {
                x.policy_priority = v;
            }
            Ok(())
        })
        .await?;
    Ok(Saved { saved_version })
}

#[derive(Deserialize, JsonSchema)]
pub struct LinkChange {
    /// The profile.
    pub id: String,
    pub pool: String,
    /// The connection's name (linking; a link that exists is renamed).
    #[serde(default)]
    pub name: String,
    pub version: i64,
}

async fn profiles_link(ctx: Ctx, p: LinkChange) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource profiles")?;
    let ((), saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_profiles.link", |c| {
            c.profile(&p.id).ok_or_else(|| missing("profile", &p.id))?;
            c.pool(&p.pool).ok_or_else(|| missing("pool", &p.pool))?;
            c.connect(&p.id, &p.pool, &p.name);
            Ok(())
        })
        .await?;
    Ok(Saved { saved_version })
}

async fn profiles_unlink(ctx: Ctx, p: LinkChange) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource profiles")?;
    let ((), saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_profiles.unlink", |c| {
            c.profile(&p.id).ok_or_else(|| missing("profile", &p.id))?;
            c.disconnect(&p.id, &p.pool);
            Ok(())
        })
        .await?;
    Ok(Saved { saved_version })
}

async fn profiles_delete(ctx: Ctx, p: IdVersion) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource profiles")?;
    let ((), saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_profiles.delete", |c| {
            c.profile(&p.id).ok_or_else(|| missing("profile", &p.id))?;
            c.remove_profile(&p.id)
        })
        .await?;
    Ok(Saved { saved_version })
}

#[derive(Serialize, JsonSchema)]
pub struct Policies {
    pub policies: Vec<Policy>,
    pub saved_version: i64,
}

async fn policies_get_all(ctx: Ctx, _: NoParams) -> Result<Policies, AppError> {
    let who = ctx.who()?;
    let (c, saved_version) = ctx
        .services()
        .resources
        .saved(&who.admin("see resource policies")?)
        .await?;
    Ok(Policies {
        policies: c.policies,
        saved_version,
    })
}

/// A policy's queue: its name and the profile it exposes (`id`: an existing queue's, to keep it).
#[derive(Deserialize, JsonSchema)]
pub struct QueueInput {
    pub id: Option<String>,
    pub name: String,
    pub profile: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct PolicyInput {
    /// Absent: a new policy.
    pub id: Option<String>,
    pub name: String,
    /// The user group's id.
    pub group: String,
    /// In hundredths of a resource.
    pub reservation: Amount,
    pub limit: Amount,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub queues: Vec<QueueInput>,
    pub version: i64,
}

fn put_policy(c: &mut Configuration, p: PolicyInput) -> Result<String, AppError> {
    c.put_policy(PolicyDraft {
        id: p.id,
        name: p.name,
        group: p.group,
        reservation: p.reservation,
        limit: p.limit,
        description: p.description,
        queues: p
            .queues
            .into_iter()
            .map(|q| (q.id, q.name, q.profile))
            .collect(),
    })
}

async fn policies_create(ctx: Ctx, mut p: PolicyInput) -> Result<Made, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource policies")?;
    p.id = None;
    let version = p.version;
    let (id, saved_version) = ctx
        .services()
        .resources
        .edit(&admin, version, "resource_policies.create", |c| {
            put_policy(c, p)
        })
        .await?;
    Ok(Made { id, saved_version })
}

async fn policies_update(ctx: Ctx, p: PolicyInput) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource policies")?;
    if p.id.is_none() {
        return Err(AppError::validation("id", "`id` is required"));
    }
    let version = p.version;
    let (_, saved_version) = ctx
        .services()
        .resources
        .edit(&admin, version, "resource_policies.update", |c| {
            put_policy(c, p)
        })
        .await?;
    Ok(Saved { saved_version })
}

async fn policies_delete(ctx: Ctx, p: IdVersion) -> Result<Saved, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("change resource policies")?;
    let ((), saved_version) = ctx
        .services()
        .resources
        .edit(&admin, p.version, "resource_policies.delete", |c| {
            c.policies
                .iter()
                .find(|x| x.id == p.id)
                .ok_or_else(|| missing("policy", &p.id))?;
            c.remove_policy(&p.id);
            Ok(())
        })
        .await?;
    Ok(Saved { saved_version })
}
