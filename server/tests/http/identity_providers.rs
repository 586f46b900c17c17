//! Identity providers end to end, in process: connections made over the API, then logins through
//! `/sso/<id>/login` and `/sso/callback` against an OpenID provider running on loopback
//! (`common::idp`), including the tokens a hostile provider could send; SAML in `saml`.

#[path = "identity_providers_saml.rs"]
mod saml;

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use crate::common::idp::{CLIENT_SECRET, Mint, Person, Provider};
use crate::common::router::{App, get};
use crate::common::site::{Api, on_postgres, on_sqlite};
use crate::common::{services_with, settings, with_sqlite};
use app::domain::Role;

/// Ada makes a connection to `idp` in workspace A (settings changed by `tweak`); its id.
async fn connect(w: &Api, idp: &Provider, tweak: impl FnOnce(&mut Value)) -> String {
    let mut settings = idp.settings("Corporate login");
    tweak(&mut settings);
    let (status, v) = w
        .call(
            &w.admin.basic,
            "identity_providers.create",
            json!({"settings": settings, "secret": CLIENT_SECRET}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v["data"]["id"].as_str().unwrap().to_string()
}

/// The browser's trip out: the provider's URL and the cookie binding the login to the browser.
async fn start(app: &App, id: &str) -> (String, String) {
    let (status, headers, _) = app.send(get(&format!("/sso/{id}/login"), None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    let cookie = cookies(&headers)
        .into_iter()
        .find(|c| c.starts_with("atrium_sso_state="))
        .expect("a state cookie");
    (location, cookie.split(';').next().unwrap().to_string())
}

fn cookies(headers: &axum::http::HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn state_of(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string()
}

/// How a login ended: the session cookie's value, or the login page's message.
#[derive(Debug)]
enum Landed {
    Session(String),
    Refused(String),
}

impl Landed {
    fn session(self) -> String {
        match self {
            Landed::Session(s) => s,
            Landed::Refused(m) => panic!("the login was refused: {m}"),
        }
    }

    fn refusal(self) -> String {
        match self {
            Landed::Refused(m) => m,
            Landed::Session(_) => panic!("the login was let through"),
        }
    }
}

/// The browser comes back to the callback with this query and cookie.
async fn back(app: &App, query: &str, cookie: Option<&str>) -> Landed {
    let (status, headers, _) = app
        .send(get(&format!("/sso/callback?{query}"), cookie))
        .await;
    landing(status, &headers)
}

/// Where an answer landed the browser: a session, or the login page's message.
fn landing(status: StatusCode, headers: &axum::http::HeaderMap) -> Landed {
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    let session = cookies(headers)
        .into_iter()
        .find(|c| c.starts_with("atrium_session=") && !c.starts_with("atrium_session=;"));
    match session {
        Some(c) => {
            assert_eq!(location, "/settings/profile");
            Landed::Session(
                c.trim_start_matches("atrium_session=")
                    .split(';')
                    .next()
                    .unwrap()
                    .to_string(),
            )
        }
        None => {
            let url = url::Url::parse(&format!("http://x{location}")).unwrap();
            assert_eq!(url.path(), "/login");
            Landed::Refused(
                url.query_pairs()
                    .find(|(k, _)| k == "sso_error")
                    .expect("a message for the login page")
                    .1
                    .to_string(),
            )
        }
    }
}

/// A whole login of `person` through connection `id`, the provider minting as `mint` says.
async fn log_in(app: &App, idp: &Provider, id: &str, person: Person, mint: Mint) -> Landed {
    let (url, cookie) = start(app, id).await;
    let code = idp.authorize(&url, person, mint);
    let state = state_of(&url);
    back(app, &format!("state={state}&code={code}"), Some(&cookie)).await
}

/// Who a session cookie logs in as: e-mail, workspace and role.
async fn whoami(app: &App, session: &str) -> (String, String, Role) {
    let caller = app
        .services
        .sessions
        .resolve_cookie(session)
        .await
        .unwrap()
        .expect("a live session");
    (
        caller.identity.email,
        caller.identity.workspace_name,
        caller.identity.role,
    )
}

#[tokio::test]
async fn a_person_logs_in_through_oidc_as_the_mapped_member_of_that_workspace() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let (url, _) = start(&w.app, &id).await;
        let q: std::collections::HashMap<String, String> = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert!(url.starts_with(&format!("{}/authorize?", idp.issuer)));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:3000/sso/callback");
        assert!(q["nonce"].len() >= 16);
        // A login takes whoever is logged in at the provider; tests and links ask for a fresh login.
        assert!(!q.contains_key("prompt"));

        let zoe = Person::new("zoe-1", "zoe@example.com");
        let session = log_in(&w.app, &idp, &id, zoe.clone(), Mint::default())
            .await
            .session();
        let (email, workspace, role) = whoami(&w.app, &session).await;
        assert_eq!(
            (email.as_str(), workspace.as_str(), role),
            ("zoe@example.com", "A", Role::Member)
        );
        // The second login finds the same account through the link.
        let again = log_in(&w.app, &idp, &id, zoe, Mint::default())
            .await
            .session();
        let first = w
            .app
            .services
            .sessions
            .resolve_cookie(&session)
            .await
            .unwrap()
            .unwrap();
        let second = w
            .app
            .services
            .sessions
            .resolve_cookie(&again)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.identity.user_id, second.identity.user_id);
        // The audit log records the logins.
        let log = provider_audit(&w).await;
        let logins = log
            .iter()
            .filter(|e| e.action == "identity_provider.login")
            .count();
        assert_eq!(logins, 2);
    })
    .await
}

#[tokio::test]
async fn es256_tokens_and_the_user_info_endpoint_are_accepted() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |s| {
            s["oidc"]["userinfo_from_id_token"] = json!(false);
        })
        .await;
        let mint = Mint {
            es256: true,
            ..Mint::default()
        };
        let session = log_in(
            &w.app,
            &idp,
            &id,
            Person::new("e-1", "eve@example.com"),
            mint,
        )
        .await
        .session();
        assert_eq!(whoami(&w.app, &session).await.0, "eve@example.com");
    })
    .await
}

#[tokio::test]
async fn forged_misdirected_and_stale_tokens_are_refused() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let cases: Vec<(&str, Mint, &str)> = vec![
            (
                "wrong issuer",
                Mint {
                    issuer: Some("http://127.0.0.1:1/elsewhere".into()),
                    ..Mint::default()
                },
                "another issuer",
            ),
            (
                "wrong audience",
                Mint {
                    audience: Some("someone-else".into()),
                    ..Mint::default()
                },
                "another application",
            ),
            (
                "bad nonce",
                Mint {
                    nonce: Some("not-the-nonce".into()),
                    ..Mint::default()
                },
                "nonce",
            ),
            (
                "expired",
                Mint {
                    expires_in: Some(-600),
                    ..Mint::default()
                },
                "expired",
            ),
            (
                "tampered",
                Mint {
                    tamper: true,
                    ..Mint::default()
                },
                "signature",
            ),
            (
                "unknown kid",
                Mint {
                    unknown_key: true,
                    ..Mint::default()
                },
                "does not publish",
            ),
            (
                "alg none",
                Mint {
                    alg_none: true,
                    ..Mint::default()
                },
                "ID token",
            ),
            (
                "HS256 with the client secret",
                Mint {
                    hs256_with_secret: true,
                    ..Mint::default()
                },
                "HS256",
            ),
        ];
        for (name, mint, says) in cases {
            let landed = log_in(
                &w.app,
                &idp,
                &id,
                Person::new("m-1", "mallory@example.com"),
                mint,
            )
            .await;
            let Landed::Refused(message) = landed else {
                panic!("{name}: the login was let through");
            };
            assert!(message.contains(says), "{name}: {message}");
        }
        // Nobody was let in, and the failures are in the audit log.
        let ada = ada(&w).await;
        let members = w
            .app
            .services
            .users
            .overview(&ada.admin("t").unwrap())
            .await
            .unwrap();
        assert!(
            !format!("{members:?}").contains("mallory@example.com"),
            "a forged login made an account"
        );
        let failed = provider_audit(&w)
            .await
            .iter()
            .filter(|e| e.action == "identity_provider.login_failed")
            .count();
        assert_eq!(failed, 8);
    })
    .await
}

#[tokio::test]
async fn keys_are_fetched_again_when_a_token_names_a_new_one() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let ann = Person::new("a-1", "ann@example.com");
        log_in(&w.app, &idp, &id, ann.clone(), Mint::default())
            .await
            .session();
        idp.rotate();
        w.app.services.core.clock.advance(11_000);
        let rotated = Mint {
            rotated_key: true,
            ..Mint::default()
        };
        log_in(&w.app, &idp, &id, ann, rotated).await.session();
    })
    .await
}

#[tokio::test]
async fn without_first_login_accounts_only_invited_people_get_in() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |s| s["create_users"] = json!(false)).await;
        let ivy = Person::new("i-1", "ivy@example.com");
        let message = log_in(&w.app, &idp, &id, ivy.clone(), Mint::default())
            .await
            .refusal();
        assert!(
            message.contains("Ask an administrator to invite you"),
            "{message}"
        );
        let ada = ada(&w).await;
        w.app
            .services
            .workspaces
            .invite(&ada.admin("t").unwrap(), "ivy@example.com")
            .await
            .unwrap();
        let session = log_in(&w.app, &idp, &id, ivy, Mint::default())
            .await
            .session();
        assert_eq!(whoami(&w.app, &session).await.1, "A");
    })
    .await
}

#[tokio::test]
async fn an_address_alone_never_links_an_existing_account() {
    on_sqlite(async |w: Api| {
        // Bob administers workspace B; Ada's provider in A claims his address.
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let message = log_in(
            &w.app,
            &idp,
            &id,
            Person::new("b-9", "bob@example.com"),
            Mint::default(),
        )
        .await
        .refusal();
        assert!(message.contains("already exists"), "{message}");
    })
    .await
}

#[tokio::test]
async fn an_unverified_address_is_refused_when_the_connection_requires_verification() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let mut una = Person::new("u-1", "una@example.com");
        una.email_verified = false;
        let message = log_in(&w.app, &idp, &id, una.clone(), Mint::default())
            .await
            .refusal();
        assert!(message.contains("has not verified"), "{message}");
        // With the requirement off, the same person gets in.
        let id2 = connect(&w, &idp, |s| {
            s["display_name"] = json!("Lenient login");
            s["oidc"]["require_email_verified"] = json!(false);
        })
        .await;
        log_in(&w.app, &idp, &id2, una, Mint::default())
            .await
            .session();
    })
    .await
}

/// The names of the groups `email` is in, as Ada sees them.
/// Ada makes these groups in workspace A.
async fn make_groups(w: &Api, names: &[&str]) {
    for name in names {
        let (s, v) = w
            .call(&w.admin.basic, "groups.create", json!({"name": name}))
            .await;
        assert_eq!(s, 200, "{v}");
    }
}

async fn groups_of(w: &Api, email: &str) -> Vec<String> {
    let ada = ada(w).await;
    let o = w
        .app
        .services
        .groups
        .overview(&ada.admin("t").unwrap())
        .await
        .unwrap();
    o.groups
        .into_iter()
        .filter(|g| g.builtin.as_deref() != Some("users"))
        .filter(|g| g.members.iter().any(|m| m.email == email))
        .map(|g| g.name)
        .collect()
}

#[tokio::test]
async fn group_sync_joins_named_groups_and_takes_back_only_what_it_gave() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        make_groups(&w, &["Vision", "Ops"]).await;
        let mut gus = Person::new("g-1", "gus@example.com");
        gus.groups = vec!["vision".into(), "Admins".into(), "Nonexistent".into()];
        let session = log_in(&w.app, &idp, &id, gus.clone(), Mint::default())
            .await
            .session();
        assert_eq!(groups_of(&w, "gus@example.com").await, vec!["Vision"]);
        assert_eq!(
            whoami(&w.app, &session).await.2,
            Role::Member,
            "Admins is not synced unless allowed"
        );
        // Ada puts Gus in Ops herself; the provider then names no group at all.
        let ada = ada(&w).await;
        let ops = w
            .app
            .services
            .groups
            .overview(&ada.admin("t").unwrap())
            .await
            .unwrap()
            .groups
            .into_iter()
            .find(|g| g.name == "Ops")
            .unwrap();
        let gus_id = w
            .app
            .services
            .workspaces
            .identity_for("gus@example.com", Some("A"))
            .await
            .unwrap()
            .user_id;
        w.app
            .services
            .groups
            .save(
                &ada.admin("t").unwrap(),
                Some(&ops.id),
                "Ops",
                "",
                &[gus_id],
            )
            .await
            .unwrap();
        gus.groups = vec![];
        log_in(&w.app, &idp, &id, gus, Mint::default())
            .await
            .session();
        assert_eq!(groups_of(&w, "gus@example.com").await, vec!["Ops"]);
    })
    .await
}

#[tokio::test]
async fn group_sync_grants_admins_only_when_the_connection_says_so() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |s| s["group_sync_admins"] = json!(true)).await;
        let mut al = Person::new("al-1", "al@example.com");
        al.groups = vec!["Admins".into()];
        let session = log_in(&w.app, &idp, &id, al.clone(), Mint::default())
            .await
            .session();
        assert_eq!(whoami(&w.app, &session).await.2, Role::Admin);
        al.groups = vec![];
        let session = log_in(&w.app, &idp, &id, al, Mint::default())
            .await
            .session();
        assert_eq!(whoami(&w.app, &session).await.2, Role::Member);
    })
    .await
}

#[tokio::test]
async fn an_answer_is_taken_once_and_only_by_the_browser_that_started_the_login() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        // Another browser (no cookie, or another login's cookie) cannot finish this login.
        let (url, cookie) = start(&w.app, &id).await;
        let code = idp.authorize(&url, Person::new("r-1", "rae@example.com"), Mint::default());
        let query = format!("state={}&code={code}", state_of(&url));
        let (_, other) = start(&w.app, &id).await;
        for jar in [None, Some(other.as_str())] {
            let m = back(&w.app, &query, jar).await.refusal();
            assert!(m.contains("another browser"), "{m}");
        }
        // Those attempts did not use the login up: its own browser finishes it, once.
        back(&w.app, &query, Some(&cookie)).await.session();
        let m = back(&w.app, &query, Some(&cookie)).await.refusal();
        assert!(m.contains("already used"), "{m}");
        // The provider's own refusal reads as such.
        let (url, cookie) = start(&w.app, &id).await;
        let m = back(
            &w.app,
            &format!(
                "state={}&error=access_denied&error_description=nope",
                state_of(&url)
            ),
            Some(&cookie),
        )
        .await
        .refusal();
        assert!(m.contains("access_denied") && m.contains("declined"), "{m}");
    })
    .await
}

#[tokio::test]
async fn secrets_never_come_back_and_are_sealed_at_rest() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        for path in [
            "/identity_providers.get_all",
            "/identity_providers.get_by_id",
        ] {
            let (s, v) = w
                .app
                .with_auth("POST", path, &w.admin.basic, &json!({"id": id}).to_string())
                .await;
            assert_eq!(s, 200);
            assert!(
                !v.to_string().contains(CLIENT_SECRET),
                "{path} sent the secret"
            );
            assert!(v.to_string().contains("\"has_secret\":true"), "{v}");
        }
        let stored: String =
            sqlx::query_scalar("SELECT secret FROM identity_providers WHERE id = $1")
                .bind(&id)
                .fetch_one(&w.app.services.core.db.pool)
                .await
                .unwrap();
        assert!(!stored.contains(CLIENT_SECRET));
        let audit: Vec<String> = sqlx::query_scalar("SELECT summary FROM audit_log")
            .fetch_all(&w.app.services.core.db.pool)
            .await
            .unwrap();
        assert!(audit.iter().all(|a| !a.contains(CLIENT_SECRET)));
        // An update without `secret` keeps it: the login still authenticates to the provider.
        let (_, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.get_by_id",
                json!({"id": id}),
            )
            .await;
        let mut settings = v["data"]["settings"].clone();
        settings["display_name"] = json!("Renamed login");
        let (s, v) = w
            .app
            .with_auth(
                "POST",
                "/identity_providers.update",
                &w.admin.basic,
                &json!({"id": id, "version": v["data"]["version"], "settings": settings})
                    .to_string(),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        log_in(
            &w.app,
            &idp,
            &id,
            Person::new("k-1", "kim@example.com"),
            Mint::default(),
        )
        .await
        .session();
    })
    .await
}

#[tokio::test]
async fn a_stale_version_conflicts_and_display_names_are_unique() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let settings = idp.settings("Corporate login");
        let update =
            |version: i64| json!({"id": id, "version": version, "settings": settings}).to_string();
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/identity_providers.update",
                &w.admin.basic,
                &update(1),
            )
            .await;
        assert_eq!(s, 200);
        let (s, v) = w
            .app
            .with_auth(
                "POST",
                "/identity_providers.update",
                &w.admin.basic,
                &update(1),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        let (s, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.create",
                json!({"settings": idp.settings("CORPORATE LOGIN"), "secret": "x"}),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("display_name"),
            "{v}"
        );
        // Bad input names its field.
        let mut bad = idp.settings("Other");
        bad["oidc"]["token_endpoint"] = json!("http://idp.example.com/token");
        let (s, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.create",
                json!({"settings": bad, "secret": "x"}),
            )
            .await;
        assert_eq!(s, 400, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("oidc.token_endpoint"),
            "{v}"
        );
    })
    .await
}

#[tokio::test]
async fn members_and_other_workspaces_cannot_see_or_change_connections() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let body = json!({"id": id, "active": false}).to_string();
        let (s, _) = w
            .app
            .with_auth("POST", "/identity_providers.get_all", &w.member.basic, "{}")
            .await;
        assert_eq!(s, 403);
        let (s, _) = w
            .app
            .with_auth(
                "POST",
                "/identity_providers.set_active",
                &w.member.basic,
                &body,
            )
            .await;
        assert_eq!(s, 403);
        for path in [
            "/identity_providers.get_by_id",
            "/identity_providers.set_active",
            "/identity_providers.delete",
        ] {
            let (s, _) = w
                .app
                .with_auth("POST", path, &w.outsider.basic, &body)
                .await;
            assert_eq!(s, 404, "{path}");
        }
        let (_, v) = w
            .app
            .with_auth(
                "POST",
                "/identity_providers.get_all",
                &w.outsider.basic,
                "{}",
            )
            .await;
        assert_eq!(v["data"]["connections"], json!([]));
    })
    .await
}

#[tokio::test]
async fn only_active_connections_show_and_log_people_in() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let buttons = w.app.services.identity_providers.buttons().await.unwrap();
        assert_eq!(buttons.len(), 1);
        assert_eq!(buttons[0].href, format!("/sso/{id}/login"));
        assert_eq!(buttons[0].workspace, "A");
        let (s, _) = w
            .call(
                &w.admin.basic,
                "identity_providers.set_active",
                json!({"id": id, "active": false}),
            )
            .await;
        assert_eq!(s, 200);
        assert!(
            w.app
                .services
                .identity_providers
                .buttons()
                .await
                .unwrap()
                .is_empty()
        );
        let (status, headers, _) = w.app.send(get(&format!("/sso/{id}/login"), None)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            headers[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login?sso_error=")
        );
        // A login that was on its way when the connection went off does not finish.
        let (s, _) = w
            .call(
                &w.admin.basic,
                "identity_providers.set_active",
                json!({"id": id, "active": true}),
            )
            .await;
        assert_eq!(s, 200);
        let (url, cookie) = start(&w.app, &id).await;
        let code = idp.authorize(
            &url,
            Person::new("o-1", "otto@example.com"),
            Mint::default(),
        );
        let (s, _) = w
            .call(
                &w.admin.basic,
                "identity_providers.delete",
                json!({"id": id}),
            )
            .await;
        assert_eq!(s, 200);
        let m = back(
            &w.app,
            &format!("state={}&code={code}", state_of(&url)),
            Some(&cookie),
        )
        .await
        .refusal();
        assert!(m.contains("expired") || m.contains("turned off"), "{m}");
    })
    .await
}

/// `identity_providers.test_outcome` of a test, as Ada reads it.
async fn outcome(w: &Api, test: &str) -> Value {
    w.call(
        &w.admin.basic,
        "identity_providers.test_outcome",
        json!({"test": test}),
    )
    .await
    .1["data"]
        .clone()
}

#[tokio::test]
async fn a_test_login_shows_the_mapped_person_without_logging_anyone_in() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let mut settings = idp.settings("Not saved yet");
        settings["create_users"] = json!(false);
        let (s, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.test",
                json!({"settings": settings, "secret": CLIENT_SECRET}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let url = v["data"]["url"].as_str().unwrap().to_string();
        let test = v["data"]["test"].as_str().unwrap().to_string();
        assert!(url.contains("prompt=login"), "{url}");
        assert_eq!(outcome(&w, &test).await["done"], false);
        let mut tess = Person::new("t-1", "tess@example.com");
        tess.groups = vec!["ml".into()];
        let code = idp.authorize(&url, tess, Mint::default());
        let (status, headers, body) = w
            .app
            .send(get(
                &format!("/sso/callback?state={}&code={code}", state_of(&url)),
                None,
            ))
            .await;
        assert_eq!(status, 200);
        assert!(
            cookies(&headers)
                .iter()
                .all(|c| !c.starts_with("atrium_session="))
        );
        let page = String::from_utf8(body).unwrap();
        assert!(
            page.contains("Test succeeded") && page.contains("tess@example.com"),
            "{page}"
        );
        let o = outcome(&w, &test).await;
        assert_eq!(o["done"], true);
        assert_eq!(o["user"]["email"], "tess@example.com");
        assert_eq!(o["user"]["groups"], json!(["ml"]));
        assert!(
            o["decision"]
                .as_str()
                .unwrap()
                .contains("does not create accounts"),
            "{o}"
        );
        // Nothing was saved or created.
        let (_, v) = w
            .app
            .with_auth("POST", "/identity_providers.get_all", &w.admin.basic, "{}")
            .await;
        assert_eq!(v["data"]["connections"], json!([]));
        // Another administrator cannot read this test's outcome.
        let (s, _) = w
            .call(
                &w.outsider.basic,
                "identity_providers.test_outcome",
                json!({"test": "x"}),
            )
            .await;
        assert_eq!(s, 404);
    })
    .await
}

#[tokio::test]
async fn discovery_fills_the_endpoints_and_private_hosts_need_the_operator_s_consent() {
    let idp = Provider::start().await;
    on_sqlite(async |w: Api| {
        let (s, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.discover",
                json!({"issuer": idp.issuer}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["token_endpoint"], format!("{}/token", idp.issuer));
        assert_eq!(
            v["data"]["revocation_endpoint"],
            format!("{}/revoke", idp.issuer)
        );
    })
    .await;
    with_sqlite(|db| async move {
        let mut strict = settings();
        strict.sso_private_hosts = false;
        let app = App::over(services_with(db, strict));
        let (k, s) = app.key_pair("ada@example.com", Role::Admin, "A").await;
        let auth = crate::common::router::basic(&k, &s);
        let (s, v) = app
            .with_auth(
                "POST",
                "/identity_providers.discover",
                &auth,
                &json!({"issuer": idp.issuer}).to_string(),
            )
            .await;
        assert_eq!(s, 400, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("private address"),
            "{v}"
        );
    })
    .await;
}

/// Ada's browser session in workspace A, logged in with her password; the `Cookie` header.
async fn ada_with_password(w: &Api) -> String {
    let s = w
        .app
        .services
        .sessions
        .login(app::api::backend::LoginAttempt {
            login: "ada@example.com".into(),
            password: "password-123".into(),
            client_ip: "t".into(),
        })
        .await
        .unwrap();
    format!("atrium_session={}", s.cookie_value)
}

/// A signed-in member starts linking their account at connection `id`: the provider's URL, and
/// the cookies the browser then holds (the session and the login's state).
async fn start_link(app: &App, id: &str, session: &str) -> (String, String) {
    let (status, headers, _) = app
        .send(get(&format!("/sso/{id}/link"), Some(session)))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let url = headers[header::LOCATION].to_str().unwrap().to_string();
    let state_cookie = cookies(&headers)
        .into_iter()
        .find(|c| c.starts_with("atrium_sso_state="))
        .unwrap();
    let jar = format!("{session}; {}", state_cookie.split(';').next().unwrap());
    (url, jar)
}

/// Ada links her account to `person` at the provider of connection `id`; where she lands.
async fn link(w: &Api, idp: &Provider, id: &str, session: &str, person: Person) -> String {
    let (url, jar) = start_link(&w.app, id, session).await;
    let code = idp.authorize(&url, person, Mint::default());
    let (status, headers, _) = w
        .app
        .send(get(
            &format!("/sso/callback?state={}&code={code}", state_of(&url)),
            Some(&jar),
        ))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    headers[header::LOCATION].to_str().unwrap().to_string()
}

async fn set_password_login(w: &Api, enabled: bool) -> (StatusCode, Value) {
    w.call(
        &w.admin.basic,
        "identity_providers.set_password_login",
        json!({ "enabled": enabled }),
    )
    .await
}

async fn password_login_of(w: &Api, login: &str) -> Result<String, String> {
    w.app
        .services
        .sessions
        .login(app::api::backend::LoginAttempt {
            login: login.into(),
            password: "password-123".into(),
            client_ip: "t".into(),
        })
        .await
        .map(|s| s.cookie_value)
        .map_err(|e| e.user_message())
}

#[tokio::test]
async fn password_login_goes_off_only_once_an_administrator_can_log_in_through_a_connection() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        // Nobody administers A through the provider yet.
        let (s, v) = set_password_login(&w, false).await;
        assert_eq!(s, 400, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("password_login"),
            "{v}"
        );
        // An existing member is not found by address: Ada links her account from her session.
        let ada_at_idp = Person::new("ada-at-idp", "ada@example.com");
        let m = log_in(&w.app, &idp, &id, ada_at_idp.clone(), Mint::default())
            .await
            .refusal();
        assert!(
            m.contains("already exists") || m.contains("not used this login"),
            "{m}"
        );
        let session = ada_with_password(&w).await;
        let landed = link(&w, &idp, &id, &session, ada_at_idp.clone()).await;
        assert!(landed.starts_with("/settings/profile?linked="), "{landed}");
        let (s, v) = set_password_login(&w, false).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["enabled"], false);

        // Passwords no longer open workspace A; Ada gets in through the provider, as admin.
        let m = password_login_of(&w, "max@example.com").await.unwrap_err();
        assert!(m.contains("identity provider"), "{m}");
        let session = log_in(&w.app, &idp, &id, ada_at_idp, Mint::default())
            .await
            .session();
        let (email, workspace, role) = whoami(&w.app, &session).await;
        assert_eq!(
            (email.as_str(), workspace.as_str(), role),
            ("ada@example.com", "A", Role::Admin)
        );
        // Bob's workspace B is not concerned.
        password_login_of(&w, "bob@example.com").await.unwrap();

        // The last way in for an administrator cannot be switched off or deleted.
        for (path, body) in [
            (
                "/identity_providers.set_active",
                json!({"id": id, "active": false}),
            ),
            ("/identity_providers.delete", json!({"id": id})),
        ] {
            let (s, v) = w
                .app
                .with_auth("POST", path, &w.admin.basic, &body.to_string())
                .await;
            assert_eq!(s, 409, "{path}: {v}");
        }
        // The operator's command line turns passwords back on whatever happens.
        w.app
            .services
            .identity_providers
            .set_password_login_by_name("A", true)
            .await
            .unwrap();
        password_login_of(&w, "max@example.com").await.unwrap();
    })
    .await
}

#[tokio::test]
async fn a_password_session_cannot_switch_into_a_workspace_that_logs_in_through_its_provider() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let session = ada_with_password(&w).await;
        link(
            &w,
            &idp,
            &id,
            &session,
            Person::new("ada-2", "ada@corp.example.com"),
        )
        .await;
        set_password_login(&w, false).await;
        // Ada also owns workspace C, where passwords work: her password lands her there.
        w.app
            .services
            .workspaces
            .create_workspace("C", "ada@example.com")
            .await
            .unwrap();
        let cookie = password_login_of(&w, "ada@example.com").await.unwrap();
        let caller = w
            .app
            .services
            .sessions
            .resolve_cookie(&cookie)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(caller.identity.workspace_name, "C");
        let a = w
            .app
            .services
            .workspaces
            .identity_for("ada@example.com", Some("A"))
            .await
            .unwrap();
        let e = w
            .app
            .services
            .workspaces
            .switch(&caller, &a.workspace_id)
            .await
            .unwrap_err();
        assert!(e.user_message().contains("identity provider"), "{e}");
        // A session opened through the provider may go back and forth.
        let sso = log_in(
            &w.app,
            &idp,
            &id,
            Person::new("ada-2", "ada@corp.example.com"),
            Mint::default(),
        )
        .await
        .session();
        let caller = w
            .app
            .services
            .sessions
            .resolve_cookie(&sso)
            .await
            .unwrap()
            .unwrap();
        let c = w
            .app
            .services
            .workspaces
            .identity_for("ada@example.com", Some("C"))
            .await
            .unwrap();
        w.app
            .services
            .workspaces
            .switch(&caller, &c.workspace_id)
            .await
            .unwrap();
        w.app
            .services
            .workspaces
            .switch(&caller, &a.workspace_id)
            .await
            .unwrap();
    })
    .await
}

#[tokio::test]
async fn a_provider_account_links_to_one_member_only() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        // Zed made his account through the provider; Ada then tries to link the same subject.
        log_in(
            &w.app,
            &idp,
            &id,
            Person::new("zed", "zed@example.com"),
            Mint::default(),
        )
        .await
        .session();
        let session = ada_with_password(&w).await;
        let landed = link(
            &w,
            &idp,
            &id,
            &session,
            Person::new("zed", "zed@example.com"),
        )
        .await;
        assert!(
            landed.starts_with("/settings/profile?sso_error="),
            "{landed}"
        );
        assert!(
            landed.contains("another%20member")
                || landed.contains("another+member")
                || landed.contains("another member"),
            "{landed}"
        );
        // Without a session there is nothing to link.
        let (status, headers, _) = w.app.send(get(&format!("/sso/{id}/link"), None)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            headers[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    })
    .await
}

#[test]
fn private_loopback_and_special_addresses_are_not_public() {
    use app::services::identity_providers::fetch::is_public;
    for ip in [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
    ] {
        assert!(!is_public(ip.parse().unwrap()), "{ip}");
    }
    for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"] {
        assert!(is_public(ip.parse().unwrap()), "{ip}");
    }
}

#[tokio::test]
async fn names_that_resolve_to_private_addresses_are_refused_when_connecting() {
    use app::services::identity_providers::fetch::Fetcher;
    let f = Fetcher::new(false);
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost:9/x",
        "http://[::1]:9/x",
    ] {
        let e = f.get(url, "*/*").await.unwrap_err();
        assert!(e.contains("private address"), "{url}: {e}");
    }
}

#[tokio::test]
async fn sixteen_browsers_racing_with_one_answer_get_one_session() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let (url, cookie) = start(&w.app, &id).await;
        let code = idp.authorize(
            &url,
            Person::new("q-1", "quinn@example.com"),
            Mint::default(),
        );
        let query = format!("state={}&code={code}", state_of(&url));
        let landed =
            futures_util::future::join_all((0..16).map(|_| back(&w.app, &query, Some(&cookie))))
                .await;
        let sessions = landed
            .iter()
            .filter(|l| matches!(l, Landed::Session(_)))
            .count();
        assert_eq!(sessions, 1, "{landed:?}");
        assert_eq!(idp.token_calls(), 1, "the code went to the provider once");
    })
    .await
}

#[tokio::test]
async fn sixteen_first_logins_of_one_person_at_once_make_one_account() {
    on_sqlite(sixteen_first_logins).await
}

/// On PostgreSQL the logins' transactions truly overlap: the later ones meet the account the first
/// made, and are tried again.
#[tokio::test]
async fn sixteen_first_logins_of_one_person_at_once_make_one_account_on_postgres() {
    on_postgres(sixteen_first_logins).await
}

async fn sixteen_first_logins(w: Api) {
    {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let mut started = vec![];
        for _ in 0..16 {
            let (url, cookie) = start(&w.app, &id).await;
            let code = idp.authorize(
                &url,
                Person::new("r-16", "rio@example.com"),
                Mint::default(),
            );
            started.push((format!("state={}&code={code}", state_of(&url)), cookie));
        }
        let landed =
            futures_util::future::join_all(started.iter().map(|(q, c)| back(&w.app, q, Some(c))))
                .await;
        let mut users = std::collections::BTreeSet::new();
        for l in landed {
            let session = l.session();
            let caller = w
                .app
                .services
                .sessions
                .resolve_cookie(&session)
                .await
                .unwrap()
                .unwrap();
            users.insert(caller.identity.user_id);
        }
        assert_eq!(users.len(), 1, "one account for one person");
    }
}

#[tokio::test]
async fn logins_started_from_one_address_are_limited() {
    on_sqlite(async |w: Api| {
        let idp = Provider::start().await;
        let id = connect(&w, &idp, |_| {}).await;
        let sso = &w.app.services.identity_providers;
        let max = match app::domain::throttle::SSO_STARTS {
            app::domain::throttle::Rule::Window { max, .. } => max,
            _ => unreachable!(),
        };
        for _ in 0..max {
            sso.start_login(&id, "198.51.100.7").await.unwrap();
        }
        let refused = sso.start_login(&id, "198.51.100.7").await.unwrap_err();
        assert!(
            refused
                .0
                .contains("Too many logins were started from your network"),
            "{}",
            refused.0
        );
        // Another address is not held back, nor is the first one once the window has passed.
        sso.start_login(&id, "203.0.113.9").await.unwrap();
        w.app
            .services
            .core
            .clock
            .advance(app::domain::throttle::WINDOW_MS + 1);
        sso.start_login(&id, "198.51.100.7").await.unwrap();
    })
    .await
}

#[tokio::test]
async fn every_declared_login_route_is_served() {
    on_sqlite(async |w: Api| {
        for d in &atrium_server::sso::DECLARED {
            let path = d.path.replace("{id}", "no-such-connection");
            let req = match d.method {
                "GET" => get(&path, None),
                _ => crate::common::router::post_form(&path, None, None, ""),
            };
            let (status, _, body) = w.app.send(req).await;
            let body = String::from_utf8_lossy(&body);
            // A redirect with a message, or (metadata) this route's own answer: never the
            // console's page for an unknown address.
            assert!(
                status == StatusCode::SEE_OTHER
                    || (status == StatusCode::NOT_FOUND && body.contains("No SAML connection")),
                "{} {path}: {status} {body}",
                d.method
            );
        }
    })
    .await
}

/// The identity-provider entries of workspace A's audit log, as Ada sees them.
async fn provider_audit(w: &Api) -> Vec<app::domain::audit::AuditEntry> {
    let ada = ada(w).await;
    w.app
        .services
        .audit
        .list(
            &ada.admin("t").unwrap(),
            app::domain::audit::AuditQuery {
                object_type: Some("identity_provider".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

/// Ada, the administrator of workspace A, as the services know her.
async fn ada(w: &Api) -> app::domain::Identity {
    w.app
        .services
        .workspaces
        .identity_for("ada@example.com", Some("A"))
        .await
        .unwrap()
}
