//! Extractors that put authorization into handler signatures: session → user → role →
//! elevation. A handler that takes one of these is never reached without it.

use crate::auth::roles::Role;
use crate::db::schools::School;
use crate::db::sessions;
use crate::db::users::User;
use crate::error::AppError;
use crate::startup::AppState;
use crate::web::page::NavContext;
use crate::web::session::{Session, UserContext, stage, user_context};
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;
use std::sync::Arc;

/// A signed-in user with the roles valid today, loaded fresh on every request (a role
/// change or deactivation takes effect on the next request).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub session: Session,
    pub user: User,
    pub school: School,
    pub roles: Vec<Role>,
    pub elevated: bool,
    pub now: DateTime<Utc>,
    pub client_addr: String,
}

impl CurrentUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn school_id(&self) -> i64 {
        self.school.id
    }

    /// `aal2` while elevated by a second factor, else `aal1`.
    pub fn assurance(&self) -> &'static str {
        if self.elevated { "aal2" } else { "aal1" }
    }

    pub fn nav(&self) -> NavContext {
        NavContext {
            school_name: self.school.name.clone(),
            user_name: self.user.display_name.clone(),
            roles: self.roles.clone(),
            csrf: self.session.csrf().to_owned(),
            elevated: self.elevated,
        }
    }

    /// An audit event pre-filled with school, actor, assurance and address.
    pub fn event(&self, action: &str) -> crate::audit::Event {
        crate::audit::Event::new(action)
            .school(self.school.id)
            .actor(self.user.id)
            .assurance(self.assurance())
            .client(self.client_addr.clone())
    }
}

fn state_of(req: &HttpRequest) -> Result<Data<AppState>, AppError> {
    req.app_data::<Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState fehlt")))
}

fn path_and_query(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    }
}

async fn load_current_user(req: HttpRequest) -> Result<CurrentUser, AppError> {
    load_user(req, true).await
}

/// Why a request has no [`CurrentUser`].
#[derive(Debug, Clone, Copy)]
pub enum NoUser {
    /// No live, signed-in session of an active user: sign in (again).
    LoginRequired,
    /// The current documents are not acknowledged yet.
    Acknowledge,
}

impl NoUser {
    pub fn into_error(self, next: &str) -> AppError {
        match self {
            NoUser::LoginRequired => AppError::LoginRequired {
                next: next.to_owned(),
            },
            NoUser::Acknowledge => AppError::Redirect(format!(
                "/bestaetigen?next={}",
                urlencoding::encode(&crate::error::safe_next(next))
            )),
        }
    }
}

/// The session, school and user of a signed-in session; `None` for other stages.
fn signed_in(session: Option<Session>) -> Option<(Session, i64, i64)> {
    let session = session.filter(|s| s.row.stage == stage::FULL)?;
    let (Some(school_id), Some(user_id)) = (session.row.school_id, session.row.user_id) else {
        return None;
    };
    Some((session, school_id, user_id))
}

/// The user context of a session loaded without one (after a sign-in or step-up within this
/// request, or when the user may no longer sign in): loaded now, or the session ends.
fn context_or_end(
    c: &mut crate::db::DbConnection,
    school_id: i64,
    user_id: i64,
    today: chrono::NaiveDate,
    id_hash: &str,
) -> diesel::QueryResult<Option<Arc<UserContext>>> {
    match user_context(c, school_id, user_id, today)? {
        Some(context) => Ok(Some(Arc::new(context))),
        None => {
            sessions::delete(c, id_hash)?;
            Ok(None)
        }
    }
}

/// The user of a session with its context, after the acknowledgement check.
fn finish_user(
    session: Session,
    context: Option<Arc<UserContext>>,
    check_acks: bool,
    now: DateTime<Utc>,
    elevated: impl FnOnce(&Session) -> bool,
    client_addr: String,
) -> Result<CurrentUser, NoUser> {
    let Some(context) = context else {
        return Err(NoUser::LoginRequired);
    };
    if check_acks && !context.acked {
        return Err(NoUser::Acknowledge);
    }
    let UserContext {
        user,
        school,
        roles,
        ..
    } = (*context).clone();
    let elevated = elevated(&session);
    Ok(CurrentUser {
        session,
        user,
        school,
        roles,
        elevated,
        now,
        client_addr,
    })
}

fn next_of(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        path_and_query(req)
    } else {
        "/".to_owned()
    }
}

/// Loads the signed-in user; with `check_acks`, a user who has not acknowledged the current
/// documents is sent to `/bestaetigen` first.
async fn load_user(req: HttpRequest, check_acks: bool) -> Result<CurrentUser, AppError> {
    let state = state_of(&req)?;
    let next = next_of(&req);
    let session = req.extensions().get::<Session>().cloned();
    let Some((session, school_id, user_id)) = signed_in(session) else {
        return Err(AppError::LoginRequired { next });
    };
    let now = state.clock.now();
    let today = now.date_naive();
    // Usually loaded with the session; after a sign-in or step-up within this request, now.
    let context = match session.context.clone() {
        Some(context) => Some(context),
        None => {
            let id_hash = session.row.id_hash.clone();
            state
                .db
                .run(move |c| context_or_end(c, school_id, user_id, today, &id_hash))
                .await?
        }
    };
    finish_user(
        session,
        context,
        check_acks,
        now,
        |s| s.is_elevated(now, &state),
        crate::web::session::client_addr(&req),
    )
    .map_err(|no| no.into_error(&next))
}

/// A [`CurrentUser`] whose session the handler looks up first thing in its own trip to the
/// database (see `web::middleware::defers_session`), with every check of [`CurrentUser`]:
/// the session's expiry and idle clock, stage, active user, roles valid today and
/// acknowledgements. Where the middleware loaded the session itself, it is the
/// [`CurrentUser`] as usual.
pub struct DeferredUser {
    inner: PendingUser,
    deferred: Option<crate::web::session::DeferredSession>,
    next: String,
}

/// The part of a [`DeferredUser`] that goes into the trip.
#[derive(Debug, Clone)]
pub enum PendingUser {
    Loaded(Box<CurrentUser>),
    Lookup {
        lookup: Option<crate::web::session::Lookup>,
        elevation_absolute_minutes: i64,
        elevation_idle_minutes: i64,
        client_addr: String,
    },
}

impl PendingUser {
    /// The user, on a connection the caller holds; also whether the session was live.
    pub fn resolve_in(
        self,
        c: &mut crate::db::DbConnection,
    ) -> diesel::QueryResult<(bool, Result<CurrentUser, NoUser>)> {
        let (lookup, absolute, idle, client_addr) = match self {
            PendingUser::Loaded(user) => return Ok((true, Ok(*user))),
            PendingUser::Lookup {
                lookup,
                elevation_absolute_minutes,
                elevation_idle_minutes,
                client_addr,
            } => (
                lookup,
                elevation_absolute_minutes,
                elevation_idle_minutes,
                client_addr,
            ),
        };
        let Some(lookup) = lookup else {
            return Ok((false, Err(NoUser::LoginRequired)));
        };
        let session = lookup.run(c)?;
        let live = session.is_some();
        let Some((session, school_id, user_id)) = signed_in(session) else {
            return Ok((live, Err(NoUser::LoginRequired)));
        };
        let now = lookup.now();
        let context = match session.context.clone() {
            Some(context) => Some(context),
            None => {
                let id_hash = session.row.id_hash.clone();
                context_or_end(c, school_id, user_id, now.date_naive(), &id_hash)?
            }
        };
        let user = finish_user(
            session,
            context,
            true,
            now,
            |s| s.is_elevated_within(now, absolute, idle),
            client_addr,
        );
        Ok((live, user))
    }
}

impl DeferredUser {
    /// What the trip needs.
    pub fn pending(&self) -> PendingUser {
        self.inner.clone()
    }

    /// After the trip: whether the session was live (a failed trip counts as live, so that
    /// the cookie stays).
    pub fn settle(&self, live: bool) {
        if let Some(d) = &self.deferred {
            d.settle(live);
        }
    }

    /// The error for a request without a user.
    pub fn refuse(&self, no: NoUser) -> AppError {
        no.into_error(&self.next)
    }
}

impl FromRequest for DeferredUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let next = next_of(&req);
            let deferred = req
                .extensions()
                .get::<crate::web::session::DeferredSession>()
                .cloned();
            let Some(deferred) = deferred else {
                let user = load_current_user(req).await?;
                return Ok(DeferredUser {
                    inner: PendingUser::Loaded(Box::new(user)),
                    deferred: None,
                    next,
                });
            };
            let state = state_of(&req)?;
            let s = &state.settings.session;
            Ok(DeferredUser {
                inner: PendingUser::Lookup {
                    lookup: deferred.lookup.clone(),
                    elevation_absolute_minutes: s.elevation_absolute_minutes,
                    elevation_idle_minutes: s.elevation_idle_minutes,
                    client_addr: crate::web::session::client_addr(&req),
                },
                deferred: Some(deferred),
                next,
            })
        })
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(load_current_user(req.clone()))
    }
}

/// A signed-in user who may not yet have acknowledged the current documents (only for the
/// acknowledgement page itself).
pub struct SignedIn(pub CurrentUser);

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load_user(req, false).await.map(SignedIn) })
    }
}

/// A rule over the roles a user holds.
pub trait RoleRule {
    const DESCRIPTION: &'static str;
    fn allows(roles: &[Role]) -> bool;
}

/// Schulleitung only.
pub struct Headteacher;
impl RoleRule for Headteacher {
    const DESCRIPTION: &'static str = "Schulleitung";
    fn allows(roles: &[Role]) -> bool {
        roles.contains(&Role::Schulleitung)
    }
}

/// Schulleitung or Administration.
pub struct Admin;
impl RoleRule for Admin {
    const DESCRIPTION: &'static str = "Schulleitung oder Administration";
    fn allows(roles: &[Role]) -> bool {
        roles.iter().any(|r| r.administers())
    }
}

/// Subject or class teacher.
pub struct Teacher;
impl RoleRule for Teacher {
    const DESCRIPTION: &'static str = "Lehrkraft";
    fn allows(roles: &[Role]) -> bool {
        roles
            .iter()
            .any(|r| matches!(r, Role::Lehrkraft | Role::Klassenlehrkraft))
    }
}

async fn deny(state: &AppState, user: &CurrentUser, req: &HttpRequest, needed: &str) -> AppError {
    let _ = user
        .event("zugriff_verweigert")
        .object(req.path())
        .result("verweigert")
        .detail(format!("benötigt: {needed}"))
        .record(state)
        .await;
    AppError::Forbidden
}

/// A signed-in user holding a role allowed by `R`; others get 403 (and an audit record).
pub struct WithRole<R: RoleRule>(pub CurrentUser, PhantomData<R>);

impl<R: RoleRule + 'static> FromRequest for WithRole<R> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = load_current_user(req.clone()).await?;
            if !R::allows(&user.roles) {
                let state = state_of(&req)?;
                return Err(deny(&state, &user, &req, R::DESCRIPTION).await);
            }
            Ok(WithRole(user, PhantomData))
        })
    }
}

/// Proof that the session holds a live second-factor elevation. Only this module can make
/// one; every function that reads or writes class B data takes it.
#[derive(Debug, Clone)]
pub struct Elevation {
    _private: (),
}

impl Elevation {
    /// The proof for the retention job, which reads a register only to archive it before
    /// deleting it (`product.md` § 4.6); no person sees it there. Only
    /// `crate::gdpr::retention` calls this, never a request path.
    pub(crate) fn for_retention_archive() -> Self {
        Elevation { _private: () }
    }
}

/// A signed-in, elevated user holding a role allowed by `R`. Without elevation the user is
/// sent to `/step-up?next=…` and back; the handler never runs.
pub struct Elevated<R: RoleRule = AnyRole> {
    pub user: CurrentUser,
    pub proof: Elevation,
    _rule: PhantomData<R>,
}

/// Any signed-in user.
pub struct AnyRole;
impl RoleRule for AnyRole {
    const DESCRIPTION: &'static str = "angemeldet";
    fn allows(_: &[Role]) -> bool {
        true
    }
}

impl<R: RoleRule + 'static> FromRequest for Elevated<R> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            let user = load_current_user(req.clone()).await?;
            if !R::allows(&user.roles) {
                return Err(deny(&state, &user, &req, R::DESCRIPTION).await);
            }
            if !user.elevated {
                let next = if req.method() == actix_web::http::Method::GET {
                    path_and_query(&req)
                } else {
                    req.headers()
                        .get(actix_web::http::header::REFERER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|r| url::Url::parse(r).ok())
                        .map(|u| u.path().to_owned())
                        .unwrap_or_else(|| "/".into())
                };
                return Err(AppError::StepUpRequired { next });
            }
            let id = user.session.row.id_hash.clone();
            let now = user.now.naive_utc();
            state
                .db
                .run(move |c| sessions::touch_elevation(c, &id, now))
                .await?;
            Ok(Elevated {
                user,
                proof: Elevation { _private: () },
                _rule: PhantomData,
            })
        })
    }
}

/// A live elevation of the user, to be confirmed (the session's elevation touched) on a
/// connection the handler holds anyway, so that the check costs no trip of its own. Only a
/// [`CurrentUser`] whose session is elevated yields one.
#[derive(Debug, Clone)]
pub struct PendingElevation {
    id_hash: String,
    now: chrono::NaiveDateTime,
}

impl CurrentUser {
    /// The elevation to confirm inside a database trip; `None` when the session is not
    /// elevated (the caller then sends the user to step-up, as [`require_elevation`] does).
    pub fn pending_elevation(&self) -> Option<PendingElevation> {
        self.elevated.then(|| PendingElevation {
            id_hash: self.session.row.id_hash.clone(),
            now: self.now.naive_utc(),
        })
    }
}

impl PendingElevation {
    /// What [`require_elevation`] does for an elevated user, on the given connection.
    pub fn confirm(&self, c: &mut crate::db::DbConnection) -> diesel::QueryResult<Elevation> {
        sessions::touch_elevation(c, &self.id_hash, self.now)?;
        Ok(Elevation { _private: () })
    }
}

/// Demands a live elevation of `user` (for handlers that serve class A or class B depending
/// on the data asked for). Without one, the user is sent to step-up and back to `next`.
pub async fn require_elevation(
    state: &AppState,
    user: &CurrentUser,
    next: &str,
) -> Result<Elevation, AppError> {
    if !user.elevated {
        return Err(AppError::StepUpRequired {
            next: next.to_owned(),
        });
    }
    let id = user.session.row.id_hash.clone();
    let now = user.now.naive_utc();
    state
        .db
        .run(move |c| sessions::touch_elevation(c, &id, now))
        .await?;
    Ok(Elevation { _private: () })
}
