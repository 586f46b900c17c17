//! The audit log: scoped to a workspace, newest first, paged with a cursor, filtered; read only by
//! administrators.

use app::domain::AppError;
use app::domain::audit::{AuditEntry, AuditQuery};
use atrium_server::db::Db;
use atrium_server::store::{self, audit::NewEntry};
use sqlx::Any;
use sqlx::pool::PoolConnection;

use crate::common::workspace::Workspace;

/// 25 entries by Ada in `ws-a` and 25 by Bob in `ws-b`, pairs sharing a timestamp (1 000 ms, 1 010 ms,
/// …); every fifth a preferences update, the others renames.
async fn logged(db: &Db) -> PoolConnection<Any> {
    let mut conn = db.pool.acquire().await.unwrap();
    for i in 0..25i64 {
        for (ws, actor) in [("ws-a", "Ada"), ("ws-b", "Bob")] {
            store::audit::insert(
                &mut conn,
                NewEntry {
                    id: &format!("{ws}-{i:03}"),
                    workspace_id: Some(ws),
                    at_ms: 1_000 + (i / 2) * 10, // pairs share a timestamp: the cursor must break ties by id
                    actor_id: actor,
                    actor_name: actor,
                    actor_email: &format!("{}@example.com", actor.to_lowercase()),
                    channel: "web",
                    action: if i % 5 == 0 {
                        "preferences.update"
                    } else {
                        "user.rename"
                    },
                    object_type: if i % 5 == 0 { "preferences" } else { "user" },
                    object_id: "x",
                    object_name: "x",
                    summary: "{\"after\":{\"n\":1}}",
                },
            )
            .await
            .unwrap();
        }
    }
    conn
}

async fn all_of_ws_a(conn: &mut PoolConnection<Any>) -> Vec<AuditEntry> {
    store::audit::list(
        conn,
        "ws-a",
        &AuditQuery {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn another_workspaces_entries_never_show(db: Db) {
    let mut conn = logged(&db).await;
    let all = all_of_ws_a(&mut conn).await;
    assert_eq!(all.len(), 25);
    assert!(
        all.iter().all(|e| e.actor_name == "Ada"),
        "another workspace's entries never show"
    );
}

async fn entries_come_newest_first(db: Db) {
    let mut conn = logged(&db).await;
    let all = all_of_ws_a(&mut conn).await;
    assert!(
        all.windows(2)
            .all(|w| (w[0].at_ms, &w[0].id) > (w[1].at_ms, &w[1].id)),
        "newest first"
    );
}

async fn the_summary_reads_back_as_json(db: Db) {
    let mut conn = logged(&db).await;
    let all = all_of_ws_a(&mut conn).await;
    assert_eq!(all[0].summary["after"]["n"], 1);
}

/// Paging with the cursor visits every entry exactly once.
async fn paging_with_the_cursor_visits_every_entry_once(db: Db) {
    let mut conn = logged(&db).await;
    let all = all_of_ws_a(&mut conn).await;
    let mut seen = vec![];
    let mut q = AuditQuery {
        limit: Some(4),
        ..Default::default()
    };
    loop {
        let page = store::audit::list(&mut conn, "ws-a", &q).await.unwrap();
        if page.is_empty() {
            break;
        }
        q.before = page.last().map(|e| (e.at_ms, e.id.clone()));
        seen.extend(page.into_iter().map(|e| e.id));
    }
    assert_eq!(seen, all.iter().map(|e| e.id.clone()).collect::<Vec<_>>());
}

async fn entries_are_filtered_by_object_type(db: Db) {
    let mut conn = logged(&db).await;
    let by_type = AuditQuery {
        object_type: Some("preferences".into()),
        ..Default::default()
    };
    assert_eq!(
        store::audit::list(&mut conn, "ws-a", &by_type)
            .await
            .unwrap()
            .len(),
        5
    );
}

async fn the_actor_filter_matches_part_of_the_email_in_any_case(db: Db) {
    let mut conn = logged(&db).await;
    let by_actor = AuditQuery {
        actor: Some("ADA@EXAMPLE".into()),
        ..Default::default()
    };
    assert_eq!(
        store::audit::list(&mut conn, "ws-a", &by_actor)
            .await
            .unwrap()
            .len(),
        25
    );
}

async fn the_actor_filter_leaves_out_other_actors(db: Db) {
    let mut conn = logged(&db).await;
    let nobody = AuditQuery {
        actor: Some("bob".into()),
        ..Default::default()
    };
    assert!(
        store::audit::list(&mut conn, "ws-a", &nobody)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn entries_are_filtered_by_time_window(db: Db) {
    let mut conn = logged(&db).await;
    let window = AuditQuery {
        from_ms: Some(1_020),
        to_ms: Some(1_050),
        ..Default::default()
    };
    let in_window = store::audit::list(&mut conn, "ws-a", &window)
        .await
        .unwrap();
    assert_eq!(in_window.len(), 6);
    assert!(in_window.iter().all(|e| (1_020..1_050).contains(&e.at_ms)));
}

async fn percent_in_the_actor_filter_is_not_a_wildcard(db: Db) {
    let mut conn = logged(&db).await;
    let wildcard = AuditQuery {
        actor: Some("%".into()),
        ..Default::default()
    };
    assert_eq!(
        store::audit::list(&mut conn, "ws-a", &wildcard)
            .await
            .unwrap()
            .len(),
        25,
        "'%' is not a wildcard"
    );
}

/// Reading and exporting take an administrator's proof, which a member cannot obtain.
async fn members_cannot_read_the_audit_log(db: Db) {
    let w = Workspace::new(db).await;
    let err = w.member.admin("read the audit log").unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
}

crate::on_both_databases!(
    another_workspaces_entries_never_show,
    entries_come_newest_first,
    the_summary_reads_back_as_json,
    paging_with_the_cursor_visits_every_entry_once,
    entries_are_filtered_by_object_type,
    the_actor_filter_matches_part_of_the_email_in_any_case,
    the_actor_filter_leaves_out_other_actors,
    entries_are_filtered_by_time_window,
    percent_in_the_actor_filter_is_not_a_wildcard,
    members_cannot_read_the_audit_log,
);
