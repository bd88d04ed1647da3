//! The absence overview of one pupil as the social worker sees it: per term the missed
//! lessons and how many of them are excused, unexcused or open, and the same counts per
//! calendar week. Counting reuses the statistics (`register::stats::compute` and
//! `classify`), so both pages always agree; only these four numbers leave this module —
//! no late minutes, no subjects, no reasons, no notes.

use crate::db::absences::{ClassPupil, MarkRow};
use crate::db::calendar::Term;
use crate::db::register::CaseSpan;
use crate::register::absences::Excuse;
use crate::register::stats::{Figures, classify, compute};
use chrono::{Datelike, Duration, NaiveDate};

/// Missed lessons, and of those excused, unexcused and open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub missed: u32,
    pub excused: u32,
    pub unexcused: u32,
    pub open: u32,
}

impl From<Figures> for Counts {
    fn from(f: Figures) -> Self {
        Counts {
            missed: f.missed,
            excused: f.excused,
            unexcused: f.unexcused,
            open: f.open,
        }
    }
}

/// The counts of one term (up to today for the running term).
#[derive(Debug, Clone)]
pub struct TermCounts {
    pub term: Term,
    /// The last day counted: the term's end, or today while it runs.
    pub until: NaiveDate,
    pub counts: Counts,
}

/// The counts of one calendar week (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekCounts {
    pub year: i32,
    pub week: u32,
    pub monday: NaiveDate,
    pub counts: Counts,
}

/// The terms to show: those of the school year of the term containing `today` (else of the
/// latest term already begun) that have begun by `today`, oldest first.
pub fn terms_to_show(terms: &[Term], today: NaiveDate) -> Vec<Term> {
    let current = terms
        .iter()
        .find(|t| t.starts_on <= today && today <= t.ends_on)
        .or_else(|| terms.iter().rev().find(|t| t.starts_on <= today));
    let Some(current) = current else {
        return Vec::new();
    };
    terms
        .iter()
        .filter(|t| t.school_year_id == current.school_year_id && t.starts_on <= today)
        .cloned()
        .collect()
}

/// The counts of `pupil` per term, from the pupil's marks and cases.
pub fn per_term(
    pupil: &ClassPupil,
    terms: &[Term],
    marks: &[MarkRow],
    spans: &[CaseSpan],
    today: NaiveDate,
) -> Vec<TermCounts> {
    terms
        .iter()
        .map(|t| {
            let until = t.ends_on.min(today);
            let in_term: Vec<MarkRow> = marks
                .iter()
                .filter(|m| t.starts_on <= m.date && m.date <= until)
                .cloned()
                .collect();
            let figures = compute(std::slice::from_ref(pupil), &in_term, spans)
                .first()
                .map(|r| r.figures)
                .unwrap_or_default();
            TermCounts {
                term: t.clone(),
                until,
                counts: figures.into(),
            }
        })
        .collect()
}

/// The counts of `pupil_id` per calendar week from the week of `from` to the week of `to`,
/// every week listed (also those without absences, so the pattern shows the gaps).
pub fn per_week(
    pupil_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    marks: &[MarkRow],
    spans: &[CaseSpan],
) -> Vec<WeekCounts> {
    let monday_of =
        |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let mut weeks = Vec::new();
    let mut monday = monday_of(from);
    while monday <= to {
        let iso = monday.iso_week();
        weeks.push(WeekCounts {
            year: iso.year(),
            week: iso.week(),
            monday,
            counts: Counts::default(),
        });
        monday += Duration::days(7);
    }
    for m in marks
        .iter()
        .filter(|m| m.pupil_id == pupil_id && m.status == "abwesend")
        .filter(|m| from <= m.date && m.date <= to)
    {
        let monday = monday_of(m.date);
        if let Some(w) = weeks.iter_mut().find(|w| w.monday == monday) {
            w.counts.missed += 1;
            match classify(spans, pupil_id, m.date, m.period) {
                Excuse::Entschuldigt => w.counts.excused += 1,
                Excuse::Unentschuldigt => w.counts.unexcused += 1,
                Excuse::Offen => w.counts.open += 1,
            }
        }
    }
    weeks
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, m, day).unwrap()
    }

    fn mark(date: NaiveDate, period: i16, status: &str) -> MarkRow {
        MarkRow {
            pupil_id: 1,
            date,
            period,
            start_minute: 480,
            end_minute: 525,
            status: status.into(),
            minutes: 0,
            subject: "Mathematik".into(),
        }
    }

    fn span(from: NaiveDate, to: NaiveDate, excuse: &str) -> CaseSpan {
        CaseSpan {
            pupil_id: 1,
            from_date: from,
            to_date: to,
            from_period: None,
            to_period: None,
            excuse: excuse.into(),
        }
    }

    fn term(id: i64, year: i64, from: NaiveDate, to: NaiveDate) -> Term {
        Term {
            id,
            school_year_id: year,
            name: format!("{id}. Halbjahr"),
            starts_on: from,
            ends_on: to,
        }
    }

    #[test]
    fn weeks_without_absences_are_listed_and_each_absence_counts_by_its_case() {
        let marks = [
            mark(d(2, 8), 1, "abwesend"),
            mark(d(2, 8), 2, "abwesend"),
            mark(d(2, 10), 1, "verspaetet"),
            mark(d(2, 24), 3, "abwesend"),
        ];
        let spans = [span(d(2, 8), d(2, 8), "entschuldigt")];

        let weeks = per_week(1, d(2, 3), d(2, 26), &marks, &spans);

        let summary: Vec<(u32, u32, u32, u32)> = weeks
            .iter()
            .map(|w| (w.week, w.counts.missed, w.counts.excused, w.counts.open))
            .collect();
        assert_eq!(
            summary,
            vec![(5, 0, 0, 0), (6, 2, 2, 0), (7, 0, 0, 0), (8, 1, 0, 1)]
        );
        assert_eq!(weeks[0].monday, d(2, 1));
    }

    #[test]
    fn terms_of_the_current_school_year_count_up_to_today() {
        let old = term(
            1,
            1,
            NaiveDate::from_ymd_opt(2025, 8, 1).unwrap(),
            d(1, 31) - Duration::days(365),
        );
        let t1 = term(2, 2, NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(), d(1, 31));
        let t2 = term(3, 2, d(2, 1), d(7, 31));
        let all = [old, t1, t2];
        let shown = terms_to_show(&all, d(2, 26));
        assert_eq!(shown.iter().map(|t| t.id).collect::<Vec<_>>(), vec![2, 3]);

        let pupil = ClassPupil {
            id: 1,
            surname: "Albers".into(),
            first_name: "Mia".into(),
            enrolled_from: d(1, 1),
            enrolled_to: None,
        };
        let marks = [
            mark(d(1, 20), 1, "abwesend"),
            mark(d(2, 15), 1, "abwesend"),
            mark(d(2, 16), 1, "abwesend"),
        ];
        let spans = [span(d(2, 16), d(2, 16), "unentschuldigt")];
        let rows = per_term(&pupil, &shown, &marks, &spans, d(2, 26));
        assert_eq!(
            rows[0].counts,
            Counts {
                missed: 1,
                excused: 0,
                unexcused: 0,
                open: 1
            }
        );
        assert_eq!(
            rows[1].counts,
            Counts {
                missed: 2,
                excused: 0,
                unexcused: 1,
                open: 1
            }
        );
        assert_eq!(rows[1].until, d(2, 26));
    }
}
