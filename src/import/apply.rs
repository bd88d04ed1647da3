//! The pipeline from decoded text to a plan ([`check`]), and the apply ([`apply`]): in one
//! write transaction the file is validated and compared again against the database as it
//! is then, and only a plan without problems is written. Nothing is written otherwise.

use super::mapping::{self, Overrides};
use super::plan::{self, Op, Plan, crypto_error};
use super::validate::{self, Context};
use super::{Kind, Problem, parse};
use crate::auth::roles::Role;
use crate::crypto::Keyring;
use crate::db::import as q;
use crate::db::pupils::{NewGuardian, ProfileChanges, add_guardian, save_profile};
use crate::db::structure::{self as st, NewClassTeacher};
use crate::db::timetable::create_subject;
use crate::db::{DbConnection, users, write_transaction};
use crate::sealed;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::QueryResult;

/// The school's own header names for `kind`.
pub fn overrides(conn: &mut DbConnection, school_id: i64, kind: Kind) -> QueryResult<Overrides> {
    Ok(q::mappings(conn, school_id)?
        .into_iter()
        .filter(|(k, _, _)| k == kind.slug())
        .map(|(_, field, header)| (field, header))
        .collect())
}

/// Parses, maps, validates and compares the decoded file `text`; reads only.
/// `progress` hears how many rows have been checked.
#[allow(clippy::too_many_arguments)]
pub fn check(
    conn: &mut DbConnection,
    school_id: i64,
    kind: Kind,
    file: &str,
    text: &str,
    today: NaiveDate,
    keys: &Keyring,
    progress: &dyn Fn(u64),
) -> QueryResult<Result<Plan, Vec<Problem>>> {
    let table = match parse::table(file, text) {
        Ok(t) => t,
        Err(p) => return Ok(Err(p)),
    };
    let overrides = overrides(conn, school_id, kind)?;
    let cols = match mapping::resolve(file, kind, &table, &overrides) {
        Ok(c) => c,
        Err(p) => return Ok(Err(p)),
    };
    let ctx = Context::load(conn, school_id)?;
    let records = match validate::records(file, kind, &table, &cols, &ctx, progress) {
        Ok(r) => r,
        Err(p) => return Ok(Err(p)),
    };
    plan::plan(conn, school_id, file, &records, today, keys)
}

/// With several databases: the new logins of `plan` that another database already has
/// (logins are unique across the installation; each database only knows its own). Blocks.
pub fn logins_taken_elsewhere(
    db: &crate::db::Db,
    school_id: i64,
    file: &str,
    plan: &Plan,
) -> Result<Vec<Problem>, crate::db::RunError> {
    let home = db.for_school(school_id);
    let mut problems = Vec::new();
    for other in db.all().into_iter().filter(|d| !d.is_same(&home)) {
        let mut conn = other.get()?;
        for change in &plan.changes {
            for op in &change.ops {
                if let Op::NewStaff { login, .. } = op
                    && users::find_by_login(&mut conn, login)?.is_some()
                {
                    problems.push(Problem::cell(
                        file,
                        change.line.unwrap_or(0),
                        "Anmeldename",
                        login,
                        plan::LOGIN_TAKEN,
                    ));
                }
            }
        }
    }
    Ok(problems)
}

/// Checks the file again and, if it has no problem, writes its plan — all in one write
/// transaction. Returns what was written, or the problems (and nothing written).
#[allow(clippy::too_many_arguments)]
pub fn apply(
    conn: &mut DbConnection,
    school_id: i64,
    kind: Kind,
    file: &str,
    text: &str,
    now: NaiveDateTime,
    today: NaiveDate,
    keys: &Keyring,
) -> QueryResult<Result<Plan, Vec<Problem>>> {
    write_transaction(conn, |c| {
        let plan = match check(c, school_id, kind, file, text, today, keys, &|_| {})? {
            Ok(plan) => plan,
            Err(problems) => return Ok(Err(problems)),
        };
        execute(c, school_id, &plan, now, today, keys)?;
        Ok(Ok(plan))
    })
}

fn seal(keys: &Keyring, column: &str, binding: i64, text: &str) -> QueryResult<String> {
    sealed::column("guardians", column)
        .ok_or(crate::crypto::CryptoError::Corrupt)
        .and_then(|c| c.seal(keys, binding, text))
        .map_err(crypto_error)
}

/// Seals `date` as the date of birth in the profile of enrolment row `pupil_id`.
fn set_birth(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    date: NaiveDate,
    now: NaiveDateTime,
    keys: &Keyring,
) -> QueryResult<()> {
    let sealed = sealed::column("pupil_profiles", "birth_date_enc")
        .ok_or(crate::crypto::CryptoError::Corrupt)
        .and_then(|c| c.seal(keys, pupil_id, &date.to_string()))
        .map_err(crypto_error)?;
    let changes = ProfileChanges {
        birth_date_enc: Some(Some(sealed)),
        ..ProfileChanges::default()
    };
    save_profile(conn, school_id, pupil_id, &changes, now)
}

/// Ends the memberships of an enrolment row that last beyond `last`.
fn end_memberships(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    last: NaiveDate,
) -> QueryResult<()> {
    for m in st::memberships_of_pupil(conn, school_id, pupil_id)? {
        if m.valid_to.is_none_or(|t| t > last) {
            st::end_member(conn, school_id, m.id, last.max(m.valid_from))?;
        }
    }
    Ok(())
}

/// Writes every operation of `plan`. Call inside a write transaction.
fn execute(
    conn: &mut DbConnection,
    school_id: i64,
    plan: &Plan,
    now: NaiveDateTime,
    today: NaiveDate,
    keys: &Keyring,
) -> QueryResult<()> {
    for op in plan.changes.iter().flat_map(|c| c.ops.iter()) {
        match op {
            Op::NewPupil(p, birth) => {
                let id = q::insert_pupil(conn, school_id, p)?;
                if let Some(date) = birth {
                    set_birth(conn, school_id, id, *date, now, keys)?;
                }
            }
            Op::SetBirth { pupil_id, date } => {
                set_birth(conn, school_id, *pupil_id, *date, now, keys)?;
            }
            Op::UpdatePupil { id, rec } => {
                q::update_pupil(conn, school_id, *id, rec)?;
                if let Some(last) = rec.enrolled_to {
                    end_memberships(conn, school_id, *id, last)?;
                }
            }
            Op::ChangeClass {
                id,
                last,
                new,
                birth,
            } => {
                st::end_enrolment(conn, school_id, *id, *last)?;
                end_memberships(conn, school_id, *id, *last)?;
                let new_id = q::insert_pupil(conn, school_id, new)?;
                if let Some(date) = birth {
                    set_birth(conn, school_id, new_id, *date, now, keys)?;
                }
            }
            Op::NewStaff {
                short,
                login,
                display_name,
            } => {
                let user = users::create(conn, school_id, login, display_name, now)?;
                q::update_staff(conn, school_id, user.id, display_name, true, short)?;
                users::assign_role(conn, school_id, user.id, Role::Lehrkraft, None)?;
            }
            Op::UpdateStaff {
                id,
                short,
                display_name,
                active,
            } => {
                q::update_staff(conn, school_id, *id, display_name, *active, short)?;
                if !active {
                    crate::db::sessions::delete_for_user(conn, school_id, *id, None)?;
                }
            }
            Op::NewClass {
                name,
                external_id,
                teacher,
            } => {
                let class_id = q::insert_class(conn, school_id, name, external_id.as_deref())?;
                if let Some(user_id) = teacher {
                    st::insert_class_teacher(
                        conn,
                        &NewClassTeacher {
                            school_id,
                            user_id: *user_id,
                            class_id,
                            valid_from: today,
                            valid_to: None,
                        },
                    )?;
                }
            }
            Op::UpdateClass {
                id,
                name,
                external_id,
            } => {
                q::update_class(conn, school_id, *id, name, external_id.as_deref())?;
            }
            Op::SetClassTeacher {
                class_id,
                user_id,
                end,
            } => {
                for a in end {
                    st::end_class_teacher(conn, school_id, *a, today - Duration::days(1))?;
                }
                st::insert_class_teacher(
                    conn,
                    &NewClassTeacher {
                        school_id,
                        user_id: *user_id,
                        class_id: *class_id,
                        valid_from: today,
                        valid_to: None,
                    },
                )?;
            }
            Op::NewSubject { short, name } => {
                create_subject(conn, school_id, short, name)?;
            }
            Op::RenameSubject { id, name } => {
                q::rename_subject(conn, school_id, *id, name)?;
            }
            Op::NewSlot(s) => {
                st::insert_slot(conn, s)?;
            }
            Op::EndSlot { id, last } => {
                st::end_slot(conn, school_id, *id, *last)?;
            }
            Op::SetRoom { id, room } => {
                q::set_slot_room(conn, school_id, *id, room)?;
            }
            Op::NewGuardian {
                pupil_id,
                name,
                relation,
                custody,
                contact,
            } => {
                let g = NewGuardian {
                    school_id,
                    pupil_id: *pupil_id,
                    name_enc: seal(keys, "name_enc", *pupil_id, name)?,
                    relation_enc: seal(keys, "relation_enc", *pupil_id, relation)?,
                    custody_enc: seal(keys, "custody_enc", *pupil_id, custody)?,
                    contact_enc: seal(keys, "contact_enc", *pupil_id, contact)?,
                    now,
                };
                add_guardian(conn, &g)?;
            }
            Op::UpdateGuardian {
                id,
                pupil_id,
                relation,
                custody,
                contact,
            } => {
                q::update_guardian(
                    conn,
                    school_id,
                    *id,
                    &seal(keys, "relation_enc", *pupil_id, relation)?,
                    &seal(keys, "custody_enc", *pupil_id, custody)?,
                    &seal(keys, "contact_enc", *pupil_id, contact)?,
                )?;
            }
        }
    }
    Ok(())
}
