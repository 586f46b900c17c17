//! The catalog through ClearML's API: projects, tasks, models, queues, workers and task events,
//! with ClearML's names, fields and error codes, for the real SDK and clearml-agent. Every endpoint
//! declares the object it acts on (type, id parameter, read or modify) for the access rules, and
//! allows impersonating tokens: clearml-agent runs a task as the task's owner.

pub mod datasets;
pub mod dataviews;
pub mod events;
pub mod models;
pub mod projects;
pub mod queues;
pub mod tasks;
pub mod workers;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The request as it came: ClearML's query parameters and the fields an object is made of.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Raw(pub Map<String, Value>);

/// A list the API answers with under one name (`tasks`, `projects`, …) is built by each module.
/// The answer of a call that changed one object's fields.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UpdatedFields {
    pub updated: u32,
    pub fields: Map<String, Value>,
}

/// The answer that carries the id of what was made.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    pub id: String,
}

/// An empty answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Empty {}

/// A flag that may arrive as a boolean or as text from a query string.
pub fn flag(raw: &Map<String, Value>, key: &str) -> bool {
    match raw.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        _ => false,
    }
}

/// A required id parameter, named in the error when missing.
pub fn id_param<'a>(
    raw: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a str, app::domain::AppError> {
    raw.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| app::domain::AppError::validation(key, format!("`{key}` is required")))
}

/// Ids given as one text or a list.
pub fn ids(raw: &Map<String, Value>, key: &str) -> Vec<String> {
    match raw.get(key) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => vec![],
    }
}

/// The fields of the request without the given parameters.
pub fn without(raw: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    raw.iter()
        .filter(|(k, _)| !keys.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
