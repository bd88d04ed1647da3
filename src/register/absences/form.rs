//! The forms of the absence page: parsing and validation with German messages that name the
//! field. Only the fields an action allows are read; everything else is ignored.

use crate::db::absences::ClassPupil;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

/// The longest confidential note, in characters.
pub const NOTE_MAX: usize = 1000;
/// The longest absence case, in days.
pub const CASE_MAX_DAYS: i64 = 366;
/// The longest Attestpflicht, in days.
pub const ATTEST_MAX_DAYS: i64 = 730;
/// The highest period number a case may name.
pub const PERIOD_MAX: i16 = 12;

/// The reason category of an absence case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Krank,
    Beurlaubt,
    SchulischeVeranstaltung,
    Schulsozialarbeit,
    Sonstige,
}

impl Reason {
    pub const ALL: [Reason; 5] = [
        Reason::Krank,
        Reason::Beurlaubt,
        Reason::SchulischeVeranstaltung,
        Reason::Schulsozialarbeit,
        Reason::Sonstige,
    ];

    /// The value stored in `absence_cases.reason` (and sent by the form).
    pub fn db(self) -> &'static str {
        match self {
            Reason::Krank => "krank",
            Reason::Beurlaubt => "beurlaubt",
            Reason::SchulischeVeranstaltung => "schulische_veranstaltung",
            Reason::Schulsozialarbeit => "schulsozialarbeit",
            Reason::Sonstige => "sonstige",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::Krank => "krank",
            Reason::Beurlaubt => "beurlaubt",
            Reason::SchulischeVeranstaltung => "schulische Veranstaltung",
            Reason::Schulsozialarbeit => "Schulsozialarbeit",
            Reason::Sonstige => "sonstige",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.db() == s)
    }
}

/// The excuse state of an absence case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excuse {
    Offen,
    Entschuldigt,
    Unentschuldigt,
}

impl Excuse {
    pub const ALL: [Excuse; 3] = [Excuse::Offen, Excuse::Entschuldigt, Excuse::Unentschuldigt];

    /// The value stored in `absence_cases.excuse` (and sent by the form).
    pub fn db(self) -> &'static str {
        match self {
            Excuse::Offen => "offen",
            Excuse::Entschuldigt => "entschuldigt",
            Excuse::Unentschuldigt => "unentschuldigt",
        }
    }

    pub fn label(self) -> &'static str {
        self.db()
    }

    pub fn parse(s: &str) -> Option<Excuse> {
        Excuse::ALL.into_iter().find(|e| e.db() == s)
    }
}

/// One validation problem: the id of the input it concerns and a German message that names
/// the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub id: String,
    pub message: String,
}

fn err(id: &str, message: String) -> FieldError {
    FieldError {
        id: id.to_owned(),
        message,
    }
}

/// A date as `YYYY-MM-DD` (date input) or `TT.MM.JJJJ` (typed), between 2000 and 2100.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
}

/// A required date field.
fn required_date(
    raw: &str,
    id: &str,
    label: &str,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    if raw.trim().is_empty() {
        errors.push(err(id, format!("Feld »{label}«: bitte ein Datum angeben.")));
        return None;
    }
    let d = parse_date(raw);
    if d.is_none() {
        errors.push(err(
            id,
            format!(
                "Feld »{label}«: »{}« ist kein gültiges Datum (TT.MM.JJJJ).",
                raw.trim()
            ),
        ));
    }
    d
}

/// A pupil id that must name one of `pupils`.
fn pupil_field(
    raw: &str,
    id: &str,
    pupils: &[ClassPupil],
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let found = raw
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|pid| pupils.iter().any(|p| p.id == *pid));
    if found.is_none() {
        errors.push(err(
            id,
            "Feld »Schülerin/Schüler«: bitte eine Schülerin oder einen Schüler dieser Klasse auswählen."
                .into(),
        ));
    }
    found
}

/// The form that records an absence case (also sent by "als Fall erfassen").
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CaseForm {
    #[serde(default)]
    pub pupil: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub from_period: String,
    #[serde(default)]
    pub to_period: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

/// A validated absence case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseInput {
    pub pupil_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub from_period: Option<i16>,
    pub to_period: Option<i16>,
    pub reason: Reason,
    pub note: Option<String>,
}

fn period_field(raw: &str, id: &str, label: &str, errors: &mut Vec<FieldError>) -> Option<i16> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i16>() {
        Ok(p) if (1..=PERIOD_MAX).contains(&p) => Some(p),
        _ => {
            errors.push(err(
                id,
                format!("Feld »{label}«: »{raw}« ist keine Stunde zwischen 1 und {PERIOD_MAX}."),
            ));
            None
        }
    }
}

/// Validates the case form against the pupils of the class. An empty »bis« means the same
/// day as »von«; »ab Stunde« applies to the first day, »bis Stunde« to the last.
pub fn parse_case(f: &CaseForm, pupils: &[ClassPupil]) -> Result<CaseInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let pupil = pupil_field(&f.pupil, "case-pupil", pupils, &mut errors);
    let from = required_date(&f.from, "case-from", "von", &mut errors);
    let to = if f.to.trim().is_empty() {
        from
    } else {
        required_date(&f.to, "case-to", "bis", &mut errors)
    };
    let from_period = period_field(&f.from_period, "case-from-period", "ab Stunde", &mut errors);
    let to_period = period_field(&f.to_period, "case-to-period", "bis Stunde", &mut errors);
    if let (Some(a), Some(b)) = (from, to) {
        if b < a {
            errors.push(err(
                "case-to",
                "Feld »bis«: das Datum liegt vor dem Datum im Feld »von«.".into(),
            ));
        } else if (b - a).num_days() >= CASE_MAX_DAYS {
            errors.push(err(
                "case-to",
                format!("Feld »bis«: eine Fehlzeit umfasst höchstens {CASE_MAX_DAYS} Tage."),
            ));
        } else if a == b
            && let (Some(p), Some(q)) = (from_period, to_period)
            && q < p
        {
            errors.push(err(
                "case-to-period",
                "Feld »bis Stunde«: am selben Tag liegt sie vor »ab Stunde«.".into(),
            ));
        }
    }
    let reason = Reason::parse(f.reason.trim());
    if reason.is_none() {
        errors.push(err(
            "case-reason",
            "Feld »Grund«: bitte einen der angebotenen Gründe auswählen.".into(),
        ));
    }
    let note = f.note.trim();
    if note.chars().count() > NOTE_MAX {
        errors.push(err(
            "case-note",
            format!("Feld »Vertrauliche Notiz«: höchstens {NOTE_MAX} Zeichen."),
        ));
    }
    match (pupil, from, to, reason) {
        (Some(pupil_id), Some(from), Some(to), Some(reason)) if errors.is_empty() => {
            Ok(CaseInput {
                pupil_id,
                from,
                to,
                from_period,
                to_period,
                reason,
                note: (!note.is_empty()).then(|| note.to_owned()),
            })
        }
        _ => Err(errors),
    }
}

/// The class teacher's excuse decision on one case.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExcuseForm {
    #[serde(default)]
    pub excuse: String,
    #[serde(default)]
    pub received: String,
}

/// Validates an excuse decision. »entschuldigt« needs the date the excuse arrived; the date
/// may not lie in the future; »offen« clears it.
pub fn parse_excuse(
    f: &ExcuseForm,
    case_id: i64,
    today: NaiveDate,
) -> Result<(Excuse, Option<NaiveDate>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let state_id = format!("e{case_id}-excuse");
    let date_id = format!("e{case_id}-received");
    let excuse = Excuse::parse(f.excuse.trim());
    if excuse.is_none() {
        errors.push(err(
            &state_id,
            "Feld »Entschuldigung«: bitte offen, entschuldigt oder unentschuldigt wählen.".into(),
        ));
    }
    let label = "Eingang der Entschuldigung";
    let received = match excuse {
        Some(Excuse::Offen) | None => None,
        Some(e) => {
            let raw = f.received.trim();
            if raw.is_empty() {
                if e == Excuse::Entschuldigt {
                    errors.push(err(
                        &date_id,
                        format!("Feld »{label}«: bitte das Datum angeben, an dem die Entschuldigung einging."),
                    ));
                }
                None
            } else {
                let d = required_date(raw, &date_id, label, &mut errors);
                if d.is_some_and(|d| d > today) {
                    errors.push(err(
                        &date_id,
                        format!("Feld »{label}«: das Datum liegt in der Zukunft."),
                    ));
                }
                d
            }
        }
    };
    match excuse {
        Some(e) if errors.is_empty() => Ok((e, received)),
        _ => Err(errors),
    }
}

/// The form that records an Attestpflicht.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttestForm {
    #[serde(default)]
    pub pupil: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

/// A validated Attestpflicht.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestInput {
    pub pupil_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Validates the Attestpflicht form: pupil of the class, start and end, end not before start.
pub fn parse_attest(f: &AttestForm, pupils: &[ClassPupil]) -> Result<AttestInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let pupil = pupil_field(&f.pupil, "attest-pupil", pupils, &mut errors);
    let from = required_date(&f.from, "attest-from", "Attestpflicht ab", &mut errors);
    let to = required_date(&f.to, "attest-to", "Attestpflicht bis", &mut errors);
    if let (Some(a), Some(b)) = (from, to) {
        if b < a {
            errors.push(err(
                "attest-to",
                "Feld »Attestpflicht bis«: das Datum liegt vor »Attestpflicht ab«.".into(),
            ));
        } else if (b - a).num_days() >= ATTEST_MAX_DAYS {
            errors.push(err(
                "attest-to",
                format!("Feld »Attestpflicht bis«: höchstens {ATTEST_MAX_DAYS} Tage."),
            ));
        }
    }
    match (pupil, from, to) {
        (Some(pupil_id), Some(from), Some(to)) if errors.is_empty() => {
            Ok(AttestInput { pupil_id, from, to })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pupils() -> Vec<ClassPupil> {
        vec![ClassPupil {
            id: 7,
            surname: "Albers".into(),
            first_name: "Mia".into(),
            enrolled_from: NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
            enrolled_to: None,
        }]
    }

    #[test]
    fn a_case_without_end_date_lasts_one_day_and_keeps_its_periods() {
        let f = CaseForm {
            pupil: "7".into(),
            from: "08.02.2027".into(),
            from_period: "3".into(),
            to_period: "4".into(),
            reason: "krank".into(),
            note: "  Fieber ".into(),
            ..Default::default()
        };
        let c = parse_case(&f, &pupils()).unwrap();
        assert_eq!(c.from, c.to);
        assert_eq!((c.from_period, c.to_period), (Some(3), Some(4)));
        assert_eq!(c.note.as_deref(), Some("Fieber"));
    }

    #[test]
    fn every_problem_of_a_case_names_its_field() {
        let f = CaseForm {
            pupil: "8".into(),
            from: "2027-02-10".into(),
            to: "2027-02-09".into(),
            from_period: "13".into(),
            reason: "schwänzen".into(),
            note: "x".repeat(NOTE_MAX + 1),
            ..Default::default()
        };
        let errors = parse_case(&f, &pupils()).unwrap_err();
        let ids: Vec<&str> = errors.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "case-pupil",
                "case-from-period",
                "case-to",
                "case-reason",
                "case-note"
            ]
        );
        assert!(errors.iter().all(|e| e.message.starts_with("Feld »")));
    }

    #[test]
    fn an_excused_case_needs_the_date_the_excuse_arrived_and_not_a_future_one() {
        let today = NaiveDate::from_ymd_opt(2027, 2, 26).unwrap();
        let f = ExcuseForm {
            excuse: "entschuldigt".into(),
            received: String::new(),
        };
        assert_eq!(parse_excuse(&f, 1, today).unwrap_err()[0].id, "e1-received");
        let f = ExcuseForm {
            excuse: "entschuldigt".into(),
            received: "2027-02-27".into(),
        };
        assert!(parse_excuse(&f, 1, today).is_err());
        let f = ExcuseForm {
            excuse: "offen".into(),
            received: "2027-02-20".into(),
        };
        assert_eq!(parse_excuse(&f, 1, today).unwrap(), (Excuse::Offen, None));
    }
}
