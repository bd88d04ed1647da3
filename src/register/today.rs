//! "Heute": a teacher's lessons of the day, own and substituted, next lesson first; and the
//! list of past lessons still without documentation.

use crate::auth::CurrentUser;
use crate::auth::extract::{Teacher, WithRole};
use crate::auth::roles::Role;
use crate::clock::{school_local, school_today};
use crate::error::AppResult;
use crate::register::lesson::{date_label, lesson_path};
use crate::register::plan::{self, Planned};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use crate::web::session;
use actix_web::HttpResponse;
use actix_web::web::Data;
use chrono::{Duration, Timelike};
use maud::{Markup, html as markup};

/// How far back the open-lessons list looks.
pub const OPEN_DAYS: i64 = 42;

fn status(p: &Planned) -> Markup {
    markup! {
        @if p.cancelled { span.cancelled { "entfällt" } }
        @else if p.documented() { span.ok { "dokumentiert" } }
        @else { span.open { "offen" } }
    }
}

fn lesson_item(p: &Planned, with_date: bool) -> Markup {
    markup! {
        li.lesson {
            a href=(lesson_path(p.slot.id, p.date)) {
                @if with_date { span.date { (date_label(p.date)) } " · " }
                span.time { (p.time_label()) } " · "
                strong { (p.slot.class_name) } " · " (p.slot.subject_name)
                @if !p.slot.room.is_empty() { " · " (p.slot.room) }
                @if p.substituted { " · " em { "Vertretung" } }
            }
            " " (status(p))
        }
    }
}

/// Orders the day: lessons not yet over first (by time), then the ones already over.
pub fn next_first(mut lessons: Vec<Planned>, minute_now: i32) -> Vec<Planned> {
    let over = |p: &Planned| p.times.is_some_and(|(_, end)| end <= minute_now);
    lessons.sort_by_key(|p| (over(p), p.slot.period));
    lessons
}

/// `GET /`.
pub async fn page(state: Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let flash = session::take_flash(&state, &user.session).await?;
    let teaches = user.has(Role::Lehrkraft) || user.has(Role::Klassenlehrkraft);
    let today = school_today(user.now);
    let local = school_local(user.now);
    let minute_now = (local.hour() * 60 + local.minute()) as i32;
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let lessons = if teaches {
        state
            .db
            .run(move |c| plan::teacher_plan(c, school_id, user_id, today, today))
            .await?
    } else {
        Vec::new()
    };
    let lessons = next_first(lessons, minute_now);
    let notice = crate::accountability::home_notice(&state, &user).await?;
    let body = markup! {
        (notice)
        p.meta { (date_label(today)) " · " (user.user.display_name) " ("
            @for (i, r) in user.roles.iter().enumerate() { @if i > 0 { ", " } (r.label()) } ")" }
        @if teaches {
            h2 { "Ihre Stunden heute" }
            @if lessons.is_empty() {
                p { "Heute haben Sie keinen Unterricht laut Stunden- und Vertretungsplan." }
            } @else {
                ol.today { @for p in &lessons { (lesson_item(p, false)) } }
            }
            p { a href="/offen" { "Nicht dokumentierte Stunden" } }
        }
    };
    Ok(html(
        Page::new("Heute").nav(user.nav()).flash(flash).render(body),
    ))
}

/// `GET /offen`: past lessons of the teacher without documentation.
pub async fn open_lessons(
    state: Data<AppState>,
    teacher: WithRole<Teacher>,
) -> AppResult<HttpResponse> {
    let user = teacher.0;
    let flash = session::take_flash(&state, &user.session).await?;
    let today = school_today(user.now);
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let from = today - Duration::days(OPEN_DAYS);
    let to = today - Duration::days(1);
    let open: Vec<Planned> = state
        .db
        .run(move |c| plan::teacher_plan(c, school_id, user_id, from, to))
        .await?
        .into_iter()
        .filter(|p| !p.cancelled && !p.documented())
        .rev()
        .collect();
    let body = markup! {
        p { "Stunden der letzten " (OPEN_DAYS) " Tage ohne Dokumentation, die neueste zuerst. \
             Für frühere Tage ist der zweite Faktor nötig." }
        @if open.is_empty() { p.ok { "Alle Stunden sind dokumentiert." } }
        @else { ol.open-lessons { @for p in &open { (lesson_item(p, true)) } } }
    };
    Ok(html(
        Page::new("Offene Stunden")
            .nav(user.nav())
            .flash(flash)
            .render(body),
    ))
}
