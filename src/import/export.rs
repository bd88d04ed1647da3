//! `GET /verwaltung/export?art=…`: the master data as CSV in the import format, so an
//! export can be edited and imported again. Administration data, so step-up and an audit
//! record; `;`-separated, UTF-8 with byte order mark (Excel), every cell neutralised
//! against formula injection.

use super::Kind;
use super::plan::de;
use super::web::Manager;
use crate::db::DbConnection;
use crate::db::import as q;
use crate::db::structure as st;
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{Data, Query};
use chrono::NaiveDate;
use diesel::QueryResult;
use std::collections::HashMap;

fn date(d: Option<NaiveDate>) -> String {
    d.map(|_| de(d)).unwrap_or_default()
}

/// The header and rows of one kind, from the database as of `today`.
pub fn rows(
    conn: &mut DbConnection,
    school_id: i64,
    kind: Kind,
    today: NaiveDate,
) -> QueryResult<(Vec<&'static str>, Vec<Vec<String>>)> {
    let header: Vec<&'static str> = kind.fields().iter().map(|f| f.header).collect();
    let staff = q::staff_rows(conn, school_id)?;
    let short: HashMap<i64, String> = staff
        .iter()
        .map(|u| {
            (
                u.id,
                u.external_id.clone().unwrap_or_else(|| u.login.clone()),
            )
        })
        .collect();
    let classes: HashMap<i64, String> = q::class_rows(conn, school_id)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let rows = match kind {
        Kind::Staff => staff
            .iter()
            .filter(|u| u.active)
            .map(|u| {
                let (first, last) = u
                    .display_name
                    .rsplit_once(' ')
                    .unwrap_or(("", u.display_name.as_str()));
                vec![
                    short.get(&u.id).cloned().unwrap_or_default(),
                    last.to_owned(),
                    first.to_owned(),
                    u.login.clone(),
                ]
            })
            .collect(),
        Kind::Subjects => st::subjects(conn, school_id)?
            .into_iter()
            .map(|s| vec![s.short_name, s.name])
            .collect(),
        Kind::Classes => {
            let teachers = st::class_teachers(conn, school_id)?;
            q::class_rows(conn, school_id)?
                .into_iter()
                .map(|c| {
                    let teacher = teachers
                        .iter()
                        .filter(|t| t.class_id == c.id && t.valid_to.is_none_or(|to| to >= today))
                        .filter(|t| t.valid_from.is_none_or(|f| f <= today))
                        .map(|t| short.get(&t.user_id).cloned().unwrap_or_default())
                        .next()
                        .unwrap_or_default();
                    vec![c.external_id.unwrap_or_default(), c.name, teacher]
                })
                .collect()
        }
        Kind::Pupils => {
            // The newest row of every pupil.
            let mut newest: Vec<q::PupilRecord> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            for p in q::pupil_rows(conn, school_id)? {
                let key = p
                    .external_id
                    .clone()
                    .unwrap_or_else(|| format!("\u{1f}{}\u{1f}{}", p.surname, p.first_name));
                match index.get(&key) {
                    Some(i) => newest[*i] = p,
                    None => {
                        index.insert(key, newest.len());
                        newest.push(p);
                    }
                }
            }
            newest
                .into_iter()
                .map(|p| {
                    vec![
                        p.external_id.unwrap_or_default(),
                        p.surname,
                        p.first_name,
                        classes.get(&p.class_id).cloned().unwrap_or_default(),
                        String::new(),
                        date(Some(p.enrolled_from)),
                        date(p.enrolled_to),
                    ]
                })
                .collect()
        }
        Kind::Timetable => st::slots(conn, school_id, None)?
            .into_iter()
            .filter(|s| s.group_id.is_none() && s.valid_to.is_none_or(|t| t >= today))
            .map(|s| {
                vec![
                    s.class_name,
                    ["", "Mo", "Di", "Mi", "Do", "Fr", "Sa"]
                        .get(usize::try_from(s.weekday).unwrap_or(0))
                        .copied()
                        .unwrap_or("")
                        .to_owned(),
                    s.period.to_string(),
                    s.subject_short,
                    short.get(&s.teacher_id).cloned().unwrap_or_default(),
                    s.room,
                    date(Some(s.valid_from)),
                ]
            })
            .collect(),
        Kind::Guardians => Vec::new(),
    };
    Ok((header, rows))
}

#[derive(Debug, serde::Deserialize)]
pub struct ExportQuery {
    art: Option<String>,
}

/// `GET /verwaltung/export?art=schueler|personal|klassen|faecher|stundenplan` (default
/// `schueler`): the CSV, audited.
pub async fn export(
    state: Data<AppState>,
    elevated: Manager,
    query: Query<ExportQuery>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let kind = match query.art.as_deref() {
        None | Some("") => Kind::Pupils,
        Some(s) => Kind::from_slug(s)
            .filter(|k| *k != Kind::Guardians)
            .ok_or(AppError::NotFound)?,
    };
    let school_id = user.school_id();
    let today = crate::clock::school_today(user.now);
    let (header, rows) = state
        .db
        .run(move |c| rows(c, school_id, kind, today))
        .await?;
    let body = crate::spreadsheet::csv(&header, &rows, true)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("CSV: {e}")))?;
    user.event("export")
        .object(format!("stammdaten:{}", kind.slug()))
        .detail(format!(
            "datengruppe=stammdaten; art={}; format=csv; zeilen={}",
            kind.slug(),
            rows.len()
        ))
        .record(&state)
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-{today}.csv\"", kind.slug()),
        ))
        .body(body))
}
