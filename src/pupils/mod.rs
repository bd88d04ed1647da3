//! Sensitive pupil data (class B, `product.md` § 4.4): the pupil page with only the sections
//! the user may read for this pupil (`permissions::RULES`, resolved in [`scope`]), the forms
//! that change them, the photo, the school's health code list, the class pupil list and the
//! teacher's own notebook.
//!
//! Every handler obtains the [`Elevation`] proof before it reads or writes. Every display
//! writes one audit record per (pupil, data group) shown, every change an audit record and a
//! change-history row with markers instead of values. Values are sealed with the column's
//! purpose from `crate::sealed` before they reach the database.

mod codes;
mod conduct;
pub mod demo;
mod guardians;
mod notebook;
mod page;
mod photo;
mod profile;
pub mod scope;
mod support;

pub use codes::{add_code, codes_page};
pub use conduct::add_note;
pub use guardians::change_guardians;
pub use notebook::{add_entry, delete_entry, notebook_page};
pub use page::{class_list, show};
pub use photo::{PHOTO_MAX_BYTES, PHOTO_MAX_SIDE, PhotoError, Reencoded, reencode};
pub use photo::{serve_photo, upload_photo};
pub use profile::save_master_data;
pub use support::change_support;

use crate::auth::CurrentUser;
use crate::auth::extract::Elevation;
use crate::crypto::Keyring;
use crate::error::{AppError, AppResult};
use crate::permissions::DataGroup;
use crate::register::absences::FieldError;
use crate::sealed::{self, SealedColumn};
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind};
use crate::web::session;
use maud::{Markup, html};

/// The data groups of the pupil page, in page order.
pub const PAGE_GROUPS: [DataGroup; 7] = [
    DataGroup::Photo,
    DataGroup::PersonalData,
    DataGroup::Contact,
    DataGroup::TrainingCompany,
    DataGroup::Guardians,
    DataGroup::Support,
    DataGroup::ConductNotes,
];

/// Shown in place of a value that cannot be decrypted (the cause goes to the log).
pub const UNREADABLE: &str = "(nicht lesbar)";

pub fn pupil_path(pupil_id: i64) -> String {
    format!("/schueler/{pupil_id}")
}

/// The audit object of a pupil.
pub fn object(pupil_id: i64) -> String {
    format!("schueler:{pupil_id}")
}

/// Audits a refused access and returns 404, so guessed ids reveal nothing.
pub async fn refuse(state: &AppState, user: &CurrentUser, object: String) -> AppError {
    let _ = user
        .event("zugriff_verweigert")
        .object(object)
        .result("verweigert")
        .record(state)
        .await;
    AppError::NotFound
}

/// Runs `write`, which answers how many rows it changed, in one write transaction and
/// records `history` in the pupil's change history when it changed anything. Answers the
/// number of rows changed; 0 when the id was not one of the pupil's.
pub async fn write_with_history<F>(
    state: &AppState,
    history: crate::db::pupils::PupilChange,
    write: F,
) -> AppResult<usize>
where
    F: FnOnce(&mut crate::db::DbConnection) -> diesel::QueryResult<usize> + Send + 'static,
{
    let n = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                let n = write(c)?;
                if n > 0 {
                    crate::db::pupils::record_change(c, &history)?;
                }
                Ok(n)
            })
        })
        .await?;
    Ok(n)
}

/// Audits a refused change of data the user may see and returns 403.
pub async fn forbid(
    state: &AppState,
    user: &CurrentUser,
    object: String,
    group: DataGroup,
) -> AppError {
    let _ = user
        .event("zugriff_verweigert")
        .object(object)
        .result("verweigert")
        .detail(format!("datengruppe={}; schreiben", group.key()))
        .record(state)
        .await;
    AppError::Forbidden
}

fn column(table: &str, name: &str) -> AppResult<&'static SealedColumn> {
    sealed::column(table, name).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "{table}.{name} ist keine verschlüsselte Spalte"
        ))
    })
}

/// Encrypts `text` for `table.name` of the row bound to `binding`.
pub fn seal(
    keys: &Keyring,
    table: &str,
    name: &str,
    binding: i64,
    text: &str,
) -> AppResult<String> {
    column(table, name)?
        .seal(keys, binding, text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{table}.{name}: {e}")))
}

/// The purpose (associated data) of `table.name` for the row bound to `binding`, for values
/// that are bytes rather than text (the photo).
pub fn column_purpose(table: &str, name: &str, binding: i64) -> AppResult<String> {
    Ok(column(table, name)?.purpose(binding))
}

/// Decrypts a value of `table.name`; a value that cannot be opened shows as [`UNREADABLE`].
pub fn open(keys: &Keyring, table: &str, name: &str, binding: i64, stored: &str) -> String {
    let opened = sealed::column(table, name)
        .ok_or(crate::crypto::CryptoError::Corrupt)
        .and_then(|c| c.open(keys, binding, stored));
    match opened {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(table, column = name, binding, error = %e, "Wert nicht lesbar");
            UNREADABLE.to_owned()
        }
    }
}

/// Records that `user` was shown `group` of pupil `pupil_id` (never the data itself).
pub async fn audit_read(
    state: &AppState,
    _proof: &Elevation,
    user: &CurrentUser,
    pupil_id: i64,
    group: DataGroup,
) -> AppResult<()> {
    user.event("schuelerdaten_angezeigt")
        .object(object(pupil_id))
        .detail(format!("datengruppe={}", group.key()))
        .record(state)
        .await
}

/// Records a change of `group` of pupil `pupil_id`; `what` names the action, never a value.
pub async fn audit_change(
    state: &AppState,
    user: &CurrentUser,
    pupil_id: i64,
    group: DataGroup,
    what: &str,
) -> AppResult<()> {
    user.event("schuelerdaten_geaendert")
        .object(object(pupil_id))
        .detail(format!("datengruppe={}; {what}", group.key()))
        .record(state)
        .await
}

pub async fn flash(
    state: &AppState,
    user: &CurrentUser,
    kind: FlashKind,
    text: &str,
) -> AppResult<()> {
    session::set_flash(
        state,
        &user.session,
        Flash {
            kind,
            text: text.to_owned(),
        },
    )
    .await
}

/// A form that failed validation: the messages and what the user had typed, by input id.
#[derive(Debug, Default)]
pub struct Submitted {
    pub errors: Vec<FieldError>,
    pub values: Vec<(String, String)>,
}

impl Submitted {
    pub fn error(&mut self, id: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            id: id.to_owned(),
            message: message.into(),
        });
    }

    pub fn keep(&mut self, id: &str, value: &str) {
        self.values.push((id.to_owned(), value.to_owned()));
    }

    /// What the user typed into input `id`, if the page shows a failed form.
    pub fn value(&self, id: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.as_str())
    }

    /// The typed value of `id`, else `current`.
    pub fn or(&self, id: &str, current: &str) -> String {
        self.value(id).unwrap_or(current).to_owned()
    }

    fn invalid(&self, id: &str) -> bool {
        self.errors.iter().any(|e| e.id == id)
    }

    pub fn aria_invalid(&self, id: &str) -> Option<&'static str> {
        self.invalid(id).then_some("true")
    }

    pub fn described(&self, id: &str) -> Option<String> {
        self.invalid(id).then(|| format!("{id}-fehler"))
    }

    /// The messages of input `id`, referenced by its `aria-describedby`.
    pub fn messages(&self, id: &str) -> Markup {
        html! {
            @if self.invalid(id) {
                p.field-error id={ (id) "-fehler" } {
                    @for e in self.errors.iter().filter(|e| e.id == id) { (e.message) " " }
                }
            }
        }
    }

    /// The summary at the top of the page, linking to each input.
    pub fn summary(&self) -> Markup {
        html! {
            @if !self.errors.is_empty() {
                div.flash.err role="alert" id="fehler" {
                    p { "Bitte prüfen Sie Ihre Eingaben:" }
                    ul { @for e in &self.errors { li { a href={ "#" (e.id) } { (e.message) } } } }
                }
            }
        }
    }
}

/// Trims a text field and checks its length; the message names the field.
pub fn text_field(
    sub: &mut Submitted,
    id: &str,
    label: &str,
    raw: &str,
    max: usize,
    required: bool,
) -> Option<String> {
    sub.keep(id, raw);
    let text: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .filter(|c| *c != '\r')
        .collect();
    if required && text.is_empty() {
        sub.error(id, format!("{label}: Bitte ausfüllen."));
        return None;
    }
    if text.chars().count() > max {
        sub.error(id, format!("{label}: Höchstens {max} Zeichen."));
        return None;
    }
    Some(text)
}

/// `DD.MM.YYYY`.
pub fn date_de(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}
