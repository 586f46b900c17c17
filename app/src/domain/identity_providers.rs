//! Identity providers: the connections a workspace's administrators set up so that people log in
//! through OpenID Connect or SAML. This module holds what needs no network: the providers' presets
//! (what each makes predictable from a tenant or domain), the validation of a connection's
//! settings, the mapping of a provider's claims to a person, and the plan of a group
//! synchronisation. The server's login handlers and the console's editor share it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppError;

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Oidc,
    Saml,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Oidc => "oidc",
            Protocol::Saml => "saml",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Protocol::Oidc => "OIDC",
            Protocol::Saml => "SAML",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "oidc" => Ok(Protocol::Oidc),
            "saml" => Ok(Protocol::Saml),
            other => Err(AppError::validation(
                field,
                format!("\"{other}\" is not a protocol: use oidc or saml."),
            )),
        }
    }
}

/// Who runs the identity provider (its preset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Auth0,
    AwsCognito,
    Google,
    Keycloak,
    MicrosoftAd,
    MicrosoftAzure,
    Okta,
    Ping,
    Duo,
    JumpCloud,
    #[default]
    Custom,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Auth0 => "auth0",
            Provider::AwsCognito => "aws_cognito",
            Provider::Google => "google",
            Provider::Keycloak => "keycloak",
            Provider::MicrosoftAd => "microsoft_ad",
            Provider::MicrosoftAzure => "microsoft_azure",
            Provider::Okta => "okta",
            Provider::Ping => "ping",
            Provider::Duo => "duo",
            Provider::JumpCloud => "jumpcloud",
            Provider::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Auth0 => "Auth0",
            Provider::AwsCognito => "AWS Cognito",
            Provider::Google => "Google",
            Provider::Keycloak => "Keycloak",
            Provider::MicrosoftAd => "Microsoft AD",
            Provider::MicrosoftAzure => "Microsoft Azure",
            Provider::Okta => "Okta",
            Provider::Ping => "Ping",
            Provider::Duo => "Duo",
            Provider::JumpCloud => "JumpCloud",
            Provider::Custom => "Custom",
        }
    }

    /// The providers offered for a protocol, in the order the editor lists them.
    pub fn for_protocol(protocol: Protocol) -> &'static [Provider] {
        match protocol {
            Protocol::Oidc => &[
                Provider::Auth0,
                Provider::AwsCognito,
                Provider::Google,
                Provider::Keycloak,
                Provider::MicrosoftAd,
                Provider::MicrosoftAzure,
                Provider::Okta,
                Provider::Ping,
                Provider::Custom,
            ],
            Protocol::Saml => &[
                Provider::Duo,
                Provider::Google,
                Provider::JumpCloud,
                Provider::MicrosoftAd,
                Provider::Custom,
            ],
        }
    }

    pub fn parse(field: &str, protocol: Protocol, raw: &str) -> Result<Self, AppError> {
        let raw = raw.trim();
        Provider::for_protocol(protocol)
            .iter()
            .copied()
            .find(|p| p.as_str().eq_ignore_ascii_case(raw) || p.label().eq_ignore_ascii_case(raw))
            .ok_or_else(|| {
                let names: Vec<&str> = Provider::for_protocol(protocol)
                    .iter()
                    .map(|p| p.as_str())
                    .collect();
                AppError::validation(
                    field,
                    format!(
                        "\"{raw}\" is not a {} provider: use one of {}.",
                        protocol.label(),
                        names.join(", ")
                    ),
                )
            })
    }
}

/// PKCE's code challenge method (RFC 7636).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub enum CodeChallenge {
    None,
    Plain,
    #[default]
    S256,
}

/// Which claim (OIDC) or attribute (SAML) carries each part of a person. A name may be a dotted
/// path into nested claims (`realm_access.roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ClaimsMap {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub picture: String,
    pub groups: String,
}

impl Default for ClaimsMap {
    fn default() -> Self {
        ClaimsMap {
            user_id: "sub".into(),
            email: "email".into(),
            name: "name".into(),
            given_name: "given_name".into(),
            family_name: "family_name".into(),
            picture: "picture".into(),
            groups: "groups".into(),
        }
    }
}

/// What an OIDC connection needs beyond the common settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct OidcSettings {
    /// The issuer URL (`iss`); discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    /// Read the person from the ID token rather than from the user info endpoint.
    pub userinfo_from_id_token: bool,
    pub userinfo_endpoint: String,
    /// Refuse a login unless the provider says the address was verified (`email_verified`).
    pub require_email_verified: bool,
    pub verify_signature: bool,
    pub jwks_uri: String,
    pub code_challenge: CodeChallenge,
    /// `openid` and the standard scopes asked for.
    pub scopes: Vec<String>,
    pub additional_scopes: Vec<String>,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            issuer: String::new(),
            client_id: String::new(),
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
            revocation_endpoint: String::new(),
            userinfo_from_id_token: true,
            userinfo_endpoint: String::new(),
            require_email_verified: true,
            verify_signature: true,
            jwks_uri: String::new(),
            code_challenge: CodeChallenge::S256,
            scopes: STANDARD_SCOPES.iter().map(|s| s.to_string()).collect(),
            additional_scopes: vec![],
        }
    }
}

/// The scopes the editor offers as checkboxes.
pub const STANDARD_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// What a SAML connection needs beyond the common settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct SamlSettings {
    /// This server's entity ID at the identity provider: the audience its assertions must name.
    /// Empty: derived from the web app URL and the display name.
    pub entity_id: String,
    /// The identity provider's metadata (XML): as uploaded, or the copy last read from
    /// `metadata_url`.
    pub metadata_xml: String,
    /// Where the metadata is read from (at save, then periodically); empty when it was uploaded.
    pub metadata_url: String,
    /// When the metadata was last read from its URL (ISO 8601, UTC); empty for uploaded metadata.
    pub metadata_fetched: String,
    /// Refuse a response whose assertion is not signed itself (a signed response around an
    /// unsigned assertion is not enough).
    pub require_signed_assertions: bool,
    /// Sign the authentication requests this server sends (with its key pair).
    pub sign_requests: bool,
    /// The public certificate (PEM) requests are signed with; its private key is a secret.
    pub public_certificate: String,
}

impl Default for SamlSettings {
    fn default() -> Self {
        SamlSettings {
            entity_id: String::new(),
            metadata_xml: String::new(),
            metadata_url: String::new(),
            metadata_fetched: String::new(),
            require_signed_assertions: true,
            sign_requests: false,
            public_certificate: String::new(),
        }
    }
}

/// A connection's settings that are not secret: everything the editor shows and the answers carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Settings {
    pub protocol: Protocol,
    pub provider: Provider,
    pub display_name: String,
    /// The tenant, domain or region the preset derives the endpoints from (not every preset has one).
    pub tenant: String,
    /// The console's public address; the callback / ACS URL derives from it.
    pub web_app_url: String,
    pub create_users: bool,
    pub claims: ClaimsMap,
    pub group_sync: bool,
    /// Group synchronisation may grant and take away the Admins group (off unless said so).
    pub group_sync_admins: bool,
    pub oidc: OidcSettings,
    pub saml: SamlSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            protocol: Protocol::Oidc,
            provider: Provider::Custom,
            display_name: String::new(),
            tenant: String::new(),
            web_app_url: String::new(),
            create_users: false,
            claims: ClaimsMap::default(),
            group_sync: false,
            group_sync_admins: false,
            oidc: OidcSettings::default(),
            saml: SamlSettings::default(),
        }
    }
}

/// Where a connection's login comes back to: `<web app>/sso/callback` for every OIDC connection
/// and `<web app>/sso/acs` for every SAML one (the login's state, or SAML's RelayState, says which
/// connection it is, so the URL is known before the connection is saved).
pub fn return_url(web_app_url: &str, protocol: Protocol) -> String {
    let base = web_app_url.trim().trim_end_matches('/');
    match protocol {
        Protocol::Oidc => format!("{base}/sso/callback"),
        Protocol::Saml => format!("{base}/sso/acs"),
    }
}

/// Where a saved SAML connection publishes this server's service provider metadata.
pub fn sp_metadata_url(web_app_url: &str, id: &str) -> String {
    let base = web_app_url.trim().trim_end_matches('/');
    format!("{base}/sso/{id}/metadata")
}

/// The entity ID a SAML connection gets when the administrator leaves it empty: the web app URL
/// and the display name, so that two connections to one provider stay apart.
pub fn default_entity_id(web_app_url: &str, display_name: &str) -> String {
    let base = web_app_url.trim().trim_end_matches('/');
    let mut slug = String::new();
    for c in display_name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "saml" } else { slug };
    format!("{base}/sso/saml/{slug}")
}

/// What a preset makes predictable, and where in the provider's console to find the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preset {
    pub provider: Provider,
    pub protocol: Protocol,
    /// The label of the tenant field, when the preset derives endpoints from one.
    pub tenant_label: Option<&'static str>,
    pub tenant_example: &'static str,
    /// Where to find the client id and secret (OIDC) or the metadata (SAML).
    pub help: &'static str,
    pub claims: ClaimsMap,
}

/// The preset of a provider for a protocol.
pub fn preset(protocol: Protocol, provider: Provider) -> Preset {
    let claims = ClaimsMap::default();
    let (tenant_label, tenant_example, help, claims) = match (protocol, provider) {
        (Protocol::Oidc, Provider::Auth0) => (
            Some("Auth0 domain"),
            "your-tenant.eu.auth0.com",
            "Auth0 dashboard → Applications → your application → Settings: Domain, Client ID and Client Secret. Add the callback URL to Allowed Callback URLs.",
            claims,
        ),
        (Protocol::Oidc, Provider::AwsCognito) => (
            Some("User pool issuer (region/pool id)"),
            "eu-west-1/eu-west-1_AbCdEf123",
            "Cognito console → User pools → your pool → App integration: the app client's ID and secret; add the callback URL to its allowed callback URLs. The hosted UI domain is read from discovery.",
            ClaimsMap {
                groups: "cognito:groups".into(),
                ..claims
            },
        ),
        (Protocol::Oidc, Provider::Google) => (
            None,
            "",
            "Google Cloud console → APIs & Services → Credentials → OAuth 2.0 Client IDs (type Web application). Add the callback URL to Authorized redirect URIs. Google sends no groups claim.",
            claims,
        ),
        (Protocol::Oidc, Provider::Keycloak) => (
            Some("Realm URL"),
            "https://keycloak.example.com/realms/ml",
            "Keycloak admin console → your realm → Clients → your client: Client ID, and Credentials → Client secret (Client authentication on). Add a \"Group Membership\" mapper named groups for group sync.",
            claims,
        ),
        (Protocol::Oidc, Provider::MicrosoftAd) => (
            Some("AD FS host"),
            "adfs.example.com",
            "AD FS management → Application Groups → your server application: Client Identifier and secret. Add the callback URL as a Redirect URI; issue group claims through a claim rule.",
            ClaimsMap {
                user_id: "sub".into(),
                email: "upn".into(),
                name: "unique_name".into(),
                ..claims
            },
        ),
        (Protocol::Oidc, Provider::MicrosoftAzure) => (
            Some("Directory (tenant) ID"),
            "00000000-0000-0000-0000-000000000000",
            "Azure portal → Microsoft Entra ID → App registrations → your app: Application (client) ID and Directory (tenant) ID; Certificates & secrets → New client secret. Add the callback URL under Authentication → Web. Group claims are object ids unless you configure names.",
            ClaimsMap {
                user_id: "oid".into(),
                email: "email".into(),
                ..claims
            },
        ),
        (Protocol::Oidc, Provider::Okta) => (
            Some("Okta domain"),
            "your-org.okta.com",
            "Okta admin console → Applications → your app (OIDC, Web): Client ID and Client secret; add the callback URL to Sign-in redirect URIs. Add a groups claim under Sign On → OpenID Connect ID Token.",
            claims,
        ),
        (Protocol::Oidc, Provider::Ping) => (
            Some("PingOne environment ID"),
            "00000000-0000-0000-0000-000000000000",
            "PingOne console → Applications → your app (OIDC Web App) → Configuration: Client ID and Client Secret; add the callback URL to Redirect URIs.",
            claims,
        ),
        (Protocol::Saml, Provider::Duo) => (
            None,
            "",
            "Duo admin panel → Applications → Protect an Application → Generic SAML Service Provider: download the metadata XML (or copy its URL); set the Entity ID and ACS URL shown here.",
            saml_claims(),
        ),
        (Protocol::Saml, Provider::Google) => (
            None,
            "",
            "Google Admin console → Apps → Web and mobile apps → Add custom SAML app: download the IdP metadata; set the ACS URL and Entity ID shown here; map email, first name and last name.",
            saml_claims(),
        ),
        (Protocol::Saml, Provider::JumpCloud) => (
            None,
            "",
            "JumpCloud admin portal → SSO Applications → Custom SAML App: set the SP Entity ID and ACS URL shown here, export the IdP metadata; add a group attribute named groups for group sync.",
            saml_claims(),
        ),
        (Protocol::Saml, Provider::MicrosoftAd) => (
            None,
            "",
            "AD FS management → Relying Party Trusts → Add: import this server's SP metadata URL; download the federation metadata from https://<adfs host>/FederationMetadata/2007-06/FederationMetadata.xml.",
            ClaimsMap {
                user_id: "NameID".into(),
                email: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress".into(),
                name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name".into(),
                given_name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
                    .into(),
                family_name: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname".into(),
                picture: String::new(),
                groups: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups".into(),
            },
        ),
        (Protocol::Saml, _) => (
            None,
            "",
            "Your identity provider's SAML application: give it this server's Entity ID and ACS URL (or its SP metadata URL), then upload the IdP metadata here.",
            saml_claims(),
        ),
        (Protocol::Oidc, _) => (
            None,
            "",
            "Your provider's OIDC client registration: the client ID and secret; add the callback URL shown here as a redirect URI. An issuer URL fills the endpoints from discovery.",
            claims,
        ),
    };
    Preset {
        provider,
        protocol,
        tenant_label,
        tenant_example,
        help,
        claims,
    }
}

fn saml_claims() -> ClaimsMap {
    ClaimsMap {
        user_id: "NameID".into(),
        email: "email".into(),
        name: "name".into(),
        given_name: "firstName".into(),
        family_name: "lastName".into(),
        picture: String::new(),
        groups: "groups".into(),
    }
}

/// The endpoints a preset derives from its tenant field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Endpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
}

/// The OIDC endpoints a provider's tenant, domain or region makes predictable; `None` when the
/// preset has none (Custom: use the issuer's discovery).
pub fn preset_endpoints(provider: Provider, tenant: &str) -> Result<Option<Endpoints>, AppError> {
    let t = tenant.trim().trim_end_matches('/');
    let need = |what: &str| {
        AppError::validation(
            "tenant",
            format!("Enter the {what}: the endpoints are derived from it."),
        )
    };
    // A bare host name, without a scheme or path.
    let host = |what: &str| -> Result<String, AppError> {
        let h = t
            .strip_prefix("https://")
            .unwrap_or(t)
            .trim_end_matches('/');
        if h.is_empty() {
            return Err(need(what));
        }
        if h.contains('/') || h.contains(char::is_whitespace) || h.contains(':') {
            return Err(AppError::validation(
                "tenant",
                format!(
                    "The {what} is a host name such as {}.",
                    preset(Protocol::Oidc, provider).tenant_example
                ),
            ));
        }
        Ok(h.to_ascii_lowercase())
    };
    let id = |what: &str| -> Result<String, AppError> {
        if t.is_empty() {
            return Err(need(what));
        }
        if !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(AppError::validation(
                "tenant",
                format!("The {what} holds letters, digits, dots, dashes and underscores only."),
            ));
        }
        Ok(t.to_string())
    };
    let e = match provider {
        Provider::Auth0 => {
            let b = format!("https://{}", host("Auth0 domain")?);
            under(
                &b,
                format!("{b}/"),
                [
                    "/authorize",
                    "/oauth/token",
                    "/oauth/revoke",
                    "/userinfo",
                    "/.well-known/jwks.json",
                ],
            )
        }
        Provider::Google => under(
            "",
            "https://accounts.google.com".into(),
            [
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                "https://oauth2.googleapis.com/revoke",
                "https://openidconnect.googleapis.com/v1/userinfo",
                "https://www.googleapis.com/oauth2/v3/certs",
            ],
        ),
        Provider::Keycloak => {
            if !t.starts_with("https://") || !t.contains("/realms/") {
                return Err(AppError::validation(
                    "tenant",
                    "The realm URL looks like https://keycloak.example.com/realms/<realm>.",
                ));
            }
            under(
                &format!("{t}/protocol/openid-connect"),
                t.to_string(),
                ["/auth", "/token", "/revoke", "/userinfo", "/certs"],
            )
        }
        Provider::MicrosoftAd => {
            let b = format!("https://{}/adfs", host("AD FS host")?);
            under(
                &b,
                b.clone(),
                [
                    "/oauth2/authorize",
                    "/oauth2/token",
                    "",
                    "/userinfo",
                    "/discovery/keys",
                ],
            )
        }
        Provider::MicrosoftAzure => {
            let b = format!(
                "https://login.microsoftonline.com/{}",
                id("directory (tenant) ID")?
            );
            under(
                &b,
                format!("{b}/v2.0"),
                [
                    "/oauth2/v2.0/authorize",
                    "/oauth2/v2.0/token",
                    "",
                    "https://graph.microsoft.com/oidc/userinfo",
                    "/discovery/v2.0/keys",
                ],
            )
        }
        Provider::Okta => {
            let b = format!("https://{}", host("Okta domain")?);
            under(
                &b,
                b.clone(),
                [
                    "/oauth2/v1/authorize",
                    "/oauth2/v1/token",
                    "/oauth2/v1/revoke",
                    "/oauth2/v1/userinfo",
                    "/oauth2/v1/keys",
                ],
            )
        }
        Provider::Ping => {
            let b = format!(
                "https://auth.pingone.com/{}/as",
                id("PingOne environment ID")?
            );
            under(
                &b,
                b.clone(),
                ["/authorize", "/token", "/revoke", "/userinfo", "/jwks"],
            )
        }
        Provider::AwsCognito => {
            let Some((region, pool)) = t.split_once('/') else {
                return Err(AppError::validation(
                    "tenant",
                    "Enter the user pool as <region>/<pool id>, such as eu-west-1/eu-west-1_AbCdEf123.",
                ));
            };
            let ok = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            };
            if !ok(region) || !ok(pool) {
                return Err(AppError::validation(
                    "tenant",
                    "Enter the user pool as <region>/<pool id>, such as eu-west-1/eu-west-1_AbCdEf123.",
                ));
            }
            // Cognito's hosted UI lives on the pool's own domain: discovery names it.
            Endpoints {
                issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool}"),
                jwks_uri: format!(
                    "https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json"
                ),
                ..Endpoints::default()
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(e))
}

/// Endpoints at `base` (a path: appended; a full URL: as it is; empty: none), in the order
/// authorization, token, revocation, user info, JWKS.
fn under(base: &str, issuer: String, paths: [&str; 5]) -> Endpoints {
    let at = |p: &str| match p {
        "" => String::new(),
        p if p.starts_with("https://") => p.to_string(),
        p => format!("{base}{p}"),
    };
    let [authorization, token, revocation, userinfo, jwks] = paths;
    Endpoints {
        issuer,
        authorization_endpoint: at(authorization),
        token_endpoint: at(token),
        revocation_endpoint: at(revocation),
        userinfo_endpoint: at(userinfo),
        jwks_uri: at(jwks),
    }
}

/// Whether a URL's host is this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Splits an http(s) URL into its scheme and host (without port), or says what is wrong.
fn scheme_and_host(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme, host))
}

/// An endpoint URL: https, or http on this machine only (a provider started beside the server).
pub fn endpoint_url(field: &str, raw: &str, required: bool) -> Result<String, AppError> {
    let url = raw.trim().to_string();
    if url.is_empty() {
        if required {
            return Err(AppError::validation(field, "Enter this URL."));
        }
        return Ok(url);
    }
    if url.len() > 2000 || url.contains(char::is_whitespace) {
        return Err(AppError::validation(
            field,
            "A URL is at most 2,000 characters, without spaces.",
        ));
    }
    match scheme_and_host(&url) {
        Some((s, _)) if s.eq_ignore_ascii_case("https") => Ok(url),
        Some((s, h)) if s.eq_ignore_ascii_case("http") && is_loopback_host(h) => Ok(url),
        Some((s, _)) if s.eq_ignore_ascii_case("http") => Err(AppError::validation(
            field,
            "Use https: an identity provider's endpoints carry tokens and secrets.",
        )),
        _ => Err(AppError::validation(
            field,
            "Enter a full URL starting with https://.",
        )),
    }
}

/// Whether a URL is https.
pub fn is_https(url: &str) -> bool {
    scheme_and_host(url).is_some_and(|(s, _)| s.eq_ignore_ascii_case("https"))
}

fn claim_name(field: &str, raw: &str, required: bool) -> Result<String, AppError> {
    let v = raw.trim().to_string();
    if v.is_empty() && required {
        return Err(AppError::validation(
            field,
            "Name the claim that carries this.",
        ));
    }
    if v.len() > 200 {
        return Err(AppError::validation(
            field,
            "A claim name is at most 200 characters.",
        ));
    }
    Ok(v)
}

fn scope_list(field: &str, scopes: &[String]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for s in scopes.iter().flat_map(|s| s.split_whitespace()) {
        if !s
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        {
            return Err(AppError::validation(
                field,
                format!("\"{s}\" is not a scope: scopes are words without quotes or backslashes."),
            ));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// Checks a connection's settings and returns them tidied (trimmed, endpoints derived from the
/// preset where it can). `has_secret` says whether a client secret is or will be stored.
pub fn validate(settings: &Settings, has_secret: bool) -> Result<Settings, AppError> {
    let mut s = settings.clone();
    s.display_name = super::validate::display_name("display_name", &s.display_name)?;
    if !Provider::for_protocol(s.protocol).contains(&s.provider) {
        return Err(AppError::validation(
            "provider",
            format!(
                "{} is not offered for {}.",
                s.provider.label(),
                s.protocol.label()
            ),
        ));
    }
    s.tenant = s.tenant.trim().to_string();
    s.web_app_url = endpoint_url("web_app_url", &s.web_app_url, true)?
        .trim_end_matches('/')
        .to_string();
    if s.protocol == Protocol::Saml && s.claims == ClaimsMap::default() {
        // OIDC's claim names (`sub`, …) mean nothing to SAML: a form that left the mapping as it
        // came gets the preset's attribute names.
        s.claims = preset(Protocol::Saml, s.provider).claims;
    }
    let c = &mut s.claims;
    c.user_id = claim_name("claims.user_id", &c.user_id, true)?;
    c.email = claim_name("claims.email", &c.email, true)?;
    c.name = claim_name("claims.name", &c.name, false)?;
    c.given_name = claim_name("claims.given_name", &c.given_name, false)?;
    c.family_name = claim_name("claims.family_name", &c.family_name, false)?;
    c.picture = claim_name("claims.picture", &c.picture, false)?;
    c.groups = claim_name("claims.groups", &c.groups, s.group_sync)?;
    if s.group_sync_admins && !s.group_sync {
        s.group_sync_admins = false;
    }
    match s.protocol {
        Protocol::Oidc => {
            let o = &mut s.oidc;
            if let Some(e) = preset_endpoints(s.provider, &s.tenant)? {
                // A preset's derived endpoints fill what the administrator left empty.
                let fill = |mine: &mut String, derived: String| {
                    if mine.trim().is_empty() {
                        *mine = derived;
                    }
                };
                fill(&mut o.issuer, e.issuer);
                fill(&mut o.authorization_endpoint, e.authorization_endpoint);
                fill(&mut o.token_endpoint, e.token_endpoint);
                fill(&mut o.revocation_endpoint, e.revocation_endpoint);
                fill(&mut o.userinfo_endpoint, e.userinfo_endpoint);
                fill(&mut o.jwks_uri, e.jwks_uri);
            }
            o.issuer = endpoint_url("oidc.issuer", &o.issuer, true)?;
            o.client_id = o.client_id.trim().to_string();
            if o.client_id.is_empty() {
                return Err(AppError::validation(
                    "oidc.client_id",
                    "Enter the client ID the provider gave this application.",
                ));
            }
            if o.client_id.len() > 500 {
                return Err(AppError::validation(
                    "oidc.client_id",
                    "A client ID is at most 500 characters.",
                ));
            }
            o.authorization_endpoint = endpoint_url(
                "oidc.authorization_endpoint",
                &o.authorization_endpoint,
                true,
            )?;
            o.token_endpoint = endpoint_url("oidc.token_endpoint", &o.token_endpoint, true)?;
            o.revocation_endpoint =
                endpoint_url("oidc.revocation_endpoint", &o.revocation_endpoint, false)?;
            o.userinfo_endpoint = endpoint_url(
                "oidc.userinfo_endpoint",
                &o.userinfo_endpoint,
                !o.userinfo_from_id_token,
            )?;
            o.jwks_uri = endpoint_url("oidc.jwks_uri", &o.jwks_uri, o.verify_signature)?;
            if !o.verify_signature && !is_https(&o.token_endpoint) {
                // OpenID Connect Core 3.1.3.7: TLS server validation may stand in for the
                // signature only when the token came straight from the token endpoint over TLS.
                return Err(AppError::validation(
                    "oidc.verify_signature",
                    "Token signatures may be left unchecked only when the token endpoint is https.",
                ));
            }
            o.scopes = scope_list("oidc.scopes", &o.scopes)?;
            if !o.scopes.iter().any(|s| s == "openid") {
                o.scopes.insert(0, "openid".into());
            }
            o.additional_scopes = scope_list("oidc.additional_scopes", &o.additional_scopes)?;
            o.additional_scopes.retain(|a| !o.scopes.contains(a));
            if !has_secret && o.code_challenge == CodeChallenge::None {
                return Err(AppError::validation(
                    "oidc.client_secret",
                    "Enter the client secret, or use PKCE (S256) for a public client.",
                ));
            }
        }
        Protocol::Saml => {
            let m = &mut s.saml;
            m.entity_id = m.entity_id.trim().to_string();
            if m.entity_id.is_empty() {
                m.entity_id = default_entity_id(&s.web_app_url, &s.display_name);
            }
            if m.entity_id.len() > 1024 || m.entity_id.contains(char::is_whitespace) {
                return Err(AppError::validation(
                    "saml.entity_id",
                    "An entity ID is at most 1,024 characters, without spaces (usually a URL).",
                ));
            }
            m.public_certificate = m.public_certificate.trim().to_string();
            if !m.sign_requests {
                m.public_certificate.clear();
            }
            m.metadata_url = endpoint_url("saml.metadata_url", &m.metadata_url, false)?;
            m.metadata_xml = m.metadata_xml.trim().to_string();
            if m.metadata_xml.is_empty() && m.metadata_url.is_empty() {
                return Err(AppError::validation(
                    "saml.metadata_xml",
                    "Upload the identity provider's metadata or enter its metadata URL.",
                ));
            }
            if m.metadata_xml.len() > 1_000_000 {
                return Err(AppError::validation(
                    "saml.metadata_xml",
                    "Metadata is at most 1 MB.",
                ));
            }
        }
    }
    Ok(s)
}

/// A person as a provider describes them, once mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct MappedUser {
    /// The provider's stable id for them (`sub`, NameID or the mapped claim).
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub picture: String,
    pub groups: Vec<String>,
}

/// Looks a claim up by name: the exact key first, then a dotted path into nested objects.
pub fn claim<'a>(claims: &'a BTreeMap<String, Value>, name: &str) -> Option<&'a Value> {
    if name.is_empty() {
        return None;
    }
    if let Some(v) = claims.get(name) {
        return Some(v);
    }
    let mut parts = name.split('.');
    let mut v = claims.get(parts.next()?)?;
    for p in parts {
        v = v.get(p)?;
    }
    Some(v)
}

fn text_claim(claims: &BTreeMap<String, Value>, name: &str) -> String {
    match claim(claims, name) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(a)) => a
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string(),
        _ => String::new(),
    }
}

/// Maps a provider's claims to a person. The subject and the address must be there; the name
/// falls back to the given and family names, then to the address's local part. `email_verified`
/// is true, the text "true", or (when `vouched`) implied because the connection says its provider
/// only asserts verified addresses (SAML).
pub fn map_claims(
    claims: &BTreeMap<String, Value>,
    map: &ClaimsMap,
    vouched: bool,
) -> Result<MappedUser, String> {
    let subject = text_claim(claims, &map.user_id);
    if subject.is_empty() {
        return Err(format!(
            "The provider sent no \"{}\" claim to identify the person. Check the user id claim in the connection's claims mapping.",
            map.user_id
        ));
    }
    let email = text_claim(claims, &map.email).to_lowercase();
    if email.is_empty() {
        return Err(format!(
            "The provider sent no \"{}\" claim with the person's e-mail address. Ask for the email scope, or check the e-mail claim in the claims mapping.",
            map.email
        ));
    }
    if super::validate::email("email", &email).is_err() {
        return Err(format!(
            "The provider's \"{}\" claim is not an e-mail address: {email}.",
            map.email
        ));
    }
    let email_verified = vouched
        || match claims.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
    let given_name = text_claim(claims, &map.given_name);
    let family_name = text_claim(claims, &map.family_name);
    let mut name = text_claim(claims, &map.name);
    if name.is_empty() {
        name = format!("{given_name} {family_name}").trim().to_string();
    }
    if name.is_empty() {
        name = email.split('@').next().unwrap_or_default().to_string();
    }
    let groups = match claim(claims, &map.groups) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|g| match g {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|g| !g.is_empty())
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect(),
        _ => vec![],
    };
    let mut seen = BTreeSet::new();
    let groups = groups
        .into_iter()
        .filter(|g| seen.insert(g.clone()))
        .collect();
    Ok(MappedUser {
        subject,
        email,
        email_verified,
        name: name.chars().take(100).collect(),
        given_name,
        family_name,
        picture: text_claim(claims, &map.picture),
        groups,
    })
}

/// A group as group synchronisation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    pub id: String,
    pub name: String,
    /// `users`, `admins` or `queue_admins` for the built-in groups.
    pub builtin: Option<String>,
    /// Whether the person is in it now.
    pub member: bool,
    /// Whether an earlier synchronisation put them there.
    pub synced: bool,
}

/// What a synchronisation changes: the groups to join and to leave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncPlan {
    pub join: Vec<String>,
    pub leave: Vec<String>,
}

/// Plans a group synchronisation: the person joins the workspace's groups the claim names (by
/// name, ignoring case) and leaves those an earlier synchronisation granted that the claim no
/// longer names. Memberships an administrator gave stay. Users (everyone) is never touched; Admins
/// only when `admins` is set.
pub fn plan_group_sync(claimed: &[String], groups: &[SyncGroup], admins: bool) -> SyncPlan {
    let claimed: BTreeSet<String> = claimed.iter().map(|g| g.to_lowercase()).collect();
    let mut plan = SyncPlan::default();
    for g in groups {
        match g.builtin.as_deref() {
            Some("users") => continue,
            Some("admins") if !admins => continue,
            _ => {}
        }
        let named = claimed.contains(&g.name.to_lowercase());
        if named && !g.member {
            plan.join.push(g.id.clone());
        } else if !named && g.member && g.synced {
            plan.leave.push(g.id.clone());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    fn oidc(provider: Provider, tenant: &str) -> Settings {
        Settings {
            provider,
            tenant: tenant.into(),
            display_name: "Corporate login".into(),
            web_app_url: "https://atrium.example.com/".into(),
            oidc: OidcSettings {
                client_id: "atrium".into(),
                ..OidcSettings::default()
            },
            ..Settings::default()
        }
    }

    #[test]
    fn presets_derive_every_endpoint_from_the_tenant() {
        let s = validate(&oidc(Provider::Okta, "https://acme.okta.com/"), true).unwrap();
        assert_eq!(s.oidc.issuer, "https://acme.okta.com");
        assert_eq!(
            s.oidc.token_endpoint,
            "https://acme.okta.com/oauth2/v1/token"
        );
        assert_eq!(s.oidc.jwks_uri, "https://acme.okta.com/oauth2/v1/keys");
        assert_eq!(s.web_app_url, "https://atrium.example.com");
        let a = validate(&oidc(Provider::Auth0, "acme.eu.auth0.com"), true).unwrap();
        assert_eq!(a.oidc.issuer, "https://acme.eu.auth0.com/");
        let k = validate(
            &oidc(Provider::Keycloak, "https://kc.example.com/realms/ml"),
            true,
        )
        .unwrap();
        assert_eq!(
            k.oidc.authorization_endpoint,
            "https://kc.example.com/realms/ml/protocol/openid-connect/auth"
        );
        let z = validate(&oidc(Provider::MicrosoftAzure, "contoso-tenant"), true).unwrap();
        assert_eq!(
            z.oidc.issuer,
            "https://login.microsoftonline.com/contoso-tenant/v2.0"
        );
        let p = validate(&oidc(Provider::Ping, "abc-123"), true).unwrap();
        assert_eq!(p.oidc.jwks_uri, "https://auth.pingone.com/abc-123/as/jwks");
    }

    #[test]
    fn what_the_administrator_typed_wins_over_the_preset() {
        let mut s = oidc(Provider::Okta, "acme.okta.com");
        s.oidc.issuer = "https://acme.okta.com/oauth2/default".into();
        let v = validate(&s, true).unwrap();
        assert_eq!(v.oidc.issuer, "https://acme.okta.com/oauth2/default");
        assert_eq!(
            v.oidc.token_endpoint,
            "https://acme.okta.com/oauth2/v1/token"
        );
    }

    #[test]
    fn a_preset_refuses_a_tenant_it_cannot_use_naming_the_field() {
        for (p, t) in [
            (Provider::Okta, ""),
            (Provider::Okta, "acme.okta.com/path"),
            (Provider::Keycloak, "kc.example.com"),
            (Provider::AwsCognito, "eu-west-1"),
            (Provider::MicrosoftAzure, "a b"),
        ] {
            let e = validate(&oidc(p, t), true).unwrap_err();
            assert!(
                matches!(&e, AppError::Validation { field, .. } if field == "tenant"),
                "{p:?} {t:?}: {e}"
            );
        }
    }

    #[test]
    fn endpoints_must_be_https_except_on_this_machine() {
        let mut s = oidc(Provider::Custom, "");
        s.oidc.issuer = "http://idp.example.com".into();
        let e = validate(&s, true).unwrap_err();
        assert!(matches!(&e, AppError::Validation { field, .. } if field == "oidc.issuer"));
        s.oidc.issuer = "http://127.0.0.1:4000".into();
        s.oidc.authorization_endpoint = "http://127.0.0.1:4000/auth".into();
        s.oidc.token_endpoint = "http://localhost:4000/token".into();
        s.oidc.jwks_uri = "http://[::1]:4000/jwks".into();
        validate(&s, true).unwrap();
        s.oidc.jwks_uri = "ftp://x".into();
        assert!(validate(&s, true).is_err());
    }

    #[test]
    fn signatures_may_go_unchecked_only_over_https() {
        let mut s = oidc(Provider::Custom, "");
        s.oidc.issuer = "http://127.0.0.1:4000".into();
        s.oidc.authorization_endpoint = "http://127.0.0.1:4000/auth".into();
        s.oidc.token_endpoint = "http://127.0.0.1:4000/token".into();
        s.oidc.verify_signature = false;
        let e = validate(&s, true).unwrap_err();
        assert!(
            matches!(&e, AppError::Validation { field, .. } if field == "oidc.verify_signature")
        );
        s.oidc.token_endpoint = "https://idp.example.com/token".into();
        let v = validate(&s, true).unwrap();
        assert!(v.oidc.jwks_uri.is_empty());
    }

    #[test]
    fn openid_is_always_asked_for_and_scopes_are_words() {
        let mut s = oidc(Provider::Google, "");
        s.oidc.scopes = vec!["email".into()];
        s.oidc.additional_scopes = vec!["groups offline_access".into(), "email".into()];
        let v = validate(&s, true).unwrap();
        assert_eq!(v.oidc.scopes, vec!["openid", "email"]);
        assert_eq!(v.oidc.additional_scopes, vec!["groups", "offline_access"]);
        s.oidc.additional_scopes = vec!["a\"b".into()];
        assert!(validate(&s, true).is_err());
    }

    #[test]
    fn a_public_client_must_use_pkce() {
        let mut s = oidc(Provider::Google, "");
        s.oidc.code_challenge = CodeChallenge::None;
        let e = validate(&s, false).unwrap_err();
        assert!(matches!(&e, AppError::Validation { field, .. } if field == "oidc.client_secret"));
        s.oidc.code_challenge = CodeChallenge::S256;
        validate(&s, false).unwrap();
    }

    #[test]
    fn a_provider_must_belong_to_the_protocol() {
        let mut s = oidc(Provider::Duo, "");
        s.protocol = Protocol::Oidc;
        let e = validate(&s, true).unwrap_err();
        assert!(matches!(&e, AppError::Validation { field, .. } if field == "provider"));
        assert!(Provider::parse("provider", Protocol::Saml, "JumpCloud").is_ok());
        assert!(Provider::parse("provider", Protocol::Saml, "okta").is_err());
    }

    #[test]
    fn group_sync_needs_a_groups_claim_and_admins_need_group_sync() {
        let mut s = oidc(Provider::Google, "");
        s.group_sync = true;
        s.claims.groups = " ".into();
        let e = validate(&s, true).unwrap_err();
        assert!(matches!(&e, AppError::Validation { field, .. } if field == "claims.groups"));
        s.group_sync = false;
        s.group_sync_admins = true;
        assert!(!validate(&s, true).unwrap().group_sync_admins);
    }

    #[test]
    fn return_urls_derive_from_the_web_app() {
        assert_eq!(
            return_url("https://a.example.com/", Protocol::Oidc),
            "https://a.example.com/sso/callback"
        );
        assert_eq!(
            return_url("https://a.example.com", Protocol::Saml),
            "https://a.example.com/sso/acs"
        );
        assert_eq!(
            sp_metadata_url("https://a.example.com/", "x1"),
            "https://a.example.com/sso/x1/metadata"
        );
        assert_eq!(
            default_entity_id("https://a.example.com/", "Corporate  SSO (EU)"),
            "https://a.example.com/sso/saml/corporate-sso-eu"
        );
        assert_eq!(
            default_entity_id("https://a.example.com", "   "),
            "https://a.example.com/sso/saml/saml"
        );
    }

    #[test]
    fn saml_settings_need_metadata_and_get_an_entity_id() {
        let mut s = Settings {
            protocol: Protocol::Saml,
            provider: Provider::Custom,
            display_name: "Corporate".into(),
            web_app_url: "https://ml.example.com".into(),
            claims: saml_claims(),
            ..Settings::default()
        };
        let e = validate(&s, false).unwrap_err();
        assert_eq!(e.field(), Some("saml.metadata_xml"));
        s.saml.metadata_url = "http://idp.example.com/metadata".into();
        assert_eq!(
            validate(&s, false).unwrap_err().field(),
            Some("saml.metadata_url")
        );
        s.saml.metadata_url = "https://idp.example.com/metadata".into();
        s.saml.public_certificate = "left over".into();
        let ok = validate(&s, false).unwrap();
        assert_eq!(
            ok.saml.entity_id,
            "https://ml.example.com/sso/saml/corporate"
        );
        s.claims = ClaimsMap::default();
        assert_eq!(validate(&s, false).unwrap().claims.user_id, "NameID");
        assert!(ok.saml.require_signed_assertions, "on unless turned off");
        assert!(
            ok.saml.public_certificate.is_empty(),
            "no certificate without signing"
        );
        s.saml.entity_id = "urn:a b".into();
        assert_eq!(
            validate(&s, false).unwrap_err().field(),
            Some("saml.entity_id")
        );
    }

    #[test]
    fn claims_map_with_fallbacks_and_nested_paths() {
        let c = claims(json!({
            "sub": "u-1",
            "email": "Ada@Example.com",
            "email_verified": "true",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "realm_access": {"roles": ["ml", "ml", " ops "]},
        }));
        let map = ClaimsMap {
            groups: "realm_access.roles".into(),
            ..ClaimsMap::default()
        };
        let u = map_claims(&c, &map, false).unwrap();
        assert_eq!(u.subject, "u-1");
        assert_eq!(u.email, "ada@example.com");
        assert!(u.email_verified);
        assert_eq!(u.name, "Ada Lovelace");
        assert_eq!(u.groups, vec!["ml", "ops"]);
    }

    #[test]
    fn claims_without_subject_or_address_are_refused_with_the_claim_named() {
        let map = ClaimsMap::default();
        let e = map_claims(&claims(json!({"email": "a@b.co"})), &map, false).unwrap_err();
        assert!(e.contains("\"sub\""), "{e}");
        let e = map_claims(&claims(json!({"sub": "1"})), &map, false).unwrap_err();
        assert!(e.contains("\"email\""), "{e}");
        let e = map_claims(&claims(json!({"sub": "1", "email": "nope"})), &map, false).unwrap_err();
        assert!(e.contains("not an e-mail"), "{e}");
    }

    #[test]
    fn an_address_is_verified_only_when_the_provider_says_so() {
        let map = ClaimsMap::default();
        let base = json!({"sub": "1", "email": "a@b.co"});
        assert!(
            !map_claims(&claims(base.clone()), &map, false)
                .unwrap()
                .email_verified
        );
        assert!(
            map_claims(&claims(base), &map, true)
                .unwrap()
                .email_verified
        );
        let no = json!({"sub": "1", "email": "a@b.co", "email_verified": false});
        assert!(!map_claims(&claims(no), &map, false).unwrap().email_verified);
        let groups = json!({"sub": 7, "email": "a@b.co", "groups": "a, b,,a"});
        let u = map_claims(&claims(groups), &map, false).unwrap();
        assert_eq!(u.subject, "7");
        assert_eq!(u.groups, vec!["a", "b"]);
        assert_eq!(u.name, "a");
    }

    fn group(id: &str, builtin: Option<&str>, member: bool, synced: bool) -> SyncGroup {
        SyncGroup {
            id: id.into(),
            name: id.to_uppercase(),
            builtin: builtin.map(str::to_string),
            member,
            synced,
        }
    }

    #[test]
    fn group_sync_joins_what_the_claim_names_and_leaves_only_what_it_granted() {
        let groups = [
            group("ml", None, false, false),
            group("ops", None, true, true),
            group("manual", None, true, false),
            group("data", None, true, false),
            group("users", Some("users"), true, false),
            group("admins", Some("admins"), false, false),
            group("queue_admins", Some("queue_admins"), false, false),
        ];
        let plan = plan_group_sync(
            &[
                "ml".into(),
                "Data".into(),
                "admins".into(),
                "queue_admins".into(),
                "ghost".into(),
            ],
            &groups,
            false,
        );
        assert_eq!(plan.join, vec!["ml", "queue_admins"]);
        assert_eq!(plan.leave, vec!["ops"]);
        let plan = plan_group_sync(&["admins".into()], &groups, true);
        assert_eq!(plan.join, vec!["admins"]);
        assert_eq!(plan.leave, vec!["ops"]);
    }

    #[test]
    fn admins_granted_by_sync_are_taken_back_only_when_sync_may_touch_admins() {
        let groups = [group("admins", Some("admins"), true, true)];
        assert!(plan_group_sync(&[], &groups, false).leave.is_empty());
        assert_eq!(plan_group_sync(&[], &groups, true).leave, vec!["admins"]);
    }
}
