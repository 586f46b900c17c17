//! Resource configuration through the API (administrators of the workspace): the configuration's
//! two documents, Save / Validate / Provision / Reset, resource management on or off, what-if; and
//! for any member who may read a task, why it is pending.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::resources::{Provisioned, ResourcesView, Simulation, Validation};
use app::domain::AppError;
use app::domain::resources::Configuration;
use app::domain::resources::pending::Pending;

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
