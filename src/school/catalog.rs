//! Subjects (with a short name for the timetable) and rooms.

use super::forms::{Check, FieldError, FormState, Input, NAME_MAX, error_summary, text_input};
use super::{Done, Fields, Manager, Outcome, apply, finish, respond, status_for};
use crate::auth::CurrentUser;
use crate::db::structure as st;
use crate::db::timetable::create_subject;
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::page::csrf_field;
use actix_web::HttpResponse;
use actix_web::web::Data;
use maud::html;

const SUBJECTS: &str = "/schule/faecher";
const ROOMS: &str = "/schule/raeume";
const SUBJECT_FIELDS: [&str; 2] = ["fach_kuerzel", "fach_name"];
const ROOM_FIELDS: [&str; 1] = ["raum_name"];
/// The longest short name of a subject (`M`, `Deu`, `WiPo`), in characters.
const SHORT_MAX: usize = 10;
/// The longest room name, in characters.
const ROOM_MAX: usize = 30;

async fn render_subjects(
    state: &AppState,
    user: &CurrentUser,
    fs: FormState,
) -> AppResult<HttpResponse> {
    let school_id = user.school_id();
    let subjects = state.db.run(move |c| st::subjects(c, school_id)).await?;
    let body = html! {
        (error_summary(&fs))
        @if subjects.is_empty() { p { "Noch kein Fach angelegt." } } @else {
            table.subjects {
                thead { tr { th scope="col" { "Kürzel" } th scope="col" { "Fach" } } }
                tbody { @for s in &subjects { tr data-id=(s.id) { th scope="row" { (s.short_name) } td { (s.name) } } } }
            }
        }
        h2 { "Fach anlegen" }
        form.stack method="post" action=(SUBJECTS) {
            (csrf_field(user.session.csrf()))
            (text_input(&fs, "fach_kuerzel", "Kürzel (z. B. M)", SHORT_MAX))
            (text_input(&fs, "fach_name", "Bezeichnung (z. B. Mathematik)", NAME_MAX))
            button type="submit" { "Fach anlegen" }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, "Fächer", body, status).await
}

/// `GET /schule/faecher`.
pub async fn subjects(state: Data<AppState>, elevated: Manager) -> AppResult<HttpResponse> {
    render_subjects(&state, &elevated.user, FormState::default()).await
}

/// `POST /schule/faecher`.
pub async fn create_subject_form(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &SUBJECT_FIELDS);
    let mut c = Check::new(&input);
    let short = c.text("fach_kuerzel", "Kürzel", SHORT_MAX);
    let name = c.text("fach_name", "Bezeichnung", NAME_MAX);
    if !c.is_ok() {
        let errors = c.errors;
        let fs = FormState::default().submitted(input, errors);
        return render_subjects(&state, user, fs).await;
    }
    let school_id = user.school_id();
    let (s, n) = (short.clone(), name.clone());
    let saved = apply(&state, user, move |conn| {
        if st::subjects(conn, school_id)?
            .iter()
            .any(|x| x.short_name == s)
        {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                "fach_kuerzel",
                format!("Feld »Kürzel«: das Kürzel »{s}« ist bereits vergeben."),
            )]));
        }
        Ok(Outcome::Saved(create_subject(conn, school_id, &s, &n)?))
    })
    .await?;
    match saved {
        Ok(id) => {
            let done = Done {
                object: format!("fach:{id}"),
                detail: format!("angelegt: {short} {name}"),
                message: format!("Fach {name} ({short}) angelegt."),
            };
            finish(&state, user, done, SUBJECTS).await
        }
        Err(errors) => {
            let fs = FormState::default().submitted(input, errors);
            render_subjects(&state, user, fs).await
        }
    }
}

async fn render_rooms(
    state: &AppState,
    user: &CurrentUser,
    fs: FormState,
) -> AppResult<HttpResponse> {
    let school_id = user.school_id();
    let rooms = state.db.run(move |c| st::rooms(c, school_id)).await?;
    let body = html! {
        (error_summary(&fs))
        @if rooms.is_empty() { p { "Noch kein Raum angelegt." } } @else {
            table.rooms {
                thead { tr { th scope="col" { "Raum" } } }
                tbody { @for r in &rooms { tr data-id=(r.id) { th scope="row" { (r.name) } } } }
            }
        }
        h2 { "Raum anlegen" }
        form.stack method="post" action=(ROOMS) {
            (csrf_field(user.session.csrf()))
            (text_input(&fs, "raum_name", "Bezeichnung (z. B. A 104)", ROOM_MAX))
            button type="submit" { "Raum anlegen" }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, "Räume", body, status).await
}

/// `GET /schule/raeume`.
pub async fn rooms(state: Data<AppState>, elevated: Manager) -> AppResult<HttpResponse> {
    render_rooms(&state, &elevated.user, FormState::default()).await
}

/// `POST /schule/raeume`.
pub async fn create_room(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &ROOM_FIELDS);
    let mut c = Check::new(&input);
    let name = c.text("raum_name", "Bezeichnung", ROOM_MAX);
    if !c.is_ok() {
        let errors = c.errors;
        let fs = FormState::default().submitted(input, errors);
        return render_rooms(&state, user, fs).await;
    }
    let school_id = user.school_id();
    let n = name.clone();
    let saved = apply(&state, user, move |conn| {
        if st::rooms(conn, school_id)?.iter().any(|r| r.name == n) {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                "raum_name",
                format!("Feld »Bezeichnung«: den Raum »{n}« gibt es bereits."),
            )]));
        }
        Ok(Outcome::Saved(st::insert_room(conn, school_id, &n)?))
    })
    .await?;
    match saved {
        Ok(id) => {
            let done = Done {
                object: format!("raum:{id}"),
                detail: format!("angelegt: {name}"),
                message: format!("Raum {name} angelegt."),
            };
            finish(&state, user, done, ROOMS).await
        }
        Err(errors) => {
            let fs = FormState::default().submitted(input, errors);
            render_rooms(&state, user, fs).await
        }
    }
}
