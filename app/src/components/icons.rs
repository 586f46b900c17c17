//! Inline SVG icons (no icon font or emoji needed, so they render the same everywhere).

use leptos::prelude::*;

fn svg(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="none"
            stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d=path/>
        </svg>
    }
}

#[component]
pub fn TrashIcon() -> impl IntoView {
    svg("M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6")
}

#[component]
pub fn PencilIcon() -> impl IntoView {
    svg("M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z")
}

#[component]
pub fn CheckIcon() -> impl IntoView {
    svg("M20 6L9 17l-5-5")
}

#[component]
pub fn CloseIcon() -> impl IntoView {
    svg("M18 6L6 18M6 6l12 12")
}
