//! Browser sessions: login with throttling, logout, resolving a cookie to a caller, the tip shown
//! after login, and the first administrator's one-time set-up link.

use serde_json::json;

use app::api::backend::{Caller, LoginAttempt, NewSession};
use app::api::sessions::{SessionInfo, SetupForm};
use app::domain::identity::Channel;
use app::domain::{AppError, Identity, Role, throttle, validate};

use super::preferences::load_preferences;
use super::users::{NewUser, Placement, create_user_in};
use super::{Object, Write, internal};
use crate::crypto;
use crate::state::Core;
use crate::store;
use app::domain::audit::AuditObject;

/// How long a first-administrator set-up link stays valid.
pub const SETUP_LINK_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug)]
pub struct SessionsService {
    pub core: std::sync::Arc<Core>,
}

/// Who a login attempt is counted against: the account when one has the name (whichever of its names
/// was typed), otherwise the name itself (hashed, so that stored keys stay short whatever is typed).
fn throttle_subject(login: &str, user: Option<&store::users::UserRow>) -> String {
    match user {
        Some(u) => format!("user:{}", u.id),
        None => format!("name:{}", crypto::token_hash(&login.trim().to_lowercase())),
    }
}

/// Expired counters deleted after each reservation: more than a reservation can create, so that the
/// table does not grow.
const SWEEP_PER_ATTEMPT: usize = 4;

impl SessionsService {
    /// Reserves an attempt on each of its counters before the password is checked, in one short write
    /// transaction: either all are reserved or none is, and a refusal says how long to wait. Expired
    /// counters are swept afterwards.
    async fn reserve_attempt(&self, keys: &throttle::Keys) -> Result<(), AppError> {
        let mut tx = self.core.db.begin_write().await?;
        let mut locked = Vec::with_capacity(3);
        for (key, rule) in keys.with_rules() {
            let counter = store::throttle::lock(&mut tx, key).await?;
            locked.push((key, rule, counter));
        }
        // The clock is read once every counter is held, so that attempts are stamped in the order
        // they reserve.
        let now = self.core.clock.now_ms();
        for (key, rule, counter) in locked {
            match throttle::reserve(rule, Some(counter), now) {
                Ok(next) => store::throttle::put(&mut tx, key, next).await?,
                Err(retry_after_secs) => {
                    tx.rollback().await?;
                    return Err(AppError::RateLimited { retry_after_secs });
                }
            }
        }
        tx.commit().await?;
        let mut conn = self.core.db.pool.acquire().await?;
        for _ in 0..SWEEP_PER_ATTEMPT {
            match store::throttle::sweep_one(&mut conn, now).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "could not delete expired login counters");
                    break;
                }
            }
        }
        Ok(())
    }

    /// The caller a session cookie stands for, if the session is live.
    pub async fn resolve_cookie(&self, cookie_value: &str) -> Result<Option<Caller>, AppError> {
        let now = self.core.clock.now_ms();
        let hash = crypto::token_hash(cookie_value);
        let mut conn = self.core.db.pool.acquire().await?;
        let Some(row) = store::sessions::find_live(&mut conn, &hash, now).await? else {
            return Ok(None);
        };
        // Recording activity at most once a minute keeps reads from turning into writes.
        if now - row.last_seen_ms > 60_000 {
            store::sessions::touch(&mut conn, &hash, now).await?;
        }
        Ok(Some(Caller {
            identity: row.identity,
            session_id: Some(hash),
            credential_id: None,
            impersonated: None,
            impersonated_since: None,
            token: None,
        }))
    }

    /// Opens a new set-up link if nobody has an account yet; returns its token.
    pub async fn open_setup_link_if_empty(&self) -> Result<Option<String>, AppError> {
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        if store::users::count_users(&mut tx).await? > 0 {
            return Ok(None);
        }
        let token = crypto::new_token();
        store::secrets::replace_setup_token(
            &mut tx,
            &crypto::token_hash(&token),
            now + SETUP_LINK_MS,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(token))
    }
}

/// Opens a browser session for an identity inside a transaction (with its audit entry).
pub async fn start_session(
    core: &Core,
    conn: &mut Write<'_>,
    now: i64,
    identity: &Identity,
    client_ip: &str,
) -> Result<NewSession, AppError> {
    let prefs = load_preferences(conn, &identity.user_id).await?;
    let token = crypto::new_token();
    let session_ms = core.settings.session_ms;
    store::sessions::insert(
        conn,
        store::sessions::NewSessionRow {
            id_hash: &crypto::token_hash(&token),
            user_id: &identity.user_id,
            workspace_id: &identity.workspace_id,
            now_ms: now,
            expires_ms: now + session_ms,
            client_ip,
            tip_pending: !prefs.hide_tips,
        },
    )
    .await?;
    conn.audit_as(
        identity,
        "session.login",
        Object {
            kind: AuditObject::Session,
            id: &identity.user_id,
            name: &identity.email,
        },
        &json!({"after": {"client_ip": client_ip}}),
    )
    .await?;
    Ok(NewSession {
        cookie_value: token,
        max_age_secs: session_ms / 1000,
    })
}

impl SessionsService {
    pub async fn login(&self, attempt: LoginAttempt) -> Result<NewSession, AppError> {
        if attempt.login.trim().is_empty() {
            return Err(AppError::validation(
                "login",
                "Enter your username or e-mail.",
            ));
        }
        if attempt.password.is_empty() {
            return Err(AppError::validation("password", "Enter your password."));
        }
        let mut conn = self.core.db.pool.acquire().await?;
        let user = store::users::find_by_login(&mut conn, &attempt.login).await?;
        drop(conn);
        if user.as_ref().is_some_and(|u| u.kind != "person") {
            return Err(AppError::forbidden(
                "log into the console with a service account: service accounts use API credentials only",
            ));
        }
        let keys = throttle::Keys::new(
            &throttle_subject(&attempt.login, user.as_ref()),
            &attempt.client_ip,
        );
        if let Err(e) = self.reserve_attempt(&keys).await {
            if let AppError::RateLimited { retry_after_secs } = e {
                tracing::info!(client_ip = %attempt.client_ip, retry_after_secs, "login refused: too many failures");
            }
            return Err(e);
        }

        // Hashing is slow on purpose; keep it off the async workers. A name nobody has is checked
        // against a fixed hash, so that it takes as long as a wrong password.
        let password = attempt.password.clone();
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let verified = tokio::task::spawn_blocking(move || match stored {
            Some(hash) => crypto::verify_password(&password, &hash),
            None => {
                crypto::verify_password(&password, crypto::dummy_hash());
                false
            }
        })
        .await
        .map_err(internal)?;

        // A failure keeps its reservations: they are the counted failures.
        let failed = || {
            tracing::info!(client_ip = %attempt.client_ip, "failed login");
            AppError::Unauthorized
        };
        let user = match user {
            Some(u) if verified => u,
            _ => return Err(failed()),
        };
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        let Some((workspace_id, role)) =
            store::users::default_membership(&mut tx, &user.id).await?
        else {
            return Err(failed());
        };
        // A workspace whose people log in through its identity provider is not entered with a
        // password: the person lands in another of theirs that allows it, or is told to use the
        // provider's button.
        let (workspace_id, role) = if store::identity_providers::password_login(
            &mut tx,
            &workspace_id,
        )
        .await?
        {
            (workspace_id, role)
        } else {
            match store::identity_providers::password_membership(&mut tx, &user.id).await? {
                Some((ws, role)) => (ws, Role::parse(&role).unwrap_or(Role::Member)),
                None => {
                    return Err(AppError::forbidden(
                        "log in with a password: your workspace logs in through its identity provider. Use its \u{201c}Log in with \u{2026}\u{201d} button",
                    ));
                }
            }
        };
        // A success is not a failure: its reservations go back and this address starts afresh.
        store::throttle::give_back(&mut tx, &keys.address).await?;
        store::throttle::clear(&mut tx, &keys.name_at_address).await?;
        store::throttle::give_back(&mut tx, &keys.name).await?;
        let workspace_name =
            sqlx::query_scalar::<_, String>("SELECT name FROM workspaces WHERE id = $1")
                .bind(&workspace_id)
                .fetch_one(&mut *tx)
                .await?;
        let identity = Identity {
            user_id: user.id.clone(),
            user_name: user.name.clone(),
            email: user.email.clone(),
            workspace_id,
            workspace_name,
            role,
            channel: Channel::Web,
            actor: app::domain::identity::Actor::Person,
        };
        let session =
            start_session(&self.core, &mut tx, now, &identity, &attempt.client_ip).await?;
        tx.commit().await?;
        Ok(session)
    }

    pub async fn logout(&self, caller: &Caller) -> Result<(), AppError> {
        let Some(session) = &caller.session_id else {
            return Ok(());
        };
        let mut tx = self.core.begin_unattributed().await?;
        if store::sessions::delete(&mut tx, session).await? > 0 {
            let who = &caller.identity;
            tx.audit_as(
                who,
                "session.logout",
                Object {
                    kind: AuditObject::Session,
                    id: &who.user_id,
                    name: &who.email,
                },
                &json!({}),
            )
            .await?;
        }
        tx.commit().await
    }

    pub async fn current(&self, caller: &Caller) -> Result<SessionInfo, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let preferences = load_preferences(&mut conn, &caller.identity.user_id).await?;
        let pending = match &caller.session_id {
            Some(id) => store::sessions::find_live(&mut conn, id, self.core.clock.now_ms())
                .await?
                .is_some_and(|s| s.tip_pending),
            None => false,
        };
        let tip = (pending && !preferences.hide_tips)
            .then(|| {
                app::domain::tips::pick(u64::from_le_bytes(
                    crypto::random_bytes(8).try_into().unwrap_or([0; 8]),
                ))
            })
            .map(str::to_string);
        // Only a verified address sees invitations in the console (see domain::invitations).
        let invitations =
            if store::users::email_verified(&mut conn, &caller.identity.user_id).await? {
                store::workspaces::open_invitations_for_email(
                    &mut conn,
                    &caller.identity.email,
                    self.core.clock.now_ms(),
                )
                .await?
                .len()
            } else {
                0
            };
        Ok(SessionInfo {
            identity: caller.identity.clone(),
            preferences,
            tip,
            self_hosted: self.core.settings.self_hosted,
            invitations,
        })
    }

    pub async fn dismiss_tip(&self, caller: &Caller) -> Result<(), AppError> {
        let Some(session) = &caller.session_id else {
            return Ok(());
        };
        let mut conn = self.core.db.pool.acquire().await?;
        store::sessions::clear_tip(&mut conn, session)
            .await
            .map_err(AppError::from)
    }

    pub async fn setup_open(&self, token: &str) -> Result<bool, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        store::secrets::setup_token_open(
            &mut conn,
            &crypto::token_hash(token),
            self.core.clock.now_ms(),
        )
        .await
        .map_err(AppError::from)
    }

    pub async fn complete_setup(
        &self,
        form: SetupForm,
        client_ip: String,
    ) -> Result<NewSession, AppError> {
        let workspace = validate::display_name("workspace", &form.workspace)?;
        validate::new_password("password", &form.password)?;
        if form.password != form.password_confirm {
            return Err(AppError::validation(
                "password_confirm",
                "The passwords do not match.",
            ));
        }
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        let expired =
            || AppError::forbidden("use this set-up link: it has been used or has expired");
        if !store::secrets::use_setup_token(&mut tx, &crypto::token_hash(&form.token), now).await? {
            return Err(expired());
        }
        if store::users::count_users(&mut tx).await? > 0 {
            return Err(expired());
        }
        let password = form.password.clone();
        let created = create_user_in(
            &mut tx,
            now,
            NewUser {
                email: form.email,
                name: form.name,
                username: None,
                password,
                role: Role::Admin,
                workspace: Placement::Named(workspace),
            },
            true,
        )
        .await?;
        let identity = Identity {
            user_id: created.id.clone(),
            user_name: created.name.clone(),
            email: created.email.clone(),
            workspace_id: created.workspace_id.clone(),
            workspace_name: created.workspace_name.clone(),
            role: Role::Admin,
            channel: Channel::Web,
            actor: app::domain::identity::Actor::Person,
        };
        tx.audit_as(
            &identity,
            "server.setup",
            Object {
                kind: AuditObject::Workspace,
                id: &created.workspace_id,
                name: &created.workspace_name,
            },
            &json!({"after": {"workspace": created.workspace_name, "admin": created.email}}),
        )
        .await?;
        crate::services::catalog::create_examples(&mut tx, &identity, now).await?;
        let session = start_session(&self.core, &mut tx, now, &identity, &client_ip).await?;
        tx.commit().await?;
        Ok(session)
    }
}
