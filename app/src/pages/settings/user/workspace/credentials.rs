//! Workspace → API credentials: the key pairs you hold in each workspace, created with a
//! ready-to-paste configuration section that shows the secret once, relabelled and revoked.

use leptos::prelude::*;

use super::Ctx;
use crate::api;
use crate::api::workspaces::{WorkspaceEntry, WorkspaceOverview};
use crate::components::confirm::ConfirmDialog;
use crate::components::copy_box::CopyBox;
use crate::components::dialog::Dialog;
use crate::components::icons::TrashIcon;
use crate::components::inline_edit::InlineEdit;
use crate::domain::AppError;
use crate::domain::credentials::{CredentialInfo, label as validate_label};
use crate::domain::timefmt::{date_time, short_date};

#[component]
pub(super) fn CredentialsCard(overview: WorkspaceOverview) -> impl IntoView {
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
pub(super) fn CredentialRow(info: CredentialInfo, now: i64) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let relabel = ServerAction::<api::credentials::Relabel>::new();
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
                    on_save=Callback::new(move |l: String| { relabel.dispatch(api::credentials::Relabel { access_key: key.clone(), label: l }); })
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
pub(super) fn CreateCredentialsDialog(
    data: Resource<Result<WorkspaceOverview, AppError>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let create = ServerAction::<api::credentials::Create>::new();
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
        create.dispatch(api::credentials::Create {
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
pub(super) fn CreatedCredentialsDialog() -> impl IntoView {
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
pub(super) fn RevokeDialog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let revoke = ServerAction::<api::credentials::Revoke>::new();
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
                    revoke.dispatch(api::credentials::Revoke { access_key: c.access_key });
                }
            })
            on_cancel=Callback::new(move |_| ctx.revoking.set(None))
        />
    }
}
