//! Settings → Usage & Billing (administrators): users, storage and API calls against the plan, each
//! a number and a bar; API calls per day of this and the previous month; the plan with UPGRADE (a
//! wizard: plan, terms, billing information), and on Pro the estimated charges of the period, My
//! billing info, My invoices (payment history with a PDF per invoice, EMAIL INVOICES) and the way
//! back to Free.

use leptos::prelude::*;

use crate::api;
use crate::api::billing::{BillingInfo, DayCalls, Figure, InvoiceEntry, PlanView, UsageView};
use crate::components::confirm::ConfirmDialog;
use crate::components::dialog::Dialog;
use crate::components::{ErrorNote, Loading};
use crate::domain::AppError;
use crate::domain::billing::{Plan, counted, format_count};
use crate::domain::timefmt;
use crate::pages::settings::{AdminsOnly, Section, SectionHeader, SessionCtx};

#[component]
pub fn BillingPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    if !session.is_admin() {
        return view! { <SectionHeader section=Section::Billing/><AdminsOnly/> }.into_any();
    }
    let reload = RwSignal::new(0u32);
    let data = Resource::new_blocking(move || reload.get(), |_| api::billing::overview());
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<String>);
    view! {
        <SectionHeader section=Section::Billing subtitle="What this workspace uses, its plan, and its invoices. Periods are calendar months in UTC."/>
        <ErrorNote error=error/>
        {move || notice.get().map(|n| view! { <p class="notice" role="status" id="billing-notice">{n}</p> })}
        <Transition fallback=|| view! { <Loading/> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                Ok(o) => view! {
                    <UsageCard usage=o.usage/>
                    <PlanCard plan=o.plan reload=reload error=error notice=notice/>
                }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

/// A figure's share of its limit, in percent (a figure over its limit fills the bar).
fn percent(f: &Figure) -> u64 {
    match f.limit {
        Some(0) => 100,
        Some(l) => (f.used.saturating_mul(100) / l).min(100),
        None => 0,
    }
}

#[component]
fn UsageFigure(id: &'static str, label: &'static str, figure: Figure) -> impl IntoView {
    let over = figure.limit.is_some_and(|l| figure.used > l);
    let pct = percent(&figure);
    view! {
        <div class="usage-figure" id=id class:over=over>
            <div class="usage-figure-head">
                <h3>{label}</h3>
                {figure.enforced.then(|| view! { <span class="badge">"enforced"</span> })}
            </div>
            <p class="usage-figure-text">{figure.text.clone()}</p>
            {figure.limit.map(|_| view! {
                <progress max="100" value=pct.to_string() aria-label=format!("{label}: {pct}% of the limit")>{format!("{pct}%")}</progress>
            })}
        </div>
    }
}

#[component]
fn UsageCard(usage: UsageView) -> impl IntoView {
    let over = usage.over.clone();
    view! {
        <section class="card" id="usage-card">
            <div class="card-title-row">
                <div>
                    <h2>"Usage"</h2>
                    <p class="muted">{format!("This month ({}), plan {}.", usage.period, usage.plan.label())}</p>
                </div>
                <a class="button" id="invite-users" href=Section::Users.path()>"INVITE USERS"</a>
            </div>
            <div class="usage-figures">
                <UsageFigure id="usage-users" label="Users" figure=usage.users.clone()/>
                <UsageFigure id="usage-storage" label="Storage" figure=usage.storage.clone()/>
                <UsageFigure id="usage-api-calls" label="API calls" figure=usage.api_calls.clone()/>
            </div>
            {(!over.is_empty()).then(|| view! {
                <div class="info-note" id="usage-over" role="status">
                    <p><strong>"Over the Free plan's limits"</strong>" (nothing is cut off: upgrade to Pro to stay within your plan):"</p>
                    <ul>{over.into_iter().map(|o| view! { <li>{o}</li> }).collect_view()}</ul>
                </div>
            })}
            <CallsChart this_month=usage.calls_this_month.clone() last_month=usage.calls_last_month.clone()/>
        </section>
    }
}

/// Chart geometry (SVG user units).
const CHART_W: f64 = 720.0;
const CHART_H: f64 = 180.0;
const CHART_LEFT: f64 = 48.0;
const CHART_BOTTOM: f64 = 22.0;

/// API calls per day: the previous month's bars behind this month's, day by day.
#[component]
fn CallsChart(this_month: Vec<DayCalls>, last_month: Vec<DayCalls>) -> impl IntoView {
    let max = this_month
        .iter()
        .chain(&last_month)
        .map(|d| d.calls)
        .max()
        .unwrap_or(0)
        .max(1);
    let days = this_month.len().max(last_month.len()).max(28);
    let slot = (CHART_W - CHART_LEFT) / days as f64;
    let plot_h = CHART_H - CHART_BOTTOM - 8.0;
    let bar = move |i: usize, calls: u64, class: &'static str, width: f64, shift: f64| {
        let h = plot_h * calls as f64 / max as f64;
        view! {
            <rect class=class x=format!("{:.1}", CHART_LEFT + i as f64 * slot + shift) y=format!("{:.1}", 8.0 + plot_h - h)
                width=format!("{width:.1}") height=format!("{h:.1}") data-day=(i + 1).to_string() data-calls=calls.to_string()></rect>
        }
    };
    let total = |d: &[DayCalls]| d.iter().map(|d| d.calls).sum::<u64>();
    let summary = format!(
        "API calls per day: {} this month so far, {} last month; the busiest day had {}.",
        format_count(total(&this_month)),
        format_count(total(&last_month)),
        format_count(max)
    );
    let w = (slot * 0.42).max(1.0);
    view! {
        <figure class="calls-chart" id="calls-chart">
            <figcaption>
                <h3>"API calls per day"</h3>
                <span class="legend"><span class="swatch this"></span>"This month"<span class="swatch last"></span>"Previous month"</span>
            </figcaption>
            <svg viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img" aria-label=summary.clone()>
                <line class="axis" x1=CHART_LEFT.to_string() y1=(CHART_H - CHART_BOTTOM).to_string() x2=CHART_W.to_string() y2=(CHART_H - CHART_BOTTOM).to_string()/>
                <text class="tick" x=(CHART_LEFT - 6.0).to_string() y="14" text-anchor="end">{format_count(max)}</text>
                <text class="tick" x=(CHART_LEFT - 6.0).to_string() y=(CHART_H - CHART_BOTTOM).to_string() text-anchor="end">"0"</text>
                {(0..days).filter(|d| d % 5 == 0).map(|d| view! {
                    <text class="tick" x=format!("{:.1}", CHART_LEFT + d as f64 * slot + slot / 2.0) y=(CHART_H - 6.0).to_string() text-anchor="middle">{(d + 1).to_string()}</text>
                }).collect_view()}
                {last_month.iter().enumerate().map(|(i, d)| bar(i, d.calls, "bar last", w, slot * 0.08)).collect_view()}
                {this_month.iter().enumerate().map(|(i, d)| bar(i, d.calls, "bar this", w, slot * 0.5)).collect_view()}
            </svg>
            <p class="sr-only">{summary}</p>
        </figure>
    }
}

#[component]
fn PlanCard(
    plan: PlanView,
    reload: RwSignal<u32>,
    error: RwSignal<Option<AppError>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let upgrading = RwSignal::new(false);
    let editing_info = RwSignal::new(false);
    let confirm_downgrade = RwSignal::new(false);
    let show_invoices = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let plan = StoredValue::new(plan);
    let view_of = move || plan.get_value();
    let on_pro = view_of().plan == Plan::Pro;
    let downgrade = move || {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::billing::downgrade().await {
                Ok(_) => {
                    notice.set(Some("The workspace is on Free again. The days on Pro are invoiced at the end of the month.".into()));
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
            confirm_downgrade.set(false);
        });
    };
    view! {
        <section class="card" id="plan-card">
            <div class="card-title-row">
                <div>
                    <h2>{if on_pro { "Plan: Pro" } else { "Plan: Free" }}</h2>
                    <p class="muted" id="plan-since">{view_of().since_ms.map(|ms| format!("Since {}.", timefmt::short_date(ms))).unwrap_or_else(|| "The workspace has always been on Free.".into())}</p>
                </div>
                <div class="button-row">
                    {if on_pro {
                        view! {
                            <button class="button" id="billing-info" on:click=move |_| editing_info.set(true)>"My billing info"</button>
                            <button class="button" id="my-invoices" aria-expanded=move || show_invoices.get().to_string() on:click=move |_| show_invoices.update(|s| *s = !*s)>"My invoices"</button>
                            <button class="button ghost" id="downgrade" on:click=move |_| confirm_downgrade.set(true)>"Downgrade to Free"</button>
                        }.into_any()
                    } else {
                        view! { <button class="button primary" id="upgrade" on:click=move |_| upgrading.set(true)>"UPGRADE"</button> }.into_any()
                    }}
                </div>
            </div>
            <div class="plan-compare">
                <div class="plan-box" class:current=!on_pro>
                    <h3>"Free"</h3>
                    <ul>{view_of().free_summary.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                </div>
                <div class="plan-box" class:current=on_pro>
                    <h3>"Pro"</h3>
                    <ul>{view_of().pro_summary.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                </div>
            </div>
            {view_of().estimate.map(|c| {
                let currency = c.currency.clone();
                view! {
                    <div id="estimate">
                        <h3>{format!("Estimated charges for {}", c.period.label())}</h3>
                        <p class="muted small">{format!("{} on Pro so far; users and storage as they are now. The invoice is issued when the month ends.", counted(u64::from(c.pro_days), "day", "days"))}</p>
                        <table class="table" id="estimate-table">
                            <thead><tr><th>"Item"</th><th>"Quantity"</th><th class="num">"Amount"</th></tr></thead>
                            <tbody>
                                {c.lines.iter().map(|l| view! {
                                    <tr><td>{l.description.clone()}</td><td>{l.quantity.clone()}</td><td class="num">{crate::domain::billing::format_cents(l.amount_cents, &currency)}</td></tr>
                                }).collect_view()}
                            </tbody>
                            <tfoot><tr><th colspan="2">"Estimated total"</th><th class="num" id="estimate-total">{view_of().estimate_total.unwrap_or_default()}</th></tr></tfoot>
                        </table>
                    </div>
                }
            })}
            {move || show_invoices.get().then(|| view! { <Invoices error=error notice=notice/> })}
        </section>
        {move || upgrading.get().then(|| view! {
            <UpgradeWizard plan=view_of() on_close=Callback::new(move |_| upgrading.set(false)) on_done=Callback::new(move |_| {
                upgrading.set(false);
                notice.set(Some("Welcome to Pro. Estimated charges for this month are below.".into()));
                reload.update(|n| *n += 1);
            })/>
        })}
        {move || editing_info.get().then(|| view! {
            <InfoDialog plan=view_of() on_close=Callback::new(move |_| editing_info.set(false)) on_saved=Callback::new(move |_| {
                editing_info.set(false);
                notice.set(Some("Billing information saved.".into()));
                reload.update(|n| *n += 1);
            })/>
        })}
        <ConfirmDialog open=confirm_downgrade title="Downgrade to Free"
            message=Signal::derive(move || {
                let blocked = view_of().downgrade_blocked_by;
                if blocked.is_empty() {
                    "The workspace goes back to the Free plan now. The days on Pro this month are still invoiced.".to_string()
                } else {
                    format!("The usage does not fit the Free plan yet: {}", blocked.join(" "))
                }
            })
            confirm_label="Downgrade" pending=busy
            on_confirm=Callback::new(move |_| downgrade())
            on_cancel=Callback::new(move |_| confirm_downgrade.set(false))/>
    }
}

/// The billing information's fields, for the wizard and for My billing info.
#[component]
fn InfoFields(info: RwSignal<BillingInfo>, methods: Vec<(String, String)>) -> impl IntoView {
    let field = move |get: fn(&BillingInfo) -> String, set: fn(&mut BillingInfo, String)| {
        (
            move || info.with(get),
            move |ev: leptos::ev::Event| info.update(|i| set(i, event_target_value(&ev))),
        )
    };
    let (name, set_name) = field(|i| i.name.clone(), |i, v| i.name = v);
    let (company, set_company) = field(|i| i.company.clone(), |i, v| i.company = v);
    let (address, set_address) = field(|i| i.address.clone(), |i, v| i.address = v);
    let (vat, set_vat) = field(|i| i.vat_id.clone(), |i, v| i.vat_id = v);
    let (email, set_email) = field(|i| i.email.clone(), |i, v| i.email = v);
    let (method, set_method) = field(|i| i.payment_method.clone(), |i, v| i.payment_method = v);
    view! {
        <label>"Name" <input id="billing-name" autocomplete="name" prop:value=name on:input=set_name required/></label>
        <label>"Company (optional)" <input id="billing-company" autocomplete="organization" prop:value=company on:input=set_company/></label>
        <label>"Address" <textarea id="billing-address" rows="3" autocomplete="street-address" prop:value=address on:input=set_address required></textarea></label>
        <label>"VAT id (optional)" <input id="billing-vat" prop:value=vat on:input=set_vat placeholder="DE123456789"/></label>
        <label>"Invoice e-mail" <input id="billing-email" type="email" autocomplete="email" prop:value=email on:input=set_email required/></label>
        <label>"Payment method"
            <select id="billing-method" on:change=set_method prop:value=method>
                {methods.into_iter().map(|(id, label)| view! { <option value=id.clone() selected=move || info.with(|i| i.payment_method == id)>{label}</option> }).collect_view()}
            </select>
        </label>
        <p class="muted small">"Card data is never stored by Atrium: invoices are paid by bank transfer."</p>
    }
}

fn starting_info(plan: &PlanView) -> BillingInfo {
    plan.info.clone().unwrap_or_else(|| BillingInfo {
        payment_method: plan
            .payment_methods
            .first()
            .map(|(id, _)| id.clone())
            .unwrap_or_default(),
        ..BillingInfo::default()
    })
}

/// UPGRADE: the plan, the terms to accept, then the billing information.
#[component]
fn UpgradeWizard(plan: PlanView, on_close: Callback<()>, on_done: Callback<()>) -> impl IntoView {
    let step = RwSignal::new(1u8);
    let accepted = RwSignal::new(false);
    let info = RwSignal::new(starting_info(&plan));
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let plan = StoredValue::new(plan);
    let submit = move || {
        busy.set(true);
        error.set(None);
        let i = info.get_untracked();
        leptos::task::spawn_local(async move {
            match api::billing::upgrade(i, accepted.get_untracked()).await {
                Ok(_) => on_done.run(()),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <Dialog open=Signal::derive(|| true) title="Upgrade to Pro" on_close=on_close>
            <form class="dialog-body form" id="upgrade-form" on:submit=move |ev| {
                ev.prevent_default();
                match step.get_untracked() {
                    1 => step.set(2),
                    2 if accepted.get_untracked() => step.set(3),
                    2 => {}
                    _ => submit(),
                }
            }>
                <ol class="steps" aria-label="Steps">
                    <li class:active=move || step.get() == 1>"Plan"</li>
                    <li class:active=move || step.get() == 2>"Terms"</li>
                    <li class:active=move || step.get() == 3>"Billing information"</li>
                </ol>
                {move || match step.get() {
                    1 => view! {
                        <div id="upgrade-summary">
                            <h3>"Pro"</h3>
                            <ul>{plan.get_value().pro_summary.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                            <p class="muted small">"This month is charged from today, by the day."</p>
                        </div>
                    }.into_any(),
                    2 => view! {
                        <div id="upgrade-terms">
                            <p class="terms">{plan.get_value().terms}</p>
                            <label class="checkbox-row"><input type="checkbox" id="upgrade-accept" prop:checked=move || accepted.get() on:change=move |ev| accepted.set(event_target_checked(&ev))/>" I accept the terms"</label>
                        </div>
                    }.into_any(),
                    _ => view! { <InfoFields info=info methods=plan.get_value().payment_methods/> }.into_any(),
                }}
                <ErrorNote error=error/>
                <footer class="dialog-footer">
                    {move || (step.get() > 1).then(|| view! { <button type="button" class="button ghost" id="upgrade-back" on:click=move |_| step.update(|s| *s -= 1)>"Back"</button> })}
                    <button type="button" class="button ghost" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="upgrade-next" disabled=move || busy.get() || (step.get() == 2 && !accepted.get())>
                        {move || if step.get() == 3 { "Upgrade" } else { "Next" }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}

/// My billing info: the billing information and the payment method (Update payment methods).
#[component]
fn InfoDialog(plan: PlanView, on_close: Callback<()>, on_saved: Callback<()>) -> impl IntoView {
    let info = RwSignal::new(starting_info(&plan));
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    view! {
        <Dialog open=Signal::derive(|| true) title="My billing info" on_close=on_close>
            <form class="dialog-body form" id="info-form" on:submit=move |ev| {
                ev.prevent_default();
                busy.set(true);
                error.set(None);
                let i = info.get_untracked();
                leptos::task::spawn_local(async move {
                    match api::billing::set_info(i).await {
                        Ok(_) => on_saved.run(()),
                        Err(e) => error.set(Some(e)),
                    }
                    busy.set(false);
                });
            }>
                <InfoFields info=info methods=plan.payment_methods.clone()/>
                <ErrorNote error=error/>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="info-save" disabled=move || busy.get()>"Update payment methods"</button>
                </footer>
            </form>
        </Dialog>
    }
}

/// PAYMENT HISTORY: each invoice with its PDF, and EMAIL INVOICES.
#[component]
fn Invoices(error: RwSignal<Option<AppError>>, notice: RwSignal<Option<String>>) -> impl IntoView {
    let list = Resource::new(|| (), |_| api::billing::invoices());
    let sending = RwSignal::new(false);
    let email = move |_| {
        sending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::billing::email_invoices().await {
                Ok(to) => notice.set(Some(format!("The invoices were sent to {to}."))),
                Err(e) => error.set(Some(e)),
            }
            sending.set(false);
        });
    };
    view! {
        <div id="payment-history">
            <div class="card-title-row">
                <h3>"PAYMENT HISTORY"</h3>
                <button class="button" id="email-invoices" disabled=move || sending.get() on:click=email>
                    {move || if sending.get() { "Sending…" } else { "EMAIL INVOICES" }}
                </button>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                    Ok(v) if v.is_empty() => view! { <p class="empty" id="invoices-empty">"No invoices yet: the first is issued when this month ends."</p> }.into_any(),
                    Ok(v) => view! {
                        <table class="table" id="invoices-table">
                            <thead><tr><th>"Invoice"</th><th>"Period"</th><th>"Issued"</th><th class="num">"Total"</th><th></th></tr></thead>
                            <tbody>{v.into_iter().map(|i: InvoiceEntry| view! {
                                <tr data-invoice=i.number.clone()>
                                    <td>{i.number.clone()}</td>
                                    <td>{i.period_label.clone()}</td>
                                    <td>{timefmt::short_date(i.issued_ms)}</td>
                                    <td class="num">{i.total.clone()}</td>
                                    <td><a class="button small" download=format!("{}.pdf", i.number) href=format!("/settings/billing/invoices/{}.pdf", i.number)>"Download PDF"</a></td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}
