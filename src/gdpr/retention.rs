//! The retention job (`product.md` § 4.6): applies the school's periods — register data
//! `register_years` after the end of the closed school year, notebook entries
//! `notebook_years` after their date, profile data `profile_years` after the pupil left,
//! audit records at the end of the `audit_years`-th year after their year of creation.
//!
//! A run first makes a [`Plan`] (the dry run shows exactly that plan), then carries it out
//! item by item: before a school year's register data goes, the printed register of every
//! class of that year is written as a PDF to the archive directory; only when every file is
//! written is the data deleted. Each item carried out leaves a deletion record (rule, what,
//! how many, when, archive files) and the run an audit record. Audit records are deleted as
//! a prefix of the school's chain, whose anchor keeps `audit verify` working.
//!
//! Used by `klassenbuch retention run`, by the daily job of `serve` ([`super::jobs`]) and by
//! the headteacher's page `/verwaltung/loeschung`.

use crate::auth::Elevated;
use crate::auth::extract::{Elevation, Headteacher};
use crate::clock::school_today;
use crate::db::audit::{self, NewAudit};
use crate::db::retention::{self as db, NewDeletionRecord, Periods};
use crate::db::{DbConnection, schools};
use crate::error::{AppError, AppResult};
use crate::school::forms::de_date;
use crate::startup::AppState;
use crate::web::page::{FlashKind, Page, csrf_field};
use crate::web::session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form};
use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, Utc};
use maud::{Markup, html as markup};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What one item of a plan deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The register data of a closed school year, after archiving each class's register.
    RegisterYear {
        year_id: i64,
        name: String,
        from: NaiveDate,
        to: NaiveDate,
        classes: Vec<i64>,
    },
    Notebook {
        before: NaiveDate,
    },
    Profiles {
        pupils: Vec<i64>,
    },
    Audit {
        before: NaiveDateTime,
    },
}

/// One thing a run deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `klassenbuch`, `notizbuch`, `profildaten`, `protokoll`.
    pub rule: &'static str,
    /// The rule in words, with the school's period.
    pub rule_text: String,
    /// What goes, in words.
    pub what: String,
    /// How many rows.
    pub count: i64,
    pub target: Target,
}

/// Everything due in one school.
#[derive(Debug, Clone)]
pub struct Plan {
    pub school_id: i64,
    pub periods: Periods,
    pub items: Vec<Item>,
}

fn years_before(day: NaiveDate, years: i32) -> NaiveDate {
    day.checked_sub_months(Months::new(12 * years.max(0) as u32))
        .unwrap_or(day)
}

/// What is due in `school_id` on `today` under its periods. Reads only.
pub fn plan(
    conn: &mut DbConnection,
    school_id: i64,
    today: NaiveDate,
) -> diesel::QueryResult<Plan> {
    let periods = db::periods(conn, school_id)?;
    let mut items = Vec::new();
    let ended_before = years_before(today, periods.register_years);
    for y in db::closed_years_ended_before(conn, school_id, ended_before)? {
        let counts = db::register_data(conn, school_id, y.starts_on, y.ends_on, false)?;
        if counts.total() == 0 {
            continue;
        }
        let classes = db::classes_with_register(conn, school_id, y.starts_on, y.ends_on)?;
        items.push(Item {
            rule: "klassenbuch",
            rule_text: format!(
                "Klassenbuchdaten {} Jahre nach Ende des abgeschlossenen Schuljahres",
                periods.register_years
            ),
            what: format!(
                "Schuljahr {} ({} – {}): {} Stunden, {} Anwesenheitsvermerke, {} Änderungen, \
                 {} Einträge, {} Abwesenheitsfälle, {} Attestpflichten, {} Vertretungen; \
                 vorher Archivexport von {} Klassenbüchern",
                y.name,
                de_date(y.starts_on),
                de_date(y.ends_on),
                counts.lessons,
                counts.attendance,
                counts.history,
                counts.entries,
                counts.absence_cases,
                counts.attests,
                counts.substitutions,
                classes.len()
            ),
            count: counts.total(),
            target: Target::RegisterYear {
                year_id: y.id,
                name: y.name,
                from: y.starts_on,
                to: y.ends_on,
                classes,
            },
        });
    }
    let before = years_before(today, periods.notebook_years);
    let n = db::notebook_before(conn, school_id, before, false)?;
    if n > 0 {
        items.push(Item {
            rule: "notizbuch",
            rule_text: format!(
                "Notizbucheinträge {} Jahre nach ihrem Datum",
                periods.notebook_years
            ),
            what: format!(
                "Notizbucheinträge vom {} und älter",
                de_date(before.pred_opt().unwrap_or(before))
            ),
            count: n,
            target: Target::Notebook { before },
        });
    }
    let left_before = years_before(today, periods.profile_years);
    let pupils = db::pupils_left_before(conn, school_id, left_before)?;
    let n = db::profile_data(conn, school_id, &pupils, false)?;
    if n > 0 {
        items.push(Item {
            rule: "profildaten",
            rule_text: format!(
                "Profildaten {} Jahr(e) nach dem Abgang (höchstens 5 Jahre)",
                periods.profile_years
            ),
            what: format!(
                "Profil, Foto, Erziehungsberechtigte, Förder- und Gesundheitsdaten, \
                 Verhaltensnotizen von {} Schüler/innen mit Abgang vor dem {}",
                pupils.len(),
                de_date(left_before)
            ),
            count: n,
            target: Target::Profiles { pupils },
        });
    }
    let year = today.year() - periods.audit_years;
    let before = NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or(today)
        .and_time(chrono::NaiveTime::MIN);
    let n = audit::count_prefix_before(conn, Some(school_id), before)?;
    if n > 0 {
        items.push(Item {
            rule: "protokoll",
            rule_text: format!(
                "Protokolleinträge am Ende des {}. Jahres nach ihrer Entstehung",
                periods.audit_years
            ),
            what: format!("Protokolleinträge vor dem {}", de_date(before.date())),
            count: n,
            target: Target::Audit { before },
        });
    }
    Ok(Plan {
        school_id,
        periods,
        items,
    })
}

/// One item carried out.
#[derive(Debug, Clone)]
pub struct Done {
    pub rule: &'static str,
    pub what: String,
    pub count: i64,
    pub archive: Vec<PathBuf>,
}

/// A file-name part of ASCII letters, digits and dashes.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Writes the printed register of every class of the year to
/// `archive_dir/schule-<id>/schuljahr-<name>/`; answers the files.
fn archive_year(
    conn: &mut DbConnection,
    archive_dir: &Path,
    school: (i64, &str),
    year: (i64, &str),
    classes: &[i64],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<PathBuf>> {
    let ((school_id, school_name), (year_id, year_name)) = (school, year);
    let dir = archive_dir
        .join(format!("schule-{school_id}"))
        .join(format!("schuljahr-{}", safe(year_name)));
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("Archivverzeichnis {} nicht anlegbar: {e}", dir.display()))?;
    let proof = Elevation::for_retention_archive();
    let mut files = Vec::new();
    for &class_id in classes {
        let Some((name, bytes)) = crate::register::print::archive_pdf(
            conn,
            &proof,
            school_name,
            school_id,
            class_id,
            year_id,
            now,
        )?
        else {
            anyhow::bail!("Klasse {class_id} oder Schuljahr {year_id} nicht gefunden");
        };
        let path = dir.join(name);
        // Written next to the target, then renamed: a file in the archive is always whole.
        let tmp = path.with_extension("pdf.tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| anyhow::anyhow!("Archivdatei {} nicht schreibbar: {e}", path.display()))?;
        files.push(path);
    }
    Ok(files)
}

/// Carries out `plan`: archives, deletes, and records each item; then audits the run.
/// `actor` is the headteacher who started it (`None`: the scheduled job or the command line).
pub fn execute(
    conn: &mut DbConnection,
    plan: &Plan,
    archive_dir: &Path,
    now: DateTime<Utc>,
    actor: Option<i64>,
) -> anyhow::Result<Vec<Done>> {
    let school_id = plan.school_id;
    let school_name = schools::find(conn, school_id)?
        .map(|s| s.name)
        .unwrap_or_default();
    let run_id = crate::crypto::random_token::<9>();
    let at = now.naive_utc();
    let mut done = Vec::new();
    for item in &plan.items {
        let (count, archive) = match &item.target {
            Target::RegisterYear {
                year_id,
                name,
                from,
                to,
                classes,
            } => {
                let files = archive_year(
                    conn,
                    archive_dir,
                    (school_id, &school_name),
                    (*year_id, name),
                    classes,
                    now,
                )?;
                let counts = db::register_data(conn, school_id, *from, *to, true)?;
                (counts.total(), files)
            }
            Target::Notebook { before } => (
                db::notebook_before(conn, school_id, *before, true)?,
                Vec::new(),
            ),
            Target::Profiles { pupils } => {
                (db::profile_data(conn, school_id, pupils, true)?, Vec::new())
            }
            Target::Audit { before } => (
                audit::delete_prefix_before(conn, Some(school_id), *before, at)?,
                Vec::new(),
            ),
        };
        let archive_text = archive
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        db::add_record(
            conn,
            &NewDeletionRecord {
                school_id,
                run_id: run_id.clone(),
                at,
                actor_user_id: actor,
                rule: item.rule.to_owned(),
                what: item.what.clone(),
                count,
                archive: archive_text,
            },
        )?;
        done.push(Done {
            rule: item.rule,
            what: item.what.clone(),
            count,
            archive,
        });
    }
    let summary = done
        .iter()
        .map(|d| format!("{}={}", d.rule, d.count))
        .collect::<Vec<_>>()
        .join(", ");
    audit::append(
        conn,
        at,
        &NewAudit {
            school_id: Some(school_id),
            actor_user_id: actor,
            action: "loeschlauf".into(),
            object: format!("schule:{school_id}"),
            result: "erfolg".into(),
            assurance: if actor.is_some() { "aal2" } else { "keine" }.into(),
            client_addr: String::new(),
            detail: format!("lauf={run_id}; {summary}"),
        },
    )?;
    Ok(done)
}

/// Plans and (unless `dry_run`) carries out the run for `school_ids`, or every school.
/// Answers each school's plan and what was done.
pub fn run_schools(
    conn: &mut DbConnection,
    school_ids: Option<&[i64]>,
    archive_dir: &Path,
    now: DateTime<Utc>,
    dry_run: bool,
) -> anyhow::Result<Vec<(Plan, Vec<Done>)>> {
    let ids = match school_ids {
        Some(ids) => ids.to_vec(),
        None => db::school_ids(conn)?,
    };
    let today = school_today(now);
    let mut out = Vec::new();
    for id in ids {
        let p = plan(conn, id, today)?;
        let done = if dry_run || p.items.is_empty() {
            Vec::new()
        } else {
            execute(conn, &p, archive_dir, now, None)?
        };
        out.push((p, done));
    }
    Ok(out)
}

// The headteacher's page.

const PATH: &str = "/verwaltung/loeschung";

/// The periods form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeriodsForm {
    register_years: String,
    notebook_years: String,
    profile_years: String,
    audit_years: String,
}

/// `(field, label, min, max)` of each period.
const LIMITS: [(&str, &str, i32, i32); 4] = [
    (
        "register_years",
        "Klassenbuchdaten (Jahre nach Schuljahresende)",
        3,
        10,
    ),
    ("notebook_years", "Notizbuch (Jahre nach dem Eintrag)", 1, 5),
    ("profile_years", "Profildaten (Jahre nach dem Abgang)", 0, 5),
    (
        "audit_years",
        "Protokoll (Jahre nach dem Entstehungsjahr)",
        1,
        5,
    ),
];

fn page_body(
    csrf: &str,
    plan: &Plan,
    records: &[db::DeletionRecord],
    errors: &[String],
    archive_dir: &Path,
) -> Markup {
    let p = plan.periods;
    let values = [
        p.register_years,
        p.notebook_years,
        p.profile_years,
        p.audit_years,
    ];
    markup! {
        @if !errors.is_empty() {
            div.flash.err role="alert" id="fehler" { ul { @for e in errors { li { (e) } } } }
        }
        section id="fristen" {
            h2 { "Löschfristen der Schule" }
            form.stack method="post" action={ (PATH) "/fristen" } {
                (csrf_field(csrf))
                @for (i, (name, label, min, max)) in LIMITS.iter().enumerate() {
                    label for=(name) { (label) }
                    input id=(name) name=(name) type="number" min=(min) max=(max) value=(values[i]) required;
                }
                button type="submit" { "Fristen speichern" }
            }
        }
        section id="probelauf" {
            h2 { "Probelauf: das würde jetzt gelöscht" }
            @if plan.items.is_empty() {
                p.nothing-due { "Zurzeit ist nichts zu löschen." }
            } @else {
                table.plan {
                    thead { tr { th { "Regel" } th { "Was" } th { "Anzahl" } } }
                    tbody { @for i in &plan.items { tr {
                        td.rule { (i.rule_text) } td.what { (i.what) } td.count { (i.count) }
                    } } }
                }
                p { "Vor dem Löschen von Klassenbuchdaten wird jedes Klassenbuch des Schuljahres \
                     als PDF im Archivverzeichnis abgelegt (" code { (archive_dir.display()) } ")." }
                form.stack method="post" action=(PATH) {
                    (csrf_field(csrf))
                    label.check { input type="checkbox" name="bestaetigen" value="ja";
                        " Ich habe den Probelauf geprüft; die aufgeführten Daten werden endgültig gelöscht." }
                    button.danger type="submit" { "Jetzt löschen" }
                }
            }
        }
        section id="loeschprotokoll" {
            h2 { "Löschprotokoll" }
            @if records.is_empty() { p { "Noch keine Löschungen." } } @else {
                table.records {
                    thead { tr { th { "Zeit (UTC)" } th { "Regel" } th { "Was" } th { "Anzahl" } th { "Gestartet von" } th { "Archiv" } } }
                    tbody { @for r in records.iter().map(|r| &r.record) { tr {
                        td { (r.at.format("%d.%m.%Y %H:%M")) } td.rule { (r.rule) } td.what { (r.what) } td.count { (r.count) }
                        td { @if let Some(a) = r.actor_user_id { "Benutzer " (a) } @else { "automatisch" } }
                        td.archive { @for f in r.archive.lines() { code { (f) } br; } }
                    } } }
                }
            }
        }
    }
}

async fn render(
    state: &AppState,
    elevated: &Elevated<Headteacher>,
    errors: Vec<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let school_id = user.school_id();
    let today = school_today(user.now);
    let (plan, records) = state
        .db
        .run(move |c| Ok((plan(c, school_id, today)?, db::records(c, school_id, 200)?)))
        .await?;
    user.event("loeschung_angezeigt")
        .detail(format!("faellig={}", plan.items.len()))
        .record(state)
        .await?;
    let flash = session::take_flash(state, &user.session).await?;
    let body = page_body(
        user.session.csrf(),
        &plan,
        &records,
        &errors,
        &state.settings.retention.archive_dir,
    );
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(
            Page::new("Löschung und Aufbewahrung")
                .nav(user.nav())
                .flash(flash)
                .render(body)
                .into_string(),
        ))
}

/// `GET /verwaltung/loeschung`: periods, the dry run and the deletion records.
pub async fn page(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
) -> AppResult<HttpResponse> {
    render(&state, &elevated, Vec::new(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunForm {
    bestaetigen: String,
}

/// `POST /verwaltung/loeschung`: runs the retention job for the school now.
pub async fn run(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    form: Form<RunForm>,
) -> AppResult<HttpResponse> {
    if form.bestaetigen != "ja" {
        return render(
            &state,
            &elevated,
            vec!["Bitte bestätigen Sie, dass Sie den Probelauf geprüft haben.".into()],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let user = &elevated.user;
    let (school_id, actor, now) = (user.school_id(), user.user.id, user.now);
    let archive_dir = state.settings.retention.archive_dir.clone();
    let db = state.db.clone();
    let done = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Done>> {
        let mut conn = db.get()?;
        let p = plan(&mut conn, school_id, school_today(now))?;
        execute(&mut conn, &p, &archive_dir, now, Some(actor))
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("Löschlauf abgebrochen: {e}")))?
    .map_err(AppError::Internal)?;
    let total: i64 = done.iter().map(|d| d.count).sum();
    session::flash_and_redirect(
        &state,
        &user.session,
        FlashKind::Success,
        format!("Löschlauf abgeschlossen: {total} Datensätze gelöscht."),
        PATH,
    )
    .await
}

/// `POST /verwaltung/loeschung/fristen`: saves the school's periods.
pub async fn save_periods(
    state: Data<AppState>,
    elevated: Elevated<Headteacher>,
    form: Form<PeriodsForm>,
) -> AppResult<HttpResponse> {
    let raw = [
        &form.register_years,
        &form.notebook_years,
        &form.profile_years,
        &form.audit_years,
    ];
    let mut values = [0i32; 4];
    let mut errors = Vec::new();
    for (i, (_, label, min, max)) in LIMITS.iter().enumerate() {
        match raw[i].trim().parse::<i32>() {
            Ok(v) if (*min..=*max).contains(&v) => values[i] = v,
            _ => errors.push(format!("{label}: eine ganze Zahl von {min} bis {max}.")),
        }
    }
    if !errors.is_empty() {
        return render(&state, &elevated, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let periods = Periods {
        register_years: values[0],
        notebook_years: values[1],
        profile_years: values[2],
        audit_years: values[3],
    };
    let user = &elevated.user;
    let (school_id, now) = (user.school_id(), user.now.naive_utc());
    state
        .db
        .run(move |c| db::save_periods(c, school_id, &periods, now))
        .await?;
    user.event("einstellung_geaendert")
        .object("loeschfristen")
        .detail(format!(
            "klassenbuch={} notizbuch={} profildaten={} protokoll={}",
            values[0], values[1], values[2], values[3]
        ))
        .record(&state)
        .await?;
    session::flash_and_redirect(
        &state,
        &user.session,
        FlashKind::Success,
        "Löschfristen gespeichert.",
        PATH,
    )
    .await
}
