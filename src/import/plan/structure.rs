//! Plans for the school structure: classes with their class teachers, subjects and
//! timetable slots.

use super::{Effect, Op, Plan, de, last_day};
use crate::db::DbConnection;
use crate::db::import as q;
use crate::db::structure::{self as st, NewSlotRow};
use crate::import::Problem;
use crate::import::validate::{ClassIn, SlotIn, SubjectIn};
use chrono::{Duration, NaiveDate};
use diesel::QueryResult;
use std::collections::{HashMap, HashSet};

pub(super) fn classes(
    conn: &mut DbConnection,
    school_id: i64,
    file: &str,
    records: &[ClassIn],
    today: NaiveDate,
    plan: &mut Plan,
) -> QueryResult<Vec<Problem>> {
    let rows = q::class_rows(conn, school_id)?;
    let teachers = st::class_teachers(conn, school_id)?;
    let staff: HashMap<i64, String> = q::staff_rows(conn, school_id)?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let mut problems = Vec::new();
    for rec in records {
        let by_id = rec
            .id
            .as_ref()
            .and_then(|ext| rows.iter().find(|c| c.external_id.as_ref() == Some(ext)));
        let found = by_id.or_else(|| {
            rows.iter()
                .find(|c| c.name.to_lowercase() == rec.name.to_lowercase())
        });
        let teacher_name = rec
            .teacher
            .as_ref()
            .map(|(_, id)| staff.get(id).cloned().unwrap_or_default());
        let Some(c) = found else {
            plan.push(
                Effect::New,
                Some(rec.line),
                match &teacher_name {
                    Some(t) => format!("Klasse {}, Klassenleitung {t}", rec.name),
                    None => format!("Klasse {}", rec.name),
                },
                vec![Op::NewClass {
                    name: rec.name.clone(),
                    external_id: rec.id.clone(),
                    teacher: rec.teacher.as_ref().map(|(_, id)| *id),
                }],
            );
            continue;
        };
        let mut what = Vec::new();
        let mut ops = Vec::new();
        let external_id = rec.id.clone().or_else(|| c.external_id.clone());
        if c.name != rec.name || c.external_id != external_id {
            if c.name.to_lowercase() != rec.name.to_lowercase()
                && rows
                    .iter()
                    .any(|o| o.id != c.id && o.name.to_lowercase() == rec.name.to_lowercase())
            {
                problems.push(Problem::cell(
                    file,
                    rec.line,
                    "Klasse",
                    &rec.name,
                    "ist schon der Name einer anderen Klasse.",
                ));
                continue;
            }
            if c.name != rec.name {
                what.push(format!("Name {} → {}", c.name, rec.name));
            } else {
                what.push(format!(
                    "Klassen-ID {}",
                    external_id.clone().unwrap_or_default()
                ));
            }
            ops.push(Op::UpdateClass {
                id: c.id,
                name: rec.name.clone(),
                external_id,
            });
        }
        if let Some((_, user_id)) = rec.teacher {
            let open: Vec<&st::ClassTeacher> = teachers
                .iter()
                .filter(|t| t.class_id == c.id && t.valid_to.is_none_or(|to| to >= today))
                .collect();
            if !open.iter().any(|t| t.user_id == user_id) {
                what.push(format!(
                    "Klassenleitung {} → {}",
                    open.iter()
                        .map(|t| t.user_name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    teacher_name.clone().unwrap_or_default()
                ));
                ops.push(Op::SetClassTeacher {
                    class_id: c.id,
                    user_id,
                    end: open.iter().map(|t| t.id).collect(),
                });
            }
        }
        if !ops.is_empty() {
            plan.push(
                Effect::Changed,
                Some(rec.line),
                format!("Klasse {}: {}", rec.name, what.join("; ")),
                ops,
            );
        }
    }
    Ok(problems)
}

pub(super) fn subjects(
    conn: &mut DbConnection,
    school_id: i64,
    records: &[SubjectIn],
    plan: &mut Plan,
) -> QueryResult<Vec<Problem>> {
    let rows = st::subjects(conn, school_id)?;
    for rec in records {
        match rows
            .iter()
            .find(|s| s.short_name.to_lowercase() == rec.short.to_lowercase())
        {
            None => plan.push(
                Effect::New,
                Some(rec.line),
                format!("{} ({})", rec.name, rec.short),
                vec![Op::NewSubject {
                    short: rec.short.clone(),
                    name: rec.name.clone(),
                }],
            ),
            Some(s) if s.name != rec.name => plan.push(
                Effect::Changed,
                Some(rec.line),
                format!("{}: Bezeichnung {} → {}", s.short_name, s.name, rec.name),
                vec![Op::RenameSubject {
                    id: s.id,
                    name: rec.name.clone(),
                }],
            ),
            Some(_) => {}
        }
    }
    Ok(Vec::new())
}

const DAYS: [&str; 7] = ["", "Mo", "Di", "Mi", "Do", "Fr", "Sa"];

fn day(weekday: i16) -> &'static str {
    usize::try_from(weekday)
        .ok()
        .and_then(|i| DAYS.get(i))
        .copied()
        .unwrap_or("?")
}

pub(super) fn timetable(
    conn: &mut DbConnection,
    school_id: i64,
    records: &[SlotIn],
    today: NaiveDate,
    plan: &mut Plan,
) -> QueryResult<Vec<Problem>> {
    let subjects: HashMap<String, i64> = st::subjects(conn, school_id)?
        .into_iter()
        .map(|s| (s.short_name, s.id))
        .collect();
    let open: Vec<st::SlotRow> = st::slots(conn, school_id, None)?
        .into_iter()
        .filter(|s| s.group_id.is_none() && s.valid_to.is_none_or(|t| t >= today))
        .collect();
    let key_of = |s: &st::SlotRow| {
        (
            s.class_id,
            s.weekday,
            s.period,
            subjects.get(&s.subject_short).copied().unwrap_or_default(),
            s.teacher_id,
        )
    };
    let mut seen = HashSet::new();
    for rec in records {
        let key = (
            rec.class_id,
            rec.weekday,
            rec.period,
            rec.subject_id,
            rec.teacher_id,
        );
        let label = format!(
            "{} {} {}. Stunde: {} bei {}",
            rec.class_name,
            day(rec.weekday),
            rec.period,
            rec.subject,
            rec.teacher
        );
        let found = open
            .iter()
            .find(|s| !seen.contains(&s.id) && key_of(s) == key);
        let new = |from: NaiveDate| {
            Op::NewSlot(NewSlotRow {
                school_id,
                class_id: rec.class_id,
                group_id: None,
                subject_id: rec.subject_id,
                teacher_id: rec.teacher_id,
                weekday: rec.weekday,
                period: rec.period,
                room: rec.room.clone(),
                valid_from: from,
                valid_to: None,
            })
        };
        match found {
            None => plan.push(
                Effect::New,
                Some(rec.line),
                format!(
                    "{label}, Raum {}, ab {}",
                    rec.room,
                    de(Some(rec.from.unwrap_or(today)))
                ),
                vec![new(rec.from.unwrap_or(today))],
            ),
            Some(s) => {
                seen.insert(s.id);
                if s.room != rec.room && s.valid_from >= today {
                    // A slot that starts today or later has no past to keep.
                    plan.push(
                        Effect::Changed,
                        Some(rec.line),
                        format!("{label}: Raum {} → {}", s.room, rec.room),
                        vec![Op::SetRoom {
                            id: s.id,
                            room: rec.room.clone(),
                        }],
                    );
                } else if s.room != rec.room {
                    let last = last_day(today, s.valid_from);
                    plan.push(
                        Effect::Changed,
                        Some(rec.line),
                        format!("{label}: Raum {} → {}", s.room, rec.room),
                        vec![
                            Op::EndSlot { id: s.id, last },
                            new(last + Duration::days(1)),
                        ],
                    );
                }
            }
        }
    }
    for s in &open {
        if !seen.contains(&s.id) {
            let last = last_day(today, s.valid_from);
            plan.push(
                Effect::Leaving,
                None,
                format!(
                    "{} {} {}. Stunde: {} bei {}: endet, letzter Tag {}",
                    s.class_name,
                    day(s.weekday),
                    s.period,
                    s.subject_short,
                    s.teacher_name,
                    de(Some(last))
                ),
                vec![Op::EndSlot { id: s.id, last }],
            );
        }
    }
    Ok(Vec::new())
}
