//! A modal dialog: focus moves into it, Escape closes it, the backdrop dims the page.

use leptos::prelude::*;

use super::icons::CloseIcon;

#[component]
pub fn Dialog(
    #[prop(into)] open: Signal<bool>,
    #[prop(into)] title: String,
    #[prop(into)] on_close: Callback<()>,
    children: ChildrenFn,
) -> impl IntoView {
    let children = StoredValue::new(children);
    let title = StoredValue::new(title);
    let node = NodeRef::<leptos::html::Div>::new();
    // Move focus into the dialog when it opens (its first field, else the dialog itself), so that
    // the keyboard works in it at once and Escape closes it.
    Effect::new(move |_| {
        if let Some(_el) = node.get() {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let target = _el
                    .query_selector("input:not([type=hidden]), select, textarea")
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                let _ = match target {
                    Some(field) => field.focus(),
                    None => _el.focus(),
                };
            }
        }
    });
    move || {
        open.get().then(|| {
            view! {
                <div class="backdrop" on:click=move |_| on_close.run(())></div>
                <div
                    class="dialog"
                    node_ref=node
                    tabindex="-1"
                    role="dialog"
                    aria-modal="true"
                    aria-label=title.get_value()
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            on_close.run(());
                        }
                    }
                >
                    <header class="dialog-header">
                        <h2>{title.get_value()}</h2>
                        <button class="icon-button" aria-label="Close" on:click=move |_| on_close.run(())>
                            <CloseIcon/>
                        </button>
                    </header>
                    {children.with_value(|c| c())}
                </div>
            }
        })
    }
}
