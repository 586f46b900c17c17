//! Access rules through the API (administrators of the workspace): list, create, edit and delete
//! rules, and explain who can reach an object or what a person can reach.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::access_rules::{Explanation, RuleInput, RuleView};
use app::domain::AppError;
use app::domain::catalog::Kind;

use super::registry::{Ctx, Deleted, Endpoint, IdParam, NoParams, Updated, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "access_rules.get_all",
        summary: "the workspace's access rules with their objects' and subjects' names",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_all(NoParams) -> AllRules,
    },
    endpoint! {
        name: "access_rules.create",
        summary: "a rule: `resource` (project, task, model, dataview, dataset, queue), `object` (an id; absent: all), `permission` (`read` or `modify`), `subjects` (a list of `{kind, id}`, kind `user`, `service_account` or `group`)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: create(RuleInput) -> Created,
    },
    endpoint! {
        name: "access_rules.update",
        summary: "replace what a rule (`id`) says: `resource`, `object`, `permission`, `subjects`",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: update(UpdateParams) -> Updated,
    },
    endpoint! {
        name: "access_rules.delete",
        summary: "delete a rule (`id`): what it granted goes, and the object it covered opens again unless other rules cover it",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: delete(IdParam) -> Deleted,
    },
    endpoint! {
        name: "access_rules.explain",
        summary: "who can read or modify an object (`resource`, `object`) and why, or what a member or service account (`user`) can reach and why",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: explain(ExplainParams) -> Explanation,
    },
];

#[derive(Serialize, JsonSchema)]
pub struct AllRules {
    pub rules: Vec<RuleView>,
}

async fn get_all(ctx: Ctx, _: NoParams) -> Result<AllRules, AppError> {
    let rules = ctx
        .services()
        .access_rules
        .list(&ctx.who()?.admin("see access rules")?)
        .await?;
    Ok(AllRules { rules })
}

#[derive(Serialize, JsonSchema)]
pub struct Created {
    pub id: String,
}

async fn create(ctx: Ctx, p: RuleInput) -> Result<Created, AppError> {
    let id = ctx
        .services()
        .access_rules
        .create(&ctx.who()?.admin("write access rules")?, &p)
        .await?;
    Ok(Created { id })
}

#[derive(Deserialize, JsonSchema)]
pub struct UpdateParams {
    pub id: String,
    #[serde(flatten)]
    pub rule: RuleInput,
}

async fn update(ctx: Ctx, p: UpdateParams) -> Result<Updated, AppError> {
    ctx.services()
        .access_rules
        .update(&ctx.who()?.admin("write access rules")?, &p.id, &p.rule)
        .await?;
    Ok(Updated { updated: 1 })
}

async fn delete(ctx: Ctx, p: IdParam) -> Result<Deleted, AppError> {
    ctx.services()
        .access_rules
        .delete(&ctx.who()?.admin("write access rules")?, &p.id)
        .await?;
    Ok(Deleted { deleted: 1 })
}

#[derive(Deserialize, JsonSchema)]
pub struct ExplainParams {
    /// With `object`: the object's kind.
    #[schemars(with = "Option<String>")]
    pub resource: Option<Kind>,
    pub object: Option<String>,
    /// A member's or service account's user id.
    pub user: Option<String>,
    /// For a person: at most this many objects of each kind (default 1,000).
    pub limit: Option<usize>,
}

async fn explain(ctx: Ctx, p: ExplainParams) -> Result<Explanation, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("explain access")?;
    let service = &ctx.services().access_rules;
    match (p.resource, p.object, p.user) {
        (Some(kind), Some(object), None) => service.explain_object(&admin, kind, &object).await,
        (None, None, Some(user)) => {
            service
                .explain_person(&admin, &user, p.limit.unwrap_or(1_000).min(10_000))
                .await
        }
        _ => Err(AppError::validation(
            "object",
            "Name either an object (`resource` and `object`) or a person (`user`).",
        )),
    }
}
