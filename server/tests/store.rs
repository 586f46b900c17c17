//! The store suite: the same tests on SQLite and on PostgreSQL, through the store functions and the
//! services that compose them into transactions.

mod common;

use app::api::auth::SetupForm;
use app::api::backend::{AccountPort, AuditPort, Caller, LoginAttempt, SessionPort};
use app::domain::audit::AuditQuery;
use app::domain::identity::Channel;
use app::domain::prefs::Preferences;
use app::domain::throttle::{Counter, MAX_FAILURES, WINDOW_MS};
use app::domain::{AppError, Identity, Role};
use atrium_server::crypto;
use atrium_server::db::{self, Db};
use atrium_server::store::{self, audit::NewEntry, sessions::NewSessionRow};
use common::{services_over, user};

fn identity_of(u: &atrium_server::services::accounts::CreatedUser) -> Identity {
    Identity {
        user_id: u.id.clone(),
        user_name: u.name.clone(),
        email: u.email.clone(),
        workspace_id: u.workspace_id.clone(),
        workspace_name: u.workspace_name.clone(),
        role: u.role,
        channel: Channel::Web,
    }
}

async fn migrations_are_idempotent(db: Db) {
    db::migrate(&db).await.expect("second run is a no-op");
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(store::users::count_users(&mut conn).await.unwrap(), 0);
}

async fn users_and_workspaces(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "Ada@Example.com", Role::Admin, "Research").await;
    assert_eq!(a.email, "ada@example.com");
    assert_eq!(a.username, "ada");
    let b = user(&s, "bob@example.com", Role::Member, "Research").await;
    assert_eq!(
        a.workspace_id, b.workspace_id,
        "a named workspace is joined, not created twice"
    );
    let c = user(&s, "cy@example.com", Role::Member, "Other").await;
    assert_ne!(c.workspace_id, a.workspace_id);

    let mut conn = db.pool.acquire().await.unwrap();
    for login in ["ada", "ADA@example.com", " ada@example.com "] {
        assert_eq!(
            store::users::find_by_login(&mut conn, login)
                .await
                .unwrap()
                .unwrap()
                .id,
            a.id,
            "{login}"
        );
    }
    assert!(
        store::users::find_by_login(&mut conn, "nobody")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store::users::default_membership(&mut conn, &b.id)
            .await
            .unwrap(),
        Some((a.workspace_id.clone(), Role::Member))
    );
    assert_eq!(store::users::count_users(&mut conn).await.unwrap(), 3);
    drop(conn);

    let dup = s
        .accounts
        .create_user(atrium_server::services::accounts::NewUser {
            email: "ada@example.com".into(),
            name: "Another Ada".into(),
            username: Some("ada2".into()),
            password: "password-123".into(),
            role: Role::Member,
            workspace: atrium_server::services::accounts::Placement::Named("Research".into()),
        })
        .await;
    assert!(matches!(dup, Err(AppError::Conflict(_))), "{dup:?}");
    let bad = s
        .accounts
        .create_user(atrium_server::services::accounts::NewUser {
            email: "not-an-email".into(),
            name: "X".into(),
            username: None,
            password: "password-123".into(),
            role: Role::Member,
            workspace: atrium_server::services::accounts::Placement::Default,
        })
        .await;
    assert_eq!(bad.unwrap_err().field(), Some("email"));
}

async fn sessions_live_and_expire(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let mut conn = db.pool.acquire().await.unwrap();
    let row = |hash: &'static str, expires_ms| NewSessionRow {
        id_hash: hash,
        user_id: &a.id,
        workspace_id: &a.workspace_id,
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
    let live = store::sessions::find_live(&mut conn, "live", 5_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.identity.user_id, a.id);
    assert_eq!(live.identity.role, Role::Admin);
    assert_eq!(live.identity.workspace_name, "Research");
    assert!(live.tip_pending);
    store::sessions::clear_tip(&mut conn, "live").await.unwrap();
    assert!(
        !store::sessions::find_live(&mut conn, "live", 5_000)
            .await
            .unwrap()
            .unwrap()
            .tip_pending
    );
    assert!(
        store::sessions::find_live(&mut conn, "old", 5_000)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store::sessions::delete_expired(&mut conn, 5_000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store::sessions::delete(&mut conn, "live").await.unwrap(), 1);
    assert!(
        store::sessions::find_live(&mut conn, "live", 5_000)
            .await
            .unwrap()
            .is_none()
    );
}

async fn preferences_round_trip(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Member, "Research").await;
    let who = identity_of(&a);
    assert_eq!(
        s.accounts.preferences(&who).await.unwrap(),
        Preferences::default()
    );
    let wanted = Preferences {
        hide_tips: true,
        hidden_container_args: vec!["hf_token".into(), "HF_TOKEN".into()],
        ..Default::default()
    };
    let saved = s.accounts.save_preferences(&who, wanted).await.unwrap();
    assert_eq!(saved.hidden_container_args, vec!["HF_TOKEN".to_string()]);
    assert_eq!(s.accounts.preferences(&who).await.unwrap(), saved);
    let again = Preferences {
        show_hidden_projects: true,
        ..saved.clone()
    };
    s.accounts
        .save_preferences(&who, again.clone())
        .await
        .unwrap();
    assert_eq!(s.accounts.preferences(&who).await.unwrap(), again);

    // A bad list is refused whole: nothing changes, nothing is audited.
    let audited = s
        .audit
        .list(
            &Identity {
                role: Role::Admin,
                ..who.clone()
            },
            AuditQuery::default(),
        )
        .await
        .unwrap()
        .len();
    let bad = Preferences {
        hidden_container_args: vec!["OK".into(), "not ok".into()],
        ..again.clone()
    };
    assert_eq!(
        s.accounts
            .save_preferences(&who, bad)
            .await
            .unwrap_err()
            .field(),
        Some("hidden_container_args")
    );
    assert_eq!(s.accounts.preferences(&who).await.unwrap(), again);
    assert_eq!(
        s.audit
            .list(
                &Identity {
                    role: Role::Admin,
                    ..who
                },
                AuditQuery::default()
            )
            .await
            .unwrap()
            .len(),
        audited
    );
}

async fn rename_is_audited_in_the_same_transaction(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let who = identity_of(&a);
    let p = s.accounts.rename(&who, "  Ada Lovelace ").await.unwrap();
    assert_eq!(p.name, "Ada Lovelace");
    let entries = s
        .audit
        .list(
            &who,
            AuditQuery {
                object_type: Some("user".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(entries[0].action, "user.rename");
    assert_eq!(entries[0].summary["before"]["name"], a.name.as_str());
    assert_eq!(entries[0].summary["after"]["name"], "Ada Lovelace");
    assert_eq!(
        s.accounts.rename(&who, "").await.unwrap_err().field(),
        Some("name")
    );
    assert_eq!(
        s.accounts
            .rename(&who, &"x".repeat(81))
            .await
            .unwrap_err()
            .field(),
        Some("name")
    );
    assert_eq!(s.accounts.profile(&who).await.unwrap().name, "Ada Lovelace");
    let after = s
        .audit
        .list(
            &who,
            AuditQuery {
                object_type: Some("user".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        after.len(),
        entries.len(),
        "a refused rename writes no audit entry"
    );
}

async fn audit_is_scoped_filtered_and_paged(db: Db) {
    let mut conn = db.pool.acquire().await.unwrap();
    for i in 0..25i64 {
        for (ws, actor) in [("ws-a", "Ada"), ("ws-b", "Bob")] {
            store::audit::insert(
                &mut conn,
                NewEntry {
                    id: &format!("{ws}-{i:03}"),
                    workspace_id: Some(ws),
                    at_ms: 1_000 + (i / 2) * 10, // pairs share a timestamp: the cursor must break ties by id
                    actor_id: actor,
                    actor_name: actor,
                    actor_email: &format!("{}@example.com", actor.to_lowercase()),
                    channel: "web",
                    action: if i % 5 == 0 {
                        "preferences.update"
                    } else {
                        "user.rename"
                    },
                    object_type: if i % 5 == 0 { "preferences" } else { "user" },
                    object_id: "x",
                    object_name: "x",
                    summary: "{\"after\":{\"n\":1}}",
                },
            )
            .await
            .unwrap();
        }
    }
    let all = store::audit::list(
        &mut conn,
        "ws-a",
        &AuditQuery {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 25);
    assert!(
        all.iter().all(|e| e.actor_name == "Ada"),
        "another workspace's entries never show"
    );
    assert!(
        all.windows(2)
            .all(|w| (w[0].at_ms, &w[0].id) > (w[1].at_ms, &w[1].id)),
        "newest first"
    );
    assert_eq!(all[0].summary["after"]["n"], 1);

    // Paging with the cursor visits every entry exactly once.
    let mut seen = vec![];
    let mut q = AuditQuery {
        limit: Some(4),
        ..Default::default()
    };
    loop {
        let page = store::audit::list(&mut conn, "ws-a", &q).await.unwrap();
        if page.is_empty() {
            break;
        }
        q.before = page.last().map(|e| (e.at_ms, e.id.clone()));
        seen.extend(page.into_iter().map(|e| e.id));
    }
    assert_eq!(seen, all.iter().map(|e| e.id.clone()).collect::<Vec<_>>());

    let by_type = AuditQuery {
        object_type: Some("preferences".into()),
        ..Default::default()
    };
    assert_eq!(
        store::audit::list(&mut conn, "ws-a", &by_type)
            .await
            .unwrap()
            .len(),
        5
    );
    let by_actor = AuditQuery {
        actor: Some("ADA@EXAMPLE".into()),
        ..Default::default()
    };
    assert_eq!(
        store::audit::list(&mut conn, "ws-a", &by_actor)
            .await
            .unwrap()
            .len(),
        25
    );
    let nobody = AuditQuery {
        actor: Some("bob".into()),
        ..Default::default()
    };
    assert!(
        store::audit::list(&mut conn, "ws-a", &nobody)
            .await
            .unwrap()
            .is_empty()
    );
    let window = AuditQuery {
        from_ms: Some(1_020),
        to_ms: Some(1_050),
        ..Default::default()
    };
    let in_window = store::audit::list(&mut conn, "ws-a", &window)
        .await
        .unwrap();
    assert_eq!(in_window.len(), 6);
    assert!(in_window.iter().all(|e| (1_020..1_050).contains(&e.at_ms)));
    let wildcard = AuditQuery {
        actor: Some("%".into()),
        ..Default::default()
    };
    assert_eq!(
        store::audit::list(&mut conn, "ws-a", &wildcard)
            .await
            .unwrap()
            .len(),
        25,
        "'%' is not a wildcard"
    );
}

async fn throttle_counters(db: Db) {
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(store::throttle::get(&mut conn, "k").await.unwrap(), None);
    store::throttle::put(
        &mut conn,
        "k",
        Counter {
            window_start_ms: 5,
            failures: 1,
        },
    )
    .await
    .unwrap();
    store::throttle::put(
        &mut conn,
        "k",
        Counter {
            window_start_ms: 5,
            failures: 2,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        store::throttle::get(&mut conn, "k").await.unwrap(),
        Some(Counter {
            window_start_ms: 5,
            failures: 2
        })
    );
    store::throttle::clear(&mut conn, "k").await.unwrap();
    assert_eq!(store::throttle::get(&mut conn, "k").await.unwrap(), None);
}

async fn login_logout_and_throttling(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let attempt = |login: &str, password: &str| LoginAttempt {
        login: login.into(),
        password: password.into(),
        client_ip: "127.0.0.1".into(),
    };

    assert_eq!(
        s.sessions
            .login(attempt("", "x"))
            .await
            .unwrap_err()
            .field(),
        Some("login")
    );
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
    let session = s
        .sessions
        .login(attempt("ADA@example.com", "password-123"))
        .await
        .unwrap();
    let caller = s
        .sessions
        .resolve_cookie(&session.cookie_value)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(caller.identity.user_id, a.id);
    assert!(s.sessions.resolve_cookie("forged").await.unwrap().is_none());
    let info = s.sessions.session_info(&caller).await.unwrap();
    assert!(info.tip.is_some(), "a tip after login");
    s.sessions.dismiss_tip(&caller).await.unwrap();
    assert!(
        s.sessions
            .session_info(&caller)
            .await
            .unwrap()
            .tip
            .is_none()
    );
    s.sessions.logout(&caller).await.unwrap();
    assert!(
        s.sessions
            .resolve_cookie(&session.cookie_value)
            .await
            .unwrap()
            .is_none()
    );

    // A success clears the counter; MAX_FAILURES failures lock the account, even for the right password.
    // Failures count per account, whichever name is used for it.
    for i in 0..MAX_FAILURES {
        let name = if i % 2 == 0 { "ada" } else { "ada@example.com" };
        assert_eq!(
            s.sessions.login(attempt(name, "wrong")).await.unwrap_err(),
            AppError::Unauthorized
        );
    }
    match s.sessions.login(attempt("ada", "password-123")).await {
        Err(AppError::RateLimited { retry_after_secs }) => {
            assert!(retry_after_secs > 0 && retry_after_secs <= 900)
        }
        other => panic!("expected a lock-out, got {other:?}"),
    }
    s.core.clock.advance(WINDOW_MS);
    assert!(
        s.sessions
            .login(attempt("ada", "password-123"))
            .await
            .is_ok(),
        "the lock ends with its window"
    );

    // Sessions expire.
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

    let log = s
        .audit
        .list(
            &identity_of(&a),
            AuditQuery {
                object_type: Some("session".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.action == "session.logout"));
    assert!(log.iter().any(|e| e.action == "session.login"));
}

async fn members_cannot_read_the_audit_log(db: Db) {
    let s = services_over(db.clone());
    let m = user(&s, "max@example.com", Role::Member, "Research").await;
    let err = s
        .audit
        .list(&identity_of(&m), AuditQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
    assert!(matches!(
        s.audit
            .export(&identity_of(&m), AuditQuery::default())
            .await,
        Err(AppError::Forbidden(_))
    ));
}

async fn setup_link_works_once(db: Db) {
    let s = services_over(db.clone());
    let token = s
        .sessions
        .open_setup_link_if_empty()
        .await
        .unwrap()
        .expect("no users yet");
    assert!(s.sessions.setup_open(&token).await.unwrap());
    assert!(!s.sessions.setup_open("guess").await.unwrap());
    let form = |password_confirm: &str| SetupForm {
        token: token.clone(),
        workspace: "Founders".into(),
        name: "Grace Hopper".into(),
        email: "grace@example.com".into(),
        password: "compilers-rule-1".into(),
        password_confirm: password_confirm.into(),
    };
    let err = s
        .sessions
        .complete_setup(form("nope"), "ip".into())
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("password_confirm"));
    assert!(
        s.sessions.setup_open(&token).await.unwrap(),
        "a refused form leaves the link open"
    );
    let session = s
        .sessions
        .complete_setup(form("compilers-rule-1"), "ip".into())
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
    assert!(!s.sessions.setup_open(&token).await.unwrap());
    assert!(matches!(
        s.sessions
            .complete_setup(form("compilers-rule-1"), "ip".into())
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert!(
        s.sessions
            .open_setup_link_if_empty()
            .await
            .unwrap()
            .is_none(),
        "no new link once someone exists"
    );
}

async fn server_secrets_first_writer_wins(db: Db) {
    let mut conn = db.pool.acquire().await.unwrap();
    let first = store::secrets::get_or_insert(&mut conn, "jwt", "one", 1)
        .await
        .unwrap();
    let second = store::secrets::get_or_insert(&mut conn, "jwt", "two", 2)
        .await
        .unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
    store::secrets::replace_setup_token(&mut conn, &crypto::token_hash("t"), 100)
        .await
        .unwrap();
    assert!(
        store::secrets::setup_token_open(&mut conn, &crypto::token_hash("t"), 50)
            .await
            .unwrap()
    );
    assert!(
        !store::secrets::setup_token_open(&mut conn, &crypto::token_hash("t"), 150)
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        store::secrets::use_setup_token(&mut conn, &crypto::token_hash("t"), 50)
            .await
            .unwrap()
    );
    assert!(
        !store::secrets::use_setup_token(&mut conn, &crypto::token_hash("t"), 50)
            .await
            .unwrap(),
        "only once"
    );
}

on_both_databases!(
    migrations_are_idempotent,
    users_and_workspaces,
    sessions_live_and_expire,
    preferences_round_trip,
    rename_is_audited_in_the_same_transaction,
    audit_is_scoped_filtered_and_paged,
    throttle_counters,
    login_logout_and_throttling,
    members_cannot_read_the_audit_log,
    setup_link_works_once,
    server_secrets_first_writer_wins,
);
