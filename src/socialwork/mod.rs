//! School social work (product § 2): the headteacher assigns pupils to a social worker for a
//! period (`/verwaltung/sozialarbeit`); the social worker, after step-up, lists the pupils
//! assigned today (`/sozialarbeit`) and reads one pupil's absence overview
//! (`/sozialarbeit/{pupil_id}`): name, class, and per term and per calendar week the missed
//! lessons with how many are excused, unexcused or open — nothing else (no notes, reasons,
//! subjects, topics, grades, health, contacts or teacher names).
//!
//! The scope comes from `permissions::RULES` (`AbsenceOverview`, `Scope::Assigned`). The
//! assignment is checked on every request against the school's date, so an assignment that
//! ends (or a pupil who is not assigned, or belongs to another school) is 404 on the very
//! next request; the refusal is audited, and so is every display.

pub mod assign;
pub mod chart;
pub mod figures;
mod view;

use crate::auth::Elevated;
use crate::auth::extract::RoleRule;
use crate::auth::roles::Role;
use crate::clock::school_today;
use crate::db::absences::{self, ClassPupil};
use crate::db::{DbConnection, calendar, register, socialwork};
use crate::error::AppResult;
use crate::permissions::{DataGroup, Scope, read_scopes};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use actix_web::HttpResponse;
use actix_web::web::{Data, Path};
use chrono::{Duration, NaiveDate, NaiveDateTime};

/// The data group every page of the social worker shows.
pub const GROUP: DataGroup = DataGroup::AbsenceOverview;

/// Holders of a role that reads the absence overview of *assigned* pupils (by the
/// permission table: Schulsozialarbeit).
pub struct SocialWorker;

impl RoleRule for SocialWorker {
    const DESCRIPTION: &'static str = "Schulsozialarbeit";
    fn allows(roles: &[Role]) -> bool {
        read_scopes(roles, GROUP).contains(&Scope::Assigned)
    }
}

/// `/sozialarbeit/{pupil_id}`.
pub fn pupil_path(pupil_id: i64) -> String {
    format!("/sozialarbeit/{pupil_id}")
}

/// `GET /sozialarbeit`: the pupils assigned to the user today, with name and class.
pub async fn list(
    state: Data<AppState>,
    elevated: Elevated<SocialWorker>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let (school_id, user_id, today) = (user.school_id(), user.user.id, school_today(user.now));
    let pupils = state
        .db
        .run(move |c| socialwork::assigned_on(c, school_id, user_id, today))
        .await?;
    user.event("sozialarbeit_liste_angezeigt")
        .detail(format!("zugewiesen={}", pupils.len()))
        .record(&state)
        .await?;
    Ok(html(
        Page::new("Schulsozialarbeit")
            .nav(user.nav())
            .render(view::list(&pupils)),
    ))
}

/// Everything the overview of one pupil shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub name: String,
    pub class_name: String,
    pub terms: Vec<figures::TermCounts>,
    /// The term the weekly pattern covers (`None`: the last [`FALLBACK_DAYS`] days).
    pub pattern_term: Option<calendar::Term>,
    pub weeks: Vec<figures::WeekCounts>,
}

/// How far back the weekly pattern looks when the school has no term containing today.
pub const FALLBACK_DAYS: i64 = crate::register::absences::FALLBACK_DAYS;

/// Loads the overview of `pupil_id` if it is assigned to `user_id` on `today`.
fn load_overview(
    c: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    pupil_id: i64,
    today: NaiveDate,
) -> diesel::QueryResult<Option<Overview>> {
    let Some(p) = socialwork::assigned_pupil(c, school_id, user_id, pupil_id, today)? else {
        return Ok(None);
    };
    let terms = figures::terms_to_show(&calendar::terms_of(c, school_id)?, today);
    let pattern_term = terms.last().cloned();
    let (week_from, week_to) = match &pattern_term {
        Some(t) => (t.starts_on, t.ends_on.min(today)),
        None => (today - Duration::days(FALLBACK_DAYS), today),
    };
    let from = terms
        .first()
        .map_or(week_from, |t| t.starts_on.min(week_from));
    let ids = [pupil_id];
    let marks = absences::marks_of_pupils(c, school_id, &ids, from, today)?;
    let spans = register::case_spans(c, school_id, &ids, from, today)?;
    let pupil = ClassPupil {
        id: p.pupil_id,
        surname: p.surname.clone(),
        first_name: p.first_name.clone(),
        enrolled_from: p.enrolled_from,
        enrolled_to: p.enrolled_to,
    };
    Ok(Some(Overview {
        name: p.name(),
        class_name: p.class_name,
        terms: figures::per_term(&pupil, &terms, &marks, &spans, today),
        weeks: figures::per_week(pupil_id, week_from, week_to, &marks, &spans),
        pattern_term,
    }))
}

/// `GET /sozialarbeit/{pupil_id}`: the absence overview of an assigned pupil. Any other
/// pupil (not assigned, assignment over, another school) is 404, audited.
pub async fn pupil(
    state: Data<AppState>,
    elevated: Elevated<SocialWorker>,
    path: Path<i64>,
) -> AppResult<HttpResponse> {
    let user = &elevated.user;
    let _proof = &elevated.proof;
    let pupil_id = path.into_inner();
    let (school_id, user_id, today) = (user.school_id(), user.user.id, school_today(user.now));
    let overview = state
        .db
        .run(move |c| load_overview(c, school_id, user_id, pupil_id, today))
        .await?;
    let object = format!("schueler:{pupil_id}");
    let Some(overview) = overview else {
        let needed = "Zuweisung an die Schulsozialarbeit";
        return Err(crate::register::absences::refuse(&state, user, object, needed).await);
    };
    user.event("fehlzeiten_ueberblick_angezeigt")
        .object(object)
        .detail(format!("datengruppe={}", GROUP.key()))
        .record(&state)
        .await?;
    Ok(html(
        Page::new(format!("Fehlzeiten-Überblick {}", overview.name))
            .nav(user.nav())
            .render(view::overview(&overview)),
    ))
}

/// Demo data: the school's social worker looks after the first two pupils (by id) of the
/// first class (by name) from `today` on, for the rest of the school year.
pub fn seed_demo(
    conn: &mut DbConnection,
    school_id: i64,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let today = school_today(now.and_utc());
    let Some(worker) = socialwork::social_workers_from(conn, school_id, today)?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let Some(head) = crate::db::users::list_in_school(conn, school_id)?
        .into_iter()
        .find(|u| {
            crate::db::users::roles_on(conn, school_id, u.id, today)
                .is_ok_and(|r| r.contains(&Role::Schulleitung))
        })
    else {
        return Ok(());
    };
    let Some(class) = absences::classes_of_school(conn, school_id)?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let mut pupils = absences::pupils_of_class_in(conn, school_id, class.id, today, today)?;
    pupils.sort_by_key(|p| p.id);
    let until = calendar::terms_of(conn, school_id)?
        .into_iter()
        .filter(|t| t.ends_on >= today)
        .map(|t| t.ends_on)
        .max();
    for p in pupils.iter().take(2) {
        socialwork::insert(
            conn,
            &socialwork::NewAssignment {
                school_id,
                user_id: worker.id,
                pupil_id: p.id,
                valid_from: today,
                valid_to: until,
                created_by: head.id,
                created_at: now,
            },
        )?;
    }
    Ok(())
}
