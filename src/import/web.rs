//! The import pages under `/verwaltung/import` (Schulleitung and Administration, with
//! step-up): upload and check a file, see the preview (new, changed, leaving), apply it;
//! and the school's header mapping. The upload waits between preview and apply in
//! `pending_imports` on the server; the browser holds only a random token.

use super::plan::{Effect, Plan};
use super::{Kind, MAX_BYTES, Problem, apply, mapping, parse};
use crate::auth::CurrentUser;
use crate::auth::Elevated;
use crate::auth::extract::Admin;
use crate::clock::school_today;
use crate::crypto::{random_token, sha256_hex};
use crate::db::import as q;
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind, Page, csrf_field};
use crate::web::{see_other, session, upload};
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Payload};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Duration;
use maud::{Markup, html};

/// The extractor of every import page.
pub type Manager = Elevated<Admin>;

pub const IMPORT: &str = "/verwaltung/import";
pub const APPLY: &str = "/verwaltung/import/anwenden";
pub const MAPPING: &str = "/verwaltung/import/zuordnung";
/// How long an upload waits for its apply.
const PENDING_MINUTES: i64 = 60;
/// The file, plus room for the multipart framing and the text fields around it.
const LIMITS: upload::Limits = upload::Limits::new(MAX_BYTES, 64 * 1024);

async fn respond(
    state: &AppState,
    user: &CurrentUser,
    title: &str,
    body: Markup,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let flash = session::take_flash(state, &user.session).await?;
    let page = Page::new(title).nav(user.nav()).flash(flash).render(html! {
        nav.sections aria-label="Stammdaten" {
            a href=(IMPORT) { "Import" } " · "
            a href=(MAPPING) { "Spaltenzuordnung" } " · "
            a href="/schule" { "Schulstruktur" }
        }
        (body)
    });
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.into_string()))
}

fn upload_form(user: &CurrentUser, selected: Option<Kind>) -> Markup {
    html! {
        form.stack method="post" enctype="multipart/form-data"
            action={ (IMPORT) "?csrf=" (urlencoding::encode(user.session.csrf())) } {
            label for="art" { "Art der Datei" }
            select id="art" name="art" {
                @for k in Kind::ALL {
                    option value=(k.slug()) selected[selected == Some(k)] { (k.title()) }
                }
            }
            label for="datei" { "CSV-Datei (UTF-8 oder Windows-1252, Trennzeichen ; oder ,; höchstens "
                (MAX_BYTES / (1024 * 1024)) " MB)" }
            input id="datei" type="file" name="datei" accept=".csv,text/csv" required;
            button type="submit" { "Prüfen und Vorschau zeigen" }
        }
    }
}

fn problem_list(problems: &[Problem]) -> Markup {
    html! {
        section.errors role="alert" aria-labelledby="fehler-titel" {
            h2 id="fehler-titel" { "Die Datei wurde nicht übernommen" }
            p { "Es wurde nichts gespeichert. Bitte die folgenden Stellen in der Datei "
                "korrigieren und die Datei erneut hochladen:" }
            ul.problems {
                @for p in problems { li.problem { (p.to_string()) } }
            }
        }
    }
}

/// `GET /verwaltung/import`.
pub async fn page(state: Data<AppState>, elevated: Manager) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    respond(
        &state,
        user,
        "Stammdaten importieren",
        start_body(user, None),
        StatusCode::OK,
    )
    .await
}

fn start_body(user: &CurrentUser, selected: Option<Kind>) -> Markup {
    html! {
        p { "Stammdaten aus der Schulverwaltung oder dem Stundenplanprogramm als CSV-Datei "
            "übernehmen. Die Datei wird zuerst vollständig geprüft; eine Vorschau zeigt, was "
            "neu ist, was sich ändert und wer nicht mehr in der Datei steht. Erst mit "
            "»Übernehmen« wird gespeichert, in einem Schritt. Schülerinnen und Schüler, die "
            "nicht mehr in der Datei stehen, werden als ausgetreten markiert, nie gelöscht." }
        p { "Reihenfolge beim ersten Import: Personal, Fächer, Klassen, Schülerinnen und "
            "Schüler, Erziehungsberechtigte, Stundenplan." }
        (upload_form(user, selected))
        h2 { "Stammdaten exportieren" }
        ul.exports {
            @for k in [Kind::Staff, Kind::Subjects, Kind::Classes, Kind::Pupils, Kind::Timetable] {
                li { a href={ "/verwaltung/export?art=" (k.slug()) } { (k.title()) " (CSV)" } }
            }
        }
    }
}

/// A file name for messages: the last path segment, printable, at most 80 characters.
fn clean_name(name: Option<&str>) -> String {
    let base = name
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect::<String>();
    if base.is_empty() {
        "Datei".to_owned()
    } else {
        base
    }
}

/// The problems page (422), nothing written.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    kind: Option<Kind>,
    problems: &[Problem],
) -> AppResult<HttpResponse> {
    let body = html! {
        (problem_list(problems))
        (upload_form(user, kind))
    };
    respond(
        state,
        user,
        "Stammdaten importieren",
        body,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /verwaltung/import` (multipart, CSRF token in the query): checks the file and
/// shows the preview; stores the upload for the apply.
pub async fn upload(
    state: Data<AppState>,
    elevated: Manager,
    req: HttpRequest,
    payload: Payload,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let form = upload::read(req.headers(), payload, LIMITS).await?;
    let Some(kind) = form.text("art").and_then(|s| Kind::from_slug(s.trim())) else {
        let p = Problem::file("Formular", "Bitte die Art der Datei wählen.");
        return refused(&state, user, None, &[p]).await;
    };
    let Some(part) = form.part("datei") else {
        let p = Problem::file("Formular", "Bitte eine CSV-Datei auswählen.");
        return refused(&state, user, Some(kind), &[p]).await;
    };
    let file = clean_name(part.file_name.as_deref());
    let text = match parse::decode(&file, &part.content) {
        Ok(t) => t,
        Err(p) => return refused(&state, user, Some(kind), &[p]).await,
    };
    let school_id = user.school_id();
    let today = school_today(user.now);
    let keys = state.keys.clone();
    let (f, t) = (file.clone(), text.clone());
    let checked = state
        .db
        .run(move |c| apply::check(c, school_id, kind, &f, &t, today, &keys, &|_| {}))
        .await?;
    let plan = match checked {
        Ok(plan) => plan,
        Err(problems) => return refused(&state, user, Some(kind), &problems).await,
    };
    let (db, f) = (state.db.clone(), file.clone());
    let (plan, taken) = tokio::task::spawn_blocking(move || {
        let taken = apply::logins_taken_elsewhere(&db, school_id, &f, &plan);
        (plan, taken)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let taken = taken?;
    if !taken.is_empty() {
        return refused(&state, user, Some(kind), &taken).await;
    }
    let token = random_token::<32>();
    let hash = sha256_hex(token.as_bytes());
    let now = user.now.naive_utc();
    let created_by = user.user.id;
    let (f, slug) = (file.clone(), kind.slug());
    let text = crate::sealed::pending_import()
        .seal(&state.keys, school_id, &text)
        .map_err(|e| AppError::Internal(e.into()))?;
    state
        .db
        .run(move |c| {
            q::insert_pending(
                c,
                &q::NewPending {
                    school_id,
                    token_hash: &hash,
                    kind: slug,
                    file_name: &f,
                    content: &text,
                    created_by,
                    now,
                    expires_at: now + Duration::minutes(PENDING_MINUTES),
                },
            )
        })
        .await?;
    let body = preview(user, kind, &file, &plan, &token);
    respond(&state, user, "Vorschau des Imports", body, StatusCode::OK).await
}

fn preview(user: &CurrentUser, kind: Kind, file: &str, plan: &Plan, token: &str) -> Markup {
    html! {
        p.summary {
            (file) " (" (kind.title()) "): " (plan.rows) " Zeilen geprüft, keine Fehler. "
            strong.new { (plan.count(Effect::New)) " neu" } ", "
            strong.changed { (plan.count(Effect::Changed)) " geändert" } ", "
            strong.leaving { (plan.count(Effect::Leaving)) " nicht mehr in der Datei" } "."
        }
        @if plan.is_empty() {
            p.unchanged { "Die Datei entspricht dem Stand im Klassenbuch; es gibt nichts zu übernehmen." }
        } @else {
            table.preview {
                thead { tr { th scope="col" { "Änderung" } th scope="col" { "Zeile" } th scope="col" { "Was" } } }
                tbody {
                    @for c in &plan.changes {
                        tr data-effect=(c.effect.label()) {
                            td { (c.effect.label()) }
                            td { @if let Some(l) = c.line { (l) } }
                            td { (c.text) }
                        }
                    }
                }
            }
            form.stack method="post" action=(APPLY) {
                (csrf_field(user.session.csrf()))
                input type="hidden" name="token" value=(token);
                button type="submit" { "Übernehmen" }
            }
        }
        p { a href=(IMPORT) { "Abbrechen" } }
    }
}

/// The fields of the apply form.
#[derive(Debug, serde::Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    token: String,
}

async fn flash(
    state: &AppState,
    user: &CurrentUser,
    kind: FlashKind,
    text: String,
) -> AppResult<()> {
    session::set_flash(state, &user.session, Flash { kind, text }).await
}

/// `POST /verwaltung/import/anwenden`: applies a previewed upload in one transaction,
/// after checking it again against the database as it is now.
pub async fn apply_upload(
    state: Data<AppState>,
    elevated: Manager,
    form: Form<ApplyForm>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let now = user.now.naive_utc();
    let today = school_today(user.now);
    let hash = sha256_hex(form.token.as_bytes());
    let pending = state
        .db
        .run(move |c| q::pending(c, school_id, &hash, now))
        .await?;
    let Some(pending) = pending.filter(|_| !form.token.is_empty()) else {
        flash(
            &state,
            user,
            FlashKind::Error,
            "Die Vorschau ist abgelaufen oder wurde schon übernommen. Bitte die Datei erneut \
             hochladen."
                .into(),
        )
        .await?;
        return Ok(see_other(IMPORT));
    };
    let Some(kind) = Kind::from_slug(&pending.kind) else {
        return Err(AppError::NotFound);
    };
    let content = crate::sealed::pending_import()
        .open(&state.keys, school_id, &pending.content)
        .map_err(|e| AppError::Internal(e.into()))?;
    let keys = state.keys.clone();
    let p = pending.clone();
    let applied = state
        .db
        .run(move |c| {
            let result = apply::apply(
                c,
                school_id,
                kind,
                &p.file_name,
                &content,
                now,
                today,
                &keys,
            )?;
            q::delete_pending(c, school_id, p.id)?;
            Ok(result)
        })
        .await?;
    let plan = match applied {
        Ok(plan) => plan,
        Err(problems) => return refused(&state, user, Some(kind), &problems).await,
    };
    let (new, changed, leaving) = (
        plan.count(Effect::New),
        plan.count(Effect::Changed),
        plan.count(Effect::Leaving),
    );
    user.event("stammdaten_importiert")
        .object(format!("import:{}", kind.slug()))
        .detail(format!(
            "datei={}; zeilen={}; neu={new}; geaendert={changed}; nicht_in_datei={leaving}",
            pending.file_name, plan.rows
        ))
        .record(&state)
        .await?;
    flash(
        &state,
        user,
        FlashKind::Success,
        format!(
            "Import übernommen ({}): {new} neu, {changed} geändert, {leaving} nicht mehr in der Datei.",
            kind.title()
        ),
    )
    .await?;
    Ok(see_other(IMPORT))
}

/// `GET /verwaltung/import/zuordnung`: the school's header names.
pub async fn mapping_page(state: Data<AppState>, elevated: Manager) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let own = state.db.run(move |c| q::mappings(c, school_id)).await?;
    let body = html! {
        p { "Welche Spaltenüberschrift der Schulverwaltung welches Feld füllt. Ohne eigene "
            "Angabe werden die genannten üblichen Überschriften erkannt (Groß- und "
            "Kleinschreibung egal). Eine eigene Überschrift ersetzt sie." }
        form.stack method="post" action=(MAPPING) {
            (csrf_field(user.session.csrf()))
            @for k in Kind::ALL {
                fieldset {
                    legend { (k.title()) }
                    @for f in k.fields() {
                        @let name = format!("{}.{}", k.slug(), f.key);
                        @let value = own.iter().find(|(kk, ff, _)| kk == k.slug() && ff == f.key).map(|(_, _, h)| h.clone()).unwrap_or_default();
                        label for=(name) {
                            (f.header) @if f.required { " (Pflicht)" }
                            " – erkannt: " (mapping::display_names(f, &Default::default()))
                        }
                        input id=(name) name=(name) type="text" maxlength="60" value=(value);
                    }
                }
            }
            button type="submit" { "Zuordnung speichern" }
        }
    };
    respond(
        &state,
        user,
        "Spaltenzuordnung für den Import",
        body,
        StatusCode::OK,
    )
    .await
}

/// `POST /verwaltung/import/zuordnung`: stores the school's header names (only the known
/// fields are read; an empty value restores the defaults).
pub async fn save_mapping(
    state: Data<AppState>,
    elevated: Manager,
    form: Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let mut values = Vec::new();
    for k in Kind::ALL {
        for f in k.fields() {
            let name = format!("{}.{}", k.slug(), f.key);
            if let Some((_, v)) = form.iter().find(|(n, _)| *n == name) {
                let v: String = v
                    .trim()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(60)
                    .collect();
                values.push((k.slug(), f.key, v));
            }
        }
    }
    if values.is_empty() {
        flash(
            &state,
            user,
            FlashKind::Error,
            "Keine Zuordnung übermittelt.".into(),
        )
        .await?;
        return Ok(see_other(MAPPING));
    }
    let school_id = user.school_id();
    let n = values.iter().filter(|(_, _, v)| !v.is_empty()).count();
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                for (kind, field, header) in &values {
                    q::set_mapping(c, school_id, kind, field, header)?;
                }
                Ok(())
            })
        })
        .await?;
    user.event("schule_geaendert")
        .object("import:zuordnung")
        .detail(format!("eigene_spaltennamen={n}"))
        .record(&state)
        .await?;
    flash(
        &state,
        user,
        FlashKind::Success,
        "Spaltenzuordnung gespeichert.".into(),
    )
    .await?;
    Ok(see_other(MAPPING))
}
