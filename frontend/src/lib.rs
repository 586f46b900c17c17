//! The browser entry point: hydrates the server-rendered page, then marks the page as hydrated.

use leptos::mount::hydrate_from_async;
use leptos::tachys::dom::body;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the browser's console in development builds; the release bundle leaves the
    // hook (and the formatting it pulls in) out to stay within the transfer budget.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // Hydration waits for the chunks of lazily loaded routes (the settings sections), so it runs as
    // a task; the page is interactive only once it has finished.
    wasm_bindgen_futures::spawn_local(async {
        hydrate_from_async(body(), app::App).await.forget();
        // A marker that only the browser sets, after hydration, so tests can wait for it before
        // clicking.
        let _ = body().set_attribute("data-hydrated", "true");
    });
}
