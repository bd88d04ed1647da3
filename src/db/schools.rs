//! Schools: the tenant root.

use super::DbConnection;
use super::schema::schools;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = schools)]
pub struct School {
    pub id: i64,
    pub name: String,
    pub second_factor_policy: String,
    pub created_at: NaiveDateTime,
    /// Days after which lesson entries are locked (later changes are amendments).
    pub lock_days: i32,
}

pub fn create(conn: &mut DbConnection, name: &str, now: NaiveDateTime) -> QueryResult<School> {
    let id = diesel::insert_into(schools::table)
        .values((
            schools::name.eq(name),
            schools::second_factor_policy.eq("lesson_mode"),
            schools::created_at.eq(now),
        ))
        .returning(schools::id)
        .get_result::<i64>(conn)?;
    schools::table
        .find(id)
        .select(School::as_select())
        .first(conn)
}

/// A new school with a chosen number (several databases: numbers must not overlap). On
/// PostgreSQL the id sequence is moved past it, so that later schools without a chosen
/// number do not collide.
pub fn create_with_id(
    conn: &mut DbConnection,
    id: i64,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<School> {
    diesel::insert_into(schools::table)
        .values((
            schools::id.eq(id),
            schools::name.eq(name),
            schools::second_factor_policy.eq("lesson_mode"),
            schools::created_at.eq(now),
        ))
        .execute(conn)?;
    if let DbConnection::Postgres(_) = conn {
        diesel::sql_query(
            "SELECT setval(pg_get_serial_sequence('schools', 'id'), \
             (SELECT MAX(id) FROM schools))",
        )
        .execute(conn)?;
    }
    schools::table
        .find(id)
        .select(School::as_select())
        .first(conn)
}

/// The highest school number in this database (0 without schools).
pub fn highest_id(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(schools::table
        .select(diesel::dsl::max(schools::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<School>> {
    schools::table
        .find(id)
        .select(School::as_select())
        .first(conn)
        .optional()
}

pub fn set_policy(conn: &mut DbConnection, id: i64, policy: &str) -> QueryResult<usize> {
    diesel::update(schools::table.find(id))
        .set(schools::second_factor_policy.eq(policy))
        .execute(conn)
}
