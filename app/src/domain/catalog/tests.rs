use proptest::prelude::*;
use serde_json::{Value, json};

use super::query::{Query, select};
use super::*;

fn q(params: Value) -> Query {
    Query::parse(params.as_object().unwrap(), &Kind::Task.fields()).unwrap()
}

fn ids(docs: &[Value]) -> Vec<&str> {
    docs.iter().map(|d| d["id"].as_str().unwrap()).collect()
}

fn tasks() -> Vec<Value> {
    vec![
        json!({"id": "t1", "name": "train resnet", "status": "created", "project": "p1", "tags": ["a", "b"], "system_tags": [], "created": "2026-01-01T00:00:01.000+00:00", "execution": {"queue": "q1"}}),
        json!({"id": "t2", "name": "Train bert", "status": "queued", "project": "p1", "tags": ["b"], "system_tags": ["hidden"], "created": "2026-01-01T00:00:02.000+00:00"}),
        json!({"id": "t3", "name": "evaluate", "status": "completed", "project": "p2", "tags": [], "created": "2026-01-01T00:00:03.000+00:00", "comment": "Nightly run"}),
    ]
}

#[test]
fn status_moves_follow_clearmls_machine() {
    use TaskStatus::*;
    assert!(Created.check_move(Queued, false).is_ok());
    assert!(Queued.check_move(InProgress, false).is_ok());
    assert!(InProgress.check_move(Completed, false).is_ok());
    let err = Completed.check_move(Queued, false).unwrap_err();
    assert_eq!(err.http_status(), 400);
    assert!(matches!(
        err,
        AppError::Refused {
            code: Code::InvalidTaskStatus,
            ..
        }
    ));
    assert!(Published.check_move(Created, false).is_err());
    assert!(Published.check_move(Created, true).is_ok());
    assert!(Failed.check_move(Failed, false).is_ok());
}

#[test]
fn every_status_round_trips_its_name() {
    for s in TaskStatus::ALL {
        assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
    }
    for k in Kind::ALL {
        assert_eq!(Kind::parse(k.as_str()), Some(k));
    }
}

#[test]
fn project_paths_are_trimmed_and_checked() {
    assert_eq!(project_path(" a / b/c ").unwrap(), "a/b/c");
    for bad in ["", "  ", "a//b", "/a", "a/", "a/ /b"] {
        let err = project_path(bad).unwrap_err();
        assert!(
            matches!(
                err,
                AppError::Refused {
                    code: Code::InvalidProjectName,
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
    assert!(project_path(&["x"; MAX_PROJECT_DEPTH + 1].join("/")).is_err());
    assert_eq!(ancestors("a/b/c"), vec!["a", "a/b"]);
    assert!(ancestors("a").is_empty());
    assert_eq!(basename("a/b/c"), "c");
}

#[test]
fn names_are_regular_expressions_and_case_sensitive() {
    assert_eq!(ids(&q(json!({"name": "^train"})).run(tasks())), vec!["t1"]);
    assert_eq!(
        ids(&q(json!({"name": "(?i)^train"})).run(tasks())),
        vec!["t1", "t2"]
    );
    assert_eq!(
        ids(&q(json!({"name": "^evaluate$"})).run(tasks())),
        vec!["t3"]
    );
    let err = Query::parse(
        json!({"name": "(unclosed"}).as_object().unwrap(),
        &Kind::Task.fields(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        AppError::Refused {
            code: Code::InvalidRegex,
            ..
        }
    ));
}

#[test]
fn tags_take_clearmls_operators() {
    assert_eq!(
        ids(&q(json!({"tags": ["a", "b"]})).run(tasks())),
        vec!["t1", "t2"]
    );
    assert_eq!(
        ids(&q(json!({"tags": ["-a"]})).run(tasks())),
        vec!["t2", "t3"]
    );
    assert_eq!(
        ids(&q(json!({"tags": ["__$all", "a", "b"]})).run(tasks())),
        vec!["t1"]
    );
    assert_eq!(
        ids(&q(json!({"tags": ["b", "__$not", "a"]})).run(tasks())),
        vec!["t2"]
    );
    assert_eq!(
        ids(&q(json!({"system_tags": ["-hidden"]})).run(tasks())),
        vec!["t1", "t3"]
    );
}

#[test]
fn equality_takes_a_value_or_a_list_and_dotted_paths() {
    assert_eq!(
        ids(&q(json!({"status": "queued"})).run(tasks())),
        vec!["t2"]
    );
    assert_eq!(
        ids(&q(json!({"status": ["queued", "completed"]})).run(tasks())),
        vec!["t2", "t3"]
    );
    assert_eq!(ids(&q(json!({"project": ["p2"]})).run(tasks())), vec!["t3"]);
    assert_eq!(
        ids(&q(json!({"execution.queue": "q1"})).run(tasks())),
        vec!["t1"]
    );
    assert_eq!(
        ids(&q(json!({"id": ["t3", "t1"]})).run(tasks())),
        vec!["t1", "t3"]
    );
    assert!(q(json!({"status": "stopped"})).run(tasks()).is_empty());
}

#[test]
fn any_all_and_search_text_look_in_several_fields() {
    let any = json!({"_any_": {"fields": ["name", "comment"], "pattern": "Nightly|bert"}});
    assert_eq!(ids(&q(any).run(tasks())), vec!["t2", "t3"]);
    let all = json!({"_all_": {"fields": ["name", "comment"], "pattern": "u"}});
    assert_eq!(ids(&q(all).run(tasks())), vec!["t3"]);
    assert_eq!(
        ids(&q(json!({"search_text": "NIGHTLY"})).run(tasks())),
        vec!["t3"]
    );
}

#[test]
fn order_by_then_creation_then_id() {
    assert_eq!(ids(&q(json!({})).run(tasks())), vec!["t1", "t2", "t3"]);
    assert_eq!(
        ids(&q(json!({"order_by": ["-created"]})).run(tasks())),
        vec!["t3", "t2", "t1"]
    );
    assert_eq!(
        ids(&q(json!({"order_by": ["name"]})).run(tasks())),
        vec!["t2", "t3", "t1"]
    );
    assert_eq!(
        ids(&q(json!({"order_by": "-project"})).run(tasks())),
        vec!["t3", "t1", "t2"]
    );
}

#[test]
fn pages_count_from_zero_and_need_a_size() {
    assert_eq!(
        ids(&q(json!({"page": 1, "page_size": 2})).run(tasks())),
        vec!["t3"]
    );
    assert_eq!(
        ids(&q(json!({"page_size": "2"})).run(tasks())),
        vec!["t1", "t2"]
    );
    for bad in [
        json!({"page": 1}),
        json!({"page_size": 0}),
        json!({"page_size": -1}),
        json!({"page_size": "x"}),
    ] {
        let err = Query::parse(bad.as_object().unwrap(), &Kind::Task.fields()).unwrap_err();
        assert_eq!(err.field(), Some("page_size"), "{bad}");
        assert_eq!(err.http_status(), 400);
    }
}

#[test]
fn only_fields_selects_nested_fields_and_always_the_id() {
    let doc = json!({"id": "t1", "name": "n", "execution": {"queue": "q", "parameters": {}}, "status": "created"});
    assert_eq!(
        select(
            &doc,
            &["name".into(), "execution.queue".into(), "missing".into()]
        ),
        json!({"id": "t1", "name": "n", "execution": {"queue": "q"}})
    );
    assert_eq!(
        select(
            &doc,
            &["execution.parameters.lr".into(), "runtime.version".into()]
        ),
        json!({"id": "t1", "execution": {"parameters": {}}}),
        "objects that exist on the way are kept, as a database projection keeps them"
    );
    assert_eq!(
        select(&doc, &["-execution".into(), "-status".into()]),
        json!({"id": "t1", "name": "n"})
    );
}

proptest! {
    /// Pages are a partition of the unpaged answer, in the same order.
    #[test]
    fn pages_partition_the_answer(n in 0usize..40, size in 1usize..7, names in proptest::collection::vec("[a-c]{1,3}", 40)) {
        let docs: Vec<Value> = (0..n)
            .map(|i| json!({"id": format!("t{i:02}"), "name": names[i], "created": format!("2026-01-01T00:00:{:02}.000+00:00", i % 7)}))
            .collect();
        let all = q(json!({"order_by": ["name"]})).run(docs.clone());
        let mut paged = Vec::new();
        for page in 0..=(n / size) {
            paged.extend(q(json!({"order_by": ["name"], "page": page, "page_size": size})).run(docs.clone()));
        }
        prop_assert_eq!(all, paged);
    }

    /// A tag list with exclusions never returns a document that has an excluded tag.
    #[test]
    fn excluded_tags_never_come_back(tagsets in proptest::collection::vec(proptest::collection::vec("[abc]", 0..3), 1..12), excluded in "[abc]") {
        let docs: Vec<Value> = tagsets.iter().enumerate().map(|(i, t)| json!({"id": format!("t{i}"), "tags": t})).collect();
        let hits = q(json!({"tags": [format!("-{excluded}")]})).run(docs);
        for d in hits {
            prop_assert!(!d["tags"].as_array().unwrap().contains(&json!(excluded)));
        }
    }
}

#[test]
fn every_code_crosses_the_wire_as_its_status_and_subcode() {
    for code in Code::ALL {
        let wire = serde_json::to_value(code).unwrap();
        let (status, subcode) = code.codes();
        assert_eq!(wire, json!(u32::from(status) * 10_000 + u32::from(subcode)));
        assert_eq!(serde_json::from_value::<Code>(wire).unwrap(), code);
    }
    assert!(serde_json::from_value::<Code>(json!(4_000_099)).is_err());
}
