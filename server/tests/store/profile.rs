//! Profile: renaming oneself, audited in the same transaction.

use atrium_server::db::Db;

use crate::common::workspace::Workspace;

async fn rename_trims_and_audits(db: Db) {
    let w = Workspace::new(db).await;
    let p = w
        .services
        .profile
        .rename(&w.admin, "  Ada Lovelace ")
        .await
        .unwrap();
    assert_eq!(p.name, "Ada Lovelace");
    let entries = w.audit("user").await;
    assert_eq!(entries[0].action, "user.rename");
    assert_eq!(entries[0].summary["before"]["name"], w.ada.name.as_str());
    assert_eq!(entries[0].summary["after"]["name"], "Ada Lovelace");
}

async fn an_empty_or_too_long_name_is_refused(db: Db) {
    let w = Workspace::new(db).await;
    let profile = &w.services.profile;
    assert_eq!(
        profile.rename(&w.admin, "").await.unwrap_err().field(),
        Some("name")
    );
    assert_eq!(
        profile
            .rename(&w.admin, &"x".repeat(81))
            .await
            .unwrap_err()
            .field(),
        Some("name")
    );
}

async fn a_refused_rename_changes_nothing_and_writes_no_audit_entry(db: Db) {
    let w = Workspace::new(db).await;
    let profile = &w.services.profile;
    profile.rename(&w.admin, "Ada Lovelace").await.unwrap();
    let entries = w.audit("user").await;
    assert!(profile.rename(&w.admin, "").await.is_err());
    assert!(profile.rename(&w.admin, &"x".repeat(81)).await.is_err());
    assert_eq!(profile.get(&w.admin).await.unwrap().name, "Ada Lovelace");
    let after = w.audit("user").await;
    assert_eq!(
        after.len(),
        entries.len(),
        "a refused rename writes no audit entry"
    );
}

crate::on_both_databases!(
    rename_trims_and_audits,
    an_empty_or_too_long_name_is_refused,
    a_refused_rename_changes_nothing_and_writes_no_audit_entry,
);
