//! `/metrics` stays small whatever clients send: made-up methods share one label, and the set of label
//! combinations stops growing however many more requests come. (Its own test binary, so that the
//! process-wide metrics recorder holds only what these tests sent.)

mod common;

use axum::body::Body;
use axum::http::{Method, Request, header};
use http_body_util::BodyExt;
use rand::Rng;
use tower::ServiceExt;

use common::{services_over, with_sqlite};

const KNOWN: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER",
];

/// A method name nobody uses: 3 to 12 random capital letters.
fn made_up_method(rng: &mut impl Rng) -> Method {
    let len = rng.gen_range(3..=12);
    let name: String = (0..len)
        .map(|_| rng.gen_range(b'A'..=b'Z') as char)
        .collect();
    Method::from_bytes(name.as_bytes()).unwrap()
}

/// The label sets of `http_requests_total`, and the method labels among them.
fn series(text: &str) -> (Vec<String>, std::collections::BTreeSet<String>) {
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .map(|l| {
            l.rsplit_once(' ')
                .map_or(l, |(labels, _)| labels)
                .to_string()
        })
        .collect();
    let methods = lines
        .iter()
        .filter_map(|l| l.split("method=\"").nth(1)?.split('"').next())
        .map(str::to_string)
        .collect();
    (lines, methods)
}

#[tokio::test]
async fn made_up_methods_share_one_label_and_the_series_stay_bounded() {
    with_sqlite(|db| async move {
        let options = atrium_server::http::leptos_options(
            "/nonexistent-site",
            "127.0.0.1:3000".parse().unwrap(),
        );
        let router = atrium_server::http::router(services_over(db), options);
        let paths = [
            "/debug.ping",
            "/v2.23/users.get_current_user",
            "/no.such_endpoint",
            "/healthz",
            "/login",
            "/fn/sessions.login",
            "/settings/profile",
            "/pkg/atrium.js",
            "/anything/else",
        ];
        let mut rng = rand::thread_rng();
        let mut send_random = async |n: usize| {
            for i in 0..n {
                let method = if i % 4 == 0 {
                    Method::GET
                } else {
                    made_up_method(&mut rng)
                };
                let req = Request::builder()
                    .method(method)
                    .uri(paths[i % paths.len()])
                    .header(header::HOST, "127.0.0.1:3000")
                    .body(Body::empty())
                    .unwrap();
                let res = router.clone().oneshot(req).await.unwrap();
                res.into_body().collect().await.unwrap();
            }
        };
        let metrics = async || {
            let req = Request::get("/metrics").body(Body::empty()).unwrap();
            let res = router.clone().oneshot(req).await.unwrap();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            String::from_utf8(bytes.to_vec()).unwrap()
        };

        send_random(300).await;
        let first = metrics().await;
        let (lines, methods) = series(&first);
        assert!(methods.contains("OTHER"), "{methods:?}");
        assert!(
            methods.iter().all(|m| KNOWN.contains(&m.as_str())),
            "only standard methods and OTHER: {methods:?}"
        );

        send_random(1_500).await;
        let second = metrics().await;
        let (more_lines, _) = series(&second);
        let new: Vec<_> = more_lines.iter().filter(|l| !lines.contains(l)).collect();
        assert!(
            new.len() <= 2,
            "1,500 more requests of the same kinds add no label sets, found {new:?}"
        );
        assert!(
            second.len() < 256 * 1024,
            "the page stays small: {} bytes",
            second.len()
        );
    })
    .await
}
