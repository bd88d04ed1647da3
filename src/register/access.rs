//! Who may see and document a lesson. The teacher (or the substitute, on that day only)
//! documents today's lesson with the first factor (class A); other dates, the class teacher's
//! and the headteacher's reading need step-up (class B). Anyone else gets 404, so guessed ids
//! reveal nothing.

use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, PendingElevation};
use crate::auth::roles::Role;
use crate::clock::school_today;
use crate::db::{DbConnection, register};
use crate::error::{AppError, AppResult};
use crate::register::plan::{self, Planned};
use crate::startup::AppState;
use chrono::NaiveDate;
use diesel::QueryResult;

/// A user's access to one lesson.
#[derive(Debug)]
pub struct LessonAccess {
    pub planned: Planned,
    pub can_write: bool,
    /// Present when the access needed (and got) step-up.
    pub elevation: Option<Elevation>,
    pub today: NaiveDate,
}

impl LessonAccess {
    /// True when the lesson is older than the school's lock period.
    pub fn locked(&self, lock_days: i32) -> bool {
        (self.today - self.planned.date).num_days() > i64::from(lock_days)
    }
}

/// What the access rules need to know of the user, taken from the request before the trip
/// to the database.
#[derive(Debug, Clone)]
pub struct Who {
    pub school_id: i64,
    pub user_id: i64,
    /// Holds a teaching role (Lehrkraft or Klassenlehrkraft) today.
    pub teaches: bool,
    pub headteacher: bool,
    pub today: NaiveDate,
    /// Present while the session is elevated.
    pub elevation: Option<PendingElevation>,
}

impl Who {
    pub fn of(user: &CurrentUser) -> Self {
        Who {
            school_id: user.school_id(),
            user_id: user.user.id,
            teaches: user.has(Role::Lehrkraft) || user.has(Role::Klassenlehrkraft),
            headteacher: user.has(Role::Schulleitung),
            today: school_today(user.now),
            elevation: user.pending_elevation(),
        }
    }
}

/// Why a lesson is not shown.
#[derive(Debug)]
pub enum Denied {
    /// The access needs step-up first.
    StepUp,
    /// 404 without an audit record (a substitute asking for another day).
    NotFound,
    /// 404 with an audit record of the refused access.
    Refused,
}

impl Denied {
    /// The error to answer with (auditing a refused access first).
    pub async fn into_error(
        self,
        state: &AppState,
        user: &CurrentUser,
        slot_id: i64,
        date: NaiveDate,
        next: &str,
    ) -> AppError {
        match self {
            Denied::StepUp => AppError::StepUpRequired {
                next: next.to_owned(),
            },
            Denied::NotFound => AppError::NotFound,
            Denied::Refused => refuse(state, user, slot_id, date).await,
        }
    }
}

/// Resolves what the user may do with slot `slot_id` on `date`, on a connection the caller
/// holds (so a handler needs one trip to the database for access and data). An elevation the
/// access needs is confirmed here too.
pub fn resolve_in(
    c: &mut DbConnection,
    who: &Who,
    slot_id: i64,
    date: NaiveDate,
) -> QueryResult<Result<LessonAccess, Denied>> {
    let today = who.today;
    let Some(planned) = plan::single(c, who.school_id, slot_id, date)? else {
        return Ok(Err(Denied::Refused));
    };
    let gives = planned.actual_teacher_id == who.user_id;
    if gives && who.teaches {
        if date == today {
            let elevation = match &who.elevation {
                Some(pending) => Some(pending.confirm(c)?),
                None => None,
            };
            return Ok(Ok(LessonAccess {
                planned,
                can_write: true,
                elevation,
                today,
            }));
        }
        // A substitute has that lesson on that day only.
        if planned.substituted {
            return Ok(Err(Denied::NotFound));
        }
        return elevated(c, who, planned, true);
    }
    let regular = planned.slot.teacher_id == who.user_id && who.teaches;
    if regular
        || who.headteacher
        || register::is_class_teacher(c, who.school_id, who.user_id, planned.slot.class_id, today)?
    {
        return elevated(c, who, planned, false);
    }
    Ok(Err(Denied::Refused))
}

/// Access that needs a live elevation.
fn elevated(
    c: &mut DbConnection,
    who: &Who,
    planned: Planned,
    can_write: bool,
) -> QueryResult<Result<LessonAccess, Denied>> {
    let Some(pending) = &who.elevation else {
        return Ok(Err(Denied::StepUp));
    };
    Ok(Ok(LessonAccess {
        planned,
        can_write,
        elevation: Some(pending.confirm(c)?),
        today: who.today,
    }))
}

/// Resolves what `user` may do with slot `slot_id` on `date` (one trip to the database).
pub async fn resolve(
    state: &AppState,
    user: &CurrentUser,
    slot_id: i64,
    date: NaiveDate,
    next: &str,
) -> AppResult<LessonAccess> {
    let who = Who::of(user);
    match state
        .db
        .run(move |c| resolve_in(c, &who, slot_id, date))
        .await?
    {
        Ok(access) => Ok(access),
        Err(denied) => Err(denied.into_error(state, user, slot_id, date, next).await),
    }
}

/// Audits a refused lesson access and answers 404, so guessed ids reveal nothing.
async fn refuse(state: &AppState, user: &CurrentUser, slot_id: i64, date: NaiveDate) -> AppError {
    let _ = user
        .event("zugriff_verweigert")
        .object(format!("stunde:{slot_id}:{date}"))
        .result("verweigert")
        .record(state)
        .await;
    AppError::NotFound
}
