//! Who sees which section of the pupil page: step-up first, then only the data groups of
//! `permissions::RULES` for this pupil, absent from the HTML otherwise; 404 for everybody
//! without any; one read audit record per group shown, never a value. Also the fixture the
//! other `pupils_*` tests share.

use crate::helpers::register::school_day_at;
use crate::helpers::{TestApp, TestClient, TestUser, count_of, location, spawn_app};
use diesel::prelude::*;
use klassenbuch::auth::roles::Role;
use klassenbuch::db::audit::AuditRow;
use klassenbuch::db::pupils::{self, NewConductNote, NewGuardian, NewMeasure, ProfileChanges};
use klassenbuch::db::schema::audit_log;
use klassenbuch::db::{DbConnection, timetable, users};
use klassenbuch::pupils::seal;

/// Values of Albers's class B data, each unique enough to search the body and the audit.
pub const ADDRESS: &str = "Hafenstraße 12";
pub const EMAIL: &str = "mia.albers@example.org";
pub const BIRTH_DATE: &str = "2014-05-17";
pub const GUARDIAN: &str = "Sandra Albers-Quast";
pub const GUARDIAN_CONTACT: &str = "0461 4711815";
pub const MEASURE: &str = "Zeitzuschlag von 25 Prozent";
pub const CODE_MEANING: &str = "Asthma bronchiale mit Notfallspray";
pub const CLASS_TEACHER_NOTE: &str = "Gespräch mit den Eltern am Elternsprechtag";
pub const TEACHER_NOTE: &str = "Hat in Mathematik die Gruppe gut angeleitet";
pub const COMPANY: &str = "Werft Nordlicht GmbH";

/// Every class B value of the fixture.
pub const SECRETS: [&str; 10] = [
    ADDRESS,
    EMAIL,
    BIRTH_DATE,
    GUARDIAN,
    GUARDIAN_CONTACT,
    MEASURE,
    CODE_MEANING,
    CLASS_TEACHER_NOTE,
    TEACHER_NOTE,
    COMPANY,
];

/// A school with 7a (Albers, Brandt) and 7b (Dittmer) on Wednesday, 10 March 2027, 09:30,
/// one account per role, and Albers's class B data stored encrypted.
pub struct Fixture {
    pub app: TestApp,
    pub school_id: i64,
    pub class_id: i64,
    pub albers: i64,
    pub brandt: i64,
    pub dittmer: i64,
    /// Class teacher of 7a, teaches German there too.
    pub class_teacher: TestUser,
    /// Teaches maths in 7a (a subject teacher of Albers and Brandt).
    pub teacher: TestUser,
    /// Teaches 7b only.
    pub outsider: TestUser,
    pub office: TestUser,
    pub head: TestUser,
    pub admin: TestUser,
    pub social_worker: TestUser,
    /// Brandt's guardian.
    pub brandt_guardian: i64,
    pub health_code: i64,
}

fn sealed(app: &TestApp, table: &str, column: &str, binding: i64, text: &str) -> String {
    seal(&app.state.keys, table, column, binding, text).unwrap()
}

impl Fixture {
    pub async fn new() -> Fixture {
        let app = spawn_app().await;
        app.clock.set(school_day_at(9, 30));
        let school_id = app.create_school("Gymnasium am Deich");
        let reg = app.seed_register(school_id);
        let today = app.school_today();
        let a = reg.class(&app, "7a", &["Albers", "Brandt"]);
        let b = reg.class(&app, "7b", &["Dittmer"]);
        let class_teacher = app.create_user_in(school_id, Role::Lehrkraft);
        let teacher = app.create_user_in(school_id, Role::Lehrkraft);
        let outsider = app.create_user_in(school_id, Role::Lehrkraft);
        let office = app.create_user_in(school_id, Role::Sekretariat);
        let head = app.create_user_in(school_id, Role::Schulleitung);
        let admin = app.create_user_in(school_id, Role::Verwaltung);
        let social_worker = app.create_user_in(school_id, Role::Schulsozialarbeit);
        reg.slot(&app, a.class_id, reg.maths, teacher.user_id, today, 2);
        reg.slot(
            &app,
            a.class_id,
            reg.german,
            class_teacher.user_id,
            today,
            4,
        );
        reg.slot(&app, b.class_id, reg.maths, outsider.user_id, today, 3);
        let (albers, brandt) = (a.pupils[0], a.pupils[1]);
        let now = app.now_naive();
        let (brandt_guardian, health_code) = {
            let mut conn = app.conn();
            let c: &mut DbConnection = &mut conn;
            users::assign_role(
                c,
                school_id,
                class_teacher.user_id,
                Role::Klassenlehrkraft,
                Some(a.class_id),
            )
            .unwrap();
            let s = |t: &str, col: &str, text: &str| sealed(&app, t, col, albers, text);
            let changes = ProfileChanges {
                birth_date_enc: Some(Some(s("pupil_profiles", "birth_date_enc", BIRTH_DATE))),
                sex_enc: Some(Some(s("pupil_profiles", "sex_enc", "w"))),
                address_enc: Some(Some(s(
                    "pupil_profiles",
                    "address_enc",
                    &format!("{ADDRESS}\n24937 Flensburg"),
                ))),
                email_enc: Some(Some(s("pupil_profiles", "email_enc", EMAIL))),
                training_company_enc: Some(Some(s(
                    "pupil_profiles",
                    "training_company_enc",
                    COMPANY,
                ))),
                ..Default::default()
            };
            pupils::save_profile(c, school_id, albers, &changes, now).unwrap();
            pupils::add_guardian(
                c,
                &NewGuardian {
                    school_id,
                    pupil_id: albers,
                    name_enc: s("guardians", "name_enc", GUARDIAN),
                    relation_enc: s("guardians", "relation_enc", "Mutter"),
                    custody_enc: s("guardians", "custody_enc", "ja"),
                    contact_enc: s("guardians", "contact_enc", GUARDIAN_CONTACT),
                    now,
                },
            )
            .unwrap();
            let bs = |col: &str, text: &str| sealed(&app, "guardians", col, brandt, text);
            let brandt_guardian = pupils::add_guardian(
                c,
                &NewGuardian {
                    school_id,
                    pupil_id: brandt,
                    name_enc: bs("name_enc", "Jan Brandt"),
                    relation_enc: bs("relation_enc", "Vater"),
                    custody_enc: bs("custody_enc", "ja"),
                    contact_enc: bs("contact_enc", "0461 1"),
                    now,
                },
            )
            .unwrap();
            pupils::add_measure(
                c,
                &NewMeasure {
                    school_id,
                    pupil_id: albers,
                    kind: "nachteilsausgleich",
                    detail_enc: s("support_measures", "detail_enc", MEASURE),
                    valid_from: today,
                    valid_to: None,
                    created_by: class_teacher.user_id,
                    now,
                },
            )
            .unwrap();
            let meaning = sealed(&app, "health_codes", "meaning_enc", school_id, CODE_MEANING);
            let health_code = pupils::add_health_code(c, school_id, "G7", &meaning).unwrap();
            pupils::assign_health_code(c, school_id, albers, health_code).unwrap();
            for (author, text) in [
                (class_teacher.user_id, CLASS_TEACHER_NOTE),
                (teacher.user_id, TEACHER_NOTE),
            ] {
                pupils::add_conduct_note(
                    c,
                    &NewConductNote {
                        school_id,
                        pupil_id: albers,
                        author_id: author,
                        date: today,
                        text_enc: s("conduct_notes", "text_enc", text),
                        now,
                    },
                )
                .unwrap();
            }
            (brandt_guardian, health_code)
        };
        Fixture {
            school_id,
            class_id: a.class_id,
            albers,
            brandt,
            dittmer: b.pupils[0],
            class_teacher,
            teacher,
            outsider,
            office,
            head,
            admin,
            social_worker,
            brandt_guardian,
            health_code,
            app,
        }
    }

    /// A browser of `user` elevated by a second factor.
    pub async fn elevated(&self, user: &TestUser) -> TestClient {
        self.app.elevated_browser_for(user).await
    }

    pub fn page(&self, pupil: i64) -> String {
        format!("/schueler/{pupil}")
    }

    /// The elevated `user`'s view of `pupil`'s page (asserting 200).
    pub async fn page_as(&self, user: &TestUser, pupil: i64) -> String {
        let b = self.elevated(user).await;
        let resp = b.get(&self.page(pupil)).await;
        assert_eq!(
            resp.status().as_u16(),
            200,
            "{} as {}",
            self.page(pupil),
            user.login
        );
        resp.text().await.unwrap()
    }

    /// Audit records with `action` about `object`, oldest first.
    pub fn audits(&self, action: &str, object: &str) -> Vec<AuditRow> {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .filter(audit_log::object.eq(object))
            .order(audit_log::id)
            .select(AuditRow::as_select())
            .load(&mut self.app.conn())
            .unwrap()
    }

    /// Every audit record.
    pub fn all_audits(&self) -> Vec<AuditRow> {
        audit_log::table
            .order(audit_log::id)
            .select(AuditRow::as_select())
            .load(&mut self.app.conn())
            .unwrap()
    }

    /// The data groups of the read records about `pupil`, in order.
    pub fn read_groups(&self, pupil: i64) -> Vec<String> {
        self.audits("schuelerdaten_angezeigt", &format!("schueler:{pupil}"))
            .into_iter()
            .map(|r| r.detail.trim_start_matches("datengruppe=").to_owned())
            .collect()
    }
}

/// Asserts that `body` holds none of the fixture's class B values.
pub fn assert_no_secrets(body: &str, what: &str) {
    for s in SECRETS {
        assert!(!body.contains(s), "{what} contains »{s}«");
    }
}

/// The `section#…` ids on a page.
fn sections(body: &str) -> Vec<&'static str> {
    [
        "foto",
        "stammdaten",
        "kontakt",
        "ausbildungsbetrieb",
        "erziehungsberechtigte",
        "foerderung",
        "verhalten",
    ]
    .into_iter()
    .filter(|id| count_of(body, &format!("section#{id}")) == 1)
    .collect()
}

#[tokio::test]
async fn without_a_second_factor_the_pupil_page_and_the_photo_send_you_to_step_up_and_show_nothing()
{
    // Arrange
    let f = Fixture::new().await;
    let b = f.app.browser_for(&f.class_teacher).await;

    // Act
    let page = b.get(&f.page(f.albers)).await;
    let photo = b.get(&format!("/schueler/{}/foto", f.albers)).await;

    // Assert
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(
        location(&page),
        format!("/step-up?next=%2Fschueler%2F{}", f.albers)
    );
    assert_no_secrets(&page.text().await.unwrap(), "the redirect");
    assert_eq!(photo.status().as_u16(), 303);
    assert!(location(&photo).starts_with("/step-up?next="));
    assert!(photo.bytes().await.unwrap().is_empty());
    assert!(f.read_groups(f.albers).is_empty());
}

#[tokio::test]
async fn the_class_teacher_sees_profile_contact_guardians_support_and_every_conduct_note() {
    // Arrange
    let f = Fixture::new().await;

    // Act
    let body = f.page_as(&f.class_teacher, f.albers).await;

    // Assert
    assert_eq!(
        sections(&body),
        [
            "foto",
            "stammdaten",
            "kontakt",
            "ausbildungsbetrieb",
            "erziehungsberechtigte",
            "foerderung",
            "verhalten"
        ]
    );
    for s in [
        ADDRESS,
        EMAIL,
        GUARDIAN,
        GUARDIAN_CONTACT,
        MEASURE,
        CODE_MEANING,
        CLASS_TEACHER_NOTE,
        TEACHER_NOTE,
        COMPANY,
    ] {
        assert!(body.contains(s), "the class teacher should see »{s}«");
    }
    assert!(body.contains("17.05.2014"));
    // The class teacher may change support data (remove the code, remove or add a measure)
    // and upload the photo, not contact data.
    assert_eq!(count_of(&body, "section#foerderung form"), 3);
    assert_eq!(
        count_of(&body, "section#foto form[enctype='multipart/form-data']"),
        1
    );
    assert_eq!(count_of(&body, "section#kontakt form"), 0);
}

#[tokio::test]
async fn a_subject_teacher_sees_support_and_own_notes_but_the_contact_and_guardian_sections_are_absent()
 {
    // Arrange
    let f = Fixture::new().await;

    // Act
    let body = f.page_as(&f.teacher, f.albers).await;

    // Assert
    assert_eq!(sections(&body), ["foto", "foerderung", "verhalten"]);
    assert_eq!(count_of(&body, "section#kontakt"), 0);
    assert_eq!(count_of(&body, "section#erziehungsberechtigte"), 0);
    for s in [
        ADDRESS,
        EMAIL,
        BIRTH_DATE,
        "17.05.2014",
        GUARDIAN,
        GUARDIAN_CONTACT,
        COMPANY,
        CLASS_TEACHER_NOTE,
    ] {
        assert!(!body.contains(s), "a subject teacher must not get »{s}«");
    }
    assert!(body.contains(MEASURE));
    assert!(body.contains(CODE_MEANING));
    assert!(body.contains(TEACHER_NOTE));
    // Reading support data, not changing it.
    assert_eq!(count_of(&body, "section#foerderung form"), 0);
}

#[tokio::test]
async fn the_office_sees_contact_and_guardians_but_no_support_or_conduct_notes() {
    // Arrange
    let f = Fixture::new().await;

    // Act
    let body = f.page_as(&f.office, f.albers).await;

    // Assert
    assert_eq!(
        sections(&body),
        [
            "stammdaten",
            "kontakt",
            "ausbildungsbetrieb",
            "erziehungsberechtigte"
        ]
    );
    assert!(body.contains(ADDRESS));
    assert!(body.contains(GUARDIAN));
    for s in [MEASURE, CODE_MEANING, CLASS_TEACHER_NOTE, TEACHER_NOTE] {
        assert!(!body.contains(s), "the office must not get »{s}«");
    }
    assert_eq!(count_of(&body, "section#kontakt form"), 1);
    assert_eq!(count_of(&body, "section#erziehungsberechtigte form"), 2);
}

#[tokio::test]
async fn the_headteacher_reads_every_section_but_changes_only_personal_data_and_support() {
    // Arrange
    let f = Fixture::new().await;

    // Act
    let body = f.page_as(&f.head, f.albers).await;

    // Assert
    assert_eq!(sections(&body).len(), 7);
    assert_eq!(count_of(&body, "section#stammdaten form"), 1);
    assert_eq!(count_of(&body, "section#kontakt form"), 0);
    assert_eq!(count_of(&body, "section#erziehungsberechtigte form"), 0);
    assert_eq!(count_of(&body, "section#verhalten form"), 0);
    assert_eq!(count_of(&body, "section#foto form"), 0);
}

#[tokio::test]
async fn the_administration_the_social_worker_and_a_teacher_who_does_not_teach_the_pupil_get_404() {
    // Arrange
    let f = Fixture::new().await;
    let object = format!("schueler:{}", f.albers);

    for user in [&f.admin, &f.social_worker, &f.outsider] {
        // Act
        let b = f.elevated(user).await;
        let resp = b.get(&f.page(f.albers)).await;

        // Assert
        assert_eq!(resp.status().as_u16(), 404, "as {}", user.login);
        assert_no_secrets(&resp.text().await.unwrap(), "the 404 page");
    }
    assert_eq!(f.audits("zugriff_verweigert", &object).len(), 3);
    assert!(f.read_groups(f.albers).is_empty());
}

#[tokio::test]
async fn the_administration_gets_404_even_without_a_second_factor() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.app.browser_for(&f.admin).await;

    // Act
    let resp = b.get(&f.page(f.albers)).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 404);
}

#[tokio::test]
async fn a_pupil_of_another_school_is_404_even_for_the_headteacher() {
    // Arrange
    let f = Fixture::new().await;
    let other_school = f.app.create_school("Schule am Strand");
    let other_pupil = {
        let mut conn = f.app.conn();
        let class = timetable::create_class(&mut conn, other_school, "5c").unwrap();
        timetable::create_pupil(
            &mut conn,
            other_school,
            class,
            "Fremd",
            "Fiete",
            f.app.school_today(),
        )
        .unwrap()
    };
    let b = f.elevated(&f.head).await;

    // Act
    let page = b.get(&f.page(other_pupil)).await;
    let photo = b.get(&format!("/schueler/{other_pupil}/foto")).await;

    // Assert
    assert_eq!(page.status().as_u16(), 404);
    assert_eq!(photo.status().as_u16(), 404);
    assert_eq!(
        f.audits("zugriff_verweigert", &format!("schueler:{other_pupil}"))
            .len(),
        2
    );
}

#[tokio::test]
async fn every_group_shown_leaves_one_read_record_with_the_assurance_level_and_no_value() {
    // Arrange
    let f = Fixture::new().await;

    // Act
    f.page_as(&f.class_teacher, f.albers).await;
    let after_class_teacher = f.read_groups(f.albers);
    f.page_as(&f.teacher, f.albers).await;

    // Assert
    assert_eq!(
        after_class_teacher,
        [
            "stammdaten",
            "kontakt",
            "ausbildungsbetrieb",
            "erziehungsberechtigte",
            "foerderung",
            "verhalten"
        ]
    );
    let records = f.audits("schuelerdaten_angezeigt", &format!("schueler:{}", f.albers));
    let by_teacher: Vec<&AuditRow> = records
        .iter()
        .filter(|r| r.actor_user_id == Some(f.teacher.user_id))
        .collect();
    let groups: Vec<&str> = by_teacher.iter().map(|r| r.detail.as_str()).collect();
    assert_eq!(groups, ["datengruppe=foerderung", "datengruppe=verhalten"]);
    assert!(
        records
            .iter()
            .all(|r| r.assurance == "aal2" && r.school_id == Some(f.school_id))
    );
    for r in f.all_audits() {
        assert_no_secrets(
            &format!("{} {} {}", r.action, r.object, r.detail),
            "an audit record",
        );
    }
}

#[tokio::test]
async fn the_class_list_links_each_pupil_to_the_pupil_page() {
    // Arrange
    let f = Fixture::new().await;
    let b = f.elevated(&f.class_teacher).await;

    // Act
    let resp = b.get(&format!("/klassen/{}/schueler", f.class_id)).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.unwrap();
    assert_eq!(
        count_of(&body, &format!("a[href='/schueler/{}']", f.albers)),
        1
    );
    assert_eq!(
        count_of(&body, &format!("a[href='/schueler/{}']", f.brandt)),
        1
    );
    assert_eq!(
        count_of(&body, &format!("a[href='/schueler/{}']", f.dittmer)),
        0
    );
    assert_eq!(
        f.audits("klassenliste_angezeigt", &format!("klasse:{}", f.class_id))
            .len(),
        1
    );
}

#[tokio::test]
async fn the_demo_gives_the_first_class_of_each_school_encrypted_profiles_guardians_measures_and_notes()
 {
    // Arrange
    let app = spawn_app().await;

    // Act
    klassenbuch::demo::seed(&app.state.db, &*app.clock, &app.state.keys).expect("demo data");

    // Assert
    use klassenbuch::db::schema::{conduct_notes, guardians, pupil_profiles, support_measures};
    let mut conn = app.conn();
    let profiles: Vec<(i64, Option<String>)> = pupil_profiles::table
        .select((pupil_profiles::pupil_id, pupil_profiles::address_enc))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        profiles.len(),
        44,
        "22 pupils in the first class of each of the two schools"
    );
    for (pupil, sealed) in &profiles {
        let sealed = sealed.as_deref().unwrap();
        assert!(!sealed.contains("Flensburg"));
        let address = klassenbuch::pupils::open(
            &app.state.keys,
            "pupil_profiles",
            "address_enc",
            *pupil,
            sealed,
        );
        assert!(address.ends_with("24937 Flensburg"), "{address}");
    }
    let guardian_rows: i64 = guardians::table.count().get_result(&mut conn).unwrap();
    let measures: i64 = support_measures::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    let notes: i64 = conduct_notes::table.count().get_result(&mut conn).unwrap();
    assert_eq!(guardian_rows, 44);
    assert_eq!(measures, 4);
    assert_eq!(notes, 4);
}
