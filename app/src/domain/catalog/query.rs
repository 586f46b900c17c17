//! ClearML's `get_all` query language over catalog documents: `id` lists, regular-expression
//! pattern fields (`name`), tag lists with ClearML's operators (`-tag` and `__$not` exclude,
//! `__$all` / `__$any` switch how the following tags combine, `__$nop` resets), equality fields
//! (a value or a list of values; dotted paths reach nested fields), `_any_` / `_all_`
//! `{fields, pattern}`, `search_text`, `order_by` (`-field` descending), `page` / `page_size`
//! (pages count from 0) and `only_fields` (dotted paths; `-field` leaves a field out). The same
//! function filters every listing, so the SDK, the console and the tests see the same answer.

use std::cmp::Ordering;

use regex::Regex;
use serde_json::{Map, Value};

use crate::domain::{AppError, Code};

/// Which of a kind's fields take which kind of condition.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Regular-expression fields (`name`).
    pub patterns: &'static [&'static str],
    /// Fields compared for equality with a value or any of a list of values.
    pub equal: &'static [&'static str],
    /// Fields `search_text` looks in.
    pub search: &'static [&'static str],
}

/// The most objects one page may hold.
pub const MAX_PAGE_SIZE: usize = 10_000;

#[derive(Debug, Default)]
struct TagFilter {
    any: Vec<String>,
    all: Vec<String>,
    none: Vec<String>,
}

impl TagFilter {
    fn parse(terms: &[String]) -> TagFilter {
        let mut f = TagFilter::default();
        let mut all = false;
        let mut not = false;
        for term in terms {
            match term.as_str() {
                "" => {}
                "__$all" | "__$and" => all = true,
                "__$any" | "__$or" => all = false,
                "__$not" => not = true,
                "__$nop" => {
                    all = false;
                    not = false;
                }
                t => {
                    let (exclude, tag) = match t.strip_prefix('-') {
                        Some(rest) => (true, rest),
                        None => (not, t),
                    };
                    not = false;
                    let tag = tag.to_string();
                    if exclude {
                        f.none.push(tag);
                    } else if all {
                        f.all.push(tag);
                    } else {
                        f.any.push(tag);
                    }
                }
            }
        }
        f
    }

    fn matches(&self, have: &[&str]) -> bool {
        (self.any.is_empty() || self.any.iter().any(|t| have.contains(&t.as_str())))
            && self.all.iter().all(|t| have.contains(&t.as_str()))
            && !self.none.iter().any(|t| have.contains(&t.as_str()))
    }
}

/// A parsed `get_all` request.
#[derive(Debug, Default)]
pub struct Query {
    ids: Option<Vec<String>>,
    patterns: Vec<(String, Regex)>,
    tags: Vec<(String, TagFilter)>,
    equal: Vec<(String, Vec<Value>)>,
    multi: Vec<(bool, Vec<String>, Regex)>,
    search: Option<(Vec<String>, String)>,
    order_by: Vec<(String, bool)>,
    page: Option<(usize, usize)>,
    only_fields: Option<Vec<String>>,
}

fn strings(field: &str, v: &Value) -> Result<Vec<String>, AppError> {
    match v {
        Value::Null => Ok(vec![]),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .filter(|i| !i.is_null())
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(AppError::validation(
                    field,
                    format!("expected text, got {other}"),
                )),
            })
            .collect(),
        other => Err(AppError::validation(
            field,
            format!("expected text or a list of text, got {other}"),
        )),
    }
}

fn whole(field: &str, v: &Value) -> Result<Option<usize>, AppError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .map(|n| Some(n as usize))
            .ok_or_else(|| AppError::validation(field, "expected a whole number of 0 or more")),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| AppError::validation(field, format!("`{s}` is not a whole number"))),
        other => Err(AppError::validation(
            field,
            format!("expected a whole number, got {other}"),
        )),
    }
}

fn pattern(field: &str, p: &str) -> Result<Regex, AppError> {
    regex::RegexBuilder::new(p)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            AppError::refused(
                Code::InvalidRegex,
                format!("malformed regular expression in {field}: {e}"),
            )
        })
}

impl Query {
    /// Reads the filters of `params` that `fields` declares, and the common paging and field
    /// selection; other parameters are left for the caller.
    pub fn parse(params: &Map<String, Value>, fields: &Fields) -> Result<Query, AppError> {
        let mut q = Query::default();
        if let Some(v) = params.get("id") {
            let ids = strings("id", v)?;
            if !ids.is_empty() {
                q.ids = Some(ids);
            }
        }
        for &f in fields.patterns {
            if let Some(Value::String(p)) = params.get(f)
                && !p.is_empty()
            {
                q.patterns.push((f.to_string(), pattern(f, p)?));
            }
        }
        for f in ["tags", "system_tags"] {
            if let Some(v) = params.get(f) {
                let terms = strings(f, v)?;
                if !terms.is_empty() {
                    q.tags.push((f.to_string(), TagFilter::parse(&terms)));
                }
            }
        }
        for &f in fields.equal {
            match params.get(f) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) if items.is_empty() => {}
                Some(Value::Array(items)) => q.equal.push((f.to_string(), items.clone())),
                Some(v) => q.equal.push((f.to_string(), vec![v.clone()])),
            }
        }
        for (key, all) in [
            ("_any_", false),
            ("_or_", false),
            ("_all_", true),
            ("_and_", true),
        ] {
            if let Some(v) = params.get(key) {
                let Some(obj) = v.as_object() else {
                    return Err(AppError::validation(key, "expected {fields, pattern}"));
                };
                let fs = strings(key, obj.get("fields").unwrap_or(&Value::Null))?;
                let Some(p) = obj.get("pattern").and_then(Value::as_str) else {
                    return Err(AppError::validation(key, "a pattern is needed"));
                };
                if !fs.is_empty() && !p.is_empty() {
                    q.multi.push((all, fs, pattern(key, p)?));
                }
            }
        }
        if let Some(Value::String(text)) = params.get("search_text")
            && !text.trim().is_empty()
        {
            q.search = Some((
                fields.search.iter().map(|s| s.to_string()).collect(),
                text.trim().to_lowercase(),
            ));
        }
        if let Some(v) = params.get("order_by") {
            for f in strings("order_by", v)? {
                let (desc, name) = match f.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, f.trim_start_matches('+')),
                };
                if !name.is_empty() {
                    q.order_by.push((name.to_string(), desc));
                }
            }
        }
        let page = params
            .get("page")
            .map(|v| whole("page", v))
            .transpose()?
            .flatten();
        let size = params
            .get("page_size")
            .map(|v| whole("page_size", v))
            .transpose()?
            .flatten();
        match (page, size) {
            (_, Some(0)) => {
                return Err(AppError::validation("page_size", "must be at least 1"));
            }
            (_, Some(size)) if size > MAX_PAGE_SIZE => {
                return Err(AppError::validation(
                    "page_size",
                    format!("at most {MAX_PAGE_SIZE}"),
                ));
            }
            (Some(_), None) => {
                return Err(AppError::validation(
                    "page_size",
                    "page_size is needed with page",
                ));
            }
            (page, Some(size)) => q.page = Some((page.unwrap_or(0), size)),
            (None, None) => {}
        }
        if let Some(v) = params.get("only_fields") {
            let fs = strings("only_fields", v)?;
            if !fs.is_empty() {
                q.only_fields = Some(fs);
            }
        }
        Ok(q)
    }

    /// The ids the query is limited to, if any (a store can narrow its read with them).
    pub fn ids(&self) -> Option<&[String]> {
        self.ids.as_deref()
    }

    /// The values an equality field must take, if the query names it.
    pub fn equal(&self, field: &str) -> Option<&[Value]> {
        self.equal
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_slice())
    }

    /// Whether a document passes every filter.
    pub fn matches(&self, doc: &Value) -> bool {
        if let Some(ids) = &self.ids {
            let id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
            if !ids.iter().any(|i| i == id) {
                return false;
            }
        }
        for (f, re) in &self.patterns {
            match get(doc, f) {
                Some(Value::String(s)) if re.is_match(s) => {}
                _ => return false,
            }
        }
        for (f, filter) in &self.tags {
            let have: Vec<&str> = get(doc, f)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !filter.matches(&have) {
                return false;
            }
        }
        for (f, wanted) in &self.equal {
            if !equals_any(get(doc, f), wanted) {
                return false;
            }
        }
        for (all, fs, re) in &self.multi {
            let hit = |f: &String| text_of(get(doc, f)).is_some_and(|t| re.is_match(&t));
            let ok = if *all {
                fs.iter().all(hit)
            } else {
                fs.iter().any(hit)
            };
            if !ok {
                return false;
            }
        }
        if let Some((fs, text)) = &self.search
            && !fs
                .iter()
                .any(|f| text_of(get(doc, f)).is_some_and(|t| t.to_lowercase().contains(text)))
        {
            return false;
        }
        true
    }

    /// Filters, orders (by `order_by`, then by creation time and id so pages are stable), pages and
    /// selects fields.
    pub fn run(&self, docs: Vec<Value>) -> Vec<Value> {
        let mut hits: Vec<Value> = docs.into_iter().filter(|d| self.matches(d)).collect();
        hits.sort_by(|a, b| {
            for (f, desc) in &self.order_by {
                let o = compare(get(a, f), get(b, f));
                if o != Ordering::Equal {
                    return if *desc { o.reverse() } else { o };
                }
            }
            compare(get(a, "created"), get(b, "created"))
                .then_with(|| compare(get(a, "id"), get(b, "id")))
        });
        let hits: Vec<Value> = match self.page {
            Some((page, size)) => hits
                .into_iter()
                .skip(page.saturating_mul(size))
                .take(size)
                .collect(),
            None => hits,
        };
        self.select_fields(hits)
    }
}

/// A sort key a store orders by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Created,
}

/// How a store orders and pages a query itself (see [`Query::plan`]): by these keys, then by
/// creation time and id, as [`Query::run`] orders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub order: Vec<(Column, bool)>,
    pub page: Option<(usize, usize)>,
}

impl Query {
    /// The ordering and paging a store can do itself: only when the query narrows by nothing but
    /// ids and `store_fields` (equality fields the store narrows by already, with text values),
    /// and sorts by nothing but `name` and `created`. `None`: the store reads every match and
    /// [`Query::run`] does the rest.
    pub fn plan(&self, store_fields: &[&str]) -> Option<Plan> {
        let narrows_elsewhere = !self.patterns.is_empty()
            || !self.tags.is_empty()
            || !self.multi.is_empty()
            || self.search.is_some()
            || self.equal.iter().any(|(f, values)| {
                !store_fields.contains(&f.as_str()) || !values.iter().all(Value::is_string)
            });
        if narrows_elsewhere {
            return None;
        }
        let order = self
            .order_by
            .iter()
            .map(|(f, desc)| match f.as_str() {
                "name" => Some((Column::Name, *desc)),
                "created" => Some((Column::Created, *desc)),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Plan {
            order,
            page: self.page,
        })
    }

    /// Whether the query picks fields (`only_fields`): documents then need building.
    pub fn selects_fields(&self) -> bool {
        self.only_fields.is_some()
    }

    /// Field selection alone, for documents a store narrowed, ordered and paged by
    /// [`Query::plan`].
    pub fn select_fields(&self, docs: Vec<Value>) -> Vec<Value> {
        match &self.only_fields {
            Some(fields) => docs.iter().map(|d| select(d, fields)).collect(),
            None => docs,
        }
    }
}

/// The value at a dotted path.
pub fn get<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(doc, |v, part| v.get(part))
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => Some(other.to_string()),
    }
}

/// Equal, taking a number or a boolean given as text (from a query string) as that value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(s), Value::Bool(v)) | (Value::Bool(v), Value::String(s)) => {
            s == if *v { "true" } else { "false" }
        }
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        _ => a == b,
    }
}

fn equals_any(have: Option<&Value>, wanted: &[Value]) -> bool {
    match have {
        None | Some(Value::Null) => wanted.iter().any(Value::is_null),
        Some(Value::Array(items)) => items.iter().any(|i| wanted.iter().any(|w| same(i, w))),
        Some(v) => wanted.iter().any(|w| same(v, w)),
    }
}

fn rank(v: Option<&Value>) -> u8 {
    match v {
        None | Some(Value::Null) => 0,
        Some(Value::Bool(_)) => 1,
        Some(Value::Number(_)) => 2,
        Some(Value::String(_)) => 3,
        Some(Value::Array(_)) => 4,
        Some(Value::Object(_)) => 5,
    }
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn put(out: &mut Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            out.insert(last.to_string(), value);
        }
        [first, rest @ ..] => {
            let entry = out
                .entry(first.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = entry {
                put(inner, rest, value);
            }
        }
    }
}

fn ensure(out: &mut Map<String, Value>, path: &[&str]) {
    if let [first, rest @ ..] = path {
        let entry = out
            .entry(first.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(inner) = entry {
            ensure(inner, rest);
        }
    }
}

fn remove(doc: &mut Value, path: &[&str]) {
    match path {
        [] => {}
        [last] => {
            if let Value::Object(m) = doc {
                m.remove(*last);
            }
        }
        [first, rest @ ..] => {
            if let Some(inner) = doc.get_mut(*first) {
                remove(inner, rest);
            }
        }
    }
}

/// The document with only these fields (and its id); when every field starts with `-`, the
/// document without them.
pub fn select(doc: &Value, fields: &[String]) -> Value {
    if fields.iter().all(|f| f.starts_with('-')) {
        let mut out = doc.clone();
        for f in fields {
            let path: Vec<&str> = f[1..].split('.').collect();
            remove(&mut out, &path);
        }
        return out;
    }
    let mut out = Map::new();
    if let Some(id) = doc.get("id") {
        out.insert("id".into(), id.clone());
    }
    for f in fields.iter().filter(|f| !f.starts_with('-')) {
        let path: Vec<&str> = f.split('.').collect();
        match get(doc, f) {
            Some(v) => put(&mut out, &path, v.clone()),
            None => {
                // As a database projection does: the objects on the way that exist are kept
                // (empty), so `runtime.version` of a task without a version gives `runtime: {}`.
                let mut depth = 0;
                let mut at = doc;
                while depth + 1 < path.len() {
                    match at.get(path[depth]) {
                        Some(next @ Value::Object(_)) => {
                            at = next;
                            depth += 1;
                        }
                        _ => break,
                    }
                }
                if depth > 0 {
                    ensure(&mut out, &path[..depth]);
                }
            }
        }
    }
    Value::Object(out)
}
