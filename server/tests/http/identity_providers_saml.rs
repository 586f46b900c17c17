//! SAML connections end to end, in process: made over the API with the identity provider's
//! metadata (uploaded or read from a URL), logins through `/sso/<id>/login` and the ACS URL with
//! responses from `common::saml_idp`, including everything a hostile provider or a thief of a
//! response could send.

use std::collections::HashMap;
use std::io::Read;
use std::str::FromStr;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use super::{Landed, cookies, landing, provider_audit, start, whoami};
use crate::common::router::{App, get};
use crate::common::saml_idp::{Idp, Mint, Person};
use crate::common::site::{Api, on_sqlite};
use app::domain::Role;

const ACS: &str = "http://127.0.0.1:3000/sso/acs";

/// Ada makes a SAML connection to `idp` in workspace A (settings changed by `tweak`); its id.
async fn connect(w: &Api, idp: &Idp, tweak: impl FnOnce(&mut Value)) -> String {
    let mut settings = idp.settings("Corporate SAML");
    tweak(&mut settings);
    let (status, v) = w
        .call(
            &w.admin.basic,
            "identity_providers.create",
            json!({ "settings": settings }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v["data"]["id"].as_str().unwrap().to_string()
}

/// A login started: the request the browser carries to the provider (read back), its query, and
/// the browser's state cookie.
struct Started {
    request: samael::schema::AuthnRequest,
    query: HashMap<String, String>,
    cookie: String,
}

impl Started {
    fn relay_state(&self) -> &str {
        &self.query["RelayState"]
    }
}

/// The request a URL to the provider carries (HTTP-Redirect binding: deflated, base64), and the
/// URL's query.
fn request_in(url: &str) -> (samael::schema::AuthnRequest, HashMap<String, String>) {
    let query: HashMap<String, String> = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &query["SAMLRequest"],
    )
    .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(raw.as_slice())
        .read_to_string(&mut xml)
        .unwrap();
    (samael::schema::AuthnRequest::from_str(&xml).unwrap(), query)
}

async fn begin(app: &App, id: &str) -> Started {
    let (url, cookie) = start(app, id).await;
    let (request, query) = request_in(&url);
    Started {
        request,
        query,
        cookie,
    }
}

fn form(response: &str, relay_state: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("SAMLResponse", response)
        .append_pair("RelayState", relay_state)
        .finish()
}

fn post(path: &str, origin: &str, cookie: Option<&str>, body: String) -> Request<Body> {
    let mut req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(body)).unwrap()
}

/// The provider's post reaches the ACS URL from its own site (without the state cookie) and is
/// handed on; the browser posts it again from this site with the cookie. Where it lands.
async fn deliver(app: &App, response: &str, relay_state: &str, cookie: Option<&str>) -> Landed {
    let (status, _, body) = app
        .send(post(
            "/sso/acs",
            "https://idp.example.test",
            None,
            form(response, relay_state),
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the ACS URL takes a cross-site post"
    );
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains(r#"action="/sso/acs/finish""#), "{page}");
    assert!(page.contains(relay_state), "{page}");
    let (status, headers, _) = app
        .send(post(
            "/sso/acs/finish",
            "http://127.0.0.1:3000",
            cookie,
            form(response, relay_state),
        ))
        .await;
    landing(status, &headers)
}

/// A whole login of `person` through connection `id`, the provider answering as `mint` says.
async fn log_in(app: &App, idp: &Idp, id: &str, person: &Person, mint: &Mint) -> Landed {
    let s = begin(app, id).await;
    let response = idp.respond(&s.request.id, ACS, person, mint);
    deliver(app, &response, s.relay_state(), Some(&s.cookie)).await
}

async fn account_exists(w: &Api, email: &str) -> bool {
    w.app
        .services
        .workspaces
        .identity_for(email, Some("A"))
        .await
        .is_ok()
}

#[tokio::test]
async fn a_person_logs_in_through_saml_as_the_mapped_member_of_that_workspace() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let id = connect(&w, &idp, |_| {}).await;
        let s = begin(&w.app, &id).await;
        assert!(s.query.contains_key("SAMLRequest") && !s.query.contains_key("Signature"));
        assert_eq!(
            s.request.destination.as_deref(),
            Some("https://idp.example.test/sso")
        );
        assert_eq!(
            s.request.assertion_consumer_service_url.as_deref(),
            Some(ACS)
        );
        assert_eq!(
            s.request.issuer.as_ref().and_then(|i| i.value.as_deref()),
            Some("http://127.0.0.1:3000/sso/saml/test")
        );
        assert!(s.request.id.len() >= 32, "an unguessable request id");

        let zoe = Person::new("zoe-1", "zoe@example.com");
        let session = log_in(&w.app, &idp, &id, &zoe, &Mint::default())
            .await
            .session();
        let (email, workspace, role) = whoami(&w.app, &session).await;
        assert_eq!(
            (email.as_str(), workspace.as_str(), role),
            ("zoe@example.com", "A", Role::Member)
        );
        let first = w
            .app
            .services
            .sessions
            .resolve_cookie(&session)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.identity.user_name, "Zoe zoe-1");
        // The second login finds the same account through the link (issuer and NameID), even
        // when the provider now asserts another address.
        let renamed = Person::new("zoe-1", "zoe.new@example.com");
        let again = log_in(&w.app, &idp, &id, &renamed, &Mint::default())
            .await
            .session();
        let second = w
            .app
            .services
            .sessions
            .resolve_cookie(&again)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.identity.user_id, second.identity.user_id);
        // This server's metadata for the connection.
        let (status, headers, body) = w.app.send(get(&format!("/sso/{id}/metadata"), None)).await;
        assert_eq!(status, 200);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/samlmetadata+xml"
        );
        let xml = String::from_utf8(body).unwrap();
        assert!(
            xml.contains(r#"entityID="http://127.0.0.1:3000/sso/saml/test""#),
            "{xml}"
        );
        assert!(xml.contains(&format!(r#"Location="{ACS}""#)), "{xml}");
        assert!(xml.contains(r#"WantAssertionsSigned="true""#), "{xml}");
        let (status, _, _) = w.app.send(get("/sso/nope/metadata", None)).await;
        assert_eq!(status, 404);
        // The connection as the editor reads it.
        let (_, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.get_by_id",
                json!({ "id": id }),
            )
            .await;
        let c = &v["data"];
        assert_eq!(c["return_url"], ACS, "{v}");
        assert_eq!(
            c["sp_metadata_url"],
            format!("http://127.0.0.1:3000/sso/{id}/metadata")
        );
    })
    .await
}

#[tokio::test]
async fn forged_misdirected_and_stale_responses_are_refused() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let id = connect(&w, &idp, |_| {}).await;
        let zoe = Person::new("zoe-1", "zoe@example.com");
        let cases: Vec<(&str, Mint, &str)> = vec![
            (
                "unsigned",
                Mint {
                    sign_response: false,
                    sign_assertion: false,
                    ..Mint::default()
                },
                "not signed with a certificate from its metadata",
            ),
            (
                "a key the metadata does not publish",
                Mint {
                    unknown_key: true,
                    ..Mint::default()
                },
                "not signed with a certificate from its metadata",
            ),
            (
                "SHA-1",
                Mint {
                    sha1: true,
                    ..Mint::default()
                },
                "not signed with a certificate from its metadata",
            ),
            (
                "changed after signing",
                Mint {
                    tamper: true,
                    ..Mint::default()
                },
                "changed after signing",
            ),
            (
                "another audience",
                Mint {
                    audience: Some("https://other.example.com/sp".into()),
                    ..Mint::default()
                },
                "meant for another application",
            ),
            (
                "another address",
                Mint {
                    recipient: Some("https://evil.example.com/acs".into()),
                    ..Mint::default()
                },
                "sent to another address",
            ),
            (
                "another request",
                Mint {
                    in_response_to: Some("_someone-elses-request".into()),
                    ..Mint::default()
                },
                "does not answer this login",
            ),
            (
                "expired",
                Mint {
                    issued_at: -1200,
                    lifetime: 300,
                    ..Mint::default()
                },
                "has expired",
            ),
            (
                "a failure status",
                Mint {
                    status: Some("AuthnFailed".into()),
                    ..Mint::default()
                },
                "refused the login: Responder (AuthnFailed)",
            ),
        ];
        for (what, mint, says) in cases {
            let refusal = log_in(&w.app, &idp, &id, &zoe, &mint).await.refusal();
            assert!(refusal.contains(says), "{what}: {refusal}");
            assert!(
                !account_exists(&w, "zoe@example.com").await,
                "{what}: no account was made"
            );
        }
        // The audit log records the refusals with their reasons.
        let log = provider_audit(&w).await;
        assert!(
            log.iter()
                .filter(|e| e.action == "identity_provider.login_failed")
                .count()
                >= 9
        );
        // The same person with a good response gets in.
        log_in(&w.app, &idp, &id, &zoe, &Mint::default())
            .await
            .session();
    })
    .await
}

#[tokio::test]
async fn an_unsigned_assertion_in_a_signed_response_needs_the_setting_off() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let id = connect(&w, &idp, |_| {}).await;
        let zoe = Person::new("zoe-1", "zoe@example.com");
        let response_only = Mint {
            sign_assertion: false,
            ..Mint::default()
        };
        let refusal = log_in(&w.app, &idp, &id, &zoe, &response_only)
            .await
            .refusal();
        assert!(refusal.contains("requires signed assertions"), "{refusal}");
        // The assertion signed alone is enough.
        let assertion_only = Mint {
            sign_response: false,
            ..Mint::default()
        };
        log_in(&w.app, &idp, &id, &zoe, &assertion_only)
            .await
            .session();
        // With the setting off, a signed response around an unsigned assertion is accepted.
        let (_, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.get_by_id",
                json!({ "id": id }),
            )
            .await;
        let mut settings = v["data"]["settings"].clone();
        settings["saml"]["require_signed_assertions"] = json!(false);
        let (status, v) = w
            .app
            .with_auth(
                "POST",
                "/identity_providers.update",
                &w.admin.basic,
                &json!({
                    "id": id,
                    "version": v["data"]["version"],
                    "settings": settings,
                })
                .to_string(),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        log_in(&w.app, &idp, &id, &zoe, &response_only)
            .await
            .session();
    })
    .await
}

#[tokio::test]
async fn a_wrapped_unsigned_assertion_never_logs_its_person_in() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let id = connect(&w, &idp, |_| {}).await;
        // Mallory holds a genuine response about herself and slips in an assertion about Ada.
        let mallory = Person::new("mallory-1", "mallory@example.com");
        for (sign_response, sign_assertion) in [(false, true), (true, true), (true, false)] {
            let mint = Mint {
                sign_response,
                sign_assertion,
                wrap_as: Some("ada@example.com".into()),
                ..Mint::default()
            };
            match log_in(&w.app, &idp, &id, &mallory, &mint).await {
                Landed::Refused(_) => {}
                Landed::Session(session) => {
                    let (email, _, _) = whoami(&w.app, &session).await;
                    assert_eq!(
                        email, "mallory@example.com",
                        "response signed: {sign_response}, assertion signed: {sign_assertion}"
                    );
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_response_is_taken_once_and_only_by_the_browser_that_started_the_login() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let id = connect(&w, &idp, |_| {}).await;
        let zoe = Person::new("zoe-1", "zoe@example.com");
        let s = begin(&w.app, &id).await;
        let response = idp.respond(&s.request.id, ACS, &zoe, &Mint::default());
        // Another browser (no cookie, or another login's) cannot use it, and does not use it up.
        let other = begin(&w.app, &id).await;
        let refusal = deliver(&w.app, &response, s.relay_state(), None)
            .await
            .refusal();
        assert!(refusal.contains("another browser"), "{refusal}");
        let refusal = deliver(&w.app, &response, s.relay_state(), Some(&other.cookie))
            .await
            .refusal();
        assert!(refusal.contains("another browser"), "{refusal}");
        // Posted to the other login, it does not answer that login's request.
        let refusal = deliver(&w.app, &response, other.relay_state(), Some(&other.cookie))
            .await
            .refusal();
        assert!(refusal.contains("does not answer this login"), "{refusal}");
        // Its own browser gets in once; a replay is refused.
        deliver(&w.app, &response, s.relay_state(), Some(&s.cookie))
            .await
            .session();
        let refusal = deliver(&w.app, &response, s.relay_state(), Some(&s.cookie))
            .await
            .refusal();
        assert!(refusal.contains("already used"), "{refusal}");
        // Only the hand-on page may be posted from another site: the post that is checked may not.
        let (status, _, _) = w
            .app
            .send(post(
                "/sso/acs/finish",
                "https://evil.example",
                Some(&s.cookie),
                form(&response, s.relay_state()),
            ))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A response without a login (IdP-initiated) is refused.
        let refusal = deliver(&w.app, &response, "", Some(&s.cookie))
            .await
            .refusal();
        assert!(refusal.contains("no state"), "{refusal}");
    })
    .await
}

#[tokio::test]
async fn metadata_needs_a_signing_certificate_and_a_metadata_url_is_read_again() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let mut settings = idp.settings("No certificate");
        settings["saml"]["metadata_xml"] = json!(idp.metadata(false));
        let (status, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.create",
                json!({ "settings": settings }),
            )
            .await;
        assert_eq!(status, 400, "{v}");
        assert!(
            v.to_string().contains("no signing certificate")
                && v.to_string().contains("saml.metadata_xml"),
            "{v}"
        );
        // Read from a URL: the copy is kept with the time it was read.
        let url = idp.serve().await;
        let id = connect(&w, &idp, |s| {
            s["saml"]["metadata_xml"] = json!("");
            s["saml"]["metadata_url"] = json!(url);
        })
        .await;
        let (_, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.get_by_id",
                json!({ "id": id }),
            )
            .await;
        let saml = &v["data"]["settings"]["saml"];
        assert!(
            saml["metadata_xml"]
                .as_str()
                .unwrap()
                .contains("X509Certificate")
        );
        assert!(!saml["metadata_fetched"].as_str().unwrap().is_empty());
        let version = v["data"]["version"].clone();
        let zoe = Person::new("zoe-1", "zoe@example.com");
        log_in(&w.app, &idp, &id, &zoe, &Mint::default())
            .await
            .session();
        // The provider rolls its key over: until the metadata is read again, its responses fail.
        idp.roll_key();
        let refusal = log_in(&w.app, &idp, &id, &zoe, &Mint::default())
            .await
            .refusal();
        assert!(
            refusal.contains("update the connection's metadata"),
            "{refusal}"
        );
        let changed = w
            .app
            .services
            .identity_providers
            .refresh_metadata()
            .await
            .unwrap();
        assert_eq!(changed, 1);
        log_in(&w.app, &idp, &id, &zoe, &Mint::default())
            .await
            .session();
        // Reading it again is not an edit: the version the editor holds still saves.
        let (_, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.get_by_id",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(v["data"]["version"], version);
        // Nothing changed: nothing is counted.
        assert_eq!(
            w.app
                .services
                .identity_providers
                .refresh_metadata()
                .await
                .unwrap(),
            0
        );
    })
    .await
}

#[tokio::test]
async fn signed_requests_use_a_key_pair_made_for_the_connection_and_kept_secret() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let id = connect(&w, &idp, |s| {
            s["saml"]["sign_requests"] = json!(true);
        })
        .await;
        let (_, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.get_by_id",
                json!({ "id": id }),
            )
            .await;
        let c = &v["data"];
        assert_eq!(c["has_secret"], true);
        assert!(
            !v.to_string().contains("PRIVATE KEY"),
            "the key never comes back"
        );
        let pem = c["settings"]["saml"]["public_certificate"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        // At rest the key is sealed.
        let stored: String =
            sqlx::query_scalar("SELECT secret FROM identity_providers WHERE id = $1")
                .bind(&id)
                .fetch_one(&w.app.services.core.db.pool)
                .await
                .unwrap();
        assert!(!stored.contains("PRIVATE KEY"));
        // The request is signed (HTTP-Redirect binding: over the query) with that key.
        let (url, _) = start(&w.app, &id).await;
        let query = url.split_once('?').unwrap().1;
        let (signed, signature) = query.split_once("&Signature=").unwrap();
        let q: HashMap<String, String> = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(
            q["SigAlg"],
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        );
        let signature: String = url::form_urlencoded::parse(format!("s={signature}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        let signature =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, signature).unwrap();
        let cert = openssl::x509::X509::from_pem(pem.as_bytes()).unwrap();
        let key = cert.public_key().unwrap();
        let mut verifier =
            openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
        verifier.update(signed.as_bytes()).unwrap();
        assert!(verifier.verify(&signature).unwrap(), "the signature checks");
        // The metadata publishes the certificate and says requests are signed.
        let (_, _, body) = w.app.send(get(&format!("/sso/{id}/metadata"), None)).await;
        let xml = String::from_utf8(body).unwrap();
        assert!(xml.contains(r#"AuthnRequestsSigned="true""#), "{xml}");
        let der = cert.to_der().unwrap();
        assert!(xml.contains(&base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            der
        )));
        // A provider that takes signed requests only needs signing on.
        let mut settings = idp.settings("Wants signatures");
        settings["saml"]["metadata_xml"] = json!(idp.metadata_wanting_signed_requests(true, true));
        let (status, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.create",
                json!({ "settings": settings }),
            )
            .await;
        assert_eq!(status, 400, "{v}");
        assert!(v.to_string().contains("saml.sign_requests"), "{v}");
        settings["saml"]["sign_requests"] = json!(true);
        let (status, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.create",
                json!({ "settings": settings }),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        // A key that does not belong to the certificate is refused, naming the field.
        let mut settings = c["settings"].clone();
        let other = app::services::identity_providers::saml::new_key_pair("other").unwrap();
        settings["display_name"] = json!("Second");
        let (status, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.create",
                json!({ "settings": settings, "secret": other.private_key_pem }),
            )
            .await;
        assert_eq!(status, 400, "{v}");
        assert!(
            v.to_string().contains("does not belong to the certificate"),
            "{v}"
        );
    })
    .await
}

#[tokio::test]
async fn a_test_login_of_unsaved_saml_settings_shows_the_mapped_person() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let settings = idp.settings("Not saved yet");
        let (s, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.test",
                json!({ "settings": settings }),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let url = v["data"]["url"].as_str().unwrap().to_string();
        let test = v["data"]["test"].as_str().unwrap().to_string();
        let (request, q) = request_in(&url);
        assert_eq!(
            request.force_authn,
            Some(true),
            "a test asks for a fresh login"
        );
        let mut tess = Person::new("t-1", "tess@example.com");
        tess.groups = vec!["ml".into()];
        let response = idp.respond(&request.id, ACS, &tess, &Mint::default());
        // The popup has no state cookie: a test does not need one.
        let (status, headers, body) = w
            .app
            .send(post(
                "/sso/acs/finish",
                "http://127.0.0.1:3000",
                None,
                form(&response, &q["RelayState"]),
            ))
            .await;
        assert_eq!(status, 200);
        assert!(
            cookies(&headers)
                .iter()
                .all(|c| !c.starts_with("atrium_session="))
        );
        let page = String::from_utf8(body).unwrap();
        assert!(page.contains("Test succeeded"), "{page}");
        let (_, v) = w
            .call(
                &w.admin.basic,
                "identity_providers.test_outcome",
                json!({ "test": test }),
            )
            .await;
        let o = &v["data"];
        assert_eq!(o["done"], true, "{v}");
        assert_eq!(o["user"]["subject"], "t-1");
        assert_eq!(o["user"]["email"], "tess@example.com");
        assert_eq!(o["user"]["email_verified"], true);
        assert_eq!(o["user"]["groups"], json!(["ml"]));
        assert!(!account_exists(&w, "tess@example.com").await);
    })
    .await
}

#[tokio::test]
async fn a_member_links_their_account_and_then_logs_in_through_saml() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let id = connect(&w, &idp, |s| {
            s["create_users"] = json!(false);
        })
        .await;
        let ada = Person::new("ada-at-idp", "ada@example.com");
        // Before the link the provider's word alone does not open Ada's account.
        let refusal = log_in(&w.app, &idp, &id, &ada, &Mint::default())
            .await
            .refusal();
        assert!(
            refusal.contains("has not used this login before"),
            "{refusal}"
        );
        // Ada, logged in with her password, links her account from her profile.
        let session = super::ada_with_password(&w).await;
        let (url, jar) = super::start_link(&w.app, &id, &session).await;
        let (request, q) = request_in(&url);
        assert_eq!(
            request.force_authn,
            Some(true),
            "a link asks for a fresh login"
        );
        let response = idp.respond(&request.id, ACS, &ada, &Mint::default());
        let (status, headers, _) = w
            .app
            .send(post(
                "/sso/acs/finish",
                "http://127.0.0.1:3000",
                Some(&jar),
                form(&response, &q["RelayState"]),
            ))
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            headers[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/settings/profile?linked="),
            "{headers:?}"
        );
        // Now the button opens Ada's account, as the administrator she is.
        let session = log_in(&w.app, &idp, &id, &ada, &Mint::default())
            .await
            .session();
        let (email, workspace, role) = whoami(&w.app, &session).await;
        assert_eq!(
            (email.as_str(), workspace.as_str(), role),
            ("ada@example.com", "A", Role::Admin)
        );
    })
    .await
}

#[tokio::test]
async fn saml_group_attributes_sync_the_workspace_s_groups() {
    on_sqlite(async |w: Api| {
        let idp = Idp::new();
        let id = connect(&w, &idp, |_| {}).await;
        super::make_groups(&w, &["Vision", "Ops"]).await;
        // One value or several: the groups attribute is a list either way.
        let mut gus = Person::new("g-1", "gus@example.com");
        gus.groups = vec!["vision".into()];
        log_in(&w.app, &idp, &id, &gus, &Mint::default())
            .await
            .session();
        assert_eq!(super::groups_of(&w, "gus@example.com").await, ["Vision"]);
        gus.groups = vec!["Ops".into(), "Admins".into()];
        let session = log_in(&w.app, &idp, &id, &gus, &Mint::default())
            .await
            .session();
        assert_eq!(super::groups_of(&w, "gus@example.com").await, ["Ops"]);
        assert_eq!(
            whoami(&w.app, &session).await.2,
            Role::Member,
            "Admins is not synced unless allowed"
        );
    })
    .await
}
