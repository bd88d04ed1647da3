//! The Dienstanweisung (§ 13 Abs. 3 SchulDSVO): generated from `templates/dienstanweisung.md`
//! and the live configuration, with the school's own sections; the headteacher (after
//! step-up) reviews the draft, edits those sections and issues it with an effective date.
//! Every issued version is kept with its full text and is what users acknowledge; when the
//! configuration changes, the draft no longer matches the version in force and the
//! headteacher is asked to issue a new one.

use super::bounded;
use super::facts::Facts;
use crate::auth::extract::Headteacher;
use crate::auth::{CurrentUser, Elevated};
use crate::clock::school_today;
use crate::crypto::sha256_hex;
use crate::db::documents::{self, Issued, NewIssue};
use crate::db::schools::School;
use crate::db::{DbConnection, acks, users};
use crate::error::{AppError, AppResult};
use crate::legal::{self, Document};
use crate::startup::AppState;
use crate::web::page::{FlashKind, Page, csrf_field};
use crate::web::{html, session};
use actix_web::HttpResponse;
use actix_web::web::{Data, Form};
use chrono::NaiveDate;
use maud::{Markup, html as markup};
use serde::Deserialize;
use std::collections::HashMap;

const KEY: &str = "dienstanweisung";
const SECTION_MAX: usize = 4000;

/// The draft of the school's Dienstanweisung from the live configuration: the text and
/// its hash.
pub struct Draft {
    pub text: String,
    pub hash: String,
}

/// Builds the draft now (a few queries).
pub fn draft(
    conn: &mut DbConnection,
    base: &Facts,
    school: &School,
    today: NaiveDate,
) -> diesel::QueryResult<Draft> {
    let facts = Facts::load(conn, base, school, today)?;
    let own = documents::sections(conn, school.id, KEY)?;
    let text = facts.expand(Document::Dienstanweisung.template(), &own);
    let hash = sha256_hex(text.as_bytes());
    Ok(Draft { text, hash })
}

/// Whether the school's Dienstanweisung in force matches the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    NotIssued,
    /// The number of the version in force, whose text the configuration no longer matches.
    Outdated(i32),
    Current(i32),
}

pub async fn status(state: &AppState, user: &CurrentUser) -> AppResult<Status> {
    let school = user.school.clone();
    let today = school_today(user.now);
    let base = Facts::installation(state);
    Ok(state
        .db
        .run(move |c| {
            let Some(current) = documents::current(c, school.id, KEY)? else {
                return Ok(Status::NotIssued);
            };
            let d = draft(c, &base, &school, today)?;
            Ok(if d.hash == current.content_hash {
                Status::Current(current.version_no)
            } else {
                Status::Outdated(current.version_no)
            })
        })
        .await?)
}

fn effective(i: &Issued) -> String {
    i.effective_from.format("%d.%m.%Y").to_string()
}

/// `GET /verwaltung/dienstanweisung`.
pub async fn page(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let flash = session::take_flash(&state, &user.session).await?;
    let school = user.school.clone();
    let today = school_today(user.now);
    let base = Facts::installation(&state);
    let (d, own, issued, names) = state
        .db
        .run(move |c| {
            let d = draft(c, &base, &school, today)?;
            let own = documents::sections(c, school.id, KEY)?;
            let issued = documents::all_issued(c, school.id, KEY)?;
            let names: HashMap<i64, String> = users::list_in_school(c, school.id)?
                .into_iter()
                .map(|u| (u.id, u.display_name))
                .collect();
            Ok((d, own, issued, names))
        })
        .await?;
    let current = issued.first();
    let sections = legal::sections(Document::Dienstanweisung.template());
    let csrf = user.session.csrf();
    let body = markup! {
        @match current {
            None => p.notice.status { "Für Ihre Schule ist noch keine Dienstanweisung erlassen. Bis \
                zur ersten Fassung bestätigen Nutzerinnen und Nutzer nur die Datenschutzhinweise und \
                die Nutzungsbedingungen; danach öffnet sich das Klassenbuch erst nach Bestätigung der \
                geltenden Fassung." },
            Some(c) if c.content_hash != d.hash => p.notice.status.drift { "Die Konfiguration oder die \
                Abschnitte der Schule haben sich seit Fassung " (c.version_no) " (gilt ab " (effective(c))
                ") geändert. Bitte prüfen Sie den Entwurf und erlassen Sie eine neue Fassung." },
            Some(c) => p.ok.status { "Fassung " (c.version_no) " gilt ab " (effective(c))
                " und entspricht der aktuellen Konfiguration." },
        }
        p { a href="/verwaltung/dienstanweisung/bestaetigungen" { "Wer hat welche Fassung bestätigt?" }
            " · " a href="/verwaltung/dokumentation" { "Dokumentation für den Datenschutz" }
            " · " a href="/verwaltung/schulangaben" { "Angaben der Schule" } }
        h2 { "Entwurf aus der aktuellen Konfiguration" }
        p { "Werte zu Anmeldung, Zeitgrenzen, Rollen und Aufbewahrung stammen aus der laufenden \
             Konfiguration und den Einstellungen der Schule; ändern Sie sie dort. Die Abschnitte der \
             Schule bearbeiten Sie unten." }
        article #entwurf { (legal::to_html(&legal::parse(&d.text))) }
        h2 { "Abschnitte der Schule" }
        form.stack method="post" action="/verwaltung/dienstanweisung/abschnitte" {
            (csrf_field(csrf))
            @for s in &sections {
                @let text = own.iter().find(|(k, _)| *k == s.key).map_or(s.default.as_str(), |(_, t)| t.as_str());
                label for={ "abschnitt-" (s.key) } { (s.label) }
                textarea id={ "abschnitt-" (s.key) } name=(s.key) rows="4" maxlength=(SECTION_MAX) { (text) }
            }
            button type="submit" { "Abschnitte speichern" }
        }
        h2 { "Fassung erlassen" }
        form.stack method="post" action="/verwaltung/dienstanweisung/erlassen" {
            (csrf_field(csrf))
            input type="hidden" name="entwurf" value=(d.hash);
            label for="gilt_ab" { "Gilt ab" }
            input id="gilt_ab" name="gilt_ab" type="date" required min=(today) value=(today);
            label.check { input type="checkbox" name="geprueft" value="ja" required;
                " Ich habe den Entwurf geprüft und erlasse ihn als Dienstanweisung." }
            button type="submit" { "Dienstanweisung erlassen" }
        }
        h2 { "Fassungen" }
        @if issued.is_empty() { p { "Noch keine." } } @else {
            table #fassungen {
                thead { tr { th { "Fassung" } th { "Gilt ab" } th { "Erlassen" } th { "Von" } } }
                tbody { @for i in &issued { tr {
                    td { a href={ "/dienstanweisung?fassung=" (i.version_no) } { (i.version_no) } }
                    td { (effective(i)) }
                    td { (i.issued_at.format("%d.%m.%Y %H:%M")) " UTC" }
                    td { (names.get(&i.issued_by).map_or("–", String::as_str)) }
                } } }
            }
        }
    };
    Ok(html(
        Page::new("Dienstanweisung verwalten")
            .nav(user.nav())
            .flash(flash)
            .render(body),
    ))
}

/// `POST /verwaltung/dienstanweisung/abschnitte`: the school's own texts. Only the sections
/// of the template are read; a text equal to the default (or empty) returns to it.
pub async fn save_sections(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    form: Form<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let mut changes: Vec<(String, Option<String>)> = Vec::new();
    for s in legal::sections(Document::Dienstanweisung.template()) {
        let Some(value) = form.get(&s.key) else {
            continue;
        };
        let text = bounded(&s.label, &value.replace("\r\n", "\n"), SECTION_MAX)
            .map_err(AppError::BadRequest)?;
        let own = (!text.is_empty() && text != s.default).then_some(text);
        changes.push((s.key, own));
    }
    let (school_id, user_id, now) = (user.school_id(), user.user.id, user.now.naive_utc());
    let keys: Vec<String> = changes.iter().map(|(k, _)| k.clone()).collect();
    state
        .db
        .run(move |c| {
            for (key, text) in &changes {
                documents::set_section(c, school_id, KEY, key, text.as_deref(), user_id, now)?;
            }
            Ok(())
        })
        .await?;
    if !keys.is_empty() {
        user.event("dienstanweisung_abschnitte_geaendert")
            .detail(keys.join(", "))
            .record(&state)
            .await?;
    }
    session::flash_and_redirect(
        &state,
        &user.session,
        FlashKind::Success,
        "Abschnitte gespeichert. Sie gelten ab der nächsten erlassenen Fassung.",
        "/verwaltung/dienstanweisung",
    )
    .await
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct IssueForm {
    gilt_ab: String,
    geprueft: Option<String>,
    /// The hash of the draft the headteacher reviewed.
    entwurf: String,
}

/// `POST /verwaltung/dienstanweisung/erlassen`: issues the current draft as a new version.
/// The issuing headteacher's acknowledgement is recorded with it; everyone else is asked on
/// their next request.
pub async fn issue(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    form: Form<IssueForm>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    if form.geprueft.is_none() {
        return Err(AppError::BadRequest(
            "Bitte bestätigen Sie, dass Sie den Entwurf geprüft haben.".into(),
        ));
    }
    let today = school_today(user.now);
    let effective_from = NaiveDate::parse_from_str(form.gilt_ab.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest("Feld »Gilt ab«: bitte ein Datum angeben.".into()))?;
    if effective_from < today {
        return Err(AppError::BadRequest(
            "Feld »Gilt ab«: Das Datum darf nicht in der Vergangenheit liegen.".into(),
        ));
    }
    let school = user.school.clone();
    let reviewed = form.entwurf.clone();
    let (user_id, now) = (user.user.id, user.now.naive_utc());
    let base = Facts::installation(&state);
    let issued = state
        .db
        .run(move |c| {
            let d = draft(c, &base, &school, today)?;
            if d.hash != reviewed {
                return Ok(None);
            }
            let issued = documents::issue(
                c,
                NewIssue {
                    school_id: school.id,
                    document: KEY,
                    body: &d.text,
                    content_hash: &d.hash,
                    effective_from,
                    by: user_id,
                    now,
                },
            )?;
            acks::record(c, school.id, user_id, KEY, &issued.version, now)?;
            Ok(Some(issued))
        })
        .await?;
    let Some(issued) = issued else {
        return Err(AppError::BadRequest(
            "Der Entwurf hat sich geändert, seit Sie ihn geöffnet haben. Bitte prüfen Sie ihn \
             erneut."
                .into(),
        ));
    };
    user.event("dienstanweisung_erlassen")
        .object(format!("Fassung {}", issued.version_no))
        .detail(format!(
            "version={}; gilt ab {}",
            issued.version, issued.effective_from
        ))
        .record(&state)
        .await?;
    session::flash_and_redirect(
        &state,
        &user.session,
        FlashKind::Success,
        format!(
            "Fassung {} erlassen (gilt ab {}). Alle Nutzerinnen und Nutzer bestätigen sie, \
             bevor sie weiterarbeiten.",
            issued.version_no,
            effective(&issued)
        ),
        "/verwaltung/dienstanweisung",
    )
    .await
}

/// One row of the acknowledgement list.
struct AckRow {
    name: String,
    roles: String,
    /// Number of the latest version acknowledged, and when.
    latest: Option<(i32, String)>,
}

/// `GET /verwaltung/dienstanweisung/bestaetigungen`: who acknowledged which version.
pub async fn acknowledgements(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let today = school_today(user.now);
    let (issued, rows) = state
        .db
        .run(move |c| {
            let issued = documents::all_issued(c, school_id, KEY)?;
            let all = acks::of_document(c, school_id, KEY)?;
            let mut rows = Vec::new();
            for u in users::list_in_school(c, school_id)? {
                if !u.active {
                    continue;
                }
                let roles = users::roles_on(c, school_id, u.id, today)?;
                let latest = all
                    .iter()
                    .filter(|a| a.user_id == u.id)
                    .filter_map(|a| {
                        issued
                            .iter()
                            .find(|i| i.version == a.version)
                            .map(|i| (i.version_no, a.acknowledged_at))
                    })
                    .max_by_key(|(n, _)| *n)
                    .map(|(n, at)| (n, at.format("%d.%m.%Y %H:%M").to_string()));
                rows.push(AckRow {
                    name: u.display_name,
                    roles: roles
                        .iter()
                        .map(|r| r.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                    latest,
                });
            }
            Ok((issued, rows))
        })
        .await?;
    user.event("bestaetigungen_angezeigt")
        .object(KEY)
        .record(&state)
        .await?;
    let current = issued.first().map(|i| i.version_no);
    let done = rows
        .iter()
        .filter(|r| current.is_some() && r.latest.as_ref().map(|l| l.0) == current)
        .count();
    let body = markup! {
        @match current {
            None => p { "Es ist noch keine Dienstanweisung erlassen." },
            Some(n) => p.summary { "Fassung " (n) ": " (done) " von " (rows.len()) " aktiven Konten haben bestätigt." },
        }
        table #bestaetigungen {
            thead { tr { th { "Name" } th { "Rollen" } th { "Bestätigte Fassung" } th { "Bestätigt am (UTC)" } th { "Stand" } } }
            tbody { @for r in &rows { tr {
                th scope="row" { (r.name) }
                td { (r.roles) }
                td.fassung { @if let Some((n, _)) = &r.latest { (n) } @else { "–" } }
                td { @if let Some((_, at)) = &r.latest { (at) } @else { "–" } }
                td.stand { @if current.is_some() && r.latest.as_ref().map(|l| l.0) == current { "aktuell" } @else { "ausstehend" } }
            } } }
        }
        p { a href="/verwaltung/dienstanweisung" { "Zurück zur Dienstanweisung" } }
    };
    Ok(html(
        Page::new("Bestätigungen der Dienstanweisung")
            .nav(user.nav())
            .render(body),
    ))
}

/// The header line of an issued version.
pub fn version_line(i: &Issued, issuer: Option<&str>) -> Markup {
    markup! {
        p.version { "Fassung " (i.version_no) " · gilt ab " (effective(i)) " · erlassen am "
            (i.issued_at.format("%d.%m.%Y"))
            @if let Some(n) = issuer { " von " (n) } }
    }
}
