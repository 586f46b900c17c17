//! Workspace: the workspaces you belong to (switch, rename, leave), invitations to you, inviting
//! others (admins), the credential lifetime limit (admins) — in `workspaces` — and your API
//! credentials in every workspace, created with a ready-to-paste configuration section shown once —
//! in `credentials`.

mod credentials;
mod workspaces;

use leptos::prelude::*;

use crate::api;
use crate::api::workspaces::WorkspaceEntry;
use crate::components::{ErrorNote, Loading};
use crate::domain::credentials::{CredentialInfo, NewCredential};
use crate::pages::settings::{Section, SectionHeader};
use credentials::{
    CreateCredentialsDialog, CreatedCredentialsDialog, CredentialsCard, RevokeDialog,
};
use workspaces::{AdminCard, InvitationsForYou, LeaveDialog, WorkspacesCard};

/// Page-level state shared by the cards: a refresh trigger and the open dialogs.
#[derive(Clone, Copy)]
pub(super) struct Ctx {
    pub(super) version: RwSignal<u32>,
    pub(super) leaving: RwSignal<Option<WorkspaceEntry>>,
    pub(super) revoking: RwSignal<Option<CredentialInfo>>,
    pub(super) creating: RwSignal<bool>,
    pub(super) created: RwSignal<Option<NewCredential>>,
}

impl Ctx {
    pub(super) fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

pub(super) fn reload_page() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

#[component]
pub fn WorkspacePage() -> impl IntoView {
    let ctx = Ctx {
        version: RwSignal::new(0),
        leaving: RwSignal::new(None),
        revoking: RwSignal::new(None),
        creating: RwSignal::new(false),
        created: RwSignal::new(None),
    };
    provide_context(ctx);
    let data = Resource::new_blocking(move || ctx.version.get(), |_| api::workspaces::overview());
    view! {
        <SectionHeader section=Section::Workspace subtitle="Your workspaces, invitations and API credentials."/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || data.get().map(|r| match r {
                Ok(o) => {
                    let o = StoredValue::new(o);
                    view! {
                        <InvitationsForYou invitations=o.with_value(|o| o.invitations.clone()) verified=o.with_value(|o| o.email_verified)/>
                        <WorkspacesCard workspaces=o.with_value(|o| o.workspaces.clone())/>
                        {o.with_value(|o| o.workspaces.iter().any(|w| w.current && w.role == crate::domain::Role::Admin)).then(|| view! {
                            <AdminCard pending=o.with_value(|o| o.pending.clone()) max_days=o.with_value(|o| o.max_credential_days) sends_email=o.with_value(|o| o.sends_email)/>
                        })}
                        <CredentialsCard overview=o.get_value()/>
                    }.into_any()
                }
                Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
            })}
        </Transition>
        <CreateCredentialsDialog data=data/>
        <CreatedCredentialsDialog/>
        <LeaveDialog/>
        <RevokeDialog/>
    }
}
