//! What the benchmarks share: a deterministic generator, bulk inserts, a fresh PostgreSQL database,
//! and each writes its own section of `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use clap::Parser;

use atrium_server::cli;
use atrium_server::config::{DbArgs, ServeArgs};
use atrium_server::services::Services;

#[derive(Parser)]
struct ServeDefaults {
    #[command(flatten)]
    serve: ServeArgs,
}

/// The services over a database, with the server's default settings.
pub async fn open(db: &DbArgs) -> Result<Services, String> {
    let serve = ServeDefaults::parse_from(["atrium"]).serve;
    cli::open(db, cli::settings_of(&serve)?).await
}

/// Replaces the section of the report at `path` that starts with `heading` (up to the next
/// `## ` heading) with `section`, or appends `section` when there is none.
pub fn write_section(path: &Path, heading: &str, section: &str) -> Result<(), String> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let kept = match old.find(heading) {
        Some(at) => {
            let rest = &old[at + 2..];
            let end = rest
                .find("\n## ")
                .map(|e| at + 2 + e + 1)
                .unwrap_or(old.len());
            format!("{}{}", &old[..at], &old[end..])
        }
        None => old,
    };
    let text = format!("{}\n\n{}\n", kept.trim_end(), section.trim_end());
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A small deterministic generator (the figures must not depend on the run).
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `n`.
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

/// Inserts rows with one statement per 400 (`sql` is `INSERT INTO t (columns)`).
pub async fn exec(s: &Services, sql: &str, rows: &[Vec<Value>]) -> Result<(), String> {
    if rows.is_empty() {
        return Ok(());
    }
    let cols = rows[0].len();
    for chunk in rows.chunks(400) {
        let mut text = String::from(sql);
        for (r, _) in chunk.iter().enumerate() {
            text.push_str(if r == 0 { " VALUES " } else { ", " });
            text.push('(');
            for c in 0..cols {
                if c > 0 {
                    text.push_str(", ");
                }
                write!(text, "${}", r * cols + c + 1).unwrap();
            }
            text.push(')');
        }
        let mut q = sqlx::query(&text);
        for row in chunk {
            for v in row {
                q = match v {
                    Value::String(t) => q.bind(t.clone()),
                    Value::Number(n) => q.bind(n.as_i64().unwrap()),
                    _ => q.bind(Option::<String>::None),
                };
            }
        }
        q.execute(&s.core.db.pool)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A fresh database on the PostgreSQL server at `admin_url` (and a data folder): the
/// arguments to open it, and its name (to drop it afterwards).
pub async fn postgres_db(admin_url: &str) -> Result<(DbArgs, String), String> {
    let admin = atrium_server::db::connect(admin_url)
        .await
        .map_err(|e| format!("PostgreSQL at {admin_url}: {e}"))?;
    let name = format!("atrium_bench_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin.pool)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .map_err(|e| e.to_string())?;
    admin.pool.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("atrium-bench-pg-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok((
        DbArgs {
            data_dir: dir,
            database_url: Some(format!("{base}/{name}")),
            master_key: None,
        },
        name,
    ))
}
