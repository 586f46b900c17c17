//! What was acknowledged survives: eight clients create credentials through the real server on
//! SQLite while it is killed with SIGKILL, and every key pair it answered 200 for is in the
//! database afterwards.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::sync::Mutex;

const BIN: &str = env!("CARGO_BIN_EXE_atrium");
const WRITERS: usize = 8;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One POST of a JSON body; the status and the body, or `None` when the server is gone.
async fn post(port: u16, path: &str, auth: &str, body: &str) -> Option<(u16, serde_json::Value)> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    let req = hyper::Request::post(path)
        .header("host", format!("127.0.0.1:{port}"))
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .ok()?;
    let res = sender.send_request(req).await.ok()?;
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.ok()?.to_bytes();
    Some((status, serde_json::from_slice(&bytes).ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_a_kill() {
    let dir = std::env::temp_dir().join(format!("atrium-kill-{}", atrium_server::crypto::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.to_str().unwrap().to_string();
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);

    let mut user = Command::new(BIN)
        .args(["user", "create", "--data-dir", &data, "--json"])
        .args(["--email", "ada@example.com", "--name", "Ada", "--admin"])
        .args(["--workspace", "Research"])
        .env("ATRIUM_MASTER_KEY", &key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    user.stdin
        .take()
        .unwrap()
        .write_all(b"password-12345\n")
        .unwrap();
    assert!(user.wait_with_output().unwrap().status.success());
    let out = Command::new(BIN)
        .args(["credentials", "create", "--data-dir", &data, "--json"])
        .args(["--user", "ada@example.com"])
        .env("ATRIUM_MASTER_KEY", &key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            created["access_key"].as_str().unwrap(),
            created["secret_key"].as_str().unwrap()
        ))
    );

    let port = free_port();
    let mut server = Command::new(BIN)
        .args([
            "serve",
            "--data-dir",
            &data,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env("ATRIUM_MASTER_KEY", &key)
        .env("ATRIUM_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..200 {
        if post(port, "/debug.ping", &auth, "{}").await.is_some() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not start");

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (auth, acknowledged) = (auth.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let body = format!(r#"{{"label": "w{w}-{i}"}}"#);
                match post(port, "/auth.create_credentials", &auth, &body).await {
                    Some((200, v)) => acknowledged.lock().await.push(
                        v["data"]["credentials"]["access_key"]
                            .as_str()
                            .unwrap()
                            .to_string(),
                    ),
                    Some((status, v)) => panic!("a write answered {status}: {v}"),
                    None => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }

    let keys = acknowledged.lock().await.clone();
    eprintln!("{} credentials acknowledged before the kill", keys.len());
    assert!(
        keys.len() >= WRITERS,
        "only {} writes before the kill",
        keys.len()
    );
    let db = atrium_server::db::connect(&format!(
        "sqlite://{}?mode=rwc",
        dir.join("atrium.db").display()
    ))
    .await
    .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let mut missing = Vec::new();
    for k in &keys {
        if atrium_server::store::credentials::find_by_access_key(&mut conn, k)
            .await
            .unwrap()
            .is_none()
        {
            missing.push(k.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged credentials lost",
        missing.len(),
        keys.len()
    );
    drop(conn);
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
