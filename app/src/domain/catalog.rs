//! The ClearML objects the settings govern — projects, tasks, models, queues, workers, datasets and
//! dataviews — as ClearML's API shapes them: each object is a JSON document with ClearML's field
//! names. This module holds their pure rules: the kinds, the task status machine, project paths, and
//! the `get_all` query language (filters, ordering, paging, field selection) in [`query`].

pub mod query;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use super::{AppError, Code};
use query::Fields;

/// The kinds of catalog objects, one table row each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Project,
    Task,
    Model,
    Queue,
    Dataset,
    /// A version of a Hyper-Dataset.
    DatasetVersion,
    Dataview,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Project,
        Kind::Task,
        Kind::Model,
        Kind::Queue,
        Kind::Dataset,
        Kind::DatasetVersion,
        Kind::Dataview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::Task => "task",
            Kind::Model => "model",
            Kind::Queue => "queue",
            Kind::Dataset => "dataset",
            Kind::DatasetVersion => "dataset_version",
            Kind::Dataview => "dataview",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The refusal for an id of this kind that names nothing visible.
    pub fn invalid_id(self) -> Code {
        match self {
            Kind::Project => Code::InvalidProjectId,
            Kind::Task => Code::InvalidTaskId,
            Kind::Model => Code::InvalidModelId,
            Kind::Queue => Code::InvalidQueueId,
            Kind::Dataset | Kind::DatasetVersion | Kind::Dataview => Code::InvalidId,
        }
    }

    /// Which fields of this kind's documents `get_all` filters how.
    pub fn fields(self) -> Fields {
        match self {
            Kind::Project => Fields {
                patterns: &["name", "basename"],
                equal: &["user", "company"],
                search: &["id", "name", "description"],
            },
            Kind::Task => Fields {
                patterns: &["name", "comment"],
                equal: &[
                    "project",
                    "status",
                    "type",
                    "user",
                    "parent",
                    "execution.queue",
                    "status_message",
                ],
                search: &["id", "name", "comment"],
            },
            Kind::Model => Fields {
                patterns: &["name", "comment"],
                equal: &[
                    "project",
                    "task",
                    "framework",
                    "ready",
                    "uri",
                    "user",
                    "parent",
                ],
                search: &["id", "name", "comment", "uri"],
            },
            Kind::Queue => Fields {
                patterns: &["name"],
                equal: &["user"],
                search: &["id", "name"],
            },
            Kind::Dataset => Fields {
                patterns: &["name"],
                equal: &["project", "user"],
                search: &["id", "name", "comment"],
            },
            Kind::DatasetVersion => Fields {
                patterns: &["name"],
                equal: &["dataset", "status", "published", "parent", "task", "user"],
                search: &["id", "name", "comment"],
            },
            Kind::Dataview => Fields {
                patterns: &["name", "description"],
                equal: &["project", "user", "status"],
                search: &["id", "name", "description"],
            },
        }
    }

    /// "invalid task id" and the like, with the id.
    pub fn not_found(self, id: &str) -> AppError {
        AppError::refused(
            self.invalid_id(),
            format!("invalid {} id: {id}", self.as_str().replace('_', " ")),
        )
    }
}

/// A task's status, as ClearML names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Created,
    Queued,
    InProgress,
    Stopped,
    Published,
    Publishing,
    Closed,
    Failed,
    Completed,
    Unknown,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 10] = [
        TaskStatus::Created,
        TaskStatus::Queued,
        TaskStatus::InProgress,
        TaskStatus::Stopped,
        TaskStatus::Published,
        TaskStatus::Publishing,
        TaskStatus::Closed,
        TaskStatus::Failed,
        TaskStatus::Completed,
        TaskStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Created => "created",
            TaskStatus::Queued => "queued",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Stopped => "stopped",
            TaskStatus::Published => "published",
            TaskStatus::Publishing => "publishing",
            TaskStatus::Closed => "closed",
            TaskStatus::Failed => "failed",
            TaskStatus::Completed => "completed",
            TaskStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The statuses a task may move to from this one (ClearML's state machine; a move to the
    /// same status is always allowed unless the action says otherwise).
    pub fn next(self) -> &'static [TaskStatus] {
        use TaskStatus::*;
        match self {
            Created => &[Queued, InProgress],
            Queued => &[Created, InProgress, Stopped],
            InProgress => &[Stopped, Failed, Created, Completed],
            Stopped => &[
                Closed, Created, Failed, Queued, InProgress, Published, Publishing, Completed,
            ],
            Closed => &[Created, Failed, Published, Publishing, Stopped],
            Failed => &[Created, Stopped, Published, Queued],
            Publishing => &[Published],
            Published | Unknown => &[],
            Completed => &[Published, InProgress, Created],
        }
    }

    /// Whether a task may move from `self` to `to`; `force` skips the rules, as ClearML's does.
    pub fn check_move(self, to: TaskStatus, force: bool) -> Result<(), AppError> {
        if force || self == to || self.next().contains(&to) {
            Ok(())
        } else {
            Err(AppError::refused(
                Code::InvalidTaskStatus,
                format!(
                    "Invalid status change (current_status={}, new_status={})",
                    self.as_str(),
                    to.as_str()
                ),
            ))
        }
    }
}

/// Task types ClearML knows.
pub const TASK_TYPES: [&str; 11] = [
    "training",
    "testing",
    "inference",
    "data_processing",
    "application",
    "monitor",
    "controller",
    "optimizer",
    "service",
    "qc",
    "custom",
];

/// The system tag that hides a project or task from listings unless asked for.
pub const HIDDEN: &str = "hidden";
/// The system tag of the default queue.
pub const DEFAULT_QUEUE: &str = "default";
/// The system tag of the objects `make run` creates as examples.
pub const EXAMPLE: &str = "example";
/// The system tag of archived dataviews.
pub const ARCHIVED: &str = "archived";
/// The deepest project path ClearML allows.
pub const MAX_PROJECT_DEPTH: usize = 10;

/// A project's full name (`a/b/c`) made canonical: each part trimmed, none empty.
pub fn project_path(raw: &str) -> Result<String, AppError> {
    let parts: Vec<&str> = raw.split('/').map(str::trim).collect();
    if raw.trim().is_empty() || parts.iter().any(|p| p.is_empty()) {
        return Err(AppError::refused(
            Code::InvalidProjectName,
            format!(
                "invalid project name `{raw}`: names cannot be empty, and a path's parts are separated by single slashes"
            ),
        ));
    }
    if parts.len() > MAX_PROJECT_DEPTH {
        return Err(AppError::refused(
            Code::InvalidProjectName,
            format!("project path `{raw}` is deeper than {MAX_PROJECT_DEPTH} levels"),
        ));
    }
    if raw.len() > 1024 {
        return Err(AppError::refused(
            Code::InvalidProjectName,
            "a project name is at most 1024 characters",
        ));
    }
    Ok(parts.join("/"))
}

/// The paths of a project's ancestors, nearest last: `a/b/c` → `["a", "a/b"]`.
pub fn ancestors(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').collect();
    (1..parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// The last part of a project path.
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A plain name (task, model, queue, dataset, dataview): trimmed, not empty, at most 1024 characters.
pub fn object_name(kind: Kind, field: &str, raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::validation(
            field,
            format!("a {} needs a name", kind.as_str()),
        ));
    }
    if name.chars().count() > 1024 {
        return Err(AppError::validation(
            field,
            "a name is at most 1024 characters",
        ));
    }
    Ok(name.to_string())
}

/// One document a listing found: as stored, its text handed on to the caller unparsed, or as built
/// from it (fields picked, cut down to a path).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Doc {
    Stored(Box<serde_json::value::RawValue>),
    Built(serde_json::Value),
}

impl Doc {
    /// The document as a value to read into (a stored one is parsed).
    pub fn into_value(self) -> serde_json::Value {
        match self {
            // Stored text was checked to be JSON when it was read.
            Doc::Stored(raw) => serde_json::from_str(raw.get()).unwrap_or_default(),
            Doc::Built(v) => v,
        }
    }
}

/// The documents a listing found, in its order; written out as a JSON list.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Found(pub Vec<Doc>);

impl Found {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The documents as values to read into.
    pub fn into_values(self) -> Vec<serde_json::Value> {
        self.0.into_iter().map(Doc::into_value).collect()
    }
}

impl From<Vec<serde_json::Value>> for Found {
    fn from(docs: Vec<serde_json::Value>) -> Self {
        Found(docs.into_iter().map(Doc::Built).collect())
    }
}
