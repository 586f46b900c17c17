//! SAML 2.0 service provider: the identity provider's metadata read and checked, authentication
//! requests (HTTP-Redirect binding, signed when the connection says so), this server's metadata,
//! and responses checked with the `samael` crate (xmlsec).
//!
//! A response counts only when xmlsec verifies a signature on it with a certificate from the
//! provider's metadata, with an algorithm from [`ALGORITHMS`]; only the signed content is read
//! afterwards, so an unsigned assertion wrapped around or beside a signed one is never seen.
//! Metadata without a signing certificate is refused when the connection is saved (samael would
//! skip the check). Issuer, audience (this connection's entity ID), destination and recipient (the
//! ACS URL), `InResponseTo` (the request this login sent), the validity window and the status are
//! checked; with "Require signed assertions" the assertion must carry its own signature.

use std::collections::BTreeMap;
use std::str::FromStr;

use base64::Engine as _;
use samael::crypto::AllowedSignatureAlgorithm;
use samael::metadata::{
    EntityDescriptor, HTTP_POST_BINDING, HTTP_REDIRECT_BINDING, IndexedEndpoint, KeyDescriptor,
    SpSsoDescriptor,
};
use samael::schema::{Assertion, Issuer};
use samael::service_provider::ServiceProvider;
use samael::traits::ToXml;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use app::domain::identity_providers::Settings;

/// The signature algorithms a response may be signed with (never SHA-1).
pub const ALGORITHMS: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

/// The claim name the NameID is offered under (besides the attributes).
pub const NAME_ID: &str = "NameID";

/// What a login must remember until the provider posts the person back: the request's ID, which
/// the response must answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub request_id: String,
}

/// What the identity provider's metadata says.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    /// Where authentication requests go (HTTP-Redirect binding).
    pub sso_url: String,
    pub certificates: usize,
    /// The provider takes signed authentication requests only (`WantAuthnRequestsSigned`).
    pub wants_signed_requests: bool,
    descriptor: EntityDescriptor,
}

/// Reads and checks an identity provider's metadata: an entity ID, a single sign-on service with
/// the HTTP-Redirect binding, and at least one signing certificate.
pub fn read_metadata(xml: &str) -> Result<IdpMetadata, String> {
    let descriptor = EntityDescriptor::from_str(xml.trim()).map_err(|e| {
        format!("The metadata is not a SAML EntityDescriptor: {e}. Upload the identity provider's metadata XML.")
    })?;
    let entity_id = descriptor
        .entity_id
        .clone()
        .filter(|e| !e.trim().is_empty())
        .ok_or("The metadata names no entity ID (the EntityDescriptor's entityID).")?;
    let idp = descriptor
        .idp_sso_descriptors
        .as_ref()
        .filter(|d| !d.is_empty())
        .ok_or("The metadata describes no identity provider (no IDPSSODescriptor): is it a service provider's metadata?")?;
    let sso_url = idp
        .iter()
        .flat_map(|d| d.single_sign_on_services.iter())
        .find(|s| s.binding == HTTP_REDIRECT_BINDING)
        .map(|s| s.location.clone())
        .ok_or("The identity provider offers no single sign-on service with the HTTP-Redirect binding.")?;
    app::domain::identity_providers::endpoint_url("saml.metadata_xml", &sso_url, true)
        .map_err(|e| format!("The single sign-on service's address: {}", e.user_message()))?;
    let sp = ServiceProvider {
        idp_metadata: descriptor.clone(),
        ..ServiceProvider::default()
    };
    let certificates = sp
        .idp_signing_certs()
        .map_err(|e| format!("A certificate in the metadata cannot be read: {e}."))?
        .unwrap_or_default();
    if certificates.is_empty() {
        return Err(
            "The metadata holds no signing certificate, so responses could not be checked. Use metadata with the provider's signing certificate (KeyDescriptor use=\"signing\")."
                .into(),
        );
    }
    for cert in &certificates {
        openssl::x509::X509::from_der(cert.der_data())
            .map_err(|_| "A signing certificate in the metadata is not an X.509 certificate.")?;
    }
    let certificates = certificates.len();
    let wants_signed_requests = idp
        .iter()
        .any(|d| d.want_authn_requests_signed == Some(true));
    Ok(IdpMetadata {
        entity_id,
        sso_url,
        certificates,
        wants_signed_requests,
        descriptor,
    })
}

/// The service provider a connection is, for its provider's metadata.
fn service_provider(settings: &Settings, idp: &IdpMetadata, acs_url: &str) -> ServiceProvider {
    ServiceProvider {
        entity_id: Some(settings.saml.entity_id.clone()),
        acs_url: Some(acs_url.to_string()),
        slo_url: None,
        metadata_url: None,
        idp_metadata: idp.descriptor.clone(),
        allowed_signature_algorithms: Some(ALGORITHMS.to_vec()),
        ..ServiceProvider::default()
    }
}

/// A private key (PEM) and its certificate (PEM) for signing requests.
pub struct KeyPair {
    pub private_key_pem: String,
    pub certificate_pem: String,
}

/// Makes a key pair for signing a connection's requests: RSA 2048 and a self-signed certificate
/// valid ten years, named after the entity ID.
pub fn new_key_pair(entity_id: &str) -> Result<KeyPair, String> {
    use openssl::asn1::Asn1Time;
    use openssl::bn::{BigNum, MsbOption};
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509, X509NameBuilder};
    let go = || -> Result<KeyPair, openssl::error::ErrorStack> {
        let key = PKey::from_rsa(Rsa::generate(2048)?)?;
        let mut name = X509NameBuilder::new()?;
        let cn: String = entity_id.chars().take(64).collect();
        name.append_entry_by_text("CN", &cn)?;
        let name = name.build();
        let mut b = X509::builder()?;
        b.set_version(2)?;
        let mut serial = BigNum::new()?;
        serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
        let serial = serial.to_asn1_integer()?;
        b.set_serial_number(&serial)?;
        b.set_subject_name(&name)?;
        b.set_issuer_name(&name)?;
        b.set_pubkey(&key)?;
        let (from, until) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(3650)?);
        b.set_not_before(&from)?;
        b.set_not_after(&until)?;
        b.sign(&key, MessageDigest::sha256())?;
        let cert = b.build();
        Ok(KeyPair {
            private_key_pem: String::from_utf8_lossy(&key.private_key_to_pem_pkcs8()?).into_owned(),
            certificate_pem: String::from_utf8_lossy(&cert.to_pem()?).into_owned(),
        })
    };
    go().map_err(|e| format!("A key pair could not be made: {e}."))
}

/// Checks that a private key (PEM) and a certificate (PEM) belong together.
pub fn check_key_pair(
    private_key_pem: &str,
    certificate_pem: &str,
) -> Result<(), (String, String)> {
    let cert = openssl::x509::X509::from_pem(certificate_pem.as_bytes()).map_err(|_| {
        (
            "saml.public_certificate".to_string(),
            "Paste the certificate in PEM form (-----BEGIN CERTIFICATE-----).".to_string(),
        )
    })?;
    let key =
        openssl::pkey::PKey::private_key_from_pem(private_key_pem.as_bytes()).map_err(|_| {
            (
                "secret".to_string(),
                "Paste the private key in PEM form (-----BEGIN PRIVATE KEY-----), unencrypted."
                    .to_string(),
            )
        })?;
    let public = cert.public_key().map_err(|_| {
        (
            "saml.public_certificate".to_string(),
            "The certificate's public key cannot be read.".to_string(),
        )
    })?;
    if !public.public_eq(&key) {
        return Err((
            "secret".to_string(),
            "The private key does not belong to the certificate.".to_string(),
        ));
    }
    Ok(())
}

/// The URL that sends the browser to the provider with an authentication request (HTTP-Redirect
/// binding), `relay_state` naming the login; signed with `private_key_pem` when given.
pub fn authentication_request(
    settings: &Settings,
    idp: &IdpMetadata,
    acs_url: &str,
    relay_state: &str,
    private_key_pem: Option<&str>,
    fresh_login: bool,
) -> Result<(String, Pending), String> {
    let sp = service_provider(settings, idp, acs_url);
    let mut request = sp
        .make_authentication_request(&idp.sso_url)
        .map_err(|e| format!("The authentication request could not be made: {e}."))?;
    // Our own unguessable ID (an XML ID must not start with a digit).
    request.id = format!("_{}", hex::encode(rand::random::<[u8; 16]>()));
    request.issuer = Some(Issuer {
        value: Some(settings.saml.entity_id.clone()),
        ..Issuer::default()
    });
    request.force_authn = Some(fresh_login);
    let url = match private_key_pem {
        Some(pem) => {
            let key = openssl::pkey::PKey::private_key_from_pem(pem.as_bytes())
                .map_err(|_| "The connection's private key cannot be read.".to_string())?;
            request.signed_redirect(relay_state, &key)
        }
        None => request.redirect(relay_state),
    }
    .map_err(|e| format!("The authentication request could not be made: {e}."))?
    .ok_or("The identity provider's single sign-on address is missing.")?;
    Ok((
        url.into(),
        Pending {
            request_id: request.id,
        },
    ))
}

/// This server's metadata for a connection: its entity ID, the ACS URL (HTTP-POST), the
/// certificate it signs requests with, and that it wants signed assertions.
pub fn sp_metadata(settings: &Settings, acs_url: &str) -> Result<String, String> {
    let mut keys = vec![];
    if settings.saml.sign_requests && !settings.saml.public_certificate.is_empty() {
        let cert = openssl::x509::X509::from_pem(settings.saml.public_certificate.as_bytes())
            .and_then(|c| c.to_der())
            .map_err(|e| format!("The connection's certificate cannot be read: {e}."))?;
        keys.push(KeyDescriptor {
            key_use: Some("signing".into()),
            key_info: samael::key_info::KeyInfo {
                id: None,
                x509_data: Some(samael::key_info::X509Data {
                    certificates: vec![base64::engine::general_purpose::STANDARD.encode(cert)],
                }),
            },
            encryption_methods: None,
        });
    }
    let descriptor = EntityDescriptor {
        entity_id: Some(settings.saml.entity_id.clone()),
        sp_sso_descriptors: Some(vec![SpSsoDescriptor {
            protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
            key_descriptors: Some(keys),
            authn_requests_signed: Some(settings.saml.sign_requests),
            want_assertions_signed: Some(settings.saml.require_signed_assertions),
            assertion_consumer_services: vec![IndexedEndpoint {
                binding: HTTP_POST_BINDING.into(),
                location: acs_url.into(),
                index: 0,
                is_default: Some(true),
                ..IndexedEndpoint::default()
            }],
            ..SpSsoDescriptor::default()
        }]),
        ..EntityDescriptor::default()
    };
    descriptor
        .to_string()
        .map_err(|e| format!("The metadata could not be written: {e}."))
}

/// A response checked, as the provider's entity ID and the claims it makes: `NameID` and every
/// attribute (by name and by friendly name; several values make a list).
pub fn verify(
    settings: &Settings,
    idp: &IdpMetadata,
    acs_url: &str,
    saml_response: &str,
    request_id: &str,
) -> Result<(String, BTreeMap<String, Value>), String> {
    let sp = service_provider(settings, idp, acs_url);
    let compact: String = saml_response
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let xml = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or("The identity provider's answer is not a SAML response (not base64 XML).")?;
    if let Some(status) = failed_status(&xml) {
        return Err(status);
    }
    let assertion = sp
        .parse_xml_response(&xml, Some(&[request_id]))
        .map_err(|e| describe(&e))?;
    if settings.saml.require_signed_assertions && !signs(&xml, &assertion.id) {
        return Err(
            "The identity provider signed the response but not the assertion in it, and this connection requires signed assertions. Have the provider sign assertions, or turn \"Require signed assertions\" off."
                .into(),
        );
    }
    Ok((idp.entity_id.clone(), claims_of(&assertion)))
}

/// Whether a signature of the document references the element with this ID. Called once every
/// signature of the document has been verified and IDs are known to be unique (samael refuses
/// duplicates), so such a reference means that element — the assertion — is signed itself.
fn signs(xml: &str, id: &str) -> bool {
    let pattern = format!(
        r#"<(?:[A-Za-z_][\w.-]*:)?Reference\b[^>]*\bURI\s*=\s*["']#{}["']"#,
        regex::escape(id)
    );
    regex::Regex::new(&pattern).is_ok_and(|r| r.is_match(xml))
}

/// A response whose status is not success, in words (such a response is usually unsigned, so it
/// is read before the signature check and only ever refuses).
fn failed_status(xml: &str) -> Option<String> {
    let short = |v: &str| v.rsplit(':').next().unwrap_or(v).to_string();
    let mut codes = xml
        .split("StatusCode")
        .skip(1)
        .filter_map(|part| part.split("Value=\"").nth(1)?.split('"').next());
    let top = codes.next()?;
    if top.ends_with(":Success") {
        return None;
    }
    let detail = codes
        .next()
        .map(|v| format!(" ({})", short(v)))
        .unwrap_or_default();
    Some(format!(
        "The identity provider refused the login: {}{detail}. Check that you may use this application there.",
        short(top)
    ))
}

fn describe(e: &samael::service_provider::Error) -> String {
    use samael::service_provider::Error as E;
    match e {
        E::FailedToValidateSignature => "The identity provider's response is not signed with a certificate from its metadata (or was changed after signing). If the provider changed its certificate, update the connection's metadata.".into(),
        E::AssertionExpired { .. } | E::ResponseExpired { .. } | E::AssertionConditionExpired { .. } | E::AssertionSubjectConfirmationExpired { .. } => {
            "The identity provider's response has expired. Log in again; if it keeps happening, check both machines' clocks.".into()
        }
        E::AssertionConditionExpiredBefore { .. } | E::AssertionSubjectConfirmationExpiredBefore { .. } => {
            "The identity provider's response is not valid yet: check both machines' clocks.".into()
        }
        E::AssertionConditionAudienceRestrictionFailed { requirement } => format!(
            "The identity provider's response is meant for another application, not for entity ID {requirement}. Check the Entity ID configured at the provider."
        ),
        E::DestinationValidationError { .. } | E::AssertionRecipientMismatch { .. } => {
            "The identity provider's response was sent to another address than this connection's ACS URL. Check the ACS URL configured at the provider.".into()
        }
        E::ResponseInResponseToInvalid { .. } | E::AssertionInResponseToInvalid { .. } => {
            "The identity provider's response does not answer this login (it may be an old or replayed one). Start the login again from the login page.".into()
        }
        E::ResponseIssuerMismatch { .. } | E::AssertionIssuerMismatch { .. } => {
            "The response comes from another identity provider than the metadata names.".into()
        }
        E::ResponseBadStatusCode { code } => format!("The identity provider refused the login: {code}."),
        E::EncryptedAssertionsNotYetSupported | E::MissingPrivateKeySP | E::FailedToDecryptAssertion => {
            "The identity provider encrypted the assertion; this connection takes unencrypted, signed assertions. Turn assertion encryption off at the provider.".into()
        }
        E::AssertionBearerSubjectConfirmationMissing | E::AssertionSubjectConfirmationMissing => {
            "The identity provider's assertion has no bearer subject confirmation with an expiry.".into()
        }
        other => format!("The identity provider's response could not be read: {other}."),
    }
}

/// The claims an assertion makes.
fn claims_of(assertion: &Assertion) -> BTreeMap<String, Value> {
    let mut claims = BTreeMap::new();
    if let Some(id) = assertion.subject.as_ref().and_then(|s| s.name_id.as_ref()) {
        claims.insert(NAME_ID.to_string(), Value::from(id.value.trim()));
    }
    for statement in assertion.attribute_statements.iter().flatten() {
        for a in &statement.attributes {
            let values: Vec<Value> = a
                .values
                .iter()
                .filter_map(|v| v.value.as_deref())
                .map(|v| Value::from(v.trim()))
                .collect();
            let value = match values.len() {
                0 => continue,
                1 if !looks_like_groups(a.name.as_deref()) => values[0].clone(),
                _ => Value::Array(values),
            };
            for name in [a.name.as_deref(), a.friendly_name.as_deref()]
                .into_iter()
                .flatten()
            {
                claims.entry(name.to_string()).or_insert(value.clone());
            }
        }
    }
    claims
}

/// A group attribute stays a list even with one value.
fn looks_like_groups(name: Option<&str>) -> bool {
    name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.ends_with("groups") || n.ends_with("/groups") || n.ends_with("memberof")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_stay_lists_and_single_values_are_text() {
        assert!(looks_like_groups(Some("groups")));
        assert!(looks_like_groups(Some(
            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
        )));
        assert!(looks_like_groups(Some("memberOf")));
        assert!(!looks_like_groups(Some("email")));
    }

    #[test]
    fn metadata_without_a_signing_certificate_is_refused() {
        let xml = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#;
        let e = read_metadata(xml).unwrap_err();
        assert!(e.contains("no signing certificate"), "{e}");
        let e = read_metadata("<html/>").unwrap_err();
        assert!(e.contains("not a SAML EntityDescriptor"), "{e}");
    }

    #[test]
    fn an_element_is_signed_when_a_reference_names_it() {
        let xml = r##"<r><ds:Signature><ds:SignedInfo><ds:Reference URI="#_a1"/></ds:SignedInfo></ds:Signature></r>"##;
        assert!(signs(xml, "_a1"));
        assert!(!signs(xml, "_a"), "the whole ID");
        assert!(
            !signs(r##"<r><x URI="#_b"/></r>"##, "_b"),
            "in a Reference only"
        );
        assert!(signs(r##"<Reference Id="x" URI='#_c'>"##, "_c"));
    }

    #[test]
    fn a_failed_status_is_told_in_words() {
        let xml = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode></samlp:Status></samlp:Response>"#;
        let m = failed_status(xml).unwrap();
        assert!(m.contains("Responder (AuthnFailed)"), "{m}");
        assert!(
            failed_status(
                r#"<a><StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></a>"#
            )
            .is_none()
        );
    }

    #[test]
    fn key_pairs_are_made_and_checked() {
        let pair = new_key_pair("https://ml.example.com/sso/saml/x").unwrap();
        check_key_pair(&pair.private_key_pem, &pair.certificate_pem).unwrap();
        let other = new_key_pair("other").unwrap();
        let (field, _) = check_key_pair(&other.private_key_pem, &pair.certificate_pem).unwrap_err();
        assert_eq!(field, "secret");
        let (field, _) = check_key_pair(&pair.private_key_pem, "junk").unwrap_err();
        assert_eq!(field, "saml.public_certificate");
    }
}
