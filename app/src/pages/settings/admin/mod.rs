//! Administrator Settings: sections only a workspace's administrators see (their server functions sit
//! under `/fn/admin/`, which refuses everyone else before the function runs).

pub mod access_rules;
pub mod audit;
pub mod billing;
pub mod identity_providers;
pub mod resources;
pub mod users;
pub mod vaults;
