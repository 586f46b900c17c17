//! The API's endpoints: one table that drives dispatch, the OpenAPI document and the README's list.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use app::api::backend::{
    AccountPort, AuditPort, Caller, CloudAccessPort, CredentialPort, GroupPort, ServiceAccountPort,
    UsersPort, WorkspacePort,
};
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
    /// A key pair or a token (not a browser session).
    Credential,
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
    Endpoint {
        name: "auth.login",
        summary: "A token for the caller's key pair (HTTP Basic) or token (Bearer); optional `expiration_sec`.",
        access: Access::Credential,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "auth.create_credentials",
        summary: "A new key pair for the caller (`label`, optional `expires_in_days`, `workspace`); the secret is returned once.",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"label": "laptop"}"#,
    },
    Endpoint {
        name: "auth.get_credentials",
        summary: "The caller's key pairs in every workspace they belong to (never the secrets).",
        access: Access::User,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "auth.edit_credentials",
        summary: "Relabel one of the caller's key pairs (`access_key`, `label`).",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"access_key": "…", "label": "ci"}"#,
    },
    Endpoint {
        name: "auth.revoke_credentials",
        summary: "Revoke one of the caller's key pairs (`access_key`); its tokens stop working at once.",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"access_key": "…"}"#,
    },
    Endpoint {
        name: "workspaces.get_all",
        summary: "The caller's workspaces, invitations addressed to them, and (admins) the workspace's open invitations.",
        access: Access::User,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "workspaces.rename",
        summary: "Rename a workspace the caller administers (`workspace`, `name`).",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"workspace": "…", "name": "Research"}"#,
    },
    Endpoint {
        name: "workspaces.leave",
        summary: "Leave a workspace (`workspace`); the caller's credentials there are revoked.",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"workspace": "…"}"#,
    },
    Endpoint {
        name: "workspaces.invite",
        summary: "Invite addresses to the caller's workspace (`emails`: a list or a comma-separated string). Each result says how its link went: `delivery` \"sent\" (by e-mail), \"failed\" (with `error`; the invitation stays pending) or, without a mail server, \"link\" with the `link` to hand over.",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"emails": ["ada@example.com"]}"#,
    },
    Endpoint {
        name: "workspaces.cancel_invitation",
        summary: "Cancel an open invitation (`invitation`).",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"invitation": "…"}"#,
    },
    Endpoint {
        name: "workspaces.answer_invitation",
        summary: "Accept or decline an invitation addressed to the caller (`invitation`, `accept`); only accounts whose e-mail address is verified.",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"invitation": "…", "accept": true}"#,
    },
    Endpoint {
        name: "workspaces.set_credential_limit",
        summary: "The longest lifetime of new credentials in the caller's workspace (`days`, or null for none).",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"days": 90}"#,
    },
    Endpoint {
        name: "users.get_cloud_access",
        summary: "The caller's storage credentials (Web App Cloud Access) in their workspace; secrets masked.",
        access: Access::User,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "users.set_cloud_access",
        summary: "Add (no `id`) or edit storage credentials: `bucket`, `key`, `secret` (kept when empty on edit), `region`, `host` (empty for AWS).",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"bucket": "datasets", "key": "AKIA…", "secret": "…", "region": "us-east-1", "host": ""}"#,
    },
    Endpoint {
        name: "users.delete_cloud_access",
        summary: "Delete one of the caller's storage credentials (`id`).",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"id": "…"}"#,
    },
    Endpoint {
        name: "users.presign_cloud_url",
        summary: "A presigned GET URL (AWS Signature V4) for `url` (`s3://bucket/key`) or `bucket` and `key`, signed with the caller's storage credentials for that bucket; `expires_in` seconds (default 900).",
        access: Access::User,
        min_version: (1, 0),
        example: r#"{"url": "s3://datasets/images/0001.png"}"#,
    },
    Endpoint {
        name: "users.get_all",
        summary: "The workspace's members and pending invitations, with the seat count.",
        access: Access::Admin,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "users.set_role",
        summary: "Make a member an administrator or a member (`user`, `role`); the last administrator stays.",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"user": "…", "role": "admin"}"#,
    },
    Endpoint {
        name: "users.remove",
        summary: "Remove a member (`user`): their credentials, tokens and sessions in the workspace end at once.",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"user": "…"}"#,
    },
    Endpoint {
        name: "workspaces.resend_invitation",
        summary: "A new link for an open invitation (`invitation`), delivered as by `workspaces.invite`; the previous link stops working.",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"invitation": "…"}"#,
    },
    Endpoint {
        name: "service_accounts.get_all",
        summary: "The workspace's service accounts with their credential count and last activity.",
        access: Access::Admin,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "service_accounts.create",
        summary: "A service account (`name`, `allow_impersonation`) and its first key pair (shown once).",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"name": "ci", "allow_impersonation": true}"#,
    },
    Endpoint {
        name: "service_accounts.update",
        summary: "Rename a service account or change `allow_impersonation` (`id`, `name`, `allow_impersonation`).",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"id": "…", "name": "ci", "allow_impersonation": false}"#,
    },
    Endpoint {
        name: "service_accounts.delete",
        summary: "Delete a service account (`id`): its credentials stop working; what it created stays.",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"id": "…"}"#,
    },
    Endpoint {
        name: "service_accounts.get_credentials",
        summary: "A service account's key pairs (`id`; never secrets).",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"id": "…"}"#,
    },
    Endpoint {
        name: "service_accounts.create_credentials",
        summary: "Another key pair for a service account (`id`, `label`); the secret is returned once.",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"id": "…", "label": "agent-2"}"#,
    },
    Endpoint {
        name: "service_accounts.revoke_credentials",
        summary: "Revoke one of a service account's key pairs (`id`, `access_key`).",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"id": "…", "access_key": "…"}"#,
    },
    Endpoint {
        name: "groups.get_all",
        summary: "The workspace's user groups with their members, and who can be added.",
        access: Access::Admin,
        min_version: (1, 0),
        example: "{}",
    },
    Endpoint {
        name: "groups.create",
        summary: "A group of the workspace's own (`name`, `description`, `members`: user ids).",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"name": "Vision", "description": "", "members": []}"#,
    },
    Endpoint {
        name: "groups.update",
        summary: "Edit a group (`id`, `name`, `description`, `members`); editing Admins changes roles.",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"id": "…", "name": "Vision", "description": "", "members": ["…"]}"#,
    },
    Endpoint {
        name: "groups.delete",
        summary: "Delete a group of the workspace's own (`id`); the built-in groups stay.",
        access: Access::Admin,
        min_version: (1, 0),
        example: r#"{"id": "…"}"#,
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
    impersonate: Option<String>,
) -> Result<Value, AppError> {
    let who = match (endpoint.access, &caller) {
        (Access::Public, _) => None,
        (_, None) => return Err(AppError::Unauthorized),
        (Access::Admin, Some(c)) => {
            c.identity
                .require_admin(&format!("call {}", endpoint.name))?;
            Some(api_identity(c))
        }
        (Access::User | Access::Credential, Some(c)) => Some(api_identity(c)),
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
            let answer = json!({
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
            });
            Ok(answer)
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
        "auth.login" => {
            let caller = caller.as_ref().ok_or(AppError::Unauthorized)?;
            let body = coerce_ints(body, &["expiration_sec"]);
            let expiration = match body.get("expiration_sec") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_i64().ok_or_else(|| {
                    AppError::validation(
                        "expiration_sec",
                        "expiration_sec must be a whole number of seconds",
                    )
                })?),
            };
            let (token, _) = services
                .credentials
                .issue_token(caller, expiration, impersonate.as_deref())
                .await?;
            Ok(json!({"token": token}))
        }
        "auth.create_credentials" => {
            #[derive(serde::Deserialize)]
            struct P {
                #[serde(default)]
                label: String,
                #[serde(default)]
                expires_in_days: Option<i64>,
                #[serde(default)]
                workspace: Option<String>,
            }
            let p: P = params(coerce_ints(body, &["expires_in_days"]))?;
            let created = services
                .credentials
                .create(&who()?, p.workspace, &p.label, p.expires_in_days)
                .await?;
            Ok(json!({"credentials": {
                "access_key": created.info.access_key,
                "secret_key": created.secret_key,
                "label": created.info.label,
                "workspace": created.info.workspace_id,
                "expires": created.info.expires_ms.map(app::domain::timefmt::iso_utc),
            }}))
        }
        "auth.get_credentials" => {
            let list = services.credentials.list(&who()?).await?;
            let items: Vec<Value> = list
                .into_iter()
                .map(|c| {
                    json!({
                        "access_key": c.access_key,
                        "label": c.label,
                        "workspace": c.workspace_id,
                        "workspace_name": c.workspace_name,
                        "created": app::domain::timefmt::iso_utc(c.created_ms),
                        "expires": c.expires_ms.map(app::domain::timefmt::iso_utc),
                        "last_used": c.last_used_ms.map(app::domain::timefmt::iso_utc),
                        "last_used_from": c.last_used_from,
                    })
                })
                .collect();
            Ok(json!({"credentials": items}))
        }
        "auth.edit_credentials" => {
            #[derive(serde::Deserialize)]
            struct P {
                access_key: String,
                #[serde(default)]
                label: String,
            }
            let p: P = params(body)?;
            services
                .credentials
                .relabel(&who()?, &p.access_key, &p.label)
                .await?;
            Ok(json!({"updated": 1}))
        }
        "auth.revoke_credentials" => {
            #[derive(serde::Deserialize)]
            struct P {
                access_key: String,
            }
            let p: P = params(body)?;
            services.credentials.revoke(&who()?, &p.access_key).await?;
            Ok(json!({"revoked": 1}))
        }
        "workspaces.get_all" => {
            let caller = caller.as_ref().ok_or(AppError::Unauthorized)?;
            let overview = services
                .workspaces
                .overview(&Caller {
                    identity: who()?,
                    ..caller.clone()
                })
                .await?;
            Ok(json!({
                "workspaces": overview.workspaces,
                "invitations": overview.invitations,
                "pending": overview.pending,
                "max_credential_days": overview.max_credential_days,
            }))
        }
        "workspaces.rename" => {
            #[derive(serde::Deserialize)]
            struct P {
                workspace: String,
                name: String,
            }
            let p: P = params(body)?;
            services
                .workspaces
                .rename(&who()?, &p.workspace, &p.name)
                .await?;
            Ok(json!({"updated": 1}))
        }
        "workspaces.leave" => {
            #[derive(serde::Deserialize)]
            struct P {
                workspace: String,
            }
            let caller = caller.as_ref().ok_or(AppError::Unauthorized)?;
            let p: P = params(body)?;
            services
                .workspaces
                .leave(
                    &Caller {
                        identity: who()?,
                        ..caller.clone()
                    },
                    &p.workspace,
                )
                .await?;
            Ok(json!({"left": 1}))
        }
        "workspaces.invite" => {
            let emails = match body.get("emails") {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            let invited = services.workspaces.invite(&who()?, &emails).await?;
            Ok(json!({"invited": invited}))
        }
        "workspaces.cancel_invitation" => {
            #[derive(serde::Deserialize)]
            struct P {
                invitation: String,
            }
            let p: P = params(body)?;
            services
                .workspaces
                .cancel_invitation(&who()?, &p.invitation)
                .await?;
            Ok(json!({"cancelled": 1}))
        }
        "workspaces.answer_invitation" => {
            #[derive(serde::Deserialize)]
            struct P {
                invitation: String,
                accept: bool,
            }
            let caller = caller.as_ref().ok_or(AppError::Unauthorized)?;
            let p: P = params(body)?;
            services
                .workspaces
                .answer_invitation(
                    &Caller {
                        identity: who()?,
                        ..caller.clone()
                    },
                    &p.invitation,
                    p.accept,
                )
                .await?;
            Ok(json!({"answered": 1}))
        }
        "workspaces.set_credential_limit" => {
            let days = match body.get("days") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_i64().ok_or_else(|| {
                    AppError::validation("days", "days must be a whole number or null")
                })?),
            };
            services
                .workspaces
                .set_max_credential_days(&who()?, days)
                .await?;
            Ok(json!({"updated": 1}))
        }
        "users.get_cloud_access" => {
            let entries = services.cloud_access.list(&who()?).await?;
            let items: Vec<Value> = entries.iter().map(cloud_access_json).collect();
            Ok(json!({"entries": items}))
        }
        "users.set_cloud_access" => {
            let form: app::domain::cloud::CloudAccessForm = params(body)?;
            let saved = services.cloud_access.save(&who()?, form).await?;
            Ok(json!({"entry": cloud_access_json(&saved)}))
        }
        "users.delete_cloud_access" => {
            #[derive(serde::Deserialize)]
            struct P {
                id: String,
            }
            let p: P = params(body)?;
            services.cloud_access.delete(&who()?, &p.id).await?;
            Ok(json!({"deleted": 1}))
        }
        "users.presign_cloud_url" => {
            #[derive(serde::Deserialize)]
            struct P {
                #[serde(default)]
                url: Option<String>,
                #[serde(default)]
                bucket: Option<String>,
                #[serde(default)]
                key: Option<String>,
                #[serde(default)]
                expires_in: Option<i64>,
            }
            let p: P = params(coerce_ints(body, &["expires_in"]))?;
            let path = p.url.or(p.key).unwrap_or_default();
            let signed = services
                .cloud_access
                .presign(
                    &who()?,
                    p.bucket.as_deref().unwrap_or_default(),
                    &path,
                    p.expires_in,
                )
                .await?;
            Ok(json!({
                "url": signed.url,
                "bucket": signed.bucket,
                "key": signed.key,
                "expires": app::domain::timefmt::iso_utc(signed.expires_ms),
            }))
        }
        "users.get_all" => {
            let overview = services.users.overview(&who()?).await?;
            Ok(
                json!({"users": overview.users, "seats_used": overview.seats_used, "max_members": overview.max_members}),
            )
        }
        "users.set_role" => {
            #[derive(serde::Deserialize)]
            struct P {
                user: String,
                role: String,
            }
            let p: P = params(body)?;
            let role = Role::parse(&p.role)
                .ok_or_else(|| AppError::validation("role", "role must be admin or member"))?;
            services.users.set_role(&who()?, &p.user, role).await?;
            Ok(json!({"updated": 1}))
        }
        "users.remove" => {
            #[derive(serde::Deserialize)]
            struct P {
                user: String,
            }
            let p: P = params(body)?;
            services.users.remove(&who()?, &p.user).await?;
            Ok(json!({"removed": 1}))
        }
        "workspaces.resend_invitation" => {
            #[derive(serde::Deserialize)]
            struct P {
                invitation: String,
            }
            let p: P = params(body)?;
            let sent = services
                .users
                .resend_invitation(&who()?, &p.invitation)
                .await?;
            Ok(json!({"invited": sent}))
        }
        "service_accounts.get_all" => {
            Ok(json!({"service_accounts": services.service_accounts.list(&who()?).await?}))
        }
        "service_accounts.create" => {
            #[derive(serde::Deserialize)]
            struct P {
                name: String,
                #[serde(default)]
                allow_impersonation: bool,
            }
            let p: P = params(body)?;
            let created = services
                .service_accounts
                .create(&who()?, &p.name, p.allow_impersonation)
                .await?;
            Ok(json!({
                "service_account": created.account,
                "credentials": {"access_key": created.credentials.info.access_key, "secret_key": created.credentials.secret_key},
            }))
        }
        "service_accounts.update" => {
            #[derive(serde::Deserialize)]
            struct P {
                id: String,
                name: String,
                allow_impersonation: bool,
            }
            let p: P = params(body)?;
            services
                .service_accounts
                .update(&who()?, &p.id, &p.name, p.allow_impersonation)
                .await?;
            Ok(json!({"updated": 1}))
        }
        "service_accounts.delete" => {
            #[derive(serde::Deserialize)]
            struct P {
                id: String,
            }
            let p: P = params(body)?;
            services.service_accounts.delete(&who()?, &p.id).await?;
            Ok(json!({"deleted": 1}))
        }
        "service_accounts.get_credentials" => {
            #[derive(serde::Deserialize)]
            struct P {
                id: String,
            }
            let p: P = params(body)?;
            Ok(json!({"credentials": services.service_accounts.credentials(&who()?, &p.id).await?}))
        }
        "service_accounts.create_credentials" => {
            #[derive(serde::Deserialize)]
            struct P {
                id: String,
                #[serde(default)]
                label: String,
            }
            let p: P = params(body)?;
            let c = services
                .service_accounts
                .create_credentials(&who()?, &p.id, &p.label)
                .await?;
            Ok(
                json!({"credentials": {"access_key": c.info.access_key, "secret_key": c.secret_key, "label": c.info.label}}),
            )
        }
        "service_accounts.revoke_credentials" => {
            #[derive(serde::Deserialize)]
            struct P {
                id: String,
                access_key: String,
            }
            let p: P = params(body)?;
            services
                .service_accounts
                .revoke_credentials(&who()?, &p.id, &p.access_key)
                .await?;
            Ok(json!({"revoked": 1}))
        }
        "groups.get_all" => {
            let o = services.groups.overview(&who()?).await?;
            Ok(json!({"groups": o.groups, "candidates": o.candidates}))
        }
        "groups.create" | "groups.update" => {
            #[derive(serde::Deserialize)]
            struct P {
                #[serde(default)]
                id: Option<String>,
                name: String,
                #[serde(default)]
                description: String,
                #[serde(default)]
                members: Vec<String>,
            }
            let p: P = params(body)?;
            if endpoint.name == "groups.update" && p.id.is_none() {
                return Err(AppError::validation("id", "id is required"));
            }
            let id = if endpoint.name == "groups.create" {
                None
            } else {
                p.id.as_deref()
            };
            services
                .groups
                .save(&who()?, id, &p.name, &p.description, &p.members)
                .await?;
            Ok(json!({"updated": 1}))
        }
        "groups.delete" => {
            #[derive(serde::Deserialize)]
            struct P {
                id: String,
            }
            let p: P = params(body)?;
            services.groups.delete(&who()?, &p.id).await?;
            Ok(json!({"deleted": 1}))
        }
        other => Err(AppError::not_found(format!("endpoint {other}"))),
    }
}

/// An entry as the API shows it: the secret only masked.
fn cloud_access_json(e: &app::domain::cloud::CloudAccess) -> Value {
    json!({
        "id": e.id,
        "bucket": e.bucket,
        "key": e.key,
        "secret": e.secret_masked,
        "region": e.region,
        "host": e.host,
        "created": app::domain::timefmt::iso_utc(e.created_ms),
        "updated": app::domain::timefmt::iso_utc(e.updated_ms),
    })
}

/// The OpenAPI 3.1 document for every endpoint.
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for e in ENDPOINTS {
        let example: Value = serde_json::from_str(e.example).unwrap_or(json!({}));
        let security = match e.access {
            Access::Public => json!([]),
            Access::Credential => json!([{"basic": []}, {"bearer": []}]),
            _ => json!([{"session": []}, {"bearer": []}, {"basic": []}]),
        };
        paths.insert(
            format!("/{}", e.name),
            json!({
                "post": {
                    "operationId": e.name,
                    "summary": e.summary,
                    "description": format!("Also answers GET with the same body or query parameters, and under /v{{major}}.{{minor}}/{}. {}", e.name, match e.access { Access::Public => "No credentials needed.", Access::User => "Any signed-in member.", Access::Admin => "Workspace administrators only.", Access::Credential => "An API key pair (HTTP Basic) or a token (Bearer)." }),
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
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": app::api::auth::SESSION_COOKIE},
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
