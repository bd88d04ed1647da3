//! Conduct notes (social behaviour) about a pupil, the text encrypted. Teachers who teach the
//! pupil write them with `POST /schueler/{id}/verhalten`; who reads which follows the table:
//! a subject teacher only the own notes, the class teacher and the headteacher all.

use super::page::{self, Ctx};
use super::scope::{self, PupilAccess, Reach};
use super::{Submitted, audit_change, date_de, flash, pupil_path, seal, text_field};
use crate::auth::CurrentUser;
use crate::crypto::Keyring;
use crate::db::pupils::{self, ConductRow, NewConductNote, PupilChange};
use crate::error::AppResult;
use crate::permissions::DataGroup;
use crate::register::absences::parse_date;
use crate::startup::AppState;
use crate::web::page::{FlashKind, csrf_field};
use crate::web::see_other;
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path};
use chrono::{Duration, NaiveDate};
use maud::{Markup, html};
use serde::Deserialize;

const GROUP: DataGroup = DataGroup::ConductNotes;
/// The longest note, in characters.
pub const TEXT_MAX: usize = 2000;

#[derive(Debug, Clone)]
pub struct NoteView {
    pub id: i64,
    pub author: String,
    pub date: NaiveDate,
    pub text: String,
}

pub fn open_all(keys: &Keyring, pupil_id: i64, rows: &[ConductRow]) -> Vec<NoteView> {
    rows.iter()
        .map(|r| NoteView {
            id: r.id,
            author: r.author_name.clone(),
            date: r.date,
            text: super::open(keys, "conduct_notes", "text_enc", pupil_id, &r.text_enc),
        })
        .collect()
}

/// `POST /schueler/{id}/verhalten`: only `datum` and `text` are read.
#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    datum: String,
    #[serde(default)]
    text: String,
}

/// The date of a note: today if empty, else a date of the last year up to today.
fn note_date(raw: &str, today: NaiveDate, sub: &mut Submitted) -> Option<NaiveDate> {
    sub.keep("vn-datum", raw);
    if raw.trim().is_empty() {
        return Some(today);
    }
    match parse_date(raw) {
        Some(d) if d <= today && d >= today - Duration::days(366) => Some(d),
        _ => {
            sub.error(
                "vn-datum",
                "Datum: Bitte ein Datum des letzten Jahres bis heute angeben (TT.MM.JJJJ).",
            );
            None
        }
    }
}

/// `POST /schueler/{id}/verhalten`.
pub async fn add_note(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
    form: Form<NoteForm>,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let next = pupil_path(pupil_id);
    let (proof, access) = scope::gate_write(&state, &user, pupil_id, GROUP, &next).await?;
    let f = form.into_inner();
    let mut sub = Submitted::default();
    let date = note_date(&f.datum, access.today, &mut sub);
    let text = text_field(&mut sub, "vn-text", "Notiz", &f.text, TEXT_MAX, true);
    let (Some(date), Some(text)) = (date, text) else {
        return page::invalid(&state, &proof, &user, &access, sub).await;
    };
    let (school_id, user_id, now) = (user.school_id(), user.user.id, user.now.naive_utc());
    let new = NewConductNote {
        school_id,
        pupil_id,
        author_id: user_id,
        date,
        text_enc: seal(&state.keys, "conduct_notes", "text_enc", pupil_id, &text)?,
        now,
    };
    let history = PupilChange {
        school_id,
        pupil_id,
        user_id,
        assurance: user.assurance().to_owned(),
        at: now,
        group: GROUP.key(),
        had_value: false,
        has_value: true,
    };
    let id = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                let id = pupils::add_conduct_note(c, &new)?;
                pupils::record_change(c, &history)?;
                Ok(id)
            })
        })
        .await?;
    audit_change(&state, &user, pupil_id, GROUP, &format!("notiz:{id}")).await?;
    flash(&state, &user, FlashKind::Success, "Notiz gespeichert.").await?;
    Ok(see_other(&format!("{next}#{}", GROUP.key())))
}

fn note_form(ctx: &Ctx<'_>, access: &PupilAccess) -> Markup {
    let s = ctx.sub;
    html! {
        details open[s.value("vn-text").is_some()] {
            summary { "Notiz hinzufügen" }
            form.stack method="post" action={ (pupil_path(access.pupil.id)) "/verhalten" } {
                (csrf_field(ctx.csrf))
                label for="vn-datum" { "Datum" }
                input #vn-datum name="datum" type="date" value=(s.or("vn-datum", &access.today.to_string()))
                    aria-invalid=[s.aria_invalid("vn-datum")] aria-describedby=[s.described("vn-datum")];
                (s.messages("vn-datum"))
                label for="vn-text" { "Notiz" }
                textarea #vn-text name="text" rows="3" maxlength=(TEXT_MAX) required
                    aria-invalid=[s.aria_invalid("vn-text")] aria-describedby=[s.described("vn-text")] { (s.or("vn-text", "")) }
                (s.messages("vn-text"))
                button type="submit" { "Notiz speichern" }
            }
        }
    }
}

pub fn section(ctx: &Ctx<'_>, access: &PupilAccess, notes: &[NoteView]) -> Markup {
    let reach = access.read(GROUP);
    html! {
        section id=(GROUP.key()) {
            h2 { "Verhaltensnotizen" }
            @if reach == Some(Reach::OwnEntries) || (reach.is_none() && access.may_write(GROUP)) {
                p.detail { "Sie sehen nur Ihre eigenen Notizen." }
            }
            @if reach.is_some() {
                @if notes.is_empty() { p { "Keine." } } @else {
                    ol.notes {
                        @for n in notes {
                            li data-note=(n.id) {
                                p.meta { (date_de(n.date)) " · " (n.author) }
                                p { @for (i, line) in n.text.lines().enumerate() { @if i > 0 { br; } (line) } }
                            }
                        }
                    }
                }
            }
            @if access.may_write(GROUP) { (note_form(ctx, access)) }
        }
    }
}
