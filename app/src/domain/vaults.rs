//! Configuration vaults: what a vault may hold and how vaults combine. A vault's text (HOCON, JSON or
//! YAML) is parsed once, when it is saved, into a JSON object; that object is what is stored (sealed)
//! and what `users.get_vaults` sends, so no client ever evaluates HOCON includes or substitutions.
//! Vaults are merged in delivery order — administrator vaults of the caller's groups by group name
//! then vault name, then the personal vault — nested objects key by key, a later scalar or list
//! replacing an earlier one, and every key remembers which vault set it and which it overrode.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::AppError;

/// The formats a vault's text may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum VaultFormat {
    #[default]
    Hocon,
    Json,
    Yaml,
}

impl VaultFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            VaultFormat::Hocon => "hocon",
            VaultFormat::Json => "json",
            VaultFormat::Yaml => "yaml",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hocon" | "conf" => Some(VaultFormat::Hocon),
            "json" => Some(VaultFormat::Json),
            "yaml" | "yml" => Some(VaultFormat::Yaml),
            _ => None,
        }
    }
}

/// Keys that belong to one machine or one agent and can't be set in any vault.
pub const FORBIDDEN_KEYS: [&str; 6] = [
    "agent.cuda_version",
    "agent.cudnn_version",
    "agent.default_python",
    "agent.worker_id",
    "agent.worker_name",
    "agent.debug",
];

/// The most text a vault may hold.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// How deep a vault's objects and lists may nest.
pub const MAX_DEPTH: usize = 32;

/// Parses a vault's text into the JSON object it stands for, refusing what a vault may not hold:
/// text that does not parse (the error names the line and column), a top level that is not an
/// object, HOCON `include`s, substitutions that cannot be resolved within the text, nesting deeper
/// than [`MAX_DEPTH`], text longer than [`MAX_TEXT_BYTES`], and the [`FORBIDDEN_KEYS`] in any
/// spelling (`agent { debug: true }`, `"agent.debug"`, YAML nesting). Errors are validation errors
/// of the field `data`.
pub fn parse(format: VaultFormat, text: &str) -> Result<Map<String, Value>, AppError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(AppError::validation(
            "data",
            format!("A vault holds at most {} KB.", MAX_TEXT_BYTES / 1024),
        ));
    }
    let value: Value = match format {
        VaultFormat::Json | VaultFormat::Hocon | VaultFormat::Yaml => {
            if text.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                serde_json::from_str(text).map_err(|e| {
                    AppError::validation(
                        "data",
                        format!("line {}, column {}: {e}", e.line(), e.column()),
                    )
                })?
            }
        }
    };
    let Value::Object(map) = value else {
        return Err(AppError::validation(
            "data",
            "A vault holds an object of settings at its top level.",
        ));
    };
    check_forbidden(&map)?;
    Ok(map)
}

/// Refuses the [`FORBIDDEN_KEYS`] wherever they appear as a dotted path.
fn check_forbidden(map: &Map<String, Value>) -> Result<(), AppError> {
    let mut paths = Vec::new();
    leaf_paths(map, "", &mut paths);
    for path in paths {
        if let Some(key) = FORBIDDEN_KEYS
            .iter()
            .find(|k| path == **k || path.starts_with(&format!("{k}.")))
        {
            return Err(AppError::validation(
                "data",
                format!("{key} belongs to one machine and can't be set in a configuration vault."),
            ));
        }
    }
    Ok(())
}

/// Every leaf of an object as a dotted path (a key with dots in it counts as that path).
fn leaf_paths(map: &Map<String, Value>, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in map {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => leaf_paths(inner, &path, out),
            _ => out.push(path),
        }
    }
}

/// A vault as the merge sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultRef {
    pub id: String,
    pub name: String,
    /// The group an administrator vault is for; `None` for a personal vault.
    pub group: Option<String>,
}

/// Where one key of the merged configuration came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOrigin {
    /// The vault whose value is in effect.
    pub set_by: VaultRef,
    /// Earlier vaults that set the key too, in merge order.
    pub overrode: Vec<VaultRef>,
}

/// The configuration a list of vaults produces, and each key's origin (by dotted path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Merged {
    pub config: Map<String, Value>,
    pub origins: BTreeMap<String, KeyOrigin>,
}

/// Merges vaults in the order given (later wins): nested objects merge key by key, a scalar or a
/// list replaces what was there. Dotted keys are expanded into nested objects first, as pyhocon
/// reads them.
pub fn merge(vaults: &[(VaultRef, Map<String, Value>)]) -> Merged {
    let mut merged = Merged::default();
    for (vault, data) in vaults {
        let expanded = expand(data);
        let mut paths = Vec::new();
        leaf_paths(&expanded, "", &mut paths);
        for path in paths {
            match merged.origins.get_mut(&path) {
                Some(origin) => {
                    let previous = std::mem::replace(&mut origin.set_by, vault.clone());
                    origin.overrode.push(previous);
                }
                None => {
                    merged.origins.insert(
                        path,
                        KeyOrigin {
                            set_by: vault.clone(),
                            overrode: vec![],
                        },
                    );
                }
            }
        }
        overlay(&mut merged.config, expanded);
    }
    // A key that a later vault replaced with a scalar no longer has leaves below it.
    let mut live = Vec::new();
    leaf_paths(&merged.config, "", &mut live);
    merged.origins.retain(|path, _| live.contains(path));
    merged
}

/// `a.b = 1` as `{a: {b: 1}}`, recursively.
fn expand(map: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in map {
        let v = match v {
            Value::Object(inner) => Value::Object(expand(inner)),
            other => other.clone(),
        };
        let mut parts = k.split('.').rev();
        let last = parts.next().unwrap_or_default().to_string();
        let mut value = Map::new();
        value.insert(last, v);
        for part in parts {
            let mut outer = Map::new();
            outer.insert(part.to_string(), Value::Object(value));
            value = outer;
        }
        overlay(&mut out, value);
    }
    out
}

/// Lays `top` over `base`: objects merge key by key, anything else replaces.
fn overlay(base: &mut Map<String, Value>, top: Map<String, Value>) {
    for (k, v) in top {
        match (base.get_mut(&k), v) {
            (Some(Value::Object(b)), Value::Object(t)) => overlay(b, t),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// A one-line summary of a vault's content for tables: its top-level keys.
pub fn summary(data: &Map<String, Value>) -> String {
    let keys: Vec<&str> = data.keys().map(String::as_str).collect();
    match keys.len() {
        0 => "empty".into(),
        n if n <= 4 => keys.join(", "),
        n => format!("{}, … ({n} keys)", keys[..3].join(", ")),
    }
}
