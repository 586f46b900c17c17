//! The application state every handler shares, and the clock tests can move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use leptos::prelude::LeptosOptions;

use crate::crypto::MasterKey;
use crate::db::Db;
use crate::services::Services;

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

/// What the HTTP layer holds. Handlers and middleware receive a clone per request, so it is one
/// reference-counted pointer.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

/// The parts of [`AppState`].
pub struct AppParts {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub db: Db,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
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

impl Core {
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
