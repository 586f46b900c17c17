//! The pages outside the console: logging in, the first administrator's set-up, and invitation
//! links.

pub mod invite;
pub mod login;
pub mod setup;
