//! The headteacher's audit log viewer (`/verwaltung/protokoll`, step-up): the school's
//! records, newest first, filtered by actor, pupil, action and time range (all optional,
//! from the query string, so a filtered view can be bookmarked and printed). Viewing is
//! itself audited, with the filter.

use crate::auth::Elevated;
use crate::auth::extract::Headteacher;
use crate::db::audit::{self, AuditFilter};
use crate::db::retention_subject::user_names;
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use chrono::{Duration, NaiveDate};
use maud::html as markup;
use serde::Deserialize;
use std::collections::HashMap;

/// At most this many records are shown.
pub const LIMIT: i64 = 500;

/// The filter as typed; empty fields do not filter.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FilterQuery {
    pub benutzer: String,
    pub schueler: String,
    pub aktion: String,
    pub von: String,
    pub bis: String,
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

impl FilterQuery {
    /// The filter and the fields that could not be read (they then do not filter).
    pub fn parse(&self) -> (AuditFilter, Vec<&'static str>) {
        let mut bad = Vec::new();
        let mut id = |s: &str, name: &'static str| -> Option<i64> {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            let v = s.parse().ok();
            if v.is_none() {
                bad.push(name);
            }
            v
        };
        let actor_user_id = id(&self.benutzer, "Benutzer");
        let pupil = id(&self.schueler, "Schüler/in");
        let mut day = |s: &str, name: &'static str| -> Option<NaiveDate> {
            if s.trim().is_empty() {
                return None;
            }
            let d = date(s);
            if d.is_none() {
                bad.push(name);
            }
            d
        };
        let from = day(&self.von, "von");
        let to = day(&self.bis, "bis");
        let action = Some(self.aktion.trim().to_owned()).filter(|a| !a.is_empty());
        (
            AuditFilter {
                actor_user_id,
                object: pupil.map(super::pupil_object),
                action,
                from: from.map(|d| d.and_time(chrono::NaiveTime::MIN)),
                // `bis` includes its day.
                to: to.map(|d| (d + Duration::days(1)).and_time(chrono::NaiveTime::MIN)),
            },
            bad,
        )
    }
}

/// `GET /verwaltung/protokoll?benutzer=&schueler=&aktion=&von=&bis=`.
pub async fn page(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    query: Query<FilterQuery>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let (filter, bad) = query.parse();
    let f = filter.clone();
    let (rows, actions, names) = state
        .db
        .run(move |c| {
            Ok((
                audit::search(c, school_id, &f, LIMIT)?,
                audit::actions_of(c, school_id)?,
                user_names(c, school_id)?,
            ))
        })
        .await?;
    let names: HashMap<i64, String> = names.into_iter().collect();
    let mut people: Vec<(&i64, &String)> = names.iter().collect();
    people.sort_by(|a, b| a.1.cmp(b.1));
    user.event("protokoll_angezeigt")
        .detail(format!(
            "benutzer={} schueler={} aktion={} von={} bis={}",
            query.benutzer.trim(),
            query.schueler.trim(),
            query.aktion.trim(),
            query.von.trim(),
            query.bis.trim()
        ))
        .record(&state)
        .await?;
    let q = &query;
    let body = markup! {
        form.filter method="get" action="/verwaltung/protokoll" {
            label for="benutzer" { "Benutzer" }
            select id="benutzer" name="benutzer" {
                option value="" { "alle" }
                @for (id, name) in &people {
                    option value=(id) selected[q.benutzer.trim() == id.to_string()] { (name) }
                }
            }
            label for="schueler" { "Schüler/in (Nummer)" }
            input id="schueler" name="schueler" type="number" min="1" value=(q.schueler);
            label for="aktion" { "Aktion" }
            select id="aktion" name="aktion" {
                option value="" { "alle" }
                @for a in &actions { option value=(a) selected[q.aktion.trim() == a] { (a) } }
            }
            label for="von" { "von" }
            input id="von" name="von" type="date" value=(q.von);
            label for="bis" { "bis" }
            input id="bis" name="bis" type="date" value=(q.bis);
            button type="submit" { "Filtern" }
        }
        @if !bad.is_empty() {
            p.flash.err role="alert" { "Nicht lesbar und daher nicht berücksichtigt: " (bad.join(", ")) }
        }
        p.count { (rows.len()) " Einträge" @if rows.len() as i64 == LIMIT { " (die neuesten " (LIMIT) ")" } }
        table.audit {
            thead { tr { th { "Zeit (UTC)" } th { "Aktion" } th { "Benutzer" } th { "Objekt" } th { "Ergebnis" } th { "Stufe" } th { "Adresse" } th { "Details" } } }
            tbody {
                @for r in &rows {
                    tr {
                        td { (r.at.format("%d.%m.%Y %H:%M:%S")) }
                        td.action { (r.action) }
                        td.actor { @if let Some(a) = r.actor_user_id { (names.get(&a).cloned().unwrap_or_else(|| a.to_string())) } }
                        td.object { (r.object) }
                        td.result { (r.result) }
                        td { (r.assurance) }
                        td { (r.client_addr) }
                        td { (r.detail) }
                    }
                }
            }
        }
    };
    Ok(html(Page::new("Protokoll").nav(user.nav()).render(body)))
}
