//! The difference between a validated file and the database: what is new, what changes,
//! who leaves. A plan is computed for the preview and again, inside the write transaction,
//! for the apply, so it always describes the database it is applied to. Importing the
//! same file twice gives an empty plan the second time.
//!
//! Matching (docs/import/README.md): pupils by the school software's id (`Schüler-ID`),
//! else by surname and first name; staff by short name (`Kürzel`), else by login; classes by
//! `Klassen-ID`, else by name; subjects by short name; timetable slots by class, weekday,
//! period, subject and teacher; guardians by pupil id and name.

mod people;
mod structure;

use super::Problem;
use super::validate::Records;
use crate::crypto::Keyring;
use crate::db::DbConnection;
use crate::db::import::NewPupilRecord;
use crate::db::structure::NewSlotRow;
use chrono::{Duration, NaiveDate};
use diesel::QueryResult;

/// How a change shows in the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    New,
    Changed,
    Leaving,
}

impl Effect {
    pub fn label(self) -> &'static str {
        match self {
            Effect::New => "neu",
            Effect::Changed => "geändert",
            Effect::Leaving => "nicht mehr in der Datei",
        }
    }
}

/// One write of the plan.
#[derive(Debug, Clone)]
pub enum Op {
    /// A new enrolment row, with the date of birth for its profile.
    NewPupil(NewPupilRecord, Option<NaiveDate>),
    /// Seals a date of birth into the profile of an enrolment row.
    SetBirth {
        pupil_id: i64,
        date: NaiveDate,
    },
    /// Names, last day, stable id and (for a row that starts today or later) the class.
    UpdatePupil {
        id: i64,
        rec: NewPupilRecord,
    },
    /// Ends the enrolment on `last` and enrols in the new class from the next day.
    ChangeClass {
        id: i64,
        last: NaiveDate,
        new: NewPupilRecord,
        birth: Option<NaiveDate>,
    },
    NewStaff {
        short: String,
        login: String,
        display_name: String,
    },
    UpdateStaff {
        id: i64,
        short: String,
        display_name: String,
        active: bool,
    },
    NewClass {
        name: String,
        external_id: Option<String>,
        teacher: Option<i64>,
    },
    UpdateClass {
        id: i64,
        name: String,
        external_id: Option<String>,
    },
    SetClassTeacher {
        class_id: i64,
        user_id: i64,
        end: Vec<i64>,
    },
    NewSubject {
        short: String,
        name: String,
    },
    RenameSubject {
        id: i64,
        name: String,
    },
    NewSlot(NewSlotRow),
    EndSlot {
        id: i64,
        last: NaiveDate,
    },
    SetRoom {
        id: i64,
        room: String,
    },
    NewGuardian {
        pupil_id: i64,
        name: String,
        relation: String,
        custody: String,
        contact: String,
    },
    UpdateGuardian {
        id: i64,
        pupil_id: i64,
        relation: String,
        custody: String,
        contact: String,
    },
}

/// One line of the preview and its write(s).
#[derive(Debug, Clone)]
pub struct Change {
    pub effect: Effect,
    /// The line of the file, if the change comes from one.
    pub line: Option<u64>,
    pub text: String,
    pub ops: Vec<Op>,
}

/// Everything an import would change.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Data rows in the file.
    pub rows: usize,
    pub changes: Vec<Change>,
}

impl Plan {
    pub fn count(&self, effect: Effect) -> usize {
        self.changes.iter().filter(|c| c.effect == effect).count()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    fn push(&mut self, effect: Effect, line: Option<u64>, text: String, ops: Vec<Op>) {
        self.changes.push(Change {
            effect,
            line,
            text,
            ops,
        });
    }
}

/// `TT.MM.JJJJ`, or `–` for none.
pub fn de(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "–".to_owned(), |d| d.format("%d.%m.%Y").to_string())
}

/// The last day of an enrolment or slot that ends with this import: yesterday. One that
/// would only start today or later is thereby withdrawn (its last day lies before its
/// first), so a re-import finds it ended and changes nothing.
pub(super) fn last_day(today: NaiveDate, _from: NaiveDate) -> NaiveDate {
    today - Duration::days(1)
}

pub(crate) fn crypto_error(e: crate::crypto::CryptoError) -> diesel::result::Error {
    diesel::result::Error::SerializationError(Box::new(e))
}

/// The problem text of a new login that is already taken (in this or another database).
pub const LOGIN_TAKEN: &str =
    "ist bereits vergeben; bitte in der Spalte »Anmeldename« einen anderen angeben.";

/// Compares `records` with the school's data as of `today`. Problems that only the
/// database shows (a login taken by another school, a class name in use) come back as
/// `Err`.
pub fn plan(
    conn: &mut DbConnection,
    school_id: i64,
    file: &str,
    records: &Records,
    today: NaiveDate,
    keys: &Keyring,
) -> QueryResult<Result<Plan, Vec<Problem>>> {
    let mut plan = Plan {
        rows: records.len(),
        ..Plan::default()
    };
    let problems = match records {
        Records::Pupils(v) => people::pupils(conn, school_id, v, today, keys, &mut plan)?,
        Records::Staff(v) => people::staff(conn, school_id, file, v, &mut plan)?,
        Records::Classes(v) => structure::classes(conn, school_id, file, v, today, &mut plan)?,
        Records::Subjects(v) => structure::subjects(conn, school_id, v, &mut plan)?,
        Records::Timetable(v) => structure::timetable(conn, school_id, v, today, &mut plan)?,
        Records::Guardians(v) => people::guardians(conn, school_id, v, keys, &mut plan)?,
    };
    Ok(if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    })
}
