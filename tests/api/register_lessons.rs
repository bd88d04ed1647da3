//! The lesson page end to end: "Heute", marking attendance with the first factor, corrections
//! with their history, bad input, the lock and amendments, past lessons behind step-up,
//! substitutions valid on their day only, guessed ids, page size, and one transaction per save.

use crate::helpers::register::{
    RegisterSchool, SeededClass, create_slot, school_day_at, weekday_of,
};
use crate::helpers::{
    TestApp, TestClient, TestUser, attr_of, count_of, csrf_of, location, spawn_app, text_of,
};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::db::schema::{attendance, change_history, lessons, substitutions};
use klassenbuch::db::timetable::NewSlot;
use scraper::{Html, Selector};

/// A school on Wednesday, 10 March 2027, 09:30: class 7a with five pupils and a teacher
/// with two lessons in 7a today, one already over and one still to come.
struct Fixture {
    app: TestApp,
    reg: RegisterSchool,
    class: SeededClass,
    teacher: TestUser,
    today: NaiveDate,
    /// 7a Mathematik, period 1 (08:00–08:45): over at 09:30.
    early: i64,
    /// 7a Deutsch, period 3 (09:55–10:40): the next lesson.
    next: i64,
}

const SURNAMES: [&str; 5] = ["Albers", "Brandt", "Christiansen", "Dittmer", "Ehlers"];

impl Fixture {
    async fn new() -> Fixture {
        let app = spawn_app().await;
        app.clock.set(school_day_at(9, 30));
        let school_id = app.create_school("Gymnasium an der Förde");
        let reg = app.seed_register(school_id);
        let class = reg.class(&app, "7a", &SURNAMES);
        let teacher = app.create_user_in(school_id, Role::Lehrkraft);
        let today = app.school_today();
        let early = reg.slot(&app, class.class_id, reg.maths, teacher.user_id, today, 1);
        let next = reg.slot(&app, class.class_id, reg.german, teacher.user_id, today, 3);
        Fixture {
            app,
            reg,
            class,
            teacher,
            today,
            early,
            next,
        }
    }

    fn pupil(&self, i: usize) -> i64 {
        self.class.pupils[i]
    }
}

fn lesson_path(slot: i64, date: NaiveDate) -> String {
    format!("/unterricht/{slot}/{date}")
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// The texts of all elements matching `selector`.
fn texts(html: &str, selector: &str) -> Vec<String> {
    Html::parse_document(html)
        .select(&sel(selector))
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The `href`s of the lesson links in the day's list, top to bottom.
fn listed_lessons(html: &str, list: &str) -> Vec<String> {
    Html::parse_document(html)
        .select(&sel(&format!("{list} li.lesson > a")))
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

/// The text of the list item that links to `path`.
fn item_text(html: &str, path: &str) -> Option<String> {
    Html::parse_document(html)
        .select(&sel("li.lesson"))
        .find(|li| {
            li.select(&sel("a"))
                .any(|a| a.value().attr("href") == Some(path))
        })
        .map(|li| {
            li.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
}

/// The fields a browser submits from the lesson form as it stands (checked radios only).
fn lesson_form(html: &str) -> Vec<(String, String)> {
    let doc = Html::parse_document(html);
    let form = doc
        .select(&sel("form.lesson"))
        .next()
        .expect("a lesson form");
    let mut out = Vec::new();
    for input in form.select(&sel("input")) {
        let v = input.value();
        if v.attr("type") == Some("radio") && v.attr("checked").is_none() {
            continue;
        }
        if let Some(name) = v.attr("name") {
            out.push((
                name.to_owned(),
                v.attr("value").unwrap_or_default().to_owned(),
            ));
        }
    }
    for area in form.select(&sel("textarea")) {
        if let Some(name) = area.value().attr("name") {
            out.push((name.to_owned(), area.text().collect()));
        }
    }
    out
}

/// Sets `name` to `value` in `fields` (adding it if missing).
fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(f) => f.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Opens the lesson page, sets the given fields on its form and submits it.
pub(crate) async fn submit_lesson(
    b: &TestClient,
    path: &str,
    changes: &[(String, &str)],
) -> reqwest::Response {
    let page = b.get(path).await;
    assert_eq!(page.status().as_u16(), 200, "GET {path}");
    let mut fields = lesson_form(&page.text().await.unwrap());
    for (name, value) in changes {
        set(&mut fields, name, value);
    }
    b.post_form(path, &pairs(&fields)).await
}

fn p(pupil: i64) -> String {
    format!("p{pupil}")
}

fn m(pupil: i64) -> String {
    format!("m{pupil}")
}

/// (slot, date, topic, homework, teacher, documented_at) of every lesson row.
fn lesson_rows(app: &TestApp) -> Vec<(i64, NaiveDate, String, String, i64, NaiveDateTime)> {
    lessons::table
        .order(lessons::id)
        .select((
            lessons::slot_id,
            lessons::date,
            lessons::topic,
            lessons::homework,
            lessons::teacher_id,
            lessons::documented_at,
        ))
        .load(&mut app.conn())
        .unwrap()
}

/// (pupil, status, minutes) of every attendance row, by pupil.
fn attendance_rows(app: &TestApp) -> Vec<(i64, String, i32)> {
    attendance::table
        .order((attendance::pupil_id, attendance::id))
        .select((
            attendance::pupil_id,
            attendance::status,
            attendance::minutes,
        ))
        .load(&mut app.conn())
        .unwrap()
}

/// One row of `change_history`.
#[derive(Debug, Clone, Queryable)]
struct History {
    at: NaiveDateTime,
    user_id: i64,
    assurance: String,
    field: String,
    old_value: String,
    new_value: String,
    amendment_reason: Option<String>,
}

fn history_rows(app: &TestApp) -> Vec<History> {
    change_history::table
        .filter(change_history::entity.eq_any(["lesson", "attendance"]))
        .order(change_history::id)
        .select((
            change_history::at,
            change_history::user_id,
            change_history::assurance,
            change_history::field,
            change_history::old_value,
            change_history::new_value,
            change_history::amendment_reason,
        ))
        .load(&mut app.conn())
        .unwrap()
}

fn changes_of(rows: &[History]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|r| (r.field.clone(), r.old_value.clone(), r.new_value.clone()))
        .collect()
}

fn triple(field: &str, old: &str, new: &str) -> (String, String, String) {
    (field.to_owned(), old.to_owned(), new.to_owned())
}

/// Assigns (`vertretung` = a user id) or cancels (`"entfaellt"`) a lesson in the
/// substitution plan, as an elevated administrator.
async fn plan_substitution(
    admin: &TestClient,
    slot: i64,
    date: NaiveDate,
    vertretung: &str,
) -> reqwest::Response {
    let csrf = csrf_of(&admin.get("/konto").await.text().await.unwrap());
    admin
        .post_form(
            "/verwaltung/vertretungen",
            &[
                ("csrf", csrf.as_str()),
                ("slot", &slot.to_string()),
                ("datum", &date.to_string()),
                ("vertretung", vertretung),
            ],
        )
        .await
}

/// 2 absent, 1 late (5 min), topic and homework.
fn first_marks(f: &Fixture) -> Vec<(String, &'static str)> {
    vec![
        (p(f.pupil(0)), "f"),
        (p(f.pupil(1)), "f"),
        (p(f.pupil(2)), "v"),
        (m(f.pupil(2)), "5"),
        ("topic".into(), "Kurzgeschichte: Merkmale"),
        ("homework".into(), "S. 42 Nr. 3"),
    ]
}

#[tokio::test]
async fn a_teacher_marks_attendance_of_todays_lesson_with_the_first_factor_in_one_post() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(f.next, f.today);

    // Act 1: the day's overview.
    let heute = b.get("/").await;

    // Assert 1: the next lesson first, the one already over after it, both open.
    assert_eq!(heute.status().as_u16(), 200);
    let heute = heute.text().await.unwrap();
    assert_eq!(
        listed_lessons(&heute, "ol.today"),
        vec![path.clone(), lesson_path(f.early, f.today)]
    );
    assert_eq!(
        texts(&heute, "ol.today li.lesson span.open"),
        ["offen", "offen"]
    );

    // Act 2: the lesson page with the first factor only (class A).
    let page = b.get(&path).await;

    // Assert 2: every pupil is present until told otherwise.
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert_eq!(count_of(&page, "table.roster tbody tr"), 5);
    for pupil in &f.class.pupils {
        assert!(
            attr_of(&page, &format!("input[name=p{pupil}][value=a]"), "checked").is_some(),
            "pupil {pupil} is present by default"
        );
    }
    assert_eq!(count_of(&page, "input[type=radio][checked]"), 5);

    // Act 3: 2 absent, 1 late by 5 minutes, topic and homework.
    let saved = submit_lesson(&b, &path, &first_marks(&f)).await;

    // Assert 3: back to "Heute" with the counts; the lesson is documented.
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(location(&saved), "/");
    let heute = b.get("/").await.text().await.unwrap();
    let flash = text_of(&heute, "p.flash.ok").expect("a success message");
    assert!(
        flash.contains("2 fehlen, 1 verspätet, 0 früher gegangen"),
        "flash: {flash}"
    );
    assert!(item_text(&heute, &path).unwrap().contains("dokumentiert"));
    assert!(
        item_text(&heute, &lesson_path(f.early, f.today))
            .unwrap()
            .contains("offen")
    );

    // Assert 4: the lesson page shows the saved marks.
    let page = b.get(&path).await.text().await.unwrap();
    let checked =
        |pupil: i64| attr_of(&page, &format!("input[name=p{pupil}][checked]"), "value").unwrap();
    assert_eq!(checked(f.pupil(0)), "f");
    assert_eq!(checked(f.pupil(1)), "f");
    assert_eq!(checked(f.pupil(2)), "v");
    assert_eq!(checked(f.pupil(3)), "a");
    assert_eq!(checked(f.pupil(4)), "a");
    assert_eq!(
        attr_of(&page, &format!("input[name=m{}]", f.pupil(2)), "value").as_deref(),
        Some("5")
    );
    assert_eq!(
        text_of(&page, "textarea#topic").unwrap(),
        "Kurzgeschichte: Merkmale"
    );
    assert_eq!(text_of(&page, "textarea#homework").unwrap(), "S. 42 Nr. 3");

    // Assert 5: exactly these rows; present pupils are not stored.
    let lessons = lesson_rows(&f.app);
    assert_eq!(lessons.len(), 1);
    let (slot, date, topic, homework, teacher, documented_at) = lessons[0].clone();
    assert_eq!((slot, date), (f.next, f.today));
    assert_eq!(topic, "Kurzgeschichte: Merkmale");
    assert_eq!(homework, "S. 42 Nr. 3");
    assert_eq!(teacher, f.teacher.user_id);
    assert_eq!(
        attendance_rows(&f.app),
        vec![
            (f.pupil(0), "abwesend".to_owned(), 0),
            (f.pupil(1), "abwesend".to_owned(), 0),
            (f.pupil(2), "verspaetet".to_owned(), 5),
        ]
    );

    // Assert 6: one POST wrote the history, naming who and at which assurance level.
    let history = history_rows(&f.app);
    assert_eq!(
        changes_of(&history),
        vec![
            triple("status", "", "dokumentiert"),
            triple("thema", "", "Kurzgeschichte: Merkmale"),
            triple("hausaufgaben", "", "S. 42 Nr. 3"),
            triple(&format!("schueler:{}", f.pupil(0)), "anwesend", "abwesend"),
            triple(&format!("schueler:{}", f.pupil(1)), "anwesend", "abwesend"),
            triple(
                &format!("schueler:{}", f.pupil(2)),
                "anwesend",
                "verspaetet (5 min)"
            ),
        ]
    );
    for row in &history {
        assert_eq!(row.user_id, f.teacher.user_id);
        assert_eq!(row.assurance, "aal1");
        assert_eq!(row.at, documented_at, "every row comes from the one save");
        assert_eq!(row.amendment_reason, None);
    }
}

#[tokio::test]
async fn correcting_attendance_updates_and_deletes_marks_and_keeps_old_and_new_values() {
    // Arrange: 2 absent (Albers, Brandt), 1 late (Christiansen).
    let f = Fixture::new().await;
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(f.next, f.today);
    let first = submit_lesson(&b, &path, &first_marks(&f)).await;
    assert_eq!(first.status().as_u16(), 303);
    let before = history_rows(&f.app).len();
    f.app.advance_minutes(5);

    // Act: Albers was there after all; Dittmer came 10 minutes late.
    let resp = submit_lesson(
        &b,
        &path,
        &[
            (p(f.pupil(0)), "a"),
            (p(f.pupil(3)), "v"),
            (m(f.pupil(3)), "10"),
        ],
    )
    .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        attendance_rows(&f.app),
        vec![
            (f.pupil(1), "abwesend".to_owned(), 0),
            (f.pupil(2), "verspaetet".to_owned(), 5),
            (f.pupil(3), "verspaetet".to_owned(), 10),
        ]
    );
    assert_eq!(lesson_rows(&f.app).len(), 1);
    let history = history_rows(&f.app);
    assert_eq!(
        changes_of(&history[before..]),
        vec![
            triple(&format!("schueler:{}", f.pupil(0)), "abwesend", "anwesend"),
            triple(
                &format!("schueler:{}", f.pupil(3)),
                "anwesend",
                "verspaetet (10 min)"
            ),
        ]
    );
    assert!(
        history[before..]
            .iter()
            .all(|r| r.user_id == f.teacher.user_id)
    );
    // The first save's rows are kept as they were.
    assert_eq!(before, 6);
}

#[tokio::test]
async fn minutes_that_are_no_number_are_refused_naming_the_row_and_the_pupil_and_nothing_is_written()
 {
    // Arrange
    let f = Fixture::new().await;
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(f.next, f.today);

    // Act: Christiansen (row 3) late by "abc" minutes.
    let resp = submit_lesson(
        &b,
        &path,
        &[
            (p(f.pupil(0)), "f"),
            (p(f.pupil(2)), "v"),
            (m(f.pupil(2)), "abc"),
        ],
    )
    .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 422);
    let html = resp.text().await.unwrap();
    let errors = texts(&html, "#fehler li");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("Zeile 3"), "{}", errors[0]);
    assert!(errors[0].contains("Christiansen, Emma"), "{}", errors[0]);
    assert!(errors[0].contains("»abc«"), "{}", errors[0]);
    assert!(lesson_rows(&f.app).is_empty());
    assert!(attendance_rows(&f.app).is_empty());
    assert!(history_rows(&f.app).is_empty());
}

#[tokio::test]
async fn a_refused_lesson_form_keeps_what_the_teacher_entered() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(f.next, f.today);

    // Act: one typo among several marks.
    let resp = submit_lesson(
        &b,
        &path,
        &[
            (p(f.pupil(0)), "f"),
            (p(f.pupil(1)), "g"),
            (p(f.pupil(2)), "v"),
            (m(f.pupil(2)), "abc"),
            ("topic".into(), "Lineare Funktionen"),
        ],
    )
    .await;

    // Assert: the teacher corrects the typo, not the whole roster.
    assert_eq!(resp.status().as_u16(), 422);
    let html = resp.text().await.unwrap();
    let checked = |pupil: i64| {
        attr_of(&html, &format!("input[name=p{pupil}][checked]"), "value").unwrap_or_default()
    };
    assert_eq!(checked(f.pupil(0)), "f");
    assert_eq!(checked(f.pupil(1)), "g");
    assert_eq!(checked(f.pupil(2)), "v");
    assert_eq!(
        text_of(&html, "textarea#topic").as_deref(),
        Some("Lineare Funktionen")
    );
}

#[tokio::test]
async fn a_mark_for_a_pupil_not_on_the_roster_is_refused_and_nothing_is_written() {
    // Arrange: a pupil of another class.
    let f = Fixture::new().await;
    let other = f.reg.class(&f.app, "7b", &["Fremd"]);
    let stranger = other.pupils[0];
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(f.next, f.today);

    // Act
    let resp = submit_lesson(&b, &path, &[(p(f.pupil(0)), "f"), (p(stranger), "f")]).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 422);
    let html = resp.text().await.unwrap();
    let errors = texts(&html, "#fehler li");
    assert!(
        errors.iter().any(|e| e.contains(&format!("»p{stranger}«"))),
        "{errors:?}"
    );
    assert!(!html.contains("Fremd"), "the stranger's name is not shown");
    assert!(lesson_rows(&f.app).is_empty());
    assert!(attendance_rows(&f.app).is_empty());
    assert!(history_rows(&f.app).is_empty());
}

#[tokio::test]
async fn a_change_after_the_lock_needs_the_reason_of_the_amendment_which_the_history_shows() {
    // Arrange: documented today, then eight days pass (lock after 7 days, the default).
    let f = Fixture::new().await;
    let path = lesson_path(f.next, f.today);
    let b = f.app.browser_for(&f.teacher).await;
    assert_eq!(
        submit_lesson(&b, &path, &first_marks(&f))
            .await
            .status()
            .as_u16(),
        303
    );
    let before = history_rows(&f.app);
    f.app.advance_minutes(8 * 24 * 60);
    let b = f.app.elevated_browser_for(&f.teacher).await;
    let page = b.get(&path).await.text().await.unwrap();
    assert!(
        text_of(&page, "p.notice")
            .unwrap()
            .contains("festgeschrieben")
    );
    let change = [(p(f.pupil(1)), "a")];

    // Act 1: a change without a reason.
    let refused = submit_lesson(&b, &path, &change).await;

    // Assert 1
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    let errors = texts(&html, "#fehler li");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("»Begründung des Nachtrags«")),
        "{errors:?}"
    );
    assert_eq!(history_rows(&f.app).len(), before.len());
    assert_eq!(attendance_rows(&f.app).len(), 3);

    // Act 2: the same change with a reason.
    let reason = "Entschuldigung der Eltern nachgereicht";
    let mut with_reason: Vec<(String, &str)> = change.to_vec();
    with_reason.push(("reason".into(), reason));
    let saved = submit_lesson(&b, &path, &with_reason).await;

    // Assert 2
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(location(&saved), "/offen");
    assert_eq!(attendance_rows(&f.app).len(), 2);
    let after = history_rows(&f.app);
    assert_eq!(
        changes_of(&after[before.len()..]),
        vec![triple(
            &format!("schueler:{}", f.pupil(1)),
            "abwesend",
            "anwesend"
        )]
    );
    let amendment = &after[before.len()];
    assert_eq!(amendment.amendment_reason.as_deref(), Some(reason));
    assert_eq!(amendment.assurance, "aal2");
    assert!(before.iter().all(|r| r.amendment_reason.is_none()));

    // Act 3: the history page.
    let verlauf = b.get(&format!("{path}/verlauf")).await;

    // Assert 3
    assert_eq!(verlauf.status().as_u16(), 200);
    let verlauf = verlauf.text().await.unwrap();
    let notes: Vec<String> = texts(&verlauf, "table.history td.amendment")
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(notes, vec![format!("Nachtrag: {reason}")]);
}

#[tokio::test]
async fn the_history_page_needs_a_second_factor() {
    // Arrange
    let f = Fixture::new().await;
    let path = lesson_path(f.next, f.today);
    let b = f.app.browser_for(&f.teacher).await;
    assert_eq!(
        submit_lesson(&b, &path, &first_marks(&f))
            .await
            .status()
            .as_u16(),
        303
    );

    // Act
    let resp = b.get(&format!("{path}/verlauf")).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        location(&resp),
        format!(
            "/step-up?next={}",
            urlencoding::encode(&format!("{path}/verlauf"))
        )
    );
}

#[tokio::test]
async fn yesterdays_own_lesson_needs_step_up_and_the_open_list_shows_only_undocumented_ones() {
    // Arrange: two lessons yesterday (Tuesday), periods 1 and 2, in a timetable that
    // started yesterday (so no earlier weeks are open).
    let f = Fixture::new().await;
    let yesterday = f.today - Duration::days(1);
    let slot_yesterday = |subject_id: i64, period: i16| {
        create_slot(
            &f.app,
            &NewSlot {
                school_id: f.reg.school_id,
                class_id: f.class.class_id,
                subject_id,
                teacher_id: f.teacher.user_id,
                weekday: weekday_of(yesterday),
                period,
                room: "R 101",
                valid_from: yesterday,
            },
        )
    };
    let first = slot_yesterday(f.reg.maths, 1);
    let second = slot_yesterday(f.reg.german, 2);
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(first, yesterday);

    // Act 1: with the first factor only.
    let page = b.get(&path).await;
    let csrf = csrf_of(&b.get("/").await.text().await.unwrap());
    let post = b
        .post_form(&path, &[("csrf", &csrf), ("topic", "Wiederholung")])
        .await;

    // Assert 1: step-up, and nothing written.
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(
        location(&page),
        format!("/step-up?next={}", urlencoding::encode(&path))
    );
    assert_eq!(post.status().as_u16(), 303);
    assert!(location(&post).starts_with("/step-up?next="));
    assert!(lesson_rows(&f.app).is_empty());

    // Act 2: after step-up.
    f.app.elevate(&b, &f.teacher).await;
    let page = b.get(&path).await;
    let saved = submit_lesson(
        &b,
        &lesson_path(second, yesterday),
        &[("topic".into(), "Erörterung: Aufbau")],
    )
    .await;

    // Assert 2: the page is writable; saving a past lesson returns to the open list.
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(count_of(&page.text().await.unwrap(), "form.lesson"), 1);
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(location(&saved), "/offen");

    // Act 3
    let open = b.get("/offen").await;

    // Assert 3: of yesterday's lessons only the undocumented one is open; it comes first
    // (newest first), and today's lessons are not listed.
    assert_eq!(open.status().as_u16(), 200);
    let open = listed_lessons(&open.text().await.unwrap(), "ol.open-lessons");
    let on = |date: NaiveDate| -> Vec<&String> {
        open.iter()
            .filter(|href| href.ends_with(&date.to_string()))
            .collect()
    };
    assert_eq!(on(yesterday), vec![&path]);
    assert_eq!(open.first(), Some(&path));
    assert!(on(f.today).is_empty());
}

#[tokio::test]
async fn an_administrator_assigns_a_substitute_in_the_substitution_plan() {
    // Arrange
    let f = Fixture::new().await;
    let admin = f.app.create_user_in(f.reg.school_id, Role::Verwaltung);
    let substitute = f.app.create_user_in(f.reg.school_id, Role::Lehrkraft);
    let a = f.app.elevated_browser_for(&admin).await;

    // Act
    let page = a
        .get(&format!("/verwaltung/vertretungen?datum={}", f.today))
        .await;
    let resp = plan_substitution(&a, f.next, f.today, &substitute.user_id.to_string()).await;

    // Assert
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert_eq!(count_of(&page, "table.substitutions tbody tr"), 2);
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        location(&resp),
        format!("/verwaltung/vertretungen?datum={}", f.today)
    );
    let rows: Vec<(i64, NaiveDate, Option<i64>, bool)> = substitutions::table
        .select((
            substitutions::slot_id,
            substitutions::date,
            substitutions::substitute_id,
            substitutions::cancelled,
        ))
        .load(&mut f.app.conn())
        .unwrap();
    assert_eq!(
        rows,
        vec![(f.next, f.today, Some(substitute.user_id), false)]
    );
}

#[tokio::test]
async fn a_substitute_documents_the_lesson_on_its_day_only_and_the_regular_teacher_cannot() {
    // Arrange: the next lesson is given by a substitute today.
    let f = Fixture::new().await;
    let admin = f.app.create_user_in(f.reg.school_id, Role::Verwaltung);
    let substitute = f.app.create_user_in(f.reg.school_id, Role::Lehrkraft);
    let a = f.app.elevated_browser_for(&admin).await;
    let assigned = plan_substitution(&a, f.next, f.today, &substitute.user_id.to_string()).await;
    assert_eq!(assigned.status().as_u16(), 303, "substitution saved");
    let path = lesson_path(f.next, f.today);
    let s = f.app.browser_for(&substitute).await;

    // Act 1: the substitute's day, with the first factor only.
    let heute = s.get("/").await.text().await.unwrap();
    let saved = submit_lesson(&s, &path, &first_marks(&f)).await;

    // Assert 1
    assert_eq!(listed_lessons(&heute, "ol.today"), vec![path.clone()]);
    assert_eq!(
        text_of(&heute, "ol.today li.lesson em").as_deref(),
        Some("Vertretung")
    );
    assert_eq!(saved.status().as_u16(), 303);
    let lessons = lesson_rows(&f.app);
    assert_eq!(lessons.len(), 1);
    assert_eq!(
        lessons[0].4, substitute.user_id,
        "the substitute gave the lesson"
    );
    assert!(
        history_rows(&f.app)
            .iter()
            .all(|r| r.user_id == substitute.user_id)
    );
    let written = history_rows(&f.app).len();

    // Act 2: the regular teacher the same day.
    let t = f.app.browser_for(&f.teacher).await;
    let heute = t.get("/").await.text().await.unwrap();
    let csrf = csrf_of(&heute);
    let plain = t
        .post_form(&path, &[("csrf", &csrf), ("topic", "Überschrieben")])
        .await;
    f.app.elevate(&t, &f.teacher).await;
    let read = t.get(&path).await;
    let csrf = csrf_of(&t.get("/").await.text().await.unwrap());
    let elevated = t
        .post_form(&path, &[("csrf", &csrf), ("topic", "Überschrieben")])
        .await;

    // Assert 2: not in "Heute"; no write, with or without a second factor.
    assert_eq!(
        listed_lessons(&heute, "ol.today"),
        vec![lesson_path(f.early, f.today)]
    );
    assert_eq!(plain.status().as_u16(), 303);
    assert!(location(&plain).starts_with("/step-up?next="));
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(count_of(&read.text().await.unwrap(), "form.lesson"), 0);
    assert!(
        [403, 404].contains(&elevated.status().as_u16()),
        "status {}",
        elevated.status()
    );
    assert_eq!(history_rows(&f.app).len(), written);
    assert_eq!(lesson_rows(&f.app)[0].2, "Kurzgeschichte: Merkmale");

    // Act 3: the next day, the substitute again, first without and then with step-up.
    f.app.advance_minutes(24 * 60);
    let s = f.app.browser_for(&substitute).await;
    let plain = s.get(&path).await;
    f.app.elevate(&s, &substitute).await;
    let elevated = s.get(&path).await;

    // Assert 3
    assert_eq!(plain.status().as_u16(), 404);
    assert_eq!(elevated.status().as_u16(), 404);
}

#[tokio::test]
async fn a_cancelled_lesson_shows_entfaellt_and_refuses_a_save() {
    // Arrange
    let f = Fixture::new().await;
    let admin = f.app.create_user_in(f.reg.school_id, Role::Schulleitung);
    let a = f.app.elevated_browser_for(&admin).await;
    let cancelled = plan_substitution(&a, f.next, f.today, "entfaellt").await;
    assert_eq!(cancelled.status().as_u16(), 303, "cancellation saved");
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(f.next, f.today);

    // Act
    let heute = b.get("/").await.text().await.unwrap();
    let page = b.get(&path).await;
    let csrf = csrf_of(&heute);
    let post = b
        .post_form(
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("topic", "Trotzdem"),
                (p(f.pupil(0)).as_str(), "f"),
            ],
        )
        .await;

    // Assert
    assert!(item_text(&heute, &path).unwrap().contains("entfällt"));
    assert_eq!(
        text_of(&heute, "ol.today li.lesson span.cancelled").as_deref(),
        Some("entfällt")
    );
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert_eq!(count_of(&page, "form.lesson"), 0);
    assert!(text_of(&page, "p.flash.err").unwrap().contains("entfällt"));
    assert_eq!(post.status().as_u16(), 422);
    let errors = texts(&post.text().await.unwrap(), "#fehler li");
    assert!(errors.iter().any(|e| e.contains("entfällt")), "{errors:?}");
    assert!(lesson_rows(&f.app).is_empty());
    assert!(attendance_rows(&f.app).is_empty());
}

#[tokio::test]
async fn a_teacher_cannot_read_or_write_another_groups_or_another_schools_lesson_by_guessing_ids() {
    // Arrange: a colleague's lesson in 7b today, and a lesson of another school today.
    let f = Fixture::new().await;
    let other_class = f.reg.class(&f.app, "7b", &["Friedrichsen", "Gosch"]);
    let colleague = f.app.create_user_in(f.reg.school_id, Role::Lehrkraft);
    let theirs = f.reg.slot(
        &f.app,
        other_class.class_id,
        f.reg.maths,
        colleague.user_id,
        f.today,
        2,
    );
    let school2 = f.app.create_school("Gemeinschaftsschule am Holstentor");
    let reg2 = f.app.seed_register(school2);
    let class2 = reg2.class(&f.app, "9a", &["Hinrichs"]);
    let teacher2 = f.app.create_user_in(school2, Role::Lehrkraft);
    let foreign = reg2.slot(
        &f.app,
        class2.class_id,
        reg2.maths,
        teacher2.user_id,
        f.today,
        3,
    );
    let b = f.app.browser_for(&f.teacher).await;
    let csrf = csrf_of(&b.get("/").await.text().await.unwrap());

    for slot in [theirs, foreign] {
        let path = lesson_path(slot, f.today);

        // Act
        let read = b.get(&path).await;
        let write = b
            .post_form(
                &path,
                &[
                    ("csrf", csrf.as_str()),
                    ("topic", "Fremd"),
                    (p(other_class.pupils[0]).as_str(), "f"),
                ],
            )
            .await;

        // Assert
        assert_eq!(read.status().as_u16(), 404, "GET {path}");
        let body = read.text().await.unwrap();
        assert!(!body.contains("Friedrichsen") && !body.contains("Hinrichs"));
        assert_eq!(write.status().as_u16(), 404, "POST {path}");
    }
    assert!(lesson_rows(&f.app).is_empty());
    assert!(attendance_rows(&f.app).is_empty());
    assert!(history_rows(&f.app).is_empty());
}

#[tokio::test]
async fn the_lesson_page_of_a_class_of_30_is_below_30_kb_of_html() {
    // Arrange: 30 pupils with long names.
    let f = Fixture::new().await;
    let surnames: Vec<String> = (0..30)
        .map(|i| format!("Schmidt-Großkreutz-{i:02}"))
        .collect();
    let names: Vec<&str> = surnames.iter().map(String::as_str).collect();
    let big = f.reg.class(&f.app, "9c", &names);
    let slot = f.reg.slot(
        &f.app,
        big.class_id,
        f.reg.maths,
        f.teacher.user_id,
        f.today,
        4,
    );
    let b = f.app.browser_for(&f.teacher).await;

    // Act
    let resp = b.get(&lesson_path(slot, f.today)).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().await.unwrap();
    assert_eq!(count_of(&html, "table.roster tbody tr"), 30);
    assert!(html.len() < 30 * 1024, "{} bytes of HTML", html.len());
}

#[tokio::test]
async fn two_concurrent_saves_of_one_lesson_leave_one_lesson_row_and_no_duplicate_marks() {
    // Arrange: the same form, ready to be sent twice.
    let f = Fixture::new().await;
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(f.next, f.today);
    let mut fields = lesson_form(&b.get(&path).await.text().await.unwrap());
    for (name, value) in first_marks(&f) {
        set(&mut fields, &name, value);
    }
    let form = pairs(&fields);

    // Act
    let (one, two) = tokio::join!(b.post_form(&path, &form), b.post_form(&path, &form));

    // Assert: both succeed, or one is refused as a conflict; never a half-written lesson.
    let statuses = [one.status().as_u16(), two.status().as_u16()];
    assert!(
        statuses.iter().all(|s| [303, 409].contains(s)) && statuses.contains(&303),
        "statuses {statuses:?}"
    );
    let lessons = lesson_rows(&f.app);
    assert_eq!(lessons.len(), 1);
    assert_eq!((lessons[0].0, lessons[0].1), (f.next, f.today));
    assert_eq!(
        attendance_rows(&f.app),
        vec![
            (f.pupil(0), "abwesend".to_owned(), 0),
            (f.pupil(1), "abwesend".to_owned(), 0),
            (f.pupil(2), "verspaetet".to_owned(), 5),
        ]
    );
    // The second save changed nothing, so the history holds the first one only.
    assert_eq!(history_rows(&f.app).len(), 6);
}

#[tokio::test]
async fn a_teacher_records_a_class_test_for_the_class_and_it_shows_on_the_lessons_of_that_day() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.app.browser_for(&f.teacher).await;
    let path = lesson_path(f.next, f.today);
    let csrf = csrf_of(&b.get(&path).await.text().await.unwrap());

    // Act
    let saved = b
        .post_form(
            &format!("{path}/eintrag"),
            &[
                ("csrf", &csrf),
                ("kind", "klassenarbeit"),
                ("text", "Bruchrechnung, 45 Minuten"),
            ],
        )
        .await;
    let refused = b
        .post_form(
            &format!("{path}/eintrag"),
            &[("csrf", &csrf), ("kind", "geheim"), ("text", "x")],
        )
        .await;

    // Assert: listed on both lessons of 7a today; the unknown kind wrote nothing.
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(refused.status().as_u16(), 303);
    for slot in [f.next, f.early] {
        let page = b
            .get(&lesson_path(slot, f.today))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            texts(&page, "ul.entries li"),
            [
                "Klassenarbeit / Test: Bruchrechnung, 45 Minuten – ".to_owned()
                    + &f.teacher.display_name
            ]
        );
    }
}

/// The lesson page looks its session up in its own trip to the database instead of the
/// session middleware: every check of the session still applies there, on every request.
#[tokio::test]
async fn the_lesson_page_checks_the_session_itself_idle_time_deactivation_and_no_session() {
    // Arrange
    let f = Fixture::new().await;
    let path = lesson_path(f.next, f.today);
    let b = f.app.browser_for(&f.teacher).await;
    assert_eq!(b.get(&path).await.status().as_u16(), 200);

    // Act + Assert: without a session, sign in first.
    let anonymous = f.app.new_browser().get(&path).await;
    assert_eq!(anonymous.status().as_u16(), 303);
    assert!(location(&anonymous).starts_with("/anmelden?next="));

    // Staying active on the lesson page keeps the session alive (the idle clock is touched).
    f.app.advance_minutes(20);
    assert_eq!(b.get(&path).await.status().as_u16(), 200);
    f.app.advance_minutes(20);
    assert_eq!(b.get(&path).await.status().as_u16(), 200, "touched");

    // Idle for more than 30 minutes: refused, and the dead cookie is removed.
    f.app.advance_minutes(31);
    let idle = b.get(&path).await;
    assert_eq!(idle.status().as_u16(), 303);
    assert!(location(&idle).starts_with("/anmelden?next="));
    let cookie = idle
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.starts_with("__Host-klassenbuch=;"), "{cookie}");

    // Deactivated: refused on the very next request, and the session ends.
    let b = f.app.browser_for(&f.teacher).await;
    assert_eq!(b.get(&path).await.status().as_u16(), 200);
    use klassenbuch::db::schema::{sessions, users};
    diesel::update(users::table.filter(users::id.eq(f.teacher.user_id)))
        .set(users::active.eq(false))
        .execute(&mut *f.app.conn())
        .unwrap();
    let deactivated = b.get(&path).await;
    assert_eq!(deactivated.status().as_u16(), 303);
    assert!(location(&deactivated).starts_with("/anmelden?next="));
    let left = sessions::table
        .filter(sessions::user_id.eq(f.teacher.user_id))
        .count()
        .get_result::<i64>(&mut *f.app.conn())
        .unwrap();
    assert_eq!(left, 0, "the deactivated user's session still exists");
}
