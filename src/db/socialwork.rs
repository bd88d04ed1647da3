//! Queries of school social work (`crate::socialwork`): which pupils a social worker looks
//! after and for how long (`social_work_assignments`), and the social workers of a school.
//! Every query takes the school id and joins only rows of that school, so an id of another
//! school finds nothing.

use super::DbConnection;
use super::schema::{
    classes, pupils, role_assignments as ra, social_work_assignments as swa, users,
};
use crate::auth::roles::Role;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// One assignment with the names the headteacher's page shows.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AssignmentRow {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub pupil_id: i64,
    pub surname: String,
    pub first_name: String,
    pub class_name: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

impl AssignmentRow {
    /// "Nachname, Vorname".
    pub fn pupil_name(&self) -> String {
        format!("{}, {}", self.surname, self.first_name)
    }

    /// Whether the assignment gives access on `date`.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|t| date <= t)
    }
}

macro_rules! assignment_query {
    ($school_id:expr) => {
        swa::table
            .inner_join(users::table.on(users::id.eq(swa::user_id)))
            .inner_join(pupils::table.on(pupils::id.eq(swa::pupil_id)))
            .inner_join(classes::table.on(classes::id.eq(pupils::class_id)))
            .filter(swa::school_id.eq($school_id))
            .filter(users::school_id.eq($school_id))
            .filter(pupils::school_id.eq($school_id))
            .filter(classes::school_id.eq($school_id))
            .select((
                swa::id,
                users::id,
                users::display_name,
                pupils::id,
                pupils::surname,
                pupils::first_name,
                classes::name,
                swa::valid_from,
                swa::valid_to,
            ))
    };
}

/// Every assignment of the school, by social worker, class, pupil and start.
pub fn assignments(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<AssignmentRow>> {
    assignment_query!(school_id)
        .order((
            users::display_name,
            classes::name,
            pupils::surname,
            pupils::first_name,
            swa::valid_from,
        ))
        .load(conn)
}

/// One assignment of this school (`None` for another school's).
pub fn assignment(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
) -> QueryResult<Option<AssignmentRow>> {
    assignment_query!(school_id)
        .filter(swa::id.eq(id))
        .first(conn)
        .optional()
}

/// The assignments of one social worker and one pupil (to find overlaps).
pub fn assignments_of(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    pupil_id: i64,
) -> QueryResult<Vec<AssignmentRow>> {
    assignment_query!(school_id)
        .filter(swa::user_id.eq(user_id))
        .filter(swa::pupil_id.eq(pupil_id))
        .order(swa::valid_from)
        .load(conn)
}

/// An assignment to store.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub school_id: i64,
    pub user_id: i64,
    pub pupil_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

/// Stores an assignment; returns its id.
pub fn insert(conn: &mut DbConnection, a: &NewAssignment) -> QueryResult<i64> {
    diesel::insert_into(swa::table)
        .values((
            swa::school_id.eq(a.school_id),
            swa::user_id.eq(a.user_id),
            swa::pupil_id.eq(a.pupil_id),
            swa::valid_from.eq(a.valid_from),
            swa::valid_to.eq(a.valid_to),
            swa::created_by.eq(a.created_by),
            swa::created_at.eq(a.created_at),
        ))
        .returning(swa::id)
        .get_result(conn)
}

/// Sets the last day of an assignment (the row stays as the record of who had access).
pub fn end(
    conn: &mut DbConnection,
    school_id: i64,
    id: i64,
    last_day: NaiveDate,
) -> QueryResult<usize> {
    diesel::update(
        swa::table
            .filter(swa::school_id.eq(school_id))
            .filter(swa::id.eq(id)),
    )
    .set(swa::valid_to.eq(Some(last_day)))
    .execute(conn)
}

/// A pupil assigned to a social worker on a day, with the enrolment and the class.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AssignedPupil {
    pub pupil_id: i64,
    pub surname: String,
    pub first_name: String,
    pub enrolled_from: NaiveDate,
    pub enrolled_to: Option<NaiveDate>,
    pub class_name: String,
    /// The last day of the assignment (the latest, if several overlap).
    pub valid_to: Option<NaiveDate>,
}

impl AssignedPupil {
    /// "Nachname, Vorname".
    pub fn name(&self) -> String {
        format!("{}, {}", self.surname, self.first_name)
    }
}

macro_rules! assigned_query {
    ($school_id:expr, $user_id:expr, $date:expr) => {
        swa::table
            .inner_join(pupils::table.on(pupils::id.eq(swa::pupil_id)))
            .inner_join(classes::table.on(classes::id.eq(pupils::class_id)))
            .filter(swa::school_id.eq($school_id))
            .filter(pupils::school_id.eq($school_id))
            .filter(classes::school_id.eq($school_id))
            .filter(swa::user_id.eq($user_id))
            .filter(swa::valid_from.le($date))
            .filter(swa::valid_to.is_null().or(swa::valid_to.ge($date)))
            .select((
                pupils::id,
                pupils::surname,
                pupils::first_name,
                pupils::enrolled_from,
                pupils::enrolled_to,
                classes::name,
                swa::valid_to,
            ))
    };
}

/// Keeps one row per pupil: the one whose assignment lasts longest.
fn one_per_pupil(mut rows: Vec<AssignedPupil>) -> Vec<AssignedPupil> {
    let mut out: Vec<AssignedPupil> = Vec::with_capacity(rows.len());
    for r in rows.drain(..) {
        match out.iter_mut().find(|o| o.pupil_id == r.pupil_id) {
            Some(o) => {
                let later = match (o.valid_to, r.valid_to) {
                    (Some(a), Some(b)) => b > a,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                if later {
                    o.valid_to = r.valid_to;
                }
            }
            None => out.push(r),
        }
    }
    out
}

/// The pupils assigned to `user_id` on `date`, by class and name.
pub fn assigned_on(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<AssignedPupil>> {
    let rows = assigned_query!(school_id, user_id, date)
        .order((
            classes::name,
            pupils::surname,
            pupils::first_name,
            pupils::id,
        ))
        .load(conn)?;
    Ok(one_per_pupil(rows))
}

/// Pupil `pupil_id` if it is assigned to `user_id` on `date` (`None` otherwise, and for a
/// pupil of another school).
pub fn assigned_pupil(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    pupil_id: i64,
    date: NaiveDate,
) -> QueryResult<Option<AssignedPupil>> {
    let rows = assigned_query!(school_id, user_id, date)
        .filter(pupils::id.eq(pupil_id))
        .load(conn)?;
    Ok(one_per_pupil(rows).into_iter().next())
}

/// A user who holds the social work role.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct SocialWorker {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

/// The users holding the role Schulsozialarbeit on `date` or later, by name.
pub fn social_workers_from(
    conn: &mut DbConnection,
    school_id: i64,
    date: NaiveDate,
) -> QueryResult<Vec<SocialWorker>> {
    let mut rows: Vec<SocialWorker> = ra::table
        .inner_join(users::table.on(users::id.eq(ra::user_id)))
        .filter(ra::school_id.eq(school_id))
        .filter(users::school_id.eq(school_id))
        .filter(ra::role.eq(Role::Schulsozialarbeit.as_str()))
        .filter(ra::valid_to.is_null().or(ra::valid_to.ge(date)))
        .order((users::display_name, users::id))
        .select((users::id, users::display_name, users::active))
        .load(conn)?;
    rows.dedup();
    Ok(rows)
}
