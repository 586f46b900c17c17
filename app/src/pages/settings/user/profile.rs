//! Profile: who you are in this workspace; the name is edited inline.

use leptos::prelude::*;

use crate::api;
use crate::api::profile::Profile;
use crate::components::inline_edit::InlineEdit;
use crate::components::{ErrorNote, Loading};
use crate::domain::identity::initials;
use crate::domain::timefmt::short_date;
use crate::domain::validate;
use crate::pages::settings::{Section, SectionHeader, SessionCtx};

fn validate_name(raw: &str) -> Result<String, crate::domain::AppError> {
    validate::display_name("name", raw)
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let profile = Resource::new_blocking(|| (), |_| api::profile::get());
    view! {
        <SectionHeader section=Section::Profile/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || profile.get().map(|r| match r {
                Ok(p) => view! { <ProfileCard profile=p/> }.into_any(),
                Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
            })}
        </Suspense>
        <ProviderLinks/>
    }
}

/// The workspace's identity providers the member can log in with: linked ones, and a Link button
/// for the others (the provider's login proves the other side). Hidden when there are none.
#[component]
fn ProviderLinks() -> impl IntoView {
    let links = Resource::new(|| (), |_| api::identity_providers::my_links());
    let query = leptos_router::hooks::use_query_map();
    let linked = move || query.with(|q| q.get("linked")).filter(|m| !m.is_empty());
    let failed = move || query.with(|q| q.get("sso_error")).filter(|m| !m.is_empty());
    view! {
        {move || linked().map(|n| view! { <p class="success-note" role="status" id="link-done">{format!("Your account is now linked to {n}: you can log in with its button.")}</p> })}
        {move || failed().map(|m| view! { <p class="error-note" role="alert" id="link-error">{m}</p> })}
        <Suspense fallback=|| ()>
            {move || links.get().and_then(Result::ok).filter(|l| !l.is_empty()).map(|l| view! {
                <section class="card" id="provider-links">
                    <h2>"Identity providers"</h2>
                    <p class="muted">"Log in with your organisation's account. Link it once; afterwards its button on the login page opens your account."</p>
                    <ul class="plain-list">
                        {l.into_iter().map(|x| view! {
                            <li class="link-row">
                                <span class="strong">{x.display_name.clone()}</span>
                                {if x.linked {
                                    view! { <span class="badge">"Linked"</span> }.into_any()
                                } else {
                                    view! { <a class="button small" href=x.href.clone() rel="external">{format!("Link {}", x.display_name)}</a> }.into_any()
                                }}
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </Suspense>
    }
}

#[component]
fn ProfileCard(profile: Profile) -> impl IntoView {
    let ctx = expect_context::<SessionCtx>();
    let rename = ServerAction::<api::profile::Rename>::new();
    let name = RwSignal::new(profile.name.clone());
    let result = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(outcome) = rename.value().get() {
            if let Ok(p) = &outcome {
                name.set(p.name.clone());
                ctx.info.update(|i| i.identity.user_name = p.name.clone());
            }
            result.set(Some(outcome.map(|_| ())));
        }
    });
    let p = profile;
    view! {
        <section class="card profile-card">
            <div class="profile-head">
                <span class="avatar large" id="profile-avatar" aria-hidden="true">{move || initials(&name.get())}</span>
                <div class="profile-name">
                    <InlineEdit
                        id="profile-name"
                        what="name"
                        value=name
                        validate=validate_name
                        on_save=Callback::new(move |n| { rename.dispatch(api::profile::Rename { name: n }); })
                        result=result
                        pending=rename.pending()
                    />
                    <span class="muted">{format!("@{}", p.username)}</span>
                </div>
            </div>
            <dl class="facts">
                <dt>"E-mail"</dt><dd id="profile-email">{p.email.clone()}</dd>
                <dt>"Workspace"</dt><dd id="profile-workspace">{p.workspace_name.clone()}</dd>
                <dt>"Role"</dt><dd id="profile-role">{p.role.label()}</dd>
                <dt>"Member since"</dt><dd id="profile-created">{short_date(p.created_ms)}</dd>
                <dt>"User id"</dt><dd><code>{p.user_id.clone()}</code></dd>
            </dl>
        </section>
    }
}
