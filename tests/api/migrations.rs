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

#[derive(QueryableByName, Debug)]
struct Constraint {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    name: String,
    /// The constrained columns, comma-separated, in key order.
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Text)]
    target_table: String,
    #[diesel(sql_type = Text)]
    target_columns: String,
}

/// Primary, unique and foreign keys of the current schema, from the catalog.
fn constraints_of(conn: &mut diesel::PgConnection) -> Vec<Constraint> {
    diesel::sql_query(
        "SELECT c.conrelid::regclass::text AS table_name, c.contype::text AS kind, \
                c.conname::text AS name, \
                array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) \
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY o), ',') AS columns, \
                COALESCE(c.confrelid::regclass::text, '') AS target_table, \
                array_to_string(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) \
                  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY o), ',') AS target_columns \
         FROM pg_constraint c \
         WHERE c.connamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f') \
         UNION ALL \
         SELECT t.relname::text, 'i', i.relname::text, \
                array_to_string(ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o) \
                  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY o), ','), '', '' \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         WHERE t.relnamespace = current_schema()::regnamespace AND x.indisunique \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .load(conn)
    .expect("read the constraints")
}

#[tokio::test]
async fn on_postgresql_every_key_of_a_distributed_table_holds_the_school_id() {
    // Arrange
    use klassenbuch::db::distribution::{Placement, TABLES};
    let Some(base) = postgres_base_url() else {
        eprintln!("skipped: set KLASSENBUCH_TEST_DATABASE_URL to check the PostgreSQL keys");
        return;
    };
    let db = TestDatabase::postgres(&base);
    let schema = migrated_schema(&db.url);
    let mut conn = diesel::PgConnection::establish(&db.url).expect("connect");
    let placement = |t: &str| TABLES.iter().find(|(n, ..)| *n == t).map(|(_, p, _)| *p);
    let position = |t: &str| TABLES.iter().position(|(n, ..)| *n == t);

    // Act
    let constraints = constraints_of(&mut conn);

    // Assert
    let listed: BTreeSet<String> = TABLES.iter().map(|(n, ..)| (*n).to_owned()).collect();
    let actual: BTreeSet<String> = schema.keys().cloned().collect();
    assert_eq!(listed, actual, "distribution::TABLES and the schema differ");
    let mut wrong = Vec::new();
    for c in &constraints {
        if placement(&c.table_name) != Some(Placement::Distributed) {
            continue;
        }
        let columns: Vec<&str> = c.columns.split(',').collect();
        let targets: Vec<&str> = c.target_columns.split(',').collect();
        let at = columns.iter().position(|col| *col == "school_id");
        match c.kind.as_str() {
            "p" | "u" | "i" if at.is_none() => {
                wrong.push(format!("{}: key {} ({})", c.table_name, c.name, c.columns));
            }
            "f" if placement(&c.target_table) == Some(Placement::Distributed) => {
                // school_id on both sides, at the same place: the row and its target share
                // a school, so they share a shard.
                if at.is_none() || at.and_then(|i| targets.get(i)) != Some(&"school_id") {
                    wrong.push(format!(
                        "{}: foreign key {} ({}) -> {} ({})",
                        c.table_name, c.name, c.columns, c.target_table, c.target_columns
                    ));
                }
                if position(&c.target_table) >= position(&c.table_name) {
                    wrong.push(format!(
                        "{} is listed before {}, which it points at",
                        c.table_name, c.target_table
                    ));
                }
            }
            "f" if placement(&c.target_table) == Some(Placement::Local) => {
                wrong.push(format!(
                    "{} points at the local table {}",
                    c.table_name, c.target_table
                ));
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "not fit for Citus:\n{}", wrong.join("\n"));
    let distributed_keys = constraints
        .iter()
        .filter(|c| c.kind == "f" && placement(&c.table_name) == Some(Placement::Distributed))
        .filter(|c| placement(&c.target_table) == Some(Placement::Distributed))
        .count();
    assert!(
        distributed_keys > 20,
        "too few foreign keys found: {distributed_keys}"
    );
}

#[tokio::test]
async fn on_postgresql_a_pupil_cannot_be_put_into_a_class_of_another_school() {
    // Arrange
    let Some(base) = postgres_base_url() else {
        eprintln!("skipped: set KLASSENBUCH_TEST_DATABASE_URL to check the PostgreSQL keys");
        return;
    };
    let db = TestDatabase::postgres(&base);
    migrated_schema(&db.url);
    let mut conn = diesel::PgConnection::establish(&db.url).expect("connect");
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        "INSERT INTO schools (id, name, created_at) VALUES (1, 'A', now()), (2, 'B', now()); \
         INSERT INTO classes (id, school_id, name) VALUES (10, 1, '5a');",
    )
    .expect("two schools and a class of school A");
    let pupil = |school: i64| {
        format!(
            "INSERT INTO pupils (school_id, class_id, surname, first_name, enrolled_from) \
             VALUES ({school}, 10, 'Albers', 'Anna', '2026-08-01')"
        )
    };

    // Act
    let same = diesel::sql_query(pupil(1)).execute(&mut conn);
    let other = diesel::sql_query(pupil(2)).execute(&mut conn);

    // Assert
    assert!(same.is_ok(), "{same:?}");
    let err = other.expect_err("a pupil of school B in a class of school A");
    assert!(err.to_string().contains("pupils_class_id_fkey"), "{err}");
}
