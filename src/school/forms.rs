//! Form handling of the structure pages: the submitted fields an action allows, checks with
//! German messages that name the field, and the inputs that show the values and messages
//! again when a form comes back with errors. Field names double as element ids, so they
//! are unique on their page.

mod inputs;

pub use inputs::*;

use crate::error::AppError;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

/// The longest name of a class, room, group or school year, in characters.
pub const NAME_MAX: usize = 60;

/// One validation problem: the field (element id) and a message that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub id: String,
    pub message: String,
}

impl FieldError {
    pub fn new(id: &str, message: String) -> Self {
        Self {
            id: id.to_owned(),
            message,
        }
    }
}

/// The submitted fields an action allows; every other field is dropped unread, so no form
/// can set a school, user or role the action does not offer.
#[derive(Debug, Clone, Default)]
pub struct Input {
    values: HashMap<String, String>,
}

impl Input {
    /// Keeps the pairs whose name is in `allowed` (the first value of each).
    pub fn new<S: AsRef<str>>(pairs: Vec<(String, String)>, allowed: &[S]) -> Self {
        let mut values = HashMap::new();
        for (k, v) in pairs {
            if allowed.iter().any(|a| a.as_ref() == k) {
                values.entry(k).or_insert(v);
            }
        }
        Self { values }
    }

    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }
}

/// What a page shows in its forms: submitted values and their errors (empty on a fresh page).
#[derive(Debug, Clone, Default)]
pub struct FormState {
    values: HashMap<String, String>,
    pub errors: Vec<FieldError>,
}

impl FormState {
    /// A fresh form state with default values.
    pub fn with_defaults(defaults: &[(&str, String)]) -> Self {
        Self {
            values: defaults
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            errors: Vec::new(),
        }
    }

    /// The submitted form with its errors, over the page's defaults.
    pub fn submitted(mut self, input: Input, errors: Vec<FieldError>) -> Self {
        self.values.extend(input.values);
        self.errors = errors;
        self
    }

    pub fn value(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    /// Sets `key` to `value` unless it has a non-empty value already.
    pub fn fill(&mut self, key: &str, value: String) {
        let v = self.values.entry(key.to_owned()).or_default();
        if v.is_empty() {
            *v = value;
        }
    }

    /// Whether field `id` has a problem.
    pub fn invalid(&self, id: &str) -> bool {
        self.errors.iter().any(|e| e.id == id)
    }
}

/// Checks the fields of one [`Input`] and collects the problems.
#[derive(Debug)]
pub struct Check<'a> {
    input: &'a Input,
    pub errors: Vec<FieldError>,
}

/// A date as `YYYY-MM-DD` (date input) or `TT.MM.JJJJ` (typed), between 2000 and 2100.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
}

/// A time of day as `HH:MM` (24 hours), in minutes after midnight.
pub fn parse_time(s: &str) -> Option<i32> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// "07:55".
pub fn clock(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// "01.08.2026".
pub fn de_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// "01.08.2026 – 31.07.2027", "ab 01.08.2026".
pub fn de_span(from: Option<NaiveDate>, to: Option<NaiveDate>) -> String {
    match (from, to) {
        (Some(f), Some(t)) => format!("{} – {}", de_date(f), de_date(t)),
        (Some(f), None) => format!("ab {}", de_date(f)),
        (None, Some(t)) => format!("bis {}", de_date(t)),
        (None, None) => "unbefristet".into(),
    }
}

impl<'a> Check<'a> {
    pub fn new(input: &'a Input) -> Self {
        Self {
            input,
            errors: Vec::new(),
        }
    }

    /// Records a problem with field `id`.
    pub fn error(&mut self, id: &str, message: String) {
        self.errors.push(FieldError::new(id, message));
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// A required single-line text, trimmed, at most `max` characters.
    pub fn text(&mut self, key: &str, label: &str, max: usize) -> String {
        let v = self.input.get(key).trim();
        if v.is_empty() {
            self.error(key, format!("Feld »{label}«: bitte ausfüllen."));
        } else if v.chars().count() > max {
            self.error(key, format!("Feld »{label}«: höchstens {max} Zeichen."));
        } else if v.chars().any(char::is_control) {
            self.error(key, format!("Feld »{label}«: keine Steuerzeichen."));
        } else {
            return v.to_owned();
        }
        String::new()
    }

    /// A required date.
    pub fn date(&mut self, key: &str, label: &str) -> Option<NaiveDate> {
        if self.input.get(key).trim().is_empty() {
            self.error(key, format!("Feld »{label}«: bitte ein Datum angeben."));
            return None;
        }
        self.optional_date(key, label)
    }

    /// An optional date: `None` when empty or invalid (then with an error).
    pub fn optional_date(&mut self, key: &str, label: &str) -> Option<NaiveDate> {
        let raw = self.input.get(key).trim();
        if raw.is_empty() {
            return None;
        }
        let d = parse_date(raw);
        if d.is_none() {
            self.error(
                key,
                format!("Feld »{label}«: »{raw}« ist kein gültiges Datum (TT.MM.JJJJ)."),
            );
        }
        d
    }

    /// Demands `from <= to` for a range whose end is field `to_key`.
    pub fn order(
        &mut self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        to_key: &str,
        to_label: &str,
        from_label: &str,
    ) {
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            self.error(
                to_key,
                format!(
                    "Feld »{to_label}«: liegt vor »{from_label}« ({}).",
                    de_date(f)
                ),
            );
        }
    }

    /// An optional time of day `HH:MM`; `prefix` names the row ("3. Stunde, ").
    pub fn time(&mut self, key: &str, prefix: &str, label: &str) -> Option<i32> {
        let raw = self.input.get(key).trim();
        if raw.is_empty() {
            return None;
        }
        let t = parse_time(raw);
        if t.is_none() {
            self.error(
                key,
                format!("{prefix}Feld »{label}«: »{raw}« ist keine Uhrzeit (HH:MM)."),
            );
        }
        t
    }

    /// A whole number in `range`.
    pub fn number(
        &mut self,
        key: &str,
        label: &str,
        range: std::ops::RangeInclusive<i16>,
    ) -> Option<i16> {
        let raw = self.input.get(key).trim();
        match raw.parse::<i16>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ if raw.is_empty() => {
                self.error(key, format!("Feld »{label}«: bitte ausfüllen."));
                None
            }
            _ => {
                self.error(
                    key,
                    format!(
                        "Feld »{label}«: »{raw}« ist keine Zahl von {} bis {}.",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    /// A required choice of an id (a select). Whether the id belongs to the school is the
    /// caller's check (404 if not).
    pub fn id(&mut self, key: &str, label: &str) -> Option<i64> {
        let raw = self.input.get(key).trim();
        if raw.is_empty() {
            self.error(key, format!("Feld »{label}«: bitte auswählen."));
            return None;
        }
        self.optional_id(key, label)
    }

    /// An optional choice of an id: `None` when empty or malformed (then with an error).
    pub fn optional_id(&mut self, key: &str, label: &str) -> Option<i64> {
        let raw = self.input.get(key).trim();
        if raw.is_empty() {
            return None;
        }
        let id = raw.parse::<i64>().ok().filter(|id| *id > 0);
        if id.is_none() {
            self.error(key, format!("Feld »{label}«: ungültige Auswahl."));
        }
        id
    }
}

/// The id of the row a row form acts on (hidden field `key`). Browsers always send it, so
/// a missing or malformed one is a bad request, not a field error.
pub fn hidden_id(input: &Input, key: &str) -> Result<i64, AppError> {
    input
        .get(key)
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::BadRequest(format!("Feld »{key}«: fehlt oder ist ungültig.")))
}

/// A submitted end form of a table row: which row, and its last day (`None` with errors).
#[derive(Debug)]
pub struct EndRow {
    pub id: i64,
    /// The element id of the row's date input, which the errors name.
    pub key: String,
    /// The submitted date under `key`, to show it again.
    pub input: Input,
    pub last: Option<NaiveDate>,
    pub errors: Vec<FieldError>,
}

/// Reads an end form ([`inputs::end_form`]): fields `eintrag` and `ende`, nothing else.
pub fn end_row(pairs: Vec<(String, String)>) -> Result<EndRow, AppError> {
    let raw = Input::new(pairs, &["eintrag", "ende"]);
    let id = hidden_id(&raw, "eintrag")?;
    let key = format!("ende_{id}");
    let input = Input {
        values: HashMap::from([(key.clone(), raw.get("ende").to_owned())]),
    };
    let mut c = Check::new(&input);
    let last = c.date(&key, "Letzter Tag");
    let errors = c.errors;
    Ok(EndRow {
        id,
        key,
        input,
        last,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)], allowed: &[&str]) -> Input {
        Input::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            allowed,
        )
    }

    #[test]
    fn fields_the_action_does_not_allow_are_dropped() {
        let i = input(&[("name", "7a"), ("school_id", "2")], &["name"]);
        assert_eq!(i.get("name"), "7a");
        assert_eq!(i.get("school_id"), "");
    }

    #[test]
    fn times_are_hours_and_minutes_of_one_day() {
        assert_eq!(parse_time("07:55"), Some(475));
        assert_eq!(parse_time("7:05"), Some(425));
        assert_eq!(parse_time("23:59"), Some(1439));
        for bad in ["25:00", "12:60", "1200", "12:5", ":30", "ab:cd", "-1:00"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_bad_time_is_reported_with_the_field_name_and_the_value() {
        let i = input(&[("beginn_1", "25:00")], &["beginn_1"]);
        let mut c = Check::new(&i);
        assert_eq!(c.time("beginn_1", "1. Stunde, ", "Beginn"), None);
        assert_eq!(
            c.errors[0].message,
            "1. Stunde, Feld »Beginn«: »25:00« ist keine Uhrzeit (HH:MM)."
        );
    }

    #[test]
    fn dates_are_iso_or_german() {
        let d = NaiveDate::from_ymd_opt(2026, 8, 1);
        assert_eq!(parse_date("2026-08-01"), d);
        assert_eq!(parse_date("01.08.2026"), d);
        assert_eq!(parse_date("31.02.2026"), None);
        assert_eq!(parse_date("1999-12-31"), None);
    }

    #[test]
    fn an_end_before_the_start_names_both_fields() {
        let i = Input::default();
        let mut c = Check::new(&i);
        let (f, t) = (parse_date("2026-08-01"), parse_date("2026-07-31"));
        c.order(f, t, "ende", "Ende", "Beginn");
        assert_eq!(
            c.errors[0].message,
            "Feld »Ende«: liegt vor »Beginn« (01.08.2026)."
        );
    }
}
