//! Which lessons take place: timetable slots valid on a date, minus holidays, with
//! substitutions and cancellations applied, and the recorded lesson if there is one.
//! Loading takes a fixed number of queries for any date range (no query per day or slot).

use crate::db::DbConnection;
use crate::db::register::{self, GridPeriod, Lesson, SlotView, Substitution};
use chrono::{Datelike, NaiveDate};
use diesel::QueryResult;
use std::collections::HashMap;

/// One lesson as planned for a date.
#[derive(Debug, Clone)]
pub struct Planned {
    pub slot: SlotView,
    pub date: NaiveDate,
    /// Who gives the lesson: the substitute if there is one, else the regular teacher.
    pub actual_teacher_id: i64,
    pub substituted: bool,
    pub cancelled: bool,
    /// Start and end in minutes after midnight, from the grid valid on that date.
    pub times: Option<(i32, i32)>,
    pub lesson: Option<Lesson>,
}

impl Planned {
    pub fn documented(&self) -> bool {
        self.lesson.is_some()
    }

    /// "07:55–08:40" or the period number if no grid covers the date.
    pub fn time_label(&self) -> String {
        match self.times {
            Some((s, e)) => format!("{}–{}", clock_label(s), clock_label(e)),
            None => format!("{}. Stunde", self.slot.period),
        }
    }
}

pub fn clock_label(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn valid_on(from: NaiveDate, to: Option<NaiveDate>, date: NaiveDate) -> bool {
    from <= date && to.is_none_or(|t| date <= t)
}

fn weekday(date: NaiveDate) -> i16 {
    date.weekday().number_from_monday() as i16
}

/// The grid period `number` valid on `date`.
pub fn period_times(periods: &[GridPeriod], date: NaiveDate, number: i16) -> Option<(i32, i32)> {
    periods
        .iter()
        .find(|p| p.number == number && valid_on(p.valid_from, p.valid_to, date))
        .map(|p| (p.start_minute, p.end_minute))
}

struct Calendar {
    holidays: Vec<(NaiveDate, NaiveDate)>,
    periods: Vec<GridPeriod>,
    subs: HashMap<(i64, NaiveDate), Substitution>,
    lessons: HashMap<(i64, NaiveDate), Lesson>,
}

impl Calendar {
    fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.iter().any(|(s, e)| *s <= date && date <= *e)
    }

    fn plan(&self, slot: &SlotView, date: NaiveDate) -> Option<Planned> {
        if weekday(date) != slot.weekday
            || !valid_on(slot.valid_from, slot.valid_to, date)
            || self.is_holiday(date)
        {
            return None;
        }
        let sub = self.subs.get(&(slot.id, date));
        Some(Planned {
            slot: slot.clone(),
            date,
            actual_teacher_id: sub.and_then(|s| s.substitute_id).unwrap_or(slot.teacher_id),
            substituted: sub.is_some_and(|s| s.substitute_id.is_some()),
            cancelled: sub.is_some_and(|s| s.cancelled),
            times: period_times(&self.periods, date, slot.period),
            lesson: self.lessons.get(&(slot.id, date)).cloned(),
        })
    }
}

fn load_calendar(
    conn: &mut DbConnection,
    school_id: i64,
    slot_ids: &[i64],
    subs: Vec<Substitution>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Calendar> {
    let holidays = register::holidays_in(conn, school_id, from, to)?;
    let periods = register::grid_periods_in(conn, school_id, from, to)?;
    let lessons = register::lessons_of_slots(conn, school_id, slot_ids, from, to)?;
    Ok(Calendar {
        holidays,
        periods,
        subs: subs.into_iter().map(|s| ((s.slot_id, s.date), s)).collect(),
        lessons: lessons
            .into_iter()
            .map(|l| ((l.slot_id, l.date), l))
            .collect(),
    })
}

fn dates(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// The lessons `teacher_id` gives in `[from, to]`: own slots not taken over by someone else,
/// plus substitutions, including cancelled own lessons (marked `cancelled`). Sorted by date
/// and period.
pub fn teacher_plan(
    conn: &mut DbConnection,
    school_id: i64,
    teacher_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Planned>> {
    let mut slots = register::slots_of_teacher(conn, school_id, teacher_id, from, to)?;
    let subs = register::substitutions_in(conn, school_id, from, to)?;
    let extra: Vec<i64> = subs
        .iter()
        .filter(|s| {
            s.substitute_id == Some(teacher_id) && !slots.iter().any(|sl| sl.id == s.slot_id)
        })
        .map(|s| s.slot_id)
        .collect();
    slots.extend(register::slots_by_id(conn, school_id, &extra)?);
    let ids: Vec<i64> = slots.iter().map(|s| s.id).collect();
    let cal = load_calendar(conn, school_id, &ids, subs, from, to)?;
    let mut out: Vec<Planned> = dates(from, to)
        .flat_map(|d| {
            slots
                .iter()
                .filter_map(|s| cal.plan(s, d))
                .collect::<Vec<_>>()
        })
        .filter(|p| p.actual_teacher_id == teacher_id)
        .collect();
    out.sort_by_key(|p| (p.date, p.slot.period));
    Ok(out)
}

/// The lessons of a class in `[from, to]` (for the printed register and statistics).
pub fn class_plan(
    conn: &mut DbConnection,
    school_id: i64,
    class_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Planned>> {
    let slots = register::slots_of_class(conn, school_id, class_id, from, to)?;
    let subs = register::substitutions_in(conn, school_id, from, to)?;
    let ids: Vec<i64> = slots.iter().map(|s| s.id).collect();
    let cal = load_calendar(conn, school_id, &ids, subs, from, to)?;
    let mut out: Vec<Planned> = dates(from, to)
        .flat_map(|d| {
            slots
                .iter()
                .filter_map(|s| cal.plan(s, d))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort_by_key(|p| (p.date, p.slot.period));
    Ok(out)
}

/// One slot on one date, if it takes place (of this school only). Fixed-shape queries for
/// the one slot and date only (they are prepared once per connection).
pub fn single(
    conn: &mut DbConnection,
    school_id: i64,
    slot_id: i64,
    date: NaiveDate,
) -> QueryResult<Option<Planned>> {
    let Some(slot) = register::slot_by_id(conn, school_id, slot_id)? else {
        return Ok(None);
    };
    // Not on that weekday or outside the slot's validity: no lesson, whatever the calendar.
    if weekday(date) != slot.weekday || !valid_on(slot.valid_from, slot.valid_to, date) {
        return Ok(None);
    }
    let holidays = register::holidays_in(conn, school_id, date, date)?;
    if holidays.iter().any(|(s, e)| *s <= date && date <= *e) {
        return Ok(None);
    }
    let periods = register::grid_periods_in(conn, school_id, date, date)?;
    let subs = register::substitution_at(conn, school_id, slot_id, date)?;
    let lesson = register::lesson_at(conn, school_id, slot_id, date)?;
    let cal = Calendar {
        holidays,
        periods,
        subs: subs.into_iter().map(|s| ((s.slot_id, s.date), s)).collect(),
        lessons: lesson
            .into_iter()
            .map(|l| ((l.slot_id, l.date), l))
            .collect(),
    };
    Ok(cal.plan(&slot, date))
}
