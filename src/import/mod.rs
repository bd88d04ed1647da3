//! Master-data import from the school administration and timetable software
//! (docs/import/README.md), and the master-data export.
//!
//! One pipeline for every kind of file: [`parse`] decodes the bytes (UTF-8 or
//! Windows-1252, binary content refused) and splits the CSV (`;` or `,`), [`mapping`] finds
//! our fields among the German header names (defaults plus the school's own names),
//! [`validate`] turns rows into records and collects every problem with file, line, column
//! and value, [`plan`] compares them with the database and lists what is new, changed or
//! leaving, and [`apply`] writes that plan in one write transaction, after validating
//! again against the database as it is then. Nothing is written while any problem exists;
//! nothing is deleted: pupils missing from a new file get a last day.
//!
//! The web pages ([`web`]) keep an upload between preview and apply in `pending_imports`
//! (the browser holds only a token); the CLI ([`cli`]) runs the same pipeline.

pub mod apply;
pub mod cli;
pub mod export;
pub mod mapping;
pub mod parse;
pub mod plan;
pub mod validate;
pub mod web;

use std::fmt;

/// The largest file accepted (web and CLI); a larger upload gets 413.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// The most data rows a file may have.
pub const MAX_ROWS: usize = 20_000;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pupils,
    Guardians,
    Staff,
    Classes,
    Subjects,
    Timetable,
}

/// One field of a kind: our key, the default German header and the other names school
/// software uses for it.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub key: &'static str,
    pub header: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

const fn f(
    key: &'static str,
    header: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> FieldSpec {
    FieldSpec {
        key,
        header,
        aliases,
        required,
    }
}

const PUPIL_FIELDS: &[FieldSpec] = &[
    f(
        "id",
        "Schüler-ID",
        &[
            "SchülerID",
            "Schueler-ID",
            "ID",
            "Interne ID-Nummer",
            "Schülernummer",
        ],
        false,
    ),
    f("nachname", "Nachname", &["Name", "Familienname"], true),
    f("vorname", "Vorname", &["Rufname"], true),
    f("klasse", "Klasse", &["Klassenbezeichnung"], true),
    f(
        "geburtsdatum",
        "Geburtsdatum",
        &["Geb.-Datum", "Geburtstag"],
        false,
    ),
    f(
        "eintritt",
        "Eintrittsdatum",
        &["Aufnahmedatum", "Eintritt", "Zugangsdatum"],
        false,
    ),
    f(
        "austritt",
        "Austrittsdatum",
        &["Entlassdatum", "Abgangsdatum", "Austritt"],
        false,
    ),
];

const GUARDIAN_FIELDS: &[FieldSpec] = &[
    f(
        "schueler_id",
        "Schüler-ID",
        &["SchülerID", "Schueler-ID", "Interne ID-Nummer"],
        true,
    ),
    f(
        "name",
        "Name",
        &[
            "Erziehungsberechtigte",
            "Erziehungsberechtigter",
            "Name Erziehungsberechtigte",
        ],
        true,
    ),
    f("beziehung", "Beziehung", &["Art", "Verhältnis"], false),
    f("sorgerecht", "Sorgerecht", &[], false),
    f("kontakt", "Kontakt", &["Telefon", "E-Mail"], false),
];

const STAFF_FIELDS: &[FieldSpec] = &[
    f("kuerzel", "Kürzel", &["Kuerzel", "Lehrerkürzel"], true),
    f("nachname", "Nachname", &["Name", "Familienname"], true),
    f("vorname", "Vorname", &["Rufname"], true),
    f(
        "anmeldename",
        "Anmeldename",
        &["Login", "Benutzername"],
        false,
    ),
];

const CLASS_FIELDS: &[FieldSpec] = &[
    f("id", "Klassen-ID", &["KlassenID", "ID"], false),
    f(
        "klasse",
        "Klasse",
        &["Klassenbezeichnung", "Bezeichnung"],
        true,
    ),
    f(
        "klassenlehrkraft",
        "Klassenlehrkraft",
        &["Klassenlehrer", "Klassenleitung", "Klassenlehrer Kürzel"],
        false,
    ),
];

const SUBJECT_FIELDS: &[FieldSpec] = &[
    f("kuerzel", "Kürzel", &["Fachkürzel", "Fach"], true),
    f(
        "bezeichnung",
        "Bezeichnung",
        &["Fachbezeichnung", "Fachname"],
        true,
    ),
];

const TIMETABLE_FIELDS: &[FieldSpec] = &[
    f("klasse", "Klasse", &[], true),
    f("tag", "Tag", &["Wochentag"], true),
    f("stunde", "Stunde", &["Std."], true),
    f("fach", "Fach", &["Fachkürzel"], true),
    f("lehrkraft", "Lehrkraft", &["Lehrer", "Lehrerkürzel"], true),
    f("raum", "Raum", &[], false),
    f(
        "gueltig_ab",
        "Gültig ab",
        &["Gueltig ab", "Gültig von"],
        false,
    ),
];

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Staff,
        Kind::Subjects,
        Kind::Classes,
        Kind::Pupils,
        Kind::Guardians,
        Kind::Timetable,
    ];

    /// The name in URLs, forms, the CLI and the database.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Pupils => "schueler",
            Kind::Guardians => "erziehungsberechtigte",
            Kind::Staff => "personal",
            Kind::Classes => "klassen",
            Kind::Subjects => "faecher",
            Kind::Timetable => "stundenplan",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Pupils => "Schülerinnen und Schüler",
            Kind::Guardians => "Erziehungsberechtigte",
            Kind::Staff => "Lehrkräfte und Personal",
            Kind::Classes => "Klassen mit Klassenleitung",
            Kind::Subjects => "Fächer",
            Kind::Timetable => "Stundenplan",
        }
    }

    pub fn from_slug(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.slug() == s)
    }

    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Kind::Pupils => PUPIL_FIELDS,
            Kind::Guardians => GUARDIAN_FIELDS,
            Kind::Staff => STAFF_FIELDS,
            Kind::Classes => CLASS_FIELDS,
            Kind::Subjects => SUBJECT_FIELDS,
            Kind::Timetable => TIMETABLE_FIELDS,
        }
    }

    /// The field with this key.
    pub fn field(self, key: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.key == key)
    }
}

/// One problem of a file, located as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// The line of the file (1 = header line).
    pub line: Option<u64>,
    /// The header of the column, as in the file.
    pub column: Option<String>,
    /// The offending value.
    pub value: Option<String>,
    /// What is wrong, in German, as the end of a sentence.
    pub message: String,
}

impl Problem {
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            column: None,
            value: None,
            message: message.into(),
        }
    }

    pub fn line(file: &str, line: u64, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            ..Self::file(file, message)
        }
    }

    pub fn cell(
        file: &str,
        line: u64,
        column: &str,
        value: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            line: Some(line),
            column: Some(column.to_owned()),
            value: Some(shorten(value)),
            ..Self::file(file, message)
        }
    }

    /// The message without the file name, e.g. `Zeile 57, Spalte Geburtsdatum: »31.02.2015«
    /// ist kein gültiges Datum.`
    pub fn located(&self) -> String {
        let mut out = String::new();
        if let Some(line) = self.line {
            out.push_str(&format!("Zeile {line}"));
        }
        if let Some(column) = &self.column {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&format!("Spalte {column}"));
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        if let Some(value) = &self.value {
            out.push_str(&format!("»{value}« "));
        }
        out.push_str(&self.message);
        out
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.located())
    }
}

/// A value for a message: at most 60 characters, control characters shown as `�`.
fn shorten(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(60)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if value.chars().count() > 60 {
        out.push('…');
    }
    out
}
