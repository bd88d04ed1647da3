//! Staff and class teacher assignments, pupils' enrolments, and members of teaching groups.
//! Ending an enrolment, an assignment or a membership sets its last day; nothing is deleted,
//! so the register's history stays.

use crate::db::DbConnection;
use crate::db::schema::{classes, group_members, pupils, role_assignments as ra, users};
use chrono::NaiveDate;
use diesel::prelude::*;

/// A user of the school as the structure pages name them.
#[derive(Debug, Clone, Queryable)]
pub struct StaffMember {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

/// Every user of the school, by name.
pub fn staff(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<StaffMember>> {
    users::table
        .filter(users::school_id.eq(school_id))
        .order(users::display_name)
        .select((users::id, users::display_name, users::active))
        .load(conn)
}

pub fn staff_member(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
) -> QueryResult<Option<StaffMember>> {
    users::table
        .filter(users::school_id.eq(school_id))
        .filter(users::id.eq(id))
        .select((users::id, users::display_name, users::active))
        .first(conn)
        .optional()
}

/// Ids of the users holding a teaching role (Lehrkraft, Klassenlehrkraft) on `date`.
pub fn teacher_ids_on(
    conn: &mut DbConnection,
    school_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<i64>> {
    let mut ids: Vec<i64> = ra::table
        .filter(ra::school_id.eq(school_id))
        .filter(ra::role.eq_any(["lehrkraft", "klassenlehrkraft"]))
        .filter(ra::valid_from.is_null().or(ra::valid_from.le(date)))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(date)))
        .select(ra::user_id)
        .load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// A class teacher assignment: role `klassenlehrkraft` scoped to a class.
#[derive(Debug, Clone, Queryable)]
pub struct ClassTeacher {
    pub id: i64,
    pub class_id: i64,
    pub class_name: String,
    pub user_id: i64,
    pub user_name: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

macro_rules! class_teacher_query {
    ($school_id:expr) => {
        ra::table
            .inner_join(users::table.on(users::id.eq(ra::user_id)))
            .inner_join(classes::table.on(classes::id.nullable().eq(ra::class_id)))
            .filter(ra::school_id.eq($school_id))
            .filter(ra::role.eq("klassenlehrkraft"))
            .select((
                ra::id,
                classes::id,
                classes::name,
                users::id,
                users::display_name,
                ra::valid_from,
                ra::valid_to,
            ))
    };
}

/// Every class teacher assignment of the school, by class and start.
pub fn class_teachers(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<ClassTeacher>> {
    class_teacher_query!(school_id)
        .order((classes::name, ra::valid_from, users::display_name))
        .load(conn)
}

pub fn class_teacher(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
) -> QueryResult<Option<ClassTeacher>> {
    class_teacher_query!(school_id)
        .filter(ra::id.eq(id))
        .first(conn)
        .optional()
}

/// An assignment to store.
#[derive(Debug, Clone)]
pub struct NewClassTeacher {
    pub school_id: i64,
    pub user_id: i64,
    pub class_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

pub fn insert_class_teacher(conn: &mut DbConnection, a: &NewClassTeacher) -> QueryResult<i64> {
    diesel::insert_into(ra::table)
        .values((
            ra::school_id.eq(a.school_id),
            ra::user_id.eq(a.user_id),
            ra::role.eq("klassenlehrkraft"),
            ra::class_id.eq(Some(a.class_id)),
            ra::valid_from.eq(Some(a.valid_from)),
            ra::valid_to.eq(a.valid_to),
        ))
        .returning(ra::id)
        .get_result(conn)
}

/// Sets the last day of a class teacher assignment.
pub fn end_class_teacher(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    last_day: NaiveDate,
) -> QueryResult<usize> {
    diesel::update(
        ra::table
            .filter(ra::school_id.eq(school_id))
            .filter(ra::id.eq(id))
            .filter(ra::role.eq("klassenlehrkraft")),
    )
    .set(ra::valid_to.eq(Some(last_day)))
    .execute(conn)
}

/// A pupil's enrolment in a class (one row of `pupils`).
#[derive(Debug, Clone, Queryable)]
pub struct PupilRow {
    pub id: i64,
    pub class_id: i64,
    pub class_name: String,
    pub surname: String,
    pub first_name: String,
    pub enrolled_from: NaiveDate,
    pub enrolled_to: Option<NaiveDate>,
}

impl PupilRow {
    /// "Nachname, Vorname".
    pub fn name(&self) -> String {
        format!("{}, {}", self.surname, self.first_name)
    }

    pub fn enrolled_on(&self, date: NaiveDate) -> bool {
        self.enrolled_from <= date && self.enrolled_to.is_none_or(|t| date <= t)
    }
}

macro_rules! pupil_query {
    ($school_id:expr) => {
        pupils::table
            .inner_join(classes::table)
            .filter(pupils::school_id.eq($school_id))
            .select((
                pupils::id,
                classes::id,
                classes::name,
                pupils::surname,
                pupils::first_name,
                pupils::enrolled_from,
                pupils::enrolled_to,
            ))
    };
}

/// The school's enrolments (of one class, if given), by class and name.
pub fn pupils(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: Option<i64>,
) -> QueryResult<Vec<PupilRow>> {
    let q = pupil_query!(school_id).order((
        classes::name,
        pupils::surname,
        pupils::first_name,
        pupils::enrolled_from,
    ));
    match class_id {
        Some(c) => q.filter(pupils::class_id.eq(c)).load(conn),
        None => q.load(conn),
    }
}

pub fn pupil(conn: &mut DbConnection, school_id: i64, id: i64) -> QueryResult<Option<PupilRow>> {
    pupil_query!(school_id)
        .filter(pupils::id.eq(id))
        .first(conn)
        .optional()
}

/// Sets the last day of an enrolment (the pupil stays in the register's history).
pub fn end_enrolment(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    last_day: NaiveDate,
) -> QueryResult<usize> {
    diesel::update(
        pupils::table
            .filter(pupils::school_id.eq(school_id))
            .filter(pupils::id.eq(id)),
    )
    .set(pupils::enrolled_to.eq(Some(last_day)))
    .execute(conn)
}

/// A member of a teaching group with the pupil's name and class.
#[derive(Debug, Clone, Queryable)]
pub struct Member {
    pub id: i64,
    pub group_id: i64,
    pub pupil_id: i64,
    pub surname: String,
    pub first_name: String,
    pub class_name: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

macro_rules! member_query {
    ($school_id:expr) => {
        group_members::table
            .inner_join(pupils::table.inner_join(classes::table))
            .filter(group_members::school_id.eq($school_id))
            .select((
                group_members::id,
                group_members::group_id,
                pupils::id,
                pupils::surname,
                pupils::first_name,
                classes::name,
                group_members::valid_from,
                group_members::valid_to,
            ))
    };
}

/// The members of a group, by name.
pub fn members(conn: &mut DbConnection, school_id: i64, group_id: i64) -> QueryResult<Vec<Member>> {
    member_query!(school_id)
        .filter(group_members::group_id.eq(group_id))
        .order((
            pupils::surname,
            pupils::first_name,
            group_members::valid_from,
        ))
        .load(conn)
}

pub fn member(conn: &mut DbConnection, school_id: i64, id: i64) -> QueryResult<Option<Member>> {
    member_query!(school_id)
        .filter(group_members::id.eq(id))
        .first(conn)
        .optional()
}

/// Numbers of members valid on `date`, by group id.
pub fn member_counts_on(
    conn: &mut DbConnection,
    school_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<(i64, i64)>> {
    group_members::table
        .filter(group_members::school_id.eq(school_id))
        .filter(group_members::valid_from.le(date))
        .filter(
            group_members::valid_to
                .is_null()
                .or(group_members::valid_to.ge(date)),
        )
        .group_by(group_members::group_id)
        .select((group_members::group_id, diesel::dsl::count_star()))
        .load(conn)
}

/// A membership to store.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub school_id: i64,
    pub group_id: i64,
    pub pupil_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

pub fn insert_member(conn: &mut DbConnection, m: &NewMember) -> QueryResult<i64> {
    diesel::insert_into(group_members::table)
        .values((
            group_members::school_id.eq(m.school_id),
            group_members::group_id.eq(m.group_id),
            group_members::pupil_id.eq(m.pupil_id),
            group_members::valid_from.eq(m.valid_from),
            group_members::valid_to.eq(m.valid_to),
        ))
        .returning(group_members::id)
        .get_result(conn)
}

/// Sets the last day of a membership.
pub fn end_member(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    last_day: NaiveDate,
) -> QueryResult<usize> {
    diesel::update(
        group_members::table
            .filter(group_members::school_id.eq(school_id))
            .filter(group_members::id.eq(id)),
    )
    .set(group_members::valid_to.eq(Some(last_day)))
    .execute(conn)
}

/// A membership of one enrolment row.
#[derive(Debug, Clone, Queryable)]
pub struct Membership {
    pub id: i64,
    pub group_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// The memberships of one enrolment row.
pub fn memberships_of_pupil(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<Membership>> {
    group_members::table
        .filter(group_members::school_id.eq(school_id))
        .filter(group_members::pupil_id.eq(pupil_id))
        .select((
            group_members::id,
            group_members::group_id,
            group_members::valid_from,
            group_members::valid_to,
        ))
        .load(conn)
}

/// Gives a membership to another enrolment row of the same pupil (class change).
pub fn move_member(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    pupil_id: i64,
) -> QueryResult<usize> {
    diesel::update(
        group_members::table
            .filter(group_members::school_id.eq(school_id))
            .filter(group_members::id.eq(id)),
    )
    .set(group_members::pupil_id.eq(pupil_id))
    .execute(conn)
}
