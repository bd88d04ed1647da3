//! Administration of accounts (Schulleitung and Administration, with step-up): create users
//! with a setup link, deactivate (ends all sessions at once), reset factors (the user
//! re-enrols via a new link; the admin never sees a secret), and who has not enrolled yet.
//! The school policy is the headteacher's (the audit log viewer is `crate::gdpr::audit_view`).

use crate::auth::Elevated;
use crate::auth::extract::{Admin, Headteacher};
use crate::auth::roles::Role;
use crate::crypto::{random_token, sha256_hex};
use crate::db::{factors, schools, sessions, users};
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::{FlashKind, Page, csrf_field};
use crate::web::session;
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path};
use chrono::Duration;
use maud::{Markup, html as markup};
use serde::Deserialize;

/// Creates a setup token for the user and returns the link (shown once to the admin).
async fn new_setup_link(state: &AppState, school_id: i64, user_id: i64) -> AppResult<String> {
    let token = random_token::<32>();
    let hash = sha256_hex(token.as_bytes());
    let now = state.clock.now().naive_utc();
    let until = now + Duration::hours(state.settings.security.setup_link_valid_hours);
    state
        .db
        .run(move |c| users::create_setup_token(c, school_id, user_id, &hash, now, until))
        .await?;
    Ok(format!(
        "{}/einrichtung/{token}",
        state.origin.origin().ascii_serialization()
    ))
}

fn link_page(elevated: &Elevated<Admin>, title: &str, who: &str, link: &str, hours: i64) -> Markup {
    Page::new(title).nav(elevated.user.nav()).render(markup! {
        p { "Geben Sie diesen einmaligen Einrichtungslink an " strong { (who) } " weiter \
             (persönlich oder auf einem sicheren Weg). Er gilt " (hours) " Stunden und nur einmal; \
             er wird nicht erneut angezeigt." }
        p { code.setup-link { (link) } }
        p { a href="/verwaltung/benutzer" { "Zurück zur Benutzerliste" } }
    })
}

/// `GET /verwaltung/benutzer`.
pub async fn list(state: Data<AppState>, elevated: Elevated<Admin>) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let flash = session::take_flash(&state, &user.session).await?;
    let school_id = user.school_id();
    let today = user.now.date_naive();
    let rows = state
        .db
        .run(move |c| {
            let mut out = Vec::new();
            for u in users::list_in_school(c, school_id)? {
                let roles = users::roles_on(c, school_id, u.id, today)?;
                let n = factors::active_factor_count(c, school_id, u.id)?;
                out.push((u, roles, n));
            }
            Ok(out)
        })
        .await?;
    user.event("benutzerliste_angezeigt").record(&state).await?;
    let csrf = user.session.csrf();
    let pending: Vec<_> = rows
        .iter()
        .filter(|(u, _, _)| u.active && !u.setup_complete)
        .collect();
    let body = markup! {
        h2 { "Noch nicht eingerichtet" }
        @if pending.is_empty() { p { "Alle aktiven Konten sind eingerichtet." } } @else {
            ul.not-enrolled { @for (u, _, _) in &pending { li { (u.display_name) " (" (u.login) ")" } } }
        }
        h2 { "Alle Konten" }
        table.users {
            thead { tr { th { "Name" } th { "Anmeldename" } th { "Rollen" } th { "Status" } th { "Faktoren" } th { "Aktionen" } } }
            tbody {
                @for (u, roles, n) in &rows {
                    tr data-login=(u.login) {
                        td { (u.display_name) }
                        td { (u.login) }
                        td { (roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")) }
                        td.status { @if !u.active { "deaktiviert" } @else if !u.setup_complete { "nicht eingerichtet" } @else { "aktiv" } }
                        td { (n) }
                        td {
                            @if u.active && u.id != user.user.id {
                                form method="post" action={ "/verwaltung/benutzer/" (u.id) "/deaktivieren" } {
                                    (csrf_field(csrf)) button.danger type="submit" { "Deaktivieren" }
                                }
                                form method="post" action={ "/verwaltung/benutzer/" (u.id) "/zuruecksetzen" } {
                                    (csrf_field(csrf)) button.secondary type="submit" { "Zugang zurücksetzen" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Konto anlegen" }
        form.stack method="post" action="/verwaltung/benutzer/neu" {
            (csrf_field(csrf))
            label for="display_name" { "Name" }
            input id="display_name" name="display_name" required maxlength="120";
            label for="login" { "Anmeldename" }
            input id="login" name="login" required maxlength="64" autocapitalize="none";
            label for="role" { "Rolle" }
            select id="role" name="role" {
                @for r in Role::ALL {
                    @if r != Role::Schulleitung || user.has(Role::Schulleitung) { option value=(r.as_str()) { (r.label()) } }
                }
            }
            button type="submit" { "Anlegen und Einrichtungslink erzeugen" }
        }
    };
    Ok(html(
        Page::new("Benutzer")
            .nav(user.nav())
            .flash(flash)
            .render(body),
    ))
}

#[derive(Debug, Deserialize, Default)]
/// Every field defaults, so that a malformed form is refused after the role check,
/// not before it.
#[serde(default)]
pub struct NewUser {
    display_name: String,
    login: String,
    role: String,
}

/// `POST /verwaltung/benutzer/neu`.
pub async fn create(
    state: Data<AppState>,
    elevated: Elevated<Admin>,
    form: Form<NewUser>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let NewUser {
        display_name,
        login,
        role,
    } = form.into_inner();
    let login = users::normalize_login(&login);
    let Some(role) = Role::parse(&role) else {
        return Err(AppError::BadRequest(
            "Feld »Rolle«: unbekannte Rolle.".into(),
        ));
    };
    // Only a headteacher appoints another headteacher.
    if role == Role::Schulleitung && !user.has(Role::Schulleitung) {
        return Err(AppError::Forbidden);
    }
    let error = if display_name.trim().is_empty() {
        Some("Feld »Name«: bitte ausfüllen.")
    } else if login.len() < 2 || login.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("Feld »Anmeldename«: mindestens 2 Zeichen, keine Leerzeichen.")
    } else {
        None
    };
    if let Some(e) = error {
        return session::flash_and_redirect(
            &state,
            &user.session,
            FlashKind::Error,
            e,
            "/verwaltung/benutzer",
        )
        .await;
    }
    let school_id = user.school_id();
    let now = user.now.naive_utc();
    let name = display_name.trim().to_owned();
    let l = login.clone();
    // Unique across every database; the transaction below checks its own database again.
    let l2 = login.clone();
    let taken = !state
        .db
        .find_everywhere(move |c| users::find_by_login(c, &l2))
        .await?
        .is_empty();
    let created = if taken {
        None
    } else {
        state
            .db
            .run(move |c| {
                crate::db::write_transaction(c, |c| {
                    if users::find_by_login(c, &l)?.is_some() {
                        return Ok(None);
                    }
                    let u = users::create(c, school_id, &l, &name, now)?;
                    users::assign_role(c, school_id, u.id, role, None)?;
                    Ok(Some(u))
                })
            })
            .await?
    };
    let Some(new_user) = created else {
        return session::flash_and_redirect(
            &state,
            &user.session,
            FlashKind::Error,
            format!("Feld »Anmeldename«: »{login}« ist bereits vergeben."),
            "/verwaltung/benutzer",
        )
        .await;
    };
    user.event("benutzer_angelegt")
        .object(format!("benutzer:{}", new_user.id))
        .detail(format!("rolle={}", role.as_str()))
        .record(&state)
        .await?;
    let link = new_setup_link(&state, school_id, new_user.id).await?;
    Ok(html(link_page(
        &elevated,
        "Konto angelegt",
        &new_user.display_name,
        &link,
        state.settings.security.setup_link_valid_hours,
    )))
}

/// A user of the administrator's own school; another school's id is audited and 404.
async fn target(
    state: &AppState,
    admin: &crate::auth::CurrentUser,
    id: i64,
) -> AppResult<users::User> {
    let school_id = admin.school_id();
    let found = state
        .db
        .run(move |c| users::find_in_school(c, school_id, id))
        .await?;
    match found {
        Some(u) => Ok(u),
        None => {
            admin
                .event("zugriff_verweigert")
                .object(format!("benutzer:{id}"))
                .result("verweigert")
                .record(state)
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// `POST /verwaltung/benutzer/{id}/deaktivieren`: ends all the user's sessions at once.
pub async fn deactivate(
    state: Data<AppState>,
    elevated: Elevated<Admin>,
    id: Path<i64>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let t = target(&state, user, *id).await?;
    if t.id == user.user.id {
        return Err(AppError::BadRequest(
            "Sie können Ihr eigenes Konto nicht deaktivieren.".into(),
        ));
    }
    let tid = t.id;
    let now = user.now.naive_utc();
    let ended = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                users::set_active(c, tid, false)?;
                users::revoke_setup_tokens(c, school_id, tid, now)?;
                sessions::delete_for_user(c, school_id, tid, None)
            })
        })
        .await?;
    user.event("benutzer_deaktiviert")
        .object(format!("benutzer:{tid}"))
        .detail(format!("sitzungen beendet={ended}"))
        .record(&state)
        .await?;
    session::flash_and_redirect(
        &state,
        &user.session,
        FlashKind::Success,
        format!(
            "{} wurde deaktiviert; alle Sitzungen sind beendet.",
            t.display_name
        ),
        "/verwaltung/benutzer",
    )
    .await
}

/// `POST /verwaltung/benutzer/{id}/zuruecksetzen`: removes password, factors and recovery
/// codes, ends all sessions, and issues a new setup link.
pub async fn reset(
    state: Data<AppState>,
    elevated: Elevated<Admin>,
    id: Path<i64>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let t = target(&state, user, *id).await?;
    if t.id == user.user.id {
        return Err(AppError::BadRequest(
            "Ihren eigenen Zugang ändern Sie unter »Konto«.".into(),
        ));
    }
    let tid = t.id;
    let now = user.now.naive_utc();
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                factors::delete_all_factors(c, school_id, tid)?;
                users::revoke_setup_tokens(c, school_id, tid, now)?;
                users::clear_password(c, tid)?;
                users::set_setup_complete(c, tid, false)?;
                sessions::delete_for_user(c, school_id, tid, None)?;
                Ok(())
            })
        })
        .await?;
    user.event("zugang_zurueckgesetzt")
        .object(format!("benutzer:{tid}"))
        .record(&state)
        .await?;
    let link = new_setup_link(&state, school_id, tid).await?;
    Ok(html(link_page(
        &elevated,
        "Zugang zurückgesetzt",
        &t.display_name,
        &link,
        state.settings.security.setup_link_valid_hours,
    )))
}

/// `GET /verwaltung/einstellungen` (Schulleitung).
pub async fn settings(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let flash = session::take_flash(&state, &user.session).await?;
    let policy = user.school.second_factor_policy.as_str();
    let csrf = user.session.csrf();
    let body = markup! {
        h2 { "Zweiter Faktor" }
        form.stack method="post" action="/verwaltung/einstellungen" {
            (csrf_field(csrf))
            label.check { input type="radio" name="second_factor" value="lesson_mode" checked[policy == "lesson_mode"];
                " Unterrichtsmodus: heutiger eigener Unterricht mit Passwort, alles andere mit zweitem Faktor (Standard)" }
            label.check { input type="radio" name="second_factor" value="always" checked[policy == "always"];
                " Immer: zweiter Faktor bei jeder Anmeldung" }
            button type="submit" { "Speichern" }
        }
        h2 { "Datenschutz" }
        ul.privacy-links {
            li { a href="/verwaltung/protokoll" { "Protokoll ansehen" } }
            li { a href="/verwaltung/auskunft" { "Auskunft und Datenexport (Art. 15, 20 DSGVO)" } }
            li { a href="/verwaltung/loeschung" { "Löschung und Aufbewahrung" } }
            li { a href="/verwaltung/datenpanne" { "Datenpanne: Meldung vorbereiten (Art. 33 DSGVO)" } }
        }
        p { a href="/verwaltung/schulangaben" { "Angaben der Schule (Anschrift, Datenschutzbeauftragte, Hosting)" }
            " · " a href="/verwaltung/dienstanweisung" { "Dienstanweisung" }
            " · " a href="/verwaltung/dokumentation" { "Dokumentation für den Datenschutz" } }
    };
    Ok(html(
        Page::new("Einstellungen")
            .nav(user.nav())
            .flash(flash)
            .render(body),
    ))
}

#[derive(Debug, Deserialize, Default)]
/// Every field defaults, so that a malformed form is refused after the role check,
/// not before it.
#[serde(default)]
pub struct PolicyForm {
    second_factor: String,
}

/// `POST /verwaltung/einstellungen`.
pub async fn save_settings(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    form: Form<PolicyForm>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let policy = match form.second_factor.as_str() {
        p @ ("lesson_mode" | "always") => p.to_owned(),
        _ => {
            return Err(AppError::BadRequest(
                "Feld »Zweiter Faktor«: unbekannte Einstellung.".into(),
            ));
        }
    };
    let school_id = user.school_id();
    let old = user.school.second_factor_policy.clone();
    let p = policy.clone();
    state
        .db
        .run(move |c| schools::set_policy(c, school_id, &p))
        .await?;
    user.event("einstellung_geaendert")
        .object("second_factor")
        .detail(format!("{old} -> {policy}"))
        .record(&state)
        .await?;
    session::flash_and_redirect(
        &state,
        &user.session,
        FlashKind::Success,
        "Einstellung gespeichert.",
        "/verwaltung/einstellungen",
    )
    .await
}
