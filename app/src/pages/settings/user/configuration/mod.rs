//! Configuration: your UI preferences (`preferences`), Web App Cloud Access (`cloud_access`) and
//! your configuration vault (`vault`).

mod cloud_access;
mod preferences;
mod vault;

use leptos::prelude::*;

use crate::api;
use crate::components::{ErrorNote, Loading};
use crate::pages::settings::{Section, SectionHeader};
use cloud_access::CloudAccessCard;
use preferences::PreferencesPanel;
use vault::VaultCard;

#[component]
pub fn ConfigurationPage() -> impl IntoView {
    let loaded = Resource::new_blocking(|| (), |_| api::preferences::get());
    view! {
        <SectionHeader section=Section::Configuration/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || loaded.get().map(|r| match r {
                Ok(prefs) => view! { <PreferencesPanel initial=prefs/> }.into_any(),
                Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
            })}
        </Suspense>
        <CloudAccessCard/>
        <VaultCard/>
    }
}
