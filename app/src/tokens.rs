//! API tokens: HS256 JWTs with the claims the ClearML SDK reads (`api_version`, `server_version`,
//! `feature_set`, `exp`, `identity`), plus the id of the credential they were issued from, which every
//! request checks so that revoking a key ends its tokens at once on every replica.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use app::domain::{Identity, Role};

/// The highest API version this server speaks.
pub const MAX_API_VERSION: (u32, u32) = (2, 31);
/// The server version reported to clients.
pub const SERVER_VERSION: &str = "3.25.0";

/// The identity block the SDK and agent read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIdentity {
    pub user: String,
    pub company: String,
    pub role: String,
    pub user_name: String,
    pub company_name: String,
    /// Set on service accounts' tokens: 2 when the account may impersonate (what clearml-agent's
    /// `--use-owner-token` checks), 1 otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_type: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub auth_type: String,
    pub identity: TokenIdentity,
    pub session_id: String,
    pub env: String,
    pub iat: i64,
    pub exp: i64,
    pub api_version: String,
    pub server_version: String,
    pub server_build: String,
    pub feature_set: String,
    /// The credential the token was issued from.
    pub cid: String,
    /// The member a token impersonates (issued to a service account or an admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imp: Option<String>,
    /// When the impersonation began (seconds): refreshing never carries it past this time plus the
    /// longest token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imp_since: Option<i64>,
}

/// Signs and checks tokens with the key shared by every replica.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("expired token")]
    Expired,
    #[error("invalid token")]
    Invalid,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        who: &Identity,
        credential_id: &str,
        now_ms: i64,
        lifetime_secs: i64,
    ) -> String {
        self.issue_with(who, credential_id, now_ms, lifetime_secs, None, None)
    }

    /// A token with the service-account marker and, when impersonating, the member acted as and
    /// when that impersonation began (seconds).
    pub fn issue_with(
        &self,
        who: &Identity,
        credential_id: &str,
        now_ms: i64,
        lifetime_secs: i64,
        service_account_type: Option<u8>,
        impersonated: Option<(&str, i64)>,
    ) -> String {
        let iat = now_ms / 1000;
        let claims = Claims {
            auth_type: "Bearer".into(),
            identity: TokenIdentity {
                user: who.user_id.clone(),
                company: who.workspace_id.clone(),
                role: clearml_role(who.role).into(),
                user_name: who.user_name.clone(),
                company_name: who.workspace_name.clone(),
                service_account_type,
            },
            session_id: crate::crypto::new_id(),
            env: "atrium".into(),
            iat,
            exp: iat + lifetime_secs,
            api_version: format!("{}.{}", MAX_API_VERSION.0, MAX_API_VERSION.1),
            server_version: SERVER_VERSION.into(),
            server_build: env!("CARGO_PKG_VERSION").into(),
            // Not "basic": the SDK and clearml-agent fetch configuration vaults only then, and
            // clearml-agent's `--use-owner-token` needs it.
            feature_set: "advanced".into(),
            cid: credential_id.into(),
            imp: impersonated.map(|(who, _)| who.to_string()),
            imp_since: impersonated.map(|(_, since)| since),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// Checks the signature, the algorithm (HS256 only: `alg: none` and others are refused) and the
    /// expiry against the server's clock.
    pub fn verify(&self, token: &str, now_ms: i64) -> Result<Claims, TokenError> {
        let mut validation = self.validation.clone();
        // Expiry is checked below against the server's clock (which tests can move).
        validation.validate_exp = false;
        let claims = decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        if claims.exp <= now_ms / 1000 {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// ClearML's role names.
pub fn clearml_role(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Member => "user",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::identity::Channel;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn who() -> Identity {
        Identity {
            user_id: "u1".into(),
            user_name: "Ada".into(),
            email: "ada@example.com".into(),
            workspace_id: "w1".into(),
            workspace_name: "Research".into(),
            role: Role::Admin,
            channel: Channel::Api,
            actor: app::domain::identity::Actor::Person,
        }
    }

    #[test]
    fn issues_and_verifies() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let t = keys.issue(&who(), "c1", 1_000_000, 60);
        assert_eq!(t.split('.').count(), 3);
        let c = keys.verify(&t, 1_000_000).unwrap();
        assert_eq!(
            (
                c.cid.as_str(),
                c.identity.role.as_str(),
                c.api_version.as_str()
            ),
            ("c1", "admin", "2.31")
        );
        assert_eq!(c.exp - c.iat, 60);
        assert!(matches!(
            keys.verify(&t, 1_060_000),
            Err(TokenError::Expired)
        ));
    }

    #[test]
    fn refuses_forgeries() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let other = TokenKeys::new(b"another key another key another!");
        let t = other.issue(&who(), "c1", 1_000_000, 60);
        assert!(
            matches!(keys.verify(&t, 1_000_000), Err(TokenError::Invalid)),
            "wrong signature"
        );
        // alg=none with the same claims and no signature.
        let good = keys.issue(&who(), "c1", 1_000_000, 60);
        let payload = good.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
        );
        assert!(
            matches!(keys.verify(&none, 1_000_000), Err(TokenError::Invalid)),
            "alg=none"
        );
        // A tampered payload.
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["identity"]["role"] = "admin".into();
        claims["identity"]["user"] = "u2".into();
        let parts: Vec<&str> = good.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert!(matches!(
            keys.verify(&tampered, 1_000_000),
            Err(TokenError::Invalid)
        ));
        assert!(matches!(
            keys.verify("not-a-token", 1_000_000),
            Err(TokenError::Invalid)
        ));
    }
}
