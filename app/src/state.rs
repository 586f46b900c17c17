//! What the services are built from: the database, the keys, the caches, the settings, and the clock
//! tests can move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::crypto::MasterKey;
use crate::db::Db;

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

/// A write transaction of one user action.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Core {
    /// Begins a user action's write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
    /// SQLITE_BUSY_SNAPSHOT when another writer committed in between, and no busy timeout retries
    /// that. PostgreSQL's row locks and constraints need nothing more.
    pub async fn begin(&self) -> Result<Tx, app::domain::AppError> {
        self.db
            .begin_write()
            .await
            .map_err(crate::services::internal)
    }

    /// Commits a user action's transaction, then clears the caches here and tells the other replicas
    /// (PostgreSQL `NOTIFY`) to clear theirs.
    pub async fn commit(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Any>,
    ) -> Result<(), app::domain::AppError> {
        tx.commit().await.map_err(crate::services::internal)?;
        self.changed().await;
        Ok(())
    }

    /// Clears the caches after a change that was committed outside [`Core::commit`].
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
