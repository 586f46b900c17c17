//! The REST registry's declared rules, enforced before any handler runs: impersonating tokens only
//! where an endpoint allows them, browser sessions changing nothing without a same-origin POST, the
//! right to impersonate checked on every request, refreshes bounded, the audit log naming both the
//! impersonator and the member, and the README's API table in step with the registry.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use app::domain::Role;
use app::domain::identity::Actor;
use atrium_server::rest::{self, Access};
use common::router::{App, basic, claims_of};
use common::with_sqlite;

/// A workspace with an administrator, a member, and a service account allowed to impersonate.
struct Workspace {
    app: App,
    admin: String,
    sa: String,
    sa_id: String,
    member_id: String,
}

impl Workspace {
    async fn new(db: atrium_server::db::Db) -> Self {
        let app = App::new(db).await;
        let (ka, sa) = app.key_pair("ada@example.com", Role::Admin, "A").await;
        let (km, sm) = app.key_pair("max@example.com", Role::Member, "A").await;
        let admin = basic(&ka, &sa);
        let (_, v) = app
            .with_auth(
                "POST",
                "/service_accounts.create",
                &admin,
                r#"{"name": "ci-agent", "allow_impersonation": true}"#,
            )
            .await;
        let sa_id = v["data"]["service_account"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let sa_key = basic(
            v["data"]["credentials"]["access_key"].as_str().unwrap(),
            v["data"]["credentials"]["secret_key"].as_str().unwrap(),
        );
        let (_, v) = app
            .with_auth("GET", "/users.get_current_user", &basic(&km, &sm), "")
            .await;
        let member_id = v["data"]["user"]["id"].as_str().unwrap().to_string();
        Self {
            app,
            admin,
            sa: sa_key,
            sa_id,
            member_id,
        }
    }

    /// `auth.login` with the impersonation header; the answer's token.
    async fn impersonate(&self, authorization: &str, target: &str) -> (StatusCode, Value) {
        let req = Request::builder()
            .method("GET")
            .uri("/auth.login")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::AUTHORIZATION, authorization)
            .header("x-clearml-impersonate-as", target)
            .body(Body::empty())
            .unwrap();
        let (status, _, bytes) = self.app.send(req).await;
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    async fn member_token(&self) -> String {
        let (s, v) = self.impersonate(&self.sa, &self.member_id).await;
        assert_eq!(s, 200, "{v}");
        format!("Bearer {}", v["data"]["token"].as_str().unwrap())
    }
}

#[tokio::test]
async fn impersonating_tokens_reach_only_the_endpoints_that_allow_them() {
    with_sqlite(|db| async move {
        let ws = Workspace::new(db).await;
        let token = ws.member_token().await;
        let (s, v) = ws
            .app
            .with_auth("GET", "/users.get_current_user", &token, "")
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["user"]["id"], json!(ws.member_id));
        let refused: Vec<&str> = rest::endpoints()
            .iter()
            .filter(|e| !e.impersonation)
            .map(|e| e.name)
            .collect();
        assert!(refused.contains(&"auth.create_credentials"));
        assert!(refused.contains(&"workspaces.leave"));
        for name in refused {
            let (s, v) = ws
                .app
                .with_auth("POST", &format!("/{name}"), &token, "{}")
                .await;
            assert_eq!(s, 403, "{name}: {v}");
        }
        // Nothing was minted for the member while impersonated.
        let (s, v) = ws
            .app
            .with_auth(
                "POST",
                "/auth.create_credentials",
                &token,
                r#"{"label": "stolen"}"#,
            )
            .await;
        assert_eq!(s, 403, "{v}");
    })
    .await
}

#[tokio::test]
async fn turning_impersonation_off_ends_the_tokens_at_once() {
    with_sqlite(|db| async move {
        let ws = Workspace::new(db).await;
        let token = ws.member_token().await;
        let (s, _) = ws
            .app
            .with_auth(
                "POST",
                "/service_accounts.update",
                &ws.admin,
                &json!({"id": ws.sa_id, "name": "ci-agent", "allow_impersonation": false})
                    .to_string(),
            )
            .await;
        assert_eq!(s, 200);
        let (s, v) = ws
            .app
            .with_auth("GET", "/users.get_current_user", &token, "")
            .await;
        assert_eq!(s, 401, "{v}");
        assert_eq!(v["meta"]["result_subcode"], 30);
        let (s, _) = ws.app.with_auth("GET", "/auth.login", &token, "").await;
        assert_eq!(s, 401, "no refresh either");
    })
    .await
}

#[tokio::test]
async fn a_demoted_administrator_loses_the_impersonation_it_started() {
    with_sqlite(|db| async move {
        let ws = Workspace::new(db).await;
        let (kb, sb) = ws.app.key_pair("bea@example.com", Role::Admin, "A").await;
        let bea = basic(&kb, &sb);
        let (s, v) = ws.impersonate(&bea, &ws.member_id).await;
        assert_eq!(s, 200, "{v}");
        let token = format!("Bearer {}", v["data"]["token"].as_str().unwrap());
        let (_, v) = ws
            .app
            .with_auth("GET", "/users.get_current_user", &bea, "")
            .await;
        let bea_id = v["data"]["user"]["id"].as_str().unwrap().to_string();
        let (s, _) = ws
            .app
            .with_auth(
                "POST",
                "/users.set_role",
                &ws.admin,
                &json!({"user": bea_id, "role": "member"}).to_string(),
            )
            .await;
        assert_eq!(s, 200);
        let (s, _) = ws
            .app
            .with_auth("GET", "/users.get_current_user", &token, "")
            .await;
        assert_eq!(s, 401);
    })
    .await
}

#[tokio::test]
async fn refreshing_an_impersonation_never_outlives_its_start_plus_the_longest_lifetime() {
    with_sqlite(|db| async move {
        let ws = Workspace::new(db).await;
        let token = ws.member_token().await;
        let start = claims_of(token.trim_start_matches("Bearer "))["imp_since"]
            .as_i64()
            .unwrap();
        let max = common::settings().token_max_secs;
        let clock = ws.app.services.core.clock.clone();
        let mut current = token;
        // Refresh every 50 minutes; the longest lifetime is two hours.
        for _ in 0..2 {
            clock.advance(50 * 60 * 1000);
            let (s, v) = ws.app.with_auth("GET", "/auth.login", &current, "").await;
            assert_eq!(s, 200, "{v}");
            let t = v["data"]["token"].as_str().unwrap().to_string();
            let c = claims_of(&t);
            assert_eq!(c["imp"], json!(ws.member_id));
            assert!(c["exp"].as_i64().unwrap() <= start + max, "{c}");
            current = format!("Bearer {t}");
        }
        // At the bound the last token has expired, and nothing can refresh it.
        clock.advance(25 * 60 * 1000);
        let (s, v) = ws.app.with_auth("GET", "/auth.login", &current, "").await;
        assert_eq!(s, 401, "past the bound: {v}");
    })
    .await
}

#[tokio::test]
async fn the_audit_log_names_the_impersonator_and_the_member() {
    with_sqlite(|db| async move {
        let ws = Workspace::new(db).await;
        let token = ws.member_token().await;
        let caller = ws
            .app
            .services
            .credentials
            .authenticate_token(token.trim_start_matches("Bearer "))
            .await
            .unwrap();
        assert!(
            matches!(&caller.identity.actor, Actor::Impersonation { by_name, .. } if by_name == "ci-agent"),
            "{:?}",
            caller.identity.actor
        );
        ws.app
            .services
            .profile
            .rename(&caller.identity, "Max Planck")
            .await
            .unwrap();
        let (_, v) = ws
            .app
            .with_auth(
                "POST",
                "/audit.get_all",
                &ws.admin,
                r#"{"object_type": "user"}"#,
            )
            .await;
        let entry = &v["data"]["entries"][0];
        assert_eq!(entry["actor_name"], "ci-agent as User max", "{v}");
        assert!(entry["at"].as_str().unwrap().ends_with('Z'), "ISO 8601 UTC");
    })
    .await
}

/// A request carrying the console's session cookie.
fn with_cookie(method: &str, path: &str, cookie: &str, origin: Option<&str>) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::COOKIE, cookie);
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    req.body(Body::from("{}")).unwrap()
}

#[tokio::test]
async fn a_browser_session_changes_nothing_through_a_get() {
    with_sqlite(|db| async move {
        let ws = Workspace::new(db).await;
        let cookie = ws.app.cookie("root@example.com", Role::Admin, "A").await;
        let writes: Vec<&str> = rest::endpoints()
            .iter()
            .filter(|e| e.writes && e.access != Access::Credential)
            .map(|e| e.name)
            .collect();
        assert!(writes.contains(&"users.set_role"));
        for name in &writes {
            let (s, _, body) = ws
                .app
                .send(with_cookie("GET", &format!("/{name}"), &cookie, None))
                .await;
            assert_eq!(s, 403, "{name}: {}", String::from_utf8_lossy(&body));
        }
        // The promotion a hostile page would try, as a top-level navigation.
        let path = format!("/users.set_role?user={}&role=admin", ws.member_id);
        let (s, _, _) = ws.app.send(with_cookie("GET", &path, &cookie, None)).await;
        assert_eq!(s, 403);
        let (s, _, _) = ws
            .app
            .send(with_cookie(
                "POST",
                &path,
                &cookie,
                Some("http://evil.example"),
            ))
            .await;
        assert_eq!(s, 403, "cross-site POST");
        let (_, v) = ws
            .app
            .with_auth("GET", "/users.get_all", &ws.admin, "")
            .await;
        let max = v["data"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == json!(ws.member_id))
            .unwrap()
            .clone();
        assert_eq!(max["role"], "member", "nothing changed");
        // Reads stay open to GET, and a same-origin POST works.
        let (s, _, _) = ws
            .app
            .send(with_cookie("GET", "/users.get_all", &cookie, None))
            .await;
        assert_eq!(s, 200);
        let (s, _, _) = ws
            .app
            .send(with_cookie(
                "POST",
                &path,
                &cookie,
                Some("http://127.0.0.1:3000"),
            ))
            .await;
        assert_eq!(s, 200);
        // Key pairs keep GET, as the SDK sends it.
        let (s, _) = ws
            .app
            .with_auth(
                "GET",
                &format!("/users.set_role?user={}&role=member", ws.member_id),
                &ws.admin,
                "",
            )
            .await;
        assert_eq!(s, 200);
    })
    .await
}

#[test]
fn the_readme_and_openapi_list_every_login_route() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    for row in atrium_server::sso::readme_rows() {
        assert!(readme.contains(row.as_str()), "README lacks: {row}");
    }
    let doc = rest::openapi();
    for d in &atrium_server::sso::DECLARED {
        let op = &doc["paths"][d.path][d.method.to_ascii_lowercase()];
        assert_eq!(op["summary"], d.summary, "{} {}", d.method, d.path);
    }
}

#[test]
fn the_readme_api_table_matches_the_registry() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let rows = rest::registry::readme_rows();
    for row in &rows {
        assert!(readme.contains(row.as_str()), "README lacks: {row}");
    }
    let table = readme
        .split("| endpoint | who | what |")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("the README's API table");
    let listed = table
        .lines()
        .filter(|l| {
            l.starts_with("| `")
                && l.split('`')
                    .nth(1)
                    .is_some_and(|n| n.contains('.') && !n.contains(' '))
        })
        .count();
    assert_eq!(
        listed,
        rows.len(),
        "README lists endpoints the registry lacks"
    );
}

#[test]
fn the_openapi_document_has_every_request_and_answer_schema() {
    let doc = rest::openapi();
    for e in rest::endpoints() {
        let op = &doc["paths"][format!("/{}", e.name)]["post"];
        assert!(op["requestBody"]["content"]["application/json"]["schema"].is_object());
        let answer = &op["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][1]["properties"]
            ["data"];
        assert!(answer.is_object(), "{}", e.name);
        assert_eq!(op["x-atrium-writes"], json!(e.writes));
    }
    let create = &doc["paths"]["/auth.create_credentials"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    assert!(create["properties"]["label"].is_object(), "{create}");
}
