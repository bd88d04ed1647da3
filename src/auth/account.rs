//! The account page: change the password, manage second factors (after password and a
//! fresh second factor), regenerate recovery codes, see and end one's own sessions.

use crate::auth::setup::{activate_pending_totp, codes_page};
use crate::auth::{CurrentUser, Elevated, password, recovery, totp};
use crate::db::{factors, sessions, users};
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind, Page, csrf_field};
use crate::web::session::{self, Session, stage};
use crate::web::{html, see_other};
use actix_web::HttpResponse;
use actix_web::web::{Data, Form};
use chrono::{Duration, Utc};
use maud::{Markup, PreEscaped, html as markup};
use serde::Deserialize;

/// How long a factor-change release (password + fresh second factor) lasts.
pub const RELEASE_MINUTES: i64 = 10;
const RELEASE_PREFIX: &str = "faktoren:";

/// True while the session holds a release for factor changes.
pub fn factor_change_allowed(state: &AppState, session: &Session) -> bool {
    let now = state.clock.now();
    if session.row.stage != stage::FULL || !session.is_elevated(now, state) {
        return false;
    }
    session
        .row
        .pending
        .as_deref()
        .and_then(|p| p.strip_prefix(RELEASE_PREFIX))
        .and_then(|ts| ts.parse::<i64>().ok())
        .and_then(|ts| chrono::DateTime::<Utc>::from_timestamp(ts, 0))
        .is_some_and(|at| now - at <= Duration::minutes(RELEASE_MINUTES) && at <= now)
}

/// Password checks on the account pages count towards the sign-in throttle, so a stolen
/// session cannot guess the password without limit.
async fn check_password_throttle(state: &AppState, user: &CurrentUser) -> AppResult<()> {
    crate::auth::throttle::check_account(state, &user.user.login, &user.client_addr, user.now).await
}

async fn count_password_failure(state: &AppState, user: &CurrentUser) -> AppResult<()> {
    crate::auth::throttle::record_failure(state, &user.user.login, &user.client_addr, user.now)
        .await
}

fn fresh_elevation(user: &CurrentUser) -> bool {
    user.session
        .row
        .elevated_at
        .is_some_and(|at| user.now.naive_utc() - at <= Duration::minutes(RELEASE_MINUTES))
}

async fn flash(state: &AppState, s: &Session, kind: FlashKind, text: &str) -> AppResult<()> {
    session::set_flash(
        state,
        s,
        Flash {
            kind,
            text: text.to_owned(),
        },
    )
    .await
}

fn short_id(hash: &str) -> &str {
    &hash[..16.min(hash.len())]
}

/// `GET /konto`.
pub async fn overview(state: Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let flash_msg = session::take_flash(&state, &user.session).await?;
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let list = state
        .db
        .run(move |c| sessions::list_for_user(c, school_id, user_id))
        .await?;
    let csrf = user.session.csrf();
    let body = markup! {
        h2 { "Passwort ändern" }
        form.stack method="post" action="/konto/passwort" {
            (csrf_field(csrf))
            input type="text" name="username" autocomplete="username" value=(user.user.login) hidden;
            label for="current" { "Aktuelles Passwort" }
            input id="current" name="current" type="password" autocomplete="current-password" required;
            label for="new" { "Neues Passwort (mindestens 15 Zeichen)" }
            input id="new" name="new" type="password" autocomplete="new-password" required;
            label for="new2" { "Neues Passwort wiederholen" }
            input id="new2" name="new2" type="password" autocomplete="new-password" required;
            label.check { input type="checkbox" name="andere_beenden" value="ja" checked; " Alle anderen Sitzungen beenden" }
            button type="submit" { "Passwort ändern" }
        }
        h2 { "Zweite Faktoren und Wiederherstellungscodes" }
        p { a href="/konto/faktoren" { "Faktoren verwalten" } " (erfordert Passwort und zweiten Faktor)" }
        h2 { "Ihre Sitzungen" }
        table.sessions {
            thead { tr { th { "Gerät" } th { "Angemeldet seit (UTC)" } th { "Zuletzt aktiv (UTC)" } th {} } }
            tbody {
                @for s in &list {
                    tr {
                        td { (s.user_agent) }
                        td { (s.created_at.format("%d.%m.%Y %H:%M")) }
                        td { (s.last_seen_at.format("%d.%m.%Y %H:%M")) }
                        td {
                            @if s.id_hash == user.session.row.id_hash { "diese Sitzung" } @else {
                                form method="post" action="/konto/sitzungen/beenden" {
                                    (csrf_field(csrf))
                                    input type="hidden" name="sitzung" value=(short_id(&s.id_hash));
                                    button.secondary type="submit" { "Beenden" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html(
        Page::new("Konto")
            .nav(user.nav())
            .flash(flash_msg)
            .render(body),
    ))
}

#[derive(Deserialize, Default)]
/// Every field defaults, so that a malformed form is refused after the role check,
/// not before it.
#[serde(default)]
pub struct PasswordChange {
    current: String,
    new: String,
    new2: String,
    andere_beenden: Option<String>,
}

/// `POST /konto/passwort`: needs the current password; can end the other sessions.
pub async fn change_password(
    state: Data<AppState>,
    user: CurrentUser,
    form: Form<PasswordChange>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    check_password_throttle(&state, &user).await?;
    let ok = state
        .hasher
        .verify(form.current.clone(), user.user.password_hash.clone())
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let event = user.event("passwort_geaendert");
    if !ok {
        count_password_failure(&state, &user).await?;
        event
            .result("fehlgeschlagen")
            .detail("aktuelles passwort falsch")
            .record(&state)
            .await?;
        flash(
            &state,
            &user.session,
            FlashKind::Error,
            "Das aktuelle Passwort ist falsch.",
        )
        .await?;
        return Ok(see_other("/konto"));
    }
    if form.new != form.new2 {
        flash(
            &state,
            &user.session,
            FlashKind::Error,
            "Die beiden neuen Passwörter stimmen nicht überein.",
        )
        .await?;
        return Ok(see_other("/konto"));
    }
    let context = [
        user.school.name.as_str(),
        user.user.login.as_str(),
        user.user.display_name.as_str(),
    ];
    let normalized = match password::check_new_password(&form.new, &context) {
        Ok(p) => p,
        Err(reason) => {
            flash(&state, &user.session, FlashKind::Error, &reason).await?;
            return Ok(see_other("/konto"));
        }
    };
    let hash = state
        .hasher
        .hash(normalized)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let keep = user.session.row.id_hash.clone();
    let end_others = form.andere_beenden.is_some();
    let ended = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                users::set_password_hash(c, user_id, &hash)?;
                if end_others {
                    sessions::delete_for_user(c, school_id, user_id, Some(&keep))
                } else {
                    Ok(0)
                }
            })
        })
        .await?;
    event
        .detail(format!("andere sitzungen beendet={ended}"))
        .record(&state)
        .await?;
    flash(
        &state,
        &user.session,
        FlashKind::Success,
        "Ihr Passwort wurde geändert.",
    )
    .await?;
    Ok(see_other("/konto"))
}

#[derive(Debug, Deserialize, Default)]
/// Every field defaults, so that a malformed form is refused after the role check,
/// not before it.
#[serde(default)]
pub struct EndSession {
    sitzung: String,
}

/// `POST /konto/sitzungen/beenden`: ends one of the user's own sessions.
pub async fn end_session(
    state: Data<AppState>,
    user: CurrentUser,
    form: Form<EndSession>,
) -> AppResult<HttpResponse> {
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let prefix = form.sitzung.clone();
    let ended = state
        .db
        .run(move |c| {
            let list = sessions::list_for_user(c, school_id, user_id)?;
            match list
                .iter()
                .find(|s| s.id_hash.len() >= 16 && short_id(&s.id_hash) == prefix)
            {
                Some(s) => sessions::delete(c, &s.id_hash),
                None => Ok(0),
            }
        })
        .await?;
    user.event("sitzung_beendet")
        .result(if ended == 1 {
            "erfolg"
        } else {
            "nicht_gefunden"
        })
        .record(&state)
        .await?;
    flash(
        &state,
        &user.session,
        FlashKind::Success,
        "Die Sitzung wurde beendet.",
    )
    .await?;
    Ok(see_other("/konto"))
}

/// `GET /konto/faktoren`: after a fresh second factor and the password.
pub async fn factors_page(state: Data<AppState>, elevated: Elevated) -> AppResult<HttpResponse> {
    let user = elevated.user;
    if !fresh_elevation(&user) {
        return Ok(see_other("/step-up?next=%2Fkonto%2Ffaktoren"));
    }
    let flash_msg = session::take_flash(&state, &user.session).await?;
    let csrf = user.session.csrf();
    if !factor_change_allowed(&state, &user.session) {
        let body = markup! {
            p { "Zum Ändern Ihrer Faktoren bestätigen Sie bitte zusätzlich Ihr Passwort." }
            form.stack method="post" action="/konto/freigabe" {
                (csrf_field(csrf))
                input type="text" name="username" autocomplete="username" value=(user.user.login) hidden;
                label for="password" { "Passwort" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Weiter" }
            }
        };
        return Ok(html(
            Page::new("Faktoren verwalten")
                .nav(user.nav())
                .flash(flash_msg)
                .render(body),
        ));
    }
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let (totps, keys, codes) = state
        .db
        .run(move |c| {
            Ok((
                factors::totps_of(c, school_id, user_id)?,
                factors::webauthn_of(c, school_id, user_id)?,
                factors::unused_recovery_codes(c, school_id, user_id)?,
            ))
        })
        .await?;
    let body = markup! {
        table.factors {
            thead { tr { th { "Art" } th { "Bezeichnung" } th { "Eingerichtet (UTC)" } th {} } }
            tbody {
                @for f in totps.iter().filter(|f| f.active) {
                    tr { td { "Authenticator (TOTP)" } td { (f.label) } td { (f.created_at.format("%d.%m.%Y")) }
                         td { (remove_button(csrf, "totp", f.id)) } }
                }
                @for k in &keys {
                    tr { td { "Passkey / Sicherheitsschlüssel" } td { (k.label) } td { (k.created_at.format("%d.%m.%Y")) }
                         td { (remove_button(csrf, "webauthn", k.id)) } }
                }
            }
        }
        h2 { "Faktor hinzufügen" }
        form method="post" action="/konto/totp/neu" {
            (csrf_field(csrf))
            button type="submit" { "Authenticator-App oder Hardware-Token hinzufügen" }
        }
        form.webauthn-register.stack data-csrf=(csrf) data-done="/konto/faktoren" hidden {
            label for="label" { "Bezeichnung des Passkeys" }
            input id="label" name="label" value="Passkey" maxlength="60";
            button type="submit" { "Passkey registrieren" }
            p.webauthn-status role="status" {}
        }
        h2 { "Wiederherstellungscodes" }
        p { "Noch " (codes) " unbenutzte Codes." }
        form method="post" action="/konto/codes" {
            (csrf_field(csrf))
            button.secondary type="submit" { "Neue Codes erzeugen (alte werden ungültig)" }
        }
    };
    Ok(html(
        Page::new("Faktoren verwalten")
            .nav(user.nav())
            .flash(flash_msg)
            .script("/static/webauthn.js")
            .render(body),
    ))
}

fn remove_button(csrf: &str, kind: &str, id: i64) -> Markup {
    markup! {
        form method="post" action="/konto/faktor/entfernen" {
            (csrf_field(csrf))
            input type="hidden" name="art" value=(kind);
            input type="hidden" name="id" value=(id);
            button.danger type="submit" { "Entfernen" }
        }
    }
}

#[derive(Deserialize, Default)]
/// Every field defaults, so that a malformed form is refused after the role check,
/// not before it.
#[serde(default)]
pub struct Release {
    password: String,
}

/// `POST /konto/freigabe`: password check that opens the factor changes for ten minutes.
pub async fn release(
    state: Data<AppState>,
    elevated: Elevated,
    form: Form<Release>,
) -> AppResult<HttpResponse> {
    let user = elevated.user;
    if !fresh_elevation(&user) {
        return Ok(see_other("/step-up?next=%2Fkonto%2Ffaktoren"));
    }
    check_password_throttle(&state, &user).await?;
    let ok = state
        .hasher
        .verify(form.password.clone(), user.user.password_hash.clone())
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if !ok {
        count_password_failure(&state, &user).await?;
        user.event("faktoren_freigabe")
            .result("fehlgeschlagen")
            .record(&state)
            .await?;
        flash(
            &state,
            &user.session,
            FlashKind::Error,
            "Das Passwort ist falsch.",
        )
        .await?;
        return Ok(see_other("/konto/faktoren"));
    }
    let marker = format!("{RELEASE_PREFIX}{}", user.now.timestamp());
    let id = user.session.row.id_hash.clone();
    state
        .db
        .run(move |c| sessions::set_pending(c, &id, Some(&marker)))
        .await?;
    user.event("faktoren_freigabe").record(&state).await?;
    Ok(see_other("/konto/faktoren"))
}

/// The user, if the factor-change release is valid; else a redirect.
fn released(state: &AppState, user: &CurrentUser) -> Option<HttpResponse> {
    (!factor_change_allowed(state, &user.session)).then(|| see_other("/konto/faktoren"))
}

/// `POST /konto/totp/neu`: a new pending TOTP factor, shown as QR code and key.
pub async fn totp_new(state: Data<AppState>, elevated: Elevated) -> AppResult<HttpResponse> {
    let user = elevated.user;
    if let Some(r) = released(&state, &user) {
        return Ok(r);
    }
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let secret = totp::new_secret();
    let sealed =
        totp::seal(&state.keys, user_id, &secret).map_err(|e| AppError::Internal(e.into()))?;
    let now = user.now.naive_utc();
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                factors::delete_pending_totps(c, school_id, user_id)?;
                factors::create_totp(c, school_id, user_id, "Authenticator", &sealed, false, now)
            })
        })
        .await?;
    let t = totp::build(
        &secret,
        &format!("{} ({})", user.user.login, user.school.name),
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let svg = totp::qr_svg(&t).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let csrf = user.session.csrf();
    Ok(html(Page::new("Authenticator hinzufügen").nav(user.nav()).render(markup! {
        div.qr { (PreEscaped(svg)) }
        p { "Schlüssel zum Eintippen: " code.manual-key { (totp::manual_key(&secret)) } }
        form.stack method="post" action="/konto/totp/aktivieren" {
            (csrf_field(csrf))
            label for="code" { "Sechsstelliger Code aus der App" }
            input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required;
            button type="submit" { "Aktivieren" }
        }
    })))
}

#[derive(Debug, Deserialize)]
pub struct CodeOnly {
    code: String,
}

/// `POST /konto/totp/aktivieren`.
pub async fn totp_activate(
    state: Data<AppState>,
    elevated: Elevated,
    form: Form<CodeOnly>,
) -> AppResult<HttpResponse> {
    let user = elevated.user;
    if let Some(r) = released(&state, &user) {
        return Ok(r);
    }
    let ok = activate_pending_totp(&state, user.school_id(), user.user.id, &form.code).await?;
    user.event("faktor_hinzugefuegt")
        .result(if ok { "erfolg" } else { "fehlgeschlagen" })
        .detail("typ=totp")
        .record(&state)
        .await?;
    let (kind, text) = if ok {
        (FlashKind::Success, "Der Authenticator wurde hinzugefügt.")
    } else {
        (
            FlashKind::Error,
            "Der Code passt nicht; der neue Authenticator wurde nicht aktiviert.",
        )
    };
    flash(&state, &user.session, kind, text).await?;
    Ok(see_other("/konto/faktoren"))
}

#[derive(Debug, Deserialize, Default)]
/// Every field defaults, so that a malformed form is refused after the role check,
/// not before it.
#[serde(default)]
pub struct RemoveFactor {
    art: String,
    id: i64,
}

/// `POST /konto/faktor/entfernen`: refuses to remove the last factor.
pub async fn remove_factor(
    state: Data<AppState>,
    elevated: Elevated,
    form: Form<RemoveFactor>,
) -> AppResult<HttpResponse> {
    let user = elevated.user;
    if let Some(r) = released(&state, &user) {
        return Ok(r);
    }
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let RemoveFactor { art, id } = form.into_inner();
    let kind = art.clone();
    let outcome = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                if factors::active_factor_count(c, school_id, user_id)? <= 1 {
                    return Ok(Err("Der letzte zweite Faktor kann nicht entfernt werden. Fügen Sie zuerst einen weiteren hinzu."));
                }
                let n = match kind.as_str() {
                    "totp" => factors::delete_totp(c, school_id, user_id, id)?,
                    "webauthn" => factors::delete_webauthn(c, school_id, user_id, id)?,
                    _ => 0,
                };
                Ok(if n == 1 { Ok(()) } else { Err("Dieser Faktor wurde nicht gefunden.") })
            })
        })
        .await?;
    let event = user.event("faktor_entfernt").detail(format!("typ={art}"));
    match outcome {
        Ok(()) => {
            event.record(&state).await?;
            flash(
                &state,
                &user.session,
                FlashKind::Success,
                "Der Faktor wurde entfernt.",
            )
            .await?;
        }
        Err(msg) => {
            event.result("verweigert").record(&state).await?;
            flash(&state, &user.session, FlashKind::Error, msg).await?;
        }
    }
    Ok(see_other("/konto/faktoren"))
}

/// `POST /konto/codes`: replaces the recovery codes and shows the new ones once.
pub async fn regenerate_codes(
    state: Data<AppState>,
    elevated: Elevated,
) -> AppResult<HttpResponse> {
    let user = elevated.user;
    if let Some(r) = released(&state, &user) {
        return Ok(r);
    }
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let (codes, hashes) = recovery::generate();
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                factors::replace_recovery_codes(c, school_id, user_id, &hashes)
            })
        })
        .await?;
    user.event("wiederherstellungscodes_erzeugt")
        .record(&state)
        .await?;
    Ok(html(codes_page(&codes, "/konto/faktoren")))
}
