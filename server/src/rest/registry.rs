//! The endpoint registry: every REST endpoint is declared once, in its area's module, with its
//! ClearML name, who may call it, whether it changes state, whether an impersonating token may call
//! it, its typed parameters and answer (with JSON Schemas) and its handler. The one list built from
//! those declarations drives dispatch, the access checks made before a handler runs, `/openapi.json`,
//! the permission-walk tests and the README's API table test.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use app::api::backend::Caller;
use app::domain::identity::Channel;
use app::domain::{AppError, Identity};

use crate::services::Services;
use crate::state::AppState;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without credentials.
    Public,
    /// A key pair or a token (not a browser session).
    Credential,
    /// Any signed-in member of the workspace.
    Member,
    /// Administrators of the workspace.
    Admin,
}

impl Access {
    /// How the README and the OpenAPI document name it.
    pub fn label(self) -> &'static str {
        match self {
            Access::Public => "anyone",
            Access::Credential => "key pair or token",
            Access::Member => "member",
            Access::Admin => "admin",
        }
    }
}

/// The permission an endpoint needs on the object it names (for the ClearML objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Modify,
}

/// The object an endpoint acts on: its type, the parameter that carries its id (empty when the
/// endpoint names none: a creation or the default queue; for a creation it names the project the
/// object goes into), and the permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub kind: &'static str,
    pub id_param: &'static str,
    pub permission: Permission,
}

/// The future a handler returns.
pub type Answer = std::pin::Pin<Box<dyn Future<Output = Result<Box<RawValue>, AppError>> + Send>>;

/// One endpoint, as its area declares it (use the [`endpoint!`] macro).
#[derive(Debug)]
pub struct Endpoint {
    pub name: &'static str,
    pub summary: &'static str,
    pub access: Access,
    /// Whether the endpoint changes state: a caller authenticated by a cookie must then use POST
    /// from the same origin (a cross-site page can make a browser send cookies on a GET).
    pub writes: bool,
    /// Whether a token that impersonates a member may call it (default: no).
    pub impersonation: bool,
    pub min_version: (u32, u32),
    pub resource: Option<Resource>,
    pub params: fn() -> schemars::Schema,
    pub answer: fn() -> schemars::Schema,
    pub run: fn(Ctx, Value) -> Answer,
}

/// What a handler gets: the state, the authenticated caller (checked against the declaration
/// already) and the impersonation asked for by header.
#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
    pub caller: Option<Caller>,
    pub impersonate: Option<String>,
}

impl Ctx {
    pub fn services(&self) -> &Services {
        &self.state.services
    }

    /// The caller (every endpoint but the public ones has one by the time it runs).
    pub fn caller(&self) -> Result<&Caller, AppError> {
        self.caller.as_ref().ok_or(AppError::Unauthorized)
    }

    /// The caller as the API acts for them (recorded in the audit log as the API channel).
    pub fn who(&self) -> Result<Identity, AppError> {
        Ok(Identity {
            channel: Channel::Api,
            ..self.caller()?.identity.clone()
        })
    }

    /// The caller with their identity marked as acting through the API.
    pub fn api_caller(&self) -> Result<Caller, AppError> {
        Ok(Caller {
            identity: self.who()?,
            ..self.caller()?.clone()
        })
    }
}

/// Decodes an endpoint's parameters; a bad field is a 400 naming it.
pub fn params<T: DeserializeOwned>(body: Value) -> Result<T, AppError> {
    serde_json::from_value(body).map_err(|e| {
        let text = e.to_string();
        let field = text
            .split('`')
            .nth(1)
            .filter(|f| !f.contains(' '))
            .unwrap_or("body")
            .to_string();
        AppError::validation(field, text)
    })
}

/// Encodes a handler's answer, once: the envelope takes the text as it is.
pub fn answer<T: serde::Serialize>(value: T) -> Result<Box<RawValue>, AppError> {
    serde_json::value::to_raw_value(&value).map_err(crate::services::internal)
}

/// Declares an endpoint: `name`, `summary`, `access` (an [`Access`] variant), `writes`,
/// `impersonation`, and `handler: f(Params) -> Answer` where `f` is
/// `async fn f(ctx: Ctx, p: Params) -> Result<Answer, AppError>`.
macro_rules! endpoint {
    (
        name: $name:literal,
        summary: $summary:literal,
        access: $access:ident,
        writes: $writes:literal,
        impersonation: $imp:literal,
        handler: $handler:ident($params:ty) -> $answer:ty $(,)?
    ) => {
        $crate::rest::registry::endpoint!(@make $name, $summary, $access, $writes, $imp, None, $handler, $params, $answer)
    };
    (
        name: $name:literal,
        summary: $summary:literal,
        access: $access:ident,
        writes: $writes:literal,
        impersonation: $imp:literal,
        resource: ($kind:literal, $id_param:literal, $perm:ident),
        handler: $handler:ident($params:ty) -> $answer:ty $(,)?
    ) => {
        $crate::rest::registry::endpoint!(@make $name, $summary, $access, $writes, $imp,
            Some($crate::rest::registry::Resource {
                kind: $kind,
                id_param: $id_param,
                permission: $crate::rest::registry::Permission::$perm,
            }),
            $handler, $params, $answer)
    };
    (@make $name:literal, $summary:literal, $access:ident, $writes:literal, $imp:literal, $resource:expr,
     $handler:ident, $params:ty, $answer:ty) => {
        $crate::rest::registry::Endpoint {
            name: $name,
            summary: $summary,
            access: $crate::rest::registry::Access::$access,
            writes: $writes,
            impersonation: $imp,
            min_version: (1, 0),
            resource: $resource,
            params: {
                fn schema() -> schemars::Schema {
                    schemars::schema_for!($params)
                }
                schema
            },
            answer: {
                fn schema() -> schemars::Schema {
                    schemars::schema_for!($answer)
                }
                schema
            },
            run: {
                fn run(
                    ctx: $crate::rest::registry::Ctx,
                    body: serde_json::Value,
                ) -> $crate::rest::registry::Answer {
                    Box::pin(async move {
                        let p: $params = $crate::rest::registry::params(body)?;
                        let a: $answer = $handler(ctx, p).await?;
                        $crate::rest::registry::answer(a)
                    })
                }
                run
            },
        }
    };
}
pub(crate) use endpoint;

/// Parameters of an endpoint that takes none (unknown fields are ignored, as ClearML does).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct NoParams {}

/// Parameters that name one object by its id.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct IdParam {
    pub id: String,
}

/// The answer of an endpoint that updated one object.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Updated {
    pub updated: u32,
}

/// The answer of an endpoint that deleted one object.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Deleted {
    pub deleted: u32,
}

/// Every endpoint, area by area: one line per area.
pub fn all() -> &'static [&'static Endpoint] {
    static ALL: LazyLock<Vec<&'static Endpoint>> = LazyLock::new(|| {
        let areas: [&'static [Endpoint]; 23] = [
            super::server::ENDPOINTS,
            super::profile::ENDPOINTS,
            super::preferences::ENDPOINTS,
            super::audit::ENDPOINTS,
            super::billing::ENDPOINTS,
            super::credentials::ENDPOINTS,
            super::workspaces::ENDPOINTS,
            super::cloud_access::ENDPOINTS,
            super::users::ENDPOINTS,
            super::service_accounts::ENDPOINTS,
            super::groups::ENDPOINTS,
            super::vaults::ENDPOINTS,
            super::catalog::projects::ENDPOINTS,
            super::catalog::tasks::ENDPOINTS,
            super::catalog::models::ENDPOINTS,
            super::catalog::queues::ENDPOINTS,
            super::catalog::workers::ENDPOINTS,
            super::catalog::events::ENDPOINTS,
            super::catalog::datasets::ENDPOINTS,
            super::catalog::dataviews::ENDPOINTS,
            super::access_rules::ENDPOINTS,
            super::identity_providers::ENDPOINTS,
            super::resources::ENDPOINTS,
        ];
        areas.into_iter().flatten().collect()
    });
    &ALL
}

/// The endpoint with this name.
pub fn find(name: &str) -> Option<&'static Endpoint> {
    static BY_NAME: LazyLock<HashMap<&'static str, &'static Endpoint>> =
        LazyLock::new(|| all().iter().map(|e| (e.name, *e)).collect());
    BY_NAME.get(name).copied()
}

/// Numbers that arrive as strings (from a query string) are taken as numbers.
pub mod lenient {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(i64),
        Text(String),
    }

    /// An optional whole number, given as a number or as a digit string.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<NumberOrText>::deserialize(d)? {
            None => Ok(None),
            Some(NumberOrText::Number(n)) => Ok(Some(n)),
            Some(NumberOrText::Text(s)) if s.trim().is_empty() => Ok(None),
            Some(NumberOrText::Text(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a whole number"))),
        }
    }
}

/// The OpenAPI 3.1 document: every endpoint with its request and answer schemas.
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for e in all() {
        let security = match e.access {
            Access::Public => json!([]),
            Access::Credential => json!([{"basic": []}, {"bearer": []}]),
            _ => json!([{"session": []}, {"bearer": []}, {"basic": []}]),
        };
        let who = match e.access {
            Access::Public => "No credentials needed.",
            Access::Member => "Any signed-in member.",
            Access::Admin => "Workspace administrators only.",
            Access::Credential => "An API key pair (HTTP Basic) or a token (Bearer).",
        };
        let notes = format!(
            "{who}{}{}",
            if e.writes {
                " Changes state: a browser session must use POST from the same origin."
            } else {
                ""
            },
            if e.impersonation {
                " Allowed for impersonating tokens."
            } else {
                ""
            }
        );
        paths.insert(
            format!("/{}", e.name),
            json!({
                "post": {
                    "operationId": e.name,
                    "summary": e.summary,
                    "description": format!("Also answers GET with the same body or query parameters, and under /v{{major}}.{{minor}}/{}. {notes}", e.name),
                    "security": security,
                    "x-atrium-writes": e.writes,
                    "x-atrium-impersonation": e.impersonation,
                    "requestBody": {"content": {"application/json": {"schema": (e.params)()}}},
                    "responses": {
                        "200": {"description": "The envelope; `data` is the answer.", "content": {"application/json": {"schema": {
                            "allOf": [{"$ref": "#/components/schemas/Envelope"}, {"type": "object", "properties": {"data": (e.answer)()}}]
                        }}}},
                        "400": {"description": "Bad request (the message names the field)."},
                        "401": {"description": "No or invalid credentials (ClearML subcodes 20, 21, 22, 30)."},
                        "403": {"description": "Not allowed for this caller."},
                        "503": {"description": "The database is unavailable; retry."}
                    }
                }
            }),
        );
    }
    // The login routes: pages and redirects for browsers, not the envelope.
    for d in &crate::sso::DECLARED {
        let op = json!({
            "operationId": format!("{} {}", d.method, d.path),
            "summary": d.summary,
            "tags": ["login routes"],
            "security": [],
            "responses": {
                "200": {"description": "A page (the test result, the hand-on to /sso/acs/finish, or SAML metadata)."},
                "303": {"description": "On to the provider, the console, the profile, or the login page with `sso_error`."},
                "404": {"description": "No such connection (metadata)."}
            }
        });
        let entry = paths.entry(d.path.to_string()).or_insert_with(|| json!({}));
        entry[d.method.to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Atrium API", "version": env!("CARGO_PKG_VERSION"), "description": "ClearML-compatible settings and administration API. Every answer is an envelope {meta, data}; HTTP status equals meta.result_code."},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": app::api::sessions::SESSION_COOKIE},
                "basic": {"type": "http", "scheme": "basic", "description": "access_key:secret_key"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": {"Envelope": {"type": "object", "required": ["meta", "data"], "properties": {
                "meta": {"type": "object", "properties": {"id": {"type": "string"}, "trx": {"type": "string"}, "endpoint": {"type": "object"}, "result_code": {"type": "integer"}, "result_subcode": {"type": "integer"}, "result_msg": {"type": "string"}}},
                "data": {"type": "object"}
            }}}
        }
    })
}

/// The README's API table rows, as the registry declares them (a test keeps the README in step).
pub fn readme_rows() -> Vec<String> {
    all()
        .iter()
        .map(|e| format!("| `{}` | {} | {} |", e.name, e.access.label(), e.summary))
        .collect()
}
