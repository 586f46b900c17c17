//! The file server over HTTP, as the `clearml` SDK calls it: multipart uploads to `/files`,
//! downloads and deletes at `/files/<path>`; credentials required, every path confined to the
//! caller's workspace (traversal in every spelling refused), other workspaces' files invisible, and
//! the size limit enforced.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::common::s3;
use crate::common::site::{Api, Console, on_sqlite};
use crate::common::with_sqlite;

const BOUNDARY: &str = "atrium-test-boundary";

/// A multipart body with one file part per `(field name, bytes)`, as requests-toolbelt makes it.
fn multipart(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn request(method: &str, uri: &str, auth: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "127.0.0.1:3000");
    if let Some(a) = auth {
        let name = if a.starts_with("atrium_session=") {
            header::COOKIE
        } else {
            header::AUTHORIZATION
        };
        req = req.header(name, a);
    }
    if method == "POST" {
        req = req
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::CONTENT_LENGTH, body.len());
    }
    req.body(Body::from(body)).unwrap()
}

async fn put(api: &Api, auth: Option<&str>, name: &str, bytes: &[u8]) -> (StatusCode, String) {
    let (s, _, body) = api
        .app
        .send(request("POST", "/files", auth, multipart(&[(name, bytes)])))
        .await;
    (s, String::from_utf8_lossy(&body).into_owned())
}

/// An upload of one file as the SDK sends it, with the `Authorization` header `auth`.
pub(crate) fn upload_request(auth: &str, name: &str, bytes: &[u8]) -> Request<Body> {
    request("POST", "/files", Some(auth), multipart(&[(name, bytes)]))
}

async fn get(api: &Api, auth: Option<&str>, uri: &str) -> (StatusCode, Vec<u8>) {
    let (s, _, body) = api.app.send(request("GET", uri, auth, vec![])).await;
    (s, body)
}

async fn delete(api: &Api, auth: Option<&str>, uri: &str) -> StatusCode {
    api.app.send(request("DELETE", uri, auth, vec![])).await.0
}

async fn token(api: &Api) -> String {
    let (s, v) = api
        .app
        .with_auth("GET", "/auth.login", &api.admin.basic, "")
        .await;
    assert_eq!(s, 200);
    format!("Bearer {}", v["data"]["token"].as_str().unwrap())
}

/// Ada's identity in workspace "A".
async fn ada(api: &Api) -> app::domain::Identity {
    api.app
        .services
        .workspaces
        .identity_for("ada@example.com", None)
        .await
        .unwrap()
}

/// Uploads `dir/my data.csv` and downloads it: the bytes, its length and type, and the header that
/// keeps it from running as a page.
async fn a_csv_round_trips(api: &Api, auth: Option<&str>) {
    let (s, body) = put(api, auth, "/dir/my data.csv", b"a,b\n1,2\n").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body, r#"["dir/my data.csv"]"#);
    let (s, headers, bytes) = api
        .app
        .send(request("GET", "/files/dir/my%20data.csv", auth, vec![]))
        .await;
    assert_eq!(s, 200);
    assert_eq!(bytes, b"a,b\n1,2\n");
    assert_eq!(headers[header::CONTENT_LENGTH], "8");
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv");
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; sandbox"
    );
}

#[tokio::test]
async fn a_key_pair_uploads_downloads_and_deletes() {
    on_sqlite(async |api: Api| {
        let auth = Some(api.admin.basic.as_str());
        a_csv_round_trips(&api, auth).await;

        assert_eq!(delete(&api, auth, "/files/dir/my%20data.csv").await, 200);
        assert_eq!(get(&api, auth, "/files/dir/my%20data.csv").await.0, 404);
    })
    .await
}

#[tokio::test]
async fn a_bearer_token_works_as_the_sdk_sends_it() {
    on_sqlite(async |api: Api| {
        let bearer = token(&api).await;
        let (s, body) = put(&api, Some(&bearer), "/p/t.1/artifacts/x.bin", &[7; 300]).await;
        assert_eq!(s, 200, "{body}");
        // Another member of the workspace, with a key pair, reads it.
        let (s, bytes) = get(
            &api,
            Some(&api.member.basic),
            "/files/p/t.1/artifacts/x.bin",
        )
        .await;
        assert_eq!((s, bytes), (StatusCode::OK, vec![7; 300]));
    })
    .await
}

#[tokio::test]
async fn without_credentials_everything_is_401() {
    on_sqlite(async |api: Api| {
        put(&api, Some(&api.admin.basic), "f.txt", b"x").await;
        assert_eq!(put(&api, None, "g.txt", b"x").await.0, 401);
        assert_eq!(get(&api, None, "/files/f.txt").await.0, 401);
        assert_eq!(delete(&api, None, "/files/f.txt").await, 401);
        let wrong = crate::common::router::basic(&api.admin.access_key, "not-the-secret");
        assert_eq!(get(&api, Some(&wrong), "/files/f.txt").await.0, 401);
        assert_eq!(
            put(&api, Some("Bearer forged.token.here"), "g.txt", b"x")
                .await
                .0,
            401
        );
        assert_eq!(
            delete(&api, Some("Bearer forged.token.here"), "/files/f.txt").await,
            401
        );
        assert_eq!(
            get(&api, Some(&api.admin.basic), "/files/f.txt").await.1,
            b"x"
        );
    })
    .await
}

#[tokio::test]
async fn another_workspace_cannot_read_or_delete_a_file() {
    on_sqlite(async |api: Api| {
        put(&api, Some(&api.admin.basic), "model.pt", b"weights").await;
        let bob = Some(api.outsider.basic.as_str());
        assert_eq!(get(&api, bob, "/files/model.pt").await.0, 404);
        assert_eq!(delete(&api, bob, "/files/model.pt").await, 404);
        assert_eq!(
            get(&api, Some(&api.admin.basic), "/files/model.pt").await.1,
            b"weights"
        );
    })
    .await
}

/// A file of Bob's workspace, and one in the files folder itself, that traversal would reach.
async fn targets_outside_the_space(api: &Api) -> std::path::PathBuf {
    put(api, Some(&api.outsider.basic), "bobs.txt", b"BOB-SECRET").await;
    let root = api.app.services.core.settings.files.root.clone();
    std::fs::write(root.join("root.txt"), b"ROOT-SECRET").unwrap();
    root
}

#[tokio::test]
async fn traversal_in_a_download_or_delete_path_never_leaves_the_space() {
    on_sqlite(async |api: Api| {
        let root = targets_outside_the_space(&api).await;
        let bob_ws = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.len() == 32)
            .unwrap();
        let auth = Some(api.admin.basic.as_str());
        put(&api, auth, "mine/a.txt", b"mine").await;
        let attempts = [
            "/files/../root.txt".to_string(),
            format!("/files/../{bob_ws}/bobs.txt"),
            "/files/%2e%2e/root.txt".into(),
            "/files/%2E%2E/root.txt".into(),
            format!("/files/mine/%2e%2e/%2e%2e/{bob_ws}/bobs.txt"),
            "/files/mine/..%2f..%2froot.txt".into(),
            "/files/..%5croot.txt".into(),
            "/files/mine\\..\\..\\root.txt".replace('\\', "%5C"),
            "/files/%2e%2e%2froot.txt".into(),
            "/files/./mine/a.txt".into(),
            "/files/mine/a.txt%00".into(),
            "/files/%00".into(),
            "/files/%zz".into(),
            "/files/mine//a.txt".into(),
            format!("/files/{}", root.join("root.txt").display()),
            format!("/files//{}", root.join("root.txt").display()),
            format!("/files/{}", root.join(&bob_ws).join("bobs.txt").display()),
        ];
        for uri in &attempts {
            let (s, body) = get(&api, auth, uri).await;
            assert!(
                s == 400 || s == 404,
                "GET {uri} answered {s}: {}",
                String::from_utf8_lossy(&body)
            );
            let s = delete(&api, auth, uri).await;
            assert!(s == 400 || s == 404, "DELETE {uri} answered {s}");
        }
        assert_eq!(
            std::fs::read(root.join("root.txt")).unwrap(),
            b"ROOT-SECRET"
        );
        assert_eq!(
            get(&api, Some(&api.outsider.basic), "/files/bobs.txt")
                .await
                .1,
            b"BOB-SECRET"
        );
    })
    .await
}

#[tokio::test]
async fn traversal_in_an_upload_name_is_refused() {
    on_sqlite(async |api: Api| {
        let root = targets_outside_the_space(&api).await;
        let auth = Some(api.admin.basic.as_str());
        for name in [
            "../root.txt",
            "/../../root.txt",
            "a/../../root.txt",
            "..",
            "./x",
            "..\\root.txt",
            "a\\..\\..\\root.txt",
            "a/",
            "",
        ] {
            let (s, body) = put(&api, auth, name, b"OVERWRITTEN").await;
            assert_eq!(s, 400, "upload named {name:?}: {body}");
        }
        let (s, _) = put(&api, auth, "a\0b", b"OVERWRITTEN").await;
        assert_eq!(s, 400, "a NUL in the name");
        assert_eq!(
            std::fs::read(root.join("root.txt")).unwrap(),
            b"ROOT-SECRET"
        );
        assert_eq!(
            get(&api, Some(&api.outsider.basic), "/files/bobs.txt")
                .await
                .1,
            b"BOB-SECRET"
        );
        // Names are not URL-decoded: "%2e%2e" is a plain name inside the space.
        let (s, body) = put(&api, auth, "%2e%2e/x.txt", b"inside").await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(
            get(&api, auth, "/files/%252e%252e/x.txt").await.1,
            b"inside"
        );
        // An absolute path is a path inside the space, as the SDK's `/dir/file` names are.
        let absolute = root.join("root.txt").display().to_string();
        let (s, body) = put(&api, auth, &absolute, b"inside too").await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(
            std::fs::read(root.join("root.txt")).unwrap(),
            b"ROOT-SECRET"
        );
        assert_eq!(
            get(&api, auth, &format!("/files{absolute}")).await.1,
            b"inside too"
        );
    })
    .await
}

#[tokio::test]
async fn a_link_in_the_space_is_not_followed() {
    on_sqlite(async |api: Api| {
        let root = targets_outside_the_space(&api).await;
        let auth = Some(api.admin.basic.as_str());
        put(&api, auth, "mine.txt", b"mine").await;
        let space = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.join("mine.txt").exists())
            .unwrap();
        std::os::unix::fs::symlink(&root, space.join("up")).unwrap();
        std::os::unix::fs::symlink(root.join("root.txt"), space.join("root-link")).unwrap();
        for uri in ["/files/up/root.txt", "/files/root-link"] {
            let (s, body) = get(&api, auth, uri).await;
            assert!(
                s == 400 || s == 404,
                "GET {uri}: {s} {}",
                String::from_utf8_lossy(&body)
            );
            let s = delete(&api, auth, uri).await;
            assert!(s == 400 || s == 404, "DELETE {uri}: {s}");
        }
        let (s, _) = put(&api, auth, "up/root.txt", b"OVERWRITTEN").await;
        assert_eq!(s, 400);
        assert_eq!(
            std::fs::read(root.join("root.txt")).unwrap(),
            b"ROOT-SECRET"
        );
    })
    .await
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413_and_below_it_passes_the_api_body_limit() {
    on_sqlite(async |api: Api| {
        let auth = Some(api.admin.basic.as_str());
        let limit = api.app.services.files.max_bytes() as usize;
        let (s, body) = put(&api, auth, "big.bin", &vec![1; limit + 1]).await;
        assert_eq!(s, 413);
        assert!(body.contains("larger than this server accepts"), "{body}");
        assert_eq!(get(&api, auth, "/files/big.bin").await.0, 404);
        // A body declared far over the limit is refused before it is read.
        let mut req = request("POST", "/files", auth, multipart(&[("x", b"x")]));
        req.headers_mut()
            .insert(header::CONTENT_LENGTH, (limit * 2).into());
        assert_eq!(api.app.send(req).await.0, 413);
        // The API's body limit (64 KiB in tests) does not apply to files.
        let (s, body) = put(&api, auth, "big.bin", &vec![2; limit]).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(get(&api, auth, "/files/big.bin").await.1.len(), limit);
        let ada = ada(&api).await;
        assert_eq!(
            api.app.services.files.usage(&ada).await.unwrap(),
            (limit as i64, 1)
        );
    })
    .await
}

#[tokio::test]
async fn a_request_without_a_file_is_400() {
    on_sqlite(async |api: Api| {
        let auth = Some(api.admin.basic.as_str());
        let (s, _, _) = api
            .app
            .send(request("POST", "/files", auth, multipart(&[])))
            .await;
        assert_eq!(s, 400);
        let mut req = request("POST", "/files", auth, b"plain".to_vec());
        req.headers_mut()
            .insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(api.app.send(req).await.0, 400);
    })
    .await
}

#[tokio::test]
async fn the_console_session_downloads_but_does_not_upload() {
    on_sqlite(async |c: Console| {
        let (s, _, _) = c
            .app
            .send(request(
                "POST",
                "/files",
                Some(&c.admin),
                multipart(&[("x.txt", b"x")]),
            ))
            .await;
        assert_eq!(s, 403);
        let (s, _, _) = c
            .app
            .send(request("DELETE", "/files/x.txt", Some(&c.admin), vec![]))
            .await;
        assert_eq!(s, 403);
        let (s, _, _) = c
            .app
            .send(request("GET", "/files/x.txt", Some(&c.admin), vec![]))
            .await;
        assert_eq!(s, 404, "authenticated, and nothing there");
    })
    .await
}

#[tokio::test]
async fn the_root_answers_ok() {
    on_sqlite(async |api: Api| {
        assert_eq!(
            get(&api, None, "/files").await,
            (StatusCode::OK, b"OK\n".to_vec())
        );
    })
    .await
}

/// With a bucket: the same answers, the bytes kept as the object `<workspace id>/<path>`; ranges and
/// `HEAD` are the bucket's, passed on; another workspace sees nothing; a delete removes the object.
#[tokio::test]
async fn in_a_bucket_files_round_trip_with_ranges_and_stay_in_their_workspace() {
    with_sqlite(|db| async move {
        let api = Api::in_bucket(db).await;
        let bucket = s3::bucket_of(&api.app.services.core.settings).unwrap();
        let auth = Some(api.admin.basic.as_str());
        a_csv_round_trips(&api, auth).await;
        let ws = ada(&api).await.workspace_id;
        assert_eq!(
            s3::object(&bucket, &format!("{ws}/dir/my data.csv")).await,
            Some(b"a,b\n1,2\n".to_vec())
        );

        let mut ranged = request("GET", "/files/dir/my%20data.csv", auth, vec![]);
        ranged
            .headers_mut()
            .insert(header::RANGE, "bytes=2-4".parse().unwrap());
        let (s, headers, bytes) = api.app.send(ranged).await;
        assert_eq!(s, 206);
        assert_eq!(bytes, b"b\n1");
        assert_eq!(headers[header::CONTENT_RANGE], "bytes 2-4/8");

        let (s, headers, bytes) = api
            .app
            .send(request("HEAD", "/files/dir/my%20data.csv", auth, vec![]))
            .await;
        assert_eq!(
            (s, headers[header::CONTENT_LENGTH].to_str().unwrap()),
            (StatusCode::OK, "8")
        );
        assert!(bytes.is_empty());

        // The other workspace's administrator: not found, and the object stays.
        let bob = Some(api.outsider.basic.as_str());
        assert_eq!(get(&api, bob, "/files/dir/my%20data.csv").await.0, 404);
        assert_eq!(delete(&api, bob, "/files/dir/my%20data.csv").await, 404);
        // Another member of the workspace overwrites it; the count is the new size.
        let (s, body) = put(&api, Some(&api.member.basic), "dir/my data.csv", b"x").await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(get(&api, auth, "/files/dir/my%20data.csv").await.1, b"x");
        let ada = ada(&api).await;
        assert_eq!(api.app.services.files.usage(&ada).await.unwrap(), (1, 1));

        assert_eq!(delete(&api, auth, "/files/dir/my%20data.csv").await, 200);
        assert_eq!(get(&api, auth, "/files/dir/my%20data.csv").await.0, 404);
        assert_eq!(delete(&api, auth, "/files/dir/my%20data.csv").await, 404);
        assert_eq!(
            s3::object(&bucket, &format!("{ws}/dir/my data.csv")).await,
            None
        );
        assert_eq!(api.app.services.files.usage(&ada).await.unwrap(), (0, 0));
    })
    .await
}

#[tokio::test]
async fn in_a_bucket_an_upload_over_the_limit_is_413_and_stores_nothing() {
    with_sqlite(|db| async move {
        let api = Api::in_bucket(db).await;
        let auth = Some(api.admin.basic.as_str());
        let limit = api.app.services.files.max_bytes() as usize;
        let (s, body) = put(&api, auth, "big.bin", &vec![1; limit + 1]).await;
        assert_eq!(s, 413, "{body}");
        assert_eq!(get(&api, auth, "/files/big.bin").await.0, 404);
        let (s, body) = put(&api, auth, "big.bin", &vec![2; limit]).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(get(&api, auth, "/files/big.bin").await.1, vec![2; limit]);
    })
    .await
}

/// The people of [`Api`] over services whose Free plan holds `quota` bytes of storage, with the
/// file server in a bucket when `bucket`.
async fn with_quota(db: atrium_server::db::Db, quota: u64, bucket: bool) -> Api {
    let mut settings = if bucket {
        s3::settings_with_bucket().await
    } else {
        crate::common::settings()
    };
    settings.prices.free.storage_bytes = quota;
    Api::over_services(crate::common::services_with(db, settings)).await
}

/// On Free, an upload that would take the workspace past its storage quota is refused with a
/// clear answer and leaves nothing behind: no file, no record, no temporary file. Replacing a file
/// counts only the difference; on Pro there is no quota.
async fn uploads_stop_at_the_storage_quota(api: Api) {
    let auth = Some(api.admin.basic.as_str());
    let (s, body) = put(&api, auth, "a.bin", &[1; 1500]).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = put(&api, auth, "b.bin", &[2; 600]).await;
    assert_eq!(s, 413, "{body}");
    assert!(
        body.contains("Storage quota exceeded") && body.contains("2.1 kB of its 2 kB"),
        "{body}"
    );
    assert_eq!(get(&api, auth, "/files/b.bin").await.0, 404);
    let ada = ada(&api).await;
    assert_eq!(api.app.services.files.usage(&ada).await.unwrap(), (1500, 1));
    let tmp = api.app.services.core.settings.files.root.join(".tmp");
    assert_eq!(std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0);
    // Replacing a.bin with 1,900 bytes adds 400: it fits.
    let (s, body) = put(&api, auth, "a.bin", &[3; 1900]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(get(&api, auth, "/files/a.bin").await.1, vec![3; 1900]);
    // Another workspace has its own quota.
    let (s, body) = put(&api, Some(api.outsider.basic.as_str()), "b.bin", &[4; 1900]).await;
    assert_eq!(s, 200, "{body}");
    // On Pro, storage is charged instead of refused.
    api.ok(&api.admin.basic, "billing.upgrade", serde_json::json!({"accept_terms": true, "info": {
        "name": "Ada", "address": "1 Main Street", "email": "ada@example.com", "payment_method": "invoice"}}))
        .await;
    let (s, body) = put(&api, auth, "b.bin", &[2; 600]).await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn uploads_stop_at_the_storage_quota_in_a_folder() {
    with_sqlite(|db| async move {
        uploads_stop_at_the_storage_quota(with_quota(db, 2000, false).await).await
    })
    .await
}

#[tokio::test]
async fn uploads_stop_at_the_storage_quota_in_a_bucket() {
    with_sqlite(|db| async move {
        uploads_stop_at_the_storage_quota(with_quota(db, 2000, true).await).await
    })
    .await
}

/// Sixteen uploads at once into the last room of the quota: exactly as many as fit are kept.
async fn concurrent_uploads_never_pass_the_quota(api: Api) {
    let api = std::sync::Arc::new(api);
    let mut runs = Vec::new();
    for i in 0..16 {
        let api = api.clone();
        runs.push(tokio::spawn(async move {
            put(
                &api,
                Some(api.admin.basic.as_str()),
                &format!("part-{i}.bin"),
                &[5; 300],
            )
            .await
            .0
        }));
    }
    let mut kept = 0;
    for r in runs {
        match r.await.unwrap().as_u16() {
            200 => kept += 1,
            413 => {}
            other => panic!("an upload answered {other}"),
        }
    }
    assert_eq!(kept, 6, "6 × 300 bytes fit in 2,000");
    let ada = ada(&api).await;
    assert_eq!(api.app.services.files.usage(&ada).await.unwrap(), (1800, 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_never_pass_the_quota_on_sqlite() {
    with_sqlite(|db| async move {
        concurrent_uploads_never_pass_the_quota(with_quota(db, 2000, false).await).await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_never_pass_the_quota_on_postgres() {
    crate::common::with_postgres(|db| async move {
        concurrent_uploads_never_pass_the_quota(with_quota(db, 2000, false).await).await
    })
    .await
}
