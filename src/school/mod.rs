//! School structure and master data (§ 4.1), kept by Schulleitung and Administration with
//! step-up under `/schule/…`: school years with terms and holidays, time grids, classes
//! and class teachers, subjects, rooms, teaching groups with members, pupils' enrolments
//! and timetable slots.
//!
//! Every write follows one shape: the action reads only the fields it allows, checks them
//! (German messages naming the field), then checks ids against the session's school (404
//! otherwise) and writes in one transaction; an audit record, a flash message and a
//! redirect follow. A form with errors comes back with the values and messages, and nothing
//! written. Nothing is deleted: ending an enrolment, membership, assignment or slot sets its
//! last day, so the register's history stays.

pub mod calendar;
pub mod catalog;
pub mod classes;
pub mod forms;
pub mod grids;
pub mod groups;
pub mod pupils;
pub mod timetable;

use crate::auth::CurrentUser;
use crate::auth::Elevated;
use crate::auth::extract::Admin;
use crate::clock::school_today;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind, Page};
use crate::web::{html, see_other, session};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Data;
use chrono::NaiveDate;
use diesel::QueryResult;
use forms::FieldError;
use maud::{Markup, html as markup};

/// The extractor of every structure page: Schulleitung or Administration, elevated.
pub type Manager = Elevated<Admin>;

/// The submitted fields of a form, in order; each action keeps only those it allows
/// ([`forms::Input::new`]).
pub type Fields = actix_web::web::Form<Vec<(String, String)>>;

/// The audit action of every change of the school structure.
pub const CHANGED: &str = "schule_geaendert";

/// What a checked write came to.
#[derive(Debug)]
pub enum Outcome<T> {
    /// Written; carries what the audit record and the message need.
    Saved(T),
    /// Nothing written: the problems, by field.
    Invalid(Vec<FieldError>),
    /// Nothing written: an id of the form or path is not one of this school's (the object
    /// named, for the audit record).
    Foreign(String),
}

/// Runs `f` in one write transaction. `f` must check everything before it writes, and
/// answers [`Outcome::Invalid`] or [`Outcome::Foreign`] only before the first write.
/// A foreign id is audited and becomes 404.
pub async fn apply<T, F>(
    state: &AppState,
    user: &CurrentUser,
    f: F,
) -> AppResult<Result<T, Vec<FieldError>>>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> QueryResult<Outcome<T>> + Send + 'static,
{
    let outcome = state
        .db
        .run(move |c| crate::db::write_transaction(c, f))
        .await?;
    match outcome {
        Outcome::Saved(t) => Ok(Ok(t)),
        Outcome::Invalid(errors) => Ok(Err(errors)),
        Outcome::Foreign(object) => Err(refuse(state, user, object).await),
    }
}

/// Audits a reference to another school's (or no) object and answers 404.
pub async fn refuse(state: &AppState, user: &CurrentUser, object: String) -> AppError {
    let _ = user
        .event("zugriff_verweigert")
        .object(object)
        .result("verweigert")
        .detail("fremde oder unbekannte ID in /schule")
        .record(state)
        .await;
    AppError::NotFound
}

/// What to record and say after a change.
#[derive(Debug)]
pub struct Done {
    /// The object changed, e.g. `klasse:7`.
    pub object: String,
    /// What happened, without pupil data.
    pub detail: String,
    /// The flash message.
    pub message: String,
}

/// Records the change, sets the flash message and redirects to `to` (PRG).
pub async fn finish(
    state: &AppState,
    user: &CurrentUser,
    done: Done,
    to: &str,
) -> AppResult<HttpResponse> {
    user.event(CHANGED)
        .object(done.object)
        .detail(done.detail)
        .record(state)
        .await?;
    session::set_flash(
        state,
        &user.session,
        Flash {
            kind: FlashKind::Success,
            text: done.message,
        },
    )
    .await?;
    Ok(see_other(to))
}

/// Answers a form after [`apply`]: a saved change is recorded and redirected to `to`
/// ([`finish`] with what `done` makes of the result); refused input shows the form again with
/// its errors (`again`).
pub async fn conclude<T>(
    state: &AppState,
    user: &CurrentUser,
    saved: Result<T, Vec<FieldError>>,
    to: &str,
    done: impl FnOnce(T) -> Done,
    again: impl AsyncFnOnce(Vec<FieldError>) -> AppResult<HttpResponse>,
) -> AppResult<HttpResponse> {
    match saved {
        Ok(t) => finish(state, user, done(t), to).await,
        Err(errors) => again(errors).await,
    }
}

/// Sets an error flash and redirects (for row actions without fields of their own).
pub async fn refuse_with_flash(
    state: &AppState,
    user: &CurrentUser,
    message: String,
    to: &str,
) -> AppResult<HttpResponse> {
    session::set_flash(
        state,
        &user.session,
        Flash {
            kind: FlashKind::Error,
            text: message,
        },
    )
    .await?;
    Ok(see_other(to))
}

/// The page frame of the structure pages with the section navigation; 422 for a form that
/// came back with errors.
pub async fn respond(
    state: &AppState,
    user: &CurrentUser,
    title: &str,
    body: Markup,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let flash = session::take_flash(state, &user.session).await?;
    let page = Page::new(title)
        .nav(user.nav())
        .flash(flash)
        .render(markup! {
            (section_nav())
            (body)
        });
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.into_string()))
}

/// The status of a page shown with `errors`.
pub fn status_for(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The sections of the school structure, as `(path, title, what it holds)`.
const SECTIONS: [(&str, &str, &str); 8] = [
    (
        "/schule/schuljahre",
        "Schuljahre",
        "Schuljahre mit Halbjahren, Ferien; Schuljahr abschließen",
    ),
    (
        "/schule/zeitraster",
        "Zeitraster",
        "Stunden mit Beginn und Ende, gültig ab einem Datum",
    ),
    ("/schule/klassen", "Klassen", "Klassen und Klassenleitungen"),
    ("/schule/faecher", "Fächer", "Fächer mit Kürzel"),
    ("/schule/raeume", "Räume", "Räume für den Stundenplan"),
    (
        "/schule/kurse",
        "Lerngruppen",
        "Lerngruppen und Kurse mit ihren Mitgliedern",
    ),
    (
        "/schule/schueler",
        "Schülerinnen und Schüler",
        "Einschreibungen in Klassen, Austritt, Klassenwechsel",
    ),
    (
        "/schule/stundenplan",
        "Stundenplan",
        "Stunden mit Klasse, Fach, Lehrkraft, Raum und Gültigkeit",
    ),
];

fn section_nav() -> Markup {
    markup! {
        nav.sections aria-label="Schulstruktur" {
            a href="/schule" { "Schule" }
            @for (path, title, _) in SECTIONS { " · " a href=(path) { (title) } }
        }
    }
}

/// `GET /schule`: the sections.
pub async fn overview(state: Data<AppState>, elevated: Manager) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let body = markup! {
        p { "Stammdaten der Schule. Nichts wird gelöscht: Einschreibungen, Mitgliedschaften, \
             Klassenleitungen und Stunden des Stundenplans enden mit einem letzten Tag, damit \
             das Klassenbuch vollständig bleibt." }
        dl.sections {
            @for (path, title, what) in SECTIONS {
                dt { a href=(path) { (title) } }
                dd { (what) }
            }
        }
    };
    let flash = session::take_flash(&state, &user.session).await?;
    Ok(html(
        Page::new("Schule")
            .nav(user.nav())
            .flash(flash)
            .render(body),
    ))
}

/// The school's calendar date of the request.
pub fn today(user: &CurrentUser) -> NaiveDate {
    school_today(user.now)
}

/// Options of a select from `(id, text)` pairs.
pub fn options<'a>(items: impl IntoIterator<Item = (i64, &'a str)>) -> Vec<(String, String)> {
    items
        .into_iter()
        .map(|(id, text)| (id.to_string(), text.to_owned()))
        .collect()
}
