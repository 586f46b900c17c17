//! The HTTP layer end to end, in process: the REST envelope and its errors, authentication and
//! authorisation on every face (REST, server functions, CSV export, pages), cross-site refusal,
//! health, metrics and the OpenAPI document.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use app::domain::{AppError, Role};
use common::router::{App, basic, claims_of};
use common::{user, with_sqlite};

#[tokio::test]
async fn envelope_versions_and_errors() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let (s, v) = app.api("GET", "/debug.ping", None, None).await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["msg"], "ClearML server");
        assert_eq!(v["meta"]["endpoint"]["name"], "debug.ping");
        assert_eq!(v["meta"]["result_msg"], "OK");
        assert!(v["meta"]["id"].as_str().is_some_and(|id| !id.is_empty()));

        let (_, v) = app
            .api("POST", "/v2.23/server.info", None, Some("{}"))
            .await;
        assert_eq!(v["meta"]["endpoint"]["requested_version"], "2.23");
        assert_eq!(v["meta"]["endpoint"]["actual_version"], "2.23");
        assert_eq!(v["data"]["api_version"], "2.31");
        let (_, v) = app.api("GET", "/v999.0/server.info", None, None).await;
        assert_eq!(v["meta"]["endpoint"]["actual_version"], "2.31");

        let (s, v) = app.api("GET", "/users.no_such_thing", None, None).await;
        assert_eq!(
            (s.as_u16(), v["meta"]["result_msg"].as_str().unwrap()),
            (404, "Unknown endpoint users.no_such_thing")
        );
        let (s, _) = app.api("PUT", "/debug.ping", None, None).await;
        assert_eq!(s, 405);
        let (s, v) = app
            .api("POST", "/debug.ping", None, Some("{not json"))
            .await;
        assert_eq!(s, 400);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .starts_with("Malformed JSON body")
        );
        let (s, _) = app.api("POST", "/debug.ping", None, Some("[1, 2]")).await;
        assert_eq!(s, 400);
        let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70 * 1024));
        let (s, v) = app.api("POST", "/debug.ping", None, Some(&big)).await;
        assert_eq!(s, 413);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("larger than")
        );
    })
    .await
}

#[tokio::test]
async fn rest_calls_are_authorised_like_the_console() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let (s, v) = app.api("GET", "/users.get_current_user", None, None).await;
        assert_eq!(
            (s.as_u16(), v["meta"]["result_subcode"].as_u64()),
            (401, Some(20))
        );
        let forged = "atrium_session=forged-value";
        let (s, _) = app
            .api("GET", "/users.get_current_user", Some(forged), None)
            .await;
        assert_eq!(s, 401);

        let admin = app.cookie("ada@example.com", Role::Admin, "Research").await;
        let member = app
            .cookie("max@example.com", Role::Member, "Research")
            .await;
        let outsider = app.cookie("oz@example.com", Role::Admin, "Elsewhere").await;

        let (s, v) = app
            .api(
                "POST",
                "/v2.23/users.get_current_user",
                Some(&member),
                Some("{}"),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["user"]["email"], "max@example.com");
        assert_eq!(v["data"]["user"]["role"], "user");
        assert_eq!(v["data"]["user"]["company"]["name"], "Research");

        let (s, v) = app
            .api(
                "POST",
                "/users.update",
                Some(&member),
                Some(r#"{"name": ""}"#),
            )
            .await;
        assert_eq!(s, 400);
        assert!(
            v["meta"]["result_msg"].as_str().unwrap().contains("(name)"),
            "{v}"
        );
        let (s, _) = app
            .api(
                "POST",
                "/users.update",
                Some(&member),
                Some(r#"{"name": "Max Power"}"#),
            )
            .await;
        assert_eq!(s, 200);

        // A browser session changes state only with POST.
        let (s, _) = app
            .api(
                "GET",
                "/users.set_preferences",
                Some(&member),
                Some(r#"{"preferences": {"hide_tips": true}}"#),
            )
            .await;
        assert_eq!(s, 403);
        let (s, v) = app
            .api(
                "POST",
                "/users.set_preferences",
                Some(&member),
                Some(r#"{"preferences": {"hide_tips": true}}"#),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["preferences"]["hide_tips"], true);

        let (s, _) = app
            .api("POST", "/audit.get_all", Some(&member), Some("{}"))
            .await;
        assert_eq!(s, 403);
        let (s, v) = app
            .api(
                "GET",
                "/audit.get_all?object_type=user&limit=10",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, 200);
        let entries = v["data"]["entries"].as_array().unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == "user.rename" && e["channel"] == "api"),
            "{entries:?}"
        );
        assert!(entries.iter().all(|e| e["object_type"] == "user"));
        // Another workspace's admin sees none of it.
        let (_, v) = app
            .api(
                "GET",
                "/audit.get_all?object_type=user",
                Some(&outsider),
                None,
            )
            .await;
        assert!(
            v["data"]["entries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["action"] != "user.rename")
        );
    })
    .await
}

fn post_form(path: &str, origin: Option<&str>, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn login_cookie_cross_site_refusal_and_server_function_statuses() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        app.cookie("ada@example.com", Role::Admin, "Research").await;
        let member = app
            .cookie("max@example.com", Role::Member, "Research")
            .await;

        let (s, headers, _) = app
            .send(post_form(
                "/fn/sessions.login",
                Some("http://127.0.0.1:3000"),
                None,
                "login=max&password=password-123",
            ))
            .await;
        assert_eq!(s, 200);
        let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            cookie.starts_with("atrium_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        let (s, _, _) = app
            .send(post_form(
                "/fn/sessions.login",
                None,
                None,
                "login=max&password=wrong",
            ))
            .await;
        assert_eq!(s, 401, "a failed login says so in its status");

        let (s, _, body) = app
            .send(post_form(
                "/fn/sessions.login",
                Some("http://evil.example"),
                None,
                "login=max&password=password-123",
            ))
            .await;
        assert_eq!(s, 403);
        assert_eq!(
            String::from_utf8_lossy(&body),
            "Cross-site requests are refused.\n"
        );
        let mut req = post_form("/fn/profile.rename", None, Some(&member), "name=Hacked");
        req.headers_mut()
            .insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(app.send(req).await.0, 403);

        let req = Request::builder()
            .method("POST")
            .uri("/fn/admin/audit.list")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &member)
            .body(Body::from(r#"{"query": {}}"#))
            .unwrap();
        assert_eq!(
            app.send(req).await.0,
            403,
            "members are refused by the server function itself"
        );
        let (s, _, _) = app
            .send(post_form("/fn/profile.rename", None, None, "name=Nobody"))
            .await;
        assert_eq!(s, 401);
    })
    .await
}

#[tokio::test]
async fn pages_export_health_metrics_and_openapi() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let get = |path: &str, cookie: Option<&str>| {
            let mut req = Request::builder()
                .uri(path)
                .header(header::HOST, "127.0.0.1:3000");
            if let Some(c) = cookie {
                req = req.header(header::COOKIE, c);
            }
            req.body(Body::empty()).unwrap()
        };
        let (s, headers, _) = app.send(get("/settings/audit-log?x=1", None)).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(
            headers[header::LOCATION],
            "/login?next=/settings/audit-log%3Fx%3D1"
        );
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["x-content-type-options"], "nosniff");

        let admin = app.cookie("ada@example.com", Role::Admin, "Research").await;
        let member = app
            .cookie("max@example.com", Role::Member, "Research")
            .await;
        let (s, _, body) = app.send(get("/settings/profile", Some(&admin))).await;
        assert_eq!(s, 200);
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("ada@example.com") && html.contains("Administrator Settings"));
        let (s, _, body) = app.send(get("/settings/users", Some(&member))).await;
        assert_eq!(s, 403);
        assert!(String::from_utf8_lossy(&body).contains("Administrators only"));
        assert!(
            !String::from_utf8_lossy(&body).contains("Administrator Settings"),
            "no admin navigation for members"
        );
        let (s, _, _) = app.send(get("/no/such/page", Some(&admin))).await;
        assert_eq!(s, 404);

        let (s, _, _) = app
            .send(get("/settings/audit-log/export.csv", Some(&member)))
            .await;
        assert_eq!(s, 403);
        let (s, headers, body) = app
            .send(get(
                "/settings/audit-log/export.csv?object_type=session",
                Some(&admin),
            ))
            .await;
        assert_eq!(s, 200);
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        let csv = String::from_utf8(body).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some(
                "time_utc,actor,actor_id,channel,action,object_type,object_id,object_name,summary"
            )
        );
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 2, "two logins: {csv}");
        assert!(rows.iter().all(|r| r.contains(",session.login,session,")));
        let (s, _, _) = app
            .send(get(
                "/settings/audit-log/export.csv?from=yesterday",
                Some(&admin),
            ))
            .await;
        assert_eq!(s, 400);

        let (s, _, body) = app.send(get("/healthz", None)).await;
        assert_eq!((s.as_u16(), body.as_slice()), (200, b"ok\n".as_slice()));
        let (_, _, body) = app.send(get("/metrics", None)).await;
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("http_requests_total"), "{text}");
        assert!(text.contains("route=\"/healthz\""), "{text}");
        assert!(
            text.contains("http_request_duration_seconds_bucket"),
            "{text}"
        );

        let (_, _, body) = app.send(get("/openapi.json", None)).await;
        let doc: Value = serde_json::from_slice(&body).unwrap();
        for e in atrium_server::rest::endpoints() {
            assert!(
                doc["paths"][format!("/{}", e.name)]["post"]["summary"].is_string(),
                "{} missing",
                e.name
            );
        }
        assert_eq!(doc["openapi"], json!("3.1.0"));
    })
    .await
}

fn subcode(v: &Value) -> u64 {
    v["meta"]["result_subcode"].as_u64().unwrap()
}

#[tokio::test]
async fn auth_login_tokens_and_their_failures() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let (key, secret) = app
            .key_pair("ada@example.com", Role::Admin, "Research")
            .await;

        let (s, v) = app.api("GET", "/auth.login", None, None).await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 20));
        let (s, v) = app
            .with_auth("GET", "/auth.login", "Basic !!!not-base64", "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 21));
        let (s, v) = app
            .with_auth("GET", "/auth.login", &basic(&key, "wrong"), "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 22));

        // GET and POST, bare and versioned, and under /api.
        for (method, path) in [
            ("GET", "/auth.login"),
            ("POST", "/v2.23/auth.login"),
            ("GET", "/api/auth.login"),
            ("POST", "/api/v999.0/auth.login"),
        ] {
            let (s, v) = app.with_auth(method, path, &basic(&key, &secret), "").await;
            assert_eq!(s, 200, "{method} {path}: {v}");
            assert_eq!(v["data"]["token"].as_str().unwrap().split('.').count(), 3);
        }
        let (_, v) = app
            .with_auth(
                "GET",
                "/auth.login?expiration_sec=60",
                &basic(&key, &secret),
                "",
            )
            .await;
        let token = v["data"]["token"].as_str().unwrap().to_string();
        let claims: Value = {
            use base64::Engine;
            let payload = token.split('.').nth(1).unwrap();
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload)
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            60
        );
        assert_eq!(claims["identity"]["company_name"], "Research");
        assert_eq!(claims["identity"]["role"], "admin");
        assert_eq!(claims["api_version"], "2.31");
        assert!(claims["server_version"].is_string() && claims["feature_set"].is_string());
        let (s, _) = app
            .with_auth(
                "POST",
                "/auth.login",
                &basic(&key, &secret),
                r#"{"expiration_sec": "soon"}"#,
            )
            .await;
        assert_eq!(s, 400);
        let (_, v) = app
            .with_auth(
                "POST",
                "/auth.login",
                &basic(&key, &secret),
                r#"{"expiration_sec": 99999999}"#,
            )
            .await;
        let long = v["data"]["token"].as_str().unwrap();
        let (s, _) = app
            .with_auth(
                "GET",
                "/users.get_current_user",
                &format!("Bearer {long}"),
                "",
            )
            .await;
        assert_eq!(s, 200);

        // Bearer on every endpoint, refresh through auth.login, and the web UI's cookie.
        let bearer = format!("Bearer {token}");
        let (s, v) = app
            .with_auth("GET", "/v2.23/users.get_current_user", &bearer, "{}")
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["user"]["email"], "ada@example.com");
        let (s, v) = app.with_auth("GET", "/auth.login", &bearer, "").await;
        assert_eq!(s, 200);
        assert!(v["data"]["token"].is_string());
        let cookie = format!("clearml_token_basic={token}");
        let (s, _) = app
            .api("GET", "/users.get_current_user", Some(&cookie), None)
            .await;
        assert_eq!(s, 200);

        // Forged, tampered, alg=none, garbage and expired tokens: 401/30.
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let parts: Vec<&str> = token.split('.').collect();
        let mut evil_claims = claims.clone();
        evil_claims["identity"]["user"] = "someone-else".into();
        let forged = [
            format!(
                "{}.{}.{}",
                parts[0],
                b64(&evil_claims.to_string()),
                parts[2]
            ),
            format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]),
            format!("{}.{}.{}", parts[0], parts[1], b64("not the signature")),
            "garbage".to_string(),
        ];
        for f in &forged {
            let (s, v) = app
                .with_auth("GET", "/users.get_current_user", &format!("Bearer {f}"), "")
                .await;
            assert_eq!((s.as_u16(), subcode(&v)), (401, 30), "{f}");
        }
        app.services.core.clock.advance(61_000);
        let (s, v) = app
            .with_auth("GET", "/users.get_current_user", &bearer, "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 30), "expired");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("expired")
        );

        // Revoking kills the key and every token issued from it.
        let (_, v) = app
            .with_auth("GET", "/auth.login", &basic(&key, &secret), "")
            .await;
        let live = format!("Bearer {}", v["data"]["token"].as_str().unwrap());
        let (s, v) = app
            .with_auth(
                "POST",
                "/auth.revoke_credentials",
                &live,
                &format!(r#"{{"access_key": "{key}"}}"#),
            )
            .await;
        assert_eq!((s.as_u16(), v["data"]["revoked"].as_u64()), (200, Some(1)));
        let (s, v) = app
            .with_auth("GET", "/users.get_current_user", &live, "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 30));
        let (s, v) = app
            .with_auth("GET", "/auth.login", &basic(&key, &secret), "")
            .await;
        assert_eq!((s.as_u16(), subcode(&v)), (401, 22));
    })
    .await
}

#[tokio::test]
async fn credentials_endpoints_and_workspace_isolation() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let (ka, sa) = app.key_pair("ada@example.com", Role::Admin, "A").await;
        let (kb, sb) = app.key_pair("bob@example.com", Role::Admin, "B").await;
        let (a, b) = (basic(&ka, &sa), basic(&kb, &sb));

        let (s, v) = app
            .with_auth("POST", "/auth.create_credentials", &a, r#"{"label": "ci"}"#)
            .await;
        assert_eq!(s, 200);
        let new_key = v["data"]["credentials"]["access_key"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            v["data"]["credentials"]["secret_key"]
                .as_str()
                .unwrap()
                .len(),
            67
        );
        let (_, v) = app.with_auth("GET", "/auth.get_credentials", &a, "").await;
        let listed = v["data"]["credentials"].as_array().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(
            listed.iter().all(|c| c.get("secret_key").is_none()),
            "secrets are never listed"
        );
        assert!(
            listed
                .iter()
                .any(|c| c["last_used"].is_string() && c["last_used_from"].is_string())
        );
        let (s, _) = app
            .with_auth(
                "POST",
                "/auth.edit_credentials",
                &a,
                &format!(r#"{{"access_key": "{new_key}", "label": "nightly"}}"#),
            )
            .await;
        assert_eq!(s, 200);
        let (s, v) = app
            .with_auth(
                "POST",
                "/auth.edit_credentials",
                &a,
                &format!(
                    r#"{{"access_key": "{new_key}", "label": "{}"}}"#,
                    "x".repeat(101)
                ),
            )
            .await;
        assert_eq!(s, 400);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("(label)")
        );
        let (s, _) = app
            .with_auth("POST", "/auth.edit_credentials", &a, "{}")
            .await;
        assert_eq!(s, 400, "a missing field is a clear 400");

        // Workspace B sees nothing of A's, and cannot touch A's keys.
        let (_, v) = app.with_auth("GET", "/auth.get_credentials", &b, "").await;
        let b_keys: Vec<&str> = v["data"]["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["access_key"].as_str().unwrap())
            .collect();
        assert_eq!(b_keys, vec![kb.as_str()]);
        let (s, _) = app
            .with_auth(
                "POST",
                "/auth.revoke_credentials",
                &b,
                &format!(r#"{{"access_key": "{new_key}"}}"#),
            )
            .await;
        assert_eq!(s, 404);
        let (_, v) = app.with_auth("GET", "/audit.get_all", &b, "").await;
        assert!(
            v["data"]["entries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["object_name"] != "nightly" && e["action"] != "credentials.relabel")
        );
        let (_, v) = app
            .with_auth("GET", "/audit.get_all?object_type=credentials", &a, "")
            .await;
        let actions: Vec<&str> = v["data"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"credentials.relabel") && actions.contains(&"credentials.create"),
            "{actions:?}"
        );
        let (_, v) = app.with_auth("GET", "/workspaces.get_all", &a, "").await;
        let names: Vec<&str> = v["data"]["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["A"]);

        // Invitations over the API: admins only, addresses validated.
        let (s, v) = app
            .with_auth(
                "POST",
                "/workspaces.invite",
                &a,
                r#"{"emails": ["carol@example.com", "bob@example.com"]}"#,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["data"]["invited"][1]["existing_user"], true);
        let (s, _) = app
            .with_auth("POST", "/workspaces.invite", &a, r#"{"emails": "nope"}"#)
            .await;
        assert_eq!(s, 400);
        let (_, v) = app.with_auth("GET", "/workspaces.get_all", &b, "").await;
        let inv = v["data"]["invitations"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, _) = app
            .with_auth(
                "POST",
                "/workspaces.answer_invitation",
                &b,
                &format!(r#"{{"invitation": "{inv}", "accept": true}}"#),
            )
            .await;
        assert_eq!(s, 200);
        let (_, v) = app.with_auth("GET", "/workspaces.get_all", &b, "").await;
        assert_eq!(v["data"]["workspaces"].as_array().unwrap().len(), 2);

        // Calls are counted per workspace.
        app.services.core.usage.flush(&app.services.core.db).await;
        let mut conn = app.services.core.db.pool.acquire().await.unwrap();
        let month = atrium_server::services::usage::month_of(app.services.core.clock.now_ms());
        let ws_a: String = sqlx::query_scalar("SELECT id FROM workspaces WHERE name = 'A'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert!(
            atrium_server::store::workspaces::api_calls(&mut conn, &ws_a, &month)
                .await
                .unwrap()
                >= 8
        );
    })
    .await
}

#[tokio::test]
async fn cloud_access_over_rest() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let (s, _) = app.api("GET", "/users.get_cloud_access", None, None).await;
        assert_eq!(s, 401);
        let ada = app.cookie("ada@example.com", Role::Member, "Research").await;
        let max = app.cookie("max@example.com", Role::Member, "Research").await;
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let body = json!({"bucket": "datasets", "key": "AKIA1", "secret": secret, "region": "eu-west-1", "host": ""});
        let (s, v) = app
            .api("POST", "/users.set_cloud_access", Some(&ada), Some(&body.to_string()))
            .await;
        assert_eq!(s, 200, "{v}");
        assert!(!v.to_string().contains(secret));
        assert_eq!(v["data"]["entry"]["secret"], "••••••••EKEY");
        let id = v["data"]["entry"]["id"].as_str().unwrap().to_string();

        let (_, v) = app
            .api("GET", "/users.get_cloud_access", Some(&ada), None)
            .await;
        assert_eq!(v["data"]["entries"].as_array().unwrap().len(), 1);
        assert!(!v.to_string().contains(secret));
        let (_, v) = app
            .api("GET", "/users.get_cloud_access", Some(&max), None)
            .await;
        assert_eq!(v["data"]["entries"], json!([]));

        // Validation names the field; an edit without a secret keeps it.
        let (s, v) = app
            .api("POST", "/users.set_cloud_access", Some(&ada), Some(r#"{"bucket": "datasets", "key": "k", "secret": "s", "host": "minio"}"#))
            .await;
        assert_eq!(s, 400);
        assert!(v["meta"]["result_msg"].as_str().unwrap().starts_with("Validation error (host)"), "{v}");
        let edit = json!({"id": id, "bucket": "datasets", "key": "AKIA2", "region": "eu-west-1"});
        let (s, v) = app
            .api("POST", "/users.set_cloud_access", Some(&ada), Some(&edit.to_string()))
            .await;
        assert_eq!((s.as_u16(), &v["data"]["entry"]["secret"]), (200, &json!("••••••••EKEY")));

        // Presigned links: virtual-hosted on AWS, by URL or by bucket and key.
        let (s, v) = app
            .api("GET", "/users.presign_cloud_url?url=s3://datasets/a/b.png&expires_in=60", Some(&ada), None)
            .await;
        assert_eq!(s, 200, "{v}");
        let url = v["data"]["url"].as_str().unwrap();
        assert!(url.starts_with("https://datasets.s3.eu-west-1.amazonaws.com/a/b.png?"), "{url}");
        assert!(url.contains("X-Amz-Expires=60") && url.contains("X-Amz-Credential=AKIA2%2F"));
        assert!(!url.contains(secret));
        let (s, _) = app
            .api("POST", "/users.presign_cloud_url", Some(&ada), Some(r#"{"bucket": "datasets", "key": "a/b.png"}"#))
            .await;
        assert_eq!(s, 200);
        let (s, _) = app
            .api("POST", "/users.presign_cloud_url", Some(&max), Some(r#"{"url": "s3://datasets/a/b.png"}"#))
            .await;
        assert_eq!(s, 404, "another member has no settings for the bucket");

        let (s, _) = app
            .api("POST", "/users.delete_cloud_access", Some(&max), Some(&json!({"id": id}).to_string()))
            .await;
        assert_eq!(s, 404);
        let (s, v) = app
            .api("POST", "/users.delete_cloud_access", Some(&ada), Some(&json!({"id": id}).to_string()))
            .await;
        assert_eq!((s.as_u16(), &v["data"]["deleted"]), (200, &json!(1)));
        let (_, v) = app
            .api("GET", "/users.get_cloud_access", Some(&ada), None)
            .await;
        assert_eq!(v["data"]["entries"], json!([]));
    })
    .await
}

#[tokio::test]
async fn users_endpoints_are_for_admins_of_the_workspace() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let (ka, sa) = app.key_pair("ada@example.com", Role::Admin, "A").await;
        let (km, sm) = app.key_pair("max@example.com", Role::Member, "A").await;
        let (kb, sb) = app.key_pair("bob@example.com", Role::Admin, "B").await;
        let (admin, member, other) = (basic(&ka, &sa), basic(&km, &sm), basic(&kb, &sb));
        let (s, v) = app.with_auth("GET", "/users.get_all", &member, "").await;
        assert_eq!(
            (s.as_u16(), v["meta"]["result_code"].as_u64()),
            (403, Some(403))
        );
        let (s, v) = app.with_auth("GET", "/users.get_all", &admin, "").await;
        assert_eq!(s, 200);
        let users = v["data"]["users"].as_array().unwrap();
        assert_eq!(users.len(), 2);
        let max_id = users
            .iter()
            .find(|u| u["email"] == "max@example.com")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, _) = app
            .with_auth(
                "POST",
                "/users.set_role",
                &admin,
                &format!(r#"{{"user": "{max_id}", "role": "owner"}}"#),
            )
            .await;
        assert_eq!(s, 400);
        let (s, _) = app
            .with_auth(
                "POST",
                "/users.remove",
                &other,
                &format!(r#"{{"user": "{max_id}"}}"#),
            )
            .await;
        assert_eq!(
            s, 404,
            "an admin of another workspace cannot touch this one's members"
        );
        let (s, _) = app
            .with_auth(
                "POST",
                "/users.remove",
                &admin,
                &format!(r#"{{"user": "{max_id}"}}"#),
            )
            .await;
        assert_eq!(s, 200);
        let (s, v) = app
            .with_auth("GET", "/users.get_current_user", &member, "")
            .await;
        assert_eq!(
            (s.as_u16(), subcode(&v)),
            (401, 22),
            "a removed member's key stops working at once"
        );
    })
    .await
}

#[tokio::test]
async fn service_accounts_and_impersonation() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let (ka, sa) = app.key_pair("ada@example.com", Role::Admin, "A").await;
        let (km, sm) = app.key_pair("max@example.com", Role::Member, "A").await;
        let (admin, member) = (basic(&ka, &sa), basic(&km, &sm));
        let (s, _) = app
            .with_auth(
                "POST",
                "/service_accounts.create",
                &member,
                r#"{"name": "ci"}"#,
            )
            .await;
        assert_eq!(s, 403);
        let (s, v) = app
            .with_auth(
                "POST",
                "/service_accounts.create",
                &admin,
                r#"{"name": "CI agent", "allow_impersonation": true}"#,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let sa_id = v["data"]["service_account"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let sa_key = basic(
            v["data"]["credentials"]["access_key"].as_str().unwrap(),
            v["data"]["credentials"]["secret_key"].as_str().unwrap(),
        );
        let (_, v) = app
            .with_auth(
                "POST",
                "/service_accounts.create",
                &admin,
                r#"{"name": "plain"}"#,
            )
            .await;
        let plain_key = basic(
            v["data"]["credentials"]["access_key"].as_str().unwrap(),
            v["data"]["credentials"]["secret_key"].as_str().unwrap(),
        );

        // A service account logs in over the API, never into the console.
        let (s, v) = app.with_auth("GET", "/auth.login", &sa_key, "").await;
        assert_eq!(s, 200);
        let sa_claims = claims_of(v["data"]["token"].as_str().unwrap());
        assert_eq!(
            sa_claims["identity"]["service_account_type"], 2,
            "what clearml-agent checks for --use-owner-token"
        );
        assert_eq!(sa_claims["feature_set"], "advanced");
        let username = app
            .with_auth("GET", "/users.get_current_user", &sa_key, "")
            .await
            .1["data"]["user"]["email"]
            .as_str()
            .unwrap()
            .split('@')
            .next()
            .unwrap()
            .to_string();
        let (s, _, _) = app
            .send(post_form(
                "/fn/sessions.login",
                None,
                None,
                &format!("login={username}&password=anything-at-all"),
            ))
            .await;
        assert_eq!(s, 403);

        // Impersonation: the token acts as the member, with their identity and no admin rights.
        let max_id = app
            .with_auth("GET", "/users.get_current_user", &member, "")
            .await
            .1["data"]["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let ada_id = app
            .with_auth("GET", "/users.get_current_user", &admin, "")
            .await
            .1["data"]["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let login_as = |key: String, target: String| {
            let app = &app;
            async move {
                let req = Request::builder()
                    .uri("/auth.login")
                    .header(header::HOST, "127.0.0.1:3000")
                    .header(header::AUTHORIZATION, key)
                    .header("x-clearml-impersonate-as", target)
                    .body(Body::empty())
                    .unwrap();
                let (status, _, bytes) = app.send(req).await;
                (status, serde_json::from_slice::<Value>(&bytes).unwrap())
            }
        };
        let (s, v) = login_as(sa_key.clone(), max_id.clone()).await;
        assert_eq!(s, 200, "{v}");
        let as_max = format!("Bearer {}", v["data"]["token"].as_str().unwrap());
        assert_eq!(claims_of(&as_max[7..])["identity"]["user"], max_id.as_str());
        let (_, v) = app
            .with_auth("GET", "/users.get_current_user", &as_max, "")
            .await;
        assert_eq!(v["data"]["user"]["email"], "max@example.com");
        let (s, v) = login_as(sa_key.clone(), ada_id.clone()).await;
        assert_eq!(s, 200);
        let as_ada = format!("Bearer {}", v["data"]["token"].as_str().unwrap());
        let (_, v) = app
            .with_auth("GET", "/users.get_current_user", &as_ada, "")
            .await;
        assert_eq!(
            (
                v["data"]["user"]["email"].as_str(),
                v["data"]["user"]["role"].as_str()
            ),
            (Some("ada@example.com"), Some("user"))
        );
        let (s, _) = app.with_auth("GET", "/audit.get_all", &as_ada, "").await;
        assert_eq!(
            s, 403,
            "impersonating an admin gives no admin rights on settings"
        );
        // Refreshing keeps acting as the same member.
        let (_, v) = app.with_auth("GET", "/auth.login", &as_max, "").await;
        assert_eq!(
            claims_of(v["data"]["token"].as_str().unwrap())["identity"]["user"],
            max_id.as_str()
        );

        // Who may not.
        assert_eq!(
            login_as(plain_key.clone(), max_id.clone()).await.0,
            403,
            "no allow_impersonation"
        );
        assert_eq!(
            login_as(member.clone(), ada_id.clone()).await.0,
            403,
            "a member"
        );
        assert_eq!(
            login_as(admin.clone(), max_id.clone()).await.0,
            200,
            "an admin of the workspace may"
        );
        assert_eq!(login_as(sa_key.clone(), "nobody".into()).await.0, 404);
        assert_eq!(
            login_as(sa_key.clone(), sa_id.clone()).await.0,
            404,
            "not another service account"
        );
        let req = Request::builder()
            .uri("/auth.login")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::AUTHORIZATION, sa_key.clone())
            .header("x-clearml-impersonate-as", max_id.clone())
            .header("x-clearml-act-as", max_id.clone())
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(req).await.0, 400, "both headers at once");

        // Listing, and deletion: keys and every token from them fail at once.
        let (_, v) = app
            .with_auth("GET", "/service_accounts.get_all", &admin, "")
            .await;
        assert_eq!(v["data"]["service_accounts"].as_array().unwrap().len(), 2);
        let (s, _) = app
            .with_auth(
                "POST",
                "/service_accounts.delete",
                &admin,
                &format!(r#"{{"id": "{sa_id}"}}"#),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            app.with_auth("GET", "/auth.login", &sa_key, "").await.0,
            401
        );
        assert_eq!(
            app.with_auth("GET", "/users.get_current_user", &as_max, "")
                .await
                .0,
            401
        );
        let (_, v) = app
            .with_auth("GET", "/service_accounts.get_all", &admin, "")
            .await;
        assert_eq!(v["data"]["service_accounts"].as_array().unwrap().len(), 1);
    })
    .await
}

#[tokio::test]
async fn user_groups_built_ins_and_roles() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let (ka, sa) = app.key_pair("ada@example.com", Role::Admin, "A").await;
        let (km, sm) = app.key_pair("max@example.com", Role::Member, "A").await;
        let (kb, sb) = app.key_pair("bob@example.com", Role::Admin, "B").await;
        let (admin, member, other) = (basic(&ka, &sa), basic(&km, &sm), basic(&kb, &sb));
        assert_eq!(
            app.with_auth("GET", "/groups.get_all", &member, "").await.0,
            403
        );
        let (_, v) = app.with_auth("GET", "/groups.get_all", &admin, "").await;
        let groups = v["data"]["groups"].as_array().unwrap().clone();
        let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["Users", "Admins", "Queue admins"]);
        let id_of = |n: &str| {
            groups.iter().find(|g| g["name"] == n).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let ids: Vec<String> = v["data"]["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        let max_id = v["data"]["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["email"] == "max@example.com")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let bob_id = app
            .with_auth("GET", "/users.get_current_user", &other, "")
            .await
            .1["data"]["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();

        // Built-ins: Users is not editable, none can be deleted; Admins is the administrator role.
        let users_id = id_of("Users");
        let (s, _) = app
            .with_auth(
                "POST",
                "/groups.update",
                &admin,
                &format!(r#"{{"id": "{users_id}", "name": "Users", "members": []}}"#),
            )
            .await;
        assert_eq!(s, 403);
        let (s, _) = app
            .with_auth(
                "POST",
                "/groups.delete",
                &admin,
                &format!(r#"{{"id": "{}"}}"#, id_of("Admins")),
            )
            .await;
        assert_eq!(s, 403);
        let admins = id_of("Admins");
        let body = format!(
            r#"{{"id": "{admins}", "name": "Admins", "members": {}}}"#,
            serde_json::to_string(&ids).unwrap()
        );
        assert_eq!(
            app.with_auth("POST", "/groups.update", &admin, &body)
                .await
                .0,
            200
        );
        let (_, v) = app
            .with_auth("GET", "/users.get_current_user", &member, "")
            .await;
        assert_eq!(
            v["data"]["user"]["role"], "admin",
            "added to Admins = made an administrator"
        );
        let (s, _) = app
            .with_auth(
                "POST",
                "/groups.update",
                &admin,
                &format!(r#"{{"id": "{admins}", "name": "Admins", "members": []}}"#),
            )
            .await;
        assert_eq!(s, 400, "a workspace keeps an administrator");

        // Own groups: members must belong to the workspace; names are unique; deletion detaches.
        let (s, _) = app
            .with_auth(
                "POST",
                "/groups.create",
                &admin,
                &format!(r#"{{"name": "Vision", "members": ["{bob_id}"]}}"#),
            )
            .await;
        assert_eq!(s, 400, "someone from another workspace");
        assert_eq!(
            app.with_auth(
                "POST",
                "/groups.create",
                &admin,
                &format!(r#"{{"name": "Vision", "members": ["{max_id}"]}}"#)
            )
            .await
            .0,
            200
        );
        assert_eq!(
            app.with_auth("POST", "/groups.create", &admin, r#"{"name": "Vision"}"#)
                .await
                .0,
            409
        );
        let (_, v) = app.with_auth("GET", "/groups.get_all", &admin, "").await;
        let vision = v["data"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "Vision")
            .unwrap()
            .clone();
        assert_eq!(vision["members"][0]["email"], "max@example.com");
        assert_eq!(
            app.with_auth(
                "POST",
                "/groups.delete",
                &other,
                &format!(r#"{{"id": "{}"}}"#, vision["id"].as_str().unwrap())
            )
            .await
            .0,
            404
        );
        assert_eq!(
            app.with_auth(
                "POST",
                "/groups.delete",
                &admin,
                &format!(r#"{{"id": "{}"}}"#, vision["id"].as_str().unwrap())
            )
            .await
            .0,
            200
        );
    })
    .await
}

#[tokio::test]
async fn every_admin_endpoint_refuses_members() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        app.key_pair("ada@example.com", Role::Admin, "A").await;
        let (km, sm) = app.key_pair("max@example.com", Role::Member, "A").await;
        let member = basic(&km, &sm);
        let admin_only: Vec<&str> = atrium_server::rest::endpoints()
            .iter()
            .filter(|e| e.access == atrium_server::rest::Access::Admin)
            .map(|e| e.name)
            .collect();
        assert!(admin_only.len() >= 15, "{admin_only:?}");
        for name in admin_only {
            let (s, v) = app
                .with_auth("POST", &format!("/{name}"), &member, "{}")
                .await;
            assert_eq!(s, 403, "{name}: {v}");
        }
    })
    .await
}

/// Every server function under `/fn/admin/` — found in the server's own registry, not listed here —
/// refuses a member and an anonymous caller before it runs, whatever the body.
#[tokio::test]
async fn every_admin_server_function_refuses_members() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        app.cookie("ada@example.com", Role::Admin, "A").await;
        let member = app.cookie("max@example.com", Role::Member, "A").await;
        let mut admin_fns: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .filter(|p| p.starts_with(atrium_server::http::ADMIN_FN_PREFIX))
            .collect();
        admin_fns.sort();
        assert!(admin_fns.len() >= 18, "{admin_fns:?}");
        for path in admin_fns {
            let (status, _, body) = app.send(post_form(path, None, Some(&member), "id=x")).await;
            let body = String::from_utf8_lossy(&body);
            assert_eq!(status, 403, "{path}: {body}");
            let error: AppError = serde_json::from_str(&body).expect("an error the client decodes");
            assert!(matches!(error, AppError::Forbidden(_)), "{path}: {error:?}");
            let (status, _, _) = app.send(post_form(path, None, None, "id=x")).await;
            assert_eq!(status, 401, "{path} without a session");
        }
    })
    .await
}

#[tokio::test]
async fn undecodable_server_function_input_answers_400() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let admin = app.cookie("ada@example.com", Role::Admin, "A").await;
        // A required argument missing, and a body that is not the form at all.
        for body in ["user_id=x", "%%%"] {
            let (status, _, bytes) = app
                .send(post_form(
                    "/fn/admin/users.set_role",
                    None,
                    Some(&admin),
                    body,
                ))
                .await;
            assert_eq!(status, 400, "{body}: {:?}", String::from_utf8_lossy(&bytes));
        }
        let req = Request::builder()
            .method("POST")
            .uri("/fn/admin/audit.list")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, &admin)
            .body(Body::from("{not json"))
            .unwrap();
        let (status, _, _) = app.send(req).await;
        assert_eq!(status, 400);
    })
    .await
}

/// A request body sent in pieces without a declared length (HTTP/1.1 chunked transfer encoding).
struct Chunked(std::collections::VecDeque<axum::body::Bytes>);

impl hyper::body::Body for Chunked {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

fn chunked(path: &str, content_type: &str, body: &[u8], chunk: usize) -> Request<Body> {
    let pieces = body
        .chunks(chunk)
        .map(axum::body::Bytes::copy_from_slice)
        .collect();
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json")
        .header(header::TRANSFER_ENCODING, "chunked")
        .body(Body::new(Chunked(pieces)))
        .unwrap()
}

#[tokio::test]
async fn bodies_without_a_declared_length_are_held_to_the_limit() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        user(&app.services, "max@example.com", Role::Member, "Research").await;
        let form = "application/x-www-form-urlencoded";
        let limit = app.services.core.settings.max_body_bytes;

        let (s, headers, _) = app
            .send(chunked(
                "/fn/sessions.login",
                form,
                b"login=max&password=password-123",
                7,
            ))
            .await;
        assert_eq!(
            s, 200,
            "a chunked server-function call within the limit works"
        );
        assert!(headers.contains_key(header::SET_COOKIE));

        let big = format!("login=max&password={}", "a".repeat(limit));
        let (s, _, _) = app
            .send(chunked(
                "/fn/sessions.login",
                form,
                big.as_bytes(),
                8 * 1024,
            ))
            .await;
        assert_eq!(s, 413, "a chunked server-function call over the limit");
        let (s, _, _) = app
            .send(post_form("/fn/sessions.login", None, None, &big))
            .await;
        assert_eq!(s, 413, "a declared length over the limit");

        let json = format!("{{\"x\": \"{}\"}}", "a".repeat(limit));
        let (s, _, body) = app
            .send(chunked(
                "/debug.ping",
                "application/json",
                json.as_bytes(),
                8 * 1024,
            ))
            .await;
        assert_eq!(s, 413, "the API too");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["meta"]["result_code"], 413);
        let (s, _, _) = app
            .send(chunked("/debug.ping", "application/json", b"{}", 1))
            .await;
        assert_eq!(s, 200);
    })
    .await
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_with_the_hydration_scripts_nonce() {
    with_sqlite(|db| async move {
        let app = App::new(db).await;
        let req = Request::builder()
            .uri("/login")
            .header(header::HOST, "127.0.0.1:3000")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = app.send(req).await;
        assert_eq!(status, 200);
        let policy = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .expect("a Content-Security-Policy")
            .to_str()
            .unwrap()
            .to_string();
        assert!(policy.contains("object-src 'none'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in script-src");
        assert!(nonce.len() >= 16, "{nonce}");
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "the inline hydration script carries the header's nonce"
        );
        assert!(!html.contains(" style=\""), "no inline styles to allow");
        // A fresh nonce for every response.
        let req = Request::builder()
            .uri("/login")
            .header(header::HOST, "127.0.0.1:3000")
            .body(Body::empty())
            .unwrap();
        let (_, again, _) = app.send(req).await;
        assert_ne!(
            again
                .get(header::CONTENT_SECURITY_POLICY)
                .unwrap()
                .to_str()
                .unwrap(),
            policy
        );
    })
    .await
}
