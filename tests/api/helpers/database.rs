//! One database per test: a SQLite file in a temporary directory, or a PostgreSQL schema
//! when `KLASSENBUCH_TEST_DATABASE_URL` is set. Removed when dropped.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use klassenbuch::crypto::random_bytes;

/// Names a PostgreSQL database to run the tests against instead of SQLite.
pub const TEST_DATABASE_ENV: &str = "KLASSENBUCH_TEST_DATABASE_URL";

/// A few random bytes as lowercase hex, for unique names.
pub fn random_hex() -> String {
    data_encoding::HEXLOWER.encode(&random_bytes::<8>())
}

/// The PostgreSQL URL to test against, if one is configured.
pub fn postgres_base_url() -> Option<String> {
    std::env::var(TEST_DATABASE_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A database that exists for one test only and is removed when dropped.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, schema: String },
}

impl TestDatabase {
    /// A fresh database on the backend chosen by the environment.
    pub fn fresh() -> Self {
        match postgres_base_url() {
            Some(base) => Self::postgres(&base),
            None => Self::sqlite(),
        }
    }

    /// A new, empty SQLite file in its own temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!(
            "sqlite://{}",
            dir.path().join("klassenbuch.sqlite").display()
        );
        Self {
            url,
            cleanup: Cleanup::Sqlite { _dir: dir },
        }
    }

    /// A new, empty schema `kb_t_<random>` in the PostgreSQL database at `base`; the URL
    /// puts it first on the search path.
    pub fn postgres(base: &str) -> Self {
        let schema = format!("kb_t_{}", random_hex());
        let mut conn = PgConnection::establish(base).expect("connect to the test PostgreSQL");
        diesel::sql_query(format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .expect("create the test schema");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
        Self {
            url,
            cleanup: Cleanup::Postgres {
                admin_url: base.to_owned(),
                schema,
            },
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, schema } = &self.cleanup
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            // A leftover schema is harmless; a panic in Drop would hide the test's result.
            let _ = diesel::sql_query(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&mut conn);
        }
    }
}
