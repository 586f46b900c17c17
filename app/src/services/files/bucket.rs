//! The file server's bucket backend: the S3 requests that keep a workspace's files as objects
//! `<workspace id>/<path>` in one S3-compatible bucket (AWS, MinIO, moto …). Each request is signed
//! with AWS Signature V4 in the query string (rusty-s3, as the cloud access links are), so only the
//! `host` header is signed and a client's `Range` or conditional headers can be passed along as
//! they are. Bodies stream both ways: an upload is sent from its temporary file with its length,
//! a download's body is the bucket's answer, handed on to the client without being held.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::{Frame, Incoming};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use rusty_s3::S3Action as _;

use app::domain::AppError;

use crate::services::internal;

/// How long a signed request stays valid: checked when the bucket receives the request, so a
/// large upload may take longer.
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

/// The request headers a download passes on to the bucket (ranges and conditional requests).
const FORWARDED: [header::HeaderName; 6] = [
    header::RANGE,
    header::IF_RANGE,
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
];

/// What the bucket options say.
#[derive(Clone)]
pub struct BucketSettings {
    /// `https://s3.<region>.amazonaws.com` or a custom endpoint (`http://127.0.0.1:9000`).
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key` (MinIO, moto, most custom hosts).
    pub path_style: bool,
}

impl std::fmt::Debug for BucketSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl BucketSettings {
    /// A one-line summary for the start-up log: everything but the secret key.
    pub fn describe(&self) -> String {
        format!(
            "s3://{} at {} (region {}, {} style, access key {}, secret key ***)",
            self.bucket,
            self.endpoint,
            self.region,
            if self.path_style {
                "path"
            } else {
                "virtual-host"
            },
            self.access_key
        )
    }
}

type SendBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// A bucket and the client that reaches it, built once at start.
#[derive(Clone)]
pub struct Bucket {
    bucket: rusty_s3::Bucket,
    credentials: rusty_s3::Credentials,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, SendBody>,
    describe: Arc<str>,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl Bucket {
    pub fn new(s: &BucketSettings) -> Result<Self, String> {
        let endpoint: url::Url = s
            .endpoint
            .parse()
            .map_err(|e| format!("the bucket endpoint {:?} is not a URL: {e}", s.endpoint))?;
        let style = if s.path_style {
            rusty_s3::UrlStyle::Path
        } else {
            rusty_s3::UrlStyle::VirtualHost
        };
        let bucket = rusty_s3::Bucket::new(endpoint, style, s.bucket.clone(), s.region.clone())
            .map_err(|e| format!("the bucket cannot be reached that way: {e}"))?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Ok(Self {
            bucket,
            credentials: rusty_s3::Credentials::new(s.access_key.clone(), s.secret_key.clone()),
            client,
            describe: s.describe().into(),
        })
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        self.bucket.name()
    }

    async fn send(
        &self,
        method: Method,
        url: url::Url,
        headers: HeaderMap,
        body: SendBody,
    ) -> Result<Response<Incoming>, AppError> {
        let mut req = Request::builder()
            .method(method)
            .uri(url.as_str())
            .body(body)
            .map_err(internal)?;
        *req.headers_mut() = headers;
        self.client
            .request(req)
            .await
            .map_err(|e| internal(format!("the bucket did not answer: {e}")))
    }

    /// Turns an unexpected answer into a logged internal error (with the bucket's own words).
    async fn refused(what: &str, res: Response<Incoming>) -> AppError {
        let status = res.status();
        let body = match res.into_body().collect().await {
            Ok(b) => String::from_utf8_lossy(&b.to_bytes())
                .chars()
                .take(500)
                .collect(),
            Err(_) => String::new(),
        };
        internal(format!("the bucket refused {what}: {status} {body}"))
    }

    /// Puts the object `key`: `len` bytes read from `file` as they are sent.
    pub async fn put(&self, key: &str, file: tokio::fs::File, len: u64) -> Result<(), AppError> {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, len.into());
        headers.insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        let stream =
            tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).map_ok(Frame::data);
        let body = UnsyncBoxBody::new(StreamBody::new(stream));
        let res = self.send(Method::PUT, url, headers, body).await?;
        if !res.status().is_success() {
            return Err(Self::refused("an upload", res).await);
        }
        Ok(())
    }

    /// Sends a `GET` (or `HEAD`) of the object `key` with the client's range and conditional
    /// headers, and hands back the bucket's answer to stream on (200, 206, 304, 412, 416); a missing
    /// object is not found.
    pub async fn get(
        &self,
        key: &str,
        head: bool,
        client_headers: &HeaderMap,
    ) -> Result<Response<Incoming>, AppError> {
        let (method, url) = if head {
            let a = self.bucket.head_object(Some(&self.credentials), key);
            (Method::HEAD, a.sign(SIGNED_FOR))
        } else {
            let a = self.bucket.get_object(Some(&self.credentials), key);
            (Method::GET, a.sign(SIGNED_FOR))
        };
        let mut headers = HeaderMap::new();
        for name in FORWARDED {
            for v in client_headers.get_all(&name) {
                headers.append(name.clone(), v.clone());
            }
        }
        let res = self.send(method, url, headers, empty()).await?;
        match res.status() {
            s if s.is_success()
                || s == StatusCode::NOT_MODIFIED
                || s == StatusCode::PRECONDITION_FAILED
                || s == StatusCode::RANGE_NOT_SATISFIABLE =>
            {
                Ok(res)
            }
            StatusCode::NOT_FOUND => Err(AppError::not_found("file")),
            _ => Err(Self::refused("a download", res).await),
        }
    }

    /// Whether the object `key` exists.
    pub async fn exists(&self, key: &str) -> Result<bool, AppError> {
        match self.get(key, true, &HeaderMap::new()).await {
            Ok(_) => Ok(true),
            Err(AppError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the object `key` (whether or not it exists: S3 answers 204 either way).
    pub async fn delete(&self, key: &str) -> Result<(), AppError> {
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let res = self
            .send(Method::DELETE, url, HeaderMap::new(), empty())
            .await?;
        if !res.status().is_success() && res.status() != StatusCode::NOT_FOUND {
            return Err(Self::refused("a delete", res).await);
        }
        Ok(())
    }
}

fn empty() -> SendBody {
    UnsyncBoxBody::new(Empty::new().map_err(|never| match never {}))
}
