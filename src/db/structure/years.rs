//! School years, their terms, and holidays.

use crate::db::DbConnection;
use crate::db::schema::{holidays, school_years, terms};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = school_years)]
pub struct SchoolYear {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub closed_at: Option<NaiveDateTime>,
}

/// The school's years, newest first.
pub fn school_years(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<SchoolYear>> {
    school_years::table
        .filter(school_years::school_id.eq(school_id))
        .order(school_years::starts_on.desc())
        .select(SchoolYear::as_select())
        .load(conn)
}

pub fn school_year(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
) -> QueryResult<Option<SchoolYear>> {
    school_years::table
        .filter(school_years::school_id.eq(school_id))
        .filter(school_years::id.eq(id))
        .select(SchoolYear::as_select())
        .first(conn)
        .optional()
}

/// Marks a year closed; does nothing to a year closed before. Returns the rows changed.
pub fn close_school_year(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        school_years::table
            .filter(school_years::school_id.eq(school_id))
            .filter(school_years::id.eq(id))
            .filter(school_years::closed_at.is_null()),
    )
    .set(school_years::closed_at.eq(at))
    .execute(conn)
}

/// A term (Halbjahr, Trimester) of a school year.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = terms)]
pub struct TermRow {
    pub id: i64,
    pub school_year_id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The school's terms, oldest first.
pub fn terms(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<TermRow>> {
    terms::table
        .filter(terms::school_id.eq(school_id))
        .order(terms::starts_on)
        .select(TermRow::as_select())
        .load(conn)
}

/// A term to store.
#[derive(Debug, Clone)]
pub struct NewTerm<'a> {
    pub school_id: i64,
    pub school_year_id: i64,
    pub name: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub fn insert_term(conn: &mut DbConnection, t: &NewTerm<'_>) -> QueryResult<i64> {
    diesel::insert_into(terms::table)
        .values((
            terms::school_id.eq(t.school_id),
            terms::school_year_id.eq(t.school_year_id),
            terms::name.eq(t.name),
            terms::starts_on.eq(t.starts_on),
            terms::ends_on.eq(t.ends_on),
        ))
        .returning(terms::id)
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = holidays)]
pub struct Holiday {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The school's holidays, newest first.
pub fn holidays(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<Holiday>> {
    holidays::table
        .filter(holidays::school_id.eq(school_id))
        .order(holidays::starts_on.desc())
        .select(Holiday::as_select())
        .load(conn)
}

pub fn insert_holiday(
    conn: &mut DbConnection,
    school_id: i64,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> QueryResult<i64> {
    diesel::insert_into(holidays::table)
        .values((
            holidays::school_id.eq(school_id),
            holidays::name.eq(name),
            holidays::starts_on.eq(starts_on),
            holidays::ends_on.eq(ends_on),
        ))
        .returning(holidays::id)
        .get_result(conn)
}
