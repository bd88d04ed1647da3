//! The breach notification draft (Art. 33 GDPR): for a time range and / or a user account
//! (e.g. a stolen account), which data groups of how many pupils were viewed or exported,
//! read from the audit log; and the notification form pre-filled from it (nature,
//! categories, approximate numbers, likely consequences, measures) for the headteacher to
//! complete and print, with the 72-hour deadline. Reads only; the draft is audited.

use crate::auth::Elevated;
use crate::auth::extract::Headteacher;
use crate::clock::school_local;
use crate::db::DbConnection;
use crate::db::audit::{self, AuditFilter, AuditRow};
use crate::db::retention_subject::user_names;
use crate::db::structure as people;
use crate::error::AppResult;
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::QueryResult;
use maud::{Markup, html as markup};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Actions that showed or handed out pupil data.
const READS: [&str; 7] = [
    "schuelerdaten_angezeigt",
    "fehlzeiten_ueberblick_angezeigt",
    "fehlzeiten_angezeigt",
    "statistik_angezeigt",
    "klassenliste_angezeigt",
    "export",
    "auskunft_erstellt",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BreachQuery {
    pub von: String,
    pub bis: String,
    pub benutzer: String,
    /// When the school learned of the breach (`YYYY-MM-DDTHH:MM`, school time).
    pub bekannt: String,
}

/// One data group and the pupils whose data of it was read.
#[derive(Debug, Clone)]
pub struct GroupLine {
    pub group: String,
    pub pupils: usize,
    pub records: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub lines: Vec<GroupLine>,
    pub pupils: usize,
    pub records: usize,
}

fn group_of(r: &AuditRow) -> String {
    if let Some(g) = super::group_of(&r.detail) {
        return g.to_owned();
    }
    match r.action.as_str() {
        "export" if r.object.starts_with("klasse:") => "Klassenbuch oder Statistik (Export)".into(),
        "export" | "auskunft_erstellt" => "Auskunft / Datenexport (alle Daten)".into(),
        "klassenliste_angezeigt" => "Klassenliste".into(),
        other => other.to_owned(),
    }
}

/// Reads the audit log for `filter` and counts pupils per data group.
fn findings(
    conn: &mut DbConnection,
    school_id: i64,
    filter: &AuditFilter,
) -> QueryResult<Findings> {
    let rows: Vec<AuditRow> = audit::search(conn, school_id, filter, 1_000_000)?
        .into_iter()
        .filter(|r| r.result == "erfolg" && READS.contains(&r.action.as_str()))
        .collect();
    let mut classes: HashMap<i64, Vec<people::PupilRow>> = HashMap::new();
    let mut by_group: BTreeMap<String, (BTreeSet<i64>, usize)> = BTreeMap::new();
    let mut all = BTreeSet::new();
    for r in &rows {
        let pupils: Vec<i64> = if let Some(id) = r.object.strip_prefix("schueler:") {
            id.parse().into_iter().collect()
        } else if let Some(id) = r.object.strip_prefix("klasse:") {
            let Ok(class_id) = id.parse::<i64>() else {
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(e) = classes.entry(class_id) {
                e.insert(people::pupils(conn, school_id, Some(class_id))?);
            }
            classes
                .get(&class_id)
                .map(|list| {
                    list.iter()
                        .filter(|p| p.enrolled_on(r.at.date()))
                        .map(|p| p.id)
                        .collect()
                })
                .unwrap_or_default()
        } else {
            continue;
        };
        let entry = by_group.entry(group_of(r)).or_default();
        entry.1 += 1;
        for p in pupils {
            entry.0.insert(p);
            all.insert(p);
        }
    }
    Ok(Findings {
        lines: by_group
            .into_iter()
            .map(|(group, (pupils, records))| GroupLine {
                group,
                pupils: pupils.len(),
                records,
            })
            .collect(),
        pupils: all.len(),
        records: rows.len(),
    })
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// `GET /verwaltung/datenpanne?von=&bis=&benutzer=&bekannt=`.
pub async fn page(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    query: Query<BreachQuery>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let actor = query.benutzer.trim().parse::<i64>().ok();
    let from = day(&query.von);
    let to = day(&query.bis);
    let asked = actor.is_some() || from.is_some() || to.is_some();
    let filter = AuditFilter {
        actor_user_id: actor,
        object: None,
        action: None,
        from: from.map(|d| d.and_time(NaiveTime::MIN)),
        to: to.map(|d| (d + Duration::days(1)).and_time(NaiveTime::MIN)),
    };
    let f = filter.clone();
    let (found, names) = state
        .db
        .run(move |c| {
            let found = if asked {
                Some(findings(c, school_id, &f)?)
            } else {
                None
            };
            Ok((found, user_names(c, school_id)?))
        })
        .await?;
    let names: HashMap<i64, String> = names.into_iter().collect();
    let known = NaiveDateTime::parse_from_str(query.bekannt.trim(), "%Y-%m-%dT%H:%M")
        .unwrap_or_else(|_| school_local(user.now));
    if let Some(f) = &found {
        user.event("datenpanne_entwurf")
            .detail(format!(
                "von={} bis={} benutzer={} schueler={}",
                query.von.trim(),
                query.bis.trim(),
                query.benutzer.trim(),
                f.pupils
            ))
            .record(&state)
            .await?;
    }
    let mut people: Vec<(&i64, &String)> = names.iter().collect();
    people.sort_by(|a, b| a.1.cmp(b.1));
    let account = actor.and_then(|a| names.get(&a).cloned());
    let body = markup! {
        form.filter method="get" action="/verwaltung/datenpanne" {
            label for="von" { "Zeitraum von" }
            input id="von" name="von" type="date" value=(query.von);
            label for="bis" { "bis" }
            input id="bis" name="bis" type="date" value=(query.bis);
            label for="benutzer" { "Benutzerkonto" }
            select id="benutzer" name="benutzer" {
                option value="" { "alle" }
                @for (id, name) in &people { option value=(id) selected[actor == Some(**id)] { (name) } }
            }
            label for="bekannt" { "Bekannt geworden am" }
            input id="bekannt" name="bekannt" type="datetime-local" value=(known.format("%Y-%m-%dT%H:%M"));
            button type="submit" { "Auswerten" }
        }
        p.deadline role="status" {
            strong { "Frist: " }
            "Meldung an die Aufsichtsbehörde binnen 72 Stunden nach Bekanntwerden, also bis "
            strong.due { ((known + Duration::hours(72)).format("%d.%m.%Y %H:%M")) " Uhr" }
            " (Art. 33 Abs. 1 DSGVO). Eine spätere Meldung ist zu begründen."
        }
        @if let Some(f) = &found { (report(f, &query, account.as_deref(), known)) }
        @else { p { "Wählen Sie einen Zeitraum und / oder ein Benutzerkonto." } }
    };
    Ok(html(
        Page::new("Datenpanne: Meldung vorbereiten")
            .nav(user.nav())
            .render(body),
    ))
}

fn report(f: &Findings, q: &BreachQuery, account: Option<&str>, known: NaiveDateTime) -> Markup {
    let range = format!(
        "{} bis {}",
        day(&q.von)
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_else(|| "Beginn".into()),
        day(&q.bis)
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_else(|| "heute".into())
    );
    let groups: Vec<String> = f.lines.iter().map(|l| l.group.clone()).collect();
    let nature = format!(
        "Unbefugter Zugriff auf Schülerdaten im digitalen Klassenbuch{} im Zeitraum {range}. \
         Laut Protokoll wurden {} Zugriffe auf Daten von {} Schülerinnen und Schülern erfasst.",
        account
            .map(|a| format!(" über das Benutzerkonto »{a}«"))
            .unwrap_or_default(),
        f.records,
        f.pupils
    );
    let categories = format!(
        "Betroffene Personen: Schülerinnen und Schüler. Datenkategorien: {}.",
        if groups.is_empty() {
            "keine".into()
        } else {
            groups.join("; ")
        }
    );
    let numbers = format!(
        "ca. {} betroffene Personen; {} protokollierte Zugriffe.",
        f.pupils, f.records
    );
    let consequences = "Kenntnisnahme vertraulicher Angaben durch Unbefugte (z. B. Fehlzeiten, \
        Förder- oder Gesundheitsangaben, Verhaltensnotizen); mögliche Diskriminierung oder \
        Bloßstellung der betroffenen Kinder und Jugendlichen.";
    let measures = "Betroffenes Konto gesperrt und alle Sitzungen beendet; Passwort und zweiter \
        Faktor zurückgesetzt; Protokoll gesichert und geprüft (klassenbuch audit verify); \
        Benachrichtigung der Betroffenen nach Art. 34 DSGVO wird geprüft.";
    markup! {
        section id="auswertung" {
            h2 { "Auswertung des Protokolls" }
            p.summary { "Daten von " strong.pupils { (f.pupils) } " Schüler/innen, " (f.records) " Zugriffe." }
            table.groups {
                thead { tr { th { "Datengruppe" } th { "Betroffene Schüler/innen" } th { "Zugriffe" } } }
                tbody { @for l in &f.lines { tr { td.group { (l.group) } td.pupils { (l.pupils) } td.records { (l.records) } } } }
            }
        }
        section id="meldung" {
            h2 { "Meldung nach Art. 33 DSGVO (Entwurf)" }
            p { "Bitte ergänzen und prüfen, dann drucken. Die Angaben sind aus dem Protokoll \
                 vorausgefüllt; nichts davon wird gespeichert." }
            form.stack.breach {
                label for="art" { "Art der Verletzung" }
                textarea id="art" name="art" rows="4" { (nature) }
                label for="kategorien" { "Kategorien der betroffenen Personen und Daten" }
                textarea id="kategorien" name="kategorien" rows="3" { (categories) }
                label for="anzahl" { "Ungefähre Zahl der Betroffenen und Datensätze" }
                textarea id="anzahl" name="anzahl" rows="2" { (numbers) }
                label for="folgen" { "Wahrscheinliche Folgen" }
                textarea id="folgen" name="folgen" rows="3" { (consequences) }
                label for="massnahmen" { "Ergriffene und vorgeschlagene Maßnahmen" }
                textarea id="massnahmen" name="massnahmen" rows="4" { (measures) }
                label for="kontakt" { "Kontakt der / des Datenschutzbeauftragten" }
                textarea id="kontakt" name="kontakt" rows="2" {}
                label for="zeitpunkt" { "Bekannt geworden am" }
                input id="zeitpunkt" name="zeitpunkt" type="text" value={ (known.format("%d.%m.%Y %H:%M")) " Uhr" };
            }
        }
    }
}
