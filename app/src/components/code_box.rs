//! Configuration text as people read and write it: a read-only code box with line numbers (so that a
//! parse error's "line L" can be found), and the select of the format the text is written in.

use leptos::prelude::*;

use crate::domain::vaults::VaultFormat;

/// The formats in the order a select offers them.
pub const FORMATS: [VaultFormat; 3] = [VaultFormat::Hocon, VaultFormat::Json, VaultFormat::Yaml];

/// How a format is named to people.
pub fn format_label(format: VaultFormat) -> &'static str {
    match format {
        VaultFormat::Hocon => "HOCON",
        VaultFormat::Json => "JSON",
        VaultFormat::Yaml => "YAML",
    }
}

/// The file extension a text in this format is saved under.
pub fn format_extension(format: VaultFormat) -> &'static str {
    match format {
        VaultFormat::Hocon => "conf",
        VaultFormat::Json => "json",
        VaultFormat::Yaml => "yaml",
    }
}

/// Text shown read-only in a monospace box, one numbered row per line (the numbers come from the
/// stylesheet, so selecting and copying the text leaves them out).
#[component]
pub fn CodeBox(
    /// Stable id of the box (tests read it).
    #[prop(into)]
    id: String,
    #[prop(into)] text: Signal<String>,
) -> impl IntoView {
    view! {
        <pre class="code-box" id=id tabindex="0">
            {move || text.with(|t| {
                t.lines()
                    .map(|line| view! { <span class="code-line">{line.to_string()}</span> })
                    .collect_view()
            })}
        </pre>
    }
}

/// A select of the vault formats, bound to `value`; its label is the caller's (`<label for=id>`).
#[component]
pub fn FormatSelect(
    #[prop(into)] id: String,
    value: RwSignal<VaultFormat>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <select
            id=id
            class="format-select"
            disabled=move || disabled.get()
            prop:value=move || value.get().as_str()
            on:change=move |ev| {
                if let Some(f) = VaultFormat::parse(&event_target_value(&ev)) {
                    value.set(f);
                }
            }
        >
            {FORMATS
                .into_iter()
                .map(|f| view! { <option value=f.as_str() selected=move || value.get() == f>{format_label(f)}</option> })
                .collect_view()}
        </select>
    }
}
