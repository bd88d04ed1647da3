//! Plans for people: pupils (enrolments, class changes, leavers, dates of birth), staff
//! and guardians.

use super::{Effect, Op, Plan, crypto_error, de, last_day};
use crate::crypto::Keyring;
use crate::db::DbConnection;
use crate::db::import::{self as q, NewPupilRecord};
use crate::import::Problem;
use crate::import::validate::{GuardianIn, PupilIn, StaffIn};
use crate::sealed;
use chrono::{Duration, NaiveDate};
use diesel::QueryResult;
use std::collections::{HashMap, HashSet};

fn name_key(surname: &str, first_name: &str) -> String {
    format!(
        "{}\u{1f}{}",
        surname.to_lowercase(),
        first_name.to_lowercase()
    )
}

pub(super) fn pupils(
    conn: &mut DbConnection,
    school_id: i64,
    records: &[PupilIn],
    today: NaiveDate,
    keys: &Keyring,
    plan: &mut Plan,
) -> QueryResult<Vec<Problem>> {
    // Dates of birth in the profiles, by enrolment row.
    let column = sealed::column("pupil_profiles", "birth_date_enc");
    let mut births: HashMap<i64, NaiveDate> = HashMap::new();
    for (pupil_id, stored) in q::birth_dates(conn, school_id)? {
        let opened = column
            .ok_or(crate::crypto::CryptoError::Corrupt)
            .and_then(|c| c.open(keys, pupil_id, &stored))
            .map_err(crypto_error)?;
        if let Ok(d) = NaiveDate::parse_from_str(&opened, "%Y-%m-%d") {
            births.insert(pupil_id, d);
        }
    }
    let class_names: HashMap<i64, String> = q::class_rows(conn, school_id)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let class_name = |id: i64| class_names.get(&id).cloned().unwrap_or_default();
    // The newest row of every pupil: by stable id, or by name for rows without one.
    let mut newest: Vec<q::PupilRecord> = Vec::new();
    let mut by_ext: HashMap<String, usize> = HashMap::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for row in q::pupil_rows(conn, school_id)? {
        let slot = match &row.external_id {
            Some(ext) => by_ext.get(ext).copied(),
            None => by_name
                .get(&name_key(&row.surname, &row.first_name))
                .copied(),
        };
        match slot {
            Some(i) => newest[i] = row,
            None => {
                let i = newest.len();
                match &row.external_id {
                    Some(ext) => by_ext.insert(ext.clone(), i),
                    None => by_name.insert(name_key(&row.surname, &row.first_name), i),
                };
                newest.push(row);
            }
        }
    }
    // Rows with a stable id can also be found by name when the file has none.
    let mut any_by_name: HashMap<String, usize> = by_name.clone();
    for (i, row) in newest.iter().enumerate() {
        any_by_name
            .entry(name_key(&row.surname, &row.first_name))
            .or_insert(i);
    }
    let mut seen: HashSet<usize> = HashSet::new();
    for rec in records {
        let key = name_key(&rec.surname, &rec.first_name);
        let found = match &rec.id {
            Some(ext) => by_ext.get(ext).or_else(|| by_name.get(&key)).copied(),
            None => any_by_name.get(&key).copied(),
        };
        let label = format!("{}, {}", rec.surname, rec.first_name);
        let Some(i) = found.filter(|i| !seen.contains(i)) else {
            plan.push(
                Effect::New,
                Some(rec.line),
                format!(
                    "{label} ({}), ab {}",
                    rec.class_name,
                    de(Some(rec.from.unwrap_or(today)))
                ),
                vec![Op::NewPupil(
                    NewPupilRecord {
                        class_id: rec.class_id,
                        surname: rec.surname.clone(),
                        first_name: rec.first_name.clone(),
                        enrolled_from: rec.from.unwrap_or(today),
                        enrolled_to: rec.to,
                        external_id: rec.id.clone(),
                    },
                    rec.birth,
                )],
            );
            continue;
        };
        seen.insert(i);
        let row = &newest[i];
        let external_id = rec.id.clone().or_else(|| row.external_id.clone());
        let target = NewPupilRecord {
            class_id: rec.class_id,
            surname: rec.surname.clone(),
            first_name: rec.first_name.clone(),
            enrolled_from: today,
            enrolled_to: rec.to,
            external_id,
        };
        let mut what = Vec::new();
        if row.surname != rec.surname || row.first_name != rec.first_name {
            what.push(format!(
                "Name {}, {} → {label}",
                row.surname, row.first_name
            ));
        }
        let left = row.enrolled_to.is_some_and(|t| t < today);
        if row.class_id != rec.class_id {
            what.push(format!(
                "Klasse {} → {}",
                class_name(row.class_id),
                rec.class_name
            ));
        }
        if row.enrolled_to != rec.to {
            what.push(format!("Austritt {} → {}", de(row.enrolled_to), de(rec.to)));
        }
        if row.external_id != target.external_id {
            what.push(format!(
                "Schüler-ID {}",
                target.external_id.clone().unwrap_or_default()
            ));
        }
        let stored_birth = births.get(&row.id).copied();
        let birth = rec.birth.or(stored_birth);
        let birth_changed = rec.birth.is_some() && rec.birth != stored_birth;
        let mut ops = Vec::new();
        if birth_changed {
            // The value is class B: the preview names the field only.
            what.push("Geburtsdatum".to_owned());
        }
        if what.is_empty() {
            continue;
        }
        let other = what.len() > usize::from(birth_changed);
        let op = if row.class_id != rec.class_id && row.enrolled_from < today && !left {
            // A class change keeps the old enrolment (and its register) and starts a new one.
            let last = last_day(today, row.enrolled_from);
            Op::ChangeClass {
                id: row.id,
                last,
                new: NewPupilRecord {
                    enrolled_from: last + Duration::days(1),
                    ..target
                },
                birth,
            }
        } else if row.class_id != rec.class_id && left {
            Op::NewPupil(
                NewPupilRecord {
                    enrolled_from: rec.from.filter(|f| *f >= today).unwrap_or(today),
                    ..target
                },
                birth,
            )
        } else {
            if let (true, Some(date)) = (birth_changed, rec.birth) {
                ops.push(Op::SetBirth {
                    pupil_id: row.id,
                    date,
                });
            }
            Op::UpdatePupil {
                id: row.id,
                rec: target,
            }
        };
        if other {
            ops.insert(0, op);
        }
        plan.push(
            Effect::Changed,
            Some(rec.line),
            format!("{label}: {}", what.join("; ")),
            ops,
        );
    }
    for (i, row) in newest.iter().enumerate() {
        let enrolled = row.enrolled_to.is_none_or(|t| t >= today);
        if seen.contains(&i) || !enrolled {
            continue;
        }
        let last = last_day(today, row.enrolled_from);
        plan.push(
            Effect::Leaving,
            None,
            format!(
                "{}, {} ({}): Austritt, letzter Tag {}",
                row.surname,
                row.first_name,
                class_name(row.class_id),
                de(Some(last))
            ),
            vec![Op::UpdatePupil {
                id: row.id,
                rec: NewPupilRecord {
                    class_id: row.class_id,
                    surname: row.surname.clone(),
                    first_name: row.first_name.clone(),
                    enrolled_from: row.enrolled_from,
                    enrolled_to: Some(last),
                    external_id: row.external_id.clone(),
                },
            }],
        );
    }
    Ok(Vec::new())
}

pub(super) fn staff(
    conn: &mut DbConnection,
    school_id: i64,
    file: &str,
    records: &[StaffIn],
    plan: &mut Plan,
) -> QueryResult<Vec<Problem>> {
    let rows = q::staff_rows(conn, school_id)?;
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for rec in records {
        let found = rows
            .iter()
            .find(|u| {
                u.external_id
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&rec.short))
            })
            .or_else(|| {
                rows.iter()
                    .find(|u| u.external_id.is_none() && u.login == rec.login)
            });
        match found {
            Some(u) => {
                seen.insert(u.id);
                let mut what = Vec::new();
                if u.display_name != rec.display_name {
                    what.push(format!("Name {} → {}", u.display_name, rec.display_name));
                }
                if !u.active {
                    what.push("wieder aktiv".to_owned());
                }
                if u.external_id.as_deref() != Some(rec.short.as_str()) {
                    what.push(format!("Kürzel {}", rec.short));
                }
                if !what.is_empty() {
                    plan.push(
                        Effect::Changed,
                        Some(rec.line),
                        format!("{} ({}): {}", rec.display_name, rec.short, what.join("; ")),
                        vec![Op::UpdateStaff {
                            id: u.id,
                            short: rec.short.clone(),
                            display_name: rec.display_name.clone(),
                            active: true,
                        }],
                    );
                }
            }
            None => {
                // Logins are unique across the installation, not per school.
                if crate::db::users::find_by_login(conn, &rec.login)?.is_some() {
                    problems.push(Problem::cell(
                        file,
                        rec.line,
                        "Anmeldename",
                        &rec.login,
                        super::LOGIN_TAKEN,
                    ));
                    continue;
                }
                plan.push(
                    Effect::New,
                    Some(rec.line),
                    format!(
                        "{} ({}), Anmeldename {}, Rolle Lehrkraft",
                        rec.display_name, rec.short, rec.login
                    ),
                    vec![Op::NewStaff {
                        short: rec.short.clone(),
                        login: rec.login.clone(),
                        display_name: rec.display_name.clone(),
                    }],
                );
            }
        }
    }
    // Schulleitung and Verwaltung keep their accounts even when missing from a teacher list.
    let administrators = q::administrator_ids(conn, school_id)?;
    for u in &rows {
        if u.external_id.is_some()
            && u.active
            && !seen.contains(&u.id)
            && !administrators.contains(&u.id)
        {
            plan.push(
                Effect::Leaving,
                None,
                format!(
                    "{} ({}): Konto wird deaktiviert",
                    u.display_name,
                    u.external_id.clone().unwrap_or_default()
                ),
                vec![Op::UpdateStaff {
                    id: u.id,
                    short: u.external_id.clone().unwrap_or_default(),
                    display_name: u.display_name.clone(),
                    active: false,
                }],
            );
        }
    }
    Ok(problems)
}

/// A stored guardian with its values opened.
struct Stored {
    id: i64,
    pupil_id: i64,
    relation: String,
    custody: String,
    contact: String,
}

pub(super) fn guardians(
    conn: &mut DbConnection,
    school_id: i64,
    records: &[GuardianIn],
    keys: &Keyring,
    plan: &mut Plan,
) -> QueryResult<Vec<Problem>> {
    let ext_of: HashMap<i64, String> = q::pupil_rows(conn, school_id)?
        .into_iter()
        .filter_map(|p| p.external_id.map(|e| (p.id, e)))
        .collect();
    let open = |column: &str, binding: i64, stored: &str| -> QueryResult<String> {
        sealed::column("guardians", column)
            .ok_or(crate::crypto::CryptoError::Corrupt)
            .and_then(|c| c.open(keys, binding, stored))
            .map_err(crypto_error)
    };
    // (pupil id of the school software, name in lower case) → the stored guardian, opened.
    let mut existing: HashMap<(String, String), Stored> = HashMap::new();
    for g in q::guardian_rows(conn, school_id)? {
        let Some(ext) = ext_of.get(&g.pupil_id) else {
            continue;
        };
        let name = open("name_enc", g.pupil_id, &g.name_enc)?;
        existing.insert(
            (ext.clone(), name.to_lowercase()),
            Stored {
                id: g.id,
                pupil_id: g.pupil_id,
                relation: open("relation_enc", g.pupil_id, &g.relation_enc)?,
                custody: open("custody_enc", g.pupil_id, &g.custody_enc)?,
                contact: open("contact_enc", g.pupil_id, &g.contact_enc)?,
            },
        );
    }
    for rec in records {
        let label = format!("{} (Schüler-ID {})", rec.name, rec.pupil_ext);
        match existing.get(&(rec.pupil_ext.clone(), rec.name.to_lowercase())) {
            None => plan.push(
                Effect::New,
                Some(rec.line),
                label,
                vec![Op::NewGuardian {
                    pupil_id: rec.pupil_id,
                    name: rec.name.clone(),
                    relation: rec.relation.clone(),
                    custody: rec.custody.clone(),
                    contact: rec.contact.clone(),
                }],
            ),
            Some(g) => {
                if g.relation != rec.relation
                    || g.custody != rec.custody
                    || g.contact != rec.contact
                {
                    plan.push(
                        Effect::Changed,
                        Some(rec.line),
                        format!("{label}: Beziehung, Sorgerecht oder Kontakt"),
                        vec![Op::UpdateGuardian {
                            id: g.id,
                            pupil_id: g.pupil_id,
                            relation: rec.relation.clone(),
                            custody: rec.custody.clone(),
                            contact: rec.contact.clone(),
                        }],
                    );
                }
            }
        }
    }
    Ok(Vec::new())
}
