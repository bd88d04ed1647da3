//! The period a printed register covers, from the query string: `?woche=2026-W48` (an ISO
//! week) or `?woche=2026-11-23` (seven days from that date), `?halbjahr=<term id>`,
//! `?schuljahr=<school year id>`; without any, the current week.

use crate::db::DbConnection;
use crate::db::print as queries;
use crate::error::AppError;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use diesel::QueryResult;
use serde::Deserialize;

/// The query string of both register routes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RangeQuery {
    pub woche: Option<String>,
    pub halbjahr: Option<String>,
    pub schuljahr: Option<String>,
}

/// What the query asked for, before the database is asked about terms and years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// The ISO week `(year, week)`.
    IsoWeek(i32, u32),
    /// Seven days from a date.
    WeekFrom(NaiveDate),
    Term(i64),
    SchoolYear(i64),
}

/// A resolved range: both days inclusive.
#[derive(Debug, Clone)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// "KW 48/2026", "1. Halbjahr 2026/27", "Schuljahr 2026/27".
    pub name: String,
    /// The query string that selects this range again (for the PDF link).
    pub query: String,
    /// A file-name part: "2026-W48", "halbjahr-3", "schuljahr-1".
    pub key: String,
}

impl Range {
    /// "KW 48/2026 (23.11.2026 – 29.11.2026)".
    pub fn label(&self) -> String {
        format!(
            "{} ({} – {})",
            self.name,
            self.from.format("%d.%m.%Y"),
            self.to.format("%d.%m.%Y")
        )
    }
}

fn bad(text: &str) -> AppError {
    AppError::BadRequest(text.to_owned())
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Reads the query; at most one of the three may be given.
pub fn parse(q: &RangeQuery, today: NaiveDate) -> Result<Choice, AppError> {
    let given = [
        non_empty(&q.woche),
        non_empty(&q.halbjahr),
        non_empty(&q.schuljahr),
    ];
    if given.iter().flatten().count() > 1 {
        return Err(bad(
            "Bitte nur einen Zeitraum angeben: Woche, Halbjahr oder Schuljahr.",
        ));
    }
    let id = |s: &str, what: &str| {
        s.parse::<i64>()
            .map_err(|_| bad(&format!("»{s}« ist kein gültiges {what}.")))
    };
    match given {
        [Some(w), _, _] => parse_week(w),
        [_, Some(t), _] => Ok(Choice::Term(id(t, "Halbjahr")?)),
        [_, _, Some(y)] => Ok(Choice::SchoolYear(id(y, "Schuljahr")?)),
        _ => {
            let w = today.iso_week();
            Ok(Choice::IsoWeek(w.year(), w.week()))
        }
    }
}

fn parse_week(w: &str) -> Result<Choice, AppError> {
    let invalid = || {
        bad(&format!(
            "»{w}« ist keine gültige Woche (erwartet z. B. 2026-W48 oder 2026-11-23)."
        ))
    };
    if let Some((year, week)) = w.split_once("-W") {
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let week: u32 = week.parse().map_err(|_| invalid())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(invalid)?;
        return Ok(Choice::IsoWeek(year, week));
    }
    NaiveDate::parse_from_str(w, "%Y-%m-%d")
        .map(Choice::WeekFrom)
        .map_err(|_| invalid())
}

/// Resolves a choice; `None` when the term or school year is not one of this school's.
pub fn resolve(
    conn: &mut DbConnection,
    school_id: i64,
    choice: &Choice,
) -> QueryResult<Option<Range>> {
    Ok(match *choice {
        Choice::IsoWeek(year, week) => {
            NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(|from| Range {
                from,
                to: from + Duration::days(6),
                name: format!("KW {week}/{year}"),
                query: format!("woche={year}-W{week:02}"),
                key: format!("{year}-W{week:02}"),
            })
        }
        Choice::WeekFrom(from) => Some(Range {
            from,
            to: from + Duration::days(6),
            name: format!("Woche ab {}", from.format("%d.%m.%Y")),
            query: format!("woche={from}"),
            key: format!("ab-{from}"),
        }),
        Choice::Term(id) => {
            queries::term_with_year(conn, school_id, id)?.map(|(term, year)| Range {
                from: term.starts_on,
                to: term.ends_on,
                name: format!("{} {year}", term.name),
                query: format!("halbjahr={id}"),
                key: format!("halbjahr-{id}"),
            })
        }
        Choice::SchoolYear(id) => queries::school_years_of(conn, school_id)?
            .into_iter()
            .find(|y| y.id == id)
            .map(|y| Range {
                from: y.starts_on,
                to: y.ends_on,
                name: format!("Schuljahr {}", y.name),
                query: format!("schuljahr={id}"),
                key: format!("schuljahr-{id}"),
            }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(woche: Option<&str>, halbjahr: Option<&str>, schuljahr: Option<&str>) -> RangeQuery {
        RangeQuery {
            woche: woche.map(Into::into),
            halbjahr: halbjahr.map(Into::into),
            schuljahr: schuljahr.map(Into::into),
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn an_iso_week_a_start_date_a_term_and_a_school_year_are_understood() {
        let today = day(2026, 11, 25);
        assert_eq!(
            parse(&q(Some("2026-W48"), None, None), today).unwrap(),
            Choice::IsoWeek(2026, 48)
        );
        assert_eq!(
            parse(&q(Some("2026-11-18"), None, None), today).unwrap(),
            Choice::WeekFrom(day(2026, 11, 18))
        );
        assert_eq!(
            parse(&q(None, Some("3"), Some("")), today).unwrap(),
            Choice::Term(3)
        );
        assert_eq!(
            parse(&q(None, None, Some("7")), today).unwrap(),
            Choice::SchoolYear(7)
        );
    }

    #[test]
    fn without_a_range_the_current_iso_week_is_printed() {
        assert_eq!(
            parse(&RangeQuery::default(), day(2026, 11, 25)).unwrap(),
            Choice::IsoWeek(2026, 48)
        );
    }

    #[test]
    fn two_ranges_or_a_malformed_week_are_refused() {
        let today = day(2026, 11, 25);
        assert!(parse(&q(Some("2026-W48"), Some("1"), None), today).is_err());
        assert!(parse(&q(Some("2026-W54"), None, None), today).is_err());
        assert!(parse(&q(Some("letzte Woche"), None, None), today).is_err());
        assert!(parse(&q(None, Some("x"), None), today).is_err());
    }
}
