//! The school's list of health impairment codes (`GET/POST /schule/gesundheitscodes`): a short
//! code and its meaning, the meaning encrypted (it is class B). Kept by whoever may change
//! support data for the whole school (the headteacher); class teachers pick from it.

use super::support::{CodeView, open_codes};
use super::{Submitted, flash, refuse, seal, text_field};
use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, require_elevation};
use crate::db::pupils;
use crate::error::AppResult;
use crate::permissions::{DataGroup, Scope, write_scopes};
use crate::startup::AppState;
use crate::web::page::{FlashKind, Page, csrf_field};
use crate::web::see_other;
use crate::web::session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form};
use maud::{Markup, html};
use serde::Deserialize;

const PATH: &str = "/schule/gesundheitscodes";

/// Only a school-wide writer of support data keeps the list; everybody else gets 404.
async fn gate(state: &AppState, user: &CurrentUser) -> AppResult<Elevation> {
    if !write_scopes(&user.roles, DataGroup::Support).contains(&Scope::School) {
        return Err(refuse(
            state,
            user,
            format!("schule:{}:gesundheitscodes", user.school_id()),
        )
        .await);
    }
    require_elevation(state, user, PATH).await
}

async fn render(
    state: &AppState,
    proof: &Elevation,
    user: &CurrentUser,
    sub: Submitted,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (school_id, proof2) = (user.school_id(), proof.clone());
    let rows = state
        .db
        .run(move |c| pupils::health_codes(c, &proof2, school_id))
        .await?;
    let codes = open_codes(&state.keys, school_id, &rows);
    user.event("gesundheitscodes_angezeigt")
        .object(format!("schule:{school_id}"))
        .detail(format!("codes={}", codes.len()))
        .record(state)
        .await?;
    let flash = session::take_flash(state, &user.session).await?;
    let body = view(user.session.csrf(), &codes, &sub);
    let markup = Page::new("Gesundheitscodes")
        .nav(user.nav())
        .flash(flash)
        .render(body);
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

/// `GET /schule/gesundheitscodes`.
pub async fn codes_page(state: Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let proof = gate(&state, &user).await?;
    render(&state, &proof, &user, Submitted::default(), StatusCode::OK).await
}

/// `POST /schule/gesundheitscodes`: only `code` and `bedeutung` are read.
#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    bedeutung: String,
}

/// `POST /schule/gesundheitscodes`.
pub async fn add_code(
    state: Data<AppState>,
    user: CurrentUser,
    form: Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let proof = gate(&state, &user).await?;
    let f = form.into_inner();
    let mut sub = Submitted::default();
    let code = text_field(&mut sub, "gc-code", "Code", &f.code, 20, true);
    let meaning = text_field(
        &mut sub,
        "gc-bedeutung",
        "Bedeutung",
        &f.bedeutung,
        300,
        true,
    );
    let code = code.filter(|c| {
        let ok = c
            .chars()
            .all(|ch| ch.is_alphanumeric() || "-_.".contains(ch));
        if !ok {
            sub.error(
                "gc-code",
                "Code: Bitte nur Buchstaben, Ziffern und - _ . verwenden.",
            );
        }
        ok
    });
    let (Some(code), Some(meaning)) = (code, meaning) else {
        return render(&state, &proof, &user, sub, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let school_id = user.school_id();
    let meaning_enc = seal(
        &state.keys,
        "health_codes",
        "meaning_enc",
        school_id,
        &meaning,
    )?;
    let c2 = code.clone();
    let id = state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                if pupils::health_code_taken(c, school_id, &c2)? {
                    return Ok(None);
                }
                pupils::add_health_code(c, school_id, &c2, &meaning_enc).map(Some)
            })
        })
        .await?;
    let Some(id) = id else {
        sub.error("gc-code", format!("Code: »{code}« ist schon vergeben."));
        return render(&state, &proof, &user, sub, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    user.event("gesundheitscode_angelegt")
        .object(format!("gesundheitscode:{id}"))
        .record(&state)
        .await?;
    flash(
        &state,
        &user,
        FlashKind::Success,
        "Gesundheitscode angelegt.",
    )
    .await?;
    Ok(see_other(PATH))
}

fn view(csrf: &str, codes: &[CodeView], s: &Submitted) -> Markup {
    html! {
        p { "Gesundheitliche Beeinträchtigungen werden nur codiert erfasst. Die Bedeutung eines Codes \
             sehen nur Personen, die Förderdaten der Schülerin oder des Schülers sehen dürfen." }
        (s.summary())
        @if codes.is_empty() {
            p { "Noch keine Codes festgelegt." }
        } @else {
            table.codes {
                thead { tr { th scope="col" { "Code" } th scope="col" { "Bedeutung" } } }
                tbody { @for c in codes { tr data-code=(c.id) { th scope="row" { (c.code) } td { (c.meaning) } } } }
            }
        }
        h2 { "Code anlegen" }
        form.stack method="post" action=(PATH) {
            (csrf_field(csrf))
            label for="gc-code" { "Code" }
            input #gc-code name="code" type="text" maxlength="20" required value=(s.or("gc-code", ""))
                aria-invalid=[s.aria_invalid("gc-code")] aria-describedby=[s.described("gc-code")];
            (s.messages("gc-code"))
            label for="gc-bedeutung" { "Bedeutung" }
            input #gc-bedeutung name="bedeutung" type="text" maxlength="300" required value=(s.or("gc-bedeutung", ""))
                aria-invalid=[s.aria_invalid("gc-bedeutung")] aria-describedby=[s.described("gc-bedeutung")];
            (s.messages("gc-bedeutung"))
            button type="submit" { "Anlegen" }
        }
    }
}
