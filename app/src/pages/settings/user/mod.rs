//! User Settings: what every member manages for themselves.

pub mod configuration;
pub mod profile;
pub mod workspace;
