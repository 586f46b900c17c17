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
    /// Who acts for this identity: the user in person, a service account as itself, another
    /// account acting as the user through an impersonating token, or the server's operator.
    #[serde(default)]
    pub actor: Actor,
}

/// Who acts for an [`Identity`]. The audit log records it, and an impersonation is refused wherever
/// an endpoint does not allow one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// The user, in person (a browser session, their own key pair or token).
    #[default]
    Person,
    /// The user is a service account acting as itself.
    ServiceAccount,
    /// Another account (a service account such as a CI agent) acting as the user through an
    /// impersonating token.
    Impersonation { by_id: String, by_name: String },
    /// The server's operator, on the command line.
    Operator,
}

/// How the audit log names the server's operator.
pub const OPERATOR_NAME: &str = "atrium (command line)";

impl Identity {
    /// How the audit log names the actor: "ci-agent as Ada" under impersonation.
    pub fn actor_name(&self) -> String {
        match &self.actor {
            Actor::Person | Actor::ServiceAccount => self.user_name.clone(),
            Actor::Impersonation { by_name, .. } => format!("{by_name} as {}", self.user_name),
            Actor::Operator => OPERATOR_NAME.into(),
        }
    }

    /// Whether another account acts as this user through an impersonating token.
    pub fn is_impersonation(&self) -> bool {
        matches!(self.actor, Actor::Impersonation { .. })
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

    fn ada(actor: Actor) -> Identity {
        Identity {
            user_id: "u1".into(),
            user_name: "Ada".into(),
            email: "ada@example.com".into(),
            workspace_id: "w1".into(),
            workspace_name: "Research".into(),
            role: Role::Member,
            channel: Channel::Api,
            actor,
        }
    }

    #[test]
    fn the_audit_log_names_who_acts_as_whom() {
        assert_eq!(ada(Actor::Person).actor_name(), "Ada");
        assert_eq!(ada(Actor::ServiceAccount).actor_name(), "Ada");
        let imp = ada(Actor::Impersonation {
            by_id: "sa1".into(),
            by_name: "ci-agent".into(),
        });
        assert_eq!(imp.actor_name(), "ci-agent as Ada");
        assert!(imp.is_impersonation());
        assert!(!ada(Actor::Person).is_impersonation());
        assert_eq!(ada(Actor::Operator).actor_name(), OPERATOR_NAME);
    }

    #[test]
    fn an_identity_without_an_actor_is_a_person() {
        let mut json = serde_json::to_value(ada(Actor::Person)).unwrap();
        json.as_object_mut().unwrap().remove("actor");
        let back: Identity = serde_json::from_value(json).unwrap();
        assert_eq!(back.actor, Actor::Person);
    }

    #[test]
    fn only_administrators_get_the_proof() {
        let mut who = ada(Actor::Person);
        assert!(matches!(
            who.admin("x"),
            Err(crate::domain::AppError::Forbidden(_))
        ));
        who.role = Role::Admin;
        assert_eq!(who.admin("x").unwrap().user_id, "u1");
    }
}
