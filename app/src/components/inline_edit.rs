//! Inline editing of one text value: hover shows a pencil, the pencil opens an input with a check mark,
//! Enter or the check mark saves, Escape cancels. The value is checked before it is sent; the server's
//! answer (a field error or success) comes back through `result`.

use leptos::prelude::*;

use super::icons::{CheckIcon, CloseIcon, PencilIcon};
use crate::domain::AppError;

#[component]
pub fn InlineEdit(
    /// Stable id for the input (label target, tests).
    #[prop(into)]
    id: String,
    /// What is being edited, for the accessible labels ("name").
    #[prop(into)]
    what: String,
    #[prop(into)] value: Signal<String>,
    /// The same check the server makes, run before sending.
    validate: fn(&str) -> Result<String, AppError>,
    #[prop(into)] on_save: Callback<String>,
    /// The last save's outcome: `Some(Ok)` closes the editor, `Some(Err)` shows the message.
    #[prop(into)]
    result: Signal<Option<Result<(), AppError>>>,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let waiting = RwSignal::new(false);

    Effect::new(move |_| {
        if let Some(outcome) = result.get() {
            if !waiting.get_untracked() {
                return;
            }
            waiting.set(false);
            match outcome {
                Ok(()) => {
                    editing.set(false);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.user_message())),
            }
        }
    });

    let start = move || {
        draft.set(value.get_untracked());
        error.set(None);
        editing.set(true);
    };
    let cancel = move || {
        editing.set(false);
        error.set(None);
    };
    let save = move || match validate(&draft.get_untracked()) {
        Ok(clean) if clean == value.get_untracked() => cancel(),
        Ok(clean) => {
            error.set(None);
            waiting.set(true);
            on_save.run(clean);
        }
        Err(e) => error.set(Some(e.user_message())),
    };
    let what_edit = format!("Edit {what}");
    let what_save = format!("Save {what}");
    let what_cancel = format!("Cancel editing {what}");
    let input_id = id.clone();

    view! {
        <div class="inline-edit" class:editing=move || editing.get()>
            <Show
                when=move || editing.get()
                fallback=move || {
                    view! {
                        <span class="inline-value" id=format!("{}-value", id.clone())>{move || value.get()}</span>
                        <button class="icon-button pencil" aria-label=what_edit.clone() title=what_edit.clone() on:click=move |_| start()>
                            <PencilIcon/>
                        </button>
                    }
                }
            >
                <input
                    id=input_id.clone()
                    class="inline-input"
                    class:invalid=move || error.get().is_some()
                    aria-invalid=move || error.get().is_some().to_string()
                    autofocus
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| match ev.key().as_str() {
                        "Enter" => save(),
                        "Escape" => cancel(),
                        _ => {}
                    }
                />
                <button class="icon-button check" aria-label=what_save.clone() title=what_save.clone() disabled=move || pending.get() on:click=move |_| save()>
                    <CheckIcon/>
                </button>
                <button class="icon-button" aria-label=what_cancel.clone() title=what_cancel.clone() on:click=move |_| cancel()>
                    <CloseIcon/>
                </button>
            </Show>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}
