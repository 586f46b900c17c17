//! One module per screen, nested as the navigation nests: the public session pages (login, first
//! set-up, invitation links), then the settings console — its frame in `settings`, the user
//! settings in `settings::user`, the administrator settings in `settings::admin`. A page made of
//! several areas' cards keeps one file per area (`workspace/credentials.rs`).

pub mod not_found;
pub mod sessions;
pub mod settings;
