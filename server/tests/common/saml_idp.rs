//! A SAML identity provider for the login tests, with the knobs a hostile or broken provider has:
//! a response signed on the response, on the assertion, on both or not at all; with a key the
//! metadata does not publish or with SHA-1; changed after signing; meant for another audience or
//! address; expired; or with an unsigned assertion slipped in beside the signed one (signature
//! wrapping). Its keys are made when it starts; responses are signed with xmlsec (samael).
//! It can also serve its metadata on loopback, to be read from a URL.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::pkey::{PKey, Private};
use samael::crypto::CryptoProvider;

/// How the next response is made.
#[derive(Debug, Clone)]
pub struct Mint {
    pub sign_response: bool,
    pub sign_assertion: bool,
    /// Signs with a key the metadata does not publish.
    pub unknown_key: bool,
    /// Signs with RSA-SHA1 and a SHA-1 digest.
    pub sha1: bool,
    /// Changes the e-mail attribute after signing.
    pub tamper: bool,
    pub audience: Option<String>,
    /// Replaces the ACS URL the response and assertion are addressed to.
    pub recipient: Option<String>,
    pub in_response_to: Option<String>,
    /// Seconds from now the assertion was issued (negative: in the past).
    pub issued_at: i64,
    /// Seconds from issue until the assertion expires.
    pub lifetime: i64,
    /// An unsigned assertion for this e-mail put before the signed one (signature wrapping).
    pub wrap_as: Option<String>,
    /// The response's status is this failure.
    pub status: Option<String>,
}

impl Default for Mint {
    fn default() -> Self {
        Mint {
            sign_response: true,
            sign_assertion: true,
            unknown_key: false,
            sha1: false,
            tamper: false,
            audience: None,
            recipient: None,
            in_response_to: None,
            issued_at: 0,
            lifetime: 300,
            wrap_as: None,
            status: None,
        }
    }
}

/// A person the provider asserts.
#[derive(Debug, Clone)]
pub struct Person {
    pub name_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub groups: Vec<String>,
}

impl Person {
    pub fn new(name_id: &str, email: &str) -> Self {
        Person {
            name_id: name_id.into(),
            email: email.into(),
            first_name: "Zoe".into(),
            last_name: name_id.into(),
            groups: vec![],
        }
    }
}

struct KeyPair {
    key: PKey<Private>,
    cert_der: Vec<u8>,
}

fn key_pair(name: &str) -> KeyPair {
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509, X509NameBuilder};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_text("CN", name).unwrap();
    let n = n.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&n).unwrap();
    b.set_issuer_name(&n).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    KeyPair {
        cert_der: b.build().to_der().unwrap(),
        key,
    }
}

#[derive(Clone)]
pub struct Idp {
    pub entity_id: String,
    pub sso_url: String,
    keys: Arc<Mutex<Vec<KeyPair>>>,
    stranger: Arc<KeyPair>,
}

impl Idp {
    pub fn new() -> Self {
        Idp {
            entity_id: "https://idp.example.test/saml".into(),
            sso_url: "https://idp.example.test/sso".into(),
            keys: Arc::new(Mutex::new(vec![key_pair("Test IdP")])),
            stranger: Arc::new(key_pair("Stranger")),
        }
    }

    /// The metadata with the current signing certificate (or none).
    pub fn metadata(&self, with_certificate: bool) -> String {
        self.metadata_wanting_signed_requests(with_certificate, false)
    }

    /// The metadata, saying whether the provider takes signed requests only.
    pub fn metadata_wanting_signed_requests(&self, with_certificate: bool, signed: bool) -> String {
        let keys = self.keys.lock().unwrap();
        let cert = STANDARD.encode(&keys.last().unwrap().cert_der);
        let key = if with_certificate {
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
            )
        } else {
            String::new()
        };
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="{signed}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    {key}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#,
            self.entity_id, self.sso_url
        )
    }

    /// A new signing key; the metadata publishes its certificate from now on.
    pub fn roll_key(&self) {
        self.keys.lock().unwrap().push(key_pair("Test IdP, next"));
    }

    /// Serves the metadata at `http://127.0.0.1:<port>/metadata` (as it is when asked: a rolled
    /// key shows); its URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/metadata", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/metadata", get(metadata))
            .with_state(self.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        url
    }

    /// The connection settings for this provider, as the REST API takes them.
    pub fn settings(&self, display_name: &str) -> serde_json::Value {
        serde_json::json!({
            "protocol": "saml",
            "provider": "custom",
            "display_name": display_name,
            "web_app_url": "http://127.0.0.1:3000",
            "create_users": true,
            "group_sync": true,
            "saml": {
                "entity_id": "http://127.0.0.1:3000/sso/saml/test",
                "metadata_xml": self.metadata(true),
                "require_signed_assertions": true,
            }
        })
    }

    /// The base64 SAMLResponse the provider posts for a request (`request_id`) to `acs_url`.
    pub fn respond(&self, request_id: &str, acs_url: &str, person: &Person, mint: &Mint) -> String {
        let now = chrono::Utc::now();
        let at = |secs: i64| {
            (now + chrono::Duration::seconds(secs))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let issued = at(mint.issued_at);
        let expires = at(mint.issued_at + mint.lifetime);
        let before = at(mint.issued_at - 60);
        let recipient = mint.recipient.as_deref().unwrap_or(acs_url);
        let audience = mint
            .audience
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:3000/sso/saml/test".into());
        let in_response_to = mint.in_response_to.as_deref().unwrap_or(request_id);
        let response_id = format!("_r{}", atrium_server::crypto::new_id());
        let assertion_id = format!("_a{}", atrium_server::crypto::new_id());
        let signing = if mint.unknown_key {
            (
                self.stranger
                    .key
                    .rsa()
                    .unwrap()
                    .private_key_to_der()
                    .unwrap(),
                self.stranger.cert_der.clone(),
            )
        } else {
            let keys = self.keys.lock().unwrap();
            let k = keys.last().unwrap();
            (
                k.key.rsa().unwrap().private_key_to_der().unwrap(),
                k.cert_der.clone(),
            )
        };
        let template = |id: &str| signature_template(id, &signing.1, mint.sha1);
        let groups: String = person
            .groups
            .iter()
            .map(|g| format!("<saml:AttributeValue>{g}</saml:AttributeValue>"))
            .collect();
        let assertion = |id: &str, email: &str, name_id: &str, signed: bool| {
            format!(
                r#"<saml:Assertion ID="{id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{issuer}</saml:Issuer>{sig}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{expires}" Recipient="{recipient}" InResponseTo="{in_response_to}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{before}" NotOnOrAfter="{expires}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="firstName"><saml:AttributeValue>{first}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="lastName"><saml:AttributeValue>{last}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="groups">{groups}</saml:Attribute></saml:AttributeStatement></saml:Assertion>"#,
                issuer = self.entity_id,
                sig = if signed { template(id) } else { String::new() },
                first = person.first_name,
                last = person.last_name,
            )
        };
        let status = match &mint.status {
            Some(code) => format!(
                r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:{code}"/></samlp:StatusCode></samlp:Status>"#
            ),
            None => r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>"#.into(),
        };
        let shell = |sig: &str, body: &str| {
            format!(
                r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{issued}" Destination="{recipient}" InResponseTo="{in_response_to}"><saml:Issuer>{}</saml:Issuer>{sig}{status}{body}</samlp:Response>"#,
                self.entity_id
            )
        };
        let sign = |xml: &str| {
            samael::crypto::Crypto::sign_xml(xml, &signing.0).expect("xmlsec signs the template")
        };
        let signed_assertion = assertion(
            &assertion_id,
            &person.email,
            &person.name_id,
            mint.sign_assertion,
        );
        let mut xml = shell("", &signed_assertion);
        if mint.sign_assertion {
            xml = sign(&xml);
        }
        if mint.sign_response {
            // The response's signature goes right after its issuer, over the (signed) assertion.
            let marker = format!("{}</saml:Issuer>", self.entity_id);
            let at = xml.find(&marker).unwrap() + marker.len();
            xml.insert_str(at, &template(&response_id));
            xml = sign(&xml);
        }
        if let Some(victim) = &mint.wrap_as {
            // Signature wrapping: an unsigned assertion about the victim before the signed one.
            let evil = assertion(
                &format!("_e{}", atrium_server::crypto::new_id()),
                victim,
                victim,
                false,
            );
            let at = xml.find("<saml:Assertion").unwrap();
            xml.insert_str(at, &evil);
        }
        if mint.tamper {
            xml = xml.replacen(&person.email, "ada@example.com", 1);
        }
        STANDARD.encode(xml)
    }
}

async fn metadata(State(idp): State<Idp>) -> String {
    idp.metadata(true)
}

/// An enveloped signature template over the element with this ID (exclusive C14N).
fn signature_template(id: &str, cert_der: &[u8], sha1: bool) -> String {
    let (method, digest) = if sha1 {
        (
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            "http://www.w3.org/2000/09/xmldsig#sha1",
        )
    } else {
        (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2001/04/xmlenc#sha256",
        )
    };
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"##,
        STANDARD.encode(cert_der)
    )
}
