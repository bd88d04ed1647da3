//! One row of every kind of sealed data about a pupil, written straight into the database.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use klassenbuch::db::schema::{
    conduct_notes, guardians, health_codes, notebook_entries, pupil_health_codes, pupil_photos,
    pupil_profiles, support_measures,
};
use klassenbuch::db::{DbConnection, calendar};

/// Whose data it is, in which school and class, dated when, recorded by whom.
pub struct PupilData<'a> {
    pub school_id: i64,
    pub class_id: i64,
    pub pupil_id: i64,
    /// The staff member who records everything and owns the notebook entry.
    pub user_id: i64,
    pub date: NaiveDate,
    pub now: NaiveDateTime,
    /// The (plain, unique per school) code of the pupil's health code.
    pub health_code: &'a str,
}

/// Writes an absence case, a profile, a photo, a guardian, a health code (assigned to the
/// pupil), a support measure, a conduct note and a notebook entry of `d.pupil_id`; every
/// sealed column holds `seal(table, column, binding)`, the binding being the pupil (the
/// school for the health code, the owner for the notebook entry).
pub fn write_sealed(
    c: &mut DbConnection,
    d: &PupilData,
    mut seal: impl FnMut(&str, &str, i64) -> String,
) {
    let (s, p, now) = (d.school_id, d.pupil_id, d.now);
    calendar::create_absence_case(
        c,
        &calendar::NewAbsenceCase {
            school_id: s,
            pupil_id: p,
            from_date: d.date,
            to_date: d.date,
            from_period: None,
            to_period: None,
            reason: "krank",
            note_enc: Some(&seal("absence_cases", "note_enc", p)),
            excuse: "entschuldigt",
            excuse_received_on: Some(d.date),
            created_by: d.user_id,
            now,
        },
    )
    .unwrap();
    let mut profile = |column| seal("pupil_profiles", column, p);
    diesel::insert_into(pupil_profiles::table)
        .values((
            pupil_profiles::school_id.eq(s),
            pupil_profiles::pupil_id.eq(p),
            pupil_profiles::birth_date_enc.eq(profile("birth_date_enc")),
            pupil_profiles::sex_enc.eq(profile("sex_enc")),
            pupil_profiles::address_enc.eq(profile("address_enc")),
            pupil_profiles::email_enc.eq(profile("email_enc")),
            pupil_profiles::phone_enc.eq(profile("phone_enc")),
            pupil_profiles::training_company_enc.eq(profile("training_company_enc")),
            pupil_profiles::updated_at.eq(now),
        ))
        .execute(c)
        .unwrap();
    diesel::insert_into(pupil_photos::table)
        .values((
            pupil_photos::school_id.eq(s),
            pupil_photos::pupil_id.eq(p),
            pupil_photos::data_enc.eq(seal("pupil_photos", "data_enc", p)),
            pupil_photos::updated_at.eq(now),
        ))
        .execute(c)
        .unwrap();
    let mut guardian = |column| seal("guardians", column, p);
    diesel::insert_into(guardians::table)
        .values((
            guardians::school_id.eq(s),
            guardians::pupil_id.eq(p),
            guardians::name_enc.eq(guardian("name_enc")),
            guardians::relation_enc.eq(guardian("relation_enc")),
            guardians::custody_enc.eq(guardian("custody_enc")),
            guardians::contact_enc.eq(guardian("contact_enc")),
            guardians::created_at.eq(now),
        ))
        .execute(c)
        .unwrap();
    let code_id: i64 = diesel::insert_into(health_codes::table)
        .values((
            health_codes::school_id.eq(s),
            health_codes::code.eq(d.health_code),
            health_codes::meaning_enc.eq(seal("health_codes", "meaning_enc", s)),
        ))
        .returning(health_codes::id)
        .get_result(c)
        .unwrap();
    diesel::insert_into(pupil_health_codes::table)
        .values((
            pupil_health_codes::school_id.eq(s),
            pupil_health_codes::pupil_id.eq(p),
            pupil_health_codes::health_code_id.eq(code_id),
        ))
        .execute(c)
        .unwrap();
    diesel::insert_into(support_measures::table)
        .values((
            support_measures::school_id.eq(s),
            support_measures::pupil_id.eq(p),
            support_measures::kind.eq("nachteilsausgleich"),
            support_measures::detail_enc.eq(seal("support_measures", "detail_enc", p)),
            support_measures::valid_from.eq(d.date),
            support_measures::created_by.eq(d.user_id),
            support_measures::created_at.eq(now),
        ))
        .execute(c)
        .unwrap();
    diesel::insert_into(conduct_notes::table)
        .values((
            conduct_notes::school_id.eq(s),
            conduct_notes::pupil_id.eq(p),
            conduct_notes::author_id.eq(d.user_id),
            conduct_notes::date.eq(d.date),
            conduct_notes::text_enc.eq(seal("conduct_notes", "text_enc", p)),
            conduct_notes::created_at.eq(now),
        ))
        .execute(c)
        .unwrap();
    diesel::insert_into(notebook_entries::table)
        .values((
            notebook_entries::school_id.eq(s),
            notebook_entries::owner_id.eq(d.user_id),
            notebook_entries::pupil_id.eq(p),
            notebook_entries::class_id.eq(d.class_id),
            notebook_entries::date.eq(d.date),
            notebook_entries::kind.eq("zwischennote"),
            notebook_entries::text_enc.eq(seal("notebook_entries", "text_enc", d.user_id)),
            notebook_entries::created_at.eq(now),
        ))
        .execute(c)
        .unwrap();
}
