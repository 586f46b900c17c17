//! The one error type every layer speaks. Server functions, the REST API and the CLI map it to their own
//! wire form; the variants are chosen so that a client can tell what to do next (fix a field, log in,
//! ask an admin, retry later) without ever seeing database or internal error text.

use serde::{Deserialize, Serialize};

/// An error a user action can end with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Bad input: `field` names the input, `message` says what is wrong with it.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    /// No session or token, or it has expired.
    #[error("not logged in")]
    Unauthorized,
    /// Logged in, but this action is not allowed for this identity.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The object does not exist (or is not visible in this workspace).
    #[error("not found: {0}")]
    NotFound(String),
    /// The object changed since it was read.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A value that must be unique is taken: `field` names the input.
    #[error("{field}: {message}")]
    Taken { field: String, message: String },
    /// Too many attempts; try again after the given number of seconds.
    #[error("too many attempts, try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The database (or another service the server needs) cannot be reached right now; retry later.
    #[error("the service is temporarily unavailable, please retry")]
    Unavailable,
    /// Refused for a reason ClearML's API has a code of its own for (`errors.conf`): the REST API
    /// answers with that status and subcode, the console shows the message.
    #[error("{message}")]
    Refused { code: Code, message: String },
    /// Something failed on the server; the details are in the server log under this request id.
    #[error("internal error (request {request_id})")]
    Internal { request_id: String },
    /// The transport failed (network, encoding); produced on the client side.
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(what: impl Into<String>) -> Self {
        Self::Forbidden(what.into())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn refused(code: Code, message: impl Into<String>) -> Self {
        Self::Refused {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status the REST API answers this error with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Validation { .. } => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) | Self::Taken { .. } => 409,
            Self::RateLimited { .. } => 429,
            Self::Refused { code, .. } => code.status(),
            Self::Unavailable => 503,
            Self::Internal { .. } | Self::Transport(_) => 500,
        }
    }

    /// The message a person reads: for validation errors only the message, since the form shows it
    /// next to the field it names.
    pub fn user_message(&self) -> String {
        match self {
            Self::Validation { message, .. } | Self::Taken { message, .. } => message.clone(),
            Self::Unauthorized => "Your session has ended. Please log in again.".into(),
            Self::Forbidden(what) => format!("You are not allowed to {what}."),
            other => other.to_string(),
        }
    }

    /// The field a validation error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Validation { field, .. } | Self::Taken { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// The refusals of ClearML's API that Atrium answers with ClearML's own status and subcode, named as
/// clearml-server's `apierrors/errors.conf` names them.
/// On the wire (server functions) a code is its status and subcode as one number,
/// `status * 10000 + subcode`, which keeps the browser's bundle free of a decoder of names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "u32", try_from = "u32")]
pub enum Code {
    InvalidAccessKey,
    InvalidRegex,
    InvalidTaskId,
    InvalidTaskStatus,
    FailedChangingTaskStatus,
    TaskCannotBeDeleted,
    InvalidModelId,
    InvalidProjectId,
    ProjectHasTasks,
    ProjectHasModels,
    InvalidProjectName,
    InvalidQueueId,
    QueueNotEmpty,
    InvalidQueueOrTaskNotQueued,
    NoDefaultQueue,
    MultipleDefaultQueues,
    ExpectedUniqueData,
    InvalidWorkerId,
    WorkerNotRegistered,
    EventsNotAdded,
    /// An endpoint for administrators called by a member (403/20 `role_not_allowed`).
    RoleNotAllowed,
    /// A change to an object the caller may only read (403/21 `no_write_permission`).
    NoWritePermission,
    /// An object id that names nothing (the kinds without a code of their own: datasets,
    /// dataviews).
    InvalidId,
    /// An upload that would take the workspace past its storage quota (Atrium's own: 413/0).
    StorageQuotaExceeded,
}

impl Code {
    /// HTTP status and ClearML subcode.
    pub fn codes(self) -> (u16, u16) {
        match self {
            Self::InvalidRegex => (400, 21),
            Self::InvalidAccessKey => (400, 75),
            Self::InvalidTaskId => (400, 101),
            Self::InvalidTaskStatus => (400, 110),
            Self::FailedChangingTaskStatus => (400, 121),
            Self::TaskCannotBeDeleted => (400, 123),
            Self::EventsNotAdded => (400, 131),
            Self::InvalidModelId => (400, 201),
            Self::InvalidProjectId => (400, 401),
            Self::ProjectHasTasks => (400, 402),
            Self::ProjectHasModels => (400, 405),
            Self::InvalidProjectName => (400, 407),
            Self::InvalidQueueId => (400, 701),
            Self::QueueNotEmpty => (400, 702),
            Self::InvalidQueueOrTaskNotQueued => (400, 703),
            Self::NoDefaultQueue => (400, 707),
            Self::MultipleDefaultQueues => (400, 708),
            Self::ExpectedUniqueData => (400, 801),
            Self::InvalidWorkerId => (400, 1001),
            Self::WorkerNotRegistered => (400, 1004),
            Self::InvalidId => (400, 10),
            Self::RoleNotAllowed => (403, 20),
            Self::NoWritePermission => (403, 21),
            Self::StorageQuotaExceeded => (413, 0),
        }
    }

    pub fn status(self) -> u16 {
        self.codes().0
    }

    pub const ALL: [Code; 24] = [
        Code::InvalidAccessKey,
        Code::InvalidRegex,
        Code::InvalidTaskId,
        Code::InvalidTaskStatus,
        Code::FailedChangingTaskStatus,
        Code::TaskCannotBeDeleted,
        Code::InvalidModelId,
        Code::InvalidProjectId,
        Code::ProjectHasTasks,
        Code::ProjectHasModels,
        Code::InvalidProjectName,
        Code::InvalidQueueId,
        Code::QueueNotEmpty,
        Code::InvalidQueueOrTaskNotQueued,
        Code::NoDefaultQueue,
        Code::MultipleDefaultQueues,
        Code::ExpectedUniqueData,
        Code::InvalidWorkerId,
        Code::WorkerNotRegistered,
        Code::EventsNotAdded,
        Code::InvalidId,
        Code::RoleNotAllowed,
        Code::NoWritePermission,
        Code::StorageQuotaExceeded,
    ];
}

impl From<Code> for u32 {
    fn from(c: Code) -> u32 {
        let (status, subcode) = c.codes();
        u32::from(status) * 10_000 + u32::from(subcode)
    }
}

impl TryFrom<u32> for Code {
    type Error = String;

    fn try_from(n: u32) -> Result<Code, String> {
        Code::ALL
            .into_iter()
            .find(|c| u32::from(*c) == n)
            .ok_or_else(|| format!("unknown error code {n}"))
    }
}
