//! Atrium's web console: the route table, the HTML shell, and the pages, components, server functions
//! and pure domain rules they are built from. Compiled twice: with `ssr` for the server and with
//! `hydrate` for the browser. Under `ssr` it also holds the server-only code the server functions,
//! the REST API and the command line all call: the services (use cases), the store (SQL), the
//! database, keys and tokens.

#![forbid(unsafe_code)]

// Lets the server-only modules name this crate as `app::…`, as the server crate does.
extern crate self as app;

pub mod api;
pub mod components;
pub mod domain;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod crypto;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod tokens;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use pages::settings::routes;

/// The file name (without extension) of the browser bundle and the stylesheet under `/pkg`.
pub const OUTPUT_NAME: &str = "atrium";

/// The HTML document every page is rendered into. Pages show the caller's own data and are rendered
/// fresh for each request, so no cache may keep them; the bundle they name is cached instead, under
/// names that change with its content.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        // A nonce for this response, which HydrationScripts puts on its inline script.
        if leptos::nonce::use_nonce().is_none() {
            leptos::nonce::provide_nonce();
        }
        if let Some(policy) = leptos::nonce::use_nonce()
            .map(|nonce| content_security_policy(&nonce))
            .and_then(|p| http::HeaderValue::from_str(&p).ok())
        {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts only from this site and the one inline hydration
/// script carrying this response's nonce (Leptos renders it into that script); WebAssembly may
/// compile; styles, images and requests only from this site; no plugins, no framing, and forms post
/// only here.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// The application: login and set-up pages, and the settings console.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Pages render completely on the server (SsrMode::Async): they work without JavaScript, and a
    // page can still set its status code (403, 404) before anything is sent.
    view! {
        <Title text="Atrium"/>
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/") ssr=SsrMode::Async view=|| view! { <Redirect path="/settings/profile"/> }/>
                <Route path=path!("/login") ssr=SsrMode::Async view=pages::sessions::login::LoginPage/>
                <Route path=path!("/setup") ssr=SsrMode::Async view=pages::sessions::setup::SetupPage/>
                <Route path=path!("/invite") ssr=SsrMode::Async view=pages::sessions::invite::InvitePage/>
                <ParentRoute path=path!("/settings") ssr=SsrMode::Async view={Lazy::<routes::ConsoleRoute>::new()}>
                    <Route path=path!("") ssr=SsrMode::Async view=|| view! { <Redirect path="/settings/profile"/> }/>
                    <Route path=path!("profile") ssr=SsrMode::Async view={Lazy::<routes::ProfileRoute>::new()}/>
                    <Route path=path!("configuration") ssr=SsrMode::Async view={Lazy::<routes::ConfigurationRoute>::new()}/>
                    <Route path=path!("workspace") ssr=SsrMode::Async view={Lazy::<routes::WorkspaceRoute>::new()}/>
                    <Route path=path!("admin-vaults") ssr=SsrMode::Async view={Lazy::<routes::AdminVaultsRoute>::new()}/>
                    <Route path=path!("users") ssr=SsrMode::Async view={Lazy::<routes::UsersRoute>::new()}/>
                    <Route path=path!("access-rules") ssr=SsrMode::Async view={Lazy::<routes::AccessRulesRoute>::new()}/>
                    <Route path=path!("identity-providers") ssr=SsrMode::Async view={Lazy::<routes::IdentityProvidersRoute>::new()}/>
                    <Route path=path!("resources") ssr=SsrMode::Async view={Lazy::<routes::ResourcesRoute>::new()}/>
                    <Route path=path!("resource-policies") ssr=SsrMode::Async view={Lazy::<routes::ResourcePoliciesRoute>::new()}/>
                    <Route path=path!("billing") ssr=SsrMode::Async view={Lazy::<routes::BillingRoute>::new()}/>
                    <Route path=path!("audit-log") ssr=SsrMode::Async view={Lazy::<routes::AuditLogRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
