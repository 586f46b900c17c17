//! The HTTP layer end to end, in process: the REST envelope and its errors, authentication and
//! authorisation on every face (REST, server functions, CSV export, pages), cross-site refusal,
//! health, metrics and the OpenAPI document. One module per area of the product, and one for each
//! part of the server that is not an area.

#[path = "../common/mod.rs"]
mod common;

mod access_rules;
mod audit;
mod authorisation;
mod billing;
mod body_limits;
mod catalog;
mod cloud_access;
mod credentials;
mod envelope;
mod files;
mod groups;
mod identity_providers;
mod pages;
mod preferences;
mod profile;
mod resources;
mod security;
mod server;
mod server_functions;
mod service_accounts;
mod sessions;
mod usage;
mod users;
mod vaults;
mod workspaces;
