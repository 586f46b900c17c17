//! Sessions: the session rows, logging in and out, throttled failures, and the one-time set-up link
//! that makes the first administrator.

use app::api::backend::{Caller, LoginAttempt};
use app::api::sessions::SetupForm;
use app::domain::throttle::{MAX_FAILURES, WINDOW_MS};
use app::domain::{AppError, Role};
use atrium_server::db::Db;
use atrium_server::services::Services;
use atrium_server::store::{self, sessions::NewSessionRow};

use crate::common::services_over;
use crate::common::workspace::Workspace;

/// Two session rows for Ada made at 1 000 ms: "live" until 10 000 ms, "old" until 2 000 ms.
async fn two_sessions(w: &Workspace) {
    let mut conn = w.conn().await;
    let row = |hash: &'static str, expires_ms| NewSessionRow {
        id_hash: hash,
        user_id: &w.ada.id,
        workspace_id: &w.ada.workspace_id,
        now_ms: 1_000,
        expires_ms,
        client_ip: "127.0.0.1",
        tip_pending: true,
    };
    store::sessions::insert(&mut conn, row("live", 10_000))
        .await
        .unwrap();
    store::sessions::insert(&mut conn, row("old", 2_000))
        .await
        .unwrap();
}

async fn a_live_session_carries_the_identity_and_a_pending_tip(db: Db) {
    let w = Workspace::new(db).await;
    two_sessions(&w).await;
    let mut conn = w.conn().await;
    let live = store::sessions::find_live(&mut conn, "live", 5_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.identity.user_id, w.ada.id);
    assert_eq!(live.identity.role, Role::Admin);
    assert_eq!(live.identity.workspace_name, "Research");
    assert!(live.tip_pending);
}

async fn a_cleared_tip_stays_cleared(db: Db) {
    let w = Workspace::new(db).await;
    two_sessions(&w).await;
    let mut conn = w.conn().await;
    store::sessions::clear_tip(&mut conn, "live").await.unwrap();
    assert!(
        !store::sessions::find_live(&mut conn, "live", 5_000)
            .await
            .unwrap()
            .unwrap()
            .tip_pending
    );
}

async fn an_expired_session_is_not_live(db: Db) {
    let w = Workspace::new(db).await;
    two_sessions(&w).await;
    let mut conn = w.conn().await;
    assert!(
        store::sessions::find_live(&mut conn, "old", 5_000)
            .await
            .unwrap()
            .is_none()
    );
}

async fn expired_sessions_are_deleted_together(db: Db) {
    let w = Workspace::new(db).await;
    two_sessions(&w).await;
    let mut conn = w.conn().await;
    assert_eq!(
        store::sessions::delete_expired(&mut conn, 5_000)
            .await
            .unwrap(),
        1
    );
}

async fn a_deleted_session_is_gone(db: Db) {
    let w = Workspace::new(db).await;
    two_sessions(&w).await;
    let mut conn = w.conn().await;
    assert_eq!(store::sessions::delete(&mut conn, "live").await.unwrap(), 1);
    assert!(
        store::sessions::find_live(&mut conn, "live", 5_000)
            .await
            .unwrap()
            .is_none()
    );
}

fn attempt(login: &str, password: &str) -> LoginAttempt {
    LoginAttempt {
        login: login.into(),
        password: password.into(),
        client_ip: "127.0.0.1".into(),
    }
}

async fn an_empty_login_names_the_field(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        w.services
            .sessions
            .login(attempt("", "x"))
            .await
            .unwrap_err()
            .field(),
        Some("login")
    );
}

async fn a_wrong_password_and_an_unknown_name_are_alike_unauthorised(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    assert_eq!(
        s.sessions.login(attempt("ada", "wrong")).await.unwrap_err(),
        AppError::Unauthorized
    );
    assert_eq!(
        s.sessions
            .login(attempt("ghost", "wrong"))
            .await
            .unwrap_err(),
        AppError::Unauthorized
    );
}

/// Ada logs in with her e-mail address in another case; her session's caller.
async fn logged_in(w: &Workspace) -> (String, Caller) {
    let session = w
        .services
        .sessions
        .login(attempt("ADA@example.com", "password-123"))
        .await
        .unwrap();
    let caller = w
        .services
        .sessions
        .resolve_cookie(&session.cookie_value)
        .await
        .unwrap()
        .expect("live session");
    (session.cookie_value, caller)
}

async fn the_session_cookie_resolves_to_the_user(db: Db) {
    let w = Workspace::new(db).await;
    let (_, caller) = logged_in(&w).await;
    assert_eq!(caller.identity.user_id, w.ada.id);
}

async fn a_forged_cookie_resolves_to_nobody(db: Db) {
    let w = Workspace::new(db).await;
    assert!(
        w.services
            .sessions
            .resolve_cookie("forged")
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_tip_shows_after_login_until_dismissed(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let (_, caller) = logged_in(&w).await;
    let info = s.sessions.current(&caller).await.unwrap();
    assert!(info.tip.is_some(), "a tip after login");
    s.sessions.dismiss_tip(&caller).await.unwrap();
    assert!(s.sessions.current(&caller).await.unwrap().tip.is_none());
}

async fn logout_ends_the_session(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let (cookie, caller) = logged_in(&w).await;
    s.sessions.logout(&caller).await.unwrap();
    assert!(s.sessions.resolve_cookie(&cookie).await.unwrap().is_none());
}

async fn login_and_logout_are_audited(db: Db) {
    let w = Workspace::new(db).await;
    let (_, caller) = logged_in(&w).await;
    w.services.sessions.logout(&caller).await.unwrap();
    let log = w.audit("session").await;
    assert!(log.iter().any(|e| e.action == "session.logout"));
    assert!(log.iter().any(|e| e.action == "session.login"));
}

/// MAX_FAILURES wrong passwords for Ada, alternating her username and her e-mail address.
async fn fail_max_times(s: &Services) {
    for i in 0..MAX_FAILURES {
        let name = if i % 2 == 0 { "ada" } else { "ada@example.com" };
        assert_eq!(
            s.sessions.login(attempt(name, "wrong")).await.unwrap_err(),
            AppError::Unauthorized
        );
    }
}

/// MAX_FAILURES failures lock the account, even for the right password. Failures count per account,
/// whichever name is used for it.
async fn failures_lock_the_account_whichever_name_is_used(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    fail_max_times(s).await;
    match s.sessions.login(attempt("ada", "password-123")).await {
        Err(AppError::RateLimited { retry_after_secs }) => {
            assert!(retry_after_secs > 0 && retry_after_secs <= 900)
        }
        other => panic!("expected a lock-out, got {other:?}"),
    }
}

async fn the_lock_ends_with_its_window(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    fail_max_times(s).await;
    s.core.clock.advance(WINDOW_MS);
    assert!(
        s.sessions
            .login(attempt("ada", "password-123"))
            .await
            .is_ok(),
        "the lock ends with its window"
    );
}

async fn a_success_clears_the_failures(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let wrong = s.sessions.login(attempt("ada", "wrong")).await;
    assert_eq!(wrong.unwrap_err(), AppError::Unauthorized);
    logged_in(&w).await;
    for _ in 1..MAX_FAILURES {
        assert_eq!(
            s.sessions.login(attempt("ada", "wrong")).await.unwrap_err(),
            AppError::Unauthorized
        );
    }
    assert!(
        s.sessions
            .login(attempt("ada", "password-123"))
            .await
            .is_ok(),
        "the failure before the success no longer counts"
    );
}

async fn sessions_expire(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let short = s
        .sessions
        .login(attempt("ada", "password-123"))
        .await
        .unwrap();
    s.core.clock.advance(s.core.settings.session_ms + 1);
    assert!(
        s.sessions
            .resolve_cookie(&short.cookie_value)
            .await
            .unwrap()
            .is_none()
    );
}

/// The set-up link an empty database opens, and the form that completes it.
async fn setup_link(s: &Services) -> String {
    s.sessions
        .open_setup_link_if_empty()
        .await
        .unwrap()
        .expect("no users yet")
}

fn setup_form(token: &str, password_confirm: &str) -> SetupForm {
    SetupForm {
        token: token.into(),
        workspace: "Founders".into(),
        name: "Grace Hopper".into(),
        email: "grace@example.com".into(),
        password: "compilers-rule-1".into(),
        password_confirm: password_confirm.into(),
    }
}

async fn the_setup_link_opens_only_with_its_token(db: Db) {
    let s = services_over(db);
    let token = setup_link(&s).await;
    assert!(s.sessions.setup_open(&token).await.unwrap());
    assert!(!s.sessions.setup_open("guess").await.unwrap());
}

async fn a_refused_setup_form_leaves_the_link_open(db: Db) {
    let s = services_over(db);
    let token = setup_link(&s).await;
    let err = s
        .sessions
        .complete_setup(setup_form(&token, "nope"), "ip".into())
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("password_confirm"));
    assert!(
        s.sessions.setup_open(&token).await.unwrap(),
        "a refused form leaves the link open"
    );
}

async fn setup_makes_the_first_administrator_and_logs_them_in(db: Db) {
    let s = services_over(db);
    let token = setup_link(&s).await;
    let session = s
        .sessions
        .complete_setup(setup_form(&token, "compilers-rule-1"), "ip".into())
        .await
        .unwrap();
    let caller: Caller = s
        .sessions
        .resolve_cookie(&session.cookie_value)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(caller.identity.role, Role::Admin);
    assert_eq!(caller.identity.workspace_name, "Founders");
}

async fn the_setup_link_works_once(db: Db) {
    let s = services_over(db);
    let token = setup_link(&s).await;
    s.sessions
        .complete_setup(setup_form(&token, "compilers-rule-1"), "ip".into())
        .await
        .unwrap();
    assert!(!s.sessions.setup_open(&token).await.unwrap());
    assert!(matches!(
        s.sessions
            .complete_setup(setup_form(&token, "compilers-rule-1"), "ip".into())
            .await,
        Err(AppError::Forbidden(_))
    ));
}

async fn no_setup_link_once_someone_exists(db: Db) {
    let s = services_over(db);
    let token = setup_link(&s).await;
    s.sessions
        .complete_setup(setup_form(&token, "compilers-rule-1"), "ip".into())
        .await
        .unwrap();
    assert!(
        s.sessions
            .open_setup_link_if_empty()
            .await
            .unwrap()
            .is_none(),
        "no new link once someone exists"
    );
}

crate::on_both_databases!(
    a_live_session_carries_the_identity_and_a_pending_tip,
    a_cleared_tip_stays_cleared,
    an_expired_session_is_not_live,
    expired_sessions_are_deleted_together,
    a_deleted_session_is_gone,
    an_empty_login_names_the_field,
    a_wrong_password_and_an_unknown_name_are_alike_unauthorised,
    the_session_cookie_resolves_to_the_user,
    a_forged_cookie_resolves_to_nobody,
    a_tip_shows_after_login_until_dismissed,
    logout_ends_the_session,
    login_and_logout_are_audited,
    failures_lock_the_account_whichever_name_is_used,
    the_lock_ends_with_its_window,
    a_success_clears_the_failures,
    sessions_expire,
    the_setup_link_opens_only_with_its_token,
    a_refused_setup_form_leaves_the_link_open,
    setup_makes_the_first_administrator_and_logs_them_in,
    the_setup_link_works_once,
    no_setup_link_once_someone_exists,
);
