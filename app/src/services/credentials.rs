//! API credentials: creating key pairs (the secret shown once, stored as a keyed hash), listing,
//! relabelling and revoking them, and authenticating the SDK with a key pair or a token.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use app::api::backend::{Caller, TokenRef};

use super::cache::CheckedToken;
use app::domain::credentials::{self, CredentialInfo, Hosts, NewCredential};
use app::domain::{AppError, Identity};

use super::Object;
use crate::crypto;
use crate::state::Core;
use crate::store;
use app::domain::audit::AuditObject;

#[derive(Debug)]
pub struct CredentialsService {
    pub core: std::sync::Arc<Core>,
}

/// Why an API caller was not let in, with ClearML's subcodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// 401/21: the `Authorization` header could not be read.
    Malformed,
    /// 401/22: unknown key, wrong secret, revoked, or the user left the workspace.
    Invalid,
    /// 401/22 with the date: the credentials expired.
    Expired(i64),
    /// 401/30: the token is forged, malformed or expired, or its credential was revoked.
    BadToken(String),
    /// 503: the database could not be reached, so nothing could be checked (retry later).
    Unavailable,
    /// 500: the check itself failed; the details are in the log.
    Internal,
}

impl AuthFailure {
    /// The HTTP status: 401 for every refusal, 503/500 when nothing could be checked.
    pub fn status(&self) -> u16 {
        match self {
            AuthFailure::Unavailable => 503,
            AuthFailure::Internal => 500,
            _ => 401,
        }
    }

    pub fn subcode(&self) -> u16 {
        match self {
            AuthFailure::Unavailable | AuthFailure::Internal => 0,
            AuthFailure::Malformed => 21,
            AuthFailure::Invalid | AuthFailure::Expired(_) => 22,
            AuthFailure::BadToken(_) => 30,
        }
    }

    pub fn message(&self) -> String {
        match self {
            AuthFailure::Malformed => "Unauthorized (malformed authorization header)".into(),
            AuthFailure::Invalid => "Unauthorized (invalid credentials)".into(),
            AuthFailure::Expired(at) => {
                format!(
                    "Unauthorized (credentials expired on {})",
                    app::domain::timefmt::date_time(*at)
                )
            }
            AuthFailure::BadToken(why) => format!("Unauthorized (invalid token: {why})"),
            AuthFailure::Unavailable => {
                "The service is temporarily unavailable, please retry".into()
            }
            AuthFailure::Internal => "Internal server error while checking credentials".into(),
        }
    }
}

fn lookup_failed(e: sqlx::Error) -> AuthFailure {
    tracing::error!(error = %e, "credential lookup failed");
    if super::is_unavailable(&e) {
        AuthFailure::Unavailable
    } else {
        AuthFailure::Internal
    }
}

fn check_failed(e: AppError) -> AuthFailure {
    match e {
        AppError::Unavailable => AuthFailure::Unavailable,
        _ => AuthFailure::Internal,
    }
}

/// A new access key: 30 characters from `[A-Z0-9]`, uniformly drawn.
pub fn new_access_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::with_capacity(credentials::ACCESS_KEY_LEN);
    while out.len() < credentials::ACCESS_KEY_LEN {
        for b in crypto::random_bytes(64) {
            // 252 = 7 × 36: dropping larger bytes keeps every character equally likely.
            if b < 252 && out.len() < credentials::ACCESS_KEY_LEN {
                out.push(ALPHABET[(b % 36) as usize] as char);
            }
        }
    }
    out
}

/// A new secret: 50 random bytes, URL-safe base64 (67 characters), not starting with '-' or '_'.
pub fn new_secret() -> String {
    use base64::Engine;
    loop {
        let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crypto::random_bytes(50));
        if !s.starts_with(['-', '_']) {
            return s;
        }
    }
}

impl CredentialsService {
    pub(crate) fn secret_hash(&self, secret: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.core.pepper).expect("any key length works");
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn secret_matches(&self, secret: &str, stored_hex: &str) -> bool {
        let Ok(stored) = hex::decode(stored_hex) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.core.pepper).expect("any key length works");
        mac.update(secret.as_bytes());
        mac.verify_slice(&stored).is_ok()
    }

    pub fn hosts(&self) -> Hosts {
        let s = &self.core.settings;
        // The three addresses must differ (clearml-init refuses equal ones): the API is also served
        // under /api, as a ClearML web server proxies it.
        Hosts {
            web_server: s.public_url.clone(),
            api_server: format!("{}/api", s.public_url),
            files_server: s.files_url.clone(),
        }
    }

    /// Checks a key pair; on success the caller acts as the credential's user in its workspace.
    pub async fn authenticate_basic(
        &self,
        access_key: &str,
        secret: &str,
        from: &str,
    ) -> Result<Caller, AuthFailure> {
        let now = self.core.clock.now_ms();
        let caches = &self.core.caches;
        let cached = caches
            .access_keys
            .get(&access_key.to_string(), now)
            .and_then(|id| caches.credentials.get(&id, now));
        let row = match cached {
            Some(row) => row,
            None => {
                let mut conn = self.core.db.pool.acquire().await.map_err(lookup_failed)?;
                let row = store::credentials::find_by_access_key(&mut conn, access_key)
                    .await
                    .map_err(lookup_failed)?
                    .ok_or(AuthFailure::Invalid)?;
                let row = Arc::new(row);
                caches
                    .access_keys
                    .put(access_key.to_string(), row.id.clone(), now);
                caches.credentials.put(row.id.clone(), row.clone(), now);
                row
            }
        };
        if row.revoked || !self.secret_matches(secret, &row.secret_hash) {
            return Err(AuthFailure::Invalid);
        }
        if let Some(at) = row.expires_ms.filter(|at| *at <= now) {
            return Err(AuthFailure::Expired(at));
        }
        // Last use is recorded at most once a minute per credential and address, so that a busy
        // agent does not turn every login into a write.
        if row.last_used_ms.is_none_or(|t| now - t > 60_000)
            || row.last_used_from.as_deref() != Some(from)
        {
            let updated = Arc::new(store::credentials::AuthRow {
                last_used_ms: Some(now),
                last_used_from: Some(from.to_string()),
                ..(*row).clone()
            });
            caches.credentials.put(row.id.clone(), updated, now);
            match self.core.db.pool.acquire().await {
                Ok(mut conn) => {
                    if let Err(e) =
                        store::credentials::mark_used(&mut conn, &row.id, now, from).await
                    {
                        tracing::warn!(error = %e, "could not record credential use");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not record credential use"),
            }
        }
        Ok(Caller {
            identity: row.identity.clone(),
            session_id: None,
            credential_id: Some(row.id.clone()),
            impersonated: None,
            impersonated_since: None,
            token: None,
        })
    }

    /// A credential's row, from the cache or the database.
    async fn credential_row(
        &self,
        id: &str,
        now: i64,
    ) -> Result<Option<Arc<store::credentials::AuthRow>>, AppError> {
        if let Some(row) = self.core.caches.credentials.get(id, now) {
            return Ok(Some(row));
        }
        let mut conn = self.core.db.pool.acquire().await?;
        let row = store::credentials::find_by_id(&mut conn, id)
            .await?
            .map(Arc::new);
        if let Some(r) = &row {
            self.core
                .caches
                .credentials
                .put(r.id.clone(), r.clone(), now);
        }
        Ok(row)
    }

    /// The identity of a member a token acts as: an active member of the workspace, never a
    /// service account, and never with administrator rights on settings.
    async fn impersonated_identity(
        &self,
        user_id: &str,
        workspace_id: &str,
        now: i64,
    ) -> Result<Option<Identity>, AppError> {
        let key = (user_id.to_string(), workspace_id.to_string());
        if let Some(hit) = self.core.caches.impersonated.get(&key, now) {
            return Ok(Some(hit));
        }
        let mut conn = self.core.db.pool.acquire().await?;
        let Some(user) = store::users::get_user(&mut conn, user_id).await? else {
            return Ok(None);
        };
        if user.kind != "person" {
            return Ok(None);
        }
        let Some(m) = store::workspaces::membership(&mut conn, user_id, workspace_id).await? else {
            return Ok(None);
        };
        let identity = Identity {
            user_id: user.id,
            user_name: user.name,
            email: user.email,
            workspace_id: m.workspace_id,
            workspace_name: m.workspace_name,
            role: app::domain::Role::Member,
            channel: app::domain::identity::Channel::Api,
            actor: app::domain::identity::Actor::Person,
        };
        self.core
            .caches
            .impersonated
            .put(key, identity.clone(), now);
        Ok(Some(identity))
    }

    /// Checks a token: signature, expiry, and that the credential it came from is still live
    /// (revocation is seen at once: every committed change clears the credential cache).
    pub async fn authenticate_token(&self, token: &str) -> Result<Caller, AuthFailure> {
        let now = self.core.clock.now_ms();
        let caches = &self.core.caches;
        let checked = match caches.tokens.get(token, now) {
            Some(hit) => hit,
            None => {
                let claims = self
                    .core
                    .tokens
                    .verify(token, now)
                    .map_err(|e| AuthFailure::BadToken(e.to_string()))?;
                let mut conn = self.core.db.pool.acquire().await.map_err(lookup_failed)?;
                if store::credentials::token_revoked(&mut conn, &claims.session_id)
                    .await
                    .map_err(lookup_failed)?
                {
                    return Err(AuthFailure::BadToken("the token was logged out".into()));
                }
                let checked = CheckedToken {
                    id: claims.session_id,
                    credential_id: claims.cid,
                    exp: claims.exp,
                    impersonated: claims.imp,
                    impersonated_since: claims.imp_since,
                };
                caches.tokens.put(token.to_string(), checked.clone(), now);
                checked
            }
        };
        let CheckedToken {
            id: token_id,
            credential_id: cid,
            exp,
            impersonated: imp,
            impersonated_since: imp_since,
        } = checked;
        if exp <= now / 1000 {
            return Err(AuthFailure::BadToken("expired token".into()));
        }
        let row = match caches.credentials.get(&cid, now) {
            Some(row) => Some(row),
            None => {
                let mut conn = self.core.db.pool.acquire().await.map_err(lookup_failed)?;
                let row = store::credentials::find_by_id(&mut conn, &cid)
                    .await
                    .map_err(lookup_failed)?
                    .map(Arc::new);
                if let Some(r) = &row {
                    caches.credentials.put(r.id.clone(), r.clone(), now);
                }
                row
            }
        };
        let row = row
            .filter(|r| !r.revoked && r.expires_ms.is_none_or(|at| at > now))
            .ok_or_else(|| {
                AuthFailure::BadToken("its credentials were revoked or expired".into())
            })?;
        // The right to impersonate is checked again on every request: turning it off, or demoting
        // the administrator who impersonated, ends the tokens at once.
        if imp.is_some() && !may_impersonate(&row) {
            return Err(AuthFailure::BadToken(
                "its account may no longer impersonate users".into(),
            ));
        }
        let identity = match &imp {
            None => row.identity.clone(),
            Some(target) => self
                .impersonated_identity(target, &row.identity.workspace_id, now)
                .await
                .map_err(check_failed)?
                .ok_or_else(|| {
                    AuthFailure::BadToken("the impersonated user is no longer a member".into())
                })?,
        };
        let identity = match &imp {
            Some(_) => Identity {
                actor: app::domain::identity::Actor::Impersonation {
                    by_id: row.identity.user_id.clone(),
                    by_name: row.identity.user_name.clone(),
                },
                ..identity
            },
            None => identity,
        };
        Ok(Caller {
            identity,
            session_id: None,
            credential_id: Some(row.id.clone()),
            impersonated: imp,
            impersonated_since: imp_since,
            token: Some(TokenRef {
                id: token_id,
                expires_ms: exp * 1000,
            }),
        })
    }

    /// `auth.logout`: the token the caller called with stops working at once, on every replica
    /// (other tokens of the same key pair keep working). A call made with a key pair has no token
    /// to end.
    pub async fn logout(&self, caller: &Caller) -> Result<(), AppError> {
        let Some(token) = &caller.token else {
            return Err(AppError::validation(
                "Authorization",
                "auth.logout ends the token it is called with; this call carries a key pair",
            ));
        };
        let who = &caller.identity;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        store::credentials::revoke_token(&mut tx, &token.id, token.expires_ms, now).await?;
        let cid = caller.credential_id.clone().unwrap_or_default();
        tx.audit(
            "token.logout",
            Object {
                kind: AuditObject::Credentials,
                id: &cid,
                name: "API token",
            },
            &serde_json::json!({"after": {"token_expires": app::domain::timefmt::iso_utc(token.expires_ms)}}),
        )
        .await?;
        tx.commit().await
    }

    /// A token for a caller that authenticated with a key pair or a token, for `expiration_sec`
    /// seconds (bounded by the server's maximum). With `impersonate`, the token acts as that member:
    /// allowed for service accounts with impersonation and for administrators of the workspace.
    /// Refreshing an impersonating token keeps acting as the same member.
    pub async fn issue_token(
        &self,
        caller: &Caller,
        expiration_sec: Option<i64>,
        impersonate: Option<&str>,
    ) -> Result<(String, i64), AppError> {
        let Some(cid) = &caller.credential_id else {
            return Err(AppError::Unauthorized);
        };
        let s = &self.core.settings;
        let lifetime = match expiration_sec {
            Some(secs) if secs < 1 => {
                return Err(AppError::validation(
                    "expiration_sec",
                    "expiration_sec must be a positive number of seconds",
                ));
            }
            Some(secs) => secs.min(s.token_max_secs),
            None => s.token_default_secs,
        };
        let now = self.core.clock.now_ms();
        let row = self
            .credential_row(cid, now)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let sa_type = row
            .service_account
            .then_some(if row.allow_impersonation { 2 } else { 1 });
        let now_s = now / 1000;
        let (identity, imp, lifetime) = match (impersonate, &caller.impersonated) {
            (Some(target), _) => {
                if caller.impersonated.is_some() {
                    return Err(AppError::forbidden(
                        "impersonate from a token that already impersonates someone",
                    ));
                }
                if !may_impersonate(&row) {
                    return Err(AppError::forbidden(
                        "impersonate users: only service accounts allowed to impersonate, and administrators, may",
                    ));
                }
                let who = self
                    .impersonated_identity(target.trim(), &row.identity.workspace_id, now)
                    .await?
                    .ok_or_else(|| {
                        AppError::not_found("member of this workspace to impersonate")
                    })?;
                (who, Some((target.trim().to_string(), now_s)), lifetime)
            }
            (None, Some(current)) => {
                // A refresh keeps acting as the same member, never past the impersonation's start
                // plus the longest token lifetime.
                let since = caller.impersonated_since.unwrap_or(now_s);
                let left = since + s.token_max_secs - now_s;
                if left < 1 {
                    return Err(AppError::forbidden(
                        "refresh this impersonation any longer: log in with the key pair again",
                    ));
                }
                let identity = Identity {
                    actor: app::domain::identity::Actor::Person,
                    ..caller.identity.clone()
                };
                (identity, Some((current.clone(), since)), lifetime.min(left))
            }
            (None, None) => (caller.identity.clone(), None, lifetime),
        };
        let token = self.core.tokens.issue_with(
            &identity,
            cid,
            now,
            lifetime,
            sa_type,
            imp.as_ref().map(|(who, since)| (who.as_str(), *since)),
        );
        Ok((token, lifetime))
    }

    /// One of the caller's live credentials, with its id and the caller as they act in the
    /// credential's workspace (for its audit entry).
    async fn owned(
        &self,
        conn: &mut store::Conn,
        who: &Identity,
        access_key: &str,
    ) -> Result<(String, CredentialInfo, Identity), AppError> {
        let (id, info) = store::credentials::find_owned(conn, &who.user_id, access_key.trim())
            .await?
            .ok_or_else(|| {
                AppError::refused(
                    app::domain::Code::InvalidAccessKey,
                    format!("access key not found: {}", access_key.trim()),
                )
            })?;
        let role = store::workspaces::membership(conn, &who.user_id, &info.workspace_id)
            .await?
            .map_or(who.role, |m| m.role);
        let actor = in_workspace(who, &info.workspace_id, &info.workspace_name, role);
        Ok((id, info, actor))
    }
}

/// Whether a credential's owner may impersonate members now: a service account allowed to, or an
/// administrator of the workspace.
fn may_impersonate(row: &store::credentials::AuthRow) -> bool {
    if row.service_account {
        row.allow_impersonation
    } else {
        row.identity.role == app::domain::Role::Admin
    }
}

/// The identity as it acts in another of its workspaces (for audit entries of that workspace).
fn in_workspace(
    who: &Identity,
    workspace_id: &str,
    workspace_name: &str,
    role: app::domain::Role,
) -> Identity {
    Identity {
        workspace_id: workspace_id.into(),
        workspace_name: workspace_name.into(),
        role,
        ..who.clone()
    }
}

impl CredentialsService {
    pub async fn create(
        &self,
        who: &Identity,
        workspace_id: Option<String>,
        label: &str,
        expires_in_days: Option<i64>,
    ) -> Result<NewCredential, AppError> {
        let label = credentials::label(label)?;
        let workspace_id = workspace_id
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| who.workspace_id.clone());
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let membership = store::workspaces::membership(&mut tx, &who.user_id, &workspace_id)
            .await?
            .ok_or_else(|| {
                AppError::forbidden("create credentials in a workspace you do not belong to")
            })?;
        let expires_ms = credentials::expiry(now, expires_in_days, membership.max_credential_days)?;
        let id = crypto::new_id();
        let access_key = new_access_key();
        let secret = new_secret();
        store::credentials::insert(
            &mut tx,
            store::credentials::NewCredentialRow {
                id: &id,
                access_key: &access_key,
                secret_hash: &self.secret_hash(&secret),
                user_id: &who.user_id,
                workspace_id: &workspace_id,
                label: &label,
                created_ms: now,
                created_by: &who.user_id,
                expires_ms,
            },
        )
        .await?;
        let actor = in_workspace(
            who,
            &workspace_id,
            &membership.workspace_name,
            membership.role,
        );
        tx.audit_as(
            &actor,
            "credentials.create",
            Object {
                kind: AuditObject::Credentials,
                id: &access_key,
                name: &label,
            },
            &json!({"after": {"access_key": access_key, "label": label, "expires_ms": expires_ms}}),
        )
        .await?;
        tx.commit().await?;
        let hosts = self.hosts();
        Ok(NewCredential {
            config_section: credentials::config_section(&hosts, &access_key, &secret),
            jupyter: credentials::jupyter_lines(&hosts, &access_key, &secret),
            info: CredentialInfo {
                access_key,
                label,
                workspace_id,
                workspace_name: membership.workspace_name,
                created_ms: now,
                expires_ms,
                last_used_ms: None,
                last_used_from: None,
            },
            secret_key: secret,
        })
    }

    pub async fn list(&self, who: &Identity) -> Result<Vec<CredentialInfo>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        store::credentials::list_for_user(&mut conn, &who.user_id)
            .await
            .map_err(AppError::from)
    }

    pub async fn relabel(
        &self,
        who: &Identity,
        access_key: &str,
        label: &str,
    ) -> Result<CredentialInfo, AppError> {
        let label = credentials::label(label)?;
        let mut tx = self.core.begin(who).await?;
        let (id, info, actor) = self.owned(&mut tx, who, access_key).await?;
        if info.label == label {
            return Ok(info);
        }
        store::credentials::relabel(&mut tx, &id, &label).await?;
        tx.audit_as(
            &actor,
            "credentials.relabel",
            Object {
                kind: AuditObject::Credentials,
                id: &info.access_key,
                name: &label,
            },
            &json!({"before": {"label": info.label}, "after": {"label": label}}),
        )
        .await?;
        tx.commit().await?;
        Ok(CredentialInfo { label, ..info })
    }

    pub async fn revoke(&self, who: &Identity, access_key: &str) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let (id, info, actor) = self.owned(&mut tx, who, access_key).await?;
        store::credentials::revoke(&mut tx, &id, now).await?;
        tx.audit_as(
            &actor,
            "credentials.revoke",
            Object {
                kind: AuditObject::Credentials,
                id: &info.access_key,
                name: &info.label,
            },
            &json!({"before": {"access_key": info.access_key, "label": info.label}}),
        )
        .await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_clearml_formats() {
        for _ in 0..200 {
            assert!(credentials::is_access_key(&new_access_key()));
            assert!(credentials::is_secret(&new_secret()));
        }
    }
}
