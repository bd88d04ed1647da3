//! The printed register (§ 4.7): a class's register for a week, a term or a school year —
//! cover page, members, timetable, lessons with topics, homework and absences, amendments,
//! register entries — as print-ready HTML and as a PDF made on the server. Everything in it
//! is class B: only the class teacher of the class and the headteacher may print it, after
//! step-up; anyone else gets 404. Every export writes an audit record naming the class and
//! the range, never the data.

mod html;
mod model;
pub(crate) mod pdf;
mod range;

pub use model::PrintedRegister;
pub use range::{Range, RangeQuery};

use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, require_elevation};
use crate::auth::roles::Role;
use crate::clock::{school_local, school_today};
use crate::db::{calendar, print as queries, register};
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use actix_web::http::header;
use actix_web::web::{Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Datelike;

/// `/klassen/{id}/klassenbuch`.
pub fn register_path(class_id: i64) -> String {
    format!("/klassen/{class_id}/klassenbuch")
}

fn next_of(req: &HttpRequest) -> String {
    req.uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned())
}

/// The class's name if `user` may print its register, after step-up. The class teacher
/// (today) and the headteacher may; for anyone else, and for another school's class, the
/// answer is 404 whether elevated or not, so guessed ids reveal nothing.
async fn authorize(
    state: &AppState,
    user: &CurrentUser,
    class_id: i64,
    next: &str,
) -> AppResult<(String, Elevation)> {
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let today = school_today(user.now);
    let (name, class_teacher) = state
        .db
        .run(move |c| {
            let name = queries::class_name(c, school_id, class_id)?;
            let ct = name.is_some()
                && register::is_class_teacher(c, school_id, user_id, class_id, today)?;
            Ok((name, ct))
        })
        .await?;
    match name {
        Some(name) if class_teacher || user.has(Role::Schulleitung) => {
            let proof = require_elevation(state, user, next).await?;
            Ok((name, proof))
        }
        _ => {
            user.event("zugriff_verweigert")
                .object(format!("klasse:{class_id}"))
                .result("verweigert")
                .detail("klassenbuch")
                .record(state)
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// Authorizes, resolves the range, loads the register and audits the export.
async fn prepare(
    state: &AppState,
    user: &CurrentUser,
    req: &HttpRequest,
    class_id: i64,
    query: &RangeQuery,
    format: &str,
) -> AppResult<PrintedRegister> {
    let (class_name, proof) = authorize(state, user, class_id, &next_of(req)).await?;
    let today = school_today(user.now);
    let choice = range::parse(query, today)?;
    let school_id = user.school_id();
    let loaded = state
        .db
        .run(move |c| {
            let Some(range) = range::resolve(c, school_id, &choice)? else {
                return Ok(None);
            };
            let data = model::load(c, &proof, school_id, class_id, &range, today)?;
            Ok(Some((range, data)))
        })
        .await?;
    let Some((range, data)) = loaded else {
        return Err(AppError::NotFound);
    };
    user.event("export")
        .object(format!("klasse:{class_id}"))
        .detail(format!(
            "klassenbuch {format} {}..{} ({})",
            range.from, range.to, range.name
        ))
        .record(state)
        .await?;
    let header = model::Header {
        school: user.school.name.clone(),
        class_name,
        generated_at: school_local(user.now),
        generated_by: user.user.display_name.clone(),
    };
    Ok(model::build(data, range, header))
}

/// The terms and school years offered on screen.
async fn choices(state: &AppState, user: &CurrentUser) -> AppResult<html::Choices> {
    let school_id = user.school_id();
    let (terms, years) = state
        .db
        .run(move |c| {
            Ok((
                calendar::terms_of(c, school_id)?,
                queries::school_years_of(c, school_id)?,
            ))
        })
        .await?;
    let year_name = |id: i64| {
        years
            .iter()
            .find(|y| y.id == id)
            .map(|y| y.name.clone())
            .unwrap_or_default()
    };
    let week = school_today(user.now).iso_week();
    Ok(html::Choices {
        week: format!("{}-W{:02}", week.year(), week.week()),
        terms: terms
            .iter()
            .map(|t| (t.id, format!("{} {}", t.name, year_name(t.school_year_id))))
            .collect(),
        years: years
            .iter()
            .map(|y| (y.id, format!("Schuljahr {}", y.name)))
            .collect(),
    })
}

/// `GET /klassen/{class_id}/klassenbuch`: the print-ready HTML register.
pub async fn page(
    state: Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    path: Path<i64>,
    query: Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let reg = prepare(&state, &user, &req, class_id, &query, "html").await?;
    let mut choices = choices(&state, &user).await?;
    if let Some(week) = reg.range.query.strip_prefix("woche=")
        && week.contains("-W")
    {
        week.clone_into(&mut choices.week);
    }
    let pdf_href = format!("{}.pdf?{}", register_path(class_id), reg.range.query);
    Ok(crate::web::html(html::document(&reg, &choices, &pdf_href)))
}

/// A file name of ASCII letters, digits and dashes.
fn file_name(reg: &PrintedRegister) -> String {
    let class: String = reg
        .class_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("klassenbuch-{class}-{}.pdf", reg.range.key)
}

/// `GET /klassen/{class_id}/klassenbuch.pdf`: the same register as PDF.
pub async fn pdf_file(
    state: Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    path: Path<i64>,
    query: Query<RangeQuery>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let reg = prepare(&state, &user, &req, class_id, &query, "pdf").await?;
    let now = user.now;
    let (bytes, name) = actix_web::web::block(move || {
        let name = file_name(&reg);
        pdf::render(&reg, now).map(|b| (b, name))
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF-Aufgabe abgebrochen: {e}")))?
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}\""),
        ))
        .body(bytes))
}

/// The printed register of `class_id` for the school year `school_year_id` as a PDF, with
/// its file name: the archive export that the retention job writes before it deletes the
/// year's register data (`crate::gdpr::retention`). `None` when the class or the year is not
/// the school's.
pub fn archive_pdf(
    conn: &mut crate::db::DbConnection,
    proof: &Elevation,
    school_name: &str,
    school_id: i64,
    class_id: i64,
    school_year_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    let Some(class_name) = queries::class_name(conn, school_id, class_id)? else {
        return Ok(None);
    };
    let Some(range) = range::resolve(conn, school_id, &range::Choice::SchoolYear(school_year_id))?
    else {
        return Ok(None);
    };
    let data = model::load(conn, proof, school_id, class_id, &range, school_today(now))?;
    let header = model::Header {
        school: school_name.to_owned(),
        class_name,
        generated_at: school_local(now),
        generated_by: "Löschlauf (Archivexport)".to_owned(),
    };
    let reg = model::build(data, range, header);
    let bytes = pdf::render(&reg, now)?;
    Ok(Some((file_name(&reg), bytes)))
}
