//! Access rules: who may read or change which project, task, model, dataview, dataset or queue.
//!
//! - With no rule, every member reads and changes everything.
//! - A rule names a kind, optionally one object of it, a permission (Read Only or Read & Modify)
//!   and its subjects: users, service accounts and groups. An object is *covered* by the rules on
//!   itself, on the projects above it (rules flow down the project tree to sub-projects and to the
//!   tasks, models, datasets and dataviews inside them; a rule on all projects is a rule on each)
//!   and on its whole kind. A covered object is open only to the subjects of its covering rules,
//!   with the strongest permission among those that name them.
//! - Administrators read and change everything.
//!
//! [`Rules`] is a workspace's rules indexed for checks: one check looks up the object, its kind
//! and each project above it, so it costs a few hash lookups whatever the number of rules.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::catalog::Kind;

/// What a rule grants, and what a caller has on an object (ordered: more is more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    None,
    Read,
    Modify,
}

impl Level {
    /// How the console names it.
    pub fn label(self) -> &'static str {
        match self {
            Level::None => "No access",
            Level::Read => "Read Only",
            Level::Modify => "Read & Modify",
        }
    }
}

/// The kinds a rule can name (a dataset's versions follow their dataset).
pub const KINDS: [Kind; 6] = [
    Kind::Project,
    Kind::Task,
    Kind::Model,
    Kind::Dataview,
    Kind::Dataset,
    Kind::Queue,
];

/// A kind's place in [`KINDS`] (a dataset version counts as its dataset).
fn slot(kind: Kind) -> usize {
    match kind {
        Kind::Project => 0,
        Kind::Task => 1,
        Kind::Model => 2,
        Kind::Dataview => 3,
        Kind::Dataset | Kind::DatasetVersion => 4,
        Kind::Queue => 5,
    }
}

/// Whether a kind's objects live inside projects (and so inherit the projects' rules).
pub fn in_projects(kind: Kind) -> bool {
    kind != Kind::Queue
}

/// What a subject is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    #[default]
    User,
    ServiceAccount,
    Group,
}

/// Someone a rule grants to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
}

/// One rule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub kind: Kind,
    /// The one object it is on; `None`: every object of the kind.
    pub object: Option<String>,
    /// [`Level::Read`] or [`Level::Modify`].
    pub permission: Level,
    pub subjects: Vec<Subject>,
}

/// Who asks: a user (a person or a service account), the ids of the groups they are in (the
/// built-in Users group included), and whether they administer the workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub groups: Vec<String>,
    pub admin: bool,
}

/// The object asked about: its kind, its id (`None` for an object about to be created) and the
/// projects it is inside, the nearest first (for a project: the projects above it).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub kind: Kind,
    pub id: Option<&'a str>,
    pub projects: &'a [String],
}

/// The rules that name one principal (see [`Rules::grants`]).
#[derive(Debug, Clone, Default)]
pub struct Grants {
    admin: bool,
    named: Vec<u64>,
}

/// Why a principal has the level it has on an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Because {
    /// Administrators have every permission.
    Admin,
    /// No rule covers the object: every member reads and changes it.
    NoRule,
    /// Rules cover the object; these of them name the principal (none: no access).
    Rules { granting: Vec<(String, Level)> },
}

struct Compiled {
    id: String,
    level: Level,
    /// Sorted user and service account ids.
    users: Vec<String>,
    /// Sorted group ids.
    groups: Vec<String>,
}

impl Compiled {
    fn names(&self, who: &Principal) -> bool {
        self.users.binary_search(&who.user).is_ok()
            || who
                .groups
                .iter()
                .any(|g| self.groups.binary_search(g).is_ok())
    }
}

/// A workspace's rules, indexed for checks.
#[derive(Default)]
pub struct Rules {
    rules: Vec<Compiled>,
    /// Rules on one object, by kind slot and object id.
    on_object: [HashMap<String, Vec<u32>>; 6],
    /// Rules on a whole kind, by kind slot.
    on_kind: [Vec<u32>; 6],
    /// Rules by the subject (user, service account or group id) they name.
    by_subject: HashMap<String, Vec<u32>>,
    /// The kind and object of each rule, by its place in `rules`.
    on: Vec<(Kind, Option<String>)>,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rules({})", self.rules.len())
    }
}

impl Rules {
    pub fn new<'r>(rules: impl IntoIterator<Item = &'r Rule>) -> Self {
        let mut out = Rules::default();
        for r in rules {
            let i = out.rules.len() as u32;
            let mut users = Vec::new();
            let mut groups = Vec::new();
            for s in &r.subjects {
                match s.kind {
                    SubjectKind::Group => groups.push(s.id.clone()),
                    _ => users.push(s.id.clone()),
                }
                out.by_subject.entry(s.id.clone()).or_default().push(i);
            }
            users.sort();
            users.dedup();
            groups.sort();
            groups.dedup();
            let s = slot(r.kind);
            match &r.object {
                Some(id) => out.on_object[s].entry(id.clone()).or_default().push(i),
                None => out.on_kind[s].push(i),
            }
            out.rules.push(Compiled {
                id: r.id.clone(),
                level: r.permission,
                users,
                groups,
            });
            out.on.push((r.kind, r.object.clone()));
        }
        for v in out.by_subject.values_mut() {
            v.dedup();
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Calls `f` with each rule covering the target (with its place).
    fn covering_at(&self, t: &Target<'_>, mut f: impl FnMut(usize, &Compiled)) {
        let s = slot(t.kind);
        let mut visit = |ids: &[u32]| {
            ids.iter()
                .for_each(|i| f(*i as usize, &self.rules[*i as usize]))
        };
        if let Some(v) = t.id.and_then(|id| self.on_object[s].get(id)) {
            visit(v);
        }
        visit(&self.on_kind[s]);
        if in_projects(t.kind) {
            for p in t.projects {
                if let Some(v) = self.on_object[0].get(p.as_str()) {
                    visit(v);
                }
            }
            // A rule on all projects covers what is inside any project.
            if s != 0 && !t.projects.is_empty() {
                visit(&self.on_kind[0]);
            }
        }
    }

    /// Calls `f` with each rule covering the target.
    fn covering(&self, t: &Target<'_>, mut f: impl FnMut(&Compiled)) {
        self.covering_at(t, |_, r| f(r));
    }

    /// The rules that name a principal, for many checks of the same caller: one bit per rule, set
    /// from the index by subject, so a check tests bits instead of searching subject lists.
    pub fn grants(&self, who: &Principal) -> Grants {
        let mut named = vec![0u64; self.rules.len().div_ceil(64)];
        for s in std::iter::once(&who.user).chain(&who.groups) {
            for i in self.by_subject.get(s.as_str()).into_iter().flatten() {
                named[*i as usize / 64] |= 1 << (*i % 64);
            }
        }
        Grants {
            admin: who.admin,
            named,
        }
    }

    /// What the principal whose [`Grants`] these are may do with the target (the same answer as
    /// [`Rules::level`], faster).
    pub fn level_with(&self, g: &Grants, t: &Target<'_>) -> Level {
        if g.admin {
            return Level::Modify;
        }
        let mut covered = false;
        let mut best = Level::None;
        self.covering_at(t, |i, r| {
            covered = true;
            if r.level > best && g.named[i / 64] & (1 << (i % 64)) != 0 {
                best = r.level;
            }
        });
        if covered { best } else { Level::Modify }
    }

    /// Whether any rule covers the target.
    pub fn covers(&self, t: &Target<'_>) -> bool {
        let mut covered = false;
        self.covering(t, |_| covered = true);
        covered
    }

    /// What the principal may do with the target.
    pub fn level(&self, who: &Principal, t: &Target<'_>) -> Level {
        if who.admin {
            return Level::Modify;
        }
        let mut covered = false;
        let mut best = Level::None;
        self.covering(t, |r| {
            covered = true;
            if r.level > best && r.names(who) {
                best = r.level;
            }
        });
        if covered { best } else { Level::Modify }
    }

    /// What the principal may do with the target, and which rules say so.
    pub fn explain(&self, who: &Principal, t: &Target<'_>) -> (Level, Because) {
        if who.admin {
            return (Level::Modify, Because::Admin);
        }
        let mut covered = false;
        let mut granting = Vec::new();
        self.covering(t, |r| {
            covered = true;
            if r.names(who) && !granting.iter().any(|(id, _)| id == &r.id) {
                granting.push((r.id.clone(), r.level));
            }
        });
        if !covered {
            return (Level::Modify, Because::NoRule);
        }
        let level = granting
            .iter()
            .map(|(_, l)| *l)
            .max()
            .unwrap_or(Level::None);
        (level, Because::Rules { granting })
    }

    /// The ids and permissions of the rules covering the target (for "who can reach this").
    pub fn covering_rules(&self, t: &Target<'_>) -> Vec<(String, Level)> {
        let mut out: Vec<(String, Level)> = Vec::new();
        self.covering(t, |r| {
            if !out.iter().any(|(id, _)| id == &r.id) {
                out.push((r.id.clone(), r.level));
            }
        });
        out
    }

    /// The objects and whole kinds on which a rule names the principal: what lies under them is
    /// what a principal may reach inside projects it cannot otherwise read (their paths show).
    pub fn granted(&self, who: &Principal) -> (Vec<(Kind, &str)>, Vec<Kind>) {
        let mut objects = Vec::new();
        let mut kinds = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in std::iter::once(&who.user).chain(&who.groups) {
            for i in self.by_subject.get(s.as_str()).into_iter().flatten() {
                if !seen.insert(*i) {
                    continue;
                }
                match &self.on[*i as usize] {
                    (k, Some(id)) => objects.push((*k, id.as_str())),
                    (k, None) => kinds.push(*k),
                }
            }
        }
        (objects, kinds)
    }
}

/// Whether a listing's objects without rules of their own are readable (`open`: no rule covers
/// them, or one names the principal), and whether they stay readable when rules of their own cover
/// them too (`granted`: a rule on their projects or their kind names the principal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    pub open: bool,
    pub granted: bool,
}

/// What a listing of one kind (not projects) shows a principal, in terms a store filters by in
/// SQL. An object is readable when its project is in `granted`, when it is one of `objects`, or
/// when no rule names it and its project is in `open`; objects in no project follow `none`, and
/// objects whose project is not `known` follow `orphan` (unless the project exists after all: made
/// since the rules were read, it is judged once they are read again). `known` holds the
/// workspace's projects and the `dangling` ones (gone, but named by rules, and so in `open` or
/// `granted` as they say). The same answer as [`Rules::level`] for every object (the store suite
/// compares them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Projects whose objects are readable unless rules of their own cover them (none of
    /// `granted`, which need no second look).
    pub open: Vec<String>,
    pub granted: Vec<String>,
    pub dangling: Vec<String>,
    /// Every project the rules were read with, sorted: the workspace's and the dangling ones.
    pub known: Vec<String>,
    pub none: Reach,
    pub orphan: Reach,
    /// The objects of the kind that rules on them name the principal in.
    pub objects: Vec<String>,
}

impl Rules {
    /// The reach of the rules on a kind and on the projects an object is in, for objects with
    /// no rule of their own.
    fn reach(&self, g: &Grants, kind: Kind, projects: &[String]) -> Reach {
        let t = Target {
            kind,
            id: None,
            projects,
        };
        let open = self.level_with(g, &t) >= Level::Read;
        Reach {
            open,
            granted: open && self.covers(&t),
        }
    }

    /// The [`Scope`] of a listing of `kind` for the principal whose grants these are; `chains`
    /// are the workspace's projects, each with the projects above it (`[itself, parent, …]`).
    pub fn scope<'c>(
        &self,
        g: &Grants,
        kind: Kind,
        chains: impl IntoIterator<Item = &'c [String]>,
    ) -> Scope {
        let mut out = Scope {
            none: self.reach(g, kind, &[]),
            ..Scope::default()
        };
        if in_projects(kind) {
            let add = |out: &mut Scope, chain: &[String]| {
                let r = self.reach(g, kind, chain);
                if r.granted {
                    out.granted.push(chain[0].clone());
                } else if r.open {
                    out.open.push(chain[0].clone());
                }
            };
            let mut known = std::collections::HashSet::new();
            for chain in chains {
                if !chain.is_empty() {
                    add(&mut out, chain);
                    known.insert(chain[0].as_str());
                }
            }
            // Rules on a project that no longer exists still cover what was left inside it.
            out.dangling = self.on_object[0]
                .keys()
                .filter(|p| !known.contains(p.as_str()))
                .cloned()
                .collect();
            out.dangling.sort();
            for p in out.dangling.clone() {
                add(&mut out, std::slice::from_ref(&p));
            }
            out.known = known.into_iter().map(str::to_string).collect();
            out.known.extend(out.dangling.iter().cloned());
            out.known.sort();
            out.orphan = self.reach(g, kind, &[String::new()]);
        }
        let s = slot(kind);
        for (w, bits) in g.named.iter().enumerate() {
            let mut bits = *bits;
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let (k, Some(id)) = &self.on[i]
                    && slot(*k) == s
                {
                    out.objects.push(id.clone());
                }
            }
        }
        out.objects.sort();
        out.objects.dedup();
        out
    }
}

/// The projects above a project named by its path (`a/b/c` → `a/b`, `a`), the nearest first.
pub fn ancestor_paths(path: &str) -> impl Iterator<Item = &str> {
    let mut end = path.len();
    std::iter::from_fn(move || {
        let cut = path[..end].rfind('/')?;
        end = cut;
        Some(&path[..cut])
    })
}

#[cfg(test)]
mod tests;
