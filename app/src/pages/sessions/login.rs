//! The login page: a plain form that works before (and without) the browser bundle, with the
//! server's answer shown next to it.

use leptos::prelude::*;

use crate::api;
use leptos_router::hooks::use_query_map;

use crate::domain::AppError;

/// How a failed login reads.
pub fn login_error_message(e: &AppError) -> String {
    match e {
        AppError::Unauthorized => "Wrong username, e-mail or password.".into(),
        AppError::RateLimited { retry_after_secs } => {
            let (n, unit) = if *retry_after_secs < 60 {
                (*retry_after_secs, "second")
            } else {
                (retry_after_secs.div_ceil(60), "minute")
            };
            format!(
                "Too many failed attempts. Try again in {n} {unit}{}.",
                if n == 1 { "" } else { "s" }
            )
        }
        other => other.user_message(),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<api::sessions::Login>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let bye = move || query.with(|q| q.get("bye")).is_some();
    let error = move || login.value().get().and_then(|r| r.err());
    // A login through an identity provider that failed comes back here with its message.
    let sso_error = move || query.with(|q| q.get("sso_error")).filter(|m| !m.is_empty());
    let buttons = Resource::new(|| (), |_| api::identity_providers::buttons());
    view! {
        <main class="center-page login-page">
            <div class="card narrow">
                <div class="brand large"><span class="brand-mark" aria-hidden="true">"◆"</span>"Atrium"</div>
                <h1>"Log in"</h1>
                <Show when=bye>
                    <p class="info-note" role="status">"You have logged out."</p>
                </Show>
                {move || sso_error().map(|m| view! { <p class="error-note" role="alert" id="sso-error">{m}</p> })}
                <Suspense fallback=|| ()>
                    {move || buttons.get().and_then(Result::ok).filter(|b| !b.is_empty()).map(|b| {
                        let several = b.iter().any(|x| x.workspace != b[0].workspace);
                        view! {
                            <div class="sso-buttons" id="sso-buttons">
                                {b.into_iter().map(|x| view! {
                                    <a class="button wide sso-button" href=x.href.clone() rel="external">
                                        {format!("Log in with {}", x.display_name)}
                                        {several.then(|| view! { <span class="sso-workspace">{x.workspace.clone()}</span> })}
                                    </a>
                                }).collect_view()}
                            </div>
                            <p class="divider-text"><span>"or with your password"</span></p>
                        }
                    })}
                </Suspense>
                <ActionForm action=login attr:class="form" attr:id="login-form">
                    <input type="hidden" name="next" value=next/>
                    <label for="login">"Username or e-mail"</label>
                    <input id="login" name="login" type="text" autocomplete="username" required autofocus/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    {move || error().map(|e| view! { <p class="error-note" role="alert" id="login-error">{login_error_message(&e)}</p> })}
                    <button type="submit" class="button primary wide" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Logging in…" } else { "Log in" }}
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_seconds_or_minutes() {
        let wait =
            |retry_after_secs| login_error_message(&AppError::RateLimited { retry_after_secs });
        assert_eq!(wait(1), "Too many failed attempts. Try again in 1 second.");
        assert_eq!(
            wait(32),
            "Too many failed attempts. Try again in 32 seconds."
        );
        assert_eq!(wait(60), "Too many failed attempts. Try again in 1 minute.");
        assert_eq!(
            wait(899),
            "Too many failed attempts. Try again in 15 minutes."
        );
    }
}
