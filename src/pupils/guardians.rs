//! Guardians (Erziehungsberechtigte) of a pupil: name, relation, custody (ja / nein /
//! teilweise) and contacts, every value encrypted. The office adds and removes them with
//! `POST /schueler/{id}/erziehungsberechtigte`; class teacher and headteacher read them.

use super::page::{self, Ctx};
use super::scope::{self, PupilAccess};
use super::{Submitted, audit_change, flash, object, pupil_path, seal, text_field};
use crate::auth::CurrentUser;
use crate::crypto::Keyring;
use crate::db::pupils::{self, GuardianRow, NewGuardian, PupilChange};
use crate::error::AppResult;
use crate::permissions::DataGroup;
use crate::startup::AppState;
use crate::web::page::{FlashKind, csrf_field};
use crate::web::see_other;
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path};
use maud::{Markup, html};
use serde::Deserialize;

const GROUP: DataGroup = DataGroup::Guardians;
const TABLE: &str = "guardians";

const CUSTODY: [(&str, &str); 3] = [("ja", "ja"), ("teilweise", "teilweise"), ("nein", "nein")];

/// A guardian, decrypted.
#[derive(Debug, Clone)]
pub struct GuardianView {
    pub id: i64,
    pub name: String,
    pub relation: String,
    pub custody: String,
    pub contact: String,
}

pub fn open_all(keys: &Keyring, pupil_id: i64, rows: &[GuardianRow]) -> Vec<GuardianView> {
    let open = |column: &str, v: &str| super::open(keys, TABLE, column, pupil_id, v);
    rows.iter()
        .map(|r| GuardianView {
            id: r.id,
            name: open("name_enc", &r.name_enc),
            relation: open("relation_enc", &r.relation_enc),
            custody: open("custody_enc", &r.custody_enc),
            contact: open("contact_enc", &r.contact_enc),
        })
        .collect()
}

/// `POST /schueler/{id}/erziehungsberechtigte`: with `entfernen` set, removes the guardian
/// `entfernen` names; otherwise adds one. Other fields are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct GuardianForm {
    entfernen: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    beziehung: String,
    #[serde(default)]
    sorgerecht: String,
    #[serde(default)]
    kontakt: String,
}

/// A checked new guardian.
struct Input {
    name: String,
    relation: String,
    custody: &'static str,
    contact: String,
}

fn parse(f: &GuardianForm, sub: &mut Submitted) -> Option<Input> {
    let name = text_field(sub, "ezb-name", "Name", &f.name, 200, true);
    let relation = text_field(sub, "ezb-beziehung", "Beziehung", &f.beziehung, 100, true);
    let contact = text_field(sub, "ezb-kontakt", "Kontakt", &f.kontakt, 500, false);
    sub.keep("ezb-sorgerecht", &f.sorgerecht);
    let custody = CUSTODY
        .iter()
        .find(|(v, _)| *v == f.sorgerecht.trim())
        .map(|(v, _)| *v);
    if custody.is_none() {
        sub.error(
            "ezb-sorgerecht",
            "Sorgerecht: Bitte ja, teilweise oder nein wählen.",
        );
    }
    Some(Input {
        name: name?,
        relation: relation?,
        custody: custody?,
        contact: contact?,
    })
}

/// `POST /schueler/{id}/erziehungsberechtigte`.
pub async fn change_guardians(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    form: Form<GuardianForm>,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let next = pupil_path(pupil_id);
    let (proof, access) = scope::gate_write(&state, &user, pupil_id, GROUP, &next).await?;
    let f = form.into_inner();
    let school_id = user.school_id();
    let change = |had_value: bool, has_value: bool| PupilChange {
        school_id,
        pupil_id,
        user_id: user.user.id,
        assurance: user.assurance().to_owned(),
        at: user.now.naive_utc(),
        group: GROUP.key(),
        had_value,
        has_value,
    };
    if let Some(raw) = &f.entfernen {
        let Ok(guardian_id) = raw.trim().parse::<i64>() else {
            return Err(super::refuse(&state, &user, object(pupil_id)).await);
        };
        let history = change(true, false);
        let removed = super::write_with_history(&state, history, move |c| {
            pupils::remove_guardian(c, school_id, pupil_id, guardian_id)
        })
        .await?;
        if removed == 0 {
            // Another pupil's guardian, or a guessed id.
            return Err(super::refuse(
                &state,
                &user,
                format!("erziehungsberechtigte:{guardian_id}"),
            )
            .await);
        }
        audit_change(
            &state,
            &user,
            pupil_id,
            GROUP,
            &format!("entfernt:{guardian_id}"),
        )
        .await?;
        flash(
            &state,
            &user,
            FlashKind::Success,
            "Erziehungsberechtigte Person entfernt.",
        )
        .await?;
        return Ok(see_other(&format!("{next}#{}", GROUP.key())));
    }
    let mut sub = Submitted::default();
    let input = parse(&f, &mut sub);
    let Some(input) = input.filter(|_| sub.errors.is_empty()) else {
        return page::invalid(&state, &proof, &user, &access, sub).await;
    };
    let keys = &state.keys;
    let new = NewGuardian {
        school_id,
        pupil_id,
        name_enc: seal(keys, TABLE, "name_enc", pupil_id, &input.name)?,
        relation_enc: seal(keys, TABLE, "relation_enc", pupil_id, &input.relation)?,
        custody_enc: seal(keys, TABLE, "custody_enc", pupil_id, input.custody)?,
        contact_enc: seal(keys, TABLE, "contact_enc", pupil_id, &input.contact)?,
        now: user.now.naive_utc(),
    };
    let history = change(false, true);
    let id = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                let id = pupils::add_guardian(c, &new)?;
                pupils::record_change(c, &history)?;
                Ok(id)
            })
        })
        .await?;
    audit_change(
        &state,
        &user,
        pupil_id,
        GROUP,
        &format!("hinzugefuegt:{id}"),
    )
    .await?;
    flash(
        &state,
        &user,
        FlashKind::Success,
        "Erziehungsberechtigte Person gespeichert.",
    )
    .await?;
    Ok(see_other(&format!("{next}#{}", GROUP.key())))
}

fn add_form(ctx: &Ctx<'_>, access: &PupilAccess) -> Markup {
    let s = ctx.sub;
    let custody = s.or("ezb-sorgerecht", "ja");
    html! {
        details open[s.value("ezb-name").is_some()] {
            summary { "Erziehungsberechtigte Person hinzufügen" }
            form.stack method="post" action={ (pupil_path(access.pupil.id)) "/erziehungsberechtigte" } {
                (csrf_field(ctx.csrf))
                label for="ezb-name" { "Name" }
                input #ezb-name name="name" type="text" maxlength="200" required value=(s.or("ezb-name", ""))
                    aria-invalid=[s.aria_invalid("ezb-name")] aria-describedby=[s.described("ezb-name")];
                (s.messages("ezb-name"))
                label for="ezb-beziehung" { "Beziehung (z. B. Mutter, Vater, Vormund)" }
                input #ezb-beziehung name="beziehung" type="text" maxlength="100" required value=(s.or("ezb-beziehung", ""))
                    aria-invalid=[s.aria_invalid("ezb-beziehung")] aria-describedby=[s.described("ezb-beziehung")];
                (s.messages("ezb-beziehung"))
                label for="ezb-sorgerecht" { "Sorgerecht" }
                select #ezb-sorgerecht name="sorgerecht" aria-invalid=[s.aria_invalid("ezb-sorgerecht")] aria-describedby=[s.described("ezb-sorgerecht")] {
                    @for (v, label) in CUSTODY { option value=(v) selected[custody == v] { (label) } }
                }
                (s.messages("ezb-sorgerecht"))
                label for="ezb-kontakt" { "Kontakt (Telefon, E-Mail, Anschrift)" }
                textarea #ezb-kontakt name="kontakt" rows="3" maxlength="500"
                    aria-invalid=[s.aria_invalid("ezb-kontakt")] aria-describedby=[s.described("ezb-kontakt")] { (s.or("ezb-kontakt", "")) }
                (s.messages("ezb-kontakt"))
                button type="submit" { "Hinzufügen" }
            }
        }
    }
}

pub fn section(ctx: &Ctx<'_>, access: &PupilAccess, list: &[GuardianView]) -> Markup {
    let write = access.may_write(GROUP);
    html! {
        section id=(GROUP.key()) {
            h2 { "Erziehungsberechtigte" }
            @if access.read(GROUP).is_some() {
                @if list.is_empty() {
                    p { "Keine erfasst." }
                } @else {
                    table.guardians {
                        thead { tr {
                            th scope="col" { "Name" } th scope="col" { "Beziehung" } th scope="col" { "Sorgerecht" } th scope="col" { "Kontakt" }
                            @if write { th scope="col" { span.sr { "Aktion" } } }
                        } }
                        tbody {
                            @for g in list {
                                tr data-guardian=(g.id) {
                                    th scope="row" { (g.name) }
                                    td { (g.relation) }
                                    td { (g.custody) }
                                    td { @for (i, line) in g.contact.lines().enumerate() { @if i > 0 { br; } (line) } }
                                    @if write {
                                        td {
                                            form.inline method="post" action={ (pupil_path(access.pupil.id)) "/erziehungsberechtigte" } {
                                                (csrf_field(ctx.csrf))
                                                input type="hidden" name="entfernen" value=(g.id);
                                                button.danger type="submit" { "Entfernen" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if write { (add_form(ctx, access)) }
        }
    }
}
