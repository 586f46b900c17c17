//! A member's effective configuration, as their SDK receives it: every key of the merged vaults
//! with its value, the vault that set it and the earlier vaults it overrode, then the vaults that
//! were applied (in merge order) and those left out because they are disabled.

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::api::vaults::EffectiveConfig;
use crate::domain::vaults::VaultRef;

/// The value at a dotted path of the merged configuration (whose keys hold no dots any more).
fn value_at<'a>(config: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = config.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

/// A vault's name for people, with the group an administrator vault is for.
pub fn vault_label(vault: &VaultRef) -> String {
    match &vault.group {
        Some(group) => format!("{} ({group})", vault.name),
        None => vault.name.clone(),
    }
}

#[component]
fn VaultList(
    id: &'static str,
    vaults: Vec<VaultRef>,
    #[prop(optional)] ordered: bool,
    empty: &'static str,
) -> impl IntoView {
    if vaults.is_empty() {
        return view! { <p class="muted" id=id>{empty}</p> }.into_any();
    }
    let items = vaults
        .iter()
        .map(|v| view! { <li data-vault-id=v.id.clone()>{vault_label(v)}</li> })
        .collect_view();
    if ordered {
        view! { <ol class="vault-list" id=id>{items}</ol> }.into_any()
    } else {
        view! { <ul class="vault-list" id=id>{items}</ul> }.into_any()
    }
}

#[component]
pub fn EffectiveConfigView(config: EffectiveConfig) -> impl IntoView {
    let rows = config
        .merged
        .origins
        .iter()
        .map(|(path, origin)| {
            let value = value_at(&config.merged.config, path)
                .map(Value::to_string)
                .unwrap_or_default();
            let overrode = origin
                .overrode
                .iter()
                .map(vault_label)
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <tr data-key=path.clone()>
                    <td><code class="effective-key">{path.clone()}</code></td>
                    <td><code class="effective-value">{value}</code></td>
                    <td class="effective-set-by">{vault_label(&origin.set_by)}</td>
                    <td class="effective-overrides">
                        {if overrode.is_empty() {
                            view! { <span class="muted">"—"</span> }.into_any()
                        } else {
                            view! { <span>{overrode}</span> }.into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let name = config.user_name.clone();
    view! {
        <div class="effective-config" data-user=config.user_id.clone()>
            {if rows.is_empty() {
                view! {
                    <div class="empty-state compact" id="effective-empty">
                        <p>{format!("No enabled vault sets anything for {name}.")}</p>
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table effective-table" id="effective-table">
                            <thead><tr><th>"Key"</th><th>"Value"</th><th>"Set by"</th><th>"Overrides"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
            <div class="effective-vaults">
                <div>
                    <h3>"Applied, in merge order"</h3>
                    <VaultList id="effective-applied" vaults=config.applied ordered=true empty="No enabled vaults."/>
                </div>
                <div>
                    <h3>"Disabled"</h3>
                    <VaultList id="effective-disabled" vaults=config.disabled empty="None."/>
                </div>
            </div>
        </div>
    }
}
