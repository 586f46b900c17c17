//! The Service accounts card of Users & Groups: add (with a first key pair shown once), edit
//! (name, impersonation, more key pairs, revoking single ones), delete.

use leptos::prelude::*;

use crate::api;
use crate::api::service_accounts::ServiceAccount;
use crate::components::confirm::ConfirmDialog;
use crate::components::copy_box::CopyBox;
use crate::components::dialog::Dialog;
use crate::components::icons::TrashIcon;
use crate::components::{ErrorNote, Loading};
use crate::domain::credentials::NewCredential;
use crate::domain::timefmt::{date_time, short_date};

#[component]
pub fn ServiceAccountsCard() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let data = Resource::new(move || version.get(), |_| api::service_accounts::list());
    let refresh = move || version.update(|v| *v += 1);
    let adding = RwSignal::new(false);
    let editing = RwSignal::new(None::<ServiceAccount>);
    let deleting = RwSignal::new(None::<ServiceAccount>);
    let shown = RwSignal::new(None::<NewCredential>);
    let delete = ServerAction::<api::service_accounts::Delete>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            deleting.set(None);
            refresh();
        }
    });
    view! {
        <section class="card" id="service-accounts">
            <div class="card-title-row">
                <div>
                    <h2>"Service accounts"</h2>
                    <p class="muted">"Accounts for agents and automations. They use API credentials only and can never log into the console."</p>
                </div>
                <button class="button primary" id="add-service-account" on:click=move |_| adding.set(true)>"+ Add service account"</button>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || data.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! { <p class="muted" id="no-service-accounts">"No service accounts yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="service-accounts-table">
                            <thead><tr><th>"Name"</th><th>"User groups"</th><th>"User id"</th><th>"Credentials"</th><th>"Last active"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|sa| {
                                    let sa = StoredValue::new(sa);
                                    view! {
                                        <tr data-name=sa.with_value(|s| s.name.clone())>
                                            <td>{sa.with_value(|s| s.name.clone())}
                                                {sa.with_value(|s| s.allow_impersonation).then(|| view! { <span class="badge">"impersonation"</span> })}</td>
                                            <td class="user-groups">{sa.with_value(|s| s.groups.join(", "))}</td>
                                            <td><CopyBox id=sa.with_value(|s| format!("sa-id-{}", s.id)) text=sa.with_value(|s| s.id.clone()) label="Copy"/></td>
                                            <td class="sa-credential-count">{sa.with_value(|s| s.credentials)}</td>
                                            <td class="nowrap">{sa.with_value(|s| s.last_active_ms.map(date_time).unwrap_or_else(|| "Never".into()))}</td>
                                            <td class="row-buttons">
                                                <button class="button small ghost edit-sa" on:click=move |_| editing.set(Some(sa.get_value()))>"Edit"</button>
                                                <button class="icon-button trash delete-sa" aria-label=sa.with_value(|s| format!("Delete {}", s.name))
                                                    on:click=move |_| deleting.set(Some(sa.get_value()))><TrashIcon/></button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                })}
            </Transition>
        </section>
        <AddDialog open=adding shown=shown on_done=Callback::new(move |_| refresh())/>
        <EditDialog editing=editing shown=shown on_done=Callback::new(move |_| refresh())/>
        <Dialog open=Signal::derive(move || shown.with(Option::is_some)) title="Service account credentials" on_close=Callback::new(move |_| shown.set(None))>
            <div class="dialog-body" id="sa-new-credentials">
                <p class="once-note">"Copy these now: the secret key is shown only this once."</p>
                <CopyBox id="sa-config-section" text=Signal::derive(move || shown.with(|c| c.as_ref().map(|c| c.config_section.clone()).unwrap_or_default()))/>
                <footer class="dialog-footer"><button class="button primary" id="sa-credentials-done" on:click=move |_| shown.set(None)>"Done"</button></footer>
            </div>
        </Dialog>
        <ConfirmDialog
            open=Signal::derive(move || deleting.with(Option::is_some))
            title="Delete service account"
            message=Signal::derive(move || format!(
                "Delete {}? Its credentials are revoked: agents using them fail on their next call. Its tasks and artifacts remain.",
                deleting.with(|d| d.as_ref().map(|s| s.name.clone()).unwrap_or_default())
            ))
            confirm_label="Delete"
            pending=delete.pending()
            on_confirm=Callback::new(move |_| if let Some(s) = deleting.get_untracked() { delete.dispatch(api::service_accounts::Delete { id: s.id }); })
            on_cancel=Callback::new(move |_| deleting.set(None))
        />
    }
}

#[component]
fn AddDialog(
    open: RwSignal<bool>,
    shown: RwSignal<Option<NewCredential>>,
    on_done: Callback<()>,
) -> impl IntoView {
    let create = ServerAction::<api::service_accounts::Create>::new();
    let name = RwSignal::new(String::new());
    let allow = RwSignal::new(false);
    Effect::new(move |_| {
        if open.get() {
            name.set(String::new());
            allow.set(false);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            open.set(false);
            shown.set(Some(created.credentials));
            on_done.run(());
        }
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <Dialog open=open title="Add service account" on_close=Callback::new(move |_| open.set(false))>
            <form class="dialog-body form" id="add-sa-form" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(api::service_accounts::Create { name: name.get_untracked(), allow_impersonation: allow.get_untracked() });
            }>
                <label for="sa-name">"Name"</label>
                <input id="sa-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <label class="checkbox"><input type="checkbox" id="sa-impersonation" prop:checked=move || allow.get()
                    on:change=move |ev| allow.set(event_target_checked(&ev))/>" Allow impersonation (agents run tasks as their owners)"</label>
                <ErrorNote error=error/>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button primary" id="create-sa" disabled=move || create.pending().get()>"Create"</button>
                </footer>
            </form>
        </Dialog>
    }
}

#[component]
fn EditDialog(
    editing: RwSignal<Option<ServiceAccount>>,
    shown: RwSignal<Option<NewCredential>>,
    on_done: Callback<()>,
) -> impl IntoView {
    let update = ServerAction::<api::service_accounts::Update>::new();
    let add_key = ServerAction::<api::service_accounts::CreateCredentials>::new();
    let revoke = ServerAction::<api::service_accounts::RevokeCredentials>::new();
    let name = RwSignal::new(String::new());
    let allow = RwSignal::new(false);
    let keys_version = RwSignal::new(0u32);
    let id = Signal::derive(move || {
        editing.with(|e| e.as_ref().map(|s| s.id.clone()).unwrap_or_default())
    });
    let keys = Resource::new(
        move || (id.get(), keys_version.get()),
        |(id, _)| async move {
            if id.is_empty() {
                Ok(vec![])
            } else {
                api::service_accounts::credentials(id).await
            }
        },
    );
    Effect::new(move |_| {
        if let Some(s) = editing.get() {
            name.set(s.name);
            allow.set(s.allow_impersonation);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = update.value().get() {
            editing.set(None);
            on_done.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(created)) = add_key.value().get() {
            shown.set(Some(created));
            keys_version.update(|v| *v += 1);
            on_done.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            keys_version.update(|v| *v += 1);
            on_done.run(());
        }
    });
    let error = Signal::derive(move || {
        update
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| add_key.value().get().and_then(Result::err))
            .or_else(|| revoke.value().get().and_then(Result::err))
    });
    view! {
        <Dialog open=Signal::derive(move || editing.with(Option::is_some)) title="Edit service account" on_close=Callback::new(move |_| editing.set(None))>
            <div class="dialog-body form" id="edit-sa">
                <label for="edit-sa-name">"Name"</label>
                <input id="edit-sa-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <label class="checkbox"><input type="checkbox" id="edit-sa-impersonation" prop:checked=move || allow.get()
                    on:change=move |ev| allow.set(event_target_checked(&ev))/>" Allow impersonation"</label>
                <h3>"Credentials"</h3>
                <Transition fallback=|| view! { <Loading/> }>
                    {move || keys.get().map(|r| match r {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No credentials."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="edit-list" id="sa-keys">
                                {list.into_iter().map(|c| {
                                    let key = c.access_key.clone();
                                    view! {
                                        <li data-access-key=c.access_key.clone()>
                                            <code class="access-key">{c.access_key.clone()}</code>
                                            <span class="muted small">{format!(" {} · created {}", c.label, short_date(c.created_ms))}</span>
                                            <button type="button" class="icon-button trash" aria-label=format!("Revoke {}", c.access_key)
                                                on:click=move |_| { revoke.dispatch(api::service_accounts::RevokeCredentials { id: id.get_untracked(), access_key: key.clone() }); }><TrashIcon/></button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                    })}
                </Transition>
                <button type="button" class="button" id="sa-create-credentials"
                    on:click=move |_| { add_key.dispatch(api::service_accounts::CreateCredentials { id: id.get_untracked(), label: String::new() }); }>"+ Create credentials"</button>
                <ErrorNote error=error/>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| editing.set(None)>"Cancel"</button>
                    <button type="button" class="button primary" id="save-sa" on:click=move |_| {
                        update.dispatch(api::service_accounts::Update { id: id.get_untracked(), name: name.get_untracked(), allow_impersonation: allow.get_untracked() });
                    }>"Save"</button>
                </footer>
            </div>
        </Dialog>
    }
}
