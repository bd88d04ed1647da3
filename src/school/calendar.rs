//! School years with their terms, holidays, and closing a year (from then on its register
//! counts towards the retention period of § 10).

use super::forms::{
    Check, FieldError, FormState, Input, NAME_MAX, date_input, de_date, de_span, error_summary,
    hidden_id, select_input, text_input,
};
use super::{
    Done, Fields, Manager, Outcome, apply, conclude, finish, options, respond, status_for,
};
use crate::auth::CurrentUser;
use crate::db::calendar::create_school_year;
use crate::db::structure::{self as st, NewTerm, overlaps};
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::page::csrf_field;
use actix_web::HttpResponse;
use actix_web::web::Data;
use maud::html;

const PATH: &str = "/schule/schuljahre";
const YEAR_FIELDS: [&str; 3] = ["jahr_name", "jahr_beginn", "jahr_ende"];
const TERM_FIELDS: [&str; 4] = [
    "abschnitt_jahr",
    "abschnitt_name",
    "abschnitt_beginn",
    "abschnitt_ende",
];
const HOLIDAY_FIELDS: [&str; 3] = ["ferien_name", "ferien_beginn", "ferien_ende"];
/// The longest school year, in days.
const YEAR_MAX_DAYS: i64 = 400;
/// The longest holiday, in days.
const HOLIDAY_MAX_DAYS: i64 = 120;

async fn render(state: &AppState, user: &CurrentUser, fs: FormState) -> AppResult<HttpResponse> {
    let school_id = user.school_id();
    let (years, terms, holidays) = state
        .db
        .run(move |c| {
            Ok((
                st::school_years(c, school_id)?,
                st::terms(c, school_id)?,
                st::holidays(c, school_id)?,
            ))
        })
        .await?;
    let csrf = user.session.csrf();
    let open_years = options(
        years
            .iter()
            .filter(|y| y.closed_at.is_none())
            .map(|y| (y.id, y.name.as_str())),
    );
    let body = html! {
        (error_summary(&fs))
        h2 { "Schuljahre" }
        @if years.is_empty() { p { "Noch kein Schuljahr angelegt." } } @else {
            table.years {
                thead { tr {
                    th scope="col" { "Schuljahr" } th scope="col" { "Zeitraum" }
                    th scope="col" { "Abschnitte" } th scope="col" { "Status" }
                } }
                tbody {
                    @for y in &years {
                        tr data-id=(y.id) {
                            th scope="row" { (y.name) }
                            td { (de_span(Some(y.starts_on), Some(y.ends_on))) }
                            td { ul.plain {
                                @for t in terms.iter().filter(|t| t.school_year_id == y.id) {
                                    li { (t.name) ": " (de_span(Some(t.starts_on), Some(t.ends_on))) }
                                }
                            } }
                            td.status {
                                @if let Some(at) = y.closed_at { "abgeschlossen am " (de_date(at.date())) }
                                @else {
                                    "offen"
                                    form method="post" action={ (PATH) "/abschliessen" } {
                                        (csrf_field(csrf))
                                        input type="hidden" name="jahr" value=(y.id);
                                        button.secondary type="submit" { "Schuljahr " (y.name) " abschließen" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.detail { "Ein abgeschlossenes Schuljahr lässt sich nicht wieder öffnen; ab seinem \
                        Ende laufen die Aufbewahrungsfristen." }
        }
        h2 { "Schuljahr anlegen" }
        form.stack method="post" action=(PATH) {
            (csrf_field(csrf))
            (text_input(&fs, "jahr_name", "Bezeichnung (z. B. 2026/27)", 40))
            (date_input(&fs, "jahr_beginn", "Beginn", true))
            (date_input(&fs, "jahr_ende", "Ende", true))
            button type="submit" { "Schuljahr anlegen" }
        }
        h2 { "Abschnitt (Halbjahr) anlegen" }
        @if open_years.is_empty() { p { "Legen Sie zuerst ein Schuljahr an." } } @else {
            form.stack method="post" action={ (PATH) "/abschnitte" } {
                (csrf_field(csrf))
                (select_input(&fs, "abschnitt_jahr", "Schuljahr", &open_years, None))
                (text_input(&fs, "abschnitt_name", "Bezeichnung (z. B. 1. Halbjahr)", 40))
                (date_input(&fs, "abschnitt_beginn", "Beginn", true))
                (date_input(&fs, "abschnitt_ende", "Ende", true))
                button type="submit" { "Abschnitt anlegen" }
            }
        }
        h2 { "Ferien und unterrichtsfreie Tage" }
        @if holidays.is_empty() { p { "Noch keine Ferien eingetragen." } } @else {
            table.holidays {
                thead { tr { th scope="col" { "Bezeichnung" } th scope="col" { "Zeitraum" } } }
                tbody { @for h in &holidays { tr { th scope="row" { (h.name) } td { (de_span(Some(h.starts_on), Some(h.ends_on))) } } } }
            }
        }
        form.stack method="post" action="/schule/ferien" {
            (csrf_field(csrf))
            (text_input(&fs, "ferien_name", "Bezeichnung (z. B. Herbstferien)", NAME_MAX))
            (date_input(&fs, "ferien_beginn", "Erster Tag", true))
            (date_input(&fs, "ferien_ende", "Letzter Tag", true))
            button type="submit" { "Ferien eintragen" }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, "Schuljahre und Ferien", body, status).await
}

/// `GET /schule/schuljahre`.
pub async fn page(state: Data<AppState>, elevated: Manager) -> AppResult<HttpResponse> {
    render(&state, &elevated.user, FormState::default()).await
}

async fn again(
    state: &AppState,
    user: &CurrentUser,
    input: Input,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    render(state, user, FormState::default().submitted(input, errors)).await
}

/// `POST /schule/schuljahre`: a new school year.
pub async fn create_year(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &YEAR_FIELDS);
    let mut c = Check::new(&input);
    let name = c.text("jahr_name", "Bezeichnung", 40);
    let from = c.date("jahr_beginn", "Beginn");
    let to = c.date("jahr_ende", "Ende");
    c.order(from, to, "jahr_ende", "Ende", "Beginn");
    if let (Some(f), Some(t)) = (from, to)
        && (t - f).num_days() > YEAR_MAX_DAYS
    {
        c.error(
            "jahr_ende",
            format!("Feld »Ende«: ein Schuljahr dauert höchstens {YEAR_MAX_DAYS} Tage."),
        );
    }
    let (Some(from), Some(to), true) = (from, to, c.is_ok()) else {
        let errors = c.errors;
        return again(&state, user, input, errors).await;
    };
    let school_id = user.school_id();
    let n = name.clone();
    let saved = apply(&state, user, move |conn| {
        let years = st::school_years(conn, school_id)?;
        let mut errors = Vec::new();
        if years.iter().any(|y| y.name == n) {
            errors.push(FieldError::new(
                "jahr_name",
                format!("Feld »Bezeichnung«: das Schuljahr »{n}« gibt es bereits."),
            ));
        }
        if let Some(y) = years
            .iter()
            .find(|y| overlaps(y.starts_on, Some(y.ends_on), from, Some(to)))
        {
            errors.push(FieldError::new(
                "jahr_beginn",
                format!(
                    "Feld »Beginn«: der Zeitraum überschneidet sich mit dem Schuljahr »{}« ({}).",
                    y.name,
                    de_span(Some(y.starts_on), Some(y.ends_on))
                ),
            ));
        }
        if !errors.is_empty() {
            return Ok(Outcome::Invalid(errors));
        }
        Ok(Outcome::Saved(create_school_year(
            conn,
            school_id,
            &n,
            from,
            to,
            &[],
        )?))
    })
    .await?;
    conclude(
        &state,
        user,
        saved,
        PATH,
        |id| Done {
            object: format!("schuljahr:{id}"),
            detail: format!("angelegt: {name}, {from} bis {to}"),
            message: format!("Schuljahr »{name}« angelegt."),
        },
        async |errors| again(&state, user, input, errors).await,
    )
    .await
}

/// `POST /schule/schuljahre/abschnitte`: a term of an open school year.
pub async fn create_term(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &TERM_FIELDS);
    let mut c = Check::new(&input);
    let year_id = c.id("abschnitt_jahr", "Schuljahr");
    let name = c.text("abschnitt_name", "Bezeichnung", 40);
    let from = c.date("abschnitt_beginn", "Beginn");
    let to = c.date("abschnitt_ende", "Ende");
    c.order(from, to, "abschnitt_ende", "Ende", "Beginn");
    let (Some(year_id), Some(from), Some(to), true) = (year_id, from, to, c.is_ok()) else {
        let errors = c.errors;
        return again(&state, user, input, errors).await;
    };
    let school_id = user.school_id();
    let n = name.clone();
    let saved = apply(&state, user, move |conn| {
        let Some(year) = st::school_year(conn, school_id, year_id)? else {
            return Ok(Outcome::Foreign(format!("schuljahr:{year_id}")));
        };
        let mut errors = Vec::new();
        if year.closed_at.is_some() {
            errors.push(FieldError::new(
                "abschnitt_jahr",
                format!("Feld »Schuljahr«: »{}« ist abgeschlossen.", year.name),
            ));
        }
        if from < year.starts_on || to > year.ends_on {
            errors.push(FieldError::new(
                "abschnitt_beginn",
                format!(
                    "Feld »Beginn«: der Abschnitt muss im Schuljahr »{}« liegen ({}).",
                    year.name,
                    de_span(Some(year.starts_on), Some(year.ends_on))
                ),
            ));
        }
        let terms = st::terms(conn, school_id)?;
        if let Some(t) = terms.iter().find(|t| {
            t.school_year_id == year_id && overlaps(t.starts_on, Some(t.ends_on), from, Some(to))
        }) {
            errors.push(FieldError::new(
                "abschnitt_ende",
                format!(
                    "Feld »Ende«: der Zeitraum überschneidet sich mit »{}« ({}).",
                    t.name,
                    de_span(Some(t.starts_on), Some(t.ends_on))
                ),
            ));
        }
        if !errors.is_empty() {
            return Ok(Outcome::Invalid(errors));
        }
        let id = st::insert_term(
            conn,
            &NewTerm {
                school_id,
                school_year_id: year_id,
                name: &n,
                starts_on: from,
                ends_on: to,
            },
        )?;
        Ok(Outcome::Saved((id, year.name)))
    })
    .await?;
    conclude(
        &state,
        user,
        saved,
        PATH,
        |(id, year)| Done {
            object: format!("abschnitt:{id}"),
            detail: format!("angelegt: {name} in schuljahr:{year_id}, {from} bis {to}"),
            message: format!("Abschnitt »{name}« im Schuljahr {year} angelegt."),
        },
        async |errors| again(&state, user, input, errors).await,
    )
    .await
}

/// `POST /schule/ferien`.
pub async fn create_holiday(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &HOLIDAY_FIELDS);
    let mut c = Check::new(&input);
    let name = c.text("ferien_name", "Bezeichnung", NAME_MAX);
    let from = c.date("ferien_beginn", "Erster Tag");
    let to = c.date("ferien_ende", "Letzter Tag");
    c.order(from, to, "ferien_ende", "Letzter Tag", "Erster Tag");
    if let (Some(f), Some(t)) = (from, to)
        && (t - f).num_days() >= HOLIDAY_MAX_DAYS
    {
        c.error(
            "ferien_ende",
            format!("Feld »Letzter Tag«: Ferien dauern höchstens {HOLIDAY_MAX_DAYS} Tage."),
        );
    }
    let (Some(from), Some(to), true) = (from, to, c.is_ok()) else {
        let errors = c.errors;
        return again(&state, user, input, errors).await;
    };
    let school_id = user.school_id();
    let n = name.clone();
    let saved = apply(&state, user, move |conn| {
        Ok(Outcome::Saved(st::insert_holiday(
            conn, school_id, &n, from, to,
        )?))
    })
    .await?;
    conclude(
        &state,
        user,
        saved,
        PATH,
        |id| Done {
            object: format!("ferien:{id}"),
            detail: format!("angelegt: {name}, {from} bis {to}"),
            message: format!("»{name}« eingetragen."),
        },
        async |errors| again(&state, user, input, errors).await,
    )
    .await
}

/// `POST /schule/schuljahre/abschliessen` (field `jahr`): closes a year after its last day.
pub async fn close_year(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let year_id = hidden_id(&Input::new(form.into_inner(), &["jahr"]), "jahr")?;
    let (school_id, today, at) = (user.school_id(), super::today(user), user.now.naive_utc());
    let saved = apply(&state, user, move |conn| {
        let Some(year) = st::school_year(conn, school_id, year_id)? else {
            return Ok(Outcome::Foreign(format!("schuljahr:{year_id}")));
        };
        let problem = if year.closed_at.is_some() {
            Some(format!(
                "Das Schuljahr {} ist bereits abgeschlossen.",
                year.name
            ))
        } else if today <= year.ends_on {
            Some(format!(
                "Das Schuljahr {} endet am {}; abschließen lässt es sich erst danach.",
                year.name,
                de_date(year.ends_on)
            ))
        } else {
            None
        };
        if let Some(p) = problem {
            return Ok(Outcome::Invalid(vec![FieldError::new("jahr", p)]));
        }
        st::close_school_year(conn, school_id, year_id, at)?;
        Ok(Outcome::Saved(year.name))
    })
    .await?;
    match saved {
        Ok(name) => {
            let done = Done {
                object: format!("schuljahr:{year_id}"),
                detail: "abgeschlossen".into(),
                message: format!("Schuljahr {name} abgeschlossen."),
            };
            finish(&state, user, done, PATH).await
        }
        Err(errors) => {
            let text = errors.into_iter().map(|e| e.message).collect::<Vec<_>>();
            super::refuse_with_flash(&state, user, text.join(" "), PATH).await
        }
    }
}
