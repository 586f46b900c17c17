//! Invitations and verified addresses, on SQLite and PostgreSQL: an address typed into someone's own
//! workspace cannot be carried into another one, usernames derived from addresses never collide,
//! only verified accounts answer invitations in the console, and a link that went out by e-mail —
//! through a real SMTP server on loopback (aiosmtpd) — verifies the address of whoever follows it.
//! Also the owner's protection and the audit details of role changes.

mod common;

use std::path::Path;

use app::api::backend::Caller;
use app::api::workspaces::{AcceptForm, Delivery, InviteResult};
use app::domain::audit::AuditQuery;
use app::domain::{AppError, Identity, Role};
use atrium_server::crypto;
use atrium_server::db::{self, Db};
use atrium_server::services::Services;
use atrium_server::services::users::{NewUser, Placement};
use atrium_server::store;
use common::mail::{MailServer, smtp_settings};
use common::{identity_of, services_over, services_with, user};

fn caller(identity: Identity) -> Caller {
    Caller {
        identity,
        session_id: None,
        credential_id: None,
        impersonated: None,
        impersonated_since: None,
        token: None,
    }
}

fn token_of(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .expect("a token in the link")
        .to_string()
}

fn link_of(r: &InviteResult) -> String {
    r.delivery
        .link()
        .unwrap_or_else(|| panic!("a link for {}: {r:?}", r.email))
        .to_string()
}

fn form(token: &str, name: &str) -> AcceptForm {
    AcceptForm {
        token: token.into(),
        name: name.into(),
        password: "joiner-pass-1".into(),
        password_confirm: "joiner-pass-1".into(),
    }
}

/// Follows an invitation link as a new person; returns them as logged in (in the joined workspace).
async fn join_new(s: &Services, token: &str, name: &str) -> Caller {
    let session = s
        .workspaces
        .accept_link(form(token, name), None, "ip".into())
        .await
        .expect("accept the link")
        .expect("a session for the new account");
    s.sessions
        .resolve_cookie(&session.cookie_value)
        .await
        .unwrap()
        .unwrap()
}

/// The same person acting in their personal workspace, which they administer.
async fn in_personal_workspace(s: &Services, c: &Caller) -> Identity {
    let personal = s
        .workspaces
        .overview(c)
        .await
        .unwrap()
        .workspaces
        .into_iter()
        .find(|w| w.personal)
        .expect("a personal workspace");
    Identity {
        workspace_id: personal.id,
        workspace_name: personal.name,
        role: personal.role,
        ..c.identity.clone()
    }
}

async fn verified(db: &Db, user_id: &str) -> bool {
    let mut conn = db.pool.acquire().await.unwrap();
    store::users::email_verified(&mut conn, user_id)
        .await
        .unwrap()
}

async fn username(db: &Db, user_id: &str) -> String {
    let mut conn = db.pool.acquire().await.unwrap();
    store::users::get_user(&mut conn, user_id)
        .await
        .unwrap()
        .unwrap()
        .username
}

/// The open invitation to `email` in the admin's workspace.
async fn pending_id(s: &Services, admin: &Identity, email: &str) -> String {
    s.workspaces
        .overview(&caller(admin.clone()))
        .await
        .unwrap()
        .pending
        .into_iter()
        .find(|p| p.email == email)
        .unwrap_or_else(|| panic!("a pending invitation to {email}"))
        .id
}

// ---------- on both databases ----------

/// Seen in the wild: someone who joined anywhere administers a personal workspace, invites the
/// address of Corp's CEO there, follows the link the console shows and so "owns" that address. When
/// Corp invites the CEO, the squatter must not be able to accept.
async fn squatter_cannot_carry_an_address_into_another_workspace(db: Db) {
    let s = services_over(db.clone());
    let host = user(&s, "host@example.com", Role::Admin, "Open Lab").await;
    let corp = user(&s, "admin@corp.example", Role::Admin, "Corp").await;
    let corp_admin = identity_of(&corp);

    let invited = s
        .workspaces
        .invite(
            &identity_of(&host).admin("test").unwrap(),
            "mallory@evil.example",
        )
        .await
        .unwrap();
    let mallory = join_new(&s, &token_of(&link_of(&invited[0])), "Mallory").await;
    assert!(!verified(&db, &mallory.identity.user_id).await);
    let own = in_personal_workspace(&s, &mallory).await;
    assert_eq!(own.role, Role::Admin);

    // Mallory invites the CEO's address into her own workspace and follows the link herself.
    let squat = s
        .workspaces
        .invite(&own.admin("test").unwrap(), "ceo@corp.example")
        .await
        .unwrap();
    let fake_ceo = join_new(&s, &token_of(&link_of(&squat[0])), "The CEO").await;
    assert_eq!(fake_ceo.identity.email, "ceo@corp.example");
    assert!(
        !verified(&db, &fake_ceo.identity.user_id).await,
        "a link shown to an inviter proves nothing about the mailbox"
    );

    // Corp invites its CEO: an existing but unverified account.
    let corp_invite = s
        .workspaces
        .invite(&corp_admin.admin("test").unwrap(), "ceo@corp.example")
        .await
        .unwrap();
    assert!(corp_invite[0].existing_user && !corp_invite[0].verified_user);
    let id = pending_id(&s, &corp_admin, "ceo@corp.example").await;

    // The squatter neither sees it nor can answer it in the console.
    let overview = s.workspaces.overview(&fake_ceo).await.unwrap();
    assert!(overview.invitations.is_empty() && !overview.email_verified);
    assert_eq!(s.sessions.current(&fake_ceo).await.unwrap().invitations, 0);
    for accept in [true, false] {
        let err = s
            .workspaces
            .answer_invitation(&fake_ceo, &id, accept)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
        assert!(err.user_message().contains("verified"), "{err:?}");
    }
    let memberships = s.workspaces.overview(&fake_ceo).await.unwrap().workspaces;
    assert!(
        memberships.iter().all(|w| w.id != corp.workspace_id),
        "not in Corp"
    );
    assert_eq!(
        pending_id(&s, &corp_admin, "ceo@corp.example").await,
        id,
        "Corp's invitation is still open for the real CEO"
    );
}

/// Usernames come from the address's local part and are numbered when taken, so `bob@evil.example`
/// cannot keep `bob@corp.example` from accepting (it used to be a 409).
async fn usernames_from_addresses_never_collide(db: Db) {
    let s = services_over(db.clone());
    let evil = user(&s, "admin@evil.example", Role::Admin, "Evil").await;
    let corp = user(&s, "admin@corp.example", Role::Admin, "Corp").await;
    let first = s
        .workspaces
        .invite(
            &identity_of(&evil).admin("test").unwrap(),
            "bob@evil.example",
        )
        .await
        .unwrap();
    let evil_bob = join_new(&s, &token_of(&link_of(&first[0])), "Evil Bob").await;
    let second = s
        .workspaces
        .invite(
            &identity_of(&corp).admin("test").unwrap(),
            "bob@corp.example",
        )
        .await
        .unwrap();
    let corp_bob = join_new(&s, &token_of(&link_of(&second[0])), "Corp Bob").await;
    assert_eq!(username(&db, &evil_bob.identity.user_id).await, "bob");
    assert_eq!(username(&db, &corp_bob.identity.user_id).await, "bob2");
    assert_eq!(corp_bob.identity.workspace_id, corp.workspace_id);

    // An explicit username that is taken is still a conflict, not renumbered.
    let taken = s
        .users
        .create(NewUser {
            email: "robert@corp.example".into(),
            name: "Robert".into(),
            username: Some("bob".into()),
            password: "password-123".into(),
            role: Role::Member,
            workspace: Placement::Personal,
        })
        .await;
    assert!(
        matches!(&taken, Err(AppError::Taken { field, .. }) if field == "username"),
        "{taken:?}"
    );
    // A taken address is a conflict too, whatever the username.
    let again = s
        .users
        .create(NewUser {
            email: "bob@corp.example".into(),
            name: "Bob Again".into(),
            username: None,
            password: "password-123".into(),
            role: Role::Member,
            workspace: Placement::Personal,
        })
        .await;
    assert!(
        matches!(&again, Err(AppError::Taken { field, .. }) if field == "email"),
        "{again:?}"
    );
}

/// Many people whose addresses share a local part, created at the same moment, all get accounts
/// with distinct names: the unique index decides and the loser takes the next number.
async fn usernames_are_unique_under_concurrency(db: Db) {
    let s = services_over(db.clone());
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.users
                    .create(NewUser {
                        email: format!("sam@team{i}.example"),
                        name: format!("Sam {i}"),
                        username: None,
                        password: "password-123".into(),
                        role: Role::Member,
                        workspace: Placement::Personal,
                    })
                    .await
            })
        })
        .collect();
    let mut names = vec![];
    for t in tasks {
        names.push(t.await.unwrap().expect("every account is created").username);
    }
    names.sort();
    let mut expected: Vec<String> = (1..=8)
        .map(|n| app::domain::validate::username_candidate("sam", n))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
}

/// An account made through a link the inviter handed over stays unverified: it cannot answer in the
/// console, but accepts through an invitation's own link (staying unverified). Operator-made
/// accounts are verified and answer in the console.
async fn unverified_accounts_accept_only_through_links(db: Db) {
    let s = services_over(db.clone());
    let ada = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let gus = user(&s, "gus@example.com", Role::Admin, "Garage").await;
    assert!(ada.email_verified && verified(&db, &ada.id).await);
    let first = s
        .workspaces
        .invite(
            &identity_of(&ada).admin("test").unwrap(),
            "nina@example.com",
        )
        .await
        .unwrap();
    let nina = join_new(&s, &token_of(&link_of(&first[0])), "Nina").await;
    assert!(!verified(&db, &nina.identity.user_id).await);

    let garage = s
        .workspaces
        .invite(
            &identity_of(&gus).admin("test").unwrap(),
            "nina@example.com, ada@example.com",
        )
        .await
        .unwrap();
    assert!(garage[0].existing_user && !garage[0].verified_user);
    assert!(garage[1].existing_user && garage[1].verified_user);
    let nina_invite = pending_id(&s, &identity_of(&gus), "nina@example.com").await;
    let err = s
        .workspaces
        .answer_invitation(&nina, &nina_invite, true)
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), 403);
    assert!(
        err.user_message().contains("open the invitation link"),
        "{}",
        err.user_message()
    );

    // Through the invitation's own link, logged in as the address: accepted, still unverified.
    let token = token_of(&link_of(&garage[0]));
    let anonymous = s
        .workspaces
        .accept_link(form(&token, ""), None, "ip".into())
        .await
        .unwrap_err();
    assert!(matches!(anonymous, AppError::Forbidden(_)));
    assert!(
        s.workspaces
            .accept_link(form(&token, ""), Some(nina.clone()), "ip".into())
            .await
            .unwrap()
            .is_none()
    );
    assert!(!verified(&db, &nina.identity.user_id).await);
    let joined = s.workspaces.overview(&nina).await.unwrap().workspaces;
    assert!(joined.iter().any(|w| w.id == gus.workspace_id));

    // The operator-made account answers in the console.
    let ada_caller = caller(identity_of(&ada));
    let mine = s
        .workspaces
        .overview(&ada_caller)
        .await
        .unwrap()
        .invitations;
    assert_eq!(mine.len(), 1);
    s.workspaces
        .answer_invitation(&ada_caller, &mine[0].id, true)
        .await
        .unwrap();
}

/// The workspace's owner stays an administrator: not demoted in the Users table, not dropped from
/// the Admins group (like the last administrator). Others can be.
async fn the_owner_stays_an_administrator(db: Db) {
    let s = services_over(db.clone());
    let owner = user(&s, "olga@example.com", Role::Admin, "Olga's Lab").await;
    let other = user(&s, "pat@example.com", Role::Admin, "Olga's Lab").await;
    let pat = identity_of(&other);
    let err = s
        .users
        .set_role(&pat.admin("test").unwrap(), &owner.id, Role::Member)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
    assert!(err.user_message().contains("owner"), "{err:?}");
    let admins = s
        .groups
        .overview(&pat.admin("test").unwrap())
        .await
        .unwrap()
        .groups
        .into_iter()
        .find(|g| g.builtin.as_deref() == Some("admins"))
        .unwrap();
    let err = s
        .groups
        .save(
            &pat.admin("test").unwrap(),
            Some(&admins.id),
            "Admins",
            "",
            std::slice::from_ref(&other.id),
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("members"));
    assert!(
        err.user_message()
            .contains("olga@example.com owns this workspace")
    );
    // The owner may demote another administrator.
    s.users
        .set_role(
            &identity_of(&owner).admin("test").unwrap(),
            &other.id,
            Role::Member,
        )
        .await
        .unwrap();
}

/// Editing the Admins group records who was added and removed and each role change (also on the
/// person's own record); counts of revoked credentials read as numbers, not as masked secrets.
async fn audit_names_people_and_keeps_counts(db: Db) {
    let s = services_over(db.clone());
    let a = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let m = user(&s, "max@example.com", Role::Member, "Research").await;
    let r = user(&s, "rae@example.com", Role::Admin, "Research").await;
    let ada = identity_of(&a);
    let admins = s
        .groups
        .overview(&ada.admin("test").unwrap())
        .await
        .unwrap()
        .groups
        .into_iter()
        .find(|g| g.builtin.as_deref() == Some("admins"))
        .unwrap();
    s.groups
        .save(
            &ada.admin("test").unwrap(),
            Some(&admins.id),
            "Admins",
            "",
            &[a.id.clone(), m.id.clone()],
        )
        .await
        .unwrap();
    let log = s
        .audit
        .list(&ada.admin("test").unwrap(), AuditQuery::default())
        .await
        .unwrap();
    let update = log.iter().find(|e| e.action == "group.update").unwrap();
    assert_eq!(
        update.summary["after"]["added"],
        serde_json::json!(["max@example.com"])
    );
    assert_eq!(
        update.summary["after"]["removed"],
        serde_json::json!(["rae@example.com"])
    );
    assert_eq!(update.summary["before"]["members"], 2);
    assert_eq!(update.summary["after"]["members"], 2);
    assert_eq!(
        update.summary["before"]["roles"]["max@example.com"],
        "member"
    );
    assert_eq!(update.summary["after"]["roles"]["max@example.com"], "admin");
    assert_eq!(
        update.summary["after"]["roles"]["rae@example.com"],
        "member"
    );
    let role_entries: Vec<_> = log.iter().filter(|e| e.action == "member.role").collect();
    assert_eq!(role_entries.len(), 2);
    assert!(
        role_entries
            .iter()
            .any(|e| e.object_id == m.id && e.summary["after"]["role"] == "admin")
    );

    // Removing a member with two key pairs: the count reads 2.
    let rae_here = Identity {
        role: Role::Member,
        ..identity_of(&r)
    };
    s.credentials
        .create(&rae_here, None, "", None)
        .await
        .unwrap();
    s.credentials
        .create(&rae_here, None, "", None)
        .await
        .unwrap();
    s.users
        .remove(&ada.admin("test").unwrap(), &r.id)
        .await
        .unwrap();
    let removal = s
        .audit
        .list(&ada.admin("test").unwrap(), AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "member.remove")
        .unwrap();
    assert_eq!(removal.summary["after"]["credentials_revoked"], 2);
}

/// A database made before addresses were verified: operator-made accounts (command line, set-up
/// link) become verified, accounts made through invitation links do not.
async fn existing_accounts_are_classified_by_the_migration(kind: &str) {
    let (db, cleanup) = unmigrated(kind).await;
    let mut migrator = sqlx::migrate::Migrator::new(Path::new(&format!(
        "{}/../migrations/{kind}",
        env!("CARGO_MANIFEST_DIR")
    )))
    .await
    .unwrap();
    let before: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 9)
        .cloned()
        .collect();
    migrator.migrations = before.into();
    migrator.run(&db.pool).await.unwrap();
    for (id, email) in [("u1", "cli"), ("u2", "setup"), ("u3", "link"), ("u4", "sa")] {
        let kind = if email == "sa" { "service" } else { "person" };
        sqlx::query(
            "INSERT INTO users (id, username, email, name, kind, created_ms, updated_ms) VALUES ($1, $2, $3, $2, $4, 1, 1)",
        )
        .bind(id)
        .bind(email)
        .bind(format!("{email}@example.com"))
        .bind(kind)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    for (n, (action, actor, object)) in [
        ("user.create", "u1", "u1"),
        ("server.setup", "u2", "w1"),
        ("invitation.accept", "u3", "w1"),
        ("user.create", "u1", "u4"),
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO audit_log (id, workspace_id, at_ms, actor_id, actor_name, actor_email, channel, action, object_type, object_id, object_name, summary) \
             VALUES ($1, 'w1', 1, $2, '', '', 'web', $3, 'user', $4, '', '{}')",
        )
        .bind(format!("a{n}"))
        .bind(actor)
        .bind(action)
        .bind(object)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    db::migrate(&db).await.unwrap();
    for (id, expected) in [("u1", true), ("u2", true), ("u3", false), ("u4", false)] {
        assert_eq!(verified(&db, id).await, expected, "{id}");
    }
    db.pool.close().await;
    cleanup.await;
}

on_both_databases!(
    squatter_cannot_carry_an_address_into_another_workspace,
    usernames_from_addresses_never_collide,
    usernames_are_unique_under_concurrency,
    unverified_accounts_accept_only_through_links,
    the_owner_stays_an_administrator,
    audit_names_people_and_keeps_counts,
);

#[tokio::test]
async fn migration_classifies_existing_accounts_on_sqlite() {
    existing_accounts_are_classified_by_the_migration("sqlite").await;
}

#[tokio::test]
async fn migration_classifies_existing_accounts_on_postgres() {
    existing_accounts_are_classified_by_the_migration("postgres").await;
}

/// A database with no migrations applied, and what drops it afterwards.
async fn unmigrated(kind: &str) -> (Db, std::pin::Pin<Box<dyn Future<Output = ()>>>) {
    if kind == "sqlite" {
        let dir = std::env::temp_dir().join(format!("atrium-test-{}", crypto::new_id()));
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let db = db::connect(&url).await.unwrap();
        return (
            db,
            Box::pin(async move {
                let _ = std::fs::remove_dir_all(dir);
            }),
        );
    }
    let admin_url = common::postgres_admin_url();
    let admin = db::connect(&admin_url).await.expect("PostgreSQL");
    let name = format!("atrium_test_{}", crypto::new_id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin_url.clone());
    let db = db::connect(&format!("{base}/{name}")).await.unwrap();
    (
        db,
        Box::pin(async move {
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&admin.pool)
                .await
                .unwrap();
            admin.pool.close().await;
        }),
    )
}

/// With a mail server, links go out by e-mail only: the answer says "sent" and carries no link;
/// the link read from the received mail creates an account whose address is verified, and verifies
/// an existing unverified account that follows it, which may then answer in the console.
async fn emailed_links_verify_addresses(db: Db) {
    let mail = MailServer::start().await;
    let plain = services_over(db.clone());
    let s = services_with(db.clone(), mail.settings());
    let ada = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ada_id = identity_of(&ada);
    // Nina joined elsewhere through a hand-carried link, before: unverified.
    let host = user(&plain, "host@example.com", Role::Admin, "Elsewhere").await;
    let carried = plain
        .workspaces
        .invite(
            &identity_of(&host).admin("test").unwrap(),
            "nina@example.com",
        )
        .await
        .unwrap();
    let nina = join_new(&plain, &token_of(&link_of(&carried[0])), "Nina").await;
    assert!(!verified(&db, &nina.identity.user_id).await);

    let sent = s
        .workspaces
        .invite(
            &ada_id.admin("test").unwrap(),
            "newbie@example.com, nina@example.com",
        )
        .await
        .unwrap();
    assert_eq!(
        sent.iter().map(|r| r.delivery.clone()).collect::<Vec<_>>(),
        vec![Delivery::Sent, Delivery::Sent]
    );
    let wire = serde_json::to_string(&sent).unwrap();
    assert!(
        !wire.contains("token") && !wire.contains("\"link\""),
        "the answer holds no link: {wire}"
    );
    assert_eq!(
        sent[0].delivery.message("newbie@example.com"),
        "Invitation sent to newbie@example.com."
    );

    // The new person follows the link from the mail: verified.
    let link = mail.link_sent_to("newbie@example.com").await;
    assert!(
        link.starts_with("http://127.0.0.1:3000/invite?token="),
        "{link}"
    );
    let newbie = join_new(&s, &token_of(&link), "Newbie").await;
    assert_eq!(newbie.identity.workspace_id, ada.workspace_id);
    assert!(verified(&db, &newbie.identity.user_id).await);

    // Nina follows hers, logged in: now verified, and in-app answers work for her.
    let link = mail.link_sent_to("nina@example.com").await;
    s.workspaces
        .accept_link(form(&token_of(&link), ""), Some(nina.clone()), "ip".into())
        .await
        .unwrap();
    assert!(verified(&db, &nina.identity.user_id).await);
    let accept = s
        .audit
        .list(&ada_id.admin("test").unwrap(), AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "invitation.accept" && e.actor_id == nina.identity.user_id)
        .unwrap();
    assert_eq!(accept.summary["after"]["email_verified"], true);
    let gus = user(&plain, "gus@example.com", Role::Admin, "Garage").await;
    plain
        .workspaces
        .invite(
            &identity_of(&gus).admin("test").unwrap(),
            "nina@example.com",
        )
        .await
        .unwrap();
    let mine = s.workspaces.overview(&nina).await.unwrap();
    assert!(mine.email_verified);
    assert_eq!(mine.invitations.len(), 1);
    s.workspaces
        .answer_invitation(&nina, &mine.invitations[0].id, true)
        .await
        .unwrap();

    // A resend goes by e-mail too, with a new link; the old one stops working.
    let resend_to = s
        .workspaces
        .invite(&ada_id.admin("test").unwrap(), "late@example.com")
        .await
        .unwrap();
    assert_eq!(resend_to[0].delivery, Delivery::Sent);
    let old = mail.link_sent_to("late@example.com").await;
    let id = pending_id(&s, &ada_id, "late@example.com").await;
    let resent = s
        .users
        .resend_invitation(&ada_id.admin("test").unwrap(), &id)
        .await
        .unwrap();
    assert_eq!(resent.delivery, Delivery::Sent);
    assert!(
        s.workspaces
            .invitation(&token_of(&old))
            .await
            .unwrap()
            .is_none()
    );
}

/// A mail server that cannot be reached: each address is reported as not sent (no error for the
/// whole request), the invitations are committed with their audit entries and stay pending, and a
/// resend once the server is back delivers them.
async fn a_failed_sending_is_reported_per_address(db: Db) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = services_with(db.clone(), smtp_settings(closed));
    let ada = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ada_id = identity_of(&ada);
    let results = s
        .workspaces
        .invite(
            &ada_id.admin("test").unwrap(),
            "x@example.com, y@example.com",
        )
        .await
        .expect("a failed sending is not an error of the request");
    for r in &results {
        match &r.delivery {
            Delivery::Failed { error } => assert_eq!(error, "the mail server could not be reached"),
            other => panic!("{other:?}"),
        }
        assert!(r.delivery.message(&r.email).contains("Resend"));
    }
    let pending = s
        .workspaces
        .overview(&caller(ada_id.clone()))
        .await
        .unwrap()
        .pending;
    assert_eq!(pending.len(), 2);
    let created = s
        .audit
        .list(&ada_id.admin("test").unwrap(), AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "invitation.create")
        .count();
    assert_eq!(created, 2);

    let mail = MailServer::start().await;
    let back = services_with(db.clone(), mail.settings());
    let id = pending_id(&back, &ada_id, "x@example.com").await;
    assert_eq!(
        back.users
            .resend_invitation(&ada_id.admin("test").unwrap(), &id)
            .await
            .unwrap()
            .delivery,
        Delivery::Sent
    );
    let link = mail.link_sent_to("x@example.com").await;
    let x = join_new(&back, &token_of(&link), "Xavier").await;
    assert!(verified(&db, &x.identity.user_id).await);
}

on_both_databases!(
    emailed_links_verify_addresses,
    a_failed_sending_is_reported_per_address,
);
