use proptest::prelude::*;

use super::*;

fn rule(id: &str, kind: Kind, object: Option<&str>, permission: Level, subjects: &[&str]) -> Rule {
    Rule {
        id: id.into(),
        kind,
        object: object.map(String::from),
        permission,
        subjects: subjects
            .iter()
            .map(|s| Subject {
                kind: if s.starts_with('g') {
                    SubjectKind::Group
                } else {
                    SubjectKind::User
                },
                id: (*s).into(),
            })
            .collect(),
    }
}

fn who(user: &str, groups: &[&str]) -> Principal {
    Principal {
        user: user.into(),
        groups: groups.iter().map(|g| (*g).to_string()).collect(),
        admin: false,
    }
}

fn chain(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_string()).collect()
}

fn task<'a>(id: &'a str, projects: &'a [String]) -> Target<'a> {
    Target {
        kind: Kind::Task,
        id: Some(id),
        projects,
    }
}

#[test]
fn without_rules_everyone_modifies() {
    let rules = Rules::new(&[]);
    let p = chain(&["p"]);
    assert_eq!(rules.level(&who("u", &[]), &task("t", &p)), Level::Modify);
    assert_eq!(
        rules.explain(&who("u", &[]), &task("t", &p)),
        (Level::Modify, Because::NoRule)
    );
}

#[test]
fn a_project_rule_flows_down_to_sub_projects_and_their_tasks() {
    let r = [rule("r1", Kind::Project, Some("a"), Level::Read, &["g1"])];
    let rules = Rules::new(&r);
    let deep = chain(&["c", "b", "a"]);
    assert_eq!(
        rules.level(&who("u", &["g1"]), &task("t", &deep)),
        Level::Read
    );
    assert_eq!(
        rules.level(&who("v", &["g2"]), &task("t", &deep)),
        Level::None
    );
    let b = Target {
        kind: Kind::Project,
        id: Some("b"),
        projects: &chain(&["a"]),
    };
    assert_eq!(rules.level(&who("v", &[]), &b), Level::None);
    // A project beside `a` is not covered.
    assert_eq!(
        rules.level(&who("v", &[]), &task("t", &chain(&["x"]))),
        Level::Modify
    );
    // A queue is never inside a project.
    let q = Target {
        kind: Kind::Queue,
        id: Some("q"),
        projects: &[],
    };
    assert_eq!(rules.level(&who("v", &[]), &q), Level::Modify);
}

#[test]
fn the_strongest_covering_grant_wins_and_admins_have_everything() {
    let r = [
        rule("r1", Kind::Project, Some("a"), Level::Read, &["g1"]),
        rule("r2", Kind::Task, Some("t"), Level::Modify, &["u"]),
    ];
    let rules = Rules::new(&r);
    let p = chain(&["a"]);
    assert_eq!(
        rules.level(&who("u", &["g1"]), &task("t", &p)),
        Level::Modify
    );
    let (level, because) = rules.explain(&who("u", &["g1"]), &task("t", &p));
    assert_eq!(level, Level::Modify);
    assert_eq!(
        because,
        Because::Rules {
            granting: vec![("r2".into(), Level::Modify), ("r1".into(), Level::Read)]
        }
    );
    // The sibling task gets nothing from the grant on `t`.
    assert_eq!(rules.level(&who("u", &[]), &task("t2", &p)), Level::None);
    let admin = Principal {
        admin: true,
        ..who("z", &[])
    };
    assert_eq!(
        rules.explain(&admin, &task("t2", &p)),
        (Level::Modify, Because::Admin)
    );
}

#[test]
fn a_rule_on_all_projects_covers_what_is_inside_any_project_and_a_kind_rule_its_kind() {
    let r = [
        rule("r1", Kind::Project, None, Level::Read, &["g1"]),
        rule("r2", Kind::Model, None, Level::Modify, &["u"]),
    ];
    let rules = Rules::new(&r);
    let p = chain(&["a"]);
    assert_eq!(rules.level(&who("v", &["g1"]), &task("t", &p)), Level::Read);
    assert_eq!(rules.level(&who("v", &[]), &task("t", &[])), Level::Modify);
    let model = Target {
        kind: Kind::Model,
        id: Some("m"),
        projects: &[],
    };
    assert_eq!(rules.level(&who("u", &[]), &model), Level::Modify);
    assert_eq!(rules.level(&who("v", &[]), &model), Level::None);
    // A dataset version answers as its dataset.
    let r = [rule("r", Kind::Dataset, Some("d"), Level::Read, &["u"])];
    let rules = Rules::new(&r);
    let version_of_d = Target {
        kind: Kind::DatasetVersion,
        id: Some("d"),
        projects: &[],
    };
    assert_eq!(rules.level(&who("v", &[]), &version_of_d), Level::None);
}

#[test]
fn what_a_principal_is_granted_is_found_by_subject() {
    let r = [
        rule("r1", Kind::Task, Some("t"), Level::Read, &["u", "g1"]),
        rule("r2", Kind::Model, None, Level::Read, &["g1"]),
        rule("r3", Kind::Task, Some("t9"), Level::Read, &["v"]),
    ];
    let rules = Rules::new(&r);
    let (objects, kinds) = rules.granted(&who("u", &["g1"]));
    assert_eq!(objects, vec![(Kind::Task, "t")]);
    assert_eq!(kinds, vec![Kind::Model]);
}

#[test]
fn ancestor_paths_are_the_nearest_first() {
    assert_eq!(ancestor_paths("a/b/c").collect::<Vec<_>>(), ["a/b", "a"]);
    assert_eq!(ancestor_paths("a").count(), 0);
}

/// A small world: projects in a tree (parent index < own index), tasks in projects, queues.
#[derive(Debug, Clone)]
struct World {
    /// Each project's parent (by index), or none.
    parents: Vec<Option<usize>>,
    /// Each task's project.
    tasks: Vec<usize>,
}

impl World {
    fn chain(&self, mut p: usize) -> Vec<String> {
        let mut out = vec![format!("p{p}")];
        while let Some(up) = self.parents[p] {
            out.push(format!("p{up}"));
            p = up;
        }
        out
    }

    /// Every object as (kind, id, projects above it).
    fn targets(&self) -> Vec<(Kind, String, Vec<String>)> {
        let mut out = Vec::new();
        for p in 0..self.parents.len() {
            out.push((Kind::Project, format!("p{p}"), self.chain(p)[1..].to_vec()));
        }
        for (i, p) in self.tasks.iter().enumerate() {
            out.push((Kind::Task, format!("t{i}"), self.chain(*p)));
        }
        out.push((Kind::Queue, "q0".into(), vec![]));
        out
    }
}

fn world() -> impl Strategy<Value = World> {
    (1usize..8).prop_flat_map(|n| {
        let parents = (0..n)
            .map(|i| {
                if i == 0 {
                    Just(None).boxed()
                } else {
                    proptest::option::of(0..i).boxed()
                }
            })
            .collect::<Vec<_>>();
        (parents, proptest::collection::vec(0..n, 1..10))
            .prop_map(|(parents, tasks)| World { parents, tasks })
    })
}

const USERS: [&str; 3] = ["u0", "u1", "u2"];
const GROUPS: [&str; 2] = ["g0", "g1"];

fn principals() -> Vec<Principal> {
    vec![
        who("u0", &["g0"]),
        who("u1", &["g1"]),
        who("u2", &["g0", "g1"]),
    ]
}

fn a_rule(w: &World, n: usize) -> impl Strategy<Value = Rule> + use<> {
    let projects = w.parents.len();
    let tasks = w.tasks.len();
    (
        0..4usize,
        0..8usize,
        prop_oneof![Just(Level::Read), Just(Level::Modify)],
        proptest::collection::vec(0..5usize, 0..3),
    )
        .prop_map(move |(k, o, permission, subjects)| {
            let (kind, object) = match k {
                0 => (Kind::Project, Some(format!("p{}", o % projects))),
                1 => (Kind::Task, Some(format!("t{}", o % tasks))),
                2 => (Kind::Queue, Some("q0".to_string())),
                _ => ([Kind::Project, Kind::Task, Kind::Queue][o % 3], None),
            };
            Rule {
                id: format!("r{n}-{k}-{o}"),
                kind,
                object,
                permission,
                subjects: subjects
                    .into_iter()
                    .map(|s| {
                        if s < 3 {
                            Subject {
                                kind: SubjectKind::User,
                                id: USERS[s].into(),
                            }
                        } else {
                            Subject {
                                kind: SubjectKind::Group,
                                id: GROUPS[s - 3].into(),
                            }
                        }
                    })
                    .collect(),
            }
        })
}

fn world_with_rules() -> impl Strategy<Value = (World, Vec<Rule>, Rule)> {
    world().prop_flat_map(|w| {
        let rules = proptest::collection::vec(a_rule(&w, 0), 0..6);
        let extra = a_rule(&w, 1);
        (Just(w), rules, extra).prop_map(|(w, mut rules, mut extra)| {
            // Rule ids are unique, as stored ones are.
            for (i, r) in rules.iter_mut().enumerate() {
                r.id = format!("r{i}");
            }
            extra.id = "extra".into();
            (w, rules, extra)
        })
    })
}

/// Every principal's level on every object.
fn levels(w: &World, rules: &Rules) -> Vec<Level> {
    let mut out = Vec::new();
    for (kind, id, projects) in w.targets() {
        for p in principals() {
            out.push(rules.level(
                &p,
                &Target {
                    kind,
                    id: Some(&id),
                    projects: &projects,
                },
            ));
        }
    }
    out
}

proptest! {
    /// A grant never takes from its grantee what they had through rules; on objects no rule
    /// covered before it, they get what it grants.
    #[test]
    fn adding_a_grant_never_removes_the_grantees_access((w, rules, extra) in world_with_rules()) {
        let before = Rules::new(&rules);
        let mut more = rules.clone();
        more.push(extra.clone());
        let after = Rules::new(&more);
        for (kind, id, projects) in w.targets() {
            let t = Target { kind, id: Some(&id), projects: &projects };
            for p in principals() {
                let named = extra.subjects.iter().any(|s| s.id == p.user || p.groups.contains(&s.id));
                if !named {
                    continue;
                }
                let (b, a) = (before.level(&p, &t), after.level(&p, &t));
                if before.covers(&t) {
                    prop_assert!(a >= b, "{p:?} on {id}: {b:?} became {a:?}");
                } else if after.covers(&t) {
                    prop_assert_eq!(a, extra.permission);
                } else {
                    prop_assert_eq!(a, Level::Modify);
                }
            }
        }
    }

    /// A rule on a project reaches everything below it at any depth, and nothing beside it.
    #[test]
    fn inheritance_holds_at_any_depth(w in world(), top in 0usize..8) {
        let top = top % w.parents.len();
        let r = [rule("r", Kind::Project, Some(&format!("p{top}")), Level::Read, &["g1"])];
        let rules = Rules::new(&r);
        let top_id = format!("p{top}");
        for (kind, id, projects) in w.targets() {
            let t = Target { kind, id: Some(&id), projects: &projects };
            let below = id == top_id || projects.contains(&top_id);
            let (member, other) = (rules.level(&who("u1", &["g1"]), &t), rules.level(&who("u0", &["g0"]), &t));
            if below {
                prop_assert_eq!((member, other), (Level::Read, Level::None));
            } else {
                prop_assert_eq!((member, other), (Level::Modify, Level::Modify));
            }
        }
    }

    /// A rule on one task changes nothing for any other task.
    #[test]
    fn a_sibling_never_leaks((w, rules, _) in world_with_rules(), pick in 0usize..10) {
        let pick = pick % w.tasks.len();
        let before = Rules::new(&rules);
        let mut more = rules.clone();
        more.push(rule("on-task", Kind::Task, Some(&format!("t{pick}")), Level::Modify, &["u0", "g1"]));
        let after = Rules::new(&more);
        for (kind, id, projects) in w.targets() {
            if kind == Kind::Task && id == format!("t{pick}") {
                continue;
            }
            let t = Target { kind, id: Some(&id), projects: &projects };
            for p in principals() {
                prop_assert_eq!(before.level(&p, &t), after.level(&p, &t));
            }
        }
    }

    /// Deleting a rule gives back exactly the state from before it was added.
    #[test]
    fn deleting_a_rule_restores_the_state_before((w, rules, extra) in world_with_rules(), at in 0usize..7) {
        let before = levels(&w, &Rules::new(&rules));
        let mut more = rules.clone();
        more.insert(at.min(rules.len()), extra);
        let added = Rules::new(&more);
        more.remove(at.min(rules.len()));
        prop_assert_eq!(levels(&w, &Rules::new(&more)), before);
        // And the explanation and the fast check agree with the level.
        for (kind, id, projects) in w.targets() {
            let t = Target { kind, id: Some(&id), projects: &projects };
            for p in principals() {
                prop_assert_eq!(added.explain(&p, &t).0, added.level(&p, &t));
                prop_assert_eq!(added.level_with(&added.grants(&p), &t), added.level(&p, &t));
            }
        }
    }
}
