//! Usage & billing of a workspace (its administrators): the users, storage and API calls it uses
//! against its plan, the plan (Free or Pro) and the current period's estimated charges, billing
//! information, and invoices — issued by a background job at the end of each period, rendered as
//! PDF, and e-mailed to the billing address. The arithmetic is in [`crate::domain::billing`]; the
//! prices come from the price table the server administrator configures (`--prices`).
//!
//! Invoices are issued inside a write transaction that holds the workspace's lock
//! ([`store::billing::lock_workspace`]): the next number is one more than the last, a period has at
//! most one invoice (a unique key), so several replicas running the job at once issue each invoice
//! exactly once and leave no gap in the numbers.

pub mod pdf;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use app::api::billing::{
    BillingInfo, BillingOverview, DayCalls, Figure, InvoiceEntry, PlanView, UsageView,
};
use app::domain::AppError;
use app::domain::audit::AuditObject;
use app::domain::billing::{
    self, Charges, Period, Plan, PriceTable, Usage, counted, format_bytes, format_cents,
    format_count,
};
use app::domain::identity::Admin;
use app::domain::timefmt;
use app::domain::validate;

use super::internal;
use crate::state::{Core, Object};
use crate::store;
use crate::store::Conn;

/// The terms an upgrade to Pro accepts.
pub const TERMS: &str = "Pro is billed per calendar month (UTC) in arrears: each user for the days of the month the \
workspace is on Pro, storage beyond the included amount per GB-month, and API calls beyond the included allowance per \
started 1,000. Invoices are issued at the start of the next month and are due within 30 days. You may go back to Free \
at any time your usage fits the Free limits; the days on Pro are still billed.";

/// A way of paying. Only a reference is kept here: card data, if a provider takes cards, stays
/// with the provider.
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// The id stored with the billing information.
    fn id(&self) -> &'static str;
    /// What the console shows.
    fn label(&self) -> &'static str;
    /// What an invoice says about paying it.
    fn how_to_pay(&self, invoice_number: &str) -> String;
}

/// The built-in provider: an invoice, paid by bank transfer.
#[derive(Debug)]
pub struct BankTransfer;

impl PaymentProvider for BankTransfer {
    fn id(&self) -> &'static str {
        "invoice"
    }
    fn label(&self) -> &'static str {
        "Invoice (bank transfer)"
    }
    fn how_to_pay(&self, invoice_number: &str) -> String {
        format!(
            "Bank transfer within 30 days, quoting {invoice_number}. No card data is stored by Atrium."
        )
    }
}

#[derive(Debug)]
pub struct BillingService {
    pub core: Arc<Core>,
    pub providers: Vec<Box<dyn PaymentProvider>>,
}

/// What an issued invoice says, stored with it as JSON so that it reads the same forever.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoiceDocument {
    pub number: String,
    pub period: Period,
    pub issued_ms: i64,
    pub charges: Charges,
    pub usage: Usage,
    pub bill_to: BillingInfo,
}

impl BillingService {
    pub fn new(core: Arc<Core>) -> Self {
        Self {
            core,
            providers: vec![Box::new(BankTransfer)],
        }
    }

    fn prices(&self) -> &PriceTable {
        &self.core.settings.prices
    }

    fn provider(&self, id: &str) -> Option<&dyn PaymentProvider> {
        self.providers
            .iter()
            .find(|p| p.id() == id)
            .map(|p| p.as_ref())
    }

    /// The Usage & Billing page's data: usage and the plan, from one reading.
    pub async fn overview(&self, who: &Admin<'_>) -> Result<BillingOverview, AppError> {
        let (mut conn, now) = self.reading().await?;
        let at = Snapshot::of(&mut conn, &who.workspace_id, now).await?;
        Ok(BillingOverview {
            usage: self.usage_of(&mut conn, &who.workspace_id, &at).await?,
            plan: self.plan_of(&mut conn, &who.workspace_id, &at).await?,
        })
    }

    /// A connection to read from, and the time, once the counted calls not yet written are in
    /// (so that figures include the latest).
    async fn reading(&self) -> Result<(sqlx::pool::PoolConnection<sqlx::Any>, i64), AppError> {
        self.core.usage.flush(&self.core.db).await;
        let conn = self.core.db.pool.acquire().await.map_err(internal)?;
        Ok((conn, self.core.clock.now_ms()))
    }

    /// What the workspace uses now, against its plan.
    pub async fn usage(&self, who: &Admin<'_>) -> Result<UsageView, AppError> {
        let (mut conn, now) = self.reading().await?;
        let at = Snapshot::of(&mut conn, &who.workspace_id, now).await?;
        self.usage_of(&mut conn, &who.workspace_id, &at).await
    }

    async fn usage_of(
        &self,
        conn: &mut Conn,
        ws: &str,
        at: &Snapshot,
    ) -> Result<UsageView, AppError> {
        let Snapshot {
            now,
            plan,
            period,
            measured,
            ..
        } = *at;
        let prices = self.prices();
        let seat_limit = store::workspaces::max_members(conn, ws).await?;
        let (users_limit, storage_limit, calls_limit) = match plan {
            Plan::Free => (
                Some(u64::from(prices.free.users)),
                Some(prices.free.storage_bytes),
                Some(prices.free.api_calls),
            ),
            Plan::Pro => (
                prices.pro.users_max.map(u64::from),
                None,
                Some(prices.pro.api_calls_included),
            ),
        };
        let users_limit = match (seat_limit, users_limit) {
            (Some(s), Some(p)) => Some((s.max(0) as u64).min(p)),
            (Some(s), None) => Some(s.max(0) as u64),
            (None, p) => p,
        };
        let used_users = u64::from(measured.users);
        let users = Figure {
            used: used_users,
            limit: users_limit,
            text: match users_limit {
                Some(l) => format!(
                    "{} of {}",
                    format_count(used_users),
                    counted(l, "user", "users")
                ),
                None => counted(used_users, "user", "users"),
            },
            enforced: seat_limit.is_some(),
        };
        let storage = Figure {
            used: measured.storage_bytes,
            limit: storage_limit,
            text: match (plan, storage_limit) {
                (_, Some(l)) => format!(
                    "{} of {} ({} available)",
                    format_bytes(measured.storage_bytes),
                    format_bytes(l),
                    format_bytes(l.saturating_sub(measured.storage_bytes))
                ),
                _ => format!(
                    "{} ({} included)",
                    format_bytes(measured.storage_bytes),
                    format_bytes(prices.pro.storage_included_bytes)
                ),
            },
            enforced: plan == Plan::Free,
        };
        let api_calls = Figure {
            used: measured.api_calls,
            limit: calls_limit,
            text: match (plan, calls_limit) {
                (Plan::Free, Some(l)) => format!(
                    "{} of {} calls this month",
                    format_count(measured.api_calls),
                    format_count(l)
                ),
                (_, Some(l)) => format!(
                    "{} calls this month ({} included)",
                    format_count(measured.api_calls),
                    format_count(l)
                ),
                _ => format!("{} calls this month", format_count(measured.api_calls)),
            },
            enforced: plan == Plan::Free && prices.hard_limits,
        };
        let over = billing::over_limits(plan, &measured, prices)
            .iter()
            .map(|o| o.describe())
            .collect();
        let calls_this_month = calls_by_day(conn, ws, period, Some(now)).await?;
        let calls_last_month = calls_by_day(conn, ws, period.prev(), None).await?;
        Ok(UsageView {
            plan,
            period: period.to_string(),
            users,
            storage,
            api_calls,
            calls_this_month,
            calls_last_month,
            over,
        })
    }

    /// The plan, the prices, the estimate of the current period and the billing information.
    pub async fn get_plan(&self, who: &Admin<'_>) -> Result<PlanView, AppError> {
        let (mut conn, now) = self.reading().await?;
        let at = Snapshot::of(&mut conn, &who.workspace_id, now).await?;
        self.plan_of(&mut conn, &who.workspace_id, &at).await
    }

    async fn plan_of(
        &self,
        conn: &mut Conn,
        ws: &str,
        at: &Snapshot,
    ) -> Result<PlanView, AppError> {
        let Snapshot {
            now,
            ref history,
            plan,
            period,
            measured,
        } = *at;
        let prices = self.prices();
        let charges = billing::charges(period, history, &measured, prices);
        let estimate = (charges.pro_days > 0).then_some(charges);
        let downgrade_blocked_by = match (plan, billing::can_downgrade(&measured, prices)) {
            (Plan::Pro, Err(over)) => over.iter().map(|o| o.describe()).collect(),
            _ => Vec::new(),
        };
        let info = store::billing::info(conn, ws).await?.map(info_of);
        Ok(PlanView {
            plan,
            since_ms: history
                .iter()
                .rev()
                .find(|s| s.from_ms <= now)
                .map(|s| s.from_ms),
            free_summary: free_summary(prices),
            pro_summary: pro_summary(prices),
            terms: TERMS.to_string(),
            estimate_total: estimate
                .as_ref()
                .map(|c| format_cents(c.total_cents, &c.currency)),
            estimate,
            downgrade_blocked_by,
            info,
            payment_methods: self
                .providers
                .iter()
                .map(|p| (p.id().to_string(), p.label().to_string()))
                .collect(),
        })
    }

    /// Checks billing information: each field named in its error.
    fn checked_info(&self, info: BillingInfo) -> Result<BillingInfo, AppError> {
        let name = validate::display_name("name", &info.name)?;
        let company = validate::optional_text("company", &info.company, 200)?;
        let address = info.address.trim().to_string();
        if address.is_empty() {
            return Err(AppError::validation(
                "address",
                "Enter the billing address.",
            ));
        }
        if address.chars().count() > 500 {
            return Err(AppError::validation(
                "address",
                "The address is at most 500 characters.",
            ));
        }
        let vat_id: String = info
            .vat_id
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if !vat_id.is_empty()
            && (vat_id.len() < 4
                || vat_id.len() > 20
                || !vat_id.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(AppError::validation(
                "vat_id",
                "A VAT id is 4 to 20 letters and digits, such as DE123456789.",
            ));
        }
        let email = validate::email("email", &info.email)?;
        if self.provider(&info.payment_method).is_none() {
            return Err(AppError::validation(
                "payment_method",
                format!(
                    "Choose one of: {}.",
                    self.providers
                        .iter()
                        .map(|p| p.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(BillingInfo {
            name,
            company,
            address,
            vat_id,
            email,
            payment_method: info.payment_method,
        })
    }

    /// Moves the workspace to Pro now, with its billing information; the terms must be accepted.
    pub async fn upgrade(
        &self,
        who: &Admin<'_>,
        info: BillingInfo,
        accept_terms: bool,
    ) -> Result<(), AppError> {
        if !accept_terms {
            return Err(AppError::validation(
                "accept_terms",
                "Accept the terms to upgrade.",
            ));
        }
        let info = self.checked_info(info)?;
        let ws = who.workspace_id.clone();
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        store::billing::lock_workspace(&mut tx, &ws).await?;
        let history = store::billing::plan_history(&mut tx, &ws).await?;
        if billing::plan_at(&history, now) == Plan::Pro {
            return Err(AppError::Conflict(
                "The workspace is on Pro already.".into(),
            ));
        }
        store::billing::put_info(&mut tx, &ws, &row_of(&info, Some(now), now)).await?;
        store::billing::start_plan(&mut tx, &ws, Plan::Pro, now, &who.user_id).await?;
        self.core.usage.unblock(&ws);
        tx.audit(
            "billing.upgrade",
            self.object(&ws),
            &json!({"before": {"plan": "free"}, "after": {"plan": "pro", "billing_email": info.email}}),
        )
        .await?;
        tx.commit().await
    }

    /// Moves the workspace back to Free now, when its usage fits the Free limits.
    pub async fn downgrade(&self, who: &Admin<'_>) -> Result<(), AppError> {
        self.core.usage.flush(&self.core.db).await;
        let ws = who.workspace_id.clone();
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        store::billing::lock_workspace(&mut tx, &ws).await?;
        let history = store::billing::plan_history(&mut tx, &ws).await?;
        if billing::plan_at(&history, now) != Plan::Pro {
            return Err(AppError::Conflict(
                "The workspace is on Free already.".into(),
            ));
        }
        let measured = measure(&mut tx, &ws, Period::of(now)).await?;
        if let Err(over) = billing::can_downgrade(&measured, self.prices()) {
            return Err(AppError::validation(
                "plan",
                format!(
                    "The usage does not fit the Free plan: {}",
                    over.iter()
                        .map(|o| o.describe())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ));
        }
        store::billing::start_plan(&mut tx, &ws, Plan::Free, now, &who.user_id).await?;
        tx.audit(
            "billing.downgrade",
            self.object(&ws),
            &json!({"before": {"plan": "pro"}, "after": {"plan": "free"}}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn info(&self, who: &Admin<'_>) -> Result<Option<BillingInfo>, AppError> {
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        Ok(store::billing::info(&mut conn, &who.workspace_id)
            .await?
            .map(info_of))
    }

    /// Replaces the billing information (and the payment method).
    pub async fn set_info(
        &self,
        who: &Admin<'_>,
        info: BillingInfo,
    ) -> Result<BillingInfo, AppError> {
        let info = self.checked_info(info)?;
        let ws = who.workspace_id.clone();
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let before = store::billing::info(&mut tx, &ws).await?;
        let accepted = before.as_ref().and_then(|b| b.terms_accepted_ms);
        store::billing::put_info(&mut tx, &ws, &row_of(&info, accepted, now)).await?;
        tx.audit(
            "billing.set_info",
            self.object(&ws),
            &json!({"before": before.map(|b| json!({"email": b.email, "payment_method": b.payment_method})),
                    "after": {"email": info.email, "payment_method": info.payment_method}}),
        )
        .await?;
        tx.commit().await?;
        Ok(info)
    }

    /// The workspace's invoices, newest first.
    pub async fn invoices(&self, who: &Admin<'_>) -> Result<Vec<InvoiceEntry>, AppError> {
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        store::billing::invoices(&mut conn, &who.workspace_id)
            .await?
            .into_iter()
            .map(|r| {
                let period = Period::parse(&r.period).map_err(internal)?;
                Ok(InvoiceEntry {
                    number: billing::invoice_number(r.seq as u64),
                    period: r.period,
                    period_label: period.label(),
                    issued_ms: r.issued_ms,
                    total: format_cents(r.total_cents, &r.currency),
                    total_cents: r.total_cents,
                    currency: r.currency,
                })
            })
            .collect()
    }

    /// One invoice as a PDF: `(file name, bytes)`. Not found for another workspace's number.
    pub async fn invoice_pdf(
        &self,
        who: &Admin<'_>,
        number: &str,
    ) -> Result<(String, Vec<u8>), AppError> {
        let seq = parse_number(number).ok_or_else(|| AppError::not_found("invoice"))?;
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        let row = store::billing::invoice_by_seq(&mut conn, &who.workspace_id, seq)
            .await?
            .ok_or_else(|| AppError::not_found("invoice"))?;
        let doc: InvoiceDocument = serde_json::from_str(&row.document).map_err(internal)?;
        let bytes = self.render(&doc)?;
        Ok((format!("{}.pdf", doc.number), bytes))
    }

    fn render(&self, doc: &InvoiceDocument) -> Result<Vec<u8>, AppError> {
        let currency = &doc.charges.currency;
        let info = &doc.bill_to;
        let mut bill_to = vec![info.name.clone()];
        if !info.company.is_empty() {
            bill_to.push(info.company.clone());
        }
        bill_to.extend(info.address.lines().map(str::to_string));
        if !info.vat_id.is_empty() {
            bill_to.push(format!("VAT ID: {}", info.vat_id));
        }
        bill_to.push(info.email.clone());
        let payment = self
            .provider(&info.payment_method)
            .unwrap_or(&BankTransfer)
            .how_to_pay(&doc.number);
        pdf::render_invoice(&pdf::InvoiceDocument {
            number: doc.number.clone(),
            issued: timefmt::short_date(doc.issued_ms),
            period: doc.period.label(),
            seller: vec!["Atrium".into(), self.core.settings.public_url.clone()],
            bill_to,
            lines: doc
                .charges
                .lines
                .iter()
                .map(|l| pdf::InvoiceLine {
                    description: l.description.clone(),
                    quantity: l.quantity.clone(),
                    amount: format_cents(l.amount_cents, currency),
                })
                .collect(),
            total: format_cents(doc.charges.total_cents, currency),
            payment,
        })
        .map_err(internal)
    }

    /// Sends every invoice, as PDF attachments of one message, to the billing e-mail address;
    /// the address it went to.
    pub async fn email_invoices(&self, who: &Admin<'_>) -> Result<String, AppError> {
        let smtp = self.core.settings.smtp.as_ref().ok_or_else(|| {
            AppError::validation(
                "email",
                "No mail server is configured on this server (--smtp-host); download the invoices instead.",
            )
        })?;
        let info = self
            .info(who)
            .await?
            .ok_or_else(|| AppError::validation("email", "Enter the billing information first."))?;
        let rows = {
            let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
            store::billing::invoices(&mut conn, &who.workspace_id).await?
        };
        if rows.is_empty() {
            return Err(AppError::validation(
                "invoices",
                "There are no invoices yet: the first is issued after the first month on Pro.",
            ));
        }
        let mut attachments = Vec::with_capacity(rows.len());
        let mut listed = Vec::with_capacity(rows.len());
        for r in &rows {
            let doc: InvoiceDocument = serde_json::from_str(&r.document).map_err(internal)?;
            listed.push(format!(
                "{}  {}  {}",
                doc.number,
                doc.period.label(),
                format_cents(r.total_cents, &r.currency)
            ));
            attachments.push(crate::mail::Attachment {
                filename: format!("{}.pdf", doc.number),
                content_type: "application/pdf".into(),
                bytes: self.render(&doc)?,
            });
        }
        let mail = crate::mail::Mail {
            to: info.email.clone(),
            subject: format!("Your invoices for {} on Atrium", who.workspace_name),
            body: format!(
                "Attached are the invoices of the workspace {}:\n\n{}\n",
                who.workspace_name,
                listed.join("\n")
            ),
            attachments,
        };
        crate::mail::send(smtp, mail)
            .await
            .map_err(|e| AppError::validation("email", format!("Not sent: {e}.")))?;
        Ok(info.email)
    }

    fn object<'a>(&self, workspace_id: &'a str) -> Object<'a> {
        Object {
            kind: AuditObject::Billing,
            id: workspace_id,
            name: "billing",
        }
    }

    /// With hard limits in the price table: works out which workspaces on Free used up their API
    /// calls this month, whose calls are then refused (every replica does this after writing its
    /// counts, so a workspace is cut off within seconds of its last allowed call). Without hard
    /// limits nobody is.
    pub async fn refresh_api_limits(&self) -> Result<(), AppError> {
        let prices = self.prices();
        if !prices.hard_limits {
            return Ok(());
        }
        let now = self.core.clock.now_ms();
        let period = Period::of(now);
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        let over = store::billing::workspaces_with_calls(
            &mut conn,
            &first_day(period),
            &last_day(period),
            i64::try_from(prices.free.api_calls).unwrap_or(i64::MAX),
        )
        .await?;
        let mut blocked = std::collections::HashSet::new();
        for ws in over {
            let history = store::billing::plan_history(&mut conn, &ws).await?;
            if !billing::api_calls_allowed(
                billing::plan_at(&history, now),
                prices.free.api_calls,
                prices,
            ) {
                blocked.insert(ws);
            }
        }
        self.core.usage.set_blocked(blocked);
        Ok(())
    }

    /// Issues the invoices due by now in every workspace that was ever on Pro; how many were
    /// issued. Safe to run on several replicas at once (see the module's note).
    pub async fn issue_due(&self) -> Result<usize, AppError> {
        let workspaces = {
            let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
            store::billing::workspaces_ever_pro(&mut conn).await?
        };
        if workspaces.is_empty() {
            return Ok(0);
        }
        self.core.usage.flush(&self.core.db).await;
        let mut issued = 0;
        for ws in workspaces {
            issued += self.issue_due_in(&ws).await?;
        }
        Ok(issued)
    }

    /// Issues the invoices due in one workspace; how many. A look without the write lock first,
    /// so that a workspace with nothing due costs the job one read.
    async fn issue_due_in(&self, ws: &str) -> Result<usize, AppError> {
        {
            let now = self.core.clock.now_ms();
            let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
            if self.due(&mut conn, ws, now).await?.is_empty() {
                return Ok(0);
            }
        }
        let mut tx = self.core.begin_unattributed().await?;
        let now = tx.now();
        store::billing::lock_workspace(&mut tx, ws).await?;
        let due = self.due(&mut tx, ws, now).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let history = store::billing::plan_history(&mut tx, ws).await?;
        let bill_to = store::billing::info(&mut tx, ws)
            .await?
            .map(info_of)
            .unwrap_or_default();
        let mut issued = 0;
        for period in due {
            let usage = measure(&mut tx, ws, period).await?;
            let charges = billing::charges(period, &history, &usage, self.prices());
            let seq = store::billing::next_invoice_seq(&mut tx, ws).await?;
            let doc = InvoiceDocument {
                number: billing::invoice_number(u64::try_from(seq).map_err(internal)?),
                period,
                issued_ms: now,
                charges,
                usage,
                bill_to: bill_to.clone(),
            };
            let row = store::billing::InvoiceRow {
                seq,
                period: period.to_string(),
                issued_ms: now,
                currency: doc.charges.currency.clone(),
                total_cents: doc.charges.total_cents,
                document: serde_json::to_string(&doc).map_err(internal)?,
            };
            if store::billing::insert_invoice(&mut tx, ws, &row).await? {
                issued += 1;
            }
        }
        tx.commit().await?;
        Ok(issued)
    }

    /// The periods the workspace still has to be invoiced for, as of `now`.
    async fn due(&self, conn: &mut Conn, ws: &str, now: i64) -> Result<Vec<Period>, AppError> {
        let history = store::billing::plan_history(conn, ws).await?;
        let last = store::billing::last_invoiced_period(conn, ws)
            .await?
            .map(|p| Period::parse(&p).map_err(internal))
            .transpose()?;
        Ok(billing::periods_to_invoice(last, &history, now))
    }
}

/// `A-000042` → 42.
fn parse_number(number: &str) -> Option<i64> {
    let digits = number.trim().strip_prefix(billing::INVOICE_PREFIX)?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// What both halves of the page start from: the time, the plan history and the plan now, this
/// month, and the usage in it.
struct Snapshot {
    now: i64,
    history: Vec<billing::PlanSpan>,
    plan: Plan,
    period: Period,
    measured: Usage,
}

impl Snapshot {
    async fn of(conn: &mut Conn, ws: &str, now: i64) -> Result<Self, AppError> {
        let history = store::billing::plan_history(conn, ws).await?;
        let period = Period::of(now);
        Ok(Self {
            now,
            plan: billing::plan_at(&history, now),
            history,
            period,
            measured: measure(conn, ws, period).await?,
        })
    }
}

/// The usage of a workspace in a period: its people now, the bytes it stores now, and its API
/// calls in the period.
async fn measure(conn: &mut Conn, ws: &str, period: Period) -> Result<Usage, AppError> {
    let users = store::workspaces::members(conn, ws)
        .await?
        .iter()
        .filter(|m| m.kind == "person")
        .count();
    let storage = store::files::total_bytes(conn, ws).await?;
    let days = store::workspaces::api_calls_by_day(conn, ws, &first_day(period), &last_day(period))
        .await?;
    Ok(Usage {
        users: u32::try_from(users).unwrap_or(u32::MAX),
        storage_bytes: u64::try_from(storage).unwrap_or_default(),
        api_calls: days
            .iter()
            .map(|(_, n)| u64::try_from(*n).unwrap_or_default())
            .sum(),
    })
}

fn first_day(period: Period) -> String {
    format!("{period}-01")
}

fn last_day(period: Period) -> String {
    format!("{period}-{:02}", period.days())
}

/// API calls per day of a period, every day (0 when none), up to `until_ms` when given.
async fn calls_by_day(
    conn: &mut Conn,
    ws: &str,
    period: Period,
    until_ms: Option<i64>,
) -> Result<Vec<DayCalls>, AppError> {
    let counted =
        store::workspaces::api_calls_by_day(conn, ws, &first_day(period), &last_day(period))
            .await?;
    let last = until_ms
        .filter(|ms| period.contains(*ms))
        .map_or(period.days(), |ms| period.day_index(ms) + 1);
    Ok((1..=last)
        .map(|d| {
            let day = format!("{period}-{d:02}");
            let calls = counted
                .iter()
                .find(|(k, _)| *k == day)
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or_default());
            DayCalls { day, calls }
        })
        .collect())
}

fn free_summary(p: &PriceTable) -> Vec<String> {
    vec![
        format!(
            "Up to {}",
            counted(u64::from(p.free.users), "user", "users")
        ),
        format!("{} of storage", format_bytes(p.free.storage_bytes)),
        format!("{} API calls a month", format_count(p.free.api_calls)),
    ]
}

fn pro_summary(p: &PriceTable) -> Vec<String> {
    let c = &p.currency;
    vec![
        format!("{} per user per month", format_cents(p.pro.user_cents, c)),
        format!(
            "{} of storage included, then {} per GB per month",
            format_bytes(p.pro.storage_included_bytes),
            format_cents(p.pro.storage_cents_per_gb, c)
        ),
        format!(
            "{} API calls a month included, then {} per 1,000",
            format_count(p.pro.api_calls_included),
            format_cents(p.pro.api_cents_per_thousand, c)
        ),
        match p.pro.users_max {
            Some(n) => format!("Up to {}", counted(u64::from(n), "user", "users")),
            None => "Any number of users".into(),
        },
    ]
}

fn info_of(r: store::billing::InfoRow) -> BillingInfo {
    BillingInfo {
        name: r.name,
        company: r.company,
        address: r.address,
        vat_id: r.vat_id,
        email: r.email,
        payment_method: r.payment_method,
    }
}

fn row_of(i: &BillingInfo, terms_accepted_ms: Option<i64>, now: i64) -> store::billing::InfoRow {
    store::billing::InfoRow {
        name: i.name.clone(),
        company: i.company.clone(),
        address: i.address.clone(),
        vat_id: i.vat_id.clone(),
        email: i.email.clone(),
        payment_method: i.payment_method.clone(),
        terms_accepted_ms,
        updated_ms: now,
    }
}

/// The storage quota of a workspace at `now` (the Free plan's storage limit; none on Pro).
pub async fn storage_quota(
    conn: &mut Conn,
    prices: &PriceTable,
    ws: &str,
    now: i64,
) -> Result<Option<u64>, AppError> {
    let history = store::billing::plan_history(conn, ws).await?;
    Ok(match billing::plan_at(&history, now) {
        Plan::Free => Some(prices.free.storage_bytes),
        Plan::Pro => None,
    })
}

/// The refusal of an upload that would take a workspace past its storage quota.
pub fn over_quota(total_after: u64, quota: u64) -> AppError {
    AppError::Refused {
        code: app::domain::error::Code::StorageQuotaExceeded,
        message: format!(
            "Storage quota exceeded: this upload would bring the workspace to {} of its {} (Free plan). Nothing was stored. Delete files or upgrade to Pro.",
            format_bytes(total_after),
            format_bytes(quota)
        ),
    }
}
