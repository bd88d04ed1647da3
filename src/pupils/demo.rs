//! Demo data for the sensitive pupil groups: the pupils of one class get a date of birth, an
//! address, a guardian; the first two a support measure and a conduct note; the school a small
//! health code list. Written through `db::pupils`, every value sealed like the app does.

use crate::crypto::Keyring;
use crate::db::DbConnection;
use crate::db::pupils::{self, NewConductNote, NewGuardian, NewMeasure, ProfileChanges};
use crate::db::register;
use crate::db::schema::role_assignments;
use crate::sealed;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

const STREETS: [&str; 6] = [
    "Hafenstraße",
    "Lindenweg",
    "Am Deich",
    "Kirchenstraße",
    "Möwenweg",
    "Schulstraße",
];

fn seal(
    keys: &Keyring,
    table: &str,
    column: &str,
    binding: i64,
    text: &str,
) -> anyhow::Result<String> {
    let c = sealed::column(table, column)
        .ok_or_else(|| anyhow::anyhow!("{table}.{column} ist nicht verschlüsselt"))?;
    Ok(c.seal(keys, binding, text)?)
}

/// Seeds profile data for the pupils enrolled today in `class_id` of `school_id`. The class
/// teacher of the class (if any) writes the conduct notes and measures.
pub fn seed(
    conn: &mut DbConnection,
    keys: &Keyring,
    school_id: i64,
    class_id: i64,
    today: NaiveDate,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let author: Option<i64> = role_assignments::table
        .filter(role_assignments::school_id.eq(school_id))
        .filter(role_assignments::role.eq("klassenlehrkraft"))
        .filter(role_assignments::class_id.eq(class_id))
        .select(role_assignments::user_id)
        .first(conn)
        .optional()?;
    let codes = [
        ("G1", "Diabetes mellitus Typ 1 – Notfallplan im Sekretariat"),
        ("G2", "Epilepsie – Anfallsprotokoll beachten"),
    ];
    let mut code_ids = Vec::new();
    for (code, meaning) in codes {
        let enc = seal(keys, "health_codes", "meaning_enc", school_id, meaning)?;
        code_ids.push(pupils::add_health_code(conn, school_id, code, &enc)?);
    }
    let roster = register::roster(conn, school_id, class_id, None, today)?;
    let age = 10 + i32::from(today.month() >= 8);
    for (i, p) in roster.iter().enumerate() {
        let birth = NaiveDate::from_ymd_opt(
            today.year() - age,
            1 + (i as u32 * 5) % 12,
            1 + (i as u32 * 7) % 28,
        )
        .unwrap_or(today);
        let address = format!(
            "{} {}\n24937 Flensburg",
            STREETS[i % STREETS.len()],
            3 + i * 2
        );
        let phone = format!("0461 {:06}", 310_000 + i * 137);
        let sex = if i % 7 == 6 {
            "d"
        } else if i % 2 == 0 {
            "w"
        } else {
            "m"
        };
        let changes = ProfileChanges {
            birth_date_enc: Some(Some(seal(
                keys,
                "pupil_profiles",
                "birth_date_enc",
                p.id,
                &birth.to_string(),
            )?)),
            sex_enc: Some(Some(seal(keys, "pupil_profiles", "sex_enc", p.id, sex)?)),
            address_enc: Some(Some(seal(
                keys,
                "pupil_profiles",
                "address_enc",
                p.id,
                &address,
            )?)),
            phone_enc: Some(Some(seal(
                keys,
                "pupil_profiles",
                "phone_enc",
                p.id,
                &phone,
            )?)),
            ..Default::default()
        };
        pupils::save_profile(conn, school_id, p.id, &changes, now)?;
        let parent = if i % 2 == 0 { "Mutter" } else { "Vater" };
        pupils::add_guardian(
            conn,
            &NewGuardian {
                school_id,
                pupil_id: p.id,
                name_enc: seal(
                    keys,
                    "guardians",
                    "name_enc",
                    p.id,
                    &format!(
                        "{} {}",
                        if i % 2 == 0 { "Sandra" } else { "Michael" },
                        p.surname
                    ),
                )?,
                relation_enc: seal(keys, "guardians", "relation_enc", p.id, parent)?,
                custody_enc: seal(keys, "guardians", "custody_enc", p.id, "ja")?,
                contact_enc: seal(
                    keys,
                    "guardians",
                    "contact_enc",
                    p.id,
                    &format!("{phone}\n{}@example.org", p.surname.to_lowercase()),
                )?,
                now,
            },
        )?;
        let Some(author) = author.filter(|_| i < 2) else {
            continue;
        };
        let (kind, detail) = if i == 0 {
            (
                "nachteilsausgleich",
                "25 % Zeitzuschlag bei Klassenarbeiten",
            )
        } else {
            (
                "rechtschreibung",
                "Rechtschreibung in Deutsch nicht bewerten (LRS)",
            )
        };
        pupils::add_measure(
            conn,
            &NewMeasure {
                school_id,
                pupil_id: p.id,
                kind,
                detail_enc: seal(keys, "support_measures", "detail_enc", p.id, detail)?,
                valid_from: today - Duration::days(60),
                valid_to: Some(today + Duration::days(300)),
                created_by: author,
                now,
            },
        )?;
        if let Some(code_id) = code_ids.get(i) {
            pupils::assign_health_code(conn, school_id, p.id, *code_id)?;
        }
        let note = if i == 0 {
            "Unterstützt andere bei der Gruppenarbeit sehr hilfsbereit."
        } else {
            "Störte wiederholt den Unterricht; Gespräch vereinbart."
        };
        pupils::add_conduct_note(
            conn,
            &NewConductNote {
                school_id,
                pupil_id: p.id,
                author_id: author,
                date: today - Duration::days(3 + i as i64),
                text_enc: seal(keys, "conduct_notes", "text_enc", p.id, note)?,
                now,
            },
        )?;
    }
    Ok(())
}
