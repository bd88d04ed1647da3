//! Pupils and their enrolments. A row of `pupils` is one enrolment in one class with a
//! first and (once ended) a last day. Leaving ends the enrolment; a class change ends it the
//! day before and enrols the pupil in the new class, so past lessons keep their class.
//! Nothing is deleted: the register's history of a pupil stays.

use super::forms::{
    Check, FieldError, FormState, Input, NAME_MAX, date_input, de_date, de_span, end_form,
    error_summary, select_input, text_input,
};
use super::{Done, Fields, Manager, Outcome, apply, finish, options, respond, status_for};
use crate::auth::CurrentUser;
use crate::db::structure as st;
use crate::db::timetable::create_pupil;
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::page::csrf_field;
use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use maud::html;
use serde::Deserialize;

mod enrolment;

pub use enrolment::{change_class, leave};

const PATH: &str = "/schule/schueler";
const NEW_FIELDS: [&str; 4] = [
    "schueler_nachname",
    "schueler_vorname",
    "schueler_klasse",
    "schueler_ab",
];

pub(super) fn pupil_path(id: i64) -> String {
    format!("{PATH}?schueler={id}")
}

fn end_key(id: i64) -> String {
    format!("ende_{id}")
}

fn list_path(class_id: i64) -> String {
    format!("{PATH}?klasse={class_id}")
}

/// `?klasse=ID` (or `alle`) for a class list; `?schueler=ID` for one enrolment.
#[derive(Debug, Deserialize)]
pub struct PupilQuery {
    klasse: Option<String>,
    schueler: Option<String>,
}

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    class_filter: Option<i64>,
    fs: FormState,
) -> AppResult<HttpResponse> {
    let school_id = user.school_id();
    let (classes, pupils) = state
        .db
        .run(move |c| {
            Ok((
                st::classes(c, school_id)?,
                st::pupils(c, school_id, class_filter)?,
            ))
        })
        .await?;
    if let Some(id) = class_filter
        && !classes.iter().any(|c| c.id == id)
    {
        return Err(super::refuse(state, user, format!("klasse:{id}")).await);
    }
    let class_options = options(classes.iter().map(|c| (c.id, c.name.as_str())));
    let chosen = class_filter.map(|c| c.to_string()).unwrap_or_default();
    let body = html! {
        (error_summary(&fs))
        form method="get" action=(PATH) {
            label for="klasse" { "Klasse" }
            " "
            select id="klasse" name="klasse" {
                option value="alle" selected[chosen.is_empty()] { "alle Klassen" }
                @for (value, text) in &class_options { option value=(value) selected[&chosen == value] { (text) } }
            }
            " "
            button.secondary type="submit" { "Anzeigen" }
        }
        @if pupils.is_empty() { p { "Keine Einschreibungen." } } @else {
            table.pupils {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Klasse" } th scope="col" { "Eingeschrieben" } } }
                tbody {
                    @for p in &pupils {
                        tr data-id=(p.id) {
                            th scope="row" { a href=(pupil_path(p.id)) { (p.name()) } }
                            td { (p.class_name) }
                            td.valid { (de_span(Some(p.enrolled_from), p.enrolled_to)) }
                        }
                    }
                }
            }
        }
        h2 { "Schülerin oder Schüler einschreiben" }
        @if class_options.is_empty() { p { "Legen Sie zuerst eine Klasse an." } } @else {
            form.stack method="post" action=(PATH) {
                (csrf_field(user.session.csrf()))
                (text_input(&fs, "schueler_nachname", "Nachname", NAME_MAX))
                (text_input(&fs, "schueler_vorname", "Vorname", NAME_MAX))
                (select_input(&fs, "schueler_klasse", "Klasse", &class_options, None))
                (date_input(&fs, "schueler_ab", "Eingeschrieben ab", true))
                button type="submit" { "Einschreiben" }
            }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, "Schülerinnen und Schüler", body, status).await
}

fn list_defaults(user: &CurrentUser, class_filter: Option<i64>) -> FormState {
    FormState::with_defaults(&[
        ("schueler_ab", super::today(user).to_string()),
        (
            "schueler_klasse",
            class_filter.map(|c| c.to_string()).unwrap_or_default(),
        ),
    ])
}

/// `GET /schule/schueler?klasse=…`, or one enrolment with its actions (`?schueler=ID`).
pub async fn list(
    state: Data<AppState>,
    elevated: Manager,
    query: Query<PupilQuery>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    if let Some(raw) = query.schueler.as_deref().map(str::trim) {
        return match raw.parse::<i64>() {
            Ok(id) => render_pupil(&state, user, id, detail_defaults(user, id)).await,
            Err(_) => Err(super::refuse(&state, user, format!("schueler:{raw}")).await),
        };
    }
    let filter = match query.klasse.as_deref().map(str::trim) {
        None | Some("" | "alle") => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return Err(super::refuse(&state, user, format!("klasse:{raw}")).await),
        },
    };
    render_list(&state, user, filter, list_defaults(user, filter)).await
}

/// `POST /schule/schueler`: enrols a new pupil in a class.
pub async fn create(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &NEW_FIELDS);
    let mut c = Check::new(&input);
    let surname = c.text("schueler_nachname", "Nachname", NAME_MAX);
    let first = c.text("schueler_vorname", "Vorname", NAME_MAX);
    let class_id = c.id("schueler_klasse", "Klasse");
    let from = c.date("schueler_ab", "Eingeschrieben ab");
    let (Some(class_id), Some(from), true) = (class_id, from, c.is_ok()) else {
        let errors = c.errors;
        let fs = list_defaults(user, None).submitted(input, errors);
        return render_list(&state, user, None, fs).await;
    };
    let school_id = user.school_id();
    let saved = apply(&state, user, move |conn| {
        let Some(class) = st::class(conn, school_id, class_id)? else {
            return Ok(Outcome::Foreign(format!("klasse:{class_id}")));
        };
        let id = create_pupil(conn, school_id, class_id, &surname, &first, from)?;
        Ok(Outcome::Saved((
            id,
            class.name,
            format!("{surname}, {first}"),
        )))
    })
    .await?;
    match saved {
        Ok((id, class, name)) => {
            let done = Done {
                object: format!("schueler:{id}"),
                detail: format!("eingeschrieben: klasse:{class_id} ab {from}"),
                message: format!("{name} ist ab {} in der Klasse {class}.", de_date(from)),
            };
            finish(&state, user, done, &list_path(class_id)).await
        }
        Err(errors) => {
            let fs = list_defaults(user, None).submitted(input, errors);
            render_list(&state, user, None, fs).await
        }
    }
}

fn detail_defaults(user: &CurrentUser, id: i64) -> FormState {
    let today = super::today(user).to_string();
    FormState::with_defaults(&[(&end_key(id), today.clone()), ("wechsel_ab", today)])
}

async fn render_pupil(
    state: &AppState,
    user: &CurrentUser,
    pupil_id: i64,
    fs: FormState,
) -> AppResult<HttpResponse> {
    let school_id = user.school_id();
    let found = state
        .db
        .run(move |c| {
            let Some(p) = st::pupil(c, school_id, pupil_id)? else {
                return Ok(None);
            };
            let groups = st::groups(c, school_id)?;
            let memberships = st::memberships_of_pupil(c, school_id, pupil_id)?;
            Ok(Some((p, st::classes(c, school_id)?, groups, memberships)))
        })
        .await?;
    let Some((p, classes, groups, memberships)) = found else {
        return Err(super::refuse(state, user, format!("schueler:{pupil_id}")).await);
    };
    let other_classes = options(
        classes
            .iter()
            .filter(|c| c.id != p.class_id)
            .map(|c| (c.id, c.name.as_str())),
    );
    let group_name = |id: i64| {
        groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.name.clone())
            .unwrap_or_default()
    };
    let csrf = user.session.csrf();
    let body = html! {
        (error_summary(&fs))
        p { a href=(list_path(p.class_id)) { "Zur Klasse " (p.class_name) } }
        dl.pupil {
            dt { "Klasse" } dd { (p.class_name) }
            dt { "Eingeschrieben" } dd.valid { (de_span(Some(p.enrolled_from), p.enrolled_to)) }
            dt { "Lerngruppen" } dd { ul.plain {
                @for m in &memberships { li { (group_name(m.group_id)) ": " (de_span(Some(m.valid_from), m.valid_to)) } }
            } }
        }
        @if p.enrolled_to.is_none() {
            h2 { "Austritt" }
            p { "Die Einschreibung endet mit dem letzten Schultag; offene Mitgliedschaften in \
                 Lerngruppen enden mit ihr. Das Klassenbuch behält alle Einträge." }
            (end_form(&fs, csrf, "/schule/schueler/austritt", p.id, "Einschreibung beenden"))
            h2 { "Klassenwechsel" }
            @if other_classes.is_empty() { p { "Es gibt keine andere Klasse." } } @else {
                form.stack method="post" action="/schule/schueler/klassenwechsel" {
                    (csrf_field(csrf))
                    input type="hidden" name="eintrag" value=(p.id);
                    (select_input(&fs, "wechsel_klasse", "Neue Klasse", &other_classes, None))
                    (date_input(&fs, "wechsel_ab", "Erster Tag in der neuen Klasse", true))
                    button type="submit" { "Klasse wechseln" }
                }
            }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, &p.name(), body, status).await
}

/// The enrolment's page again with the errors of one of its forms.
pub(super) async fn again(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    input: Input,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let fs = detail_defaults(user, id).submitted(input, errors);
    render_pupil(state, user, id, fs).await
}
