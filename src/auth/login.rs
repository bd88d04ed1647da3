//! Sign-in with the password and sign-out.

use crate::auth::throttle;
use crate::db::schools;
use crate::db::sessions;
use crate::db::users;
use crate::error::{AppError, AppResult, safe_next};
use crate::startup::AppState;
use crate::web::page::{Page, csrf_field};
use crate::web::session::{self, Visitor, stage};
use crate::web::{html, see_other};
use actix_web::http::header;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use maud::{Markup, html as markup};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// The sign-in form. Creates an anonymous session so the form carries a CSRF token.
pub async fn form(
    req: HttpRequest,
    state: Data<AppState>,
    visitor: Visitor,
    query: Query<NextQuery>,
) -> AppResult<HttpResponse> {
    if visitor
        .0
        .as_ref()
        .is_some_and(|s| s.row.stage == stage::FULL)
    {
        return Ok(see_other("/"));
    }
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    let (session, fresh) = match visitor.0 {
        Some(s) if s.row.stage == stage::ANONYMOUS => (s, false),
        _ => {
            // A new anonymous session is sign-in work: admitted like the password check.
            let _admitted = state
                .hasher
                .admit()
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            (
                session::create(&req, &state, None, None, stage::ANONYMOUS).await?,
                true,
            )
        }
    };
    let page = login_page(session.csrf(), &next, None, "");
    let mut resp = html(page);
    if fresh && let Some(raw) = &session.renewed_cookie {
        resp.add_cookie(&session::session_cookie(raw))
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(resp)
}

pub fn login_page(csrf: &str, next: &str, error: Option<&str>, login: &str) -> Markup {
    Page::new("Anmelden").render(markup! {
        @if let Some(e) = error { p.flash.err role="alert" id="anmeldefehler" { (e) } }
        form.stack method="post" action="/anmelden" {
            (csrf_field(csrf))
            input type="hidden" name="next" value=(next);
            label for="login" { "Anmeldename" }
            input id="login" name="login" type="text" autocomplete="username" required
                autocapitalize="none" spellcheck="false" value=(login);
            label for="password" { "Passwort" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            label.check {
                input type="checkbox" name="zweiter_faktor" value="ja";
                " Gleich mit zweitem Faktor anmelden (für Daten außerhalb des heutigen Unterrichts)"
            }
            button type="submit" { "Anmelden" }
        }
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    zweiter_faktor: Option<String>,
    next: Option<String>,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

const WRONG: &str = "Anmeldename oder Passwort ist falsch.";

/// Checks the password. Unknown users, deactivated users and wrong passwords get the same
/// answer after the same work.
pub async fn submit(
    req: HttpRequest,
    state: Data<AppState>,
    visitor: Visitor,
    form: Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let Some(session) = visitor.0 else {
        return Err(AppError::Csrf);
    };
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref().unwrap_or("/"));
    let addr = crate::web::session::client_addr(&req);
    // A login storm queues here, before any database work (see `Hasher::admit`).
    let _admitted = state
        .hasher
        .admit()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let now = state.clock.now();

    throttle::check_address(&state, &addr, now).await?;
    let user = find_login(&state, &form.login).await?;
    let account_key = user.as_ref().map(|u| u.id);
    throttle::check_account(&state, &form.login, &addr, now).await?;
    let hash = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone());
    let ok = state
        .hasher
        .verify(form.password.clone(), hash)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;

    let Some(user) = user.filter(|_| ok) else {
        throttle::record_failure(&state, &form.login, &addr, now).await?;
        let mut event = crate::audit::Event::new("anmeldung")
            .result("fehlgeschlagen")
            .client(addr.clone())
            .detail("faktor=passwort")
            .object(format!(
                "login:{}",
                form.login.chars().take(64).collect::<String>()
            ));
        if let Some(uid) = account_key {
            event = event.actor(uid);
        }
        event.record(&state).await?;
        let page = login_page(session.csrf(), &next, Some(WRONG), &form.login);
        return Ok(HttpResponse::Unauthorized()
            .content_type("text/html; charset=utf-8")
            .body(page.into_string()));
    };
    throttle::record_success(&state, &form.login).await?;

    let school_id = user.school_id;
    let school = state
        .db
        .for_school(school_id)
        .run(move |c| schools::find(c, school_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let wants_factor = form.zweiter_faktor.is_some() || school.second_factor_policy == "always";
    let (next_stage, to) = if !user.setup_complete {
        (stage::SETUP, "/einrichtung".to_owned())
    } else if wants_factor {
        (
            stage::PASSWORD,
            format!("/anmelden/faktor?next={}", urlencoding::encode(&next)),
        )
    } else {
        (stage::FULL, next)
    };
    let renewed = session::renew(
        &req,
        &state,
        &session,
        Some(user.school_id),
        Some(user.id),
        next_stage,
        false,
    )
    .await?;
    crate::audit::Event::new("anmeldung")
        .school(user.school_id)
        .actor(user.id)
        .client(addr)
        .assurance("aal1")
        .detail(format!("faktor=passwort; weiter={next_stage}"))
        .result(if next_stage == stage::FULL {
            "erfolg"
        } else {
            "passwort_ok"
        })
        .record(&state)
        .await?;
    respond_with_session(&renewed, &to)
}

/// The user with this login, in whichever database holds their school. Logins are unique
/// across databases (checked where accounts are made); should one still exist twice, nobody
/// signs in with it and the operator is told.
pub async fn find_login(state: &AppState, login: &str) -> AppResult<Option<users::User>> {
    let login = login.to_owned();
    let mut found = state
        .db
        .find_everywhere(move |c| users::find_by_login(c, &login))
        .await?;
    if found.len() > 1 {
        tracing::error!(
            databases = ?found.iter().map(|(db, _)| db.label().to_owned()).collect::<Vec<_>>(),
            "Anmeldename in mehreren Datenbanken vergeben; Anmeldung abgewiesen"
        );
        return Ok(None);
    }
    Ok(found.pop().map(|(_, user)| user))
}

/// Redirects to `to` and sets the cookie of a renewed session.
pub fn respond_with_session(session: &session::Session, to: &str) -> AppResult<HttpResponse> {
    let mut resp = see_other(to);
    if let Some(raw) = &session.renewed_cookie {
        resp.add_cookie(&session::session_cookie(raw))
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(resp)
}

/// Ends the session on the server and tells the browser to forget everything.
pub async fn logout(state: Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    if let Some(s) = visitor.0 {
        let id = s.row.id_hash.clone();
        state.db.run(move |c| sessions::delete(c, &id)).await?;
        if let (Some(school), Some(user)) = (s.row.school_id, s.row.user_id) {
            crate::audit::Event::new("abmeldung")
                .school(school)
                .actor(user)
                .record(&state)
                .await?;
        }
    }
    let mut resp = see_other("/anmelden");
    resp.headers_mut().insert(
        header::HeaderName::from_static("clear-site-data"),
        header::HeaderValue::from_static("\"cache\", \"cookies\", \"storage\""),
    );
    resp.add_cookie(&session::removal_cookie())
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(resp)
}
