//! Atrium's server: configuration, the store (SQLite or PostgreSQL through one set of SQL), the
//! services that carry out every user action, the HTTP layer that serves the console, its server
//! functions and the ClearML-compatible REST API, and the command line.

#![forbid(unsafe_code)]

pub mod assets;
pub mod cli;
pub mod config;
pub mod files;
pub mod http;
pub mod rest;
pub mod sso;
pub mod state;

// The services, the store, the database, keys and tokens live in the app crate (server-only, behind
// its `ssr` feature) so that server functions call them directly; they are the server's too.
pub use app::{crypto, db, mail, services, store, tokens};
