//! Persistence: one diesel connection type over SQLite (embedded default) and PostgreSQL,
//! an r2d2 pool, embedded migrations, and [`Db::run`] to keep blocking work off the async
//! workers. Queries live in one module per entity.

pub mod absences;
pub mod acks;
pub mod audit;
pub mod calendar;
pub mod ceremonies;
pub mod distribution;
pub mod documents;
pub mod factors;
pub mod import;
pub mod print;
pub mod pupils;
pub mod register;
pub mod retention;
pub mod retention_subject;
pub mod schema;
pub mod schema_documents;
pub mod schema_import;
pub mod schema_retention;
pub mod schools;
pub mod sessions;
pub mod socialwork;
pub mod structure;
pub mod throttles;
pub mod timetable;
pub mod users;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend. Queries are written once against this type.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database.url »{0}« wird nicht unterstützt: erwartet sqlite://PFAD oder postgres://…")]
    UnsupportedUrl(String),
    #[error("Datenbank nicht erreichbar: {0}")]
    Unreachable(String),
    #[error("Migration fehlgeschlagen: {0}")]
    Migration(String),
}

impl DbKind {
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(crate::config::redact_url(url)))
        }
    }
}

/// The file path of a `sqlite://` URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Opens connections of the configured kind and prepares each one.
#[derive(Debug)]
pub struct Manager {
    url: String,
    kind: DbKind,
    busy_timeout_ms: u32,
}

impl Manager {
    pub fn new(url: &str, busy_timeout_ms: u32) -> Result<Self, DbError> {
        Ok(Self {
            kind: DbKind::from_url(url)?,
            url: url.to_owned(),
            busy_timeout_ms,
        })
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.kind {
            DbKind::Sqlite => {
                let mut conn = SqliteConnection::establish(sqlite_path(&self.url))
                    .map_err(r2d2::Error::ConnectionError)?;
                // Order matters: busy_timeout before WAL (switching journal mode takes a lock).
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                     PRAGMA secure_delete = ON;",
                    self.busy_timeout_ms
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DbKind::Postgres => PgConnection::establish(&self.url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        // An open SQLite connection keeps working on a deleted file, and writes would vanish:
        // a connection whose file is gone is not valid.
        // That check is all SQLite needs: a local file connection cannot drop. PostgreSQL's
        // can (restart, failover), so it answers a query first.
        match self.kind {
            DbKind::Sqlite if std::path::Path::new(sqlite_path(&self.url)).exists() => Ok(()),
            DbKind::Sqlite => Err(r2d2::Error::ConnectionError(
                diesel::ConnectionError::BadConnection("Die SQLite-Datei fehlt.".into()),
            )),
            DbKind::Postgres => conn
                .batch_execute("SELECT 1")
                .map_err(r2d2::Error::QueryError),
        }
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// Application handle to the database: a pool plus the knowledge of its kind.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    kind: DbKind,
    sqlite_file: Option<String>,
}

/// An error from a database task: either the query failed, or no connection could be had.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("Keine Datenbankverbindung: {0}")]
    Pool(String),
    #[error("Datenbank-Aufgabe abgebrochen")]
    Canceled,
}

impl Db {
    /// Builds the pool. Fails with a clear message if the database cannot be reached.
    pub fn connect(url: &str, pool_size: u32, busy_timeout_ms: u32) -> Result<Self, DbError> {
        let manager = Manager::new(url, busy_timeout_ms)?;
        let kind = manager.kind;
        let pool = Pool::builder()
            .max_size(pool_size)
            // Open one connection up front (fails fast if unreachable); the rest on demand.
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .build(manager)
            .map_err(|e| DbError::Unreachable(e.to_string()))?;
        let sqlite_file = (kind == DbKind::Sqlite).then(|| sqlite_path(url).to_owned());
        Ok(Self {
            pool,
            kind,
            sqlite_file,
        })
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// A pooled connection for synchronous code (CLI, tests, inside [`Db::run`]).
    pub fn get(&self) -> Result<PooledConn, RunError> {
        self.pool.get().map_err(|e| RunError::Pool(e.to_string()))
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, RunError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| RunError::Pool(e.to_string()))?;
            f(&mut conn).map_err(RunError::Query)
        })
        .await
        .map_err(|_| RunError::Canceled)?
    }

    /// Applies all pending migrations of the backend.
    pub fn migrate(&self) -> Result<usize, DbError> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| DbError::Unreachable(e.to_string()))?;
        migrate_connection(&mut conn)
    }

    /// True when a trivial query succeeds (readiness).
    pub async fn is_ready(&self) -> bool {
        // A real table, not `SELECT 1`: a dropped schema must count as not ready.
        let query_ok = self
            .run(|c| c.batch_execute("SELECT 1 FROM __diesel_schema_migrations LIMIT 1"))
            .await
            .is_ok();
        // An open SQLite connection keeps working on a deleted file; look for the file too.
        let file_ok = match &self.sqlite_file {
            Some(path) => std::path::Path::new(path).exists(),
            None => true,
        };
        query_ok && file_ok
    }
}

/// Runs `f` in a transaction that holds the write lock from its first statement
/// (`BEGIN IMMEDIATE` on SQLite), so read-then-write sequences cannot fail half-way on a
/// lock upgrade. On PostgreSQL it is an ordinary transaction.
pub fn write_transaction<T, F>(conn: &mut DbConnection, f: F) -> QueryResult<T>
where
    F: FnOnce(&mut DbConnection) -> QueryResult<T>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(_) => {
            <DbConnection as TransactionManager<DbConnection>>::begin_transaction(conn)?
        }
    }
    match f(conn) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The original error matters more than a failed rollback.
            let _ = <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// Applies pending migrations on one connection; returns how many ran. Refuses a database
/// whose schema is newer than this build (an older binary must not serve it).
pub fn migrate_connection(conn: &mut DbConnection) -> Result<usize, DbError> {
    let ran = apply_pending(conn)?;
    let kind = match conn {
        DbConnection::Sqlite(_) => DbKind::Sqlite,
        DbConnection::Postgres(_) => DbKind::Postgres,
    };
    let known =
        crate::ops::backup::known_versions(kind).map_err(|e| DbError::Migration(e.to_string()))?;
    let applied =
        crate::ops::backup::schema_version(conn).map_err(|e| DbError::Migration(e.to_string()))?;
    if known
        .last()
        .is_some_and(|newest| applied.as_str() > newest.as_str())
    {
        return Err(DbError::Migration(format!(
            "Die Datenbank hat die Schemaversion {applied}, diese Version von Klassenbuch kennt \
             höchstens {}. Bitte die neuere Version von Klassenbuch verwenden.",
            known.last().cloned().unwrap_or_default()
        )));
    }
    Ok(ran)
}

fn apply_pending(conn: &mut DbConnection) -> Result<usize, DbError> {
    let ran = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    ran.map_err(|e| DbError::Migration(e.to_string()))
}

/// Reverts every migration, then applies them all again (used by tests).
pub fn redo_all_migrations(conn: &mut DbConnection) -> Result<(), DbError> {
    let map = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    match conn {
        DbConnection::Sqlite(c) => {
            c.revert_all_migrations(SQLITE_MIGRATIONS).map_err(map)?;
            c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(map)?;
        }
        DbConnection::Postgres(c) => {
            c.revert_all_migrations(POSTGRES_MIGRATIONS).map_err(map)?;
            c.run_pending_migrations(POSTGRES_MIGRATIONS).map_err(map)?;
        }
    }
    Ok(())
}
