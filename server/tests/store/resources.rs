//! Resource configuration through the services: two replicas on one database run the allocator at
//! once, sixteen times, and admit each task once without going over a pool's capacity or a
//! policy's limit; tasks ending at once on both replicas free exactly what they held.

use serde_json::{Map, Value, json};

use app::domain::resources::{Amount, Configuration, Link, Policy, PolicyQueue, Pool, Profile};
use atrium_server::db::Db;
use atrium_server::services::Services;
use atrium_server::services::catalog::StatusNote;
use atrium_server::services::resources::settle;

use crate::common::services_over;
use crate::common::workspace::Workspace;

fn configuration(group: &str) -> Configuration {
    let pool = |id: &str, n: i64| Pool {
        id: id.into(),
        name: id.into(),
        capacity: Amount::units(n),
        description: String::new(),
        priority: vec!["one".into()],
    };
    Configuration {
        pools: vec![pool("small", 3), pool("large", 5)],
        profiles: vec![Profile {
            id: "one".into(),
            name: "1xGPU".into(),
            allotment: Amount::units(1),
            links: vec![
                Link {
                    name: "a".into(),
                    pool: "small".into(),
                },
                Link {
                    name: "b".into(),
                    pool: "large".into(),
                },
            ],
            policy_priority: vec!["team".into()],
        }],
        policies: vec![Policy {
            id: "team".into(),
            name: "Team".into(),
            group: group.into(),
            reservation: Amount::ZERO,
            limit: Amount::units(6),
            description: String::new(),
            queues: vec![PolicyQueue {
                id: "q".into(),
                name: "team-one".into(),
                profile: "one".into(),
            }],
        }],
    }
}

/// How much each pool holds and how many tasks wait on each pool's queue, from the database.
async fn held(w: &Workspace) -> (Vec<(String, i64)>, usize) {
    let mut conn = w.conn().await;
    let jobs = atrium_server::store::resources::jobs(&mut conn, &w.admin.workspace_id)
        .await
        .unwrap();
    let mut by_pool: std::collections::BTreeMap<String, i64> = Default::default();
    for j in &jobs {
        *by_pool.entry(j.pool_id.clone()).or_default() += j.amount;
    }
    (by_pool.into_iter().collect(), jobs.len())
}

/// `n` tasks of Bob's, enqueued into `queue` in turn.
async fn queued_tasks(w: &Workspace, queue: &str, n: usize) -> Vec<String> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let mut fields = Map::new();
        fields.insert("name".into(), json!(format!("t{i}")));
        fields.insert("type".into(), json!("training"));
        let t = w
            .services
            .catalog
            .create_task(&w.member, &fields)
            .await
            .unwrap();
        w.services
            .catalog
            .enqueue(&w.member, &t, Some(queue), None, &StatusNote::default())
            .await
            .unwrap();
        tasks.push(t);
    }
    tasks
}

async fn admitted_once_by_two_replicas(db: Db) {
    let w = Workspace::new(db.clone()).await;
    let other: Services = services_over(db);
    let group = w.group("Team", std::slice::from_ref(&w.bob.id)).await;
    let r = &w.services.resources;
    let v = r.save(&w.proof(), &configuration(&group), 0).await.unwrap();
    r.provision(&w.proof(), v).await.unwrap();
    let queue = w
        .services
        .catalog
        .queue_by_name(&w.member, "team-one")
        .await
        .unwrap()
        .expect("the policy's queue");
    let tasks = queued_tasks(&w, &queue, 20).await;
    assert_eq!(
        held(&w).await.1,
        0,
        "management is off: nothing is admitted"
    );
    // Management turned on behind the services' back, so that no run has happened yet; then
    // sixteen runs at once, half on each replica.
    {
        let mut conn = w.conn().await;
        sqlx::query("UPDATE resource_configurations SET enabled = 1")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    let ws = w.admin.workspace_id.clone();
    let runs = (0..16).map(|i| {
        let core = if i % 2 == 0 {
            w.services.core.clone()
        } else {
            other.core.clone()
        };
        let ws = ws.clone();
        tokio::spawn(async move { settle(&core, &ws).await })
    });
    let mut admitted = 0;
    for run in futures_util::future::join_all(runs).await {
        admitted += run.unwrap().expect("every run succeeds");
    }
    assert_eq!(
        admitted, 6,
        "the policy's limit is 6: six admissions in all"
    );
    let (pools, jobs) = held(&w).await;
    assert_eq!(jobs, 6);
    assert_eq!(pools, vec![("large".into(), 300), ("small".into(), 300)]);
    let first: Vec<String> = tasks[..6].to_vec();
    let mut on_pools: Vec<String> = Vec::new();
    for name in ["small", "large"] {
        let q = w
            .services
            .catalog
            .queue_by_name(&w.member, name)
            .await
            .unwrap()
            .unwrap();
        let doc: Value = w.services.catalog.queue(&w.member, &q).await.unwrap();
        on_pools.extend(
            doc["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["task"].as_str().unwrap().to_string()),
        );
    }
    on_pools.sort();
    let mut expected = first.clone();
    expected.sort();
    assert_eq!(
        on_pools, expected,
        "the six oldest, each on one pool's queue once"
    );

    // The six stop at once, three through each replica: six others take their place.
    let stops = first.iter().enumerate().map(|(i, t)| {
        let s = if i % 2 == 0 {
            w.services.clone()
        } else {
            other.clone()
        };
        let who = w.member.clone();
        let t = t.clone();
        tokio::spawn(async move {
            s.catalog
                .stop(&who, &t, &StatusNote::default())
                .await
                .map(|_| ())
        })
    });
    for s in futures_util::future::join_all(stops).await {
        s.unwrap().expect("every stop succeeds");
    }
    // Each stop ran the allocator after its commit; one more pass settles any that raced.
    settle(&w.services.core, &ws).await.unwrap();
    let mut conn = w.conn().await;
    let jobs = atrium_server::store::resources::jobs(&mut conn, &ws)
        .await
        .unwrap();
    let mut running: Vec<String> = jobs.iter().map(|j| j.task_id.clone()).collect();
    running.sort();
    let mut next: Vec<String> = tasks[6..12].to_vec();
    next.sort();
    assert_eq!(running, next);
    assert_eq!(
        held(&w).await.0,
        vec![("large".into(), 300), ("small".into(), 300)]
    );
}

/// An agent that stops reporting: its registration expires, the task it ran is stopped as
/// non-responsive, what it held is freed, and the next task is admitted — by the timer's pass.
async fn a_silent_agent_frees_its_tasks_resources(db: Db) {
    let w = Workspace::new(db).await;
    let group = w.group("Team", std::slice::from_ref(&w.bob.id)).await;
    let r = &w.services.resources;
    let mut c = configuration(&group);
    c.pools.truncate(1);
    c.pools[0].capacity = Amount::units(1);
    c.profiles[0].links.truncate(1);
    let v = r.save(&w.proof(), &c, 0).await.unwrap();
    r.provision(&w.proof(), v).await.unwrap();
    r.set_enabled(&w.proof(), true).await.unwrap();
    let queue = w
        .services
        .catalog
        .queue_by_name(&w.member, "team-one")
        .await
        .unwrap()
        .unwrap();
    let tasks = queued_tasks(&w, &queue, 2).await;
    let small = w
        .services
        .catalog
        .queue_by_name(&w.member, "small")
        .await
        .unwrap()
        .unwrap();
    let next = w
        .services
        .catalog
        .next_task(&w.member, &small)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.task, tasks[0]);
    let report = atrium_server::services::catalog::WorkerReport {
        worker: "gpu-box:0".into(),
        timeout_secs: Some(60),
        queues: vec![small.clone()],
        task: None,
        tags: vec![],
    };
    w.services
        .catalog
        .register_worker(&w.member, &report)
        .await
        .unwrap();
    w.services
        .catalog
        .started(&w.member, &tasks[0], &StatusNote::default())
        .await
        .unwrap();
    let running = atrium_server::services::catalog::WorkerReport {
        task: Some(tasks[0].clone()),
        ..report
    };
    w.services
        .catalog
        .worker_report(&w.member, &running)
        .await
        .unwrap();
    // While the agent reports, the timer's pass leaves it alone.
    assert_eq!(
        atrium_server::services::resources::settle_all(&w.services.core)
            .await
            .unwrap(),
        0
    );
    assert_eq!(held(&w).await.1, 1);
    // Past its timeout the agent is gone: the task stops, and the next one takes the pool.
    w.services.core.clock.advance(61_000);
    assert_eq!(
        atrium_server::services::resources::settle_all(&w.services.core)
            .await
            .unwrap(),
        1
    );
    let t = w.services.catalog.task(&w.member, &tasks[0]).await.unwrap();
    assert_eq!(t["status"], "stopped");
    assert_eq!(t["status_reason"], "Forced stop (non-responsive)");
    let mut conn = w.conn().await;
    let jobs = atrium_server::store::resources::jobs(&mut conn, &w.admin.workspace_id)
        .await
        .unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.task_id.as_str()).collect::<Vec<_>>(),
        [tasks[1].as_str()]
    );
}

/// Sixteen editors save from the same version at once: one save lands, the fifteen others are told
/// of the conflict, and the stored configuration is the one that landed.
async fn sixteen_editors_saving_at_once_let_one_land(db: Db) {
    let w = Workspace::new(db.clone()).await;
    let other: Services = services_over(db);
    let group = w.group("Team", &[]).await;
    let runs = (0..16).map(|i| {
        let s = if i % 2 == 0 {
            w.services.clone()
        } else {
            other.clone()
        };
        let who = w.admin.clone();
        let mut c = configuration(&group);
        c.pools[0].capacity = Amount::units(i + 1);
        tokio::spawn(async move {
            let admin = who.admin("test").unwrap();
            s.resources.save(&admin, &c, 0).await.map(|_| i + 1)
        })
    });
    let mut landed = Vec::new();
    let mut conflicts = 0;
    for r in futures_util::future::join_all(runs).await {
        match r.unwrap() {
            Ok(n) => landed.push(n),
            Err(app::domain::AppError::Conflict(_)) => conflicts += 1,
            Err(e) => panic!("a save failed otherwise: {e:?}"),
        }
    }
    assert_eq!((landed.len(), conflicts), (1, 15));
    let view = w.services.resources.get(&w.proof()).await.unwrap();
    assert_eq!(view.saved_version, 1);
    assert_eq!(view.saved.pools[0].capacity, Amount::units(landed[0]));
}

crate::on_both_databases!(
    admitted_once_by_two_replicas,
    a_silent_agent_frees_its_tasks_resources,
    sixteen_editors_saving_at_once_let_one_land,
);
