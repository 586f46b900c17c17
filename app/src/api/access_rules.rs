//! Settings → Access Rules: who may read or change which project, task, model, dataview, dataset
//! or queue, and why (the explainer).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;
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

/// An object a rule can name, as the picker offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectOption {
    pub id: String,
    /// Its name (a project's full path).
    pub name: String,
}

/// The page's data: the rules, and everyone and every group a rule can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRulesOverview {
    pub rules: Vec<RuleView>,
    pub subjects: Vec<SubjectView>,
}

#[server(prefix = "/fn/admin", endpoint = "access_rules.overview")]
pub async fn overview() -> Result<AccessRulesOverview, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            let who = caller()?.identity;
            let admin = who.admin("see access rules")?;
            let s = services()?;
            Ok(AccessRulesOverview {
                rules: s.access_rules.list(&admin).await?,
                subjects: s.access_rules.subjects(&admin).await?,
            })
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "access_rules.find_objects", input = leptos::server_fn::codec::Json)]
pub async fn find_objects(resource: Kind, text: String) -> Result<Vec<ObjectOption>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .access_rules
                .find_objects(
                    &caller()?.identity.admin("see access rules")?,
                    resource,
                    &text,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "access_rules.save", input = leptos::server_fn::codec::Json)]
pub async fn save(id: Option<String>, rule: RuleInput) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            let who = caller()?.identity;
            let admin = who.admin("write access rules")?;
            let s = services()?;
            match id {
                Some(id) => s.access_rules.update(&admin, &id, &rule).await,
                None => s.access_rules.create(&admin, &rule).await.map(|_| ()),
            }
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "access_rules.delete")]
pub async fn delete(id: String) -> Result<(), AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .access_rules
                .delete(&caller()?.identity.admin("write access rules")?, &id)
                .await
        }
        .await,
    )
}

/// What the explainer asks about: an object, or a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExplainAbout {
    Object { resource: Kind, id: String },
    Person { user: String },
}

#[server(prefix = "/fn/admin", endpoint = "access_rules.explain", input = leptos::server_fn::codec::Json)]
pub async fn explain(about: ExplainAbout) -> Result<Explanation, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            let who = caller()?.identity;
            let admin = who.admin("explain access")?;
            let s = services()?;
            match about {
                ExplainAbout::Object { resource, id } => {
                    s.access_rules.explain_object(&admin, resource, &id).await
                }
                ExplainAbout::Person { user } => {
                    s.access_rules.explain_person(&admin, &user, 1_000).await
                }
            }
        }
        .await,
    )
}
