//! School years with terms, holidays, absence cases and Attestpflicht.

use super::DbConnection;
use super::schema::{absence_cases, attest_requirements, holidays, school_years, terms};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Creates a school year and its terms; returns the year's id.
pub fn create_school_year(
    conn: &mut DbConnection,
    school_id: i64,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    term_list: &[(&str, NaiveDate, NaiveDate)],
) -> QueryResult<i64> {
    let id = diesel::insert_into(school_years::table)
        .values((
            school_years::school_id.eq(school_id),
            school_years::name.eq(name),
            school_years::starts_on.eq(starts_on),
            school_years::ends_on.eq(ends_on),
        ))
        .returning(school_years::id)
        .get_result::<i64>(conn)?;
    for (term, from, to) in term_list {
        diesel::insert_into(terms::table)
            .values((
                terms::school_id.eq(school_id),
                terms::school_year_id.eq(id),
                terms::name.eq(term),
                terms::starts_on.eq(from),
                terms::ends_on.eq(to),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn create_holiday(
    conn: &mut DbConnection,
    school_id: i64,
    name: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<usize> {
    diesel::insert_into(holidays::table)
        .values((
            holidays::school_id.eq(school_id),
            holidays::name.eq(name),
            holidays::starts_on.eq(from),
            holidays::ends_on.eq(to),
        ))
        .execute(conn)
}

/// A term: (id, school year id, name, first day, last day).
#[derive(Debug, Clone, Queryable)]
pub struct Term {
    pub id: i64,
    pub school_year_id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The school's terms, oldest first.
pub fn terms_of(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<Term>> {
    terms::table
        .filter(terms::school_id.eq(school_id))
        .order(terms::starts_on)
        .select((
            terms::id,
            terms::school_year_id,
            terms::name,
            terms::starts_on,
            terms::ends_on,
        ))
        .load(conn)
}

/// An absence case to store. The note (class B) is stored encrypted by the caller.
#[derive(Debug, Clone)]
pub struct NewAbsenceCase<'a> {
    pub school_id: i64,
    pub pupil_id: i64,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub from_period: Option<i16>,
    pub to_period: Option<i16>,
    pub reason: &'a str,
    pub note_enc: Option<&'a str>,
    pub excuse: &'a str,
    pub excuse_received_on: Option<NaiveDate>,
    pub created_by: i64,
    pub now: NaiveDateTime,
}

pub fn create_absence_case(conn: &mut DbConnection, c: &NewAbsenceCase<'_>) -> QueryResult<i64> {
    diesel::insert_into(absence_cases::table)
        .values((
            absence_cases::school_id.eq(c.school_id),
            absence_cases::pupil_id.eq(c.pupil_id),
            absence_cases::from_date.eq(c.from_date),
            absence_cases::to_date.eq(c.to_date),
            absence_cases::from_period.eq(c.from_period),
            absence_cases::to_period.eq(c.to_period),
            absence_cases::reason.eq(c.reason),
            absence_cases::note_enc.eq(c.note_enc),
            absence_cases::excuse.eq(c.excuse),
            absence_cases::excuse_received_on.eq(c.excuse_received_on),
            absence_cases::created_by.eq(c.created_by),
            absence_cases::created_at.eq(c.now),
        ))
        .returning(absence_cases::id)
        .get_result(conn)
}

pub fn create_attest(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    created_by: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(attest_requirements::table)
        .values((
            attest_requirements::school_id.eq(school_id),
            attest_requirements::pupil_id.eq(pupil_id),
            attest_requirements::from_date.eq(from),
            attest_requirements::to_date.eq(to),
            attest_requirements::created_by.eq(created_by),
            attest_requirements::created_at.eq(now),
        ))
        .execute(conn)
}
