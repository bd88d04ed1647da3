//! Teaching groups and courses (Religion, Spanisch Q1, Förderkurs …) with their members.
//! A membership lies within the pupil's enrolment; ending it sets its last day.

use super::forms::{
    Check, FieldError, FormState, Input, NAME_MAX, date_input, de_date, de_span, end_form, end_row,
    error_summary, hidden_id, select_input, text_input,
};
use super::{Done, Fields, Manager, Outcome, apply, conclude, finish, respond, status_for};
use crate::auth::CurrentUser;
use crate::db::structure::{self as st, NewMember, overlaps};
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::page::csrf_field;
use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use maud::html;
use serde::Deserialize;
use std::collections::HashMap;

const PATH: &str = "/schule/kurse";
const GROUP_FIELDS: [&str; 1] = ["kurs_name"];
const MEMBER_FIELDS: [&str; 4] = [
    "mitglied_kurs",
    "mitglied_schueler",
    "mitglied_von",
    "mitglied_bis",
];

fn group_path(id: i64) -> String {
    format!("{PATH}?kurs={id}")
}

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    fs: FormState,
) -> AppResult<HttpResponse> {
    let (school_id, today) = (user.school_id(), super::today(user));
    let (groups, counts) = state
        .db
        .run(move |c| {
            Ok((
                st::groups(c, school_id)?,
                st::member_counts_on(c, school_id, today)?,
            ))
        })
        .await?;
    let counts: HashMap<i64, i64> = counts.into_iter().collect();
    let body = html! {
        (error_summary(&fs))
        @if groups.is_empty() { p { "Noch keine Lerngruppe angelegt." } } @else {
            table.groups {
                thead { tr { th scope="col" { "Lerngruppe / Kurs" } th scope="col" { "Mitglieder heute" } } }
                tbody {
                    @for g in &groups {
                        tr data-id=(g.id) {
                            th scope="row" { a href=(group_path(g.id)) { (g.name) } }
                            td { (counts.get(&g.id).copied().unwrap_or(0)) }
                        }
                    }
                }
            }
        }
        h2 { "Lerngruppe anlegen" }
        form.stack method="post" action=(PATH) {
            (csrf_field(user.session.csrf()))
            (text_input(&fs, "kurs_name", "Bezeichnung (z. B. Religion ev. 7)", NAME_MAX))
            button type="submit" { "Lerngruppe anlegen" }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, "Lerngruppen und Kurse", body, status).await
}

/// `?kurs=ID`: one group with its members.
#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    kurs: Option<String>,
}

/// `GET /schule/kurse`, or one group's members with `?kurs=ID`.
pub async fn list(
    state: Data<AppState>,
    elevated: Manager,
    query: Query<GroupQuery>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    match query.kurs.as_deref().map(str::trim) {
        None | Some("") => render_list(&state, user, FormState::default()).await,
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) => render_group(&state, user, id, member_defaults(user, id)).await,
            Err(_) => Err(super::refuse(&state, user, format!("lerngruppe:{raw}")).await),
        },
    }
}

/// `POST /schule/kurse`.
pub async fn create(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &GROUP_FIELDS);
    let mut c = Check::new(&input);
    let name = c.text("kurs_name", "Bezeichnung", NAME_MAX);
    if !c.is_ok() {
        let errors = c.errors;
        let fs = FormState::default().submitted(input, errors);
        return render_list(&state, user, fs).await;
    }
    let school_id = user.school_id();
    let n = name.clone();
    let saved = apply(&state, user, move |conn| {
        if st::groups(conn, school_id)?.iter().any(|g| g.name == n) {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                "kurs_name",
                format!("Feld »Bezeichnung«: die Lerngruppe »{n}« gibt es bereits."),
            )]));
        }
        Ok(Outcome::Saved(st::insert_group(conn, school_id, &n)?))
    })
    .await?;
    match saved {
        Ok(id) => {
            let done = Done {
                object: format!("lerngruppe:{id}"),
                detail: format!("angelegt: {name}"),
                message: format!("Lerngruppe {name} angelegt."),
            };
            finish(&state, user, done, &group_path(id)).await
        }
        Err(errors) => {
            let fs = FormState::default().submitted(input, errors);
            render_list(&state, user, fs).await
        }
    }
}

fn member_defaults(user: &CurrentUser, group_id: i64) -> FormState {
    FormState::with_defaults(&[
        ("mitglied_von", super::today(user).to_string()),
        ("mitglied_kurs", group_id.to_string()),
    ])
}

async fn render_group(
    state: &AppState,
    user: &CurrentUser,
    group_id: i64,
    fs: FormState,
) -> AppResult<HttpResponse> {
    let (school_id, today) = (user.school_id(), super::today(user));
    let found = state
        .db
        .run(move |c| {
            let Some(group) = st::group(c, school_id, group_id)? else {
                return Ok(None);
            };
            let members = st::members(c, school_id, group_id)?;
            let pupils = st::pupils(c, school_id, None)?;
            Ok(Some((group, members, pupils)))
        })
        .await?;
    let Some((group, members, pupils)) = found else {
        return Err(super::refuse(state, user, format!("lerngruppe:{group_id}")).await);
    };
    let candidates: Vec<(String, String)> = pupils
        .iter()
        .filter(|p| p.enrolled_to.is_none_or(|t| today <= t))
        .map(|p| (p.id.to_string(), format!("{} ({})", p.name(), p.class_name)))
        .collect();
    let csrf = user.session.csrf();
    let body = html! {
        (error_summary(&fs))
        p { a href=(PATH) { "Alle Lerngruppen" } }
        h2 { "Mitglieder" }
        @if members.is_empty() { p { "Noch keine Mitglieder." } } @else {
            table.members {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Klasse" } th scope="col" { "Zeitraum" } th scope="col" { "Beenden" } } }
                tbody {
                    @for m in &members {
                        tr data-id=(m.id) {
                            th scope="row" { (m.surname) ", " (m.first_name) }
                            td { (m.class_name) }
                            td.valid { (de_span(Some(m.valid_from), m.valid_to)) }
                            td { @if m.valid_to.is_none() {
                                (end_form(&fs, csrf, "/schule/kurse/mitglieder/beenden", m.id, &format!("Mitgliedschaft {}, {} beenden", m.surname, m.first_name)))
                            } }
                        }
                    }
                }
            }
        }
        h2 { "Mitglied aufnehmen" }
        form.stack method="post" action="/schule/kurse/mitglieder" {
            (csrf_field(csrf))
            input type="hidden" name="mitglied_kurs" value=(group_id);
            (select_input(&fs, "mitglied_schueler", "Schülerin oder Schüler", &candidates, None))
            (date_input(&fs, "mitglied_von", "Von", true))
            (date_input(&fs, "mitglied_bis", "Bis", false))
            button type="submit" { "Aufnehmen" }
        }
    };
    let status = status_for(&fs.errors);
    respond(
        state,
        user,
        &format!("Lerngruppe {}", group.name),
        body,
        status,
    )
    .await
}

/// After a failed check: the group page again, or 404 for a group of another school.
async fn again(
    state: &AppState,
    user: &CurrentUser,
    group_id: i64,
    input: Input,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    let fs = member_defaults(user, group_id).submitted(input, errors);
    render_group(state, user, group_id, fs).await
}

/// `POST /schule/kurse/mitglieder`: a pupil joins the group `mitglied_kurs`.
pub async fn add_member(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &MEMBER_FIELDS);
    let group_id = hidden_id(&input, "mitglied_kurs")?;
    let mut c = Check::new(&input);
    let pupil_id = c.id("mitglied_schueler", "Schülerin oder Schüler");
    let from = c.date("mitglied_von", "Von");
    let to = c.optional_date("mitglied_bis", "Bis");
    c.order(from, to, "mitglied_bis", "Bis", "Von");
    let (Some(pupil_id), Some(from), true) = (pupil_id, from, c.is_ok()) else {
        let errors = c.errors;
        return again(&state, user, group_id, input, errors).await;
    };
    let school_id = user.school_id();
    let saved = apply(&state, user, move |conn| {
        let Some(group) = st::group(conn, school_id, group_id)? else {
            return Ok(Outcome::Foreign(format!("lerngruppe:{group_id}")));
        };
        let Some(pupil) = st::pupil(conn, school_id, pupil_id)? else {
            return Ok(Outcome::Foreign(format!("schueler:{pupil_id}")));
        };
        let mut errors = Vec::new();
        let enrolment = de_span(Some(pupil.enrolled_from), pupil.enrolled_to);
        if !pupil.enrolled_on(from) {
            errors.push(FieldError::new(
                "mitglied_von",
                format!(
                    "Feld »Von«: {} ist am {} nicht eingeschrieben ({enrolment}).",
                    pupil.name(),
                    de_date(from)
                ),
            ));
        } else if let Some(end) = pupil.enrolled_to
            && to.is_none_or(|t| t > end)
        {
            errors.push(FieldError::new(
                "mitglied_bis",
                format!(
                    "Feld »Bis«: {} ist nur bis {} eingeschrieben; bitte spätestens diesen Tag angeben.",
                    pupil.name(),
                    de_date(end)
                ),
            ));
        }
        let clash = st::members(conn, school_id, group_id)?
            .into_iter()
            .find(|m| m.pupil_id == pupil_id && overlaps(m.valid_from, m.valid_to, from, to));
        if let Some(m) = clash {
            errors.push(FieldError::new(
                "mitglied_von",
                format!(
                    "Feld »Von«: {} gehört in diesem Zeitraum bereits zur Lerngruppe ({}).",
                    pupil.name(),
                    de_span(Some(m.valid_from), m.valid_to)
                ),
            ));
        }
        if !errors.is_empty() {
            return Ok(Outcome::Invalid(errors));
        }
        let id = st::insert_member(
            conn,
            &NewMember {
                school_id,
                group_id,
                pupil_id,
                valid_from: from,
                valid_to: to,
            },
        )?;
        Ok(Outcome::Saved((id, group.name, pupil.name())))
    })
    .await?;
    conclude(
        &state,
        user,
        saved,
        &group_path(group_id),
        |(id, group, pupil)| Done {
            object: format!("lerngruppe:{group_id}"),
            detail: format!("mitglied:{id} schueler:{pupil_id} ab {from}"),
            message: format!("{pupil} gehört ab {} zu {group}.", de_date(from)),
        },
        async |errors| again(&state, user, group_id, input, errors).await,
    )
    .await
}

/// `POST /schule/kurse/mitglieder/beenden`: sets the membership's last day.
pub async fn end_member(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let row = end_row(form.into_inner())?;
    let (school_id, member_id, key) = (user.school_id(), row.id, row.key.clone());
    let last = row.last.filter(|_| row.errors.is_empty());
    let saved = apply(&state, user, move |conn| {
        let Some(m) = st::member(conn, school_id, member_id)? else {
            return Ok(Outcome::Foreign(format!("mitgliedschaft:{member_id}")));
        };
        let Some(last) = last else {
            // The date was invalid: show the group again with the error.
            return Ok(Outcome::Invalid(Vec::new()));
        };
        let problem = if m.valid_to.is_some() {
            Some("diese Mitgliedschaft ist bereits beendet.".to_owned())
        } else if last < m.valid_from {
            Some(format!("liegt vor dem Beginn ({}).", de_date(m.valid_from)))
        } else {
            None
        };
        if let Some(p) = problem {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                &key,
                format!("Feld »Letzter Tag«: {p}"),
            )]));
        }
        st::end_member(conn, school_id, member_id, last)?;
        Ok(Outcome::Saved((m, last)))
    })
    .await?;
    match saved {
        Ok((m, last)) => {
            let done = Done {
                object: format!("lerngruppe:{}", m.group_id),
                detail: format!("mitglied:{member_id} beendet zum {last}"),
                message: format!(
                    "Mitgliedschaft von {}, {} endet am {}.",
                    m.surname,
                    m.first_name,
                    de_date(last)
                ),
            };
            finish(&state, user, done, &group_path(m.group_id)).await
        }
        Err(errors) => {
            // The membership exists (else 404 above); show its group with the errors.
            let errors = if errors.is_empty() {
                row.errors
            } else {
                errors
            };
            let school_id = user.school_id();
            let group = state
                .db
                .run(move |c| st::member(c, school_id, member_id))
                .await?
                .map(|m| m.group_id)
                .unwrap_or_default();
            again(&state, user, group, row.input, errors).await
        }
    }
}
