//! The catalog through `CatalogService`, as the REST layer calls it: the project tree, the task
//! status machine (and two changes of one task at once), queues that hand each task to exactly one
//! taker, paging and ordering of listings, workspaces that cannot see each other's objects, the
//! bound on a task's events, and workers that expire.

use std::future::Future;

use app::domain::catalog::TaskStatus;
use app::domain::{AppError, Code, Identity, Role};
use atrium_server::db::Db;
use atrium_server::services::Services;
use atrium_server::services::catalog::{
    CatalogService, MAX_EVENTS_PER_TASK, ProjectDeleted, StatusNote, WORKER_TIMEOUT_SECS,
    WorkerReport,
};
use serde_json::{Map, Value, json};

use crate::common::identity_of;
use crate::common::workspace::Workspace;

// ---------- builders ----------

/// The fields of a request, from a JSON object.
fn fields(v: Value) -> Map<String, Value> {
    v.as_object().expect("an object").clone()
}

/// The ClearML code an operation was refused with.
#[track_caller]
fn refusal<T: std::fmt::Debug>(r: Result<T, AppError>) -> Code {
    match r {
        Err(AppError::Refused { code, .. }) => code,
        other => panic!("expected a ClearML refusal, got {other:?}"),
    }
}

fn note() -> StatusNote {
    StatusNote::default()
}

/// The workspace's catalog, with the member acting.
struct Catalog {
    w: Workspace,
}

impl Catalog {
    async fn new(db: Db) -> Self {
        Self {
            w: Workspace::new(db).await,
        }
    }

    fn svc(&self) -> &CatalogService {
        &self.w.services.catalog
    }

    fn who(&self) -> &Identity {
        &self.w.member
    }

    async fn project(&self, name: &str) -> String {
        self.svc()
            .create_project(self.who(), &fields(json!({"name": name})))
            .await
            .expect("create project")
    }

    async fn project_named(&self, name: &str) -> Option<String> {
        self.svc()
            .project_id_by_name(self.who(), name)
            .await
            .unwrap()
    }

    async fn delete_project(
        &self,
        id: &str,
        force: bool,
        contents: bool,
    ) -> Result<ProjectDeleted, AppError> {
        self.svc()
            .delete_project(self.who(), id, force, contents)
            .await
    }

    /// A `created` training task, in `project` when given.
    async fn task(&self, name: &str, project: Option<&str>) -> String {
        self.svc()
            .create_task(
                self.who(),
                &fields(json!({"name": name, "type": "training", "project": project})),
            )
            .await
            .expect("create task")
    }

    async fn queue(&self, name: &str) -> String {
        self.svc()
            .create_queue(&self.w.admin, &fields(json!({"name": name})))
            .await
            .expect("create queue")
    }

    async fn enqueue(&self, task: &str, queue: &str) -> Result<(), AppError> {
        self.svc()
            .enqueue(self.who(), task, Some(queue), None, &note())
            .await
            .map(|_| ())
    }

    /// `n` tasks queued in `queue`, in order.
    async fn queued(&self, queue: &str, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for i in 0..n {
            let t = self.task(&format!("t{i}"), None).await;
            self.enqueue(&t, queue).await.unwrap();
            ids.push(t);
        }
        ids
    }

    /// A task that has run and ended in `end`.
    async fn ended(&self, name: &str, end: TaskStatus) -> String {
        let t = self.task(name, None).await;
        self.svc().started(self.who(), &t, &note()).await.unwrap();
        self.svc()
            .ended(self.who(), &t, end, &note())
            .await
            .unwrap();
        t
    }

    async fn get(&self, task: &str) -> Value {
        self.svc().task(self.who(), task).await.unwrap()
    }

    async fn status(&self, task: &str) -> String {
        self.get(task).await["status"].as_str().unwrap().to_string()
    }

    async fn entries(&self, queue: &str) -> Vec<String> {
        self.svc().queue(self.who(), queue).await.unwrap()["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["task"].as_str().unwrap().to_string())
            .collect()
    }

    /// The names of the projects listed with these parameters.
    async fn project_names(&self, params: Value) -> Vec<String> {
        let mut names = names(
            self.svc()
                .projects(self.who(), &fields(params))
                .await
                .unwrap()
                .into_values(),
        );
        names.sort();
        names
    }

    async fn task_names(&self, params: Value) -> Vec<String> {
        names(
            self.svc()
                .tasks(self.who(), &fields(params))
                .await
                .unwrap()
                .into_values(),
        )
    }

    /// The administrator of another workspace.
    async fn outsider(&self) -> Identity {
        identity_of(
            &self
                .w
                .person("oz@example.com", Role::Admin, "Elsewhere")
                .await,
        )
    }
}

fn names(docs: Vec<Value>) -> Vec<String> {
    docs.iter()
        .map(|d| d["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Runs `n` calls at once, each on its own task of the runtime; their outcomes.
async fn at_once<T, F, Fut>(n: usize, call: F) -> Vec<Result<T, AppError>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(call(i))).collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.expect("the call ran"));
    }
    out
}

/// What a concurrent call needs: the services and who acts, owned.
fn owned(c: &Catalog) -> (Services, Identity) {
    (c.w.services.clone(), c.who().clone())
}

// ---------- the project tree ----------

async fn a_nested_project_is_created_with_its_ancestors(db: Db) {
    let c = Catalog::new(db).await;
    c.project("a/b/c").await;
    assert_eq!(
        c.project_names(json!({})).await,
        ["a", "a/b", "a/b/c"],
        "the missing ancestors were made"
    );
}

async fn a_taken_project_name_is_refused(db: Db) {
    let c = Catalog::new(db).await;
    c.project("a/b").await;
    for taken in ["a/b", "a", " a / b "] {
        let r = c
            .svc()
            .create_project(c.who(), &fields(json!({"name": taken})))
            .await;
        assert_eq!(refusal(r), Code::ExpectedUniqueData, "{taken}");
    }
}

async fn renaming_a_project_renames_its_sub_projects(db: Db) {
    let c = Catalog::new(db).await;
    c.project("a/b/c").await;
    let b = c.project_named("a/b").await.unwrap();
    c.svc()
        .update_project(c.who(), &b, &fields(json!({"name": "a/x"})))
        .await
        .unwrap();
    assert_eq!(c.project_names(json!({})).await, ["a", "a/x", "a/x/c"]);
}

async fn a_rename_that_changes_the_parent_is_refused(db: Db) {
    let c = Catalog::new(db).await;
    c.project("a/b").await;
    c.project("z").await;
    let b = c.project_named("a/b").await.unwrap();
    let r = c
        .svc()
        .update_project(c.who(), &b, &fields(json!({"name": "z/b"})))
        .await;
    assert_eq!(refusal(r), Code::InvalidProjectName);
    assert_eq!(c.project_names(json!({})).await, ["a", "a/b", "z"]);
}

async fn a_project_holding_tasks_or_models_is_deleted_only_with_force(db: Db) {
    let c = Catalog::new(db).await;
    let with_task = c.project("tasks").await;
    c.task("t", Some(&with_task)).await;
    let with_model = c.project("models").await;
    c.svc()
        .create_model(
            c.who(),
            &fields(json!({"name": "m", "uri": "s3://b/m", "project": with_model})),
        )
        .await
        .unwrap();
    let r = c.delete_project(&with_task, false, false).await;
    assert_eq!(refusal(r), Code::ProjectHasTasks);
    let r = c.delete_project(&with_model, false, false).await;
    assert_eq!(refusal(r), Code::ProjectHasModels);
    assert_eq!(c.project_names(json!({})).await, ["models", "tasks"]);
}

async fn a_forced_project_delete_leaves_its_tasks_without_a_project(db: Db) {
    let c = Catalog::new(db).await;
    let p = c.project("p").await;
    let t = c.task("t", Some(&p)).await;
    let done = c.delete_project(&p, true, false).await.unwrap();
    assert_eq!((done.deleted, done.disassociated_tasks), (1, 1));
    assert_eq!(c.get(&t).await["project"], Value::Null);
}

async fn deleting_a_project_with_its_contents_deletes_its_tasks(db: Db) {
    let c = Catalog::new(db).await;
    let p = c.project("p").await;
    let t = c.task("t", Some(&p)).await;
    let done = c.delete_project(&p, true, true).await.unwrap();
    assert_eq!(done.deleted_tasks, 1);
    assert_eq!(
        refusal(c.svc().task(c.who(), &t).await),
        Code::InvalidTaskId
    );
}

async fn sub_projects_go_with_their_parent(db: Db) {
    let c = Catalog::new(db).await;
    c.project("a/b/c").await;
    c.project("other").await;
    let a = c.project_named("a").await.unwrap();
    let done = c.delete_project(&a, false, false).await.unwrap();
    assert_eq!(done.deleted, 3);
    assert_eq!(c.project_names(json!({})).await, ["other"]);
}

async fn hidden_projects_are_listed_only_when_searched_for(db: Db) {
    let c = Catalog::new(db).await;
    c.project("shown").await;
    c.svc()
        .create_project(
            c.who(),
            &fields(json!({"name": "secret", "system_tags": ["hidden"]})),
        )
        .await
        .unwrap();
    assert_eq!(c.project_names(json!({})).await, ["shown"]);
    assert_eq!(
        c.project_names(json!({"search_hidden": true})).await,
        ["secret", "shown"]
    );
}

// ---------- task status rules ----------

async fn a_task_is_enqueued_only_from_created_stopped_or_failed(db: Db) {
    let c = Catalog::new(db).await;
    let q = c.queue("q").await;
    for end in [TaskStatus::Stopped, TaskStatus::Failed] {
        let t = c.ended(end.as_str(), end).await;
        c.enqueue(&t, &q).await.unwrap();
    }
    c.enqueue(&c.task("fresh", None).await, &q).await.unwrap();
    let done = c.ended("done", TaskStatus::Completed).await;
    assert_eq!(refusal(c.enqueue(&done, &q).await), Code::InvalidTaskStatus);
    assert_eq!(c.entries(&q).await.len(), 3);
    assert_eq!(c.status(&done).await, "completed");
}

async fn a_dequeued_task_returns_to_its_status_before(db: Db) {
    let c = Catalog::new(db).await;
    let q = c.queue("q").await;
    let stopped = c.ended("s", TaskStatus::Stopped).await;
    let fresh = c.task("c", None).await;
    for (t, before) in [(&stopped, "stopped"), (&fresh, "created")] {
        c.enqueue(t, &q).await.unwrap();
        c.svc().dequeue(c.who(), t, &note()).await.unwrap();
        assert_eq!(c.status(t).await, before);
    }
    assert!(c.entries(&q).await.is_empty());
}

async fn only_a_created_task_is_edited_without_force(db: Db) {
    let c = Catalog::new(db).await;
    let t = c.ended("t", TaskStatus::Stopped).await;
    let change = fields(json!({"comment": "new"}));
    let r = c.svc().edit_task(c.who(), &t, &change, false).await;
    assert_eq!(refusal(r), Code::InvalidTaskStatus);
    assert_eq!(c.get(&t).await["comment"], "");
    c.svc().edit_task(c.who(), &t, &change, true).await.unwrap();
    assert_eq!(c.get(&t).await["comment"], "new");
}

async fn only_a_created_task_is_deleted_without_force(db: Db) {
    let c = Catalog::new(db).await;
    let t = c.task("t", None).await;
    c.svc().started(c.who(), &t, &note()).await.unwrap();
    let r = c.svc().delete_task(c.who(), &t, false).await;
    assert_eq!(refusal(r), Code::TaskCannotBeDeleted);
    assert_eq!(c.svc().delete_task(c.who(), &t, true).await.unwrap(), 1);
    assert_eq!(
        refusal(c.svc().task(c.who(), &t).await),
        Code::InvalidTaskId
    );
}

async fn a_reset_clears_the_runs_outputs_and_leaves_the_queue(db: Db) {
    let c = Catalog::new(db).await;
    let q = c.queue("q").await;
    let t = c.task("t", None).await;
    c.svc().started(c.who(), &t, &note()).await.unwrap();
    let weights = [json!({"key": "weights", "type": "file"})];
    c.svc()
        .add_or_update_artifacts(c.who(), &t, &weights, true)
        .await
        .unwrap();
    c.svc()
        .ended(c.who(), &t, TaskStatus::Failed, &note())
        .await
        .unwrap();
    c.enqueue(&t, &q).await.unwrap();
    c.svc().reset(c.who(), &t, false).await.unwrap();
    let doc = c.get(&t).await;
    assert_eq!(doc["status"], "created");
    for gone in ["started", "completed", "enqueue_status"] {
        assert!(doc.get(gone).is_none(), "{gone}: {doc}");
    }
    assert_eq!(doc["execution"].get("artifacts"), None);
    assert_eq!(doc["execution"].get("queue"), None);
    assert!(c.entries(&q).await.is_empty());
}

/// Sixteen dequeues of one queued task at once: exactly one moves it, the others are refused.
async fn concurrent_dequeues_of_one_task_let_exactly_one_win(db: Db) {
    let c = Catalog::new(db).await;
    let q = c.queue("q").await;
    let t = c.queued(&q, 1).await.remove(0);
    let (s, who) = owned(&c);
    let outcomes = at_once(16, |_| {
        let (s, who, t) = (s.clone(), who.clone(), t.clone());
        async move { s.catalog.dequeue(&who, &t, &note()).await }
    })
    .await;
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(won, 1, "{outcomes:?}");
    for lost in outcomes.into_iter().filter(Result::is_err) {
        let code = refusal(lost);
        assert!(
            matches!(
                code,
                Code::FailedChangingTaskStatus | Code::InvalidTaskStatus
            ),
            "{code:?}"
        );
    }
    assert_eq!(c.status(&t).await, "created");
}

/// Half complete a running task and half fail it, all at once: only one of the two ends lands, and
/// every call that did not land is refused with ClearML's codes.
async fn two_different_ends_at_once_let_only_one_land(db: Db) {
    let c = Catalog::new(db).await;
    let t = c.task("t", None).await;
    c.svc().started(c.who(), &t, &note()).await.unwrap();
    let (s, who) = owned(&c);
    let ends = [TaskStatus::Completed, TaskStatus::Failed];
    let outcomes = at_once(16, |i| {
        let (s, who, t) = (s.clone(), who.clone(), t.clone());
        async move {
            let to = ends[i % 2];
            s.catalog.ended(&who, &t, to, &note()).await.map(|_| to)
        }
    })
    .await;
    let last = c.status(&t).await;
    let mut landed = 0;
    for o in outcomes {
        match o {
            Ok(to) => {
                assert_eq!(to.as_str(), last, "a change that was overwritten");
                landed += 1;
            }
            Err(e) => assert!(
                matches!(
                    refusal::<()>(Err(e)),
                    Code::FailedChangingTaskStatus | Code::InvalidTaskStatus
                ),
                "a loser refused otherwise"
            ),
        }
    }
    assert!(landed >= 1);
}

/// Pings of a running task while it is stopped: the stop is not undone by a ping that read the
/// task before it.
async fn pings_at_the_moment_of_a_stop_do_not_undo_it(db: Db) {
    let c = Catalog::new(db).await;
    let t = c.task("t", None).await;
    c.svc().started(c.who(), &t, &note()).await.unwrap();
    let (s, who) = owned(&c);
    let outcomes = at_once(16, |i| {
        let (s, who, t) = (s.clone(), who.clone(), t.clone());
        async move {
            match i {
                8 => s.catalog.stop(&who, &t, &note()).await.map(|_| ()),
                _ => s.catalog.ping(&who, &t).await,
            }
        }
    })
    .await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(c.status(&t).await, "stopped");
}

/// Sixteen artifacts reported at once, each with its own key: all are kept.
async fn concurrent_changes_of_one_task_are_all_kept(db: Db) {
    let c = Catalog::new(db).await;
    let t = c.task("t", None).await;
    let (s, who) = owned(&c);
    let outcomes = at_once(16, |i| {
        let (s, who, t) = (s.clone(), who.clone(), t.clone());
        async move {
            let a = [json!({"key": format!("a{i}"), "type": "file"})];
            s.catalog.add_or_update_artifacts(&who, &t, &a, false).await
        }
    })
    .await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let kept = c.get(&t).await["execution"]["artifacts"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(kept, 16, "no change overwritten by another");
}

// ---------- queues ----------

async fn a_queue_keeps_its_order_and_moves_tasks_to_the_front_or_back(db: Db) {
    let c = Catalog::new(db).await;
    let q = c.queue("q").await;
    let t = c.queued(&q, 3).await;
    assert_eq!(c.entries(&q).await, t);
    let last_to = async |front| {
        let s = c.svc();
        s.move_in_queue(c.who(), &q, &t[2], front).await.unwrap()
    };
    assert_eq!(last_to(true).await, 0, "its new place");
    assert_eq!(
        c.entries(&q).await,
        [t[2].clone(), t[0].clone(), t[1].clone()]
    );
    assert_eq!(last_to(false).await, 2);
    let first = c.svc().next_task(c.who(), &q).await.unwrap().unwrap();
    assert_eq!(first.task, t[0], "first in, first out");
}

/// The tasks handed out by takers of `queue`, `takers` at once until it is empty.
async fn drain(c: &Catalog, queue: &str, takers: usize) -> Vec<String> {
    let (s, who) = owned(c);
    let handed = at_once(takers, |_| {
        let (s, who, q) = (s.clone(), who.clone(), queue.to_string());
        async move {
            let mut got = Vec::new();
            while let Some(next) = s.catalog.next_task(&who, &q).await? {
                got.push(next.task);
            }
            Ok(got)
        }
    })
    .await;
    handed
        .into_iter()
        .flat_map(|r| r.expect("a taker failed"))
        .collect()
}

/// Sorted, for comparing sets of ids.
fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn concurrent_takers_get_every_task_exactly_once(db: Db) {
    let c = Catalog::new(db).await;
    let q = c.queue("q").await;
    let queued = c.queued(&q, 40).await;
    let handed = drain(&c, &q, 16).await;
    assert_eq!(sorted(handed), sorted(queued), "none twice, none lost");
    assert!(c.entries(&q).await.is_empty());
}

async fn tasks_enqueued_while_takers_run_are_each_taken_once(db: Db) {
    let c = Catalog::new(db).await;
    let q = c.queue("q").await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        tasks.push(c.task(&format!("t{i}"), None).await);
    }
    let (s, who) = owned(&c);
    let enqueuing = {
        let tasks = tasks.clone();
        let q = q.clone();
        tokio::spawn(async move {
            at_once(tasks.len(), |i| {
                let (s, who, t, q) = (s.clone(), who.clone(), tasks[i].clone(), q.clone());
                async move { s.catalog.enqueue(&who, &t, Some(&q), None, &note()).await }
            })
            .await
        })
    };
    let mut handed = drain(&c, &q, 8).await;
    for outcome in enqueuing.await.unwrap() {
        outcome.expect("an enqueue failed");
    }
    handed.extend(drain(&c, &q, 8).await);
    assert_eq!(sorted(handed), sorted(tasks), "none twice, none lost");
}

async fn a_queue_holding_tasks_is_deleted_only_with_force(db: Db) {
    let c = Catalog::new(db).await;
    let q = c.queue("q").await;
    let t = c.queued(&q, 2).await;
    let r = c.svc().delete_queue(&c.w.admin, &q, false).await;
    assert_eq!(refusal(r), Code::QueueNotEmpty);
    assert_eq!(c.svc().delete_queue(&c.w.admin, &q, true).await.unwrap(), 1);
    for t in &t {
        assert_eq!(c.status(t).await, "created");
    }
    assert_eq!(
        refusal(c.svc().queue(c.who(), &q).await),
        Code::InvalidQueueId
    );
}

async fn a_task_waits_in_one_queue_at_most(db: Db) {
    let c = Catalog::new(db).await;
    let (a, b) = (c.queue("a").await, c.queue("b").await);
    let t = c.queued(&a, 1).await.remove(0);
    let r = c.svc().add_task_to_queue(c.who(), &b, &t).await;
    assert_eq!(refusal(r), Code::InvalidTaskStatus);
    c.enqueue(&t, &b).await.unwrap();
    assert!(c.entries(&a).await.is_empty());
    assert_eq!(c.entries(&b).await, [t]);
}

// ---------- listings ----------

/// Tasks `t0` … `t{n-1}`.
async fn tasks_named(c: &Catalog, n: usize) {
    for i in 0..n {
        c.task(&format!("t{i}"), None).await;
    }
}

async fn pages_partition_a_listing(db: Db) {
    let c = Catalog::new(db).await;
    tasks_named(&c, 7).await;
    let mut seen = Vec::new();
    for page in 0..4 {
        let got = c
            .task_names(json!({"page": page, "page_size": 3, "order_by": ["name"]}))
            .await;
        assert_eq!(got.len(), [3, 3, 1, 0][page], "page {page}");
        seen.extend(got);
    }
    let all: Vec<String> = (0..7).map(|i| format!("t{i}")).collect();
    assert_eq!(seen, all);
}

async fn a_listing_is_ordered_descending_with_a_minus(db: Db) {
    let c = Catalog::new(db).await;
    tasks_named(&c, 3).await;
    assert_eq!(
        c.task_names(json!({"order_by": ["-name"]})).await,
        ["t2", "t1", "t0"]
    );
}

async fn only_fields_narrows_each_document(db: Db) {
    let c = Catalog::new(db).await;
    tasks_named(&c, 1).await;
    let docs = c
        .svc()
        .tasks(c.who(), &fields(json!({"only_fields": ["name", "status"]})))
        .await
        .unwrap()
        .into_values();
    let keys: Vec<&String> = docs[0].as_object().unwrap().keys().collect();
    assert!(
        keys.iter()
            .all(|k| ["id", "name", "status"].contains(&k.as_str())),
        "{keys:?}"
    );
    assert_eq!(docs[0]["status"], "created");
}

// ---------- workspaces ----------

async fn another_workspace_neither_sees_nor_changes_the_objects(db: Db) {
    let c = Catalog::new(db).await;
    let p = c.project("p").await;
    let q = c.queue("q").await;
    let t = c.task("t", Some(&p)).await;
    let oz = c.outsider().await;
    let s = c.svc();
    assert_eq!(refusal(s.project(&oz, &p).await), Code::InvalidProjectId);
    assert_eq!(refusal(s.queue(&oz, &q).await), Code::InvalidQueueId);
    assert_eq!(refusal(s.task(&oz, &t).await), Code::InvalidTaskId);
    let r = s.enqueue(&oz, &t, Some(&q), None, &note()).await;
    assert_eq!(
        refusal(r),
        Code::InvalidTaskId,
        "the task is looked for first"
    );
    let r = s.delete_task(&oz, &t, true).await;
    assert_eq!(refusal(r), Code::InvalidTaskId);
    let r = s.delete_project(&oz, &p, true, true).await;
    assert_eq!(refusal(r), Code::InvalidProjectId);
    assert!(s.tasks(&oz, &Map::new()).await.unwrap().is_empty());
    assert_eq!(c.status(&t).await, "created");
}

// ---------- events ----------

fn event(task: &str, n: usize) -> Value {
    json!({"task": task, "type": "log", "msg": format!("line {n}")})
}

async fn a_batch_past_the_bound_keeps_the_bound_and_counts_the_rest(db: Db) {
    let c = Catalog::new(db).await;
    let t = c.task("t", None).await;
    let bound = MAX_EVENTS_PER_TASK as usize;
    let batch: Vec<Value> = (0..bound + 5).map(|n| event(&t, n)).collect();
    let added = c.svc().add_events(c.who(), &batch).await.unwrap();
    assert_eq!((added.added as usize, added.errors), (bound, 5));
    let kept = c.svc().task_events(c.who(), &t, None).await.unwrap();
    assert_eq!(kept.len(), bound);
    let r = c.svc().add_events(c.who(), &[event(&t, 0)]).await;
    assert_eq!(
        refusal(r),
        Code::EventsNotAdded,
        "a full task keeps no more"
    );
}

async fn events_of_an_unknown_task_are_counted_as_errors(db: Db) {
    let c = Catalog::new(db).await;
    let t = c.task("t", None).await;
    let batch = [event(&t, 0), event("nosuchtask", 1), event("nosuchtask", 2)];
    let added = c.svc().add_events(c.who(), &batch).await.unwrap();
    assert_eq!((added.added, added.errors), (1, 2));
    let r = c.svc().add_events(c.who(), &batch[1..]).await;
    assert_eq!(refusal(r), Code::EventsNotAdded);
}

// ---------- workers ----------

fn worker(id: &str) -> WorkerReport {
    WorkerReport {
        worker: id.into(),
        ..WorkerReport::default()
    }
}

async fn register(c: &Catalog, id: &str) {
    c.svc().register_worker(c.who(), &worker(id)).await.unwrap();
}

async fn worker_ids(c: &Catalog) -> Vec<String> {
    c.svc()
        .workers(c.who(), None)
        .await
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect()
}

async fn a_registered_worker_reports_and_is_listed(db: Db) {
    let c = Catalog::new(db).await;
    register(&c, "gpu-1").await;
    c.svc()
        .worker_report(c.who(), &worker("gpu-1"))
        .await
        .unwrap();
    assert_eq!(worker_ids(&c).await, ["gpu-1"]);
}

async fn an_unregistered_worker_cannot_report(db: Db) {
    let c = Catalog::new(db).await;
    let r = c.svc().worker_report(c.who(), &worker("ghost")).await;
    assert_eq!(refusal(r), Code::WorkerNotRegistered);
    assert!(worker_ids(&c).await.is_empty());
}

async fn a_silent_worker_expires_after_its_timeout(db: Db) {
    let c = Catalog::new(db).await;
    register(&c, "gpu-1").await;
    c.w.services
        .core
        .clock
        .advance(WORKER_TIMEOUT_SECS * 1000 + 1);
    assert!(worker_ids(&c).await.is_empty());
    let r = c.svc().worker_report(c.who(), &worker("gpu-1")).await;
    assert_eq!(refusal(r), Code::WorkerNotRegistered);
}

async fn an_unregistered_worker_is_gone(db: Db) {
    let c = Catalog::new(db).await;
    register(&c, "gpu-1").await;
    c.svc().unregister_worker(c.who(), "gpu-1").await.unwrap();
    assert!(worker_ids(&c).await.is_empty());
    let r = c.svc().unregister_worker(c.who(), "gpu-1").await;
    assert_eq!(refusal(r), Code::WorkerNotRegistered);
}

// ---------- names taken at once, examples and preferences ----------

/// Sixteen creations of one name at once make one object; the others are ClearML's "expected
/// unique data" refusal.
async fn one_name_taken_by_sixteen_at_once_makes_one_object(db: Db) {
    let c = Catalog::new(db).await;
    for kind in ["project", "queue", "dataset"] {
        let (s, who) = owned(&c);
        let admin = c.w.admin.clone();
        let outcomes = at_once(16, |_| {
            let (s, who, admin) = (s.clone(), who.clone(), admin.clone());
            async move {
                let f = fields(json!({"name": "shared"}));
                match kind {
                    "project" => s.catalog.create_project(&who, &f).await,
                    "queue" => s.catalog.create_queue(&admin, &f).await,
                    _ => s.catalog.create_dataset(&who, &f).await,
                }
            }
        })
        .await;
        let made = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(made, 1, "{kind}: {outcomes:?}");
        for lost in outcomes.into_iter().filter(Result::is_err) {
            assert_eq!(refusal(lost), Code::ExpectedUniqueData, "{kind}");
        }
    }
}

async fn the_examples_are_listed_until_a_preference_hides_them(db: Db) {
    let c = Catalog::new(db).await;
    let mut conn = c.w.conn().await;
    let now = c.w.services.core.clock.now_ms();
    atrium_server::services::catalog::create_examples(&mut conn, c.who(), now)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(c.project_names(json!({})).await, ["Examples"]);
    let prefs = &c.w.services.preferences;
    let mut p = prefs.get(c.who()).await.unwrap();
    p.show_hidden_projects = true;
    prefs.save(c.who(), p.clone()).await.unwrap();
    assert_eq!(
        c.project_names(json!({})).await,
        [
            "Examples",
            "Examples/.datasets",
            "Examples/.datasets/Digits"
        ]
    );
    assert_eq!(
        c.project_names(json!({"search_hidden": false})).await,
        ["Examples"],
        "an explicit search_hidden wins over the preference"
    );
    p.hide_examples = true;
    prefs.save(c.who(), p).await.unwrap();
    assert!(c.project_names(json!({})).await.is_empty());
    let tasks = c.svc().tasks(c.who(), &fields(json!({}))).await.unwrap();
    assert!(tasks.is_empty(), "{tasks:?}");
    let asked = c
        .svc()
        .tasks(c.who(), &fields(json!({"system_tags": ["example"]})))
        .await
        .unwrap()
        .into_values();
    let mut names: Vec<&str> = asked.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        ["Digits", "Train a digit classifier"],
        "asking for the tag lists them anyway (the hidden dataset too: hidden ones are shown)"
    );
}

crate::on_both_databases!(
    one_name_taken_by_sixteen_at_once_makes_one_object,
    the_examples_are_listed_until_a_preference_hides_them,
    a_nested_project_is_created_with_its_ancestors,
    a_taken_project_name_is_refused,
    renaming_a_project_renames_its_sub_projects,
    a_rename_that_changes_the_parent_is_refused,
    a_project_holding_tasks_or_models_is_deleted_only_with_force,
    a_forced_project_delete_leaves_its_tasks_without_a_project,
    deleting_a_project_with_its_contents_deletes_its_tasks,
    sub_projects_go_with_their_parent,
    hidden_projects_are_listed_only_when_searched_for,
    a_task_is_enqueued_only_from_created_stopped_or_failed,
    a_dequeued_task_returns_to_its_status_before,
    only_a_created_task_is_edited_without_force,
    only_a_created_task_is_deleted_without_force,
    a_reset_clears_the_runs_outputs_and_leaves_the_queue,
    concurrent_dequeues_of_one_task_let_exactly_one_win,
    two_different_ends_at_once_let_only_one_land,
    pings_at_the_moment_of_a_stop_do_not_undo_it,
    concurrent_changes_of_one_task_are_all_kept,
    a_queue_keeps_its_order_and_moves_tasks_to_the_front_or_back,
    concurrent_takers_get_every_task_exactly_once,
    tasks_enqueued_while_takers_run_are_each_taken_once,
    a_queue_holding_tasks_is_deleted_only_with_force,
    a_task_waits_in_one_queue_at_most,
    pages_partition_a_listing,
    a_listing_is_ordered_descending_with_a_minus,
    only_fields_narrows_each_document,
    another_workspace_neither_sees_nor_changes_the_objects,
    a_batch_past_the_bound_keeps_the_bound_and_counts_the_rest,
    events_of_an_unknown_task_are_counted_as_errors,
    a_registered_worker_reports_and_is_listed,
    an_unregistered_worker_cannot_report,
    a_silent_worker_expires_after_its_timeout,
    an_unregistered_worker_is_gone,
);
