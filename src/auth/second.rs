//! The second factor: after the password at sign-in (policy `always`, or when the user asks),
//! and as step-up before class B data. Both raise the session to an elevated one with a new
//! session id.

use crate::auth::CurrentUser;
use crate::auth::factor::{self, Outcome};
use crate::auth::login::{NextQuery, respond_with_session};
use crate::auth::throttle;
use crate::db::{factors, users};
use crate::error::{AppError, AppResult, safe_next};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::{Page, csrf_field};
use crate::web::session::{self, Session, Visitor, stage};
use actix_web::http::header;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use maud::{Markup, html as markup};
use serde::Deserialize;

/// Which factors a user can use (to show only what applies).
#[derive(Debug, Clone, Copy)]
pub struct Available {
    pub totp: bool,
    pub webauthn: bool,
}

pub async fn available(state: &AppState, school_id: i64, user_id: i64) -> AppResult<Available> {
    state
        .db
        .run(move |c| {
            let totp = factors::totps_of(c, school_id, user_id)?
                .iter()
                .any(|f| f.active);
            let webauthn = !factors::webauthn_of(c, school_id, user_id)?.is_empty();
            Ok(Available { totp, webauthn })
        })
        .await
        .map_err(Into::into)
}

/// The form for a code (TOTP or recovery code) and, where enrolled, the passkey button.
pub fn factor_form(
    action: &str,
    csrf: &str,
    next: &str,
    avail: Available,
    error: Option<&str>,
) -> Markup {
    markup! {
        @if let Some(e) = error { p.flash.err role="alert" id="faktorfehler" { (e) } }
        @if avail.webauthn {
            section.factor {
                h2 { "Passkey oder Sicherheitsschlüssel" }
                form.webauthn-login data-csrf=(csrf) data-next=(next) hidden {
                    button type="submit" { "Mit Passkey bestätigen" }
                    p.webauthn-status role="status" {}
                }
                noscript { p { "Für Passkeys wird JavaScript benötigt; nutzen Sie sonst einen Code." } }
            }
        }
        section.factor {
            h2 { @if avail.totp { "Code aus der Authenticator-App" } @else { "Wiederherstellungscode" } }
            form.stack method="post" action=(action) {
                (csrf_field(csrf))
                input type="hidden" name="next" value=(next);
                label for="code" { @if avail.totp { "Sechsstelliger Code oder Wiederherstellungscode" } @else { "Wiederherstellungscode" } }
                input id="code" name="code" autocomplete="one-time-code" required autofocus;
                button type="submit" { "Bestätigen" }
            }
        }
    }
}

fn factor_page(title: &str, intro: &str, body: Markup) -> Markup {
    Page::new(title)
        .script("/static/webauthn.js")
        .render(markup! {
            p { (intro) }
            (body)
        })
}

/// A session in the password stage, with its user.
async fn password_stage(state: &AppState, visitor: Visitor) -> AppResult<(Session, i64, i64)> {
    let Some(s) = visitor.0.filter(|s| s.row.stage == stage::PASSWORD) else {
        return Err(AppError::LoginRequired { next: "/".into() });
    };
    let (Some(school_id), Some(user_id)) = (s.row.school_id, s.row.user_id) else {
        return Err(AppError::LoginRequired { next: "/".into() });
    };
    let active = state
        .db
        .run(move |c| users::find_in_school(c, school_id, user_id))
        .await?
        .is_some_and(|u| u.active);
    if !active {
        return Err(AppError::LoginRequired { next: "/".into() });
    }
    Ok((s, school_id, user_id))
}

const LOGIN_INTRO: &str = "Bitte bestätigen Sie die Anmeldung mit Ihrem zweiten Faktor.";
const STEPUP_INTRO: &str = "Diese Daten sind besonders geschützt (§ 13 SchulDSVO). Bitte \
    bestätigen Sie mit Ihrem zweiten Faktor. Die Freigabe gilt, solange Sie aktiv sind \
    (höchstens eine Stunde).";

/// `GET /anmelden/faktor`.
pub async fn login_form(
    state: Data<AppState>,
    visitor: Visitor,
    q: Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let (s, school_id, user_id) = password_stage(&state, visitor).await?;
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    let avail = available(&state, school_id, user_id).await?;
    Ok(html(factor_page(
        "Zweiter Faktor",
        LOGIN_INTRO,
        factor_form("/anmelden/faktor", s.csrf(), &next, avail, None),
    )))
}

/// `GET /step-up`.
pub async fn stepup_form(
    state: Data<AppState>,
    user: CurrentUser,
    q: Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    let avail = available(&state, user.school_id(), user.user.id).await?;
    Ok(html(
        Page::new("Zweiten Faktor bestätigen")
            .nav(user.nav())
            .script("/static/webauthn.js")
            .render(markup! {
                p { (STEPUP_INTRO) }
                (factor_form("/step-up", user.session.csrf(), &next, avail, None))
            }),
    ))
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
}

impl std::fmt::Debug for CodeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeForm { .. }")
    }
}

/// Checks a code and, if accepted, raises the session. Shared by sign-in and step-up.
async fn submit_code(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    school_id: i64,
    user_id: i64,
    form: CodeForm,
    is_login: bool,
) -> AppResult<HttpResponse> {
    let addr = crate::web::session::client_addr(req);
    let now = state.clock.now();
    throttle::check_address(state, &addr, now).await?;
    let next = safe_next(form.next.as_deref().unwrap_or("/"));
    let outcome = factor::verify_code(state, school_id, user_id, &form.code).await?;
    let action = if is_login { "anmeldung" } else { "step_up" };
    let event = crate::audit::Event::new(action)
        .school(school_id)
        .actor(user_id)
        .client(addr.clone());
    match outcome {
        Outcome::Accepted(kind) => {
            event
                .detail(format!("faktor={kind}"))
                .assurance("aal2")
                .record(state)
                .await?;
            elevate(req, state, session, school_id, user_id, &next).await
        }
        refused => {
            let result = match refused {
                Outcome::Replayed => "wiederholt",
                Outcome::Locked(_) => "gesperrt",
                _ => "fehlgeschlagen",
            };
            event
                .result(result)
                .detail("faktor=code")
                .record(state)
                .await?;
            if matches!(refused, Outcome::Wrong) {
                throttle::record_address_failure(state, &addr, now).await?;
            }
            let avail = available(state, school_id, user_id).await?;
            let msg = refused.message();
            let form = factor_form(
                if is_login {
                    "/anmelden/faktor"
                } else {
                    "/step-up"
                },
                session.csrf(),
                &next,
                avail,
                Some(&msg),
            );
            let page = if is_login {
                factor_page("Zweiter Faktor", LOGIN_INTRO, form)
            } else {
                factor_page("Zweiten Faktor bestätigen", STEPUP_INTRO, form)
            };
            let mut resp = match refused {
                Outcome::Locked(secs) => {
                    let mut r = HttpResponse::TooManyRequests();
                    r.insert_header((header::RETRY_AFTER, secs.to_string()));
                    r
                }
                _ => HttpResponse::Unauthorized(),
            };
            Ok(resp
                .content_type("text/html; charset=utf-8")
                .body(page.into_string()))
        }
    }
}

/// Replaces the session by an elevated, fully signed-in one (new id) and redirects.
pub async fn elevate(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    school_id: i64,
    user_id: i64,
    next: &str,
) -> AppResult<HttpResponse> {
    let renewed = session::renew(
        req,
        state,
        session,
        Some(school_id),
        Some(user_id),
        stage::FULL,
        true,
    )
    .await?;
    respond_with_session(&renewed, next)
}

/// `POST /anmelden/faktor`.
pub async fn login_submit(
    req: HttpRequest,
    state: Data<AppState>,
    visitor: Visitor,
    form: Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let (s, school_id, user_id) = password_stage(&state, visitor).await?;
    submit_code(
        &req,
        &state,
        &s,
        school_id,
        user_id,
        form.into_inner(),
        true,
    )
    .await
}

/// `POST /step-up`.
pub async fn stepup_submit(
    req: HttpRequest,
    state: Data<AppState>,
    user: CurrentUser,
    form: Form<CodeForm>,
) -> AppResult<HttpResponse> {
    submit_code(
        &req,
        &state,
        &user.session,
        user.school_id(),
        user.user.id,
        form.into_inner(),
        false,
    )
    .await
}
