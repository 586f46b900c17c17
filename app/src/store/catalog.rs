//! The catalog's documents (projects, tasks, models, queues, datasets, dataviews), queue entries,
//! workers and task events. A document is written whole, with the columns listings narrow by copied
//! from it; a status change names the status it read, so two changes at once cannot both win.

use serde_json::Value;
use sqlx::{Connection, Row};

use super::Conn;
use crate::domain::access_rules::{Reach, Scope};
use crate::domain::catalog::query::{Column, Plan};
use crate::domain::catalog::{EXAMPLE, HIDDEN, Kind};

/// The `flags` of a document with the system tag `hidden`.
pub const FLAG_HIDDEN: i64 = 1;
/// The `flags` of a document with the system tag `example`.
pub const FLAG_EXAMPLE: i64 = 2;

/// The columns copied from a document.
struct Columns<'a> {
    id: &'a str,
    name: &'a str,
    project: Option<&'a str>,
    status: Option<&'a str>,
    created: &'a str,
    flags: i64,
}

fn columns(doc: &Value) -> Columns<'_> {
    let text = |f: &str| doc.get(f).and_then(Value::as_str);
    let tagged = |tag: &str| {
        doc.get("system_tags")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|t| t.as_str() == Some(tag)))
    };
    Columns {
        id: text("id").unwrap_or_default(),
        name: text("name").unwrap_or_default(),
        project: text("project"),
        status: text("status"),
        created: text("created").unwrap_or_default(),
        flags: if tagged(HIDDEN) { FLAG_HIDDEN } else { 0 }
            | if tagged(EXAMPLE) { FLAG_EXAMPLE } else { 0 },
    }
}

fn parse(text: String) -> Result<Value, sqlx::Error> {
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn placeholders(from: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", from + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Stores a new document.
pub async fn insert(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    doc: &Value,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let c = columns(doc);
    sqlx::query(
        "INSERT INTO catalog (id, workspace_id, kind, name, project_id, status, doc, created_ms, updated_ms, \
         created, flags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)",
    )
    .bind(c.id)
    .bind(workspace_id)
    .bind(kind.as_str())
    .bind(c.name)
    .bind(c.project)
    .bind(c.status)
    .bind(doc.to_string())
    .bind(now_ms)
    .bind(c.created)
    .bind(c.flags)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a document; with `expect_status`, only while its status is still that one. Whether a
/// row changed.
pub async fn replace(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    doc: &Value,
    expect_status: Option<&str>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let c = columns(doc);
    let guard = if expect_status.is_some() {
        " AND status = $11"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE catalog SET name = $1, project_id = $2, status = $3, doc = $4, updated_ms = $5, \
         created = $9, flags = $10 WHERE id = $6 AND workspace_id = $7 AND kind = $8{guard}"
    );
    let mut q = sqlx::query(&sql)
        .bind(c.name)
        .bind(c.project)
        .bind(c.status)
        .bind(doc.to_string())
        .bind(now_ms)
        .bind(c.id)
        .bind(workspace_id)
        .bind(kind.as_str())
        .bind(c.created)
        .bind(c.flags);
    if let Some(status) = expect_status {
        q = q.bind(status);
    }
    let done = q.execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// One document of the workspace.
pub async fn get(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    id: &str,
) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query("SELECT doc FROM catalog WHERE id = $1 AND workspace_id = $2 AND kind = $3")
        .bind(id)
        .bind(workspace_id)
        .bind(kind.as_str())
        .fetch_optional(conn)
        .await?
        .map(|r| parse(r.try_get("doc")?))
        .transpose()
}

/// Takes the write lock on one document until the transaction ends, so that a read-change-write of
/// it cannot overwrite a change committed meanwhile: on PostgreSQL a concurrent writer waits here and
/// the read that follows sees its change (SQLite's `BEGIN IMMEDIATE` holds the lock already).
pub async fn lock(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE catalog SET updated_ms = updated_ms WHERE id = $1 AND workspace_id = $2 AND kind = $3",
    )
    .bind(id)
    .bind(workspace_id)
    .bind(kind.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// The workspace's documents of a kind, narrowed to these ids and projects when given.
pub async fn list(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    ids: Option<&[String]>,
    projects: Option<&[String]>,
) -> Result<Vec<Value>, sqlx::Error> {
    let narrow = Listing {
        ids,
        projects,
        ..Listing::default()
    };
    listing(conn, workspace_id, kind, &narrow)
        .await?
        .into_iter()
        .map(Stored::value)
        .collect()
}

/// A document as a listing reads it: its id and its stored text (the JSON it was written as).
#[derive(Debug)]
pub struct Stored {
    pub id: String,
    pub doc: String,
}

impl Stored {
    /// The document as a value to read into.
    pub fn value(self) -> Result<Value, sqlx::Error> {
        parse(self.doc)
    }
}

/// Which documents a caller may see (see [`Scope`]).
#[derive(Debug, Default, Clone, Copy)]
pub enum Visible<'a> {
    #[default]
    All,
    /// These documents only.
    Ids(&'a [String]),
    /// Objects inside projects, as the access rules scope them.
    Scope(&'a ScopeFilter),
}

/// What a listing narrows by besides its workspace and kind, and how it is ordered and paged.
#[derive(Debug, Default, Clone, Copy)]
pub struct Listing<'a> {
    pub ids: Option<&'a [String]>,
    pub projects: Option<&'a [String]>,
    /// Documents with any of these flags are left out ([`FLAG_HIDDEN`], [`FLAG_EXAMPLE`]).
    pub hide: i64,
    pub visible: Visible<'a>,
    /// Ordered and paged here; `None`: every match, in no particular order.
    pub plan: Option<&'a Plan>,
}

/// A query's parameters (all text), numbered as they are pushed.
#[derive(Default)]
struct Binds(Vec<String>);

impl Binds {
    fn text(&mut self, v: impl Into<String>) -> String {
        self.0.push(v.into());
        format!("${}", self.0.len())
    }

    /// Runs a query with these parameters.
    async fn fetch(
        &self,
        conn: &mut Conn,
        sql: &str,
    ) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        let mut q = sqlx::query(sql);
        for t in &self.0 {
            q = q.bind(t.as_str());
        }
        q.fetch_all(conn).await
    }

    /// `(a, b, …)` of these values; `None` for no value.
    fn list(&mut self, values: &[String]) -> Option<String> {
        if values.is_empty() {
            return None;
        }
        let names: Vec<String> = values.iter().map(|v| self.text(v.as_str())).collect();
        Some(format!("({})", names.join(", ")))
    }

    /// `column` is one of `values`, given as one parameter however many they are: a JSON list
    /// on SQLite (read once into a temporary index), a JSON object with the values as keys on
    /// PostgreSQL (read once by the subquery, then searched by key).
    fn one_of(&mut self, pg: bool, column: &str, values: &[String]) -> String {
        if pg {
            let keys: serde_json::Map<String, Value> =
                values.iter().map(|v| (v.clone(), Value::from(1))).collect();
            let p = self.text(Value::Object(keys).to_string());
            format!("jsonb_exists((SELECT CAST({p} AS jsonb)), {column})")
        } else {
            // `+` keeps SQLite walking the listing's order index instead of collecting every
            // match through another index and sorting them.
            let p = self.text(Value::from(values.to_vec()).to_string());
            format!("+{column} IN (SELECT value FROM json_each({p}))")
        }
    }
}

/// The workspace's documents of a kind as `narrow` says.
pub async fn listing(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    narrow: &Listing<'_>,
) -> Result<Vec<Stored>, sqlx::Error> {
    let pg = conn.backend_name() == "PostgreSQL";
    let mut b = Binds::default();
    // What this code writes itself (a kind's name, a page's numbers) is written into the text,
    // the caller's values are parameters: PostgreSQL then plans a listing once per connection
    // (its generic plan is as good), where a parameter for them would have it plan every call.
    let ws = b.text(workspace_id);
    let mut sql = format!(
        "SELECT c.id, c.doc FROM catalog c WHERE c.workspace_id = {ws} AND c.kind = '{}'",
        kind.as_str()
    );
    for (column, values) in [("id", narrow.ids), ("project_id", narrow.projects)] {
        if let Some(values) = values {
            let Some(list) = b.list(values) else {
                return Ok(vec![]);
            };
            sql.push_str(&format!(" AND c.{column} IN {list}"));
        }
    }
    if narrow.hide != 0 {
        // The flag values kept, listed: a planner estimates a list of values well.
        let kept: Vec<String> = (0..=FLAG_HIDDEN | FLAG_EXAMPLE)
            .filter(|f| f & narrow.hide == 0)
            .map(|f| f.to_string())
            .collect();
        sql.push_str(&format!(" AND c.flags IN ({})", kept.join(", ")));
    }
    match narrow.visible {
        Visible::All => {}
        Visible::Ids(ids) => {
            if ids.is_empty() {
                return Ok(vec![]);
            }
            sql.push_str(&format!(" AND {}", b.one_of(pg, "c.id", ids)));
        }
        Visible::Scope(filter) => {
            let kept = !(pg && conn.is_in_transaction());
            sql.push_str(&format!(
                " AND ({})",
                scoped(&mut b, &ws, kind, filter, kept)
            ));
        }
    }
    if let Some(plan) = narrow.plan {
        let c = if pg { " COLLATE \"C\"" } else { "" };
        let mut keys: Vec<String> = plan
            .order
            .iter()
            .map(|(column, desc)| {
                let name = match column {
                    Column::Name => "c.name",
                    Column::Created => "c.created",
                };
                format!("{name}{c}{}", if *desc { " DESC" } else { "" })
            })
            .collect();
        keys.push(format!("c.created{c}"));
        keys.push(format!("c.id{c}"));
        sql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
        if let Some((page, size)) = plan.page {
            let offset = page.saturating_mul(size);
            sql.push_str(&format!(
                " LIMIT {} OFFSET {}",
                size.min(i64::MAX as usize),
                offset.min(i64::MAX as usize)
            ));
        }
    }
    let rows = match (b.fetch(conn, &sql).await, narrow.visible) {
        // This connection has not held the scope's lists yet (or let them go): they are written
        // into its own tables once, then read by every listing of the scope on it.
        (Err(e), Visible::Scope(filter)) if filter.missing_here(&e) => {
            filter.keep_here(conn).await?;
            b.fetch(conn, &sql).await?
        }
        (rows, _) => rows?,
    };
    rows.into_iter()
        .map(|r| {
            Ok(Stored {
                id: r.try_get("id")?,
                doc: r.try_get("doc")?,
            })
        })
        .collect()
}

/// A [`Scope`] with the lists its condition needs, written out once: a scope is kept with the
/// workspace's rules and serves every listing of its caller and kind until they change.
///
/// Each connection keeps the lists in temporary tables of its own, named after the filter (no
/// two filters of a process share a name, and a filter's lists never change), written the first
/// time a listing of the filter runs on the connection: the listing then reads what is already
/// there instead of reading thousands of ids on every call. On SQLite they are tables of ids,
/// read through their indexes; on PostgreSQL one row of two JSON objects, looked up by key on
/// each row of the listing. A listing inside a transaction on PostgreSQL binds the JSON objects
/// instead (a missing table would end the transaction there).
#[derive(Debug)]
pub struct ScopeFilter {
    pub scope: Scope,
    lists: Lists,
}

#[derive(Debug)]
enum Lists {
    /// The number in the name of the connection's table; one JSON object of every known project
    /// with what the scope lets through of it (`g`: everything, `o`: what no rule of its own
    /// covers, `c`: nothing); the objects as the keys of another.
    Postgres {
        number: u64,
        projects: String,
        objects: String,
    },
    /// The number in the names of the connection's tables, and the lists that fill them.
    Sqlite {
        number: u64,
        lists: [(char, String); 4],
    },
}

/// The numbers of the filters, unique in the process.
static FILTERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// At most this many filters' tables are kept on a connection; older ones are dropped when
/// another is written.
const KEPT_PER_CONNECTION: usize = 8;

impl ScopeFilter {
    pub fn new(scope: Scope, pg: bool) -> Self {
        let number = FILTERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let lists = if pg {
            let keys = |v: &[String], of: &dyn Fn(&str) -> &'static str| {
                let m: serde_json::Map<String, Value> = v
                    .iter()
                    .map(|id| (id.clone(), Value::from(of(id))))
                    .collect();
                Value::Object(m).to_string()
            };
            let granted: std::collections::HashSet<&str> =
                scope.granted.iter().map(String::as_str).collect();
            let open: std::collections::HashSet<&str> =
                scope.open.iter().map(String::as_str).collect();
            Lists::Postgres {
                number,
                projects: keys(&scope.known, &|p| {
                    if granted.contains(p) {
                        "g"
                    } else if open.contains(p) {
                        "o"
                    } else {
                        "c"
                    }
                }),
                objects: keys(&scope.objects, &|_| "x"),
            }
        } else {
            let list = |v: &[String]| Value::from(v.to_vec()).to_string();
            Lists::Sqlite {
                number,
                lists: [
                    ('g', list(&scope.granted)),
                    ('o', list(&scope.open)),
                    ('k', list(&scope.known)),
                    ('x', list(&scope.objects)),
                ],
            }
        };
        ScopeFilter { scope, lists }
    }

    /// A filter that shows exactly these objects (a project listing's projects).
    pub fn only(objects: Vec<String>, pg: bool) -> Self {
        Self::new(
            Scope {
                objects,
                ..Scope::default()
            },
            pg,
        )
    }

    fn number(&self) -> u64 {
        match &self.lists {
            Lists::Postgres { number, .. } | Lists::Sqlite { number, .. } => *number,
        }
    }

    /// The connection's table of one of the lists (`j`: PostgreSQL's one row of JSON objects).
    fn table(number: u64, list: char) -> String {
        format!("atrium_scope_{number}_{list}")
    }

    /// Whether a listing failed only because this connection does not hold the lists.
    fn missing_here(&self, e: &sqlx::Error) -> bool {
        let name = format!("atrium_scope_{}_", self.number());
        matches!(e, sqlx::Error::Database(d)
            if (d.message().starts_with("no such table") || d.code().as_deref() == Some("42P01"))
                && d.message().contains(&name))
    }

    /// Writes the lists into this connection's tables, and drops those of all but the newest
    /// other filters, so that the connection holds at most [`KEPT_PER_CONNECTION`] filters' lists.
    async fn keep_here(&self, conn: &mut Conn) -> Result<(), sqlx::Error> {
        let number = self.number();
        let (schema, tables, names) = match &self.lists {
            Lists::Sqlite { lists, .. } => {
                for (list, values) in lists {
                    let table = Self::table(number, *list);
                    sqlx::query(&format!(
                        "CREATE TEMP TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY) WITHOUT ROWID"
                    ))
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query(&format!(
                        "INSERT OR IGNORE INTO temp.{table} (id) SELECT value FROM json_each($1)"
                    ))
                    .bind(values.as_str())
                    .execute(&mut *conn)
                    .await?;
                }
                (
                    "temp",
                    lists.iter().map(|(list, _)| *list).collect::<Vec<_>>(),
                    "SELECT name FROM temp.sqlite_schema WHERE type = 'table' AND name LIKE 'atrium_scope_%'",
                )
            }
            Lists::Postgres {
                projects, objects, ..
            } => {
                // One statement: the table is there with its row, or not at all.
                sqlx::query(&format!(
                    "CREATE TEMP TABLE IF NOT EXISTS {} AS SELECT CAST($1 AS jsonb) AS p, CAST($2 AS jsonb) AS x",
                    Self::table(number, 'j')
                ))
                .bind(projects.as_str())
                .bind(objects.as_str())
                .execute(&mut *conn)
                .await?;
                (
                    "pg_temp",
                    vec!['j'],
                    "SELECT CAST(relname AS text) AS name FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'atrium_scope_%'",
                )
            }
        };
        let names: Vec<String> = sqlx::query(names)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|r| r.try_get("name"))
            .collect::<Result<_, _>>()?;
        let mut numbers: Vec<u64> = names
            .iter()
            .filter_map(|n| {
                n.strip_prefix("atrium_scope_")?
                    .split('_')
                    .next()?
                    .parse()
                    .ok()
            })
            .filter(|n| *n != number)
            .collect();
        // The newest others stay beside this one (a filter's number says how new it is).
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        numbers.dedup();
        for old in numbers.into_iter().skip(KEPT_PER_CONNECTION - 1) {
            for list in &tables {
                sqlx::query(&format!(
                    "DROP TABLE IF EXISTS {schema}.{}",
                    Self::table(old, *list)
                ))
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }
}

/// The condition that keeps the objects a [`Scope`] shows, in the workspace bound as `ws`.
/// `kept`: PostgreSQL reads the lists from the connection's table (else they are bound).
fn scoped(b: &mut Binds, ws: &str, kind: Kind, filter: &ScopeFilter, kept: bool) -> String {
    let scope = &filter.scope;
    // Open to the caller unless a rule on the object itself covers it.
    let open_check = format!(
        "NOT EXISTS (SELECT 1 FROM access_rules r WHERE r.workspace_id = {ws} \
         AND r.kind = '{}' AND r.object_id = c.id)",
        rule_kind(kind)
    );
    let through = |r: Reach| -> Option<String> {
        if r.granted {
            Some("TRUE".into())
        } else if r.open {
            Some(open_check.clone())
        } else {
            None
        }
    };
    let (none, orphan) = (through(scope.none), through(scope.orphan));
    let gone = format!(
        "NOT EXISTS (SELECT 1 FROM catalog p WHERE p.id = c.project_id \
         AND p.workspace_id = {ws} AND p.kind = 'project')"
    );
    match &filter.lists {
        Lists::Postgres {
            number,
            projects,
            objects,
        } => {
            let list = |b: &mut Binds, column: &str, bound: &str| {
                if kept {
                    // Read once per listing: `#> '{}'` (the whole value) hands on the value read
                    // from storage, where the stored one would be read again on every row that
                    // looks into it.
                    format!(
                        "(SELECT {column} #> CAST('{{}}' AS text[]) FROM pg_temp.{})",
                        ScopeFilter::table(*number, 'j')
                    )
                } else {
                    format!("(SELECT CAST({} AS jsonb))", b.text(bound))
                }
            };
            let mut any: Vec<String> = Vec::new();
            if !scope.known.is_empty() || none.is_some() || orphan.is_some() {
                let projects = list(b, "p", projects);
                // An object in a project made since the rules were read is judged once they are
                // read again: until then only an object left in a project that no longer exists
                // (or never did) goes as `orphan` says.
                let unknown = match orphan {
                    Some(then) => format!("({gone} AND {then})"),
                    None => "FALSE".into(),
                };
                any.push(format!(
                    "CASE {projects} ->> c.project_id WHEN 'g' THEN TRUE \
                     WHEN 'o' THEN {open_check} WHEN 'c' THEN FALSE \
                     ELSE CASE WHEN c.project_id IS NULL THEN {} ELSE {unknown} END END",
                    none.unwrap_or_else(|| "FALSE".into()),
                ));
            }
            if !scope.objects.is_empty() {
                any.push(format!("jsonb_exists({}, c.id)", list(b, "x", objects)));
            }
            if any.is_empty() {
                "FALSE".into()
            } else {
                any.join(" OR ")
            }
        }
        Lists::Sqlite { number, .. } => {
            // `+` keeps SQLite walking the listing's order index instead of collecting every
            // match through another index and sorting them.
            let in_list = |column: &str, list: char| {
                format!("+{column} IN temp.{}", ScopeFilter::table(*number, list))
            };
            let mut any: Vec<String> = Vec::new();
            if !scope.granted.is_empty() {
                any.push(in_list("c.project_id", 'g'));
            }
            if !scope.objects.is_empty() {
                any.push(in_list("c.id", 'x'));
            }
            if !scope.open.is_empty() {
                any.push(format!(
                    "({} AND {open_check})",
                    in_list("c.project_id", 'o')
                ));
            }
            if let Some(then) = none {
                any.push(format!("(c.project_id IS NULL AND {then})"));
            }
            if let Some(then) = orphan {
                let mut cond = "c.project_id IS NOT NULL".to_string();
                if !scope.known.is_empty() {
                    cond.push_str(&format!(" AND NOT {}", in_list("c.project_id", 'k')));
                }
                any.push(format!("({cond} AND {gone} AND {then})"));
            }
            if any.is_empty() {
                "1 = 0".into()
            } else {
                any.join(" OR ")
            }
        }
    }
}

/// The kind the access rules name for objects of a kind (a dataset's versions are its dataset's).
fn rule_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::DatasetVersion => Kind::Dataset.as_str(),
        k => k.as_str(),
    }
}

/// The document of a kind with this exact name (projects and queues have unique names).
pub async fn by_name(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    name: &str,
) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query(
        "SELECT doc FROM catalog WHERE workspace_id = $1 AND kind = $2 AND name = $3 ORDER BY created_ms, id",
    )
    .bind(workspace_id)
    .bind(kind.as_str())
    .bind(name)
    .fetch_all(conn)
    .await?
    .into_iter()
    .next()
    .map(|r| parse(r.try_get("doc")?))
    .transpose()
}

/// How many documents of a kind each of these projects holds directly.
pub async fn count_in_projects(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    projects: &[String],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT project_id, COUNT(*) AS n FROM catalog WHERE workspace_id = $1 AND kind = $2 \
         AND project_id IN ({}) GROUP BY project_id",
        placeholders(3, projects.len())
    );
    let mut q = sqlx::query(&sql).bind(workspace_id).bind(kind.as_str());
    for p in projects {
        q = q.bind(p);
    }
    q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("project_id")?, r.try_get("n")?)))
        .collect()
}

/// Deletes documents; how many went.
pub async fn delete(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
    ids: &[String],
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "DELETE FROM catalog WHERE workspace_id = $1 AND kind = $2 AND id IN ({})",
        placeholders(3, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(workspace_id).bind(kind.as_str());
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// How many objects of each kind a workspace holds (usage).
pub async fn count(conn: &mut Conn, workspace_id: &str, kind: Kind) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM catalog WHERE workspace_id = $1 AND kind = $2")
        .bind(workspace_id)
        .bind(kind.as_str())
        .fetch_one(conn)
        .await?
        .try_get("n")
}

// ---------- queue entries ----------

/// A queued task, as the queue lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub task_id: String,
    pub added_ms: i64,
}

/// Puts a task at the back (or the front) of a queue, out of any queue it was in.
pub async fn enqueue(
    conn: &mut Conn,
    workspace_id: &str,
    queue_id: &str,
    task_id: &str,
    front: bool,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM queue_entries WHERE task_id = $1")
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    let edge = if front {
        "COALESCE(MIN(position), 0) - 1"
    } else {
        "COALESCE(MAX(position), 0) + 1"
    };
    sqlx::query(&format!(
        "INSERT INTO queue_entries (task_id, queue_id, workspace_id, position, added_ms) \
         SELECT $1, $2, $3, {edge}, $4 FROM queue_entries WHERE queue_id = $2"
    ))
    .bind(task_id)
    .bind(queue_id)
    .bind(workspace_id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes a task out of whatever queue holds it; the queue it was in.
pub async fn dequeue(conn: &mut Conn, task_id: &str) -> Result<Option<String>, sqlx::Error> {
    let queue: Option<String> =
        sqlx::query("SELECT queue_id FROM queue_entries WHERE task_id = $1")
            .bind(task_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("queue_id"))
            .transpose()?;
    if queue.is_some() {
        sqlx::query("DELETE FROM queue_entries WHERE task_id = $1")
            .bind(task_id)
            .execute(conn)
            .await?;
    }
    Ok(queue)
}

/// The queue that holds a task, if one does.
pub async fn queue_of(conn: &mut Conn, task_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT queue_id FROM queue_entries WHERE task_id = $1")
        .bind(task_id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get("queue_id"))
        .transpose()
}

/// A queue's entries, next first.
pub async fn entries(conn: &mut Conn, queue_id: &str) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query(
        "SELECT task_id, added_ms FROM queue_entries WHERE queue_id = $1 ORDER BY position, added_ms, task_id",
    )
    .bind(queue_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Entry {
            task_id: r.try_get("task_id")?,
            added_ms: r.try_get("added_ms")?,
        })
    })
    .collect()
}

/// Removes and returns the queue's next task. The entry is deleted by its task id; when another
/// taker deleted it first no row goes and the next one is tried, so no task is handed out twice.
pub async fn take_next(conn: &mut Conn, queue_id: &str) -> Result<Option<String>, sqlx::Error> {
    loop {
        let next: Option<String> = sqlx::query(
            "SELECT task_id FROM queue_entries WHERE queue_id = $1 ORDER BY position, added_ms, task_id LIMIT 1",
        )
        .bind(queue_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("task_id"))
        .transpose()?;
        let Some(task_id) = next else {
            return Ok(None);
        };
        let gone = sqlx::query("DELETE FROM queue_entries WHERE task_id = $1 AND queue_id = $2")
            .bind(&task_id)
            .bind(queue_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if gone == 1 {
            return Ok(Some(task_id));
        }
    }
}

/// How many tasks wait in each of these queues.
pub async fn queue_lengths(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT queue_id, COUNT(*) AS n FROM queue_entries WHERE workspace_id = $1 GROUP BY queue_id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get("queue_id")?, r.try_get("n")?)))
    .collect()
}

// ---------- workers ----------

/// Records a worker's registration or report; it expires at `expires_ms` unless it reports again.
pub async fn put_worker(
    conn: &mut Conn,
    workspace_id: &str,
    id: &str,
    user_id: &str,
    doc: &Value,
    now_ms: i64,
    expires_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO workers (workspace_id, id, user_id, doc, last_activity_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (workspace_id, id) DO UPDATE SET user_id = excluded.user_id, doc = excluded.doc, \
         last_activity_ms = excluded.last_activity_ms, expires_ms = excluded.expires_ms",
    )
    .bind(workspace_id)
    .bind(id)
    .bind(user_id)
    .bind(doc.to_string())
    .bind(now_ms)
    .bind(expires_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A worker that has not expired.
pub async fn worker(
    conn: &mut Conn,
    workspace_id: &str,
    id: &str,
    now_ms: i64,
) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query("SELECT doc FROM workers WHERE workspace_id = $1 AND id = $2 AND expires_ms > $3")
        .bind(workspace_id)
        .bind(id)
        .bind(now_ms)
        .fetch_optional(conn)
        .await?
        .map(|r| parse(r.try_get("doc")?))
        .transpose()
}

/// The workspace's workers that have not expired, by id.
pub async fn workers(
    conn: &mut Conn,
    workspace_id: &str,
    now_ms: i64,
) -> Result<Vec<Value>, sqlx::Error> {
    sqlx::query("SELECT doc FROM workers WHERE workspace_id = $1 AND expires_ms > $2 ORDER BY id")
        .bind(workspace_id)
        .bind(now_ms)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| parse(r.try_get("doc")?))
        .collect()
}

/// Removes a worker (and every expired one of the workspace); whether it was registered.
pub async fn remove_worker(
    conn: &mut Conn,
    workspace_id: &str,
    id: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let gone =
        sqlx::query("DELETE FROM workers WHERE workspace_id = $1 AND id = $2 AND expires_ms > $3")
            .bind(workspace_id)
            .bind(id)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    sqlx::query("DELETE FROM workers WHERE workspace_id = $1 AND expires_ms <= $2")
        .bind(workspace_id)
        .bind(now_ms)
        .execute(conn)
        .await?;
    Ok(gone == 1)
}

// ---------- task events ----------

/// How many events a task holds.
pub async fn event_count(conn: &mut Conn, task_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM task_events WHERE task_id = $1")
        .bind(task_id)
        .fetch_one(conn)
        .await?
        .try_get("n")
}

/// Keeps one event of a task.
pub async fn add_event(
    conn: &mut Conn,
    workspace_id: &str,
    task_id: &str,
    id: &str,
    kind: &str,
    timestamp_ms: i64,
    doc: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO task_events (id, workspace_id, task_id, type, timestamp_ms, doc) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(workspace_id)
    .bind(task_id)
    .bind(kind)
    .bind(timestamp_ms)
    .bind(doc.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// A task's events of a type (all types when `None`), oldest first.
pub async fn events(
    conn: &mut Conn,
    task_id: &str,
    kind: Option<&str>,
) -> Result<Vec<Value>, sqlx::Error> {
    sqlx::query(
        "SELECT doc FROM task_events WHERE task_id = $1 AND ($2 = '' OR type = $2) ORDER BY timestamp_ms, id",
    )
    .bind(task_id)
    .bind(kind.unwrap_or_default())
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| parse(r.try_get("doc")?))
    .collect()
}

/// Replaces a registered worker's document, leaving its expiry as it is; whether it was there.
pub async fn update_worker(
    conn: &mut Conn,
    workspace_id: &str,
    id: &str,
    doc: &Value,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE workers SET doc = $1 WHERE workspace_id = $2 AND id = $3 AND expires_ms > $4",
    )
    .bind(doc.to_string())
    .bind(workspace_id)
    .bind(id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The workspace's registered workers whose cluster report carries this key.
pub async fn workers_of_cluster(
    conn: &mut Conn,
    workspace_id: &str,
    now_ms: i64,
    key: &str,
) -> Result<Vec<Value>, sqlx::Error> {
    Ok(workers(conn, workspace_id, now_ms)
        .await?
        .into_iter()
        .filter(|w| w["cluster_report"]["key"].as_str() == Some(key))
        .collect())
}

/// The ids, names and projects of a kind's objects in a workspace (without their documents).
pub async fn names(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
) -> Result<Vec<(String, String, Option<String>)>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, project_id FROM catalog WHERE workspace_id = $1 AND kind = $2 ORDER BY name, id",
    )
    .bind(workspace_id)
    .bind(kind.as_str())
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("project_id")?)))
    .collect()
}

/// The projects holding objects of a kind, each once.
pub async fn projects_holding(
    conn: &mut Conn,
    workspace_id: &str,
    kind: Kind,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query(
        "SELECT DISTINCT project_id FROM catalog WHERE workspace_id = $1 AND kind = $2 AND project_id IS NOT NULL",
    )
    .bind(workspace_id)
    .bind(kind.as_str())
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| r.try_get("project_id"))
    .collect()
}
