//! Sessions: login throttling on SQLite and PostgreSQL (counters reserved before the password check
//! however many attempts arrive at once, growing delays for a name tried from many addresses, names
//! nobody has bounded per address, counters that expire), and the login answer over HTTP: where `next`
//! may send the browser, and the session cookie's and the server's transport-security flags.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::api::backend::LoginAttempt;
use app::domain::throttle::{
    ADDRESS_MAX_FAILURES, Counter, Keys, MAX_DELAY_MS, MAX_FAILURES, NAME_FREE_FAILURES, WINDOW_MS,
};
use app::domain::{AppError, Role};
use atrium_server::db::Db;
use atrium_server::services::Services;
use atrium_server::state::Settings;
use atrium_server::store;
use common::{services_over, services_with, user, with_sqlite};

const PASSWORD: &str = "password-123";

async fn login(s: &Services, name: &str, password: &str, ip: &str) -> Result<(), AppError> {
    s.sessions
        .login(LoginAttempt {
            login: name.into(),
            password: password.into(),
            client_ip: ip.into(),
        })
        .await
        .map(|_| ())
}

/// The wait of a refused attempt, in seconds.
fn refused(result: Result<(), AppError>) -> u64 {
    match result {
        Err(AppError::RateLimited { retry_after_secs }) => retry_after_secs,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn wrong(result: Result<(), AppError>) {
    assert_eq!(result, Err(AppError::Unauthorized));
}

async fn stored(db: &Db, key: &str) -> Option<Counter> {
    let mut conn = db.pool.acquire().await.unwrap();
    store::throttle::get(&mut conn, key).await.unwrap()
}

async fn count_where(db: &Db, condition: &str, now: i64) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!(
        "SELECT COUNT(*) FROM login_throttle WHERE {condition}"
    ))
    .bind(now)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// Fires `n` logins at once; returns how many were checked (answered "wrong password") and how many
/// were refused. Any other answer fails the test.
async fn at_once(
    s: &Services,
    n: usize,
    attempt: impl Fn(usize) -> (String, String),
) -> (i64, i64) {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let (s, (password, ip)) = (s.clone(), attempt(i));
        set.spawn(async move { login(&s, "ada", &password, &ip).await });
    }
    let (mut checked, mut refusals) = (0, 0);
    while let Some(answer) = set.join_next().await {
        match answer.unwrap() {
            Err(AppError::Unauthorized) => checked += 1,
            Err(AppError::RateLimited { retry_after_secs }) => {
                assert!((1..=(WINDOW_MS / 1000) as u64).contains(&retry_after_secs));
                refusals += 1;
            }
            other => panic!("every answer is a wrong password or a refusal, got {other:?}"),
        }
    }
    (checked, refusals)
}

async fn forty_wrong_passwords_at_once_from_one_address_check_five(db: Db) {
    let s = services_over(db.clone());
    let ada = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let (checked, refusals) =
        at_once(&s, 40, |i| (format!("wrong-{i}"), "203.0.113.9".into())).await;
    assert_eq!(
        (checked, refusals),
        (MAX_FAILURES, 40 - MAX_FAILURES),
        "only five passwords are checked"
    );
    let keys = Keys::new(&format!("user:{}", ada.id), "203.0.113.9");
    assert_eq!(
        stored(&db, &keys.name_at_address).await.unwrap().failures,
        MAX_FAILURES
    );
    assert!(
        refused(login(&s, "ada", PASSWORD, "203.0.113.9").await) > 800,
        "that address waits for the window to end, even with the right password"
    );
    login(&s, "ada@example.com", PASSWORD, "198.51.100.4")
        .await
        .expect("the owner, elsewhere, is not locked out");
}

async fn forty_wrong_passwords_at_once_from_forty_addresses_are_slowed_down(db: Db) {
    let s = services_over(db.clone());
    user(&s, "ada@example.com", Role::Admin, "Research").await;
    let (checked, refusals) = at_once(&s, 40, |i| {
        (format!("wrong-{i}"), format!("198.51.100.{i}"))
    })
    .await;
    // After the free failures one attempt may go through per delay (2 s, then 4 s, ...): one more
    // only if the burst itself took longer than the first delay.
    assert!(
        (NAME_FREE_FAILURES..=NAME_FREE_FAILURES + 1).contains(&checked),
        "{checked} checked"
    );
    assert_eq!(checked + refusals, 40);
    match login(&s, "ada", PASSWORD, "192.0.2.1").await {
        Ok(()) => {}
        Err(AppError::RateLimited { retry_after_secs }) => {
            assert!(retry_after_secs <= 4, "a short wait, not a lock-out");
            s.core.clock.advance(retry_after_secs as i64 * 1000);
            login(&s, "ada", PASSWORD, "192.0.2.1")
                .await
                .expect("the owner gets in after the wait");
        }
        other => panic!("{other:?}"),
    }
}

async fn delays_across_addresses_grow_and_stay_under_five_minutes(db: Db) {
    let s = services_over(db.clone());
    user(&s, "ada@example.com", Role::Admin, "Research").await;
    let mut waits = vec![];
    for i in 0..40 {
        match login(&s, "ada", "wrong", &format!("198.51.100.{i}")).await {
            Err(AppError::Unauthorized) => {}
            Err(AppError::RateLimited { retry_after_secs }) => {
                waits.push(retry_after_secs);
                s.core.clock.advance(retry_after_secs as i64 * 1000);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(waits[..9], [2, 4, 8, 16, 32, 64, 128, 256, 300]);
    assert!(
        waits[9..]
            .iter()
            .all(|w| *w == (MAX_DELAY_MS / 1000) as u64)
    );
    let wait = refused(login(&s, "ada", PASSWORD, "192.0.2.1").await);
    assert!(wait <= (MAX_DELAY_MS / 1000) as u64);
    s.core.clock.advance(wait as i64 * 1000);
    login(&s, "ada", PASSWORD, "192.0.2.1").await.unwrap();
}

async fn a_success_clears_its_address_counter_and_gives_its_reservations_back(db: Db) {
    let s = services_over(db.clone());
    let ada = user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ip = "203.0.113.9";
    for _ in 0..MAX_FAILURES - 1 {
        wrong(login(&s, "ada", "wrong", ip).await);
    }
    login(&s, "ada", PASSWORD, ip).await.unwrap();
    let keys = Keys::new(&format!("user:{}", ada.id), ip);
    assert_eq!(stored(&db, &keys.name_at_address).await, None);
    assert_eq!(
        stored(&db, &keys.address).await.unwrap().failures,
        MAX_FAILURES - 1
    );
    assert_eq!(
        stored(&db, &keys.name).await.unwrap().failures,
        MAX_FAILURES - 1
    );
    for _ in 0..MAX_FAILURES {
        wrong(login(&s, "ada", "wrong", ip).await);
    }
    refused(login(&s, "ada", PASSWORD, ip).await);
}

async fn unknown_names_are_bounded_per_address_and_their_counters_expire(db: Db) {
    let s = services_over(db.clone());
    user(&s, "ada@example.com", Role::Admin, "Research").await;
    let ip = "203.0.113.9";
    for i in 0..ADDRESS_MAX_FAILURES {
        wrong(login(&s, &format!("ghost-{i}"), "x", ip).await);
    }
    refused(login(&s, "ghost-new", "x", ip).await);
    refused(login(&s, "ada", PASSWORD, ip).await);
    login(&s, "ada", PASSWORD, "198.51.100.4")
        .await
        .expect("other addresses are not affected");

    // A name nobody has is throttled like one that exists: five from one address.
    for _ in 0..MAX_FAILURES {
        wrong(login(&s, "ghost-0", "x", "198.51.100.4").await);
    }
    refused(login(&s, "ghost-0", "x", "198.51.100.4").await);

    // Once their windows end, counters are deleted by the attempts that follow.
    let now = s.core.clock.now_ms();
    assert!(count_where(&db, "key LIKE 'name:%' AND expires_ms > $1", now).await > 0);
    s.core.clock.advance(WINDOW_MS + 1);
    for _ in 0..40 {
        login(&s, "ada", PASSWORD, "198.51.100.4").await.unwrap();
    }
    let now = s.core.clock.now_ms();
    assert_eq!(count_where(&db, "expires_ms <= $1", now).await, 0);
    assert_eq!(
        count_where(&db, "key LIKE 'name:%' AND expires_ms > $1", i64::MIN).await,
        0,
        "no counter is left of the unknown names"
    );
}

async fn counters_lock_put_give_back_and_sweep(db: Db) {
    let counter = |failures, expires_ms| Counter {
        failures,
        window_start_ms: 5,
        not_before_ms: 7,
        expires_ms,
    };
    let mut tx = db.begin_write().await.unwrap();
    assert_eq!(
        store::throttle::lock(&mut tx, "k").await.unwrap().failures,
        0
    );
    store::throttle::put(&mut tx, "k", counter(2, 100))
        .await
        .unwrap();
    for (key, expires) in [("old-1", 10), ("old-2", 20), ("live", 1_000)] {
        store::throttle::lock(&mut tx, key).await.unwrap();
        store::throttle::put(&mut tx, key, counter(1, expires))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(stored(&db, "k").await, Some(counter(2, 100)));

    let mut tx = db.begin_write().await.unwrap();
    assert_eq!(
        store::throttle::lock(&mut tx, "k").await.unwrap(),
        counter(2, 100)
    );
    store::throttle::lock(&mut tx, "rolled-back").await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stored(&db, "rolled-back").await, None);

    let mut conn = db.pool.acquire().await.unwrap();
    for _ in 0..3 {
        store::throttle::give_back(&mut conn, "k").await.unwrap();
    }
    assert_eq!(
        stored(&db, "k").await.unwrap().failures,
        0,
        "never below zero"
    );

    assert!(store::throttle::sweep_one(&mut conn, 50).await.unwrap());
    assert!(store::throttle::sweep_one(&mut conn, 50).await.unwrap());
    assert!(!store::throttle::sweep_one(&mut conn, 50).await.unwrap());
    assert_eq!(store::throttle::count(&mut conn).await.unwrap(), 2);
    assert!(stored(&db, "live").await.is_some());
    store::throttle::clear(&mut conn, "k").await.unwrap();
    assert_eq!(stored(&db, "k").await, None);
}

on_both_databases!(
    forty_wrong_passwords_at_once_from_one_address_check_five,
    forty_wrong_passwords_at_once_from_forty_addresses_are_slowed_down,
    delays_across_addresses_grow_and_stay_under_five_minutes,
    a_success_clears_its_address_counter_and_gives_its_reservations_back,
    unknown_names_are_bounded_per_address_and_their_counters_expire,
    counters_lock_put_give_back_and_sweep,
);

// ---------- over HTTP ----------

fn router(services: &Services) -> Router {
    let options =
        atrium_server::http::leptos_options("/nonexistent-site", "127.0.0.1:3000".parse().unwrap());
    atrium_server::http::router(services.clone(), options)
}

/// Every byte but letters and digits percent-encoded, as a form value.
fn form_value(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Posts the login form (as a browser without JavaScript does when `accept` is `text/html`).
async fn post_login(router: &Router, body: String, accept: &str) -> (StatusCode, HeaderMap) {
    let req = Request::post("/fn/sessions.login")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, accept)
        .body(Body::from(body))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    body.collect().await.unwrap();
    (parts.status, parts.headers)
}

#[tokio::test]
async fn login_follows_next_only_to_paths_on_this_site() {
    with_sqlite(|db| async move {
        let s = services_over(db);
        user(&s, "max@example.com", Role::Member, "Research").await;
        let router = router(&s);
        let cases = [
            ("/settings/workspace", "/settings/workspace"),
            (
                "/settings/audit-log?actor=a%20b",
                "/settings/audit-log?actor=a%20b",
            ),
            ("/\t/evil.example", "/settings/profile"),
            ("/\n/evil.example", "/settings/profile"),
            ("/\r\nSet-Cookie: a=b", "/settings/profile"),
            ("/%09/evil.example", "/settings/profile"),
            ("//evil.example", "/settings/profile"),
            ("/\\evil.example", "/settings/profile"),
            ("/%2F/evil.example", "/settings/profile"),
            ("https://evil.example/", "/settings/profile"),
        ];
        for (next, expected) in cases {
            let body = format!("login=max&password={PASSWORD}&next={}", form_value(next));
            let (status, headers) = post_login(&router, body.clone(), "text/html").await;
            assert_eq!(status, StatusCode::FOUND, "{next:?}");
            assert_eq!(headers[header::LOCATION], expected, "{next:?}");
            assert!(headers.contains_key(header::SET_COOKIE));
            let (status, headers) = post_login(&router, body, "application/json").await;
            assert_eq!(status, StatusCode::OK, "{next:?}");
            assert_eq!(headers[header::LOCATION], expected, "{next:?}");
        }
    })
    .await
}

#[tokio::test]
async fn session_cookie_is_secure_and_hsts_sent_only_when_the_public_url_is_https() {
    with_sqlite(|db| async move {
        for (i, (public_url, secure)) in [
            ("http://127.0.0.1:3000", false),
            ("https://atrium.example.com", true),
            ("HTTPS://atrium.example.com", true),
        ]
        .into_iter()
        .enumerate()
        {
            let s = services_with(
                db.clone(),
                Settings {
                    public_url: public_url.into(),
                    ..common::settings()
                },
            );
            let email = format!("max{i}@example.com");
            user(&s, &email, Role::Member, "Research").await;
            let router = router(&s);
            let (status, headers) = post_login(
                &router,
                format!("login={}&password={PASSWORD}", form_value(&email)),
                "application/json",
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            let cookie = headers[header::SET_COOKIE].to_str().unwrap();
            assert!(cookie.starts_with("atrium_session=") && cookie.contains("HttpOnly"));
            assert_eq!(
                cookie.contains("; Secure"),
                secure,
                "{public_url}: {cookie}"
            );
            assert_eq!(
                headers
                    .get(header::STRICT_TRANSPORT_SECURITY)
                    .map(|v| v.to_str().unwrap()),
                secure.then_some("max-age=31536000"),
                "{public_url}"
            );
            let res = router
                .clone()
                .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(
                res.headers()
                    .contains_key(header::STRICT_TRANSPORT_SECURITY),
                secure,
                "every answer carries it"
            );
        }
    })
    .await
}
