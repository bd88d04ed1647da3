//! Accountability (Art. 5 Abs. 2 DSGVO, § 13 Abs. 3 SchulDSVO): the documents a school must
//! have, generated from the live configuration so they cannot drift from what the
//! application does.
//!
//! - `dienstanweisung`: the headteacher reviews the draft, edits the school's sections and
//!   issues versions with an effective date; sees who acknowledged which version.
//! - `ack`: the acknowledgement page every user passes before the register opens.
//! - `pack`: the documentation for the data protection officer (HTML and PDF).
//! - `public`: privacy notice, terms of use and the Dienstanweisung in force, for everyone.
//! - `details`: what the school states about itself (address, DPO, hosting).
//! - `facts`: the values the templates' placeholders are filled with.

pub mod ack;
pub mod details;
pub mod dienstanweisung;
pub mod facts;
pub mod pack;
mod pdf;
pub mod public;

use crate::auth::CurrentUser;
use crate::auth::roles::Role;
use crate::error::AppResult;
use crate::startup::AppState;
use maud::{Markup, html};

/// The note on the headteacher's start page: issue the first Dienstanweisung, or a new one
/// when the configuration no longer matches the version in force. Empty for everyone else.
pub async fn home_notice(state: &AppState, user: &CurrentUser) -> AppResult<Markup> {
    if !user.has(Role::Schulleitung) {
        return Ok(html! {});
    }
    let status = dienstanweisung::status(state, user).await?;
    Ok(match status {
        dienstanweisung::Status::NotIssued => html! {
            p.notice.dienstanweisung-hinweis role="status" {
                "Für Ihre Schule ist noch keine Dienstanweisung erlassen (§ 13 Abs. 3 SchulDSVO). "
                a href="/verwaltung/dienstanweisung" { "Entwurf prüfen und erlassen" }
            }
        },
        dienstanweisung::Status::Outdated(n) => html! {
            p.notice.dienstanweisung-hinweis role="status" {
                "Die Konfiguration hat sich seit Fassung " (n) " der Dienstanweisung geändert. "
                a href="/verwaltung/dienstanweisung" { "Neue Fassung prüfen und erlassen" }
            }
        },
        dienstanweisung::Status::Current(_) => html! {},
    })
}

/// Turns a text field into at most `max` characters, or a German message naming the field.
pub(crate) fn bounded(label: &str, value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.chars().count() > max {
        Err(format!("Feld »{label}«: höchstens {max} Zeichen."))
    } else {
        Ok(v.to_owned())
    }
}
