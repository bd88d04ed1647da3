//! School social work: the headteacher assigns pupils for a period; the social worker, after
//! step-up, sees name, class and the absence overview of assigned pupils — nothing else —
//! and 404 for every other pupil, also on the first request after an assignment ends. Every
//! display and every refusal is audited. Builds on the register fixture (school year
//! 2026/27, today Friday 26 February 2027, class 7a with Albers, Brandt, Christiansen).

use crate::helpers::{TestClient, TestUser, count_of, csrf_of, location, text_of};
use crate::register_absences::{Fixture, day};
use chrono::{NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::db::schema::{guardians, pupil_profiles, social_work_assignments};
use klassenbuch::db::socialwork::{self, NewAssignment};
use klassenbuch::db::{DbConnection, schools, timetable};
use klassenbuch::sealed;
use scraper::{Html, Selector};

/// Values that must never reach the social worker's pages.
const NOTE: &str = "Vertraulich: Trennung der Eltern, Mutter ruft an";
const TOPIC: &str = "Kurvendiskussion mit Wendepunkten";
const HOMEWORK: &str = "Aufgabe 7 auf Seite 112";
const GUARDIAN: &str = "Hannelore Albers-Petersen";
const ADDRESS: &str = "Lindenweg 17, 24103 Kiel";
const PHONE: &str = "0431 5550177";

/// The register fixture plus a social worker.
struct World {
    f: Fixture,
    worker: TestUser,
}

impl World {
    async fn new() -> World {
        let f = Fixture::new().await;
        let worker = f.app.create_user_in(f.school_id, Role::Schulsozialarbeit);
        World { f, worker }
    }

    fn albers(&self) -> i64 {
        self.f.pupils[0]
    }

    /// The headteacher assigns `pupil` to the social worker through the form.
    async fn assign(
        &self,
        head: &TestClient,
        pupil: i64,
        from: &str,
        to: &str,
    ) -> reqwest::Response {
        let csrf = head.csrf_from("/verwaltung/sozialarbeit").await;
        head.post_form(
            "/verwaltung/sozialarbeit",
            &[
                ("csrf", &csrf),
                ("sa_fachkraft", &self.worker.user_id.to_string()),
                ("sa_schueler", &pupil.to_string()),
                ("sa_von", from),
                ("sa_bis", to),
            ],
        )
        .await
    }

    /// A lesson documented through the lesson form with a topic that must stay private.
    async fn document(&self, teacher: &TestClient, slot: i64, date: NaiveDate, absent: &[i64]) {
        let path = format!("/unterricht/{slot}/{date}");
        let csrf = teacher.csrf_from(&path).await;
        let mut fields = vec![
            ("csrf".to_owned(), csrf),
            ("topic".to_owned(), TOPIC.to_owned()),
            ("homework".to_owned(), HOMEWORK.to_owned()),
        ];
        fields.extend(absent.iter().map(|p| (format!("p{p}"), "f".to_owned())));
        let form: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let resp = teacher.post_form(&path, &form).await;
        assert_eq!(resp.status().as_u16(), 303, "saving {path}");
    }

    /// Lessons, cases (one with a confidential note, through the form) and contact data of
    /// Albers: term 1 one open absence; term 2 five absences — two excused (week 6), one
    /// unexcused (week 7), two open (week 8).
    async fn known_absences(&self) {
        let f = &self.f;
        let a = self.albers();
        let teacher = f.elevated(&f.teacher).await;
        for (slot, date) in [
            (f.monday_slot, day(1, 25)),
            (f.monday_slot, day(2, 8)),
            (f.wednesday_slot, day(2, 10)),
            (f.monday_slot, day(2, 15)),
            (f.monday_slot, day(2, 22)),
            (f.wednesday_slot, day(2, 24)),
        ] {
            self.document(&teacher, slot, date, &[a]).await;
        }
        f.case(a, day(2, 8), day(2, 10), (None, None), "entschuldigt");
        f.case(a, day(2, 15), day(2, 15), (None, None), "unentschuldigt");
        let ct = f.elevated(&f.class_teacher).await;
        let csrf = ct.csrf_from(&f.fehlzeiten()).await;
        let resp = ct
            .post_form(
                &f.fehlzeiten(),
                &[
                    ("csrf", &csrf),
                    ("pupil", &a.to_string()),
                    ("from", "2027-02-24"),
                    ("to", "2027-02-24"),
                    ("reason", "krank"),
                    ("note", NOTE),
                ],
            )
            .await;
        assert_eq!(resp.status().as_u16(), 303, "recording the case");
        self.contact_data(a);
    }

    /// Guardian and contact data of `pupil`, sealed as the pupil pages store them.
    fn contact_data(&self, pupil: i64) {
        let keys = &self.f.app.state.keys;
        let seal = |table: &str, column: &str, value: &str| {
            sealed::column(table, column)
                .unwrap()
                .seal(keys, pupil, value)
                .unwrap()
        };
        let now = self.f.app.now_naive();
        let mut conn = self.f.app.conn();
        let c: &mut DbConnection = &mut conn;
        diesel::insert_into(guardians::table)
            .values((
                guardians::school_id.eq(self.f.school_id),
                guardians::pupil_id.eq(pupil),
                guardians::name_enc.eq(seal("guardians", "name_enc", GUARDIAN)),
                guardians::relation_enc.eq(seal("guardians", "relation_enc", "Mutter")),
                guardians::custody_enc.eq(seal("guardians", "custody_enc", "ja")),
                guardians::contact_enc.eq(seal("guardians", "contact_enc", PHONE)),
                guardians::created_at.eq(now),
            ))
            .execute(c)
            .unwrap();
        diesel::insert_into(pupil_profiles::table)
            .values((
                pupil_profiles::school_id.eq(self.f.school_id),
                pupil_profiles::pupil_id.eq(pupil),
                pupil_profiles::address_enc.eq(seal("pupil_profiles", "address_enc", ADDRESS)),
                pupil_profiles::phone_enc.eq(seal("pupil_profiles", "phone_enc", PHONE)),
                pupil_profiles::updated_at.eq(now),
            ))
            .execute(c)
            .unwrap();
    }

    fn assignment_count(&self) -> i64 {
        social_work_assignments::table
            .count()
            .get_result(&mut *self.f.app.conn())
            .unwrap()
    }
}

/// The four counts of the row `selector`: missed, excused, unexcused, open.
fn counts(page: &str, selector: &str) -> [u32; 4] {
    let doc = Html::parse_document(page);
    let tr = doc
        .select(&Selector::parse(selector).unwrap())
        .next()
        .unwrap_or_else(|| panic!("no row {selector}"));
    let cells: Vec<u32> = tr
        .select(&Selector::parse("td").unwrap())
        .map(|td| td.text().collect::<String>().trim().parse().unwrap())
        .collect();
    cells.try_into().unwrap()
}

/// The visible text of the page's main content.
fn main_text(page: &str) -> String {
    let doc = Html::parse_document(page);
    doc.select(&Selector::parse("main").unwrap())
        .flat_map(|m| m.text())
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn the_social_worker_sees_name_class_and_absence_counts_of_an_assigned_pupil_and_nothing_else()
 {
    // Arrange
    let w = World::new().await;
    w.known_absences().await;
    let head = w.f.elevated(&w.f.head).await;
    let assigned = w
        .assign(&head, w.albers(), "2027-02-01", "2027-07-31")
        .await;
    assert_eq!(assigned.status().as_u16(), 303, "assigning");
    let sw = w.f.elevated(&w.worker).await;
    let path = format!("/sozialarbeit/{}", w.albers());

    // Act
    let list = sw.get("/sozialarbeit").await.text().await.unwrap();
    let resp = sw.get(&path).await;

    // Assert: the list shows Albers with class, linked; nobody else.
    assert_eq!(count_of(&list, "table.assigned tbody tr"), 1);
    let row = format!("tr#schueler-{}", w.albers());
    assert_eq!(
        text_of(&list, &format!("{row} th a")).as_deref(),
        Some("Albers, Mia")
    );
    assert_eq!(
        text_of(&list, &format!("{row} td.class")).as_deref(),
        Some("7a")
    );

    // Assert: name, class, the counts per term and per week.
    assert_eq!(resp.status().as_u16(), 200);
    let page = resp.text().await.unwrap();
    assert_eq!(text_of(&page, "#name").as_deref(), Some("Albers, Mia"));
    assert_eq!(text_of(&page, "#klasse").as_deref(), Some("7a"));
    assert_eq!(count_of(&page, "#halbjahre tbody tr"), 2);
    assert_eq!(
        counts(&page, &format!("tr#halbjahr-{}", w.f.term1_id)),
        [1, 0, 0, 1]
    );
    assert_eq!(
        counts(&page, &format!("tr#halbjahr-{}", w.f.term2_id)),
        [5, 2, 1, 2]
    );
    assert_eq!(count_of(&page, "#wochen tbody tr"), 4);
    assert_eq!(counts(&page, "tr#kw-2027-5"), [0, 0, 0, 0]);
    assert_eq!(counts(&page, "tr#kw-2027-6"), [2, 2, 0, 0]);
    assert_eq!(counts(&page, "tr#kw-2027-7"), [1, 0, 1, 0]);
    assert_eq!(counts(&page, "tr#kw-2027-8"), [2, 0, 0, 2]);
    assert_eq!(count_of(&page, "figure.chart svg[role=img] g.week"), 4);
    assert_eq!(count_of(&page, "script"), 0);

    // Assert: nothing else — no note, reason, topic, homework, subject, teacher, contact,
    // and no other pupil.
    let text = main_text(&page);
    for secret in [
        NOTE,
        TOPIC,
        HOMEWORK,
        GUARDIAN,
        ADDRESS,
        PHONE,
        "krank",
        "Mathematik",
        "Deutsch",
        "R101",
        &w.f.teacher.display_name,
        &w.f.class_teacher.display_name,
        "Brandt",
        "Christiansen",
    ] {
        assert!(!page.contains(secret), "the overview shows »{secret}«");
        assert!(!list.contains(secret), "the list shows »{secret}«");
    }
    assert!(
        !text.contains("Attest"),
        "the overview shows the Attestpflicht"
    );
    assert_eq!(count_of(&page, "main form"), 0, "the view is read-only");

    // Assert: every display is audited with pupil and data group.
    let reads = w.f.audits("fehlzeiten_ueberblick_angezeigt");
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].object, format!("schueler:{}", w.albers()));
    assert_eq!(reads[0].detail, "datengruppe=fehlzeiten_ueberblick");
    assert_eq!(reads[0].actor_user_id, Some(w.worker.user_id));
    assert_eq!(reads[0].assurance, "aal2");
}

#[tokio::test]
async fn the_social_worker_gets_404_for_every_pupil_not_assigned_and_the_refusal_is_audited() {
    // Arrange: Albers is assigned; Brandt (same class), Dittmer (7b), an unknown id and a
    // pupil of another school — even one whose assignment row names this school — are not.
    let w = World::new().await;
    let head = w.f.elevated(&w.f.head).await;
    assert_eq!(
        w.assign(&head, w.albers(), "2027-02-01", "")
            .await
            .status()
            .as_u16(),
        303
    );
    let brandt = w.f.pupils[1];
    let (other_school, other_pupil, dittmer) = {
        let mut conn = w.f.app.conn();
        let c: &mut DbConnection = &mut conn;
        let school = schools::create(c, "Schule am Kanal", w.f.app.now_naive())
            .unwrap()
            .id;
        let class = timetable::create_class(c, school, "7a").unwrap();
        let pupil = timetable::create_pupil(c, school, class, "Fremd", "Frida", day(1, 1)).unwrap();
        let dittmer =
            klassenbuch::db::structure::pupils(c, w.f.school_id, Some(w.f.other_class_id)).unwrap()
                [0]
            .id;
        // A row that skipped the form's checks: this school, the other school's pupil. On
        // PostgreSQL the keys carry the school and refuse it; SQLite takes it, and the app
        // must still show nothing.
        let injected = socialwork::insert(
            c,
            &NewAssignment {
                school_id: w.f.school_id,
                user_id: w.worker.user_id,
                pupil_id: pupil,
                valid_from: day(1, 1),
                valid_to: None,
                created_by: w.f.head.user_id,
                created_at: w.f.app.now_naive(),
            },
        );
        match (&*c, injected) {
            (DbConnection::Sqlite(_), r) => {
                r.unwrap();
            }
            (DbConnection::Postgres(_), r) => assert!(
                matches!(
                    r,
                    Err(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                        _
                    ))
                ),
                "PostgreSQL took a row pointing at another school's pupil"
            ),
        }
        (school, pupil, dittmer)
    };
    assert_ne!(other_school, w.f.school_id);
    let sw = w.f.elevated(&w.worker).await;

    for pupil in [brandt, dittmer, other_pupil, 999_999] {
        // Act
        let resp = sw.get(&format!("/sozialarbeit/{pupil}")).await;

        // Assert
        assert_eq!(resp.status().as_u16(), 404, "pupil {pupil}");
        let page = resp.text().await.unwrap();
        assert!(!page.contains("Fremd") && !page.contains("Brandt") && !page.contains("Dittmer"));
    }
    let list = sw.get("/sozialarbeit").await.text().await.unwrap();
    assert_eq!(count_of(&list, "table.assigned tbody tr"), 1);
    assert!(!list.contains("Fremd"));
    let refusals: Vec<String> =
        w.f.audits("zugriff_verweigert")
            .into_iter()
            .filter(|r| r.actor_user_id == Some(w.worker.user_id))
            .map(|r| r.object)
            .collect();
    for pupil in [brandt, dittmer, other_pupil, 999_999] {
        assert!(
            refusals.contains(&format!("schueler:{pupil}")),
            "{pupil}: {refusals:?}"
        );
    }
    assert!(w.f.audits("fehlzeiten_ueberblick_angezeigt").is_empty());
}

#[tokio::test]
async fn an_assignment_that_ends_is_404_on_the_very_next_request() {
    // Arrange: Albers is assigned up to and including today; the social worker looks at
    // 23:55 in the evening.
    let w = World::new().await;
    let head = w.f.elevated(&w.f.head).await;
    assert_eq!(
        w.assign(&head, w.albers(), "2027-02-01", "2027-02-26")
            .await
            .status()
            .as_u16(),
        303
    );
    let evening = chrono_tz::Europe::Berlin
        .with_ymd_and_hms(2027, 2, 26, 23, 55, 0)
        .unwrap()
        .with_timezone(&Utc);
    w.f.app.clock.set(evening);
    let sw = w.f.elevated(&w.worker).await;
    let path = format!("/sozialarbeit/{}", w.albers());
    assert_eq!(
        sw.get(&path).await.status().as_u16(),
        200,
        "valid on its last day"
    );

    // Act: ten minutes later it is the next day.
    w.f.app.advance_minutes(10);
    let resp = sw.get(&path).await;
    let list = sw.get("/sozialarbeit").await.text().await.unwrap();

    // Assert
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(count_of(&list, "table.assigned tbody tr"), 0);
}

#[tokio::test]
async fn the_headteacher_ends_an_assignment_and_the_next_request_of_the_social_worker_is_404() {
    // Arrange
    let w = World::new().await;
    let head = w.f.elevated(&w.f.head).await;
    assert_eq!(
        w.assign(&head, w.albers(), "2027-02-01", "")
            .await
            .status()
            .as_u16(),
        303
    );
    let sw = w.f.elevated(&w.worker).await;
    let path = format!("/sozialarbeit/{}", w.albers());
    assert_eq!(sw.get(&path).await.status().as_u16(), 200);
    let page = head
        .get("/verwaltung/sozialarbeit")
        .await
        .text()
        .await
        .unwrap();
    let id = crate::helpers::attr_of(&page, "table.assignments tbody tr", "data-id").unwrap();

    // Act: the last day was yesterday.
    let resp = head
        .post_form(
            "/verwaltung/sozialarbeit/beenden",
            &[
                ("csrf", &csrf_of(&page)),
                ("eintrag", &id),
                ("ende", "2027-02-25"),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), "/verwaltung/sozialarbeit");
    assert_eq!(sw.get(&path).await.status().as_u16(), 404);
    let page = head
        .get("/verwaltung/sozialarbeit")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        text_of(&page, "table.assignments td.status").as_deref(),
        Some("beendet")
    );
    assert_eq!(
        count_of(&page, "table.assignments form"),
        0,
        "an ended row has no end form"
    );
    let ended = w.f.audits("sozialarbeit_zuweisung_beendet");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].object, format!("zuweisung:{id}"));
    assert!(
        ended[0].detail.contains("letzter Tag 2027-02-25"),
        "{}",
        ended[0].detail
    );
}

#[tokio::test]
async fn without_a_second_factor_the_social_worker_is_sent_to_step_up() {
    // Arrange
    let w = World::new().await;
    let head = w.f.elevated(&w.f.head).await;
    assert_eq!(
        w.assign(&head, w.albers(), "2027-02-01", "")
            .await
            .status()
            .as_u16(),
        303
    );
    let sw = w.f.signed_in(&w.worker).await;

    for path in [
        "/sozialarbeit".to_owned(),
        format!("/sozialarbeit/{}", w.albers()),
    ] {
        // Act
        let resp = sw.get(&path).await;

        // Assert
        assert_eq!(resp.status().as_u16(), 303, "{path}");
        assert_eq!(
            location(&resp),
            format!("/step-up?next={}", urlencoding::encode(&path))
        );
    }
    assert!(w.f.audits("fehlzeiten_ueberblick_angezeigt").is_empty());
}

#[tokio::test]
async fn teachers_office_and_headteacher_are_refused_the_social_workers_pages() {
    // Arrange
    let w = World::new().await;
    let head = w.f.elevated(&w.f.head).await;
    assert_eq!(
        w.assign(&head, w.albers(), "2027-02-01", "")
            .await
            .status()
            .as_u16(),
        303
    );
    let path = format!("/sozialarbeit/{}", w.albers());
    let others = [&w.f.teacher, &w.f.class_teacher, &w.f.office];

    for user in others {
        let b = w.f.elevated(user).await;
        for p in ["/sozialarbeit", path.as_str()] {
            // Act
            let resp = b.get(p).await;

            // Assert
            let status = resp.status().as_u16();
            assert!(
                status == 403 || status == 404,
                "{} on {p}: {status}",
                user.login
            );
            assert!(!resp.text().await.unwrap().contains("Albers"));
        }
    }
    assert_eq!(head.get(&path).await.status().as_u16(), 403);
    let denials = w.f.audits("zugriff_verweigert");
    assert!(
        denials.len() >= 2 * others.len(),
        "refusals are audited: {}",
        denials.len()
    );
    assert!(
        denials
            .iter()
            .any(|d| d.actor_user_id == Some(w.f.teacher.user_id) && d.object == "/sozialarbeit")
    );
}

#[tokio::test]
async fn only_the_headteacher_assigns_and_the_assignment_is_checked_and_audited() {
    // Arrange
    let w = World::new().await;
    let head = w.f.elevated(&w.f.head).await;
    let admin_user = w.f.app.create_user_in(w.f.school_id, Role::Verwaltung);
    let admin = w.f.elevated(&admin_user).await;
    let foreign_pupil = {
        let mut conn = w.f.app.conn();
        let c: &mut DbConnection = &mut conn;
        let school = schools::create(c, "Schule am Kanal", w.f.app.now_naive())
            .unwrap()
            .id;
        let class = timetable::create_class(c, school, "9c").unwrap();
        timetable::create_pupil(c, school, class, "Fremd", "Frida", day(1, 1)).unwrap()
    };

    // Act: the administration may not.
    let refused = admin.get("/verwaltung/sozialarbeit").await;

    // Assert
    assert_eq!(refused.status().as_u16(), 403);

    // Act: a teacher is no social worker; the end lies before the start.
    let csrf = head.csrf_from("/verwaltung/sozialarbeit").await;
    let invalid = head
        .post_form(
            "/verwaltung/sozialarbeit",
            &[
                ("csrf", &csrf),
                ("sa_fachkraft", &w.f.teacher.user_id.to_string()),
                ("sa_schueler", &w.albers().to_string()),
                ("sa_von", "2027-03-01"),
                ("sa_bis", "2027-02-01"),
            ],
        )
        .await;

    // Assert: 422 naming the field, nothing stored.
    assert_eq!(invalid.status().as_u16(), 422);
    let page = invalid.text().await.unwrap();
    assert!(text_of(&page, "#fehler").unwrap().contains("Feld »Bis«"));
    assert_eq!(w.assignment_count(), 0);
    let ok = w.assign(&head, w.albers(), "2027-03-01", "").await;
    assert_eq!(
        ok.status().as_u16(),
        303,
        "the social worker may be assigned"
    );
    let teacher_form = head
        .post_form(
            "/verwaltung/sozialarbeit",
            &[
                ("csrf", &csrf),
                ("sa_fachkraft", &w.f.teacher.user_id.to_string()),
                ("sa_schueler", &w.albers().to_string()),
                ("sa_von", "2027-03-01"),
            ],
        )
        .await;
    assert_eq!(teacher_form.status().as_u16(), 422);
    let page = teacher_form.text().await.unwrap();
    assert!(
        text_of(&page, "#sa_fachkraft-fehler")
            .unwrap()
            .contains("Rolle Schulsozialarbeit nicht")
    );
    let twice = w
        .assign(&head, w.albers(), "2027-04-01", "2027-04-30")
        .await;
    assert_eq!(twice.status().as_u16(), 422, "overlapping assignment");
    assert_eq!(w.assignment_count(), 1);

    // Act: a pupil of another school.
    let foreign = w.assign(&head, foreign_pupil, "2027-03-01", "").await;

    // Assert: 404, nothing stored, audited.
    assert_eq!(foreign.status().as_u16(), 404);
    assert_eq!(w.assignment_count(), 1);
    assert!(
        w.f.audits("zugriff_verweigert")
            .iter()
            .any(|r| r.object == format!("schueler:{foreign_pupil}"))
    );
    let created = w.f.audits("sozialarbeit_zugewiesen");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor_user_id, Some(w.f.head.user_id));
    assert_eq!(
        created[0].detail,
        format!(
            "benutzer:{}; schueler:{}; 2027-03-01 bis offen",
            w.worker.user_id,
            w.albers()
        )
    );
    assert!(created[0].object.starts_with("zuweisung:"));
}
