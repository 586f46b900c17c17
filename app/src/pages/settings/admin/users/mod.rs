//! Users & Groups: the workspace's members and pending invitations (roles, removal, resending and
//! cancelling invitations, inviting more people within the seat limit), service accounts and user
//! groups.

mod groups;
mod service_accounts;

use leptos::prelude::*;

use crate::api;
use crate::api::users::UserEntry;
use crate::api::workspaces::InviteResult;
use crate::components::confirm::ConfirmDialog;
use crate::components::copy_box::CopyBox;
use crate::components::dialog::Dialog;
use crate::components::icons::TrashIcon;
use crate::components::invite_outcome::InviteOutcome;
use crate::components::{ErrorNote, Loading};
use crate::domain::timefmt::short_date;
use crate::domain::{AppError, Role};
use crate::pages::settings::{AdminsOnly, Section, SectionHeader, SessionCtx};

#[component]
pub fn UsersPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    if !session.is_admin() {
        return view! { <SectionHeader section=Section::Users/><AdminsOnly/> }.into_any();
    }
    let set_role = ServerAction::<api::users::SetRole>::new();
    let remove = ServerAction::<api::users::Remove>::new();
    let resend = ServerAction::<api::users::ResendInvitation>::new();
    let cancel = ServerAction::<api::workspaces::CancelInvitation>::new();
    let invite = ServerAction::<api::workspaces::Invite>::new();
    // The table reloads whenever one of its actions has resolved.
    let data = Resource::new_blocking(
        move || {
            (
                set_role.version().get(),
                remove.version().get(),
                resend.version().get(),
                cancel.version().get(),
                invite.version().get(),
            )
        },
        |_| api::users::overview(),
    );
    let removing = RwSignal::new(None::<UserEntry>);
    let inviting = RwSignal::new(false);
    let links = RwSignal::new(Vec::<InviteResult>::new());
    let error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| match set_role.value().get() {
        Some(Ok(())) => error.set(None),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => removing.set(None),
        Some(Err(e)) => {
            removing.set(None);
            error.set(Some(e));
        }
        None => {}
    });
    Effect::new(move |_| match resend.value().get() {
        Some(Ok(link)) => links.set(vec![link]),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = cancel.value().get() {
            error.set(Some(e));
        }
    });

    view! {
        <SectionHeader section=Section::Users subtitle="Members of this workspace, their roles, and the people invited to it."/>
        <section class="card" id="users">
            <div class="card-title-row">
                <div>
                    <h2>"Users"</h2>
                    <Transition fallback=|| ()>
                        {move || data.get().and_then(Result::ok).map(|o| view! {
                            <p class="muted" id="seats">{match o.max_members {
                                Some(max) => format!("{} of {max} seats used (members and pending invitations)", o.seats_used),
                                None => format!("{} members and pending invitations", o.seats_used),
                            }}</p>
                        })}
                    </Transition>
                </div>
                <button class="button primary" id="invite-user" on:click=move |_| { links.set(vec![]); inviting.set(true); }>"+ Invite user"</button>
            </div>
            <ErrorNote error=error/>
            {move || (!links.get().is_empty()).then(|| view! {
                <div id="resent-links">
                    {links.get().into_iter().map(|l| view! {
                        <p class="muted">{format!("Invitation to {} renewed (the previous link no longer works).", l.email)}</p>
                        {match l.delivery.link() {
                            Some(link) => view! { <CopyBox id="resent-link" text=link.to_string() label="Copy link"/> }.into_any(),
                            None => view! { <InviteOutcome result=l.clone() id_prefix="resent"/> }.into_any(),
                        }}
                    }).collect_view()}
                </div>
            })}
            <Transition fallback=|| view! { <Loading/> }>
                {move || data.get().map(|r| match r {
                    Ok(o) => view! {
                        <div class="table-wrap">
                            <table class="table" id="users-table">
                                <thead><tr><th>"Name"</th><th>"Username"</th><th>"E-mail"</th><th>"Status"</th><th>"Role"</th><th>"User groups"</th><th>"Date added"</th><th></th></tr></thead>
                                <tbody>
                                    {o.users.into_iter().map(|u| {
                                        let u = StoredValue::new(u);
                                        let id = u.with_value(|u| u.id.clone());
                                        let (id_role, id_resend, id_cancel) = (id.clone(), id.clone(), id.clone());
                                        view! {
                                            <tr data-email=u.with_value(|u| u.email.clone())>
                                                <td>{u.with_value(|u| if u.pending { "—".to_string() } else { u.name.clone() })}
                                                    {u.with_value(|u| u.is_you).then(|| view! { <span class="badge current">"you"</span> })}</td>
                                                <td>{u.with_value(|u| u.username.clone())}</td>
                                                <td>{u.with_value(|u| u.email.clone())}</td>
                                                <td>{if u.with_value(|u| u.pending) {
                                                    view! { <span class="badge warn">"Pending"</span> }.into_any()
                                                } else {
                                                    view! { <span class="badge">"Active"</span> }.into_any()
                                                }}</td>
                                                <td>{if u.with_value(|u| u.pending) {
                                                    view! { <span class="muted">"—"</span> }.into_any()
                                                } else {
                                                    let current = u.with_value(|u| u.role);
                                                    view! {
                                                        <select class="role-select" aria-label=format!("Role of {}", u.with_value(|u| u.email.clone()))
                                                            on:change=move |ev| { set_role.dispatch(api::users::SetRole { user_id: id_role.clone(), role: event_target_value(&ev) }); }>
                                                            <option value="admin" selected=current == Role::Admin>"Admin"</option>
                                                            <option value="member" selected=current == Role::Member>"Member"</option>
                                                        </select>
                                                    }.into_any()
                                                }}</td>
                                                <td class="user-groups">{u.with_value(|u| u.groups.join(", "))}</td>
                                                <td class="nowrap">{u.with_value(|u| short_date(u.added_ms))}</td>
                                                <td class="row-buttons">
                                                    {if u.with_value(|u| u.pending) {
                                                        view! {
                                                            <button class="button small ghost resend" on:click=move |_| { resend.dispatch(api::users::ResendInvitation { invitation_id: id_resend.clone() }); }>"Resend"</button>
                                                            <button class="button small ghost cancel" on:click=move |_| { cancel.dispatch(api::workspaces::CancelInvitation { invitation_id: id_cancel.clone() }); }>"Cancel"</button>
                                                        }.into_any()
                                                    } else if !u.with_value(|u| u.is_you) {
                                                        view! {
                                                            <button class="icon-button trash remove" aria-label=format!("Remove {}", u.with_value(|u| u.email.clone()))
                                                                on:click=move |_| removing.set(Some(u.get_value()))><TrashIcon/></button>
                                                        }.into_any()
                                                    } else {
                                                        ().into_any()
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                })}
            </Transition>
        </section>
        <service_accounts::ServiceAccountsCard/>
        <groups::GroupsCard/>
        <InviteDialog open=inviting invite=invite/>
        <ConfirmDialog
            open=Signal::derive(move || removing.with(Option::is_some))
            title="Remove user"
            message=Signal::derive(move || {
                let email = removing.with(|r| r.as_ref().map(|u| u.email.clone()).unwrap_or_default());
                format!("Remove {email} from this workspace? They lose access at once: their credentials here are revoked and their sessions end. What they created stays, with them as its owner.")
            })
            confirm_label="Remove"
            pending=remove.pending()
            on_confirm=Callback::new(move |_| {
                if let Some(u) = removing.get_untracked() {
                    remove.dispatch(api::users::Remove { user_id: u.id });
                }
            })
            on_cancel=Callback::new(move |_| removing.set(None))
        />
    }
    .into_any()
}

#[component]
fn InviteDialog(
    open: RwSignal<bool>,
    invite: ServerAction<api::workspaces::Invite>,
) -> impl IntoView {
    let emails = RwSignal::new(String::new());
    let results = RwSignal::new(Vec::<InviteResult>::new());
    Effect::new(move |_| {
        if open.get() {
            emails.set(String::new());
            results.set(vec![]);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(list)) = invite.value().get() {
            results.set(list);
        }
    });
    let error = Signal::derive(move || invite.value().get().and_then(Result::err));
    view! {
        <Dialog open=open title="Invite users" on_close=Callback::new(move |_| open.set(false))>
            <div class="dialog-body">
                <Show when=move || results.get().is_empty() fallback=move || view! {
                    <div id="dialog-invite-results">
                        {results.get().into_iter().map(|r| view! { <InviteOutcome result=r id_prefix="dialog-link"/> }).collect_view()}
                    </div>
                    <footer class="dialog-footer"><button class="button primary" on:click=move |_| open.set(false)>"Done"</button></footer>
                }>
                    <form class="form" on:submit=move |ev| { ev.prevent_default(); invite.dispatch(api::workspaces::Invite { emails: emails.get_untracked() }); }>
                        <label for="dialog-invite-emails">"E-mail addresses"</label>
                        <textarea id="dialog-invite-emails" placeholder="ada@example.com, grace@example.com"
                            prop:value=move || emails.get() on:input=move |ev| emails.set(event_target_value(&ev))></textarea>
                        <ErrorNote error=error/>
                        <footer class="dialog-footer">
                            <button type="button" class="button ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                            <button type="submit" class="button primary" id="dialog-send-invites" disabled=move || invite.pending().get()>"Invite"</button>
                        </footer>
                    </form>
                </Show>
            </div>
        </Dialog>
    }
}
