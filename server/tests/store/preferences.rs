//! Preferences: saved whole, normalised, and refused whole when a part is invalid.

use app::domain::preferences::Preferences;
use atrium_server::db::Db;

use crate::common::workspace::Workspace;

async fn the_defaults_until_something_is_saved(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        w.services.preferences.get(&w.member).await.unwrap(),
        Preferences::default()
    );
}

/// Bob's preferences once he has hidden the `hf_token` argument (in two spellings) and the tips.
async fn saved(w: &Workspace) -> Preferences {
    let wanted = Preferences {
        hide_tips: true,
        hidden_container_args: vec!["hf_token".into(), "HF_TOKEN".into()],
        ..Default::default()
    };
    w.services
        .preferences
        .save(&w.member, wanted)
        .await
        .unwrap()
}

async fn hidden_container_args_are_upper_cased_once_each(db: Db) {
    let w = Workspace::new(db).await;
    let saved = saved(&w).await;
    assert_eq!(saved.hidden_container_args, vec!["HF_TOKEN".to_string()]);
    assert_eq!(w.services.preferences.get(&w.member).await.unwrap(), saved);
}

async fn saving_again_replaces_what_was_saved(db: Db) {
    let w = Workspace::new(db).await;
    let again = Preferences {
        show_hidden_projects: true,
        ..saved(&w).await
    };
    let preferences = &w.services.preferences;
    preferences.save(&w.member, again.clone()).await.unwrap();
    assert_eq!(preferences.get(&w.member).await.unwrap(), again);
}

/// A bad list is refused whole: nothing changes, nothing is audited.
async fn a_bad_list_is_refused_whole_and_not_audited(db: Db) {
    let w = Workspace::new(db).await;
    let preferences = &w.services.preferences;
    let before = saved(&w).await;
    let audited = w.audit_all().await.len();
    let bad = Preferences {
        hidden_container_args: vec!["OK".into(), "not ok".into()],
        ..before.clone()
    };
    assert_eq!(
        preferences.save(&w.member, bad).await.unwrap_err().field(),
        Some("hidden_container_args")
    );
    assert_eq!(preferences.get(&w.member).await.unwrap(), before);
    assert_eq!(w.audit_all().await.len(), audited);
}

crate::on_both_databases!(
    the_defaults_until_something_is_saved,
    hidden_container_args_are_upper_cased_once_each,
    saving_again_replaces_what_was_saved,
    a_bad_list_is_refused_whole_and_not_audited,
);
