//! Classes and their class teachers. A class teacher is a role assignment `klassenlehrkraft`
//! scoped to one class with a validity; ending it sets its last day, and the role lapses
//! on the next request after that day.

use super::forms::{
    Check, FieldError, FormState, Input, date_input, de_date, de_span, end_form, end_row,
    error_summary, select_input, text_input,
};
use super::{Done, Fields, Manager, Outcome, apply, conclude, options, respond, status_for};
use crate::auth::CurrentUser;
use crate::db::structure::{self as st, NewClassTeacher, overlaps};
use crate::db::timetable::create_class;
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::page::csrf_field;
use actix_web::HttpResponse;
use actix_web::web::Data;
use maud::html;

const PATH: &str = "/schule/klassen";
const CLASS_FIELDS: [&str; 1] = ["klasse_name"];
const TEACHER_FIELDS: [&str; 4] = ["kl_klasse", "kl_lehrkraft", "kl_von", "kl_bis"];
/// The longest class name, in characters.
const CLASS_NAME_MAX: usize = 20;

fn defaults(user: &CurrentUser) -> FormState {
    FormState::with_defaults(&[("kl_von", super::today(user).to_string())])
}

async fn render(state: &AppState, user: &CurrentUser, fs: FormState) -> AppResult<HttpResponse> {
    let school_id = user.school_id();
    let today = super::today(user);
    let (classes, teachers, staff, teacher_ids) = state
        .db
        .run(move |c| {
            Ok((
                st::classes(c, school_id)?,
                st::class_teachers(c, school_id)?,
                st::staff(c, school_id)?,
                st::teacher_ids_on(c, school_id, today)?,
            ))
        })
        .await?;
    let csrf = user.session.csrf();
    let class_options = options(classes.iter().map(|c| (c.id, c.name.as_str())));
    // Only teachers lead a class: the role opens the class's class B data.
    let staff_options = options(
        staff
            .iter()
            .filter(|s| s.active && teacher_ids.contains(&s.id))
            .map(|s| (s.id, s.name.as_str())),
    );
    let current = |class_id: i64| -> Vec<&str> {
        teachers
            .iter()
            .filter(|t| {
                t.class_id == class_id
                    && t.valid_from.is_none_or(|f| f <= today)
                    && t.valid_to.is_none_or(|e| today <= e)
            })
            .map(|t| t.user_name.as_str())
            .collect()
    };
    let body = html! {
        (error_summary(&fs))
        h2 { "Klassen" }
        @if classes.is_empty() { p { "Noch keine Klasse angelegt." } } @else {
            table.classes {
                thead { tr { th scope="col" { "Klasse" } th scope="col" { "Klassenleitung heute" } th scope="col" { "Verweise" } } }
                tbody {
                    @for c in &classes {
                        tr data-id=(c.id) {
                            th scope="row" { (c.name) }
                            td { (current(c.id).join(", ")) }
                            td {
                                a href={ "/schule/schueler?klasse=" (c.id) } { "Schülerinnen und Schüler" }
                                " · "
                                a href={ "/schule/stundenplan?klasse=" (c.id) } { "Stundenplan" }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Klasse anlegen" }
        form.stack method="post" action=(PATH) {
            (csrf_field(csrf))
            (text_input(&fs, "klasse_name", "Bezeichnung (z. B. 7a)", CLASS_NAME_MAX))
            button type="submit" { "Klasse anlegen" }
        }
        h2 { "Klassenleitungen" }
        @if teachers.is_empty() { p { "Noch keine Klassenleitung eingetragen." } } @else {
            table.class-teachers {
                thead { tr { th scope="col" { "Klasse" } th scope="col" { "Lehrkraft" } th scope="col" { "Zeitraum" } th scope="col" { "Beenden" } } }
                tbody {
                    @for t in &teachers {
                        tr data-id=(t.id) {
                            th scope="row" { (t.class_name) }
                            td { (t.user_name) }
                            td.valid { (de_span(t.valid_from, t.valid_to)) }
                            td { @if t.valid_to.is_none() {
                                (end_form(&fs, csrf, "/schule/klassenleitungen/beenden", t.id, &format!("Klassenleitung {} beenden", t.class_name)))
                            } }
                        }
                    }
                }
            }
        }
        h2 { "Klassenleitung eintragen" }
        @if class_options.is_empty() { p { "Legen Sie zuerst eine Klasse an." } } @else {
            form.stack method="post" action="/schule/klassenleitungen" {
                (csrf_field(csrf))
                (select_input(&fs, "kl_klasse", "Klasse", &class_options, None))
                (select_input(&fs, "kl_lehrkraft", "Lehrkraft", &staff_options, None))
                (date_input(&fs, "kl_von", "Von", true))
                (date_input(&fs, "kl_bis", "Bis", false))
                button type="submit" { "Klassenleitung eintragen" }
            }
        }
    };
    let status = status_for(&fs.errors);
    respond(state, user, "Klassen", body, status).await
}

/// `GET /schule/klassen`.
pub async fn page(state: Data<AppState>, elevated: Manager) -> AppResult<HttpResponse> {
    let fs = defaults(&elevated.user);
    render(&state, &elevated.user, fs).await
}

async fn again(
    state: &AppState,
    user: &CurrentUser,
    input: Input,
    errors: Vec<FieldError>,
) -> AppResult<HttpResponse> {
    render(state, user, defaults(user).submitted(input, errors)).await
}

/// `POST /schule/klassen`.
pub async fn create(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &CLASS_FIELDS);
    let mut c = Check::new(&input);
    let name = c.text("klasse_name", "Bezeichnung", CLASS_NAME_MAX);
    if !c.is_ok() {
        let errors = c.errors;
        return again(&state, user, input, errors).await;
    }
    let school_id = user.school_id();
    let n = name.clone();
    let saved = apply(&state, user, move |conn| {
        if st::classes(conn, school_id)?.iter().any(|c| c.name == n) {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                "klasse_name",
                format!("Feld »Bezeichnung«: die Klasse »{n}« gibt es bereits."),
            )]));
        }
        Ok(Outcome::Saved(create_class(conn, school_id, &n)?))
    })
    .await?;
    conclude(
        &state,
        user,
        saved,
        PATH,
        |id| Done {
            object: format!("klasse:{id}"),
            detail: format!("angelegt: {name}"),
            message: format!("Klasse {name} angelegt."),
        },
        async |errors| again(&state, user, input, errors).await,
    )
    .await
}

/// `POST /schule/klassenleitungen`: a class teacher of a class for a period.
pub async fn assign(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let input = Input::new(form.into_inner(), &TEACHER_FIELDS);
    let mut c = Check::new(&input);
    let class_id = c.id("kl_klasse", "Klasse");
    let user_id = c.id("kl_lehrkraft", "Lehrkraft");
    let from = c.date("kl_von", "Von");
    let to = c.optional_date("kl_bis", "Bis");
    c.order(from, to, "kl_bis", "Bis", "Von");
    let (Some(class_id), Some(user_id), Some(from), true) = (class_id, user_id, from, c.is_ok())
    else {
        let errors = c.errors;
        return again(&state, user, input, errors).await;
    };
    let (school_id, today) = (user.school_id(), super::today(user));
    let saved = apply(&state, user, move |conn| {
        let Some(class) = st::class(conn, school_id, class_id)? else {
            return Ok(Outcome::Foreign(format!("klasse:{class_id}")));
        };
        let Some(teacher) = st::staff_member(conn, school_id, user_id)? else {
            return Ok(Outcome::Foreign(format!("benutzer:{user_id}")));
        };
        let mut errors = Vec::new();
        if !teacher.active {
            errors.push(FieldError::new(
                "kl_lehrkraft",
                format!(
                    "Feld »Lehrkraft«: das Konto von {} ist deaktiviert.",
                    teacher.name
                ),
            ));
        } else if !st::teacher_ids_on(conn, school_id, today)?.contains(&user_id) {
            errors.push(FieldError::new(
                "kl_lehrkraft",
                format!(
                    "Feld »Lehrkraft«: {} ist nicht als Lehrkraft eingetragen.",
                    teacher.name
                ),
            ));
        }
        let clash = st::class_teachers(conn, school_id)?.into_iter().find(|t| {
            t.class_id == class_id
                && t.user_id == user_id
                && overlaps(t.valid_from.unwrap_or(from), t.valid_to, from, to)
        });
        if let Some(t) = clash {
            errors.push(FieldError::new(
                "kl_von",
                format!(
                    "Feld »Von«: {} leitet die Klasse {} bereits in diesem Zeitraum ({}).",
                    teacher.name,
                    class.name,
                    de_span(t.valid_from, t.valid_to)
                ),
            ));
        }
        if !errors.is_empty() {
            return Ok(Outcome::Invalid(errors));
        }
        let id = st::insert_class_teacher(
            conn,
            &NewClassTeacher {
                school_id,
                user_id,
                class_id,
                valid_from: from,
                valid_to: to,
            },
        )?;
        Ok(Outcome::Saved((id, class.name, teacher.name)))
    })
    .await?;
    let until = to.map(|t| t.to_string()).unwrap_or_else(|| "offen".into());
    conclude(
        &state,
        user,
        saved,
        PATH,
        |(id, class, teacher)| Done {
            object: format!("klassenleitung:{id}"),
            detail: format!(
                "angelegt: benutzer:{user_id} fuer klasse:{class_id}, {from} bis {until}"
            ),
            message: format!("{teacher} leitet die Klasse {class} ab {}.", de_date(from)),
        },
        async |errors| again(&state, user, input, errors).await,
    )
    .await
}

/// `POST /schule/klassenleitungen/beenden`: sets the last day of an assignment.
pub async fn end(
    state: Data<AppState>,
    elevated: Manager,
    form: Fields,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let row = end_row(form.into_inner())?;
    let (Some(last), true) = (row.last, row.errors.is_empty()) else {
        return again(&state, user, row.input, row.errors).await;
    };
    let (school_id, id, key) = (user.school_id(), row.id, row.key.clone());
    let saved = apply(&state, user, move |conn| {
        let Some(t) = st::class_teacher(conn, school_id, id)? else {
            return Ok(Outcome::Foreign(format!("klassenleitung:{id}")));
        };
        let problem = if t.valid_to.is_some() {
            Some("diese Klassenleitung ist bereits beendet.".to_owned())
        } else {
            t.valid_from
                .filter(|f| last < *f)
                .map(|f| format!("liegt vor dem Beginn ({}).", de_date(f)))
        };
        if let Some(p) = problem {
            return Ok(Outcome::Invalid(vec![FieldError::new(
                &key,
                format!("Feld »Letzter Tag«: {p}"),
            )]));
        }
        st::end_class_teacher(conn, school_id, id, last)?;
        Ok(Outcome::Saved(t))
    })
    .await?;
    conclude(
        &state,
        user,
        saved,
        PATH,
        |t| Done {
            object: format!("klassenleitung:{id}"),
            detail: format!("beendet zum {last}"),
            message: format!(
                "Klassenleitung von {} für {} endet am {}.",
                t.user_name,
                t.class_name,
                de_date(last)
            ),
        },
        async |errors| again(&state, user, row.input, errors).await,
    )
    .await
}
