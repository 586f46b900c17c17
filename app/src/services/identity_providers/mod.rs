//! Identity providers: administrators' connections (saved in one transaction with their audit
//! entry, secrets sealed and never sent back, versions against lost updates), the login page's
//! buttons, logins through a connection, and test logins before saving.
//!
//! A connection logs people into its own workspace only. A login finds an account through a link
//! made earlier between the provider's issuer and subject and the account, or through an open
//! invitation from the workspace to the address the provider vouches for — never by address
//! alone, since any workspace's administrator can run an identity provider. Otherwise, when the
//! connection allows it, it creates the account.

pub mod fetch;
pub mod oidc;
pub mod saml;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use app::api::backend::NewSession;
use app::api::identity_providers::{
    Connection, ConnectionForm, LinkView, LoginButton, PasswordLogin, TestOutcome, TestStart,
};
use app::domain::audit::AuditObject;
use app::domain::identity::{Actor, Admin, Channel};
use app::domain::identity_providers::{
    self as domain, Endpoints, MappedUser, Protocol, Settings, SyncGroup,
};
use app::domain::{AppError, Identity, Role, throttle, timefmt, validate};

use super::sessions::start_session;
use super::{Object, Write, internal};
use crate::crypto;
use crate::state::Core;
use crate::store::{self, identity_providers::ConnectionRow};

/// How long a login may stay at the provider.
pub const LOGIN_MS: i64 = 10 * 60 * 1000;

#[derive(Debug)]
pub struct IdentityProvidersService {
    pub core: Arc<Core>,
    pub fetcher: fetch::Fetcher,
    pub keys: oidc::KeyCache,
}

/// What a login in flight keeps sealed until the provider answers.
#[derive(Debug, Serialize, Deserialize)]
struct Sealed {
    #[serde(default)]
    oidc: Option<oidc::Pending>,
    #[serde(default)]
    saml: Option<saml::Pending>,
    /// A test login's settings and secret (the editor's, not yet saved).
    test: Option<(Settings, Option<String>)>,
}

/// How a provider's answer ended.
#[derive(Debug)]
pub enum Finished {
    /// A person logged in: the session to set, and where to go.
    Session(NewSession),
    /// A test login is over: the popup says so and the editor reads its outcome.
    Tested(TestOutcome),
    /// A member linked their account to the provider (the connection's display name).
    Linked(String),
}

/// A login a provider's answer stands for: through which connection of which workspace, and who
/// the provider says the person is.
#[derive(Debug, Clone, Copy)]
struct Login<'a> {
    connection_id: &'a str,
    workspace_id: &'a str,
    settings: &'a Settings,
    /// The provider's issuer (OIDC) or entity ID (SAML).
    issuer: &'a str,
    user: &'a MappedUser,
}

/// Why one attempt at logging a person in did not end in a session.
enum Admission {
    /// It met another login of the same person (a row it meant to make exists now): try again.
    Raced(AppError),
    Failed(LoginFailed),
}

/// What a provider sent back: OIDC's query, or SAML's posted response.
#[derive(Debug, Clone, Copy)]
enum Answer<'a> {
    Oidc(&'a CallbackQuery),
    Saml(&'a str),
}

/// A login that failed, with the message the login page shows.
#[derive(Debug)]
pub struct LoginFailed(pub String);

fn to_view(row: &ConnectionRow) -> Result<Connection, AppError> {
    let settings: Settings = serde_json::from_str(&row.settings).map_err(internal)?;
    Ok(Connection {
        id: row.id.clone(),
        return_url: domain::return_url(&settings.web_app_url, settings.protocol),
        sp_metadata_url: match settings.protocol {
            Protocol::Saml => domain::sp_metadata_url(&settings.web_app_url, &row.id),
            Protocol::Oidc => String::new(),
        },
        settings,
        active: row.active,
        has_secret: row.secret.is_some(),
        version: row.version,
        updated: timefmt::iso_utc(row.updated_ms),
        updated_by: row.updated_by.clone(),
    })
}

fn not_found() -> AppError {
    AppError::NotFound("identity provider connection".into())
}

impl IdentityProvidersService {
    pub fn new(core: Arc<Core>) -> Self {
        let allow_private = core.settings.sso_private_hosts;
        IdentityProvidersService {
            core,
            fetcher: fetch::Fetcher::new(allow_private),
            keys: oidc::KeyCache::default(),
        }
    }

    fn seal(&self, text: &str) -> String {
        self.core.key.encrypt(text.as_bytes())
    }

    fn unseal(&self, sealed: &str) -> Result<String, AppError> {
        let bytes = self.core.key.decrypt(sealed).map_err(internal)?;
        String::from_utf8(bytes).map_err(internal)
    }

    /// The workspace's connections.
    pub async fn list(&self, who: &Admin<'_>) -> Result<Vec<Connection>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        store::identity_providers::list(&mut conn, &who.workspace_id)
            .await?
            .iter()
            .map(to_view)
            .collect()
    }

    /// One connection of the workspace.
    pub async fn get(&self, who: &Admin<'_>, id: &str) -> Result<Connection, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let row = store::identity_providers::get(&mut conn, &who.workspace_id, id)
            .await?
            .ok_or_else(not_found)?;
        to_view(&row)
    }

    /// The settings a form asks for, checked, with the secret to store: the form's new one, or the
    /// stored one when the form keeps it.
    fn checked(
        &self,
        form: &ConnectionForm,
        stored_secret: Option<&str>,
    ) -> Result<(Settings, Option<String>), AppError> {
        let secret = match form.secret.as_deref().map(str::trim) {
            None => stored_secret.map(|s| self.unseal(s)).transpose()?,
            Some("") => None,
            Some(s) => {
                if s.len() > 20_000 {
                    return Err(AppError::validation(
                        "secret",
                        "A client secret or key is at most 20,000 characters.",
                    ));
                }
                Some(s.to_string())
            }
        };
        let mut settings = form.settings.clone();
        if settings.web_app_url.trim().is_empty() {
            settings.web_app_url = self.core.settings.public_url.clone();
        }
        let mut settings = domain::validate(&settings, secret.is_some())?;
        if settings.protocol == Protocol::Oidc {
            return Ok((settings, secret));
        }
        let idp = saml::read_metadata(&settings.saml.metadata_xml).map_err(|m| {
            let field = if settings.saml.metadata_url.is_empty() {
                "saml.metadata_xml"
            } else {
                "saml.metadata_url"
            };
            AppError::validation(field, m)
        })?;
        if idp.wants_signed_requests && !settings.saml.sign_requests {
            return Err(AppError::validation(
                "saml.sign_requests",
                "The identity provider takes signed requests only (its metadata says WantAuthnRequestsSigned): turn \"Sign client requests\" on, and give it this connection's certificate (in the SP metadata).",
            ));
        }
        // The secret of a SAML connection is the private key its requests are signed with.
        if !settings.saml.sign_requests {
            return Ok((settings, None));
        }
        let key = match secret {
            Some(key) => {
                if settings.saml.public_certificate.is_empty() {
                    return Err(AppError::validation(
                        "saml.public_certificate",
                        "Paste the certificate of the private key (PEM), or leave both empty to have a key pair made.",
                    ));
                }
                saml::check_key_pair(&key, &settings.saml.public_certificate)
                    .map_err(|(field, m)| AppError::validation(field, m))?;
                key
            }
            None => {
                if !settings.saml.public_certificate.is_empty() {
                    return Err(AppError::validation(
                        "secret",
                        "Paste the private key of this certificate (PEM), or clear the certificate to have a key pair made.",
                    ));
                }
                let pair = saml::new_key_pair(&settings.saml.entity_id).map_err(internal)?;
                settings.saml.public_certificate = pair.certificate_pem;
                pair.private_key_pem
            }
        };
        Ok((settings, Some(key)))
    }

    /// Reads a SAML form's metadata from its URL (before any transaction: the provider may be
    /// slow), keeping the copy and when it was read in the settings.
    async fn fetch_metadata(&self, form: &mut ConnectionForm) -> Result<(), AppError> {
        let s = &mut form.settings;
        if s.protocol != Protocol::Saml || s.saml.metadata_url.trim().is_empty() {
            if s.protocol == Protocol::Saml {
                s.saml.metadata_fetched.clear();
            }
            return Ok(());
        }
        let url = domain::endpoint_url("saml.metadata_url", &s.saml.metadata_url, true)?;
        let xml = self
            .fetcher
            .get_text(&url)
            .await
            .map_err(|m| AppError::validation("saml.metadata_url", m))?;
        s.saml.metadata_xml = xml;
        s.saml.metadata_fetched = timefmt::iso_utc(self.core.clock.now_ms());
        Ok(())
    }

    /// Reads again the metadata of every SAML connection that has a metadata URL, keeping the new
    /// copy when it is valid (a provider rolling its signing certificate over publishes the new
    /// one there first). The connection's version does not change: nobody edited it. Returns how
    /// many connections changed.
    pub async fn refresh_metadata(&self) -> Result<usize, AppError> {
        let rows = {
            let mut conn = self.core.db.pool.acquire().await?;
            store::identity_providers::with_metadata_url(&mut conn).await?
        };
        let mut changed = 0;
        for row in rows {
            let Ok(mut settings) = serde_json::from_str::<Settings>(&row.settings) else {
                continue;
            };
            let url = settings.saml.metadata_url.clone();
            let xml = match self.fetcher.get_text(&url).await {
                Ok(xml) => xml,
                Err(e) => {
                    tracing::warn!(connection = %row.id, error = %e, "SAML metadata could not be read again; the last copy stays");
                    continue;
                }
            };
            if let Err(e) = saml::read_metadata(&xml) {
                tracing::warn!(connection = %row.id, error = %e, "SAML metadata read again is not usable; the last copy stays");
                continue;
            }
            let was = std::mem::replace(&mut settings.saml.metadata_xml, xml);
            settings.saml.metadata_fetched = timefmt::iso_utc(self.core.clock.now_ms());
            let text = serde_json::to_string(&settings).map_err(internal)?;
            let mut tx = self.core.db.begin_write().await.map_err(internal)?;
            let kept =
                store::identity_providers::set_settings_if(&mut tx, &row.id, row.version, &text)
                    .await?;
            tx.commit().await.map_err(internal)?;
            if kept && was != settings.saml.metadata_xml {
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// This server's SAML metadata for a connection (public: a provider's administrator imports
    /// it).
    pub async fn sp_metadata(&self, id: &str) -> Result<String, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let row = store::identity_providers::by_id(&mut conn, id)
            .await?
            .filter(|r| r.protocol == Protocol::Saml.as_str())
            .ok_or_else(not_found)?;
        let settings: Settings = serde_json::from_str(&row.settings).map_err(internal)?;
        saml::sp_metadata(
            &settings,
            &domain::return_url(&settings.web_app_url, Protocol::Saml),
        )
        .map_err(internal)
    }

    /// Creates a connection, or saves one from the version the editor read.
    pub async fn save(
        &self,
        who: &Admin<'_>,
        mut form: ConnectionForm,
    ) -> Result<Connection, AppError> {
        self.fetch_metadata(&mut form).await?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let existing = match &form.id {
            Some(id) => Some(
                store::identity_providers::get(&mut tx, &who.workspace_id, id)
                    .await?
                    .ok_or_else(not_found)?,
            ),
            None => None,
        };
        let (settings, secret) =
            self.checked(&form, existing.as_ref().and_then(|e| e.secret.as_deref()))?;
        let settings_json = serde_json::to_string(&settings).map_err(internal)?;
        let mut row = ConnectionRow {
            id: existing
                .as_ref()
                .map_or_else(crypto::new_id, |e| e.id.clone()),
            workspace_id: who.workspace_id.clone(),
            protocol: settings.protocol.as_str().into(),
            provider: settings.provider.as_str().into(),
            display_name: settings.display_name.clone(),
            active: form
                .active
                .unwrap_or(existing.as_ref().is_none_or(|e| e.active)),
            settings: settings_json,
            secret: secret.as_deref().map(|s| self.seal(s)),
            version: 1,
            created_ms: existing.as_ref().map_or(now, |e| e.created_ms),
            updated_ms: now,
            updated_by: who.email.clone(),
        };
        let taken = |e: sqlx::Error| {
            if store::is_unique_violation(&e) {
                AppError::Taken {
                    field: "display_name".into(),
                    message: "Another connection of this workspace has this display name.".into(),
                }
            } else {
                internal(e)
            }
        };
        let action = match &existing {
            None => {
                store::identity_providers::insert(&mut tx, &row)
                    .await
                    .map_err(taken)?;
                "identity_provider.create"
            }
            Some(e) => {
                if e.active && !row.active {
                    keep_a_way_in(&mut tx, &who.workspace_id, &e.id).await?;
                }
                let Some(read) = form.version else {
                    return Err(AppError::validation(
                        "version",
                        "Say which version of the connection you edited (its `version`).",
                    ));
                };
                row.version = e.version + 1;
                let saved = read == e.version
                    && store::identity_providers::update(&mut tx, &row, read)
                        .await
                        .map_err(taken)?;
                if !saved {
                    return Err(AppError::Conflict(format!(
                        "{} saved this connection since you opened it (now version {}). Reload it and apply your change again.",
                        e.updated_by, e.version
                    )));
                }
                "identity_provider.update"
            }
        };
        let before = existing
            .as_ref()
            .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.settings).ok());
        let after: serde_json::Value = serde_json::from_str(&row.settings).map_err(internal)?;
        let summary = match &before {
            Some(b) => app::domain::audit::change_summary(b, &after),
            None => json!({"after": after}),
        };
        let secret_changed = form.secret.is_some();
        tx.audit(
            action,
            Object {
                kind: AuditObject::IdentityProvider,
                id: &row.id,
                name: &row.display_name,
            },
            &json!({"settings": summary, "secret_changed": secret_changed, "active": row.active}),
        )
        .await?;
        tx.commit().await?;
        to_view(&row)
    }

    /// Deletes a connection. People it linked keep their accounts; their links stay, so that a
    /// connection made again to the same provider finds them.
    pub async fn delete(&self, who: &Admin<'_>, id: &str) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let row = store::identity_providers::get(&mut tx, &who.workspace_id, id)
            .await?
            .ok_or_else(not_found)?;
        keep_a_way_in(&mut tx, &who.workspace_id, id).await?;
        store::identity_providers::delete(&mut tx, &who.workspace_id, id).await?;
        tx.audit(
            "identity_provider.delete",
            Object {
                kind: AuditObject::IdentityProvider,
                id,
                name: &row.display_name,
            },
            &json!({"before": {"protocol": row.protocol, "provider": row.provider}}),
        )
        .await?;
        tx.commit().await
    }

    /// Shows a connection on the login page or hides it (a hidden one logs nobody in).
    pub async fn set_active(
        &self,
        who: &Admin<'_>,
        id: &str,
        active: bool,
    ) -> Result<Connection, AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let mut row = store::identity_providers::get(&mut tx, &who.workspace_id, id)
            .await?
            .ok_or_else(not_found)?;
        let read = row.version;
        if row.active && !active {
            keep_a_way_in(&mut tx, &who.workspace_id, id).await?;
        }
        if row.active != active {
            row.active = active;
            row.version += 1;
            row.updated_ms = now;
            row.updated_by = who.email.clone();
            if !store::identity_providers::update(&mut tx, &row, read).await? {
                return Err(AppError::Conflict(
                    "The connection changed meanwhile; reload it.".into(),
                ));
            }
            tx.audit(
                if active {
                    "identity_provider.activate"
                } else {
                    "identity_provider.deactivate"
                },
                Object {
                    kind: AuditObject::IdentityProvider,
                    id,
                    name: &row.display_name,
                },
                &json!({"after": {"active": active}}),
            )
            .await?;
        }
        tx.commit().await?;
        to_view(&row)
    }

    /// An issuer's endpoints from its discovery document (for administrators: the proof is asked
    /// for, and not held while the provider answers).
    pub fn discover<'s>(
        &'s self,
        _who: &Admin<'_>,
        issuer: &str,
    ) -> impl Future<Output = Result<Endpoints, AppError>> + Send + use<'s> {
        let issuer = issuer.to_string();
        async move {
            let issuer = domain::endpoint_url("oidc.issuer", &issuer, true)?;
            oidc::discover(&self.fetcher, &issuer)
                .await
                .map_err(|m| AppError::validation("oidc.issuer", m))
        }
    }

    /// The login page's buttons: every active connection.
    pub async fn buttons(&self) -> Result<Vec<LoginButton>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        Ok(store::identity_providers::active(&mut conn)
            .await?
            .into_iter()
            .map(|b| LoginButton {
                href: format!("/sso/{}/login", b.id),
                id: b.id,
                display_name: b.display_name,
                workspace: b.workspace_name,
            })
            .collect())
    }

    /// Starts a login through an active connection: the provider's URL to send the browser to,
    /// and the state to bind to the browser (a cookie) so that the answer comes back to it.
    /// Logins started from one address are limited ([`throttle::SSO_STARTS`]).
    pub async fn start_login(
        &self,
        connection_id: &str,
        client_ip: &str,
    ) -> Result<(String, String), LoginFailed> {
        self.start_through(connection_id, None, Some(client_ip))
            .await
    }

    /// Starts a login (or, for `linking`, a link of that member's account) through an active
    /// connection (of the member's workspace when linking).
    async fn start_through(
        &self,
        connection_id: &str,
        linking: Option<&Identity>,
        client_ip: Option<&str>,
    ) -> Result<(String, String), LoginFailed> {
        let gone = || {
            LoginFailed(match linking {
                None => "This login button is no longer available. Reload the login page.".into(),
                Some(_) => "This connection is not available in your workspace.".into(),
            })
        };
        let mut conn = self.core.db.pool.acquire().await.map_err(down)?;
        let row = store::identity_providers::by_id(&mut conn, connection_id)
            .await
            .map_err(down)?
            .filter(|r| r.active && linking.is_none_or(|who| who.workspace_id == r.workspace_id))
            .ok_or_else(gone)?;
        drop(conn);
        let settings: Settings = serde_json::from_str(&row.settings).map_err(|_| gone())?;
        self.start(
            &row,
            &settings,
            None,
            linking.map(|who| who.user_id.as_str()),
            client_ip,
        )
        .await
        .map_err(|e| {
            LoginFailed(match e {
                AppError::RateLimited { retry_after_secs } => format!(
                    "Too many logins were started from your network. Try again in {} minutes.",
                    retry_after_secs.div_ceil(60)
                ),
                e => e.user_message(),
            })
        })
    }

    /// Starts a test login of the editor's settings (saved or not).
    pub async fn start_test(
        &self,
        who: &Admin<'_>,
        mut form: ConnectionForm,
    ) -> Result<TestStart, AppError> {
        self.fetch_metadata(&mut form).await?;
        let stored = match &form.id {
            Some(id) => {
                let mut conn = self.core.db.pool.acquire().await?;
                Some(
                    store::identity_providers::get(&mut conn, &who.workspace_id, id)
                        .await?
                        .ok_or_else(not_found)?,
                )
            }
            None => None,
        };
        let (settings, secret) =
            self.checked(&form, stored.as_ref().and_then(|s| s.secret.as_deref()))?;
        // A test before the first save runs under a connection id made for it.
        let row = ConnectionRow {
            id: stored
                .as_ref()
                .map_or_else(crypto::new_id, |s| s.id.clone()),
            workspace_id: who.workspace_id.clone(),
            protocol: settings.protocol.as_str().into(),
            provider: settings.provider.as_str().into(),
            display_name: settings.display_name.clone(),
            active: false,
            settings: String::new(),
            secret: None,
            version: 0,
            created_ms: 0,
            updated_ms: 0,
            updated_by: String::new(),
        };
        let (url, state) = self
            .start(
                &row,
                &settings,
                Some((settings.clone(), secret)),
                Some(&who.user_id),
                None,
            )
            .await?;
        Ok(TestStart {
            test: crypto::token_hash(&state),
            url,
        })
    }

    async fn start(
        &self,
        row: &ConnectionRow,
        settings: &Settings,
        test: Option<(Settings, Option<String>)>,
        requested_by: Option<&str>,
        client_ip: Option<&str>,
    ) -> Result<(String, String), AppError> {
        let state = crypto::new_token();
        let redirect = domain::return_url(&settings.web_app_url, settings.protocol);
        let fresh_login = test.is_some() || requested_by.is_some();
        let mut sealed = Sealed {
            oidc: None,
            saml: None,
            test: None,
        };
        let url = match settings.protocol {
            Protocol::Oidc => {
                let (url, pending) = oidc::authorization(settings, &redirect, &state, fresh_login)
                    .map_err(|m| AppError::validation("oidc.authorization_endpoint", m))?;
                sealed.oidc = Some(pending);
                url
            }
            Protocol::Saml => {
                let idp = saml::read_metadata(&settings.saml.metadata_xml)
                    .map_err(|m| AppError::validation("saml.metadata_xml", m))?;
                let key = match (&test, settings.saml.sign_requests) {
                    (Some((_, key)), true) => key.clone(),
                    (None, true) => row.secret.as_deref().map(|k| self.unseal(k)).transpose()?,
                    (_, false) => None,
                };
                let (url, pending) = saml::authentication_request(
                    settings,
                    &idp,
                    &redirect,
                    &state,
                    key.as_deref(),
                    fresh_login,
                )
                .map_err(|m| AppError::validation("saml.metadata_xml", m))?;
                sealed.saml = Some(pending);
                url
            }
        };
        let purpose = match (&test, requested_by) {
            (Some(_), _) => "test",
            (None, Some(_)) => "link",
            (None, None) => "login",
        };
        sealed.test = test;
        let sealed = serde_json::to_string(&sealed).map_err(internal)?;
        let mut tx = self.core.db.begin_write().await.map_err(internal)?;
        let now = self.core.clock.now_ms();
        if let Some(ip) = client_ip {
            let key = throttle::sso_starts_key(ip);
            let counter = store::throttle::lock(&mut tx, &key).await?;
            match throttle::reserve(throttle::SSO_STARTS, Some(counter), now) {
                Ok(next) => store::throttle::put(&mut tx, &key, next).await?,
                Err(retry_after_secs) => {
                    tx.rollback().await.map_err(internal)?;
                    return Err(AppError::RateLimited { retry_after_secs });
                }
            }
        }
        store::identity_providers::insert_request(
            &mut tx,
            &store::identity_providers::RequestRow {
                state_hash: crypto::token_hash(&state),
                connection_id: row.id.clone(),
                workspace_id: row.workspace_id.clone(),
                purpose: purpose.into(),
                sealed: self.seal(&sealed),
                requested_by: requested_by.map(str::to_string),
                expires_ms: now + LOGIN_MS,
                outcome: None,
            },
            now,
        )
        .await?;
        tx.commit().await.map_err(internal)?;
        Ok((url, state))
    }

    /// How a test login went (while it is kept: ten minutes).
    pub async fn test_outcome(&self, who: &Admin<'_>, test: &str) -> Result<TestOutcome, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let now = self.core.clock.now_ms();
        let row = store::identity_providers::test_request(
            &mut conn,
            &who.workspace_id,
            &who.user_id,
            test,
            now,
        )
        .await?
        .ok_or_else(|| AppError::NotFound("test login".into()))?;
        Ok(match row.outcome {
            Some(o) => serde_json::from_str(&o).map_err(internal)?,
            None => TestOutcome::default(),
        })
    }

    /// Handles the provider's answer at the callback: `state` from the query (it names the
    /// connection), `bound` the state the browser's cookie holds, then `code` or the provider's
    /// `error`.
    pub async fn finish_oidc(
        &self,
        answer: &CallbackQuery,
        bound: Option<&str>,
        client_ip: &str,
    ) -> Result<Finished, LoginFailed> {
        let state = answer.state.as_deref().unwrap_or_default();
        self.finish(state, Answer::Oidc(answer), bound, client_ip)
            .await
    }

    /// Handles a SAML response posted to the ACS URL: `relay_state` names the login (it is the
    /// state the login started with), `bound` the state the browser's cookie holds.
    pub async fn finish_saml(
        &self,
        relay_state: &str,
        saml_response: &str,
        bound: Option<&str>,
        client_ip: &str,
    ) -> Result<Finished, LoginFailed> {
        self.finish(relay_state, Answer::Saml(saml_response), bound, client_ip)
            .await
    }

    async fn finish(
        &self,
        state: &str,
        answer: Answer<'_>,
        bound: Option<&str>,
        client_ip: &str,
    ) -> Result<Finished, LoginFailed> {
        let fail = |m: &str| LoginFailed(m.to_string());
        if state.is_empty() {
            return Err(fail(
                "The identity provider's answer carries no state. Start the login again from the login page.",
            ));
        }
        let now = self.core.clock.now_ms();
        let state_hash = crypto::token_hash(state);
        // A login's answer must come back to the browser that started it (login CSRF); another
        // browser's attempt does not use the login up. A test runs in the administrator's popup,
        // which went to the provider straight from the editor.
        {
            let mut conn = self.core.db.pool.acquire().await.map_err(down)?;
            let pending = store::identity_providers::peek_request(&mut conn, &state_hash, now)
                .await
                .map_err(down)?;
            if pending.is_some_and(|r| r.purpose != "test") && bound != Some(state) {
                return Err(fail(
                    "This login was started in another browser or has expired. Start it again from the login page.",
                ));
            }
        }
        let request = {
            let mut tx = self.core.db.begin_write().await.map_err(down)?;
            let taken = store::identity_providers::take_request(&mut tx, &state_hash, now)
                .await
                .map_err(down)?;
            tx.commit().await.map_err(down)?;
            taken.ok_or_else(|| fail("This login has expired or was already used. Start it again from the login page."))?
        };
        if request.purpose != "test" && bound != Some(state) {
            return Err(fail(
                "This login was started in another browser or has expired. Start it again from the login page.",
            ));
        }
        let connection_id = request.connection_id.as_str();
        let sealed: Sealed = self
            .unseal(&request.sealed)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .ok_or_else(|| {
                fail("This login could not be resumed. Start it again from the login page.")
            })?;
        let testing = sealed.test.is_some();
        let result = self
            .claims(connection_id, &request, &sealed, &answer, now)
            .await;
        if testing {
            let outcome = match result {
                Ok((settings, issuer, user)) => {
                    let decision = self
                        .decide(&request.workspace_id, &settings, &issuer, &user)
                        .await;
                    // The provider worked: what a real login would then do is the verdict, a
                    // refusal included.
                    TestOutcome {
                        done: true,
                        user: Some(user),
                        decision: match decision {
                            Ok(d) => d.describe(),
                            Err(e) => {
                                format!("A real login of this person would be refused: {}", e.0)
                            }
                        },
                        error: None,
                    }
                }
                Err(e) => TestOutcome {
                    done: true,
                    user: None,
                    decision: String::new(),
                    error: Some(e.0),
                },
            };
            let text = serde_json::to_string(&outcome).map_err(down)?;
            let mut conn = self.core.db.pool.acquire().await.map_err(down)?;
            store::identity_providers::set_outcome(&mut conn, &state_hash, &text)
                .await
                .map_err(down)?;
            return Ok(Finished::Tested(outcome));
        }
        let (settings, issuer, user) = match result {
            Ok(r) => r,
            Err(e) => {
                self.audit_failure(&request.workspace_id, connection_id, None, &e.0)
                    .await;
                return Err(e);
            }
        };
        let login = Login {
            connection_id,
            workspace_id: &request.workspace_id,
            settings: &settings,
            issuer: &issuer,
            user: &user,
        };
        if request.purpose == "link" {
            let user_id = request.requested_by.clone().unwrap_or_default();
            return self
                .link_account(&login, &user_id)
                .await
                .map(Finished::Linked);
        }
        match self.admit(&login, client_ip).await {
            Ok(session) => Ok(Finished::Session(session)),
            Err(e) => {
                self.audit_failure(&request.workspace_id, connection_id, Some(&user), &e.0)
                    .await;
                Err(e)
            }
        }
    }

    /// The provider's answer checked and mapped: the connection's settings, the issuer and the
    /// person.
    async fn claims(
        &self,
        connection_id: &str,
        request: &store::identity_providers::RequestRow,
        sealed: &Sealed,
        answer: &Answer<'_>,
        now: i64,
    ) -> Result<(Settings, String, MappedUser), LoginFailed> {
        let fail = |m: String| LoginFailed(m);
        let wrong_kind = || {
            fail("This answer does not match how the login was started. Start it again from the login page.".into())
        };
        if let Answer::Oidc(answer) = answer
            && let Some(error) = &answer.error
        {
            let hint = match error.as_str() {
                "access_denied" => " You or the provider declined the login.",
                "login_required" | "interaction_required" => " Log in at the provider first.",
                _ => "",
            };
            return Err(fail(format!(
                "The identity provider refused the login: {error}{}.{hint}",
                answer
                    .error_description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )));
        }
        let (settings, secret) = match &sealed.test {
            Some((s, secret)) => (s.clone(), secret.clone()),
            None => {
                let mut conn = self.core.db.pool.acquire().await.map_err(down)?;
                let row = store::identity_providers::by_id(&mut conn, connection_id)
                    .await
                    .map_err(down)?
                    .filter(|r| r.active && r.workspace_id == request.workspace_id)
                    .ok_or_else(|| {
                        fail(
                            "This connection was turned off or deleted while you were logging in."
                                .into(),
                        )
                    })?;
                let settings: Settings = serde_json::from_str(&row.settings).map_err(down)?;
                let secret = row
                    .secret
                    .as_deref()
                    .map(|s| self.unseal(s))
                    .transpose()
                    .map_err(down)?;
                (settings, secret)
            }
        };
        let redirect = domain::return_url(&settings.web_app_url, settings.protocol);
        match (answer, settings.protocol, &sealed.oidc, &sealed.saml) {
            (Answer::Oidc(answer), Protocol::Oidc, Some(pending), _) => {
                let code = answer
                    .code
                    .as_deref()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        fail("The identity provider's answer carries no code.".into())
                    })?;
                let claims = oidc::finish(
                    &self.fetcher,
                    &self.keys,
                    &settings,
                    secret.as_deref(),
                    oidc::Answer {
                        code,
                        redirect_uri: &redirect,
                        pending,
                    },
                    now,
                )
                .await
                .map_err(fail)?;
                let user = domain::map_claims(&claims, &settings.claims, false).map_err(fail)?;
                if settings.oidc.require_email_verified && !user.email_verified {
                    return Err(fail(format!(
                        "Your identity provider has not verified {}. Verify it there, then log in again.",
                        user.email
                    )));
                }
                Ok((settings.clone(), settings.oidc.issuer.clone(), user))
            }
            (Answer::Saml(response), Protocol::Saml, _, Some(pending)) => {
                let (response, request_id) = (response.to_string(), pending.request_id.clone());
                let checked_settings = settings.clone();
                // xmlsec works on the CPU (and behind its own lock): off the async threads.
                let (issuer, claims) = tokio::task::spawn_blocking(move || {
                    let idp = saml::read_metadata(&checked_settings.saml.metadata_xml)?;
                    saml::verify(&checked_settings, &idp, &redirect, &response, &request_id)
                })
                .await
                .map_err(down)?
                .map_err(fail)?;
                // The provider vouches for the address it asserts (in this workspace only: an
                // account elsewhere is never found by its address).
                let user = domain::map_claims(&claims, &settings.claims, true).map_err(fail)?;
                Ok((settings, issuer, user))
            }
            _ => Err(wrong_kind()),
        }
    }

    /// What a login of this person would do, without doing it (a test login's verdict).
    async fn decide(
        &self,
        workspace_id: &str,
        settings: &Settings,
        issuer: &str,
        user: &MappedUser,
    ) -> Result<Decision, LoginFailed> {
        let mut conn = self.core.db.pool.acquire().await.map_err(down)?;
        decide(
            &mut conn,
            self.core.clock.now_ms(),
            workspace_id,
            settings,
            issuer,
            user,
        )
        .await
    }

    /// Logs a person in through a connection, in one transaction: the account found or made, the
    /// link, the groups, the session and the audit entries. Two first logins of one person at once
    /// (two tabs, a double click) may both decide to make the account or take the invitation; on
    /// PostgreSQL the later one then meets the earlier one's rows and is tried again, and finds
    /// the account through the link the earlier one made.
    async fn admit(&self, login: &Login<'_>, client_ip: &str) -> Result<NewSession, LoginFailed> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.admit_once(login, client_ip).await {
                Err(Admission::Raced(e)) if tries < 3 => {
                    tracing::info!(error = %e, "a first login met another one of the same person; trying again");
                }
                Err(Admission::Raced(e)) => {
                    tracing::warn!(error = %e, "an identity provider login kept meeting others");
                    return Err(LoginFailed(match e {
                        AppError::Conflict(message) => message,
                        _ => UNAVAILABLE.into(),
                    }));
                }
                Err(Admission::Failed(f)) => return Err(f),
                Ok(session) => return Ok(session),
            }
        }
    }

    async fn admit_once(
        &self,
        login: &Login<'_>,
        client_ip: &str,
    ) -> Result<NewSession, Admission> {
        let Login {
            workspace_id,
            settings,
            issuer,
            user,
            ..
        } = *login;
        let unavailable = |e: AppError| {
            tracing::error!(error = %e, "an identity provider login could not be completed");
            Admission::Failed(LoginFailed(UNAVAILABLE.into()))
        };
        let mut tx = self.core.begin_unattributed().await.map_err(unavailable)?;
        let now = tx.now();
        let decision = decide(&mut tx, now, workspace_id, settings, issuer, user)
            .await
            .map_err(Admission::Failed)?;
        let identity = self
            .carry_out(&mut tx, now, login, decision)
            .await
            .map_err(|e| match e {
                // Another login of the same person made the account or took the invitation.
                AppError::Taken { .. } | AppError::Conflict(_) => Admission::Raced(e),
                AppError::Validation { message, .. } => Admission::Failed(LoginFailed(message)),
                other => unavailable(other),
            })?;
        let session = start_session(&self.core, &mut tx, now, &identity, client_ip)
            .await
            .map_err(unavailable)?;
        store::identity_providers::mark_session_sso(
            &mut tx,
            &crypto::token_hash(&session.cookie_value),
        )
        .await
        .map_err(|e| unavailable(e.into()))?;
        tx.commit().await.map_err(unavailable)?;
        Ok(session)
    }

    async fn carry_out(
        &self,
        tx: &mut Write<'_>,
        now: i64,
        login: &Login<'_>,
        decision: Decision,
    ) -> Result<Identity, AppError> {
        let Login {
            connection_id,
            workspace_id,
            settings,
            issuer,
            user,
        } = *login;
        let workspace_name =
            sqlx::query_scalar::<_, String>("SELECT name FROM workspaces WHERE id = $1")
                .bind(workspace_id)
                .fetch_one(&mut **tx)
                .await?;
        let (user_id, how) = match decision {
            Decision::Linked { user_id } => (user_id, "link"),
            Decision::Invited {
                invitation_id,
                user_id,
            } => {
                let user_id = match user_id {
                    Some(id) => id,
                    None => create_person(tx, now, user).await?,
                };
                if !store::workspaces::accept_invitation(tx, &invitation_id, now).await? {
                    return Err(AppError::Conflict(
                        "Your invitation was answered meanwhile. Log in again.".into(),
                    ));
                }
                if store::workspaces::membership(tx, &user_id, workspace_id)
                    .await?
                    .is_none()
                {
                    store::users::add_membership(tx, workspace_id, &user_id, Role::Member, now)
                        .await?;
                }
                (user_id, "invitation")
            }
            Decision::Create => {
                if let Some((used, max)) = super::workspaces::seats(tx, workspace_id, now).await?
                    && used >= max
                {
                    return Err(AppError::validation(
                        "seats",
                        format!(
                            "{workspace_name} has no free seat for a new member. Ask its administrator."
                        ),
                    ));
                }
                let id = create_person(tx, now, user).await?;
                store::users::add_membership(tx, workspace_id, &id, Role::Member, now).await?;
                (id, "created")
            }
        };
        store::identity_providers::link(
            tx,
            workspace_id,
            issuer,
            &user.subject,
            &user_id,
            connection_id,
            now,
        )
        .await?;
        let row = store::users::get_user(tx, &user_id)
            .await?
            .ok_or_else(|| internal("a linked account is gone"))?;
        let role = store::workspaces::membership(tx, &user_id, workspace_id)
            .await?
            .map(|m| m.role)
            .unwrap_or(Role::Member);
        let mut identity = Identity {
            user_id: user_id.clone(),
            user_name: row.name.clone(),
            email: row.email.clone(),
            workspace_id: workspace_id.to_string(),
            workspace_name,
            role,
            channel: Channel::Web,
            actor: Actor::Person,
        };
        let object = Object {
            kind: AuditObject::IdentityProvider,
            id: connection_id,
            name: &settings.display_name,
        };
        tx.audit_as(
            &identity,
            "identity_provider.login",
            object,
            &json!({"after": {"subject": user.subject, "email": user.email, "account": how}}),
        )
        .await?;
        if settings.group_sync {
            let changed = sync_groups(tx, now, connection_id, &identity, settings, user).await?;
            if changed.as_object().is_some_and(|m| !m.is_empty()) {
                tx.audit_as(
                    &identity,
                    "identity_provider.group_sync",
                    Object {
                        kind: AuditObject::IdentityProvider,
                        id: connection_id,
                        name: &settings.display_name,
                    },
                    &json!({"after": changed}),
                )
                .await?;
                if let Some(m) = store::workspaces::membership(tx, &user_id, workspace_id).await? {
                    identity.role = m.role;
                }
            }
        }
        Ok(identity)
    }

    async fn audit_failure(
        &self,
        workspace_id: &str,
        connection_id: &str,
        user: Option<&MappedUser>,
        message: &str,
    ) {
        let write = async {
            let mut tx = self.core.begin_unattributed().await?;
            let name = sqlx::query_scalar::<_, String>(
                "SELECT display_name FROM identity_providers WHERE id = $1",
            )
            .bind(connection_id)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or_default();
            let ws_name =
                sqlx::query_scalar::<_, String>("SELECT name FROM workspaces WHERE id = $1")
                    .bind(workspace_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .unwrap_or_default();
            let email = user.map(|u| u.email.clone()).unwrap_or_default();
            let someone = Identity {
                user_id: String::new(),
                user_name: user
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| "unknown person".into()),
                email: email.clone(),
                workspace_id: workspace_id.to_string(),
                workspace_name: ws_name,
                role: Role::Member,
                channel: Channel::Web,
                actor: Actor::Person,
            };
            tx.audit_as(
                &someone,
                "identity_provider.login_failed",
                Object {
                    kind: AuditObject::IdentityProvider,
                    id: connection_id,
                    name: &name,
                },
                &json!({"after": {"email": email, "reason": message}}),
            )
            .await?;
            tx.commit().await
        };
        if let Err(e) = write.await {
            tracing::warn!(error = %e, "could not record a failed identity provider login");
        }
    }
}

/// With password login off, refuses to take away (delete or turn off) `leaving` when it is the
/// last connection an administrator of the workspace has logged in through.
async fn keep_a_way_in(
    tx: &mut Write<'_>,
    workspace_id: &str,
    leaving: &str,
) -> Result<(), AppError> {
    if store::identity_providers::password_login(tx, workspace_id).await? {
        return Ok(());
    }
    if store::identity_providers::admin_ways(tx, workspace_id, leaving).await? == 0 {
        return Err(AppError::Conflict(
            "This connection is the last way an administrator of this workspace logs in, and password login is off. Turn password login back on first.".into(),
        ));
    }
    Ok(())
}

impl IdentityProvidersService {
    /// Whether the workspace's people may log in with a password, and whether it may be turned off.
    pub async fn password_login(&self, who: &Admin<'_>) -> Result<PasswordLogin, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        password_login_of(&mut conn, &who.workspace_id).await
    }

    /// Turns password login on or off for the workspace. Off needs a connection an administrator
    /// has logged in through, so that the workspace never locks its administrators out.
    pub async fn set_password_login(
        &self,
        who: &Admin<'_>,
        enabled: bool,
    ) -> Result<PasswordLogin, AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = store::identity_providers::password_login(&mut tx, &who.workspace_id).await?;
        if now != enabled {
            if !enabled
                && store::identity_providers::admin_ways(&mut tx, &who.workspace_id, "").await? == 0
            {
                return Err(AppError::validation(
                    "password_login",
                    "Log in through an active connection as an administrator first (or link your account to it from your profile): otherwise nobody could administer this workspace.",
                ));
            }
            store::identity_providers::set_password_login(&mut tx, &who.workspace_id, enabled)
                .await?;
            tx.audit(
                "workspace.password_login",
                Object {
                    kind: AuditObject::Workspace,
                    id: &who.workspace_id,
                    name: &who.workspace_name,
                },
                &json!({"before": {"password_login": now}, "after": {"password_login": enabled}}),
            )
            .await?;
        }
        let answer = password_login_of(&mut tx, &who.workspace_id).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// The operator's way back in: turns a workspace's password login on or off by its name
    /// (the command line; no guard, the operator knows).
    pub async fn set_password_login_by_name(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<(), AppError> {
        let mut tx = self.core.begin_unattributed().await?;
        let ws = store::users::find_workspace_by_name(&mut tx, name)
            .await?
            .ok_or_else(|| {
                AppError::validation("workspace", format!("No workspace named {name}."))
            })?;
        store::identity_providers::set_password_login(&mut tx, &ws.id, enabled).await?;
        tx.commit().await
    }

    /// The active connections of the caller's workspace and whether the caller is linked to each
    /// (their profile offers to link the others).
    pub async fn my_links(&self, who: &Identity) -> Result<Vec<LinkView>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let linked =
            store::identity_providers::links_of(&mut conn, &who.workspace_id, &who.user_id).await?;
        Ok(
            store::identity_providers::list(&mut conn, &who.workspace_id)
                .await?
                .into_iter()
                .filter(|c| c.active)
                .map(|c| LinkView {
                    linked: linked.contains(&c.id),
                    href: format!("/sso/{}/link", c.id),
                    id: c.id,
                    display_name: c.display_name,
                })
                .collect(),
        )
    }

    /// Starts linking the caller's account to their account at a connection's provider (they are
    /// logged in with a password; the provider's login proves the other side).
    pub async fn start_link(
        &self,
        who: &Identity,
        connection_id: &str,
    ) -> Result<(String, String), LoginFailed> {
        self.start_through(connection_id, Some(who), None).await
    }

    /// Links the person who started a link to the provider's subject.
    async fn link_account(&self, login: &Login<'_>, user_id: &str) -> Result<String, LoginFailed> {
        let Login {
            connection_id,
            workspace_id,
            settings,
            issuer,
            user,
        } = *login;
        let unavailable = |e: AppError| {
            tracing::error!(error = %e, "an identity provider link could not be made");
            LoginFailed(UNAVAILABLE.into())
        };
        let mut tx = self.core.begin_unattributed().await.map_err(unavailable)?;
        let now = tx.now();
        let linked =
            store::identity_providers::linked_user(&mut tx, workspace_id, issuer, &user.subject)
                .await
                .map_err(|e| unavailable(e.into()))?;
        if linked.as_deref().is_some_and(|u| u != user_id) {
            return Err(LoginFailed(format!(
                "Your account at the provider ({}) is already linked to another member of this workspace.",
                user.email
            )));
        }
        let member = store::workspaces::membership(&mut tx, user_id, workspace_id)
            .await
            .map_err(|e| unavailable(e.into()))?
            .ok_or_else(|| LoginFailed("You are no longer a member of this workspace.".into()))?;
        let account = store::users::get_user(&mut tx, user_id)
            .await
            .map_err(|e| unavailable(e.into()))?
            .ok_or_else(|| LoginFailed(UNAVAILABLE.into()))?;
        store::identity_providers::link(
            &mut tx,
            workspace_id,
            issuer,
            &user.subject,
            user_id,
            connection_id,
            now,
        )
        .await
        .map_err(|e| unavailable(e.into()))?;
        let identity = Identity {
            user_id: user_id.to_string(),
            user_name: account.name,
            email: account.email,
            workspace_id: workspace_id.to_string(),
            workspace_name: member.workspace_name,
            role: member.role,
            channel: Channel::Web,
            actor: Actor::Person,
        };
        tx.audit_as(
            &identity,
            "identity_provider.link",
            Object {
                kind: AuditObject::IdentityProvider,
                id: connection_id,
                name: &settings.display_name,
            },
            &json!({"after": {"subject": user.subject, "email": user.email}}),
        )
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(settings.display_name.clone())
    }
}

async fn password_login_of(
    conn: &mut store::Conn,
    workspace_id: &str,
) -> Result<PasswordLogin, AppError> {
    let enabled = store::identity_providers::password_login(conn, workspace_id).await?;
    let ways = store::identity_providers::admin_ways(conn, workspace_id, "").await?;
    Ok(PasswordLogin {
        enabled,
        can_disable: ways > 0,
    })
}

/// A login that cannot go on because the database (or this server) failed: logged, and said as
/// [`UNAVAILABLE`].
fn down(e: impl std::fmt::Display) -> LoginFailed {
    tracing::error!(error = %e, "an identity provider login could not be completed");
    LoginFailed(UNAVAILABLE.into())
}

/// Said when the database cannot be reached during a login.
const UNAVAILABLE: &str = "Logging in is not possible right now. Try again in a minute.";

/// The query a provider sends the browser back with.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// How a login finds its account.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    /// An earlier login linked the provider's subject to this account.
    Linked { user_id: String },
    /// An open invitation of the workspace to the address: to the account that has it, or to a
    /// new one.
    Invited {
        invitation_id: String,
        user_id: Option<String>,
    },
    /// A new account (the connection creates users at first login).
    Create,
}

impl Decision {
    fn describe(&self) -> String {
        match self {
            Decision::Linked { .. } => {
                "Logs in to the account this person used with this provider before.".into()
            }
            Decision::Invited { user_id: Some(_), .. } => {
                "Accepts the workspace's invitation and links the existing account with this address.".into()
            }
            Decision::Invited { user_id: None, .. } => {
                "Accepts the workspace's invitation with a new account.".into()
            }
            Decision::Create => "Creates a new member of the workspace (first login).".into(),
        }
    }
}

async fn decide(
    conn: &mut store::Conn,
    now: i64,
    workspace_id: &str,
    settings: &Settings,
    issuer: &str,
    user: &MappedUser,
) -> Result<Decision, LoginFailed> {
    let db = |e: sqlx::Error| {
        tracing::error!(error = %e, "an identity provider login could not read the database");
        LoginFailed(UNAVAILABLE.into())
    };
    if let Some(user_id) =
        store::identity_providers::linked_user(conn, workspace_id, issuer, &user.subject)
            .await
            .map_err(db)?
    {
        let member = store::workspaces::membership(conn, &user_id, workspace_id)
            .await
            .map_err(db)?
            .is_some();
        if member {
            return Ok(Decision::Linked { user_id });
        }
        // A member who left or was removed comes back only through a new invitation.
    }
    let invitation = store::workspaces::open_invitations_for_email(conn, &user.email, now)
        .await
        .map_err(db)?
        .into_iter()
        .find(|i| i.workspace_id == workspace_id);
    let existing = store::users::find_by_login(conn, &user.email)
        .await
        .map_err(db)?
        .filter(|u| u.email == user.email);
    if let Some(i) = invitation {
        if !user.email_verified {
            return Err(LoginFailed(format!(
                "Your invitation is for {}, but your identity provider has not verified that address.",
                user.email
            )));
        }
        if existing.as_ref().is_some_and(|u| u.kind != "person") {
            return Err(LoginFailed(
                "This address belongs to a service account.".into(),
            ));
        }
        return Ok(Decision::Invited {
            invitation_id: i.id,
            user_id: existing.map(|u| u.id),
        });
    }
    if let Some(u) = existing {
        // A first login of the same person that finished since the link was looked up made this
        // account and its link in one transaction: the account is seen, so the link is too now
        // (PostgreSQL reads what was committed before each statement).
        if let Some(user_id) =
            store::identity_providers::linked_user(conn, workspace_id, issuer, &user.subject)
                .await
                .map_err(db)?
            && user_id == u.id
            && store::workspaces::membership(conn, &user_id, workspace_id)
                .await
                .map_err(db)?
                .is_some()
        {
            return Ok(Decision::Linked { user_id });
        }
        let member = store::workspaces::membership(conn, &u.id, workspace_id)
            .await
            .map_err(db)?
            .is_some();
        return Err(LoginFailed(if member {
            format!(
                "An account with {} is a member here but has not used this login before. Log in with your password once and ask an administrator to invite you again, or ask them to link your account.",
                user.email
            )
        } else {
            format!(
                "An account with {} already exists. Ask an administrator of this workspace to invite that address, then log in here again.",
                user.email
            )
        }));
    }
    if !settings.create_users {
        return Err(LoginFailed(format!(
            "{} is not a member of this workspace, and this login does not create accounts. Ask an administrator to invite you.",
            user.email
        )));
    }
    Ok(Decision::Create)
}

/// Makes an account for a person a provider vouches for: no password (they log in through the
/// provider), a free username from their address.
async fn create_person(
    tx: &mut Write<'_>,
    now: i64,
    user: &MappedUser,
) -> Result<String, AppError> {
    let name = validate::display_name("name", &user.name)
        .unwrap_or_else(|_| user.email.split('@').next().unwrap_or("member").to_string());
    let base = validate::username_from_email(&user.email);
    let mut row = store::users::UserRow {
        id: crypto::new_id(),
        username: String::new(),
        email: user.email.clone(),
        name,
        password_hash: None,
        kind: "person".into(),
        created_ms: now,
    };
    for n in 1..=50 {
        row.username = validate::username_candidate(&base, n);
        // The provider vouches for the address in this workspace only: it stays unverified for
        // the account as a whole.
        if store::users::insert_person_if_username_free(tx, &row, false).await? {
            return Ok(row.id);
        }
    }
    Err(AppError::Conflict(
        "No free username could be found for this address. Ask an administrator to invite you."
            .into(),
    ))
}

/// Brings a person's groups in line with the provider's groups claim; the changes made.
async fn sync_groups(
    tx: &mut Write<'_>,
    now: i64,
    connection_id: &str,
    who: &Identity,
    settings: &Settings,
    user: &MappedUser,
) -> Result<serde_json::Value, AppError> {
    // The built-in groups exist once anyone looked at the groups; a first login may come sooner.
    store::groups::ensure_builtins(tx, &who.workspace_id, now).await?;
    let groups: Vec<SyncGroup> =
        store::identity_providers::sync_groups(tx, &who.workspace_id, &who.user_id)
            .await?
            .into_iter()
            .map(|(id, name, builtin, member, synced)| SyncGroup {
                id,
                name,
                builtin,
                member,
                synced,
            })
            .collect();
    let plan = domain::plan_group_sync(&user.groups, &groups, settings.group_sync_admins);
    let name_of = |id: &str| {
        groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.name.clone())
            .unwrap_or_default()
    };
    let builtin = |id: &str| {
        groups
            .iter()
            .find(|g| g.id == id)
            .and_then(|g| g.builtin.clone())
    };
    let mut joined = vec![];
    let mut left = vec![];
    for id in &plan.join {
        if builtin(id).as_deref() == Some("admins") {
            store::workspaces::set_role(tx, &who.workspace_id, &who.user_id, Role::Admin).await?;
        } else {
            store::groups::add_member(tx, id, &who.user_id).await?;
        }
        store::identity_providers::grant(tx, id, &who.user_id, connection_id, now).await?;
        joined.push(name_of(id));
    }
    for id in &plan.leave {
        if builtin(id).as_deref() == Some("admins") {
            // Never the workspace's last administrator.
            if store::workspaces::count_admins(tx, &who.workspace_id).await? <= 1 {
                continue;
            }
            store::workspaces::set_role(tx, &who.workspace_id, &who.user_id, Role::Member).await?;
        } else {
            store::groups::remove_member(tx, id, &who.user_id).await?;
        }
        store::identity_providers::ungrant(tx, id, &who.user_id).await?;
        left.push(name_of(id));
    }
    if joined.is_empty() && left.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({"joined": joined, "left": left}))
}
