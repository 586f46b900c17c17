//! API usage: calls counted in memory and written in batches, per workspace and day.

use atrium_server::db::Db;
use atrium_server::services::Services;
use atrium_server::store;

use crate::common::services_over;

/// Three calls and then one more in `ws-1`, one in `ws-2`, all in November 2026, flushed twice.
async fn counted_calls(db: &Db) -> Services {
    let s = services_over(db.clone());
    for _ in 0..3 {
        s.core.usage.record("ws-1", 1_795_000_000_000);
    }
    s.core.usage.record("ws-2", 1_795_000_000_000);
    s.core.usage.flush(db).await;
    s.core.usage.record("ws-1", 1_795_000_000_000);
    s.core.usage.flush(db).await;
    s
}

async fn batches_add_up(db: Db) {
    counted_calls(&db).await;
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        store::workspaces::api_calls(&mut conn, "ws-1", "2026-11")
            .await
            .unwrap(),
        4
    );
}

async fn each_workspace_counts_its_own_calls(db: Db) {
    counted_calls(&db).await;
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        store::workspaces::api_calls(&mut conn, "ws-2", "2026-11")
            .await
            .unwrap(),
        1
    );
}

async fn each_month_counts_its_own_calls(db: Db) {
    counted_calls(&db).await;
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        store::workspaces::api_calls(&mut conn, "ws-1", "2026-10")
            .await
            .unwrap(),
        0
    );
}

/// Calls on two days are two counts, in order, and their month's count is their sum.
async fn each_day_counts_its_own_calls(db: Db) {
    let s = counted_calls(&db).await;
    let next_day = 1_795_000_000_000 + 86_400_000;
    s.core.usage.record("ws-1", next_day);
    s.core.usage.record("ws-1", next_day);
    s.core.usage.flush(&db).await;
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        store::workspaces::api_calls_by_day(&mut conn, "ws-1", "2026-11-01", "2026-11-30")
            .await
            .unwrap(),
        [("2026-11-18".to_string(), 4), ("2026-11-19".to_string(), 2)]
    );
    assert_eq!(
        store::workspaces::api_calls(&mut conn, "ws-1", "2026-11")
            .await
            .unwrap(),
        6
    );
}

crate::on_both_databases!(
    each_day_counts_its_own_calls,
    batches_add_up,
    each_workspace_counts_its_own_calls,
    each_month_counts_its_own_calls,
);
