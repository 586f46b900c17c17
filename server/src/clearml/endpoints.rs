//! The API's endpoints: one table that drives dispatch, the OpenAPI document and the README's list.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use app::api::backend::{AccountPort, AuditPort, Caller};
use app::domain::audit::AuditQuery;
use app::domain::identity::Channel;
use app::domain::prefs::Preferences;
use app::domain::{AppError, Identity, Role};

use super::{MAX_API_VERSION, SERVER_VERSION};
use crate::state::AppState;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    User,
    Admin,
}

/// One endpoint.
#[derive(Debug)]
pub struct Endpoint {
    pub name: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub min_version: (u32, u32),
    /// An example request body.
    pub example: &'static str,
}

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "debug.ping",
        summary: "Liveness check; no credentials needed.",
        access: Access::Public,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "server.info",
        summary: "Server and API version.",
        access: Access::Public,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "users.get_current_user",
        summary: "The caller's user, workspace (company) and role.",
        access: Access::User,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "users.update",
        summary: "Rename the caller (`name`).",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"name": "Ada Lovelace"}"#,
    },
    Endpoint {
        name: "users.get_preferences",
        summary: "The caller's UI preferences.",
        access: Access::User,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "users.set_preferences",
        summary: "Replace the caller's UI preferences (missing keys take defaults).",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"preferences": {"hide_tips": true}}"#,
    },
    Endpoint {
        name: "audit.get_all",
        summary: "Audit entries, newest first; filters `actor`, `object_type`, `from_ms`, `to_ms`, `before`, `limit` (admins).",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"object_type": "user", "limit": 50}"#,
    },
];

/// Turns the named keys' digit strings (as they come from a query string) into numbers.
fn coerce_ints(mut body: Value, keys: &[&str]) -> Value {
    for key in keys {
        if let Some(v) = body.get_mut(*key)
            && let Some(n) = v.as_str().and_then(|s| s.parse::<i64>().ok())
        {
            *v = Value::from(n);
        }
    }
    body
}

fn params<T: DeserializeOwned>(body: Value) -> Result<T, AppError> {
    serde_json::from_value(body).map_err(|e| AppError::validation("body", e.to_string()))
}

fn api_identity(caller: &Caller) -> Identity {
    Identity {
        channel: Channel::Api,
        ..caller.identity.clone()
    }
}

/// Runs an endpoint for a caller.
pub async fn call(
    state: &AppState,
    endpoint: &Endpoint,
    caller: Option<Caller>,
    body: Value,
) -> Result<Value, AppError> {
    let who = match (endpoint.access, &caller) {
        (Access::Public, _) => None,
        (_, None) => return Err(AppError::Unauthorized),
        (Access::Admin, Some(c)) => {
            c.identity
                .require_admin(&format!("call {}", endpoint.name))?;
            Some(api_identity(c))
        }
        (Access::User, Some(c)) => Some(api_identity(c)),
    };
    let services = &state.services;
    let who = || who.clone().ok_or(AppError::Unauthorized);
    match endpoint.name {
        "debug.ping" => Ok(json!({"msg": "ClearML server", "server": "Atrium"})),
        "server.info" => Ok(json!({
            "version": SERVER_VERSION,
            "build": env!("CARGO_PKG_VERSION"),
            "commit": "",
            "api_version": format!("{}.{}", MAX_API_VERSION.0, MAX_API_VERSION.1),
            "server": "Atrium",
        })),
        "users.get_current_user" => {
            let who = who()?;
            let profile = services.accounts.profile(&who).await?;
            let prefs = services.accounts.preferences(&who).await?;
            let (given, family) = match profile.name.split_once(' ') {
                Some((g, f)) => (g.to_string(), f.to_string()),
                None => (profile.name.clone(), String::new()),
            };
            Ok(json!({
                "user": {
                    "id": profile.user_id,
                    "name": profile.name,
                    "given_name": given,
                    "family_name": family,
                    "email": profile.email,
                    "avatar": Value::Null,
                    "company": {"id": who.workspace_id, "name": who.workspace_name},
                    "role": if who.role == Role::Admin { "admin" } else { "user" },
                    "preferences": prefs,
                    "created": app::domain::timefmt::iso_utc(profile.created_ms),
                },
                "getting_started": {},
                "settings": {"max_download_items": 1000},
            }))
        }
        "users.update" => {
            #[derive(serde::Deserialize)]
            struct P {
                name: String,
                #[serde(default)]
                user: Option<String>,
            }
            let who = who()?;
            let p: P = params(body)?;
            if p.user.as_deref().is_some_and(|u| u != who.user_id) {
                return Err(AppError::forbidden("rename another user"));
            }
            let profile = services.accounts.rename(&who, &p.name).await?;
            Ok(json!({"updated": 1, "fields": {"name": profile.name}}))
        }
        "users.get_preferences" => {
            Ok(json!({"preferences": services.accounts.preferences(&who()?).await?}))
        }
        "users.set_preferences" => {
            #[derive(serde::Deserialize)]
            struct P {
                preferences: Preferences,
            }
            let p: P = params(body)?;
            let saved = services
                .accounts
                .save_preferences(&who()?, p.preferences)
                .await?;
            Ok(json!({"updated": 1, "preferences": saved}))
        }
        "audit.get_all" => {
            let q: AuditQuery = params(coerce_ints(body, &["limit", "from_ms", "to_ms"]))?;
            Ok(json!({"entries": services.audit.list(&who()?, q).await?}))
        }
        other => Err(AppError::not_found(format!("endpoint {other}"))),
    }
}

/// The OpenAPI 3.1 document for every endpoint.
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for e in ENDPOINTS {
        let example: Value = serde_json::from_str(e.example).unwrap_or(json!({}));
        let security = match e.access {
            Access::Public => json!([]),
            _ => json!([{"session": []}]),
        };
        paths.insert(
            format!("/{}", e.name),
            json!({
                "post": {
                    "operationId": e.name,
                    "summary": e.summary,
                    "description": format!("Also answers GET with the same body or query parameters, and under /v{{major}}.{{minor}}/{}. {}", e.name, match e.access { Access::Public => "No credentials needed.", Access::User => "Any signed-in member.", Access::Admin => "Workspace administrators only." }),
                    "security": security,
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}, "example": example}}},
                    "responses": {
                        "200": {"description": "The envelope with `data`.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}},
                        "400": {"description": "Bad request (the message names the field)."},
                        "401": {"description": "No or invalid credentials (ClearML subcodes 20, 21, 22, 30)."},
                        "403": {"description": "Not allowed for this caller."}
                    }
                }
            }),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Atrium API", "version": env!("CARGO_PKG_VERSION"), "description": "ClearML-compatible settings and administration API. Every answer is an envelope {meta, data}; HTTP status equals meta.result_code."},
        "paths": paths,
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": app::api::auth::SESSION_COOKIE}},
            "schemas": {"Envelope": {"type": "object", "required": ["meta", "data"], "properties": {
                "meta": {"type": "object", "properties": {"id": {"type": "string"}, "trx": {"type": "string"}, "endpoint": {"type": "object"}, "result_code": {"type": "integer"}, "result_subcode": {"type": "integer"}, "result_msg": {"type": "string"}}},
                "data": {"type": "object"}
            }}}
        }
    })
}
