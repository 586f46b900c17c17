//! Resource configuration over HTTP with key pairs: the editor's Save / Validate / Provision /
//! Reset with concurrent editors, resource management on and off, the seed's worked example run
//! through policy queues, pool queues and agents' hand-outs, release on a task's end, why a task
//! is pending, and who may do what.

use serde_json::{Value, json};

use app::domain::Role;

use crate::common::router::subcode;
use crate::common::site::{Api, Key, on_postgres, on_sqlite};

/// The seed's example: pools Bare Metal and H100 (8 each), the 4xGPU profile linked to Bare
/// Metal first, and policies Dev and Research (reservation 8, limit 16; Dev above Research).
fn seed(dev_group: &str, research_group: &str) -> Value {
    let policy = |id: &str, name: &str, group: &str| {
        json!({
            "id": id, "name": name, "group": group, "reservation": 800, "limit": 1600,
            "description": "", "queues": [{"id": format!("{id}-q"), "name": format!("{id}-4x"), "profile": "4x"}]
        })
    };
    json!({
        "pools": [
            {"id": "bare", "name": "Bare Metal", "capacity": 800, "description": "", "priority": ["4x"]},
            {"id": "h100", "name": "H100", "capacity": 800, "description": "", "priority": ["4x"]}
        ],
        "profiles": [{
            "id": "4x", "name": "4xGPU", "allotment": 400,
            "links": [{"name": "first", "pool": "bare"}, {"name": "then", "pool": "h100"}],
            "policy_priority": ["dev", "research"]
        }],
        "policies": [policy("dev", "Dev", dev_group), policy("research", "Research", research_group)]
    })
}

/// Workspace A with Max in group Dev and Rita in group Research; the seed's configuration saved
/// and provisioned (management still off). Rita's key, and the queue ids by name.
async fn provisioned(w: &Api) -> (Key, Value) {
    let admin = &w.admin.basic;
    let (k, s) = w.app.key_pair("rita@example.com", Role::Member, "A").await;
    let rita = Key::new(k, s);
    let max_id = w.user_id(&w.member.basic).await;
    let rita_id = w.user_id(&rita.basic).await;
    w.ok(
        admin,
        "groups.create",
        json!({"name": "Dev", "members": [max_id]}),
    )
    .await;
    w.ok(
        admin,
        "groups.create",
        json!({"name": "Research", "members": [rita_id]}),
    )
    .await;
    let groups = w.ok(admin, "groups.get_all", json!({})).await["groups"].clone();
    let group = |name: &str| {
        groups
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .and_then(|g| g["id"].as_str())
            .unwrap()
            .to_string()
    };
    let (dev, research) = (group("Dev"), group("Research"));
    let report = save_and_provision(w, &seed(&dev, &research), 0).await;
    assert_eq!(report["queues_created"], 4, "{report}");
    assert_eq!(report["admitted"], 0);
    let queues = w.ok(admin, "queues.get_all", json!({})).await["queues"].clone();
    let by_name: serde_json::Map<String, Value> = queues
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["name"].as_str().unwrap().to_string(), q["id"].clone()))
        .collect();
    (rita, Value::Object(by_name))
}

/// Ada saves `configuration` over the saved `version` and provisions it; the provision's report.
async fn save_and_provision(w: &Api, configuration: &Value, version: i64) -> Value {
    let admin = &w.admin.basic;
    let saved = w
        .ok(
            admin,
            "resource_configuration.save",
            json!({"configuration": configuration, "version": version}),
        )
        .await;
    assert_eq!(saved["saved_version"], version + 1);
    w.ok(
        admin,
        "resource_configuration.provision",
        json!({"version": version + 1}),
    )
    .await
}

async fn task(w: &Api, auth: &str, name: &str) -> String {
    w.ok(
        auth,
        "tasks.create",
        json!({"name": name, "type": "training"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The task ids waiting in a queue, next first.
async fn entries(w: &Api, queue: &Value) -> Vec<String> {
    w.ok(&w.admin.basic, "queues.get_by_id", json!({"queue": queue}))
        .await["queue"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["task"].as_str().unwrap().to_string())
        .collect()
}

async fn reason(w: &Api, auth: &str, task: &str) -> Value {
    w.ok(auth, "tasks.get_pending_reason", json!({"task": task}))
        .await
}

async fn seed_example(w: Api) {
    let admin = w.admin.basic.clone();
    let max = w.member.basic.clone();
    let (rita, q) = provisioned(&w).await;
    let mut dev = Vec::new();
    let mut research = Vec::new();
    for i in 0..4 {
        let t = task(&w, &max, &format!("dev {i}")).await;
        w.ok(
            &max,
            "tasks.enqueue",
            json!({"task": t, "queue": q["dev-4x"]}),
        )
        .await;
        dev.push(t);
        let t = task(&w, &rita.basic, &format!("research {i}")).await;
        w.ok(
            &rita.basic,
            "tasks.enqueue",
            json!({"task": t, "queue_name": "research-4x"}),
        )
        .await;
        research.push(t);
    }
    // Management is off: everything waits, and says why.
    assert_eq!(entries(&w, &q["dev-4x"]).await, dev);
    let r = reason(&w, &max, &dev[0]).await;
    assert_eq!(r["reason"], "management_disabled", "{r}");

    let on = w
        .ok(
            &admin,
            "resource_configuration.set_enabled",
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(on["admitted"], 4);
    // Dev's first two run on Bare Metal, Research's first two on H100, two of each wait.
    assert_eq!(entries(&w, &q["Bare Metal"]).await, dev[..2].to_vec());
    assert_eq!(entries(&w, &q["H100"]).await, research[..2].to_vec());
    assert_eq!(entries(&w, &q["dev-4x"]).await, dev[2..].to_vec());
    assert_eq!(entries(&w, &q["research-4x"]).await, research[2..].to_vec());
    let r = reason(&w, &max, &dev[2]).await;
    assert_eq!(r["reason"], "pools_full", "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("Bare Metal has 0 of 8 free"),
        "{r}"
    );
    let r = reason(&w, &max, &dev[3]).await;
    assert_eq!(
        (r["reason"].as_str(), r["position"].as_i64()),
        (Some("behind_others"), Some(1))
    );
    assert_eq!(reason(&w, &max, &dev[0]).await["reason"], "admitted");
    let view = w.ok(&admin, "resource_configuration.get", json!({})).await;
    let pools = &view["usage"]["pools"];
    assert_eq!(
        (pools[0]["in_use"].as_i64(), pools[1]["in_use"].as_i64()),
        (Some(800), Some(800))
    );
    assert_eq!(view["usage"]["policies"][0]["used"], 800);
    assert_eq!(view["usage"]["profiles"][0]["queued"], 4);
    assert_eq!(view["usage"]["profiles"][0]["running"], 4);

    // An agent of Bare Metal takes Dev's first task; it fails, its 4 free, Dev's third runs.
    let next = w
        .ok(
            &admin,
            "queues.get_next_task",
            json!({"queue": q["Bare Metal"]}),
        )
        .await;
    assert_eq!(next["entry"]["task"], dev[0].as_str(), "{next}");
    w.ok(&max, "tasks.started", json!({"task": dev[0]})).await;
    assert_eq!(reason(&w, &max, &dev[2]).await["reason"], "pools_full");
    w.ok(&max, "tasks.failed", json!({"task": dev[0]})).await;
    assert_eq!(
        entries(&w, &q["Bare Metal"]).await,
        vec![dev[1].clone(), dev[2].clone()]
    );
    // Dequeuing an admitted task frees its share too.
    w.ok(&max, "tasks.dequeue", json!({"task": dev[1]})).await;
    assert_eq!(
        entries(&w, &q["Bare Metal"]).await,
        vec![dev[2].clone(), dev[3].clone()]
    );
    assert!(entries(&w, &q["dev-4x"]).await.is_empty());

    // Off again: nothing new is admitted, what waits stays.
    w.ok(
        &admin,
        "resource_configuration.set_enabled",
        json!({"enabled": false}),
    )
    .await;
    // Stopping an admitted task that no agent took frees its share too.
    w.ok(&rita.basic, "tasks.stop", json!({"task": research[0]}))
        .await;
    assert_eq!(entries(&w, &q["research-4x"]).await, research[2..].to_vec());
    let on = w
        .ok(
            &admin,
            "resource_configuration.set_enabled",
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(on["admitted"], 1);
    assert_eq!(
        entries(&w, &q["H100"]).await,
        vec![research[1].clone(), research[2].clone()]
    );
}

#[tokio::test]
async fn the_seed_example_runs_through_policy_and_pool_queues_on_sqlite() {
    on_sqlite(seed_example).await
}

#[tokio::test]
async fn the_seed_example_runs_through_policy_and_pool_queues_on_postgres() {
    on_postgres(seed_example).await
}

#[tokio::test]
async fn only_the_policys_group_enqueues_and_pool_queues_take_only_admitted_tasks() {
    on_sqlite(async |w: Api| {
        let (rita, q) = provisioned(&w).await;
        let max = w.member.basic.clone();
        let t = task(&w, &max, "t").await;
        let (s, v) = w
            .call(
                &max,
                "tasks.enqueue",
                json!({"task": t, "queue": q["research-4x"]}),
            )
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (403, 21), "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("user group"),
            "{v}"
        );
        let (s, v) = w
            .call(
                &max,
                "queues.add_task",
                json!({"task": t, "queue": q["research-4x"]}),
            )
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (403, 21), "{v}");
        // Not even an administrator puts a task on a pool's queue by hand.
        let (s, v) = w
            .call(
                &w.admin.basic,
                "tasks.enqueue",
                json!({"task": t, "queue": q["H100"]}),
            )
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (403, 21), "{v}");
        assert_eq!(
            w.ok(&max, "tasks.get_by_id", json!({"task": t})).await["task"]["status"],
            "created"
        );
        // Queues provisioning made are changed by provisioning only.
        let (s, v) = w
            .call(
                &w.admin.basic,
                "queues.delete",
                json!({"queue": q["H100"], "force": true}),
            )
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (403, 20), "{v}");
        let (s, _) = w
            .call(
                &w.admin.basic,
                "queues.update",
                json!({"queue": q["dev-4x"], "name": "x"}),
            )
            .await;
        assert_eq!(s.as_u16(), 403);
        // Members see nothing of the configuration; another workspace's administrator sees only
        // their own.
        let theirs = w
            .ok(&w.outsider.basic, "resource_configuration.get", json!({}))
            .await;
        assert_eq!(theirs["provisioned"]["pools"], json!([]));
        assert_eq!(theirs["saved_version"], 0);
        for auth in [&max, &rita.basic] {
            for name in [
                "resource_configuration.get",
                "resource_configuration.simulate",
            ] {
                let (s, _) = w.call(auth, name, json!({})).await;
                assert_eq!(s.as_u16(), 403, "{name}");
            }
            let (s, _) = w
                .call(
                    auth,
                    "resource_configuration.set_enabled",
                    json!({"enabled": true}),
                )
                .await;
            assert_eq!(s.as_u16(), 403);
        }
        // Another workspace cannot ask about this one's task.
        w.ok(
            &max,
            "tasks.enqueue",
            json!({"task": t, "queue": q["dev-4x"]}),
        )
        .await;
        let (s, v) = w
            .call(
                &w.outsider.basic,
                "tasks.get_pending_reason",
                json!({"task": t}),
            )
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (400, 101), "{v}");
    })
    .await
}

#[tokio::test]
async fn the_editor_saves_validates_provisions_and_resets_and_a_stale_editor_gets_a_conflict() {
    on_sqlite(async |w: Api| {
        let admin = w.admin.basic.clone();
        let (_, q) = provisioned(&w).await;
        let view = w.ok(&admin, "resource_configuration.get", json!({})).await;
        assert_eq!(view["saved_version"], 1);
        assert_eq!(view["unprovisioned"], false);
        let mut c = view["saved"].clone();
        let dev_group = c["policies"][0]["group"].clone();

        // Two editors start from version 1: the first save wins, the second is told.
        c["pools"][1]["capacity"] = json!(1600);
        let first = w
            .ok(
                &admin,
                "resource_configuration.save",
                json!({"configuration": c, "version": 1}),
            )
            .await;
        assert_eq!(first["saved_version"], 2);
        let (s, v) = w
            .call(
                &admin,
                "resource_configuration.save",
                json!({"configuration": c, "version": 1}),
            )
            .await;
        assert_eq!(s.as_u16(), 409, "{v}");
        let (s, _) = w
            .call(
                &admin,
                "resource_configuration.provision",
                json!({"version": 1}),
            )
            .await;
        assert_eq!(s.as_u16(), 409);
        // Saved is not applied: the page still shows 8.
        let view = w.ok(&admin, "resource_configuration.get", json!({})).await;
        assert_eq!(view["provisioned"]["pools"][1]["capacity"], 800);
        assert_eq!(view["saved"]["pools"][1]["capacity"], 1600);
        assert_eq!(view["unprovisioned"], true);
        // Reset drops it.
        let reset = w
            .ok(&admin, "resource_configuration.reset", json!({}))
            .await;
        assert_eq!(reset["saved_version"], 3);
        let view = w.ok(&admin, "resource_configuration.get", json!({})).await;
        assert_eq!(view["saved"], view["provisioned"]);

        // Bad input names its field; nothing is stored.
        let mut bad = view["saved"].clone();
        bad["profiles"][0]["links"][0]["pool"] = json!("nowhere");
        let (s, v) = w
            .call(
                &admin,
                "resource_configuration.save",
                json!({"configuration": bad, "version": 3}),
            )
            .await;
        assert_eq!(s.as_u16(), 400, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("profiles[0].links[0].pool"),
            "{v}"
        );
        let mut bad = view["saved"].clone();
        bad["policies"][0]["limit"] = json!(200);
        let (_, v) = w
            .call(
                &admin,
                "resource_configuration.validate",
                json!({"configuration": bad}),
            )
            .await;
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("cannot be chosen"),
            "{v}"
        );
        bad["policies"][1]["group"] = json!("no-such-group");
        bad["policies"][0]["limit"] = json!(1600);
        let (_, v) = w
            .call(
                &admin,
                "resource_configuration.save",
                json!({"configuration": bad, "version": 3}),
            )
            .await;
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("policies[1].group"),
            "{v}"
        );
        // Validate reports what would not work well and changes nothing.
        let mut odd = view["saved"].clone();
        odd["policies"][0]["reservation"] = json!(2000);
        odd["profiles"].as_array_mut().unwrap().push(json!({
            "id": "lonely", "name": "Lonely", "allotment": 50, "links": [], "policy_priority": []
        }));
        let found = w
            .ok(
                &admin,
                "resource_configuration.validate",
                json!({"configuration": odd}),
            )
            .await;
        let messages: Vec<&str> = found["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("Lonely is linked to no pool")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("limit (16) is below its reservation (20)")),
            "{messages:?}"
        );
        assert_eq!(
            w.ok(&admin, "resource_configuration.get", json!({})).await["saved_version"],
            3
        );

        // A queue name another queue has is refused at provision, naming the field.
        w.ok(&admin, "queues.create", json!({"name": "taken"}))
            .await;
        let mut c = view["saved"].clone();
        c["policies"][0]["queues"][0]["name"] = json!("taken");
        w.ok(
            &admin,
            "resource_configuration.save",
            json!({"configuration": c, "version": 3}),
        )
        .await;
        let (s, v) = w
            .call(
                &admin,
                "resource_configuration.provision",
                json!({"version": 4}),
            )
            .await;
        assert_eq!(s.as_u16(), 400, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("policies[0].queues[0].name"),
            "{v}"
        );

        // Provisioning a rename keeps the queue (and its tasks); removing a policy returns its
        // tasks to draft and deletes its queue.
        let max = w.member.basic.clone();
        let t = task(&w, &max, "waits").await;
        w.ok(
            &max,
            "tasks.enqueue",
            json!({"task": t, "queue": q["dev-4x"]}),
        )
        .await;
        let mut c = view["saved"].clone();
        c["policies"][0]["queues"][0]["name"] = json!("dev-four");
        c["policies"].as_array_mut().unwrap().remove(1);
        c["profiles"][0]["policy_priority"] = json!(["dev"]);
        assert_eq!(c["policies"][0]["group"], dev_group);
        let report = save_and_provision(&w, &c, 4).await;
        assert_eq!(
            (
                report["queues_created"].as_i64(),
                report["queues_deleted"].as_i64()
            ),
            (Some(0), Some(1)),
            "{report}"
        );
        let renamed = w
            .ok(&admin, "queues.get_by_id", json!({"queue": q["dev-4x"]}))
            .await["queue"]
            .clone();
        assert_eq!(renamed["name"], "dev-four");
        assert_eq!(renamed["entries"][0]["task"], t.as_str());
        let (s, v) = w
            .call(
                &admin,
                "queues.get_by_id",
                json!({"queue": q["research-4x"]}),
            )
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (400, 701));
        let audit = w
            .ok(
                &admin,
                "audit.get_all",
                json!({"object_type": "resource_configuration"}),
            )
            .await;
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            actions.contains(&"resource_configuration.provision"),
            "{audit}"
        );
    })
    .await
}

#[tokio::test]
async fn changing_a_policys_group_returns_the_tasks_of_non_members_to_draft() {
    on_sqlite(async |w: Api| {
        let admin = w.admin.basic.clone();
        let (rita, q) = provisioned(&w).await;
        let max = w.member.basic.clone();
        let t = task(&w, &max, "max's").await;
        w.ok(
            &max,
            "tasks.enqueue",
            json!({"task": t, "queue": q["dev-4x"]}),
        )
        .await;
        let view = w.ok(&admin, "resource_configuration.get", json!({})).await;
        let mut c = view["saved"].clone();
        // Dev's policy now belongs to Research's group: Max's waiting task goes back to draft.
        c["policies"][0]["group"] = c["policies"][1]["group"].clone();
        let report = save_and_provision(&w, &c, 1).await;
        assert_eq!(report["tasks_returned"], 1, "{report}");
        let doc = w.ok(&max, "tasks.get_by_id", json!({"task": t})).await["task"].clone();
        assert_eq!(doc["status"], "created");
        assert!(entries(&w, &q["dev-4x"]).await.is_empty());
        // Rita may enqueue there now.
        let r = task(&w, &rita.basic, "rita's").await;
        w.ok(
            &rita.basic,
            "tasks.enqueue",
            json!({"task": r, "queue": q["dev-4x"]}),
        )
        .await;
    })
    .await
}

/// The seed's configuration built one object at a time through `resource_pools.*`,
/// `resource_profiles.*` and `resource_policies.*`, each from the version it read; a stale one is
/// a 409 and a profile a policy's queue exposes cannot be deleted.
#[tokio::test]
async fn the_configuration_is_built_one_object_at_a_time() {
    on_sqlite(async |w: Api| {
        let admin = w.admin.basic.clone();
        let max_id = w.user_id(&w.member.basic).await;
        w.ok(&admin, "groups.create", json!({"name": "Dev", "members": [max_id]}))
            .await;
        let groups = w.ok(&admin, "groups.get_all", json!({})).await["groups"].clone();
        let dev = groups
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "Dev")
            .unwrap()["id"]
            .clone();
        let mut v = 0;
        let step = async |name: &str, body: Value, v: &mut i64| -> Value {
            let mut body = body;
            body["version"] = json!(*v);
            let out = w.ok(&admin, name, body).await;
            *v = out["saved_version"].as_i64().unwrap();
            out
        };
        let bare = step("resource_pools.create", json!({"name": "Bare Metal", "capacity": 800}), &mut v).await["id"].clone();
        let h100 = step("resource_pools.create", json!({"name": "H100", "capacity": 800}), &mut v).await["id"].clone();
        assert_eq!((bare.as_str(), h100.as_str()), (Some("pool-bare-metal"), Some("pool-h100")));
        let four = step("resource_profiles.create", json!({"name": "4xGPU", "allotment": 400}), &mut v).await["id"].clone();
        step("resource_profiles.link", json!({"id": four, "pool": h100, "name": "then"}), &mut v).await;
        step("resource_profiles.link", json!({"id": four, "pool": bare, "name": "first"}), &mut v).await;
        // Bare Metal first: the links in a new order.
        step(
            "resource_profiles.update",
            json!({"id": four, "links": [{"name": "first", "pool": bare}, {"name": "then", "pool": h100}]}),
            &mut v,
        )
        .await;
        let policy = step(
            "resource_policies.create",
            json!({"name": "Dev", "group": dev, "reservation": 800, "limit": 1600,
                   "queues": [{"name": "dev-4x", "profile": four}]}),
            &mut v,
        )
        .await["id"]
            .clone();
        let profiles = w.ok(&admin, "resource_profiles.get_all", json!({})).await;
        assert_eq!(profiles["saved_version"], v);
        let p = &profiles["profiles"][0];
        assert_eq!(p["links"][0]["pool"], bare);
        assert_eq!(p["links"][1]["name"], "then");
        assert_eq!(p["policy_priority"], json!([policy]), "a new policy joins the priority of the profiles it exposes");
        let pools = w.ok(&admin, "resource_pools.get_all", json!({})).await;
        assert_eq!(pools["pools"][0]["priority"], json!([four]));
        // A stale version is told, and changes nothing.
        let (s, answer) = w
            .call(&admin, "resource_pools.update", json!({"id": bare, "capacity": 1600, "version": v - 1}))
            .await;
        assert_eq!(s.as_u16(), 409, "{answer}");
        // The exposed profile stays; an unknown id is named.
        let (s, answer) = w
            .call(&admin, "resource_profiles.delete", json!({"id": four, "version": v}))
            .await;
        assert_eq!(s.as_u16(), 400);
        assert!(answer["meta"]["result_msg"].as_str().unwrap().contains("Policy Dev's queues expose this profile"), "{answer}");
        let (s, answer) = w
            .call(&admin, "resource_pools.delete", json!({"id": "nope", "version": v}))
            .await;
        assert_eq!(s.as_u16(), 400);
        assert!(answer["meta"]["result_msg"].as_str().unwrap().contains("No pool has the id nope"), "{answer}");
        // Members change nothing.
        let (s, _) = w
            .call(&w.member.basic, "resource_pools.create", json!({"name": "x", "capacity": 100, "version": v}))
            .await;
        assert_eq!(s.as_u16(), 403);
        // Provisioned, it runs: the queues are made.
        let report = w.ok(&admin, "resource_configuration.provision", json!({"version": v})).await;
        assert_eq!(report["queues_created"], 3, "{report}");
        step("resource_policies.delete", json!({"id": policy}), &mut v).await;
        let report = w.ok(&admin, "resource_configuration.provision", json!({"version": v})).await;
        assert_eq!(report["queues_deleted"], 1, "{report}");
        let (s, _) = w
            .call(&admin, "resource_pools.update", json!({"id": bare, "name": "Bare", "version": v}))
            .await;
        assert_eq!(s.as_u16(), 200);
    })
    .await
}
