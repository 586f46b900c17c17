//! The settings sections as lazily loaded routes. In the browser, each section's view — and every
//! component, server function call and rule only that section uses — is split out of the main
//! WebAssembly module into a chunk of its own (the Makefile's split step does the cutting), fetched
//! the first time the section is shown; code two sections share goes to a chunk both load. The
//! login, set-up and invitation pages never pay for them. On the server these are ordinary routes
//! rendered in full, and the page they render names the chunks it needs so the browser fetches them
//! beside the main module before hydrating.
//!
//! A section's data loads inside its view (each page creates its own resources), so the route's
//! `data` step carries nothing: the chunk and then the data are fetched, which keeps the server
//! function calls and the types they read out of the main module.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use super::admin::{audit::AuditLogPage, users::UsersPage, vaults::AdminVaultsPage};
use super::user::{
    configuration::ConfigurationPage, profile::ProfilePage, workspace::WorkspacePage,
};

/// Profile.
pub struct ProfileRoute;

#[lazy_route]
impl LazyRoute for ProfileRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ProfilePage/> }.into_any()
    }
}

/// Configuration: preferences, cloud access and the configuration vault.
pub struct ConfigurationRoute;

#[lazy_route]
impl LazyRoute for ConfigurationRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ConfigurationPage/> }.into_any()
    }
}

/// Workspace: workspaces, invitations and API credentials.
pub struct WorkspaceRoute;

#[lazy_route]
impl LazyRoute for WorkspaceRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <WorkspacePage/> }.into_any()
    }
}

/// Administrator Vaults.
pub struct AdminVaultsRoute;

#[lazy_route]
impl LazyRoute for AdminVaultsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <AdminVaultsPage/> }.into_any()
    }
}

/// Users & Groups: members, invitations, service accounts and groups.
pub struct UsersRoute;

#[lazy_route]
impl LazyRoute for UsersRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <UsersPage/> }.into_any()
    }
}

/// Audit Log.
pub struct AuditLogRoute;

#[lazy_route]
impl LazyRoute for AuditLogRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <AuditLogPage/> }.into_any()
    }
}
