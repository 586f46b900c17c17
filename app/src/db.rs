//! Opening the database (SQLite file or PostgreSQL) and running the migrations of its kind.

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions};

static SQLITE: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("../migrations/postgres");

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn of(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("sqlite:") {
            Ok(Kind::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Kind::Postgres)
        } else {
            Err(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite: or postgres:".into(),
            ))
        }
    }
}

/// The shared pool and its kind.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: Kind,
}

impl Db {
    /// Begins a transaction that will write. On SQLite it begins `IMMEDIATE`, taking the write lock at
    /// once: a deferred transaction that reads and then writes fails with `SQLITE_BUSY_SNAPSHOT` when
    /// another writer committed in between, and the busy timeout cannot help it.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.kind {
            Kind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Kind::Postgres => self.pool.begin().await,
        }
    }
}

/// Connects (creating a SQLite file and its folder when needed).
pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let kind = Kind::of(url)?;
    if kind == Kind::Sqlite
        && let Some(path) = url.trim_start_matches("sqlite://").split('?').next()
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| sqlx::Error::Configuration(e.into()))?;
    }
    let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
    let pool = match kind {
        // One writer at a time is SQLite's rule; WAL lets readers go on meanwhile.
        Kind::Sqlite => {
            AnyPoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        // The access rules' listing scopes each connection keeps
                        // (`store::catalog::ScopeFilter`) live in memory, not in temporary files.
                        sqlx::query("PRAGMA temp_store = MEMORY")
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    })
                })
                .connect_with(options)
                .await?
        }
        Kind::Postgres => {
            AnyPoolOptions::new()
                .max_connections(16)
                .connect_with(options)
                .await?
        }
    };
    Ok(Db { pool, kind })
}

/// Applies the migrations of the database's kind up to and including version `last` (an upgrade
/// test starts from an older schema).
pub async fn migrate_through(db: &Db, last: i64) -> Result<(), sqlx::migrate::MigrateError> {
    let all = match db.kind {
        Kind::Sqlite => &SQLITE,
        Kind::Postgres => &POSTGRES,
    };
    let older = Migrator {
        migrations: std::borrow::Cow::Owned(
            all.iter().filter(|m| m.version <= last).cloned().collect(),
        ),
        ..Migrator::DEFAULT
    };
    older.run(&db.pool).await
}

/// Applies the pending migrations of the database's kind.
pub async fn migrate(db: &Db) -> Result<(), sqlx::migrate::MigrateError> {
    match db.kind {
        Kind::Sqlite => SQLITE.run(&db.pool).await,
        Kind::Postgres => POSTGRES.run(&db.pool).await,
    }
}
