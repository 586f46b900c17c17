//! What the services are built from: the database, the keys, the caches, the settings, and the clock
//! tests can move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::crypto::MasterKey;
use crate::db::Db;
use app::domain::{AppError, Identity};

/// Wall-clock time in milliseconds, with an offset tests can move forward.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        system + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves the clock forward (tests).
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// Server settings the services read.
#[derive(Debug, Clone)]
pub struct Settings {
    pub public_url: String,
    /// The files server clients are told to use (ClearML's `files_server`).
    pub files_url: String,
    /// Lifetime of API tokens when the client asks for none, and the most it may ask for.
    pub token_default_secs: i64,
    pub token_max_secs: i64,
    pub self_hosted: bool,
    pub session_ms: i64,
    pub max_body_bytes: usize,
    /// The mail server invitation links go out through; `None` shows links to the inviter instead.
    pub smtp: Option<crate::mail::SmtpSettings>,
    /// Where the file server keeps files, and the largest it accepts.
    pub files: crate::services::files::FilesSettings,
    /// Identity providers may be reached on private addresses (a provider on the same network;
    /// the tests' providers on loopback). Off: public hosts only.
    pub sso_private_hosts: bool,
    /// Free limits and Pro prices (usage & billing), from the price file.
    pub prices: app::domain::billing::PriceTable,
    /// The clock may be moved forward through `/test/clock.advance` (browser tests only).
    pub test_clock: bool,
}

impl Settings {
    /// Whether people reach the server over https (its cookies are then `Secure`, and browsers are
    /// told to keep to https).
    pub fn is_https(&self) -> bool {
        self.public_url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }
}

/// The pieces the services are built from.
#[derive(Debug, Clone)]
pub struct Core {
    pub db: Db,
    pub key: MasterKey,
    /// Signs API tokens (shared by every replica through the database).
    pub tokens: crate::tokens::TokenKeys,
    /// Keys the hashes of API secrets.
    pub pepper: Arc<Vec<u8>>,
    /// API calls per workspace and month, counted in memory and added to the database in batches.
    pub usage: Arc<crate::services::usage::UsageCounter>,
    /// Read caches of the API's hot path, cleared by every committed change.
    pub caches: Arc<crate::services::cache::Caches>,
    /// This process's id, so that it ignores its own change notifications.
    pub replica_id: Arc<str>,
    pub clock: Arc<Clock>,
    pub settings: Arc<Settings>,
}

/// A database transaction.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The write transaction of one user action: it knows who acts and when, writes the action's audit
/// entry inside itself, and on commit clears the caches. It reads as the connection the store's
/// functions take.
pub struct Write<'c> {
    tx: Tx,
    core: &'c Core,
    now_ms: i64,
    by: Option<Identity>,
}

impl Core {
    /// Begins the write transaction of an action done by `by`. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
    /// SQLITE_BUSY_SNAPSHOT when another writer committed in between, and no busy timeout retries
    /// that. PostgreSQL's row locks and constraints need nothing more.
    pub async fn begin(&self, by: &Identity) -> Result<Write<'_>, AppError> {
        self.start(Some(by.clone())).await
    }

    /// Begins a write transaction whose actor only becomes known inside it (logging in, the first
    /// set-up, an invitation link, the command line): its entries are written with
    /// [`Write::audit_as`].
    pub async fn begin_unattributed(&self) -> Result<Write<'_>, AppError> {
        self.start(None).await
    }

    async fn start(&self, by: Option<Identity>) -> Result<Write<'_>, AppError> {
        let tx = self
            .db
            .begin_write()
            .await
            .map_err(crate::services::internal)?;
        Ok(Write {
            tx,
            core: self,
            now_ms: self.clock.now_ms(),
            by,
        })
    }

    /// Clears the caches after a change that was committed outside a [`Write`].
    pub async fn changed(&self) {
        self.caches.clear();
        if self.db.kind == crate::db::Kind::Postgres {
            let notify = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(crate::services::cache::CHANNEL)
                .bind(self.replica_id.as_ref())
                .execute(&self.db.pool)
                .await;
            if let Err(e) = notify {
                tracing::warn!(error = %e, "could not notify the other replicas of a change");
            }
        }
    }
}

impl Write<'_> {
    /// When the action happens (one instant for its rows and its audit entry).
    pub fn now(&self) -> i64 {
        self.now_ms
    }

    /// Writes the action's audit entry as done by whoever began the transaction.
    pub async fn audit(
        &mut self,
        action: &str,
        object: Object<'_>,
        summary: &serde_json::Value,
    ) -> Result<(), AppError> {
        let Some(by) = self.by.take() else {
            return Err(crate::services::internal(
                "an unattributed transaction was audited without naming its actor",
            ));
        };
        let written = self.audit_as(&by, action, object, summary).await;
        self.by = Some(by);
        written
    }

    /// Writes an audit entry as done by `by`: an actor who became known inside the transaction, or
    /// the same person acting in another workspace.
    pub async fn audit_as(
        &mut self,
        by: &Identity,
        action: &str,
        object: Object<'_>,
        summary: &serde_json::Value,
    ) -> Result<(), AppError> {
        let summary = app::domain::audit::mask_secrets(summary).to_string();
        crate::store::audit::insert(
            &mut self.tx,
            crate::store::audit::NewEntry {
                id: &crate::crypto::new_id(),
                workspace_id: Some(&by.workspace_id),
                at_ms: self.now_ms,
                actor_id: &by.user_id,
                actor_name: &by.actor_name(),
                actor_email: &by.email,
                channel: by.channel.as_str(),
                action,
                object_type: object.kind.as_str(),
                object_id: object.id,
                object_name: object.name,
                summary: &summary,
            },
        )
        .await
        .map_err(AppError::from)
    }

    /// Commits, then clears the caches here and tells the other replicas (PostgreSQL `NOTIFY`) to
    /// clear theirs.
    pub async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await.map_err(crate::services::internal)?;
        self.core.changed().await;
        Ok(())
    }
}

impl std::ops::Deref for Write<'_> {
    type Target = crate::store::Conn;

    fn deref(&self) -> &crate::store::Conn {
        &self.tx
    }
}

impl std::ops::DerefMut for Write<'_> {
    fn deref_mut(&mut self) -> &mut crate::store::Conn {
        &mut self.tx
    }
}

/// What an audit entry says about its object.
pub struct Object<'a> {
    pub kind: app::domain::audit::AuditObject,
    pub id: &'a str,
    pub name: &'a str,
}
