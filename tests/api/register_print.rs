//! The printed register of a class (HTML and PDF) on the demo data, its access rules (class
//! teacher and headteacher, after step-up; everyone else 404), its audit record, and the
//! size of the lesson page for a class of 30.

use crate::helpers::{TestApp, TestUser, count_of, header, location, spawn_app, text_of};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::clock::{Clock, school_today};
use klassenbuch::db::register::{self, Change};
use klassenbuch::db::schema::{attendance, classes, lessons, pupils, register_entries, terms};
use klassenbuch::db::timetable::{self, NewSlot};
use klassenbuch::db::users;
use klassenbuch::demo::DemoAccount;
use scraper::{Html, Selector};

/// The demo is seeded on Thursday, 26 November 2026: three weeks of history before it.
const WEEK: &str = "2026-W47";

fn week_days() -> (NaiveDate, NaiveDate) {
    let monday = NaiveDate::from_isoywd_opt(2026, 47, chrono::Weekday::Mon).unwrap();
    (monday, monday + Duration::days(6))
}

/// The demo schools on the app's database, with the app's clock set to the demo's "today".
struct Demo {
    accounts: Vec<DemoAccount>,
    /// Class 5a of the Gymnasium an der Förde; Anke Carstensen is its class teacher.
    class_id: i64,
    school_id: i64,
}

fn seed_demo(app: &TestApp) -> Demo {
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap());
    let accounts =
        klassenbuch::demo::seed(&app.state.db, &*app.clock, &app.state.keys).expect("demo data");
    let mut conn = app.conn();
    let school_id = users::find_by_login(&mut conn, "a.carstensen.foerde")
        .unwrap()
        .expect("the demo class teacher")
        .school_id;
    let class_id = classes::table
        .filter(classes::school_id.eq(school_id))
        .filter(classes::name.eq("5a"))
        .select(classes::id)
        .first(&mut *conn)
        .expect("class 5a");
    Demo {
        accounts,
        class_id,
        school_id,
    }
}

impl Demo {
    /// The demo account with this login, ready to sign in with password and TOTP.
    fn user(&self, app: &TestApp, login: &str) -> TestUser {
        let account = self
            .accounts
            .iter()
            .find(|a| a.login == login)
            .expect("demo account");
        let user = users::find_by_login(&mut app.conn(), login)
            .unwrap()
            .expect("demo user");
        let seed = account.totp_seed.as_deref().expect("TOTP seed");
        TestUser {
            login: login.to_owned(),
            password: account.password.clone(),
            display_name: user.display_name,
            totp_secret: data_encoding::BASE32_NOPAD.decode(seed.as_bytes()).unwrap(),
            user_id: user.id,
            school_id: user.school_id,
        }
    }

    fn path(&self, suffix: &str) -> String {
        format!("/klassen/{}/klassenbuch{suffix}", self.class_id)
    }

    /// The topics of the class's lessons in the week, as the lessons table holds them.
    fn topics(&self, app: &TestApp) -> Vec<String> {
        let (from, to) = week_days();
        let mut topics: Vec<String> = lessons::table
            .filter(lessons::class_id.eq(self.class_id))
            .filter(lessons::date.between(from, to))
            .select(lessons::topic)
            .load(&mut *app.conn())
            .unwrap();
        topics.retain(|t| !t.is_empty());
        topics.sort();
        topics.dedup();
        topics
    }

    /// "Surname, First name" of every pupil marked absent in a lesson of the week.
    fn absent_pupils(&self, app: &TestApp) -> Vec<String> {
        let (from, to) = week_days();
        let mut names: Vec<(String, String)> = attendance::table
            .inner_join(lessons::table)
            .inner_join(pupils::table)
            .filter(lessons::class_id.eq(self.class_id))
            .filter(lessons::date.between(from, to))
            .filter(attendance::status.eq("abwesend"))
            .select((pupils::surname, pupils::first_name))
            .load(&mut *app.conn())
            .unwrap();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|(s, f)| format!("{s}, {f}"))
            .collect()
    }
}

/// Signs the default client in as `user` and steps up.
async fn sign_in_elevated(app: &TestApp, user: &TestUser) {
    app.browser
        .sign_in_elevated(user, &app.totp_now(user))
        .await;
}

/// Text with every run of whitespace made one space (table cells wrap lines).
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF that lopdf can read");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    squeeze(&doc.extract_text(&pages).expect("the PDF's text"))
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| squeeze(&e.text().collect::<String>()))
        .collect()
}

#[tokio::test]
async fn the_printed_register_pdf_of_a_class_holds_its_lesson_topics_and_the_names_of_absent_pupils()
 {
    // Arrange
    let app = spawn_app().await;
    let demo = seed_demo(&app);
    let teacher = demo.user(&app, "a.carstensen.foerde");
    sign_in_elevated(&app, &teacher).await;
    let topics = demo.topics(&app);
    let absent = demo.absent_pupils(&app);
    assert!(topics.len() >= 5, "the demo week has documented lessons");
    assert!(!absent.is_empty(), "the demo week has absences");

    // Act
    let resp = app.get(&demo.path(&format!(".pdf?woche={WEEK}"))).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        header(&resp, "content-type").as_deref(),
        Some("application/pdf")
    );
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"), "a PDF file");
    let text = pdf_text(&bytes);
    assert!(text.contains("Klasse 5a"), "cover page: {text:.300}");
    assert!(
        text.contains("Gymnasium an der Förde"),
        "school with umlaut"
    );
    assert!(
        text.contains("Anke Carstensen"),
        "class teacher on the cover"
    );
    for topic in &topics {
        assert!(text.contains(&squeeze(topic)), "topic »{topic}« in the PDF");
    }
    for name in &absent {
        assert!(text.contains(name), "absent pupil »{name}« in the PDF");
    }
}

#[tokio::test]
async fn the_html_register_shows_the_topics_amendments_and_entries_of_the_week_and_the_export_is_audited()
 {
    // Arrange: an amendment of one lesson and a class test entry in the week.
    let app = spawn_app().await;
    let demo = seed_demo(&app);
    let teacher = demo.user(&app, "a.carstensen.foerde");
    let (from, _) = week_days();
    {
        let mut conn = app.conn();
        let lesson: (i64, String) = lessons::table
            .filter(lessons::class_id.eq(demo.class_id))
            .filter(lessons::date.eq(from))
            .order(lessons::period)
            .select((lessons::id, lessons::topic))
            .first(&mut *conn)
            .unwrap();
        register::update_lesson_text(
            &mut conn,
            lesson.0,
            "Brüche vergleichen",
            "",
            app.now_naive(),
        )
        .unwrap();
        register::record_changes(
            &mut conn,
            demo.school_id,
            teacher.user_id,
            "aal2",
            app.now_naive(),
            Some("Thema nachgetragen"),
            &[Change {
                entity: "lesson",
                entity_id: lesson.0,
                field: "thema".into(),
                old_value: lesson.1,
                new_value: "Brüche vergleichen".into(),
            }],
        )
        .unwrap();
        diesel::insert_into(register_entries::table)
            .values((
                register_entries::school_id.eq(demo.school_id),
                register_entries::class_id.eq(demo.class_id),
                register_entries::date.eq(from + Duration::days(2)),
                register_entries::kind.eq("klassenarbeit"),
                register_entries::text.eq("Klassenarbeit Nr. 2: Bruchrechnung"),
                register_entries::author_id.eq(teacher.user_id),
                register_entries::created_at.eq(app.now_naive()),
            ))
            .execute(&mut *conn)
            .unwrap();
    }
    sign_in_elevated(&app, &teacher).await;
    let exports_before = app.audit_with("export", None).len();

    // Act
    let resp = app.get(&demo.path(&format!("?woche={WEEK}"))).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().await.unwrap();
    let shown = texts(&html, "section.lessons td.topic");
    for topic in demo.topics(&app) {
        assert!(
            shown.contains(&squeeze(&topic)),
            "topic »{topic}« in the HTML register"
        );
    }
    let amendments = texts(&html, "section.lessons p.amendment");
    assert!(
        amendments
            .iter()
            .any(|a| a.starts_with("Nachtrag: Thema nachgetragen")
                && a.contains("Brüche vergleichen")),
        "the amendment is marked as Nachtrag: {amendments:?}"
    );
    assert_eq!(
        texts(&html, "section.entries tr.entry td.text"),
        vec!["Klassenarbeit Nr. 2: Bruchrechnung".to_owned()]
    );
    assert_eq!(count_of(&html, "section.members tbody tr"), 22);
    assert!(count_of(&html, "section.timetable tbody tr") >= 6);
    assert_eq!(
        text_of(&html, "section.cover dd.class-teacher").as_deref(),
        Some("Anke Carstensen")
    );
    assert_eq!(count_of(&html, "link[href='/static/print.css']"), 1);
    let exports: Vec<_> = app
        .audit_with("export", Some("erfolg"))
        .into_iter()
        .skip(exports_before)
        .collect();
    assert_eq!(exports.len(), 1, "one export record");
    assert_eq!(exports[0].object, format!("klasse:{}", demo.class_id));
    assert_eq!(exports[0].actor_user_id, Some(teacher.user_id));
    assert!(
        exports[0].detail.contains("2026-11-16..2026-11-22"),
        "the range in the record: {}",
        exports[0].detail
    );
    assert!(
        !exports[0].detail.contains("Bruch"),
        "no register data in the audit record"
    );
}

#[tokio::test]
async fn the_printed_register_needs_step_up_and_other_teachers_and_schools_get_not_found() {
    // Arrange
    let app = spawn_app().await;
    let demo = seed_demo(&app);
    let class_teacher = demo.user(&app, "a.carstensen.foerde");
    let subject_teacher = demo.user(&app, "o.jensen.foerde");
    let other_head = demo.user(&app, "f.meier.holstentor");
    let html_path = demo.path(&format!("?woche={WEEK}"));
    let pdf_path = demo.path(&format!(".pdf?woche={WEEK}"));

    // Act & Assert: the class teacher without elevation is sent to step-up and back.
    app.browser.sign_in_as(&class_teacher).await;
    for path in [&html_path, &pdf_path] {
        let resp = app.get(path).await;
        assert_eq!(resp.status().as_u16(), 303, "{path} without step-up");
        assert_eq!(
            location(&resp),
            format!("/step-up?next={}", urlencoding::encode(path))
        );
    }

    // A subject teacher of the class, elevated, is not its class teacher: 404.
    let teacher = app.new_browser();
    teacher
        .sign_in_elevated(&subject_teacher, &app.totp_now(&subject_teacher))
        .await;
    for path in [&html_path, &pdf_path] {
        assert_eq!(teacher.get(path).await.status().as_u16(), 404, "{path}");
    }

    // The headteacher of the other demo school, elevated: 404 as well.
    let head = app.new_browser();
    head.sign_in_elevated(&other_head, &app.totp_now(&other_head))
        .await;
    assert_eq!(head.get(&html_path).await.status().as_u16(), 404);

    assert!(
        app.audit_with("export", None).is_empty(),
        "nothing was exported"
    );
    assert_eq!(
        app.audit_with("zugriff_verweigert", None)
            .iter()
            .filter(|r| r.object == format!("klasse:{}", demo.class_id))
            .count(),
        3
    );
}

#[tokio::test]
async fn the_headteacher_prints_a_term_and_a_school_year_and_malformed_ranges_are_refused() {
    // Arrange
    let app = spawn_app().await;
    let demo = seed_demo(&app);
    let head = demo.user(&app, "m.petersen.foerde");
    sign_in_elevated(&app, &head).await;
    let term_id: i64 = terms::table
        .filter(terms::school_id.eq(demo.school_id))
        .filter(terms::name.eq("1. Halbjahr"))
        .select(terms::id)
        .first(&mut *app.conn())
        .unwrap();
    let year_id: i64 = terms::table
        .filter(terms::id.eq(term_id))
        .select(terms::school_year_id)
        .first(&mut *app.conn())
        .unwrap();

    // Act
    let term = app.get(&demo.path(&format!("?halbjahr={term_id}"))).await;
    let year = app
        .get(&demo.path(&format!(".pdf?schuljahr={year_id}")))
        .await;

    // Assert
    assert_eq!(term.status().as_u16(), 200);
    let html = term.text().await.unwrap();
    assert_eq!(
        text_of(&html, "section.cover dd.range").as_deref(),
        Some("1. Halbjahr 2026/27 (01.08.2026 – 31.01.2027)")
    );
    // Three weeks of lessons (no holidays in them), listed up to today.
    assert!(count_of(&html, "section.lessons h3") >= 15);
    assert_eq!(year.status().as_u16(), 200);
    let text = pdf_text(&year.bytes().await.unwrap());
    assert!(text.contains("Schuljahr 2026/27"), "range on the cover");
    for bad in [
        "?woche=2026-W60",
        "?woche=morgen",
        "?woche=2026-W47&halbjahr=1",
    ] {
        let resp = app.get(&demo.path(bad)).await;
        assert_eq!(resp.status().as_u16(), 400, "{bad}");
    }
    let unknown = app.get(&demo.path("?halbjahr=987654")).await;
    assert_eq!(unknown.status().as_u16(), 404);
}

#[tokio::test]
async fn the_lesson_page_for_30_pupils_is_below_30_kb_of_html() {
    // Arrange: a class of 30 with long names and a lesson today.
    let app = spawn_app().await;
    let school_id = app.create_school("Gemeinschaftsschule Nordfriesland");
    let teacher = app.create_user_in(school_id, Role::Lehrkraft);
    let today = school_today(app.clock.now());
    let slot_id = {
        let mut conn = app.conn();
        let class_id = timetable::create_class(&mut conn, school_id, "9c").unwrap();
        let subject_id =
            timetable::create_subject(&mut conn, school_id, "WiPo", "Wirtschaft/Politik").unwrap();
        for i in 0..30 {
            timetable::create_pupil(
                &mut conn,
                school_id,
                class_id,
                &format!("Schmidt-Großkreutz-{i:02}"),
                &format!("Maximilian-Friederike {i:02}"),
                today - Duration::days(100),
            )
            .unwrap();
        }
        timetable::create_slot(
            &mut conn,
            &NewSlot {
                school_id,
                class_id,
                subject_id,
                teacher_id: teacher.user_id,
                weekday: today.weekday().number_from_monday() as i16,
                period: 3,
                room: "A 204",
                valid_from: today - Duration::days(100),
            },
        )
        .unwrap();
        register::slots_of_class(&mut conn, school_id, class_id, today, today).unwrap()[0].id
    };
    app.browser.sign_in_as(&teacher).await;

    // Act
    let resp = app.get(&format!("/unterricht/{slot_id}/{today}")).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().await.unwrap();
    assert_eq!(count_of(&html, "table.roster tbody tr"), 30);
    assert!(
        html.len() < 30 * 1024,
        "the lesson page has {} bytes of HTML",
        html.len()
    );
}
