//! The documentation for the school's data protection officer, generated from the live
//! configuration and the permission table of the code (one source of truth): record of
//! processing activities (Art. 30), technical and organisational measures (Art. 32), the
//! role × data matrix, the deletion concept, operator and hosting, and a draft data
//! protection impact assessment (Art. 35). HTML and PDF; headteacher after step-up; every
//! export is audited.

use super::facts::Facts;
use crate::auth::Elevated;
use crate::auth::extract::Headteacher;
use crate::clock::{school_local, school_today};
use crate::error::{AppError, AppResult};
use crate::legal::{self, Block};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Data;
use maud::html as markup;

/// The title of the pack.
pub const TITLE: &str = "Dokumentation für den Datenschutz";

/// The parts of the pack, in order: anchor and template.
const PARTS: [(&str, &str); 6] = [
    (
        "verarbeitungsverzeichnis",
        include_str!("../../templates/dokumentation/verarbeitungsverzeichnis.md"),
    ),
    ("tom", include_str!("../../templates/dokumentation/tom.md")),
    (
        "rollen",
        include_str!("../../templates/dokumentation/rollen.md"),
    ),
    (
        "loeschkonzept",
        include_str!("../../templates/dokumentation/loeschkonzept.md"),
    ),
    (
        "auftragsverarbeitung",
        include_str!("../../templates/dokumentation/auftragsverarbeitung.md"),
    ),
    (
        "dsfa",
        include_str!("../../templates/dokumentation/dsfa.md"),
    ),
];

/// The templates of the pack (for the check that every placeholder has a value).
pub fn templates() -> impl Iterator<Item = &'static str> {
    PARTS.iter().map(|(_, t)| *t)
}

/// The pack's parts as blocks, with the anchor of each.
pub fn parts(facts: &Facts) -> Vec<(&'static str, Vec<Block>)> {
    PARTS
        .iter()
        .map(|(anchor, template)| (*anchor, legal::parse(&facts.expand(template, &[]))))
        .collect()
}

fn first_heading(blocks: &[Block]) -> &str {
    blocks
        .iter()
        .find_map(|b| match b {
            Block::Heading(_, h) => Some(h.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

async fn load(state: &AppState, elevated: &Elevated<Headteacher>) -> AppResult<Facts> {
    let user = &elevated.user;
    let school = user.school.clone();
    let today = school_today(user.now);
    let base = Facts::installation(state);
    Ok(state
        .db
        .run(move |c| Facts::load(c, &base, &school, today))
        .await?)
}

fn stand(elevated: &Elevated<Headteacher>) -> String {
    format!(
        "Stand: {} Uhr, erzeugt aus der laufenden Konfiguration",
        school_local(elevated.user.now).format("%d.%m.%Y, %H:%M")
    )
}

/// `GET /verwaltung/dokumentation`.
pub async fn page(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
) -> AppResult<HttpResponse> {
    let facts = load(&state, &elevated).await?;
    let parts = parts(&facts);
    let user = &elevated.user;
    user.event("dokumentation_erstellt")
        .detail("html")
        .record(&state)
        .await?;
    let body = markup! {
        p.meta { (facts.school_name) " · " (stand(&elevated)) }
        p { a href="/verwaltung/dokumentation.pdf" download { "Als PDF herunterladen" } " · "
            a href="/verwaltung/schulangaben" { "Angaben der Schule bearbeiten" } " · "
            a href="/verwaltung/dienstanweisung" { "Dienstanweisung" } }
        nav aria-label="Inhalt" { ol.toc { @for (anchor, blocks) in &parts {
            li { a href={ "#" (anchor) } { (first_heading(blocks)) } }
        } } }
        @for (anchor, blocks) in &parts {
            section id=(anchor) { (legal::to_html(blocks)) }
        }
    };
    Ok(html(Page::new(TITLE).nav(user.nav()).render(body)))
}

/// `GET /verwaltung/dokumentation.pdf`.
pub async fn pdf_file(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
) -> AppResult<HttpResponse> {
    let facts = load(&state, &elevated).await?;
    let blocks: Vec<Vec<Block>> = parts(&facts).into_iter().map(|(_, b)| b).collect();
    let cover = vec![
        stand(&elevated),
        format!(
            "Verantwortlich: {}, vertreten durch die Schulleitung ({})",
            facts.school_name,
            if facts.headteachers.is_empty() {
                "nicht eingetragen".to_owned()
            } else {
                facts.headteachers.join(", ")
            }
        ),
        format!("Datenschutzbeauftragte Stelle: {}", facts.dpo()),
    ];
    let now = elevated.user.now;
    let school = facts.school_name.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        super::pdf::render(TITLE, &school, &cover, &blocks, now)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF-Erzeugung abgebrochen: {e}")))?
    .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    elevated
        .user
        .event("dokumentation_erstellt")
        .detail("pdf")
        .record(&state)
        .await?;
    let file = format!(
        "datenschutz-dokumentation-{}.pdf",
        school_today(now).format("%Y-%m-%d")
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(bytes))
}
