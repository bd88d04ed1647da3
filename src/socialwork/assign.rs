//! The headteacher assigns pupils to a school social worker for a period and ends
//! assignments (`/verwaltung/sozialarbeit`, Schulleitung with step-up). Ids of the form are
//! checked against the session's school (another school's id is 404, audited); every change
//! is audited. Nothing is deleted: ending an assignment sets its last day, so the record of
//! who had access stays.

use crate::auth::CurrentUser;
use crate::auth::Elevated;
use crate::auth::extract::Headteacher;
use crate::auth::roles::Role;
use crate::db::socialwork::{self as sw, AssignmentRow, NewAssignment};
use crate::db::structure as st;
use crate::error::AppResult;
use crate::school::forms::{
    Check, FieldError, FormState, Input, date_input, de_date, de_span, end_form, end_row,
    error_summary, select_input,
};
use crate::school::{Fields, Outcome, apply, options, status_for};
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind, Page, csrf_field};
use crate::web::{see_other, session};
use actix_web::HttpResponse;
use actix_web::web::Data;
use chrono::{Duration, NaiveDate};
use maud::{Markup, html};

pub const PATH: &str = "/verwaltung/sozialarbeit";
pub const END_PATH: &str = "/verwaltung/sozialarbeit/beenden";
const FIELDS: [&str; 4] = ["sa_fachkraft", "sa_schueler", "sa_von", "sa_bis"];

/// The extractor of these pages.
pub type Head = Elevated<Headteacher>;

fn today(user: &CurrentUser) -> NaiveDate {
    crate::clock::school_today(user.now)
}

fn defaults(user: &CurrentUser) -> FormState {
    FormState::with_defaults(&[("sa_von", today(user).to_string())])
}

/// "gültig", "geplant" or "beendet" on `today`.
fn status(a: &AssignmentRow, today: NaiveDate) -> &'static str {
    if a.valid_on(today) {
        "gültig"
    } else if a.valid_from > today {
        "geplant"
    } else {
        "beendet"
    }
}

fn span(a: &AssignmentRow) -> String {
    match a.valid_to {
        Some(t) if t < a.valid_from => format!("widerrufen vor Beginn ({})", de_date(a.valid_from)),
        _ => de_span(Some(a.valid_from), a.valid_to),
    }
}

fn table(rows: &[AssignmentRow], fs: &FormState, csrf: &str, today: NaiveDate) -> Markup {
    html! {
        table.assignments {
            thead { tr {
                th scope="col" { "Schulsozialarbeit" }
                th scope="col" { "Schülerin/Schüler" }
                th scope="col" { "Klasse" }
                th scope="col" { "Zeitraum" }
                th scope="col" { "Status" }
                th scope="col" { "Beenden" }
            } }
            tbody {
                @for a in rows {
                    tr data-id=(a.id) {
                        td { (a.user_name) }
                        th scope="row" { (a.pupil_name()) }
                        td { (a.class_name) }
                        td.valid { (span(a)) }
                        td.status { (status(a, today)) }
                        td { @if a.valid_to.is_none_or(|t| t >= today) {
                            (end_form(fs, csrf, END_PATH, a.id, &format!("Zuweisung von {} beenden", a.pupil_name())))
                        } }
                    }
                }
            }
        }
    }
}

async fn render(state: &AppState, user: &CurrentUser, fs: FormState) -> AppResult<HttpResponse> {
    let (school_id, today) = (user.school_id(), today(user));
    let (rows, workers, pupils) = state
        .db
        .run(move |c| {
            Ok((
                sw::assignments(c, school_id)?,
                sw::social_workers_from(c, school_id, today)?,
                st::pupils(c, school_id, None)?,
            ))
        })
        .await?;
    user.event("sozialarbeit_zuweisungen_angezeigt")
        .detail(format!("zuweisungen={}", rows.len()))
        .record(state)
        .await?;
    let csrf = user.session.csrf();
    let worker_options = options(
        workers
            .iter()
            .filter(|w| w.active)
            .map(|w| (w.id, w.name.as_str())),
    );
    let pupil_labels: Vec<(i64, String)> = pupils
        .iter()
        .filter(|p| p.enrolled_to.is_none_or(|t| t >= today))
        .map(|p| (p.id, format!("{} ({})", p.name(), p.class_name)))
        .collect();
    let pupil_options = options(pupil_labels.iter().map(|(id, l)| (*id, l.as_str())));
    let body = html! {
        (error_summary(&fs))
        p { "Schulsozialarbeit sieht nach dem zweiten Faktor nur Name, Klasse und den \
             Fehlzeiten-Überblick (Fehlstunden je Halbjahr und Woche, entschuldigt, unentschuldigt, \
             offen) der Schülerinnen und Schüler, die ihr hier für einen Zeitraum zugewiesen sind. \
             Mit dem letzten Tag endet der Zugriff." }
        h2 { "Zuweisungen" }
        @if rows.is_empty() { p { "Noch keine Zuweisung." } } @else { (table(&rows, &fs, csrf, today)) }
        h2 { "Schülerin oder Schüler zuweisen" }
        @if worker_options.is_empty() {
            p { "Kein aktives Konto hat die Rolle Schulsozialarbeit. Legen Sie es unter "
                a href="/verwaltung/benutzer" { "Benutzer" } " an." }
        } @else {
            form.stack method="post" action=(PATH) {
                (csrf_field(csrf))
                (select_input(&fs, "sa_fachkraft", "Schulsozialarbeit", &worker_options, None))
                (select_input(&fs, "sa_schueler", "Schülerin oder Schüler", &pupil_options, None))
                (date_input(&fs, "sa_von", "Von", true))
                (date_input(&fs, "sa_bis", "Bis", false))
                button type="submit" { "Zuweisen" }
            }
        }
    };
    let flash = session::take_flash(state, &user.session).await?;
    let page = Page::new("Schulsozialarbeit: Zuweisungen")
        .nav(user.nav())
        .flash(flash)
        .render(body);
    Ok(HttpResponse::build(status_for(&fs.errors))
        .content_type("text/html; charset=utf-8")
        .body(page.into_string()))
}

async fn again(
    state: &AppState,
    user: &CurrentUser,
    input: Input,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    render(state, user, defaults(user).submitted(input, errors)).await
}

/// Audits a change, sets the flash message and goes back to the page.
async fn done(
    state: &AppState,
    user: &CurrentUser,
    action: &str,
    object: String,
    detail: String,
    message: String,
) -> AppResult<HttpResponse> {
    user.event(action)
        .object(object)
        .detail(detail)
        .record(state)
        .await?;
    let flash = Flash {
        kind: FlashKind::Success,
        text: message,
    };
    session::set_flash(state, &user.session, flash).await?;
    Ok(see_other(PATH))
}

/// `GET /verwaltung/sozialarbeit`.
pub async fn page(state: Data<AppState>, head: Head) -> AppResult<HttpResponse> {
    render(&state, &head.user, defaults(&head.user)).await
}

/// `POST /verwaltung/sozialarbeit`: assigns a pupil to a social worker for a period.
pub async fn create(state: Data<AppState>, head: Head, form: Fields) -> AppResult<HttpResponse> {
    let user = &head.user;
    let input = Input::new(form.into_inner(), &FIELDS);
    let mut c = Check::new(&input);
    let worker_id = c.id("sa_fachkraft", "Schulsozialarbeit");
    let pupil_id = c.id("sa_schueler", "Schülerin oder Schüler");
    let from = c.date("sa_von", "Von");
    let to = c.optional_date("sa_bis", "Bis");
    c.order(from, to, "sa_bis", "Bis", "Von");
    let (Some(worker_id), Some(pupil_id), Some(from), true) =
        (worker_id, pupil_id, from, c.is_ok())
    else {
        let errors = c.errors;
        return again(&state, user, input, errors).await;
    };
    let (school_id, by, now) = (user.school_id(), user.user.id, user.now.naive_utc());
    let saved = apply(&state, user, move |conn| {
        let Some(worker) = st::staff_member(conn, school_id, worker_id)? else {
            return Ok(Outcome::Foreign(format!("benutzer:{worker_id}")));
        };
        let Some(pupil) = st::pupil(conn, school_id, pupil_id)? else {
            return Ok(Outcome::Foreign(format!("schueler:{pupil_id}")));
        };
        let mut errors = Vec::new();
        let holds_role = sw::social_workers_from(conn, school_id, from)?
            .iter()
            .any(|w| w.id == worker_id);
        if !holds_role {
            errors.push(FieldError::new(
                "sa_fachkraft",
                format!(
                    "Feld »Schulsozialarbeit«: {} hat die Rolle {} nicht.",
                    worker.name,
                    Role::Schulsozialarbeit.label()
                ),
            ));
        } else if !worker.active {
            errors.push(FieldError::new(
                "sa_fachkraft",
                format!(
                    "Feld »Schulsozialarbeit«: das Konto von {} ist deaktiviert.",
                    worker.name
                ),
            ));
        }
        if let Some(left) = pupil.enrolled_to.filter(|t| *t < from) {
            errors.push(FieldError::new(
                "sa_schueler",
                format!(
                    "Feld »Schülerin oder Schüler«: {} ist seit {} nicht mehr eingeschrieben.",
                    pupil.name(),
                    de_date(left + Duration::days(1))
                ),
            ));
        }
        let clash = sw::assignments_of(conn, school_id, worker_id, pupil_id)?
            .into_iter()
            .find(|a| {
                a.valid_to.is_none_or(|t| t >= a.valid_from)
                    && st::overlaps(a.valid_from, a.valid_to, from, to)
            });
        if let Some(a) = clash {
            errors.push(FieldError::new(
                "sa_von",
                format!(
                    "Feld »Von«: {} ist {} in diesem Zeitraum bereits zugewiesen ({}).",
                    pupil.name(),
                    worker.name,
                    span(&a)
                ),
            ));
        }
        if !errors.is_empty() {
            return Ok(Outcome::Invalid(errors));
        }
        let id = sw::insert(
            conn,
            &NewAssignment {
                school_id,
                user_id: worker_id,
                pupil_id,
                valid_from: from,
                valid_to: to,
                created_by: by,
                created_at: now,
            },
        )?;
        Ok(Outcome::Saved((id, worker.name, pupil.name())))
    })
    .await?;
    match saved {
        Ok((id, worker, pupil)) => {
            let until = to.map_or_else(|| "offen".to_owned(), |t| t.to_string());
            done(
                &state,
                user,
                "sozialarbeit_zugewiesen",
                format!("zuweisung:{id}"),
                format!("benutzer:{worker_id}; schueler:{pupil_id}; {from} bis {until}"),
                format!("{pupil} ist {worker} ab {} zugewiesen.", de_date(from)),
            )
            .await
        }
        Err(errors) => again(&state, user, input, errors).await,
    }
}

/// `POST /verwaltung/sozialarbeit/beenden`: sets the last day of an assignment. The day
/// before its first day withdraws an assignment that has not begun.
pub async fn end(state: Data<AppState>, head: Head, form: Fields) -> AppResult<HttpResponse> {
    let user = &head.user;
    let row = end_row(form.into_inner())?;
    let (Some(last), true) = (row.last, row.errors.is_empty()) else {
        return again(&state, user, row.input, row.errors).await;
    };
    let (school_id, id, key) = (user.school_id(), row.id, row.key.clone());
    let saved = apply(&state, user, move |conn| {
        let Some(a) = sw::assignment(conn, school_id, id)? else {
            return Ok(Outcome::Foreign(format!("zuweisung:{id}")));
        };
        let problem = match a.valid_to {
            Some(t) if t <= last => Some(format!("die Zuweisung endet bereits am {}.", de_date(t))),
            _ if last < a.valid_from - Duration::days(1) => Some(format!(
                "liegt vor dem Beginn ({}); zum Widerrufen den Vortag angeben.",
                de_date(a.valid_from)
            )),
            _ => None,
        };
        if let Some(p) = problem {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                &key,
                format!("Feld »Letzter Tag«: {p}"),
            )]));
        }
        sw::end(conn, school_id, id, last)?;
        Ok(Outcome::Saved(a))
    })
    .await?;
    match saved {
        Ok(a) => {
            done(
                &state,
                user,
                "sozialarbeit_zuweisung_beendet",
                format!("zuweisung:{id}"),
                format!(
                    "benutzer:{}; schueler:{}; letzter Tag {last}",
                    a.user_id, a.pupil_id
                ),
                format!(
                    "Die Zuweisung von {} an {} endet am {}.",
                    a.pupil_name(),
                    a.user_name,
                    de_date(last)
                ),
            )
            .await
        }
        Err(errors) => again(&state, user, row.input, errors).await,
    }
}
