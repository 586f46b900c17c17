//! Profiles, preferences, and creating users (command line and first set-up).

use serde_json::json;

use app::api::profile::Profile;
use app::domain::prefs::Preferences;
use app::domain::{AppError, Identity, Role, validate};

use super::{Object, audit, internal};
use crate::crypto;
use crate::state::Core;
use crate::store::{self, Conn, users::UserRow};
use app::domain::audit::AuditObject;

#[derive(Debug)]
pub struct AccountService {
    pub core: std::sync::Arc<Core>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub username: Option<String>,
    pub password: String,
    pub role: Role,
    pub workspace: Placement,
}

/// Which workspace a new user joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The workspace with this name, created (owned by the user) if there is none.
    Named(String),
    /// The server's first workspace, or a new one owned by the user if there is none.
    Default,
    /// A new workspace of their own, named after them.
    Personal,
}

/// What creating a user produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CreatedUser {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub workspace_id: String,
    pub workspace_name: String,
    pub email_verified: bool,
}

/// How many numbered login names (`bob`, `bob2`, …) are tried before a random suffix is used.
const USERNAME_TRIES: u32 = 50;

pub async fn load_preferences(conn: &mut Conn, user_id: &str) -> Result<Preferences, AppError> {
    let stored = store::users::user_preferences(conn, user_id).await?;
    Ok(stored
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

/// Creates a user (and their workspace if needed) inside an open transaction. `email_verified` says
/// whether the address is known to be theirs: the operator made the account, or they followed a
/// link that was delivered by e-mail. Without an explicit username one is derived from the
/// address's local part, numbered when taken (`bob`, `bob2`, …), so addresses never collide.
pub async fn create_user_in(
    conn: &mut Conn,
    now_ms: i64,
    new: NewUser,
    email_verified: bool,
) -> Result<CreatedUser, AppError> {
    let email = validate::email("email", &new.email)?;
    let name = validate::display_name("name", &new.name)?;
    let explicit = match &new.username {
        Some(u) => Some(validate::username("username", u)?),
        None => None,
    };
    validate::new_password("password", &new.password)?;
    let hash = crypto::hash_password(&new.password).map_err(internal)?;
    let found = match &new.workspace {
        Placement::Named(ws_name) => {
            let ws_name = validate::display_name("workspace", ws_name)?;
            store::users::find_workspace_by_name(conn, &ws_name)
                .await?
                .map(|w| (w.id, w.name))
                .ok_or(ws_name)
        }
        Placement::Default => store::users::first_workspace(conn)
            .await?
            .map(|w| (w.id, w.name))
            .ok_or_else(|| format!("{name}'s workspace")),
        Placement::Personal => Err(format!("{name}'s workspace")),
    };
    let (workspace_id, workspace_name, owned) = match found {
        Ok((id, ws_name)) => (id, ws_name, false),
        Err(ws_name) => {
            let id = crypto::new_id();
            store::users::insert_workspace(conn, &id, &ws_name, now_ms).await?;
            (id, ws_name, true)
        }
    };
    let mut user = UserRow {
        id: crypto::new_id(),
        username: String::new(),
        email: email.clone(),
        name: name.clone(),
        password_hash: Some(hash),
        kind: "person".into(),
        created_ms: now_ms,
    };
    if let Some(username) = explicit {
        user.username = username;
        if !store::users::insert_person_if_username_free(conn, &user, email_verified).await? {
            return Err(AppError::Taken {
                field: "username".into(),
                message: "A user with this username exists.".into(),
            });
        }
    } else {
        let base = validate::username_from_email(&email);
        let mut n = 1;
        loop {
            user.username = if n <= USERNAME_TRIES {
                validate::username_candidate(&base, n)
            } else {
                let short: String = base.chars().take(33).collect();
                format!("{short}-{}", &crypto::new_id()[..6])
            };
            if store::users::insert_person_if_username_free(conn, &user, email_verified).await? {
                break;
            }
            if n > USERNAME_TRIES + 5 {
                return Err(AppError::Conflict(
                    "No free username could be found; give one explicitly.".into(),
                ));
            }
            n += 1;
        }
    }
    let username = user.username.clone();
    // The creator of a new workspace owns it and administers it.
    let role = if owned { Role::Admin } else { new.role };
    store::users::add_membership(conn, &workspace_id, &user.id, role, now_ms).await?;
    if owned {
        store::workspaces::set_owner(conn, &workspace_id, &user.id).await?;
    }
    Ok(CreatedUser {
        id: user.id,
        username,
        email,
        name,
        role,
        workspace_id,
        workspace_name,
        email_verified,
    })
}

impl AccountService {
    /// Creates a user from the command line, audited as done by the server itself. The operator
    /// vouches for the address, so it counts as verified.
    pub async fn create_user(&self, new: NewUser) -> Result<CreatedUser, AppError> {
        let now = self.core.clock.now_ms();
        let mut tx = self.core.begin().await?;
        let created = create_user_in(&mut tx, now, new, true).await?;
        let cli = Identity {
            user_id: created.id.clone(),
            user_name: "atrium (command line)".into(),
            email: String::new(),
            workspace_id: created.workspace_id.clone(),
            workspace_name: created.workspace_name.clone(),
            role: Role::Admin,
            channel: app::domain::identity::Channel::Cli,
            impersonator: None,
        };
        audit(
            &mut tx,
            now,
            &cli,
            "user.create",
            Object { kind: AuditObject::User, id: &created.id, name: &created.email },
            &json!({"after": {"email": created.email, "username": created.username, "name": created.name, "role": created.role.as_str(), "email_verified": true}}),
        )
        .await?;
        self.core.commit(tx).await?;
        Ok(created)
    }

    async fn load_profile(&self, conn: &mut Conn, who: &Identity) -> Result<Profile, AppError> {
        let user = store::users::get_user(conn, &who.user_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Profile {
            user_id: user.id,
            name: user.name,
            username: user.username,
            email: user.email,
            workspace_name: who.workspace_name.clone(),
            role: who.role,
            created_ms: user.created_ms,
        })
    }
}

impl AccountService {
    pub async fn profile(&self, who: &Identity) -> Result<Profile, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        self.load_profile(&mut conn, who).await
    }

    pub async fn rename(&self, who: &Identity, name: &str) -> Result<Profile, AppError> {
        let name = validate::display_name("name", name)?;
        let now = self.core.clock.now_ms();
        let mut tx = self.core.begin().await?;
        let before = self.load_profile(&mut tx, who).await?;
        if before.name == name {
            return Ok(before);
        }
        store::users::rename_user(&mut tx, &who.user_id, &name, now).await?;
        audit(
            &mut tx,
            now,
            who,
            "user.rename",
            Object {
                kind: AuditObject::User,
                id: &who.user_id,
                name: &before.email,
            },
            &json!({"before": {"name": before.name}, "after": {"name": name}}),
        )
        .await?;
        self.core.commit(tx).await?;
        Ok(Profile { name, ..before })
    }

    pub async fn preferences(&self, who: &Identity) -> Result<Preferences, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        load_preferences(&mut conn, &who.user_id).await
    }

    pub async fn save_preferences(
        &self,
        who: &Identity,
        prefs: Preferences,
    ) -> Result<Preferences, AppError> {
        let prefs = prefs.validated()?;
        let now = self.core.clock.now_ms();
        let mut tx = self.core.begin().await?;
        let before = load_preferences(&mut tx, &who.user_id).await?;
        if before == prefs {
            return Ok(prefs);
        }
        let json = serde_json::to_value(&prefs).map_err(internal)?;
        store::users::save_user_preferences(&mut tx, &who.user_id, &json.to_string(), now).await?;
        let before_json = serde_json::to_value(&before).map_err(internal)?;
        audit(
            &mut tx,
            now,
            who,
            "preferences.update",
            Object {
                kind: AuditObject::Preferences,
                id: &who.user_id,
                name: &who.email,
            },
            &app::domain::audit::change_summary(&before_json, &json),
        )
        .await?;
        self.core.commit(tx).await?;
        Ok(prefs)
    }
}
