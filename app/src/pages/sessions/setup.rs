//! First start: the one-time link the server prints opens this form, which creates the first
//! workspace and its administrator and logs them in.

use leptos::prelude::*;

use crate::api;
use leptos_router::hooks::use_query_map;

use crate::components::Loading;

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token")).unwrap_or_default();
    let open = Resource::new_blocking(token, api::sessions::setup_open);
    let action = ServerAction::<api::sessions::CompleteSetup>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let field_error = move |field: &'static str| {
        move || {
            error()
                .filter(|e| e.field() == Some(field))
                .map(|e| view! { <p class="field-error" role="alert">{e.user_message()}</p> })
        }
    };
    view! {
        <main class="center-page">
            <div class="card narrow">
                <div class="brand large"><span class="brand-mark" aria-hidden="true">"◆"</span>"Atrium"</div>
                <Suspense fallback=|| view! { <Loading/> }>
                    {move || open.get().map(|r| match r {
                        Ok(true) => view! {
                            <h1>"Set up Atrium"</h1>
                            <p class="muted">"Create the first workspace and its administrator. This link works once."</p>
                            <ActionForm action attr:class="form" attr:id="setup-form">
                                <input type="hidden" name="form[token]" value=token/>
                                <label for="setup-workspace">"Workspace name"</label>
                                <input id="setup-workspace" name="form[workspace]" required/>
                                {field_error("workspace")}
                                <label for="setup-name">"Your name"</label>
                                <input id="setup-name" name="form[name]" autocomplete="name" required/>
                                {field_error("name")}
                                <label for="setup-email">"E-mail"</label>
                                <input id="setup-email" name="form[email]" type="email" autocomplete="email" required/>
                                {field_error("email")}
                                <label for="setup-password">"Password"</label>
                                <input id="setup-password" name="form[password]" type="password" autocomplete="new-password" required/>
                                {field_error("password")}
                                <label for="setup-password-confirm">"Repeat password"</label>
                                <input id="setup-password-confirm" name="form[password_confirm]" type="password" autocomplete="new-password" required/>
                                {field_error("password_confirm")}
                                {move || error().filter(|e| e.field().is_none()).map(|e| view! { <p class="error-note" role="alert">{e.user_message()}</p> })}
                                <button type="submit" class="button primary wide" disabled=move || action.pending().get()>"Create administrator"</button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! {
                            <h1>"This set-up link is no longer valid"</h1>
                            <p>"Atrium has been set up already, or the link has expired. Log in, or restart the server on an empty database for a new link."</p>
                            <a class="button primary" href="/login">"Log in"</a>
                        }.into_any(),
                    })}
                </Suspense>
            </div>
        </main>
    }
}
