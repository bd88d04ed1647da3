//! Sessions on the web side: the `__Host-` cookie, loading and expiring the server-side row,
//! creating and renewing sessions. The row lives in the database so that every app
//! instance accepts every session.

use crate::auth::roles::Role;
use crate::crypto::{random_token, sha256_hex};
use crate::db::DbConnection;
use crate::db::schools::School;
use crate::db::sessions::{self, SessionRow};
use crate::db::users::{self, User};
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::ServiceRequest;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::QueryResult;
use std::future::{Ready, ready};
use std::sync::Arc;

/// Name of the session cookie. The `__Host-` prefix pins it to this exact origin.
pub const COOKIE_NAME: &str = "__Host-klassenbuch";

/// Stages a session passes through. Only `Full` reaches the register.
pub mod stage {
    /// Nobody signed in yet (carries the CSRF token of the sign-in form).
    pub const ANONYMOUS: &str = "anonym";
    /// Password accepted; the second factor is still to come.
    pub const PASSWORD: &str = "passwort";
    /// First sign-in from a setup link: password, factor, codes, acknowledgements.
    pub const SETUP: &str = "einrichtung";
    /// Signed in.
    pub const FULL: &str = "angemeldet";
}

/// A live session, attached to the request by the session middleware.
#[derive(Debug, Clone)]
pub struct Session {
    pub row: SessionRow,
    /// The cookie value was replaced during this request (sign-in, step-up).
    pub renewed_cookie: Option<String>,
    /// For a signed-in session: its user, loaded in the same trip to the database as the
    /// session itself (`None` for other stages, or if the user may no longer sign in).
    pub context: Option<Arc<UserContext>>,
}

/// What the authorization extractors need of a signed-in user.
#[derive(Debug, Clone)]
pub struct UserContext {
    pub user: User,
    pub school: School,
    /// The roles valid today.
    pub roles: Vec<Role>,
    /// Whether the privacy notice, the terms and the Dienstanweisung in force are
    /// acknowledged.
    pub acked: bool,
}

/// The context of an active, fully set-up user of the school; `None` otherwise.
pub fn user_context(
    c: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    today: NaiveDate,
) -> QueryResult<Option<UserContext>> {
    match users::find_in_school_with_school(c, school_id, user_id)? {
        Some((user, school)) if user.active && user.setup_complete => Ok(Some(UserContext {
            roles: users::roles_on(c, school_id, user_id, today)?,
            acked: crate::legal::all_acknowledged(c, school_id, user_id)?,
            user,
            school,
        })),
        _ => Ok(None),
    }
}

impl Session {
    pub fn id_hash(&self) -> &str {
        &self.row.id_hash
    }

    pub fn csrf(&self) -> &str {
        &self.row.csrf_token
    }

    /// True while the second-factor elevation is within both windows.
    pub fn is_elevated(&self, now: DateTime<Utc>, state: &AppState) -> bool {
        let s = &state.settings.session;
        self.is_elevated_within(now, s.elevation_absolute_minutes, s.elevation_idle_minutes)
    }

    /// [`Session::is_elevated`] with the two windows given (for code without the state).
    pub fn is_elevated_within(
        &self,
        now: DateTime<Utc>,
        absolute_minutes: i64,
        idle_minutes: i64,
    ) -> bool {
        match (self.row.elevated_at, self.row.elevation_seen_at) {
            (Some(at), Some(seen)) => {
                let now = now.naive_utc();
                now - at <= Duration::minutes(absolute_minutes)
                    && now - seen <= Duration::minutes(idle_minutes)
            }
            _ => false,
        }
    }
}

/// Builds the session cookie. No `Max-Age`: it ends with the browser; the server decides expiry.
pub fn session_cookie(value: &str) -> Cookie<'static> {
    Cookie::build(COOKIE_NAME, value.to_owned())
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .finish()
}

/// The database tag of a session cookie value (`TAG.TOKEN`, only with several databases).
pub fn cookie_tag(value: &str) -> Option<&str> {
    value.split_once('.').map(|(tag, _)| tag)
}

/// A new session cookie value for a session stored in `db`: a random token, prefixed with
/// the database's tag when there are several. The row's id is the hash of the whole value,
/// so the tag only routes; it grants nothing.
fn new_cookie_value(db: &crate::db::Db) -> String {
    let token = random_token::<16>();
    match db.cookie_tag() {
        Some(tag) => format!("{tag}.{token}"),
        None => token,
    }
}

/// The database a session row lives in: its school's, or the default one before sign-in.
fn session_db(state: &AppState, school_id: Option<i64>) -> crate::db::Db {
    match school_id {
        Some(id) => state.db.for_school(id),
        None => state.db.home(),
    }
}

/// A cookie that removes the session cookie from the browser.
pub fn removal_cookie() -> Cookie<'static> {
    let mut c = session_cookie("");
    c.make_removal();
    c
}

/// The client's address: the TCP peer, or — only when that peer is one of the configured
/// `server.trusted_proxies` — the last address the proxy appended to `X-Forwarded-For`.
/// Throttles, audit records and the session list all use this one function.
pub fn client_addr(req: &HttpRequest) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let trusted = req
        .app_data::<actix_web::web::Data<AppState>>()
        .is_some_and(|s| {
            peer.is_some_and(|p| {
                s.settings
                    .server
                    .trusted_proxies
                    .iter()
                    .any(|t| t.parse() == Ok(p))
            })
        });
    if trusted
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
    {
        return forwarded.to_owned();
    }
    peer.map(|p| p.to_string()).unwrap_or_default()
}

fn user_agent(req: &HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect())
        .unwrap_or_default()
}

/// What is needed to look up the session named by a request's cookie, taken from the request
/// before the trip to the database.
#[derive(Debug, Clone)]
pub struct Lookup {
    id_hash: String,
    now: DateTime<Utc>,
    idle: Duration,
    absolute: Duration,
}

impl Lookup {
    /// The lookup for the request's cookie; `None` without a cookie.
    pub fn of(req: &ServiceRequest, state: &AppState) -> Option<Self> {
        let cookie = req.cookie(COOKIE_NAME)?;
        Some(Lookup {
            id_hash: sha256_hex(cookie.value().as_bytes()),
            now: state.clock.now(),
            idle: Duration::minutes(state.settings.session.idle_timeout_minutes),
            absolute: Duration::hours(state.settings.session.absolute_timeout_hours),
        })
    }

    /// The time the session was looked up at.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Loads the session on a connection the caller holds, if it exists and has not expired.
    /// Expired rows are deleted; a session seen more than a minute ago is touched; for a
    /// signed-in session the user context is loaded too.
    pub fn run(&self, c: &mut DbConnection) -> QueryResult<Option<Session>> {
        let (today, now) = (self.now.date_naive(), self.now.naive_utc());
        let Some(row) = sessions::find(c, &self.id_hash)? else {
            return Ok(None);
        };
        if now - row.last_seen_at > self.idle || now - row.created_at > self.absolute {
            sessions::delete(c, &row.id_hash)?;
            return Ok(None);
        }
        // Writing on every request would cost a write per page; a minute is precise enough
        // for a 30-minute idle timeout.
        if now - row.last_seen_at > Duration::seconds(60) {
            sessions::touch(c, &row.id_hash, now)?;
        }
        let context = match (row.stage == stage::FULL, row.school_id, row.user_id) {
            (true, Some(school_id), Some(user_id)) => {
                user_context(c, school_id, user_id, today)?.map(Arc::new)
            }
            _ => None,
        };
        Ok(Some(Session {
            row,
            renewed_cookie: None,
            context,
        }))
    }
}

/// Put into the request instead of a [`Session`] when the session middleware leaves the
/// lookup to the handler, which then runs it first in its own trip to the database (only for
/// `GET` of the lesson page, see `web::middleware::defers_session`). The handler reports
/// whether the session was live; if it never ran the lookup, the middleware runs it after the
/// handler, so that every request still looks its session up.
#[derive(Debug, Clone)]
pub struct DeferredSession {
    pub lookup: Option<Lookup>,
    outcome: std::rc::Rc<std::cell::Cell<Option<bool>>>,
}

impl DeferredSession {
    pub fn new(lookup: Option<Lookup>) -> Self {
        DeferredSession {
            lookup,
            outcome: Default::default(),
        }
    }

    /// Records that the lookup ran and whether it found a live session.
    pub fn settle(&self, live: bool) {
        self.outcome.set(Some(live));
    }

    /// Whether the lookup found a live session; `None` if it did not run.
    pub fn outcome(&self) -> Option<bool> {
        self.outcome.get()
    }
}

/// Loads the session named by the request's cookie, if it exists and has not expired.
/// Expired rows are deleted. Returns `None` for no, unknown or expired sessions.
pub async fn load(req: &ServiceRequest, state: &AppState) -> AppResult<Option<Session>> {
    let Some(lookup) = Lookup::of(req, state) else {
        return Ok(None);
    };
    Ok(state.db.run(move |c| lookup.run(c)).await?)
}

/// Creates a new session row and returns it with the cookie value to send.
pub async fn create(
    req: &HttpRequest,
    state: &AppState,
    school_id: Option<i64>,
    user_id: Option<i64>,
    stage: &str,
) -> AppResult<Session> {
    let db = session_db(state, school_id);
    let raw = new_cookie_value(&db);
    let now = state.clock.now().naive_utc();
    let row = SessionRow {
        id_hash: sha256_hex(raw.as_bytes()),
        school_id,
        user_id,
        stage: stage.to_owned(),
        csrf_token: random_token::<32>(),
        created_at: now,
        last_seen_at: now,
        elevated_at: None,
        elevation_seen_at: None,
        user_agent: user_agent(req),
        client_addr: client_addr(req),
        flash: None,
        pending: None,
    };
    let insert = row.clone();
    db.run(move |c| sessions::insert(c, &insert)).await?;
    Ok(Session {
        row,
        renewed_cookie: Some(raw),
        context: None,
    })
}

/// Replaces a session by a fresh one with a new id (sign-in, step-up), ending the old one.
/// `elevate` starts a new elevation window.
pub async fn renew(
    req: &HttpRequest,
    state: &AppState,
    old: &Session,
    school_id: Option<i64>,
    user_id: Option<i64>,
    stage: &str,
    elevate: bool,
) -> AppResult<Session> {
    let db = session_db(state, school_id);
    let raw = new_cookie_value(&db);
    let now = state.clock.now().naive_utc();
    let mut row = old.row.clone();
    let old_hash = row.id_hash.clone();
    row.id_hash = sha256_hex(raw.as_bytes());
    row.school_id = school_id;
    row.user_id = user_id;
    if row.stage != stage {
        row.stage = stage.to_owned();
        row.created_at = now;
    }
    row.csrf_token = random_token::<32>();
    row.last_seen_at = now;
    row.user_agent = user_agent(req);
    row.client_addr = client_addr(req);
    row.pending = None;
    if elevate {
        row.elevated_at = Some(now);
        row.elevation_seen_at = Some(now);
    }
    let insert = row.clone();
    if db.is_same(&state.db) {
        db.run(move |c| {
            crate::db::write_transaction(c, |c| {
                sessions::delete(c, &old_hash)?;
                sessions::insert(c, &insert)
            })
        })
        .await?;
    } else {
        // Sign-in moves the session from the default database to the school's: the old one
        // ends first, so that no moment has two live sessions.
        state
            .db
            .run(move |c| sessions::delete(c, &old_hash))
            .await?;
        db.run(move |c| sessions::insert(c, &insert)).await?;
    }
    Ok(Session {
        row,
        renewed_cookie: Some(raw),
        context: None,
    })
}

/// The session of the request, if any (possibly anonymous).
pub struct Visitor(pub Option<Session>);

impl FromRequest for Visitor {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(Visitor(req.extensions().get::<Session>().cloned())))
    }
}

/// Takes the flash message of a session (shown once).
pub async fn take_flash(
    state: &AppState,
    session: &Session,
) -> AppResult<Option<crate::web::page::Flash>> {
    let Some(flash) = session.row.flash.clone() else {
        return Ok(None);
    };
    let id = session.row.id_hash.clone();
    state
        .db
        .run(move |c| sessions::set_flash(c, &id, None))
        .await?;
    Ok(Some(crate::web::page::Flash::decode(&flash)))
}

/// Stores a flash message for the next page.
pub async fn set_flash(
    state: &AppState,
    session: &Session,
    flash: crate::web::page::Flash,
) -> AppResult<()> {
    let id = session.row.id_hash.clone();
    let text = flash.encode();
    state
        .db
        .run(move |c| sessions::set_flash(c, &id, Some(&text)))
        .await?;
    Ok(())
}

/// Stores a flash message of `kind` for the next page and redirects to `to` (the end of a
/// form post: post, redirect, get).
pub async fn flash_and_redirect(
    state: &AppState,
    session: &Session,
    kind: crate::web::page::FlashKind,
    text: impl Into<String>,
    to: &str,
) -> AppResult<actix_web::HttpResponse> {
    let text = text.into();
    set_flash(state, session, crate::web::page::Flash { kind, text }).await?;
    Ok(crate::web::see_other(to))
}
