//! Absence cases of a class: recording (class teacher, office), the encrypted note, excuse
//! decisions (class teacher only), the roster pre-filled from a case, "Fehlstunden ohne
//! Meldung" and who may open a class at all. Also the school fixture the statistics tests
//! share: one school year with two terms, a mid-year time-grid switch, two classes.

use crate::helpers::{
    TestApp, TestClient, TestUser, attr_of, count_of, location, spawn_app, text_of,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::db::audit::AuditRow;
use klassenbuch::db::schema::{absence_cases, audit_log, change_history, periods, schools};
use klassenbuch::db::timetable::{self, NewSlot};
use klassenbuch::db::{DbConnection, calendar, register, users};
use scraper::{Html, Selector};

/// Friday, 26 February 2027, 10:00 in Germany: "today" of every register test.
pub fn today_utc() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 2, 26, 9, 0, 0).unwrap()
}

pub fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, m, d).unwrap()
}

/// A school with class 7a (three pupils) and class 7b, in the second term of 2026/27.
pub struct Fixture {
    pub app: TestApp,
    pub school_id: i64,
    pub class_id: i64,
    pub other_class_id: i64,
    /// Class teacher of 7a.
    pub class_teacher: TestUser,
    /// Teaches 7a, class teacher of 7b only.
    pub teacher: TestUser,
    pub office: TestUser,
    pub head: TestUser,
    /// Albers, Brandt, Christiansen (or the surnames given).
    pub pupils: Vec<i64>,
    /// 7a, Mathematik, Monday period 1.
    pub monday_slot: i64,
    /// 7a, Deutsch, Wednesday period 2.
    pub wednesday_slot: i64,
    pub term1_id: i64,
    pub term2_id: i64,
    /// The grid valid until 14 February 2027 (45-minute periods).
    pub old_grid_id: i64,
}

fn conn(app: &TestApp) -> klassenbuch::db::PooledConn {
    app.conn()
}

impl Fixture {
    pub async fn new() -> Fixture {
        Fixture::with_surnames(&["Albers", "Brandt", "Christiansen"]).await
    }

    /// The fixture with pupils of these surnames (first names Mia, Ben, Emma, …).
    pub async fn with_surnames(surnames: &[&str]) -> Fixture {
        let app = spawn_app().await;
        app.clock.set(today_utc());
        let school_id = app.create_school("Gymnasium am Deich");
        let mut c = conn(&app);
        let c: &mut DbConnection = &mut c;
        // Lessons of the last weeks may still be changed without an amendment.
        diesel::update(schools::table.find(school_id))
            .set(schools::lock_days.eq(365))
            .execute(c)
            .unwrap();
        let year_start = NaiveDate::from_ymd_opt(2026, 8, 1).unwrap();
        calendar::create_school_year(
            c,
            school_id,
            "2026/27",
            year_start,
            day(7, 31),
            &[
                ("1. Halbjahr", year_start, day(1, 31)),
                ("2. Halbjahr", day(2, 1), day(7, 31)),
            ],
        )
        .unwrap();
        let terms = calendar::terms_of(c, school_id).unwrap();
        // The school switches from 45- to 60-minute periods on 15 February 2027.
        let old_grid_id = register::create_time_grid(
            c,
            school_id,
            "45 Minuten",
            year_start,
            Some(day(2, 14)),
            &[(1, 480, 525), (2, 530, 575), (3, 595, 640)],
        )
        .unwrap();
        register::create_time_grid(
            c,
            school_id,
            "60 Minuten",
            day(2, 15),
            None,
            &[(1, 480, 540), (2, 545, 605), (3, 625, 685)],
        )
        .unwrap();
        let class_id = timetable::create_class(c, school_id, "7a").unwrap();
        let other_class_id = timetable::create_class(c, school_id, "7b").unwrap();
        let maths = timetable::create_subject(c, school_id, "M", "Mathematik").unwrap();
        let german = timetable::create_subject(c, school_id, "D", "Deutsch").unwrap();
        const FIRST: [&str; 6] = ["Mia", "Ben", "Emma", "Paul", "Lea", "Finn"];
        let pupils: Vec<i64> = surnames
            .iter()
            .enumerate()
            .map(|(i, s)| {
                timetable::create_pupil(c, school_id, class_id, s, FIRST[i % 6], year_start)
                    .unwrap()
            })
            .collect();
        timetable::create_pupil(c, school_id, other_class_id, "Dittmer", "Ida", year_start)
            .unwrap();
        let class_teacher = app.create_user_in(school_id, Role::Lehrkraft);
        users::assign_role(
            c,
            school_id,
            class_teacher.user_id,
            Role::Klassenlehrkraft,
            Some(class_id),
        )
        .unwrap();
        let teacher = app.create_user_in(school_id, Role::Lehrkraft);
        users::assign_role(
            c,
            school_id,
            teacher.user_id,
            Role::Klassenlehrkraft,
            Some(other_class_id),
        )
        .unwrap();
        let office = app.create_user_in(school_id, Role::Sekretariat);
        let head = app.create_user_in(school_id, Role::Schulleitung);
        for (subject_id, weekday, period) in [(maths, 1, 1), (german, 3, 2)] {
            timetable::create_slot(
                c,
                &NewSlot {
                    school_id,
                    class_id,
                    subject_id,
                    teacher_id: teacher.user_id,
                    weekday,
                    period,
                    room: "R101",
                    valid_from: year_start,
                },
            )
            .unwrap();
        }
        let slots =
            register::slots_of_class(c, school_id, class_id, year_start, day(7, 31)).unwrap();
        let slot = |weekday: i16| slots.iter().find(|s| s.weekday == weekday).unwrap().id;
        Fixture {
            monday_slot: slot(1),
            wednesday_slot: slot(3),
            term1_id: terms[0].id,
            term2_id: terms[1].id,
            school_id,
            class_id,
            other_class_id,
            class_teacher,
            teacher,
            office,
            head,
            pupils,
            old_grid_id,
            app,
        }
    }

    /// A new browser signed in as `user` with a second factor.
    pub async fn elevated(&self, user: &TestUser) -> TestClient {
        let b = self.signed_in(user).await;
        let csrf = b.csrf_from("/step-up?next=%2F").await;
        let code =
            klassenbuch::auth::totp::code_at(&user.totp_secret, self.app.clock_now()).unwrap();
        let resp = b
            .post_form(
                "/step-up",
                &[("csrf", &csrf), ("code", &code), ("next", "/")],
            )
            .await;
        assert_eq!(resp.status().as_u16(), 303, "step-up of {}", user.login);
        assert_eq!(location(&resp), "/");
        b
    }

    /// A new browser signed in as `user` with the password only.
    pub async fn signed_in(&self, user: &TestUser) -> TestClient {
        let b = self.app.new_browser();
        let resp = b.login(&user.login, &user.password).await;
        assert_eq!(resp.status().as_u16(), 303, "sign-in of {}", user.login);
        b
    }

    /// Documents a lesson through the real lesson form: `marks` are (pupil, f|v|g, minutes).
    pub async fn document(
        &self,
        teacher: &TestClient,
        slot: i64,
        date: NaiveDate,
        marks: &[(i64, &str, i32)],
    ) {
        let path = format!("/unterricht/{slot}/{date}");
        let csrf = teacher.csrf_from(&path).await;
        let mut fields: Vec<(String, String)> = vec![
            ("csrf".into(), csrf),
            ("topic".into(), "Übung".into()),
            ("homework".into(), String::new()),
        ];
        for (pupil, status, minutes) in marks {
            fields.push((format!("p{pupil}"), (*status).into()));
            if *minutes > 0 {
                fields.push((format!("m{pupil}"), minutes.to_string()));
            }
        }
        let form: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let resp = teacher.post_form(&path, &form).await;
        assert_eq!(resp.status().as_u16(), 303, "saving {path}");
    }

    /// Stores an absence case directly.
    pub fn case(
        &self,
        pupil: i64,
        from: NaiveDate,
        to: NaiveDate,
        periods: (Option<i16>, Option<i16>),
        excuse: &str,
    ) -> i64 {
        calendar::create_absence_case(
            &mut conn(&self.app),
            &calendar::NewAbsenceCase {
                school_id: self.school_id,
                pupil_id: pupil,
                from_date: from,
                to_date: to,
                from_period: periods.0,
                to_period: periods.1,
                reason: "krank",
                note_enc: None,
                excuse,
                excuse_received_on: None,
                created_by: self.class_teacher.user_id,
                now: self.app.clock_now().naive_utc(),
            },
        )
        .unwrap()
    }

    /// Moves the old grid's periods to 50 minutes (as if the grid were edited later).
    pub fn stretch_old_grid(&self) {
        diesel::update(periods::table.filter(periods::time_grid_id.eq(self.old_grid_id)))
            .set(periods::end_minute.eq(periods::start_minute + 50))
            .execute(&mut conn(&self.app))
            .unwrap();
    }

    pub fn fehlzeiten(&self) -> String {
        format!("/klassen/{}/fehlzeiten", self.class_id)
    }

    /// Audit records with `action`, oldest first.
    pub fn audits(&self, action: &str) -> Vec<AuditRow> {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .order(audit_log::id)
            .select(AuditRow::as_select())
            .load(&mut conn(&self.app))
            .unwrap()
    }
}

trait ClockNow {
    fn clock_now(&self) -> DateTime<Utc>;
}

impl ClockNow for TestApp {
    fn clock_now(&self) -> DateTime<Utc> {
        use klassenbuch::clock::Clock;
        self.clock.now()
    }
}

async fn body(resp: reqwest::Response) -> String {
    resp.text().await.unwrap()
}

fn case_count(f: &Fixture) -> i64 {
    absence_cases::table
        .count()
        .get_result(&mut conn(&f.app))
        .unwrap()
}

/// The form fields of the first form matching `selector`, with their current values.
fn form_fields(html: &str, selector: &str) -> Vec<(String, String)> {
    let doc = Html::parse_document(html);
    let form = doc
        .select(&Selector::parse(selector).unwrap())
        .next()
        .unwrap();
    let mut out = Vec::new();
    for input in form.select(&Selector::parse("input").unwrap()) {
        let v = input.value();
        out.push((
            v.attr("name").unwrap_or_default().to_owned(),
            v.attr("value").unwrap_or_default().to_owned(),
        ));
    }
    for select in form.select(&Selector::parse("select").unwrap()) {
        let chosen = select
            .select(&Selector::parse("option[selected]").unwrap())
            .next()
            .and_then(|o| o.value().attr("value"))
            .unwrap_or_default();
        out.push((
            select.value().attr("name").unwrap().to_owned(),
            chosen.to_owned(),
        ));
    }
    out
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn a_recorded_case_pre_fills_the_roster_of_a_lesson_not_yet_saved() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let teacher = f.elevated(&f.teacher).await;
    let (albers, brandt) = (f.pupils[0], f.pupils[1]);
    let csrf = ct.csrf_from(&f.fehlzeiten()).await;

    // Act: the class teacher records Monday 1 March for Albers.
    let resp = ct
        .post_form(
            &f.fehlzeiten(),
            &[
                ("csrf", &csrf),
                ("pupil", &albers.to_string()),
                ("from", "2027-03-01"),
                ("to", ""),
                ("reason", "krank"),
                ("note", ""),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), f.fehlzeiten());
    let lesson = body(
        teacher
            .get(&format!("/unterricht/{}/2027-03-01", f.monday_slot))
            .await,
    )
    .await;
    let absent = format!("input[name=p{albers}][value=f]");
    assert_eq!(attr_of(&lesson, &absent, "checked").as_deref(), Some(""));
    let present = format!("input[name=p{brandt}][value=a]");
    assert!(attr_of(&lesson, &present, "checked").is_some());
    assert_eq!(
        attr_of(
            &lesson,
            &format!("input[name=p{brandt}][value=f]"),
            "checked"
        ),
        None
    );
}

#[tokio::test]
async fn a_lesson_absence_without_a_case_is_listed_until_the_class_teacher_records_one() {
    // Arrange: Brandt misses Wednesday's lesson (no case); Albers misses Monday's, which a
    // case covers.
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;
    let ct = f.elevated(&f.class_teacher).await;
    let (albers, brandt) = (f.pupils[0], f.pupils[1]);
    f.case(albers, day(2, 22), day(2, 22), (None, None), "offen");
    f.document(&teacher, f.monday_slot, day(2, 22), &[(albers, "f", 0)])
        .await;
    f.document(&teacher, f.wednesday_slot, day(2, 24), &[(brandt, "f", 0)])
        .await;

    // Act
    let page = body(ct.get(&f.fehlzeiten()).await).await;

    // Assert: only Brandt's Wednesday is open.
    assert_eq!(count_of(&page, "#ohne-meldung tr.unreported"), 1);
    let row = format!("#ohne-meldung tr.unreported[data-pupil=\"{brandt}\"]");
    assert_eq!(
        attr_of(&page, &row, "data-date").as_deref(),
        Some("2027-02-24")
    );
    assert!(text_of(&page, &row).unwrap().contains("2. Stunde Deutsch"));

    // Act: one click on "als Fall erfassen".
    let fields = form_fields(&page, &format!("{row} form"));
    let resp = ct.post_form(&f.fehlzeiten(), &pairs(&fields)).await;

    // Assert: the row is gone, the case is there.
    assert_eq!(resp.status().as_u16(), 303);
    let page = body(ct.get(&f.fehlzeiten()).await).await;
    assert_eq!(count_of(&page, "#ohne-meldung tr.unreported"), 0);
    assert_eq!(count_of(&page, "#faelle tr.case"), 2);
    let reasons: Vec<String> = {
        let doc = Html::parse_document(&page);
        doc.select(&Selector::parse("#faelle td.reason").unwrap())
            .map(|e| e.text().collect())
            .collect()
    };
    assert!(reasons.contains(&"sonstige".to_owned()));
}

#[tokio::test]
async fn the_office_records_a_case_whose_note_is_stored_encrypted_and_shown_only_to_the_class_teacher()
 {
    // Arrange
    let f = Fixture::new().await;
    let office = f.elevated(&f.office).await;
    let ct = f.elevated(&f.class_teacher).await;
    let pupil = f.pupils[2];
    let note = "Mutter rief an: Magen-Darm";
    let csrf = office.csrf_from(&f.fehlzeiten()).await;

    // Act
    let resp = office
        .post_form(
            &f.fehlzeiten(),
            &[
                ("csrf", &csrf),
                ("pupil", &pupil.to_string()),
                ("from", "26.02.2027"),
                ("to", "2027-03-02"),
                ("from_period", "3"),
                ("reason", "krank"),
                ("note", note),
            ],
        )
        .await;

    // Assert: stored, encrypted under its purpose, with history and audit.
    assert_eq!(resp.status().as_u16(), 303);
    let (id, raw): (i64, Option<String>) = absence_cases::table
        .select((absence_cases::id, absence_cases::note_enc))
        .first(&mut conn(&f.app))
        .unwrap();
    let raw = raw.unwrap();
    assert!(!raw.contains("Magen"), "the note is stored in plain text");
    let opened = f
        .app
        .state
        .keys
        .decrypt(&format!("absence-note:{pupil}"), &raw)
        .unwrap();
    assert_eq!(String::from_utf8(opened).unwrap(), note);
    let history: Vec<(String, String, String, String)> = change_history::table
        .filter(change_history::entity.eq("absence"))
        .filter(change_history::entity_id.eq(id))
        .select((
            change_history::field,
            change_history::old_value,
            change_history::new_value,
            change_history::assurance,
        ))
        .load(&mut conn(&f.app))
        .unwrap();
    assert!(history.contains(&(
        "von".into(),
        String::new(),
        "2027-02-26".into(),
        "aal2".into()
    )));
    assert!(history.iter().all(|h| !h.2.contains("Magen")));
    let audit = f.audits("fehlzeit_erfasst");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].object, format!("schueler:{pupil}"));
    assert_eq!(audit[0].actor_user_id, Some(f.office.user_id));

    // Assert: the class teacher reads the note, the office does not, nor lesson absences.
    let ct_page = body(ct.get(&f.fehlzeiten()).await).await;
    assert_eq!(text_of(&ct_page, "#faelle td.note").as_deref(), Some(note));
    let office_page = body(office.get(&f.fehlzeiten()).await).await;
    assert_eq!(count_of(&office_page, "#faelle tr.case"), 1);
    assert_eq!(count_of(&office_page, "td.note"), 0);
    assert!(!office_page.contains("Magen"));
    assert_eq!(count_of(&office_page, "#ohne-meldung"), 0);
    let reads = f.audits("fehlzeiten_angezeigt");
    let ct_read = reads
        .iter()
        .find(|r| r.actor_user_id == Some(f.class_teacher.user_id))
        .unwrap();
    assert_eq!(ct_read.object, format!("klasse:{}", f.class_id));
    assert!(
        ct_read
            .detail
            .contains(&format!("notizen=schueler:{pupil}"))
    );
    assert!(!ct_read.detail.contains("Magen"));
}

#[tokio::test]
async fn only_the_class_teacher_decides_on_the_excuse_and_the_change_keeps_its_history() {
    // Arrange
    let f = Fixture::new().await;
    let case_id = f.case(f.pupils[0], day(2, 22), day(2, 23), (None, None), "offen");
    let office = f.elevated(&f.office).await;
    let ct = f.elevated(&f.class_teacher).await;
    let path = format!("/fehlzeiten/{case_id}/entschuldigung");
    let decision = |csrf: String| {
        vec![
            ("csrf".to_owned(), csrf),
            ("excuse".to_owned(), "entschuldigt".to_owned()),
            ("received".to_owned(), "2027-02-25".to_owned()),
        ]
    };

    // Act
    let by_office = office
        .post_form(&path, &pairs(&decision(office.csrf_from("/").await)))
        .await;
    let by_ct = ct
        .post_form(&path, &pairs(&decision(ct.csrf_from("/").await)))
        .await;

    // Assert
    assert!(
        [403, 404].contains(&by_office.status().as_u16()),
        "office: {}",
        by_office.status()
    );
    assert_eq!(by_ct.status().as_u16(), 303);
    let (excuse, received): (String, Option<NaiveDate>) = absence_cases::table
        .find(case_id)
        .select((absence_cases::excuse, absence_cases::excuse_received_on))
        .first(&mut conn(&f.app))
        .unwrap();
    assert_eq!(
        (excuse.as_str(), received),
        ("entschuldigt", Some(day(2, 25)))
    );
    let history: Vec<(String, String, String, i64)> = change_history::table
        .filter(change_history::entity.eq("absence"))
        .filter(change_history::entity_id.eq(case_id))
        .select((
            change_history::field,
            change_history::old_value,
            change_history::new_value,
            change_history::user_id,
        ))
        .load(&mut conn(&f.app))
        .unwrap();
    assert_eq!(
        history,
        vec![
            (
                "entschuldigung".into(),
                "offen".into(),
                "entschuldigt".into(),
                f.class_teacher.user_id
            ),
            (
                "eingang_entschuldigung".into(),
                String::new(),
                "2027-02-25".into(),
                f.class_teacher.user_id
            ),
        ]
    );
    let page = body(ct.get(&f.fehlzeiten()).await).await;
    let cell = text_of(&page, &format!("#fall-{case_id}")).unwrap();
    assert!(cell.contains("eingegangen am 25.02.2027"), "{cell}");
}

#[tokio::test]
async fn an_invalid_case_names_each_field_and_writes_nothing() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let csrf = ct.csrf_from(&f.fehlzeiten()).await;
    let stranger = f.pupils[0] + 1000;

    // Act
    let resp = ct
        .post_form(
            &f.fehlzeiten(),
            &[
                ("csrf", &csrf),
                ("pupil", &stranger.to_string()),
                ("from", "2027-03-05"),
                ("to", "2027-03-01"),
                ("reason", "blau"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 422);
    let page = body(resp).await;
    let summary = text_of(&page, "#fehler").unwrap();
    for field in ["»Schülerin/Schüler«", "»bis«", "»Grund«"] {
        assert!(summary.contains(field), "{field} missing in: {summary}");
    }
    assert_eq!(
        attr_of(&page, "#case-to", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        attr_of(&page, "#case-from", "value").as_deref(),
        Some("2027-03-05")
    );
    assert_eq!(case_count(&f), 0);
}

#[tokio::test]
async fn the_class_teacher_sets_an_attestpflicht_that_flags_the_pupil_on_the_lesson_page() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let teacher = f.elevated(&f.teacher).await;
    let office = f.elevated(&f.office).await;
    let pupil = f.pupils[1].to_string();
    let form = |csrf: String| {
        vec![
            ("csrf".to_owned(), csrf),
            ("pupil".to_owned(), pupil.clone()),
            ("from".to_owned(), "2027-02-26".to_owned()),
            ("to".to_owned(), "2027-04-30".to_owned()),
        ]
    };
    let path = format!("/klassen/{}/attestpflicht", f.class_id);

    // Act
    let by_office = office
        .post_form(&path, &pairs(&form(office.csrf_from("/").await)))
        .await;
    let by_ct = ct
        .post_form(&path, &pairs(&form(ct.csrf_from("/").await)))
        .await;

    // Assert
    assert!([403, 404].contains(&by_office.status().as_u16()));
    assert_eq!(by_ct.status().as_u16(), 303);
    let lesson = body(
        teacher
            .get(&format!("/unterricht/{}/2027-03-01", f.monday_slot))
            .await,
    )
    .await;
    assert_eq!(count_of(&lesson, "span.flag[title=Attestpflicht]"), 1);
    let page = body(ct.get(&f.fehlzeiten()).await).await;
    assert!(
        text_of(&page, "ul.attests")
            .unwrap()
            .contains("26.02.2027 bis 30.04.2027")
    );
    assert_eq!(f.audits("attestpflicht_erfasst").len(), 1);
}

#[tokio::test]
async fn the_absence_page_needs_a_second_factor() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.signed_in(&f.class_teacher).await;

    // Act
    let resp = ct.get(&f.fehlzeiten()).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        location(&resp),
        format!("/step-up?next=%2Fklassen%2F{}%2Ffehlzeiten", f.class_id)
    );
}

#[tokio::test]
async fn a_teacher_who_is_not_class_teacher_of_a_class_gets_404_for_its_absences_and_statistics() {
    // Arrange: the teacher teaches 7a but is class teacher of 7b only.
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;
    let denied_before = f.audits("zugriff_verweigert").len();

    // Act + Assert
    for path in [
        f.fehlzeiten(),
        format!("/klassen/{}/statistik", f.class_id),
        format!("/klassen/{}/statistik.csv", f.class_id),
    ] {
        let resp = teacher.get(&path).await;
        assert_eq!(resp.status().as_u16(), 404, "{path}");
    }
    let csrf = teacher.csrf_from("/").await;
    let post = teacher
        .post_form(
            &f.fehlzeiten(),
            &[
                ("csrf", csrf.as_str()),
                ("pupil", &f.pupils[0].to_string()),
                ("from", "2027-02-26"),
                ("reason", "krank"),
            ],
        )
        .await;
    assert_eq!(post.status().as_u16(), 404);
    assert_eq!(case_count(&f), 0);
    assert_eq!(f.audits("zugriff_verweigert").len(), denied_before + 4);
    let own = teacher
        .get(&format!("/klassen/{}/fehlzeiten", f.other_class_id))
        .await;
    assert_eq!(own.status().as_u16(), 200);
}

#[tokio::test]
async fn the_class_overview_lists_own_classes_for_a_class_teacher_and_all_for_the_office() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.signed_in(&f.class_teacher).await;
    let office = f.signed_in(&f.office).await;
    let plain = f.app.create_user_in(f.school_id, Role::Lehrkraft);
    let plain = f.signed_in(&plain).await;

    // Act
    let ct_page = body(ct.get("/klassen").await).await;
    let office_page = body(office.get("/klassen").await).await;
    let plain_resp = plain.get("/klassen").await;

    // Assert
    assert_eq!(count_of(&ct_page, "table.classes tbody tr"), 1);
    assert_eq!(
        attr_of(
            &ct_page,
            "table.classes tbody a[href$=\"/fehlzeiten\"]",
            "href"
        ),
        Some(f.fehlzeiten())
    );
    assert_eq!(count_of(&ct_page, "nav a[href=\"/klassen\"]"), 1);
    assert_eq!(count_of(&office_page, "table.classes tbody tr"), 2);
    // The office opens absences, not statistics.
    assert_eq!(count_of(&office_page, "a[href$=\"/statistik\"]"), 0);
    assert_eq!(plain_resp.status().as_u16(), 403);
}

#[tokio::test]
async fn a_headteacher_of_another_school_gets_404_for_the_class_and_its_cases() {
    // Arrange
    let f = Fixture::new().await;
    let case_id = f.case(f.pupils[0], day(2, 22), day(2, 22), (None, None), "offen");
    let other_school = f.app.create_school("Schule am Hafen");
    let stranger = f.app.create_user_in(other_school, Role::Schulleitung);
    let stranger = f.elevated(&stranger).await;

    // Act + Assert
    for path in [
        f.fehlzeiten(),
        format!("/klassen/{}/statistik", f.class_id),
        format!("/klassen/{}/statistik.csv", f.class_id),
    ] {
        assert_eq!(stranger.get(&path).await.status().as_u16(), 404, "{path}");
    }
    let csrf = stranger.csrf_from("/").await;
    let decision = stranger
        .post_form(
            &format!("/fehlzeiten/{case_id}/entschuldigung"),
            &[
                ("csrf", csrf.as_str()),
                ("excuse", "entschuldigt"),
                ("received", "2027-02-25"),
            ],
        )
        .await;
    assert_eq!(decision.status().as_u16(), 404);
    let excuse: String = absence_cases::table
        .find(case_id)
        .select(absence_cases::excuse)
        .first(&mut conn(&f.app))
        .unwrap();
    assert_eq!(excuse, "offen");
}
