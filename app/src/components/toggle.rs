//! A labelled switch. It is a real checkbox, so it works with the keyboard (Space) and screen readers.

use leptos::prelude::*;

#[component]
pub fn Toggle(
    /// Stable id, also used by tests.
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] help: Option<String>,
    #[prop(into)] checked: Signal<bool>,
    #[prop(into)] on_change: Callback<bool>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let input_id = id.clone();
    view! {
        <div class="toggle-row">
            <label class="toggle" for=input_id>
                <input
                    type="checkbox"
                    id=id
                    role="switch"
                    prop:checked=move || checked.get()
                    disabled=move || disabled.get()
                    on:change=move |ev| on_change.run(event_target_checked(&ev))
                />
                <span class="track" aria-hidden="true"><span class="thumb"></span></span>
                <span class="toggle-label">{label}</span>
            </label>
            {help.map(|h| view! { <p class="toggle-help">{h}</p> })}
        </div>
    }
}
