//! API usage over HTTP: every call is counted for the caller's workspace.

use crate::common::site::{Api, on_sqlite};

/// Calls are counted per workspace.
#[tokio::test]
async fn calls_are_counted_for_the_callers_workspace() {
    on_sqlite(async |w: Api| {
        for path in [
            "/auth.get_credentials",
            "/users.get_current_user",
            "/workspaces.get_all",
            "/audit.get_all",
        ] {
            for _ in 0..2 {
                w.app.with_auth("GET", path, &w.admin.basic, "").await;
            }
        }
        let core = &w.app.services.core;
        core.usage.flush(&core.db).await;
        let mut conn = core.db.pool.acquire().await.unwrap();
        let month = atrium_server::services::usage::month_of(core.clock.now_ms());
        let ws_a: String = sqlx::query_scalar("SELECT id FROM workspaces WHERE name = 'A'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert!(
            atrium_server::store::workspaces::api_calls(&mut conn, &ws_a, &month)
                .await
                .unwrap()
                >= 8
        );
    })
    .await
}
