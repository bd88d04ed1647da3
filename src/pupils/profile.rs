//! The profile groups of a pupil: personal data (date of birth, sex), contact (address,
//! e-mail, phone) and training company. One form action, `POST /schueler/{id}/stammdaten`,
//! takes the fields of these groups; it changes only groups the user may write for this pupil
//! and ignores every other field.

use super::page;
use super::scope;
use super::{Submitted, audit_change, flash, forbid, object, pupil_path, seal, text_field};
use crate::auth::CurrentUser;
use crate::crypto::Keyring;
use crate::db::pupils::{self, ProfileChanges, ProfileRow, PupilChange};
use crate::error::AppResult;
use crate::permissions::DataGroup;
use crate::startup::AppState;
use crate::web::page::FlashKind;
use crate::web::see_other;
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

mod view;

pub use view::section;

/// How a field is entered and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Sex,
    Address,
    Email,
    Phone,
    Text,
}

/// One profile field: form name (also the input id), label, data group and sealed column.
#[derive(Debug, Clone, Copy)]
struct Field {
    id: &'static str,
    label: &'static str,
    group: DataGroup,
    column: &'static str,
    kind: Kind,
}

const fn field(
    id: &'static str,
    label: &'static str,
    group: DataGroup,
    column: &'static str,
    kind: Kind,
) -> Field {
    Field {
        id,
        label,
        group,
        column,
        kind,
    }
}

const FIELDS: [Field; 6] = [
    field(
        "geburtsdatum",
        "Geburtsdatum",
        DataGroup::PersonalData,
        "birth_date_enc",
        Kind::Date,
    ),
    field(
        "geschlecht",
        "Geschlecht",
        DataGroup::PersonalData,
        "sex_enc",
        Kind::Sex,
    ),
    field(
        "anschrift",
        "Anschrift",
        DataGroup::Contact,
        "address_enc",
        Kind::Address,
    ),
    field(
        "email",
        "E-Mail",
        DataGroup::Contact,
        "email_enc",
        Kind::Email,
    ),
    field(
        "telefon",
        "Telefon",
        DataGroup::Contact,
        "phone_enc",
        Kind::Phone,
    ),
    field(
        "ausbildungsbetrieb",
        "Ausbildungsbetrieb",
        DataGroup::TrainingCompany,
        "training_company_enc",
        Kind::Text,
    ),
];

/// The groups of this module.
pub const GROUPS: [DataGroup; 3] = [
    DataGroup::PersonalData,
    DataGroup::Contact,
    DataGroup::TrainingCompany,
];

const SEXES: [(&str, &str); 4] = [
    ("", "keine Angabe"),
    ("w", "weiblich"),
    ("m", "männlich"),
    ("d", "divers"),
];

fn sex_label(code: &str) -> &str {
    SEXES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or(code)
}

fn sealed_value(row: &ProfileRow, column: &str) -> Option<String> {
    match column {
        "birth_date_enc" => row.birth_date_enc.clone(),
        "sex_enc" => row.sex_enc.clone(),
        "address_enc" => row.address_enc.clone(),
        "email_enc" => row.email_enc.clone(),
        "phone_enc" => row.phone_enc.clone(),
        _ => row.training_company_enc.clone(),
    }
}

fn set_change(changes: &mut ProfileChanges, column: &str, value: Option<String>) {
    let slot = match column {
        "birth_date_enc" => &mut changes.birth_date_enc,
        "sex_enc" => &mut changes.sex_enc,
        "address_enc" => &mut changes.address_enc,
        "email_enc" => &mut changes.email_enc,
        "phone_enc" => &mut changes.phone_enc,
        _ => &mut changes.training_company_enc,
    };
    *slot = Some(value);
}

/// Decrypted profile values, by field; only fields of the given groups are opened.
#[derive(Debug, Clone, Default)]
pub struct ProfileView {
    values: [Option<String>; 6],
}

impl ProfileView {
    pub fn open(
        keys: &Keyring,
        pupil_id: i64,
        row: &ProfileRow,
        groups: &[DataGroup],
    ) -> ProfileView {
        let mut view = ProfileView::default();
        for (i, f) in FIELDS.iter().enumerate() {
            if groups.contains(&f.group) {
                view.values[i] = sealed_value(row, f.column)
                    .map(|s| super::open(keys, "pupil_profiles", f.column, pupil_id, &s));
            }
        }
        view
    }

    fn get(&self, i: usize) -> &str {
        self.values[i].as_deref().unwrap_or("")
    }

    fn group_has_value(&self, group: DataGroup) -> bool {
        FIELDS
            .iter()
            .enumerate()
            .any(|(i, f)| f.group == group && self.values[i].is_some())
    }
}

/// `POST /schueler/{id}/stammdaten`: only these fields are read; ids come from the path and
/// the session, never from the form.
#[derive(Debug, Default, Deserialize)]
pub struct MasterDataForm {
    geburtsdatum: Option<String>,
    geschlecht: Option<String>,
    anschrift: Option<String>,
    email: Option<String>,
    telefon: Option<String>,
    ausbildungsbetrieb: Option<String>,
}

impl MasterDataForm {
    fn get(&self, id: &str) -> Option<&str> {
        match id {
            "geburtsdatum" => self.geburtsdatum.as_deref(),
            "geschlecht" => self.geschlecht.as_deref(),
            "anschrift" => self.anschrift.as_deref(),
            "email" => self.email.as_deref(),
            "telefon" => self.telefon.as_deref(),
            "ausbildungsbetrieb" => self.ausbildungsbetrieb.as_deref(),
            _ => None,
        }
    }
}

/// A date of birth as `YYYY-MM-DD` or `TT.MM.JJJJ`, from 1900 to today.
fn parse_birth_date(raw: &str, today: NaiveDate) -> Option<NaiveDate> {
    let s = raw.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
        .filter(|d| d.year() >= 1900 && *d <= today)
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
}

fn valid_phone(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_digit() || " +-/()".contains(c))
        && s.chars().filter(char::is_ascii_digit).count() >= 3
}

/// Checks one submitted field; `Some(None)` clears it, `None` means invalid.
fn validate(f: &Field, raw: &str, sub: &mut Submitted, today: NaiveDate) -> Option<Option<String>> {
    let max = match f.kind {
        Kind::Date | Kind::Sex => 20,
        Kind::Email => 254,
        Kind::Phone => 40,
        Kind::Address | Kind::Text => 300,
    };
    let text = text_field(sub, f.id, f.label, raw, max, false)?;
    if text.is_empty() {
        return Some(None);
    }
    let ok = match f.kind {
        Kind::Date => match parse_birth_date(&text, today) {
            Some(d) => return Some(Some(d.to_string())),
            None => {
                sub.error(
                    f.id,
                    format!(
                        "{}: Bitte ein Datum bis heute angeben (TT.MM.JJJJ).",
                        f.label
                    ),
                );
                return None;
            }
        },
        Kind::Sex => SEXES.iter().any(|(c, _)| *c == text),
        Kind::Email => valid_email(&text),
        Kind::Phone => valid_phone(&text),
        Kind::Address | Kind::Text => true,
    };
    if ok {
        return Some(Some(text));
    }
    let hint = match f.kind {
        Kind::Sex => "Bitte einen der angebotenen Werte wählen.",
        Kind::Email => "Bitte eine gültige E-Mail-Adresse angeben (name@beispiel.de).",
        _ => "Bitte nur Ziffern, Leerzeichen und + - / ( ) verwenden.",
    };
    sub.error(f.id, format!("{}: {hint}", f.label));
    None
}

/// `POST /schueler/{id}/stammdaten`.
pub async fn save_master_data(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    form: Form<MasterDataForm>,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let next = pupil_path(pupil_id);
    let proof = scope::gate(&state, &user, &GROUPS, true, object(pupil_id), &next).await?;
    let access = scope::resolve(&state, &user, &proof, pupil_id, &GROUPS).await?;
    let writable: Vec<DataGroup> = GROUPS
        .into_iter()
        .filter(|g| access.may_write(*g))
        .collect();
    if writable.is_empty() {
        return Err(forbid(&state, &user, object(pupil_id), DataGroup::PersonalData).await);
    }
    let form = form.into_inner();
    let mut sub = Submitted::default();
    let mut wanted: Vec<(usize, Option<String>)> = Vec::new();
    for (i, f) in FIELDS.iter().enumerate() {
        // Fields of a group the user may not change are ignored, like any unknown field.
        let Some(raw) = form.get(f.id).filter(|_| writable.contains(&f.group)) else {
            continue;
        };
        if let Some(value) = validate(f, raw, &mut sub, access.today) {
            wanted.push((i, value));
        }
    }
    if !sub.errors.is_empty() {
        return page::invalid(&state, &proof, &user, &access, sub).await;
    }
    let (school_id, proof2) = (user.school_id(), proof.clone());
    let row = state
        .db
        .run(move |c| pupils::profile(c, &proof2, school_id, pupil_id))
        .await?
        .unwrap_or_default();
    let before = ProfileView::open(&state.keys, pupil_id, &row, &writable);
    let changed: Vec<(usize, Option<String>)> = wanted
        .into_iter()
        .filter(|(i, v)| before.values[*i] != *v)
        .collect();
    if changed.is_empty() {
        flash(&state, &user, FlashKind::Success, "Keine Änderungen.").await?;
        return Ok(see_other(&next));
    }
    let mut after = before.clone();
    let mut changes = ProfileChanges::default();
    for (i, value) in &changed {
        let f = &FIELDS[*i];
        let sealed = match value {
            Some(v) => Some(seal(&state.keys, "pupil_profiles", f.column, pupil_id, v)?),
            None => None,
        };
        set_change(&mut changes, f.column, sealed);
        after.values[*i] = value.clone();
    }
    let groups: Vec<DataGroup> = writable
        .into_iter()
        .filter(|g| changed.iter().any(|(i, _)| FIELDS[*i].group == *g))
        .collect();
    let history: Vec<PupilChange> = groups
        .iter()
        .map(|g| PupilChange {
            school_id,
            pupil_id,
            user_id: user.user.id,
            assurance: user.assurance().to_owned(),
            at: user.now.naive_utc(),
            group: g.key(),
            had_value: before.group_has_value(*g),
            has_value: after.group_has_value(*g),
        })
        .collect();
    let now = user.now.naive_utc();
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                pupils::save_profile(c, school_id, pupil_id, &changes, now)?;
                for h in &history {
                    pupils::record_change(c, h)?;
                }
                Ok(())
            })
        })
        .await?;
    for g in &groups {
        audit_change(&state, &user, pupil_id, *g, "geaendert").await?;
    }
    flash(&state, &user, FlashKind::Success, "Stammdaten gespeichert.").await?;
    Ok(see_other(&format!(
        "{next}#{}",
        groups.first().map(|g| g.key()).unwrap_or("stammdaten")
    )))
}
