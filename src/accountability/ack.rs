//! `/bestaetigen`: the acknowledgement gate's page. A signed-in user who has not acknowledged
//! every required document (privacy notice, terms of use and, once issued, the school's
//! Dienstanweisung in force) is sent here by `CurrentUser` before anything else opens.

use crate::auth::extract::SignedIn;
use crate::auth::login::NextQuery;
use crate::db::documents;
use crate::error::{AppResult, safe_next};
use crate::legal::{self, Document, Required};
use crate::startup::AppState;
use crate::web::page::{Page, csrf_field};
use crate::web::{html, see_other};
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Query};
use maud::html as markup;
use std::collections::HashMap;

/// `GET /bestaetigen`.
pub async fn form(
    state: Data<AppState>,
    user: SignedIn,
    q: Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let user = user.0;
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let (missing, issued) = state
        .db
        .run(move |c| {
            let missing = legal::missing(c, school_id, user_id)?;
            let issued = if missing
                .iter()
                .any(|r| r.document == Document::Dienstanweisung)
            {
                documents::current(c, school_id, Document::Dienstanweisung.key())?
            } else {
                None
            };
            Ok((missing, issued))
        })
        .await?;
    let body = markup! {
        @if missing.is_empty() {
            p.ok { "Sie haben alle geltenden Fassungen bestätigt." }
            p { a href=(next) { "Weiter" } }
        } @else {
            @if issued.is_some() {
                p { "Die Schulleitung hat eine Dienstanweisung zur Nutzung des Klassenbuchs erlassen. \
                     Bitte lesen und bestätigen Sie sie, bevor Sie weiterarbeiten." }
            } @else {
                p { "Die Datenschutzhinweise oder Nutzungsbedingungen haben sich geändert. Bitte lesen \
                     und bestätigen Sie die aktuelle Fassung, bevor Sie weiterarbeiten." }
            }
            @if let Some(i) = &issued {
                details.dienstanweisung open {
                    summary { "Dienstanweisung, Fassung " (i.version_no) }
                    (legal::to_html(&legal::parse(&i.body)))
                }
            }
            form.stack method="post" action="/bestaetigen" {
                (csrf_field(user.session.csrf()))
                input type="hidden" name="next" value=(next);
                @for r in &missing { (checkbox(r)) }
                button type="submit" { "Bestätigen" }
            }
        }
    };
    Ok(html(
        Page::new("Neue Fassung bestätigen")
            .nav(user.nav())
            .render(body),
    ))
}

fn checkbox(r: &Required) -> maud::Markup {
    markup! {
        label.check {
            input type="checkbox" name=(r.document.key()) value=(r.version) required;
            " Ich habe die " a href={ "/" (r.document.key()) } target="_blank" { (r.document.title()) }
            " (" (r.label) ") gelesen und erkenne sie an."
        }
    }
}

/// `POST /bestaetigen`: records the acknowledgements if every open document is ticked with
/// the version shown (a version issued meanwhile is asked for again).
pub async fn submit(
    state: Data<AppState>,
    user: SignedIn,
    form: Form<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let user = user.0;
    let next = safe_next(form.get("next").map_or("/", String::as_str));
    let (school_id, user_id, now) = (user.school_id(), user.user.id, user.now.naive_utc());
    let ticked: Vec<(String, String)> = form.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let recorded = state
        .db
        .run(move |c| {
            let missing = legal::missing(c, school_id, user_id)?;
            let all_ticked = missing.iter().all(|r| {
                ticked
                    .iter()
                    .any(|(k, v)| k == r.document.key() && *v == r.version)
            });
            if !all_ticked {
                return Ok(None);
            }
            for r in &missing {
                crate::db::acks::record(c, school_id, user_id, r.document.key(), &r.version, now)?;
            }
            Ok(Some(missing))
        })
        .await?;
    let Some(recorded) = recorded else {
        return Ok(see_other(&format!(
            "/bestaetigen?next={}",
            urlencoding::encode(&next)
        )));
    };
    if !recorded.is_empty() {
        user.event("dokumente_bestaetigt")
            .detail(
                recorded
                    .iter()
                    .map(|r| format!("{}={}", r.document.key(), r.version))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
            .record(&state)
            .await?;
    }
    Ok(see_other(&next))
}
