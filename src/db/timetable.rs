//! School structure of the foundation: classes, subjects, pupils and timetable slots.

use super::DbConnection;
use super::schema::{classes, pupils, subjects, timetable_slots};
use chrono::NaiveDate;
use diesel::prelude::*;

pub fn create_class(conn: &mut DbConnection, school_id: i64, name: &str) -> QueryResult<i64> {
    diesel::insert_into(classes::table)
        .values((classes::school_id.eq(school_id), classes::name.eq(name)))
        .returning(classes::id)
        .get_result(conn)
}

pub fn create_subject(
    conn: &mut DbConnection,
    school_id: i64,
    short_name: &str,
    name: &str,
) -> QueryResult<i64> {
    diesel::insert_into(subjects::table)
        .values((
            subjects::school_id.eq(school_id),
            subjects::short_name.eq(short_name),
            subjects::name.eq(name),
        ))
        .returning(subjects::id)
        .get_result(conn)
}

pub fn create_pupil(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    surname: &str,
    first_name: &str,
    enrolled_from: NaiveDate,
) -> QueryResult<i64> {
    diesel::insert_into(pupils::table)
        .values((
            pupils::school_id.eq(school_id),
            pupils::class_id.eq(class_id),
            pupils::surname.eq(surname),
            pupils::first_name.eq(first_name),
            pupils::enrolled_from.eq(enrolled_from),
        ))
        .returning(pupils::id)
        .get_result(conn)
}

/// A weekly slot: `weekday` 1 = Monday … 5 = Friday, `period` 1-based.
#[derive(Debug, Clone)]
pub struct NewSlot<'a> {
    pub school_id: i64,
    pub class_id: i64,
    pub subject_id: i64,
    pub teacher_id: i64,
    pub weekday: i16,
    pub period: i16,
    pub room: &'a str,
    pub valid_from: NaiveDate,
}

pub fn create_slot(conn: &mut DbConnection, s: &NewSlot<'_>) -> QueryResult<usize> {
    diesel::insert_into(timetable_slots::table)
        .values((
            timetable_slots::school_id.eq(s.school_id),
            timetable_slots::class_id.eq(s.class_id),
            timetable_slots::subject_id.eq(s.subject_id),
            timetable_slots::teacher_id.eq(s.teacher_id),
            timetable_slots::weekday.eq(s.weekday),
            timetable_slots::period.eq(s.period),
            timetable_slots::room.eq(s.room),
            timetable_slots::valid_from.eq(s.valid_from),
        ))
        .execute(conn)
}
