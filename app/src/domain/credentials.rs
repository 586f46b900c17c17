//! API credentials as the ClearML SDK knows them: the key formats, the lifetime rules, and the
//! configuration text a person pastes into `clearml.conf` (or `clearml-init`) or a notebook.

use serde::{Deserialize, Serialize};

use super::AppError;

/// Access keys: 30 characters from `[A-Z0-9]`.
pub const ACCESS_KEY_LEN: usize = 30;
/// Secrets: 50 random bytes, URL-safe base64 without padding.
pub const SECRET_LEN: usize = 67;
pub const LABEL_MAX: usize = 100;
/// The longest lifetime anyone may ask for, in days (also the cap of an admin's maximum).
pub const MAX_DAYS: i64 = 3650;
const DAY_MS: i64 = 86_400_000;

pub fn is_access_key(s: &str) -> bool {
    s.len() == ACCESS_KEY_LEN
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

pub fn is_secret(s: &str) -> bool {
    s.len() == SECRET_LEN
        && !s.starts_with(['-', '_'])
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A credential's label: trimmed, at most 100 characters, may be empty.
pub fn label(raw: &str) -> Result<String, AppError> {
    let l = raw.trim();
    if l.chars().count() > LABEL_MAX {
        return Err(AppError::validation(
            "label",
            format!("Label must be at most {LABEL_MAX} characters."),
        ));
    }
    if l.chars().any(char::is_control) {
        return Err(AppError::validation(
            "label",
            "Label cannot contain control characters.",
        ));
    }
    Ok(l.to_string())
}

/// When a new credential expires: the requested lifetime, bounded by the workspace's maximum. With
/// a maximum and no request, the maximum applies.
pub fn expiry(
    now_ms: i64,
    requested_days: Option<i64>,
    max_days: Option<i64>,
) -> Result<Option<i64>, AppError> {
    if let Some(d) = requested_days {
        if !(1..=MAX_DAYS).contains(&d) {
            return Err(AppError::validation(
                "expires_in_days",
                format!("Choose between 1 and {MAX_DAYS} days."),
            ));
        }
        if let Some(max) = max_days
            && d > max
        {
            return Err(AppError::validation(
                "expires_in_days",
                format!("Your administrator allows credentials of at most {max} days."),
            ));
        }
    }
    Ok(requested_days.or(max_days).map(|d| now_ms + d * DAY_MS))
}

/// An administrator's maximum lifetime: 1..=3650 days, or none.
pub fn max_lifetime(days: Option<i64>) -> Result<Option<i64>, AppError> {
    match days {
        Some(d) if !(1..=MAX_DAYS).contains(&d) => Err(AppError::validation(
            "max_credential_days",
            format!("Choose between 1 and {MAX_DAYS} days, or no limit."),
        )),
        other => Ok(other),
    }
}

/// The addresses a client needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hosts {
    pub web_server: String,
    pub api_server: String,
    pub files_server: String,
}

/// The `api { … }` section for `clearml.conf`. Inner closing braces are indented: `clearml-init`
/// stops reading a paste at the first line that is exactly `}`.
pub fn config_section(hosts: &Hosts, access_key: &str, secret_key: &str) -> String {
    format!(
        "api {{\n    web_server: {}\n    api_server: {}\n    files_server: {}\n    credentials {{\n        \"access_key\" = \"{access_key}\"\n        \"secret_key\" = \"{secret_key}\"\n    }}\n}}\n",
        hosts.web_server, hosts.api_server, hosts.files_server
    )
}

/// The notebook lines that configure the SDK through the environment.
pub fn jupyter_lines(hosts: &Hosts, access_key: &str, secret_key: &str) -> String {
    format!(
        "%env CLEARML_WEB_HOST={}\n%env CLEARML_API_HOST={}\n%env CLEARML_FILES_HOST={}\n%env CLEARML_API_ACCESS_KEY={access_key}\n%env CLEARML_API_SECRET_KEY={secret_key}\n",
        hosts.web_server, hosts.api_server, hosts.files_server
    )
}

/// A credential as its owner sees it (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialInfo {
    pub access_key: String,
    pub label: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
    pub last_used_from: Option<String>,
}

impl CredentialInfo {
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_ms.is_some_and(|e| e <= now_ms)
    }
}

/// A new credential: the only time its secret is ever shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCredential {
    pub info: CredentialInfo,
    pub secret_key: String,
    pub config_section: String,
    pub jupyter: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Hosts {
        Hosts {
            web_server: "http://127.0.0.1:3000".into(),
            api_server: "http://127.0.0.1:3000".into(),
            files_server: "http://127.0.0.1:8081".into(),
        }
    }

    #[test]
    fn key_formats() {
        assert!(is_access_key("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"));
        assert!(!is_access_key("abcdefghijklmnopqrstuvwxyz0123"));
        assert!(!is_access_key("ABC"));
        let secret = "a".repeat(67);
        assert!(is_secret(&secret));
        assert!(!is_secret(&format!("-{}", "a".repeat(66))));
        assert!(!is_secret(&"a".repeat(66)));
    }

    #[test]
    fn config_section_survives_clearml_init_paste_rule() {
        let text = config_section(&hosts(), "AK", "SK");
        let lines: Vec<&str> = text.lines().collect();
        // clearml-init stops at the first line that is exactly "}" after trimming the right side.
        let stop = lines.iter().position(|l| l.trim_end() == "}").unwrap();
        assert_eq!(stop, lines.len() - 1, "only the last line closes the paste");
        assert!(
            text.contains("\"access_key\" = \"AK\"") && text.contains("\"secret_key\" = \"SK\"")
        );
        assert!(text.starts_with("api {\n    web_server: http://127.0.0.1:3000\n"));
    }

    #[test]
    fn jupyter_has_every_variable() {
        let j = jupyter_lines(&hosts(), "AK", "SK");
        for var in [
            "CLEARML_WEB_HOST",
            "CLEARML_API_HOST",
            "CLEARML_FILES_HOST",
            "CLEARML_API_ACCESS_KEY=AK",
            "CLEARML_API_SECRET_KEY=SK",
        ] {
            assert!(j.contains(var), "{var}");
        }
    }

    #[test]
    fn expiry_rules() {
        assert_eq!(expiry(0, None, None).unwrap(), None);
        assert_eq!(expiry(0, Some(2), None).unwrap(), Some(2 * DAY_MS));
        assert_eq!(expiry(0, None, Some(30)).unwrap(), Some(30 * DAY_MS));
        assert_eq!(
            expiry(0, Some(31), Some(30)).unwrap_err().field(),
            Some("expires_in_days")
        );
        assert_eq!(
            expiry(0, Some(0), None).unwrap_err().field(),
            Some("expires_in_days")
        );
        assert!(max_lifetime(Some(0)).is_err());
        assert_eq!(max_lifetime(None).unwrap(), None);
    }

    #[test]
    fn labels() {
        assert_eq!(label("  laptop ").unwrap(), "laptop");
        assert_eq!(label(&"x".repeat(101)).unwrap_err().field(), Some("label"));
    }
}
