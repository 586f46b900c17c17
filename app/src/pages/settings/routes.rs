//! The settings console as lazily loaded routes: its frame and each of its sections. In the browser,
//! each one's view — and every component, server function call and rule only it uses — is split
//! out of the main WebAssembly module into a chunk of its own (the Makefile's split step does the
//! cutting), fetched the first time it is shown; code several of them share goes to chunks they all
//! load. The login, set-up and invitation pages never pay for them. On the server these are
//! ordinary routes rendered in full, and the page they render names the chunks it needs, so the
//! browser fetches them beside the main module before hydrating.
//!
//! A section's data loads inside its view (each page creates its own resources), so the route's
//! `data` step carries nothing: the chunk and then the data are fetched, which keeps the server
//! function calls and the types they read out of the main module. The placeholders of sections not
//! built yet stay in the main module: they are a few lines each.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use super::SettingsLayout;
use super::admin::{
    access_rules::AccessRulesPage,
    audit::AuditLogPage,
    billing::BillingPage,
    identity_providers::IdentityProvidersPage,
    resources::{ResourcePoliciesPage, ResourcesPage},
    users::UsersPage,
    vaults::AdminVaultsPage,
};
use super::user::{
    configuration::ConfigurationPage, profile::ProfilePage, workspace::WorkspacePage,
};

/// The console's frame around every section: the session, the top bar, the navigation, the tip
/// and the invitation banner. Loaded together with the first section shown.
pub struct ConsoleRoute;

#[lazy_route]
impl LazyRoute for ConsoleRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SettingsLayout/> }.into_any()
    }
}

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

/// Access Rules: the rules and the explainer.
pub struct AccessRulesRoute;

#[lazy_route]
impl LazyRoute for AccessRulesRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <AccessRulesPage/> }.into_any()
    }
}

/// Identity Providers: the workspace's connections and their editor.
pub struct IdentityProvidersRoute;

#[lazy_route]
impl LazyRoute for IdentityProvidersRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <IdentityProvidersPage/> }.into_any()
    }
}

/// Resource Configuration: the canvas and its editor.
pub struct ResourcesRoute;

#[lazy_route]
impl LazyRoute for ResourcesRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ResourcesPage/> }.into_any()
    }
}

/// Resource Policies: each group's reservation, limit and queues.
pub struct ResourcePoliciesRoute;

#[lazy_route]
impl LazyRoute for ResourcePoliciesRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ResourcePoliciesPage/> }.into_any()
    }
}

/// Usage & Billing: usage against the plan, the plan, billing information and invoices.
pub struct BillingRoute;

#[lazy_route]
impl LazyRoute for BillingRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <BillingPage/> }.into_any()
    }
}
