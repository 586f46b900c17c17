//! Workspace → your workspaces: switch, rename (admins), leave; invitations addressed to you; and
//! for administrators inviting people, pending invitations and the credential lifetime limit.

use leptos::prelude::*;

use super::{Ctx, reload_page};
use crate::api;
use crate::api::workspaces::{InvitationView, InviteResult, WorkspaceEntry};
use crate::components::ErrorNote;
use crate::components::confirm::ConfirmDialog;
use crate::components::inline_edit::InlineEdit;
use crate::components::invite_outcome::InviteOutcome;
use crate::domain::timefmt::short_date;
use crate::domain::{AppError, validate};

#[component]
pub(super) fn InvitationsForYou(invitations: Vec<InvitationView>, verified: bool) -> impl IntoView {
    let answer = ServerAction::<api::workspaces::AnswerInvitation>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = answer.value().get() {
            reload_page();
        }
    });
    let error = Signal::derive(move || answer.value().get().and_then(Result::err));
    if !verified {
        return view! {
            <section class="card" id="invitations-for-you">
                <h2>"Invitations"</h2>
                <p class="muted" id="unverified-note">"Your e-mail address is not verified yet, so invitations are not shown here: accept one through the link you were sent. A link that reached you by e-mail also verifies your address."</p>
            </section>
        }
        .into_any();
    }
    (!invitations.is_empty()).then(|| view! {
        <section class="card" id="invitations-for-you">
            <h2>"Invitations"</h2>
            <ErrorNote error=error/>
            {invitations.into_iter().map(|inv| {
                let (id_yes, id_no) = (inv.id.clone(), inv.id.clone());
                view! {
                    <div class="invite-banner">
                        <p><strong>{inv.invited_by.clone()}</strong>" invited you to "<strong>{inv.workspace_name.clone()}</strong>"."</p>
                        <button class="button primary small" on:click=move |_| { answer.dispatch(api::workspaces::AnswerInvitation { invitation_id: id_yes.clone(), accept: true }); }>"Accept"</button>
                        <button class="button ghost small" on:click=move |_| { answer.dispatch(api::workspaces::AnswerInvitation { invitation_id: id_no.clone(), accept: false }); }>"Decline"</button>
                    </div>
                }
            }).collect_view()}
        </section>
    })
    .into_any()
}

#[component]
pub(super) fn WorkspacesCard(workspaces: Vec<WorkspaceEntry>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let switch = ServerAction::<api::workspaces::Switch>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = switch.value().get() {
            reload_page();
        }
    });
    let error = Signal::derive(move || switch.value().get().and_then(Result::err));
    view! {
        <section class="card" id="workspaces">
            <h2>"Workspaces"</h2>
            <ErrorNote error=error/>
            <div class="table-wrap">
                <table class="table" id="workspaces-table">
                    <thead><tr><th>"Name"</th><th>"Role"</th><th>"Joined"</th><th></th></tr></thead>
                    <tbody>
                        {workspaces.into_iter().map(|w| {
                            let w = StoredValue::new(w);
                            let id = w.with_value(|w| w.id.clone());
                            view! {
                                <tr data-workspace=w.with_value(|w| w.name.clone())>
                                    <td>
                                        <WorkspaceName entry=w.get_value()/>
                                    </td>
                                    <td>{w.with_value(|w| w.role.label())}</td>
                                    <td class="nowrap">{w.with_value(|w| short_date(w.joined_ms))}</td>
                                    <td class="row-buttons">
                                        {(!w.with_value(|w| w.current)).then(|| {
                                            let id = id.clone();
                                            view! { <button class="button small switch" on:click=move |_| { switch.dispatch(api::workspaces::Switch { workspace_id: id.clone() }); }>"Switch to workspace"</button> }
                                        })}
                                        {(!w.with_value(|w| w.personal)).then(|| view! {
                                            <button class="button small ghost leave" on:click=move |_| ctx.leaving.set(Some(w.get_value()))>"Leave"</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

fn validate_workspace_name(raw: &str) -> Result<String, AppError> {
    validate::display_name("name", raw)
}

#[component]
pub(super) fn WorkspaceName(entry: WorkspaceEntry) -> impl IntoView {
    let session = expect_context::<crate::pages::settings::SessionCtx>();
    let rename = ServerAction::<api::workspaces::Rename>::new();
    let name = RwSignal::new(entry.name.clone());
    let result = RwSignal::new(None);
    let pending_name = RwSignal::new(String::new());
    let current = entry.current;
    Effect::new(move |_| {
        if let Some(outcome) = rename.value().get() {
            if outcome.is_ok() {
                let new_name = pending_name.get_untracked();
                name.set(new_name.clone());
                if current {
                    session
                        .info
                        .update(|i| i.identity.workspace_name = new_name);
                }
            }
            result.set(Some(outcome));
        }
    });
    let badges = view! {
        {entry.current.then(|| view! { <span class="badge current">"current"</span> })}
        {entry.personal.then(|| view! { <span class="badge">"personal"</span> })}
    };
    let id = entry.id.clone();
    if entry.role == crate::domain::Role::Admin {
        view! {
            <div class="ws-name">
                <InlineEdit
                    id=format!("ws-name-{}", entry.id)
                    what="workspace name"
                    value=name
                    validate=validate_workspace_name
                    on_save=Callback::new(move |n: String| {
                        pending_name.set(n.clone());
                        rename.dispatch(api::workspaces::Rename { workspace_id: id.clone(), name: n });
                    })
                    result=result
                    pending=rename.pending()
                />
                {badges}
            </div>
        }
        .into_any()
    } else {
        view! { <span>{entry.name.clone()}</span>{badges} }.into_any()
    }
}

#[component]
pub(super) fn AdminCard(
    pending: Vec<InvitationView>,
    max_days: Option<i64>,
    sends_email: bool,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let invite = ServerAction::<api::workspaces::Invite>::new();
    let cancel = ServerAction::<api::workspaces::CancelInvitation>::new();
    let limit = ServerAction::<api::workspaces::SetMaxCredentialDays>::new();
    let emails = RwSignal::new(String::new());
    let limit_text = RwSignal::new(max_days.map(|d| d.to_string()).unwrap_or_default());
    let limit_error = RwSignal::new(None::<String>);
    let limit_saved = RwSignal::new(false);
    let results = RwSignal::new(Vec::<InviteResult>::new());
    Effect::new(move |_| {
        if let Some(Ok(list)) = invite.value().get() {
            results.set(list);
            emails.set(String::new());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = cancel.value().get() {
            ctx.refresh();
        }
    });
    Effect::new(move |_| match limit.value().get() {
        Some(Ok(())) => {
            limit_saved.set(true);
            limit_error.set(None);
        }
        Some(Err(e)) => limit_error.set(Some(e.user_message())),
        None => {}
    });
    let invite_error = Signal::derive(move || invite.value().get().and_then(Result::err));
    let save_limit = move || {
        limit_saved.set(false);
        let text = limit_text.get_untracked();
        let days = if text.trim().is_empty() {
            None
        } else {
            match text.trim().parse::<i64>() {
                Ok(d) => Some(d),
                Err(_) => {
                    return limit_error.set(Some(
                        "Enter a whole number of days, or leave it empty for no limit.".into(),
                    ));
                }
            }
        };
        limit.dispatch(api::workspaces::SetMaxCredentialDays { days });
    };
    view! {
        <section class="card" id="invite-users">
            <h2>"Invite users"</h2>
            <p class="muted">{if sends_email {
                "Enter one or more e-mail addresses. Each is sent an invitation link by e-mail; people whose account has a verified address also see the invitation when they log in."
            } else {
                "Enter one or more e-mail addresses. Each gets a link for you to send them; people whose account has a verified address also see the invitation when they log in."
            }}</p>
            <form on:submit=move |ev| { ev.prevent_default(); invite.dispatch(api::workspaces::Invite { emails: emails.get_untracked() }); }>
                <textarea id="invite-emails" aria-label="E-mail addresses" placeholder="ada@example.com, grace@example.com"
                    prop:value=move || emails.get() on:input=move |ev| emails.set(event_target_value(&ev))></textarea>
                <ErrorNote error=invite_error/>
                <div class="card-actions"><button type="submit" class="button primary" id="send-invites" disabled=move || invite.pending().get()>"Invite"</button></div>
            </form>
            {move || (!results.get().is_empty()).then(|| view! {
                <div id="invite-results">
                    <h3>"Invitations"</h3>
                    {results.get().into_iter().map(|r| view! { <InviteOutcome result=r id_prefix="invite-link"/> }).collect_view()}
                </div>
            })}
            <h3>"Pending invitations"</h3>
            {if pending.is_empty() {
                view! { <p class="muted" id="no-pending">"No pending invitations."</p> }.into_any()
            } else {
                view! {
                    <table class="table" id="pending-invitations">
                        <thead><tr><th>"E-mail"</th><th>"Invited by"</th><th>"Date added"</th><th>"Expires"</th><th></th></tr></thead>
                        <tbody>
                            {pending.into_iter().map(|p| {
                                let id = p.id.clone();
                                view! {
                                    <tr>
                                        <td>{p.email.clone()}" "<span class="badge warn">"Pending"</span></td>
                                        <td>{p.invited_by.clone()}</td>
                                        <td class="nowrap">{short_date(p.created_ms)}</td>
                                        <td class="nowrap">{short_date(p.expires_ms)}</td>
                                        <td class="row-buttons"><button class="button small ghost" on:click=move |_| { cancel.dispatch(api::workspaces::CancelInvitation { invitation_id: id.clone() }); }>"Cancel"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h3>"Credential lifetime limit"</h3>
            <form class="form-row" on:submit=move |ev| { ev.prevent_default(); save_limit(); }>
                <label>"Longest lifetime of new credentials (days)"
                    <input id="max-credential-days" inputmode="numeric" placeholder="No limit" prop:value=move || limit_text.get()
                        on:input=move |ev| limit_text.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="button">"Save limit"</button>
                <span class="save-status" id="limit-status">{move || if limit_saved.get() { "Saved" } else { "" }}</span>
            </form>
            {move || limit_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
pub(super) fn LeaveDialog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let leave = ServerAction::<api::workspaces::Leave>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match leave.value().get() {
        Some(Ok(())) => reload_page(),
        Some(Err(e)) => error.set(Some(e.user_message())),
        None => {}
    });
    let message = Signal::derive(move || {
        let name = ctx
            .leaving
            .with(|l| l.as_ref().map(|w| w.name.clone()).unwrap_or_default());
        let base = format!(
            "Leave {name}? Your credentials in it are revoked at once. Your tasks and artifacts stay. You can only come back with a new invitation."
        );
        match error.get() {
            Some(e) => format!("{base}\n\n{e}"),
            None => base,
        }
    });
    view! {
        <ConfirmDialog
            open=Signal::derive(move || ctx.leaving.with(Option::is_some))
            title="Leave workspace"
            message=message
            confirm_label="Leave workspace"
            pending=leave.pending()
            on_confirm=Callback::new(move |_| {
                if let Some(w) = ctx.leaving.get_untracked() {
                    leave.dispatch(api::workspaces::Leave { workspace_id: w.id });
                }
            })
            on_cancel=Callback::new(move |_| { error.set(None); ctx.leaving.set(None); })
        />
    }
}
