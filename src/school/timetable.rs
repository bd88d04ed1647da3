//! Timetable slots with validity: class (optionally one teaching group), subject, teacher,
//! weekday, period and room. A slot is checked against the time grid and against clashes
//! of teacher, class and room; ending it sets its last day, never before a lesson that is
//! already documented.

use super::forms::{
    FieldError, FormState, Input, date_input, de_date, de_span, end_form, end_row, error_summary,
    number_input, select_input,
};
use super::{Done, Fields, Manager, Outcome, apply, finish, options, respond, status_for};
use crate::auth::CurrentUser;
use crate::db::DbConnection;
use crate::db::structure::{self as st, SlotRow};
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::page::csrf_field;
use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use chrono::NaiveDate;
use diesel::QueryResult;
use maud::html;
use serde::Deserialize;
use slot::{check_slot, store_slot};

mod slot;

const PATH: &str = "/schule/stundenplan";
const SLOT_FIELDS: [&str; 9] = [
    "plan_klasse",
    "plan_kurs",
    "plan_fach",
    "plan_lehrkraft",
    "plan_tag",
    "plan_stunde",
    "plan_raum",
    "plan_ab",
    "plan_bis",
];
/// The highest period number a slot may have (as the database allows).
pub(super) const PERIOD_MAX: i16 = 16;
/// School days a slot may fall on: Monday (1) to Saturday (6).
const WEEKDAYS: [&str; 6] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
];

/// "Montag" for 1.
pub(super) fn weekday_name(day: i16) -> &'static str {
    usize::try_from(day - 1)
        .ok()
        .and_then(|i| WEEKDAYS.get(i))
        .copied()
        .unwrap_or("?")
}

fn list_path(class_id: i64) -> String {
    format!("{PATH}?klasse={class_id}")
}

/// `?klasse=ID` (or `alle`); without it, the first class.
#[derive(Debug, Deserialize)]
pub struct ClassFilter {
    klasse: Option<String>,
}

/// Which slots the page lists.
#[derive(Debug, Clone, Copy)]
enum Filter {
    First,
    All,
    Class(i64),
}

/// Everything the timetable page offers in its selects.
struct Choices {
    classes: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    subjects: Vec<(String, String)>,
    teachers: Vec<(String, String)>,
    rooms: Vec<(String, String)>,
}

fn load_choices(conn: &mut DbConnection, school_id: i64, today: NaiveDate) -> QueryResult<Choices> {
    let classes = st::classes(conn, school_id)?;
    let groups = st::groups(conn, school_id)?;
    let subjects = st::subjects(conn, school_id)?;
    let teacher_ids = st::teacher_ids_on(conn, school_id, today)?;
    let staff = st::staff(conn, school_id)?;
    let rooms = st::rooms(conn, school_id)?;
    Ok(Choices {
        classes: options(classes.iter().map(|c| (c.id, c.name.as_str()))),
        groups: options(groups.iter().map(|g| (g.id, g.name.as_str()))),
        subjects: subjects
            .iter()
            .map(|s| (s.id.to_string(), format!("{} – {}", s.short_name, s.name)))
            .collect(),
        teachers: options(
            staff
                .iter()
                .filter(|s| s.active && teacher_ids.contains(&s.id))
                .map(|s| (s.id, s.name.as_str())),
        ),
        rooms: options(rooms.iter().map(|r| (r.id, r.name.as_str()))),
    })
}

fn slot_table(fs: &FormState, csrf: &str, slots: &[SlotRow]) -> maud::Markup {
    html! {
        table.slots {
            thead { tr {
                th scope="col" { "Tag" } th scope="col" { "Stunde" } th scope="col" { "Klasse" }
                th scope="col" { "Lerngruppe" } th scope="col" { "Fach" } th scope="col" { "Lehrkraft" }
                th scope="col" { "Raum" } th scope="col" { "Gültig" } th scope="col" { "Beenden" }
            } }
            tbody {
                @for s in slots {
                    tr data-id=(s.id) {
                        th scope="row" { (weekday_name(s.weekday)) }
                        td { (s.period) "." }
                        td { (s.class_name) }
                        td { (s.group_name.as_deref().unwrap_or("")) }
                        td { (s.subject_short) }
                        td { (s.teacher_name) }
                        td { (s.room) }
                        td.valid { (de_span(Some(s.valid_from), s.valid_to)) }
                        td { @if s.valid_to.is_none() {
                            (end_form(fs, csrf, "/schule/stundenplan/beenden", s.id,
                                &format!("{} {}. Stunde {} beenden", weekday_name(s.weekday), s.period, s.class_name)))
                        } }
                    }
                }
            }
        }
    }
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    filter: Filter,
    fs: FormState,
) -> AppResult<HttpResponse> {
    let (school_id, today) = (user.school_id(), super::today(user));
    let (choices, class_id, slots) = state
        .db
        .run(move |c| {
            let choices = load_choices(c, school_id, today)?;
            let class_id = match filter {
                Filter::All => None,
                Filter::Class(id) => Some(id),
                Filter::First => choices.classes.first().and_then(|(id, _)| id.parse().ok()),
            };
            let slots = match (filter, class_id) {
                (Filter::All, _) => st::slots(c, school_id, None)?,
                (_, Some(id)) => st::slots(c, school_id, Some(id))?,
                (_, None) => Vec::new(),
            };
            Ok((choices, class_id, slots))
        })
        .await?;
    if let Filter::Class(id) = filter
        && !choices.classes.iter().any(|(v, _)| *v == id.to_string())
    {
        return Err(super::refuse(state, user, format!("klasse:{id}")).await);
    }
    let chosen = class_id.map(|c| c.to_string()).unwrap_or_default();
    let days = options((1..=6).map(|d| (d, weekday_name(d as i16))));
    let csrf = user.session.csrf();
    let mut fs = fs;
    fs.fill("plan_klasse", chosen.clone());
    let body = html! {
        (error_summary(&fs))
        form method="get" action=(PATH) {
            label for="klasse" { "Klasse" }
            " "
            select id="klasse" name="klasse" {
                option value="alle" selected[chosen.is_empty()] { "alle Klassen" }
                @for (value, text) in &choices.classes { option value=(value) selected[&chosen == value] { (text) } }
            }
            " "
            button.secondary type="submit" { "Anzeigen" }
        }
        @if slots.is_empty() { p { "Keine Stunden im Stundenplan." } } @else { (slot_table(&fs, csrf, &slots)) }
        h2 { "Stunde eintragen" }
        @if choices.classes.is_empty() || choices.subjects.is_empty() || choices.teachers.is_empty() {
            p { "Für den Stundenplan braucht es mindestens eine Klasse, ein Fach und eine Lehrkraft." }
        } @else {
            form.stack method="post" action=(PATH) {
                (csrf_field(csrf))
                (select_input(&fs, "plan_klasse", "Klasse", &choices.classes, None))
                (select_input(&fs, "plan_kurs", "Lerngruppe", &choices.groups, Some("– ganze Klasse –")))
                (select_input(&fs, "plan_fach", "Fach", &choices.subjects, None))
                (select_input(&fs, "plan_lehrkraft", "Lehrkraft", &choices.teachers, None))
                (select_input(&fs, "plan_tag", "Wochentag", &days, None))
                (number_input(&fs, "plan_stunde", "Stunde", 1, PERIOD_MAX))
                (select_input(&fs, "plan_raum", "Raum", &choices.rooms, Some("– kein Raum –")))
                (date_input(&fs, "plan_ab", "Gültig ab", true))
                (date_input(&fs, "plan_bis", "Gültig bis", false))
                button type="submit" { "Stunde eintragen" }
            }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, "Stundenplan", body, status).await
}

fn defaults(user: &CurrentUser) -> FormState {
    FormState::with_defaults(&[("plan_ab", super::today(user).to_string())])
}

/// `GET /schule/stundenplan?klasse=…`.
pub async fn page(
    state: Data<AppState>,
    elevated: Manager,
    query: Query<ClassFilter>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let filter = match query.klasse.as_deref().map(str::trim) {
        None | Some("") => Filter::First,
        Some("alle") => Filter::All,
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) => Filter::Class(id),
            Err(_) => return Err(super::refuse(&state, user, format!("klasse:{raw}")).await),
        },
    };
    render(&state, user, filter, defaults(user)).await
}

/// `POST /schule/stundenplan`: a new slot.
pub async fn create(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &SLOT_FIELDS);
    let slot = match check_slot(&input) {
        Ok(s) => s,
        Err(errors) => {
            let fs = defaults(user).submitted(input, errors);
            return render(&state, user, Filter::First, fs).await;
        }
    };
    let (school_id, today) = (user.school_id(), super::today(user));
    let s = slot.clone();
    let saved = apply(&state, user, move |conn| {
        store_slot(conn, school_id, today, s)
    })
    .await?;
    match saved {
        Ok(id) => {
            let done = Done {
                object: format!("stundenplan:{id}"),
                detail: format!(
                    "angelegt: klasse:{} lerngruppe:{} fach:{} lehrkraft:benutzer:{} tag {} stunde {} ab {}",
                    slot.class_id,
                    slot.group_id
                        .map(|g| g.to_string())
                        .unwrap_or_else(|| "-".into()),
                    slot.subject_id,
                    slot.teacher_id,
                    slot.weekday,
                    slot.period,
                    slot.from
                ),
                message: format!(
                    "Stunde eingetragen: {}, {}. Stunde, ab {}.",
                    weekday_name(slot.weekday),
                    slot.period,
                    de_date(slot.from)
                ),
            };
            finish(&state, user, done, &list_path(slot.class_id)).await
        }
        Err(errors) => {
            let fs = defaults(user).submitted(input, errors);
            render(&state, user, Filter::Class(slot.class_id), fs).await
        }
    }
}

/// `POST /schule/stundenplan/beenden`: sets the slot's last day.
pub async fn end(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let row = end_row(form.into_inner())?;
    let (id, input) = (row.id, row.input);
    let (Some(last), true) = (row.last, row.errors.is_empty()) else {
        return again_at_slot(&state, user, id, input, row.errors).await;
    };
    let school_id = user.school_id();
    let k = row.key;
    let saved = apply(&state, user, move |conn| {
        let Some(s) = st::slot(conn, school_id, id)? else {
            return Ok(Outcome::Foreign(format!("stundenplan:{id}")));
        };
        let problem = if s.valid_to.is_some() {
            Some("diese Stunde ist bereits beendet.".to_owned())
        } else if last < s.valid_from {
            Some(format!("liegt vor dem Beginn ({}).", de_date(s.valid_from)))
        } else {
            match st::lessons_after(conn, school_id, id, last)? {
                0 => None,
                n => Some(format!(
                    "nach dem {} sind bereits {n} Stunden dokumentiert.",
                    de_date(last)
                )),
            }
        };
        if let Some(p) = problem {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                &k,
                format!("Feld »Letzter Tag«: {p}"),
            )]));
        }
        st::end_slot(conn, school_id, id, last)?;
        Ok(Outcome::Saved(s))
    })
    .await?;
    match saved {
        Ok(s) => {
            let done = Done {
                object: format!("stundenplan:{id}"),
                detail: format!("beendet zum {last}"),
                message: format!(
                    "{} {}. Stunde ({} {}) endet am {}.",
                    weekday_name(s.weekday),
                    s.period,
                    s.class_name,
                    s.subject_short,
                    de_date(last)
                ),
            };
            finish(&state, user, done, &list_path(s.class_id)).await
        }
        Err(errors) => again_at_slot(&state, user, id, input, errors).await,
    }
}

/// The page of the slot's class again, with the errors of its end form.
async fn again_at_slot(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    input: Input,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let school_id = user.school_id();
    let slot = state.db.run(move |c| st::slot(c, school_id, id)).await?;
    let Some(slot) = slot else {
        return Err(super::refuse(state, user, format!("stundenplan:{id}")).await);
    };
    let fs = defaults(user).submitted(input, errors);
    render(state, user, Filter::Class(slot.class_id), fs).await
}
