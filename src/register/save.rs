//! Saving a lesson: topic, homework and the marks of the whole roster in one request and one
//! transaction, with a history row for every change and amendments after the lock.

use crate::db::DbConnection;
use crate::db::register::{self, Change, NewLesson, RosterPupil};
use crate::register::plan::Planned;
use chrono::NaiveDateTime;
use diesel::QueryResult;
use std::collections::HashMap;

/// A pupil's attendance in one lesson. Present is the default and is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Present,
    Absent,
    Late,
    LeftEarly,
}

impl Status {
    /// The form value (one letter, so the lesson page stays small).
    pub fn code(self) -> &'static str {
        match self {
            Status::Present => "a",
            Status::Absent => "f",
            Status::Late => "v",
            Status::LeftEarly => "g",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        [
            Status::Present,
            Status::Absent,
            Status::Late,
            Status::LeftEarly,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// The value stored in `attendance.status`.
    pub fn db(self) -> &'static str {
        match self {
            Status::Present => "anwesend",
            Status::Absent => "abwesend",
            Status::Late => "verspaetet",
            Status::LeftEarly => "frueh_gegangen",
        }
    }

    pub fn from_db(s: &str) -> Status {
        match s {
            "abwesend" => Status::Absent,
            "verspaetet" => Status::Late,
            "frueh_gegangen" => Status::LeftEarly,
            _ => Status::Present,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Present => "anwesend",
            Status::Absent => "fehlt",
            Status::Late => "verspätet",
            Status::LeftEarly => "früher gegangen",
        }
    }

    /// Whether a number of minutes belongs to this status.
    pub fn takes_minutes(self) -> bool {
        matches!(self, Status::Late | Status::LeftEarly)
    }
}

/// One pupil's mark as submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkInput {
    pub pupil_id: i64,
    pub status: Status,
    pub minutes: i32,
}

/// A validated save request.
#[derive(Debug, Clone)]
pub struct SaveRequest {
    pub topic: String,
    pub homework: String,
    pub reason: Option<String>,
    pub marks: Vec<MarkInput>,
}

pub const TOPIC_MAX: usize = 500;
pub const HOMEWORK_MAX: usize = 1000;

/// Parses the lesson form. Only the roster's pupils are accepted; problems are reported in
/// German naming the row and the pupil. Pupils without a field count as present.
pub fn parse_form(
    fields: &[(String, String)],
    roster: &[RosterPupil],
) -> Result<SaveRequest, Vec<String>> {
    let mut errors = Vec::new();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
    };
    let topic = get("topic").unwrap_or_default();
    let homework = get("homework").unwrap_or_default();
    if topic.chars().count() > TOPIC_MAX {
        errors.push(format!("Feld »Thema«: höchstens {TOPIC_MAX} Zeichen."));
    }
    if homework.chars().count() > HOMEWORK_MAX {
        errors.push(format!(
            "Feld »Hausaufgaben«: höchstens {HOMEWORK_MAX} Zeichen."
        ));
    }
    let reason = get("reason").filter(|r| !r.is_empty());
    let known: HashMap<i64, usize> = roster.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    for (name, _) in fields {
        let id = name.strip_prefix('p').or_else(|| name.strip_prefix('m'));
        if let Some(id) = id.filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
            && id
                .parse::<i64>()
                .ok()
                .is_none_or(|id| !known.contains_key(&id))
        {
            errors.push(format!(
                "Unbekannte Schülerin / unbekannter Schüler im Formular (»{name}«)."
            ));
        }
    }
    let mut marks = Vec::with_capacity(roster.len());
    for (row, p) in roster.iter().enumerate() {
        let who = format!("Zeile {} ({}, {})", row + 1, p.surname, p.first_name);
        let status = match get(&format!("p{}", p.id)) {
            None => Status::Present,
            Some(code) => match Status::from_code(&code) {
                Some(s) => s,
                None => {
                    errors.push(format!(
                        "{who}: »{code}« ist kein gültiger Anwesenheitsstatus."
                    ));
                    continue;
                }
            },
        };
        let raw = get(&format!("m{}", p.id)).unwrap_or_default();
        let minutes = if status.takes_minutes() {
            match raw.parse::<i32>() {
                Ok(m) if (1..=300).contains(&m) => m,
                _ if raw.is_empty() && status == Status::LeftEarly => 0,
                _ if raw.is_empty() => {
                    errors.push(format!("{who}: bei »verspätet« bitte die Minuten angeben."));
                    continue;
                }
                _ => {
                    errors.push(format!(
                        "{who}: »{raw}« ist keine Minutenzahl zwischen 1 und 300."
                    ));
                    continue;
                }
            }
        } else {
            0
        };
        marks.push(MarkInput {
            pupil_id: p.id,
            status,
            minutes,
        });
    }
    if errors.is_empty() {
        Ok(SaveRequest {
            topic,
            homework,
            reason,
            marks,
        })
    } else {
        Err(errors)
    }
}

/// The submitted form read leniently, to show a refused form again with what the teacher
/// entered (unknown statuses count as present, unreadable minutes as none).
pub fn as_entered(fields: &[(String, String)], roster: &[RosterPupil]) -> SaveRequest {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
    };
    SaveRequest {
        topic: get("topic").unwrap_or_default(),
        homework: get("homework").unwrap_or_default(),
        reason: get("reason").filter(|r| !r.is_empty()),
        marks: roster
            .iter()
            .map(|p| MarkInput {
                pupil_id: p.id,
                status: get(&format!("p{}", p.id))
                    .and_then(|c| Status::from_code(&c))
                    .unwrap_or(Status::Present),
                minutes: get(&format!("m{}", p.id))
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0),
            })
            .collect(),
    }
}

/// Why a save was refused without writing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The lesson is locked; a change needs the reason of the amendment.
    NeedsReason,
    Cancelled,
}

/// What a save did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub changes: usize,
    pub absent: usize,
    pub late: usize,
    pub left_early: usize,
}

/// Who saves, and how the save is classified.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub user_id: i64,
    pub assurance: &'a str,
    pub now: NaiveDateTime,
    pub locked: bool,
}

fn mark_text(status: Status, minutes: i32) -> String {
    if status.takes_minutes() && minutes > 0 {
        format!("{} ({minutes} min)", status.db())
    } else {
        status.db().to_owned()
    }
}

/// Applies a save in one write transaction. Nothing is written when it is refused.
pub fn apply(
    conn: &mut DbConnection,
    school_id: i64,
    planned: &Planned,
    req: &SaveRequest,
    actor: &Actor<'_>,
) -> QueryResult<Result<Outcome, Refusal>> {
    if planned.cancelled {
        return Ok(Err(Refusal::Cancelled));
    }
    crate::db::write_transaction(conn, |c| {
        // Two saves of the same lesson at once: on PostgreSQL the second waits here instead of
        // failing on the unique (slot, date) index; SQLite already holds the write lock.
        if let DbConnection::Postgres(_) = c {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&format!(
                "SELECT pg_advisory_xact_lock(7312, ({} % 2147483647)::int)",
                planned.slot.id
            ))?;
        }
        let existing = register::lesson_at(c, school_id, planned.slot.id, planned.date)?;
        let old_marks: HashMap<i64, register::Mark> = match &existing {
            Some(l) => register::marks_of_lesson(c, school_id, l.id)?
                .into_iter()
                .map(|m| (m.pupil_id, m))
                .collect(),
            None => HashMap::new(),
        };
        let mut changes = Vec::new();
        let (old_topic, old_homework) = existing
            .as_ref()
            .map(|l| (l.topic.clone(), l.homework.clone()))
            .unwrap_or_default();
        if existing.is_none() {
            changes.push((
                "lesson",
                "status".to_owned(),
                String::new(),
                "dokumentiert".to_owned(),
            ));
        }
        if old_topic != req.topic {
            changes.push(("lesson", "thema".to_owned(), old_topic, req.topic.clone()));
        }
        if old_homework != req.homework {
            changes.push((
                "lesson",
                "hausaufgaben".to_owned(),
                old_homework,
                req.homework.clone(),
            ));
        }
        let mut mark_ops = Vec::new();
        for m in &req.marks {
            let old = old_marks.get(&m.pupil_id);
            let (old_status, old_min) = old
                .map(|o| (Status::from_db(&o.status), o.minutes))
                .unwrap_or((Status::Present, 0));
            if old_status != m.status || old_min != m.minutes {
                changes.push((
                    "attendance",
                    format!("schueler:{}", m.pupil_id),
                    mark_text(old_status, old_min),
                    mark_text(m.status, m.minutes),
                ));
                mark_ops.push((old.map(|o| o.id), *m));
            }
        }
        let outcome = Outcome {
            changes: changes.len(),
            absent: req
                .marks
                .iter()
                .filter(|m| m.status == Status::Absent)
                .count(),
            late: req
                .marks
                .iter()
                .filter(|m| m.status == Status::Late)
                .count(),
            left_early: req
                .marks
                .iter()
                .filter(|m| m.status == Status::LeftEarly)
                .count(),
        };
        if changes.is_empty() {
            return Ok(Ok(outcome));
        }
        if actor.locked && req.reason.is_none() {
            return Ok(Err(Refusal::NeedsReason));
        }
        let lesson_id = match &existing {
            Some(l) => {
                if l.topic != req.topic || l.homework != req.homework {
                    register::update_lesson_text(c, l.id, &req.topic, &req.homework, actor.now)?;
                }
                l.id
            }
            None => {
                let (start, end) = planned.times.unwrap_or((0, 0));
                register::insert_lesson_with_text(
                    c,
                    &NewLesson {
                        school_id,
                        slot_id: planned.slot.id,
                        date: planned.date,
                        class_id: planned.slot.class_id,
                        group_id: planned.slot.group_id,
                        subject_id: planned.slot.subject_id,
                        teacher_id: planned.actual_teacher_id,
                        period: planned.slot.period,
                        start_minute: start,
                        end_minute: end,
                        status: "dokumentiert",
                        by: actor.user_id,
                        at: actor.now,
                    },
                    &req.topic,
                    &req.homework,
                )?
            }
        };
        let mut new_marks = Vec::new();
        for (old_id, m) in mark_ops {
            match (old_id, m.status) {
                (Some(id), Status::Present) => {
                    register::delete_mark(c, id)?;
                }
                (Some(id), s) => {
                    register::update_mark(c, id, s.db(), m.minutes)?;
                }
                (None, Status::Present) => {}
                (None, s) => new_marks.push(register::NewMark {
                    pupil_id: m.pupil_id,
                    status: s.db(),
                    minutes: m.minutes,
                }),
            }
        }
        register::insert_marks(c, school_id, lesson_id, &new_marks)?;
        let rows: Vec<Change> = changes
            .into_iter()
            .map(|(entity, field, old_value, new_value)| Change {
                entity,
                entity_id: lesson_id,
                field,
                old_value,
                new_value,
            })
            .collect();
        let reason = if actor.locked {
            req.reason.as_deref()
        } else {
            None
        };
        register::record_changes(
            c,
            school_id,
            actor.user_id,
            actor.assurance,
            actor.now,
            reason,
            &rows,
        )?;
        Ok(Ok(outcome))
    })
}
