//! Absences of a class (class B, step-up): absence cases with reason, a confidential note
//! (encrypted at rest) and the excuse state; the class teacher's excuse decisions and
//! Attestpflicht; "Fehlstunden ohne Meldung", the lesson absences no case covers; and the
//! class overview. The class teacher works on the own class, the office records cases for
//! any class (and sees no lesson content), the headteacher reads. Anyone else gets 404 (and
//! an audit record); a role that sees the class but may not take an action gets 403.

mod form;
mod view;
mod write;

pub use form::{Excuse, FieldError, Reason, parse_date};
pub use write::{attest, decide, record};

use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, RoleRule, WithRole, require_elevation};
use crate::auth::roles::Role;
use crate::clock::school_today;
use crate::db::absences::{self, AbsenceCase, Attest, ClassPupil, ClassRow, MarkRow};
use crate::db::calendar::{self, Term};
use crate::db::register::{self, CaseSpan};
use crate::error::{AppError, AppResult};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use crate::web::session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use chrono::{Duration, NaiveDate};
use form::{AttestForm, CaseForm};
use std::collections::{BTreeMap, HashMap};

/// How far back the page looks when no term contains today.
pub const FALLBACK_DAYS: i64 = 180;

/// Klassenlehrkraft, Sekretariat or Schulleitung: who may open the class overview.
pub struct ClassStaff;

impl RoleRule for ClassStaff {
    const DESCRIPTION: &'static str = "Klassenlehrkraft, Sekretariat oder Schulleitung";
    fn allows(roles: &[Role]) -> bool {
        roles.iter().any(|r| {
            matches!(
                r,
                Role::Klassenlehrkraft | Role::Sekretariat | Role::Schulleitung
            )
        })
    }
}

/// What a user may do with one class of the school.
#[derive(Debug, Clone)]
pub struct ClassAccess {
    pub class: ClassRow,
    /// Class teacher of this class today.
    pub class_teacher: bool,
    pub office: bool,
    pub head: bool,
    pub today: NaiveDate,
}

impl ClassAccess {
    pub fn may_open(&self) -> bool {
        self.class_teacher || self.office || self.head
    }

    /// Recording absence cases: the class teacher and the office.
    pub fn may_record(&self) -> bool {
        self.class_teacher || self.office
    }

    /// Excuse decisions and Attestpflicht: the class teacher only.
    pub fn may_decide(&self) -> bool {
        self.class_teacher
    }

    /// Confidential notes and lesson absences: not the office (no lesson content there).
    pub fn sees_details(&self) -> bool {
        self.class_teacher || self.head
    }

    /// Statistics: the class teacher and the headteacher.
    pub fn sees_statistics(&self) -> bool {
        self.class_teacher || self.head
    }
}

pub fn fehlzeiten_path(class_id: i64) -> String {
    format!("/klassen/{class_id}/fehlzeiten")
}

pub fn statistik_path(class_id: i64) -> String {
    format!("/klassen/{class_id}/statistik")
}

/// Audits a refused access and returns 404, so guessed ids reveal nothing.
pub async fn refuse(
    state: &AppState,
    user: &CurrentUser,
    object: String,
    needed: &str,
) -> AppError {
    let _ = user
        .event("zugriff_verweigert")
        .object(object)
        .result("verweigert")
        .detail(format!("benötigt: {needed}"))
        .record(state)
        .await;
    AppError::NotFound
}

/// Audits a refused action on a class the user can see (the office deciding on an excuse,
/// the headteacher recording a case) and returns 403.
pub async fn forbid(
    state: &AppState,
    user: &CurrentUser,
    object: String,
    needed: &str,
) -> AppError {
    let _ = refuse(state, user, object, needed).await;
    AppError::Forbidden
}

/// Resolves what `user` may do with class `class_id` and demands `allowed`; a class of
/// another school, or a class the user may not open this way, is 404.
pub async fn open_class(
    state: &AppState,
    user: &CurrentUser,
    class_id: i64,
    allowed: fn(&ClassAccess) -> bool,
    needed: &str,
) -> AppResult<ClassAccess> {
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let today = school_today(user.now);
    let found = state
        .db
        .run(move |c| {
            let class = absences::class_in_school(c, school_id, class_id)?;
            let ct = match &class {
                Some(_) => register::is_class_teacher(c, school_id, user_id, class_id, today)?,
                None => false,
            };
            Ok(class.map(|cl| (cl, ct)))
        })
        .await?;
    let acc = found.map(|(class, class_teacher)| ClassAccess {
        class,
        class_teacher,
        office: user.has(Role::Sekretariat),
        head: user.has(Role::Schulleitung),
        today,
    });
    match acc {
        Some(acc) if allowed(&acc) => Ok(acc),
        _ => Err(refuse(state, user, format!("klasse:{class_id}"), needed).await),
    }
}

/// The term containing `day`.
pub fn term_containing(terms: &[Term], day: NaiveDate) -> Option<&Term> {
    terms
        .iter()
        .find(|t| t.starts_on <= day && day <= t.ends_on)
}

/// Where the absence page starts looking back: the start of the current term, else
/// [`FALLBACK_DAYS`] ago.
pub fn window_start(terms: &[Term], today: NaiveDate) -> NaiveDate {
    term_containing(terms, today)
        .map(|t| t.starts_on)
        .unwrap_or(today - Duration::days(FALLBACK_DAYS))
}

/// Lessons of one pupil on one day that the pupil missed and no case covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreported {
    pub pupil_id: i64,
    pub date: NaiveDate,
    /// (period, subject) of each missed lesson.
    pub lessons: Vec<(i16, String)>,
}

/// The absent marks that no case of the same pupil covers, one entry per pupil and day,
/// newest day first.
pub fn unreported(marks: &[MarkRow], spans: &[CaseSpan]) -> Vec<Unreported> {
    let mut by_day: BTreeMap<(NaiveDate, i64), Vec<(i16, String)>> = BTreeMap::new();
    for m in marks.iter().filter(|m| m.status == "abwesend") {
        let covered = spans
            .iter()
            .any(|s| s.pupil_id == m.pupil_id && s.covers(m.date, m.period));
        if !covered {
            by_day
                .entry((m.date, m.pupil_id))
                .or_default()
                .push((m.period, m.subject.clone()));
        }
    }
    by_day
        .into_iter()
        .rev()
        .map(|((date, pupil_id), mut lessons)| {
            lessons.sort();
            Unreported {
                pupil_id,
                date,
                lessons,
            }
        })
        .collect()
}

/// A decrypted note, or the fact that it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    Text(String),
    Unreadable,
}

/// Everything the absence page shows.
#[derive(Debug, Clone)]
pub struct PageData {
    pub since: NaiveDate,
    /// Pupils enrolled at some point from `since` to today.
    pub pupils: Vec<ClassPupil>,
    pub cases: Vec<AbsenceCase>,
    /// Decrypted notes by case id (class teacher and headteacher only).
    pub notes: HashMap<i64, Note>,
    /// Attestpflicht ending today or later.
    pub attests: Vec<Attest>,
    /// Empty for the office.
    pub unreported: Vec<Unreported>,
}

fn note_purpose(pupil_id: i64) -> String {
    format!("absence-note:{pupil_id}")
}

/// Loads the absence page of a class. Reads class B data, hence the proof.
async fn load_page(
    state: &AppState,
    _proof: &Elevation,
    user: &CurrentUser,
    acc: &ClassAccess,
) -> AppResult<PageData> {
    let (school_id, class_id, today) = (user.school_id(), acc.class.id, acc.today);
    let details = acc.sees_details();
    let (since, pupils, cases, attests, marks) = state
        .db
        .run(move |c| {
            let terms = calendar::terms_of(c, school_id)?;
            let since = window_start(&terms, today);
            let pupils = absences::pupils_of_class_in(c, school_id, class_id, since, today)?;
            let ids: Vec<i64> = pupils.iter().map(|p| p.id).collect();
            let cases = absences::cases_of_pupils_since(c, school_id, &ids, since)?;
            let attests = absences::attests_of_pupils_since(c, school_id, &ids, today)?;
            let marks = if details {
                absences::marks_of_pupils(c, school_id, &ids, since, today)?
            } else {
                Vec::new()
            };
            Ok((since, pupils, cases, attests, marks))
        })
        .await?;
    let spans: Vec<CaseSpan> = cases.iter().map(AbsenceCase::span).collect();
    let mut notes = HashMap::new();
    if details {
        for case in &cases {
            if let Some(sealed) = &case.note_enc {
                let note = match state.keys.decrypt(&note_purpose(case.pupil_id), sealed) {
                    Ok(bytes) => Note::Text(String::from_utf8_lossy(&bytes).into_owned()),
                    Err(e) => {
                        tracing::error!(case = case.id, error = %e, "Notiz nicht lesbar");
                        Note::Unreadable
                    }
                };
                notes.insert(case.id, note);
            }
        }
    }
    Ok(PageData {
        since,
        unreported: unreported(&marks, &spans),
        pupils,
        cases,
        notes,
        attests,
    })
}

/// What the user submitted, when the page is shown again with errors.
#[derive(Debug, Default)]
struct Submitted {
    case: CaseForm,
    attest: AttestForm,
    errors: Vec<FieldError>,
}

/// Loads, audits and renders the absence page with `status`.
async fn render_page(
    state: &AppState,
    proof: &Elevation,
    user: &CurrentUser,
    acc: &ClassAccess,
    submitted: Submitted,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let data = load_page(state, proof, user, acc).await?;
    let mut detail = "datengruppe=fehlzeiten".to_owned();
    let mut noted: Vec<i64> = data
        .cases
        .iter()
        .filter(|c| data.notes.contains_key(&c.id))
        .map(|c| c.pupil_id)
        .collect();
    noted.sort_unstable();
    noted.dedup();
    if !noted.is_empty() {
        let list: Vec<String> = noted.iter().map(|id| format!("schueler:{id}")).collect();
        detail.push_str(&format!("; notizen={}", list.join(",")));
    }
    user.event("fehlzeiten_angezeigt")
        .object(format!("klasse:{}", acc.class.id))
        .detail(detail)
        .record(state)
        .await?;
    let flash = session::take_flash(state, &user.session).await?;
    let body = view::page(&view::PageView {
        acc,
        csrf: user.session.csrf(),
        data: &data,
        case_form: &submitted.case,
        attest_form: &submitted.attest,
        errors: &submitted.errors,
    });
    let markup = Page::new(format!("Fehlzeiten {}", acc.class.name))
        .nav(user.nav())
        .flash(flash)
        .render(body);
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

/// `GET /klassen/{class_id}/fehlzeiten`.
pub async fn page(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let acc = open_class(
        &state,
        &user,
        class_id,
        ClassAccess::may_open,
        ClassStaff::DESCRIPTION,
    )
    .await?;
    let proof = require_elevation(&state, &user, &fehlzeiten_path(class_id)).await?;
    let submitted = Submitted {
        case: CaseForm {
            reason: Reason::Krank.db().into(),
            ..Default::default()
        },
        ..Default::default()
    };
    render_page(&state, &proof, &user, &acc, submitted, StatusCode::OK).await
}

/// `GET /klassen`: the classes the user may open (class teacher: own classes; office and
/// headteacher: all), with links to absences and statistics. Names only, so no step-up.
pub async fn overview(
    state: Data<AppState>,
    with_role: WithRole<ClassStaff>,
) -> AppResult<HttpResponse> {
    let user = &with_role.0;
    let (school_id, user_id, today) = (user.school_id(), user.user.id, school_today(user.now));
    let all = user.has(Role::Sekretariat) || user.has(Role::Schulleitung);
    let (classes, own) = state
        .db
        .run(move |c| {
            let own = absences::classes_of_class_teacher(c, school_id, user_id, today)?;
            let classes = if all {
                absences::classes_of_school(c, school_id)?
            } else {
                own.clone()
            };
            Ok((classes, own))
        })
        .await?;
    let rows: Vec<view::ClassLink> = classes
        .into_iter()
        .map(|class| {
            let class_teacher = own.iter().any(|o| o.id == class.id);
            view::ClassLink {
                statistics: class_teacher || user.has(Role::Schulleitung),
                class,
            }
        })
        .collect();
    Ok(html(
        Page::new("Klassen")
            .nav(user.nav())
            .render(view::overview(&rows)),
    ))
}
