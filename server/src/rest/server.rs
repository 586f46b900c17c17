//! The server's own endpoints: liveness and version, answered without credentials.

use schemars::JsonSchema;
use serde::Serialize;

use app::domain::AppError;

use super::registry::{Ctx, Endpoint, NoParams, endpoint};
use super::{MAX_API_VERSION, SERVER_VERSION};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "debug.ping",
        summary: "liveness; no credentials needed",
        access: Public,
        writes: false,
        impersonation: true,
        handler: ping(NoParams) -> Pong,
    },
    endpoint! {
        name: "server.info",
        summary: "server and API version",
        access: Public,
        writes: false,
        impersonation: true,
        handler: info(NoParams) -> ServerInfo,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct Pong {
    pub msg: &'static str,
    pub server: &'static str,
}

async fn ping(_: Ctx, _: NoParams) -> Result<Pong, AppError> {
    Ok(Pong {
        msg: "ClearML server",
        server: "Atrium",
    })
}

#[derive(Serialize, JsonSchema)]
pub struct ServerInfo {
    pub version: &'static str,
    pub build: &'static str,
    pub commit: &'static str,
    pub api_version: String,
    pub server: &'static str,
}

async fn info(_: Ctx, _: NoParams) -> Result<ServerInfo, AppError> {
    Ok(ServerInfo {
        version: SERVER_VERSION,
        build: env!("CARGO_PKG_VERSION"),
        commit: "",
        api_version: format!("{}.{}", MAX_API_VERSION.0, MAX_API_VERSION.1),
        server: "Atrium",
    })
}
