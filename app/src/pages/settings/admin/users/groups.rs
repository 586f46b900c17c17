//! The User groups card of Users & Groups: the built-in groups and the workspace's own, edited in
//! a dialog with a member picker that filters as you type.

use leptos::prelude::*;

use crate::api;
use crate::api::groups::{Group, GroupCandidate};
use crate::components::confirm::ConfirmDialog;
use crate::components::dialog::Dialog;
use crate::components::icons::TrashIcon;
use crate::components::{ErrorNote, Loading};

#[component]
pub fn GroupsCard() -> impl IntoView {
    let save = ServerAction::<api::groups::Save>::new();
    let delete = ServerAction::<api::groups::Delete>::new();
    // The list reloads whenever a save or a delete has resolved.
    let data = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| api::groups::overview(),
    );
    let editing = RwSignal::new(None::<Option<Group>>);
    let deleting = RwSignal::new(None::<Group>);
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            deleting.set(None);
        }
    });
    let candidates = Signal::derive(move || {
        data.get()
            .and_then(Result::ok)
            .map(|o| o.candidates)
            .unwrap_or_default()
    });
    view! {
        <section class="card" id="user-groups">
            <div class="card-title-row">
                <div>
                    <h2>"User groups"</h2>
                    <p class="muted">"Users is everyone; Admins are the workspace's administrators; Queue admins manage queues."</p>
                </div>
                <button class="button primary" id="add-group" on:click=move |_| editing.set(Some(None))>"+ Add group"</button>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || data.get().map(|r| match r {
                    Ok(o) => view! {
                        <table class="table" id="groups-table">
                            <thead><tr><th>"Name"</th><th>"Description"</th><th>"Members"</th><th>"Id"</th><th></th></tr></thead>
                            <tbody>
                                {o.groups.into_iter().map(|g| {
                                    let g = StoredValue::new(g);
                                    view! {
                                        <tr data-group=g.with_value(|g| g.name.clone())>
                                            <td>{g.with_value(|g| g.name.clone())}{g.with_value(|g| g.builtin.is_some()).then(|| view! { <span class="badge">"built-in"</span> })}</td>
                                            <td class="muted">{g.with_value(|g| g.description.clone())}</td>
                                            <td class="group-members">{g.with_value(|g| {
                                                let names: Vec<String> = g.members.iter().take(3).map(|m| m.name.clone()).collect();
                                                let more = g.members.len().saturating_sub(3);
                                                if names.is_empty() {
                                                    "0".to_string()
                                                } else {
                                                    format!("{} · {}{}", g.members.len(), names.join(", "), if more > 0 { format!(" +{more}") } else { String::new() })
                                                }
                                            })}</td>
                                            <td><code class="small">{g.with_value(|g| g.id.clone())}</code></td>
                                            <td class="row-buttons">
                                                {g.with_value(|g| g.editable_members).then(|| view! {
                                                    <button class="button small ghost edit-group" on:click=move |_| editing.set(Some(Some(g.get_value())))>"Edit"</button>
                                                })}
                                                {g.with_value(|g| g.builtin.is_none()).then(|| view! {
                                                    <button class="icon-button trash" aria-label=g.with_value(|g| format!("Delete {}", g.name))
                                                        on:click=move |_| deleting.set(Some(g.get_value()))><TrashIcon/></button>
                                                })}
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
        <GroupDialog editing=editing candidates=candidates save=save/>
        <ConfirmDialog
            open=Signal::derive(move || deleting.with(Option::is_some))
            title="Delete group"
            message=Signal::derive(move || format!(
                "Delete the group {}? Its members stay in the workspace; whatever was granted through the group is removed with it.",
                deleting.with(|d| d.as_ref().map(|g| g.name.clone()).unwrap_or_default())
            ))
            confirm_label="Delete"
            pending=delete.pending()
            on_confirm=Callback::new(move |_| if let Some(g) = deleting.get_untracked() { delete.dispatch(api::groups::Delete { id: g.id }); })
            on_cancel=Callback::new(move |_| deleting.set(None))
        />
    }
}

#[component]
fn GroupDialog(
    editing: RwSignal<Option<Option<Group>>>,
    #[prop(into)] candidates: Signal<Vec<GroupCandidate>>,
    save: ServerAction<api::groups::Save>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let members = RwSignal::new(Vec::<GroupCandidate>::new());
    let filter = RwSignal::new(String::new());
    let builtin = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(g) = editing.get() {
            name.set(g.as_ref().map(|g| g.name.clone()).unwrap_or_default());
            description.set(
                g.as_ref()
                    .map(|g| g.description.clone())
                    .unwrap_or_default(),
            );
            members.set(g.as_ref().map(|g| g.members.clone()).unwrap_or_default());
            builtin.set(g.as_ref().is_some_and(|g| g.builtin.is_some()));
            filter.set(String::new());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            editing.set(None);
        }
    });
    let matches = Signal::derive(move || {
        let f = filter.get().to_lowercase();
        let chosen: Vec<String> = members.with(|m| m.iter().map(|c| c.id.clone()).collect());
        candidates
            .get()
            .into_iter()
            .filter(|c| !chosen.contains(&c.id))
            .filter(|c| {
                f.is_empty()
                    || c.name.to_lowercase().contains(&f)
                    || c.email.to_lowercase().contains(&f)
            })
            .take(8)
            .collect::<Vec<_>>()
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let title = Signal::derive(move || {
        if editing.with(|e| matches!(e, Some(Some(_)))) {
            "Edit group"
        } else {
            "Add group"
        }
    });
    view! {
        <Dialog open=Signal::derive(move || editing.with(Option::is_some)) title="User group" on_close=Callback::new(move |_| editing.set(None))>
            <form class="dialog-body form" id="group-form" on:submit=move |ev| {
                ev.prevent_default();
                let id = editing.get_untracked().flatten().map(|g| g.id);
                save.dispatch(api::groups::Save { id, name: name.get_untracked(), description: description.get_untracked(), members: members.get_untracked().into_iter().map(|m| m.id).collect() });
            }>
                <h3>{move || title.get()}</h3>
                <label for="group-name">"Name"</label>
                <input id="group-name" prop:value=move || name.get() disabled=move || builtin.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <label for="group-description">"Description"</label>
                <input id="group-description" prop:value=move || description.get() disabled=move || builtin.get() on:input=move |ev| description.set(event_target_value(&ev))/>
                <label for="member-filter">"Members"</label>
                <input id="member-filter" placeholder="Type a name or e-mail to add…" autocomplete="off" prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" {
                        ev.prevent_default();
                        if let Some(first) = matches.get_untracked().into_iter().next() { members.update(|m| m.push(first)); filter.set(String::new()); }
                    }/>
                <ul class="picker-matches" id="member-matches">
                    {move || matches.get().into_iter().map(|c| {
                        let add = c.clone();
                        view! { <li><button type="button" class="link-button" on:click=move |_| { members.update(|m| m.push(add.clone())); filter.set(String::new()); }>
                            {c.name.clone()}" "<span class="muted small">{c.email.clone()}</span>{c.service_account.then(|| view! { <span class="badge">"service account"</span> })}</button></li> }
                    }).collect_view()}
                </ul>
                <ul class="edit-list" id="group-members">
                    {move || members.get().into_iter().map(|c| {
                        let id = c.id.clone();
                        view! { <li><span class="member-name">{c.name.clone()}" "<span class="muted small">{c.email.clone()}</span></span>
                            <button type="button" class="icon-button trash" aria-label=format!("Remove {} from the group", c.name)
                                on:click=move |_| members.update(|m| m.retain(|x| x.id != id))><TrashIcon/></button></li> }
                    }).collect_view()}
                </ul>
                <ErrorNote error=error/>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| editing.set(None)>"Cancel"</button>
                    <button type="submit" class="button primary" id="save-group" disabled=move || save.pending().get()>"Save"</button>
                </footer>
            </form>
        </Dialog>
    }
}
