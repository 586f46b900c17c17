//! Server functions, one module per settings area, and the data they exchange. Each function is thin:
//! it takes the caller and the services from context, calls one service, and returns its result. The
//! rules live in the services (server crate) and in `domain`.

pub mod access_rules;
pub mod audit;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod billing;
pub mod cloud_access;
pub mod credentials;
pub mod groups;
pub mod identity_providers;
pub mod preferences;
pub mod profile;
pub mod resources;
pub mod service_accounts;
pub mod sessions;
pub mod users;
pub mod vaults;
pub mod workspaces;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};

use crate::domain::AppError;

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(msg) | ServerFnErrorErr::Response(msg) => {
                AppError::Transport(format!("The server could not be reached ({msg})."))
            }
            // The request's arguments could not be decoded: the caller's mistake, a 400.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                AppError::validation("input", format!("The input could not be read: {msg}"))
            }
            // On the server, decoding is only ever of the request's input.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(msg) => {
                AppError::validation("input", format!("The input could not be read: {msg}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
