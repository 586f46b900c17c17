//! User groups: the built-in groups, a workspace's own groups, and their members.

use app::domain::AppError;
use atrium_server::db::Db;
use atrium_server::store;

use crate::common::workspace::Workspace;

/// Vision, with Bob (named twice).
async fn vision(w: &Workspace) {
    w.services
        .groups
        .save(
            &w.proof(),
            None,
            "Vision",
            "Image models",
            &[w.bob.id.clone(), w.bob.id.clone()],
        )
        .await
        .unwrap();
}

async fn the_built_in_groups_are_made_once(db: Db) {
    let w = Workspace::new(db).await;
    let groups = &w.services.groups;
    let o = groups.overview(&w.proof()).await.unwrap();
    let o2 = groups.overview(&w.proof()).await.unwrap();
    assert_eq!(o.groups.len(), 3, "built-ins made once");
    assert_eq!(
        o2.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>(),
        o.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>()
    );
}

async fn a_member_named_twice_is_in_the_group_once(db: Db) {
    let w = Workspace::new(db).await;
    vision(&w).await;
    assert_eq!(w.group_named("Vision").await.members.len(), 1);
}

async fn group_names_are_unique(db: Db) {
    let w = Workspace::new(db).await;
    vision(&w).await;
    assert!(matches!(
        w.services.groups.save(&w.proof(), None, "Vision", "", &[]).await,
        Err(AppError::Taken { field, .. }) if field == "name"
    ));
}

/// Removing the member from the workspace takes them out of its groups.
async fn leaving_the_workspace_takes_one_out_of_its_groups(db: Db) {
    let w = Workspace::new(db).await;
    vision(&w).await;
    w.services
        .users
        .remove(&w.proof(), &w.bob.id)
        .await
        .unwrap();
    let vision = w.group_named("Vision").await;
    assert!(vision.members.is_empty());
    let mut conn = w.conn().await;
    assert!(
        store::groups::members(&mut conn, &vision.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_workspaces_own_group_can_be_deleted(db: Db) {
    let w = Workspace::new(db).await;
    vision(&w).await;
    let vision = w.group_named("Vision").await;
    w.services
        .groups
        .delete(&w.proof(), &vision.id)
        .await
        .unwrap();
    let groups = w.services.groups.overview(&w.proof()).await.unwrap().groups;
    assert!(groups.iter().all(|g| g.name != "Vision"));
}

async fn built_in_groups_cannot_be_deleted(db: Db) {
    let w = Workspace::new(db).await;
    let builtin = w.services.groups.overview(&w.proof()).await.unwrap().groups[0]
        .id
        .clone();
    assert!(matches!(
        w.services.groups.delete(&w.proof(), &builtin).await,
        Err(AppError::Forbidden(_))
    ));
}

crate::on_both_databases!(
    the_built_in_groups_are_made_once,
    a_member_named_twice_is_in_the_group_once,
    group_names_are_unique,
    leaving_the_workspace_takes_one_out_of_its_groups,
    a_workspaces_own_group_can_be_deleted,
    built_in_groups_cannot_be_deleted,
);
