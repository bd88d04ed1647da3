//! Screenshot tests: what only a browser shows. The lesson page of a class of 30 pupils is
//! opened in headless Chromium at tablet size (1024 × 768), must not scroll sideways and
//! must show all 30 rows; the screenshots are kept in the target directory for a person to
//! look at (the test prints their paths).
//!
//! Needs Chromium: `KLASSENBUCH_CHROMIUM` names the binary (default `/usr/bin/chromium`). The
//! test is ignored by default; CI runs it with
//! `cargo test --test screenshot -- --include-ignored`. When it runs and Chromium is missing,
//! it fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/chromium.rs"]
mod chromium;

use anyhow::{Context, anyhow, bail};
use argon2::password_hash::PasswordHasher;
use chromium::{Chromium, TestApp};
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chrono::{Datelike, Duration as Days};
use klassenbuch::auth::roles::Role;
use klassenbuch::clock::school_today;
use klassenbuch::db::timetable::{self, NewSlot};
use klassenbuch::db::{register, schools, users};
use std::path::{Path, PathBuf};

const WIDTH: i64 = 1024;
const HEIGHT: i64 = 768;

const LOGIN: &str = "h.brodersen";
const PASSWORD: &str = "Ebbe und Flut am Husumer Hafen 2026";

/// Thirty pupils, some with long double names, as a real class has them.
const PUPILS: [(&str, &str); 30] = [
    ("Albers", "Mia"),
    ("Brandt", "Ben"),
    ("Christiansen-Lüdemann", "Marie-Charlotte"),
    ("Dittmer", "Elias"),
    ("Ehlers", "Frieda"),
    ("Friedrichsen", "Jonas"),
    ("Gosch", "Ida"),
    ("Hinrichs", "Finn"),
    ("Iversen", "Clara"),
    ("Jürgensen", "Paul"),
    ("Kock", "Ella"),
    ("Lüders", "Noah"),
    ("Möller", "Hannah"),
    ("Nissen", "Hamza"),
    ("Ohlsen", "Emma"),
    ("Paulsen", "Mats"),
    ("Quast", "Sophie"),
    ("Rathjen", "Emil"),
    ("Schmidt-Großkreutz", "Maximilian-Alexander"),
    ("Sievers", "Lea"),
    ("Thiessen", "Anton"),
    ("Uhl", "Lina"),
    ("Vollmer", "Felix"),
    ("Wulf", "Merle"),
    ("Yilmaz", "Luis"),
    ("Zander", "Greta"),
    ("Østergaard", "Sören"),
    ("Nguyen", "Thi Minh Anh"),
    ("Kowalczyk", "Zofia"),
    ("Papadopoulos", "Konstantinos"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium; CI runs it with --include-ignored"]
async fn the_lesson_page_for_30_pupils_renders_at_tablet_width_without_sideways_scrolling() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let app = TestApp::start(tmp.path());
    let lesson = app.lesson_with_thirty_pupils().expect("seed the lesson");
    let chromium = Chromium::launch(
        tmp.path(),
        (WIDTH as u32, HEIGHT as u32),
        &["hide-scrollbars"],
    )
    .await
    .expect("headless Chromium starts (set KLASSENBUCH_CHROMIUM to its path)");

    let outcome = scenario(&chromium, &app, &lesson).await;

    chromium.close().await;
    if let Err(e) = outcome {
        let kept = tmp.keep();
        panic!("{e:#}\n(temporary directory kept: {})", kept.display());
    }
}

async fn scenario(b: &Chromium, app: &TestApp, lesson: &str) -> anyhow::Result<()> {
    // Sign in with the form, as a teacher does at the start of the day.
    b.goto(&format!("{}/anmelden", app.origin)).await?;
    b.type_into("#login", LOGIN).await?;
    b.type_into("#password", PASSWORD).await?;
    b.click("form[action='/anmelden'] button[type=submit]")
        .await?;
    b.wait_for_path("the register after signing in", |p| p == "/")
        .await?;

    b.page
        .execute(SetDeviceMetricsOverrideParams::new(
            WIDTH, HEIGHT, 1.0, false,
        ))
        .await
        .context("Emulation.setDeviceMetricsOverride")?;
    b.goto(&format!("{}{lesson}", app.origin)).await?;
    b.wait_for_selector("table.roster tbody tr").await?;

    let dir = screenshot_dir()?;
    let first = dir.join("lesson-30-tablet.png");
    let full = dir.join("lesson-30-tablet-full.png");
    b.screenshot(&first, false).await?;
    let viewport = b.eval("window.innerWidth").await?;
    let scroll_width = b.eval("document.documentElement.scrollWidth").await?;
    let rows = b
        .eval("document.querySelectorAll('table.roster tbody tr').length")
        .await?;
    // Every row's last control (the minutes field) is within the screen, not cut off.
    let widest = b
        .eval(
            "Math.max(...Array.from(document.querySelectorAll('table.roster tbody tr')) \
             .map(tr => tr.getBoundingClientRect().right))",
        )
        .await?;
    b.screenshot(&full, true).await?;
    eprintln!("screenshot (first screen): {}", first.display());
    eprintln!("screenshot (whole page):   {}", full.display());

    if viewport.as_i64() != Some(WIDTH) {
        bail!("the viewport is {viewport} px wide, not {WIDTH}");
    }
    if scroll_width.as_i64().is_none_or(|w| w > WIDTH) {
        bail!("the page scrolls sideways: scrollWidth {scroll_width} > {WIDTH}");
    }
    if widest.as_f64().is_none_or(|w| w > WIDTH as f64) {
        bail!("a roster row reaches {widest} px, beyond the {WIDTH} px screen");
    }
    if rows.as_i64() != Some(30) {
        bail!("the roster shows {rows} rows, not 30");
    }
    Ok(())
}

/// `<target>/tmp/screenshots`, kept after the run.
fn screenshot_dir() -> anyhow::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The lesson the screenshot shows.
impl TestApp {
    /// A school with a teacher who has a lesson with a class of 30 today; returns the path
    /// of the lesson page.
    fn lesson_with_thirty_pupils(&self) -> anyhow::Result<String> {
        let now = self.clock.now();
        let today = school_today(now);
        let at = now.naive_utc();
        let mut conn = self.state.db.get()?;
        let school = schools::create(&mut conn, "Gemeinschaftsschule Husum", at)?;
        let teacher = users::create(&mut conn, school.id, LOGIN, "Hanna Brodersen", at)?;
        let hash = argon2::Argon2::default()
            .hash_password(PASSWORD.as_bytes())
            .map_err(|e| anyhow!("{e}"))?
            .to_string();
        users::set_password_hash(&mut conn, teacher.id, &hash)?;
        users::set_setup_complete(&mut conn, teacher.id, true)?;
        users::assign_role(&mut conn, school.id, teacher.id, Role::Lehrkraft, None)?;
        klassenbuch::auth::demo_enrol(&mut conn, school.id, teacher.id, at, &self.state.keys)?;
        let grid: Vec<(i16, i32, i32)> = (1..=6)
            .map(|n| {
                (
                    n,
                    7 * 60 + 55 + (i32::from(n) - 1) * 50,
                    8 * 60 + 40 + (i32::from(n) - 1) * 50,
                )
            })
            .collect();
        register::create_time_grid(
            &mut conn,
            school.id,
            "Standard",
            today - Days::days(60),
            None,
            &grid,
        )?;
        let class_id = timetable::create_class(&mut conn, school.id, "8c")?;
        let subject_id =
            timetable::create_subject(&mut conn, school.id, "WiPo", "Wirtschaft/Politik")?;
        let since = today - Days::days(60);
        for (surname, first_name) in PUPILS {
            timetable::create_pupil(&mut conn, school.id, class_id, surname, first_name, since)?;
        }
        timetable::create_slot(
            &mut conn,
            &NewSlot {
                school_id: school.id,
                class_id,
                subject_id,
                teacher_id: teacher.id,
                weekday: today.weekday().number_from_monday() as i16,
                period: 3,
                room: "B 112",
                valid_from: since,
            },
        )?;
        let slot = register::slots_of_class(&mut conn, school.id, class_id, today, today)?
            .first()
            .map(|s| s.id)
            .ok_or_else(|| anyhow!("the slot was not stored"))?;
        Ok(format!("/unterricht/{slot}/{today}"))
    }
}
