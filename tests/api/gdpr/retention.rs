//! Retention: with the clock past the periods, a run deletes exactly the due data, writes
//! the archive export first and leaves deletion records; the dry run before it lists the
//! same; the audit chain still verifies; the headteacher's page shows both; the daily job
//! runs once per day however many instances try.

use crate::helpers::register::school_day_at;
use crate::helpers::{TestApp, TestUser, spawn_app};
use chrono::{NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::clock::Clock;
use klassenbuch::db::audit::{self, NewAudit};
use klassenbuch::db::schema::{
    absence_cases, attendance, audit_log, lessons, notebook_entries, pupil_profiles,
    register_entries,
};
use klassenbuch::db::schema_retention::deletion_records;
use klassenbuch::db::{DbConnection, calendar, retention as db, structure};
use klassenbuch::gdpr::retention::{self, Item};
use scraper::{Html, Selector};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A school on 10 March 2027 with register data of the closed school years 2022/23 (due
/// under the default 3 years) and 2023/24 (not yet), notebook entries of 2024 (due) and
/// 2026 (not), a pupil who left in 2025 (profile due) and one still enrolled, and audit
/// records of 2025 (due) and 2027 (not).
struct Scene {
    app: TestApp,
    school_id: i64,
    head: TestUser,
    stayer: i64,
    leaver: i64,
}

macro_rules! count {
    ($c:expr, $t:expr) => {
        $t.count().get_result::<i64>($c).unwrap()
    };
}

impl Scene {
    async fn new() -> Scene {
        let app = spawn_app().await;
        app.clock
            .set(Utc.with_ymd_and_hms(2025, 5, 6, 10, 0, 0).unwrap());
        let school_id = app.create_school("Gemeinschaftsschule an der Schlei");
        for i in 0..3 {
            audit::append(
                &mut app.conn(),
                app.now_naive(),
                &NewAudit {
                    school_id: Some(school_id),
                    action: "anmeldung".into(),
                    result: "erfolg".into(),
                    detail: format!("alt {i}"),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        app.clock.set(school_day_at(9, 30));
        let reg = app.seed_register(school_id);
        let class = reg.class(&app, "9c", &["Stein", "Abel"]);
        let (stayer, leaver) = (class.pupils[0], class.pupils[1]);
        let teacher = app.create_user_in(school_id, Role::Lehrkraft);
        let head = app.create_user_in(school_id, Role::Schulleitung);
        let slot = reg.slot(
            &app,
            class.class_id,
            reg.maths,
            teacher.user_id,
            app.school_today(),
            1,
        );
        let now = app.now_naive();
        let mut conn = app.conn();
        let c: &mut DbConnection = &mut conn;
        for (name, from, to) in [
            ("2022/23", d(2022, 8, 1), d(2023, 7, 31)),
            ("2023/24", d(2023, 8, 1), d(2024, 7, 31)),
        ] {
            let year = calendar::create_school_year(c, school_id, name, from, to, &[]).unwrap();
            structure::close_school_year(c, school_id, year, now).unwrap();
        }
        let lesson = super::seed::Lesson {
            school_id,
            class_id: class.class_id,
            slot_id: slot,
            subject_id: reg.maths,
            teacher_id: teacher.user_id,
        };
        for (day, topic) in [
            (d(2022, 9, 14), "Bruchrechnung"),
            (d(2023, 3, 1), "Prozentrechnung"),
            (d(2023, 9, 13), "Lineare Funktionen"),
        ] {
            super::seed::lesson_with_mark(c, &lesson, stayer, day, 1, topic, now);
            calendar::create_absence_case(
                c,
                &calendar::NewAbsenceCase {
                    school_id,
                    pupil_id: stayer,
                    from_date: day,
                    to_date: day,
                    from_period: None,
                    to_period: None,
                    reason: "krank",
                    note_enc: None,
                    excuse: "entschuldigt",
                    excuse_received_on: Some(day),
                    created_by: teacher.user_id,
                    now,
                },
            )
            .unwrap();
            diesel::insert_into(register_entries::table)
                .values((
                    register_entries::school_id.eq(school_id),
                    register_entries::class_id.eq(class.class_id),
                    register_entries::date.eq(day),
                    register_entries::kind.eq("klassenarbeit"),
                    register_entries::text.eq(topic),
                    register_entries::author_id.eq(teacher.user_id),
                    register_entries::created_at.eq(now),
                ))
                .execute(c)
                .unwrap();
        }
        for day in [d(2024, 11, 20), d(2026, 1, 12)] {
            diesel::insert_into(notebook_entries::table)
                .values((
                    notebook_entries::school_id.eq(school_id),
                    notebook_entries::owner_id.eq(teacher.user_id),
                    notebook_entries::pupil_id.eq(stayer),
                    notebook_entries::class_id.eq(class.class_id),
                    notebook_entries::date.eq(day),
                    notebook_entries::kind.eq("beitrag"),
                    notebook_entries::text_enc.eq("k$x"),
                    notebook_entries::created_at.eq(now),
                ))
                .execute(c)
                .unwrap();
        }
        for p in [stayer, leaver] {
            diesel::insert_into(pupil_profiles::table)
                .values((
                    pupil_profiles::school_id.eq(school_id),
                    pupil_profiles::pupil_id.eq(p),
                    pupil_profiles::address_enc.eq(Some("k$x")),
                    pupil_profiles::updated_at.eq(now),
                ))
                .execute(c)
                .unwrap();
        }
        structure::end_enrolment(c, school_id, leaver, d(2025, 6, 30)).unwrap();
        drop(conn);
        Scene {
            app,
            school_id,
            head,
            stayer,
            leaver,
        }
    }

    fn plan(&self) -> Vec<Item> {
        let mut conn = self.app.conn();
        retention::plan(&mut conn, self.school_id, self.app.school_today())
            .unwrap()
            .items
    }
}

#[tokio::test]
async fn a_run_past_the_periods_deletes_exactly_the_due_data_after_archiving_and_leaves_records() {
    // Arrange
    let s = Scene::new().await;
    let archive = tempfile::tempdir().unwrap();
    let now = s.app.clock.now();
    let dry = {
        let mut conn = s.app.conn();
        retention::run_schools(&mut conn, Some(&[s.school_id]), archive.path(), now, true).unwrap()
    };
    let dry_items: Vec<(String, String, i64)> = dry[0]
        .0
        .items
        .iter()
        .map(|i| (i.rule.to_owned(), i.what.clone(), i.count))
        .collect();
    let mut conn = s.app.conn();
    let c: &mut DbConnection = &mut conn;
    assert_eq!(
        count!(c, deletion_records::table),
        0,
        "a dry run deletes nothing"
    );
    assert_eq!(count!(c, lessons::table), 3, "a dry run deletes nothing");

    // Act
    let runs = retention::run_schools(c, Some(&[s.school_id]), archive.path(), now, false).unwrap();

    // Assert: exactly the due data went.
    let rules: Vec<&str> = dry_items.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(
        rules,
        ["klassenbuch", "notizbuch", "profildaten", "protokoll"]
    );
    let topics: Vec<String> = lessons::table.select(lessons::topic).load(c).unwrap();
    assert_eq!(topics, ["Lineare Funktionen"]);
    assert_eq!(count!(c, attendance::table), 1);
    let cases: Vec<NaiveDate> = absence_cases::table
        .select(absence_cases::from_date)
        .load(c)
        .unwrap();
    assert_eq!(cases, [d(2023, 9, 13)]);
    assert_eq!(count!(c, register_entries::table), 1);
    let notes: Vec<NaiveDate> = notebook_entries::table
        .select(notebook_entries::date)
        .load(c)
        .unwrap();
    assert_eq!(notes, [d(2026, 1, 12)]);
    let profiles: Vec<i64> = pupil_profiles::table
        .select(pupil_profiles::pupil_id)
        .load(c)
        .unwrap();
    assert_eq!(profiles, [s.stayer]);
    assert_ne!(s.stayer, s.leaver);
    let old_audit: i64 = audit_log::table
        .filter(audit_log::detail.like("alt %"))
        .count()
        .get_result(c)
        .unwrap();
    assert_eq!(old_audit, 0, "the audit records of 2025 are gone");
    assert!(count!(c, audit_log::table) > 0, "newer audit records stay");
    assert!(
        audit::verify_chains(c).unwrap().is_ok(),
        "the chain verifies from its anchor"
    );
    // The archive export was written first.
    let files = &runs[0].1[0].archive;
    assert_eq!(files.len(), 1);
    assert!(files[0].starts_with(archive.path()));
    let pdf = std::fs::read(&files[0]).unwrap();
    assert!(pdf.starts_with(b"%PDF"), "the archive file is a PDF");
    // The deletion records say what the dry run said.
    let records: Vec<(String, String, i64, String)> = deletion_records::table
        .filter(deletion_records::school_id.eq(s.school_id))
        .order(deletion_records::id)
        .select((
            deletion_records::rule,
            deletion_records::what,
            deletion_records::count,
            deletion_records::archive,
        ))
        .load(c)
        .unwrap();
    let listed: Vec<(String, String, i64)> = records
        .iter()
        .map(|(r, w, n, _)| (r.clone(), w.clone(), *n))
        .collect();
    assert_eq!(listed, dry_items);
    assert!(records[0].3.contains("klassenbuch-9c"));
    // Nothing is due any more.
    drop(conn);
    assert!(s.plan().is_empty());
}

fn cells(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test]
async fn the_headteacher_sees_the_dry_run_and_runs_it_after_confirming_and_sees_the_record() {
    // Arrange: only notebook, profile and audit data are due (no register data, so the
    // page writes no archive file).
    let s = Scene::new().await;
    {
        let mut conn = s.app.conn();
        let c: &mut DbConnection = &mut conn;
        diesel::delete(attendance::table).execute(c).unwrap();
        diesel::delete(lessons::table).execute(c).unwrap();
        diesel::delete(absence_cases::table).execute(c).unwrap();
        diesel::delete(register_entries::table).execute(c).unwrap();
    }
    let expected: Vec<String> = s.plan().iter().map(|i| i.what.clone()).collect();
    assert_eq!(expected.len(), 3);
    let head = s.app.elevated_browser_for(&s.head).await;

    // Act
    let page = head
        .get("/verwaltung/loeschung")
        .await
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_of(&page);
    let unconfirmed = head
        .post_form("/verwaltung/loeschung", &[("csrf", &csrf)])
        .await;
    let unconfirmed_status = unconfirmed.status().as_u16();
    let confirmed = head
        .post_form(
            "/verwaltung/loeschung",
            &[("csrf", &csrf), ("bestaetigen", "ja")],
        )
        .await;
    let after = head
        .get("/verwaltung/loeschung")
        .await
        .text()
        .await
        .unwrap();

    // Assert
    assert_eq!(cells(&page, "table.plan td.what"), expected);
    assert_eq!(unconfirmed_status, 422);
    assert_eq!(confirmed.status().as_u16(), 303);
    assert_eq!(cells(&after, "table.plan").len(), 0);
    assert_eq!(cells(&after, "p.nothing-due").len(), 1);
    let mut recorded = cells(&after, "table.records td.what");
    recorded.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(recorded, want);
    let runs = s.app.audit_with("loeschlauf", None);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].actor_user_id, Some(s.head.user_id));
}

#[tokio::test]
async fn the_school_sets_its_periods_and_out_of_range_values_are_refused() {
    // Arrange
    let s = Scene::new().await;
    let head = s.app.elevated_browser_for(&s.head).await;
    let csrf = head.csrf_from("/verwaltung/loeschung").await;
    let form = |register: &'static str| {
        [
            ("register_years", register),
            ("notebook_years", "2"),
            ("profile_years", "1"),
            ("audit_years", "1"),
        ]
    };

    // Act
    let mut too_short = vec![("csrf", csrf.as_str())];
    too_short.extend(form("1"));
    let refused = head
        .post_form("/verwaltung/loeschung/fristen", &too_short)
        .await;
    let mut longer = vec![("csrf", csrf.as_str())];
    longer.extend(form("5"));
    let saved = head
        .post_form("/verwaltung/loeschung/fristen", &longer)
        .await;

    // Assert: with five years, the school year 2022/23 is no longer due.
    assert_eq!(refused.status().as_u16(), 422);
    assert_eq!(saved.status().as_u16(), 303);
    let periods = db::periods(&mut s.app.conn(), s.school_id).unwrap();
    assert_eq!(periods.register_years, 5);
    assert!(!s.plan().iter().any(|i| i.rule == "klassenbuch"));
}

#[tokio::test]
async fn the_daily_job_is_claimed_by_exactly_one_instance_per_day() {
    // Arrange
    let app = spawn_app().await;
    let now = app.now_naive();
    let day = now.date();
    let mut conn = app.conn();

    // Act
    let first = db::claim_job(&mut conn, "loeschlauf", day, 0, "instanz-a", now).unwrap();
    let second = db::claim_job(&mut conn, "loeschlauf", day, 0, "instanz-b", now).unwrap();
    let next_day = db::claim_job(
        &mut conn,
        "loeschlauf",
        day.succ_opt().unwrap(),
        0,
        "instanz-b",
        now,
    )
    .unwrap();

    // Assert
    assert!(first);
    assert!(
        !second,
        "the second instance must not run the job again that day"
    );
    assert!(next_day);
}

#[tokio::test]
async fn the_daily_run_starts_after_its_time_and_only_one_of_two_instances_runs_it() {
    // Arrange: 10 March 2027, before and after 02:30 school time (CET); no register data
    // due, so that no archive file is written to the default directory.
    let s = Scene::new().await;
    {
        let mut conn = s.app.conn();
        let c: &mut DbConnection = &mut conn;
        diesel::delete(attendance::table).execute(c).unwrap();
        diesel::delete(lessons::table).execute(c).unwrap();
        diesel::delete(absence_cases::table).execute(c).unwrap();
        diesel::delete(register_entries::table).execute(c).unwrap();
    }
    let other = crate::helpers::spawn_app_on(&s.app.db_url).await;
    let at = |h, m| {
        chrono_tz::Europe::Berlin
            .with_ymd_and_hms(2027, 3, 10, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    s.app.clock.set(at(2, 29));
    other.clock.set(at(2, 31));

    // Act
    let too_early = klassenbuch::gdpr::jobs::run_retention_if_due(&s.app.state, "a")
        .await
        .unwrap();
    s.app.clock.set(at(2, 31));
    let first = klassenbuch::gdpr::jobs::run_retention_if_due(&s.app.state, "a")
        .await
        .unwrap();
    let second = klassenbuch::gdpr::jobs::run_retention_if_due(&other.state, "b")
        .await
        .unwrap();

    // Assert
    assert!(!too_early);
    assert!(first);
    assert!(!second, "the other instance finds the day's run claimed");
    let mut conn = s.app.conn();
    let c: &mut DbConnection = &mut conn;
    let notes: Vec<NaiveDate> = notebook_entries::table
        .select(notebook_entries::date)
        .load(c)
        .unwrap();
    assert_eq!(notes, [d(2026, 1, 12)], "the due notebook entry went");
    let rules: Vec<String> = deletion_records::table
        .select(deletion_records::rule)
        .load(c)
        .unwrap();
    assert_eq!(rules, ["notizbuch", "profildaten", "protokoll"]);
}

#[tokio::test]
async fn a_pupil_who_changed_class_keeps_the_profile_of_the_earlier_enrolment() {
    // Arrange: Wechsel left 9c for 10a in 2025; the earlier row holds the profile.
    let s = Scene::new().await;
    let archive = tempfile::tempdir().unwrap();
    let (old_row, now) = {
        let mut conn = s.app.conn();
        let c: &mut DbConnection = &mut conn;
        let class = klassenbuch::db::timetable::create_class(c, s.school_id, "10a").unwrap();
        let old_row = klassenbuch::db::timetable::create_pupil(
            c,
            s.school_id,
            class,
            "Wechsel",
            "Mia",
            d(2020, 8, 1),
        )
        .unwrap();
        structure::end_enrolment(c, s.school_id, old_row, d(2025, 6, 30)).unwrap();
        klassenbuch::db::timetable::create_pupil(
            c,
            s.school_id,
            class,
            "Wechsel",
            "Mia",
            d(2025, 7, 1),
        )
        .unwrap();
        diesel::insert_into(pupil_profiles::table)
            .values((
                pupil_profiles::school_id.eq(s.school_id),
                pupil_profiles::pupil_id.eq(old_row),
                pupil_profiles::address_enc.eq(Some("k$x")),
                pupil_profiles::updated_at.eq(s.app.now_naive()),
            ))
            .execute(c)
            .unwrap();
        (old_row, s.app.clock.now())
    };

    // Act
    let mut conn = s.app.conn();
    retention::run_schools(&mut conn, Some(&[s.school_id]), archive.path(), now, false).unwrap();

    // Assert
    let mut profiles: Vec<i64> = pupil_profiles::table
        .select(pupil_profiles::pupil_id)
        .load(&mut *conn)
        .unwrap();
    profiles.sort_unstable();
    let mut want = vec![s.stayer, old_row];
    want.sort_unstable();
    assert_eq!(profiles, want, "only the leaver's profile went");
}

#[tokio::test]
async fn the_command_lists_the_due_data_with_dry_run_and_deletes_it_without() {
    // Arrange: the binary runs on the wall clock (November 2026 or later): at least the
    // school year 2022/23, the notebook entry of 2024 and the leaver of 2025 are due.
    let s = Scene::new().await;
    let archive = tempfile::tempdir().unwrap();
    let school = s.school_id.to_string();
    let run = |dry: bool| {
        let mut args = vec!["retention", "run", "--school", school.as_str()];
        if dry {
            args.push("--dry-run");
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_klassenbuch"))
            .args(&args)
            .env("KLASSENBUCH__DATABASE__URL", &s.app.db_url)
            .env("KLASSENBUCH__RETENTION__ARCHIVE_DIR", archive.path())
            .env_remove("KLASSENBUCH_CONFIG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    // Act
    let dry = run(true);
    let lessons_after_dry: i64 = lessons::table
        .count()
        .get_result(&mut *s.app.conn())
        .unwrap();
    let real = run(false);

    // Assert
    assert!(dry.contains("[klassenbuch] würde löschen"), "{dry}");
    assert!(dry.contains("[notizbuch] würde löschen"), "{dry}");
    assert_eq!(lessons_after_dry, 3, "a dry run deletes nothing");
    assert!(real.contains("[klassenbuch] gelöscht"), "{real}");
    assert!(real.contains("Archiv: "), "{real}");
    let rules: Vec<String> = deletion_records::table
        .select(deletion_records::rule)
        .load(&mut *s.app.conn())
        .unwrap();
    for rule in ["klassenbuch", "notizbuch", "profildaten"] {
        assert!(rules.contains(&rule.to_owned()), "{rules:?}");
    }
    let files: Vec<_> = walk(archive.path());
    assert!(
        files.iter().any(|f| f.ends_with(".pdf")),
        "archive files: {files:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}
