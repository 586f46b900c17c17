//! Audit entries: what changed, by whom, with secrets masked before anything is written, and the CSV
//! form admins export.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What replaces a secret in an audit summary.
pub const MASK: &str = "••••";

/// One row of the audit log as shown and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub at_ms: i64,
    pub actor_id: String,
    pub actor_name: String,
    pub channel: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub object_name: String,
    /// `{"before": …, "after": …}` with secrets masked.
    pub summary: Value,
}

/// Filters of the audit log view; every one optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Matches the actor's name or e-mail, case-insensitively, as a substring.
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Entries older than this cursor (the `at_ms` and id of the last row seen), for paging.
    pub before: Option<(i64, String)>,
    pub limit: Option<u32>,
}

impl AuditQuery {
    pub const MAX_LIMIT: u32 = 500;

    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(100).clamp(1, Self::MAX_LIMIT)
    }
}

/// The kinds of object an audit entry is about. Services write only these, and the Audit Log's
/// filter list is derived from [`AuditObject::ALL`], so the two cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditObject {
    User,
    Preferences,
    Session,
    Workspace,
    Invitation,
    Credentials,
    CloudAccess,
    ServiceAccount,
    Group,
    Vault,
    Project,
    Queue,
    AccessRule,
    IdentityProvider,
    ResourceConfiguration,
    Billing,
}

impl AuditObject {
    pub const ALL: [AuditObject; 16] = [
        AuditObject::User,
        AuditObject::Preferences,
        AuditObject::Session,
        AuditObject::Workspace,
        AuditObject::Invitation,
        AuditObject::Credentials,
        AuditObject::CloudAccess,
        AuditObject::ServiceAccount,
        AuditObject::Group,
        AuditObject::Vault,
        AuditObject::Project,
        AuditObject::Queue,
        AuditObject::AccessRule,
        AuditObject::IdentityProvider,
        AuditObject::ResourceConfiguration,
        AuditObject::Billing,
    ];

    /// The name stored in the log and used by the filter.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditObject::User => "user",
            AuditObject::Preferences => "preferences",
            AuditObject::Session => "session",
            AuditObject::Workspace => "workspace",
            AuditObject::Invitation => "invitation",
            AuditObject::Credentials => "credentials",
            AuditObject::CloudAccess => "cloud_access",
            AuditObject::ServiceAccount => "service_account",
            AuditObject::Group => "group",
            AuditObject::Vault => "vault",
            AuditObject::Project => "project",
            AuditObject::Queue => "queue",
            AuditObject::AccessRule => "access_rule",
            AuditObject::IdentityProvider => "identity_provider",
            AuditObject::ResourceConfiguration => "resource_configuration",
            AuditObject::Billing => "billing",
        }
    }

    /// How the filter list shows it.
    pub fn label(self) -> &'static str {
        match self {
            AuditObject::User => "User",
            AuditObject::Preferences => "Preferences",
            AuditObject::Session => "Session",
            AuditObject::Workspace => "Workspace",
            AuditObject::Invitation => "Invitation",
            AuditObject::Credentials => "Credentials",
            AuditObject::CloudAccess => "Cloud access",
            AuditObject::ServiceAccount => "Service account",
            AuditObject::Group => "Group",
            AuditObject::Vault => "Vault",
            AuditObject::Project => "Project",
            AuditObject::Queue => "Queue",
            AuditObject::AccessRule => "Access rule",
            AuditObject::IdentityProvider => "Identity provider",
            AuditObject::ResourceConfiguration => "Resource configuration",
            AuditObject::Billing => "Billing",
        }
    }
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "private_key",
        "api_key",
        "credential",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// Replaces the value of every key that names a secret, at any depth. Numbers and booleans under such
/// a key are counts and flags (`credentials_revoked: 2`, `has_secret: true`), never secret material,
/// so they stay readable.
pub fn mask_secrets(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let plain = matches!(v, Value::Null | Value::Number(_) | Value::Bool(_));
                    let v = if is_secret_key(k) && !plain {
                        Value::String(MASK.into())
                    } else {
                        mask_secrets(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_secrets).collect()),
        other => other.clone(),
    }
}

/// A before/after summary holding only the keys that changed, secrets masked.
pub fn change_summary(before: &Value, after: &Value) -> Value {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut before_out = serde_json::Map::new();
            let mut after_out = serde_json::Map::new();
            for key in b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))) {
                let (bv, av) = (
                    b.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                );
                if bv != av {
                    before_out.insert(key.clone(), bv.clone());
                    after_out.insert(key.clone(), av.clone());
                }
            }
            mask_secrets(&serde_json::json!({"before": before_out, "after": after_out}))
        }
        _ => mask_secrets(&serde_json::json!({"before": before, "after": after})),
    }
}

/// One changed key of a summary, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The changed keys of a `{"before": {…}, "after": {…}}` summary, in key order; values as compact
/// text (strings without quotes).
pub fn changes(summary: &Value) -> Vec<Change> {
    let side = |name: &str| {
        summary
            .get(name)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (before, after) = (side("before"), side("after"));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let text = |v: Option<&Value>| {
        v.filter(|v| !v.is_null()).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    keys.into_iter()
        .map(|k| Change {
            key: k.clone(),
            before: text(before.get(k)),
            after: text(after.get(k)),
        })
        .collect()
}

/// The CSV header of an export.
pub const CSV_HEADER: [&str; 9] = [
    "time_utc",
    "actor",
    "actor_id",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_name",
    "summary",
];

/// The cells of one CSV row, in [`CSV_HEADER`] order. Cells that a spreadsheet would run as a formula
/// are prefixed with a quote.
pub fn csv_row(entry: &AuditEntry) -> [String; 9] {
    let cell = |s: &str| {
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_string()
        }
    };
    [
        super::timefmt::iso_utc(entry.at_ms),
        cell(&entry.actor_name),
        entry.actor_id.clone(),
        entry.channel.clone(),
        cell(&entry.action),
        entry.object_type.clone(),
        entry.object_id.clone(),
        cell(&entry.object_name),
        cell(&entry.summary.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_secret_keys_at_any_depth() {
        let v = json!({"name": "a", "password": "p", "nested": [{"secret_key": "s", "label": "l"}], "token": null});
        assert_eq!(
            mask_secrets(&v),
            json!({"name": "a", "password": MASK, "nested": [{"secret_key": MASK, "label": "l"}], "token": null})
        );
    }

    #[test]
    fn counts_and_flags_under_secret_names_stay_readable() {
        let v = json!({"before": {"member": "a@x.io"}, "after": {"credentials_revoked": 2, "sessions_ended": 1, "has_secret": true, "secret_key": "s", "tokens": ["t"], "credential": {"id": "c"}}});
        assert_eq!(
            mask_secrets(&v),
            json!({"before": {"member": "a@x.io"}, "after": {"credentials_revoked": 2, "sessions_ended": 1, "has_secret": true, "secret_key": MASK, "tokens": MASK, "credential": MASK}})
        );
    }

    #[test]
    fn summary_keeps_only_changes() {
        let s = change_summary(
            &json!({"name": "a", "x": 1, "password": "old"}),
            &json!({"name": "b", "x": 1, "password": "new"}),
        );
        assert_eq!(
            s,
            json!({"before": {"name": "a", "password": MASK}, "after": {"name": "b", "password": MASK}})
        );
    }

    #[test]
    fn changes_read_before_and_after() {
        let c = changes(
            &json!({"before": {"name": "a", "hide_tips": false}, "after": {"name": "b", "hide_tips": true, "x": null}}),
        );
        assert_eq!(
            c,
            vec![
                Change {
                    key: "hide_tips".into(),
                    before: Some("false".into()),
                    after: Some("true".into())
                },
                Change {
                    key: "name".into(),
                    before: Some("a".into()),
                    after: Some("b".into())
                },
                Change {
                    key: "x".into(),
                    before: None,
                    after: None
                },
            ]
        );
        assert!(changes(&json!({})).is_empty());
    }

    #[test]
    fn csv_defuses_formulas() {
        let e = AuditEntry {
            id: "1".into(),
            at_ms: 0,
            actor_id: "u".into(),
            actor_name: "=cmd()".into(),
            channel: "web".into(),
            action: "user.rename".into(),
            object_type: "user".into(),
            object_id: "u".into(),
            object_name: "+x".into(),
            summary: json!({}),
        };
        let row = csv_row(&e);
        assert_eq!(row[0], "1970-01-01T00:00:00Z");
        assert_eq!(row[1], "'=cmd()");
        assert_eq!(row[7], "'+x");
    }

    #[test]
    fn query_limit_is_bounded() {
        assert_eq!(AuditQuery::default().limit(), 100);
        assert_eq!(
            AuditQuery {
                limit: Some(10_000),
                ..Default::default()
            }
            .limit(),
            500
        );
        assert_eq!(
            AuditQuery {
                limit: Some(0),
                ..Default::default()
            }
            .limit(),
            1
        );
    }
}
