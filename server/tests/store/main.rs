//! The store suite: every test runs on SQLite and on PostgreSQL, through the store functions and the
//! services that compose them into transactions. One module per area of the product, and one for
//! each part of the server that is not an area.

#[path = "../common/mod.rs"]
mod common;

mod access_rules;
mod audit;
mod catalog;
mod cloud_access;
mod credentials;
mod files;
mod groups;
mod migrations;
mod preferences;
mod profile;
mod resources;
mod secrets;
mod service_accounts;
mod sessions;
mod usage;
mod users;
mod vaults;
mod workspaces;
