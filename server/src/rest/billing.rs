//! Usage & billing through the API (administrators of the workspace): usage against the plan, the
//! plan and the estimated charges, upgrade and downgrade, billing information, invoices (as PDF),
//! and invoices by e-mail.

use base64::Engine;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use app::api::billing::{BillingInfo, InvoiceEntry, PlanView, UsageView};
use app::domain::AppError;

use super::registry::{Ctx, Endpoint, NoParams, endpoint};

pub const ENDPOINTS: &[Endpoint] = &[
    endpoint! {
        name: "usage.get",
        summary: "the workspace's users, storage and API calls this month against its plan's limits, API calls per day of this month and the previous one, and what is over a limit",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_usage(NoParams) -> UsageView,
    },
    endpoint! {
        name: "billing.get_plan",
        summary: "the plan (free or pro), the Free limits and Pro prices, the terms, the current period's estimated charges line by line, what blocks a downgrade, and the billing information",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_plan(NoParams) -> PlanView,
    },
    endpoint! {
        name: "billing.upgrade",
        summary: "move to Pro now: `info` (name, company, address, vat_id, email, payment_method) and `accept_terms`: true",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: upgrade(UpgradeParams) -> PlanView,
    },
    endpoint! {
        name: "billing.downgrade",
        summary: "move back to Free now, when the usage fits the Free limits (the days on Pro are still invoiced)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: downgrade(NoParams) -> PlanView,
    },
    endpoint! {
        name: "billing.get_info",
        summary: "the billing information (`info`: null until entered)",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_info(NoParams) -> InfoAnswer,
    },
    endpoint! {
        name: "billing.set_info",
        summary: "replace the billing information and payment method (`info`)",
        access: Admin,
        writes: true,
        impersonation: false,
        handler: set_info(InfoParams) -> InfoAnswer,
    },
    endpoint! {
        name: "billing.get_invoices",
        summary: "the workspace's invoices, newest first",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_invoices(NoParams) -> InvoicesAnswer,
    },
    endpoint! {
        name: "billing.get_invoice_pdf",
        summary: "one invoice (`invoice`: its number) as a PDF, base64 in `data`",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: get_invoice_pdf(InvoiceParams) -> PdfAnswer,
    },
    endpoint! {
        name: "billing.email_invoices",
        summary: "send every invoice as PDF attachments to the billing e-mail address (`sent_to`)",
        access: Admin,
        writes: false,
        impersonation: false,
        handler: email_invoices(NoParams) -> EmailAnswer,
    },
];

async fn get_usage(ctx: Ctx, _: NoParams) -> Result<UsageView, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .billing
        .usage(&who.admin("see the workspace's usage")?)
        .await
}

async fn get_plan(ctx: Ctx, _: NoParams) -> Result<PlanView, AppError> {
    let who = ctx.who()?;
    ctx.services()
        .billing
        .get_plan(&who.admin("see the workspace's plan")?)
        .await
}

#[derive(Deserialize, JsonSchema)]
pub struct UpgradeParams {
    pub info: BillingInfo,
    #[serde(default)]
    pub accept_terms: bool,
}

async fn upgrade(ctx: Ctx, p: UpgradeParams) -> Result<PlanView, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("upgrade the workspace")?;
    let billing = &ctx.services().billing;
    billing.upgrade(&admin, p.info, p.accept_terms).await?;
    billing.get_plan(&admin).await
}

async fn downgrade(ctx: Ctx, _: NoParams) -> Result<PlanView, AppError> {
    let who = ctx.who()?;
    let admin = who.admin("downgrade the workspace")?;
    let billing = &ctx.services().billing;
    billing.downgrade(&admin).await?;
    billing.get_plan(&admin).await
}

#[derive(Serialize, JsonSchema)]
pub struct InfoAnswer {
    pub info: Option<BillingInfo>,
}

async fn get_info(ctx: Ctx, _: NoParams) -> Result<InfoAnswer, AppError> {
    let who = ctx.who()?;
    let info = ctx
        .services()
        .billing
        .info(&who.admin("see the billing information")?)
        .await?;
    Ok(InfoAnswer { info })
}

#[derive(Deserialize, JsonSchema)]
pub struct InfoParams {
    pub info: BillingInfo,
}

async fn set_info(ctx: Ctx, p: InfoParams) -> Result<InfoAnswer, AppError> {
    let who = ctx.who()?;
    let info = ctx
        .services()
        .billing
        .set_info(&who.admin("change the billing information")?, p.info)
        .await?;
    Ok(InfoAnswer { info: Some(info) })
}

#[derive(Serialize, JsonSchema)]
pub struct InvoicesAnswer {
    pub invoices: Vec<InvoiceEntry>,
}

async fn get_invoices(ctx: Ctx, _: NoParams) -> Result<InvoicesAnswer, AppError> {
    let who = ctx.who()?;
    let invoices = ctx
        .services()
        .billing
        .invoices(&who.admin("see the invoices")?)
        .await?;
    Ok(InvoicesAnswer { invoices })
}

#[derive(Deserialize, JsonSchema)]
pub struct InvoiceParams {
    /// The invoice's number, such as "A-000001".
    pub invoice: String,
}

#[derive(Serialize, JsonSchema)]
pub struct PdfAnswer {
    pub filename: String,
    pub content_type: String,
    /// The PDF, base64.
    pub data: String,
}

async fn get_invoice_pdf(ctx: Ctx, p: InvoiceParams) -> Result<PdfAnswer, AppError> {
    let who = ctx.who()?;
    let (filename, bytes) = ctx
        .services()
        .billing
        .invoice_pdf(&who.admin("download invoices")?, &p.invoice)
        .await?;
    Ok(PdfAnswer {
        filename,
        content_type: "application/pdf".into(),
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

#[derive(Serialize, JsonSchema)]
pub struct EmailAnswer {
    pub sent_to: String,
}

async fn email_invoices(ctx: Ctx, _: NoParams) -> Result<EmailAnswer, AppError> {
    let who = ctx.who()?;
    let sent_to = ctx
        .services()
        .billing
        .email_invoices(&who.admin("e-mail the invoices")?)
        .await?;
    Ok(EmailAnswer { sent_to })
}
