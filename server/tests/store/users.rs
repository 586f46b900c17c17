//! Users: accounts made through the service, found by login name, placed in workspaces; the
//! administrators' overview, roles and removal.

use app::domain::{AppError, Role};
use atrium_server::db::Db;
use atrium_server::services::users::{NewUser, Placement};
use atrium_server::store;

use crate::common::workspace::{RESEARCH, Workspace, token_in};
use crate::common::{identity_of, services_over, user};

async fn emails_are_lowercased_and_the_username_comes_from_the_email(db: Db) {
    let s = services_over(db);
    let a = user(&s, "Ada@Example.com", Role::Admin, "Research").await;
    assert_eq!(a.email, "ada@example.com");
    assert_eq!(a.username, "ada");
}

async fn a_named_workspace_is_joined_not_created_twice(db: Db) {
    let s = services_over(db);
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let b = user(&s, "bob@example.com", Role::Member, "Research").await;
    assert_eq!(
        a.workspace_id, b.workspace_id,
        "a named workspace is joined, not created twice"
    );
    let c = user(&s, "cy@example.com", Role::Member, "Other").await;
    assert_ne!(c.workspace_id, a.workspace_id);
}

async fn the_first_person_in_a_new_workspace_administers_it(db: Db) {
    let s = services_over(db);
    // The first person in a new workspace owns and administers it; the next one is a member.
    let owner = user(&s, "ada@example.com", Role::Member, "Research").await;
    assert_eq!(owner.role, Role::Admin);
    let m = user(&s, "max@example.com", Role::Member, "Research").await;
    assert_eq!(m.role, Role::Member);
}

async fn users_are_found_by_username_or_email_in_any_case(db: Db) {
    let w = Workspace::new(db).await;
    let mut conn = w.conn().await;
    for login in ["ada", "ADA@example.com", " ada@example.com "] {
        assert_eq!(
            store::users::find_by_login(&mut conn, login)
                .await
                .unwrap()
                .unwrap()
                .id,
            w.ada.id,
            "{login}"
        );
    }
}

async fn an_unknown_login_finds_nobody(db: Db) {
    let w = Workspace::new(db).await;
    let mut conn = w.conn().await;
    assert!(
        store::users::find_by_login(&mut conn, "nobody")
            .await
            .unwrap()
            .is_none()
    );
}

async fn the_default_membership_is_the_workspace_joined(db: Db) {
    let w = Workspace::new(db).await;
    let mut conn = w.conn().await;
    assert_eq!(
        store::users::default_membership(&mut conn, &w.bob.id)
            .await
            .unwrap(),
        Some((w.ada.workspace_id.clone(), Role::Member))
    );
}

async fn users_are_counted(db: Db) {
    let w = Workspace::new(db).await;
    w.person("cy@example.com", Role::Member, "Other").await;
    let mut conn = w.conn().await;
    assert_eq!(store::users::count_users(&mut conn).await.unwrap(), 3);
}

async fn a_taken_email_is_refused(db: Db) {
    let w = Workspace::new(db).await;
    let dup = w
        .services
        .users
        .create(NewUser {
            email: "ada@example.com".into(),
            name: "Another Ada".into(),
            username: Some("ada2".into()),
            password: "password-123".into(),
            role: Role::Member,
            workspace: Placement::Named(RESEARCH.into()),
        })
        .await;
    assert!(
        matches!(&dup, Err(AppError::Taken { field, .. }) if field == "email"),
        "{dup:?}"
    );
}

async fn an_invalid_email_names_the_field(db: Db) {
    let s = services_over(db);
    let bad = s
        .users
        .create(NewUser {
            email: "not-an-email".into(),
            name: "X".into(),
            username: None,
            password: "password-123".into(),
            role: Role::Member,
            workspace: Placement::Default,
        })
        .await;
    assert_eq!(bad.unwrap_err().field(), Some("email"));
}

async fn members_cannot_see_the_users_overview(db: Db) {
    let w = Workspace::new(db).await;
    assert!(matches!(
        w.member.admin("see the workspace's users"),
        Err(AppError::Forbidden(_))
    ));
}

async fn the_overview_counts_members_and_pending_invitations(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    s.workspaces
        .invite(&w.proof(), "new@example.com")
        .await
        .unwrap();
    let o = s.users.overview(&w.proof()).await.unwrap();
    assert_eq!(o.seats_used, 3);
    assert_eq!(o.users.iter().filter(|u| u.pending).count(), 1);
    assert!(
        o.users
            .iter()
            .any(|u| u.is_you && u.email == "ada@example.com")
    );
}

async fn the_last_administrator_cannot_be_demoted(db: Db) {
    let w = Workspace::new(db).await;
    assert!(matches!(
        w.services
            .users
            .set_role(&w.proof(), &w.ada.id, Role::Member)
            .await,
        Err(AppError::Forbidden(_))
    ));
}

async fn roles_can_be_given_and_taken_back(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let role_of_bob = async || {
        let mut conn = w.conn().await;
        store::users::default_membership(&mut conn, &w.bob.id)
            .await
            .unwrap()
            .map(|(_, role)| role)
    };
    s.users
        .set_role(&w.proof(), &w.bob.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(role_of_bob().await, Some(Role::Admin));
    s.users
        .set_role(&w.proof(), &w.bob.id, Role::Member)
        .await
        .unwrap();
    assert_eq!(role_of_bob().await, Some(Role::Member));
}

async fn members_of_other_workspaces_are_out_of_reach(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let outsider = w.person("oz@example.com", Role::Admin, "Elsewhere").await;
    assert!(
        matches!(
            s.users
                .set_role(&w.proof(), &outsider.id, Role::Admin)
                .await,
            Err(AppError::NotFound(_))
        ),
        "other workspaces are out of reach"
    );
    assert!(matches!(
        s.users
            .remove(&identity_of(&outsider).admin("test").unwrap(), &w.bob.id)
            .await,
        Err(AppError::NotFound(_))
    ));
}

async fn removal_ends_the_members_credentials_tokens_and_sessions_at_once(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let key = s
        .credentials
        .create(&w.member, None, "", None)
        .await
        .unwrap();
    let caller = s
        .credentials
        .authenticate_basic(&key.info.access_key, &key.secret_key, "x")
        .await
        .unwrap();
    let (token, _) = s
        .credentials
        .issue_token(&caller, None, None)
        .await
        .unwrap();
    let session = w.login("bob").await;
    s.users.remove(&w.proof(), &w.bob.id).await.unwrap();
    assert!(
        s.credentials
            .authenticate_basic(&key.info.access_key, &key.secret_key, "x")
            .await
            .is_err()
    );
    assert!(s.credentials.authenticate_token(&token).await.is_err());
    assert!(
        s.sessions
            .resolve_cookie(&session.cookie_value)
            .await
            .unwrap()
            .is_none()
    );
}

async fn the_last_administrator_cannot_be_removed(db: Db) {
    let w = Workspace::new(db).await;
    assert!(
        matches!(
            w.services.users.remove(&w.proof(), &w.ada.id).await,
            Err(AppError::Forbidden(_))
        ),
        "nor the last administrator"
    );
}

async fn removal_is_audited(db: Db) {
    let w = Workspace::new(db).await;
    w.services
        .users
        .remove(&w.proof(), &w.bob.id)
        .await
        .unwrap();
    let log = w.audit("user").await;
    assert!(log.iter().any(|e| e.action == "member.remove"));
}

async fn resending_an_invitation_gives_a_working_link(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    s.workspaces
        .invite(&w.proof(), "new@example.com")
        .await
        .unwrap();
    let pending = s
        .users
        .overview(&w.proof())
        .await
        .unwrap()
        .users
        .into_iter()
        .find(|u| u.pending)
        .unwrap();
    let resent = s
        .users
        .resend_invitation(&w.proof(), &pending.id)
        .await
        .unwrap();
    let token = token_in(resent.delivery.link());
    assert!(s.workspaces.invitation(&token).await.unwrap().is_some());
}

crate::on_both_databases!(
    emails_are_lowercased_and_the_username_comes_from_the_email,
    a_named_workspace_is_joined_not_created_twice,
    the_first_person_in_a_new_workspace_administers_it,
    users_are_found_by_username_or_email_in_any_case,
    an_unknown_login_finds_nobody,
    the_default_membership_is_the_workspace_joined,
    users_are_counted,
    a_taken_email_is_refused,
    an_invalid_email_names_the_field,
    members_cannot_see_the_users_overview,
    the_overview_counts_members_and_pending_invitations,
    the_last_administrator_cannot_be_demoted,
    roles_can_be_given_and_taken_back,
    members_of_other_workspaces_are_out_of_reach,
    removal_ends_the_members_credentials_tokens_and_sessions_at_once,
    the_last_administrator_cannot_be_removed,
    removal_is_audited,
    resending_an_invitation_gives_a_working_link,
);
