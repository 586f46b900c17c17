//! Service accounts: non-person accounts with key pairs, optionally allowed to act as a member.

use app::api::backend::{Caller, LoginAttempt};
use app::api::service_accounts::CreatedServiceAccount;
use app::domain::{AppError, Role};
use atrium_server::db::Db;

use crate::common::workspace::Workspace;

/// The "CI agent" account, allowed to impersonate, and the caller its first key pair authenticates.
async fn ci_agent(w: &Workspace) -> (CreatedServiceAccount, Caller) {
    let created = w
        .services
        .service_accounts
        .create(&w.proof(), "CI agent", true)
        .await
        .unwrap();
    let caller = w
        .services
        .credentials
        .authenticate_basic(
            &created.credentials.info.access_key,
            &created.credentials.secret_key,
            "10.0.0.9",
        )
        .await
        .unwrap();
    (created, caller)
}

/// A token for `caller` acting as Ada.
async fn as_ada(w: &Workspace, caller: &Caller) -> String {
    w.services
        .credentials
        .issue_token(caller, None, Some(&w.ada.id))
        .await
        .unwrap()
        .0
}

async fn a_new_account_is_named_from_its_title_and_has_a_key_pair(db: Db) {
    let w = Workspace::new(db).await;
    let (created, _) = ci_agent(&w).await;
    assert!(created.account.username.starts_with("sa-ci-agent-"));
    assert_eq!(created.account.credentials, 1);
}

async fn an_impersonating_token_acts_as_the_person_with_a_members_rights(db: Db) {
    let w = Workspace::new(db).await;
    let (_, caller) = ci_agent(&w).await;
    let token = as_ada(&w, &caller).await;
    let acting = w
        .services
        .credentials
        .authenticate_token(&token)
        .await
        .unwrap();
    assert_eq!(
        (acting.identity.user_id.as_str(), acting.identity.role),
        (w.ada.id.as_str(), Role::Member)
    );
}

async fn the_list_shows_when_an_account_was_last_active(db: Db) {
    let w = Workspace::new(db).await;
    ci_agent(&w).await;
    let listed = w.services.service_accounts.list(&w.proof()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_active_ms.is_some());
}

async fn a_service_account_is_not_listed_among_users(db: Db) {
    let w = Workspace::new(db).await;
    let (created, _) = ci_agent(&w).await;
    assert!(
        w.services
            .users
            .overview(&w.proof())
            .await
            .unwrap()
            .users
            .iter()
            .all(|u| u.email != created.account.username),
        "not a person"
    );
}

async fn a_service_account_cannot_log_in_to_the_console(db: Db) {
    let w = Workspace::new(db).await;
    let (created, _) = ci_agent(&w).await;
    let login = w
        .services
        .sessions
        .login(LoginAttempt {
            login: created.account.username.clone(),
            password: "x".into(),
            client_ip: "ip".into(),
        })
        .await;
    assert!(matches!(login, Err(AppError::Forbidden(_))));
}

async fn turning_impersonation_off_refuses_impersonating_tokens(db: Db) {
    let w = Workspace::new(db).await;
    let (created, caller) = ci_agent(&w).await;
    w.services
        .service_accounts
        .update(&w.proof(), &created.account.id, "CI runner", false)
        .await
        .unwrap();
    assert!(
        w.services
            .credentials
            .issue_token(&caller, None, Some(&w.ada.id))
            .await
            .is_err(),
        "impersonation turned off"
    );
}

async fn an_account_can_have_more_key_pairs(db: Db) {
    let w = Workspace::new(db).await;
    let service_accounts = &w.services.service_accounts;
    let (created, _) = ci_agent(&w).await;
    service_accounts
        .create_credentials(&w.proof(), &created.account.id, "second")
        .await
        .unwrap();
    assert_eq!(
        service_accounts
            .credentials(&w.proof(), &created.account.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn revoking_a_key_pair_ends_its_tokens(db: Db) {
    let w = Workspace::new(db).await;
    let (created, caller) = ci_agent(&w).await;
    let token = as_ada(&w, &caller).await;
    w.services
        .service_accounts
        .revoke_credentials(
            &w.proof(),
            &created.account.id,
            &created.credentials.info.access_key,
        )
        .await
        .unwrap();
    assert!(
        w.services
            .credentials
            .authenticate_token(&token)
            .await
            .is_err()
    );
}

async fn deleting_an_account_ends_every_key_pair(db: Db) {
    let w = Workspace::new(db).await;
    let service_accounts = &w.services.service_accounts;
    let (created, _) = ci_agent(&w).await;
    let more = service_accounts
        .create_credentials(&w.proof(), &created.account.id, "second")
        .await
        .unwrap();
    service_accounts
        .delete(&w.proof(), &created.account.id)
        .await
        .unwrap();
    assert!(
        w.services
            .credentials
            .authenticate_basic(&more.info.access_key, &more.secret_key, "x")
            .await
            .is_err()
    );
    assert!(service_accounts.list(&w.proof()).await.unwrap().is_empty());
}

async fn members_cannot_see_service_accounts(db: Db) {
    let w = Workspace::new(db).await;
    assert!(matches!(
        w.member.admin("see service accounts"),
        Err(AppError::Forbidden(_))
    ));
}

crate::on_both_databases!(
    a_new_account_is_named_from_its_title_and_has_a_key_pair,
    an_impersonating_token_acts_as_the_person_with_a_members_rights,
    the_list_shows_when_an_account_was_last_active,
    a_service_account_is_not_listed_among_users,
    a_service_account_cannot_log_in_to_the_console,
    turning_impersonation_off_refuses_impersonating_tokens,
    an_account_can_have_more_key_pairs,
    revoking_a_key_pair_ends_its_tokens,
    deleting_an_account_ends_every_key_pair,
    members_cannot_see_service_accounts,
);
