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
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
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
    #[error("{0}")]
    Map(String),
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
    /// Set after the first connection. From then on a missing SQLite file is an error: the
    /// pool must not quietly create a new, empty database where the real one was.
    opened: std::sync::atomic::AtomicBool,
}

impl Manager {
    pub fn new(url: &str, busy_timeout_ms: u32) -> Result<Self, DbError> {
        Ok(Self {
            kind: DbKind::from_url(url)?,
            url: url.to_owned(),
            busy_timeout_ms,
            opened: std::sync::atomic::AtomicBool::new(false),
        })
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.kind {
            DbKind::Sqlite => {
                use std::sync::atomic::Ordering;
                let path = sqlite_path(&self.url);
                if self.opened.load(Ordering::SeqCst) && !std::path::Path::new(path).exists() {
                    return Err(r2d2::Error::ConnectionError(
                        diesel::ConnectionError::BadConnection("Die SQLite-Datei fehlt.".into()),
                    ));
                }
                self.opened.store(true, Ordering::SeqCst);
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
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

/// One database of the installation: its pool, and the tag that names it in session cookies.
struct Database {
    pool: DbPool,
    /// The URL as configured (with its password: for `pg_dump`, never for messages).
    url: String,
    sqlite_file: Option<String>,
    /// Names this database in session cookies when there are several (`d` + 8 hex digits
    /// of the SHA-256 of its URL without password; stable across restarts and reorderings).
    tag: String,
    /// The URL without password, for messages.
    label: String,
}

struct Databases {
    /// `[0]` is the default database (`database.url`).
    list: Vec<Database>,
    /// `database.schools`: the schools that live in another database than the default.
    schools: HashMap<i64, usize>,
    kind: DbKind,
}

tokio::task_local! {
    /// The database of the request being handled (set from the session cookie by
    /// `web::middleware::database_scope` through [`Db::scope_index`]).
    static CURRENT: usize;
}

/// Application handle to the database(s): the default database and, with a school map
/// (`database.schools`), further databases that hold some schools. Every table is keyed by
/// school, so a school lives entirely in one database; [`Db::run`] uses the database of the
/// request (see [`Db::scope_index`]), [`Db::for_school`] the one of a given school.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Databases>,
    /// A handle bound to one database ignores the request's database.
    pinned: Option<usize>,
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

fn open_database(url: &str, pool_size: u32, busy_timeout_ms: u32) -> Result<Database, DbError> {
    let manager = Manager::new(url, busy_timeout_ms)?;
    let kind = manager.kind;
    let pool = Pool::builder()
        .max_size(pool_size)
        // Open one connection up front (fails fast if unreachable); the rest on demand.
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .build(manager)
        .map_err(|e| DbError::Unreachable(e.to_string()))?;
    let label = crate::config::redact_url(url);
    let label = if label == "[ungültige URL]" {
        url.to_owned()
    } else {
        label
    };
    let tag = format!("d{}", &crate::crypto::sha256_hex(label.as_bytes())[..8]);
    Ok(Database {
        pool,
        url: url.to_owned(),
        sqlite_file: (kind == DbKind::Sqlite).then(|| sqlite_path(url).to_owned()),
        tag,
        label,
    })
}

impl Db {
    /// One database. Fails with a clear message if it cannot be reached.
    pub fn connect(url: &str, pool_size: u32, busy_timeout_ms: u32) -> Result<Self, DbError> {
        Self::connect_map(url, &BTreeMap::new(), pool_size, busy_timeout_ms)
    }

    /// The default database `url` and the databases of the school map (school id → URL;
    /// schools not in the map live in the default database). Schools that share a URL share
    /// a pool; every database must be of the same kind.
    pub fn connect_map(
        url: &str,
        schools: &BTreeMap<i64, String>,
        pool_size: u32,
        busy_timeout_ms: u32,
    ) -> Result<Self, DbError> {
        let kind = DbKind::from_url(url)?;
        let mut urls = vec![url.to_owned()];
        let mut map = HashMap::new();
        for (&school, school_url) in schools {
            if DbKind::from_url(school_url)? != kind {
                return Err(DbError::Map(format!(
                    "database.schools: Schule {school} liegt in einer Datenbank anderer Art \
                     als database.url; alle Datenbanken müssen SQLite oder alle PostgreSQL sein."
                )));
            }
            let index = match urls.iter().position(|u| u == school_url) {
                Some(i) => i,
                None => {
                    urls.push(school_url.clone());
                    urls.len() - 1
                }
            };
            if index != 0 {
                map.insert(school, index);
            }
        }
        let list = urls
            .iter()
            .map(|u| open_database(u, pool_size, busy_timeout_ms))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            inner: Arc::new(Databases {
                list,
                schools: map,
                kind,
            }),
            pinned: None,
        })
    }

    /// The database settings of the configuration.
    pub fn from_settings(settings: &crate::config::DatabaseSettings) -> Result<Self, DbError> {
        let map = settings.school_map().map_err(DbError::Map)?;
        Self::connect_map(
            settings.url.expose_secret(),
            &map,
            settings.pool_size,
            settings.busy_timeout_ms,
        )
    }

    pub fn kind(&self) -> DbKind {
        self.inner.kind
    }

    /// The index of the database this handle uses now.
    fn index(&self) -> usize {
        self.pinned
            .or_else(|| CURRENT.try_with(|i| *i).ok())
            .filter(|i| *i < self.inner.list.len())
            .unwrap_or(0)
    }

    fn database(&self) -> &Database {
        &self.inner.list[self.index()]
    }

    fn pinned_to(&self, index: usize) -> Self {
        Self {
            inner: self.inner.clone(),
            pinned: Some(index),
        }
    }

    /// More than one database is configured.
    pub fn is_mapped(&self) -> bool {
        self.inner.list.len() > 1
    }

    /// The database that holds `school_id`.
    pub fn for_school(&self, school_id: i64) -> Self {
        self.pinned_to(self.inner.schools.get(&school_id).copied().unwrap_or(0))
    }

    /// The default database: sessions before sign-in, sign-in throttles, the operator's
    /// audit chain, and every school not in the map.
    pub fn home(&self) -> Self {
        self.pinned_to(0)
    }

    /// Every database, each as a handle bound to it (the default first).
    pub fn all(&self) -> Vec<Self> {
        (0..self.inner.list.len())
            .map(|i| self.pinned_to(i))
            .collect()
    }

    /// The URL (without password) of this handle's database, for messages.
    pub fn label(&self) -> &str {
        &self.database().label
    }

    /// This handle's database URL as configured, password included (for `pg_dump`).
    pub fn url(&self) -> &str {
        &self.database().url
    }

    /// Whether two handles use the same database now.
    pub fn is_same(&self, other: &Db) -> bool {
        self.index() == other.index()
    }

    /// With several databases: the tag that routes a session cookie to this handle's
    /// database. `None` with one database (cookies then carry no tag).
    pub fn cookie_tag(&self) -> Option<&str> {
        self.is_mapped().then(|| self.database().tag.as_str())
    }

    /// The index of the database a cookie tag names.
    pub fn index_of_tag(&self, tag: &str) -> Option<usize> {
        self.inner.list.iter().position(|d| d.tag == tag)
    }

    /// Runs `f` with database `index` as the request's database, so that every `Db::run`
    /// inside (of handles not bound to a database) uses it.
    pub async fn scope_index<F: std::future::Future>(&self, index: usize, f: F) -> F::Output {
        CURRENT.scope(self.pinned_to(index).index(), f).await
    }

    /// Runs `f` in every database and returns the handles of those where it found something.
    pub async fn find_everywhere<T, F>(&self, f: F) -> Result<Vec<(Db, T)>, RunError>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection) -> QueryResult<Option<T>> + Clone + Send + 'static,
    {
        let mut found = Vec::new();
        for db in self.all() {
            let g = f.clone();
            if let Some(v) = db.run(g).await? {
                found.push((db, v));
            }
        }
        Ok(found)
    }

    /// Refuses a school map that does not match the databases: every school must live in
    /// the database the map names for it (the default database for schools not in the map),
    /// and no school number may exist in two databases.
    pub fn check_school_map(&self) -> Result<(), DbError> {
        if !self.is_mapped() {
            return Ok(());
        }
        for db in self.all() {
            let mut conn = db.get().map_err(|e| DbError::Unreachable(e.to_string()))?;
            let ids: Vec<i64> = schema::schools::table
                .select(schema::schools::id)
                .load(&mut conn)
                .map_err(|e| DbError::Unreachable(e.to_string()))?;
            for id in ids {
                let expected = self.for_school(id);
                if !expected.is_same(&db) {
                    return Err(DbError::Map(format!(
                        "Schule {id} liegt in der Datenbank {}, database.schools ordnet sie \
                         aber {} zu. Bitte die Zuordnung berichtigen.",
                        db.label(),
                        expected.label()
                    )));
                }
            }
        }
        Ok(())
    }

    /// A pooled connection for synchronous code (CLI, tests, inside [`Db::run`]).
    pub fn get(&self) -> Result<PooledConn, RunError> {
        self.database()
            .pool
            .get()
            .map_err(|e| RunError::Pool(e.to_string()))
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, RunError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        let pool = self.database().pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| RunError::Pool(e.to_string()))?;
            f(&mut conn).map_err(RunError::Query)
        })
        .await
        .map_err(|_| RunError::Canceled)?
    }

    /// Applies all pending migrations of the backend, in every database.
    pub fn migrate(&self) -> Result<usize, DbError> {
        let mut ran = 0;
        for db in self.all() {
            let mut conn = db
                .database()
                .pool
                .get()
                .map_err(|e| DbError::Unreachable(e.to_string()))?;
            ran += migrate_connection(&mut conn)?;
        }
        Ok(ran)
    }

    /// True when every database answers (readiness).
    pub async fn is_ready(&self) -> bool {
        for db in self.all() {
            if !db.is_ready_one().await {
                return false;
            }
        }
        true
    }

    async fn is_ready_one(&self) -> bool {
        // A real table, not `SELECT 1`: a dropped schema must count as not ready.
        let query_ok = self
            .run(|c| c.batch_execute("SELECT 1 FROM __diesel_schema_migrations LIMIT 1"))
            .await
            .is_ok();
        // An open SQLite connection keeps working on a deleted file; look for the file too.
        let file_ok = match &self.database().sqlite_file {
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
