//! Plans, billing information and invoices of workspaces (usage & billing). The bytes a workspace
//! stores are in [`super::files`]; its API calls per day in [`super::workspaces`].

use sqlx::Row;

use super::Conn;
use crate::domain::billing::{Plan, PlanSpan};

/// A workspace's plan history, oldest first.
pub async fn plan_history(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Vec<PlanSpan>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT plan, from_ms FROM billing_plans WHERE workspace_id = $1 ORDER BY from_ms",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let plan: String = r.try_get(0)?;
            Ok(PlanSpan {
                plan: if plan == "pro" { Plan::Pro } else { Plan::Free },
                from_ms: r.try_get(1)?,
            })
        })
        .collect()
}

/// Starts a plan at `from_ms` (a change within the same millisecond replaces the earlier one).
pub async fn start_plan(
    conn: &mut Conn,
    workspace_id: &str,
    plan: Plan,
    from_ms: i64,
    by_user: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO billing_plans (workspace_id, from_ms, plan, by_user) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, from_ms) DO UPDATE SET plan = excluded.plan, by_user = excluded.by_user",
    )
    .bind(workspace_id)
    .bind(from_ms)
    .bind(plan_name(plan))
    .bind(by_user)
    .execute(conn)
    .await?;
    Ok(())
}

fn plan_name(plan: Plan) -> &'static str {
    match plan {
        Plan::Free => "free",
        Plan::Pro => "pro",
    }
}

/// The workspaces that were ever on Pro (the invoice job's candidates).
pub async fn workspaces_ever_pro(conn: &mut Conn) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT workspace_id FROM billing_plans WHERE plan = 'pro' ORDER BY workspace_id",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(|r| r.try_get(0)).collect()
}

/// Billing information as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoRow {
    pub name: String,
    pub company: String,
    pub address: String,
    pub vat_id: String,
    pub email: String,
    pub payment_method: String,
    pub terms_accepted_ms: Option<i64>,
    pub updated_ms: i64,
}

pub async fn info(conn: &mut Conn, workspace_id: &str) -> Result<Option<InfoRow>, sqlx::Error> {
    sqlx::query(
        "SELECT name, company, address, vat_id, email, payment_method, terms_accepted_ms, updated_ms \
         FROM billing_info WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?
    .map(|r| {
        Ok(InfoRow {
            name: r.try_get(0)?,
            company: r.try_get(1)?,
            address: r.try_get(2)?,
            vat_id: r.try_get(3)?,
            email: r.try_get(4)?,
            payment_method: r.try_get(5)?,
            terms_accepted_ms: r.try_get(6)?,
            updated_ms: r.try_get(7)?,
        })
    })
    .transpose()
}

pub async fn put_info(conn: &mut Conn, workspace_id: &str, i: &InfoRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO billing_info (workspace_id, name, company, address, vat_id, email, payment_method, \
         terms_accepted_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (workspace_id) DO UPDATE SET name = excluded.name, company = excluded.company, \
         address = excluded.address, vat_id = excluded.vat_id, email = excluded.email, \
         payment_method = excluded.payment_method, terms_accepted_ms = excluded.terms_accepted_ms, \
         updated_ms = excluded.updated_ms",
    )
    .bind(workspace_id)
    .bind(&i.name)
    .bind(&i.company)
    .bind(&i.address)
    .bind(&i.vat_id)
    .bind(&i.email)
    .bind(&i.payment_method)
    .bind(i.terms_accepted_ms)
    .bind(i.updated_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// An issued invoice as stored; `document` is the JSON of what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    pub seq: i64,
    pub period: String,
    pub issued_ms: i64,
    pub currency: String,
    pub total_cents: i64,
    pub document: String,
}

const INVOICE_COLUMNS: &str = "seq, period, issued_ms, currency, total_cents, document";

fn invoice(r: sqlx::any::AnyRow) -> Result<InvoiceRow, sqlx::Error> {
    Ok(InvoiceRow {
        seq: r.try_get(0)?,
        period: r.try_get(1)?,
        issued_ms: r.try_get(2)?,
        currency: r.try_get(3)?,
        total_cents: r.try_get(4)?,
        document: r.try_get(5)?,
    })
}

/// A workspace's invoices, newest first.
pub async fn invoices(conn: &mut Conn, workspace_id: &str) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE workspace_id = $1 ORDER BY seq DESC"
    ))
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(invoice)
    .collect()
}

pub async fn invoice_by_seq(
    conn: &mut Conn,
    workspace_id: &str,
    seq: i64,
) -> Result<Option<InvoiceRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE workspace_id = $1 AND seq = $2"
    ))
    .bind(workspace_id)
    .bind(seq)
    .fetch_optional(conn)
    .await?
    .map(invoice)
    .transpose()
}

/// The period of the workspace's latest invoice.
pub async fn last_invoiced_period(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT period FROM invoices WHERE workspace_id = $1 ORDER BY seq DESC LIMIT 1")
        .bind(workspace_id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// The number the workspace's next invoice takes: one more than its last.
pub async fn next_invoice_seq(conn: &mut Conn, workspace_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT CAST(COALESCE(MAX(seq), 0) + 1 AS BIGINT) FROM invoices WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_one(conn)
    .await?
    .try_get(0)
}

/// Records an invoice; false when its period has one already (another replica issued it). Run it
/// in a transaction holding the workspace's lock ([`lock_workspace`]) with the number
/// [`next_invoice_seq`] gave, so that numbers follow each other without gaps; the unique keys
/// refuse a duplicate number or period anyway.
pub async fn insert_invoice(
    conn: &mut Conn,
    workspace_id: &str,
    invoice: &InvoiceRow,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO invoices (workspace_id, seq, period, issued_ms, currency, total_cents, document) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id, period) DO NOTHING",
    )
    .bind(workspace_id)
    .bind(invoice.seq)
    .bind(&invoice.period)
    .bind(invoice.issued_ms)
    .bind(&invoice.currency)
    .bind(invoice.total_cents)
    .bind(&invoice.document)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the workspace row's lock until the transaction ends, so that billing changes and quota
/// checks of one workspace take turns: on PostgreSQL a row lock (which leaves references to the
/// workspace free); SQLite's write transaction holds the whole database already.
pub async fn lock_workspace(conn: &mut Conn, workspace_id: &str) -> Result<(), sqlx::Error> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM workspaces WHERE id = $1 FOR NO KEY UPDATE")
            .bind(workspace_id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The workspaces whose API calls from day `first` to day `last` (`YYYY-MM-DD`) reach `at_least`.
pub async fn workspaces_with_calls(
    conn: &mut Conn,
    first: &str,
    last: &str,
    at_least: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query(
        "SELECT workspace_id FROM api_usage_days WHERE day >= $1 AND day <= $2 \
         GROUP BY workspace_id HAVING CAST(SUM(calls) AS BIGINT) >= $3 ORDER BY workspace_id",
    )
    .bind(first)
    .bind(last)
    .bind(at_least)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| r.try_get(0))
    .collect()
}
