//! Access rules over HTTP with key pairs: the rules' own endpoints, and their enforcement on every
//! catalog endpoint — an authorisation matrix generated from the registry's declarations (every
//! endpoint that names an object × anonymous, member, member with a rule, group member, service
//! account, impersonating service account, administrator, queue admin and another workspace's
//! administrator), listings without what a caller may not read, and the scenarios the README
//! explains (inheritance, siblings, paths, deleting a rule or a group).

use axum::http::StatusCode;
use serde_json::{Value, json};

use app::domain::Role;
use atrium_server::rest::registry::{self, Permission};

use crate::common::router::subcode;
use crate::common::site::{Api, Key, on_sqlite};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// The people of workspace "A" besides Ada (administrator) and Max (member), and Bob, the
/// administrator of workspace "B".
struct People {
    /// Rita: a member a rule names directly (Read Only).
    rita: Key,
    /// Gus: a member of the group "Modellers", which rules give Read & Modify.
    gus: Key,
    /// Quinn: a member of the built-in Queue admins group, named by no rule.
    quinn: Key,
    /// A service account named by no rule.
    robot: String,
    /// A token of a service account acting as Max.
    as_max: String,
    rita_id: String,
    group_id: String,
}

async fn people(w: &Api) -> People {
    let key = |(k, s): (String, String)| Key::new(k, s);
    let rita = key(w.app.key_pair("rita@example.com", Role::Member, "A").await);
    let gus = key(w.app.key_pair("gus@example.com", Role::Member, "A").await);
    let quinn = key(w.app.key_pair("quinn@example.com", Role::Member, "A").await);
    let (rita_id, gus_id, quinn_id) = (
        w.user_id(&rita.basic).await,
        w.user_id(&gus.basic).await,
        w.user_id(&quinn.basic).await,
    );
    let admin = &w.admin.basic;
    w.ok(
        admin,
        "groups.create",
        json!({"name": "Modellers", "members": [gus_id]}),
    )
    .await;
    let groups = w.ok(admin, "groups.get_all", json!({})).await["groups"].clone();
    let group = |f: &dyn Fn(&Value) -> bool| {
        groups
            .as_array()
            .unwrap()
            .iter()
            .find(|g| f(g))
            .cloned()
            .unwrap()
    };
    let group_id = id(&group(&|g| g["name"] == "Modellers"));
    let qa = group(&|g| g["builtin"] == "queue_admins");
    w.ok(
        admin,
        "groups.update",
        json!({"id": qa["id"], "name": qa["name"], "members": [quinn_id]}),
    )
    .await;
    let sa = w
        .ok(admin, "service_accounts.create", json!({"name": "robot"}))
        .await;
    let robot = crate::common::router::basic(
        sa["credentials"]["access_key"].as_str().unwrap(),
        sa["credentials"]["secret_key"].as_str().unwrap(),
    );
    let max_id = w.user_id(&w.member.basic).await;
    let as_max = w.impersonating(&max_id).await;
    People {
        rita,
        gus,
        quinn,
        robot,
        as_max,
        rita_id,
        group_id,
    }
}

/// Objects Ada made: project `Secret` with sub-project `Secret/Deep` holding a task, a model, a
/// dataset (with a version) and a dataview; a queue; and the rules: on `Secret` (flowing down to
/// everything in `Secret/Deep`) and on the queue, Read Only for Rita and Read & Modify for the
/// Modellers group.
struct World {
    top: String,
    deep: String,
    task: String,
    model: String,
    dataset: String,
    version: String,
    dataview: String,
    queue: String,
}

impl World {
    async fn new(w: &Api, p: &People, n: usize) -> World {
        let a = &w.admin.basic;
        let top = id(&w
            .ok(a, "projects.create", json!({"name": format!("Secret{n}")}))
            .await);
        let deep = id(&w
            .ok(
                a,
                "projects.create",
                json!({"name": format!("Secret{n}/Deep")}),
            )
            .await);
        let task = id(&w
            .ok(
                a,
                "tasks.create",
                json!({"name": "t", "type": "training", "project": deep}),
            )
            .await);
        let model = id(&w
            .ok(
                a,
                "models.create",
                json!({"name": "m", "uri": "s3://b/m", "project": deep}),
            )
            .await);
        let dataset = id(&w
            .ok(
                a,
                "datasets.create",
                json!({"name": format!("d{n}"), "project": deep}),
            )
            .await);
        let version = id(&w
            .ok(
                a,
                "datasets.create_version",
                json!({"dataset": dataset, "name": "v1"}),
            )
            .await);
        let dataview = id(&w
            .ok(
                a,
                "dataviews.create",
                json!({"name": "dv", "project": deep}),
            )
            .await);
        let queue = id(&w
            .ok(a, "queues.create", json!({"name": format!("q{n}")}))
            .await);
        for (resource, object) in [("project", &top), ("queue", &queue)] {
            w.ok(
                a,
                "access_rules.create",
                json!({"resource": resource, "object": object, "permission": "read",
                       "subjects": [{"kind": "user", "id": p.rita_id}]}),
            )
            .await;
            w.ok(
                a,
                "access_rules.create",
                json!({"resource": resource, "object": object, "permission": "modify",
                       "subjects": [{"kind": "group", "id": p.group_id}]}),
            )
            .await;
        }
        World {
            top,
            deep,
            task,
            model,
            dataset,
            version,
            dataview,
            queue,
        }
    }

    /// The id an endpoint's id parameter takes, and the "invalid id" subcode of what it names.
    fn named(&self, kind: &str, param: &str) -> (String, u64) {
        match (kind, param) {
            ("dataset", "version") => (self.version.clone(), 10),
            ("task", _) => (self.task.clone(), 101),
            ("project", _) => (self.deep.clone(), 401),
            ("model", _) => (self.model.clone(), 201),
            ("queue", _) => (self.queue.clone(), 701),
            ("dataset", _) => (self.dataset.clone(), 10),
            ("dataview", _) => (self.dataview.clone(), 10),
            other => panic!("no object for {other:?}"),
        }
    }
}

/// Whether an answer is a refusal by the access rules: 401, 403, or the named kind's "invalid id".
fn refused_by_access(answer: &(StatusCode, Value), invalid: u64) -> bool {
    let (s, v) = answer;
    *s == StatusCode::UNAUTHORIZED
        || *s == StatusCode::FORBIDDEN
        || (*s == StatusCode::BAD_REQUEST && subcode(v) == invalid)
}

#[tokio::test]
async fn every_endpoint_naming_an_object_answers_each_kind_of_caller_as_the_rules_say() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let mut checked = 0;
        for (n, e) in registry::all().iter().enumerate() {
            let Some(r) = e.resource else { continue };
            if r.id_param.is_empty() || (r.id_param == "project" && r.kind != "project") {
                continue;
            }
            let world = World::new(&w, &p, n * 3).await;
            let (object, invalid) = world.named(r.kind, r.id_param);
            let list_param = ["tasks", "ids"].contains(&r.id_param);
            let body = if list_param {
                json!({r.id_param: [object]})
            } else {
                json!({r.id_param: object})
            };
            let what = format!("{} with {body}", e.name);
            let anonymous = w
                .app
                .api(
                    "POST",
                    &format!("/{}", e.name),
                    None,
                    Some(&body.to_string()),
                )
                .await;
            assert_eq!(anonymous.0, StatusCode::UNAUTHORIZED, "anonymous: {what}");
            // Nobody a rule names: the object answers exactly as a missing one does.
            let missing = if list_param {
                json!({r.id_param: ["nosuchid"]})
            } else {
                json!({r.id_param: "nosuchid"})
            };
            for (who, auth) in [
                ("member", &w.member.basic),
                ("service account", &p.robot),
                ("impersonating service account", &p.as_max),
                ("queue admin", &p.quinn.basic),
                ("another workspace's administrator", &w.outsider.basic),
            ] {
                let a = w.call(auth, e.name, body.clone()).await;
                let m = w.call(auth, e.name, missing.clone()).await;
                assert_eq!(
                    (a.0, subcode(&a.1)),
                    (m.0, subcode(&m.1)),
                    "{who}: {what}: {} against a missing object's {}",
                    a.1,
                    m.1
                );
                let data = a.1["data"].to_string().replace(&object, "nosuchid");
                assert_eq!(data, m.1["data"].to_string(), "{who}: {what}");
                if who != "another workspace's administrator" {
                    assert_eq!(
                        (a.0, subcode(&a.1)),
                        (StatusCode::BAD_REQUEST, invalid),
                        "{who}: {what}: {}",
                        a.1
                    );
                }
            }
            // Read Only: reads pass, changes are 403/21.
            let a = w.call(&p.rita.basic, e.name, body.clone()).await;
            match r.permission {
                Permission::Read => assert!(
                    !refused_by_access(&a, invalid),
                    "member with a rule: {what}: {}",
                    a.1
                ),
                Permission::Modify => assert_eq!(
                    (a.0, subcode(&a.1)),
                    (StatusCode::FORBIDDEN, 21),
                    "member with a rule: {what}: {}",
                    a.1
                ),
            }
            // Read & Modify through a group, and the administrator: each on objects of their own,
            // since a change may delete what it names.
            for (i, (who, auth)) in [
                ("group member", &p.gus.basic),
                ("administrator", &w.admin.basic),
            ]
            .into_iter()
            .enumerate()
            {
                let world = World::new(&w, &p, n * 3 + 1 + i).await;
                let (object, invalid) = world.named(r.kind, r.id_param);
                let body = if list_param {
                    json!({r.id_param: [object]})
                } else {
                    json!({r.id_param: object})
                };
                let a = w.call(auth, e.name, body).await;
                if e.name == "queues.delete" && who == "group member" {
                    // Modify on a queue does not make a Queue admin.
                    assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 20), "{what}");
                    continue;
                }
                assert!(!refused_by_access(&a, invalid), "{who}: {what}: {}", a.1);
            }
            checked += 1;
        }
        assert!(checked >= 60, "only {checked} endpoints name an object");
    })
    .await
}

#[tokio::test]
async fn creating_inside_a_project_needs_modify_on_it_and_queues_need_a_queue_admin() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let world = World::new(&w, &p, 0).await;
        let mut checked = 0;
        for e in registry::all() {
            let Some(r) = e.resource else { continue };
            if r.id_param != "project" || r.kind == "project" {
                continue;
            }
            let body = json!({"project": world.deep, "name": format!("new-{}", e.name), "type": "training", "uri": "s3://b/x"});
            for auth in [&w.member.basic, &p.robot, &p.as_max, &p.quinn.basic] {
                let a = w.call(auth, e.name, body.clone()).await;
                assert_eq!((a.0, subcode(&a.1)), (StatusCode::BAD_REQUEST, 401), "{}: {}", e.name, a.1);
            }
            let a = w.call(&p.rita.basic, e.name, body.clone()).await;
            assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 21), "{}: {}", e.name, a.1);
            for (n, auth) in [&p.gus.basic, &w.admin.basic].into_iter().enumerate() {
                let mut body = body.clone();
                body["name"] = json!(format!("new-{}-{n}", e.name));
                let a = w.call(auth, e.name, body).await;
                assert_eq!(a.0, StatusCode::OK, "{}: {}", e.name, a.1);
            }
            checked += 1;
        }
        assert_eq!(checked, 4, "tasks, models, datasets and dataviews are made inside projects");
        // A sub-project is a change to the project it goes into.
        let sub = |n: &str| json!({"name": format!("Secret0/Deep/{n}")});
        let a = w.call(&w.member.basic, "projects.create", sub("max")).await;
        assert_eq!((a.0, subcode(&a.1)), (StatusCode::BAD_REQUEST, 401), "{}", a.1);
        let a = w.call(&p.rita.basic, "projects.create", sub("rita")).await;
        assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 21), "{}", a.1);
        w.ok(&p.gus.basic, "projects.create", sub("gus")).await;
        w.ok(&w.member.basic, "projects.create", json!({"name": "Elsewhere/max"})).await;
        // Only Queue admins and administrators create, rename and delete queues.
        for auth in [&w.member.basic, &p.rita.basic, &p.gus.basic, &p.robot] {
            let a = w.call(auth, "queues.create", json!({"name": "nope"})).await;
            assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 20), "{}", a.1);
        }
        let q = id(&w.ok(&p.quinn.basic, "queues.create", json!({"name": "quinns"})).await);
        w.ok(&w.admin.basic, "queues.create", json!({"name": "adas"})).await;
        let a = w.call(&w.member.basic, "queues.update", json!({"queue": q, "name": "renamed"})).await;
        assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 20), "{}", a.1);
        w.ok(&w.member.basic, "queues.update", json!({"queue": q, "tags": ["gpu"]})).await;
        w.ok(&p.quinn.basic, "queues.update", json!({"queue": q, "name": "renamed"})).await;
        let a = w.call(&w.member.basic, "queues.delete", json!({"queue": q})).await;
        assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 20), "{}", a.1);
        w.ok(&p.quinn.basic, "queues.delete", json!({"queue": q})).await;
    })
    .await
}

/// Whether a listing's answer mentions an id.
fn mentions(v: &Value, id: &str) -> bool {
    v.to_string().contains(id)
}

#[tokio::test]
async fn listings_leave_out_what_the_caller_may_not_read_and_count_only_the_rest() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let world = World::new(&w, &p, 0).await;
        // An open task beside the rules, which everyone sees.
        let open = id(&w
            .ok(
                &w.admin.basic,
                "tasks.create",
                json!({"name": "open", "type": "training"}),
            )
            .await);
        let objects = [
            &world.top,
            &world.deep,
            &world.task,
            &world.model,
            &world.dataset,
            &world.dataview,
            &world.queue,
        ];
        let listings: Vec<&str> = registry::all()
            .iter()
            .filter(|e| {
                e.resource
                    .is_some_and(|r| r.id_param.is_empty() && r.permission == Permission::Read)
                    && (e.name.ends_with(".get_all") || e.name.ends_with(".get_all_ex"))
            })
            .map(|e| e.name)
            .collect();
        assert_eq!(listings.len(), 9, "{listings:?}");
        let body = json!({"include_stats": true});
        for (who, auth, sees) in [
            ("member", &w.member.basic, false),
            ("service account", &p.robot, false),
            ("impersonating service account", &p.as_max, false),
            ("queue admin", &p.quinn.basic, false),
            ("member with a rule", &p.rita.basic, true),
            ("group member", &p.gus.basic, true),
            ("administrator", &w.admin.basic, true),
        ] {
            let mut seen = String::new();
            for name in &listings {
                seen.push_str(&w.ok(auth, name, body.clone()).await.to_string());
            }
            let seen: Value = Value::String(seen);
            for o in objects {
                assert_eq!(mentions(&seen, o), sees, "{who} and {o}");
            }
            assert!(mentions(&seen, &open), "{who} sees the open task");
        }
        // The default queue is one the caller may read.
        w.ok(
            &w.admin.basic,
            "queues.update",
            json!({"queue": world.queue, "system_tags": ["default"]}),
        )
        .await;
        let a = w
            .call(&w.member.basic, "queues.get_default", json!({}))
            .await;
        assert_eq!(
            (a.0, subcode(&a.1)),
            (StatusCode::BAD_REQUEST, 707),
            "{}",
            a.1
        );
        let d = w.ok(&p.rita.basic, "queues.get_default", json!({})).await;
        assert_eq!(d["id"], json!(world.queue));
        // A dataset by name answers as a missing one.
        let a = w
            .call(
                &w.member.basic,
                "datasets.get_by_name",
                json!({"dataset": "d0"}),
            )
            .await;
        assert_eq!(
            (a.0, subcode(&a.1)),
            (StatusCode::BAD_REQUEST, 10),
            "{}",
            a.1
        );
        w.ok(
            &p.rita.basic,
            "datasets.get_by_name",
            json!({"dataset": "d0"}),
        )
        .await;
    })
    .await
}

#[tokio::test]
async fn a_grant_on_one_task_shows_the_path_to_it_and_nothing_of_its_siblings() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let world = World::new(&w, &p, 0).await;
        let a = &w.admin.basic;
        let sibling = id(&w
            .ok(
                a,
                "tasks.create",
                json!({"name": "sibling", "type": "training", "project": world.deep}),
            )
            .await);
        let max_id = w.user_id(&w.member.basic).await;
        w.ok(
            a,
            "access_rules.create",
            json!({"resource": "task", "object": world.task, "permission": "modify",
                   "subjects": [{"kind": "user", "id": max_id}]}),
        )
        .await;
        let m = &w.member.basic;
        w.ok(
            m,
            "tasks.edit",
            json!({"task": world.task, "comment": "mine now"}),
        )
        .await;
        let a2 = w.call(m, "tasks.get_by_id", json!({"task": sibling})).await;
        assert_eq!(
            (a2.0, subcode(&a2.1)),
            (StatusCode::BAD_REQUEST, 101),
            "{}",
            a2.1
        );
        let tasks = w
            .ok(m, "tasks.get_all", json!({"project": [world.deep]}))
            .await;
        let ids: Vec<&str> = tasks["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [world.task.as_str()]);
        // The projects on the way show their names, nothing else.
        let projects = w
            .ok(m, "projects.get_all_ex", json!({"include_stats": true}))
            .await["projects"]
            .clone();
        let listed = |list: &serde_json::Value, id: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|d| d["id"] == json!(id))
                .cloned()
        };
        let deep = listed(&projects, &world.deep).expect("the path shows");
        assert_eq!(deep["name"], "Secret0/Deep");
        assert!(deep.get("description").is_none(), "{deep}");
        assert_eq!(
            deep["stats"]["active"]["total_tasks"], 1,
            "only the granted task counts: {deep}"
        );
        assert!(listed(&projects, &world.top).is_some());
        // The plain listing, which hands on the documents it may show whole as they are stored,
        // cuts the one on the way the same.
        let plain = w.ok(m, "projects.get_all", json!({})).await["projects"].clone();
        let deep = listed(&plain, &world.deep).expect("the path shows");
        assert_eq!(deep["name"], "Secret0/Deep");
        assert!(
            deep.as_object()
                .unwrap()
                .keys()
                .all(|k| ["id", "name", "basename", "company", "parent"].contains(&k.as_str())),
            "{deep}"
        );
        let a3 = w
            .call(
                m,
                "projects.update",
                json!({"project": world.deep, "description": "x"}),
            )
            .await;
        assert_eq!(
            (a3.0, subcode(&a3.1)),
            (StatusCode::BAD_REQUEST, 401),
            "{}",
            a3.1
        );
    })
    .await
}

#[tokio::test]
async fn deleting_a_rule_or_a_group_takes_away_exactly_what_it_granted_at_once() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let world = World::new(&w, &p, 0).await;
        let a = &w.admin.basic;
        let get = |auth: String| {
            let (w, task) = (&w, world.task.clone());
            async move {
                w.call(&auth, "tasks.get_by_id", json!({"task": task}))
                    .await
                    .0
            }
        };
        assert_eq!(get(p.gus.basic.clone()).await, StatusCode::OK);
        assert_eq!(get(w.member.basic.clone()).await, StatusCode::BAD_REQUEST);
        // Without the Modellers group, Gus loses what it gave him; Rita keeps her grant.
        w.ok(a, "groups.delete", json!({"id": p.group_id})).await;
        assert_eq!(get(p.gus.basic.clone()).await, StatusCode::BAD_REQUEST);
        assert_eq!(get(p.rita.basic.clone()).await, StatusCode::OK);
        let rules = w.ok(a, "access_rules.get_all", json!({})).await["rules"].clone();
        assert_eq!(
            rules.as_array().unwrap().len(),
            4,
            "the rules stay: {rules}"
        );
        // Deleting the project rules opens the project to every member again.
        for r in rules.as_array().unwrap() {
            if r["resource"] == "project" {
                w.ok(a, "access_rules.delete", json!({"id": r["id"]})).await;
            }
        }
        assert_eq!(get(w.member.basic.clone()).await, StatusCode::OK);
        assert_eq!(get(p.gus.basic.clone()).await, StatusCode::OK);
        w.ok(
            &w.member.basic,
            "tasks.edit",
            json!({"task": world.task, "comment": "open again"}),
        )
        .await;
        // The queue rules still hold.
        let q = w
            .call(
                &w.member.basic,
                "queues.get_by_id",
                json!({"queue": world.queue}),
            )
            .await;
        assert_eq!((q.0, subcode(&q.1)), (StatusCode::BAD_REQUEST, 701));
        // Audited.
        let audit = w
            .ok(a, "audit.get_all", json!({"object_type": "access_rule"}))
            .await;
        assert!(audit.to_string().contains("access_rule.delete"), "{audit}");
    })
    .await
}

#[tokio::test]
async fn enqueueing_and_taking_work_need_modify_on_the_queue() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let world = World::new(&w, &p, 0).await;
        // Rita reads the queue and the task, but may not enqueue or take work.
        let a = w
            .call(
                &p.rita.basic,
                "queues.get_next_task",
                json!({"queue": world.queue}),
            )
            .await;
        assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 21), "{}", a.1);
        let a = w
            .call(
                &p.rita.basic,
                "tasks.enqueue",
                json!({"task": world.task, "queue": world.queue}),
            )
            .await;
        assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 21), "{}", a.1);
        // Gus enqueues his group's task; the task's Modify alone would not do on a closed queue.
        w.ok(
            &p.gus.basic,
            "tasks.enqueue",
            json!({"task": world.task, "queue": world.queue}),
        )
        .await;
        let open = id(&w
            .ok(
                &w.member.basic,
                "tasks.create",
                json!({"name": "open", "type": "training"}),
            )
            .await);
        let a = w
            .call(
                &w.member.basic,
                "tasks.enqueue",
                json!({"task": open, "queue": world.queue}),
            )
            .await;
        assert_eq!(
            (a.0, subcode(&a.1)),
            (StatusCode::BAD_REQUEST, 701),
            "{}",
            a.1
        );
        let next = w
            .ok(
                &p.gus.basic,
                "queues.get_next_task",
                json!({"queue": world.queue}),
            )
            .await;
        assert_eq!(next["entry"]["task"], json!(world.task), "{next}");
    })
    .await
}

#[tokio::test]
async fn an_event_batch_naming_a_task_the_caller_may_not_change_is_refused_whole() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let world = World::new(&w, &p, 0).await;
        let open = id(&w
            .ok(
                &w.member.basic,
                "tasks.create",
                json!({"name": "open", "type": "training"}),
            )
            .await);
        let event = |task: &str| {
            json!({"task": task, "type": "log", "msg": "hi", "timestamp": 1, "iter": 0}).to_string()
        };
        let body = format!("{}\n{}\n", event(&open), event(&world.task));
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/events.add_batch")
            .header(axum::http::header::HOST, "127.0.0.1:3000")
            .header(axum::http::header::AUTHORIZATION, &w.member.basic)
            .header(axum::http::header::CONTENT_TYPE, "application/json-lines")
            .body(axum::body::Body::from(body))
            .unwrap();
        let (s, _, bytes) = w.app.send(req).await;
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!((s, subcode(&v)), (StatusCode::BAD_REQUEST, 101), "{v}");
        let events = w
            .ok(
                &w.member.basic,
                "events.get_task_events",
                json!({"task": open}),
            )
            .await;
        assert_eq!(
            events["total"], 0,
            "nothing of the batch was kept: {events}"
        );
    })
    .await
}

#[tokio::test]
async fn rules_are_for_administrators_and_name_only_their_workspace() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let world = World::new(&w, &p, 0).await;
        for name in ["access_rules.get_all", "access_rules.create", "access_rules.explain"] {
            let a = w.call(&w.member.basic, name, json!({})).await;
            assert_eq!((a.0, subcode(&a.1)), (StatusCode::FORBIDDEN, 20), "{name}: {}", a.1);
        }
        let a = &w.admin.basic;
        let bad = |body: Value| {
            let w = &w;
            async move { w.call(a, "access_rules.create", body).await }
        };
        let (s, v) = bad(json!({"resource": "task", "object": "nosuch", "permission": "read"})).await;
        assert_eq!(s, 400);
        assert!(v["meta"]["result_msg"].to_string().contains("object"), "{v}");
        let (s, v) = bad(json!({"resource": "worker", "permission": "read"})).await;
        assert_eq!(s, 400, "{v}");
        let (s, v) = bad(json!({"resource": "task", "permission": "none"})).await;
        assert_eq!(s, 400, "{v}");
        let bob = w.user_id(&w.outsider.basic).await;
        let (s, v) = bad(json!({"resource": "task", "permission": "read", "subjects": [{"kind": "user", "id": bob}]})).await;
        assert_eq!(s, 400);
        assert!(v["meta"]["result_msg"].to_string().contains("subjects"), "{v}");
        // A group named as a user is refused too.
        let (s, _) = bad(json!({"resource": "task", "permission": "read", "subjects": [{"kind": "user", "id": p.group_id}]})).await;
        assert_eq!(s, 400);
        // Bob cannot see, change or delete workspace A's rules, nor name its objects.
        let rules = w.ok(a, "access_rules.get_all", json!({})).await["rules"].clone();
        let rule = rules[0]["id"].clone();
        assert!(w.ok(&w.outsider.basic, "access_rules.get_all", json!({})).await["rules"].as_array().unwrap().is_empty());
        let d = w.call(&w.outsider.basic, "access_rules.delete", json!({"id": rule})).await;
        assert_eq!(d.0, 404, "{}", d.1);
        let u = w.call(&w.outsider.basic, "access_rules.update", json!({"id": rule, "resource": "task", "permission": "read"})).await;
        assert_eq!(u.0, 404, "{}", u.1);
        let c = w.call(&w.outsider.basic, "access_rules.create", json!({"resource": "task", "object": world.task, "permission": "read"})).await;
        assert_eq!(c.0, 400, "{}", c.1);
        assert_eq!(w.ok(a, "access_rules.get_all", json!({})).await["rules"].as_array().unwrap().len(), 4);
    })
    .await
}

#[tokio::test]
async fn the_explainer_says_who_reaches_an_object_and_what_a_person_reaches_and_why() {
    on_sqlite(async |w: Api| {
        let p = people(&w).await;
        let world = World::new(&w, &p, 0).await;
        let a = &w.admin.basic;
        let e = w
            .ok(
                a,
                "access_rules.explain",
                json!({"resource": "task", "object": world.task}),
            )
            .await;
        assert_eq!(e["covering"].as_array().unwrap().len(), 2, "{e}");
        let of = |name_part: &str| {
            e["reach"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"].as_str().unwrap().contains(name_part))
                .cloned()
                .unwrap_or_else(|| panic!("{name_part} in {e}"))
        };
        assert_eq!(of("rita")["level"], "read");
        assert_eq!(of("rita")["because"]["by"], "rules");
        assert_eq!(of("gus")["level"], "modify");
        assert_eq!(of("max")["level"], "none");
        assert_eq!(of("ada")["because"]["by"], "admin");
        assert_eq!(of("robot")["level"], "none");
        let open = id(&w
            .ok(
                a,
                "tasks.create",
                json!({"name": "open", "type": "training"}),
            )
            .await);
        let rita = w
            .ok(a, "access_rules.explain", json!({"user": p.rita_id}))
            .await;
        let reach = rita["reach"].as_array().unwrap();
        let on = |id: &str| {
            reach
                .iter()
                .find(|r| r["id"] == json!(id))
                .cloned()
                .unwrap()
        };
        assert_eq!(on(&world.task)["level"], "read");
        assert_eq!(on(&world.queue)["level"], "read");
        assert_eq!(on(&open)["level"], "modify");
        assert_eq!(
            on(&open)["because"]["by"],
            "no_rule",
            "an object no rule covers says so"
        );
        let (s, _) = w
            .call(a, "access_rules.explain", json!({"resource": "task"}))
            .await;
        assert_eq!(s, 400);
    })
    .await
}
