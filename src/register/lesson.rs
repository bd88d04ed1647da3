//! The lesson page: roster with everybody present by default, one tap per pupil for absent,
//! late (minutes) and left early, topic and homework, one save. Works without JavaScript.

use crate::auth::CurrentUser;
use crate::auth::extract::{DeferredUser, NoUser};
use crate::db::DbConnection;
use crate::db::register::{self, RosterPupil};
use crate::db::sessions;
use crate::error::{AppError, AppResult};
use crate::register::access::{self, Denied, LessonAccess, Who};
use crate::register::plan::Planned;
use crate::register::save::{self, Actor, Refusal, SaveRequest, Status};
use crate::startup::AppState;
use crate::web::page::{Flash, FlashKind, Page, csrf_field};
use crate::web::session;
use crate::web::{html, see_other};
use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path};
use chrono::NaiveDate;
use diesel::QueryResult;
use maud::{Markup, html as markup};
use std::collections::{HashMap, HashSet};

const WEEKDAYS: [&str; 7] = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"];

/// "Mo, 23.11.2026".
pub fn date_label(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "{}, {}",
        WEEKDAYS[d.weekday().num_days_from_monday() as usize],
        d.format("%d.%m.%Y")
    )
}

pub fn lesson_path(slot_id: i64, date: NaiveDate) -> String {
    format!("/unterricht/{slot_id}/{date}")
}

fn parse_path(path: &(i64, String)) -> AppResult<(i64, NaiveDate)> {
    let date = NaiveDate::parse_from_str(&path.1, "%Y-%m-%d").map_err(|_| AppError::NotFound)?;
    Ok((path.0, date))
}

/// Everything the lesson view shows.
struct LessonData {
    roster: Vec<RosterPupil>,
    entries: Vec<register::EntryView>,
    marks: HashMap<i64, (Status, i32)>,
    attest: HashSet<i64>,
    reported: HashSet<i64>,
}

/// Loads what the lesson view shows, on a connection the caller holds. Every statement has a
/// fixed shape, whatever the class size.
fn load_in(c: &mut DbConnection, school_id: i64, planned: &Planned) -> QueryResult<LessonData> {
    let (class_id, group_id, date, period) = (
        planned.slot.class_id,
        planned.slot.group_id,
        planned.date,
        planned.slot.period,
    );
    let roster = register::roster(c, school_id, class_id, group_id, date)?;
    let attest: HashSet<i64> =
        register::attest_pupils_of_roster(c, school_id, class_id, group_id, date)?
            .into_iter()
            .collect();
    let reported: HashSet<i64> =
        register::case_spans_of_roster(c, school_id, class_id, group_id, date)?
            .into_iter()
            .filter(|s| s.covers(date, period))
            .map(|s| s.pupil_id)
            .collect();
    let marks = match &planned.lesson {
        Some(lesson) => register::marks_of_lesson(c, school_id, lesson.id)?
            .into_iter()
            .map(|m| (m.pupil_id, (Status::from_db(&m.status), m.minutes)))
            .collect(),
        // A reported absence pre-fills the roster of a lesson not yet saved.
        None => reported
            .iter()
            .map(|id| (*id, (Status::Absent, 0)))
            .collect(),
    };
    let entries = register::entries_of_class_on(c, school_id, class_id, date)?;
    Ok(LessonData {
        roster,
        entries,
        marks,
        attest,
        reported,
    })
}

fn heading(p: &Planned) -> String {
    format!(
        "{} · {} · {}",
        p.slot.class_name,
        p.slot.subject_name,
        date_label(p.date)
    )
}

fn row(p: &RosterPupil, mark: (Status, i32), data: &LessonData) -> Markup {
    let name = format!("{}, {}", p.surname, p.first_name);
    let pid = format!("p{}", p.id);
    markup! {
        tr {
            th scope="row" {
                (name)
                @if data.attest.contains(&p.id) { " " span.flag title="Attestpflicht" { "Attest" } }
                @if data.reported.contains(&p.id) { " " span.flag title="Fehlzeit gemeldet" { "gemeldet" } }
            }
            td {
                fieldset.st {
                    legend.sr { "Anwesenheit " (name) }
                    @for s in [Status::Present, Status::Absent, Status::Late, Status::LeftEarly] {
                        label { input type="radio" name=(pid) value=(s.code()) checked[mark.0 == s]; (s.label()) }
                    }
                }
            }
            td { input.min name={ "m" (p.id) } inputmode="numeric" size="3" maxlength="3" aria-label={ "Minuten " (name) } value=[(mark.1 > 0).then_some(mark.1)]; }
        }
    }
}

fn view(
    user: &CurrentUser,
    acc: &LessonAccess,
    data: &LessonData,
    lock_days: i32,
    submitted: Option<&SaveRequest>,
    errors: &[String],
) -> Markup {
    let p = &acc.planned;
    let locked = acc.locked(lock_days);
    let marks: HashMap<i64, (Status, i32)> = match submitted {
        Some(r) => r
            .marks
            .iter()
            .map(|m| (m.pupil_id, (m.status, m.minutes)))
            .collect(),
        None => data.marks.clone(),
    };
    let topic = submitted
        .map(|r| r.topic.clone())
        .or_else(|| p.lesson.as_ref().map(|l| l.topic.clone()))
        .unwrap_or_default();
    let homework = submitted
        .map(|r| r.homework.clone())
        .or_else(|| p.lesson.as_ref().map(|l| l.homework.clone()))
        .unwrap_or_default();
    let action = lesson_path(p.slot.id, p.date);
    markup! {
        p.meta {
            (p.slot.period) ". Stunde"
            @if p.times.is_some() { " · " (p.time_label()) }
            @if !p.slot.room.is_empty() { " · Raum " (p.slot.room) }
            @if p.substituted { " · " strong { "Vertretung" } }
            @if p.documented() { " · " span.ok { "dokumentiert" } } @else { " · " span.open { "offen" } }
        }
        @if !errors.is_empty() {
            div.flash.err role="alert" id="fehler" { ul { @for e in errors { li { (e) } } } }
        }
        @if p.cancelled {
            p.flash.err { "Diese Stunde entfällt." }
        } @else if acc.can_write {
            form.lesson method="post" action=(action) {
                (csrf_field(user.session.csrf()))
                table.roster {
                    caption.sr { "Anwesenheit – alle sind anwesend, bis Sie etwas anderes wählen" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Anwesenheit" } th scope="col" { "Min." } } }
                    tbody {
                        @for pupil in &data.roster {
                            (row(pupil, marks.get(&pupil.id).copied().unwrap_or((Status::Present, 0)), data))
                        }
                    }
                }
                label for="topic" { "Thema" }
                textarea id="topic" name="topic" rows="2" maxlength="500" { (topic) }
                label for="homework" { "Hausaufgaben" }
                textarea id="homework" name="homework" rows="2" maxlength="1000" { (homework) }
                @if locked {
                    p.notice { "Diese Stunde ist festgeschrieben (älter als " (lock_days) " Tage). Änderungen werden als Nachtrag mit Begründung gespeichert." }
                    label for="reason" { "Begründung des Nachtrags" }
                    input id="reason" name="reason" maxlength="300";
                }
                button type="submit" { "Speichern" }
            }
        } @else {
            table.roster {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Anwesenheit" } } }
                tbody {
                    @for pupil in &data.roster {
                        @let m = marks.get(&pupil.id).copied().unwrap_or((Status::Present, 0));
                        tr { th scope="row" { (pupil.surname) ", " (pupil.first_name) }
                             td { (m.0.label()) @if m.1 > 0 { " (" (m.1) " min)" } } }
                    }
                }
            }
            p { strong { "Thema: " } (topic) }
            p { strong { "Hausaufgaben: " } (homework) }
        }
        (entries_section(user, acc, data))
        @if p.documented() && acc.elevation.is_some() {
            p { a href={ (action) "/verlauf" } { "Änderungsverlauf" } }
        }
    }
}

/// The kinds of register entries (an entry that names a pupil is a conduct note, kept with the
/// pupil's class B data instead).
pub const ENTRY_KINDS: [(&str, &str); 3] = [
    ("klassenarbeit", "Klassenarbeit / Test"),
    ("belehrung", "Belehrung"),
    ("notiz", "Allgemeine Notiz"),
];

fn entry_label(kind: &str) -> &str {
    ENTRY_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(kind, |(_, l)| l)
}

fn entries_section(user: &CurrentUser, acc: &LessonAccess, data: &LessonData) -> Markup {
    let p = &acc.planned;
    markup! {
        section.entries aria-labelledby="eintraege" {
            h2 id="eintraege" { "Einträge der Klasse an diesem Tag" }
            @if data.entries.is_empty() { p { "Keine Einträge." } } @else {
                ul.entries { @for e in &data.entries { li { strong { (entry_label(&e.kind)) } ": " (e.text) " – " (e.author) } } }
            }
            @if acc.can_write && !p.cancelled {
                form.stack method="post" action={ (lesson_path(p.slot.id, p.date)) "/eintrag" } {
                    (csrf_field(user.session.csrf()))
                    label for="kind" { "Art" }
                    select id="kind" name="kind" { @for (k, l) in ENTRY_KINDS { option value=(k) { (l) } } }
                    label for="entry_text" { "Text (ohne Namen von Schülerinnen und Schülern)" }
                    input id="entry_text" name="text" maxlength="1000" required;
                    button.secondary type="submit" { "Eintrag hinzufügen" }
                }
            }
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EntryForm {
    kind: String,
    text: String,
}

/// `POST /unterricht/{slot}/{date}/eintrag`: a class test, Belehrung or general note for the
/// lesson's class on that date.
pub async fn add_entry(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<(i64, String)>,
    form: Form<EntryForm>,
) -> AppResult<HttpResponse> {
    let (slot_id, date) = parse_path(&path)?;
    let acc = access::resolve(&state, &user, slot_id, date, &lesson_path(slot_id, date)).await?;
    if !acc.can_write || acc.planned.cancelled {
        return Err(AppError::Forbidden);
    }
    let EntryForm { kind, text } = form.into_inner();
    let text = text.trim().to_owned();
    let error = if !ENTRY_KINDS.iter().any(|(k, _)| *k == kind) {
        Some("Feld »Art«: bitte Klassenarbeit, Belehrung oder Notiz wählen.".to_owned())
    } else if text.is_empty() {
        Some("Feld »Text«: bitte ausfüllen.".to_owned())
    } else if text.chars().count() > 1000 {
        Some("Feld »Text«: höchstens 1000 Zeichen.".to_owned())
    } else {
        None
    };
    if let Some(e) = error {
        session::set_flash(
            &state,
            &user.session,
            Flash {
                kind: FlashKind::Error,
                text: e,
            },
        )
        .await?;
        return Ok(see_other(&lesson_path(slot_id, date)));
    }
    let p = acc.planned.clone();
    let (school_id, user_id, now) = (user.school_id(), user.user.id, user.now.naive_utc());
    let assurance = user.assurance().to_owned();
    let k = kind.clone();
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                let id = register::insert_entry(
                    c,
                    &register::NewEntry {
                        school_id,
                        class_id: p.slot.class_id,
                        group_id: p.slot.group_id,
                        date: p.date,
                        kind: &k,
                        text: &text,
                        author_id: user_id,
                        now,
                    },
                )?;
                register::record_changes(
                    c,
                    school_id,
                    user_id,
                    &assurance,
                    now,
                    None,
                    &[register::Change {
                        entity: "entry",
                        entity_id: id,
                        field: k.clone(),
                        old_value: String::new(),
                        new_value: text.clone(),
                    }],
                )
            })
        })
        .await?;
    user.event("eintrag_angelegt")
        .object(format!("stunde:{slot_id}:{date}"))
        .detail(format!("art={kind}"))
        .record(&state)
        .await?;
    session::set_flash(
        &state,
        &user.session,
        Flash {
            kind: FlashKind::Success,
            text: "Eintrag gespeichert.".into(),
        },
    )
    .await?;
    Ok(see_other(&lesson_path(slot_id, date)))
}

/// What the one trip of the lesson page found.
enum ShowTrip {
    NoUser(NoUser),
    NotFound,
    Denied(Box<CurrentUser>, Denied),
    Shown(Box<(CurrentUser, LessonAccess, LessonData)>),
}

/// `GET /unterricht/{slot}/{date}`. Session and user, access, data and the flash message in
/// one trip to the database: the session middleware leaves the session's lookup to this
/// trip, which runs it first, with every check of [`CurrentUser`].
pub async fn show(
    state: Data<AppState>,
    user: DeferredUser,
    path: Path<(String, String)>,
) -> AppResult<HttpResponse> {
    // A malformed path is answered after the user is known, as when it was parsed after the
    // user had been loaded.
    let (slot, date) = path.into_inner();
    let parsed = slot
        .parse::<i64>()
        .ok()
        .and_then(|slot| parse_path(&(slot, date)).ok());
    let pending = user.pending();
    let trip = state
        .db
        .run(move |c| {
            let (live, current) = pending.resolve_in(c)?;
            let current = match current {
                Ok(current) => current,
                Err(no) => return Ok((live, ShowTrip::NoUser(no))),
            };
            let Some((slot_id, date)) = parsed else {
                return Ok((live, ShowTrip::NotFound));
            };
            let who = Who::of(&current);
            let acc = match access::resolve_in(c, &who, slot_id, date)? {
                Ok(acc) => acc,
                Err(denied) => return Ok((live, ShowTrip::Denied(Box::new(current), denied))),
            };
            let data = load_in(c, who.school_id, &acc.planned)?;
            // The flash is shown once: cleared in the same trip, after the data was read.
            if current.session.row.flash.is_some() {
                sessions::set_flash(c, &current.session.row.id_hash, None)?;
            }
            Ok((live, ShowTrip::Shown(Box::new((current, acc, data)))))
        })
        .await;
    user.settle(trip.as_ref().map_or(true, |(live, _)| *live));
    let (current, acc, data) = match trip?.1 {
        ShowTrip::Shown(shown) => *shown,
        ShowTrip::NoUser(no) => return Err(user.refuse(no)),
        ShowTrip::NotFound => return Err(AppError::NotFound),
        ShowTrip::Denied(current, denied) => {
            let (slot_id, date) = parsed.ok_or(AppError::NotFound)?;
            let next = lesson_path(slot_id, date);
            return Err(denied
                .into_error(&state, &current, slot_id, date, &next)
                .await);
        }
    };
    let user = current;
    let flash = user.session.row.flash.as_deref().map(Flash::decode);
    let body = view(&user, &acc, &data, user.school.lock_days, None, &[]);
    Ok(html(
        Page::new(heading(&acc.planned))
            .nav(user.nav())
            .flash(flash)
            .script("/static/lesson.js")
            .render(body),
    ))
}

/// What the one trip of a save found or did.
enum SaveTrip {
    Denied(Denied),
    Forbidden,
    /// The form did not validate; the view to show again.
    Invalid {
        acc: LessonAccess,
        data: LessonData,
        entered: SaveRequest,
        errors: Vec<String>,
    },
    /// The save was refused without writing anything; the view to show again.
    Refused {
        acc: LessonAccess,
        data: LessonData,
        req: SaveRequest,
        refusal: Refusal,
    },
    Saved {
        today: NaiveDate,
    },
}

/// `POST /unterricht/{slot}/{date}`: one request, one transaction for the whole roster, and
/// one trip to the database for access, roster, save and flash message.
pub async fn save(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<(i64, String)>,
    form: Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (slot_id, date) = parse_path(&path)?;
    let who = Who::of(&user);
    let school_id = who.school_id;
    let lock_days = user.school.lock_days;
    let (user_id, assurance, now) = (
        user.user.id,
        user.assurance().to_owned(),
        user.now.naive_utc(),
    );
    let session_id = user.session.row.id_hash.clone();
    let form = form.into_inner();
    let trip = state
        .db
        .run(move |c| {
            let acc = match access::resolve_in(c, &who, slot_id, date)? {
                Ok(acc) => acc,
                Err(denied) => return Ok(SaveTrip::Denied(denied)),
            };
            if !acc.can_write {
                return Ok(SaveTrip::Forbidden);
            }
            // Only the roster is needed to read the form; the rest of the view only if it is
            // shown again.
            let (class_id, group_id) = (acc.planned.slot.class_id, acc.planned.slot.group_id);
            let roster = register::roster(c, school_id, class_id, group_id, date)?;
            let req = match save::parse_form(&form, &roster) {
                Ok(r) => r,
                Err(errors) => {
                    let data = load_in(c, school_id, &acc.planned)?;
                    let entered = save::as_entered(&form, &data.roster);
                    return Ok(SaveTrip::Invalid {
                        acc,
                        data,
                        entered,
                        errors,
                    });
                }
            };
            let actor = Actor {
                user_id,
                assurance: &assurance,
                now,
                locked: acc.locked(lock_days),
            };
            match save::apply(c, school_id, &acc.planned, &req, &actor)? {
                Ok(outcome) => {
                    // The flash message after the commit.
                    let planned = &acc.planned;
                    let flash = Flash {
                        kind: FlashKind::Success,
                        text: format!(
                            "{} {} gespeichert: {} fehlen, {} verspätet, {} früher gegangen.",
                            planned.slot.class_name,
                            planned.slot.subject_name,
                            outcome.absent,
                            outcome.late,
                            outcome.left_early
                        ),
                    };
                    sessions::set_flash(c, &session_id, Some(&flash.encode()))?;
                    Ok(SaveTrip::Saved { today: acc.today })
                }
                Err(refusal) => {
                    let data = load_in(c, school_id, &acc.planned)?;
                    Ok(SaveTrip::Refused {
                        acc,
                        data,
                        req,
                        refusal,
                    })
                }
            }
        })
        .await?;
    match trip {
        SaveTrip::Saved { today } => Ok(see_other(if date == today { "/" } else { "/offen" })),
        SaveTrip::Denied(denied) => {
            let next = lesson_path(slot_id, date);
            Err(denied.into_error(&state, &user, slot_id, date, &next).await)
        }
        SaveTrip::Forbidden => Err(AppError::Forbidden),
        SaveTrip::Invalid {
            acc,
            data,
            entered,
            errors,
        } => Ok(rerender(
            &user,
            &acc,
            &data,
            lock_days,
            Some(&entered),
            &errors,
        )),
        SaveTrip::Refused {
            acc,
            data,
            req,
            refusal,
        } => {
            let message = match refusal {
                Refusal::NeedsReason => format!(
                    "Diese Stunde ist festgeschrieben (älter als {lock_days} Tage): bitte im Feld »Begründung des Nachtrags« angeben, warum Sie sie ändern."
                ),
                Refusal::Cancelled => {
                    "Diese Stunde entfällt und kann nicht dokumentiert werden.".into()
                }
            };
            Ok(rerender(
                &user,
                &acc,
                &data,
                lock_days,
                Some(&req),
                &[message],
            ))
        }
    }
}

fn rerender(
    user: &CurrentUser,
    acc: &LessonAccess,
    data: &LessonData,
    lock_days: i32,
    req: Option<&SaveRequest>,
    errors: &[String],
) -> HttpResponse {
    let body = view(user, acc, data, lock_days, req, errors);
    HttpResponse::UnprocessableEntity()
        .content_type("text/html; charset=utf-8")
        .body(
            Page::new(heading(&acc.planned))
                .nav(user.nav())
                .script("/static/lesson.js")
                .render(body)
                .into_string(),
        )
}

/// `GET /unterricht/{slot}/{date}/verlauf`: the change history (class B, step-up).
pub async fn history(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let (slot_id, date) = parse_path(&path)?;
    let next = format!("{}/verlauf", lesson_path(slot_id, date));
    let acc = access::resolve(&state, &user, slot_id, date, &next).await?;
    let _proof = crate::auth::extract::require_elevation(&state, &user, &next).await?;
    user.event("verlauf_angezeigt")
        .object(format!("stunde:{slot_id}:{date}"))
        .detail("datengruppe=fehlzeiten")
        .record(&state)
        .await?;
    let Some(lesson) = acc.planned.lesson.clone() else {
        return Err(AppError::NotFound);
    };
    let school_id = user.school_id();
    let (rows, names) = state
        .db
        .run(move |c| {
            let rows = register::history_of_lesson(c, school_id, lesson.id)?;
            let roster =
                register::roster(c, school_id, lesson.class_id, lesson.group_id, lesson.date)?;
            Ok((rows, roster))
        })
        .await?;
    let name_of: HashMap<String, String> = names
        .iter()
        .map(|p| {
            (
                format!("schueler:{}", p.id),
                format!("{}, {}", p.surname, p.first_name),
            )
        })
        .collect();
    let body = markup! {
        table.history {
            thead { tr { th { "Zeit (UTC)" } th { "Wer" } th { "Stufe" } th { "Feld" } th { "Alt" } th { "Neu" } th { "Nachtrag" } } }
            tbody {
                @for r in &rows {
                    tr {
                        td { (r.at.format("%d.%m.%Y %H:%M")) }
                        td { (r.user_name) }
                        td { (r.assurance) }
                        td { (name_of.get(&r.field).cloned().unwrap_or_else(|| r.field.clone())) }
                        td { (r.old_value) }
                        td { (r.new_value) }
                        td.amendment { @if let Some(reason) = &r.amendment_reason { "Nachtrag: " (reason) } }
                    }
                }
            }
        }
        p { a href=(lesson_path(slot_id, date)) { "Zur Stunde" } }
    };
    Ok(html(
        Page::new(format!("Verlauf: {}", heading(&acc.planned)))
            .nav(user.nav())
            .render(body),
    ))
}
