//! Access rules through the services on both databases: sixteen edits of one rule at once, what
//! leaving a workspace takes away, and two replicas on one PostgreSQL database that see a rule
//! change at once through the change notification.

use serde_json::{Map, json};

use app::api::access_rules::{RuleInput, SubjectRef};
use app::domain::access_rules::{Level, SubjectKind};
use app::domain::catalog::Kind;
use app::domain::{AppError, Identity, Role};
use atrium_server::db::Db;
use atrium_server::services::Services;
use atrium_server::services::access_rules::Viewer;

use crate::common::workspace::Workspace;
use crate::common::{identity_of, services_over};

fn fields(v: serde_json::Value) -> Map<String, serde_json::Value> {
    v.as_object().cloned().unwrap()
}

fn rule_for(kind: Kind, object: &str, level: Level, users: &[&str]) -> RuleInput {
    RuleInput {
        resource: kind,
        object: Some(object.to_string()),
        permission: level,
        subjects: users
            .iter()
            .map(|u| SubjectRef {
                kind: SubjectKind::User,
                id: (*u).to_string(),
            })
            .collect(),
    }
}

/// The member's level on a task, as a fresh check on these services sees it.
async fn level(s: &Services, who: &Identity, task: &str) -> Level {
    let mut conn = s.core.db.pool.acquire().await.unwrap();
    let doc = atrium_server::store::catalog::get(&mut conn, &who.workspace_id, Kind::Task, task)
        .await
        .unwrap()
        .unwrap();
    Viewer::of(&s.core, &mut conn, who)
        .await
        .unwrap()
        .level_of(Kind::Task, &doc)
}

async fn a_task(w: &Workspace) -> String {
    w.services
        .catalog
        .create_task(&w.admin, &fields(json!({"name": "t", "type": "training"})))
        .await
        .unwrap()
}

/// Sixteen edits of one rule at once, each naming other subjects: every one is applied whole in
/// turn, so the rule ends with exactly one edit's subjects, never a mixture.
async fn sixteen_edits_of_one_rule_at_once_leave_one_whole_edit(db: Db) {
    let w = Workspace::new(db).await;
    let task = a_task(&w).await;
    let mut people = vec![];
    for i in 0..16 {
        people.push(
            w.person(&format!("p{i}@example.com"), Role::Member, "Research")
                .await
                .id,
        );
    }
    let id = w
        .services
        .access_rules
        .create(&w.proof(), &rule_for(Kind::Task, &task, Level::Read, &[]))
        .await
        .unwrap();
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (s, admin, id, task) = (
                w.services.clone(),
                w.admin.clone(),
                id.clone(),
                task.clone(),
            );
            let pair = [people[i].clone(), people[(i + 1) % 16].clone()];
            tokio::spawn(async move {
                let proof = admin.admin("test").unwrap();
                let input = rule_for(
                    Kind::Task,
                    &task,
                    Level::Modify,
                    &[pair[0].as_str(), pair[1].as_str()],
                );
                s.access_rules.update(&proof, &id, &input).await
            })
        })
        .collect();
    let mut done = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(()) => done += 1,
            Err(AppError::Unavailable) => {}
            Err(e) => panic!("an edit failed: {e:?}"),
        }
    }
    assert!(done >= 1);
    let rules = w.services.access_rules.list(&w.proof()).await.unwrap();
    assert_eq!(rules.len(), 1);
    let mut got: Vec<&str> = rules[0].subjects.iter().map(|s| s.id.as_str()).collect();
    got.sort();
    assert_eq!(got.len(), 2, "{got:?}");
    let whole = (0..16).any(|i| {
        let mut pair = [people[i].as_str(), people[(i + 1) % 16].as_str()];
        pair.sort();
        got == pair
    });
    assert!(whole, "the subjects are one edit's: {got:?}");
    assert_eq!(
        w.audit("access_rule").await.len(),
        1 + done,
        "every edit is audited"
    );
}

/// Leaving the workspace takes a member's grants; the rule stays and still closes the object.
async fn a_member_who_leaves_loses_exactly_their_grants(db: Db) {
    let w = Workspace::new(db).await;
    let task = a_task(&w).await;
    let cy = w.person("cy@example.com", Role::Member, "Research").await;
    let rule = rule_for(Kind::Task, &task, Level::Modify, &[&w.bob.id, &cy.id]);
    w.services
        .access_rules
        .create(&w.proof(), &rule)
        .await
        .unwrap();
    assert_eq!(
        level(&w.services, &identity_of(&cy), &task).await,
        Level::Modify
    );
    w.services.users.remove(&w.proof(), &cy.id).await.unwrap();
    let rules = w.services.access_rules.list(&w.proof()).await.unwrap();
    let ids: Vec<&str> = rules[0].subjects.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [w.bob.id.as_str()]);
    assert_eq!(level(&w.services, &w.member, &task).await, Level::Modify);
}

/// Two replicas on one database: the second caches the workspace's rules, the first adds a rule,
/// and the second sees it within two seconds — before its cached copy would expire by itself
/// (five seconds after it was read).
async fn a_rule_change_reaches_another_replica_at_once(db: Db) {
    let url = {
        let mut conn = db.pool.acquire().await.unwrap();
        let name: String = sqlx::query_scalar("SELECT current_database()::text")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let admin = crate::common::postgres_admin_url();
        format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
    };
    let w = Workspace::new(db.clone()).await;
    let other = services_over(db);
    tokio::spawn(atrium_server::cli::listen_for_changes(url, other.clone()));
    let task = a_task(&w).await;
    // The other replica reads the workspace's (empty) rules once and keeps them.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(level(&other, &w.member, &task).await, Level::Modify);
    let started = std::time::Instant::now();
    w.services
        .access_rules
        .create(&w.proof(), &rule_for(Kind::Task, &task, Level::Read, &[]))
        .await
        .unwrap();
    loop {
        if level(&other, &w.member, &task).await == Level::None {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "the other replica still lets the member in"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

crate::on_both_databases!(
    sixteen_edits_of_one_rule_at_once_leave_one_whole_edit,
    a_member_who_leaves_loses_exactly_their_grants,
);

#[tokio::test]
async fn a_rule_change_reaches_another_replica_at_once_on_postgres() {
    crate::common::with_postgres(a_rule_change_reaches_another_replica_at_once).await
}
