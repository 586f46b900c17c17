//! The catalog over HTTP with key pairs, as the SDK and clearml-agent call it: each endpoint's
//! refusals with ClearML's status and subcode (clearml-server's `errors.conf`), JSON-lines event
//! batches, other workspaces, impersonating tokens, and browser sessions that cannot change
//! catalog objects with GET or from another site.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::router::subcode;
use crate::common::site::{Api, Console, on_sqlite};

/// `name` called by Max, the member, with a JSON body.
async fn member(w: &Api, name: &str, body: Value) -> (StatusCode, Value) {
    w.call(&w.member.basic, name, body).await
}

/// Max's call of `name` that must succeed; its `data`.
async fn ok(w: &Api, name: &str, body: Value) -> Value {
    let (s, v) = member(w, name, body).await;
    assert_eq!(s, 200, "{name}: {v}");
    v["data"].clone()
}

/// Asserts a 400 with ClearML's `subcode`.
#[track_caller]
fn refused(answer: (StatusCode, Value), code: u64) {
    let (s, v) = answer;
    assert_eq!((s, subcode(&v)), (StatusCode::BAD_REQUEST, code), "{v}");
}

async fn new_task(w: &Api) -> String {
    let d = ok(w, "tasks.create", json!({"name": "t", "type": "training"})).await;
    d["id"].as_str().unwrap().to_string()
}

/// A queue Ada, the administrator, made (members may not create queues).
async fn new_queue(w: &Api, name: &str) -> String {
    let (s, d) = w
        .call(&w.admin.basic, "queues.create", json!({"name": name}))
        .await;
    assert_eq!(s, 200, "{d}");
    d["data"]["id"].as_str().unwrap().to_string()
}

/// A task that went through `moves` (`tasks.started`, …).
async fn task_after(w: &Api, moves: &[&str]) -> String {
    let t = new_task(w).await;
    for m in moves {
        ok(w, m, json!({"task": t})).await;
    }
    t
}

/// One object of each kind Max made, with the `get_by_id` call, parameter and "invalid id" code.
async fn one_of_each(w: &Api) -> Vec<(&'static str, &'static str, String, u64)> {
    let project = ok(w, "projects.create", json!({"name": "p"})).await["id"].clone();
    let model = ok(w, "models.create", json!({"name": "m", "uri": "s3://b/m"})).await["id"].clone();
    let text = |v: Value| v.as_str().unwrap().to_string();
    vec![
        ("tasks.get_by_id", "task", new_task(w).await, 101),
        ("projects.get_by_id", "project", text(project), 401),
        ("models.get_by_id", "model", text(model), 201),
        ("queues.get_by_id", "queue", new_queue(w, "q").await, 701),
    ]
}

#[tokio::test]
async fn an_unknown_id_answers_its_kinds_invalid_id() {
    on_sqlite(async |w: Api| {
        for (name, param, _, code) in one_of_each(&w).await {
            refused(member(&w, name, json!({param: "nosuchid"})).await, code);
        }
    })
    .await
}

#[tokio::test]
async fn another_workspaces_key_gets_the_invalid_id_refusals() {
    on_sqlite(async |w: Api| {
        for (name, param, id, code) in one_of_each(&w).await {
            let answer = w.call(&w.outsider.basic, name, json!({param: id})).await;
            refused(answer, code);
        }
    })
    .await
}

#[tokio::test]
async fn another_workspaces_key_cannot_enqueue_or_delete_a_task() {
    on_sqlite(async |w: Api| {
        let t = new_task(&w).await;
        let oz = &w.outsider.basic;
        refused(
            w.call(oz, "tasks.delete", json!({"task": t, "force": true}))
                .await,
            101,
        );
        refused(
            w.call(oz, "tasks.enqueue", json!({"task": t, "queue_name": "q"}))
                .await,
            101,
        );
        assert_eq!(
            ok(&w, "tasks.get_by_id", json!({"task": t})).await["task"]["status"],
            "created"
        );
    })
    .await
}

#[tokio::test]
async fn a_bad_regular_expression_in_a_name_filter_is_refused() {
    on_sqlite(async |w: Api| {
        refused(member(&w, "tasks.get_all", json!({"name": "(["})).await, 21);
    })
    .await
}

#[tokio::test]
async fn a_missing_required_parameter_is_a_validation_error_naming_it() {
    on_sqlite(async |w: Api| {
        let (s, v) = member(&w, "tasks.get_by_id", json!({})).await;
        refused((s, v.clone()), 12);
        let msg = v["meta"]["result_msg"].as_str().unwrap();
        assert!(msg.contains("task"), "{msg}");
    })
    .await
}

#[tokio::test]
async fn enqueueing_a_completed_task_is_an_invalid_task_status() {
    on_sqlite(async |w: Api| {
        let t = task_after(&w, &["tasks.started", "tasks.completed"]).await;
        let q = new_queue(&w, "q").await;
        refused(
            member(&w, "tasks.enqueue", json!({"task": t, "queue": q})).await,
            110,
        );
    })
    .await
}

#[tokio::test]
async fn deleting_a_running_task_without_force_is_refused() {
    on_sqlite(async |w: Api| {
        let t = task_after(&w, &["tasks.started"]).await;
        refused(member(&w, "tasks.delete", json!({"task": t})).await, 123);
    })
    .await
}

#[tokio::test]
async fn deleting_a_queue_holding_tasks_is_refused() {
    on_sqlite(async |w: Api| {
        let q = new_queue(&w, "q").await;
        let t = new_task(&w).await;
        ok(&w, "tasks.enqueue", json!({"task": t, "queue": q})).await;
        refused(
            w.call(&w.admin.basic, "queues.delete", json!({"queue": q}))
                .await,
            702,
        );
    })
    .await
}

#[tokio::test]
async fn without_a_default_queue_get_default_is_refused() {
    on_sqlite(async |w: Api| {
        new_queue(&w, "not the default").await;
        refused(member(&w, "queues.get_default", json!({})).await, 707);
    })
    .await
}

#[tokio::test]
async fn an_unregistered_worker_cannot_report_its_status() {
    on_sqlite(async |w: Api| {
        let answer = member(&w, "workers.status_report", json!({"worker": "ghost"})).await;
        refused(answer, 1004);
    })
    .await
}

/// `events.add_batch` with a JSON-lines body, as the SDK sends it.
async fn add_batch(w: &Api, lines: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri("/events.add_batch")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::AUTHORIZATION, &w.member.basic)
        .header(header::CONTENT_TYPE, "application/json-lines")
        .body(Body::from(lines.to_string()))
        .unwrap();
    let (s, _, bytes) = w.app.send(req).await;
    (s, serde_json::from_slice(&bytes).unwrap())
}

fn log_line(task: &str, n: u32) -> String {
    json!({"task": task, "type": "log", "msg": format!("line {n}")}).to_string()
}

#[tokio::test]
async fn an_event_batch_takes_one_event_a_line() {
    on_sqlite(async |w: Api| {
        let t = new_task(&w).await;
        let body = format!("{}\n{}\n", log_line(&t, 1), log_line(&t, 2));
        let (s, v) = add_batch(&w, &body).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            (v["data"]["added"].as_u64(), v["data"]["errors"].as_u64()),
            (Some(2), Some(0))
        );
        let kept = ok(&w, "events.get_task_events", json!({"task": t})).await;
        assert_eq!(kept["total"], 2);
    })
    .await
}

#[tokio::test]
async fn an_event_batch_line_that_is_not_json_is_refused() {
    on_sqlite(async |w: Api| {
        let t = new_task(&w).await;
        let body = format!("{}\nnot json\n", log_line(&t, 1));
        refused(add_batch(&w, &body).await, 18);
        let kept = ok(&w, "events.get_task_events", json!({"task": t})).await;
        assert_eq!(kept["total"], 0, "nothing of the batch was kept");
    })
    .await
}

#[tokio::test]
async fn an_impersonating_token_works_with_the_catalog_as_the_person() {
    on_sqlite(async |w: Api| {
        let max = w.user_id(&w.member.basic).await;
        let token = w.impersonating(&max).await;
        let (s, v) = w
            .call(
                &token,
                "tasks.create",
                json!({"name": "t", "type": "training"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let id = v["data"]["id"].as_str().unwrap();
        let task = ok(&w, "tasks.get_by_id", json!({"task": id})).await;
        assert_eq!(
            task["task"]["user"],
            max.as_str(),
            "made as the person impersonated"
        );
        let (s, v) = w.call(&token, "tasks.started", json!({"task": id})).await;
        assert_eq!(s, 200, "{v}");
    })
    .await
}

/// The projects Max's browser session sees.
async fn projects_seen(w: &Console) -> usize {
    let (s, v) = w
        .app
        .api("POST", "/projects.get_all", Some(&w.member), Some("{}"))
        .await;
    assert_eq!(s, 200, "{v}");
    v["data"]["projects"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_browser_session_cannot_change_the_catalog_with_get() {
    on_sqlite(async |w: Console| {
        let body = r#"{"name": "by get"}"#;
        let (s, _) = w
            .app
            .api("GET", "/projects.create", Some(&w.member), Some(body))
            .await;
        assert_eq!(s, 403);
        assert_eq!(projects_seen(&w).await, 0);
    })
    .await
}

/// Max's browser creates a project with a POST from `origin`; the status.
async fn create_project_from(w: &Console, origin: &str) -> StatusCode {
    let req = Request::builder()
        .method("POST")
        .uri("/projects.create")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::COOKIE, &w.member)
        .header(header::ORIGIN, origin)
        .body(Body::from(r#"{"name": "from a browser"}"#))
        .unwrap();
    w.app.send(req).await.0
}

#[tokio::test]
async fn a_browser_session_cannot_change_the_catalog_from_another_site() {
    on_sqlite(async |w: Console| {
        assert_eq!(create_project_from(&w, "http://evil.example").await, 403);
        assert_eq!(projects_seen(&w).await, 0);
        assert_eq!(create_project_from(&w, "http://127.0.0.1:3000").await, 200);
        assert_eq!(projects_seen(&w).await, 1, "the same site may");
    })
    .await
}

#[tokio::test]
async fn a_dataset_lists_its_published_versions_unless_asked_for_all() {
    on_sqlite(async |w: Api| {
        let ds = ok(&w, "datasets.create", json!({"name": "scenes"})).await["id"].clone();
        let v1 = ok(
            &w,
            "datasets.create_version",
            json!({"dataset": ds, "name": "v1"}),
        )
        .await["id"]
            .clone();
        ok(
            &w,
            "datasets.create_version",
            json!({"dataset": ds, "name": "v2", "parent": v1}),
        )
        .await;
        ok(&w, "datasets.publish_version", json!({"version": v1})).await;
        let names = |d: Value| -> Vec<String> {
            d["versions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names(ok(&w, "datasets.get_versions", json!({"dataset": ds})).await),
            ["v1"]
        );
        // The newest version is a draft: the first page of one published version is not empty.
        let first = ok(
            &w,
            "datasets.get_versions",
            json!({"dataset": ds, "page": 0, "page_size": 1}),
        )
        .await;
        assert_eq!(names(first), ["v1"]);
        let all = ok(
            &w,
            "datasets.get_versions",
            json!({"dataset": ds, "only_published": false}),
        )
        .await;
        assert_eq!(names(all), ["v2", "v1"]);
        let got = ok(&w, "datasets.get_by_id", json!({"dataset": ds})).await;
        assert_eq!(got["dataset"]["version_count"], 2);
        assert_eq!(got["dataset"]["head_version"]["name"], "v2");
    })
    .await
}

#[tokio::test]
async fn a_published_version_changes_or_goes_only_with_force() {
    on_sqlite(async |w: Api| {
        let ds = ok(&w, "datasets.create", json!({"name": "scenes"})).await["id"].clone();
        let v1 = ok(
            &w,
            "datasets.create_version",
            json!({"dataset": ds, "name": "v1"}),
        )
        .await["id"]
            .clone();
        ok(&w, "datasets.publish_version", json!({"version": v1})).await;
        refused(
            member(
                &w,
                "datasets.update_version",
                json!({"version": v1, "name": "x"}),
            )
            .await,
            12,
        );
        refused(
            member(&w, "datasets.delete_version", json!({"version": v1})).await,
            12,
        );
        refused(
            member(&w, "datasets.delete", json!({"dataset": ds})).await,
            12,
        );
        let d = ok(
            &w,
            "datasets.delete",
            json!({"dataset": ds, "delete_all_versions": true, "force": true}),
        )
        .await;
        assert_eq!(d["deleted_versions"], json!([v1]));
        refused(
            member(&w, "datasets.get_by_id", json!({"dataset": ds})).await,
            10,
        );
    })
    .await
}

#[tokio::test]
async fn a_dataset_name_is_unique_and_a_dataview_names_existing_versions() {
    on_sqlite(async |w: Api| {
        let ds = ok(&w, "datasets.create", json!({"name": "scenes"})).await["id"].clone();
        refused(
            member(&w, "datasets.create", json!({"name": "scenes"})).await,
            801,
        );
        refused(
            member(
                &w,
                "dataviews.create",
                json!({"name": "v", "versions": [{"dataset": ds, "version": "nosuch"}]}),
            )
            .await,
            10,
        );
        let dv = ok(
            &w,
            "dataviews.create",
            json!({"name": "v", "versions": [{"dataset": ds}]}),
        )
        .await["id"]
            .clone();
        ok(&w, "dataviews.archive_many", json!({"ids": [dv]})).await;
        assert_eq!(
            ok(&w, "dataviews.get_all", json!({})).await["dataviews"],
            json!([])
        );
        let archived = ok(
            &w,
            "dataviews.get_all",
            json!({"system_tags": ["archived"]}),
        )
        .await;
        assert_eq!(archived["dataviews"][0]["id"], dv);
        let moved = ok(
            &w,
            "dataviews.move",
            json!({"ids": [dv], "project_name": "views/train"}),
        )
        .await;
        let project = ok(&w, "projects.get_all", json!({"name": "^views/train$"})).await;
        assert_eq!(moved["project_id"], project["projects"][0]["id"]);
    })
    .await
}

#[tokio::test]
async fn another_workspace_cannot_see_a_dataset() {
    on_sqlite(async |w: Api| {
        let ds = ok(&w, "datasets.create", json!({"name": "scenes"})).await["id"].clone();
        refused(
            w.call(
                &w.outsider.basic,
                "datasets.get_by_id",
                json!({"dataset": ds}),
            )
            .await,
            10,
        );
        let theirs = w
            .call(&w.outsider.basic, "datasets.get_all", json!({}))
            .await;
        assert_eq!(theirs.1["data"]["datasets"], json!([]));
    })
    .await
}

#[tokio::test]
async fn a_worker_keeps_its_runtime_properties_and_cluster_report() {
    on_sqlite(async |w: Api| {
        refused(member(&w, "workers.get_runtime_properties", json!({"worker": "box:0"})).await, 1004);
        ok(&w, "workers.register", json!({"worker": "box:0"})).await;
        ok(&w, "workers.set_runtime_properties",
            json!({"worker": "box:0", "runtime_properties": [{"key": "available_gpus", "value": "0,1"}]})).await;
        let props = ok(&w, "workers.get_runtime_properties", json!({"worker": "box:0"})).await;
        assert_eq!(props["runtime_properties"], json!([{"key": "available_gpus", "value": "0,1"}]));
        ok(&w, "workers.cluster_report",
            json!({"worker": "box:0", "key": "rack-1", "resource_groups": ["gpu"], "properties": {"max_gpus": 2}})).await;
        let all = ok(&w, "workers.get_all", json!({})).await;
        assert_eq!(all["workers"][0]["cluster_report"]["properties"]["max_gpus"], 2);
        ok(&w, "workers.cluster_unregister", json!({"key": "rack-1"})).await;
        let all = ok(&w, "workers.get_all", json!({})).await;
        assert!(all["workers"][0].get("cluster_report").is_none(), "{all}");
    })
    .await
}
