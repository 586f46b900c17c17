//! Browser sessions: login with throttling, logout, resolving a cookie to a caller, the tip shown
//! after login, and the first administrator's one-time set-up link.

use async_trait::async_trait;
use serde_json::json;

use app::api::auth::{SessionInfo, SetupForm};
use app::api::backend::{Caller, LoginAttempt, NewSession, SessionPort};
use app::domain::identity::Channel;
use app::domain::{AppError, Identity, Role, throttle, validate};

use super::accounts::{NewUser, Placement, create_user_in, load_preferences};
use super::{Object, audit, internal};
use crate::crypto;
use crate::state::Core;
use crate::store::{self, Conn};

/// How long a first-administrator set-up link stays valid.
pub const SETUP_LINK_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug)]
pub struct SessionService {
    pub core: std::sync::Arc<Core>,
}

/// Failures count per account (whether it was named by username or e-mail), or per name tried when
/// no account has it.
fn throttle_key(login: &str, user: Option<&store::users::UserRow>) -> String {
    match user {
        Some(u) => format!("user:{}", u.id),
        None => format!("login:{}", login.trim().to_lowercase()),
    }
}

impl SessionService {
    /// The caller a session cookie stands for, if the session is live.
    pub async fn resolve_cookie(&self, cookie_value: &str) -> Result<Option<Caller>, AppError> {
        let now = self.core.clock.now_ms();
        let hash = crypto::token_hash(cookie_value);
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        let Some(row) = store::sessions::find_live(&mut conn, &hash, now)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        // Recording activity at most once a minute keeps reads from turning into writes.
        if now - row.last_seen_ms > 60_000 {
            store::sessions::touch(&mut conn, &hash, now)
                .await
                .map_err(internal)?;
        }
        Ok(Some(Caller {
            identity: row.identity,
            session_id: Some(hash),
            credential_id: None,
            impersonated: None,
        }))
    }

    /// Opens a new set-up link if nobody has an account yet; returns its token.
    pub async fn open_setup_link_if_empty(&self) -> Result<Option<String>, AppError> {
        let now = self.core.clock.now_ms();
        let mut tx = self.core.db.pool.begin().await.map_err(internal)?;
        if store::users::count_users(&mut tx).await.map_err(internal)? > 0 {
            return Ok(None);
        }
        let token = crypto::new_token();
        store::secrets::replace_setup_token(
            &mut tx,
            &crypto::token_hash(&token),
            now + SETUP_LINK_MS,
        )
        .await
        .map_err(internal)?;
        self.core.commit(tx).await?;
        Ok(Some(token))
    }
}

/// Opens a browser session for an identity inside a transaction (with its audit entry).
pub async fn start_session(
    core: &Core,
    conn: &mut Conn,
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
    .await
    .map_err(internal)?;
    audit(
        conn,
        now,
        identity,
        "session.login",
        Object {
            kind: "session",
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

#[async_trait]
impl SessionPort for SessionService {
    async fn login(&self, attempt: LoginAttempt) -> Result<NewSession, AppError> {
        if attempt.login.trim().is_empty() {
            return Err(AppError::validation(
                "login",
                "Enter your username or e-mail.",
            ));
        }
        if attempt.password.is_empty() {
            return Err(AppError::validation("password", "Enter your password."));
        }
        let now = self.core.clock.now_ms();
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        let user = store::users::find_by_login(&mut conn, &attempt.login)
            .await
            .map_err(internal)?;
        if user.as_ref().is_some_and(|u| u.kind != "person") {
            return Err(AppError::forbidden(
                "log into the console with a service account: service accounts use API credentials only",
            ));
        }
        let key = throttle_key(&attempt.login, user.as_ref());
        let counter = store::throttle::get(&mut conn, &key)
            .await
            .map_err(internal)?;
        throttle::check(counter, now).map_err(|secs| AppError::RateLimited {
            retry_after_secs: secs,
        })?;
        drop(conn);

        // Hashing is slow on purpose; keep it off the async workers.
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

        let mut tx = self.core.db.pool.begin().await.map_err(internal)?;
        let membership = match (&user, verified) {
            (Some(u), true) => store::users::default_membership(&mut tx, &u.id)
                .await
                .map_err(internal)?,
            _ => None,
        };
        let (Some(user), Some((workspace_id, role))) = (user, membership) else {
            let counter = store::throttle::get(&mut tx, &key)
                .await
                .map_err(internal)?;
            store::throttle::put(&mut tx, &key, throttle::record_failure(counter, now))
                .await
                .map_err(internal)?;
            self.core.commit(tx).await?;
            tracing::info!(client_ip = %attempt.client_ip, "failed login");
            return Err(AppError::Unauthorized);
        };
        store::throttle::clear(&mut tx, &key)
            .await
            .map_err(internal)?;
        let workspace_name =
            sqlx::query_scalar::<_, String>("SELECT name FROM workspaces WHERE id = $1")
                .bind(&workspace_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(internal)?;
        let identity = Identity {
            user_id: user.id.clone(),
            user_name: user.name.clone(),
            email: user.email.clone(),
            workspace_id,
            workspace_name,
            role,
            channel: Channel::Web,
        };
        let session =
            start_session(&self.core, &mut tx, now, &identity, &attempt.client_ip).await?;
        self.core.commit(tx).await?;
        Ok(session)
    }

    async fn logout(&self, caller: &Caller) -> Result<(), AppError> {
        let Some(session) = &caller.session_id else {
            return Ok(());
        };
        let now = self.core.clock.now_ms();
        let mut tx = self.core.db.pool.begin().await.map_err(internal)?;
        if store::sessions::delete(&mut tx, session)
            .await
            .map_err(internal)?
            > 0
        {
            let who = &caller.identity;
            audit(
                &mut tx,
                now,
                who,
                "session.logout",
                Object {
                    kind: "session",
                    id: &who.user_id,
                    name: &who.email,
                },
                &json!({}),
            )
            .await?;
        }
        self.core.commit(tx).await
    }

    async fn session_info(&self, caller: &Caller) -> Result<SessionInfo, AppError> {
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        let preferences = load_preferences(&mut conn, &caller.identity.user_id).await?;
        let pending = match &caller.session_id {
            Some(id) => store::sessions::find_live(&mut conn, id, self.core.clock.now_ms())
                .await
                .map_err(internal)?
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
        let invitations = if store::users::email_verified(&mut conn, &caller.identity.user_id)
            .await
            .map_err(internal)?
        {
            store::workspaces::open_invitations_for_email(
                &mut conn,
                &caller.identity.email,
                self.core.clock.now_ms(),
            )
            .await
            .map_err(internal)?
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

    async fn dismiss_tip(&self, caller: &Caller) -> Result<(), AppError> {
        let Some(session) = &caller.session_id else {
            return Ok(());
        };
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        store::sessions::clear_tip(&mut conn, session)
            .await
            .map_err(internal)
    }

    async fn setup_open(&self, token: &str) -> Result<bool, AppError> {
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        store::secrets::setup_token_open(
            &mut conn,
            &crypto::token_hash(token),
            self.core.clock.now_ms(),
        )
        .await
        .map_err(internal)
    }

    async fn complete_setup(
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
        let now = self.core.clock.now_ms();
        let mut tx = self.core.db.pool.begin().await.map_err(internal)?;
        let expired =
            || AppError::forbidden("use this set-up link: it has been used or has expired");
        if !store::secrets::use_setup_token(&mut tx, &crypto::token_hash(&form.token), now)
            .await
            .map_err(internal)?
        {
            return Err(expired());
        }
        if store::users::count_users(&mut tx).await.map_err(internal)? > 0 {
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
        };
        audit(
            &mut tx,
            now,
            &identity,
            "server.setup",
            Object {
                kind: "workspace",
                id: &created.workspace_id,
                name: &created.workspace_name,
            },
            &json!({"after": {"workspace": created.workspace_name, "admin": created.email}}),
        )
        .await?;
        let session = start_session(&self.core, &mut tx, now, &identity, &client_ip).await?;
        self.core.commit(tx).await?;
        Ok(session)
    }
}
