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
    move || {
        open.get().then(|| {
            view! {
                <div class="backdrop" on:click=move |_| on_close.run(())></div>
                <div
                    class="dialog"
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
