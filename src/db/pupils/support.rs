//! The school's health code list, codes assigned to pupils, and support measures.

use crate::auth::extract::Elevation;
use crate::db::DbConnection;
use crate::db::schema::{health_codes, pupil_health_codes, support_measures};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A code of the school's list with its sealed meaning.
#[derive(Debug, Clone, Queryable)]
pub struct HealthCodeRow {
    pub id: i64,
    pub code: String,
    pub meaning_enc: String,
}

/// The school's code list, by code.
pub fn health_codes(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
) -> QueryResult<Vec<HealthCodeRow>> {
    health_codes::table
        .filter(health_codes::school_id.eq(school_id))
        .order(health_codes::code)
        .select((
            health_codes::id,
            health_codes::code,
            health_codes::meaning_enc,
        ))
        .load(conn)
}

/// Whether the school's list already has `code`.
pub fn health_code_taken(conn: &mut DbConnection, school_id: i64, code: &str) -> QueryResult<bool> {
    let n: i64 = health_codes::table
        .filter(health_codes::school_id.eq(school_id))
        .filter(health_codes::code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn add_health_code(
    conn: &mut DbConnection,
    school_id: i64,
    code: &str,
    meaning_enc: &str,
) -> QueryResult<i64> {
    diesel::insert_into(health_codes::table)
        .values((
            health_codes::school_id.eq(school_id),
            health_codes::code.eq(code),
            health_codes::meaning_enc.eq(meaning_enc),
        ))
        .returning(health_codes::id)
        .get_result(conn)
}

/// The codes assigned to a pupil, by code.
pub fn codes_of_pupil(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<HealthCodeRow>> {
    pupil_health_codes::table
        .inner_join(health_codes::table)
        .filter(pupil_health_codes::school_id.eq(school_id))
        .filter(health_codes::school_id.eq(school_id))
        .filter(pupil_health_codes::pupil_id.eq(pupil_id))
        .order(health_codes::code)
        .select((
            health_codes::id,
            health_codes::code,
            health_codes::meaning_enc,
        ))
        .load(conn)
}

/// Assigns a code of this school's list; 0 if the code is not on the list or already assigned.
pub fn assign_health_code(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    code_id: i64,
) -> QueryResult<usize> {
    let on_list: i64 = health_codes::table
        .filter(health_codes::school_id.eq(school_id))
        .filter(health_codes::id.eq(code_id))
        .count()
        .get_result(conn)?;
    let assigned: i64 = pupil_health_codes::table
        .filter(pupil_health_codes::school_id.eq(school_id))
        .filter(pupil_health_codes::pupil_id.eq(pupil_id))
        .filter(pupil_health_codes::health_code_id.eq(code_id))
        .count()
        .get_result(conn)?;
    if on_list == 0 || assigned > 0 {
        return Ok(0);
    }
    diesel::insert_into(pupil_health_codes::table)
        .values((
            pupil_health_codes::school_id.eq(school_id),
            pupil_health_codes::pupil_id.eq(pupil_id),
            pupil_health_codes::health_code_id.eq(code_id),
        ))
        .execute(conn)
}

pub fn unassign_health_code(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    code_id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        pupil_health_codes::table
            .filter(pupil_health_codes::school_id.eq(school_id))
            .filter(pupil_health_codes::pupil_id.eq(pupil_id))
            .filter(pupil_health_codes::health_code_id.eq(code_id)),
    )
    .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = support_measures)]
pub struct MeasureRow {
    pub id: i64,
    pub kind: String,
    pub detail_enc: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// A pupil's support measures, newest first.
pub fn measures_of(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<MeasureRow>> {
    support_measures::table
        .filter(support_measures::school_id.eq(school_id))
        .filter(support_measures::pupil_id.eq(pupil_id))
        .order((
            support_measures::valid_from.desc(),
            support_measures::id.desc(),
        ))
        .select(MeasureRow::as_select())
        .load(conn)
}

/// A support measure to store, the detail sealed.
#[derive(Debug, Clone)]
pub struct NewMeasure {
    pub school_id: i64,
    pub pupil_id: i64,
    pub kind: &'static str,
    pub detail_enc: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub created_by: i64,
    pub now: NaiveDateTime,
}

pub fn add_measure(conn: &mut DbConnection, m: &NewMeasure) -> QueryResult<i64> {
    diesel::insert_into(support_measures::table)
        .values((
            support_measures::school_id.eq(m.school_id),
            support_measures::pupil_id.eq(m.pupil_id),
            support_measures::kind.eq(m.kind),
            support_measures::detail_enc.eq(&m.detail_enc),
            support_measures::valid_from.eq(m.valid_from),
            support_measures::valid_to.eq(m.valid_to),
            support_measures::created_by.eq(m.created_by),
            support_measures::created_at.eq(m.now),
        ))
        .returning(support_measures::id)
        .get_result(conn)
}

pub fn remove_measure(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    measure_id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        support_measures::table
            .filter(support_measures::school_id.eq(school_id))
            .filter(support_measures::pupil_id.eq(pupil_id))
            .filter(support_measures::id.eq(measure_id)),
    )
    .execute(conn)
}
