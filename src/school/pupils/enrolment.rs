//! Ending an enrolment (leaving the school) and changing class. Neither deletes anything:
//! the enrolment gets its last day, a class change adds a new enrolment from the next day,
//! and the pupil's group memberships end with the enrolment or go along to the new class.

use super::super::forms::{Check, FieldError, Input, de_date, end_row, hidden_id};
use super::super::{Done, Fields, Manager, Outcome, apply, finish};
use super::{again, pupil_path};
use crate::db::DbConnection;
use crate::db::structure::{self as st, NewMember, PupilRow};
use crate::db::timetable::create_pupil;
use crate::error::AppResult;
use crate::startup::AppState;
use actix_web::HttpResponse;
use actix_web::web::Data;
use chrono::{Duration, NaiveDate};
use diesel::QueryResult;

const MOVE_FIELDS: [&str; 3] = ["eintrag", "wechsel_klasse", "wechsel_ab"];

/// Problems with ending enrolment `p` on `last` (its last day), if any.
fn end_problem(p: &PupilRow, last: NaiveDate) -> Option<String> {
    if p.enrolled_to.is_some() {
        Some("die Einschreibung ist bereits beendet.".into())
    } else if last < p.enrolled_from {
        Some(format!(
            "liegt vor dem Beginn der Einschreibung ({}).",
            de_date(p.enrolled_from)
        ))
    } else {
        None
    }
}

/// Ends the pupil's memberships that last beyond `last`.
fn end_memberships(
    conn: &mut DbConnection,
    school_id: i64,
    pupil_id: i64,
    last: NaiveDate,
) -> QueryResult<usize> {
    let mut n = 0;
    for m in st::memberships_of_pupil(conn, school_id, pupil_id)? {
        if m.valid_to.is_none_or(|t| t > last) {
            n += st::end_member(conn, school_id, m.id, last)?;
        }
    }
    Ok(n)
}

/// `POST /schule/schueler/austritt`: ends the enrolment (and open memberships).
pub async fn leave(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let row = end_row(form.into_inner())?;
    let (id, input) = (row.id, row.input);
    let (Some(last), true) = (row.last, row.errors.is_empty()) else {
        return again(&state, user, id, input, row.errors).await;
    };
    let school_id = user.school_id();
    let k = row.key;
    let saved = apply(&state, user, move |conn| {
        let Some(p) = st::pupil(conn, school_id, id)? else {
            return Ok(Outcome::Foreign(format!("schueler:{id}")));
        };
        if let Some(problem) = end_problem(&p, last) {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                &k,
                format!("Feld »Letzter Tag«: {problem}"),
            )]));
        }
        st::end_enrolment(conn, school_id, id, last)?;
        let ended = end_memberships(conn, school_id, id, last)?;
        Ok(Outcome::Saved((p, ended)))
    })
    .await?;
    match saved {
        Ok((p, ended)) => {
            let done = Done {
                object: format!("schueler:{id}"),
                detail: format!(
                    "einschreibung beendet zum {last}; mitgliedschaften beendet={ended}"
                ),
                message: format!(
                    "Die Einschreibung von {} endet am {}.",
                    p.name(),
                    de_date(last)
                ),
            };
            finish(&state, user, done, &pupil_path(id)).await
        }
        Err(errors) => again(&state, user, id, input, errors).await,
    }
}

/// Moves the memberships of enrolment `old` to `new` from `first` (the first day in the
/// new class): later ones move whole, running ones are split at `first`.
fn carry_memberships(
    conn: &mut DbConnection,
    school_id: i64,
    old: i64,
    new: i64,
    first: NaiveDate,
) -> QueryResult<()> {
    for m in st::memberships_of_pupil(conn, school_id, old)? {
        if m.valid_from >= first {
            st::move_member(conn, school_id, m.id, new)?;
        } else if m.valid_to.is_none_or(|t| t >= first) {
            st::end_member(conn, school_id, m.id, first - Duration::days(1))?;
            st::insert_member(
                conn,
                &NewMember {
                    school_id,
                    group_id: m.group_id,
                    pupil_id: new,
                    valid_from: first,
                    valid_to: m.valid_to,
                },
            )?;
        }
    }
    Ok(())
}

/// `POST /schule/schueler/klassenwechsel`: ends the enrolment `eintrag` the day before and
/// enrols the pupil in the new class; group memberships go along.
pub async fn change_class(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &MOVE_FIELDS);
    let id = hidden_id(&input, "eintrag")?;
    let mut c = Check::new(&input);
    let class_id = c.id("wechsel_klasse", "Neue Klasse");
    let first = c.date("wechsel_ab", "Erster Tag in der neuen Klasse");
    let (Some(class_id), Some(first), true) = (class_id, first, c.is_ok()) else {
        let errors = c.errors;
        return again(&state, user, id, input, errors).await;
    };
    let school_id = user.school_id();
    let saved = apply(&state, user, move |conn| {
        let Some(p) = st::pupil(conn, school_id, id)? else {
            return Ok(Outcome::Foreign(format!("schueler:{id}")));
        };
        let Some(class) = st::class(conn, school_id, class_id)? else {
            return Ok(Outcome::Foreign(format!("klasse:{class_id}")));
        };
        let last = first - Duration::days(1);
        let mut errors = Vec::new();
        if class.id == p.class_id {
            errors.push(FieldError::new(
                "wechsel_klasse",
                format!("Feld »Neue Klasse«: {} ist bereits in der Klasse {}.", p.name(), class.name),
            ));
        }
        if p.enrolled_to.is_some() {
            errors.push(FieldError::new(
                "wechsel_klasse",
                "Feld »Neue Klasse«: diese Einschreibung ist bereits beendet.".into(),
            ));
        } else if first <= p.enrolled_from {
            errors.push(FieldError::new(
                "wechsel_ab",
                format!(
                    "Feld »Erster Tag in der neuen Klasse«: muss nach dem Beginn der bisherigen Einschreibung ({}) liegen.",
                    de_date(p.enrolled_from)
                ),
            ));
        }
        if !errors.is_empty() {
            return Ok(Outcome::Invalid(errors));
        }
        st::end_enrolment(conn, school_id, id, last)?;
        let new_id = create_pupil(conn, school_id, class_id, &p.surname, &p.first_name, first)?;
        carry_memberships(conn, school_id, id, new_id, first)?;
        Ok(Outcome::Saved((new_id, p.name(), class.name)))
    })
    .await?;
    match saved {
        Ok((new_id, name, class)) => {
            let done = Done {
                object: format!("schueler:{id}"),
                detail: format!(
                    "klassenwechsel ab {first}: neue einschreibung schueler:{new_id} in klasse:{class_id}"
                ),
                message: format!("{name} ist ab {} in der Klasse {class}.", de_date(first)),
            };
            finish(&state, user, done, &pupil_path(new_id)).await
        }
        Err(errors) => again(&state, user, id, input, errors).await,
    }
}
