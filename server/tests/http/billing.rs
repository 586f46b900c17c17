//! Usage & billing over the API: administrators only; usage figures from real API calls and real
//! uploads; upgrade with its checks, the estimate, downgrade only when the usage fits; invoices
//! issued once per period by the job, also by two replicas at once, numbered without gaps, and
//! readable as PDF.

use serde_json::json;

use app::domain::billing::{Period, PriceTable};
use atrium_server::services::Services;
use atrium_server::services::billing::pdf::pdf_text;

use crate::common::mail::MailServer;
use crate::common::router::subcode;
use crate::common::site::{Api, on_postgres, on_sqlite};
use crate::common::{services_with, settings};

const DAY_MS: i64 = 86_400_000;

fn info() -> serde_json::Value {
    json!({
        "name": "Ada Lovelace",
        "company": "Müller GmbH",
        "address": "Königstraße 5\n70173 Stuttgart",
        "vat_id": "de 123456789",
        "email": "billing@example.com",
        "payment_method": "invoice",
    })
}

/// Ada upgrades workspace A to Pro, with [`info`].
async fn upgrade(w: &Api) -> serde_json::Value {
    w.ok(
        &w.admin.basic,
        "billing.upgrade",
        json!({"info": info(), "accept_terms": true}),
    )
    .await
}

/// Members see nothing of billing; another workspace's administrator sees only their own.
#[tokio::test]
async fn only_administrators_see_usage_and_billing() {
    on_sqlite(async |w: Api| {
        for name in [
            "usage.get",
            "billing.get_plan",
            "billing.get_info",
            "billing.get_invoices",
            "billing.email_invoices",
        ] {
            let (status, v) = w.call(&w.member.basic, name, json!({})).await;
            assert_eq!(status, 403, "{name}: {v}");
            assert_eq!(subcode(&v), 20, "{name}: {v}");
        }
        let (status, _) = w
            .call(
                &w.member.basic,
                "billing.upgrade",
                json!({"info": info(), "accept_terms": true}),
            )
            .await;
        assert_eq!(status, 403);
        // Ada upgrades A; Bob's workspace stays on Free and sees none of it.
        upgrade(&w).await;
        let bob = w.ok(&w.outsider.basic, "billing.get_plan", json!({})).await;
        assert_eq!(bob["plan"], "free");
        assert!(bob["info"].is_null());
    })
    .await
}

/// The figures are real: API calls per day and this month, the bytes uploaded, the people.
#[tokio::test]
async fn usage_counts_calls_per_day_and_the_bytes_stored() {
    on_sqlite(async |w: Api| {
        for _ in 0..5 {
            w.ok(&w.admin.basic, "users.get_current_user", json!({}))
                .await;
        }
        let (status, _, _) = w
            .app
            .send(crate::files::upload_request(
                &w.admin.basic,
                "data/one.bin",
                &[7u8; 1500],
            ))
            .await;
        assert_eq!(status, 200);
        let u = w.ok(&w.admin.basic, "usage.get", json!({})).await;
        assert_eq!(u["plan"], "free");
        assert_eq!(u["storage"]["used"], 1500);
        assert_eq!(u["storage"]["enforced"], true);
        assert_eq!(u["users"]["used"], 2, "Ada and Max: {u}");
        assert!(u["api_calls"]["used"].as_u64().unwrap() >= 6, "{u}");
        let today = &u["calls_this_month"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        let now = w.app.services.core.clock.now_ms();
        assert_eq!(today["day"], app::domain::timefmt::iso_utc(now)[..10]);
        assert!(today["calls"].as_u64().unwrap() >= 6);
        let period = Period::of(now);
        assert_eq!(
            u["calls_last_month"].as_array().unwrap().len() as u32,
            period.prev().days()
        );
        assert!(u["over"].as_array().unwrap().is_empty());
    })
    .await
}

/// Upgrade needs the terms and names each bad field; on Pro the estimate adds up line by line;
/// downgrade goes through when the usage fits.
#[tokio::test]
async fn upgrade_estimate_and_downgrade() {
    on_sqlite(async |w: Api| {
        let refused = |field: &'static str, body: serde_json::Value| {
            let w = &w;
            async move {
                let (status, v) = w.call(&w.admin.basic, "billing.upgrade", body).await;
                assert_eq!(status, 400, "{field}: {v}");
                let msg = v["meta"]["result_msg"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                assert!(msg.contains(field), "{field}: {msg}");
            }
        };
        refused(
            "accept_terms",
            json!({"info": info(), "accept_terms": false}),
        )
        .await;
        let mut bad = info();
        bad["email"] = json!("not an address");
        refused("email", json!({"info": bad, "accept_terms": true})).await;
        let mut bad = info();
        bad["vat_id"] = json!("x!");
        refused("vat_id", json!({"info": bad, "accept_terms": true})).await;
        let mut bad = info();
        bad["payment_method"] = json!("card");
        refused("payment_method", json!({"info": bad, "accept_terms": true})).await;
        assert_eq!(
            w.ok(&w.admin.basic, "billing.get_plan", json!({})).await["plan"],
            "free"
        );

        let plan = upgrade(&w).await;
        assert_eq!(plan["plan"], "pro");
        assert_eq!(plan["info"]["vat_id"], "DE123456789");
        let estimate = &plan["estimate"];
        let lines = estimate["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 3);
        let sum: i64 = lines
            .iter()
            .map(|l| l["amount_cents"].as_i64().unwrap())
            .sum();
        assert_eq!(estimate["total_cents"].as_i64().unwrap(), sum);
        // Two users at $15.00 for the days left in this month, rounded half up.
        let now = w.app.services.core.clock.now_ms();
        let period = Period::of(now);
        let days_left = i64::from(period.days() - period.day_index(now));
        let expected =
            (2 * 1500 * days_left * 2 + i64::from(period.days())) / (2 * i64::from(period.days()));
        assert_eq!(
            lines[0]["amount_cents"].as_i64().unwrap(),
            expected,
            "{estimate}"
        );
        let (status, _) = w
            .call(
                &w.admin.basic,
                "billing.upgrade",
                json!({"info": info(), "accept_terms": true}),
            )
            .await;
        assert_eq!(status, 409);

        let plan = w.ok(&w.admin.basic, "billing.downgrade", json!({})).await;
        assert_eq!(plan["plan"], "free");
        // The day on Pro is still estimated (and will be invoiced).
        assert!(plan["estimate"]["pro_days"].as_u64().unwrap() >= 1);
        let log = w.ok(&w.admin.basic, "audit.get_all", json!({})).await;
        let actions: Vec<&str> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert!(actions.contains(&"billing.upgrade") && actions.contains(&"billing.downgrade"));
    })
    .await
}

/// A downgrade is refused while the usage does not fit Free, saying what is over.
#[tokio::test]
async fn downgrade_waits_until_the_usage_fits() {
    let mut s = settings();
    s.prices = PriceTable::default();
    s.prices.free.users = 1;
    crate::common::with_sqlite(|db| async move {
        let w = Api::over_services(services_with(db, s)).await;
        upgrade(&w).await;
        let (status, v) = w.call(&w.admin.basic, "billing.downgrade", json!({})).await;
        assert_eq!(status, 400, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("Users: 2 of 1"),
            "{v}"
        );
        let u = w.ok(&w.admin.basic, "usage.get", json!({})).await;
        assert_eq!(u["plan"], "pro");
    })
    .await
}

/// Two replicas over one database run the invoice job at once, over and over, after two months
/// went by: exactly one invoice per month on Pro, numbered 1 and 2.
async fn invoices_once_per_period(w: Api) {
    upgrade(&w).await;
    let first = Period::of(w.app.services.core.clock.now_ms());
    let other = Services::new(w.app.services.core.as_ref().clone());
    // Both replicas' clocks go past the end of next month.
    let ahead = first.next().end_ms() - w.app.services.core.clock.now_ms() + DAY_MS;
    w.app.services.core.clock.advance(ahead);
    let mut runs = Vec::new();
    for i in 0..16 {
        let s = if i % 2 == 0 {
            w.app.services.clone()
        } else {
            other.clone()
        };
        runs.push(tokio::spawn(
            async move { s.billing.issue_due().await.unwrap() },
        ));
    }
    let mut issued = 0;
    for r in runs {
        issued += r.await.unwrap();
    }
    assert_eq!(issued, 2);
    assert_eq!(w.app.services.billing.issue_due().await.unwrap(), 0);
    let list = w
        .ok(&w.admin.basic, "billing.get_invoices", json!({}))
        .await;
    let invoices = list["invoices"].as_array().unwrap();
    let numbers: Vec<&str> = invoices
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["A-000002", "A-000001"]);
    assert_eq!(invoices[1]["period"], first.to_string());
    assert_eq!(invoices[0]["period"], first.next().to_string());
    // The PDF says what the invoice says; another workspace's administrator gets nothing.
    let pdf = w
        .ok(
            &w.admin.basic,
            "billing.get_invoice_pdf",
            json!({"invoice": "A-000001"}),
        )
        .await;
    assert_eq!(pdf["content_type"], "application/pdf");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pdf["data"].as_str().unwrap())
        .unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes).unwrap();
    for expected in [
        "A-000001",
        "Müller GmbH",
        "VAT ID: DE123456789",
        &first.label(),
        invoices[1]["total"].as_str().unwrap(),
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    let (status, _) = w
        .call(
            &w.outsider.basic,
            "billing.get_invoice_pdf",
            json!({"invoice": "A-000001"}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invoices_once_per_period_on_sqlite() {
    on_sqlite(invoices_once_per_period).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invoices_once_per_period_on_postgres() {
    on_postgres(invoices_once_per_period).await
}

/// EMAIL INVOICES: every invoice arrives at the billing address as a PDF attachment, through a
/// real SMTP server on loopback; without a mail server the answer says so.
#[tokio::test]
async fn invoices_go_by_email_with_their_pdfs() {
    let mail = MailServer::start().await;
    let s = mail.settings();
    crate::common::with_sqlite(|db| async move {
        let w = Api::over_services(services_with(db.clone(), s)).await;
        let (status, v) = w
            .call(&w.admin.basic, "billing.email_invoices", json!({}))
            .await;
        assert_eq!(status, 400, "{v}");
        upgrade(&w).await;
        let (status, v) = w
            .call(&w.admin.basic, "billing.email_invoices", json!({}))
            .await;
        assert_eq!(status, 400, "{v}");
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("no invoices yet"),
            "{v}"
        );
        let core = &w.app.services.core;
        let first = Period::of(core.clock.now_ms());
        core.clock
            .advance(first.end_ms() - core.clock.now_ms() + DAY_MS);
        assert_eq!(w.app.services.billing.issue_due().await.unwrap(), 1);
        let sent = w
            .ok(&w.admin.basic, "billing.email_invoices", json!({}))
            .await;
        assert_eq!(sent["sent_to"], "billing@example.com");
        let mut message = None;
        for _ in 0..100 {
            message = mail
                .messages()
                .into_iter()
                .find(|m| m.contains("To: billing@example.com"));
            if message.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let message = message.expect("the invoices' e-mail arrived");
        assert!(
            message.contains("Content-Type: application/pdf"),
            "{message}"
        );
        let at = message
            .find("filename=\"A-000001.pdf\"")
            .expect("the PDF is attached");
        let body = &message[at..];
        let start = body
            .find("\r\n\r\n")
            .map(|i| i + 4)
            .or_else(|| body.find("\n\n").map(|i| i + 2))
            .unwrap();
        let b64: String = body[start..]
            .lines()
            .take_while(|l| !l.starts_with("--") && !l.trim().is_empty())
            .collect();
        use base64::Engine;
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap();
        assert!(pdf_text(&pdf).unwrap().contains("Invoice A-000001"));
    })
    .await;
    // Without a mail server.
    on_sqlite(async |w: Api| {
        upgrade(&w).await;
        let (status, v) = w
            .call(&w.admin.basic, "billing.email_invoices", json!({}))
            .await;
        assert_eq!(status, 400);
        assert!(
            v["meta"]["result_msg"]
                .as_str()
                .unwrap()
                .contains("No mail server"),
            "{v}"
        );
    })
    .await
}

/// The README's price table is the defaults, word for word.
#[test]
fn the_readme_documents_the_default_prices() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme.split("### Usage & billing").nth(1).unwrap();
    let block = section
        .split("```toml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let table: PriceTable = toml::from_str(block).unwrap();
    assert_eq!(table, PriceTable::default());
    table.check().unwrap();
}

/// Without hard limits, calls past the Free allowance go on and the page says by how much; with
/// them, the workspace's calls are refused (429) until it moves to Pro, while billing stays open
/// and other workspaces are untouched.
#[tokio::test]
async fn hard_limits_refuse_calls_past_the_free_allowance() {
    for hard in [false, true] {
        let mut s = settings();
        s.prices.free.api_calls = 10;
        s.prices.hard_limits = hard;
        crate::common::with_sqlite(|db| async move {
            let w = Api::over_services(services_with(db, s)).await;
            for _ in 0..12 {
                w.ok(&w.admin.basic, "users.get_current_user", json!({}))
                    .await;
            }
            w.app
                .services
                .core
                .usage
                .flush(&w.app.services.core.db)
                .await;
            w.app.services.billing.refresh_api_limits().await.unwrap();
            let (status, v) = w.call(&w.member.basic, "projects.get_all", json!({})).await;
            if !hard {
                assert_eq!(status, 200, "{v}");
                let u = w.ok(&w.admin.basic, "usage.get", json!({})).await;
                let over = u["over"][0].as_str().unwrap();
                assert!(
                    over.starts_with("API calls:") && over.contains("over"),
                    "{over}"
                );
                return;
            }
            assert_eq!(status, 429, "{v}");
            assert!(
                v["meta"]["result_msg"]
                    .as_str()
                    .unwrap()
                    .contains("10 API calls of the Free plan"),
                "{v}"
            );
            // Another workspace goes on.
            w.ok(&w.outsider.basic, "projects.get_all", json!({})).await;
            // Billing stays open: upgrading lets the calls through at once.
            upgrade(&w).await;
            w.ok(&w.member.basic, "projects.get_all", json!({})).await;
            w.app.services.billing.refresh_api_limits().await.unwrap();
            w.ok(&w.member.basic, "projects.get_all", json!({})).await;
        })
        .await
    }
}
