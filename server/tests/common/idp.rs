//! An OpenID provider on loopback for the login tests, with the knobs a hostile or broken provider
//! has: every ID token it mints can be given another issuer, audience, nonce or expiry, a tampered
//! payload, a key the JWKS does not publish, `alg: none`, or an HS256 signature made with the
//! client secret. It checks what a real provider checks of the client: the client secret (HTTP
//! Basic), the PKCE verifier against the challenge, and that a code is used once.
//! Its keys are fixed test keys (`idp_keys/`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use sha2::Digest;

pub const CLIENT_ID: &str = "atrium-test";
pub const CLIENT_SECRET: &str = "s3cret-of-the-test-client";

/// How the next ID token is made.
#[derive(Debug, Clone, Default)]
pub struct Mint {
    /// Replaces the issuer.
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    /// Seconds from now until it expires (default 300; negative: already expired).
    pub expires_in: Option<i64>,
    /// Changes the e-mail after signing.
    pub tamper: bool,
    /// Signs with a key the JWKS does not publish.
    pub unknown_key: bool,
    /// Signs with the second RSA key (published once `rotate` is called).
    pub rotated_key: bool,
    pub alg_none: bool,
    pub hs256_with_secret: bool,
    pub es256: bool,
}

/// A person the provider logs in.
#[derive(Debug, Clone)]
pub struct Person {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub groups: Vec<String>,
}

impl Person {
    pub fn new(sub: &str, email: &str) -> Self {
        Person {
            sub: sub.into(),
            email: email.into(),
            email_verified: true,
            name: format!("Person {sub}"),
            groups: vec![],
        }
    }
}

#[derive(Debug)]
struct Code {
    person: Person,
    nonce: String,
    challenge: Option<String>,
    mint: Mint,
}

#[derive(Default, Debug)]
struct Inner {
    codes: HashMap<String, Code>,
    access: HashMap<String, Person>,
    rotated: bool,
    token_calls: usize,
}

#[derive(Clone)]
pub struct Provider {
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
}

fn key_file(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/common/idp_keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn jwk(name: &str) -> Value {
    let all: Value = serde_json::from_slice(&key_file("jwks.json")).unwrap();
    all[name].clone()
}

impl Provider {
    /// Starts a provider on a free loopback port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let p = Provider {
            issuer,
            inner: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(p.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        p
    }

    /// The connection settings for this provider, as the REST API takes them.
    pub fn settings(&self, display_name: &str) -> Value {
        json!({
            "protocol": "oidc",
            "provider": "custom",
            "display_name": display_name,
            "web_app_url": "http://127.0.0.1:3000",
            "create_users": true,
            "group_sync": true,
            "oidc": {
                "issuer": self.issuer,
                "client_id": CLIENT_ID,
                "authorization_endpoint": format!("{}/authorize", self.issuer),
                "token_endpoint": format!("{}/token", self.issuer),
                "jwks_uri": format!("{}/jwks", self.issuer),
                "userinfo_endpoint": format!("{}/userinfo", self.issuer),
                "code_challenge": "S256",
            }
        })
    }

    /// What the provider does when the browser arrives at its authorization URL: remembers the
    /// person for the code it returns (with the request's nonce and challenge).
    pub fn authorize(&self, authorization_url: &str, person: Person, mint: Mint) -> String {
        let url = url::Url::parse(authorization_url).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(q["response_type"], "code");
        assert!(q["scope"].split(' ').any(|s| s == "openid"));
        if let Some(m) = q.get("code_challenge_method") {
            assert_eq!(m, "S256");
        }
        let code = format!("code-{}", atrium_server::crypto::new_id());
        self.inner.lock().unwrap().codes.insert(
            code.clone(),
            Code {
                person,
                nonce: q["nonce"].clone(),
                challenge: q.get("code_challenge").cloned(),
                mint,
            },
        );
        code
    }

    /// Publishes the second RSA key beside the first (a key rotation).
    pub fn rotate(&self) {
        self.inner.lock().unwrap().rotated = true;
    }

    pub fn token_calls(&self) -> usize {
        self.inner.lock().unwrap().token_calls
    }
}

async fn discovery(State(p): State<Provider>) -> Response {
    let i = &p.issuer;
    axum::Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "revocation_endpoint": format!("{i}/revoke"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
    .into_response()
}

async fn jwks(State(p): State<Provider>) -> Response {
    let mut keys = vec![jwk("rsa-1"), jwk("ec-1")];
    if p.inner.lock().unwrap().rotated {
        keys.push(jwk("rsa-2"));
    }
    axum::Json(json!({ "keys": keys })).into_response()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn mint(p: &Provider, code: &Code) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let m = &code.mint;
    let person = &code.person;
    let claims = json!({
        "iss": m.issuer.clone().unwrap_or_else(|| p.issuer.clone()),
        "aud": m.audience.clone().unwrap_or_else(|| CLIENT_ID.into()),
        "sub": person.sub,
        "nonce": m.nonce.clone().unwrap_or_else(|| code.nonce.clone()),
        "iat": now,
        "exp": now + m.expires_in.unwrap_or(300),
        "email": person.email,
        "email_verified": person.email_verified,
        "name": person.name,
        "groups": person.groups,
    });
    if m.alg_none {
        return format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims)
        );
    }
    let (alg, kid, key) = if m.hs256_with_secret {
        (
            Algorithm::HS256,
            None,
            EncodingKey::from_secret(CLIENT_SECRET.as_bytes()),
        )
    } else if m.es256 {
        (
            Algorithm::ES256,
            Some("ec-1"),
            EncodingKey::from_ec_der(&key_file("ec-1.der")),
        )
    } else if m.unknown_key {
        // The second key, under a name the JWKS never publishes.
        (
            Algorithm::RS256,
            Some("not-published"),
            EncodingKey::from_rsa_der(&key_file("rsa-2.der")),
        )
    } else if m.rotated_key {
        (
            Algorithm::RS256,
            Some("rsa-2"),
            EncodingKey::from_rsa_der(&key_file("rsa-2.der")),
        )
    } else {
        (
            Algorithm::RS256,
            Some("rsa-1"),
            EncodingKey::from_rsa_der(&key_file("rsa-1.der")),
        )
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    let token = encode(&header, &claims, &key).unwrap();
    if !m.tamper {
        return token;
    }
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let mut changed = claims.clone();
    changed["email"] = json!("someone-else@example.com");
    parts[1] = b64(&changed);
    parts.join(".")
}

async fn token(
    State(p): State<Provider>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let refuse = |error: &str, description: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    };
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return refuse("invalid_client", "client authentication failed");
    }
    let mut inner = p.inner.lock().unwrap();
    inner.token_calls += 1;
    let Some(code) = form.get("code").and_then(|c| inner.codes.remove(c)) else {
        return refuse("invalid_grant", "unknown or used code");
    };
    if let Some(challenge) = &code.challenge {
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let computed = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
        if &computed != challenge {
            return refuse("invalid_grant", "PKCE verification failed");
        }
    }
    let id_token = mint(&p, &code);
    let access = format!("at-{}", atrium_server::crypto::new_id());
    inner.access.insert(access.clone(), code.person.clone());
    axum::Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

async fn userinfo(State(p): State<Provider>, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let Some(person) = p.inner.lock().unwrap().access.get(token).cloned() else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    axum::Json(json!({
        "sub": person.sub,
        "email": person.email,
        "email_verified": person.email_verified,
        "name": person.name,
        "groups": person.groups,
    }))
    .into_response()
}
