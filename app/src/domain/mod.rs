//! Pure rules of the product: identities, validation, preferences, audit masking, throttling and time.
//! Nothing here knows about HTTP, the database or the UI, so the same code runs on the server, in the
//! browser (inline validation) and in plain unit tests.

pub mod access_rules;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod cloud_access;
pub mod credentials;
pub mod error;
pub mod files;
pub mod identity;
pub mod identity_providers;
pub mod invitations;
pub mod preferences;
pub mod resources;
pub mod throttle;
pub mod timefmt;
pub mod tips;
pub mod validate;
pub mod vaults;

pub use error::{AppError, Code};
pub use identity::{Identity, Role};
