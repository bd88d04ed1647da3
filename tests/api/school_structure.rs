//! School structure under `/schule/…` (Schulleitung and Administration, with step-up):
//! every kind of object is created through its real form and then listed; a new time grid
//! ends the previous one; enrolments, memberships, class teachers and slots end with a last
//! day and are never deleted; errors name the field and write nothing; ids of another
//! school are 404; everybody else is refused.

use crate::helpers::{TestApp, TestUser, count_of, location, spawn_app, text_of};
use chrono::{NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::db::schema::{
    classes, group_members, holidays, periods, pupils, role_assignments, rooms, school_years,
    subjects, teaching_groups, terms, time_grids, timetable_slots,
};
use klassenbuch::db::{DbConnection, register, timetable};
use scraper::{Html, Selector};

mod calendar;
mod people;
mod refusals;
mod slots;

/// Wednesday, 10 March 2027, 09:30 in Germany: "today" of these tests.
fn set_today(app: &TestApp) {
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 3, 10, 8, 30, 0).unwrap());
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A school whose headteacher (or administrator) is signed in and elevated on the app's
/// default browser.
struct School {
    app: TestApp,
    school_id: i64,
}

async fn school_with(role: Role) -> School {
    let app = spawn_app().await;
    set_today(&app);
    let school_id = app.create_school("Gymnasium an der Förde");
    let admin = app.create_user_in(school_id, role);
    app.browser
        .sign_in_elevated(&admin, &app.totp_now(&admin))
        .await;
    School { app, school_id }
}

async fn school() -> School {
    school_with(Role::Schulleitung).await
}

impl School {
    /// Posts a form of the structure pages with the session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.app.browser.csrf_from("/schule").await;
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.app.post_form(path, &form).await
    }

    /// Posts and expects the redirect of a saved form; returns where it leads.
    async fn post_ok(&self, path: &str, fields: &[(&str, &str)]) -> String {
        let resp = self.post(path, fields).await;
        let status = resp.status().as_u16();
        let to = location(&resp);
        assert_eq!(
            status,
            303,
            "POST {path} {fields:?}: {}",
            resp.text().await.unwrap_or_default()
        );
        to
    }

    /// The body of a page the admin opens (expects 200).
    async fn page(&self, path: &str) -> String {
        let resp = self.app.get(path).await;
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        resp.text().await.unwrap()
    }

    fn conn(&self) -> klassenbuch::db::PooledConn {
        self.app.conn()
    }

    /// A class created directly in the database (for tests of other forms).
    fn class(&self, school_id: i64, name: &str) -> i64 {
        timetable::create_class(&mut self.conn(), school_id, name).unwrap()
    }

    fn pupil(&self, school_id: i64, class_id: i64, surname: &str) -> i64 {
        timetable::create_pupil(
            &mut self.conn(),
            school_id,
            class_id,
            surname,
            "Mia",
            day(2026, 8, 1),
        )
        .unwrap()
    }
}

/// Rows of every table the structure pages write.
fn structure_rows(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut conn = app.conn();
    let c: &mut DbConnection = &mut conn;
    vec![
        (
            "school_years",
            school_years::table.count().get_result(c).unwrap(),
        ),
        ("terms", terms::table.count().get_result(c).unwrap()),
        ("holidays", holidays::table.count().get_result(c).unwrap()),
        (
            "time_grids",
            time_grids::table.count().get_result(c).unwrap(),
        ),
        ("periods", periods::table.count().get_result(c).unwrap()),
        ("classes", classes::table.count().get_result(c).unwrap()),
        ("subjects", subjects::table.count().get_result(c).unwrap()),
        ("rooms", rooms::table.count().get_result(c).unwrap()),
        (
            "groups",
            teaching_groups::table.count().get_result(c).unwrap(),
        ),
        (
            "members",
            group_members::table.count().get_result(c).unwrap(),
        ),
        ("pupils", pupils::table.count().get_result(c).unwrap()),
        (
            "roles",
            role_assignments::table.count().get_result(c).unwrap(),
        ),
        (
            "slots",
            timetable_slots::table.count().get_result(c).unwrap(),
        ),
    ]
}

/// The text of each row matching `selector`, whitespace collapsed.
fn rows(body: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(body);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The messages of a page sent back with errors (the summary above the forms).
fn field_errors(body: &str) -> Vec<String> {
    rows(body, "#fehler li")
}

fn flash(body: &str) -> String {
    text_of(body, "p.flash").unwrap_or_default()
}
