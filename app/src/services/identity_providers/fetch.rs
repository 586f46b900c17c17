//! The HTTP client identity providers are reached with (discovery, keys, tokens, user info,
//! metadata). Any workspace's administrator can type a URL here, so by default it reaches public
//! hosts only: names that resolve to a private, loopback or link-local address are refused when
//! they are resolved (so a name cannot change its answer between a check and the connection), and
//! so are such addresses written literally. The operator can allow private hosts (a provider on
//! the same network, or the tests' providers on loopback). Answers are read up to 1 MB, within
//! ten seconds.

use std::future::Future;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;

/// The most an answer may hold.
const MAX_ANSWER: usize = 1024 * 1024;
/// How long a request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "{0} is a private address; this server reaches identity providers on public hosts only (the operator can allow private ones)"
    )]
    Private(String),
    #[error("could not reach {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("{0} took longer than 10 seconds to answer")]
    Timeout(String),
    #[error("the answer from {0} is larger than 1 MB")]
    TooLarge(String),
    #[error("{0} is not a URL this server can fetch")]
    BadUrl(String),
}

/// Whether an address is on the public internet (not private, loopback, link-local, shared,
/// documentation, multicast or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// Resolves names with the system resolver, keeping only the addresses the client may reach.
#[derive(Clone, Debug)]
pub struct Resolver {
    allow_private: bool,
}

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::task::spawn_blocking(move || {
                (host.as_str(), 0).to_socket_addrs().map(|a| a.collect())
            })
            .await
            .map_err(std::io::Error::other)??;
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if kept.is_empty() && !found.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    FetchError::Private(name.as_str().to_string()),
                ));
            }
            Ok(kept.into_iter())
        })
    }
}

/// The client, built once.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector<Resolver>>, Full<Bytes>>,
    allow_private: bool,
}

impl Fetcher {
    pub fn new(allow_private: bool) -> Self {
        let mut http = HttpConnector::new_with_resolver(Resolver { allow_private });
        http.enforce_http(false);
        http.set_connect_timeout(Some(TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Fetcher {
            client,
            allow_private,
        }
    }

    /// Sends a request and reads its answer (any status).
    pub async fn send(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, FetchError> {
        let uri = req.uri().clone();
        let host = uri
            .host()
            .ok_or_else(|| FetchError::BadUrl(uri.to_string()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(FetchError::BadUrl(uri.to_string()));
        }
        if let Ok(ip) = host.parse::<IpAddr>()
            && !self.allow_private
            && !is_public(ip)
        {
            return Err(FetchError::Private(host));
        }
        let (parts, body) = req.into_parts();
        let req = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let work = async {
            let res = self.client.request(req).await.map_err(|e| {
                let mut reason = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    if let Some(private) = s.downcast_ref::<FetchError>() {
                        return FetchError::Private(match private {
                            FetchError::Private(h) => h.clone(),
                            _ => host.clone(),
                        });
                    }
                    reason = s.to_string();
                    source = s.source();
                }
                FetchError::Unreachable {
                    host: host.clone(),
                    reason,
                }
            })?;
            let (parts, body) = res.into_parts();
            let bytes = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(|_| FetchError::TooLarge(host.clone()))?
                .to_bytes();
            Ok(http::Response::from_parts(parts, bytes.to_vec()))
        };
        tokio::time::timeout(TIMEOUT, work)
            .await
            .map_err(|_| FetchError::Timeout(host.clone()))?
    }

    /// GETs a URL and returns its body when the answer is 200, or says what went wrong.
    pub async fn get(&self, url: &str, accept: &str) -> Result<Vec<u8>, String> {
        let req = http::Request::get(url)
            .header(http::header::ACCEPT, accept)
            .body(Vec::new())
            .map_err(|_| FetchError::BadUrl(url.to_string()).to_string())?;
        let res = self.send(req).await.map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("{url} answered {}", res.status()));
        }
        Ok(res.into_body())
    }

    /// GETs an XML document (SAML metadata) as text.
    pub async fn get_text(&self, url: &str) -> Result<String, String> {
        let body = self
            .get(
                url,
                "application/samlmetadata+xml, application/xml, text/xml",
            )
            .await?;
        String::from_utf8(body).map_err(|_| format!("{url} did not answer with UTF-8 text"))
    }
}
