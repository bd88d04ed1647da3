//! Checking a new timetable slot: the form's fields, then the school's data (ids of this
//! school, a teaching role, a period of the valid grid, no clash of teacher, class or room).

use super::super::Outcome;
use super::super::forms::{Check, FieldError, Input, de_date, de_span};
use super::{PERIOD_MAX, weekday_name};
use crate::db::DbConnection;
use crate::db::structure::{self as st, NewSlotRow, SlotRow, overlaps};
use chrono::NaiveDate;
use diesel::QueryResult;

/// A checked slot form: the ids still to be checked against the school.
#[derive(Debug, Clone)]
pub(super) struct SlotInput {
    pub(super) class_id: i64,
    pub(super) group_id: Option<i64>,
    pub(super) subject_id: i64,
    pub(super) teacher_id: i64,
    pub(super) room_id: Option<i64>,
    pub(super) weekday: i16,
    pub(super) period: i16,
    pub(super) from: NaiveDate,
    pub(super) to: Option<NaiveDate>,
}

pub(super) fn check_slot(input: &Input) -> Result<SlotInput, Vec<FieldError>> {
    let mut c = Check::new(input);
    let class_id = c.id("plan_klasse", "Klasse");
    let group_id = c.optional_id("plan_kurs", "Lerngruppe");
    let subject_id = c.id("plan_fach", "Fach");
    let teacher_id = c.id("plan_lehrkraft", "Lehrkraft");
    let weekday = c.number("plan_tag", "Wochentag", 1..=6);
    let period = c.number("plan_stunde", "Stunde", 1..=PERIOD_MAX);
    let room_id = c.optional_id("plan_raum", "Raum");
    let from = c.date("plan_ab", "Gültig ab");
    let to = c.optional_date("plan_bis", "Gültig bis");
    c.order(from, to, "plan_bis", "Gültig bis", "Gültig ab");
    match (class_id, subject_id, teacher_id, weekday, period, from) {
        (
            Some(class_id),
            Some(subject_id),
            Some(teacher_id),
            Some(weekday),
            Some(period),
            Some(from),
        ) if c.is_ok() => Ok(SlotInput {
            class_id,
            group_id,
            subject_id,
            teacher_id,
            room_id,
            weekday,
            period,
            from,
            to,
        }),
        _ => Err(c.errors),
    }
}

/// The clashes of a new slot with the slots at the same time: teacher, class, room.
fn clashes(
    s: &SlotInput,
    room: &str,
    teacher: &str,
    class: &str,
    others: &[SlotRow],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let same_time: Vec<&SlotRow> = others
        .iter()
        .filter(|o| overlaps(o.valid_from, o.valid_to, s.from, s.to))
        .collect();
    let what = |o: &SlotRow| {
        format!(
            "{} {}, {}",
            o.class_name,
            o.subject_short,
            de_span(Some(o.valid_from), o.valid_to)
        )
    };
    let when = format!("{}, {}. Stunde", weekday_name(s.weekday), s.period);
    if let Some(o) = same_time.iter().find(|o| o.teacher_id == s.teacher_id) {
        errors.push(FieldError::new(
            "plan_lehrkraft",
            format!(
                "Feld »Lehrkraft«: {teacher} unterrichtet {when} bereits ({}).",
                what(o)
            ),
        ));
    }
    let class_clash = same_time.iter().find(|o| {
        o.class_id == s.class_id
            && (s.group_id.is_none() || o.group_id.is_none() || o.group_id == s.group_id)
    });
    if let Some(o) = class_clash {
        errors.push(FieldError::new(
            "plan_stunde",
            format!(
                "Feld »Stunde«: die Klasse {class} hat {when} bereits Unterricht ({}).",
                what(o)
            ),
        ));
    }
    if !room.is_empty()
        && let Some(o) = same_time.iter().find(|o| o.room == room)
    {
        errors.push(FieldError::new(
            "plan_raum",
            format!(
                "Feld »Raum«: {room} ist {when} bereits belegt ({}).",
                what(o)
            ),
        ));
    }
    errors
}

/// Checks the slot against the school's data and stores it.
pub(super) fn store_slot(
    conn: &mut DbConnection,
    school_id: i64,
    today: NaiveDate,
    s: SlotInput,
) -> QueryResult<Outcome<i64>> {
    let Some(class) = st::class(conn, school_id, s.class_id)? else {
        return Ok(Outcome::Foreign(format!("klasse:{}", s.class_id)));
    };
    if let Some(g) = s.group_id
        && st::group(conn, school_id, g)?.is_none()
    {
        return Ok(Outcome::Foreign(format!("lerngruppe:{g}")));
    }
    if st::subject(conn, school_id, s.subject_id)?.is_none() {
        return Ok(Outcome::Foreign(format!("fach:{}", s.subject_id)));
    }
    let Some(teacher) = st::staff_member(conn, school_id, s.teacher_id)? else {
        return Ok(Outcome::Foreign(format!("benutzer:{}", s.teacher_id)));
    };
    let room = match s.room_id {
        Some(r) => match st::room(conn, school_id, r)? {
            Some(room) => room.name,
            None => return Ok(Outcome::Foreign(format!("raum:{r}"))),
        },
        None => String::new(),
    };
    let mut errors = Vec::new();
    let role_day = s.from.max(today);
    if !teacher.active || !st::teacher_ids_on(conn, school_id, role_day)?.contains(&teacher.id) {
        errors.push(FieldError::new(
            "plan_lehrkraft",
            format!(
                "Feld »Lehrkraft«: {} ist am {} nicht als Lehrkraft eingetragen.",
                teacher.name,
                de_date(role_day)
            ),
        ));
    }
    let grids = st::time_grids(conn, school_id)?;
    if let Some(grid) = grids.iter().find(|g| g.valid_on(s.from)) {
        let periods = st::grid_periods(conn, school_id)?;
        let known = periods
            .iter()
            .any(|p| p.time_grid_id == grid.id && p.number == s.period);
        if !known {
            errors.push(FieldError::new(
                "plan_stunde",
                format!(
                    "Feld »Stunde«: das Zeitraster »{}« (gültig {}) hat keine {}. Stunde.",
                    grid.name,
                    de_span(Some(grid.valid_from), grid.valid_to),
                    s.period
                ),
            ));
        }
    }
    let others = st::slots_at(conn, school_id, s.weekday, s.period)?;
    errors.extend(clashes(&s, &room, &teacher.name, &class.name, &others));
    if !errors.is_empty() {
        return Ok(Outcome::Invalid(errors));
    }
    let id = st::insert_slot(
        conn,
        &NewSlotRow {
            school_id,
            class_id: s.class_id,
            group_id: s.group_id,
            subject_id: s.subject_id,
            teacher_id: s.teacher_id,
            weekday: s.weekday,
            period: s.period,
            room,
            valid_from: s.from,
            valid_to: s.to,
        },
    )?;
    Ok(Outcome::Saved(id))
}
