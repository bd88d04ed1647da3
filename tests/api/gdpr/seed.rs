//! Data of every kind stored about a pupil, written straight into the database (sealed where
//! the column is), each value carrying a tag so a page can be searched for it.

use crate::helpers::TestApp;
use crate::helpers::pupil_data::{self, PupilData};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use klassenbuch::db::schema::{attendance, attest_requirements, lessons, register_entries};
use klassenbuch::db::{DbConnection, structure};
use klassenbuch::pupils::seal;

/// Where and by whom the pupil's lesson took place.
pub struct Lesson {
    pub school_id: i64,
    pub class_id: i64,
    pub slot_id: i64,
    pub subject_id: i64,
    pub teacher_id: i64,
}

/// The plain values stored about the pupil, each containing `tag`; the notebook text
/// (which the report must not show) separately.
pub struct Stored {
    pub values: Vec<String>,
    pub notebook_text: String,
}

/// Inserts a lesson of `l` on `date` with `topic` and the pupil's mark; answers its id.
pub fn lesson_with_mark(
    c: &mut DbConnection,
    l: &Lesson,
    pupil_id: i64,
    date: NaiveDate,
    period: i16,
    topic: &str,
    now: NaiveDateTime,
) -> i64 {
    let id: i64 = diesel::insert_into(lessons::table)
        .values((
            lessons::school_id.eq(l.school_id),
            lessons::slot_id.eq(l.slot_id),
            lessons::date.eq(date),
            lessons::class_id.eq(l.class_id),
            lessons::subject_id.eq(l.subject_id),
            lessons::teacher_id.eq(l.teacher_id),
            lessons::period.eq(period),
            lessons::start_minute.eq(480),
            lessons::end_minute.eq(525),
            lessons::topic.eq(topic),
            lessons::homework.eq(""),
            lessons::status.eq("dokumentiert"),
            lessons::documented_by.eq(l.teacher_id),
            lessons::documented_at.eq(now),
            lessons::updated_at.eq(now),
        ))
        .returning(lessons::id)
        .get_result(c)
        .unwrap();
    diesel::insert_into(attendance::table)
        .values((
            attendance::school_id.eq(l.school_id),
            attendance::lesson_id.eq(id),
            attendance::pupil_id.eq(pupil_id),
            attendance::status.eq("verspaetet"),
            attendance::minutes.eq(7),
        ))
        .execute(c)
        .unwrap();
    id
}

/// The word in the value of each sealed column (the notebook's text is kept apart).
fn word(table: &str, column: &str) -> &'static str {
    match (table, column) {
        ("absence_cases", "note_enc") => "Fehlgrund",
        ("pupil_profiles", "birth_date_enc") => "Geburtsdatum",
        ("pupil_profiles", "sex_enc") => "Geschlecht",
        ("pupil_profiles", "address_enc") => "Anschrift",
        ("pupil_profiles", "email_enc") => "Mail",
        ("pupil_profiles", "phone_enc") => "Telefon",
        ("pupil_profiles", "training_company_enc") => "Betrieb",
        ("pupil_photos", "data_enc") => "Foto",
        ("guardians", "name_enc") => "Mutter",
        ("guardians", "relation_enc") => "Verhaeltnis",
        ("guardians", "custody_enc") => "Sorgerecht",
        ("guardians", "contact_enc") => "Kontakt",
        ("health_codes", "meaning_enc") => "Bedeutung",
        ("support_measures", "detail_enc") => "Foerderung",
        ("conduct_notes", "text_enc") => "Verhalten",
        ("notebook_entries", "text_enc") => "Notizbuchtext",
        _ => panic!("no value for {table}.{column}"),
    }
}

/// Stores data of every kind about `pupil_id`, dated `date`.
pub fn every_kind(app: &TestApp, l: &Lesson, pupil_id: i64, date: NaiveDate, tag: &str) -> Stored {
    let (s, p, now) = (l.school_id, pupil_id, app.now_naive());
    let v = |what: &str| format!("{tag}-{what}");
    let mut conn = app.conn();
    let c: &mut DbConnection = &mut conn;
    pupil_data::write_sealed(
        c,
        &PupilData {
            school_id: s,
            class_id: l.class_id,
            pupil_id: p,
            user_id: l.teacher_id,
            date,
            now,
            health_code: &v("Code"),
        },
        |table, column, binding| {
            let text = v(word(table, column));
            seal(&app.state.keys, table, column, binding, &text).unwrap()
        },
    );
    diesel::insert_into(register_entries::table)
        .values((
            register_entries::school_id.eq(s),
            register_entries::class_id.eq(l.class_id),
            register_entries::date.eq(date),
            register_entries::kind.eq("verhalten"),
            register_entries::text.eq(v("Eintrag")),
            register_entries::pupil_id.eq(Some(p)),
            register_entries::author_id.eq(l.teacher_id),
            register_entries::created_at.eq(now),
        ))
        .execute(c)
        .unwrap();
    diesel::insert_into(attest_requirements::table)
        .values((
            attest_requirements::school_id.eq(s),
            attest_requirements::pupil_id.eq(p),
            attest_requirements::from_date.eq(date),
            attest_requirements::to_date.eq(date),
            attest_requirements::created_by.eq(l.teacher_id),
            attest_requirements::created_at.eq(now),
        ))
        .execute(c)
        .unwrap();
    lesson_with_mark(c, l, p, date, 1, &v("Thema"), now);
    let notebook_text = v(word("notebook_entries", "text_enc"));
    let group = structure::insert_group(c, s, &v("Kurs")).unwrap();
    structure::insert_member(
        c,
        &structure::NewMember {
            school_id: s,
            group_id: group,
            pupil_id: p,
            valid_from: date,
            valid_to: None,
        },
    )
    .unwrap();
    let values = [
        "Geburtsdatum",
        "Geschlecht",
        "Anschrift",
        "Mail",
        "Telefon",
        "Betrieb",
        "Mutter",
        "Verhaeltnis",
        "Sorgerecht",
        "Kontakt",
        "Code",
        "Bedeutung",
        "Foerderung",
        "Verhalten",
        "Eintrag",
        "Fehlgrund",
        "Thema",
        "Kurs",
    ]
    .iter()
    .map(|w| v(w))
    .collect();
    Stored {
        values,
        notebook_text,
    }
}
