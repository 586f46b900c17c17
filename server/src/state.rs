//! The application state every HTTP handler shares.

use std::sync::Arc;

use leptos::prelude::LeptosOptions;

pub use app::state::{Clock, Core, Settings, Tx};

use crate::db::Db;
use crate::services::Services;

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
