//! OpenID Connect's authorization code flow against a connection: the request to the provider
//! (state, nonce, PKCE), the token exchange, the ID token's checks (signature by a key of the
//! provider's JWKS with an asymmetric algorithm only, issuer, audience, expiry, nonce) and the user
//! info. Discovery fills a connection's endpoints from its issuer. Keys are cached per JWKS URL and
//! fetched again when a token names a key the cache does not hold.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGenderClaim,
    CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, ClaimsVerificationError, ClientId, IdToken,
    IdTokenVerifier, IssuerUrl, JsonWebKeySet, JsonWebKeySetUrl, Nonce, PkceCodeChallenge,
    ProviderMetadata, SignatureVerificationError,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fetch::{FetchError, Fetcher};
use app::domain::identity_providers::{CodeChallenge, Endpoints, Settings};

/// Every claim of a token, whatever its name (group and claim names are configurable).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AllClaims {
    #[serde(flatten)]
    pub claims: BTreeMap<String, Value>,
}
impl AdditionalClaims for AllClaims {}

/// The revocation endpoint, which discovery documents carry beside the standard metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevocationMeta {
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for RevocationMeta {}

type Metadata = ProviderMetadata<
    RevocationMeta,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Token =
    IdToken<AllClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

type Jwks = JsonWebKeySet<CoreJsonWebKey>;

/// The signature algorithms an ID token may use: asymmetric ones only. `none` and the HMAC
/// algorithms (which would take the client secret as their key) are never accepted.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// How long fetched keys are kept, and the least time between two fetches of the same keys (so
/// tokens naming unknown keys cannot make this server hammer the provider).
const KEYS_TTL_MS: i64 = 3600 * 1000;
const KEYS_REFETCH_GAP_MS: i64 = 10 * 1000;

/// Fetched key sets by URL, with when they were fetched (the services' clock, in ms).
#[derive(Debug, Default)]
pub struct KeyCache {
    sets: Mutex<HashMap<String, (Jwks, i64)>>,
}

impl KeyCache {
    fn cached(&self, url: &str) -> Option<(Jwks, i64)> {
        self.sets.lock().ok()?.get(url).cloned()
    }

    fn put(&self, url: &str, jwks: Jwks, now_ms: i64) {
        if let Ok(mut m) = self.sets.lock() {
            m.insert(url.to_string(), (jwks, now_ms));
        }
    }
}

/// A request sent by the `Fetcher`, as the `openidconnect` crate awaits it (owning its client, so
/// that it satisfies the crate's client bound for every lifetime).
type Sent = std::pin::Pin<
    Box<dyn Future<Output = Result<openidconnect::HttpResponse, FetchError>> + Send + 'static>,
>;

/// A `Fetcher` in the form the `openidconnect` crate calls.
fn client(fetcher: &Fetcher) -> impl Fn(openidconnect::HttpRequest) -> Sent + use<> {
    let fetcher = fetcher.clone();
    move |req| {
        let fetcher = fetcher.clone();
        Box::pin(async move { fetcher.send(req).await })
    }
}

/// Reads an issuer's discovery document: its endpoints, checked to belong to that issuer.
pub async fn discover(fetcher: &Fetcher, issuer: &str) -> Result<Endpoints, String> {
    let issuer_url = IssuerUrl::new(issuer.trim().to_string())
        .map_err(|e| format!("{issuer} is not a URL: {e}"))?;
    let http = client(fetcher);
    let meta = Metadata::discover_async(issuer_url, &http)
        .await
        .map_err(|e| describe_discovery(issuer, &e))?;
    Ok(Endpoints {
        issuer: meta.issuer().to_string(),
        authorization_endpoint: meta.authorization_endpoint().to_string(),
        token_endpoint: meta
            .token_endpoint()
            .map(|u| u.to_string())
            .unwrap_or_default(),
        revocation_endpoint: meta
            .additional_metadata()
            .revocation_endpoint
            .clone()
            .unwrap_or_default(),
        userinfo_endpoint: meta
            .userinfo_endpoint()
            .map(|u| u.to_string())
            .unwrap_or_default(),
        jwks_uri: meta.jwks_uri().to_string(),
    })
}

fn describe_discovery<E: std::error::Error>(
    issuer: &str,
    e: &openidconnect::DiscoveryError<E>,
) -> String {
    use openidconnect::DiscoveryError as D;
    match e {
        D::Request(inner) => format!("Discovery failed: {inner}."),
        D::Response(status, ..) => format!(
            "{issuer}/.well-known/openid-configuration answered {status}: check the issuer URL."
        ),
        D::Parse(inner) => {
            format!("The discovery document of {issuer} could not be read: {inner}.")
        }
        D::Validation(inner) => {
            format!("The discovery document does not belong to {issuer}: {inner}.")
        }
        other => format!("Discovery failed: {other}."),
    }
}

/// What a login must remember until the provider sends the person back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub nonce: String,
    pub pkce_verifier: Option<String>,
}

/// The provider's authorization URL for a login, and what to remember for its answer. With
/// `fresh_login` the provider is asked to make the person log in again (`prompt=login`) rather
/// than take whoever is logged in there already: linking an account and testing a connection.
pub fn authorization(
    settings: &Settings,
    redirect_uri: &str,
    state: &str,
    fresh_login: bool,
) -> Result<(String, Pending), String> {
    let o = &settings.oidc;
    let mut url = url::Url::parse(&o.authorization_endpoint)
        .map_err(|e| format!("The authorization endpoint is not a URL: {e}"))?;
    let nonce = Nonce::new_random();
    let scopes: Vec<&str> = o
        .scopes
        .iter()
        .chain(o.additional_scopes.iter())
        .map(String::as_str)
        .collect();
    // (challenge, method) sent, verifier kept.
    let (challenge, verifier) = match o.code_challenge {
        CodeChallenge::S256 => {
            let (c, v) = PkceCodeChallenge::new_random_sha256();
            (
                Some((c.as_str().to_string(), "S256")),
                Some(v.secret().clone()),
            )
        }
        CodeChallenge::Plain => {
            // The plain method sends the verifier itself (RFC 7636 4.2).
            let (_, v) = PkceCodeChallenge::new_random_sha256();
            (
                Some((v.secret().clone(), "plain")),
                Some(v.secret().clone()),
            )
        }
        CodeChallenge::None => (None, None),
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &o.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", state)
            .append_pair("nonce", nonce.secret());
        if fresh_login {
            q.append_pair("prompt", "login");
        }
        if let Some((c, method)) = &challenge {
            q.append_pair("code_challenge", c)
                .append_pair("code_challenge_method", method);
        }
    }
    Ok((
        url.into(),
        Pending {
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier,
        },
    ))
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// The provider's answer to a login: its code, where it was sent, and what the login kept.
pub struct Answer<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub pending: &'a Pending,
}

/// Trades the code for tokens and returns the person's claims: the ID token's, checked, then the
/// user info endpoint's when the connection reads the person from there.
pub async fn finish(
    fetcher: &Fetcher,
    keys: &KeyCache,
    settings: &Settings,
    client_secret: Option<&str>,
    answer: Answer<'_>,
    now_ms: i64,
) -> Result<BTreeMap<String, Value>, String> {
    let Answer {
        code,
        redirect_uri,
        pending,
    } = answer;
    let o = &settings.oidc;
    // The form is built before anything is awaited (its serializer is not `Send`).
    let req = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri);
        if let Some(v) = &pending.pkce_verifier {
            form.append_pair("code_verifier", v);
        }
        let mut req = http::Request::post(&o.token_endpoint)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json");
        match client_secret {
            Some(secret) => {
                // client_secret_basic (RFC 6749 2.3.1): both parts form-encoded, then base64.
                use base64::Engine;
                let enc = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    enc(&o.client_id),
                    enc(secret)
                ));
                req = req.header(http::header::AUTHORIZATION, format!("Basic {basic}"));
            }
            None => {
                form.append_pair("client_id", &o.client_id);
            }
        }
        req.body(form.finish().into_bytes())
            .map_err(|e| format!("The token endpoint is not a URL: {e}"))?
    };
    let res = fetcher
        .send(req)
        .await
        .map_err(|e| format!("The token endpoint could not be reached: {e}."))?;
    let status = res.status();
    let answer: TokenAnswer = serde_json::from_slice(res.body()).map_err(|_| {
        format!("The token endpoint answered {status} with something that is not a token response.")
    })?;
    if let Some(error) = answer.error {
        let hint = match error.as_str() {
            "invalid_client" | "unauthorized_client" => " Check the client ID and client secret.",
            "invalid_grant" => " The login took too long or was already used; try again.",
            _ => "",
        };
        return Err(format!(
            "The provider refused the login: {error}{}.{hint}",
            answer
                .error_description
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ));
    }
    if !status.is_success() {
        return Err(format!("The token endpoint answered {status}."));
    }
    let id_token = answer
        .id_token
        .ok_or("The provider sent no ID token: check that the openid scope is asked for.")?;
    let mut claims = verify(fetcher, keys, settings, &id_token, &pending.nonce, now_ms).await?;
    if !o.userinfo_from_id_token {
        let access = answer
            .access_token
            .ok_or("The provider sent no access token to read the user info with.")?;
        let req = http::Request::get(&o.userinfo_endpoint)
            .header(http::header::AUTHORIZATION, format!("Bearer {access}"))
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| format!("The user info endpoint is not a URL: {e}"))?;
        let res = fetcher
            .send(req)
            .await
            .map_err(|e| format!("The user info endpoint could not be reached: {e}."))?;
        if !res.status().is_success() {
            return Err(format!("The user info endpoint answered {}.", res.status()));
        }
        let info: BTreeMap<String, Value> = serde_json::from_slice(res.body())
            .map_err(|_| "The user info endpoint answered with something other than JSON claims (signed user info is not supported).".to_string())?;
        // OpenID Connect Core 5.3.2: user info about another subject must not be used.
        if info.get("sub") != claims.get("sub") {
            return Err("The user info is about another person than the ID token.".into());
        }
        claims.extend(info);
    }
    Ok(claims)
}

/// Checks an ID token and returns its claims.
pub async fn verify(
    fetcher: &Fetcher,
    keys: &KeyCache,
    settings: &Settings,
    id_token: &str,
    nonce: &str,
    now_ms: i64,
) -> Result<BTreeMap<String, Value>, String> {
    let o = &settings.oidc;
    let token: Token = id_token
        .parse()
        .map_err(|e| format!("The ID token could not be read: {e}."))?;
    let issuer =
        IssuerUrl::new(o.issuer.clone()).map_err(|e| format!("The issuer is not a URL: {e}"))?;
    let now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    let check = |jwks: Jwks| {
        let mut v: IdTokenVerifier<'_, CoreJsonWebKey> = IdTokenVerifier::new_public_client(
            ClientId::new(o.client_id.clone()),
            issuer.clone(),
            jwks,
        )
        .set_allowed_algs(ALLOWED_ALGS)
        .set_time_fn(move || now);
        if !o.verify_signature {
            // Allowed only when the token came from an https token endpoint (validated at save).
            v = v.insecure_disable_signature_check();
        }
        token.claims(&v, &Nonce::new(nonce.to_string())).cloned()
    };
    let jwks = if o.verify_signature {
        load_keys(fetcher, keys, &o.jwks_uri, false, now_ms).await?
    } else {
        Jwks::new(vec![])
    };
    let claims = match check(jwks) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            // The provider may have rotated its keys: fetch them again (not too often), once.
            let fresh = load_keys(fetcher, keys, &o.jwks_uri, true, now_ms).await?;
            check(fresh)
        }
        other => other,
    }
    .map_err(|e| describe_claims_error(&e))?;
    let value = serde_json::to_value(&claims)
        .map_err(|e| format!("The ID token's claims could not be read: {e}."))?;
    let mut map: BTreeMap<String, Value> = match value {
        Value::Object(m) => m.into_iter().collect(),
        _ => BTreeMap::new(),
    };
    // The additional claims carry every claim again; the standard ones win.
    for (k, v) in claims.additional_claims().claims.iter() {
        map.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(map)
}

async fn load_keys(
    fetcher: &Fetcher,
    keys: &KeyCache,
    url: &str,
    again: bool,
    now_ms: i64,
) -> Result<Jwks, String> {
    if let Some((jwks, at)) = keys.cached(url) {
        let age = now_ms - at;
        if age < KEYS_TTL_MS && (!again || age < KEYS_REFETCH_GAP_MS) {
            return Ok(jwks);
        }
    }
    let jwks_url = JsonWebKeySetUrl::new(url.to_string())
        .map_err(|e| format!("The JWKS URI is not a URL: {e}"))?;
    let http = client(fetcher);
    let jwks = Jwks::fetch_async(&jwks_url, &http)
        .await
        .map_err(|e| format!("The provider's signing keys could not be read from {url}: {e}."))?;
    keys.put(url, jwks.clone(), now_ms);
    Ok(jwks)
}

fn describe_claims_error(e: &ClaimsVerificationError) -> String {
    use ClaimsVerificationError as C;
    match e {
        C::Expired(_) => "The ID token has expired: check that this server's clock and the provider's agree, then try again.".into(),
        C::InvalidAudience(d) => format!("The ID token was issued for another application ({d}): check the client ID."),
        C::InvalidIssuer(d) => format!("The ID token comes from another issuer ({d}): check the issuer URL."),
        C::InvalidNonce(_) => "The ID token does not answer this login (its nonce differs): start the login again.".into(),
        C::SignatureVerification(SignatureVerificationError::NoMatchingKey) => {
            "The ID token is signed with a key the provider does not publish in its JWKS.".into()
        }
        C::SignatureVerification(SignatureVerificationError::DisallowedAlg(alg)) => format!(
            "The ID token is signed with {alg}, which this server does not accept (asymmetric signatures only: RS, PS, ES or EdDSA)."
        ),
        C::SignatureVerification(other) => format!("The ID token's signature is not valid: {other}."),
        other => format!("The ID token was refused: {other}."),
    }
}
