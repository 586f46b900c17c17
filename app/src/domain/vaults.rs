//! Configuration vaults: what a vault may hold and how vaults combine. A vault's text (HOCON, JSON or
//! YAML) is parsed once, when it is saved, into a JSON object; that object is what is stored (sealed)
//! and what `users.get_vaults` sends, so no client ever evaluates HOCON includes or substitutions.
//! Vaults are merged in delivery order — administrator vaults of the caller's groups by group name
//! then vault name, then the personal vault — nested objects key by key, a later scalar or list
//! replacing an earlier one, and every key remembers which vault set it and which it overrode.
//!
//! Keys: HOCON's unquoted paths (`a.b.c = 1`) are nested by the parser; a quoted key with dots in
//! it (`"a.b" = 1`, a JSON or YAML key `a.b`) stays one key, as pyhocon keeps it when it reads the
//! JSON we send, and the merge never splits keys on dots.

mod hocon;
#[cfg(test)]
mod tests;
mod yaml;

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

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

/// How much HOCON substitutions and YAML aliases may copy while one vault is parsed (in bytes, as
/// [`weight`] counts them): enough for any real configuration, and a bound on documents built to
/// expand (a "billion laughs", or one long text repeated by a thousand aliases).
const MAX_EXPANDED_BYTES: usize = 8 * MAX_TEXT_BYTES;

/// The most a vault's settings may take as JSON, once aliases and substitutions are expanded: what
/// is stored and what every client downloads.
const MAX_SETTINGS_BYTES: usize = 4 * MAX_TEXT_BYTES;

const NOT_AN_OBJECT: &str = "A vault holds an object of settings at its top level.";

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
    let map = match format {
        VaultFormat::Hocon => hocon::parse(text)?,
        VaultFormat::Json => parse_json(text)?,
        VaultFormat::Yaml => yaml::parse(text)?,
    };
    if depth_of_map(&map) > MAX_DEPTH {
        return Err(AppError::validation(
            "data",
            format!("Settings nest deeper than {MAX_DEPTH} levels."),
        ));
    }
    let mut size = JsonSize(0);
    if serde_json::to_writer(&mut size, &map).is_err() || size.0 > MAX_SETTINGS_BYTES {
        return Err(AppError::validation(
            "data",
            format!(
                "Once aliases and substitutions are expanded, these settings take more than {} KB.",
                MAX_SETTINGS_BYTES / 1024
            ),
        ));
    }
    check_readable(&map, &mut Vec::new())?;
    check_forbidden(&map)?;
    Ok(map)
}

/// Refuses what pyhocon would misread in the JSON clients get: empty keys (it can't parse them),
/// keys with a quote, a backslash or a control character (it keeps their escapes as written),
/// and text holding a control character other than tab, new line and carriage return (JSON
/// escapes it as `\u0001`, `\b` or `\f`, which pyhocon keeps as written).
fn check_readable(map: &Map<String, Value>, path: &mut Vec<String>) -> Result<(), AppError> {
    for (key, value) in map {
        path.push(key.clone());
        if key.is_empty() {
            return Err(AppError::validation(
                "data",
                format!(
                    "The key {} is empty, and ClearML clients can't read an empty key.",
                    path_string(path)
                ),
            ));
        }
        if key
            .chars()
            .any(|c| matches!(c, '"' | '\\') || c.is_control())
        {
            return Err(AppError::validation(
                "data",
                format!(
                    "The key {} holds a quote, a backslash or a control character, which ClearML \
                     clients read differently: rename it.",
                    path_string(path)
                ),
            ));
        }
        check_readable_value(value, path)?;
        path.pop();
    }
    Ok(())
}

fn check_readable_value(value: &Value, path: &mut Vec<String>) -> Result<(), AppError> {
    match value {
        Value::Object(map) => check_readable(map, path),
        Value::Array(list) => list.iter().try_for_each(|v| check_readable_value(v, path)),
        Value::String(text) => {
            let bad = text
                .chars()
                .find(|c| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{7f}'));
            match bad {
                Some(c) => Err(AppError::validation(
                    "data",
                    format!(
                        "The value of {} holds the control character U+{:04X}, which ClearML \
                         clients can't read back: remove it.",
                        path_string(path),
                        u32::from(c)
                    ),
                )),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// A parse error at a place in the text (1-based line and column, the column in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextError {
    line: usize,
    column: usize,
    message: String,
}

impl TextError {
    fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        TextError {
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at byte `offset` of `src`.
    fn at(src: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(src, offset);
        Self::new(line, column, message)
    }
}

impl From<TextError> for AppError {
    fn from(e: TextError) -> Self {
        AppError::validation(
            "data",
            format!("line {}, column {}: {}", e.line, e.column, e.message),
        )
    }
}

/// The 1-based line and column (in characters) of byte `offset`.
fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

/// JSON, strictly: no comments, no trailing commas, and no key twice in one object.
fn parse_json(text: &str) -> Result<Map<String, Value>, TextError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim().is_empty() {
        return Ok(Map::new());
    }
    let mut de = serde_json::Deserializer::from_str(body);
    let value = JsonValue { depth: 0 }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            // serde_json counts columns in bytes; count characters as the other formats do.
            let line = e.line().max(1);
            let line_text = body.split('\n').nth(line - 1).unwrap_or("");
            let mut bytes = e.column().min(line_text.len());
            while !line_text.is_char_boundary(bytes) {
                bytes -= 1;
            }
            let mut column = line_text[..bytes].chars().count().max(1);
            if line == 1 && body.len() < text.len() {
                column += 1;
            }
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            TextError::new(line, column, message)
        })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(TextError::new(1, 1, NOT_AN_OBJECT)),
    }
}

/// Builds a [`Value`] from JSON, refusing repeated keys and nesting deeper than [`MAX_DEPTH`].
struct JsonValue {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for JsonValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl JsonValue {
    /// The seed for what a list or an object at this level holds.
    fn inner<E: de::Error>(&self) -> Result<JsonValue, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!(
                "settings nest deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(JsonValue {
            depth: self.depth + 1,
        })
    }
}

impl<'de> Visitor<'de> for JsonValue {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.inner::<A::Error>()?;
        let mut list = Vec::new();
        while let Some(v) = seq.next_element_seed(JsonValue { depth: inner.depth })? {
            list.push(v);
        }
        Ok(Value::Array(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.inner::<A::Error>()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key {} appears twice in one object",
                    Value::String(key)
                )));
            }
            let value = access.next_value_seed(JsonValue { depth: inner.depth })?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// How many objects and lists nest in `value` (a scalar is 0, `{}` is 1).
fn depth_of(value: &Value) -> usize {
    match value {
        Value::Object(map) => depth_of_map(map),
        Value::Array(list) => 1 + list.iter().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

fn depth_of_map(map: &Map<String, Value>) -> usize {
    1 + map.values().map(depth_of).max().unwrap_or(0)
}

/// Roughly how many bytes `value` takes: one per value, plus the length of its texts and keys.
fn weight(value: &Value) -> usize {
    match value {
        Value::Object(map) => {
            1 + map
                .iter()
                .map(|(k, v)| k.len().saturating_add(weight(v)))
                .fold(0, usize::saturating_add)
        }
        Value::Array(list) => 1 + list.iter().map(weight).fold(0, usize::saturating_add),
        Value::String(text) => 1 + text.len(),
        _ => 1,
    }
}

/// Counts the bytes of a JSON serialisation without keeping them.
struct JsonSize(usize);

impl std::io::Write for JsonSize {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A key path written unambiguously: segments joined by dots, a segment quoted (as a JSON
/// string) when it is empty or holds a dot, a quote, a backslash, whitespace or a control
/// character — `sdk.aws.s3`, `sdk."a.b".key`.
pub(crate) fn path_string(path: &[String]) -> String {
    let mut out = String::new();
    for (i, segment) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        let plain = !segment.is_empty()
            && !segment
                .chars()
                .any(|c| matches!(c, '.' | '"' | '\\') || c.is_whitespace() || c.is_control());
        if plain {
            out.push_str(segment);
        } else {
            out.push_str(&Value::String(segment.clone()).to_string());
        }
    }
    out
}

/// Refuses the [`FORBIDDEN_KEYS`] wherever they appear as a dotted path, a key with dots in it
/// counting as that path (so `"agent.debug": true` is refused too).
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

/// Every leaf of an object (a scalar, a list or an empty object) as its key segments.
fn leaf_segments(map: &Map<String, Value>, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for (k, v) in map {
        prefix.push(k.clone());
        match v {
            Value::Object(inner) if !inner.is_empty() => leaf_segments(inner, prefix, out),
            _ => out.push(prefix.clone()),
        }
        prefix.pop();
    }
}

/// Whether `path` ends at a leaf of `map`.
fn is_leaf(map: &Map<String, Value>, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut at = map;
    for key in parents {
        match at.get(key) {
            Some(Value::Object(inner)) => at = inner,
            _ => return false,
        }
    }
    match at.get(last) {
        Some(Value::Object(inner)) => inner.is_empty(),
        Some(_) => true,
        None => false,
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

/// The configuration a list of vaults produces, and each key's origin by key path (segments
/// joined by dots, a segment with a dot in it quoted: see the module's notes on keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Merged {
    pub config: Map<String, Value>,
    pub origins: BTreeMap<String, KeyOrigin>,
}

/// Merges vaults in the order given (later wins): nested objects merge key by key, a scalar or a
/// list replaces what was there. Keys are taken as they are — a key with dots in it is one key,
/// as pyhocon reads the JSON we send — so `{"a.b": 1}` and `{"a": {"b": 2}}` are different keys.
///
/// `origins` has one entry per leaf of the result (a scalar, a list or an empty object): the vault
/// whose value is in effect, and the earlier vaults whose values there it displaced — values set
/// at the same path, above it (a scalar that became an object) or below it (an object replaced by
/// a scalar, whose keys leave `origins`).
pub fn merge(vaults: &[(VaultRef, Map<String, Value>)]) -> Merged {
    let mut config = Map::new();
    // Leaf path → (the vault in effect, the vaults it displaced), by index into `vaults`.
    let mut origins: BTreeMap<Vec<String>, (usize, Vec<usize>)> = BTreeMap::new();
    for (index, (_, data)) in vaults.iter().enumerate() {
        overlay(&mut config, data.clone());
        let mut leaves = Vec::new();
        leaf_segments(data, &mut Vec::new(), &mut leaves);
        // An empty object laid over a non-empty one changes nothing.
        leaves.retain(|leaf| is_leaf(&config, leaf));
        let mut displaced = Vec::new();
        let mut settled = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            let mut history = Vec::new();
            for len in 1..=leaf.len() {
                if let Some((by, overrode)) = origins.get(&leaf[..len]) {
                    history.extend(overrode.iter().copied());
                    history.push(*by);
                    displaced.push(leaf[..len].to_vec());
                }
            }
            for (path, (by, overrode)) in
                origins.range::<[String], _>((Bound::Excluded(&leaf[..]), Bound::Unbounded))
            {
                if !path.starts_with(&leaf) {
                    break;
                }
                history.extend(overrode.iter().copied());
                history.push(*by);
                displaced.push(path.clone());
            }
            history.sort_unstable();
            history.dedup();
            settled.push((leaf, history));
        }
        for path in displaced {
            origins.remove(&path);
        }
        for (leaf, history) in settled {
            origins.insert(leaf, (index, history));
        }
    }
    let origins = origins
        .into_iter()
        .map(|(path, (by, overrode))| {
            (
                path_string(&path),
                KeyOrigin {
                    set_by: vaults[by].0.clone(),
                    overrode: overrode.iter().map(|i| vaults[*i].0.clone()).collect(),
                },
            )
        })
        .collect();
    Merged { config, origins }
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

/// What the fuzz target `vault_parse` runs on each input, and what the unit tests replay its
/// corpus through: `data` (as UTF-8, invalid bytes replaced) is parsed in the three formats, each
/// piece between NUL bytes too, and the objects that parse are merged. Panics when an invariant
/// breaks: a parsed object deeper than [`MAX_DEPTH`] or holding a forbidden key, a HOCON or JSON
/// parse that doesn't read back its own JSON, a merge whose last vault's leaves are not in effect
/// or whose origins are not exactly the merged leaves.
#[doc(hidden)]
pub fn fuzz_vault_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut vaults = Vec::new();
    let pieces: Vec<&str> = text.split('\0').take(4).collect();
    let mut texts = vec![text.as_ref()];
    if pieces.len() > 1 {
        texts.extend(pieces);
    }
    for (t, text) in texts.into_iter().enumerate() {
        for format in [VaultFormat::Hocon, VaultFormat::Json, VaultFormat::Yaml] {
            let Ok(map) = parse(format, text) else {
                continue;
            };
            assert!(depth_of_map(&map) <= MAX_DEPTH, "{format:?} too deep");
            assert!(
                check_forbidden(&map).is_ok(),
                "{format:?} let a forbidden key in"
            );
            let json = serde_json::to_string(&map).expect("a JSON object serialises");
            let pretty = serde_json::to_string_pretty(&map).expect("a JSON object serialises");
            for (f, j) in [
                (VaultFormat::Json, &json),
                (VaultFormat::Hocon, &json),
                (VaultFormat::Hocon, &pretty),
            ] {
                // Expanded aliases and substitutions may take more than a vault's text may.
                if j.len() > MAX_TEXT_BYTES {
                    continue;
                }
                match parse(f, j) {
                    Ok(back) => assert_eq!(back, map, "{f:?} changed the JSON of {format:?}"),
                    Err(e) => panic!("{f:?} refused the JSON of {format:?}: {e:?}"),
                }
            }
            let vault = VaultRef {
                id: format!("{t}-{}", format.as_str()),
                name: format.as_str().into(),
                group: None,
            };
            vaults.push((vault, map));
        }
    }
    if vaults.is_empty() {
        return;
    }
    let merged = merge(&vaults);
    let mut live = Vec::new();
    leaf_segments(&merged.config, &mut Vec::new(), &mut live);
    let mut live: Vec<String> = live.iter().map(|p| path_string(p)).collect();
    live.sort();
    let keys: Vec<&String> = merged.origins.keys().collect();
    assert_eq!(
        keys,
        live.iter().collect::<Vec<_>>(),
        "origins are not the merged leaves"
    );
    let (last_vault, last) = &vaults[vaults.len() - 1];
    let mut leaves = Vec::new();
    leaf_segments(last, &mut Vec::new(), &mut leaves);
    let last_value = Value::Object(last.clone());
    let merged_value = Value::Object(merged.config);
    for leaf in leaves {
        let mut value = &last_value;
        for key in &leaf {
            value = &value[key];
        }
        if value.as_object().is_some_and(|m| m.is_empty()) {
            continue;
        }
        let mut merged_value = &merged_value;
        for key in &leaf {
            merged_value = &merged_value[key];
        }
        assert_eq!(
            merged_value, value,
            "the last vault's value is not in effect"
        );
        let origin = &merged.origins[&path_string(&leaf)];
        assert_eq!(
            &origin.set_by, last_vault,
            "the last vault is not named in effect"
        );
    }
}

/// A decimal number as HOCON and YAML write them: an optional sign, digits with an optional
/// fraction (or a fraction alone), and an optional exponent. `trailing_dot`: whether `1.` counts
/// (YAML's core schema) or a dot needs digits after it (HOCON).
fn is_decimal(text: &str, trailing_dot: bool) -> bool {
    fn digits(s: &[u8]) -> usize {
        s.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let s = text.as_bytes();
    let mut i = usize::from(matches!(s.first(), Some(b'-' | b'+')));
    let whole = digits(&s[i..]);
    i += whole;
    if s.get(i) == Some(&b'.') {
        let fraction = digits(&s[i + 1..]);
        if fraction == 0 && (whole == 0 || !trailing_dot) {
            return false;
        }
        i += 1 + fraction;
    } else if whole == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exponent = digits(&s[i..]);
        if exponent == 0 {
            return false;
        }
        i += exponent;
    }
    i == s.len()
}
