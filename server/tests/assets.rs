//! Static files through the whole router: the compressed copy the client accepts, immutable caching
//! for content-named bundle files only, pages that no cache keeps and that name the hashed bundle,
//! and the 404 page for anything else. Each test builds a site folder of its own.

mod common;

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use atrium_server::assets::{IMMUTABLE, REVALIDATE};
use common::{services_over, with_sqlite};

const JS: &str = "0123456789abcdef";
const WASM: &str = "fedcba9876543210";
const CSS: &str = "00112233aabbccdd";

/// A site folder as `make site-release` leaves it: hashed names, hash.txt, `.br` and `.gz` copies
/// (their content here only tells which copy was sent).
fn hashed_site() -> PathBuf {
    let root =
        std::env::temp_dir().join(format!("atrium-site-{}", atrium_server::crypto::new_id()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for (hash, ext) in [(JS, "js"), (WASM, "wasm"), (CSS, "css")] {
        let name = format!("atrium.{hash}.{ext}");
        std::fs::write(pkg.join(&name), format!("raw {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), "brotli copy").unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), "gzip copy").unwrap();
    }
    std::fs::write(root.join("favicon.svg"), "<svg/>").unwrap();
    std::fs::write(
        root.join("hash.txt"),
        format!("js: {JS}\nwasm: {WASM}\ncss: {CSS}\n"),
    )
    .unwrap();
    root
}

fn router(db: atrium_server::db::Db, site: &std::path::Path) -> Router {
    let options = atrium_server::http::leptos_options(
        &site.to_string_lossy(),
        "127.0.0.1:3000".parse().unwrap(),
    );
    atrium_server::http::router(services_over(db), options)
}

async fn get(app: &Router, path: &str, encodings: &str) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder()
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000");
    if !encodings.is_empty() {
        req = req.header(header::ACCEPT_ENCODING, encodings);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn the_compressed_copy_the_client_accepts_is_sent() {
    let site = hashed_site();
    with_sqlite(|db| async move {
        let app = router(db, &site);
        let wasm = format!("/pkg/atrium.{WASM}.wasm");
        let (s, h, body) = get(&app, &wasm, "gzip, deflate, br").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CONTENT_ENCODING], "br");
        assert_eq!(h[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(body, "brotli copy");
        let (_, h, body) = get(&app, &wasm, "gzip").await;
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        assert_eq!(body, "gzip copy");
        let (_, h, body) = get(&app, &wasm, "").await;
        assert!(h.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body, format!("raw atrium.{WASM}.wasm"));
        assert_eq!(h[header::VARY], "accept-encoding");
        let _ = std::fs::remove_dir_all(&site);
    })
    .await;
}

#[tokio::test]
async fn content_named_files_are_immutable_and_others_revalidated() {
    let site = hashed_site();
    with_sqlite(|db| async move {
        let app = router(db, &site);
        for path in [
            format!("/pkg/atrium.{JS}.js"),
            format!("/pkg/atrium.{WASM}.wasm"),
            format!("/pkg/atrium.{CSS}.css"),
        ] {
            let (s, h, _) = get(&app, &path, "br").await;
            assert_eq!(s, StatusCode::OK, "{path}");
            assert_eq!(h[header::CACHE_CONTROL], IMMUTABLE, "{path}");
        }
        let (s, h, _) = get(&app, "/favicon.svg", "br").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CACHE_CONTROL], REVALIDATE);
        let _ = std::fs::remove_dir_all(&site);
    })
    .await;
}

#[tokio::test]
async fn pages_name_the_hashed_bundle_and_are_never_stored() {
    let site = hashed_site();
    with_sqlite(|db| async move {
        let app = router(db, &site);
        let (s, h, html) = get(&app, "/login", "br").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert!(html.contains(&format!("/pkg/atrium.{JS}.js")), "{html}");
        assert!(html.contains(&format!("/pkg/atrium.{WASM}.wasm")), "{html}");
        assert!(html.contains(&format!("/pkg/atrium.{CSS}.css")), "{html}");
        let _ = std::fs::remove_dir_all(&site);
    })
    .await;
}

#[tokio::test]
async fn anything_else_is_the_404_page() {
    let site = hashed_site();
    with_sqlite(|db| async move {
        let app = router(db, &site);
        for path in ["/pkg/atrium.js", "/pkg", "/pkg/", "/no/such/page"] {
            let (s, h, html) = get(&app, path, "br").await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(h[header::CACHE_CONTROL], "no-store", "{path}");
            assert!(html.contains("Page not found"), "{path}");
        }
        let _ = std::fs::remove_dir_all(&site);
    })
    .await;
}
