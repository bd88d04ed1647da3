//! Queries of the sensitive pupil data (class B): profile, photo, guardians, health codes,
//! support measures, conduct notes and the teachers' notebooks, plus the facts that decide a
//! user's scope for one pupil. Values of `*_enc` columns are ciphertext here; sealing and
//! opening happen in `crate::pupils`. Every query takes the school id; every function that
//! returns class B data takes the [`Elevation`](crate::auth::extract::Elevation) proof, so a forgotten step-up does not compile.

mod guardians;
mod notes;
mod profile;
mod support;

pub use guardians::*;
pub use notes::*;
pub use profile::*;
pub use support::*;

use super::DbConnection;
use super::register::{self, Change};
use super::schema::{classes, conduct_notes, group_members, pupils, timetable_slots};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Name, class and enrolment of a pupil: what every pupil page shows first.
#[derive(Debug, Clone, Queryable)]
pub struct PupilHead {
    pub id: i64,
    pub class_id: i64,
    pub class_name: String,
    pub surname: String,
    pub first_name: String,
    pub enrolled_from: NaiveDate,
    pub enrolled_to: Option<NaiveDate>,
}

impl PupilHead {
    pub fn name(&self) -> String {
        format!("{}, {}", self.surname, self.first_name)
    }

    pub fn enrolled_on(&self, day: NaiveDate) -> bool {
        self.enrolled_from <= day && self.enrolled_to.is_none_or(|t| t >= day)
    }
}

/// A pupil of this school (`None` for another school's pupil or an unknown id).
pub fn head(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Option<PupilHead>> {
    pupils::table
        .inner_join(classes::table)
        .filter(pupils::school_id.eq(school_id))
        .filter(pupils::id.eq(pupil_id))
        .select((
            pupils::id,
            pupils::class_id,
            classes::name,
            pupils::surname,
            pupils::first_name,
            pupils::enrolled_from,
            pupils::enrolled_to,
        ))
        .first(conn)
        .optional()
}

/// The teaching groups `pupil_id` belongs to on `day`.
fn groups_of_pupil(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    day: NaiveDate,
) -> QueryResult<Vec<i64>> {
    group_members::table
        .filter(group_members::school_id.eq(school_id))
        .filter(group_members::pupil_id.eq(pupil_id))
        .filter(group_members::valid_from.le(day))
        .filter(
            group_members::valid_to
                .is_null()
                .or(group_members::valid_to.ge(day)),
        )
        .select(group_members::group_id)
        .load(conn)
}

/// The subjects in which `teacher_id` teaches `pupil` by a timetable slot valid on `day`: a
/// slot of the pupil's class without a group, or a slot of a group the pupil belongs to.
/// Empty if the teacher does not teach the pupil.
pub fn subjects_taught(
    conn: &mut DbConnection,
    school_id: i64,
    teacher_id: i64,
    pupil: &PupilHead,
    day: NaiveDate,
) -> QueryResult<Vec<i64>> {
    let valid = timetable_slots::valid_from.le(day).and(
        timetable_slots::valid_to
            .is_null()
            .or(timetable_slots::valid_to.ge(day)),
    );
    let mut out: Vec<i64> = timetable_slots::table
        .filter(timetable_slots::school_id.eq(school_id))
        .filter(timetable_slots::teacher_id.eq(teacher_id))
        .filter(valid)
        .filter(timetable_slots::group_id.is_null())
        .filter(timetable_slots::class_id.eq(pupil.class_id))
        .select(timetable_slots::subject_id)
        .load(conn)?;
    let groups = groups_of_pupil(conn, school_id, pupil.id, day)?;
    if !groups.is_empty() {
        let valid = timetable_slots::valid_from.le(day).and(
            timetable_slots::valid_to
                .is_null()
                .or(timetable_slots::valid_to.ge(day)),
        );
        let by_group: Vec<i64> = timetable_slots::table
            .filter(timetable_slots::school_id.eq(school_id))
            .filter(timetable_slots::teacher_id.eq(teacher_id))
            .filter(valid)
            .filter(timetable_slots::group_id.eq_any(groups))
            .select(timetable_slots::subject_id)
            .load(conn)?;
        out.extend(by_group);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A pupil of one of a teacher's lessons.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct TaughtPupil {
    pub id: i64,
    pub surname: String,
    pub first_name: String,
    pub class_id: i64,
    pub class_name: String,
}

/// The pupils enrolled on `day` in the classes and groups of `teacher_id`'s slots valid on
/// `day`, by class and name.
pub fn taught_pupils(
    conn: &mut DbConnection,
    school_id: i64,
    teacher_id: i64,
    day: NaiveDate,
) -> QueryResult<Vec<TaughtPupil>> {
    let slots: Vec<(i64, Option<i64>)> = timetable_slots::table
        .filter(timetable_slots::school_id.eq(school_id))
        .filter(timetable_slots::teacher_id.eq(teacher_id))
        .filter(timetable_slots::valid_from.le(day))
        .filter(
            timetable_slots::valid_to
                .is_null()
                .or(timetable_slots::valid_to.ge(day)),
        )
        .select((timetable_slots::class_id, timetable_slots::group_id))
        .load(conn)?;
    let class_ids: Vec<i64> = slots
        .iter()
        .filter(|s| s.1.is_none())
        .map(|s| s.0)
        .collect();
    let group_ids: Vec<i64> = slots.iter().filter_map(|s| s.1).collect();
    let enrolled = pupils::enrolled_from.le(day).and(
        pupils::enrolled_to
            .is_null()
            .or(pupils::enrolled_to.ge(day)),
    );
    let columns = (
        pupils::id,
        pupils::surname,
        pupils::first_name,
        pupils::class_id,
        classes::name,
    );
    let mut out: Vec<TaughtPupil> = if class_ids.is_empty() {
        Vec::new()
    } else {
        pupils::table
            .inner_join(classes::table)
            .filter(pupils::school_id.eq(school_id))
            .filter(pupils::class_id.eq_any(&class_ids))
            .filter(enrolled)
            .select(columns)
            .load(conn)?
    };
    if !group_ids.is_empty() {
        let enrolled = pupils::enrolled_from.le(day).and(
            pupils::enrolled_to
                .is_null()
                .or(pupils::enrolled_to.ge(day)),
        );
        let members: Vec<TaughtPupil> = pupils::table
            .inner_join(classes::table)
            .inner_join(group_members::table)
            .filter(pupils::school_id.eq(school_id))
            .filter(group_members::school_id.eq(school_id))
            .filter(group_members::group_id.eq_any(&group_ids))
            .filter(group_members::valid_from.le(day))
            .filter(
                group_members::valid_to
                    .is_null()
                    .or(group_members::valid_to.ge(day)),
            )
            .filter(enrolled)
            .select(columns)
            .load(conn)?;
        out.extend(members);
    }
    out.sort_by(|a, b| {
        (&a.class_name, &a.surname, &a.first_name, a.id).cmp(&(
            &b.class_name,
            &b.surname,
            &b.first_name,
            b.id,
        ))
    });
    out.dedup();
    Ok(out)
}

/// Whether `author_id` wrote at least one conduct note about `pupil_id`.
pub fn has_own_conduct_notes(
    conn: &mut DbConnection,
    school_id: i64,
    author_id: i64,
    pupil_id: i64,
) -> QueryResult<bool> {
    let n: i64 = conduct_notes::table
        .filter(conduct_notes::school_id.eq(school_id))
        .filter(conduct_notes::pupil_id.eq(pupil_id))
        .filter(conduct_notes::author_id.eq(author_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The marker that stands for a class B value in the (unencrypted) change history.
pub const SEALED_MARKER: &str = "[verschlüsselt]";

/// One change of a pupil's data group for the history: whether a value was there before and
/// is there after. The values themselves never go into the history.
#[derive(Debug, Clone)]
pub struct PupilChange {
    pub school_id: i64,
    pub pupil_id: i64,
    pub user_id: i64,
    pub assurance: String,
    pub at: NaiveDateTime,
    /// `DataGroup::key()`.
    pub group: &'static str,
    pub had_value: bool,
    pub has_value: bool,
}

pub fn record_change(conn: &mut DbConnection, c: &PupilChange) -> QueryResult<()> {
    let marker = |set: bool| {
        if set {
            SEALED_MARKER.to_owned()
        } else {
            String::new()
        }
    };
    register::record_changes(
        conn,
        c.school_id,
        c.user_id,
        &c.assurance,
        c.at,
        None,
        &[Change {
            entity: "pupil",
            entity_id: c.pupil_id,
            field: c.group.to_owned(),
            old_value: marker(c.had_value),
            new_value: marker(c.has_value),
        }],
    )
}
