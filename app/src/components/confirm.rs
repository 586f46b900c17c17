//! Confirmation for destructive actions: says what will happen, names the object, and makes the
//! destructive button red. Escape or Cancel closes it without doing anything.

use leptos::prelude::*;

use super::dialog::Dialog;

#[component]
pub fn ConfirmDialog(
    #[prop(into)] open: Signal<bool>,
    #[prop(into)] title: String,
    #[prop(into)] message: Signal<String>,
    #[prop(into)] confirm_label: String,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(into)] on_cancel: Callback<()>,
    #[prop(optional, into)] pending: Signal<bool>,
) -> impl IntoView {
    let confirm_label = StoredValue::new(confirm_label);
    view! {
        <Dialog open=open title=title on_close=on_cancel>
            <div class="dialog-body">
                <p class="confirm-message">{move || message.get()}</p>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                    <button type="button" class="button danger" id="confirm-action" disabled=move || pending.get()
                        on:click=move |_| on_confirm.run(())>{confirm_label.get_value()}</button>
                </footer>
            </div>
        </Dialog>
    }
}
