//! Middleware applied to every request: request id, security headers, session loading,
//! and the central CSRF / origin check for every state-changing request.

use crate::crypto::constant_time_eq;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::session::{self, Session};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{Error, HttpMessage};
use futures_util::StreamExt;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, for error pages and logs.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// Makes the request id (from the tracing root span) available to error pages.
pub async fn request_id_scope(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    REQUEST_ID.scope(id, next.call(req)).await
}

/// With several databases (`database.school_map`): makes the database named by the session
/// cookie's tag the request's database, so that loading the session and everything the
/// handler does happen there. A cookie without a known tag uses the default database.
pub async fn database_scope(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    if !state.db.is_mapped() {
        return next.call(req).await;
    }
    let index = req
        .cookie(session::COOKIE_NAME)
        .and_then(|c| session::cookie_tag(c.value()).and_then(|t| state.db.index_of_tag(t)))
        .unwrap_or(0);
    state.db.scope_index(index, next.call(req)).await
}

/// Adds the security headers of `security.md` to every response.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let hsts = req
        .app_data::<Data<AppState>>()
        .map(|s| s.origin.scheme() == "https")
        .unwrap_or(false);
    let is_static = req.path().starts_with("/static/");
    // Inner middleware turns its refusals into responses, so they get these headers too.
    let mut res = next.call(req).await?;
    let cacheable = is_static && res.status().is_success();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if cacheable {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
    } else {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// Paths that never need a session (static files, health checks).
fn skips_session(path: &str) -> bool {
    path.starts_with("/static/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// `GET /unterricht/{slot}/{date}`: the lesson page looks its session up itself, first thing
/// in its one trip to the database (`register::lesson::show`), instead of in a trip of its
/// own here. Only a read, so there is no CSRF check to do before the handler.
fn defers_session(req: &ServiceRequest) -> bool {
    if req.method() != Method::GET {
        return false;
    }
    let Some(rest) = req.path().strip_prefix("/unterricht/") else {
        return false;
    };
    let mut parts = rest.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(slot), Some(date), None) if !slot.is_empty() && !date.is_empty()
    )
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses cross-site requests by their browser-set headers.
fn origin_ok(req: &ServiceRequest, state: &AppState) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    // With `Referrer-Policy: no-referrer` browsers send `Origin: null` on form posts; then
    // Sec-Fetch-Site (checked above) and the token decide.
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some("null") | None => true,
        Some(origin) => origin == state.origin.origin().ascii_serialization(),
    }
}

/// Loads the session into the request and, for state-changing requests, checks the
/// session's CSRF token (form field `csrf`, header `X-CSRF-Token`, or query `csrf` for
/// multipart uploads) and the origin. A request that fails never reaches a handler.
pub async fn session_and_csrf<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if defers_session(&req) {
        return deferred(req, next).await;
    }
    let session = match check_request(&mut req).await {
        Ok(session) => session,
        Err(e) => return Ok(req.error_response(e).map_into_right_body()),
    };
    // Static files and health checks never look the session up (see `check_request`), so
    // they must not take a missing session for a dead one and remove the cookie.
    let looked_up = !skips_session(req.path());
    let had_cookie = looked_up && req.cookie(session::COOKIE_NAME).is_some();
    let live = session.is_some();
    if let Some(s) = session {
        req.extensions_mut().insert::<Session>(s);
    }
    let mut res = next.call(req).await?.map_into_left_body();
    // A cookie naming no live session is removed so the browser stops sending it.
    if had_cookie && !live && !res.headers().contains_key(header::SET_COOKIE) {
        let _ = res.response_mut().add_cookie(&session::removal_cookie());
    }
    Ok(res)
}

/// A request whose handler looks the session up in its own trip (see [`defers_session`]).
async fn deferred<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        let e = AppError::Internal(anyhow::anyhow!("AppState fehlt"));
        return Ok(req.error_response(e).map_into_right_body());
    };
    let lookup = session::Lookup::of(&req, &state);
    let had_cookie = lookup.is_some();
    let deferred = session::DeferredSession::new(lookup.clone());
    req.extensions_mut().insert(deferred.clone());
    let mut res = next.call(req).await?.map_into_left_body();
    let live = match (deferred.outcome(), lookup) {
        (Some(live), _) => live,
        (None, None) => false,
        // The handler was not reached (or did not look): the lookup runs now, so that
        // expiry and the idle clock behave as for every other request.
        (None, Some(lookup)) => match state.db.run(move |c| lookup.run(c)).await {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::error!(error = %e, "Sitzung nach der Anfrage nicht geladen");
                true
            }
        },
    };
    if had_cookie && !live && !res.headers().contains_key(header::SET_COOKIE) {
        let _ = res.response_mut().add_cookie(&session::removal_cookie());
    }
    Ok(res)
}

/// Loads the session and, for state-changing requests, runs the CSRF and origin checks.
async fn check_request(req: &mut ServiceRequest) -> Result<Option<Session>, AppError> {
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        return Err(AppError::Internal(anyhow::anyhow!("AppState fehlt")));
    };
    let session = if skips_session(req.path()) {
        None
    } else {
        session::load(req, &state).await?
    };
    if is_state_changing(req.method()) {
        if !origin_ok(req, &state) {
            tracing::warn!(target: "security", path = %req.path(), "Anfrage von fremder Herkunft abgewiesen");
            return Err(AppError::Csrf);
        }
        let Some(session) = &session else {
            tracing::warn!(target: "security", path = %req.path(), "zustandsändernde Anfrage ohne Sitzung");
            return Err(AppError::Csrf);
        };
        let token = extract_csrf(req, state.settings.server.max_body_bytes).await?;
        let valid = token
            .as_deref()
            .is_some_and(|t| constant_time_eq(t.as_bytes(), session.csrf().as_bytes()));
        if !valid {
            tracing::warn!(target: "security", path = %req.path(), "CSRF-Token fehlt oder falsch");
            return Err(AppError::Csrf);
        }
    }
    Ok(session)
}

async fn extract_csrf(req: &mut ServiceRequest, limit: usize) -> Result<Option<String>, AppError> {
    if let Some(v) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return Ok(Some(v.to_owned()));
    }
    let content_type = req.content_type().to_owned();
    if content_type == "application/x-www-form-urlencoded" {
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
            if body.len() + chunk.len() > limit {
                return Err(AppError::PayloadTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let body: Bytes = body.freeze();
        let token = url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned());
        req.set_payload(Payload::from(body));
        return Ok(token);
    }
    Ok(url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned()))
}
