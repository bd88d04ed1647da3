//! The CSV export of the statistics (class B, step-up, audited): `;`-separated, UTF-8 with a
//! byte order mark so Excel reads the umlauts, every cell neutralised against formula
//! injection.

use super::{Figures, PupilFigures, TermQuery, load, return_to, term_label, total};
use crate::auth::CurrentUser;
use crate::db::calendar::Term;
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{Data, Path, Query};

fn figure_fields(f: &Figures) -> [String; 8] {
    [
        f.missed.to_string(),
        f.excused.to_string(),
        f.unexcused.to_string(),
        f.open.to_string(),
        f.missed_minutes.to_string(),
        f.late.to_string(),
        f.late_minutes.to_string(),
        f.left_early.to_string(),
    ]
}

/// The CSV file: `;`-separated, UTF-8 with byte order mark (so Excel reads the umlauts),
/// every cell neutralised.
pub fn csv_bytes(
    class_name: &str,
    term: &Term,
    rows: &[PupilFigures],
) -> Result<Vec<u8>, csv::Error> {
    let header = [
        "Klasse",
        "Halbjahr",
        "Nachname",
        "Vorname",
        "Fehlstunden",
        "davon entschuldigt",
        "davon unentschuldigt",
        "davon offen",
        "Fehlminuten",
        "Verspätungen",
        "Verspätungsminuten",
        "früher gegangen",
    ];
    let term_name = term_label(term);
    let mut lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut fields = vec![
                class_name.to_owned(),
                term_name.clone(),
                r.pupil.surname.clone(),
                r.pupil.first_name.clone(),
            ];
            fields.extend(figure_fields(&r.figures));
            fields
        })
        .collect();
    let mut fields = vec![
        class_name.to_owned(),
        term_name,
        "Klasse gesamt".to_owned(),
        String::new(),
    ];
    fields.extend(figure_fields(&total(rows)));
    lines.push(fields);
    crate::spreadsheet::csv(&header, &lines, true)
}

fn file_name(class_name: &str, term: &Term) -> String {
    let class: String = class_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("fehlzeiten-{class}-{}.csv", term.starts_on)
}

/// `GET /klassen/{class_id}/statistik.csv?halbjahr=<term id>`: the export (audited).
pub async fn export(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    q: Query<TermQuery>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let next = return_to(class_id, &q);
    let (acc, _proof, stats) = load(&state, &user, class_id, q.halbjahr.as_deref(), &next).await?;
    let Some(term) = stats.term else {
        return Err(AppError::NotFound);
    };
    let body = csv_bytes(&acc.class.name, &term, &stats.rows)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("CSV: {e}")))?;
    user.event("export")
        .object(format!("klasse:{class_id}"))
        .detail(format!(
            "datengruppe=fehlzeitenstatistik; halbjahr:{}; format=csv; schueler={}",
            term.id,
            stats.rows.len()
        ))
        .record(&state)
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                file_name(&acc.class.name, &term)
            ),
        ))
        .body(body))
}
