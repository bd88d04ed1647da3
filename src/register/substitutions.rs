//! The substitution plan: Schulleitung and Administration (with step-up) assign a substitute
//! to a slot on one date, or cancel it. The substitute then sees that lesson on that day only.

use crate::auth::Elevated;
use crate::auth::extract::Admin;
use crate::clock::school_today;
use crate::db::register::{self, Substitution};
use crate::error::{AppError, AppResult};
use crate::register::lesson::date_label;
use crate::register::plan::clock_label;
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind, Page, csrf_field};
use crate::web::session;
use crate::web::{html, see_other};
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Query};
use chrono::NaiveDate;
use maud::html as markup;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Deserialize)]
pub struct DateQuery {
    datum: Option<String>,
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// `GET /verwaltung/vertretungen?datum=…`.
pub async fn page(
    state: Data<AppState>,
    elevated: Elevated<Admin>,
    q: Query<DateQuery>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let date = q
        .datum
        .as_deref()
        .and_then(parse_date)
        .unwrap_or_else(|| school_today(user.now));
    let flash = session::take_flash(&state, &user.session).await?;
    let school_id = user.school_id();
    let (slots, subs, teachers, periods) = state
        .db
        .run(move |c| {
            let slots = register::slots_of_school_on(c, school_id, date)?;
            let subs: HashMap<i64, Substitution> =
                register::substitutions_in(c, school_id, date, date)?
                    .into_iter()
                    .map(|s| (s.slot_id, s))
                    .collect();
            let teachers = register::teachers_of_school(c, school_id, date)?;
            let periods = register::grid_periods_in(c, school_id, date, date)?;
            Ok((slots, subs, teachers, periods))
        })
        .await?;
    let names: HashMap<i64, String> = teachers.iter().cloned().collect();
    let csrf = user.session.csrf();
    let body = markup! {
        form.inline method="get" action="/verwaltung/vertretungen" {
            label for="datum" { "Datum" }
            input id="datum" name="datum" type="date" value=(date);
            button.secondary type="submit" { "Anzeigen" }
        }
        h2 { (date_label(date)) }
        @if slots.is_empty() { p { "An diesem Tag gibt es keinen Unterricht laut Stundenplan." } }
        @else {
            table.substitutions {
                thead { tr { th { "Stunde" } th { "Klasse" } th { "Fach" } th { "Lehrkraft" } th { "Vertretung" } } }
                tbody {
                    @for s in &slots {
                        @let sub = subs.get(&s.id);
                        @let times = crate::register::plan::period_times(&periods, date, s.period);
                        tr {
                            td { (s.period) @if let Some((a, b)) = times { " (" (clock_label(a)) "–" (clock_label(b)) ")" } }
                            td { (s.class_name) }
                            td { (s.subject_name) }
                            td { (names.get(&s.teacher_id).cloned().unwrap_or_default()) }
                            td {
                                form.inline method="post" action="/verwaltung/vertretungen" {
                                    (csrf_field(csrf))
                                    input type="hidden" name="slot" value=(s.id);
                                    input type="hidden" name="datum" value=(date);
                                    label.sr for={ "v" (s.id) } { "Vertretung " (s.period) ". Stunde " (s.class_name) }
                                    select id={ "v" (s.id) } name="vertretung" {
                                        option value="" selected[sub.is_none()] { "wie geplant" }
                                        option value="entfaellt" selected[sub.is_some_and(|x| x.cancelled)] { "entfällt" }
                                        @for (id, name) in &teachers {
                                            @if *id != s.teacher_id {
                                                option value=(id) selected[sub.is_some_and(|x| x.substitute_id == Some(*id))] { (name) }
                                            }
                                        }
                                    }
                                    button.secondary type="submit" { "Speichern" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html(
        Page::new("Vertretungsplan")
            .nav(user.nav())
            .flash(flash)
            .render(body),
    ))
}

#[derive(Debug, Deserialize, Default)]
/// Every field defaults, so that a malformed form is refused after the role check,
/// not before it.
#[serde(default)]
pub struct SubstitutionForm {
    slot: i64,
    datum: String,
    vertretung: String,
    #[serde(default)]
    notiz: String,
}

/// `POST /verwaltung/vertretungen`.
pub async fn save(
    state: Data<AppState>,
    elevated: Elevated<Admin>,
    form: Form<SubstitutionForm>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let f = form.into_inner();
    let date = parse_date(&f.datum).ok_or_else(|| {
        AppError::BadRequest(format!("Feld »Datum«: »{}« ist kein Datum.", f.datum))
    })?;
    let today = school_today(user.now);
    let (slot, teachers) = state
        .db
        .run(move |c| {
            Ok((
                register::slots_by_id(c, school_id, &[f.slot])?,
                register::teachers_of_school(c, school_id, today)?,
            ))
        })
        .await?;
    let Some(slot) = slot.into_iter().next() else {
        return Err(AppError::NotFound);
    };
    let (substitute, cancelled) = match f.vertretung.as_str() {
        "" => (None, false),
        "entfaellt" => (None, true),
        id => {
            let id: i64 = id.parse().map_err(|_| {
                AppError::BadRequest("Feld »Vertretung«: unbekannte Lehrkraft.".into())
            })?;
            if !teachers.iter().any(|(t, _)| *t == id) {
                return Err(AppError::BadRequest(
                    "Feld »Vertretung«: unbekannte Lehrkraft.".into(),
                ));
            }
            (Some(id), false)
        }
    };
    let now = user.now.naive_utc();
    let by = user.user.id;
    let note = f.notiz.chars().take(200).collect::<String>();
    let slot_id = slot.id;
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                if substitute.is_none() && !cancelled {
                    register::delete_substitution(c, school_id, slot_id, date)
                } else {
                    register::create_substitution(
                        c,
                        &register::NewSubstitution {
                            school_id,
                            slot_id,
                            date,
                            substitute_id: substitute,
                            cancelled,
                            note: &note,
                            created_by: by,
                            now,
                        },
                    )
                }
            })
        })
        .await?;
    user.event("vertretung_geaendert")
        .object(format!("stunde:{slot_id}:{date}"))
        .detail(match (substitute, cancelled) {
            (Some(id), _) => format!("vertretung=benutzer:{id}"),
            (None, true) => "entfaellt".into(),
            _ => "wie geplant".into(),
        })
        .record(&state)
        .await?;
    session::set_flash(
        &state,
        &user.session,
        Flash {
            kind: FlashKind::Success,
            text: "Vertretungsplan gespeichert.".into(),
        },
    )
    .await?;
    Ok(see_other(&format!("/verwaltung/vertretungen?datum={date}")))
}
