//! User preferences and the rules that make them take effect: the defaults, the HiDPI scale decision
//! and the redaction of hidden container-argument values.

use serde::{Deserialize, Serialize};

use super::{AppError, validate};

/// The variables whose values are hidden in container arguments unless the user says otherwise.
pub const DEFAULT_HIDDEN_ARGS: [&str; 4] = [
    "CLEARML_API_SECRET_KEY",
    "CLEARML_AGENT_GIT_PASS",
    "AWS_SECRET_ACCESS_KEY",
    "AZURE_STORAGE_KEY",
];

/// What replaces a hidden value.
pub const REDACTED: &str = "********";

/// The page zoom applied on HiDPI screens unless the user disables the override (the stylesheet's
/// `html[data-hidpi-zoom="on"]` rule applies it).
pub const HIDPI_ZOOM: f64 = 0.85;

/// Per-user UI preferences. Unknown or missing keys take their defaults, so older stored documents keep
/// working when a preference is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub show_hidden_projects: bool,
    pub hide_examples: bool,
    pub disable_hidpi_override: bool,
    pub hide_tips: bool,
    pub block_user_scripts: bool,
    pub hidden_container_args: Vec<String>,
    pub share_anonymous_usage: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            show_hidden_projects: false,
            hide_examples: false,
            disable_hidpi_override: false,
            hide_tips: false,
            block_user_scripts: false,
            hidden_container_args: DEFAULT_HIDDEN_ARGS.iter().map(|s| s.to_string()).collect(),
            share_anonymous_usage: false,
        }
    }
}

impl Preferences {
    /// Checks and normalises: variable names upper-cased, de-duplicated in order, at most 100.
    pub fn validated(mut self) -> Result<Self, AppError> {
        let mut seen = Vec::with_capacity(self.hidden_container_args.len());
        for raw in &self.hidden_container_args {
            let name = validate::env_var_name("hidden_container_args", raw)?;
            if !seen.contains(&name) {
                seen.push(name);
            }
        }
        if seen.len() > 100 {
            return Err(AppError::validation(
                "hidden_container_args",
                "At most 100 variables can be hidden.",
            ));
        }
        self.hidden_container_args = seen;
        Ok(self)
    }

    /// Whether the page should be zoomed out on a screen with this device pixel ratio.
    pub fn apply_hidpi_zoom(&self, device_pixel_ratio: f64) -> bool {
        !self.disable_hidpi_override && device_pixel_ratio >= 1.25
    }
}

/// Replaces the values of hidden variables in container arguments with [`REDACTED`].
///
/// Handles the forms a container command line carries them in: `-e NAME=value`, `--env NAME=value`,
/// `--env=NAME=value`, a bare `NAME=value` argument, and an `-e NAME` whose value comes from the next
/// argument is left alone (it has no value in the line). Names compare case-sensitively, as environment
/// variables do.
pub fn redact_container_args(args: &[String], hidden: &[String]) -> Vec<String> {
    args.iter()
        .map(|arg| {
            let (prefix, assignment) = match arg.strip_prefix("--env=") {
                Some(rest) => ("--env=", rest),
                None => ("", arg.as_str()),
            };
            match assignment.split_once('=') {
                Some((name, _)) if hidden.iter().any(|h| h == name) => {
                    format!("{prefix}{name}={REDACTED}")
                }
                _ => arg.clone(),
            }
        })
        .collect()
}

/// The same redaction over a whole command line or log text: every `NAME=value` whose name is hidden,
/// the value running to the next whitespace (or the closing quote if it was quoted).
pub fn redact_text(text: &str, hidden: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for name in hidden {
            if name.is_empty() {
                continue;
            }
            let pattern_len = name.len() + 1;
            let at_boundary = out
                .chars()
                .last()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
            if at_boundary && rest.starts_with(name.as_str()) && rest[name.len()..].starts_with('=')
            {
                out.push_str(&rest[..pattern_len]);
                let value = &rest[pattern_len..];
                let (quote, body) = match value.chars().next() {
                    Some(q @ ('"' | '\'')) => (Some(q), &value[1..]),
                    _ => (None, value),
                };
                let end = match quote {
                    Some(q) => body.find(q).map(|i| i + 1).unwrap_or(body.len()),
                    None => body.find(char::is_whitespace).unwrap_or(body.len()),
                };
                if let Some(q) = quote {
                    out.push(q);
                    out.push_str(REDACTED);
                    if body[..end].ends_with(q) {
                        out.push(q);
                    }
                } else {
                    out.push_str(REDACTED);
                }
                rest = &body[end..];
                continue 'outer;
            }
        }
        let ch = rest.chars().next().unwrap_or_default();
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hidden() -> Vec<String> {
        Preferences::default().hidden_container_args
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn redacts_each_argument_form() {
        let args = strings(&[
            "-e",
            "AWS_SECRET_ACCESS_KEY=abc",
            "--env=CLEARML_API_SECRET_KEY=s3cr3t=x",
            "-e",
            "PATH=/usr/bin",
            "AZURE_STORAGE_KEY=",
            "--env",
            "CLEARML_AGENT_GIT_PASS",
        ]);
        let out = redact_container_args(&args, &hidden());
        assert_eq!(
            out,
            strings(&[
                "-e",
                "AWS_SECRET_ACCESS_KEY=********",
                "--env=CLEARML_API_SECRET_KEY=********",
                "-e",
                "PATH=/usr/bin",
                "AZURE_STORAGE_KEY=********",
                "--env",
                "CLEARML_AGENT_GIT_PASS",
            ])
        );
    }

    #[test]
    fn names_are_case_sensitive_and_exact() {
        let out = redact_container_args(
            &strings(&["aws_secret_access_key=x", "MY_AWS_SECRET_ACCESS_KEY=y"]),
            &hidden(),
        );
        assert_eq!(
            out,
            strings(&["aws_secret_access_key=x", "MY_AWS_SECRET_ACCESS_KEY=y"])
        );
    }

    #[test]
    fn redacts_text() {
        let text = "docker run -e AWS_SECRET_ACCESS_KEY=abc -e X=1 \"AZURE_STORAGE_KEY='q w'\" MY_AZURE_STORAGE_KEY=z";
        let out = redact_text(text, &hidden());
        assert_eq!(
            out,
            "docker run -e AWS_SECRET_ACCESS_KEY=******** -e X=1 \"AZURE_STORAGE_KEY='********'\" MY_AZURE_STORAGE_KEY=z"
        );
    }

    #[test]
    fn validation_normalises_and_names_the_field() {
        let prefs = Preferences {
            hidden_container_args: strings(&["a_b", "A_B", "C"]),
            ..Default::default()
        };
        assert_eq!(
            prefs.validated().unwrap().hidden_container_args,
            strings(&["A_B", "C"])
        );
        let bad = Preferences {
            hidden_container_args: strings(&["A B"]),
            ..Default::default()
        };
        assert_eq!(
            bad.validated().unwrap_err().field(),
            Some("hidden_container_args")
        );
    }

    #[test]
    fn missing_keys_take_defaults() {
        let p: Preferences = serde_json::from_str(r#"{"hide_tips":true}"#).unwrap();
        assert!(p.hide_tips);
        assert_eq!(p.hidden_container_args.len(), 4);
    }

    #[test]
    fn hidpi_rule() {
        let mut p = Preferences::default();
        assert!(p.apply_hidpi_zoom(2.0));
        assert!(!p.apply_hidpi_zoom(1.0));
        p.disable_hidpi_override = true;
        assert!(!p.apply_hidpi_zoom(2.0));
    }

    proptest! {
        /// No hidden value survives redaction, in argument lists or in text, and arguments that carry
        /// no hidden variable are untouched.
        #[test]
        fn hidden_values_never_survive(value in "[a-zA-Z0-9/+]{1,20}", other in "[A-Z]{1,8}=[a-z]{0,5}") {
            let args = vec![format!("AWS_SECRET_ACCESS_KEY={value}"), format!("--env=AZURE_STORAGE_KEY={value}"), other.clone()];
            let out = redact_container_args(&args, &hidden());
            prop_assert_eq!(&out[0], &format!("AWS_SECRET_ACCESS_KEY={REDACTED}"));
            prop_assert_eq!(&out[1], &format!("--env=AZURE_STORAGE_KEY={REDACTED}"));
            prop_assert_eq!(&out[2], &other);
            prop_assert_eq!(redact_text(&args.join(" "), &hidden()), out.join(" "));
        }
    }
}
