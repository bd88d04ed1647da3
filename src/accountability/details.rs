//! What the school states about itself in its documents: address, data protection officer,
//! operator and hosting (headteacher, after step-up). Without a DPO of its own, the
//! documents name the central DPO of the schools in Schleswig-Holstein.

use super::bounded;
use crate::auth::Elevated;
use crate::auth::extract::Headteacher;
use crate::db::documents::{self, SchoolDetails};
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind, Page, csrf_field};
use crate::web::{html, see_other, session};
use actix_web::HttpResponse;
use actix_web::web::{Data, Form};
use maud::html as markup;
use serde::Deserialize;

/// `GET /verwaltung/schulangaben`.
pub async fn page(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let flash = session::take_flash(&state, &user.session).await?;
    let school_id = user.school_id();
    let d = state
        .db
        .run(move |c| documents::details(c, school_id))
        .await?;
    let body = markup! {
        p { "Diese Angaben erscheinen in den Datenschutzhinweisen, der Dienstanweisung und der \
             Dokumentation für den Datenschutz. Ohne eigene Angabe wird als datenschutzbeauftragte \
             Stelle genannt: " (super::facts::CENTRAL_DPO) "." }
        form.stack method="post" action="/verwaltung/schulangaben" {
            (csrf_field(user.session.csrf()))
            label for="school_address" { "Anschrift der Schule" }
            textarea id="school_address" name="school_address" rows="3" maxlength="500" { (d.school_address) }
            label for="dpo_name" { "Datenschutzbeauftragte Person oder Stelle" }
            input id="dpo_name" name="dpo_name" type="text" maxlength="200" value=(d.dpo_name);
            label for="dpo_email" { "E-Mail der oder des Datenschutzbeauftragten" }
            input id="dpo_email" name="dpo_email" type="email" maxlength="200" value=(d.dpo_email);
            label for="dpo_phone" { "Telefon der oder des Datenschutzbeauftragten" }
            input id="dpo_phone" name="dpo_phone" type="tel" maxlength="60" value=(d.dpo_phone);
            label for="operator" { "Betrieb und Hosting (Betreiber, Rechenzentrum, Vertrag nach Art. 28 DSGVO)" }
            textarea id="operator" name="operator" rows="3" maxlength="500" { (d.operator) }
            button type="submit" { "Speichern" }
        }
        p { a href="/verwaltung/dienstanweisung" { "Zur Dienstanweisung" } " · "
            a href="/verwaltung/dokumentation" { "Zur Dokumentation für den Datenschutz" } }
    };
    Ok(html(
        Page::new("Angaben der Schule")
            .nav(user.nav())
            .flash(flash)
            .render(body),
    ))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct DetailsForm {
    school_address: String,
    dpo_name: String,
    dpo_email: String,
    dpo_phone: String,
    operator: String,
}

/// `POST /verwaltung/schulangaben`.
pub async fn save(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    form: Form<DetailsForm>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let check =
        |label: &str, v: &str, max: usize| bounded(label, v, max).map_err(AppError::BadRequest);
    let email = form.dpo_email.trim();
    if !email.is_empty() && (!email.contains('@') || email.contains(char::is_whitespace)) {
        return Err(AppError::BadRequest(
            "Feld »E-Mail der oder des Datenschutzbeauftragten«: bitte eine E-Mail-Adresse \
             angeben."
                .into(),
        ));
    }
    let details = SchoolDetails {
        school_address: check("Anschrift der Schule", &form.school_address, 500)?,
        dpo_name: check(
            "Datenschutzbeauftragte Person oder Stelle",
            &form.dpo_name,
            200,
        )?,
        dpo_email: check("E-Mail", &form.dpo_email, 200)?,
        dpo_phone: check("Telefon", &form.dpo_phone, 60)?,
        operator: check("Betrieb und Hosting", &form.operator, 500)?,
    };
    let (school_id, user_id, now) = (user.school_id(), user.user.id, user.now.naive_utc());
    state
        .db
        .run(move |c| documents::save_details(c, school_id, &details, user_id, now))
        .await?;
    user.event("schulangaben_geaendert").record(&state).await?;
    session::set_flash(
        &state,
        &user.session,
        Flash {
            kind: FlashKind::Success,
            text: "Angaben gespeichert.".into(),
        },
    )
    .await?;
    Ok(see_other("/verwaltung/schulangaben"))
}
