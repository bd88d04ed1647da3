//! Queries of the data subject's access report (Art. 15 / Art. 20): what is stored about one
//! pupil beyond what the pupil modules already load, and the audit records of their data.

use super::DbConnection;
use super::schema::{
    attendance, classes, group_members, lessons, notebook_entries, register_entries, subjects,
    teaching_groups, users,
};
use crate::auth::extract::Elevation;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// One attendance mark of the pupil with its lesson.
#[derive(Debug, Clone, Queryable)]
pub struct MarkWithLesson {
    pub date: NaiveDate,
    pub period: i16,
    pub subject: String,
    pub class_name: String,
    pub teacher: String,
    pub topic: String,
    pub status: String,
    pub minutes: i32,
}

/// Every attendance mark of the pupil, by date and period.
pub fn marks_with_lessons(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<MarkWithLesson>> {
    attendance::table
        .inner_join(lessons::table)
        .inner_join(subjects::table.on(subjects::id.eq(lessons::subject_id)))
        .inner_join(classes::table.on(classes::id.eq(lessons::class_id)))
        .inner_join(users::table.on(users::id.eq(lessons::teacher_id)))
        .filter(attendance::school_id.eq(school_id))
        .filter(lessons::school_id.eq(school_id))
        .filter(attendance::pupil_id.eq(pupil_id))
        .order((lessons::date, lessons::period))
        .select((
            lessons::date,
            lessons::period,
            subjects::name,
            classes::name,
            users::display_name,
            lessons::topic,
            attendance::status,
            attendance::minutes,
        ))
        .load(conn)
}

/// A notebook entry about the pupil, without its text (see the access report's module doc).
#[derive(Debug, Clone, Queryable)]
pub struct NotebookMeta {
    pub date: NaiveDate,
    pub kind: String,
    pub owner: String,
    pub subject: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn notebook_meta(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<NotebookMeta>> {
    notebook_entries::table
        .inner_join(users::table.on(users::id.eq(notebook_entries::owner_id)))
        .left_join(subjects::table.on(subjects::id.nullable().eq(notebook_entries::subject_id)))
        .filter(notebook_entries::school_id.eq(school_id))
        .filter(notebook_entries::pupil_id.eq(pupil_id))
        .order((notebook_entries::date, notebook_entries::id))
        .select((
            notebook_entries::date,
            notebook_entries::kind,
            users::display_name,
            subjects::name.nullable(),
            notebook_entries::created_at,
        ))
        .load(conn)
}

/// A register entry that names the pupil.
#[derive(Debug, Clone, Queryable)]
pub struct EntryAbout {
    pub date: NaiveDate,
    pub kind: String,
    pub text: String,
    pub author: String,
}

pub fn entries_about(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<EntryAbout>> {
    register_entries::table
        .inner_join(users::table.on(users::id.eq(register_entries::author_id)))
        .filter(register_entries::school_id.eq(school_id))
        .filter(register_entries::pupil_id.eq(pupil_id))
        .order((register_entries::date, register_entries::id))
        .select((
            register_entries::date,
            register_entries::kind,
            register_entries::text,
            users::display_name,
        ))
        .load(conn)
}

/// The pupil's course memberships: (course, from, to).
pub fn courses_of(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<(String, NaiveDate, Option<NaiveDate>)>> {
    group_members::table
        .inner_join(teaching_groups::table.on(teaching_groups::id.eq(group_members::group_id)))
        .filter(group_members::school_id.eq(school_id))
        .filter(group_members::pupil_id.eq(pupil_id))
        .order(group_members::valid_from)
        .select((
            teaching_groups::name,
            group_members::valid_from,
            group_members::valid_to,
        ))
        .load(conn)
}

/// Display names of the school's users, by id.
pub fn user_names(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::school_id.eq(school_id))
        .select((users::id, users::display_name))
        .load(conn)
}

/// An enrolment row: id, class, first and last day.
pub type Enrolment = (i64, String, NaiveDate, Option<NaiveDate>);

/// Other enrolment rows of the school with the same name (a class change starts a new
/// row).
pub fn same_name_enrolments(
    conn: &mut DbConnection,
    school_id: i64,
    surname: &str,
    first_name: &str,
    except: i64,
) -> QueryResult<Vec<Enrolment>> {
    use super::schema::pupils;
    pupils::table
        .inner_join(classes::table.on(classes::id.eq(pupils::class_id)))
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::surname.eq(surname))
        .filter(pupils::first_name.eq(first_name))
        .filter(pupils::id.ne(except))
        .order(pupils::enrolled_from)
        .select((
            pupils::id,
            classes::name,
            pupils::enrolled_from,
            pupils::enrolled_to,
        ))
        .load(conn)
}
