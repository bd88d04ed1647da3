//! From rows to records: every cell checked, every problem collected with file, line,
//! column and value. References to other master data (class, staff short name, subject,
//! pupil id) are checked against the database as it is ([`Context`]).

use super::mapping::Columns;
use super::parse::Table;
use super::{Kind, Problem};
use crate::db::DbConnection;
use crate::db::import as q;
use crate::db::structure as st;
use chrono::NaiveDate;
use diesel::QueryResult;
use std::collections::HashMap;

/// The longest name (surname, first name, guardian, subject) in characters.
const NAME_MAX: usize = 100;
/// The longest class name, short name, room or id in characters.
const SHORT_MAX: usize = 30;
/// The problem of a class name that is not one of the school's.
const NOT_A_CLASS: &str = "keine Klasse der Schule (zuerst die Klassen importieren)";
/// The problem of a short name that is not one of the school's teachers.
const NOT_A_TEACHER: &str =
    "kein Kürzel einer Lehrkraft der Schule (zuerst das Personal importieren)";

/// Master data of the school that files refer to, keyed for lookups.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Class name (lower case) → class id.
    pub classes: HashMap<String, i64>,
    /// Staff short name (lower case) → user id.
    pub staff: HashMap<String, i64>,
    /// Subject short name (lower case) → subject id.
    pub subjects: HashMap<String, i64>,
    /// Pupil id of the school software → the pupil's newest enrolment row.
    pub pupils: HashMap<String, i64>,
}

impl Context {
    pub fn load(conn: &mut DbConnection, school_id: i64) -> QueryResult<Context> {
        let mut ctx = Context::default();
        for c in q::class_rows(conn, school_id)? {
            ctx.classes.insert(c.name.to_lowercase(), c.id);
        }
        for s in q::staff_rows(conn, school_id)? {
            if let Some(ext) = s.external_id {
                ctx.staff.insert(ext.to_lowercase(), s.id);
            }
        }
        for s in st::subjects(conn, school_id)? {
            ctx.subjects.insert(s.short_name.to_lowercase(), s.id);
        }
        // Oldest first, so the newest row of a pupil wins.
        for p in q::pupil_rows(conn, school_id)? {
            if let Some(ext) = p.external_id {
                ctx.pupils.insert(ext, p.id);
            }
        }
        Ok(ctx)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilIn {
    pub line: u64,
    pub id: Option<String>,
    pub surname: String,
    pub first_name: String,
    pub class_id: i64,
    pub class_name: String,
    pub birth: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianIn {
    pub line: u64,
    pub pupil_ext: String,
    pub pupil_id: i64,
    pub name: String,
    pub relation: String,
    pub custody: String,
    pub contact: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffIn {
    pub line: u64,
    pub short: String,
    pub display_name: String,
    pub login: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassIn {
    pub line: u64,
    pub id: Option<String>,
    pub name: String,
    pub teacher: Option<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectIn {
    pub line: u64,
    pub short: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotIn {
    pub line: u64,
    pub class_id: i64,
    pub class_name: String,
    pub weekday: i16,
    pub period: i16,
    pub subject_id: i64,
    pub subject: String,
    pub teacher_id: i64,
    pub teacher: String,
    pub room: String,
    pub from: Option<NaiveDate>,
}

/// The records of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Records {
    Pupils(Vec<PupilIn>),
    Guardians(Vec<GuardianIn>),
    Staff(Vec<StaffIn>),
    Classes(Vec<ClassIn>),
    Subjects(Vec<SubjectIn>),
    Timetable(Vec<SlotIn>),
}

impl Records {
    pub fn len(&self) -> usize {
        match self {
            Records::Pupils(v) => v.len(),
            Records::Guardians(v) => v.len(),
            Records::Staff(v) => v.len(),
            Records::Classes(v) => v.len(),
            Records::Subjects(v) => v.len(),
            Records::Timetable(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Parses a date as German school software writes it (`31.01.2015`, `1.2.2015`) or ISO
/// (`2015-01-31`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%d.%m.%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
}

/// A weekday as a number (1 = Monday … 6 = Saturday).
pub fn parse_weekday(s: &str) -> Option<i16> {
    let s = s.trim().trim_end_matches('.').to_lowercase();
    let days = [
        ("mo", "montag"),
        ("di", "dienstag"),
        ("mi", "mittwoch"),
        ("do", "donnerstag"),
        ("fr", "freitag"),
        ("sa", "samstag"),
    ];
    if let Ok(n) = s.parse::<i16>() {
        return (1..=6).contains(&n).then_some(n);
    }
    days.iter()
        .position(|(short, long)| s == *short || s == *long)
        .and_then(|i| i16::try_from(i + 1).ok())
}

/// Reads and checks the cells of one row.
struct Cells<'a> {
    file: &'a str,
    kind: Kind,
    cols: &'a Columns,
    line: u64,
    cells: &'a [String],
    problems: &'a mut Vec<Problem>,
}

impl Cells<'_> {
    fn raw(&self, key: &str) -> &str {
        self.cols.get(key, self.cells)
    }

    fn fail(&mut self, key: &str, value: &str, message: impl Into<String>) {
        let column = self.cols.header(self.kind, key);
        if value.is_empty() {
            self.problems.push(Problem {
                column: Some(column),
                ..Problem::line(self.file, self.line, message)
            });
        } else {
            self.problems
                .push(Problem::cell(self.file, self.line, &column, value, message));
        }
    }

    /// A text cell: required ones must not be empty; at most `max` characters.
    fn text(&mut self, key: &str, required: bool, max: usize) -> String {
        let v = self.raw(key).to_owned();
        if required && v.is_empty() {
            self.fail(key, "", "ist leer; der Wert ist Pflicht.");
        } else if v.chars().count() > max {
            self.fail(key, &v, format!("ist länger als {max} Zeichen."));
        }
        v
    }

    fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let v = self.raw(key).to_owned();
        if v.is_empty() {
            return None;
        }
        let d = parse_date(&v);
        if d.is_none() {
            self.fail(key, &v, "ist kein gültiges Datum (erwartet TT.MM.JJJJ).");
        }
        d
    }

    /// A reference to other master data by name or short name.
    fn lookup(
        &mut self,
        key: &str,
        map: &HashMap<String, i64>,
        what: &str,
    ) -> Option<(String, i64)> {
        let v = self.raw(key).to_owned();
        if v.is_empty() {
            return None;
        }
        let found = map.get(&v.to_lowercase()).copied();
        if found.is_none() {
            self.fail(key, &v, format!("ist {what}."));
        }
        found.map(|id| (v, id))
    }

    /// A required reference to other master data ([`Self::lookup`]); empty is a problem.
    fn required_lookup(
        &mut self,
        key: &str,
        map: &HashMap<String, i64>,
        what: &str,
    ) -> Option<(String, i64)> {
        if self.raw(key).is_empty() {
            self.fail(key, "", "ist leer; der Wert ist Pflicht.");
            return None;
        }
        self.lookup(key, map, what)
    }

    /// Remembers `normalized` (the form of `value` compared for uniqueness) in `seen`; fails
    /// `key` if an earlier line had it. An empty value is never a repeat. Whether it was one.
    fn repeated(&mut self, seen: &mut Unique, key: &str, value: &str, normalized: String) -> bool {
        if value.is_empty() {
            return false;
        }
        let Some(l) = seen.earlier(normalized, self.line) else {
            return false;
        };
        self.fail(
            key,
            value,
            format!("kommt mehrfach vor (auch in Zeile {l})."),
        );
        true
    }
}

/// Records the second and later lines of a key that must be unique in the file.
struct Unique {
    seen: HashMap<String, u64>,
}

impl Unique {
    fn new() -> Self {
        Self {
            seen: HashMap::new(),
        }
    }

    /// The earlier line of `key`, if any; remembers this one otherwise.
    fn earlier(&mut self, key: String, line: u64) -> Option<u64> {
        match self.seen.get(&key) {
            Some(l) => Some(*l),
            None => {
                self.seen.insert(key, line);
                None
            }
        }
    }
}

/// Checks every row of `table`; the records if there is no problem at all.
pub fn records(
    file: &str,
    kind: Kind,
    table: &Table,
    cols: &Columns,
    ctx: &Context,
    progress: &dyn Fn(u64),
) -> Result<Records, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut uniq = Unique::new();
    let mut second = Unique::new();
    let mut out = match kind {
        Kind::Pupils => Records::Pupils(Vec::new()),
        Kind::Guardians => Records::Guardians(Vec::new()),
        Kind::Staff => Records::Staff(Vec::new()),
        Kind::Classes => Records::Classes(Vec::new()),
        Kind::Subjects => Records::Subjects(Vec::new()),
        Kind::Timetable => Records::Timetable(Vec::new()),
    };
    for (n, row) in table.rows.iter().enumerate() {
        if n % 256 == 0 {
            progress(n as u64);
        }
        let mut c = Cells {
            file,
            kind,
            cols,
            line: row.line,
            cells: &row.cells,
            problems: &mut problems,
        };
        let line = row.line;
        match &mut out {
            Records::Pupils(v) => {
                let id = c.text("id", false, SHORT_MAX);
                let surname = c.text("nachname", true, NAME_MAX);
                let first_name = c.text("vorname", true, NAME_MAX);
                let class = c.text("klasse", true, SHORT_MAX);
                let class = if class.is_empty() {
                    None
                } else {
                    c.lookup("klasse", &ctx.classes, NOT_A_CLASS)
                };
                let birth = c.date("geburtsdatum");
                let from = c.date("eintritt");
                let to = c.date("austritt");
                if let (Some(f), Some(t)) = (from, to)
                    && t < f
                {
                    let raw = c.raw("austritt").to_owned();
                    c.fail("austritt", &raw, "liegt vor dem Eintrittsdatum.");
                }
                if !id.is_empty() {
                    c.repeated(&mut uniq, "id", &id, id.clone());
                } else if !surname.is_empty()
                    && let Some(l) = second.earlier(
                        format!(
                            "{}\u{1f}{}",
                            surname.to_lowercase(),
                            first_name.to_lowercase()
                        ),
                        line,
                    )
                {
                    c.fail(
                        "nachname",
                        &format!("{surname}, {first_name}"),
                        format!(
                            "kommt mehrfach vor (auch in Zeile {l}); ohne Schüler-ID ist der \
                             Name nicht eindeutig."
                        ),
                    );
                }
                if let Some((class_name, class_id)) = class {
                    v.push(PupilIn {
                        line,
                        id: (!id.is_empty()).then_some(id),
                        surname,
                        first_name,
                        class_id,
                        class_name,
                        birth,
                        from,
                        to,
                    });
                }
            }
            Records::Guardians(v) => {
                let pupil_ext = c.text("schueler_id", true, SHORT_MAX);
                let pupil_id = if pupil_ext.is_empty() {
                    None
                } else {
                    let id = ctx.pupils.get(&pupil_ext).copied();
                    if id.is_none() {
                        c.fail(
                            "schueler_id",
                            &pupil_ext,
                            "ist keine Schüler-ID der Schule (zuerst die Schülerinnen und \
                             Schüler importieren).",
                        );
                    }
                    id
                };
                let name = c.text("name", true, NAME_MAX);
                let relation = c.text("beziehung", false, NAME_MAX);
                let custody_raw = c.text("sorgerecht", false, 10);
                let custody = match custody_raw.to_lowercase().as_str() {
                    "" => String::new(),
                    "ja" | "j" | "x" | "1" => "ja".into(),
                    "nein" | "n" | "0" => "nein".into(),
                    _ => {
                        c.fail("sorgerecht", &custody_raw, "ist weder »ja« noch »nein«.");
                        String::new()
                    }
                };
                let contact = c.text("kontakt", false, 200);
                if !name.is_empty()
                    && let Some(l) =
                        uniq.earlier(format!("{pupil_ext}\u{1f}{}", name.to_lowercase()), line)
                {
                    c.fail(
                        "name",
                        &name,
                        format!(
                            "steht für diese Schüler-ID mehrfach in der Datei (auch in Zeile {l})."
                        ),
                    );
                }
                if let Some(pupil_id) = pupil_id {
                    v.push(GuardianIn {
                        line,
                        pupil_ext,
                        pupil_id,
                        name,
                        relation,
                        custody,
                        contact,
                    });
                }
            }
            Records::Staff(v) => {
                let short = c.text("kuerzel", true, 20);
                if !short.is_empty()
                    && !short
                        .chars()
                        .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_')
                {
                    c.fail(
                        "kuerzel",
                        &short,
                        "darf nur Buchstaben, Ziffern, - und _ enthalten.",
                    );
                }
                let surname = c.text("nachname", true, NAME_MAX);
                let first_name = c.text("vorname", true, NAME_MAX);
                let login_raw = c.text("anmeldename", false, 64);
                let login = if login_raw.is_empty() {
                    short.to_lowercase()
                } else {
                    login_raw.to_lowercase()
                };
                if !login_raw.is_empty()
                    && !login
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_' | '@'))
                {
                    c.fail(
                        "anmeldename",
                        &login_raw,
                        "darf nur Buchstaben a–z, Ziffern und . - _ @ enthalten.",
                    );
                }
                if !c.repeated(&mut uniq, "kuerzel", &short, short.to_lowercase()) {
                    c.repeated(&mut second, "anmeldename", &login, login.clone());
                }
                v.push(StaffIn {
                    line,
                    short,
                    display_name: format!("{first_name} {surname}"),
                    login,
                });
            }
            Records::Classes(v) => {
                let id = c.text("id", false, SHORT_MAX);
                let name = c.text("klasse", true, SHORT_MAX);
                let teacher = c.lookup("klassenlehrkraft", &ctx.staff, NOT_A_TEACHER);
                c.repeated(&mut uniq, "klasse", &name, name.to_lowercase());
                c.repeated(&mut second, "id", &id, id.clone());
                v.push(ClassIn {
                    line,
                    id: (!id.is_empty()).then_some(id),
                    name,
                    teacher,
                });
            }
            Records::Subjects(v) => {
                let short = c.text("kuerzel", true, 10);
                let name = c.text("bezeichnung", true, NAME_MAX);
                c.repeated(&mut uniq, "kuerzel", &short, short.to_lowercase());
                v.push(SubjectIn { line, short, name });
            }
            Records::Timetable(v) => {
                let class = c.required_lookup("klasse", &ctx.classes, NOT_A_CLASS);
                let day_raw = c.text("tag", true, 20);
                let weekday = parse_weekday(&day_raw);
                if !day_raw.is_empty() && weekday.is_none() {
                    c.fail(
                        "tag",
                        &day_raw,
                        "ist kein Wochentag (Mo, Di, Mi, Do, Fr, Sa oder 1–6).",
                    );
                }
                let period_raw = c.text("stunde", true, 5);
                let period = period_raw
                    .parse::<i16>()
                    .ok()
                    .filter(|p| (1..=16).contains(p));
                if !period_raw.is_empty() && period.is_none() {
                    c.fail("stunde", &period_raw, "ist keine Stunde (1–16).");
                }
                let subject = c.required_lookup(
                    "fach",
                    &ctx.subjects,
                    "kein Fachkürzel der Schule (zuerst die Fächer importieren)",
                );
                let teacher = c.required_lookup("lehrkraft", &ctx.staff, NOT_A_TEACHER);
                let room = c.text("raum", false, SHORT_MAX);
                let from = c.date("gueltig_ab");
                if let (
                    Some((class_name, class_id)),
                    Some(weekday),
                    Some(period),
                    Some((subject, subject_id)),
                    Some((teacher, teacher_id)),
                ) = (class, weekday, period, subject, teacher)
                {
                    if let Some(l) = uniq.earlier(
                        format!("{class_id}/{weekday}/{period}/{subject_id}/{teacher_id}"),
                        line,
                    ) {
                        c.fail(
                            "stunde",
                            &period_raw,
                            format!(
                                "diese Stunde steht mehrfach in der Datei (auch in Zeile {l})."
                            ),
                        );
                    }
                    v.push(SlotIn {
                        line,
                        class_id,
                        class_name,
                        weekday,
                        period,
                        subject_id,
                        subject,
                        teacher_id,
                        teacher,
                        room,
                        from,
                    });
                }
            }
        }
        if problems.len() >= 500 {
            problems.push(Problem::file(
                file,
                "Weitere Fehler werden nicht angezeigt.",
            ));
            break;
        }
    }
    progress(table.rows.len() as u64);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}
