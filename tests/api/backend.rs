//! The harness itself: each test runs on the backend the environment names, in its own
//! database, so a misconfigured run cannot silently test SQLite instead of PostgreSQL.

use crate::helpers::{postgres_base_url, spawn_app};
use diesel::prelude::*;
use diesel::sql_types::Text;
use klassenbuch::db::{DbConnection, DbKind};

#[derive(QueryableByName)]
struct CurrentSchema {
    #[diesel(sql_type = Text)]
    name: String,
}

#[tokio::test]
async fn each_test_runs_on_the_configured_backend_in_a_database_of_its_own() {
    // Arrange
    let first = spawn_app().await;
    let second = spawn_app().await;

    // Act
    let kind = first.state.db.kind();

    // Assert
    assert_ne!(first.db_url, second.db_url);
    match postgres_base_url() {
        None => assert_eq!(kind, DbKind::Sqlite),
        Some(_) => {
            assert_eq!(kind, DbKind::Postgres);
            let mut conn = first.conn();
            let DbConnection::Postgres(pg) = &mut *conn else {
                panic!("not a PostgreSQL connection");
            };
            let schema = diesel::sql_query("SELECT current_schema()::text AS name")
                .get_result::<CurrentSchema>(pg)
                .unwrap();
            assert!(schema.name.starts_with("kb_t_"), "{}", schema.name);
        }
    }
}
