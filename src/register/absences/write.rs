//! The writing actions of the absence page: recording a case (class teacher, office),
//! the excuse decision and the Attestpflicht (class teacher). Each validates first, then
//! writes the row and its change history in one transaction, then an audit record.

use super::form::{self, AttestForm, CaseForm, Excuse, ExcuseForm};
use super::{
    ClassAccess, ClassStaff, Submitted, fehlzeiten_path, forbid, note_purpose, open_class, refuse,
    render_page, window_start,
};
use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, RoleRule, require_elevation};
use crate::db::absences;
use crate::db::calendar::{self, NewAbsenceCase};
use crate::db::register::{self, Change};
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind};
use crate::web::see_other;
use crate::web::session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Path};
use chrono::NaiveDateTime;

async fn flash_ok(state: &AppState, user: &CurrentUser, text: &str) -> AppResult<()> {
    session::set_flash(
        state,
        &user.session,
        Flash {
            kind: FlashKind::Success,
            text: text.to_owned(),
        },
    )
    .await
}

/// Shows the page again with the problems of the form (422).
async fn invalid(
    state: &AppState,
    proof: &Elevation,
    user: &CurrentUser,
    acc: &ClassAccess,
    submitted: Submitted,
) -> AppResult<HttpResponse> {
    render_page(
        state,
        proof,
        user,
        acc,
        submitted,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// Who writes and when, for the change history: user id, assurance, time (UTC).
fn author(user: &CurrentUser) -> (i64, String, NaiveDateTime) {
    (
        user.user.id,
        user.assurance().to_owned(),
        user.now.naive_utc(),
    )
}

/// Opens the class for a decision of the class teacher (excuse, Attestpflicht) and asks for
/// the elevation; anyone else who may open the class is refused with `object` audited.
async fn open_to_decide(
    state: &AppState,
    user: &CurrentUser,
    class_id: i64,
    object: String,
) -> AppResult<(ClassAccess, Elevation)> {
    let acc = open_class(
        state,
        user,
        class_id,
        ClassAccess::may_open,
        "Klassenlehrkraft",
    )
    .await?;
    if !acc.may_decide() {
        // The office and the headteacher see the case but do not decide on it.
        return Err(forbid(state, user, object, "Klassenlehrkraft").await);
    }
    let proof = require_elevation(state, user, &fehlzeiten_path(class_id)).await?;
    Ok((acc, proof))
}

/// After a write: audits `action` with `detail` on the pupil, sets the flash message and
/// redirects to the class's absence page (PRG).
async fn recorded(
    state: &AppState,
    user: &CurrentUser,
    pupil_id: i64,
    class_id: i64,
    action: &str,
    detail: String,
    message: &str,
) -> AppResult<HttpResponse> {
    user.event(action)
        .object(format!("schueler:{pupil_id}"))
        .detail(detail)
        .record(state)
        .await?;
    flash_ok(state, user, message).await?;
    Ok(see_other(&fehlzeiten_path(class_id)))
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// `POST /klassen/{class_id}/fehlzeiten`: records an absence case (class teacher, office).
/// The note is encrypted before it reaches the database; case and history are written in
/// one transaction.
pub async fn record(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    form: Form<CaseForm>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let acc = open_class(
        &state,
        &user,
        class_id,
        ClassAccess::may_open,
        ClassStaff::DESCRIPTION,
    )
    .await?;
    if !acc.may_record() {
        let needed = "Klassenlehrkraft oder Sekretariat";
        return Err(forbid(&state, &user, format!("klasse:{class_id}"), needed).await);
    }
    let proof = require_elevation(&state, &user, &fehlzeiten_path(class_id)).await?;
    let f = form.into_inner();
    let (school_id, today) = (user.school_id(), acc.today);
    let pupils = state
        .db
        .run(move |c| {
            let since = window_start(&calendar::terms_of(c, school_id)?, today);
            absences::pupils_of_class_in(c, school_id, class_id, since, today)
        })
        .await?;
    let input = match form::parse_case(&f, &pupils) {
        Ok(input) => input,
        Err(errors) => {
            let submitted = Submitted {
                case: f,
                errors,
                ..Default::default()
            };
            return invalid(&state, &proof, &user, &acc, submitted).await;
        }
    };
    let note_enc = match &input.note {
        Some(note) => Some(
            state
                .keys
                .encrypt(&note_purpose(input.pupil_id), note.as_bytes())
                .map_err(internal)?,
        ),
        None => None,
    };
    let (user_id, assurance, now) = author(&user);
    let i = input.clone();
    let case_id = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                let id = calendar::create_absence_case(
                    c,
                    &NewAbsenceCase {
                        school_id,
                        pupil_id: i.pupil_id,
                        from_date: i.from,
                        to_date: i.to,
                        from_period: i.from_period,
                        to_period: i.to_period,
                        reason: i.reason.db(),
                        note_enc: note_enc.as_deref(),
                        excuse: Excuse::Offen.db(),
                        excuse_received_on: None,
                        created_by: user_id,
                        now,
                    },
                )?;
                register::record_changes(
                    c,
                    school_id,
                    user_id,
                    &assurance,
                    now,
                    None,
                    &creation_changes(id, &i),
                )?;
                Ok(id)
            })
        })
        .await?;
    let detail = format!("fall:{case_id}; klasse:{class_id}");
    recorded(
        &state,
        &user,
        input.pupil_id,
        class_id,
        "fehlzeit_erfasst",
        detail,
        "Fehlzeit erfasst.",
    )
    .await
}

fn opt_text<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The history rows of a new case. The note itself never goes into the (unencrypted)
/// history, only the fact that there is one.
fn creation_changes(case_id: i64, i: &form::CaseInput) -> Vec<Change> {
    let row = |field: &str, new_value: String| Change {
        entity: "absence",
        entity_id: case_id,
        field: field.to_owned(),
        old_value: String::new(),
        new_value,
    };
    let mut rows = vec![
        row("schueler", format!("schueler:{}", i.pupil_id)),
        row("von", i.from.to_string()),
        row("bis", i.to.to_string()),
        row("grund", i.reason.db().to_owned()),
        row("entschuldigung", Excuse::Offen.db().to_owned()),
    ];
    if i.from_period.is_some() {
        rows.push(row("ab_stunde", opt_text(i.from_period)));
    }
    if i.to_period.is_some() {
        rows.push(row("bis_stunde", opt_text(i.to_period)));
    }
    if i.note.is_some() {
        rows.push(row("notiz", "(vertraulich, verschlüsselt)".into()));
    }
    rows
}

/// `POST /fehlzeiten/{case_id}/entschuldigung`: the class teacher decides on the excuse.
pub async fn decide(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    form: Form<ExcuseForm>,
) -> AppResult<HttpResponse> {
    let case_id = path.into_inner();
    let school_id = user.school_id();
    let found = state
        .db
        .run(move |c| absences::case_with_class(c, school_id, case_id))
        .await?;
    let object = format!("fall:{case_id}");
    let Some((case, class_id)) = found else {
        return Err(refuse(&state, &user, object, "Klassenlehrkraft").await);
    };
    let (acc, proof) = open_to_decide(&state, &user, class_id, object).await?;
    let (excuse, received) = match form::parse_excuse(&form, case_id, acc.today) {
        Ok(v) => v,
        Err(errors) => {
            let submitted = Submitted {
                errors,
                ..Default::default()
            };
            return invalid(&state, &proof, &user, &acc, submitted).await;
        }
    };
    let (user_id, assurance, now) = author(&user);
    let changed = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                // Re-read inside the transaction so that old → new is what was replaced.
                let Some((old, _)) = absences::case_with_class(c, school_id, case_id)? else {
                    return Ok(false);
                };
                let mut rows = Vec::new();
                if old.excuse != excuse.db() {
                    rows.push(("entschuldigung", old.excuse.clone(), excuse.db().to_owned()));
                }
                if old.excuse_received_on != received {
                    rows.push((
                        "eingang_entschuldigung",
                        opt_text(old.excuse_received_on),
                        opt_text(received),
                    ));
                }
                if rows.is_empty() {
                    return Ok(false);
                }
                absences::set_excuse(c, school_id, case_id, excuse.db(), received)?;
                let changes: Vec<Change> = rows
                    .into_iter()
                    .map(|(field, old_value, new_value)| Change {
                        entity: "absence",
                        entity_id: case_id,
                        field: field.to_owned(),
                        old_value,
                        new_value,
                    })
                    .collect();
                register::record_changes(c, school_id, user_id, &assurance, now, None, &changes)?;
                Ok(true)
            })
        })
        .await?;
    if changed {
        let detail = format!("fall:{case_id}; klasse:{class_id}");
        return recorded(
            &state,
            &user,
            case.pupil_id,
            class_id,
            "entschuldigung_entschieden",
            detail,
            "Entschuldigung gespeichert.",
        )
        .await;
    }
    flash_ok(&state, &user, "Keine Änderung.").await?;
    Ok(see_other(&fehlzeiten_path(class_id)))
}

/// `POST /klassen/{class_id}/attestpflicht`: the class teacher sets an Attestpflicht with
/// start and end.
pub async fn attest(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    form: Form<AttestForm>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let (acc, proof) =
        open_to_decide(&state, &user, class_id, format!("klasse:{class_id}")).await?;
    let f = form.into_inner();
    let (school_id, today) = (user.school_id(), acc.today);
    let pupils = state
        .db
        .run(move |c| absences::pupils_of_class_in(c, school_id, class_id, today, today))
        .await?;
    let input = match form::parse_attest(&f, &pupils) {
        Ok(input) => input,
        Err(errors) => {
            let submitted = Submitted {
                attest: f,
                errors,
                ..Default::default()
            };
            return invalid(&state, &proof, &user, &acc, submitted).await;
        }
    };
    let (user_id, assurance, now) = author(&user);
    let id = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                let id = absences::insert_attest(
                    c,
                    school_id,
                    input.pupil_id,
                    input.from,
                    input.to,
                    user_id,
                    now,
                )?;
                let row = |field: &str, new_value: String| Change {
                    entity: "attest",
                    entity_id: id,
                    field: field.to_owned(),
                    old_value: String::new(),
                    new_value,
                };
                register::record_changes(
                    c,
                    school_id,
                    user_id,
                    &assurance,
                    now,
                    None,
                    &[
                        row("schueler", format!("schueler:{}", input.pupil_id)),
                        row("von", input.from.to_string()),
                        row("bis", input.to.to_string()),
                    ],
                )?;
                Ok(id)
            })
        })
        .await?;
    let detail = format!("attest:{id}; klasse:{class_id}");
    recorded(
        &state,
        &user,
        input.pupil_id,
        class_id,
        "attestpflicht_erfasst",
        detail,
        "Attestpflicht gespeichert.",
    )
    .await
}
