//! Absence statistics of a class for a term (class B, step-up; class teacher of the class
//! or headteacher): per pupil the missed lessons, of which excused, unexcused and open, the
//! missed minutes, late count and late minutes — the report-card figures — as a table, a
//! server-rendered SVG bar chart, and a CSV export for spreadsheets.
//!
//! Minutes come from the lesson rows, whose start and end were copied from the time grid
//! valid when the lesson was documented, so a later grid switch never re-counts them.

mod chart;
mod export;

pub use export::{csv_bytes, export};

use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, require_elevation};
use crate::db::absences::{self, ClassPupil, MarkRow};
use crate::db::calendar::{self, Term};
use crate::db::register::{self, CaseSpan};
use crate::error::{AppError, AppResult};
use crate::register::absences::{ClassAccess, Excuse, open_class, statistik_path, term_containing};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use actix_web::HttpResponse;
use actix_web::web::{Data, Path, Query};
use chrono::NaiveDate;
use maud::{Markup, html as markup};
use serde::Deserialize;

/// The report-card figures of one pupil or of a class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Lessons marked absent.
    pub missed: u32,
    /// Of those, covered by a case with excuse »entschuldigt«.
    pub excused: u32,
    /// Of those, covered by a case with excuse »unentschuldigt«.
    pub unexcused: u32,
    /// Of those, covered by no case or only by open cases.
    pub open: u32,
    /// Length of the missed lessons, from the lesson rows.
    pub missed_minutes: i64,
    pub late: u32,
    pub late_minutes: i64,
    pub left_early: u32,
}

impl std::ops::AddAssign for Figures {
    fn add_assign(&mut self, o: Figures) {
        self.missed += o.missed;
        self.excused += o.excused;
        self.unexcused += o.unexcused;
        self.open += o.open;
        self.missed_minutes += o.missed_minutes;
        self.late += o.late;
        self.late_minutes += o.late_minutes;
        self.left_early += o.left_early;
    }
}

/// One row of the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilFigures {
    pub pupil: ClassPupil,
    pub figures: Figures,
}

/// How an absent lesson counts: excused if an excused case covers it, else unexcused if an
/// unexcused case covers it, else open (no case, or only open ones).
pub fn classify(spans: &[CaseSpan], pupil_id: i64, date: NaiveDate, period: i16) -> Excuse {
    let covering: Vec<&CaseSpan> = spans
        .iter()
        .filter(|s| s.pupil_id == pupil_id && s.covers(date, period))
        .collect();
    if covering
        .iter()
        .any(|s| s.excuse == Excuse::Entschuldigt.db())
    {
        Excuse::Entschuldigt
    } else if covering
        .iter()
        .any(|s| s.excuse == Excuse::Unentschuldigt.db())
    {
        Excuse::Unentschuldigt
    } else {
        Excuse::Offen
    }
}

/// The figures of every pupil from the marks of the term and the cases.
pub fn compute(pupils: &[ClassPupil], marks: &[MarkRow], spans: &[CaseSpan]) -> Vec<PupilFigures> {
    pupils
        .iter()
        .map(|p| {
            let mut f = Figures::default();
            for m in marks.iter().filter(|m| m.pupil_id == p.id) {
                match m.status.as_str() {
                    "abwesend" => {
                        f.missed += 1;
                        f.missed_minutes += i64::from((m.end_minute - m.start_minute).max(0));
                        match classify(spans, p.id, m.date, m.period) {
                            Excuse::Entschuldigt => f.excused += 1,
                            Excuse::Unentschuldigt => f.unexcused += 1,
                            Excuse::Offen => f.open += 1,
                        }
                    }
                    "verspaetet" => {
                        f.late += 1;
                        f.late_minutes += i64::from(m.minutes.max(0));
                    }
                    "frueh_gegangen" => f.left_early += 1,
                    _ => {}
                }
            }
            PupilFigures {
                pupil: p.clone(),
                figures: f,
            }
        })
        .collect()
}

/// The class total.
pub fn total(rows: &[PupilFigures]) -> Figures {
    let mut t = Figures::default();
    for r in rows {
        t += r.figures;
    }
    t
}

#[derive(Debug, Deserialize)]
pub struct TermQuery {
    halbjahr: Option<String>,
}

/// Where step-up leads back to: the statistics page with the term asked for (the export
/// itself is no page to return to).
fn return_to(class_id: i64, q: &TermQuery) -> String {
    match &q.halbjahr {
        Some(h) => format!(
            "{}?halbjahr={}",
            statistik_path(class_id),
            urlencoding::encode(h)
        ),
        None => statistik_path(class_id),
    }
}

/// "2. Halbjahr (01.02.2027–31.07.2027)".
pub fn term_label(t: &Term) -> String {
    format!(
        "{} ({}–{})",
        t.name,
        t.starts_on.format("%d.%m.%Y"),
        t.ends_on.format("%d.%m.%Y")
    )
}

/// The term asked for, else the one containing today, else the latest one already begun,
/// else the first. An id that is not a term of this school is 404.
fn choose_term(terms: &[Term], asked: Option<&str>, today: NaiveDate) -> AppResult<Option<Term>> {
    if let Some(raw) = asked.map(str::trim).filter(|s| !s.is_empty()) {
        let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
        return terms
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .map(Some)
            .ok_or(AppError::NotFound);
    }
    Ok(term_containing(terms, today)
        .or_else(|| terms.iter().rev().find(|t| t.starts_on <= today))
        .or_else(|| terms.first())
        .cloned())
}

/// The statistics of a class.
struct Stats {
    terms: Vec<Term>,
    term: Option<Term>,
    rows: Vec<PupilFigures>,
}

/// Resolves access, step-up and the term, then loads and computes. Reads class B data.
async fn load(
    state: &AppState,
    user: &CurrentUser,
    class_id: i64,
    asked: Option<&str>,
    next: &str,
) -> AppResult<(ClassAccess, Elevation, Stats)> {
    let acc = open_class(
        state,
        user,
        class_id,
        ClassAccess::sees_statistics,
        "Klassenlehrkraft oder Schulleitung",
    )
    .await?;
    let proof = require_elevation(state, user, next).await?;
    let school_id = user.school_id();
    let terms = state
        .db
        .run(move |c| calendar::terms_of(c, school_id))
        .await?;
    let term = choose_term(&terms, asked, acc.today)?;
    let rows = match &term {
        Some(t) => compute_for(state, &proof, school_id, class_id, t).await?,
        None => Vec::new(),
    };
    Ok((acc, proof, Stats { terms, term, rows }))
}

async fn compute_for(
    state: &AppState,
    _proof: &Elevation,
    school_id: i64,
    class_id: i64,
    term: &Term,
) -> AppResult<Vec<PupilFigures>> {
    let (from, to) = (term.starts_on, term.ends_on);
    let (pupils, marks, spans) = state
        .db
        .run(move |c| {
            let pupils = absences::pupils_of_class_in(c, school_id, class_id, from, to)?;
            let ids: Vec<i64> = pupils.iter().map(|p| p.id).collect();
            let marks = absences::marks_of_pupils(c, school_id, &ids, from, to)?;
            let spans = if ids.is_empty() {
                Vec::new()
            } else {
                register::case_spans(c, school_id, &ids, from, to)?
            };
            Ok((pupils, marks, spans))
        })
        .await?;
    Ok(compute(&pupils, &marks, &spans))
}

fn figure_cells(f: &Figures) -> Markup {
    markup! {
        td.missed { (f.missed) }
        td.excused { (f.excused) }
        td.unexcused { (f.unexcused) }
        td.open { (f.open) }
        td.minutes { (f.missed_minutes) }
        td.late { (f.late) }
        td.late-minutes { (f.late_minutes) }
        td.left-early { (f.left_early) }
    }
}

fn table(rows: &[PupilFigures], term: &Term) -> Markup {
    let t = total(rows);
    markup! {
        table.statistics {
            caption { "Fehlzeiten im " (term_label(term)) }
            thead { tr {
                th scope="col" { "Schülerin/Schüler" }
                th scope="col" { "Fehlstunden" }
                th scope="col" { "davon entschuldigt" }
                th scope="col" { "davon unentschuldigt" }
                th scope="col" { "davon offen" }
                th scope="col" { "Fehlminuten" }
                th scope="col" { "Verspätungen" }
                th scope="col" { "Verspätungsminuten" }
                th scope="col" { "früher gegangen" }
            } }
            tbody {
                @for r in rows {
                    tr.pupil id={ "schueler-" (r.pupil.id) } {
                        th scope="row" { (r.pupil.name()) }
                        (figure_cells(&r.figures))
                    }
                }
            }
            tfoot { tr #summe { th scope="row" { "Klasse gesamt" } (figure_cells(&t)) } }
        }
    }
}

fn term_picker(class_id: i64, stats: &Stats) -> Markup {
    let current = stats.term.as_ref().map(|t| t.id);
    markup! {
        form.inline method="get" action=(statistik_path(class_id)) {
            label for="halbjahr" { "Halbjahr" }
            select #halbjahr name="halbjahr" {
                @for t in &stats.terms { option value=(t.id) selected[Some(t.id) == current] { (term_label(t)) } }
            }
            button.secondary type="submit" { "Anzeigen" }
        }
    }
}

/// `GET /klassen/{class_id}/statistik?halbjahr=<term id>`.
pub async fn page(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    q: Query<TermQuery>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let next = return_to(class_id, &q);
    let (acc, _proof, stats) = load(&state, &user, class_id, q.halbjahr.as_deref(), &next).await?;
    let body = markup! {
        p.meta {
            a href="/klassen" { "Alle Klassen" } " · "
            a href=(crate::register::absences::fehlzeiten_path(class_id)) { "Fehlzeiten" }
        }
        @match &stats.term {
            None => p { "Für die Schule sind noch keine Halbjahre angelegt." },
            Some(term) => {
                (term_picker(class_id, &stats))
                (table(&stats.rows, term))
                p { a.button href={ (statistik_path(class_id)) ".csv?halbjahr=" (term.id) } download { "Als CSV herunterladen" } }
                h2 { "Fehlstunden im Überblick" }
                (chart::bars(&stats.rows, term))
            }
        }
    };
    user.event("statistik_angezeigt")
        .object(format!("klasse:{class_id}"))
        .detail(format!(
            "datengruppe=fehlzeitenstatistik; halbjahr:{}",
            stats
                .term
                .as_ref()
                .map(|t| t.id.to_string())
                .unwrap_or_default()
        ))
        .record(&state)
        .await?;
    Ok(html(
        Page::new(format!("Statistik {}", acc.class.name))
            .nav(user.nav())
            .render(body),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, m, day).unwrap()
    }

    fn pupil(id: i64, surname: &str) -> ClassPupil {
        ClassPupil {
            id,
            surname: surname.into(),
            first_name: "Mia".into(),
            enrolled_from: d(1, 1),
            enrolled_to: None,
        }
    }

    fn mark(
        pupil_id: i64,
        date: NaiveDate,
        period: i16,
        len: i32,
        status: &str,
        minutes: i32,
    ) -> MarkRow {
        MarkRow {
            pupil_id,
            date,
            period,
            start_minute: 480,
            end_minute: 480 + len,
            status: status.into(),
            minutes,
            subject: "Mathematik".into(),
        }
    }

    fn span(
        pupil_id: i64,
        from: NaiveDate,
        to: NaiveDate,
        periods: (Option<i16>, Option<i16>),
        excuse: &str,
    ) -> CaseSpan {
        CaseSpan {
            pupil_id,
            from_date: from,
            to_date: to,
            from_period: periods.0,
            to_period: periods.1,
            excuse: excuse.into(),
        }
    }

    #[test]
    fn absences_count_by_the_case_that_covers_them_and_minutes_by_the_lesson_row() {
        let marks = [
            mark(1, d(2, 8), 1, 45, "abwesend", 0),
            mark(1, d(2, 10), 2, 45, "abwesend", 0),
            mark(1, d(2, 15), 1, 60, "abwesend", 0),
            mark(1, d(2, 22), 1, 60, "abwesend", 0),
            mark(1, d(2, 17), 2, 60, "verspaetet", 7),
            mark(2, d(2, 10), 2, 45, "abwesend", 0),
            mark(2, d(2, 17), 2, 60, "frueh_gegangen", 15),
        ];
        let spans = [
            span(1, d(2, 8), d(2, 10), (None, None), "entschuldigt"),
            span(1, d(2, 15), d(2, 15), (Some(1), Some(1)), "unentschuldigt"),
            // Starts in period 3: does not cover period 2.
            span(2, d(2, 10), d(2, 10), (Some(3), None), "entschuldigt"),
        ];
        let rows = compute(&[pupil(1, "Albers"), pupil(2, "Brandt")], &marks, &spans);
        let a = rows[0].figures;
        assert_eq!((a.missed, a.excused, a.unexcused, a.open), (4, 2, 1, 1));
        assert_eq!(a.missed_minutes, 210);
        assert_eq!((a.late, a.late_minutes), (1, 7));
        let b = rows[1].figures;
        assert_eq!(
            (b.missed, b.open, b.missed_minutes, b.left_early),
            (1, 1, 45, 1)
        );
        let t = total(&rows);
        assert_eq!((t.missed, t.missed_minutes), (5, 255));
    }
}
