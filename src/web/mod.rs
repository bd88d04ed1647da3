//! The web layer: middleware, sessions, the page frame, the route table, and reading upload
//! forms (`upload`). Feature handlers live with their feature (`auth::*`, `web::pages`).

pub mod middleware;
pub mod page;
pub mod pages;
pub mod routes;
pub mod session;
pub mod upload;

use actix_web::HttpResponse;
use actix_web::http::header;

/// A `303 See Other` to `to` (after a form post).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// An HTML response from rendered markup.
pub fn html(markup: maud::Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}
