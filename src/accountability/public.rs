//! The documents everyone may read, linked from the footer of every page including the
//! sign-in page: the privacy notice (Art. 13 DSGVO) and the terms of use with the data of
//! the visitor's school filled in, and the school's Dienstanweisung in force.

use super::dienstanweisung::version_line;
use super::facts::Facts;
use crate::clock::school_today;
use crate::db::{documents, schools, users};
use crate::error::{AppError, AppResult};
use crate::legal::{self, Document};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use crate::web::session::Visitor;
use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use maud::html as markup;
use serde::Deserialize;

fn school_of(visitor: &Visitor) -> Option<i64> {
    visitor.0.as_ref().and_then(|s| s.row.school_id)
}

/// The facts of the visitor's school, or of the installation for a visitor of none.
async fn facts(state: &AppState, visitor: &Visitor) -> AppResult<Facts> {
    let base = Facts::installation(state);
    let Some(school_id) = school_of(visitor) else {
        return Ok(base);
    };
    let today = school_today(state.clock.now());
    Ok(state
        .db
        .run(move |c| match schools::find(c, school_id)? {
            Some(school) => Facts::load(c, &base, &school, today),
            None => Ok(base),
        })
        .await?)
}

async fn template_page(
    state: Data<AppState>,
    visitor: Visitor,
    doc: Document,
) -> AppResult<HttpResponse> {
    let facts = facts(&state, &visitor).await?;
    let text = facts.expand(doc.template(), &[]);
    Ok(html(Page::new(doc.title()).render(markup! {
        p.version { "Fassung " (legal::version(doc)) }
        (legal::to_html(&legal::parse(&text)))
    })))
}

/// `GET /datenschutz`.
pub async fn privacy(state: Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    template_page(state, visitor, Document::Datenschutz).await
}

/// `GET /nutzungsbedingungen`.
pub async fn terms(state: Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    template_page(state, visitor, Document::Nutzungsbedingungen).await
}

#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    fassung: Option<i32>,
}

/// `GET /dienstanweisung[?fassung=N]`: the version in force of the visitor's school (or an
/// earlier one); a visitor of no school learns where to find it.
pub async fn dienstanweisung(
    state: Data<AppState>,
    visitor: Visitor,
    q: Query<VersionQuery>,
) -> AppResult<HttpResponse> {
    let title = Document::Dienstanweisung.title();
    let Some(school_id) = school_of(&visitor) else {
        return Ok(html(Page::new(title).render(markup! {
            p { "Die Dienstanweisung zur Nutzung des digitalen Klassenbuchs erlässt die Schulleitung \
                 jeder Schule (§ 13 Abs. 3 SchulDSVO). Nach der Anmeldung sehen Sie hier die \
                 geltende Fassung Ihrer Schule." }
        })));
    };
    let key = Document::Dienstanweisung.key();
    let wanted = q.fassung;
    let found = state
        .db
        .run(move |c| {
            let school = schools::find(c, school_id)?;
            let issued = match wanted {
                Some(n) => documents::issued_by_number(c, school_id, key, n)?,
                None => documents::current(c, school_id, key)?,
            };
            let issuer = match &issued {
                Some(i) => {
                    users::find_in_school(c, school_id, i.issued_by)?.map(|u| u.display_name)
                }
                None => None,
            };
            Ok((school.map(|s| s.name), issued, issuer))
        })
        .await?;
    let (school, issued, issuer) = found;
    if wanted.is_some() && issued.is_none() {
        return Err(AppError::NotFound);
    }
    let school = school.unwrap_or_default();
    let body = match &issued {
        Some(i) => markup! {
            (version_line(i, issuer.as_deref()))
            (legal::to_html(&legal::parse(&i.body)))
        },
        None => markup! {
            p.notice { "Die Schulleitung von " (school) " hat noch keine Dienstanweisung erlassen." }
        },
    };
    Ok(html(Page::new(title).render(body)))
}
