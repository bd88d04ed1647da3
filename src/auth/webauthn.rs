//! WebAuthn (passkeys and security keys, user verification required). Ceremony state is
//! kept on the server, used once and expires after five minutes; counters are persisted;
//! credential ids are unique across all users. The browser side is `static/webauthn.js`.

use crate::auth::second;
use crate::crypto::{random_token, sha256_hex};
use crate::db::ceremonies::{self, Ceremony};
use crate::db::{factors, users};
use crate::error::{AppError, AppResult, safe_next};
use crate::startup::AppState;
use crate::web::session::{Session, Visitor, stage};
use actix_web::web::{Data, Json, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Duration;
use data_encoding::BASE64URL_NOPAD;
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid, WebauthnError,
};

pub const CEREMONY_MINUTES: i64 = 5;
const REGISTER: &str = "registrierung";
const AUTHENTICATE: &str = "anmeldung";

fn refuse(status: actix_web::http::StatusCode, msg: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "fehler": msg }))
}

fn bad(msg: &str) -> HttpResponse {
    refuse(actix_web::http::StatusCode::BAD_REQUEST, msg)
}

/// A stable, non-guessable-from-outside WebAuthn user handle for a user id.
fn user_handle(user_id: i64) -> Uuid {
    let digest = sha256_hex(format!("klassenbuch-benutzer:{user_id}").as_bytes());
    let bytes = data_encoding::HEXLOWER
        .decode(&digest.as_bytes()[..32])
        .unwrap_or_default();
    Uuid::from_slice(&bytes).unwrap_or_else(|_| Uuid::nil())
}

/// Who may register a credential now: a first sign-in in progress, or a signed-in user who
/// confirmed their password and a second factor within the last minutes (see `account`).
async fn registering_user(
    state: &AppState,
    session: &Session,
) -> AppResult<Option<(i64, i64, &'static str)>> {
    let (Some(school_id), Some(user_id)) = (session.row.school_id, session.row.user_id) else {
        return Ok(None);
    };
    let allowed = match session.row.stage.as_str() {
        s if s == stage::SETUP => Some("/einrichtung"),
        s if s == stage::FULL && crate::auth::account::factor_change_allowed(state, session) => {
            Some("/konto/faktoren")
        }
        _ => None,
    };
    let Some(done) = allowed else { return Ok(None) };
    let active = state
        .db
        .run(move |c| users::find_in_school(c, school_id, user_id))
        .await?
        .is_some_and(|u| u.active);
    Ok(active.then_some((school_id, user_id, done)))
}

#[derive(Debug, Deserialize)]
pub struct StartRegistration {
    #[serde(default)]
    label: String,
}

/// `POST /webauthn/registrierung/start`.
pub async fn register_start(
    state: Data<AppState>,
    visitor: Visitor,
    body: Json<StartRegistration>,
) -> AppResult<HttpResponse> {
    let Some(session) = visitor.0 else {
        return Err(AppError::Csrf);
    };
    let Some((school_id, user_id, _)) = registering_user(&state, &session).await? else {
        return Ok(refuse(
            actix_web::http::StatusCode::FORBIDDEN,
            "Keine Berechtigung, einen Passkey hinzuzufügen.",
        ));
    };
    let (user, existing) = state
        .db
        .run(move |c| {
            let u = users::find_in_school(c, school_id, user_id)?;
            let creds = factors::webauthn_of(c, school_id, user_id)?;
            Ok((u, creds))
        })
        .await?;
    let user = user.ok_or(AppError::NotFound)?;
    let exclude: Vec<_> = existing
        .iter()
        .filter_map(|c| serde_json::from_str::<Passkey>(&c.passkey).ok())
        .map(|p| p.cred_id().clone())
        .collect();
    let (options, reg_state) = state
        .webauthn
        .start_passkey_registration(
            user_handle(user_id),
            &user.login,
            &user.display_name,
            Some(exclude),
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("WebAuthn: {e}")))?;
    let label: String = body.label.trim().chars().take(60).collect();
    let ceremony = Ceremony {
        id_hash: sha256_hex(random_token::<16>().as_bytes()),
        school_id,
        user_id,
        session_hash: session.id_hash().to_owned(),
        kind: REGISTER.into(),
        state: serde_json::to_string(&reg_state).map_err(|e| AppError::Internal(e.into()))?,
        label: if label.is_empty() {
            "Passkey".into()
        } else {
            label
        },
        created_at: state.clock.now().naive_utc(),
    };
    state
        .db
        .run(move |c| ceremonies::start(c, &ceremony))
        .await?;
    Ok(HttpResponse::Ok().json(options))
}

/// Takes the session's ceremony of `kind` if it is still fresh.
async fn take_ceremony(
    state: &AppState,
    session: &Session,
    kind: &'static str,
) -> AppResult<Option<Ceremony>> {
    let hash = session.id_hash().to_owned();
    let c = state
        .db
        .run(move |c| ceremonies::take(c, &hash, kind))
        .await?;
    let now = state.clock.now().naive_utc();
    Ok(c.filter(|c| now - c.created_at <= Duration::minutes(CEREMONY_MINUTES)))
}

/// `POST /webauthn/registrierung/ende`.
pub async fn register_finish(
    state: Data<AppState>,
    visitor: Visitor,
    body: Json<RegisterPublicKeyCredential>,
) -> AppResult<HttpResponse> {
    let Some(session) = visitor.0 else {
        return Err(AppError::Csrf);
    };
    let Some((school_id, user_id, done)) = registering_user(&state, &session).await? else {
        return Ok(refuse(
            actix_web::http::StatusCode::FORBIDDEN,
            "Keine Berechtigung, einen Passkey hinzuzufügen.",
        ));
    };
    let event = crate::audit::Event::new("faktor_hinzugefuegt")
        .school(school_id)
        .actor(user_id);
    let Some(ceremony) = take_ceremony(&state, &session, REGISTER).await? else {
        event
            .result("fehlgeschlagen")
            .detail("typ=webauthn; zeremonie abgelaufen oder verbraucht")
            .record(&state)
            .await?;
        return Ok(bad(
            "Die Registrierung ist abgelaufen. Bitte erneut versuchen.",
        ));
    };
    if ceremony.user_id != user_id || ceremony.school_id != school_id {
        return Ok(bad("Die Registrierung gehört zu einem anderen Konto."));
    }
    let reg_state: PasskeyRegistration =
        serde_json::from_str(&ceremony.state).map_err(|e| AppError::Internal(e.into()))?;
    let passkey = match state
        .webauthn
        .finish_passkey_registration(&body, &reg_state)
    {
        Ok(p) => p,
        Err(e) => {
            event
                .result("fehlgeschlagen")
                .detail(format!("typ=webauthn; {e}"))
                .record(&state)
                .await?;
            return Ok(bad("Der Passkey konnte nicht geprüft werden."));
        }
    };
    let cred_id = BASE64URL_NOPAD.encode(passkey.cred_id().as_ref());
    let stored = serde_json::to_string(&passkey).map_err(|e| AppError::Internal(e.into()))?;
    let now = state.clock.now().naive_utc();
    let label = ceremony.label.clone();
    let inserted = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                if factors::credential_id_taken(c, &cred_id)? {
                    return Ok(false);
                }
                factors::create_webauthn(c, school_id, user_id, &label, &cred_id, &stored, now)?;
                Ok(true)
            })
        })
        .await?;
    if !inserted {
        event
            .result("fehlgeschlagen")
            .detail("typ=webauthn; credential-id bereits vergeben")
            .record(&state)
            .await?;
        return Ok(bad("Dieser Passkey ist bereits registriert."));
    }
    event.detail("typ=webauthn").record(&state).await?;
    Ok(HttpResponse::Ok().json(json!({ "weiter": done })))
}

/// The user being authenticated: password stage (sign-in) or signed in (step-up).
fn authenticating_user(session: &Session) -> Option<(i64, i64)> {
    match session.row.stage.as_str() {
        s if s == stage::PASSWORD || s == stage::FULL => {
            session.row.school_id.zip(session.row.user_id)
        }
        _ => None,
    }
}

/// `POST /webauthn/anmeldung/start`: offers only this user's credentials.
pub async fn auth_start(state: Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    let Some(session) = visitor.0 else {
        return Err(AppError::Csrf);
    };
    let Some((school_id, user_id)) = authenticating_user(&session) else {
        return Ok(refuse(
            actix_web::http::StatusCode::FORBIDDEN,
            "Bitte zuerst mit dem Passwort anmelden.",
        ));
    };
    let creds = state
        .db
        .run(move |c| factors::webauthn_of(c, school_id, user_id))
        .await?;
    let passkeys: Vec<Passkey> = creds
        .iter()
        .filter_map(|c| serde_json::from_str(&c.passkey).ok())
        .collect();
    if passkeys.is_empty() {
        return Ok(bad("Für dieses Konto ist kein Passkey registriert."));
    }
    let (options, auth_state) = state
        .webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("WebAuthn: {e}")))?;
    let ceremony = Ceremony {
        id_hash: sha256_hex(random_token::<16>().as_bytes()),
        school_id,
        user_id,
        session_hash: session.id_hash().to_owned(),
        kind: AUTHENTICATE.into(),
        state: serde_json::to_string(&auth_state).map_err(|e| AppError::Internal(e.into()))?,
        label: String::new(),
        created_at: state.clock.now().naive_utc(),
    };
    state
        .db
        .run(move |c| ceremonies::start(c, &ceremony))
        .await?;
    Ok(HttpResponse::Ok().json(options))
}

#[derive(Debug, Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// `POST /webauthn/anmeldung/ende`: verifies the assertion, persists the counter, and
/// raises the session (new id) exactly like a TOTP code would.
pub async fn auth_finish(
    req: HttpRequest,
    state: Data<AppState>,
    visitor: Visitor,
    query: Query<NextParam>,
    body: Json<PublicKeyCredential>,
) -> AppResult<HttpResponse> {
    let Some(session) = visitor.0 else {
        return Err(AppError::Csrf);
    };
    let Some((school_id, user_id)) = authenticating_user(&session) else {
        return Ok(refuse(
            actix_web::http::StatusCode::FORBIDDEN,
            "Bitte zuerst mit dem Passwort anmelden.",
        ));
    };
    let is_login = session.row.stage == stage::PASSWORD;
    let addr = crate::web::session::client_addr(&req);
    let event = crate::audit::Event::new(if is_login { "anmeldung" } else { "step_up" })
        .school(school_id)
        .actor(user_id)
        .client(addr);
    let Some(ceremony) = take_ceremony(&state, &session, AUTHENTICATE).await? else {
        event
            .result("fehlgeschlagen")
            .detail("faktor=webauthn; zeremonie abgelaufen oder verbraucht")
            .record(&state)
            .await?;
        return Ok(bad(
            "Die Bestätigung ist abgelaufen oder wurde schon verwendet. Bitte erneut versuchen.",
        ));
    };
    if ceremony.user_id != user_id || ceremony.school_id != school_id {
        return Ok(bad("Die Bestätigung gehört zu einem anderen Konto."));
    }
    let auth_state: PasskeyAuthentication =
        serde_json::from_str(&ceremony.state).map_err(|e| AppError::Internal(e.into()))?;
    let result = match state
        .webauthn
        .finish_passkey_authentication(&body, &auth_state)
    {
        Ok(r) if r.user_verified() => r,
        outcome => {
            let (detail, msg) = match outcome {
                Ok(_) | Err(WebauthnError::UserNotVerified) => (
                    "faktor=webauthn; ohne benutzerpruefung".to_owned(),
                    "Der Passkey wurde nicht bestätigt (Benutzerprüfung erforderlich).",
                ),
                Err(e) => (
                    format!("faktor=webauthn; {e}"),
                    "Die Bestätigung mit dem Passkey ist ungültig.",
                ),
            };
            event
                .result("fehlgeschlagen")
                .detail(detail)
                .record(&state)
                .await?;
            return Ok(refuse(actix_web::http::StatusCode::UNAUTHORIZED, msg));
        }
    };
    let cred_id = BASE64URL_NOPAD.encode(result.cred_id().as_ref());
    let now = state.clock.now().naive_utc();
    let updated = state
        .db
        .run(move |c| {
            let creds = factors::webauthn_of(c, school_id, user_id)?;
            let Some(row) = creds.into_iter().find(|r| r.credential_id == cred_id) else {
                return Ok(false);
            };
            let Ok(mut passkey) = serde_json::from_str::<Passkey>(&row.passkey) else {
                return Ok(false);
            };
            passkey.update_credential(&result);
            let stored = serde_json::to_string(&passkey).unwrap_or(row.passkey);
            factors::update_passkey(c, row.id, &stored, now)?;
            Ok(true)
        })
        .await?;
    if !updated {
        event
            .result("fehlgeschlagen")
            .detail("faktor=webauthn; unbekannter passkey")
            .record(&state)
            .await?;
        return Ok(bad("Unbekannter Passkey."));
    }
    event
        .detail("faktor=webauthn")
        .assurance("aal2")
        .record(&state)
        .await?;
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    let resp = second::elevate(&req, &state, &session, school_id, user_id, &next).await?;
    // Turn the redirect into JSON for the script, keeping the new session cookie.
    let mut json = HttpResponse::Ok().json(json!({ "weiter": next }));
    for c in resp.cookies() {
        json.add_cookie(&c)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(json)
}
