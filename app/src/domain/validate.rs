//! Input rules shared by the forms (inline, before sending) and the services (authoritative).
//! Each check returns the cleaned value or a validation error that names the field.

use super::AppError;

pub const NAME_MAX: usize = 80;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;
pub const EMAIL_MAX: usize = 254;

/// A person's or workspace's display name: trimmed, 1..=80 characters, no control characters.
pub fn display_name(field: &str, raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::validation(field, "Name cannot be empty."));
    }
    if name.chars().count() > NAME_MAX {
        return Err(AppError::validation(
            field,
            format!("Name must be at most {NAME_MAX} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            "Name cannot contain control characters.",
        ));
    }
    Ok(name.to_string())
}

/// An e-mail address, lower-cased: one `@`, a non-empty local part and a dotted domain.
/// Free text that may be empty: trimmed, at most `max` characters, no control characters but
/// newlines and tabs.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("Use at most {max} characters."),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::validation(
            field,
            "Remove the control characters.",
        ));
    }
    Ok(text.to_string())
}

pub fn email(field: &str, raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    let bad = || {
        AppError::validation(
            field,
            "Enter a valid e-mail address, like name@example.com.",
        )
    };
    if email.len() > EMAIL_MAX || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(bad());
    }
    Ok(email)
}

/// A login name: 2..=40 characters from a-z, 0-9, `.`, `_`, `-`, lower-cased.
pub fn username(field: &str, raw: &str) -> Result<String, AppError> {
    let name = raw.trim().to_lowercase();
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !(2..=40).contains(&name.len()) || !ok_chars {
        return Err(AppError::validation(
            field,
            "Username must be 2 to 40 characters: letters, digits, '.', '_' or '-'.",
        ));
    }
    Ok(name)
}

/// The login name derived from an e-mail address when none is given.
pub fn username_from_email(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    let cleaned: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    if cleaned.len() < 2 {
        format!("user-{cleaned}")
    } else {
        cleaned
    }
}

/// The `n`-th login name tried for a base name: the base itself first, then `base2`, `base3`, …,
/// the base shortened so that the whole stays within 40 characters.
pub fn username_candidate(base: &str, n: u32) -> String {
    if n <= 1 {
        return base.to_string();
    }
    let suffix = n.to_string();
    let keep = 40usize.saturating_sub(suffix.len());
    let stem: String = base.chars().take(keep).collect();
    format!("{stem}{suffix}")
}

/// A new password: 10..=256 characters and not only one repeated character.
pub fn new_password(field: &str, raw: &str) -> Result<(), AppError> {
    let n = raw.chars().count();
    if n < PASSWORD_MIN {
        return Err(AppError::validation(
            field,
            format!("Password must be at least {PASSWORD_MIN} characters."),
        ));
    }
    if n > PASSWORD_MAX {
        return Err(AppError::validation(
            field,
            format!("Password must be at most {PASSWORD_MAX} characters."),
        ));
    }
    let mut chars = raw.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(AppError::validation(
            field,
            "Password cannot be one repeated character.",
        ));
    }
    Ok(())
}

/// An environment-variable name as used in container arguments: letters, digits and `_`, not starting
/// with a digit, stored upper-case.
pub fn env_var_name(field: &str, raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    let valid = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(AppError::validation(
            field,
            format!(
                "'{name}' is not a valid variable name (letters, digits and '_', not starting with a digit)."
            ),
        ));
    }
    Ok(name.to_ascii_uppercase())
}

/// Percent-encodes a value for a URL query component.
pub fn url_component(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names() {
        assert_eq!(display_name("name", "  Ada  ").unwrap(), "Ada");
        assert_eq!(
            display_name("name", "   ").unwrap_err().field(),
            Some("name")
        );
        assert!(display_name("name", &"x".repeat(81)).is_err());
        assert!(display_name("name", &"é".repeat(80)).is_ok());
        assert!(display_name("name", "a\u{7}b").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            email("email", " Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "", "ada", "ada@", "@x.io", "a@b", "a@@b.io", "a b@c.io", "a@.io", "a@io.", "a@x..io",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(username("username", "Ada.L").unwrap(), "ada.l");
        assert!(username("username", "a").is_err());
        assert!(username("username", "ada lovelace").is_err());
        assert_eq!(username_from_email("Ada+ml@x.io"), "ada-ml");
        assert_eq!(username_from_email("a@x.io"), "user-a");
        assert_eq!(username_candidate("bob", 1), "bob");
        assert_eq!(username_candidate("bob", 2), "bob2");
        let long = "x".repeat(40);
        assert_eq!(username_candidate(&long, 12).len(), 40);
        assert!(username_candidate(&long, 12).ends_with("x12"));
        assert!(username("u", &username_candidate(&long, 999)).is_ok());
    }

    #[test]
    fn passwords() {
        assert!(new_password("password", "short").is_err());
        assert!(new_password("password", "aaaaaaaaaaaa").is_err());
        assert!(new_password("password", "correct horse").is_ok());
    }

    #[test]
    fn url_components() {
        assert_eq!(
            url_component("/invite?token=a b"),
            "%2Finvite%3Ftoken%3Da%20b"
        );
    }

    #[test]
    fn env_names() {
        assert_eq!(env_var_name("name", " aws_key ").unwrap(), "AWS_KEY");
        assert!(env_var_name("name", "1ABC").is_err());
        assert!(env_var_name("name", "A-B").is_err());
        assert!(env_var_name("name", "").is_err());
    }
}
