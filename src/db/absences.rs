//! Queries of the absence pages and the statistics: the classes a user may open, pupils of a
//! class over a period, absence cases with their class B fields, Attestpflicht, and the
//! attendance marks of pupils with the lesson times copied at documentation time. Every
//! query takes the school id.

use super::DbConnection;
use super::register::CaseSpan;
use super::schema::{
    absence_cases, attendance, attest_requirements, classes, lessons, pupils, role_assignments,
    subjects,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A class: id and name.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ClassRow {
    pub id: i64,
    pub name: String,
}

/// Every class of the school, by name.
pub fn classes_of_school(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<ClassRow>> {
    classes::table
        .filter(classes::school_id.eq(school_id))
        .order(classes::name)
        .select((classes::id, classes::name))
        .load(conn)
}

/// One class of this school (`None` for another school's class).
pub fn class_in_school(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
) -> QueryResult<Option<ClassRow>> {
    classes::table
        .filter(classes::school_id.eq(school_id))
        .filter(classes::id.eq(class_id))
        .select((classes::id, classes::name))
        .first(conn)
        .optional()
}

/// The classes `user_id` is class teacher of on `date`, by name.
pub fn classes_of_class_teacher(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<ClassRow>> {
    let mut rows: Vec<ClassRow> = classes::table
        .inner_join(
            role_assignments::table.on(role_assignments::class_id.eq(classes::id.nullable())),
        )
        .filter(classes::school_id.eq(school_id))
        .filter(role_assignments::school_id.eq(school_id))
        .filter(role_assignments::user_id.eq(user_id))
        .filter(role_assignments::role.eq("klassenlehrkraft"))
        .filter(
            role_assignments::valid_from
                .is_null()
                .or(role_assignments::valid_from.le(date)),
        )
        .filter(
            role_assignments::valid_to
                .is_null()
                .or(role_assignments::valid_to.ge(date)),
        )
        .order(classes::name)
        .select((classes::id, classes::name))
        .load(conn)?;
    rows.dedup();
    Ok(rows)
}

/// A pupil of a class with the enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ClassPupil {
    pub id: i64,
    pub surname: String,
    pub first_name: String,
    pub enrolled_from: NaiveDate,
    pub enrolled_to: Option<NaiveDate>,
}

impl ClassPupil {
    /// "Surname, First name".
    pub fn name(&self) -> String {
        format!("{}, {}", self.surname, self.first_name)
    }
}

/// Pupils of the class enrolled at some point in `[from, to]`, by surname and first name:
/// id, surname, first name, first and last day of the enrolment.
#[diesel::dsl::auto_type]
pub(crate) fn class_pupils_in(school_id: i64, class_id: i64, from: NaiveDate, to: NaiveDate) -> _ {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::class_id.eq(class_id))
        .filter(pupils::enrolled_from.le(to))
        .filter(
            pupils::enrolled_to
                .is_null()
                .or(pupils::enrolled_to.ge(from)),
        )
        .order((pupils::surname, pupils::first_name, pupils::id))
        .select((
            pupils::id,
            pupils::surname,
            pupils::first_name,
            pupils::enrolled_from,
            pupils::enrolled_to,
        ))
}

/// Pupils of the class enrolled at some point in `[from, to]`, by surname and first name.
pub fn pupils_of_class_in(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ClassPupil>> {
    class_pupils_in(school_id, class_id, from, to).load(conn)
}

/// An absence case with every column; `note_enc` is the encrypted class B note.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = absence_cases)]
pub struct AbsenceCase {
    pub id: i64,
    pub school_id: i64,
    pub pupil_id: i64,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub from_period: Option<i16>,
    pub to_period: Option<i16>,
    pub reason: String,
    pub note_enc: Option<String>,
    pub excuse: String,
    pub excuse_received_on: Option<NaiveDate>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

impl AbsenceCase {
    /// The span of the case (for [`CaseSpan::covers`]).
    pub fn span(&self) -> CaseSpan {
        CaseSpan {
            pupil_id: self.pupil_id,
            from_date: self.from_date,
            to_date: self.to_date,
            from_period: self.from_period,
            to_period: self.to_period,
            excuse: self.excuse.clone(),
        }
    }
}

/// Cases of the given pupils that end on or after `since`, newest first.
pub fn cases_of_pupils_since(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_ids: &[i64],
    since: NaiveDate,
) -> QueryResult<Vec<AbsenceCase>> {
    if pupil_ids.is_empty() {
        return Ok(Vec::new());
    }
    absence_cases::table
        .filter(absence_cases::school_id.eq(school_id))
        .filter(absence_cases::pupil_id.eq_any(pupil_ids))
        .filter(absence_cases::to_date.ge(since))
        .order((absence_cases::from_date.desc(), absence_cases::id.desc()))
        .select(AbsenceCase::as_select())
        .load(conn)
}

/// A case of this school with the class of its pupil.
pub fn case_with_class(
    conn: &mut DbConnection,
    school_id: i64,
    case_id: i64,
) -> QueryResult<Option<(AbsenceCase, i64)>> {
    absence_cases::table
        .inner_join(pupils::table.on(pupils::id.eq(absence_cases::pupil_id)))
        .filter(absence_cases::school_id.eq(school_id))
        .filter(pupils::school_id.eq(school_id))
        .filter(absence_cases::id.eq(case_id))
        .select((AbsenceCase::as_select(), pupils::class_id))
        .first(conn)
        .optional()
}

/// Sets the excuse state of a case and the date the excuse arrived.
pub fn set_excuse(
    conn: &mut DbConnection,
    school_id: i64,
    case_id: i64,
    excuse: &str,
    received_on: Option<NaiveDate>,
) -> QueryResult<usize> {
    diesel::update(
        absence_cases::table
            .filter(absence_cases::school_id.eq(school_id))
            .filter(absence_cases::id.eq(case_id)),
    )
    .set((
        absence_cases::excuse.eq(excuse),
        absence_cases::excuse_received_on.eq(received_on),
    ))
    .execute(conn)
}

/// An Attestpflicht: the pupil must bring a medical certificate for every absence.
#[derive(Debug, Clone, Queryable)]
pub struct Attest {
    pub id: i64,
    pub pupil_id: i64,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
}

/// Attestpflicht of the given pupils ending on or after `since`, by start.
pub fn attests_of_pupils_since(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_ids: &[i64],
    since: NaiveDate,
) -> QueryResult<Vec<Attest>> {
    if pupil_ids.is_empty() {
        return Ok(Vec::new());
    }
    attest_requirements::table
        .filter(attest_requirements::school_id.eq(school_id))
        .filter(attest_requirements::pupil_id.eq_any(pupil_ids))
        .filter(attest_requirements::to_date.ge(since))
        .order((attest_requirements::from_date, attest_requirements::id))
        .select((
            attest_requirements::id,
            attest_requirements::pupil_id,
            attest_requirements::from_date,
            attest_requirements::to_date,
        ))
        .load(conn)
}

/// Stores an Attestpflicht; returns its id.
pub fn insert_attest(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    created_by: i64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(attest_requirements::table)
        .values((
            attest_requirements::school_id.eq(school_id),
            attest_requirements::pupil_id.eq(pupil_id),
            attest_requirements::from_date.eq(from),
            attest_requirements::to_date.eq(to),
            attest_requirements::created_by.eq(created_by),
            attest_requirements::created_at.eq(now),
        ))
        .returning(attest_requirements::id)
        .get_result(conn)
}

/// A deviation from "present" of one pupil in one documented lesson, with the lesson's
/// period, its start and end as copied at documentation time, and the subject.
#[derive(Debug, Clone, Queryable)]
pub struct MarkRow {
    pub pupil_id: i64,
    pub date: NaiveDate,
    pub period: i16,
    pub start_minute: i32,
    pub end_minute: i32,
    pub status: String,
    pub minutes: i32,
    pub subject: String,
}

/// The marks of the given pupils in lessons dated `[from, to]` (whatever class or group
/// the lesson belonged to), by date and period.
pub fn marks_of_pupils(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<MarkRow>> {
    if pupil_ids.is_empty() {
        return Ok(Vec::new());
    }
    attendance::table
        .inner_join(lessons::table.on(lessons::id.eq(attendance::lesson_id)))
        .inner_join(subjects::table.on(subjects::id.eq(lessons::subject_id)))
        .filter(attendance::school_id.eq(school_id))
        .filter(lessons::school_id.eq(school_id))
        .filter(attendance::pupil_id.eq_any(pupil_ids))
        .filter(lessons::date.between(from, to))
        .order((lessons::date, lessons::period, attendance::pupil_id))
        .select((
            attendance::pupil_id,
            lessons::date,
            lessons::period,
            lessons::start_minute,
            lessons::end_minute,
            attendance::status,
            attendance::minutes,
            subjects::name,
        ))
        .load(conn)
}
