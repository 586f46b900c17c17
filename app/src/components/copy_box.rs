//! A block of text with a Copy button (the clipboard needs the browser; the text stays selectable
//! for anyone copying by hand).

use leptos::prelude::*;

/// Writes text to the clipboard; returns false when the browser refuses.
pub fn copy_to_clipboard(_text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(_text);
        return true;
    }
    false
}

#[component]
pub fn CopyBox(
    /// Stable id of the text block (tests read it).
    #[prop(into)]
    id: String,
    #[prop(into)] text: Signal<String>,
    #[prop(optional, into)] label: Option<String>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let label = label.unwrap_or_else(|| "Copy".into());
    let button_label = label.clone();
    view! {
        <div class="copy-box">
            <pre id=id tabindex="0">{move || text.get()}</pre>
            <button type="button" class="button small copy-button" aria-label=label
                on:click=move |_| copied.set(copy_to_clipboard(&text.get_untracked()))>
                {move || if copied.get() { "Copied".to_string() } else { button_label.clone() }}
            </button>
        </div>
    }
}
