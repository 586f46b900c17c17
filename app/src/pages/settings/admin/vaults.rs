//! Administrator Vaults: configuration that administrators give every member of a user group,
//! merged into their SDK's clearml.conf before the member's own vault. A table of the workspace's
//! vaults (switched on and off in place, downloaded, edited from the version read, deleted after a
//! confirmation), a dialog to add or edit one (typed, or imported from a file), and a member's
//! effective configuration with the origin of every key.

use leptos::prelude::*;

use crate::api;
use crate::api::vaults::{Choice, Vault, VaultForm};
use crate::components::code_box::{FormatSelect, format_extension, format_label};
use crate::components::confirm::ConfirmDialog;
use crate::components::copy_box::CopyBox;
use crate::components::dialog::Dialog;
use crate::components::effective_config::EffectiveConfigView;
use crate::components::files::{LoadedFile, download_text, read_chosen_file};
use crate::components::icons::{PencilIcon, TrashIcon};
use crate::components::toggle::Toggle;
use crate::components::{ErrorNote, Loading};
use crate::domain::AppError;
use crate::domain::timefmt::date_time;
use crate::domain::vaults::{MAX_TEXT_BYTES, VaultFormat};
use crate::pages::settings::{AdminsOnly, Section, SectionHeader, SessionCtx};

/// Where the configuration keys a vault may hold are documented.
const CONFIG_REFERENCE: &str = "https://clear.ml/docs/latest/docs/configs/clearml_conf";

/// The form that saves `vault` as it is, switched on or off.
fn switched(vault: &Vault, enabled: bool) -> VaultForm {
    VaultForm {
        id: Some(vault.id.clone()),
        name: vault.name.clone(),
        group_id: vault.group_id.clone(),
        description: vault.description.clone(),
        format: vault.format,
        enabled,
        text: vault.text.clone(),
        version: Some(vault.version),
    }
}

/// `<name>.<ext>`, with the characters file systems refuse replaced.
fn file_name(vault: &Vault) -> String {
    let base: String = vault
        .name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let base = if base.trim().is_empty() {
        "vault".to_string()
    } else {
        base.trim().to_string()
    };
    format!("{base}.{}", format_extension(vault.format))
}

#[component]
pub fn AdminVaultsPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    if !session.is_admin() {
        return view! { <SectionHeader section=Section::AdminVaults/><AdminsOnly/> }.into_any();
    }
    let save = ServerAction::<api::vaults::Save>::new();
    let switch = ServerAction::<api::vaults::Save>::new();
    let delete = ServerAction::<api::vaults::Delete>::new();
    // The table reloads whenever one of its actions has resolved.
    let data = Resource::new_blocking(
        move || {
            (
                save.version().get(),
                switch.version().get(),
                delete.version().get(),
            )
        },
        |_| api::vaults::list(),
    );
    // `Some(None)` adds a vault, `Some(Some(vault))` edits one.
    let editing = RwSignal::new(None::<Option<Vault>>);
    let deleting = RwSignal::new(None::<Vault>);
    let error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| match switch.value().get() {
        Some(Ok(_)) => error.set(None),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => deleting.set(None),
        Some(Err(e)) => {
            deleting.set(None);
            error.set(Some(e));
        }
        None => {}
    });
    let groups = Signal::derive(move || {
        data.with(|d| match d {
            Some(Ok(o)) => o.groups.clone(),
            _ => vec![],
        })
    });
    let members = Signal::derive(move || {
        data.with(|d| match d {
            Some(Ok(o)) => o.members.clone(),
            _ => vec![],
        })
    });
    let open = move |vault: Option<Vault>| {
        save.clear();
        editing.set(Some(vault));
    };

    view! {
        <SectionHeader section=Section::AdminVaults subtitle="Configuration for every member of a user group, merged into their SDK's clearml.conf before their own vault."/>
        <section class="card" id="admin-vaults">
            <div class="card-title-row">
                <div>
                    <h2>"Vaults"</h2>
                    <p class="muted">"Members receive the enabled vaults of their groups, by group name then vault name; a later vault's key replaces an earlier one's, and a member's personal vault comes last."</p>
                </div>
                <button class="button primary nowrap" id="add-vault" on:click=move |_| open(None)>"+ Add vault"</button>
            </div>
            <ErrorNote error=error/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || data.get().map(|r| match r {
                    Ok(o) if o.vaults.is_empty() => view! {
                        <div class="empty-state compact" id="no-vaults">
                            <p>"No administrator vaults yet."</p>
                            <p class="muted">"Add one to give a user group shared settings: storage credentials, default output URIs, package manager options."</p>
                        </div>
                    }.into_any(),
                    Ok(o) => view! {
                        <div class="table-wrap">
                            <table class="table" id="vaults-table">
                                <thead><tr><th>"Active"</th><th>"Name"</th><th>"Group"</th><th>"ID"</th><th>"Content"</th><th>"Last update"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {o.vaults.into_iter().map(|v| {
                                        let v = StoredValue::new(v);
                                        let name = v.with_value(|v| v.name.clone());
                                        view! {
                                            <tr data-vault=name.clone()>
                                                <td>
                                                    <label class="toggle">
                                                        <input type="checkbox" role="switch" class="vault-active"
                                                            aria-label=format!("Active: {name}")
                                                            prop:checked=v.with_value(|v| v.enabled)
                                                            disabled=move || switch.pending().get()
                                                            on:change=move |ev| {
                                                                let form = v.with_value(|v| switched(v, event_target_checked(&ev)));
                                                                switch.dispatch(api::vaults::Save { form });
                                                            }/>
                                                        <span class="track" aria-hidden="true"><span class="thumb"></span></span>
                                                    </label>
                                                </td>
                                                <td class="vault-name">
                                                    {name.clone()}
                                                    {v.with_value(|v| (!v.description.is_empty()).then(|| view! { <p class="muted small vault-description">{v.description.clone()}</p> }))}
                                                </td>
                                                <td class="vault-group">{v.with_value(|v| v.group_name.clone().unwrap_or_default())}</td>
                                                <td class="vault-id"><CopyBox id=v.with_value(|v| format!("vault-id-{}", v.id)) text=v.with_value(|v| v.id.clone()) label="Copy"/></td>
                                                <td class="vault-summary">
                                                    <span class="badge">{v.with_value(|v| format_label(v.format))}</span>
                                                    " "<code>{v.with_value(|v| v.summary.clone())}</code>
                                                </td>
                                                <td class="vault-updated">
                                                    <span class="nowrap">{v.with_value(|v| date_time(v.updated_ms))}</span>
                                                    <p class="muted small">{v.with_value(|v| format!("by {}", v.updated_by))}</p>
                                                </td>
                                                <td class="row-buttons">
                                                    <button class="button small ghost download-vault" aria-label=format!("Download {name}")
                                                        on:click=move |_| v.with_value(|v| download_text(&file_name(v), &v.text))>"Download"</button>
                                                    <button class="icon-button edit-vault" aria-label=format!("Edit {name}") title="Edit"
                                                        on:click=move |_| open(Some(v.get_value()))><PencilIcon/></button>
                                                    <button class="icon-button trash delete-vault" aria-label=format!("Delete {name}") title="Delete"
                                                        on:click=move |_| deleting.set(Some(v.get_value()))><TrashIcon/></button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                })}
            </Transition>
        </section>
        <EffectiveCard members=members reload=Signal::derive(move || (save.version().get(), switch.version().get(), delete.version().get()))/>
        {move || editing.get().map(|vault| view! { <VaultDialog vault=vault groups=groups editing=editing save=save/> })}
        <ConfirmDialog
            open=Signal::derive(move || deleting.with(Option::is_some))
            title="Delete vault"
            message=Signal::derive(move || deleting.with(|d| d.as_ref().map(|v| format!(
                "Delete the vault {}? Members of {} no longer receive its settings from their next session on.",
                v.name, v.group_name.clone().unwrap_or_default()
            )).unwrap_or_default()))
            confirm_label="Delete"
            pending=delete.pending()
            on_confirm=Callback::new(move |_| if let Some(v) = deleting.get_untracked() { delete.dispatch(api::vaults::Delete { id: v.id }); })
            on_cancel=Callback::new(move |_| deleting.set(None))
        />
    }
    .into_any()
}

/// A labelled input with its own error line.
#[component]
fn TextField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <label for=id>{label}</label>
        <input id=id autocomplete="off" placeholder=placeholder
            aria-invalid=move || error.with(Option::is_some).to_string()
            aria-describedby=described
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))/>
        {move || error.get().map(|m| view! { <p class="field-error" id=error_id.clone() role="alert">{m}</p> })}
    }
}

#[component]
fn VaultDialog(
    vault: Option<Vault>,
    #[prop(into)] groups: Signal<Vec<Choice>>,
    editing: RwSignal<Option<Option<Vault>>>,
    save: ServerAction<api::vaults::Save>,
) -> impl IntoView {
    let is_edit = vault.is_some();
    let id = StoredValue::new(vault.as_ref().map(|v| (v.id.clone(), v.version)));
    let name = RwSignal::new(vault.as_ref().map(|v| v.name.clone()).unwrap_or_default());
    let group = RwSignal::new(
        vault
            .as_ref()
            .and_then(|v| v.group_id.clone())
            .unwrap_or_default(),
    );
    let format = RwSignal::new(vault.as_ref().map(|v| v.format).unwrap_or_default());
    let text = RwSignal::new(vault.as_ref().map(|v| v.text.clone()).unwrap_or_default());
    let description = RwSignal::new(
        vault
            .as_ref()
            .map(|v| v.description.clone())
            .unwrap_or_default(),
    );
    let enabled = RwSignal::new(vault.as_ref().is_none_or(|v| v.enabled));
    let imported = RwSignal::new(None::<Result<String, String>>);
    let close = Callback::new(move |_| editing.set(None));

    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            editing.set(None);
        }
    });
    let failure = Signal::derive(move || save.value().get().and_then(Result::err));
    let error_for = move |field: &'static str| {
        Signal::derive(move || {
            failure.with(|e| {
                e.as_ref()
                    .filter(|e| e.field() == Some(field))
                    .map(AppError::user_message)
            })
        })
    };
    let general = Signal::derive(move || failure.get().filter(|e| e.field().is_none()));
    let data_error = error_for("data");
    let group_error = error_for("group_id");

    let submit = move || {
        let (id, version) = id.get_value().unzip();
        save.dispatch(api::vaults::Save {
            form: VaultForm {
                id,
                name: name.get_untracked(),
                group_id: Some(group.get_untracked()).filter(|g| !g.is_empty()),
                description: description.get_untracked(),
                format: format.get_untracked(),
                enabled: enabled.get_untracked(),
                text: text.get_untracked(),
                version,
            },
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        read_chosen_file(&ev, MAX_TEXT_BYTES, move |loaded| match loaded {
            Ok(LoadedFile {
                name: file,
                text: content,
            }) => {
                let picked = file
                    .rsplit_once('.')
                    .and_then(|(_, ext)| VaultFormat::parse(ext));
                if let Some(f) = picked {
                    format.set(f);
                }
                text.set(content);
                imported.set(Some(Ok(match picked {
                    Some(f) => format!("Loaded {file} as {}.", format_label(f)),
                    None => format!("Loaded {file}; choose its format."),
                })));
            }
            Err(reason) => imported.set(Some(Err(reason))),
        });
    };

    view! {
        <Dialog open=Signal::derive(|| true) title=if is_edit { "Edit vault" } else { "Add vault" } on_close=close>
            <form class="dialog-body form vault-form" id="vault-form" novalidate on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <TextField id="vault-name" label="Name" value=name error=error_for("name") placeholder="storage defaults"/>
                <div class="field-pair">
                    <div class="form">
                        <label for="vault-group">"User group"</label>
                        <select id="vault-group"
                            aria-invalid=move || group_error.with(Option::is_some).to_string()
                            aria-describedby="vault-group-error"
                            prop:value=move || group.get()
                            on:change=move |ev| group.set(event_target_value(&ev))>
                            <option value="" selected=move || group.with(String::is_empty) disabled>"Choose a group"</option>
                            {move || groups.get().into_iter().map(|g| {
                                let gid = g.id.clone();
                                view! { <option value=g.id.clone() selected=move || group.with(|c| *c == gid)>{g.name}</option> }
                            }).collect_view()}
                        </select>
                        {move || group_error.get().map(|m| view! { <p class="field-error" id="vault-group-error" role="alert">{m}</p> })}
                    </div>
                    <div class="form">
                        <label for="vault-format-select">"Format"</label>
                        <FormatSelect id="vault-format-select" value=format/>
                    </div>
                </div>
                <div class="label-row">
                    <label for="vault-content">"Content"</label>
                    <a class="small" href=CONFIG_REFERENCE target="_blank" rel="noopener">"Configuration reference ↗"</a>
                </div>
                <textarea id="vault-content" class="code-input" rows="10" spellcheck="false" autocomplete="off"
                    placeholder="sdk {\n  aws.s3.region: \"eu-west-1\"\n}"
                    aria-invalid=move || data_error.with(Option::is_some).to_string()
                    aria-describedby="vault-content-error"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                {move || data_error.get().map(|m| view! { <p class="field-error" id="vault-content-error" role="alert">{m}</p> })}
                <div class="import-row">
                    <label for="vault-import">"Import file"</label>
                    <input id="vault-import" type="file" accept=".conf,.hocon,.json,.yaml,.yml,.txt" aria-describedby="vault-import-hint" on:change=on_file/>
                </div>
                <p class="field-hint" id="vault-import-hint">"Loads a .conf or .hocon, .json, .yaml or .yml file into the content; the format follows its extension."</p>
                {move || imported.get().map(|r| match r {
                    Ok(m) => view! { <p class="field-hint" id="vault-import-status" role="status">{m}</p> }.into_any(),
                    Err(m) => view! { <p class="field-error" id="vault-import-status" role="alert">{m}</p> }.into_any(),
                })}
                <TextField id="vault-description" label="Description" value=description error=error_for("description")/>
                <Toggle id="vault-form-enabled" label="Enabled" help="Members of the group receive it from their next session on."
                    checked=enabled on_change=Callback::new(move |on| enabled.set(on))/>
                {move || general.get().map(|e| view! {
                    <p class="error-note" id="vault-form-error" role="alert">{match e {
                        AppError::Conflict(m) => m,
                        e => e.user_message(),
                    }}</p>
                })}
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="save-vault-form" disabled=move || save.pending().get()>
                        {if is_edit { "Save" } else { "Add" }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}

/// A member's effective configuration: pick a member, see what their SDK receives and where each
/// key comes from. It is looked up again whenever the vaults change.
#[component]
fn EffectiveCard(
    #[prop(into)] members: Signal<Vec<Choice>>,
    #[prop(into)] reload: Signal<(usize, usize, usize)>,
) -> impl IntoView {
    let member = RwSignal::new(String::new());
    let effective = ServerAction::<api::vaults::Effective>::new();
    Effect::new(move |_| {
        reload.track();
        let id = member.get();
        if !id.is_empty() {
            effective.dispatch(api::vaults::Effective { user_id: Some(id) });
        }
    });
    view! {
        <section class="card" id="effective-configuration">
            <h2>"Effective configuration"</h2>
            <p class="muted">"What a member's SDK receives at its next start: the enabled vaults of their groups, then their personal vault, merged in this order."</p>
            // The members come from the page's list: read inside a Transition, so that the server
            // renders them once they are loaded, as the browser will.
            <Transition fallback=|| view! { <Loading/> }>
                <div class="form-row">
                    <label for="effective-member">"Member"
                        <select id="effective-member" prop:value=move || member.get() on:change=move |ev| member.set(event_target_value(&ev))>
                            <option value="" selected=move || member.with(String::is_empty) disabled>"Choose a member"</option>
                            {move || members.get().into_iter().map(|m| {
                                let mid = m.id.clone();
                                view! { <option value=m.id.clone() selected=move || member.with(|c| *c == mid)>{m.name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </div>
            </Transition>
            <div id="effective-result">
                {move || {
                    if member.with(String::is_empty) {
                        return ().into_any();
                    }
                    match effective.value().get() {
                        _ if effective.pending().get() && effective.value().with(Option::is_none) => view! { <Loading/> }.into_any(),
                        Some(Ok(config)) => view! { <EffectiveConfigView config/> }.into_any(),
                        Some(Err(e)) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                        None => ().into_any(),
                    }
                }}
            </div>
        </section>
    }
}
