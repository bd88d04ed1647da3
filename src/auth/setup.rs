//! First sign-in from a one-time setup link: set a password, enrol a second factor,
//! receive recovery codes, acknowledge the privacy notice and the terms of use. Nobody
//! reaches the register before every step is done.

use crate::auth::login::respond_with_session;
use crate::auth::{password, recovery, totp};
use crate::crypto::sha256_hex;
use crate::db::schools::{self, School};
use crate::db::users::{self, User};
use crate::db::{acks, factors};
use crate::error::{AppError, AppResult};
use crate::legal::{self, Document};
use crate::startup::AppState;
use crate::web::page::{Page, csrf_field};
use crate::web::session::{self, Session, Visitor, stage};
use crate::web::{html, see_other};
use actix_web::web::{Data, Form, Path};
use actix_web::{HttpRequest, HttpResponse};
use maud::{Markup, PreEscaped, html as markup};
use serde::Deserialize;

/// Documents every user acknowledges before the register opens.
pub const REQUIRED_DOCUMENTS: [Document; 2] =
    [Document::Datenschutz, Document::Nutzungsbedingungen];

/// The steps of the first sign-in, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Password,
    Factor,
    RecoveryCodes,
    Acknowledge,
    Done,
}

/// The first step not yet done.
pub fn next_step(conn: &mut crate::db::DbConnection, user: &User) -> diesel::QueryResult<Step> {
    if user.password_hash.is_none() {
        return Ok(Step::Password);
    }
    if factors::active_factor_count(conn, user.school_id, user.id)? == 0 {
        return Ok(Step::Factor);
    }
    if factors::unused_recovery_codes(conn, user.school_id, user.id)? == 0 {
        return Ok(Step::RecoveryCodes);
    }
    for doc in REQUIRED_DOCUMENTS {
        if !acks::has(conn, user.id, doc.key(), &legal::version(doc))? {
            return Ok(Step::Acknowledge);
        }
    }
    Ok(Step::Done)
}

/// The session, user and school of a first sign-in in progress.
pub struct SetupContext {
    pub session: Session,
    pub user: User,
    pub school: School,
}

/// Loads the setup context or refuses.
pub async fn setup_context(state: &AppState, visitor: Visitor) -> AppResult<SetupContext> {
    let Some(session) = visitor.0.filter(|s| s.row.stage == stage::SETUP) else {
        return Err(AppError::LoginRequired { next: "/".into() });
    };
    let (Some(school_id), Some(user_id)) = (session.row.school_id, session.row.user_id) else {
        return Err(AppError::LoginRequired { next: "/".into() });
    };
    let found = state
        .db
        .run(move |c| {
            let u = users::find_in_school(c, school_id, user_id)?;
            let s = schools::find(c, school_id)?;
            Ok(u.zip(s))
        })
        .await?;
    match found {
        Some((user, school)) if user.active => Ok(SetupContext {
            session,
            user,
            school,
        }),
        _ => Err(AppError::LoginRequired { next: "/".into() }),
    }
}

fn link_gone() -> HttpResponse {
    HttpResponse::Gone()
        .content_type("text/html; charset=utf-8")
        .body(
            Page::new("Einrichtungslink ungültig")
                .render(markup! {
                    p { "Dieser Einrichtungslink ist abgelaufen oder wurde bereits verwendet. \
                         Bitte wenden Sie sich an die Administration Ihrer Schule; sie kann \
                         Ihnen einen neuen Link ausstellen." }
                })
                .into_string(),
        )
}

/// `GET /einrichtung/{token}`: shows whom the link is for, without using it up (a link
/// preview in a mail or chat program must not spend it). Starting is a POST.
pub async fn confirm(
    req: HttpRequest,
    state: Data<AppState>,
    visitor: Visitor,
    token: Path<String>,
) -> AppResult<HttpResponse> {
    let hash = sha256_hex(token.as_bytes());
    let now = state.clock.now().naive_utc();
    // The link names no database: look in each (the token is in at most one).
    let user = state
        .db
        .find_everywhere(move |c| users::peek_setup_token(c, &hash, now))
        .await?
        .pop()
        .map(|(_, user)| user);
    let Some(user) = user else {
        return Ok(link_gone());
    };
    let (session, fresh) = match visitor.0 {
        Some(s) if s.row.stage == stage::ANONYMOUS => (s, false),
        _ => (
            session::create(&req, &state, None, None, stage::ANONYMOUS).await?,
            true,
        ),
    };
    let mut resp = html(Page::new("Ersteinrichtung").render(markup! {
        p { "Dieser Link richtet das Konto " strong { (user.login) } " (" (user.display_name) ") ein: \
             Sie legen ein Passwort fest, richten einen zweiten Faktor ein und erhalten \
             Wiederherstellungscodes. Der Link gilt nur einmal." }
        form method="post" action={ "/einrichtung/" (token.as_str()) } {
            (csrf_field(session.csrf()))
            button type="submit" { "Einrichtung beginnen" }
        }
    }));
    if fresh && let Some(raw) = &session.renewed_cookie {
        resp.add_cookie(&session::session_cookie(raw))
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(resp)
}

/// `POST /einrichtung/{token}`: redeems the one-time link and starts the setup session.
pub async fn redeem(
    req: HttpRequest,
    state: Data<AppState>,
    visitor: Visitor,
    token: Path<String>,
) -> AppResult<HttpResponse> {
    let hash = sha256_hex(token.as_bytes());
    let now = state.clock.now().naive_utc();
    // The link names no database: look in each (the token is in at most one).
    let user = state
        .db
        .find_everywhere(move |c| users::redeem_setup_token(c, &hash, now))
        .await?
        .pop()
        .map(|(_, user)| user);
    let Some(user) = user else {
        crate::audit::Event::new("einrichtungslink")
            .result("ungueltig")
            .client(crate::web::session::client_addr(&req))
            .record(&state)
            .await?;
        return Ok(link_gone());
    };
    let s = match visitor.0 {
        Some(old) => {
            session::renew(
                &req,
                &state,
                &old,
                Some(user.school_id),
                Some(user.id),
                stage::SETUP,
                false,
            )
            .await?
        }
        None => {
            session::create(
                &req,
                &state,
                Some(user.school_id),
                Some(user.id),
                stage::SETUP,
            )
            .await?
        }
    };
    crate::audit::Event::new("einrichtungslink")
        .school(user.school_id)
        .actor(user.id)
        .record(&state)
        .await?;
    respond_with_session(&s, "/einrichtung")
}

fn progress(step: Step) -> Markup {
    let steps = [
        (Step::Password, "Passwort"),
        (Step::Factor, "Zweiter Faktor"),
        (Step::RecoveryCodes, "Wiederherstellungscodes"),
        (Step::Acknowledge, "Hinweise bestätigen"),
    ];
    markup! {
        ol.progress {
            @for (s, label) in steps {
                @if s == step { li aria-current="step" { strong { (label) } } } @else { li { (label) } }
            }
        }
    }
}

/// `GET /einrichtung`: shows the next step.
pub async fn show(state: Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    let ctx = setup_context(&state, visitor).await?;
    render_step(&state, &ctx, None).await
}

async fn render_step(
    state: &AppState,
    ctx: &SetupContext,
    error: Option<String>,
) -> AppResult<HttpResponse> {
    let user = ctx.user.clone();
    let step = state.db.run(move |c| next_step(c, &user)).await?;
    let csrf = ctx.session.csrf();
    let err = markup! { @if let Some(e) = &error { p.flash.err role="alert" { (e) } } };
    let body = match step {
        Step::Password => markup! {
            (progress(step)) (err)
            p { "Willkommen, " (ctx.user.display_name) ". Legen Sie zuerst Ihr Passwort fest: \
                 mindestens 15 Zeichen. Ein Satz aus mehreren Wörtern ist leicht zu merken und sicher." }
            form.stack method="post" action="/einrichtung/passwort" {
                (csrf_field(csrf))
                input type="text" name="username" autocomplete="username" value=(ctx.user.login) hidden;
                label for="password" { "Neues Passwort" }
                input id="password" name="password" type="password" autocomplete="new-password" required minlength="15" maxlength="128";
                label for="password2" { "Passwort wiederholen" }
                input id="password2" name="password2" type="password" autocomplete="new-password" required;
                button type="submit" { "Passwort festlegen" }
            }
        },
        Step::Factor => factor_step(state, ctx, csrf, err).await?,
        Step::RecoveryCodes => markup! {
            (progress(step)) (err)
            p { "Wenn Ihr zweiter Faktor verloren geht, melden Sie sich mit einem \
                 Wiederherstellungscode an. Sie erhalten 10 Codes, die nur einmal angezeigt werden." }
            form method="post" action="/einrichtung/codes" {
                (csrf_field(csrf))
                button type="submit" { "Wiederherstellungscodes erzeugen" }
            }
        },
        Step::Acknowledge => markup! {
            (progress(step)) (err)
            p { "Bitte lesen und bestätigen Sie:" }
            form.stack method="post" action="/einrichtung/bestaetigen" {
                (csrf_field(csrf))
                @for doc in REQUIRED_DOCUMENTS {
                    label.check {
                        input type="checkbox" name=(doc.key()) value="ja" required;
                        " Ich habe die "
                        a href={ "/" (doc.key()) } target="_blank" { (doc.title()) }
                        " (Fassung " (legal::version(doc)) ") gelesen und erkenne sie an."
                    }
                }
                button type="submit" { "Bestätigen und Klassenbuch öffnen" }
            }
        },
        Step::Done => return finish(state, ctx).await,
    };
    Ok(html(
        Page::new("Ersteinrichtung")
            .script("/static/webauthn.js")
            .render(body),
    ))
}

async fn factor_step(
    state: &AppState,
    ctx: &SetupContext,
    csrf: &str,
    err: Markup,
) -> AppResult<Markup> {
    let (school_id, user_id) = (ctx.user.school_id, ctx.user.id);
    let keys = state.keys.clone();
    let now = state.clock.now().naive_utc();
    let secret = state
        .db
        .run(move |c| {
            let pending = factors::totps_of(c, school_id, user_id)?
                .into_iter()
                .find(|f| !f.active);
            match pending {
                Some(f) => Ok(totp::open(&keys, user_id, &f.secret_enc).ok()),
                None => {
                    let secret = totp::new_secret();
                    let Ok(sealed) = totp::seal(&keys, user_id, &secret) else {
                        return Ok(None);
                    };
                    factors::create_totp(
                        c,
                        school_id,
                        user_id,
                        "Authenticator",
                        &sealed,
                        false,
                        now,
                    )?;
                    Ok(Some(secret.to_vec()))
                }
            }
        })
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("TOTP-Schlüssel nicht lesbar")))?;
    let account = format!("{} ({})", ctx.user.login, ctx.school.name);
    let t = totp::build(&secret, &account).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let svg = totp::qr_svg(&t).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    Ok(markup! {
        (progress(Step::Factor)) (err)
        p { "Richten Sie einen zweiten Faktor ein – am besten auf einem anderen Gerät als dem, \
             mit dem Sie sich anmelden." }
        section.factor {
            h2 { "Authenticator-App oder Hardware-Token (TOTP)" }
            div.qr { (PreEscaped(svg)) }
            p { "Schlüssel zum Eintippen: " code.manual-key { (totp::manual_key(&secret)) } }
            form.stack method="post" action="/einrichtung/totp" {
                (csrf_field(csrf))
                label for="code" { "Sechsstelliger Code aus der App" }
                input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required;
                button type="submit" { "Code prüfen und aktivieren" }
            }
        }
        section.factor {
            h2 { "Passkey oder Sicherheitsschlüssel" }
            p { "Mit Fingerabdruck, Gesichtserkennung, PIN oder einem Sicherheitsschlüssel (FIDO2)." }
            form.webauthn-register data-csrf=(csrf) data-done="/einrichtung" {
                label for="label" { "Bezeichnung" }
                input id="label" name="label" value="Passkey" maxlength="60";
                button type="submit" { "Passkey registrieren" }
                p.webauthn-status role="status" {}
            }
        }
    })
}

async fn finish(state: &AppState, ctx: &SetupContext) -> AppResult<HttpResponse> {
    let user_id = ctx.user.id;
    state
        .db
        .run(move |c| users::set_setup_complete(c, user_id, true))
        .await?;
    crate::audit::Event::new("einrichtung_abgeschlossen")
        .school(ctx.user.school_id)
        .actor(ctx.user.id)
        .assurance("aal1")
        .record(state)
        .await?;
    // A Done step is reached from a POST or GET of the setup session; the request is needed
    // for the new session's metadata, so the renewal happens in the callers' redirect target.
    Ok(see_other("/einrichtung/fertig"))
}

/// `GET /einrichtung/fertig`: turns the setup session into a signed-in session.
pub async fn complete(
    req: HttpRequest,
    state: Data<AppState>,
    visitor: Visitor,
) -> AppResult<HttpResponse> {
    let ctx = setup_context(&state, visitor).await?;
    let user = ctx.user.clone();
    if state.db.run(move |c| next_step(c, &user)).await? != Step::Done {
        return Ok(see_other("/einrichtung"));
    }
    let s = session::renew(
        &req,
        &state,
        &ctx.session,
        Some(ctx.user.school_id),
        Some(ctx.user.id),
        stage::FULL,
        false,
    )
    .await?;
    session::set_flash(
        &state,
        &s,
        crate::web::page::Flash {
            kind: crate::web::page::FlashKind::Success,
            text: "Einrichtung abgeschlossen. Willkommen im Klassenbuch!".into(),
        },
    )
    .await?;
    respond_with_session(&s, "/")
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
    password2: String,
}

/// `POST /einrichtung/passwort`.
pub async fn set_password(
    state: Data<AppState>,
    visitor: Visitor,
    form: Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let ctx = setup_context(&state, visitor).await?;
    if ctx.user.password_hash.is_some() {
        return Ok(see_other("/einrichtung"));
    }
    if form.password != form.password2 {
        return render_step(
            &state,
            &ctx,
            Some("Die beiden Passwörter stimmen nicht überein.".into()),
        )
        .await;
    }
    let context = [
        ctx.school.name.as_str(),
        ctx.user.login.as_str(),
        ctx.user.display_name.as_str(),
    ];
    let normalized = match password::check_new_password(&form.password, &context) {
        Ok(p) => p,
        Err(reason) => return render_step(&state, &ctx, Some(reason)).await,
    };
    let hash = state
        .hasher
        .hash(normalized)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let user_id = ctx.user.id;
    state
        .db
        .run(move |c| users::set_password_hash(c, user_id, &hash))
        .await?;
    crate::audit::Event::new("passwort_gesetzt")
        .school(ctx.user.school_id)
        .actor(ctx.user.id)
        .record(&state)
        .await?;
    Ok(see_other("/einrichtung"))
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    pub code: String,
}

/// `POST /einrichtung/totp`: activates the pending TOTP factor with its first valid code.
pub async fn activate_totp(
    state: Data<AppState>,
    visitor: Visitor,
    form: Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let ctx = setup_context(&state, visitor).await?;
    match activate_pending_totp(&state, ctx.user.school_id, ctx.user.id, &form.code).await? {
        true => {
            crate::audit::Event::new("faktor_hinzugefuegt")
                .school(ctx.user.school_id)
                .actor(ctx.user.id)
                .detail("typ=totp")
                .record(&state)
                .await?;
            Ok(see_other("/einrichtung"))
        }
        false => {
            crate::audit::Event::new("faktor_hinzugefuegt")
                .school(ctx.user.school_id)
                .actor(ctx.user.id)
                .result("fehlgeschlagen")
                .detail("typ=totp")
                .record(&state)
                .await?;
            render_step(
                &state,
                &ctx,
                Some("Der Code passt nicht. Prüfen Sie die Uhrzeit Ihres Geräts und geben Sie den aktuellen Code ein.".into()),
            )
            .await
        }
    }
}

/// Activates the user's pending TOTP factor if `code` is valid for it now.
pub async fn activate_pending_totp(
    state: &AppState,
    school_id: i64,
    user_id: i64,
    code: &str,
) -> AppResult<bool> {
    let pending = state
        .db
        .run(move |c| factors::totps_of(c, school_id, user_id))
        .await?
        .into_iter()
        .find(|f| !f.active);
    let Some(f) = pending else { return Ok(false) };
    let secret = totp::open(&state.keys, user_id, &f.secret_enc)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let t = totp::build(&secret, "x").map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let now = state.clock.now();
    let Some(step) = totp::matching_step(&t, code, now) else {
        return Ok(false);
    };
    let naive = now.naive_utc();
    let id = f.id;
    Ok(state
        .db
        .run(move |c| factors::accept_totp_step(c, id, step, naive))
        .await?)
}

/// The page that shows fresh recovery codes once.
pub fn codes_page(codes: &[String], continue_to: &str) -> Markup {
    Page::new("Ihre Wiederherstellungscodes").render(markup! {
        p { "Bewahren Sie diese Codes sicher auf, getrennt von Ihrem zweiten Faktor (z. B. \
             ausgedruckt). Jeder Code funktioniert einmal. Sie werden " strong { "nicht" } " wieder angezeigt." }
        ol.codes { @for c in codes { li { code { (c) } } } }
        p { a.button href=(continue_to) { "Ich habe die Codes gesichert – weiter" } }
    })
}

/// `POST /einrichtung/codes`: creates the codes and shows them once.
pub async fn create_codes(state: Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    let ctx = setup_context(&state, visitor).await?;
    let (school_id, user_id) = (ctx.user.school_id, ctx.user.id);
    let existing = state
        .db
        .run(move |c| factors::unused_recovery_codes(c, school_id, user_id))
        .await?;
    if existing > 0 {
        return Ok(see_other("/einrichtung"));
    }
    let (codes, hashes) = recovery::generate();
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                factors::replace_recovery_codes(c, school_id, user_id, &hashes)
            })
        })
        .await?;
    crate::audit::Event::new("wiederherstellungscodes_erzeugt")
        .school(school_id)
        .actor(user_id)
        .record(&state)
        .await?;
    Ok(html(codes_page(&codes, "/einrichtung")))
}

#[derive(Debug, Deserialize)]
pub struct AckForm {
    datenschutz: Option<String>,
    nutzungsbedingungen: Option<String>,
}

/// `POST /einrichtung/bestaetigen`.
pub async fn acknowledge(
    state: Data<AppState>,
    visitor: Visitor,
    form: Form<AckForm>,
) -> AppResult<HttpResponse> {
    let ctx = setup_context(&state, visitor).await?;
    if form.datenschutz.is_none() || form.nutzungsbedingungen.is_none() {
        return render_step(
            &state,
            &ctx,
            Some("Bitte bestätigen Sie beide Dokumente.".into()),
        )
        .await;
    }
    record_acknowledgements(&state, ctx.user.school_id, ctx.user.id).await?;
    Ok(see_other("/einrichtung"))
}

/// Records the acknowledgement of the current version of every required document.
pub async fn record_acknowledgements(
    state: &AppState,
    school_id: i64,
    user_id: i64,
) -> AppResult<()> {
    let now = state.clock.now().naive_utc();
    state
        .db
        .run(move |c| {
            for doc in REQUIRED_DOCUMENTS {
                acks::record(c, school_id, user_id, doc.key(), &legal::version(doc), now)?;
            }
            Ok(())
        })
        .await?;
    crate::audit::Event::new("dokumente_bestaetigt")
        .school(school_id)
        .actor(user_id)
        .detail(
            REQUIRED_DOCUMENTS
                .iter()
                .map(|d| format!("{}={}", d.key(), legal::version(*d)))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .record(state)
        .await
}
