//! Settings → Access Rules: who may read or change which project, task, model, dataview, dataset
//! or queue, and why (the explainer).

use serde::{Deserialize, Serialize};

use crate::domain::access_rules::{Because, Level, SubjectKind};
use crate::domain::catalog::Kind;

/// A subject of a rule as shown: its kind, id and name (a person's or service account's name, a
/// group's name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SubjectView {
    #[cfg_attr(feature = "ssr", schemars(with = "String"))]
    pub kind: SubjectKind,
    pub id: String,
    pub name: String,
}

/// A rule as the page and `access_rules.get_all` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct RuleView {
    pub id: String,
    /// `project`, `task`, `model`, `dataview`, `dataset` or `queue`.
    #[cfg_attr(feature = "ssr", schemars(with = "String"))]
    pub resource: Kind,
    /// The object's id; absent: every object of the kind.
    pub object: Option<String>,
    /// The object's name (its project path for a project); absent for a rule on the whole kind
    /// or when the object was deleted.
    pub object_name: Option<String>,
    /// `read` or `modify`.
    #[cfg_attr(feature = "ssr", schemars(with = "String"))]
    pub permission: Level,
    pub subjects: Vec<SubjectView>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A subject named in a new or edited rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SubjectRef {
    #[cfg_attr(feature = "ssr", schemars(with = "String"))]
    pub kind: SubjectKind,
    pub id: String,
}

/// What a new or edited rule says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct RuleInput {
    #[cfg_attr(feature = "ssr", schemars(with = "String"))]
    pub resource: Kind,
    #[serde(default)]
    pub object: Option<String>,
    #[cfg_attr(feature = "ssr", schemars(with = "String"))]
    pub permission: Level,
    #[serde(default)]
    pub subjects: Vec<SubjectRef>,
}

/// One subject's access to one object, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Reach {
    /// Who (for an object's explanation) or what (for a person's).
    pub kind: String,
    pub id: String,
    pub name: String,
    #[cfg_attr(feature = "ssr", schemars(with = "String"))]
    pub level: Level,
    /// `admin`, `no_rule` or `rules` with the granting rules' ids and permissions.
    #[cfg_attr(feature = "ssr", schemars(with = "serde_json::Value"))]
    pub because: Because,
}

/// The explainer's answer: for an object, everyone's access to it; for a person, their access to
/// every object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Explanation {
    /// The rules covering the object (for an object's explanation).
    pub covering: Vec<String>,
    pub reach: Vec<Reach>,
}
