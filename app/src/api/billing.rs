//! Usage & billing of the caller's workspace (its administrators): what it uses against its plan,
//! the plan and the estimated charges, billing information, invoices.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::AppError;
use crate::domain::billing::{Charges, Plan};

/// What the Usage page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UsageView {
    pub plan: Plan,
    /// The period (`YYYY-MM`, UTC) the figures are for.
    pub period: String,
    pub users: Figure,
    pub storage: Figure,
    pub api_calls: Figure,
    /// API calls per day (UTC) of this month so far, from its first day.
    pub calls_this_month: Vec<DayCalls>,
    /// API calls per day (UTC) of the previous month, every day of it.
    pub calls_last_month: Vec<DayCalls>,
    /// What is over a limit of the plan and by how much, in words.
    pub over: Vec<String>,
}

/// One figure of usage and the plan's limit on it (`None`: no limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Figure {
    pub used: u64,
    pub limit: Option<u64>,
    /// The figure as people read it, such as "1.2 GB of 100 GB" or "3 of 3 users".
    pub text: String,
    /// Whether the limit is enforced (storage on Free; API calls with hard limits).
    pub enforced: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct DayCalls {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub calls: u64,
}

/// The plan, its prices, what the current period is estimated to cost, and what billing needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PlanView {
    pub plan: Plan,
    /// When the current plan started (ms since the epoch); `None`: Free from the start.
    pub since_ms: Option<i64>,
    /// The Free plan's limits and the Pro plan's prices, as sentences.
    pub free_summary: Vec<String>,
    pub pro_summary: Vec<String>,
    /// The terms an upgrade accepts.
    pub terms: String,
    /// The current period's estimated charges (Pro at some moment of it), line by line.
    #[cfg_attr(feature = "ssr", schemars(with = "Option<serde_json::Value>"))]
    pub estimate: Option<Charges>,
    /// The total of `estimate` as people read it.
    pub estimate_total: Option<String>,
    /// On Pro: why a downgrade to Free is not possible now (empty: it is).
    pub downgrade_blocked_by: Vec<String>,
    pub info: Option<BillingInfo>,
    /// The payment methods on offer, `(id, label)`.
    pub payment_methods: Vec<(String, String)>,
}

/// Who is billed and how. Card data is never kept here: a payment provider would hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct BillingInfo {
    pub name: String,
    #[serde(default)]
    pub company: String,
    pub address: String,
    #[serde(default)]
    pub vat_id: String,
    /// Where invoices are sent.
    pub email: String,
    /// A payment method's id (see `PlanView::payment_methods`).
    pub payment_method: String,
}

/// One issued invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct InvoiceEntry {
    pub number: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Such as "November 2026".
    pub period_label: String,
    pub issued_ms: i64,
    pub total_cents: i64,
    pub currency: String,
    /// Such as "$60.00".
    pub total: String,
}

/// The Usage & Billing page: usage and the plan, read together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingOverview {
    pub usage: UsageView,
    pub plan: PlanView,
}

#[server(prefix = "/fn/admin", endpoint = "billing.overview")]
pub async fn overview() -> Result<BillingOverview, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .billing
                .overview(
                    &caller()?
                        .identity
                        .admin("see the workspace's usage and plan")?,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "billing.upgrade")]
pub async fn upgrade(info: BillingInfo, accept_terms: bool) -> Result<PlanView, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            let who = caller()?.identity;
            let admin = who.admin("upgrade the workspace")?;
            let billing = &services()?.billing;
            billing.upgrade(&admin, info, accept_terms).await?;
            billing.get_plan(&admin).await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "billing.downgrade")]
pub async fn downgrade() -> Result<PlanView, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            let who = caller()?.identity;
            let admin = who.admin("downgrade the workspace")?;
            let billing = &services()?.billing;
            billing.downgrade(&admin).await?;
            billing.get_plan(&admin).await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "billing.set_info")]
pub async fn set_info(info: BillingInfo) -> Result<BillingInfo, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .billing
                .set_info(
                    &caller()?.identity.admin("change the billing information")?,
                    info,
                )
                .await
        }
        .await,
    )
}

#[server(prefix = "/fn/admin", endpoint = "billing.invoices")]
pub async fn invoices() -> Result<Vec<InvoiceEntry>, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .billing
                .invoices(&caller()?.identity.admin("see the invoices")?)
                .await
        }
        .await,
    )
}

/// Sends every invoice to the billing e-mail address; the address it went to.
#[server(prefix = "/fn/admin", endpoint = "billing.email_invoices")]
pub async fn email_invoices() -> Result<String, AppError> {
    use super::backend::*;
    with_request_id(
        async {
            services()?
                .billing
                .email_invoices(&caller()?.identity.admin("e-mail the invoices")?)
                .await
        }
        .await,
    )
}
