//! Queries of the register: planned slots, substitutions, calendar, lessons, attendance,
//! rosters, flags and the change history. Every query takes the school id.

use super::DbConnection;
use super::schema::{
    absence_cases, attendance, attest_requirements, change_history, classes, group_members,
    holidays, lessons, periods, pupils, subjects, substitutions, teaching_groups, time_grids,
    timetable_slots, users,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A timetable slot with the names the register shows.
#[derive(Debug, Clone, Queryable)]
pub struct SlotView {
    pub id: i64,
    pub class_id: i64,
    pub group_id: Option<i64>,
    pub subject_id: i64,
    pub teacher_id: i64,
    pub weekday: i16,
    pub period: i16,
    pub room: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub class_name: String,
    pub subject_name: String,
}

macro_rules! slot_columns {
    () => {
        (
            timetable_slots::id,
            timetable_slots::class_id,
            timetable_slots::group_id,
            timetable_slots::subject_id,
            timetable_slots::teacher_id,
            timetable_slots::weekday,
            timetable_slots::period,
            timetable_slots::room,
            timetable_slots::valid_from,
            timetable_slots::valid_to,
            classes::name,
            subjects::name,
        )
    };
}

/// The school's slots joined with class and subject names.
#[diesel::dsl::auto_type]
fn slots_in_school(school_id: i64) -> _ {
    timetable_slots::table
        .inner_join(classes::table)
        .inner_join(subjects::table)
        .filter(timetable_slots::school_id.eq(school_id))
}

/// Slots valid at some point in `[from, to]`.
#[diesel::dsl::auto_type]
fn slot_valid_between(from: NaiveDate, to: NaiveDate) -> _ {
    timetable_slots::valid_from.le(to).and(
        timetable_slots::valid_to
            .is_null()
            .or(timetable_slots::valid_to.ge(from)),
    )
}

/// Slots of a teacher that are valid at some point in `[from, to]`.
pub fn slots_of_teacher(
    conn: &mut DbConnection,
    school_id: i64,
    teacher_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<SlotView>> {
    slots_in_school(school_id)
        .filter(timetable_slots::teacher_id.eq(teacher_id))
        .filter(slot_valid_between(from, to))
        .select(slot_columns!())
        .load(conn)
}

/// Slots by id (of this school only).
pub fn slots_by_id(
    conn: &mut DbConnection,
    school_id: i64,
    ids: &[i64],
) -> QueryResult<Vec<SlotView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    slots_in_school(school_id)
        .filter(timetable_slots::id.eq_any(ids))
        .select(slot_columns!())
        .load(conn)
}

/// One slot by id (of this school only).
pub fn slot_by_id(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
) -> QueryResult<Option<SlotView>> {
    slots_in_school(school_id)
        .filter(timetable_slots::id.eq(id))
        .select(slot_columns!())
        .first(conn)
        .optional()
}

/// Slots of a class valid at some point in `[from, to]`.
pub fn slots_of_class(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<SlotView>> {
    slots_in_school(school_id)
        .filter(timetable_slots::class_id.eq(class_id))
        .filter(slot_valid_between(from, to))
        .select(slot_columns!())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = substitutions)]
pub struct Substitution {
    pub id: i64,
    pub school_id: i64,
    pub slot_id: i64,
    pub date: NaiveDate,
    pub substitute_id: Option<i64>,
    pub cancelled: bool,
    pub note: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

/// Substitutions in `[from, to]` that concern the given slots or name the given substitute.
pub fn substitutions_in(
    conn: &mut DbConnection,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Substitution>> {
    substitutions::table
        .filter(substitutions::school_id.eq(school_id))
        .filter(substitutions::date.between(from, to))
        .select(Substitution::as_select())
        .load(conn)
}

/// The substitution or cancellation of one slot on one date (there is at most one).
pub fn substitution_at(
    conn: &mut DbConnection,
    school_id: i64,
    slot_id: i64,
    date: NaiveDate,
) -> QueryResult<Option<Substitution>> {
    substitutions::table
        .filter(substitutions::school_id.eq(school_id))
        .filter(substitutions::slot_id.eq(slot_id))
        .filter(substitutions::date.eq(date))
        .select(Substitution::as_select())
        .first(conn)
        .optional()
}

/// A substitution or cancellation to store.
#[derive(Debug, Clone)]
pub struct NewSubstitution<'a> {
    pub school_id: i64,
    pub slot_id: i64,
    pub date: NaiveDate,
    pub substitute_id: Option<i64>,
    pub cancelled: bool,
    pub note: &'a str,
    pub created_by: i64,
    pub now: NaiveDateTime,
}

/// Stores a substitution, replacing an earlier one for the same slot and date.
pub fn create_substitution(conn: &mut DbConnection, s: &NewSubstitution<'_>) -> QueryResult<usize> {
    delete_substitution(conn, s.school_id, s.slot_id, s.date)?;
    diesel::insert_into(substitutions::table)
        .values((
            substitutions::school_id.eq(s.school_id),
            substitutions::slot_id.eq(s.slot_id),
            substitutions::date.eq(s.date),
            substitutions::substitute_id.eq(s.substitute_id),
            substitutions::cancelled.eq(s.cancelled),
            substitutions::note.eq(s.note),
            substitutions::created_by.eq(s.created_by),
            substitutions::created_at.eq(s.now),
        ))
        .execute(conn)
}

/// Holiday ranges overlapping `[from, to]`.
pub fn holidays_in(
    conn: &mut DbConnection,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, NaiveDate)>> {
    holidays::table
        .filter(holidays::school_id.eq(school_id))
        .filter(holidays::starts_on.le(to))
        .filter(holidays::ends_on.ge(from))
        .select((holidays::starts_on, holidays::ends_on))
        .load(conn)
}

/// A period of a time grid with the grid's validity.
#[derive(Debug, Clone, Queryable)]
pub struct GridPeriod {
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub number: i16,
    pub start_minute: i32,
    pub end_minute: i32,
}

/// Periods of every grid valid at some point in `[from, to]`.
pub fn grid_periods_in(
    conn: &mut DbConnection,
    school_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<GridPeriod>> {
    periods::table
        .inner_join(time_grids::table)
        .filter(time_grids::school_id.eq(school_id))
        .filter(time_grids::valid_from.le(to))
        .filter(
            time_grids::valid_to
                .is_null()
                .or(time_grids::valid_to.ge(from)),
        )
        .select((
            time_grids::valid_from,
            time_grids::valid_to,
            periods::number,
            periods::start_minute,
            periods::end_minute,
        ))
        .load(conn)
}

pub fn create_time_grid(
    conn: &mut DbConnection,
    school_id: i64,
    name: &str,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    periods_: &[(i16, i32, i32)],
) -> QueryResult<i64> {
    let id = diesel::insert_into(time_grids::table)
        .values((
            time_grids::school_id.eq(school_id),
            time_grids::name.eq(name),
            time_grids::valid_from.eq(valid_from),
            time_grids::valid_to.eq(valid_to),
        ))
        .returning(time_grids::id)
        .get_result::<i64>(conn)?;
    for (number, start, end) in periods_ {
        diesel::insert_into(periods::table)
            .values((
                periods::school_id.eq(school_id),
                periods::time_grid_id.eq(id),
                periods::number.eq(number),
                periods::start_minute.eq(start),
                periods::end_minute.eq(end),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lessons)]
pub struct Lesson {
    pub id: i64,
    pub school_id: i64,
    pub slot_id: i64,
    pub date: NaiveDate,
    pub class_id: i64,
    pub group_id: Option<i64>,
    pub subject_id: i64,
    pub teacher_id: i64,
    pub period: i16,
    pub start_minute: i32,
    pub end_minute: i32,
    pub topic: String,
    pub homework: String,
    pub status: String,
    pub documented_by: i64,
    pub documented_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Lessons recorded for the given slots in `[from, to]`.
pub fn lessons_of_slots(
    conn: &mut DbConnection,
    school_id: i64,
    slot_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Lesson>> {
    if slot_ids.is_empty() {
        return Ok(Vec::new());
    }
    lessons::table
        .filter(lessons::school_id.eq(school_id))
        .filter(lessons::slot_id.eq_any(slot_ids))
        .filter(lessons::date.between(from, to))
        .select(Lesson::as_select())
        .load(conn)
}

pub fn lesson_at(
    conn: &mut DbConnection,
    school_id: i64,
    slot_id: i64,
    date: NaiveDate,
) -> QueryResult<Option<Lesson>> {
    lessons::table
        .filter(lessons::school_id.eq(school_id))
        .filter(lessons::slot_id.eq(slot_id))
        .filter(lessons::date.eq(date))
        .select(Lesson::as_select())
        .first(conn)
        .optional()
}

/// Values of a new lesson row.
#[derive(Debug, Clone)]
pub struct NewLesson {
    pub school_id: i64,
    pub slot_id: i64,
    pub date: NaiveDate,
    pub class_id: i64,
    pub group_id: Option<i64>,
    pub subject_id: i64,
    pub teacher_id: i64,
    pub period: i16,
    pub start_minute: i32,
    pub end_minute: i32,
    pub status: &'static str,
    pub by: i64,
    pub at: NaiveDateTime,
}

pub fn insert_lesson(conn: &mut DbConnection, l: &NewLesson) -> QueryResult<i64> {
    insert_lesson_with_text(conn, l, "", "")
}

/// Inserts a lesson with its topic and homework in one statement.
pub fn insert_lesson_with_text(
    conn: &mut DbConnection,
    l: &NewLesson,
    topic: &str,
    homework: &str,
) -> QueryResult<i64> {
    diesel::insert_into(lessons::table)
        .values((
            lessons::school_id.eq(l.school_id),
            lessons::slot_id.eq(l.slot_id),
            lessons::date.eq(l.date),
            lessons::class_id.eq(l.class_id),
            lessons::group_id.eq(l.group_id),
            lessons::subject_id.eq(l.subject_id),
            lessons::teacher_id.eq(l.teacher_id),
            lessons::period.eq(l.period),
            lessons::start_minute.eq(l.start_minute),
            lessons::end_minute.eq(l.end_minute),
            lessons::status.eq(l.status),
            lessons::documented_by.eq(l.by),
            lessons::documented_at.eq(l.at),
            lessons::updated_at.eq(l.at),
            lessons::topic.eq(topic),
            lessons::homework.eq(homework),
        ))
        .returning(lessons::id)
        .get_result(conn)
}

pub fn update_lesson_text(
    conn: &mut DbConnection,
    lesson_id: i64,
    topic: &str,
    homework: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(lessons::table.find(lesson_id))
        .set((
            lessons::topic.eq(topic),
            lessons::homework.eq(homework),
            lessons::updated_at.eq(at),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attendance)]
pub struct Mark {
    pub id: i64,
    pub school_id: i64,
    pub lesson_id: i64,
    pub pupil_id: i64,
    pub status: String,
    pub minutes: i32,
}

pub fn marks_of_lesson(
    conn: &mut DbConnection,
    school_id: i64,
    lesson_id: i64,
) -> QueryResult<Vec<Mark>> {
    attendance::table
        .filter(attendance::school_id.eq(school_id))
        .filter(attendance::lesson_id.eq(lesson_id))
        .select(Mark::as_select())
        .load(conn)
}

pub fn insert_mark(
    conn: &mut DbConnection,
    school_id: i64,
    lesson_id: i64,
    pupil_id: i64,
    status: &str,
    minutes: i32,
) -> QueryResult<usize> {
    diesel::insert_into(attendance::table)
        .values((
            attendance::school_id.eq(school_id),
            attendance::lesson_id.eq(lesson_id),
            attendance::pupil_id.eq(pupil_id),
            attendance::status.eq(status),
            attendance::minutes.eq(minutes),
        ))
        .execute(conn)
}

/// A new attendance mark.
#[derive(Debug, Clone)]
pub struct NewMark {
    pub pupil_id: i64,
    pub status: &'static str,
    pub minutes: i32,
}

/// Inserts the marks of a lesson in one statement.
pub fn insert_marks(
    conn: &mut DbConnection,
    school_id: i64,
    lesson_id: i64,
    marks: &[NewMark],
) -> QueryResult<usize> {
    if marks.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = marks
        .iter()
        .map(|m| {
            (
                attendance::school_id.eq(school_id),
                attendance::lesson_id.eq(lesson_id),
                attendance::pupil_id.eq(m.pupil_id),
                attendance::status.eq(m.status),
                attendance::minutes.eq(m.minutes),
            )
        })
        .collect();
    let insert = diesel::insert_into(attendance::table).values(rows);
    // A multi-row insert needs the backend's own connection (MultiConnection has none).
    match conn {
        DbConnection::Sqlite(c) => insert.execute(c),
        DbConnection::Postgres(c) => insert.execute(c),
    }
}

pub fn update_mark(
    conn: &mut DbConnection,
    id: i64,
    status: &str,
    minutes: i32,
) -> QueryResult<usize> {
    diesel::update(attendance::table.find(id))
        .set((
            attendance::status.eq(status),
            attendance::minutes.eq(minutes),
        ))
        .execute(conn)
}

pub fn delete_mark(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(attendance::table.find(id)).execute(conn)
}

/// A pupil on a roster.
#[derive(Debug, Clone, Queryable)]
pub struct RosterPupil {
    pub id: i64,
    pub surname: String,
    pub first_name: String,
}

/// The pupils of a lesson on `date`: the group's members if the slot has a group, else the
/// class's enrolled pupils. Sorted by surname, first name.
pub fn roster(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    group_id: Option<i64>,
    date: NaiveDate,
) -> QueryResult<Vec<RosterPupil>> {
    match group_id {
        Some(g) => pupils::table
            .inner_join(group_members::table)
            .filter(group_members::school_id.eq(school_id))
            .filter(group_members::group_id.eq(g))
            .filter(group_members::valid_from.le(date))
            .filter(
                group_members::valid_to
                    .is_null()
                    .or(group_members::valid_to.ge(date)),
            )
            .order((pupils::surname, pupils::first_name))
            .select((pupils::id, pupils::surname, pupils::first_name))
            .load(conn),
        None => class_pupils(school_id, class_id, date)
            .order((pupils::surname, pupils::first_name))
            .select((pupils::id, pupils::surname, pupils::first_name))
            .load(conn),
    }
}

/// A class's pupils enrolled on `date`.
#[diesel::dsl::auto_type]
fn class_pupils(school_id: i64, class_id: i64, date: NaiveDate) -> _ {
    pupils::table
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::class_id.eq(class_id))
        .filter(pupils::enrolled_from.le(date))
        .filter(
            pupils::enrolled_to
                .is_null()
                .or(pupils::enrolled_to.ge(date)),
        )
}

/// The ids of a class's pupils enrolled on `date`.
#[diesel::dsl::auto_type]
fn class_pupil_ids(school_id: i64, class_id: i64, date: NaiveDate) -> _ {
    let enrolled: class_pupils = class_pupils(school_id, class_id, date);
    enrolled.select(pupils::id)
}

/// The ids of a group's members on `date`.
#[diesel::dsl::auto_type]
fn group_member_ids(school_id: i64, group_id: i64, date: NaiveDate) -> _ {
    group_members::table
        .filter(group_members::school_id.eq(school_id))
        .filter(group_members::group_id.eq(group_id))
        .filter(group_members::valid_from.le(date))
        .filter(
            group_members::valid_to
                .is_null()
                .or(group_members::valid_to.ge(date)),
        )
        .select(group_members::pupil_id)
}

/// Pupils of the roster (see [`roster`]) with an Attestpflicht covering `date`. The roster is
/// a subquery, so the statement has a fixed shape (no `IN` list of ids).
pub fn attest_pupils_of_roster(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    group_id: Option<i64>,
    date: NaiveDate,
) -> QueryResult<Vec<i64>> {
    let q = attest_requirements::table
        .filter(attest_requirements::school_id.eq(school_id))
        .filter(attest_requirements::from_date.le(date))
        .filter(attest_requirements::to_date.ge(date))
        .select(attest_requirements::pupil_id);
    match group_id {
        Some(g) => q
            .filter(attest_requirements::pupil_id.eq_any(group_member_ids(school_id, g, date)))
            .load(conn),
        None => q
            .filter(
                attest_requirements::pupil_id.eq_any(class_pupil_ids(school_id, class_id, date)),
            )
            .load(conn),
    }
}

/// An absence case as the lesson page needs it (no reason, no note: those are class B).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = absence_cases)]
pub struct CaseSpan {
    pub pupil_id: i64,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub from_period: Option<i16>,
    pub to_period: Option<i16>,
    pub excuse: String,
}

impl CaseSpan {
    /// True if the case covers period `period` on `date`.
    pub fn covers(&self, date: NaiveDate, period: i16) -> bool {
        if date < self.from_date || date > self.to_date {
            return false;
        }
        let after_start = date > self.from_date || self.from_period.is_none_or(|p| period >= p);
        let before_end = date < self.to_date || self.to_period.is_none_or(|p| period <= p);
        after_start && before_end
    }
}

/// Absence cases of the given pupils overlapping `[from, to]`.
pub fn case_spans(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CaseSpan>> {
    absence_cases::table
        .filter(absence_cases::school_id.eq(school_id))
        .filter(absence_cases::pupil_id.eq_any(pupil_ids))
        .filter(absence_cases::from_date.le(to))
        .filter(absence_cases::to_date.ge(from))
        .select(CaseSpan::as_select())
        .load(conn)
}

/// Absence cases of the roster's pupils (see [`roster`]) covering `date`, in a fixed-shape
/// statement (the roster is a subquery).
pub fn case_spans_of_roster(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    group_id: Option<i64>,
    date: NaiveDate,
) -> QueryResult<Vec<CaseSpan>> {
    let q = absence_cases::table
        .filter(absence_cases::school_id.eq(school_id))
        .filter(absence_cases::from_date.le(date))
        .filter(absence_cases::to_date.ge(date))
        .select(CaseSpan::as_select());
    match group_id {
        Some(g) => q
            .filter(absence_cases::pupil_id.eq_any(group_member_ids(school_id, g, date)))
            .load(conn),
        None => q
            .filter(absence_cases::pupil_id.eq_any(class_pupil_ids(school_id, class_id, date)))
            .load(conn),
    }
}

/// One change to keep in the history.
#[derive(Debug, Clone)]
pub struct Change {
    pub entity: &'static str,
    pub entity_id: i64,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

pub fn record_changes(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    assurance: &str,
    at: NaiveDateTime,
    reason: Option<&str>,
    changes: &[Change],
) -> QueryResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = changes
        .iter()
        .map(|c| {
            (
                change_history::school_id.eq(school_id),
                change_history::at.eq(at),
                change_history::user_id.eq(user_id),
                change_history::assurance.eq(assurance),
                change_history::entity.eq(c.entity),
                change_history::entity_id.eq(c.entity_id),
                change_history::field.eq(&c.field),
                change_history::old_value.eq(&c.old_value),
                change_history::new_value.eq(&c.new_value),
                change_history::amendment_reason.eq(reason),
            )
        })
        .collect();
    // One multi-row insert, in the order of `changes` (the history reads them by id). It
    // needs the backend's own connection (MultiConnection cannot batch).
    let insert = diesel::insert_into(change_history::table).values(rows);
    match conn {
        DbConnection::Sqlite(c) => insert.execute(c)?,
        DbConnection::Postgres(c) => insert.execute(c)?,
    };
    Ok(())
}

/// A history row with the name of who made the change.
#[derive(Debug, Clone, Queryable)]
pub struct HistoryRow {
    pub at: NaiveDateTime,
    pub user_name: String,
    pub assurance: String,
    pub entity: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub amendment_reason: Option<String>,
}

/// The history of a lesson (its text and its attendance), oldest first.
pub fn history_of_lesson(
    conn: &mut DbConnection,
    school_id: i64,
    lesson_id: i64,
) -> QueryResult<Vec<HistoryRow>> {
    change_history::table
        .inner_join(users::table.on(users::id.eq(change_history::user_id)))
        .filter(change_history::school_id.eq(school_id))
        .filter(change_history::entity.eq_any(["lesson", "attendance"]))
        .filter(change_history::entity_id.eq(lesson_id))
        .order(change_history::id.asc())
        .select((
            change_history::at,
            users::display_name,
            change_history::assurance,
            change_history::entity,
            change_history::field,
            change_history::old_value,
            change_history::new_value,
            change_history::amendment_reason,
        ))
        .load(conn)
}

/// Whether `user_id` is class teacher of `class_id` on `date`.
pub fn is_class_teacher(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    class_id: i64,
    date: NaiveDate,
) -> QueryResult<bool> {
    use super::schema::role_assignments as ra;
    let n: i64 = ra::table
        .filter(ra::school_id.eq(school_id))
        .filter(ra::user_id.eq(user_id))
        .filter(ra::role.eq("klassenlehrkraft"))
        .filter(ra::class_id.eq(class_id))
        .filter(ra::valid_from.is_null().or(ra::valid_from.le(date)))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(date)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Names of teaching groups by id.
pub fn group_names(
    conn: &mut DbConnection,
    school_id: i64,
    ids: &[i64],
) -> QueryResult<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    teaching_groups::table
        .filter(teaching_groups::school_id.eq(school_id))
        .filter(teaching_groups::id.eq_any(ids))
        .select((teaching_groups::id, teaching_groups::name))
        .load(conn)
}

/// All slots of the school valid on `date` for its weekday, by period and class.
pub fn slots_of_school_on(
    conn: &mut DbConnection,
    school_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<SlotView>> {
    use chrono::Datelike;
    let weekday = date.weekday().number_from_monday() as i16;
    slots_in_school(school_id)
        .filter(timetable_slots::weekday.eq(weekday))
        .filter(slot_valid_between(date, date))
        .order((timetable_slots::period, classes::name))
        .select(slot_columns!())
        .load(conn)
}

/// Active users of the school holding a teaching role today, as (id, name).
pub fn teachers_of_school(
    conn: &mut DbConnection,
    school_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<(i64, String)>> {
    use super::schema::role_assignments as ra;
    let mut rows: Vec<(i64, String)> = users::table
        .inner_join(ra::table.on(ra::user_id.eq(users::id)))
        .filter(users::school_id.eq(school_id))
        .filter(users::active.eq(true))
        .filter(ra::role.eq_any(["lehrkraft", "klassenlehrkraft"]))
        .filter(ra::valid_from.is_null().or(ra::valid_from.le(date)))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(date)))
        .order(users::display_name)
        .select((users::id, users::display_name))
        .load(conn)?;
    rows.dedup();
    Ok(rows)
}

pub fn delete_substitution(
    conn: &mut DbConnection,
    school_id: i64,
    slot_id: i64,
    date: NaiveDate,
) -> QueryResult<usize> {
    diesel::delete(
        substitutions::table
            .filter(substitutions::school_id.eq(school_id))
            .filter(substitutions::slot_id.eq(slot_id))
            .filter(substitutions::date.eq(date)),
    )
    .execute(conn)
}

/// A register entry (class test, Belehrung, general note) as the lesson page lists it.
#[derive(Debug, Clone, Queryable)]
pub struct EntryView {
    pub id: i64,
    pub kind: String,
    pub text: String,
    pub author: String,
}

/// The class's register entries of one date that name no pupil (those are conduct notes).
pub fn entries_of_class_on(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<EntryView>> {
    use super::schema::register_entries as e;
    e::table
        .inner_join(users::table.on(users::id.eq(e::author_id)))
        .filter(e::school_id.eq(school_id))
        .filter(e::class_id.eq(class_id))
        .filter(e::date.eq(date))
        .filter(e::pupil_id.is_null())
        .order(e::id)
        .select((e::id, e::kind, e::text, users::display_name))
        .load(conn)
}

/// A new register entry for a class (and group) on a date.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub school_id: i64,
    pub class_id: i64,
    pub group_id: Option<i64>,
    pub date: NaiveDate,
    pub kind: &'a str,
    pub text: &'a str,
    pub author_id: i64,
    pub now: NaiveDateTime,
}

pub fn insert_entry(conn: &mut DbConnection, n: &NewEntry<'_>) -> QueryResult<i64> {
    use super::schema::register_entries as e;
    diesel::insert_into(e::table)
        .values((
            e::school_id.eq(n.school_id),
            e::class_id.eq(n.class_id),
            e::group_id.eq(n.group_id),
            e::date.eq(n.date),
            e::kind.eq(n.kind),
            e::text.eq(n.text),
            e::author_id.eq(n.author_id),
            e::created_at.eq(n.now),
        ))
        .returning(e::id)
        .get_result(conn)
}
