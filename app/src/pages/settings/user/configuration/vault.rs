//! Configuration → Configuration Vault: your personal configuration, merged into your SDK's
//! clearml.conf after the administrator vaults of your groups. Shown read-only with line numbers;
//! EDIT (or a double-click) opens a format select and a textarea, OK saves from the version you read
//! (a parse error names its line and column and stores nothing; someone else's save in between is
//! a conflict that says so), Cancel restores the stored text. The enable switch saves at once, and
//! a preview shows the configuration your SDK receives from all your vaults.

use leptos::prelude::*;

use crate::api;
use crate::api::vaults::{Vault, VaultForm};
use crate::components::code_box::{CodeBox, FormatSelect, format_label};
use crate::components::dialog::Dialog;
use crate::components::effective_config::EffectiveConfigView;
use crate::components::toggle::Toggle;
use crate::components::{ErrorNote, Loading};
use crate::domain::AppError;
use crate::domain::timefmt::date_time;
use crate::domain::vaults::VaultFormat;

#[component]
pub(super) fn VaultCard() -> impl IntoView {
    let loaded = Resource::new_blocking(|| (), |_| api::vaults::personal());
    view! {
        <section class="card" id="configuration-vault">
            <Transition fallback=|| view! { <h2>"Configuration Vault"</h2><Loading/> }>
                {move || loaded.get().map(|r| match r {
                    Ok(vault) => view! { <VaultEditor initial=vault reload=Callback::new(move |_| loaded.refetch())/> }.into_any(),
                    Err(e) => view! {
                        <h2>"Configuration Vault"</h2>
                        <ErrorNote error=Signal::derive(move || Some(e.clone()))/>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// The form a save sends: the stored vault's id and the version it was read at, with new content.
fn form_for(
    current: Option<&Vault>,
    format: VaultFormat,
    text: String,
    enabled: bool,
) -> VaultForm {
    VaultForm {
        id: current.map(|v| v.id.clone()),
        description: current.map(|v| v.description.clone()).unwrap_or_default(),
        format,
        enabled,
        text,
        version: current.map(|v| v.version),
        ..VaultForm::default()
    }
}

/// What an error says to the person who saved: a conflict's own sentence, without its kind.
fn message(e: &AppError) -> String {
    match e {
        AppError::Conflict(m) => m.clone(),
        e => e.user_message(),
    }
}

#[component]
fn VaultEditor(initial: Option<Vault>, reload: Callback<()>) -> impl IntoView {
    let current = RwSignal::new(initial);
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let format = RwSignal::new(VaultFormat::default());
    let error = RwSignal::new(None::<AppError>);
    let switch_error = RwSignal::new(None::<AppError>);
    let save = ServerAction::<api::vaults::SavePersonal>::new();
    let switch = ServerAction::<api::vaults::SavePersonal>::new();
    let preview = ServerAction::<api::vaults::Effective>::new();
    let previewing = RwSignal::new(false);

    Effect::new(move |_| match save.value().get() {
        Some(Ok(v)) => {
            current.set(Some(v));
            editing.set(false);
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match switch.value().get() {
        Some(Ok(v)) => {
            current.set(Some(v));
            switch_error.set(None);
        }
        Some(Err(e)) => {
            switch_error.set(Some(e));
            // The switch moved when it was clicked: put it back to what is stored.
            current.update(|_| {});
        }
        None => {}
    });

    let start = move || {
        if editing.get_untracked() {
            return;
        }
        let (text, f) = current.with_untracked(|c| {
            c.as_ref()
                .map(|v| (v.text.clone(), v.format))
                .unwrap_or_default()
        });
        draft.set(text);
        format.set(f);
        error.set(None);
        editing.set(true);
    };
    let cancel = move || {
        editing.set(false);
        error.set(None);
    };
    let submit = move || {
        let form = current.with_untracked(|c| {
            form_for(
                c.as_ref(),
                format.get_untracked(),
                draft.get_untracked(),
                c.as_ref().is_some_and(|v| v.enabled),
            )
        });
        save.dispatch(api::vaults::SavePersonal { form });
    };
    let set_enabled = Callback::new(move |on: bool| {
        let form = current.with_untracked(|c| {
            form_for(
                c.as_ref(),
                c.as_ref().map(|v| v.format).unwrap_or_default(),
                c.as_ref().map(|v| v.text.clone()).unwrap_or_default(),
                on,
            )
        });
        switch.dispatch(api::vaults::SavePersonal { form });
    });
    let open_preview = move || {
        previewing.set(true);
        preview.dispatch(api::vaults::Effective { user_id: None });
    };

    let text = Signal::derive(move || {
        current.with(|c| c.as_ref().map(|v| v.text.clone()).unwrap_or_default())
    });
    let has_text = move || text.with(|t| !t.trim().is_empty());
    let conflict = move || error.with(|e| matches!(e, Some(AppError::Conflict(_))));
    let invalid = move || error.with(|e| e.as_ref().is_some_and(|e| e.field() == Some("data")));

    view! {
        <div class="card-title-row">
            <div>
                <h2>"Configuration Vault"</h2>
                <p class="muted">"Your personal configuration, merged into your SDK's clearml.conf after the administrator vaults of your groups: where both set a key, yours wins."</p>
            </div>
            <div class="card-actions">
                <button class="button nowrap" id="preview-effective" on:click=move |_| open_preview()>"Preview effective configuration"</button>
                <Show when=move || !editing.get()>
                    <button class="button primary" id="edit-vault" on:click=move |_| start()>"Edit"</button>
                </Show>
            </div>
        </div>
        <Toggle id="personal-vault-enabled" label="Enable my vault"
            help="When enabled, your SDK and agents use this configuration at their next start. Keep it disabled while editing."
            checked=Signal::derive(move || current.with(|c| c.as_ref().is_some_and(|v| v.enabled)))
            disabled=Signal::derive(move || current.with(Option::is_none) || switch.pending().get())
            on_change=set_enabled/>
        <ErrorNote error=switch_error/>
        <Show
            when=move || editing.get()
            fallback=move || view! {
                <div class="vault-view" title="Double-click to edit" on:dblclick=move |_| start()>
                    <Show
                        when=has_text
                        fallback=|| view! {
                            <div class="empty-state compact" id="no-vault">
                                <p>"No personal configuration yet — EDIT to add some"</p>
                                <p class="muted">"Write it in HOCON (as clearml.conf), JSON or YAML, e.g. sdk.aws.s3.region: eu-west-1"</p>
                            </div>
                        }
                    >
                        <CodeBox id="vault-text" text=text/>
                    </Show>
                    {move || current.get().map(|v| view! {
                        <p class="field-hint" id="vault-meta">
                            {format!("{} · version {} · saved {} by {}", format_label(v.format), v.version, date_time(v.updated_ms), v.updated_by)}
                        </p>
                    })}
                </div>
            }
        >
            <form class="form vault-editor" id="vault-form" novalidate on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <div class="format-row">
                    <label for="vault-format">"Format"</label>
                    <FormatSelect id="vault-format" value=format/>
                </div>
                <label for="vault-editor-text" class="sr-only">"Configuration text"</label>
                <textarea
                    id="vault-editor-text"
                    class="code-input"
                    spellcheck="false"
                    autocomplete="off"
                    rows=move || draft.with(|d| d.lines().count().clamp(6, 24) + 2)
                    aria-invalid=move || invalid().to_string()
                    aria-describedby="vault-error"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        // Ctrl+Enter (⌘+Enter) saves; Enter alone is a new line.
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                {move || error.get().map(|e| {
                    let class = if e.field().is_some() { "field-error" } else { "error-note" };
                    view! {
                        <div class="vault-error">
                            <p class=class id="vault-error" role="alert">{message(&e)}</p>
                            {conflict().then(|| view! {
                                <button type="button" class="button small" id="vault-reload" on:click=move |_| reload.run(())>"Reload the saved version"</button>
                            })}
                        </div>
                    }
                })}
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" id="cancel-vault" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="submit" class="button primary" id="save-vault" disabled=move || save.pending().get()>"OK"</button>
                </footer>
            </form>
        </Show>
        <Dialog open=previewing title="Effective configuration" on_close=Callback::new(move |_| previewing.set(false))>
            <div class="dialog-body" id="effective-preview">
                <p class="muted">"What your SDK receives at its next start: every enabled vault of your groups, then yours, merged in this order."</p>
                {move || if preview.pending().get() {
                    view! { <Loading/> }.into_any()
                } else {
                    match preview.value().get() {
                        Some(Ok(config)) => view! { <EffectiveConfigView config/> }.into_any(),
                        Some(Err(e)) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                        None => view! { <Loading/> }.into_any(),
                    }
                }}
                <footer class="dialog-footer">
                    <button type="button" class="button primary" id="close-preview" on:click=move |_| previewing.set(false)>"Close"</button>
                </footer>
            </div>
        </Dialog>
    }
}
