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
