//! Configuration → User preferences: switches that save as soon as they change, and the list of
//! container-argument variables whose values are hidden, edited in a dialog.

use leptos::prelude::*;

use crate::api;
use crate::components::ErrorNote;
use crate::components::dialog::Dialog;
use crate::components::icons::TrashIcon;
use crate::components::toggle::Toggle;
use crate::domain::preferences::{DEFAULT_HIDDEN_ARGS, Preferences};
use crate::domain::{AppError, validate};
use crate::pages::settings::SessionCtx;

#[component]
pub(super) fn PreferencesPanel(initial: Preferences) -> impl IntoView {
    let ctx = expect_context::<SessionCtx>();
    let prefs = RwSignal::new(initial);
    let save = ServerAction::<api::preferences::Save>::new();
    let error = RwSignal::new(None::<AppError>);
    let saved_flash = RwSignal::new(false);

    Effect::new(move |_| match save.value().get() {
        Some(Ok(p)) => {
            prefs.set(p.clone());
            ctx.info.update(|i| i.preferences = p);
            error.set(None);
            saved_flash.set(true);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });

    let update = move |f: fn(&mut Preferences, bool)| {
        Callback::new(move |v: bool| {
            let mut next = prefs.get_untracked();
            f(&mut next, v);
            prefs.set(next.clone());
            saved_flash.set(false);
            save.dispatch(api::preferences::Save { prefs: next });
        })
    };
    let field = move |f: fn(&Preferences) -> bool| Signal::derive(move || prefs.with(f));
    let self_hosted = move || ctx.info.with(|i| i.self_hosted);
    let dialog_open = RwSignal::new(false);

    view! {
        <section class="card" id="user-preferences">
            <div class="card-title-row">
                <h2>"User preferences"</h2>
                <span class="save-status" aria-live="polite" id="prefs-status">
                    {move || if save.pending().get() { "Saving…" } else if saved_flash.get() { "Saved" } else { "" }}
                </span>
            </div>
            <ErrorNote error=error/>
            <Toggle id="pref-show-hidden" label="Show hidden projects"
                help="List projects that are marked hidden (pipelines' and datasets' internal projects)."
                checked=field(|p| p.show_hidden_projects) on_change=update(|p, v| p.show_hidden_projects = v)/>
            <Toggle id="pref-hide-examples" label="Don't show examples"
                help="Leave the example project and its task, model and dataset out of your listings."
                checked=field(|p| p.hide_examples) on_change=update(|p, v| p.hide_examples = v)/>
            <Toggle id="pref-disable-hidpi" label="Disable HiDPI browser scale override"
                help="On high-density screens Atrium zooms out slightly so that more fits; turn this on to use the browser's own scale."
                checked=field(|p| p.disable_hidpi_override) on_change=update(|p, v| p.disable_hidpi_override = v)/>
            <Toggle id="pref-hide-tips" label="Don't show pro tips periodically"
                help="A short tip is shown after each login unless this is on."
                checked=field(|p| p.hide_tips) on_change=update(|p, v| p.hide_tips = v)/>
            <Toggle id="pref-block-scripts" label="Block running user's scripts in the browser"
                help="Do not run scripts embedded in debug samples and reports uploaded by users."
                checked=field(|p| p.block_user_scripts) on_change=update(|p, v| p.block_user_scripts = v)/>
            <Show when=self_hosted>
                <Toggle id="pref-telemetry" label="Share anonymous usage data"
                    help="Records your consent to share anonymous usage statistics with the maintainers of this server."
                    checked=field(|p| p.share_anonymous_usage) on_change=update(|p, v| p.share_anonymous_usage = v)/>
            </Show>
            <div class="pref-block" id="hidden-args">
                <div class="card-title-row">
                    <div>
                        <h3>"Hide specific container arguments"</h3>
                        <p class="toggle-help">"The values of these environment variables are shown as ******** in container arguments and logs."</p>
                    </div>
                    <button class="button" id="edit-hidden-args" on:click=move |_| dialog_open.set(true)>"Edit"</button>
                </div>
                <ul class="chips" id="hidden-args-list">
                    {move || prefs.with(|p| p.hidden_container_args.clone()).into_iter().map(|name| view! { <li class="chip">{name}</li> }).collect_view()}
                </ul>
                {move || prefs.with(|p| p.hidden_container_args.is_empty()).then(|| view! { <p class="muted">"No variables are hidden."</p> })}
            </div>
        </section>
        <HiddenArgsDialog
            open=dialog_open
            current=Signal::derive(move || prefs.with(|p| p.hidden_container_args.clone()))
            on_save=Callback::new(move |list: Vec<String>| {
                let mut next = prefs.get_untracked();
                next.hidden_container_args = list;
                saved_flash.set(false);
                save.dispatch(api::preferences::Save { prefs: next });
                dialog_open.set(false);
            })
        />
    }
}

#[component]
fn HiddenArgsDialog(
    open: RwSignal<bool>,
    #[prop(into)] current: Signal<Vec<String>>,
    on_save: Callback<Vec<String>>,
) -> impl IntoView {
    // Each row has a stable key so that removing one keeps the others' inputs in place. The row values
    // are reference-counted signals: they must outlive the effect run that created them.
    let rows = RwSignal::new(Vec::<(usize, ArcRwSignal<String>)>::new());
    let next_key = StoredValue::new(0usize);
    let error = RwSignal::new(None::<String>);
    let add_row = move |value: String| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rows.update(|r| r.push((key, ArcRwSignal::new(value))));
    };
    Effect::new(move |_| {
        if open.get() {
            rows.set(vec![]);
            error.set(None);
            for v in current.get_untracked() {
                add_row(v);
            }
        }
    });
    let submit = move || {
        let mut out = Vec::new();
        for (_, v) in rows.get_untracked() {
            let raw = v.get_untracked();
            if raw.trim().is_empty() {
                continue;
            }
            match validate::env_var_name("hidden_container_args", &raw) {
                Ok(name) if !out.contains(&name) => out.push(name),
                Ok(_) => {}
                Err(e) => {
                    error.set(Some(e.user_message()));
                    return;
                }
            }
        }
        on_save.run(out);
    };
    view! {
        <Dialog open=open title="Hide specific container arguments" on_close=Callback::new(move |_| open.set(false))>
            <form class="dialog-body" id="hidden-args-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <p class="muted">"One environment variable name per row."</p>
                <ul class="edit-list">
                    <For each=move || rows.get() key=|(k, _)| *k children=move |(key, value)| {
                        let shown = value.clone();
                        view! {
                            <li>
                                <input class="arg-input" aria-label="Variable name" prop:value=move || shown.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                                <button type="button" class="icon-button trash" aria-label="Remove variable"
                                    on:click=move |_| rows.update(|r| r.retain(|(k, _)| *k != key))><TrashIcon/></button>
                            </li>
                        }
                    }/>
                </ul>
                <div class="row-actions">
                    <button type="button" class="button ghost" id="add-hidden-arg" on:click=move |_| add_row(String::new())>"+ Add variable"</button>
                    <button type="button" class="button ghost" on:click=move |_| {
                        rows.set(vec![]);
                        for v in DEFAULT_HIDDEN_ARGS { add_row(v.to_string()); }
                    }>"Reset to defaults"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button primary" id="save-hidden-args">"Save"</button>
                </footer>
            </form>
        </Dialog>
    }
}
