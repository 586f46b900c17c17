//! moto's S3-compatible server on loopback, for the file server's bucket backend: started once per
//! test binary (from the venv `make s3-venv` makes, `ATRIUM_S3_VENV`) on a free port, stopped when
//! the test binary exits, with a fresh bucket for every set of services.

use std::io::Read;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use atrium_server::crypto;
use atrium_server::services::files::bucket::{Bucket, BucketSettings};
use atrium_server::state::Settings;

pub struct Moto {
    pub url: String,
    _child: Child,
    /// moto runs until this pipe closes: when the test binary exits, however it exits.
    _lifeline: Mutex<ChildStdin>,
}

pub const ACCESS_KEY: &str = "AKIAATRIUMTESTING";
pub const SECRET_KEY: &str = "atrium-testing-secret";

static MOTO: OnceLock<Moto> = OnceLock::new();

fn venv() -> std::path::PathBuf {
    std::env::var_os("ATRIUM_S3_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/atrium/s3venv")
        })
}

/// The running moto server (started on first use).
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| {
        let bin = venv().join("bin/moto_server");
        assert!(
            bin.exists(),
            "{} is missing: `make s3-venv` creates the venv with moto's server",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(
                r#""$0" -H 127.0.0.1 -p "$1" </dev/null >"$2" 2>&1 & pid=$!; read _ignored; kill $pid"#,
            )
            .arg(&bin)
            .arg(port.to_string())
            .arg(std::env::temp_dir().join(format!("atrium-moto-{port}.log")))
            .stdin(Stdio::piped())
            .spawn()
            .expect("start moto_server");
        let lifeline = child.stdin.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::Write;
                let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\n\r\n");
                let mut head = [0u8; 12];
                if s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            url: format!("http://127.0.0.1:{port}"),
            _child: child,
            _lifeline: Mutex::new(lifeline),
        }
    })
}

fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// A plain request to moto (it takes unsigned ones): the status and the body.
pub async fn raw(method: &str, path: &str) -> (u16, Vec<u8>) {
    let req = http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", moto().url))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let res = client().request(req).await.expect("moto answers");
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, body)
}

/// The bytes of `key` in `bucket` as moto has them (None when there is no such object), read with a
/// GET signed here (moto keeps objects private to the key that put them).
pub async fn object(bucket: &str, key: &str) -> Option<Vec<u8>> {
    use rusty_s3::S3Action as _;
    let b = rusty_s3::Bucket::new(
        moto().url.parse().unwrap(),
        rusty_s3::UrlStyle::Path,
        bucket.to_string(),
        "us-east-1".to_string(),
    )
    .unwrap();
    let credentials = rusty_s3::Credentials::new(ACCESS_KEY, SECRET_KEY);
    let url = b
        .get_object(Some(&credentials), key)
        .sign(Duration::from_secs(60));
    let path = &url.as_str()[moto().url.len()..];
    match raw("GET", path).await {
        (200, body) => Some(body),
        (404, _) => None,
        (s, body) => panic!("moto: {s} {}", String::from_utf8_lossy(&body)),
    }
}

/// The test settings with a fresh bucket on moto.
pub async fn settings_with_bucket() -> Settings {
    let name = format!("atrium-{}", crypto::new_id());
    let (s, body) = raw("PUT", &format!("/{name}")).await;
    assert_eq!(s, 200, "create bucket: {}", String::from_utf8_lossy(&body));
    let mut settings = super::settings();
    settings.files.bucket = Some(
        Bucket::new(&BucketSettings {
            endpoint: moto().url.clone(),
            bucket: name,
            region: "us-east-1".into(),
            access_key: ACCESS_KEY.into(),
            secret_key: SECRET_KEY.into(),
            path_style: true,
        })
        .unwrap(),
    );
    settings
}

/// The name of the bucket the settings keep files in.
pub fn bucket_of(settings: &Settings) -> Option<String> {
    settings.files.bucket.as_ref().map(|b| b.name().to_string())
}
