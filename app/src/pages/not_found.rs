use leptos::prelude::*;

/// The page for any unknown address (answered with status 404 on the server).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="center-page">
            <div class="card narrow">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <a class="button primary" href="/settings/profile">"Go to Settings"</a>
            </div>
        </main>
    }
}
