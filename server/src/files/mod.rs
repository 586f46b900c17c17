//! The ClearML-compatible file server, under `/files` on the same address as everything else: the
//! `files_server` the configuration section hands out. It speaks what the `clearml` SDK's HTTP
//! storage driver sends to a files server:
//!
//! - `POST /files` with a `multipart/form-data` body whose every part is a file named by its field
//!   (`/dir/name.ext`, relative to the files server) → 200 and the JSON list of stored paths;
//! - `GET /files/<path>` (and `HEAD`) → the file (`?download` adds `Content-Disposition:
//!   attachment`); ranges and conditional requests work;
//! - `DELETE /files/<path>` → 200 and the path as a JSON string;
//! - `GET /files` → `OK`, a liveness check.
//!
//! Callers authenticate as on the API (a Bearer token, which the SDK sends to every URL under its
//! `files_server`, or a key pair as HTTP Basic); the console's session may download but not change
//! anything. Every path is inside the caller's workspace's own space (see
//! [`app::domain::files::FilePath`] and [`crate::services::files`]); files are never shared between
//! workspaces. Uploads stream to disk and stop at `--files-max-bytes` (413).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt;

use app::api::backend::Caller;
use app::domain::AppError;
use app::domain::files::{FilePath, percent_decode, too_large_message};

use crate::services::credentials::AuthFailure;
use crate::services::files::{Stored, UploadError};
use crate::state::AppState;

/// Where the file server is mounted.
pub const PREFIX: &str = "/files";

/// Whether a request path is the file server's (its bodies are limited by the file size limit,
/// not the API's).
pub fn owns(path: &str) -> bool {
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The file server's routes, to be merged into the application's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/files", get(ping).post(upload))
        .route("/files/", get(ping).post(upload))
        .route("/files/{*path}", get(download).delete(delete))
}

/// A plain-text answer (the SDK shows it in its error).
fn text(status: StatusCode, message: impl Into<String>) -> Response {
    let mut message = message.into();
    message.push('\n');
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// Why a request is refused: the status and the message.
type Refusal = (StatusCode, String);

fn refusal(e: &AppError) -> Refusal {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, e.user_message())
}

fn error(e: &AppError) -> Response {
    let (status, message) = refusal(e);
    text(status, message)
}

/// The authenticated caller, or the answer refusing the request. `writes`: the console's session
/// (a cookie) may read files but not change them; API credentials may do both.
fn caller(req: &Request<Body>, writes: bool) -> Result<Caller, Refusal> {
    match req.extensions().get::<Caller>() {
        Some(c) if writes && c.session_id.is_some() => Err((
            StatusCode::FORBIDDEN,
            "Uploading and deleting files needs an API key pair or token.".into(),
        )),
        Some(c) => Ok(c.clone()),
        None => Err(match req.extensions().get::<AuthFailure>() {
            Some(f) => (
                StatusCode::from_u16(f.status()).unwrap_or(StatusCode::UNAUTHORIZED),
                f.message(),
            ),
            None => (
                StatusCode::UNAUTHORIZED,
                "Unauthorized (missing credentials): send a Bearer token or an API key pair."
                    .into(),
            ),
        }),
    }
}

/// The file path a `/files/<path>` request names, percent-decoded once and checked.
fn path_of(req: &Request<Body>) -> Result<FilePath, Refusal> {
    let raw = req.uri().path().strip_prefix(PREFIX).unwrap_or_default();
    let decoded = percent_decode(raw).ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            "The path is not valid URL encoding.".to_string(),
        )
    })?;
    FilePath::parse(&decoded).map_err(|e| refusal(&e))
}

async fn ping() -> Response {
    text(StatusCode::OK, "OK")
}

async fn upload(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<Body>,
) -> Response {
    let who = match caller(&req, true) {
        Ok(c) => c.identity,
        Err((status, message)) => return text(status, message),
    };
    let files = &state.services.files;
    let limit = files.max_bytes();
    // A declared length far over the limit is refused before reading (the parts' headers and
    // boundaries take a little room beside the file itself).
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(64 * 1024)) {
        return text(StatusCode::PAYLOAD_TOO_LARGE, too_large_message(limit));
    }
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let Some(boundary) = boundary else {
        return text(
            StatusCode::BAD_REQUEST,
            "Send the files as multipart/form-data, each part named by its path.",
        );
    };
    if req.headers().contains_key(header::CONTENT_ENCODING) {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content encoding is not supported.",
        );
    }
    let mut parts = multer::Multipart::new(req.into_body().into_data_stream(), boundary);
    let mut stored = Vec::new();
    loop {
        let mut field = match parts.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return unreadable(&e),
        };
        let name = field
            .name()
            .filter(|n| !n.is_empty())
            .or(field.file_name())
            .unwrap_or_default()
            .to_string();
        if name.is_empty() {
            continue;
        }
        let path = match FilePath::parse(&name) {
            Ok(p) => p,
            Err(e) => return error(&e),
        };
        let mut upload = match files.begin_upload().await {
            Ok(u) => u,
            Err(e) => return error(&e),
        };
        loop {
            match field.chunk().await {
                Ok(Some(bytes)) => match upload.write(&bytes).await {
                    Ok(()) => {}
                    Err(UploadError::TooLarge(limit)) => {
                        return text(StatusCode::PAYLOAD_TOO_LARGE, too_large_message(limit));
                    }
                    Err(UploadError::Failed(e)) => return error(&e),
                },
                Ok(None) => break,
                Err(e) => return unreadable(&e),
            }
        }
        match files.finish_upload(&who, &path, upload).await {
            Ok(_) => stored.push(path.as_str().to_string()),
            Err(e) => return error(&e),
        }
    }
    if stored.is_empty() {
        return text(StatusCode::BAD_REQUEST, "The request holds no file.");
    }
    axum::Json(stored).into_response()
}

/// A body that could not be read as multipart: cut short, malformed, or over the size limit.
fn unreadable(e: &multer::Error) -> Response {
    text(
        StatusCode::BAD_REQUEST,
        format!("The upload could not be read: {e}."),
    )
}

async fn download(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<Body>,
) -> Response {
    let who = match caller(&req, false) {
        Ok(c) => c.identity,
        Err((status, message)) => return text(status, message),
    };
    let path = match path_of(&req) {
        Ok(p) => p,
        Err((status, message)) => return text(status, message),
    };
    let located = match state.services.files.locate(&who, &path).await {
        Ok(l) => l,
        Err(e) => return error(&e),
    };
    let attachment = req.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv == "download" || kv.starts_with("download="))
    });
    let name = path.names().last().unwrap_or_default().to_string();
    let mut res = match located.stored {
        Stored::File(full_path) => {
            match tower_http::services::ServeFile::new(&full_path)
                .oneshot(req)
                .await
            {
                Ok(res) => res.map(Body::new),
                Err(e) => return error(&crate::services::internal(e)),
            }
        }
        Stored::Object(key) => {
            let head = req.method() == Method::HEAD;
            match state.services.files.fetch(&key, head, req.headers()).await {
                Ok(res) => from_bucket(res, &name),
                Err(e) => return error(&e),
            }
        }
    };
    let headers = res.headers_mut();
    // Files are whatever members uploaded: never let one run as a page of this site.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if attachment {
        let quoted: String = name
            .chars()
            .map(|c| {
                if c == '"' || c == '\\' || !c.is_ascii() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{quoted}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    res
}

/// The bucket's answer as the client's: its status, body (streamed on) and the headers a file's
/// answer has, with the type guessed from the name as for a file in the folder.
fn from_bucket(res: http::Response<hyper::body::Incoming>, name: &str) -> Response {
    let (parts, body) = res.into_parts();
    let mut out = Response::new(Body::new(body));
    *out.status_mut() = parts.status;
    for h in [
        header::CONTENT_LENGTH,
        header::CONTENT_RANGE,
        header::ACCEPT_RANGES,
        header::ETAG,
        header::LAST_MODIFIED,
    ] {
        if let Some(v) = parts.headers.get(&h) {
            out.headers_mut().insert(h, v.clone());
        }
    }
    if parts.status.is_success() {
        let mime = mime_guess::from_path(name).first_or_octet_stream();
        if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
            out.headers_mut().insert(header::CONTENT_TYPE, v);
        }
    }
    out
}

async fn delete(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<Body>,
) -> Response {
    debug_assert_eq!(req.method(), Method::DELETE);
    let who = match caller(&req, true) {
        Ok(c) => c.identity,
        Err((status, message)) => return text(status, message),
    };
    let path = match path_of(&req) {
        Ok(p) => p,
        Err((status, message)) => return text(status, message),
    };
    match state.services.files.delete(&who, &path).await {
        Ok(()) => axum::Json(path.as_str()).into_response(),
        Err(e) => error(&e),
    }
}
