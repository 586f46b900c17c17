//! HOCON as clearml.conf files write it, parsed into a JSON object once, when a vault is saved.
//!
//! Supported: a root object with or without braces; `=`, `:` and `key { … }`; unquoted dotted key
//! paths (`a.b.c = 1` nests) and quoted keys (`"a.b" = 1` is one key, as in pyhocon); fields
//! separated by new lines or commas; lists; unquoted text (URLs included: `//` only starts a
//! comment at the beginning of a token, as in pyhocon), quoted strings with JSON escapes and
//! `"""` multi-line strings; numbers (integers stay integers), `true`/`false`/`null` in any case
//! (as pyhocon reads them); value concatenation (`a = foo "bar"`, objects merged, lists joined);
//! `#` and `//` comments; a repeated key merges objects and otherwise replaces; `+=` appends to a
//! list (a list on the right is appended element by element, as pyhocon does); `${a.b}` and
//! `${?a.b}` resolved against the document itself, seeing the document's final values (a field
//! referring to itself sees its earlier value).
//!
//! Refused, with the line and column: `include`; substitutions that nothing in the text defines,
//! `${?x}` included (pyhocon would read the environment for them, and a vault never does); cycles;
//! nesting deeper than [`MAX_DEPTH`]; substitutions that copy more than [`MAX_EXPANDED_BYTES`] or
//! replay too many operations; `+=` on something other than a list; values that join an object, a
//! list and text; unquoted text with HOCON's reserved characters (`+ = $ ? ! @ * & ^ \` and the
//! backquote), which must be quoted.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::rc::Rc;

use serde_json::{Map, Number, Value};

use super::{MAX_DEPTH, MAX_EXPANDED_BYTES, TextError, depth_of, path_string, weight};

/// How many substitutions may wait on one another (`a = ${b}`, `b = ${c}`, …) before we give up.
const MAX_NESTED_SUBSTITUTIONS: usize = 32;

/// How many operations resolving substitutions may replay: a few per line for real configuration,
/// and a bound on documents built to make resolution slow.
const MAX_RESOLVE_STEPS: usize = 2_000_000;

/// Parses HOCON text into the object it stands for.
pub(super) fn parse(text: &str) -> Result<Map<String, Value>, TextError> {
    let fields = Parser { src: text, pos: 0 }.document()?;
    let mut ops = Vec::new();
    flatten(fields, &[], &mut ops);
    Resolver::new(text, ops).root()
}

// ---------------------------------------------------------------------------------------------
// Syntax

/// One `key = value` (or `key : value`, `key { … }`, `key += value`) as written.
#[derive(Debug, Clone)]
struct Field {
    path: Vec<String>,
    append: bool,
    value: Expr,
    pos: usize,
}

/// A value as written: the pieces of one line that concatenate into it.
#[derive(Debug, Clone)]
struct Expr {
    pieces: Vec<Piece>,
    pos: usize,
}

#[derive(Debug, Clone)]
enum Piece {
    /// Whitespace between two other pieces (kept when text concatenates).
    Space(String),
    Unquoted(String),
    Quoted(String),
    Substitution {
        path: Vec<String>,
        pos: usize,
    },
    Object(Vec<Field>),
    List(Vec<Expr>),
}

impl Expr {
    /// `{ … }` or `{ … } { … }`: what can be flattened into the fields it sets.
    fn is_object_literal(&self) -> bool {
        let mut any = false;
        for piece in &self.pieces {
            match piece {
                Piece::Object(_) => any = true,
                Piece::Space(_) => {}
                _ => return false,
            }
        }
        any
    }
}

/// Characters that can't appear in unquoted text (HOCON's list, as pyhocon applies it: `:` and
/// `/` are allowed so that URLs need no quotes).
fn is_forbidden_in_value(c: char) -> bool {
    matches!(
        c,
        '$' | '"'
            | '{'
            | '}'
            | '['
            | ']'
            | ','
            | '='
            | '+'
            | '#'
            | '`'
            | '^'
            | '?'
            | '!'
            | '@'
            | '*'
            | '&'
            | '\\'
    )
}

fn is_key_char(c: char) -> bool {
    !is_space(c) && c != '\n' && c != '.' && c != ':' && !is_forbidden_in_value(c)
}

/// Whitespace other than the new line (which separates fields); `\r` and the BOM count as spaces.
fn is_space(c: char) -> bool {
    c != '\n' && (c.is_whitespace() || c == '\u{feff}')
}

fn describe(c: Option<char>) -> String {
    match c {
        None => "the end of the text".into(),
        Some('\n') => "a new line".into(),
        Some(c) => format!("`{c}`"),
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn error<T>(&self, at: usize, message: impl Into<String>) -> Result<T, TextError> {
        Err(TextError::at(self.src, at, message))
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.bump();
        }
    }

    fn at_comment(&self) -> bool {
        let rest = self.rest();
        rest.starts_with('#') || rest.starts_with("//")
    }

    /// Spaces and comments, not new lines.
    fn skip_spaces_and_comments(&mut self) {
        loop {
            self.skip_spaces();
            if !self.at_comment() {
                return;
            }
            while self.peek().is_some_and(|c| c != '\n') {
                self.bump();
            }
        }
    }

    /// Spaces, comments and new lines, and commas too when `commas`.
    fn skip_blank(&mut self, commas: bool) {
        loop {
            self.skip_spaces_and_comments();
            match self.peek() {
                Some('\n') => self.bump(),
                Some(',') if commas => self.bump(),
                _ => return,
            }
        }
    }

    fn document(mut self) -> Result<Vec<Field>, TextError> {
        self.skip_blank(false);
        match self.peek() {
            Some('{') => {
                let open = self.pos;
                self.bump();
                let fields = self.object_body(Some(open), 1)?;
                self.skip_blank(true);
                if self.pos < self.src.len() {
                    return self.error(
                        self.pos,
                        "unexpected text after the closing brace of the top-level object",
                    );
                }
                Ok(fields)
            }
            Some('[') => self.error(
                self.pos,
                "a vault holds an object of settings at its top level, not a list",
            ),
            _ => self.object_body(None, 1),
        }
    }

    /// The fields of an object at nesting `depth` (the top level is 1), up to its `}` when it
    /// was opened at `open`, or to the end of the text.
    fn object_body(&mut self, open: Option<usize>, depth: usize) -> Result<Vec<Field>, TextError> {
        let mut fields = Vec::new();
        loop {
            self.skip_blank(true);
            match (self.peek(), open) {
                (None, None) => return Ok(fields),
                (None, Some(open)) => {
                    let (line, column) = super::line_column(self.src, open);
                    return self.error(
                        self.pos,
                        format!(
                            "the text ends before the {{ at line {line}, column {column} is closed"
                        ),
                    );
                }
                (Some('}'), Some(_)) => {
                    self.bump();
                    return Ok(fields);
                }
                (Some('}'), None) => {
                    return self.error(self.pos, "unexpected `}`: no object is open here");
                }
                _ => {}
            }
            self.refuse_include()?;
            fields.push(self.field(depth)?);
            self.skip_spaces_and_comments();
            match self.peek() {
                None | Some('\n') | Some(',') => {}
                Some('}') if open.is_some() => {}
                other => {
                    return self.error(
                        self.pos,
                        format!(
                            "expected a new line or a comma after the value, found {}",
                            describe(other)
                        ),
                    );
                }
            }
        }
    }

    fn refuse_include(&self) -> Result<(), TextError> {
        let Some(after) = self.rest().strip_prefix("include") else {
            return Ok(());
        };
        let target = after.trim_start_matches(is_space);
        let is_include = target.starts_with('"')
            || ["url(", "file(", "classpath(", "required("]
                .iter()
                .any(|p| target.starts_with(p));
        if is_include {
            return self.error(
                self.pos,
                "include is not supported: a vault can't read other files or URLs; paste the \
                 settings themselves into the vault",
            );
        }
        Ok(())
    }

    fn field(&mut self, depth: usize) -> Result<Field, TextError> {
        let start = self.pos;
        let path = self.key_path()?;
        // The value sits inside this many objects.
        let inside = depth + path.len() - 1;
        if inside > MAX_DEPTH {
            return self.error(
                start,
                format!("settings nest deeper than {MAX_DEPTH} levels here"),
            );
        }
        self.skip_spaces_and_comments();
        let after_key = self.pos;
        self.skip_blank(false);
        let append = match (self.peek(), self.peek_second()) {
            (Some('=' | ':'), _) => {
                self.bump();
                false
            }
            (Some('+'), Some('=')) => {
                self.bump();
                self.bump();
                true
            }
            (Some('{'), _) => false,
            _ => {
                self.pos = after_key;
                return self.error(
                    after_key,
                    format!(
                        "expected `=`, `:` or `{{` after the key {}, found {}",
                        path_string(&path),
                        describe(self.peek())
                    ),
                );
            }
        };
        self.skip_blank(false);
        let value_start = self.pos;
        let value = self.value(inside)?;
        if value.pieces.is_empty() {
            return self.error(
                value_start,
                format!(
                    "the key {} has no value (found {})",
                    path_string(&path),
                    describe(self.peek())
                ),
            );
        }
        Ok(Field {
            path,
            append,
            value,
            pos: start,
        })
    }

    /// A key path: unquoted parts and quoted strings, split on the dots outside quotes.
    /// Whitespace inside a key is kept (`foo bar = 1` is the key "foo bar").
    fn key_path(&mut self) -> Result<Vec<String>, TextError> {
        let start = self.pos;
        let mut path = Vec::new();
        let mut current = String::new();
        let mut has_content = false;
        loop {
            match self.peek() {
                Some('"') => {
                    if self.rest().starts_with("\"\"\"") {
                        return self.error(self.pos, "a key can't be a triple-quoted string");
                    }
                    current.push_str(&self.quoted()?);
                    has_content = true;
                }
                Some('.') => {
                    if !has_content {
                        return self.error(self.pos, "a key path can't have an empty part");
                    }
                    path.push(std::mem::take(&mut current));
                    has_content = false;
                    self.bump();
                }
                Some(c) if is_space(c) => {
                    let spaces = self.pos;
                    self.skip_spaces();
                    let more = match self.peek() {
                        Some('"' | '.') => true,
                        Some(c) => is_key_char(c) && !self.rest().starts_with("//"),
                        None => false,
                    };
                    if !more {
                        self.pos = spaces;
                        break;
                    }
                    current.push_str(&self.src[spaces..self.pos]);
                }
                Some(c) if is_key_char(c) && !self.rest().starts_with("//") => {
                    current.push(c);
                    has_content = true;
                    self.bump();
                }
                _ => break,
            }
        }
        if !has_content {
            if path.is_empty() && current.is_empty() {
                return self.error(
                    start,
                    format!("expected a key, found {}", describe(self.peek())),
                );
            }
            return self.error(self.pos, "a key path can't end with a dot");
        }
        path.push(current);
        Ok(path)
    }

    /// A value: the pieces up to the end of the line, a comma, a closing bracket or a comment.
    /// `inside` is how many objects and lists enclose it.
    fn value(&mut self, inside: usize) -> Result<Expr, TextError> {
        let start = self.pos;
        let mut pieces = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '\n' | ',' | '}' | ']' | '#' => break,
                '/' if self.rest().starts_with("//") => break,
                c if is_space(c) => {
                    let from = self.pos;
                    self.skip_spaces();
                    if !pieces.is_empty() {
                        pieces.push(Piece::Space(self.src[from..self.pos].to_string()));
                    }
                }
                '"' if self.rest().starts_with("\"\"\"") => {
                    pieces.push(Piece::Quoted(self.triple_quoted()?))
                }
                '"' => pieces.push(Piece::Quoted(self.quoted()?)),
                '{' | '[' => {
                    let open = self.pos;
                    if inside + 1 > MAX_DEPTH {
                        return self.error(
                            open,
                            format!("settings nest deeper than {MAX_DEPTH} levels here"),
                        );
                    }
                    self.bump();
                    if c == '{' {
                        pieces.push(Piece::Object(self.object_body(Some(open), inside + 1)?));
                    } else {
                        pieces.push(Piece::List(self.list(open, inside + 1)?));
                    }
                }
                '$' if self.peek_second() == Some('{') => pieces.push(self.substitution()?),
                '=' => {
                    return self.error(
                        self.pos,
                        "unexpected `=` in a value: put each setting on a line of its own (or \
                         separate them with commas), or put the value in quotes",
                    );
                }
                c if is_forbidden_in_value(c) && !self.at_number_sign() => {
                    return self.error(
                        self.pos,
                        format!("`{c}` can't appear in an unquoted value; put the value in quotes"),
                    );
                }
                _ => {
                    let from = self.pos;
                    self.bump();
                    while let Some(c) = self.peek() {
                        let in_exponent = c == '+'
                            && self.src[..self.pos].ends_with(['e', 'E'])
                            && self.peek_second().is_some_and(|d| d.is_ascii_digit());
                        if is_space(c) || c == '\n' || (is_forbidden_in_value(c) && !in_exponent) {
                            break;
                        }
                        self.bump();
                    }
                    pieces.push(Piece::Unquoted(self.src[from..self.pos].to_string()));
                }
            }
        }
        while matches!(pieces.last(), Some(Piece::Space(_))) {
            pieces.pop();
        }
        Ok(Expr { pieces, pos: start })
    }

    /// The elements of a list opened at `open`, at nesting `depth`.
    fn list(&mut self, open: usize, depth: usize) -> Result<Vec<Expr>, TextError> {
        let mut items = Vec::new();
        loop {
            self.skip_blank(true);
            match self.peek() {
                None => {
                    let (line, column) = super::line_column(self.src, open);
                    return self.error(
                        self.pos,
                        format!(
                            "the text ends before the [ at line {line}, column {column} is closed"
                        ),
                    );
                }
                Some(']') => {
                    self.bump();
                    return Ok(items);
                }
                _ => {}
            }
            let at = self.pos;
            let item = self.value(depth)?;
            if item.pieces.is_empty() {
                return self.error(
                    at,
                    format!("unexpected {} in a list", describe(self.peek())),
                );
            }
            items.push(item);
            self.skip_spaces_and_comments();
            match self.peek() {
                None | Some('\n' | ',' | ']') => {}
                other => {
                    return self.error(
                        self.pos,
                        format!(
                            "expected a comma, a new line or `]` in the list, found {}",
                            describe(other)
                        ),
                    );
                }
            }
        }
    }

    /// `"…"` with JSON's escapes.
    fn quoted(&mut self) -> Result<String, TextError> {
        let open = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => {
                    return self.error(
                        open,
                        "this quoted string is not closed on its line (write text over several \
                         lines between \"\"\" and \"\"\")",
                    );
                }
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    let at = self.pos;
                    self.bump();
                    let Some(c) = self.peek() else {
                        return self.error(at, "a backslash ends the text");
                    };
                    self.bump();
                    match c {
                        '"' | '\\' | '/' => out.push(c),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => out.push(self.unicode_escape(at)?),
                        c => {
                            return self.error(
                                at,
                                format!(
                                    "\\{c} is not an escape a quoted string knows (\\\" \\\\ \\/ \\b \
                                     \\f \\n \\r \\t \\uXXXX)"
                                ),
                            );
                        }
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.bump();
                }
            }
        }
    }

    fn hex4(&mut self, at: usize) -> Result<u32, TextError> {
        let digits = self
            .rest()
            .get(..4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some(digits) = digits else {
            return self.error(at, "\\u must be followed by four hexadecimal digits");
        };
        let code = u32::from_str_radix(digits, 16).unwrap_or(0);
        self.pos += 4;
        Ok(code)
    }

    /// After `\u`: one code point, a surrogate pair taking two escapes.
    fn unicode_escape(&mut self, at: usize) -> Result<char, TextError> {
        let first = self.hex4(at)?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.rest().starts_with("\\u") {
                    return self.error(
                        at,
                        "a \\u escape of a high surrogate needs its low surrogate",
                    );
                }
                let second_at = self.pos;
                self.pos += 2;
                let second = self.hex4(second_at)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return self.error(
                        second_at,
                        "a \\u escape of a high surrogate needs its low surrogate",
                    );
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => {
                return self.error(
                    at,
                    "a \\u escape of a low surrogate without its high surrogate",
                );
            }
            code => code,
        };
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.error(at, "this \\u escape is not a character"),
        }
    }

    /// `"""…"""`: raw text over any number of lines; extra quotes before the closing three
    /// belong to the text.
    fn triple_quoted(&mut self) -> Result<String, TextError> {
        let open = self.pos;
        self.pos += 3;
        let rest = self.rest();
        let Some(at) = rest.find("\"\"\"") else {
            return self.error(open, "this \"\"\" string is never closed");
        };
        let run = rest[at..].bytes().take_while(|b| *b == b'"').count();
        let end = at + run - 3;
        let text = rest[..end].to_string();
        self.pos += at + run;
        Ok(text)
    }

    /// A `+` that starts a number (`+5`, `+.5`), as pyhocon reads it.
    fn at_number_sign(&self) -> bool {
        let mut chars = self.rest().chars();
        if chars.next() != Some('+') {
            return false;
        }
        match chars.next() {
            Some('.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
            Some(c) => c.is_ascii_digit(),
            None => false,
        }
    }

    /// `${path}` or `${?path}`.
    fn substitution(&mut self) -> Result<Piece, TextError> {
        let pos = self.pos;
        self.pos += 2;
        if self.peek() == Some('?') {
            self.bump();
        }
        self.skip_spaces();
        let path = self.key_path()?;
        self.skip_spaces();
        if self.peek() != Some('}') {
            return self.error(
                self.pos,
                format!(
                    "expected `}}` to close the substitution, found {}",
                    describe(self.peek())
                ),
            );
        }
        self.bump();
        Ok(Piece::Substitution { path, pos })
    }
}

// ---------------------------------------------------------------------------------------------
// Meaning: the document as a list of operations on paths, evaluated lazily so that a
// substitution sees the final value of what it names.

#[derive(Debug)]
enum Action {
    /// `path { … }`: an object at the path (merged with an object already there).
    Object,
    Set(Expr),
    Append(Expr),
}

#[derive(Debug)]
struct Op {
    path: Vec<String>,
    action: Action,
    pos: usize,
}

/// Turns object literals into the operations they stand for, so that every key they set has a
/// path a substitution can find.
fn flatten(fields: Vec<Field>, prefix: &[String], ops: &mut Vec<Op>) {
    for field in fields {
        let mut path = prefix.to_vec();
        path.extend(field.path);
        if field.append {
            ops.push(Op {
                path,
                action: Action::Append(field.value),
                pos: field.pos,
            });
        } else if field.value.is_object_literal() {
            ops.push(Op {
                path: path.clone(),
                action: Action::Object,
                pos: field.pos,
            });
            for piece in field.value.pieces {
                if let Piece::Object(inner) = piece {
                    flatten(inner, &path, ops);
                }
            }
        } else {
            ops.push(Op {
                path,
                action: Action::Set(field.value),
                pos: field.pos,
            });
        }
    }
}

enum Slot<T> {
    Busy,
    Done(T),
}

struct Resolver<'a> {
    src: &'a str,
    ops: Rc<Vec<Op>>,
    /// The value of each `Set`/`Append` once evaluated.
    values: Vec<Option<Slot<Rc<Value>>>>,
    /// The operations on each path, in document order.
    index: BTreeMap<Vec<String>, Vec<usize>>,
    /// Substitutions already resolved (final values only).
    resolved: HashMap<Vec<String>, Slot<Value>>,
    /// Values copied so far.
    copied: usize,
    /// Operations replayed so far.
    steps: usize,
    nesting: usize,
}

/// The parts of a value before they concatenate.
enum Part {
    Space(String),
    Unquoted(String, usize),
    Text(String, Value),
    Object(Map<String, Value>),
    List(Vec<Value>),
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Objects merge key by key; anything else replaces.
fn merge_value(base: &mut Value, top: Value) {
    match (base, top) {
        (Value::Object(base), Value::Object(top)) => {
            for (k, v) in top {
                match base.get_mut(&k) {
                    Some(existing) => merge_value(existing, v),
                    None => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (base, top) => *base = top,
    }
}

fn merge_into(slot: &mut Option<Value>, top: Value) {
    match slot {
        Some(base) => merge_value(base, top),
        None => *slot = Some(top),
    }
}

/// The object in `slot`, replacing whatever else was there.
fn object_in(slot: &mut Value) -> &mut Map<String, Value> {
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("just made an object"),
    }
}

fn overlaps(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// An unquoted value on its own: a number, a boolean, null, or text.
fn literal(text: &str, pos: usize, src: &str) -> Result<Value, TextError> {
    match text.to_ascii_lowercase().as_str() {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "null" => return Ok(Value::Null),
        _ => {}
    }
    if !is_number(text) {
        return Ok(Value::String(text.to_string()));
    }
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Value::from(n));
        }
        if let Ok(n) = text.parse::<u64>() {
            return Ok(Value::from(n));
        }
    }
    match text.parse::<f64>().ok().and_then(Number::from_f64) {
        Some(n) => Ok(Value::Number(n)),
        None => Err(TextError::at(
            src,
            pos,
            format!("the number {text} is out of range"),
        )),
    }
}

/// pyhocon's numbers: `[+-]?(\d*\.\d+|\d+(\.\d+)?)([eE][+-]?\d+)?` (no `1.`).
fn is_number(text: &str) -> bool {
    super::is_decimal(text, false)
}

/// A scalar as concatenated text.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<'a> Resolver<'a> {
    fn new(src: &'a str, ops: Vec<Op>) -> Self {
        let mut index: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            index.entry(op.path.clone()).or_default().push(i);
        }
        Resolver {
            src,
            values: ops.iter().map(|_| None).collect(),
            ops: Rc::new(ops),
            index,
            resolved: HashMap::new(),
            copied: 0,
            steps: 0,
            nesting: 0,
        }
    }

    fn error<T>(&self, at: usize, message: impl Into<String>) -> Result<T, TextError> {
        Err(TextError::at(self.src, at, message))
    }

    fn root(mut self) -> Result<Map<String, Value>, TextError> {
        let mut state = Some(Value::Object(Map::new()));
        for i in 0..self.ops.len() {
            self.apply(i, &[], &mut state)?;
        }
        match state {
            Some(Value::Object(map)) => Ok(map),
            _ => Ok(Map::new()),
        }
    }

    /// Counts values copied by substitutions, refusing documents that expand without bound.
    fn copy(&mut self, value: &Value, at: usize) -> Result<Value, TextError> {
        self.copied = self.copied.saturating_add(weight(value));
        if self.copied > MAX_EXPANDED_BYTES {
            return self.error(
                at,
                format!(
                    "substitutions copy more than {} KB of settings",
                    MAX_EXPANDED_BYTES / 1024
                ),
            );
        }
        Ok(value.clone())
    }

    /// The value of operation `i` (a `Set` or an `Append`), evaluated once; callers copy what
    /// they use of it.
    fn op_value(&mut self, i: usize) -> Result<Rc<Value>, TextError> {
        let ops = Rc::clone(&self.ops);
        let op = &ops[i];
        let (expr, append) = match &op.action {
            Action::Set(expr) => (expr, false),
            Action::Append(expr) => (expr, true),
            Action::Object => return Ok(Rc::new(Value::Object(Map::new()))),
        };
        match &self.values[i] {
            Some(Slot::Done(value)) => return Ok(Rc::clone(value)),
            Some(Slot::Busy) => {
                return self.error(
                    op.pos,
                    format!(
                        "{} depends on itself through substitutions (a cycle)",
                        path_string(&op.path)
                    ),
                );
            }
            None => {}
        }
        self.values[i] = Some(Slot::Busy);
        let value = self.eval(expr, i)?;
        // An appended element sits one list deeper than its key.
        let extra = usize::from(append && !value.is_array());
        if op.path.len() + extra + depth_of(&value) > MAX_DEPTH {
            return self.error(
                op.pos,
                format!("settings nest deeper than {MAX_DEPTH} levels here"),
            );
        }
        let value = Rc::new(value);
        self.values[i] = Some(Slot::Done(Rc::clone(&value)));
        Ok(value)
    }

    /// Evaluates a value written in operation `i`.
    fn eval(&mut self, expr: &Expr, i: usize) -> Result<Value, TextError> {
        let mut parts = Vec::with_capacity(expr.pieces.len());
        for piece in &expr.pieces {
            parts.push(match piece {
                Piece::Space(s) => Part::Space(s.clone()),
                Piece::Unquoted(s) => Part::Unquoted(s.clone(), expr.pos),
                Piece::Quoted(s) => Part::Text(s.clone(), Value::String(s.clone())),
                Piece::Substitution { path, pos } => {
                    let bound = overlaps(path, &self.ops[i].path).then_some(i);
                    match self.lookup(path, bound, *pos)? {
                        Value::Object(map) => Part::Object(map),
                        Value::Array(list) => Part::List(list),
                        scalar => Part::Text(as_text(&scalar), scalar),
                    }
                }
                Piece::Object(fields) => Part::Object(self.local_object(fields, i)?),
                Piece::List(items) => {
                    let mut list = Vec::with_capacity(items.len());
                    for item in items {
                        list.push(self.eval(item, i)?);
                    }
                    Part::List(list)
                }
            });
        }
        self.concatenate(parts, expr.pos)
    }

    fn concatenate(&self, parts: Vec<Part>, pos: usize) -> Result<Value, TextError> {
        let (mut objects, mut lists, mut texts) = (0, 0, 0);
        for part in &parts {
            match part {
                Part::Space(_) => {}
                Part::Unquoted(..) | Part::Text(..) => texts += 1,
                Part::Object(_) => objects += 1,
                Part::List(_) => lists += 1,
            }
        }
        let kinds = usize::from(objects > 0) + usize::from(lists > 0) + usize::from(texts > 0);
        if kinds > 1 {
            let mut names = Vec::new();
            if objects > 0 {
                names.push("an object");
            }
            if lists > 0 {
                names.push("a list");
            }
            if texts > 0 {
                names.push("text");
            }
            return self.error(
                pos,
                format!(
                    "this value joins {} (they can't concatenate)",
                    names.join(" and ")
                ),
            );
        }
        if objects > 0 {
            let mut merged = Value::Object(Map::new());
            for part in parts {
                if let Part::Object(map) = part {
                    merge_value(&mut merged, Value::Object(map));
                }
            }
            return Ok(merged);
        }
        if lists > 0 {
            let mut joined = Vec::new();
            for part in parts {
                if let Part::List(list) = part {
                    joined.extend(list);
                }
            }
            return Ok(Value::Array(joined));
        }
        if parts.len() == 1 {
            return match parts.into_iter().next() {
                Some(Part::Unquoted(text, pos)) => literal(&text, pos, self.src),
                Some(Part::Text(_, value)) => Ok(value),
                _ => Ok(Value::String(String::new())),
            };
        }
        let mut text = String::new();
        for part in parts {
            match part {
                Part::Space(s) | Part::Unquoted(s, _) | Part::Text(s, _) => text.push_str(&s),
                Part::Object(_) | Part::List(_) => {}
            }
        }
        Ok(Value::String(text))
    }

    /// An object written inside a list or next to a substitution: evaluated on its own.
    fn local_object(
        &mut self,
        fields: &[Field],
        i: usize,
    ) -> Result<Map<String, Value>, TextError> {
        let mut object = Value::Object(Map::new());
        for field in fields {
            let value = self.eval(&field.value, i)?;
            let mut slot = &mut object;
            for key in &field.path {
                slot = object_in(slot).entry(key.clone()).or_insert(Value::Null);
            }
            if field.append {
                self.append(slot, value, field.pos, &field.path)?;
            } else if slot.is_null() {
                *slot = value;
            } else {
                merge_value(slot, value);
            }
        }
        match object {
            Value::Object(map) => Ok(map),
            _ => Ok(Map::new()),
        }
    }

    /// `+=` on a slot that is null when nothing was there yet.
    fn append(
        &self,
        slot: &mut Value,
        value: Value,
        pos: usize,
        path: &[String],
    ) -> Result<(), TextError> {
        match slot {
            Value::Null => {
                *slot = match value {
                    Value::Array(list) => Value::Array(list),
                    other => Value::Array(vec![other]),
                }
            }
            Value::Array(list) => match value {
                Value::Array(more) => list.extend(more),
                other => list.push(other),
            },
            other => {
                return self.error(
                    pos,
                    format!(
                        "+= adds to a list, but {} holds {}",
                        path_string(path),
                        kind(other)
                    ),
                );
            }
        }
        Ok(())
    }

    /// The value at `path` seen by a substitution: the document's final value, or, when `before`
    /// is set (a field referring to itself), the value as it stood before that operation.
    fn lookup(
        &mut self,
        path: &[String],
        before: Option<usize>,
        at: usize,
    ) -> Result<Value, TextError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTED_SUBSTITUTIONS {
            return self.error(
                at,
                format!(
                    "substitutions wait on one another more than {MAX_NESTED_SUBSTITUTIONS} \
                     levels deep"
                ),
            );
        }
        let found = self.lookup_inner(path, before, at);
        self.nesting -= 1;
        found
    }

    fn lookup_inner(
        &mut self,
        path: &[String],
        before: Option<usize>,
        at: usize,
    ) -> Result<Value, TextError> {
        if before.is_none() {
            match self.resolved.get(path) {
                Some(Slot::Done(value)) => {
                    let value = value.clone();
                    return self.copy(&value, at);
                }
                Some(Slot::Busy) => {
                    return self.error(
                        at,
                        format!(
                            "${{{}}} depends on itself through substitutions (a cycle)",
                            path_string(path)
                        ),
                    );
                }
                None => {
                    self.resolved.insert(path.to_vec(), Slot::Busy);
                }
            }
        }
        // The operations that shape this path: on it, above it and below it.
        let mut relevant = Vec::new();
        for len in 1..=path.len() {
            if let Some(ops) = self.index.get(&path[..len]) {
                relevant.extend(ops.iter().copied());
            }
        }
        for (p, ops) in self
            .index
            .range::<[String], _>((Bound::Excluded(path), Bound::Unbounded))
        {
            if !p.starts_with(path) {
                break;
            }
            relevant.extend(ops.iter().copied());
        }
        if let Some(limit) = before {
            relevant.retain(|i| *i < limit);
        }
        self.steps = self.steps.saturating_add(relevant.len());
        if self.steps > MAX_RESOLVE_STEPS {
            return self.error(at, "substitutions take too long to resolve in this vault");
        }
        relevant.sort_unstable();
        let mut state = None;
        for i in relevant {
            self.apply(i, path, &mut state)?;
        }
        let Some(value) = state else {
            return self.error(
                at,
                format!(
                    "${{{}}} can't be resolved: nothing in this vault sets {} (a vault can't read \
                     environment variables)",
                    path_string(path),
                    path_string(path)
                ),
            );
        };
        if before.is_none() {
            let stored = self.copy(&value, at)?;
            self.resolved.insert(path.to_vec(), Slot::Done(stored));
        }
        Ok(value)
    }

    /// Applies operation `i` to `state`, the value at `path` (None: nothing there).
    fn apply(
        &mut self,
        i: usize,
        path: &[String],
        state: &mut Option<Value>,
    ) -> Result<(), TextError> {
        let ops = Rc::clone(&self.ops);
        let op = &ops[i];
        if path.starts_with(&op.path) {
            // The operation is on the path itself or above it.
            let below = &path[op.path.len()..];
            match &op.action {
                Action::Object => {
                    if below.is_empty() && !state.as_ref().is_some_and(Value::is_object) {
                        *state = Some(Value::Object(Map::new()));
                    }
                }
                Action::Set(_) => {
                    let value = self.op_value(i)?;
                    let mut at = &*value;
                    for key in below {
                        match at {
                            Value::Object(map) => match map.get(key) {
                                Some(inner) => at = inner,
                                // A merged object without this key leaves it alone.
                                None => return Ok(()),
                            },
                            // Something other than an object replaced what held the path.
                            _ => {
                                *state = None;
                                return Ok(());
                            }
                        }
                    }
                    let copy = self.copy(at, op.pos)?;
                    merge_into(state, copy);
                }
                Action::Append(_) => {
                    let value = self.op_value(i)?;
                    if below.is_empty() {
                        let value = self.copy(&value, op.pos)?;
                        let mut slot = state.take().unwrap_or(Value::Null);
                        self.append(&mut slot, value, op.pos, &op.path)?;
                        *state = Some(slot);
                    } else if state.is_some() {
                        return self.error(
                            op.pos,
                            format!(
                                "+= adds to a list, but {} holds an object",
                                path_string(&op.path)
                            ),
                        );
                    }
                }
            }
            return Ok(());
        }
        // The operation is below the path.
        let below = &op.path[path.len()..];
        let value = match &op.action {
            Action::Object => None,
            Action::Set(_) | Action::Append(_) => {
                let value = self.op_value(i)?;
                Some(self.copy(&value, op.pos)?)
            }
        };
        let Some((last, parents)) = below.split_last() else {
            return Ok(());
        };
        let root = state.get_or_insert_with(|| Value::Object(Map::new()));
        let mut map = object_in(root);
        for key in parents {
            map = object_in(map.entry(key.clone()).or_insert(Value::Null));
        }
        match (&op.action, value) {
            (Action::Append(_), Some(value)) => {
                let slot = map.entry(last.clone()).or_insert(Value::Null);
                self.append(slot, value, op.pos, &op.path)?;
            }
            (_, Some(value)) => match map.get_mut(last) {
                Some(existing) => merge_value(existing, value),
                None => {
                    map.insert(last.clone(), value);
                }
            },
            (_, None) => {
                object_in(map.entry(last.clone()).or_insert(Value::Null));
            }
        }
        Ok(())
    }
}
