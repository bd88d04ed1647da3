//! Queries of the printed register: a class with its class teachers, the school years and
//! terms that bound a range, the members over a range, and the lessons, attendance marks,
//! amendments and register entries of a class in a range. Every query takes the school id
//! and works with joins, so a school year's register takes the same few queries as a week.

use super::DbConnection;
use super::calendar::Term;
use super::register::Lesson;
use super::schema::{
    attendance, change_history, classes, lessons, pupils, register_entries, role_assignments,
    school_years, subjects, terms, users,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// The name of a class of this school, if there is one.
pub fn class_name(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
) -> QueryResult<Option<String>> {
    classes::table
        .filter(classes::school_id.eq(school_id))
        .filter(classes::id.eq(class_id))
        .select(classes::name)
        .first(conn)
        .optional()
}

/// Names of the class teachers of a class whose assignment overlaps `[from, to]`.
pub fn class_teacher_names(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<String>> {
    let mut names: Vec<String> = users::table
        .inner_join(role_assignments::table)
        .filter(role_assignments::school_id.eq(school_id))
        .filter(role_assignments::role.eq("klassenlehrkraft"))
        .filter(role_assignments::class_id.eq(class_id))
        .filter(
            role_assignments::valid_from
                .is_null()
                .or(role_assignments::valid_from.le(to)),
        )
        .filter(
            role_assignments::valid_to
                .is_null()
                .or(role_assignments::valid_to.ge(from)),
        )
        .order(users::display_name)
        .select(users::display_name)
        .load(conn)?;
    names.dedup();
    Ok(names)
}

/// A school year: (id, name, first day, last day).
#[derive(Debug, Clone, Queryable)]
pub struct SchoolYear {
    pub id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// The school's school years, oldest first.
pub fn school_years_of(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<SchoolYear>> {
    school_years::table
        .filter(school_years::school_id.eq(school_id))
        .order(school_years::starts_on)
        .select((
            school_years::id,
            school_years::name,
            school_years::starts_on,
            school_years::ends_on,
        ))
        .load(conn)
}

/// A term of this school with the name of its school year.
pub fn term_with_year(
    conn: &mut DbConnection,
    school_id: i64,
    term_id: i64,
) -> QueryResult<Option<(Term, String)>> {
    terms::table
        .inner_join(school_years::table.on(school_years::id.eq(terms::school_year_id)))
        .filter(terms::school_id.eq(school_id))
        .filter(school_years::school_id.eq(school_id))
        .filter(terms::id.eq(term_id))
        .select((
            (
                terms::id,
                terms::school_year_id,
                terms::name,
                terms::starts_on,
                terms::ends_on,
            ),
            school_years::name,
        ))
        .first(conn)
        .optional()
}

/// A pupil enrolled in the class at some point of a range.
#[derive(Debug, Clone, Queryable)]
pub struct Member {
    pub id: i64,
    pub surname: String,
    pub first_name: String,
    pub enrolled_from: NaiveDate,
    pub enrolled_to: Option<NaiveDate>,
}

/// Pupils of the class enrolled at some point in `[from, to]`, by surname and first name.
pub fn members_in(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Member>> {
    super::absences::class_pupils_in(school_id, class_id, from, to).load(conn)
}

/// The lessons recorded for the class in `[from, to]` with their subject's name.
pub fn lessons_of_class(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(Lesson, String)>> {
    lessons::table
        .inner_join(subjects::table)
        .filter(lessons::school_id.eq(school_id))
        .filter(lessons::class_id.eq(class_id))
        .filter(lessons::date.between(from, to))
        .select((Lesson::as_select(), subjects::name))
        .load(conn)
}

/// An attendance mark of a lesson of the class, with the pupil's name.
#[derive(Debug, Clone, Queryable)]
pub struct ClassMark {
    pub lesson_id: i64,
    pub pupil_id: i64,
    pub surname: String,
    pub first_name: String,
    pub status: String,
    pub minutes: i32,
}

/// Every attendance mark of the class's lessons in `[from, to]`.
pub fn marks_of_class(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ClassMark>> {
    attendance::table
        .inner_join(lessons::table)
        .inner_join(pupils::table)
        .filter(attendance::school_id.eq(school_id))
        .filter(lessons::school_id.eq(school_id))
        .filter(lessons::class_id.eq(class_id))
        .filter(lessons::date.between(from, to))
        .order((pupils::surname, pupils::first_name, attendance::id))
        .select((
            attendance::lesson_id,
            attendance::pupil_id,
            pupils::surname,
            pupils::first_name,
            attendance::status,
            attendance::minutes,
        ))
        .load(conn)
}

/// One changed field of an amendment (a change made after the lock, with a reason).
#[derive(Debug, Clone, Queryable)]
pub struct AmendmentRow {
    pub lesson_id: i64,
    pub at: NaiveDateTime,
    pub user_name: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub reason: Option<String>,
}

/// The amendments of the class's lessons in `[from, to]`, oldest first.
pub fn amendments_of_class(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<AmendmentRow>> {
    change_history::table
        .inner_join(users::table.on(users::id.eq(change_history::user_id)))
        .inner_join(lessons::table.on(lessons::id.eq(change_history::entity_id)))
        .filter(change_history::school_id.eq(school_id))
        .filter(change_history::entity.eq_any(["lesson", "attendance"]))
        .filter(change_history::amendment_reason.is_not_null())
        .filter(lessons::school_id.eq(school_id))
        .filter(lessons::class_id.eq(class_id))
        .filter(lessons::date.between(from, to))
        .order(change_history::id.asc())
        .select((
            change_history::entity_id,
            change_history::at,
            users::display_name,
            change_history::field,
            change_history::old_value,
            change_history::new_value,
            change_history::amendment_reason,
        ))
        .load(conn)
}

/// A register entry (class test, safety instruction, note, conduct note).
#[derive(Debug, Clone, Queryable)]
pub struct EntryRow {
    pub date: NaiveDate,
    pub kind: String,
    pub text: String,
    pub pupil_surname: Option<String>,
    pub pupil_first_name: Option<String>,
    pub author: String,
}

/// The register entries of the class in `[from, to]`, by date.
pub fn entries_of_class(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<EntryRow>> {
    register_entries::table
        .inner_join(users::table.on(users::id.eq(register_entries::author_id)))
        .left_join(pupils::table.on(pupils::id.nullable().eq(register_entries::pupil_id)))
        .filter(register_entries::school_id.eq(school_id))
        .filter(register_entries::class_id.eq(class_id))
        .filter(register_entries::date.between(from, to))
        .order((register_entries::date, register_entries::id))
        .select((
            register_entries::date,
            register_entries::kind,
            register_entries::text,
            pupils::surname.nullable(),
            pupils::first_name.nullable(),
            users::display_name,
        ))
        .load(conn)
}

/// Display names of the given users of this school.
pub fn user_names(
    conn: &mut DbConnection,
    school_id: i64,
    ids: &[i64],
) -> QueryResult<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table
        .filter(users::school_id.eq(school_id))
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load(conn)
}
