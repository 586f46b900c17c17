//! Sixteen clients writing at once: every write answers success on SQLite and PostgreSQL alike,
//! and every acknowledged write is there afterwards.

mod common;

use app::domain::Role;
use atrium_server::db::Db;
use common::{identity_of, services_over, user};

const CLIENTS: usize = 16;
const ROUNDS: usize = 4;

async fn mixed_concurrent_writes_all_succeed(db: Db) {
    let s = services_over(db);
    let admin = identity_of(&user(&s, "ada@example.com", Role::Admin, "A").await);
    let before = s.credentials.list(&admin).await.unwrap().len();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (s, who) = (s.clone(), admin.clone());
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for round in 0..ROUNDS {
                if let Err(e) = s
                    .credentials
                    .create(&who, None, &format!("c{client}-{round}"), None)
                    .await
                {
                    failures.push(format!("credentials: {e}"));
                }
                let mut prefs = s.preferences.get(&who).await.unwrap();
                prefs.hide_tips = round % 2 == 0;
                if let Err(e) = s.preferences.save(&who, prefs).await {
                    failures.push(format!("preferences: {e}"));
                }
                if let Err(e) = s
                    .groups
                    .save(
                        &who.admin("edit groups").unwrap(),
                        None,
                        &format!("g{client}-{round}"),
                        "",
                        &[],
                    )
                    .await
                {
                    failures.push(format!("group: {e}"));
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );
    let creds = s.credentials.list(&admin).await.unwrap();
    assert_eq!(creds.len(), before + CLIENTS * ROUNDS);
    let groups = s
        .groups
        .overview(&admin.admin("see groups").unwrap())
        .await
        .unwrap()
        .groups;
    for client in 0..CLIENTS {
        for round in 0..ROUNDS {
            let name = format!("g{client}-{round}");
            assert!(groups.iter().any(|g| g.name == name), "{name} missing");
        }
    }
}

on_both_databases!(mixed_concurrent_writes_all_succeed);
