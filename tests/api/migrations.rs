//! Migrations: every one reverts cleanly, both backends end with the same schema, and every
//! tenant table carries `school_id`.

use crate::helpers::{TestDatabase, postgres_base_url, spawn_app};
use diesel::prelude::*;
use diesel::sql_types::Text;
use klassenbuch::db::{Db, DbConnection, redo_all_migrations};
use std::collections::{BTreeMap, BTreeSet};

/// Table name → column names.
type Schema = BTreeMap<String, BTreeSet<String>>;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// The tables and columns of the connection's database (diesel's own table left out).
fn schema_of(conn: &mut DbConnection) -> Schema {
    let columns: Vec<Column> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .load(c),
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name \
             FROM information_schema.columns c \
             JOIN information_schema.tables t \
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
        )
        .load(c),
    }
    .expect("read the schema");
    let mut schema = Schema::new();
    for col in columns {
        if col.table_name == "__diesel_schema_migrations" {
            continue;
        }
        schema
            .entry(col.table_name)
            .or_default()
            .insert(col.column_name);
    }
    schema
}

/// Migrates the database at `url` and reads its schema.
fn migrated_schema(url: &str) -> Schema {
    let db = Db::connect(url, 1, 5000).expect("connect");
    db.migrate().expect("migrate");
    schema_of(&mut db.get().expect("connection"))
}

#[tokio::test]
async fn every_migration_reverts_and_reapplies_to_the_same_schema() {
    // Arrange
    let app = spawn_app().await;
    let mut conn = app.conn();
    let before = schema_of(&mut conn);
    assert!(before.contains_key("users"), "not migrated: {before:?}");

    // Act
    redo_all_migrations(&mut conn).expect("down and up again");

    // Assert
    assert_eq!(schema_of(&mut conn), before);
}

#[tokio::test]
async fn sqlite_and_postgresql_get_the_same_tables_and_columns() {
    // Arrange
    let Some(base) = postgres_base_url() else {
        eprintln!("skipped: set KLASSENBUCH_TEST_DATABASE_URL to compare with PostgreSQL");
        return;
    };
    let sqlite = TestDatabase::sqlite();
    let postgres = TestDatabase::postgres(&base);

    // Act
    let sqlite_schema = migrated_schema(&sqlite.url);
    let postgres_schema = migrated_schema(&postgres.url);

    // Assert
    assert!(!sqlite_schema.is_empty());
    assert_eq!(
        sqlite_schema.keys().collect::<Vec<_>>(),
        postgres_schema.keys().collect::<Vec<_>>(),
        "different tables"
    );
    for (table, columns) in &sqlite_schema {
        assert_eq!(
            Some(columns),
            postgres_schema.get(table),
            "different columns in {table}"
        );
    }
}

#[tokio::test]
async fn every_table_but_schools_and_throttles_carries_the_school_id() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let schema = schema_of(&mut app.conn());

    // Assert
    let without: Vec<&String> = schema
        .iter()
        .filter(|(table, columns)| {
            !matches!(table.as_str(), "schools" | "throttles") && !columns.contains("school_id")
        })
        .map(|(table, _)| table)
        .collect();
    assert!(schema.len() > 2, "no tables found: {schema:?}");
    assert!(without.is_empty(), "tables without school_id: {without:?}");
}
