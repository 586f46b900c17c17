//! Access rules: administrators write them; every catalog read and change is judged by them.
//!
//! A workspace's rules, group memberships and project tree are read into a [`WorkspaceAccess`]
//! once and kept in the read caches, which every committed settings change clears on this replica
//! and, through PostgreSQL's notification, on the others: deleting a rule or a group, or removing a
//! member, takes effect on the next call everywhere.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};

use app::api::access_rules::{
    Explanation, ObjectOption, Reach, RuleInput, RuleView, SubjectRef, SubjectView,
};
use app::domain::access_rules::{
    Because, Grants, KINDS, Level, Principal, Rule, Rules, Subject, SubjectKind, Target,
    ancestor_paths, in_projects,
};
use app::domain::audit::AuditObject;
use app::domain::catalog::Kind;
use app::domain::identity::Admin;
use app::domain::{AppError, Code, Identity, Role};

use super::Object;
use crate::state::Core;
use crate::store::catalog::{ScopeFilter, Visible};
use crate::store::{self, Conn};

/// At most this many subjects in one rule.
pub const MAX_SUBJECTS: usize = 1_000;

#[derive(Debug)]
pub struct AccessRulesService {
    pub core: Arc<Core>,
}

/// What a workspace's access checks need, read once and shared.
#[derive(Debug, Default)]
pub struct WorkspaceAccess {
    pub rules: Rules,
    /// The ids of the groups each member is in: the built-in Users group for everyone, Admins for
    /// administrators, and the stored groups.
    groups: HashMap<String, Vec<String>>,
    queue_admins: HashSet<String>,
    /// Each project with the projects above it: `[itself, parent, …, top]`.
    chains: HashMap<String, Vec<String>>,
    /// The project of each object a rule names (read with the rules: an object moved since shows
    /// the way to its old project until the next change or a minute has passed).
    object_projects: HashMap<String, String>,
    /// The listing scopes worked out so far, by caller and kind (they go with the rest).
    scopes: std::sync::Mutex<HashMap<(String, Kind), Arc<ScopeFilter>>>,
    /// The project listings' views worked out so far, by caller.
    project_views: std::sync::Mutex<HashMap<String, Arc<ProjectView>>>,
}

/// The projects a caller's project listing shows: those they read, and those on the way to
/// something they reach (which show their path only).
#[derive(Debug, Default)]
pub struct ProjectView {
    pub shown: Vec<String>,
    pub readable: HashSet<String>,
    /// `shown` written out once, when the view is kept for later listings.
    pub filter: Option<ScopeFilter>,
}

impl ProjectView {
    /// What a listing of the view keeps.
    pub fn visible(&self) -> Visible<'_> {
        match &self.filter {
            Some(filter) => Visible::Scope(filter),
            None => Visible::Ids(&self.shown),
        }
    }
}

/// At most this many listing scopes are kept per workspace; past it they are worked out again.
const MAX_SCOPES: usize = 4_096;

impl WorkspaceAccess {
    /// Whether a member or service account is in a group (built-in groups included).
    pub fn in_group(&self, user_id: &str, group_id: &str) -> bool {
        self.groups
            .get(user_id)
            .is_some_and(|g| g.iter().any(|id| id == group_id))
    }

    /// Reads a workspace's rules, memberships and project tree.
    async fn load(conn: &mut Conn, workspace_id: &str) -> Result<Self, AppError> {
        let rules = store::access_rules::list(conn, workspace_id).await?;
        let mut groups: HashMap<String, Vec<String>> = HashMap::new();
        let stored = store::groups::list(conn, workspace_id).await?;
        let builtin = |kind: &str| {
            stored
                .iter()
                .find(|g| g.builtin.as_deref() == Some(kind))
                .map(|g| g.id.clone())
        };
        let (users, admins, queue_admins_id) =
            (builtin("users"), builtin("admins"), builtin("queue_admins"));
        for m in store::workspaces::members(conn, workspace_id).await? {
            let mut ids: Vec<String> = users.iter().cloned().collect();
            if m.role == Role::Admin && m.kind != "service" {
                ids.extend(admins.iter().cloned());
            }
            groups.insert(m.user_id, ids);
        }
        let mut queue_admins = HashSet::new();
        for (group, user) in store::groups::memberships(conn, workspace_id).await? {
            if Some(&group) == queue_admins_id.as_ref() {
                queue_admins.insert(user.clone());
            }
            if let Some(ids) = groups.get_mut(&user) {
                ids.push(group);
            }
        }
        let projects = store::catalog::names(conn, workspace_id, Kind::Project).await?;
        let by_path: HashMap<&str, &str> = projects
            .iter()
            .map(|(id, name, _)| (name.as_str(), id.as_str()))
            .collect();
        let chains = projects
            .iter()
            .map(|(id, name, _)| {
                let mut chain = vec![id.clone()];
                chain.extend(
                    ancestor_paths(name).filter_map(|p| by_path.get(p).map(|s| s.to_string())),
                );
                (id.clone(), chain)
            })
            .collect();
        let object_projects = store::access_rules::object_projects(conn, workspace_id)
            .await?
            .into_iter()
            .collect();
        Ok(WorkspaceAccess {
            rules: Rules::new(rules.iter().map(|r| &r.rule)),
            groups,
            queue_admins,
            chains,
            object_projects,
            scopes: Default::default(),
            project_views: Default::default(),
        })
    }
}

/// The workspace's access state, from the cache or read now.
pub async fn workspace_access(
    core: &Core,
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Arc<WorkspaceAccess>, AppError> {
    let now = core.clock.now_ms();
    if let Some(a) = core.caches.access.get(workspace_id, now) {
        return Ok(a);
    }
    let a = Arc::new(WorkspaceAccess::load(conn, workspace_id).await?);
    core.caches
        .access
        .put(workspace_id.to_string(), a.clone(), now);
    Ok(a)
}

/// One caller's view of the catalog: who they are to the rules, and their workspace's rules.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Principal,
    pub access: Arc<WorkspaceAccess>,
    grants: Grants,
}

impl Viewer {
    /// The caller as the rules see them (an impersonating token is the member it acts as).
    pub async fn of(core: &Core, conn: &mut Conn, who: &Identity) -> Result<Viewer, AppError> {
        let access = workspace_access(core, conn, &who.workspace_id).await?;
        Ok(Viewer::with(access, who))
    }

    pub fn with(access: Arc<WorkspaceAccess>, who: &Identity) -> Viewer {
        let principal = Principal {
            user: who.user_id.clone(),
            groups: access.groups.get(&who.user_id).cloned().unwrap_or_default(),
            admin: who.role == Role::Admin,
        };
        let grants = access.rules.grants(&principal);
        Viewer {
            principal,
            access,
            grants,
        }
    }

    /// Whether nothing is closed to this caller (an administrator, or a workspace without rules).
    pub fn sees_all(&self) -> bool {
        self.principal.admin || self.access.rules.is_empty()
    }

    /// Whether the caller may create, rename and delete queues (Queue admins, and administrators).
    pub fn queue_admin(&self) -> bool {
        self.principal.admin || self.access.queue_admins.contains(&self.principal.user)
    }

    /// The caller's level on an object of `kind` with this id (none: one about to be created),
    /// inside `project` (for a project: its parent's id is not needed, the tree is known).
    pub fn level(&self, kind: Kind, id: Option<&str>, project: Option<&str>) -> Level {
        if self.sees_all() {
            return Level::Modify;
        }
        self.with_target(kind, id, project, |t| {
            self.access.rules.level_with(&self.grants, t)
        })
    }

    /// What a listing of `kind` (not projects) shows the caller, for the store to filter by, its
    /// lists written for PostgreSQL when `pg` and for SQLite otherwise.
    pub fn scope(&self, kind: Kind, pg: bool) -> Arc<ScopeFilter> {
        let key = (self.principal.user.clone(), kind);
        let kept = |m: &mut HashMap<(String, Kind), Arc<ScopeFilter>>| m.get(&key).cloned();
        if let Some(s) = self.access.scopes.lock().ok().as_deref_mut().and_then(kept) {
            return s;
        }
        let scope = self.access.rules.scope(
            &self.grants,
            kind,
            self.access.chains.values().map(Vec::as_slice),
        );
        let filter = Arc::new(ScopeFilter::new(scope, pg));
        if let Ok(mut m) = self.access.scopes.lock() {
            if m.len() >= MAX_SCOPES {
                m.clear();
            }
            m.insert(key, filter.clone());
        }
        filter
    }

    /// What the caller's project listing shows. Kept with the workspace's rules, unless a rule
    /// grants the caller a whole kind: which projects hold objects of a kind changes with every
    /// object made, and that is no settings change.
    pub async fn project_view(
        &self,
        conn: &mut Conn,
        workspace_id: &str,
    ) -> Result<Arc<ProjectView>, AppError> {
        let user = &self.principal.user;
        if let Some(v) = self
            .access
            .project_views
            .lock()
            .ok()
            .and_then(|m| m.get(user).cloned())
        {
            return Ok(v);
        }
        let paths = self.paths_to_reach(conn, workspace_id).await?;
        let readable: HashSet<String> = self.readable_projects().map(String::from).collect();
        let mut shown: Vec<String> = readable
            .iter()
            .cloned()
            .chain(paths.iter().map(|p| p.to_string()))
            .collect();
        shown.sort();
        shown.dedup();
        let whole_kinds = !self.access.rules.granted(&self.principal).1.is_empty();
        let pg = conn.backend_name() == "PostgreSQL";
        let view = Arc::new(ProjectView {
            filter: (!whole_kinds).then(|| ScopeFilter::only(shown.clone(), pg)),
            shown,
            readable,
        });
        if !whole_kinds && let Ok(mut m) = self.access.project_views.lock() {
            if m.len() >= MAX_SCOPES {
                m.clear();
            }
            m.insert(user.clone(), view.clone());
        }
        Ok(view)
    }

    /// The projects the caller reads.
    pub fn readable_projects(&self) -> impl Iterator<Item = &str> {
        self.access
            .chains
            .keys()
            .map(String::as_str)
            .filter(|p| self.level(Kind::Project, Some(p), None) >= Level::Read)
    }

    /// The caller's level on an object and the rules that give it.
    pub fn explain(&self, kind: Kind, id: Option<&str>, project: Option<&str>) -> (Level, Because) {
        self.with_target(kind, id, project, |t| {
            self.access.rules.explain(&self.principal, t)
        })
    }

    fn with_target<T>(
        &self,
        kind: Kind,
        id: Option<&str>,
        project: Option<&str>,
        f: impl FnOnce(&Target<'_>) -> T,
    ) -> T {
        let unknown;
        let projects: &[String] = if kind == Kind::Project {
            match id.and_then(|id| self.access.chains.get(id)) {
                Some(chain) => &chain[1..],
                None => &[],
            }
        } else if !in_projects(kind) {
            &[]
        } else {
            match project {
                None => &[],
                Some(p) => match self.access.chains.get(p) {
                    Some(chain) => chain,
                    None => {
                        unknown = [p.to_string()];
                        &unknown
                    }
                },
            }
        };
        f(&Target { kind, id, projects })
    }

    /// The caller's level on a stored document of `kind` (its `id` and `project`).
    pub fn level_of(&self, kind: Kind, doc: &Value) -> Level {
        self.level(
            kind,
            doc.get("id").and_then(Value::as_str),
            doc.get("project").and_then(Value::as_str),
        )
    }

    /// Checks that the caller may do `needed` with an object it knows exists: one it may not read
    /// answers as a missing one (the kind's invalid-id refusal); one it may only read refuses a
    /// change with 403/21.
    pub fn check(
        &self,
        kind: Kind,
        id: &str,
        project: Option<&str>,
        needed: Level,
    ) -> Result<(), AppError> {
        let has = self.level(kind, Some(id), project);
        if has >= needed {
            Ok(())
        } else if has == Level::None {
            Err(kind.not_found(id))
        } else {
            Err(no_write(kind))
        }
    }

    /// The projects whose paths the caller sees although they may not read them: those above an
    /// object they may reach (a grant on one task shows the way to it, not its siblings).
    pub async fn paths_to_reach(
        &self,
        conn: &mut Conn,
        workspace_id: &str,
    ) -> Result<HashSet<&str>, AppError> {
        let mut out: HashSet<&str> = HashSet::new();
        if self.sees_all() {
            return Ok(out);
        }
        let chains = &self.access.chains;
        // A project's chain holds everything above it, so a project marked already needs nothing.
        fn mark<'a>(chains: &'a HashMap<String, Vec<String>>, p: &str, out: &mut HashSet<&'a str>) {
            if !out.contains(p)
                && let Some(chain) = chains.get(p)
            {
                out.extend(chain.iter().map(String::as_str));
            }
        }
        let (objects, kinds) = self.access.rules.granted(&self.principal);
        for (kind, id) in &objects {
            if *kind == Kind::Project {
                mark(chains, id, &mut out);
            } else if let Some(p) = self.access.object_projects.get(*id) {
                mark(chains, p, &mut out);
            }
        }
        // A rule naming the caller opens what it covers to them at least for reading: the
        // projects holding the objects granted one by one (above), or any object of a kind
        // granted whole, are on the way to something they reach.
        for kind in kinds {
            if kind != Kind::Project && in_projects(kind) {
                for p in store::catalog::projects_holding(conn, workspace_id, kind).await? {
                    mark(chains, &p, &mut out);
                }
            }
        }
        // The projects the caller reads show their own paths too.
        for p in chains.keys() {
            if self.level(Kind::Project, Some(p), None) > Level::None {
                mark(chains, p, &mut out);
            }
        }
        Ok(out)
    }
}

/// The refusal of a change to an object the caller may only read.
pub fn no_write(kind: Kind) -> AppError {
    AppError::refused(
        Code::NoWritePermission,
        format!(
            "no write permission for this {}: an access rule gives you Read Only",
            kind.as_str().replace('_', " ")
        ),
    )
}

/// A name for each subject a rule can name: members and service accounts by user id, groups by
/// group id.
struct Names {
    people: HashMap<String, (String, bool)>,
    groups: HashMap<String, String>,
}

impl Names {
    async fn load(conn: &mut Conn, workspace_id: &str, now: i64) -> Result<Self, AppError> {
        store::groups::ensure_builtins(conn, workspace_id, now).await?;
        let people = store::workspaces::members(conn, workspace_id)
            .await?
            .into_iter()
            .map(|m| (m.user_id, (m.name, m.kind == "service")))
            .collect();
        let groups = store::groups::list(conn, workspace_id)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        Ok(Names { people, groups })
    }

    fn view(&self, s: &Subject) -> SubjectView {
        let name = match s.kind {
            SubjectKind::Group => self.groups.get(&s.id).cloned(),
            _ => self.people.get(&s.id).map(|(n, _)| n.clone()),
        };
        SubjectView {
            kind: s.kind,
            id: s.id.clone(),
            name: name.unwrap_or_else(|| "(removed)".into()),
        }
    }

    /// Checks a subject named in a rule: a member, a service account or a group of this workspace,
    /// of the kind it says.
    fn check(&self, s: &SubjectRef) -> Result<Subject, AppError> {
        let ok = match s.kind {
            SubjectKind::Group => self.groups.contains_key(&s.id),
            SubjectKind::User => self.people.get(&s.id).is_some_and(|(_, svc)| !svc),
            SubjectKind::ServiceAccount => self.people.get(&s.id).is_some_and(|(_, svc)| *svc),
        };
        if !ok {
            let what = match s.kind {
                SubjectKind::Group => "group",
                SubjectKind::User => "member",
                SubjectKind::ServiceAccount => "service account",
            };
            return Err(AppError::validation(
                "subjects",
                format!("`{}` is not a {what} of this workspace", s.id),
            ));
        }
        Ok(Subject {
            kind: s.kind,
            id: s.id.clone(),
        })
    }
}

impl AccessRulesService {
    fn now(&self) -> i64 {
        self.core.clock.now_ms()
    }

    /// Every rule of the workspace, oldest first, with the names of its object and subjects.
    pub async fn list(&self, who: &Admin<'_>) -> Result<Vec<RuleView>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let names = Names::load(&mut conn, &who.workspace_id, self.now()).await?;
        let rows = store::access_rules::list(&mut conn, &who.workspace_id).await?;
        let mut objects: HashMap<Kind, HashMap<String, String>> = HashMap::new();
        for kind in KINDS {
            if rows
                .iter()
                .any(|r| r.rule.kind == kind && r.rule.object.is_some())
            {
                let named = store::catalog::names(&mut conn, &who.workspace_id, kind).await?;
                objects.insert(kind, named.into_iter().map(|(id, n, _)| (id, n)).collect());
            }
        }
        Ok(rows
            .into_iter()
            .map(|r| RuleView {
                object_name: r
                    .rule
                    .object
                    .as_ref()
                    .and_then(|id| objects.get(&r.rule.kind)?.get(id).cloned()),
                subjects: r.rule.subjects.iter().map(|s| names.view(s)).collect(),
                id: r.rule.id,
                resource: r.rule.kind,
                object: r.rule.object,
                permission: r.rule.permission,
                created_ms: r.created_ms,
                updated_ms: r.updated_ms,
            })
            .collect())
    }

    /// Checks a rule's input against the workspace: a kind rules can name, an existing object of
    /// it, a permission, and subjects of the workspace.
    async fn checked(
        conn: &mut Conn,
        workspace_id: &str,
        id: String,
        input: &RuleInput,
        now: i64,
    ) -> Result<(Rule, Option<String>), AppError> {
        if !KINDS.contains(&input.resource) {
            return Err(AppError::validation(
                "resource",
                "Choose one of project, task, model, dataview, dataset or queue.",
            ));
        }
        if input.permission == Level::None {
            return Err(AppError::validation(
                "permission",
                "Choose Read Only (`read`) or Read & Modify (`modify`).",
            ));
        }
        let object = input
            .object
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty());
        let mut object_name = None;
        if let Some(o) = object {
            let doc = store::catalog::get(conn, workspace_id, input.resource, o)
                .await?
                .ok_or_else(|| {
                    AppError::validation(
                        "object",
                        format!(
                            "There is no {} `{o}` in this workspace.",
                            input.resource.as_str()
                        ),
                    )
                })?;
            object_name = doc.get("name").and_then(Value::as_str).map(String::from);
        }
        if input.subjects.len() > MAX_SUBJECTS {
            return Err(AppError::validation(
                "subjects",
                format!("A rule names at most {MAX_SUBJECTS} subjects."),
            ));
        }
        let names = Names::load(conn, workspace_id, now).await?;
        let mut subjects: Vec<Subject> = Vec::new();
        for s in &input.subjects {
            let s = names.check(s)?;
            if !subjects.contains(&s) {
                subjects.push(s);
            }
        }
        Ok((
            Rule {
                id,
                kind: input.resource,
                object: object.map(String::from),
                permission: input.permission,
                subjects,
            },
            object_name,
        ))
    }

    fn summary(rule: &Rule, object_name: Option<&str>) -> Value {
        json!({
            "resource": rule.kind.as_str(),
            "object": rule.object,
            "object_name": object_name,
            "permission": rule.permission,
            "subjects": rule.subjects.iter().map(|s| json!({"kind": s.kind, "id": s.id})).collect::<Vec<_>>(),
        })
    }

    fn label(rule: &Rule, object_name: Option<&str>) -> String {
        format!(
            "{} {}",
            rule.kind.as_str(),
            object_name.or(rule.object.as_deref()).unwrap_or("(all)")
        )
    }

    /// A new rule; its id.
    pub async fn create(&self, who: &Admin<'_>, input: &RuleInput) -> Result<String, AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let (rule, object_name) = Self::checked(
            &mut tx,
            &who.workspace_id,
            crate::crypto::new_id(),
            input,
            now,
        )
        .await?;
        store::access_rules::insert(&mut tx, &who.workspace_id, &rule, now).await?;
        tx.audit(
            "access_rule.create",
            Object {
                kind: AuditObject::AccessRule,
                id: &rule.id,
                name: &Self::label(&rule, object_name.as_deref()),
            },
            &json!({"after": Self::summary(&rule, object_name.as_deref())}),
        )
        .await?;
        tx.commit().await?;
        Ok(rule.id)
    }

    /// Replaces what a rule says.
    pub async fn update(
        &self,
        who: &Admin<'_>,
        id: &str,
        input: &RuleInput,
    ) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        if !store::access_rules::lock(&mut tx, &who.workspace_id, id).await? {
            return Err(AppError::not_found("access rule"));
        }
        let before = store::access_rules::list(&mut tx, &who.workspace_id)
            .await?
            .into_iter()
            .find(|r| r.rule.id == id)
            .ok_or_else(|| AppError::not_found("access rule"))?;
        let (rule, object_name) =
            Self::checked(&mut tx, &who.workspace_id, id.to_string(), input, now).await?;
        store::access_rules::update(&mut tx, &who.workspace_id, &rule, now).await?;
        tx.audit(
            "access_rule.update",
            Object {
                kind: AuditObject::AccessRule,
                id,
                name: &Self::label(&rule, object_name.as_deref()),
            },
            &json!({"before": Self::summary(&before.rule, None), "after": Self::summary(&rule, object_name.as_deref())}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn delete(&self, who: &Admin<'_>, id: &str) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let before = store::access_rules::list(&mut tx, &who.workspace_id)
            .await?
            .into_iter()
            .find(|r| r.rule.id == id)
            .ok_or_else(|| AppError::not_found("access rule"))?;
        if !store::access_rules::delete(&mut tx, &who.workspace_id, id).await? {
            return Err(AppError::not_found("access rule"));
        }
        tx.audit(
            "access_rule.delete",
            Object {
                kind: AuditObject::AccessRule,
                id,
                name: &Self::label(&before.rule, None),
            },
            &json!({"before": Self::summary(&before.rule, None)}),
        )
        .await?;
        tx.commit().await
    }

    /// Who can reach an object, and why: every member and service account of the workspace with
    /// their level and the rules (or the default, or the administrator role) that give it.
    pub async fn explain_object(
        &self,
        who: &Admin<'_>,
        kind: Kind,
        id: &str,
    ) -> Result<Explanation, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let kind = if kind == Kind::DatasetVersion {
            Kind::Dataset
        } else {
            kind
        };
        let doc = store::catalog::get(&mut conn, &who.workspace_id, kind, id)
            .await?
            .ok_or_else(|| kind.not_found(id))?;
        let project = doc.get("project").and_then(Value::as_str).map(String::from);
        let access = workspace_access(&self.core, &mut conn, &who.workspace_id).await?;
        let members = store::workspaces::members(&mut conn, &who.workspace_id).await?;
        let mut reach = Vec::new();
        let mut covering = Vec::new();
        for m in members {
            let identity = Identity {
                user_id: m.user_id.clone(),
                role: m.role,
                ..(**who).clone()
            };
            let v = Viewer::with(access.clone(), &identity);
            if covering.is_empty() {
                covering = v.with_target(kind, Some(id), project.as_deref(), |t| {
                    access.rules.covering_rules(t)
                });
            }
            let (level, because) = v.explain(kind, Some(id), project.as_deref());
            reach.push(Reach {
                kind: if m.kind == "service" {
                    "service_account".into()
                } else {
                    "user".into()
                },
                id: m.user_id,
                name: m.name,
                level,
                because,
            });
        }
        Ok(Explanation {
            covering: covering.into_iter().map(|(id, _)| id).collect(),
            reach,
        })
    }

    /// What a member or service account can reach, and why: every object of the workspace (up to
    /// `limit` of each kind) with their level and the rules that give it.
    pub async fn explain_person(
        &self,
        who: &Admin<'_>,
        user_id: &str,
        limit: usize,
    ) -> Result<Explanation, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let member = store::workspaces::members(&mut conn, &who.workspace_id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user_id)
            .ok_or_else(|| {
                AppError::validation("user", "There is no such member in this workspace.")
            })?;
        let access = workspace_access(&self.core, &mut conn, &who.workspace_id).await?;
        let identity = Identity {
            user_id: member.user_id.clone(),
            role: member.role,
            ..(**who).clone()
        };
        let v = Viewer::with(access, &identity);
        let mut reach = Vec::new();
        for kind in KINDS {
            for (id, name, project) in store::catalog::names(&mut conn, &who.workspace_id, kind)
                .await?
                .into_iter()
                .take(limit)
            {
                let (level, because) = v.explain(kind, Some(&id), project.as_deref());
                reach.push(Reach {
                    kind: kind.as_str().into(),
                    id,
                    name,
                    level,
                    because,
                });
            }
        }
        Ok(Explanation {
            covering: vec![],
            reach,
        })
    }
}

impl AccessRulesService {
    /// Checks that the caller may do `needed` with each named object of `kind` (for a dataset
    /// version, its dataset). Where rules apply, an object that does not exist is refused here
    /// too, before anything else is checked, so a missing object and one the caller may not read
    /// answer alike whatever else the call gets wrong.
    pub async fn check_objects(
        &self,
        who: &Identity,
        kind: Kind,
        ids: &[&str],
        needed: Level,
    ) -> Result<(), AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let viewer = Viewer::of(&self.core, &mut conn, who).await?;
        if viewer.sees_all() {
            return Ok(());
        }
        for id in ids {
            let Some(doc) = store::catalog::get(&mut conn, &who.workspace_id, kind, id).await?
            else {
                return Err(kind.not_found(id));
            };
            let (target, target_id, project) = if kind == Kind::DatasetVersion {
                let dataset = doc
                    .get("dataset")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let project =
                    store::catalog::get(&mut conn, &who.workspace_id, Kind::Dataset, dataset)
                        .await?
                        .and_then(|d| d.get("project").and_then(Value::as_str).map(String::from));
                (Kind::Dataset, dataset.to_string(), project)
            } else {
                let project = doc.get("project").and_then(Value::as_str).map(String::from);
                (kind, id.to_string(), project)
            };
            match viewer.level(target, Some(&target_id), project.as_deref()) {
                l if l >= needed => {}
                Level::None => return Err(kind.not_found(id)),
                _ => return Err(no_write(kind)),
            }
        }
        Ok(())
    }

    /// Checks that the caller may create an object of `kind` inside `project` (none: outside any
    /// project). A project the caller may not read answers as a missing one.
    pub async fn check_creation(
        &self,
        who: &Identity,
        kind: Kind,
        project: Option<&str>,
    ) -> Result<(), AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let viewer = Viewer::of(&self.core, &mut conn, who).await?;
        if viewer.sees_all() {
            return Ok(());
        }
        if let Some(p) = project
            && store::catalog::get(&mut conn, &who.workspace_id, Kind::Project, p)
                .await?
                .is_some()
            && viewer.level(Kind::Project, Some(p), None) == Level::None
            && !viewer
                .paths_to_reach(&mut conn, &who.workspace_id)
                .await?
                .contains(p)
        {
            return Err(Kind::Project.not_found(p));
        }
        match viewer.level(kind, None, project) {
            Level::Modify => Ok(()),
            _ => Err(no_write(kind)),
        }
    }
}

impl AccessRulesService {
    /// Everyone and every group a rule can name, for the pickers: members and service accounts by
    /// name, then the groups by name.
    pub async fn subjects(&self, who: &Admin<'_>) -> Result<Vec<SubjectView>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let names = Names::load(&mut conn, &who.workspace_id, self.now()).await?;
        let by_name =
            |a: &SubjectView, b: &SubjectView| a.name.to_lowercase().cmp(&b.name.to_lowercase());
        let mut people: Vec<SubjectView> = names
            .people
            .iter()
            .map(|(id, (name, service))| SubjectView {
                kind: if *service {
                    SubjectKind::ServiceAccount
                } else {
                    SubjectKind::User
                },
                id: id.clone(),
                name: name.clone(),
            })
            .collect();
        people.sort_by(by_name);
        let mut groups: Vec<SubjectView> = names
            .groups
            .iter()
            .map(|(id, name)| SubjectView {
                kind: SubjectKind::Group,
                id: id.clone(),
                name: name.clone(),
            })
            .collect();
        groups.sort_by(by_name);
        people.extend(groups);
        Ok(people)
    }

    /// Up to 20 objects of a kind whose name contains `text` (any case), or whose id it is, for the
    /// picker.
    pub async fn find_objects(
        &self,
        who: &Admin<'_>,
        kind: Kind,
        text: &str,
    ) -> Result<Vec<ObjectOption>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let wanted = text.trim().to_lowercase();
        Ok(store::catalog::names(&mut conn, &who.workspace_id, kind)
            .await?
            .into_iter()
            .filter(|(id, name, _)| {
                wanted.is_empty() || name.to_lowercase().contains(&wanted) || *id == wanted
            })
            .take(20)
            .map(|(id, name, _)| ObjectOption { id, name })
            .collect())
    }
}
