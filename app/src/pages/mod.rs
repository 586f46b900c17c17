//! One module per screen. Settings sections sit under the shared layout in `settings`.

pub mod audit;
pub mod cloud_access;
pub mod configuration;
pub mod groups;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod profile;
pub mod service_accounts;
pub mod settings;
pub mod setup;
pub mod users;
pub mod workspace;
