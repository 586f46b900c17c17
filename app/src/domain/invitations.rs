//! Invitations and verified addresses. An address is verified once its owner followed a link that was
//! delivered by e-mail (or the server's operator made the account); only verified accounts may
//! answer invitations in the console, because an unverified account may belong to someone who merely
//! typed that address. An unverified account accepts through the invitation's own link, and that
//! verifies it only when the link went out by e-mail.

use serde::{Deserialize, Serialize};

use super::AppError;

/// How an invitation's link reached the invited person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "delivery", rename_all = "snake_case")]
pub enum Delivery {
    /// Shown to the inviter, who hands it over (the server sends no e-mail).
    Link { link: String },
    /// Sent by e-mail; nobody else saw it.
    Sent,
    /// Sending failed; the invitation stays open and resending tries again.
    Failed { error: String },
}

impl Delivery {
    /// The link to show, when the inviter is the one to hand it over.
    pub fn link(&self) -> Option<&str> {
        match self {
            Delivery::Link { link } => Some(link),
            _ => None,
        }
    }

    /// What the inviter is told about one address.
    pub fn message(&self, email: &str) -> String {
        match self {
            Delivery::Link { .. } => format!("Send {email} this link:"),
            Delivery::Sent => format!("Invitation sent to {email}."),
            Delivery::Failed { error } => format!(
                "Could not send the invitation to {email}: {error}. It stays pending; use Resend to try again."
            ),
        }
    }
}

/// How a person answers an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accept or decline in the console, logged in as the invited address.
    InApp,
    /// Follow the invitation's own link; `emailed` when that link went out by e-mail only.
    Link { emailed: bool },
}

/// Whether an account may answer an invitation this way.
pub fn may_answer(account_verified: bool, answer: Answer) -> Result<(), AppError> {
    match answer {
        Answer::InApp if !account_verified => Err(AppError::forbidden(
            "answer invitations in the console until your e-mail address is verified; open the invitation link you were sent (the workspace's administrator can resend it)",
        )),
        _ => Ok(()),
    }
}

/// Whether the account's address is verified after answering this way.
pub fn verified_after(account_verified: bool, answer: Answer) -> bool {
    account_verified || answer == Answer::Link { emailed: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unverified_accounts_answer_only_through_links() {
        assert!(may_answer(true, Answer::InApp).is_ok());
        let err = may_answer(false, Answer::InApp).unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)));
        assert!(
            err.user_message().contains("verified"),
            "{}",
            err.user_message()
        );
        assert!(may_answer(false, Answer::Link { emailed: false }).is_ok());
        assert!(may_answer(false, Answer::Link { emailed: true }).is_ok());
    }

    #[test]
    fn only_an_emailed_link_verifies() {
        assert!(!verified_after(false, Answer::Link { emailed: false }));
        assert!(verified_after(false, Answer::Link { emailed: true }));
        assert!(!verified_after(false, Answer::InApp));
        assert!(verified_after(true, Answer::Link { emailed: false }));
    }

    #[test]
    fn delivery_messages_name_the_address() {
        assert_eq!(
            Delivery::Sent.message("a@x.io"),
            "Invitation sent to a@x.io."
        );
        let failed = Delivery::Failed {
            error: "connection refused".into(),
        };
        assert!(
            failed
                .message("a@x.io")
                .contains("a@x.io: connection refused")
        );
        assert_eq!(failed.link(), None);
        assert_eq!(
            Delivery::Link {
                link: "http://h/invite?token=t".into()
            }
            .link(),
            Some("http://h/invite?token=t")
        );
    }
}
