//! Reading the audit log (administrators of the workspace only).

use app::domain::AppError;
use app::domain::audit::{AuditEntry, AuditQuery};
use app::domain::identity::Admin;

use crate::state::Core;
use crate::store;

#[derive(Debug)]
pub struct AuditService {
    pub core: std::sync::Arc<Core>,
}

impl AuditService {
    /// Every entry matching the filters (newest first), for the CSV export, read page by page.
    pub async fn export(
        &self,
        who: &Admin<'_>,
        query: AuditQuery,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let mut all = Vec::new();
        let mut q = AuditQuery {
            limit: Some(AuditQuery::MAX_LIMIT),
            before: None,
            ..query
        };
        loop {
            let page = store::audit::list(&mut conn, &who.workspace_id, &q).await?;
            let full = page.len() as u32 == AuditQuery::MAX_LIMIT;
            q.before = page.last().map(|e| (e.at_ms, e.id.clone()));
            all.extend(page);
            if !full || all.len() >= 1_000_000 {
                return Ok(all);
            }
        }
    }
}

impl AuditService {
    pub async fn list(
        &self,
        who: &Admin<'_>,
        query: AuditQuery,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        store::audit::list(&mut conn, &who.workspace_id, &query)
            .await
            .map_err(AppError::from)
    }
}
