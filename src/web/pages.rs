//! Pages that belong to no feature: health, legal documents, the start page, static files.

use crate::error::{AppError, AppResult};
use crate::legal::{self, Document};
use crate::startup::AppState;
use crate::web::page::Page;
use crate::web::session::Visitor;
use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{Data, Path};
use maud::html;

/// Liveness: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness: the database answers.
pub async fn readyz(state: Data<AppState>) -> HttpResponse {
    if !state.ready.load(std::sync::atomic::Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("wird beendet");
    }
    if state.db.is_ready().await {
        HttpResponse::Ok().content_type("text/plain").body("bereit")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("Datenbank nicht erreichbar")
    }
}

pub async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

/// The stylesheet and scripts, compiled into the binary so a deployment cannot lose them.
pub async fn static_file(file: Path<String>) -> AppResult<HttpResponse> {
    let (body, mime) = match file.as_str() {
        "app.css" => (
            include_str!("../../static/app.css"),
            "text/css; charset=utf-8",
        ),
        "print.css" => (
            include_str!("../../static/print.css"),
            "text/css; charset=utf-8",
        ),
        "lesson.js" => (
            include_str!("../../static/lesson.js"),
            "text/javascript; charset=utf-8",
        ),
        "webauthn.js" => (
            include_str!("../../static/webauthn.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return Err(AppError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .body(body))
}

async fn school_name_of(state: &AppState, visitor: &Visitor) -> AppResult<Option<String>> {
    let Some(school_id) = visitor.0.as_ref().and_then(|s| s.row.school_id) else {
        return Ok(None);
    };
    let school = state
        .db
        .run(move |c| crate::db::schools::find(c, school_id))
        .await?;
    Ok(school.map(|s| s.name))
}

async fn legal_page(
    state: Data<AppState>,
    visitor: Visitor,
    doc: Document,
) -> AppResult<HttpResponse> {
    let school = school_name_of(&state, &visitor).await?;
    let text = legal::render(doc, school.as_deref());
    Ok(crate::web::html(Page::new(doc.title()).render(html! {
        p.version { "Fassung " (legal::version(doc)) }
        (text)
    })))
}

pub async fn accessibility(state: Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    legal_page(state, visitor, Document::Barrierefreiheit).await
}
