//! Settings → Identity Providers: the workspace's connections (Active toggle, name, provider,
//! protocol, id with a copy button, last update; edit and delete on hover or focus), and the
//! connection editor: protocol and provider presets, every OIDC and SAML field, the callback / ACS
//! URL and SAML metadata URL to give the provider, discovery from the issuer, IdP metadata by file or
//! URL, claims mapping, group synchronisation, and a test login in a popup before saving.

use leptos::prelude::*;

use crate::api;
use crate::api::identity_providers::{Connection, ConnectionForm, TestOutcome};
use crate::components::confirm::ConfirmDialog;
use crate::components::copy_box::{CopyBox, copy_to_clipboard};
use crate::components::dialog::Dialog;
use crate::components::icons::{PencilIcon, TrashIcon};
use crate::components::toggle::Toggle;
use crate::components::{ErrorNote, Loading};
use crate::domain::AppError;
use crate::domain::identity_providers::{
    ClaimsMap, CodeChallenge, OidcSettings, Protocol, Provider, STANDARD_SCOPES, SamlSettings,
    Settings, default_entity_id, preset, return_url,
};
use crate::pages::settings::{AdminsOnly, Section, SectionHeader, SessionCtx};

#[component]
pub fn IdentityProvidersPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    if !session.is_admin() {
        return view! { <SectionHeader section=Section::IdentityProviders/><AdminsOnly/> }
            .into_any();
    }
    let save = ServerAction::<api::identity_providers::Save>::new();
    let delete = ServerAction::<api::identity_providers::Delete>::new();
    let set_active = ServerAction::<api::identity_providers::SetActive>::new();
    let data = Resource::new_blocking(
        move || {
            (
                save.version().get(),
                delete.version().get(),
                set_active.version().get(),
            )
        },
        |_| api::identity_providers::list(),
    );
    // `Some(None)` makes a connection, `Some(Some(c))` edits one.
    let editing = RwSignal::new(None::<Option<Connection>>);
    let deleting = RwSignal::new(None::<Connection>);
    let error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => deleting.set(None),
        Some(Err(e)) => {
            deleting.set(None);
            error.set(Some(e));
        }
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = set_active.value().get() {
            error.set(Some(e));
        }
    });
    let open = move |c: Option<Connection>| {
        save.clear();
        editing.set(Some(c));
    };
    let public_url = move || {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            String::new()
        }
    };

    view! {
        <SectionHeader section=Section::IdentityProviders subtitle="Let people log in with your identity provider. Each active connection adds a \u{201c}Log in with \u{2026}\u{201d} button to the login page and logs people into this workspace only."/>
        <section class="card" id="identity-providers">
            <div class="card-title-row">
                <div>
                    <h2>"Connections"</h2>
                    <p class="muted">"A person is found by an earlier login through the same provider, or by an open invitation to the address the provider verified \u{2014} never by the address alone."</p>
                </div>
                <button class="button primary nowrap" id="new-connection" on:click=move |_| open(None)>"+ New connection"</button>
            </div>
            <ErrorNote error=error/>
            <Suspense fallback=|| view! { <Loading/> }>
                {move || data.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state" id="no-connections">
                            <p><strong>"No connections yet."</strong></p>
                            <p class="muted">"Add your OIDC provider (Okta, Auth0, Azure, Google, Keycloak and others): people then log in with one click, and their groups can follow the provider's."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="connections-table">
                            <thead><tr>
                                <th>"Active"</th><th>"Name"</th><th>"Provider"</th><th>"Protocol"</th><th>"ID"</th><th>"Last update"</th><th><span class="sr-only">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| {
                                    let c = StoredValue::new(c);
                                    let id = c.with_value(|c| c.id.clone());
                                    let copied = RwSignal::new(false);
                                    view! {
                                        <tr class="hover-row" data-connection=c.with_value(|c| c.settings.display_name.clone())>
                                            <td>
                                                <Toggle id=format!("active-{id}") label=c.with_value(|c| format!("{} is active", c.settings.display_name))
                                                    checked=Signal::derive(move || c.with_value(|c| c.active))
                                                    on_change=Callback::new(move |on: bool| {
                                                        set_active.dispatch(api::identity_providers::SetActive { id: c.with_value(|c| c.id.clone()), active: on });
                                                    })/>
                                            </td>
                                            <td class="strong">{c.with_value(|c| c.settings.display_name.clone())}</td>
                                            <td>{c.with_value(|c| c.settings.provider.label())}</td>
                                            <td>{c.with_value(|c| c.settings.protocol.label())}</td>
                                            <td class="nowrap">
                                                <code class="small">{c.with_value(|c| c.id.chars().take(8).collect::<String>())}"\u{2026}"</code>
                                                <button type="button" class="button ghost small" aria-label="Copy the connection ID"
                                                    on:click=move |_| copied.set(copy_to_clipboard(&c.with_value(|c| c.id.clone())))>
                                                    {move || if copied.get() { "Copied" } else { "Copy" }}
                                                </button>
                                            </td>
                                            <td class="muted small">{c.with_value(|c| format!("{} by {}", c.updated.get(..16).unwrap_or(&c.updated).replace('T', " "), c.updated_by))}</td>
                                            <td class="row-actions">
                                                <button class="icon-button" aria-label=format!("Edit {}", c.with_value(|c| c.settings.display_name.clone()))
                                                    on:click=move |_| open(Some(c.get_value()))><PencilIcon/></button>
                                                <button class="icon-button danger" aria-label=format!("Delete {}", c.with_value(|c| c.settings.display_name.clone()))
                                                    on:click=move |_| deleting.set(Some(c.get_value()))><TrashIcon/></button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </section>
        <PasswordLoginCard changed=Signal::derive(move || (save.version().get(), delete.version().get(), set_active.version().get()))/>
        {move || editing.get().map(|c| view! {
            <ConnectionEditor initial=c save=save public_url=public_url() on_close=Callback::new(move |_| editing.set(None))/>
        })}
        <ConfirmDialog
            open=Signal::derive(move || deleting.with(Option::is_some))
            title="Delete connection"
            message=Signal::derive(move || deleting.with(|d| d.as_ref().map(|c| format!(
                "Delete \u{201c}{}\u{201d}? Its button leaves the login page and nobody can log in through it. Accounts it made stay, with their passwords unset.",
                c.settings.display_name
            )).unwrap_or_default()))
            confirm_label="Delete"
            pending=delete.pending()
            on_confirm=Callback::new(move |_| {
                if let Some(c) = deleting.get_untracked() {
                    delete.dispatch(api::identity_providers::Delete { id: c.id });
                }
            })
            on_cancel=Callback::new(move |_| deleting.set(None))
        />
    }
    .into_any()
}

/// A text field of the editor bound to a signal; `id` is stable for tests.
#[component]
fn Field(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(optional, into)] placeholder: String,
    #[prop(optional, into)] help: Option<String>,
    #[prop(optional)] password: bool,
) -> impl IntoView {
    let for_id = id.clone();
    view! {
        <label for=for_id>{label}</label>
        <input id=id type=if password { "password" } else { "text" } placeholder=placeholder autocomplete="off"
            prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
        {help.map(|h| view! { <p class="field-help">{h}</p> })}
    }
}

fn lines(v: &[String]) -> String {
    v.join(" ")
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[component]
fn ConnectionEditor(
    initial: Option<Connection>,
    save: ServerAction<api::identity_providers::Save>,
    public_url: String,
    on_close: Callback<()>,
) -> impl IntoView {
    let existing = initial.clone();
    let s = initial
        .as_ref()
        .map(|c| c.settings.clone())
        .unwrap_or_else(|| Settings {
            web_app_url: public_url.clone(),
            create_users: false,
            ..Settings::default()
        });
    let title = if initial.is_some() {
        "Edit connection"
    } else {
        "New connection"
    };
    let has_secret = initial.as_ref().is_some_and(|c| c.has_secret);
    let protocol = RwSignal::new(s.protocol);
    let provider = RwSignal::new(s.provider);
    let display_name = RwSignal::new(s.display_name.clone());
    let web_app_url = RwSignal::new(s.web_app_url.clone());
    let tenant = RwSignal::new(s.tenant.clone());
    let o = s.oidc.clone();
    let issuer = RwSignal::new(o.issuer.clone());
    let client_id = RwSignal::new(o.client_id.clone());
    let secret = RwSignal::new(String::new());
    let authorization = RwSignal::new(o.authorization_endpoint.clone());
    let token = RwSignal::new(o.token_endpoint.clone());
    let revocation = RwSignal::new(o.revocation_endpoint.clone());
    let from_id_token = RwSignal::new(o.userinfo_from_id_token);
    let userinfo = RwSignal::new(o.userinfo_endpoint.clone());
    let email_verified = RwSignal::new(o.require_email_verified);
    let create_users = RwSignal::new(s.create_users);
    let verify_signature = RwSignal::new(o.verify_signature);
    let jwks = RwSignal::new(o.jwks_uri.clone());
    let challenge = RwSignal::new(o.code_challenge);
    let scopes = RwSignal::new(o.scopes.clone());
    let extra_scopes = RwSignal::new(lines(&o.additional_scopes));
    let c = s.claims.clone();
    let claim_user = RwSignal::new(c.user_id.clone());
    let claim_email = RwSignal::new(c.email.clone());
    let claim_name = RwSignal::new(c.name.clone());
    let claim_given = RwSignal::new(c.given_name.clone());
    let claim_family = RwSignal::new(c.family_name.clone());
    let claim_picture = RwSignal::new(c.picture.clone());
    let claim_groups = RwSignal::new(c.groups.clone());
    let m = s.saml.clone();
    let entity_id = RwSignal::new(m.entity_id.clone());
    let metadata_xml = RwSignal::new(m.metadata_xml.clone());
    let metadata_url = RwSignal::new(m.metadata_url.clone());
    let metadata_note = RwSignal::new(if m.metadata_fetched.is_empty() {
        None
    } else {
        Some(format!(
            "Read from the URL at {} (and every hour).",
            m.metadata_fetched
        ))
    });
    let signed_assertions = RwSignal::new(m.require_signed_assertions);
    let sign_requests = RwSignal::new(m.sign_requests);
    let public_certificate = RwSignal::new(m.public_certificate.clone());
    let sp_metadata_url = StoredValue::new(
        initial
            .as_ref()
            .map(|c| c.sp_metadata_url.clone())
            .unwrap_or_default(),
    );
    let is_saml = move || protocol.get() == Protocol::Saml;
    let group_sync = RwSignal::new(s.group_sync);
    let sync_admins = RwSignal::new(s.group_sync_admins);
    let the_preset = Memo::new(move |_| preset(protocol.get(), provider.get()));
    // A new provider brings its claim names.
    let choose_provider = move |p: Provider| {
        provider.set(p);
        let c = preset(protocol.get_untracked(), p).claims;
        claim_user.set(c.user_id);
        claim_email.set(c.email);
        claim_name.set(c.name);
        claim_given.set(c.given_name);
        claim_family.set(c.family_name);
        claim_picture.set(c.picture);
        claim_groups.set(c.groups);
    };
    let settings = move || Settings {
        protocol: protocol.get_untracked(),
        provider: provider.get_untracked(),
        display_name: display_name.get_untracked(),
        tenant: tenant.get_untracked(),
        web_app_url: web_app_url.get_untracked(),
        create_users: create_users.get_untracked(),
        claims: ClaimsMap {
            user_id: claim_user.get_untracked(),
            email: claim_email.get_untracked(),
            name: claim_name.get_untracked(),
            given_name: claim_given.get_untracked(),
            family_name: claim_family.get_untracked(),
            picture: claim_picture.get_untracked(),
            groups: claim_groups.get_untracked(),
        },
        group_sync: group_sync.get_untracked(),
        group_sync_admins: sync_admins.get_untracked(),
        oidc: OidcSettings {
            issuer: issuer.get_untracked(),
            client_id: client_id.get_untracked(),
            authorization_endpoint: authorization.get_untracked(),
            token_endpoint: token.get_untracked(),
            revocation_endpoint: revocation.get_untracked(),
            userinfo_from_id_token: from_id_token.get_untracked(),
            userinfo_endpoint: userinfo.get_untracked(),
            require_email_verified: email_verified.get_untracked(),
            verify_signature: verify_signature.get_untracked(),
            jwks_uri: jwks.get_untracked(),
            code_challenge: challenge.get_untracked(),
            scopes: scopes.get_untracked(),
            additional_scopes: words(&extra_scopes.get_untracked()),
        },
        saml: SamlSettings {
            entity_id: entity_id.get_untracked(),
            metadata_xml: metadata_xml.get_untracked(),
            metadata_url: metadata_url.get_untracked(),
            metadata_fetched: String::new(),
            require_signed_assertions: signed_assertions.get_untracked(),
            sign_requests: sign_requests.get_untracked(),
            public_certificate: public_certificate.get_untracked(),
        },
    };
    let existing = StoredValue::new(existing);
    let form = move || ConnectionForm {
        id: existing.with_value(|e| e.as_ref().map(|c| c.id.clone())),
        version: existing.with_value(|e| e.as_ref().map(|c| c.version)),
        settings: settings(),
        secret: {
            let typed = secret.get_untracked();
            (!typed.is_empty()).then_some(typed)
        },
        active: None,
    };
    let callback_url = Signal::derive(move || return_url(&web_app_url.get(), protocol.get()));
    let entity_placeholder =
        Signal::derive(move || default_entity_id(&web_app_url.get(), &display_name.get()));
    // Discovery fills the endpoints from the issuer.
    let discover = ServerAction::<api::identity_providers::Discover>::new();
    Effect::new(move |_| {
        if let Some(Ok(e)) = discover.value().get() {
            issuer.set(e.issuer);
            authorization.set(e.authorization_endpoint);
            token.set(e.token_endpoint);
            revocation.set(e.revocation_endpoint);
            userinfo.set(e.userinfo_endpoint);
            jwks.set(e.jwks_uri);
        }
    });
    // A test login: started here, finished in a popup; its outcome is read until it is done.
    let test = ServerAction::<api::identity_providers::Test>::new();
    let outcome = RwSignal::new(None::<TestOutcome>);
    let polls = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(start)) = test.value().get() {
            outcome.set(Some(TestOutcome::default()));
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.open_with_url_and_target_and_features(
                    &start.url,
                    "atrium-sso-test",
                    "popup,width=520,height=680",
                );
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = start;
            polls.set(1);
        }
    });
    Effect::new(move |_| {
        let n = polls.get();
        if n == 0 || n > 300 {
            return;
        }
        let Some(Ok(start)) = test.value().get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            #[cfg(feature = "hydrate")]
            gloo_timers::future::TimeoutFuture::new(1000).await;
            match api::identity_providers::test_status(start.test).await {
                Ok(o) if o.done => {
                    outcome.set(Some(o));
                    polls.set(0);
                }
                Ok(_) => polls.set(n + 1),
                Err(e) => {
                    outcome.set(Some(TestOutcome {
                        done: true,
                        error: Some(e.user_message()),
                        ..TestOutcome::default()
                    }));
                    polls.set(0);
                }
            }
        });
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            on_close.run(());
        }
    });
    let save_error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let test_error = Signal::derive(move || test.value().get().and_then(|r| r.err()));
    let discover_error = Signal::derive(move || discover.value().get().and_then(|r| r.err()));
    let secret_placeholder = if has_secret {
        "Stored \u{2014} leave empty to keep it"
    } else {
        ""
    };

    view! {
        <Dialog open=Signal::derive(|| true) title=title on_close=on_close>
            <form class="dialog-body form connection-form" id="connection-form" on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(api::identity_providers::Save { form: form() });
            }>
                <fieldset class="inline-choices">
                    <legend>"Protocol"</legend>
                    <label><input type="radio" name="protocol" id="protocol-oidc" prop:checked=move || protocol.get() == Protocol::Oidc
                        on:change=move |_| { protocol.set(Protocol::Oidc); choose_provider(Provider::Custom); }/>" OIDC"</label>
                    <label><input type="radio" name="protocol" id="protocol-saml" prop:checked=move || protocol.get() == Protocol::Saml
                        on:change=move |_| { protocol.set(Protocol::Saml); choose_provider(Provider::Custom); }/>" SAML"</label>
                </fieldset>
                <label for="provider">"Provider"</label>
                <select id="provider" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Ok(p) = Provider::parse("provider", protocol.get_untracked(), &v) {
                        choose_provider(p);
                    }
                }>
                    {move || Provider::for_protocol(protocol.get()).iter().map(|p| {
                        let p = *p;
                        view! { <option value=p.as_str() selected=move || provider.get() == p>{p.label()}</option> }
                    }).collect_view()}
                </select>
                <p class="field-help" id="preset-help">{move || the_preset.get().help}</p>
                <Field id="display-name" label="Display name" value=display_name placeholder="Corporate login" help="The login button reads \u{201c}Log in with <display name>\u{201d}; unique in this workspace."/>
                {move || the_preset.get().tenant_label.map(|l| view! {
                    <Field id="tenant" label=l value=tenant placeholder=the_preset.get().tenant_example help="The endpoints below are derived from it when left empty."/>
                })}
                <Field id="web-app-url" label="WebApp URL" value=web_app_url help="This console's address as people reach it."/>
                <label>{move || if is_saml() { "Reply / ACS URL" } else { "Callback URL" }}</label>
                <CopyBox id="callback-url" text=callback_url label="Copy"/>
                <p class="field-help">{move || if is_saml() {
                    "Give this to the identity provider as the Assertion Consumer Service (ACS) URL, with the Entity ID below."
                } else {
                    "Register this as the redirect URI of your application at the provider."
                }}</p>
                <Show when=is_saml>
                    <SamlFields entity_id=entity_id entity_placeholder=entity_placeholder metadata_xml=metadata_xml
                        metadata_url=metadata_url metadata_note=metadata_note signed_assertions=signed_assertions
                        sign_requests=sign_requests public_certificate=public_certificate secret=secret
                        has_secret=has_secret sp_metadata_url=sp_metadata_url.get_value()/>
                </Show>
                <Show when=move || !is_saml()>
                    <label for="issuer">"Issuer URL"</label>
                    <div class="input-with-button">
                        <input id="issuer" type="text" placeholder="https://login.example.com" prop:value=move || issuer.get() on:input=move |ev| issuer.set(event_target_value(&ev))/>
                        <button type="button" class="button nowrap" id="discover" disabled=move || discover.pending().get()
                            on:click=move |_| { discover.dispatch(api::identity_providers::Discover { issuer: issuer.get_untracked() }); }>
                            {move || if discover.pending().get() { "Reading\u{2026}" } else { "Fill from discovery" }}
                        </button>
                    </div>
                    <ErrorNote error=discover_error/>
                    <Field id="client-id" label="Client ID" value=client_id/>
                    <Field id="client-secret" label="Client secret" value=secret password=true placeholder=secret_placeholder help="Stored encrypted and never shown again."/>
                    <Field id="authorization-endpoint" label="Authorization endpoint" value=authorization/>
                    <Field id="token-endpoint" label="Access token endpoint" value=token/>
                    <Field id="revocation-endpoint" label="Revocation endpoint (optional)" value=revocation/>
                    <Toggle id="userinfo-from-id-token" label="Obtain user information from the ID token" checked=from_id_token on_change=Callback::new(move |v| from_id_token.set(v))/>
                    <Show when=move || !from_id_token.get()>
                        <Field id="userinfo-endpoint" label="User info endpoint" value=userinfo/>
                    </Show>
                    <Toggle id="email-verification" label="Email verification" help="Refuse addresses the provider has not verified (email_verified)." checked=email_verified on_change=Callback::new(move |v| email_verified.set(v))/>
                    <Toggle id="verify-signature" label="Verify token signature" help="May be turned off only when the token endpoint is https." checked=verify_signature on_change=Callback::new(move |v| verify_signature.set(v))/>
                    <Show when=move || verify_signature.get()>
                        <Field id="jwks-uri" label="JWKS URI" value=jwks/>
                    </Show>
                    <label for="code-challenge">"Code challenge method"</label>
                    <select id="code-challenge" on:change=move |ev| challenge.set(match event_target_value(&ev).as_str() {
                        "none" => CodeChallenge::None,
                        "plain" => CodeChallenge::Plain,
                        _ => CodeChallenge::S256,
                    })>
                        <option value="s256" selected=move || challenge.get() == CodeChallenge::S256>"S256"</option>
                        <option value="plain" selected=move || challenge.get() == CodeChallenge::Plain>"Plain"</option>
                        <option value="none" selected=move || challenge.get() == CodeChallenge::None>"None"</option>
                    </select>
                    <fieldset class="inline-choices">
                        <legend>"Scopes"</legend>
                        {STANDARD_SCOPES.iter().map(|sc| {
                            let sc = *sc;
                            view! {
                                <label><input type="checkbox" id=format!("scope-{sc}") disabled=sc == "openid"
                                    prop:checked=move || scopes.with(|s| s.iter().any(|x| x == sc))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        scopes.update(|s| {
                                            s.retain(|x| x != sc);
                                            if on { s.push(sc.to_string()); }
                                        });
                                    }/>" "{sc}</label>
                            }
                        }).collect_view()}
                    </fieldset>
                    <Field id="additional-scopes" label="Additional scopes" value=extra_scopes placeholder="groups offline_access"/>
                </Show>
                <Toggle id="create-users" label="Create new users on first login" help="Otherwise only invited people and people who logged in this way before get in." checked=create_users on_change=Callback::new(move |v| create_users.set(v))/>
                <fieldset class="claims">
                    <legend>"Claims mapping"</legend>
                    <div class="claims-grid">
                        <Field id="claim-user-id" label="User ID" value=claim_user/>
                        <Field id="claim-email" label="E-mail" value=claim_email/>
                        <Field id="claim-name" label="Name" value=claim_name/>
                        <Field id="claim-given-name" label="Given name" value=claim_given/>
                        <Field id="claim-family-name" label="Family name" value=claim_family/>
                        <Field id="claim-picture" label="Picture" value=claim_picture/>
                        <Field id="claim-groups" label="Groups" value=claim_groups/>
                    </div>
                </fieldset>
                <Toggle id="group-sync" label="User groups synchronization" help="People join this workspace's groups their groups claim names, and leave the ones it gave them once the claim stops naming them." checked=group_sync on_change=Callback::new(move |v| group_sync.set(v))/>
                <Show when=move || group_sync.get()>
                    <Toggle id="group-sync-admins" label="Also synchronize the Admins group" help="Off: the provider can never make anyone an administrator." checked=sync_admins on_change=Callback::new(move |v| sync_admins.set(v))/>
                </Show>
                <ErrorNote error=save_error/>
                <ErrorNote error=test_error/>
                {move || outcome.get().map(|o| view! { <TestResult outcome=o/> })}
                <footer class="dialog-footer">
                    <button type="button" class="button" id="test-provider" disabled=Signal::derive(move || test.pending().get() || polls.get() > 0)
                        on:click=move |_| { outcome.set(None); test.dispatch(api::identity_providers::Test { form: form() }); }>
                        {move || if polls.get() > 0 { "Waiting for the provider\u{2026}" } else { "Test Provider" }}
                    </button>
                    <span class="spacer"></span>
                    <button type="button" class="button ghost" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="save-connection" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving\u{2026}" } else { "Save" }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}

/// The SAML part of the editor: this server's entity ID and metadata, the provider's metadata (a
/// file, pasted, or a URL read again every hour), signed assertions, and signed requests.
#[component]
#[allow(clippy::too_many_arguments)]
fn SamlFields(
    entity_id: RwSignal<String>,
    entity_placeholder: Signal<String>,
    metadata_xml: RwSignal<String>,
    metadata_url: RwSignal<String>,
    metadata_note: RwSignal<Option<String>>,
    signed_assertions: RwSignal<bool>,
    sign_requests: RwSignal<bool>,
    public_certificate: RwSignal<String>,
    secret: RwSignal<String>,
    has_secret: bool,
    sp_metadata_url: String,
) -> impl IntoView {
    let sp_metadata = (!sp_metadata_url.is_empty()).then(|| {
        let url = Signal::derive(move || sp_metadata_url.clone());
        view! {
            <label>"Service provider metadata URL"</label>
            <CopyBox id="sp-metadata-url" text=url label="Copy"/>
            <p class="field-help">"Or import this server's metadata at the provider from this address."</p>
        }
    });
    let key_placeholder = if has_secret {
        "Stored \u{2014} leave empty to keep it"
    } else {
        "Leave empty (with the certificate) to have a key pair made"
    };
    view! {
        <label for="entity-id">"Entity ID"</label>
        <input id="entity-id" type="text" autocomplete="off" placeholder=move || entity_placeholder.get()
            prop:value=move || entity_id.get() on:input=move |ev| entity_id.set(event_target_value(&ev))/>
        <p class="field-help">"This application's identifier at the provider (the audience of its assertions). Empty: the one shown."</p>
        {sp_metadata}
        <label for="metadata-file">"Identity provider metadata"</label>
        <input id="metadata-file" type="file" accept=".xml,application/xml,text/xml" on:change=move |ev| {
            crate::components::files::read_chosen_file(&ev, 1_000_000, move |r| match r {
                Ok(f) => {
                    metadata_xml.set(f.text);
                    metadata_url.set(String::new());
                    metadata_note.set(Some(format!("Loaded from {}.", f.name)));
                }
                Err(e) => metadata_note.set(Some(e)),
            });
        }/>
        <textarea id="metadata-xml" class="code-input" rows="5" spellcheck="false" autocomplete="off"
            placeholder="<md:EntityDescriptor \u{2026}> \u{2014} upload the file, paste it, or enter its URL below"
            prop:value=move || metadata_xml.get() on:input=move |ev| metadata_xml.set(event_target_value(&ev))></textarea>
        {move || metadata_note.get().map(|n| view! { <p class="field-help" id="metadata-note">{n}</p> })}
        <Field id="metadata-url" label="Metadata URL (instead of a file)" value=metadata_url placeholder="https://idp.example.com/metadata"
            help="Read when you save, then every hour, so that the provider's new signing certificates are picked up."/>
        <Toggle id="require-signed-assertions" label="Require signed assertions" help="Refuse a response unless the assertion itself is signed (not only the response around it)."
            checked=signed_assertions on_change=Callback::new(move |v| signed_assertions.set(v))/>
        <Toggle id="sign-requests" label="Sign client requests" help="Sign the authentication requests sent to the provider (RSA-SHA256)."
            checked=sign_requests on_change=Callback::new(move |v| sign_requests.set(v))/>
        <Show when=move || sign_requests.get()>
            <label for="public-certificate">"Public key (certificate, PEM)"</label>
            <textarea id="public-certificate" class="code-input" rows="4" spellcheck="false" autocomplete="off"
                placeholder="-----BEGIN CERTIFICATE-----"
                prop:value=move || public_certificate.get() on:input=move |ev| public_certificate.set(event_target_value(&ev))></textarea>
            <label for="private-key">"Private key (PEM)"</label>
            <textarea id="private-key" class="code-input secret-input" rows="4" spellcheck="false" autocomplete="off"
                placeholder=key_placeholder
                prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev))></textarea>
            <p class="field-help">"Stored encrypted and never shown again."</p>
        </Show>
    }
}

#[component]
fn TestResult(outcome: TestOutcome) -> impl IntoView {
    if !outcome.done {
        return view! { <p class="info-note" id="test-result" role="status">"Log in at the provider in the window that opened\u{2026}"</p> }.into_any();
    }
    match (outcome.error, outcome.user) {
        (Some(e), user) => view! {
            <div class="error-note" id="test-result" role="alert">
                <p><strong>"Test failed: "</strong>{e}</p>
                {user.map(|u| view! { <p class="small">{format!("The provider did log in {} ({}).", u.name, u.email)}</p> })}
            </div>
        }.into_any(),
        (None, Some(u)) => view! {
            <div class="success-note" id="test-result" role="status">
                <p><strong>"Test succeeded. "</strong>{outcome.decision}</p>
                <dl class="mapped-user">
                    <dt>"User ID"</dt><dd>{u.subject}</dd>
                    <dt>"E-mail"</dt><dd>{u.email}{if u.email_verified { " (verified)" } else { " (not verified)" }}</dd>
                    <dt>"Name"</dt><dd>{u.name}</dd>
                    <dt>"Given / family name"</dt><dd>{format!("{} / {}", u.given_name, u.family_name)}</dd>
                    <dt>"Picture"</dt><dd>{if u.picture.is_empty() { "\u{2014}".to_string() } else { u.picture }}</dd>
                    <dt>"Groups"</dt><dd>{if u.groups.is_empty() { "\u{2014}".to_string() } else { u.groups.join(", ") }}</dd>
                </dl>
            </div>
        }.into_any(),
        (None, None) => view! { <p class="info-note" id="test-result">"The test finished without a result."</p> }.into_any(),
    }
}

/// Password login for the workspace: on, or off once an administrator has logged in through an
/// active connection (so that the workspace never locks its administrators out).
#[component]
fn PasswordLoginCard(#[prop(into)] changed: Signal<(usize, usize, usize)>) -> impl IntoView {
    let set = ServerAction::<api::identity_providers::SetPasswordLogin>::new();
    let state = Resource::new(
        move || (changed.get(), set.version().get()),
        |_| api::identity_providers::password_login_status(),
    );
    let error = Signal::derive(move || set.value().get().and_then(|r| r.err()));
    view! {
        <section class="card" id="password-login">
            <h2>"Password login"</h2>
            <Suspense fallback=|| view! { <Loading/> }>
                {move || state.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                    Ok(p) => {
                        let help = if p.enabled && !p.can_disable {
                            "People may log in with their passwords. To turn this off, first log in through an active connection as an administrator (or link your account to it from your profile)."
                        } else if p.enabled {
                            "People may log in with their passwords. Turned off, they log in only through this workspace's identity providers; the server's operator can always turn it back on."
                        } else {
                            "Off: people log in only through this workspace's identity providers. The connection administrators log in through cannot be turned off or deleted while this is off."
                        };
                        view! {
                            <Toggle id="password-login-toggle" label="Allow logging in with a password" help=help
                                checked=Signal::derive(move || p.enabled)
                                disabled=Signal::derive(move || p.enabled && !p.can_disable || set.pending().get())
                                on_change=Callback::new(move |on: bool| { set.dispatch(api::identity_providers::SetPasswordLogin { enabled: on }); })/>
                        }.into_any()
                    }
                })}
            </Suspense>
            <ErrorNote error=error/>
        </section>
    }
}
