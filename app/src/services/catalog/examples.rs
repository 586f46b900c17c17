//! The example objects a new server starts with: a project with a completed training task, the
//! model it made, a dataset (as `clearml.Dataset` makes one: a task in the project's hidden
//! `.datasets` sub-project) and the default queue. Every example but the queue carries the system
//! tag `example`, which the "Don't show examples" preference hides.

use serde_json::{Value, json};

use app::domain::catalog::{DEFAULT_QUEUE, EXAMPLE, HIDDEN, Kind};
use app::domain::{AppError, Identity};

use super::stamp;
use crate::crypto::new_id;
use crate::store::{self, Conn};

/// The examples' project.
pub const EXAMPLE_PROJECT: &str = "Examples";

fn project(who: &Identity, name: &str, system_tags: &[&str], now: i64) -> Value {
    json!({
        "id": new_id(), "name": name, "basename": name.rsplit('/').next().unwrap_or(name),
        "description": "Made with the server, to show what a project holds.",
        "user": who.user_id, "company": who.workspace_id,
        "created": stamp(now), "last_update": stamp(now),
        "tags": [], "system_tags": system_tags,
    })
}

fn task(
    who: &Identity,
    name: &str,
    kind: &str,
    project: &Value,
    system_tags: &[&str],
    now: i64,
) -> Value {
    json!({
        "id": new_id(), "name": name, "type": kind, "status": "completed",
        "status_reason": "", "status_message": "", "status_changed": stamp(now),
        "user": who.user_id, "company": who.workspace_id, "project": project["id"],
        "comment": "An example run.", "created": stamp(now), "started": stamp(now),
        "completed": stamp(now), "last_update": stamp(now), "last_change": stamp(now),
        "tags": [], "system_tags": system_tags,
        "execution": {}, "script": {}, "hyperparams": {}, "configuration": {},
        "models": {"input": [], "output": []}, "container": {}, "runtime": {}, "output": {},
        "last_iteration": 0,
    })
}

/// Creates the examples in the workspace of `who` (the first administrator, at set-up).
pub async fn create_examples(conn: &mut Conn, who: &Identity, now: i64) -> Result<(), AppError> {
    let ws = &who.workspace_id;
    let examples = project(who, EXAMPLE_PROJECT, &[EXAMPLE], now);
    let mut train = task(
        who,
        "Train a digit classifier",
        "training",
        &examples,
        &[EXAMPLE],
        now,
    );
    train["hyperparams"] = json!({"General": {
        "learning_rate": {"section": "General", "name": "learning_rate", "value": "0.01", "type": "float"},
        "epochs": {"section": "General", "name": "epochs", "value": "10", "type": "int"},
    }});
    let model = json!({
        "id": new_id(), "name": "Digit classifier", "uri": "file:///examples/digit-classifier.pt",
        "user": who.user_id, "company": who.workspace_id, "project": examples["id"], "task": train["id"],
        "framework": "PyTorch", "comment": "The example run's model.", "created": stamp(now),
        "last_update": stamp(now), "tags": [], "system_tags": [EXAMPLE], "labels": {}, "ready": true,
    });
    train["models"]["output"] = json!([{"name": "Digit classifier", "model": model["id"]}]);
    let datasets = project(
        who,
        &format!("{EXAMPLE_PROJECT}/.datasets"),
        &[HIDDEN, EXAMPLE],
        now,
    );
    let digits = project(
        who,
        &format!("{EXAMPLE_PROJECT}/.datasets/Digits"),
        &[HIDDEN, "dataset", EXAMPLE],
        now,
    );
    let mut dataset = task(
        who,
        "Digits",
        "data_processing",
        &digits,
        &["dataset", HIDDEN, EXAMPLE],
        now,
    );
    dataset["runtime"] = json!({"version": "1.0.0", "ds_file_count": 0, "ds_total_size": 0});
    let queue = json!({
        "id": new_id(), "name": "default", "user": who.user_id, "company": who.workspace_id,
        "created": stamp(now), "last_update": stamp(now), "tags": [], "system_tags": [DEFAULT_QUEUE],
        "metadata": {},
    });
    for p in [&examples, &datasets, &digits] {
        store::catalog::insert(conn, ws, Kind::Project, p, now).await?;
    }
    store::catalog::insert(conn, ws, Kind::Task, &train, now).await?;
    store::catalog::insert(conn, ws, Kind::Task, &dataset, now).await?;
    store::catalog::insert(conn, ws, Kind::Model, &model, now).await?;
    store::catalog::insert(conn, ws, Kind::Queue, &queue, now).await?;
    Ok(())
}
