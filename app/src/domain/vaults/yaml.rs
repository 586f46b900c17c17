//! YAML 1.2 (core schema) read from yaml-rust2's events into a JSON object.
//!
//! Anchors and aliases work, but the values aliases copy are counted and bounded
//! ([`MAX_EXPANDED_BYTES`]), so an alias bomb fails fast. `<<` merge keys are applied (explicit
//! keys win). Refused, with the line and column: a second document, keys that are not text (the
//! message says what they are), a key twice in one mapping, tags other than the core schema's
//! (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq`), infinities and NaN
//! (JSON has none), and plain scalars that YAML 1.1 (PyYAML) reads differently from YAML 1.2:
//! `yes`/`no`/`on`/`off` and integers with a leading zero.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use super::{MAX_DEPTH, MAX_EXPANDED_BYTES, NOT_AN_OBJECT, TextError, depth_of, weight};

fn error(mark: Marker, message: impl Into<String>) -> TextError {
    TextError::new(mark.line().max(1), mark.col() + 1, message)
}

fn scan_error(e: &ScanError) -> TextError {
    error(*e.marker(), e.info())
}

enum Key {
    Text(String),
    /// `<<`: the value's mappings are merged in.
    Merge(Marker),
}

enum Frame {
    List {
        items: Vec<Value>,
        anchor: usize,
    },
    Mapping {
        map: Map<String, Value>,
        /// The key whose value comes next.
        key: Option<Key>,
        merges: Vec<Map<String, Value>>,
        anchor: usize,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    root: Option<Value>,
    copied: usize,
}

/// Parses YAML text into the object it stands for.
pub(super) fn parse(text: &str) -> Result<Map<String, Value>, TextError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        copied: 0,
    };
    let mut documents = 0;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| scan_error(&e))?;
        match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(error(
                        mark,
                        "a vault holds one YAML document; this starts a second one",
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if builder.awaits_key() {
                    let key = scalar_key(text, style, tag.as_ref(), mark)?;
                    if anchor != 0
                        && let Key::Text(k) = &key
                    {
                        builder.anchors.insert(anchor, Value::String(k.clone()));
                    }
                    builder.set_key(key, mark)?;
                } else {
                    let value = scalar_value(text, style, tag.as_ref(), mark)?;
                    builder.done(value, anchor, mark)?;
                }
            }
            Event::SequenceStart(anchor, tag) => {
                builder.open(mark, tag.as_ref(), "seq", "a list")?;
                builder.stack.push(Frame::List {
                    items: Vec::new(),
                    anchor,
                });
            }
            Event::MappingStart(anchor, tag) => {
                builder.open(mark, tag.as_ref(), "map", "a mapping")?;
                builder.stack.push(Frame::Mapping {
                    map: Map::new(),
                    key: None,
                    merges: Vec::new(),
                    anchor,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor) = match builder.stack.pop() {
                    Some(Frame::List { items, anchor }) => (Value::Array(items), anchor),
                    Some(Frame::Mapping {
                        mut map,
                        merges,
                        anchor,
                        ..
                    }) => {
                        for merged in merges {
                            for (k, v) in merged {
                                map.entry(k).or_insert(v);
                            }
                        }
                        (Value::Object(map), anchor)
                    }
                    None => return Err(error(mark, "a list or mapping closes that never opened")),
                };
                builder.done(value, anchor, mark)?;
            }
            Event::Alias(id) => {
                let Some(value) = builder.anchors.get(&id) else {
                    return Err(error(
                        mark,
                        "this alias refers to a node that contains it (or isn't complete yet)",
                    ));
                };
                if builder.stack.len() + depth_of(value) > MAX_DEPTH {
                    return Err(error(
                        mark,
                        format!("settings nest deeper than {MAX_DEPTH} levels here"),
                    ));
                }
                let value = value.clone();
                builder.spend(&value, mark)?;
                if builder.awaits_key() {
                    let Value::String(k) = value else {
                        return Err(error(
                            mark,
                            format!(
                                "a key must be text, but this alias refers to {}",
                                kind(&value)
                            ),
                        ));
                    };
                    builder.set_key(Key::Text(k), mark)?;
                } else {
                    builder.done(value, 0, mark)?;
                }
            }
        }
    }
    match builder.root {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(TextError::new(1, 1, NOT_AN_OBJECT)),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

impl Builder {
    fn awaits_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Mapping { key: None, .. }))
    }

    fn spend(&mut self, value: &Value, mark: Marker) -> Result<(), TextError> {
        self.copied = self.copied.saturating_add(weight(value));
        if self.copied > MAX_EXPANDED_BYTES {
            return Err(error(
                mark,
                format!(
                    "aliases copy more than {} KB of settings (a vault refuses alias bombs)",
                    MAX_EXPANDED_BYTES / 1024
                ),
            ));
        }
        Ok(())
    }

    /// A list or a mapping starts.
    fn open(
        &self,
        mark: Marker,
        tag: Option<&Tag>,
        core: &str,
        what: &str,
    ) -> Result<(), TextError> {
        if let Some(tag) = tag
            && core_tag(tag) != Some(core)
        {
            return Err(error(
                mark,
                format!("the tag {} is not allowed on {what}", show_tag(tag)),
            ));
        }
        if self.awaits_key() {
            return Err(error(mark, format!("a key must be text, not {what}")));
        }
        if self.stack.len() + 1 > MAX_DEPTH {
            return Err(error(
                mark,
                format!("settings nest deeper than {MAX_DEPTH} levels here"),
            ));
        }
        Ok(())
    }

    fn set_key(&mut self, key: Key, mark: Marker) -> Result<(), TextError> {
        let Some(Frame::Mapping { map, key: slot, .. }) = self.stack.last_mut() else {
            return Err(error(mark, "a key outside a mapping"));
        };
        if let Key::Text(k) = &key
            && map.contains_key(k)
        {
            return Err(error(
                mark,
                format!(
                    "the key {} appears twice in this mapping",
                    Value::String(k.clone())
                ),
            ));
        }
        *slot = Some(key);
        Ok(())
    }

    /// A complete value: stored under its anchor, then placed in what encloses it.
    fn done(&mut self, value: Value, anchor: usize, mark: Marker) -> Result<(), TextError> {
        if anchor != 0 {
            self.spend(&value, mark)?;
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::List { items, .. }) => items.push(value),
            Some(Frame::Mapping {
                map, key, merges, ..
            }) => match key.take() {
                Some(Key::Text(k)) => {
                    map.insert(k, value);
                }
                Some(Key::Merge(at)) => match value {
                    Value::Object(m) => merges.push(m),
                    Value::Array(list) if list.iter().all(Value::is_object) => {
                        merges.extend(list.into_iter().filter_map(|v| match v {
                            Value::Object(m) => Some(m),
                            _ => None,
                        }));
                    }
                    _ => {
                        return Err(error(
                            at,
                            "`<<` merges mappings: its value must be a mapping or a list of \
                             mappings",
                        ));
                    }
                },
                None => return Err(error(mark, "a value without a key")),
            },
        }
        Ok(())
    }
}

fn core_tag(tag: &Tag) -> Option<&str> {
    const CORE: [&str; 7] = ["str", "int", "float", "bool", "null", "map", "seq"];
    if tag.handle == "tag:yaml.org,2002:" {
        CORE.iter().copied().find(|c| *c == tag.suffix)
    } else {
        None
    }
}

fn show_tag(tag: &Tag) -> String {
    if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else if tag.handle.is_empty() || tag.handle == "!" {
        format!("!{}", tag.suffix.trim_start_matches('!'))
    } else {
        format!("!<{}{}>", tag.handle, tag.suffix)
    }
}

/// A plain scalar as the YAML 1.2 core schema reads it.
enum Plain {
    Null,
    Bool(bool),
    Number(Value),
    /// `.inf`, `-.inf`, `.nan`, or a float too large for 64 bits.
    Special,
    Text,
}

fn core_int(s: &str) -> Option<Value> {
    if let Some(octal) = s.strip_prefix("0o") {
        if !octal.is_empty() && octal.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return u64::from_str_radix(octal, 8).ok().map(Value::from);
        }
        return None;
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return u64::from_str_radix(hex, 16).ok().map(Value::from);
        }
        return None;
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    if let Ok(n) = s.parse::<i64>() {
        return Some(Value::from(n));
    }
    if let Ok(n) = s.parse::<u64>() {
        return Some(Value::from(n));
    }
    // Wider than 64 bits: a float, as JSON parsers read such numbers.
    s.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (`1.` is a float).
fn is_core_float(s: &str) -> bool {
    super::is_decimal(s, true)
}

fn core_plain(s: &str) -> Plain {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        _ => {}
    }
    if let Some(n) = core_int(s) {
        return Plain::Number(n);
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(s, ".nan" | ".NaN" | ".NAN") {
        return Plain::Special;
    }
    if is_core_float(s) {
        return match s.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Plain::Number(Value::Number(n)),
            None => Plain::Special,
        };
    }
    Plain::Text
}

fn scalar_key(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    mark: Marker,
) -> Result<Key, TextError> {
    if let Some(tag) = tag {
        return match core_tag(tag) {
            Some("str") => Ok(Key::Text(text)),
            _ => Err(error(
                mark,
                format!("a key must be text; this one is tagged {}", show_tag(tag)),
            )),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Key::Text(text));
    }
    if text == "<<" {
        return Ok(Key::Merge(mark));
    }
    let what = match core_plain(&text) {
        Plain::Text => return Ok(Key::Text(text)),
        Plain::Null if text.is_empty() => {
            return Err(error(mark, "a key is missing here"));
        }
        Plain::Null => "null",
        Plain::Bool(_) => "a boolean",
        Plain::Number(_) | Plain::Special => "a number",
    };
    Err(error(
        mark,
        format!("the key {text} is {what}, and keys must be text: write it in quotes (\"{text}\")"),
    ))
}

fn scalar_value(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    mark: Marker,
) -> Result<Value, TextError> {
    if let Some(tag) = tag {
        let Some(core) = core_tag(tag) else {
            return Err(error(
                mark,
                format!(
                    "the tag {} is not supported: a vault holds plain YAML (tags: !!str, !!int, \
                     !!float, !!bool, !!null)",
                    show_tag(tag)
                ),
            ));
        };
        let value = match (core, core_plain(&text)) {
            ("str", _) => Some(Value::String(text.clone())),
            ("null", Plain::Null) => Some(Value::Null),
            ("bool", Plain::Bool(b)) => Some(Value::Bool(b)),
            ("int", Plain::Number(n)) if n.is_i64() || n.is_u64() => Some(n),
            ("float", Plain::Number(n)) => n.as_f64().and_then(Number::from_f64).map(Value::Number),
            _ => None,
        };
        return value.ok_or_else(|| {
            error(
                mark,
                format!(
                    "{} doesn't fit its tag !!{core}",
                    Value::String(text.clone())
                ),
            )
        });
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text));
    }
    match core_plain(&text) {
        Plain::Null => Ok(Value::Null),
        Plain::Bool(b) => Ok(Value::Bool(b)),
        Plain::Special => Err(error(
            mark,
            format!("{text} can't be stored: JSON has no infinities, NaN or numbers that large"),
        )),
        Plain::Number(n) => {
            let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
            if digits.len() > 1
                && digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(error(
                    mark,
                    format!(
                        "{text} is an octal number in YAML 1.1 but a decimal one in YAML 1.2: \
                         write 0o{} for octal, drop the leading zeros, or put it in quotes",
                        digits.trim_start_matches('0')
                    ),
                ));
            }
            Ok(n)
        }
        Plain::Text => {
            let ambiguous = matches!(
                text.as_str(),
                "yes"
                    | "Yes"
                    | "YES"
                    | "no"
                    | "No"
                    | "NO"
                    | "on"
                    | "On"
                    | "ON"
                    | "off"
                    | "Off"
                    | "OFF"
            );
            if ambiguous {
                return Err(error(
                    mark,
                    format!(
                        "{text} is a boolean in YAML 1.1 but text in YAML 1.2: write true or \
                         false, or put it in quotes"
                    ),
                ));
            }
            Ok(Value::String(text))
        }
    }
}
