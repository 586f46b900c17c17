//! The audit log view (administrators only; the service refuses everyone else).

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::audit::{AuditEntry, AuditQuery};

#[server(prefix = "/fn/admin", endpoint = "audit.list", input = leptos::server_fn::codec::Json)]
pub async fn list(query: AuditQuery) -> Result<Vec<AuditEntry>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .audit
                .list(&caller()?.identity.admin("read the audit log")?, query)
                .await
        }
        .await,
    )
}
