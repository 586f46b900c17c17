//! Persistence, one module per area. Every function takes a connection (a pooled one or an open
//! transaction), so a service composes several of them into one transaction. The SQL is the same on
//! SQLite and PostgreSQL: `$n` parameters, `ON CONFLICT`, `RETURNING`, integers as BIGINT.

pub mod access_rules;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod cloud_access;
pub mod credentials;
pub mod files;
pub mod groups;
pub mod identity_providers;
pub mod resources;
pub mod secrets;
pub mod service_accounts;
pub mod sessions;
pub mod throttle;
pub mod users;
pub mod vaults;
pub mod workspaces;

/// The connection type every store function takes.
pub type Conn = sqlx::AnyConnection;

/// Whether an error is a unique-constraint violation (a taken name).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
