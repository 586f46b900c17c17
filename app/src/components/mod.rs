//! Widgets shared by the settings pages.

pub mod code_box;
pub mod confirm;
pub mod copy_box;
pub mod dialog;
pub mod effective_config;
pub mod files;
pub mod icons;
pub mod inline_edit;
pub mod invite_outcome;
pub mod toggle;

use leptos::prelude::*;

use crate::domain::AppError;

/// An error box for a failed load or action.
#[component]
pub fn ErrorNote(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <p class="error-note" role="alert">{e.user_message()}</p> }
        })
    }
}

/// A placeholder row shown while data loads.
#[component]
pub fn Loading(#[prop(optional, into)] label: Option<String>) -> impl IntoView {
    view! { <p class="loading" aria-busy="true">{label.unwrap_or_else(|| "Loading…".into())}</p> }
}
