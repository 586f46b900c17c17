//! Who is acting: the identity every service call carries, resolved from a browser session, a token or
//! the command line. Roles are per workspace.

use serde::{Deserialize, Serialize};

/// A member's role in one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    /// How the role is shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }
}

/// Where an action came from; recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Web,
    Api,
    Cli,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::Cli => "cli",
        }
    }
}

/// The acting user in the workspace they are working in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: String,
    pub user_name: String,
    pub email: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: Role,
    pub channel: Channel,
    /// The name of whoever acts as this user through an impersonating token ("ci-agent"), so the
    /// audit log records both ("ci-agent as Ada").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<String>,
}

impl Identity {
    /// How the audit log names the actor: "ci-agent as Ada" under impersonation.
    pub fn actor_name(&self) -> String {
        match &self.impersonator {
            Some(by) => format!("{by} as {}", self.user_name),
            None => self.user_name.clone(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Refuses non-admins with a message that names the action.
    pub fn require_admin(&self, action: &str) -> Result<(), crate::domain::AppError> {
        self.admin(action).map(|_| ())
    }

    /// The proof that this identity administers its workspace, which administrators' service
    /// methods require; refuses non-admins with a message that names the action.
    pub fn admin(&self, action: &str) -> Result<Admin<'_>, crate::domain::AppError> {
        if self.is_admin() {
            Ok(Admin(self))
        } else {
            Err(crate::domain::AppError::forbidden(action))
        }
    }
}

/// Proof that an identity administers its workspace. Only [`Identity::admin`] makes one, after
/// checking the role, so a service method that takes it cannot be called for anyone else. It reads
/// as the identity it proves.
#[derive(Debug)]
pub struct Admin<'a>(&'a Identity);

impl std::ops::Deref for Admin<'_> {
    type Target = Identity;

    fn deref(&self) -> &Identity {
        self.0
    }
}

/// Up to two initials for an avatar: first letters of the first and last words of the name.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let first = words.first().and_then(|w| w.chars().next());
    let last = if words.len() > 1 {
        words.last().and_then(|w| w.chars().next())
    } else {
        None
    };
    first
        .into_iter()
        .chain(last)
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_use_first_and_last_word() {
        assert_eq!(initials("Ada Byron Lovelace"), "AL");
        assert_eq!(initials("  grace  "), "G");
        assert_eq!(initials(""), "");
        assert_eq!(initials("élodie durand"), "ÉD");
    }
}
