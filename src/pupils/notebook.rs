//! The teacher's notebook (`/notizbuch`): interim assessments and grades about pupils of the
//! teacher's own lessons, encrypted and bound to the owner. Owner only: there is no query for
//! another user's entries, so another teacher's or the headteacher's guess of an entry id
//! finds nothing (404).

use super::{
    Submitted, audit_change, audit_read, date_de, flash, pupil_path, refuse, seal, text_field,
};
use crate::auth::CurrentUser;
use crate::auth::extract::Elevation;
use crate::clock::school_today;
use crate::crypto::Keyring;
use crate::db::pupils::{self, NewNotebookEntry, NotebookRow, PupilChange, TaughtPupil};
use crate::error::AppResult;
use crate::permissions::DataGroup;
use crate::register::absences::parse_date;
use crate::startup::AppState;
use crate::web::page::{FlashKind, Page, csrf_field};
use crate::web::see_other;
use crate::web::session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Path};
use chrono::{Duration, NaiveDate};
use maud::{Markup, html};
use serde::Deserialize;

const GROUP: DataGroup = DataGroup::Notebook;
const PATH: &str = "/notizbuch";
pub const TEXT_MAX: usize = 2000;

/// The kinds of entry: value stored in `notebook_entries.kind`, label.
pub const KINDS: [(&str, &str); 3] = [
    ("beitrag", "Beitrag / Mitarbeit"),
    ("lernverhalten", "Lernverhalten"),
    ("zwischennote", "Zwischennote"),
];

fn kind_label(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or(kind)
}

/// An entry, decrypted.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub row: NotebookRow,
    pub text: String,
}

fn open_all(keys: &Keyring, owner_id: i64, rows: Vec<NotebookRow>) -> Vec<EntryView> {
    rows.into_iter()
        .map(|row| EntryView {
            text: super::open(
                keys,
                "notebook_entries",
                "text_enc",
                owner_id,
                &row.text_enc,
            ),
            row,
        })
        .collect()
}

/// Only roles with a notebook get past the role check (404 otherwise), then step-up.
async fn gate(
    state: &AppState,
    user: &CurrentUser,
    writing: bool,
    object: String,
) -> AppResult<Elevation> {
    super::scope::gate(state, user, &[GROUP], writing, object, PATH).await
}

async fn render(
    state: &AppState,
    proof: &Elevation,
    user: &CurrentUser,
    sub: Submitted,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (school_id, owner_id, today) = (user.school_id(), user.user.id, school_today(user.now));
    let proof2 = proof.clone();
    let (rows, pupils) = state
        .db
        .run(move |c| {
            Ok((
                pupils::notebook_of(c, &proof2, school_id, owner_id)?,
                pupils::taught_pupils(c, school_id, owner_id, today)?,
            ))
        })
        .await?;
    let entries = open_all(&state.keys, owner_id, rows);
    let mut shown: Vec<i64> = entries.iter().map(|e| e.row.pupil_id).collect();
    shown.sort_unstable();
    shown.dedup();
    for pupil_id in shown {
        audit_read(state, proof, user, pupil_id, GROUP).await?;
    }
    let flash = session::take_flash(state, &user.session).await?;
    let body = view(user.session.csrf(), &entries, &pupils, &sub, today);
    let markup = Page::new("Notizbuch")
        .nav(user.nav())
        .flash(flash)
        .render(body);
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

/// `GET /notizbuch`: the own entries, by class and pupil.
pub async fn notebook_page(state: Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let proof = gate(&state, &user, false, "notizbuch".into()).await?;
    render(&state, &proof, &user, Submitted::default(), StatusCode::OK).await
}

/// `POST /notizbuch`: only `schueler`, `art`, `datum` and `text` are read.
#[derive(Debug, Default, Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    schueler: String,
    #[serde(default)]
    art: String,
    #[serde(default)]
    datum: String,
    #[serde(default)]
    text: String,
}

/// A checked entry.
struct Input {
    pupil: TaughtPupil,
    kind: &'static str,
    date: NaiveDate,
    text: String,
}

fn parse(
    f: &EntryForm,
    taught: &[TaughtPupil],
    today: NaiveDate,
    sub: &mut Submitted,
) -> Option<Input> {
    sub.keep("nb-schueler", &f.schueler);
    sub.keep("nb-art", &f.art);
    sub.keep("nb-datum", &f.datum);
    let pupil = f
        .schueler
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| taught.iter().find(|p| p.id == id))
        .cloned();
    if pupil.is_none() {
        sub.error(
            "nb-schueler",
            "Schülerin/Schüler: Bitte jemanden aus Ihren eigenen Stunden wählen.",
        );
    }
    let kind = KINDS
        .iter()
        .find(|(k, _)| *k == f.art.trim())
        .map(|(k, _)| *k);
    if kind.is_none() {
        sub.error(
            "nb-art",
            "Art: Bitte Beitrag, Lernverhalten oder Zwischennote wählen.",
        );
    }
    let date = if f.datum.trim().is_empty() {
        Some(today)
    } else {
        parse_date(&f.datum).filter(|d| *d <= today && *d >= today - Duration::days(366))
    };
    if date.is_none() {
        sub.error(
            "nb-datum",
            "Datum: Bitte ein Datum des letzten Jahres bis heute angeben (TT.MM.JJJJ).",
        );
    }
    let text = text_field(sub, "nb-text", "Text", &f.text, TEXT_MAX, true);
    Some(Input {
        pupil: pupil?,
        kind: kind?,
        date: date?,
        text: text?,
    })
}

/// `POST /notizbuch`.
pub async fn add_entry(
    state: Data<AppState>,
    user: CurrentUser,
    form: Form<EntryForm>,
) -> AppResult<HttpResponse> {
    let proof = gate(&state, &user, true, "notizbuch".into()).await?;
    let (school_id, owner_id, today) = (user.school_id(), user.user.id, school_today(user.now));
    let taught = state
        .db
        .run(move |c| pupils::taught_pupils(c, school_id, owner_id, today))
        .await?;
    let f = form.into_inner();
    let mut sub = Submitted::default();
    let input = parse(&f, &taught, today, &mut sub);
    let Some(input) = input.filter(|_| sub.errors.is_empty()) else {
        return render(&state, &proof, &user, sub, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let pupil_id = input.pupil.id;
    let now = user.now.naive_utc();
    let text_enc = seal(
        &state.keys,
        "notebook_entries",
        "text_enc",
        owner_id,
        &input.text,
    )?;
    let history = PupilChange {
        school_id,
        pupil_id,
        user_id: owner_id,
        assurance: user.assurance().to_owned(),
        at: now,
        group: GROUP.key(),
        had_value: false,
        has_value: true,
    };
    let (kind, date, class_id) = (input.kind, input.date, input.pupil.class_id);
    let id = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                // The subject, if the teacher teaches the pupil in exactly one.
                let subject_id = match pupils::head(c, school_id, pupil_id)? {
                    Some(head) => {
                        let subjects =
                            pupils::subjects_taught(c, school_id, owner_id, &head, today)?;
                        if subjects.len() == 1 {
                            subjects.first().copied()
                        } else {
                            None
                        }
                    }
                    None => None,
                };
                let id = pupils::add_notebook_entry(
                    c,
                    &NewNotebookEntry {
                        school_id,
                        owner_id,
                        pupil_id,
                        class_id,
                        subject_id,
                        date,
                        kind,
                        text_enc,
                        now,
                    },
                )?;
                pupils::record_change(c, &history)?;
                Ok(id)
            })
        })
        .await?;
    audit_change(&state, &user, pupil_id, GROUP, &format!("eintrag:{id}")).await?;
    flash(&state, &user, FlashKind::Success, "Eintrag gespeichert.").await?;
    Ok(see_other(PATH))
}

/// `POST /notizbuch/{entry_id}/loeschen`: deletes an own entry; any other id is 404.
pub async fn delete_entry(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
) -> AppResult<HttpResponse> {
    let entry_id = path.into_inner();
    let object = format!("notizbuch:{entry_id}");
    gate(&state, &user, true, object.clone()).await?;
    let (school_id, owner_id, now) = (user.school_id(), user.user.id, user.now.naive_utc());
    let assurance = user.assurance().to_owned();
    let pupil = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                let pupil = pupils::delete_notebook_entry(c, school_id, owner_id, entry_id)?;
                if let Some(pupil_id) = pupil {
                    let history = PupilChange {
                        school_id,
                        pupil_id,
                        user_id: owner_id,
                        assurance,
                        at: now,
                        group: GROUP.key(),
                        had_value: true,
                        has_value: false,
                    };
                    pupils::record_change(c, &history)?;
                }
                Ok(pupil)
            })
        })
        .await?;
    let Some(pupil_id) = pupil else {
        return Err(refuse(&state, &user, object).await);
    };
    audit_change(
        &state,
        &user,
        pupil_id,
        GROUP,
        &format!("eintrag_geloescht:{entry_id}"),
    )
    .await?;
    flash(&state, &user, FlashKind::Success, "Eintrag gelöscht.").await?;
    Ok(see_other(PATH))
}

fn entry_form(csrf: &str, pupils: &[TaughtPupil], s: &Submitted, today: NaiveDate) -> Markup {
    let chosen = s.or("nb-schueler", "");
    let kind = s.or("nb-art", "beitrag");
    let mut classes: Vec<&str> = pupils.iter().map(|p| p.class_name.as_str()).collect();
    classes.dedup();
    html! {
        section #neuer-eintrag {
            h2 { "Neuer Eintrag" }
            @if pupils.is_empty() {
                p { "Sie haben heute keine Lerngruppe im Stundenplan; Einträge sind nur zu Schülerinnen und Schülern der eigenen Stunden möglich." }
            } @else {
                form.stack method="post" action=(PATH) {
                    (csrf_field(csrf))
                    label for="nb-schueler" { "Schülerin/Schüler" }
                    select #nb-schueler name="schueler" required aria-invalid=[s.aria_invalid("nb-schueler")] aria-describedby=[s.described("nb-schueler")] {
                        option value="" { "– bitte wählen –" }
                        @for class in &classes {
                            optgroup label={ "Klasse " (class) } {
                                @for p in pupils.iter().filter(|p| p.class_name == *class) {
                                    option value=(p.id) selected[chosen == p.id.to_string()] { (p.surname) ", " (p.first_name) }
                                }
                            }
                        }
                    }
                    (s.messages("nb-schueler"))
                    label for="nb-art" { "Art" }
                    select #nb-art name="art" aria-invalid=[s.aria_invalid("nb-art")] aria-describedby=[s.described("nb-art")] {
                        @for (k, label) in KINDS { option value=(k) selected[kind == k] { (label) } }
                    }
                    (s.messages("nb-art"))
                    label for="nb-datum" { "Datum" }
                    input #nb-datum name="datum" type="date" value=(s.or("nb-datum", &today.to_string()))
                        aria-invalid=[s.aria_invalid("nb-datum")] aria-describedby=[s.described("nb-datum")];
                    (s.messages("nb-datum"))
                    label for="nb-text" { "Text" }
                    textarea #nb-text name="text" rows="3" maxlength=(TEXT_MAX) required
                        aria-invalid=[s.aria_invalid("nb-text")] aria-describedby=[s.described("nb-text")] { (s.or("nb-text", "")) }
                    (s.messages("nb-text"))
                    button type="submit" { "Eintrag speichern" }
                }
            }
        }
    }
}

fn view(
    csrf: &str,
    entries: &[EntryView],
    pupils: &[TaughtPupil],
    s: &Submitted,
    today: NaiveDate,
) -> Markup {
    // Entries come sorted by class, pupil and date; group runs of the same pupil.
    let mut groups: Vec<(&EntryView, Vec<&EntryView>)> = Vec::new();
    for e in entries {
        match groups.last_mut() {
            Some((first, list)) if first.row.pupil_id == e.row.pupil_id => list.push(e),
            _ => groups.push((e, vec![e])),
        }
    }
    html! {
        p { "Ihr Notizbuch sieht nur Sie – auch die Schulleitung nicht." }
        (s.summary())
        (entry_form(csrf, pupils, s, today))
        section #eintraege {
            h2 { "Einträge" }
            @if groups.is_empty() { p { "Noch keine Einträge." } }
            @for (first, list) in &groups {
                article.pupil data-pupil=(first.row.pupil_id) {
                    h3 {
                        a href=(pupil_path(first.row.pupil_id)) { (first.row.surname) ", " (first.row.first_name) }
                        " · Klasse " (first.row.class_name)
                    }
                    ol.entries {
                        @for e in list {
                            li data-entry=(e.row.id) {
                                p.meta {
                                    (date_de(e.row.date)) " · " (kind_label(&e.row.kind))
                                    @if let Some(subject) = &e.row.subject_name { " · " (subject) }
                                }
                                p { (e.text) }
                                form.inline method="post" action={ (PATH) "/" (e.row.id) "/loeschen" } {
                                    (csrf_field(csrf))
                                    button.danger type="submit" { "Löschen" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
