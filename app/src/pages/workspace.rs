//! Workspace: the workspaces you belong to (switch, rename, leave), invitations to you, inviting
//! others (admins), the credential lifetime limit (admins), and your API credentials in every
//! workspace — created with a ready-to-paste configuration section shown once.

use leptos::prelude::*;

use crate::api::workspace::*;
use crate::components::confirm::ConfirmDialog;
use crate::components::copy_box::CopyBox;
use crate::components::dialog::Dialog;
use crate::components::icons::TrashIcon;
use crate::components::inline_edit::InlineEdit;
use crate::components::invite_outcome::InviteOutcome;
use crate::components::{ErrorNote, Loading};
use crate::domain::credentials::{CredentialInfo, NewCredential, label as validate_label};
use crate::domain::timefmt::{date_time, short_date};
use crate::domain::{AppError, validate};
use crate::pages::settings::{Section, SectionHeader};

/// Page-level state shared by the cards: a refresh trigger and the open dialogs.
#[derive(Clone, Copy)]
struct Ctx {
    version: RwSignal<u32>,
    leaving: RwSignal<Option<WorkspaceEntry>>,
    revoking: RwSignal<Option<CredentialInfo>>,
    creating: RwSignal<bool>,
    created: RwSignal<Option<NewCredential>>,
}

impl Ctx {
    fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

fn reload_page() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let ctx = Ctx {
        version: RwSignal::new(0),
        leaving: RwSignal::new(None),
        revoking: RwSignal::new(None),
        creating: RwSignal::new(false),
        created: RwSignal::new(None),
    };
    provide_context(ctx);
    let data = Resource::new_blocking(move || ctx.version.get(), |_| load_workspace());
    view! {
        <SectionHeader section=Section::Workspace subtitle="Your workspaces, invitations and API credentials."/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || data.get().map(|r| match r {
                Ok(o) => {
                    let o = StoredValue::new(o);
                    view! {
                        <InvitationsForYou invitations=o.with_value(|o| o.invitations.clone()) verified=o.with_value(|o| o.email_verified)/>
                        <WorkspacesCard workspaces=o.with_value(|o| o.workspaces.clone())/>
                        {o.with_value(|o| o.workspaces.iter().any(|w| w.current && w.role == crate::domain::Role::Admin)).then(|| view! {
                            <AdminCard pending=o.with_value(|o| o.pending.clone()) max_days=o.with_value(|o| o.max_credential_days) sends_email=o.with_value(|o| o.sends_email)/>
                        })}
                        <CredentialsCard overview=o.get_value()/>
                    }.into_any()
                }
                Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
            })}
        </Transition>
        <CreateCredentialsDialog data=data/>
        <CreatedCredentialsDialog/>
        <LeaveDialog/>
        <RevokeDialog/>
    }
}

#[component]
fn InvitationsForYou(invitations: Vec<InvitationView>, verified: bool) -> impl IntoView {
    let answer = ServerAction::<AnswerInvitation>::new();
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
                        <button class="button primary small" on:click=move |_| { answer.dispatch(AnswerInvitation { invitation_id: id_yes.clone(), accept: true }); }>"Accept"</button>
                        <button class="button ghost small" on:click=move |_| { answer.dispatch(AnswerInvitation { invitation_id: id_no.clone(), accept: false }); }>"Decline"</button>
                    </div>
                }
            }).collect_view()}
        </section>
    })
    .into_any()
}

#[component]
fn WorkspacesCard(workspaces: Vec<WorkspaceEntry>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let switch = ServerAction::<SwitchWorkspace>::new();
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
                                            view! { <button class="button small switch" on:click=move |_| { switch.dispatch(SwitchWorkspace { workspace_id: id.clone() }); }>"Switch to workspace"</button> }
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
fn WorkspaceName(entry: WorkspaceEntry) -> impl IntoView {
    let session = expect_context::<crate::pages::settings::SessionCtx>();
    let rename = ServerAction::<RenameWorkspace>::new();
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
                        rename.dispatch(RenameWorkspace { workspace_id: id.clone(), name: n });
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
fn AdminCard(
    pending: Vec<InvitationView>,
    max_days: Option<i64>,
    sends_email: bool,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let invite = ServerAction::<InviteUsers>::new();
    let cancel = ServerAction::<CancelInvitation>::new();
    let limit = ServerAction::<SetMaxCredentialDays>::new();
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
        limit.dispatch(SetMaxCredentialDays { days });
    };
    view! {
        <section class="card" id="invite-users">
            <h2>"Invite users"</h2>
            <p class="muted">{if sends_email {
                "Enter one or more e-mail addresses. Each is sent an invitation link by e-mail; people whose account has a verified address also see the invitation when they log in."
            } else {
                "Enter one or more e-mail addresses. Each gets a link for you to send them; people whose account has a verified address also see the invitation when they log in."
            }}</p>
            <form on:submit=move |ev| { ev.prevent_default(); invite.dispatch(InviteUsers { emails: emails.get_untracked() }); }>
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
                                        <td class="row-buttons"><button class="button small ghost" on:click=move |_| { cancel.dispatch(CancelInvitation { invitation_id: id.clone() }); }>"Cancel"</button></td>
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
fn CredentialsCard(overview: WorkspaceOverview) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let groups: Vec<(WorkspaceEntry, Vec<CredentialInfo>)> = overview
        .workspaces
        .iter()
        .map(|w| {
            (
                w.clone(),
                overview
                    .credentials
                    .iter()
                    .filter(|c| c.workspace_id == w.id)
                    .cloned()
                    .collect(),
            )
        })
        .collect();
    let now = overview.now_ms;
    view! {
        <section class="card" id="app-credentials">
            <div class="card-title-row">
                <div>
                    <h2>"App Credentials"</h2>
                    <p class="muted">"Key pairs the ClearML SDK and agent log in with. You see and manage the ones you created, in every workspace you belong to."</p>
                </div>
                <button class="button primary" id="create-credentials" on:click=move |_| ctx.creating.set(true)>"+ Create new credentials"</button>
            </div>
            {groups.into_iter().map(|(w, creds)| view! {
                <h3 class="ws-group">{w.name.clone()}{w.current.then(|| view! { <span class="badge current">"current"</span> })}</h3>
                {if creds.is_empty() {
                    view! { <p class="muted empty-creds">"No credentials in this workspace yet."</p> }.into_any()
                } else {
                    view! {
                        <table class="table credentials-table">
                            <thead><tr><th>"Label"</th><th>"Access key"</th><th>"Created"</th><th>"Last used"</th><th>"Expires"</th><th></th></tr></thead>
                            <tbody>
                                {creds.into_iter().map(|c| view! { <CredentialRow info=c now=now/> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            }).collect_view()}
        </section>
    }
}

fn validate_credential_label(raw: &str) -> Result<String, AppError> {
    validate_label(raw)
}

#[component]
fn CredentialRow(info: CredentialInfo, now: i64) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let relabel = ServerAction::<RelabelCredentials>::new();
    let label = RwSignal::new(info.label.clone());
    let result = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(outcome) = relabel.value().get() {
            if let Ok(c) = &outcome {
                label.set(c.label.clone());
            }
            result.set(Some(outcome.map(|_| ())));
        }
    });
    let key = info.access_key.clone();
    let info_stored = StoredValue::new(info.clone());
    let expired = info.expired(now);
    view! {
        <tr data-access-key=info.access_key.clone()>
            <td>
                <InlineEdit
                    id=format!("label-{}", info.access_key)
                    what="label"
                    value=label
                    validate=validate_credential_label
                    on_save=Callback::new(move |l: String| { relabel.dispatch(RelabelCredentials { access_key: key.clone(), label: l }); })
                    result=result
                    pending=relabel.pending()
                />
            </td>
            <td><code class="access-key">{info.access_key.clone()}</code></td>
            <td class="nowrap">{short_date(info.created_ms)}</td>
            <td class="nowrap">
                {match (info.last_used_ms, info.last_used_from.clone()) {
                    (Some(t), Some(from)) => format!("{} from {from}", date_time(t)),
                    (Some(t), None) => date_time(t),
                    _ => "Never".into(),
                }}
            </td>
            <td class="nowrap">
                {match info.expires_ms {
                    Some(t) if expired => view! { <span class="badge warn">{format!("expired {}", short_date(t))}</span> }.into_any(),
                    Some(t) => view! { <span>{short_date(t)}</span> }.into_any(),
                    None => view! { <span class="muted">"Never"</span> }.into_any(),
                }}
            </td>
            <td class="row-buttons">
                <button class="icon-button trash revoke" aria-label=format!("Revoke {}", info.access_key) title="Revoke"
                    on:click=move |_| ctx.revoking.set(Some(info_stored.get_value()))><TrashIcon/></button>
            </td>
        </tr>
    }
}

#[component]
fn CreateCredentialsDialog(data: Resource<Result<WorkspaceOverview, AppError>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let create = ServerAction::<CreateCredentials>::new();
    let label = RwSignal::new(String::new());
    let workspace = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let workspaces = Signal::derive(move || {
        data.get()
            .and_then(Result::ok)
            .map(|o| o.workspaces)
            .unwrap_or_default()
    });
    let max_days = Signal::derive(move || {
        data.get()
            .and_then(Result::ok)
            .and_then(|o| o.max_credential_days)
    });
    Effect::new(move |_| {
        if ctx.creating.get() {
            label.set(String::new());
            days.set(String::new());
            error.set(None);
            workspace.set(
                workspaces
                    .get_untracked()
                    .into_iter()
                    .find(|w| w.current)
                    .map(|w| w.id)
                    .unwrap_or_default(),
            );
        }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(created)) => {
            ctx.creating.set(false);
            ctx.created.set(Some(created));
            ctx.refresh();
        }
        Some(Err(e)) => error.set(Some(e.user_message())),
        None => {}
    });
    let submit = move || {
        let l = match validate_label(&label.get_untracked()) {
            Ok(l) => l,
            Err(e) => return error.set(Some(e.user_message())),
        };
        let d = days.get_untracked();
        let expires_in_days = if d.trim().is_empty() {
            None
        } else {
            match d.trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    return error.set(Some(
                        "Enter a whole number of days, or leave it empty.".into(),
                    ));
                }
            }
        };
        error.set(None);
        create.dispatch(CreateCredentials {
            workspace_id: Some(workspace.get_untracked()),
            label: l,
            expires_in_days,
        });
    };
    view! {
        <Dialog open=ctx.creating title="Create new credentials" on_close=Callback::new(move |_| ctx.creating.set(false))>
            <form class="dialog-body form" id="create-credentials-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label for="credential-label">"Label (optional)"</label>
                <input id="credential-label" placeholder="e.g. laptop, CI" prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
                <label for="credential-workspace">"Workspace"</label>
                <select id="credential-workspace" prop:value=move || workspace.get() on:change=move |ev| workspace.set(event_target_value(&ev))>
                    {move || workspaces.get().into_iter().map(|w| view! { <option value=w.id.clone() selected=w.current>{w.name.clone()}</option> }).collect_view()}
                </select>
                <label for="credential-days">"Expires after (days, optional)"</label>
                <input id="credential-days" inputmode="numeric" prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev))
                    placeholder=move || max_days.get().map(|d| format!("at most {d}")).unwrap_or_else(|| "never".into())/>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| ctx.creating.set(false)>"Cancel"</button>
                    <button type="submit" class="button primary" id="confirm-create" disabled=move || create.pending().get()>"Create"</button>
                </footer>
            </form>
        </Dialog>
    }
}

#[component]
fn CreatedCredentialsDialog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let tab = RwSignal::new(0u8);
    let open = Signal::derive(move || ctx.created.with(Option::is_some));
    let section = Signal::derive(move || {
        ctx.created.with(|c| {
            c.as_ref()
                .map(|c| c.config_section.clone())
                .unwrap_or_default()
        })
    });
    let jupyter = Signal::derive(move || {
        ctx.created
            .with(|c| c.as_ref().map(|c| c.jupyter.clone()).unwrap_or_default())
    });
    let close = Callback::new(move |_| {
        ctx.created.set(None);
        tab.set(0);
    });
    view! {
        <Dialog open=open title="New credentials" on_close=close>
            <div class="dialog-body" id="new-credentials">
                <p class="once-note" role="status">"Copy these now: the secret key is shown only this once and cannot be recovered."</p>
                <div class="tabs" role="tablist">
                    <button class="tab" role="tab" id="tab-config" class:active=move || tab.get() == 0 aria-selected=move || (tab.get() == 0).to_string() on:click=move |_| tab.set(0)>"clearml.conf"</button>
                    <button class="tab" role="tab" id="tab-jupyter" class:active=move || tab.get() == 1 aria-selected=move || (tab.get() == 1).to_string() on:click=move |_| tab.set(1)>"Jupyter notebook"</button>
                </div>
                <Show when=move || tab.get() == 0 fallback=move || view! {
                    <p class="muted">"Run this in a notebook cell before importing clearml:"</p>
                    <CopyBox id="jupyter-lines" text=jupyter/>
                }>
                    <p class="muted">"Paste into clearml.conf, or run clearml-init and paste it when asked:"</p>
                    <CopyBox id="config-section" text=section/>
                </Show>
                <footer class="dialog-footer">
                    <button type="button" class="button primary" id="credentials-done" on:click=move |_| close.run(())>"Done"</button>
                </footer>
            </div>
        </Dialog>
    }
}

#[component]
fn LeaveDialog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let leave = ServerAction::<LeaveWorkspace>::new();
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
                    leave.dispatch(LeaveWorkspace { workspace_id: w.id });
                }
            })
            on_cancel=Callback::new(move |_| { error.set(None); ctx.leaving.set(None); })
        />
    }
}

#[component]
fn RevokeDialog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let revoke = ServerAction::<RevokeCredentials>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            ctx.revoking.set(None);
            ctx.refresh();
        }
    });
    let message = Signal::derive(move || {
        let (key, label) = ctx.revoking.with(|r| {
            r.as_ref()
                .map(|c| (c.access_key.clone(), c.label.clone()))
                .unwrap_or_default()
        });
        let name = if label.is_empty() {
            key
        } else {
            format!("{label} ({key})")
        };
        let err = revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| format!("\n\n{}", e.user_message()))
            .unwrap_or_default();
        format!(
            "Revoke {name}? Every SDK, agent and token using it stops working at once. This cannot be undone.{err}"
        )
    });
    view! {
        <ConfirmDialog
            open=Signal::derive(move || ctx.revoking.with(Option::is_some))
            title="Revoke credentials"
            message=message
            confirm_label="Revoke"
            pending=revoke.pending()
            on_confirm=Callback::new(move |_| {
                if let Some(c) = ctx.revoking.get_untracked() {
                    revoke.dispatch(RevokeCredentials { access_key: c.access_key });
                }
            })
            on_cancel=Callback::new(move |_| ctx.revoking.set(None))
        />
    }
}
