//! The store suite: the same tests on SQLite and on PostgreSQL, through the store functions and the
//! services that compose them into transactions.

mod common;

use app::api::backend::{Caller, LoginAttempt};
use app::api::sessions::SetupForm;
use app::domain::audit::AuditQuery;
use app::domain::cloud_access::CloudAccessForm;
use app::domain::preferences::Preferences;
use app::domain::throttle::{MAX_FAILURES, WINDOW_MS};
use app::domain::{AppError, Identity, Role};
use atrium_server::crypto;
use atrium_server::db::{self, Db};
use atrium_server::store::{self, audit::NewEntry, sessions::NewSessionRow};
use common::{identity_of, services_over, user};

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
        .users
        .create(atrium_server::services::users::NewUser {
            email: "ada@example.com".into(),
            name: "Another Ada".into(),
            username: Some("ada2".into()),
            password: "password-123".into(),
            role: Role::Member,
            workspace: atrium_server::services::users::Placement::Named("Research".into()),
        })
        .await;
    assert!(
        matches!(&dup, Err(AppError::Taken { field, .. }) if field == "email"),
        "{dup:?}"
    );
    let bad = s
        .users
        .create(atrium_server::services::users::NewUser {
            email: "not-an-email".into(),
            name: "X".into(),
            username: None,
            password: "password-123".into(),
            role: Role::Member,
            workspace: atrium_server::services::users::Placement::Default,
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
        s.preferences.get(&who).await.unwrap(),
        Preferences::default()
    );
    let wanted = Preferences {
        hide_tips: true,
        hidden_container_args: vec!["hf_token".into(), "HF_TOKEN".into()],
        ..Default::default()
    };
    let saved = s.preferences.save(&who, wanted).await.unwrap();
    assert_eq!(saved.hidden_container_args, vec!["HF_TOKEN".to_string()]);
    assert_eq!(s.preferences.get(&who).await.unwrap(), saved);
    let again = Preferences {
        show_hidden_projects: true,
        ..saved.clone()
    };
    s.preferences.save(&who, again.clone()).await.unwrap();
    assert_eq!(s.preferences.get(&who).await.unwrap(), again);

    // A bad list is refused whole: nothing changes, nothing is audited.
    let as_admin = Identity {
        role: Role::Admin,
        ..who.clone()
    };
    let audited = s
        .audit
        .list(&as_admin.admin("test").unwrap(), AuditQuery::default())
        .await
        .unwrap()
        .len();
    let bad = Preferences {
        hidden_container_args: vec!["OK".into(), "not ok".into()],
        ..again.clone()
    };
    assert_eq!(
        s.preferences.save(&who, bad).await.unwrap_err().field(),
        Some("hidden_container_args")
    );
    assert_eq!(s.preferences.get(&who).await.unwrap(), again);
    assert_eq!(
        s.audit
            .list(&as_admin.admin("test").unwrap(), AuditQuery::default())
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
    let p = s.profile.rename(&who, "  Ada Lovelace ").await.unwrap();
    assert_eq!(p.name, "Ada Lovelace");
    let entries = s
        .audit
        .list(
            &who.admin("test").unwrap(),
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
        s.profile.rename(&who, "").await.unwrap_err().field(),
        Some("name")
    );
    assert_eq!(
        s.profile
            .rename(&who, &"x".repeat(81))
            .await
            .unwrap_err()
            .field(),
        Some("name")
    );
    assert_eq!(s.profile.get(&who).await.unwrap().name, "Ada Lovelace");
    let after = s
        .audit
        .list(
            &who.admin("test").unwrap(),
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
    let info = s.sessions.current(&caller).await.unwrap();
    assert!(info.tip.is_some(), "a tip after login");
    s.sessions.dismiss_tip(&caller).await.unwrap();
    assert!(s.sessions.current(&caller).await.unwrap().tip.is_none());
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
            &identity_of(&a).admin("test").unwrap(),
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
    // The first person in a new workspace owns and administers it; the next one is a member.
    let owner = user(&s, "ada@example.com", Role::Member, "Research").await;
    assert_eq!(owner.role, Role::Admin);
    let m = user(&s, "max@example.com", Role::Member, "Research").await;
    assert_eq!(m.role, Role::Member);
    // Reading and exporting take an administrator's proof, which a member cannot obtain.
    let err = identity_of(&m).admin("read the audit log").unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
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

async fn credentials_lifecycle(db: Db) {
    use atrium_server::services::credentials::AuthFailure;
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let b = user(&s, "bob@example.com", Role::Member, "Research").await;
    let ada = identity_of(&a);
    let created = s
        .credentials
        .create(&ada, None, " laptop ", None)
        .await
        .unwrap();
    assert_eq!(created.info.label, "laptop");
    assert!(app::domain::credentials::is_access_key(
        &created.info.access_key
    ));
    assert!(app::domain::credentials::is_secret(&created.secret_key));
    assert!(created.config_section.contains(&created.secret_key));
    let listed = s.credentials.list(&ada).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].access_key, created.info.access_key);
    // The secret is stored only as a keyed hash.
    let mut conn = db.pool.acquire().await.unwrap();
    let stored: String =
        sqlx::query_scalar("SELECT secret_hash FROM credentials WHERE access_key = $1")
            .bind(&created.info.access_key)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert!(!stored.contains(&created.secret_key) && stored.len() == 64);
    drop(conn);

    let key = created.info.access_key.clone();
    let caller = s
        .credentials
        .authenticate_basic(&key, &created.secret_key, "10.0.0.1")
        .await
        .unwrap();
    assert_eq!(caller.identity.user_id, a.id);
    assert_eq!(
        s.credentials
            .authenticate_basic(&key, "wrong", "x")
            .await
            .unwrap_err(),
        AuthFailure::Invalid
    );
    assert_eq!(
        s.credentials
            .authenticate_basic("NOPE", &created.secret_key, "x")
            .await
            .unwrap_err(),
        AuthFailure::Invalid
    );
    let used = s.credentials.list(&ada).await.unwrap();
    assert_eq!(used[0].last_used_from.as_deref(), Some("10.0.0.1"));

    let (token, lifetime) = s
        .credentials
        .issue_token(&caller, Some(10_000_000), None)
        .await
        .unwrap();
    assert_eq!(
        lifetime, s.core.settings.token_max_secs,
        "bounded by the maximum"
    );
    assert_eq!(
        s.credentials
            .authenticate_token(&token)
            .await
            .unwrap()
            .identity
            .user_id,
        a.id
    );
    assert!(
        s.credentials
            .issue_token(&caller, Some(0), None)
            .await
            .is_err()
    );

    // Only the owner can relabel or revoke.
    let bob = identity_of(&b);
    assert!(matches!(
        s.credentials.revoke(&bob, &key).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        s.credentials.relabel(&bob, &key, "x").await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(
        s.credentials.relabel(&ada, &key, "ci").await.unwrap().label,
        "ci"
    );
    assert_eq!(
        s.credentials
            .relabel(&ada, &key, &"x".repeat(101))
            .await
            .unwrap_err()
            .field(),
        Some("label")
    );

    s.credentials.revoke(&ada, &key).await.unwrap();
    assert_eq!(
        s.credentials
            .authenticate_basic(&key, &created.secret_key, "x")
            .await
            .unwrap_err(),
        AuthFailure::Invalid
    );
    assert!(matches!(
        s.credentials.authenticate_token(&token).await,
        Err(AuthFailure::BadToken(_))
    ));
    assert!(s.credentials.list(&ada).await.unwrap().is_empty());
    assert!(matches!(
        s.credentials.revoke(&ada, &key).await,
        Err(AppError::NotFound(_))
    ));

    // Expiry, and the workspace's maximum lifetime.
    let short = s
        .credentials
        .create(&ada, None, "short", Some(1))
        .await
        .unwrap();
    let c = s
        .credentials
        .authenticate_basic(&short.info.access_key, &short.secret_key, "x")
        .await
        .unwrap();
    let (t, _) = s.credentials.issue_token(&c, None, None).await.unwrap();
    s.core.clock.advance(2 * 86_400_000);
    assert!(matches!(
        s.credentials
            .authenticate_basic(&short.info.access_key, &short.secret_key, "x")
            .await,
        Err(AuthFailure::Expired(_))
    ));
    assert!(s.credentials.authenticate_token(&t).await.is_err());
    // Only an administrator's proof reaches the limit; a member cannot obtain one.
    assert!(matches!(
        bob.admin("set the credential lifetime limit"),
        Err(AppError::Forbidden(_))
    ));
    s.workspaces
        .set_max_credential_days(&ada.admin("test").unwrap(), Some(30))
        .await
        .unwrap();
    assert_eq!(
        s.credentials
            .create(&ada, None, "", Some(31))
            .await
            .unwrap_err()
            .field(),
        Some("expires_in_days")
    );
    let capped = s.credentials.create(&ada, None, "", None).await.unwrap();
    assert!(
        capped.info.expires_ms.is_some(),
        "the maximum applies when none is asked for"
    );

    // Credentials only in workspaces one belongs to.
    let other = user(&s, "cy@example.com", Role::Admin, "Other").await;
    assert!(matches!(
        s.credentials
            .create(&ada, Some(other.workspace_id.clone()), "", None)
            .await,
        Err(AppError::Forbidden(_))
    ));
}

async fn invitations_and_leaving(db: Db) {
    use app::api::workspaces::AcceptForm;
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let b = user(&s, "bob@example.com", Role::Member, "Research").await;
    let ivy = user(&s, "ivy@example.com", Role::Admin, "Ivy Home").await;
    let ada = identity_of(&a);
    assert!(matches!(
        identity_of(&b).admin("invite people"),
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(
        s.workspaces
            .invite(&ada.admin("test").unwrap(), "bob@example.com")
            .await
            .unwrap_err()
            .field(),
        Some("emails"),
        "already a member"
    );
    let invited = s
        .workspaces
        .invite(
            &ada.admin("test").unwrap(),
            "new@example.com, ivy@example.com",
        )
        .await
        .unwrap();
    assert_eq!(invited.len(), 2);
    assert!(!invited[0].existing_user && invited[1].existing_user);
    let token = invited[0]
        .delivery
        .link()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    let view = s.workspaces.invitation(&token).await.unwrap().unwrap();
    assert_eq!(
        (view.workspace_name.as_str(), view.has_account),
        ("Research", false)
    );
    assert!(s.workspaces.invitation("guess").await.unwrap().is_none());

    // A new person joins with the link, and gets a personal workspace too.
    let form = |pw: &str| AcceptForm {
        token: token.clone(),
        name: "Nina".into(),
        password: pw.into(),
        password_confirm: "newbie-pass-1".into(),
    };
    assert_eq!(
        s.workspaces
            .accept_link(form("other-pass-1"), None, "ip".into())
            .await
            .unwrap_err()
            .field(),
        Some("password_confirm")
    );
    let session = s
        .workspaces
        .accept_link(form("newbie-pass-1"), None, "ip".into())
        .await
        .unwrap()
        .unwrap();
    let nina = s
        .sessions
        .resolve_cookie(&session.cookie_value)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nina.identity.workspace_name, "Research");
    let overview = s.workspaces.overview(&nina).await.unwrap();
    assert_eq!(overview.workspaces.len(), 2);
    assert!(
        overview
            .workspaces
            .iter()
            .any(|w| w.personal && w.name == "Nina's workspace")
    );
    assert!(
        s.workspaces
            .accept_link(form("newbie-pass-1"), None, "ip".into())
            .await
            .is_err(),
        "a link works once"
    );

    // The existing user answers in the console.
    let ivy_caller = Caller {
        identity: identity_of(&ivy),
        session_id: None,
        credential_id: None,
        impersonated: None,
        impersonated_since: None,
    };
    let mine = s
        .workspaces
        .overview(&ivy_caller)
        .await
        .unwrap()
        .invitations;
    assert_eq!(mine.len(), 1);
    assert!(
        s.workspaces
            .answer_invitation(
                &Caller {
                    identity: identity_of(&b),
                    ..ivy_caller.clone()
                },
                &mine[0].id,
                true
            )
            .await
            .is_err(),
        "not addressed to bob"
    );
    s.workspaces
        .answer_invitation(&ivy_caller, &mine[0].id, true)
        .await
        .unwrap();
    let ivy_ws = s.workspaces.overview(&ivy_caller).await.unwrap().workspaces;
    assert!(
        ivy_ws
            .iter()
            .any(|w| w.id == a.workspace_id && w.role == Role::Member)
    );

    // Leaving revokes one's credentials there; the personal workspace cannot be left, nor can the last admin leave.
    let in_research = Identity {
        workspace_id: a.workspace_id.clone(),
        workspace_name: "Research".into(),
        role: Role::Member,
        ..identity_of(&ivy)
    };
    let cred = s
        .credentials
        .create(&in_research, None, "", None)
        .await
        .unwrap();
    assert!(matches!(
        s.workspaces.leave(&ivy_caller, &ivy.workspace_id).await,
        Err(AppError::Forbidden(_))
    ));
    s.workspaces
        .leave(&ivy_caller, &a.workspace_id)
        .await
        .unwrap();
    assert!(
        s.credentials
            .authenticate_basic(&cred.info.access_key, &cred.secret_key, "x")
            .await
            .is_err()
    );
    let ada_caller = Caller {
        identity: ada.clone(),
        session_id: None,
        credential_id: None,
        impersonated: None,
        impersonated_since: None,
    };
    assert!(matches!(
        s.workspaces.leave(&ada_caller, &a.workspace_id).await,
        Err(AppError::Forbidden(_))
    ));

    // Cancelling.
    let again = s
        .workspaces
        .invite(&ada.admin("test").unwrap(), "late@example.com")
        .await
        .unwrap();
    let pending = s.workspaces.overview(&ada_caller).await.unwrap().pending;
    assert_eq!(pending.len(), 1);
    s.workspaces
        .cancel_invitation(&ada.admin("test").unwrap(), &pending[0].id)
        .await
        .unwrap();
    let late_token = again[0]
        .delivery
        .link()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap();
    assert!(s.workspaces.invitation(late_token).await.unwrap().is_none());

    // Renaming needs the admin role.
    assert!(matches!(
        s.workspaces
            .rename(&identity_of(&b), &a.workspace_id, "X")
            .await,
        Err(AppError::Forbidden(_))
    ));
    s.workspaces
        .rename(&ada, &a.workspace_id, "Research Lab")
        .await
        .unwrap();
    assert_eq!(
        s.workspaces
            .rename(&ada, &a.workspace_id, " ")
            .await
            .unwrap_err()
            .field(),
        Some("name")
    );
}

async fn api_usage_is_counted_in_batches(db: Db) {
    let s = services_over(db.clone());
    for _ in 0..3 {
        s.core.usage.record("ws-1", 1_795_000_000_000);
    }
    s.core.usage.record("ws-2", 1_795_000_000_000);
    s.core.usage.flush(&db).await;
    s.core.usage.record("ws-1", 1_795_000_000_000);
    s.core.usage.flush(&db).await;
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        store::workspaces::api_calls(&mut conn, "ws-1", "2026-11")
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        store::workspaces::api_calls(&mut conn, "ws-2", "2026-11")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store::workspaces::api_calls(&mut conn, "ws-1", "2026-10")
            .await
            .unwrap(),
        0
    );
}

fn cloud_form(id: &str, bucket: &str, key: &str, secret: &str, host: &str) -> CloudAccessForm {
    CloudAccessForm {
        id: id.into(),
        bucket: bucket.into(),
        key: key.into(),
        secret: secret.into(),
        region: "eu-west-1".into(),
        host: host.into(),
    }
}

const CLOUD_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

async fn cloud_access_secret_is_sealed_and_masked(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ada = identity_of(&a);
    let saved = s
        .cloud_access
        .save(
            &ada,
            cloud_form(
                "",
                " datasets ",
                "AKIAEXAMPLE",
                CLOUD_SECRET,
                "http://127.0.0.1:9000/",
            ),
        )
        .await
        .unwrap();
    assert_eq!(saved.bucket, "datasets");
    assert_eq!(saved.host, "http://127.0.0.1:9000");
    assert_eq!(saved.secret_masked, "••••••••EKEY");

    // Lists show the masked form only.
    let listed = s.cloud_access.list(&ada).await.unwrap();
    assert_eq!(listed, vec![saved.clone()]);
    assert!(!format!("{listed:?}").contains(CLOUD_SECRET));

    // At rest the secret is sealed by the master key: no row holds it in plain text.
    let mut conn = db.pool.acquire().await.unwrap();
    let sealed = store::cloud_access::sealed_secret(&mut conn, &saved.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!sealed.contains(CLOUD_SECRET) && !sealed.contains("EXAMPLEKEY"));
    assert_eq!(
        s.core.key.decrypt(&sealed).unwrap(),
        CLOUD_SECRET.as_bytes()
    );
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT bucket || access_key || secret_sealed || secret_mask || region || host FROM cloud_access",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(rows.iter().all(|r| !r.contains(CLOUD_SECRET)));
    drop(conn);

    // The audit entry names the bucket and masks the secret.
    let entries = s
        .audit
        .list(
            &ada.admin("test").unwrap(),
            AuditQuery {
                object_type: Some("cloud_access".into()),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "cloud_access.create");
    assert_eq!(entries[0].object_name, "datasets");
    assert_eq!(
        entries[0].summary["after"]["secret"],
        app::domain::audit::MASK
    );
    assert_eq!(entries[0].summary["after"]["key"], "AKIAEXAMPLE");
    assert!(!entries[0].summary.to_string().contains("EXAMPLEKEY"));

    // The presigned link is signed with the stored secret, at the server's clock.
    let link = s
        .cloud_access
        .presign(&ada, "", "s3://datasets/images/cat.png", None)
        .await
        .unwrap();
    assert_eq!(
        (link.bucket.as_str(), link.key.as_str()),
        ("datasets", "images/cat.png")
    );
    let expected = atrium_server::services::cloud_access::presign_get(
        atrium_server::services::cloud_access::SigningInput {
            endpoint: "http://127.0.0.1:9000",
            path_style: true,
            bucket: "datasets",
            region: "eu-west-1",
            access_key: "AKIAEXAMPLE",
            secret: CLOUD_SECRET,
            object_key: "images/cat.png",
            expires_secs: 900,
            now_ms: link.expires_ms - 900_000,
        },
    )
    .unwrap();
    assert_eq!(link.url, expected);
    assert!(
        link.url
            .starts_with("http://127.0.0.1:9000/datasets/images/cat.png?")
    );
    assert!(!link.url.contains(CLOUD_SECRET));
}

async fn cloud_access_edit_keeps_the_secret(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ada = identity_of(&a);
    let saved = s
        .cloud_access
        .save(&ada, cloud_form("", "datasets", "AKIA1", CLOUD_SECRET, ""))
        .await
        .unwrap();
    let sealed = |db: Db, id: String| async move {
        let mut conn = db.pool.acquire().await.unwrap();
        store::cloud_access::sealed_secret(&mut conn, &id)
            .await
            .unwrap()
            .unwrap()
    };
    let before = sealed(db.clone(), saved.id.clone()).await;

    // No secret on edit: the stored one stays.
    s.core.clock.advance(1_000);
    let edited = s
        .cloud_access
        .save(
            &ada,
            cloud_form(
                &saved.id,
                "datasets",
                "AKIA2",
                "",
                "https://minio.example.com",
            ),
        )
        .await
        .unwrap();
    assert_eq!(edited.key, "AKIA2");
    assert_eq!(edited.host, "https://minio.example.com");
    assert_eq!(edited.secret_masked, saved.secret_masked);
    assert_eq!(edited.created_ms, saved.created_ms);
    assert!(edited.updated_ms > saved.updated_ms);
    assert_eq!(sealed(db.clone(), saved.id.clone()).await, before);
    assert_eq!(
        s.cloud_access.list(&ada).await.unwrap(),
        vec![edited.clone()]
    );

    // A new secret replaces it.
    let rotated = s
        .cloud_access
        .save(
            &ada,
            cloud_form(
                &saved.id,
                "datasets",
                "AKIA2",
                "another-secret-9876",
                "https://minio.example.com",
            ),
        )
        .await
        .unwrap();
    assert_eq!(rotated.secret_masked, "••••••••9876");
    let now_sealed = sealed(db.clone(), saved.id.clone()).await;
    assert_eq!(
        s.core.key.decrypt(&now_sealed).unwrap(),
        b"another-secret-9876"
    );

    // Edits are audited with only what changed, the secret masked.
    let entries = s
        .audit
        .list(
            &ada.admin("test").unwrap(),
            AuditQuery {
                object_type: Some("cloud_access".into()),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "cloud_access.update",
            "cloud_access.update",
            "cloud_access.create"
        ]
    );
    assert_eq!(entries[1].summary["before"]["key"], "AKIA1");
    assert_eq!(entries[1].summary["after"]["key"], "AKIA2");
    assert!(entries[1].summary["after"].get("secret").is_none());
    assert_eq!(
        entries[0].summary["after"]["secret"],
        app::domain::audit::MASK
    );
    assert!(entries[0].summary["after"].get("key").is_none());
    assert!(!format!("{entries:?}").contains("another-secret"));

    // Saving without a change writes nothing.
    s.cloud_access
        .save(
            &ada,
            cloud_form(
                &saved.id,
                "datasets",
                "AKIA2",
                "",
                "https://minio.example.com",
            ),
        )
        .await
        .unwrap();
    let after_noop = s
        .audit
        .list(
            &ada.admin("test").unwrap(),
            AuditQuery {
                object_type: Some("cloud_access".into()),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(after_noop.len(), entries.len());

    // One entry per bucket.
    let dup = s
        .cloud_access
        .save(&ada, cloud_form("", "datasets", "AKIA3", "x", ""))
        .await;
    assert!(
        matches!(&dup, Err(AppError::Taken { field, .. }) if field == "bucket"),
        "{dup:?}"
    );
    let other = s
        .cloud_access
        .save(&ada, cloud_form("", "models", "AKIA3", "x", ""))
        .await
        .unwrap();
    let renamed = s
        .cloud_access
        .save(&ada, cloud_form(&other.id, "datasets", "AKIA3", "", ""))
        .await;
    assert!(
        matches!(&renamed, Err(AppError::Taken { field, .. }) if field == "bucket"),
        "{renamed:?}"
    );
}

async fn cloud_access_delete(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ada = identity_of(&a);
    let saved = s
        .cloud_access
        .save(&ada, cloud_form("", "datasets", "AKIA1", CLOUD_SECRET, ""))
        .await
        .unwrap();
    // A later moment, so that the log orders the two entries as they happened.
    s.core.clock.advance(1);
    s.cloud_access.delete(&ada, &saved.id).await.unwrap();
    assert!(s.cloud_access.list(&ada).await.unwrap().is_empty());
    assert!(matches!(
        s.cloud_access.delete(&ada, &saved.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        s.cloud_access
            .presign(&ada, "datasets", "a.txt", None)
            .await,
        Err(AppError::NotFound(_))
    ));
    let mut conn = db.pool.acquire().await.unwrap();
    assert!(
        store::cloud_access::sealed_secret(&mut conn, &saved.id)
            .await
            .unwrap()
            .is_none(),
        "the sealed secret is gone too"
    );
    drop(conn);
    let entries = s
        .audit
        .list(
            &ada.admin("test").unwrap(),
            AuditQuery {
                object_type: Some("cloud_access".into()),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(entries[0].action, "cloud_access.delete");
    assert_eq!(entries[0].summary["before"]["bucket"], "datasets");
    assert_eq!(
        entries[0].summary["before"]["secret"],
        app::domain::audit::MASK
    );
    // Editing a deleted entry is not found either.
    assert!(matches!(
        s.cloud_access
            .save(&ada, cloud_form(&saved.id, "datasets", "AKIA1", "", ""))
            .await,
        Err(AppError::NotFound(_))
    ));
}

async fn cloud_access_validation_names_the_field(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ada = identity_of(&a);
    let field = |f: CloudAccessForm| {
        let s = s.clone();
        let ada = ada.clone();
        async move {
            s.cloud_access
                .save(&ada, f)
                .await
                .unwrap_err()
                .field()
                .map(str::to_string)
        }
    };
    assert_eq!(
        field(cloud_form("", "Bad_Bucket", "k", "s", ""))
            .await
            .as_deref(),
        Some("bucket")
    );
    assert_eq!(
        field(cloud_form("", "ab", "k", "s", "")).await.as_deref(),
        Some("bucket")
    );
    assert_eq!(
        field(cloud_form("", "data", "", "s", "")).await.as_deref(),
        Some("key")
    );
    assert_eq!(
        field(cloud_form("", "data", "k", " ", "")).await.as_deref(),
        Some("secret")
    );
    assert_eq!(
        field(cloud_form("", "data", "k", "s", "minio:9000"))
            .await
            .as_deref(),
        Some("host")
    );
    assert_eq!(
        field(cloud_form("", "data", "k", "s", "ftp://minio"))
            .await
            .as_deref(),
        Some("host")
    );
    assert_eq!(
        field(CloudAccessForm {
            region: "Mars 1".into(),
            ..cloud_form("", "data", "k", "s", "")
        })
        .await
        .as_deref(),
        Some("region")
    );
    assert!(
        s.cloud_access.list(&ada).await.unwrap().is_empty(),
        "nothing saved"
    );
    assert_eq!(
        s.cloud_access
            .presign(&ada, "", "s3://data/../x", None)
            .await
            .unwrap_err()
            .field(),
        Some("path")
    );
    assert_eq!(
        s.cloud_access
            .presign(&ada, "", "s3://data/x", Some(0))
            .await
            .unwrap_err()
            .field(),
        Some("expires_in")
    );
}

async fn cloud_access_is_scoped_to_user_and_workspace(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let b = user(&s, "bob@example.com", Role::Member, "Research").await;
    let c = user(&s, "cy@example.com", Role::Admin, "Other").await;
    let (ada, bob) = (identity_of(&a), identity_of(&b));
    let mine = s
        .cloud_access
        .save(&ada, cloud_form("", "datasets", "AKIA1", CLOUD_SECRET, ""))
        .await
        .unwrap();
    // Another member of the same workspace sees nothing, cannot edit, delete or sign with it.
    assert!(s.cloud_access.list(&bob).await.unwrap().is_empty());
    assert!(matches!(
        s.cloud_access
            .save(&bob, cloud_form(&mine.id, "datasets", "BOB", "stolen", ""))
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        s.cloud_access.delete(&bob, &mine.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        s.cloud_access
            .presign(&bob, "", "s3://datasets/a.txt", None)
            .await,
        Err(AppError::NotFound(_))
    ));
    // Bob may keep his own settings for the same bucket.
    let his = s
        .cloud_access
        .save(
            &bob,
            cloud_form("", "datasets", "BOB", "bobs-secret-1234", ""),
        )
        .await
        .unwrap();
    assert_eq!(s.cloud_access.list(&bob).await.unwrap(), vec![his]);
    assert_eq!(s.cloud_access.list(&ada).await.unwrap(), vec![mine.clone()]);
    // The same person in another workspace starts empty.
    let ada_elsewhere = Identity {
        workspace_id: c.workspace_id.clone(),
        workspace_name: c.workspace_name.clone(),
        ..ada.clone()
    };
    assert!(
        s.cloud_access
            .list(&ada_elsewhere)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.cloud_access.delete(&ada_elsewhere, &mine.id).await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(s.cloud_access.list(&ada).await.unwrap(), vec![mine]);
    // Cy's admin rights in Other do not reach Ada's entries.
    assert!(
        s.cloud_access
            .list(&identity_of(&c))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn members_roles_removal_and_seats(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let b = user(&s, "bob@example.com", Role::Member, "Research").await;
    let outsider = user(&s, "oz@example.com", Role::Admin, "Elsewhere").await;
    let (ada, bob) = (identity_of(&a), identity_of(&b));
    assert!(matches!(
        bob.admin("see the workspace's users"),
        Err(AppError::Forbidden(_))
    ));
    s.workspaces
        .invite(&ada.admin("test").unwrap(), "new@example.com")
        .await
        .unwrap();
    let o = s.users.overview(&ada.admin("test").unwrap()).await.unwrap();
    assert_eq!(o.seats_used, 3);
    assert_eq!(o.users.iter().filter(|u| u.pending).count(), 1);
    assert!(
        o.users
            .iter()
            .any(|u| u.is_you && u.email == "ada@example.com")
    );

    // Roles: the last administrator cannot be demoted; promoting someone else lifts that.
    assert!(matches!(
        s.users
            .set_role(&ada.admin("test").unwrap(), &a.id, Role::Member)
            .await,
        Err(AppError::Forbidden(_))
    ));
    s.users
        .set_role(&ada.admin("test").unwrap(), &b.id, Role::Admin)
        .await
        .unwrap();
    s.users
        .set_role(&ada.admin("test").unwrap(), &b.id, Role::Member)
        .await
        .unwrap();
    assert!(
        matches!(
            s.users
                .set_role(&ada.admin("test").unwrap(), &outsider.id, Role::Admin)
                .await,
            Err(AppError::NotFound(_))
        ),
        "other workspaces are out of reach"
    );
    assert!(matches!(
        s.users
            .remove(&identity_of(&outsider).admin("test").unwrap(), &b.id)
            .await,
        Err(AppError::NotFound(_))
    ));

    // Removal ends the member's credentials, tokens and sessions here at once.
    let key = s.credentials.create(&bob, None, "", None).await.unwrap();
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
    let session = s
        .sessions
        .login(LoginAttempt {
            login: "bob".into(),
            password: "password-123".into(),
            client_ip: "ip".into(),
        })
        .await
        .unwrap();
    s.users
        .remove(&ada.admin("test").unwrap(), &b.id)
        .await
        .unwrap();
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
    assert!(
        matches!(
            s.users.remove(&ada.admin("test").unwrap(), &a.id).await,
            Err(AppError::Forbidden(_))
        ),
        "nor the last administrator"
    );
    let log = s
        .audit
        .list(
            &ada.admin("test").unwrap(),
            AuditQuery {
                object_type: Some("user".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.action == "member.remove"));

    // Resending replaces the link.
    let pending = s
        .users
        .overview(&ada.admin("test").unwrap())
        .await
        .unwrap()
        .users
        .into_iter()
        .find(|u| u.pending)
        .unwrap();
    let resent = s
        .users
        .resend_invitation(&ada.admin("test").unwrap(), &pending.id)
        .await
        .unwrap();
    let token = resent
        .delivery
        .link()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap();
    assert!(s.workspaces.invitation(token).await.unwrap().is_some());

    // Seats: members and pending invitations count.
    assert_eq!(
        s.workspaces
            .set_seats("Research", Some(0))
            .await
            .unwrap_err()
            .field(),
        Some("max")
    );
    s.workspaces.set_seats("Research", Some(3)).await.unwrap();
    s.workspaces
        .invite(&ada.admin("test").unwrap(), "c@example.com")
        .await
        .unwrap();
    let err = s
        .workspaces
        .invite(&ada.admin("test").unwrap(), "d@example.com")
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("emails"));
    assert!(
        err.user_message().contains("3 of its 3 seats"),
        "{}",
        err.user_message()
    );
    s.workspaces.set_seats("Research", None).await.unwrap();
    s.workspaces
        .invite(&ada.admin("test").unwrap(), "d@example.com")
        .await
        .unwrap();
}

async fn service_accounts_lifecycle(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ada = identity_of(&a);
    let created = s
        .service_accounts
        .create(&ada.admin("test").unwrap(), "CI agent", true)
        .await
        .unwrap();
    assert!(created.account.username.starts_with("sa-ci-agent-"));
    assert_eq!(created.account.credentials, 1);
    let caller = s
        .credentials
        .authenticate_basic(
            &created.credentials.info.access_key,
            &created.credentials.secret_key,
            "10.0.0.9",
        )
        .await
        .unwrap();
    let (token, _) = s
        .credentials
        .issue_token(&caller, None, Some(&a.id))
        .await
        .unwrap();
    let acting = s.credentials.authenticate_token(&token).await.unwrap();
    assert_eq!(
        (acting.identity.user_id.as_str(), acting.identity.role),
        (a.id.as_str(), Role::Member)
    );
    let listed = s
        .service_accounts
        .list(&ada.admin("test").unwrap())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_active_ms.is_some());
    assert!(
        s.users
            .overview(&ada.admin("test").unwrap())
            .await
            .unwrap()
            .users
            .iter()
            .all(|u| u.email != created.account.username),
        "not a person"
    );
    let login = s
        .sessions
        .login(LoginAttempt {
            login: created.account.username.clone(),
            password: "x".into(),
            client_ip: "ip".into(),
        })
        .await;
    assert!(matches!(login, Err(AppError::Forbidden(_))));
    s.service_accounts
        .update(
            &ada.admin("test").unwrap(),
            &created.account.id,
            "CI runner",
            false,
        )
        .await
        .unwrap();
    assert!(
        s.credentials
            .issue_token(&caller, None, Some(&a.id))
            .await
            .is_err(),
        "impersonation turned off"
    );
    let more = s
        .service_accounts
        .create_credentials(&ada.admin("test").unwrap(), &created.account.id, "second")
        .await
        .unwrap();
    assert_eq!(
        s.service_accounts
            .credentials(&ada.admin("test").unwrap(), &created.account.id)
            .await
            .unwrap()
            .len(),
        2
    );
    s.service_accounts
        .revoke_credentials(
            &ada.admin("test").unwrap(),
            &created.account.id,
            &created.credentials.info.access_key,
        )
        .await
        .unwrap();
    assert!(s.credentials.authenticate_token(&token).await.is_err());
    s.service_accounts
        .delete(&ada.admin("test").unwrap(), &created.account.id)
        .await
        .unwrap();
    assert!(
        s.credentials
            .authenticate_basic(&more.info.access_key, &more.secret_key, "x")
            .await
            .is_err()
    );
    assert!(
        s.service_accounts
            .list(&ada.admin("test").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    let member = user(&s, "max@example.com", Role::Member, "Research").await;
    assert!(matches!(
        identity_of(&member).admin("see service accounts"),
        Err(AppError::Forbidden(_))
    ));
}

async fn groups_on_both_databases(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let m = user(&s, "max@example.com", Role::Member, "Research").await;
    let ada = identity_of(&a);
    let o = s
        .groups
        .overview(&ada.admin("test").unwrap())
        .await
        .unwrap();
    let o2 = s
        .groups
        .overview(&ada.admin("test").unwrap())
        .await
        .unwrap();
    assert_eq!(o.groups.len(), 3, "built-ins made once");
    assert_eq!(
        o2.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>(),
        o.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>()
    );
    s.groups
        .save(
            &ada.admin("test").unwrap(),
            None,
            "Vision",
            "Image models",
            &[m.id.clone(), m.id.clone()],
        )
        .await
        .unwrap();
    assert!(matches!(
        s.groups.save(&ada.admin("test").unwrap(), None, "Vision", "", &[]).await,
        Err(AppError::Taken { field, .. }) if field == "name"
    ));
    let vision = s
        .groups
        .overview(&ada.admin("test").unwrap())
        .await
        .unwrap()
        .groups
        .into_iter()
        .find(|g| g.name == "Vision")
        .unwrap();
    assert_eq!(vision.members.len(), 1);
    // Removing the member from the workspace takes them out of its groups.
    s.users
        .remove(&ada.admin("test").unwrap(), &m.id)
        .await
        .unwrap();
    let vision = s
        .groups
        .overview(&ada.admin("test").unwrap())
        .await
        .unwrap()
        .groups
        .into_iter()
        .find(|g| g.name == "Vision")
        .unwrap();
    assert!(vision.members.is_empty());
    let mut conn = db.pool.acquire().await.unwrap();
    assert!(
        store::groups::members(&mut conn, &vision.id)
            .await
            .unwrap()
            .is_empty()
    );
    drop(conn);
    s.groups
        .delete(&ada.admin("test").unwrap(), &vision.id)
        .await
        .unwrap();
    let builtin = s
        .groups
        .overview(&ada.admin("test").unwrap())
        .await
        .unwrap()
        .groups[0]
        .id
        .clone();
    assert!(matches!(
        s.groups.delete(&ada.admin("test").unwrap(), &builtin).await,
        Err(AppError::Forbidden(_))
    ));
}

on_both_databases!(
    groups_on_both_databases,
    service_accounts_lifecycle,
    members_roles_removal_and_seats,
    credentials_lifecycle,
    invitations_and_leaving,
    api_usage_is_counted_in_batches,
    migrations_are_idempotent,
    users_and_workspaces,
    sessions_live_and_expire,
    preferences_round_trip,
    rename_is_audited_in_the_same_transaction,
    audit_is_scoped_filtered_and_paged,
    login_logout_and_throttling,
    members_cannot_read_the_audit_log,
    setup_link_works_once,
    server_secrets_first_writer_wins,
    cloud_access_secret_is_sealed_and_masked,
    cloud_access_edit_keeps_the_secret,
    cloud_access_delete,
    cloud_access_validation_names_the_field,
    cloud_access_is_scoped_to_user_and_workspace,
);
