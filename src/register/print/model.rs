//! The printed register as data: loaded in one database task (a fixed number of queries for
//! any range), then turned into a view model that the HTML view and the PDF both render.
//! Views never query.

use super::range::Range;
use crate::auth::extract::Elevation;
use crate::clock::school_local;
use crate::db::DbConnection;
use crate::db::print::{self as queries, AmendmentRow, ClassMark, EntryRow, Member};
use crate::db::register::{self, GridPeriod, Lesson, SlotView};
use crate::register::lesson::date_label;
use crate::register::plan::{self, Planned, clock_label};
use crate::register::save::Status;
use crate::school::forms::de_date;
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::QueryResult;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Everything read from the database for one printed register.
#[derive(Debug)]
pub struct Loaded {
    planned: Vec<Planned>,
    recorded: Vec<(Lesson, String)>,
    slots: Vec<SlotView>,
    periods: Vec<GridPeriod>,
    members: Vec<Member>,
    marks: Vec<ClassMark>,
    amendments: Vec<AmendmentRow>,
    entries: Vec<EntryRow>,
    teachers: HashMap<i64, String>,
    class_teachers: Vec<String>,
}

/// Reads the class's register for `range` (class B: needs the elevation). Lessons are
/// listed up to `today`; later days have not taken place yet.
pub fn load(
    conn: &mut DbConnection,
    _proof: &Elevation,
    school_id: i64,
    class_id: i64,
    range: &Range,
    today: NaiveDate,
) -> QueryResult<Loaded> {
    let (from, to) = (range.from, range.to);
    let until = to.min(today);
    let planned = if from <= until {
        plan::class_plan(conn, school_id, class_id, from, until)?
    } else {
        Vec::new()
    };
    let recorded = queries::lessons_of_class(conn, school_id, class_id, from, to)?;
    let slots = register::slots_of_class(conn, school_id, class_id, from, to)?;
    let periods = register::grid_periods_in(conn, school_id, from, to)?;
    let members = queries::members_in(conn, school_id, class_id, from, to)?;
    let marks = queries::marks_of_class(conn, school_id, class_id, from, to)?;
    let amendments = queries::amendments_of_class(conn, school_id, class_id, from, to)?;
    let entries = queries::entries_of_class(conn, school_id, class_id, from, to)?;
    let class_teachers = queries::class_teacher_names(conn, school_id, class_id, from, to)?;
    let mut ids: Vec<i64> = slots
        .iter()
        .map(|s| s.teacher_id)
        .chain(planned.iter().map(|p| p.actual_teacher_id))
        .chain(recorded.iter().map(|(l, _)| l.teacher_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let teachers = queries::user_names(conn, school_id, &ids)?
        .into_iter()
        .collect();
    Ok(Loaded {
        planned,
        recorded,
        slots,
        periods,
        members,
        marks,
        amendments,
        entries,
        teachers,
        class_teachers,
    })
}

/// The printed register of one class and range.
#[derive(Debug, Clone)]
pub struct PrintedRegister {
    pub school: String,
    pub class_name: String,
    pub range: Range,
    pub class_teachers: Vec<String>,
    /// School-local time of the export.
    pub generated_at: NaiveDateTime,
    pub generated_by: String,
    pub members: Vec<MemberRow>,
    pub timetable: Timetable,
    pub days: Vec<Day>,
    pub entries: Vec<EntryView>,
}

/// A pupil of the class with the absence figures of the range.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub number: usize,
    pub surname: String,
    pub first_name: String,
    pub absent: usize,
    pub late: usize,
    pub late_minutes: i32,
    pub left_early: usize,
    /// "ab 01.02.2027", "bis 15.03.2027" when the enrolment starts or ends in the range.
    pub note: String,
}

/// The weekly timetable: periods × weekdays.
#[derive(Debug, Clone, Default)]
pub struct Timetable {
    pub weekdays: Vec<&'static str>,
    pub rows: Vec<TimetableRow>,
}

#[derive(Debug, Clone)]
pub struct TimetableRow {
    pub period: i16,
    /// "07:55–08:40", if a grid gives the times.
    pub time: Option<String>,
    /// One list of slots per weekday.
    pub cells: Vec<Vec<SlotCell>>,
}

#[derive(Debug, Clone)]
pub struct SlotCell {
    pub subject: String,
    pub teacher: String,
    pub room: String,
    /// "ab 01.02.2027" / "bis 31.01.2027" when the slot changes within the range.
    pub validity: Option<String>,
}

/// The lessons of one day.
#[derive(Debug, Clone)]
pub struct Day {
    pub date: NaiveDate,
    pub label: String,
    pub lessons: Vec<LessonRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonState {
    Documented,
    Undocumented,
    Cancelled,
}

/// One lesson as the register shows it.
#[derive(Debug, Clone)]
pub struct LessonRow {
    pub period: i16,
    /// "07:55–08:40", if a time grid gives the times.
    pub time: Option<String>,
    pub subject: String,
    pub teacher: String,
    pub state: LessonState,
    pub substituted: bool,
    pub topic: String,
    pub homework: String,
    pub absences: Vec<Absence>,
    pub amendments: Vec<Amendment>,
}

/// A pupil not (fully) present in a lesson.
#[derive(Debug, Clone)]
pub struct Absence {
    pub name: String,
    pub status: Status,
    pub minutes: i32,
}

impl Absence {
    /// "Albers, Mia", "Albers, Mia (10 min)".
    pub fn text(&self) -> String {
        if self.status.takes_minutes() && self.minutes > 0 {
            format!("{} ({} min)", self.name, self.minutes)
        } else {
            self.name.clone()
        }
    }
}

impl LessonRow {
    /// The absences grouped by kind: ("fehlt", "Albers, Mia; Brandt, Ben"), …
    pub fn absence_groups(&self) -> Vec<(&'static str, String)> {
        [Status::Absent, Status::Late, Status::LeftEarly]
            .into_iter()
            .filter_map(|s| {
                let names: Vec<String> = self
                    .absences
                    .iter()
                    .filter(|a| a.status == s)
                    .map(Absence::text)
                    .collect();
                (!names.is_empty()).then(|| (s.label(), names.join("; ")))
            })
            .collect()
    }
}

/// A correction made after the lock, with its reason.
#[derive(Debug, Clone)]
pub struct Amendment {
    /// When, in UTC (as stored) and in school-local time (as shown).
    pub at: NaiveDateTime,
    pub local: NaiveDateTime,
    pub by: String,
    pub reason: String,
    /// "Thema: »alt« → »neu«", "Albers, Mia: anwesend → fehlt".
    pub changes: Vec<String>,
}

impl Amendment {
    /// "Nachtrag: <reason> (01.12.2026 14:05, Name; Thema: »a« → »b«)".
    pub fn text(&self) -> String {
        let mut details = vec![format!(
            "{}, {}",
            self.local.format("%d.%m.%Y %H:%M"),
            self.by
        )];
        details.extend(self.changes.iter().cloned());
        format!("Nachtrag: {} ({})", self.reason, details.join("; "))
    }
}

/// A register entry.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub date: String,
    pub kind: &'static str,
    pub text: String,
    pub pupil: Option<String>,
    pub author: String,
}

/// Who exported when, for the cover page.
#[derive(Debug, Clone)]
pub struct Header {
    pub school: String,
    pub class_name: String,
    pub generated_at: NaiveDateTime,
    pub generated_by: String,
}

const WEEKDAYS: [&str; 7] = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"];

fn entry_kind(kind: &str) -> &'static str {
    match kind {
        "klassenarbeit" => "Klassenarbeit",
        "belehrung" => "Belehrung",
        "verhalten" => "Verhalten",
        _ => "Notiz",
    }
}

/// "verspaetet (5 min)" → "verspätet (5 min)".
fn mark_value(v: &str) -> String {
    let (status, rest) = v.split_once(' ').unwrap_or((v, ""));
    let label = Status::from_db(status).label();
    if rest.is_empty() {
        label.to_owned()
    } else {
        format!("{label} {rest}")
    }
}

fn quoted(v: &str) -> String {
    if v.is_empty() {
        "(leer)".to_owned()
    } else {
        format!("»{v}«")
    }
}

fn change_text(row: &AmendmentRow, names: &HashMap<i64, String>) -> String {
    if let Some(id) = row.field.strip_prefix("schueler:") {
        let who = id
            .parse::<i64>()
            .ok()
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| "Schülerin/Schüler".to_owned());
        return format!(
            "{who}: {} → {}",
            mark_value(&row.old_value),
            mark_value(&row.new_value)
        );
    }
    let field = match row.field.as_str() {
        "thema" => "Thema",
        "hausaufgaben" => "Hausaufgaben",
        "status" => "Status",
        other => other,
    };
    format!(
        "{field}: {} → {}",
        quoted(&row.old_value),
        quoted(&row.new_value)
    )
}

/// Groups history rows into amendments: one per lesson, time, author and reason.
fn amendments_by_lesson(
    rows: &[AmendmentRow],
    names: &HashMap<i64, String>,
) -> HashMap<i64, Vec<Amendment>> {
    let mut out: HashMap<i64, Vec<Amendment>> = HashMap::new();
    for r in rows {
        let reason = r.reason.clone().unwrap_or_default();
        let list = out.entry(r.lesson_id).or_default();
        let change = change_text(r, names);
        match list.last_mut() {
            Some(a) if a.at == r.at && a.by == r.user_name && a.reason == reason => {
                a.changes.push(change);
            }
            _ => list.push(Amendment {
                at: r.at,
                local: school_local(Utc.from_utc_datetime(&r.at)),
                by: r.user_name.clone(),
                reason,
                changes: vec![change],
            }),
        }
    }
    out
}

fn member_rows(data: &Loaded, range: &Range) -> Vec<MemberRow> {
    data.members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let marks = data.marks.iter().filter(|k| k.pupil_id == m.id);
            let (mut absent, mut late, mut late_minutes, mut left_early) = (0, 0, 0, 0);
            for k in marks {
                match Status::from_db(&k.status) {
                    Status::Absent => absent += 1,
                    Status::Late => {
                        late += 1;
                        late_minutes += k.minutes;
                    }
                    Status::LeftEarly => left_early += 1,
                    Status::Present => {}
                }
            }
            let mut note = Vec::new();
            if m.enrolled_from > range.from {
                note.push(format!("ab {}", de_date(m.enrolled_from)));
            }
            if let Some(to) = m.enrolled_to.filter(|t| *t < range.to) {
                note.push(format!("bis {}", de_date(to)));
            }
            MemberRow {
                number: i + 1,
                surname: m.surname.clone(),
                first_name: m.first_name.clone(),
                absent,
                late,
                late_minutes,
                left_early,
                note: note.join(", "),
            }
        })
        .collect()
}

/// "07:55–08:40".
fn times_label((start, end): (i32, i32)) -> String {
    format!("{}–{}", clock_label(start), clock_label(end))
}

fn teacher_name(teachers: &HashMap<i64, String>, id: i64) -> String {
    teachers.get(&id).cloned().unwrap_or_default()
}

fn timetable(data: &Loaded, range: &Range) -> Timetable {
    let days = data
        .slots
        .iter()
        .map(|s| s.weekday)
        .max()
        .unwrap_or(5)
        .clamp(5, 7) as usize;
    let numbers: Vec<i16> = {
        let mut n: Vec<i16> = data.slots.iter().map(|s| s.period).collect();
        n.sort_unstable();
        n.dedup();
        n
    };
    let mut slots: Vec<&SlotView> = data.slots.iter().collect();
    slots.sort_by_key(|s| (s.period, s.weekday, s.valid_from));
    let rows = numbers
        .into_iter()
        .map(|period| {
            let time = plan::period_times(&data.periods, range.from, period)
                .or_else(|| {
                    data.periods
                        .iter()
                        .find(|p| p.number == period)
                        .map(|p| (p.start_minute, p.end_minute))
                })
                .map(times_label);
            let cells = (1..=days as i16)
                .map(|wd| {
                    slots
                        .iter()
                        .filter(|s| s.period == period && s.weekday == wd)
                        .map(|s| SlotCell {
                            subject: s.subject_name.clone(),
                            teacher: teacher_name(&data.teachers, s.teacher_id),
                            room: s.room.clone(),
                            validity: if s.valid_from > range.from {
                                Some(format!("ab {}", de_date(s.valid_from)))
                            } else {
                                s.valid_to
                                    .filter(|t| *t < range.to)
                                    .map(|t| format!("bis {}", de_date(t)))
                            },
                        })
                        .collect()
                })
                .collect();
            TimetableRow {
                period,
                time,
                cells,
            }
        })
        .collect();
    Timetable {
        weekdays: WEEKDAYS[..days].to_vec(),
        rows,
    }
}

fn lesson_days(data: &Loaded, names: &HashMap<i64, String>) -> Vec<Day> {
    let mut amendments = amendments_by_lesson(&data.amendments, names);
    let mut absences: HashMap<i64, Vec<Absence>> = HashMap::new();
    for m in &data.marks {
        let status = Status::from_db(&m.status);
        if status != Status::Present {
            absences.entry(m.lesson_id).or_default().push(Absence {
                name: format!("{}, {}", m.surname, m.first_name),
                status,
                minutes: m.minutes,
            });
        }
    }
    let teachers = &data.teachers;
    let mut rows: BTreeMap<(NaiveDate, i16, i64), LessonRow> = BTreeMap::new();
    let planned_ids: HashSet<i64> = data
        .planned
        .iter()
        .filter_map(|p| p.lesson.as_ref().map(|l| l.id))
        .collect();
    let mut text_row = |lesson: Option<&Lesson>| {
        let id = lesson.map(|l| l.id);
        (
            lesson.map(|l| l.topic.clone()).unwrap_or_default(),
            lesson.map(|l| l.homework.clone()).unwrap_or_default(),
            id.and_then(|id| absences.remove(&id)).unwrap_or_default(),
            id.and_then(|id| amendments.remove(&id)).unwrap_or_default(),
        )
    };
    for p in &data.planned {
        let lesson = p.lesson.as_ref();
        let state = match (lesson, p.cancelled) {
            (Some(_), _) => LessonState::Documented,
            (None, true) => LessonState::Cancelled,
            (None, false) => LessonState::Undocumented,
        };
        let (topic, homework, absences, amendments) = text_row(lesson);
        rows.insert(
            (p.date, p.slot.period, p.slot.id),
            LessonRow {
                period: p.slot.period,
                time: p.times.map(times_label),
                subject: p.slot.subject_name.clone(),
                teacher: teacher_name(
                    teachers,
                    lesson.map_or(p.actual_teacher_id, |l| l.teacher_id),
                ),
                state,
                substituted: p.substituted,
                topic,
                homework,
                absences,
                amendments,
            },
        );
    }
    // A documented lesson stays in the register even if the plan no longer has it (a
    // holiday or a timetable change entered afterwards).
    let orphans = data
        .recorded
        .iter()
        .filter(|(l, _)| !planned_ids.contains(&l.id));
    for (l, subject) in orphans {
        let (topic, homework, absences, amendments) = text_row(Some(l));
        rows.insert(
            (l.date, l.period, l.slot_id),
            LessonRow {
                period: l.period,
                time: (l.end_minute > l.start_minute)
                    .then(|| times_label((l.start_minute, l.end_minute))),
                subject: subject.clone(),
                teacher: teacher_name(teachers, l.teacher_id),
                state: LessonState::Documented,
                substituted: false,
                topic,
                homework,
                absences,
                amendments,
            },
        );
    }
    let mut days: Vec<Day> = Vec::new();
    for ((date, _, _), row) in rows {
        match days.last_mut() {
            Some(d) if d.date == date => d.lessons.push(row),
            _ => days.push(Day {
                date,
                label: date_label(date),
                lessons: vec![row],
            }),
        }
    }
    days
}

fn entries(rows: &[EntryRow]) -> Vec<EntryView> {
    rows.iter()
        .map(|e| EntryView {
            date: de_date(e.date),
            kind: entry_kind(&e.kind),
            text: e.text.clone(),
            pupil: match (&e.pupil_surname, &e.pupil_first_name) {
                (Some(s), Some(f)) => Some(format!("{s}, {f}")),
                _ => None,
            },
            author: e.author.clone(),
        })
        .collect()
}

/// Builds the view model from what was loaded.
pub fn build(data: Loaded, range: Range, header: Header) -> PrintedRegister {
    let mut names: HashMap<i64, String> = data
        .members
        .iter()
        .map(|m| (m.id, format!("{}, {}", m.surname, m.first_name)))
        .collect();
    for m in &data.marks {
        names
            .entry(m.pupil_id)
            .or_insert_with(|| format!("{}, {}", m.surname, m.first_name));
    }
    PrintedRegister {
        school: header.school,
        class_name: header.class_name,
        class_teachers: data.class_teachers.clone(),
        generated_at: header.generated_at,
        generated_by: header.generated_by,
        members: member_rows(&data, &range),
        timetable: timetable(&data, &range),
        days: lesson_days(&data, &names),
        entries: entries(&data.entries),
        range,
    }
}
