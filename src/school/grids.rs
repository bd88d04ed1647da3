//! Time grids: the periods of a school day with start and end. A new grid is valid from a
//! date; the grid valid until then ends the day before. Lessons already documented keep the
//! times they copied, so a switch mid-year never re-counts the past.

use super::forms::{
    Check, FieldError, FormState, Input, NAME_MAX, clock, date_input, de_date, de_span,
    error_summary, text_input, time_input,
};
use super::{Done, Fields, Manager, Outcome, apply, finish, respond, status_for};
use crate::auth::CurrentUser;
use crate::db::register::create_time_grid;
use crate::db::structure as st;
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::page::csrf_field;
use actix_web::HttpResponse;
use actix_web::web::Data;
use chrono::Duration;
use maud::html;

const PATH: &str = "/schule/zeitraster";
/// Rows of the grid form: the most periods a day may have.
pub const PERIODS_MAX: usize = 12;

fn start_key(n: usize) -> String {
    format!("beginn_{n}")
}

fn end_key(n: usize) -> String {
    format!("ende_{n}")
}

/// The fields of the grid form: name, first day, and start and end of every period.
fn grid_fields() -> Vec<String> {
    let mut keys = vec!["raster_name".to_owned(), "raster_ab".to_owned()];
    for n in 1..=PERIODS_MAX {
        keys.push(start_key(n));
        keys.push(end_key(n));
    }
    keys
}

async fn render(state: &AppState, user: &CurrentUser, fs: FormState) -> AppResult<HttpResponse> {
    let school_id = user.school_id();
    let (grids, periods) = state
        .db
        .run(move |c| {
            Ok((
                st::time_grids(c, school_id)?,
                st::grid_periods(c, school_id)?,
            ))
        })
        .await?;
    let csrf = user.session.csrf();
    let body = html! {
        (error_summary(&fs))
        h2 { "Zeitraster" }
        @if grids.is_empty() { p { "Noch kein Zeitraster angelegt." } } @else {
            table.grids {
                thead { tr { th scope="col" { "Bezeichnung" } th scope="col" { "Gültig" } th scope="col" { "Stunden" } } }
                tbody {
                    @for g in &grids {
                        tr data-id=(g.id) {
                            th scope="row" { (g.name) }
                            td.valid { (de_span(Some(g.valid_from), g.valid_to)) }
                            td { ol.plain {
                                @for p in periods.iter().filter(|p| p.time_grid_id == g.id) {
                                    li { (p.number) ". " (clock(p.start_minute)) "–" (clock(p.end_minute)) }
                                }
                            } }
                        }
                    }
                }
            }
        }
        h2 { "Neues Zeitraster" }
        p { "Das neue Raster gilt ab dem gewählten Tag; das bis dahin gültige Raster endet am Vortag. \
             Bereits dokumentierte Stunden behalten ihre Zeiten." }
        form method="post" action=(PATH) {
            (csrf_field(csrf))
            div.stack {
                (text_input(&fs, "raster_name", "Bezeichnung (z. B. 45 Minuten)", NAME_MAX))
                (date_input(&fs, "raster_ab", "Gültig ab", true))
            }
            table.periods {
                caption { "Stunden (Uhrzeit als HH:MM; leere Zeilen am Ende bleiben frei)" }
                thead { tr { th scope="col" { "Stunde" } th scope="col" { "Beginn" } th scope="col" { "Ende" } } }
                tbody {
                    @for n in 1..=PERIODS_MAX {
                        tr {
                            th scope="row" { (n) ". Stunde" }
                            td { (time_input(&fs, &start_key(n), "Beginn")) }
                            td { (time_input(&fs, &end_key(n), "Ende")) }
                        }
                    }
                }
            }
            button type="submit" { "Zeitraster anlegen" }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, "Zeitraster", body, status).await
}

/// `GET /schule/zeitraster`.
pub async fn page(state: Data<AppState>, elevated: Manager) -> AppResult<HttpResponse> {
    render(&state, &elevated.user, FormState::default()).await
}

/// Checks the period rows: both times or neither, no gaps, each period after the one before.
fn check_periods(input: &Input, c: &mut Check<'_>) -> Vec<(i16, i32, i32)> {
    let mut periods = Vec::new();
    let mut first_gap: Option<usize> = None;
    let mut prev_end: Option<i32> = None;
    for n in 1..=PERIODS_MAX {
        let (sk, ek) = (start_key(n), end_key(n));
        let prefix = format!("{n}. Stunde, ");
        let (s_empty, e_empty) = (
            input.get(&sk).trim().is_empty(),
            input.get(&ek).trim().is_empty(),
        );
        if s_empty && e_empty {
            first_gap.get_or_insert(n);
            continue;
        }
        if let Some(gap) = first_gap {
            c.error(
                &sk,
                format!(
                    "{prefix}Feld »Beginn«: die {gap}. Stunde fehlt; die Stunden werden ohne Lücke gezählt."
                ),
            );
            continue;
        }
        let mut field = |empty: bool, key: &str, label: &str| {
            if empty {
                c.error(key, format!("{prefix}Feld »{label}«: bitte ausfüllen."));
                None
            } else {
                c.time(key, &prefix, label)
            }
        };
        let start = field(s_empty, &sk, "Beginn");
        let end = field(e_empty, &ek, "Ende");
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        if end <= start {
            c.error(
                &ek,
                format!(
                    "{prefix}Feld »Ende«: liegt nicht nach dem Beginn ({}).",
                    clock(start)
                ),
            );
        } else if let Some(p) = prev_end
            && start < p
        {
            c.error(
                &sk,
                format!(
                    "{prefix}Feld »Beginn«: liegt vor dem Ende der vorigen Stunde ({}).",
                    clock(p)
                ),
            );
        }
        prev_end = Some(end);
        // PERIODS_MAX is far below i16::MAX.
        periods.push((n as i16, start, end));
    }
    if periods.is_empty() && c.is_ok() {
        c.error(
            &start_key(1),
            "1. Stunde, Feld »Beginn«: bitte mindestens eine Stunde angeben.".into(),
        );
    }
    periods
}

/// `POST /schule/zeitraster`: a new grid from a date; ends the grid valid until then.
pub async fn create(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &grid_fields());
    let mut c = Check::new(&input);
    let name = c.text("raster_name", "Bezeichnung", NAME_MAX);
    let from = c.date("raster_ab", "Gültig ab");
    let periods = check_periods(&input, &mut c);
    let (Some(from), true) = (from, c.is_ok()) else {
        let errors = c.errors;
        let fs = FormState::default().submitted(input, errors);
        return render(&state, user, fs).await;
    };
    let school_id = user.school_id();
    let n = name.clone();
    let count = periods.len();
    let saved = apply(&state, user, move |conn| {
        let grids = st::time_grids(conn, school_id)?;
        let mut errors = Vec::new();
        if let Some(g) = grids
            .iter()
            .filter(|g| g.valid_from >= from)
            .min_by_key(|g| g.valid_from)
        {
            errors.push(FieldError::new(
                "raster_ab",
                format!(
                    "Feld »Gültig ab«: ab dem {} gilt bereits das Zeitraster »{}«; ein neues Raster muss später beginnen.",
                    de_date(g.valid_from),
                    g.name
                ),
            ));
        }
        if grids.iter().any(|g| g.name == n) {
            errors.push(FieldError::new(
                "raster_name",
                format!("Feld »Bezeichnung«: das Zeitraster »{n}« gibt es bereits."),
            ));
        }
        if !errors.is_empty() {
            return Ok(Outcome::Invalid(errors));
        }
        let ended = st::end_grids_before(conn, school_id, from)?;
        let id = create_time_grid(conn, school_id, &n, from, None, &periods)?;
        Ok(Outcome::Saved((id, ended)))
    })
    .await?;
    match saved {
        Ok((id, ended)) => {
            let last = from - Duration::days(1);
            let mut detail = format!("angelegt: {name}, ab {from}, {count} Stunden");
            let mut message = format!("Zeitraster »{name}« gilt ab {}.", de_date(from));
            if !ended.is_empty() {
                let list: Vec<String> = ended.iter().map(|g| format!("zeitraster:{g}")).collect();
                detail.push_str(&format!("; beendet zum {last}: {}", list.join(",")));
                message.push_str(&format!(
                    " Das bisherige Raster endet am {}.",
                    de_date(last)
                ));
            }
            let done = Done {
                object: format!("zeitraster:{id}"),
                detail,
                message,
            };
            finish(&state, user, done, PATH).await
        }
        Err(errors) => {
            let fs = FormState::default().submitted(input, errors);
            render(&state, user, fs).await
        }
    }
}
