//! Support data of a pupil: health impairment codes from the school's list (the meaning is
//! encrypted) and Nachteilsausgleich / Notenschutz / spelling weighting with a validity period
//! and an encrypted description. Class teacher (own class) and headteacher change them with
//! `POST /schueler/{id}/foerderung`; subject teachers read them for their own pupils.

use super::page;
use super::scope;
use super::{Submitted, audit_change, flash, object, pupil_path, seal, text_field};
use crate::auth::CurrentUser;
use crate::crypto::Keyring;
use crate::db::pupils::{self, HealthCodeRow, MeasureRow, NewMeasure, PupilChange};
use crate::error::AppResult;
use crate::permissions::DataGroup;
use crate::register::absences::parse_date;
use crate::startup::AppState;
use crate::web::page::FlashKind;
use crate::web::see_other;
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path};
use chrono::NaiveDate;
use serde::Deserialize;

mod view;

pub use view::section;

const GROUP: DataGroup = DataGroup::Support;

/// The kinds of support measure: value stored in `support_measures.kind`, label.
pub const KINDS: [(&str, &str); 3] = [
    ("nachteilsausgleich", "Nachteilsausgleich"),
    ("notenschutz", "Notenschutz"),
    ("rechtschreibung", "Gewichtung der Rechtschreibleistung"),
];

fn kind_label(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or(kind)
}

/// A health code with its meaning, decrypted.
#[derive(Debug, Clone)]
pub struct CodeView {
    pub id: i64,
    pub code: String,
    pub meaning: String,
}

#[derive(Debug, Clone)]
pub struct MeasureView {
    pub id: i64,
    pub kind: String,
    pub detail: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// The support section's data.
#[derive(Debug, Clone, Default)]
pub struct SupportView {
    pub codes: Vec<CodeView>,
    pub measures: Vec<MeasureView>,
    /// The school's list, for the assignment form (only for those who may change).
    pub school_codes: Vec<CodeView>,
}

pub fn open_codes(keys: &Keyring, school_id: i64, rows: &[HealthCodeRow]) -> Vec<CodeView> {
    rows.iter()
        .map(|r| CodeView {
            id: r.id,
            code: r.code.clone(),
            meaning: super::open(
                keys,
                "health_codes",
                "meaning_enc",
                school_id,
                &r.meaning_enc,
            ),
        })
        .collect()
}

pub fn open(
    keys: &Keyring,
    school_id: i64,
    pupil_id: i64,
    codes: &[HealthCodeRow],
    measures: &[MeasureRow],
    school_codes: &[HealthCodeRow],
) -> SupportView {
    SupportView {
        codes: open_codes(keys, school_id, codes),
        measures: measures
            .iter()
            .map(|m| MeasureView {
                id: m.id,
                kind: m.kind.clone(),
                detail: super::open(
                    keys,
                    "support_measures",
                    "detail_enc",
                    pupil_id,
                    &m.detail_enc,
                ),
                valid_from: m.valid_from,
                valid_to: m.valid_to,
            })
            .collect(),
        school_codes: open_codes(keys, school_id, school_codes),
    }
}

/// `POST /schueler/{id}/foerderung`. `aktion` is one of `code_zuordnen`, `code_entfernen`
/// (with `code`), `massnahme_anlegen` (with `art`, `beschreibung`, `gueltig_ab`,
/// `gueltig_bis`) and `massnahme_entfernen` (with `massnahme`). Other fields are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct SupportForm {
    #[serde(default)]
    aktion: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    massnahme: String,
    #[serde(default)]
    art: String,
    #[serde(default)]
    beschreibung: String,
    #[serde(default)]
    gueltig_ab: String,
    #[serde(default)]
    gueltig_bis: String,
}

/// A checked new measure.
struct MeasureInput {
    kind: &'static str,
    detail: String,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

fn parse_measure(f: &SupportForm, sub: &mut Submitted) -> Option<MeasureInput> {
    sub.keep("fm-art", &f.art);
    sub.keep("fm-ab", &f.gueltig_ab);
    sub.keep("fm-bis", &f.gueltig_bis);
    let kind = KINDS
        .iter()
        .find(|(k, _)| *k == f.art.trim())
        .map(|(k, _)| *k);
    if kind.is_none() {
        sub.error(
            "fm-art",
            "Art: Bitte Nachteilsausgleich, Notenschutz oder Rechtschreibung wählen.",
        );
    }
    let detail = text_field(
        sub,
        "fm-beschreibung",
        "Beschreibung",
        &f.beschreibung,
        1000,
        true,
    );
    let from = parse_date(&f.gueltig_ab);
    if from.is_none() {
        sub.error("fm-ab", "Gültig ab: Bitte ein Datum angeben (TT.MM.JJJJ).");
    }
    let to = if f.gueltig_bis.trim().is_empty() {
        Some(None)
    } else {
        match parse_date(&f.gueltig_bis) {
            Some(to) if from.is_none_or(|from| to >= from) => Some(Some(to)),
            Some(_) => {
                sub.error("fm-bis", "Gültig bis: Darf nicht vor »gültig ab« liegen.");
                None
            }
            None => {
                sub.error(
                    "fm-bis",
                    "Gültig bis: Bitte ein Datum angeben (TT.MM.JJJJ) oder leer lassen.",
                );
                None
            }
        }
    };
    Some(MeasureInput {
        kind: kind?,
        detail: detail?,
        from: from?,
        to: to?,
    })
}

fn id_of(raw: &str) -> Option<i64> {
    raw.trim().parse().ok()
}

/// `POST /schueler/{id}/foerderung`.
pub async fn change_support(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    form: Form<SupportForm>,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let next = pupil_path(pupil_id);
    let (proof, access) = scope::gate_write(&state, &user, pupil_id, GROUP, &next).await?;
    let f = form.into_inner();
    let school_id = user.school_id();
    let (user_id, now) = (user.user.id, user.now.naive_utc());
    let change = |had_value: bool, has_value: bool| PupilChange {
        school_id,
        pupil_id,
        user_id,
        assurance: user.assurance().to_owned(),
        at: now,
        group: GROUP.key(),
        had_value,
        has_value,
    };
    let mut sub = Submitted::default();
    let (what, done): (String, &str) = match f.aktion.as_str() {
        "code_zuordnen" | "code_entfernen" => {
            let assign = f.aktion == "code_zuordnen";
            sub.keep("fc-code", &f.code);
            let Some(code_id) = id_of(&f.code) else {
                sub.error(
                    "fc-code",
                    "Gesundheitscode: Bitte einen Code der Liste wählen.",
                );
                return page::invalid(&state, &proof, &user, &access, sub).await;
            };
            let history = change(!assign, assign);
            let n = super::write_with_history(&state, history, move |c| {
                if assign {
                    pupils::assign_health_code(c, school_id, pupil_id, code_id)
                } else {
                    pupils::unassign_health_code(c, school_id, pupil_id, code_id)
                }
            })
            .await?;
            if n == 0 {
                sub.error("fc-code", "Gesundheitscode: Bitte einen Code der Liste wählen, der dieser Person zugeordnet werden kann.");
                return page::invalid(&state, &proof, &user, &access, sub).await;
            }
            if assign {
                (
                    format!("code_zugeordnet:{code_id}"),
                    "Gesundheitscode zugeordnet.",
                )
            } else {
                (
                    format!("code_entfernt:{code_id}"),
                    "Gesundheitscode entfernt.",
                )
            }
        }
        "massnahme_anlegen" => {
            let input = parse_measure(&f, &mut sub);
            let Some(input) = input.filter(|_| sub.errors.is_empty()) else {
                return page::invalid(&state, &proof, &user, &access, sub).await;
            };
            let new = NewMeasure {
                school_id,
                pupil_id,
                kind: input.kind,
                detail_enc: seal(
                    &state.keys,
                    "support_measures",
                    "detail_enc",
                    pupil_id,
                    &input.detail,
                )?,
                valid_from: input.from,
                valid_to: input.to,
                created_by: user_id,
                now,
            };
            let history = change(false, true);
            let id = state
                .db
                .run(move |c| {
                    crate::db::write_transaction(c, |c| {
                        let id = pupils::add_measure(c, &new)?;
                        pupils::record_change(c, &history)?;
                        Ok(id)
                    })
                })
                .await?;
            (format!("massnahme_angelegt:{id}"), "Maßnahme gespeichert.")
        }
        "massnahme_entfernen" => {
            let Some(measure_id) = id_of(&f.massnahme) else {
                return Err(super::refuse(&state, &user, object(pupil_id)).await);
            };
            let history = change(true, false);
            let n = super::write_with_history(&state, history, move |c| {
                pupils::remove_measure(c, school_id, pupil_id, measure_id)
            })
            .await?;
            if n == 0 {
                return Err(super::refuse(&state, &user, format!("massnahme:{measure_id}")).await);
            }
            (
                format!("massnahme_entfernt:{measure_id}"),
                "Maßnahme entfernt.",
            )
        }
        _ => {
            sub.error(
                "foerderung",
                "Aktion: Unbekannte Aktion. Bitte verwenden Sie die Formulare dieser Seite.",
            );
            return page::invalid(&state, &proof, &user, &access, sub).await;
        }
    };
    audit_change(&state, &user, pupil_id, GROUP, &what).await?;
    flash(&state, &user, FlashKind::Success, done).await?;
    Ok(see_other(&format!("{next}#{}", GROUP.key())))
}
