//! Migrations: run twice, and upgrades that carry stored data over.

use atrium_server::db::{self, Db};
use atrium_server::store;
use sqlx::Row;

use crate::common::{with_new_postgres, with_new_sqlite};

async fn running_the_migrations_again_changes_nothing(db: Db) {
    db::migrate(&db).await.expect("second run is a no-op");
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(store::users::count_users(&mut conn).await.unwrap(), 0);
}

crate::on_both_databases!(running_the_migrations_again_changes_nothing);

/// A database at migration 14 with catalog documents and a month's API calls, upgraded: the
/// listing columns are filled from the documents (0015) and the month's calls are on its first day
/// (0016).
async fn an_upgrade_carries_documents_and_api_calls_over(db: Db) {
    db::migrate_through(&db, 14).await.unwrap();
    let exec = async |sql: &str| {
        sqlx::query(sql).execute(&db.pool).await.unwrap();
    };
    exec("INSERT INTO workspaces (id, name, created_ms) VALUES ('ws', 'Old', 0)").await;
    exec(
        r#"INSERT INTO catalog (id, workspace_id, kind, name, project_id, status, doc, created_ms, updated_ms)
           VALUES ('p1', 'ws', 'project', 'Old', NULL, NULL,
                   '{"id": "p1", "created": "2026-01-02T03:04:05.000+00:00", "system_tags": ["hidden", "example"]}', 0, 0),
                  ('p2', 'ws', 'project', 'Plain', NULL, NULL, '{"id": "p2"}', 0, 0)"#,
    )
    .await;
    exec("INSERT INTO api_usage (workspace_id, month, calls) VALUES ('ws', '2026-11', 7)").await;
    db::migrate(&db).await.unwrap();
    let rows: Vec<(String, String, i64)> =
        sqlx::query("SELECT id, created, flags FROM catalog ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.get("id"), r.get("created"), r.get("flags")))
            .collect();
    assert_eq!(
        rows,
        [
            ("p1".into(), "2026-01-02T03:04:05.000+00:00".into(), 3),
            ("p2".into(), String::new(), 0)
        ]
    );
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        store::workspaces::api_calls_by_day(&mut conn, "ws", "2026-11-01", "2026-11-30")
            .await
            .unwrap(),
        [("2026-11-01".to_string(), 7)]
    );
}

#[tokio::test]
async fn an_upgrade_carries_documents_and_api_calls_over_on_sqlite() {
    with_new_sqlite(false, an_upgrade_carries_documents_and_api_calls_over).await
}

#[tokio::test]
async fn an_upgrade_carries_documents_and_api_calls_over_on_postgres() {
    with_new_postgres(false, an_upgrade_carries_documents_and_api_calls_over).await
}
