//! Timetable slots with validity: a class (and optionally one of its teaching groups), a
//! subject, a teacher, a weekday, a period and a room. Ending a slot sets its last day.

use crate::db::DbConnection;
use crate::db::schema::{
    classes, lessons, subjects, teaching_groups, timetable_slots as ts, users,
};
use chrono::NaiveDate;
use diesel::prelude::*;

/// A slot with the names the timetable page shows.
#[derive(Debug, Clone, Queryable)]
pub struct SlotRow {
    pub id: i64,
    pub class_id: i64,
    pub class_name: String,
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub subject_short: String,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub weekday: i16,
    pub period: i16,
    pub room: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

macro_rules! slot_query {
    ($school_id:expr) => {
        ts::table
            .inner_join(classes::table)
            .inner_join(subjects::table)
            .inner_join(users::table)
            .left_join(teaching_groups::table.on(teaching_groups::id.nullable().eq(ts::group_id)))
            .filter(ts::school_id.eq($school_id))
            .select((
                ts::id,
                classes::id,
                classes::name,
                ts::group_id,
                teaching_groups::name.nullable(),
                subjects::short_name,
                users::id,
                users::display_name,
                ts::weekday,
                ts::period,
                ts::room,
                ts::valid_from,
                ts::valid_to,
            ))
    };
}

/// The school's slots (of one class, if given), by class, weekday, period and start.
pub fn slots(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: Option<i64>,
) -> QueryResult<Vec<SlotRow>> {
    let q = slot_query!(school_id).order((classes::name, ts::weekday, ts::period, ts::valid_from));
    match class_id {
        Some(c) => q.filter(ts::class_id.eq(c)).load(conn),
        None => q.load(conn),
    }
}

pub fn slot(conn: &mut DbConnection, school_id: i64, id: i64) -> QueryResult<Option<SlotRow>> {
    slot_query!(school_id)
        .filter(ts::id.eq(id))
        .first(conn)
        .optional()
}

/// The slots of the school at `weekday` and `period`, whatever their validity.
pub fn slots_at(
    conn: &mut DbConnection,
    school_id: i64,
    weekday: i16,
    period: i16,
) -> QueryResult<Vec<SlotRow>> {
    slot_query!(school_id)
        .filter(ts::weekday.eq(weekday))
        .filter(ts::period.eq(period))
        .load(conn)
}

/// A slot to store.
#[derive(Debug, Clone)]
pub struct NewSlotRow {
    pub school_id: i64,
    pub class_id: i64,
    pub group_id: Option<i64>,
    pub subject_id: i64,
    pub teacher_id: i64,
    pub weekday: i16,
    pub period: i16,
    pub room: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

pub fn insert_slot(conn: &mut DbConnection, s: &NewSlotRow) -> QueryResult<i64> {
    diesel::insert_into(ts::table)
        .values((
            ts::school_id.eq(s.school_id),
            ts::class_id.eq(s.class_id),
            ts::group_id.eq(s.group_id),
            ts::subject_id.eq(s.subject_id),
            ts::teacher_id.eq(s.teacher_id),
            ts::weekday.eq(s.weekday),
            ts::period.eq(s.period),
            ts::room.eq(&s.room),
            ts::valid_from.eq(s.valid_from),
            ts::valid_to.eq(s.valid_to),
        ))
        .returning(ts::id)
        .get_result(conn)
}

/// Sets the last day of a slot.
pub fn end_slot(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    last_day: NaiveDate,
) -> QueryResult<usize> {
    diesel::update(
        ts::table
            .filter(ts::school_id.eq(school_id))
            .filter(ts::id.eq(id)),
    )
    .set(ts::valid_to.eq(Some(last_day)))
    .execute(conn)
}

/// How many lessons of the slot are recorded after `date`.
pub fn lessons_after(
    conn: &mut DbConnection,
    school_id: i64,
    slot_id: i64,
    date: NaiveDate,
) -> QueryResult<i64> {
    lessons::table
        .filter(lessons::school_id.eq(school_id))
        .filter(lessons::slot_id.eq(slot_id))
        .filter(lessons::date.gt(date))
        .count()
        .get_result(conn)
}
