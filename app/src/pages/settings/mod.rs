//! The settings console's frame: top bar, the left navigation grouped as User Settings and
//! Administrator Settings, the once-per-login tip, and the honest placeholder for sections that are
//! not built yet. Administrator sections are left out of the navigation for members, and their server
//! functions refuse members too.

pub mod admin;
pub mod routes;
pub mod user;

use leptos::prelude::*;

use crate::api;
use crate::api::sessions::SessionInfo;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;

use crate::components::Loading;
use crate::domain::AppError;
use crate::domain::identity::initials;

/// The sections of the settings console, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Profile,
    Configuration,
    Workspace,
    AdminVaults,
    Users,
    AccessRules,
    IdentityProviders,
    Resources,
    ResourcePolicies,
    Billing,
    AuditLog,
}

impl Section {
    pub const ALL: [Section; 11] = [
        Section::Profile,
        Section::Configuration,
        Section::Workspace,
        Section::AdminVaults,
        Section::Users,
        Section::AccessRules,
        Section::IdentityProviders,
        Section::Resources,
        Section::ResourcePolicies,
        Section::Billing,
        Section::AuditLog,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Section::Profile => "/settings/profile",
            Section::Configuration => "/settings/configuration",
            Section::Workspace => "/settings/workspace",
            Section::AdminVaults => "/settings/admin-vaults",
            Section::Users => "/settings/users",
            Section::AccessRules => "/settings/access-rules",
            Section::IdentityProviders => "/settings/identity-providers",
            Section::Resources => "/settings/resources",
            Section::ResourcePolicies => "/settings/resource-policies",
            Section::Billing => "/settings/billing",
            Section::AuditLog => "/settings/audit-log",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Profile => "Profile",
            Section::Configuration => "Configuration",
            Section::Workspace => "Workspace",
            Section::AdminVaults => "Administrator Vaults",
            Section::Users => "Users & Groups",
            Section::AccessRules => "Access Rules",
            Section::IdentityProviders => "Identity Providers",
            Section::Resources => "Resource Configuration",
            Section::ResourcePolicies => "Resource Policies",
            Section::Billing => "Usage & Billing",
            Section::AuditLog => "Audit Log",
        }
    }

    pub fn admin_only(self) -> bool {
        !matches!(
            self,
            Section::Profile | Section::Configuration | Section::Workspace
        )
    }
}

/// The session as the pages of the console share it.
#[derive(Clone, Copy)]
pub struct SessionCtx {
    pub info: RwSignal<SessionInfo>,
}

impl SessionCtx {
    pub fn is_admin(&self) -> bool {
        self.info.with(|i| i.identity.is_admin())
    }
}

/// Sets the response status of the server-rendered page (403 for a forbidden section and the like).
pub fn set_ssr_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(resp), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(_code),
    ) {
        resp.set_status(code);
    }
}

#[component]
pub fn SettingsLayout() -> impl IntoView {
    let session = Resource::new_blocking(|| (), |_| api::sessions::current());
    view! {
        <Suspense fallback=|| view! { <div class="app-loading"><Loading/></div> }>
            {move || {
                session
                    .get()
                    .map(|result| match result {
                        Ok(info) => view! { <Console info/> }.into_any(),
                        Err(AppError::Unauthorized) => {
                            view! {
                                <main class="center-page">
                                    <div class="card narrow">
                                        <h1>"Your session has ended"</h1>
                                        <p>"Log in again to continue."</p>
                                        <a class="button primary" href="/login">"Log in"</a>
                                    </div>
                                </main>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <main class="center-page">
                                    <div class="card narrow">
                                        <h1>"Something went wrong"</h1>
                                        <p class="error-note">{e.user_message()}</p>
                                    </div>
                                </main>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn Console(info: SessionInfo) -> impl IntoView {
    let ctx = SessionCtx {
        info: RwSignal::new(info),
    };
    provide_context(ctx);
    apply_hidpi_preference(ctx);
    let identity = move || ctx.info.with(|i| i.identity.clone());
    let location = use_location();
    let nav_item = move |section: Section| {
        let location = location.clone();
        let path = section.path();
        let current = move || location.pathname.get().starts_with(path);
        view! {
            <li>
                <A href=path attr:class=move || if current() { "nav-link active" } else { "nav-link" }>
                    {section.label()}
                </A>
            </li>
        }
    };
    let user_items = Section::ALL
        .into_iter()
        .filter(|s| !s.admin_only())
        .map(nav_item.clone())
        .collect_view();
    let logout = ServerAction::<api::sessions::Logout>::new();

    view! {
        <div class="console">
            <header class="topbar">
                <a class="brand" href="/settings/profile">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "Atrium"
                </a>
                <span class="workspace-name" title="Current workspace">{move || identity().workspace_name}</span>
                <div class="topbar-user">
                    <span class="avatar small" aria-hidden="true">{move || initials(&identity().user_name)}</span>
                    <span class="user-name" id="topbar-user-name">{move || identity().user_name}</span>
                    <ActionForm action=logout attr:class="inline-form">
                        <button type="submit" class="button ghost" id="logout">"Log out"</button>
                    </ActionForm>
                </div>
            </header>
            <div class="console-body">
                <nav class="sidenav" aria-label="Settings">
                    <h2 class="nav-group">"User Settings"</h2>
                    <ul>{user_items}</ul>
                    <Show when=move || ctx.is_admin()>
                        <h2 class="nav-group">"Administrator Settings"</h2>
                        <ul id="admin-nav">
                            {Section::ALL.into_iter().filter(|s| s.admin_only()).map(nav_item.clone()).collect_view()}
                        </ul>
                    </Show>
                </nav>
                <main class="content">
                    <TipCard/>
                    <InvitationBanner/>
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

/// Zooms the page out on HiDPI screens unless the user turned the override off.
fn apply_hidpi_preference(ctx: SessionCtx) {
    Effect::new(move |_| {
        let _prefs = ctx.info.with(|i| i.preferences.clone());
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let ratio = window.device_pixel_ratio();
            if let Some(root) = window.document().and_then(|d| d.document_element()) {
                // The stylesheet zooms `html[data-hidpi-zoom="on"]` (no inline style: the
                // Content-Security-Policy allows none).
                let zoom = if _prefs.apply_hidpi_zoom(ratio) {
                    "on"
                } else {
                    "off"
                };
                let _ = root.set_attribute("data-hidpi-zoom", zoom);
            }
        }
    });
}

/// Invitations waiting for this user, anywhere in the console but the Workspace section (which lists them).
#[component]
fn InvitationBanner() -> impl IntoView {
    let ctx = expect_context::<SessionCtx>();
    let location = use_location();
    move || {
        let n = ctx.info.with(|i| i.invitations);
        (n > 0 && !location.pathname.get().starts_with(Section::Workspace.path())).then(|| {
            view! {
                <aside class="invite-banner" id="invitation-banner" role="status">
                    <p>{if n == 1 { "You have an invitation to join a workspace.".to_string() } else { format!("You have {n} invitations to join workspaces.") }}</p>
                    <a class="button primary small" href=Section::Workspace.path()>"View"</a>
                </aside>
            }
        })
    }
}

/// The tip shown once after each login, unless tips are turned off in Configuration.
#[component]
fn TipCard() -> impl IntoView {
    let ctx = expect_context::<SessionCtx>();
    let dismiss = ServerAction::<api::sessions::DismissTip>::new();
    let hidden = RwSignal::new(false);
    let tip = move || {
        if hidden.get() {
            None
        } else {
            ctx.info.with(|i| i.tip.clone())
        }
    };
    move || {
        tip().map(|text| {
            view! {
                <aside class="tip-card" role="status" id="pro-tip">
                    <span class="tip-badge">"Pro tip"</span>
                    <p>{text}</p>
                    <ActionForm action=dismiss attr:class="inline-form" on:submit=move |_| hidden.set(true)>
                        <button type="submit" class="button ghost small">"Got it"</button>
                    </ActionForm>
                </aside>
            }
        })
    }
}

/// The page header of a section.
#[component]
pub fn SectionHeader(
    section: Section,
    #[prop(optional, into)] subtitle: Option<String>,
) -> impl IntoView {
    view! {
        <header class="section-header">
            <h1>{section.label()}</h1>
            {subtitle.map(|s| view! { <p class="subtitle">{s}</p> })}
        </header>
    }
}

/// Shown in place of an administrator section for members (with status 403 on the server).
#[component]
pub fn AdminsOnly() -> impl IntoView {
    set_ssr_status(403);
    view! {
        <div class="empty-state" id="forbidden">
            <h2>"Administrators only"</h2>
            <p>"This section is available to workspace administrators. Ask an administrator if you need access."</p>
        </div>
    }
}
