//! Who may see and document a lesson. The teacher (or the substitute, on that day only)
//! documents today's lesson with the first factor (class A); other dates, the class teacher's
//! and the headteacher's reading need step-up (class B). Anyone else gets 404, so guessed ids
//! reveal nothing.

use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, require_elevation};
use crate::auth::roles::Role;
use crate::clock::school_today;
use crate::db::register;
use crate::error::{AppError, AppResult};
use crate::register::plan::{self, Planned};
use crate::startup::AppState;
use chrono::NaiveDate;

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

/// Resolves what `user` may do with slot `slot_id` on `date`.
pub async fn resolve(
    state: &AppState,
    user: &CurrentUser,
    slot_id: i64,
    date: NaiveDate,
    next: &str,
) -> AppResult<LessonAccess> {
    let school_id = user.school_id();
    let user_id = user.user.id;
    let today = school_today(user.now);
    let (planned, class_teacher) = state
        .db
        .run(move |c| {
            let p = plan::single(c, school_id, slot_id, date)?;
            let ct = match &p {
                Some(p) => {
                    register::is_class_teacher(c, school_id, user_id, p.slot.class_id, today)?
                }
                None => false,
            };
            Ok((p, ct))
        })
        .await?;
    let Some(planned) = planned else {
        return Err(refuse(state, user, slot_id, date).await);
    };
    let gives = planned.actual_teacher_id == user_id;
    let teaches = user.has(Role::Lehrkraft) || user.has(Role::Klassenlehrkraft);
    if gives && teaches {
        if date == today {
            let elevation = user.elevated.then(|| require_elevation(state, user, next));
            let elevation = match elevation {
                Some(f) => Some(f.await?),
                None => None,
            };
            return Ok(LessonAccess {
                planned,
                can_write: true,
                elevation,
                today,
            });
        }
        // A substitute has that lesson on that day only.
        if planned.substituted {
            return Err(AppError::NotFound);
        }
        let e = require_elevation(state, user, next).await?;
        return Ok(LessonAccess {
            planned,
            can_write: true,
            elevation: Some(e),
            today,
        });
    }
    let regular = planned.slot.teacher_id == user_id && teaches;
    if regular || class_teacher || user.has(Role::Schulleitung) {
        let e = require_elevation(state, user, next).await?;
        return Ok(LessonAccess {
            planned,
            can_write: false,
            elevation: Some(e),
            today,
        });
    }
    Err(refuse(state, user, slot_id, date).await)
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
