//! Access rules through the services on both databases: sixteen edits of one rule at once, what
//! leaving a workspace takes away, two replicas on one PostgreSQL database that see a rule change
//! at once through the change notification, and listings filtered by the rules (against the
//! evaluator, with the lists a SQLite connection keeps, and sixteen at once amid changes).

use serde_json::{Map, json};

use app::api::access_rules::{RuleInput, SubjectRef};
use app::domain::access_rules::{Level, SubjectKind};
use app::domain::catalog::{Found, Kind};
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

/// A small deterministic generator for the random rule sets below.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

/// A kind's listing (`<kind>.get_all`) as a caller gets it.
async fn listing(
    s: &Services,
    who: &Identity,
    kind: Kind,
    params: Map<String, serde_json::Value>,
) -> Vec<serde_json::Value> {
    match kind {
        Kind::Project => s.catalog.projects(who, &params).await,
        Kind::Task => s.catalog.tasks(who, &params).await,
        Kind::Model => s.catalog.models(who, &params).await,
        Kind::Dataview => s.catalog.dataviews(who, &params).await,
        _ => s.catalog.queues(who, &params).await.map(Found::from),
    }
    .unwrap()
    .into_values()
}

/// The ids a listing returns, in order.
fn ids(found: &[serde_json::Value]) -> Vec<String> {
    found
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// Listings filter by the access rules in SQL, and page there: for random rule sets over a
/// project tree (objects in projects, in none, and in a project deleted under its rules), every
/// kind's listing holds exactly the objects the evaluator lets each caller read, in the order an
/// unpaged listing has, and its pages put together are that listing.
async fn listings_hold_exactly_what_the_evaluator_lets_a_caller_read(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let cy = w.person("cy@example.com", Role::Member, "Research").await;
    let vision = w.group("Vision", std::slice::from_ref(&w.bob.id)).await;
    let mut objects: Vec<(Kind, String)> = Vec::new();
    let mut projects = Vec::new();
    for path in ["A", "A/B", "A/B/C", "D", "Gone"] {
        let id = s
            .catalog
            .create_project(&w.admin, &fields(json!({ "name": path })))
            .await
            .unwrap();
        projects.push(id.clone());
        objects.push((Kind::Project, id));
    }
    for (i, project) in projects.iter().map(Some).chain([None, None]).enumerate() {
        let mut with = json!({ "name": format!("obj {i}"), "type": "training" });
        if let Some(p) = project {
            with["project"] = json!(p);
        }
        for _ in 0..2 {
            let t = s
                .catalog
                .create_task(&w.admin, &fields(with.clone()))
                .await
                .unwrap();
            objects.push((Kind::Task, t));
        }
        let mut model = with.clone();
        model["uri"] = json!("file:///m.bin");
        let m = s
            .catalog
            .create_model(&w.admin, &fields(model))
            .await
            .unwrap();
        objects.push((Kind::Model, m));
        let v = s
            .catalog
            .create_dataview(&w.admin, &fields(with.clone()))
            .await
            .unwrap();
        objects.push((Kind::Dataview, v));
    }
    for q in ["q1", "q2", "q3"] {
        let id = s
            .catalog
            .create_queue(&w.admin, &fields(json!({ "name": q })))
            .await
            .unwrap();
        objects.push((Kind::Queue, id));
    }
    // A rule on "Gone", then "Gone" deleted: what was left inside keeps its project id.
    let gone = projects[4].clone();
    s.access_rules
        .create(
            &w.proof(),
            &rule_for(Kind::Project, &gone, Level::Read, &[&cy.id]),
        )
        .await
        .unwrap();
    let left: Vec<String> = objects
        .iter()
        .filter(|(k, _)| *k == Kind::Dataview)
        .map(|(_, id)| id.clone())
        .collect();
    s.catalog
        .delete_project(&w.admin, &gone, true, false)
        .await
        .unwrap();
    objects.retain(|(k, id)| *k != Kind::Project || *id != gone);
    {
        // An object whose project was never known, inserted as a document (as after a restore).
        let mut conn = w.db.pool.acquire().await.unwrap();
        atrium_server::store::catalog::insert(
            &mut conn,
            &w.admin.workspace_id,
            Kind::Task,
            &json!({"id": "orphan-task", "name": "orphan", "project": "never-was", "created": "2026-01-01T00:00:00.000+00:00", "system_tags": []}),
            0,
        )
        .await
        .unwrap();
        objects.push((Kind::Task, "orphan-task".into()));
    }
    let subjects = [
        (SubjectKind::User, w.bob.id.clone()),
        (SubjectKind::User, cy.id.clone()),
        (SubjectKind::Group, vision.clone()),
    ];
    let kinds = [
        Kind::Project,
        Kind::Task,
        Kind::Model,
        Kind::Dataview,
        Kind::Queue,
    ];
    let callers = [w.member.clone(), identity_of(&cy)];
    let mut rng = Lcg(11);
    let mut compared = 0;
    for round in 0..24 {
        let mut made = Vec::new();
        for _ in 0..1 + rng.below(5) {
            let kind = kinds[rng.below(kinds.len())];
            let on: Vec<&String> = objects
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, id)| id)
                .filter(|id| *id != "orphan-task")
                .collect();
            let object = if rng.below(4) == 0 {
                None
            } else {
                Some(on[rng.below(on.len())].clone())
            };
            let mut chosen = Vec::new();
            for (kind, id) in &subjects {
                if rng.below(2) == 0 {
                    chosen.push(SubjectRef {
                        kind: *kind,
                        id: id.clone(),
                    });
                }
            }
            let rule = RuleInput {
                resource: kind,
                object,
                permission: if rng.below(2) == 0 {
                    Level::Read
                } else {
                    Level::Modify
                },
                subjects: chosen,
            };
            made.push(s.access_rules.create(&w.proof(), &rule).await.unwrap());
        }
        for who in &callers {
            let mut conn = w.db.pool.acquire().await.unwrap();
            let viewer = Viewer::of(&s.core, &mut conn, who).await.unwrap();
            let paths = viewer
                .paths_to_reach(&mut conn, &who.workspace_id)
                .await
                .unwrap();
            for kind in kinds {
                let all = atrium_server::store::catalog::list(
                    &mut conn,
                    &who.workspace_id,
                    kind,
                    None,
                    None,
                )
                .await
                .unwrap();
                let listed = listing(s, who, kind, Map::new()).await;
                let mut expected: Vec<&serde_json::Value> = all
                    .iter()
                    .filter(|d| {
                        viewer.level_of(kind, d) >= Level::Read
                            || (kind == Kind::Project && paths.contains(d["id"].as_str().unwrap()))
                    })
                    .collect();
                expected.sort_by_key(|d| {
                    (
                        d["created"].as_str().unwrap_or("").to_string(),
                        d["id"].as_str().unwrap().to_string(),
                    )
                });
                let expected: Vec<String> = expected
                    .iter()
                    .map(|d| d["id"].as_str().unwrap().to_string())
                    .collect();
                assert_eq!(
                    ids(&listed),
                    expected,
                    "round {round}: {} of {} as {}",
                    kind.as_str(),
                    all.len(),
                    who.user_name
                );
                // The same listing a page of two at a time: no short page, nothing twice.
                let mut paged = Vec::new();
                for page in 0.. {
                    let params = fields(json!({ "page": page, "page_size": 2 }));
                    let found = listing(s, who, kind, params).await;
                    let n = found.len();
                    paged.extend(ids(&found));
                    if n < 2 {
                        break;
                    }
                }
                assert_eq!(paged, expected, "round {round}: pages of {}", kind.as_str());
                compared += all.len();
            }
        }
        for id in made {
            s.access_rules.delete(&w.proof(), &id).await.unwrap();
        }
    }
    assert!(compared > 1_000, "{compared} objects compared");
    assert!(!left.is_empty());
}

/// A listing scope's lists as one connection keeps them: more scopes than a connection keeps, one
/// after the other on the same connection, then the first again (its lists were let go, and are
/// written again), each listing exactly what its scope shows; and a listing inside a write
/// transaction that is rolled back leaves the scope usable.
async fn listing_scopes_on_one_connection_hold_their_own_lists(db: Db) {
    use atrium_server::store::catalog::{Listing, ScopeFilter, Visible, listing};
    let w = Workspace::new(db).await;
    let s = &w.services;
    let pg = s.core.db.kind == atrium_server::db::Kind::Postgres;
    let mut projects = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let p = s
            .catalog
            .create_project(&w.admin, &fields(json!({ "name": format!("P{i}") })))
            .await
            .unwrap();
        let t = s
            .catalog
            .create_task(
                &w.admin,
                &fields(json!({"name": format!("t{i}"), "type": "training", "project": p})),
            )
            .await
            .unwrap();
        projects.push(p);
        tasks.push(t);
    }
    // Scope i shows the tasks of project i and, by a rule of its own, task (i + 1) % 12.
    let filters: Vec<ScopeFilter> = (0..12)
        .map(|i| {
            let mut scope = app::domain::access_rules::Scope {
                granted: vec![projects[i].clone()],
                objects: vec![tasks[(i + 1) % 12].clone()],
                known: projects.clone(),
                ..Default::default()
            };
            scope.known.sort();
            ScopeFilter::new(scope, pg)
        })
        .collect();
    let mut conn = w.db.pool.acquire().await.unwrap();
    let ws = w.admin.workspace_id.clone();
    for i in (0..12).chain([0, 1, 11, 0]) {
        let mut expected = vec![tasks[i].clone(), tasks[(i + 1) % 12].clone()];
        expected.sort();
        let narrow = Listing {
            visible: Visible::Scope(&filters[i]),
            ..Listing::default()
        };
        let mut found: Vec<String> = listing(&mut conn, &ws, Kind::Task, &narrow)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect();
        found.sort();
        assert_eq!(found, expected, "scope {i}");
    }
    drop(conn);
    // In a transaction that is rolled back, with a scope the connection has not held yet.
    let fresh = ScopeFilter::new(filters[5].scope.clone(), pg);
    let narrow = Listing {
        visible: Visible::Scope(&fresh),
        ..Listing::default()
    };
    let mut tx = s.core.db.begin_write().await.unwrap();
    assert_eq!(
        listing(&mut tx, &ws, Kind::Task, &narrow)
            .await
            .unwrap()
            .len(),
        2
    );
    tx.rollback().await.unwrap();
    let mut conn = w.db.pool.acquire().await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            listing(&mut conn, &ws, Kind::Task, &narrow)
                .await
                .unwrap()
                .len(),
            2
        );
    }
}

/// Sixteen clients at once: twelve listings of a member whose rules show one project's tasks, and
/// four project creations that each clear the cached rules (so listings in flight write new
/// scopes' lists on their connections). Every listing holds exactly the member's tasks.
async fn sixteen_listings_and_changes_at_once_each_list_exactly_what_the_rules_show(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let mut tasks = Vec::new();
    let mut projects = Vec::new();
    for name in ["Open to Bob", "Closed"] {
        let p = s
            .catalog
            .create_project(&w.admin, &fields(json!({ "name": name })))
            .await
            .unwrap();
        for i in 0..3 {
            let with = json!({"name": format!("{name} {i}"), "type": "training", "project": p});
            tasks.push((
                projects.len(),
                s.catalog
                    .create_task(&w.admin, &fields(with))
                    .await
                    .unwrap(),
            ));
        }
        projects.push(p);
    }
    for (project, who) in [(0, &w.bob.id), (1, &w.admin.user_id)] {
        s.access_rules
            .create(
                &w.proof(),
                &rule_for(Kind::Project, &projects[project], Level::Read, &[who]),
            )
            .await
            .unwrap();
    }
    let mut expected: Vec<String> = tasks
        .iter()
        .filter(|(p, _)| *p == 0)
        .map(|(_, t)| t.clone())
        .collect();
    expected.sort();
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (s, member, admin) = (w.services.clone(), w.member.clone(), w.admin.clone());
            tokio::spawn(async move {
                if i % 4 == 3 {
                    let name = json!({ "name": format!("Made meanwhile {i}") });
                    s.catalog
                        .create_project(&admin, &fields(name))
                        .await
                        .map(|_| None)
                } else {
                    let params = fields(json!({ "page": 0, "page_size": 500 }));
                    s.catalog.tasks(&member, &params).await.map(|found| {
                        let mut ids = ids(&found.into_values());
                        ids.sort();
                        Some(ids)
                    })
                }
            })
        })
        .collect();
    let mut listed = 0;
    for h in handles {
        if let Some(found) = h.await.unwrap().unwrap() {
            assert_eq!(found, expected);
            listed += 1;
        }
    }
    assert_eq!(listed, 12);
}

crate::on_both_databases!(
    sixteen_listings_and_changes_at_once_each_list_exactly_what_the_rules_show,
    listing_scopes_on_one_connection_hold_their_own_lists,
    sixteen_edits_of_one_rule_at_once_leave_one_whole_edit,
    a_member_who_leaves_loses_exactly_their_grants,
    listings_hold_exactly_what_the_evaluator_lets_a_caller_read,
);

#[tokio::test]
async fn a_rule_change_reaches_another_replica_at_once_on_postgres() {
    crate::common::with_postgres(a_rule_change_reaches_another_replica_at_once).await
}
