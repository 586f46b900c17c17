//! Atrium's server: configuration, the store (SQLite or PostgreSQL through one set of SQL), the
//! services that carry out every user action, the HTTP layer that serves the console, its server
//! functions and the ClearML-compatible REST API, and the command line.

#![forbid(unsafe_code)]

pub mod clearml;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod http;
pub mod mail;
pub mod services;
pub mod state;
pub mod store;
pub mod tokens;
