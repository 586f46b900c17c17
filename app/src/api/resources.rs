//! Resource configuration: pools, profiles and policies, the editor's saved configuration and the
//! provisioned one, resource management on or off, and the live use of pools and policies.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;
use crate::domain::resources::QueuedJob;
use crate::domain::resources::allocator::{Admission, Running};
use crate::domain::resources::pending::Pending;
use crate::domain::resources::{Amount, Configuration, Finding};

/// What the resource configuration pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ResourcesView {
    /// The configuration that runs.
    pub provisioned: Configuration,
    pub provisioned_version: i64,
    /// The editor's saved configuration (the provisioned one when nothing waits).
    pub saved: Configuration,
    /// Send it back with a save or a provision: a stale one is a conflict.
    pub saved_version: i64,
    /// Whether saved changes wait to be provisioned.
    pub unprovisioned: bool,
    /// Whether policy queues are served.
    pub enabled: bool,
    pub usage: Usage,
}

/// The live use of the provisioned configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Usage {
    pub pools: Vec<PoolUse>,
    pub profiles: Vec<ProfileUse>,
    pub policies: Vec<PolicyUse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PoolUse {
    pub id: String,
    pub in_use: Amount,
    pub capacity: Amount,
    /// The queue the pool's agents listen on.
    pub queue: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ProfileUse {
    pub id: String,
    pub queued: usize,
    pub running: usize,
    /// How many policies expose it.
    pub policies: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PolicyUse {
    pub id: String,
    pub used: Amount,
    pub queued: usize,
    pub running: usize,
    /// The catalog queue of each of its queues, by the policy queue's id.
    pub queues: Vec<(String, String)>,
}

/// What a provision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Provisioned {
    pub version: i64,
    pub queues_created: usize,
    pub queues_deleted: usize,
    /// Tasks sent back to draft: their queue went, or their owner left the policy's group.
    pub tasks_returned: usize,
    /// Tasks admitted right after.
    pub admitted: usize,
}

/// Validate's answer: what would not work well (nothing is changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Validation {
    pub findings: Vec<Finding>,
}

/// What-if: what the saved configuration would run now, against the live queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Simulation {
    pub admissions: Vec<Admission>,
    /// Tasks still waiting afterwards.
    pub waiting: usize,
}

/// A task waiting in a policy queue, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingTask {
    pub task: String,
    pub name: String,
    pub queue: String,
    pub pending: Pending,
}

#[server(prefix = "/fn/admin", endpoint = "resources.waiting")]
pub async fn waiting() -> Result<Vec<WaitingTask>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .resources
                .waiting(&caller()?.identity.admin("see the waiting tasks")?, 200)
                .await
        }
        .await,
    )
}

/// The live queues the editor's what-if runs the allocator over, in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LiveQueues {
    pub running: Vec<Running>,
    pub waiting: Vec<QueuedJob>,
}

#[server(prefix = "/fn/admin", endpoint = "resources.live")]
pub async fn live() -> Result<LiveQueues, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .resources
                .live(&caller()?.identity.admin("see the live queues")?)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "resources.overview")]
pub async fn overview() -> Result<ResourcesView, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .resources
                .get(&caller()?.identity.admin("see the resource configuration")?)
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "resources.save", input = leptos::server_fn::codec::Json)]
pub async fn save(configuration: Configuration, version: i64) -> Result<i64, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .resources
                .save(
                    &caller()?
                        .identity
                        .admin("change the resource configuration")?,
                    &configuration,
                    version,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "resources.validate", input = leptos::server_fn::codec::Json)]
pub async fn validate(configuration: Configuration) -> Result<Validation, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .resources
                .validate(
                    &caller()?
                        .identity
                        .admin("validate the resource configuration")?,
                    &configuration,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "resources.provision")]
pub async fn provision(version: i64) -> Result<Provisioned, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .resources
                .provision(
                    &caller()?
                        .identity
                        .admin("provision the resource configuration")?,
                    version,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "resources.reset")]
pub async fn reset() -> Result<i64, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .resources
                .reset(
                    &caller()?
                        .identity
                        .admin("reset the resource configuration")?,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "resources.set_enabled")]
pub async fn set_enabled(enabled: bool) -> Result<usize, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .resources
                .set_enabled(
                    &caller()?
                        .identity
                        .admin("turn resource management on or off")?,
                    enabled,
                )
                .await
        }
        .await,
    )
}
