//! Seeding the register for the lesson tests: a school with a time grid and subjects, classes
//! with enrolled pupils, weekly timetable slots, the app's clock on a known school day and
//! hour, and browsers signed in with or without a second factor.

use super::{TestApp, TestClient, TestUser, location};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use klassenbuch::clock::{Clock, school_today};
use klassenbuch::db::schema::timetable_slots;
use klassenbuch::db::timetable::{self, NewSlot};
use klassenbuch::db::{DbConnection, register};

/// The periods of the test grid: (number, start, end) in minutes after midnight.
/// 1: 08:00–08:45, 2: 08:50–09:35, 3: 09:55–10:40, 4: 10:45–11:30, 5: 11:50–12:35,
/// 6: 12:40–13:25.
pub const GRID: [(i16, i32, i32); 6] = [
    (1, 480, 525),
    (2, 530, 575),
    (3, 595, 640),
    (4, 645, 690),
    (5, 710, 755),
    (6, 760, 805),
];

/// First names given to seeded pupils in turn.
const FIRST_NAMES: [&str; 8] = ["Mia", "Ben", "Emma", "Paul", "Lea", "Finn", "Ida", "Mats"];

/// Wednesday, 10 March 2027 at `hour:minute` in Germany (CET, UTC+1): a school day without
/// holidays, in the future of the wall clock so that no cookie expires.
pub fn school_day_at(hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin
        .with_ymd_and_hms(2027, 3, 10, hour, minute, 0)
        .single()
        .expect("a valid local time")
        .with_timezone(&Utc)
}

/// The timetable weekday (1 = Monday) of `date`.
pub fn weekday_of(date: NaiveDate) -> i16 {
    date.weekday().number_from_monday() as i16
}

/// A school with a time grid and two subjects, valid from `since`.
#[derive(Debug, Clone)]
pub struct RegisterSchool {
    pub school_id: i64,
    pub since: NaiveDate,
    /// Mathematik.
    pub maths: i64,
    /// Deutsch.
    pub german: i64,
}

/// A class and its pupils, in the order given.
#[derive(Debug, Clone)]
pub struct SeededClass {
    pub class_id: i64,
    pub pupils: Vec<i64>,
}

impl TestApp {
    /// The school's date by the app's clock.
    pub fn school_today(&self) -> NaiveDate {
        school_today(self.clock.now())
    }

    /// Gives `school_id` the test grid ([`GRID`]) and two subjects, all valid from 100 days
    /// before the app's current school date.
    pub fn seed_register(&self, school_id: i64) -> RegisterSchool {
        let since = self.school_today() - Duration::days(100);
        let mut conn = self.conn_for(school_id);
        let c: &mut DbConnection = &mut conn;
        register::create_time_grid(c, school_id, "Standard", since, None, &GRID)
            .expect("time grid");
        let maths = timetable::create_subject(c, school_id, "M", "Mathematik").expect("subject");
        let german = timetable::create_subject(c, school_id, "D", "Deutsch").expect("subject");
        RegisterSchool {
            school_id,
            since,
            maths,
            german,
        }
    }

    /// A new browser signed in as `user` with the password only (assurance `aal1`).
    pub async fn browser_for(&self, user: &TestUser) -> TestClient {
        let b = self.new_browser();
        b.sign_in_as(user).await;
        b
    }

    /// A new browser signed in as `user` and elevated by a TOTP code. The clock moves on by
    /// one time step first, so that no code is refused as replayed.
    pub async fn elevated_browser_for(&self, user: &TestUser) -> TestClient {
        let b = self.browser_for(user).await;
        self.elevate(&b, user).await;
        b
    }

    /// Elevates the signed-in browser `b` of `user` (moving the clock on by one time step).
    pub async fn elevate(&self, b: &TestClient, user: &TestUser) {
        self.advance_seconds(31);
        let resp = b.step_up(&self.totp_now(user), "/").await;
        assert_eq!(resp.status().as_u16(), 303, "step-up of {}", user.login);
        assert_eq!(location(&resp), "/");
    }
}

impl RegisterSchool {
    /// A class with one pupil per surname (enrolled since [`RegisterSchool::since`]).
    pub fn class(&self, app: &TestApp, name: &str, surnames: &[&str]) -> SeededClass {
        let mut conn = app.conn_for(self.school_id);
        let c: &mut DbConnection = &mut conn;
        let class_id = timetable::create_class(c, self.school_id, name).expect("class");
        let pupils = surnames
            .iter()
            .enumerate()
            .map(|(i, surname)| {
                timetable::create_pupil(
                    c,
                    self.school_id,
                    class_id,
                    surname,
                    FIRST_NAMES[i % FIRST_NAMES.len()],
                    self.since,
                )
                .expect("pupil")
            })
            .collect();
        SeededClass { class_id, pupils }
    }

    /// A weekly slot of `teacher_id` for `class_id` on the weekday of `on`, in `period`,
    /// valid since [`RegisterSchool::since`]; returns its id.
    pub fn slot(
        &self,
        app: &TestApp,
        class_id: i64,
        subject_id: i64,
        teacher_id: i64,
        on: NaiveDate,
        period: i16,
    ) -> i64 {
        let new = NewSlot {
            school_id: self.school_id,
            class_id,
            subject_id,
            teacher_id,
            weekday: weekday_of(on),
            period,
            room: "R 101",
            valid_from: self.since,
        };
        create_slot(app, &new)
    }
}

/// Stores `slot` and returns its id.
pub fn create_slot(app: &TestApp, slot: &NewSlot<'_>) -> i64 {
    let mut conn = app.conn_for(slot.school_id);
    let c: &mut DbConnection = &mut conn;
    timetable::create_slot(c, slot).expect("slot");
    timetable_slots::table
        .filter(timetable_slots::school_id.eq(slot.school_id))
        .filter(timetable_slots::class_id.eq(slot.class_id))
        .filter(timetable_slots::weekday.eq(slot.weekday))
        .filter(timetable_slots::period.eq(slot.period))
        .select(timetable_slots::id)
        .order(timetable_slots::id.desc())
        .first(c)
        .expect("the new slot's id")
}
