//! The access report (Art. 15 GDPR) and the data export (Art. 20) of one pupil: everything
//! stored about the pupil — master data, enrolment and courses, profile, photo, guardians,
//! health codes and support measures, conduct notes and register entries naming the pupil,
//! absence cases with excuses, Attestpflicht, every attendance mark with its lesson — and
//! every audit record of the pupil's class B data (who saw or changed what, and when),
//! including views of class pages that showed the pupil's data while enrolled in the class.
//!
//! The teacher's notebook is the teacher's own working record (`product.md` § 4.4: owner
//! only), but its entries are personal data of the pupil held by the school. The report
//! therefore lists every notebook entry about the pupil with date, kind, subject and the
//! owning teacher, without its text: the headteacher does not read notebooks; the text is
//! handed over by the teacher on request (the report says so).
//!
//! Headteacher only, after step-up; each report and each export is audited.

use super::export;
use crate::auth::Elevated;
use crate::auth::extract::{Elevation, Headteacher};
use crate::clock::school_local;
use crate::crypto::Keyring;
use crate::db::absences::{self as absence_db};
use crate::db::audit::{self, AuditRow};
use crate::db::pupils::{codes_of_pupil, conduct_notes_of, photo as photo_of, profile};
use crate::db::pupils::{guardians_of, measures_of};
use crate::db::retention_subject as subject;
use crate::db::structure as people;
use crate::db::{DbConnection, structure};
use crate::error::{AppError, AppResult};
use crate::pupils::{column_purpose, open};
use crate::school::forms::de_date;
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{Data, Path};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::QueryResult;
use maud::{Markup, html as markup};
use serde::Serialize;
use std::collections::HashMap;

/// The pupil as enrolled.
#[derive(Debug, Clone, Serialize)]
pub struct Master {
    pub id: i64,
    pub surname: String,
    pub first_name: String,
    pub class: String,
    pub enrolled_from: NaiveDate,
    pub enrolled_to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Course {
    pub course: String,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

/// The profile, decrypted; empty fields are `None`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Profile {
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub training_company: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Guardian {
    pub name: String,
    pub relation: String,
    pub custody: String,
    pub contact: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HealthCode {
    pub code: String,
    pub meaning: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    pub kind: String,
    pub detail: String,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConductNote {
    pub date: NaiveDate,
    pub author: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegisterEntry {
    pub date: NaiveDate,
    pub kind: String,
    pub author: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AbsenceCase {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub from_period: Option<i16>,
    pub to_period: Option<i16>,
    pub reason: String,
    pub note: Option<String>,
    pub excuse: String,
    pub excuse_received_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attest {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mark {
    pub date: NaiveDate,
    pub period: i16,
    pub subject: String,
    pub class: String,
    pub teacher: String,
    pub topic: String,
    pub status: String,
    pub minutes: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotebookEntry {
    pub date: NaiveDate,
    pub kind: String,
    pub subject: Option<String>,
    pub teacher: String,
}

/// One audit record about the pupil's data.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub at: NaiveDateTime,
    pub user: String,
    pub action: String,
    pub data_group: String,
    /// `schueler:<id>` or, for a class page, `klasse:<id>`.
    pub object: String,
    pub result: String,
}

/// Everything stored about one pupil.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub school: String,
    pub generated_at: NaiveDateTime,
    pub pupil: Master,
    pub courses: Vec<Course>,
    pub profile: Profile,
    /// Size of the stored photo in bytes (the photo itself is a file of the export).
    pub photo_bytes: Option<usize>,
    pub guardians: Vec<Guardian>,
    pub health_codes: Vec<HealthCode>,
    pub support_measures: Vec<Measure>,
    pub conduct_notes: Vec<ConductNote>,
    pub register_entries: Vec<RegisterEntry>,
    pub absence_cases: Vec<AbsenceCase>,
    pub attests: Vec<Attest>,
    pub attendance: Vec<Mark>,
    pub notebook_entries: Vec<NotebookEntry>,
    pub accesses: Vec<Access>,
    /// Other enrolment rows with the same name (after a class change), each with its own
    /// report.
    pub other_enrolments: Vec<Master>,
    #[serde(skip)]
    pub photo: Option<Vec<u8>>,
}

/// What the database holds, still sealed.
struct Loaded {
    pupil: people::PupilRow,
    courses: Vec<(String, NaiveDate, Option<NaiveDate>)>,
    profile: Option<crate::db::pupils::ProfileRow>,
    photo: Option<String>,
    guardians: Vec<crate::db::pupils::GuardianRow>,
    codes: Vec<crate::db::pupils::HealthCodeRow>,
    measures: Vec<crate::db::pupils::MeasureRow>,
    conduct: Vec<crate::db::pupils::ConductRow>,
    entries: Vec<subject::EntryAbout>,
    cases: Vec<absence_db::AbsenceCase>,
    attests: Vec<absence_db::Attest>,
    marks: Vec<subject::MarkWithLesson>,
    notebook: Vec<subject::NotebookMeta>,
    audit: Vec<AuditRow>,
    names: HashMap<i64, String>,
    others: Vec<subject::Enrolment>,
}

fn load(
    conn: &mut DbConnection,
    proof: &Elevation,
    school_id: i64,
    pupil_id: i64,
) -> QueryResult<Option<Loaded>> {
    let Some(pupil) = structure::pupil(conn, school_id, pupil_id)? else {
        return Ok(None);
    };
    // Every case and Attestpflicht (a date both backends can store).
    let since = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
    // The pupil's own records, and class pages of the pupil's class.
    let objects = [
        super::pupil_object(pupil_id),
        format!("klasse:{}", pupil.class_id),
    ];
    let audit = audit::about_objects(conn, school_id, &objects)?
        .into_iter()
        .filter(|r| {
            r.object != objects[1]
                || (super::CLASS_VIEW_ACTIONS.contains(&r.action.as_str())
                    && pupil.enrolled_on(r.at.date()))
        })
        .collect();
    Ok(Some(Loaded {
        courses: subject::courses_of(conn, school_id, pupil_id)?,
        profile: profile(conn, proof, school_id, pupil_id)?,
        photo: photo_of(conn, proof, school_id, pupil_id)?,
        guardians: guardians_of(conn, proof, school_id, pupil_id)?,
        codes: codes_of_pupil(conn, proof, school_id, pupil_id)?,
        measures: measures_of(conn, proof, school_id, pupil_id)?,
        conduct: conduct_notes_of(conn, proof, school_id, pupil_id, None)?,
        entries: subject::entries_about(conn, proof, school_id, pupil_id)?,
        cases: absence_db::cases_of_pupils_since(conn, school_id, &[pupil_id], since)?,
        attests: absence_db::attests_of_pupils_since(conn, school_id, &[pupil_id], since)?,
        marks: subject::marks_with_lessons(conn, proof, school_id, pupil_id)?,
        notebook: subject::notebook_meta(conn, proof, school_id, pupil_id)?,
        audit,
        names: subject::user_names(conn, school_id)?.into_iter().collect(),
        others: subject::same_name_enrolments(
            conn,
            school_id,
            &pupil.surname,
            &pupil.first_name,
            pupil_id,
        )?,
        pupil,
    }))
}

fn open_profile(
    keys: &Keyring,
    pupil_id: i64,
    row: Option<&crate::db::pupils::ProfileRow>,
) -> Profile {
    let Some(row) = row else {
        return Profile::default();
    };
    let o = |column: &str, v: &Option<String>| {
        v.as_deref()
            .map(|s| open(keys, "pupil_profiles", column, pupil_id, s))
    };
    Profile {
        birth_date: o("birth_date_enc", &row.birth_date_enc),
        sex: o("sex_enc", &row.sex_enc),
        address: o("address_enc", &row.address_enc),
        email: o("email_enc", &row.email_enc),
        phone: o("phone_enc", &row.phone_enc),
        training_company: o("training_company_enc", &row.training_company_enc),
    }
}

fn build(
    keys: &Keyring,
    school: &str,
    school_id: i64,
    now: DateTime<Utc>,
    l: Loaded,
) -> AppResult<Report> {
    let id = l.pupil.id;
    let photo = match &l.photo {
        Some(stored) => {
            let purpose = column_purpose("pupil_photos", "data_enc", id)?;
            Some(
                keys.decrypt(&purpose, stored)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("Foto {id}: {e}")))?,
            )
        }
        None => None,
    };
    let name_of = |uid: Option<i64>| {
        uid.map(|u| {
            l.names
                .get(&u)
                .cloned()
                .unwrap_or_else(|| format!("Benutzer {u}"))
        })
        .unwrap_or_else(|| "System".to_owned())
    };
    Ok(Report {
        school: school.to_owned(),
        generated_at: school_local(now),
        pupil: Master {
            id,
            surname: l.pupil.surname.clone(),
            first_name: l.pupil.first_name.clone(),
            class: l.pupil.class_name.clone(),
            enrolled_from: l.pupil.enrolled_from,
            enrolled_to: l.pupil.enrolled_to,
        },
        courses: l
            .courses
            .iter()
            .map(|(c, from, to)| Course {
                course: c.clone(),
                from: *from,
                to: *to,
            })
            .collect(),
        profile: open_profile(keys, id, l.profile.as_ref()),
        photo_bytes: photo.as_ref().map(Vec::len),
        photo,
        guardians: l
            .guardians
            .iter()
            .map(|g| {
                let o = |c: &str, v: &str| open(keys, "guardians", c, id, v);
                Guardian {
                    name: o("name_enc", &g.name_enc),
                    relation: o("relation_enc", &g.relation_enc),
                    custody: o("custody_enc", &g.custody_enc),
                    contact: o("contact_enc", &g.contact_enc),
                }
            })
            .collect(),
        health_codes: l
            .codes
            .iter()
            .map(|c| HealthCode {
                code: c.code.clone(),
                meaning: open(
                    keys,
                    "health_codes",
                    "meaning_enc",
                    school_id,
                    &c.meaning_enc,
                ),
            })
            .collect(),
        support_measures: l
            .measures
            .iter()
            .map(|m| Measure {
                kind: m.kind.clone(),
                detail: open(keys, "support_measures", "detail_enc", id, &m.detail_enc),
                from: m.valid_from,
                to: m.valid_to,
            })
            .collect(),
        conduct_notes: l
            .conduct
            .iter()
            .map(|n| ConductNote {
                date: n.date,
                author: n.author_name.clone(),
                text: open(keys, "conduct_notes", "text_enc", id, &n.text_enc),
            })
            .collect(),
        register_entries: l
            .entries
            .iter()
            .map(|e| RegisterEntry {
                date: e.date,
                kind: e.kind.clone(),
                author: e.author.clone(),
                text: e.text.clone(),
            })
            .collect(),
        absence_cases: l
            .cases
            .iter()
            .rev()
            .map(|c| AbsenceCase {
                from: c.from_date,
                to: c.to_date,
                from_period: c.from_period,
                to_period: c.to_period,
                reason: c.reason.clone(),
                note: c
                    .note_enc
                    .as_deref()
                    .map(|n| open(keys, "absence_cases", "note_enc", id, n)),
                excuse: c.excuse.clone(),
                excuse_received_on: c.excuse_received_on,
            })
            .collect(),
        attests: l
            .attests
            .iter()
            .map(|a| Attest {
                from: a.from_date,
                to: a.to_date,
            })
            .collect(),
        attendance: l
            .marks
            .iter()
            .map(|m| Mark {
                date: m.date,
                period: m.period,
                subject: m.subject.clone(),
                class: m.class_name.clone(),
                teacher: m.teacher.clone(),
                topic: m.topic.clone(),
                status: m.status.clone(),
                minutes: m.minutes,
            })
            .collect(),
        notebook_entries: l
            .notebook
            .iter()
            .map(|n| NotebookEntry {
                date: n.date,
                kind: n.kind.clone(),
                subject: n.subject.clone(),
                teacher: n.owner.clone(),
            })
            .collect(),
        other_enrolments: l
            .others
            .iter()
            .map(|(oid, class, from, to)| Master {
                id: *oid,
                surname: l.pupil.surname.clone(),
                first_name: l.pupil.first_name.clone(),
                class: class.clone(),
                enrolled_from: *from,
                enrolled_to: *to,
            })
            .collect(),
        accesses: l
            .audit
            .iter()
            .map(|r| Access {
                at: r.at,
                user: name_of(r.actor_user_id),
                action: super::action_label(&r.action).to_owned(),
                data_group: super::group_of(&r.detail).unwrap_or("").to_owned(),
                object: r.object.clone(),
                result: r.result.clone(),
            })
            .collect(),
    })
}

/// Loads and decrypts the report of `pupil_id`; 404 (audited) for another school's or no
/// pupil.
async fn report(
    state: &AppState,
    elevated: &Elevated<Headteacher>,
    pupil_id: i64,
) -> AppResult<Report> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let proof = elevated.proof.clone();
    let Some(loaded) = state
        .db
        .run(move |c| load(c, &proof, school_id, pupil_id))
        .await?
    else {
        // Audited, and 404 whether the pupil is another school's or nobody's.
        return Err(crate::pupils::refuse(state, user, super::pupil_object(pupil_id)).await);
    };
    build(&state.keys, &user.school.name, school_id, user.now, loaded)
}

/// `GET /verwaltung/auskunft`: the pupils of the school, each with its report.
pub async fn index(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let pupils = state
        .db
        .run(move |c| people::pupils(c, school_id, None))
        .await?;
    user.event("auskunft_auswahl_angezeigt")
        .detail(format!("schueler={}", pupils.len()))
        .record(&state)
        .await?;
    let body = markup! {
        p { "Auskunft nach Art. 15 DSGVO und Datenübertragung nach Art. 20 DSGVO: Wählen Sie \
             die Schülerin oder den Schüler. Der Bericht enthält alle gespeicherten Daten und \
             alle protokollierten Zugriffe; jede Auskunft wird protokolliert." }
        table.pupils {
            thead { tr { th { "Name" } th { "Klasse" } th { "Aufgenommen" } th { "Abgang" } th { "Auskunft" } } }
            tbody {
                @for p in &pupils {
                    tr {
                        td { (p.name()) }
                        td { (p.class_name) }
                        td { (p.enrolled_from.format("%d.%m.%Y")) }
                        td { @if let Some(t) = p.enrolled_to { (t.format("%d.%m.%Y")) } }
                        td {
                            a href={ "/verwaltung/auskunft/" (p.id) } { "Bericht" } " · "
                            a href={ "/verwaltung/auskunft/" (p.id) "/export.zip" } { "Export (ZIP)" }
                        }
                    }
                }
            }
        }
    };
    Ok(html(
        Page::new("Auskunft und Datenexport")
            .nav(user.nav())
            .render(body),
    ))
}

/// `GET /verwaltung/auskunft/{pupil_id}`: the printable report.
pub async fn show(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    path: Path<i64>,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let r = report(&state, &elevated, pupil_id).await?;
    elevated
        .user
        .event("auskunft_erstellt")
        .object(super::pupil_object(pupil_id))
        .detail("format=html")
        .record(&state)
        .await?;
    let title = format!("Auskunft über {} {}", r.pupil.first_name, r.pupil.surname);
    Ok(html(
        Page::new(title).nav(elevated.user.nav()).render(view(&r)),
    ))
}

/// `GET /verwaltung/auskunft/{pupil_id}/export.zip`: JSON, CSV files and the photo.
pub async fn export_zip(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    path: Path<i64>,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let r = report(&state, &elevated, pupil_id).await?;
    let bytes = actix_web::web::block(move || export::zip(&r))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Export abgebrochen: {e}")))?
        .map_err(AppError::Internal)?;
    elevated
        .user
        .event("export")
        .object(super::pupil_object(pupil_id))
        .detail("auskunft zip (json, csv)")
        .record(&state)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"auskunft-schueler-{pupil_id}.zip\""),
        ))
        .body(bytes))
}

fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(de_date).unwrap_or_default()
}

fn field(label: &str, value: &Option<String>) -> Markup {
    markup! { tr { th scope="row" { (label) } td { (value.as_deref().unwrap_or("–")) } } }
}

/// The printable report.
pub fn view(r: &Report) -> Markup {
    let p = &r.profile;
    markup! {
        p.meta { "Schule: " (r.school) " · erstellt am " (r.generated_at.format("%d.%m.%Y %H:%M")) " Uhr" }
        p.print-only { "Auskunft nach Art. 15 DSGVO" }
        p { a.button href={ "/verwaltung/auskunft/" (r.pupil.id) "/export.zip" } download { "Maschinenlesbarer Export (ZIP mit JSON und CSV)" } }
        section id="stammdaten" {
            h2 { "Stammdaten und Schulverhältnis" }
            table.fields { tbody {
                tr { th scope="row" { "Nachname" } td { (r.pupil.surname) } }
                tr { th scope="row" { "Vorname" } td { (r.pupil.first_name) } }
                tr { th scope="row" { "Klasse" } td { (r.pupil.class) } }
                tr { th scope="row" { "Aufgenommen am" } td { (de_date(r.pupil.enrolled_from)) } }
                tr { th scope="row" { "Abgang am" } td { (opt_date(r.pupil.enrolled_to)) } }
            } }
            @if !r.other_enrolments.is_empty() {
                h3 { "Weitere Einschreibungen mit gleichem Namen" }
                p { "Ein Klassenwechsel beginnt eine neue Einschreibung. Prüfen Sie, ob es dieselbe \
                     Person ist, und fügen Sie deren Berichte bei:" }
                ul.other-enrolments { @for o in &r.other_enrolments {
                    li { a href={ "/verwaltung/auskunft/" (o.id) } { (o.class) " (" (de_date(o.enrolled_from)) " – " (opt_date(o.enrolled_to)) ")" } }
                } }
            }
            @if !r.courses.is_empty() {
                h3 { "Kurse" }
                ul.courses { @for c in &r.courses { li { (c.course) " (" (de_date(c.from)) " – " (opt_date(c.to)) ")" } } }
            }
        }
        section id="profil" {
            h2 { "Persönliche Daten und Kontakt" }
            table.fields { tbody {
                (field("Geburtsdatum", &p.birth_date))
                (field("Geschlecht", &p.sex))
                (field("Anschrift", &p.address))
                (field("E-Mail", &p.email))
                (field("Telefon", &p.phone))
                (field("Ausbildungsbetrieb", &p.training_company))
                tr { th scope="row" { "Foto" } td { @match r.photo_bytes { Some(n) => { "gespeichert (" (n) " Bytes; im Export enthalten)" }, None => "keines" } } }
            } }
        }
        section id="erziehungsberechtigte" {
            h2 { "Erziehungsberechtigte" }
            @if r.guardians.is_empty() { p { "Keine gespeichert." } } @else {
                table.guardians {
                    thead { tr { th { "Name" } th { "Verhältnis" } th { "Sorgerecht" } th { "Kontakt" } } }
                    tbody { @for g in &r.guardians { tr { td { (g.name) } td { (g.relation) } td { (g.custody) } td { (g.contact) } } } }
                }
            }
        }
        section id="foerderung" {
            h2 { "Förderdaten und Gesundheitscodes" }
            @if r.health_codes.is_empty() && r.support_measures.is_empty() { p { "Keine gespeichert." } }
            @if !r.health_codes.is_empty() {
                ul.health-codes { @for c in &r.health_codes { li { (c.code) ": " (c.meaning) } } }
            }
            @if !r.support_measures.is_empty() {
                table.measures {
                    thead { tr { th { "Art" } th { "Angaben" } th { "Von" } th { "Bis" } } }
                    tbody { @for m in &r.support_measures { tr { td { (m.kind) } td { (m.detail) } td { (de_date(m.from)) } td { (opt_date(m.to)) } } } }
                }
            }
        }
        section id="verhalten" {
            h2 { "Verhaltensnotizen und Einträge im Klassenbuch" }
            @if r.conduct_notes.is_empty() && r.register_entries.is_empty() { p { "Keine gespeichert." } }
            @if !r.conduct_notes.is_empty() {
                table.conduct {
                    thead { tr { th { "Datum" } th { "Verfasst von" } th { "Notiz" } } }
                    tbody { @for n in &r.conduct_notes { tr { td { (de_date(n.date)) } td { (n.author) } td { (n.text) } } } }
                }
            }
            @if !r.register_entries.is_empty() {
                table.entries {
                    thead { tr { th { "Datum" } th { "Art" } th { "Verfasst von" } th { "Text" } } }
                    tbody { @for e in &r.register_entries { tr { td { (de_date(e.date)) } td { (e.kind) } td { (e.author) } td { (e.text) } } } }
                }
            }
        }
        section id="fehlzeiten" {
            h2 { "Fehlzeiten und Entschuldigungen" }
            @if r.absence_cases.is_empty() { p { "Keine Abwesenheitsfälle." } } @else {
                table.cases {
                    thead { tr { th { "Von" } th { "Bis" } th { "Grund" } th { "Notiz" } th { "Entschuldigung" } th { "Eingegangen am" } } }
                    tbody { @for c in &r.absence_cases { tr {
                        td { (de_date(c.from)) @if let Some(p) = c.from_period { " (" (p) ". Std.)" } }
                        td { (de_date(c.to)) @if let Some(p) = c.to_period { " (" (p) ". Std.)" } }
                        td { (c.reason) } td { (c.note.as_deref().unwrap_or("")) } td { (c.excuse) } td { (opt_date(c.excuse_received_on)) }
                    } } }
                }
            }
            @if !r.attests.is_empty() {
                h3 { "Attestpflicht" }
                ul.attests { @for a in &r.attests { li { (de_date(a.from)) " – " (de_date(a.to)) } } }
            }
        }
        section id="anwesenheit" {
            h2 { "Anwesenheit im Unterricht" }
            @if r.attendance.is_empty() { p { "Keine Einträge." } } @else {
                table.marks {
                    thead { tr { th { "Datum" } th { "Stunde" } th { "Fach" } th { "Klasse" } th { "Lehrkraft" } th { "Thema" } th { "Vermerk" } th { "Minuten" } } }
                    tbody { @for m in &r.attendance { tr {
                        td { (de_date(m.date)) } td { (m.period) } td { (m.subject) } td { (m.class) } td { (m.teacher) } td { (m.topic) } td { (m.status) } td { (m.minutes) }
                    } } }
                }
            }
        }
        section id="notizbuch" {
            h2 { "Notizbuch der Lehrkräfte" }
            p { "Das Notizbuch ist die eigene Arbeitsunterlage der Lehrkraft; die Schulleitung \
                 liest es nicht. Aufgeführt ist, welche Einträge es gibt; den Wortlaut händigt \
                 die jeweilige Lehrkraft auf Anforderung aus." }
            @if r.notebook_entries.is_empty() { p { "Keine Einträge." } } @else {
                table.notebook {
                    thead { tr { th { "Datum" } th { "Art" } th { "Fach" } th { "Lehrkraft" } } }
                    tbody { @for n in &r.notebook_entries { tr { td { (de_date(n.date)) } td { (n.kind) } td { (n.subject.as_deref().unwrap_or("")) } td { (n.teacher) } } } }
                }
            }
        }
        section id="zugriffe" {
            h2 { "Protokollierte Zugriffe" }
            p { "Wer wann welche Daten gesehen, geändert oder exportiert hat (aus dem Protokoll)." }
            @if r.accesses.is_empty() { p { "Keine Zugriffe protokolliert." } } @else {
                table.accesses {
                    thead { tr { th { "Zeit (UTC)" } th { "Benutzer" } th { "Vorgang" } th { "Datengruppe" } th { "Objekt" } th { "Ergebnis" } } }
                    tbody { @for a in &r.accesses { tr {
                        td { (a.at.format("%d.%m.%Y %H:%M:%S")) } td.user { (a.user) } td.action { (a.action) } td.group { (a.data_group) } td { (a.object) } td { (a.result) }
                    } } }
                }
            }
        }
    }
}
