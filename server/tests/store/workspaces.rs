//! Workspaces: invitations (by link for new people, in the console for existing users), leaving,
//! renaming, and the seat limit.

use app::api::backend::Caller;
use app::api::workspaces::{AcceptForm, InviteResult};
use app::domain::{AppError, Identity, Role};
use atrium_server::db::Db;
use atrium_server::services::users::CreatedUser;

use crate::common::identity_of;
use crate::common::workspace::{Workspace, caller, token_in};

async fn members_cannot_invite(db: Db) {
    let w = Workspace::new(db).await;
    assert!(matches!(
        w.member.admin("invite people"),
        Err(AppError::Forbidden(_))
    ));
}

async fn inviting_a_member_is_refused(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        w.services
            .workspaces
            .invite(&w.proof(), "bob@example.com")
            .await
            .unwrap_err()
            .field(),
        Some("emails"),
        "already a member"
    );
}

/// Ivy (`ivy@example.com`), administrator of her own workspace "Ivy Home".
async fn ivy(w: &Workspace) -> CreatedUser {
    w.person("ivy@example.com", Role::Admin, "Ivy Home").await
}

/// Ada invites a new address and Ivy's.
async fn invite_new_and_ivy(w: &Workspace) -> Vec<InviteResult> {
    w.services
        .workspaces
        .invite(&w.proof(), "new@example.com, ivy@example.com")
        .await
        .unwrap()
}

async fn an_invitation_tells_existing_users_from_new_people(db: Db) {
    let w = Workspace::new(db).await;
    ivy(&w).await;
    let invited = invite_new_and_ivy(&w).await;
    assert_eq!(invited.len(), 2);
    assert!(!invited[0].existing_user && invited[1].existing_user);
}

async fn the_link_shows_the_workspace_to_someone_without_an_account(db: Db) {
    let w = Workspace::new(db).await;
    ivy(&w).await;
    let token = token_in(invite_new_and_ivy(&w).await[0].delivery.link());
    let view = w
        .services
        .workspaces
        .invitation(&token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.workspace_name.as_str(), view.has_account),
        ("Research", false)
    );
}

async fn a_guessed_token_shows_no_invitation(db: Db) {
    let w = Workspace::new(db).await;
    invite_new_and_ivy(&w).await;
    assert!(
        w.services
            .workspaces
            .invitation("guess")
            .await
            .unwrap()
            .is_none()
    );
}

/// The form a new person sends with the link's token, with the confirmation `newbie-pass-1`.
fn accept_form(token: &str, password: &str) -> AcceptForm {
    AcceptForm {
        token: token.into(),
        name: "Nina".into(),
        password: password.into(),
        password_confirm: "newbie-pass-1".into(),
    }
}

async fn joining_needs_the_password_confirmed(db: Db) {
    let w = Workspace::new(db).await;
    let token = token_in(invite_new_and_ivy(&w).await[0].delivery.link());
    assert_eq!(
        w.services
            .workspaces
            .accept_link(accept_form(&token, "other-pass-1"), None, "ip".into())
            .await
            .unwrap_err()
            .field(),
        Some("password_confirm")
    );
}

/// A new person joins with the link, and gets a personal workspace too.
async fn a_new_person_joins_with_the_link_and_gets_a_personal_workspace(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let token = token_in(invite_new_and_ivy(&w).await[0].delivery.link());
    let session = s
        .workspaces
        .accept_link(accept_form(&token, "newbie-pass-1"), None, "ip".into())
        .await
        .unwrap()
        .unwrap();
    let nina = s
        .sessions
        .resolve_cookie(&session.cookie_value)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nina.identity.workspace_name, "Research");
    let overview = s.workspaces.overview(&nina).await.unwrap();
    assert_eq!(overview.workspaces.len(), 2);
    assert!(
        overview
            .workspaces
            .iter()
            .any(|w| w.personal && w.name == "Nina's workspace")
    );
}

async fn an_invitation_link_works_once(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let token = token_in(invite_new_and_ivy(&w).await[0].delivery.link());
    s.workspaces
        .accept_link(accept_form(&token, "newbie-pass-1"), None, "ip".into())
        .await
        .unwrap();
    assert!(
        s.workspaces
            .accept_link(accept_form(&token, "newbie-pass-1"), None, "ip".into())
            .await
            .is_err(),
        "a link works once"
    );
}

/// Ivy, invited to Research, as she acts in the console.
async fn ivy_invited(w: &Workspace) -> (CreatedUser, Caller) {
    let ivy = ivy(w).await;
    invite_new_and_ivy(w).await;
    let ivy_caller = caller(&identity_of(&ivy));
    (ivy, ivy_caller)
}

/// The id of the one invitation `who` sees in the console.
async fn invitation_seen_by(w: &Workspace, who: &Caller) -> String {
    let mine = w
        .services
        .workspaces
        .overview(who)
        .await
        .unwrap()
        .invitations;
    mine.into_iter().next().expect("an invitation").id
}

/// The existing user answers in the console.
async fn an_existing_user_sees_the_invitation_in_the_console(db: Db) {
    let w = Workspace::new(db).await;
    let (_, ivy_caller) = ivy_invited(&w).await;
    let mine = w
        .services
        .workspaces
        .overview(&ivy_caller)
        .await
        .unwrap()
        .invitations;
    assert_eq!(mine.len(), 1);
}

async fn only_the_invited_person_can_answer(db: Db) {
    let w = Workspace::new(db).await;
    let (_, ivy_caller) = ivy_invited(&w).await;
    let id = invitation_seen_by(&w, &ivy_caller).await;
    assert!(
        w.services
            .workspaces
            .answer_invitation(&caller(&w.member), &id, true)
            .await
            .is_err(),
        "not addressed to bob"
    );
}

async fn accepting_in_the_console_makes_one_a_member(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let (_, ivy_caller) = ivy_invited(&w).await;
    let id = invitation_seen_by(&w, &ivy_caller).await;
    s.workspaces
        .answer_invitation(&ivy_caller, &id, true)
        .await
        .unwrap();
    let ivy_ws = s.workspaces.overview(&ivy_caller).await.unwrap().workspaces;
    assert!(
        ivy_ws
            .iter()
            .any(|ws| ws.id == w.ada.workspace_id && ws.role == Role::Member)
    );
}

/// Ivy, a member of Research after accepting in the console.
async fn ivy_joined(w: &Workspace) -> (CreatedUser, Caller) {
    let (ivy, ivy_caller) = ivy_invited(w).await;
    let id = invitation_seen_by(w, &ivy_caller).await;
    w.services
        .workspaces
        .answer_invitation(&ivy_caller, &id, true)
        .await
        .unwrap();
    (ivy, ivy_caller)
}

async fn the_personal_workspace_cannot_be_left(db: Db) {
    let w = Workspace::new(db).await;
    let (ivy, ivy_caller) = ivy_joined(&w).await;
    assert!(matches!(
        w.services
            .workspaces
            .leave(&ivy_caller, &ivy.workspace_id)
            .await,
        Err(AppError::Forbidden(_))
    ));
}

/// Leaving revokes one's credentials there.
async fn leaving_revokes_ones_credentials_there(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let (ivy, ivy_caller) = ivy_joined(&w).await;
    let in_research = Identity {
        workspace_id: w.ada.workspace_id.clone(),
        workspace_name: "Research".into(),
        role: Role::Member,
        ..identity_of(&ivy)
    };
    let cred = s
        .credentials
        .create(&in_research, None, "", None)
        .await
        .unwrap();
    s.workspaces
        .leave(&ivy_caller, &w.ada.workspace_id)
        .await
        .unwrap();
    assert!(
        s.credentials
            .authenticate_basic(&cred.info.access_key, &cred.secret_key, "x")
            .await
            .is_err()
    );
}

async fn the_last_administrator_cannot_leave(db: Db) {
    let w = Workspace::new(db).await;
    assert!(matches!(
        w.services
            .workspaces
            .leave(&caller(&w.admin), &w.ada.workspace_id)
            .await,
        Err(AppError::Forbidden(_))
    ));
}

async fn a_cancelled_invitation_link_no_longer_opens(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let again = s
        .workspaces
        .invite(&w.proof(), "late@example.com")
        .await
        .unwrap();
    let pending = s
        .workspaces
        .overview(&caller(&w.admin))
        .await
        .unwrap()
        .pending;
    assert_eq!(pending.len(), 1);
    s.workspaces
        .cancel_invitation(&w.proof(), &pending[0].id)
        .await
        .unwrap();
    let late_token = token_in(again[0].delivery.link());
    assert!(
        s.workspaces
            .invitation(&late_token)
            .await
            .unwrap()
            .is_none()
    );
}

/// Renaming needs the admin role.
async fn members_cannot_rename_the_workspace(db: Db) {
    let w = Workspace::new(db).await;
    assert!(matches!(
        w.services
            .workspaces
            .rename(&w.member, &w.ada.workspace_id, "X")
            .await,
        Err(AppError::Forbidden(_))
    ));
}

async fn an_administrator_renames_but_not_to_a_blank(db: Db) {
    let w = Workspace::new(db).await;
    let workspaces = &w.services.workspaces;
    workspaces
        .rename(&w.admin, &w.ada.workspace_id, "Research Lab")
        .await
        .unwrap();
    assert_eq!(
        workspaces
            .rename(&w.admin, &w.ada.workspace_id, " ")
            .await
            .unwrap_err()
            .field(),
        Some("name")
    );
}

async fn a_seat_limit_is_at_least_one(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        w.services
            .workspaces
            .set_seats("Research", Some(0))
            .await
            .unwrap_err()
            .field(),
        Some("max")
    );
}

/// Seats: members and pending invitations count.
async fn invitations_beyond_the_seats_are_refused(db: Db) {
    let w = Workspace::new(db).await;
    let workspaces = &w.services.workspaces;
    workspaces.set_seats("Research", Some(3)).await.unwrap();
    workspaces
        .invite(&w.proof(), "c@example.com")
        .await
        .unwrap();
    let err = workspaces
        .invite(&w.proof(), "d@example.com")
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("emails"));
    assert!(
        err.user_message().contains("3 of its 3 seats"),
        "{}",
        err.user_message()
    );
}

async fn lifting_the_seat_limit_lets_invitations_through(db: Db) {
    let w = Workspace::new(db).await;
    let workspaces = &w.services.workspaces;
    workspaces.set_seats("Research", Some(2)).await.unwrap();
    assert!(
        workspaces
            .invite(&w.proof(), "d@example.com")
            .await
            .is_err()
    );
    workspaces.set_seats("Research", None).await.unwrap();
    workspaces
        .invite(&w.proof(), "d@example.com")
        .await
        .unwrap();
}

crate::on_both_databases!(
    members_cannot_invite,
    inviting_a_member_is_refused,
    an_invitation_tells_existing_users_from_new_people,
    the_link_shows_the_workspace_to_someone_without_an_account,
    a_guessed_token_shows_no_invitation,
    joining_needs_the_password_confirmed,
    a_new_person_joins_with_the_link_and_gets_a_personal_workspace,
    an_invitation_link_works_once,
    an_existing_user_sees_the_invitation_in_the_console,
    only_the_invited_person_can_answer,
    accepting_in_the_console_makes_one_a_member,
    the_personal_workspace_cannot_be_left,
    leaving_revokes_ones_credentials_there,
    the_last_administrator_cannot_leave,
    a_cancelled_invitation_link_no_longer_opens,
    members_cannot_rename_the_workspace,
    an_administrator_renames_but_not_to_a_blank,
    a_seat_limit_is_at_least_one,
    invitations_beyond_the_seats_are_refused,
    lifting_the_seat_limit_lets_invitations_through,
);
