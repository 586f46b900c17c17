//! The invitation link: a new person sets their name and password and joins; someone who already
//! has an account accepts after logging in as the invited address.

use leptos::prelude::*;

use crate::api;
use leptos_router::hooks::use_query_map;

use crate::components::Loading;

#[component]
pub fn InvitePage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token")).unwrap_or_default();
    let info = Resource::new_blocking(token, api::workspaces::invitation);
    let session = Resource::new_blocking(|| (), |_| api::sessions::current());
    let action = ServerAction::<api::workspaces::AcceptLink>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let field_error = move |field: &'static str| {
        move || {
            error()
                .filter(|e| e.field() == Some(field))
                .map(|e| view! { <p class="field-error" role="alert">{e.user_message()}</p> })
        }
    };
    let other_error = move || {
        error()
            .filter(|e| e.field().is_none())
            .map(|e| view! { <p class="error-note" role="alert">{e.user_message()}</p> })
    };
    view! {
        <main class="center-page">
            <div class="card narrow">
                <div class="brand large"><span class="brand-mark" aria-hidden="true">"◆"</span>"Atrium"</div>
                <Suspense fallback=|| view! { <Loading/> }>
                    {move || info.get().map(|r| match r {
                        Ok(Some(inv)) => {
                            let logged_in_as = session.get().and_then(Result::ok).map(|s| s.identity.email);
                            let heading = view! {
                                <h1>"Join " {inv.workspace_name.clone()}</h1>
                                <p class="muted">{inv.invited_by.clone()}" invited "<strong>{inv.email.clone()}</strong>" to this workspace."</p>
                            };
                            if !inv.has_account {
                                view! {
                                    {heading}
                                    <ActionForm action attr:class="form" attr:id="accept-form">
                                        <input type="hidden" name="form[token]" value=token/>
                                        <label for="accept-name">"Your name"</label>
                                        <input id="accept-name" name="form[name]" autocomplete="name" required/>
                                        {field_error("name")}
                                        <label for="accept-password">"Password"</label>
                                        <input id="accept-password" name="form[password]" type="password" autocomplete="new-password" required/>
                                        {field_error("password")}
                                        <label for="accept-password-confirm">"Repeat password"</label>
                                        <input id="accept-password-confirm" name="form[password_confirm]" type="password" autocomplete="new-password" required/>
                                        {field_error("password_confirm")}
                                        {other_error}
                                        <button type="submit" class="button primary wide">"Join workspace"</button>
                                    </ActionForm>
                                }.into_any()
                            } else if logged_in_as.as_deref() == Some(inv.email.as_str()) {
                                view! {
                                    {heading}
                                    <ActionForm action attr:class="form" attr:id="accept-form">
                                        <input type="hidden" name="form[token]" value=token/>
                                        {other_error}
                                        <button type="submit" class="button primary wide">"Accept invitation"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                let next = format!("/login?next={}", crate::domain::validate::url_component(&format!("/invite?token={}", token())));
                                view! {
                                    {heading}
                                    <p>"You already have an account. Log in as "<strong>{inv.email.clone()}</strong>" to accept."</p>
                                    <a class="button primary wide" id="login-to-accept" href=next>"Log in to accept"</a>
                                }.into_any()
                            }
                        }
                        _ => view! {
                            <h1>"This invitation is no longer valid"</h1>
                            <p>"It has been used, cancelled, or has expired. Ask the workspace's administrator for a new one."</p>
                            <a class="button primary" href="/login">"Log in"</a>
                        }.into_any(),
                    })}
                </Suspense>
            </div>
        </main>
    }
}
